/* cache.h: a bounded in-memory map of names to reply bytes, valid for one database generation (issue 8: SHOW; issue 9: RESOLVE). */
#ifndef MODELREG_CACHE_H
#define MODELREG_CACHE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A cache maps a key (bytes: a name as asked) to a value (bytes: a
 * formatted record) and a small tag the caller defines (found, not
 * found). Every entry belongs to one generation of the database
 * (db_generation(): every commit on any connection moves it): the first
 * call that brings a newer generation empties the cache, so an entry is
 * never answered after a commit that might have changed it. Generation 0
 * means "do not cache": get misses and put stores nothing.
 *
 * The cache holds at most max bytes, counting each entry's key, value
 * and bookkeeping and the hash table itself; when a new entry does not
 * fit, entries go from the least recently used end, where one used
 * since it was last looked at gets a second chance (CLOCK: a hit sets
 * a bit and moves nothing, cache.c). An entry larger than an
 * eighth of max is not kept. Used by one thread (the event loop).
 */
struct cache;

struct cache_stats {
	size_t		 entries;
	size_t		 bytes;		/* what the entries and the table hold */
	size_t		 max;		/* the bound */
	uint64_t	 hits, misses, evictions, flushes;
};

struct cache	*cache_new(size_t max);		/* NULL when out of memory */
void		 cache_free(struct cache *);
/* A new bound: entries go until the cache fits. */
void		 cache_set_max(struct cache *, size_t max);
/*
 * The value of key at generation gen, or NULL (a miss). *tag gets the
 * entry's tag. The pointer and *vlen are valid until the next call.
 */
const char	*cache_get(struct cache *, uint64_t gen, const char *key,
		    size_t klen, int *tag, size_t *vlen);
/*
 * Keep key -> (tag, val) for generation gen: the generation that was
 * current when the value was read, before the read started. A value of
 * an older generation than the cache's is dropped. 0, -1 when it is
 * not kept (too large, out of memory, gen 0 or stale): never an error
 * for the caller, who has its answer anyway.
 */
int		 cache_put(struct cache *, uint64_t gen, const char *key,
		    size_t klen, int tag, const char *val, size_t vlen);
void		 cache_clear(struct cache *);

/*
 * Issue 9 item 7: a pipelined batch's lookups made ahead, so that the
 * cold memory of many requests is fetched at once (resolve_pre.c). Hints
 * only: none of these changes the cache or what a later get answers.
 * cache_key_hash is the hash cache_get uses; cache_prefetch_bucket
 * fetches its bucket, cache_prefetch_entry the first lines of the entry
 * the bucket holds first (a hit's usual chain is one entry); cache_peek
 * finds key's value without counting, marking or checking the
 * generation: it may be an older generation's, good for a hint (where
 * to fetch next), never for an answer. Valid until the next call.
 */
uint64_t	 cache_key_hash(const char *key, size_t klen);
/* cache_get with h, cache_key_hash(key, klen), worked out already. */
const char	*cache_get_h(struct cache *, uint64_t gen, const char *key,
		    size_t klen, uint64_t h, int *tag, size_t *vlen);
void		 cache_prefetch_bucket(const struct cache *, uint64_t h);
void		 cache_prefetch_entry(const struct cache *, uint64_t h);
const char	*cache_peek(const struct cache *, uint64_t h, const char *key,
		    size_t klen, int *tag, size_t *vlen);
void		 cache_get_stats(const struct cache *, struct cache_stats *);

#endif
