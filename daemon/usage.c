/* usage.c: USAGE's group commit in the daemon (issue 10 items 1, 5): the reports of one turn of the loop queue, one zero timer hands them to the import worker, which commits them in one transaction (after an import, never during one) while the loop serves on, then each is answered; and the period's fields of SHOW and KEY SHOW. */
#include <sys/time.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "caps.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "db.h"
#include "events.h"
#include "import.h"
#include "keysecret.h"
#include "log.h"
#include "proto.h"
#include "reg_caps.h"
#include "reg_usage.h"
#include "resolve_batch.h"
#include "usage.h"
#include "usage_month.h"

#define USAGE_GROUP_MAX		4096	/* reports in one transaction; the rest go in the next */
#define USAGE_BUSY_RETRY_MS	10	/* another writer (the sqlite3 shell) holds the lock */
#define USAGE_BUSY_TRIES	500	/* ... for about 5 s, then the reports are refused */

struct pending {
	struct client		*c;	/* NULL: gone; still committed, not answered */
	struct usage_report	 r;
};

static struct pending	*q;		/* in arrival order */
static size_t		 qlen, qcap;
static void um_committed(const struct pending *, const struct usage_result *,
    size_t, int64_t);
static struct event	*ev_commit;
static int		 after_import;	/* import_after holds usage_after */
static int		 busy_tries;
static uint64_t		 n_committed, n_refused, n_groups;

/*
 * A group committed on the import worker (issue 10 item 5): the loop
 * serves RESOLVE and everything else while the group's reports are
 * judged and its transaction syncs, instead of stopping for it. The job
 * owns copies of the reports (the queue may grow and move meanwhile; its
 * first n entries stay the job's) and of the one configuration list the
 * rules read, so a reload cannot free it from under the worker.
 */
struct usage_job {
	struct usage_report	*in;
	struct usage_result	*out;
	size_t			 n;
	int64_t			 now;
	double			 max_cost;
	struct cfg_list		 fallback;
	int			 ran;		/* reg_usage_commit ran to its end */
	int			 r;		/* what it returned */
	int			 changed;
};
static struct usage_job	*inflight;

static void	usage_commit(void);

/* A client that goes with reports queued: they are committed, not answered. */
static void
usage_client_gone(void *arg)
{
	struct client	*c = arg;
	size_t		 i;

	for (i = 0; i < qlen; i++)
		if (q[i].c == c)
			q[i].c = NULL;
}

static void
commit_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	usage_commit();
}

static void
usage_arm(long ms)
{
	struct timeval	 tv = { 0, ms * 1000 };

	if (ev_commit != NULL && !evtimer_pending(ev_commit, NULL))
		evtimer_add(ev_commit, &tv);
}

static void
usage_after(void *arg, int cancelled)
{
	(void)arg;
	after_import = 0;
	if (!cancelled)
		usage_commit();
}

int
usage_queue(struct client *c, const struct usage_report *r)
{
	struct pending	*nq;
	size_t		 ncap;

	if (qlen == qcap) {
		ncap = qcap > 0 ? qcap * 2 : 256;
		if ((nq = realloc(q, ncap * sizeof(*q))) == NULL)
			return -1;
		q = nq;
		qcap = ncap;
	}
	/* The first of this client's queued replies: learn of its close. */
	if (client_queued(c) == 0)
		client_on_close(c, usage_client_gone, c);
	q[qlen].c = c;
	q[qlen].r = *r;
	qlen++;
	/*
	 * A zero timer, not event_active: it runs after the loop has polled
	 * again, so every connection ready in this turn has queued its
	 * reports first, and they share the commit.
	 */
	usage_arm(0);
	return 0;
}

