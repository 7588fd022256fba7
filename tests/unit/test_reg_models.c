/* test_reg_models.c: unit tests of the models family's rules (reg_models.c, reg_seed.c, reg_expiry.c, reg_read.c, reg_default_make): their result structs, on an in-memory database. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "daemon.h"
#include "db.h"
#include "db_audit.h"
#include "db_events.h"
#include "db_import.h"
#include "log.h"
#include "registry.h"
#include "tap.h"
#include "testdb.h"

/* The rules raise events (events.c), which link the daemon's globals; no loop runs here. */
struct modelregd md;
int daemon_reload(char *err, size_t len) { (void)err; (void)len; return -1; }
void daemon_stop(void) { }
void daemon_status(const char *fmt, ...) { (void)fmt; }

#define NOW	1750000000LL
#define DAY	86400LL

static const struct actor alice = { 1000, "alice", "manual" };
static const struct actor seeder = { 0, "seed", "seed" };

/* expires_at 0: none. */
static void
stage(sqlite3 *db, const char *id, const char *name, const char *aliases,
    const char *kind, int64_t expires_at)
{
	sqlite3_stmt	*st;

	if (sqlite3_prepare_v2(db, "INSERT INTO staging(id, name, provider,"
	    " description, context_length, features, aliases, kind,"
	    " expires_at) VALUES (?, ?, 'acme', '', 32000, 0, ?, ?, ?)", -1,
	    &st, NULL) != SQLITE_OK) {
		printf("# stage: %s\n", sqlite3_errmsg(db));
		return;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, aliases, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_STATIC);
	if (expires_at > 0)
		sqlite3_bind_int64(st, 5, expires_at);
	if (sqlite3_step(st) != SQLITE_DONE)
		printf("# stage %s: %s\n", id, sqlite3_errmsg(db));
	sqlite3_finalize(st);
}

/* The catalog most tests start from. */
static void
stage_four(sqlite3 *db, const char *c_name)
{
	stage_reset(db);
	stage(db, "chat-a", "Chat A", "[]", "chat", 0);
	stage(db, "chat-b", "Chat B", "[\"b-alias\"]", "chat", 0);
	stage(db, "chat-c", c_name, "[]", "chat", 0);
	stage(db, "emb", "Embed", "[]", "embedding", 0);
}

static char	 s_a[] = "chat-a", s_balias[] = "b-alias", s_c[] = "chat-c";
static char	*aa_v[] = { s_a, s_balias };
static char	*ai_v[] = { s_c };
static const struct cfg_list	 aa = { aa_v, 2 }, ai = { ai_v, 1 };

/* A registry seeded from stage_four: chat-a (default) and chat-b active. */
static sqlite3 *
seeded(void)
{
	struct reg_settings	 s;
	struct reg_seed_in	 in = { &seeder, NOW, 0 };
	struct seed_result	 res;
	sqlite3			*db;

	if ((db = db_open(":memory:")) == NULL)
		return NULL;
	memset(&s, 0, sizeof(s));
	s.always_active = &aa;
	s.always_inactive = &ai;
	s.default_model = "chat-a";
	stage_four(db, "Chat C");
	if (reg_seed_apply(db, &s, &in, &res, NULL, 0) != REG_OK)
		printf("# seeded: the seed failed\n");
	return db;
}

