/* db.c: the SQLite database layer: open, schema migrations, and every SQL statement of the registry. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_int.h"
#include "log.h"
#include "registry.h"

/* Marks a database as ours ('MREG'), so we never migrate someone else's file. */
#define DB_APPLICATION_ID	0x4d524547

/*
 * The schema, one step per version: step i takes user_version i to i+1,
 * in one transaction with the user_version bump. Steps are never edited
 * once released; a change of schema is a new step at the end.
 */
static const char *const db_migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE models ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK(length(id) BETWEEN 1 AND 255),"
	"  name TEXT NOT NULL,"
	"  provider TEXT NOT NULL DEFAULT '',"
	"  description TEXT NOT NULL DEFAULT '',"
	"  context_length INTEGER CHECK(context_length IS NULL OR"
	"    (typeof(context_length) = 'integer' AND context_length >= 0)),"
	"  prompt_price REAL CHECK(prompt_price IS NULL OR"
	"    (typeof(prompt_price) = 'real' AND prompt_price >= 0)),"
	"  completion_price REAL CHECK(completion_price IS NULL OR"
	"    (typeof(completion_price) = 'real' AND completion_price >= 0)),"
	"  features INTEGER NOT NULL DEFAULT 0"
	"    CHECK(typeof(features) = 'integer' AND features >= 0),"
	"  aliases TEXT NOT NULL DEFAULT '[]'"
	"    CHECK(json_valid(aliases) AND json_type(aliases) = 'array'),"
	"  status TEXT NOT NULL CHECK(status IN ('active', 'inactive')),"
	"  is_default INTEGER CHECK(is_default IS NULL OR is_default = 1),"
	"  status_source TEXT NOT NULL"
	"    CHECK(status_source IN ('seed', 'manual', 'auto')),"
	"  added_at INTEGER NOT NULL,"
	"  status_changed_at INTEGER NOT NULL,"
	"  last_seen_at INTEGER,"
	"  CHECK(is_default IS NULL OR status = 'active')"
	");"
	/* At most one default, by the schema: a partial unique index. */
	"CREATE UNIQUE INDEX models_one_default ON models(is_default)"
	"  WHERE is_default = 1;"
	/* Defence in depth: the rules layer refuses first, with a better message. */
	"CREATE TRIGGER models_keep_default BEFORE DELETE ON models"
	"  WHEN OLD.is_default = 1 BEGIN"
	"  SELECT RAISE(ABORT, 'the default model cannot be deleted');"
	"  END;"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  uid INTEGER,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  model TEXT,"
	"  field TEXT,"
	"  old TEXT,"
	"  new TEXT"
	");"
	"CREATE TABLE state ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  value TEXT NOT NULL"
	");"
	"PRAGMA application_id = 1297237319;",	/* DB_APPLICATION_ID */

	/*
	 * 1 -> 2: the discovery catalog, ZDR, uptime samples and events.
	 * ZDR and health are derived (from zdr_slugs and the latest sample),
	 * never copied onto models, so they cannot disagree.
	 */
	"ALTER TABLE models ADD COLUMN canonical_slug TEXT;"
	"ALTER TABLE models ADD COLUMN delisted INTEGER NOT NULL DEFAULT 0"
	"  CHECK(delisted IN (0, 1));"
	/* The discovery catalog: the last good catalog refresh, whole. */
	"CREATE TABLE catalog ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK(length(id) BETWEEN 1 AND 255),"
	"  canonical_slug TEXT,"
	"  name TEXT NOT NULL,"
	"  provider TEXT NOT NULL DEFAULT '',"
	"  description TEXT NOT NULL DEFAULT '',"
	"  context_length INTEGER,"
	"  prompt_price REAL,"
	"  completion_price REAL,"
	"  features INTEGER NOT NULL DEFAULT 0,"
	"  aliases TEXT NOT NULL DEFAULT '[]',"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL"
	");"
	"CREATE INDEX catalog_slug ON catalog(canonical_slug);"
	/* The canonical slugs of the last good ZDR response. */
	"CREATE TABLE zdr_slugs ("
	"  slug TEXT PRIMARY KEY NOT NULL"
	") WITHOUT ROWID;"
	/* Uptime samples; health is green, yellow, red or unknown. */
	"CREATE TABLE uptime_samples ("
	"  model TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  uptime REAL CHECK(uptime IS NULL OR (uptime >= 0 AND uptime <= 100)),"
	"  health TEXT NOT NULL"
	"    CHECK(health IN ('green', 'yellow', 'red', 'unknown'))"
	");"
	"CREATE INDEX uptime_samples_model_at ON uptime_samples(model, at);"
	"CREATE INDEX uptime_samples_at ON uptime_samples(at);"
	/* Events; details is a JSON object. */
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  model TEXT,"
	"  message TEXT NOT NULL,"
	"  details TEXT NOT NULL DEFAULT '{}'"
	"    CHECK(json_valid(details) AND json_type(details) = 'object')"
	");"
	"CREATE INDEX events_at ON events(at);"
	"CREATE INDEX events_kind_at ON events(kind, at);"
	/*
	 * What the read side shows of a model: its row, plus ZDR (null until
	 * a ZDR refresh has succeeded; the slug is the model's, else its
	 * catalog entry's, else its id) and the latest uptime sample.
	 */
	"CREATE VIEW model_view AS SELECT m.*,"
	"  coalesce(m.canonical_slug, c.canonical_slug) AS slug,"
	"  CASE WHEN NOT EXISTS (SELECT 1 FROM state WHERE key = 'zdr_last_ok')"
	"    THEN NULL"
	"    WHEN EXISTS (SELECT 1 FROM zdr_slugs AS z WHERE z.slug ="
	"      coalesce(m.canonical_slug, c.canonical_slug, m.id)) THEN 1"
	"    ELSE 0 END AS zdr,"
	"  coalesce((SELECT s.health FROM uptime_samples AS s WHERE s.model = m.id"
	"    ORDER BY s.at DESC LIMIT 1), 'unknown') AS health,"
	"  (SELECT s.uptime FROM uptime_samples AS s WHERE s.model = m.id"
	"    ORDER BY s.at DESC LIMIT 1) AS uptime_30m"
	"  FROM models AS m LEFT JOIN catalog AS c ON c.id = m.id;",

	/*
	 * 2 -> 3 (issue 6). First, for the ZDR hold: why the daemon set a model's
	 * status, when it did so for a reason it may undo by itself
	 * ('zdr_held': deactivated while a ZDR response is held, reactivated
	 * when a valid list names it again). NULL when there is none; every
	 * status change clears it unless it sets its own. model_view's m.*
	 * shows it.
	 */
	"ALTER TABLE models ADD COLUMN status_reason TEXT"
	"  CHECK(status_reason IS NULL OR"
	"    length(status_reason) BETWEEN 1 AND 64);"
	/*
	 * Also 2 -> 3: what kind of model it is, the catalog's other prices,
	 * and when it expires. expiring_raised and expired_raised hold the
	 * expires_at that model.expiring and model.expired were raised for,
	 * so a restart does not raise them again and a new date re-arms them.
	 * model_view's m.* picks the new columns up.
	 */
	"ALTER TABLE models ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat'"
	"  CHECK(kind IN ('chat', 'embedding', 'moderation', 'ocr', 'image',"
	"  'audio', 'other'));"
	"ALTER TABLE models ADD COLUMN prices TEXT NOT NULL DEFAULT '{}'"
	"  CHECK(json_valid(prices) AND json_type(prices) = 'object');"
	"ALTER TABLE models ADD COLUMN expires_at INTEGER"
	"  CHECK(expires_at IS NULL OR typeof(expires_at) = 'integer');"
	"ALTER TABLE models ADD COLUMN expiring_raised INTEGER;"
	"ALTER TABLE models ADD COLUMN expired_raised INTEGER;"
	"ALTER TABLE catalog ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat';"
	"ALTER TABLE catalog ADD COLUMN prices TEXT NOT NULL DEFAULT '{}';"
	"ALTER TABLE catalog ADD COLUMN expires_at INTEGER;"
	/*
	 * The default is a chat model. A trigger, not a CHECK: a catalog
	 * that reclassifies the default must not make every refresh fail;
	 * what is refused is making a non-chat model the default.
	 */
	"CREATE TRIGGER models_default_is_chat BEFORE UPDATE OF is_default"
	"  ON models WHEN NEW.is_default = 1 AND NEW.kind <> 'chat' BEGIN"
	"  SELECT RAISE(ABORT, 'the default must be a chat model');"
	"  END;"
	"CREATE TRIGGER models_default_is_chat_insert BEFORE INSERT ON models"
	"  WHEN NEW.is_default = 1 AND NEW.kind <> 'chat' BEGIN"
	"  SELECT RAISE(ABORT, 'the default must be a chat model');"
	"  END;",
};
#define DB_VERSION	((int)(sizeof(db_migrations) / sizeof(db_migrations[0])))

