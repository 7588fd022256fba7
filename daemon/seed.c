/* seed.c: first-boot seeding and the SEED verb: fetch the seed source, parse it, apply the PeerAI rules, retry with backoff. */
#include <sys/types.h>
#include <sys/queue.h>
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
#include "catalog.h"
#include "catalog_detect.h"
#include "config.h"
#include "daemon.h"
#include "events.h"
#include "expiry.h"
#include "fetch.h"
#include "log.h"
#include "registry.h"
#include "seed.h"
#include "source.h"

#define SEED_KEY_MAX	4096	/* bytes of api_key_file we accept */
#define SEED_SHOWN_MAX	160	/* a longer URL is cut in messages, so that the cause still fits */

/* A SEED request waiting for the end of run number run. */
struct seed_waiter {
	TAILQ_ENTRY(seed_waiter) entry;
	unsigned		 run;
	seed_done_cb		 cb;
	void			*arg;
};

/*
 * The one seeder. phase says what the timer and the fetch mean:
 * IDLE: neither is pending. WAITING: the timer holds a backoff retry.
 * RUNNING: the timer is due now (the attempt starts from the loop) or
 * the fetch is in flight; parsing and applying happen inside the fetch
 * callback, so nothing else can be in between.
 */
static struct {
	enum seed_phase		 phase;
	int64_t			 last_ok, last_attempt, next_try;
	int			 failures, items;
	char			 last_error[512];
	char			 warnings[1024];
	char			 detected[16];	/* what the last body looked like */

	struct event		*timer;
	struct fetch		*fetch;
	unsigned		 run;		/* number of the current or last run */
	/*
	 * What the attempt in flight fetches, copied from the config at its
	 * start: a reload may free that config before the fetch ends.
	 */
	enum cat_format		 format;
	char			 shown[SEED_SHOWN_MAX + 4];	/* the URL without credentials, for logs */
	/* Who the run's changes are audited as: the daemon, or the admin who asked. */
	uid_t			 by_uid;
	char			 by_user[64];

	TAILQ_HEAD(, seed_waiter) waiters;
} seed = {
	.waiters = TAILQ_HEAD_INITIALIZER(seed.waiters),
};

static int
seed_registry_empty(void)
{
	struct reg_counts	 rc;

	/* When the count cannot be had, behave as if empty: retrying is harmless. */
	if (reg_counts(md.db, &rc) != REG_OK)
		return 1;
	return rc.models == 0;
}

/* Hand the outcome of the run that just ended to everybody waiting for it. */
static void
seed_end_run(enum reg_rc rc, const struct seed_result *res, const char *msg)
{
	struct seed_waiter	*w;
	unsigned		 run = seed.run;

	/*
	 * A callback may start a new run (its waiters carry a later number
	 * and stay) or cancel another waiter: take them one at a time.
	 */
	while ((w = TAILQ_FIRST(&seed.waiters)) != NULL && w->run == run) {
		TAILQ_REMOVE(&seed.waiters, w, entry);
		w->cb(rc, res, msg, w->arg);
		free(w);
	}
}

/* Seconds until the next retry after seed.failures failures, without jitter. */
static long
seed_backoff(void)
{
	long	 min, max, d;
	int	 i;

	min = md.cfg->seed_retry_min > 0 ? md.cfg->seed_retry_min : 1;
	max = md.cfg->seed_retry_max >= min ? md.cfg->seed_retry_max : min;
	d = min;
	for (i = 1; i < seed.failures && d < max; i++)
		d *= 2;
	return d < max ? d : max;
}

/*
 * An attempt failed: the registry is untouched. A first-boot seed (the
 * registry still empty) retries with backoff; an on-demand one does not.
 */
