/* test_keys.c: unit tests of API keys (issue 9): the secret's encoding and digest (keysecret.c), reg_key_may_use, and the key rules over models' identities (reg_keys.c, db_keys.c) on an in-memory database. */
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
#include "db_keys.h"
#include "keysecret.h"
#include "log.h"
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

#define NOW	1750000000LL

static const struct actor alice = { 1000, "alice", "manual" };

static void
test_encoding(void)
{
	static const struct { const char *in; size_t n; const char *out; } v[] = {
		{ "", 0, "" }, { "f", 1, "Zg" }, { "fo", 2, "Zm8" },
		{ "foo", 3, "Zm9v" }, { "foob", 4, "Zm9vYg" },
		{ "fooba", 5, "Zm9vYmE" }, { "foobar", 6, "Zm9vYmFy" },
		/* The two characters base64url changes: 62 is '-', 63 is '_'. */
		{ "\xfb\xef\xff", 3, "--__" }, { "\xfa", 1, "-g" },
	};
	char		 out[64], s[KEY_SECRET_LEN + 1], t[KEY_SECRET_LEN + 1];
	char		 bad[KEY_SECRET_LEN + 8];
	unsigned char	 h[KEY_HASH_LEN], h2[KEY_HASH_LEN];
	size_t		 i;
	int		 hex_ok;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		is_int(keysecret_b64url((const unsigned char *)v[i].in, v[i].n,
		    out), strlen(v[i].out), "b64url length of %zu bytes", v[i].n);
		is_str(out, v[i].out, "b64url of %zu bytes (RFC 4648 vectors)",
		    v[i].n);
	}

	ok(keysecret_new(s, sizeof(s)) == 0, "a new secret");
	is_int(strlen(s), KEY_SECRET_LEN, "a secret is 46 characters");
	ok(strncmp(s, "mr_", 3) == 0, "a secret starts with mr_");
	ok(strspn(s + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == 43, "43 base64url characters follow, no padding");
	ok(keysecret_valid(s), "a new secret is valid");
	ok(keysecret_new(t, sizeof(t)) == 0 && strcmp(s, t) != 0,
	    "two secrets differ");
	ok(keysecret_new(t, KEY_SECRET_LEN) == -1, "a short buffer is refused");

	ok(!keysecret_valid(NULL), "NULL is not a secret");
	ok(!keysecret_valid(""), "empty is not a secret");
	snprintf(bad, sizeof(bad), "xx_%s", s + 3);
	ok(!keysecret_valid(bad), "another prefix is not a secret");
	snprintf(bad, sizeof(bad), "%sA", s);
	ok(!keysecret_valid(bad), "47 characters is not a secret");
	snprintf(bad, sizeof(bad), "%.45s", s);
	ok(!keysecret_valid(bad), "45 characters is not a secret");
	snprintf(bad, sizeof(bad), "%s", s);
	bad[10] = '+';
	ok(!keysecret_valid(bad), "'+' (base64, not base64url) is refused");
	bad[10] = '=';
	ok(!keysecret_valid(bad), "'=' padding is refused");
	snprintf(bad, sizeof(bad), "%s", s);
	bad[KEY_SECRET_LEN - 1] = 'B';	/* index 1: low bits set */
	ok(!keysecret_valid(bad), "a last character with its low bits set "
	    "is not canonical");
	bad[KEY_SECRET_LEN - 1] = 'E';	/* index 4 */
	ok(keysecret_valid(bad), "a canonical last character is accepted");

	ok(keysecret_hash("abc", h) == 0, "SHA-256 of abc");
	hex_ok = memcmp(h, "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde"
	    "\x5d\xae\x22\x23\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61"
	    "\xf2\x00\x15\xad", KEY_HASH_LEN) == 0;
	ok(hex_ok, "SHA-256 of abc is FIPS 180-2's ba7816bf...f20015ad");
	ok(keysecret_hash(s, h) == 0 && keysecret_hash(t, h2) == 0 &&
	    memcmp(h, h2, sizeof(h)) != 0, "two secrets have two digests");
}

