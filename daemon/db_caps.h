/* db_caps.h: the SQL of spending caps (issue 10 item 2): the caps table, a key's limited_until, and the model facts the cap rules need. */
#ifndef MODELREG_DB_CAPS_H
#define MODELREG_DB_CAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "reg_caps.h"

struct actor;

/* A model's cap by its id, or a key's by the key's name: 0 (c set), 1 none, -1. */
int	 db_cap_model(sqlite3 *, const char *model, struct reg_cap *c);
int	 db_cap_key(sqlite3 *, const char *name, struct reg_cap *c);
/* Insert c (c->id 0) or replace the cap of c->id: its new id into c->id. */
int	 db_cap_put(sqlite3 *, struct reg_cap *c, const struct actor *);
/* Write c's period and state (start, end, spent, warned, exceeded, tripped). */
int	 db_cap_save(sqlite3 *, const struct reg_cap *c);
int	 db_cap_delete(sqlite3 *, int64_t id);
/* Every cap: models' by id, then keys' by name. cb returns non-zero to stop. */
typedef int (*db_cap_cb)(const struct reg_cap *, void *arg);
int	 db_cap_each(sqlite3 *, db_cap_cb, void *arg);
/* The caps whose period ended by now, into a malloc'd array (*v, *n). */
int	 db_cap_due(sqlite3 *, int64_t now, struct reg_cap **v, size_t *n);
/* The earliest period end of a cap with something to reset (0: none). */
int	 db_cap_next(sqlite3 *, int64_t *next);
/* A key's limited_until (0 clears it). */
int	 db_key_limit(sqlite3 *, int64_t key, int64_t until);
/*
 * What the cap rules need of a model: 0 found (active, is_default, and
 * whether its status is the cap's own: inactive, source auto, reason
 * cap), 1 no such model, -1.
 */
int	 db_cap_model_state(sqlite3 *, const char *id, int *active,
	    int *is_default, int *by_cap);

#endif
