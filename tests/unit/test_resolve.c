/* test_resolve.c: unit tests of RESOLVE's rule (reg_resolve.c), the rest of issue 9 item 3: the settings in the answer, [zdr] enforce (unknown ZDR included), [resolve] failover and its candidates, on an in-memory database. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "daemon.h"
#include "db.h"
#include "keysecret.h"
#include "log.h"
#include "reg_keys.h"
#include "reg_resolve.h"
#include "registry.h"
#include "settings.h"
#include "tap.h"
#include "testdb.h"
#include "testplan.h"

/* The rules raise events (events.c), which link the daemon's globals; no loop runs here. */
struct modelregd md;
int daemon_reload(char *err, size_t len) { (void)err; (void)len; return -1; }
void daemon_stop(void) { }
void daemon_status(const char *fmt, ...) { (void)fmt; }

#define NOW	1750000000LL

static const struct actor alice = { 1000, "alice", "manual" };

/* An active chat model with tools, a 100k context and a prompt price. */
static void
add_model(sqlite3 *db, const char *id, double price)
{
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO models(id, name, aliases,"
	    " status, status_source, added_at, status_changed_at, features,"
	    " context_length, prompt_price) VALUES ('%s', '%s', '[]', 'active',"
	    " 'seed', 1, 1, 1, 100000, %g)", id, id, price);
	if (raw(db, sql) != SQLITE_OK)
		printf("# add %s: %s\n", id, sqlite3_errmsg(db));
}

static void
health(sqlite3 *db, const char *id, const char *colour)
{
	char	 sql[256];

	snprintf(sql, sizeof(sql), "INSERT INTO uptime_samples(model, at,"
	    " uptime, health) VALUES ('%s', %lld, NULL, '%s')", id,
	    (long long)NOW - 10, colour);
	if (raw(db, sql) != SQLITE_OK)
		printf("# sample %s: %s\n", id, sqlite3_errmsg(db));
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static char	 secret[KEY_SECRET_LEN + 1];

static void
mkkey(sqlite3 *db, const char *name, const char **models, int n)
{
	struct reg_key_in	 in;
	struct reg_key_out	 out;
	char			 msg[512];

	memset(&in, 0, sizeof(in));
	in.actor = &alice;
	in.now = NOW;
	in.name = name;
	in.models = models;
	in.nmodels = n;
	if (reg_key_create(db, &in, &out, msg, sizeof(msg)) != REG_OK)
		printf("# key %s: %s\n", name, msg);
	snprintf(secret, sizeof(secret), "%s", out.secret);
}

static void
test_settings(sqlite3 *db)
{
	struct reg_resolve_in	 in;
	struct reg_resolve_out	 r;
	char			 msg[512];

	memset(&in, 0, sizeof(in));
	in.now = NOW;
	in.model = "b";
	is_int(reg_resolve(db, &in, &r, msg, sizeof(msg)), RES_OK, "b");
	ok(!r.m.has_label && !r.m.has_param[SP_TEMPERATURE] && r.m.enforced == 0,
	    "no settings: no label, no parameter, nothing enforced");
	raw(db, "INSERT INTO model_settings(model, label, temperature,"
	    " max_tokens, enforced, updated_at) VALUES ('b', 'Fast B', 0.3,"
	    " 1000, 1, 1)");
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	ok(r.m.has_label && strcmp(r.m.label, "Fast B") == 0, "the label");
	ok(r.m.has_param[SP_TEMPERATURE] && r.m.param[SP_TEMPERATURE] == 0.3 &&
	    r.m.has_param[SP_MAX_TOKENS] && r.m.param[SP_MAX_TOKENS] == 1000 &&
	    !r.m.has_param[SP_TOP_P], "the parameters set, and only those");
	is_int(r.m.enforced, 1u << SP_TEMPERATURE, "the enforced set");
}

static void
test_zdr(sqlite3 *db)
{
	struct reg_resolve_in	 in;
	struct reg_resolve_out	 r;
	char			 msg[512];

	memset(&in, 0, sizeof(in));
	in.now = NOW;
	in.zdr_enforce = 1;
	/* No ZDR refresh yet: every model's ZDR is unknown, which is not ZDR. */
	in.model = "b";
	is_int(reg_resolve(db, &in, &r, msg, sizeof(msg)), RES_UNAVAILABLE,
	    "unknown ZDR: the model falls back, and the default is refused");
	is_str(msg, "b has an unknown ZDR status and its fallback, the default "
	    "a, has an unknown ZDR status ([zdr] enforce = yes)", "saying why");
	in.model = NULL;
	is_int(reg_resolve(db, &in, &r, msg, sizeof(msg)), RES_UNAVAILABLE,
	    "unknown ZDR: no default to answer");
	is_str(msg, "the default a has an unknown ZDR status ([zdr] enforce = "
	    "yes)", "saying why");
	in.zdr_enforce = 0;
	is_int(reg_resolve(db, &in, &r, msg, sizeof(msg)), RES_OK,
	    "without enforce: the default");

	raw(db, "INSERT INTO state(key, value) VALUES ('zdr_last_ok', '1');"
	    " INSERT INTO zdr_slugs(slug) VALUES ('a'), ('c')");
	in.zdr_enforce = 1;
	in.model = "b";
	is_int(reg_resolve(db, &in, &r, msg, sizeof(msg)), RES_OK,
	    "b without ZDR");
	ok(strcmp(r.m.id, "a") == 0 && same(r.reason, "fallback") &&
	    same(r.why, "no_zdr"), "falls back to the default, why no_zdr");
	in.model = "c";
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "c") == 0 && same(r.reason, "requested"),
	    "c with ZDR: requested");
	in.zdr_enforce = 0;
	in.model = "b";
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "b") == 0 && same(r.reason, "requested"),
	    "without enforce, b: requested");
}

