/* cache.c: a bounded in-memory map of names to reply bytes, valid for one database generation (cache.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"

/*
 * One entry: key bytes then value bytes in data. Chained in its hash
 * bucket, and in the recency list (head: put or given a second chance
 * most recently).
 *
 * A hit only sets used (the second-chance, or CLOCK, variant of LRU):
 * moving the entry to the head on every hit wrote three other entries'
 * links, each a cold cache line at 100k entries, a tenth of RESOLVE's
 * time on the loop. Eviction looks at the tail: a used entry loses the
 * bit and goes to the head, an unused one goes. An entry used since it
 * was last looked at is never evicted before one that was not.
 */
struct centry {
	struct centry	*hnext;
	struct centry	*prev, *next;
	uint64_t	 hash;
	size_t		 klen, vlen;
	int		 tag;
	int		 used;
	char		 data[];
};

struct cache {
	struct centry	**tab;
	size_t		  nbuckets;	/* a power of two */
	struct centry	 *head, *tail;
	uint64_t	  gen;
	struct cache_stats st;
};

#define CACHE_BUCKETS_START	256
#define CACHE_BUCKETS_MIN	8
/*
 * A chain longer than this takes no more entries: names chosen to
 * collide cost a bounded walk, not one that grows with the cache.
 */
#define CACHE_CHAIN_MAX		16
/* What malloc adds to each block, roughly: counted so the bound is honest. */
#define CACHE_MALLOC_OVERHEAD	16

static size_t
cache_entry_bytes(size_t klen, size_t vlen)
{
	return sizeof(struct centry) + klen + vlen + CACHE_MALLOC_OVERHEAD;
}

/*
 * FNV-1a's steps over eight bytes at a time, then a final mix so that the
 * low bits (the bucket) depend on every byte. Byte at a time, a RESOLVE's
 * key of 70 bytes was a chain of 70 dependent multiplies (3% of a
 * pipelined RESOLVE). Chains are capped anyway (CACHE_CHAIN_MAX).
 */
static uint64_t
cache_hash(const char *key, size_t klen)
{
	uint64_t	 h = 0xcbf29ce484222325ULL ^ klen, w;
	size_t		 i = 0;

	for (; i + 8 <= klen; i += 8) {
		memcpy(&w, key + i, sizeof(w));
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
	}
	for (; i < klen; i++)
		h = (h ^ (unsigned char)key[i]) * 0x100000001b3ULL;
	h ^= h >> 32;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* The first table for a bound: at most a quarter of it, as cache_grow keeps it. */
static size_t
cache_start_buckets(size_t max)
{
	size_t	 n = CACHE_BUCKETS_START;

	while (n > CACHE_BUCKETS_MIN && n * sizeof(struct centry *) > max / 4)
		n /= 2;
	return n;
}

struct cache *
cache_new(size_t max)
{
	struct cache	*c;
	size_t		 n = cache_start_buckets(max);

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->tab = calloc(n, sizeof(*c->tab))) == NULL) {
		free(c);
		return NULL;
	}
	c->nbuckets = n;
	c->st.bytes = c->nbuckets * sizeof(*c->tab);
	c->st.max = max;
	return c;
}

