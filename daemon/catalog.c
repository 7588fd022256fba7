/* catalog.c: parse the providers' model lists (Mistral, OpenRouter, OpenAI) into the temp table "staging" with SQLite's JSON functions. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "catalog.h"
#include "catalog_int.h"
#include "db.h"

/*
 * The JSON is only ever read by SQLite (json_valid, json_each, json_type,
 * json_extract). The small SQL functions of catalog_fn.c do what SQL cannot do
 * cleanly: check an id byte by byte, repair and cut UTF-8, and read
 * numbers strictly. Each takes the json_type() of a value and the value,
 * so that an object or array (which json_extract returns as JSON text) is
 * never mistaken for a string. The body is always a bound parameter.
 */

#define CAT_NAME_MAX	512		/* bytes in a display name */
#define CAT_DESC_MAX	16384		/* bytes in a description */
#define CAT_PROVIDER_MAX 200		/* bytes in a provider */
#define CAT_SLUG_MAX	256		/* bytes in canonical_slug */
#define CAT_ALIASES_MAX	64		/* aliases kept per model */
#define CAT_PRICES_MAX	32		/* other prices kept per model */
#define CAT_PRICE_NAME_MAX 64		/* bytes in the name of another price */


/* Turn a macro's value into an SQL literal, so FEAT_* bits come from db.h. */
#define CAT_STR(x)	#x
#define CAT_XSTR(x)	CAT_STR(x)

static const char sql_create[] =
	"CREATE TEMP TABLE IF NOT EXISTS staging("
	" id TEXT PRIMARY KEY, name TEXT NOT NULL, provider TEXT NOT NULL,"
	" description TEXT NOT NULL, context_length INTEGER,"
	" prompt_price REAL, completion_price REAL,"
	" features INTEGER NOT NULL, aliases TEXT NOT NULL,"
	" canonical_slug TEXT, kind TEXT NOT NULL DEFAULT 'chat',"
	" prices TEXT NOT NULL DEFAULT '{}', expires_at INTEGER);"
	/* One row per element of the data array; id NULL when unusable. */
	"CREATE TEMP TABLE IF NOT EXISTS catalog_raw("
	" seq INTEGER PRIMARY KEY, id TEXT, gkey TEXT, name TEXT,"
	" provider TEXT, description TEXT, context_length INTEGER,"
	" prompt_price REAL, completion_price REAL, features INTEGER,"
	" aliases TEXT, canonical_slug TEXT, kind TEXT, prices TEXT,"
	" expires_at INTEGER);"
	"CREATE INDEX IF NOT EXISTS temp.catalog_raw_id ON catalog_raw(id);"
	/* Mistral: one row per model after collapsing alias entries. */
	"CREATE TEMP TABLE IF NOT EXISTS catalog_group("
	" gkey TEXT PRIMARY KEY, canon TEXT NOT NULL,"
	" first_seq INTEGER NOT NULL);"
	"CREATE TEMP TABLE IF NOT EXISTS catalog_alias("
	" canon TEXT NOT NULL, gseq INTEGER NOT NULL, mseq INTEGER NOT NULL,"
	" aidx INTEGER NOT NULL, alias TEXT);"
	"CREATE INDEX IF NOT EXISTS temp.catalog_alias_canon"
	" ON catalog_alias(canon);";

static const char sql_clear_scratch[] =
	"DELETE FROM temp.catalog_raw;"
	"DELETE FROM temp.catalog_group;"
	"DELETE FROM temp.catalog_alias;";

/* Yields NULL for invalid JSON, else the type of $.data ('' if none). */
static const char sql_check[] =
	"SELECT CASE WHEN json_valid(?1)"
	" THEN coalesce(json_type(?1, '$.data'), '') END";

