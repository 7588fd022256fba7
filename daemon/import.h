/* import.h: imports off the loop (issue 8): a job's work runs on a worker thread with its own SQLite connection; writes that come meanwhile wait in order. */
#ifndef MODELREG_IMPORT_H
#define MODELREG_IMPORT_H

#include <sqlite3.h>

#include "cmd.h"	/* enum cmd_ret, struct cmd_ctx */
#include "fetch.h"	/* fetch_cb, struct fetch_result */

/*
 * work runs on the worker thread with a connection of its own to the
 * registry (opened and closed there; WAL lets the loop's connection read
 * the last committed snapshot meanwhile). It may read and write the
 * database and log, and must touch nothing else of the daemon: it gets
 * copies of what it needs through arg. done then runs on the loop, with
 * cancelled 0 after work, or 1 when the daemon stops first (work was
 * interrupted or never ran; done must still free arg).
 */
typedef void	(*import_work_fn)(sqlite3 *db, void *arg);
typedef void	(*import_done_fn)(void *arg, int cancelled);

/* One job at a time: 0 started, -1 (busy, or no thread) and done is not called. */
int	 import_start(const char *dbpath, import_work_fn, import_done_fn,
	    void *arg);
/*
 * The same for a job that writes only what no cache reads (RESOLVE's
 * sessions and counts, USAGE's groups): its commits leave the write
 * generation alone, and quiet jobs share one connection that stays open
 * from one to the next (closed by import_shutdown), so a job that runs
 * many times a second does not open, prepare and warm one each time.
 */
int	 import_start_quiet(const char *dbpath, import_work_fn, import_done_fn,
	    void *arg);
int	 import_busy(void);	/* a job runs: the loop must not write */

/*
 * The dispatcher's side: a request that writes, received while a job
 * runs, is queued with a copy of its request and answered in order after
 * the job's done (CMD_DEFERRED: its later requests stay unread meanwhile).
 */
enum cmd_ret import_defer(struct client *, const struct proto_req *,
	    struct cmd_ctx *);

/*
 * A source whose fetch ends while a job runs (its apply would write):
 * cb(fr copied, arg) runs on the loop after the job, in order with the
 * queued requests. 0, or -1 (out of memory: the caller goes on now).
 * Dropped uncalled at shutdown, like fetch_shutdown's transfers.
 */
int	 import_later(const char *what, fetch_cb, const struct fetch_result *,
	    void *arg);	/* what: the source, for the log */

/*
 * A write of the loop's own (a timer's, a reload's) that meets a job:
 * fn(arg, 0) runs on the loop after the job, in order with the queue;
 * at once when no job runs. At shutdown a call still waiting gets
 * fn(arg, 1), to free arg and write nothing. 0, or -1 (out of memory:
 * nothing was queued).
 */
typedef void	(*import_after_fn)(void *arg, int cancelled);
int	 import_after(const char *what, import_after_fn, void *arg);

/* On the worker: has the daemon asked the job to stop? (Check between steps.) */
int	 import_stopping(void);
/*
 * Tests only: with the environment variable name set to PATH, wait on
 * the worker until PATH exists (having created PATH.held), as the commit
 * gate does. 0, or non-zero when the daemon stops meanwhile.
 */
int	 import_test_wait(const char *name);

/* A job's own copy of a config list (NULL or empty: none). 0, or -1 (out of memory; free it anyway). */
struct cfg_list;
int	 import_list_copy(struct cfg_list *dst, const struct cfg_list *src);
void	 import_list_free(struct cfg_list *);

/*
 * Where a source's large body is spooled while it is imported (issue 8):
 * the database's folder ([daemon] database), which the daemon may write,
 * which is on disk rather than in memory (unlike a tmpfs /tmp), and
 * private to the daemon. fetch.c makes the file there unlinked.
 */
const char *import_spool_dir(void);

void	 import_init(void);
void	 import_shutdown(void);	/* interrupt and join a running job; drop the queue */

#endif
