/* db_tags.c: the SQL of tags, collections and batches (issue 11): LIST's tag= and collection= conditions, the rules' reads and writes, a batch's selection and history rows. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_int.h"
#include "db_tags.h"
#include "log.h"
#include "registry.h"

int
db_groups_where(struct buf *sql, const char *tag, const char *collection)
{
	/* Both are index searches: model_tags_tag, and collection_models' key. */
	if (tag != NULL && buf_puts(sql, " AND id IN (SELECT mt.model FROM"
	    " model_tags AS mt WHERE mt.tag = :tag)") == -1)
		return -1;
	if (collection != NULL && buf_puts(sql, " AND id IN (SELECT cm.model"
	    " FROM collection_models AS cm JOIN collections AS c"
	    " ON c.id = cm.collection WHERE c.name = :collection)") == -1)
		return -1;
	return 0;
}

int
db_bind_groups(sqlite3_stmt *st, const char *tag, const char *collection)
{
	int	 i;

	if ((i = sqlite3_bind_parameter_index(st, ":tag")) > 0 &&
	    db_bind_text(st, i, tag) == -1)
		return -1;
	if ((i = sqlite3_bind_parameter_index(st, ":collection")) > 0 &&
	    db_bind_text(st, i, collection) == -1)
		return -1;
	return 0;
}

/* Run sql with ?1 text a and ?2 text b (b may be NULL: not bound); changes, or -1. */
static int
db_run2(sqlite3 *db, const char *sql, const char *a, const char *b,
    const char *what)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	if (db_bind_text(st, 1, a) == -1 ||
	    (b != NULL && db_bind_text(st, 2, b) == -1)) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, what) == -1)
		return -1;
	return sqlite3_changes(db);
}

int
db_tag_add(sqlite3 *db, const char *id, const char *tag)
{
	return db_run2(db, "INSERT OR IGNORE INTO model_tags(model, tag)"
	    " VALUES (?1, ?2)", id, tag, "add a tag");
}

int
db_tag_remove(sqlite3 *db, const char *id, const char *tag)
{
	return db_run2(db, "DELETE FROM model_tags WHERE model = ?1 AND"
	    " tag = ?2", id, tag, "remove a tag");
}

/* One integer from sql with ?1 bound to text a (NULL: nothing bound) or, with a NULL, ?1 to i. */
static int
db_int1(sqlite3 *db, const char *sql, const char *a, int64_t i, int64_t *v)
{
	sqlite3_stmt	*st;
	int		 rc = -1;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	if ((a != NULL ? db_bind_text(st, 1, a) :
	    (sqlite3_bind_int64(st, 1, i) == SQLITE_OK ? 0 : -1)) == -1)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_logerr(db, "count");
		goto out;
	}
	*v = sqlite3_column_int64(st, 0);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int
db_tag_count(sqlite3 *db, const char *id, int64_t *n)
{
	return db_int1(db, "SELECT count(*) FROM model_tags WHERE model = ?1",
	    id, 0, n);
}

int
db_tags_of(sqlite3 *db, const char *id, char *out, size_t len)
{
	sqlite3_stmt	*st;
	int		 rc = -1;

	out[0] = '\0';
	if ((st = db_prepare(db, "SELECT coalesce(group_concat(tag, ','), '')"
	    " FROM model_tags WHERE model = ?1")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_logerr(db, "read tags");
		goto out;
	}
	snprintf(out, len, "%s", db_coltext(st, 0));
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

int
db_collection_get(sqlite3 *db, const char *name, int64_t *id, int64_t *n)
{
	sqlite3_stmt	*st;
	int		 rc = -1, r;

	if ((st = db_prepare(db, "SELECT c.id, (SELECT count(*) FROM"
	    " collection_models WHERE collection = c.id) FROM collections AS c"
	    " WHERE c.name = ?1")) == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1)
		goto out;
	if ((r = sqlite3_step(st)) == SQLITE_DONE)
		rc = 1;
	else if (r == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		if (n != NULL)
			*n = sqlite3_column_int64(st, 1);
		rc = 0;
	} else
		db_logerr(db, "find a collection");
out:
	sqlite3_finalize(st);
	return rc;
}

int
db_collection_create(sqlite3 *db, const char *name, int64_t now,
    const char *user, int64_t *id)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "INSERT INTO collections(name, created_at,"
	    " created_by, updated_at) VALUES (?1, ?2, ?3, ?2)")) == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1 ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    db_bind_text(st, 3, user != NULL ? user : "unknown") == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "create a collection") == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(db);
	return 0;
}

