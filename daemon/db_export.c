/* db_export.c: the SQL of EXPORT and IMPORT (issue 11 item 4): the registry's decisions into an export document, and the writes of an import. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "db_export.h"
#include "log.h"

/* Append a copy of s to the list *v of *n strings. 0, or -1. */
static int
strv_push(char ***v, int *n, const char *s)
{
	char	**nv;
	char	 *c;

	if ((c = strdup(s)) == NULL)
		return -1;
	/* Grown at powers of two, so n pushes cost n log n at worst. */
	if ((*n & (*n - 1)) == 0) {
		if ((nv = realloc(*v, (size_t)(*n == 0 ? 1 : *n * 2) *
		    sizeof(*nv))) == NULL) {
			free(c);
			return -1;
		}
		*v = nv;
	}
	(*v)[(*n)++] = c;
	return 0;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	if (sqlite3_column_type(st, i) == SQLITE_NULL || s == NULL)
		return NULL;
	return strdup((const char *)s);
}

/* Grow an array of structs of size sz at *n (a power of two doubles it). */
static void *
arr_grow(void *p, int n, size_t sz)
{
	void	*np;

	if ((n & (n - 1)) != 0 && n != 0)
		return p;
	if ((np = realloc(p, (size_t)(n == 0 ? 1 : n * 2) * sz)) == NULL)
		return NULL;
	return np;
}

/* The models, sorted by id, with their settings. */
static int
read_models(sqlite3 *db, struct export_doc *d)
{
	sqlite3_stmt	*st;
	struct export_model *m, *nm;
	int		 rc, p;

	st = db_prepare(db, "SELECT m.id, m.status, m.status_source,"
	    " m.status_reason, m.is_default, s.label, s.temperature, s.top_p,"
	    " s.max_tokens, s.frequency_penalty, s.presence_penalty,"
	    " coalesce(s.enforced, 0)"
	    " FROM models AS m LEFT JOIN model_settings AS s ON s.model = m.id"
	    " ORDER BY m.id");
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nm = arr_grow(d->models, d->nmodels, sizeof(*nm))) == NULL)
			goto fail;
		d->models = nm;
		m = &d->models[d->nmodels++];
		memset(m, 0, sizeof(*m));
		if ((m->id = col_dup(st, 0)) == NULL)
			goto fail;
		m->active = strcmp(db_coltext(st, 1), "active") == 0;
		snprintf(m->source, sizeof(m->source), "%s", db_coltext(st, 2));
		m->reason = col_dup(st, 3);
		if (sqlite3_column_int(st, 4) == 1 && d->default_model == NULL &&
		    (d->default_model = strdup(m->id)) == NULL)
			goto fail;
		m->label = col_dup(st, 5);
		for (p = 0; p < SP_COUNT; p++)
			if (sqlite3_column_type(st, 6 + p) != SQLITE_NULL) {
				m->params_set |= 1u << p;
				m->params[p] = sqlite3_column_double(st, 6 + p);
			}
		m->enforced = (unsigned)sqlite3_column_int(st, 11) &
		    m->params_set;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
 fail:
	db_logerr(db, "export: models");
	sqlite3_finalize(st);
	return -1;
}

/*
 * A (model, name) list sorted by model then name, merged into the
 * models (sorted by id the same way: both BINARY), as aliases or tags.
 */