static void
test_failover(sqlite3 *db)
{
	struct reg_resolve_in	 in;
	struct reg_resolve_out	 r;
	const char		*ad[] = { "a", "d" }, *a[] = { "a" };
	char			 msg[512];

	/* a (default) red; alternatives by price: b 1, d 2, c 3. */
	health(db, "a", "red");
	memset(&in, 0, sizeof(in));
	in.now = NOW;
	in.model = "a";
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "a") == 0 && same(r.reason, "requested") &&
	    r.replaced[0] == '\0' && r.warning[0] == '\0',
	    "failover off: the red model, no warning");
	in.failover = 1;
	is_int(reg_resolve(db, &in, &r, msg, sizeof(msg)), RES_OK, "failover");
	ok(strcmp(r.m.id, "b") == 0 && same(r.reason, "failover") &&
	    same(r.why, "red") && strcmp(r.replaced, "a") == 0,
	    "failover: the cheapest alternative, reason failover, why red, "
	    "replaced a (%s %s)", r.m.id, r.reason);
	in.zdr_enforce = 1;
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "c") == 0 && same(r.reason, "failover"),
	    "with zdr enforce: b and d (no ZDR) are skipped, c (%s)", r.m.id);
	in.zdr_enforce = 0;
	health(db, "b", "red");
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "d") == 0, "a red alternative is none (%s)", r.m.id);
	in.model = NULL;
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "d") == 0 && same(r.reason, "failover") &&
	    strcmp(r.replaced, "a") == 0, "the red default fails over too");
	in.model = "b";
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "d") == 0 && same(r.reason, "failover") &&
	    strcmp(r.replaced, "b") == 0, "a red requested model fails over");

	mkkey(db, "ad", ad, 2);
	in.secret = secret;
	in.model = "a";
	health(db, "b", "green");
	is_int(reg_resolve(db, &in, &r, msg, sizeof(msg)), RES_OK, "key ad");
	ok(strcmp(r.m.id, "d") == 0 && same(r.reason, "failover"),
	    "b is not the key's: d (%s)", r.m.id);
	mkkey(db, "a-only", a, 1);
	in.secret = secret;
	is_int(reg_resolve(db, &in, &r, msg, sizeof(msg)), RES_OK,
	    "key a-only, no alternative allowed");
	ok(strcmp(r.m.id, "a") == 0 && same(r.reason, "requested") &&
	    r.replaced[0] == '\0', "the red model itself");
	is_str(r.warning, "a is red and none of its 3 healthy alternatives may "
	    "be answered (3 not allowed for the key, 0 without ZDR)",
	    "with a warning");
	in.secret = NULL;
	health(db, "b", "red");
	health(db, "c", "red");
	health(db, "d", "red");
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "a") == 0 && strcmp(r.warning, "a is red and has no "
	    "healthy alternative") == 0, "every model red: a, and a warning: %s",
	    r.warning);
}

/* RESOLVE stays index searches with the settings, zdr and health read. */
static void
test_plans(sqlite3 *db)
{
	struct reg_resolve_in	 in;
	struct reg_resolve_out	 r;
	char			 msg[512], plan[2048];

	memset(&in, 0, sizeof(in));
	in.now = NOW;
	in.model = "b";
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	in.model = NULL;
	reg_resolve(db, &in, &r, msg, sizeof(msg));
	ok(plan_searches_only(db, "WHERE model_view.id = coalesce", plan,
	    sizeof(plan)) == 1, "RESOLVE's model is index searches: %s", plan);
	ok(strstr(plan, "uptime_samples_model_at") != NULL && strstr(plan,
	    "SEARCH z USING PRIMARY KEY") != NULL && strstr(plan,
	    "SEARCH ms USING PRIMARY KEY") != NULL,
	    "and reads health, ZDR and the settings: %s", plan);
	ok(plan_searches_only(db, "WHERE model_view.is_default = 1", plan,
	    sizeof(plan)) == 1, "RESOLVE's default is index searches: %s", plan);
}

int
main(void)
{
	sqlite3	*db;

	log_init(getenv("TEST_VERBOSE") != NULL ? 7 : 2);
	if ((db = db_open(":memory:")) == NULL) {
		ok(0, "open");
		return tap_done();
	}
	add_model(db, "a", 5);
	add_model(db, "b", 1);
	add_model(db, "c", 3);
	add_model(db, "d", 2);
	raw(db, "UPDATE models SET is_default = 1 WHERE id = 'a'");
	tap_run(test_plans(db));
	tap_run(test_settings(db));
	tap_run(test_zdr(db));
	tap_run(test_failover(db));
	db_close(db);
	return tap_done();
}