static void
test_may_use(void)
{
	struct reg_key	 k;
	char		 why[300];

	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "app");

	why[0] = '\0';
	ok(!reg_key_may_use(&k, "m", 0, 1, NOW, why, sizeof(why)),
	    "a key with no list and no all may not use a model");
	is_str(why, "key app does not allow m", "and says so");
	ok(reg_key_may_use(&k, "m", 1, 1, NOW, why, sizeof(why)),
	    "a grant of the model's generation allows it");
	ok(!reg_key_may_use(&k, "m", 1, 2, NOW, why, sizeof(why)),
	    "a grant of an earlier model of that id does not");
	ok(strstr(why, "earlier model") != NULL && strstr(why, "allow it "
	    "again") != NULL, "and says an admin must allow it again: %s", why);
	ok(!reg_key_may_use(&k, "m", 1, 0, NOW, why, sizeof(why)),
	    "a grant of a deleted model does not allow it");
	is_str(why, "no such model: m", "a deleted model is no such model");

	/* The id part alone, which RESOLVE asks of a model it may fall back from. */
	ok(!reg_key_names(&k, "m", 0, why, sizeof(why)),
	    "names: no grant, no all: the key does not name m");
	is_str(why, "key app does not allow m", "in the same words as may_use");
	ok(reg_key_names(&k, "m", 1, why, sizeof(why)) &&
	    reg_key_names(&k, "m", 2, why, sizeof(why)),
	    "names: any grant of the id, of whichever model it was given for");
	k.collection = 3;
	snprintf(k.collection_name, sizeof(k.collection_name), "chat");
	ok(!reg_key_names(&k, "m", 0, why, sizeof(why)) &&
	    !reg_key_may_use(&k, "m", 0, 1, NOW, why, sizeof(why)),
	    "a collection key whose collection does not hold m");
	is_str(why, "key app follows collection chat, which does not hold m",
	    "says so, in both");
	k.collection = 0;
	k.collection_name[0] = '\0';

	k.all = 1;
	ok(reg_key_names(&k, "m", 0, why, sizeof(why)),
	    "names: all names every id");
	ok(reg_key_may_use(&k, "m", 0, 7, NOW, why, sizeof(why)),
	    "all allows any present model without a grant");
	ok(!reg_key_may_use(&k, "m", 0, 0, NOW, why, sizeof(why)),
	    "all does not make a deleted model usable");

	k.expires_at = NOW;
	ok(!reg_key_may_use(&k, "m", 0, 7, NOW, why, sizeof(why)),
	    "an expired key (at its expiry) may use nothing");
	is_str(why, "key app has expired", "and says it expired");
	ok(reg_key_may_use(&k, "m", 0, 7, NOW - 1, why, sizeof(why)),
	    "a second before its expiry it may");
	ok(reg_key_usable(&k, NOW - 1, why, sizeof(why)) &&
	    !reg_key_usable(&k, NOW, why, sizeof(why)), "reg_key_usable agrees");

	k.expires_at = 0;
	k.revoked_at = NOW - 10;
	ok(!reg_key_may_use(&k, "m", 0, 7, NOW, why, sizeof(why)),
	    "a revoked key may use nothing");
	is_str(why, "key app is revoked", "and says it is revoked");
	k.all = 0;
	ok(!reg_key_may_use(&k, "m", 1, 1, NOW, why, sizeof(why)),
	    "a revoked key's grants do not count");

	ok(reg_key_name_ok("app-1.prod_x") && reg_key_name_ok("A"),
	    "key names: letters, digits, . _ -");
	ok(!reg_key_name_ok("") && !reg_key_name_ok("-app") &&
	    !reg_key_name_ok("a b") && !reg_key_name_ok("a=b") &&
	    !reg_key_name_ok("a,b"), "key names: no empty, leading -, blank, = or ,");
	ok(reg_key_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaa") && !reg_key_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "key names: 64 bytes, not 65");
}

static void
add_model(sqlite3 *db, const char *id, const char *aliases)
{
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO models(id, name, aliases,"
	    " status, status_source, added_at, status_changed_at)"
	    " VALUES ('%s', '%s', '%s', 'active', 'seed', 1, 1)", id, id,
	    aliases);
	if (raw(db, sql) != SQLITE_OK)
		printf("# add %s: %s\n", id, sqlite3_errmsg(db));
}

/* What reg_key_may_use says for key name and model id, as RESOLVE will ask. */
static int
may(sqlite3 *db, const char *name, const char *id)
{
	struct reg_key	 k;
	int64_t		 g = 0, m = 0;
	char		 why[300];

	if (db_key_get(db, name, NOW, &k) != 0)
		return -1;
	db_key_grant_gen(db, k.id, id, &g);
	db_model_gen(db, id, &m);
	return reg_key_may_use(&k, id, g, m, NOW, why, sizeof(why));
}

