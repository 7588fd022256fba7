/* db_keys.c: the SQL of API keys: keys, the digests of their secrets, their grants, and the models' identities they name. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "db_keys.h"
#include "log.h"
#include "registry.h"

#define KEY_COLS \
	"k.id, k.name, k.all_models, k.note, k.created_at, k.created_by," \
	" k.expires_at, k.last_used_at, k.revoked_at, k.revoked_by," \
	" (SELECT max(s.until) FROM api_key_secrets AS s WHERE s.key = k.id" \
	"  AND s.until > :now), k.limited_until," \
	" k.collection, (SELECT c.name FROM collections AS c" \
	"  WHERE c.id = k.collection)"

static void
db_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

static void db_row_key(sqlite3_stmt *, struct reg_key *);

/* db_step_row's row function. */
static void
row_key(sqlite3_stmt *st, void *k)
{
	db_row_key(st, k);
}

static void
db_row_key(sqlite3_stmt *st, struct reg_key *k)
{
	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(st, 0);
	db_copy(k->name, sizeof(k->name), db_coltext(st, 1));
	k->all = sqlite3_column_int(st, 2) == 1;
	db_copy(k->note, sizeof(k->note), db_coltext(st, 3));
	k->created_at = sqlite3_column_int64(st, 4);
	db_copy(k->created_by, sizeof(k->created_by), db_coltext(st, 5));
	k->expires_at = sqlite3_column_int64(st, 6);
	k->last_used_at = sqlite3_column_int64(st, 7);
	k->revoked_at = sqlite3_column_int64(st, 8);
	db_copy(k->revoked_by, sizeof(k->revoked_by), db_coltext(st, 9));
	k->old_until = sqlite3_column_int64(st, 10);
	k->limited_until = sqlite3_column_int64(st, 11);	/* issue 10: caps */
	k->collection = sqlite3_column_int64(st, 12);	/* issue 11 */
	db_copy(k->collection_name, sizeof(k->collection_name),
	    db_coltext(st, 13));
}

static int
db_bind_now(sqlite3_stmt *st, int64_t now)
{
	int	 i;

	if ((i = sqlite3_bind_parameter_index(st, ":now")) > 0 &&
	    sqlite3_bind_int64(st, i, now) != SQLITE_OK)
		return -1;
	return 0;
}

/* Step a one-row key query into k: 0, 1 none, -1. Finalizes st. */
static int
db_key_step(sqlite3 *db, sqlite3_stmt *st, struct reg_key *k, int cached)
{
	return db_step_row(db, st, cached, "a key", row_key, k);
}

int
db_model_gen(sqlite3 *db, const char *id, int64_t *gen)
{
	sqlite3_stmt	*st;

	*gen = 0;
	if ((st = db_stmt(db, DB_STMT_MODEL_GEN, "SELECT gen FROM model_ids"
	    " WHERE id = ?1 AND deleted_at IS NULL")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	return db_stmt_int64(db, st, gen, "a model's generation");
}

int
db_key_get(sqlite3 *db, const char *name, int64_t now, struct reg_key *k)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "SELECT " KEY_COLS " FROM api_keys AS k"
	    " WHERE k.name = :name")) == NULL)
		return -1;
	if (db_bind_text(st, sqlite3_bind_parameter_index(st, ":name"),
	    name) == -1 || db_bind_now(st, now) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_key_step(db, st, k, 0);
}

int
db_key_by_hash(sqlite3 *db, const unsigned char hash[KEY_HASH_LEN],
    int64_t now, struct reg_key *k)
{
	sqlite3_stmt	*st;

	/* One seek in the digest's primary key, one in api_keys'. */
	if ((st = db_stmt(db, DB_STMT_KEY_BY_HASH, "SELECT " KEY_COLS
	    " FROM api_key_secrets AS h JOIN api_keys AS k ON k.id = h.key"
	    " WHERE h.hash = :hash AND (h.until IS NULL OR h.until > :now)"))
	    == NULL)
		return -1;
	if (sqlite3_bind_blob(st, sqlite3_bind_parameter_index(st, ":hash"),
	    hash, KEY_HASH_LEN, SQLITE_STATIC) != SQLITE_OK ||
	    db_bind_now(st, now) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	return db_key_step(db, st, k, 1);
}

int
db_key_insert(sqlite3 *db, const char *name, int all, const char *note,
    int64_t now, const struct actor *a, int64_t expires_at, int64_t *id)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "INSERT INTO api_keys(name, all_models, note,"
	    " created_at, created_uid, created_by, expires_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")) == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1 ||
	    sqlite3_bind_int(st, 2, all ? 1 : 0) != SQLITE_OK ||
	    db_bind_text(st, 3, note != NULL ? note : "") == -1 ||
	    sqlite3_bind_int64(st, 4, now) != SQLITE_OK ||
	    db_bind_actor(st, 5, 6, a) == -1 ||
	    (expires_at > 0 ? sqlite3_bind_int64(st, 7, expires_at) :
	    sqlite3_bind_null(st, 7)) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "insert a key") == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(db);
	return 0;
}

