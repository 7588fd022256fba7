/* test_lookup.c: unit tests of lookups that do not scan: the alias tables, their query plans, the statement cache, the search index. */
#include <sys/types.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "db_catalog.h"
#include "db_int.h"
#include "cursor.h"
#include "log.h"
#include "registry.h"
#include "tap.h"
#include "testplan.h"

/* stderr (the log) goes to a file while a check needs to read it. */
static char	 logpath[] = "/tmp/test_lookup_log.XXXXXX";
static int	 logfd = -1, saved_stderr = -1;

static void
log_capture(void)
{
	fflush(stderr);
	if (logfd == -1 && (logfd = mkstemp(logpath)) == -1)
		return;
	if (ftruncate(logfd, 0) == -1 || lseek(logfd, 0, SEEK_SET) == -1)
		return;
	saved_stderr = dup(2);
	dup2(logfd, 2);
}

/* The log since log_capture(), into out; stderr is restored. */
static const char *
log_release(char *out, size_t len)
{
	ssize_t	 n;

	fflush(stderr);
	if (saved_stderr != -1) {
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
	n = pread(logfd, out, len - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	return out;
}

static int64_t
qint(sqlite3 *db, const char *sql)
{
	int64_t	 v = -1;

	if (db_query_int(db, sql, &v) == -1)
		return -1;
	return v;
}

static int
exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

#define ADD_MODEL(id, aliases) \
	"INSERT INTO models(id, name, status, status_source, added_at," \
	" status_changed_at, aliases) VALUES ('" id "', '" id "', 'inactive'," \
	" 'seed', 1, 1, '" aliases "');"
#define ADD_ENTRY(id, aliases) \
	"INSERT INTO catalog(id, name, first_seen, last_seen, aliases)" \
	" VALUES ('" id "', '" id "', 1, 1, '" aliases "');"

/* The id a name resolves to, or "" (none) or "error". */
static const char *
resolve(sqlite3 *db, const char *name)
{
	static struct db_modelref	 ref;

	switch (db_model_resolve(db, name, &ref)) {
	case 0:
		return ref.id;
	case 1:
		return "";
	default:
		return "error";
	}
}

static const char *
cresolve(sqlite3 *db, const char *name)
{
	static char	 id[256];
	int		 zdr;

	switch (db_catalog_resolve(db, name, id, sizeof(id), &zdr)) {
	case 0:
		return id;
	case 1:
		return "";
	default:
		return "error";
	}
}

static void
test_plans(void)
{
	sqlite3	*db = db_open(":memory:");
	char	 plan[1024];

	ok(db != NULL, "plans: open");
	if (db == NULL)
		return;
	ok(exec(db, ADD_MODEL("a", "[\"x\"]") ADD_ENTRY("c", "[\"y\"]")) == 0,
	    "plans: a model and a catalog entry");
	is_str(resolve(db, "x"), "a", "plans: a resolves");
	is_str(cresolve(db, "y"), "c", "plans: a catalog entry resolves");
	ok(plan_searches_only(db, "SELECT id, status, is_default FROM models"
	    " WHERE id = coalesce", plan, sizeof(plan)) == 1,
	    "resolve is index searches, no scan: %s", plan);
	ok(strstr(plan, "model_aliases") != NULL,
	    "resolve searches model_aliases: %s", plan);
	is_str(resolve(db, "zz"), "", "plans: show needs a model");
	{
		struct model	 m;
		(void)m;
	}
	ok(plan_searches_only(db, "FROM catalog AS c WHERE c.id =", plan,
	    sizeof(plan)) == 1, "catalog resolve is index searches, no scan: %s",
	    plan);
	ok(strstr(plan, "catalog_aliases") != NULL,
	    "catalog resolve searches catalog_aliases: %s", plan);
	db_close(db);
}

static int
count_cb(const struct model *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

static void
test_show_plan(void)
{
	sqlite3	*db = db_open(":memory:");
	char	 plan[1024];
	int	 n = 0;

	ok(db != NULL, "show plan: open");
	if (db == NULL)
		return;
	ok(exec(db, ADD_MODEL("a", "[\"x\"]")) == 0, "show plan: a model");
	ok(db_model_show(db, "x", count_cb, &n) == 0 && n == 1,
	    "show by alias finds the model");
	ok(plan_searches_only(db, "ON ms.model = model_view.id WHERE id = coalesce", plan,
	    sizeof(plan)) == 1, "SHOW is index searches, no scan: %s", plan);
	db_close(db);
}

static void
test_conflicts(void)
{
	sqlite3	*db = db_open(":memory:");
	char	 log[4096];

	ok(db != NULL, "conflicts: open");
	if (db == NULL)
		return;
	log_capture();
	ok(exec(db, ADD_MODEL("m1", "[\"shared\",\"one\"]")
	    ADD_MODEL("m0", "[\"shared\"]")) == 0,
	    "two models list the same alias");
	log_release(log, sizeof(log));
	is_str(resolve(db, "shared"), "m1",
	    "the model that listed the alias first keeps it (not the smaller id)");
	ok(strstr(log, "model m0 lists the alias shared, which m1 already has:"
	    " the alias keeps naming m1") != NULL,
	    "the shadowed claim is logged: %s", log);
	is_int(qint(db, "SELECT count(*) FROM model_aliases WHERE alias ="
	    " 'shared'"), 1, "an alias names one model");
	ok(exec(db, "INSERT INTO model_aliases(alias, model) VALUES ('shared',"
	    " 'm0')") == -1, "the schema refuses a second holder");
	is_str(resolve(db, "one"), "m1", "another alias");

	/* The holder drops the alias: the shadowed claim takes it over. */
	ok(exec(db, "UPDATE models SET aliases = '[\"one\"]' WHERE id = 'm1'")
	    == 0, "the holder drops the alias");
	is_str(resolve(db, "shared"), "m0", "the next claim takes it over");
	is_int(qint(db, "SELECT count(*) FROM model_aliases_shadowed"), 0,
	    "no shadowed claim is left");

	/* Claim it back: m0 keeps it; then delete m0: m1 gets it. */
	log_capture();
	ok(exec(db, "UPDATE models SET aliases = '[\"one\",\"shared\"]'"
	    " WHERE id = 'm1'") == 0, "the old holder lists it again");
	log_release(log, sizeof(log));
	is_str(resolve(db, "shared"), "m0", "... and does not take it back");
	ok(strstr(log, "model m1 lists the alias shared, which m0 already has")
	    != NULL, "... logged");
	ok(exec(db, "DELETE FROM models WHERE id = 'm0'") == 0,
	    "delete the holder");
	is_str(resolve(db, "shared"), "m1", "the shadowed claim is promoted");
	ok(exec(db, "DELETE FROM models WHERE id = 'm1'") == 0,
	    "delete the last claimant");
	is_str(resolve(db, "shared"), "", "the alias names nothing");
	is_int(qint(db, "SELECT count(*) FROM model_aliases"), 0,
	    "its rows went with it");

	/* An outer OR REPLACE does not let the trigger's claim steal an alias. */
	ok(exec(db, ADD_MODEL("h1", "[\"held\"]")
	    "INSERT OR REPLACE INTO models(id, name, status, status_source,"
	    " added_at, status_changed_at, aliases) VALUES ('h0', 'h0',"
	    " 'inactive', 'seed', 1, 1, '[\"held\",\"held\"]');") == 0,
	    "INSERT OR REPLACE of a model listing a held alias twice");
	is_str(resolve(db, "held"), "h1", "... the holder keeps it");
	is_int(qint(db, "SELECT count(*) FROM model_aliases_shadowed WHERE"
	    " alias = 'held'"), 1, "... one shadowed claim, not two");

	/* An alias that is another model's id: the id wins. */
	ok(exec(db, ADD_MODEL("p", "[\"q\"]") ADD_MODEL("q", "[]")) == 0,
	    "an alias that is another model's id");
	is_str(resolve(db, "q"), "q", "the exact id comes first");
	is_str(resolve(db, "p"), "p", "an id resolves to itself");
	/* Odd JSON values are not aliases. */
	ok(exec(db, ADD_MODEL("r", "[1, null, {\"a\":1}, \"ok\"]")) == 0,
	    "aliases that are not strings");
	is_int(qint(db, "SELECT count(*) FROM model_aliases WHERE model = 'r'"),
	    1, "only the string is an alias");

	/* The catalog: the same rules. */
	log_capture();
	ok(exec(db, ADD_ENTRY("c2", "[\"cx\"]") ADD_ENTRY("c1", "[\"cx\"]"))
	    == 0, "two catalog entries with one alias");
	log_release(log, sizeof(log));
	is_str(cresolve(db, "cx"), "c2", "the first entry keeps it");
	ok(strstr(log, "catalog entry c1 lists the alias cx, which c2 already"
	    " has") != NULL, "... logged");
	is_int(db_catalog_names(db, "c1", "cx"), 1,
	    "the alias still belongs to both entries' names");
	ok(exec(db, "DELETE FROM catalog WHERE id = 'c2'") == 0,
	    "the catalog drops the holder");
	is_str(cresolve(db, "cx"), "c1", "the other entry takes it over");
	db_close(db);
}

static void
test_migration(void)
{
	char		 path[] = "/tmp/test_lookup_db.XXXXXX";
	sqlite3		*db;
	int		 fd;

	if ((fd = mkstemp(path)) == -1) {
		ok(0, "migration: temp file");
		return;
	}
	close(fd);
	unlink(path);
	ok(sqlite3_open(path, &db) == SQLITE_OK, "migration: a raw connection");
	ok(db_migrate_to(db, path, 3) == 0, "migration: schema version 3");
	is_int(db_schema_version(db), 3, "migration: at 3");
	/* At 3 the smallest id named a shared alias: it must still. */
	ok(exec(db, ADD_MODEL("b", "[\"dup\",\"bee\"]")
	    ADD_MODEL("a", "[\"dup\"]") ADD_ENTRY("e2", "[\"ce\"]")
	    ADD_ENTRY("e1", "[\"ce\"]")) == 0, "migration: v3 rows");
	sqlite3_close(db);
	db = db_open(path);
	ok(db != NULL, "migration: db_open migrates to the last version");
	if (db != NULL) {
		is_int(db_schema_version(db), 11, "migration: at 11 (issue 10: caps, usage; issue 11: the expiry index, tags, the history, imports in it; the search indexes' hashsize; the search index written behind)");
		is_str(resolve(db, "dup"), "a",
		    "migration: a shared alias names the smallest id, as before");
		is_str(resolve(db, "bee"), "b", "migration: aliases filled");
		is_int(qint(db, "SELECT count(*) FROM model_aliases_shadowed"), 1,
		    "migration: the other claim is shadowed");
		is_str(cresolve(db, "ce"), "e1",
		    "migration: the catalog's too");
		is_int(qint(db, "SELECT count(*) FROM model_keys"), 2,
		    "migration: models indexed for search");
		db_close(db);
	}
	unlink(path);
	{
		char	 wal[64];
		snprintf(wal, sizeof(wal), "%s-wal", path);
		unlink(wal);
		snprintf(wal, sizeof(wal), "%s-shm", path);
		unlink(wal);
	}
}

/*
 * 4 -> 5 (issue 8, import speed): the search index is made again without
 * positions, from the rows that were there; an alias still lands in
 * model_aliases when a row lists one, and only then.
 */
static void
test_migration5(void)
{
	char		 path[] = "/tmp/test_lookup_db5.XXXXXX", wal[64];
	struct list_query q;
	sqlite3		*db;
	int		 fd, n;

	if ((fd = mkstemp(path)) == -1) {
		ok(0, "migration 5: temp file");
		return;
	}
	close(fd);
	unlink(path);
	ok(sqlite3_open(path, &db) == SQLITE_OK, "migration 5: a raw connection");
	ok(db_migrate_to(db, path, 4) == 0, "migration 5: schema version 4");
	ok(exec(db, ADD_MODEL("old-one", "[\"elder\"]")
	    ADD_ENTRY("entry-one", "[]")) == 0, "migration 5: v4 rows");
	sqlite3_close(db);
	db = db_open(path);
	ok(db != NULL, "migration 5: db_open migrates");
	if (db != NULL) {
		is_int(db_schema_version(db), 11, "migration 5: at the last, 11");
		memset(&q, 0, sizeof(q));
		q.search = "ELDE";
		n = 0;
		ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 1,
		    "migration 5: a model of 4 is found by its alias");
		is_int(qint(db, "SELECT count(*) FROM catalog_fts WHERE"
		    " catalog_fts MATCH '\"try\"'"), 1,
		    "migration 5: the catalog's rows are indexed again");
		ok(exec(db, ADD_MODEL("new-one", "[]")) == 0,
		    "migration 5: a row without aliases");
		is_int(qint(db, "SELECT count(*) FROM model_aliases"), 1,
		    "migration 5: it claims none");
		ok(exec(db, "INSERT INTO model_fts(model_fts) VALUES"
		    " ('integrity-check')") == 0, "migration 5: consistent");
		db_close(db);
	}
	unlink(path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
}

static void
test_cache(void)
{
	sqlite3		*db = db_open(":memory:");
	sqlite3_stmt	*a, *b;
	struct db_modelref ref;
	int64_t		 n, act;
	char		 log[4096];
	int		 i;

	ok(db != NULL, "cache: open");
	if (db == NULL)
		return;
	ok(exec(db, ADD_MODEL("a", "[\"x\"]")) == 0, "cache: a model");
	is_int(db_stmt_cached(db), 0, "cache: empty at first");
	for (i = 0; i < 3; i++) {
		ok(db_model_resolve(db, "x", &ref) == 0, "cache: resolve %d", i);
		ok(db_model_lookup(db, "a", &ref) == 0, "cache: lookup %d", i);
		ok(db_model_counts(db, &n, &act) == 0 && n == 1,
		    "cache: counts %d", i);
	}
	is_int(db_stmt_cached(db), 3, "cache: three statements, each prepared once");
	a = db_stmt(db, DB_STMT_RESOLVE, "unused");
	b = db_stmt(db, DB_STMT_RESOLVE, "unused");
	ok(a != NULL && a == b, "cache: the same statement is handed out again");
	ok(!sqlite3_stmt_busy(a), "cache: handed back reset");
	ok(sqlite3_bind_parameter_count(a) == 1 &&
	    sqlite3_column_count(a) == 3, "cache: it is the resolve statement");
	db_stmt_done(db, a);
	ok(db_model_resolve(db, "nosuch", &ref) == 1, "cache: a miss");
	ok(db_model_resolve(db, "a", &ref) == 0 && strcmp(ref.id, "a") == 0,
	    "cache: bindings do not leak between uses");
	log_capture();
	db_close(db);
	log_release(log, sizeof(log));
	ok(strstr(log, "leftover") == NULL,
	    "cache: db_close finalizes the cache, nothing left over: %s", log);
}

static void
test_search(void)
{
	sqlite3			*db = db_open(":memory:");
	struct list_query	 q;
	int			 n;

	ok(db != NULL, "search: open");
	if (db == NULL)
		return;
	ok(exec(db, ADD_MODEL("Big-Model", "[\"Grand\"]")
	    ADD_MODEL("small", "[]")
	    "UPDATE models SET description = 'caf\xc3\xa9 au lait'"
	    " WHERE id = 'small';") == 0, "search: models");
	memset(&q, 0, sizeof(q));
	q.search = "g-m";
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 1,
	    "search: 3 characters through the index, any case");
	q.search = "GRAN";
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 1,
	    "search: an alias, any case");
	q.search = "ig";
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 1,
	    "search: 2 characters fall back to reading every row");
	q.search = "caf\xc3\xa9";
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 1,
	    "search: UTF-8 text");
	q.search = "CAF\xc3\x89";
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 0,
	    "search: case folds ASCII only, as before the index");
	/* The index finds every trigram; only the exact substring is kept. */
	q.search = "lait au";
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 0,
	    "search: all the trigrams, not in that order, find nothing");
	q.search = "caf\xc3\xa9 au lait";
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 1,
	    "search: a longer text with a character of two bytes");
	q.search = "\"x\" OR a";
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 0,
	    "search: FTS syntax is plain text");
	ok(exec(db, "UPDATE models SET name = 'renamed' WHERE id = 'small';"
	    "DELETE FROM models WHERE id = 'Big-Model'") == 0,
	    "search: rename and delete");
	q.search = "renamed";
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 1,
	    "search: the index follows a rename");
	q.search = "Grand";
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 0,
	    "search: and a delete");
	ok(exec(db, "INSERT INTO model_fts(model_fts) VALUES ('integrity-check')")
	    == 0, "search: the index is consistent");
	db_close(db);
}

