/* db_alternatives.c: which registered models could stand in for another (suggestions, and the next default). */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "registry.h"

/*
 * The stand-ins for ?1: active, not red, every feature of ?1, at least
 * its context when that is known (a candidate whose context is unknown
 * cannot be said to have enough), cheapest prompt price first with
 * unknown prices last, then by id. ?1 is an exact id; the caller
 * resolves aliases first. A model that is not registered has none.
 */
#define ALTERNATIVES_SQL \
	"SELECT v.id FROM model_view AS v," \
	"  (SELECT features, context_length FROM models WHERE id = ?1) AS t" \
	" WHERE v.id <> ?1 AND v.status = 'active' AND v.health <> 'red'" \
	"  AND (v.features & t.features) = t.features" \
	"  AND (t.context_length IS NULL OR" \
	"   (v.context_length IS NOT NULL AND v.context_length >= t.context_length))" \
	" ORDER BY v.prompt_price IS NULL, v.prompt_price, v.id LIMIT ?2"

int
reg_alternatives(sqlite3 *db, const char *model, char (*ids)[256], int max)
{
	struct db_modelref	 ref;
	sqlite3_stmt		*st = NULL;
	const char		*id;
	int			 rc, n = 0;

	if (max <= 0)
		return 0;
	/* The model's own name may be an alias; what it stands for is its id. */
	switch (db_model_resolve(db, model, &ref)) {
	case 0:
		break;
	case 1:
		return 0;
	default:
		return -1;
	}
	if (sqlite3_prepare_v2(db, ALTERNATIVES_SQL, -1, &st, NULL) !=
	    SQLITE_OK) {
		log_warnx("database: alternatives: %s", sqlite3_errmsg(db));
		goto fail;
	}
	if (sqlite3_bind_text(st, 1, ref.id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, max) != SQLITE_OK) {
		log_warnx("database: alternatives: %s", sqlite3_errmsg(db));
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < max) {
		id = (const char *)sqlite3_column_text(st, 0);
		/* Ids are 1..255 bytes by the schema; anything else is skipped, not cut. */
		if (id == NULL || strlen(id) >= sizeof(ids[0]))
			continue;
		memcpy(ids[n], id, strlen(id) + 1);
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

int
reg_pick_default(sqlite3 *db, const struct cfg_list *fallback,
    const char *old_default, char *id, size_t idlen)
{
	struct db_modelref	 ref;
	char			 alt[1][256];
	size_t			 i;
	int			 n;

	if (idlen == 0)
		return -1;
	/* The administrator's order first: the first listed model that is active now. */
	for (i = 0; fallback != NULL && i < fallback->n; i++) {
		switch (db_model_resolve(db, fallback->v[i], &ref)) {
		case 0:
			break;
		case 1:
			continue;
		default:
			return -1;
		}
		if (!ref.active || (old_default != NULL &&
		    strcmp(ref.id, old_default) == 0))
			continue;
		if (strlen(ref.id) >= idlen)
			return -1;
		memcpy(id, ref.id, strlen(ref.id) + 1);
		return 1;
	}
	if (old_default == NULL)
		return 0;
	if ((n = reg_alternatives(db, old_default, alt, 1)) <= 0)
		return n;
	if (strlen(alt[0]) >= idlen)
		return -1;
	memcpy(id, alt[0], strlen(alt[0]) + 1);
	return 1;
}
