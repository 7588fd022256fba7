/* sessions.h: the live sessions of RESOLVE (issue 9): in memory, one table, per key, each on one model, expiring a TTL after its last renewal; the batch writer persists them. */
#ifndef MODELREG_SESSIONS_H
#define MODELREG_SESSIONS_H

#include <stddef.h>
#include <stdint.h>

#define SESSION_ID_MAX	128	/* bytes of a session id */

struct sessions;

/*
 * A session id: 1 to SESSION_ID_MAX bytes of letters, digits, ".", "_",
 * "-" and ":" (a UUID, "conv-123", "tenant:42"): bare in logfmt and in a
 * log line. 1 valid, 0 not.
 */
int	 sessions_id_valid(const char *);

/* A table of at most max sessions that last ttl seconds after a renewal. NULL: out of memory. */
struct sessions *sessions_new(int64_t ttl, size_t max);
void	 sessions_free(struct sessions *);
/* A reload: a new ttl applies to every session from its last renewal. */
void	 sessions_set_limits(struct sessions *, int64_t ttl, size_t max);

/* Drop the sessions that expired by now (each renewal moves one to the end of the order). */
void	 sessions_prune(struct sessions *, int64_t now);

/* The model of key's live session sid, NULL when there is none. Valid until the next change. */
const char *sessions_model(struct sessions *, int64_t key, const char *sid,
	    int64_t now);

/*
 * Open, renew or move key's session sid onto model at now: 0, 1 when the
 * table is full (a new session is refused; renewals never are), -1 out
 * of memory. Marked for the writer.
 */
int	 sessions_touch(struct sessions *, int64_t key, const char *sid,
	    const char *model, int64_t now);

/*
 * Issue 9 item 7: a pipelined batch's session lookups made ahead
 * (resolve_pre.c), so that many requests' cold memory is fetched at
 * once. Hints only: nothing changes. sessions_pre_start fetches the
 * bucket of (key, sid) and returns its hash, sessions_pre_entry the
 * session the bucket holds first, sessions_pre_model that session's
 * model (which a renewal compares) when it is key's, or else the next
 * in the chain.
 */
uint64_t sessions_pre_start(const struct sessions *, int64_t key,
	    const char *sid);
void	 sessions_pre_entry(const struct sessions *, uint64_t h);
void	 sessions_pre_model(const struct sessions *, uint64_t h, int64_t key);

/* End key's session sid: 1 ended, 0 there was none (or it had expired). */
int	 sessions_release(struct sessions *, int64_t key, const char *sid,
	    int64_t now);

/* Live sessions on model (its present incarnation: see sessions_model_gone). */
size_t	 sessions_count(struct sessions *, const char *model, int64_t now);
/* Issue 12: cb(model, live count) for each model with live sessions (a copy for a job off the loop); non-zero stops. */
int	 sessions_each_model(struct sessions *, int64_t now,
	    int (*cb)(const char *model, size_t count, void *arg), void *arg);
/* Live sessions in all. */
size_t	 sessions_live(struct sessions *, int64_t now);

/*
 * The model was deleted: its sessions stop counting for the id (a model
 * added later under it starts at 0), and each stays, still naming the
 * id, so that its next RESOLVE falls back with requested= that id.
 */
void	 sessions_model_gone(struct sessions *, const char *model);

/*
 * Issue 9 item 7: mark every session whose last renewal is not written
 * yet (a plain renewal waits up to a quarter of the TTL, at most 60 s,
 * to be written): for the last batch at stop.
 */
void	 sessions_mark_renewed(struct sessions *);

/* A session read back at start (not marked for the writer). 0, 1 full, -1. */
int	 sessions_load(struct sessions *, int64_t key, const char *sid,
	    const char *model, int64_t renewed_at, int orphan);

/*
 * The writer (reg_sessions.c): del is called for every session ended
 * since the last sessions_clean, then put for every session opened,
 * renewed or moved since; either returning -1 stops the walk (-1). After
 * the transaction commits, sessions_clean forgets the marks; after a
 * rollback the marks stay and the next flush writes them again.
 */
struct sessions_writer {
	int	(*del)(void *arg, int64_t key, const char *sid);
	int	(*put)(void *arg, int64_t key, const char *sid,
		    const char *model, int64_t renewed_at, int orphan);
	void	*arg;
};
int	 sessions_write(struct sessions *, const struct sessions_writer *);
void	 sessions_clean(struct sessions *);
/* Marks waiting for the writer (ended + changed), and expiries since the last clean (their rows are pruned). */
size_t	 sessions_pending(struct sessions *);

#endif