/* The last statement run whose SQL contains trace_marker. */
static char		 traced[8192];
static const char	*trace_marker;

static int
trace_cb(unsigned type, void *ctx, void *p, void *x)
{
	const char	*sql;

	(void)ctx;
	(void)x;
	if (type == SQLITE_TRACE_STMT &&
	    (sql = sqlite3_sql((sqlite3_stmt *)p)) != NULL &&
	    strstr(sql, trace_marker) != NULL)
		snprintf(traced, sizeof(traced), "%s", sql);
	return 0;
}

/* The plan of sql, joined; 1 when it sorts in a temp b-tree. */
static int
plan_sorts(sqlite3 *db, const char *sql, char *plan, size_t len)
{
	sqlite3_stmt	*ep;
	char		*q;
	const char	*d;
	int		 sorts = 0;

	plan[0] = '\0';
	if ((q = sqlite3_mprintf("EXPLAIN QUERY PLAN %s", sql)) == NULL)
		return -1;
	if (sqlite3_prepare_v2(db, q, -1, &ep, NULL) != SQLITE_OK) {
		sqlite3_free(q);
		return -1;
	}
	sqlite3_free(q);
	while (sqlite3_step(ep) == SQLITE_ROW) {
		d = (const char *)sqlite3_column_text(ep, 3);
		if (strlen(plan) + strlen(d) + 4 < len) {
			if (plan[0] != '\0')
				strcat(plan, " | ");
			strcat(plan, d);
		}
		if (strstr(d, "TEMP B-TREE") != NULL)
			sorts = 1;
	}
	sqlite3_finalize(ep);
	return sorts;
}

