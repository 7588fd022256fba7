/* test_cache.c: unit tests of the read path's cache (cache.c): hits, the generation that empties it, the byte bound and LRU eviction, capped chains, and the write generation of db.c's hooks; a pipelined batch's lookups made ahead (peek, prefetch, RESOLVE's pre_get). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cache.h"
#include "db.h"
#include "resolve_cache.h"
#include "tap.h"

/* Get key as a C string: the value as a NUL-terminated copy in out, or NULL. */
static const char *
get(struct cache *c, uint64_t gen, const char *key, int *tag, char *out,
    size_t outlen)
{
	const char	*v;
	size_t		 vlen;

	if ((v = cache_get(c, gen, key, strlen(key), tag, &vlen)) == NULL)
		return NULL;
	snprintf(out, outlen, "%.*s", (int)vlen, v);
	return out;
}

static int
put(struct cache *c, uint64_t gen, const char *key, int tag, const char *val)
{
	return cache_put(c, gen, key, strlen(key), tag, val, strlen(val));
}

static void
test_hits(void)
{
	struct cache		*c = cache_new(64 * 1024);
	struct cache_stats	 st;
	char			 out[256];
	int			 tag = 0;

	ok(c != NULL, "a cache");
	ok(get(c, 5, "a", &tag, out, sizeof(out)) == NULL, "empty: a miss");
	is_int(put(c, 5, "a", 1, "id=a name=A\n"), 0, "put a");
	is_int(put(c, 5, "b", 2, ""), 0, "put b, an empty value");
	is_str(get(c, 5, "a", &tag, out, sizeof(out)), "id=a name=A\n",
	    "a is a hit with its bytes");
	is_int(tag, 1, "... and its tag");
	is_str(get(c, 5, "b", &tag, out, sizeof(out)), "", "b is a hit");
	is_int(tag, 2, "... with its tag");
	ok(get(c, 5, "ab", &tag, out, sizeof(out)) == NULL,
	    "a longer key is another key");
	is_int(put(c, 5, "a", 1, "id=a name=A2\n"), 0, "put a again");
	is_str(get(c, 5, "a", &tag, out, sizeof(out)), "id=a name=A2\n",
	    "the new value replaces the old one");
	cache_get_stats(c, &st);
	is_int(st.entries, 2, "two entries");
	is_int(st.hits, 3, "three hits counted");
	is_int(st.misses, 2, "two misses counted");

	/* A new generation voids everything. */
	ok(get(c, 6, "a", &tag, out, sizeof(out)) == NULL,
	    "a newer generation: a miss");
	cache_get_stats(c, &st);
	is_int(st.entries, 0, "... and the cache is empty");
	is_int(st.flushes, 1, "... one flush counted");
	ok(put(c, 5, "a", 1, "old\n") == -1,
	    "a value read at an older generation is not kept");
	ok(get(c, 6, "a", &tag, out, sizeof(out)) == NULL, "... not there");
	ok(put(c, 0, "a", 1, "x\n") == -1, "generation 0: nothing is kept");
	ok(get(c, 0, "a", &tag, out, sizeof(out)) == NULL,
	    "generation 0: always a miss");
	cache_free(c);
	cache_free(NULL);
	ok(cache_get(NULL, 1, "a", 1, &tag, NULL) == NULL,
	    "no cache (out of memory): a miss");
}

static void
test_bound(void)
{
	struct cache		*c = cache_new(16 * 1024);
	struct cache_stats	 st;
	char			 key[32], val[200], out[256];
	int			 i, tag, peak = 0;

	memset(val, 'v', sizeof(val) - 2);
	val[sizeof(val) - 2] = '\n';
	val[sizeof(val) - 1] = '\0';
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "model-%d", i);
		(void)put(c, 1, key, 1, val);
		cache_get_stats(c, &st);
		if (st.bytes > (size_t)peak)
			peak = (int)st.bytes;
	}
	cache_get_stats(c, &st);
	ok(peak <= 16 * 1024, "5000 entries never take it past its bound "
	    "(peak %d of 16384 bytes)", peak);
	ok(st.entries > 20 && st.entries < 5000, "it holds some of them (%zu)",
	    st.entries);
	ok(st.evictions > 0, "the others were evicted (%llu)",
	    (unsigned long long)st.evictions);
	ok(get(c, 1, "model-4999", &tag, out, sizeof(out)) != NULL,
	    "the last one put is there");
	ok(get(c, 1, "model-0", &tag, out, sizeof(out)) == NULL,
	    "the first one is gone");

	/* Least recently used goes first: touch model-K, then add more. */
	snprintf(key, sizeof(key), "model-%d", 5000 - (int)st.entries + 1);
	ok(get(c, 1, key, &tag, out, sizeof(out)) != NULL,
	    "the oldest kept entry is there");
	for (i = 5000; i < 5010; i++) {
		char	 k2[32];

		snprintf(k2, sizeof(k2), "model-%d", i);
		(void)put(c, 1, k2, 1, val);
	}
	ok(get(c, 1, key, &tag, out, sizeof(out)) != NULL,
	    "an entry just used outlives the ones put after it");
	snprintf(key, sizeof(key), "model-%d", 5000 - (int)st.entries + 2);
	ok(get(c, 1, key, &tag, out, sizeof(out)) == NULL,
	    "its unused neighbour went");

	/* Too large for an eighth of the bound: not kept. */
	{
		char	*big = malloc(4096);

		memset(big, 'x', 4095);
		big[4095] = '\0';
		ok(put(c, 1, "big", 1, big) == -1, "an entry over an eighth "
		    "of the bound is not kept");
		free(big);
	}

	/* A smaller bound evicts at once. */
	cache_set_max(c, 4096);
	cache_get_stats(c, &st);
	ok(st.bytes <= 4096, "a smaller bound is kept at once (%zu bytes)",
	    st.bytes);
	cache_set_max(c, 1024);
	cache_get_stats(c, &st);
	ok(st.bytes <= 1024, "... even the smallest, 1K, with its table "
	    "(%zu bytes)", st.bytes);
	(void)put(c, 1, "k", 1, "v\n");
	ok(get(c, 1, "k", &tag, out, sizeof(out)) != NULL,
	    "... which still keeps a small entry");
	cache_free(c);
	c = cache_new(1024);
	cache_get_stats(c, &st);
	ok(st.bytes <= 1024, "a new cache of 1K starts within it (%zu bytes)",
	    st.bytes);
	cache_free(c);
}