static void
test_seed(void)
{
	struct reg_settings	 s;
	struct reg_seed_in	 in = { &seeder, NOW, 0 };
	struct seed_result	 res;
	struct reg_counts	 c;
	sqlite3			*db;
	char			 msg[512], t[256];
	static char		 s_emb[] = "emb";
	static char		*ai2_v[] = { s_emb };
	static const struct cfg_list ai2 = { ai2_v, 1 };

	if ((db = db_open(":memory:")) == NULL) {
		ok(0, "seed: open");
		return;
	}
	memset(&s, 0, sizeof(s));
	s.always_active = &aa;
	s.always_inactive = &ai;
	s.default_model = "chat-a";

	/* Nothing staged: refused, and the result says nothing changed. */
	memset(&res, 0x55, sizeof(res));
	is_int(reg_seed_apply(db, &s, &in, &res, msg, sizeof(msg)),
	    REG_CONFLICT, "seed: an empty catalog is refused");
	ok(res.added == 0 && res.listed == 0 && res.default_id[0] == '\0',
	    "seed: a refusal zeroes the result");

	stage_four(db, "Chat C");
	is_int(reg_seed_apply(db, &s, &in, &res, msg, sizeof(msg)), REG_OK,
	    "seed: first seed");
	is_int(res.listed, 4, "seed: listed counts the staged models");
	is_int(res.added, 4, "seed: every staged model added");
	is_int(res.updated, 0, "seed: nothing updated on the first seed");
	is_int(res.activated + res.deactivated, 0,
	    "seed: new models get their status, not counted as changes");
	is_int(res.default_set, 1, "seed: default_model applied");
	is_str(res.default_id, "chat-a", "seed: the result names the new default");
	is_str(res.warnings, "", "seed: no warnings");
	is_str(msg, "4 models listed: 4 added, 0 updated, 0 activated, "
	    "0 deactivated; chat-a is the default", "seed: the message");
	is_int(reg_counts(db, &c), REG_OK, "seed: counts");
	ok(c.models == 4 && c.active == 2, "seed: always_active by id and by "
	    "alias made 2 active (%lld of %lld)", (long long)c.active,
	    (long long)c.models);
	is_str(c.default_id, "chat-a", "seed: counts agree on the default");
	is_int(c.seeded_at, NOW, "seed: seeded_at is in->now");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action = 'default'"
	    " AND model = 'chat-a' AND old IS NULL AND new = 'chat-a'"), 1,
	    "seed: the default's audit row, by reg_default_make");

	/* A second seed: a renamed model, and a list that changes a status. */
	stage_four(db, "Chat C renamed");
	ai2_v[0] = s_emb;
	s.always_inactive = &ai2;
	s.always_active = &(const struct cfg_list){ (char *[]){ s_a, s_c }, 2 };
	is_int(reg_seed_apply(db, &s, &in, &res, msg, sizeof(msg)), REG_OK,
	    "reseed");
	ok(res.listed == 4 && res.added == 0 && res.updated == 1,
	    "reseed: 1 updated (added %d, updated %d)", res.added, res.updated);
	ok(res.activated == 1 && res.deactivated == 0,
	    "reseed: always_active activated chat-c (activated %d, "
	    "deactivated %d)", res.activated, res.deactivated);
	ok(res.default_set == 0 && res.default_id[0] == '\0',
	    "reseed: a default exists, so default_model is not applied");
	is_str(qtext(db, "SELECT status FROM models WHERE id = 'chat-c'", t,
	    sizeof(t)), "active", "reseed: chat-c is active");

	/* default_model naming an embedding model is a warning, not a default. */
	sqlite3_close(db);
	if ((db = db_open(":memory:")) == NULL)
		return;
	memset(&s, 0, sizeof(s));
	s.default_model = "emb";
	stage_four(db, "Chat C");
	is_int(reg_seed_apply(db, &s, &in, &res, msg, sizeof(msg)), REG_OK,
	    "seed: default_model emb");
	ok(res.default_set == 0 && res.default_id[0] == '\0',
	    "seed: an embedding model is not made the default");
	is_str(res.warnings, "default_model: emb is an embedding model; the "
	    "default must be a chat model", "seed: the rule's own words");
	is_int(qint(db, "SELECT count(*) FROM models WHERE is_default = 1"), 0,
	    "seed: no default");

	/* No settings: every new model inactive, nothing else. */
	sqlite3_close(db);
	if ((db = db_open(":memory:")) == NULL)
		return;
	stage_four(db, "Chat C");
	is_int(reg_seed_apply(db, NULL, &in, &res, msg, sizeof(msg)), REG_OK,
	    "seed: no settings");
	ok(res.added == 4 && res.default_set == 0,
	    "seed: no settings: 4 added, no default");
	is_int(qint(db, "SELECT count(*) FROM models WHERE status = 'active'"),
	    0, "seed: no settings: all inactive");
	sqlite3_close(db);
}

