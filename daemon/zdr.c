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
	char		*url;		/* the configured URL, to notice a change */
	struct event	*held_ev;	/* a forced run applies the held response from here */
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
		switch (db_zdr_held_exists(md.db, NULL, 0)) {
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
 * "no ZDR endpoint is listed for its canonical slug S" (or "for it" when
 * the slug is its id): the event's model column names the model, so the
 * message does not repeat its id.
 */
static int
zdr_why(struct buf *b, const struct zdr_loss *l)
{
	if (strcmp(l->slug, l->id) == 0)
		return buf_puts(b, "no ZDR endpoint is listed for it");
	return buf_printf(b, "no ZDR endpoint is listed for its canonical "
	    "slug %s", l->slug);
}

/* b := prefix, why, suffix. 0 or -1. */
static int
zdr_why_msg(struct buf *b, const char *prefix, const struct zdr_loss *l,
    const char *suffix)
{
	if (buf_puts(b, prefix) == -1 || zdr_why(b, l) == -1 ||
	    buf_puts(b, suffix) == -1)
		return -1;
	return 0;
}

/*
 * Remove the default, which lost ZDR: move the mark first, then delete
 * it. The other models that lost ZDR are already gone, so none of them
 * can be picked.
 */
static int
zdr_remove_default(const struct zdr_loss *l, const struct actor *a,
    int64_t now, char *newid, size_t newlen)
{
	struct buf		 d = { 0 }, m = { 0 };
	struct reg_reassign	 ra;
	int			 rc = -1;

	if (reg_default_reassign(md.db, &md.cfg->default_fallback, l->id, now,
	    a, "zdr", "lost zero data retention and was removed", &ra) == -1)
		return -1;
	snprintf(newid, newlen, "%s", ra.id);
	if (db_model_delete(md.db, l->id, now, a) == -1)
		return -1;
	if (buf_puts(&d, "{\"reason\":\"zdr\",\"slug\":") == -1 ||
	    buf_json_str(&d, l->slug) == -1 || buf_putc(&d, '}') == -1 ||
	    zdr_why_msg(&m, "removed automatically: it lost zero data "
	    "retention (", l, "); it was the default") == -1) {
		log_warnx("zdr: out of memory");
		goto out;
	}
	rc = events_add(md.db, "model.removed", l->id, d.data, "%s", m.data);
out:
	buf_free(&d);
	buf_free(&m);
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
	struct buf	 d = { 0 }, m = { 0 };
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
		buf_reset(&m);
		if (zdr_why_msg(&m, "lost zero data retention: ", &v[i],
		    enforce ? "; it is removed" : "") == -1)
			goto nomem;
		if (events_add(md.db, "model.zdr_lost", v[i].id, d.data, "%s",
		    m.data) == -1)
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
		buf_reset(&m);
		if (zdr_why_msg(&m, "removed automatically: it lost zero data "
		    "retention (", &v[i], ")") == -1)
			goto nomem;
		if (events_add(md.db, "model.removed", v[i].id, d.data, "%s",
		    m.data) == -1)
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
	buf_free(&m);
	return rc;
}

/*
 * The hold fails safe: a model that may have lost ZDR must not receive
 * data while a person decides. Deactivate it (status source auto, reason
 * zdr_held) without deleting it; a later valid list that names it again
 * reactivates it (zdr_relist). Inside the caller's transaction.
 */
static int
zdr_hold_one(const struct zdr_loss *l, const struct actor *a, int64_t now)
{
	struct buf	 d = { 0 }, m = { 0 };
	int		 rc = -1;

	if (db_model_set_status(md.db, l->id, 0, "auto", now) == -1 ||
	    db_model_set_status_reason(md.db, l->id, "zdr_held") == -1 ||
	    db_audit(md.db, now, a, "deactivate", l->id, "status", "active",
	    "inactive") == -1)
		goto out;
	if (buf_puts(&d, "{\"reason\":\"zdr_held\",\"slug\":") == -1 ||
	    buf_json_str(&d, l->slug) == -1 || buf_putc(&d, '}') == -1 ||
	    buf_puts(&m, "deactivated automatically: a held ZDR response "
	    "says it lost zero data retention (") == -1 ||
	    zdr_why(&m, l) == -1 ||
	    buf_puts(&m, "); refresh zdr --force removes it, a valid list "
	    "that names it again reactivates it") == -1) {
		log_warnx("zdr: out of memory");
		goto out;
	}
	rc = events_add(md.db, "model.deactivated", l->id, d.data, "%s",
	    m.data);
out:
	buf_free(&d);
	buf_free(&m);
	return rc;
}

/* The default is among them: move the mark first, by the reassignment rule. */
static int
zdr_hold_default(const struct zdr_loss *l, const struct actor *a, int64_t now,
    char *newid, size_t newlen)
{
	struct reg_reassign	 ra;

	if (reg_default_reassign(md.db, &md.cfg->default_fallback, l->id, now,
	    a, "zdr_held", "may have lost zero data retention (a ZDR response "
	    "is held) and is deactivated", &ra) == -1)
		return -1;
	snprintf(newid, newlen, "%s", ra.id);
	return zdr_hold_one(l, a, now);
}

/*
 * Keep the held response and deactivate the active models it would
 * remove: the others first, then the default, so that none of them can
 * be picked as the next default. Only when this response is not the one
 * already held: a person who activated one of them since has decided.
 * *held counts the models deactivated now.
 */
static int
zdr_hold(const struct zdr_loss *v, size_t n, const struct zdr_stats *zs,
    const char *etag, const char *msg, int *held, char *newid, size_t newlen)
{
	struct actor	 a = { geteuid(), "zdr", "auto" };
	struct buf	 ids = { 0 };
	int64_t		 now = zdr_now();
	size_t		 i;
	int		 changed, rc = -1;

	*held = 0;
	newid[0] = '\0';
	if (buf_putc(&ids, '[') == -1)
		goto nomem;
	for (i = 0; i < n; i++)
		if ((i > 0 && buf_putc(&ids, ',') == -1) ||
		    buf_json_str(&ids, v[i].id) == -1)
			goto nomem;
	if (buf_putc(&ids, ']') == -1)
		goto nomem;
	if (db_zdr_hold(md.db, zs, ids.data, etag, msg, &changed) == -1)
		goto out;
	if (!changed) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!v[i].active || v[i].is_default)
			continue;
		if (zdr_hold_one(&v[i], &a, now) == -1)
			goto out;
		(*held)++;
	}
	for (i = 0; i < n; i++) {
		if (!v[i].is_default)
			continue;
		if (zdr_hold_default(&v[i], &a, now, newid, newlen) == -1)
			goto out;
		(*held)++;
	}
	rc = 0;
	goto out;