static void
test_table_grows(void)
{
	struct cache		*c = cache_new(8 * 1024 * 1024);
	struct cache_stats	 st;
	char			 key[32], out[64];
	int			 i, tag, missing = 0;

	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "m%d", i);
		(void)put(c, 3, key, 1, key);
	}
	for (i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "m%d", i);
		if (get(c, 3, key, &tag, out, sizeof(out)) == NULL ||
		    strcmp(out, key) != 0)
			missing++;
	}
	cache_get_stats(c, &st);
	is_int(missing, 0, "20000 small entries are all found after the "
	    "table grew");
	ok(st.bytes <= st.max, "... within the bound (%zu bytes)", st.bytes);
	cache_free(c);
}

/*
 * The write generation: every commit moves it, on the connection's own
 * thread (commit hook) and once the commit is in the WAL (WAL hook); a
 * read moves nothing.
 */
static void
test_generation(void)
{
	char		 dir[] = "/tmp/test_cache.XXXXXX", path[128];
	sqlite3		*a, *b;
	uint64_t	 g0, g1, g2;

	if (mkdtemp(dir) == NULL) {
		ok(0, "a temp folder");
		return;
	}
	snprintf(path, sizeof(path), "%s/registry.db", dir);
	a = db_open(path);
	b = db_open(path);
	ok(a != NULL && b != NULL, "two connections to one file");
	if (a == NULL || b == NULL)
		goto done;
	g0 = db_generation();
	ok(g0 != 0, "a WAL database has a generation");
	ok(sqlite3_exec(a, "SELECT count(*) FROM models", NULL, NULL,
	    NULL) == SQLITE_OK, "a read");
	is_int(db_generation(), g0, "a read does not move it");
	ok(sqlite3_exec(b, "INSERT INTO state(key, value) VALUES ('t', '1')",
	    NULL, NULL, NULL) == SQLITE_OK, "an autocommit write on another "
	    "connection");
	g1 = db_generation();
	ok(g1 > g0, "moves it");
	ok(db_begin(a) == 0 && sqlite3_exec(a, "UPDATE state SET value = '2'"
	    " WHERE key = 't'", NULL, NULL, NULL) == SQLITE_OK,
	    "a transaction's write");
	is_int(db_generation(), g1, "does not move it before the commit");
	ok(db_commit(a) == 0, "commit");
	g2 = db_generation();
	ok(g2 > g1, "the commit moves it");
	ok(db_begin(a) == 0 && sqlite3_exec(a, "UPDATE state SET value = '3'"
	    " WHERE key = 't'", NULL, NULL, NULL) == SQLITE_OK, "another");
	db_rollback(a);
	is_int(db_generation(), g2, "a rollback does not move it");
done:
	db_close(a);
	db_close(b);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
}

/*
 * Issue 9 item 7: a batch's lookups made ahead are hints: cache_peek
 * finds what cache_get would, of any generation, and counts, marks and
 * empties nothing; the prefetches change nothing either.
 */
