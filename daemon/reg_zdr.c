/* reg_zdr.c: the ZDR rules: losses, removal when enforced, the hold that deactivates, reactivation of held models, the held response. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "db_zdr.h"
#include "events.h"
#include "log.h"
#include "reg_default.h"
#include "reg_int.h"
#include "reg_zdr.h"
#include "registry.h"

#define ZDR_NAMES_MAX	5	/* ids named in an outcome; the rest are counted */

/* Append "a, b, c and 4 more" naming the ids of v to b. */
static void
reg_zdr_names(struct buf *b, const struct zdr_loss *v, size_t n)
{
	size_t	 i, shown = 0;

	for (i = 0; i < n; i++) {
		if (shown == ZDR_NAMES_MAX)
			continue;
		(void)buf_printf(b, "%s%s", shown ? ", " : "", v[i].id);
		shown++;
	}
	if (n > shown)
		(void)buf_printf(b, " and %zu more", n - shown);
}

/*
 * "no ZDR endpoint is listed for its canonical slug S" (or "for it" when
 * the slug is its id): the event's model column names the model, so the
 * message does not repeat its id.
 */
static int
reg_zdr_why(struct buf *b, const struct zdr_loss *l)
{
	if (strcmp(l->slug, l->id) == 0)
		return buf_puts(b, "no ZDR endpoint is listed for it");
	return buf_printf(b, "no ZDR endpoint is listed for its canonical "
	    "slug %s", l->slug);
}

/* b := prefix, why, suffix. 0 or -1. */
static int
reg_zdr_why_msg(struct buf *b, const char *prefix, const struct zdr_loss *l,
    const char *suffix)
{
	if (buf_puts(b, prefix) == -1 || reg_zdr_why(b, l) == -1 ||
	    buf_puts(b, suffix) == -1)
		return -1;
	return 0;
}

/* model.removed for l, which was deleted; tail ends the message. */
static int
reg_zdr_removed_event(sqlite3 *db, const struct zdr_loss *l, const char *tail)
{
	struct buf	 d = { 0 }, m = { 0 };
	int		 rc = -1;

	if (buf_puts(&d, "{\"reason\":\"zdr\",\"slug\":") == -1 ||
	    buf_json_str(&d, l->slug) == -1 || buf_putc(&d, '}') == -1 ||
	    reg_zdr_why_msg(&m, "removed automatically: it lost zero data "
	    "retention (", l, tail) == -1) {
		log_warnx("zdr: out of memory");
		goto out;
	}
	rc = events_add(db, "model.removed", l->id, d.data, "%s", m.data);
out:
	buf_free(&d);
	buf_free(&m);
	return rc;
}

/*
 * Raise model.zdr_lost for each loss and, when enforced, remove them:
 * the others first, then the default, whose mark moves first (the
 * others are already gone, so none of them can be picked). Inside the
 * caller's transaction.
 */
static int
reg_zdr_losses(sqlite3 *db, const struct reg_zdr_settings *s,
    const struct reg_zdr_in *in, struct reg_zdr_out *out)
{
	const struct zdr_loss	*v = out->losses;
	struct reg_reassign	 ra;
	struct buf		 d = { 0 }, m = { 0 };
	size_t			 i, n = out->nlosses;
	int			 rc = -1;

	for (i = 0; i < n; i++) {
		buf_reset(&d);
		if (buf_puts(&d, "{\"slug\":") == -1 ||
		    buf_json_str(&d, v[i].slug) == -1 ||
		    buf_printf(&d, ",\"enforced\":%s}", s->enforce ? "true" :
		    "false") == -1)
			goto nomem;
		buf_reset(&m);
		if (reg_zdr_why_msg(&m, "lost zero data retention: ", &v[i],
		    s->enforce ? "; it is removed" : "") == -1)
			goto nomem;
		if (events_add(db, "model.zdr_lost", v[i].id, d.data, "%s",
		    m.data) == -1)
			goto out;
	}
	if (!s->enforce) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (v[i].is_default)
			continue;
		if (db_model_delete(db, v[i].id, in->now, in->actor) == -1 ||
		    reg_zdr_removed_event(db, &v[i], ")") == -1)
			goto out;
		out->removed++;
	}
	for (i = 0; i < n; i++) {
		if (!v[i].is_default)
			continue;
		if (reg_default_reassign(db, s->fallback, v[i].id, in->now,
		    in->actor, "zdr", "lost zero data retention and was removed",
		    &ra) == -1)
			goto out;
		out->default_moved = 1;
		snprintf(out->old_default, sizeof(out->old_default), "%s",
		    v[i].id);
		snprintf(out->new_default, sizeof(out->new_default), "%s", ra.id);
		if (db_model_delete(db, v[i].id, in->now, in->actor) == -1 ||
		    reg_zdr_removed_event(db, &v[i], "); it was the default") == -1)
			goto out;
		out->removed++;
	}
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
 * reactivates it (reg_zdr_relist). Inside the caller's transaction.
 */
