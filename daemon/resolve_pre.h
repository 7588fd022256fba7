/* resolve_pre.h: a pipelined batch of RESOLVE requests made ready together (issue 9 item 7): each secret hashed once, and the memory each answer and session lives in fetched for all of them before the first runs. */
#ifndef MODELREG_RESOLVE_PRE_H
#define MODELREG_RESOLVE_PRE_H

#include <stdint.h>

#include "keysecret.h"
#include "proto.h"
#include "rcounts.h"
#include "resolve_args.h"
#include "resolve_cache.h"

struct client;

#define RESOLVE_PRE_MAX	16	/* requests in one batch */

/*
 * What resolve_pre_batch worked out for one request. Only the parsed
 * arguments and the digest are used as results (cmd_resolve skips
 * parsing the same request and hashing its secret again); the rest says
 * where the prefetches went. Holds the digest: resolve_pre_wipe it when
 * the request is done or dropped.
 */
struct resolve_pre {
	int			 has_args;	/* ra is resolve_parse_args' of the request */
	int			 has_digest;	/* h is the SHA-256 of the request's key= */
	int			 has_session;
	struct resolve_args	 ra;
	unsigned char		 h[KEY_HASH_LEN];
	struct rcache_pre	 ap;
	uint64_t		 shash;
	int64_t			 key;		/* as the cached answer names it (a hint) */
	struct rcounts_hint	 hint;		/* where its count went last (a hint) */
};

/*
 * Make n (at most RESOLVE_PRE_MAX) tokenized requests of client c ready in stages, each stage over
 * all of them: the digest and the answer's bucket; its entry; the key it
 * names, the session's bucket and the count's pair; the session; the
 * session's model. A request that would be refused (the role, its
 * arguments, a malformed secret) is left alone: running it says why.
 * Pure but for the prefetches: running the requests in order afterwards
 * answers exactly as running them alone.
 */
void	 resolve_pre_batch(const struct client *c,
	    const struct proto_req *const *reqs, struct resolve_pre *pre, int n);
void	 resolve_pre_wipe(struct resolve_pre *);
/* Requests made ready in a batch since the start (STATUS resolve_batched). */
uint64_t resolve_pre_batched(void);

#endif
