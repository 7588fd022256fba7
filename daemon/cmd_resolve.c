/* cmd_resolve.c: RESOLVE (issue 9): the model an application should use now, as one record; the key's secret is read, hashed and never echoed. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "import.h"
#include "log.h"
#include "proto.h"
#include "rcounts.h"
#include "resolve_args.h"
#include "reg_resolve.h"
#include "reg_sessions.h"
#include "registry.h"
#include "resolve_batch.h"
#include "resolve_cache.h"
#include "resolve_pre.h"
#include "sessions.h"

/* param.NAME= and enforced=, by the model record's own formatter. */
static int
resolve_settings(struct buf *b, const struct reg_resolved *r)
{
	struct model	 m;
	int		 i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < SP_COUNT; i++) {
		m.has_param[i] = r->has_param[i];
		m.param[i] = r->param[i];
	}
	m.enforced = r->enforced;
	return cmd_settings_record(b, &m) != 0 ? -1 : 0;
}

/* The record's fields up to key_name= (what the cache keeps): 0 or -1. */
static int
resolve_fields(struct buf *b, const struct reg_resolve_out *out,
    const char *asked)
{
	if (lf_str(b, "id", out->m.id) == -1 ||
	    lf_str(b, "name", out->m.name) == -1 ||
	    lf_str(b, "label", out->m.has_label ? out->m.label : NULL) == -1 ||
	    lf_str(b, "provider", out->m.provider) == -1 ||
	    lf_str(b, "kind", out->m.kind) == -1 ||
	    resolve_settings(b, &out->m) == -1 ||
	    lf_str(b, "reason", out->reason) == -1 ||
	    lf_str(b, "requested", out->requested != NULL ? out->requested :
	    asked) == -1 ||
	    lf_str(b, "why", out->why) == -1 ||
	    lf_str(b, "replaced", out->replaced[0] != '\0' ? out->replaced :
	    NULL) == -1 ||
	    lf_str(b, "warning", out->warning[0] != '\0' ? out->warning :
	    NULL) == -1 ||
	    lf_str(b, "key_name", out->has_key ? out->key.name : NULL) == -1)
		return -1;
	return 0;
}

static enum cmd_ret
resolve_refuse(struct cmd_ctx *ctx, enum reg_resolve_rc rc, const char *msg)
{
	switch (rc) {
	case RES_NOTFOUND:
		return cmd_err(ctx, "notfound", "%s", msg);
	case RES_DENIED:
		/* The message names the key, never its secret. */
		log_debug("resolve for uid %u denied: %s",
		    (unsigned)client_uid(ctx->client), msg);
		return cmd_err(ctx, "denied", "%s", msg);
	case RES_UNAVAILABLE:
		return cmd_err(ctx, "unavailable", "%s", msg);
	case RES_LIMIT:
		return cmd_err(ctx, "limit", "%s", msg);	/* issue 10: caps */
	default:
		return cmd_err(ctx, "internal", "%s", msg[0] != '\0' ? msg :
		    "database error");
	}
}

/* The session= field and the record's end. */
static enum cmd_ret
resolve_end(struct cmd_ctx *ctx, const char *session)
{
	if ((session != NULL && lf_str(ctx->out, "session", session) == -1) ||
	    lf_end(ctx->out) == -1)
		return cmd_err(ctx, "internal", "out of memory");
	ctx->n = 1;
	return CMD_OK;
}

/* A cached answer: its refusal, or its bytes with the session and counts noted. */
static enum cmd_ret
resolve_hit(struct cmd_ctx *ctx, const struct rcache_answer *a,
    const char *session, int64_t key, int64_t now)
{
	struct rcounts_hint	 hint = { NULL, 0 };
	char			 msg[1200];
	enum reg_resolve_rc	 rc;

	if (a->rc != RES_OK) {
		snprintf(msg, sizeof(msg), "%.*s", (int)a->len, a->bytes);
		return resolve_refuse(ctx, a->rc, msg);
	}
	/* The entry's hint: its count goes where the last one went. */
	if (a->hint != NULL)
		memcpy(&hint, a->hint, sizeof(hint));
	rc = reg_resolve_note_ids(resolve_sessions(), resolve_counts(),
	    session, key, a->model, a->reason, now, &hint, msg, sizeof(msg));
	if (a->hint != NULL)
		memcpy(a->hint, &hint, sizeof(hint));
	if (rc != RES_OK)
		return resolve_refuse(ctx, rc, msg);
	if (buf_append(ctx->out, a->bytes, a->len) == -1)
		return cmd_err(ctx, "internal", "out of memory");
	return resolve_end(ctx, session);
}

/*
 * An answer kept by the digest h (its instant also the secret's, suntil)
 * or by (key id, name asked).
 */
static void
resolve_keep(struct rcache *cache, uint64_t gen, unsigned policy, int bydigest,
    const unsigned char *h, int64_t suntil, int64_t key, const char *asked,
    struct rcache_answer *a)
{
	if (!bydigest) {
		rcache_answer_put(cache, gen, policy, key, asked, a);
		return;
	}
	a->key = key;
	if (suntil < a->until)
		a->until = suntil;
	rcache_danswer_put(cache, gen, policy, h, asked, a);
}

/*
 * The answer by digest: through the cache key the batch built for this
 * request (the same policy, digest and name: not built and hashed
 * again), or built here.
 */
static int
resolve_danswer(const struct cmd_ctx *ctx, struct rcache *cache, uint64_t gen,
    unsigned policy, const unsigned char *h, const char *model, int64_t now,
    struct rcache_answer *a)
{
	const struct resolve_pre	*p = ctx->pre;

