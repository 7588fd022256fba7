/* reg_collections.c: the rules of collections (issue 11): create, add, remove, delete, their read side, and SWITCH, one transaction each. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db_history.h"
#include "db_tags.h"
#include "events.h"
#include "log.h"
#include "reg_default.h"
#include "reg_int.h"
#include "reg_tags.h"

/* A collection's event: details {..., "collection": NAME}; no model. */
static int
reg_coll_event(sqlite3 *db, const char *kind, const char *name,
    const struct actor *a, const char *extra, const char *what)
{
	struct buf	 x = { 0 };
	char		 line[256];
	int		 rc = -1;

	if (buf_puts(&x, ",\"collection\":") == -1 ||
	    buf_json_str(&x, name) == -1 ||
	    (extra != NULL && buf_puts(&x, extra) == -1)) {
		log_warnx("event %s: out of memory", kind);
		goto out;
	}
	snprintf(line, sizeof(line), "collection %s %s", name, what);
	rc = reg_event(db, kind, NULL, a, x.data, line);
out:
	buf_free(&x);
	return rc;
}

/*
 * The models named (ids or aliases) and those from's filters give, into
 * temp.batch_sel: 0, 1 (an unknown name: msg set, rolled back by the
 * caller's refusal), -1.
 */
static int
reg_coll_select(sqlite3 *db, const struct reg_coll_in *in, char *why,
    size_t len)
{
	struct db_modelref	 ref;
	int			 i, r;

	if (db_sel_reset(db) == -1)
		return -1;
	for (i = 0; i < in->nmodels; i++) {
		if ((r = db_model_resolve(db, in->models[i], &ref)) == -1)
			return -1;
		if (r == 1) {
			reg_msg(why, len, "no such model: %s", in->models[i]);
			return 1;
		}
		if (db_sel_add(db, ref.id) == -1)
			return -1;
	}
	if (in->from != NULL && db_models_select(db, in->from) == -1)
		return -1;
	return 0;
}

enum reg_rc
reg_collection_create(sqlite3 *db, const struct reg_coll_in *in,
    struct reg_coll_out *out, char *msg, size_t len)
{
	int64_t	 now = reg_clock(in->now), id, n, all;
	char	 what[64], why[300];
	int	 r;

	memset(out, 0, sizeof(*out));
	if (!reg_collection_name_ok(in->name))
		return reg_refuse(db, REG_USAGE, msg, len, "bad collection name: "
		    "1 to %d letters, digits, '.', '_' or '-', a letter or digit "
		    "first", COLLECTION_NAME_MAX);
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_collection_get(db, in->name, &id, NULL)) == -1)
		return reg_fail(db, msg, len);
	if (r == 0)
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "collection %s exists", in->name);
	if (db_collection_count_all(db, &all) == -1)
		return reg_fail(db, msg, len);
	if (all >= COLLECTIONS_MAX)
		return reg_refuse(db, REG_CONFLICT, msg, len, "at most %d "
		    "collections", COLLECTIONS_MAX);
	if ((r = reg_coll_select(db, in, why, sizeof(why))) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len, "%s", why);
	if (db_collection_create(db, in->name, now, in->actor->user, &id) == -1 ||
	    (n = db_collection_add_sel(db, id, now)) == -1)
		return reg_fail(db, msg, len);
	snprintf(what, sizeof(what), "created with %lld model%s",
	    (long long)n, n == 1 ? "" : "s");
	if (db_audit(db, now, in->actor, "collection.create", NULL, in->name,
	    NULL, what) == -1 ||
	    reg_coll_event(db, "collection.created", in->name, in->actor, NULL,
	    what) == -1 || db_commit(db) == -1)
		return reg_fail(db, msg, len);
	events_notify();
	out->changed = out->n = n;
	reg_msg(msg, len, "collection %s %s", in->name, what);
	return REG_OK;
}

/* add (adding 1) or remove (0) the selection. */
static enum reg_rc
reg_coll_change(sqlite3 *db, const struct reg_coll_in *in, int adding,
    struct reg_coll_out *out, char *msg, size_t len)
{
	struct db_modelref	 ref;
	int64_t			 now = reg_clock(in->now), id, n;
	char			 what[64], why[300];
	int			 i, r;

