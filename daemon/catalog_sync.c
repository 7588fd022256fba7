/* catalog_sync.c: the "catalog" source: fetch the catalog, parse it into staging, apply it by reg_catalog_apply, seed from it on a first boot. */
#include <sys/types.h>

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
#include "catalog_sync.h"
#include "config.h"
#include "daemon.h"
#include "db_catalog.h"	/* struct db_catalog_held */
#include "events.h"
#include "expiry.h"
#include "fetch.h"
#include "import.h"
#include "log.h"
#include "reg_catalog.h"
#include "registry.h"
#include "source.h"

#define CAT_KEY_MAX	4096	/* bytes of api_key_file we accept */
#define CAT_SHOWN_MAX	160	/* a longer URL is cut in messages */

/*
 * The one catalog source. A run is: read the key, start the fetch; then,
 * in the fetch callback, parse into staging and apply in one transaction.
 * Nothing else runs in between, so staging cannot be disturbed.
 */
static struct {
	struct source	 src;
	struct fetch	*fetch;
	struct event	*later;		/* ends a run that failed before its fetch */
	char		 later_msg[512];
	int		 force;		/* the run in flight is forced */
	/* Copied at the start of a run: a reload may free the config before its end. */
	enum cat_format	 format;
	char		 shown[CAT_SHOWN_MAX + 4];
	char		*url;		/* the configured URL, to notice a change */
	int		 seed_failed;	/* seed.failed already raised for this streak */
	int		 seed_none_said;	/* "nothing to seed" already logged */
	struct event	*held_ev;	/* a forced run applies the held response from here */
	char		 counts[256];	/* of a hold, for sync.held */
	int		 forget_pending;	/* a reload's forget waits for an import */
} cat;

static void
catalog_actor(struct actor *a)
{
	a->uid = geteuid();
	a->user = "catalog";
	a->source = "auto";
}

/* End the run from the loop: it failed before a fetch could start. */
static void
catalog_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	source_done(&cat.src, SRC_FAILED, 0, cat.later_msg);
}

static void
catalog_fail_later(const char *msg)
{
	static const struct timeval	 now = { 0, 0 };

	log_oneline(cat.later_msg, sizeof(cat.later_msg), msg);
	if (evtimer_add(cat.later, &now) == -1)
		fatalx("catalog: cannot arm a timer");
}

/* The rule's settings, read from the config in this one place. */
static void
catalog_settings(struct reg_catalog_settings *s)
{
	s->max_drop = md.cfg->catalog_max_drop;
	s->price_increase = md.cfg->catalog_price_increase;
}

/*
 * A body to import on the loop (issue 8: only when no job can run): the
 * spooled file or the held blob, read in chunks, and its digest.
 */
struct catalog_body {
	struct body_src	 src;
	char		 digest[DIGEST_HEX_LEN];
	const char	*etag, *last_modified;
};

/*
 * The catalog has been parsed into staging: the rule applies it in one
 * transaction, or holds it. Fills msg with the summary, or why.
 */
static enum source_outcome
catalog_apply(const struct catalog_body *b, int force, int64_t *items,
    char *msg, size_t msglen)
{
	struct reg_catalog_settings	 s;
	struct reg_catalog_in		 in;
	struct reg_catalog_out		 out;
	struct actor			 a;

	catalog_settings(&s);
	catalog_actor(&a);
	memset(&in, 0, sizeof(in));
	in.src = &b->src;
	in.digest = b->digest;
	in.format = cfg_format_name(cat.format);
	in.etag = b->etag;
	in.last_modified = b->last_modified;
	in.force = force;
	in.now = (int64_t)time(NULL);
	in.actor = &a;
	if (reg_catalog_apply(md.db, &s, &in, &out, msg, msglen) != REG_OK)
		return SRC_FAILED;
	*items = out.staged;
	if (!out.held)
		return SRC_OK;
	snprintf(cat.counts, sizeof(cat.counts), ",\"dropped\":%lld,"
	    "\"known\":%lld,\"percent\":%d,\"max_drop\":%d",
	    (long long)out.dropped, (long long)out.known, out.percent,
	    s.max_drop);
	return SRC_HELD;
}

