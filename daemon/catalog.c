/* catalog.c: parse the providers' model lists (Mistral, OpenRouter, OpenAI) into the temp table "staging" with SQLite's JSON functions. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "body.h"
#include "catalog.h"
#include "catalog_detect.h"
#include "catalog_int.h"
#include "catalog_par.h"
#include "db.h"
#include "digest.h"
#include "jsplit.h"

/*
 * The JSON is only ever read by SQLite (json_valid, json_each, json_type,
 * json_extract), one element of the data array at a time (issue 8):
 * jsplit.c finds where each element begins and ends as the body is read
 * in chunks, and each is bound as ?1 of a prepared INSERT ... SELECT, so
 * that neither the body nor SQLite's parse of it is ever held whole. The
 * small SQL functions of catalog_fn.c do what SQL cannot do
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
	" expires_at INTEGER, look INTEGER);"
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

/*
 * One element of the data array, bound as ?1 (its index as ?2): the
 * object or NULL, its id, and what it looks like (catalog_int.h). An
 * element SQLite does not find valid yields no row.
 */
#define SQL_ELEMENT							\
	", " CAT_LOOK_SQL("o")						\
	" FROM (SELECT seq, o,"						\
	"  catalog_id(json_type(o, '$.id'), json_extract(o, '$.id')) AS id" \
	"  FROM (SELECT ?2 AS seq,"					\
	"   CASE WHEN json_type(?1) = 'object' THEN ?1 END AS o"		\
	"   WHERE json_valid(?1)))"

/* Any other value or member name of the body: is it valid? */
static const char sql_valid[] = "SELECT json_valid(?1)";

/* Detection alone: -1 invalid, -2 not an object, else the look bits. */
static const char sql_probe[] =
	"SELECT CASE WHEN NOT json_valid(?1) THEN -1"
	" WHEN json_type(?1) <> 'object' THEN -2"
	" ELSE (SELECT " CAT_LOOK_SQL("o") " FROM (SELECT ?1 AS o)) END";

/* What the rows read look like, before duplicates go. */
static const char sql_shape[] =
	"SELECT count(look), coalesce(sum(look & 1), 0),"
	" coalesce(sum(look >> 1), 0) FROM temp.catalog_raw";

/* A string member, repaired and cut to max bytes; else NULL. */
#define SQL_TEXT(path, max)						\
	"catalog_text(json_type(o, '" path "'),"			\
	" json_extract(o, '" path "'), " CAT_XSTR(max) ")"

#define SQL_FLAG(path, bit)						\
	"(CASE WHEN json_type(o, '" path "') = 'true'"			\
	" THEN " CAT_XSTR(bit) " ELSE 0 END)"

/*
 * Does the array at path hold one of the strings of list (SQL literals,
 * comma-separated)? catalog_has reads the array's text that json_extract
 * returns from the element's one cached parse: a json_each(o, path)
 * would parse the whole element again, once per array looked at.
 */
#define SQL_HOLDS(path, list)						\
	"catalog_has(json_type(o, '" path "'), json_extract(o, '" path "'), " \
	list ")"

#define SQL_HAS(path, list, bit)					\
	"(CASE WHEN " SQL_HOLDS(path, list)				\
	" THEN " CAT_XSTR(bit) " ELSE 0 END)"

/* Is the member at path JSON true? */
#define SQL_TRUE(path)	"(json_type(o, '" path "') = 'true')"

/*
 * The prices of pricing other than prompt and completion, as given (USD
 * per unit: per request, per image, per token of cache...): a JSON
 * object of at most CAT_PRICES_MAX names of [a-z0-9_], each a finite
 * non-negative number. Anything else is dropped; '{}' when none
 * (catalog_prices in catalog_fn.c, over json_extract's text).
 */