/* The columns of a model record, in the order db_row_model() reads them. */
#define MODEL_COLS \
	"id, name, provider, description, context_length, prompt_price," \
	" completion_price, features, aliases, status, is_default," \
	" status_source, added_at, status_changed_at, last_seen_at," \
	" slug, delisted, zdr, health, uptime_30m, status_reason, kind, prices, expires_at"

/*
 * A user's name resolved to one id: the exact id first, else a model that
 * lists the name among its aliases (the smallest such id, so the answer
 * does not depend on the scan order). Expects the name bound to ?1.
 */
#define RESOLVE_SQL \
	"SELECT id FROM (" \
	"  SELECT id, 0 AS pri FROM models WHERE id = ?1" \
	"  UNION ALL" \
	"  SELECT m.id, 1 FROM models AS m, json_each(m.aliases) AS j" \
	"    WHERE j.value = ?1" \
	") ORDER BY pri, id LIMIT 1"

void
db_logerr(sqlite3 *db, const char *what)
{
	log_warnx("database: %s: %s", what, sqlite3_errmsg(db));
}

int
db_exec(sqlite3 *db, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("database: %s", err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

sqlite3_stmt *
db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_logerr(db, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Bind text (NULL binds NULL). The string must outlive the step. */
int
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) == SQLITE_OK ?
	    0 : -1;
}

/* Step a statement that returns no rows, and finalize it. */
int
db_run(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int	 rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		db_logerr(db, what);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Read one integer from a one-row query with no parameters. */
int
db_query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_logerr(db, sql);
		sqlite3_finalize(st);
		return -1;
	}
	*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

const char *
db_coltext(sqlite3_stmt *st, int i)
{
	const unsigned char	*s;

	s = sqlite3_column_text(st, i);
	return s != NULL ? (const char *)s : "";
}

/* Fill m from a row of MODEL_COLS; its pointers live until the next step. */
static void
db_row_model(sqlite3_stmt *st, struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->id = db_coltext(st, 0);
	m->name = db_coltext(st, 1);
	m->provider = db_coltext(st, 2);
	m->description = db_coltext(st, 3);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		m->context_length = sqlite3_column_int64(st, 4);
		m->has_context = 1;
	}
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		m->prompt_price = sqlite3_column_double(st, 5);
		m->has_prompt_price = 1;
	}
	if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
		m->completion_price = sqlite3_column_double(st, 6);
		m->has_completion_price = 1;
	}
	m->features = (unsigned)sqlite3_column_int64(st, 7);
	m->aliases = db_coltext(st, 8);
	m->active = strcmp(db_coltext(st, 9), "active") == 0;
	m->is_default = sqlite3_column_int(st, 10) == 1;
	m->status_source = db_coltext(st, 11);
	m->added_at = sqlite3_column_int64(st, 12);
	m->status_changed_at = sqlite3_column_int64(st, 13);
	m->last_seen_at = sqlite3_column_int64(st, 14);
	m->canonical_slug = sqlite3_column_type(st, 15) == SQLITE_NULL ? NULL :
	    db_coltext(st, 15);
	m->delisted = sqlite3_column_int(st, 16) == 1;
	m->zdr = sqlite3_column_type(st, 17) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 17) == 1;
	m->health = db_coltext(st, 18);
	if (sqlite3_column_type(st, 19) != SQLITE_NULL) {
		m->uptime_30m = sqlite3_column_double(st, 19);
		m->has_uptime = 1;
	}
	m->status_reason = sqlite3_column_type(st, 20) == SQLITE_NULL ? NULL :
	    db_coltext(st, 20);
	m->kind = db_coltext(st, 21);
	m->prices = db_coltext(st, 22);
	if (sqlite3_column_type(st, 23) != SQLITE_NULL)
		m->expires_at = sqlite3_column_int64(st, 23);
}

