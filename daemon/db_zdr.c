/* db_zdr.c: the SQL of the ZDR source: parse the endpoint list inside SQLite, compare it with the last one, replace it. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_zdr.h"
#include "log.h"

/*
 * The JSON is read only by SQLite's JSON functions and is always bound
 * as ?1, never put into the SQL. Scratch tables live in temp, so that a
 * parse never touches the database file.
 */
static const char zdr_sql_create[] =
	"CREATE TEMP TABLE IF NOT EXISTS zdr_raw("
	" seq INTEGER PRIMARY KEY, slug TEXT);"
	"CREATE TEMP TABLE IF NOT EXISTS zdr_new("
	" slug TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS zdr_had("
	" id TEXT PRIMARY KEY NOT NULL, added_at INTEGER NOT NULL)"
	" WITHOUT ROWID;"
	"DELETE FROM temp.zdr_raw;"
	"DELETE FROM temp.zdr_new;"
	"DELETE FROM temp.zdr_had;";

/* NULL for invalid JSON, else the type of $.data ('' when absent). */
static const char zdr_sql_check[] =
	"SELECT CASE WHEN json_valid(?1)"
	" THEN coalesce(json_type(?1, '$.data'), '') END";

/*
 * One row per element of data: its model_id when that is a string usable
 * as a slug (the rule of catalog ids: 1..255 bytes, printable ASCII
 * without blanks, quotes, commas, '=' or backslashes, so that a slug
 * travels bare in logfmt), else NULL. json_extract() cuts a string at an
 * escaped NUL, so the raw member (->) is checked for one: "a\u0000b" must
 * not pass as "a". length() counts characters, so comparing it with the
 * byte count refuses anything beyond ASCII; the GLOB refuses control
 * bytes and blanks.
 */
static const char zdr_sql_raw[] =
	"INSERT INTO temp.zdr_raw(seq, slug)"
	" SELECT seq, CASE WHEN s IS NOT NULL"
	"  AND length(CAST(s AS BLOB)) BETWEEN 1 AND 255"
	"  AND length(s) = length(CAST(s AS BLOB))"
	"  AND NOT s GLOB '*[^!-~]*'"
	"  AND instr(s, '\"') = 0 AND instr(s, ',') = 0"
	"  AND instr(s, '=') = 0 AND instr(s, '\\') = 0"
	"  THEN s END"
	" FROM (SELECT e.key AS seq,"
	"  CASE WHEN e.type = 'object'"
	"   AND json_type(e.value, '$.model_id') = 'text'"
	"   AND instr(e.value -> '$.model_id', '\\u0000') = 0"
	"   THEN json_extract(e.value, '$.model_id') END AS s"
	"  FROM json_each(?1, '$.data') AS e)";

static const char zdr_sql_new[] =
	"INSERT OR IGNORE INTO temp.zdr_new(slug)"
	" SELECT slug FROM temp.zdr_raw WHERE slug IS NOT NULL ORDER BY seq";

static const char zdr_sql_counts[] =
	"SELECT (SELECT count(*) FROM temp.zdr_raw),"
	" (SELECT count(slug) FROM temp.zdr_raw),"
	" (SELECT count(*) FROM temp.zdr_new)";

/*
 * The models the last apply found with ZDR (state zdr_had, a JSON object
 * {id: added_at}), read once per diff into temp.zdr_had. A value that is
 * not a JSON object (only a hand-edited database has one) counts as
 * empty; nested CASEs, because json_type() raises an error on invalid
 * JSON and AND need not stop at the first false operand.
 */
static const char zdr_sql_had[] =
	"DELETE FROM temp.zdr_had;"
	"INSERT OR IGNORE INTO temp.zdr_had(id, added_at)"
	" SELECT h.key, h.value FROM state AS s, json_each("
	"  CASE WHEN NOT json_valid(s.value) THEN '{}'"
	"   WHEN json_type(s.value) = 'object' THEN s.value"
	"   ELSE '{}' END) AS h"
	" WHERE s.key = 'zdr_had' AND h.type = 'integer';";

/*
 * A synced model's slug, as model_view computes it. A model had ZDR only
 * if a ZDR refresh has ever succeeded (state zdr_last_ok), and then when
 * the last list names its slug, or when the last apply found it with ZDR:
 * a catalog refresh may have changed its slug since, to one the last
 * list never named, and that must still count as a loss. added_at tells
 * a model deleted and added again since from the one that had ZDR.
 */
#define ZDR_SLUG	"coalesce(m.canonical_slug, c.canonical_slug, m.id)"
#define ZDR_HAD \
	" FROM models AS m LEFT JOIN catalog AS c ON c.id = m.id" \
	" WHERE EXISTS (SELECT 1 FROM state WHERE key = 'zdr_last_ok')" \
	"  AND (" ZDR_SLUG " IN (SELECT slug FROM zdr_slugs)" \
	"   OR EXISTS (SELECT 1 FROM temp.zdr_had AS h" \
	"    WHERE h.id = m.id AND h.added_at = m.added_at))"

