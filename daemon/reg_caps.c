/* reg_caps.c: the rules of spending caps: set and remove (one transaction each), the read side, the charge of a usage report (inside its caller's transaction) and the period tick. */
#include <sys/types.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "db_caps.h"
#include "db_int.h"
#include "db_keys.h"
#include "events.h"
#include "log.h"
#include "proto.h"
#include "reg_caps.h"
#include "reg_default.h"
#include "reg_int.h"
#include "registry.h"

/*
 * Per thread: the loop sets the configuration's list, and a USAGE group
 * committed on the import worker (usage.c) sets its job's own copy, so
 * a reload that frees the configuration never pulls it from under it.
 */
static _Thread_local const struct cfg_list	*caps_fallback;

const struct cfg_list *
reg_caps_fallback(const struct cfg_list *l)
{
	const struct cfg_list	*was = caps_fallback;

	caps_fallback = l;
	return was;
}

/* What the daemon does by itself is audited as "caps", status source auto. */
static int	 reg_caps_none(sqlite3 *, int keys);

static void
cap_actor(struct actor *a)
{
	a->uid = geteuid();
	a->user = "caps";
	a->source = "auto";
}

/* The year and month of a day number (civil_from_days). */
static void
cap_civil(int64_t z, int64_t *y, int *m)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int64_t
cap_floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void
reg_cap_bounds(const struct reg_cap *c, int64_t now, int64_t *start,
    int64_t *end)
{
	int64_t	 day = cap_floordiv(now, 86400), y, k;
	int	 m;

	if (strcmp(c->period, "window") == 0 && c->window > 0) {
		/* Windows follow each other from when the cap was set. */
		k = now > c->anchor ? (now - c->anchor) / c->window : 0;
		*start = c->anchor + k * c->window;
		*end = *start + c->window;
	} else if (strcmp(c->period, "week") == 0) {
		/* ISO weeks start on Monday; 1970-01-01 was a Thursday. */
		*start = (day - ((day % 7 + 7 + 3) % 7)) * 86400;
		*end = *start + 7 * 86400;
	} else if (strcmp(c->period, "month") == 0) {
		cap_civil(day, &y, &m);
		*start = days_from_civil(y, m, 1) * 86400;
		*end = (m == 12 ? days_from_civil(y + 1, 1, 1) :
		    days_from_civil(y, m + 1, 1)) * 86400;
	} else {
		*start = day * 86400;
		*end = *start + 86400;
	}
}

void
reg_cap_current(struct reg_cap *c, int64_t now)
{
	if (c->end > now)
		return;
	reg_cap_bounds(c, now, &c->start, &c->end);
	c->spent = 0;
	c->warned = c->exceeded = c->tripped = 0;
}

void
reg_cap_period_name(const struct reg_cap *c, char *out, size_t len)
{
	long long	 w = (long long)c->window;

	if (strcmp(c->period, "window") != 0)
		snprintf(out, len, "%s", c->period);
	else if (w % 86400 == 0)
		snprintf(out, len, "%lldd", w / 86400);
	else if (w % 3600 == 0)
		snprintf(out, len, "%lldh", w / 3600);
	else if (w % 60 == 0)
		snprintf(out, len, "%lldm", w / 60);
	else
		snprintf(out, len, "%llds", w);
}

int
reg_cap_parse_period(const char *s, char *period, size_t len, int64_t *window)
{
	long	 d;

	*window = 0;
	if (strcmp(s, "day") == 0 || strcmp(s, "week") == 0 ||
	    strcmp(s, "month") == 0) {
		snprintf(period, len, "%s", s);
		return 0;
	}
	if ((d = cfg_parse_duration(s)) <= 0 || d > CAP_WINDOW_MAX)
		return -1;
	snprintf(period, len, "window");
	*window = d;
	return 0;
}

int
reg_cap_parse_amount(const char *s, double *amount)
{
	size_t	 i, n = strlen(s), digits = 0, dots = 0;
	double	 v;

	/* Plain decimals only: no sign, exponent, hex, inf or nan for strtod. */
	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			digits++;
		else if (s[i] == '.' && dots++ == 0 && i > 0 && i + 1 < n)
			continue;
		else
			return -1;
	}
	if (digits == 0)
		return -1;
	v = strtod(s, NULL);
	if (!isfinite(v) || v <= 0 || v > CAP_AMOUNT_MAX)
		return -1;
	*amount = v;
	return 0;
}