/* Step st, handing every row to cb. Returns the number of rows, or -1. Finalizes st. */
static int
db_each_model(sqlite3 *db, sqlite3_stmt *st, db_model_cb cb, void *arg)
{
	struct model	 m;
	int		 rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		db_row_model(st, &m);
		if (cb(&m, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read models");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

/* Run the migration steps from the current user_version to DB_VERSION. */
static int
db_migrate(sqlite3 *db, const char *path)
{
	int64_t		 version, appid, objects;
	char		 sql[64];

	for (;;) {
		/* Read the version inside the write lock: another process may migrate too. */
		if (db_exec(db, "BEGIN IMMEDIATE") == -1)
			return -1;
		if (db_query_int(db, "PRAGMA user_version", &version) == -1 ||
		    db_query_int(db, "PRAGMA application_id", &appid) == -1 ||
		    db_query_int(db, "SELECT count(*) FROM sqlite_schema",
		    &objects) == -1)
			goto fail;
		if (version > DB_VERSION) {
			log_err("%s: schema version %lld is newer than this "
			    "modelregd knows (%d): refusing to use it",
			    path, (long long)version, DB_VERSION);
			goto fail;
		}
		if (version < 0 || (appid != DB_APPLICATION_ID &&
		    (version > 0 || appid != 0 || objects > 0))) {
			log_err("%s: not a modelreg database", path);
			goto fail;
		}
		if (version == DB_VERSION)
			break;
		log_info("%s: migrating the schema from version %lld to %lld",
		    path, (long long)version, (long long)version + 1);
		if (db_exec(db, db_migrations[version]) == -1)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
		    (long long)version + 1);
		if (db_exec(db, sql) == -1)
			goto fail;
		if (db_exec(db, "COMMIT") == -1)
			goto fail;
	}
	return db_exec(db, "COMMIT");
fail:
	db_rollback(db);
	return -1;
}

sqlite3 *
db_open(const char *path)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st;
	int		 rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_err("%s: cannot open the database: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	/* Harden: no schema tricks, no double-quoted string literals. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
	sqlite3_busy_timeout(db, 5000);

	/*
	 * The first statement reads the file header: a file that is not a
	 * database fails here, with SQLite's "file is not a database".
	 */
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK)
		goto bad;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		goto bad;
	}
	if (strcmp(path, ":memory:") != 0 &&
	    strcmp(db_coltext(st, 0), "wal") != 0)
		log_warnx("%s: journal mode is %s, not wal", path,
		    db_coltext(st, 0));
	sqlite3_finalize(st);

	/*
	 * In WAL mode synchronous=NORMAL may lose the last commits on power
	 * loss; FULL syncs the WAL at every commit, so a change we answered
	 * OK to is on disk.
	 */
	if (db_exec(db, "PRAGMA synchronous = FULL") == -1 ||
	    db_exec(db, "PRAGMA foreign_keys = ON") == -1)
		goto bad;
	if (db_migrate(db, path) == -1)
		goto fail;
	return db;
bad:
	log_err("%s: cannot use the database: %s", path, sqlite3_errmsg(db));
fail:
	db_close(db);
	return NULL;
}