static void
usage_answer(struct client *c, const struct usage_report *r,
    const struct usage_result *o)
{
	struct buf	 b = { 0 };

	switch (o->rc) {
	case USAGE_OK:
		if (lf_int(&b, "id", o->id) == -1 ||
		    lf_str(&b, "model", o->model) == -1 ||
		    lf_str(&b, "key_name", o->key_name[0] != '\0' ?
		    o->key_name : NULL) == -1 ||
		    lf_str(&b, "session", r->has_session ? r->session : NULL) ==
		    -1 ||
		    lf_int(&b, "requests", r->requests) == -1 ||
		    lf_int(&b, "prompt_tokens", r->prompt_tokens) == -1 ||
		    lf_int(&b, "completion_tokens", r->completion_tokens) == -1 ||
		    lf_num(&b, "cost_usd", o->cost) == -1 ||
		    lf_bool(&b, "priced", o->priced) == -1 || lf_end(&b) == -1)
			client_reply_queued_err(c, "internal", "out of memory "
			    "(the report was stored)");
		else
			client_reply_queued_ok(c, 1, &b);
		break;
	case USAGE_NOTFOUND:
		client_reply_queued_err(c, "notfound", "%s", o->msg);
		break;
	case USAGE_DENIED:
		client_reply_queued_err(c, "denied", "%s", o->msg);
		break;
	case USAGE_SUSPICIOUS:
		client_reply_queued_err(c, "suspicious", "%s", o->msg);
		break;
	case USAGE_LIMIT:
		client_reply_queued_err(c, "limit", "%s", o->msg);
		break;
	default:
		client_reply_queued_err(c, "internal", "%s", o->msg);
		break;
	}
	buf_free(&b);
	if (client_queued(c) == 0)
		client_on_close(c, NULL, NULL);
}

/* Answer the first n queued reports with out[0..n) and drop them. */
static void
usage_drop(const struct usage_result *out, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (out[i].rc == USAGE_OK)
			n_committed++;
		else
			n_refused++;
		if (q[i].c != NULL)
			usage_answer(q[i].c, &q[i].r, &out[i]);
		keysecret_wipe(q[i].r.key_hash, sizeof(q[i].r.key_hash));
	}
	memmove(q, q + n, (qlen - n) * sizeof(*q));
	qlen -= n;
}

/*
 * What a group's commit gave (r: 0 committed, 1 the lock was held, -1
 * failed), for the first n queued reports with their results out: the
 * answers, the counters, a cap's events; or, while the lock stays held,
 * another try soon with the reports still queued.
 */
static void
usage_finish(struct usage_result *out, size_t n, int64_t now, int r,
    int changed)
{
	size_t	 i;

	if (r == 1 && ++busy_tries < USAGE_BUSY_TRIES) {
		usage_arm(USAGE_BUSY_RETRY_MS);
		return;
	}
	if (r == 1) {
		for (i = 0; i < n; i++) {
			out[i].rc = USAGE_INTERNAL;
			snprintf(out[i].msg, sizeof(out[i].msg), "the database "
			    "is locked by another writer: the report was not "
			    "stored");
		}
		log_warnx("USAGE: the database stayed locked; %zu reports "
		    "refused", n);
	} else if (r == -1)
		log_warnx("USAGE: a group of %zu reports could not be "
		    "committed; they were refused", n);
	else {
		n_groups++;
		um_committed(q, out, n, now);
		/* Issue 10 item 2: a cap's events, and a reset that is due sooner. */
		if (changed) {
			events_notify();
			caps_check_soon();
		}
	}
	busy_tries = 0;
	usage_drop(out, n);
}

static void
usage_job_free(struct usage_job *j)
{
	if (j == NULL)
		return;
	if (j->in != NULL)
		keysecret_wipe(j->in, j->n * sizeof(*j->in));
	free(j->in);
	free(j->out);
	import_list_free(&j->fallback);
	free(j);
}

/* On the worker, with its own connection: the group's one transaction. */
static void
usage_work(sqlite3 *db, void *arg)
{
	struct usage_job	*j = arg;
	const struct cfg_list	*was;

	/* The job's own copy, on this thread (the loop's own when no worker). */
	was = reg_caps_fallback(&j->fallback);
	j->r = reg_usage_commit(db, j->in, j->out, j->n, j->now, j->max_cost,
	    &j->changed);
	(void)reg_caps_fallback(was);
	j->ran = 1;
}

