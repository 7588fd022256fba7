/* registry.c: the product's rules (activate, default, delete, list, seed), each one transaction over db.c. */
#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "registry.h"
#include "reg_int.h"

/* One rule of the seed's always lists (or default_model), resolved to an id. */
struct seed_rule {
	char		 id[256];
	int		 active;
	const char	*list;		/* the config key that named it */
};

struct seed_rules {
	struct seed_rule	*v;
	size_t			 n, cap;
};

/* The clock, in one place. Stored as unix seconds. */
static int64_t
reg_now(void)
{
	return (int64_t)time(NULL);
}

/*
 * Names in messages come from users and catalogs: a control byte there
 * must not break the reply line, so it is shown as '?'.
 */
static void
reg_sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void
reg_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	if (msg == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	reg_sanitize(msg);
}

/* A rule says no: nothing was written, end the transaction. */
static enum reg_rc reg_refuse(sqlite3 *, enum reg_rc, char *, size_t,
    const char *, ...) __attribute__((format(printf, 5, 6)));

static enum reg_rc
reg_refuse(sqlite3 *db, enum reg_rc rc, char *msg, size_t len,
    const char *fmt, ...)
{
	va_list	 ap;

	db_rollback(db);
	if (msg != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
		reg_sanitize(msg);
	}
	return rc;
}

/* SQLite failed: roll everything back (db.c has logged why). */
static enum reg_rc
reg_fail(sqlite3 *db, char *msg, size_t len)
{
	db_rollback(db);
	reg_msg(msg, len, "database error: nothing was changed");
	return REG_INTERNAL;
}

static const char *
reg_source(const struct actor *a)
{
	return a->source != NULL ? a->source : "manual";
}

static const char *
reg_status_name(int active)
{
	return active ? "active" : "inactive";
}

/*
 * A person's change raises an event too (issue 6), so that EVENTS, WATCH
 * and the alert channels see every change, not only the daemon's own.
 * It joins the open transaction: it commits with the change or not at
 * all; the caller calls events_notify() after the commit. details gets
 * {"reason":"manual","actor":...,"uid":...} plus extra (JSON members,
 * each starting with a comma, or ""). The message names who; it never
 * repeats the model id, which the event's model column carries.
 */
static int
reg_event(sqlite3 *db, const char *kind, const char *model,
    const struct actor *a, const char *extra, const char *what)
{
	struct buf	 d = { 0 };
	const char	*user = a->user != NULL ? a->user : "unknown";
	int		 rc = -1;

	if (buf_puts(&d, "{\"reason\":\"manual\",\"actor\":") == -1 ||
	    buf_json_str(&d, user) == -1 ||
	    buf_printf(&d, ",\"uid\":%u%s}", (unsigned)a->uid,
	    extra != NULL ? extra : "") == -1) {
		log_warnx("event %s: out of memory", kind);
		goto out;
	}
	rc = events_add(db, kind, model, d.data, "%s by %s (uid %u)", what,
	    user, (unsigned)a->uid);
out:
	buf_free(&d);
	return rc;
}

/* The kinds of model, in the order REG_KINDS names them. */
static const char *const reg_kinds[] = {
	"chat", "embedding", "moderation", "ocr", "image", "audio", "other",
};

int
reg_parse_kind(const char *s, const char **kind)
{
	size_t	 i;

	for (i = 0; i < sizeof(reg_kinds) / sizeof(reg_kinds[0]); i++)
		if (strcasecmp(s, reg_kinds[i]) == 0) {
			*kind = reg_kinds[i];
			return 0;
		}
	return -1;
}

/* "2025-09-30T12:00:00Z" */
void
reg_rfc3339(int64_t t, char *out, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%lld", (long long)t);
}

/* ACTIVATE and DEACTIVATE. */
static enum reg_rc
reg_change_status(sqlite3 *db, const char *name, int active,
    const struct actor *a, char *msg, size_t len)
{
	struct db_modelref	 ref;
	int64_t			 now = reg_now();
	int			 r;

	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_model_resolve(db, name, &ref)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such model: %s", name);
	if (ref.active == active)
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "%s is already %s", ref.id, reg_status_name(active));
	if (!active && ref.is_default)
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "%s is the default: set another default first", ref.id);
	if (db_model_set_status(db, ref.id, active, reg_source(a), now) == -1 ||
	    db_audit(db, now, a, active ? "activate" : "deactivate", ref.id,
	    "status", reg_status_name(!active), reg_status_name(active)) == -1 ||
	    reg_event(db, active ? "model.activated" : "model.deactivated",
	    ref.id, a, NULL, active ? "activated" : "deactivated") == -1 ||
	    db_commit(db) == -1)
		return reg_fail(db, msg, len);
	events_notify();
	reg_msg(msg, len, "%s is now %s", ref.id, reg_status_name(active));
	return REG_OK;
}

