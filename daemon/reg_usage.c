/* reg_usage.c: USAGE's rules (issue 10 item 1): a group of reports in one transaction, each judged on its own (the model, the key by reg_key_may_use, the cost at the price in force, max_report_cost); the period's totals; the summaries. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "db_keys.h"
#include "db_sessions.h"
#include "db_usage.h"
#include "log.h"
#include "reg_int.h"
#include "reg_keys.h"
#include "reg_caps.h"
#include "reg_usage.h"

#define DAY	86400

int
usage_cost(const struct usage_report *r, int has_pp, double pp, int has_cp,
    double cp, double *cost)
{
	int	 priced = 1;
	double	 c = 0;

	/* Prices are USD per 1M tokens (protocol.md, "Model records"). */
	if (r->prompt_tokens > 0) {
		if (has_pp)
			c += (double)r->prompt_tokens * pp / 1e6;
		else
			priced = 0;
	}
	if (r->completion_tokens > 0) {
		if (has_cp)
			c += (double)r->completion_tokens * cp / 1e6;
		else
			priced = 0;
	}
	*cost = c;
	return priced;
}

int64_t
usage_month_start_day(int64_t now)
{
	time_t		 t = (time_t)now;
	struct tm	 tm;
	int64_t		 y, m, era, yoe, doy, doe;

	if (gmtime_r(&t, &tm) == NULL)
		return now / DAY;
	/* Days from civil (H. Hinnant), for the 1st of the month. */
	y = (int64_t)tm.tm_year + 1900;
	m = (int64_t)tm.tm_mon + 1;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
usage_month_name(int64_t now, char *out, size_t len)
{
	time_t		 t = (time_t)now;
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, len, "%Y-%m", &tm) == 0)
		snprintf(out, len, "?");
}

static enum usage_rc
judged(struct usage_result *o, enum usage_rc rc, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(o->msg, sizeof(o->msg), fmt, ap);
	va_end(ap);
	reg_sanitize(o->msg);
	return o->rc = rc;
}

/*
 * The keys a group has looked up: an application's reports come with
 * one key, so most of a group's reports share a digest, and inside the
 * group's transaction a key cannot change. found 1: k is the key; 0:
 * no key has that digest.
 */
#define KEY_MEMO	8
struct key_memo {
	unsigned char	 h[KEY_HASH_LEN];
	int		 found;
	struct reg_key	 k;
};
struct key_memos {
	struct key_memo	 m[KEY_MEMO];
	size_t		 n, next;
};

/* The key of digest h (0), none (1), or -1: looked up once a group. */
static int
usage_key(sqlite3 *db, struct key_memos *km, const unsigned char *h,
    int64_t now, struct reg_key *k)
{
	struct key_memo	*e;
	size_t		 i;
	int		 r;

	for (i = 0; i < km->n; i++)
		if (memcmp(km->m[i].h, h, KEY_HASH_LEN) == 0) {
			if (!km->m[i].found)
				return 1;
			*k = km->m[i].k;
			return 0;
		}
	if ((r = db_key_by_hash(db, h, now, k)) == -1)
		return -1;
	e = &km->m[km->next];
	km->next = (km->next + 1) % KEY_MEMO;
	if (km->n < KEY_MEMO)
		km->n++;
	memcpy(e->h, h, KEY_HASH_LEN);
	e->found = r == 0;
	if (r == 0)
		e->k = *k;
	return r;
}

static void
usage_key_forget(struct key_memos *km)
{
	keysecret_wipe(km, sizeof(*km));
}

/*
 * One report, inside its SAVEPOINT: every check reads, then the writes.
 * USAGE_OK only when both rows are written; any other result is rolled
 * back by the caller.
 */
static enum usage_rc
usage_one(sqlite3 *db, struct key_memos *km, const struct usage_report *r,
    struct usage_result *o, int64_t now, double max_cost)
{
	struct db_usage_model	 m;
	struct reg_key		 k;
	char			 why[512];
	int64_t			 key = 0, g = 0;
	int			 x;

