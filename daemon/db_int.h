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
 * parameters :provider and :search, which db_bind_filters binds; fts
 * ("model" or "catalog") names the search index (model_fts, model_keys).
 */
const char *db_sort_sql(enum reg_sort);
int	 db_filter_sql(struct buf *sql, const char *tbl, const char *fts,
	    const char *provider, const char *search);
int	 db_filter_plan_sql(struct buf *sql, const char *tbl, const char *fts,
	    const char *provider, const char *search, int noindex);
int	 db_bind_filters(sqlite3_stmt *, const char *provider, const char *search);
/*
 * Paging (issue 8): the rows after cursor c take db_keyset_phases(c)
 * queries, one after the other (2 after a known context or price: the
 * known values, then the unknown ones); db_keyset_sql appends phase's
 * condition, with the parameters :k2 and :kid, which db_bind_keyset binds.
 * db_cursor_set fills a cursor from a row's sort key values: 0, or -1 when
 * it cannot hold them.
 */
int	 db_keyset_phases(const struct page_cursor *);
int	 db_keyset_sql(struct buf *sql, const struct page_cursor *, int phase);
/* The ORDER BY key of a phase: NULL, db_sort_sql's; "", by id alone. */
const char *db_keyset_order(const struct page_cursor *, int phase);
int	 db_bind_keyset(sqlite3_stmt *, const struct page_cursor *);
int	 db_cursor_set(struct page_cursor *, enum reg_sort, int desc,
	    const char *id, const char *name, const char *provider, int active,
	    int has_context, int64_t context, int has_price, double price);
/* Bind :kind, when the statement has it (the kind filter of LIST and CATALOG). */
int	 db_bind_kind(sqlite3_stmt *, const char *kind);
/* Prepare a stream statement built in sql and bind its filters, kind and cursor; frees sql. */
sqlite3_stmt	*db_stream_prepare(sqlite3 *, struct buf *sql, const char *provider,
	    const char *search, const char *kind, const struct page_cursor *);
/* Step st (selecting kind, expires_at) into kind and expires_at: 0, 1 no row, -1. Hands st back (db_stmt_done). */
int	 db_kind_step(sqlite3 *, sqlite3_stmt *st, char *kind, size_t klen,
	    int64_t *expires_at);
/*
 * The statement cache (db.c): the statement of slot id on this connection,
 * prepared from sql on first use, then reused: the caller binds, steps
 * and hands it back with db_stmt_done, which resets it and clears its
 * bindings (and finalizes a statement that could not be cached). One SQL
 * text per slot. db_close finalizes them all. NULL (logged) on failure.
 */
enum db_stmt_id {
	DB_STMT_RESOLVE,	/* db_model_resolve */
	DB_STMT_LOOKUP,		/* db_model_lookup */
	DB_STMT_DEFAULT,	/* db_model_default */
	DB_STMT_SHOW,		/* db_model_show */
	DB_STMT_SHOW_DEFAULT,	/* db_model_show_default */
	DB_STMT_COUNTS,		/* db_model_counts */
	DB_STMT_KIND,		/* db_model_kind */
	DB_STMT_CATALOG_RESOLVE,	/* db_catalog_resolve */
	DB_STMT_STATE_GET,	/* db_state_get */
	DB_STMT_MODEL_GEN,	/* db_model_gen (issue 9) */
	DB_STMT_KEY_BY_HASH,	/* db_key_by_hash */
	DB_STMT_KEY_GRANT,	/* db_key_grant_gen */
	DB_STMT_RESOLVE_MODEL,	/* db_resolve_model */
	DB_STMT_RESOLVE_DEFAULT,	/* db_resolve_default */
	DB_STMT_ID_DELETED,	/* db_id_deleted */
	/* Issue 9 item 4: RESOLVE's batched writes (db_sessions.c). */
	DB_STMT_SESSION_PUT,
	DB_STMT_SESSION_DEL,
	DB_STMT_SESSION_PRUNE,
	DB_STMT_RCOUNT_ADD,
	DB_STMT_KEY_USED,
	DB_STMT_SECRET_UNTIL,	/* db_secret_until (issue 9 item 7) */
	DB_STMT_CAP_MODEL,	/* db_cap_model (issue 10): every SHOW asks */
	DB_STMT_CAP_KEY,	/* db_cap_key (issue 10): every USAGE with a key asks */
	DB_STMT_SEL_MARK,	/* db_sel_mark (issue 11) */
	DB_STMT_BATCH_MODEL,	/* db_batch_model (issue 11) */
	/* Issue 10 item 1: USAGE's group commit and the period's sums (db_usage.c). */
	DB_STMT_USAGE_MODEL,
	DB_STMT_USAGE_INSERT,
	DB_STMT_USAGE_ROLLUP,
	DB_STMT_USAGE_MODEL_PERIOD,
	DB_STMT_USAGE_KEY_PERIOD,
	DB_STMT_USAGE_SAVEPOINT,
	DB_STMT_USAGE_RELEASE,
	DB_STMT_USAGE_ROLLBACK_TO,
	DB_STMT_METRICS_USAGE,	/* db_metrics_usage (issue 10): once per shown model a scrape */
	DB_STMT_MAX
};
sqlite3_stmt *db_stmt(sqlite3 *, enum db_stmt_id, const char *sql);
void	 db_stmt_done(sqlite3 *, sqlite3_stmt *);
/*
 * Step a statement that selects at most one row: row(st, out) on it.
 * 0 a row, 1 none, -1 an error (logged as "read WHAT"). Done with st
 * either way: cached (db_stmt) back to the cache, else finalized.
 */
