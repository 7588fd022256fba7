/* db.c: the SQLite database layer's core: open, pragmas, schema and migrations, transactions, state, and the statement helpers db_*.c share. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_int.h"
#include "log.h"
#include "registry.h"

/* Marks a database as ours ('MREG'), so we never migrate someone else's file. */
#define DB_APPLICATION_ID	0x4d524547

/*
 * The aliases of table t (models or catalog) as text values of its JSON
 * column; a column that is not valid JSON lists none.
 */
#define ALIAS_EACH(row)	DB_ALIAS_EACH(row)

/*
 * Promote the oldest shadowed claim of each free alias row listed (see
 * 3 -> 4). The triggers' INSERTs never meet a conflict (NOT EXISTS, not
 * OR IGNORE): an outer INSERT OR REPLACE would impose its policy on them.
 */
#define ALIAS_PROMOTE(a, c, row) \
	"  INSERT INTO " a "(alias, " c ")" \
	"   SELECT s.alias, s." c " FROM " a "_shadowed AS s" \
	"   WHERE s.alias IN (SELECT value FROM " ALIAS_EACH(row) ")" \
	"   AND NOT EXISTS (SELECT 1 FROM " a " AS w WHERE w.alias = s.alias)" \
	"   AND s.seq = (SELECT min(o.seq) FROM " a "_shadowed AS o" \
	"   WHERE o.alias = s.alias);" \
	"  DELETE FROM " a "_shadowed WHERE alias IN" \
	"   (SELECT value FROM " ALIAS_EACH(row) ") AND EXISTS (SELECT 1 FROM" \
	"   " a " AS w WHERE w.alias = " a "_shadowed.alias" \
	"   AND w." c " = " a "_shadowed." c ");"

/* NEW's aliases: held when free, else a shadowed claim behind the holder. */
#define ALIAS_CLAIM(a, c) \
	"  INSERT INTO " a "(alias, " c ")" \
	"   SELECT DISTINCT value, NEW.id FROM " ALIAS_EACH("NEW") " AS j" \
	"   WHERE type = 'text' AND NOT EXISTS (SELECT 1 FROM " a " AS w" \
	"   WHERE w.alias = j.value);" \
	"  INSERT INTO " a "_shadowed(alias, " c ")" \
	"   SELECT DISTINCT value, NEW.id FROM " ALIAS_EACH("NEW") " AS j" \
	"   WHERE type = 'text' AND NOT EXISTS (SELECT 1 FROM " a " AS w" \
	"   WHERE w.alias = j.value AND w." c " = NEW.id)" \
	"   AND NOT EXISTS (SELECT 1 FROM " a "_shadowed AS o" \
	"   WHERE o.alias = j.value AND o." c " = NEW.id);"

/*
 * The alias tables of t and the triggers that keep them equal to t's
 * aliases column, whoever writes it (a seed, a catalog refresh, SYNC,
 * or the sqlite3 shell).
 */
#define ALIAS_SCHEMA(t, a, c) \
	"CREATE TABLE " a " (" \
	"  alias TEXT PRIMARY KEY NOT NULL," \
	"  " c " TEXT NOT NULL REFERENCES " t "(id)" \
	"    ON DELETE CASCADE ON UPDATE CASCADE" \
	") WITHOUT ROWID;" \
	"CREATE INDEX " a "_" c " ON " a "(" c ");" \
	"CREATE TABLE " a "_shadowed (" \
	"  seq INTEGER PRIMARY KEY," \
	"  alias TEXT NOT NULL," \
	"  " c " TEXT NOT NULL REFERENCES " t "(id)" \
	"    ON DELETE CASCADE ON UPDATE CASCADE," \
	"  UNIQUE(alias, " c ")" \
	");" \
	"CREATE INDEX " a "_shadowed_" c " ON " a "_shadowed(" c ");" \
	"CREATE TRIGGER " a "_insert AFTER INSERT ON " t " BEGIN" \
	ALIAS_CLAIM(a, c) \
	"  END;" \
	"CREATE TRIGGER " a "_update AFTER UPDATE OF aliases ON " t \
	"  WHEN OLD.aliases IS NOT NEW.aliases BEGIN" \
	"  DELETE FROM " a "_shadowed WHERE " c " = NEW.id AND alias NOT IN" \
	"   (SELECT value FROM " ALIAS_EACH("NEW") " WHERE type = 'text');" \
	"  DELETE FROM " a " WHERE " c " = NEW.id AND alias NOT IN" \
	"   (SELECT value FROM " ALIAS_EACH("NEW") " WHERE type = 'text');" \
	ALIAS_PROMOTE(a, c, "OLD") \
	ALIAS_CLAIM(a, c) \
	"  END;" \
	"CREATE TRIGGER " a "_delete AFTER DELETE ON " t " BEGIN" \
	"  DELETE FROM " a " WHERE " c " = OLD.id;" \
	"  DELETE FROM " a "_shadowed WHERE " c " = OLD.id;" \
	ALIAS_PROMOTE(a, c, "OLD") \
	"  END;"

/* One sort key's two indexes: key ascending and descending, ties by id. */
#define SORT_INDEX(t, name, key) \
	"CREATE INDEX " t "_sort_" name " ON " t "(" key ", id);" \
	"CREATE INDEX " t "_sort_" name "_desc ON " t "(" key " DESC, id);"
#define SORT_INDEXES(t) \
	SORT_INDEX(t, "name", "name COLLATE NOCASE") \
	SORT_INDEX(t, "provider", "provider COLLATE NOCASE") \
	"CREATE INDEX " t "_sort_context ON " t "(context_length IS NULL," \
	"  context_length, id);" \
	"CREATE INDEX " t "_sort_context_desc ON " t "(context_length IS NULL," \
	"  context_length DESC, id);" \
	"CREATE INDEX " t "_sort_price ON " t "(prompt_price IS NULL," \
	"  prompt_price, id);" \
	"CREATE INDEX " t "_sort_price_desc ON " t "(prompt_price IS NULL," \
	"  prompt_price DESC, id);"

/* A sort key's two indexes within one provider (schema 5). */
#define PROVIDER_SORT_INDEX(t, name, key) \
	"CREATE INDEX " t "_provider_" name " ON " t "(provider COLLATE NOCASE," \
	"  " key ", id);" \
	"CREATE INDEX " t "_provider_" name "_desc ON " t "(provider COLLATE" \
	"  NOCASE, " key " DESC, id);"

/* A row's aliases as one text, for the search index. */
#define SEARCH_ALIASES(row)	DB_SEARCH_ALIASES(row)
/* The search update trigger's head: it fires when an indexed column changed. */
#define SEARCH_UPDATE_ON(t, p) \
	"CREATE TRIGGER " p "_search_update AFTER UPDATE OF name, provider," \
	"  description, aliases ON " t " WHEN OLD.name IS NOT NEW.name" \
	"  OR OLD.provider IS NOT NEW.provider" \
	"  OR OLD.description IS NOT NEW.description" \
	"  OR OLD.aliases IS NOT NEW.aliases BEGIN"
#define SEARCH_ROW(p, row, key) \
	" INSERT INTO " p "_fts(" p "_fts, rowid, id, name, provider," \
	"  description, aliases) VALUES ('delete', " key ", " row ".id, " \
	row ".name, " row ".provider, " row ".description, " \
	SEARCH_ALIASES(row) ");"
#define SEARCH_ADD(p, row) \
	" INSERT INTO " p "_fts(rowid, id, name, provider, description," \
	"  aliases) VALUES ((SELECT key FROM " p "_keys WHERE id = " row ".id)," \
	"  " row ".id, " row ".name, " row ".provider, " row ".description, " \
	SEARCH_ALIASES(row) ");"

/*
 * The search index of table t (prefix p): its key table, the FTS5 table
 * and the triggers that keep both equal to t. A contentless FTS5 table
 * forgets a row by being told its old values: the triggers have them.
 */
#define SEARCH_SCHEMA(t, p) \
	"CREATE TABLE " p "_keys (" \
	"  key INTEGER PRIMARY KEY," \
	"  id TEXT NOT NULL UNIQUE" \
	");" \
	"CREATE VIRTUAL TABLE " p "_fts USING fts5(id, name, provider," \
	"  description, aliases, content='', tokenize='trigram');" \
	"CREATE TRIGGER " p "_search_insert AFTER INSERT ON " t " BEGIN" \
	"  INSERT INTO " p "_keys(id) SELECT NEW.id WHERE NOT EXISTS" \
	"   (SELECT 1 FROM " p "_keys WHERE id = NEW.id);" \
	SEARCH_ADD(p, "NEW") \
	"  END;" \
	SEARCH_UPDATE_ON(t, p) \
	SEARCH_ROW(p, "OLD", "(SELECT key FROM " p "_keys WHERE id = OLD.id)") \
	SEARCH_ADD(p, "NEW") \
	"  END;" \
	"CREATE TRIGGER " p "_search_delete AFTER DELETE ON " t " BEGIN" \
	SEARCH_ROW(p, "OLD", "(SELECT key FROM " p "_keys WHERE id = OLD.id)") \
	"  DELETE FROM " p "_keys WHERE id = OLD.id;" \
	"  END;"

/* Index the rows t already has. */
#define SEARCH_FILL(t, p) \
	"INSERT INTO " p "_keys(id) SELECT id FROM " t " ORDER BY id;" \
	"INSERT INTO " p "_fts(rowid, id, name, provider, description, aliases)" \
	" SELECT k.key, r.id, r.name, r.provider, r.description, " \
	SEARCH_ALIASES("r") " FROM " t " AS r JOIN " p "_keys AS k" \
	" ON k.id = r.id;"

/* Fill the alias tables of t from its rows, smallest id first. */
#define ALIAS_FILL(t, a, c) \
	"INSERT OR IGNORE INTO " a "(alias, " c ")" \
	" SELECT j.value, r.id FROM " t " AS r, " ALIAS_EACH("r") " AS j" \
	" WHERE j.type = 'text' ORDER BY r.id;" \
	"INSERT OR IGNORE INTO " a "_shadowed(alias, " c ")" \
	" SELECT j.value, r.id FROM " t " AS r, " ALIAS_EACH("r") " AS j" \
	" WHERE j.type = 'text' AND NOT EXISTS (SELECT 1 FROM " a " AS w" \
	" WHERE w.alias = j.value AND w." c " = r.id) ORDER BY r.id;"