	if ((x = db_usage_model(db, r->model, &m)) == -1)
		return judged(o, USAGE_INTERNAL, "database error");
	if (x == 1)
		return judged(o, USAGE_NOTFOUND, "no such model: %s", r->model);
	snprintf(o->model, sizeof(o->model), "%s", m.id);
	if (r->has_key) {
		/* The one rule every verb that answers for a key uses. */
		if ((x = usage_key(db, km, r->key_hash, now, &k)) == -1)
			return judged(o, USAGE_INTERNAL, "database error");
		if (x == 1)
			return judged(o, USAGE_DENIED, "unknown API key (or a "
			    "rotated-out secret past its grace period)");
		snprintf(o->key_name, sizeof(o->key_name), "%s", k.name);
		if (db_key_grant_gen(db, k.id, m.id, &g) == -1)
			return judged(o, USAGE_INTERNAL, "database error");
		if (!reg_key_may_use(&k, m.id, g, m.gen, now, why, sizeof(why)))
			return judged(o, USAGE_DENIED, "%s", why);
		key = k.id;
	}
	o->priced = usage_cost(r, m.has_pp, m.pp, m.has_cp, m.cp, &o->cost);
	if (o->cost > max_cost)
		return judged(o, USAGE_SUSPICIOUS, "this report would cost %.2f "
		    "USD, more than [usage] max_report_cost (%.2f USD): not "
		    "charged; check %s's prices and the token counts",
		    o->cost, max_cost, m.id);
	/*
	 * Issue 10 item 2: the check and the spend in this report's own
	 * SAVEPOINT, so concurrent reports cannot overshoot a key's cap by
	 * more than one, and a refusal (ERR limit) undoes whatever the
	 * charge wrote while the others go on. A charge that deactivated a
	 * model or limited a key makes the group's commit move the write
	 * generation.
	 */
	switch (reg_caps_charge(db, m.id, r->has_key ? k.name : NULL,
	    o->cost, now, why, sizeof(why), &x)) {
	case 0:
		if (x)
			o->models_changed = 1;
		break;
	case REG_CAPS_LIMIT:
		return judged(o, USAGE_LIMIT, "%s", why);
	case REG_CAPS_BAD:
		return judged(o, USAGE_SUSPICIOUS, "%s", why);
	default:
		return judged(o, USAGE_INTERNAL, "database error");
	}
	if (db_usage_insert(db, now, m.id, key, r, o->cost, o->priced,
	    &o->id) == -1 ||
	    db_usage_rollup(db, now, m.id, key, r, o->cost) == -1)
		return judged(o, USAGE_INTERNAL, "database error");
	return o->rc = USAGE_OK;
}

int
reg_usage_commit(sqlite3 *db, const struct usage_report *in,
    struct usage_result *out, size_t n, int64_t now, double max_cost,
    int *changed)
{
	struct key_memos km;
	size_t	 i;
	int	 r, quiet = 1;

	now = reg_clock(now);
	memset(&km, 0, sizeof(km));
	*changed = 0;
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].rc = USAGE_INTERNAL;
		snprintf(out[i].msg, sizeof(out[i].msg), "database error");
	}
	/* Busy timeout 0: the loop never sleeps behind another writer. */
	if ((r = db_batch_begin(db)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (db_usage_savepoint(db) == -1)
			goto fail;
		usage_one(db, &km, &in[i], &out[i], now, max_cost);
		if (db_usage_release(db, out[i].rc == USAGE_OK) == -1)
			goto fail;
		if (out[i].models_changed)
			quiet = 0;
	}
	/*
	 * Quiet: SHOW's cache keeps no usage (the period's totals are read
	 * after the cached bytes on every SHOW), so a group's commit need
	 * not empty it; unless a report changed a model (caps).
	 */
	if (quiet ? db_batch_commit(db) == -1 : db_commit(db) == -1) {
		if (!quiet)
			db_rollback(db);
		goto failed;
	}
	*changed = !quiet;
	usage_key_forget(&km);
	return 0;
fail:
	db_rollback(db);
failed:
	usage_key_forget(&km);
	for (i = 0; i < n; i++) {
		out[i].rc = USAGE_INTERNAL;
		out[i].id = 0;
		snprintf(out[i].msg, sizeof(out[i].msg), "database error: "
		    "the report was not stored");
	}
	return -1;
}

int
reg_usage_models_since(sqlite3 *db, int64_t day,
    int (*cb)(const char *, const struct usage_totals *, void *), void *arg)
{
	return db_usage_models_since(db, day, cb, arg);
}

int
reg_usage_model_period(sqlite3 *db, const char *id, int64_t day,
    struct usage_totals *t)
{
	return db_usage_model_period(db, id, day, t);
}

int
reg_usage_key_period(sqlite3 *db, int64_t key, int64_t day,
    struct usage_totals *t)
{
	return db_usage_key_period(db, key, day, t);
}

static enum reg_rc
usage_msg(enum reg_rc rc, char *msg, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	reg_sanitize(msg);
	return rc;
}

enum reg_rc
reg_usage_summary(sqlite3 *db, const struct usage_query *q, usage_row_cb cb,
    void *arg, char *msg, size_t len)
{
	struct reg_key	 k;
	char		 id[256];
	int64_t		 key = -1;
	int		 r;

	if (q->key != NULL) {
		if ((r = db_key_get(db, q->key, q->now, &k)) == -1)
			return usage_msg(REG_INTERNAL, msg, len, "database error");
		if (r == 1)
			return usage_msg(REG_NOTFOUND, msg, len, "no such key: %s",
			    q->key);
		key = k.id;
	}
	/* A model present now by its id or alias; a deleted one by its id. */
	if (q->model != NULL &&
	    db_usage_model_id(db, q->model, id, sizeof(id)) == -1)
		return usage_msg(REG_INTERNAL, msg, len, "database error");
	if (db_usage_summary(db, q->by, q->since, q->model != NULL ? id : NULL,
	    key, q->limit, cb, arg) == -1)
		return usage_msg(REG_INTERNAL, msg, len, "database error");
	return REG_OK;
}

enum reg_rc
reg_usage_unused(sqlite3 *db, int64_t since, int limit, usage_unused_cb cb,
    void *arg, char *msg, size_t len)
{
	if (db_usage_unused(db, since, limit, cb, arg) == -1)
		return usage_msg(REG_INTERNAL, msg, len, "database error");
	return REG_OK;
}
