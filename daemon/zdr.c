/* zdr.c: the "zdr" source: fetch the ZDR endpoint list, replace it in one transaction, remove the models that lost ZDR when enforced. */
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
#include "db.h"
#include "db_zdr.h"
#include "events.h"
#include "fetch.h"
#include "log.h"
#include "registry.h"
#include "source.h"
#include "zdr.h"

#define ZDR_KEY_MAX	4096	/* bytes of api_key_file we accept */
#define ZDR_MSG_MAX	512	/* a run's one-line outcome */
#define ZDR_NAMES_MAX	5	/* ids named in an outcome; the rest are counted */

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
	char			 key[ZDR_KEY_MAX + 1], err[256];

	(void)src;
	if (zdr.fetch != NULL) {
		/* source.c never overlaps runs; if it did, the newer one wins. */
		log_warnx("zdr: a run started while another was in flight");
		fetch_cancel(zdr.fetch);
		zdr.fetch = NULL;
	}
	if (cfg->zdr_url == NULL) {
		zdr_fail_later("no [zdr] url is configured");
		return;
	}
	memset(&req, 0, sizeof(req));
	req.url = cfg->zdr_url;
	req.timeout_ms = (long)cfg->zdr_timeout * 1000;
	req.max_bytes = cfg->zdr_max_bytes;
	/* A forced run must see the list whole, whatever we hold. */
	req.etag = force ? NULL : zdr.etag;
	if (cfg->zdr_api_key_file != NULL) {
		if (source_read_key(cfg->zdr_api_key_file, key, sizeof(key), err,
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

/* Append "a, b, c and 4 more" naming the ids of v to b. */
static void
zdr_names(struct buf *b, const struct zdr_loss *v, size_t n, int defaults)
{
	size_t	 i, shown = 0, total = 0;

	for (i = 0; i < n; i++) {
		if (!defaults && v[i].is_default)
			continue;
		total++;
		if (shown == ZDR_NAMES_MAX)
			continue;
		(void)buf_printf(b, "%s%s", shown ? ", " : "", v[i].id);
		shown++;
	}
	if (total > shown)
		(void)buf_printf(b, " and %zu more", total - shown);
}

/*
 * Remove the default, which lost ZDR: pick its successor while it still
 * exists (its features and context are what alternatives match), move
 * the mark, then delete it. The other models that lost ZDR are already
 * gone, so none of them can be picked. newid is "" when none qualified.
 */
static int
zdr_remove_default(const struct zdr_loss *l, const struct actor *a,
    int64_t now, char *newid, size_t newlen)
{
	struct buf	 d = { 0 };
	char		 names[64], jnames[64];
	unsigned	 relaxed = 0;
	int		 r, rc = -1;

	newid[0] = '\0';
	if ((r = reg_pick_default(md.db, &md.cfg->default_fallback, l->id,
	    now, newid, newlen, &relaxed)) == -1)
		return -1;
	if (r == 0)
		newid[0] = '\0';
	if (db_model_clear_default(md.db) == -1)
		return -1;
	if (r == 1 && db_model_set_default(md.db, newid) == -1)
		return -1;
	if (db_audit(md.db, now, a, "default", r == 1 ? newid : l->id,
	    "default", l->id, r == 1 ? newid : NULL) == -1)
		return -1;
	if (db_model_delete(md.db, l->id, now, a) == -1)
		return -1;

	if (buf_puts(&d, "{\"reason\":\"zdr\",\"slug\":") == -1 ||
	    buf_json_str(&d, l->slug) == -1 || buf_putc(&d, '}') == -1)
		goto nomem;
	if (events_add(md.db, "model.removed", l->id, d.data,
	    "%s was removed automatically: it lost zero data retention "
	    "(no ZDR endpoint is listed for %s); it was the default",
	    l->id, l->slug) == -1)
		goto out;
	buf_reset(&d);
	/* Which criteria of the strict alternative the new default lacks. */
	reg_relaxed_names(relaxed, ", ", names, sizeof(names));
	reg_relaxed_names(relaxed, "\",\"", jnames, sizeof(jnames));
	if (buf_puts(&d, "{\"old\":") == -1 || buf_json_str(&d, l->id) == -1 ||
	    buf_puts(&d, ",\"new\":") == -1 ||
	    (r == 1 ? buf_json_str(&d, newid) : buf_puts(&d, "null")) == -1 ||
	    buf_puts(&d, ",\"reason\":\"zdr\",\"relaxed\":[") == -1 ||
	    (relaxed != 0 && buf_printf(&d, "\"%s\"", jnames) == -1) ||
	    buf_puts(&d, "]}") == -1)
		goto nomem;
	if (r == 1 && relaxed != 0)
		rc = events_add(md.db, "default.changed", newid, d.data,
		    "the default model %s lost zero data retention and was "
		    "removed; %s is the new default, chosen with relaxed "
		    "criteria (%s): no active model matched all of them",
		    l->id, newid, names);
	else if (r == 1)
		rc = events_add(md.db, "default.changed", newid, d.data,
		    "the default model %s lost zero data retention and was "
		    "removed; %s is the new default", l->id, newid);
	else
		rc = events_add(md.db, "default.changed", NULL, d.data,
		    "the default model %s lost zero data retention and was "
		    "removed; no active chat model is left, so there is no "
		    "default model now", l->id);
	goto out;
nomem:
	log_warnx("zdr: out of memory");
out:
	buf_free(&d);
	return rc;
}

/*
 * Raise model.zdr_lost for each loss and, when enforced, remove them:
 * the others first, then the default. Inside the caller's transaction.
 */
static int
zdr_losses(const struct zdr_loss *v, size_t n, int enforce, char *newid,
    size_t newlen, int *default_lost)
{
	struct actor	 a = { geteuid(), "zdr", "auto" };
	struct buf	 d = { 0 };
	int64_t		 now = zdr_now();
	size_t		 i;
	int		 rc = -1;

	*default_lost = 0;
	for (i = 0; i < n; i++) {
		buf_reset(&d);
		if (buf_puts(&d, "{\"slug\":") == -1 ||
		    buf_json_str(&d, v[i].slug) == -1 ||
		    buf_printf(&d, ",\"enforced\":%s}", enforce ? "true" :
		    "false") == -1)
			goto nomem;
		if (events_add(md.db, "model.zdr_lost", v[i].id, d.data,
		    "%s lost zero data retention: no ZDR endpoint is listed "
		    "for %s%s", v[i].id, v[i].slug, enforce ?
		    "; it is removed" : "") == -1)
			goto out;
	}
	if (!enforce) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (v[i].is_default) {
			*default_lost = 1;
			continue;
		}
		if (db_model_delete(md.db, v[i].id, now, &a) == -1)
			goto out;
		buf_reset(&d);
		if (buf_puts(&d, "{\"reason\":\"zdr\",\"slug\":") == -1 ||
		    buf_json_str(&d, v[i].slug) == -1 ||
		    buf_putc(&d, '}') == -1)
			goto nomem;
		if (events_add(md.db, "model.removed", v[i].id, d.data,
		    "%s was removed automatically: it lost zero data "
		    "retention (no ZDR endpoint is listed for %s)", v[i].id,
		    v[i].slug) == -1)
			goto out;
	}
	for (i = 0; i < n; i++)
		if (v[i].is_default &&
		    zdr_remove_default(&v[i], &a, now, newid, newlen) == -1)
			goto out;
	rc = 0;
	goto out;
nomem:
	log_warnx("zdr: out of memory");
out:
	buf_free(&d);
	return rc;
}

/*
 * Apply a good response, all or nothing: the new list replaces the old
 * one, losses raise events and, when enforced, remove models. Ends the
 * run. body is NULL for a 304: the list we hold is still the list, but
 * it is compared with the models again, since a catalog refresh may have
 * changed their slugs since the last apply.
 */
static void
zdr_apply(const char *body, size_t len, int force, const char *etag)
{
	const struct config	*cfg = md.cfg;
	struct zdr_stats	 zs;
	struct zdr_loss		*losses = NULL;
	struct buf		 m = { 0 };
	size_t			 nlosses = 0;
	int64_t			 with_zdr = 0;
	char			 err[256], msg[ZDR_MSG_MAX], now[32], newid[256];
	int			 enforce = cfg->zdr_enforce, default_lost = 0;
	enum source_outcome	 outcome = SRC_FAILED;

	memset(&zs, 0, sizeof(zs));
	if (db_begin(md.db) == -1) {
		snprintf(msg, sizeof(msg), "database error: cannot begin");
		goto done;
	}
	if (body == NULL) {
		if (db_zdr_reuse(md.db, &zs) == -1) {
			snprintf(msg, sizeof(msg), "database error while reading "
			    "the ZDR list");
			goto rollback;
		}
		zs.endpoints = zdr.src.items;
	} else if (db_zdr_parse(md.db, body, len, &zs, err, sizeof(err)) ==
	    -1) {
		snprintf(msg, sizeof(msg), "%s", err);
		goto rollback;
	}
	/* An empty list would take ZDR from everything: it proves nothing. */
	if (zs.slugs == 0) {
		if (zs.entries == 0)
			snprintf(msg, sizeof(msg), "the ZDR list is empty");
		else
			snprintf(msg, sizeof(msg), "the ZDR list is empty: "
			    "none of its %d entries has a usable model_id",
			    zs.entries);
		goto rollback;
	}
	if (db_zdr_diff(md.db, &with_zdr, &losses, &nlosses) == -1) {
		snprintf(msg, sizeof(msg), "database error while comparing "
		    "the ZDR lists");
		goto rollback;
	}
	/*
	 * The guard counts removals, so it only applies when they happen.
	 * Integer arithmetic: more than max_remove percent of the synced
	 * models that had ZDR, the set the losses are drawn from.
	 */
	if (enforce && !force && nlosses > 0 &&
	    (int64_t)nlosses * 100 > (int64_t)cfg->zdr_max_remove * with_zdr) {
		(void)buf_printf(&m, "the ZDR list would remove %zu of the "
		    "%lld synced models with ZDR (", nlosses,
		    (long long)with_zdr);
		zdr_names(&m, losses, nlosses, 1);
		(void)buf_printf(&m, "), more than max_remove %d%%; "
		    "refresh zdr --force applies it", cfg->zdr_max_remove);
		log_oneline(msg, sizeof(msg), m.data != NULL ? m.data :
		    "the ZDR list would remove too many models at once");
		outcome = SRC_HELD;
		goto rollback;
	}
	snprintf(now, sizeof(now), "%lld", (long long)zdr_now());
	if (db_zdr_replace(md.db) == -1 ||
	    db_state_set(md.db, "zdr_last_ok", now) == -1 ||
	    zdr_losses(losses, nlosses, enforce, newid, sizeof(newid),
	    &default_lost) == -1 ||
	    db_commit(md.db) == -1) {
		snprintf(msg, sizeof(msg), "database error while applying "
		    "the ZDR list");
		goto rollback;
	}
	events_notify();

	if (body != NULL) {
		free(zdr.etag);
		zdr.etag = etag != NULL ? strdup(etag) : NULL;
		(void)buf_printf(&m, "%d ZDR endpoints for %d models",
		    zs.endpoints, zs.slugs);
	} else
		(void)buf_puts(&m, "the ZDR list has not changed");
	if (nlosses > 0) {
		(void)buf_printf(&m, "; %zu lost ZDR", nlosses);
		(void)buf_puts(&m, enforce ? ", removed: " : ": ");
		zdr_names(&m, losses, nlosses, 1);
	}
	if (default_lost)
		(void)buf_printf(&m, "; the default is now %s", newid[0] != '\0' ?
		    newid : "none");
	if (zs.skipped > 0)
		(void)buf_printf(&m, "; skipped %d entries without a usable "
		    "model_id", zs.skipped);
	if (force && nlosses > 0)
		(void)buf_puts(&m, " (forced)");
	log_oneline(msg, sizeof(msg), m.data != NULL ? m.data :
	    "the ZDR list was applied");
	/* Each loss, removal and default change was logged as its event. */
	outcome = SRC_OK;
	goto done;

rollback:
	db_rollback(md.db);
done:
	/* source_done logs the outcome. */
	free(losses);
	buf_free(&m);
	source_done(&zdr.src, outcome, outcome == SRC_OK ? zs.endpoints : 0,
	    msg);
}

static void
zdr_fetched(const struct fetch_result *res, void *arg)
{
	char	 msg[300];

	(void)arg;
	zdr.fetch = NULL;
	if (!res->ok) {
		log_oneline(msg, sizeof(msg), res->err);
		source_done(&zdr.src, SRC_FAILED, 0, msg);
		return;
	}
	if (res->not_modified) {
		zdr_apply(NULL, 0, zdr.force, NULL);
		return;
	}
	/* fetch.h promises a body; NULL would be taken for a 304 below. */
	if (res->body == NULL) {
		source_done(&zdr.src, SRC_FAILED, 0, "the ZDR list is empty");
		return;
	}
	zdr_apply(res->body, res->len, zdr.force, res->etag);
}

void
zdr_init(void)
{
	source_init(&zdr.src, "zdr", zdr_run, NULL);
	if ((zdr.later = evtimer_new(md.base, zdr_later_cb, NULL)) == NULL)
		fatalx("zdr: cannot create a timer");
	zdr_reconfigure();
}

void
zdr_reconfigure(void)
{
	const struct config	*cfg = md.cfg;

	/* The URL or the key may have changed: the next fetch asks afresh. */
	free(zdr.etag);
	zdr.etag = NULL;
	source_configure(&zdr.src, cfg->zdr_url != NULL, cfg->zdr_interval,
	    cfg->zdr_retry_min, cfg->zdr_retry_max);
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
	source_shutdown(&zdr.src);
	free(zdr.etag);
	zdr.etag = NULL;
}