#define SQL_PRICES(path)						\
	"catalog_prices(json_type(o, '" path "'), json_extract(o, '" path "'))"

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
	" WHEN " SQL_HOLDS("$.architecture.output_modalities", "'text'") \
	"  THEN 'chat'"							\
	" WHEN " SQL_HOLDS("$.architecture.output_modalities",		\
	    "'embedding', 'embeddings'") " THEN 'embedding'"		\
	" WHEN " SQL_HOLDS("$.architecture.output_modalities", "'image'") \
	"  THEN 'image'"						\
	" WHEN " SQL_HOLDS("$.architecture.output_modalities", "'audio'") \
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
	" expires_at, look)"
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
	SQL_ELEMENT;

/*
 * The plain formats' rows, as a SELECT (issue 11: read into staging by
 * cat_plain_row) and as the INSERT into catalog_raw it was: the columns
 * are those of the INSERT's list, in its order.
 */
#define SQL_SEL_OPENROUTER						\
	" SELECT seq, id,"	\
	"  " SQL_TEXT("$.name", CAT_NAME_MAX) ","	\
	"  CASE WHEN instr(id, '/') > 0"	\
	"   THEN substr(id, 1, instr(id, '/') - 1) ELSE '' END,"	\
	"  " SQL_TEXT("$.description", CAT_DESC_MAX) ","	\
	"  catalog_int(json_type(o, '$.context_length'),"	\
	"   json_extract(o, '$.context_length')),"	\
	"  catalog_price(json_type(o, '$.pricing.prompt'),"	\
	"   json_extract(o, '$.pricing.prompt')),"	\
	"  catalog_price(json_type(o, '$.pricing.completion'),"	\
	"   json_extract(o, '$.pricing.completion')),"	\
	/* OpenRouter streams every model. */	\
	"  " CAT_XSTR(FEAT_STREAMING)	\
	"  | " SQL_HAS("$.architecture.input_modalities", "'image'",	\
	    FEAT_VISION)	\
	"  | " SQL_HAS("$.supported_parameters",	\
	    "'reasoning', 'include_reasoning'", FEAT_REASONING)	\
	"  | " SQL_HAS("$.supported_parameters", "'tools'", FEAT_TOOLS) ","	\
	"  " SQL_TEXT("$.canonical_slug", CAT_SLUG_MAX) ","	\
	"  " SQL_KIND_OPENROUTER ", " SQL_PRICES("$.pricing") ","	\
	"  " SQL_TIME("$.expiration_date")				\
	SQL_ELEMENT

#define SQL_SEL_OPENAI							\
	" SELECT seq, id, " SQL_TEXT("$.owned_by", CAT_PROVIDER_MAX) ", 0," \
	"  " SQL_KIND_OPENAI						\
	SQL_ELEMENT

static const char sql_raw_openrouter[] =
	"INSERT INTO temp.catalog_raw(seq, id, name, provider, description,"
	" context_length, prompt_price, completion_price, features,"
	" canonical_slug, kind, prices, expires_at, look)"
	SQL_SEL_OPENROUTER;

static const char sql_raw_openai[] =
	"INSERT INTO temp.catalog_raw(seq, id, provider, features, kind, look)"
	SQL_SEL_OPENAI;

static const char sql_sel_openrouter[] = SQL_SEL_OPENROUTER;
static const char sql_sel_openai[] = SQL_SEL_OPENAI;

/*
 * Where each column of a plain format's SELECT goes in sql_stage_row:
 * the parameter number, 0 for none (seq), -1 for the look (the last).
 */
static const int	 cat_map_openrouter[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, -1
};
static const int	 cat_map_openai[] = { 0, 1, 3, 8, 10, -1 };

/*
 * One row of a plain format straight into staging, with the defaults of
 * sql_stage_plain; a duplicate id inserts nothing (the first one wins,
 * as sql_dedupe keeps it).
 */
static const char sql_stage_row[] =
	"INSERT INTO temp.staging(id, name, provider, description,"
	" context_length, prompt_price, completion_price, features, aliases,"
	" canonical_slug, kind, prices, expires_at)"
	" VALUES (?1, coalesce(?2, ?1), coalesce(?3, ''), coalesce(?4, ''),"
	"  ?5, ?6, ?7, coalesce(?8, 0), '[]', ?9, coalesce(?10, 'chat'),"
	"  coalesce(?11, '{}'), ?12)"
	" ON CONFLICT(id) DO NOTHING";

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

