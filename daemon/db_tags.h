/* db_tags.h: the SQL of tags, collections and batches (issue 11): for reg_tags.c, reg_collections.c, reg_batch.c and LIST's filters only. */
#ifndef MODELREG_DB_TAGS_H
#define MODELREG_DB_TAGS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

struct actor;
struct buf;
struct list_query;

/*
 * LIST's (and a batch's) tag= and collection= conditions, with the
 * parameters :tag and :collection (a collection's name), which
 * db_bind_groups binds when the statement has them. 0, -1.
 */
int	 db_groups_where(struct buf *sql, const char *tag, const char *collection);
int	 db_bind_groups(sqlite3_stmt *, const char *tag, const char *collection);

/* Tags of model id (an exact id): 1 added / removed, 0 already so, -1. */
int	 db_tag_add(sqlite3 *, const char *id, const char *tag);
int	 db_tag_remove(sqlite3 *, const char *id, const char *tag);
int	 db_tag_count(sqlite3 *, const char *id, int64_t *n);
/* Its tags as a sorted comma list into out ("" none): 0, -1. */
int	 db_tags_of(sqlite3 *, const char *id, char *out, size_t len);

/* Collections. db_collection_get: 0 (id, n set), 1 none, -1. */
int	 db_collection_get(sqlite3 *, const char *name, int64_t *id, int64_t *n);
int	 db_collection_create(sqlite3 *, const char *name, int64_t now,
	    const char *user, int64_t *id);
int	 db_collection_delete(sqlite3 *, int64_t id);
int	 db_collection_count_all(sqlite3 *, int64_t *n);
/* 1 added / removed, 0 already so, -1. */
int	 db_collection_add(sqlite3 *, int64_t id, const char *model, int64_t now);
int	 db_collection_remove(sqlite3 *, int64_t id, const char *model);
/* Every model of temp.batch_sel into the collection; the number added, -1. */
int64_t	 db_collection_add_sel(sqlite3 *, int64_t id, int64_t now);
int	 db_collection_touch(sqlite3 *, int64_t id, int64_t now);
/* A key that is not revoked and follows collection id: 1 (name set), 0 none, -1. */
int	 db_collection_key(sqlite3 *, int64_t id, char *name, size_t len);
/* COLLECTION LIST: name, model count, active count, created_at, created_by, updated_at. */
typedef int (*db_collection_cb)(const char *name, int64_t n, int64_t active,
	    int64_t created_at, const char *created_by, int64_t updated_at,
	    void *arg);
int	 db_collection_list(sqlite3 *, const char *name, db_collection_cb, void *);
/* Its members in id order: id, active, is_default. */
typedef int (*db_member_cb)(const char *id, int active, int is_default,
	    void *arg);
int	 db_collection_members(sqlite3 *, int64_t id, db_member_cb, void *);

/*
 * A batch's selection (reg_batch.c, reg_collections.c): the temp table
 * temp.batch_sel(id, act), emptied by db_sel_reset; db_sel_add adds one
 * id, db_models_select (db.h) the models LIST's filters give. act is
 * what the rule decided for the row (1: change it).
 */
int	 db_sel_reset(sqlite3 *);
int	 db_sel_add(sqlite3 *, const char *id);
typedef int (*db_sel_cb)(const char *id, int active, int is_default,
	    const char *kind, void *arg);
int	 db_sel_each(sqlite3 *, db_sel_cb, void *);
int	 db_sel_mark(sqlite3 *, const char *id);
int64_t	 db_sel_count(sqlite3 *);
/* Set every marked model's status, with an audit row each (action: activate / deactivate). */
int	 db_sel_set_status(sqlite3 *, int active, int64_t now,
	    const struct actor *, const char *action, const char *source);
/* Whether id is selected: 1, 0, -1. */
int	 db_sel_has(sqlite3 *, const char *id);
/* The selection becomes every model that was not in it (a switch's others). */
int	 db_sel_invert(sqlite3 *);
/* Clear the marks (a switch applies two sets in turn). */
int	 db_sel_unmark(sqlite3 *);

/* The batch's history rows: the batch (its id into *id), then one per model changed. */
int	 db_batch_add(sqlite3 *, int64_t now, const struct actor *,
	    const char *action, const char *selection, int64_t changed,
	    int64_t skipped, const char *def_before, const char *def_after,
	    int64_t *id);
/* One history row: model id went from before to after. */
int	 db_batch_model(sqlite3 *, int64_t batch, const char *id,
	    const char *before, const char *after);
/* One history row per marked model: before and after (status names, or "deleted"). */
int	 db_batch_models(sqlite3 *, int64_t batch, const char *before,
	    const char *after);

#endif