/* "12.50", or more digits for amounts under a cent. */
static void
cap_usd(double v, char *out, size_t len)
{
	snprintf(out, len, v == 0 || v >= 0.01 ? "%.2f" : "%.6f", v);
}

/* "model gpt-4o" or "key app1". */
static void
cap_target(const struct reg_cap *c, char *out, size_t len)
{
	if (c->key_id != 0)
		snprintf(out, len, "key %s", c->key);
	else
		snprintf(out, len, "model %s", c->model);
}

/* A cap's event: details {"target":...,"model"|"key":...,"amount","spent","period","period_end"}. */
static int
cap_event(sqlite3 *db, const struct reg_cap *c, const char *kind,
    const char *line)
{
	struct buf	 d = { 0 };
	char		 per[16], end[32];
	int		 rc = -1;

	reg_cap_period_name(c, per, sizeof(per));
	reg_rfc3339(c->end, end, sizeof(end));
	if (buf_printf(&d, "{\"target\":\"%s\",\"%s\":", c->key_id != 0 ?
	    "key" : "model", c->key_id != 0 ? "key" : "model") == -1 ||
	    buf_json_str(&d, c->key_id != 0 ? c->key : c->model) == -1 ||
	    buf_printf(&d, ",\"amount\":%.6f,\"spent\":%.6f,\"period\":\"%s\","
	    "\"period_end\":\"%s\"}", c->amount, c->spent, per, end) == -1) {
		log_warnx("event %s: out of memory", kind);
		goto out;
	}
	rc = events_add(db, kind, c->key_id != 0 ? NULL : c->model, d.data,
	    "%s", line);
out:
	buf_free(&d);
	return rc;
}

/*
 * The cap deactivates its model: the default moved first, by the one
 * rule for that, so the model is never an inactive default. A model
 * already inactive (a person's doing, or another rule's) is left alone,
 * and the cap does not own its status: it will not reactivate it.
 */
static int
cap_deactivate(sqlite3 *db, struct reg_cap *c, int64_t now,
    const struct actor *a)
{
	struct reg_reassign	 ra;
	char			 amt[32], per[16], end[32];
	int			 active, is_default, by_cap, r;

	if ((r = db_cap_model_state(db, c->model, &active, &is_default,
	    &by_cap)) == -1)
		return -1;
	if (r == 1 || !active)
		return 0;
	if (is_default && reg_default_reassign(db, caps_fallback, c->model,
	    now, a, "cap", "reached its spending cap and is deactivated",
	    &ra) == -1)
		return -1;
	cap_usd(c->amount, amt, sizeof(amt));
	reg_cap_period_name(c, per, sizeof(per));
	reg_rfc3339(c->end, end, sizeof(end));
	if (db_model_set_status(db, c->model, 0, "auto", now) == -1 ||
	    db_model_set_status_reason(db, c->model, "cap") == -1 ||
	    db_audit(db, now, a, "deactivate", c->model, "status", "active",
	    "inactive") == -1 ||
	    events_add(db, "model.deactivated", c->model,
	    "{\"reason\":\"cap\"}", "deactivated automatically: it reached its "
	    "spending cap of %s USD per %s; it is reactivated when the period "
	    "ends at %s", amt, per, end) == -1)
		return -1;
	c->tripped = 1;
	return 0;
}

/* What the cap deactivated comes back, if its status is still the cap's. */
static int
cap_reactivate(sqlite3 *db, struct reg_cap *c, int64_t now,
    const struct actor *a, const char *why, int *n)
{
	int	 active, is_default, by_cap, r;

	if (!c->tripped)
		return 0;
	c->tripped = 0;
	if ((r = db_cap_model_state(db, c->model, &active, &is_default,
	    &by_cap)) == -1)
		return -1;
	if (r == 1 || !by_cap)
		return 0;	/* gone, or a person changed it since */
	if (db_model_set_status(db, c->model, 1, "auto", now) == -1 ||
	    db_audit(db, now, a, "activate", c->model, "status", "inactive",
	    "active") == -1 ||
	    events_add(db, "model.activated", c->model,
	    "{\"reason\":\"cap_reset\"}", "reactivated automatically: %s",
	    why) == -1)
		return -1;
	if (n != NULL)
		(*n)++;
	return 0;
}