/* Back on the loop: answer the group, or keep it queued for another try. */
static void
usage_work_done(void *arg, int cancelled)
{
	struct usage_job	*j = arg;

	inflight = NULL;
	if (j->ran && j->r == 0) {
		/*
		 * A quiet job's commit leaves the write generation alone; a
		 * cap that deactivated a model must move it (SHOW's cache).
		 */
		if (j->changed)
			db_generation_bump();
		usage_finish(j->out, j->n, j->now, 0, j->changed);
	} else if (cancelled) {
		/* Stopped: still queued, usage_shutdown commits them on the loop. */
	} else if (j->ran)
		usage_finish(j->out, j->n, j->now, j->r, 0);
	else
		/* The worker could not open the database: as if it were locked. */
		usage_finish(j->out, j->n, j->now, 1, 0);
	usage_job_free(j);
	if (cancelled)
		return;
	/*
	 * RESOLVE's batch skips a second that finds the worker busy; under
	 * a steady flow of reports it would find it busy every second. Its
	 * turn comes first, then the next group (which waits behind it).
	 */
	if (resolve_batch_missed())
		(void)resolve_batch_flush();
	if (qlen > 0)
		usage_arm(0);
}

/* The first n reports as a job (with copies of what it reads): NULL, out of memory. */
static struct usage_job *
usage_job_new(size_t n, int64_t now)
{
	struct usage_job	*j;
	size_t			 i;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->n = n;
	j->now = now;
	j->max_cost = (double)md.cfg->usage_max_report_cost;
	if ((j->in = malloc(n * sizeof(*j->in))) == NULL ||
	    (j->out = calloc(n, sizeof(*j->out))) == NULL ||
	    import_list_copy(&j->fallback, &md.cfg->default_fallback) == -1) {
		usage_job_free(j);
		return NULL;
	}
	for (i = 0; i < n; i++)
		j->in[i] = q[i].r;
	return j;
}

static void
usage_commit(void)
{
	struct usage_job	*j;
	size_t			 n;

	/* A group is being committed: its end arms the next one. */
	if (qlen == 0 || inflight != NULL)
		return;
	/* The worker holds the write lock: wait behind it, as every loop write does. */
	if (import_busy()) {
		if (!after_import && import_after("USAGE's reports",
		    usage_after, NULL) == 0)
			after_import = 1;
		else if (!after_import)
			usage_arm(USAGE_BUSY_RETRY_MS);
		return;
	}
	n = qlen < USAGE_GROUP_MAX ? qlen : USAGE_GROUP_MAX;
	if ((j = usage_job_new(n, (int64_t)time(NULL))) == NULL) {
		usage_arm(USAGE_BUSY_RETRY_MS);
		return;
	}
	if (import_start_quiet(md.cfg->database, usage_work, usage_work_done,
	    j) == 0) {
		inflight = j;
		return;
	}
	/* No worker (no thread; at stop): the same job here, on the loop. */
	usage_work(md.db, j);
	usage_work_done(j, 0);
}

/*
 * SHOW's live usage fields come from memory (usage_month.c): the month's
 * rollup read at start and at a month's turn, then each committed group
 * added. A SHOW served from the record cache then runs no query at all,
 * as before issue 10; a table that could not be read or grown (out of
 * memory) is stale and SHOW reads the rollup as the first version did.
 */
static struct umonth	*um;

static int
um_load_cb(const char *model, const struct usage_totals *t, void *arg)
{
	return umonth_add(arg, model, t);
}