/*
 * Schema 5 (issue 8, import speed): the alias and search triggers of 4,
 * made cheap for a bulk import. An alias insert trigger runs only for a
 * row that lists an alias ('[]' is the default and what OpenRouter and
 * OpenAI give every row). The search index has no positions (detail=none)
 * and no sizes (columnsize=0): it only has to find a superset of the rows
 * that hold a substring (the instr() test of db_filter_sql decides), and
 * the positions were four fifths of it. Its insert trigger runs only for a
 * row whose key does not exist yet: an import inserts the keys of its new
 * rows first, in one statement, and indexes them in one statement after
 * (db_search_add), so its rows skip the per-row trigger; any other writer
 * (SYNC, the sqlite3 shell) gets the trigger as before.
 */
#define ALIAS_INSERT5(t, a, c) \
	"DROP TRIGGER " a "_insert;" \
	"CREATE TRIGGER " a "_insert AFTER INSERT ON " t \
	"  WHEN NEW.aliases IS NOT '[]' BEGIN" \
	ALIAS_CLAIM(a, c) \
	"  END;"
#define SEARCH_SCHEMA5(t, p) \
	"DROP TRIGGER " p "_search_insert;" \
	"DROP TRIGGER " p "_search_update;" \
	"DROP TRIGGER " p "_search_delete;" \
	"DROP TABLE " p "_fts;" \
	"CREATE VIRTUAL TABLE " p "_fts USING fts5(id, name, provider," \
	"  description, aliases, content='', tokenize='trigram'," \
	"  detail=none, columnsize=0);" \
	"CREATE TRIGGER " p "_search_insert AFTER INSERT ON " t \
	"  WHEN NOT EXISTS (SELECT 1 FROM " p "_keys WHERE id = NEW.id) BEGIN" \
	"  INSERT INTO " p "_keys(id) VALUES (NEW.id);" \
	SEARCH_ADD(p, "NEW") \
	"  END;" \
	SEARCH_UPDATE_ON(t, p) \
	SEARCH_ROW(p, "OLD", "(SELECT key FROM " p "_keys WHERE id = OLD.id)") \
	SEARCH_ADD(p, "NEW") \
	"  END;" \
	"CREATE TRIGGER " p "_search_delete AFTER DELETE ON " t " BEGIN" \
	SEARCH_ROW(p, "OLD", "(SELECT key FROM " p "_keys WHERE id = OLD.id)") \
	"  DELETE FROM " p "_keys WHERE id = OLD.id;" \
	"  END;" \
	"INSERT INTO " p "_fts(rowid, id, name, provider, description, aliases)" \
	" SELECT k.key, r.id, r.name, r.provider, r.description, " \
	SEARCH_ALIASES("r") " FROM " t " AS r JOIN " p "_keys AS k" \
	" ON k.id = r.id;"

/*
 * Schema 11 (issue 8, import speed): the search index written behind.
 * Keeping the trigram index in each write cost a changed 100k refresh
 * about 0.7 s: FTS5 must be given each changed row's old text to delete
 * it, and tokenizes both. Now the update and delete triggers only write
 * down the row's key and the values the index holds for it, once per key
 * (the first old values are the ones in the index), in P_fts_dirty;
 * db_search_flush applies them (old texts out, the rows' current texts
 * in) in the job after an import, and at the start. A search takes the
 * index's matches and every dirty key as candidates (db_filter_plan_sql),
 * so it stays exact meanwhile. indexed 0: the key has no text in the
 * index (a first load's keys until its finish, db_import.c). Keys are
 * reused (max + 1 after the last was deleted), so the insert trigger and
 * db_search_add leave a dirty key to the flush.
 */
#define SEARCH_DIRTY(p, row) \
	"  INSERT OR IGNORE INTO " p "_fts_dirty(key, indexed, id, name," \
	"   provider, description, aliases) SELECT k.key, 1, " row ".id, " \
	row ".name, " row ".provider, " row ".description, " row ".aliases" \
	"   FROM " p "_keys AS k WHERE k.id = " row ".id;"
#define SEARCH_SCHEMA11(t, p) \
	"CREATE TABLE " p "_fts_dirty (" \
	"  key INTEGER PRIMARY KEY," \
	"  indexed INTEGER NOT NULL," \
	"  id TEXT, name TEXT, provider TEXT, description TEXT, aliases TEXT" \
	");" \
	"DROP TRIGGER " p "_search_insert;" \
	"DROP TRIGGER " p "_search_update;" \
	"DROP TRIGGER " p "_search_delete;" \
	"CREATE TRIGGER " p "_search_insert AFTER INSERT ON " t \
	"  WHEN NOT EXISTS (SELECT 1 FROM " p "_keys WHERE id = NEW.id) BEGIN" \
	"  INSERT INTO " p "_keys(id) VALUES (NEW.id);" \
	"  INSERT INTO " p "_fts(rowid, id, name, provider, description," \
	"   aliases) SELECT k.key, NEW.id, NEW.name, NEW.provider," \
	"   NEW.description, " SEARCH_ALIASES("NEW") " FROM " p "_keys AS k" \
	"   WHERE k.id = NEW.id AND NOT EXISTS (SELECT 1 FROM " p "_fts_dirty" \
	"   AS d WHERE d.key = k.key);" \
	"  END;" \
	SEARCH_UPDATE_ON(t, p) \
	SEARCH_DIRTY(p, "OLD") \
	"  END;" \
	"CREATE TRIGGER " p "_search_delete AFTER DELETE ON " t " BEGIN" \
	SEARCH_DIRTY(p, "OLD") \
	"  DELETE FROM " p "_keys WHERE id = OLD.id;" \
	"  END;"

/*
 * The schema, one step per version: step i takes user_version i to i+1,
 * in one transaction with the user_version bump. Steps are never edited
 * once released; a change of schema is a new step at the end.
 */
