/* db_models.c: the SQL of the models table: resolve a name, status, the default mark, delete, and the read side (LIST, SHOW). */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_int.h"
#include "db_tags.h"
#include "log.h"
#include "registry.h"

/* The columns of a model record, in the order db_row_model() reads them. */
#define MODEL_COLS \
	"id, name, provider, description, context_length, prompt_price," \
	" completion_price, features, aliases, status, is_default," \
	" status_source, added_at, status_changed_at, last_seen_at," \
	" slug, delisted, zdr, health, uptime_30m, status_reason, kind, prices, expires_at," \
	MODEL_SETTINGS_COLS "," MODEL_TAGS_COL

/*
 * Issue 11: the model's tags, read off model_tags' primary key (model,
 * tag), so they come sorted with no sort: one seek per record.
 */
#define MODEL_TAGS_COL \
	" (SELECT group_concat(tag, ',') FROM model_tags AS mt" \
	"  WHERE mt.model = model_view.id)"
#define MODEL_TAGS_AT	(24 + 3 + SP_COUNT)

/* MODEL_SETTINGS_COLS and MODEL_FROM are in db_int.h: RESOLVE reads them too (db_resolve.c). */

/* Issue 9: the settings columns of MODEL_COLS, from column c on (db_int.h). */
void
db_row_settings(sqlite3_stmt *st, int c, struct model *m)
{
	int	 i;

	m->label = sqlite3_column_type(st, c) == SQLITE_NULL ? NULL :
	    db_coltext(st, c);
	for (i = 0; i < SP_COUNT; i++)
		if (sqlite3_column_type(st, c + 1 + i) != SQLITE_NULL) {
			m->has_param[i] = 1;
			m->param[i] = sqlite3_column_double(st, c + 1 + i);
		}
	m->enforced = (unsigned)sqlite3_column_int64(st, c + 1 + SP_COUNT);
	m->org_aliases = db_coltext(st, c + 2 + SP_COUNT);
}

/* Fill m from a row of MODEL_COLS; its pointers live until the next step. */
static void
db_row_model(sqlite3_stmt *st, struct model *m)
{
	memset(m, 0, sizeof(*m));
	m->id = db_coltext(st, 0);
	m->name = db_coltext(st, 1);
	m->provider = db_coltext(st, 2);
	m->description = db_coltext(st, 3);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		m->context_length = sqlite3_column_int64(st, 4);
		m->has_context = 1;
	}
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		m->prompt_price = sqlite3_column_double(st, 5);
		m->has_prompt_price = 1;
	}
	if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
		m->completion_price = sqlite3_column_double(st, 6);
		m->has_completion_price = 1;
	}
	m->features = (unsigned)sqlite3_column_int64(st, 7);
	m->aliases = db_coltext(st, 8);
	m->active = strcmp(db_coltext(st, 9), "active") == 0;
	m->is_default = sqlite3_column_int(st, 10) == 1;
	m->status_source = db_coltext(st, 11);
	m->added_at = sqlite3_column_int64(st, 12);
	m->status_changed_at = sqlite3_column_int64(st, 13);
	m->last_seen_at = sqlite3_column_int64(st, 14);
	m->canonical_slug = sqlite3_column_type(st, 15) == SQLITE_NULL ? NULL :
	    db_coltext(st, 15);
	m->delisted = sqlite3_column_int(st, 16) == 1;
	m->zdr = sqlite3_column_type(st, 17) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 17) == 1;
	m->health = db_coltext(st, 18);
	if (sqlite3_column_type(st, 19) != SQLITE_NULL) {
		m->uptime_30m = sqlite3_column_double(st, 19);
		m->has_uptime = 1;
	}
	m->status_reason = sqlite3_column_type(st, 20) == SQLITE_NULL ? NULL :
	    db_coltext(st, 20);
	m->kind = db_coltext(st, 21);
	m->prices = db_coltext(st, 22);
	if (sqlite3_column_type(st, 23) != SQLITE_NULL)
		m->expires_at = sqlite3_column_int64(st, 23);
	db_row_settings(st, 24, m);
	m->tags = db_coltext(st, MODEL_TAGS_AT);
}

