/* resolve_cache.c: RESOLVE's hot path: keys by digest and decided answers in one bounded cache (cache.c's CLOCK), each valid for a write generation and until an instant (resolve_cache.h). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "rcounts.h"
#include "resolve_cache.h"

/*
 * The cache key's first byte tells the kinds apart, so one bound and one
 * recency order serve all: 'K' then the digest; 'A', the policy, the
 * key id, then '-' (no name) or '=' and the name; 'D', the policy, the
 * digest, then the same.
 */
#define RC_TAG_KEY	1
#define RC_TAG_ANSWER	2
#define RC_NAME_MAX	RCACHE_NAME_MAX
#define RC_AKEY_MAX	RCACHE_AKEY_MAX

struct rcache {
	struct cache	*c;
	uint64_t	 key_hits, key_misses, hits, misses;
};

/* What an answer's value starts with; the id, then the bytes, follow. */
struct rc_ahead {
	int64_t		 until;
	int64_t		 key;
	int32_t		 rc;
	int32_t		 reason;
	uint32_t	 idlen;
	struct rcounts_hint hint;	/* written in place on a hit (rcache_answer.hint) */
};

struct rc_khead {
	int64_t		 until;
};

struct rcache *
rcache_new(size_t max)
{
	struct rcache	*rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	if ((rc->c = cache_new(max)) == NULL) {
		free(rc);
		return NULL;
	}
	return rc;
}

void
rcache_free(struct rcache *rc)
{
	if (rc == NULL)
		return;
	cache_free(rc->c);
	free(rc);
}

void
rcache_set_max(struct rcache *rc, size_t max)
{
	cache_set_max(rc->c, max);
}

size_t
rcache_max(const struct rcache *rc)
{
	struct cache_stats	 st;

	cache_get_stats(rc->c, &st);
	return st.max;
}

int
rcache_key_get(struct rcache *rc, uint64_t gen,
    const unsigned char h[KEY_HASH_LEN], int64_t now, struct reg_key *k,
    int64_t *until)
{
	char		 key[1 + KEY_HASH_LEN];
	struct rc_khead	 hd;
	const char	*v;
	size_t		 vlen;
	int		 tag;

	if (rc == NULL)
		return 0;
	key[0] = 'K';
	memcpy(key + 1, h, KEY_HASH_LEN);
	v = cache_get(rc->c, gen, key, sizeof(key), &tag, &vlen);
	if (v == NULL || tag != RC_TAG_KEY ||
	    vlen != sizeof(hd) + REG_KEY_HOT) {
		rc->key_misses++;
		return 0;
	}
	memcpy(&hd, v, sizeof(hd));
	/* A rotated-out secret past its grace end is unknown: read again. */
	if (now >= hd.until) {
		rc->key_misses++;
		return 0;
	}
	memcpy(k, v + sizeof(hd), REG_KEY_HOT);
	k->created_by[0] = k->revoked_by[0] = k->note[0] = '\0';
	if (until != NULL)
		*until = hd.until;
	rc->key_hits++;
	return 1;
}

void
rcache_key_put(struct rcache *rc, uint64_t gen,
    const unsigned char h[KEY_HASH_LEN], int64_t until,
    const struct reg_key *k)
{
	char		 key[1 + KEY_HASH_LEN];
	char		 val[sizeof(struct rc_khead) + REG_KEY_HOT];
	struct rc_khead	 hd = { until };

	if (rc == NULL)
		return;
	key[0] = 'K';
	memcpy(key + 1, h, KEY_HASH_LEN);
	memcpy(val, &hd, sizeof(hd));
	memcpy(val + sizeof(hd), k, REG_KEY_HOT);
	(void)cache_put(rc->c, gen, key, sizeof(key), RC_TAG_KEY, val,
	    sizeof(val));
}

/* The cache key of an answer into buf: its length, 0 when the name is too long to cache. */
static size_t
rc_akey(char *buf, char kind, unsigned policy, const void *id, size_t idlen,
    const char *name)
{
	size_t	 n = 0, nl;

	buf[n++] = kind;
	buf[n++] = (char)policy;
	memcpy(buf + n, id, idlen);
	n += idlen;
	if (name == NULL) {
		buf[n++] = '-';
		return n;
	}
	if ((nl = strlen(name)) > RC_NAME_MAX)
		return 0;
	buf[n++] = '=';
	memcpy(buf + n, name, nl);
	return n + nl;
}

/* h: cache_key_hash(k, klen). */
static int
answer_get(struct rcache *rc, uint64_t gen, const char *k, size_t klen,
    uint64_t h, int64_t now, struct rcache_answer *a)
{
	struct rc_ahead	 hd;
	const char	*v;
	size_t		 vlen;
	int		 tag;

	if (klen == 0) {
		rc->misses++;
		return 0;
	}
	v = cache_get_h(rc->c, gen, k, klen, h, &tag, &vlen);
	if (v == NULL || tag != RC_TAG_ANSWER || vlen < sizeof(hd)) {
		rc->misses++;
		return 0;
	}
	memcpy(&hd, v, sizeof(hd));
	/* The instant it stops being true has come (an expiry): decide again. */
	if (now >= hd.until || hd.idlen >= sizeof(a->model) ||
	    vlen < sizeof(hd) + hd.idlen) {
		rc->misses++;
		return 0;
	}
	a->until = hd.until;
	a->key = hd.key;
	a->rc = hd.rc;
	a->reason = hd.reason;
	memcpy(a->model, v + sizeof(hd), hd.idlen);
	a->model[hd.idlen] = '\0';
	a->bytes = v + sizeof(hd) + hd.idlen;
	a->len = vlen - sizeof(hd) - hd.idlen;
	/* The cache's own memory: const only to the cache's other callers. */
	a->hint = (char *)(uintptr_t)v + offsetof(struct rc_ahead, hint);
	rc->hits++;
	return 1;
}

