/* testdb.h: small SQLite helpers the rules' unit tests share (raw SQL, one-value queries, a staging table). */
#ifndef MODELREG_TESTDB_H
#define MODELREG_TESTDB_H

#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

/* SQLite's primary result code of running sql; rows are ignored. */
static __attribute__((unused)) int
raw(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) & 0xff;
}

/* The first column of the first row as an integer, -999 when none. */
static __attribute__((unused)) int64_t
qint(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 v = -999;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("# prepare %s: %s\n", sql, sqlite3_errmsg(db));
		return v;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* First column of the first row ("(null)" for NULL, "(none)" for no row). */
static __attribute__((unused)) const char *
qtext(sqlite3 *db, const char *sql, char *out, size_t len)
{
	sqlite3_stmt		*st;
	const unsigned char	*s;

	snprintf(out, len, "(none)");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		printf("# prepare %s: %s\n", sql, sqlite3_errmsg(db));
		return out;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		s = sqlite3_column_text(st, 0);
		snprintf(out, len, "%s", s != NULL ? (const char *)s : "(null)");
	}
	sqlite3_finalize(st);
	return out;
}

/* The TEMP table catalog.c parses into, empty: tests stage rows by hand. */
static __attribute__((unused)) void
stage_reset(sqlite3 *db)
{
	raw(db, "CREATE TEMP TABLE IF NOT EXISTS staging("
	    " id TEXT PRIMARY KEY, name TEXT NOT NULL, provider TEXT NOT NULL,"
	    " description TEXT NOT NULL, context_length INTEGER,"
	    " prompt_price REAL, completion_price REAL,"
	    " features INTEGER NOT NULL, aliases TEXT NOT NULL,"
	    " canonical_slug TEXT, kind TEXT NOT NULL DEFAULT 'chat',"
	    " prices TEXT NOT NULL DEFAULT '{}', expires_at INTEGER)");
	raw(db, "DELETE FROM staging");
}

#endif