static const char zdr_sql_with[] =
	"SELECT count(*)" ZDR_HAD;

static const char zdr_sql_losses[] =
	"SELECT m.id, " ZDR_SLUG ", coalesce(m.is_default, 0),"
	" m.status = 'active'" ZDR_HAD
	"  AND " ZDR_SLUG " NOT IN (SELECT slug FROM temp.zdr_new)"
	" ORDER BY m.id";

/*
 * zdr_had is rebuilt whole from the models table at each apply, so a
 * deleted model does not linger in it, and a model that lost ZDR (and
 * was kept, without enforcement) is not reported again.
 */
static const char zdr_sql_replace[] =
	"DELETE FROM zdr_slugs;"
	"INSERT INTO zdr_slugs(slug) SELECT slug FROM temp.zdr_new;"
	"DELETE FROM temp.zdr_new;"
	"INSERT OR REPLACE INTO state(key, value)"
	" SELECT 'zdr_had', json_group_object(id, added_at)"
	" FROM (SELECT m.id AS id, m.added_at AS added_at"
	"  FROM models AS m LEFT JOIN catalog AS c ON c.id = m.id"
	"  WHERE " ZDR_SLUG " IN (SELECT slug FROM zdr_slugs) ORDER BY m.id);";

static const char zdr_sql_reuse[] =
	"INSERT INTO temp.zdr_new(slug) SELECT slug FROM zdr_slugs;";

static void zdr_err(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
zdr_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
zdr_exec(sqlite3 *db, const char *sql, const char *what)
{
	char	*e = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) {
		log_warnx("database: zdr: %s: %s", what,
		    e != NULL ? e : sqlite3_errmsg(db));
		sqlite3_free(e);
		return -1;
	}
	return 0;
}