/* Run sql binding ?1 to i and, when b is not NULL, ?2 to text b and ?3 to j. */
static int
db_runi(sqlite3 *db, const char *sql, int64_t i, const char *b, int64_t j,
    const char *what)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, i) != SQLITE_OK ||
	    (b != NULL && db_bind_text(st, 2, b) == -1) ||
	    (sqlite3_bind_parameter_count(st) >= 3 &&
	    sqlite3_bind_int64(st, 3, j) != SQLITE_OK)) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, what) == -1)
		return -1;
	return sqlite3_changes(db);
}

int
db_collection_delete(sqlite3 *db, int64_t id)
{
	/* Revoked keys that followed it forget it: the foreign key allows no other way. */
	if (db_runi(db, "UPDATE api_keys SET collection = NULL WHERE"
	    " collection = ?1", id, NULL, 0, "unlink keys") == -1)
		return -1;
	return db_runi(db, "DELETE FROM collections WHERE id = ?1", id, NULL,
	    0, "delete a collection") == -1 ? -1 : 0;
}

int
db_collection_count_all(sqlite3 *db, int64_t *n)
{
	return db_query_int(db, "SELECT count(*) FROM collections", n);
}

int
db_collection_add(sqlite3 *db, int64_t id, const char *model, int64_t now)
{
	return db_runi(db, "INSERT OR IGNORE INTO collection_models(collection,"
	    " model, added_at) VALUES (?1, ?2, ?3)", id, model, now,
	    "add to a collection");
}

int
db_collection_remove(sqlite3 *db, int64_t id, const char *model)
{
	return db_runi(db, "DELETE FROM collection_models WHERE collection = ?1"
	    " AND model = ?2", id, model, 0, "remove from a collection");
}

int64_t
db_collection_add_sel(sqlite3 *db, int64_t id, int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "INSERT OR IGNORE INTO collection_models("
	    "collection, model, added_at) SELECT ?1, id, ?2 FROM temp.batch_sel"
	    " ORDER BY id")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "add to a collection") == -1)
		return -1;
	return sqlite3_changes(db);
}

int
db_collection_touch(sqlite3 *db, int64_t id, int64_t now)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "UPDATE collections SET updated_at = ?2"
	    " WHERE id = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "touch a collection");
}