static void
seed_failed(enum reg_rc rc, const char *why)
{
	struct timeval	 tv;
	char		 msg[600];
	long		 delay, jitter_ms;

	log_oneline(seed.last_error, sizeof(seed.last_error), why);
	seed.failures++;
	seed.next_try = 0;
	seed.phase = SEED_IDLE;
	if (md.cfg->seed_url != NULL && seed_registry_empty()) {
		delay = seed_backoff();
		/* Up to 10% more, so that many daemons do not retry in step. */
		jitter_ms = random() % (delay * 100 + 1);
		tv.tv_sec = delay + jitter_ms / 1000;
		tv.tv_usec = (jitter_ms % 1000) * 1000;
		if (evtimer_add(seed.timer, &tv) == 0) {
			seed.phase = SEED_WAITING;
			seed.next_try = (int64_t)time(NULL) + tv.tv_sec +
			    (tv.tv_usec > 0);
			log_warnx("seed failed: %s; retry in %ld s",
			    seed.last_error, delay);
			daemon_status("Seed failed: %s; retry in %ld s",
			    seed.last_error, delay);
		} else
			log_warnx("seed failed: %s; cannot schedule a retry",
			    seed.last_error);
	}
	if (seed.phase == SEED_IDLE) {
		struct reg_counts	 counts;

		log_warnx("seed failed: %s", seed.last_error);
		if (reg_counts(md.db, &counts) == REG_OK)
			daemon_status("Serving %lld models; seed failed: %s",
			    (long long)counts.models, seed.last_error);
		else
			daemon_status("Seed failed: %s", seed.last_error);
	}
	/* One event per streak of failures, not one per retry. */
	if (seed.failures == 1) {
		(void)events_add(md.db, "seed.failed", NULL, NULL,
		    "seed failed: %s", seed.last_error);
		events_notify();
	}
	if (rc == REG_INTERNAL)
		buf_fit(msg, sizeof(msg), "%s", seed.last_error);
	else
		buf_fit(msg, sizeof(msg), "seed source: %s", seed.last_error);
	seed_end_run(rc, NULL, msg);
}

/* Log apply's "; "-separated warnings one per line. */
static void
seed_log_warnings(const char *w)
{
	const char	*p, *q;

	for (p = w; *p != '\0'; p = q) {
		if ((q = strstr(p, "; ")) == NULL)
			q = p + strlen(p);
		if (q > p)
			log_warnx("seed: %.*s", (int)(q - p), p);
		if (*q != '\0')
			q += 2;
	}
}

static void
seed_succeeded(const struct catalog_stats *cs, const struct seed_result *res)
{
	struct reg_counts	 rc;
	char			 msg[300], extra[128], details[256];

	seed.last_ok = (int64_t)time(NULL);
	seed.items = cs->staged;
	seed.failures = 0;
	seed.next_try = 0;
	seed.last_error[0] = '\0';
	buf_fit(seed.warnings, sizeof(seed.warnings), "%s", res->warnings);
	seed.phase = SEED_IDLE;

	seed_log_warnings(res->warnings);
	snprintf(msg, sizeof(msg), "seeded %d models (added %d, updated %d, "
	    "activated %d, deactivated %d%s)", cs->staged, res->added,
	    res->updated, res->activated, res->deactivated,
	    res->default_set ? ", default set" : "");
	extra[0] = '\0';
	if (cs->skipped > 0 || cs->duplicates > 0)
		snprintf(extra, sizeof(extra), "; skipped %d entries without a "
		    "usable id and %d duplicates", cs->skipped, cs->duplicates);
	log_info("%s from %s%s", msg, seed.shown, extra);
	snprintf(details, sizeof(details), "{\"items\":%d,\"added\":%d,"
	    "\"updated\":%d,\"activated\":%d,\"deactivated\":%d,"
	    "\"default_set\":%s}", cs->staged, res->added, res->updated,
	    res->activated, res->deactivated, res->default_set ? "true" :
	    "false");
	(void)events_add(md.db, "seed.done", NULL, details, "%s%s%s", msg,
	    res->warnings[0] ? "; warnings: " : "", res->warnings);
	events_notify();
	if (reg_counts(md.db, &rc) == REG_OK)
		daemon_status("Serving %lld models", (long long)rc.models);
	seed_end_run(REG_OK, res, msg);
}