static int
reg_zdr_hold_one(sqlite3 *db, const struct zdr_loss *l, const struct actor *a,
    int64_t now)
{
	struct buf	 d = { 0 }, m = { 0 };
	int		 rc = -1;

	if (db_model_set_status(db, l->id, 0, "auto", now) == -1 ||
	    db_model_set_status_reason(db, l->id, "zdr_held") == -1 ||
	    db_audit(db, now, a, "deactivate", l->id, "status", "active",
	    "inactive") == -1)
		goto out;
	if (buf_puts(&d, "{\"reason\":\"zdr_held\",\"slug\":") == -1 ||
	    buf_json_str(&d, l->slug) == -1 || buf_putc(&d, '}') == -1 ||
	    buf_puts(&m, "deactivated automatically: a held ZDR response "
	    "says it lost zero data retention (") == -1 ||
	    reg_zdr_why(&m, l) == -1 ||
	    buf_puts(&m, "); refresh zdr --force removes it, a valid list "
	    "that names it again reactivates it") == -1) {
		log_warnx("zdr: out of memory");
		goto out;
	}
	rc = events_add(db, "model.deactivated", l->id, d.data, "%s", m.data);
out:
	buf_free(&d);
	buf_free(&m);
	return rc;
}

/*
 * Keep the held response and deactivate the active models it would
 * remove: the others first, then the default (its mark moved first, by
 * the reassignment rule), so that none of them can be picked as the next
 * default. Only when this response is not the one already held.
 */
static int
reg_zdr_hold(sqlite3 *db, const struct reg_zdr_settings *s,
    const struct reg_zdr_in *in, const char *etag, const char *msg,
    struct reg_zdr_out *out)
{
	const struct zdr_loss	*v = out->losses;
	struct reg_reassign	 ra;
	struct buf		 ids = { 0 };
	size_t			 i, n = out->nlosses;
	int			 changed, rc = -1;

	if (buf_putc(&ids, '[') == -1)
		goto nomem;
	for (i = 0; i < n; i++)
		if ((i > 0 && buf_putc(&ids, ',') == -1) ||
		    buf_json_str(&ids, v[i].id) == -1)
			goto nomem;
	if (buf_putc(&ids, ']') == -1)
		goto nomem;
	if (db_zdr_hold(db, &out->stats, ids.data, etag, msg, &changed) == -1)
		goto out;
	if (!changed) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!v[i].active || v[i].is_default)
			continue;
		if (reg_zdr_hold_one(db, &v[i], in->actor, in->now) == -1)
			goto out;
		out->deactivated++;
	}
	for (i = 0; i < n; i++) {
		if (!v[i].is_default)
			continue;
		if (reg_default_reassign(db, s->fallback, v[i].id, in->now,
		    in->actor, "zdr_held", "may have lost zero data retention "
		    "(a ZDR response is held) and is deactivated", &ra) == -1)
			goto out;
		out->default_moved = 1;
		snprintf(out->old_default, sizeof(out->old_default), "%s",
		    v[i].id);
		snprintf(out->new_default, sizeof(out->new_default), "%s", ra.id);
		if (reg_zdr_hold_one(db, &v[i], in->actor, in->now) == -1)
			goto out;
		out->deactivated++;
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
 * since, whose reason the change cleared). names gets "a, b and 3 more".
 */
static int
reg_zdr_relist(sqlite3 *db, const struct reg_zdr_in *in, struct buf *names,
    struct reg_zdr_out *out)
{
	struct zdr_loss	*v = NULL;
	struct buf	 d = { 0 };
	size_t		 nv = 0, i;
	int		 n = 0, rc = -1;