/* Step st, handing every row to cb. Returns the number of rows, or -1. Hands st back (db_stmt_done). */
static int
db_each_model(sqlite3 *db, sqlite3_stmt *st, db_model_cb cb, void *arg)
{
	struct model	 m;
	int		 rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		db_row_model(st, &m);
		if (cb(&m, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read models");
		n = -1;
	}
	db_stmt_done(db, st);
	return n;
}

/* Run st (which selects id, status, is_default) into ref: 0, 1 no row, -1. Hands st back (db_stmt_done). */
static int
db_ref_step(sqlite3 *db, sqlite3_stmt *st, struct db_modelref *ref)
{
	const char	*id;
	int		 rc, r = -1;

	memset(ref, 0, sizeof(*ref));
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 1;
	else if (rc != SQLITE_ROW)
		db_logerr(db, "find model");
	else {
		id = db_coltext(st, 0);
		if (strlen(id) >= sizeof(ref->id))
			log_warnx("database: model id too long");
		else {
			memcpy(ref->id, id, strlen(id) + 1);
			ref->active = strcmp(db_coltext(st, 1), "active") == 0;
			ref->is_default = sqlite3_column_int(st, 2) == 1;
			r = 0;
		}
	}
	db_stmt_done(db, st);
	return r;
}

int
db_model_resolve(sqlite3 *db, const char *name, struct db_modelref *ref)
{
	sqlite3_stmt	*st;

	st = db_stmt(db, DB_STMT_RESOLVE, "SELECT id, status, is_default"
	    " FROM models WHERE id = " RESOLVE_SQL);
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	return db_ref_step(db, st, ref);
}

int
db_model_lookup(sqlite3 *db, const char *id, struct db_modelref *ref)
{
	sqlite3_stmt	*st;

	st = db_stmt(db, DB_STMT_LOOKUP, "SELECT id, status, is_default"
	    " FROM models WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	return db_ref_step(db, st, ref);
}

int
db_model_default(sqlite3 *db, struct db_modelref *ref)
{
	sqlite3_stmt	*st;

	st = db_stmt(db, DB_STMT_DEFAULT, "SELECT id, status, is_default"
	    " FROM models WHERE is_default = 1");
	if (st == NULL)
		return -1;
	return db_ref_step(db, st, ref);
}

/* Step st (selecting kind, expires_at) into kind and expires_at: 0, 1 no row, -1. Hands st back (db_stmt_done). */
int
db_kind_step(sqlite3 *db, sqlite3_stmt *st, char *kind, size_t klen,
    int64_t *expires_at)
{
	int	 rc, r = -1;

	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 1;
	else if (rc != SQLITE_ROW)
		db_logerr(db, "model kind");
	else {
		snprintf(kind, klen, "%s", db_coltext(st, 0));
		*expires_at = sqlite3_column_type(st, 1) == SQLITE_NULL ? 0 :
		    sqlite3_column_int64(st, 1);
		r = 0;
	}
	db_stmt_done(db, st);
	return r;
}

int
db_model_kind(sqlite3 *db, const char *id, char *kind, size_t klen,
    int64_t *expires_at)
{
	sqlite3_stmt	*st;

	st = db_stmt(db, DB_STMT_KIND, "SELECT kind, expires_at FROM models"
	    " WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	return db_kind_step(db, st, kind, klen, expires_at);
}

int
db_model_set_status(sqlite3 *db, const char *id, int active,
    const char *source, int64_t now)
{
	sqlite3_stmt	*st;

	/* A status set without a reason clears the reason of the last one. */
	st = db_prepare(db, "UPDATE models SET status = ?2,"
	    " status_source = ?3, status_changed_at = ?4,"
	    " status_reason = NULL WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, active ? "active" : "inactive") == -1 ||
	    db_bind_text(st, 3, source) == -1 ||
	    sqlite3_bind_int64(st, 4, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "set status");
}

int
db_model_set_status_reason(sqlite3 *db, const char *id, const char *reason)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "UPDATE models SET status_reason = ?2 WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 || db_bind_text(st, 2, reason) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "set status reason");
}

int
db_model_clear_default(sqlite3 *db)
{
	return db_exec(db, "UPDATE models SET is_default = NULL"
	    " WHERE is_default = 1");
}

int
db_model_set_default(sqlite3 *db, const char *id)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "UPDATE models SET is_default = 1 WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "set default") == -1)
		return -1;
	if (sqlite3_changes(db) != 1) {
		log_warnx("database: set default: no model %s", id);
		return -1;
	}
	return 0;
}

/*
 * The whole row as DELETE audits it (so a deletion can be undone by
 * hand), over a row of models: one text for the single DELETE and a
 * batch's (issue 11).
 */
#define MODEL_DELETE_JSON \
	" json_object('name', name, 'provider', provider," \
	"  'description', description, 'context_length', context_length," \
	"  'prompt_price', prompt_price, 'completion_price'," \
	"  completion_price, 'features', features," \
	"  'aliases', json(aliases), 'status', status," \
	"  'status_source', status_source, 'added_at', added_at," \
	"  'status_changed_at', status_changed_at," \
	"  'last_seen_at', last_seen_at, 'kind', kind," \
	"  'prices', json(prices), 'expires_at', expires_at," \
	/* Issue 9: the settings go with it (ON DELETE CASCADE). */ \
	"  'settings', json((SELECT json_object('label', label, 'temperature'," \
	"   temperature, 'top_p', top_p, 'max_tokens', max_tokens," \
	"   'frequency_penalty', frequency_penalty, 'presence_penalty'," \
	"   presence_penalty, 'enforced', enforced) FROM model_settings" \
	"   WHERE model = models.id))," \
	"  'org_aliases', json((SELECT json_group_array(alias) FROM" \
	"   model_org_aliases WHERE model = models.id)))"

int
db_model_delete(sqlite3 *db, const char *id, int64_t now,
    const struct actor *a)
{
	sqlite3_stmt	*st;

	/* The whole row goes into the audit log, so a deletion can be undone by hand. */
	st = db_prepare(db, "INSERT INTO audit(at, uid, actor, action, model,"
	    " field, old, new) SELECT ?2, ?3, ?4, 'delete', id, NULL,"
	    MODEL_DELETE_JSON ", NULL FROM models WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 ||
	    sqlite3_bind_int64(st, 2, now) != SQLITE_OK ||
	    db_bind_actor(st, 3, 4, a) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "audit delete") == -1)
		return -1;
	if ((st = db_prepare(db, "DELETE FROM models WHERE id = ?1")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "delete") == -1)
		return -1;
	if (sqlite3_changes(db) != 1) {
		log_warnx("database: delete: no model %s", id);
		return -1;
	}
	return 0;
}

int
db_model_show(sqlite3 *db, const char *name, db_model_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 n;

	st = db_stmt(db, DB_STMT_SHOW, "SELECT " MODEL_COLS " FROM " MODEL_FROM
	    " WHERE id = " RESOLVE_SQL);
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	if ((n = db_each_model(db, st, cb, arg)) == -1)
		return -1;
	return n == 0 ? 1 : 0;
}

int
db_model_show_default(sqlite3 *db, db_model_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 n;

	st = db_stmt(db, DB_STMT_SHOW_DEFAULT, "SELECT " MODEL_COLS
	    " FROM " MODEL_FROM " WHERE is_default = 1");
	if (st == NULL)
		return -1;
	if ((n = db_each_model(db, st, cb, arg)) == -1)
		return -1;
	return n == 0 ? 1 : 0;
}

/* A page of LIST: hands limit rows on, and notes where the next begins. */
struct db_page {
	const struct list_query	*q;
	db_model_cb		 cb;
	void			*arg;
	int			 n;
	int			 more;	/* a row past the page was read */
	int			 stopped;	/* cb asked to stop */
	int			 failed;
};

static int
db_page_cb(const struct model *m, void *arg)
{
	struct db_page	*p = arg;

	if (p->q->limit > 0 && p->n == p->q->limit) {
		/* The row past the page: there is a next page. */
		p->more = 1;
		return 1;
	}
	p->n++;
	if (p->q->limit > 0 && p->n == p->q->limit && p->q->next != NULL &&
	    db_cursor_set(p->q->next, p->q->sort, p->q->desc, m->id, m->name,
	    m->provider, m->active, m->has_context, m->context_length,
	    m->has_prompt_price, m->prompt_price) == -1) {
		p->failed = 1;
		return 1;
	}
	if (p->cb(m, p->arg) != 0) {
		p->stopped = 1;
		return 1;
	}
	return 0;
}

/*
 * provider= and search= (db_filter_plan_sql's), where search= also
 * matches the organisation's label and org aliases (issue 9's settings):
 * ((the catalog's fields) OR a label OR an org alias holding the text).
 * Only models with settings have rows in those two tables, so their
 * terms read a few rows; with noindex they are written +id, so they
 * cannot drive the query either.
 */
static int
db_models_search_sql(struct buf *sql, const struct list_query *q,
    const char *tbl, int noindex)
{
	const char	*plus = noindex ? "+" : "";

	if (db_filter_plan_sql(sql, tbl, "model", q->provider, NULL,
	    noindex) == -1)
		return -1;
	if (q->search == NULL)
		return 0;
	if (buf_puts(sql, " AND ((1") == -1 ||
	    db_filter_plan_sql(sql, tbl, "model", NULL, q->search,
	    noindex) == -1 ||
	    buf_printf(sql, ") OR %s%s.id IN (SELECT s.model FROM"
	    " model_settings AS s WHERE instr(lower(s.label), lower(:search))"
	    " > 0) OR %s%s.id IN (SELECT a.model FROM model_org_aliases AS a"
	    " WHERE instr(lower(a.alias), lower(:search)) > 0))", plus, tbl,
	    plus, tbl) == -1)
		return -1;
	return 0;
}

/*
 * LIST's conditions over table or alias tbl, built only from the fixed
 * fragments below; the user's text is always bound, never put into the
 * SQL. With noindex no filter may drive the query (+status, +kind, and
 * db_filter_plan_sql's), so the sort key's index does: see
 * db_models_list_stmt.
 */
static int
db_models_where(struct buf *sql, const struct list_query *q, const char *tbl,
    int phase, int noindex)
{
	const char	*plus = noindex ? "+" : "";

	if (buf_puts(sql, " WHERE 1") == -1)
		return -1;
	if (q->status == RS_ACTIVE && buf_printf(sql,
	    " AND %sstatus = 'active'", plus) == -1)
		return -1;
	if (q->status == RS_INACTIVE && buf_printf(sql,
	    " AND %sstatus = 'inactive'", plus) == -1)
		return -1;
	if (db_models_search_sql(sql, q, tbl, noindex) == -1)
		return -1;
	if (q->kind != NULL && buf_printf(sql, " AND %skind = :kind",
	    plus) == -1)
		return -1;
	if (db_groups_where(sql, q->tag, q->collection) == -1)
		return -1;
	if (q->after != NULL && db_keyset_sql(sql, q->after, phase) == -1)
		return -1;
	return 0;
}

/* LIST's ORDER BY: unknown numbers last in both directions, ties by ascending id. */
static int
db_models_order(struct buf *sql, const struct list_query *q, int phase)
{
	const char	*order = db_sort_sql(q->sort), *ko;

	if (order == NULL)
		return -1;
	ko = q->after != NULL ? db_keyset_order(q->after, phase) : NULL;
	if (ko != NULL && ko[0] == '\0')
		return buf_puts(sql, " ORDER BY id");
	if (buf_puts(sql, " ORDER BY ") == -1 ||
	    buf_puts(sql, ko != NULL ? ko : order) == -1 ||
	    buf_puts(sql, q->desc ? "DESC" : "ASC") == -1 ||
	    buf_puts(sql, ", id") == -1)
		return -1;
	return 0;
}

/*
 * LIST's query. With a limit, one row more than the page is read: it
 * tells whether a next page exists. A page after a cursor may take two
 * queries (db_keyset_phases): phase picks one.
 */
static int
db_models_list_sql(struct buf *sql, const struct list_query *q, int phase,
    int limit)
{
	if (buf_puts(sql, "SELECT " MODEL_COLS " FROM " MODEL_FROM) == -1 ||
	    db_models_where(sql, q, "model_view", phase, 0) == -1 ||
	    db_models_order(sql, q, phase) == -1)
		return -1;
	if (limit > 0 && buf_printf(sql, " LIMIT %d", limit) == -1)
		return -1;
	return 0;
}

/*
 * The streamed reply's SQL (db_models_list_stmt). A count reads models
 * alone, with no order and at most limit rows: model_view's columns (the
 * catalog's slug, ZDR, the latest uptime sample) cost a join and three
 * lookups a row, and a COUNT over the view computed them for every row
 * of the registry (0.7 s at 100k models, on the loop). A page's rows
 * are chosen in models too, sorted and cut, and only then joined to the
 * view, so the view's columns are computed for the page's rows only.
 */
static int
db_models_stream_sql(struct buf *sql, const struct list_query *q, int count,
    int phase, int limit, enum db_plan plan)
{
	int	 noindex = plan == DB_PLAN_SORT;

	if (count && limit == 0 && q->status == RS_ALL && q->provider == NULL &&
	    q->search == NULL && q->kind == NULL && q->after == NULL &&
	    q->tag == NULL && q->collection == NULL)
		/* No WHERE at all: SQLite counts the smallest index's pages, 20 times faster. */
		return buf_puts(sql, "SELECT count(*) FROM models");
	if (count) {
		if (buf_puts(sql, "SELECT count(*) FROM (SELECT 1 FROM models") ==
		    -1 || db_models_where(sql, q, "models", phase, 0) == -1 ||
		    (limit > 0 && buf_printf(sql, " LIMIT %d", limit) == -1) ||
		    buf_puts(sql, ")") == -1)
			return -1;
		return 0;
	}
	if (limit == 0) {
		if (buf_puts(sql, "SELECT " MODEL_COLS " FROM " MODEL_FROM) ==
		    -1 || db_models_where(sql, q, "model_view", phase,
		    noindex) == -1 || db_models_order(sql, q, phase) == -1)
			return -1;
		return 0;
	}
	if (buf_puts(sql, "SELECT " MODEL_COLS " FROM " MODEL_FROM " WHERE id IN"
	    " (SELECT id FROM models") == -1 ||
	    db_models_where(sql, q, "models", phase, noindex) == -1 ||
	    db_models_order(sql, q, phase) == -1 ||
	    buf_printf(sql, " LIMIT %d)", limit) == -1 ||
	    db_models_order(sql, q, phase) == -1)
		return -1;
	return 0;
}

int
db_models_list(sqlite3 *db, const struct list_query *q, db_model_cb cb,
    void *arg)
{
	struct db_page	 page = { q, cb, arg, 0, 0, 0, 0 };
	struct buf	 sql = { 0 };
	sqlite3_stmt	*st = NULL;
	int		 phase, phases;

	if (db_sort_sql(q->sort) == NULL) {
		log_warnx("database: list: bad sort key %d", (int)q->sort);
		return -1;
	}
	if (q->status != RS_ALL && q->status != RS_ACTIVE &&
	    q->status != RS_INACTIVE) {
		log_warnx("database: list: bad status filter %d",
		    (int)q->status);
		return -1;
	}
	if (q->after != NULL && (q->after->sort != q->sort ||
	    q->after->desc != q->desc)) {
		log_warnx("database: list: a cursor of another sort");
		return -1;
	}
	if (q->next != NULL)
		memset(q->next, 0, sizeof(*q->next));
	phases = q->after != NULL ? db_keyset_phases(q->after) : 1;
	for (phase = 0; phase < phases && !page.more && !page.stopped;
	    phase++) {
		buf_reset(&sql);
		if (db_models_list_sql(&sql, q, phase, q->limit > 0 ?
		    q->limit + 1 - page.n : 0) == -1) {
			log_warnx("database: list: out of memory");
			goto fail;
		}
		if ((st = db_prepare(db, sql.data)) == NULL)
			goto fail;
		if (db_bind_filters(st, q->provider, q->search) == -1 ||
		    db_bind_kind(st, q->kind) == -1 ||
		    db_bind_groups(st, q->tag, q->collection) == -1 ||
		    (q->after != NULL && db_bind_keyset(st, q->after) == -1))
			goto fail;
		if (db_each_model(db, st, db_page_cb, &page) == -1 ||
		    page.failed) {
			st = NULL;
			goto fail;
		}
		st = NULL;
	}
	buf_free(&sql);
	/* No row past the page: the cursor noted at its last row is void. */
	if (q->next != NULL && !page.more)
		q->next->id[0] = '\0';
	return 0;
fail:
	sqlite3_finalize(st);
	buf_free(&sql);
	return -1;
}

/*
 * LIST's statement for a streamed reply (reg_cursor.c), prepared and
 * bound: the rows of one phase of the query (db_models_list_sql: the
 * sort index, the search, after='s keyset), at most limit of them (0:
 * all), or (count) just how many, the count wrapping the very same
 * query. The query's strings and cursor are bound static: they must
 * outlive the statement. NULL (logged) on failure.
 */
sqlite3_stmt *
db_models_list_stmt(sqlite3 *db, const struct list_query *q, int count,
    int phase, int limit, enum db_plan plan)
{
	struct buf	 sql = { 0 };
	sqlite3_stmt	*st;

	if (db_sort_sql(q->sort) == NULL) {
		log_warnx("database: list: bad sort key %d", (int)q->sort);
		return NULL;
	}
	if (q->status != RS_ALL && q->status != RS_ACTIVE &&
	    q->status != RS_INACTIVE) {
		log_warnx("database: list: bad status filter %d",
		    (int)q->status);
		return NULL;
	}
	if (q->after != NULL && (q->after->sort != q->sort ||
	    q->after->desc != q->desc)) {
		log_warnx("database: list: a cursor of another sort");
		return NULL;
	}
	if (db_models_stream_sql(&sql, q, count, phase, limit, plan) == -1) {
		log_warnx("database: list: out of memory");
		goto fail;
	}
	st = db_stream_prepare(db, &sql, q->provider, q->search, q->kind,
	    q->after);
	if (st != NULL && db_bind_groups(st, q->tag, q->collection) == -1) {
		sqlite3_finalize(st);
		st = NULL;
	}
	return st;
fail:
	buf_free(&sql);
	return NULL;
}

int
db_list_phases(const struct page_cursor *after)
{
	return after != NULL ? db_keyset_phases(after) : 1;
}

int
db_page_cursor_model(struct page_cursor *c, const struct list_query *q,
    const struct model *m)
{
	return db_cursor_set(c, q->sort, q->desc, m->id, m->name, m->provider,
	    m->active, m->has_context, m->context_length, m->has_prompt_price,
	    m->prompt_price);
}

/* One row of a LIST statement into m: 1, 0 at the end, -1 (logged). */
int
db_models_step(sqlite3 *db, sqlite3_stmt *st, struct model *m)
{
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		db_row_model(st, m);
		return 1;
	case SQLITE_DONE:
		return 0;
	default:
		db_logerr(db, "read models");
		return -1;
	}
}

