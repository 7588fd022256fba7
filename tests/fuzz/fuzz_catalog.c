/*
 * fuzz_catalog.c: one catalog format (FUZZ_FORMAT: Mistral, OpenRouter,
 * OpenAI or auto): the staged rows keep the bounds catalog.h promises,
 * the counts add up, a failed parse leaves staging empty, and the
 * chunked parser (catalog_parse_src) stages exactly the same rows, and
 * so does a parse whose rows two helper threads read (catalog_par.c),
 * with the same counts and the same error.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "body.h"
#include "catalog.h"
#include "catalog_int.h"
#include "fuzz.h"

#ifndef FUZZ_FORMAT
#error "FUZZ_FORMAT must name the catalog format"
#endif

static sqlite3	*db;

/* The rows of staging, in id order, as one text; NULL when there is no staging. */
static char *
snapshot(void)
{
	sqlite3_stmt	*st;
	char		*s = NULL;

	if (sqlite3_prepare_v2(db, "SELECT group_concat(quote(id) || ',' ||"
	    " quote(name) || ',' || quote(provider) || ',' || quote(description)"
	    " || ',' || quote(context_length) || ',' || quote(prompt_price) ||"
	    " ',' || quote(completion_price) || ',' || quote(features) || ',' ||"
	    " quote(aliases) || ',' || quote(canonical_slug) || ',' || quote(kind)"
	    " || ',' || quote(prices) || ',' || quote(expires_at), ';')"
	    " FROM (SELECT * FROM temp.staging ORDER BY id)", -1, &st,
	    NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		s = strdup(sqlite3_column_type(st, 0) == SQLITE_NULL ? "" :
		    (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s;
}

/* The value of a one-row, one-column query. */
static int64_t
count(const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	FUZZ_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* An id as catalog.h says: 1..200 bytes of 0x21..0x7e, no '"' ',' '=' '\\'. */
#define BAD_ID(c) \
	"(length(CAST(" c " AS BLOB)) NOT BETWEEN 1 AND 200 OR " c " GLOB '*[^!-~]*'" \
	" OR instr(" c ", '\"') OR instr(" c ", ',') OR instr(" c ", '=')" \
	" OR instr(" c ", '\\'))"

static void
check_rows(const struct catalog_stats *s)
{
	FUZZ_CHECK(s->staged == count("SELECT count(*) FROM temp.staging"),
	    "staged is not the rows in staging");
	FUZZ_CHECK(s->staged >= 0 && s->skipped >= 0 && s->duplicates >= 0 &&
	    s->staged + s->skipped + s->duplicates <= s->entries,
	    "more staged, skipped and duplicates than entries");
	/* Mistral collapses alias entries into one row (doc/formats.md): fewer rows, never none. */
	if (FUZZ_FORMAT == FMT_OPENROUTER || FUZZ_FORMAT == FMT_OPENAI)
		FUZZ_CHECK(s->staged + s->skipped + s->duplicates == s->entries,
		    "staged + skipped + duplicates is not the entries");
	else
		FUZZ_CHECK((s->staged > 0) == (s->entries - s->skipped -
		    s->duplicates > 0), "usable entries but no row staged");
	FUZZ_CHECK(count("SELECT count(*) FROM temp.staging WHERE typeof(id) <> 'text'"
	    " OR " BAD_ID("id")) == 0, "a staged id out of bounds");
	FUZZ_CHECK(count("SELECT count(*) FROM temp.staging WHERE"
	    " typeof(name) <> 'text' OR typeof(provider) <> 'text' OR"
	    " typeof(description) <> 'text' OR typeof(features) <> 'integer'")
	    == 0, "a staged text or features of the wrong type");
	FUZZ_CHECK(count("SELECT count(*) FROM temp.staging WHERE kind NOT IN"
	    " ('chat', 'embedding', 'moderation', 'ocr', 'image', 'audio', 'other')")
	    == 0, "a staged kind outside the list");
	FUZZ_CHECK(count("SELECT count(*) FROM temp.staging WHERE"
	    " (context_length IS NOT NULL AND typeof(context_length) <> 'integer')"
	    " OR (expires_at IS NOT NULL AND typeof(expires_at) <> 'integer')")
	    == 0, "a staged number of the wrong type");
	FUZZ_CHECK(count("SELECT count(*) FROM temp.staging WHERE"
	    " (prompt_price IS NOT NULL AND typeof(prompt_price) NOT IN ('real', 'integer'))"
	    " OR (completion_price IS NOT NULL AND typeof(completion_price) NOT IN ('real', 'integer'))")
	    == 0, "a staged price of the wrong type");
	FUZZ_CHECK(count("SELECT count(*) FROM temp.staging WHERE NOT json_valid(aliases)"
	    " OR json_type(aliases) <> 'array' OR NOT json_valid(prices) OR"
	    " json_type(prices) <> 'object'") == 0,
	    "staged aliases or prices that are not a JSON array / object");
	FUZZ_CHECK(count("SELECT count(*) FROM temp.staging AS s, json_each(s.aliases) AS a"
	    " WHERE a.type <> 'text' OR " BAD_ID("a.value")) == 0,
	    "a staged alias out of bounds");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog_stats	 s, s2;
	struct body_src		 src;
	char			 err[256], err2[256];
	char			*a, *b;
	int			 rc, rc2;

	if (db == NULL) {
		FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "sqlite3_open");
		catalog_parallel(SIZE_MAX, 0);
	}

	err[0] = '\0';
	memset(&s, 0, sizeof(s));
	rc = catalog_parse(db, FUZZ_FORMAT, (const char *)data, size, &s, err,
	    sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "catalog_parse returned neither 0 nor -1");
	if (rc == -1) {
		FUZZ_CHECK(err[0] != '\0', "a failed parse without a message");
		FUZZ_CHECK(count("SELECT count(*) FROM temp.staging") <= 0,
		    "a failed parse left rows in staging");
	} else
		check_rows(&s);
	a = snapshot();

	/* The chunked parser must agree with the whole-body one. */
	err2[0] = '\0';
	memset(&s2, 0, sizeof(s2));
	body_src_mem(&src, (const char *)data, size);
	rc2 = catalog_parse_src(db, FUZZ_FORMAT, &src, &s2, err2, sizeof(err2));
	FUZZ_CHECK(rc2 == rc, "catalog_parse_src and catalog_parse disagree on success");
	if (rc2 == 0) {
		check_rows(&s2);
		FUZZ_CHECK(memcmp(&s, &s2, sizeof(s)) == 0,
		    "catalog_parse_src counts differ from catalog_parse");
		b = snapshot();
		FUZZ_CHECK(a != NULL && b != NULL && strcmp(a, b) == 0,
		    "catalog_parse_src stages other rows than catalog_parse");
		free(b);
	} else
		FUZZ_CHECK(err2[0] != '\0', "a failed parse without a message");

	/* Helper threads read the rows: the same outcome to the byte. */
	err2[0] = '\0';
	memset(&s2, 0, sizeof(s2));
	catalog_parallel(0, 2);
	rc2 = catalog_parse(db, FUZZ_FORMAT, (const char *)data, size, &s2,
	    err2, sizeof(err2));
	catalog_parallel(SIZE_MAX, 0);
	FUZZ_CHECK(rc2 == rc, "a parallel parse and a serial one disagree on success");
	FUZZ_CHECK(strcmp(err, err2) == 0,
	    "a parallel parse fails with another message than a serial one");
	FUZZ_CHECK(memcmp(&s, &s2, sizeof(s)) == 0,
	    "a parallel parse counts otherwise than a serial one");
	b = snapshot();
	FUZZ_CHECK((a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0),
	    "a parallel parse stages other rows than a serial one");
	free(b);
	free(a);
	return 0;
}
