/* test_caps.c: unit tests of spending caps (issue 10 item 2): the periods and parsers, reg_caps_charge's thresholds, deactivation and refusals, the period tick, and CAP SET/REMOVE's rules, on a real SQLite file. */
#include <sys/types.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "daemon.h"
#include "db.h"
#include "db_caps.h"
#include "db_int.h"
#include "db_keys.h"
#include "keysecret.h"
#include "log.h"
#include "reg_caps.h"
#include "reg_keys.h"
#include "reg_resolve.h"
#include "registry.h"
#include "tap.h"
#include "testdb.h"

/* The rules raise events (events.c), which link the daemon's globals; no loop runs here. */
struct modelregd md;
int daemon_reload(char *err, size_t len) { (void)err; (void)len; return -1; }
void daemon_stop(void) { }
void daemon_status(const char *fmt, ...) { (void)fmt; }

/* 2025-06-15T15:06:40Z, a Sunday. */
#define NOW	1750000000LL

static const struct actor alice = { 1000, "alice", "manual" };
static char dbpath[64];

static sqlite3 *
open_db(void)
{
	sqlite3	*db;
	int	 fd;

	snprintf(dbpath, sizeof(dbpath), "/tmp/test_caps.XXXXXX");
	if ((fd = mkstemp(dbpath)) == -1)
		return NULL;
	close(fd);
	unlink(dbpath);
	if ((db = db_open(dbpath)) == NULL)
		return NULL;
	return db;
}

static void
close_db(sqlite3 *db)
{
	char	 p[80];

	db_close(db);
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
}

static void
add_model(sqlite3 *db, const char *id)
{
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO models(id, name, status,"
	    " status_source, added_at, status_changed_at)"
	    " VALUES ('%s', '%s', 'active', 'seed', 1, 1)", id, id);
	if (raw(db, sql) != SQLITE_OK)
		printf("# add %s: %s\n", id, sqlite3_errmsg(db));
}

static int64_t
events_of(sqlite3 *db, const char *kind)
{
	char	 sql[256];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE kind = '%s'",
	    kind);
	return qint(db, sql);
}

static const char *
status_of(sqlite3 *db, const char *id, char *out, size_t len)
{
	char	 sql[256];

	snprintf(sql, sizeof(sql), "SELECT status || '/' || status_source || '/'"
	    " || coalesce(status_reason, '-') FROM models WHERE id = '%s'", id);
	return qtext(db, sql, out, len);
}

static double
spent_of(sqlite3 *db, const char *model, const char *key)
{
	struct reg_cap	 c;

	/* As stored: reg_cap_of would show it at today's clock. */
	if ((key != NULL ? db_cap_key(db, key, &c) : db_cap_model(db, model,
	    &c)) != 0)
		return -1;
	return c.spent;
}

/* Charge in a transaction of its own, as USAGE's per-report transaction will. */
static int
charge(sqlite3 *db, const char *model, const char *key, double cost,
    int64_t now, char *msg, size_t len)
{
	int	 r;

	if (db_begin(db) == -1)
		return -9;
	r = reg_caps_charge(db, model, key, cost, now, msg, len, NULL);
	if (r == -1) {
		db_rollback(db);
		return r;
	}
	if (db_commit(db) == -1)
		return -9;
	return r;
}

static enum reg_rc
set_cap(sqlite3 *db, const char *model, const char *key, double amount,
    const char *period, int warn, int64_t now, char *msg, size_t len)
{
	struct reg_cap_in	 in;
	struct reg_cap		 out;
	char			 p[8];

	memset(&in, 0, sizeof(in));
	in.model = model;
	in.key = key;
	in.amount = amount;
	if (reg_cap_parse_period(period, p, sizeof(p), &in.window) == -1)
		return REG_INTERNAL;
	in.period = p;
	in.warn = warn;
	in.actor = &alice;
	in.now = now;
	return reg_cap_set(db, &in, &out, msg, len);
}