enum reg_rc
reg_activate(sqlite3 *db, const char *name, const struct actor *a, char *msg,
    size_t len)
{
	return reg_change_status(db, name, 1, a, msg, len);
}

enum reg_rc
reg_deactivate(sqlite3 *db, const char *name, const struct actor *a,
    char *msg, size_t len)
{
	return reg_change_status(db, name, 0, a, msg, len);
}

/* default.changed's own members: ,"old":...,"new":... (as the daemon's own). */
static int
reg_default_extra(struct buf *b, const char *oldid, const char *newid)
{
	if (buf_puts(b, ",\"old\":") == -1 ||
	    (oldid != NULL ? buf_json_str(b, oldid) : buf_puts(b, "null")) == -1 ||
	    buf_puts(b, ",\"new\":") == -1 || buf_json_str(b, newid) == -1) {
		log_warnx("event default.changed: out of memory");
		buf_free(b);
		return -1;
	}
	return 0;
}

enum reg_rc
reg_set_default(sqlite3 *db, const char *name, const struct actor *a,
    char *msg, size_t len)
{
	struct db_modelref	 ref, prev;
	struct buf		 extra = { 0 };
	char			 what[300];
	int64_t			 now = reg_now();
	char			 why[300];
	int			 r, have_prev;

	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_model_resolve(db, name, &ref)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such model: %s", name);
	if (ref.is_default)
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "%s is already the default", ref.id);
	if (!ref.active)
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "%s is inactive: activate it first", ref.id);
	if ((r = reg_default_allowed(db, ref.id, now, why, sizeof(why))) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_CONFLICT, msg, len, "%s", why);
	if ((r = db_model_default(db, &prev)) == -1)
		return reg_fail(db, msg, len);
	have_prev = r == 0;
	/* Clear first: the unique index allows one mark at any moment. */
	if (reg_default_extra(&extra, have_prev ? prev.id : NULL, ref.id) == -1)
		return reg_fail(db, msg, len);
	if (have_prev)
		snprintf(what, sizeof(what), "made the default instead of %s",
		    prev.id);
	else
		snprintf(what, sizeof(what), "made the default (there was none)");
	if (db_model_clear_default(db) == -1 ||
	    db_model_set_default(db, ref.id) == -1 ||
	    db_audit(db, now, a, "default", ref.id, "default",
	    have_prev ? prev.id : NULL, ref.id) == -1 ||
	    reg_event(db, "default.changed", ref.id, a, extra.data, what) == -1 ||
	    db_commit(db) == -1) {
		buf_free(&extra);
		return reg_fail(db, msg, len);
	}
	buf_free(&extra);
	events_notify();
	if (have_prev)
		reg_msg(msg, len, "%s is now the default (was %s)", ref.id,
		    prev.id);
	else
		reg_msg(msg, len, "%s is now the default (there was none)",
		    ref.id);
	return REG_OK;
}

enum reg_rc
reg_delete(sqlite3 *db, const char *name, const struct actor *a, char *msg,
    size_t len)
{
	struct db_modelref	 ref;
	int			 r;

	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_model_resolve(db, name, &ref)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such model: %s", name);
	if (ref.is_default)
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "%s is the default: set another default first", ref.id);
	if (db_model_delete(db, ref.id, reg_now(), a) == -1 ||
	    reg_event(db, "model.deleted", ref.id, a, NULL, "deleted") == -1 ||
	    db_commit(db) == -1)
		return reg_fail(db, msg, len);
	events_notify();
	reg_msg(msg, len, "%s deleted", ref.id);
	return REG_OK;
}

enum reg_rc
reg_list(sqlite3 *db, const struct list_query *q, reg_model_cb cb, void *arg)
{
	switch (q->status) {
	case RS_ALL:
	case RS_ACTIVE:
	case RS_INACTIVE:
		break;
	default:
		return REG_USAGE;
	}
	switch (q->sort) {
	case SORT_NAME:
	case SORT_PROVIDER:
	case SORT_CONTEXT:
	case SORT_PRICE:
	case SORT_STATUS:
		break;
	default:
		return REG_USAGE;
	}
	return db_models_list(db, q, cb, arg) == -1 ? REG_INTERNAL : REG_OK;
}

