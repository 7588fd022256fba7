/* db_events.c: the SQL of the events table: insert, read after a cursor, EVENTS' filters, the webhook's JSON body, retention. */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_events.h"
#include "db_int.h"
#include "log.h"

/* The columns db_event_row() reads, in order. */
#define EVENT_COLS	"id, at, kind, model, message, details"

static void
db_event_row(sqlite3_stmt *st, struct db_event *ev)
{
	ev->id = sqlite3_column_int64(st, 0);
	ev->at = sqlite3_column_int64(st, 1);
	ev->kind = db_coltext(st, 2);
	ev->model = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL :
	    db_coltext(st, 3);
	ev->message = db_coltext(st, 4);
	ev->details = db_coltext(st, 5);
}

/* Step st handing each row to cb; finalizes st. Rows handed over, or -1. */
static int
db_events_each(sqlite3 *db, sqlite3_stmt *st, db_event_cb cb, void *arg)
{
	struct db_event	 ev;
	int		 rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_event_row(st, &ev);
		n++;
		if (cb(&ev, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read events");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

/*
 * details as stored: the compact form of a JSON object, or NULL when it
 * is not one. The caller frees the result with sqlite3_free().
 */
static char *
db_events_details(sqlite3 *db, const char *details, int *bad)
{
	sqlite3_stmt	*st;
	char		*out = NULL;
	int		 rc;

	*bad = 0;
	st = db_prepare(db, "SELECT CASE WHEN json_valid(?1) THEN"
	    " CASE WHEN json_type(?1) = 'object' THEN json(?1) END END");
	if (st == NULL)
		return NULL;
	if (db_bind_text(st, 1, details) == -1)
		goto done;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_logerr(db, "check event details");
		goto done;
	}
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		*bad = 1;
		goto done;
	}
	if ((out = sqlite3_mprintf("%s", db_coltext(st, 0))) == NULL)
		log_warnx("database: out of memory");
 done:
	sqlite3_finalize(st);
	return out;
}

int
db_event_insert(sqlite3 *db, int64_t at, const char *kind, const char *model,
    const char *message, const char *details, size_t maxdetails,
    int *replaced, int64_t *id)
{
	sqlite3_stmt	*st;
	char		*compact = NULL;
	int		 bad = 0, rv = -1;

	*replaced = 0;
	if (details == NULL)
		details = "{}";
	if (strlen(details) > maxdetails)
		bad = 1;
	else if ((compact = db_events_details(db, details, &bad)) == NULL &&
	    !bad)
		return -1;
	if (bad || strlen(compact) > maxdetails) {
		*replaced = 1;
		sqlite3_free(compact);
		compact = NULL;
	}
	st = db_prepare(db, "INSERT INTO events(at, kind, model,"
	    " message, details) VALUES (?1, ?2, ?3, ?4, ?5)");
	if (st == NULL)
		goto done;
	if (sqlite3_bind_int64(st, 1, at) != SQLITE_OK ||
	    db_bind_text(st, 2, kind) == -1 ||
	    db_bind_text(st, 3, model) == -1 ||
	    db_bind_text(st, 4, message) == -1 ||
	    db_bind_text(st, 5, compact != NULL ? compact : "{}") == -1) {
		db_logerr(db, "bind event");
		sqlite3_finalize(st);
		goto done;
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_logerr(db, "insert event");
		sqlite3_finalize(st);
		goto done;
	}
	sqlite3_finalize(st);
	*id = sqlite3_last_insert_rowid(db);
	rv = 0;
 done:
	sqlite3_free(compact);
	return rv;
}

int
db_event_max_id(sqlite3 *db, int64_t *id)
{
	sqlite3_stmt	*st;
	int		 rv = -1;

	if ((st = db_prepare(db, "SELECT coalesce(max(id), 0) FROM"
	    " events")) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rv = 0;
	} else
		db_logerr(db, "max event id");
	sqlite3_finalize(st);
	return rv;
}

int
db_events_after(sqlite3 *db, int64_t after, int limit, db_event_cb cb,
    void *arg)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "SELECT " EVENT_COLS " FROM events"
	    " WHERE id > ?1 ORDER BY id LIMIT ?2")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, after) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, limit) != SQLITE_OK) {
		db_logerr(db, "bind events");
		sqlite3_finalize(st);
		return -1;
	}
	return db_events_each(db, st, cb, arg);
}