int
db_key_secret_add(sqlite3 *db, int64_t key, const unsigned char hash[KEY_HASH_LEN])
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "INSERT INTO api_key_secrets(hash, key, until)"
	    " VALUES (?1, ?2, NULL)")) == NULL)
		return -1;
	if (sqlite3_bind_blob(st, 1, hash, KEY_HASH_LEN, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_bind_int64(st, 2, key) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "store a key's digest");
}

int
db_key_secret_retire(sqlite3 *db, int64_t key, int64_t until, int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "UPDATE api_key_secrets SET until = ?2"
	    " WHERE key = ?1 AND (until IS NULL OR until > ?2)")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, until) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "retire a key's secret") == -1)
		return -1;
	if ((st = db_prepare(db, "DELETE FROM api_key_secrets"
	    " WHERE key = ?1 AND until <= ?2")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "forget a key's old secret");
}

int
db_key_revoke(sqlite3 *db, int64_t key, int64_t now, const char *by)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "UPDATE api_keys SET revoked_at = ?2,"
	    " revoked_by = ?3 WHERE id = ?1 AND revoked_at IS NULL")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    db_bind_text(st, 3, by) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "revoke a key");
}

int
db_key_grant_gen(sqlite3 *db, int64_t key, const char *id, int64_t *gen)
{
	sqlite3_stmt	*st;

	*gen = 0;
	/*
	 * Issue 11: a key that follows a collection is granted its members
	 * in their current generation (a member deleted leaves it, ON
	 * DELETE CASCADE): read here, inside the one decision's inputs, so a
	 * cache emptied by every commit stays right as the collection changes.
	 */
	if ((st = db_stmt(db, DB_STMT_KEY_GRANT, "SELECT gen FROM api_key_models"
	    " WHERE key = ?1 AND model = ?2 UNION ALL SELECT mi.gen FROM"
	    " api_keys AS k JOIN collection_models AS cm ON cm.collection ="
	    " k.collection AND cm.model = ?2 JOIN model_ids AS mi ON mi.id ="
	    " cm.model WHERE k.id = ?1 LIMIT 1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    db_bind_text(st, 2, id) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	return db_stmt_int64(db, st, gen, "a key's grant");
}

int
db_key_grant_set(sqlite3 *db, int64_t key, const char *id, int64_t gen)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "INSERT INTO api_key_models(key, model, gen)"
	    " VALUES (?1, ?2, ?3) ON CONFLICT(key, model) DO UPDATE"
	    " SET gen = excluded.gen")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    db_bind_text(st, 2, id) == -1 ||
	    sqlite3_bind_int64(st, 3, gen) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "grant a model to a key");
}

int
db_key_grant_del(sqlite3 *db, int64_t key, const char *id)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "DELETE FROM api_key_models"
	    " WHERE key = ?1 AND model = ?2")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    db_bind_text(st, 2, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "withdraw a model from a key");
}

int
db_key_grant_count(sqlite3 *db, int64_t key, int64_t *n)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "SELECT count(*) FROM api_key_models"
	    " WHERE key = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		db_logerr(db, "count a key's grants");
		sqlite3_finalize(st);
		return -1;
	}
	*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

int
db_key_grants(sqlite3 *db, int64_t key, db_grant_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 rc;

	/* A grant reaches its model while the id is present in its generation. */
	if ((st = db_prepare(db, "SELECT g.model, coalesce(i.gen = g.gen AND"
	    " i.deleted_at IS NULL, 0) FROM api_key_models AS g"
	    " LEFT JOIN model_ids AS i ON i.id = g.model"
	    " WHERE g.key = ?1 ORDER BY g.model")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(db_coltext(st, 0), sqlite3_column_int(st, 1) == 1,
		    arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read a key's grants");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int
db_key_each(sqlite3 *db, int64_t now, db_key_cb cb, void *arg)
{
	struct reg_key	 k;
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_prepare(db, "SELECT " KEY_COLS " FROM api_keys AS k"
	    " ORDER BY k.name")) == NULL)
		return -1;
	if (db_bind_now(st, now) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_row_key(st, &k);
		if (cb(&k, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read the keys");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Issue 11: the key follows collection cid. */
int
db_key_set_collection(sqlite3 *db, int64_t key, int64_t cid)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "UPDATE api_keys SET collection = ?2"
	    " WHERE id = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, cid) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "a key's collection");
}
