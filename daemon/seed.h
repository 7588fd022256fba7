/* seed.h: the seeder, a source of source.c: first-boot seeding and the SEED verb: fetch, parse, apply the seed rule. */
#ifndef MODELREG_SEED_H
#define MODELREG_SEED_H

#include <stdint.h>

#include "registry.h"

struct source;

/*
 * The outcome of one seed run for a waiter, in one of three forms:
 *  - REG_OK: res is filled, msg summarises ("seeded 42 models (added 3,
 *    updated 39, ...)");
 *  - REG_CONFLICT: the source failed (unreachable, timed out, HTTP error,
 *    too large, invalid JSON, no models, unreadable api_key_file...); res
 *    is NULL, msg is "seed source: <why>". The registry is untouched; the
 *    protocol layer answers ERR unavailable;
 *  - REG_INTERNAL: the database failed while applying (rolled back); res is
 *    NULL, msg says why; ERR internal.
 * res and msg are valid only during the callback.
 */
typedef void (*seed_done_cb)(enum reg_rc rc, const struct seed_result *res,
	    const char *msg, void *arg);

/*
 * Called once the database is open and the loop exists, before the other
 * sources (STATUS lists the seeder first). Registers the seeder as the
 * source "seed" (no interval). When the registry is empty and a seed
 * source is configured, starts the first seed at once (source.c retries
 * it with backoff from [seed] retry_min to retry_max while the registry
 * stays empty). When it is not empty, does nothing: never re-seeds on start.
 */
void	 seed_init(void);

/*
 * Run a seed now (the SEED verb). If one is running, the caller joins it;
 * a scheduled retry is replaced by this run. cb is called exactly once,
 * later, from the loop. A run this call starts is audited as who (NULL:
 * the daemon). Returns a waiter handle, or NULL when there is no
 * seed source configured (then cb is not called; msg says why).
 */
struct seed_waiter *seed_run(seed_done_cb cb, void *arg, const struct actor *who,
	    char *msg, size_t msglen);
/* The waiter's client went away: its callback will not be called. */
void	 seed_waiter_cancel(struct seed_waiter *);

/* The seeder's source, for STATUS and SEED's reply (items); NULL before seed_init. */
const struct source *seed_source(void);
/* Config was reloaded: pick up the new [seed] (an in-flight run finishes with the old one). */
void	 seed_reconfigure(void);
void	 seed_shutdown(void);	/* cancel fetch and timers; waiters are dropped */

#endif
