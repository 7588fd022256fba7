/* resolve_batch.h: RESOLVE's state in the daemon (issue 9): the live sessions and counters, read back at start, written once a second and at stop by one transaction. */
#ifndef MODELREG_RESOLVE_BATCH_H
#define MODELREG_RESOLVE_BATCH_H

#include <stdint.h>

#include "buf.h"

#define RESOLVE_FLUSH_EVERY	1	/* seconds between batches */
/*
 * Counts and keys' last use go in every fifth batch only (and at stop,
 * and sooner when many pairs wait): at 200k RESOLVEs a second over 100k
 * (model, key) pairs, upserting nearly every pair each second took a
 * fifth of the machine's CPU on the worker. Sessions, which expire, go
 * every second. A kill -9 loses at most this much of the counts; SHOW,
 * KEY SHOW and STATUS read them from memory.
 */
#define RESOLVE_COUNTS_EVERY	5

struct sessions;
struct rcounts;

/* Read the stored sessions and counts back and arm the timer (fatal when they cannot be read). */
void	 resolve_batch_init(void);
/* Write what waits, then free it all (at stop, after the import worker). */
void	 resolve_batch_shutdown(void);
/* Write what waits now, unless an import holds the write lock: 0 written, 1 busy, -1. */
int	 resolve_batch_flush(void);
/*
 * Was the last second's batch skipped because another job held the
 * worker? USAGE's groups (usage.c), which run on the worker back to back
 * under load, flush it first when one ends, so it is never starved.
 */
int	 resolve_batch_missed(void);

/* The daemon's tables, with [resolve]'s limits applied; NULL before init. */
struct sessions	*resolve_sessions(void);
struct rcounts	*resolve_counts(void);
/* Issue 9 item 7: RESOLVE's cache (resolve_cache.h), [daemon] cache_size applied; NULL: none. */
struct rcache	*resolve_cache(void);

/*
 * A model record's live part, appended from memory (never cached):
 * the record's LF is taken off, then " sessions=N resolves_requested=N
 * resolves_default=N resolves_fallback=N resolves_failover=N" and the LF.
 * 0 or -1 (out of memory).
 */
int	 resolve_usage_append(struct buf *, const char *model);
/* The same counters for a key (no sessions=, no LF handling). */
int	 resolve_key_usage(struct buf *, int64_t key);
/* A key's last use: the stored one, or a later one not written yet. */
int64_t	 resolve_key_last_used(int64_t key, int64_t stored);
/* STATUS: sessions= and the totals per reason. */
int	 resolve_status(struct buf *);
/* /metrics (issue 10): every RESOLVE answered, per reason (n[RC_N], rcounts.h). */
void	 resolve_totals(uint64_t *n);

#endif
