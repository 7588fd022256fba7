/* reg_history.h: the history of batches, switches and imports and their undo (reg_history.c, issue 11 item 5). */
#ifndef MODELREG_REG_HISTORY_H
#define MODELREG_REG_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "registry.h"
#include "reg_tags.h"	/* struct reg_items */

/* One history row (a batches row); the strings live for the callback only. */
struct reg_hist_row {
	int64_t		 id, at, uid, changed, skipped, undo_of, undone_by;
	int		 has_uid;
	int64_t		 audit_to;	/* the last audit id at its commit; -1 unknown */
	int64_t		 models;	/* models it touched */
	const char	*user, *action, *selection;
	const char	*default_before, *default_after;	/* NULL: none */
};
typedef int (*reg_hist_cb)(const struct reg_hist_row *, void *arg);

/* HISTORY: newest first, at most limit, ids below before (0: from the newest). cb non-zero stops. */
enum reg_rc reg_history_list(sqlite3 *, int64_t before, int limit, reg_hist_cb,
	    void *arg, char *msg, size_t len);
/* HISTORY SHOW ID: the row into cb, then each model it touched into mcb (model, before, after, what an import changed or NULL). REG_NOTFOUND. */
typedef int (*reg_hist_model_cb)(const char *model, const char *before,
	    const char *after, const char *fields, void *arg);
enum reg_rc reg_history_show(sqlite3 *, int64_t id, reg_hist_cb, void *arg,
	    reg_hist_model_cb, void *marg, char *msg, size_t len);

/*
 * UNDO ID [dry_run=yes]: reverse history row id in one transaction if
 * none of the models it touched changed since: each model's status now
 * is the row's after (a model deleted since, or there again after the
 * row deleted it, has changed), no later row touched it, no audit row
 * after it changed its status, default mark or existence, and when the
 * row moved the default it is still where the row put it. Else nothing
 * is written and each model that changed is an item refused with how
 * (out->applied 0, REG_OK, as a refused BATCH). Reversing sets each
 * model back to its before (a deleted one is put back whole from the
 * row saved at its deletion), the default back to default_before, and
 * writes an 'undo' row (undo_of id; id's undone_by) with an audit row
 * per model and one batch.undone event. REG_NOTFOUND: no such row;
 * REG_CONFLICT: already undone, or the default could not move back
 * (why). An import, and the undo of one, are undone by the registry's
 * exports their row keeps (reg_import_hist.h): refused items name each
 * thing that differs from what the row left.
 */
struct sessions;
struct reg_undo_in {
	int64_t			 id;
	int			 dry_run;
	struct sessions		*sessions;	/* a model put back to deleted: live sessions refuse it */
	size_t			(*in_use)(const char *id, void *arg);	/* off the loop (sessions NULL) */
	void			*in_use_arg;
	int			 notify_later;	/* on the import worker: the caller calls events_notify */
	int			 zdr_enforce;	/* [zdr] enforce: undoing an import's undo syncs no model without ZDR */
	const struct actor	*actor;
	int64_t			 now;
};
struct reg_undo_out {
	struct reg_items	 items;		/* each model: its change, or refused and why */
	int64_t			 selected, changed, refused;
	int			 applied;	/* 1: committed */
	int64_t			 batch;		/* the undo's history row, 0 when none */
	char			 action[16];	/* the row undone's action */
	char			 default_before[256], default_after[256];	/* "" none */
};
enum reg_rc reg_undo(sqlite3 *, const struct reg_undo_in *,
	    struct reg_undo_out *, char *msg, size_t len);

#endif