/*
 * c's spend or amount changed: what crossing the thresholds does, once
 * per period. Past 100%: cap.exceeded, the model deactivated or the key
 * limited until the period ends. Back under it (a raised amount, a new
 * period): the limit ends and the model comes back. At the warning
 * share: cap.warning, unless the same report went past 100%.
 */
static int
cap_settle(sqlite3 *db, struct reg_cap *c, int64_t now, const struct actor *a,
    int *reactivated)
{
	char	 tgt[300], amt[32], spent[32], end[32], line[768];
	int	 over = c->spent >= c->amount;
	int	 warnhit = c->warn > 0 && c->spent >= c->amount * c->warn / 100.0;

	cap_target(c, tgt, sizeof(tgt));
	cap_usd(c->amount, amt, sizeof(amt));
	cap_usd(c->spent, spent, sizeof(spent));
	reg_rfc3339(c->end, end, sizeof(end));
	if (over && !c->exceeded) {
		int act = 0, isdef, bycap, r = 1;

		if (c->key_id == 0 && (r = db_cap_model_state(db, c->model, &act,
		    &isdef, &bycap)) == -1)
			return -1;
		c->exceeded = 1;
		c->warned = 1;
		if (c->key_id != 0 || act)
			snprintf(line, sizeof(line), "%s has spent %s USD, its cap "
			    "is %s USD: %s until the period ends at %s", tgt,
			    spent, amt, c->key_id != 0 ? "RESOLVE and USAGE "
			    "answer ERR limit for it" : "it is deactivated", end);
		else
			snprintf(line, sizeof(line), "%s has spent %s USD, its cap "
			    "is %s USD for the period that ends at %s; it is %s",
			    tgt, spent, amt, end, r == 1 ? "not in the registry "
			    "now" : "inactive already");
		if (cap_event(db, c, "cap.exceeded", line) == -1)
			return -1;
		if (c->key_id != 0) {
			if (db_key_limit(db, c->key_id, c->end) == -1)
				return -1;
		} else if (cap_deactivate(db, c, now, a) == -1)
			return -1;
	} else if (!over && c->exceeded) {
		c->exceeded = 0;
		if (c->key_id != 0) {
			if (db_key_limit(db, c->key_id, 0) == -1)
				return -1;
		} else if (cap_reactivate(db, c, now, a, "its spend is under "
		    "its cap again", reactivated) == -1)
			return -1;
	}
	if (warnhit && !c->warned) {
		c->warned = 1;
		snprintf(line, sizeof(line), "%s has spent %s USD, %d%% of its "
		    "cap of %s USD for the period that ends at %s", tgt, spent,
		    (int)floor(c->spent * 100 / c->amount), amt, end);
		if (cap_event(db, c, "cap.warning", line) == -1)
			return -1;
	} else if (!warnhit && c->warned)
		c->warned = 0;
	return 0;
}

