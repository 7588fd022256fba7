/* db_uptime.c: the SQL of uptime tracking: parse an endpoints response, record samples, prune, report history. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db_uptime.h"
#include "db_int.h"
#include "log.h"

/*
 * The shape first, so that a wrong document gets a precise message:
 * '' for a missing member, NULL when the text is not JSON at all.
 */
#define PARSE_SHAPE_SQL \
	"SELECT CASE WHEN json_valid(?1) THEN" \
	"  coalesce(json_type(?1, '$.data'), '') END," \
	" CASE WHEN json_valid(?1) THEN" \
	"  coalesce(json_type(?1, '$.data.endpoints'), '') END"

/*
 * One row: endpoint objects, working ones, the best uptime of a working
 * one. A status that is absent or null counts as working (OpenRouter
 * leaves it out for normal endpoints); an uptime that is not a number
 * within 0..100 counts as unknown.
 */
#define PARSE_ENDPOINTS_SQL \
	"SELECT count(*), coalesce(sum(w), 0), max(CASE WHEN w THEN u END)" \
	" FROM (SELECT" \
	"  (coalesce(json_type(e.value, '$.status'), 'null') = 'null'" \
	"   OR (json_type(e.value, '$.status') IN ('integer', 'real')" \
	"   AND json_extract(e.value, '$.status') = 0)) AS w," \
	"  CASE WHEN json_type(e.value, '$.uptime_last_30m')" \
	"   IN ('integer', 'real') AND json_extract(e.value," \
	"   '$.uptime_last_30m') BETWEEN 0 AND 100" \
	"   THEN json_extract(e.value, '$.uptime_last_30m') END AS u" \
	"  FROM json_each(?1, '$.data.endpoints') AS e" \
	"  WHERE e.type = 'object')"

int
db_uptime_parse(sqlite3 *db, const char *body, size_t len,
    struct uptime_reading *r, char *err, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	char		 data[16], eps[16];
	int		 rc;

	memset(r, 0, sizeof(*r));
	if (len == 0) {
		snprintf(err, errlen, "empty response");
		return -1;
	}
	/* A NUL inside would end the text early for SQLite: not JSON. */
	if (memchr(body, '\0', len) != NULL || len > INT32_MAX) {
		snprintf(err, errlen, "the response is not JSON");
		return -1;
	}
	if ((st = db_prepare(db, PARSE_SHAPE_SQL)) == NULL)
		goto dberr;
	if (sqlite3_bind_text(st, 1, body, (int)len, SQLITE_STATIC) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
		goto dberr;
	if (sqlite3_column_type(st, 0) == SQLITE_NULL) {
		snprintf(err, errlen, "the response is not JSON");
		goto fail;
	}
	snprintf(data, sizeof(data), "%s", db_coltext(st, 0));
	snprintf(eps, sizeof(eps), "%s", db_coltext(st, 1));
	sqlite3_finalize(st);
	st = NULL;
	if (strcmp(data, "object") != 0) {
		snprintf(err, errlen, "the response has no \"data\" object");
		return -1;
	}
	if (strcmp(eps, "array") != 0) {
		snprintf(err, errlen, "the response has no \"data.endpoints\" "
		    "array");
		return -1;
	}

	if ((st = db_prepare(db, PARSE_ENDPOINTS_SQL)) == NULL)
		goto dberr;
	if (sqlite3_bind_text(st, 1, body, (int)len, SQLITE_STATIC) !=
	    SQLITE_OK)
		goto dberr;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW)
		goto dberr;
	r->endpoints = sqlite3_column_int(st, 0);
	r->working = sqlite3_column_int(st, 1);
	if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
		r->best = sqlite3_column_double(st, 2);
		r->has_best = 1;
	}
	sqlite3_finalize(st);
	return 0;
dberr:
	db_logerr(db, "parse");
	snprintf(err, errlen, "database error while parsing");
fail:
	sqlite3_finalize(st);
	return -1;
}

