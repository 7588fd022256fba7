/* reg_export.c: the rules of EXPORT and IMPORT (issue 11 item 4): the registry's decisions read in one snapshot; a parsed file applied in one transaction, with its diff. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "db_caps.h"
#include "db_catalog.h"
#include "db_export.h"
#include "db_keys.h"
#include "db_settings.h"
#include "db_tags.h"
#include "events.h"
#include "log.h"
#include "reg_caps.h"
#include "reg_default.h"
#include "reg_export.h"
#include "reg_import_hist.h"
#include "reg_int.h"
#include "reg_keys.h"
#include "reg_tags.h"

enum reg_rc
reg_export(sqlite3 *db, struct buf *out, char *msg, size_t len)
{
	struct export_doc	 d;

	/* A deferred BEGIN: a read transaction, one snapshot, no write lock. */
	if (db_exec(db, "BEGIN") == -1)
		return reg_fail(db, msg, len);
	if (db_export_read(db, &d) == -1)
		return reg_fail(db, msg, len);
	db_rollback(db);
	if (export_write(out, &d) == -1) {
		export_free(&d);
		reg_msg(msg, len, "out of memory");
		return REG_INTERNAL;
	}
	export_free(&d);
	return REG_OK;
}

/* IMPORT. */

void
reg_import_free(struct reg_import_out *o)
{
	int	 i;

	for (i = 0; i < o->n; i++) {
		free(o->items[i].name);
		free(o->items[i].oldv);
		free(o->items[i].newv);
		free(o->items[i].reason);
		free(o->items[i].field);
	}
	free(o->items);
	memset(o, 0, sizeof(*o));
}

static int
item_add(struct reg_import_out *o, const char *kind, const char *name,
    const char *outcome, const char *field, const char *oldv,
    const char *newv, const char *reason)
{
	struct import_item	*it, *n;

	if (o->n == o->cap) {
		if ((n = realloc(o->items, (size_t)(o->cap == 0 ? 16 : o->cap * 2) *
		    sizeof(*n))) == NULL)
			return -1;
		o->items = n;
		o->cap = o->cap == 0 ? 16 : o->cap * 2;
	}
	it = &o->items[o->n];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->outcome = outcome;
	if ((it->name = strdup(name)) == NULL ||
	    (field != NULL && (it->field = strdup(field)) == NULL) ||
	    (oldv != NULL && (it->oldv = strdup(oldv)) == NULL) ||
	    (newv != NULL && (it->newv = strdup(newv)) == NULL) ||
	    (reason != NULL && (it->reason = strdup(reason)) == NULL)) {
		free(it->name);
		free(it->field);
		free(it->oldv);
		free(it->newv);
		return -1;
	}
	o->n++;
	if (strcmp(outcome, "skipped") == 0)
		o->skipped++;
	else
		o->changed++;
	return 0;
}

/* A list as "a,b,c" (malloc'd; "" for none), or NULL without memory. */
static char *
join(char *const *v, int n)
{
	struct buf	 b = { 0 };
	int		 i;

	for (i = 0; i < n; i++)
		if ((i > 0 && buf_putc(&b, ',') == -1) || buf_puts(&b, v[i]) == -1) {
			buf_free(&b);
			return NULL;
		}
	return buf_steal(&b);
}

