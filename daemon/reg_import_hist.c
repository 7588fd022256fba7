/* reg_import_hist.c: an import in the history and its undo (issue 11 item 5): the row keeps the registry's export before and after; the undo checks the registry is as the import left it and applies the one before with IMPORT's rules. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_caps.h"
#include "db_export.h"
#include "db_history.h"
#include "db_tags.h"
#include "export.h"
#include "reg_export.h"
#include "reg_history.h"
#include "reg_import_hist.h"
#include "reg_int.h"
#include "sessions.h"

/* A model's status in a document: "absent" when the document lacks it. */
static const char *
doc_status(const struct export_doc *d, const char *id)
{
	const struct export_model	*m = export_find_model(d, id);

	return m != NULL ? export_status_name(m->active) : "absent";
}

/* Item i is of the thing item i - 1 is (a key's, a collection's changes are listed together). */
static int
same_thing(const struct reg_import_out *out, int i)
{
	return i > 0 && strcmp(out->items[i - 1].kind, out->items[i].kind) ==
	    0 && strcmp(out->items[i - 1].name, out->items[i].name) == 0;
}

/* The row's selection: what besides models the import changed ("file collections=1 keys=2"). */
static int
record_selection(struct buf *b, const struct reg_import_out *out)
{
	static const char *const kinds[] = { "collection", "key", "cap" };
	int	 i, k, n, rc = 0;

	rc |= buf_puts(b, "file");
	for (k = 0; k < 3; k++) {
		/* Things, not changes: one thing's changes come together. */
		for (i = n = 0; i < out->n; i++)
			n += strcmp(out->items[i].kind, kinds[k]) == 0 &&
			    strcmp(out->items[i].outcome, "skipped") != 0 &&
			    !same_thing(out, i);
		if (n > 0)
			rc |= buf_printf(b, " %ss=%d", kinds[k], n);
	}
	return rc ? -1 : 0;
}

int
reg_import_record(sqlite3 *db, const struct reg_import_in *in,
    struct reg_import_out *out, const struct export_doc *before)
{
	struct export_doc	 after;
	struct db_hist_change	*v;
	struct buf		 tb = { 0 }, ta = { 0 }, sel = { 0 };
	const struct import_item *it;
	size_t			 n = 0;
	int			 i, rc = -1;

	if ((v = calloc((size_t)out->n + 1, sizeof(*v))) == NULL)
		return -1;
	memset(&after, 0, sizeof(after));
	if (db_export_read(db, &after) == -1)
		goto done;
	for (i = 0; i < out->n; i++) {
		it = &out->items[i];
		if (strcmp(it->kind, "model") != 0 ||
		    strcmp(it->outcome, "skipped") == 0)
			continue;
		v[n].model = it->name;
		v[n].before = doc_status(before, it->name);
		v[n].after = doc_status(&after, it->name);
		v[n].field = it->field != NULL ? it->field : it->outcome;
		n++;
	}
	/* The two documents: tens of MB at 100k models (doc/export.md says what it costs). */
	if (export_write(&tb, before) == -1 || export_write(&ta, &after) == -1 ||
	    record_selection(&sel, out) == -1 ||
	    db_batch_add(db, reg_clock(in->now), in->actor, "import", sel.data,
	    out->changed, out->skipped, before->default_model,
	    after.default_model, &out->batch) == -1 ||
	    db_history_import_models(db, out->batch, v, n) == -1 ||
	    db_history_exports_put(db, out->batch, &tb, &ta) == -1 ||
	    db_history_seal(db, out->batch) == -1)
		goto done;
	rc = 0;
done:
	export_free(&after);
	buf_free(&tb);
	buf_free(&ta);
	buf_free(&sel);
	free(v);
	return rc;
}

/* UNDO. */

static int
str_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

struct undo_x {
	sqlite3				*db;
	const struct reg_undo_in	*in;
	struct reg_undo_out		*out;
	int64_t				 now;
	int				 failed;
};

/* An item of out: a model by its id, anything else as "KIND NAME". */
static int
undo_item(struct undo_x *u, const char *kind, const char *name,
    enum reg_outcome o, const char *change, const char *why)
{
	char	 id[320];