enum reg_rc
reg_show(sqlite3 *db, const char *name, reg_model_cb cb, void *arg)
{
	switch (db_model_show(db, name, cb, arg)) {
	case 0:
		return REG_OK;
	case 1:
		return REG_NOTFOUND;
	default:
		return REG_INTERNAL;
	}
}

enum reg_rc
reg_default(sqlite3 *db, reg_model_cb cb, void *arg)
{
	switch (db_model_show_default(db, cb, arg)) {
	case 0:
		return REG_OK;
	case 1:
		return REG_NOTFOUND;
	default:
		return REG_INTERNAL;
	}
}

enum reg_rc
reg_counts(sqlite3 *db, struct reg_counts *c)
{
	struct db_modelref	 ref;
	char			*s, *end;
	long long		 v;
	int			 r;

	memset(c, 0, sizeof(*c));
	if (db_model_counts(db, &c->models, &c->active) == -1)
		return REG_INTERNAL;
	if ((r = db_model_default(db, &ref)) == -1)
		return REG_INTERNAL;
	if (r == 0)
		snprintf(c->default_id, sizeof(c->default_id), "%s", ref.id);
	if ((s = db_state_get(db, "seeded_at")) != NULL) {
		v = strtoll(s, &end, 10);
		if (end != s && *end == '\0' && v > 0)
			c->seeded_at = v;
		free(s);
	}
	return REG_OK;
}

int
reg_parse_status_filter(const char *s, enum reg_status_filter *f)
{
	if (strcasecmp(s, "all") == 0)
		*f = RS_ALL;
	else if (strcasecmp(s, "active") == 0)
		*f = RS_ACTIVE;
	else if (strcasecmp(s, "inactive") == 0)
		*f = RS_INACTIVE;
	else
		return -1;
	return 0;
}

int
reg_parse_sort(const char *s, enum reg_sort *k)
{
	if (strcasecmp(s, "name") == 0)
		*k = SORT_NAME;
	else if (strcasecmp(s, "provider") == 0)
		*k = SORT_PROVIDER;
	else if (strcasecmp(s, "context") == 0)
		*k = SORT_CONTEXT;
	else if (strcasecmp(s, "price") == 0)
		*k = SORT_PRICE;
	else if (strcasecmp(s, "status") == 0)
		*k = SORT_STATUS;
	else
		return -1;
	return 0;
}

/*
 * Add a warning to res->warnings ("; "-separated). The buffer is bounded:
 * when a warning does not fit, "..." ends the list and later ones are
 * dropped.
 */
static void seed_warn(struct seed_result *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
seed_warn(struct seed_result *res, const char *fmt, ...)
{
	static const char	 more[] = "...";
	char			 line[512];
	va_list			 ap;
	size_t			 len, sep, room;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	reg_sanitize(line);

	len = strlen(res->warnings);
	if (len >= sizeof(more) - 1 &&
	    strcmp(res->warnings + len - (sizeof(more) - 1), more) == 0)
		return;		/* already full */
	sep = len > 0 ? 2 : 0;
	/* Keep room for "; ..." after this one. */
	room = sizeof(res->warnings) - len - 1;
	if (sep + strlen(line) + 2 + sizeof(more) - 1 <= room) {
		snprintf(res->warnings + len, room + 1, "%s%s",
		    sep ? "; " : "", line);
		return;
	}
	snprintf(res->warnings + len, room + 1, "%s%s", sep ? "; " : "", more);
}

/* Add or replace the rule for id: a later list overrides an earlier one. */
static void
seed_rule_put(struct seed_rules *rs, const char *id, int active,
    const char *list)
{
	size_t	 i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].id, id) == 0)
			break;
	if (i == rs->n) {
		/* cap was sized for every name of every list: this cannot overflow. */
		if (rs->n == rs->cap)
			return;
		rs->n++;
		snprintf(rs->v[i].id, sizeof(rs->v[i].id), "%s", id);
	}
	rs->v[i].active = active;
	rs->v[i].list = list;
}

/*
 * Resolve a name from the config: 0 with id set, 1 unknown, -1 on error.
 * A name the catalog does not list is a warning, even when the registry
 * has it (the rule still applies to the registered model).
 */
static int
seed_name(sqlite3 *db, struct seed_result *res, const char *list,
    const char *name, char *id, size_t idlen)
{
	int	 r, staged = 0;

	if ((r = db_seed_find(db, name, id, idlen, &staged)) == -1)
		return -1;
	if (r == 1 || !staged)
		seed_warn(res, "%s: %s is not in the catalog", list, name);
	return r;
}

