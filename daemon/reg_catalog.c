/* reg_catalog.c: the catalog's rules: the all-or-nothing apply with its shrink guard, delisting and price events; SYNC; the read side. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "db_catalog.h"
#include "db_import.h"
#include "digest.h"
#include "events.h"
#include "log.h"
#include "reg_catalog.h"
#include "reg_int.h"
#include "registry.h"

/* A JSON number, or null when unknown. */
static int
reg_catalog_json_num(struct buf *b, const char *key, int has, double v)
{
	if (!has)
		return buf_printf(b, "\"%s\":null", key);
	return buf_printf(b, "\"%s\":%.10g", key, v);
}

/* The apply's context, passed to db_catalog's callbacks: its database, the threshold and the counts. */
struct reg_catalog_apply {
	sqlite3			*db;
	int			 pct;
	struct reg_catalog_out	*out;
};

static int
reg_catalog_price_event(const struct db_price_rise *r, void *arg)
{
	struct reg_catalog_apply	*ap = arg;
	struct buf			 d = { NULL, 0, 0 };
	char				 what[256];
	int				 rv = 0;

	rv |= buf_puts(&d, "{");
	rv |= reg_catalog_json_num(&d, "old_prompt_price", r->has_old_prompt,
	    r->old_prompt);
	rv |= buf_puts(&d, ",");
	rv |= reg_catalog_json_num(&d, "new_prompt_price", r->has_new_prompt,
	    r->new_prompt);
	rv |= buf_puts(&d, ",");
	rv |= reg_catalog_json_num(&d, "old_completion_price",
	    r->has_old_completion, r->old_completion);
	rv |= buf_puts(&d, ",");
	rv |= reg_catalog_json_num(&d, "new_completion_price",
	    r->has_new_completion, r->new_completion);
	rv |= buf_printf(&d, ",\"threshold\":%d}", ap->pct);
	if (rv != 0) {
		buf_free(&d);
		return -1;
	}
	if (r->prompt_rose && r->completion_rose)
		snprintf(what, sizeof(what), "prompt price %.10g -> %.10g "
		    "(+%.0f%%), completion price %.10g -> %.10g (+%.0f%%) USD "
		    "per 1M tokens", r->old_prompt, r->new_prompt,
		    (r->new_prompt / r->old_prompt - 1.0) * 100.0,
		    r->old_completion, r->new_completion,
		    (r->new_completion / r->old_completion - 1.0) * 100.0);
	else if (r->prompt_rose)
		snprintf(what, sizeof(what), "prompt price %.10g -> %.10g USD "
		    "per 1M tokens (+%.0f%%)", r->old_prompt, r->new_prompt,
		    (r->new_prompt / r->old_prompt - 1.0) * 100.0);
	else
		snprintf(what, sizeof(what), "completion price %.10g -> %.10g "
		    "USD per 1M tokens (+%.0f%%)", r->old_completion,
		    r->new_completion,
		    (r->new_completion / r->old_completion - 1.0) * 100.0);
	/* The event's model column names it: the message does not repeat the id. */
	rv = events_add(ap->db, "model.price_increase", r->id, d.data,
	    "%s", what);
	buf_free(&d);
	if (rv == -1)
		return -1;
	log_info("catalog: price increase of %s: %s", r->id, what);
	ap->out->price_rises++;
	return 0;
}

static int
reg_catalog_relisted(const char *id, void *arg)
{
	struct reg_catalog_apply	*ap = arg;

	log_info("catalog: %s is listed again: no longer delisted", id);
	ap->out->relisted++;
	return 0;
}

static int
reg_catalog_delisted(const char *id, void *arg)
{
	struct reg_catalog_apply	*ap = arg;

	if (events_add(ap->db, "model.delisted", id, NULL, "no longer listed "
	    "by the catalog: kept in the registry, marked delisted") == -1)
		return -1;
	log_warnx("catalog: %s is no longer listed: marked delisted", id);
	ap->out->delisted++;
	return 0;
}

/*
 * What was applied, as stored in the state key catalog_digest: the
 * format's name, a colon, the SHA-256 of the body. hex holds
 * REG_CATALOG_DIGEST_LEN bytes.
 */