/* What a first boot's seed from the catalog came to (catalog_seed_run). */
enum catalog_seeded {
	CSEED_NO = 0,		/* not a first boot: nothing to do */
	CSEED_NONE_NAMED,	/* nothing names a model to seed */
	CSEED_FAILED,
	CSEED_DONE,
};

/* Raise seed.failed once per streak of failed catalog seeds (failed_before: the streak's). */
static enum catalog_seeded
catalog_seed_failed(sqlite3 *db, int failed_before, const char *why)
{
	struct buf	 d = { NULL, 0, 0 };

	log_warnx("seed from the catalog failed: %s", why);
	if (failed_before)
		return CSEED_FAILED;
	if (buf_puts(&d, "{\"source\":\"catalog\",\"reason\":") == 0 &&
	    buf_json_str(&d, why) == 0 && buf_puts(&d, "}") == 0)
		events_add(db, "seed.failed", NULL, d.data,
		    "seeding from the catalog failed: %s", why);
	buf_free(&d);
	return CSEED_FAILED;
}

/*
 * First boot without a [seed] url: the catalog gives the models the
 * always lists and default_model name, through the seed rules
 * (reg_seed_apply), so that there is one implementation of them. db's
 * staging still holds the catalog just applied: the loop's connection
 * (no thread), or the worker's, in the job that applied it (issue 8).
 * rs and the flags are copies; it touches nothing else of the daemon.
 */
static enum catalog_seeded
catalog_seed_run(sqlite3 *db, const struct reg_settings *rs,
    int failed_before, int none_said)
{
	struct reg_counts	 rc;
	struct seed_result	 res;
	struct actor		 a;
	struct buf		 d = { NULL, 0, 0 };
	const char		**names;
	size_t			 nact, ninact, n = 0, i;
	char			 msg[512];
	int64_t			 kept;
	int			 has_default;

	if (reg_counts(db, &rc) != REG_OK || rc.models > 0 ||
	    rc.seeded_at != 0)
		return CSEED_NO;
	nact = rs->always_active != NULL ? rs->always_active->n : 0;
	ninact = rs->always_inactive != NULL ? rs->always_inactive->n : 0;
	has_default = rs->default_model != NULL && rs->default_model[0] != '\0';
	if (nact + ninact == 0 && !has_default) {
		/* Nothing names a model to seed: sync adds them one by one. */
		if (!none_said)
			log_info("catalog: the first boot seeds from the catalog, "
			    "but no always_active, always_inactive or "
			    "default_model names a model: nothing seeded "
			    "(modelregctl sync adds models)");
		return CSEED_NONE_NAMED;
	}
	if ((names = calloc(nact + ninact + 1, sizeof(*names))) == NULL)
		return catalog_seed_failed(db, failed_before, "out of memory");
	for (i = 0; i < nact; i++)
		names[n++] = rs->always_active->v[i];
	for (i = 0; i < ninact; i++)
		names[n++] = rs->always_inactive->v[i];
	if (has_default)
		names[n++] = rs->default_model;
	if (reg_catalog_stage_only(db, names, n, &kept) == -1) {
		free(names);
		return catalog_seed_failed(db, failed_before,
		    "database error while staging");
	}
	free(names);
	if (kept == 0)
		return catalog_seed_failed(db, failed_before, "the catalog "
		    "lists none of the models always_active, always_inactive "
		    "and default_model name");
	a.uid = geteuid();
	a.user = "catalog";
	a.source = "seed";
	msg[0] = '\0';
	if (reg_seed_apply(db, rs, &(struct reg_seed_in){ &a, 0, 0 }, &res, msg,
	    sizeof(msg)) != REG_OK)
		return catalog_seed_failed(db, failed_before,
		    msg[0] ? msg : "cannot apply the seed rules");
	log_info("seeded from the catalog: %s", msg);
	if (res.warnings[0] != '\0')
		log_warnx("seed: %s", res.warnings);
	if (buf_printf(&d, "{\"source\":\"catalog\",\"added\":%d,"
	    "\"activated\":%d,\"deactivated\":%d,\"default_set\":%s,"
	    "\"warnings\":", res.added, res.activated, res.deactivated,
	    res.default_set ? "true" : "false") == 0 &&
	    buf_json_str(&d, res.warnings) == 0 && buf_puts(&d, "}") == 0)
		events_add(db, "seed.done", NULL, d.data,
		    "seeded from the catalog: %s", msg);
	buf_free(&d);
	return CSEED_DONE;
}

