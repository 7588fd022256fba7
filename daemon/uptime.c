/* uptime.c: the "uptime" source: fetch every synced model's endpoints and hand the samples to reg_uptime_record. */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "events.h"
#include "fetch.h"
#include "import.h"
#include "log.h"
#include "reg_uptime.h"
#include "registry.h"
#include "source.h"
#include "uptime.h"

#define UPTIME_URL_MAX	8192	/* bytes of an expanded URL */
#define UPTIME_KEY_MAX	4096	/* bytes of api_key_file we accept */
/*
 * Ids listed per loop callback at a run's start (issue 8): about 1 ms
 * each, where listing 100k models at once held the loop 49 ms.
 */
#define UPTIME_LIST_PAGE	2000

/* One synced model in the run: its fetch and what came of it. */
enum item_state { IT_QUEUED = 0, IT_FETCHING, IT_SAMPLED, IT_FAILED };

struct uptime_item {
	char			*id;
	enum item_state		 state;
	struct fetch		*fetch;
	struct uptime_reading	 reading;
	char			 err[256];
};

/*
 * The one uptime source and its run in flight. What the run needs from
 * the config is copied at its start: a reload may free that config
 * before the fetches end.
 */
static struct {
	struct source		 src;
	struct event		*finish;	/* ends a run from the loop */
	struct event		*list;		/* lists the next page of models */
	int			 inited;
	/* The run's longest loop callback of each kind, ms (debug log). */
	double			 max_list, max_parse, max_end;
	char			**ids;		/* listed so far, while listing */
	size_t			 nids, capids;
	struct timespec		 list_t0;

	int			 active;	/* a run is under way */
	struct uptime_item	*items;
	size_t			 n, next, inflight;
	char			 fail[256];	/* the run failed before fetching */

	char			*tmpl;
	char			*bearer;
	long			 timeout_ms;
	size_t			 max_bytes;
	int			 concurrency;
	struct reg_uptime_settings settings;
} up;

/*
 * Expand every "{id}" of tmpl with id escaped for a URL path: bytes
 * other than the unreserved A-Za-z0-9-._~ become %XX, except '/', kept
 * because OpenRouter ids are author/slug and its endpoint is
 * /models/author/slug/endpoints. An id with an empty, "." or ".."
 * segment could address another path: it is refused. Pure; returns a
 * string the caller frees, or NULL with err set.
 */
static char *
uptime_url(const char *tmpl, const char *id, char *err, size_t errlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	struct buf		 b = { 0 };
	const char		*p, *seg;
	size_t			 len;
	unsigned char		 c;

	for (seg = id;; seg += len + 1) {
		len = strcspn(seg, "/");
		if (len == 0 || (len == 1 && seg[0] == '.') ||
		    (len == 2 && seg[0] == '.' && seg[1] == '.')) {
			snprintf(err, errlen, "the id cannot be used in a URL "
			    "path");
			return NULL;
		}
		if (seg[len] == '\0')
			break;
	}
	for (p = tmpl; *p != '\0'; ) {
		if (strncmp(p, "{id}", 4) == 0) {
			for (seg = id; *seg != '\0'; seg++) {
				c = (unsigned char)*seg;
				if ((c >= 'A' && c <= 'Z') ||
				    (c >= 'a' && c <= 'z') ||
				    (c >= '0' && c <= '9') || c == '-' ||
				    c == '.' || c == '_' || c == '~' || c == '/') {
					if (buf_putc(&b, c) == -1)
						goto nomem;
				} else if (buf_putc(&b, '%') == -1 ||
				    buf_putc(&b, hex[c >> 4]) == -1 ||
				    buf_putc(&b, hex[c & 0xf]) == -1)
					goto nomem;
			}
			p += 4;
		} else if (buf_putc(&b, *p++) == -1)
			goto nomem;
		if (b.len > UPTIME_URL_MAX) {
			snprintf(err, errlen, "the URL is longer than %d bytes",
			    UPTIME_URL_MAX);
			buf_free(&b);
			return NULL;
		}
	}
	if (b.data == NULL && buf_puts(&b, "") == -1)
		goto nomem;
	return b.data;
nomem:
	snprintf(err, errlen, "out of memory");
	buf_free(&b);
	return NULL;
}

static double	uptime_ms_since(const struct timespec *);

