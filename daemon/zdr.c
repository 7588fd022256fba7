/* zdr.c: the "zdr" source: fetch the ZDR endpoint list and hand it to reg_zdr_apply (losses, removal, the hold). */
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

#include "config.h"
#include "daemon.h"
#include "events.h"
#include "fetch.h"
#include "import.h"
#include "log.h"
#include "reg_zdr.h"
#include "registry.h"
#include "resolve_batch.h"
#include "sessions.h"
#include "source.h"
#include "zdr.h"

#define ZDR_KEY_MAX	4096	/* bytes of api_key_file we accept */
#define ZDR_MSG_MAX	512	/* a run's one-line outcome */

/*
 * The one ZDR source. A run is: fetch (in flight in zdr.fetch), then
 * parse and apply inside the fetch callback, so that nothing else runs
 * in between. A run that cannot even start ends from the loop through
 * zdr.later, as source.h requires.
 */
static struct {
	struct source	 src;
	struct fetch	*fetch;
	int		 force;		/* of the run in flight */
	struct event	*later;
	char		 later_msg[256];
	/*
	 * The ETag of the last list applied by this process. Only a list
	 * that was applied is remembered, so a held response is fetched
	 * again whole; a restart or a reload starts afresh.
	 */
	char		*etag;
	char		*url;		/* the configured URL, to notice a change */
	struct event	*held_ev;	/* a forced run applies the held response from here */
	int		 forget_pending;	/* a reload's forget waits for an import */
} zdr;

/* The clock, in one place. */
static int64_t
zdr_now(void)
{
	return (int64_t)time(NULL);
}

/* A run that failed before its fetch ends here, from the loop. */
static void
zdr_later_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	source_done(&zdr.src, SRC_FAILED, 0, zdr.later_msg);
}

static void
zdr_fail_later(const char *msg)
{
	struct timeval	 tv = { 0, 0 };

	log_oneline(zdr.later_msg, sizeof(zdr.later_msg), msg);
	if (evtimer_add(zdr.later, &tv) == -1)
		fatalx("zdr: cannot schedule the end of a run");
}

static void	zdr_fetched(const struct fetch_result *, void *);

static void
zdr_run(struct source *src, int force)
{
	struct fetch_req	 req;
	const struct config	*cfg = md.cfg;
	const struct timeval	 now = { 0, 0 };
	char			 key[ZDR_KEY_MAX + 1], err[256];

	(void)src;
	if (zdr.fetch != NULL) {
		/* source.c never overlaps runs; if it did, the newer one wins. */
		log_warnx("zdr: a run started while another was in flight");
		fetch_cancel(zdr.fetch);
		zdr.fetch = NULL;
	}
	if (cfg->zdr.url == NULL) {
		zdr_fail_later("no [zdr] url is configured");
		return;
	}
	/*
	 * --force applies the response that was held, as it was judged, and
	 * never a fresh download nobody reviewed. A forced run with nothing
	 * held (a forced request that waited for a run that held nothing) is
	 * an ordinary run.
	 */
	if (force) {
		switch (zdr.forget_pending ? 0 : reg_zdr_held(md.db, NULL, 0)) {
		case 1:
			if (evtimer_add(zdr.held_ev, &now) == -1)
				fatalx("zdr: cannot schedule a forced run");
			return;
		case -1:
			zdr_fail_later("database error while reading the held "
			    "ZDR response");
			return;
		default:
			force = 0;
			break;
		}
	}
	memset(&req, 0, sizeof(req));
	req.url = cfg->zdr.url;
	req.timeout_ms = (long)cfg->zdr.timeout * 1000;
	req.max_bytes = cfg->zdr.max_bytes;
	/* A forced run must see the list whole, whatever we hold. */
	req.etag = force ? NULL : zdr.etag;
	if (cfg->zdr.api_key_file != NULL) {
		if (source_read_key(cfg->zdr.api_key_file, key, sizeof(key), err,
		    sizeof(err)) == -1) {
			zdr_fail_later(err);
			return;
		}
		req.bearer = key;
	}
	zdr.force = force;
	zdr.fetch = fetch_start(&req, zdr_fetched, NULL);
	explicit_bzero(key, sizeof(key));
	if (zdr.fetch == NULL)
		zdr_fail_later("cannot start the transfer of the ZDR list");
}

/* The rule's settings, read from the config in this one place. */
static void
zdr_settings(struct reg_zdr_settings *s)
{
	s->enforce = md.cfg->zdr_enforce;
	s->max_remove = md.cfg->zdr_max_remove;
	s->fallback = &md.cfg->default_fallback;
}

