/* reg_batch.c: BATCH's rule (issue 11): activate, deactivate or delete a whole selection in one transaction, all or nothing, each model's outcome listed. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db_history.h"
#include "db_tags.h"
#include "db_usage.h"
#include "events.h"
#include "log.h"
#include "reg_int.h"
#include "reg_tags.h"
#include "sessions.h"

const char *
reg_batch_action_name(enum reg_batch_action a)
{
	switch (a) {
	case BATCH_ACTIVATE:
		return "activate";
	case BATCH_DEACTIVATE:
		return "deactivate";
	case BATCH_DELETE:
	default:
		return "delete";
	}
}

/*
 * The refusals are the single verbs' (reg_models.c), asked of each
 * selected model: the default may not be deactivated or deleted, a model
 * live sessions use may not be deleted. Already in the asked state is
 * unchanged, never refused.
 */
struct batch_plan {
	sqlite3				*db;
	const struct reg_batch_in	*in;
	struct reg_batch_out		*out;
	int64_t				 now;
	int				 failed;
};

static int
batch_decide(const char *id, int active, int is_default, const char *kind,
    void *arg)
{
	struct batch_plan	*p = arg;
	struct reg_batch_out	*out = p->out;
	const char		*change = reg_batch_action_name(p->in->action);
	char			 why[300];
	size_t			 live;
	enum reg_outcome	 o = OUT_CHANGE;

	(void)kind;
	why[0] = '\0';
	out->selected++;
	switch (p->in->action) {
	case BATCH_ACTIVATE:
		if (active)
			o = OUT_UNCHANGED;
		break;
	case BATCH_DEACTIVATE:
		if (!active)
			o = OUT_UNCHANGED;
		else if (is_default) {
			o = OUT_REFUSED;
			snprintf(why, sizeof(why), "%s is the default: set another "
			    "default first", id);
		}
		break;
	case BATCH_DELETE:
		if (is_default) {
			o = OUT_REFUSED;
			snprintf(why, sizeof(why), "%s is the default: set another "
			    "default first", id);
		} else if ((live = p->in->sessions != NULL ? sessions_count(
		    p->in->sessions, id, p->now) : p->in->in_use != NULL ?
		    p->in->in_use(id, p->in->in_use_arg) : 0) > 0) {
			o = OUT_REFUSED;
			snprintf(why, sizeof(why), "%s is in use by %zu session%s; "
			    "deactivate it instead", id, live, live == 1 ? "" : "s");
		}
		break;
	}
	if (o == OUT_REFUSED && p->in->skip_refused)
		o = OUT_SKIPPED;
	switch (o) {
	case OUT_CHANGE:
		/* Marked after the scan: a table is not written while it is read. */
		out->changed++;
		break;
	case OUT_UNCHANGED:
		out->unchanged++;
		break;
	case OUT_REFUSED:
		out->refused++;
		break;
	case OUT_SKIPPED:
		out->skipped++;
		break;
	}
	if (reg_items_add(&out->items, id, o, change, why[0] ? why : NULL) == -1)
		return p->failed = 1;
	return 0;
}

/* batch.applied's details: the action, the batch, the counts, the first ids changed. */
#define BATCH_EVENT_IDS	20
static int
batch_extra(struct buf *x, const struct reg_batch_in *in,
    const struct reg_batch_out *out)
{
	size_t	 i;
	int	 k = 0, rc = 0;

	rc |= buf_puts(x, ",\"action\":");
	rc |= buf_json_str(x, reg_batch_action_name(in->action));
	rc |= buf_printf(x, ",\"batch\":%lld,\"changed\":%lld,\"skipped\":%lld,"
	    "\"models\":[", (long long)out->batch, (long long)out->changed,
	    (long long)out->skipped);
	for (i = 0; i < out->items.n && k < BATCH_EVENT_IDS; i++) {
		if (out->items.v[i].outcome != OUT_CHANGE)
			continue;
		rc |= buf_puts(x, k++ > 0 ? "," : "");
		rc |= buf_json_str(x, out->items.v[i].id);
	}
	rc |= buf_puts(x, "]");
	return rc ? -1 : 0;
}