static int
strv_eq(char *const *a, int na, char *const *b, int nb)
{
	int	 i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static int
strv_has(char *const *v, int n, const char *s)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* The models of list that the registry has now (after the syncs): a new list of borrowed strings. */
static char **
present_only(const struct export_doc *cur, char *const *v, int n, int *np)
{
	char	**out;
	int	  i;

	*np = 0;
	if ((out = calloc((size_t)n + 1, sizeof(*out))) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (export_find_model(cur, v[i]) != NULL)
			out[(*np)++] = v[i];
	return out;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A copy of v sorted (borrowed strings), to compare with the registry's sorted lists. */
static char **
sorted(char *const *v, int n)
{
	char	**s;

	if ((s = calloc((size_t)n + 1, sizeof(*s))) == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_str);
	return s;
}

struct imp {
	sqlite3			*db;
	const struct reg_import_in *in;
	struct reg_import_out	*out;
	struct export_doc	 cur;
	int64_t			 now;
	char			*msg;
	size_t			 len;
	int			 refused;	/* msg says why */
};

static int
imp_refuse(struct imp *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
imp_refuse(struct imp *x, const char *fmt, ...)
{
	va_list	 ap;
	char	 m[400];

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	reg_msg(x->msg, x->len, "%s; nothing was changed", m);
	x->refused = 1;
	return -1;
}

/* A change of one field: the audit row (action import) and the diff line. */
static int
imp_changed(struct imp *x, const char *kind, const char *name,
    const char *field, const char *oldv, const char *newv)
{
	char	 f[64];

	snprintf(f, sizeof(f), "%s%s%s", strcmp(kind, "model") == 0 ? "" : kind,
	    strcmp(kind, "model") == 0 ? "" : ".", field);
	if (db_audit(x->db, x->now, x->in->actor, x->in->action != NULL ?
	    x->in->action : "import",
	    strcmp(kind, "model") == 0 ? name : NULL,
	    strcmp(kind, "model") == 0 ? field : f, oldv, newv) == -1)
		return -1;
	return item_add(x->out, kind, name, "changed", field, oldv, newv, NULL);
}

/* Models the registry lacks: sync those the catalog lists, note the rest. */
static int
imp_sync(struct imp *x, int *missing, char *names, size_t nlen)
{
	const struct export_doc *d = x->in->doc;
	char	 id[256], why[160];
	int	 i, r, zdr;

	*missing = 0;
	names[0] = '\0';
	for (i = 0; i < d->nmodels; i++) {
		const char *mid = d->models[i].id;

		if (export_find_model(&x->cur, mid) != NULL)
			continue;
		zdr = -1;
		if ((r = db_catalog_resolve(x->db, mid, id, sizeof(id),
		    &zdr)) == -1)
			return -1;
		if (r == 0 && strcmp(id, mid) == 0 &&
		    (!x->in->zdr_enforce || zdr == 1)) {
			if (db_catalog_sync_add(x->db, mid, 0, x->now,
			    x->in->actor) == -1 ||
			    item_add(x->out, "model", mid, "synced", NULL, NULL,
			    NULL, NULL) == -1)
				return -1;
			continue;
		}
		if (r == 0 && strcmp(id, mid) == 0)
			snprintf(why, sizeof(why), "in the catalog, but without a "
			    "ZDR endpoint ([zdr] enforce = yes)");
		else
			snprintf(why, sizeof(why), "neither in the registry nor "
			    "in the catalog");
		if (item_add(x->out, "model", mid, "skipped", NULL, NULL, NULL,
		    why) == -1)
			return -1;
		if (*missing < 3)
			snprintf(names + strlen(names), nlen - strlen(names),
			    "%s%.64s", *missing > 0 ? ", " : "", mid);
		(*missing)++;
	}
	return 0;
}

/* The status, its source and its reason as the file says (the caller knows it differs). */
static int
imp_status(struct imp *x, const struct export_model *m,
    const struct export_model *c)
{
	char	 o[96], n[96];

	snprintf(o, sizeof(o), "%s (%s%s%s)", export_status_name(c->active),
	    c->source, c->reason != NULL ? ", " : "",
	    c->reason != NULL ? c->reason : "");
	snprintf(n, sizeof(n), "%s (%s%s%s)", export_status_name(m->active),
	    m->source, m->reason != NULL ? ", " : "",
	    m->reason != NULL ? m->reason : "");
	if (db_import_status(x->db, m->id, m->active, m->source, m->reason,
	    x->now) == -1)
		return -1;
	return imp_changed(x, "model", m->id, "status", o, n);
}

/* Label, parameters and enforce; organisation aliases; tags. */
static int
imp_settings(struct imp *x, const struct export_model *m,
    const struct export_model *c)
{
	struct db_settings	 s;
	char			 o[64], n[64], e[160], f[32];
	int64_t			 context = 0;
	int			 p, changed = 0;

	memset(&s, 0, sizeof(s));
	if (!str_eq(m->label, c->label)) {
		if (imp_changed(x, "model", m->id, "label", c->label,
		    m->label) == -1)
			return -1;
		changed = 1;
	}
	for (p = 0; p < SP_COUNT; p++) {
		int hm = (m->params_set >> p) & 1, hc = (c->params_set >> p) & 1;

		if (hm == hc && (!hm || m->params[p] == c->params[p]))
			continue;
		if (hm && p == SP_MAX_TOKENS) {
			if (db_settings_context(x->db, m->id, &context) == -1)
				return -1;
			if (settings_check_range(p, m->params[p], context, e,
			    sizeof(e)) == -1)
				return imp_refuse(x, "model %s: %s", m->id, e);
		}
		if (hc)
			settings_value_text(c->params[p], o, sizeof(o));
		if (hm)
			settings_value_text(m->params[p], n, sizeof(n));
		snprintf(f, sizeof(f), "param.%s", settings_param_name(p));
		if (imp_changed(x, "model", m->id, f, hc ? o : NULL,
		    hm ? n : NULL) == -1)
			return -1;
		changed = 1;
	}
	if (m->enforced != c->enforced) {
		settings_params_list(c->enforced, o, sizeof(o));
		settings_params_list(m->enforced, n, sizeof(n));
		if (imp_changed(x, "model", m->id, "enforced", o, n) == -1)
			return -1;
		changed = 1;
	}
	if (changed) {
		if (m->label != NULL) {
			s.has_label = 1;
			snprintf(s.label, sizeof(s.label), "%s", m->label);
		}
		for (p = 0; p < SP_COUNT; p++)
			if ((s.has[p] = (m->params_set >> p) & 1))
				s.v[p] = m->params[p];
		s.enforced = m->enforced;
		if (db_settings_put(x->db, m->id, &s, x->now) == -1)
			return -1;
	}
	return 0;
}

/* Aliases in two passes over all models, so one can move from a model to another. */
static int
imp_aliases(struct imp *x, int adding)
{
	const struct export_doc *d = x->in->doc;
	const struct export_model *m, *c;
	char		**want, owner[256], *ov, *nv;
	const char	*what;
	int		 i, j, r, rc;

	for (i = 0; i < d->nmodels; i++) {
		m = &d->models[i];
		if ((c = export_find_model(&x->cur, m->id)) == NULL)
			continue;
		if ((want = sorted(m->aliases, m->naliases)) == NULL)
			return -1;
		if (strv_eq(want, m->naliases, c->aliases, c->naliases)) {
			free(want);
			continue;
		}
		rc = 0;
		if (!adding) {
			for (j = 0; j < c->naliases && rc == 0; j++)
				if (!strv_has(want, m->naliases, c->aliases[j]))
					rc = db_org_alias_remove(x->db,
					    c->aliases[j], m->id) == -1 ? -1 : 0;
			ov = join(c->aliases, c->naliases);
			nv = join(want, m->naliases);
			if (rc == 0 && (ov == NULL || nv == NULL ||
			    imp_changed(x, "model", m->id, "aliases", ov,
			    nv) == -1))
				rc = -1;
			free(ov);
			free(nv);
		} else {
			for (j = 0; j < m->naliases && rc == 0; j++) {
				if (strv_has(c->aliases, c->naliases, want[j]))
					continue;
				if ((r = db_name_owner(x->db, want[j], owner,
				    sizeof(owner), &what)) == -1)
					rc = -1;
				else if (r == 0) {
					imp_refuse(x, "model %s: the alias %s "
					    "is already the %s of %s", m->id,
					    want[j], what, owner);
					free(want);
					return -1;
				} else
					rc = db_org_alias_add(x->db, want[j],
					    m->id, x->now) == -1 ? -1 : 0;
			}
		}
		free(want);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
imp_tags(struct imp *x, const struct export_model *m,
    const struct export_model *c)
{
	char	**want, *ov, *nv;
	int	  j, rc = 0;

	if ((want = sorted(m->tags, m->ntags)) == NULL)
		return -1;
	if (strv_eq(want, m->ntags, c->tags, c->ntags)) {
		free(want);
		return 0;
	}
	for (j = 0; j < c->ntags && rc == 0; j++)
		if (!strv_has(want, m->ntags, c->tags[j]))
			rc = db_tag_remove(x->db, m->id, c->tags[j]) == -1 ?
			    -1 : 0;
	for (j = 0; j < m->ntags && rc == 0; j++)
		if (!strv_has(c->tags, c->ntags, want[j]))
			rc = db_tag_add(x->db, m->id, want[j]) == -1 ? -1 : 0;
	ov = join(c->tags, c->ntags);
	nv = join(want, m->ntags);
	if (rc == 0 && (ov == NULL || nv == NULL ||
	    imp_changed(x, "model", m->id, "tags", ov, nv) == -1))
		rc = -1;
	free(ov);
	free(nv);
	free(want);
	return rc;
}

static int
imp_models(struct imp *x)
{
	const struct export_doc *d = x->in->doc;
	const struct export_model *m, *c;
	struct db_modelref	 ref;
	char			 prev[256], why[256], curdef[256];
	int			 i, r, has_def;

	/* Activations (and source or reason changes) first: the new default must be active. */
	for (i = 0; i < d->nmodels; i++) {
		m = &d->models[i];
		if ((c = export_find_model(&x->cur, m->id)) == NULL)
			continue;
		if (m->active && (!c->active || !str_eq(m->source, c->source) ||
		    !str_eq(m->reason, c->reason)) &&
		    imp_status(x, m, c) == -1)
			return -1;
	}
	if (d->default_model != NULL) {
		if (export_find_model(&x->cur, d->default_model) == NULL) {
			if (item_add(x->out, "default", d->default_model,
			    "skipped", NULL, NULL, NULL, "the model is not in "
			    "the registry") == -1)
				return -1;
		} else if (!str_eq(x->cur.default_model, d->default_model)) {
			if ((r = reg_default_make(x->db, d->default_model,
			    x->now, x->in->actor, prev, sizeof(prev), why,
			    sizeof(why))) == -1)
				return -1;
			if (r == 1)
				return imp_refuse(x, "default: %s", why);
			if (item_add(x->out, "default", d->default_model,
			    "changed", "default", x->cur.default_model,
			    d->default_model, NULL) == -1)
				return -1;
		}
	}
	if ((r = db_model_default(x->db, &ref)) == -1)
		return -1;
	has_def = r == 0;
	snprintf(curdef, sizeof(curdef), "%s", has_def ? ref.id : "");
	for (i = 0; i < d->nmodels; i++) {
		m = &d->models[i];
		if ((c = export_find_model(&x->cur, m->id)) == NULL)
			continue;
		if (!m->active && (c->active || !str_eq(m->source, c->source) ||
		    !str_eq(m->reason, c->reason))) {
			if (c->active && has_def && strcmp(curdef, m->id) == 0)
				return imp_refuse(x, "model %s: it is the "
				    "default and the file makes it inactive: "
				    "name another default in the file", m->id);
			if (imp_status(x, m, c) == -1)
				return -1;
		}
		if (imp_settings(x, m, c) == -1 || imp_tags(x, m, c) == -1)
			return -1;
	}
	return imp_aliases(x, 0) == -1 || imp_aliases(x, 1) == -1 ? -1 : 0;
}

static int
imp_collections(struct imp *x)
{
	const struct export_doc *d = x->in->doc;
	const struct export_collection *f, *c;
	const char	*user = x->in->actor->user != NULL ? x->in->actor->user :
			    "unknown";
	char		**want, **have = NULL, *ov, *nv;
	int64_t		 cid, n, total;
	int		 i, j, nw, nh, rc;

	for (i = 0; i < d->ncollections; i++) {
		f = &d->collections[i];
		c = export_find_collection(&x->cur, f->name);
		if ((want = present_only(&x->cur, f->models, f->nmodels,
		    &nw)) == NULL)
			return -1;
		qsort(want, (size_t)nw, sizeof(*want), cmp_str);
		nh = c != NULL ? c->nmodels : 0;
		have = c != NULL ? c->models : NULL;
		if (c != NULL && strv_eq(want, nw, have, nh)) {
			free(want);
			continue;
		}
		rc = 0;
		if (c == NULL) {
			if (db_collection_count_all(x->db, &total) == -1) {
				free(want);
				return -1;
			}
			if (total >= COLLECTIONS_MAX) {
				free(want);
				return imp_refuse(x, "collection %s: the registry "
				    "has %d collections already, the most it "
				    "keeps", f->name, COLLECTIONS_MAX);
			}
			if (db_collection_create(x->db, f->name, x->now, user,
			    &cid) == -1 ||
			    db_audit(x->db, x->now, x->in->actor,
			    x->in->action != NULL ? x->in->action : "import",
			    NULL, "collection", NULL, f->name) == -1 ||
			    item_add(x->out, "collection", f->name, "created",
			    NULL, NULL, NULL, NULL) == -1) {
				free(want);
				return -1;
			}
		} else if (db_collection_get(x->db, f->name, &cid, &n) != 0) {
			free(want);
			return -1;
		}
		for (j = 0; j < nh && rc == 0; j++)
			if (!strv_has(want, nw, have[j]))
				rc = db_collection_remove(x->db, cid, have[j]) ==
				    -1 ? -1 : 0;
		for (j = 0; j < nw && rc == 0; j++)
			if (!strv_has(have, nh, want[j]))
				rc = db_collection_add(x->db, cid, want[j],
				    x->now) == -1 ? -1 : 0;
		ov = join(have, nh);
		nv = join(want, nw);
		if (rc == 0 && (ov == NULL || nv == NULL ||
		    db_collection_touch(x->db, cid, x->now) == -1 ||
		    ((c != NULL || nw > 0) && imp_changed(x, "collection",
		    f->name, "models", ov, nv) == -1)))
			rc = -1;
		free(ov);
		free(nv);
		free(want);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static void
fmt_time(int64_t t, char *out, size_t len)
{
	if (t == 0)
		snprintf(out, len, "never");
	else
		reg_rfc3339(t, out, len);
}

static int
imp_keys(struct imp *x)
{
	const struct export_doc *d = x->in->doc;
	const struct export_key *f, *c;
	struct reg_key	 rk;
	char		**want, *ov, *nv, o[40], n[40];
	int64_t		 cid = 0, cn, gen;
	int		 i, j, nw, r, rc;

	for (i = 0; i < d->nkeys; i++) {
		f = &d->keys[i];
		if ((c = export_find_key(&x->cur, f->name)) == NULL) {
			if ((r = db_key_get(x->db, f->name, x->now, &rk)) == -1)
				return -1;
			if (item_add(x->out, "key", f->name, "skipped", NULL,
			    NULL, NULL, r == 0 ? "revoked here: a revoked key "
			    "is not brought back" : "not in the registry: a "
			    "key's secret cannot be imported; create it with "
			    "key create, then import again") == -1)
				return -1;
			continue;
		}
		if ((r = db_key_get(x->db, f->name, x->now, &rk)) != 0)
			return -1;
		cid = 0;
		if (f->collection != NULL &&
		    db_collection_get(x->db, f->collection, &cid, &cn) != 0)
			return -1;	/* collections were imported first */
		if ((want = present_only(&x->cur, f->models, f->nmodels,
		    &nw)) == NULL)
			return -1;
		qsort(want, (size_t)nw, sizeof(*want), cmp_str);
		rc = 0;
		if (f->all != c->all || !str_eq(f->collection, c->collection) ||
		    f->expires != c->expires || !str_eq(f->note, c->note)) {
			if (db_import_key(x->db, rk.id, f->all, f->note,
			    f->expires, cid) == -1)
				rc = -1;
			if (rc == 0 && f->all != c->all)
				rc = imp_changed(x, "key", f->name, "all",
				    c->all ? "true" : "false",
				    f->all ? "true" : "false");
			if (rc == 0 && !str_eq(f->collection, c->collection))
				rc = imp_changed(x, "key", f->name, "collection",
				    c->collection, f->collection);
			if (rc == 0 && f->expires != c->expires) {
				fmt_time(c->expires, o, sizeof(o));
				fmt_time(f->expires, n, sizeof(n));
				rc = imp_changed(x, "key", f->name, "expires",
				    o, n);
			}
			if (rc == 0 && !str_eq(f->note, c->note))
				rc = imp_changed(x, "key", f->name, "note",
				    c->note, f->note);
		}
		if (rc == 0 && !strv_eq(want, nw, c->models, c->nmodels)) {
			for (j = 0; j < c->nmodels && rc == 0; j++)
				if (!strv_has(want, nw, c->models[j]))
					rc = db_key_grant_del(x->db, rk.id,
					    c->models[j]) == -1 ? -1 : 0;
			for (j = 0; j < nw && rc == 0; j++)
				if (!strv_has(c->models, c->nmodels, want[j]))
					rc = db_model_gen(x->db, want[j], &gen) != 0 ||
					    db_key_grant_set(x->db, rk.id, want[j],
					    gen) == -1 ? -1 : 0;
			ov = join(c->models, c->nmodels);
			nv = join(want, nw);
			if (rc == 0 && (ov == NULL || nv == NULL ||
			    imp_changed(x, "key", f->name, "models", ov,
			    nv) == -1))
				rc = -1;
			free(ov);
			free(nv);
		}
		free(want);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static void
cap_text(const struct export_cap *c, char *out, size_t len)
{
	char	 a[32];

	settings_value_text(c->amount, a, sizeof(a));
	if (strcmp(c->period, "window") == 0)
		snprintf(out, len, "%s per %llds, warn %d%%", a,
		    (long long)c->window, c->warn);
	else
		snprintf(out, len, "%s per %s, warn %d%%", a, c->period, c->warn);
}

static int
imp_caps(struct imp *x)
{
	const struct export_doc *d = x->in->doc;
	const struct export_cap *f, *c;
	struct reg_cap	 rc;
	struct reg_key	 rk;
	char		 o[96], n[96];
	const char	*name;
	int		 i, r;

	for (i = 0; i < d->ncaps; i++) {
		f = &d->caps[i];
		name = f->model != NULL ? f->model : f->key;
		c = export_find_cap(&x->cur, f);
		if (c != NULL && c->amount == f->amount && c->warn == f->warn &&
		    strcmp(c->period, f->period) == 0 && c->window == f->window)
			continue;
		if (f->key != NULL && export_find_key(&x->cur, f->key) == NULL) {
			if (item_add(x->out, "cap", name, "skipped", NULL, NULL,
			    NULL, "its key is not in the registry") == -1)
				return -1;
			continue;
		}
		memset(&rc, 0, sizeof(rc));
		r = f->model != NULL ? db_cap_model(x->db, f->model, &rc) :
		    db_cap_key(x->db, f->key, &rc);
		if (r == -1)
			return -1;
		if (r == 1 || strcmp(rc.period, f->period) != 0 ||
		    rc.window != f->window) {
			/* A new cap, or a new period: it starts afresh at now. */
			int64_t id = r == 0 ? rc.id : 0;

			memset(&rc, 0, sizeof(rc));
			rc.id = id;
			if (f->model != NULL)
				snprintf(rc.model, sizeof(rc.model), "%s",
				    f->model);
			else {
				if (db_key_get(x->db, f->key, x->now, &rk) != 0)
					return -1;
				rc.key_id = rk.id;
			}
			snprintf(rc.period, sizeof(rc.period), "%s", f->period);
			rc.window = f->window;
			rc.anchor = x->now;
			reg_cap_bounds(&rc, x->now, &rc.start, &rc.end);
		}
		rc.amount = f->amount;
		rc.warn = f->warn;
		rc.set_at = x->now;
		if (db_cap_put(x->db, &rc, x->in->actor) == -1)
			return -1;
		if (c != NULL)
			cap_text(c, o, sizeof(o));
		cap_text(f, n, sizeof(n));
		if (imp_changed(x, "cap", name, "cap", c != NULL ? o : NULL,
		    n) == -1)
			return -1;
	}
	return 0;
}

int
reg_import_apply(sqlite3 *db, const struct reg_import_in *in,
    struct reg_import_out *out, struct export_doc *before, int *refused,
    char *msg, size_t len)
{
	struct imp	 x;
	char		 names[256];
	int		 missing;

	*refused = 0;
	memset(&x, 0, sizeof(x));
	x.db = db;
	x.in = in;
	x.out = out;
	x.now = reg_clock(in->now);
	x.msg = msg;
	x.len = len;
	if (db_export_read(db, &x.cur) == -1 ||
	    imp_sync(&x, &missing, names, sizeof(names)) == -1)
		goto fail;
	if (missing > 0 && in->strict) {
		reg_msg(msg, len, "--strict: %d model%s of the file %s neither in "
		    "the registry nor in the catalog (%s%s); nothing was changed",
		    missing, missing == 1 ? "" : "s", missing == 1 ? "is" : "are",
		    names, missing > 3 ? ", ..." : "");
		x.refused = 1;
		goto fail;
	}
	/* The registry as it was (an import's history row keeps it), then as it is after the syncs. */
	if (before != NULL) {
		*before = x.cur;
		memset(&x.cur, 0, sizeof(x.cur));
	} else
		export_free(&x.cur);
	if (db_export_read(db, &x.cur) == -1 ||
	    imp_models(&x) == -1 || imp_collections(&x) == -1 ||
	    imp_keys(&x) == -1 || imp_caps(&x) == -1)
		goto fail;
	export_free(&x.cur);
	return 0;
 fail:
	export_free(&x.cur);
	if (before != NULL)
		export_free(before);
	*refused = x.refused;
	return -1;
}

enum reg_rc
reg_import(sqlite3 *db, const struct reg_import_in *in,
    struct reg_import_out *out, char *msg, size_t len)
{
	struct export_doc	 before;
	struct buf		 det = { 0 };
	int			 refused;

	memset(out, 0, sizeof(*out));
	memset(&before, 0, sizeof(before));
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if (reg_import_apply(db, in, out, &before, &refused, msg, len) == -1)
		goto fail;
	if (in->dry_run || out->changed == 0) {
		export_free(&before);
		db_rollback(db);
		reg_msg(msg, len, out->changed == 0 ? "nothing changed: the "
		    "registry already holds the file's decisions" : "dry run: "
		    "%d change%s, nothing was changed", out->changed,
		    out->changed == 1 ? "" : "s");
		return REG_OK;
	}
	/* Issue 11 item 5: the history row, with the registry before and after, so UNDO can reverse it. */
	if (reg_import_record(db, in, out, &before) == -1)
		goto fail;
	export_free(&before);
	if (buf_printf(&det, "{\"changed\":%d,\"skipped\":%d,\"batch\":%lld,"
	    "\"actor\":", out->changed, out->skipped, (long long)out->batch) ==
	    -1 ||
	    buf_json_str(&det, in->actor->user != NULL ? in->actor->user :
	    "unknown") == -1 || buf_putc(&det, '}') == -1 ||
	    events_add(db, "import.applied", NULL, det.data, "an import changed "
	    "%d thing%s (%d skipped) by %s (uid %u), history %lld",
	    out->changed, out->changed == 1 ? "" : "s", out->skipped,
	    in->actor->user != NULL ? in->actor->user : "unknown",
	    (unsigned)in->actor->uid, (long long)out->batch) == -1 ||
	    db_commit(db) == -1) {
		buf_free(&det);
		goto fail;
	}
	buf_free(&det);
	out->applied = 1;
	reg_msg(msg, len, "%d change%s applied (history %lld)", out->changed,
	    out->changed == 1 ? "" : "s", (long long)out->batch);
	return REG_OK;
 fail:
	export_free(&before);
	reg_import_free(out);
	if (refused) {
		db_rollback(db);
		return REG_CONFLICT;
	}
	return reg_fail(db, msg, len);
}
