/* reg_sessions.h: the rules of RESOLVE's sessions and batched writes (issue 9): a session's model as the one asked for, RELEASE, and the one transaction that writes sessions, counts and keys' last use. */
#ifndef MODELREG_REG_SESSIONS_H
#define MODELREG_REG_SESSIONS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "rcounts.h"
#include "reg_resolve.h"
#include "sessions.h"

/*
 * RESOLVE session=ID without MODEL (called by reg_resolve once the key
 * is known): the live session's model is the one asked for (requested=
 * it, so a model that went inactive, expired or was removed falls back);
 * without a live session, the default. The same rule answers either way.
 */
enum reg_resolve_rc reg_resolve_session(sqlite3 *,
	    const struct reg_resolve_in *, struct reg_resolve_out *,
	    char *msg, size_t len);

/*
 * After RESOLVE answered out for in: open, renew or move the session
 * (in->session), count the answer and the key's use. All in memory,
 * for the writer. RES_OK, or RES_UNAVAILABLE when the table of sessions
 * is full (msg says so; nothing is counted).
 */
enum reg_resolve_rc reg_resolve_note(struct sessions *, struct rcounts *,
	    const struct reg_resolve_in *, const struct reg_resolve_out *,
	    char *msg, size_t len);
/*
 * Issue 9 item 7: the name RESOLVE asks for: model when given, else the
 * model of key's live session (copied to buf), else NULL (the default).
 */
const char *reg_resolve_asked(struct sessions *, int64_t key,
	    const char *model, const char *session, int64_t now, char *buf,
	    size_t len);
/*
 * The same from what RESOLVE's cache keeps (issue 9 item 7): session
 * (NULL: none), key (0: none), the model answered and the reason
 * (rcounts_reason), at now; hint (NULL: none) the cached answer's
 * rcounts_hint, for a count with no lookup.
 */
struct rcounts_hint;
enum reg_resolve_rc reg_resolve_note_ids(struct sessions *, struct rcounts *,
	    const char *session, int64_t key, const char *model, int reason,
	    int64_t now, struct rcounts_hint *hint, char *msg, size_t len);

/* RELEASE session=ID [key=SECRET]: the key's session ends. */
struct reg_release_in {
	const char	*session;
	const char	*secret;	/* NULL: the sessions without a key */
	int64_t		 now;
};
struct reg_release_out {
	int		 released;	/* 0: there was no live session */
	char		 model[256];	/* the model it was on */
	char		 key_name[65];	/* "" without a key */
};
enum reg_resolve_rc reg_release(sqlite3 *, struct sessions *,
	    const struct reg_release_in *, struct reg_release_out *,
	    char *msg, size_t len);

/*
 * The batch: one transaction that writes what waits (ended and changed
 * sessions, counts, keys' last use) and prunes sessions expired by now;
 * it never waits for the write lock and does not move the write
 * generation. 0 written (or nothing to write), 1 busy (kept for the next
 * time), -1 failed (kept; logged).
 */
int	 reg_batch_flush(sqlite3 *, struct sessions *, struct rcounts *,
	    int64_t now, int64_t ttl);
/* Read sessions live at now and the counts back (start). 0 or -1. */
int	 reg_batch_load(sqlite3 *, struct sessions *, struct rcounts *,
	    int64_t now, int64_t ttl);

#endif