/* The month of now in memory: 1 when it was (re)read from the rollup, else 0. */
static int
um_sync(int64_t now)
{
	int64_t	 day0 = usage_month_start_day(now);

	if (um == NULL || umonth_day0(um) == day0)
		return 0;
	umonth_reset(um, day0);
	if (reg_usage_models_since(md.db, day0, um_load_cb, um) == -1) {
		log_warnx("USAGE: cannot read the month's usage; SHOW reads it "
		    "from the database");
		umonth_reset(um, -1);
	}
	return 1;
}

/* After a committed group: its reports into memory (a month's turn rereads it all). */
static void
um_committed(const struct pending *qq, const struct usage_result *rr,
    size_t n, int64_t now)
{
	struct usage_totals	 t;
	size_t			 i;

	if (um_sync(now))
		return;
	for (i = 0; i < n; i++) {
		if (rr[i].rc != USAGE_OK)
			continue;
		t.requests = qq[i].r.requests;
		t.prompt_tokens = qq[i].r.prompt_tokens;
		t.completion_tokens = qq[i].r.completion_tokens;
		t.cost = rr[i].cost;
		(void)umonth_add(um, rr[i].model, &t);
	}
}

void
usage_init(void)
{
	if ((ev_commit = evtimer_new(md.base, commit_cb, NULL)) == NULL)
		fatalx("cannot make USAGE's commit timer");
	if ((um = umonth_new()) == NULL)
		fatalx("out of memory");
	(void)um_sync((int64_t)time(NULL));
}

void
usage_shutdown(void)
{
	if (ev_commit != NULL) {
		event_free(ev_commit);
		ev_commit = NULL;
	}
	/* The import worker is stopped: what is queued is committed now. */
	while (qlen > 0) {
		size_t before = qlen;

		usage_commit();
		if (qlen == before)
			break;
	}
	free(q);
	umonth_free(um);
	um = NULL;
	q = NULL;
	qlen = qcap = 0;
}

int
usage_model_append(struct buf *b, const char *model)
{
	struct usage_totals	 t;
	char			 month[16];
	int64_t			 now = (int64_t)time(NULL);

	(void)um_sync(now);
	if ((um == NULL || umonth_get(um, model, &t) == -1) &&
	    reg_usage_model_period(md.db, model, usage_month_start_day(now),
	    &t) == -1)
		memset(&t, 0, sizeof(t));
	if (b->len > 0 && b->data[b->len - 1] == '\n')
		b->len--;
	usage_month_name(now, month, sizeof(month));
	if (lf_str(b, "usage_period", month) == -1 ||
	    lf_int(b, "usage_requests", t.requests) == -1 ||
	    lf_int(b, "usage_prompt_tokens", t.prompt_tokens) == -1 ||
	    lf_int(b, "usage_completion_tokens", t.completion_tokens) == -1 ||
	    lf_num(b, "usage_cost_usd", t.cost) == -1 || lf_end(b) == -1)
		return -1;
	return 0;
}

int
usage_key_fields(struct buf *b, int64_t key)
{
	struct usage_totals	 t;
	char			 month[16];
	int64_t			 now = (int64_t)time(NULL);

	if (reg_usage_key_period(md.db, key, usage_month_start_day(now),
	    &t) == -1)
		memset(&t, 0, sizeof(t));
	usage_month_name(now, month, sizeof(month));
	if (lf_str(b, "usage_period", month) == -1 ||
	    lf_int(b, "usage_requests", t.requests) == -1 ||
	    lf_int(b, "usage_prompt_tokens", t.prompt_tokens) == -1 ||
	    lf_int(b, "usage_completion_tokens", t.completion_tokens) == -1 ||
	    lf_num(b, "usage_cost_usd", t.cost) == -1)
		return -1;
	return 0;
}

int
usage_status(struct buf *b)
{
	if (lf_int(b, "usage_reports", (int64_t)n_committed) == -1 ||
	    lf_int(b, "usage_refused", (int64_t)n_refused) == -1 ||
	    lf_int(b, "usage_groups", (int64_t)n_groups) == -1)
		return -1;
	return 0;
}
