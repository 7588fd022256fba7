/* db_usage.c: the SQL of USAGE (issue 10 item 1): a model's prices in force, a report's row, the rollup, the period's sums, the summaries. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "db.h"
#include "db_int.h"
#include "db_usage.h"
#include "log.h"

#define DAY	86400

/* Step a statement that returns no row and hand it back: 0 or -1 (logged). */
static int
usage_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int	 rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		db_logerr(db, what);
	db_stmt_done(db, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_usage_model(sqlite3 *db, const char *name, struct db_usage_model *m)
{
	sqlite3_stmt	*st;
	int		 rc;

	/*
	 * The name as RESOLVE names it (RESOLVE_SQL: an organisation alias,
	 * the id, a source's alias); the prices are the row's, which are
	 * the ones in force (model_prices' open interval has the same).
	 */
	if ((st = db_stmt(db, DB_STMT_USAGE_MODEL, "SELECT m.id,"
	    " coalesce(g.gen, 0), m.prompt_price, m.completion_price"
	    " FROM models AS m LEFT JOIN model_ids AS g ON g.id = m.id"
	    " WHERE m.id = " RESOLVE_SQL)) == NULL)
		return -1;
	if (db_bind_text(st, 1, name) == -1) {
		db_stmt_done(db, st);
		return -1;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(m->id, sizeof(m->id), "%s", db_coltext(st, 0));
		m->gen = sqlite3_column_int64(st, 1);
		m->has_pp = sqlite3_column_type(st, 2) != SQLITE_NULL;
		m->pp = sqlite3_column_double(st, 2);
		m->has_cp = sqlite3_column_type(st, 3) != SQLITE_NULL;
		m->cp = sqlite3_column_double(st, 3);
		db_stmt_done(db, st);
		return 0;
	}
	if (rc != SQLITE_DONE)
		db_logerr(db, "read a model's prices");
	db_stmt_done(db, st);
	return rc == SQLITE_DONE ? 1 : -1;
}

int
db_usage_insert(sqlite3 *db, int64_t at, const char *model, int64_t key,
    const struct usage_report *r, double cost, int priced, int64_t *id)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, DB_STMT_USAGE_INSERT, "INSERT INTO usage(at,"
	    " model, key_id, session, requests, prompt_tokens,"
	    " completion_tokens, cost, priced)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, at) != SQLITE_OK ||
	    db_bind_text(st, 2, model) == -1 ||
	    sqlite3_bind_int64(st, 3, key) != SQLITE_OK ||
	    db_bind_text(st, 4, r->has_session ? r->session : NULL) == -1 ||
	    sqlite3_bind_int64(st, 5, r->requests) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, r->prompt_tokens) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 7, r->completion_tokens) != SQLITE_OK ||
	    sqlite3_bind_double(st, 8, cost) != SQLITE_OK ||
	    sqlite3_bind_int(st, 9, priced) != SQLITE_OK) {
		db_stmt_done(db, st);
		return -1;
	}
	if (usage_done(db, st, "store a usage report") == -1)
		return -1;
	*id = sqlite3_last_insert_rowid(db);
	return 0;
}

int
db_usage_rollup(sqlite3 *db, int64_t at, const char *model, int64_t key,
    const struct usage_report *r, double cost)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, DB_STMT_USAGE_ROLLUP, "INSERT INTO usage_daily("
	    "model, day, key_id, requests, prompt_tokens, completion_tokens,"
	    " cost, last_at) VALUES (?1, ?2 / 86400, ?3, ?4, ?5, ?6, ?7, ?2)"
	    " ON CONFLICT (model, day, key_id) DO UPDATE SET"
	    " requests = requests + excluded.requests,"
	    " prompt_tokens = prompt_tokens + excluded.prompt_tokens,"
	    " completion_tokens = completion_tokens + excluded.completion_tokens,"
	    " cost = cost + excluded.cost,"
	    " last_at = max(last_at, excluded.last_at)")) == NULL)
		return -1;
	if (db_bind_text(st, 1, model) == -1 ||
	    sqlite3_bind_int64(st, 2, at) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, key) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, r->requests) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 5, r->prompt_tokens) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 6, r->completion_tokens) != SQLITE_OK ||
	    sqlite3_bind_double(st, 7, cost) != SQLITE_OK) {
		db_stmt_done(db, st);
		return -1;
	}
	return usage_done(db, st, "roll a usage report up");
}

