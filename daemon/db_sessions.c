/* db_sessions.c: the SQL of RESOLVE's batched writes: upserts of sessions and counts, keys' last use, and reading them back at start. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "db_sessions.h"
#include "log.h"

#define DB_BUSY_MS	5000	/* db_open's busy timeout, put back after a batch */

int
db_batch_begin(sqlite3 *db)
{
	int	 rc;

	/*
	 * The loop must never wait in the busy handler (an import holds the
	 * write lock for seconds): a busy database is tried again at the
	 * next flush.
	 */
	sqlite3_busy_timeout(db, 0);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_busy_timeout(db, DB_BUSY_MS);
	if (rc == SQLITE_OK)
		return 0;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return 1;
	db_logerr(db, "begin the batch");
	return -1;
}

int
db_batch_commit(sqlite3 *db)
{
	int	 rc;

	db_generation_quiet(1);
	rc = db_commit(db);
	db_generation_quiet(0);
	if (rc == -1)
		db_rollback(db);
	return rc;
}

static int
step_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int	 rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		db_logerr(db, what);
	db_stmt_done(db, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_session_put(sqlite3 *db, int64_t key, const char *sid, const char *model,
    int64_t renewed_at, int orphan)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, DB_STMT_SESSION_PUT, "INSERT INTO sessions(key_id,"
	    " id, model, renewed_at, orphan) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (key_id, id) DO UPDATE SET model = excluded.model,"
	    " renewed_at = excluded.renewed_at, orphan = excluded.orphan"))
	    == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    db_bind_text(st, 2, sid) == -1 || db_bind_text(st, 3, model) == -1 ||
	    sqlite3_bind_int64(st, 4, renewed_at) != SQLITE_OK ||
	    sqlite3_bind_int(st, 5, orphan != 0) != SQLITE_OK) {
		db_stmt_done(db, st);
		return -1;
	}
	return step_done(db, st, "write a session");
}

int
db_session_del(sqlite3 *db, int64_t key, const char *sid)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, DB_STMT_SESSION_DEL, "DELETE FROM sessions"
	    " WHERE key_id = ?1 AND id = ?2")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    db_bind_text(st, 2, sid) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	return step_done(db, st, "end a session");
}

int
db_sessions_prune(sqlite3 *db, int64_t before)
{
	sqlite3_stmt	*st;

	/* sessions_renewed: a range of the index, not a scan. */
	if ((st = db_stmt(db, DB_STMT_SESSION_PRUNE, "DELETE FROM sessions"
	    " WHERE renewed_at <= ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, before) != SQLITE_OK) {
		db_stmt_done(db, st);
		return -1;
	}
	return step_done(db, st, "prune sessions");
}

int
db_rcount_add(sqlite3 *db, const char *model, int64_t key, const char *reason,
    uint64_t n, int64_t at)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, DB_STMT_RCOUNT_ADD, "INSERT INTO resolve_counts("
	    "model, key_id, reason, n, last_at) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT (model, key_id, reason) DO UPDATE SET"
	    " n = n + excluded.n, last_at = max(last_at, excluded.last_at)"))
	    == NULL)
		return -1;
	if (db_bind_text(st, 1, model) == -1 ||
	    sqlite3_bind_int64(st, 2, key) != SQLITE_OK ||
	    db_bind_text(st, 3, reason) == -1 ||
	    sqlite3_bind_int64(st, 4, (int64_t)n) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, at) != SQLITE_OK) {
		db_stmt_done(db, st);
		return -1;
	}
	return step_done(db, st, "write RESOLVE's counts");
}

int
db_key_used(sqlite3 *db, int64_t key, int64_t at)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, DB_STMT_KEY_USED, "UPDATE api_keys SET"
	    " last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR"
	    " last_used_at < ?2)")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, at) != SQLITE_OK) {
		db_stmt_done(db, st);
		return -1;
	}
	return step_done(db, st, "a key's last use");
}

int
db_sessions_load(sqlite3 *db, int64_t since,
    int (*cb)(void *, int64_t, const char *, const char *, int64_t, int),
    void *arg)
{
	sqlite3_stmt	*st;
	int		 rc, r = 0;

	/* Oldest renewal first: the table's order of expiry. */
	if ((st = db_prepare(db, "SELECT key_id, id, model, renewed_at, orphan"
	    " FROM sessions WHERE renewed_at > ?1 ORDER BY renewed_at")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, since) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(arg, sqlite3_column_int64(st, 0), db_coltext(st, 1),
		    db_coltext(st, 2), sqlite3_column_int64(st, 3),
		    sqlite3_column_int(st, 4)) == -1) {
			r = -1;
			break;
		}
	if (r == 0 && rc != SQLITE_DONE) {
		db_logerr(db, "read the sessions");
		r = -1;
	}
	sqlite3_finalize(st);
	return r;
}

int
db_rcounts_load(sqlite3 *db,
    int (*model_cb)(void *, const char *, const char *, uint64_t),
    int (*key_cb)(void *, int64_t, const char *, uint64_t, int64_t),
    void *arg)
{
	sqlite3_stmt	*st;
	int		 rc, r = 0;

	/* Once at start: the primary key's order groups by model. */
	if ((st = db_prepare(db, "SELECT model, reason, sum(n) FROM"
	    " resolve_counts GROUP BY model, reason")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (model_cb(arg, db_coltext(st, 0), db_coltext(st, 1),
		    (uint64_t)sqlite3_column_int64(st, 2)) == -1) {
			r = -1;
			break;
		}
	if (r == 0 && rc != SQLITE_DONE) {
		db_logerr(db, "read RESOLVE's counts");
		r = -1;
	}
	sqlite3_finalize(st);
	if (r == -1)
		return -1;
	/* Every key, with its counts (none: reason NULL) and last use. */
	if ((st = db_prepare(db, "SELECT k.id, c.reason, coalesce(sum(c.n), 0),"
	    " coalesce(k.last_used_at, 0) FROM api_keys AS k LEFT JOIN"
	    " resolve_counts AS c ON c.key_id = k.id GROUP BY k.id, c.reason"))
	    == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (key_cb(arg, sqlite3_column_int64(st, 0), db_coltext(st, 1),
		    (uint64_t)sqlite3_column_int64(st, 2),
		    sqlite3_column_int64(st, 3)) == -1) {
			r = -1;
			break;
		}
	if (r == 0 && rc != SQLITE_DONE) {
		db_logerr(db, "read the keys' counts");
		r = -1;
	}
	sqlite3_finalize(st);
	return r;
}
