/* import.c: run an import's work (a seed's parse and apply) on a worker thread with its own SQLite connection; queue the loop's writes until it is done. */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "fetch.h"
#include "db.h"
#include "db_import.h"
#include "import.h"
#include "log.h"
#include "proto.h"

/*
 * Why a thread and not slices: the apply of a seed is one transaction
 * (all or nothing), and SQLite cannot interleave it with the loop's own
 * transactions on one connection. So the whole job runs on a worker with
 * its own connection; the loop's connection keeps reading the last
 * committed snapshot (WAL), and the loop itself writes nothing while the
 * job runs: a request that would write is queued here and run, in order,
 * when the job is done. The loop never waits on SQLite's busy handler.
 *
 * The worker talks to the loop through a pipe (one byte: "done"), so
 * libevent needs no thread support; the job's memory is the worker's
 * until that byte is read, then the loop's.
 */

/* A request that waits for the import, or a source's fetch result that does. */
struct import_wait {
	TAILQ_ENTRY(import_wait) entry;
	struct client		*c;		/* NULL: a fetch result, or after */
	struct proto_req	 req;
	import_after_fn		 after;		/* non-NULL: import_after's call */
	fetch_cb		 cb;
	void			*cbarg;
	struct fetch_result	 fr;		/* its strings below, owned */
	char			*body, *etag, *last_modified;
};

static struct {
	int			 inited;
	int			 busy;		/* a job runs (loop only) */
	int			 quiet;		/* the job commits without moving the generation */
	int			 pipe[2];
	struct event		*ev;		/* the pipe's read end */
	pthread_t		 thread;
	char			*dbpath;
	import_work_fn		 work;
	import_done_fn		 done;
	void			*arg;
	pthread_mutex_t		 lock;		/* guards db and stop */
	sqlite3			*db;		/* the worker's connection, for sqlite3_interrupt */
	/*
	 * Quiet jobs' connection (RESOLVE's batches, USAGE's groups), kept
	 * open from one job to the next: opening one, preparing its
	 * statements and warming its pages for each group of reports cost
	 * more than the group's commit (issue 10: USAGE unpipelined fell from
	 * 33k to 11k reports/s). Only the worker touches it during a job,
	 * only the loop after the last join.
	 */
	sqlite3			*qdb;
	int			 stop;
	int			 cancelled;	/* work did not run to its end */
	int			 wal_pages;	/* the WAL after the job's last commit */
	int			 ckpt_owed;	/* a checkpoint job is to follow */
	struct event		*drain;		/* zero-delay: answer the queue */
	char			*gate;		/* MODELREGD_TEST_IMPORT_GATE, tests only */
	TAILQ_HEAD(, import_wait) queue;
} imp = { .pipe = { -1, -1 } };

static void import_drain(evutil_socket_t, short, void *);
static void import_ckpt_work(sqlite3 *, void *);
static void import_wait_free(struct import_wait *);
static int import_start_job(const char *, import_work_fn, import_done_fn,
    void *, int);

/*
 * For the tests only: with MODELREGD_TEST_IMPORT_GATE=PATH in the
 * environment, a job's commit waits, with its write transaction open,
 * until PATH exists (at most 60 s), having created PATH.held to say it
 * waits. That lets a test talk to the daemon while an import is
 * certainly under way, with no timing guess. Unset, nothing changes.
 */
