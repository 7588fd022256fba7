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

#include "body.h"
#include "buf.h"
#include "catalog.h"
#include "catalog_detect.h"
#include "config.h"
#include "daemon.h"
#include "events.h"
#include "expiry.h"
#include "fetch.h"
#include "import.h"
#include "log.h"
#include "registry.h"
#include "seed.h"
#include "source.h"

#define SEED_KEY_MAX	4096	/* bytes of api_key_file we accept */
#define SEED_SHOWN_MAX	160	/* a longer URL is cut in messages, so that the cause still fits */

/* A SEED request: its handle on the source's waiter queue, and whom to tell. */
struct seed_waiter {
	TAILQ_ENTRY(seed_waiter) entry;
	struct source_waiter	*w;
	seed_done_cb		 cb;
	void			*arg;
};

/*
 * The seeder: a source of source.c with no interval. source.c keeps the
 * schedule, the backoff, the waiters and what STATUS shows; this file
 * fetches, parses, calls the seed rule and reports the outcome.
 */
static struct {
	struct source		 src;
	int			 inited;
	struct fetch		*fetch;
	/*
	 * What the run in flight fetches, copied from the config at its
	 * start: a reload may free that config before the fetch ends.
	 */
	enum cat_format		 format;
	char			 shown[SEED_SHOWN_MAX + 4];	/* the URL without credentials, for logs */
	/*
	 * Whom a run's changes are audited as: the daemon, or the admin whose
	 * SEED started it. next_* is taken by the next run to start.
	 */
	uid_t			 by_uid, next_uid;
	char			 by_user[64], next_user[64];
	char			 warnings[1024];	/* of the last good run, shown by STATUS */
	struct seed_result	 res;		/* of the last good run, for its waiters */
	/*
	 * The reply to the waiters of the run that is ending: set only
	 * around source_done(), which tells them. Outside it, a waiter told
	 * is one of a run that ended unrun (the source was removed).
	 */
	int			 ending;
	enum reg_rc		 rc;
	char			 reply[600];
	TAILQ_HEAD(, seed_waiter) waiters;	/* ours, to free at shutdown */
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

/* source.c asks after a failure: a first-boot seed retries, an on-demand one does not. */
static int
seed_retry(struct source *src)
{
	(void)src;
	return md.cfg->seed.url != NULL && seed_registry_empty();
}

/* The next run is the daemon's own (first boot, a retry, a reload). */
static void
seed_next_by_daemon(void)
{
	seed.next_uid = geteuid();
	snprintf(seed.next_user, sizeof(seed.next_user), "seed");
}

/*
 * End the run: source.c records the outcome (msg: last_error on a
 * failure), schedules a retry, and tells the waiters (rc and reply).
 */
static void
seed_end(enum source_outcome o, int items, const char *msg, enum reg_rc rc,
    const char *reply)
{
	seed.ending = 1;
	seed.rc = rc;
	buf_fit(seed.reply, sizeof(seed.reply), "%s", reply);
	source_done(&seed.src, o, items, msg);
	seed.ending = 0;
}

/*
 * An attempt failed: the registry is untouched. source.c schedules a
 * retry when seed_retry() says so.
 */
static void
seed_failed(enum reg_rc rc, const char *why)
{
	struct reg_counts	 counts;
	char			 one[512], reply[600];
	int64_t			 now;
	int			 first = seed.src.failures == 0;

	log_oneline(one, sizeof(one), why);
	/* One event per streak of failures, not one per retry. */
	if (first)
		(void)events_add(md.db, "seed.failed", NULL, NULL,
		    "seed failed: %s", one);
	if (rc == REG_INTERNAL)
		buf_fit(reply, sizeof(reply), "%s", one);
	else
		buf_fit(reply, sizeof(reply), "seed source: %s", one);
	seed_end(SRC_FAILED, 0, one, rc, reply);
	now = (int64_t)time(NULL);
	if (seed.src.next_run != 0) {
		log_warnx("seed failed: %s; retry in %lld s", one,
		    (long long)(seed.src.next_run > now ?
		    seed.src.next_run - now : 0));
		daemon_status("Seed failed: %s; retry in %lld s", one,
		    (long long)(seed.src.next_run > now ?
		    seed.src.next_run - now : 0));
	} else {
		log_warnx("seed failed: %s", one);
		if (reg_counts(md.db, &counts) == REG_OK)
			daemon_status("Serving %lld models; seed failed: %s",
			    (long long)counts.models, one);
		else
			daemon_status("Seed failed: %s", one);
	}
	if (first)
		events_notify();
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

	seed.res = *res;
	buf_fit(seed.warnings, sizeof(seed.warnings), "%s", res->warnings);

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
	seed_end(SRC_OK, cs->staged, msg, REG_OK, msg);
}

/*
 * A seed's parse and apply, run by import.c on its worker thread with a
 * connection of its own: everything it reads is copied here, since a
 * reload may free the config meanwhile (issue 8: the loop keeps
 * answering during a large seed). The body is not copied: the job has
 * its own descriptor of the file the fetcher spooled it to (or of the
 * file:// source itself), and reads it in chunks.
 */
struct seed_job {
	int			 fd;
	uint64_t		 len;
	enum cat_format		 format;
	struct cfg_list		 act, inact, fallback;
	char			*default_model;
	struct reg_settings	 s;
	struct actor		 a;
	char			 user[64];
	/* What the worker found. */
	int			 ran;
	int			 parsed;	/* 0 ok, -1 not a catalog of the format */
	struct catalog_stats	 cs;
	enum cat_look		 look;
	enum reg_rc		 rc;
	struct seed_result	 res;
	char			 err[256];
};

static void
seed_job_free(struct seed_job *j)
{
	if (j == NULL)
		return;
	if (j->fd != -1)
		close(j->fd);
	import_list_free(&j->act);
	import_list_free(&j->inact);
	import_list_free(&j->fallback);
	free(j->default_model);
	free(j);
}

static struct seed_job *
seed_job_new(const struct fetch_result *fr)
{
	struct reg_settings	 s;
	struct seed_job		*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->fd = -1;
	reg_settings_cfg(md.cfg, &s);
	j->s = s;
	j->format = seed.format;
	if (fr->fd == -1 ||
	    (j->fd = fcntl(fr->fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    import_list_copy(&j->act, s.always_active) == -1 ||
	    import_list_copy(&j->inact, s.always_inactive) == -1 ||
	    import_list_copy(&j->fallback, s.fallback) == -1 ||
	    (s.default_model != NULL &&
	    (j->default_model = strdup(s.default_model)) == NULL)) {
		seed_job_free(j);
		return NULL;
	}
	j->len = fr->len;
	j->s.always_active = &j->act;
	j->s.always_inactive = &j->inact;
	j->s.fallback = &j->fallback;
	j->s.default_model = j->default_model;
	snprintf(j->user, sizeof(j->user), "%s", seed.by_user);
	j->a.uid = seed.by_uid;
	j->a.user = j->user;
	j->a.source = "seed";
	return j;
}

/* On the worker: parse into this connection's staging, apply in one transaction. */
static void
seed_job_work(sqlite3 *db, void *arg)
{
	struct seed_job	*j = arg;
	struct body_src	 src;

	j->ran = 1;
	j->look = LOOK_NONE;
	body_src_fd(&src, j->fd, j->len);
	j->parsed = catalog_parse_checked_src(db, j->format, &src, &j->cs,
	    &j->look, NULL, j->err, sizeof(j->err));
	/*
	 * Closed here, not on the loop: the last close of an unlinked file
	 * frees its pages in the page cache, tens of milliseconds for 78 MB.
	 */
	close(j->fd);
	j->fd = -1;
	if (j->parsed == -1 || j->cs.staged == 0 || import_stopping())
		return;
	/* One transaction: a crash leaves the registry as it was, or seeded whole. */
	j->rc = reg_seed_apply(db, &j->s, &(struct reg_seed_in){ &j->a, 0, 1 },
	    &j->res, j->err, sizeof(j->err));
}

/*
 * What a first load left (reg_seed_in.defer): its sort and search
 * indexes, built by the job that follows the seed's at once, before the
 * writes that wait (db_import.c says why).
 */
static void
seed_finish_work(sqlite3 *db, void *unused)
{
	char	 msg[256];

	(void)unused;
	/* Tests hold the job here to look at the registry between the two. */
	if (import_test_wait("MODELREGD_TEST_FINISH_GATE") != 0)
		return;
	if (reg_seed_finish(db, msg, sizeof(msg)) != REG_OK)
		log_warnx("seed: %s; they are built at the next start", msg);
}

static void
seed_finish_done(void *unused, int cancelled)
{
	(void)unused;
	if (cancelled)
		log_info("seed: the sort and search indexes are built at the "
		    "next start");
	else
		log_debug("seed: the sort and search indexes are built");
}

static void
seed_finish_start(void)
{
	char	 msg[256];

	if (import_start(md.cfg->database, seed_finish_work, seed_finish_done,
	    NULL) == 0)
		return;
	log_warnx("seed: cannot build the indexes off the loop: building here");
	if (reg_seed_finish(md.db, msg, sizeof(msg)) != REG_OK)
		log_warnx("seed: %s; they are built at the next start", msg);
}

/* Back on the loop: report what the worker found, as seed_fetched did. */
static void
seed_job_done(void *arg, int cancelled)
{
	struct seed_job	*j = arg;
	char		 why[600];

	if (cancelled) {
		/* The daemon stops: seed_shutdown tells the run's waiters. */
		if (j->ran && j->parsed == 0 && j->cs.staged > 0 &&
		    j->rc == REG_OK && j->res.listed > 0)
			log_info("seed: applied just before the daemon stopped");
		else
			log_info("seed: stopped before it was applied: nothing "
			    "changed");
		seed_job_free(j);
		return;
	}
	if (j->look != LOOK_NONE)
		snprintf(seed.src.detected, sizeof(seed.src.detected), "%s",
		    catalog_look_name(j->look));
	if (!j->ran)
		seed_failed(REG_INTERNAL, "database error while seeding: cannot "
		    "open the database");
	else if (j->parsed == -1) {
		buf_fit(why, sizeof(why), "%s: %s", seed.shown,
		    j->err[0] ? j->err : "cannot parse the catalog");
		seed_failed(REG_CONFLICT, why);
	} else if (j->cs.staged == 0) {
		snprintf(why, sizeof(why), "%s: the source lists no models",
		    seed.shown);
		seed_failed(REG_CONFLICT, why);
	} else if (j->rc != REG_OK) {
		buf_fit(why, sizeof(why), "database error while seeding: %s",
		    j->err[0] ? j->err : "cannot apply the catalog");
		seed_failed(REG_INTERNAL, why);
	} else {
		seed_succeeded(&j->cs, &j->res);
		expiry_check_soon();
	}
	seed_job_free(j);
	/* Also after a failure: what it left was rolled back; the finish then applies any dirty search keys. */
	if (reg_seed_owed())
		seed_finish_start();
}

/* The seed source answered (or not): parse, apply, tell the waiters. */
static void
seed_fetched(const struct fetch_result *fr, void *arg)
{
	struct catalog_stats	 cs;
	struct seed_result	 res;
	struct seed_job		*job;
	struct body_src		 src;
	struct actor		 a;
	char			 why[600], err[256];
	enum cat_look		 look = LOOK_NONE;
	enum reg_rc		 rc;

	seed.fetch = NULL;
	/* Another import (a catalog refresh) runs: this one goes after it. */
	if (import_busy() && import_later("seed", seed_fetched, fr, NULL) == 0)
		return;
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
	/* Parse and apply off the loop; the outcome comes back through seed_job_done. */
	if ((job = seed_job_new(fr)) == NULL) {
		seed_failed(REG_INTERNAL, "out of memory: nothing was changed");
		return;
	}
	if (import_start(md.cfg->database, seed_job_work, seed_job_done,
	    job) == 0)
		return;
	seed_job_free(job);
	log_warnx("seed: cannot import off the loop: applying here");
	memset(&cs, 0, sizeof(cs));
	err[0] = '\0';
	/* A body in another format than configured fails: nothing changes. */
	if (fr->fd != -1)
		body_src_fd(&src, fr->fd, fr->len);
	else
		body_src_mem(&src, fr->body, fr->len);
	rc = catalog_parse_checked_src(md.db, seed.format, &src, &cs, &look,
	    NULL, err, sizeof(err)) == -1 ? REG_CONFLICT : REG_OK;
	if (look != LOOK_NONE)
		snprintf(seed.src.detected, sizeof(seed.src.detected), "%s",
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
	    &(struct reg_seed_in){ &a, 0, 0 }, &res, err, sizeof(err))) != REG_OK) {
		buf_fit(why, sizeof(why), "database error while seeding: %s",
		    err[0] ? err : "cannot apply the catalog");
		seed_failed(REG_INTERNAL, why);
		return;
	}
	seed_succeeded(&cs, &res);
	expiry_check_soon();
}

/* source.c starts a run (first boot, a retry, SEED, a reload): fetch the source. */
static void
seed_start_run(struct source *src, int force)
{
	struct fetch_req	 req;
	char			 key[SEED_KEY_MAX + 1], err[512];
	const char		*keyfile;

	(void)force;		/* nothing is ever held */
	/* The run is audited as whoever asked for it; the next is the daemon's. */
	seed.by_uid = seed.next_uid;
	snprintf(seed.by_user, sizeof(seed.by_user), "%s", seed.next_user);
	seed_next_by_daemon();
	seed.format = md.cfg->seed.format;
	src->format = cfg_format_name(seed.format);
	fetch_show_url(md.cfg->seed.url, seed.shown, sizeof(seed.shown));

	memset(&req, 0, sizeof(req));
	req.url = md.cfg->seed.url;	/* fetch_start copies it */
	req.timeout_ms = md.cfg->seed.timeout > 0 ?
	    (long)md.cfg->seed.timeout * 1000 : 0;
	req.max_bytes = md.cfg->seed.max_bytes;
	/* On disk, not in memory (issue 8): a seed can be 78 MB. */
	req.spool_dir = import_spool_dir();
	/* Read at every attempt: a key rotated on disk is picked up without a reload. */
	if ((keyfile = md.cfg->seed.api_key_file) != NULL) {
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

/* Start a run now, unless one is running; a scheduled retry is replaced. */
static void
seed_kick(void)
{
	char	 msg[128];

	/* No waiter: first boot and reloads tell nobody. */
	if (source_refresh(&seed.src, 0, NULL, NULL, msg, sizeof(msg)) == NULL)
		log_warnx("seed: %s", msg);
}

/* Hand the [seed] of the current config to source.c. */
static void
seed_configure(void)
{
	const struct config	*cfg = md.cfg;

	seed.src.format = cfg_format_name(cfg->seed.format);
	source_configure(&seed.src, cfg->seed.url != NULL, 0,
	    cfg->seed.retry_min, cfg->seed.retry_max);
}

void
seed_init(void)
{
	struct reg_counts	 rc;

	if (!seed.inited) {
		source_init(&seed.src, "seed", seed_start_run, NULL);
		seed.src.retry = seed_retry;
		seed.src.own_events = 1;
		seed.src.warnings = seed.warnings;
		seed_next_by_daemon();
		seed.inited = 1;
	}
	seed_configure();
	if (md.cfg->seed.url == NULL) {
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
	seed_kick();
}

/* source.c tells a SEED request how its run ended. */
static void
seed_told(struct source *src, enum source_outcome o, const char *msg,
    void *arg)
{
	struct seed_waiter	*sw = arg;
	seed_done_cb		 cb = sw->cb;
	void			*cbarg = sw->arg;

	(void)src;
	TAILQ_REMOVE(&seed.waiters, sw, entry);
	free(sw);
	if (!seed.ending)	/* ended unrun: the source was removed */
		cb(REG_CONFLICT, NULL, msg, cbarg);
	else if (o == SRC_OK)
		cb(REG_OK, &seed.res, seed.reply, cbarg);
	else
		cb(seed.rc, NULL, seed.reply, cbarg);
}

struct seed_waiter *
seed_run(seed_done_cb cb, void *arg, const struct actor *who, char *msg,
    size_t msglen)
{
	struct seed_waiter	*sw;
	int			 starts = !seed.src.running;

	if (!seed.inited) {
		snprintf(msg, msglen, "seeding is not initialised");
		return NULL;
	}
	if ((sw = calloc(1, sizeof(*sw))) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	sw->cb = cb;
	sw->arg = arg;
	/* "no seed source configured ([seed] url)" when there is none. */
	if ((sw->w = source_refresh(&seed.src, 0, seed_told, sw, msg,
	    msglen)) == NULL) {
		free(sw);
		return NULL;
	}
	TAILQ_INSERT_TAIL(&seed.waiters, sw, entry);
	if (starts && who != NULL) {
		/* A run this request started is audited as its requester. */
		seed.next_uid = who->uid;
		snprintf(seed.next_user, sizeof(seed.next_user), "%s",
		    who->user);
	}
	return sw;
}

void
seed_waiter_cancel(struct seed_waiter *sw)
{
	if (sw == NULL)
		return;
	source_waiter_cancel(sw->w);
	TAILQ_REMOVE(&seed.waiters, sw, entry);
	free(sw);
}

const struct source *
seed_source(void)
{
	return seed.inited ? &seed.src : NULL;
}

void
seed_reconfigure(void)
{
	if (!seed.inited)
		return;
	/* Without a url, a fetch in flight finishes; a scheduled retry does not happen. */
	seed_configure();
	if (md.cfg->seed.url == NULL || seed.src.running)
		return;
	if (seed_registry_empty()) {
		log_info("seed: the registry is empty: seeding with the new "
		    "configuration");
		seed_kick();
	}
}

void
seed_shutdown(void)
{
	struct seed_waiter	*sw;

	if (seed.fetch != NULL) {
		fetch_cancel(seed.fetch);
		seed.fetch = NULL;
	}
	/*
	 * The source's waiters are dropped uncalled, so ours are told here:
	 * a SEED still waiting gets its answer, and its client forgets the
	 * waiter before control_shutdown closes it (it used to keep a
	 * pointer to the freed waiter, and cancelled it at close).
	 */
	while ((sw = TAILQ_FIRST(&seed.waiters)) != NULL) {
		TAILQ_REMOVE(&seed.waiters, sw, entry);
		sw->cb(REG_INTERNAL, NULL, "the daemon is stopping: nothing "
		    "was changed", sw->arg);
		free(sw);
	}
	source_shutdown(&seed.src);
	seed.inited = 0;
}
