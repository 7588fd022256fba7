/* db_import.c: what a seed's and a catalog's apply share: scratch sets over staging, and the search index of the rows they add, in one statement each. */
#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_import.h"
#include "db_int.h"
#include "log.h"

/*
 * Why scratch sets: each apply compares the 100k staged rows with the
 * stored ones once, into a small set of ids (what is new, what changed,
 * what is gone), and every later statement (audit rows, the update,
 * events, the search index) reads only that set. Before, each of those
 * statements joined the whole of staging with the whole table again.
 */
/* Run the statements fmt makes (only our own fragments and names go in it). */
static int
db_import_execf(sqlite3 *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
db_import_execf(sqlite3 *db, const char *fmt, ...)
{
	struct buf	 sql = { NULL, 0, 0 };
	va_list		 ap;
	int		 rc;

	va_start(ap, fmt);
	rc = buf_vprintf(&sql, fmt, ap);
	va_end(ap);
	if (rc == -1) {
		log_warnx("database: import: out of memory");
		buf_free(&sql);
		return -1;
	}
	rc = db_exec(db, sql.data);
	buf_free(&sql);
	return rc;
}

int
db_import_set(sqlite3 *db, const char *name, const char *select)
{
	return db_import_execf(db, "DROP TABLE IF EXISTS temp.%s;"
	    " CREATE TEMP TABLE %s AS %s", name, name, select);
}

void
db_import_drop(sqlite3 *db)
{
	(void)db_exec(db, "DROP TABLE IF EXISTS temp.imp_model;"
	    " DROP TABLE IF EXISTS temp.imp_entry;"
	    " DROP TABLE IF EXISTS temp.imp_gone;");
}

int
db_import_sum(sqlite3 *db, const char *sql, int *n)
{
	int64_t	 v;

	if (db_query_int(db, sql, &v) == -1)
		return -1;
	*n = (int)v;
	return 0;
}

/* The columns of DB_IMPORT_SIG_OF, bit i for column i. */
static const char *const db_import_col[] = {
	"name", "provider", "description", "context_length", "prompt_price",
	"completion_price", "features", "aliases", "canonical_slug", "kind",
	"prices", "expires_at",
};
#define DB_IMPORT_NCOL	((int)(sizeof(db_import_col) / sizeof(db_import_col[0])))

/*
 * Why one UPDATE per sig (issue 8, import speed): SQLite rewrites the
 * entry of every index that has a column of the SET list, equal value or
 * not, so an UPDATE that set every metadata column rewrote all sixteen
 * sort indexes of each changed model (and the catalog's ten) when only
 * its description and prices had changed. A refresh's changed rows share
 * a handful of sigs; each UPDATE names only its sig's columns, so an
 * index is written only where its key changed. The triggers (search
 * index, aliases, price history) compare old and new values themselves,
 * and every changed column is in the SET, so they do what they did.
 */
static int
db_import_update_sig(sqlite3 *db, const char *table, const char *set,
    const char *filter, const char *tail, int64_t now, int sig, int all)
{
	struct buf	 sql = { NULL, 0, 0 };
	sqlite3_stmt	*st;
	int		 i, rc = -1;

	if (buf_printf(&sql, "UPDATE %s SET ", table) == -1)
		goto nomem;
	for (i = 0; i < DB_IMPORT_NCOL; i++)
		if ((all || (sig & (1 << i)) != 0) && buf_printf(&sql,
		    "%s = s.%s, ", db_import_col[i], db_import_col[i]) == -1)
			goto nomem;
	if (buf_printf(&sql, "%s FROM (SELECT s.* FROM %s AS c"
	    " JOIN temp.staging AS s ON s.id = c.id WHERE (%s)%s"
	    " ORDER BY c.id) AS s WHERE %s.id = s.id", tail, set, filter,
	    all ? "" : " AND c.sig = ?2", table) == -1)
		goto nomem;
	if ((st = db_prepare(db, sql.data)) == NULL)
		goto done;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    (!all && sqlite3_bind_int(st, 2, sig) != SQLITE_OK)) {
		sqlite3_finalize(st);
		goto done;
	}
	rc = db_run(db, st, "import: update");
	goto done;
nomem:
	log_warnx("database: import: out of memory");
done:
	buf_free(&sql);
	return rc;
}