/* Prepare sql with the body bound to ?1 (when body is not NULL). */
static sqlite3_stmt *
zdr_prepare(sqlite3 *db, const char *sql, const char *body, int len,
    const char *what)
{
	sqlite3_stmt	*st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (body != NULL &&
	    sqlite3_bind_text(st, 1, body, len, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	return st;
fail:
	log_warnx("database: zdr: %s: %s", what, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return NULL;
}

/* Step a statement that returns no rows, and finalize it. */
static int
zdr_run(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		log_warnx("database: zdr: %s: %s", what, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int
db_zdr_parse(sqlite3 *db, const char *body, size_t len, struct zdr_stats *zs,
    char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	const char	*type;
	char		 t[16];
	int		 rc;

	memset(zs, 0, sizeof(*zs));
	if (zdr_exec(db, zdr_sql_create, "scratch tables") == -1) {
		zdr_err(err, errlen, "database error");
		return -1;
	}
	if (len > INT_MAX) {
		zdr_err(err, errlen, "response too large (%zu bytes)", len);
		return -1;
	}
	if ((st = zdr_prepare(db, zdr_sql_check, body, (int)len, "check")) ==
	    NULL)
		goto dberr;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		goto dberr;
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		zdr_err(err, errlen, "the response is not valid JSON");
		goto fail;
	}
	type = (const char *)sqlite3_column_text(st, 0);
	snprintf(t, sizeof(t), "%s", type != NULL ? type : "");
	sqlite3_finalize(st);
	st = NULL;
	if (t[0] == '\0') {
		zdr_err(err, errlen, "the response has no \"data\" member");
		return -1;
	}
	if (strcmp(t, "array") != 0) {
		zdr_err(err, errlen, "the response's \"data\" is not an array "
		    "(it is %s)", t);
		return -1;
	}

	if ((st = zdr_prepare(db, zdr_sql_raw, body, (int)len, "parse")) ==
	    NULL || zdr_run(db, st, "parse") == -1)
		goto dberr_done;
	if (zdr_exec(db, zdr_sql_new, "slugs") == -1)
		goto dberr_done;
	if ((st = zdr_prepare(db, zdr_sql_counts, NULL, 0, "count")) == NULL)
		goto dberr_done;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto dberr;
	zs->entries = sqlite3_column_int(st, 0);
	zs->endpoints = sqlite3_column_int(st, 1);
	zs->skipped = zs->entries - zs->endpoints;
	zs->slugs = sqlite3_column_int(st, 2);
	sqlite3_finalize(st);
	/* The raw rows are no longer needed; the slugs stay for the apply. */
	(void)zdr_exec(db, "DELETE FROM temp.zdr_raw", "scratch");
	return 0;

dberr:
	log_warnx("database: zdr: parse: %s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
dberr_done:
	zdr_err(err, errlen, "database error while parsing the ZDR list");
	(void)zdr_exec(db, "DELETE FROM temp.zdr_raw;"
	    "DELETE FROM temp.zdr_new", "scratch");
	memset(zs, 0, sizeof(*zs));
	return -1;
fail:
	sqlite3_finalize(st);
	return -1;
}

int
db_zdr_diff(sqlite3 *db, int64_t *with_zdr, struct zdr_loss **losses,
    size_t *nlosses)
{
	sqlite3_stmt	*st = NULL;
	struct zdr_loss	*v = NULL, *nv;
	const char	*id, *slug;
	size_t		 n = 0, cap = 0;
	int		 rc;

	*losses = NULL;
	*nlosses = 0;
	if (zdr_exec(db, zdr_sql_had, "the models that had ZDR") == -1)
		return -1;
	if ((st = zdr_prepare(db, zdr_sql_with, NULL, 0, "count")) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		log_warnx("database: zdr: count: %s", sqlite3_errmsg(db));
		goto fail;
	}
	*with_zdr = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);

	if ((st = zdr_prepare(db, zdr_sql_losses, NULL, 0, "losses")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		id = (const char *)sqlite3_column_text(st, 0);
		slug = (const char *)sqlite3_column_text(st, 1);
		if (id == NULL || slug == NULL) {
			log_warnx("database: zdr: losses: out of memory");
			goto fail;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				log_warn("zdr: losses");
				goto fail;
			}
			v = nv;
		}
		/* Ids are at most 255 bytes by the schema; slugs too, by the parse or the catalog. */
		snprintf(v[n].id, sizeof(v[n].id), "%s", id);
		snprintf(v[n].slug, sizeof(v[n].slug), "%s", slug);
		v[n].is_default = sqlite3_column_int(st, 2) == 1;
		v[n].active = sqlite3_column_int(st, 3) == 1;
		n++;
	}
	if (rc != SQLITE_DONE) {
		log_warnx("database: zdr: losses: %s", sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	(void)zdr_exec(db, "DELETE FROM temp.zdr_had", "scratch");
	*losses = v;
	*nlosses = n;
	return 0;
fail:
	sqlite3_finalize(st);
	free(v);
	return -1;
}

int
db_zdr_replace(sqlite3 *db)
{
	return zdr_exec(db, zdr_sql_replace, "replace the ZDR list");
}

int
db_zdr_reuse(sqlite3 *db, struct zdr_stats *zs)
{
	sqlite3_stmt	*st;

	memset(zs, 0, sizeof(*zs));
	if (zdr_exec(db, zdr_sql_create, "scratch tables") == -1 ||
	    zdr_exec(db, zdr_sql_reuse, "the last ZDR list") == -1)
		return -1;
	if ((st = zdr_prepare(db, "SELECT count(*) FROM temp.zdr_new", NULL, 0,
	    "count")) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		log_warnx("database: zdr: count: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	zs->slugs = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/*
 * The held response (issue 6) is one state row, 'zdr_held': a JSON
 * object with the parsed list (slugs, sorted), the losses it would
 * remove (ids, sorted), the counts of its parse, its ETag and the
 * message of the hold. Keeping the parse rather than the body keeps it
 * small, and --force applies exactly what was judged.
 */
#define ZDR_NEW_SLUGS \
	"(SELECT json_group_array(slug) FROM" \
	" (SELECT slug FROM temp.zdr_new ORDER BY slug))"

static const char zdr_sql_held_same[] =
	"SELECT coalesce((SELECT json_extract(value, '$.slugs') = " ZDR_NEW_SLUGS
	"  AND json_extract(value, '$.losses') = json(?1)"
	"  FROM state WHERE key = 'zdr_held' AND json_valid(value)), 0)";

static const char zdr_sql_held_save[] =
	"INSERT OR REPLACE INTO state(key, value) SELECT 'zdr_held',"
	" json_object('endpoints', ?2, 'entries', ?3, 'skipped', ?4,"
	"  'slugs', json(" ZDR_NEW_SLUGS "), 'losses', json(?1),"
	"  'etag', ?5, 'message', ?6)";

static const char zdr_sql_held_load[] =
	"INSERT OR IGNORE INTO temp.zdr_new(slug)"
	" SELECT j.value FROM state AS s, json_each(s.value, '$.slugs') AS j"
	" WHERE s.key = 'zdr_held' AND json_valid(s.value) AND j.type = 'text'";

static const char zdr_sql_held_meta[] =
	"SELECT json_extract(value, '$.endpoints'),"
	" json_extract(value, '$.entries'), json_extract(value, '$.skipped'),"
	" json_extract(value, '$.etag'), json_extract(value, '$.message')"
	" FROM state WHERE key = 'zdr_held' AND json_valid(value)";

/* Models the hold deactivated whose slug the list in zdr_new names again. */
static const char zdr_sql_relisted[] =
	"SELECT m.id, " ZDR_SLUG " FROM models AS m"
	" LEFT JOIN catalog AS c ON c.id = m.id"
	" WHERE m.status = 'inactive' AND m.status_reason = 'zdr_held'"
	"  AND " ZDR_SLUG " IN (SELECT slug FROM temp.zdr_new)"
	" ORDER BY m.id";

int
db_zdr_hold(sqlite3 *db, const struct zdr_stats *zs, const char *losses_json,
    const char *etag, const char *msg, int *changed)
{
	sqlite3_stmt	*st;

	*changed = 0;
	if ((st = zdr_prepare(db, zdr_sql_held_same, NULL, 0, "held")) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, losses_json, -1, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		log_warnx("database: zdr: held: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	*changed = sqlite3_column_int(st, 0) != 1;
	sqlite3_finalize(st);
	if ((st = zdr_prepare(db, zdr_sql_held_save, NULL, 0, "hold")) == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, losses_json, -1, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int(st, 2, zs->endpoints) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, zs->entries) != SQLITE_OK ||
	    sqlite3_bind_int(st, 4, zs->skipped) != SQLITE_OK ||
	    (etag != NULL ? sqlite3_bind_text(st, 5, etag, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 5)) != SQLITE_OK ||
	    sqlite3_bind_text(st, 6, msg, -1, SQLITE_STATIC) != SQLITE_OK) {
		log_warnx("database: zdr: hold: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	return zdr_run(db, st, "hold");
}

int
db_zdr_held_load(sqlite3 *db, struct zdr_stats *zs, char *etag,
    size_t etaglen, char *msg, size_t msglen)
{
	sqlite3_stmt	*st;
	int		 rc;

	memset(zs, 0, sizeof(*zs));
	if (etag != NULL && etaglen > 0)
		etag[0] = '\0';
	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if ((st = zdr_prepare(db, zdr_sql_held_meta, NULL, 0, "held")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return 1;
	}
	if (rc != SQLITE_ROW) {
		log_warnx("database: zdr: held: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	zs->endpoints = sqlite3_column_int(st, 0);
	zs->entries = sqlite3_column_int(st, 1);
	zs->skipped = sqlite3_column_int(st, 2);
	if (etag != NULL && etaglen > 0 &&
	    sqlite3_column_type(st, 3) == SQLITE_TEXT)
		snprintf(etag, etaglen, "%s", sqlite3_column_text(st, 3));
	if (msg != NULL && msglen > 0 &&
	    sqlite3_column_type(st, 4) == SQLITE_TEXT)
		snprintf(msg, msglen, "%s", sqlite3_column_text(st, 4));
	sqlite3_finalize(st);
	if (zdr_exec(db, zdr_sql_create, "scratch tables") == -1 ||
	    zdr_exec(db, zdr_sql_held_load, "the held ZDR list") == -1)
		return -1;
	if ((st = zdr_prepare(db, "SELECT count(*) FROM temp.zdr_new", NULL, 0,
	    "count")) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		log_warnx("database: zdr: count: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	zs->slugs = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int
db_zdr_held_exists(sqlite3 *db, char *msg, size_t msglen)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (msg != NULL && msglen > 0)
		msg[0] = '\0';
	if ((st = zdr_prepare(db, zdr_sql_held_meta, NULL, 0, "held")) == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && msg != NULL && msglen > 0 &&
	    sqlite3_column_type(st, 4) == SQLITE_TEXT)
		snprintf(msg, msglen, "%s", sqlite3_column_text(st, 4));
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_zdr_held_clear(sqlite3 *db)
{
	return zdr_exec(db, "DELETE FROM state WHERE key = 'zdr_held'",
	    "forget the held ZDR list");
}

int
db_zdr_relisted(sqlite3 *db, struct zdr_loss **out, size_t *nout)
{
	sqlite3_stmt	*st;
	struct zdr_loss	*v = NULL, *nv;
	size_t		 n = 0, cap = 0;
	int		 rc;

	*out = NULL;
	*nout = 0;
	if ((st = zdr_prepare(db, zdr_sql_relisted, NULL, 0, "relisted")) ==
	    NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((nv = reallocarray(v, cap, sizeof(*v))) == NULL) {
				log_warn("zdr: relisted");
				goto fail;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		snprintf(v[n].id, sizeof(v[n].id), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		snprintf(v[n].slug, sizeof(v[n].slug), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		n++;
	}
	if (rc != SQLITE_DONE) {
		log_warnx("database: zdr: relisted: %s", sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	*out = v;
	*nout = n;
	return 0;
fail:
	sqlite3_finalize(st);
	free(v);
	return -1;
}