static int
read_model_lists(sqlite3 *db, struct export_doc *d, const char *sql, int tags)
{
	sqlite3_stmt	*st;
	struct export_model *m;
	int		 rc, i = 0, c;

	if ((st = db_prepare(db, sql)) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *model = db_coltext(st, 0);

		while (i < d->nmodels && (c = strcmp(d->models[i].id,
		    model)) < 0)
			i++;
		if (i == d->nmodels || strcmp(d->models[i].id, model) != 0)
			continue;	/* a cascade makes this impossible */
		m = &d->models[i];
		if ((tags ? strv_push(&m->tags, &m->ntags, db_coltext(st, 1)) :
		    strv_push(&m->aliases, &m->naliases, db_coltext(st, 1))) == -1)
			goto fail;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
 fail:
	db_logerr(db, "export: aliases or tags");
	sqlite3_finalize(st);
	return -1;
}

static int
read_collections(sqlite3 *db, struct export_doc *d)
{
	sqlite3_stmt	*st;
	struct export_collection *c = NULL, *nc;
	int		 rc;

	st = db_prepare(db, "SELECT c.name, cm.model FROM collections AS c"
	    " LEFT JOIN collection_models AS cm ON cm.collection = c.id"
	    " ORDER BY c.name, cm.model");
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (c == NULL || strcmp(c->name, db_coltext(st, 0)) != 0) {
			if ((nc = arr_grow(d->collections, d->ncollections,
			    sizeof(*nc))) == NULL)
				goto fail;
			d->collections = nc;
			c = &d->collections[d->ncollections++];
			memset(c, 0, sizeof(*c));
			if ((c->name = col_dup(st, 0)) == NULL)
				goto fail;
		}
		if (sqlite3_column_type(st, 1) != SQLITE_NULL &&
		    strv_push(&c->models, &c->nmodels, db_coltext(st, 1)) == -1)
			goto fail;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
 fail:
	db_logerr(db, "export: collections");
	sqlite3_finalize(st);
	return -1;
}

/* Live keys: a revoked key's decisions are over, and its name may not come back. */
static int
read_keys(sqlite3 *db, struct export_doc *d)
{
	sqlite3_stmt	*st;
	struct export_key *k = NULL, *nk;
	int		 rc;

	st = db_prepare(db, "SELECT k.name, k.all_models, c.name,"
	    " coalesce(k.expires_at, 0), k.note, g.model"
	    " FROM api_keys AS k LEFT JOIN collections AS c ON c.id = k.collection"
	    " LEFT JOIN (SELECT g.key, g.model FROM api_key_models AS g"
	    "  JOIN model_ids AS i ON i.id = g.model AND i.gen = g.gen"
	    "  AND i.deleted_at IS NULL) AS g ON g.key = k.id"
	    " WHERE k.revoked_at IS NULL ORDER BY k.name, g.model");
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (k == NULL || strcmp(k->name, db_coltext(st, 0)) != 0) {
			if ((nk = arr_grow(d->keys, d->nkeys, sizeof(*nk))) == NULL)
				goto fail;
			d->keys = nk;
			k = &d->keys[d->nkeys++];
			memset(k, 0, sizeof(*k));
			if ((k->name = col_dup(st, 0)) == NULL ||
			    (k->note = strdup(db_coltext(st, 4))) == NULL)
				goto fail;
			k->all = sqlite3_column_int(st, 1) != 0;
			k->collection = col_dup(st, 2);
			k->expires = sqlite3_column_int64(st, 3);
		}
		/* A key with all or a collection has no list (left-over grants are not one). */
		if (sqlite3_column_type(st, 5) != SQLITE_NULL && !k->all &&
		    k->collection == NULL &&
		    strv_push(&k->models, &k->nmodels, db_coltext(st, 5)) == -1)
			goto fail;
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
 fail:
	db_logerr(db, "export: keys");
	sqlite3_finalize(st);
	return -1;
}

/* Caps on model ids first (by id), then on live keys (by name). */
static int
read_caps(sqlite3 *db, struct export_doc *d)
{
	sqlite3_stmt	*st;
	struct export_cap *c, *nc;
	int		 rc;

	st = db_prepare(db, "SELECT c.model, k.name, c.amount, c.period,"
	    " c.window_secs, c.warn FROM caps AS c"
	    " LEFT JOIN api_keys AS k ON k.id = c.key_id"
	    " WHERE c.model IS NOT NULL OR k.revoked_at IS NULL"
	    " ORDER BY c.model IS NULL, c.model, k.name");
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nc = arr_grow(d->caps, d->ncaps, sizeof(*nc))) == NULL)
			goto fail;
		d->caps = nc;
		c = &d->caps[d->ncaps++];
		memset(c, 0, sizeof(*c));
		c->model = col_dup(st, 0);
		c->key = col_dup(st, 1);
		if (c->model == NULL && c->key == NULL)
			goto fail;
		c->amount = sqlite3_column_double(st, 2);
		snprintf(c->period, sizeof(c->period), "%s", db_coltext(st, 3));
		c->window = sqlite3_column_int64(st, 4);
		c->warn = sqlite3_column_int(st, 5);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	return 0;
 fail:
	db_logerr(db, "export: caps");
	sqlite3_finalize(st);
	return -1;
}

int
db_export_read(sqlite3 *db, struct export_doc *d)
{
	memset(d, 0, sizeof(*d));
	d->version = EXPORT_VERSION;
	if (read_models(db, d) == -1 ||
	    read_model_lists(db, d, "SELECT model, alias FROM model_org_aliases"
	    " ORDER BY model, alias", 0) == -1 ||
	    read_model_lists(db, d, "SELECT model, tag FROM model_tags"
	    " ORDER BY model, tag", 1) == -1 ||
	    read_collections(db, d) == -1 ||
	    read_keys(db, d) == -1 ||
	    read_caps(db, d) == -1) {
		export_free(d);
		return -1;
	}
	return 0;
}

int
db_import_status(sqlite3 *db, const char *id, int active, const char *source,
    const char *reason, int64_t now)
{
	sqlite3_stmt	*st;

	/* status_changed_at moves only when the status does. */
	if ((st = db_prepare(db, "UPDATE models SET status = ?2,"
	    " status_source = ?3, status_reason = ?4,"
	    " status_changed_at = CASE WHEN status = ?2 THEN status_changed_at"
	    " ELSE ?5 END WHERE id = ?1")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 ||
	    db_bind_text(st, 2, active ? "active" : "inactive") == -1 ||
	    db_bind_text(st, 3, source) == -1 ||
	    db_bind_text(st, 4, reason) == -1 ||
	    sqlite3_bind_int64(st, 5, now) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "import: a model's status");
}

int
db_import_key(sqlite3 *db, int64_t key, int all, const char *note,
    int64_t expires, int64_t cid)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "UPDATE api_keys SET all_models = ?2,"
	    " note = ?3, expires_at = ?4, collection = ?5 WHERE id = ?1")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, all != 0) != SQLITE_OK ||
	    db_bind_text(st, 3, note != NULL ? note : "") == -1 ||
	    (expires > 0 ? sqlite3_bind_int64(st, 4, expires) :
	    sqlite3_bind_null(st, 4)) != SQLITE_OK ||
	    (cid > 0 ? sqlite3_bind_int64(st, 5, cid) :
	    sqlite3_bind_null(st, 5)) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "import: a key");
}