void
db_close(sqlite3 *db)
{
	sqlite3_stmt	*st;

	if (db == NULL)
		return;
	/* Every statement is finalized where it is used; one left here is a bug, but must not keep the file open. */
	while ((st = sqlite3_next_stmt(db, NULL)) != NULL) {
		log_warnx("database: finalizing a leftover statement: %s",
		    sqlite3_sql(st));
		sqlite3_finalize(st);
	}
	if (sqlite3_close(db) != SQLITE_OK)
		log_err("database: close: %s", sqlite3_errmsg(db));
}

int
db_schema_version(sqlite3 *db)
{
	int64_t	 v;

	if (db_query_int(db, "PRAGMA user_version", &v) == -1)
		return -1;
	return (int)v;
}

int
db_begin(sqlite3 *db)
{
	return db_exec(db, "BEGIN IMMEDIATE");
}

int
db_commit(sqlite3 *db)
{
	return db_exec(db, "COMMIT");
}

void
db_rollback(sqlite3 *db)
{
	/* A failed COMMIT may already have rolled back: then there is nothing to do. */
	if (!sqlite3_get_autocommit(db))
		(void)db_exec(db, "ROLLBACK");
}

int
db_state_set(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt	*st;

	if (value == NULL)
		st = db_prepare(db, "DELETE FROM state WHERE key = ?1");
	else
		st = db_prepare(db, "INSERT INTO state(key, value)"
		    " VALUES (?1, ?2)"
		    " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, key) == -1 ||
	    (value != NULL && db_bind_text(st, 2, value) == -1)) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "state");
}

int
db_state_set_once(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "INSERT INTO state(key, value) VALUES (?1, ?2)"
	    " ON CONFLICT(key) DO NOTHING");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, key) == -1 || db_bind_text(st, 2, value) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "state");
}

char *
db_state_get(sqlite3 *db, const char *key)
{
	sqlite3_stmt	*st;
	char		*v = NULL;
	int		 rc;

	if ((st = db_prepare(db, "SELECT value FROM state WHERE key = ?1")) ==
	    NULL)
		return NULL;
	if (db_bind_text(st, 1, key) == -1)
		goto done;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((v = strdup(db_coltext(st, 0))) == NULL)
			log_warn("database: state");
	} else if (rc != SQLITE_DONE)
		db_logerr(db, "state");
done:
	sqlite3_finalize(st);
	return v;
}

/* Run st (which selects id, status, is_default) into ref: 0, 1 no row, -1. Finalizes st. */
static int
db_ref_step(sqlite3 *db, sqlite3_stmt *st, struct db_modelref *ref)
{
	const char	*id;
	int		 rc, r = -1;

	memset(ref, 0, sizeof(*ref));
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 1;
	else if (rc != SQLITE_ROW)
		db_logerr(db, "find model");
	else {
		id = db_coltext(st, 0);
		if (strlen(id) >= sizeof(ref->id))
			log_warnx("database: model id too long");
		else {
			memcpy(ref->id, id, strlen(id) + 1);
			ref->active = strcmp(db_coltext(st, 1), "active") == 0;
			ref->is_default = sqlite3_column_int(st, 2) == 1;
			r = 0;
		}
	}
	sqlite3_finalize(st);
	return r;
}

int
db_model_resolve(sqlite3 *db, const char *name, struct db_modelref *ref)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "SELECT id, status, is_default FROM models"
	    " WHERE id = (" RESOLVE_SQL ")");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_ref_step(db, st, ref);
}

int
db_model_lookup(sqlite3 *db, const char *id, struct db_modelref *ref)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "SELECT id, status, is_default FROM models"
	    " WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_ref_step(db, st, ref);
}

int
db_model_default(sqlite3 *db, struct db_modelref *ref)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "SELECT id, status, is_default FROM models"
	    " WHERE is_default = 1");
	if (st == NULL)
		return -1;
	return db_ref_step(db, st, ref);
}

