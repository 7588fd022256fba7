/* reg_resolve.c: RESOLVE's rule: the model asked for, the default, or the default as its fallback, never one the key may not use (reg_key_may_use). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "db_keys.h"
#include "db_resolve.h"
#include "keysecret.h"
#include "log.h"
#include "reg_int.h"
#include "reg_keys.h"
#include "reg_resolve.h"
#include "reg_sessions.h"
#include "resolve_cache.h"

enum reg_resolve_rc
res_msg(enum reg_resolve_rc rc, char *msg, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	if (msg != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
		reg_sanitize(msg);
	}
	return rc;
}

/* The secret's shape checked, then its digest into h: RES_OK, RES_DENIED, RES_INTERNAL. */
enum reg_resolve_rc
reg_resolve_digest(const char *secret, unsigned char h[KEY_HASH_LEN],
    char *msg, size_t len)
{
	/* Never echo it: a secret in a message would reach logs. */
	if (!keysecret_valid(secret))
		return res_msg(RES_DENIED, msg, len, "key= is not an API key "
		    "(mr_ and 43 base64url characters)");
	if (keysecret_hash(secret, h) == -1)
		return res_msg(RES_INTERNAL, msg, len, "cannot hash the key");
	return RES_OK;
}

/*
 * The key of a secret's digest, usable now: RES_OK, or RES_DENIED with
 * why. Issue 9 item 7: through rc (NULL: none) by the digest, under
 * gen; an entry lasts until the secret stops working (db_secret_until)
 * and is checked against now, and reg_key_usable runs on every request
 * that reads it, cached or not, so an expiry between two requests is
 * seen. *suntil (when not NULL): that instant, INT64_MAX for none.
 */
enum reg_resolve_rc
reg_resolve_key_digest(sqlite3 *db, struct rcache *rc, uint64_t gen,
    const unsigned char h[KEY_HASH_LEN], int64_t now, struct reg_key *k,
    int64_t *suntil, char *msg, size_t len)
{
	char		 why[512];
	int64_t		 until = 0;
	int		 r;

	now = reg_clock(now);
	if (suntil != NULL)
		*suntil = INT64_MAX;
	if (rcache_key_get(rc, gen, h, now, k, suntil))
		r = 0;
	else {
		r = db_key_by_hash(db, h, now, k);
		/* Unknown digests are not kept: a flood of them evicts nothing. */
		if (r == 0 && rc != NULL && gen != 0) {
			if (db_secret_until(db, h, KEY_HASH_LEN, &until) == -1)
				r = -1;
			else {
				until = until != 0 ? until : INT64_MAX;
				rcache_key_put(rc, gen, h, until, k);
				if (suntil != NULL)
					*suntil = until;
			}
		}
	}
	if (r == -1)
		return res_msg(RES_INTERNAL, msg, len, "database error");
	if (r == 1)
		return res_msg(RES_DENIED, msg, len, "unknown API key (or a "
		    "rotated-out secret past its grace period)");
	if (!reg_key_usable(k, now, why, sizeof(why)))
		return res_msg(RES_DENIED, msg, len, "%s", why);
	return RES_OK;
}

/* Both steps for a secret: the key, usable now (RES_OK), or why not. */
enum reg_resolve_rc
reg_resolve_key(sqlite3 *db, struct rcache *rc, uint64_t gen,
    const char *secret, int64_t now, struct reg_key *k, char *msg, size_t len)
{
	unsigned char		 h[KEY_HASH_LEN];
	enum reg_resolve_rc	 r;

	if ((r = reg_resolve_digest(secret, h, msg, len)) == RES_OK)
		r = reg_resolve_key_digest(db, rc, gen, h, now, k, NULL, msg,
		    len);
	keysecret_wipe(h, sizeof(h));
	return r;
}

static enum reg_resolve_rc
res_key(sqlite3 *db, const char *secret, int64_t now, struct reg_key *k,
    char *msg, size_t len)
{
	return reg_resolve_key(db, NULL, 0, secret, now, k, msg, len);
}

/* The answer stops being true at t (an expiry): keep the earliest. */
static void
res_until(struct reg_resolve_out *out, int64_t t, int64_t now)
{
	if (t > now && t < out->until)
		out->until = t;
}

/* The generation of the key's grant for id (0: none); -1 on error. */
static int64_t
res_grant(sqlite3 *db, const struct reg_key *k, const char *id)
{
	int64_t	 g;

	if (db_key_grant_gen(db, k->id, id, &g) == -1)
		return -1;
	return g;
}