/* Forget the run: cancel its transfers, free what it holds. */
static void
uptime_clear_run(void)
{
	size_t	 i;

	for (i = 0; i < up.n; i++) {
		if (up.items[i].fetch != NULL)
			fetch_cancel(up.items[i].fetch);
		free(up.items[i].id);
	}
	free(up.items);
	up.items = NULL;
	up.n = up.next = up.inflight = 0;
	if (up.list != NULL)
		evtimer_del(up.list);
	reg_uptime_ids_free(up.ids, up.nids);
	up.ids = NULL;
	up.nids = up.capids = 0;
	free(up.tmpl);
	up.tmpl = NULL;
	if (up.bearer != NULL) {
		explicit_bzero(up.bearer, strlen(up.bearer));
		free(up.bearer);
		up.bearer = NULL;
	}
	up.fail[0] = '\0';
	up.max_list = up.max_parse = up.max_end = 0;
	up.active = 0;
}

/* End the run from the loop, never from inside a callback's caller. */
static void
uptime_schedule_finish(void)
{
	static const struct timeval	 now = { 0, 0 };

	if (evtimer_add(up.finish, &now) == -1)
		fatalx("uptime: cannot arm a timer");
}

static void	uptime_fetched(const struct fetch_result *, void *);

/* Start transfers until cfg concurrency are in flight; when all are done, finish. */
static void
uptime_pump(void)
{
	struct fetch_req	 req;
	struct uptime_item	*it;
	char			*url;

	while (up.inflight < (size_t)up.concurrency && up.next < up.n) {
		it = &up.items[up.next++];
		if ((url = uptime_url(up.tmpl, it->id, it->err,
		    sizeof(it->err))) == NULL) {
			it->state = IT_FAILED;
			log_warnx("uptime: %s: %s", it->id, it->err);
			continue;
		}
		memset(&req, 0, sizeof(req));
		req.url = url;
		req.bearer = up.bearer;
		req.timeout_ms = up.timeout_ms;
		req.max_bytes = up.max_bytes;
		it->fetch = fetch_start(&req, uptime_fetched, it);
		free(url);
		if (it->fetch == NULL) {
			it->state = IT_FAILED;
			snprintf(it->err, sizeof(it->err), "cannot start the "
			    "transfer");
			log_warnx("uptime: %s: %s", it->id, it->err);
			continue;
		}
		it->state = IT_FETCHING;
		up.inflight++;
	}
	if (up.inflight == 0 && up.next == up.n)
		uptime_schedule_finish();
}

/* One model's endpoints arrived (or not): parse them now, record them at the end. */
static void
uptime_fetched(const struct fetch_result *fr, void *arg)
{
	struct uptime_item	*it = arg;
	struct timespec		 t0;
	double			 ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	it->fetch = NULL;
	up.inflight--;
	it->state = IT_FAILED;
	if (!fr->ok)
		snprintf(it->err, sizeof(it->err), "%s", fr->err);
	else if (fr->not_modified)
		/* We send no validator: a 304 carries nothing. */
		snprintf(it->err, sizeof(it->err), "unexpected HTTP 304");
	else if (reg_uptime_parse(md.db, fr->body, fr->len, &it->reading,
	    it->err, sizeof(it->err)) == 0)
		it->state = IT_SAMPLED;
	if (it->state == IT_FAILED)
		log_warnx("uptime: %s: %s", it->id, it->err);
	else
		log_debug("uptime: %s: %d endpoints, %d working, best %.2f%s",
		    it->id, it->reading.endpoints, it->reading.working,
		    it->reading.best, it->reading.has_best ? "" : " (unknown)");
	uptime_pump();
	if ((ms = uptime_ms_since(&t0)) > up.max_parse)
		up.max_parse = ms;
}

/* The rule's settings, read from the config in this one place (copied at the run's start). */
static void
uptime_settings(struct reg_uptime_settings *s, const struct config *cfg)
{
	s->green = cfg->uptime_green;
	s->yellow = cfg->uptime_yellow;
	s->retention = cfg->uptime_retention;
}

/*
 * A pass's record off the loop (issue 8): the pass's items move into the
 * job (a reload cannot free them), and on import.c's worker, with its
 * own connection, the job builds the samples, runs reg_uptime_record
 * (one transaction, as before), counts what the report needs and frees
 * the items; uptime_job_done reports on the loop. So the loop's share of
 * a pass of any size is O(1) here: at 100k models the transaction takes
 * seconds, and building, counting and freeing 100k items took the loop
 * 45 ms. Writes that come meanwhile wait in the import's queue.
 */
