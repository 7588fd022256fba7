/* db_audit.c: the SQL of the audit log: the row every change writes, and AUDIT's filtered read (the newest N, oldest first). */
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_audit.h"
#include "db_int.h"
#include "log.h"

#define AUDIT_COLS	"id, at, uid, actor, action, model, field, old, new"

static const char *
db_audit_text(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL :
	    db_coltext(st, i);
}

int
db_audit_list(sqlite3 *db, const struct db_audit_query *q, db_audit_cb cb,
    void *arg)
{
	struct db_audit_row	 r;
	sqlite3_stmt		*st;
	int			 rc, n = 0;

	if ((st = db_audit_list_stmt(db, q)) == NULL)
		return -1;
	while ((rc = db_audit_step(db, st, &r)) == 1) {
		n++;
		if (cb(&r, arg) != 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == -1 ? -1 : n;
}

/* One row of an AUDIT statement into r (pointers valid until the next step): 1, 0, -1 (logged). */
int
db_audit_step(sqlite3 *db, sqlite3_stmt *st, struct db_audit_row *r)
{
	int	 rc;

	if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		db_logerr(db, "read the audit log");
		return -1;
	}
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->at = sqlite3_column_int64(st, 1);
	if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
		r->has_uid = 1;
		r->uid = sqlite3_column_int64(st, 2);
	}
	r->actor = db_coltext(st, 3);
	r->action = db_coltext(st, 4);
	r->model = db_audit_text(st, 5);
	r->field = db_audit_text(st, 6);
	r->oldv = db_audit_text(st, 7);
	r->newv = db_audit_text(st, 8);
	return 1;
}

sqlite3_stmt *
db_audit_list_stmt(sqlite3 *db, const struct db_audit_query *q)
{
	sqlite3_stmt		*st;

	/*
	 * The newest limit rows, handed over oldest first. A model matches by
	 * the name written in the row (so a deleted model's rows are found by
	 * its id), or through an alias of a registered model, as EVENTS does.
	 */
	st = db_prepare(db, "SELECT " AUDIT_COLS " FROM ("
	    "  SELECT " AUDIT_COLS " FROM audit"
	    "  WHERE (?1 = 0 OR at >= ?1)"
	    "  AND (?2 IS NULL OR model = ?2 OR model IN"
	    "    (SELECT model FROM model_aliases WHERE alias = ?2"
	    "     UNION ALL SELECT model FROM model_aliases_shadowed"
	    "     WHERE alias = ?2"
	    "     UNION ALL SELECT model FROM model_org_aliases"	/* issue 9 */
	    "     WHERE alias = ?2))"
	    "  AND (?3 IS NULL OR actor = ?3)"
	    "  ORDER BY id DESC LIMIT ?4"
	    ") ORDER BY id");
	if (st == NULL)
		return NULL;
	if (sqlite3_bind_int64(st, 1, q->since) != SQLITE_OK ||
	    db_bind_text(st, 2, q->model) == -1 ||
	    db_bind_text(st, 3, q->actor) == -1 ||
	    sqlite3_bind_int(st, 4, q->limit) != SQLITE_OK) {
		db_logerr(db, "bind audit");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
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