/* A cap whose period ended starts the current one: 1 rolled, 0 not due, -1. */
static int
cap_roll(sqlite3 *db, struct reg_cap *c, int64_t now, const struct actor *a,
    int *reset, int *reactivated)
{
	char	 tgt[300], amt[32], spent[32], per[16], end[32], line[768];
	int	 had = c->warned || c->exceeded || c->tripped, n = 0;
	int	 limited = c->exceeded && c->key_id != 0;
	double	 was = c->spent;

	if (c->end > now)
		return 0;
	reg_cap_bounds(c, now, &c->start, &c->end);
	c->spent = 0;
	if (c->exceeded) {
		/* The limit and the deactivation end with the period. */
		c->exceeded = 0;
		if (c->key_id != 0 && db_key_limit(db, c->key_id, 0) == -1)
			return -1;
		if (c->key_id == 0 && cap_reactivate(db, c, now, a, "its cap's "
		    "new period started", &n) == -1)
			return -1;
	}
	c->warned = 0;
	c->tripped = 0;
	if (had) {
		cap_target(c, tgt, sizeof(tgt));
		cap_usd(c->amount, amt, sizeof(amt));
		cap_usd(was, spent, sizeof(spent));
		reg_cap_period_name(c, per, sizeof(per));
		reg_rfc3339(c->end, end, sizeof(end));
		snprintf(line, sizeof(line), "the cap of %s starts a new period "
		    "(%s USD per %s, until %s; %s USD spent in the last)%s", tgt,
		    amt, per, end, spent, n > 0 ? ": reactivated" :
		    limited ? ": the key is no longer limited" : "");
		if (cap_event(db, c, "cap.reset", line) == -1)
			return -1;
		if (reset != NULL)
			(*reset)++;
	}
	if (reactivated != NULL)
		*reactivated += n;
	if (db_cap_save(db, c) == -1)
		return -1;
	return 1;
}

int
reg_caps_charge(sqlite3 *db, const char *model_id,
    const char *key_name_or_NULL, double cost_usd, int64_t now, char *msg,
    size_t msglen, int *changed)
{
	struct reg_cap	 kc, mc;
	int		 was;
	struct actor	 a;
	char		 amt[32], end[32];
	int		 hk = 0, hm = 0, r;

	if (!isfinite(cost_usd) || cost_usd < 0) {
		reg_msg(msg, msglen, "bad cost: not a number of USD at or above 0");
		return REG_CAPS_BAD;
	}
	now = reg_clock(now);
	cap_actor(&a);
	/* With no cap of that kind (the usual case) a charge reads nothing. */
	if (key_name_or_NULL != NULL && !reg_caps_none(db, 1)) {
		if ((r = db_cap_key(db, key_name_or_NULL, &kc)) == -1)
			return -1;
		if ((hk = r == 0) && cap_roll(db, &kc, now, &a, NULL, NULL) == -1)
			return -1;
		/* Checked before anything is written: a refusal changes nothing. */
		if (hk && kc.exceeded) {
			cap_usd(kc.amount, amt, sizeof(amt));
			reg_rfc3339(kc.end, end, sizeof(end));
			reg_msg(msg, msglen, "key %s has spent its cap of %s USD "
			    "for this period; refused until %s", kc.key, amt, end);
			return REG_CAPS_LIMIT;
		}
	}
	if (model_id != NULL && !reg_caps_none(db, 0)) {
		if ((r = db_cap_model(db, model_id, &mc)) == -1)
			return -1;
		if ((hm = r == 0) && cap_roll(db, &mc, now, &a, NULL, NULL) == -1)
			return -1;
	}
	if (changed != NULL)
		*changed = 0;
	if (cost_usd > 0) {
		if (hk) {
			kc.spent += cost_usd;
			was = kc.warned | kc.exceeded << 1;
			if (cap_settle(db, &kc, now, &a, NULL) == -1 ||
			    db_cap_save(db, &kc) == -1)
				return -1;
			/* Events raised, or a key limited: RESOLVE's cached key must go. */
			if (changed != NULL && (kc.warned | kc.exceeded << 1) != was)
				*changed = 1;
		}
		if (hm) {
			mc.spent += cost_usd;
			was = mc.warned | mc.exceeded << 1 | mc.tripped << 2;
			if (cap_settle(db, &mc, now, &a, NULL) == -1 ||
			    db_cap_save(db, &mc) == -1)
				return -1;
			/* Events raised, or the model deactivated (the default moved). */
			if (changed != NULL && (mc.warned | mc.exceeded << 1 |
			    mc.tripped << 2) != was)
				*changed = 1;
		}
	}
	reg_msg(msg, msglen, "charged");
	return 0;
}