/* One row of sums (requests, prompt, completion, cost) into t: 0 or -1. Hands st back. */
static int
usage_sums(sqlite3 *db, sqlite3_stmt *st, struct usage_totals *t)
{
	int	 rc = sqlite3_step(st);

	memset(t, 0, sizeof(*t));
	if (rc == SQLITE_ROW) {
		t->requests = sqlite3_column_int64(st, 0);
		t->prompt_tokens = sqlite3_column_int64(st, 1);
		t->completion_tokens = sqlite3_column_int64(st, 2);
		t->cost = sqlite3_column_double(st, 3);
	} else
		db_logerr(db, "sum the usage of a period");
	db_stmt_done(db, st);
	return rc == SQLITE_ROW ? 0 : -1;
}

#define SUMS	"coalesce(sum(requests), 0), coalesce(sum(prompt_tokens), 0)," \
	" coalesce(sum(completion_tokens), 0), coalesce(sum(cost), 0.0)"

int
db_usage_models_since(sqlite3 *db, int64_t day,
    int (*cb)(const char *, const struct usage_totals *, void *), void *arg)
{
	struct usage_totals	 t;
	sqlite3_stmt		*st = NULL;
	const char		*m;
	int			 rc;

	/* At start and at a month's turn only: prepared here, not cached. */
	if (sqlite3_prepare_v2(db, "SELECT model, " SUMS " FROM usage_daily"
	    " WHERE day >= ?1 GROUP BY model", -1, &st, NULL) != SQLITE_OK) {
		db_logerr(db, "prepare the month's usage");
		return -1;
	}
	sqlite3_bind_int64(st, 1, day);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((m = (const char *)sqlite3_column_text(st, 0)) == NULL)
			continue;
		t.requests = sqlite3_column_int64(st, 1);
		t.prompt_tokens = sqlite3_column_int64(st, 2);
		t.completion_tokens = sqlite3_column_int64(st, 3);
		t.cost = sqlite3_column_double(st, 4);
		if (cb(m, &t, arg) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	if (rc != SQLITE_DONE)
		db_logerr(db, "read the month's usage");
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

int
db_usage_model_period(sqlite3 *db, const char *id, int64_t day,
    struct usage_totals *t)
{
	sqlite3_stmt	*st;

	/* A range of the primary key: a month is at most 31 days times its keys. */
	if ((st = db_stmt(db, DB_STMT_USAGE_MODEL_PERIOD, "SELECT " SUMS
	    " FROM usage_daily WHERE model = ?1 AND day >= ?2")) == NULL)
		return -1;
	if (db_bind_text(st, 1, id) == -1 ||
	    sqlite3_bind_int64(st, 2, day) != SQLITE_OK) {
		db_stmt_done(db, st);
		return -1;
	}
	return usage_sums(db, st, t);
}

int
db_usage_key_period(sqlite3 *db, int64_t key, int64_t day,
    struct usage_totals *t)
{
	sqlite3_stmt	*st;

	/* usage_daily_key: the key's days, each day's models. */
	if ((st = db_stmt(db, DB_STMT_USAGE_KEY_PERIOD, "SELECT " SUMS
	    " FROM usage_daily WHERE key_id = ?1 AND day >= ?2")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, key) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, day) != SQLITE_OK) {
		db_stmt_done(db, st);
		return -1;
	}
	return usage_sums(db, st, t);
}

int
db_usage_model_id(sqlite3 *db, const char *name, char *id, size_t len)
{
	struct db_usage_model	 m;
	int			 r;

	if ((r = db_usage_model(db, name, &m)) == -1)
		return -1;
	snprintf(id, len, "%s", r == 0 ? m.id : name);
	return 0;
}

int
db_usage_summary(sqlite3 *db, enum usage_by by, int64_t since,
    const char *model, int64_t key, int limit, usage_row_cb cb, void *arg)
{
	struct buf	 sql = { 0 };
	sqlite3_stmt	*st = NULL;
	const char	*grp_d, *grp_u;
	int64_t		 first_day;
	int		 rc, r = -1;
	struct usage_totals t;

	switch (by) {
	case USAGE_BY_KEY:
		/* Names are never reused: a name is one key. Key 0 (none) is "". */
		grp_d = grp_u = "coalesce((SELECT name FROM api_keys"
		    " WHERE id = key_id), '')";
		break;
	case USAGE_BY_DAY:
		grp_d = "date(day * 86400, 'unixepoch')";
		grp_u = "date(at, 'unixepoch')";
		break;
	default:
		grp_d = grp_u = "model";
		break;
	}
	/*
	 * Whole days from the rollup; the part of the first day after since
	 * from the reports themselves (usage_at's range: at most a day of
	 * them), so --since 1h is exact without reading every report.
	 */
	first_day = since > 0 ? (since + DAY - 1) / DAY : 0;
	if (buf_printf(&sql, "SELECT g, " SUMS " FROM ("
	    "SELECT %s AS g, requests, prompt_tokens, completion_tokens, cost"
	    " FROM usage_daily WHERE day >= ?1"
	    " AND (?2 IS NULL OR model = ?2) AND (?3 < 0 OR key_id = ?3)"
	    " UNION ALL"
	    " SELECT %s AS g, requests, prompt_tokens, completion_tokens, cost"
	    " FROM usage WHERE at >= ?4 AND at < ?1 * 86400"
	    " AND (?2 IS NULL OR model = ?2) AND (?3 < 0 OR key_id = ?3))"
	    " GROUP BY g ORDER BY sum(prompt_tokens) + sum(completion_tokens)"
	    " DESC, sum(requests) DESC, g LIMIT ?5", grp_d, grp_u) == -1)
		goto out;
	if ((st = db_prepare(db, sql.data)) == NULL)
		goto out;
	if (sqlite3_bind_int64(st, 1, first_day) != SQLITE_OK ||
	    db_bind_text(st, 2, model) == -1 ||
	    sqlite3_bind_int64(st, 3, key) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, since) != SQLITE_OK ||
	    sqlite3_bind_int(st, 5, limit) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int o = 1;

		t.requests = sqlite3_column_int64(st, o);
		t.prompt_tokens = sqlite3_column_int64(st, o + 1);
		t.completion_tokens = sqlite3_column_int64(st, o + 2);
		t.cost = sqlite3_column_double(st, o + 3);
		if (cb(db_coltext(st, 0), &t, arg) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_logerr(db, "summarise usage");
		goto out;
	}
	r = 0;
out:
	sqlite3_finalize(st);
	buf_free(&sql);
	return r;
}

/*
 * The one rule of "unused since ?1" (issue 10's SPEND unused=, issue 11's
 * BATCH unused=), over models AS m: a seek in usage_daily's primary key
 * per model (the model's days from since's), so no report is read, and
 * one in resolve_counts' (model first). A model added after since has
 * not been there the whole time and is not unused. A RESOLVE counts once
 * its one-second batch is written (resolve_batch.c).
 */
#define USAGE_UNUSED_WHERE						\
	"m.added_at <= ?1 AND NOT EXISTS"				\
	" (SELECT 1 FROM usage_daily AS u WHERE u.model = m.id"		\
	"  AND u.day >= ?1 / 86400 AND u.last_at >= ?1)"		\
	" AND NOT EXISTS (SELECT 1 FROM resolve_counts AS r"		\
	"  WHERE r.model = m.id AND r.last_at >= ?1)"

int
db_usage_unused(sqlite3 *db, int64_t since, int limit, usage_unused_cb cb,
    void *arg)
{
	sqlite3_stmt	*st;
	int		 rc;

	if ((st = db_prepare(db, "SELECT m.id, m.added_at,"
	    " (SELECT max(last_at) FROM usage_daily WHERE model = m.id)"
	    " FROM models AS m WHERE " USAGE_UNUSED_WHERE
	    " ORDER BY m.id LIMIT ?2")) == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, since) != SQLITE_OK ||
	    sqlite3_bind_int(st, 2, limit) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (cb(db_coltext(st, 0), sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2), arg) != 0)
			break;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_logerr(db, "list unused models");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* A cached statement without parameters, run once: 0 or -1. Prepared once, not per report. */
static int
usage_run(sqlite3 *db, enum db_stmt_id id, const char *sql)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, id, sql)) == NULL)
		return -1;
	return usage_done(db, st, sql);
}

int
db_usage_savepoint(sqlite3 *db)
{
	return usage_run(db, DB_STMT_USAGE_SAVEPOINT, "SAVEPOINT usage_report");
}

int
db_usage_release(sqlite3 *db, int keep)
{
	if (!keep && usage_run(db, DB_STMT_USAGE_ROLLBACK_TO,
	    "ROLLBACK TO usage_report") == -1)
		return -1;
	return usage_run(db, DB_STMT_USAGE_RELEASE, "RELEASE usage_report");
}

/*
 * Issue 11 (reg_batch.c): keep in temp.batch_sel only the models unused
 * since `since`, by the rule SPEND unused= lists with. 0, -1.
 */
int
db_usage_sel_unused(sqlite3 *db, int64_t since)
{
	sqlite3_stmt	*st;

	if ((st = db_prepare(db, "DELETE FROM temp.batch_sel WHERE id NOT IN"
	    " (SELECT m.id FROM models AS m WHERE " USAGE_UNUSED_WHERE ")"))
	    == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 1, since) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	return db_run(db, st, "select unused models");
}
