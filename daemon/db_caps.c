/* db_caps.c: the SQL of spending caps: the caps table, keys' limited_until, and a model's status as the cap rules see it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_caps.h"
#include "db_int.h"
#include "log.h"
#include "registry.h"

#define CAP_COLS \
	"c.id, coalesce(c.model, ''), coalesce(c.key_id, 0)," \
	" coalesce(k.name, ''), c.amount, c.period, c.window_secs, c.warn," \
	" c.anchor, c.period_start, c.period_end, c.spent, c.warned," \
	" c.exceeded, c.tripped, c.set_at, c.set_by"
#define CAP_FROM \
	" FROM caps AS c LEFT JOIN api_keys AS k ON k.id = c.key_id"

static void db_row_cap(sqlite3_stmt *, struct reg_cap *);

/* db_step_row's row function. */
static void
row_cap(sqlite3_stmt *st, void *c)
{
	db_row_cap(st, c);
}

static void
db_row_cap(sqlite3_stmt *st, struct reg_cap *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	snprintf(c->model, sizeof(c->model), "%s", db_coltext(st, 1));
	c->key_id = sqlite3_column_int64(st, 2);
	snprintf(c->key, sizeof(c->key), "%s", db_coltext(st, 3));
	c->amount = sqlite3_column_double(st, 4);
	snprintf(c->period, sizeof(c->period), "%s", db_coltext(st, 5));
	c->window = sqlite3_column_int64(st, 6);
	c->warn = sqlite3_column_int(st, 7);
	c->anchor = sqlite3_column_int64(st, 8);
	c->start = sqlite3_column_int64(st, 9);
	c->end = sqlite3_column_int64(st, 10);
	c->spent = sqlite3_column_double(st, 11);
	c->warned = sqlite3_column_int(st, 12) == 1;
	c->exceeded = sqlite3_column_int(st, 13) == 1;
	c->tripped = sqlite3_column_int(st, 14) == 1;
	c->set_at = sqlite3_column_int64(st, 15);
	snprintf(c->set_by, sizeof(c->set_by), "%s", db_coltext(st, 16));
}

/* One cap by a text parameter: 0, 1 none, -1. Finalizes st (hands it back when cached). */
static int
db_cap_one(sqlite3 *db, sqlite3_stmt *st, const char *v, struct reg_cap *c,
    int cached)
{
	if (db_bind_text(st, 1, v) == -1) {
		if (cached)
			db_stmt_done(db, st);
		else
			sqlite3_finalize(st);
		return -1;
	}
	return db_step_row(db, st, cached, "a cap", row_cap, c);
}

int
db_cap_model(sqlite3 *db, const char *model, struct reg_cap *c)
{
	sqlite3_stmt	*st;

	/* Cached: SHOW and every charge ask, most often of a model with none. */
	if ((st = db_stmt(db, DB_STMT_CAP_MODEL, "SELECT " CAP_COLS CAP_FROM
	    " WHERE c.model = ?1")) == NULL)
		return -1;
	return db_cap_one(db, st, model, c, 1);
}

int
db_cap_key(sqlite3 *db, const char *name, struct reg_cap *c)
{
	sqlite3_stmt	*st;

	/* Cached: every USAGE with a key asks (a prepare cost more than the report). */
	if ((st = db_stmt(db, DB_STMT_CAP_KEY, "SELECT " CAP_COLS CAP_FROM
	    " WHERE k.name = ?1")) == NULL)
		return -1;
	return db_cap_one(db, st, name, c, 1);
}

int
db_cap_put(sqlite3 *db, struct reg_cap *c, const struct actor *a)
{
	sqlite3_stmt	*st;

	/* A new cap of a target that had one replaces it: UNIQUE model, key_id. */
	if ((st = db_prepare(db, "INSERT OR REPLACE INTO caps(id, model, key_id,"
	    " amount, period, window_secs, warn, anchor, period_start,"
	    " period_end, spent, warned, exceeded, tripped, set_at, set_uid,"
	    " set_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	    " ?12, ?13, ?14, ?15, ?16, ?17)")) == NULL)
		return -1;
	if ((c->id > 0 ? sqlite3_bind_int64(st, 1, c->id) :
	    sqlite3_bind_null(st, 1)) != SQLITE_OK ||
	    db_bind_text(st, 2, c->key_id == 0 ? c->model : NULL) == -1 ||
	    (c->key_id != 0 ? sqlite3_bind_int64(st, 3, c->key_id) :
	    sqlite3_bind_null(st, 3)) != SQLITE_OK ||
	    sqlite3_bind_double(st, 4, c->amount) != SQLITE_OK ||
	    db_bind_text(st, 5, c->period) == -1 ||
	    sqlite3_bind_int64(st, 6, c->window) != SQLITE_OK ||
	    sqlite3_bind_int(st, 7, c->warn) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 8, c->anchor) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 9, c->start) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 10, c->end) != SQLITE_OK ||
	    sqlite3_bind_double(st, 11, c->spent) != SQLITE_OK ||
	    sqlite3_bind_int(st, 12, c->warned) != SQLITE_OK ||
	    sqlite3_bind_int(st, 13, c->exceeded) != SQLITE_OK ||
	    sqlite3_bind_int(st, 14, c->tripped) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 15, c->set_at) != SQLITE_OK ||
	    db_bind_actor(st, 16, 17, a) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "set a cap") == -1)
		return -1;
	c->id = sqlite3_last_insert_rowid(db);
	return 0;
}