/* On the loop: remember what the seed came to, and tell the watchers. */
static void
catalog_seeded(enum catalog_seeded r)
{
	switch (r) {
	case CSEED_NO:
		return;
	case CSEED_NONE_NAMED:
		cat.seed_none_said = 1;
		return;
	case CSEED_FAILED:
		cat.seed_failed = 1;
		break;
	case CSEED_DONE:
		cat.seed_failed = 0;
		break;
	}
	events_notify();
}

/* The seed on the loop (no thread could run the job). */
static void
catalog_seed(void)
{
	struct reg_settings	 rs;

	if (md.cfg->seed.url != NULL)
		return;
	catalog_seeded(catalog_seed_run(md.db, reg_settings_cfg(md.cfg, &rs),
	    cat.seed_failed, cat.seed_none_said));
}

/*
 * A catalog refresh off the loop (issue 8): the same-body check, the
 * parse and the apply run on import.c's worker, with copies of what they
 * read; catalog_job_done reports on the loop as catalog_fetched does. The
 * body is never copied: the job has its own descriptor of the file the
 * fetcher spooled it to (or of the file:// source), or, for a forced
 * run, reads the held response from the database (held), in chunks.
 */
struct catalog_job {
	int				 fd;
	int				 held;
	uint64_t			 len;
	char				*etag, *last_modified;
	enum cat_format			 format;
	int				 force;
	struct reg_catalog_settings	 s;
	struct actor			 a;
	int64_t				 now;
	/* The first boot without [seed] url: this apply seeds too (issue 8). */
	int				 seed_due, seed_failed, seed_none_said;
	struct reg_settings		 rs;
	struct cfg_list			 act, inact, fallback;
	char				*default_model;
	/* What the worker found. */
	enum catalog_seeded		 seeded;
	int				 ran, same, parsed;
	struct catalog_stats		 cs;
	enum cat_look			 look;
	enum reg_rc			 rc;
	struct reg_catalog_out		 out;
	int64_t				 items;
	char				 digest[DIGEST_HEX_LEN];
	char				 err[256], msg[700];
};

static void
catalog_job_free(struct catalog_job *j)
{
	if (j == NULL)
		return;
	if (j->fd != -1)
		close(j->fd);
	free(j->etag);
	free(j->last_modified);
	import_list_free(&j->act);
	import_list_free(&j->inact);
	import_list_free(&j->fallback);
	free(j->default_model);
	free(j);
}

/* The seed's settings, copied: a reload may free the config before the job ends. */
static int
catalog_job_seed_copy(struct catalog_job *j)
{
	struct reg_settings	 s;

	reg_settings_cfg(md.cfg, &s);
	j->rs = s;
	if (import_list_copy(&j->act, s.always_active) == -1 ||
	    import_list_copy(&j->inact, s.always_inactive) == -1 ||
	    import_list_copy(&j->fallback, s.fallback) == -1 ||
	    (s.default_model != NULL &&
	    (j->default_model = strdup(s.default_model)) == NULL))
		return -1;
	j->rs.always_active = &j->act;
	j->rs.always_inactive = &j->inact;
	j->rs.fallback = &j->fallback;
	j->rs.default_model = j->default_model;
	j->seed_due = 1;
	j->seed_failed = cat.seed_failed;
	j->seed_none_said = cat.seed_none_said;
	return 0;
}

