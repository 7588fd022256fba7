/* db_audit.h: the SQL that reads the audit log (AUDIT); rows are written by db_audit() in db.c. */
#ifndef MODELREG_DB_AUDIT_H
#define MODELREG_DB_AUDIT_H

#include <stdint.h>
#include <sqlite3.h>

/* An audit row; the strings (NULL when the column is) live until the callback returns. */
struct db_audit_row {
	int64_t		 id;
	int64_t		 at;		/* unix seconds */
	int		 has_uid;
	int64_t		 uid;
	const char	*actor;
	const char	*action;
	const char	*model;
	const char	*field;
	const char	*oldv;
	const char	*newv;
};

typedef int (*db_audit_cb)(const struct db_audit_row *, void *arg);	/* non-zero stops */

/* AUDIT's filters. */
struct db_audit_query {
	int64_t		 since;		/* at >= since; 0: no bound */
	const char	*model;		/* a model id, an alias of a registered model, or the literal name of a deleted one; NULL: any */
	const char	*actor;		/* exact; NULL: any */
	int		 limit;		/* the newest limit rows, handed over oldest first */
};

/* Returns rows handed over, or -1. */
int	 db_audit_list(sqlite3 *, const struct db_audit_query *, db_audit_cb, void *);
/*
 * AUDIT as a cursor (issue 8, reg_cursor.c): the statement, prepared and
 * bound (q's strings must outlive it), and one row at a time: 1, 0, -1.
 */
sqlite3_stmt *db_audit_list_stmt(sqlite3 *, const struct db_audit_query *);
int	 db_audit_step(sqlite3 *, sqlite3_stmt *, struct db_audit_row *);

#endif