int	 db_step_row(sqlite3 *, sqlite3_stmt *, int cached, const char *what,
	    void (*row)(sqlite3_stmt *, void *), void *out);
/* Step a one-row, one-column integer query: 0 (*v set), 1 no row, -1. Hands st back. */
int	 db_stmt_int64(sqlite3 *, sqlite3_stmt *, int64_t *, const char *what);
/* How many statements this connection has cached (for the tests). */
int	 db_stmt_cached(sqlite3 *);
/* Migrate the schema up to version target (db_open goes to the last): 0 or -1. */
int	 db_migrate_to(sqlite3 *, const char *path, int target);
/* The alias tables' connection side (db_aliases.c), at open: 0 or -1. */
int	 db_aliases_init(sqlite3 *);
/* Issue 9: the settings' connection side (db_settings.c): the alias.conflict log. 0 or -1. */
int	 db_settings_init(sqlite3 *);
/* Bind the actor's uid to iuid and user name to iuser. */
int	 db_bind_actor(sqlite3_stmt *, int iuid, int iuser, const struct actor *);

/*
 * A user's name resolved to one id: the exact id first, else the model
 * the alias names (model_aliases: one model per alias, the model that
 * listed it first). Two index lookups, no scan. Expects the name bound
 * to ?1. Issue 9: an organisation alias (SET alias=) comes before both:
 * SET refuses a name that is taken, so the two meet only when a source
 * later brings it, and then the name a person chose keeps its model
 * (alias.conflict says so).
 */
#define RESOLVE_SQL \
	"coalesce((SELECT model FROM model_org_aliases WHERE alias = ?1)," \
	" (SELECT id FROM models WHERE id = ?1)," \
	" (SELECT model FROM model_aliases WHERE alias = ?1))"

/*
 * Issue 9: the organisation's settings, from model_settings (MODEL_FROM's
 * join on its primary key) and model_org_aliases (its index by model,
 * alias: read in that order, so the list comes sorted, and no sort), read
 * only for a model with a settings row, which every model with an
 * organisation alias has (the trigger model_org_aliases_row): most
 * models have none, and their records cost one search, not two.
 */
#define MODEL_SETTINGS_COLS \
	" ms.label, ms.temperature, ms.top_p, ms.max_tokens," \
	" ms.frequency_penalty, ms.presence_penalty, ms.enforced," \
	" CASE WHEN ms.model IS NULL THEN NULL ELSE" \
	"  (SELECT group_concat(alias, ',') FROM model_org_aliases AS oa" \
	"  WHERE oa.model = model_view.id) END"
#define MODEL_FROM \
	"model_view LEFT JOIN model_settings AS ms ON ms.model = model_view.id"
/*
 * Fill m's settings fields (label, has_param, param, enforced,
 * org_aliases) from MODEL_SETTINGS_COLS at column c on: the one reader
 * of those columns, for the model record and for RESOLVE. The pointers
 * live until the next step.
 */
void	 db_row_settings(sqlite3_stmt *, int c, struct model *);

/*
 * The text the search indexes hold for a row's aliases (row: an SQL
 * alias of a models or catalog row, or of a P_fts_dirty row): the triggers
 * of db.c, db_search_add and db_search_flush must give FTS5 the same
 * values, since it deletes a text only when given the text it holds.
 */
#define DB_ALIAS_EACH(row) \
	"json_each(CASE WHEN json_valid(" row ".aliases) THEN " row ".aliases" \
	" ELSE '[]' END)"
#define DB_SEARCH_ALIASES(row) \
	"(SELECT group_concat(value, ' ') FROM " DB_ALIAS_EACH(row) \
	" WHERE type = 'text')"

#endif