	if (p != NULL && p->ap.klen > 0 && p->ap.policy == policy)
		return rcache_pre_get(cache, gen, &p->ap, now, a);
	return rcache_danswer_get(cache, gen, policy, h, model, now, a);
}

/*
 * Issue 9 item 7: the hot path. The key comes from RESOLVE's cache by
 * its secret's digest, and the answer for (policy, key, name asked) from
 * the same cache: both under the write generation read before anything
 * else, so any commit voids them, and each with the instant it stops
 * being true (an expiry), checked against now. A hit is the same bytes
 * and the same refusal reg_resolve would give; the session and the
 * counts are kept in memory either way (reg_resolve_note_ids), for
 * resolve_batch.c's one transaction a second: RESOLVE itself writes
 * nothing.
 */
enum cmd_ret
cmd_resolve(struct cmd_ctx *ctx)
{
	const struct proto_req	*req = ctx->req;
	struct resolve_args	 ra;
	struct args_err		 e;
	struct reg_resolve_in	 in;
	struct reg_resolve_out	 out;
	struct rcache_answer	 a;
	struct rcache		*cache = resolve_cache();
	struct reg_key		 k;
	struct buf		*b = ctx->out;
	const char		*session, *asked;
	char			 msg[1200];	/* cmd_err fits it at a word */
	char			 abuf[256];
	enum reg_resolve_rc	 rc;
	uint64_t		 gen = reg_generation();
	int64_t			 now = (int64_t)time(NULL), key = 0;
	unsigned		 policy;
	unsigned char		 h[KEY_HASH_LEN] = { 0 };
	int64_t			 suntil = INT64_MAX;
	int			 bydigest;
	size_t			 start;

	/* A batch's request was parsed with its batch: the same request, the same result. */
	if (ctx->pre != NULL && ctx->pre->has_args)
		ra = ctx->pre->ra;
	else if (resolve_parse_args(req, &ra, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	session = ra.session;
	memset(&in, 0, sizeof(in));
	in.model = ra.model;
	in.failover = md.cfg->resolve_failover;
	in.zdr_enforce = md.cfg->zdr_enforce;
	in.now = now;
	policy = rcache_policy(in.failover, in.zdr_enforce);
	/*
	 * With key=, the answer is looked up by the secret's digest first:
	 * a hit needs no key entry (resolve_cache.h). Not when a session
	 * is to name the model: which model that is needs the key's id.
	 */
	bydigest = ra.secret != NULL && (in.model != NULL || session == NULL);
	if (ra.secret != NULL) {
		/* A batch's request was hashed with its batch (resolve_pre.c). */
		if (ctx->pre != NULL && ctx->pre->has_digest)
			memcpy(h, ctx->pre->h, sizeof(h));
		else if ((rc = reg_resolve_digest(ra.secret, h, msg,
		    sizeof(msg))) != RES_OK)
			return resolve_refuse(ctx, rc, msg);
		if (bydigest && resolve_danswer(ctx, cache, gen, policy, h,
		    in.model, now, &a)) {
			keysecret_wipe(h, sizeof(h));
			return resolve_hit(ctx, &a, session, a.key, now);
		}
		rc = reg_resolve_key_digest(md.db, cache, gen, h, now, &k,
		    &suntil, msg, sizeof(msg));
		if (rc != RES_OK) {
			keysecret_wipe(h, sizeof(h));
			return resolve_refuse(ctx, rc, msg);
		}
		in.key = &k;
		key = k.id;
	}
	/* Without MODEL, a live session asks for its model. */
	asked = reg_resolve_asked(resolve_sessions(), key, in.model, session,
	    now, abuf, sizeof(abuf));

	if (!bydigest && rcache_answer_get(cache, gen, policy, key, asked, now,
	    &a))
		return resolve_hit(ctx, &a, session, key, now);

	in.model = asked;
	rc = reg_resolve(md.db, &in, &out, msg, sizeof(msg));
	if (rc != RES_OK) {
		/* The model's refusals are kept; the database's are not. */
		if (rc != RES_INTERNAL && !out.nocache) {
			memset(&a, 0, sizeof(a));
			a.until = out.until;
			a.rc = rc;
			a.reason = -1;
			a.bytes = msg;
			a.len = strlen(msg);
			resolve_keep(cache, gen, policy, bydigest, h, suntil, key,
			    asked, &a);
		}
		keysecret_wipe(h, sizeof(h));
		return resolve_refuse(ctx, rc, msg);
	}
	if ((rc = reg_resolve_note_ids(resolve_sessions(), resolve_counts(),
	    session, key, out.m.id, rcounts_reason(out.reason), now, NULL, msg,
	    sizeof(msg))) != RES_OK) {
		keysecret_wipe(h, sizeof(h));
		return resolve_refuse(ctx, rc, msg);
	}
	start = b->len;
	if (resolve_fields(b, &out, asked) == -1) {
		keysecret_wipe(h, sizeof(h));
		return cmd_err(ctx, "internal", "out of memory");
	}
	if (!out.nocache) {
		memset(&a, 0, sizeof(a));
		a.until = out.until;
		a.rc = RES_OK;
		a.reason = rcounts_reason(out.reason);
		snprintf(a.model, sizeof(a.model), "%s", out.m.id);
		a.bytes = b->data + start;
		a.len = b->len - start;
		resolve_keep(cache, gen, policy, bydigest, h, suntil, key, asked,
		    &a);
	}
	keysecret_wipe(h, sizeof(h));
	return resolve_end(ctx, session);
}