/* The elements of the data array: index, and the object or NULL. */
#define SQL_ELEMENTS							\
	" FROM (SELECT seq, o,"						\
	"  catalog_id(json_type(o, '$.id'), json_extract(o, '$.id')) AS id" \
	"  FROM (SELECT e.key AS seq,"					\
	"   CASE WHEN e.type = 'object' THEN e.value END AS o"		\
	"   FROM json_each(?1, '$.data') AS e))"

/* A string member, repaired and cut to max bytes; else NULL. */
#define SQL_TEXT(path, max)						\
	"catalog_text(json_type(o, '" path "'),"			\
	" json_extract(o, '" path "'), " CAT_XSTR(max) ")"

#define SQL_FLAG(path, bit)						\
	"(CASE WHEN json_type(o, '" path "') = 'true'"			\
	" THEN " CAT_XSTR(bit) " ELSE 0 END)"

/* Does an array at path hold one of the strings of list (SQL)? */
#define SQL_HAS(path, list, bit)					\
	"(CASE WHEN json_type(o, '" path "') = 'array' AND EXISTS"	\
	" (SELECT 1 FROM json_each(o, '" path "') AS x"			\
	" WHERE x.type = 'text' AND x.value IN " list ")"		\
	" THEN " CAT_XSTR(bit) " ELSE 0 END)"

/* Does the array at path hold the string v (an SQL literal)? */
#define SQL_HOLDS(path, v)						\
	"(json_type(o, '" path "') = 'array' AND EXISTS"		\
	" (SELECT 1 FROM json_each(o, '" path "') AS x"			\
	" WHERE x.type = 'text' AND x.value IN " v "))"

/* Is the member at path JSON true? */
#define SQL_TRUE(path)	"(json_type(o, '" path "') = 'true')"

/*
 * The prices of pricing other than prompt and completion, as given (USD
 * per unit: per request, per image, per token of cache...): a JSON
 * object of at most CAT_PRICES_MAX names of [a-z0-9_], each a finite
 * non-negative number. Anything else is dropped; '{}' when none.
 */
#define SQL_PRICES(path)						\
	"(SELECT json_group_object(k, v) FROM (SELECT p.key AS k,"	\
	"  catalog_number(p.type, p.value) AS v"			\
	"  FROM json_each(o, '" path "') AS p"				\
	"  WHERE json_type(o, '" path "') = 'object'"			\
	"  AND p.key NOT IN ('prompt', 'completion')"			\
	"  AND length(p.key) BETWEEN 1 AND " CAT_XSTR(CAT_PRICE_NAME_MAX) \
	"  AND p.key NOT GLOB '*[^a-z0-9_]*'"				\
	"  AND catalog_number(p.type, p.value) IS NOT NULL"		\
	"  ORDER BY p.key LIMIT " CAT_XSTR(CAT_PRICES_MAX) "))"

/* A date (RFC 3339, or a plain YYYY-MM-DD) at path as unix seconds; else NULL. */
#define SQL_TIME(path)							\
	"catalog_time(json_type(o, '" path "'), json_extract(o, '" path "'))"

/*
 * Mistral's kind: a chat model says completion_chat; the others say
 * moderation or ocr, or only their id tells (mistral-embed,
 * codestral-embed). Without capabilities at all the model is taken for
 * a chat model, as before kinds existed.
 */
#define SQL_KIND_MISTRAL						\
	"CASE WHEN " SQL_TRUE("$.capabilities.completion_chat")		\
	"  THEN 'chat'"							\
	" WHEN " SQL_TRUE("$.capabilities.moderation")			\
	"  OR instr(lower(id), 'moderation') > 0 THEN 'moderation'"	\
	" WHEN " SQL_TRUE("$.capabilities.ocr")				\
	"  OR instr(lower(id), 'ocr') > 0 THEN 'ocr'"			\
	" WHEN instr(lower(id), 'embed') > 0 THEN 'embedding'"		\
	" WHEN " SQL_TRUE("$.capabilities.audio")			\
	"  OR instr(lower(id), 'transcribe') > 0 THEN 'audio'"		\
	" WHEN json_type(o, '$.capabilities.completion_chat') = 'false'" \
	"  THEN 'other'"						\
	" ELSE 'chat' END"