/*
 * A first load of 1000 models or more drops the sort indexes and builds
 * them after its rows (db_import.c): the schema is the same afterwards,
 * the rows are found by them, and a later seed that adds a few keeps them.
 */
static void
test_seed_bulk(void)
{
	struct reg_settings	 s;
	struct reg_seed_in	 in = { &seeder, NOW, 0 };
	struct seed_result	 res;
	sqlite3			*db;
	char			 before[8192], after[8192], id[32], msg[512];
	const char		*idx = "SELECT group_concat(sql, ';') FROM"
	    " (SELECT sql FROM sqlite_schema WHERE type = 'index'"
	    " AND tbl_name = 'models' AND sql IS NOT NULL ORDER BY name)";
	int			 i;

	if ((db = db_open(":memory:")) == NULL) {
		ok(0, "bulk: open");
		return;
	}
	memset(&s, 0, sizeof(s));
	qtext(db, idx, before, sizeof(before));
	ok(strstr(before, "models_sort_name") != NULL, "bulk: sort indexes to"
	    " begin with");
	stage_reset(db);
	raw(db, "BEGIN");
	for (i = 0; i < 1500; i++) {
		snprintf(id, sizeof(id), "bulk-%04d", i);
		stage(db, id, id, "[]", "chat", 0);
	}
	raw(db, "COMMIT");
	is_int(reg_seed_apply(db, &s, &in, &res, msg, sizeof(msg)), REG_OK,
	    "bulk: seeded");
	is_int(res.added, 1500, "bulk: every model added");
	qtext(db, idx, after, sizeof(after));
	is_str(after, before, "bulk: the same indexes afterwards");
	is_int(qint(db, "SELECT count(*) FROM models INDEXED BY"
	    " models_sort_name WHERE name >= 'bulk-1000' COLLATE NOCASE"), 500,
	    "bulk: the rows are in the rebuilt indexes");
	stage(db, "bulk-new", "bulk-new", "[]", "chat", 0);
	is_int(reg_seed_apply(db, &s, &in, &res, msg, sizeof(msg)), REG_OK,
	    "bulk: a later seed");
	is_int(res.added, 1, "bulk: one added");
	qtext(db, idx, after, sizeof(after));
	is_str(after, before, "bulk: the indexes kept by a seed that adds few");
	is_int(qint(db, "SELECT count(*) FROM models INDEXED BY"
	    " models_sort_name WHERE name >= 'bulk-1000' COLLATE NOCASE"), 501,
	    "bulk: ... and kept up to date");
	db_close(db);
}

