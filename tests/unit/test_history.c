/* test_history.c: unit tests of issue 11 item 5 on SQLite: migration 7 -> 8 keeps the history and its foreign key, 8 -> 9 adds an import's exports, and UNDO's rule: a batch reversed, refused after a change (and after a change reversed), undone once, the undo undone, a deleted model put back whole; an import's row and its undo by the exports it keeps. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "daemon.h"
#include "db.h"
#include "db_int.h"
#include "log.h"
#include "export.h"
#include "reg_export.h"
#include "reg_history.h"
#include "reg_tags.h"
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
test_migration(void)
{
	char		 path[] = "/tmp/test_history_db.XXXXXX", t[64];
	sqlite3		*db;
	int		 fd;

	if ((fd = mkstemp(path)) == -1) {
		ok(0, "migration: temp file");
		return;
	}
	close(fd);
	unlink(path);
	ok(sqlite3_open(path, &db) == SQLITE_OK, "migration: a raw connection");
	raw(db, "PRAGMA foreign_keys = ON");
	ok(db_migrate_to(db, path, 7) == 0, "migration: schema version 7");
	is_int(raw(db, "INSERT INTO audit(at, actor, action, model, field)"
	    " VALUES (100, 'bob', 'activate', 'a', 'status');"
	    "INSERT INTO batches(id, at, uid, user, action, selection, changed)"
	    " VALUES (3, 100, 1, 'bob', 'activate', 'tag=x', 1);"
	    "INSERT INTO batch_models VALUES (3, 'a', 'inactive', 'active');"
	    "INSERT INTO audit(at, actor, action, model, field)"
	    " VALUES (200, 'carol', 'deactivate', 'a', 'status')"), SQLITE_OK,
	    "migration: a v7 history row");
	sqlite3_close(db);
	db = db_open(path);
	ok(db != NULL, "migration: db_open migrates to 10");
	if (db == NULL) {
		unlink(path);
		return;
	}
	is_int(db_schema_version(db), 11, "migration: at 11");
	ok(qint(db, "SELECT count(*) FROM batches WHERE id = 3 AND user = 'bob'"
	    " AND selection = 'tag=x' AND undone_by IS NULL") == 1 &&
	    qint(db, "SELECT count(*) FROM batch_models WHERE batch = 3 AND"
	    " model = 'a' AND after = 'active'") == 1,
	    "migration: the rows are kept");
	is_int(qint(db, "SELECT audit_to FROM batches WHERE id = 3"), 1,
	    "migration: audit_to is the last audit row of its second");
	is_str(qtext(db, "SELECT \"table\" FROM pragma_foreign_key_list("
	    "'batch_models')", t, sizeof(t)), "batches",
	    "migration: batch_models refers to the new batches");
	ok(raw(db, "INSERT INTO batches(at, user, action, selection, changed)"
	    " VALUES (1, 'x', 'undo', '', 0)") == SQLITE_CONSTRAINT,
	    "migration: an undo row needs undo_of");
	ok(raw(db, "INSERT INTO batches(at, user, action, selection, changed,"
	    " undo_of) VALUES (1, 'x', 'undo', '', 0, 3)") == SQLITE_OK &&
	    raw(db, "INSERT INTO batches(at, user, action, selection, changed)"
	    " VALUES (1, 'x', 'import', '', 0)") == SQLITE_OK,
	    "migration: 'undo' and 'import' rows are allowed");
	is_int(qint(db, "SELECT max(id) FROM batches"), 5,
	    "migration: ids go on after the old ones (AUTOINCREMENT kept)");
	ok(raw(db, "DELETE FROM batches WHERE id = 3") == SQLITE_CONSTRAINT,
	    "migration: a row an undo names is not deleted under it");
	raw(db, "DELETE FROM batches WHERE id = 4; DELETE FROM batches WHERE id = 3");
	is_int(qint(db, "SELECT count(*) FROM batch_models"), 0,
	    "migration: the cascade still works");
	db_close(db);
	unlink(path);
}

/* 8 -> 9: an import's exports in a table of their own, what it changed in batch_models.fields. */
static void
test_migration9(void)
{
	char		 path[] = "/tmp/test_history_db9.XXXXXX";
	sqlite3		*db;
	int		 fd;

	if ((fd = mkstemp(path)) == -1) {
		ok(0, "migration 9: temp file");
		return;
	}
	close(fd);
	unlink(path);
	ok(sqlite3_open(path, &db) == SQLITE_OK, "migration 9: a raw connection");
	raw(db, "PRAGMA foreign_keys = ON");
	ok(db_migrate_to(db, path, 8) == 0, "migration 9: schema version 8");
	is_int(raw(db, "INSERT INTO batches(id, at, uid, user, action, selection,"
	    " changed, audit_to) VALUES (4, 100, 1, 'bob', 'deactivate', 'x', 1, 0);"
	    "INSERT INTO batch_models(batch, model, before, after)"
	    " VALUES (4, 'a', 'active', 'inactive')"), SQLITE_OK,
	    "migration 9: a v8 history row");
	sqlite3_close(db);
	db = db_open(path);
	ok(db != NULL, "migration 9: db_open migrates to the last");
	if (db == NULL) {
		unlink(path);
		return;
	}
	is_int(db_schema_version(db), 11, "migration 9: at the last, 11");
	ok(qint(db, "SELECT count(*) FROM batch_models WHERE batch = 4 AND"
	    " model = 'a' AND after = 'inactive' AND fields IS NULL") == 1,
	    "migration 9: the rows are kept, fields NULL (a batch's row)");
	ok(raw(db, "INSERT INTO batch_exports VALUES (4, 'x', 'y')") ==
	    SQLITE_OK && raw(db, "INSERT INTO batch_exports VALUES (5, 'x',"
	    " 'y')") == SQLITE_CONSTRAINT,
	    "migration 9: exports belong to a history row");
	raw(db, "DELETE FROM batches WHERE id = 4");
	is_int(qint(db, "SELECT count(*) FROM batch_exports"), 0,
	    "migration 9: they go with it");
	db_close(db);
	unlink(path);
}