static int
entry_cb(const struct catalog_entry *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static void
test_sort_plans(void)
{
	static const char *const keys[] = { "name", "provider", "context",
	    "price", "status" };
	sqlite3			*db = db_open(":memory:");
	struct list_query	 q;
	struct catalog_query	 cq;
	struct page_cursor	 after, next;
	char			 plan[2048];
	int			 sort, desc, n;

	ok(db != NULL, "sort plans: open");
	if (db == NULL)
		return;
	/* a knows its context and price, b does not: both phases run. */
	ok(exec(db, ADD_MODEL("a", "[]") ADD_MODEL("b", "[]")
	    ADD_ENTRY("a", "[]") "UPDATE models SET context_length = 10,"
	    " prompt_price = 1.5 WHERE id = 'a'") == 0, "sort plans: rows");
	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, trace_cb, NULL);
	for (sort = SORT_NAME; sort <= SORT_STATUS; sort++)
		for (desc = 0; desc < 2; desc++) {
			memset(&q, 0, sizeof(q));
			q.sort = (enum reg_sort)sort;
			q.desc = desc;
			q.limit = 1;
			q.next = &next;
			n = 0;
			trace_marker = "ON ms.model = model_view.id WHERE 1";	/* LIST (issue 9: with the settings) */
			traced[0] = '\0';
			ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 1 &&
			    next.id[0] != '\0', "LIST sort=%s%s limit=1: one row "
			    "and a cursor", keys[sort], desc ? " desc" : "");
			is_int(plan_sorts(db, traced, plan, sizeof(plan)), 0,
			    "LIST sort=%s%s: read in order off an index, no sort: %s",
			    keys[sort], desc ? " desc" : "", plan);
			after = next;
			q.after = &after;
			n = 0;
			ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 1 &&
			    next.id[0] == '\0', "LIST sort=%s%s after the first: "
			    "the last row, no cursor", keys[sort],
			    desc ? " desc" : "");
			is_int(plan_sorts(db, traced, plan, sizeof(plan)), 0,
			    "LIST sort=%s%s after=: no sort either: %s",
			    keys[sort], desc ? " desc" : "", plan);
			ok(strncmp(plan, "SEARCH m USING INDEX models_sort_", 33) == 0,
			    "LIST sort=%s%s after=: the index seeks to the cursor",
			    keys[sort], desc ? " desc" : "");
			if (sort == SORT_STATUS)
				continue;
			memset(&cq, 0, sizeof(cq));
			cq.sort = (enum reg_sort)sort;
			cq.desc = desc;
			cq.zdr = cq.synced = -1;
			cq.limit = 5;
			trace_marker = "FROM catalog AS c) AS v WHERE 1";
			traced[0] = '\0';
			n = 0;
			ok(db_catalog_list(db, &cq, entry_cb, &n) == 1 && n == 1,
			    "CATALOG sort=%s%s", keys[sort], desc ? " desc" : "");
			is_int(plan_sorts(db, traced, plan, sizeof(plan)), 0,
			    "CATALOG sort=%s%s: no sort: %s", keys[sort],
			    desc ? " desc" : "", plan);
		}
	/* After a known context or price: the first phase seeks too. */
	for (sort = SORT_CONTEXT; sort <= SORT_PRICE; sort++)
		for (desc = 0; desc < 2; desc++) {
			memset(&q, 0, sizeof(q));
			q.sort = (enum reg_sort)sort;
			q.desc = desc;
			q.limit = 1;
			q.next = &next;
			n = 0;
			ok(db_models_list(db, &q, count_cb, &n) == 0 &&
			    next.type != CUR_NULL, "LIST sort=%s%s: a known "
			    "value first", keys[sort], desc ? " desc" : "");
			after = next;
			q.after = &after;
			trace_marker = "IS NULL) = 0 AND";
			traced[0] = '\0';
			n = 0;
			ok(db_models_list(db, &q, count_cb, &n) == 0 && n == 1,
			    "LIST sort=%s%s: then the unknown one", keys[sort],
			    desc ? " desc" : "");
			is_int(plan_sorts(db, traced, plan, sizeof(plan)), 0,
			    "LIST sort=%s%s after a known value: no sort: %s",
			    keys[sort], desc ? " desc" : "", plan);
			ok(strncmp(plan, "SEARCH m USING INDEX models_sort_", 33) == 0,
			    "LIST sort=%s%s after a known value: the index seeks",
			    keys[sort], desc ? " desc" : "");
		}
	memset(&q, 0, sizeof(q));
	q.provider = "x";
	trace_marker = "ON ms.model = model_view.id WHERE 1";	/* LIST (issue 9: with the settings) */
	n = 0;
	ok(db_models_list(db, &q, count_cb, &n) == 0, "LIST provider=");
	plan_sorts(db, traced, plan, sizeof(plan));
	ok(strstr(plan, "(provider=?)") != NULL,
	    "LIST provider= searches a provider index: %s", plan);
	q.provider = NULL;
	q.search = "abc";
	ok(db_models_list(db, &q, count_cb, &n) == 0, "LIST search=");
	plan_sorts(db, traced, plan, sizeof(plan));
	ok(strstr(plan, "model_fts VIRTUAL TABLE") != NULL,
	    "LIST search= of 3 characters uses the search index: %s", plan);
	sqlite3_trace_v2(db, 0, NULL, NULL);
	db_close(db);
}

