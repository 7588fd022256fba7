/* db_seed.c: the SQL of seeding, over the temp table "staging": find a listed name, the rules table, update and add. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_import.h"
#include "db_int.h"
#include "db_seed.h"
#include "log.h"
#include "registry.h"

/*
 * One audit row per changed field of a registered, staged model: over
 * the set of changed models (temp.imp_model, db_seed_update), not the
 * whole of staging.
 */
#define SEED_FIELD(f) \
	"SELECT ?1, ?2, ?3, 'seed.update', m.id, '" f "', m." f ", s." f \
	" FROM temp.imp_model AS c JOIN models AS m ON m.id = c.id" \
	" JOIN temp.staging AS s ON s.id = c.id" \
	" WHERE m." f " IS NOT s." f

#define SEED_CHANGED \
	"m.name IS NOT s.name OR m.provider IS NOT s.provider" \
	" OR m.description IS NOT s.description" \
	" OR m.context_length IS NOT s.context_length" \
	" OR m.prompt_price IS NOT s.prompt_price" \
	" OR m.completion_price IS NOT s.completion_price" \
	" OR m.features IS NOT s.features OR m.aliases IS NOT s.aliases" \
	" OR m.kind IS NOT s.kind OR m.prices IS NOT s.prices" \
	" OR m.expires_at IS NOT s.expires_at"

/*
 * The same test over any alias, for the UPDATE: only changed models are
 * written (issue 8), so a seed of an unchanged source writes no model
 * row. A staged canonical_slug the row lacks is a change too, since the
 * update would fill it.
 */
#define SEED_CHANGED_OF(m) \
	m ".name IS NOT s.name OR " m ".provider IS NOT s.provider" \
	" OR " m ".description IS NOT s.description" \
	" OR " m ".context_length IS NOT s.context_length" \
	" OR " m ".prompt_price IS NOT s.prompt_price" \
	" OR " m ".completion_price IS NOT s.completion_price" \
	" OR " m ".features IS NOT s.features OR " m ".aliases IS NOT s.aliases" \
	" OR " m ".kind IS NOT s.kind OR " m ".prices IS NOT s.prices" \
	" OR " m ".expires_at IS NOT s.expires_at" \
	" OR (s.canonical_slug IS NOT NULL AND " m ".canonical_slug IS NOT s.canonical_slug)"

int
db_staging_kind(sqlite3 *db, const char *id, char *kind, size_t klen,
    int64_t *expires_at)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "SELECT kind, expires_at FROM ("
	    " SELECT kind, expires_at, 0 AS pri FROM temp.staging WHERE id = ?1"
	    " UNION ALL"
	    " SELECT kind, expires_at, 1 FROM models WHERE id = ?1)"
	    " ORDER BY pri LIMIT 1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_kind_step(db, st, kind, klen, expires_at);
}

int
db_staging_count(sqlite3 *db, int64_t *n)
{
	int64_t	 exists;

	*n = 0;
	if (db_query_int(db, "SELECT count(*) FROM temp.sqlite_schema"
	    " WHERE type = 'table' AND name = 'staging'", &exists) == -1)
		return -1;
	if (exists == 0)
		return 0;
	return db_query_int(db, "SELECT count(*) FROM temp.staging", n);
}

int
db_seed_find(sqlite3 *db, const char *name, char *id, size_t idlen,
    int *staged)
{
	sqlite3_stmt	*st;
	const char	*s;
	int		 rc, r = -1;

	/* The catalog first, so a name names what the source lists now. */
	st = db_prepare(db, "SELECT id, staged FROM ("
	    "  SELECT id, 1 AS staged, 0 AS pri FROM temp.staging WHERE id = ?1"
	    "  UNION ALL"
	    "  SELECT s.id, 1, 1 FROM temp.staging AS s, json_each(s.aliases) AS j"
	    "    WHERE j.value = ?1"
	    "  UNION ALL"
	    "  SELECT id, 0, 2 FROM models WHERE id = ?1"
	    "  UNION ALL"
	    "  SELECT m.id, 0, 3 FROM models AS m, json_each(m.aliases) AS j"
	    "    WHERE j.value = ?1"
	    ") ORDER BY pri, id LIMIT 1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1)
		goto done;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 1;
	else if (rc != SQLITE_ROW)
		db_logerr(db, "seed: find model");
	else {
		s = db_coltext(st, 0);
		if (strlen(s) >= idlen)
			log_warnx("database: seed: model id too long");
		else {
			memcpy(id, s, strlen(s) + 1);
			*staged = sqlite3_column_int(st, 1);
			r = 0;
		}
	}
done:
	sqlite3_finalize(st);
	return r;
}

int
db_seed_rules_reset(sqlite3 *db)
{
	if (db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS seed_rule("
	    "id TEXT PRIMARY KEY NOT NULL, active INTEGER NOT NULL)") == -1)
		return -1;
	return db_exec(db, "DELETE FROM temp.seed_rule");
}

int
db_seed_rule_set(sqlite3 *db, const char *id, int active)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "INSERT INTO temp.seed_rule(id, active)"
	    " VALUES (?1, ?2)"
	    " ON CONFLICT(id) DO UPDATE SET active = excluded.active");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 ||
	    sqlite3_bind_int(st, 2, active ? 1 : 0) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "seed rule");
}