	if (strcmp(kind, "model") == 0)
		snprintf(id, sizeof(id), "%s", name);
	else if (strcmp(kind, "default") == 0)
		snprintf(id, sizeof(id), "default");
	else
		snprintf(id, sizeof(id), "%s %s", kind, name);
	u->out->selected++;
	if (o == OUT_REFUSED)
		u->out->refused++;
	else
		u->out->changed++;
	if (reg_items_add(&u->out->items, id, o, change, why) == -1)
		return u->failed = -1;
	return 0;
}

static int
undo_refused(struct undo_x *u, const char *kind, const char *name,
    const char *why)
{
	return undo_item(u, kind, name, OUT_REFUSED, "revert", why);
}

/*
 * What changed since the row, as refused items: IMPORT's rules applied
 * to after (the registry as the row left it) say what differs in what
 * after names; what the registry has now that after lacks was added
 * since. Written and rolled back with the rest by the caller.
 */
static int
undo_diff(struct undo_x *u, const struct export_doc *after,
    const struct export_doc *cur)
{
	struct reg_import_in	 ii;
	struct reg_import_out	 io;
	const struct import_item *it;
	char			 why[700], m[512] = "";
	int			 i, refused;

	memset(&ii, 0, sizeof(ii));
	memset(&io, 0, sizeof(io));
	ii.doc = after;
	ii.actor = u->in->actor;
	ii.action = "undo";
	ii.now = u->now;
	if (reg_import_apply(u->db, &ii, &io, NULL, &refused, m,
	    sizeof(m)) == -1) {
		reg_import_free(&io);
		if (!refused)
			return -1;
		snprintf(why, sizeof(why), "the registry cannot be as the row "
		    "left it: %s", m);
		return undo_refused(u, "registry", "now", why);
	}
	for (i = 0; i < io.n && !u->failed; i++) {
		it = &io.items[i];
		if (strcmp(it->outcome, "changed") == 0 && strcmp(it->kind,
		    "default") == 0)
			snprintf(why, sizeof(why), "the default is %s now; the "
			    "row left it %s", it->oldv != NULL ? it->oldv :
			    "none", it->newv);
		else if (strcmp(it->outcome, "changed") == 0)
			snprintf(why, sizeof(why), "%s is %s now; the row left "
			    "it %s", it->field, it->oldv != NULL && it->oldv[0] ?
			    it->oldv : "none", it->newv != NULL && it->newv[0] ?
			    it->newv : "none");
		else if (strcmp(it->kind, "key") == 0)
			snprintf(why, sizeof(why), "revoked since");
		else
			snprintf(why, sizeof(why), "deleted since");
		undo_refused(u, it->kind, it->name, why);
	}
	reg_import_free(&io);
	for (i = 0; i < cur->nmodels && !u->failed; i++)
		if (export_find_model(after, cur->models[i].id) == NULL)
			undo_refused(u, "model", cur->models[i].id, "added "
			    "since (synced or seeded after the row)");
	for (i = 0; i < cur->ncollections && !u->failed; i++)
		if (export_find_collection(after, cur->collections[i].name) ==
		    NULL)
			undo_refused(u, "collection", cur->collections[i].name,
			    "created since");
	for (i = 0; i < cur->nkeys && !u->failed; i++)
		if (export_find_key(after, cur->keys[i].name) == NULL)
			undo_refused(u, "key", cur->keys[i].name, "created since");
	for (i = 0; i < cur->ncaps && !u->failed; i++)
		if (export_find_cap(after, &cur->caps[i]) == NULL)
			undo_refused(u, "cap", cur->caps[i].model != NULL ?
			    cur->caps[i].model : cur->caps[i].key, "set since");
	if (!u->failed && after->default_model == NULL &&
	    cur->default_model != NULL) {
		snprintf(why, sizeof(why), "the default is %s now; the row left "
		    "none", cur->default_model);
		undo_refused(u, "default", "", why);
	}
	/* The texts differ in a way none of the above names: still a change. */
	if (!u->failed && u->out->refused == 0)
		undo_refused(u, "registry", "now", "its decisions differ from "
		    "what the row left (compare EXPORT)");
	return u->failed ? -1 : 0;
}