static const char *const db_migrations[] = {
	/* 0 -> 1: the first schema. */
	"CREATE TABLE models ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK(length(id) BETWEEN 1 AND 255),"
	"  name TEXT NOT NULL,"
	"  provider TEXT NOT NULL DEFAULT '',"
	"  description TEXT NOT NULL DEFAULT '',"
	"  context_length INTEGER CHECK(context_length IS NULL OR"
	"    (typeof(context_length) = 'integer' AND context_length >= 0)),"
	"  prompt_price REAL CHECK(prompt_price IS NULL OR"
	"    (typeof(prompt_price) = 'real' AND prompt_price >= 0)),"
	"  completion_price REAL CHECK(completion_price IS NULL OR"
	"    (typeof(completion_price) = 'real' AND completion_price >= 0)),"
	"  features INTEGER NOT NULL DEFAULT 0"
	"    CHECK(typeof(features) = 'integer' AND features >= 0),"
	"  aliases TEXT NOT NULL DEFAULT '[]'"
	"    CHECK(json_valid(aliases) AND json_type(aliases) = 'array'),"
	"  status TEXT NOT NULL CHECK(status IN ('active', 'inactive')),"
	"  is_default INTEGER CHECK(is_default IS NULL OR is_default = 1),"
	"  status_source TEXT NOT NULL"
	"    CHECK(status_source IN ('seed', 'manual', 'auto')),"
	"  added_at INTEGER NOT NULL,"
	"  status_changed_at INTEGER NOT NULL,"
	"  last_seen_at INTEGER,"
	"  CHECK(is_default IS NULL OR status = 'active')"
	");"
	/* At most one default, by the schema: a partial unique index. */
	"CREATE UNIQUE INDEX models_one_default ON models(is_default)"
	"  WHERE is_default = 1;"
	/* Defence in depth: the rules layer refuses first, with a better message. */
	"CREATE TRIGGER models_keep_default BEFORE DELETE ON models"
	"  WHEN OLD.is_default = 1 BEGIN"
	"  SELECT RAISE(ABORT, 'the default model cannot be deleted');"
	"  END;"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  uid INTEGER,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  model TEXT,"
	"  field TEXT,"
	"  old TEXT,"
	"  new TEXT"
	");"
	"CREATE TABLE state ("
	"  key TEXT PRIMARY KEY NOT NULL,"
	"  value TEXT NOT NULL"
	");"
	"PRAGMA application_id = 1297237319;",	/* DB_APPLICATION_ID */

	/*
	 * 1 -> 2: the discovery catalog, ZDR, uptime samples and events.
	 * ZDR and health are derived (from zdr_slugs and the latest sample),
	 * never copied onto models, so they cannot disagree.
	 */
	"ALTER TABLE models ADD COLUMN canonical_slug TEXT;"
	"ALTER TABLE models ADD COLUMN delisted INTEGER NOT NULL DEFAULT 0"
	"  CHECK(delisted IN (0, 1));"
	/* The discovery catalog: the last good catalog refresh, whole. */
	"CREATE TABLE catalog ("
	"  id TEXT PRIMARY KEY NOT NULL CHECK(length(id) BETWEEN 1 AND 255),"
	"  canonical_slug TEXT,"
	"  name TEXT NOT NULL,"
	"  provider TEXT NOT NULL DEFAULT '',"
	"  description TEXT NOT NULL DEFAULT '',"
	"  context_length INTEGER,"
	"  prompt_price REAL,"
	"  completion_price REAL,"
	"  features INTEGER NOT NULL DEFAULT 0,"
	"  aliases TEXT NOT NULL DEFAULT '[]',"
	"  first_seen INTEGER NOT NULL,"
	"  last_seen INTEGER NOT NULL"
	");"
	"CREATE INDEX catalog_slug ON catalog(canonical_slug);"
	/* The canonical slugs of the last good ZDR response. */
	"CREATE TABLE zdr_slugs ("
	"  slug TEXT PRIMARY KEY NOT NULL"
	") WITHOUT ROWID;"
	/* Uptime samples; health is green, yellow, red or unknown. */
	"CREATE TABLE uptime_samples ("
	"  model TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  uptime REAL CHECK(uptime IS NULL OR (uptime >= 0 AND uptime <= 100)),"
	"  health TEXT NOT NULL"
	"    CHECK(health IN ('green', 'yellow', 'red', 'unknown'))"
	");"
	"CREATE INDEX uptime_samples_model_at ON uptime_samples(model, at);"
	"CREATE INDEX uptime_samples_at ON uptime_samples(at);"
	/* Events; details is a JSON object. */
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  model TEXT,"
	"  message TEXT NOT NULL,"
	"  details TEXT NOT NULL DEFAULT '{}'"
	"    CHECK(json_valid(details) AND json_type(details) = 'object')"
	");"
	"CREATE INDEX events_at ON events(at);"
	"CREATE INDEX events_kind_at ON events(kind, at);"
	/*
	 * What the read side shows of a model: its row, plus ZDR (null until
	 * a ZDR refresh has succeeded; the slug is the model's, else its
	 * catalog entry's, else its id) and the latest uptime sample.
	 */
	"CREATE VIEW model_view AS SELECT m.*,"
	"  coalesce(m.canonical_slug, c.canonical_slug) AS slug,"
	"  CASE WHEN NOT EXISTS (SELECT 1 FROM state WHERE key = 'zdr_last_ok')"
	"    THEN NULL"
	"    WHEN EXISTS (SELECT 1 FROM zdr_slugs AS z WHERE z.slug ="
	"      coalesce(m.canonical_slug, c.canonical_slug, m.id)) THEN 1"
	"    ELSE 0 END AS zdr,"
	"  coalesce((SELECT s.health FROM uptime_samples AS s WHERE s.model = m.id"
	"    ORDER BY s.at DESC LIMIT 1), 'unknown') AS health,"
	"  (SELECT s.uptime FROM uptime_samples AS s WHERE s.model = m.id"
	"    ORDER BY s.at DESC LIMIT 1) AS uptime_30m"
	"  FROM models AS m LEFT JOIN catalog AS c ON c.id = m.id;",

	/*
	 * 2 -> 3 (issue 6). First, for the ZDR hold: why the daemon set a model's
	 * status, when it did so for a reason it may undo by itself
	 * ('zdr_held': deactivated while a ZDR response is held, reactivated
	 * when a valid list names it again). NULL when there is none; every
	 * status change clears it unless it sets its own. model_view's m.*
	 * shows it.
	 */
	"ALTER TABLE models ADD COLUMN status_reason TEXT"
	"  CHECK(status_reason IS NULL OR"
	"    length(status_reason) BETWEEN 1 AND 64);"
	/*
	 * Also 2 -> 3: what kind of model it is, the catalog's other prices,
	 * and when it expires. expiring_raised and expired_raised hold the
	 * expires_at that model.expiring and model.expired were raised for,
	 * so a restart does not raise them again and a new date re-arms them.
	 * model_view's m.* picks the new columns up.
	 */
	"ALTER TABLE models ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat'"
	"  CHECK(kind IN ('chat', 'embedding', 'moderation', 'ocr', 'image',"
	"  'audio', 'other'));"
	"ALTER TABLE models ADD COLUMN prices TEXT NOT NULL DEFAULT '{}'"
	"  CHECK(json_valid(prices) AND json_type(prices) = 'object');"
	"ALTER TABLE models ADD COLUMN expires_at INTEGER"
	"  CHECK(expires_at IS NULL OR typeof(expires_at) = 'integer');"
	"ALTER TABLE models ADD COLUMN expiring_raised INTEGER;"
	"ALTER TABLE models ADD COLUMN expired_raised INTEGER;"
	"ALTER TABLE catalog ADD COLUMN kind TEXT NOT NULL DEFAULT 'chat';"
	"ALTER TABLE catalog ADD COLUMN prices TEXT NOT NULL DEFAULT '{}';"
	"ALTER TABLE catalog ADD COLUMN expires_at INTEGER;"
	/*
	 * The default is a chat model. A trigger, not a CHECK: a catalog
	 * that reclassifies the default must not make every refresh fail;
	 * what is refused is making a non-chat model the default.
	 */
	"CREATE TRIGGER models_default_is_chat BEFORE UPDATE OF is_default"
	"  ON models WHEN NEW.is_default = 1 AND NEW.kind <> 'chat' BEGIN"
	"  SELECT RAISE(ABORT, 'the default must be a chat model');"
	"  END;"
	"CREATE TRIGGER models_default_is_chat_insert BEFORE INSERT ON models"
	"  WHEN NEW.is_default = 1 AND NEW.kind <> 'chat' BEGIN"
	"  SELECT RAISE(ABORT, 'the default must be a chat model');"
	"  END;",

	/*
	 * 3 -> 4 (issue 8): naming a model is an index lookup. The JSON
	 * column aliases stays what a source wrote (LIST shows it); the
	 * triggers of ALIAS_SCHEMA derive two tables from it: model_aliases,
	 * the one model an alias names, and model_aliases_shadowed, the other
	 * models that list it too, oldest claim first. An alias keeps naming
	 * the model that listed it first; when that model drops it (or is
	 * deleted) the oldest shadowed claim takes it over. Filled here in id
	 * order, so every alias keeps naming the model it named before (the
	 * smallest id). The same for catalog entries.
	 */
	ALIAS_SCHEMA("models", "model_aliases", "model")
	ALIAS_FILL("models", "model_aliases", "model")
	ALIAS_SCHEMA("catalog", "catalog_aliases", "entry")
	ALIAS_FILL("catalog", "catalog_aliases", "entry")
	/*
	 * Also 3 -> 4: the sort keys of LIST and CATALOG, each in both
	 * directions with ties by ascending id (the ORDER BY of db_sort_sql),
	 * so that a sorted page is read off an index, not sorted; and the
	 * filters (provider shares the provider sort's index).
	 */
	SORT_INDEXES("models") SORT_INDEX("models", "status", "status")
	"CREATE INDEX models_kind ON models(kind);"
	SORT_INDEXES("catalog")
	"CREATE INDEX catalog_kind ON catalog(kind);"
	/*
	 * Also 3 -> 4: free-text search. A contentless FTS5 table with the
	 * trigram tokenizer (substrings of 3 and more characters, any case)
	 * over id, name, provider, description and the aliases, keyed by a
	 * key table with an INTEGER PRIMARY KEY (a rowid VACUUM keeps).
	 */
	SEARCH_SCHEMA("models", "model")
	SEARCH_FILL("models", "model")
	SEARCH_SCHEMA("catalog", "catalog")
	SEARCH_FILL("catalog", "catalog"),

	/*
	 * 4 -> 5 (issue 9, per-model settings): the organisation's label
	 * and default parameters of a model (enforced: a bit per parameter,
	 * in settings.h's order, each only when that parameter is set), and
	 * its organisation aliases. Both go with the model (ON DELETE
	 * CASCADE); seeds and catalog refreshes never write them. The
	 * ranges repeat settings.c's, as the schema's copy.
	 */
	"CREATE TABLE model_settings ("
	"  model TEXT PRIMARY KEY NOT NULL REFERENCES models(id)"
	"    ON DELETE CASCADE ON UPDATE CASCADE,"
	"  label TEXT CHECK(label IS NULL OR length(label) BETWEEN 1 AND 64),"
	"  temperature REAL CHECK(temperature IS NULL OR"
	"    temperature BETWEEN 0 AND 2),"
	"  top_p REAL CHECK(top_p IS NULL OR top_p BETWEEN 0 AND 1),"
	"  max_tokens INTEGER CHECK(max_tokens IS NULL OR"
	"    (typeof(max_tokens) = 'integer' AND max_tokens >= 1)),"
	"  frequency_penalty REAL CHECK(frequency_penalty IS NULL OR"
	"    frequency_penalty BETWEEN -2 AND 2),"
	"  presence_penalty REAL CHECK(presence_penalty IS NULL OR"
	"    presence_penalty BETWEEN -2 AND 2),"
	"  enforced INTEGER NOT NULL DEFAULT 0 CHECK(typeof(enforced) = 'integer'"
	"    AND enforced BETWEEN 0 AND 31"
	"    AND ((enforced & 1) = 0 OR temperature IS NOT NULL)"
	"    AND ((enforced & 2) = 0 OR top_p IS NOT NULL)"
	"    AND ((enforced & 4) = 0 OR max_tokens IS NOT NULL)"
	"    AND ((enforced & 8) = 0 OR frequency_penalty IS NOT NULL)"
	"    AND ((enforced & 16) = 0 OR presence_penalty IS NOT NULL)),"
	"  updated_at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	/*
	 * One namespace: an organisation alias names one model, and SET
	 * refuses a name that is a model's id or alias, or a catalog
	 * entry's. A name a source brings later (a new model's id, a
	 * catalog alias) does not take it over: names resolve through
	 * model_org_aliases first (RESOLVE_SQL), and the triggers below
	 * raise alias.conflict so that a person sees it.
	 */
	"CREATE TABLE model_org_aliases ("
	"  alias TEXT PRIMARY KEY NOT NULL"
	"    CHECK(length(alias) BETWEEN 1 AND 200),"
	"  model TEXT NOT NULL REFERENCES models(id)"
	"    ON DELETE CASCADE ON UPDATE CASCADE,"
	"  added_at INTEGER NOT NULL"
	") WITHOUT ROWID;"
	"CREATE INDEX model_org_aliases_model ON model_org_aliases(model, alias);"
	/*
	 * A model with an organisation alias has a settings row, so a
	 * record reads model_org_aliases only for the models that have one
	 * (MODEL_SETTINGS_COLS), whoever adds the alias.
	 */
	"CREATE TRIGGER model_org_aliases_row AFTER INSERT ON model_org_aliases"
	"  BEGIN"
	"  INSERT INTO model_settings(model, updated_at)"
	"   VALUES (NEW.model, NEW.added_at) ON CONFLICT(model) DO NOTHING;"
	"  END;"
	"CREATE TRIGGER model_org_aliases_id_conflict AFTER INSERT ON models"
	"  WHEN EXISTS (SELECT 1 FROM model_org_aliases WHERE alias = NEW.id)"
	"  BEGIN"
	"  INSERT INTO events(at, kind, model, message, details)"
	"   SELECT CAST(strftime('%s', 'now') AS INTEGER), 'alias.conflict',"
	"   o.model, 'the organisation alias ' || o.alias || ' is now also the"
	" id of a new model; it keeps naming this model: unset the alias to"
	" reach the new model by its id',"
	"   json_object('alias', o.alias, 'conflict', 'id', 'other', NEW.id)"
	"   FROM model_org_aliases AS o WHERE o.alias = NEW.id;"
	"  END;"
	"CREATE TRIGGER model_org_aliases_alias_conflict AFTER INSERT ON"
	"  model_aliases WHEN EXISTS (SELECT 1 FROM model_org_aliases AS o"
	"  WHERE o.alias = NEW.alias AND o.model <> NEW.model) BEGIN"
	"  INSERT INTO events(at, kind, model, message, details)"
	"   SELECT CAST(strftime('%s', 'now') AS INTEGER), 'alias.conflict',"
	"   o.model, 'the organisation alias ' || o.alias || ' is now also a"
	" catalog alias of ' || NEW.model || '; it keeps naming this model',"
	"   json_object('alias', o.alias, 'conflict', 'catalog alias', 'other',"
	"   NEW.model) FROM model_org_aliases AS o WHERE o.alias = NEW.alias;"
	"  END;"
	/*
	 * Also 4 -> 5 (issue 9, API keys). First, a model's identity: model_ids
	 * has a row per id the registry ever held, with its generation (1,
	 * then one more each time a deleted id comes back) and, while it is
	 * deleted, when and by whom (the DELETE's audit row, written just
	 * before it; a raw DELETE leaves the actor NULL). Triggers keep it
	 * whoever writes models. A key's grant names (id, generation), so a
	 * model synced later under a deleted id is not reached by it; and
	 * RESOLVE's fallback knows the deleted ids. An upgraded registry
	 * learns its earlier deletions from the audit log.
	 */
	"CREATE TABLE model_ids ("
	"  id TEXT PRIMARY KEY NOT NULL,"
	"  gen INTEGER NOT NULL CHECK(gen >= 1),"
	"  deleted_at INTEGER,"
	"  deleted_uid INTEGER,"
	"  deleted_by TEXT"
	") WITHOUT ROWID;"
	"INSERT INTO model_ids(id, gen) SELECT id, 1 FROM models;"
	"INSERT OR IGNORE INTO model_ids(id, gen, deleted_at, deleted_uid,"
	"  deleted_by) SELECT model, 1, max(at), uid, actor FROM audit"
	"  WHERE action = 'delete' AND model IS NOT NULL"
	"  AND model NOT IN (SELECT id FROM models) GROUP BY model;"
	"CREATE TRIGGER model_ids_insert AFTER INSERT ON models BEGIN"
	"  INSERT INTO model_ids(id, gen) VALUES (NEW.id, 1)"
	"   ON CONFLICT(id) DO UPDATE SET"
	"   gen = gen + (deleted_at IS NOT NULL), deleted_at = NULL,"
	"   deleted_uid = NULL, deleted_by = NULL;"
	"  END;"
	"CREATE TRIGGER model_ids_delete AFTER DELETE ON models BEGIN"
	"  UPDATE model_ids SET"
	"   deleted_at = coalesce((SELECT at FROM audit WHERE id ="
	"    (SELECT max(id) FROM audit) AND action = 'delete'"
	"    AND model = OLD.id), unixepoch()),"
	"   deleted_uid = (SELECT uid FROM audit WHERE id ="
	"    (SELECT max(id) FROM audit) AND action = 'delete'"
	"    AND model = OLD.id),"
	"   deleted_by = (SELECT actor FROM audit WHERE id ="
	"    (SELECT max(id) FROM audit) AND action = 'delete'"
	"    AND model = OLD.id)"
	"   WHERE id = OLD.id;"
	"  END;"
	/*
	 * Also 4 -> 5: the keys. A key's secrets are kept only as SHA-256
	 * digests, one row each, keyed by the digest (the lookup of every
	 * RESOLVE is one index seek): the current one (until NULL) and, after
	 * a rotation with a grace period, the old one until it ends. Revoked
	 * keys stay, so that their secret is refused as revoked and their
	 * name stays in the audit log's sense. A grant names a model id and
	 * the generation of model_ids it was given for.
	 */
	"CREATE TABLE api_keys ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL UNIQUE CHECK(length(name) BETWEEN 1 AND 64),"
	"  all_models INTEGER NOT NULL DEFAULT 0 CHECK(all_models IN (0, 1)),"
	"  note TEXT NOT NULL DEFAULT '' CHECK(length(note) <= 256),"
	"  created_at INTEGER NOT NULL,"
	"  created_uid INTEGER,"
	"  created_by TEXT NOT NULL,"
	"  expires_at INTEGER,"
	"  last_used_at INTEGER,"
	"  revoked_at INTEGER,"
	"  revoked_by TEXT"
	");"
	"CREATE TABLE api_key_secrets ("
	"  hash BLOB PRIMARY KEY NOT NULL"
	"    CHECK(typeof(hash) = 'blob' AND length(hash) = 32),"
	"  key INTEGER NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,"
	"  until INTEGER"
	") WITHOUT ROWID;"
	"CREATE INDEX api_key_secrets_key ON api_key_secrets(key);"
	"CREATE TABLE api_key_models ("
	"  key INTEGER NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,"
	"  model TEXT NOT NULL,"
	"  gen INTEGER NOT NULL,"
	"  PRIMARY KEY (key, model)"
	") WITHOUT ROWID;"
	/* Also 4 -> 5 (issue 8): cheap triggers for a bulk import; see SEARCH_SCHEMA5. */
	ALIAS_INSERT5("models", "model_aliases", "model")
	ALIAS_INSERT5("catalog", "catalog_aliases", "entry")
	SEARCH_SCHEMA5("models", "model")
	SEARCH_SCHEMA5("catalog", "catalog")
	/*
	 * Also 4 -> 5 (issue 8): a provider's models by name (LIST's default
	 * order) and by price, read off an index. LIST provider=X sort=price
	 * limit=100 found X's rows in the provider index and sorted them,
	 * reading every row for its price (2,000 table pages at 100k
	 * models); with the provider first and the sort key after it, the
	 * page is a range of limit entries. Both directions, ties by
	 * ascending id (db_sort_sql). Only these two keys and only models:
	 * every index is paid for by every import (each row written writes
	 * an entry), and the other orders within a provider (context,
	 * status, and CATALOG's) cost one provider's rows, which the plan of
	 * reg_cursor.c keeps to a sort of at most 2,048 of them.
	 */
	PROVIDER_SORT_INDEX("models", "name", "name COLLATE NOCASE")
	"CREATE INDEX models_provider_price ON models(provider COLLATE NOCASE,"
	"  prompt_price IS NULL, prompt_price, id);"
	"CREATE INDEX models_provider_price_desc ON models(provider COLLATE"
	"  NOCASE, prompt_price IS NULL, prompt_price DESC, id);",

	/*
	 * 5 -> 6 (issue 9 item 4): RESOLVE's sessions and counters, written
	 * by the batch writer (reg_sessions.c) once a second, never per
	 * request. A session is per key (key_id 0: RESOLVE without key=)
	 * and names its model by id, with no foreign key: a session on a
	 * deleted model (DELETE --force, a ZDR removal) must still say what
	 * it was on, so that its next RESOLVE falls back with requested=
	 * that id (orphan 1: it no longer counts for the id). Counts are
	 * totals per model id, key and reason, kept after a delete (they are
	 * statistics of what was answered).
	 */
	"CREATE TABLE sessions ("
	"  key_id INTEGER NOT NULL,"
	"  id TEXT NOT NULL CHECK (length(id) BETWEEN 1 AND 128),"
	"  model TEXT NOT NULL,"
	"  renewed_at INTEGER NOT NULL,"
	"  orphan INTEGER NOT NULL DEFAULT 0 CHECK (orphan IN (0, 1)),"
	"  PRIMARY KEY (key_id, id)"
	") WITHOUT ROWID;"
	"CREATE INDEX sessions_renewed ON sessions(renewed_at);"
	"CREATE TABLE resolve_counts ("
	"  model TEXT NOT NULL,"
	"  key_id INTEGER NOT NULL,"
	"  reason TEXT NOT NULL CHECK (reason IN ('requested', 'default',"
	"   'fallback', 'failover')),"
	"  n INTEGER NOT NULL CHECK (n >= 0),"
	"  last_at INTEGER NOT NULL,"
	"  PRIMARY KEY (model, key_id, reason)"
	") WITHOUT ROWID;"
	"CREATE INDEX resolve_counts_key ON resolve_counts(key_id);",

	/*
	 * 6 -> 7 (issue 10 item 2): spending caps, one per model id or per
	 * key (reg_caps.c). A cap keeps its current period (start, end) and
	 * what was spent in it, and what it has done in that period: warned
	 * (cap.warning raised), exceeded (cap.exceeded raised), tripped (it
	 * deactivated its model). period is a calendar period in UTC, or
	 * 'window': window_secs long, counted from anchor (when it was set).
	 * A model's cap names the id, with no foreign key, as grants do: a
	 * cap outlives a deletion and holds for a model synced again. A
	 * key's limited_until is when RESOLVE stops answering ERR limit for
	 * it: read with the key (struct reg_key), no query more.
	 */
	"CREATE TABLE caps ("
	"  id INTEGER PRIMARY KEY,"
	"  model TEXT UNIQUE CHECK(model IS NULL OR length(model) BETWEEN 1 AND 255),"
	"  key_id INTEGER UNIQUE REFERENCES api_keys(id) ON DELETE CASCADE,"
	"  amount REAL NOT NULL CHECK(typeof(amount) = 'real' AND amount > 0),"
	"  period TEXT NOT NULL"
	"    CHECK(period IN ('day', 'week', 'month', 'window')),"
	"  window_secs INTEGER NOT NULL DEFAULT 0"
	"    CHECK((period = 'window') = (window_secs > 0) AND window_secs >= 0),"
	"  warn INTEGER NOT NULL DEFAULT 80 CHECK(warn BETWEEN 0 AND 99),"
	"  anchor INTEGER NOT NULL,"
	"  period_start INTEGER NOT NULL,"
	"  period_end INTEGER NOT NULL CHECK(period_end > period_start),"
	"  spent REAL NOT NULL DEFAULT 0 CHECK(spent >= 0),"
	"  warned INTEGER NOT NULL DEFAULT 0 CHECK(warned IN (0, 1)),"
	"  exceeded INTEGER NOT NULL DEFAULT 0 CHECK(exceeded IN (0, 1)),"
	"  tripped INTEGER NOT NULL DEFAULT 0 CHECK(tripped IN (0, 1)),"
	"  set_at INTEGER NOT NULL,"
	"  set_uid INTEGER,"
	"  set_by TEXT NOT NULL,"
	"  CHECK((model IS NULL) <> (key_id IS NULL))"
	");"
	"CREATE INDEX caps_end ON caps(period_end);"
	"ALTER TABLE api_keys ADD COLUMN limited_until INTEGER;"
	/*
	 * Also 6 -> 7 (issue 8, speed): the expiry check (expiry.c, on the
	 * loop after every seed and refresh) read the whole of models four
	 * times to find the few rows with an expiry date: 0.1-0.4 s of the
	 * loop at 100k models, the longest stall of a catalog refresh. A
	 * partial index holds only the rows that have a date, so an import
	 * of rows without one (most of them) writes no entry for it.
	 */
	"CREATE INDEX models_expires ON models(expires_at)"
	"  WHERE expires_at IS NOT NULL;"
	/*
	 * Also (issue 11, items 1-3): tags, collections, a key that
	 * follows a collection, and the batches (a history an undo can
	 * read later). Tags and memberships go with their model (ON DELETE
	 * CASCADE): a model synced again under a deleted id starts with
	 * none, as its grants do. The CHECKs repeat reg_tags.c's name rule
	 * as the schema's copy. A collection a live key names cannot be
	 * deleted (reg_collections.c refuses; the foreign key backs it).
	 */
	"CREATE TABLE model_tags ("
	"  model TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE"
	"    ON UPDATE CASCADE,"
	"  tag TEXT NOT NULL CHECK(length(tag) BETWEEN 1 AND 64"
	"    AND tag NOT GLOB '*[^a-z0-9._-]*' AND tag GLOB '[a-z0-9]*'),"
	"  PRIMARY KEY (model, tag)"
	") WITHOUT ROWID;"
	"CREATE INDEX model_tags_tag ON model_tags(tag, model);"
	"CREATE TABLE collections ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  name TEXT NOT NULL UNIQUE CHECK(length(name) BETWEEN 1 AND 64"
	"    AND name NOT GLOB '*[^A-Za-z0-9._-]*' AND name GLOB '[A-Za-z0-9]*'),"
	"  created_at INTEGER NOT NULL,"
	"  created_by TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE TABLE collection_models ("
	"  collection INTEGER NOT NULL REFERENCES collections(id)"
	"    ON DELETE CASCADE,"
	"  model TEXT NOT NULL REFERENCES models(id) ON DELETE CASCADE"
	"    ON UPDATE CASCADE,"
	"  added_at INTEGER NOT NULL,"
	"  PRIMARY KEY (collection, model)"
	") WITHOUT ROWID;"
	"CREATE INDEX collection_models_model ON collection_models(model,"
	"  collection);"
	"ALTER TABLE api_keys ADD COLUMN collection INTEGER"
	"  REFERENCES collections(id);"
	/*
	 * One row per batch (activate, deactivate, delete) and per switch,
	 * and one per model it changed with the status before and after
	 * ('deleted' for a delete), so a history can list them and an
	 * undo can see whether a model changed since.
	 */
	"CREATE TABLE batches ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at INTEGER NOT NULL,"
	"  uid INTEGER,"
	"  user TEXT NOT NULL,"
	"  action TEXT NOT NULL CHECK(action IN ('activate', 'deactivate',"
	"    'delete', 'switch')),"
	"  selection TEXT NOT NULL,"
	"  changed INTEGER NOT NULL,"
	"  skipped INTEGER NOT NULL DEFAULT 0,"
	"  default_before TEXT,"
	"  default_after TEXT"
	");"
	"CREATE TABLE batch_models ("
	"  batch INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,"
	"  model TEXT NOT NULL,"
	"  before TEXT NOT NULL,"
	"  after TEXT NOT NULL,"
	"  PRIMARY KEY (batch, model)"
	") WITHOUT ROWID;"
	/*
	 * Also (issue 10 item 1, usage.c, reg_usage.c, db_usage.c): what
	 * applications report they used (USAGE), its rollup per model, day
	 * and key, and every model's prices with the interval each was in
	 * force. Self-contained: it names only models and its own tables.
	 *
	 * model_prices is kept by triggers on models, so every path that
	 * writes a price (a seed, a catalog refresh's set-based UPDATE,
	 * SYNC, the sqlite3 shell) records it without touching the import
	 * code: an insert opens an interval, a change of either price closes
	 * the open one and opens the next, a delete closes it. until NULL is
	 * the price in force now.
	 */
	"CREATE TABLE model_prices ("
	"  model TEXT NOT NULL,"
	"  since INTEGER NOT NULL,"
	"  until INTEGER,"
	"  prompt_price REAL,"
	"  completion_price REAL"
	");"
	"CREATE INDEX model_prices_model ON model_prices(model, since);"
	"INSERT INTO model_prices(model, since, prompt_price, completion_price)"
	"  SELECT id, added_at, prompt_price, completion_price FROM models;"
	"CREATE TRIGGER model_prices_insert AFTER INSERT ON models BEGIN"
	"  UPDATE model_prices SET until = unixepoch()"
	"    WHERE model = new.id AND until IS NULL;"
	"  INSERT INTO model_prices(model, since, prompt_price, completion_price)"
	"    VALUES (new.id, unixepoch(), new.prompt_price, new.completion_price);"
	"END;"
	"CREATE TRIGGER model_prices_update AFTER UPDATE OF prompt_price,"
	"  completion_price ON models WHEN old.prompt_price IS NOT"
	"  new.prompt_price OR old.completion_price IS NOT new.completion_price"
	"  BEGIN"
	"  UPDATE model_prices SET until = unixepoch()"
	"    WHERE model = new.id AND until IS NULL;"
	"  INSERT INTO model_prices(model, since, prompt_price, completion_price)"
	"    VALUES (new.id, unixepoch(), new.prompt_price, new.completion_price);"
	"END;"
	"CREATE TRIGGER model_prices_delete AFTER DELETE ON models BEGIN"
	"  UPDATE model_prices SET until = unixepoch()"
	"    WHERE model = old.id AND until IS NULL;"
	"END;"
	/*
	 * One row a report, with the cost computed when it was committed
	 * (priced 0: a price was unknown, and that part cost nothing). key_id
	 * 0 is "no key", as in resolve_counts; no foreign keys, so a report
	 * outlives its model and its key.
	 */
	"CREATE TABLE usage ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  model TEXT NOT NULL,"
	"  key_id INTEGER NOT NULL,"
	"  session TEXT,"
	"  requests INTEGER NOT NULL CHECK (requests >= 1),"
	"  prompt_tokens INTEGER NOT NULL CHECK (prompt_tokens >= 0),"
	"  completion_tokens INTEGER NOT NULL CHECK (completion_tokens >= 0),"
	"  cost REAL NOT NULL CHECK (cost >= 0),"
	"  priced INTEGER NOT NULL CHECK (priced IN (0, 1))"
	");"
	"CREATE INDEX usage_at ON usage(at);"
	/*
	 * The rollup, written in the report's own transaction: SHOW's and
	 * KEY SHOW's month and `usage` read these rows, never the reports
	 * (day: unix days, at / 86400; last_at: the day's latest report).
	 */
	"CREATE TABLE usage_daily ("
	"  model TEXT NOT NULL,"
	"  day INTEGER NOT NULL,"
	"  key_id INTEGER NOT NULL,"
	"  requests INTEGER NOT NULL,"
	"  prompt_tokens INTEGER NOT NULL,"
	"  completion_tokens INTEGER NOT NULL,"
	"  cost REAL NOT NULL,"
	"  last_at INTEGER NOT NULL,"
	"  PRIMARY KEY (model, day, key_id)"
	") WITHOUT ROWID;"
	"CREATE INDEX usage_daily_key ON usage_daily(key_id, day);"
	"CREATE INDEX usage_daily_day ON usage_daily(day);",
	/*
	 * 7 -> 8 (issue 11 item 5, history and undo: reg_history.c). A
	 * CHECK cannot be altered, so batches is made again with 'import'
	 * and 'undo' in it, and three columns: undo_of (the row an undo
	 * reversed), undone_by (the undo that reversed this row: it is
	 * not undone twice) and audit_to (the last audit id when the row
	 * committed: an audit row on one of its models after it means the
	 * model changed since). Rows from before get the last audit id of
	 * their second. batch_models is made again with it, so that its
	 * foreign key names the new table (dropping the old batches while
	 * a table still referred to it would cascade-delete its rows:
	 * foreign keys are on and cannot be turned off in a transaction),
	 * plus saved (a deleted model's row and its dependants as JSON, so
	 * an undo can put it back) and an index by model (a later batch
	 * that touched the model).
	 */
	"CREATE TABLE batches_new ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  at INTEGER NOT NULL,"
	"  uid INTEGER,"
	"  user TEXT NOT NULL,"
	"  action TEXT NOT NULL CHECK(action IN ('activate', 'deactivate',"
	"    'delete', 'switch', 'import', 'undo')),"
	"  selection TEXT NOT NULL,"
	"  changed INTEGER NOT NULL,"
	"  skipped INTEGER NOT NULL DEFAULT 0,"
	"  default_before TEXT,"
	"  default_after TEXT,"
	"  undo_of INTEGER REFERENCES batches_new(id),"
	"  undone_by INTEGER REFERENCES batches_new(id),"
	"  audit_to INTEGER,"
	"  CHECK((action = 'undo') = (undo_of IS NOT NULL))"
	");"
	"INSERT INTO batches_new(id, at, uid, user, action, selection, changed,"
	"  skipped, default_before, default_after, audit_to)"
	"  SELECT id, at, uid, user, action, selection, changed, skipped,"
	"  default_before, default_after,"
	"  (SELECT max(a.id) FROM audit AS a WHERE a.at <= b.at)"
	"  FROM batches AS b;"
	"CREATE TABLE batch_models_new ("
	"  batch INTEGER NOT NULL REFERENCES batches_new(id) ON DELETE CASCADE,"
	"  model TEXT NOT NULL,"
	"  before TEXT NOT NULL,"
	"  after TEXT NOT NULL,"
	"  saved TEXT CHECK(saved IS NULL OR json_valid(saved)),"
	"  PRIMARY KEY (batch, model)"
	") WITHOUT ROWID;"
	"INSERT INTO batch_models_new(batch, model, before, after)"
	"  SELECT batch, model, before, after FROM batch_models;"
	"DROP TABLE batch_models;"
	"DROP TABLE batches;"
	"ALTER TABLE batches_new RENAME TO batches;"
	"ALTER TABLE batch_models_new RENAME TO batch_models;"
	"CREATE INDEX batch_models_model ON batch_models(model, batch);",
	/*
	 * 8 -> 9 (issue 11 item 5, an import in the history and its undo:
	 * reg_import_hist.c). An import changes more than statuses, so its
	 * row keeps the registry's export (export_write's canonical text)
	 * as it was before and after: the undo checks the registry is still
	 * as the import left it and applies the one before. In a table of
	 * its own, so listing the history reads no document (tens of MB at
	 * 100k models); it goes with its row. batch_models gains fields:
	 * what an import changed on the model ("status,label,tags"; NULL
	 * for a batch, whose after says it).
	 */
	"CREATE TABLE batch_exports ("
	"  batch INTEGER PRIMARY KEY REFERENCES batches(id) ON DELETE CASCADE,"
	"  before TEXT NOT NULL,"
	"  after TEXT NOT NULL"
	");"
	"ALTER TABLE batch_models ADD COLUMN fields TEXT;",

	/*
	 * 9 -> 10 (issue 8, import speed): FTS5 keeps a writer's new terms in
	 * a hash of 'hashsize' bytes (1 MiB by default) and writes a level-0
	 * segment each time it fills, to be merged again later. A 100k first
	 * load of the trigram index filled it about 60 times; at 8 MiB it
	 * builds in 0.56 s instead of 0.69 s (the sqlite3 shell on the
	 * benchmark's catalog; 16 and 32 MiB gain nothing more). The setting
	 * is the table's own (its _config row), so every connection has it;
	 * the hash is freed at each commit, and only an import fills it.
	 */
	"INSERT INTO model_fts(model_fts, rank) VALUES ('hashsize', 8388608);"
	"INSERT INTO catalog_fts(catalog_fts, rank) VALUES ('hashsize', 8388608);",

	/* 10 -> 11 (issue 8, import speed): the search index written behind; see SEARCH_SCHEMA11. */
	SEARCH_SCHEMA11("models", "model")
	SEARCH_SCHEMA11("catalog", "catalog"),
};
#define DB_VERSION	((int)(sizeof(db_migrations) / sizeof(db_migrations[0])))

