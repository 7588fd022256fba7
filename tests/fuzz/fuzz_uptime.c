/* fuzz_uptime.c: the endpoints response of the uptime source: the reading's counts and uptime within bounds, a failure says why. */
#include <math.h>
#include <string.h>

#include <sqlite3.h>

#include "db_uptime.h"
#include "fuzz.h"

static sqlite3	*db;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uptime_reading	 r;
	char			 err[256];
	int			 rc;

	if (db == NULL)
		FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "sqlite3_open");
	err[0] = '\0';
	rc = db_uptime_parse(db, (const char *)data, size, &r, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "db_uptime_parse returned neither 0 nor -1");
	if (rc == -1) {
		FUZZ_CHECK(err[0] != '\0', "a failed parse without a message");
		FUZZ_CHECK(r.endpoints == 0 && r.working == 0 && !r.has_best,
		    "a failed parse left a reading");
		return 0;
	}
	FUZZ_CHECK(r.endpoints >= 0 && r.working >= 0 && r.working <= r.endpoints,
	    "working endpoints out of bounds");
	FUZZ_CHECK(!r.has_best || (r.working > 0 && isfinite(r.best) &&
	    r.best >= 0 && r.best <= 100), "the best uptime out of bounds");
	return 0;
}
