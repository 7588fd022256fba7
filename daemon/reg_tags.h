/* reg_tags.h: the rules of tags (reg_tags.c), collections and their switch (reg_collections.c) and batches (reg_batch.c), issue 11. */
#ifndef MODELREG_REG_TAGS_H
#define MODELREG_REG_TAGS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "registry.h"

#define TAG_MAX			64	/* [a-z0-9][a-z0-9._-]*, folded to lower case */
#define TAGS_PER_MODEL		32
#define TAGS_PER_REQUEST	32	/* added plus removed in one TAG */
#define COLLECTION_NAME_MAX	64	/* [A-Za-z0-9][A-Za-z0-9._-]*, as key names */
#define COLLECTIONS_MAX		1000
#define BATCH_NAMES_MAX		30	/* models named in one request (PROTO_MAXARGS) */

/* Pure: is tag well formed (already folded)? */
int	 reg_tag_name_ok(const char *tag);
/* Pure: a comma list into lower-cased tags (at most max): the count, or -1 with why set. */
int	 reg_tags_parse(const char *list, char (*tags)[TAG_MAX + 1], int max,
	    char *why, size_t len);
int	 reg_collection_name_ok(const char *name);

/*
 * TAG MODEL add=T,... remove=T,...: one transaction; an audit row
 * ("tag", field "tags", the old and new lists) and a model.tagged event
 * when anything changed. REG_CONFLICT past TAGS_PER_MODEL, REG_NOTFOUND
 * for an unknown model; a change that changes nothing is REG_OK with
 * added = removed = 0 (nothing written).
 */
struct reg_tag_in {
	const char		*model;
	char			(*add)[TAG_MAX + 1];
	int			 nadd;
	char			(*remove)[TAG_MAX + 1];
	int			 nremove;
	const struct actor	*actor;
	int64_t			 now;
};
struct reg_tag_out {
	char	 id[256];
	char	 tags[TAGS_PER_MODEL * (TAG_MAX + 1) + 1];	/* after */
	int	 added, removed;
};
enum reg_rc reg_tag(sqlite3 *, const struct reg_tag_in *, struct reg_tag_out *,
	    char *msg, size_t len);

/*
 * What a batch or a switch did (or would do) to each model: one item a
 * model, in id order. Owned by the out struct: reg_items_free.
 */
enum reg_outcome { OUT_CHANGE, OUT_UNCHANGED, OUT_REFUSED, OUT_SKIPPED };
struct reg_item {
	char			*id;
	enum reg_outcome	 outcome;
	const char		*change;	/* "activate", "deactivate", "delete" */
	char			*reason;	/* refused or skipped: why; else NULL */
};
struct reg_items {
	struct reg_item	*v;
	size_t		 n, cap;
};
void	 reg_items_free(struct reg_items *);
const char *reg_outcome_name(enum reg_outcome);

/*
 * Collections (reg_collections.c). Create (models named and/or those of
 * from, LIST's filters), add, remove, delete: one transaction each, an
 * audit row per change (action collection.*, model, field the
 * collection's name) and one collection.* event. A name is refused
 * unless reg_collection_name_ok; create of an existing name, delete of
 * one a live key follows: REG_CONFLICT.
 */
struct reg_coll_in {
	const char		*name;
	const char *const	*models;	/* ids or aliases */
	int			 nmodels;
	const struct list_query	*from;		/* NULL: none */
	const struct actor	*actor;
	int64_t			 now;
};
struct reg_coll_out {
	int64_t	 changed;	/* models added or removed */
	int64_t	 n;		/* models in it after */
};
enum reg_rc reg_collection_create(sqlite3 *, const struct reg_coll_in *,
	    struct reg_coll_out *, char *msg, size_t len);
enum reg_rc reg_collection_add(sqlite3 *, const struct reg_coll_in *,
	    struct reg_coll_out *, char *msg, size_t len);
enum reg_rc reg_collection_remove(sqlite3 *, const struct reg_coll_in *,
	    struct reg_coll_out *, char *msg, size_t len);
enum reg_rc reg_collection_delete(sqlite3 *, const struct reg_coll_in *,
	    struct reg_coll_out *, char *msg, size_t len);
