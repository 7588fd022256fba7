/* db_settings.c: the SQL of the per-model settings: a model's label and default parameters, its organisation aliases, and who owns a name. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "db_settings.h"
#include "log.h"

int
db_settings_get(sqlite3 *db, const char *id, struct db_settings *s)
{
	sqlite3_stmt	*st;
	const char	*label;
	int		 rc, i, r = -1;

	memset(s, 0, sizeof(*s));
	st = db_prepare(db, "SELECT label, temperature, top_p, max_tokens,"
	    " frequency_penalty, presence_penalty, enforced FROM model_settings"
	    " WHERE model = ?1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1)
		goto done;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		r = 0;
		goto done;
	}
	if (rc != SQLITE_ROW) {
		db_logerr(db, "read settings");
		goto done;
	}
	if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
		label = db_coltext(st, 0);
		if (strlen(label) >= sizeof(s->label)) {
			log_warnx("database: settings of %s: label too long", id);
			goto done;
		}
		memcpy(s->label, label, strlen(label) + 1);
		s->has_label = 1;
	}
	for (i = 0; i < SP_COUNT; i++)
		if (sqlite3_column_type(st, 1 + i) != SQLITE_NULL) {
			s->has[i] = 1;
			s->v[i] = sqlite3_column_double(st, 1 + i);
		}
	s->enforced = (unsigned)sqlite3_column_int64(st, 6) & SETTINGS_ALL_PARAMS;
	r = 0;
done:
	sqlite3_finalize(st);
	return r;
}

int
db_settings_put(sqlite3 *db, const char *id, const struct db_settings *s,
    int64_t now)
{
	sqlite3_stmt	*st;
	int		 i, empty = !s->has_label && s->enforced == 0, rc;

	for (i = 0; i < SP_COUNT; i++)
		if (s->has[i])
			empty = 0;
	/* A model with nothing set and no organisation alias has no row. */
	if (empty) {
		if ((st = db_prepare(db, "DELETE FROM model_settings"
		    " WHERE model = ?1 AND NOT EXISTS (SELECT 1 FROM"
		    " model_org_aliases WHERE model = ?1)")) == NULL)
			return -1;
		if (db_bind_text(st, 1, id) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
		return db_run(db, st, "delete settings");
	}
	st = db_prepare(db, "INSERT INTO model_settings(model, label,"
	    " temperature, top_p, max_tokens, frequency_penalty,"
	    " presence_penalty, enforced, updated_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
	    " ON CONFLICT(model) DO UPDATE SET label = excluded.label,"
	    " temperature = excluded.temperature, top_p = excluded.top_p,"
	    " max_tokens = excluded.max_tokens,"
	    " frequency_penalty = excluded.frequency_penalty,"
	    " presence_penalty = excluded.presence_penalty,"
	    " enforced = excluded.enforced, updated_at = excluded.updated_at");
	if (st == NULL)
		return -1;
	rc = db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, s->has_label ? s->label : NULL) == -1;
	for (i = 0; i < SP_COUNT && !rc; i++) {
		if (!s->has[i])
			rc = sqlite3_bind_null(st, 3 + i) != SQLITE_OK;
		else if (i == SP_MAX_TOKENS)
			rc = sqlite3_bind_int64(st, 3 + i, (int64_t)s->v[i]) !=
			    SQLITE_OK;
		else
			rc = sqlite3_bind_double(st, 3 + i, s->v[i]) != SQLITE_OK;
	}
	if (rc || sqlite3_bind_int64(st, 8, (int64_t)s->enforced) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 9, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "write settings");
}