enum reg_rc
reg_caps_tick(sqlite3 *db, int64_t now, struct reg_caps_tick *res, char *msg,
    size_t len)
{
	struct reg_cap	*v = NULL;
	struct actor	 a;
	size_t		 n = 0, i;

	memset(res, 0, sizeof(*res));
	now = reg_clock(now);
	cap_actor(&a);
	/* Most ticks have nothing due: one indexed read, no transaction. */
	if (db_cap_due(db, now, &v, &n) == -1) {
		reg_msg(msg, len, "database error while reading the caps");
		return REG_INTERNAL;
	}
	free(v);
	v = NULL;
	if (n == 0) {
		if (db_cap_next(db, &res->next) == -1) {
			reg_msg(msg, len, "database error while reading the caps");
			return REG_INTERNAL;
		}
		reg_msg(msg, len, "no cap's period ended");
		return REG_OK;
	}
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if (db_cap_due(db, now, &v, &n) == -1)
		return reg_fail(db, msg, len);
	for (i = 0; i < n; i++)
		if (cap_roll(db, &v[i], now, &a, &res->reset,
		    &res->reactivated) == -1) {
			free(v);
			memset(res, 0, sizeof(*res));
			return reg_fail(db, msg, len);
		}
	free(v);
	res->rolled = (int)n;
	if (db_cap_next(db, &res->next) == -1 || db_commit(db) == -1) {
		memset(res, 0, sizeof(*res));
		return reg_fail(db, msg, len);
	}
	if (res->reset + res->reactivated > 0)
		events_notify();
	reg_msg(msg, len, "%d caps in a new period, %d reset, %d models "
	    "reactivated", res->rolled, res->reset, res->reactivated);
	return REG_OK;
}

/* The target of in inside the open transaction: the cap (r 0) or none (1); REG_OK, or the refusal (rolled back). */
static enum reg_rc
cap_find(sqlite3 *db, const struct reg_cap_in *in, int64_t now,
    struct reg_cap *c, int *r, int for_set, char *msg, size_t len)
{
	struct db_modelref	 ref;
	struct reg_key		 k;
	int			 x;

	memset(c, 0, sizeof(*c));
	if (in->key != NULL) {
		if ((x = db_key_get(db, in->key, now, &k)) == -1)
			return reg_fail(db, msg, len);
		if (x == 1)
			return reg_refuse(db, REG_NOTFOUND, msg, len,
			    "no such key: %s", in->key);
		if (for_set && k.revoked_at != 0)
			return reg_refuse(db, REG_CONFLICT, msg, len, "key %s is "
			    "revoked: it needs no cap", k.name);
		if ((*r = db_cap_key(db, k.name, c)) == -1)
			return reg_fail(db, msg, len);
		if (*r == 1) {
			c->key_id = k.id;
			snprintf(c->key, sizeof(c->key), "%s", k.name);
		}
		return REG_OK;
	}
	if ((x = db_model_resolve(db, in->model, &ref)) == -1)
		return reg_fail(db, msg, len);
	if (x == 1) {
		/* A cap outlives its model: remove names it by the id it keeps. */
		if (!for_set && strlen(in->model) <= 255) {
			if ((*r = db_cap_model(db, in->model, c)) == -1)
				return reg_fail(db, msg, len);
			if (*r == 0)
				return REG_OK;
		}
		return reg_refuse(db, REG_NOTFOUND, msg, len, "no such model: %s",
		    in->model);
	}
	if ((*r = db_cap_model(db, ref.id, c)) == -1)
		return reg_fail(db, msg, len);
	if (*r == 1)
		snprintf(c->model, sizeof(c->model), "%s", ref.id);
	return REG_OK;
}

/* "100.00 USD per day, warning at 80%" */
static void
cap_summary(const struct reg_cap *c, char *out, size_t len)
{
	char	 amt[32], per[16];

	cap_usd(c->amount, amt, sizeof(amt));
	reg_cap_period_name(c, per, sizeof(per));
	if (c->warn > 0)
		snprintf(out, len, "%s USD per %s, warning at %d%%", amt, per,
		    c->warn);
	else
		snprintf(out, len, "%s USD per %s, no warning", amt, per);
}

