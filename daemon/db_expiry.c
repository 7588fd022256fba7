/* db_expiry.c: the SQL of expiry: the models due model.expiring or model.expired, their marks, and the next due time. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_int.h"
#include "db_expiry.h"
#include "log.h"
#include "registry.h"

/* The due condition of each expiry event: ?1 now, ?2 the warning in seconds. */
#define EXPIRING_DUE \
	"expires_at IS NOT NULL AND expires_at > ?1 AND ?2 > 0" \
	" AND expires_at - ?2 <= ?1 AND expiring_raised IS NOT expires_at"
/* The due condition of each expiry event: ?1 now, ?2 the warning in seconds. */
#define EXPIRING_DUE \
	"expires_at IS NOT NULL AND expires_at > ?1 AND ?2 > 0" \
	" AND expires_at - ?2 <= ?1 AND expiring_raised IS NOT expires_at"
/*
 * +status: the rows come from models_expires (schema 7, only the rows
 * with a date), not from the status index, which holds every active row.
 */
#define EXPIRED_DUE \
	"expires_at IS NOT NULL AND expires_at <= ?1 AND +status = 'active'" \
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