static int
import_gate_wait(const char *gate)
{
	char		 held[4096];
	int		 fd, i, stop = 0;

	if (access(gate, F_OK) == 0)
		return 0;
	snprintf(held, sizeof(held), "%s.held", gate);
	if ((fd = open(held, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	for (i = 0; i < 6000 && access(gate, F_OK) == -1; i++) {
		pthread_mutex_lock(&imp.lock);
		stop = imp.stop;
		pthread_mutex_unlock(&imp.lock);
		if (stop)
			break;
		usleep(10000);
	}
	(void)unlink(held);
	return stop;	/* non-zero: the commit becomes a rollback */
}

static int
import_test_gate(void *arg)
{
	return import_gate_wait(arg);
}

int
import_test_wait(const char *name)
{
	const char	*gate = getenv(name);

	if (gate == NULL || gate[0] == '\0' || strlen(gate) >= 4000)
		return 0;
	return import_gate_wait(gate);
}

/*
 * sqlite3_interrupt stops the statement running when it is called; a
 * parse runs one short statement per element (issue 8), so the stop
 * would often fall between two and be lost. The progress handler asks
 * every 1000 instructions instead, whatever runs then.
 */
static int
import_progress(void *unused)
{
	(void)unused;
	return import_stopping();
}

static void *
import_thread(void *unused)
{
	sqlite3		*db;
	char		 c = 'd';
	int		 stop;

	(void)unused;
	/* A quiet job writes nothing a cache reads: not even its open moves the generation. */
	if (imp.quiet) {
		db_generation_quiet(1);
		if (imp.qdb == NULL)
			imp.qdb = db_open(imp.dbpath);
		db = imp.qdb;
	} else {
		db = db_open(imp.dbpath);
		if (db != NULL && db_import_tune(db) == -1) {
			db_close(db);
			db = NULL;
		}
		/* Its commit leaves the WAL to the job after it (db.c says why). */
		if (db != NULL)
			db_checkpoint_defer(db, &imp.wal_pages);
	}
	pthread_mutex_lock(&imp.lock);
	imp.db = db;
	stop = imp.stop;
	pthread_mutex_unlock(&imp.lock);
	if (db != NULL)
		sqlite3_progress_handler(db, 1000, import_progress, NULL);
	if (db != NULL && imp.gate != NULL)
		sqlite3_commit_hook(db, import_test_gate, imp.gate);
	/* A connection that cannot open runs nothing: the job sees it did not run. */
	if (db != NULL && !stop)
		imp.work(db, imp.arg);
	pthread_mutex_lock(&imp.lock);
	imp.db = NULL;
	if (imp.stop)
		imp.cancelled = 1;
	pthread_mutex_unlock(&imp.lock);
	if (!imp.quiet)
		db_close(db);
	else if (db != NULL) {
		/*
		 * Kept for the next job, with no transaction left open. (The
		 * tests' gate, if set, stays its commit hook: every job sets
		 * it again anyway.)
		 */
		if (!sqlite3_get_autocommit(db))
			(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_progress_handler(db, 0, NULL, NULL);
	}
	while (write(imp.pipe[1], &c, 1) == -1 && errno == EINTR)
		;
	return NULL;
}

/*
 * The checkpoint an import's commit left (issue 8): the WAL's pages
 * copied into the database, PASSIVE (readers are not waited for), as a
 * quiet job of its own after the import's job is done, so that the
 * import's reply and events come first. Queued writes wait for it as
 * they waited for the checkpoint in the import's commit before.
 */
static void
import_ckpt_work(sqlite3 *db, void *unused)
{
	(void)unused;
	if (db_checkpoint(db) == -1)
		log_warnx("import: checkpoint: %s", sqlite3_errmsg(db));
}

static void
import_noop_done(void *unused, int cancelled)
{
	(void)unused;
	(void)cancelled;
}

/*
 * The search index's dirty keys (schema 11, db.c): applied by a job of
 * their own after an import that left some, before the queued writes,
 * in one transaction (db_import_finish, which also builds what a first
 * load left, if anything).
 */
static void
import_flush_work(sqlite3 *db, void *unused)
{
	(void)unused;
	if (db_import_finish(db) == -1)
		log_warnx("import: the search index: %s; it is applied after "
		    "the next import", sqlite3_errmsg(db));
}

/* The worker is done: join it, hand the job back, answer the queued writes. */
static void
import_finished(evutil_socket_t fd, short what, void *unused)
{
	char	*path;
	char	 c;
	int	 flush;

	(void)what;
	(void)unused;
	if (read(fd, &c, 1) != 1)
		return;
	pthread_join(imp.thread, NULL);
	imp.busy = 0;
	if (imp.work == import_ckpt_work)
		imp.ckpt_owed = 0;
	else if (!imp.quiet && db_checkpoint_due(imp.wal_pages))
		imp.ckpt_owed = 1;
	flush = !imp.quiet && imp.work != import_flush_work &&
	    !imp.cancelled;
	path = imp.dbpath;
	imp.dbpath = NULL;
	imp.done(imp.arg, imp.cancelled);
	/* A job that done started keeps the hold; its end comes back here. */
	if (!imp.busy && flush && path != NULL && db_search_dirty(md.db) == 1)
		(void)import_start_job(path, import_flush_work,
		    import_noop_done, NULL, 0);
	if (!imp.busy && !(imp.ckpt_owed && path != NULL &&
	    import_start_job(path, import_ckpt_work, import_noop_done, NULL,
	    1) == 0)) {
		imp.ckpt_owed = 0;
		db_checkpoint_hold(0);
	}
	free(path);
	event_active(imp.drain, EV_TIMEOUT, 0);
}

void
import_init(void)
{
	const char	*gate;

	if (imp.inited)
		return;
	TAILQ_INIT(&imp.queue);
	if (pipe(imp.pipe) == -1)
		fatal("import: pipe");
	if (fcntl(imp.pipe[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(imp.pipe[1], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(imp.pipe[0], F_SETFL, O_NONBLOCK) == -1)
		fatal("import: fcntl");
	if (pthread_mutex_init(&imp.lock, NULL) != 0)
		fatalx("import: mutex");
	imp.ev = event_new(md.base, imp.pipe[0], EV_READ | EV_PERSIST,
	    import_finished, NULL);
	imp.drain = event_new(md.base, -1, 0, import_drain, NULL);
	if (imp.ev == NULL || imp.drain == NULL || event_add(imp.ev, NULL) == -1)
		fatalx("import: cannot make its events");
	if ((gate = getenv("MODELREGD_TEST_IMPORT_GATE")) != NULL &&
	    gate[0] != '\0' && strlen(gate) < 4000 &&
	    (imp.gate = strdup(gate)) != NULL)
		log_warnx("import: MODELREGD_TEST_IMPORT_GATE is set: imports "
		    "wait for %s before they commit (tests only)", imp.gate);
	if ((gate = getenv("MODELREGD_TEST_FINISH_GATE")) != NULL &&
	    gate[0] != '\0')
		log_warnx("import: MODELREGD_TEST_FINISH_GATE is set: the "
		    "indexes a seed leaves wait for %s (tests only)", gate);
	imp.inited = 1;
}

const char *
import_spool_dir(void)
{
	static char	 dir[4096];
	const char	*db = md.cfg->database, *slash;

	if (db == NULL || (slash = strrchr(db, '/')) == NULL)
		return ".";
	if (slash == db)
		return "/";
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - db), db);
	return dir;
}

int
import_busy(void)
{
	return imp.busy;
}

int
import_list_copy(struct cfg_list *dst, const struct cfg_list *src)
{
	size_t	 i;

	dst->n = 0;
	dst->v = NULL;
	if (src == NULL || src->n == 0)
		return 0;
	if ((dst->v = calloc(src->n, sizeof(*dst->v))) == NULL)
		return -1;
	for (i = 0; i < src->n; i++) {
		dst->n = i + 1;
		if (src->v[i] != NULL && (dst->v[i] = strdup(src->v[i])) == NULL)
			return -1;
	}
	return 0;
}

void
import_list_free(struct cfg_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
import_stopping(void)
{
	int	 stop;

	pthread_mutex_lock(&imp.lock);
	stop = imp.stop;
	pthread_mutex_unlock(&imp.lock);
	return stop;
}

int
import_start(const char *dbpath, import_work_fn work, import_done_fn done,
    void *arg)
{
	return import_start_job(dbpath, work, done, arg, 0);
}

int
import_start_quiet(const char *dbpath, import_work_fn work,
    import_done_fn done, void *arg)
{
	return import_start_job(dbpath, work, done, arg, 1);
}

static int
import_start_job(const char *dbpath, import_work_fn work, import_done_fn done,
    void *arg, int quiet)
{
	int	 rc;

	if (!imp.inited || imp.busy)
		return -1;
	if ((imp.dbpath = strdup(dbpath)) == NULL) {
		log_warn("import");
		return -1;
	}
	imp.quiet = quiet;
	imp.work = work;
	imp.done = done;
	imp.arg = arg;
	imp.stop = 0;
	imp.cancelled = 0;
	if ((rc = pthread_create(&imp.thread, NULL, import_thread, NULL)) != 0) {
		log_warnx("import: cannot start a thread: %s", strerror(rc));
		free(imp.dbpath);
		imp.dbpath = NULL;
		return -1;
	}
	/* Its commit leaves the checkpoint to a job after it: none meanwhile. */
	if (!quiet)
		db_checkpoint_hold(1);
	imp.busy = 1;
	return 0;
}

static void
import_wait_gone(void *arg)
{
	struct import_wait	*w = arg;

	TAILQ_REMOVE(&imp.queue, w, entry);
	import_wait_free(w);
}

enum cmd_ret
import_defer(struct client *c, const struct proto_req *req,
    struct cmd_ctx *ctx)
{
	struct import_wait	*w;
	int			 i;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return cmd_err(ctx, "internal", "out of memory");
	w->c = c;
	/* The words point into req->store: move them with it. */
	memcpy(&w->req, req, sizeof(w->req));
	for (i = 0; i < req->argc; i++)
		w->req.argv[i] = w->req.store + (req->argv[i] - req->store);
	for (i = 0; i < req->optc; i++) {
		w->req.optk[i] = w->req.store + (req->optk[i] - req->store);
		w->req.optv[i] = w->req.store + (req->optv[i] - req->store);
	}
	TAILQ_INSERT_TAIL(&imp.queue, w, entry);
	client_on_close(c, import_wait_gone, w);
	log_debug("uid %u: %s waits for the import", (unsigned)client_uid(c),
	    req->argv[0]);
	return CMD_DEFERRED;
}

static void
import_wait_free(struct import_wait *w)
{
	if (w->c == NULL && w->after == NULL && w->fr.fd != -1)
		close(w->fr.fd);
	free(w->body);
	free(w->etag);
	free(w->last_modified);
	free(w);
}

static char *
import_strdup(const char *s, int *fail)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*fail = 1;
	return d;
}

int
import_later(const char *what, fetch_cb cb, const struct fetch_result *fr,
    void *arg)
{
	struct import_wait	*w;
	int			 fail = 0;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->cb = cb;
	w->cbarg = arg;
	w->fr = *fr;
	w->fr.fd = -1;
	/* A spooled body is not copied: the file is shared (issue 8). */
	if (fr->fd != -1) {
		if ((w->fr.fd = fcntl(fr->fd, F_DUPFD_CLOEXEC, 0)) == -1)
			fail = 1;
	} else if (fr->body != NULL) {
		if ((w->body = malloc(fr->len + 1)) == NULL)
			fail = 1;
		else {
			memcpy(w->body, fr->body, fr->len);
			w->body[fr->len] = '\0';
		}
	}
	w->etag = import_strdup(fr->etag, &fail);
	w->last_modified = import_strdup(fr->last_modified, &fail);
	if (fail) {
		import_wait_free(w);
		return -1;
	}
	w->fr.body = w->body != NULL ? w->body : "";
	w->fr.etag = w->etag;
	w->fr.last_modified = w->last_modified;
	TAILQ_INSERT_TAIL(&imp.queue, w, entry);
	log_debug("%s: the response waits for the import under way", what);
	return 0;
}

int
import_after(const char *what, import_after_fn fn, void *arg)
{
	struct import_wait	*w;

	if (!imp.busy) {
		fn(arg, 0);
		return 0;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->after = fn;
	w->cbarg = arg;
	w->fr.fd = -1;
	TAILQ_INSERT_TAIL(&imp.queue, w, entry);
	log_debug("%s waits for the import under way", what);
	return 0;
}

/* Run the queued requests and results in order, until one starts another job. */
static void
import_drain(evutil_socket_t fd, short what, void *unused)
{
	struct import_wait	*w;
	struct cmd_ctx		 ctx;
	struct buf		 out = { NULL, 0, 0 };
	enum cmd_ret		 rv;

	(void)fd;
	(void)what;
	(void)unused;
	while (!imp.busy && (w = TAILQ_FIRST(&imp.queue)) != NULL) {
		TAILQ_REMOVE(&imp.queue, w, entry);
		if (w->after != NULL) {
			w->after(w->cbarg, 0);
			import_wait_free(w);
			continue;
		}
		if (w->c == NULL) {
			w->cb(&w->fr, w->cbarg);
			import_wait_free(w);
			continue;
		}
		client_on_close(w->c, NULL, NULL);
		memset(&ctx, 0, sizeof(ctx));
		ctx.client = w->c;
		ctx.req = &w->req;
		ctx.out = &out;
		rv = cmd_dispatch(w->c, &w->req, &ctx);
		switch (rv) {
		case CMD_OK:
		case CMD_CLOSE:		/* QUIT is not a write: never queued */
		case CMD_STREAM:	/* nor is WATCH */
			client_reply_ok(w->c, ctx.n, &out);
			break;
		case CMD_ERR:
			client_reply_err(w->c, ctx.code, "%s", ctx.msg);
			break;
		case CMD_DEFERRED:
			/* Queued again, or a handler that replies later: still busy. */
			break;
		case CMD_QUEUED:
			/*
			 * Issue 10: USAGE is a service verb, answered during an
			 * import and never queued here; its report is committed
			 * and its reply, having no place, dropped.
			 */
			client_reply_err(w->c, "internal", "a queued reply "
			    "cannot wait for an import");
			break;
		case CMD_PRODUCE:
			/* A write whose reply streams (BATCH): as if answered at once. */
			client_reply_produce(w->c, ctx.n, ctx.produce,
			    ctx.produce_free, ctx.produce_arg);
			break;
		}
		buf_free(&out);
		import_wait_free(w);
	}
}

void
import_shutdown(void)
{
	struct import_wait	*w;
	char			 c;

	if (!imp.inited)
		return;
	if (imp.busy) {
		log_info("import: stopping the import under way");
		pthread_mutex_lock(&imp.lock);
		imp.stop = 1;
		if (imp.db != NULL)
			sqlite3_interrupt(imp.db);
		pthread_mutex_unlock(&imp.lock);
		pthread_join(imp.thread, NULL);
		while (read(imp.pipe[0], &c, 1) == -1 && errno == EINTR)
			;
		imp.busy = 0;
		free(imp.dbpath);
		imp.dbpath = NULL;
		imp.done(imp.arg, 1);
	}
	/* Like fetch_shutdown: results still waiting are dropped uncalled. */
	while ((w = TAILQ_FIRST(&imp.queue)) != NULL) {
		TAILQ_REMOVE(&imp.queue, w, entry);
		if (w->c != NULL)
			client_on_close(w->c, NULL, NULL);
		if (w->after != NULL)
			w->after(w->cbarg, 1);
		import_wait_free(w);
	}
	/* No job runs any more: the quiet jobs' connection goes. */
	db_close(imp.qdb);
	imp.qdb = NULL;
	event_free(imp.ev);
	event_free(imp.drain);
	close(imp.pipe[0]);
	close(imp.pipe[1]);
	pthread_mutex_destroy(&imp.lock);
	free(imp.gate);
	imp.gate = NULL;
	imp.inited = 0;
}
