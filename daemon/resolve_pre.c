/* resolve_pre.c: a pipelined batch of RESOLVE requests made ready together (resolve_pre.h): memory-level parallelism for the hot path. */
#include <string.h>

#include "access.h"
#include "args.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "reg_resolve.h"
#include "resolve_args.h"
#include "resolve_batch.h"
#include "resolve_pre.h"
#include "sessions.h"

/*
 * Why: a cached RESOLVE with a session reads five cold cache lines one
 * after another (the answer's bucket, its entry, the session's bucket,
 * the session, its model), each a wait of main memory, and each address
 * known only once the line before it has come. Alone, nothing overlaps
 * them. In a batch of sixteen pipelined requests, each stage issues its
 * line for all sixteen before the next stage reads any: sixteen waits
 * overlap in one. Then the requests run in order as always, and find
 * their lines in the CPU's cache.
 */

static uint64_t	 batched;

/* A RESOLVE: the only verb a batch prepares (client_process batches only its lines). */
static int
resolve_pre_wants(const struct proto_req *req)
{
	return req->argc > 0 && strcmp(req->argv[0], "RESOLVE") == 0;
}

void
resolve_pre_batch(const struct client *c, const struct proto_req *const *reqs,
    struct resolve_pre *pre, int n)
{
	struct rcache		*cache = resolve_cache();
	struct sessions		*ses = resolve_sessions();
	struct rcounts		*cnt = resolve_counts();
	struct resolve_args	*ra;
	struct args_err		 e;
	char			 msg[128];
	unsigned		 policy;
	int			 i, role_ok;

	policy = rcache_policy(md.cfg->resolve_failover, md.cfg->zdr_enforce);
	role_ok = client_role(c) >= ROLE_SERVICE;
	if (n > RESOLVE_PRE_MAX)
		n = RESOLVE_PRE_MAX;
	batched += (uint64_t)n;
	for (i = 0; i < n; i++) {
		memset(&pre[i], 0, sizeof(pre[i]));
		ra = &pre[i].ra;
		/*
		 * Only what cmd_resolve would hash itself: a peer that may
		 * resolve, arguments it accepts, a secret of the right shape.
		 * The answer is looked up by digest when a model is named or
		 * no session is (cmd_resolve's bydigest).
		 */
		if (!role_ok || !resolve_pre_wants(reqs[i]) ||
		    resolve_parse_args(reqs[i], ra, &e) == -1)
			continue;
		pre[i].has_args = 1;
		if (ra->secret == NULL || reg_resolve_digest(ra->secret,
		    pre[i].h, msg, sizeof(msg)) != RES_OK)
			continue;
		pre[i].has_digest = 1;
		if (ra->model == NULL && ra->session != NULL)
			continue;
		rcache_pre_start(cache, policy, pre[i].h, ra->model,
		    &pre[i].ap);
	}
	for (i = 0; i < n; i++)
		rcache_pre_entry(cache, &pre[i].ap);
	for (i = 0; i < n; i++) {
		if (!rcache_pre_peek(cache, &pre[i].ap, &pre[i].key,
		    &pre[i].hint))
			continue;
		rcounts_hint_prefetch(cnt, &pre[i].hint, 0);
		if (ses != NULL && pre[i].ra.session != NULL) {
			pre[i].shash = sessions_pre_start(ses, pre[i].key,
			    pre[i].ra.session);
			pre[i].has_session = 1;
		}
	}
	for (i = 0; i < n; i++) {
		rcounts_hint_prefetch(cnt, &pre[i].hint, 1);
		if (pre[i].has_session)
			sessions_pre_entry(ses, pre[i].shash);
	}
	for (i = 0; i < n; i++)
		if (pre[i].has_session)
			sessions_pre_model(ses, pre[i].shash, pre[i].key);
}

void
resolve_pre_wipe(struct resolve_pre *p)
{
	keysecret_wipe(p->h, sizeof(p->h));
	rcache_pre_wipe(&p->ap);
	p->has_digest = 0;
}

uint64_t
resolve_pre_batched(void)
{
	return batched;
}