static void
add_model(sqlite3 *db, const char *id, const char *status)
{
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO models(id, name, provider, aliases,"
	    " status, status_source, added_at, status_changed_at, kind,"
	    " prompt_price) VALUES ('%s', '%s', 'p', '[\"%s-alias\"]', '%s',"
	    " 'seed', 1, 1, 'chat', 0.0000025)", id, id, id, status);
	if (raw(db, sql) != SQLITE_OK)
		printf("# add %s: %s\n", id, sqlite3_errmsg(db));
}

static sqlite3 *
fixture(void)
{
	sqlite3	*db;

	if ((db = db_open(":memory:")) == NULL)
		return NULL;
	add_model(db, "a", "active");
	add_model(db, "b", "active");
	add_model(db, "c", "inactive");
	raw(db, "UPDATE models SET is_default = 1 WHERE id = 'a'");
	return db;
}

static int64_t
batch(sqlite3 *db, enum reg_batch_action act, const char *const *models, int n)
{
	struct reg_batch_in	 in;
	struct reg_batch_out	 out;
	char			 msg[512];

	memset(&in, 0, sizeof(in));
	in.action = act;
	in.models = models;
	in.nmodels = n;
	in.selection = "models";
	in.actor = &alice;
	in.now = NOW;
	if (reg_batch(db, &in, &out, msg, sizeof(msg)) != REG_OK || !out.applied)
		printf("# batch: %s\n", msg);
	reg_items_free(&out.items);
	return out.batch;
}