/* Unlink e from its bucket and the recency list, and free it. */
static void
cache_drop(struct cache *c, struct centry *e)
{
	struct centry	**pp;

	for (pp = &c->tab[e->hash & (c->nbuckets - 1)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	c->st.entries--;
	c->st.bytes -= cache_entry_bytes(e->klen, e->vlen);
	free(e);
}

void
cache_clear(struct cache *c)
{
	struct centry	*e, *next;

	for (e = c->head; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	memset(c->tab, 0, c->nbuckets * sizeof(*c->tab));
	c->head = c->tail = NULL;
	c->st.entries = 0;
	c->st.bytes = c->nbuckets * sizeof(*c->tab);
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	cache_clear(c);
	free(c->tab);
	free(c);
}

/* The tail entry to the head (a second chance). */
static void
cache_to_head(struct cache *c, struct centry *e)
{
	if (e == c->head)
		return;
	e->prev->next = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = NULL;
	e->next = c->head;
	c->head->prev = e;
	c->head = e;
}

/*
 * Evict from the tail until need more bytes fit: a used entry goes to
 * the head with its bit cleared, so the walk ends within one pass over
 * the entries.
 */
static void
cache_evict(struct cache *c, size_t need)
{
	while (c->tail != NULL && c->st.bytes + need > c->st.max) {
		if (c->tail->used) {
			c->tail->used = 0;
			cache_to_head(c, c->tail);
			continue;
		}
		cache_drop(c, c->tail);
		c->st.evictions++;
	}
}

void
cache_set_max(struct cache *c, size_t max)
{
	struct centry	**tab;
	size_t		  n;

	c->st.max = max;
	/* A table too large for the new bound: start again with a small one. */
	if (c->nbuckets * sizeof(*c->tab) > max / 4 &&
	    c->nbuckets > CACHE_BUCKETS_MIN) {
		n = cache_start_buckets(max);
		if ((tab = calloc(n, sizeof(*tab))) != NULL) {
			cache_clear(c);
			free(c->tab);
			c->tab = tab;
			c->nbuckets = n;
			c->st.bytes = n * sizeof(*tab);
		}
	}
	cache_evict(c, 0);
}

/* A newer generation: everything kept belongs to the old one. */
static void
cache_sync(struct cache *c, uint64_t gen)
{
	if (gen == c->gen)
		return;
	if (c->st.entries > 0) {
		cache_clear(c);
		c->st.flushes++;
	}
	c->gen = gen;
}

static struct centry *
cache_find(const struct cache *c, uint64_t h, const char *key, size_t klen,
    size_t *chain)
{
	struct centry	*e;

	*chain = 0;
	for (e = c->tab[h & (c->nbuckets - 1)]; e != NULL; e = e->hnext) {
		if (e->hash == h && e->klen == klen &&
		    memcmp(e->data, key, klen) == 0)
			return e;
		(*chain)++;
	}
	return NULL;
}

const char *
cache_get(struct cache *c, uint64_t gen, const char *key, size_t klen,
    int *tag, size_t *vlen)
{
	return cache_get_h(c, gen, key, klen, cache_hash(key, klen), tag, vlen);
}

const char *
cache_get_h(struct cache *c, uint64_t gen, const char *key, size_t klen,
    uint64_t h, int *tag, size_t *vlen)
{
	struct centry	*e;
	size_t		 chain;

	if (c == NULL || gen == 0) {
		if (c != NULL)
			c->st.misses++;
		return NULL;
	}
	cache_sync(c, gen);
	e = cache_find(c, h, key, klen, &chain);
	if (e == NULL) {
		c->st.misses++;
		return NULL;
	}
	c->st.hits++;
	e->used = 1;
	*tag = e->tag;
	*vlen = e->vlen;
	return e->data + e->klen;
}

/* Twice the buckets when there are more entries than buckets, if it fits. */
static void
cache_grow(struct cache *c)
{
	struct centry	**tab, *e;
	size_t		  n = c->nbuckets * 2, add;

	if (c->st.entries < c->nbuckets)
		return;
	add = (n - c->nbuckets) * sizeof(*tab);
	/* The table counts against the bound: never more than a quarter of it. */
	if (n * sizeof(*tab) > c->st.max / 4)
		return;
	if ((tab = calloc(n, sizeof(*tab))) == NULL)
		return;
	for (e = c->head; e != NULL; e = e->next) {
		e->hnext = tab[e->hash & (n - 1)];
		tab[e->hash & (n - 1)] = e;
	}
	free(c->tab);
	c->tab = tab;
	c->nbuckets = n;
	c->st.bytes += add;
	cache_evict(c, 0);
}

int
cache_put(struct cache *c, uint64_t gen, const char *key, size_t klen,
    int tag, const char *val, size_t vlen)
{
	struct centry	*e;
	uint64_t	 h;
	size_t		 size, chain;

	if (c == NULL || gen == 0 || gen < c->gen)
		return -1;
	cache_sync(c, gen);
	size = cache_entry_bytes(klen, vlen);
	if (size > c->st.max / 8)
		return -1;
	h = cache_hash(key, klen);
	if ((e = cache_find(c, h, key, klen, &chain)) != NULL)
		cache_drop(c, e);
	else if (chain >= CACHE_CHAIN_MAX)
		return -1;
	cache_evict(c, size);
	if (c->st.bytes + size > c->st.max)
		return -1;
	if ((e = malloc(sizeof(*e) + klen + vlen)) == NULL)
		return -1;
	e->hash = h;
	e->klen = klen;
	e->vlen = vlen;
	e->tag = tag;
	e->used = 0;
	memcpy(e->data, key, klen);
	if (vlen > 0)
		memcpy(e->data + klen, val, vlen);
	e->hnext = c->tab[h & (c->nbuckets - 1)];
	c->tab[h & (c->nbuckets - 1)] = e;
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
	c->st.entries++;
	c->st.bytes += size;
	cache_grow(c);
	return 0;
}

uint64_t
cache_key_hash(const char *key, size_t klen)
{
	return cache_hash(key, klen);
}

void
cache_prefetch_bucket(const struct cache *c, uint64_t h)
{
	if (c != NULL)
		__builtin_prefetch(&c->tab[h & (c->nbuckets - 1)]);
}

/*
 * An answer's entry is its header (one line), its key (about 70 bytes)
 * and its value (a header and about 180 bytes): five lines, fetched at
 * once; past the end of a smaller one a prefetch reads nothing harmful.
 */
#define CACHE_PREFETCH_LINES	5

void
cache_prefetch_entry(const struct cache *c, uint64_t h)
{
	const char	*e;
	int		 i;

	if (c == NULL || (e = (const char *)c->tab[h & (c->nbuckets - 1)]) ==
	    NULL)
		return;
	for (i = 0; i < CACHE_PREFETCH_LINES; i++)
		__builtin_prefetch(e + 64 * i);
}

const char *
cache_peek(const struct cache *c, uint64_t h, const char *key, size_t klen,
    int *tag, size_t *vlen)
{
	struct centry	*e;
	size_t		 chain;

	if (c == NULL || (e = cache_find(c, h, key, klen, &chain)) == NULL)
		return NULL;
	*tag = e->tag;
	*vlen = e->vlen;
	return e->data + e->klen;
}

void
cache_get_stats(const struct cache *c, struct cache_stats *st)
{
	if (c == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = c->st;
}