static int
seed_list(sqlite3 *db, struct seed_result *res, struct seed_rules *rs,
    const char *list, const struct cfg_list *l, int active)
{
	char	 id[256];
	size_t	 i;
	int	 r;

	for (i = 0; i < l->n; i++) {
		if (l->v[i] == NULL || l->v[i][0] == '\0')
			continue;
		if ((r = seed_name(db, res, list, l->v[i], id, sizeof(id))) ==
		    -1)
			return -1;
		if (r == 0)
			seed_rule_put(rs, id, active, list);
	}
	return 0;
}

/*
 * Apply the rules to models already registered, and record them in the
 * temp table seed_rule for the models about to be added. The current
 * default is never deactivated: that would break "the default is active".
 */
static int
seed_apply_rules(sqlite3 *db, const struct seed_rules *rs,
    const struct actor *a, int64_t now, struct seed_result *res)
{
	struct db_modelref	 ref;
	const struct seed_rule	*ru;
	size_t			 i;
	int			 r;

	if (db_seed_rules_reset(db) == -1)
		return -1;
	for (i = 0; i < rs->n; i++) {
		ru = &rs->v[i];
		if (db_seed_rule_set(db, ru->id, ru->active) == -1)
			return -1;
		if ((r = db_model_lookup(db, ru->id, &ref)) == -1)
			return -1;
		if (r == 1 || ref.active == ru->active)
			continue;
		if (!ru->active && ref.is_default) {
			seed_warn(res, "%s: %s is the default: left active",
			    ru->list, ru->id);
			continue;
		}
		if (db_model_set_status(db, ru->id, ru->active, "seed", now) ==
		    -1 || db_audit(db, now, a, "seed.status", ru->id, "status",
		    reg_status_name(!ru->active),
		    reg_status_name(ru->active)) == -1)
			return -1;
		if (ru->active)
			res->activated++;
		else
			res->deactivated++;
	}
	return 0;
}

/*
 * The PeerAI seed rules (see registry.h). Decisions where the documents
 * are silent:
 *  - a model named by both always lists is active (always_active wins),
 *    and default_model, when it is applied, wins over always_inactive;
 *  - updated counts registered models whose metadata changed; activated
 *    and deactivated count status changes of registered models (a new
 *    model simply gets its status, audited as seed.add);
 *  - models the catalog no longer lists are left as they are.
 */
enum reg_rc
reg_seed_apply(sqlite3 *db, const struct config *cfg, const struct actor *a,
    struct seed_result *res, char *msg, size_t len)
{
	static const struct cfg_list	 none = { NULL, 0 };
	const struct cfg_list		*act, *inact;
	struct seed_rules		 rs = { NULL, 0, 0 };
	struct db_modelref		 ref;
	char				 defid[256], now_s[32], kind[32];
	char				 why[300];
	int64_t				 now = reg_now(), staged, expires_at;
	int				 r, have_default, want_default = 0;
	int				 new_active;

	memset(res, 0, sizeof(*res));
	act = cfg != NULL ? &cfg->always_active : &none;
	inact = cfg != NULL ? &cfg->always_inactive : &none;
	new_active = cfg != NULL ? cfg->new_model_active : 0;