/* Step st (selecting kind, expires_at) into kind and expires_at: 0, 1 no row, -1. Finalizes st. */
static int
db_kind_step(sqlite3 *db, sqlite3_stmt *st, char *kind, size_t klen,
    int64_t *expires_at)
{
	int	 rc, r = -1;

	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 1;
	else if (rc != SQLITE_ROW)
		db_logerr(db, "model kind");
	else {
		snprintf(kind, klen, "%s", db_coltext(st, 0));
		*expires_at = sqlite3_column_type(st, 1) == SQLITE_NULL ? 0 :
		    sqlite3_column_int64(st, 1);
		r = 0;
	}
	sqlite3_finalize(st);
	return r;
}

int
db_model_kind(sqlite3 *db, const char *id, char *kind, size_t klen,
    int64_t *expires_at)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "SELECT kind, expires_at FROM models WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_kind_step(db, st, kind, klen, expires_at);
}

int
db_staging_kind(sqlite3 *db, const char *id, char *kind, size_t klen,
    int64_t *expires_at)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "SELECT kind, expires_at FROM ("
	    " SELECT kind, expires_at, 0 AS pri FROM temp.staging WHERE id = ?1"
	    " UNION ALL"
	    " SELECT kind, expires_at, 1 FROM models WHERE id = ?1)"
	    " ORDER BY pri LIMIT 1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_kind_step(db, st, kind, klen, expires_at);
}

int
db_model_set_status(sqlite3 *db, const char *id, int active,
    const char *source, int64_t now)
{
	sqlite3_stmt	*st;

	/* A status set without a reason clears the reason of the last one. */
	st = db_prepare(db, "UPDATE models SET status = ?2,"
	    " status_source = ?3, status_changed_at = ?4,"
	    " status_reason = NULL WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, active ? "active" : "inactive") == -1 ||
	    db_bind_text(st, 3, source) == -1 ||
	    sqlite3_bind_int64(st, 4, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "set status");
}

int
db_model_set_status_reason(sqlite3 *db, const char *id, const char *reason)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "UPDATE models SET status_reason = ?2 WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 || db_bind_text(st, 2, reason) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "set status reason");
}

int
db_model_clear_default(sqlite3 *db)
{
	return db_exec(db, "UPDATE models SET is_default = NULL"
	    " WHERE is_default = 1");
}

int
db_model_set_default(sqlite3 *db, const char *id)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "UPDATE models SET is_default = 1 WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "set default") == -1)
		return -1;
	if (sqlite3_changes(db) != 1) {
		log_warnx("database: set default: no model %s", id);
		return -1;
	}
	return 0;
}

int
db_bind_actor(sqlite3_stmt *st, int iuid, int iuser, const struct actor *a)
{
	if (sqlite3_bind_int64(st, iuid, (int64_t)a->uid) != SQLITE_OK)
		return -1;
	return db_bind_text(st, iuser, a->user != NULL ? a->user : "unknown");
}

