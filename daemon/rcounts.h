/* rcounts.h: RESOLVE's counters (issue 9) in memory: totals per model, per key and in all, per reason, and the counts and last uses not yet written. */
#ifndef MODELREG_RCOUNTS_H
#define MODELREG_RCOUNTS_H

#include <stddef.h>
#include <stdint.h>

enum rc_reason { RC_REQUESTED = 0, RC_DEFAULT, RC_FALLBACK, RC_FAILOVER, RC_N };

/* The reason's name ("requested"...), and its number (-1: unknown). */
const char *rcounts_reason_name(int);
int	 rcounts_reason(const char *);

struct rcounts;

/* At most max (model, key) pairs waiting for the writer. NULL: out of memory. */
struct rcounts *rcounts_new(size_t max);
void	 rcounts_free(struct rcounts *);

/*
 * One RESOLVE answered model for key (0: none) with reason, at now: the
 * totals move at once, the count waits for the writer, and so does the
 * key's last use. 0; 1 when the pairs waiting are at their bound (the
 * count is shown but will not be written); -1 out of memory.
 */
int	 rcounts_add(struct rcounts *, const char *model, int64_t key,
	    int reason, int64_t now);

/*
 * Where the last count of one (model, key) went, kept by the caller
 * beside what it counts (RESOLVE's cached answer; zeroed: none yet).
 * rcounts_add_hint counts like rcounts_add, straight into the pair the
 * hint names when the hint is still good (no hash, no lookup, no string
 * compare: at 100k pairs those were a fifth of a cached RESOLVE), and
 * otherwise looks the pair up and sets the hint to it. rcounts_clean,
 * which frees the pairs, moves an epoch that voids every hint. A hint
 * must only ever be used with the same model and key.
 */
struct rcounts_hint {
	void		*pair;
	uint64_t	 epoch;
};
int	 rcounts_add_hint(struct rcounts *, struct rcounts_hint *,
	    const char *model, int64_t key, int reason, int64_t now);
/*
 * Issue 9 item 7: a pipelined batch fetches ahead where a hint's count
 * will go (resolve_pre.c): stage 0 the pair, stage 1 (once the pair has
 * come) its key's totals. A hint of another epoch (its pair freed) is
 * not touched. Hints only: nothing changes.
 */
void	 rcounts_hint_prefetch(const struct rcounts *,
	    const struct rcounts_hint *, int stage);

/* Totals read back at start (not written again). 0 or -1. */
int	 rcounts_load_model(struct rcounts *, const char *model, int reason,
	    uint64_t n);
int	 rcounts_load_key(struct rcounts *, int64_t key, int reason,
	    uint64_t n, int64_t last_used);
/* Issue 9 item 7: mark every key whose last use is not written yet (a use waits up to 60 s to be written): for the last batch at stop. */
void	 rcounts_mark_used(struct rcounts *);

/* Totals per reason (n[RC_N]); a model or key never counted has zeros. */
void	 rcounts_model(struct rcounts *, const char *model, uint64_t *n);
void	 rcounts_key(struct rcounts *, int64_t key, uint64_t *n);
void	 rcounts_total(struct rcounts *, uint64_t *n);
/* The key's last use as RESOLVE saw it (0: none since the start). */
int64_t	 rcounts_last_used(struct rcounts *, int64_t key);
/* Counts that could not wait for the writer (the bound), since the start. */
uint64_t rcounts_dropped(struct rcounts *);

/* The writer: every waiting count, then every waiting last use; -1 from a callback stops (-1). */
struct rcounts_writer {
	int	(*count)(void *arg, const char *model, int64_t key, int reason,
		    uint64_t n, int64_t at);
	int	(*used)(void *arg, int64_t key, int64_t at);
	void	*arg;
};
int	 rcounts_write(struct rcounts *, const struct rcounts_writer *);
/* After the commit: nothing waits any more. */
void	 rcounts_clean(struct rcounts *);
size_t	 rcounts_pending(struct rcounts *);

#endif