	if (db_zdr_relisted(db, &v, &nv) == -1)
		return -1;
	for (i = 0; i < nv; i++) {
		buf_reset(&d);
		if (db_model_set_status(db, v[i].id, 1, "auto", in->now) == -1 ||
		    db_audit(db, in->now, in->actor, "activate", v[i].id,
		    "status", "inactive", "active") == -1)
			goto out;
		if (buf_puts(&d, "{\"reason\":\"zdr_listed\",\"slug\":") == -1 ||
		    buf_json_str(&d, v[i].slug) == -1 ||
		    buf_putc(&d, '}') == -1) {
			log_warnx("zdr: out of memory");
			goto out;
		}
		if (events_add(db, "model.activated", v[i].id, d.data,
		    "reactivated automatically: the ZDR list names it again "
		    "(it was deactivated while a ZDR response was held)") == -1)
			goto out;
		if (n < ZDR_NAMES_MAX)
			(void)buf_printf(names, "%s%s", n ? ", " : "", v[i].id);
		n++;
	}
	if (n > ZDR_NAMES_MAX)
		(void)buf_printf(names, " and %d more", n - ZDR_NAMES_MAX);
	out->relisted = n;
	rc = 0;
out:
	free(v);
	buf_free(&d);
	return rc;
}

/* Read the list into zdr_new, by in->from. REG_OK, or the failure with msg set. */
static enum reg_rc
reg_zdr_load(sqlite3 *db, const struct reg_zdr_in *in, struct reg_zdr_out *out,
    char *etag, size_t etaglen, const char **etagp, char *msg, size_t len)
{
	char	 err[256];
	int	 r;

	*etagp = in->etag;
	switch (in->from) {
	case REG_ZDR_HELD:
		if ((r = db_zdr_held_load(db, &out->stats, etag, etaglen, NULL,
		    0)) != 0) {
			reg_msg(msg, len, r == 1 ? "nothing is held for zdr; "
			    "--force applies a held response" : "database "
			    "error while reading the held ZDR response");
			return r == 1 ? REG_NOTFOUND : REG_INTERNAL;
		}
		*etagp = etag[0] != '\0' ? etag : NULL;
		return REG_OK;
	case REG_ZDR_UNCHANGED:
		if (db_zdr_reuse(db, &out->stats) == -1) {
			reg_msg(msg, len, "database error while reading the ZDR "
			    "list");
			return REG_INTERNAL;
		}
		out->stats.endpoints = in->endpoints;
		return REG_OK;
	case REG_ZDR_BODY:
	default:
		if (db_zdr_parse(db, in->body, in->len, &out->stats, err,
		    sizeof(err)) == -1) {
			reg_msg(msg, len, "%s", err);
			return REG_USAGE;
		}
		return REG_OK;
	}
}