/*
 * A value longer than this in a body is refused, so that the memory of a
 * parse is bounded whatever the body: an entry is a few KiB (a
 * description is cut at 16 KiB anyway).
 */
#define CAT_PIECE_MAX	(4 * 1024 * 1024)

/*
 * A plain format's body at least this long is read with helper threads
 * (catalog_par.c) where the machine has a CPU to spare: below it the
 * threads and their connections cost more than they save.
 */
#define CAT_PAR_MIN	(1024 * 1024)
static size_t	 cat_par_min = CAT_PAR_MIN;
static int	 cat_par_helpers = -1;

void
catalog_parallel(size_t min, int helpers)
{
	cat_par_min = min;
	cat_par_helpers = helpers > CPAR_HELPERS_MAX ? CPAR_HELPERS_MAX :
	    helpers;
}

/* One pass over a body: the splitter, and the statements it feeds. */
struct cat_pass {
	sqlite3			*db;
	int			 detect_only;
	enum cat_format		 fmt;		/* the rows' format */
	int			 decided;	/* 0: FMT_AUTO, no object seen yet */
	sqlite3_stmt		*ins;		/* the INSERT of fmt (Mistral) */
	sqlite3_stmt		*sel;		/* else the SELECT of fmt */
	const char		*sel_sql;	/* its text */
	int			 par_want;	/* helpers to start, 0: serial */
	struct cpar		*par;		/* started once fmt is decided */
	const int		*map;		/* and where its columns go */
	int			 ncol;
	sqlite3_stmt		*stage;		/* sql_stage_row */
	/* The plain rows read into staging: what catalog_raw would count. */
	int			 entries, skipped, duplicates;
	struct catalog_shape	 looks;
	sqlite3_stmt		*probe;		/* sql_probe */
	sqlite3_stmt		*valid;		/* sql_valid */
	struct catalog_shape	 shape;		/* detect_only: counted here */
	struct digest_sha256	*dg;		/* NULL, or hashed as read */
	struct jsplit		 js;
	int			 halted;	/* split over: only a NUL byte is looked for */
	int			 invalid;	/* SQLite refused a piece */
	int			 nul;
	int			 dberr;
	char			 dbmsg[200];
};

static const char *
cat_sql_raw(enum cat_format fmt)
{
	switch (fmt) {
	case FMT_MISTRAL:
		return sql_raw_mistral;
	case FMT_OPENROUTER:
		return sql_raw_openrouter;
	case FMT_OPENAI:
		return sql_raw_openai;
	default:
		return NULL;
	}
}

static void
cat_dberr(struct cat_pass *cp)
{
	if (!cp->dberr)
		snprintf(cp->dbmsg, sizeof(cp->dbmsg), "%s",
		    sqlite3_errmsg(cp->db));
	cp->dberr = 1;
}

/*
 * Bind a piece as ?1. jsplit ends every piece with a NUL byte and
 * refuses one inside; said so (a length of -1), SQLite takes the text
 * as it is. With the length instead, each JSON function's
 * sqlite3_value_text() on ?1 copied the element to add the NUL, about
 * thirty copies of each element per statement (issue 11: a sixth of a
 * parse's instructions). The memchr makes sure of it whatever the
 * splitter does.
 */
static int
cat_bind_piece(sqlite3_stmt *st, const struct jsplit_piece *pc)
{
	if (pc->len < INT_MAX && pc->text[pc->len] == '\0' &&
	    memchr(pc->text, '\0', pc->len) == NULL)
		return sqlite3_bind_text(st, 1, pc->text, -1, SQLITE_STATIC);
	return sqlite3_bind_text(st, 1, pc->text, (int)pc->len,
	    SQLITE_STATIC);
}

/*
 * Read the rows in fmt from now on: 0, or -1 (dberr). Mistral's rows go
 * to catalog_raw, since its entries are grouped after the pass; a plain
 * format's go straight to staging (issue 11), which saves writing every
 * row twice and the sort of sql_dedupe.
 */
