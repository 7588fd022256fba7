/* db_resolve.h: the SQL RESOLVE reads (issue 9): a model by id or alias, the default, a deleted id, and a key's last use. */
#ifndef MODELREG_DB_RESOLVE_H
#define MODELREG_DB_RESOLVE_H

#include <stdint.h>
#include <sqlite3.h>

#include "reg_resolve.h"

/* A present model by id, else by alias: 0, 1 none, -1. */
int	 db_resolve_model(sqlite3 *, const char *name, struct reg_resolved *);
/* The default: 0, 1 none, -1. */
int	 db_resolve_default(sqlite3 *, struct reg_resolved *);
/* Whether id was in the registry and is deleted now (model_ids): 1 yes, 0 no, -1. */
int	 db_id_deleted(sqlite3 *, const char *id);
/*
 * Issue 9 item 7: when the secret of digest hash stops working (a
 * rotated-out secret's grace end; 0 for none): 0, 1 no such secret, -1.
 */
int	 db_secret_until(sqlite3 *, const unsigned char *hash, size_t hlen,
	    int64_t *until);
/* last_used_at = now when it is older than now - every: 0 or -1. */

#endif