/* A job for the body in fd (dup'ed: the job's own), or for the held response (fd -1). */
static struct catalog_job *
catalog_job_new(int fd, uint64_t len, const char *etag,
    const char *last_modified)
{
	struct catalog_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->fd = -1;
	j->held = fd == -1;
	if ((fd != -1 && (j->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1) ||
	    (etag != NULL && (j->etag = strdup(etag)) == NULL) ||
	    (last_modified != NULL &&
	    (j->last_modified = strdup(last_modified)) == NULL)) {
		catalog_job_free(j);
		return NULL;
	}
	j->len = len;
	j->format = cat.format;
	j->force = cat.force;
	catalog_settings(&j->s);
	catalog_actor(&j->a);
	j->now = (int64_t)time(NULL);
	return j;
}

static void
catalog_job_in(struct catalog_job *j, const struct body_src *src,
    struct reg_catalog_in *in)
{
	memset(in, 0, sizeof(*in));
	in->src = src;
	in->digest = j->digest;
	in->format = cfg_format_name(j->format);
	in->etag = j->etag;
	in->last_modified = j->last_modified;
	in->force = j->force;
	in->now = j->now;
	in->actor = &j->a;
	in->notify_later = 1;
}

/* On the worker, with its own connection and its own staging. */
static void
catalog_job_work(sqlite3 *db, void *arg)
{
	struct catalog_job	*j = arg;
	struct reg_catalog_in	 in;
	struct body_src		 src;
	sqlite3_blob		*blob = NULL;
	int			 r;

	j->ran = 1;
	if (j->held) {
		/* Read here, in chunks: the loop never holds the held response. */
		if ((r = reg_catalog_held_body(db, &blob, &j->len)) != 0) {
			j->same = -1;
			snprintf(j->msg, sizeof(j->msg), "%s", r == 1 ?
			    "nothing is held for catalog; --force applies a "
			    "held response" : "database error while reading "
			    "the held catalog response");
			return;
		}
		body_src_blob(&src, blob, j->len);
	} else
		body_src_fd(&src, j->fd, j->len);
	catalog_job_in(j, &src, &in);
	/* The same-body check needs the digest first; a forced run hashes as it parses. */
	if (!j->force) {
		if (body_digest(&src, j->digest, j->err, sizeof(j->err)) == -1) {
			j->parsed = -1;
			goto done;
		}
		if ((j->same = reg_catalog_same_body(db, &in, &j->items,
		    j->msg, sizeof(j->msg))) != 0)
			goto done;
	}
	j->look = LOOK_NONE;
	j->parsed = catalog_parse_checked_src(db, j->format, &src, &j->cs,
	    &j->look, j->force ? j->digest : NULL, j->err, sizeof(j->err));
	/* The apply never reads the held blob again (a forced run is not held). */
	if (blob != NULL) {
		sqlite3_blob_close(blob);
		blob = NULL;
	}
	if (j->parsed == -1 || j->cs.staged == 0 || import_stopping())
		goto done;
	j->rc = reg_catalog_apply(db, &j->s, &in, &j->out, j->msg,
	    sizeof(j->msg));
	/* The first boot's seed, from this connection's staging. */
	if (j->rc == REG_OK && !j->out.held && j->seed_due &&
	    !import_stopping())
		j->seeded = catalog_seed_run(db, &j->rs, j->seed_failed,
		    j->seed_none_said);
 done:
	if (blob != NULL)
		sqlite3_blob_close(blob);
	/*
	 * Closed here, not on the loop: the last close of an unlinked file
	 * frees its pages in the page cache, tens of milliseconds for 78 MB.
	 */
	if (j->fd != -1)
		close(j->fd);
	j->fd = -1;
}

/* Back on the loop: end the run as catalog_fetched would have. */
static void
catalog_job_done(void *arg, int cancelled)
{
	struct catalog_job	*j = arg;
	char			 msg[700];

	if (cancelled) {
		/* The daemon stops; the run ends with it. */
		catalog_job_free(j);
		return;
	}
	if (j->look != LOOK_NONE)
		snprintf(cat.src.detected, sizeof(cat.src.detected), "%s",
		    catalog_look_name(j->look));
	if (!j->ran)
		source_done(&cat.src, SRC_FAILED, 0, "database error: cannot "
		    "open the database");
	else if (j->same == -1)
		source_done(&cat.src, SRC_FAILED, 0, j->msg);
	else if (j->same == 1)
		source_done(&cat.src, SRC_OK, (int)j->items, j->msg);
	else if (j->parsed == -1) {
		buf_fit(msg, sizeof(msg), "%s: %s", cat.shown,
		    j->err[0] ? j->err : "cannot parse the catalog");
		source_done(&cat.src, SRC_FAILED, 0, msg);
	} else if (j->cs.staged == 0) {
		snprintf(msg, sizeof(msg), "%s: the catalog lists no models",
		    cat.shown);
		source_done(&cat.src, SRC_FAILED, 0, msg);
	} else if (j->rc != REG_OK)
		source_done(&cat.src, SRC_FAILED, 0, j->msg);
	else if (j->out.held) {
		snprintf(cat.counts, sizeof(cat.counts), ",\"dropped\":%lld,"
		    "\"known\":%lld,\"percent\":%d,\"max_drop\":%d",
		    (long long)j->out.dropped, (long long)j->out.known,
		    j->out.percent, j->s.max_drop);
		source_hold(&cat.src, j->msg, cat.counts);
	} else {
		events_notify();
		catalog_seeded(j->seeded);
		/* Expiry dates may have come or changed. */
		expiry_check_soon();
		if (j->cs.skipped > 0 || j->cs.duplicates > 0)
			log_info("catalog: skipped %d entries without a usable "
			    "id and %d duplicates", j->cs.skipped,
			    j->cs.duplicates);
		source_done(&cat.src, SRC_OK, (int)j->out.staged, j->msg);
	}
	catalog_job_free(j);
}

/* Would this apply seed the registry from the catalog (catalog_seed_run)? */
static int
catalog_seed_due(void)
{
	struct reg_counts	 rc;

	if (md.cfg->seed.url != NULL)
		return 0;
	return reg_counts(md.db, &rc) != REG_OK || (rc.models == 0 &&
	    rc.seeded_at == 0);
}

/*
 * Import a body: off the loop as a job; the first boot without [seed]
 * url seeds in the same job, from the worker's staging (issue 8). Here
 * only when no job can start. fd: the spooled body, len bytes; -1: the
 * held response, read from the database.
 */
static void
catalog_import(int fd, uint64_t len, const char *etag,
    const char *last_modified)
{
	struct catalog_stats	 cs;
	struct catalog_body	 b;
	enum source_outcome	 o;
	sqlite3_blob		*blob = NULL;
	char			 msg[700], err[256];
	enum cat_look		 look = LOOK_NONE;
	int64_t			 items = 0;
	int			 rc;

	{
		struct catalog_job	*job;

		if ((job = catalog_job_new(fd, len, etag,
		    last_modified)) != NULL &&
		    (!catalog_seed_due() || catalog_job_seed_copy(job) == 0) &&
		    import_start(md.cfg->database, catalog_job_work,
		    catalog_job_done, job) == 0)
			return;
		catalog_job_free(job);
		log_warnx("catalog: cannot apply off the loop: applying here");
	}
	memset(&b, 0, sizeof(b));
	b.etag = etag;
	b.last_modified = last_modified;
	if (fd == -1) {
		if ((rc = reg_catalog_held_body(md.db, &blob, &len)) != 0) {
			source_done(&cat.src, SRC_FAILED, 0, rc == 1 ?
			    "nothing is held for catalog; --force applies a "
			    "held response" : "database error while reading "
			    "the held catalog response");
			return;
		}
		body_src_blob(&b.src, blob, len);
	} else
		body_src_fd(&b.src, fd, len);
	/*
	 * The very body applied last (a server without validators, or a
	 * new ETag on the same bytes): nothing to parse, nothing to write.
	 * A forced run judges its response again.
	 */
	if (!cat.force) {
		struct reg_catalog_in	 in;

		if (body_digest(&b.src, b.digest, err, sizeof(err)) == -1) {
			buf_fit(msg, sizeof(msg), "%s: %s", cat.shown, err);
			source_done(&cat.src, SRC_FAILED, 0, msg);
			goto done;
		}
		memset(&in, 0, sizeof(in));
		in.src = &b.src;
		in.digest = b.digest;
		in.format = cfg_format_name(cat.format);
		in.etag = etag;
		in.last_modified = last_modified;
		if ((rc = reg_catalog_same_body(md.db, &in, &items, msg,
		    sizeof(msg))) == -1) {
			source_done(&cat.src, SRC_FAILED, 0, msg);
			goto done;
		}
		if (rc == 1) {
			source_done(&cat.src, SRC_OK, (int)items, msg);
			goto done;
		}
	}
	memset(&cs, 0, sizeof(cs));
	err[0] = '\0';
	/* A body in another format than configured fails: nothing changes. */
	rc = catalog_parse_checked_src(md.db, cat.format, &b.src, &cs, &look,
	    cat.force ? b.digest : NULL, err, sizeof(err));
	if (blob != NULL) {
		sqlite3_blob_close(blob);
		blob = NULL;
	}
	if (look != LOOK_NONE)
		snprintf(cat.src.detected, sizeof(cat.src.detected), "%s",
		    catalog_look_name(look));
	if (rc == -1) {
		buf_fit(msg, sizeof(msg), "%s: %s", cat.shown,
		    err[0] ? err : "cannot parse the catalog");
		source_done(&cat.src, SRC_FAILED, 0, msg);
		goto done;
	}
	if (cs.staged == 0) {
		snprintf(msg, sizeof(msg), "%s: the catalog lists no models",
		    cat.shown);
		source_done(&cat.src, SRC_FAILED, 0, msg);
		goto done;
	}
	o = catalog_apply(&b, cat.force, &items, msg, sizeof(msg));
	if (o == SRC_OK) {
		catalog_seed();
		/* Expiry dates may have come or changed. */
		expiry_check_soon();
	}
	if (o == SRC_OK && (cs.skipped > 0 || cs.duplicates > 0))
		log_info("catalog: skipped %d entries without a usable id and "
		    "%d duplicates", cs.skipped, cs.duplicates);
	if (o == SRC_HELD)
		source_hold(&cat.src, msg, cat.counts);
	else
		source_done(&cat.src, o, (int)items, msg);
 done:
	if (blob != NULL)
		sqlite3_blob_close(blob);
}

/* The catalog answered (or not): parse, apply, end the run. */
static void
catalog_fetched(const struct fetch_result *fr, void *arg)
{
	char			 msg[700];
	int64_t			 items = 0;

	(void)arg;
	cat.fetch = NULL;
	/* A seed is being imported off the loop: apply after it (issue 8). */
	if (import_busy() &&
	    import_later("catalog", catalog_fetched, fr, NULL) == 0)
		return;
	if (!fr->ok) {
		buf_fit(msg, sizeof(msg), "%s: %s", cat.shown, fr->err);
		source_done(&cat.src, SRC_FAILED, 0, msg);
		return;
	}
	if (fr->not_modified) {
		if (reg_catalog_unchanged(md.db, &items, msg, sizeof(msg)) !=
		    REG_OK) {
			source_done(&cat.src, SRC_FAILED, 0, msg);
			return;
		}
		source_done(&cat.src, SRC_OK, (int)items, msg);
		return;
	}
	/* catalog_run asked for a spooled body: it is in fr->fd. */
	if (fr->fd == -1) {
		buf_fit(msg, sizeof(msg), "%s: the response was not stored",
		    cat.shown);
		source_done(&cat.src, SRC_FAILED, 0, msg);
		return;
	}
	catalog_import(fr->fd, fr->len, fr->etag, fr->last_modified);
}

static void	 catalog_held_cb(evutil_socket_t, short, void *);

/* The held response waited for another import: apply it now. */
static void
catalog_held_later(const struct fetch_result *fr, void *arg)
{
	(void)fr;
	catalog_held_cb(-1, 0, arg);
}

/* refresh catalog --force: parse the held response again and apply it, forced. */
static void
catalog_held_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct fetch_result nofr = { .fd = -1, .body = "" };
	struct db_catalog_held	 h;
	sqlite3_blob		*blob;
	enum cat_format		 fmt;
	uint64_t		 len = 0;
	int			 r;

	(void)fd;
	(void)what;
	(void)arg;
	/* A seed is being imported off the loop: apply after it (issue 8). */
	if (import_busy() &&
	    import_later("catalog", catalog_held_later, &nofr, NULL) == 0)
		return;
	/* Its format and validators only: the body is read in chunks by the import. */
	if ((r = reg_catalog_held(md.db, &h, 0)) != 0) {
		source_done(&cat.src, SRC_FAILED, 0, r == 1 ? "nothing is held "
		    "for catalog; --force applies a held response" :
		    "database error while reading the held catalog response");
		return;
	}
	if (reg_catalog_held_body(md.db, &blob, &len) == 0)
		sqlite3_blob_close(blob);
	if (catalog_parse_format(h.format, &fmt) == -1)
		fmt = cat.format;
	cat.format = fmt;
	cat.force = 1;
	log_info("catalog: applying the held response (%llu bytes, %s format)",
	    (unsigned long long)len, cfg_format_name(fmt));
	catalog_import(-1, len, h.etag[0] != '\0' ? h.etag : NULL,
	    h.last_modified[0] != '\0' ? h.last_modified : NULL);
}