nomem:
	log_warnx("zdr: out of memory");
out:
	buf_free(&ids);
	return rc;
}

/*
 * A valid list applied: the models the hold deactivated that it names
 * again are reactivated (only those: not a model a person deactivated
 * since, whose reason the change cleared). *n counts them.
 */
static int
zdr_relist(struct buf *names, int *n)
{
	struct actor	 a = { geteuid(), "zdr", "auto" };
	struct zdr_loss	*v = NULL;
	struct buf	 d = { 0 };
	int64_t		 now = zdr_now();
	size_t		 nv = 0, i;
	int		 rc = -1;

	*n = 0;
	if (db_zdr_relisted(md.db, &v, &nv) == -1)
		return -1;
	for (i = 0; i < nv; i++) {
		buf_reset(&d);
		if (db_model_set_status(md.db, v[i].id, 1, "auto", now) == -1 ||
		    db_audit(md.db, now, &a, "activate", v[i].id, "status",
		    "inactive", "active") == -1)
			goto out;
		if (buf_puts(&d, "{\"reason\":\"zdr_listed\",\"slug\":") == -1 ||
		    buf_json_str(&d, v[i].slug) == -1 ||
		    buf_putc(&d, '}') == -1) {
			log_warnx("zdr: out of memory");
			goto out;
		}
		if (events_add(md.db, "model.activated", v[i].id, d.data,
		    "reactivated automatically: the ZDR list names it again "
		    "(it was deactivated while a ZDR response was held)") == -1)
			goto out;
		if (*n < ZDR_NAMES_MAX)
			(void)buf_printf(names, "%s%s", *n ? ", " : "", v[i].id);
		(*n)++;
	}
	if (*n > ZDR_NAMES_MAX)
		(void)buf_printf(names, " and %d more", *n - ZDR_NAMES_MAX);
	rc = 0;
out:
	free(v);
	buf_free(&d);
	return rc;
}

/*
 * Apply a good response, all or nothing: the new list replaces the old
 * one, losses raise events and, when enforced, remove models. Ends the
 * run. body is NULL for a 304: the list we hold is still the list, but
 * it is compared with the models again, since a catalog refresh may have
 * changed their slugs since the last apply. from_held: apply the held
 * response (refresh zdr --force) instead.
 */