/*
 * OpenRouter's kind, from what the model outputs: text is a chat model
 * (whatever else it outputs); else embeddings, images or audio. Without
 * output_modalities (older entries) it is a chat model.
 */
#define SQL_KIND_OPENROUTER						\
	"CASE WHEN json_type(o, '$.architecture.output_modalities') IS NOT 'array'" \
	"  OR json_array_length(o, '$.architecture.output_modalities') = 0" \
	"  THEN 'chat'"							\
	" WHEN " SQL_HOLDS("$.architecture.output_modalities", "('text')") \
	"  THEN 'chat'"							\
	" WHEN " SQL_HOLDS("$.architecture.output_modalities",		\
	    "('embedding', 'embeddings')") " THEN 'embedding'"		\
	" WHEN " SQL_HOLDS("$.architecture.output_modalities", "('image')") \
	"  THEN 'image'"						\
	" WHEN " SQL_HOLDS("$.architecture.output_modalities", "('audio')") \
	"  THEN 'audio'"						\
	" ELSE 'other' END"

/*
 * OpenAI's /v1/models says nothing but the id, so the id's well-known
 * families decide; everything else is taken for a chat model.
 */
#define SQL_KIND_OPENAI							\
	"CASE WHEN instr(lower(id), 'embedding') > 0 THEN 'embedding'"	\
	" WHEN instr(lower(id), 'moderation') > 0 THEN 'moderation'"	\
	" WHEN lower(id) LIKE 'whisper%' OR lower(id) LIKE 'tts-%'"	\
	"  OR instr(lower(id), '-tts') > 0"				\
	"  OR instr(lower(id), 'transcribe') > 0 THEN 'audio'"		\
	" WHEN lower(id) LIKE 'dall-e%' OR lower(id) LIKE 'gpt-image%'"	\
	"  THEN 'image'"						\
	" ELSE 'chat' END"

static const char sql_raw_mistral[] =
	"INSERT INTO temp.catalog_raw(seq, id, gkey, name, provider,"
	" description, context_length, features, aliases, kind, prices,"
	" expires_at)"
	" SELECT seq, id,"
	/*
	 * Mistral's name is the canonical model name, so it is the group
	 * key; an entry without one is its own canonical name.
	 */
	"  CASE WHEN json_type(o, '$.name') = 'text'"
	"    AND json_extract(o, '$.name') <> ''"
	"   THEN json_extract(o, '$.name') ELSE id END,"
	"  " SQL_TEXT("$.name", CAT_NAME_MAX) ","
	"  " SQL_TEXT("$.owned_by", CAT_PROVIDER_MAX) ","
	"  " SQL_TEXT("$.description", CAT_DESC_MAX) ","
	"  catalog_int(json_type(o, '$.max_context_length'),"
	"   json_extract(o, '$.max_context_length')),"
	"  " SQL_FLAG("$.capabilities.completion_chat", FEAT_STREAMING)
	"  | " SQL_FLAG("$.capabilities.vision", FEAT_VISION)
	"  | " SQL_FLAG("$.capabilities.reasoning", FEAT_REASONING)
	"  | " SQL_FLAG("$.capabilities.function_calling", FEAT_TOOLS) ","
	"  CASE WHEN json_type(o, '$.aliases') = 'array'"
	"   THEN json_extract(o, '$.aliases') END,"
	"  " SQL_KIND_MISTRAL ", '{}', " SQL_TIME("$.deprecation")
	SQL_ELEMENTS;

