/* db_alternatives.c: the query for which registered models could stand in for another; the policy is reg_default.c's. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "log.h"
#include "registry.h"

/*
 * The stand-ins for ?1: active, of the same kind (?7: a chat model
 * whatever ?1 is, for the default), not expired at ?3, not red, every
 * feature of ?1, at least its context when that is known (a candidate
 * whose context is unknown cannot be said to have enough), cheapest
 * prompt price first with unknown prices last, then by id. ?4, ?5 and ?6
 * relax health, features and context. ?1 is an exact id; the caller
 * resolves aliases first. A model that is not registered has none.
 */
#define ALTERNATIVES_SQL \
	"SELECT v.id FROM model_view AS v," \
	"  (SELECT features, context_length, kind FROM models WHERE id = ?1) AS t" \
	" WHERE v.id <> ?1 AND v.status = 'active'" \
	"  AND v.kind = CASE WHEN ?7 THEN 'chat' ELSE t.kind END" \
	"  AND (v.expires_at IS NULL OR v.expires_at > ?3)" \
	"  AND (?4 OR v.health <> 'red')" \
	"  AND (?5 OR (v.features & t.features) = t.features)" \
	"  AND (?6 OR t.context_length IS NULL OR" \
	"   (v.context_length IS NOT NULL AND v.context_length >= t.context_length))" \
	" ORDER BY v.prompt_price IS NULL, v.prompt_price, v.id LIMIT ?2"

/* Up to max stand-ins for the exact id, with the criteria relax gives up (db.h). */
int
db_alternatives(sqlite3 *db, const char *id, int64_t now, unsigned relax,
    int for_default, char (*ids)[256], int max)
{
	sqlite3_stmt		*st = NULL;
	const char		*v;
	int			 rc, n = 0;

	if (sqlite3_prepare_v2(db, ALTERNATIVES_SQL, -1, &st, NULL) !=
	    SQLITE_OK) {
		log_warnx("database: alternatives: %s", sqlite3_errmsg(db));
		goto fail;
	}
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, max) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, now) != SQLITE_OK ||
	    sqlite3_bind_int(st, 4, (relax & REG_RELAX_HEALTH) != 0) !=
	    SQLITE_OK ||
	    sqlite3_bind_int(st, 5, (relax & REG_RELAX_FEATURES) != 0) !=
	    SQLITE_OK ||
	    sqlite3_bind_int(st, 6, (relax & REG_RELAX_CONTEXT) != 0) !=
	    SQLITE_OK ||
	    sqlite3_bind_int(st, 7, for_default) != SQLITE_OK) {
		log_warnx("database: alternatives: %s", sqlite3_errmsg(db));
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		v = (const char *)sqlite3_column_text(st, 0);
		/* Ids are 1..255 bytes by the schema; anything else is skipped, not cut. */
		if (v == NULL || strlen(v) >= sizeof(ids[0]))
			continue;
		memcpy(ids[n], v, strlen(v) + 1);
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		log_warnx("database: alternatives: %s", sqlite3_errmsg(db));
		goto fail;
	}
	sqlite3_finalize(st);
	return n;
fail:
	sqlite3_finalize(st);
	return -1;
}
