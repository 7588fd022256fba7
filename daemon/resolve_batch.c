/* resolve_batch.c: RESOLVE's sessions and counters in the daemon: the tables, the one-second batch that writes them (skipped while an import holds the write lock), and their fields in SHOW, KEY SHOW and STATUS. */
#include <sys/time.h>

#include <stdint.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "import.h"
#include "log.h"
#include "proto.h"
#include "rcounts.h"
#include "reg_sessions.h"
#include "resolve_batch.h"
#include "resolve_cache.h"
#include "sessions.h"

#define RCOUNTS_PENDING_MAX	100000	/* (model, key) pairs waiting for a batch */

static struct sessions	*ses;
static struct rcounts	*cnt;
static struct event	*ev_flush;
static struct rcache	*rcache;	/* issue 9 item 7: RESOLVE's hot path */
static int64_t		 last_fail_log;

static void
limits(void)
{
	if (ses != NULL)
		sessions_set_limits(ses, md.cfg->session_ttl,
		    (size_t)md.cfg->max_sessions);
}

struct sessions *
resolve_sessions(void)
{
	limits();	/* a reload may have changed them */
	return ses;
}

struct rcounts *
resolve_counts(void)
{
	return cnt;
}

/*
 * RESOLVE's cache, bounded by [daemon] cache_size like SHOW's (each has
 * its own bound of that size), which a reload may change. Made on first
 * use; NULL (out of memory) caches nothing.
 */
struct rcache *
resolve_cache(void)
{
	if (rcache == NULL)
		rcache = rcache_new(md.cfg->cache_size);
	else if (rcache_max(rcache) != md.cfg->cache_size)
		rcache_set_max(rcache, md.cfg->cache_size);
	return rcache;
}

int
resolve_batch_flush(void)
{
	int64_t	 now = (int64_t)time(NULL);
	int	 r;

	if (ses == NULL || cnt == NULL)
		return 0;
	/* The worker holds the write lock: the loop never waits for it. */
	if (import_busy())
		return 1;
	limits();
	r = reg_batch_flush(md.db, ses, cnt, now, md.cfg->session_ttl);
	if (r == -1 && now - last_fail_log >= 60) {
		last_fail_log = now;
		log_warnx("cannot write RESOLVE's sessions and counts; they "
		    "are kept and tried again");
	}
	return r;
}

static void
flush_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	(void)resolve_batch_flush();
}

void
resolve_batch_init(void)
{
	struct timeval	 tv = { RESOLVE_FLUSH_EVERY, 0 };

	if ((ses = sessions_new(md.cfg->session_ttl,
	    (size_t)md.cfg->max_sessions)) == NULL ||
	    (cnt = rcounts_new(RCOUNTS_PENDING_MAX)) == NULL)
		fatalx("out of memory");
	if (reg_batch_load(md.db, ses, cnt, 0, md.cfg->session_ttl) == -1)
		fatalx("cannot read RESOLVE's sessions and counts");
	if ((ev_flush = event_new(md.base, -1, EV_PERSIST, flush_cb, NULL)) ==
	    NULL || event_add(ev_flush, &tv) == -1)
		fatalx("cannot arm the timer of RESOLVE's batch");
	log_debug("%zu live sessions read back",
	    sessions_live(ses, (int64_t)time(NULL)));
}

void
resolve_batch_shutdown(void)
{
	if (ev_flush != NULL)
		event_free(ev_flush);
	ev_flush = NULL;
	/* The import worker is stopped: nothing holds the write lock. */
	if (ses != NULL)
		sessions_mark_renewed(ses);
	if (cnt != NULL)
		rcounts_mark_used(cnt);
	if (resolve_batch_flush() != 0)
		log_warnx("RESOLVE's last sessions and counts were not written");
	sessions_free(ses);
	rcounts_free(cnt);
	rcache_free(rcache);
	ses = NULL;
	cnt = NULL;
	rcache = NULL;
}

static int
counts_fields(struct buf *b, const uint64_t *n)
{
	return lf_int(b, "resolves_requested", (int64_t)n[RC_REQUESTED]) |
	    lf_int(b, "resolves_default", (int64_t)n[RC_DEFAULT]) |
	    lf_int(b, "resolves_fallback", (int64_t)n[RC_FALLBACK]) |
	    lf_int(b, "resolves_failover", (int64_t)n[RC_FAILOVER]);
}

int
resolve_usage_append(struct buf *b, const char *model)
{
	uint64_t	 n[RC_N] = { 0 };
	size_t		 live = 0;

	if (b->len > 0 && b->data[b->len - 1] == '\n')
		b->len--;
	if (ses != NULL)
		live = sessions_count(resolve_sessions(), model,
		    (int64_t)time(NULL));
	if (cnt != NULL)
		rcounts_model(cnt, model, n);
	if (lf_int(b, "sessions", (int64_t)live) == -1 ||
	    counts_fields(b, n) != 0 || lf_end(b) == -1)
		return -1;
	return 0;
}

int
resolve_key_usage(struct buf *b, int64_t key)
{
	uint64_t	 n[RC_N] = { 0 };

	if (cnt != NULL)
		rcounts_key(cnt, key, n);
	return counts_fields(b, n) != 0 ? -1 : 0;
}

/* Issue 9 item 7: RESOLVE's cache in STATUS, as SHOW's cache_* fields. */
static int
resolve_cache_fields(struct buf *b)
{
	struct rcache_stats	 st;

	rcache_get_stats(resolve_cache(), &st);
	return lf_int(b, "resolve_cache_entries", (int64_t)st.c.entries) |
	    lf_int(b, "resolve_cache_bytes", (int64_t)st.c.bytes) |
	    lf_int(b, "resolve_cache_max", (int64_t)st.c.max) |
	    lf_int(b, "resolve_cache_hits", (int64_t)st.hits) |
	    lf_int(b, "resolve_cache_misses", (int64_t)st.misses) |
	    lf_int(b, "resolve_cache_key_hits", (int64_t)st.key_hits) |
	    lf_int(b, "resolve_cache_key_misses", (int64_t)st.key_misses) |
	    lf_int(b, "resolve_cache_flushes", (int64_t)st.c.flushes);
}

int
resolve_status(struct buf *b)
{
	uint64_t	 n[RC_N] = { 0 };
	size_t		 live = 0;

	if (ses != NULL)
		live = sessions_live(resolve_sessions(), (int64_t)time(NULL));
	if (cnt != NULL)
		rcounts_total(cnt, n);
	if (lf_int(b, "sessions", (int64_t)live) == -1 ||
	    counts_fields(b, n) != 0 || resolve_cache_fields(b) == -1)
		return -1;
	return 0;
}

void
resolve_totals(uint64_t *n)
{
	if (cnt != NULL)
		rcounts_total(cnt, n);
}

int64_t
resolve_key_last_used(int64_t key, int64_t stored)
{
	int64_t	 m = cnt != NULL ? rcounts_last_used(cnt, key) : 0;

	return m > stored ? m : stored;
}
