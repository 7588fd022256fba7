/* reg_sessions.c: RESOLVE's sessions (a session's model is the one asked for, RELEASE) and the batch transaction that writes sessions, counts and keys' last use together. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "db_keys.h"
#include "db_sessions.h"
#include "keysecret.h"
#include "log.h"
#include "reg_int.h"
#include "reg_resolve.h"
#include "reg_sessions.h"

enum reg_resolve_rc
reg_resolve_session(sqlite3 *db, const struct reg_resolve_in *in,
    struct reg_resolve_out *out, char *msg, size_t len)
{
	struct reg_resolve_in	 in2 = *in;
	struct reg_key		 k = out->key;	/* reg_resolve clears out */
	const char		*sm;
	char			 asked[256] = "";
	enum reg_resolve_rc	 rc;

	sm = sessions_model(in->sessions, out->has_key ? k.id : 0, in->session,
	    reg_clock(in->now));
	if (sm != NULL)
		snprintf(asked, sizeof(asked), "%s", sm);
	in2.session = NULL;
	in2.secret = NULL;
	in2.key = out->has_key ? &k : NULL;
	in2.model = sm != NULL ? asked : NULL;
	rc = reg_resolve(db, &in2, out, msg, len);
	if (sm != NULL) {
		memcpy(out->asked, asked, sizeof(out->asked));
		out->requested = out->asked;
	}
	return rc;
}

const char *
reg_resolve_asked(struct sessions *ses, int64_t key, const char *model,
    const char *session, int64_t now, char *buf, size_t len)
{
	const char	*sm;

	if (model != NULL || session == NULL || ses == NULL)
		return model;
	/* As reg_resolve_session: a live session asks for its model. */
	if ((sm = sessions_model(ses, key, session, reg_clock(now))) == NULL)
		return NULL;
	snprintf(buf, len, "%s", sm);
	return buf;
}

enum reg_resolve_rc
reg_resolve_note(struct sessions *ses, struct rcounts *rc,
    const struct reg_resolve_in *in, const struct reg_resolve_out *out,
    char *msg, size_t len)
{
	return reg_resolve_note_ids(ses, rc, in->session,
	    out->has_key ? out->key.id : 0, out->m.id,
	    rcounts_reason(out->reason), reg_clock(in->now), NULL, msg, len);
}

enum reg_resolve_rc
reg_resolve_note_ids(struct sessions *ses, struct rcounts *rc,
    const char *session, int64_t key, const char *model, int reason,
    int64_t now, struct rcounts_hint *hint, char *msg, size_t len)
{
	int	 r;

	if (session != NULL && ses != NULL) {
		/* The session goes where the answer is: a fallback moves it. */
		r = sessions_touch(ses, key, session, model, now);
		if (r == 1)
			return res_msg(RES_UNAVAILABLE, msg, len, "too many "
			    "live sessions: RELEASE the ones that ended, or "
			    "raise [resolve] max_sessions");
		if (r == -1)
			return res_msg(RES_INTERNAL, msg, len, "out of memory");
	}
	/* Statistics: a count that cannot be kept is only not written. */
	if (rc != NULL && reason >= 0)
		(void)rcounts_add_hint(rc, hint, model, key, reason, now);
	return RES_OK;
}

enum reg_resolve_rc
reg_release(sqlite3 *db, struct sessions *ses, const struct reg_release_in *in,
    struct reg_release_out *out, char *msg, size_t len)
{
	unsigned char	 h[KEY_HASH_LEN];
	struct reg_key	 k;
	const char	*m;
	int64_t		 key = 0, now = reg_clock(in->now);
	int		 r;

