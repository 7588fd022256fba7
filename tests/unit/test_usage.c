/* test_usage.c: unit tests of USAGE's rules (issue 10 item 1): the cost, the UTC month, the price history the triggers keep, and a group commit in which each report is judged on its own (reg_usage.c, db_usage.c) on an in-memory database. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "daemon.h"
#include "db.h"
#include "db_int.h"
#include "keysecret.h"
#include "log.h"
#include "reg_keys.h"
#include "reg_usage.h"
#include "registry.h"
#include "tap.h"
#include "testdb.h"
#include "usage_month.h"

/* The rules raise events (events.c), which link the daemon's globals; no loop runs here. */
struct modelregd md;
int daemon_reload(char *err, size_t len) { (void)err; (void)len; return -1; }
void daemon_stop(void) { }
void daemon_status(const char *fmt, ...) { (void)fmt; }

#define NOW	1796184000LL	/* 2026-12-02T04:00:00Z */

static const struct actor alice = { 1000, "alice", "manual" };

static void
test_cost(void)
{
	struct usage_report	 r;
	double			 c;

	memset(&r, 0, sizeof(r));
	r.prompt_tokens = 1000;
	r.completion_tokens = 500;
	is_int(usage_cost(&r, 1, 2.5, 1, 10, &c), 1, "both prices known: priced");
	ok(c > 0.0074999 && c < 0.0075001, "1000 x 2.5 + 500 x 10 per 1M is 0.0075 "
	    "(%g)", c);
	is_int(usage_cost(&r, 0, 0, 1, 10, &c), 0, "an unknown prompt price: not priced");
	ok(c > 0.0049999 && c < 0.0050001, "and only the completion part costs (%g)", c);
	r.prompt_tokens = 0;
	is_int(usage_cost(&r, 0, 0, 1, 10, &c), 1,
	    "an unknown price of no tokens does not matter");
}

static void
test_month(void)
{
	char	 m[16];

	is_int(usage_month_start_day(NOW), 20788, "2026-12-02: the month starts on "
	    "day 20788 (2026-12-01)");
	is_int(usage_month_start_day(1709211600LL), 19754,
	    "2024-02-29 13:00: the month starts on 2024-02-01");
	is_int(usage_month_start_day(954547199LL), 11017,
	    "2000-03-31 23:59:59: the month starts on 2000-03-01");
	usage_month_name(NOW, m, sizeof(m));
	is_str(m, "2026-12", "the period's name is the UTC month");
}

static void
add_model(sqlite3 *db, const char *id, const char *pp, const char *cp)
{
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO models(id, name, status,"
	    " status_source, added_at, status_changed_at, prompt_price,"
	    " completion_price) VALUES ('%s', '%s', 'active', 'seed', 1, 1,"
	    " %s, %s)", id, id, pp, cp);
	if (raw(db, sql) != SQLITE_OK)
		printf("# add %s: %s\n", id, sqlite3_errmsg(db));
}

static void
report(struct usage_report *r, const char *model, int64_t pt, int64_t ct,
    const char *secret)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->model, sizeof(r->model), "%s", model);
	r->prompt_tokens = pt;
	r->completion_tokens = ct;
	r->requests = 1;
	if (secret != NULL) {
		r->has_key = 1;
		if (keysecret_hash(secret, r->key_hash) == -1)
			printf("# cannot hash\n");
	}
}

static void
test_prices(sqlite3 *db)
{
	char	 t[256];

	add_model(db, "p", "1.0", "2.0");
	is_int(qint(db, "SELECT count(*) FROM model_prices WHERE model = 'p'"
	    " AND until IS NULL AND prompt_price = 1.0"), 1,
	    "an inserted model opens its price interval");
	raw(db, "UPDATE models SET name = 'P' WHERE id = 'p'");
	is_int(qint(db, "SELECT count(*) FROM model_prices WHERE model = 'p'"), 1,
	    "an update that changes no price records nothing");
	raw(db, "UPDATE models SET completion_price = 4.0 WHERE id = 'p'");
	is_int(qint(db, "SELECT count(*) FROM model_prices WHERE model = 'p'"), 2,
	    "a price change records a second interval");
	is_str(qtext(db, "SELECT group_concat(completion_price || ':' ||"
	    " (until IS NULL), ',') FROM (SELECT * FROM model_prices WHERE"
	    " model = 'p' ORDER BY rowid)", t, sizeof(t)), "2.0:0,4.0:1",
	    "the old one closed, the new one open");
	raw(db, "UPDATE models SET prompt_price = NULL WHERE id = 'p'");
	is_int(qint(db, "SELECT count(*) FROM model_prices WHERE model = 'p'"
	    " AND until IS NULL AND prompt_price IS NULL"), 1,
	    "a price that becomes unknown is a change too");
	raw(db, "DELETE FROM models WHERE id = 'p'");
	is_int(qint(db, "SELECT count(*) FROM model_prices WHERE model = 'p'"
	    " AND until IS NULL"), 0, "a deleted model's interval is closed");
}