void
db_uptime_ids_free(char **ids, size_t n)
{
	size_t	 i;

	if (ids == NULL)
		return;
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int
db_uptime_models(sqlite3 *db, char ***idsp, size_t *np)
{
	sqlite3_stmt	*st;
	char		**ids = NULL, **nids;
	size_t		 n = 0, cap = 0;
	int		 rc;

	*idsp = NULL;
	*np = 0;
	if ((st = db_prepare(db, "SELECT id FROM models ORDER BY id")) == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((nids = reallocarray(ids, cap, sizeof(*ids))) == NULL)
				goto nomem;
			ids = nids;
		}
		if ((ids[n] = strdup(db_coltext(st, 0))) == NULL)
			goto nomem;
		n++;
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "list models");
		goto fail;
	}
	sqlite3_finalize(st);
	*idsp = ids;
	*np = n;
	return 0;
nomem:
	log_warnx("uptime: out of memory listing models");
fail:
	sqlite3_finalize(st);
	db_uptime_ids_free(ids, n);
	return -1;
}

void
db_uptime_stmts_free(struct db_uptime_stmts *sts)
{
	sqlite3_finalize(sts->prev);
	sqlite3_finalize(sts->del);
	sqlite3_finalize(sts->ins);
	memset(sts, 0, sizeof(*sts));
}

/* *stp, prepared on first use, reset and unbound for this one. */
static sqlite3_stmt *
db_uptime_stmt(sqlite3 *db, sqlite3_stmt **stp, const char *sql)
{
	if (*stp == NULL)
		*stp = db_prepare(db, sql);
	else {
		sqlite3_reset(*stp);
		sqlite3_clear_bindings(*stp);
	}
	return *stp;
}

int
db_uptime_models_page(sqlite3 *db, const char *after, int limit,
    char ***idsp, size_t *np, size_t *capp)
{
	sqlite3_stmt	*st;
	char		**nids;
	size_t		 cap;
	int		 rc, added = 0;

	/* The primary key's order: each page is one short index range. */
	st = db_prepare(db, "SELECT id FROM models WHERE ?1 IS NULL OR id > ?1"
	    " ORDER BY id LIMIT ?2");
	if (st == NULL)
		return -1;
	if ((after != NULL ? sqlite3_bind_text(st, 1, after, -1,
	    SQLITE_STATIC) : sqlite3_bind_null(st, 1)) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, limit) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*np == *capp) {
			cap = *capp ? *capp * 2 : 1024;
			if ((nids = reallocarray(*idsp, cap, sizeof(**idsp))) ==
			    NULL)
				goto nomem;
			*idsp = nids;
			*capp = cap;
		}
		if (((*idsp)[*np] = strdup(db_coltext(st, 0))) == NULL)
			goto nomem;
		(*np)++;
		added++;
	}
	if (rc != SQLITE_DONE) {
		db_logerr(db, "list models");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return added;
nomem:
	log_warnx("uptime: out of memory listing models");
	sqlite3_finalize(st);
	return -1;
}

int
db_uptime_previous(sqlite3 *db, struct db_uptime_stmts *sts, const char *id,
    struct uptime_prev *p)
{
	sqlite3_stmt	*st;
	int		 rc, r = -1;

	memset(p, 0, sizeof(*p));
	st = db_uptime_stmt(db, &sts->prev, "SELECT status, is_default,"
	    " (SELECT s.health FROM uptime_samples AS s WHERE s.model = m.id"
	    "  AND s.health <> 'unknown' ORDER BY s.at DESC, s.rowid DESC"
	    "  LIMIT 1)"
	    " FROM models AS m WHERE m.id = ?1");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK)
		goto done;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = 1;
	else if (rc != SQLITE_ROW)
		db_logerr(db, "previous sample");
	else {
		p->active = strcmp(db_coltext(st, 0), "active") == 0;
		p->is_default = sqlite3_column_int(st, 1) == 1;
		snprintf(p->health, sizeof(p->health), "%s",
		    db_coltext(st, 2));
		r = 0;
	}
done:
	sqlite3_reset(st);
	return r;
}

/* Step a write of the pass; it stays prepared for the next model. */
static int
db_uptime_step(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int	 rc;

	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		db_logerr(db, what);
		return -1;
	}
	return 0;
}