/* A person's change of a cap: audited, and cap.set or cap.removed. */
static int
cap_changed(sqlite3 *db, const struct reg_cap *c, int64_t now,
    const struct actor *a, const char *kind, const char *oldv,
    const char *newv)
{
	struct buf	 x = { 0 };
	char		 tgt[300], line[600];
	int		 rc = -1;

	cap_target(c, tgt, sizeof(tgt));
	if (db_audit(db, now, a, kind, c->key_id != 0 ? NULL : c->model,
	    c->key_id != 0 ? c->key : "cap", oldv, newv) == -1)
		return -1;
	if (buf_puts(&x, c->key_id != 0 ? ",\"key\":" : ",\"model\":") == -1 ||
	    buf_json_str(&x, c->key_id != 0 ? c->key : c->model) == -1 ||
	    (newv != NULL && (buf_puts(&x, ",\"cap\":") == -1 ||
	    buf_json_str(&x, newv) == -1))) {
		log_warnx("event %s: out of memory", kind);
		goto out;
	}
	if (newv != NULL)
		snprintf(line, sizeof(line), "the cap of %s is set to %s", tgt,
		    newv);
	else
		snprintf(line, sizeof(line), "the cap of %s was removed", tgt);
	rc = reg_event(db, kind, c->key_id != 0 ? NULL : c->model, a, x.data,
	    line);
out:
	buf_free(&x);
	return rc;
}

enum reg_rc
reg_cap_set(sqlite3 *db, const struct reg_cap_in *in, struct reg_cap *out,
    char *msg, size_t len)
{
	struct reg_cap	 c;
	char		 oldv[128], newv[128];
	int64_t		 now = reg_clock(in->now);
	int		 r, n = 0;
	enum reg_rc	 rc;

	memset(out, 0, sizeof(*out));
	if ((in->model == NULL) == (in->key == NULL))
		return reg_refuse(db, REG_USAGE, msg, len, "a cap is on a model "
		    "or on a key");
	if (!isfinite(in->amount) || in->amount <= 0 ||
	    in->amount > CAP_AMOUNT_MAX)
		return reg_refuse(db, REG_USAGE, msg, len, "a cap is above 0 and "
		    "at most %.0f USD", CAP_AMOUNT_MAX);
	if (in->warn < 0 || in->warn > 99)
		return reg_refuse(db, REG_USAGE, msg, len, "the warning share "
		    "is 0 (none) to 99 percent");
	if (in->period == NULL || (strcmp(in->period, "window") == 0 ?
	    in->window < 1 || in->window > CAP_WINDOW_MAX : in->window != 0 ||
	    (strcmp(in->period, "day") != 0 && strcmp(in->period, "week") != 0 &&
	    strcmp(in->period, "month") != 0)))
		return reg_refuse(db, REG_USAGE, msg, len, "a period is day, "
		    "week, month or a duration of 1s to 366d");
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((rc = cap_find(db, in, now, &c, &r, 1, msg, len)) != REG_OK)
		return rc;
	oldv[0] = '\0';
	if (r == 0) {
		cap_summary(&c, oldv, sizeof(oldv));
		if (cap_roll(db, &c, now, in->actor, NULL, &n) == -1)
			return reg_fail(db, msg, len);
	}
	if (r == 1 || strcmp(c.period, in->period) != 0 ||
	    c.window != in->window) {
		/* Another period starts now, with nothing spent. */
		snprintf(c.period, sizeof(c.period), "%s", in->period);
		c.window = in->window;
		c.anchor = now;
		reg_cap_bounds(&c, now, &c.start, &c.end);
		c.spent = 0;
	}
	c.amount = in->amount;
	c.warn = in->warn;
	c.set_at = now;
	snprintf(c.set_by, sizeof(c.set_by), "%s", in->actor->user != NULL ?
	    in->actor->user : "unknown");
	cap_summary(&c, newv, sizeof(newv));
	if (cap_settle(db, &c, now, in->actor, &n) == -1 ||
	    db_cap_put(db, &c, in->actor) == -1 ||
	    cap_changed(db, &c, now, in->actor, "cap.set",
	    oldv[0] != '\0' ? oldv : NULL, newv) == -1 ||
	    db_commit(db) == -1)
		return reg_fail(db, msg, len);
	events_notify();
	*out = c;
	reg_msg(msg, len, "the cap of %s %s is %s%s", c.key_id != 0 ? "key" :
	    "model", c.key_id != 0 ? c.key : c.model, newv, c.exceeded ?
	    " (already spent: it applies now)" : n > 0 ? " (reactivated)" : "");
	return REG_OK;
}