static void
zdr_apply(const char *body, size_t len, int force, const char *etag,
    int from_held)
{
	const struct config	*cfg = md.cfg;
	struct zdr_stats	 zs;
	struct zdr_loss		*losses = NULL;
	struct buf		 m = { 0 }, back = { 0 };
	size_t			 nlosses = 0;
	int64_t			 with_zdr = 0;
	char			 err[256], msg[ZDR_MSG_MAX], now[32], newid[256];
	char			 heldetag[1100], counts[256];
	int			 enforce = cfg->zdr_enforce, default_lost = 0;
	int			 held = 0, relisted = 0, r;
	enum source_outcome	 outcome = SRC_FAILED;

	memset(&zs, 0, sizeof(zs));
	counts[0] = '\0';
	if (db_begin(md.db) == -1) {
		snprintf(msg, sizeof(msg), "database error: cannot begin");
		goto done;
	}
	if (from_held) {
		if ((r = db_zdr_held_load(md.db, &zs, heldetag,
		    sizeof(heldetag), NULL, 0)) != 0) {
			snprintf(msg, sizeof(msg), r == 1 ? "nothing is held for "
			    "zdr; --force applies a held response" :
			    "database error while reading the held ZDR response");
			goto rollback;
		}
		etag = heldetag[0] != '\0' ? heldetag : NULL;
	} else if (body == NULL) {
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
		(void)buf_printf(&m, "), more than max_remove %d%%: "
		    "deactivated until refresh zdr --force applies it",
		    cfg->zdr_max_remove);
		log_oneline(msg, sizeof(msg), m.data != NULL ? m.data :
		    "the ZDR list would remove too many models at once");
		/* Kept whole (etag included) so that --force applies exactly this. */
		if (zdr_hold(losses, nlosses, &zs, body != NULL ? etag :
		    zdr.etag, msg, &held, newid, sizeof(newid)) == -1 ||
		    db_commit(md.db) == -1) {
			snprintf(msg, sizeof(msg), "database error while holding "
			    "the ZDR list");
			goto rollback;
		}
		events_notify();
		if (held > 0)
			log_warnx("zdr: %d models deactivated while the response "
			    "is held%s%s", held, newid[0] != '\0' ?
			    "; the default is now " : "", newid);
		snprintf(counts, sizeof(counts), ",\"would_remove\":%zu,"
		    "\"with_zdr\":%lld,\"max_remove\":%d,\"deactivated\":%d",
		    nlosses, (long long)with_zdr, cfg->zdr_max_remove, held);
		outcome = SRC_HELD;
		goto done;
	}
	snprintf(now, sizeof(now), "%lld", (long long)zdr_now());
	/* Before the replace, which empties zdr_new. */
	if (zdr_relist(&back, &relisted) == -1 ||
	    db_zdr_held_clear(md.db) == -1 ||
	    db_zdr_replace(md.db) == -1 ||
	    db_state_set(md.db, "zdr_last_ok", now) == -1 ||
	    zdr_losses(losses, nlosses, enforce, newid, sizeof(newid),
	    &default_lost) == -1 ||
	    db_commit(md.db) == -1) {
		snprintf(msg, sizeof(msg), "database error while applying "
		    "the ZDR list");
		goto rollback;
	}
	events_notify();

	if (body != NULL || from_held) {
		free(zdr.etag);
		zdr.etag = etag != NULL ? strdup(etag) : NULL;
		(void)buf_printf(&m, "%s%d ZDR endpoints for %d models",
		    from_held ? "applied the held response: " : "",
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
	if (relisted > 0)
		(void)buf_printf(&m, "; reactivated: %s", back.data);
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
	buf_free(&back);
	if (outcome == SRC_HELD)
		source_hold(&zdr.src, msg, counts);
	else
		source_done(&zdr.src, outcome, outcome == SRC_OK ?
		    zs.endpoints : 0, msg);
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
		zdr_apply(NULL, 0, zdr.force, NULL, 0);
		return;
	}
	/* fetch.h promises a body; NULL would be taken for a 304 below. */
	if (res->body == NULL) {
		source_done(&zdr.src, SRC_FAILED, 0, "the ZDR list is empty");
		return;
	}
	zdr_apply(res->body, res->len, zdr.force, res->etag, 0);
}

/* refresh zdr --force: apply the held response, from the loop. */
static void
zdr_held_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	zdr_apply(NULL, 0, 1, NULL, 1);
}

static int
zdr_has_held(struct source *src)
{
	(void)src;
	return db_zdr_held_exists(md.db, NULL, 0);
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
	if (db_zdr_held_exists(md.db, zdr.src.held, sizeof(zdr.src.held)) != 1)
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
		if (db_zdr_held_clear(md.db) == -1)
			log_warnx("zdr: cannot forget the held response");
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