static const char sql_raw_openrouter[] =
	"INSERT INTO temp.catalog_raw(seq, id, name, provider, description,"
	" context_length, prompt_price, completion_price, features,"
	" canonical_slug, kind, prices, expires_at)"
	" SELECT seq, id,"
	"  " SQL_TEXT("$.name", CAT_NAME_MAX) ","
	"  CASE WHEN instr(id, '/') > 0"
	"   THEN substr(id, 1, instr(id, '/') - 1) ELSE '' END,"
	"  " SQL_TEXT("$.description", CAT_DESC_MAX) ","
	"  catalog_int(json_type(o, '$.context_length'),"
	"   json_extract(o, '$.context_length')),"
	"  catalog_price(json_type(o, '$.pricing.prompt'),"
	"   json_extract(o, '$.pricing.prompt')),"
	"  catalog_price(json_type(o, '$.pricing.completion'),"
	"   json_extract(o, '$.pricing.completion')),"
	/* OpenRouter streams every model. */
	"  " CAT_XSTR(FEAT_STREAMING)
	"  | " SQL_HAS("$.architecture.input_modalities", "('image')",
	    FEAT_VISION)
	"  | " SQL_HAS("$.supported_parameters",
	    "('reasoning', 'include_reasoning')", FEAT_REASONING)
	"  | " SQL_HAS("$.supported_parameters", "('tools')", FEAT_TOOLS) ","
	"  " SQL_TEXT("$.canonical_slug", CAT_SLUG_MAX) ","
	"  " SQL_KIND_OPENROUTER ", " SQL_PRICES("$.pricing") ","
	"  " SQL_TIME("$.expiration_date")
	SQL_ELEMENTS;

static const char sql_raw_openai[] =
	"INSERT INTO temp.catalog_raw(seq, id, provider, features, kind)"
	" SELECT seq, id, " SQL_TEXT("$.owned_by", CAT_PROVIDER_MAX) ", 0,"
	"  " SQL_KIND_OPENAI
	SQL_ELEMENTS;

static const char sql_count[] =
	"SELECT count(*), count(id) FROM temp.catalog_raw";

/* Duplicate ids: the first in the list wins. */
static const char sql_dedupe[] =
	"DELETE FROM temp.catalog_raw WHERE seq IN (SELECT seq FROM"
	" (SELECT seq, row_number() OVER (PARTITION BY id ORDER BY seq) AS rn"
	"  FROM temp.catalog_raw WHERE id IS NOT NULL) WHERE rn > 1)";

static const char sql_stage_plain[] =
	"INSERT INTO temp.staging(id, name, provider, description,"
	" context_length, prompt_price, completion_price, features, aliases,"
	" canonical_slug, kind, prices, expires_at)"
	" SELECT id, coalesce(name, id), coalesce(provider, ''),"
	"  coalesce(description, ''), context_length, prompt_price,"
	"  completion_price, coalesce(features, 0), '[]', canonical_slug,"
	"  coalesce(kind, 'chat'), coalesce(prices, '{}'), expires_at"
	" FROM temp.catalog_raw WHERE id IS NOT NULL ORDER BY seq";

/*
 * Mistral lists every alias as an entry of its own. Entries with the same
 * name are one model; its id is the entry whose id is that name, else the
 * smallest id of the group.
 */
static const char sql_mistral_groups[] =
	"INSERT INTO temp.catalog_group(gkey, canon, first_seq)"
	" SELECT gkey, coalesce(max(CASE WHEN id = gkey THEN id END),"
	"  min(id)), min(seq)"
	" FROM temp.catalog_raw WHERE id IS NOT NULL GROUP BY gkey";

/* Every other id of the group and every alias its entries list. */
static const char sql_mistral_aliases[] =
	"INSERT INTO temp.catalog_alias(canon, gseq, mseq, aidx, alias)"
	" SELECT g.canon, g.first_seq, r.seq, -1, r.id"
	"  FROM temp.catalog_raw AS r JOIN temp.catalog_group AS g"
	"  ON g.gkey = r.gkey WHERE r.id IS NOT NULL AND r.id <> g.canon"
	" UNION ALL"
	" SELECT g.canon, g.first_seq, r.seq, a.key,"
	"  catalog_id(a.type, a.value)"
	"  FROM temp.catalog_raw AS r JOIN temp.catalog_group AS g"
	"  ON g.gkey = r.gkey JOIN json_each(r.aliases) AS a"
	"  WHERE r.id IS NOT NULL AND r.aliases IS NOT NULL";

