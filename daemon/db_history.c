/* db_history.c: the SQL of the history and undo (issue 11 item 5): batches read back newest first, what changed since a batch, a deleted model's whole row kept and put back. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_history.h"
#include "db_int.h"
#include "log.h"
#include "registry.h"
#include "reg_history.h"

#define HIST_COLS \
	"b.id, b.at, b.uid, b.user, b.action, b.selection, b.changed," \
	" b.skipped, b.default_before, b.default_after," \
	" coalesce(b.undo_of, 0), coalesce(b.undone_by, 0)," \
	" coalesce(b.audit_to, -1)," \
	" (SELECT count(*) FROM batch_models AS bm WHERE bm.batch = b.id)"

static void
hist_row(sqlite3_stmt *st, struct reg_hist_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->at = sqlite3_column_int64(st, 1);
	r->has_uid = sqlite3_column_type(st, 2) != SQLITE_NULL;
	r->uid = sqlite3_column_int64(st, 2);
	r->user = db_coltext(st, 3);
	r->action = db_coltext(st, 4);
	r->selection = db_coltext(st, 5);
	r->changed = sqlite3_column_int64(st, 6);
	r->skipped = sqlite3_column_int64(st, 7);
	r->default_before = sqlite3_column_type(st, 8) == SQLITE_NULL ? NULL :
	    db_coltext(st, 8);
	r->default_after = sqlite3_column_type(st, 9) == SQLITE_NULL ? NULL :
	    db_coltext(st, 9);
	r->undo_of = sqlite3_column_int64(st, 10);
	r->undone_by = sqlite3_column_int64(st, 11);
	r->audit_to = sqlite3_column_int64(st, 12);
	r->models = sqlite3_column_int64(st, 13);
}

/* Step st's rows into cb: the number read, -1. */
static int
hist_rows(sqlite3 *db, sqlite3_stmt *st, db_hist_cb cb, void *arg)
{
	struct reg_hist_row	 r;
	int			 rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		hist_row(st, &r);
		if (cb(&r, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read the history");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

int
db_history_read(sqlite3 *db)
{
	/* Deferred: a read takes no write lock, so it never waits for the import worker's. */
	return db_exec(db, "BEGIN");
}

int
db_history_list(sqlite3 *db, int64_t before, int limit, db_hist_cb cb,
    void *arg)
{
	sqlite3_stmt	*st;

	/* Newest first by the primary key: no sort, limit rows read. */
	if ((st = db_prepare(db, "SELECT " HIST_COLS " FROM batches AS b"
	    " WHERE ?1 = 0 OR b.id < ?1 ORDER BY b.id DESC LIMIT ?2")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, before) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, limit) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return hist_rows(db, st, cb, arg);
}

int
db_history_get(sqlite3 *db, int64_t id, db_hist_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 n;

	if ((st = db_prepare(db, "SELECT " HIST_COLS " FROM batches AS b"
	    " WHERE b.id = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if ((n = hist_rows(db, st, cb, arg)) == -1)
		return -1;
	return n == 0 ? 1 : 0;
}

int
db_history_models(sqlite3 *db, int64_t id, db_hist_model_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 rc, n = 0;

	if ((st = db_prepare(db, "SELECT model, before, after, saved IS NOT NULL,"
	    " fields FROM batch_models WHERE batch = ?1 ORDER BY model")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (cb(db_coltext(st, 0), db_coltext(st, 1), db_coltext(st, 2),
		    sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL :
		    db_coltext(st, 4), sqlite3_column_int(st, 3), arg) != 0) {
			rc = SQLITE_DONE;
			n = -1;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read a batch's models");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

int
db_history_since(sqlite3 *db, int64_t id, int64_t audit_to,
    db_hist_since_cb cb, void *arg)
{
	struct db_hist_since	 s;
	sqlite3_stmt		*st;
	int			 rc, n = 0;

	/*
	 * The audit rows after the batch are read once, by the primary key
	 * from audit_to on, into a table by model: the join is then one
	 * seek per model, not a scan of the newer rows per model.
	 */
	if (db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS hist_touched ("
	    " model TEXT PRIMARY KEY NOT NULL, aid INTEGER NOT NULL"
	    ") WITHOUT ROWID; DELETE FROM temp.hist_touched") == -1)
		return -1;
	if ((st = db_prepare(db, "INSERT INTO temp.hist_touched(model, aid)"
	    " SELECT model, max(id) FROM audit WHERE id > ?1 AND model IS NOT"
	    " NULL AND (field IN ('status', 'default') OR action = 'delete'"
	    " OR action = 'restore') GROUP BY model")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, audit_to) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "read the changes since a batch") == -1)
		return -1;
	if ((st = db_prepare(db, "SELECT bm.model, bm.before, bm.after,"
	    " m.status, coalesce(m.is_default, 0), bm.saved IS NOT NULL,"
	    " coalesce(l.batch, 0), lb.action, coalesce(t.aid, 0), a.action,"
	    " a.actor, oa.alias, oa.model"
	    " FROM batch_models AS bm"
	    " LEFT JOIN models AS m ON m.id = bm.model"
	    " LEFT JOIN (SELECT model, max(batch) AS batch FROM batch_models"
	    "  WHERE batch > ?1 GROUP BY model) AS l ON l.model = bm.model"
	    " LEFT JOIN batches AS lb ON lb.id = l.batch"
	    " LEFT JOIN temp.hist_touched AS t ON t.model = bm.model"
	    " LEFT JOIN audit AS a ON a.id = t.aid"
	    " LEFT JOIN model_org_aliases AS oa ON bm.saved IS NOT NULL AND"
	    "  oa.alias IN (SELECT json_extract(j.value, '$.alias') FROM"
	    "  json_each(bm.saved, '$.model_org_aliases') AS j)"
	    " WHERE bm.batch = ?1 GROUP BY bm.model ORDER BY bm.model")) ==
	    NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		memset(&s, 0, sizeof(s));
		s.model = db_coltext(st, 0);
		s.before = db_coltext(st, 1);
		s.after = db_coltext(st, 2);
		s.now = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL :
		    db_coltext(st, 3);
		s.is_default = sqlite3_column_int(st, 4);
		s.saved = sqlite3_column_int(st, 5);
		s.later = sqlite3_column_int64(st, 6);
		s.later_action = db_coltext(st, 7);
		s.audit = sqlite3_column_int64(st, 8);
		s.audit_action = db_coltext(st, 9);
		s.audit_actor = db_coltext(st, 10);
		s.alias_taken = sqlite3_column_type(st, 11) == SQLITE_NULL ?
		    NULL : db_coltext(st, 11);
		s.alias_owner = db_coltext(st, 12);
		if (cb(&s, arg) != 0) {
			rc = SQLITE_DONE;
			n = -1;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read what changed since a batch");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

/* Prepare sql (built in b, freed) and bind ?1 to id; NULL on failure. */
static sqlite3_stmt *
hist_prepare(sqlite3 *db, struct buf *b, int64_t id)
{
	sqlite3_stmt	*st;

	if (b->data == NULL) {
		buf_free(b);
		return NULL;
	}
	st = db_prepare(db, b->data);
	buf_free(b);
	if (st != NULL && sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

int
db_history_select(sqlite3 *db, int64_t id, const char *from, const char *to)
{
	sqlite3_stmt	*st;

	if (db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS batch_sel ("
	    " id TEXT PRIMARY KEY NOT NULL, act INTEGER NOT NULL DEFAULT 0"
	    ") WITHOUT ROWID; DELETE FROM temp.batch_sel") == -1)
		return -1;
	if ((st = db_prepare(db, "INSERT INTO temp.batch_sel(id, act)"
	    " SELECT model, (?2 IS NULL OR after = ?2) AND (?3 IS NULL OR"
	    " before = ?3) FROM batch_models WHERE batch = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    db_bind_text(st, 2, from) == -1 || db_bind_text(st, 3, to) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "select a batch's models");
}

int
db_history_undo_rows(sqlite3 *db, int64_t undo, int64_t id)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "INSERT INTO batch_models(batch, model, before,"
	    " after, fields) SELECT ?2, model, after, before, fields FROM"
	    " batch_models WHERE batch = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, undo) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "record an undo's models");
}

/*
 * The tables whose rows go with a model (their foreign key cascades),
 * in the order they are put back: the settings row before the
 * organisation aliases, whose trigger would otherwise add an empty one.
 * A collection deleted since takes its membership with it.
 */
static const struct {
	const char	*table;
	const char	*also;		/* a condition on the saved row j, or "" */
} hist_children[] = {
	{ "model_settings", "" },
	{ "model_org_aliases", "" },
	{ "model_tags", "" },
	{ "collection_models", " AND json_extract(j.value, '$.collection') IN"
	    " (SELECT id FROM collections)" },
};
#define HIST_NCHILDREN	(sizeof(hist_children) / sizeof(hist_children[0]))

/*
 * Append each column of table (the schema's, so a column added later is
 * kept too) as "'col', alias.col, " pairs for json_object: 0, -1.
 */
static int
hist_json_pairs(sqlite3 *db, struct buf *b, const char *table,
    const char *alias)
{
	sqlite3_stmt	*st;
	int		 rc, n = 0;

	if ((st = db_prepare(db, "SELECT name FROM pragma_table_info(?1)"
	    " ORDER BY cid")) == NULL)
		return -1;
	if (db_bind_text(st, 1, table) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (buf_printf(b, "%s'%s', %s.\"%s\"", n++ > 0 ? ", " : "",
		    db_coltext(st, 0), alias, db_coltext(st, 0)) == -1)
			rc = SQLITE_ERROR;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && n > 0 ? 0 : -1;
}

int
db_history_save(sqlite3 *db, int64_t batch)
{
	struct buf	 b = { 0 };
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc = 0;

	rc |= buf_puts(&b, "UPDATE batch_models SET saved = (SELECT"
	    " json_object('row', json_object(");
	rc |= hist_json_pairs(db, &b, "models", "m");
	rc |= buf_puts(&b, "), 'gen', (SELECT gen FROM model_ids AS g WHERE"
	    " g.id = m.id)");
	for (i = 0; i < HIST_NCHILDREN; i++) {
		/* json(): a subquery's result loses its JSON subtype. */
		rc |= buf_printf(&b, ", '%s', json((SELECT json_group_array("
		    "json_object(", hist_children[i].table);
		rc |= hist_json_pairs(db, &b, hist_children[i].table, "c");
		rc |= buf_printf(&b, ")) FROM %s AS c WHERE c.model = m.id))",
		    hist_children[i].table);
	}
	rc |= buf_puts(&b, ") FROM models AS m WHERE m.id = batch_models.model)"
	    " WHERE batch = ?1 AND after = 'deleted'");
	if (rc != 0) {
		buf_free(&b);
		return -1;
	}
	if ((st = hist_prepare(db, &b, batch)) == NULL)
		return -1;
	return db_run(db, st, "save the deleted models");
}

/*
 * The columns of table that batch id's saved rows hold at path (an
 * object, or with each=1 an array of objects), as the INSERT's list
 * into cols and its json_extract values over src into vals: the number,
 * -1. Only columns both have: one added since is left to its default.
 */
static int
hist_cols(sqlite3 *db, int64_t id, const char *table, const char *path,
    int each, const char *src, struct buf *cols, struct buf *vals)
{
	sqlite3_stmt	*st;
	struct buf	 q = { 0 };
	int		 rc, n = 0;

	/* each: the keys of the array's objects, json_each twice. */
	if ((each ? buf_printf(&q, "SELECT name FROM pragma_table_info('%s')"
	    " WHERE name IN (SELECT k.key FROM batch_models AS bm,"
	    " json_each(bm.saved, '$.%s') AS j, json_each(j.value) AS k"
	    " WHERE bm.batch = ?1 AND bm.after = 'deleted') ORDER BY cid",
	    table, path) : buf_printf(&q, "SELECT name FROM"
	    " pragma_table_info('%s') WHERE name IN (SELECT k.key FROM"
	    " batch_models AS bm, json_each(bm.saved, '$.%s') AS k"
	    " WHERE bm.batch = ?1 AND bm.after = 'deleted') ORDER BY cid",
	    table, path)) == -1)
		goto fail;
	if ((st = hist_prepare(db, &q, id)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c = db_coltext(st, 0);

		if (buf_printf(cols, "%s\"%s\"", n > 0 ? ", " : "", c) == -1 ||
		    buf_printf(vals, "%sjson_extract(%s, '$.%s%s%s')", n > 0 ?
		    ", " : "", src, each ? "" : path, each ? "" : ".", c) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
		n++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
fail:
	buf_free(&q);
	return -1;
}

int
db_history_restore(sqlite3 *db, int64_t id, int64_t now,
    const struct actor *a)
{
	struct buf	 cols = { 0 }, vals = { 0 }, sql = { 0 };
	sqlite3_stmt	*st;
	size_t		 i;
	int		 n;

	/* The models rows first: the others refer to them. */
	if ((n = hist_cols(db, id, "models", "row", 0, "bm.saved", &cols,
	    &vals)) < 1 || buf_printf(&sql, "INSERT INTO models(%s) SELECT %s"
	    " FROM batch_models AS bm WHERE bm.batch = ?1 AND bm.after ="
	    " 'deleted' AND bm.saved IS NOT NULL ORDER BY bm.model", cols.data,
	    vals.data) == -1)
		goto fail;
	buf_reset(&cols);
	buf_reset(&vals);
	if ((st = hist_prepare(db, &sql, id)) == NULL ||
	    db_run(db, st, "restore the deleted models") == -1)
		goto fail;
	/* The same model, not a new one under its id: its grants reach it again. */
	if ((st = db_prepare(db, "UPDATE model_ids SET gen = coalesce((SELECT"
	    " json_extract(bm.saved, '$.gen') FROM batch_models AS bm WHERE"
	    " bm.batch = ?1 AND bm.model = model_ids.id), gen) WHERE id IN"
	    " (SELECT model FROM batch_models WHERE batch = ?1 AND after ="
	    " 'deleted')")) == NULL)
		goto fail;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		goto fail;
	}
	if (db_run(db, st, "restore the models' generations") == -1)
		goto fail;
	for (i = 0; i < HIST_NCHILDREN; i++) {
		if ((n = hist_cols(db, id, hist_children[i].table,
		    hist_children[i].table, 1, "j.value", &cols, &vals)) == -1)
			goto fail;
		if (n > 0) {
			if (buf_printf(&sql, "INSERT INTO %s(%s) SELECT %s FROM"
			    " batch_models AS bm, json_each(bm.saved, '$.%s') AS j"
			    " WHERE bm.batch = ?1 AND bm.after = 'deleted'%s",
			    hist_children[i].table, cols.data, vals.data,
			    hist_children[i].table, hist_children[i].also) == -1 ||
			    (st = hist_prepare(db, &sql, id)) == NULL ||
			    db_run(db, st, "restore a deleted model's rows") == -1)
				goto fail;
		}
		buf_reset(&cols);
		buf_reset(&vals);
	}
	buf_free(&cols);
	buf_free(&vals);
	/* One audit row per model put back, as a delete writes one. */
	if ((st = db_prepare(db, "INSERT INTO audit(at, uid, actor, action,"
	    " model, field, old, new) SELECT ?2, ?3, ?4, 'restore', model, NULL,"
	    " NULL, json_extract(saved, '$.row.status') FROM batch_models"
	    " WHERE batch = ?1 AND after = 'deleted' ORDER BY model")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    db_bind_actor(st, 3, 4, a) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "audit the restored models");
fail:
	buf_free(&cols);
	buf_free(&vals);
	buf_free(&sql);
	return -1;
}

int
db_history_audit_at(sqlite3 *db, int64_t at, int64_t *id)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "SELECT coalesce(max(id), 0) FROM audit"
	    " WHERE at <= ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, at) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_stmt_int64(db, st, id, "the audit at a batch") == 0 ? 0 : -1;
}

int
db_history_seal(sqlite3 *db, int64_t batch)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "UPDATE batches SET audit_to = (SELECT"
	    " coalesce(max(id), 0) FROM audit) WHERE id = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, batch) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "seal a batch");
}

int
db_history_add(sqlite3 *db, int64_t now, const struct actor *a, int64_t id,
    int64_t changed, const char *def_before, const char *def_after,
    int64_t *undo)
{
	sqlite3_stmt	*st;
	char		 sel[32];

	snprintf(sel, sizeof(sel), "undo=%lld", (long long)id);
	if ((st = db_prepare(db, "INSERT INTO batches(at, uid, user, action,"
	    " selection, changed, skipped, default_before, default_after,"
	    " undo_of) VALUES (?1, ?2, ?3, 'undo', ?4, ?5, 0, ?6, ?7, ?8)")) ==
	    NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    db_bind_actor(st, 2, 3, a) == -1 || db_bind_text(st, 4, sel) == -1 ||
	    sqlite3_bind_int64(st, 5, changed) != SQLITE_OK ||
	    db_bind_text(st, 6, def_before != NULL && def_before[0] ?
	    def_before : NULL) == -1 ||
	    db_bind_text(st, 7, def_after != NULL && def_after[0] ?
	    def_after : NULL) == -1 ||
	    sqlite3_bind_int64(st, 8, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "record an undo") == -1)
		return -1;
	*undo = sqlite3_last_insert_rowid(db);
	if ((st = db_prepare(db, "UPDATE batches SET undone_by = ?2"
	    " WHERE id = ?1 AND undone_by IS NULL")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, *undo) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "mark a batch undone") == -1)
		return -1;
	return sqlite3_changes(db) == 1 ? 0 : -1;
}

int
db_history_import_models(sqlite3 *db, int64_t batch,
    const struct db_hist_change *v, size_t n)
{
	sqlite3_stmt	*st;
	size_t		 i;
	int		 rc = SQLITE_DONE;

	/* One statement for every change: an import may change 100k models. */
	if ((st = db_prepare(db, "INSERT INTO batch_models(batch, model, before,"
	    " after, fields) VALUES (?1, ?2, ?3, ?4, ?5)"
	    " ON CONFLICT(batch, model) DO UPDATE SET fields = CASE WHEN"
	    " instr(',' || fields || ',', ',' || excluded.fields || ',') > 0"
	    " THEN fields ELSE fields || ',' || excluded.fields END")) == NULL)
		return -1;
	for (i = 0; i < n && rc == SQLITE_DONE; i++) {
		sqlite3_reset(st);
		if (sqlite3_bind_int64(st, 1, batch) != SQLITE_OK ||
		    db_bind_text(st, 2, v[i].model) == -1 ||
		    db_bind_text(st, 3, v[i].before) == -1 ||
		    db_bind_text(st, 4, v[i].after) == -1 ||
		    db_bind_text(st, 5, v[i].field) == -1)
			rc = SQLITE_ERROR;
		else
			rc = sqlite3_step(st);
	}
	if (rc != SQLITE_DONE)
		db_logerr(db, "record an import's models");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_history_exports_put(sqlite3 *db, int64_t batch, const struct buf *before,
    const struct buf *after)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "INSERT INTO batch_exports(batch, before, after)"
	    " VALUES (?1, ?2, ?3)")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, batch) != SQLITE_OK ||
	    sqlite3_bind_text64(st, 2, before->data != NULL ? before->data : "",
	    before->len, SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK ||
	    sqlite3_bind_text64(st, 3, after->data != NULL ? after->data : "",
	    after->len, SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "keep an import's exports");
}

int
db_history_exports_get(sqlite3 *db, int64_t id, struct buf *before,
    struct buf *after)
{
	sqlite3_stmt	*st;
	int		 rc, r = 1;

	buf_reset(before);
	buf_reset(after);
	if ((st = db_prepare(db, "SELECT before, after FROM batch_exports"
	    " WHERE batch = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = buf_append(before, sqlite3_column_text(st, 0),
		    (size_t)sqlite3_column_bytes(st, 0)) == -1 ||
		    buf_append(after, sqlite3_column_text(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1)) == -1 ? -1 : 0;
		rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read an import's exports");
		r = -1;
	}
	sqlite3_finalize(st);
	return r;
}
