/* source.h: the schedule of every source (seed, catalog, zdr, uptime): interval with jitter, backoff, on-demand runs, status. */
#ifndef MODELREG_SOURCE_H
#define MODELREG_SOURCE_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct event;
struct source;

/* How a run ended. */
enum source_outcome {
	SRC_OK = 0,	/* applied (or 304: nothing changed) */
	SRC_FAILED,	/* fetch, parse or database failure: nothing changed; retried with backoff */
	SRC_HELD,	/* valid but suspicious (mass removal): not applied, kept until --force applies it */
};

/*
 * Start one run. force is 1 for `refresh NAME --force`: apply the response
 * the module holds (never a fresh download nobody reviewed); with nothing
 * held the run is an ordinary one. run is only ever called from the loop
 * (a timer), never from inside source_refresh or source_configure; the
 * module ends the run with exactly one source_done(), from run itself
 * (a run that fails before its fetch) or later.
 */
typedef void (*source_run_fn)(struct source *, int force);

/* A REFRESH waiting for a run to end: outcome and a one-line message. */
typedef void (*source_done_cb)(struct source *, enum source_outcome,
    const char *msg, void *arg);

struct source_waiter;

struct source {
	const char		*name;		/* "seed", "catalog", "zdr", "uptime" */
	source_run_fn		 run;
	void			*ctx;		/* the module's own */

	/* Schedule (source_configure). interval 0: no periodic runs (the seeder). */
	int			 enabled;
	int			 interval, retry_min, retry_max;	/* seconds */

	/*
	 * What makes the seeder different, set by the module after
	 * source_init (NULL / 0 for a periodic source). retry: is a failed
	 * run retried with backoff? NULL: always. own_events: the module
	 * logs each outcome and raises its own events (seed.done,
	 * seed.failed) instead of sync.failed and sync.held. warnings:
	 * shown by STATUS when not NULL.
	 */
	int			(*retry)(struct source *);
	int			 own_events;
	const char		*warnings;

	/* State, shown by STATUS. Times are unix seconds, 0 = never. */
	int			 running;
	int64_t			 last_ok, last_attempt, next_run;
	int			 failures;	/* consecutive */
	int			 items;		/* what the last good run counted */
	char			 last_error[512];	/* "" after a success */
	char			 held[256];	/* why the last response is held, "" when none */
	/* A catalog-like source's format: set by the module, NULL when it has none. */
	const char		*format;	/* the configured one: "auto", "openrouter", ... */
	char			 detected[16];	/* what the last body looked like, "" none yet */
	/*
	 * Does the module keep a held response that --force would apply?
	 * NULL: this source never holds one. Set by the module after
	 * source_init.
	 */
	int			(*has_held)(struct source *);
	/* JSON members with the counts of a hold (",\"dropped\":7"), for sync.held. */
	char			 held_counts[256];
	/*
	 * Issue 10 (/metrics): when the last failure ended (unix seconds, 0
	 * never) and how long the last run took, start to end, in
	 * milliseconds (0 before the first run).
	 */
	int64_t			 last_failed;
	int64_t			 last_duration_ms;

	/* Private to source.c. */
	struct event		*timer;
	int			 force_next;
	int			 run_id;
	int64_t			 started_ms;	/* CLOCK_MONOTONIC at the run's start */
	TAILQ_HEAD(, source_waiter) waiters;
	TAILQ_ENTRY(source)	 entry;
};

/* Register a source (modelregd.c calls the modules' init at start-up). */
void	 source_init(struct source *, const char *name, source_run_fn, void *ctx);
/*
 * (Re)configure: enabled with its interval and backoff bounds. When newly
 * enabled, the first run starts at once (from the loop), unless interval
 * is 0: then runs start only on demand (source_refresh). When disabled,
 * timers stop; a run in flight ends normally.
 */
void	 source_configure(struct source *, int enabled, int interval,
	    int retry_min, int retry_max);
/*
 * Milliseconds to wait before the next run, the one backoff and jitter of
 * every source: min(max, min * 2^(attempt - 1)) seconds (attempt >= 1;
 * min below 1 counts as 1, max below min as min), varied by up to 10%
 * either way by r % (2 * span + 1) - span, span being 10% in ms, so that
 * daemons started together do not fetch in step. r is any random number
 * (random()). The next ordinary run of a periodic source is
 * source_next_delay(1, interval, interval, r). Pure.
 */
int64_t	 source_next_delay(int attempt, long min, long max, unsigned long r);

/*
 * End the current run. SRC_OK: last_ok, items, failures = 0, held = "",
 * next run after the interval (source_next_delay; none with interval 0).
 * SRC_FAILED: last_error = msg, failures++, next run after
 * source_next_delay(failures, retry_min, retry_max) unless retry() says
 * no; a sync.failed event is raised on the first failure of a streak.
 * SRC_HELD: held = msg, a sync.held event (once per held response), next
 * run after the interval. Without own_events the outcome is logged.
 * Waiters of this run get (outcome, msg).
 */
void	 source_done(struct source *, enum source_outcome, int items, const char *msg);
/*
 * End the current run as held: source_done(SRC_HELD) with counts, a
 * string of JSON members (each starting with a comma, e.g.
 * ",\"dropped\":7,\"known\":10") that sync.held's details carry.
 */
void	 source_hold(struct source *, const char *msg, const char *counts);
/* Does src keep a held response (has_held)? 1 or 0. */
int	 source_holds(struct source *);

/*
 * REFRESH: start a run now (or join the one in flight; a forced refresh
 * joining an unforced run is queued as the next run). cb is called once,
 * later. Returns NULL when the source is not configured (msg says so).
 * A waiter with cb NULL is "--no-wait": the run starts, nobody is told.
 */
struct source_waiter *source_refresh(struct source *, int force, source_done_cb cb,
	    void *arg, char *msg, size_t msglen);
void	 source_waiter_cancel(struct source_waiter *);

/* Has src periodic runs (interval > 0)? Only those are REFRESH's. */
int	 source_periodic(const struct source *);

/* Every registered source, in registration order (STATUS, REFRESH all): the seeder first. */
struct source *source_first(void);
struct source *source_next(struct source *);
struct source *source_find(const char *name);

/*
 * One STATUS record: source= state= last_ok= last_attempt= last_error=
 * next_run= failures= items= held=, then format= detected= when the
 * source has a format, warnings= when it has warnings. state is running,
 * disabled, held, waiting (failed, a retry due) or idle.
 */
int	 source_status_record(struct buf *, const struct source *);

void	 source_shutdown(struct source *);	/* timers off, waiters dropped (not called) */

/*
 * Read a bearer token from an api_key_file (read at every run, so that a
 * key rotated on disk is picked up without a reload): a regular file of at
 * most outlen - 1 bytes, trailing blanks and newlines removed, not empty,
 * no control bytes. Returns 0, or -1 with err naming the file (never its
 * content) and out wiped.
 */
int	 source_read_key(const char *path, char *out, size_t outlen, char *err,
	    size_t errlen);

#endif