int
db_collection_key(sqlite3 *db, int64_t id, char *name, size_t len)
{
	sqlite3_stmt	*st;
	int		 rc = -1, r;

	if ((st = db_prepare(db, "SELECT name FROM api_keys WHERE"
	    " collection = ?1 AND revoked_at IS NULL ORDER BY name"
	    " LIMIT 1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK)
		goto out;
	if ((r = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(name, len, "%s", db_coltext(st, 0));
		rc = 1;
	} else if (r == SQLITE_DONE)
		rc = 0;
	else
		db_logerr(db, "keys of a collection");
out:
	sqlite3_finalize(st);
	return rc;
}

int
db_collection_list(sqlite3 *db, const char *name, db_collection_cb cb,
    void *arg)
{
	sqlite3_stmt	*st;
	int		 r, n = 0;

	if ((st = db_prepare(db, "SELECT c.name,"
	    " (SELECT count(*) FROM collection_models WHERE collection = c.id),"
	    " (SELECT count(*) FROM collection_models AS cm JOIN models AS m"
	    "  ON m.id = cm.model WHERE cm.collection = c.id AND"
	    "  m.status = 'active'),"
	    " c.created_at, c.created_by, c.updated_at FROM collections AS c"
	    " WHERE ?1 IS NULL OR c.name = ?1 ORDER BY c.name")) == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb(db_coltext(st, 0), sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
		    db_coltext(st, 4), sqlite3_column_int64(st, 5), arg) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_logerr(db, "list collections");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

int
db_collection_members(sqlite3 *db, int64_t id, db_member_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 r, n = 0;

	if ((st = db_prepare(db, "SELECT m.id, m.status = 'active',"
	    " coalesce(m.is_default, 0) FROM collection_models AS cm"
	    " JOIN models AS m ON m.id = cm.model WHERE cm.collection = ?1"
	    " ORDER BY m.id")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb(db_coltext(st, 0), sqlite3_column_int(st, 1),
		    sqlite3_column_int(st, 2), arg) != 0)
			break;
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		db_logerr(db, "members of a collection");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

int
db_sel_reset(sqlite3 *db)
{
	/* A temp table: only this connection sees it; it lives with it. */
	return db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS batch_sel ("
	    " id TEXT PRIMARY KEY NOT NULL, act INTEGER NOT NULL DEFAULT 0"
	    ") WITHOUT ROWID; DELETE FROM temp.batch_sel");
}

int
db_sel_add(sqlite3 *db, const char *id)
{
	return db_run2(db, "INSERT OR IGNORE INTO temp.batch_sel(id)"
	    " VALUES (?1)", id, NULL, "select a model") == -1 ? -1 : 0;
}

int
db_sel_each(sqlite3 *db, db_sel_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 r, n = 0;

	if ((st = db_prepare(db, "SELECT m.id, m.status = 'active',"
	    " coalesce(m.is_default, 0), m.kind FROM temp.batch_sel AS s"
	    " JOIN models AS m ON m.id = s.id ORDER BY s.id")) == NULL)
		return -1;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb(db_coltext(st, 0), sqlite3_column_int(st, 1),
		    sqlite3_column_int(st, 2), db_coltext(st, 3), arg) != 0) {
			r = SQLITE_DONE;
			n = -1;
			break;
		}
	}
	if (r != SQLITE_DONE) {
		db_logerr(db, "read the selection");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

int
db_sel_mark(sqlite3 *db, const char *id)
{
	sqlite3_stmt	*st;

	/* Called once per selected model: cached, not prepared each time. */
	if ((st = db_stmt(db, DB_STMT_SEL_MARK, "UPDATE temp.batch_sel"
	    " SET act = 1 WHERE id = ?1")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 || sqlite3_step(st) != SQLITE_DONE) {
		db_logerr(db, "mark the selection");
		db_stmt_done(db, st);
		return -1;
	}
	db_stmt_done(db, st);
	return 0;
}

int
db_sel_unmark(sqlite3 *db)
{
	return db_exec(db, "UPDATE temp.batch_sel SET act = 0 WHERE act = 1");
}

int64_t
db_sel_count(sqlite3 *db)
{
	int64_t	 n;

	return db_query_int(db, "SELECT count(*) FROM temp.batch_sel",
	    &n) == -1 ? -1 : n;
}

int
db_sel_set_status(sqlite3 *db, int active, int64_t now, const struct actor *a,
    const char *action, const char *source)
{
	sqlite3_stmt	*st;
	const char	*to = active ? "active" : "inactive";
	const char	*from = active ? "inactive" : "active";

	/* The audit rows first, one per model, as reg_models.c writes them. */
	if ((st = db_prepare(db, "INSERT INTO audit(at, uid, actor, action,"
	    " model, field, old, new) SELECT ?1, ?2, ?3, ?4, id, 'status', ?5,"
	    " ?6 FROM temp.batch_sel WHERE act = 1 ORDER BY id")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    db_bind_actor(st, 2, 3, a) == -1 ||
	    db_bind_text(st, 4, action) == -1 ||
	    db_bind_text(st, 5, from) == -1 || db_bind_text(st, 6, to) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "audit a batch") == -1)
		return -1;
	if ((st = db_prepare(db, "UPDATE models SET status = ?1,"
	    " status_source = ?2, status_changed_at = ?3, status_reason = NULL"
	    " WHERE id IN (SELECT id FROM temp.batch_sel WHERE act = 1)")) ==
	    NULL)
		return -1;
	if (db_bind_text(st, 1, to) == -1 || db_bind_text(st, 2, source) == -1 ||
	    sqlite3_bind_int64(st, 3, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "set the batch's status");
}

int
db_batch_add(sqlite3 *db, int64_t now, const struct actor *a,
    const char *action, const char *selection, int64_t changed,
    int64_t skipped, const char *def_before, const char *def_after,
    int64_t *id)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "INSERT INTO batches(at, uid, user, action,"
	    " selection, changed, skipped, default_before, default_after)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    db_bind_actor(st, 2, 3, a) == -1 ||
	    db_bind_text(st, 4, action) == -1 ||
	    db_bind_text(st, 5, selection) == -1 ||
	    sqlite3_bind_int64(st, 6, changed) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, skipped) != SQLITE_OK ||
	    db_bind_text(st, 8, def_before != NULL && def_before[0] ?
	    def_before : NULL) == -1 ||
	    db_bind_text(st, 9, def_after != NULL && def_after[0] ?
	    def_after : NULL) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "record a batch") == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(db);
	return 0;
}

int
db_batch_models(sqlite3 *db, int64_t batch, const char *before,
    const char *after)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "INSERT INTO batch_models(batch, model,"
	    " before, after) SELECT ?1, s.id, coalesce(?2, m.status), ?3"
	    " FROM temp.batch_sel AS s JOIN models AS m ON m.id = s.id"
	    " WHERE s.act = 1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, batch) != SQLITE_OK ||
	    db_bind_text(st, 2, before) == -1 || db_bind_text(st, 3, after) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "record a batch's models");
}

int
db_sel_has(sqlite3 *db, const char *id)
{
	sqlite3_stmt	*st;
	int		 r;

	if ((st = db_prepare(db, "SELECT 1 FROM temp.batch_sel WHERE id = ?1"))
	    == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	db_logerr(db, "look in the selection");
	return -1;
}

int
db_sel_invert(sqlite3 *db)
{
	return db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS batch_inv ("
	    " id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;"
	    " DELETE FROM temp.batch_inv;"
	    " INSERT INTO temp.batch_inv SELECT id FROM models WHERE id NOT IN"
	    "  (SELECT id FROM temp.batch_sel);"
	    " DELETE FROM temp.batch_sel;"
	    " INSERT INTO temp.batch_sel(id) SELECT id FROM temp.batch_inv;"
	    " DELETE FROM temp.batch_inv");
}

int
db_batch_model(sqlite3 *db, int64_t batch, const char *id, const char *before,
    const char *after)
{
	sqlite3_stmt	*st;
	int		 rc = 0;

	if ((st = db_stmt(db, DB_STMT_BATCH_MODEL, "INSERT INTO batch_models("
	    "batch, model, before, after) VALUES (?1, ?2, ?3, ?4)")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, batch) != SQLITE_OK ||
	    db_bind_text(st, 2, id) == -1 || db_bind_text(st, 3, before) == -1 ||
	    db_bind_text(st, 4, after) == -1 || sqlite3_step(st) != SQLITE_DONE) {
		db_logerr(db, "record a batch's model");
		rc = -1;
	}
	db_stmt_done(db, st);
	return rc;
}