static int
cat_use(struct cat_pass *cp, enum cat_format fmt)
{
	const char	*sel;

	if ((cp->ins != NULL || cp->sel != NULL) && cp->fmt == fmt)
		return 0;
	cpar_stop(cp->par);
	cp->par = NULL;
	sqlite3_finalize(cp->ins);
	sqlite3_finalize(cp->sel);
	cp->ins = cp->sel = NULL;
	cp->fmt = fmt;
	if (fmt == FMT_MISTRAL) {
		if (sqlite3_prepare_v2(cp->db, cat_sql_raw(fmt), -1, &cp->ins,
		    NULL) != SQLITE_OK)
			goto fail;
		return 0;
	}
	if (fmt == FMT_OPENROUTER) {
		sel = sql_sel_openrouter;
		cp->map = cat_map_openrouter;
		cp->ncol = (int)(sizeof(cat_map_openrouter) /
		    sizeof(cat_map_openrouter[0]));
	} else {
		sel = sql_sel_openai;
		cp->map = cat_map_openai;
		cp->ncol = (int)(sizeof(cat_map_openai) /
		    sizeof(cat_map_openai[0]));
	}
	cp->sel_sql = sel;
	if (sqlite3_prepare_v2(cp->db, sel, -1, &cp->sel, NULL) !=
	    SQLITE_OK || sqlite3_column_count(cp->sel) != cp->ncol ||
	    (cp->stage == NULL && sqlite3_prepare_v2(cp->db, sql_stage_row,
	    -1, &cp->stage, NULL) != SQLITE_OK))
		goto fail;
	return 0;
fail:
	cat_dberr(cp);
	return -1;
}

/*
 * One element of a plain format: SQLite reads it once (the SELECT), and
 * its row goes to staging unless its id is unusable or seen before. The
 * counts are catalog_raw's: a valid element is an entry, its look is
 * counted (before duplicates go), an entry without an id is skipped.
 * Non-zero stops.
 */
/* An element's look counted, as catalog_raw's sum would count it. */
static void
cat_look(struct cat_pass *cp, int look)
{
	cp->looks.entries++;
	cp->looks.mistral += look & 1;
	cp->looks.openrouter += look >> 1;
}

/* The staging insert with its parameters bound: 0, or -1 (not cat_dberr'd yet). */
static int
cat_stage_run(struct cat_pass *cp)
{
	int	 rc;

	rc = sqlite3_step(cp->stage);
	sqlite3_reset(cp->stage);
	if (rc != SQLITE_DONE)
		return -1;
	if (sqlite3_changes(cp->db) == 0)
		cp->duplicates++;
	return 0;
}

static int
cat_plain_row(struct cat_pass *cp, const struct jsplit_piece *pc)
{
	sqlite3_stmt	*st = cp->sel;
	int		 rc, i;

	if (cat_bind_piece(st, pc) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (sqlite3_int64)pc->index) != SQLITE_OK)
		goto dberr;
	if ((rc = sqlite3_step(st)) == SQLITE_DONE) {
		sqlite3_reset(st);
		cp->invalid = 1;	/* json_valid said no */
		return 1;
	}
	if (rc != SQLITE_ROW)
		goto dberr;
	cp->entries++;
	if (sqlite3_column_type(st, cp->ncol - 1) != SQLITE_NULL)
		cat_look(cp, sqlite3_column_int(st, cp->ncol - 1));
	if (sqlite3_column_type(st, 1) == SQLITE_NULL) {
		cp->skipped++;
		sqlite3_reset(st);
		return 0;
	}
	for (i = 1; i < cp->ncol - 1; i++)
		if (cp->map[i] > 0 && sqlite3_bind_value(cp->stage, cp->map[i],
		    sqlite3_column_value(st, i)) != SQLITE_OK)
			goto dberr;
	if (cat_stage_run(cp) == -1)
		goto dberr;
	sqlite3_reset(st);
	return 0;
dberr:
	cat_dberr(cp);
	sqlite3_reset(st);
	return 1;
}

