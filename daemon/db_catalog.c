/* db_catalog.c: the discovery catalog's SQL: the all-or-nothing apply over staging, the CATALOG query, SYNC. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "body.h"
#include "buf.h"
#include "reg_catalog.h"	/* struct catalog_query, catalog_entry */
#include "db_catalog.h"
#include "db_import.h"
#include "db_int.h"
#include "db_tags.h"
#include "log.h"
#include "registry.h"

/*
 * A synced model has vanished when the catalog listed it and staging does
 * not: it is in temp.imp_gone (the catalog's ids staging lacks,
 * db_catalog_diff). Models the catalog never listed (from another seed
 * source) are not "delisted": they were never listed.
 */
#define VANISHED(alias) \
	alias ".delisted = 0" \
	" AND " alias ".id IN (SELECT id FROM temp.imp_gone)"

/* A model "is synced" when the registry holds its catalog id. */
#define SYNCED(alias) "EXISTS (SELECT 1 FROM models AS m WHERE m.id = " alias ".id)"

/*
 * A catalog model's ZDR: unknown until a ZDR refresh has succeeded, then
 * whether its canonical slug (else its id) is listed: the derivation of
 * model_view, so that CATALOG and LIST agree.
 */
#define CATALOG_ZDR \
	"CASE WHEN NOT EXISTS (SELECT 1 FROM state WHERE key = 'zdr_last_ok')" \
	" THEN NULL" \
	" WHEN EXISTS (SELECT 1 FROM zdr_slugs AS z WHERE z.slug =" \
	"  coalesce(c.canonical_slug, c.id)) THEN 1 ELSE 0 END"

int
db_catalog_count(sqlite3 *db, int64_t *n)
{
	return db_query_int(db, "SELECT count(*) FROM catalog", n);
}

int
db_catalog_price_rises(sqlite3 *db, int pct, db_price_cb cb, void *arg)
{
	struct db_price_rise	 r;
	sqlite3_stmt		*st;
	int			 rc;

	/*
	 * "More than pct percent" from a known, non-zero old price: a rise is
	 * a change, so only the changed models (db_catalog_diff) are read.
	 */
	st = db_prepare(db, "SELECT id, op, np, oc, nc, pr, cr FROM ("
	    " SELECT m.id AS id, m.prompt_price AS op, s.prompt_price AS np,"
	    "  m.completion_price AS oc, s.completion_price AS nc,"
	    "  coalesce(m.prompt_price > 0 AND s.prompt_price >"
	    "   m.prompt_price * (1.0 + ?1 / 100.0), 0) AS pr,"
	    "  coalesce(m.completion_price > 0 AND s.completion_price >"
	    "   m.completion_price * (1.0 + ?1 / 100.0), 0) AS cr"
	    " FROM temp.imp_model AS c JOIN models AS m ON m.id = c.id"
	    " JOIN temp.staging AS s ON s.id = c.id)"
	    " WHERE pr OR cr ORDER BY id");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, pct) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = db_coltext(st, 0);
		if ((r.has_old_prompt = sqlite3_column_type(st, 1) != SQLITE_NULL))
			r.old_prompt = sqlite3_column_double(st, 1);
		if ((r.has_new_prompt = sqlite3_column_type(st, 2) != SQLITE_NULL))
			r.new_prompt = sqlite3_column_double(st, 2);
		if ((r.has_old_completion =
		    sqlite3_column_type(st, 3) != SQLITE_NULL))
			r.old_completion = sqlite3_column_double(st, 3);
		if ((r.has_new_completion =
		    sqlite3_column_type(st, 4) != SQLITE_NULL))
			r.new_completion = sqlite3_column_double(st, 4);
		r.prompt_rose = sqlite3_column_int(st, 5) != 0;
		r.completion_rose = sqlite3_column_int(st, 6) != 0;
		if (cb(&r, arg) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "price rises");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Hand every id a query yields to cb. */
static int
dbc_each_id(sqlite3 *db, const char *sql, db_id_cb cb, void *arg)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(db_coltext(st, 0), arg) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read ids");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int
db_catalog_relisted(sqlite3 *db, db_id_cb cb, void *arg)
{
	return dbc_each_id(db, "SELECT c.id FROM temp.imp_model AS c"
	    " WHERE c.relist ORDER BY c.id", cb, arg);
}

int
db_catalog_vanished(sqlite3 *db, db_id_cb cb, void *arg)
{
	return dbc_each_id(db, "SELECT m.id FROM temp.imp_gone AS g"
	    " JOIN models AS m ON m.id = g.id WHERE m.delisted = 0"
	    " ORDER BY m.id", cb, arg);
}