static void
test_pure(void)
{
	struct reg_cap	 c;
	double		 a;
	char		 p[8], name[16];
	int64_t		 w, s, e;
	const char	*bad[] = { "", "0", "0.0", "-1", "+1", "1e3", "0x10", "inf",
	    "nan", "1.", ".5", "1.2.3", "1000000001", "12 ", "1,5" };
	size_t		 i;

	ok(reg_cap_parse_amount("50", &a) == 0 && a == 50, "amount 50");
	ok(reg_cap_parse_amount("12.5", &a) == 0 && a == 12.5, "amount 12.5");
	ok(reg_cap_parse_amount("0.0001", &a) == 0 && a == 0.0001,
	    "amount 0.0001");
	ok(reg_cap_parse_amount("1000000000", &a) == 0, "amount at the maximum");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(reg_cap_parse_amount(bad[i], &a) == -1, "amount \"%s\" refused",
		    bad[i]);

	ok(reg_cap_parse_period("day", p, sizeof(p), &w) == 0 &&
	    strcmp(p, "day") == 0 && w == 0, "period day");
	ok(reg_cap_parse_period("month", p, sizeof(p), &w) == 0 &&
	    strcmp(p, "month") == 0, "period month");
	ok(reg_cap_parse_period("10m", p, sizeof(p), &w) == 0 &&
	    strcmp(p, "window") == 0 && w == 600, "period 10m is a window of 600 s");
	ok(reg_cap_parse_period("Day", p, sizeof(p), &w) == -1, "Day refused");
	ok(reg_cap_parse_period("0s", p, sizeof(p), &w) == -1, "0s refused");
	ok(reg_cap_parse_period("367d", p, sizeof(p), &w) == -1, "367d refused");
	ok(reg_cap_parse_period("year", p, sizeof(p), &w) == -1, "year refused");
	ok(reg_cap_parse_period("", p, sizeof(p), &w) == -1, "empty refused");

	memset(&c, 0, sizeof(c));
	snprintf(c.period, sizeof(c.period), "day");
	reg_cap_bounds(&c, NOW, &s, &e);
	is_int(s, 1749945600, "day: starts at 2025-06-15T00:00:00Z");
	is_int(e, 1749945600 + 86400, "day: ends at the next midnight UTC");
	reg_cap_bounds(&c, 1749945600, &s, &e);
	is_int(s, 1749945600, "day: midnight starts the day it begins");
	snprintf(c.period, sizeof(c.period), "week");
	reg_cap_bounds(&c, NOW, &s, &e);
	is_int(s, 1749427200, "week: a Sunday is in the week of Monday 2025-06-09");
	is_int(e, 1750032000, "week: it ends on Monday 2025-06-16");
	reg_cap_bounds(&c, 1750032000, &s, &e);
	is_int(s, 1750032000, "week: Monday midnight starts a week");
	snprintf(c.period, sizeof(c.period), "month");
	reg_cap_bounds(&c, NOW, &s, &e);
	is_int(s, 1748736000, "month: starts on 2025-06-01");
	is_int(e, 1751328000, "month: ends on 2025-07-01");
	reg_cap_bounds(&c, 1735689599, &s, &e);	/* 2024-12-31T23:59:59Z */
	is_int(s, 1733011200, "month: December 2024 starts on 2024-12-01");
	is_int(e, 1735689600, "month: and ends on 2025-01-01");
	reg_cap_bounds(&c, 1709164800, &s, &e);	/* 2024-02-29 */
	is_int(e - s, 29 * 86400, "month: February 2024 has 29 days");
	snprintf(c.period, sizeof(c.period), "window");
	c.window = 600;
	c.anchor = NOW;
	reg_cap_bounds(&c, NOW + 1234, &s, &e);
	is_int(s, NOW + 1200, "window: the third window from the anchor");
	is_int(e, NOW + 1800, "window: 600 s long");
	reg_cap_period_name(&c, name, sizeof(name));
	is_str(name, "10m", "window shown as 10m");
	c.window = 90;
	reg_cap_period_name(&c, name, sizeof(name));
	is_str(name, "90s", "window shown as 90s");
}