enum reg_rc
reg_batch(sqlite3 *db, const struct reg_batch_in *in, struct reg_batch_out *out,
    char *msg, size_t len)
{
	struct db_modelref	 ref;
	struct list_query	 all;
	struct batch_plan	 plan;
	struct buf		 x = { 0 };
	const char		*verb = reg_batch_action_name(in->action);
	int64_t			 now = reg_clock(in->now);
	char			 what[200];
	int			 i, r;

	memset(out, 0, sizeof(*out));
	if (in->nmodels == 0 && in->sel == NULL && in->unused_since == 0)
		return reg_refuse(db, REG_USAGE, msg, len, "name models or give "
		    "a selector");
	memset(&all, 0, sizeof(all));
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if (db_sel_reset(db) == -1)
		return reg_fail(db, msg, len);
	/*
	 * unused= narrows the other selectors (all models when it is the
	 * only one), as LIST's filters narrow each other; the named models
	 * are added after it, as they are beside the other selectors.
	 */
	if (in->unused_since != 0 && (db_models_select(db, in->sel != NULL ?
	    in->sel : &all) == -1 ||
	    db_usage_sel_unused(db, in->unused_since) == -1))
		return reg_fail(db, msg, len);
	for (i = 0; i < in->nmodels; i++) {
		if ((r = db_model_resolve(db, in->models[i], &ref)) == -1)
			return reg_fail(db, msg, len);
		if (r == 1)
			return reg_refuse(db, REG_NOTFOUND, msg, len,
			    "no such model: %s", in->models[i]);
		if (db_sel_add(db, ref.id) == -1)
			return reg_fail(db, msg, len);
	}
	if (in->sel != NULL && in->unused_since == 0 &&
	    db_models_select(db, in->sel) == -1)
		return reg_fail(db, msg, len);

	memset(&plan, 0, sizeof(plan));
	plan.db = db;
	plan.in = in;
	plan.out = out;
	plan.now = now;
	if (db_sel_each(db, batch_decide, &plan) == -1 || plan.failed ||
	    reg_items_mark(db, &out->items, NULL) == -1)
		goto fail;

	/* All or nothing: one refusal and nothing is written. */
	if (out->refused > 0 || in->dry_run || out->changed == 0) {
		db_rollback(db);
		if (out->refused > 0)
			reg_msg(msg, len, "%s: %lld of %lld model%s refused; nothing "
			    "was changed", verb, (long long)out->refused,
			    (long long)out->selected, out->selected == 1 ? "" : "s");
		else if (in->dry_run)
			reg_msg(msg, len, "dry run: %s would change %lld of %lld "
			    "model%s (%lld unchanged, %lld skipped)", verb,
			    (long long)out->changed, (long long)out->selected,
			    out->selected == 1 ? "" : "s",
			    (long long)out->unchanged, (long long)out->skipped);
		else {
			reg_msg(msg, len, "%s: nothing to change (%lld selected, "
			    "%lld unchanged, %lld skipped)", verb,
			    (long long)out->selected, (long long)out->unchanged,
			    (long long)out->skipped);
			out->applied = 1;
		}
		return REG_OK;
	}

	/* The history first: a deleted model's status is read before it goes. */
	if (db_batch_add(db, now, in->actor, verb, in->selection != NULL ?
	    in->selection : "", out->changed, out->skipped, NULL, NULL,
	    &out->batch) == -1 ||
	    db_batch_models(db, out->batch, in->action == BATCH_ACTIVATE ?
	    "inactive" : in->action == BATCH_DEACTIVATE ? "active" : NULL,
	    in->action == BATCH_ACTIVATE ? "active" :
	    in->action == BATCH_DEACTIVATE ? "inactive" : "deleted") == -1 ||
	    /* Issue 11 item 5: a deleted model's whole row, so UNDO can put it back. */
	    (in->action == BATCH_DELETE && db_history_save(db, out->batch) == -1))
		goto fail;
	switch (in->action) {
	case BATCH_ACTIVATE:
	case BATCH_DEACTIVATE:
		if (db_sel_set_status(db, in->action == BATCH_ACTIVATE, now,
		    in->actor, verb, reg_source(in->actor)) == -1)
			goto fail;
		break;
	case BATCH_DELETE:
		/* Set-based, audited as DELETE audits one (db_models.c). */
		if (db_models_delete_sel(db, now, in->actor) == -1)
			goto fail;
		break;
	}
	snprintf(what, sizeof(what), "%s: %lld changed, %lld unchanged, %lld "
	    "skipped", verb, (long long)out->changed, (long long)out->unchanged,
	    (long long)out->skipped);
	/* The last audit id: a later row on one of its models is a change since (UNDO). */
	if (db_history_seal(db, out->batch) == -1 ||
	    batch_extra(&x, in, out) == -1 ||
	    reg_event(db, "batch.applied", NULL, in->actor, x.data, what) == -1 ||
	    db_commit(db) == -1) {
		buf_free(&x);
		goto fail;
	}
	buf_free(&x);
	if (!in->notify_later)
		events_notify();
	out->applied = 1;
	reg_msg(msg, len, "%s", what);
	return REG_OK;
fail:
	reg_items_free(&out->items);
	memset(out, 0, sizeof(*out));
	return reg_fail(db, msg, len);
}