/*
 * One audit row per changed field of a synced, staged model (of
 * temp.imp_model): bit is the field's in the row's sig
 * (DB_IMPORT_SIG_OF), tested before the joins, so each branch reads
 * only the rows whose field changed.
 */
#define CAT_FIELD(f, bit) \
	"SELECT ?1, ?2, ?3, 'catalog.update', m.id, '" f "', m." f ", s." f \
	" FROM temp.imp_model AS c JOIN models AS m ON m.id = c.id" \
	" JOIN temp.staging AS s ON s.id = c.id" \
	" WHERE (c.sig & " #bit ") <> 0 AND m." f " IS NOT s." f

#define CAT_CHANGED \
	"m.name IS NOT s.name OR m.provider IS NOT s.provider" \
	" OR m.description IS NOT s.description" \
	" OR m.context_length IS NOT s.context_length" \
	" OR m.prompt_price IS NOT s.prompt_price" \
	" OR m.completion_price IS NOT s.completion_price" \
	" OR m.features IS NOT s.features OR m.aliases IS NOT s.aliases" \
	" OR m.canonical_slug IS NOT s.canonical_slug" \
	" OR m.kind IS NOT s.kind OR m.prices IS NOT s.prices" \
	" OR m.expires_at IS NOT s.expires_at"

/*
 * The same test over any table alias: only the models whose metadata
 * changed (or that come back from a delisting) are written, so an
 * unchanged catalog writes no model row (issue 8).
 */
#define CAT_CHANGED_OF(m) \
	m ".name IS NOT s.name OR " m ".provider IS NOT s.provider" \
	" OR " m ".description IS NOT s.description" \
	" OR " m ".context_length IS NOT s.context_length" \
	" OR " m ".prompt_price IS NOT s.prompt_price" \
	" OR " m ".completion_price IS NOT s.completion_price" \
	" OR " m ".features IS NOT s.features OR " m ".aliases IS NOT s.aliases" \
	" OR " m ".canonical_slug IS NOT s.canonical_slug" \
	" OR " m ".kind IS NOT s.kind OR " m ".prices IS NOT s.prices" \
	" OR " m ".expires_at IS NOT s.expires_at"

/*
 * The one comparison of staging with the stored rows (issue 8): three
 * scratch sets, each one pass over staging or the catalog, that every
 * later statement of the apply reads instead of joining the whole of
 * staging again. temp.imp_entry: the staged entries that are new or
 * differ from the catalog's row (is_new); temp.imp_gone: the catalog's
 * ids staging lacks; temp.imp_model: the synced models the catalog
 * changes (counted: their metadata differs) or lists again (relist).
 */
int
db_catalog_diff(sqlite3 *db, struct db_catalog_diff *d)
{
	int	 added, dropped;

	memset(d, 0, sizeof(*d));
	if (db_query_int(db, "SELECT count(*) FROM catalog", &d->known) == -1 ||
	    db_query_int(db, "SELECT count(*) FROM temp.staging",
	    &d->staged) == -1 ||
	    db_import_set(db, "imp_entry", "SELECT s.id AS id,"
	    " c.id IS NULL AS is_new, " DB_IMPORT_SIG_OF("c") " AS sig"
	    " FROM temp.staging AS s"
	    " LEFT JOIN catalog AS c ON c.id = s.id"
	    " WHERE c.id IS NULL OR " CAT_CHANGED_OF("c") " ORDER BY s.id") == -1 ||
	    db_import_set(db, "imp_gone", "SELECT c.id AS id FROM catalog AS c"
	    " WHERE NOT EXISTS (SELECT 1 FROM temp.staging AS s"
	    " WHERE s.id = c.id) ORDER BY c.id") == -1 ||
	    db_import_set(db, "imp_model", "SELECT s.id AS id,"
	    " (" CAT_CHANGED ") AS counted, m.delisted = 1 AS relist,"
	    " " DB_IMPORT_SIG_OF("m") " AS sig"
	    " FROM temp.staging AS s JOIN models AS m ON m.id = s.id"
	    " WHERE " CAT_CHANGED " OR m.delisted = 1 ORDER BY s.id") == -1 ||
	    db_import_sum(db, "SELECT coalesce(sum(is_new), 0)"
	    " FROM temp.imp_entry", &added) == -1 ||
	    db_import_sum(db, "SELECT count(*) FROM temp.imp_gone",
	    &dropped) == -1)
		return -1;
	d->added = added;
	d->dropped = dropped;
	return 0;
}