/* Bind a helper's value (catalog_par.c) as parameter i of st. */
static int
cat_bind_val(sqlite3_stmt *st, int i, const struct cpar_val *v)
{
	switch (v->type) {
	case SQLITE_INTEGER:
		return sqlite3_bind_int64(st, i, v->i);
	case SQLITE_FLOAT:
		return sqlite3_bind_double(st, i, v->r);
	case SQLITE_TEXT:
		return sqlite3_bind_text(st, i, v->s, v->n, SQLITE_STATIC);
	default:
		return sqlite3_bind_null(st, i);
	}
}

/*
 * A row a helper read (cpar_fn): what cat_plain_row does with the row of
 * its own statement, with the same counts. Non-zero stops.
 */
static int
cat_par_row(void *arg, const struct cpar_row *row)
{
	struct cat_pass		*cp = arg;
	const struct cpar_val	*v;
	int			 i;

	if (row->rc != SQLITE_ROW) {
		cp->invalid = 1;	/* json_valid said no */
		return 1;
	}
	cp->entries++;
	v = &row->col[cp->ncol - 1];
	if (v->type != SQLITE_NULL)
		cat_look(cp, v->type == SQLITE_INTEGER ? (int)v->i :
		    v->type == SQLITE_FLOAT ? (int)v->r : 0);
	if (row->col[1].type == SQLITE_NULL) {
		cp->skipped++;
		return 0;
	}
	for (i = 1; i < cp->ncol - 1; i++)
		if (cp->map[i] > 0 && cat_bind_val(cp->stage, cp->map[i],
		    &row->col[i]) != SQLITE_OK)
			goto dberr;
	if (cat_stage_run(cp) == -1)
		goto dberr;
	return 0;
dberr:
	cat_dberr(cp);
	return 1;
}

/* The helpers' rows so far (all: every one queued): 0, or non-zero to stop. */
static int
cat_par_drain(struct cat_pass *cp, int all)
{
	int	 rc;

	if (cp->par == NULL)
		return 0;
	if ((rc = cpar_drain(cp->par, all, cat_par_row, cp)) == -1 &&
	    !cp->dberr) {
		snprintf(cp->dbmsg, sizeof(cp->dbmsg), "%s",
		    cpar_error(cp->par));
		cp->dberr = 1;
	}
	return rc != 0;
}