static enum reg_rc
undo(sqlite3 *db, int64_t id, int dry, struct reg_undo_out *out, char *msg,
    size_t len)
{
	struct reg_undo_in	 in;

	memset(&in, 0, sizeof(in));
	in.id = id;
	in.dry_run = dry;
	in.actor = &alice;
	in.now = NOW + 10;
	return reg_undo(db, &in, out, msg, len);
}

static void
test_undo(void)
{
	struct reg_undo_out	 out;
	sqlite3			*db = fixture();
	char			 msg[512];
	int64_t			 b1, u1;

	ok(db != NULL, "undo: open");
	if (db == NULL)
		return;
	b1 = batch(db, BATCH_DEACTIVATE, (const char *const[]){ "b" }, 1);
	ok(b1 > 0, "undo: a batch deactivates b");
	is_int(undo(db, b1, 1, &out, msg, sizeof(msg)), REG_OK, "undo: dry run");
	ok(out.changed == 1 && !out.applied && qint(db, "SELECT count(*) FROM"
	    " models WHERE id = 'b' AND status = 'inactive'") == 1 &&
	    qint(db, "SELECT count(*) FROM batches") == 1,
	    "undo: a dry run counts and changes nothing (%s)", msg);
	reg_items_free(&out.items);
	is_int(undo(db, b1, 0, &out, msg, sizeof(msg)), REG_OK, "undo: the batch");
	u1 = out.batch;
	ok(out.applied && u1 > b1 && qint(db, "SELECT count(*) FROM models"
	    " WHERE id = 'b' AND status = 'active'") == 1,
	    "undo: b is active again (%s)", msg);
	reg_items_free(&out.items);
	ok(qint(db, "SELECT undone_by FROM batches WHERE id = 1") == u1 &&
	    qint(db, "SELECT undo_of FROM batches WHERE action = 'undo'") == b1,
	    "undo: the rows point at each other");
	is_int(qint(db, "SELECT count(*) FROM events WHERE kind = 'batch.undone'"),
	    1, "undo: one batch.undone event");
	is_int(undo(db, b1, 0, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "undo: not twice");
	ok(strstr(msg, "already undone") != NULL, "undo: and says so: %s", msg);
	is_int(undo(db, u1, 0, &out, msg, sizeof(msg)), REG_OK, "undo: the undo");
	ok(out.applied && qint(db, "SELECT count(*) FROM models WHERE id = 'b'"
	    " AND status = 'inactive'") == 1, "undo: b is inactive again");
	reg_items_free(&out.items);

	/* A change since, and one reversed: both refuse, naming b. */
	b1 = batch(db, BATCH_ACTIVATE, (const char *const[]){ "b", "c" }, 2);
	raw(db, "UPDATE models SET status = 'inactive' WHERE id = 'c'");
	is_int(undo(db, b1, 0, &out, msg, sizeof(msg)), REG_OK,
	    "undo: after a change, answered");
	ok(!out.applied && out.refused == 1 && out.items.n == 2 &&
	    out.items.v[1].outcome == OUT_REFUSED &&
	    strstr(out.items.v[1].reason, "c is inactive now") != NULL,
	    "undo: refused, naming c and how (%s)", out.items.n == 2 &&
	    out.items.v[1].reason ? out.items.v[1].reason : "");
	reg_items_free(&out.items);
	is_int(qint(db, "SELECT count(*) FROM models WHERE status = 'active'"),
	    2, "undo: and nothing changed");
	raw(db, "UPDATE models SET status = 'active' WHERE id = 'c';"
	    "INSERT INTO audit(at, actor, action, model, field, old, new)"
	    " VALUES (1, 'bob', 'activate', 'c', 'status', 'inactive', 'active')");
	is_int(undo(db, b1, 0, &out, msg, sizeof(msg)), REG_OK,
	    "undo: after a change reversed, answered");
	ok(!out.applied && out.refused == 1, "undo: still refused (the audit "
	    "row): %s", out.items.n == 2 && out.items.v[1].reason ?
	    out.items.v[1].reason : "");
	reg_items_free(&out.items);
	db_close(db);
}

static void
test_restore(void)
{
	struct reg_undo_out	 out;
	sqlite3			*db = fixture();
	char			 msg[512], t[256];
	int64_t			 b1, gen;

	ok(db != NULL, "restore: open");
	if (db == NULL)
		return;
	raw(db, "INSERT INTO model_tags VALUES ('c', 'x'), ('c', 'y');"
	    "INSERT INTO collections(name, created_at, created_by, updated_at)"
	    " VALUES ('k', 1, 'alice', 1), ('gone', 1, 'alice', 1);"
	    "INSERT INTO collection_models SELECT id, 'c', 1 FROM collections;"
	    "INSERT INTO model_settings(model, label, temperature, updated_at)"
	    " VALUES ('c', 'See', 0.7, 1);"
	    "INSERT INTO model_org_aliases VALUES ('sea', 'c', 1)");
	gen = qint(db, "SELECT gen FROM model_ids WHERE id = 'c'");
	b1 = batch(db, BATCH_DELETE, (const char *const[]){ "c" }, 1);
	ok(b1 > 0 && qint(db, "SELECT count(*) FROM models WHERE id = 'c'") == 0,
	    "restore: c deleted by a batch");
	ok(qint(db, "SELECT json_valid(saved) FROM batch_models WHERE batch = 1")
	    == 1, "restore: its row was saved");
	raw(db, "DELETE FROM collections WHERE name = 'gone'");
	is_int(undo(db, b1, 0, &out, msg, sizeof(msg)), REG_OK, "restore: undo");
	ok(out.applied, "restore: applied (%s)", msg);
	reg_items_free(&out.items);
	is_str(qtext(db, "SELECT status || ' ' || aliases || ' ' || prompt_price"
	    " || ' ' || added_at FROM models WHERE id = 'c'", t, sizeof(t)),
	    "inactive [\"c-alias\"] 2.5e-06 1", "restore: the row as it was");
	is_str(qtext(db, "SELECT group_concat(tag) FROM model_tags WHERE"
	    " model = 'c'", t, sizeof(t)), "x,y", "restore: its tags");
	is_str(qtext(db, "SELECT label || ' ' || temperature FROM model_settings"
	    " WHERE model = 'c'", t, sizeof(t)), "See 0.7", "restore: its settings");
	is_str(qtext(db, "SELECT model FROM model_org_aliases WHERE alias = 'sea'",
	    t, sizeof(t)), "c", "restore: its organisation alias");
	is_int(qint(db, "SELECT count(*) FROM collection_models WHERE model = 'c'"),
	    1, "restore: the membership of the collection that still exists");
	is_int(qint(db, "SELECT gen FROM model_ids WHERE id = 'c' AND deleted_at"
	    " IS NULL"), gen, "restore: the same generation (grants reach it)");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action = 'restore'"),
	    1, "restore: audited");
	/* The undo of the undo deletes it again; then an alias taken refuses. */
	is_int(undo(db, 2, 0, &out, msg, sizeof(msg)), REG_OK, "restore: undo it");
	ok(out.applied && qint(db, "SELECT count(*) FROM models WHERE id = 'c'")
	    == 0, "restore: c deleted again (%s)", msg);
	reg_items_free(&out.items);
	raw(db, "INSERT INTO model_org_aliases VALUES ('sea', 'b', 1)");
	is_int(undo(db, 3, 0, &out, msg, sizeof(msg)), REG_OK,
	    "restore: with its alias taken, answered");
	ok(!out.applied && out.refused == 1 && out.items.n == 1 &&
	    strstr(out.items.v[0].reason, "alias sea names b") != NULL,
	    "restore: refused, naming the alias (%s)", out.items.n == 1 &&
	    out.items.v[0].reason ? out.items.v[0].reason : "");
	reg_items_free(&out.items);
	db_close(db);
}

