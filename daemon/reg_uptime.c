/* reg_uptime.c: the uptime rules: an uptime pass's transaction (samples, colours, health-change events with alternatives, retention) and the read side. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_uptime.h"
#include "events.h"
#include "log.h"
#include "reg_int.h"
#include "reg_uptime.h"
#include "registry.h"

#define UPTIME_ALTS	3	/* alternatives named in an event */

/* The colour of a reading: no working endpoint is red; a working one without an uptime is unknown. */
const char *
reg_uptime_health(const struct uptime_reading *r, int green, int yellow)
{
	if (r->working == 0)
		return "red";
	if (!r->has_best)
		return "unknown";
	if (r->best >= green)
		return "green";
	if (r->best >= yellow)
		return "yellow";
	return "red";
}

/*
 * The event a new colour raises, given the previous known colour ("" when
 * the model has none): turning red is news even as a first sample;
 * turning yellow, or green after red or yellow, only after a known
 * colour. Unknown raises nothing and does not hide the colour before it.
 */
const char *
reg_uptime_event_kind(const char *prev, const char *cur)
{
	if (strcmp(cur, "red") == 0)
		return strcmp(prev, "red") != 0 ? "model.down" : NULL;
	if (prev[0] == '\0')
		return NULL;
	if (strcmp(cur, "yellow") == 0)
		return strcmp(prev, "yellow") != 0 ? "model.degraded" : NULL;
	if (strcmp(cur, "green") == 0)
		return strcmp(prev, "green") != 0 ? "model.up" : NULL;
	return NULL;
}

/* A percentage for people: at most two decimals, no trailing zeros. */
static void
reg_uptime_fmt_pct(double v, char *out, size_t len)
{
	size_t	 n;

	snprintf(out, len, "%.2f", v);
	if (strchr(out, '.') == NULL)
		return;
	n = strlen(out);
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
}

/* One sample stored, and what the events compare it with. */
struct reg_uptime_seen {
	const struct reg_uptime_sample	*s;
	const char			*health;
	const char			*event;		/* kind to raise, or NULL */
	struct uptime_prev		 prev;
};

/* Raise the event decided for one sample (inside the transaction). */
static int
reg_uptime_raise(sqlite3 *db, const struct reg_uptime_seen *it, int64_t now)
{
	const struct uptime_reading	*r = &it->s->reading;
	char				 alts[UPTIME_ALTS][256], pct[32], what[64];
	struct buf			 msg = { 0 }, det = { 0 };
	const char			*verb;
	int				 nalt, i, rv = -1;

	nalt = db_alternatives(db, it->s->id, now, 0, 0, alts, UPTIME_ALTS);
	if (nalt == -1) {
		/* Advice only: the event still tells the news. */
		log_warnx("uptime: %s: cannot look up alternatives", it->s->id);
		nalt = 0;
	}
	if (r->has_best && r->working > 0) {
		reg_uptime_fmt_pct(r->best, pct, sizeof(pct));
		snprintf(what, sizeof(what), "uptime %s%%", pct);
	} else if (r->working == 0)
		snprintf(what, sizeof(what), "no working endpoint");
	else
		snprintf(what, sizeof(what), "uptime unknown");

	if (strcmp(it->event, "model.down") == 0)
		verb = "down";
	else if (strcmp(it->event, "model.degraded") == 0)
		verb = "degraded";
	else
		verb = "up again";
	/* The event's model column names it: the message does not repeat the id. */
	if (it->prev.is_default) {
		if (buf_printf(&msg, "the default model is %s (%s)", verb,
		    what) == -1)
			goto done;
	} else if (buf_printf(&msg, "%s (%s)", verb, what) == -1)
		goto done;
	if (strcmp(it->event, "model.up") == 0) {
		if (buf_printf(&msg, "; it was %s", it->prev.health) == -1)
			goto done;
	} else if (nalt == 0) {
		if (buf_puts(&msg, "; no alternative is available") == -1)
			goto done;
	} else {
		if (buf_puts(&msg, "; alternatives: ") == -1)
			goto done;
		for (i = 0; i < nalt; i++)
			if (buf_printf(&msg, "%s%s", i ? ", " : "",
			    alts[i]) == -1)
				goto done;
	}

	if (buf_puts(&det, "{\"uptime\":") == -1)
		goto done;
	if (r->has_best && r->working > 0) {
		if (buf_printf(&det, "%.10g", r->best) == -1)
			goto done;
	} else if (buf_puts(&det, "null") == -1)
		goto done;
	if (buf_puts(&det, ",\"health\":") == -1 ||
	    buf_json_str(&det, it->health) == -1 ||
	    buf_puts(&det, ",\"previous\":") == -1)
		goto done;
	if (it->prev.health[0] != '\0') {
		if (buf_json_str(&det, it->prev.health) == -1)
			goto done;
	} else if (buf_puts(&det, "null") == -1)
		goto done;
	if (buf_printf(&det, ",\"default\":%s,\"alternatives\":[",
	    it->prev.is_default ? "true" : "false") == -1)
		goto done;
	for (i = 0; i < nalt; i++)
		if ((i > 0 && buf_putc(&det, ',') == -1) ||
		    buf_json_str(&det, alts[i]) == -1)
			goto done;
	if (buf_puts(&det, "]}") == -1)
		goto done;
	if (events_add(db, it->event, it->s->id, det.data, "%s",
	    msg.data) == -1)
		goto done;
	log_info("uptime: %s: %s", it->s->id, msg.data);
	rv = 0;
done:
	if (rv == -1 && (msg.data == NULL || det.data == NULL))
		log_warnx("uptime: out of memory building an event");
	buf_free(&msg);
	buf_free(&det);
	return rv;
}

