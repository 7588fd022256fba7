/* db_sessions.h: the SQL of RESOLVE's batched writes (issue 9): sessions, the counters, keys' last use; one transaction that never waits for the write lock. */
#ifndef MODELREG_DB_SESSIONS_H
#define MODELREG_DB_SESSIONS_H

#include <stdint.h>
#include <sqlite3.h>

/* BEGIN IMMEDIATE without waiting: 0, 1 busy (another writer: try later), -1. */
int	 db_batch_begin(sqlite3 *);
/* COMMIT without moving the write generation (nothing cached reads these tables): 0 or -1 (rolled back). */
int	 db_batch_commit(sqlite3 *);

int	 db_session_put(sqlite3 *, int64_t key, const char *sid,
	    const char *model, int64_t renewed_at, int orphan);
int	 db_session_del(sqlite3 *, int64_t key, const char *sid);
/* Sessions renewed at or before before. */
int	 db_sessions_prune(sqlite3 *, int64_t before);
int	 db_rcount_add(sqlite3 *, const char *model, int64_t key,
	    const char *reason, uint64_t n, int64_t at);
int	 db_key_used(sqlite3 *, int64_t key, int64_t at);

/* Read back at start: sessions renewed after since, oldest first; counts per model; per key. -1 on error or a callback's -1. */
int	 db_sessions_load(sqlite3 *, int64_t since,
	    int (*cb)(void *, int64_t key, const char *sid, const char *model,
	    int64_t renewed_at, int orphan), void *arg);
int	 db_rcounts_load(sqlite3 *,
	    int (*model_cb)(void *, const char *model, const char *reason,
	    uint64_t n),
	    int (*key_cb)(void *, int64_t key, const char *reason, uint64_t n,
	    int64_t last_used), void *arg);

#endif