	memset(out, 0, sizeof(*out));
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_collection_get(db, in->name, &id, NULL)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such collection: %s", in->name);
	if (adding) {
		if ((r = reg_coll_select(db, in, why, sizeof(why))) == -1)
			return reg_fail(db, msg, len);
		if (r == 1)
			return reg_refuse(db, REG_NOTFOUND, msg, len, "%s", why);
		if ((out->changed = db_collection_add_sel(db, id, now)) == -1)
			return reg_fail(db, msg, len);
	} else {
		/*
		 * Removal by name: a member that was deleted is gone from
		 * the collection already (ON DELETE CASCADE).
		 */
		for (i = 0; i < in->nmodels; i++) {
			if ((r = db_model_resolve(db, in->models[i], &ref)) == -1)
				return reg_fail(db, msg, len);
			if (r == 1)
				return reg_refuse(db, REG_NOTFOUND, msg, len,
				    "no such model: %s", in->models[i]);
			if ((r = db_collection_remove(db, id, ref.id)) == -1)
				return reg_fail(db, msg, len);
			out->changed += r;
		}
	}
	if (db_collection_get(db, in->name, &id, &n) == -1)
		return reg_fail(db, msg, len);
	out->n = n;
	if (out->changed == 0) {
		db_rollback(db);
		reg_msg(msg, len, "collection %s: no change (%lld model%s)",
		    in->name, (long long)n, n == 1 ? "" : "s");
		return REG_OK;
	}
	snprintf(what, sizeof(what), "%s %lld model%s", adding ? "added" :
	    "removed", (long long)out->changed, out->changed == 1 ? "" : "s");
	if (db_collection_touch(db, id, now) == -1 ||
	    db_audit(db, now, in->actor, adding ? "collection.add" :
	    "collection.remove", NULL, in->name, NULL, what) == -1 ||
	    reg_coll_event(db, "collection.changed", in->name, in->actor, NULL,
	    what) == -1 || db_commit(db) == -1) {
		memset(out, 0, sizeof(*out));
		return reg_fail(db, msg, len);
	}
	events_notify();
	reg_msg(msg, len, "collection %s: %s (%lld now)", in->name, what,
	    (long long)n);
	return REG_OK;
}

enum reg_rc
reg_collection_add(sqlite3 *db, const struct reg_coll_in *in,
    struct reg_coll_out *out, char *msg, size_t len)
{
	return reg_coll_change(db, in, 1, out, msg, len);
}

enum reg_rc
reg_collection_remove(sqlite3 *db, const struct reg_coll_in *in,
    struct reg_coll_out *out, char *msg, size_t len)
{
	return reg_coll_change(db, in, 0, out, msg, len);
}

enum reg_rc
reg_collection_delete(sqlite3 *db, const struct reg_coll_in *in,
    struct reg_coll_out *out, char *msg, size_t len)
{
	int64_t	 now = reg_clock(in->now), id, n;
	char	 key[128], what[64];
	int	 r;

	memset(out, 0, sizeof(*out));
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_collection_get(db, in->name, &id, &n)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such collection: %s", in->name);
	/* A key that follows it would silently reach nothing. */
	if ((r = db_collection_key(db, id, key, sizeof(key))) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_CONFLICT, msg, len, "collection %s is "
		    "followed by key %s: revoke the key first", in->name, key);
	snprintf(what, sizeof(what), "deleted (%lld model%s)", (long long)n,
	    n == 1 ? "" : "s");
	/* Revoked keys that followed it forget it (the foreign key). */
	if (db_collection_delete(db, id) == -1 ||
	    db_audit(db, now, in->actor, "collection.delete", NULL, in->name,
	    NULL, what) == -1 ||
	    reg_coll_event(db, "collection.deleted", in->name, in->actor, NULL,
	    what) == -1 || db_commit(db) == -1)
		return reg_fail(db, msg, len);
	events_notify();
	out->n = n;
	reg_msg(msg, len, "collection %s %s", in->name, what);
	return REG_OK;
}

enum reg_rc
reg_collection_list(sqlite3 *db, const char *name, reg_collection_cb cb,
    void *arg, char *msg, size_t len)
{
	int	 n;

	if ((n = db_collection_list(db, name, cb, arg)) == -1) {
		reg_msg(msg, len, "database error");
		return REG_INTERNAL;
	}
	if (name != NULL && n == 0) {
		reg_msg(msg, len, "no such collection: %s", name);
		return REG_NOTFOUND;
	}
	return REG_OK;
}

enum reg_rc
reg_collection_members(sqlite3 *db, const char *name, reg_member_cb cb,
    void *arg, char *msg, size_t len)
{
	int64_t	 id;
	int	 r;

	if ((r = db_collection_get(db, name, &id, NULL)) == -1 ||
	    (r == 0 && db_collection_members(db, id, cb, arg) == -1)) {
		reg_msg(msg, len, "database error");
		return REG_INTERNAL;
	}
	if (r == 1) {
		reg_msg(msg, len, "no such collection: %s", name);
		return REG_NOTFOUND;
	}
	return REG_OK;
}

/*
 * SWITCH's plan, one row of the whole registry at a time: members not
 * active are to be activated, other models active to be deactivated.
 */
