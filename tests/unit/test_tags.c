/* test_tags.c: unit tests of issue 11's rules on an in-memory database: the tag and collection name rules, TAG's limits, a batch that is all or nothing, --skip-refused and dry runs, and SWITCH moving the default, with a fake now. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
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
test_names(void)
{
	char	 t[4][TAG_MAX + 1], why[300];
	char	 long65[66];

	memset(long65, 'a', 65);
	long65[65] = '\0';
	ok(reg_tag_name_ok("coding") && reg_tag_name_ok("a.b_c-1") &&
	    reg_tag_name_ok("9lives"), "tags: lower-case letters, digits, . _ -");
	ok(!reg_tag_name_ok("") && !reg_tag_name_ok("-a") && !reg_tag_name_ok("A") &&
	    !reg_tag_name_ok("a b") && !reg_tag_name_ok(long65),
	    "tags: not empty, a letter or digit first, no upper case, no space, 64 at most");
	long65[64] = '\0';
	ok(reg_tag_name_ok(long65), "tags: 64 bytes is the limit");
	is_int(reg_tags_parse("Coding,chat,coding", t, 4, why, sizeof(why)), 2,
	    "a list is folded to lower case and duplicates dropped");
	is_str(t[0], "coding", "the first tag folded");
	is_int(reg_tags_parse("a,,b", t, 4, why, sizeof(why)), -1, "an empty tag is refused");
	is_int(reg_tags_parse("a,b,c,d,e", t, 4, why, sizeof(why)), -1,
	    "more tags than the request allows are refused");
	ok(strstr(why, "at most 4") != NULL, "and the limit is named: %s", why);
	is_int(reg_tags_parse("ü", t, 4, why, sizeof(why)), -1, "non-ASCII is refused");
	ok(reg_collection_name_ok("Coding-Models") && !reg_collection_name_ok("a b") &&
	    !reg_collection_name_ok(".x") && !reg_collection_name_ok(""),
	    "collection names: as key names");
}

static void
add_model(sqlite3 *db, const char *id, const char *status, const char *kind)
{
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO models(id, name, provider, aliases,"
	    " status, status_source, added_at, status_changed_at, kind)"
	    " VALUES ('%s', '%s', 'p', '[]', '%s', 'seed', 1, 1, '%s')", id, id,
	    status, kind);
	if (raw(db, sql) != SQLITE_OK)
		printf("# add %s: %s\n", id, sqlite3_errmsg(db));
}

static sqlite3 *
fixture(void)
{
	sqlite3	*db;

	if ((db = db_open(":memory:")) == NULL)
		return NULL;
	add_model(db, "a", "active", "chat");
	add_model(db, "b", "active", "chat");
	add_model(db, "c", "inactive", "chat");
	add_model(db, "e", "inactive", "embedding");
	raw(db, "UPDATE models SET is_default = 1 WHERE id = 'a'");
	return db;
}

static void
test_tag_rule(void)
{
	static char		 add[TAGS_PER_REQUEST][TAG_MAX + 1];
	struct reg_tag_in	 in;
	struct reg_tag_out	 out;
	sqlite3			*db = fixture();
	char			 msg[512], why[300], list[200];
	int			 i;

	ok(db != NULL, "tag rule: open");
	if (db == NULL)
		return;
	memset(&in, 0, sizeof(in));
	in.model = "b";
	in.add = add;
	in.actor = &alice;
	in.now = NOW;
	in.nadd = reg_tags_parse("x,y", add, TAGS_PER_REQUEST, why, sizeof(why));
	is_int(reg_tag(db, &in, &out, msg, sizeof(msg)), REG_OK, "TAG b add=x,y");
	is_str(out.tags, "x,y", "its tags after");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action = 'tag'"), 1,
	    "one audit row");
	list[0] = '\0';
	for (i = 0; i < 31; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%st%02d",
		    i ? "," : "", i);
	in.nadd = reg_tags_parse(list, add, TAGS_PER_REQUEST, why, sizeof(why));
	is_int(in.nadd, 31, "31 tags parsed");
	is_int(reg_tag(db, &in, &out, msg, sizeof(msg)), REG_CONFLICT,
	    "33 tags on one model are refused");
	is_int(qint(db, "SELECT count(*) FROM model_tags WHERE model = 'b'"), 2,
	    "and nothing was added");
	raw(db, "DELETE FROM models WHERE id = 'b'");
	is_int(qint(db, "SELECT count(*) FROM model_tags"), 0,
	    "a deleted model's tags go with it");
	db_close(db);
}

static void
test_batch_rule(void)
{
	struct reg_batch_in	 in;
	struct reg_batch_out	 out;
	struct list_query	 q;
	sqlite3			*db = fixture();
	char			 msg[512];

	ok(db != NULL, "batch rule: open");
	if (db == NULL)
		return;
	memset(&q, 0, sizeof(q));
	q.provider = "p";
	memset(&in, 0, sizeof(in));
	in.action = BATCH_DEACTIVATE;
	in.sel = &q;
	in.selection = "provider=p";
	in.actor = &alice;
	in.now = NOW;
	is_int(reg_batch(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "deactivate every model, the default among them");
	ok(out.selected == 4 && out.changed == 1 && out.unchanged == 2 &&
	    out.refused == 1 && !out.applied, "one refused, one to change, two "
	    "unchanged, nothing applied (%s)", msg);
	is_int(qint(db, "SELECT count(*) FROM models WHERE status = 'active'"), 2,
	    "all or nothing: both still active");
	is_int(qint(db, "SELECT count(*) FROM batches"), 0, "no history row");
	reg_items_free(&out.items);

	in.dry_run = 1;
	in.skip_refused = 1;
	is_int(reg_batch(db, &in, &out, msg, sizeof(msg)), REG_OK, "the same, dry");
	ok(out.skipped == 1 && out.changed == 1 && !out.applied, "skipped 1, "
	    "would change 1");
	is_int(qint(db, "SELECT count(*) FROM models WHERE status = 'active'"), 2,
	    "a dry run changes nothing");
	reg_items_free(&out.items);

	in.dry_run = 0;
	is_int(reg_batch(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "--skip-refused applies the rest");
	ok(out.applied && out.batch > 0 && out.skipped == 1, "applied, in batch %lld",
	    (long long)out.batch);
	is_int(qint(db, "SELECT count(*) FROM models WHERE status = 'active'"), 1,
	    "only the default is left active");
	is_int(qint(db, "SELECT count(*) FROM batch_models WHERE model = 'b' AND"
	    " before = 'active' AND after = 'inactive'"), 1, "b's history row");
	is_int(qint(db, "SELECT count(*) FROM events WHERE kind = 'batch.applied'"), 1,
	    "one batch.applied event");
	reg_items_free(&out.items);

	memset(&in, 0, sizeof(in));
	in.action = BATCH_DELETE;
	in.models = (const char *const[]){ "c", "nosuch" };
	in.nmodels = 2;
	in.actor = &alice;
	is_int(reg_batch(db, &in, &out, msg, sizeof(msg)), REG_NOTFOUND,
	    "an unknown model named refuses the whole batch");
	is_int(qint(db, "SELECT count(*) FROM models"), 4, "and deletes nothing");
	in.nmodels = 1;
	is_int(reg_batch(db, &in, &out, msg, sizeof(msg)), REG_OK, "delete c");
	is_int(qint(db, "SELECT count(*) FROM batch_models WHERE model = 'c' AND"
	    " before = 'inactive' AND after = 'deleted'"), 1,
	    "a deleted model's history row has its status before");
	is_int(qint(db, "SELECT count(*) FROM model_ids WHERE id = 'c' AND"
	    " deleted_by = 'alice' AND deleted_uid = 1000"), 1,
	    "model_ids knows who deleted it");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action = 'delete' AND"
	    " model = 'c' AND json_extract(old, '$.status') = 'inactive'"), 1,
	    "its audit row keeps the whole row, as DELETE's");
	reg_items_free(&out.items);
	db_close(db);
}

static void
test_switch_rule(void)
{
	struct reg_coll_in	 ci;
	struct reg_coll_out	 co;
	struct reg_switch_in	 in;
	struct reg_switch_out	 out;
	sqlite3			*db = fixture();
	char			 msg[512], v[64];

	ok(db != NULL, "switch rule: open");
	if (db == NULL)
		return;
	memset(&ci, 0, sizeof(ci));
	ci.name = "two";
	ci.models = (const char *const[]){ "c", "e" };
	ci.nmodels = 2;
	ci.actor = &alice;
	is_int(reg_collection_create(db, &ci, &co, msg, sizeof(msg)), REG_OK,
	    "create two (c, e)");
	memset(&in, 0, sizeof(in));
	in.name = "two";
	in.actor = &alice;
	in.now = NOW;
	in.dry_run = 1;
	is_int(reg_collection_switch(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "switch, dry");
	ok(out.activated == 2 && out.deactivated == 2 &&
	    strcmp(out.default_id, "c") == 0, "would activate 2, deactivate 2, "
	    "default c (%s)", msg);
	is_str(qtext(db, "SELECT group_concat(id) FROM (SELECT id FROM models"
	    " WHERE status = 'active' ORDER BY id)", v, sizeof(v)), "a,b",
	    "a dry run changes nothing");
	reg_items_free(&out.items);
	in.dry_run = 0;
	is_int(reg_collection_switch(db, &in, &out, msg, sizeof(msg)), REG_OK,
	    "switch");
	is_str(qtext(db, "SELECT group_concat(id) FROM (SELECT id FROM models"
	    " WHERE status = 'active' ORDER BY id)", v, sizeof(v)), "c,e",
	    "exactly the members are active");
	is_str(qtext(db, "SELECT id FROM models WHERE is_default = 1", v,
	    sizeof(v)), "c", "the default moved to the one chat member");
	is_str(out.previous, "a", "the previous default is reported");
	is_int(qint(db, "SELECT count(*) FROM events WHERE kind ="
	    " 'collection.switched'"), 1, "one collection.switched event");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE field = 'status' AND"
	    " at = 1750000000"), 4, "an audit row per model changed");
	reg_items_free(&out.items);
	in.default_model = "a";
	is_int(reg_collection_switch(db, &in, &out, msg, sizeof(msg)),
	    REG_CONFLICT, "a default outside the collection is refused");
	in.default_model = "e";
	is_int(reg_collection_switch(db, &in, &out, msg, sizeof(msg)),
	    REG_CONFLICT, "an embedding model may not be the default");
	is_str(qtext(db, "SELECT id FROM models WHERE is_default = 1", v,
	    sizeof(v)), "c", "and the default stayed");
	db_close(db);
}

int
main(void)
{
	log_init(getenv("TEST_VERBOSE") != NULL ? 7 : 2);
	tap_run(test_names());
	tap_run(test_tag_rule());
	tap_run(test_batch_rule());
	tap_run(test_switch_rule());
	return done_testing();
}
