/* source.h: the schedule of a periodic source (catalog, zdr, uptime): interval with jitter, backoff, on-demand refresh, status. */
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
 * held the run is an ordinary one. The module must end the run with exactly
 * one source_done(), later, from the loop (never from inside run itself).
 */
typedef void (*source_run_fn)(struct source *, int force);

/* A REFRESH waiting for a run to end: outcome and a one-line message. */
typedef void (*source_done_cb)(struct source *, enum source_outcome,
    const char *msg, void *arg);

struct source_waiter;

struct source {
	const char		*name;		/* "catalog", "zdr", "uptime" */
	source_run_fn		 run;
	void			*ctx;		/* the module's own */

	/* Schedule (source_configure). */
	int			 enabled;
	int			 interval, retry_min, retry_max;	/* seconds */

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

	/* Private to source.c. */
	struct event		*timer;
	int			 force_next;
	int			 run_id;
	TAILQ_HEAD(, source_waiter) waiters;
	TAILQ_ENTRY(source)	 entry;
};

/* Register a source (modelregd.c calls the modules' init at start-up). */
void	 source_init(struct source *, const char *name, source_run_fn, void *ctx);
/*
 * (Re)configure: enabled with its interval and backoff bounds. When newly
 * enabled, the first run starts at once (from the loop). When disabled,
 * timers stop; a run in flight ends normally.
 */
void	 source_configure(struct source *, int enabled, int interval,
	    int retry_min, int retry_max);
/*
 * End the current run. SRC_OK: last_ok, items, failures = 0, held = "",
 * next run after interval +-10% jitter. SRC_FAILED: last_error = msg,
 * failures++, next run after min(retry_max, retry_min * 2^(failures-1))
 * with jitter; a sync.failed event is raised on the first failure of a
 * streak. SRC_HELD: held = msg, a sync.held event (once per held
 * response), next run after the interval. Waiters of this run get (outcome, msg).
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

/* Every registered source, in registration order (STATUS, REFRESH all). */
struct source *source_first(void);
struct source *source_next(struct source *);
struct source *source_find(const char *name);

/* One STATUS record: source= state= last_ok= last_attempt= last_error= next_run= failures= items= held= */
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