/*
 * An alias never shadows a model's id, and belongs to one model only:
 * the one listed first.
 */
static const char sql_mistral_alias_prune[] =
	"DELETE FROM temp.catalog_alias WHERE alias IS NULL"
	" OR alias IN (SELECT canon FROM temp.catalog_group);"
	"DELETE FROM temp.catalog_alias WHERE rowid IN (SELECT r FROM"
	" (SELECT rowid AS r, row_number() OVER (PARTITION BY alias"
	"  ORDER BY gseq, mseq, aidx) AS rn FROM temp.catalog_alias)"
	" WHERE rn > 1);";

static const char sql_stage_mistral[] =
	"INSERT INTO temp.staging(id, name, provider, description,"
	" context_length, prompt_price, completion_price, features, aliases,"
	" canonical_slug, kind, prices, expires_at)"
	" SELECT r.id, coalesce(r.name, r.id), coalesce(r.provider, ''),"
	"  coalesce(r.description, ''), r.context_length, NULL, NULL,"
	"  coalesce(r.features, 0),"
	"  (SELECT json_group_array(alias) FROM (SELECT a.alias"
	"   FROM temp.catalog_alias AS a WHERE a.canon = g.canon"
	"   ORDER BY a.mseq, a.aidx LIMIT " CAT_XSTR(CAT_ALIASES_MAX) ")),"
	"  NULL, coalesce(r.kind, 'chat'), coalesce(r.prices, '{}'),"
	"  r.expires_at"
	" FROM temp.catalog_group AS g JOIN temp.catalog_raw AS r"
	" ON r.id = g.canon ORDER BY g.first_seq";

static const char sql_count_staged[] = "SELECT count(*) FROM temp.staging";

static void
cat_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
cat_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Run one statement with the body bound as ?1 (when body is not NULL). */
static int
cat_run(sqlite3 *db, const char *sql, const char *body, int len)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (body != NULL &&
	    sqlite3_bind_text(st, 1, body, len, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE)
		goto fail;
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
fail:
	sqlite3_finalize(st);
	return -1;
}

/* Read one row of integers from sql into v[0..n-1]. */
static int
cat_ints(sqlite3 *db, const char *sql, int *v, int n)
{
	sqlite3_stmt	*st = NULL;
	int		 i;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return -1;
	}
	for (i = 0; i < n; i++)
		v[i] = sqlite3_column_int(st, i);
	return sqlite3_finalize(st) == SQLITE_OK ? 0 : -1;
}

/* Check the document's shape: 0, or -1 with err set. */
static int
cat_check(sqlite3 *db, const char *body, int len, char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	const char	*t;
	int		 brc, rc = -1;

	if (sqlite3_prepare_v2(db, sql_check, -1, &st, NULL) != SQLITE_OK) {
		cat_err(err, errlen, "database error: %s", sqlite3_errmsg(db));
		goto done;
	}
	/* Above SQLITE_LIMIT_LENGTH, SQLite refuses to take the body. */
	if ((brc = sqlite3_bind_text(st, 1, body, len,
	    SQLITE_STATIC)) == SQLITE_TOOBIG) {
		cat_err(err, errlen, "body too large");
		goto done;
	}
	if (brc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		cat_err(err, errlen, "database error: %s", sqlite3_errmsg(db));
		goto done;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_NULL)
		cat_err(err, errlen, "invalid JSON");
	else if ((t = (const char *)sqlite3_column_text(st, 0)) == NULL ||
	    strcmp(t, "array") != 0)
		cat_err(err, errlen, "no data array");
	else
		rc = 0;
done:
	sqlite3_finalize(st);
	return rc;
}

