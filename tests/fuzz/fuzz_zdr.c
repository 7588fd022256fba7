/* fuzz_zdr.c: the ZDR endpoint list: the counts add up, every slug kept is within db_zdr.h's bounds, a failure says why. */
#include <string.h>

#include <sqlite3.h>

#include "db_zdr.h"
#include "fuzz.h"

static sqlite3	*db;

static int64_t
count(const char *sql)
{
	sqlite3_stmt	*st;
	int64_t		 n = -1;

	FUZZ_CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zdr_stats	 zs;
	char			 err[256];
	int			 rc;

	if (db == NULL)
		FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "sqlite3_open");
	err[0] = '\0';
	rc = db_zdr_parse(db, (const char *)data, size, &zs, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "db_zdr_parse returned neither 0 nor -1");
	if (rc == -1) {
		FUZZ_CHECK(err[0] != '\0', "a failed parse without a message");
		return 0;
	}
	FUZZ_CHECK(zs.entries >= 0 && zs.endpoints >= 0 && zs.skipped >= 0 &&
	    zs.endpoints + zs.skipped == zs.entries, "the counts do not add up");
	FUZZ_CHECK(zs.slugs >= 0 && zs.slugs <= zs.endpoints,
	    "more slugs than endpoints");
	FUZZ_CHECK(count("SELECT count(*) FROM temp.zdr_new") == zs.slugs,
	    "slugs is not the rows of zdr_new");
	FUZZ_CHECK(count("SELECT count(DISTINCT slug) FROM temp.zdr_new") == zs.slugs,
	    "a slug listed twice");
	FUZZ_CHECK(count("SELECT count(*) FROM temp.zdr_new WHERE typeof(slug) <> 'text'"
	    " OR length(CAST(slug AS BLOB)) NOT BETWEEN 1 AND 255"
	    " OR slug GLOB '*[^!-~]*' OR instr(slug, '\"') OR instr(slug, ',')"
	    " OR instr(slug, '=') OR instr(slug, '\\')") == 0,
	    "a slug out of bounds");
	return 0;
}