static int
count_model(const struct model *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

/* The first model of a LIST in the order of q, into first. */
static int
first_model(const struct model *m, void *arg)
{
	snprintf(arg, 64, "%s", m->id);
	return 1;
}

/*
 * Issue 8, import speed: a first load that defers (the import worker's
 * seed) commits without its sort indexes and its search index, says so
 * in the state table, and answers searches by reading the rows until
 * reg_seed_finish builds both in a transaction of its own; afterwards the
 * schema, the search index and the answers are those of a seed that did
 * not defer. A second reg_seed_finish, and one on a registry that owes
 * nothing, change nothing.
 */
static void
test_seed_deferred(void)
{
	struct reg_settings	 s;
	struct reg_seed_in	 in = { &seeder, NOW, 1 };
	struct list_query	 q;
	struct seed_result	 res;
	sqlite3			*db;
	char			 before[8192], after[8192], id[32], msg[512];
	char			 first[64], t[64];
	const char		*idx = "SELECT group_concat(sql, ';') FROM"
	    " (SELECT sql FROM sqlite_schema WHERE type = 'index'"
	    " AND tbl_name = 'models' AND sql IS NOT NULL ORDER BY name)";
	int			 i, n, changes;

	if ((db = db_open(":memory:")) == NULL) {
		ok(0, "deferred: open");
		return;
	}
	memset(&s, 0, sizeof(s));
	qtext(db, idx, before, sizeof(before));
	is_int(reg_seed_owed(), 0, "deferred: nothing owed to begin with");
	stage_reset(db);
	raw(db, "BEGIN");
	for (i = 0; i < 1500; i++) {
		snprintf(id, sizeof(id), "defer-%04d", 1499 - i);
		stage(db, id, id, "[]", "chat", i == 7 ? NOW + 86400 : 0);
	}
	raw(db, "COMMIT");
	is_int(reg_seed_apply(db, &s, &in, &res, msg, sizeof(msg)), REG_OK,
	    "deferred: seeded");
	is_int(res.added, 1500, "deferred: every model added");
	ok(sqlite3_get_autocommit(db), "deferred: the seed committed");
	is_int(reg_seed_owed(), 1, "deferred: the seed says it left work");
	is_int(reg_seed_owed(), 0, "deferred: ... once");
	is_int(qint(db, "SELECT count(*) FROM sqlite_schema WHERE type ="
	    " 'index' AND name = 'models_sort_name'"), 0,
	    "deferred: the sort indexes are not built yet");
	is_int(qint(db, "SELECT count(*) FROM sqlite_schema WHERE type ="
	    " 'index' AND name = 'models_expires'"), 1,
	    "deferred: the partial index (the expiry check's) is");
	is_int(qint(db, "SELECT count(*) FROM models INDEXED BY models_expires"
	    " WHERE expires_at IS NOT NULL"), 1,
	    "deferred: ... and finds the model that expires");
	is_int(qint(db, "SELECT count(*) FROM state WHERE key LIKE"
	    " 'import_pending_%'"), 1, "deferred: the state says what is left");
	is_int(qint(db, "SELECT count(*) FROM model_fts WHERE model_fts MATCH"
	    " '\"fer\"'"), 0, "deferred: the search index lacks the new rows");
	is_int(qint(db, "SELECT count(*) FROM model_fts_dirty WHERE NOT"
	    " indexed"), 1500, "deferred: its keys wait, not in the index");
	memset(&q, 0, sizeof(q));
	q.search = "fer-0123";
	n = 0;
	ok(reg_list(db, &q, count_model, &n) == REG_OK && n == 1,
	    "deferred: a search finds a new model meanwhile (%d)", n);
	memset(&q, 0, sizeof(q));
	q.sort = SORT_NAME;
	q.desc = 1;
	first[0] = '\0';
	ok(reg_list(db, &q, first_model, first) == REG_OK &&
	    strcmp(first, "defer-1499") == 0,
	    "deferred: a sort is right without its index (%s)", first);

	is_int(reg_seed_finish(db, msg, sizeof(msg)), REG_OK,
	    "deferred: finished");
	ok(sqlite3_get_autocommit(db), "deferred: in a transaction of its own");
	qtext(db, idx, after, sizeof(after));
	is_str(after, before, "deferred: the same indexes afterwards");
	is_int(qint(db, "SELECT count(*) FROM state WHERE key LIKE"
	    " 'import_pending_%'"), 0, "deferred: nothing is left");
	is_int(qint(db, "SELECT count(*) FROM model_fts_dirty"), 0,
	    "deferred: no key waits any more");
	is_int(qint(db, "SELECT count(*) FROM model_fts WHERE model_fts MATCH"
	    " '\"fer\"'"), 1500, "deferred: every new row is in the search index");
	ok(raw(db, "INSERT INTO model_fts(model_fts) VALUES"
	    " ('integrity-check')") == SQLITE_OK,
	    "deferred: the search index is consistent");
	is_str(qtext(db, "PRAGMA integrity_check", t, sizeof(t)), "ok",
	    "deferred: every index agrees with the table");
	memset(&q, 0, sizeof(q));
	q.search = "fer-0123";
	n = 0;
	ok(reg_list(db, &q, count_model, &n) == REG_OK && n == 1,
	    "deferred: the search through the index finds it (%d)", n);
	changes = sqlite3_total_changes(db);
	is_int(reg_seed_finish(db, msg, sizeof(msg)), REG_OK,
	    "deferred: finishing again");
	is_int(sqlite3_total_changes(db) - changes, 0,
	    "deferred: ... writes nothing");
	db_close(db);
}

static void
test_status(void)
{
	struct reg_model_in	 in = { .model = "b-alias", .actor = &alice, .now = NOW };
	struct reg_status_out	 out;
	sqlite3			*db;
	char			 msg[512];

	if ((db = seeded()) == NULL) {
		ok(0, "status: open");
		return;
	}
	is_int(reg_deactivate(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "deactivate by alias");
	is_str(out.id, "chat-b", "deactivate: out.id is the resolved id");
	ok(out.was_active == 1 && out.active == 0,
	    "deactivate: the previous and the new status");
	is_str(msg, "chat-b is now inactive", "deactivate: the message");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action ="
	    " 'deactivate' AND model = 'chat-b' AND old = 'active'"
	    " AND new = 'inactive' AND actor = 'alice' AND uid = 1000"
	    " AND at = 1750000000"), 1, "deactivate: the audit row, at in->now");
	is_int(qint(db, "SELECT count(*) FROM events WHERE kind ="
	    " 'model.deactivated' AND model = 'chat-b'"), 1,
	    "deactivate: the event, in the same transaction");

	memset(&out, 0x55, sizeof(out));
	is_int(reg_deactivate(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "deactivate twice: conflict");
	ok(out.id[0] == '\0' && out.was_active == 0,
	    "deactivate twice: the result is zeroed");

	is_int(reg_activate(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "activate by alias");
	ok(strcmp(out.id, "chat-b") == 0 && out.was_active == 0 &&
	    out.active == 1, "activate: id, previous and new status");

	in.model = "chat-a";
	is_int(reg_deactivate(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "deactivate the default: conflict");
	is_str(msg, "chat-a is the default: set another default first",
	    "deactivate the default: why");
	in.model = "nope";
	is_int(reg_activate(db, &in, &out, msg, sizeof(msg)), REG_NOTFOUND,
	    "activate an unknown model: notfound");
	sqlite3_close(db);
}

static void
test_default(void)
{
	struct reg_model_in	 in = { .model = "b-alias", .actor = &alice, .now = NOW };
	struct reg_default_out	 out;
	struct reg_status_out	 st;
	sqlite3			*db;
	char			 msg[512], t[256];

	if ((db = seeded()) == NULL) {
		ok(0, "default: open");
		return;
	}
	is_int(reg_set_default(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "default by alias");
	is_str(out.id, "chat-b", "default: out.id is the new default");
	is_str(out.previous, "chat-a", "default: out.previous is the old one");
	is_str(msg, "chat-b is now the default (was chat-a)",
	    "default: the message");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action = 'default'"
	    " AND model = 'chat-b' AND old = 'chat-a' AND new = 'chat-b'"), 1,
	    "default: one audit row");
	is_str(qtext(db, "SELECT json_extract(details, '$.old') FROM events"
	    " WHERE kind = 'default.changed' ORDER BY id DESC", t, sizeof(t)),
	    "chat-a", "default: default.changed names the old default");

	memset(&out, 0x55, sizeof(out));
	is_int(reg_set_default(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "default twice: conflict");
	ok(out.id[0] == '\0' && out.previous[0] == '\0',
	    "default twice: the result is zeroed");

	/* Refused by the one rule: inactive, then not a chat model. */
	in.model = "chat-c";
	is_int(reg_set_default(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "default: an inactive model is refused");
	is_str(msg, "chat-c is inactive: activate it first",
	    "default: inactive: why");
	in.model = "emb";
	is_int(reg_activate(db, &in, &st, msg, sizeof(msg)), REG_OK,
	    "activate emb");
	is_int(reg_set_default(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "default: an embedding model is refused");
	is_str(msg, "emb is an embedding model; the default must be a chat "
	    "model", "default: embedding: why");
	is_str(qtext(db, "SELECT id FROM models WHERE is_default = 1", t,
	    sizeof(t)), "chat-b", "default: refusals leave the default");

	/* An expired model cannot be the default: the rule looks at in->now. */
	raw(db, "UPDATE models SET expires_at = 1749000000 WHERE id = 'chat-a'");
	in.model = "chat-a";
	is_int(reg_set_default(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "default: an expired model is refused");
	in.now = 1748000000;
	is_int(reg_set_default(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "default: the same model before it expires");
	ok(strcmp(out.id, "chat-a") == 0 && strcmp(out.previous, "chat-b") == 0,
	    "default: back to chat-a, previous chat-b");
	sqlite3_close(db);
}

static void
test_delete(void)
{
	struct reg_model_in	 in = { .model = "chat-c", .actor = &alice, .now = NOW };
	struct reg_delete_out	 out;
	sqlite3			*db;
	char			 msg[512];

	if ((db = seeded()) == NULL) {
		ok(0, "delete: open");
		return;
	}
	is_int(reg_delete(db, &in, &out, msg, sizeof(msg)), REG_OK, "delete");
	is_str(out.id, "chat-c", "delete: out.id");
	is_int(qint(db, "SELECT count(*) FROM models WHERE id = 'chat-c'"), 0,
	    "delete: gone");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action = 'delete'"
	    " AND model = 'chat-c' AND json_extract(old, '$.name') ="
	    " 'Chat C'"), 1, "delete: the whole row in the audit log");
	in.model = "chat-a";
	memset(&out, 0x55, sizeof(out));
	is_int(reg_delete(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "delete the default: conflict");
	is_str(out.id, "", "delete refused: the result is zeroed");
	in.model = "chat-c";
	is_int(reg_delete(db, &in, &out, msg, sizeof(msg)), REG_NOTFOUND,
	    "delete twice: notfound");
	sqlite3_close(db);
}

/* reg_default_make, the one function that sets the mark, and reassignment through it. */
static void
test_default_make(void)
{
	struct reg_reassign	 ra;
	sqlite3			*db;
	char			 prev[256], why[300], t[256];

	if ((db = seeded()) == NULL) {
		ok(0, "make: open");
		return;
	}
	db_begin(db);
	is_int(reg_default_make(db, "chat-c", NOW, &alice, prev, sizeof(prev),
	    why, sizeof(why)), 1, "make: an inactive model is refused");
	is_str(why, "chat-c is inactive: activate it first", "make: why");
	is_int(reg_default_make(db, "nope", NOW, &alice, prev, sizeof(prev),
	    why, sizeof(why)), 1, "make: an unknown id is refused");
	is_int(reg_default_make(db, "chat-b", NOW, &alice, prev, sizeof(prev),
	    why, sizeof(why)), 0, "make: chat-b");
	is_str(prev, "chat-a", "make: prev is the old default");
	is_str(qtext(db, "SELECT id FROM models WHERE is_default = 1", t,
	    sizeof(t)), "chat-b", "make: the mark moved");
	db_rollback(db);
	is_str(qtext(db, "SELECT id FROM models WHERE is_default = 1", t,
	    sizeof(t)), "chat-a", "make: it joins the caller's transaction");

	/* Reassignment moves the mark through reg_default_make, audited once. */
	db_begin(db);
	is_int(reg_default_reassign(db, NULL, "chat-a", NOW, &alice, "test",
	    "went away", &ra), 0, "reassign");
	ok(ra.found == 1 && strcmp(ra.id, "chat-b") == 0,
	    "reassign: chat-b takes over (found %d, id %s)", ra.found, ra.id);
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action = 'default'"
	    " AND model = 'chat-b' AND old = 'chat-a' AND new = 'chat-b'"), 1,
	    "reassign: one audit row, old -> new");
	db_commit(db);
	sqlite3_close(db);
}

static void
test_expiry(void)
{
	struct reg_settings	 s;
	struct reg_expiry_in	 in = { NOW };
	struct expiry_result	 res;
	sqlite3			*db;
	char			 msg[256];

	if ((db = seeded()) == NULL) {
		ok(0, "expiry: open");
		return;
	}
	memset(&s, 0, sizeof(s));
	s.expiry_warning = 14 * DAY;
	raw(db, "UPDATE models SET expires_at = 1750000000 + 3 * 86400"
	    " WHERE id = 'chat-b'");
	is_int(reg_expiry_check(db, &s, &in, &res, msg, sizeof(msg)), REG_OK,
	    "expiry");
	ok(res.expiring == 1 && res.expired == 0,
	    "expiry: 1 expiring, 0 expired (%d, %d)", res.expiring, res.expired);
	is_int(res.next, NOW + 3 * DAY, "expiry: next is the expiry itself");
	is_str(msg, "1 expiring, 0 expired", "expiry: the message");
	in.now = NOW + 3 * DAY;
	is_int(reg_expiry_check(db, &s, &in, &res, msg, sizeof(msg)), REG_OK,
	    "expiry at the date");
	ok(res.expiring == 0 && res.expired == 1 && res.next == 0,
	    "expiry: now expired, nothing more due (%d, %d, %lld)",
	    res.expiring, res.expired, (long long)res.next);
	is_int(reg_expiry_check(db, &s, &in, &res, msg, sizeof(msg)), REG_OK,
	    "expiry again");
	is_int(res.expiring + res.expired, 0, "expiry: raised once per date");
	/* No warning setting: only expiries count. */
	raw(db, "UPDATE models SET expires_at = 1750000000 + 20 * 86400"
	    " WHERE id = 'chat-a'");
	in.now = NOW;
	is_int(reg_expiry_check(db, NULL, &in, &res, NULL, 0), REG_OK,
	    "expiry without settings");
	ok(res.expiring == 0 && res.next == NOW + 20 * DAY,
	    "expiry without settings: no warning, next is the date");
	sqlite3_close(db);
}

static int
count_audit(const struct db_audit_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int
count_event(const struct db_event *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static void
test_read(void)
{
	struct reg_model_in	 in = { .model = "chat-b", .actor = &alice, .now = NOW };
	struct reg_default_out	 out;
	struct db_audit_query	 aq;
	struct db_event_query	 eq;
	sqlite3			*db;
	char			 msg[256];
	int			 n;

	if ((db = seeded()) == NULL) {
		ok(0, "read: open");
		return;
	}
	reg_set_default(db, &in, &out, msg, sizeof(msg));
	memset(&aq, 0, sizeof(aq));
	aq.limit = 100;
	aq.actor = "alice";
	n = 0;
	is_int(reg_audit_list(db, &aq, count_audit, &n), REG_OK, "audit list");
	is_int(n, 1, "audit list: alice's one change");
	aq.limit = 0;
	is_int(reg_audit_list(db, &aq, count_audit, &n), REG_USAGE,
	    "audit list: limit 0 is a usage error");
	memset(&eq, 0, sizeof(eq));
	eq.limit = 100;
	eq.kind = "default.changed";
	n = 0;
	is_int(reg_events_list(db, &eq, count_event, &n), REG_OK, "events list");
	is_int(n, 1, "events list: one default.changed");
	eq.limit = -1;
	is_int(reg_events_list(db, &eq, count_event, &n), REG_USAGE,
	    "events list: a negative limit is a usage error");
	sqlite3_close(db);
}

int
main(void)
{
	log_init(getenv("TEST_VERBOSE") != NULL ? 7 : 2);
	tap_run(test_seed());
	tap_run(test_seed_bulk());
	tap_run(test_seed_deferred());
	tap_run(test_status());
	tap_run(test_default());
	tap_run(test_delete());
	tap_run(test_default_make());
	tap_run(test_expiry());
	tap_run(test_read());
	return done_testing();
}