static void
test_model_cap(void)
{
	sqlite3		*db;
	char		 msg[512], t[256];
	int64_t		 end = NOW + 600;

	if ((db = open_db()) == NULL) {
		ok(0, "open");
		return;
	}
	add_model(db, "a");
	add_model(db, "b");
	raw(db, "UPDATE models SET is_default = 1 WHERE id = 'a'");

	is_int(set_cap(db, "nosuch", NULL, 10, "10m", 80, NOW, msg, sizeof(msg)),
	    REG_NOTFOUND, "a cap on an unknown model is refused");
	is_int(qint(db, "SELECT count(*) FROM caps"), 0, "and stores nothing");
	is_int(set_cap(db, "a", NULL, 10, "10m", 80, NOW, msg, sizeof(msg)),
	    REG_OK, "cap a at 10 USD per 10m, warning at 80%%");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action = 'cap.set'"
	    " AND model = 'a'"), 1, "cap set is audited");
	is_int(events_of(db, "cap.set"), 1, "and raises cap.set");

	is_int(charge(db, "a", NULL, 7.9, NOW + 1, msg, sizeof(msg)), 0,
	    "7.90 charged");
	is_int(events_of(db, "cap.warning"), 0, "79%%: no warning");
	is_int(charge(db, "a", NULL, 0.2, NOW + 2, msg, sizeof(msg)), 0,
	    "0.20 charged");
	is_int(events_of(db, "cap.warning"), 1, "81%%: cap.warning");
	is_int(charge(db, "a", NULL, 0.5, NOW + 3, msg, sizeof(msg)), 0,
	    "0.50 charged");
	is_int(events_of(db, "cap.warning"), 1, "86%%: still one warning this "
	    "period");
	is_str(status_of(db, "a", t, sizeof(t)), "active/seed/-",
	    "under 100%%: a stays active");

	is_int(charge(db, "a", NULL, 2, NOW + 4, msg, sizeof(msg)), 0,
	    "the report that crosses 100%% is charged");
	ok(fabs(spent_of(db, "a", NULL) - 10.6) < 1e-9, "spent 10.60");
	is_int(events_of(db, "cap.exceeded"), 1, "cap.exceeded");
	is_str(status_of(db, "a", t, sizeof(t)), "inactive/auto/cap",
	    "a is deactivated: status source auto, reason cap");
	is_str(qtext(db, "SELECT id FROM models WHERE is_default = 1", t,
	    sizeof(t)), "b", "the default moved to b first");
	is_int(events_of(db, "default.changed"), 1, "default.changed is raised");
	is_str(qtext(db, "SELECT json_extract(details, '$.reason') FROM events"
	    " WHERE kind = 'model.deactivated'", t, sizeof(t)), "cap",
	    "model.deactivated says reason cap");
	is_int(charge(db, "a", NULL, 1, NOW + 5, msg, sizeof(msg)), 0,
	    "a model's cap refuses no report (usage that happened)");
	is_int(events_of(db, "cap.exceeded"), 1, "cap.exceeded once a period");

	/* The tick before the period ends: nothing. */
	{
		struct reg_caps_tick	 res;

		is_int(reg_caps_tick(db, end - 1, &res, msg, sizeof(msg)), REG_OK,
		    "tick before the end");
		is_int(res.rolled, 0, "nothing rolled before the end");
		is_int(res.next, end, "the next tick is at the period's end");
		is_str(status_of(db, "a", t, sizeof(t)), "inactive/auto/cap",
		    "a still inactive");
		is_int(reg_caps_tick(db, end, &res, msg, sizeof(msg)), REG_OK,
		    "tick at the end");
		is_int(res.rolled, 1, "the cap moves to its next period");
		is_int(res.reset, 1, "cap.reset counted");
		is_int(res.reactivated, 1, "a model reactivated");
		is_str(status_of(db, "a", t, sizeof(t)), "active/auto/-",
		    "a is active again");
		is_int(events_of(db, "cap.reset"), 1, "cap.reset is raised");
		is_str(qtext(db, "SELECT json_extract(details, '$.reason') FROM"
		    " events WHERE kind = 'model.activated'", t, sizeof(t)),
		    "cap_reset", "model.activated says cap_reset");
		ok(spent_of(db, "a", NULL) == 0, "nothing spent in the new period");
		is_int(qint(db, "SELECT period_start FROM caps"), end,
		    "the new period starts at the old one's end");
		is_int(res.next, 0, "nothing to reset: no due time");
		is_int(reg_caps_tick(db, end + 1, &res, msg, sizeof(msg)), REG_OK,
		    "tick again");
		is_int(res.rolled + res.reset, 0, "nothing more");

		/* Tripped again, then a person takes it over: it stays inactive. */
		is_int(charge(db, "a", NULL, 11, end + 10, msg, sizeof(msg)), 0,
		    "11 USD at once");
		is_int(events_of(db, "cap.warning"), 1, "straight past 100%%: no "
		    "second warning, only");
		is_int(events_of(db, "cap.exceeded"), 2, "cap.exceeded again");
		is_str(status_of(db, "a", t, sizeof(t)), "inactive/auto/cap",
		    "a deactivated again");
		{
			struct reg_model_in	 mi;
			struct reg_status_out	 so;

			memset(&mi, 0, sizeof(mi));
			mi.model = "a";
			mi.actor = &alice;
			mi.now = end + 20;
			is_int(reg_activate(db, &mi, &so, msg, sizeof(msg)),
			    REG_OK, "a person activates a");
			is_int(reg_deactivate(db, &mi, &so, msg, sizeof(msg)),
			    REG_OK, "and deactivates it");
		}
		is_str(status_of(db, "a", t, sizeof(t)), "inactive/manual/-",
		    "a is inactive by a person now");
		is_int(reg_caps_tick(db, end + 600, &res, msg, sizeof(msg)),
		    REG_OK, "the next period");
		is_int(res.reset, 1, "cap.reset");
		is_int(res.reactivated, 0, "nothing reactivated");
		is_str(status_of(db, "a", t, sizeof(t)), "inactive/manual/-",
		    "a person's deactivation stays");
		is_int(charge(db, "a", NULL, 8.5, end + 601, msg, sizeof(msg)), 0,
		    "85%% in the new period");
		is_int(events_of(db, "cap.warning"), 2, "a new period warns again");
		{
			struct reg_cap	 c;

			is_int(reg_cap_of(db, "a", NULL, end + 1199, &c), 0,
			    "the cap as it stands");
			ok(c.spent == 8.5 && c.warned && !c.exceeded,
			    "8.50 spent, warned, not exceeded");
			is_int(reg_cap_of(db, "a", NULL, end + 1200, &c), 0,
			    "and at the period's end, before any tick");
			ok(c.spent == 0 && !c.warned && c.start == end + 1200,
			    "shown as the next period, nothing spent");
			is_int(reg_caps_tick(db, end + 1200, &res, msg,
			    sizeof(msg)), REG_OK, "the tick");
			is_int(res.reset, 1, "a warned period is reset: cap.reset");
		}
	}

	/* A restart after periods ended: the charge moves the period too. */
	is_int(charge(db, "a", NULL, 10, end + 5000, msg, sizeof(msg)), 0,
	    "a charge long after (the tick did not run)");
	ok(fabs(spent_of(db, "a", NULL) - 10) < 1e-9,
	    "it counts in the current period only");
	is_int(qint(db, "SELECT period_start FROM caps"), NOW + 9 * 600,
	    "the current window");
	is_int(events_of(db, "cap.reset"), 3, "no reset for windows with "
	    "nothing in them");

	/* The caller's rollback takes the charge back. */
	{
		double before = spent_of(db, "b", NULL);

		is_int(set_cap(db, "b", NULL, 5, "day", 0, NOW, msg, sizeof(msg)),
		    REG_OK, "cap b at 5 USD a day, no warning");
		db_begin(db);
		is_int(reg_caps_charge(db, "b", NULL, 4.5, NOW + 1, msg,
		    sizeof(msg), NULL), 0, "charged inside a transaction");
		db_rollback(db);
		ok(before == -1 && spent_of(db, "b", NULL) == 0,
		    "rolled back by the caller: nothing spent");
		is_int(charge(db, "b", NULL, 4.5, NOW + 1, msg, sizeof(msg)), 0,
		    "4.50 of 5");
		is_int(events_of(db, "cap.warning"), 2, "warn=0: no warning");
	}

	/* Removing a cap undoes what it did. */
	is_int(charge(db, "b", NULL, 1, NOW + 2, msg, sizeof(msg)), 0,
	    "b past its cap");
	is_str(qtext(db, "SELECT status_reason FROM models WHERE id = 'b'", t,
	    sizeof(t)), "cap", "b deactivated by its cap");
	is_int(qint(db, "SELECT count(*) FROM models WHERE is_default = 1"), 0,
	    "no active chat model left: no default");
	{
		struct reg_cap_in	 in;

		memset(&in, 0, sizeof(in));
		in.model = "b";
		in.actor = &alice;
		in.now = NOW + 3;
		is_int(reg_cap_remove(db, &in, msg, sizeof(msg)), REG_OK,
		    "cap remove b");
		is_str(msg, "the cap of model b was removed (reactivated)",
		    "says so");
		is_int(reg_cap_remove(db, &in, msg, sizeof(msg)), REG_NOTFOUND,
		    "a second remove finds none");
	}
	is_str(status_of(db, "b", t, sizeof(t)), "active/auto/-",
	    "b is active again");
	{
		int64_t n = qint(db, "SELECT count(*) FROM events");

		is_int(charge(db, "b", NULL, 100, NOW + 4, msg, sizeof(msg)), 0,
		    "a charge on b without its cap");
		is_int(qint(db, "SELECT count(*) FROM events"), n,
		    "raises nothing");
		is_str(status_of(db, "b", t, sizeof(t)), "active/auto/-",
		    "and deactivates nothing");
	}
	ok(reg_caps_charge(db, "b", NULL, -1, NOW, msg, sizeof(msg), NULL) ==
	    REG_CAPS_BAD, "a negative cost is refused");
	ok(reg_caps_charge(db, "b", NULL, NAN, NOW, msg, sizeof(msg), NULL) ==
	    REG_CAPS_BAD, "NaN is refused");
	close_db(db);
}