#define REG_CATALOG_DIGEST_LEN	(32 + DIGEST_HEX_LEN)

static void
reg_catalog_digest(const struct reg_catalog_in *in, char *out)
{
	char	 hex[DIGEST_HEX_LEN];

	if (in->digest == NULL)
		digest_sha256_hex(in->body, in->len, hex);
	snprintf(out, REG_CATALOG_DIGEST_LEN, "%.30s:%.64s",
	    in->format != NULL ? in->format : "",
	    in->digest != NULL ? in->digest : hex);
}

/* Would staging drop more of the catalog than max_drop allows? */
static int
reg_catalog_too_many(const struct reg_catalog_settings *s,
    const struct db_catalog_diff *d)
{
	return d->known > 0 &&
	    d->dropped * 100 > (int64_t)s->max_drop * d->known;
}

enum reg_rc
reg_catalog_apply(sqlite3 *db, const struct reg_catalog_settings *s,
    const struct reg_catalog_in *in, struct reg_catalog_out *out, char *msg,
    size_t len)
{
	struct db_catalog_diff		 d;
	struct reg_catalog_apply	 ap;
	char				 digest[REG_CATALOG_DIGEST_LEN];
	int				 marked = 0;

	memset(out, 0, sizeof(*out));
	reg_catalog_digest(in, digest);
	ap.db = db;
	ap.pct = s->price_increase;
	ap.out = out;
	if (db_begin(db) == -1) {
		reg_msg(msg, len, "database error: cannot begin");
		return REG_INTERNAL;
	}
	if (db_catalog_diff(db, &d) == -1)
		goto fail;
	out->known = d.known;
	out->staged = d.staged;
	out->added = d.added;
	out->dropped = d.dropped;
	if (!in->force && reg_catalog_too_many(s, &d)) {
		db_rollback(db);
		out->held = 1;
		out->percent = (int)((d.dropped * 100 + d.known / 2) / d.known);
		reg_msg(msg, len, "would drop %d%% of the catalog (%lld of "
		    "%lld models); refresh catalog --force applies it",
		    out->percent, (long long)d.dropped, (long long)d.known);
		/*
		 * Kept whole, so that --force applies this very response,
		 * even after a restart, rather than a fresh download.
		 */
		if (db_begin(db) == -1 ||
		    db_catalog_hold(db, in->src, in->body, in->len, in->format,
		    in->etag, in->last_modified, msg) == -1 ||
		    db_commit(db) == -1) {
			db_rollback(db);
			reg_msg(msg, len, "database error while holding the "
			    "catalog: nothing was changed");
			return REG_INTERNAL;
		}
		return REG_OK;
	}
	if (db_catalog_price_rises(db, ap.pct, reg_catalog_price_event,
	    &ap) == -1 ||
	    db_catalog_relisted(db, reg_catalog_relisted, &ap) == -1 ||
	    db_catalog_update_synced(db, in->now, in->actor,
	    &out->updated) == -1 ||
	    db_catalog_vanished(db, reg_catalog_delisted, &ap) == -1 ||
	    db_catalog_mark_delisted(db, in->now, in->actor, &marked) == -1 ||
	    db_catalog_replace(db, in->now) == -1 ||
	    db_state_set(db, "catalog_digest", digest) == -1 ||
	    db_state_set(db, "catalog_etag", in->etag) == -1 ||
	    db_state_set(db, "catalog_last_modified", in->last_modified) == -1 ||
	    db_catalog_held_clear(db) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	db_import_drop(db);
	if (!in->notify_later)
		events_notify();
	/* The summary counts the marks written, as it always has. */
	out->delisted = marked;
	out->forced = in->force && reg_catalog_too_many(s, &d);
	reg_msg(msg, len, "%lld models; %lld new, %lld dropped; %d synced "
	    "updated, %d delisted, %d relisted, %d price increases%s",
	    (long long)d.staged, (long long)d.added, (long long)d.dropped,
	    out->updated, marked, out->relisted, out->price_rises,
	    out->forced ? " (forced)" : "");
	return REG_OK;
 fail:
	db_rollback(db);
	memset(out, 0, sizeof(*out));
	reg_msg(msg, len, "database error while applying the catalog: "
	    "nothing was changed");
	return REG_INTERNAL;
}

enum reg_rc
reg_catalog_unchanged(sqlite3 *db, int64_t *items, char *msg, size_t len)
{
	*items = 0;
	if (db_catalog_count(db, items) == -1) {
		reg_msg(msg, len, "database error: cannot count the catalog");
		return REG_INTERNAL;
	}
	/* The catalog applied is still the catalog: nothing to hold. */
	if (db_catalog_held_clear(db) == -1) {
		reg_msg(msg, len, "database error: cannot forget the held "
		    "response");
		return REG_INTERNAL;
	}
	reg_msg(msg, len, "not modified; %lld models", (long long)*items);
	return REG_OK;
}

int
reg_catalog_same_body(sqlite3 *db, const struct reg_catalog_in *in,
    int64_t *items, char *msg, size_t len)
{
	char	 digest[REG_CATALOG_DIGEST_LEN], *last;
	int	 same;

	*items = 0;
	reg_catalog_digest(in, digest);
	if (db_catalog_count(db, items) == -1) {
		reg_msg(msg, len, "database error: cannot count the catalog");
		return -1;
	}
	if (*items == 0)
		return 0;
	last = db_state_get(db, "catalog_digest");
	same = last != NULL && strcmp(last, digest) == 0;
	free(last);
	if (!same)
		return 0;
	/* No write when nothing differs: each statement below writes only a change. */
	if (db_begin(db) == -1 ||
	    db_state_set(db, "catalog_etag", in->etag) == -1 ||
	    db_state_set(db, "catalog_last_modified", in->last_modified) == -1 ||
	    db_catalog_held_clear(db) == -1 || db_commit(db) == -1) {
		db_rollback(db);
		reg_msg(msg, len, "database error: cannot store the validators");
		return -1;
	}
	reg_msg(msg, len, "unchanged; %lld models", (long long)*items);
	return 1;
}

int
reg_catalog_forget(sqlite3 *db)
{
	int	 rc = 0;

	/* Another source: its first answer must be a whole one. */
	if (db_state_set(db, "catalog_digest", NULL) == -1 ||
	    db_state_set(db, "catalog_etag", NULL) == -1 ||
	    db_state_set(db, "catalog_last_modified", NULL) == -1) {
		log_warnx("catalog: cannot forget the old validators");
		rc = -1;
	}
	/* A response held from another source is not for this one. */
	if (db_catalog_held_clear(db) == -1) {
		log_warnx("catalog: cannot forget the held response");
		rc = -1;
	}
	return rc;
}

void
reg_catalog_validators(sqlite3 *db, char **etag, char **last_modified)
{
	int64_t	 known = 0;

	*etag = *last_modified = NULL;
	if (db_catalog_count(db, &known) == 0 && known > 0) {
		*etag = db_state_get(db, "catalog_etag");
		*last_modified = db_state_get(db, "catalog_last_modified");
	}
}

int
reg_catalog_held(sqlite3 *db, struct db_catalog_held *h, int with_body)
{
	return db_catalog_held_get(db, h, with_body);
}

int
reg_catalog_held_body(sqlite3 *db, sqlite3_blob **blob, uint64_t *len)
{
	return db_catalog_held_open(db, blob, len);
}

int
reg_catalog_count(sqlite3 *db, int64_t *n)
{
	return db_catalog_count(db, n);
}

int
reg_catalog_stage_only(sqlite3 *db, const char *const *names, size_t n,
    int64_t *kept)
{
	return db_catalog_stage_only(db, names, n, kept);
}

enum reg_rc
reg_catalog_list(sqlite3 *db, const struct catalog_query *q, catalog_entry_cb cb,
    void *arg)
{
	if (q->sort != SORT_NAME && q->sort != SORT_PROVIDER &&
	    q->sort != SORT_CONTEXT && q->sort != SORT_PRICE)
		return REG_USAGE;
	return db_catalog_list(db, q, cb, arg) == -1 ? REG_INTERNAL : REG_OK;
}

/* Names in messages come from users: a control byte must not break the reply. */
static void
reg_catalog_msg_name(char *dst, size_t len, const char *name)
{
	size_t	 i;

	for (i = 0; name[i] != '\0' && i + 1 < len; i++)
		dst[i] = ((unsigned char)name[i] < 0x20 ||
		    (unsigned char)name[i] == 0x7f) ? '?' : name[i];
	dst[i] = '\0';
}

/* Does a config list name catalog model id (by id or alias)? 1, 0, -1. */
static int
reg_catalog_list_names(sqlite3 *db, const struct cfg_list *l, const char *id)
{
	size_t	 i;
	int	 r;

	for (i = 0; l != NULL && i < l->n; i++)
		if ((r = db_catalog_names(db, id, l->v[i])) != 0)
			return r;
	return 0;
}

/* model.synced, naming who (issue 6): inside SYNC's transaction. */
static int
reg_catalog_synced_event(sqlite3 *db, const char *id, int active,
    const struct actor *a)
{
	struct buf	 d = { NULL, 0, 0 };
	const char	*user = a->user != NULL ? a->user : "unknown";
	int		 rc = -1;

	if (buf_puts(&d, "{\"reason\":\"manual\",\"actor\":") == 0 &&
	    buf_json_str(&d, user) == 0 &&
	    buf_printf(&d, ",\"uid\":%u,\"status\":\"%s\"}",
	    (unsigned)a->uid, active ? "active" : "inactive") == 0)
		rc = events_add(db, "model.synced", id, d.data, "synced from "
		    "the catalog, %s, by %s (uid %u)", active ? "active" :
		    "inactive", user, (unsigned)a->uid);
	else
		log_warnx("event model.synced: out of memory");
	buf_free(&d);
	return rc;
}

enum reg_rc
reg_catalog_sync(sqlite3 *db, const struct reg_sync_settings *s,
    const struct reg_sync_in *in, struct reg_sync_out *out, char *msg,
    size_t len)
{
	struct db_modelref	 ref;
	char			 shown[220];
	const char		*id = out->id;
	int			 zdr = -1, r;

	memset(out, 0, sizeof(*out));
	reg_catalog_msg_name(shown, sizeof(shown), in->name);
	if (db_begin(db) == -1) {
		reg_msg(msg, len, "database error: nothing was changed");
		return REG_INTERNAL;
	}
	if ((r = db_catalog_resolve(db, in->name, out->id, sizeof(out->id),
	    &zdr)) == -1)
		goto fail;
	if (r == 1) {
		db_rollback(db);
		reg_msg(msg, len, "%s is not in the catalog", shown);
		return REG_NOTFOUND;
	}
	if ((r = db_model_lookup(db, id, &ref)) == -1)
		goto fail;
	if (r == 0) {
		db_rollback(db);
		reg_msg(msg, len, "%s is already synced", id);
		return REG_CONFLICT;
	}
	if (s->zdr_enforce && zdr != 1) {
		db_rollback(db);
		if (zdr == 0)
			reg_msg(msg, len, "%s has no ZDR endpoint: [zdr] "
			    "enforce = yes refuses it", id);
		else
			reg_msg(msg, len, "%s: ZDR status unknown: no ZDR "
			    "refresh has succeeded yet ([zdr] enforce = yes)", id);
		return REG_CONFLICT;
	}
	/* As the seed rules: always_active wins over always_inactive. */
	if ((r = reg_catalog_list_names(db, s->always_active, id)) == -1)
		goto fail;
	if (r == 1)
		out->active = 1;
	else {
		if ((r = reg_catalog_list_names(db, s->always_inactive,
		    id)) == -1)
			goto fail;
		out->active = r == 1 ? 0 : s->new_model_active;
	}
	if (db_catalog_sync_add(db, id, out->active, in->now, in->actor) == -1 ||
	    reg_catalog_synced_event(db, id, out->active, in->actor) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	events_notify();
	reg_msg(msg, len, "%s synced from the catalog, %s", id,
	    out->active ? "active" : "inactive");
	return REG_OK;
 fail:
	db_rollback(db);
	reg_msg(msg, len, "database error: nothing was changed");
	return REG_INTERNAL;
}