/* Step st with the piece as ?1: its first column, or INT_MIN (dberr). */
static int
cat_probe(struct cat_pass *cp, sqlite3_stmt *st, const struct jsplit_piece *pc)
{
	int	 v = INT_MIN;

	if (cat_bind_piece(st, pc) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		cat_dberr(cp);
	else
		v = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return v;
}

/* A piece of the body (jsplit.h): SQLite validates it and reads it. Non-zero stops. */
static int
cat_piece(void *arg, const struct jsplit_piece *pc)
{
	struct cat_pass	*cp = arg;
	int		 v;

	if (pc->kind != JSPLIT_ELEMENT) {
		if ((v = cat_probe(cp, cp->valid, pc)) == INT_MIN)
			return 1;
		if (v != 1)
			cp->invalid = 1;
		return v != 1;
	}
	if (cp->detect_only || !cp->decided) {
		if ((v = cat_probe(cp, cp->probe, pc)) == INT_MIN)
			return 1;
		if (v == -1) {
			cp->invalid = 1;
			return 1;
		}
		if (cp->detect_only) {
			if (v >= 0) {
				cp->shape.entries++;
				cp->shape.mistral += v & 1;
				cp->shape.openrouter += v >> 1;
			}
			return 0;
		}
		/*
		 * FMT_AUTO: the first object says which format to read the
		 * rows in (a non-object before it is a row without an id in
		 * any format). When the whole body says otherwise, the parse
		 * reads it again.
		 */
		if (v >= 0) {
			if (cat_use(cp, (v & 2) ? FMT_OPENROUTER : (v & 1) ?
			    FMT_MISTRAL : FMT_OPENAI) == -1)
				return 1;
			cp->decided = 1;
		}
	}
	if (cp->sel != NULL) {
		/* Decided and long: the helpers read the rows (catalog_par.c). */
		if (cp->par == NULL && cp->par_want > 0 && cp->decided &&
		    (cp->par = cpar_start(cp->sel_sql, cp->ncol,
		    cp->par_want)) == NULL)
			cp->par_want = 0;
		if (cp->par == NULL)
			return cat_plain_row(cp, pc);
		if (cpar_add(cp->par, pc->text, pc->len, pc->index) == -1) {
			snprintf(cp->dbmsg, sizeof(cp->dbmsg), "out of memory");
			cp->dberr = 1;
			return 1;
		}
		return cat_par_drain(cp, 0);
	}
	if (cat_bind_piece(cp->ins, pc) != SQLITE_OK ||
	    sqlite3_bind_int64(cp->ins, 2, (sqlite3_int64)pc->index) !=
	    SQLITE_OK || sqlite3_step(cp->ins) != SQLITE_DONE) {
		cat_dberr(cp);
		sqlite3_reset(cp->ins);
		return 1;
	}
	sqlite3_reset(cp->ins);
	if (sqlite3_changes(cp->db) == 0) {
		cp->invalid = 1;	/* json_valid said no */
		return 1;
	}
	return 0;
}

/* A chunk of the body: hash it, split it; after the verdict, only look for a NUL byte. */
static int
cat_chunk(void *arg, const char *p, size_t n)
{
	struct cat_pass	*cp = arg;

	if (cp->dg != NULL)
		digest_sha256_update(cp->dg, p, n);
	if (!cp->halted) {
		if (jsplit_feed(&cp->js, p, n) == JSPLIT_OK)
			return 0;
		cp->halted = 1;
		if (cp->dberr)
			return 1;
	}
	/* A NUL byte anywhere is what an error says, as it was before issue 8. */
	if (memchr(p, '\0', n) != NULL) {
		cp->nul = 1;
		return 1;
	}
	return 0;
}

/* Read the whole body through the splitter: 0, or -1 with err saying why. */
static int
cat_pass_run(struct cat_pass *cp, const struct body_src *src, char *err,
    size_t errlen)
{
	char			 rerr[256];
	enum jsplit_status	 st;
	int			 rc;

	cp->halted = cp->invalid = cp->nul = 0;
	jsplit_init(&cp->js, "data", CAT_PIECE_MAX, cat_piece, cp);
	rc = body_each(src, cat_chunk, cp, rerr, sizeof(rerr));
	if (!cp->halted && rc == 0)
		(void)jsplit_finish(&cp->js);
	st = cp->js.status;
	jsplit_free(&cp->js);
	/*
	 * The helpers' rows of the elements read before the split ended. An
	 * element they found invalid came before whatever the splitter
	 * found after it, which a serial pass would never have read: as
	 * there, the element decides.
	 */
	if (!cp->dberr && !cp->invalid)
		(void)cat_par_drain(cp, 1);
	cpar_stop(cp->par);
	cp->par = NULL;
	if (cp->dberr || cp->invalid)
		st = JSPLIT_STOPPED;
	if (cp->dberr)
		cat_err(err, errlen, "database error: %s", cp->dbmsg);
	else if (cp->nul)
		cat_err(err, errlen, "body contains a NUL byte");
	else if (rc == -1)
		cat_err(err, errlen, "%s", rerr);
	else if (st == JSPLIT_TOOBIG)
		cat_err(err, errlen, "a value in the body is longer than %d "
		    "bytes", CAT_PIECE_MAX);
	else if (st == JSPLIT_NOMEM)
		cat_err(err, errlen, "out of memory");
	else if (cp->invalid || st != JSPLIT_OK)
		cat_err(err, errlen, "invalid JSON");
	else if (!jsplit_found(&cp->js))
		cat_err(err, errlen, "no data array");
	else
		return 0;
	return -1;
}

static void
cat_pass_close(struct cat_pass *cp)
{
	cpar_stop(cp->par);
	cp->par = NULL;
	sqlite3_finalize(cp->ins);
	sqlite3_finalize(cp->sel);
	sqlite3_finalize(cp->stage);
	sqlite3_finalize(cp->probe);
	sqlite3_finalize(cp->valid);
	cp->ins = cp->sel = cp->stage = cp->probe = cp->valid = NULL;
}

/* Forget the rows a pass read: the scratch tables, staging, the counts. */
static int
cat_pass_clear(struct cat_pass *cp)
{
	cp->entries = cp->skipped = cp->duplicates = 0;
	memset(&cp->looks, 0, sizeof(cp->looks));
	return sqlite3_exec(cp->db, sql_clear_scratch, NULL, NULL, NULL) ==
	    SQLITE_OK && sqlite3_exec(cp->db, "DELETE FROM temp.staging;",
	    NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int
catalog_run(sqlite3 *db, enum cat_format fmt, int check,
    const struct body_src *src, struct catalog_stats *stats,
    struct catalog_shape *shape, enum cat_look *look, char *digest,
    char *err, size_t errlen)
{
	struct catalog_stats	 lstats;
	struct catalog_shape	 lshape;
	struct cat_pass		 cp;
	struct digest_sha256	 dg;
	enum cat_format		 use = fmt;
	enum cat_look		 l;
	sqlite3_stmt		*q = NULL;
	int			 counts[2], staged, in_sp = 0, keep = 0;

	if (stats == NULL)
		stats = &lstats;
	if (shape == NULL)
		shape = &lshape;
	memset(stats, 0, sizeof(*stats));
	memset(shape, 0, sizeof(*shape));
	memset(&cp, 0, sizeof(cp));
	cp.db = db;
	cp.detect_only = check == 2;
	cp.par_want = cp.detect_only || src->len < cat_par_min ? 0 :
	    cat_par_helpers >= 0 ? cat_par_helpers : cpar_helpers();
	if (look != NULL)
		*look = LOOK_NONE;
	cat_err(err, errlen, "%s", "");

	/* A plain parse empties staging first, whatever happens next. */
	if (!cp.detect_only &&
	    (catalog_fn_register(db) == -1 ||
	    sqlite3_exec(db, sql_create, NULL, NULL, NULL) != SQLITE_OK ||
	    (check == 0 && sqlite3_exec(db, "DELETE FROM temp.staging;", NULL,
	    NULL, NULL) != SQLITE_OK) ||
	    sqlite3_exec(db, sql_clear_scratch, NULL, NULL,
	    NULL) != SQLITE_OK)) {
		cat_err(err, errlen, "database error: %s", sqlite3_errmsg(db));
		goto refuse;
	}
	if (!cp.detect_only && cat_sql_raw(fmt) == NULL &&
	    (check == 0 || fmt != FMT_AUTO)) {
		cat_err(err, errlen, "unknown catalog format");
		goto refuse;
	}
	/*
	 * Refused on the length alone. Above SQLITE_LIMIT_LENGTH the body
	 * could not be kept whole as the held response (one blob).
	 */
	if (src->len > INT_MAX ||
	    src->len > (uint64_t)sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1)) {
		cat_err(err, errlen, "body too large");
		goto refuse;
	}
	if (src->len == 0 || (src->mem == NULL && src->fd == -1 &&
	    src->blob == NULL)) {
		cat_err(err, errlen, "invalid JSON");
		goto refuse;
	}

	if (sqlite3_prepare_v2(db, sql_valid, -1, &cp.valid, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(db, sql_probe, -1, &cp.probe,
	    NULL) != SQLITE_OK) {
		cat_err(err, errlen, "database error: %s", sqlite3_errmsg(db));
		goto refuse;
	}
	if (!cp.detect_only) {
		if (sqlite3_exec(db, "SAVEPOINT catalog_parse", NULL, NULL,
		    NULL) != SQLITE_OK)
			goto dberr;
		in_sp = 1;
		/*
		 * A checked parse empties staging only now, in the
		 * savepoint: a plain format's rows go there during the
		 * pass, and a body refused for its format rolls back to
		 * the staging of before.
		 */
		if (check == 1 && sqlite3_exec(db, "DELETE FROM temp.staging;",
		    NULL, NULL, NULL) != SQLITE_OK)
			goto dberr;
		/* Until an object decides, FMT_AUTO reads rows as OpenAI's. */
		cp.decided = fmt != FMT_AUTO;
		if (cat_use(&cp, cp.decided ? fmt : FMT_OPENAI) == -1)
			goto dberr;
	}
	if (digest != NULL) {
		digest_sha256_init(&dg);
		cp.dg = &dg;
	}
	if (cat_pass_run(&cp, src, err, errlen) == -1)
		goto refuse;
	if (digest != NULL)
		digest_sha256_final(&dg, digest);
	cp.dg = NULL;

	if (cp.detect_only)
		*shape = cp.shape;
	else {
		if (sqlite3_prepare_v2(db, sql_shape, -1, &q, NULL) != SQLITE_OK ||
		    sqlite3_step(q) != SQLITE_ROW) {
			sqlite3_finalize(q);
			goto dberr;
		}
		shape->entries = sqlite3_column_int(q, 0) + cp.looks.entries;
		shape->mistral = sqlite3_column_int(q, 1) + cp.looks.mistral;
		shape->openrouter = sqlite3_column_int(q, 2) +
		    cp.looks.openrouter;
		sqlite3_finalize(q);
	}
	l = catalog_look_of(shape);
	if (look != NULL)
		*look = l;
	if (cp.detect_only) {
		cat_pass_close(&cp);
		return 0;
	}
	if (check == 1) {
		/* A body in another format than configured: staging stays as it was. */
		if (catalog_pick_format(fmt, l, &use, err, errlen) == -1) {
			keep = 1;
			goto refuse;
		}
		if (cp.decided && use != cp.fmt) {
			/* The first object misled FMT_AUTO: read the body again. */
			if (cat_pass_clear(&cp) == -1 || cat_use(&cp, use) == -1)
				goto dberr;
			if (cat_pass_run(&cp, src, err, errlen) == -1)
				goto refuse;
		}
	}
	cat_pass_close(&cp);

	/* Mistral's rows are in catalog_raw; a plain format's were counted. */
	if (cat_ints(db, sql_count, counts, 2) == -1)
		goto dberr;
	stats->entries = counts[0] + cp.entries;
	stats->skipped = counts[0] - counts[1] + cp.skipped;
	if (cat_run(db, sql_dedupe, NULL, 0) == -1)
		goto dberr;
	stats->duplicates = sqlite3_changes(db) + cp.duplicates;

	if (use == FMT_MISTRAL) {
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
	cat_err(err, errlen, "database error: %s", cp.dberr ? cp.dbmsg :
	    sqlite3_errmsg(db));
refuse:
	if (cp.dg != NULL)
		digest_sha256_free(cp.dg);
	cat_pass_close(&cp);
	if (in_sp) {
		sqlite3_exec(db, "ROLLBACK TO catalog_parse", NULL, NULL, NULL);
		sqlite3_exec(db, "RELEASE catalog_parse", NULL, NULL, NULL);
	}
	if (!cp.detect_only) {
		if (!keep)
			sqlite3_exec(db, "DELETE FROM temp.staging;", NULL, NULL,
			    NULL);
		sqlite3_exec(db, sql_clear_scratch, NULL, NULL, NULL);
	}
	memset(stats, 0, sizeof(*stats));
	return -1;
}

int
catalog_parse(sqlite3 *db, enum cat_format fmt, const char *body, size_t len,
    struct catalog_stats *stats, char *err, size_t errlen)
{
	struct body_src	 src;

	body_src_mem(&src, body, len);
	return catalog_run(db, fmt, 0, &src, stats, NULL, NULL, NULL, err,
	    errlen);
}

int
catalog_parse_src(sqlite3 *db, enum cat_format fmt, const struct body_src *src,
    struct catalog_stats *stats, char *err, size_t errlen)
{
	return catalog_run(db, fmt, 0, src, stats, NULL, NULL, NULL, err,
	    errlen);
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