struct uptime_job {
	struct reg_uptime_settings	 s;
	struct uptime_item		*items;
	size_t				 n;
	int64_t				 now;
	struct timespec			 t0;	/* the job's start, for the log */
	/* What the worker found. */
	int				 ran, nomem;
	enum reg_rc			 rc;
	struct reg_uptime_out		 out;
	int				 failed;
	char				 first[256], firsterr[256];
	char				 msg[256];
};

static void
uptime_items_free(struct uptime_item *items, size_t n)
{
	size_t	 i;

	if (items == NULL)
		return;
	for (i = 0; i < n; i++)
		free(items[i].id);
	free(items);
}

static void
uptime_job_free(struct uptime_job *j)
{
	if (j == NULL)
		return;
	uptime_items_free(j->items, j->n);
	free(j);
}

/* A model that yields no sample: the first one's id and why go in the report. */
static void
uptime_job_failed(struct uptime_job *j, const char *id, const char *err)
{
	if (j->failed++ == 0) {
		snprintf(j->first, sizeof(j->first), "%s", id);
		snprintf(j->firsterr, sizeof(j->firsterr), "%s", err);
	}
}

/* On the worker (or the loop, without a thread): one transaction, or nothing. */
static void
uptime_job_work(sqlite3 *db, void *arg)
{
	struct uptime_job		*j = arg;
	struct reg_uptime_in		 in;
	struct reg_uptime_sample	*v = NULL;
	const char			**health = NULL;
	size_t				*at = NULL, i, nv = 0;

	j->ran = 1;
	if (j->n > 0 && ((v = calloc(j->n, sizeof(*v))) == NULL ||
	    (health = calloc(j->n, sizeof(*health))) == NULL ||
	    (at = calloc(j->n, sizeof(*at))) == NULL)) {
		j->nomem = 1;
		goto done;
	}
	for (i = 0; i < j->n; i++) {
		if (j->items[i].state != IT_SAMPLED) {
			uptime_job_failed(j, j->items[i].id, j->items[i].err);
			continue;
		}
		v[nv].id = j->items[i].id;
		v[nv].reading = j->items[i].reading;
		at[nv++] = i;
	}
	memset(&in, 0, sizeof(in));
	in.v = v;
	in.n = nv;
	in.now = j->now;
	in.notify_later = 1;
	j->out.health = health;
	j->rc = reg_uptime_record(db, &j->s, &in, &j->out, j->msg,
	    sizeof(j->msg));
	j->out.health = NULL;
	if (j->rc == REG_OK)
		for (i = 0; i < nv; i++)
			if (health[i] == NULL)
				/* Deleted while its endpoints were being fetched. */
				uptime_job_failed(j, j->items[at[i]].id,
				    "no longer in the registry");
 done:
	free(v);
	free(health);
	free(at);
	/* Freed here, not on the loop: 100k of them. */
	uptime_items_free(j->items, j->n);
	j->items = NULL;
}