/*
 * A ZDR apply off the loop (issue 8): reg_zdr_apply runs on import.c's
 * worker, with copies of its input and settings (a reload may free the
 * config meanwhile); zdr_job_done ends the run on the loop.
 */
struct zdr_job {
	enum reg_zdr_from	 from;
	char			*body, *etag;
	size_t			 len;
	int			 endpoints, force;
	int64_t			 now;
	struct reg_zdr_settings	 s;
	struct cfg_list		 fallback;
	struct actor		 a;
	/* What the worker found. */
	int			 ran;
	enum reg_rc		 rc;
	struct reg_zdr_out	 out;
	char			 msg[ZDR_MSG_MAX];
};

static void
zdr_job_free(struct zdr_job *j)
{
	if (j == NULL)
		return;
	if (j->ran)
		reg_zdr_out_free(&j->out);
	free(j->body);
	free(j->etag);
	import_list_free(&j->fallback);
	free(j);
}

static void
zdr_job_work(sqlite3 *db, void *arg)
{
	struct zdr_job		*j = arg;
	struct reg_zdr_in	 in;

	memset(&in, 0, sizeof(in));
	in.from = j->from;
	in.body = j->body;
	in.len = j->len;
	in.etag = j->etag;
	in.endpoints = j->endpoints;
	in.force = j->force;
	in.now = j->now;
	in.actor = &j->a;
	in.notify_later = 1;
	j->ran = 1;
	j->rc = reg_zdr_apply(db, &j->s, &in, &j->out, j->msg, sizeof(j->msg));
}

/*
 * Issue 9: the models an enforced apply removed (every loss, the default
 * too) stop counting their sessions now, as a DELETE with force=yes does:
 * each session keeps the id, so its next RESOLVE falls back with
 * requested= it, and a model synced later under the id starts at 0. On
 * the loop: the sessions are the loop's.
 */
static void
zdr_sessions_gone(const struct zdr_job *j)
{
	struct sessions	*ses = resolve_sessions();
	size_t		 i;

	if (ses == NULL || !j->s.enforce || j->out.removed == 0)
		return;
	for (i = 0; i < j->out.nlosses; i++)
		sessions_model_gone(ses, j->out.losses[i].id);
}

/* Back on the loop: end the run with the rule's outcome. */
static void
zdr_job_done(void *arg, int cancelled)
{
	struct zdr_job	*j = arg;
	char		 counts[256];

	if (cancelled) {
		zdr_job_free(j);
		return;
	}
	events_notify();
	/* source_done logs the outcome. */
	if (!j->ran)
		source_done(&zdr.src, SRC_FAILED, 0, "database error: cannot "
		    "open the database");
	else if (j->rc != REG_OK)
		source_done(&zdr.src, SRC_FAILED, 0, j->msg);
	else if (j->out.held) {
		snprintf(counts, sizeof(counts), ",\"would_remove\":%zu,"
		    "\"with_zdr\":%lld,\"max_remove\":%d,\"deactivated\":%d",
		    j->out.nlosses, (long long)j->out.with_zdr, j->s.max_remove,
		    j->out.deactivated);
		source_hold(&zdr.src, j->msg, counts);
	} else {
		if (j->out.new_etag) {
			free(zdr.etag);
			zdr.etag = j->out.etag[0] != '\0' ? strdup(j->out.etag) :
			    NULL;
		}
		zdr_sessions_gone(j);
		source_done(&zdr.src, SRC_OK, j->out.stats.endpoints, j->msg);
	}
	zdr_job_free(j);
}

/*
 * Hand the list to the rule (reg_zdr_apply: one transaction, or nothing)
 * and end the run with its outcome: off the loop when it can be.
 */
static void
zdr_apply(enum reg_zdr_from from, const char *body, size_t len,
    const char *etag, int force)
{
	struct zdr_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		source_done(&zdr.src, SRC_FAILED, 0, "out of memory");
		return;
	}
	zdr_settings(&j->s);
	j->from = from;
	j->len = len;
	/* A 304's list is the one applied last: a hold keeps its ETag. */
	if (from == REG_ZDR_UNCHANGED)
		etag = zdr.etag;
	if ((body != NULL && (j->body = malloc(len + 1)) == NULL) ||
	    (etag != NULL && (j->etag = strdup(etag)) == NULL) ||
	    import_list_copy(&j->fallback, j->s.fallback) == -1) {
		zdr_job_free(j);
		source_done(&zdr.src, SRC_FAILED, 0, "out of memory");
		return;
	}
	if (body != NULL) {
		memcpy(j->body, body, len);
		j->body[len] = '\0';
	}
	j->s.fallback = &j->fallback;
	j->endpoints = zdr.src.items;
	j->force = force;
	j->now = zdr_now();
	j->a.uid = geteuid();
	j->a.user = "zdr";
	j->a.source = "auto";
	if (import_start(md.cfg->database, zdr_job_work, zdr_job_done, j) == 0)
		return;
	/* No thread (or another import runs): here, as before. */
	zdr_job_work(md.db, j);
	zdr_job_done(j, 0);
}