void
db_logerr(sqlite3 *db, const char *what)
{
	log_warnx("database: %s: %s", what, sqlite3_errmsg(db));
}

int
db_exec(sqlite3 *db, const char *sql)
{
	char	*err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("database: %s", err != NULL ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

sqlite3_stmt *
db_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_logerr(db, "prepare");
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Bind text (NULL binds NULL). The string must outlive the step. */
int
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC) == SQLITE_OK ?
	    0 : -1;
}

/* Step a statement that returns no rows, and finalize it. */
int
db_run(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int	 rc;

	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		db_logerr(db, what);
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* Read one integer from a one-row query with no parameters. */
int
db_query_int(sqlite3 *db, const char *sql, int64_t *v)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		db_logerr(db, sql);
		sqlite3_finalize(st);
		return -1;
	}
	*v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

const char *
db_coltext(sqlite3_stmt *st, int i)
{
	const unsigned char	*s;

	s = sqlite3_column_text(st, i);
	return s != NULL ? (const char *)s : "";
}

/* Run the migration steps from the current user_version to target (tests stop early). */
int
db_migrate_to(sqlite3 *db, const char *path, int target)
{
	int64_t		 version, appid, objects;
	char		 sql[64];

	for (;;) {
		/* Read the version inside the write lock: another process may migrate too. */
		if (db_exec(db, "BEGIN IMMEDIATE") == -1)
			return -1;
		if (db_query_int(db, "PRAGMA user_version", &version) == -1 ||
		    db_query_int(db, "PRAGMA application_id", &appid) == -1 ||
		    db_query_int(db, "SELECT count(*) FROM sqlite_schema",
		    &objects) == -1)
			goto fail;
		if (version > DB_VERSION) {
			log_err("%s: schema version %lld is newer than this "
			    "modelregd knows (%d): refusing to use it",
			    path, (long long)version, DB_VERSION);
			goto fail;
		}
		if (version < 0 || (appid != DB_APPLICATION_ID &&
		    (version > 0 || appid != 0 || objects > 0))) {
			log_err("%s: not a modelreg database", path);
			goto fail;
		}
		if (version >= target)
			break;
		log_info("%s: migrating the schema from version %lld to %lld",
		    path, (long long)version, (long long)version + 1);
		if (db_exec(db, db_migrations[version]) == -1)
			goto fail;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
		    (long long)version + 1);
		if (db_exec(db, sql) == -1)
			goto fail;
		if (db_exec(db, "COMMIT") == -1)
			goto fail;
	}
	return db_exec(db, "COMMIT");