/* The registry's export as text (malloc'd), or NULL. */
static char *
export_now(sqlite3 *db)
{
	struct buf	 b = { 0 };
	char		 msg[256];

	if (reg_export(db, &b, msg, sizeof(msg)) != REG_OK) {
		printf("# export: %s\n", msg);
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/* Issue 11 item 5: an import is a history row, and its undo puts the whole export back. */
static void
test_import_undo(void)
{
	struct export_doc	 doc;
	struct export_model	*m;
	struct reg_import_in	 in;
	struct reg_import_out	 io;
	struct reg_undo_out	 out;
	sqlite3			*db = fixture();
	char			*e0 = NULL, *e1 = NULL, *e2 = NULL, msg[512], err[256];
	char			 t[256], big[8192];
	const char		*p;
	int64_t			 hid, uid;

	ok(db != NULL, "import undo: open");
	if (db == NULL)
		return;
	raw(db, "INSERT INTO model_tags VALUES ('b', 'x')");
	e0 = export_now(db);
	ok(e0 != NULL && export_parse(e0, strlen(e0), &doc, err,
	    sizeof(err)) == 0, "import undo: the export parses (%s)", err);
	if (e0 == NULL || (m = export_find_model(&doc, "c")) == NULL)
		goto done;
	m->active = 1;
	snprintf(m->source, sizeof(m->source), "manual");
	m->label = strdup("See");
	if ((m = export_find_model(&doc, "b")) != NULL)
		m->ntags = 0;	/* export_free frees by ntags: keep the string */
	memset(&in, 0, sizeof(in));
	in.doc = &doc;
	in.actor = &alice;
	in.now = NOW;
	is_int(reg_import(db, &in, &io, msg, sizeof(msg)), REG_OK,
	    "import undo: the import (%s)", msg);
	ok(io.applied && io.batch > 0, "import undo: applied, with a history "
	    "row");
	hid = io.batch;
	reg_import_free(&io);
	if (m != NULL)
		m->ntags = 1;
	export_free(&doc);
	e1 = export_now(db);
	is_str(qtext(db, "SELECT action || ' ' || changed || ' ' || selection FROM"
	    " batches WHERE id = 1", t, sizeof(t)), "import 3 file",
	    "import undo: the row: its action, changes and selection");
	is_str(qtext(db, "SELECT group_concat(model || ':' || before || '>' ||"
	    " after || ':' || fields, ' ') FROM (SELECT * FROM batch_models"
	    " WHERE batch = 1 ORDER BY model)", t, sizeof(t)),
	    "b:active>active:tags c:inactive>active:status,label",
	    "import undo: a row a model, with what changed on it");
	ok(qint(db, "SELECT count(*) FROM batch_exports WHERE batch = 1") == 1 &&
	    same(qtext(db, "SELECT before FROM batch_exports WHERE batch = 1", big,
	    sizeof(big)), e0) && same(qtext(db, "SELECT after FROM batch_exports"
	    " WHERE batch = 1", big, sizeof(big)), e1),
	    "import undo: the exports before and after are kept");
	ok(qint(db, "SELECT audit_to FROM batches WHERE id = 1") ==
	    qint(db, "SELECT max(id) FROM audit"), "import undo: sealed");

	is_int(undo(db, hid, 1, &out, msg, sizeof(msg)), REG_OK,
	    "import undo: dry run");
	ok(!out.applied && out.changed == 2 && out.refused == 0,
	    "import undo: a dry run counts (%s)", msg);
	reg_items_free(&out.items);
	e2 = export_now(db);
	ok(same(e2, e1) && qint(db, "SELECT count(*) FROM batches") == 1,
	    "import undo: and changes nothing");
	free(e2);

	is_int(undo(db, hid, 0, &out, msg, sizeof(msg)), REG_OK,
	    "import undo: the undo");
	ok(out.applied && out.batch == 2, "import undo: applied (%s)", msg);
	uid = out.batch;
	reg_items_free(&out.items);
	e2 = export_now(db);
	ok(same(e2, e0), "import undo: the export is the one before the import");
	free(e2);
	ok(qint(db, "SELECT count(*) FROM audit WHERE action = 'undo'") >= 3,
	    "import undo: audited (action undo)");
	is_int(qint(db, "SELECT count(*) FROM events WHERE kind ="
	    " 'batch.undone'"), 1, "import undo: one batch.undone event");
	is_int(undo(db, hid, 0, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "import undo: not twice");
	reg_items_free(&out.items);

	is_int(undo(db, uid, 0, &out, msg, sizeof(msg)), REG_OK,
	    "import undo: the undo's undo");
	ok(out.applied, "import undo: applied (%s)", msg);
	reg_items_free(&out.items);
	e2 = export_now(db);
	ok(same(e2, e1), "import undo: the export is the import's again");
	free(e2);

	raw(db, "UPDATE model_settings SET label = 'Sea' WHERE model = 'c'");
	e2 = export_now(db);
	is_int(undo(db, 3, 0, &out, msg, sizeof(msg)), REG_OK,
	    "import undo: after a change since, answered");
	ok(!out.applied && out.refused == 1 && out.items.n == 1 &&
	    same(out.items.v[0].id, "c") && strstr(out.items.v[0].reason,
	    "label is Sea now; the row left it See") != NULL,
	    "import undo: refused, naming the model and the field (%s)",
	    out.items.n == 1 && out.items.v[0].reason ? out.items.v[0].reason :
	    msg);
	reg_items_free(&out.items);
	free(e1);
	e1 = export_now(db);
	ok(same(e1, e2) && qint(db, "SELECT count(*) FROM batches") == 3,
	    "import undo: and nothing changed");
	free(e2);
	e2 = NULL;

	/* What the saved export cannot do again refuses the whole undo. */
	raw(db, "UPDATE model_settings SET label = 'See' WHERE model = 'c'");
	if ((e2 = malloc(strlen(e0) * 2 + 256)) != NULL && (p = strstr(e0,
	    "\"aliases\": []")) != NULL) {
		snprintf(e2, strlen(e0) * 2 + 256, "UPDATE batch_exports SET"
		    " before = '%.*s\"aliases\": [\"b-alias\"]%s' WHERE batch = 3",
		    (int)(p - e0), e0, p + strlen("\"aliases\": []"));
		raw(db, e2);
	}
	is_int(undo(db, 3, 0, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "import undo: an alias the saved export cannot have again");
	ok(strstr(msg, "export saved before batch 3 cannot be applied again: "
	    "model a: the alias b-alias is already") != NULL,
	    "import undo: and says why (%s)", msg);
	reg_items_free(&out.items);
	raw(db, "UPDATE batch_exports SET before = '{' WHERE batch = 3");
	is_int(undo(db, 3, 0, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "import undo: a saved export that does not parse");
	ok(strstr(msg, "saved export does not read back") != NULL,
	    "import undo: says so (%s)", msg);
	reg_items_free(&out.items);
	free(e1);
	e1 = export_now(db);
	ok(same(e1, qtext(db, "SELECT after FROM batch_exports WHERE batch = 3",
	    big, sizeof(big))) && qint(db, "SELECT undone_by IS NULL FROM"
	    " batches WHERE id = 3") == 1, "import undo: neither changed "
	    "anything");
done:
	free(e2);
	free(e0);
	free(e1);
	db_close(db);
}

int
main(void)
{
	log_init(getenv("TEST_VERBOSE") != NULL ? 7 : 2);
	tap_run(test_migration());
	tap_run(test_migration9());
	tap_run(test_undo());
	tap_run(test_restore());
	tap_run(test_import_undo());
	return done_testing();
}