/* The seed source answered (or not): parse, apply, tell the waiters. */
static void
seed_fetched(const struct fetch_result *fr, void *arg)
{
	struct catalog_stats	 cs;
	struct seed_result	 res;
	struct actor		 a;
	char			 why[600], err[256];
	enum cat_look		 look = LOOK_NONE;
	enum reg_rc		 rc;

	seed.fetch = NULL;
	if (!fr->ok) {
		buf_fit(why, sizeof(why), "%s: %s", seed.shown, fr->err);
		seed_failed(REG_CONFLICT, why);
		return;
	}
	if (fr->not_modified) {
		/* We sent no validator: a 304 carries no catalog. */
		snprintf(why, sizeof(why), "%s: unexpected HTTP 304", seed.shown);
		seed_failed(REG_CONFLICT, why);
		return;
	}
	memset(&cs, 0, sizeof(cs));
	err[0] = '\0';
	/* A body in another format than configured fails: nothing changes. */
	rc = catalog_parse_checked(md.db, seed.format, fr->body, fr->len, &cs,
	    &look, err, sizeof(err)) == -1 ? REG_CONFLICT : REG_OK;
	if (look != LOOK_NONE)
		snprintf(seed.detected, sizeof(seed.detected), "%s",
		    catalog_look_name(look));
	if (rc != REG_OK) {
		buf_fit(why, sizeof(why), "%s: %s", seed.shown,
		    err[0] ? err : "cannot parse the catalog");
		seed_failed(REG_CONFLICT, why);
		return;
	}
	if (cs.staged == 0) {
		snprintf(why, sizeof(why), "%s: the source lists no models",
		    seed.shown);
		seed_failed(REG_CONFLICT, why);
		return;
	}
	a.uid = seed.by_uid;
	a.user = seed.by_user;
	a.source = "seed";
	memset(&res, 0, sizeof(res));
	err[0] = '\0';
	/* One transaction: a crash leaves the registry as it was, or seeded whole. */
	if ((rc = reg_seed_apply(md.db,
	    reg_settings_cfg(md.cfg, &(struct reg_settings){ 0 }),
	    &(struct reg_seed_in){ &a, 0 }, &res, err, sizeof(err))) != REG_OK) {
		buf_fit(why, sizeof(why), "database error while seeding: %s",
		    err[0] ? err : "cannot apply the catalog");
		seed_failed(REG_INTERNAL, why);
		return;
	}
	seed_succeeded(&cs, &res);
	expiry_check_soon();
}

/* The timer: start an attempt (now or after a backoff delay). */
static void
seed_attempt(evutil_socket_t fd, short what, void *arg)
{
	struct fetch_req	 req;
	char			 key[SEED_KEY_MAX + 1], err[512];
	const char		*keyfile;

	seed.phase = SEED_RUNNING;
	seed.next_try = 0;
	if (md.cfg->seed_url == NULL) {
		/* Removed by a reload before this attempt began. */
		seed.phase = SEED_IDLE;
		seed_end_run(REG_CONFLICT, NULL,
		    "no seed source configured ([seed] url)");
		return;
	}
	seed.last_attempt = (int64_t)time(NULL);
	seed.format = md.cfg->seed_format;
	fetch_show_url(md.cfg->seed_url, seed.shown, sizeof(seed.shown));

	memset(&req, 0, sizeof(req));
	req.url = md.cfg->seed_url;	/* fetch_start copies it */
	req.timeout_ms = md.cfg->seed_timeout > 0 ?
	    (long)md.cfg->seed_timeout * 1000 : 0;
	req.max_bytes = md.cfg->seed_max_bytes;
	/* Read at every attempt: a key rotated on disk is picked up without a reload. */
	if ((keyfile = md.cfg->seed_api_key_file) != NULL) {
		if (source_read_key(keyfile, key, sizeof(key), err,
		    sizeof(err)) == -1) {
			seed_failed(REG_CONFLICT, err);
			return;
		}
		req.bearer = key;
	}
	seed.fetch = fetch_start(&req, seed_fetched, NULL);
	if (keyfile != NULL)
		explicit_bzero(key, sizeof(key));
	if (seed.fetch == NULL) {
		snprintf(err, sizeof(err), "%s: cannot start the transfer",
		    seed.shown);
		seed_failed(REG_CONFLICT, err);
		return;
	}
	log_info("seeding from %s (%s format)", seed.shown,
	    cfg_format_name(seed.format));
	daemon_status("Seeding from %s", seed.shown);
}