fail:
	db_rollback(db);
	return -1;
}

/*
 * The write generation (issue 8: the read path's cache, cache.h): a
 * counter that every commit on any connection of this process moves,
 * the loop's and the import worker's alike, so that no write path can
 * forget to invalidate what the cache keeps. It is moved twice: by the
 * commit hook, before the commit (enough for a connection read on its
 * own thread), and by the WAL hook, which SQLite calls once the commit
 * is in the WAL and the write lock is released, before COMMIT returns:
 * a reader that saw the generation before that second move read a
 * snapshot that may be older, and the move voids what it cached. So a
 * write answered OK (or reported done by the worker) is never hidden
 * by the cache. Installing a WAL hook replaces SQLite's auto-checkpoint
 * hook, so db_gen_wal checkpoints as that one does (PASSIVE, from 1000
 * pages; nothing here sets wal_autocheckpoint, which would remove it).
 * A file database not in WAL mode turns the generation off (0: the
 * cache keeps nothing): without the WAL hook there is no after-commit
 * point to move it at.
 */
static uint64_t	db_gen = 1;
static int	db_gen_off;

uint64_t
db_generation(void)
{
	if (__atomic_load_n(&db_gen_off, __ATOMIC_SEQ_CST))
		return 0;
	return __atomic_load_n(&db_gen, __ATOMIC_SEQ_CST);
}