static int
catalog_has_held(struct source *src)
{
	struct db_catalog_held	 h;

	(void)src;
	/* What is held is the old source's, about to be forgotten. */
	if (cat.forget_pending)
		return 0;
	return reg_catalog_held(md.db, &h, 0) == 0;
}

/* The source's run: read the key, start the fetch. */
static void
catalog_run(struct source *src, int force)
{
	struct fetch_req	 req;
	char			 key[CAT_KEY_MAX + 2], err[512];
	char			*etag = NULL, *lm = NULL;

	(void)src;
	cat.force = force;
	if (md.cfg->catalog.url == NULL) {
		catalog_fail_later("no catalog source configured ([catalog] url)");
		return;
	}
	cat.format = md.cfg->catalog.format;
	cat.src.format = cfg_format_name(cat.format);
	fetch_show_url(md.cfg->catalog.url, cat.shown, sizeof(cat.shown));
	/*
	 * --force applies the response that was held, never a fresh
	 * download nobody reviewed; a forced run with nothing held (it waited
	 * for a run that held nothing) is an ordinary run.
	 */
	if (force) {
		if (catalog_has_held(src)) {
			static const struct timeval	 now = { 0, 0 };

			if (evtimer_add(cat.held_ev, &now) == -1)
				fatalx("catalog: cannot arm a timer");
			return;
		}
		force = 0;
		cat.force = 0;
	}

	memset(&req, 0, sizeof(req));
	req.url = md.cfg->catalog.url;		/* fetch_start copies it */
	req.timeout_ms = md.cfg->catalog.timeout > 0 ?
	    (long)md.cfg->catalog.timeout * 1000 : 0;
	req.max_bytes = md.cfg->catalog.max_bytes;
	/* On disk, not in memory (issue 8): a catalog can be 78 MB. */
	req.spool_dir = import_spool_dir();
	/*
	 * Validators only when there is a catalog they describe; a forced
	 * run asks for the whole response, to judge it again.
	 */
	if (!force && !cat.forget_pending) {
		reg_catalog_validators(md.db, &etag, &lm);
		req.etag = etag;
		req.last_modified = lm;
	}
	/* Read at every run: a key rotated on disk is picked up without a reload. */
	if (md.cfg->catalog.api_key_file != NULL) {
		if (source_read_key(md.cfg->catalog.api_key_file, key,
		    sizeof(key), err, sizeof(err)) == -1) {
			free(etag);
			free(lm);
			catalog_fail_later(err);
			return;
		}
		req.bearer = key;
	}
	cat.fetch = fetch_start(&req, catalog_fetched, NULL);
	explicit_bzero(key, sizeof(key));
	free(etag);
	free(lm);
	if (cat.fetch == NULL) {
		snprintf(err, sizeof(err), "%s: cannot start the transfer",
		    cat.shown);
		catalog_fail_later(err);
		return;
	}
	log_debug("catalog: fetching %s (%s format)%s", cat.shown,
	    cfg_format_name(cat.format), force ? ", forced" : "");
}