static void
answer_put(struct rcache *rc, uint64_t gen, const char *k, size_t klen,
    const struct rcache_answer *a)
{
	struct rc_ahead	 hd;
	size_t		 vlen;
	char		*v;

	if (klen == 0)
		return;
	memset(&hd, 0, sizeof(hd));
	hd.until = a->until;
	hd.key = a->key;
	hd.rc = a->rc;
	hd.reason = a->reason;
	hd.idlen = (uint32_t)strnlen(a->model, sizeof(a->model) - 1);
	vlen = sizeof(hd) + hd.idlen + a->len;
	if ((v = malloc(vlen)) == NULL)
		return;		/* not kept: the caller has its answer */
	memcpy(v, &hd, sizeof(hd));
	memcpy(v + sizeof(hd), a->model, hd.idlen);
	if (a->len > 0)
		memcpy(v + sizeof(hd) + hd.idlen, a->bytes, a->len);
	(void)cache_put(rc->c, gen, k, klen, RC_TAG_ANSWER, v, vlen);
	free(v);
}

int
rcache_answer_get(struct rcache *rc, uint64_t gen, unsigned policy,
    int64_t key, const char *name, int64_t now, struct rcache_answer *a)
{
	char	 k[RC_AKEY_MAX];
	size_t	 klen;

	if (rc == NULL)
		return 0;
	klen = rc_akey(k, 'A', policy, &key, sizeof(key), name);
	return answer_get(rc, gen, k, klen, cache_key_hash(k, klen), now, a);
}

void
rcache_answer_put(struct rcache *rc, uint64_t gen, unsigned policy,
    int64_t key, const char *name, const struct rcache_answer *a)
{
	char	 k[RC_AKEY_MAX];

	if (rc == NULL)
		return;
	answer_put(rc, gen, k, rc_akey(k, 'A', policy, &key, sizeof(key),
	    name), a);
}

int
rcache_danswer_get(struct rcache *rc, uint64_t gen, unsigned policy,
    const unsigned char h[KEY_HASH_LEN], const char *name, int64_t now,
    struct rcache_answer *a)
{
	char	 k[RC_AKEY_MAX];
	size_t	 klen;
	int	 r;

	if (rc == NULL)
		return 0;
	klen = rc_akey(k, 'D', policy, h, KEY_HASH_LEN, name);
	r = answer_get(rc, gen, k, klen, cache_key_hash(k, klen), now, a);
	keysecret_wipe(k + 2, KEY_HASH_LEN);	/* the digest part */
	return r;
}

void
rcache_danswer_put(struct rcache *rc, uint64_t gen, unsigned policy,
    const unsigned char h[KEY_HASH_LEN], const char *name,
    const struct rcache_answer *a)
{
	char	 k[RC_AKEY_MAX];

	if (rc == NULL)
		return;
	answer_put(rc, gen, k, rc_akey(k, 'D', policy, h, KEY_HASH_LEN,
	    name), a);
	keysecret_wipe(k + 2, KEY_HASH_LEN);	/* the digest part */
}

unsigned
rcache_policy(int failover, int zdr_enforce)
{
	return (failover ? RCACHE_FAILOVER : 0) | (zdr_enforce ? RCACHE_ZDR : 0);
}

void
rcache_pre_start(const struct rcache *rc, unsigned policy,
    const unsigned char h[KEY_HASH_LEN], const char *name,
    struct rcache_pre *p)
{
	p->klen = 0;
	p->policy = policy;
	if (rc == NULL)
		return;
	p->klen = rc_akey(p->k, 'D', policy, h, KEY_HASH_LEN, name);
	if (p->klen == 0)
		return;
	p->hash = cache_key_hash(p->k, p->klen);
	cache_prefetch_bucket(rc->c, p->hash);
}

void
rcache_pre_entry(const struct rcache *rc, const struct rcache_pre *p)
{
	if (rc != NULL && p->klen > 0)
		cache_prefetch_entry(rc->c, p->hash);
}

int
rcache_pre_peek(const struct rcache *rc, const struct rcache_pre *p,
    int64_t *key, struct rcounts_hint *hint)
{
	struct rc_ahead	 hd;
	const char	*v;
	size_t		 vlen;
	int		 tag;

	if (rc == NULL || p->klen == 0 || (v = cache_peek(rc->c, p->hash, p->k,
	    p->klen, &tag, &vlen)) == NULL || tag != RC_TAG_ANSWER ||
	    vlen < sizeof(hd))
		return 0;
	memcpy(&hd, v, sizeof(hd));
	*key = hd.key;
	*hint = hd.hint;
	return 1;
}

int
rcache_pre_get(struct rcache *rc, uint64_t gen, const struct rcache_pre *p,
    int64_t now, struct rcache_answer *a)
{
	if (rc == NULL)
		return 0;
	return answer_get(rc, gen, p->k, p->klen, p->hash, now, a);
}

void
rcache_pre_wipe(struct rcache_pre *p)
{
	if (p->klen > 0)
		keysecret_wipe(p->k + 2, KEY_HASH_LEN);	/* the digest part */
	p->klen = 0;
}

void
rcache_get_stats(const struct rcache *rc, struct rcache_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (rc == NULL)
		return;
	cache_get_stats(rc->c, &st->c);
	st->key_hits = rc->key_hits;
	st->key_misses = rc->key_misses;
	st->hits = rc->hits;
	st->misses = rc->misses;
}