int
db_cap_save(sqlite3 *db, const struct reg_cap *c)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "UPDATE caps SET period_start = ?2,"
	    " period_end = ?3, spent = ?4, warned = ?5, exceeded = ?6,"
	    " tripped = ?7 WHERE id = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, c->id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, c->start) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, c->end) != SQLITE_OK ||
	    sqlite3_bind_double(st, 4, c->spent) != SQLITE_OK ||
	    sqlite3_bind_int(st, 5, c->warned) != SQLITE_OK ||
	    sqlite3_bind_int(st, 6, c->exceeded) != SQLITE_OK ||
	    sqlite3_bind_int(st, 7, c->tripped) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "save a cap");
}

int
db_cap_delete(sqlite3 *db, int64_t id)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "DELETE FROM caps WHERE id = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "remove a cap");
}

int
db_cap_each(sqlite3 *db, db_cap_cb cb, void *arg)
{
	struct reg_cap	 c;
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_prepare(db, "SELECT " CAP_COLS CAP_FROM
	    " ORDER BY c.key_id IS NOT NULL, c.model, k.name")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_row_cap(st, &c);
		if (cb(&c, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read the caps");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int
db_cap_due(sqlite3 *db, int64_t now, struct reg_cap **v, size_t *n)
{
	struct reg_cap	*nv;
	sqlite3_stmt	*st;
	size_t		 cap = 0;
	int		 rc;

	*v = NULL;
	*n = 0;
	if ((st = db_prepare(db, "SELECT " CAP_COLS CAP_FROM
	    " WHERE c.period_end <= ?1 ORDER BY c.id")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((nv = reallocarray(*v, cap, sizeof(**v))) == NULL) {
				log_warnx("caps: out of memory");
				goto fail;
			}
			*v = nv;
		}
		db_row_cap(st, &(*v)[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read the caps due");
		goto fail;
	}
	sqlite3_finalize(st);
	return 0;
fail:
	sqlite3_finalize(st);
	free(*v);
	*v = NULL;
	*n = 0;
	return -1;
}

int
db_cap_next(sqlite3 *db, int64_t *next)
{
	sqlite3_stmt	*st;
	int		 rc;

	*next = 0;
	if ((st = db_prepare(db, "SELECT min(period_end) FROM caps"
	    " WHERE spent > 0 OR warned = 1 OR exceeded = 1 OR tripped = 1"))
	    == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_logerr(db, "the next cap period");
		sqlite3_finalize(st);
		return -1;
	}
	if (sqlite3_column_type(st, 0) != SQLITE_NULL)
		*next = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int
db_key_limit(sqlite3 *db, int64_t key, int64_t until)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "UPDATE api_keys SET limited_until = ?2"
	    " WHERE id = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    (until > 0 ? sqlite3_bind_int64(st, 2, until) :
	    sqlite3_bind_null(st, 2)) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "limit a key");
}

int
db_cap_model_state(sqlite3 *db, const char *id, int *active, int *is_default,
    int *by_cap)
{
	sqlite3_stmt	*st;
	int		 rc, r;

	*active = *is_default = *by_cap = 0;
	if ((st = db_prepare(db, "SELECT status = 'active',"
	    " coalesce(is_default, 0), status = 'inactive' AND"
	    " status_source = 'auto' AND status_reason IS 'cap'"
	    " FROM models WHERE id = ?1")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*active = sqlite3_column_int(st, 0) == 1;
		*is_default = sqlite3_column_int(st, 1) == 1;
		*by_cap = sqlite3_column_int(st, 2) == 1;
		r = 0;
	} else if (rc == SQLITE_DONE)
		r = 1;
	else {
		db_logerr(db, "a capped model's status");
		r = -1;
	}
	sqlite3_finalize(st);
	return r;
}