int
db_import_update(sqlite3 *db, const char *table, const char *set,
    const char *filter, const char *tail, int64_t now)
{
	struct buf	 sql = { NULL, 0, 0 };
	sqlite3_stmt	*st;
	int		 sigs[DB_IMPORT_SIGS], n = 0, i, step;

	if (buf_printf(&sql, "SELECT DISTINCT sig FROM %s AS c WHERE (%s)"
	    " ORDER BY sig LIMIT %d", set, filter, DB_IMPORT_SIGS + 1) == -1) {
		log_warnx("database: import: out of memory");
		return -1;
	}
	st = db_prepare(db, sql.data);
	buf_free(&sql);
	if (st == NULL)
		return -1;
	while ((step = sqlite3_step(st)) == SQLITE_ROW && n <= DB_IMPORT_SIGS) {
		if (n == DB_IMPORT_SIGS) {
			n++;
			break;
		}
		sigs[n++] = sqlite3_column_int(st, 0);
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		db_logerr(db, "import: sigs");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	if (n > DB_IMPORT_SIGS)
		return db_import_update_sig(db, table, set, filter, tail, now,
		    0, 1);
	for (i = 0; i < n; i++)
		if (db_import_update_sig(db, table, set, filter, tail, now,
		    sigs[i], 0) == -1)
			return -1;
	return 0;
}

int
db_search_keys(sqlite3 *db, const char *p, const char *ids_sql,
    int64_t *base)
{
	struct buf	 sql = { NULL, 0, 0 };
	int		 rc = -1;

	if (buf_printf(&sql, "SELECT coalesce(max(key), 0) FROM %s_keys",
	    p) == -1)
		goto nomem;
	if (db_query_int(db, sql.data, base) == -1)
		goto done;
	rc = db_import_execf(db, "INSERT INTO %s_keys(id) SELECT i.id FROM"
	    " (%s) AS i WHERE NOT EXISTS (SELECT 1 FROM %s_keys AS k"
	    " WHERE k.id = i.id) ORDER BY i.id", p, ids_sql, p);
	goto done;
nomem:
	log_warnx("database: import: out of memory");
done:
	buf_free(&sql);
	return rc;
}

int
db_search_add(sqlite3 *db, const char *t, const char *p, int64_t base)
{
	/* The text of each row as the insert trigger gives it (db.c, SEARCH_ADD). */
	return db_import_execf(db, "INSERT INTO %s_fts(rowid, id, name, provider,"
	    " description, aliases) SELECT k.key, r.id, r.name, r.provider,"
	    " r.description, " DB_SEARCH_ALIASES("r") " FROM %s_keys AS k"
	    " JOIN %s AS r ON r.id = k.id WHERE k.key > %lld"
	    /* A reused key still dirty: the flush has its old text to delete. */
	    " AND NOT EXISTS (SELECT 1 FROM %s_fts_dirty AS d"
	    " WHERE d.key = k.key) ORDER BY k.key",
	    p, p, t, (long long)base, p);
}

/*
 * The import worker's connection (import.c): a page cache of
 * DB_IMPORT_CACHE_KIB for the main database, where an apply's writes go.
 * SQLite's default of 2 MiB cannot hold the index pages a 100k-row
 * apply touches, so each is written out and read back many times (cache
 * spills into the WAL); the cache is allocated as it fills and freed
 * with the connection at the job's end. The temp database (staging,
 * the scratch sets) keeps SQLite's default, and temp_store stays a file:
 * staging is as big as the catalog's rows (30 MB at 100k).
 */
#define DB_IMPORT_CACHE_KIB	16384

int
db_import_tune(sqlite3 *db)
{
	char	 sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA main.cache_size = -%d",
	    DB_IMPORT_CACHE_KIB);
	return db_exec(db, sql);
}

/*
 * A first load (a seed or a catalog into an empty table, or one that adds
 * more rows than the table holds) pays for every secondary index on every
 * row it inserts, in id order for the primary key but in random order for
 * the sort keys: 13 of them on models. Building them afterwards sorts each
 * once. The indexes are dropped and created again from their own SQL
 * inside the caller's transaction, so no reader ever sees the table
 * without them (WAL: readers keep the schema of their snapshot). Unique
 * indexes stay: they are rules (one default model).
 */
int
db_import_bulk_begin(sqlite3 *db, const char *table, int64_t adding,
    struct buf *saved)
{
	struct buf	 drop = { NULL, 0, 0 };
	sqlite3_stmt	*st = NULL;
	int64_t		 have;
	char		 q[128];
	int		 rc = -1, step;

	buf_reset(saved);
	snprintf(q, sizeof(q), "SELECT count(*) FROM %s", table);
	if (db_query_int(db, q, &have) == -1)
		return -1;
	if (adding < 1000 || adding < have)
		return 0;
	st = db_prepare(db, "SELECT name, sql FROM sqlite_schema"
	    " WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL"
	    " AND sql NOT LIKE 'CREATE UNIQUE %' ORDER BY name");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, table) == -1)
		goto done;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (buf_printf(&drop, "DROP INDEX \"%s\";",
		    (const char *)sqlite3_column_text(st, 0)) == -1 ||
		    buf_printf(saved, "%s;",
		    (const char *)sqlite3_column_text(st, 1)) == -1) {
			log_warnx("database: import: out of memory");
			goto done;
		}
	}
	if (step != SQLITE_DONE) {
		db_logerr(db, "import: indexes");
		goto done;
	}
	rc = drop.data == NULL ? 0 : db_exec(db, drop.data);
done:
	sqlite3_finalize(st);
	buf_free(&drop);
	if (rc == -1)
		buf_free(saved);
	return rc;
}