int
db_settings_context(sqlite3 *db, const char *id, int64_t *context)
{
	sqlite3_stmt	*st;
	int		 rc;

	*context = 0;
	if ((st = db_prepare(db, "SELECT context_length FROM models"
	    " WHERE id = ?1")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*context = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_logerr(db, "model context");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

int
db_org_aliases(sqlite3 *db, const char *id,
    char (*aliases)[SETTINGS_ALIAS_MAX + 1], int max)
{
	sqlite3_stmt	*st;
	const char	*a;
	int		 rc, n = 0;

	if ((st = db_prepare(db, "SELECT alias FROM model_org_aliases"
	    " WHERE model = ?1 ORDER BY alias")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		a = db_coltext(st, 0);
		if (n >= max || strlen(a) > SETTINGS_ALIAS_MAX) {
			log_warnx("database: aliases of %s: too many or too long",
			    id);
			sqlite3_finalize(st);
			return -1;
		}
		memcpy(aliases[n++], a, strlen(a) + 1);
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "read organisation aliases");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

/* Run sql with alias bound to ?1, id to ?2 and, when it has one, now to ?3. */
static int
db_org_alias_run(sqlite3 *db, const char *sql, const char *alias,
    const char *id, int64_t now, const char *what)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	if (db_bind_text(st, 1, alias) == -1 || db_bind_text(st, 2, id) == -1 ||
	    (sqlite3_bind_parameter_count(st) >= 3 &&
	    sqlite3_bind_int64(st, 3, now) != SQLITE_OK)) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, what);
}

int
db_org_alias_add(sqlite3 *db, const char *alias, const char *id, int64_t now)
{
	return db_org_alias_run(db, "INSERT INTO model_org_aliases(alias, model,"
	    " added_at) VALUES (?1, ?2, ?3)", alias, id, now,
	    "add organisation alias");
}

int
db_org_alias_remove(sqlite3 *db, const char *alias, const char *id)
{
	return db_org_alias_run(db, "DELETE FROM model_org_aliases"
	    " WHERE alias = ?1 AND model = ?2", alias, id, 0,
	    "remove organisation alias");
}

int
db_name_owner(sqlite3 *db, const char *name, char *owner, size_t olen,
    const char **what)
{
	static const char *const whats[] = {
		"organisation alias", "model id", "catalog alias",
		"catalog id, not synced", "catalog alias, not synced",
	};
	sqlite3_stmt	*st;
	int		 rc, r = -1, k;

	/* Every lookup is an index's: the primary keys of the five. */
	st = db_prepare(db, "SELECT 0, model FROM model_org_aliases"
	    "  WHERE alias = ?1"
	    " UNION ALL SELECT 1, id FROM models WHERE id = ?1"
	    " UNION ALL SELECT 2, model FROM model_aliases WHERE alias = ?1"
	    " UNION ALL SELECT 3, id FROM catalog WHERE id = ?1"
	    " UNION ALL SELECT 4, entry FROM catalog_aliases WHERE alias = ?1"
	    " ORDER BY 1 LIMIT 1");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1)
		goto done;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 1;
	else if (rc == SQLITE_ROW) {
		k = sqlite3_column_int(st, 0);
		*what = whats[k >= 0 && k < 5 ? k : 0];
		snprintf(owner, olen, "%s", db_coltext(st, 1));
		r = 0;
	} else
		db_logerr(db, "name owner");
done:
	sqlite3_finalize(st);
	return r;
}

/*
 * modelreg_alias_conflict(model, message): called by the temp trigger
 * below when a source's change raised alias.conflict (the schema's
 * triggers write the event): the daemon's log says it too.
 */
static void
db_alias_conflict_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char	*model, *message;

	(void)ctx;
	if (argc != 2)
		return;
	model = sqlite3_value_text(argv[0]);
	message = sqlite3_value_text(argv[1]);
	log_warnx("%.255s: %.600s", model != NULL ? (const char *)model : "?",
	    message != NULL ? (const char *)message : "alias conflict");
}

int
db_settings_init(sqlite3 *db)
{
	if (sqlite3_create_function_v2(db, "modelreg_alias_conflict", 2,
	    SQLITE_UTF8, NULL, db_alias_conflict_fn, NULL, NULL, NULL) !=
	    SQLITE_OK) {
		db_logerr(db, "register the alias conflict log");
		return -1;
	}
	/* Temp: only our connections, so the schema names no function of ours. */
	return db_exec(db, "CREATE TEMP TRIGGER IF NOT EXISTS"
	    " model_org_aliases_conflict_log AFTER INSERT ON main.events"
	    " WHEN NEW.kind = 'alias.conflict' BEGIN"
	    " SELECT modelreg_alias_conflict(NEW.model, NEW.message);"
	    " END;");
}