/* The models the row synced (before "absent"): refused when in use, else deleted (items). */
static int
undo_synced(const char *model, const char *before, const char *after,
    const char *fields, int saved, void *arg)
{
	struct undo_x	*u = arg;
	const struct reg_undo_in *in = u->in;
	char		 why[300];
	size_t		 live;

	(void)fields;
	(void)saved;
	if (strcmp(before, "absent") != 0) {
		/* Put back by the document: a model the undo of an import deleted is synced again. */
		return undo_item(u, "model", model, OUT_CHANGE, strcmp(after,
		    "absent") == 0 ? "restore" : "revert", NULL) == -1;
	}
	live = in->sessions != NULL ? sessions_count(in->sessions, model,
	    u->now) : in->in_use != NULL ? in->in_use(model, in->in_use_arg) : 0;
	if (live > 0) {
		snprintf(why, sizeof(why), "synced by the row and in use by %zu "
		    "session%s now", live, live == 1 ? "" : "s");
		return undo_item(u, "model", model, OUT_REFUSED, "delete",
		    why) == -1;
	}
	return undo_item(u, "model", model, OUT_CHANGE, "delete", NULL) == -1;
}

/* What the document before lacks and the registry has: the caps and collections the row made. */
static int
undo_made(struct undo_x *u, const struct export_doc *before,
    const struct export_doc *cur)
{
	const struct actor	*a = u->in->actor;
	struct reg_cap		 c;
	int64_t			 cid, n;
	const char		*name;
	int			 i, r;

	for (i = 0; i < cur->ncaps; i++) {
		if (export_find_cap(before, &cur->caps[i]) != NULL)
			continue;
		name = cur->caps[i].model != NULL ? cur->caps[i].model :
		    cur->caps[i].key;
		memset(&c, 0, sizeof(c));
		r = cur->caps[i].model != NULL ? db_cap_model(u->db, name, &c) :
		    db_cap_key(u->db, name, &c);
		/* What the cap did ends with it, as CAP clear does. */
		if (r != 0 || (c.exceeded && c.key_id != 0 &&
		    db_key_limit(u->db, c.key_id, 0) == -1) ||
		    db_cap_delete(u->db, c.id) == -1 ||
		    db_audit(u->db, u->now, a, "undo", cur->caps[i].model,
		    cur->caps[i].model != NULL ? "cap" : "key.cap", "set",
		    NULL) == -1 ||
		    undo_item(u, "cap", name, OUT_CHANGE, "delete", NULL) == -1)
			return -1;
	}
	for (i = 0; i < cur->ncollections; i++) {
		name = cur->collections[i].name;
		if (export_find_collection(before, name) != NULL)
			continue;
		if (db_collection_get(u->db, name, &cid, &n) != 0 ||
		    db_collection_delete(u->db, cid) == -1 ||
		    db_audit(u->db, u->now, a, "undo", NULL, "collection", name,
		    NULL) == -1 ||
		    undo_item(u, "collection", name, OUT_CHANGE, "delete",
		    NULL) == -1)
			return -1;
	}
	return 0;
}

/* What the document put back besides models (whose items come from the row's). */
static int
undo_applied(struct undo_x *u, const struct reg_import_out *io, char *msg,
    size_t len)
{
	const struct import_item *it;
	int			 i;

	for (i = 0; i < io->n; i++) {
		it = &io->items[i];
		/* A model, key or cap the document names and the registry cannot have again. */
		if (strcmp(it->outcome, "skipped") == 0) {
			reg_msg(msg, len, "%s %s cannot go back: %s; nothing was "
			    "changed", it->kind, it->name, it->reason);
			return 2;
		}
		/* One item a thing: a key's or a collection's changes come together. */
		if (strcmp(it->kind, "model") == 0 || same_thing(io, i))
			continue;
		if (undo_item(u, it->kind, it->name, OUT_CHANGE, strcmp(
		    it->outcome, "created") == 0 ? "restore" : "revert",
		    NULL) == -1)
			return -1;
	}
	return 0;
}