struct sw_plan {
	sqlite3			*db;
	struct reg_switch_out	*out;
	int			 pass;		/* 0: members, 1: the others */
	const char		*keep;		/* the old default, deactivated last */
	int			 failed;
};

static int
sw_member(const char *id, int active, int is_default, const char *kind,
    void *arg)
{
	struct sw_plan	*p = arg;

	(void)is_default;
	(void)kind;
	if (p->pass == 0) {
		if (active) {
			p->out->unchanged++;
			return 0;
		}
		p->out->activated++;
		if (reg_items_add(&p->out->items, id, OUT_CHANGE, "activate",
		    NULL) == -1)
			return p->failed = 1;
		return 0;
	}
	if (!active) {
		p->out->unchanged++;
		return 0;
	}
	p->out->deactivated++;
	if (reg_items_add(&p->out->items, id, OUT_CHANGE, "deactivate",
	    NULL) == -1)
		return p->failed = 1;
	return 0;
}

/* The first member (in id order) the default's rule allows: 1 (id set), 0 none, -1. */
struct sw_first {
	sqlite3	*db;
	int64_t	 now;
	char	*id;
	size_t	 len;
	int	 found, failed;
};

static int
sw_first_allowed(const char *id, int active, int is_default, void *arg)
{
	struct sw_first	*f = arg;
	char		 why[300];
	int		 r;

	(void)active;
	(void)is_default;
	if ((r = reg_default_allowed(f->db, id, f->now, why, sizeof(why))) == -1)
		return f->failed = 1;
	if (r == 0) {
		snprintf(f->id, f->len, "%s", id);
		f->found = 1;
		return 1;
	}
	return 0;
}

/* One batch_models row per model the switch changed. */
static int
reg_switch_history(sqlite3 *db, int64_t batch, const struct reg_items *it)
{
	size_t	 i;
	int	 act;

	for (i = 0; i < it->n; i++) {
		act = strcmp(it->v[i].change, "activate") == 0;
		if (db_batch_model(db, batch, it->v[i].id, act ? "inactive" :
		    "active", act ? "active" : "inactive") == -1)
			return -1;
	}
	return 0;
}

enum reg_rc
reg_collection_switch(sqlite3 *db, const struct reg_switch_in *in,
    struct reg_switch_out *out, char *msg, size_t len)
{
	struct db_modelref	 ref, def;
	struct sw_plan		 plan;
	struct buf		 x = { 0 };
	int64_t			 now = reg_clock(in->now), cid, n;
	char			 why[300], what[400], prev[256];
	int			 r, have_def, def_member = 0;
	size_t			 first;

	memset(out, 0, sizeof(*out));
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_collection_get(db, in->name, &cid, &n)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such collection: %s", in->name);
	if (n == 0)
		return reg_refuse(db, REG_CONFLICT, msg, len, "collection %s is "
		    "empty: switching to it would leave no model active",
		    in->name);
	if ((r = db_model_default(db, &def)) == -1)
		return reg_fail(db, msg, len);
	have_def = r == 0;

	/* The members: selected, to be activated. */
	{
		struct list_query	 q;

		memset(&q, 0, sizeof(q));
		q.collection = in->name;
		if (db_sel_reset(db) == -1 || db_models_select(db, &q) == -1)
			return reg_fail(db, msg, len);
	}
	if (in->default_model != NULL) {
		if ((r = db_model_resolve(db, in->default_model, &ref)) == -1)
			return reg_fail(db, msg, len);
		if (r == 1)
			return reg_refuse(db, REG_NOTFOUND, msg, len,
			    "no such model: %s", in->default_model);
	}
	memset(&plan, 0, sizeof(plan));
	plan.db = db;
	plan.out = out;
	plan.pass = 0;
	if (db_sel_each(db, sw_member, &plan) == -1 || plan.failed ||
	    reg_items_mark(db, &out->items, NULL) == -1)
		goto fail;
	if (db_sel_set_status(db, 1, now, in->actor, "activate", "manual") == -1)
		goto fail;
	if (have_def && (r = db_sel_has(db, def.id)) == -1)
		goto fail;
	def_member = have_def && r == 1;
	if (in->default_model != NULL) {
		if ((r = db_sel_has(db, ref.id)) == -1)
			goto fail;
		if (r == 0) {
			reg_items_free(&out->items);
			return reg_refuse(db, REG_CONFLICT, msg, len, "%s is not in "
			    "collection %s", ref.id, in->name);
		}
	}