enum reg_rc
reg_uptime_record(sqlite3 *db, const struct reg_uptime_settings *s,
    const struct reg_uptime_in *in, struct reg_uptime_out *out, char *msg,
    size_t len)
{
	struct reg_uptime_seen	*seen = NULL;
	struct db_uptime_stmts	 sts = { NULL, NULL, NULL };
	const char		**health = out->health;
	size_t			 i, k = 0;
	int			 rc;

	memset(out, 0, sizeof(*out));
	out->health = health;
	for (i = 0; health != NULL && i < in->n; i++)
		health[i] = NULL;
	if (in->n > 0 && (seen = calloc(in->n, sizeof(*seen))) == NULL) {
		reg_msg(msg, len, "out of memory while recording samples; "
		    "nothing was changed");
		return REG_INTERNAL;
	}
	if (db_begin(db) == -1)
		goto fail_nobegin;
	if (db_uptime_prune(db, in->now - s->retention, &out->pruned) == -1)
		goto fail;
	for (i = 0; i < in->n; i++) {
		struct reg_uptime_seen	*it = &seen[k];

		it->s = &in->v[i];
		if ((rc = db_uptime_previous(db, &sts, it->s->id,
		    &it->prev)) == -1)
			goto fail;
		if (rc == 1) {
			/* Deleted while its endpoints were being fetched. */
			out->gone++;
			continue;
		}
		it->health = reg_uptime_health(&it->s->reading, s->green,
		    s->yellow);
		if (db_uptime_record(db, &sts, it->s->id, in->now,
		    it->s->reading.working > 0 && it->s->reading.has_best,
		    it->s->reading.best, it->health) == -1)
			goto fail;
		if (it->prev.active)
			it->event = reg_uptime_event_kind(it->prev.health,
			    it->health);
		if (health != NULL)
			health[i] = it->health;
		if (strcmp(it->health, "green") == 0)
			out->green++;
		else if (strcmp(it->health, "yellow") == 0)
			out->yellow++;
		else if (strcmp(it->health, "red") == 0)
			out->red++;
		else
			out->unknown++;
		out->sampled++;
		k++;
	}
	for (i = 0; i < k; i++) {
		if (seen[i].event == NULL)
			continue;
		if (reg_uptime_raise(db, &seen[i], in->now) == -1)
			goto fail;
		out->events++;
	}
	/* Finalized before the commit: a statement never outlives the pass. */
	db_uptime_stmts_free(&sts);
	if (db_commit(db) == -1)
		goto fail;
	free(seen);
	if (!in->notify_later)
		events_notify();
	reg_msg(msg, len, "%d models sampled: %d green, %d yellow, %d red, "
	    "%d unknown", out->sampled, out->green, out->yellow, out->red,
	    out->unknown);
	return REG_OK;
fail:
	db_uptime_stmts_free(&sts);
	db_rollback(db);
fail_nobegin:
	free(seen);
	memset(out, 0, sizeof(*out));
	out->health = health;
	for (i = 0; health != NULL && i < in->n; i++)
		health[i] = NULL;
	reg_msg(msg, len, "database error while recording samples; nothing "
	    "was changed");
	return REG_INTERNAL;
}

int
reg_uptime_parse(sqlite3 *db, const char *body, size_t len,
    struct uptime_reading *r, char *err, size_t errlen)
{
	return db_uptime_parse(db, body, len, r, err, errlen);
}

int
reg_uptime_models(sqlite3 *db, char ***ids, size_t *n)
{
	return db_uptime_models(db, ids, n);
}

int
reg_uptime_models_page(sqlite3 *db, const char *after, int limit,
    char ***ids, size_t *n, size_t *cap)
{
	return db_uptime_models_page(db, after, limit, ids, n, cap);
}

void
reg_uptime_ids_free(char **ids, size_t n)
{
	db_uptime_ids_free(ids, n);
}

int
reg_uptime_count(sqlite3 *db, int64_t *n)
{
	return db_uptime_count(db, n);
}

enum reg_rc
reg_uptime_history(sqlite3 *db, const char *model, int64_t since,
    db_uptime_cb cb, void *arg)
{
	struct db_modelref	 ref;
	const char		*id = NULL;

	if (model != NULL) {
		switch (db_model_resolve(db, model, &ref)) {
		case 0:
			id = ref.id;
			break;
		case 1:
			return REG_NOTFOUND;
		default:
			return REG_INTERNAL;
		}
	}
	return db_uptime_history(db, id, since, cb, arg) == -1 ? REG_INTERNAL :
	    REG_OK;
}