/* What happened to the model asked for, for a message: "is inactive", "has no ZDR endpoint". */
static const char *
res_state(const char *why, int zdr, char *buf, size_t len)
{
	if (strcmp(why, "no_zdr") == 0)
		snprintf(buf, len, "%s", zdr == 0 ? "has no ZDR endpoint" :
		    "has an unknown ZDR status");
	else
		snprintf(buf, len, "is %s", why);
	return buf;
}

/* Whether the key may use m now (1), not (0, why set), -1 on error. */
static int
res_allowed(sqlite3 *db, const struct reg_key *k, const struct reg_resolved *m,
    int64_t now, char *why, size_t len)
{
	int64_t	 g;

	if ((g = res_grant(db, k, m->id)) == -1)
		return -1;
	return reg_key_may_use(k, m->id, g, m->gen, now, why, len);
}

#define FAILOVER_MAX	16	/* alternatives of a red model looked at */

/*
 * failover: cand (about to be answered) is red; answer its first
 * alternative the key may use and, with zdr_enforce, that has ZDR.
 * The alternatives are db_alternatives' (active, of its kind, not
 * expired, not red, its features, at least its context, cheapest
 * first): the one rule UPTIME's suggestions use. None left: cand stays,
 * with a warning. The query runs only here, on a red model.
 */
static enum reg_resolve_rc
res_failover(sqlite3 *db, const struct reg_resolve_in *in,
    struct reg_resolve_out *out, int64_t now, char *msg, size_t len)
{
	char			 ids[FAILOVER_MAX][256], kwhy[512];
	struct reg_resolved	 a;
	int			 n, i, r, nkey = 0, nzdr = 0;

	/*
	 * Issue 9 item 7: an answer that went through here is never cached:
	 * the alternatives are chosen with the clock (not expired) and the
	 * path runs only while a model is red.
	 */
	out->nocache = 1;
	if ((n = db_alternatives(db, out->m.id, now, 0, 0, ids,
	    FAILOVER_MAX)) == -1)
		return res_msg(RES_INTERNAL, msg, len, "database error");
	for (i = 0; i < n; i++) {
		if ((r = db_resolve_model(db, ids[i], &a)) == -1)
			return res_msg(RES_INTERNAL, msg, len, "database error");
		/* An id an organisation alias shadows is not that model. */
		if (r == 1 || strcmp(a.id, ids[i]) != 0 || !a.active ||
		    strcmp(a.health, "red") == 0)
			continue;
		/* ZDR first: it is read with the model, the grant is one seek more. */
		if (in->zdr_enforce && a.zdr != 1) {
			nzdr++;
			continue;
		}
		if (out->has_key) {
			if ((r = res_allowed(db, &out->key, &a, now, kwhy,
			    sizeof(kwhy))) == -1)
				return res_msg(RES_INTERNAL, msg, len,
				    "database error");
			if (r == 0) {
				nkey++;
				continue;
			}
		}
		snprintf(out->replaced, sizeof(out->replaced), "%s", out->m.id);
		out->m = a;
		out->reason = "failover";
		out->why = "red";
		return RES_OK;
	}
	if (n == 0)
		snprintf(out->warning, sizeof(out->warning), "%s is red and "
		    "has no healthy alternative", out->m.id);
	else
		snprintf(out->warning, sizeof(out->warning), "%s is red and "
		    "none of its %d healthy alternatives may be answered "
		    "(%d not allowed for the key, %d without ZDR)", out->m.id,
		    n, nkey, nzdr);
	reg_sanitize(out->warning);
	return RES_OK;
}