static double
uptime_ms_since(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void	uptime_end(enum source_outcome, int, const char *);

/* Back on the loop: report as the pass always has. */
static void
uptime_job_done(void *arg, int cancelled)
{
	struct uptime_job	*j = arg;
	const struct reg_uptime_out *o = &j->out;
	char			 msg[256];
	size_t			 n = j->n;
	double			 ms;

	if (cancelled) {
		/* The daemon stops: nothing was recorded; the run ends with it. */
		uptime_job_free(j);
		return;
	}
	log_debug("uptime: the record took %.1f ms off the loop",
	    uptime_ms_since(&j->t0));
	clock_gettime(CLOCK_MONOTONIC, &j->t0);
	if (!j->ran || j->nomem || j->rc != REG_OK) {
		snprintf(msg, sizeof(msg), "%s", j->nomem ? "out of memory" :
		    "database error while recording samples; nothing was "
		    "changed");
		uptime_job_free(j);
		uptime_end(SRC_FAILED, 0, msg);
		return;
	}
	events_notify();
	if (o->pruned > 0)
		log_info("uptime: pruned %d samples older than %d s", o->pruned,
		    j->s.retention);
	if (n == 0)
		snprintf(msg, sizeof(msg), "no synced models");
	else if (o->sampled == 0) {
		/* Every model answered but was deleted meanwhile. */
		snprintf(msg, sizeof(msg), "no model could be sampled (%d "
		    "failed; first: %.80s: %.100s)", j->failed, j->first,
		    j->firsterr);
		uptime_job_free(j);
		uptime_end(SRC_FAILED, 0, msg);
		return;
	} else if (j->failed == 0)
		snprintf(msg, sizeof(msg), "%d models sampled: %d green, "
		    "%d yellow, %d red, %d unknown", o->sampled, o->green,
		    o->yellow, o->red, o->unknown);
	else
		snprintf(msg, sizeof(msg), "%d models sampled: %d green, "
		    "%d yellow, %d red, %d unknown; %d failed (first: %.60s: %.80s)",
		    o->sampled, o->green, o->yellow, o->red, o->unknown,
		    j->failed, j->first, j->firsterr);
	n = (size_t)o->sampled;
	if ((ms = uptime_ms_since(&j->t0)) > up.max_end)
		up.max_end = ms;
	log_debug("uptime: the pass's longest loop callbacks: %.2f ms listing "
	    "a page, %.2f ms a response, %.2f ms starting or ending the record",
	    up.max_list, up.max_parse, up.max_end);
	uptime_job_free(j);
	uptime_end(SRC_OK, (int)n, msg);
}

/* Hand the samples to the rule off the loop; the job's done ends the run. */
static void
uptime_record(int64_t now)
{
	struct uptime_job	*j;
	struct timespec		 t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		uptime_end(SRC_FAILED, 0, "out of memory");
		return;
	}
	j->s = up.settings;
	j->now = now;
	j->t0 = t0;
	/* The items are the job's from here: a reload cannot free them. */
	j->items = up.items;
	j->n = up.n;
	up.items = NULL;
	up.n = up.next = 0;
	if (import_start(md.cfg->database, uptime_job_work, uptime_job_done,
	    j) == 0) {
		up.max_end = uptime_ms_since(&t0);
		log_debug("uptime: recording %zu models' samples off the loop",
		    j->n);
		return;
	}
	/* No thread: here, as before issue 8. */
	log_warnx("uptime: cannot record off the loop: recording here");
	uptime_job_work(md.db, j);
	uptime_job_done(j, 0);
}

/* The pass's record waited for another import: try again now. */
static void
uptime_finish_after(void *arg, int cancelled)
{
	(void)arg;
	if (!cancelled)
		uptime_schedule_finish();
}

/* Every transfer has ended: record off the loop (its done reports). */
static void
uptime_finish(evutil_socket_t fd, short what, void *arg)
{
	char			 msg[256];
	size_t			 i;

	(void)fd;
	(void)what;
	(void)arg;
	if (!up.active)
		return;
	if (up.fail[0] != '\0') {
		snprintf(msg, sizeof(msg), "%s", up.fail);
		uptime_end(SRC_FAILED, 0, msg);
		return;
	}
	for (i = 0; i < up.n; i++)
		if (up.items[i].state == IT_SAMPLED)
			break;
	if (up.n > 0 && i == up.n) {
		/* Nothing answered: nothing changes, not even pruning. */
		snprintf(msg, sizeof(msg), "no model could be sampled (%zu "
		    "failed; first: %.80s: %.100s)", up.n, up.items[0].id,
		    up.items[0].err);
		uptime_end(SRC_FAILED, 0, msg);
		return;
	}
	/*
	 * Another import runs on the worker: record after it, in order with
	 * its queue, rather than wait in SQLite's busy handler with the loop
	 * stopped. A reload meanwhile changes nothing of the run.
	 */
	if (import_busy()) {
		static const struct timeval	 later = { 0, 50000 };

		if (import_after("uptime: the pass's record",
		    uptime_finish_after, NULL) == 0)
			return;
		if (evtimer_add(up.finish, &later) == -1)
			fatalx("uptime: cannot arm a timer");
		return;
	}
	/* No synced model still prunes: the job runs with no sample. */
	uptime_record((int64_t)time(NULL));
}

/* End the run with its outcome, items (models sampled) and message. */
static void
uptime_end(enum source_outcome outcome, int sampled, const char *msg)
{
	char	 m[256];

	/* A copy: msg may be the run's own up.fail, which the clear empties. */
	snprintf(m, sizeof(m), "%s", msg);
	/*
	 * source_done logs the outcome. Clear first: a waiter told of the
	 * outcome may start the next run.
	 */
	uptime_clear_run();
	source_done(&up.src, outcome, sampled, m);
}

/*
 * List the synced models a page per callback (the loop serves clients
 * between pages), then fetch their endpoints. A model added meanwhile
 * before the page under way waits for the next pass; one deleted is
 * "no longer in the registry" when the pass records.
 */
