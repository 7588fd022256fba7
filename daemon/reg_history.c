/* reg_history.c: the history's rules (issue 11 item 5): HISTORY reads the batches rows, UNDO reverses one in one transaction if nothing it touched changed since. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db_history.h"
#include "db_tags.h"
#include "events.h"
#include "reg_default.h"
#include "reg_history.h"
#include "reg_import_hist.h"
#include "reg_int.h"
#include "reg_tags.h"
#include "sessions.h"

enum reg_rc
reg_history_list(sqlite3 *db, int64_t before, int limit, reg_hist_cb cb,
    void *arg, char *msg, size_t len)
{
	if (db_history_list(db, before, limit, cb, arg) == -1)
		return reg_fail(db, msg, len);
	return REG_OK;
}

/* show's models through the rule's callback (the saved flag stays inside). */
struct hist_show {
	reg_hist_model_cb	 cb;
	void			*arg;
};

static int
hist_show_model(const char *model, const char *before, const char *after,
    const char *fields, int saved, void *arg)
{
	struct hist_show	*s = arg;

	(void)saved;
	return s->cb(model, before, after, fields, s->arg);
}

enum reg_rc
reg_history_show(sqlite3 *db, int64_t id, reg_hist_cb cb, void *arg,
    reg_hist_model_cb mcb, void *marg, char *msg, size_t len)
{
	struct hist_show	 s = { mcb, marg };
	int			 r;

	/* One read transaction: the row and its models agree. */
	if (db_history_read(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_history_get(db, id, cb, arg)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len, "no such history "
		    "entry: %lld", (long long)id);
	if (db_history_models(db, id, hist_show_model, &s) == -1)
		return reg_fail(db, msg, len);
	db_rollback(db);
	return REG_OK;
}

/* The row to undo, copied out of the statement. */
struct undo_row {
	int		 found;
	int64_t		 id, undone_by, audit_to, at;
	char		 action[16];
	char		 def_before[256], def_after[256];	/* "" none */
};

static int
undo_row_copy(const struct reg_hist_row *r, void *arg)
{
	struct undo_row	*u = arg;

	u->found = 1;
	u->id = r->id;
	u->at = r->at;
	u->undone_by = r->undone_by;
	u->audit_to = r->audit_to;
	snprintf(u->action, sizeof(u->action), "%s", r->action);
	snprintf(u->def_before, sizeof(u->def_before), "%s",
	    r->default_before != NULL ? r->default_before : "");
	snprintf(u->def_after, sizeof(u->def_after), "%s",
	    r->default_after != NULL ? r->default_after : "");
	return 0;
}

struct undo_plan {
	const struct reg_undo_in	*in;
	struct reg_undo_out		*out;
	const struct undo_row		*row;
	const char			*new_default;	/* the default after the undo, "" none */
	int64_t				 now;
	int				 restores, deletes, failed;
};

/* Why model s cannot go back (into why, "" when it can). */
static void
undo_why(struct undo_plan *p, const struct db_hist_since *s, char *why,
    size_t len)
{
	const char	*to = s->before;
	int		 gone = strcmp(s->after, "deleted") == 0;
	size_t		 live;

	why[0] = '\0';
	if (!gone && s->now == NULL)
		snprintf(why, len, "%s was deleted since", s->model);
	else if (gone && s->now != NULL)
		snprintf(why, len, "%s exists again since (synced or added "
		    "after batch %lld deleted it)", s->model,
		    (long long)p->row->id);
	else if (!gone && strcmp(s->now, s->after) != 0)
		snprintf(why, len, "%s is %s now; batch %lld left it %s",
		    s->model, s->now, (long long)p->row->id, s->after);
	else if (s->later != 0)
		snprintf(why, len, "%s was changed since by batch %lld (%s)",
		    s->model, (long long)s->later, s->later_action);
	else if (s->audit != 0)
		snprintf(why, len, "%s was changed since (audit %lld: %s by "
		    "%s)", s->model, (long long)s->audit, s->audit_action,
		    s->audit_actor);
	else if (gone && !s->saved)
		snprintf(why, len, "%s was deleted before its row was kept "
		    "(schema 8); it cannot be put back", s->model);
	else if (gone && s->alias_taken != NULL)
		snprintf(why, len, "%s's alias %s names %s now", s->model,
		    s->alias_taken, s->alias_owner);
	else if (strcmp(to, "active") != 0 && p->new_default[0] != '\0' &&
	    strcmp(s->model, p->new_default) == 0)
		snprintf(why, len, "%s is the default: set another default "
		    "first", s->model);
	else if (strcmp(to, "deleted") == 0 && (live = p->in->sessions !=
	    NULL ? sessions_count(p->in->sessions, s->model, p->now) :
	    p->in->in_use != NULL ? p->in->in_use(s->model,
	    p->in->in_use_arg) : 0) > 0)
		snprintf(why, len, "%s is in use by %zu session%s", s->model,
		    live, live == 1 ? "" : "s");
}

static int
undo_decide(const struct db_hist_since *s, void *arg)
{
	struct undo_plan	*p = arg;
	struct reg_undo_out	*out = p->out;
	const char		*change;
	char			 why[600];
	enum reg_outcome	 o;

	out->selected++;
	if (strcmp(s->after, "deleted") == 0)
		change = "restore";
	else if (strcmp(s->before, "deleted") == 0)
		change = "delete";
	else if (strcmp(s->before, "active") == 0)
		change = "activate";
	else
		change = "deactivate";
	undo_why(p, s, why, sizeof(why));
	if (why[0] != '\0') {
		o = OUT_REFUSED;
		out->refused++;
	} else {
		o = OUT_CHANGE;
		out->changed++;
		p->restores += strcmp(change, "restore") == 0;
		p->deletes += strcmp(change, "delete") == 0;
	}
	if (reg_items_add(&out->items, s->model, o, change, why[0] ? why :
	    NULL) == -1)
		return p->failed = 1;
	return 0;
}

/* batch.undone's details: the undo, the row it reversed, the counts, the first ids. */
#define UNDO_EVENT_IDS	20
static int
undo_extra(struct buf *x, const struct reg_undo_out *out, int64_t id)
{
	size_t	 i;
	int	 k = 0, rc = 0;

	rc |= buf_printf(x, ",\"batch\":%lld,\"undo_of\":%lld,\"action\":",
	    (long long)out->batch, (long long)id);
	rc |= buf_json_str(x, out->action);
	rc |= buf_printf(x, ",\"changed\":%lld,\"default\":",
	    (long long)out->changed);
	rc |= out->default_after[0] ? buf_json_str(x, out->default_after) :
	    buf_puts(x, "null");
	rc |= buf_puts(x, ",\"models\":[");
	for (i = 0; i < out->items.n && k < UNDO_EVENT_IDS; i++) {
		rc |= buf_puts(x, k++ > 0 ? "," : "");
		rc |= buf_json_str(x, out->items.v[i].id);
	}
	rc |= buf_puts(x, "]");
	return rc ? -1 : 0;
}

/* Set the models of id whose after is from and before is to as to (audited). */
static int
undo_status(sqlite3 *db, const struct reg_undo_in *in, int64_t now,
    const char *from, const char *to)
{
	if (db_history_select(db, in->id, from, to) == -1)
		return -1;
	return db_sel_set_status(db, strcmp(to, "active") == 0, now, in->actor,
	    "undo", reg_source(in->actor));
}

/* The undo's end, its changes made: a dry run rolls back; else the seal, the batch.undone event, the commit. */
static enum reg_rc
undo_commit(sqlite3 *db, const struct reg_undo_in *in,
    struct reg_undo_out *out, const struct undo_row *row, const char *noun,
    char *msg, size_t len)
{
	struct buf	 x = { 0 };
	char		 what[400];
	const char	*def = out->default_after[0] ? out->default_after : "none";

	if (in->dry_run) {
		db_rollback(db);
		out->batch = 0;
		reg_msg(msg, len, "dry run: undo of batch %lld (%s) would change "
		    "%lld %s%s; the default would be %s", (long long)row->id,
		    row->action, (long long)out->changed, noun,
		    out->changed == 1 ? "" : "s", def);
		return REG_OK;
	}
	snprintf(what, sizeof(what), "undo of batch %lld (%s): %lld changed, "
	    "default %s", (long long)row->id, row->action,
	    (long long)out->changed, def);
	if (db_history_seal(db, out->batch) == -1 ||
	    undo_extra(&x, out, in->id) == -1 ||
	    reg_event(db, "batch.undone", NULL, in->actor, x.data, what) == -1 ||
	    db_commit(db) == -1) {
		buf_free(&x);
		reg_items_free(&out->items);
		memset(out, 0, sizeof(*out));
		return reg_fail(db, msg, len);
	}
	buf_free(&x);
	if (!in->notify_later)
		events_notify();
	out->applied = 1;
	reg_msg(msg, len, "%s", what);
	return REG_OK;
}

enum reg_rc
reg_undo(sqlite3 *db, const struct reg_undo_in *in, struct reg_undo_out *out,
    char *msg, size_t len)
{
	struct undo_row		 row;
	struct undo_plan	 plan;
	struct db_modelref	 def;
	struct buf		 eb = { 0 }, ea = { 0 };
	int64_t			 now = reg_clock(in->now), audit_to;
	char			 cur[256], why[300], prev[256];
	int			 r, moved;

	memset(out, 0, sizeof(*out));
	memset(&row, 0, sizeof(row));
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if (db_history_get(db, in->id, undo_row_copy, &row) == -1)
		return reg_fail(db, msg, len);
	if (!row.found)
		return reg_refuse(db, REG_NOTFOUND, msg, len, "no such history "
		    "entry: %lld", (long long)in->id);
	snprintf(out->action, sizeof(out->action), "%s", row.action);
	if (row.undone_by != 0)
		return reg_refuse(db, REG_CONFLICT, msg, len, "batch %lld was "
		    "already undone by batch %lld (undo that to redo it)",
		    (long long)row.id, (long long)row.undone_by);
	/* Issue 11 item 5: an import (or its undo) keeps the registry's exports, and goes back by them. */
	if ((r = db_history_exports_get(db, row.id, &eb, &ea)) == -1)
		goto fail;
	if (r == 0) {
		r = reg_undo_exports(db, in, out, &eb, &ea, msg, len);
		buf_free(&eb);
		buf_free(&ea);
		if (r == -1)
			goto fail;
		if (r == 2) {
			reg_items_free(&out->items);
			memset(out, 0, sizeof(*out));
			db_rollback(db);
			return REG_CONFLICT;
		}
		snprintf(out->action, sizeof(out->action), "%s", row.action);
		if (r == 1) {
			db_rollback(db);
			reg_msg(msg, len, "undo of batch %lld (%s): %lld thing%s "
			    "changed since or cannot go back; nothing was changed",
			    (long long)row.id, row.action, (long long)out->refused,
			    out->refused == 1 ? "" : "s");
			return REG_OK;
		}
		return undo_commit(db, in, out, &row, "thing", msg, len);
	}
	if (strcmp(row.action, "import") == 0)
		return reg_refuse(db, REG_CONFLICT, msg, len, "batch %lld is an "
		    "import kept without the registry's exports: it cannot be "
		    "undone", (long long)row.id);
	if ((r = db_model_default(db, &def)) == -1)
		return reg_fail(db, msg, len);
	snprintf(cur, sizeof(cur), "%s", r == 0 ? def.id : "");
	/* The row moved the default: it goes back, if it is still there. */
	moved = strcmp(row.def_before, row.def_after) != 0;
	if (moved && strcmp(cur, row.def_after) != 0)
		return reg_refuse(db, REG_CONFLICT, msg, len, "the default is %s "
		    "now; batch %lld made it %s: nothing was changed",
		    cur[0] ? cur : "none", (long long)row.id, row.def_after);

	memset(&plan, 0, sizeof(plan));
	plan.in = in;
	plan.out = out;
	plan.row = &row;
	plan.now = now;
	plan.new_default = moved && row.def_before[0] ? row.def_before : cur;
	/* A row from before schema 8 without its audit mark: what came after its second. */
	audit_to = row.audit_to;
	if (audit_to < 0 && db_history_audit_at(db, row.at, &audit_to) == -1)
		goto fail;
	if (db_history_since(db, in->id, audit_to, undo_decide, &plan) == -1 ||
	    plan.failed)
		goto fail;
	snprintf(out->default_before, sizeof(out->default_before), "%s", cur);
	snprintf(out->default_after, sizeof(out->default_after), "%s",
	    plan.new_default);
	if (out->refused > 0) {
		db_rollback(db);
		reg_msg(msg, len, "undo of batch %lld: %lld of %lld model%s "
		    "changed since or cannot go back; nothing was changed",
		    (long long)row.id, (long long)out->refused,
		    (long long)out->selected, out->selected == 1 ? "" : "s");
		return REG_OK;
	}

	/* The history first: a model put back to deleted is saved before it goes. */
	if (db_history_add(db, now, in->actor, in->id, out->changed, cur,
	    plan.new_default, &out->batch) == -1 ||
	    db_history_undo_rows(db, out->batch, in->id) == -1 ||
	    (plan.deletes > 0 && db_history_save(db, out->batch) == -1))
		goto fail;
	if (plan.restores > 0 && db_history_restore(db, in->id, now,
	    in->actor) == -1)
		goto fail;
	if (undo_status(db, in, now, "inactive", "active") == -1)
		goto fail;
	if (moved && row.def_before[0] && strcmp(cur, row.def_before) != 0) {
		if ((r = reg_default_make(db, row.def_before, now, in->actor,
		    prev, sizeof(prev), why, sizeof(why))) == -1)
			goto fail;
		if (r == 1) {
			reg_items_free(&out->items);
			memset(out, 0, sizeof(*out));
			return reg_refuse(db, REG_CONFLICT, msg, len, "the default "
			    "cannot go back to %s: %s; nothing was changed",
			    row.def_before, why);
		}
	}
	if (undo_status(db, in, now, "active", "inactive") == -1)
		goto fail;
	if (plan.deletes > 0 && (db_history_select(db, in->id, NULL,
	    "deleted") == -1 || db_models_delete_sel(db, now, in->actor) == -1))
		goto fail;
	return undo_commit(db, in, out, &row, "model", msg, len);
fail:
	buf_free(&eb);
	buf_free(&ea);
	reg_items_free(&out->items);
	memset(out, 0, sizeof(*out));
	return reg_fail(db, msg, len);
}