static void
test_key_cap(void)
{
	sqlite3			*db;
	struct reg_key_in	 in;
	struct reg_key_out	 out;
	struct reg_resolve_in	 ri;
	struct reg_resolve_out	 ro;
	struct reg_key		 k;
	char			 msg[1200], t[256], secret[KEY_SECRET_LEN + 1];
	int64_t			 end = 1749945600 + 86400;

	if ((db = open_db()) == NULL) {
		ok(0, "open");
		return;
	}
	add_model(db, "m");
	raw(db, "UPDATE models SET is_default = 1 WHERE id = 'm'");
	memset(&in, 0, sizeof(in));
	in.actor = &alice;
	in.now = NOW;
	in.name = "app";
	in.all = 1;
	is_int(reg_key_create(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "key app");
	snprintf(secret, sizeof(secret), "%s", out.secret);

	is_int(set_cap(db, NULL, "nokey", 1, "day", 80, NOW, msg, sizeof(msg)),
	    REG_NOTFOUND, "a cap on an unknown key is refused");
	is_int(set_cap(db, NULL, "app", 1, "day", 80, NOW, msg, sizeof(msg)),
	    REG_OK, "cap key app at 1 USD a day");
	is_int(set_cap(db, "m", NULL, 100, "day", 80, NOW, msg, sizeof(msg)),
	    REG_OK, "and model m at 100");

	is_int(charge(db, "m", "app", 0.6, NOW + 1, msg, sizeof(msg)), 0,
	    "0.60 of 1");
	is_int(charge(db, "m", "app", 0.6, NOW + 2, msg, sizeof(msg)), 0,
	    "the report that crosses 100%% is charged");
	ok(fabs(spent_of(db, NULL, "app") - 1.2) < 1e-9, "key spent 1.20");
	is_int(events_of(db, "cap.exceeded"), 1, "cap.exceeded for the key");
	is_int(qint(db, "SELECT limited_until FROM api_keys WHERE name = 'app'"),
	    end, "the key is limited until the day ends");
	is_int(db_key_get(db, "app", NOW, &k), 0, "the key read back");
	is_int(k.limited_until, end, "struct reg_key carries limited_until");
	is_int(charge(db, "m", "app", 0.1, NOW + 3, msg, sizeof(msg)),
	    REG_CAPS_LIMIT, "the next report is refused");
	is_str(msg, "key app has spent its cap of 1.00 USD for this period; "
	    "refused until 2025-06-16T00:00:00Z", "with why");
	ok(fabs(spent_of(db, NULL, "app") - 1.2) < 1e-9,
	    "overshoot bounded to one report: the key's spend is unchanged");
	ok(fabs(spent_of(db, "m", NULL) - 1.2) < 1e-9,
	    "and the refused report charged the model nothing");
	is_str(status_of(db, "m", t, sizeof(t)), "active/seed/-",
	    "a key's cap deactivates no model");

	memset(&ri, 0, sizeof(ri));
	ri.model = "m";
	ri.secret = secret;
	ri.now = NOW + 4;
	is_int(reg_resolve(db, &ri, &ro, msg, sizeof(msg)), RES_LIMIT,
	    "RESOLVE with the key answers limit");
	is_str(msg, "key app has spent its cap for this period; refused until "
	    "2025-06-16T00:00:00Z", "naming the key, never the secret");
	ri.secret = NULL;
	is_int(reg_resolve(db, &ri, &ro, msg, sizeof(msg)), RES_OK,
	    "RESOLVE without the key is not limited");
	ri.secret = secret;
	ri.now = end;
	is_int(reg_resolve(db, &ri, &ro, msg, sizeof(msg)), RES_OK,
	    "at the period's end RESOLVE answers again, tick or not");
	is_int(charge(db, "m", "app", 0.1, end + 1, msg, sizeof(msg)), 0,
	    "a charge in the next day is taken");
	is_int(events_of(db, "cap.reset"), 1, "cap.reset by the charge's roll");
	is_int(qint(db, "SELECT coalesce(limited_until, 0) FROM api_keys"), 0,
	    "the limit is gone");

	/* A raised amount ends the limit at once; removing the cap too. */
	is_int(charge(db, "m", "app", 1, end + 2, msg, sizeof(msg)), 0,
	    "past the cap again");
	is_int(qint(db, "SELECT count(*) FROM api_keys WHERE limited_until > 0"),
	    1, "limited");
	is_int(set_cap(db, NULL, "app", 5, "day", 80, end + 3, msg, sizeof(msg)),
	    REG_OK, "the cap raised to 5 (same period)");
	ok(fabs(spent_of(db, NULL, "app") - 1.1) < 1e-9,
	    "the spend of the period is kept");
	is_int(qint(db, "SELECT count(*) FROM api_keys WHERE limited_until > 0"),
	    0, "no longer limited");
	is_int(set_cap(db, NULL, "app", 1, "day", 80, end + 4, msg, sizeof(msg)),
	    REG_OK, "lowered to 1 again");
	is_int(qint(db, "SELECT count(*) FROM api_keys WHERE limited_until > 0"),
	    1, "limited again at once");
	{
		struct reg_cap_in	 ci;

		memset(&ci, 0, sizeof(ci));
		ci.key = "app";
		ci.actor = &alice;
		ci.now = end + 5;
		is_int(reg_cap_remove(db, &ci, msg, sizeof(msg)), REG_OK,
		    "cap remove --key app");
	}
	is_int(qint(db, "SELECT count(*) FROM api_keys WHERE limited_until > 0"),
	    0, "the limit goes with the cap");
	is_int(charge(db, "m", "app", 50, end + 6, msg, sizeof(msg)), 0,
	    "without a cap the key is charged freely");

	/* A revoked key takes no cap. */
	is_int(reg_key_revoke(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "revoke app");
	is_int(set_cap(db, NULL, "app", 1, "day", 80, end + 7, msg, sizeof(msg)),
	    REG_CONFLICT, "a cap on a revoked key is refused");
	close_db(db);
}

int
main(void)
{
	log_init(getenv("TEST_VERBOSE") != NULL ? 7 : 2);
	tap_run(test_pure());
	tap_run(test_model_cap());
	tap_run(test_key_cap());
	return done_testing();
}
