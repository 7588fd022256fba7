/* db_keys.h: the SQL of API keys (issue 9): keys, their secrets' digests, their grants, and models' identities (model_ids). */
#ifndef MODELREG_DB_KEYS_H
#define MODELREG_DB_KEYS_H

#include <stdint.h>
#include <sqlite3.h>

#include "keysecret.h"
#include "reg_keys.h"

struct actor;

/* The current generation of a present model id: 0 found, 1 none now, -1. */
int	 db_model_gen(sqlite3 *, const char *id, int64_t *gen);

/* A key by name into k (its latest grace end past now as old_until): 0, 1 none, -1. */
int	 db_key_get(sqlite3 *, const char *name, int64_t now, struct reg_key *k);
/* A key by a secret's digest that still works at now (current, or in its grace): 0, 1 none, -1. */
int	 db_key_by_hash(sqlite3 *, const unsigned char hash[KEY_HASH_LEN],
	    int64_t now, struct reg_key *k);
/* Insert a key; its id into *id. */
int	 db_key_insert(sqlite3 *, const char *name, int all, const char *note,
	    int64_t now, const struct actor *, int64_t expires_at, int64_t *id);
int	 db_key_secret_add(sqlite3 *, int64_t key, const unsigned char hash[KEY_HASH_LEN]);
/*
 * Rotation: the key's secrets that work past until stop at until (now,
 * for no grace), and those that ended by now are forgotten.
 */
int	 db_key_secret_retire(sqlite3 *, int64_t key, int64_t until, int64_t now);
int	 db_key_revoke(sqlite3 *, int64_t key, int64_t now, const char *by);

/* The generation key's grant of model id was given for: 0 found, 1 none, -1. */
int	 db_key_grant_gen(sqlite3 *, int64_t key, const char *id, int64_t *gen);
/* Issue 11: the key follows collection cid (its id). */
int	 db_key_set_collection(sqlite3 *, int64_t key, int64_t cid);
int	 db_key_grant_set(sqlite3 *, int64_t key, const char *id, int64_t gen);
int	 db_key_grant_del(sqlite3 *, int64_t key, const char *id);
int	 db_key_grant_count(sqlite3 *, int64_t key, int64_t *n);
/* Each grant in id order, with whether it still reaches its model: cb returns non-zero to stop. */
typedef int (*db_grant_cb)(const char *id, int present, void *arg);
int	 db_key_grants(sqlite3 *, int64_t key, db_grant_cb, void *arg);
/* Every key in name order. */
typedef int (*db_key_cb)(const struct reg_key *, void *arg);
int	 db_key_each(sqlite3 *, int64_t now, db_key_cb, void *arg);

#endif