/*
 * Why a first load leaves its indexes (issue 8, import speed): of a 100k
 * seed's four seconds, building the fifteen sort indexes took about one
 * and the trigram search index about 0.7, in the seed's transaction,
 * before its reply. They hold nothing the registry's rules need (the
 * unique indexes and the partial ones, which the expiry check after an
 * import reads on the loop, are made in the seed's transaction), so the
 * seed commits without them and db_import_finish builds them in the
 * import job that follows at once, before any queued write runs. The
 * search index's new keys are marked dirty and not indexed (schema 11),
 * so a search reads those rows meanwhile and the flush indexes them; a
 * sort without its index sorts. A crash in between leaves the state row
 * and the dirty keys, and the next start builds both before it serves
 * (modelregd.c).
 */
#define DB_PENDING_INDEXES	"import_pending_indexes"

static int	 db_owed;

int
db_import_owed(void)
{
	return __atomic_exchange_n(&db_owed, 0, __ATOMIC_SEQ_CST);
}

int
db_import_bulk_defer(sqlite3 *db, struct buf *saved, int64_t base)
{
	struct buf	 now = { NULL, 0, 0 }, later = { NULL, 0, 0 };
	char		*p, *semi, sql[160];
	int		 rc = -1;

	/* saved is CREATE INDEX statements, each ended by ';' (no literal holds one). */
	for (p = saved->data; p != NULL && *p != '\0'; p = semi + 1) {
		if ((semi = strchr(p, ';')) == NULL)
			break;
		if (buf_printf(strstr(p, " WHERE ") != NULL &&
		    strstr(p, " WHERE ") < semi ? &now : &later, "%.*s;",
		    (int)(semi - p), p) == -1) {
			log_warnx("database: import: out of memory");
			goto done;
		}
	}
	/* OR IGNORE: a reused key still dirty keeps the old text to delete. */
	snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO model_fts_dirty(key,"
	    " indexed) SELECT key, 0 FROM model_keys WHERE key > %lld",
	    (long long)base);
	if ((now.data != NULL && db_exec(db, now.data) == -1) ||
	    (later.data != NULL && db_state_set(db, DB_PENDING_INDEXES,
	    later.data) == -1) || db_exec(db, sql) == -1)
		goto done;
	__atomic_store_n(&db_owed, 1, __ATOMIC_SEQ_CST);
	rc = 0;
done:
	buf_free(&now);
	buf_free(&later);
	buf_free(saved);
	return rc;
}

int
db_search_dirty(sqlite3 *db)
{
	int64_t	 n;

	if (db_query_int(db, "SELECT EXISTS (SELECT 1 FROM model_fts_dirty)"
	    " OR EXISTS (SELECT 1 FROM catalog_fts_dirty)", &n) == -1)
		return -1;
	return n != 0;
}

/* The search index of table t (prefix p) given its dirty keys (schema 11). */
static int
db_search_flush_one(sqlite3 *db, const char *t, const char *p)
{
	/* The old texts as the index holds them, then the rows' current ones. */
	return db_import_execf(db, "INSERT INTO %s_fts(%s_fts, rowid, id, name,"
	    " provider, description, aliases) SELECT 'delete', d.key, d.id,"
	    " d.name, d.provider, d.description, " DB_SEARCH_ALIASES("d")
	    " FROM %s_fts_dirty AS d WHERE d.indexed ORDER BY d.key;"
	    "INSERT INTO %s_fts(rowid, id, name, provider, description,"
	    " aliases) SELECT k.key, r.id, r.name, r.provider, r.description, "
	    DB_SEARCH_ALIASES("r") " FROM %s_fts_dirty AS d JOIN %s_keys AS k"
	    " ON k.key = d.key JOIN %s AS r ON r.id = k.id ORDER BY d.key;"
	    "DELETE FROM %s_fts_dirty;", p, p, p, p, p, p, t, p);
}

int
db_search_flush(sqlite3 *db)
{
	if (db_search_flush_one(db, "models", "model") == -1 ||
	    db_search_flush_one(db, "catalog", "catalog") == -1)
		return -1;
	return 0;
}

int
db_import_finish(sqlite3 *db)
{
	char	*idx;
	int	 rc = -1, dirty;

	idx = db_state_get(db, DB_PENDING_INDEXES);
	if ((dirty = db_search_dirty(db)) == -1)
		goto done;
	if (idx == NULL && !dirty) {
		rc = 0;
		goto done;
	}
	if (db_begin(db) == -1)
		goto done;
	if (idx != NULL && idx[0] != '\0' && db_exec(db, idx) == -1)
		goto fail;
	if (db_search_flush(db) == -1 ||
	    db_state_set(db, DB_PENDING_INDEXES, NULL) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	rc = 0;
	goto done;
fail:
	db_rollback(db);
done:
	free(idx);
	return rc;
}

int
db_import_bulk_end(sqlite3 *db, struct buf *saved)
{
	int	 rc = 0;

	if (saved->data != NULL && saved->len > 0)
		rc = db_exec(db, saved->data);
	buf_free(saved);
	return rc;
}