/* The reload's forget, after the import that held the write lock then. */
static void
catalog_forget_after(void *arg, int cancelled)
{
	(void)arg;
	cat.forget_pending = 0;
	if (!cancelled)
		(void)reg_catalog_forget(md.db);
}

/* Follow the config: enabled with a url; validators belong to one URL. */
static void
catalog_configure(void)
{
	const struct config	*cfg = md.cfg;
	char			*url = NULL;

	if (cfg->catalog.url != NULL &&
	    (url = strdup(cfg->catalog.url)) == NULL)
		fatal("catalog");
	if (cat.url != NULL && (url == NULL || strcmp(cat.url, url) != 0)) {
		/*
		 * Another source: its validators and held response are not
		 * for this one. While an import holds the write lock the
		 * forget waits its turn (issue 8), rather than the loop in
		 * SQLite's busy handler; meanwhile nothing old is used.
		 * A stop before it runs forgets nothing, just as a URL
		 * changed while the daemon is stopped forgets nothing.
		 */
		if (import_busy() && !cat.forget_pending &&
		    import_after("catalog: forgetting the old validators",
		    catalog_forget_after, NULL) == 0)
			cat.forget_pending = 1;
		else if (!cat.forget_pending)
			(void)reg_catalog_forget(md.db);
		cat.src.held[0] = '\0';
	}
	free(cat.url);
	cat.url = url;
	cat.src.format = cfg->catalog.url != NULL ?
	    cfg_format_name(cfg->catalog.format) : NULL;
	source_configure(&cat.src, cfg->catalog.url != NULL,
	    cfg->catalog.interval, cfg->catalog.retry_min,
	    cfg->catalog.retry_max);
}

