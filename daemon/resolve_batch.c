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
#include "reg_flush.h"
#include "reg_sessions.h"
#include "resolve_batch.h"
#include "resolve_cache.h"
#include "resolve_pre.h"
#include "sessions.h"

/*
 * (model, key) pairs waiting for a batch, about 100 bytes each. The
 * counts go every RESOLVE_COUNTS_EVERY seconds or at half this bound:
 * a bound of 100k made a working set of 100k pairs (the benchmark's 10k
 * keys of 10 models) reach the half within a second, so every batch
 * upserted every pair, five times the work the interval meant.
 */
#define RCOUNTS_PENDING_MAX	262144

static struct sessions	*ses;
static struct rcounts	*cnt;
static struct event	*ev_flush;
static struct rcache	*rcache;	/* issue 9 item 7: RESOLVE's hot path */
static int64_t		 last_fail_log;
/*
 * The batch runs as a job on the import worker (reg_flush.h), so the
 * loop only copies what waits: at 50k RESOLVEs a second over many
 * (model, key) pairs the upserts took the loop 100 ms and more every
 * second. A job that failed is carried into the next one.
 */
static struct flush_job	*carry;
static int		 inflight;
static int64_t		 counts_at;	/* the last batch that took the counts */
static int		 missed;	/* a batch skipped: the worker was busy */
#define FLUSH_CARRY_MAX	2000000	/* rows kept across failures, then dropped */

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

static void
flush_failed(int64_t now)
{
	if (now - last_fail_log >= 60) {
		last_fail_log = now;
		log_warnx("cannot write RESOLVE's sessions and counts; they "
		    "are kept and tried again");
	}
}

static void
flush_work(sqlite3 *db, void *arg)
{
	struct flush_job	*j = arg;

	/*
	 * The outcome travels in the job, marked failed until it commits:
	 * a job the daemon's stop interrupts, or that never ran, is carried
	 * to the last write at shutdown, and one that committed is never
	 * written twice, even when the stop came after it (cancelled 1).
	 */
	if (reg_flush_write(db, j, 1) == 0)
		reg_flush_clear_failed(j);
}

static void
flush_done(void *arg, int cancelled)
{
	struct flush_job	*j = arg;

	inflight = 0;
	if (!reg_flush_failed(j)) {
		reg_flush_free(j);
		return;
	}
	if (!cancelled)
		flush_failed((int64_t)time(NULL));
	if (reg_flush_rows(j) > FLUSH_CARRY_MAX) {
		log_warnx("dropping %zu rows of RESOLVE's sessions and counts "
		    "that could not be written", reg_flush_rows(j));
		reg_flush_free(j);
		return;
	}
	carry = j;
}

int
resolve_batch_flush(void)
{
	struct flush_job	*j;
	int64_t			 now = (int64_t)time(NULL);
	int			 r, counts;

	if (ses == NULL || cnt == NULL)
		return 0;
	/* The worker holds the write lock (or runs the last batch): next time. */
	if (inflight || import_busy()) {
		missed = !inflight;
		return 1;
	}
	missed = 0;
	limits();
	counts = now - counts_at >= RESOLVE_COUNTS_EVERY ||
	    rcounts_pending(cnt) >= RCOUNTS_PENDING_MAX / 2;
	if ((j = reg_flush_collect(ses, cnt, carry, now,
	    md.cfg->session_ttl, counts)) == NULL)
		return carry != NULL ? -1 : 0;	/* nothing waits, or no memory */
	if (counts)
		counts_at = now;
	carry = NULL;
	reg_flush_mark_failed(j);
	if (import_start_quiet(md.cfg->database, flush_work, flush_done, j) ==
	    0) {
		inflight = 1;
		return 0;
	}
	/* No thread: here, never waiting for the lock, as before. */
	if ((r = reg_flush_write(md.db, j, 0)) == 0) {
		reg_flush_free(j);
		return 0;
	}
	if (r == -1)
		flush_failed(now);
	carry = j;
	return r;
}

int
resolve_batch_missed(void)
{
	return missed;
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
	/* No worker any more: the carried rows and the rest, here. */
	if (carry != NULL && reg_flush_write(md.db, carry, 0) == 0) {
		reg_flush_free(carry);
		carry = NULL;
	}
	if (carry != NULL || reg_batch_flush(md.db, ses, cnt, (int64_t)time(NULL),
	    md.cfg->session_ttl) != 0)
		log_warnx("RESOLVE's last sessions and counts were not written");
	reg_flush_free(carry);
	carry = NULL;
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
	    lf_int(b, "resolve_cache_flushes", (int64_t)st.c.flushes) |
	    lf_int(b, "resolve_batched", (int64_t)resolve_pre_batched());
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