void
db_generation_bump(void)
{
	__atomic_add_fetch(&db_gen, 1, __ATOMIC_SEQ_CST);
}

/*
 * Issue 9: RESOLVE's batch writer commits sessions, counters and keys'
 * last use, which nothing the cache keeps reads (those values are read
 * from memory): its commit leaves the generation alone, so that a flush
 * a second does not empty the cache a second. Per thread: only the
 * loop's own commit, between db_generation_quiet(1) and (0), is quiet.
 */
static __thread int	db_gen_quiet;

void
db_generation_quiet(int on)
{
	db_gen_quiet = on;
}

static int
db_gen_commit(void *unused)
{
	(void)unused;
	if (!db_gen_quiet)
		db_generation_bump();
	return 0;
}

#define DB_WAL_CHECKPOINT_PAGES	1000	/* SQLite's default auto-checkpoint */

/*
 * Issue 8, import speed: a 100k seed leaves about 30,000 pages in the
 * WAL, and copying them into the database in its commit's WAL hook was
 * a tenth of the seed, before its reply and its seed.done. An import's
 * connection records the WAL's size instead (db_checkpoint_defer), and
 * the job that follows it copies them (import.c); meanwhile no
 * connection checkpoints (db_checkpoint_hold), so that a write on the
 * loop cannot meet those pages in its own commit. Set and cleared on the
 * loop while no job runs; read by the worker's connections.
 */
static int	db_ckpt_held;

void
db_checkpoint_hold(int on)
{
	__atomic_store_n(&db_ckpt_held, on, __ATOMIC_SEQ_CST);
}

static int
db_gen_wal(void *pages_out, sqlite3 *db, const char *name, int pages)
{
	if (!db_gen_quiet)
		db_generation_bump();
	if (pages_out != NULL)
		*(int *)pages_out = pages;
	else if (pages >= DB_WAL_CHECKPOINT_PAGES &&
	    !__atomic_load_n(&db_ckpt_held, __ATOMIC_SEQ_CST))
		(void)sqlite3_wal_checkpoint_v2(db, name,
		    SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

void
db_checkpoint_defer(sqlite3 *db, int *pages)
{
	*pages = 0;
	sqlite3_wal_hook(db, db_gen_wal, pages);
}

int
db_checkpoint_due(int pages)
{
	return pages >= DB_WAL_CHECKPOINT_PAGES;
}

int
db_checkpoint(sqlite3 *db)
{
	int	 rc;

	rc = sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE,
	    NULL, NULL);
	return rc == SQLITE_OK || rc == SQLITE_BUSY ? 0 : -1;
}

/*
 * SQLite counts every allocation for sqlite3_memory_used() and its
 * status calls, under a process-wide mutex; the daemon reads neither
 * (its memory is measured from /proc), and the lock and the counting
 * were a tenth of the instructions of an import's parse (issue 11:
 * callgrind of a 10k parse, 2.08 -> 1.86 billion). Without them SQLite
 * also has no soft heap limit, which the daemon never sets.
 */
int
db_library_init(void)
{
	return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK ? 0 : -1;
}

sqlite3 *
db_open(const char *path)
{
	sqlite3		*db = NULL;
	sqlite3_stmt	*st;
	int		 rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_err("%s: cannot open the database: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	/* Harden: no schema tricks, no double-quoted string literals. */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DML, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DQS_DDL, 0, NULL);
	sqlite3_busy_timeout(db, 5000);

	/*
	 * The first statement reads the file header: a file that is not a
	 * database fails here, with SQLite's "file is not a database".
	 */
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK)
		goto bad;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		goto bad;
	}
	if (strcmp(path, ":memory:") != 0 &&
	    strcmp(db_coltext(st, 0), "wal") != 0) {
		log_warnx("%s: journal mode is %s, not wal", path,
		    db_coltext(st, 0));
		__atomic_store_n(&db_gen_off, 1, __ATOMIC_SEQ_CST);
	}
	sqlite3_finalize(st);
	sqlite3_commit_hook(db, db_gen_commit, NULL);
	sqlite3_wal_hook(db, db_gen_wal, NULL);

	/*
	 * In WAL mode synchronous=NORMAL may lose the last commits on power
	 * loss; FULL syncs the WAL at every commit, so a change we answered
	 * OK to is on disk.
	 */
	if (db_exec(db, "PRAGMA synchronous = FULL") == -1 ||
	    db_exec(db, "PRAGMA foreign_keys = ON") == -1)
		goto bad;
	if (db_migrate_to(db, path, DB_VERSION) == -1)
		goto fail;
	if (db_aliases_init(db) == -1)
		goto fail;
	if (db_settings_init(db) == -1)
		goto fail;
	return db;
bad:
	log_err("%s: cannot use the database: %s", path, sqlite3_errmsg(db));
fail:
	db_close(db);
	return NULL;
}