/* The read side: every collection (name NULL) or one; its members. */
typedef int (*reg_collection_cb)(const char *name, int64_t n, int64_t active,
	    int64_t created_at, const char *created_by, int64_t updated_at,
	    void *arg);
enum reg_rc reg_collection_list(sqlite3 *, const char *name,
	    reg_collection_cb, void *arg, char *msg, size_t len);
typedef int (*reg_member_cb)(const char *id, int active, int is_default,
	    void *arg);
enum reg_rc reg_collection_members(sqlite3 *, const char *name,
	    reg_member_cb, void *arg, char *msg, size_t len);

/*
 * COLLECTION SWITCH NAME [default=M] [dry_run=yes]: in one transaction
 * exactly the collection's models become active and every other model
 * inactive; the default becomes M (a member), else stays when it is a
 * member, else is the best member by the default's rule
 * (reg_pick_default, then the first member reg_default_allowed takes).
 * One collection.switched event, an audit row per model changed, a
 * batches row. dry_run: the same work, rolled back. REG_CONFLICT when
 * the collection is empty or no member may be the default.
 */
struct reg_switch_in {
	const char		*name;
	const char		*default_model;	/* NULL: choose */
	int			 dry_run;
	const struct cfg_list	*fallback;	/* [defaults] fallback */
	int			 notify_later;	/* issue 12, on the import worker: the caller calls events_notify */
	const struct actor	*actor;
	int64_t			 now;
};
struct reg_switch_out {
	struct reg_items	 items;		/* the models that change */
	int64_t			 activated, deactivated, unchanged;
	char			 default_id[256];
	char			 previous[256];	/* "" none */
	int64_t			 batch;		/* the history row, 0 on a dry run */
};
enum reg_rc reg_collection_switch(sqlite3 *, const struct reg_switch_in *,
	    struct reg_switch_out *, char *msg, size_t len);

/*
 * BATCH activate|deactivate|delete (reg_batch.c): the models named plus
 * those that match every selector (LIST's filters, tag and collection
 * included), in one transaction, all or nothing. Each model's outcome:
 * change, unchanged (already so), refused (deactivating or deleting
 * the default, deleting a model live sessions use) with its reason. A
 * refusal changes nothing, unless skip_refused, which applies the rest
 * and reports the refused as skipped. dry_run: each outcome, nothing
 * written. REG_NOTFOUND for an unknown model named. A batch that
 * changed something writes a batches row (its id in out->batch), an
 * audit row per model and one batch.applied event.
 */
enum reg_batch_action { BATCH_ACTIVATE, BATCH_DEACTIVATE, BATCH_DELETE };
struct sessions;
struct reg_batch_in {
	enum reg_batch_action	 action;
	const char *const	*models;
	int			 nmodels;
	const struct list_query	*sel;		/* NULL: only the named models */
	/* unused= (db_usage.c's rule): sel's models (all when sel is NULL) unused since this; 0: no such selector. */
	int64_t			 unused_since;
	const char		*selection;	/* the request's selectors, for the history */
	int			 skip_refused;
	int			 dry_run;
	struct sessions		*sessions;	/* delete: live sessions refuse it */
	/* Issue 12, off the loop (sessions NULL): a copy's live sessions on id. */
	size_t			(*in_use)(const char *id, void *arg);
	void			*in_use_arg;
	int			 notify_later;	/* on the import worker: the caller calls events_notify */
	const struct actor	*actor;
	int64_t			 now;
};
struct reg_batch_out {
	struct reg_items	 items;
	int64_t			 selected, changed, unchanged, refused, skipped;
	int			 applied;	/* 1: the changes were committed */
	int64_t			 batch;
};
enum reg_rc reg_batch(sqlite3 *, const struct reg_batch_in *,
	    struct reg_batch_out *, char *msg, size_t len);
const char *reg_batch_action_name(enum reg_batch_action);

/* Shared by the rule files: append an item (id copied, reason copied or NULL); 0, -1. */
int	 reg_items_add(struct reg_items *, const char *id, enum reg_outcome,
	    const char *change, const char *reason);

/* Mark every item to change (but except, may be NULL) in temp.batch_sel, after its scan: 0, -1. */
int	 reg_items_mark(sqlite3 *, const struct reg_items *, const char *except);

#endif