int
db_catalog_update_synced(sqlite3 *db, int64_t now, const struct actor *a,
    int *changed)
{
	if (db_import_sum(db, "SELECT coalesce(sum(counted), 0)"
	    " FROM temp.imp_model", changed) == -1)
		return -1;
	/* Audit first: afterwards the old values are gone. */
	if (db_run_now(db, "INSERT INTO audit(at, uid, actor, action, model,"
	    " field, old, new) "
	    CAT_FIELD("name", 1) " UNION ALL "
	    CAT_FIELD("provider", 2) " UNION ALL "
	    CAT_FIELD("description", 4) " UNION ALL "
	    CAT_FIELD("context_length", 8) " UNION ALL "
	    CAT_FIELD("prompt_price", 16) " UNION ALL "
	    CAT_FIELD("completion_price", 32) " UNION ALL "
	    CAT_FIELD("features", 64) " UNION ALL "
	    CAT_FIELD("aliases", 128) " UNION ALL "
	    CAT_FIELD("canonical_slug", 256) " UNION ALL "
	    CAT_FIELD("kind", 512) " UNION ALL "
	    CAT_FIELD("prices", 1024) " UNION ALL "
	    CAT_FIELD("expires_at", 2048) " UNION ALL "
	    "SELECT ?1, ?2, ?3, 'catalog.relist', c.id, 'delisted', '1', '0'"
	    " FROM temp.imp_model AS c WHERE c.relist",
	    now, a, "audit catalog updates") == -1)
		return -1;
	/* Each row only its changed columns (db_import.c says why). */
	return db_import_update(db, "models", "temp.imp_model", "1",
	    "last_seen_at = ?1, delisted = 0", now);
}

int
db_catalog_mark_delisted(sqlite3 *db, int64_t now, const struct actor *a,
    int *marked)
{
	sqlite3_stmt	*st;

	if (db_run_now(db, "INSERT INTO audit(at, uid, actor, action, model,"
	    " field, old, new) SELECT ?1, ?2, ?3, 'catalog.delist', m.id,"
	    " 'delisted', '0', '1' FROM models AS m WHERE " VANISHED("m"),
	    now, a, "audit delistings") == -1)
		return -1;
	st = db_prepare(db, "UPDATE models SET delisted = 1 WHERE "
	    VANISHED("models"));
	if (st == NULL || db_run(db, st, "mark delisted") == -1)
		return -1;
	*marked = sqlite3_changes(db);
	return 0;
}

int
db_catalog_replace(sqlite3 *db, int64_t now)
{
	sqlite3_stmt	*st;
	int64_t		 base;

	st = db_prepare(db, "DELETE FROM catalog WHERE id IN"
	    " (SELECT id FROM temp.imp_gone)");
	if (st == NULL || db_run(db, st, "drop catalog rows") == -1)
		return -1;
	/* The new entries' search keys first: indexed in one statement below. */
	if (db_search_keys(db, "catalog", "SELECT id FROM temp.imp_entry"
	    " WHERE is_new", &base) == -1)
		return -1;
	/*
	 * Only the rows that are new or changed (temp.imp_entry): an
	 * unchanged entry keeps its row, and its last_seen (issue 8: an
	 * unchanged catalog writes nothing). The new ones are inserted; a
	 * changed one gets only its changed columns (db_import_update).
	 */
	if (db_run_now(db, "INSERT INTO catalog(id, canonical_slug, name,"
	    " provider, description, context_length, prompt_price,"
	    " completion_price, features, aliases, kind, prices, expires_at,"
	    " first_seen, last_seen)"
	    " SELECT s.id, s.canonical_slug, s.name, s.provider, s.description,"
	    "  s.context_length, s.prompt_price, s.completion_price, s.features,"
	    "  s.aliases, s.kind, s.prices, s.expires_at, ?1, ?1"
	    " FROM temp.imp_entry AS e JOIN temp.staging AS s ON s.id = e.id"
	    " WHERE e.is_new ORDER BY e.id", now, NULL,
	    "add catalog entries") == -1 ||
	    db_import_update(db, "catalog", "temp.imp_entry", "NOT c.is_new",
	    "last_seen = ?1", now) == -1)
		return -1;
	return db_search_add(db, "catalog", "catalog", base);
}

