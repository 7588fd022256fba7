/* db_expiry.h: the SQL of expiry (db_expiry.c); called by reg_expiry.c only. */
#ifndef MODELREG_DB_EXPIRY_H
#define MODELREG_DB_EXPIRY_H

#include <stdint.h>
#include <sqlite3.h>

/*
 * db_expiry_each hands cb every model due an event at now: "expiring"
 * (expires within warning seconds, not yet raised for this expires_at)
 * or "expired" (active, expired, not yet raised). db_expiry_mark
 * remembers one as raised. db_expiry_next: the next time after now at
 * which one will be due, 0 when none. 0 or -1.
 */
struct db_expiry {
	const char	*id;
	const char	*which;		/* "expiring" or "expired" */
	int64_t		 expires_at;
	int		 is_default, active;
};
typedef int (*db_expiry_cb)(const struct db_expiry *, void *);	/* non-zero: -1 returned */
int	 db_expiry_each(sqlite3 *, int64_t now, int64_t warning, db_expiry_cb, void *);
int	 db_expiry_mark(sqlite3 *, const char *id, const char *which, int64_t expires_at);
int	 db_expiry_next(sqlite3 *, int64_t now, int64_t warning, int64_t *next);

#endif