enum reg_rc
reg_zdr_apply(sqlite3 *db, const struct reg_zdr_settings *s,
    const struct reg_zdr_in *in, struct reg_zdr_out *out, char *msg,
    size_t len)
{
	struct buf	 m = { 0 }, back = { 0 };
	char		 heldetag[1100], now[32];
	const char	*etag;
	enum reg_rc	 rc;

	memset(out, 0, sizeof(*out));
	if (db_begin(db) == -1) {
		reg_msg(msg, len, "database error: cannot begin");
		return REG_INTERNAL;
	}
	heldetag[0] = '\0';
	if ((rc = reg_zdr_load(db, in, out, heldetag, sizeof(heldetag), &etag,
	    msg, len)) != REG_OK)
		goto rollback;
	/* An empty list would take ZDR from everything: it proves nothing. */
	if (out->stats.slugs == 0) {
		if (out->stats.entries == 0)
			reg_msg(msg, len, "the ZDR list is empty");
		else
			reg_msg(msg, len, "the ZDR list is empty: none of its "
			    "%d entries has a usable model_id",
			    out->stats.entries);
		rc = REG_USAGE;
		goto rollback;
	}
	rc = REG_INTERNAL;
	if (db_zdr_diff(db, &out->with_zdr, &out->losses, &out->nlosses) == -1) {
		reg_msg(msg, len, "database error while comparing the ZDR "
		    "lists");
		goto rollback;
	}
	/*
	 * The guard counts removals, so it only applies when they happen.
	 * Integer arithmetic: more than max_remove percent of the synced
	 * models that had ZDR, the set the losses are drawn from.
	 */
	if (s->enforce && !in->force && out->nlosses > 0 &&
	    (int64_t)out->nlosses * 100 > (int64_t)s->max_remove *
	    out->with_zdr) {
		(void)buf_printf(&m, "the ZDR list would remove %zu of the "
		    "%lld synced models with ZDR (", out->nlosses,
		    (long long)out->with_zdr);
		reg_zdr_names(&m, out->losses, out->nlosses);
		(void)buf_printf(&m, "), more than max_remove %d%%: "
		    "deactivated until refresh zdr --force applies it",
		    s->max_remove);
		log_oneline(msg, len, m.data != NULL ? m.data :
		    "the ZDR list would remove too many models at once");
		/* Kept whole (etag included) so that --force applies exactly this. */
		if (reg_zdr_hold(db, s, in, etag, msg, out) == -1 ||
		    db_commit(db) == -1) {
			reg_msg(msg, len, "database error while holding the ZDR "
			    "list");
			goto rollback;
		}
		if (!in->notify_later)
			events_notify();
		if (out->deactivated > 0)
			log_warnx("zdr: %d models deactivated while the response "
			    "is held%s%s", out->deactivated,
			    out->new_default[0] != '\0' ?
			    "; the default is now " : "", out->new_default);
		out->held = 1;
		buf_free(&m);
		return REG_OK;
	}
	snprintf(now, sizeof(now), "%lld", (long long)in->now);
	/* Before the replace, which empties zdr_new. */
	if (reg_zdr_relist(db, in, &back, out) == -1 ||
	    db_zdr_held_clear(db) == -1 ||
	    db_zdr_replace(db) == -1 ||
	    db_state_set(db, "zdr_last_ok", now) == -1 ||
	    reg_zdr_losses(db, s, in, out) == -1 ||
	    db_commit(db) == -1) {
		reg_msg(msg, len, "database error while applying the ZDR list");
		goto rollback;
	}
	if (!in->notify_later)
		events_notify();

	if (in->from != REG_ZDR_UNCHANGED) {
		out->new_etag = 1;
		snprintf(out->etag, sizeof(out->etag), "%s", etag != NULL ?
		    etag : "");
		(void)buf_printf(&m, "%s%d ZDR endpoints for %d models",
		    in->from == REG_ZDR_HELD ? "applied the held response: " :
		    "", out->stats.endpoints, out->stats.slugs);
	} else
		(void)buf_puts(&m, "the ZDR list has not changed");
	if (out->nlosses > 0) {
		(void)buf_printf(&m, "; %zu lost ZDR", out->nlosses);
		(void)buf_puts(&m, s->enforce ? ", removed: " : ": ");
		reg_zdr_names(&m, out->losses, out->nlosses);
	}
	if (out->default_moved)
		(void)buf_printf(&m, "; the default is now %s",
		    out->new_default[0] != '\0' ? out->new_default : "none");
	if (out->relisted > 0)
		(void)buf_printf(&m, "; reactivated: %s", back.data);
	if (out->stats.skipped > 0)
		(void)buf_printf(&m, "; skipped %d entries without a usable "
		    "model_id", out->stats.skipped);
	if (in->force && out->nlosses > 0)
		(void)buf_puts(&m, " (forced)");
	/* Each loss, removal and default change was logged as its event. */
	log_oneline(msg, len, m.data != NULL ? m.data :
	    "the ZDR list was applied");
	buf_free(&m);
	buf_free(&back);
	return REG_OK;

rollback:
	db_rollback(db);
	buf_free(&m);
	buf_free(&back);
	free(out->losses);
	memset(out, 0, sizeof(*out));
	return rc;
}

void
reg_zdr_out_free(struct reg_zdr_out *out)
{
	free(out->losses);
	out->losses = NULL;
	out->nlosses = 0;
}

int
reg_zdr_held(sqlite3 *db, char *msg, size_t len)
{
	return db_zdr_held_exists(db, msg, len);
}

int
reg_zdr_forget_held(sqlite3 *db)
{
	if (db_zdr_held_clear(db) == -1) {
		log_warnx("zdr: cannot forget the held response");
		return -1;
	}
	return 0;
}