static void
zdr_fetched(const struct fetch_result *res, void *arg)
{
	char	 msg[300];

	(void)arg;
	zdr.fetch = NULL;
	/* A seed is being imported off the loop: apply after it (issue 8). */
	if (import_busy() && import_later("zdr", zdr_fetched, res, NULL) == 0)
		return;
	if (!res->ok) {
		log_oneline(msg, sizeof(msg), res->err);
		source_done(&zdr.src, SRC_FAILED, 0, msg);
		return;
	}
	if (res->not_modified) {
		zdr_apply(REG_ZDR_UNCHANGED, NULL, 0, NULL, zdr.force);
		return;
	}
	/* fetch.h promises a body; NULL would be taken for a 304 below. */
	if (res->body == NULL) {
		source_done(&zdr.src, SRC_FAILED, 0, "the ZDR list is empty");
		return;
	}
	zdr_apply(REG_ZDR_BODY, res->body, res->len, res->etag, zdr.force);
}

static void	zdr_held_cb(int, short, void *);

static void
zdr_held_after(void *arg, int cancelled)
{
	if (!cancelled)
		zdr_held_cb(-1, 0, arg);
}

/* refresh zdr --force: apply the held response, from the loop. */
static void
zdr_held_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	/* An import holds the write lock: apply after it (issue 8), not here in the busy handler. */
	if (import_busy() &&
	    import_after("zdr: the held response", zdr_held_after, arg) == 0)
		return;
	zdr_apply(REG_ZDR_HELD, NULL, 0, NULL, 1);
}

static int
zdr_has_held(struct source *src)
{
	(void)src;
	/* What is held is the old source's, about to be forgotten. */
	if (zdr.forget_pending)
		return 0;
	return reg_zdr_held(md.db, NULL, 0);
}

/* The reload's forget, after the import that held the write lock then. */
static void
zdr_forget_after(void *arg, int cancelled)
{
	(void)arg;
	zdr.forget_pending = 0;
	if (!cancelled)
		(void)reg_zdr_forget_held(md.db);
}

void
zdr_init(void)
{
	source_init(&zdr.src, "zdr", zdr_run, NULL);
	zdr.src.has_held = zdr_has_held;
	if ((zdr.later = evtimer_new(md.base, zdr_later_cb, NULL)) == NULL ||
	    (zdr.held_ev = evtimer_new(md.base, zdr_held_cb, NULL)) == NULL)
		fatalx("zdr: cannot create a timer");
	/* A held response is in the database: it survives a restart. */
	if (reg_zdr_held(md.db, zdr.src.held, sizeof(zdr.src.held)) != 1)
		zdr.src.held[0] = '\0';
	zdr_reconfigure();
}

void
zdr_reconfigure(void)
{
	const struct config	*cfg = md.cfg;

	char			*url = NULL;

	/* The URL or the key may have changed: the next fetch asks afresh. */
	free(zdr.etag);
	zdr.etag = NULL;
	/* A response held from another source is not for this one to apply. */
	if (cfg->zdr.url != NULL && (url = strdup(cfg->zdr.url)) == NULL)
		fatal("zdr");
	if (zdr.url != NULL && (url == NULL || strcmp(zdr.url, url) != 0)) {
		/* During an import it waits its turn (issue 8), like catalog's. */
		if (import_busy() && !zdr.forget_pending &&
		    import_after("zdr: forgetting the held response",
		    zdr_forget_after, NULL) == 0)
			zdr.forget_pending = 1;
		else if (!zdr.forget_pending)
			(void)reg_zdr_forget_held(md.db);
		zdr.src.held[0] = '\0';
	}
	free(zdr.url);
	zdr.url = url;
	source_configure(&zdr.src, cfg->zdr.url != NULL, cfg->zdr.interval,
	    cfg->zdr.retry_min, cfg->zdr.retry_max);
}

void
zdr_shutdown(void)
{
	if (zdr.fetch != NULL) {
		fetch_cancel(zdr.fetch);
		zdr.fetch = NULL;
	}
	if (zdr.later != NULL) {
		event_free(zdr.later);
		zdr.later = NULL;
	}
	if (zdr.held_ev != NULL) {
		event_free(zdr.held_ev);
		zdr.held_ev = NULL;
	}
	source_shutdown(&zdr.src);
	free(zdr.etag);
	zdr.etag = NULL;
	free(zdr.url);
	zdr.url = NULL;
}