int
db_catalog_stage_only(sqlite3 *db, const char *const *names, size_t n,
    int64_t *kept)
{
	sqlite3_stmt	*st;
	size_t		 i;
	char		*err = NULL;

	if (sqlite3_exec(db, "CREATE TEMP TABLE IF NOT EXISTS seed_name("
	    "name TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;"
	    "DELETE FROM temp.seed_name", NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("database: catalog: seed names: %s",
		    err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	for (i = 0; i < n; i++) {
		st = db_prepare(db, "INSERT OR IGNORE INTO temp.seed_name(name)"
		    " VALUES (?1)");
		if (st == NULL)
			return -1;
		if (db_bind_text(st, 1, names[i]) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
		if (db_run(db, st, "seed name") == -1)
			return -1;
	}
	st = db_prepare(db, "DELETE FROM temp.staging WHERE id NOT IN"
	    " (SELECT name FROM temp.seed_name) AND NOT EXISTS"
	    " (SELECT 1 FROM json_each(staging.aliases) AS j"
	    "  WHERE j.value IN (SELECT name FROM temp.seed_name))");
	if (st == NULL || db_run(db, st, "stage seed models") == -1)
		return -1;
	return db_query_int(db, "SELECT count(*) FROM temp.staging", kept);
}

/*
 * CATALOG's conditions over alias tbl (a catalog row with zdr and
 * synced computed, or with noindex the catalog itself, "c"), and its
 * order: as LIST's (db_models_where, db_models.c). With noindex no
 * filter may drive the query, so the sort key's index does.
 */
static int
db_catalog_where(struct buf *sql, const struct catalog_query *q,
    const char *tbl, int phase, int noindex)
{
	int	 raw = strcmp(tbl, "c") == 0;

	if (buf_puts(sql, " WHERE 1") == -1)
		return -1;
	if (q->zdr == 1 && buf_puts(sql, raw ? " AND (" CATALOG_ZDR ") IS 1" :
	    " AND zdr IS 1") == -1)
		return -1;
	if (q->zdr == 0 && buf_puts(sql, raw ? " AND (" CATALOG_ZDR
	    ") IS NOT 1" : " AND zdr IS NOT 1") == -1)
		return -1;
	if (q->synced == 1 && buf_puts(sql, raw ? " AND " SYNCED("c") :
	    " AND synced") == -1)
		return -1;
	if (q->synced == 0 && buf_puts(sql, raw ? " AND NOT " SYNCED("c") :
	    " AND NOT synced") == -1)
		return -1;
	if (db_filter_plan_sql(sql, tbl, "catalog", q->provider, q->search,
	    noindex) == -1)
		return -1;
	if (q->kind != NULL && buf_printf(sql, " AND %skind = :kind",
	    noindex ? "+" : "") == -1)
		return -1;
	/* Issue 11: tags are the registry's; an entry has them once synced. */
	if (db_groups_where(sql, q->tag, NULL) == -1)
		return -1;
	if (q->after != NULL && db_keyset_sql(sql, q->after, phase) == -1)
		return -1;
	return 0;
}

static int
db_catalog_order(struct buf *sql, const struct catalog_query *q,
    const char *order, int phase)
{
	const char	*ko;

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

#define CATALOG_LIST_COLS \
	"SELECT id, name, provider, description," \
	" canonical_slug, context_length, prompt_price, completion_price," \
	" features, aliases, zdr, synced, first_seen, last_seen, kind," \
	" prices, expires_at FROM" \
	" (SELECT c.*, " CATALOG_ZDR " AS zdr, " SYNCED("c") " AS synced" \
	"  FROM catalog AS c) AS v"

/* CATALOG's query for one phase of a page (db_models_list's, db_models.c). */
static int
db_catalog_list_sql(struct buf *sql, const struct catalog_query *q,
    const char *order, int phase, int limit)
{
	if (buf_puts(sql, CATALOG_LIST_COLS) == -1 ||
	    db_catalog_where(sql, q, "v", phase, 0) == -1 ||
	    db_catalog_order(sql, q, order, phase) == -1)
		return -1;
	if (limit > 0 && buf_printf(sql, " LIMIT %d", limit) == -1)
		return -1;
	return 0;
}

/*
 * The streamed reply's SQL, as LIST's (db_models_stream_sql): a count
 * reads the catalog alone, unordered, at most limit rows; a page's rows
 * are chosen and cut in the catalog, then their zdr and synced computed.
 */
static int
db_catalog_stream_sql(struct buf *sql, const struct catalog_query *q,
    const char *order, int count, int phase, int limit, enum db_plan plan)
{
	int	 noindex = plan == DB_PLAN_SORT;

	if (count && limit == 0 && q->zdr == -1 && q->synced == -1 &&
	    q->provider == NULL && q->search == NULL && q->kind == NULL &&
	    q->tag == NULL &&
	    q->after == NULL)
		return buf_puts(sql, "SELECT count(*) FROM catalog");
	if (count) {
		if (buf_puts(sql, "SELECT count(*) FROM (SELECT 1 FROM"
		    " catalog AS c") == -1 ||
		    db_catalog_where(sql, q, "c", phase, 0) == -1 ||
		    (limit > 0 && buf_printf(sql, " LIMIT %d", limit) == -1) ||
		    buf_puts(sql, ")") == -1)
			return -1;
		return 0;
	}
	if (limit == 0) {
		if (buf_puts(sql, CATALOG_LIST_COLS) == -1 ||
		    db_catalog_where(sql, q, "v", phase, noindex) == -1 ||
		    db_catalog_order(sql, q, order, phase) == -1)
			return -1;
		return 0;
	}
	if (buf_puts(sql, CATALOG_LIST_COLS " WHERE id IN (SELECT id FROM"
	    " catalog AS c") == -1 ||
	    db_catalog_where(sql, q, "c", phase, noindex) == -1 ||
	    db_catalog_order(sql, q, order, phase) == -1 ||
	    buf_printf(sql, " LIMIT %d)", limit) == -1 ||
	    db_catalog_order(sql, q, order, phase) == -1)
		return -1;
	return 0;
}

int
db_catalog_list(sqlite3 *db, const struct catalog_query *q,
    catalog_entry_cb cb, void *arg)
{
	struct catalog_entry	 e;
	struct buf		 sql = { 0 };
	sqlite3_stmt		*st = NULL;
	const char		*order;
	int			 rc, n = 0, more = 0, stopped = 0;
	int			 phase, phases;

	/* A catalog entry has no status: that key is LIST's only. */
	if (q->sort == SORT_STATUS || (order = db_sort_sql(q->sort)) == NULL) {
		log_warnx("database: catalog: bad sort key %d", (int)q->sort);
		return -1;
	}
	if (q->after != NULL && (q->after->sort != q->sort ||
	    q->after->desc != q->desc)) {
		log_warnx("database: catalog: a cursor of another sort");
		return -1;
	}
	if (q->next != NULL)
		memset(q->next, 0, sizeof(*q->next));
	/* Paging as LIST's (db_models_list): one row more than the page. */
	phases = q->after != NULL ? db_keyset_phases(q->after) : 1;
	for (phase = 0; phase < phases && !more && !stopped; phase++) {
		buf_reset(&sql);
		if (db_catalog_list_sql(&sql, q, order, phase, q->limit > 0 ?
		    q->limit + 1 - n : 0) == -1)
			goto nomem;
		if ((st = db_prepare(db, sql.data)) == NULL)
			goto fail;
		if (db_bind_filters(st, q->provider, q->search) == -1 ||
		    db_bind_kind(st, q->kind) == -1 ||
		    db_bind_groups(st, q->tag, NULL) == -1 ||
		    (q->after != NULL && db_bind_keyset(st, q->after) == -1))
			goto fail;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (q->limit > 0 && n == q->limit) {
				more = 1;
				break;
			}
			memset(&e, 0, sizeof(e));
			e.id = db_coltext(st, 0);
			e.name = db_coltext(st, 1);
			e.provider = db_coltext(st, 2);
			e.description = db_coltext(st, 3);
			e.canonical_slug = sqlite3_column_type(st, 4) ==
			    SQLITE_NULL ? NULL : db_coltext(st, 4);
			if ((e.has_context =
			    sqlite3_column_type(st, 5) != SQLITE_NULL))
				e.context_length = sqlite3_column_int64(st, 5);
			if ((e.has_prompt_price =
			    sqlite3_column_type(st, 6) != SQLITE_NULL))
				e.prompt_price = sqlite3_column_double(st, 6);
			if ((e.has_completion_price =
			    sqlite3_column_type(st, 7) != SQLITE_NULL))
				e.completion_price = sqlite3_column_double(st, 7);
			e.features = (unsigned)sqlite3_column_int64(st, 8);
			e.aliases = db_coltext(st, 9);
			e.zdr = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 :
			    sqlite3_column_int(st, 10) == 1;
			e.synced = sqlite3_column_int(st, 11) != 0;
			e.first_seen = sqlite3_column_int64(st, 12);
			e.last_seen = sqlite3_column_int64(st, 13);
			e.kind = db_coltext(st, 14);
			e.prices = db_coltext(st, 15);
			if (sqlite3_column_type(st, 16) != SQLITE_NULL)
				e.expires_at = sqlite3_column_int64(st, 16);
			n++;
			if (q->limit > 0 && n == q->limit && q->next != NULL &&
			    db_cursor_set(q->next, q->sort, q->desc, e.id,
			    e.name, e.provider, 0, e.has_context,
			    e.context_length, e.has_prompt_price,
			    e.prompt_price) == -1)
				goto fail;
			if (cb(&e, arg) != 0) {
				stopped = 1;
				break;
			}
		}
		if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
			db_logerr(db, "list");
			goto fail;
		}
		sqlite3_finalize(st);
		st = NULL;
	}
	buf_free(&sql);
	if (q->next != NULL && !more)
		q->next->id[0] = '\0';
	return n;
nomem:
	log_warnx("database: catalog: list: out of memory");
fail:
	sqlite3_finalize(st);
	buf_free(&sql);
	return -1;
}

/*
 * CATALOG's statement for a streamed reply, as LIST's
 * (db_models_list_stmt): one phase of db_catalog_list_sql, at most limit
 * rows (0: all), or (count) how many. The user's text and the cursor are
 * bound static: they must outlive the statement.
 */
sqlite3_stmt *
db_catalog_list_stmt(sqlite3 *db, const struct catalog_query *q, int count,
    int phase, int limit, enum db_plan plan)
{
	struct buf		 sql = { 0 };
	sqlite3_stmt	*st;
	const char		*order;

	/* A catalog entry has no status: that key is LIST's only. */
	if (q->sort == SORT_STATUS || (order = db_sort_sql(q->sort)) == NULL) {
		log_warnx("database: catalog: bad sort key %d", (int)q->sort);
		return NULL;
	}
	if (q->after != NULL && (q->after->sort != q->sort ||
	    q->after->desc != q->desc)) {
		log_warnx("database: catalog: a cursor of another sort");
		return NULL;
	}
	if (db_catalog_stream_sql(&sql, q, order, count, phase, limit,
	    plan) == -1) {
		log_warnx("database: catalog: list: out of memory");
		goto fail;
	}
	st = db_stream_prepare(db, &sql, q->provider, q->search, q->kind,
	    q->after);
	if (st != NULL && db_bind_groups(st, q->tag, NULL) == -1) {
		sqlite3_finalize(st);
		st = NULL;
	}
	return st;
fail:
	buf_free(&sql);
	return NULL;
}

int
db_page_cursor_entry(struct page_cursor *c, const struct catalog_query *q,
    const struct catalog_entry *e)
{
	return db_cursor_set(c, q->sort, q->desc, e->id, e->name, e->provider,
	    0, e->has_context, e->context_length, e->has_prompt_price,
	    e->prompt_price);
}

/* One row of a CATALOG statement into e (pointers valid until the next step): 1, 0 at the end, -1 (logged). */
int
db_catalog_step(sqlite3 *db, sqlite3_stmt *st, struct catalog_entry *e)
{
	int	 rc;

	if ((rc = sqlite3_step(st)) == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		db_logerr(db, "list");
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->id = db_coltext(st, 0);
	e->name = db_coltext(st, 1);
	e->provider = db_coltext(st, 2);
	e->description = db_coltext(st, 3);
	e->canonical_slug = sqlite3_column_type(st, 4) == SQLITE_NULL ?
	    NULL : db_coltext(st, 4);
	if ((e->has_context = sqlite3_column_type(st, 5) != SQLITE_NULL))
		e->context_length = sqlite3_column_int64(st, 5);
	if ((e->has_prompt_price = sqlite3_column_type(st, 6) != SQLITE_NULL))
		e->prompt_price = sqlite3_column_double(st, 6);
	if ((e->has_completion_price =
	    sqlite3_column_type(st, 7) != SQLITE_NULL))
		e->completion_price = sqlite3_column_double(st, 7);
	e->features = (unsigned)sqlite3_column_int64(st, 8);
	e->aliases = db_coltext(st, 9);
	e->zdr = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 :
	    sqlite3_column_int(st, 10) == 1;
	e->synced = sqlite3_column_int(st, 11) != 0;
	e->first_seen = sqlite3_column_int64(st, 12);
	e->last_seen = sqlite3_column_int64(st, 13);
	e->kind = db_coltext(st, 14);
	e->prices = db_coltext(st, 15);
	if (sqlite3_column_type(st, 16) != SQLITE_NULL)
		e->expires_at = sqlite3_column_int64(st, 16);
	return 1;
}

int
db_catalog_resolve(sqlite3 *db, const char *name, char *id, size_t idlen,
    int *zdr)
{
	sqlite3_stmt	*st;
	const char	*s;
	int		 rc, r = -1;

	/* The exact id, else the entry the alias names: index lookups. */
	st = db_stmt(db, DB_STMT_CATALOG_RESOLVE, "SELECT id, " CATALOG_ZDR
	    " FROM catalog AS c WHERE c.id ="
	    " coalesce((SELECT id FROM catalog WHERE id = ?1),"
	    "  (SELECT entry FROM catalog_aliases WHERE alias = ?1))");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1)
		goto done;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 1;
	else if (rc != SQLITE_ROW)
		db_logerr(db, "resolve");
	else {
		s = db_coltext(st, 0);
		if (strlen(s) >= idlen)
			log_warnx("database: catalog: model id too long");
		else {
			memcpy(id, s, strlen(s) + 1);
			*zdr = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 :
			    sqlite3_column_int(st, 1) == 1;
			r = 0;
		}
	}
done:
	db_stmt_done(db, st);
	return r;
}

int
db_catalog_names(sqlite3 *db, const char *id, const char *name)
{
	sqlite3_stmt	*st;
	int		 rc, r = -1;

	/* Whether or not the alias names it: a shadowed claim counts too. */
	st = db_prepare(db, "SELECT ?2 = c.id"
	    " OR EXISTS (SELECT 1 FROM catalog_aliases AS a"
	    "  WHERE a.alias = ?2 AND a.entry = c.id)"
	    " OR EXISTS (SELECT 1 FROM catalog_aliases_shadowed AS s"
	    "  WHERE s.alias = ?2 AND s.entry = c.id)"
	    " FROM catalog AS c WHERE c.id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 || db_bind_text(st, 2, name) == -1)
		goto done;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 0;
	else if (rc == SQLITE_ROW)
		r = sqlite3_column_int(st, 0) != 0;
	else
		db_logerr(db, "names");
done:
	sqlite3_finalize(st);
	return r;
}

int
db_catalog_sync_add(sqlite3 *db, const char *id, int active, int64_t now,
    const struct actor *a)
{
	sqlite3_stmt	*st;
	const char	*status = active ? "active" : "inactive";

	st = db_prepare(db, "INSERT INTO models(id, name, provider,"
	    " description, context_length, prompt_price, completion_price,"
	    " features, aliases, status, is_default, status_source, added_at,"
	    " status_changed_at, last_seen_at, canonical_slug, delisted, kind,"
	    " prices, expires_at)"
	    " SELECT id, name, provider, description, context_length,"
	    "  prompt_price, completion_price, features, aliases, ?2, NULL,"
	    "  'seed', ?3, ?3, last_seen, canonical_slug, 0, kind, prices,"
	    "  expires_at"
	    " FROM catalog WHERE id = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, status) == -1 ||
	    sqlite3_bind_int64(st, 3, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "sync: add model") == -1)
		return -1;
	if (sqlite3_changes(db) != 1) {
		log_warnx("database: catalog: sync: %s is not in the catalog", id);
		return -1;
	}
	st = db_prepare(db, "INSERT INTO audit(at, uid, actor, action, model,"
	    " field, old, new) VALUES (?1, ?2, ?3, 'sync', ?4, 'status', NULL,"
	    " ?5)");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, (int64_t)a->uid) != SQLITE_OK ||
	    db_bind_text(st, 3, a->user) == -1 ||
	    db_bind_text(st, 4, id) == -1 ||
	    db_bind_text(st, 5, status) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "sync: audit");
}

/* Write a chunk of the held response into its blob. */
struct db_hold_write {
	sqlite3_blob	*blob;
	int		 off;
	int		 rc;
};

static int
db_catalog_hold_chunk(void *arg, const char *p, size_t n)
{
	struct db_hold_write	*w = arg;

	if ((w->rc = sqlite3_blob_write(w->blob, p, (int)n, w->off)) !=
	    SQLITE_OK)
		return 1;
	w->off += (int)n;
	return 0;
}

int
db_catalog_hold(sqlite3 *db, const struct body_src *src, const char *body,
    size_t len, const char *format, const char *etag, const char *last_modified,
    const char *message)
{
	struct body_src		 mem;
	struct db_hold_write	 w;
	sqlite3_stmt		*st;
	sqlite3_int64		 rowid;
	char			 err[256];
	int			 rc;

	if (src == NULL) {
		body_src_mem(&mem, body, len);
		src = &mem;
	}
	if (src->len > INT32_MAX ||
	    src->len > (uint64_t)sqlite3_limit(db, SQLITE_LIMIT_LENGTH, -1)) {
		log_warnx("database: catalog: a held response of %llu bytes is "
		    "too large to keep", (unsigned long long)src->len);
		return -1;
	}
	/*
	 * Issue 8: the body is written into a blob of its size in chunks
	 * (incremental blob I/O), so that holding a 78 MB response never
	 * needs it in memory; the blob is then read back the same way.
	 */
	st = db_prepare(db, "INSERT OR REPLACE INTO state(key, value)"
	    " VALUES ('catalog_held', zeroblob(?1))");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)src->len) != SQLITE_OK) {
		db_logerr(db, "bind held catalog");
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "hold the catalog response") == -1)
		return -1;
	st = db_prepare(db, "SELECT rowid FROM state WHERE key = 'catalog_held'");
	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_logerr(db, "hold the catalog response");
		sqlite3_finalize(st);
		return -1;
	}
	rowid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	memset(&w, 0, sizeof(w));
	if (src->len > 0) {
		if (sqlite3_blob_open(db, "main", "state", "value", rowid, 1,
		    &w.blob) != SQLITE_OK) {
			db_logerr(db, "hold the catalog response");
			return -1;
		}
		rc = body_each(src, db_catalog_hold_chunk, &w, err, sizeof(err));
		sqlite3_blob_close(w.blob);
		if (rc != 0) {
			log_warnx("database: catalog: cannot hold the response: "
			    "%s", rc == -1 ? err : sqlite3_errstr(w.rc));
			return -1;
		}
	}
	st = db_prepare(db, "INSERT OR REPLACE INTO state(key, value)"
	    " VALUES ('catalog_held_meta',"
	    " json_object('format', ?1, 'etag', ?2, 'last_modified', ?3,"
	    "  'message', ?4))");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, format) == -1 ||
	    db_bind_text(st, 2, etag) == -1 ||
	    db_bind_text(st, 3, last_modified) == -1 ||
	    db_bind_text(st, 4, message) == -1) {
		db_logerr(db, "bind held catalog");
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "hold the catalog response");
}

