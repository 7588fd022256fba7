/* db_int.h: the small helpers every file of the database layer (db*.c) shares; not for use outside it. */
#ifndef MODELREG_DB_INT_H
#define MODELREG_DB_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "buf.h"
#include "registry.h"	/* enum reg_sort */

struct actor;

void	 db_logerr(sqlite3 *, const char *what);	/* "database: what: sqlite's message" */
int	 db_exec(sqlite3 *, const char *sql);		/* statements without parameters; 0 or -1 (logged) */
sqlite3_stmt *db_prepare(sqlite3 *, const char *sql);	/* NULL (logged) on failure */
/* Bind text (NULL binds NULL). The string must outlive the step. */
int	 db_bind_text(sqlite3_stmt *, int i, const char *s);
/* Step a statement that returns no rows, and finalize it: 0 or -1 (logged as what). */
int	 db_run(sqlite3 *, sqlite3_stmt *, const char *what);
/* One integer from a one-row query with no parameters. */
int	 db_query_int(sqlite3 *, const char *sql, int64_t *v);
/* Column i as text, "" for NULL; valid until the next step. */
const char *db_coltext(sqlite3_stmt *, int i);
/* Prepare and run sql binding now to ?1 and, if it has them, the actor to ?2 (uid) and ?3 (user). */
int	 db_run_now(sqlite3 *, const char *sql, int64_t now, const struct actor *,
	    const char *what);
/*
 * LIST and CATALOG share their filters and sort keys. db_sort_sql: the
 * ORDER BY fragment of a sort key (NULL if bad). db_filter_sql appends
 * the provider and search conditions over table or alias tbl, with the
 * parameters :provider and :search, which db_bind_filters binds.
 */
const char *db_sort_sql(enum reg_sort);
int	 db_filter_sql(struct buf *sql, const char *tbl, const char *provider,
	    const char *search);
int	 db_bind_filters(sqlite3_stmt *, const char *provider, const char *search);
/* Bind :kind, when the statement has it (the kind filter of LIST and CATALOG). */
int	 db_bind_kind(sqlite3_stmt *, const char *kind);
/* Step st (selecting kind, expires_at) into kind and expires_at: 0, 1 no row, -1. Finalizes st. */
int	 db_kind_step(sqlite3 *, sqlite3_stmt *st, char *kind, size_t klen,
	    int64_t *expires_at);
/* Bind the actor's uid to iuid and user name to iuser. */
int	 db_bind_actor(sqlite3_stmt *, int iuid, int iuser, const struct actor *);

#endif