int
db_seed_update(sqlite3 *db, int64_t now, const struct actor *a, int *changed)
{
	/*
	 * One pass over staging finds the models to write; counted is the
	 * old count, which leaves out a row whose only change is a
	 * canonical_slug filled in.
	 */
	if (db_import_set(db, "imp_model", "SELECT s.id AS id, (" SEED_CHANGED
	    ") AS counted FROM temp.staging AS s JOIN models AS m"
	    " ON m.id = s.id WHERE " SEED_CHANGED_OF("m") " ORDER BY s.id") == -1 ||
	    db_import_sum(db, "SELECT coalesce(sum(counted), 0)"
	    " FROM temp.imp_model", changed) == -1)
		return -1;
	if (db_run_now(db, "INSERT INTO audit(at, uid, actor, action, model,"
	    " field, old, new) "
	    SEED_FIELD("name") " UNION ALL "
	    SEED_FIELD("provider") " UNION ALL "
	    SEED_FIELD("description") " UNION ALL "
	    SEED_FIELD("context_length") " UNION ALL "
	    SEED_FIELD("prompt_price") " UNION ALL "
	    SEED_FIELD("completion_price") " UNION ALL "
	    SEED_FIELD("features") " UNION ALL "
	    SEED_FIELD("aliases") " UNION ALL "
	    SEED_FIELD("kind") " UNION ALL "
	    SEED_FIELD("prices") " UNION ALL "
	    SEED_FIELD("expires_at"), now, a, "seed: audit updates") == -1)
		return -1;
	return db_run_now(db, "UPDATE models SET name = s.name,"
	    " provider = s.provider, description = s.description,"
	    " context_length = s.context_length, prompt_price = s.prompt_price,"
	    " completion_price = s.completion_price, features = s.features,"
	    " aliases = s.aliases, kind = s.kind, prices = s.prices,"
	    " expires_at = s.expires_at,"
	    " canonical_slug = coalesce(s.canonical_slug, models.canonical_slug),"
	    " last_seen_at = ?1"
	    " FROM (SELECT s.* FROM temp.imp_model AS c JOIN temp.staging AS s"
	    "  ON s.id = c.id) AS s WHERE models.id = s.id",
	    now, a, "seed: update models");
}

/* The staged ids not registered yet (db_seed_add). */
#define SEED_NEW \
	"SELECT s.id AS id FROM temp.staging AS s WHERE NOT EXISTS" \
	" (SELECT 1 FROM models AS m WHERE m.id = s.id)"

int
db_seed_add(sqlite3 *db, int64_t now, int new_active, const struct actor *a,
    int *added, int defer)
{
	struct buf	 idx = { NULL, 0, 0 };
	sqlite3_stmt	*st;
	int64_t		 base;
	int		 nnew;

	/* Their search keys first: the rows are indexed in one statement below. */
	if (db_search_keys(db, "model", SEED_NEW, &base) == -1)
		return -1;
	/* Audit first: afterwards the new rows cannot be told from the old. */
	st = db_prepare(db, "INSERT INTO audit(at, uid, actor, action, model,"
	    " field, old, new)"
	    " SELECT ?1, ?2, ?3, 'seed.add', s.id, 'status', NULL,"
	    "  CASE coalesce(r.active, ?4) WHEN 1 THEN 'active'"
	    "  ELSE 'inactive' END"
	    " FROM temp.staging AS s LEFT JOIN temp.seed_rule AS r"
	    "  ON r.id = s.id"
	    " WHERE NOT EXISTS (SELECT 1 FROM models AS m WHERE m.id = s.id)"
	    " ORDER BY s.id");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    db_bind_actor(st, 2, 3, a) == -1 ||
	    sqlite3_bind_int(st, 4, new_active ? 1 : 0) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "seed: audit additions") == -1)
		return -1;

	/* A first load builds the sort indexes after its rows (db_import.c). */
	if (db_import_sum(db, "SELECT count(*) FROM (" SEED_NEW ")",
	    &nnew) == -1 || db_import_bulk_begin(db, "models", nnew,
	    &idx) == -1)
		return -1;
	st = db_prepare(db, "INSERT INTO models(id, name, provider,"
	    " description, context_length, prompt_price, completion_price,"
	    " features, aliases, canonical_slug, kind, prices, expires_at,"
	    " status, is_default,"
	    " status_source, added_at, status_changed_at, last_seen_at)"
	    " SELECT s.id, s.name, s.provider, s.description, s.context_length,"
	    "  s.prompt_price, s.completion_price, s.features, s.aliases,"
	    "  s.canonical_slug, s.kind, s.prices, s.expires_at,"
	    "  CASE coalesce(r.active, ?2) WHEN 1 THEN 'active'"
	    "  ELSE 'inactive' END, NULL, 'seed', ?1, ?1, ?1"
	    " FROM temp.staging AS s LEFT JOIN temp.seed_rule AS r"
	    "  ON r.id = s.id"
	    " WHERE NOT EXISTS (SELECT 1 FROM models AS m WHERE m.id = s.id)"
	    " ORDER BY s.id");
	if (st == NULL) {
		buf_free(&idx);
		return -1;
	}
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, new_active ? 1 : 0) != SQLITE_OK) {
		sqlite3_finalize(st);
		buf_free(&idx);
		return -1;
	}
	if (db_run(db, st, "seed: add models") == -1) {
		buf_free(&idx);
		return -1;
	}
	*added = sqlite3_changes(db);
	if (defer && idx.data != NULL && idx.len > 0)
		return db_import_bulk_defer(db, &idx, base);
	if (db_import_bulk_end(db, &idx) == -1)
		return -1;
	return db_search_add(db, "models", "model", base);
}