int
catalog_parse(sqlite3 *db, enum cat_format fmt, const char *body, size_t len,
    struct catalog_stats *stats, char *err, size_t errlen)
{
	struct catalog_stats	 local;
	const char		*sql_raw;
	int			 counts[2], staged, blen, in_sp = 0;

	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	cat_err(err, errlen, "%s", "");

	/* Staging is emptied first, whatever happens next. */
	if (catalog_fn_register(db) == -1 ||
	    sqlite3_exec(db, sql_create, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "DELETE FROM temp.staging;", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(db, sql_clear_scratch, NULL, NULL,
	    NULL) != SQLITE_OK) {
		cat_err(err, errlen, "database error: %s", sqlite3_errmsg(db));
		return -1;
	}

	switch (fmt) {
	case FMT_MISTRAL:
		sql_raw = sql_raw_mistral;
		break;
	case FMT_OPENROUTER:
		sql_raw = sql_raw_openrouter;
		break;
	case FMT_OPENAI:
		sql_raw = sql_raw_openai;
		break;
	default:
		cat_err(err, errlen, "unknown catalog format");
		return -1;
	}
	if (len > INT_MAX) {
		cat_err(err, errlen, "body too large");
		return -1;
	}
	if (body == NULL || len == 0) {
		cat_err(err, errlen, "invalid JSON");
		return -1;
	}
	if (memchr(body, '\0', len) != NULL) {
		cat_err(err, errlen, "body contains a NUL byte");
		return -1;
	}
	blen = (int)len;
	if (cat_check(db, body, blen, err, errlen) == -1)
		return -1;

	if (sqlite3_exec(db, "SAVEPOINT catalog_parse", NULL, NULL,
	    NULL) != SQLITE_OK)
		goto dberr;
	in_sp = 1;

	if (cat_run(db, sql_raw, body, blen) == -1 ||
	    cat_ints(db, sql_count, counts, 2) == -1)
		goto dberr;
	stats->entries = counts[0];
	stats->skipped = counts[0] - counts[1];
	if (cat_run(db, sql_dedupe, NULL, 0) == -1)
		goto dberr;
	stats->duplicates = sqlite3_changes(db);

	if (fmt == FMT_MISTRAL) {
		if (cat_run(db, sql_mistral_groups, NULL, 0) == -1 ||
		    cat_run(db, sql_mistral_aliases, NULL, 0) == -1 ||
		    sqlite3_exec(db, sql_mistral_alias_prune, NULL, NULL,
		    NULL) != SQLITE_OK ||
		    cat_run(db, sql_stage_mistral, NULL, 0) == -1)
			goto dberr;
	} else if (cat_run(db, sql_stage_plain, NULL, 0) == -1)
		goto dberr;

	if (cat_ints(db, sql_count_staged, &staged, 1) == -1)
		goto dberr;
	stats->staged = staged;

	if (sqlite3_exec(db, sql_clear_scratch, NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "RELEASE catalog_parse", NULL, NULL,
	    NULL) != SQLITE_OK)
		goto dberr;
	return 0;

dberr:
	cat_err(err, errlen, "database error: %s", sqlite3_errmsg(db));
	if (in_sp) {
		sqlite3_exec(db, "ROLLBACK TO catalog_parse", NULL, NULL, NULL);
		sqlite3_exec(db, "RELEASE catalog_parse", NULL, NULL, NULL);
	}
	sqlite3_exec(db, "DELETE FROM temp.staging;", NULL, NULL, NULL);
	sqlite3_exec(db, sql_clear_scratch, NULL, NULL, NULL);
	memset(stats, 0, sizeof(*stats));
	return -1;
}

int
catalog_parse_format(const char *s, enum cat_format *fmt)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "mistral") == 0)
		*fmt = FMT_MISTRAL;
	else if (strcmp(s, "openrouter") == 0)
		*fmt = FMT_OPENROUTER;
	else if (strcmp(s, "openai") == 0)
		*fmt = FMT_OPENAI;
	else
		return -1;
	return 0;
}