int
db_model_counts(sqlite3 *db, int64_t *models, int64_t *active)
{
	sqlite3_stmt	*st;

	st = db_stmt(db, DB_STMT_COUNTS, "SELECT count(*),"
	    " coalesce(sum(status = 'active'), 0) FROM models");
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_logerr(db, "count models");
		db_stmt_done(db, st);
		return -1;
	}
	*models = sqlite3_column_int64(st, 0);
	*active = sqlite3_column_int64(st, 1);
	db_stmt_done(db, st);
	return 0;
}

/*
 * Issue 11 (reg_batch.c, reg_collections.c): the ids of the models LIST
 * would give for q's filters (status, provider, search, kind, tag,
 * collection; no sort, no page) inserted into temp.batch_sel, with
 * LIST's very conditions, so a batch selects what a list shows. 0, -1.
 */
int
db_models_select(sqlite3 *db, const struct list_query *q)
{
	struct buf	 sql = { 0 };
	sqlite3_stmt	*st;

	if (buf_puts(&sql, "INSERT OR IGNORE INTO temp.batch_sel(id)"
	    " SELECT id FROM models") == -1 ||
	    db_models_where(&sql, q, "models", 0, 0) == -1) {
		buf_free(&sql);
		log_warnx("database: select: out of memory");
		return -1;
	}
	st = db_prepare(db, sql.data);
	buf_free(&sql);
	if (st == NULL)
		return -1;
	if (db_bind_filters(st, q->provider, q->search) == -1 ||
	    db_bind_kind(st, q->kind) == -1 ||
	    db_bind_groups(st, q->tag, q->collection) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "select models");
}

