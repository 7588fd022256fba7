/* db_history.h: the SQL of the history and undo (issue 11 item 5): the batches rows read back, a change since a batch, a deleted model's row saved and put back. For reg_history.c and reg_batch.c only. */
#ifndef MODELREG_DB_HISTORY_H
#define MODELREG_DB_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

struct actor;
struct buf;
struct reg_hist_row;

/* A batches row (reg_history.h) into cb; its strings live until the next step. */
typedef int (*db_hist_cb)(const struct reg_hist_row *, void *arg);

/* A read transaction (deferred: it waits for no writer); db_rollback ends it. 0, -1. */
int	 db_history_read(sqlite3 *);
/* The rows newest first, at most limit (before: only ids below it, 0 none): the number read, -1. cb non-zero stops. */
int	 db_history_list(sqlite3 *, int64_t before, int limit, db_hist_cb, void *arg);
/* Row id into cb: 0, 1 no such row, -1. */
int	 db_history_get(sqlite3 *, int64_t id, db_hist_cb, void *arg);

/* Its models, by id: model, before, after, what an import changed (NULL: a batch's row), whether a row was saved. cb non-zero stops. n, -1. */
typedef int (*db_hist_model_cb)(const char *model, const char *before,
	    const char *after, const char *fields, int saved, void *arg);
int	 db_history_models(sqlite3 *, int64_t id, db_hist_model_cb, void *arg);

/*
 * What changed since batch id, per model it touched (by id): its after,
 * the status now (NULL: no such model now), whether it is the default,
 * the latest later batch that touched it (0 none) and its action, the
 * latest audit row after audit_to on its status, its default mark or
 * its deletion (0 none) and that row's action and actor, whether its
 * row was saved, and an organisation alias of the saved row that names
 * another model now (NULL none). cb non-zero stops. n, -1.
 */
struct db_hist_since {
	const char	*model, *before, *after, *now;
	int		 is_default, saved;
	int64_t		 later;
	const char	*later_action;
	int64_t		 audit;
	const char	*audit_action, *audit_actor;
	const char	*alias_taken, *alias_owner;
};
typedef int (*db_hist_since_cb)(const struct db_hist_since *, void *arg);
int	 db_history_since(sqlite3 *, int64_t id, int64_t audit_to,
	    db_hist_since_cb, void *arg);

/*
 * The undo's writes, in the caller's transaction. db_history_select
 * puts batch id's models into temp.batch_sel (db_tags.h), marking those
 * whose after is from and before is to (NULL: any), so db_sel_set_status
 * and db_models_delete_sel act on them. db_history_undo_rows writes
 * batch undo's batch_models: each of id's rows reversed (before: its
 * after; after: its before). db_history_save keeps the whole row of
 * each model of batch's rows with after 'deleted' (db_history_restore
 * puts them back: the models row, its model_ids generation, settings,
 * organisation aliases, tags and the memberships of collections that
 * still exist). db_history_seal records the last audit id in batch.
 * db_history_add writes the undo's batches row (its id into *undo) and
 * marks id undone by it.
 */
int	 db_history_select(sqlite3 *, int64_t id, const char *from,
	    const char *to);
int	 db_history_undo_rows(sqlite3 *, int64_t undo, int64_t id);
int	 db_history_save(sqlite3 *, int64_t batch);
int	 db_history_restore(sqlite3 *, int64_t id, int64_t now,
	    const struct actor *);
int	 db_history_seal(sqlite3 *, int64_t batch);
/* A row without audit_to (not sealed): the last audit id of its second or before. 0, -1. */
int	 db_history_audit_at(sqlite3 *, int64_t at, int64_t *id);
int	 db_history_add(sqlite3 *, int64_t now, const struct actor *,
	    int64_t id, int64_t changed, const char *def_before,
	    const char *def_after, int64_t *undo);

/*
 * An import's row (reg_import_hist.c). db_history_import_models writes
 * batch_models for n changes, one row a model: its status before
 * ("absent": synced by the import) and after, and each field changed
 * added once to its fields. db_history_exports_put keeps the registry's
 * export text before and after; db_history_exports_get reads them back
 * into the buffers (reset first): 0, 1 the row has none, -1.
 */
struct db_hist_change {
	const char	*model, *before, *after, *field;
};
int	 db_history_import_models(sqlite3 *, int64_t batch,
	    const struct db_hist_change *, size_t n);
int	 db_history_exports_put(sqlite3 *, int64_t batch, const struct buf *before,
	    const struct buf *after);
int	 db_history_exports_get(sqlite3 *, int64_t id, struct buf *before,
	    struct buf *after);

#endif