/*
 * The statement cache: the hot lookups (resolve a name, SHOW, the default,
 * the counts) are prepared once per connection and reused. A connection
 * takes a slot when it first caches a statement and gives it back in
 * db_close; a slot is claimed with a compare-and-swap, so connections
 * opened by other threads cannot take the same one. Statements of one
 * connection are used by the thread that uses the connection.
 */
#define DB_CACHE_SLOTS	16
static struct db_cache {
	sqlite3		*db;
	sqlite3_stmt	*st[DB_STMT_MAX];
} db_caches[DB_CACHE_SLOTS];

static struct db_cache *
db_cache_find(sqlite3 *db, int claim)
{
	size_t	 i;

	for (i = 0; i < DB_CACHE_SLOTS; i++)
		if (db_caches[i].db == db)
			return &db_caches[i];
	if (!claim)
		return NULL;
	for (i = 0; i < DB_CACHE_SLOTS; i++)
		if (__sync_bool_compare_and_swap(&db_caches[i].db, NULL, db))
			return &db_caches[i];
	return NULL;
}

sqlite3_stmt *
db_stmt(sqlite3 *db, enum db_stmt_id id, const char *sql)
{
	struct db_cache	*c;

	if ((unsigned)id >= DB_STMT_MAX)
		return NULL;
	/* Without a free slot the statement is prepared for this use only. */
	if ((c = db_cache_find(db, 1)) == NULL)
		return db_prepare(db, sql);
	if (c->st[id] == NULL)
		c->st[id] = db_prepare(db, sql);
	return c->st[id];
}

/*
 * Step a one-row, one-column query: 0 and *v its integer, 1 no row, -1
 * an error (logged with what). Hands st back (db_stmt_done) either way.
 */
int
db_stmt_int64(sqlite3 *db, sqlite3_stmt *st, int64_t *v, const char *what)
{
	int	 rc, r;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(st, 0);
		r = 0;
	} else if (rc == SQLITE_DONE)
		r = 1;
	else {
		db_logerr(db, what);
		r = -1;
	}
	db_stmt_done(db, st);
	return r;
}

void
db_stmt_done(sqlite3 *db, sqlite3_stmt *st)
{
	struct db_cache	*c;
	size_t		 i;

	if (st == NULL)
		return;
	if ((c = db_cache_find(db, 0)) != NULL)
		for (i = 0; i < DB_STMT_MAX; i++)
			if (c->st[i] == st) {
				/* Reset, so it holds no read transaction open. */
				sqlite3_reset(st);
				sqlite3_clear_bindings(st);
				return;
			}
	sqlite3_finalize(st);
}

int
db_stmt_cached(sqlite3 *db)
{
	struct db_cache	*c;
	size_t		 i;
	int		 n = 0;

	if ((c = db_cache_find(db, 0)) == NULL)
		return 0;
	for (i = 0; i < DB_STMT_MAX; i++)
		if (c->st[i] != NULL)
			n++;
	return n;
}

void
db_close(sqlite3 *db)
{
	struct db_cache	*c;
	sqlite3_stmt	*st;
	size_t		 i;

	if (db == NULL)
		return;
	/* The cached statements first: they are not leftovers. */
	if ((c = db_cache_find(db, 0)) != NULL) {
		for (i = 0; i < DB_STMT_MAX; i++) {
			sqlite3_finalize(c->st[i]);
			c->st[i] = NULL;
		}
		__sync_synchronize();
		c->db = NULL;
	}
	/*
	 * Close first: that disconnects the FTS5 tables, which finalize
	 * their own statements (finalizing those here would free them twice).
	 */
	if (sqlite3_close(db) == SQLITE_OK)
		return;
	/* Every statement is finalized where it is used; one left here is a bug, but must not keep the file open. */
	while ((st = sqlite3_next_stmt(db, NULL)) != NULL) {
		log_warnx("database: finalizing a leftover statement: %s",
		    sqlite3_sql(st));
		sqlite3_finalize(st);
	}
	if (sqlite3_close(db) != SQLITE_OK)
		log_err("database: close: %s", sqlite3_errmsg(db));
}

int
db_schema_version(sqlite3 *db)
{
	int64_t	 v;

	if (db_query_int(db, "PRAGMA user_version", &v) == -1)
		return -1;
	return (int)v;
}

int
db_begin(sqlite3 *db)
{
	return db_exec(db, "BEGIN IMMEDIATE");
}

int
db_commit(sqlite3 *db)
{
	return db_exec(db, "COMMIT");
}

void
db_rollback(sqlite3 *db)
{
	/* A failed COMMIT may already have rolled back: then there is nothing to do. */
	if (!sqlite3_get_autocommit(db))
		(void)db_exec(db, "ROLLBACK");
}

int
db_state_set(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt	*st;

	if (value == NULL)
		st = db_prepare(db, "DELETE FROM state WHERE key = ?1");
	else
		st = db_prepare(db, "INSERT INTO state(key, value)"
		    " VALUES (?1, ?2)"
		    " ON CONFLICT(key) DO UPDATE SET value = excluded.value"
		    " WHERE value IS NOT excluded.value");	/* the same value writes nothing */
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, key) == -1 ||
	    (value != NULL && db_bind_text(st, 2, value) == -1)) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "state");
}

int
db_state_set_once(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt	*st;

	st = db_prepare(db, "INSERT INTO state(key, value) VALUES (?1, ?2)"
	    " ON CONFLICT(key) DO NOTHING");
	if (st == NULL)
		return -1;
	if (db_bind_text(st, 1, key) == -1 || db_bind_text(st, 2, value) == -1) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "state");
}

char *
db_state_get(sqlite3 *db, const char *key)
{
	sqlite3_stmt	*st;
	char		*v = NULL;
	int		 rc;

	if ((st = db_stmt(db, DB_STMT_STATE_GET, "SELECT value FROM state"
	    " WHERE key = ?1")) == NULL)
		return NULL;
	if (db_bind_text(st, 1, key) == -1)
		goto done;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((v = strdup(db_coltext(st, 0))) == NULL)
			log_warn("database: state");
	} else if (rc != SQLITE_DONE)
		db_logerr(db, "state");
done:
	db_stmt_done(db, st);
	return v;
}

int
db_bind_actor(sqlite3_stmt *st, int iuid, int iuser, const struct actor *a)
{
	if (sqlite3_bind_int64(st, iuid, (int64_t)a->uid) != SQLITE_OK)
		return -1;
	return db_bind_text(st, iuser, a->user != NULL ? a->user : "unknown");
}

const char *
db_sort_sql(enum reg_sort sort)
{
	switch (sort) {
	case SORT_NAME:
		return "name COLLATE NOCASE ";
	case SORT_PROVIDER:
		return "provider COLLATE NOCASE ";
	case SORT_CONTEXT:
		/* Unknown numbers last, in both directions. */
		return "context_length IS NULL, context_length ";
	case SORT_PRICE:
		return "prompt_price IS NULL, prompt_price ";
	case SORT_STATUS:
		/* 'active' < 'inactive': ascending puts active first. */
		return "status ";
	}
	return NULL;
}