	memset(out, 0, sizeof(*out));
	if (in->secret != NULL) {
		/*
		 * Any secret the key still has (even revoked or expired: ending
		 * a session only gives back), never echoed.
		 */
		if (!keysecret_valid(in->secret))
			return res_msg(RES_DENIED, msg, len, "key= is not an API "
			    "key (mr_ and 43 base64url characters)");
		if (keysecret_hash(in->secret, h) == -1)
			return res_msg(RES_INTERNAL, msg, len, "cannot hash "
			    "the key");
		r = db_key_by_hash(db, h, now, &k);
		keysecret_wipe(h, sizeof(h));
		if (r == -1)
			return res_msg(RES_INTERNAL, msg, len, "database error");
		if (r == 1)
			return res_msg(RES_DENIED, msg, len, "unknown API key (or "
			    "a rotated-out secret past its grace period)");
		key = k.id;
		snprintf(out->key_name, sizeof(out->key_name), "%s", k.name);
	}
	if ((m = sessions_model(ses, key, in->session, now)) != NULL)
		snprintf(out->model, sizeof(out->model), "%s", m);
	out->released = sessions_release(ses, key, in->session, now);
	if (out->released)
		res_msg(RES_OK, msg, len, "session %s on %s ended", in->session,
		    out->model);
	else
		res_msg(RES_OK, msg, len, "no live session %s%s%s (ended or "
		    "expired already)", in->session, key != 0 ? " for key " :
		    "", out->key_name);
	return RES_OK;
}

/* The writer's callbacks: one statement each, in the batch's transaction. */
static int
w_del(void *arg, int64_t key, const char *sid)
{
	return db_session_del(arg, key, sid);
}

static int
w_put(void *arg, int64_t key, const char *sid, const char *model,
    int64_t renewed_at, int orphan)
{
	return db_session_put(arg, key, sid, model, renewed_at, orphan);
}

static int
w_count(void *arg, const char *model, int64_t key, int reason, uint64_t n,
    int64_t at)
{
	return db_rcount_add(arg, model, key, rcounts_reason_name(reason), n, at);
}

static int
w_used(void *arg, int64_t key, int64_t at)
{
	return db_key_used(arg, key, at);
}

int
reg_batch_flush(sqlite3 *db, struct sessions *ses, struct rcounts *rc,
    int64_t now, int64_t ttl)
{
	struct sessions_writer	 sw = { w_del, w_put, db };
	struct rcounts_writer	 cw = { w_count, w_used, db };
	int			 r;

	now = reg_clock(now);
	sessions_prune(ses, now);
	if (sessions_pending(ses) == 0 && rcounts_pending(rc) == 0)
		return 0;
	if ((r = db_batch_begin(db)) != 0)
		return r;
	if (db_sessions_prune(db, now - ttl) == -1 ||
	    sessions_write(ses, &sw) == -1 || rcounts_write(rc, &cw) == -1) {
		db_rollback(db);
		return -1;
	}
	if (db_batch_commit(db) == -1)
		return -1;
	sessions_clean(ses);
	rcounts_clean(rc);
	return 0;
}

struct load_arg {
	struct sessions	*ses;
	struct rcounts	*rc;
	size_t		 full;
};

static int
l_session(void *arg, int64_t key, const char *sid, const char *model,
    int64_t renewed_at, int orphan)
{
	struct load_arg	*la = arg;
	int		 r;

	if ((r = sessions_load(la->ses, key, sid, model, renewed_at, orphan))
	    == 1)
		la->full++;
	return r == -1 ? -1 : 0;
}

static int
l_model(void *arg, const char *model, const char *reason, uint64_t n)
{
	struct load_arg	*la = arg;

	return rcounts_load_model(la->rc, model, rcounts_reason(reason), n);
}

static int
l_key(void *arg, int64_t key, const char *reason, uint64_t n, int64_t used)
{
	struct load_arg	*la = arg;

	return rcounts_load_key(la->rc, key, rcounts_reason(reason), n, used);
}

int
reg_batch_load(sqlite3 *db, struct sessions *ses, struct rcounts *rc,
    int64_t now, int64_t ttl)
{
	struct load_arg	 la = { ses, rc, 0 };

	now = reg_clock(now);
	if (db_sessions_load(db, now - ttl, l_session, &la) == -1 ||
	    db_rcounts_load(db, l_model, l_key, &la) == -1)
		return -1;
	if (la.full > 0)
		log_warnx("%zu stored sessions do not fit [resolve] "
		    "max_sessions and were not read back", la.full);
	return 0;
}