enum reg_resolve_rc
reg_resolve(sqlite3 *db, const struct reg_resolve_in *in,
    struct reg_resolve_out *out, char *msg, size_t len)
{
	struct reg_resolved	 m;
	struct reg_key		*k = &out->key;
	enum reg_resolve_rc	 rc;
	const char		*why = NULL;
	char			 kwhy[512], st[64];
	int64_t			 now = reg_clock(in->now), g = 0;
	int			 r;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	out->until = INT64_MAX;
	if (in->key != NULL) {
		*k = *in->key;		/* issue 9: a session's second step */
		out->has_key = 1;
	} else if (in->secret != NULL) {
		if ((rc = res_key(db, in->secret, now, k, msg, len)) != RES_OK)
			return rc;
		out->has_key = 1;
	}
	if (out->has_key)
		res_until(out, k->expires_at, now);
	/* Issue 10: a key whose cap is spent waits for its next period. */
	if (out->has_key && k->limited_until > now) {
		/* RESOLVE's cache keeps this refusal only until then. */
		res_until(out, k->limited_until, now);
		reg_rfc3339(k->limited_until, st, sizeof(st));
		return res_msg(RES_LIMIT, msg, len, "key %s has spent its cap "
		    "for this period; refused until %s", k->name, st);
	}
	/* Issue 9 item 4: without MODEL, a live session asks for its model. */
	if (in->model == NULL && in->session != NULL && in->sessions != NULL)
		return reg_resolve_session(db, in, out, msg, len);
	/* Ids are at most 255 bytes: a longer name is none, and is not echoed. */
	if (in->model != NULL && strlen(in->model) > 255)
		return res_msg(RES_NOTFOUND, msg, len, "no such model: a name "
		    "of %zu bytes", strlen(in->model));
	if (in->model != NULL) {
		if ((r = db_resolve_model(db, in->model, &m)) == -1)
			return res_msg(RES_INTERNAL, msg, len, "database error");
		/* An active model's answer changes when it expires. */
		if (r == 0 && m.active)
			res_until(out, m.expires_at, now);
		if (r == 1) {
			/* Not here now: removed, or never here at all. */
			if ((r = db_id_deleted(db, in->model)) == -1)
				return res_msg(RES_INTERNAL, msg, len,
				    "database error");
			if (r == 0)
				return res_msg(RES_NOTFOUND, msg, len,
				    "no such model: %s", in->model);
			why = "removed";
			snprintf(m.id, sizeof(m.id), "%s", in->model);
		} else if (!m.active)
			why = "inactive";
		else if (m.expires_at != 0 && m.expires_at <= now)
			why = "expired";
		/* As SYNC: unknown ZDR (no refresh yet) is not ZDR. */
		else if (in->zdr_enforce && m.zdr != 1)
			why = "no_zdr";
		/*
		 * A key asks only for models it names: one it was never
		 * given is refused whatever its state, and a fallback is only
		 * for a model the key had (even one since deleted).
		 */
		if (out->has_key && !k->all) {
			if ((g = res_grant(db, k, m.id)) == -1)
				return res_msg(RES_INTERNAL, msg, len,
				    "database error");
			if (!reg_key_names(k, m.id, g, kwhy, sizeof(kwhy)))
				return res_msg(RES_DENIED, msg, len, "%s", kwhy);
		}
		if (why == NULL) {
			/* g is the grant read above (0 for an all key). */
			if (out->has_key && !reg_key_may_use(k, m.id, g, m.gen,
			    now, kwhy, sizeof(kwhy)))
				return res_msg(RES_DENIED, msg, len, "%s", kwhy);
			out->m = m;
			out->reason = "requested";
			goto health;
		}
	}

	/* The default: asked for, or the fallback. */
	if ((r = db_resolve_default(db, &out->m)) == -1)
		return res_msg(RES_INTERNAL, msg, len, "database error");
	if (r == 1) {
		if (why != NULL)
			return res_msg(RES_UNAVAILABLE, msg, len, "%s %s and "
			    "there is no default model to fall back to", m.id,
			    res_state(why, m.zdr, st, sizeof(st)));
		return res_msg(RES_UNAVAILABLE, msg, len, "there is no default "
		    "model");
	}
	if (out->has_key) {
		if ((g = res_grant(db, k, out->m.id)) == -1)
			return res_msg(RES_INTERNAL, msg, len, "database error");
		if (!reg_key_may_use(k, out->m.id, g, out->m.gen, now, kwhy,
		    sizeof(kwhy))) {
			if (why != NULL)
				return res_msg(RES_DENIED, msg, len, "%s %s and "
				    "its fallback, the default %s, is not "
				    "allowed: %s", m.id, res_state(why, m.zdr, st,
				    sizeof(st)), out->m.id, kwhy);
			return res_msg(RES_DENIED, msg, len, "the default is "
			    "%s: %s", out->m.id, kwhy);
		}
	}
	/* A default without ZDR is nothing to answer: the registry's state, not the caller's. */
	if (in->zdr_enforce && out->m.zdr != 1) {
		if (why != NULL)
			return res_msg(RES_UNAVAILABLE, msg, len, "%s %s and "
			    "its fallback, the default %s, has %s ([zdr] "
			    "enforce = yes)", m.id, res_state(why, m.zdr, st,
			    sizeof(st)), out->m.id,
			    out->m.zdr == 0 ? "no ZDR endpoint" :
			    "an unknown ZDR status");
		return res_msg(RES_UNAVAILABLE, msg, len, "the default %s has "
		    "%s ([zdr] enforce = yes)", out->m.id, out->m.zdr == 0 ?
		    "no ZDR endpoint" : "an unknown ZDR status");
	}
	out->reason = why != NULL ? "fallback" : "default";
	out->why = why;
health:
	/* Health is read with the model: failover costs nothing until one is red. */
	if (in->failover && strcmp(out->m.health, "red") == 0)
		return res_failover(db, in, out, now, msg, len);
	return RES_OK;
}