int
db_model_delete(sqlite3 *db, const char *id, int64_t now,
    const struct actor *a)
{
	sqlite3_stmt	*st;

	/* The whole row goes into the audit log, so a deletion can be undone by hand. */
	st = db_prepare(db, "INSERT INTO audit(at, uid, actor, action, model,"
	    " field, old, new) SELECT ?2, ?3, ?4, 'delete', id, NULL,"
	    " json_object('name', name, 'provider', provider,"
	    "  'description', description, 'context_length', context_length,"
	    "  'prompt_price', prompt_price, 'completion_price',"
	    "  completion_price, 'features', features,"
	    "  'aliases', json(aliases), 'status', status,"
	    "  'status_source', status_source, 'added_at', added_at,"
	    "  'status_changed_at', status_changed_at,"
	    "  'last_seen_at', last_seen_at, 'kind', kind,"
	    "  'prices', json(prices), 'expires_at', expires_at), NULL"
	    " FROM models WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    db_bind_actor(st, 3, 4, a) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "audit delete") == -1)
		return -1;
	if ((st = db_prepare(db, "DELETE FROM models WHERE id = ?1")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "delete") == -1)
		return -1;
	if (sqlite3_changes(db) != 1) {
		log_warnx("database: delete: no model %s", id);
		return -1;
	}
	return 0;
}

int
db_model_show(sqlite3 *db, const char *name, db_model_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 n;

	st = db_prepare(db, "SELECT " MODEL_COLS " FROM model_view"
	    " WHERE id = (" RESOLVE_SQL ")");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if ((n = db_each_model(db, st, cb, arg)) == -1)
		return -1;
	return n == 0 ? 1 : 0;
}

int
db_model_show_default(sqlite3 *db, db_model_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 n;

	st = db_prepare(db, "SELECT " MODEL_COLS " FROM model_view"
	    " WHERE is_default = 1");
	if (st == NULL)
		return -1;
	if ((n = db_each_model(db, st, cb, arg)) == -1)
		return -1;
	return n == 0 ? 1 : 0;
}

const char *
db_sort_sql(enum reg_sort sort)
{
	switch (sort) {
	case SORT_NAME:
		return "name COLLATE NOCASE ";
	case SORT_PROVIDER:
		return "provider COLLATE NOCASE ";
	case SORT_CONTEXT:
		/* Unknown numbers last, in both directions. */
		return "context_length IS NULL, context_length ";
	case SORT_PRICE:
		return "prompt_price IS NULL, prompt_price ";
	case SORT_STATUS:
		/* 'active' < 'inactive': ascending puts active first. */
		return "status ";
	}
	return NULL;
}

int
db_filter_sql(struct buf *sql, const char *tbl, const char *provider,
    const char *search)
{
	if (provider != NULL &&
	    buf_puts(sql, " AND provider = :provider COLLATE NOCASE") == -1)
		return -1;
	/* instr(), not LIKE: % and _ in the user's text are plain characters. */
	if (search != NULL && buf_printf(sql,
	    " AND (instr(lower(id), lower(:search)) > 0"
	    " OR instr(lower(name), lower(:search)) > 0"
	    " OR instr(lower(provider), lower(:search)) > 0"
	    " OR instr(lower(description), lower(:search)) > 0"
	    " OR EXISTS (SELECT 1 FROM json_each(%s.aliases) AS j"
	    "  WHERE instr(lower(j.value), lower(:search)) > 0))", tbl) == -1)
		return -1;
	return 0;
}

int
db_bind_filters(sqlite3_stmt *st, const char *provider, const char *search)
{
	int	 i;

	if ((i = sqlite3_bind_parameter_index(st, ":provider")) > 0 &&
	    db_bind_text(st, i, provider) == -1)
		return -1;
	if ((i = sqlite3_bind_parameter_index(st, ":search")) > 0 &&
	    db_bind_text(st, i, search) == -1)
		return -1;
	return 0;
}

int
db_bind_kind(sqlite3_stmt *st, const char *kind)
{
	int	 i;

	if ((i = sqlite3_bind_parameter_index(st, ":kind")) > 0 &&
	    db_bind_text(st, i, kind) == -1)
		return -1;
	return 0;
}

/*
 * LIST's query, built only from the fixed fragments below; the user's
 * text is always bound, never put into the SQL. Unknown numbers sort last
 * in both directions; ties go by id.
 */
int
db_models_list(sqlite3 *db, const struct list_query *q, db_model_cb cb,
    void *arg)
{
	struct buf	 sql = { 0 };
	sqlite3_stmt	*st = NULL;
	const char	*dir, *order;

	/* Ties always go by ascending id, whatever the direction. */
	dir = q->desc ? "DESC" : "ASC";
	if ((order = db_sort_sql(q->sort)) == NULL) {
		log_warnx("database: list: bad sort key %d", (int)q->sort);
		return -1;
	}
	if (buf_puts(&sql, "SELECT " MODEL_COLS " FROM model_view WHERE 1") == -1)
		goto nomem;
	switch (q->status) {
	case RS_ALL:
		break;
	case RS_ACTIVE:
		if (buf_puts(&sql, " AND status = 'active'") == -1)
			goto nomem;
		break;
	case RS_INACTIVE:
		if (buf_puts(&sql, " AND status = 'inactive'") == -1)
			goto nomem;
		break;
	default:
		log_warnx("database: list: bad status filter %d",
		    (int)q->status);
		goto fail;
	}
	if (db_filter_sql(&sql, "model_view", q->provider, q->search) == -1)
		goto nomem;
	if (q->kind != NULL && buf_puts(&sql, " AND kind = :kind") == -1)
		goto nomem;
	if (buf_puts(&sql, " ORDER BY ") == -1 ||
	    buf_puts(&sql, order) == -1 || buf_puts(&sql, dir) == -1 ||
	    buf_puts(&sql, ", id") == -1)
		goto nomem;

	if ((st = db_prepare(db, sql.data)) == NULL)
		goto fail;
	if (db_bind_filters(st, q->provider, q->search) == -1 ||
	    db_bind_kind(st, q->kind) == -1)
		goto fail;
	buf_free(&sql);
	return db_each_model(db, st, cb, arg) == -1 ? -1 : 0;
nomem:
	log_warnx("database: list: out of memory");
fail:
	sqlite3_finalize(st);
	buf_free(&sql);
	return -1;
}

int
db_model_counts(sqlite3 *db, int64_t *models, int64_t *active)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "SELECT count(*),"
	    " coalesce(sum(status = 'active'), 0) FROM models");
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_logerr(db, "count models");
		sqlite3_finalize(st);
		return -1;
	}
	*models = sqlite3_column_int64(st, 0);
	*active = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	return 0;
}

int
db_audit(sqlite3 *db, int64_t at, const struct actor *a, const char *action,
    const char *model, const char *field, const char *oldv, const char *newv)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "INSERT INTO audit(at, uid, actor, action, model,"
	    " field, old, new) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, at) != SQLITE_OK ||
	    db_bind_actor(st, 2, 3, a) == -1 ||
	    db_bind_text(st, 4, action) == -1 ||
	    db_bind_text(st, 5, model) == -1 ||
	    db_bind_text(st, 6, field) == -1 ||
	    db_bind_text(st, 7, oldv) == -1 ||
	    db_bind_text(st, 8, newv) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "audit");
}