	rs.cap = act->n + inact->n + 1;
	if ((rs.v = calloc(rs.cap, sizeof(*rs.v))) == NULL) {
		log_warn("seed");
		reg_msg(msg, len, "out of memory: nothing was changed");
		return REG_INTERNAL;
	}
	if (db_begin(db) == -1)
		goto fail;
	if (db_staging_count(db, &staged) == -1)
		goto fail;
	if (staged == 0) {
		free(rs.v);
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "the source lists no models");
	}
	if ((r = db_model_default(db, &ref)) == -1)
		goto fail;
	have_default = r == 0;

	/* In increasing precedence: a later rule for the same model wins. */
	if (seed_list(db, res, &rs, "always_inactive", inact, 0) == -1 ||
	    seed_list(db, res, &rs, "always_active", act, 1) == -1)
		goto fail;
	if (cfg != NULL && cfg->default_model != NULL &&
	    cfg->default_model[0] != '\0') {
		if ((r = seed_name(db, res, "default_model", cfg->default_model,
		    defid, sizeof(defid))) == -1)
			goto fail;
		if (r == 0 && !have_default) {
			/* Staged or registered: the rule sees what it will be. */
			if ((r = db_staging_kind(db, defid, kind, sizeof(kind),
			    &expires_at)) == -1)
				goto fail;
			if (r == 0 && reg_default_refused(defid, kind,
			    expires_at, now, why, sizeof(why)))
				seed_warn(res, "default_model: %s", why);
			else {
				want_default = 1;
				seed_rule_put(&rs, defid, 1, "default_model");
			}
		}
	}

	if (seed_apply_rules(db, &rs, a, now, res) == -1 ||
	    db_seed_update(db, now, a, &res->updated) == -1 ||
	    db_seed_add(db, now, new_active, a, &res->added) == -1)
		goto fail;

	if (want_default) {
		/* Staged or registered, it is there now, and its rule made it active. */
		if ((r = db_model_lookup(db, defid, &ref)) != 0 || !ref.active) {
			log_warnx("seed: default_model %s is missing or "
			    "inactive after the rules", defid);
			goto fail;
		}
		if (db_model_set_default(db, defid) == -1 ||
		    db_audit(db, now, a, "default", defid, "default", NULL,
		    defid) == -1)
			goto fail;
		res->default_set = 1;
	}

	snprintf(now_s, sizeof(now_s), "%lld", (long long)now);
	if (db_state_set_once(db, "seeded_at", now_s) == -1 ||
	    db_state_set(db, "last_seed_at", now_s) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	free(rs.v);
	if (res->default_set)
		reg_msg(msg, len, "%lld models listed: %d added, %d updated, "
		    "%d activated, %d deactivated; %s is the default",
		    (long long)staged, res->added, res->updated, res->activated,
		    res->deactivated, defid);
	else
		reg_msg(msg, len, "%lld models listed: %d added, %d updated, "
		    "%d activated, %d deactivated", (long long)staged,
		    res->added, res->updated, res->activated, res->deactivated);
	return REG_OK;
fail:
	free(rs.v);
	memset(res, 0, sizeof(*res));
	return reg_fail(db, msg, len);
}

/* "in 3 days", "in 5 hours", "in 12 minutes": how far off an expiry is. */
static void
reg_fmt_until(int64_t secs, char *out, size_t len)
{
	if (secs >= 2 * 86400)
		snprintf(out, len, "in %lld days", (long long)(secs / 86400));
	else if (secs >= 2 * 3600)
		snprintf(out, len, "in %lld hours", (long long)(secs / 3600));
	else if (secs >= 120)
		snprintf(out, len, "in %lld minutes", (long long)(secs / 60));
	else
		snprintf(out, len, "in %lld seconds", (long long)secs);
}

struct expiry_ctx {
	sqlite3			*db;
	int64_t			 now;
	struct expiry_result	*res;
};

static int
reg_expiry_event(const struct db_expiry *e, void *arg)
{
	struct expiry_ctx	*x = arg;
	char			 when[32], until[48], details[160];
	int			 expired = strcmp(e->which, "expired") == 0;
	int			 r;

	reg_rfc3339(e->expires_at, when, sizeof(when));
	snprintf(details, sizeof(details), "{\"expires_at\":\"%s\","
	    "\"default\":%s,\"active\":%s}", when, e->is_default ? "true" :
	    "false", e->active ? "true" : "false");
	if (expired)
		r = events_add(x->db, "model.expired", e->id, details,
		    "expired at %s and is still active%s", when,
		    e->is_default ? "; it is the default: set another default "
		    "(an expired model cannot be made the default)" :
		    ": deactivate it or move its users to another model");
	else {
		reg_fmt_until(e->expires_at - x->now, until, sizeof(until));
		r = events_add(x->db, "model.expiring", e->id, details,
		    "expires at %s (%s)%s", when, until, e->is_default ?
		    "; it is the default: set another default before then" :
		    "");
	}
	if (r == -1 || db_expiry_mark(x->db, e->id, e->which,
	    e->expires_at) == -1)
		return -1;
	if (expired)
		x->res->expired++;
	else
		x->res->expiring++;
	return 0;
}

enum reg_rc
reg_expiry_check(sqlite3 *db, int64_t now, int64_t warning,
    struct expiry_result *res)
{
	struct expiry_ctx	 x = { db, now, res };

	memset(res, 0, sizeof(*res));
	if (warning < 0)
		warning = 0;
	if (db_begin(db) == -1)
		return REG_INTERNAL;
	if (db_expiry_each(db, now, warning, reg_expiry_event, &x) == -1 ||
	    db_expiry_next(db, now, warning, &res->next) == -1 ||
	    db_commit(db) == -1) {
		db_rollback(db);
		memset(res, 0, sizeof(*res));
		return REG_INTERNAL;
	}
	return REG_OK;
}