enum reg_rc
reg_cap_remove(sqlite3 *db, const struct reg_cap_in *in, char *msg, size_t len)
{
	struct reg_cap	 c;
	char		 oldv[128];
	int64_t		 now = reg_clock(in->now);
	int		 r, n = 0;
	enum reg_rc	 rc;

	if ((in->model == NULL) == (in->key == NULL))
		return reg_refuse(db, REG_USAGE, msg, len, "a cap is on a model "
		    "or on a key");
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((rc = cap_find(db, in, now, &c, &r, 0, msg, len)) != REG_OK)
		return rc;
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len, "%s %s has no cap",
		    c.key_id != 0 ? "key" : "model", c.key_id != 0 ? c.key :
		    c.model);
	cap_summary(&c, oldv, sizeof(oldv));
	/* What the cap did ends with it. */
	if (c.exceeded && c.key_id != 0 && db_key_limit(db, c.key_id, 0) == -1)
		return reg_fail(db, msg, len);
	if (c.key_id == 0 && cap_reactivate(db, &c, now, in->actor,
	    "its cap was removed", &n) == -1)
		return reg_fail(db, msg, len);
	if (db_cap_delete(db, c.id) == -1 ||
	    cap_changed(db, &c, now, in->actor, "cap.removed", oldv,
	    NULL) == -1 || db_commit(db) == -1)
		return reg_fail(db, msg, len);
	events_notify();
	reg_msg(msg, len, "the cap of %s %s was removed%s", c.key_id != 0 ?
	    "key" : "model", c.key_id != 0 ? c.key : c.model, n > 0 ?
	    " (reactivated)" : "");
	return REG_OK;
}

struct cap_walk {
	int64_t		 now;
	reg_cap_cb	 cb;
	void		*arg;
};

static int
cap_visit(const struct reg_cap *c, void *arg)
{
	struct cap_walk	*w = arg;
	struct reg_cap	 v = *c;

	reg_cap_current(&v, w->now);
	return w->cb(&v, w->arg);
}

enum reg_rc
reg_cap_list(sqlite3 *db, int64_t now, reg_cap_cb cb, void *arg, char *msg,
    size_t len)
{
	struct cap_walk	 w = { reg_clock(now), cb, arg };

	if (db_cap_each(db, cap_visit, &w) == -1) {
		reg_msg(msg, len, "database error while reading the caps");
		return REG_INTERNAL;
	}
	return REG_OK;
}

/*
 * Whether no model (keys 0) or no key (keys 1) has a cap, remembered per
 * write generation: LIST carries the cap fields on every row and every
 * USAGE charges, and without caps (the usual case) they cost no query.
 */
static int
reg_caps_none(sqlite3 *db, int keys)
{
	/* Per thread: the loop and the worker (USAGE's groups) both ask. */
	static _Thread_local uint64_t	 gen[2];
	static _Thread_local int64_t	 n[2];
	uint64_t	 g = reg_generation();

	keys = keys != 0;
	if (g != 0 && g == gen[keys])
		return n[keys] == 0;
	if (db_query_int(db, keys ? "SELECT EXISTS (SELECT 1 FROM caps"
	    " WHERE key_id IS NOT NULL)" : "SELECT EXISTS (SELECT 1 FROM caps"
	    " WHERE model IS NOT NULL)", &n[keys]) == -1) {
		gen[keys] = 0;
		return 0;
	}
	gen[keys] = g;
	return n[keys] == 0;
}

int
reg_cap_of(sqlite3 *db, const char *model, const char *key, int64_t now,
    struct reg_cap *c)
{
	int	 r;

	if (reg_caps_none(db, key != NULL))
		return 1;
	r = key != NULL ? db_cap_key(db, key, c) : db_cap_model(db, model, c);
	if (r == 0)
		reg_cap_current(c, reg_clock(now));
	return r;
}