int
db_events_count_after(sqlite3 *db, int64_t after, int64_t *n)
{
	sqlite3_stmt	*st;
	int		 rv = -1;

	if ((st = db_prepare(db, "SELECT count(*) FROM events"
	    " WHERE id > ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, after) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		rv = 0;
	} else
		db_logerr(db, "count events");
	sqlite3_finalize(st);
	return rv;
}

int
db_events_list(sqlite3 *db, const struct db_event_query *q, db_event_cb cb,
    void *arg)
{
	sqlite3_stmt	*st;

	if ((st = db_events_list_stmt(db, q)) == NULL)
		return -1;
	return db_events_each(db, st, cb, arg);
}

/* One row of an EVENTS statement into ev: 1, 0 at the end, -1 (logged). */
int
db_events_step(sqlite3 *db, sqlite3_stmt *st, struct db_event *ev)
{
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		db_event_row(st, ev);
		return 1;
	case SQLITE_DONE:
		return 0;
	default:
		db_logerr(db, "read events");
		return -1;
	}
}

sqlite3_stmt *
db_events_list_stmt(sqlite3 *db, const struct db_event_query *q)
{
	sqlite3_stmt	*st;

	/*
	 * The newest limit rows, handed over oldest first. A model is named
	 * by its id, or by an alias of a registered model; the prefix match
	 * uses substr() so that no byte of it is a LIKE wildcard.
	 */
	st = db_prepare(db, "SELECT " EVENT_COLS " FROM ("
	    "  SELECT " EVENT_COLS " FROM events"
	    "  WHERE (?1 = 0 OR at >= ?1)"
	    "  AND (?2 IS NULL OR kind = ?2)"
	    "  AND (?3 IS NULL OR substr(kind, 1, length(?3)) = ?3)"
	    "  AND (?4 IS NULL OR model = ?4 OR model IN"
	    "    (SELECT model FROM model_aliases WHERE alias = ?4"
	    "     UNION ALL SELECT model FROM model_aliases_shadowed"
	    "     WHERE alias = ?4"
	    "     UNION ALL SELECT model FROM model_org_aliases"	/* issue 9 */
	    "     WHERE alias = ?4))"
	    "  ORDER BY id DESC LIMIT ?5"
	    ") ORDER BY id");
	if (st == NULL)
		return NULL;
	if (sqlite3_bind_int64(st, 1, q->since) != SQLITE_OK ||
	    db_bind_text(st, 2, q->kind) == -1 ||
	    db_bind_text(st, 3, q->kind_prefix) == -1 ||
	    db_bind_text(st, 4, q->model) == -1 ||
	    sqlite3_bind_int(st, 5, q->limit) != SQLITE_OK) {
		db_logerr(db, "bind events");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int
db_event_json(sqlite3 *db, int64_t id, char **json)
{
	sqlite3_stmt	*st;
	int		 rc, rv = -1;

	*json = NULL;
	st = db_prepare(db, "SELECT json_object('id', id,"
	    " 'at', strftime('%Y-%m-%dT%H:%M:%SZ', at, 'unixepoch'),"
	    " 'kind', kind, 'model', model, 'message', message,"
	    " 'details', json(details)) FROM events WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		db_logerr(db, "bind event");
		goto done;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rv = 1;
	else if (rc != SQLITE_ROW)
		db_logerr(db, "event as JSON");
	else if ((*json = strdup(db_coltext(st, 0))) == NULL)
		log_warn("event as JSON");
	else
		rv = 0;
 done:
	sqlite3_finalize(st);
	return rv;
}

/* The lowest cursor stored under keys into *upto (left as it is when none is stored). */
static int
db_events_cursor_floor(sqlite3 *db, const char *const *keys, int64_t *upto)
{
	sqlite3_stmt	*st;
	int64_t		 v;
	int		 rc;

	/* A value that is not a number casts to 0: nothing is pruned, which is safe. */
	if ((st = db_prepare(db, "SELECT CAST(value AS INTEGER) FROM state"
	    " WHERE key = ?1")) == NULL)
		return -1;
	for (; *keys != NULL; keys++) {
		if (db_bind_text(st, 1, *keys) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			v = sqlite3_column_int64(st, 0);
			if (v < *upto)
				*upto = v;
		} else if (rc != SQLITE_DONE) {
			db_logerr(db, "alert cursors");
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
}

int
db_events_prune(sqlite3 *db, int64_t before, const char *const *keys,
    int limit, int *pruned)
{
	sqlite3_stmt	*st;
	int64_t		 upto = INT64_MAX;

	*pruned = 0;
	if (db_begin(db) == -1)
		return -1;
	if (db_events_cursor_floor(db, keys, &upto) == -1)
		goto fail;
	/*
	 * Oldest first through the index on at, so that a batch reads about
	 * as many rows as it deletes; the rows kept for a channel (id above
	 * its cursor) are skipped in the index, not fetched. ids are
	 * AUTOINCREMENT: a pruned id is never handed out again, so the
	 * cursors of watchers and channels stay meaningful.
	 */
	st = db_prepare(db, "DELETE FROM events WHERE id IN ("
	    "  SELECT id FROM events INDEXED BY events_at"
	    "  WHERE at < ?1 AND id <= ?2 LIMIT ?3)");
	if (st == NULL)
		goto fail;
	if (sqlite3_bind_int64(st, 1, before) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, upto) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, limit) != SQLITE_OK) {
		db_logerr(db, "bind prune");
		sqlite3_finalize(st);
		goto fail;
	}
	if (db_run(db, st, "prune events") == -1)
		goto fail;
	*pruned = sqlite3_changes(db);
	if (db_commit(db) == -1) {
		*pruned = 0;
		goto fail;
	}
	return 0;
 fail:
	db_rollback(db);
	return -1;
}