	/* The others: everything not in the collection, to be deactivated. */
	if (db_sel_invert(db) == -1)
		goto fail;
	plan.pass = 1;
	plan.keep = have_def && !def_member ? def.id : NULL;
	first = out->items.n;
	if (db_sel_each(db, sw_member, &plan) == -1 || plan.failed)
		goto fail;
	/* The old default stays active until the mark has moved. */
	{
		struct reg_items	 others = out->items;

		others.v += first;
		others.n -= first;
		if (reg_items_mark(db, &others, plan.keep) == -1)
			goto fail;
	}
	if (db_sel_set_status(db, 0, now, in->actor, "deactivate", "manual") ==
	    -1)
		goto fail;

	/* The default: M, else the current one if a member, else the best member. */
	prev[0] = '\0';
	if (in->default_model != NULL)
		snprintf(out->default_id, sizeof(out->default_id), "%s", ref.id);
	else if (def_member)
		snprintf(out->default_id, sizeof(out->default_id), "%s", def.id);
	else {
		/*
		 * Only members and the old default are active now, and
		 * reg_pick_default never picks the old default: the one
		 * rule chooses among the members.
		 */
		if ((r = reg_pick_default(db, in->fallback, have_def ? def.id :
		    NULL, now, out->default_id, sizeof(out->default_id),
		    NULL)) == -1)
			goto fail;
		if (r == 0) {
			struct sw_first	 f = { db, now, out->default_id,
			    sizeof(out->default_id), 0, 0 };

			if (db_collection_members(db, cid, sw_first_allowed,
			    &f) == -1 || f.failed)
				goto fail;
			if (!f.found) {
				reg_items_free(&out->items);
				return reg_refuse(db, REG_CONFLICT, msg, len,
				    "no model of collection %s may be the default "
				    "(the default must be a chat model that has "
				    "not expired)", in->name);
			}
		}
	}
	if (!have_def || strcmp(def.id, out->default_id) != 0) {
		if ((r = reg_default_make(db, out->default_id, now, in->actor,
		    prev, sizeof(prev), why, sizeof(why))) == -1)
			goto fail;
		if (r == 1) {
			reg_items_free(&out->items);
			return reg_refuse(db, REG_CONFLICT, msg, len, "%s", why);
		}
		snprintf(out->previous, sizeof(out->previous), "%s", prev);
	} else
		snprintf(out->previous, sizeof(out->previous), "%s", def.id);
	/* The old default, now that the mark has left it. */
	if (plan.keep != NULL) {
		if (db_sel_unmark(db) == -1 || db_sel_mark(db, plan.keep) == -1 ||
		    db_sel_set_status(db, 0, now, in->actor, "deactivate",
		    "manual") == -1)
			goto fail;
	}
	if (out->activated == 0 && out->deactivated == 0 && prev[0] == '\0') {
		/* Already so: nothing is written, no event, no history row. */
		db_rollback(db);
		reg_msg(msg, len, "collection %s is already what is active; the "
		    "default is %s", in->name, out->default_id);
		return REG_OK;
	}
	if (in->dry_run) {
		db_rollback(db);
		reg_msg(msg, len, "dry run: switching to collection %s would "
		    "activate %lld and deactivate %lld models; the default would "
		    "be %s", in->name, (long long)out->activated,
		    (long long)out->deactivated, out->default_id);
		return REG_OK;
	}
	snprintf(what, sizeof(what), "switched to: %lld activated, %lld "
	    "deactivated, default %s", (long long)out->activated,
	    (long long)out->deactivated, out->default_id);
	if (buf_printf(&x, ",\"activated\":%lld,\"deactivated\":%lld,"
	    "\"default\":", (long long)out->activated,
	    (long long)out->deactivated) == -1 ||
	    buf_json_str(&x, out->default_id) == -1 ||
	    buf_puts(&x, ",\"previous\":") == -1 ||
	    (out->previous[0] ? buf_json_str(&x, out->previous) :
	    buf_puts(&x, "null")) == -1) {
		buf_free(&x);
		goto fail;
	}
	if (db_sel_unmark(db) == -1 || db_batch_add(db, now, in->actor,
	    "switch", in->name, out->activated + out->deactivated, 0,
	    out->previous, out->default_id, &out->batch) == -1 ||
	    reg_switch_history(db, out->batch, &out->items) == -1 ||
	    db_history_seal(db, out->batch) == -1 ||	/* issue 11 item 5 */
	    reg_coll_event(db, "collection.switched", in->name, in->actor,
	    x.data, what) == -1 || db_commit(db) == -1) {
		buf_free(&x);
		goto fail;
	}
	buf_free(&x);
	if (!in->notify_later)
		events_notify();
	reg_msg(msg, len, "collection %s %s", in->name, what);
	return REG_OK;
fail:
	reg_items_free(&out->items);
	memset(out, 0, sizeof(*out));
	return reg_fail(db, msg, len);
}