static void
test_commit(sqlite3 *db)
{
	struct reg_key_in	 in;
	struct reg_key_out	 out;
	struct usage_report	 r[6];
	struct usage_result	 o[6];
	struct usage_totals	 t;
	const char		*grant[] = { "a" };
	char			 msg[512], secret[KEY_SECRET_LEN + 1];
	int			 changed;

	add_model(db, "a", "2.5", "10.0");
	add_model(db, "b", "NULL", "NULL");
	memset(&in, 0, sizeof(in));
	in.actor = &alice;
	in.now = NOW;
	in.name = "app";
	in.models = grant;
	in.nmodels = 1;
	if (reg_key_create(db, &in, &out, msg, sizeof(msg)) != REG_OK) {
		ok(0, "create a key: %s", msg);
		return;
	}
	snprintf(secret, sizeof(secret), "%s", out.secret);

	report(&r[0], "a", 1000, 500, NULL);
	report(&r[1], "nosuch", 1, 1, NULL);
	report(&r[2], "a", 2000, 0, secret);
	report(&r[3], "b", 1, 1, secret);
	report(&r[4], "a", 100000000, 0, NULL);		/* 250 USD */
	report(&r[5], "b", 10, 10, NULL);
	is_int(reg_usage_commit(db, r, o, 6, NOW, 100, &changed), 0,
	    "a group of six reports commits");
	is_int(o[0].rc, USAGE_OK, "a known model: OK");
	ok(o[0].cost > 0.0074999 && o[0].cost < 0.0075001, "at its price");
	is_int(o[1].rc, USAGE_NOTFOUND, "an unknown model: not found");
	is_int(o[2].rc, USAGE_OK, "with a key that may use the model: OK");
	is_str(o[2].key_name, "app", "the key is named");
	is_int(o[3].rc, USAGE_DENIED, "with a key that may not: denied");
	ok(strstr(o[3].msg, "app") != NULL, "the refusal names the key: %s", o[3].msg);
	is_int(o[4].rc, USAGE_SUSPICIOUS, "250 USD over max_report_cost 100: "
	    "suspicious");
	is_int(o[5].rc, USAGE_OK, "a model without prices: OK");
	is_int(o[5].priced, 0, "but not priced");
	is_int(qint(db, "SELECT count(*) FROM usage"), 3,
	    "only the three accepted reports are stored");
	is_int(qint(db, "SELECT count(*) FROM usage WHERE key_id = (SELECT id"
	    " FROM api_keys WHERE name = 'app')"), 1, "one of them with the key");
	is_int(qint(db, "SELECT sum(prompt_tokens) FROM usage_daily WHERE"
	    " model = 'a' AND day = 20789"), 3000,
	    "the rollup of a's day adds both reports");
	if (reg_usage_model_period(db, "a", usage_month_start_day(NOW), &t) != 0)
		ok(0, "the period's totals");
	else {
		is_int(t.requests, 2, "a's month: 2 requests");
		ok(t.cost > 0.012499 && t.cost < 0.012501, "a's month: 0.0125 USD "
		    "(%g)", t.cost);
	}
	if (reg_usage_key_period(db, qint(db, "SELECT id FROM api_keys WHERE"
	    " name = 'app'"), usage_month_start_day(NOW), &t) != 0)
		ok(0, "the key's totals");
	else
		is_int(t.prompt_tokens, 2000, "the key's month: its report only");
	if (reg_usage_model_period(db, "a", usage_month_start_day(NOW) + 31,
	    &t) == 0)
		is_int(t.requests, 0, "next month starts at zero");

	/* Another writer holds the lock: nothing is written, the group waits. */
	raw(db, "BEGIN IMMEDIATE");
	report(&r[0], "a", 1, 1, NULL);
	ok(reg_usage_commit(db, r, o, 1, NOW, 100, &changed) != 0,
	    "a group inside another transaction is not committed");
	raw(db, "ROLLBACK");
	is_int(qint(db, "SELECT count(*) FROM usage"), 3, "and stored nothing");
}

/* usage_month.c: the month's totals per model that SHOW reads from memory. */
static void
test_month_table(void)
{
	struct umonth		*u;
	struct usage_totals	 t, one = { 1, 10, 5, 0.25 };
	char			 id[32];
	int			 i, right = 1;

	if ((u = umonth_new()) == NULL) {
		ok(0, "umonth_new");
		return;
	}
	ok(umonth_get(u, "a", &t) == -1, "before a month is read: no answer (the rollup is asked)");
	umonth_reset(u, 20424);
	is_int((int)umonth_day0(u), 20424, "the month's first day is kept");
	ok(umonth_get(u, "a", &t) == 0 && t.requests == 0 && t.cost == 0,
	    "a model without reports: zeros");
	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof(id), "m%d", i);
		if (umonth_add(u, id, &one) == -1 || (i % 3 == 0 &&
		    umonth_add(u, id, &one) == -1))
			right = 0;
	}
	ok(right, "1,000 models added (the table grows past its first 256 buckets)");
	for (i = 0; i < 1000 && right; i++) {
		snprintf(id, sizeof(id), "m%d", i);
		if (umonth_get(u, id, &t) == -1 || t.requests != (i % 3 == 0 ? 2 : 1) ||
		    t.prompt_tokens != t.requests * 10 || t.completion_tokens !=
		    t.requests * 5 || t.cost != 0.25 * (double)t.requests)
			right = 0;
	}
	ok(right, "every model's totals add up after the growth");
	umonth_reset(u, 20454);
	ok(umonth_get(u, "m0", &t) == 0 && t.requests == 0,
	    "a new month starts empty");
	umonth_free(u);
}

int
main(void)
{
	sqlite3	*db;

	log_init(getenv("TEST_VERBOSE") != NULL ? 7 : 2);
	tap_run(test_cost());
	tap_run(test_month());
	tap_run(test_month_table());
	if ((db = db_open(":memory:")) == NULL) {
		ok(0, "open");
		done_testing();
	}
	tap_run(test_prices(db));
	tap_run(test_commit(db));
	db_close(db);
	done_testing();
}