int
db_catalog_held_open(sqlite3 *db, sqlite3_blob **blob, uint64_t *len)
{
	sqlite3_stmt	*st;
	sqlite3_int64	 rowid;
	int		 rc;

	*blob = NULL;
	*len = 0;
	st = db_prepare(db, "SELECT b.rowid FROM state AS b, state AS m"
	    " WHERE b.key = 'catalog_held' AND m.key = 'catalog_held_meta'"
	    "  AND json_valid(m.value)");
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return 1;
	}
	if (rc != SQLITE_ROW) {
		db_logerr(db, "read the held catalog");
		sqlite3_finalize(st);
		return -1;
	}
	rowid = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	/* Text (held before issue 8) or blob: both read the same. */
	if (sqlite3_blob_open(db, "main", "state", "value", rowid, 0,
	    blob) != SQLITE_OK) {
		db_logerr(db, "read the held catalog");
		sqlite3_blob_close(*blob);
		*blob = NULL;
		return -1;
	}
	*len = (uint64_t)sqlite3_blob_bytes(*blob);
	return 0;
}

/* Copy column i (text or NULL) into dst. */
static void
db_catalog_held_col(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	snprintf(dst, len, "%s", sqlite3_column_type(st, i) == SQLITE_NULL ?
	    "" : db_coltext(st, i));
}