static void
uptime_list(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval	 now = { 0, 0 };
	struct timespec			 t0;
	size_t				 i;
	int				 got;
	double				 ms;

	(void)fd;
	(void)what;
	(void)arg;
	if (!up.active)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	got = reg_uptime_models_page(md.db, up.nids > 0 ?
	    up.ids[up.nids - 1] : NULL, UPTIME_LIST_PAGE, &up.ids, &up.nids,
	    &up.capids);
	if (got == -1) {
		snprintf(up.fail, sizeof(up.fail), "database error while "
		    "listing the synced models");
		uptime_schedule_finish();
		return;
	}
	if ((ms = uptime_ms_since(&t0)) > up.max_list)
		up.max_list = ms;
	if (got == UPTIME_LIST_PAGE) {
		if (evtimer_add(up.list, &now) == -1)
			fatalx("uptime: cannot arm a timer");
		return;
	}
	if (up.nids > 0 &&
	    (up.items = calloc(up.nids, sizeof(*up.items))) == NULL) {
		snprintf(up.fail, sizeof(up.fail), "out of memory");
		uptime_schedule_finish();
		return;
	}
	/* The items take the strings over. */
	for (i = 0; i < up.nids; i++)
		up.items[i].id = up.ids[i];
	free(up.ids);
	up.n = up.nids;
	up.ids = NULL;
	up.nids = up.capids = 0;
	log_debug("uptime: sampling %zu models, %d at a time (listed in %.1f "
	    "ms)", up.n, up.concurrency, uptime_ms_since(&up.list_t0));
	uptime_pump();
}

/* The source starts a run: list the synced models and fetch their endpoints. */
static void
uptime_run(struct source *src, int force)
{
	const struct config	*cfg = md.cfg;

	(void)src;
	(void)force;	/* nothing is ever held back */
	if (up.active) {
		log_warnx("uptime: a run is already under way");
		return;
	}
	up.active = 1;
	if (cfg->uptime.url == NULL) {
		snprintf(up.fail, sizeof(up.fail), "no uptime source "
		    "configured ([uptime] url)");
		uptime_schedule_finish();
		return;
	}
	up.timeout_ms = cfg->uptime.timeout > 0 ?
	    (long)cfg->uptime.timeout * 1000 : 0;
	up.max_bytes = cfg->uptime.max_bytes;
	up.concurrency = cfg->uptime_concurrency > 0 ?
	    cfg->uptime_concurrency : 1;
	uptime_settings(&up.settings, cfg);
	if ((up.tmpl = strdup(cfg->uptime.url)) == NULL) {
		snprintf(up.fail, sizeof(up.fail), "out of memory");
		uptime_schedule_finish();
		return;
	}
	/* Read at every run: a key rotated on disk is picked up without a reload. */
	if (cfg->uptime.api_key_file != NULL) {
		if ((up.bearer = malloc(UPTIME_KEY_MAX + 1)) == NULL)
			snprintf(up.fail, sizeof(up.fail), "out of memory");
		else if (source_read_key(cfg->uptime.api_key_file, up.bearer,
		    UPTIME_KEY_MAX + 1, up.fail, sizeof(up.fail)) == -1) {
			free(up.bearer);
			up.bearer = NULL;
		}
		if (up.bearer == NULL) {
			uptime_schedule_finish();
			return;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &up.list_t0);
	uptime_list(-1, 0, NULL);
}

void
uptime_init(void)
{
	if (!up.inited) {
		source_init(&up.src, "uptime", uptime_run, NULL);
		if ((up.finish = evtimer_new(md.base, uptime_finish,
		    NULL)) == NULL || (up.list = evtimer_new(md.base,
		    uptime_list, NULL)) == NULL)
			fatalx("uptime: cannot create a timer");
		up.inited = 1;
	}
	uptime_reconfigure();
}

void
uptime_reconfigure(void)
{
	const struct config	*cfg = md.cfg;
	int			 interval, retry_min;

	if (!up.inited)
		return;
	interval = cfg->uptime.interval > 0 ? cfg->uptime.interval : 300;
	/* A failed run is retried sooner than the interval, never later. */
	retry_min = interval < 30 ? interval : 30;
	source_configure(&up.src, cfg->uptime.url != NULL, interval,
	    retry_min, interval);
}

void
uptime_shutdown(void)
{
	if (!up.inited)
		return;
	uptime_clear_run();
	source_shutdown(&up.src);
	event_free(up.finish);
	up.finish = NULL;
	event_free(up.list);
	up.list = NULL;
	up.inited = 0;
}
