/* reg_flush.h: RESOLVE's once-a-second batch as a job: a copy of what waits, taken on the loop, written on any connection (the import worker's, so the loop never runs the upserts). */
#ifndef MODELREG_REG_FLUSH_H
#define MODELREG_REG_FLUSH_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

struct sessions;
struct rcounts;
struct flush_job;

/*
 * On the loop: prune expired sessions, then copy what waits (ended and
 * changed sessions, counts, keys' last use) into a job and mark it
 * written in memory. carry is a job that failed before (or NULL): its
 * rows come first and it is reused, so nothing of it is lost. NULL when
 * nothing waits (carry was NULL), or when out of memory (then nothing
 * was marked and carry, if any, is still the caller's). counts 0 leaves
 * the counts and keys' last use waiting (copied less often than the
 * sessions: resolve_batch.h).
 */
struct flush_job *reg_flush_collect(struct sessions *, struct rcounts *,
	    struct flush_job *carry, int64_t now, int64_t ttl, int counts);
/*
 * Anywhere, on one connection: the job's rows in one transaction that
 * does not move the write generation. wait 0: never wait for the write
 * lock (the loop's connection). 0 written, 1 busy, -1 failed; after 1 or
 * -1 the job is kept whole, to be carried into the next collect.
 */
int	 reg_flush_write(sqlite3 *, struct flush_job *, int wait);
size_t	 reg_flush_rows(const struct flush_job *);
/* The worker's outcome, carried back to the loop in the job. */
void	 reg_flush_mark_failed(struct flush_job *);
void	 reg_flush_clear_failed(struct flush_job *);
int	 reg_flush_failed(const struct flush_job *);
void	 reg_flush_free(struct flush_job *);

#endif