/* Begin a run now, unless one is running; a scheduled retry is replaced. */
static void
seed_start(void)
{
	static const struct timeval	 now = { 0, 0 };

	if (seed.phase == SEED_RUNNING)
		return;
	evtimer_del(seed.timer);
	seed.run++;
	seed.phase = SEED_RUNNING;
	seed.by_uid = geteuid();
	snprintf(seed.by_user, sizeof(seed.by_user), "seed");
	seed.next_try = 0;
	/* From the loop, so that no waiter is ever called from seed_run. */
	if (evtimer_add(seed.timer, &now) == -1)
		fatalx("seed: cannot arm a timer");
}

void
seed_init(void)
{
	struct reg_counts	 rc;

	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	if (seed.timer == NULL &&
	    (seed.timer = evtimer_new(md.base, seed_attempt, NULL)) == NULL)
		fatalx("seed: cannot create a timer");
	seed.phase = SEED_IDLE;
	if (md.cfg->seed_url == NULL) {
		log_debug("seed: no seed source configured");
		return;
	}
	if (reg_counts(md.db, &rc) != REG_OK) {
		log_warnx("seed: cannot count the models; not seeding");
		return;
	}
	if (rc.models > 0) {
		log_debug("seed: the registry holds %lld models; not seeding on "
		    "start", (long long)rc.models);
		return;
	}
	log_info("the registry is empty: first-boot seeding");
	seed_start();
}

struct seed_waiter *
seed_run(seed_done_cb cb, void *arg, const struct actor *who, char *msg,
    size_t msglen)
{
	struct seed_waiter	*w;
	int			 joined = seed.phase == SEED_RUNNING;

	if (seed.timer == NULL) {
		snprintf(msg, msglen, "seeding is not initialised");
		return NULL;
	}
	if (md.cfg->seed_url == NULL) {
		snprintf(msg, msglen, "no seed source configured ([seed] url)");
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	seed_start();
	if (!joined && who != NULL) {
		/* A run this request started is audited as its requester. */
		seed.by_uid = who->uid;
		snprintf(seed.by_user, sizeof(seed.by_user), "%s", who->user);
	}
	w->run = seed.run;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&seed.waiters, w, entry);
	return w;
}

void
seed_waiter_cancel(struct seed_waiter *w)
{
	if (w == NULL)
		return;
	TAILQ_REMOVE(&seed.waiters, w, entry);
	free(w);
}

void
seed_get_status(struct seed_status *st)
{
	memset(st, 0, sizeof(*st));
	st->phase = seed.phase;
	st->last_ok = seed.last_ok;
	st->last_attempt = seed.last_attempt;
	st->next_try = seed.next_try;
	st->failures = seed.failures;
	st->items = seed.items;
	snprintf(st->last_error, sizeof(st->last_error), "%s", seed.last_error);
	snprintf(st->detected, sizeof(st->detected), "%s", seed.detected);
	snprintf(st->warnings, sizeof(st->warnings), "%s", seed.warnings);
}

void
seed_reconfigure(void)
{
	if (seed.timer == NULL)
		return;
	if (md.cfg->seed_url == NULL) {
		/* A fetch in flight finishes; a scheduled retry does not happen. */
		if (seed.phase == SEED_WAITING) {
			evtimer_del(seed.timer);
			seed.phase = SEED_IDLE;
			seed.next_try = 0;
			log_info("seed: source removed, retries stopped");
		}
		return;
	}
	if (seed.phase == SEED_RUNNING)
		return;
	if (seed_registry_empty()) {
		log_info("seed: the registry is empty: seeding with the new "
		    "configuration");
		seed_start();
	}
}

void
seed_shutdown(void)
{
	struct seed_waiter	*w;

	if (seed.fetch != NULL) {
		fetch_cancel(seed.fetch);
		seed.fetch = NULL;
	}
	if (seed.timer != NULL) {
		event_free(seed.timer);
		seed.timer = NULL;
	}
	while ((w = TAILQ_FIRST(&seed.waiters)) != NULL) {
		TAILQ_REMOVE(&seed.waiters, w, entry);
		free(w);
	}
	seed.phase = SEED_IDLE;
	seed.next_try = 0;
}
