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
#include "fetch.h"
#include "import.h"
#include "log.h"
#include "reg_uptime.h"
#include "registry.h"
#include "source.h"
#include "uptime.h"

#define UPTIME_URL_MAX	8192	/* bytes of an expanded URL */
#define UPTIME_KEY_MAX	4096	/* bytes of api_key_file we accept */

/* One synced model in the run: its fetch and what came of it. */
enum item_state { IT_QUEUED = 0, IT_FETCHING, IT_SAMPLED, IT_FAILED };

struct uptime_item {
	char			*id;
	enum item_state		 state;
	struct fetch		*fetch;
	struct uptime_reading	 reading;
	char			 err[256];
	const char		*health;	/* the rule's colour, once recorded */
};

/*
 * The one uptime source and its run in flight. What the run needs from
 * the config is copied at its start: a reload may free that config
 * before the fetches end.
 */
static struct {
	struct source		 src;
	struct event		*finish;	/* ends a run from the loop */
	int			 inited;

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
	free(up.tmpl);
	up.tmpl = NULL;
	if (up.bearer != NULL) {
		explicit_bzero(up.bearer, strlen(up.bearer));
		free(up.bearer);
		up.bearer = NULL;
	}
	up.fail[0] = '\0';
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
 * Hand the samples to the rule (reg_uptime_record: one transaction, or
 * nothing) and mark the models deleted meanwhile as failed. Returns the
 * number of models sampled, or -1 (nothing changed).
 */
static int
uptime_record(int64_t now, int *pruned)
{
	struct reg_uptime_sample	*v = NULL;
	struct reg_uptime_in		 in;
	struct reg_uptime_out		 out;
	const char			**health = NULL;
	size_t				*at = NULL, i, n = 0;
	char				 msg[256];
	int				 rc = -1;

	if (up.n > 0 && ((v = calloc(up.n, sizeof(*v))) == NULL ||
	    (health = calloc(up.n, sizeof(*health))) == NULL ||
	    (at = calloc(up.n, sizeof(*at))) == NULL))
		goto out;
	for (i = 0; i < up.n; i++) {
		if (up.items[i].state != IT_SAMPLED)
			continue;
		v[n].id = up.items[i].id;
		v[n].reading = up.items[i].reading;
		at[n++] = i;
	}
	in.v = v;
	in.n = n;
	in.now = now;
	out.health = health;
	if (reg_uptime_record(md.db, &up.settings, &in, &out, msg,
	    sizeof(msg)) != REG_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if ((up.items[at[i]].health = health[i]) != NULL)
			continue;
		/* Deleted while its endpoints were being fetched. */
		up.items[at[i]].state = IT_FAILED;
		snprintf(up.items[at[i]].err, sizeof(up.items[at[i]].err),
		    "no longer in the registry");
	}
	*pruned = out.pruned;
	rc = out.sampled;
out:
	free(v);
	free(health);
	free(at);
	return rc;
}

/* Every transfer has ended: record, report, and hand the outcome to the source. */
static void
uptime_finish(evutil_socket_t fd, short what, void *arg)
{
	enum source_outcome	 outcome = SRC_FAILED;
	const char		*first = NULL, *firsterr = "";
	char			 msg[256];
	size_t			 i;
	int			 sampled, failed = 0, pruned = 0;
	int			 green = 0, yellow = 0, red = 0, unknown = 0;

	if (!up.active)
		return;
	/*
	 * An import runs on its worker (issue 8): record after it, rather
	 * than wait in SQLite's busy handler with the loop stopped. A
	 * reload that frees the items meanwhile clears up.active, and the
	 * retry returns above.
	 */
	if (import_busy()) {
		static const struct timeval	 later = { 0, 50000 };

		if (evtimer_add(up.finish, &later) == -1)
			fatalx("uptime: cannot arm a timer");
		return;
	}
	if (up.fail[0] != '\0') {
		snprintf(msg, sizeof(msg), "%s", up.fail);
		outcome = SRC_FAILED;
		sampled = 0;
		goto end;
	}
	for (i = 0; i < up.n; i++)
		if (up.items[i].state == IT_SAMPLED)
			break;
	if (up.n > 0 && i == up.n) {
		/* Nothing answered: nothing changes, not even pruning. */
		snprintf(msg, sizeof(msg), "no model could be sampled (%zu "
		    "failed; first: %.80s: %.100s)", up.n, up.items[0].id,
		    up.items[0].err);
		outcome = SRC_FAILED;
		sampled = 0;
		goto end;
	}
	if ((sampled = uptime_record((int64_t)time(NULL), &pruned)) == -1) {
		snprintf(msg, sizeof(msg), "database error while recording "
		    "samples; nothing was changed");
		outcome = SRC_FAILED;
		sampled = 0;
		goto end;
	}
	for (i = 0; i < up.n; i++) {
		if (up.items[i].state != IT_SAMPLED) {
			if (failed++ == 0) {
				first = up.items[i].id;
				firsterr = up.items[i].err;
			}
			continue;
		}
		if (strcmp(up.items[i].health, "green") == 0)
			green++;
		else if (strcmp(up.items[i].health, "yellow") == 0)
			yellow++;
		else if (strcmp(up.items[i].health, "red") == 0)
			red++;
		else
			unknown++;
	}
	if (up.n == 0)
		snprintf(msg, sizeof(msg), "no synced models");
	else if (sampled == 0) {
		/* Every model answered but was deleted meanwhile. */
		snprintf(msg, sizeof(msg), "no model could be sampled (%d "
		    "failed; first: %.80s: %.100s)", failed, first ? first : "",
		    firsterr);
		outcome = SRC_FAILED;
		goto end;
	} else if (failed == 0)
		snprintf(msg, sizeof(msg), "%d models sampled: %d green, "
		    "%d yellow, %d red, %d unknown", sampled, green, yellow,
		    red, unknown);
	else
		snprintf(msg, sizeof(msg), "%d models sampled: %d green, "
		    "%d yellow, %d red, %d unknown; %d failed (first: %.60s: %.80s)",
		    sampled, green, yellow, red, unknown, failed,
		    first ? first : "", firsterr);
	if (pruned > 0)
		log_info("uptime: pruned %d samples older than %d s", pruned,
		    up.settings.retention);
	outcome = SRC_OK;
end:
	/*
	 * source_done logs the outcome. Clear first: a waiter told of the
	 * outcome may start the next run.
	 */
	uptime_clear_run();
	source_done(&up.src, outcome, sampled, msg);
}

/* The source starts a run: list the synced models and fetch their endpoints. */
static void
uptime_run(struct source *src, int force)
{
	const struct config	*cfg = md.cfg;
	char			**ids = NULL;
	size_t			 n = 0, i;

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
	if (reg_uptime_models(md.db, &ids, &n) == -1) {
		snprintf(up.fail, sizeof(up.fail), "database error while "
		    "listing the synced models");
		uptime_schedule_finish();
		return;
	}
	if (n > 0 && (up.items = calloc(n, sizeof(*up.items))) == NULL) {
		reg_uptime_ids_free(ids, n);
		snprintf(up.fail, sizeof(up.fail), "out of memory");
		uptime_schedule_finish();
		return;
	}
	/* The items take the strings over. */
	for (i = 0; i < n; i++)
		up.items[i].id = ids[i];
	free(ids);
	up.n = n;
	log_debug("uptime: sampling %zu models, %d at a time", n,
	    up.concurrency);
	uptime_pump();
}

void
uptime_init(void)
{
	if (!up.inited) {
		source_init(&up.src, "uptime", uptime_run, NULL);
		if ((up.finish = evtimer_new(md.base, uptime_finish,
		    NULL)) == NULL)
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
	up.inited = 0;
}