/* Characters, not bytes, of a UTF-8 string: the trigram index needs 3. */
static size_t
db_utf8_chars(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

int
db_filter_sql(struct buf *sql, const char *tbl, const char *fts,
    const char *provider, const char *search)
{
	return db_filter_plan_sql(sql, tbl, fts, provider, search, 0);
}

/*
 * db_filter_sql, and with noindex the same rows found another way: the
 * provider term is written +provider (no index may use it) and search=
 * skips the trigram candidates, keeping the exact instr() test, so the
 * sort key's index drives the query (reg_cursor.c picks this plan when
 * the filters keep many rows). The candidates are the index's matches and
 * the keys whose text it does not have yet (P_fts_dirty, schema 11).
 */
int
db_filter_plan_sql(struct buf *sql, const char *tbl, const char *fts,
    const char *provider, const char *search, int noindex)
{
	if (provider != NULL && buf_printf(sql, " AND %sprovider = :provider"
	    " COLLATE NOCASE", noindex ? "+" : "") == -1)
		return -1;
	if (search == NULL)
		return 0;
	/*
	 * Three characters or more: the trigram index finds the candidates
	 * (a superset: it folds case beyond ASCII), and the instr() test
	 * below keeps exactly the rows it always kept. Shorter text cannot
	 * use trigrams and reads every row, as before.
	 */
	if (!noindex && db_utf8_chars(search) >= 3 && buf_printf(sql,
	    " AND %s.id IN (SELECT k.id FROM %s_keys AS k WHERE k.key IN"
	    " (SELECT rowid FROM %s_fts WHERE %s_fts MATCH :ftsq"
	    " UNION ALL SELECT key FROM %s_fts_dirty))", tbl, fts, fts, fts,
	    fts) == -1)
		return -1;
	/* instr(), not LIKE: % and _ in the user's text are plain characters. */
	if (buf_printf(sql,
	    " AND (instr(lower(id), lower(:search)) > 0"
	    " OR instr(lower(name), lower(:search)) > 0"
	    " OR instr(lower(provider), lower(:search)) > 0"
	    " OR instr(lower(description), lower(:search)) > 0"
	    " OR EXISTS (SELECT 1 FROM json_each(%s.aliases) AS j"
	    "  WHERE instr(lower(j.value), lower(:search)) > 0))", tbl) == -1)
		return -1;
	return 0;
}

/*
 * The MATCH of a search text for the trigram index: every trigram of it,
 * each a quoted string, joined by AND (schema 5's index has no positions,
 * so no phrase), at most DB_SEARCH_TRIGRAMS of them. A row that holds the
 * text holds each of its trigrams, so this finds a superset of the rows;
 * the instr() test keeps the exact ones. -1 when out of memory.
 */
#define DB_SEARCH_TRIGRAMS	24
static int
db_search_match(struct buf *q, const char *search)
{
	const char	*start[4], *p;
	size_t		 n = 0, have = 0, i;
	int		 rc = 0;

	for (p = search; *p != '\0' && n < DB_SEARCH_TRIGRAMS; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		/* The starts of the last three characters, and this one's. */
		if (have == 4) {
			memmove(start, start + 1, 3 * sizeof(*start));
			have = 3;
		}
		start[have++] = p;
		if (have == 4) {
			rc |= buf_puts(q, n > 0 ? " AND \"" : "\"");
			for (i = 0; start[0] + i < start[3]; i++)
				rc |= start[0][i] == '"' ? buf_puts(q, "\"\"") :
				    buf_printf(q, "%c", start[0][i]);
			rc |= buf_puts(q, "\"");
			n++;
		}
	}
	/* The last trigram ends at the end of the text. */
	if (n < DB_SEARCH_TRIGRAMS && have >= 3) {
		rc |= buf_puts(q, n > 0 ? " AND \"" : "\"");
		for (p = start[have - 3]; *p != '\0'; p++)
			rc |= *p == '"' ? buf_puts(q, "\"\"") :
			    buf_printf(q, "%c", *p);
		rc |= buf_puts(q, "\"");
	}
	return rc != 0 ? -1 : 0;
}

int
db_bind_filters(sqlite3_stmt *st, const char *provider, const char *search)
{
	struct buf	 q = { NULL, 0, 0 };
	int		 i;

	if ((i = sqlite3_bind_parameter_index(st, ":ftsq")) > 0) {
		if (search == NULL || db_search_match(&q, search) == -1 ||
		    q.data == NULL || sqlite3_bind_text(st, i, q.data, -1,
		    SQLITE_TRANSIENT) != SQLITE_OK) {
			buf_free(&q);
			return -1;
		}
		buf_free(&q);
	}

	if ((i = sqlite3_bind_parameter_index(st, ":provider")) > 0 &&
	    db_bind_text(st, i, provider) == -1)
		return -1;
	if ((i = sqlite3_bind_parameter_index(st, ":search")) > 0 &&
	    db_bind_text(st, i, search) == -1)
		return -1;
	return 0;
}

/*
 * The rows after a cursor, in the order of db_sort_sql: lexicographic
 * over the sort's terms and then id (always ascending), written so that
 * the sort's index seeks to the cursor: a range on the key, and the exact
 * condition. The nullable keys (context, price) sort their unknowns last
 * whatever the direction; after a known value that takes two phases, the
 * known values after the cursor, then every unknown one (db_keyset_phases).
 */
int
db_keyset_phases(const struct page_cursor *c)
{
	return (c->sort == SORT_CONTEXT || c->sort == SORT_PRICE) &&
	    c->type != CUR_NULL ? 2 : 1;
}

/*
 * Within a phase of a nullable key, (key IS NULL) is constant: leaving it
 * out of the ORDER BY lets the planner see that the index gives the order.
 */
const char *
db_keyset_order(const struct page_cursor *c, int phase)
{
	const char	*key;

	if (c->sort == SORT_CONTEXT)
		key = "context_length ";
	else if (c->sort == SORT_PRICE)
		key = "prompt_price ";
	else
		return NULL;
	return c->type == CUR_NULL || phase == 1 ? "" : key;
}

int
db_keyset_sql(struct buf *sql, const struct page_cursor *c, int phase)
{
	const char	*op = c->desc ? "<" : ">", *key;

	switch (c->sort) {
	case SORT_NAME:
		key = "name COLLATE NOCASE";
		break;
	case SORT_PROVIDER:
		key = "provider COLLATE NOCASE";
		break;
	case SORT_STATUS:
		key = "status";
		break;
	case SORT_CONTEXT:
		key = "context_length";
		break;
	case SORT_PRICE:
		key = "prompt_price";
		break;
	default:
		return -1;
	}
	if (c->sort == SORT_CONTEXT || c->sort == SORT_PRICE) {
		if (c->type == CUR_NULL)
			return buf_printf(sql, " AND (%s IS NULL) = 1 AND %s IS NULL"
			    " AND id > :kid", key, key);
		/* Both terms fixed: either index gives the ids in order. */
		if (phase == 1)
			return buf_printf(sql, " AND (%s IS NULL) = 1 AND %s IS NULL",
			    key, key);
		return buf_printf(sql, " AND (%s IS NULL) = 0 AND %s %s= :k2 AND"
		    " (%s %s :k2 OR (%s = :k2 AND id > :kid))", key, key, op,
		    key, op, key);
	}
	return buf_printf(sql, " AND %s %s= :k2 AND (%s %s :k2 OR"
	    " (%s = :k2 AND id > :kid))", key, op, key, op, key);
}

int
db_bind_keyset(sqlite3_stmt *st, const struct page_cursor *c)
{
	int	 i, rc = SQLITE_OK;

	if ((i = sqlite3_bind_parameter_index(st, ":k2")) > 0) {
		switch (c->type) {
		case CUR_INT:
			rc = sqlite3_bind_int64(st, i, c->i);
			break;
		case CUR_REAL:
			rc = sqlite3_bind_double(st, i, c->r);
			break;
		case CUR_TEXT:
			rc = sqlite3_bind_text(st, i, c->text, -1,
			    SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(st, i);
		}
	}
	if (rc == SQLITE_OK &&
	    (i = sqlite3_bind_parameter_index(st, ":kid")) > 0)
		rc = sqlite3_bind_text(st, i, c->id, -1, SQLITE_STATIC);
	return rc == SQLITE_OK ? 0 : -1;
}

/* The cursor after a row whose sort key values these are. */
int
db_cursor_set(struct page_cursor *c, enum reg_sort sort, int desc,
    const char *id, const char *name, const char *provider, int active,
    int has_context, int64_t context, int has_price, double price)
{
	const char	*text = NULL;

	memset(c, 0, sizeof(*c));
	c->sort = sort;
	c->desc = desc;
	switch (sort) {
	case SORT_NAME:
		text = name;
		break;
	case SORT_PROVIDER:
		text = provider;
		break;
	case SORT_STATUS:
		text = active ? "active" : "inactive";
		break;
	case SORT_CONTEXT:
		c->type = has_context ? CUR_INT : CUR_NULL;
		c->i = context;
		break;
	case SORT_PRICE:
		c->type = has_price ? CUR_REAL : CUR_NULL;
		c->r = price;
		break;
	}
	if (text != NULL) {
		c->type = CUR_TEXT;
		if (strlen(text) >= sizeof(c->text)) {
			log_warnx("database: a sort key of %zu bytes is too "
			    "long for a cursor", strlen(text));
			return -1;
		}
		memcpy(c->text, text, strlen(text) + 1);
	}
	if (strlen(id) >= sizeof(c->id))
		return -1;
	memcpy(c->id, id, strlen(id) + 1);
	return 0;
}

int
db_bind_kind(sqlite3_stmt *st, const char *kind)
{
	int	 i;

	if ((i = sqlite3_bind_parameter_index(st, ":kind")) > 0 &&
	    db_bind_text(st, i, kind) == -1)
		return -1;
	return 0;
}

/*
 * Prepare a LIST or CATALOG stream statement built in sql and bind its
 * filters, kind and cursor; frees sql either way. The statement, or NULL.
 */
sqlite3_stmt *
db_stream_prepare(sqlite3 *db, struct buf *sql, const char *provider,
    const char *search, const char *kind, const struct page_cursor *after)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql->data)) != NULL &&
	    (db_bind_filters(st, provider, search) == -1 ||
	    db_bind_kind(st, kind) == -1 ||
	    (after != NULL && db_bind_keyset(st, after) == -1))) {
		sqlite3_finalize(st);
		st = NULL;
	}
	buf_free(sql);
	return st;
}

/* Run a statement binding now to ?1 and, if it has them, the actor to ?2 (uid) and ?3 (user). */
int
db_run_now(sqlite3 *db, const char *sql, int64_t now, const struct actor *a,
    const char *what)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, now) != SQLITE_OK ||
	    (sqlite3_bind_parameter_count(st) >= 3 &&
	    db_bind_actor(st, 2, 3, a) == -1)) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, what);
}


/*
 * A reader for one streamed reply. Small page cache: a stream reads its
 * rows once, in order, so a big cache would only make many slow readers
 * cost more memory. The busy timeout covers a WAL recovery by the writer.
 */
sqlite3 *
db_open_reader(const char *path)
{
	sqlite3	*db = NULL;
	int	 rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_warnx("%s: cannot open a reader: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_busy_timeout(db, 5000);
	if (db_exec(db, "PRAGMA cache_size = -256") == -1) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

int
db_step_row(sqlite3 *db, sqlite3_stmt *st, int cached, const char *what,
    void (*row)(sqlite3_stmt *, void *), void *out)
{
	char	 m[64];
	int	 rc, r;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row(st, out);
		r = 0;
	} else if (rc == SQLITE_DONE)
		r = 1;
	else {
		snprintf(m, sizeof(m), "read %s", what);
		db_logerr(db, m);
		r = -1;
	}
	if (cached)
		db_stmt_done(db, st);
	else
		sqlite3_finalize(st);
	return r;
}
