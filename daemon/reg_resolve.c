/* reg_resolve.c: RESOLVE's rule: the model asked for, the default, or the default as its fallback, never one the key may not use (reg_key_may_use). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db_keys.h"
#include "db_resolve.h"
#include "keysecret.h"
#include "log.h"
#include "reg_int.h"
#include "reg_keys.h"
#include "reg_resolve.h"
#include "reg_sessions.h"

static enum reg_resolve_rc
res_msg(enum reg_resolve_rc rc, char *msg, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum reg_resolve_rc
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

/* The key of a secret, usable now: RES_OK, or RES_DENIED with why. */
static enum reg_resolve_rc
res_key(sqlite3 *db, const char *secret, int64_t now, struct reg_key *k,
    char *msg, size_t len)
{
	unsigned char	 h[KEY_HASH_LEN];
	char		 why[512];
	int		 r;

	/* Never echo it: a secret in a message would reach logs. */
	if (!keysecret_valid(secret))
		return res_msg(RES_DENIED, msg, len, "key= is not an API key "
		    "(mr_ and 43 base64url characters)");
	if (keysecret_hash(secret, h) == -1)
		return res_msg(RES_INTERNAL, msg, len, "cannot hash the key");
	r = db_key_by_hash(db, h, now, k);
	keysecret_wipe(h, sizeof(h));
	if (r == -1)
		return res_msg(RES_INTERNAL, msg, len, "database error");
	if (r == 1)
		return res_msg(RES_DENIED, msg, len, "unknown API key (or a "
		    "rotated-out secret past its grace period)");
	if (!reg_key_usable(k, now, why, sizeof(why)))
		return res_msg(RES_DENIED, msg, len, "%s", why);
	return RES_OK;
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

enum reg_resolve_rc
reg_resolve(sqlite3 *db, const struct reg_resolve_in *in,
    struct reg_resolve_out *out, char *msg, size_t len)
{
	struct reg_resolved	 m;
	struct reg_key		*k = &out->key;
	enum reg_resolve_rc	 rc;
	const char		*why = NULL;
	char			 kwhy[512];
	int64_t			 now = reg_clock(in->now), g = 0;
	int			 r;

	memset(out, 0, sizeof(*out));
	memset(&m, 0, sizeof(m));
	if (in->key != NULL) {
		*k = *in->key;		/* issue 9: a session's second step */
		out->has_key = 1;
	} else if (in->secret != NULL) {
		if ((rc = res_key(db, in->secret, now, k, msg, len)) != RES_OK)
			return rc;
		out->has_key = 1;
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
		/*
		 * A key asks only for models it names: one it was never
		 * given is refused whatever its state, and a fallback is only
		 * for a model the key had (even one since deleted).
		 */
		if (out->has_key && !k->all) {
			if ((g = res_grant(db, k, m.id)) == -1)
				return res_msg(RES_INTERNAL, msg, len,
				    "database error");
			if (g == 0)
				return res_msg(RES_DENIED, msg, len, "key %s does "
				    "not allow %s", k->name, m.id);
		}
		if (why == NULL) {
			/* g is the grant read above (0 for an all key). */
			if (out->has_key && !reg_key_may_use(k, m.id, g, m.gen,
			    now, kwhy, sizeof(kwhy)))
				return res_msg(RES_DENIED, msg, len, "%s", kwhy);
			out->m = m;
			out->reason = "requested";
			return RES_OK;
		}
	}

	/* The default: asked for, or the fallback. */
	if ((r = db_resolve_default(db, &out->m)) == -1)
		return res_msg(RES_INTERNAL, msg, len, "database error");
	if (r == 1) {
		if (why != NULL)
			return res_msg(RES_UNAVAILABLE, msg, len, "%s is %s and "
			    "there is no default model to fall back to", m.id,
			    why);
		return res_msg(RES_UNAVAILABLE, msg, len, "there is no default "
		    "model");
	}
	if (out->has_key) {
		if ((g = res_grant(db, k, out->m.id)) == -1)
			return res_msg(RES_INTERNAL, msg, len, "database error");
		if (!reg_key_may_use(k, out->m.id, g, out->m.gen, now, kwhy,
		    sizeof(kwhy))) {
			if (why != NULL)
				return res_msg(RES_DENIED, msg, len, "%s is %s and "
				    "its fallback, the default %s, is not "
				    "allowed: %s", m.id, why, out->m.id, kwhy);
			return res_msg(RES_DENIED, msg, len, "the default is "
			    "%s: %s", out->m.id, kwhy);
		}
	}
	out->reason = why != NULL ? "fallback" : "default";
	out->why = why;
	return RES_OK;
}

int
reg_key_touch(sqlite3 *db, const struct reg_key *k, int64_t now)
{
	now = reg_clock(now);
	/* Most requests write nothing: the stored time is recent enough. */
	if (k->last_used_at != 0 && now - k->last_used_at < KEY_TOUCH_EVERY)
		return 0;
	return db_key_touch(db, k->id, now, KEY_TOUCH_EVERY);
}