int
reg_undo_exports(sqlite3 *db, const struct reg_undo_in *in,
    struct reg_undo_out *out, const struct buf *before,
    const struct buf *after, char *msg, size_t len)
{
	struct undo_x		 u;
	struct export_doc	 cur, b, a;
	struct reg_import_in	 ii;
	struct reg_import_out	 io;
	struct buf		 now = { 0 }, then = { 0 };
	char			 err[512];
	int			 rc = -1, refused;

	memset(&u, 0, sizeof(u));
	memset(&cur, 0, sizeof(cur));
	memset(&b, 0, sizeof(b));
	memset(&a, 0, sizeof(a));
	memset(&io, 0, sizeof(io));
	u.db = db;
	u.in = in;
	u.out = out;
	u.now = reg_clock(in->now);
	/* The whole registry is compared: the undo puts the whole document back. */
	if (db_export_read(db, &cur) == -1 || export_write(&now, &cur) == -1)
		goto done;
	snprintf(out->default_before, sizeof(out->default_before), "%s",
	    cur.default_model != NULL ? cur.default_model : "");
	if (export_parse(before->data, before->len, &b, err, sizeof(err)) == -1 ||
	    export_parse(after->data, after->len, &a, err, sizeof(err)) == -1) {
		reg_msg(msg, len, "batch %lld's saved export does not read back "
		    "(%s); nothing was changed", (long long)in->id, err);
		rc = 2;
		goto done;
	}
	if (now.len != after->len || memcmp(now.data, after->data, now.len) != 0) {
		rc = undo_diff(&u, &a, &cur) == -1 ? -1 : 1;
		goto done;
	}
	if (db_history_models(db, in->id, undo_synced, &u) == -1 || u.failed)
		goto done;
	if (out->refused > 0) {
		rc = 1;
		goto done;
	}
	/*
	 * The default off first when it moves: the models the row synced
	 * (the default may be one) go before the document is applied, so
	 * an alias the row moved to one of them is free to go back, and the
	 * document's default (if any) is then set again.
	 */
	if (!str_same(cur.default_model, b.default_model) &&
	    cur.default_model != NULL && (db_model_clear_default(db) == -1 ||
	    db_audit(db, u.now, in->actor, "undo", cur.default_model,
	    "default", cur.default_model, NULL) == -1 ||
	    (b.default_model == NULL && undo_item(&u, "default", "",
	    OUT_CHANGE, "revert", NULL) == -1)))
		goto done;
	if (db_history_select(db, in->id, NULL, "absent") == -1 ||
	    db_models_delete_sel(db, u.now, in->actor) == -1)
		goto done;
	memset(&ii, 0, sizeof(ii));
	ii.doc = &b;
	ii.strict = 1;
	ii.zdr_enforce = in->zdr_enforce;
	ii.actor = in->actor;
	ii.action = "undo";
	ii.now = u.now;
	if (reg_import_apply(db, &ii, &io, NULL, &refused, err,
	    sizeof(err)) == -1) {
		/* IMPORT's words are of a file: say it is the saved export. */
		if (refused)
			reg_msg(msg, len, "the export saved before batch %lld "
			    "cannot be applied again: %s", (long long)in->id, err);
		rc = refused ? 2 : -1;
		goto done;
	}
	if ((rc = undo_applied(&u, &io, msg, len)) != 0 ||
	    undo_made(&u, &b, &cur) == -1)
		goto done;
	rc = -1;
	export_free(&cur);
	if (db_export_read(db, &cur) == -1 || export_write(&then, &cur) == -1)
		goto done;
	snprintf(out->default_after, sizeof(out->default_after), "%s",
	    cur.default_model != NULL ? cur.default_model : "");
	if (db_history_add(db, u.now, in->actor, in->id, out->changed,
	    out->default_before, out->default_after, &out->batch) == -1 ||
	    db_history_undo_rows(db, out->batch, in->id) == -1 ||
	    db_history_exports_put(db, out->batch, &now, &then) == -1)
		goto done;
	rc = 0;
done:
	reg_import_free(&io);
	export_free(&cur);
	export_free(&b);
	export_free(&a);
	buf_free(&now);
	buf_free(&then);
	return rc;
}