/*
 * Issue 11 (reg_batch.c): delete every model marked in temp.batch_sel,
 * set-based: their audit rows (as db_model_delete's), one DELETE, and
 * model_ids' record of who deleted them (its trigger reads only the last
 * audit row, which names one of them). Row by row, 10,000 deletes held
 * the loop for tens of seconds.
 */
int
db_models_delete_sel(sqlite3 *db, int64_t now, const struct actor *a)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "INSERT INTO audit(at, uid, actor, action,"
	    " model, field, old, new) SELECT ?1, ?2, ?3, 'delete', id, NULL,"
	    MODEL_DELETE_JSON ", NULL FROM models WHERE id IN (SELECT id FROM"
	    " temp.batch_sel WHERE act = 1) ORDER BY id")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    db_bind_actor(st, 2, 3, a) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "audit a batch delete") == -1 ||
	    db_exec(db, "DELETE FROM models WHERE id IN (SELECT id FROM"
	    " temp.batch_sel WHERE act = 1)") == -1)
		return -1;
	if ((st = db_prepare(db, "UPDATE model_ids SET deleted_at = ?1,"
	    " deleted_uid = ?2, deleted_by = ?3 WHERE id IN (SELECT id FROM"
	    " temp.batch_sel WHERE act = 1)")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    db_bind_actor(st, 2, 3, a) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "record a batch's deletes");
}