void
catalog_sync_init(void)
{
	struct db_catalog_held	 h;

	source_init(&cat.src, "catalog", catalog_run, NULL);
	cat.src.has_held = catalog_has_held;
	if (cat.later == NULL &&
	    (cat.later = evtimer_new(md.base, catalog_later, NULL)) == NULL)
		fatalx("catalog: cannot create a timer");
	if (cat.held_ev == NULL &&
	    (cat.held_ev = evtimer_new(md.base, catalog_held_cb, NULL)) == NULL)
		fatalx("catalog: cannot create a timer");
	/* A held response is in the database: it survives a restart. */
	if (reg_catalog_held(md.db, &h, 0) == 0)
		snprintf(cat.src.held, sizeof(cat.src.held), "%s", h.message);
	catalog_configure();
}

void
catalog_sync_reconfigure(void)
{
	if (cat.later == NULL)
		return;
	catalog_configure();
}

void
catalog_sync_shutdown(void)
{
	if (cat.fetch != NULL) {
		fetch_cancel(cat.fetch);
		cat.fetch = NULL;
	}
	if (cat.later != NULL) {
		event_free(cat.later);
		cat.later = NULL;
	}
	if (cat.held_ev != NULL) {
		event_free(cat.held_ev);
		cat.held_ev = NULL;
	}
	source_shutdown(&cat.src);
	free(cat.url);
	cat.url = NULL;
}
