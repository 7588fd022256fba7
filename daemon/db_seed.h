/* db_seed.h: the SQL of seeding (db_seed.c), over the temp table "staging" (catalog.h); called by reg_seed.c only. */
#ifndef MODELREG_DB_SEED_H
#define MODELREG_DB_SEED_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

struct actor;

/* Unless said otherwise: 0, or -1 when SQLite failed (logged); in the caller's transaction. */
int	 db_staging_count(sqlite3 *, int64_t *);	/* 0 when there is no staging table */
/* A name being seeded: the staged row's kind and expiry first, else the registered one's. 0, 1 none, -1. */
int	 db_staging_kind(sqlite3 *, const char *id, char *kind, size_t klen,
	    int64_t *expires_at);
/* A list name -> id: staged id, staged alias, registered id, registered alias. 0, 1 none, -1. */
int	 db_seed_find(sqlite3 *, const char *name, char *id, size_t idlen, int *staged);
int	 db_seed_rules_reset(sqlite3 *);	/* the temp table seed_rule(id, active), emptied */
int	 db_seed_rule_set(sqlite3 *, const char *id, int active);
/* Staged models already registered: metadata and last_seen_at, a seed.update audit row per changed field. */
int	 db_seed_update(sqlite3 *, int64_t now, const struct actor *, int *changed);
/*
 * Staged models not registered: added with seed_rule's status, else
 * new_active. defer: a first load leaves its sort and search indexes to
 * db_import_finish (db_import.c).
 */
int	 db_seed_add(sqlite3 *, int64_t now, int new_active, const struct actor *,
	    int *added, int defer);

#endif