int
db_catalog_held_get(sqlite3 *db, struct db_catalog_held *h, int with_body)
{
	sqlite3_stmt	*st;
	const void	*p;
	int		 rc, r = -1;

	memset(h, 0, sizeof(*h));
	st = db_prepare(db, "SELECT json_extract(m.value, '$.format'),"
	    " json_extract(m.value, '$.etag'),"
	    " json_extract(m.value, '$.last_modified'),"
	    " json_extract(m.value, '$.message'),"
	    " CASE WHEN ?1 THEN b.value END"
	    " FROM state AS m, state AS b"
	    " WHERE m.key = 'catalog_held_meta' AND b.key = 'catalog_held'"
	    "  AND json_valid(m.value)");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int(st, 1, with_body ? 1 : 0) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = 1;
		goto done;
	}
	if (rc != SQLITE_ROW) {
		db_logerr(db, "read the held catalog");
		goto done;
	}
	db_catalog_held_col(st, 0, h->format, sizeof(h->format));
	db_catalog_held_col(st, 1, h->etag, sizeof(h->etag));
	db_catalog_held_col(st, 2, h->last_modified, sizeof(h->last_modified));
	db_catalog_held_col(st, 3, h->message, sizeof(h->message));
	if (with_body) {
		p = sqlite3_column_text(st, 4);
		h->len = (size_t)sqlite3_column_bytes(st, 4);
		if (p == NULL || (h->body = malloc(h->len + 1)) == NULL) {
			log_warnx("database: out of memory for the held catalog");
			goto done;
		}
		memcpy(h->body, p, h->len);
		h->body[h->len] = '\0';
	}
	r = 0;
done:
	sqlite3_finalize(st);
	return r;
}

int
db_catalog_held_clear(sqlite3 *db)
{
	return db_exec(db, "DELETE FROM state WHERE key IN ('catalog_held',"
	    " 'catalog_held_meta')");
}