static void
test_cursor(void)
{
	struct page_cursor	 c, d;
	char			 tok[CURSOR_MAXLEN], bad[CURSOR_MAXLEN];
	size_t			 i;
	int			 fails;

	memset(&c, 0, sizeof(c));
	c.sort = SORT_PRICE;
	c.desc = 1;
	c.type = CUR_REAL;
	c.r = 0.1 + 0.2;
	strcpy(c.id, "openai/gpt-4o");
	ok(cursor_encode(&c, tok, sizeof(tok)) == 0, "cursor: encode a price");
	ok(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_") == strlen(tok), "cursor: one bare word (base64url)");
	ok(cursor_decode(tok, &d) == 0 && d.sort == SORT_PRICE && d.desc == 1 &&
	    d.type == CUR_REAL && d.r == c.r && strcmp(d.id, c.id) == 0,
	    "cursor: a real round-trips exactly");
	c.sort = SORT_NAME;
	c.desc = 0;
	c.type = CUR_TEXT;
	strcpy(c.text, "Caf\xc3\xa9 \"quoted\"");
	ok(cursor_encode(&c, tok, sizeof(tok)) == 0 &&
	    cursor_decode(tok, &d) == 0 && strcmp(d.text, c.text) == 0,
	    "cursor: text round-trips");
	c.sort = SORT_CONTEXT;
	c.type = CUR_NULL;
	ok(cursor_encode(&c, tok, sizeof(tok)) == 0 &&
	    cursor_decode(tok, &d) == 0 && d.type == CUR_NULL,
	    "cursor: an unknown number round-trips");
	c.type = CUR_INT;
	c.i = INT64_MIN;
	ok(cursor_encode(&c, tok, sizeof(tok)) == 0 &&
	    cursor_decode(tok, &d) == 0 && d.i == INT64_MIN,
	    "cursor: an integer round-trips");
	/* Every cut and every changed byte is refused. */
	fails = 0;
	for (i = 0; i < strlen(tok); i++) {
		snprintf(bad, sizeof(bad), "%.*s", (int)i, tok);
		if (cursor_decode(bad, &d) == 0)
			fails++;
		snprintf(bad, sizeof(bad), "%s", tok);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		if (cursor_decode(bad, &d) == 0)
			fails++;
	}
	is_int(fails, 0, "cursor: no cut or changed token decodes");
	ok(cursor_decode("", &d) == -1, "cursor: empty");
	ok(cursor_decode("a b", &d) == -1, "cursor: a blank");
	ok(cursor_decode("=", &d) == -1, "cursor: padding");
	memset(bad, 'A', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	ok(cursor_decode(bad, &d) == -1, "cursor: too long");
	c.type = CUR_TEXT;	/* a context cursor must hold a number */
	strcpy(c.text, "12");
	ok(cursor_encode(&c, tok, sizeof(tok)) == 0 &&
	    cursor_decode(tok, &d) == -1, "cursor: the type must fit the sort key");
	c.sort = SORT_NAME;
	c.id[0] = '\0';
	ok(cursor_encode(&c, tok, sizeof(tok)) == -1, "cursor: an id is needed");
	strcpy(c.id, "x");
	ok(cursor_encode(&c, tok, 8) == -1, "cursor: a small buffer is refused");
}

/*
 * An unpaged LIST or CATALOG is streamed (reg_cursor.c) from the
 * statements db_*_list_stmt builds, pages too: they must be the lookup's
 * SQL (the sort index, the FTS search, the keyset), and count the same
 * rows.
 */
static void
test_stream_stmt(void)
{
	sqlite3			*db = db_open(":memory:");
	struct list_query	 q;
	struct catalog_query	 c;
	struct page_cursor	 after;
	sqlite3_stmt		*st;
	struct model		 m;
	char			 plan[2048];
	int			 n;

	ok(db != NULL, "stream: open");
	if (db == NULL)
		return;
	ok(exec(db, ADD_MODEL("Big-Model", "[\"Grand\"]")
	    ADD_MODEL("small", "[]") ADD_ENTRY("Big-Entry", "[]")
	    ADD_ENTRY("other", "[]")) == 0, "stream: models and entries");
	memset(&q, 0, sizeof(q));
	q.sort = SORT_NAME;
	st = db_models_list_stmt(db, &q, 0, 0, 0, DB_PLAN_FILTER);
	ok(st != NULL && plan_sorts(db, sqlite3_sql(st), plan,
	    sizeof(plan)) == 0 && strstr(plan, "models_sort_name") != NULL,
	    "stream: LIST sort=name reads the sort index: %s", plan);
	n = 0;
	while (st != NULL && db_models_step(db, st, &m) == 1)
		n++;
	sqlite3_finalize(st);
	is_int(n, 2, "stream: LIST gives every row");
	q.search = "g-m";
	st = db_models_list_stmt(db, &q, 0, 0, 0, DB_PLAN_FILTER);
	ok(st != NULL && plan_sorts(db, sqlite3_sql(st), plan,
	    sizeof(plan)) != -1 && strstr(plan, "model_fts") != NULL,
	    "stream: LIST search= reads the trigram index: %s", plan);
	n = 0;
	while (st != NULL && db_models_step(db, st, &m) == 1)
		n++;
	sqlite3_finalize(st);
	is_int(n, 1, "stream: LIST search= gives the match");
	st = db_models_list_stmt(db, &q, 1, 0, 0, DB_PLAN_FILTER);
	ok(st != NULL && strstr(sqlite3_sql(st), "model_fts") != NULL &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1,
	    "stream: LIST's count is of the same query");
	sqlite3_finalize(st);
	/* A page: after= the first row by name, the keyset seeks. */
	q.search = NULL;
	memset(&after, 0, sizeof(after));
	after.sort = SORT_NAME;
	after.type = CUR_TEXT;
	strcpy(after.text, "Big-Model");
	strcpy(after.id, "Big-Model");
	q.after = &after;
	st = db_models_list_stmt(db, &q, 0, 0, 1, DB_PLAN_FILTER);
	ok(st != NULL && strstr(sqlite3_sql(st), "LIMIT 1") != NULL &&
	    db_models_step(db, st, &m) == 1 && strcmp(m.id, "small") == 0 &&
	    db_models_step(db, st, &m) == 0,
	    "stream: LIST after= limit: the row after the cursor");
	sqlite3_finalize(st);
	after.desc = 1;
	ok(db_models_list_stmt(db, &q, 0, 0, 0, DB_PLAN_FILTER) == NULL,
	    "stream: a cursor of another order is refused");
	q.after = NULL;

	memset(&c, 0, sizeof(c));
	c.zdr = c.synced = -1;
	c.sort = SORT_NAME;
	st = db_catalog_list_stmt(db, &c, 0, 0, 0, DB_PLAN_FILTER);
	ok(st != NULL && plan_sorts(db, sqlite3_sql(st), plan,
	    sizeof(plan)) == 0 && strstr(plan, "catalog_sort_name") != NULL,
	    "stream: CATALOG sort=name reads the sort index: %s", plan);
	sqlite3_finalize(st);
	c.search = "g-e";
	st = db_catalog_list_stmt(db, &c, 1, 0, 0, DB_PLAN_FILTER);
	ok(st != NULL && strstr(sqlite3_sql(st), "catalog_fts") != NULL &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1,
	    "stream: CATALOG's count searches the trigram index");
	sqlite3_finalize(st);
	st = db_catalog_list_stmt(db, &c, 1, 0, 0, DB_PLAN_FILTER);
	ok(st != NULL && strstr(sqlite3_sql(st), "LIMIT") == NULL &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1,
	    "stream: CATALOG without a limit has no LIMIT");
	sqlite3_finalize(st);

	/*
	 * The streamed reply's plans (issue 8): a count reads models alone
	 * (no view, no order); a page of a filtered, sorted LIST sorts the
	 * filter's ids only (DB_PLAN_FILTER) or reads the sort index with
	 * the filter tested (DB_PLAN_SORT), and the view's columns are
	 * computed for the page's rows only, in the outer query.
	 */
	memset(&q, 0, sizeof(q));
	q.sort = SORT_PRICE;
	st = db_models_list_stmt(db, &q, 1, 0, 0, DB_PLAN_FILTER);
	ok(st != NULL && strcmp(sqlite3_sql(st), "SELECT count(*) FROM models")
	    == 0 && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int(st, 0) == 2,
	    "stream: the whole LIST's count is models' count, not the view's");
	sqlite3_finalize(st);
	q.desc = 1;
	q.provider = "acme";
	st = db_models_list_stmt(db, &q, 1, 0, 101, DB_PLAN_FILTER);
	ok(st != NULL && strstr(sqlite3_sql(st), "model_view") == NULL &&
	    strstr(sqlite3_sql(st), "ORDER BY") == NULL &&
	    plan_sorts(db, sqlite3_sql(st), plan, sizeof(plan)) == 0 &&
	    strstr(plan, "SEARCH models USING COVERING INDEX") != NULL &&
	    strstr(plan, "(provider=?)") != NULL,
	    "stream: a filtered count reads the filter's index of models: %s",
	    plan);
	sqlite3_finalize(st);
	st = db_models_list_stmt(db, &q, 0, 0, 100, DB_PLAN_FILTER);
	ok(st != NULL && plan_sorts(db, sqlite3_sql(st), plan,
	    sizeof(plan)) == 1 && strstr(plan, "LIST SUBQUERY") != NULL &&
	    strstr(plan, "models_provider_price_desc (provider=?)") != NULL &&
	    strstr(plan, "TEMP B-TREE") > strstr(plan, "LEFT-JOIN"),
	    "stream: a provider's page is a range of its index, only the"
	    " page sorted: %s", plan);
	sqlite3_finalize(st);
	q.provider = NULL;
	q.kind = "chat";
	st = db_models_list_stmt(db, &q, 0, 0, 100, DB_PLAN_FILTER);
	ok(st != NULL && plan_sorts(db, sqlite3_sql(st), plan,
	    sizeof(plan)) == 1 && strstr(plan, "models_kind") != NULL,
	    "stream: a page of few rows sorts the filter's ids: %s", plan);
	sqlite3_finalize(st);
	q.kind = NULL;
	q.provider = "acme";
	st = db_models_list_stmt(db, &q, 0, 0, 100, DB_PLAN_SORT);
	ok(st != NULL && plan_sorts(db, sqlite3_sql(st), plan,
	    sizeof(plan)) != -1 && strstr(plan, "SCAN models USING INDEX"
	    " models_sort_price_desc") != NULL &&
	    strstr(plan, "models_sort_provider") == NULL,
	    "stream: a page of many rows reads the sort index: %s", plan);
	sqlite3_finalize(st);
	q.provider = NULL;
	q.status = RS_INACTIVE;
	q.kind = "chat";
	q.search = "mod";
	st = db_models_list_stmt(db, &q, 0, 0, 0, DB_PLAN_SORT);
	ok(st != NULL && plan_sorts(db, sqlite3_sql(st), plan,
	    sizeof(plan)) == 0 && strstr(plan, "models_sort_price_desc") !=
	    NULL && strstr(plan, "model_fts") == NULL,
	    "stream: status, kind and search tested on the sort index: %s",
	    plan);
	n = 0;
	while (st != NULL && db_models_step(db, st, &m) == 1)
		n++;
	sqlite3_finalize(st);
	st = db_models_list_stmt(db, &q, 1, 0, 0, DB_PLAN_FILTER);
	ok(st != NULL && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_int(st, 0) == n && n == 1,
	    "stream: both plans and the count agree (%d rows)", n);
	sqlite3_finalize(st);
	c.search = NULL;
	c.provider = "acme";
	c.sort = SORT_PRICE;
	st = db_catalog_list_stmt(db, &c, 0, 0, 100, DB_PLAN_SORT);
	ok(st != NULL && plan_sorts(db, sqlite3_sql(st), plan,
	    sizeof(plan)) != -1 && strstr(plan, "catalog_sort_price") != NULL,
	    "stream: CATALOG's page of many rows reads the sort index: %s",
	    plan);
	sqlite3_finalize(st);
	st = db_catalog_list_stmt(db, &c, 1, 0, 101, DB_PLAN_FILTER);
	ok(st != NULL && strstr(sqlite3_sql(st), "ORDER BY") == NULL &&
	    plan_sorts(db, sqlite3_sql(st), plan, sizeof(plan)) == 0 &&
	    strstr(plan, "USING COVERING INDEX catalog_") != NULL &&
	    strstr(plan, "(provider=?)") != NULL,
	    "stream: CATALOG's count reads the filter's index: %s", plan);
	sqlite3_finalize(st);
	db_close(db);
}

int
main(void)
{
	tap_run(test_cursor());
	tap_run(test_sort_plans());
	log_init(6);
	tap_run(test_plans());
	tap_run(test_show_plan());
	tap_run(test_conflicts());
	tap_run(test_migration());
	tap_run(test_migration5());
	tap_run(test_cache());
	tap_run(test_search());
	tap_run(test_stream_stmt());
	if (logfd != -1)
		unlink(logpath);
	return done_testing();
}