int
db_staging_count(sqlite3 *db, int64_t *n)
{
	int64_t	 exists;

	*n = 0;
	if (db_query_int(db, "SELECT count(*) FROM temp.sqlite_schema"
	    " WHERE type = 'table' AND name = 'staging'", &exists) == -1)
		return -1;
	if (exists == 0)
		return 0;
	return db_query_int(db, "SELECT count(*) FROM temp.staging", n);
}

int
db_seed_find(sqlite3 *db, const char *name, char *id, size_t idlen,
    int *staged)
{
	sqlite3_stmt	*st;
	const char	*s;
	int		 rc, r = -1;

	/* The catalog first, so a name names what the source lists now. */
	st = db_prepare(db, "SELECT id, staged FROM ("
	    "  SELECT id, 1 AS staged, 0 AS pri FROM temp.staging WHERE id = ?1"
	    "  UNION ALL"
	    "  SELECT s.id, 1, 1 FROM temp.staging AS s, json_each(s.aliases) AS j"
	    "    WHERE j.value = ?1"
	    "  UNION ALL"
	    "  SELECT id, 0, 2 FROM models WHERE id = ?1"
	    "  UNION ALL"
	    "  SELECT m.id, 0, 3 FROM models AS m, json_each(m.aliases) AS j"
	    "    WHERE j.value = ?1"
	    ") ORDER BY pri, id LIMIT 1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1)
		goto done;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 1;
	else if (rc != SQLITE_ROW)
		db_logerr(db, "seed: find model");
	else {
		s = db_coltext(st, 0);
		if (strlen(s) >= idlen)
			log_warnx("database: seed: model id too long");
		else {
			memcpy(id, s, strlen(s) + 1);
			*staged = sqlite3_column_int(st, 1);
			r = 0;
		}
	}
done:
	sqlite3_finalize(st);
	return r;
}

int
db_seed_rules_reset(sqlite3 *db)
{
	if (db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS seed_rule("
	    "id TEXT PRIMARY KEY NOT NULL, active INTEGER NOT NULL)") == -1)
		return -1;
	return db_exec(db, "DELETE FROM temp.seed_rule");
}

int
db_seed_rule_set(sqlite3 *db, const char *id, int active)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "INSERT INTO temp.seed_rule(id, active)"
	    " VALUES (?1, ?2)"
	    " ON CONFLICT(id) DO UPDATE SET active = excluded.active");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 ||
	    sqlite3_bind_int(st, 2, active ? 1 : 0) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "seed rule");
}

/* Run a statement binding now to ?1 and, if it has them, the actor to ?2 (uid) and ?3 (user). */
int
db_run_now(sqlite3 *db, const char *sql, int64_t now, const struct actor *a,
    const char *what)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(st) >= 3 &&
	    db_bind_actor(st, 2, 3, a) == -1)) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, what);
}

/* One audit row per changed field of a registered, staged model. */
#define SEED_FIELD(f) \
	"SELECT ?1, ?2, ?3, 'seed.update', m.id, '" f "', m." f ", s." f \
	" FROM models AS m JOIN temp.staging AS s ON s.id = m.id" \
	" WHERE m." f " IS NOT s." f

#define SEED_CHANGED \
	"m.name IS NOT s.name OR m.provider IS NOT s.provider" \
	" OR m.description IS NOT s.description" \
	" OR m.context_length IS NOT s.context_length" \
	" OR m.prompt_price IS NOT s.prompt_price" \
	" OR m.completion_price IS NOT s.completion_price" \
	" OR m.features IS NOT s.features OR m.aliases IS NOT s.aliases" \
	" OR m.kind IS NOT s.kind OR m.prices IS NOT s.prices" \
	" OR m.expires_at IS NOT s.expires_at"

int
db_seed_update(sqlite3 *db, int64_t now, const struct actor *a, int *changed)
{
	int64_t	 n;

	if (db_query_int(db, "SELECT count(*) FROM models AS m"
	    " JOIN temp.staging AS s ON s.id = m.id WHERE " SEED_CHANGED,
	    &n) == -1)
		return -1;
	*changed = (int)n;
	if (db_run_now(db, "INSERT INTO audit(at, uid, actor, action, model,"
	    " field, old, new) "
	    SEED_FIELD("name") " UNION ALL "
	    SEED_FIELD("provider") " UNION ALL "
	    SEED_FIELD("description") " UNION ALL "
	    SEED_FIELD("context_length") " UNION ALL "
	    SEED_FIELD("prompt_price") " UNION ALL "
	    SEED_FIELD("completion_price") " UNION ALL "
	    SEED_FIELD("features") " UNION ALL "
	    SEED_FIELD("aliases") " UNION ALL "
	    SEED_FIELD("kind") " UNION ALL "
	    SEED_FIELD("prices") " UNION ALL "
	    SEED_FIELD("expires_at"), now, a, "seed: audit updates") == -1)
		return -1;
	return db_run_now(db, "UPDATE models SET name = s.name,"
	    " provider = s.provider, description = s.description,"
	    " context_length = s.context_length, prompt_price = s.prompt_price,"
	    " completion_price = s.completion_price, features = s.features,"
	    " aliases = s.aliases, kind = s.kind, prices = s.prices,"
	    " expires_at = s.expires_at,"
	    " canonical_slug = coalesce(s.canonical_slug, models.canonical_slug),"
	    " last_seen_at = ?1"
	    " FROM temp.staging AS s WHERE models.id = s.id", now, a, "seed: update models");
}