static void
test_peek(void)
{
	struct cache		*c = cache_new(64 * 1024);
	struct cache_stats	 st0, st;
	const char		*v;
	size_t			 vlen = 0;
	int			 tag = 0, i;
	char			 key[16], out[64];

	if (c == NULL) {
		ok(0, "a cache");
		return;
	}
	cache_prefetch_bucket(c, cache_key_hash("a", 1));
	cache_prefetch_entry(c, cache_key_hash("a", 1));
	ok(cache_peek(c, cache_key_hash("a", 1), "a", 1, &tag, &vlen) == NULL,
	    "peek in an empty cache: nothing");
	ok(put(c, 5, "a", 3, "alpha") == 0 && put(c, 5, "b", 4, "beta") == 0,
	    "two entries at generation 5");
	cache_get_stats(c, &st0);
	cache_prefetch_bucket(c, cache_key_hash("a", 1));
	cache_prefetch_entry(c, cache_key_hash("a", 1));
	v = cache_peek(c, cache_key_hash("a", 1), "a", 1, &tag, &vlen);
	ok(v != NULL && vlen == 5 && memcmp(v, "alpha", 5) == 0 && tag == 3,
	    "peek finds a's value and tag");
	ok(cache_peek(c, cache_key_hash("ab", 2), "ab", 2, &tag, &vlen) ==
	    NULL, "and not a key that is not there");
	cache_get_stats(c, &st);
	ok(st.hits == st0.hits && st.misses == st0.misses &&
	    st.entries == 2, "peeks and prefetches count nothing");
	/* A newer generation would empty it at a get: a peek does not. */
	v = cache_peek(c, cache_key_hash("b", 1), "b", 1, &tag, &vlen);
	ok(v != NULL && tag == 4, "peek answers an older generation's entry");
	ok(get(c, 6, "b", &tag, out, sizeof(out)) == NULL,
	    "which a get at a newer generation never answers");
	/* A peek marks nothing used: the entry peeked at is evicted first. */
	cache_set_max(c, 4096);
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		(void)put(c, 7, key, 1, "0123456789012345678901234567890123456789");
	}
	(void)get(c, 7, "k1", &tag, out, sizeof(out));
	(void)cache_peek(c, cache_key_hash("k0", 2), "k0", 2, &tag, &vlen);
	for (i = 8; i < 40; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		(void)put(c, 7, key, 1, "0123456789012345678901234567890123456789");
		if (cache_peek(c, cache_key_hash("k0", 2), "k0", 2, &tag,
		    &vlen) == NULL)
			break;
	}
	ok(cache_peek(c, cache_key_hash("k0", 2), "k0", 2, &tag, &vlen) ==
	    NULL && get(c, 7, "k1", &tag, out, sizeof(out)) != NULL,
	    "the peeked entry went before the one a get used");
	cache_free(c);
}

/* Issue 9 item 7: a batch's lookup built ahead finds what rcache_danswer_get finds, and only that. */
static void
test_rcache_pre(void)
{
	struct rcache		*rc = rcache_new(64 * 1024);
	struct rcache_answer	 a, got;
	struct rcache_pre	 p;
	struct rcounts_hint	 hint;
	unsigned char		 h[KEY_HASH_LEN];
	unsigned		 pol = rcache_policy(0, 1);
	int64_t			 key = 0;

	if (rc == NULL) {
		ok(0, "an rcache");
		return;
	}
	is_int((int)pol, RCACHE_ZDR, "the policy of zdr enforce alone");
	memset(h, 7, sizeof(h));
	memset(&a, 0, sizeof(a));
	a.until = INT64_MAX;
	a.key = 42;
	a.rc = 0;
	a.reason = 1;
	snprintf(a.model, sizeof(a.model), "acme/alpha");
	a.bytes = "id=acme/alpha";
	a.len = strlen(a.bytes);
	rcache_danswer_put(rc, 3, pol, h, "alpha", &a);
	rcache_pre_start(rc, pol, h, "alpha", &p);
	rcache_pre_entry(rc, &p);
	ok(p.klen > 0 && p.policy == pol, "built for its policy");
	ok(rcache_pre_peek(rc, &p, &key, &hint) && key == 42,
	    "the peek names the answer's key");
	ok(rcache_pre_get(rc, 3, &p, 100, &got) && got.key == 42 &&
	    strcmp(got.model, "acme/alpha") == 0 && got.len == a.len,
	    "pre_get answers what was put by digest");
	ok(rcache_danswer_get(rc, 3, pol, h, "alpha", 100, &got) &&
	    got.key == 42, "as danswer_get does");
	rcache_pre_start(rc, pol, h, "beta", &p);
	ok(!rcache_pre_get(rc, 3, &p, 100, &got) &&
	    !rcache_pre_peek(rc, &p, &key, &hint), "another name: nothing");
	rcache_pre_start(rc, rcache_policy(1, 1), h, "alpha", &p);
	ok(!rcache_pre_get(rc, 3, &p, 100, &got), "another policy: nothing");
	rcache_pre_start(rc, pol, h, "alpha", &p);
	ok(!rcache_pre_get(rc, 4, &p, 100, &got),
	    "a newer generation: a miss (and the cache is emptied)");
	ok(!rcache_pre_peek(rc, &p, &key, &hint), "so the peek finds nothing either");
	rcache_pre_wipe(&p);
	ok(p.klen == 0, "wiped: nothing to look up");
	rcache_free(rc);
}

int
main(void)
{
	tap_run(test_hits());
	tap_run(test_bound());
	tap_run(test_table_grows());
	tap_run(test_generation());
	tap_run(test_peek());
	tap_run(test_rcache_pre());
	return done_testing();
}
