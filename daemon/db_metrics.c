/* db_metrics.c: the SQL behind /metrics: counts off indexes and the per-model rows of the first active models. */
#include <stdint.h>

#include <sqlite3.h>

#include "db_int.h"
#include "db_metrics.h"

/*
 * A scrape comes every few seconds, not thousands of times a second, so
 * these statements are prepared per scrape rather than taking slots of
 * the connection's statement cache.
 */
static sqlite3_stmt *
db_metrics_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt	*st = NULL;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_logerr(db, "prepare a metrics query");
		return NULL;
	}
	return st;
}

int
db_metrics_counts(sqlite3 *db, int64_t *models, int64_t *active)
{
	sqlite3_stmt	*st;
	int		 rc = -1;

	/* count(*) without WHERE counts a b-tree's pages; the status index gives the range. */
	if ((st = db_metrics_prepare(db, "SELECT (SELECT count(*) FROM models),"
	    " (SELECT count(*) FROM models WHERE status = 'active')")) == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*models = sqlite3_column_int64(st, 0);
		*active = sqlite3_column_int64(st, 1);
		rc = 0;
	} else
		db_logerr(db, "count models for metrics");
	sqlite3_finalize(st);
	return rc;
}

int
db_metrics_models(sqlite3 *db, int max,
    int (*cb)(const struct db_metrics_model *, void *), void *arg)
{
	struct db_metrics_model	 m;
	sqlite3_stmt		*st;
	int			 r, n = 0;

	if (max <= 0)
		return 0;
	/*
	 * model_view is flattened into this query: the WHERE and the ORDER
	 * BY walk models_sort_status (status, id), and the two correlated
	 * sample lookups are one index probe each, so the cost is max rows,
	 * whatever the registry's size.
	 */
	if ((st = db_metrics_prepare(db, "SELECT id, is_default, zdr, health,"
	    " uptime_30m FROM model_view WHERE status = 'active'"
	    " ORDER BY id LIMIT ?")) == NULL)
		return -1;
	sqlite3_bind_int(st, 1, max);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		m.id = (const char *)sqlite3_column_text(st, 0);
		m.is_default = sqlite3_column_int(st, 1) != 0;
		m.zdr = sqlite3_column_type(st, 2) == SQLITE_NULL ? -1 :
		    sqlite3_column_int(st, 2) != 0;
		m.health = (const char *)sqlite3_column_text(st, 3);
		m.has_uptime = sqlite3_column_type(st, 4) != SQLITE_NULL;
		m.uptime_30m = sqlite3_column_double(st, 4);
		if (m.id == NULL)
			continue;
		if (m.health == NULL)
			m.health = "unknown";
		n++;
		if (cb(&m, arg) == -1) {
			r = SQLITE_DONE;
			n = -1;
			break;
		}
	}
	if (r != SQLITE_DONE) {
		db_logerr(db, "list active models for metrics");
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

int
db_metrics_usage(sqlite3 *db, const char *model, int64_t from_day,
    int64_t to_day, int64_t *prompt, int64_t *completion, double *cost)
{
	sqlite3_stmt	*st;
	int		 rc = -1;

	/* One range of the rollup's primary key (model, day, key_id). */
	if ((st = db_stmt(db, DB_STMT_METRICS_USAGE, "SELECT"
	    " total(prompt_tokens), total(completion_tokens), total(cost)"
	    " FROM usage_daily WHERE model = ?1 AND day >= ?2 AND day < ?3"))
	    == NULL)
		return -1;
	sqlite3_bind_int64(st, 2, from_day);
	sqlite3_bind_int64(st, 3, to_day);
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*prompt = (int64_t)sqlite3_column_double(st, 0);
		*completion = (int64_t)sqlite3_column_double(st, 1);
		*cost = sqlite3_column_double(st, 2);
		rc = 0;
	} else
		db_logerr(db, "sum a model's usage for metrics");
	db_stmt_done(db, st);
	return rc;
}