int
db_seed_add(sqlite3 *db, int64_t now, int new_active, const struct actor *a,
    int *added)
{
	sqlite3_stmt	*st;

	/* Audit first: afterwards the new rows cannot be told from the old. */
	st = db_prepare(db, "INSERT INTO audit(at, uid, actor, action, model,"
	    " field, old, new)"
	    " SELECT ?1, ?2, ?3, 'seed.add', s.id, 'status', NULL,"
	    "  CASE coalesce(r.active, ?4) WHEN 1 THEN 'active'"
	    "  ELSE 'inactive' END"
	    " FROM temp.staging AS s LEFT JOIN temp.seed_rule AS r"
	    "  ON r.id = s.id"
	    " WHERE NOT EXISTS (SELECT 1 FROM models AS m WHERE m.id = s.id)"
	    " ORDER BY s.id");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    db_bind_actor(st, 2, 3, a) == -1 ||
	    sqlite3_bind_int(st, 4, new_active ? 1 : 0) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "seed: audit additions") == -1)
		return -1;

	st = db_prepare(db, "INSERT INTO models(id, name, provider,"
	    " description, context_length, prompt_price, completion_price,"
	    " features, aliases, canonical_slug, kind, prices, expires_at,"
	    " status, is_default,"
	    " status_source, added_at, status_changed_at, last_seen_at)"
	    " SELECT s.id, s.name, s.provider, s.description, s.context_length,"
	    "  s.prompt_price, s.completion_price, s.features, s.aliases,"
	    "  s.canonical_slug, s.kind, s.prices, s.expires_at,"
	    "  CASE coalesce(r.active, ?2) WHEN 1 THEN 'active'"
	    "  ELSE 'inactive' END, NULL, 'seed', ?1, ?1, ?1"
	    " FROM temp.staging AS s LEFT JOIN temp.seed_rule AS r"
	    "  ON r.id = s.id"
	    " WHERE NOT EXISTS (SELECT 1 FROM models AS m WHERE m.id = s.id)"
	    " ORDER BY s.id");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, new_active ? 1 : 0) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "seed: add models") == -1)
		return -1;
	*added = sqlite3_changes(db);
	return 0;
}

/* The due condition of each expiry event: ?1 now, ?2 the warning in seconds. */
#define EXPIRING_DUE \
	"expires_at IS NOT NULL AND expires_at > ?1 AND ?2 > 0" \
	" AND expires_at - ?2 <= ?1 AND expiring_raised IS NOT expires_at"
#define EXPIRED_DUE \
	"expires_at IS NOT NULL AND expires_at <= ?1 AND status = 'active'" \
	" AND expired_raised IS NOT expires_at"

int
db_expiry_each(sqlite3 *db, int64_t now, int64_t warning, db_expiry_cb cb,
    void *arg)
{
	struct db_expiry	 e;
	sqlite3_stmt		*st;
	int			 rc;

	st = db_prepare(db, "SELECT id, 'expiring', expires_at, is_default,"
	    " status = 'active' FROM models WHERE " EXPIRING_DUE
	    " UNION ALL SELECT id, 'expired', expires_at, is_default,"
	    " 1 FROM models WHERE " EXPIRED_DUE
	    " ORDER BY 3, 1");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, warning) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.id = db_coltext(st, 0);
		e.which = db_coltext(st, 1);
		e.expires_at = sqlite3_column_int64(st, 2);
		e.is_default = sqlite3_column_int(st, 3) == 1;
		e.active = sqlite3_column_int(st, 4) == 1;
		if (cb(&e, arg) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "expiry");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int
db_expiry_mark(sqlite3 *db, const char *id, const char *which,
    int64_t expires_at)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, strcmp(which, "expired") == 0 ?
	    "UPDATE models SET expired_raised = ?2 WHERE id = ?1" :
	    "UPDATE models SET expiring_raised = ?2 WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 ||
	    sqlite3_bind_int64(st, 2, expires_at) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "expiry mark");
}

int
db_expiry_next(sqlite3 *db, int64_t now, int64_t warning, int64_t *next)
{
	sqlite3_stmt	*st;
	int		 rc;

	/* When the warning window opens, and when the model expires. */
	st = db_prepare(db, "SELECT min(t) FROM ("
	    " SELECT expires_at - ?2 AS t FROM models WHERE ?2 > 0"
	    "  AND expires_at - ?2 > ?1 AND expiring_raised IS NOT expires_at"
	    " UNION ALL SELECT expires_at FROM models WHERE expires_at > ?1"
	    "  AND expired_raised IS NOT expires_at)");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, warning) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_logerr(db, "expiry next");
		sqlite3_finalize(st);
		return -1;
	}
	*next = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 :
	    sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}
