/* db_resolve.c: the SQL of RESOLVE: a model by id or alias and the default, each one indexed read with its generation, a deleted id, and a key's last use. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "db_resolve.h"
#include "log.h"
#include "registry.h"
#include "settings.h"

/*
 * model_view for its derived zdr and health (the state key, the catalog
 * row and zdr_slugs; the latest uptime sample: each one index search),
 * and the settings through the model record's own columns and reader
 * (MODEL_FROM, MODEL_SETTINGS_COLS, db_row_settings: db_int.h).
 */
#define RESOLVED_COLS \
	"model_view.id, name, provider, kind, status = 'active', expires_at," \
	" coalesce((SELECT i.gen FROM model_ids AS i WHERE i.id = model_view.id), 0)," \
	" zdr, health," MODEL_SETTINGS_COLS
#define RESOLVED_SETTINGS	9	/* the column MODEL_SETTINGS_COLS begins at */

static int
db_resolved_step(sqlite3 *db, sqlite3_stmt *st, struct reg_resolved *m)
{
	struct model	 sm;
	int		 rc, r, i;

	memset(m, 0, sizeof(*m));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(m->id, sizeof(m->id), "%s", db_coltext(st, 0));
		snprintf(m->name, sizeof(m->name), "%s", db_coltext(st, 1));
		snprintf(m->provider, sizeof(m->provider), "%s",
		    db_coltext(st, 2));
		snprintf(m->kind, sizeof(m->kind), "%s", db_coltext(st, 3));
		m->active = sqlite3_column_int(st, 4) == 1;
		m->expires_at = sqlite3_column_int64(st, 5);
		m->gen = sqlite3_column_int64(st, 6);
		m->zdr = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 :
		    sqlite3_column_int(st, 7) == 1;
		snprintf(m->health, sizeof(m->health), "%s", db_coltext(st, 8));
		memset(&sm, 0, sizeof(sm));
		db_row_settings(st, RESOLVED_SETTINGS, &sm);
		if (sm.label != NULL) {
			m->has_label = 1;
			snprintf(m->label, sizeof(m->label), "%s", sm.label);
		}
		for (i = 0; i < SP_COUNT; i++) {
			m->has_param[i] = sm.has_param[i];
			m->param[i] = sm.param[i];
		}
		m->enforced = sm.enforced;
		r = 0;
	} else if (rc == SQLITE_DONE)
		r = 1;
	else {
		db_logerr(db, "resolve a model");
		r = -1;
	}
	db_stmt_done(db, st);
	return r;
}

int
db_resolve_model(sqlite3 *db, const char *name, struct reg_resolved *m)
{
	sqlite3_stmt	*st;

	/* The one resolution of a name every verb uses: index seeks only. */
	if ((st = db_stmt(db, DB_STMT_RESOLVE_MODEL, "SELECT " RESOLVED_COLS
	    " FROM " MODEL_FROM " WHERE model_view.id = " RESOLVE_SQL)) == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	return db_resolved_step(db, st, m);
}

int
db_resolve_default(sqlite3 *db, struct reg_resolved *m)
{
	sqlite3_stmt	*st;

	/* models_one_default is a partial index on is_default = 1. */
	if ((st = db_stmt(db, DB_STMT_RESOLVE_DEFAULT, "SELECT " RESOLVED_COLS
	    " FROM " MODEL_FROM " WHERE model_view.is_default = 1")) == NULL)
		return -1;
	return db_resolved_step(db, st, m);
}

int
db_id_deleted(sqlite3 *db, const char *id)
{
	sqlite3_stmt	*st;
	int		 rc, r;

	if ((st = db_stmt(db, DB_STMT_ID_DELETED, "SELECT 1 FROM model_ids"
	    " WHERE id = ?1 AND deleted_at IS NOT NULL")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		r = 1;
	else if (rc == SQLITE_DONE)
		r = 0;
	else {
		db_logerr(db, "a deleted id");
		r = -1;
	}
	db_stmt_done(db, st);
	return r;
}

int
db_secret_until(sqlite3 *db, const unsigned char *hash, size_t hlen,
    int64_t *until)
{
	sqlite3_stmt	*st;

	/* The digest is api_key_secrets' primary key: one seek. */
	*until = 0;
	if ((st = db_stmt(db, DB_STMT_SECRET_UNTIL, "SELECT coalesce(until, 0)"
	    " FROM api_key_secrets WHERE hash = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_blob(st, 1, hash, (int)hlen, SQLITE_STATIC) !=
	    SQLITE_OK) {
		db_stmt_done(db, st);
		return -1;
	}
	return db_stmt_int64(db, st, until, "a secret's end");
}
