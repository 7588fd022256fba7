/* resolve_cache.h: RESOLVE's hot path (issue 9 item 7): keys by their secret's digest and decided answers, in memory, valid for one write generation and until a stored instant. */
#ifndef MODELREG_RESOLVE_CACHE_H
#define MODELREG_RESOLVE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "keysecret.h"
#include "rcounts.h"
#include "reg_keys.h"

/*
 * One bounded LRU (cache.c) holds two kinds of entries:
 *
 * - a key, by the SHA-256 of a secret: the whole struct reg_key as
 *   db_key_by_hash loads it, and the instant the secret stops working
 *   (a rotated-out secret's grace end; INT64_MAX for none);
 * - an answer, by (policy, key id or 0, the name asked or none): what
 *   reg_resolve decided (its rc; for RES_OK the answered id, the reason
 *   and the record's formatted fields; else the refusal's message) and
 *   the earliest instant it stops being true (a model's expires_at);
 * - the same answer by (policy, a secret's digest, the name asked), with
 *   the key's id, and its instant also the secret's (a rotated-out
 *   secret's grace end): a RESOLVE with key= and a hit there needs no
 *   key entry at all, one lookup instead of two (a tenth of a RESOLVE's
 *   time at 100k keys was the second lookup's cold memory).
 *
 * Both belong to the write generation read before their reads (any
 * commit empties the cache: cache.h), and an entry whose instant has
 * come is a miss. Nothing here reads the database or the clock: the
 * caller passes both in.
 */
struct rcache;

#define RCACHE_FAILOVER		0x1	/* policy bits: [resolve] failover */
#define RCACHE_ZDR		0x2	/* [zdr] enforce */
/* The policy bits of a configuration: what an answer also depends on. */
unsigned rcache_policy(int failover, int zdr_enforce);

struct rcache_answer {
	int64_t		 until;		/* INT64_MAX: no instant */
	int64_t		 key;		/* by digest: the key's id */
	int		 rc;		/* enum reg_resolve_rc */
	int		 reason;	/* RES_OK: rcounts_reason() of the reason */
	char		 model[256];	/* RES_OK: the id answered */
	const char	*bytes;		/* RES_OK: the record's fields; else the message */
	size_t		 len;
	/*
	 * A hit: where the entry keeps its struct rcounts_hint, the one
	 * part of a cached value written in place (unaligned: memcpy it
	 * in and out); NULL otherwise. Valid until the next call into the
	 * cache.
	 */
	void		*hint;
};

struct rcache_stats {
	struct cache_stats	 c;	/* entries, bytes, max, flushes of both kinds */
	uint64_t		 key_hits, key_misses;
	uint64_t		 hits, misses;	/* answers */
};

struct rcache	*rcache_new(size_t max);	/* NULL when out of memory */
void		 rcache_free(struct rcache *);
void		 rcache_set_max(struct rcache *, size_t max);
size_t		 rcache_max(const struct rcache *);

/*
 * The key of digest h at gen, usable at now as far as its secret goes:
 * 1 (k set up to REG_KEY_HOT, its notes empty; *until, when not NULL,
 * the instant the secret stops working), 0 a miss.
 */
int	 rcache_key_get(struct rcache *, uint64_t gen,
	    const unsigned char h[KEY_HASH_LEN], int64_t now, struct reg_key *k,
	    int64_t *until);
void	 rcache_key_put(struct rcache *, uint64_t gen,
	    const unsigned char h[KEY_HASH_LEN], int64_t until,
	    const struct reg_key *k);

/*
 * The answer for (policy, key, name; NULL: none asked) at gen and now:
 * 1 (a set; a->bytes valid until the next call), 0 a miss.
 */
int	 rcache_answer_get(struct rcache *, uint64_t gen, unsigned policy,
	    int64_t key, const char *name, int64_t now, struct rcache_answer *a);
void	 rcache_answer_put(struct rcache *, uint64_t gen, unsigned policy,
	    int64_t key, const char *name, const struct rcache_answer *a);
/* The same by the secret's digest h (a->key the key's id): 1 a hit, 0 a miss. */
int	 rcache_danswer_get(struct rcache *, uint64_t gen, unsigned policy,
	    const unsigned char h[KEY_HASH_LEN], const char *name, int64_t now,
	    struct rcache_answer *a);
void	 rcache_danswer_put(struct rcache *, uint64_t gen, unsigned policy,
	    const unsigned char h[KEY_HASH_LEN], const char *name,
	    const struct rcache_answer *a);

/*
 * Issue 9 item 7: the by-digest lookup of a pipelined batch's RESOLVE,
 * made ahead in steps (resolve_pre.c): rcache_pre_start builds the
 * answer's cache key and fetches its bucket, rcache_pre_entry the entry,
 * and rcache_pre_peek reads, as a hint only (any generation, no stats),
 * the key id the entry names and where its count went last (*hint, for
 * a prefetch). p holds the digest: rcache_pre_wipe it. Nothing here
 * decides an answer: rcache_danswer_get does, as always.
 */
#define RCACHE_NAME_MAX	255	/* longer names are never cached */
#define RCACHE_AKEY_MAX	(2 + KEY_HASH_LEN + 1 + RCACHE_NAME_MAX)
struct rcache_pre {
	uint64_t	 hash;
	size_t		 klen;		/* 0: nothing to look up */
	unsigned	 policy;	/* what k was built for */
	char		 k[RCACHE_AKEY_MAX];
};
void	 rcache_pre_start(const struct rcache *, unsigned policy,
	    const unsigned char h[KEY_HASH_LEN], const char *name,
	    struct rcache_pre *p);
void	 rcache_pre_entry(const struct rcache *, const struct rcache_pre *p);
int	 rcache_pre_peek(const struct rcache *, const struct rcache_pre *p,
	    int64_t *key, struct rcounts_hint *hint);
/*
 * The answer rcache_danswer_get(policy, h, name) would give, by the key
 * and hash p already holds for them (the batch built them: not again).
 */
int	 rcache_pre_get(struct rcache *, uint64_t gen, const struct rcache_pre *p,
	    int64_t now, struct rcache_answer *a);
void	 rcache_pre_wipe(struct rcache_pre *p);

void	 rcache_get_stats(const struct rcache *, struct rcache_stats *);

#endif