struct shown {
	char	 models[512], gone[512];
	int	 n;
};

static int
show_cb(const struct reg_key *k, const char *models, const char *gone,
    void *arg)
{
	struct shown	*s = arg;

	(void)k;
	snprintf(s->models, sizeof(s->models), "%s", models);
	snprintf(s->gone, sizeof(s->gone), "%s", gone);
	s->n++;
	return 0;
}

static void
test_rules(void)
{
	sqlite3			*db;
	struct reg_key_in	 in;
	struct reg_key_out	 out;
	struct reg_key		 k;
	struct shown		 sh;
	const char		*models[] = { "fast", "b", "fast" };
	const char		*one[] = { "a" };
	const char		*unknown[] = { "b", "nosuch" };
	unsigned char		 h[KEY_HASH_LEN], h1[KEY_HASH_LEN];
	char			 msg[512], t[256], secret[KEY_SECRET_LEN + 1];

	if ((db = db_open(":memory:")) == NULL) {
		ok(0, "open");
		return;
	}
	add_model(db, "a", "[\"fast\"]");
	add_model(db, "b", "[]");

	memset(&in, 0, sizeof(in));
	in.actor = &alice;
	in.now = NOW;
	in.name = "app";
	in.models = unknown;
	in.nmodels = 2;
	is_int(reg_key_create(db, &in, &out, msg, sizeof(msg)), REG_NOTFOUND,
	    "create naming an unknown model is refused");
	is_str(msg, "no such model: nosuch", "and names it");
	is_int(qint(db, "SELECT count(*) FROM api_keys"), 0, "and makes no key");

	in.models = models;
	in.nmodels = 3;
	is_int(reg_key_create(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "create with an alias, an id and the alias again");
	ok(keysecret_valid(out.secret), "create gives a valid secret");
	snprintf(secret, sizeof(secret), "%s", out.secret);
	is_int(qint(db, "SELECT count(*) FROM api_key_models"), 2,
	    "two grants: the alias resolved to its id, the repeat dropped");
	is_str(qtext(db, "SELECT group_concat(model) FROM (SELECT model FROM"
	    " api_key_models ORDER BY model)", t, sizeof(t)), "a,b",
	    "the grants name ids");
	is_int(qint(db, "SELECT count(*) FROM api_key_secrets"), 1,
	    "one digest stored");
	keysecret_hash(secret, h);
	is_int(db_key_by_hash(db, h, NOW, &k), 0, "the key is found by its digest");
	is_str(k.name, "app", "the digest finds that key");
	is_str(qtext(db, "SELECT count(*) FROM api_keys WHERE instr(name || note"
	    " || created_by, 'mr_') > 0", t, sizeof(t)), "0",
	    "no text column holds the secret");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action = 'key.created'"
	    " AND field = 'app'"), 1, "key.created is audited");
	is_int(qint(db, "SELECT count(*) FROM events WHERE kind = 'key.created'"),
	    1, "key.created is an event");
	is_int(reg_key_create(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "a second key of that name is refused");

	is_int(may(db, "app", "a"), 1, "the key may use a");
	is_int(may(db, "app", "b"), 1, "and b");

	/* A raw DELETE (no audit row) is still remembered. */
	raw(db, "DELETE FROM models WHERE id = 'a'");
	ok(qint(db, "SELECT deleted_at FROM model_ids WHERE id = 'a'") > 0,
	    "model_ids remembers a deleted id, with when");
	memset(&sh, 0, sizeof(sh));
	is_int(reg_key_show(db, "app", NOW, show_cb, &sh, msg, sizeof(msg)),
	    REG_OK, "show the key");
	is_str(sh.models, "b", "show: b is reachable");
	is_str(sh.gone, "a", "show: a is gone");
	is_int(may(db, "app", "a"), 0, "the key may not use the deleted a");

	add_model(db, "a", "[]");
	is_int(qint(db, "SELECT gen FROM model_ids WHERE id = 'a'"), 2,
	    "a model synced again under the id is its generation 2");
	ok(qint(db, "SELECT deleted_at IS NULL FROM model_ids WHERE id = 'a'")
	    == 1, "and is present again");
	is_int(may(db, "app", "a"), 0, "the key does not reach the new a");
	memset(&sh, 0, sizeof(sh));
	reg_key_show(db, "app", NOW, show_cb, &sh, msg, sizeof(msg));
	is_str(sh.gone, "a", "show: the new a is still gone for the key");

	in.models = one;
	in.nmodels = 1;
	is_int(reg_key_allow(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "allow names the new a");
	is_int(may(db, "app", "a"), 1, "now the key reaches it");
	is_int(reg_key_allow(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "allowing it again changes nothing (conflict)");
	is_int(reg_key_deny(db, &in, &out, msg, sizeof(msg)), REG_OK, "deny a");
	is_int(may(db, "app", "a"), 0, "denied, the key may not use a");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action IN"
	    " ('key.allowed', 'key.denied') AND model = 'a'"), 2,
	    "allow and deny are audited with the model");

	/* Rotation: with grace both digests work until it ends. */
	in.grace = 60;
	is_int(reg_key_rotate(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "rotate with 60s of grace");
	ok(strcmp(out.secret, secret) != 0 && keysecret_valid(out.secret),
	    "rotate gives a new secret");
	is_int(db_key_by_hash(db, h, NOW + 59, &k), 0,
	    "the old secret works within the grace");
	is_int(db_key_by_hash(db, h, NOW + 60, &k), 1,
	    "and not once it has ended");
	memcpy(h1, h, sizeof(h1));
	keysecret_hash(out.secret, h);
	in.grace = 0;
	in.now = NOW + 1;
	is_int(reg_key_rotate(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "rotate without grace");
	is_int(db_key_by_hash(db, h, NOW + 1, &k), 1,
	    "the previous secret stops at once");
	is_int(db_key_by_hash(db, h1, NOW + 1, &k), 1,
	    "and so does the one still in its grace: no grace ends them all");
	is_int(qint(db, "SELECT count(*) FROM api_key_secrets"), 1,
	    "only the current digest is kept");

	is_int(reg_key_revoke(db, &in, &out, msg, sizeof(msg)), REG_OK, "revoke");
	is_int(may(db, "app", "b"), 0, "a revoked key may use nothing");
	is_int(reg_key_revoke(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "revoking twice is a conflict");
	is_int(reg_key_rotate(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "a revoked key cannot be rotated");

	/* No list, no all: nothing. */
	in.name = "empty";
	in.models = NULL;
	in.nmodels = 0;
	is_int(reg_key_create(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "create a key with no list");
	is_int(may(db, "empty", "a") + may(db, "empty", "b"), 0,
	    "it may use no model");
	in.name = "every";
	in.all = 1;
	is_int(reg_key_create(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "create a key with all");
	is_int(may(db, "every", "a") + may(db, "every", "b"), 2,
	    "it may use every model");
	in.models = one;
	in.nmodels = 1;
	is_int(reg_key_allow(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "an all key has no list to allow into");
	in.name = "both";
	is_int(reg_key_create(db, &in, &out, msg, sizeof(msg)), REG_USAGE,
	    "a list and all together are refused");
	in.name = "bad name";
	in.all = 0;
	is_int(reg_key_create(db, &in, &out, msg, sizeof(msg)), REG_USAGE,
	    "a bad name is refused");
	db_close(db);
}

/* A registry of schema 4 learns its earlier deletions from the audit log. */
static void
test_migration(void)
{
	sqlite3	*db;

	/* A raw connection taken to 4, as an older modelregd left it. */
	if (sqlite3_open(":memory:", &db) != SQLITE_OK) {
		ok(0, "open");
		return;
	}
	is_int(db_migrate_to(db, ":memory:", 4), 0, "migrate to 4");
	add_model(db, "kept", "[]");
	raw(db, "INSERT INTO audit(at, uid, actor, action, model)"
	    " VALUES (5, 1000, 'alice', 'delete', 'old')");
	is_int(db_migrate_to(db, ":memory:", 5), 0, "migrate 4 -> 5");
	is_int(qint(db, "SELECT gen FROM model_ids WHERE id = 'kept' AND"
	    " deleted_at IS NULL"), 1, "a present model is generation 1");
	is_int(qint(db, "SELECT deleted_at FROM model_ids WHERE id = 'old' AND"
	    " deleted_by = 'alice' AND deleted_uid = 1000"), 5,
	    "a model deleted before is remembered, with when and by whom");
	sqlite3_close(db);
}

/* RESOLVE's rule (issue 9 item 3): reasons, fallbacks, and the key's say. */
static void
test_resolve(void)
{
	sqlite3			*db;
	struct reg_key_in	 in;
	struct reg_key_out	 out;
	struct reg_resolve_in	 rin;
	struct reg_resolve_out	 r;
	const char		*bc[] = { "b", "c" };
	char			 msg[512], secret[KEY_SECRET_LEN + 1];

	if ((db = db_open(":memory:")) == NULL) {
		ok(0, "open");
		return;
	}
	add_model(db, "a", "[\"aa\"]");
	add_model(db, "b", "[]");
	add_model(db, "c", "[]");
	add_model(db, "d", "[]");
	raw(db, "UPDATE models SET is_default = 1 WHERE id = 'a';"
	    " UPDATE models SET status = 'inactive' WHERE id = 'b';"
	    " UPDATE models SET expires_at = 1750000000 WHERE id = 'c';"
	    " DELETE FROM models WHERE id = 'd'");

	memset(&rin, 0, sizeof(rin));
	rin.now = NOW;
	is_int(reg_resolve(db, &rin, &r, msg, sizeof(msg)), RES_OK, "no model");
	ok(strcmp(r.m.id, "a") == 0 && strcmp(r.reason, "default") == 0 &&
	    r.why == NULL, "no model: the default, reason default");
	rin.model = "aa";
	reg_resolve(db, &rin, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "a") == 0 && strcmp(r.reason, "requested") == 0,
	    "an alias of an active model: requested");
	rin.model = "b";
	reg_resolve(db, &rin, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "a") == 0 && strcmp(r.reason, "fallback") == 0 &&
	    r.why != NULL && strcmp(r.why, "inactive") == 0,
	    "an inactive model: fallback, inactive");
	rin.model = "c";
	reg_resolve(db, &rin, &r, msg, sizeof(msg));
	ok(r.why != NULL && strcmp(r.why, "expired") == 0,
	    "a model at its expires_at: fallback, expired");
	rin.now = NOW - 1;
	reg_resolve(db, &rin, &r, msg, sizeof(msg));
	ok(strcmp(r.m.id, "c") == 0 && strcmp(r.reason, "requested") == 0,
	    "a second before it: requested");
	rin.now = NOW;
	rin.model = "d";
	reg_resolve(db, &rin, &r, msg, sizeof(msg));
	ok(r.why != NULL && strcmp(r.why, "removed") == 0,
	    "a deleted id: fallback, removed");
	rin.model = "zzz";
	is_int(reg_resolve(db, &rin, &r, msg, sizeof(msg)), RES_NOTFOUND,
	    "a name never in the registry: notfound");

	memset(&in, 0, sizeof(in));
	in.actor = &alice;
	in.now = NOW;
	in.name = "k";
	in.models = bc;
	in.nmodels = 2;
	reg_key_create(db, &in, &out, msg, sizeof(msg));
	snprintf(secret, sizeof(secret), "%s", out.secret);
	rin.secret = secret;
	rin.model = "a";
	is_int(reg_resolve(db, &rin, &r, msg, sizeof(msg)), RES_DENIED,
	    "a key's model it was not given: denied");
	is_str(msg, "key k does not allow a", "and why");
	rin.model = "b";
	is_int(reg_resolve(db, &rin, &r, msg, sizeof(msg)), RES_DENIED,
	    "its inactive model whose fallback it may not use: denied");
	ok(strstr(msg, "its fallback, the default a, is not allowed") != NULL,
	    "and why: %s", msg);
	rin.model = "c";
	rin.now = NOW - 1;
	is_int(reg_resolve(db, &rin, &r, msg, sizeof(msg)), RES_OK,
	    "its own active model: ok");
	ok(r.has_key && strcmp(r.key.name, "k") == 0, "and says which key");
	rin.model = NULL;
	is_int(reg_resolve(db, &rin, &r, msg, sizeof(msg)), RES_DENIED,
	    "the default it may not use: denied");
	secret[5] = secret[5] == 'A' ? 'B' : 'A';	/* still well formed */
	rin.model = "c";
	is_int(reg_resolve(db, &rin, &r, msg, sizeof(msg)), RES_DENIED,
	    "a secret one character off: denied");
	ok(strstr(msg, "unknown API key") != NULL && strstr(msg, secret) == NULL,
	    "as unknown, and the message does not echo it: %s", msg);
	db_close(db);
}

int
main(void)
{
	log_init(getenv("TEST_VERBOSE") != NULL ? 7 : 2);
	tap_run(test_encoding());
	tap_run(test_may_use());
	tap_run(test_rules());
	tap_run(test_migration());
	tap_run(test_resolve());
	return done_testing();
}