int
db_uptime_record(sqlite3 *db, struct db_uptime_stmts *sts, const char *id,
    int64_t at, int has_uptime, double uptime, const char *health)
{
	sqlite3_stmt	*st;

	st = db_uptime_stmt(db, &sts->del, "DELETE FROM uptime_samples"
	    " WHERE model = ?1 AND at = ?2");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, at) != SQLITE_OK)
		return -1;
	if (db_uptime_step(db, st, "replace sample") == -1)
		return -1;

	st = db_uptime_stmt(db, &sts->ins, "INSERT INTO uptime_samples(model,"
	    " at, uptime, health) VALUES (?1, ?2, ?3, ?4)");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, at) != SQLITE_OK ||
	    (has_uptime ? sqlite3_bind_double(st, 3, uptime) :
	    sqlite3_bind_null(st, 3)) != SQLITE_OK ||
	    sqlite3_bind_text(st, 4, health, -1, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	return db_uptime_step(db, st, "record sample");
}

int
db_uptime_prune(sqlite3 *db, int64_t before, int *pruned)
{
	sqlite3_stmt	*st;

	*pruned = 0;
	st = db_prepare(db, "DELETE FROM uptime_samples WHERE at < ?1");
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, before) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	if (db_run(db, st, "prune") == -1)
		return -1;
	*pruned = sqlite3_changes(db);
	return 0;
}

/*
 * UPTIME's numbers for one model (?1) or all (?1 NULL) since ?2.
 * An incident is a red sample in the window that follows a sample of
 * another known health, or none: the previous known sample is looked
 * up before the window for the first sample inside it, so a model that
 * stayed red across the window's start counts no new incident.
 */
#define HISTORY_SQL \
	"WITH k AS (" \
	"  SELECT model, at, rowid AS r, health FROM uptime_samples" \
	"  WHERE at >= ?2 AND health <> 'unknown'" \
	"   AND (?1 IS NULL OR model = ?1))," \
	" inc AS (" \
	"  SELECT x.model, count(*) AS n FROM (" \
	"   SELECT model, at, health, lag(health) OVER" \
	"    (PARTITION BY model ORDER BY at, r) AS prev FROM k) AS x" \
	"  WHERE x.health = 'red' AND coalesce(x.prev," \
	"   (SELECT s.health FROM uptime_samples AS s WHERE s.model = x.model" \
	"    AND s.at < ?2 AND s.health <> 'unknown'" \
	"    ORDER BY s.at DESC, s.rowid DESC LIMIT 1), '') <> 'red'" \
	"  GROUP BY x.model)," \
	" w AS (" \
	"  SELECT model, count(*) AS samples, sum(health = 'green') AS green," \
	"   avg(uptime) AS mean FROM uptime_samples" \
	"  WHERE at >= ?2 AND (?1 IS NULL OR model = ?1) GROUP BY model)" \
	" SELECT m.id, coalesce(w.samples, 0), coalesce(w.green, 0), w.mean," \
	"  coalesce(inc.n, 0), coalesce(l.health, 'unknown'), l.uptime," \
	"  coalesce(l.at, 0)" \
	" FROM models AS m" \
	" LEFT JOIN w ON w.model = m.id" \
	" LEFT JOIN inc ON inc.model = m.id" \
	" LEFT JOIN uptime_samples AS l ON l.rowid = (SELECT s.rowid" \
	"  FROM uptime_samples AS s WHERE s.model = m.id" \
	"  ORDER BY s.at DESC, s.rowid DESC LIMIT 1)" \
	" WHERE ?1 IS NULL OR m.id = ?1" \
	" ORDER BY m.id"

int
db_uptime_history(sqlite3 *db, const char *id, int64_t since,
    db_uptime_cb cb, void *arg)
{
	struct uptime_history	 h;
	sqlite3_stmt		*st;
	int			 rc;

	if ((st = db_prepare(db, HISTORY_SQL)) == NULL)
		return -1;
	if ((id != NULL ? sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, 1)) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, since) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&h, 0, sizeof(h));
		h.id = db_coltext(st, 0);
		h.samples = sqlite3_column_int64(st, 1);
		h.green = sqlite3_column_int64(st, 2);
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			h.mean = sqlite3_column_double(st, 3);
			h.has_mean = 1;
		}
		h.incidents = sqlite3_column_int64(st, 4);
		h.health = db_coltext(st, 5);
		if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
			h.uptime_30m = sqlite3_column_double(st, 6);
			h.has_uptime = 1;
		}
		h.last_at = sqlite3_column_int64(st, 7);
		if (cb(&h, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		db_logerr(db, "history");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_uptime_count(sqlite3 *db, int64_t *n)
{
	return db_query_int(db, "SELECT count(*) FROM uptime_samples", n);
}
