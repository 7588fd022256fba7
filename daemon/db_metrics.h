/* db_metrics.h: the SQL behind /metrics (issue 10 item 4): counts off indexes and the per-model rows of active models, bounded. */
#ifndef MODELREG_DB_METRICS_H
#define MODELREG_DB_METRICS_H

#include <stdint.h>
#include <sqlite3.h>

/* Models in all and active ones: a b-tree count and an index range. 0 or -1. */
int	 db_metrics_counts(sqlite3 *, int64_t *models, int64_t *active);

/* One active model as /metrics shows it. */
struct db_metrics_model {
	const char	*id;
	int		 is_default;
	int		 zdr;		/* 1, 0, or -1 unknown */
	const char	*health;	/* green, yellow, red, unknown */
	int		 has_uptime;
	double		 uptime_30m;
};

/*
 * The first max active models by id (the status index gives them in
 * order), with their latest sample: cb for each (-1 from cb stops).
 * The number of rows, or -1.
 */
int	 db_metrics_models(sqlite3 *, int max,
	    int (*cb)(const struct db_metrics_model *, void *), void *arg);

/*
 * Issue 10: a model's usage on the days from_day <= day < to_day (unix
 * days; the rollup usage_daily, one range of its primary key: those
 * days' keys). 0 or -1.
 */
int	 db_metrics_usage(sqlite3 *, const char *model, int64_t from_day,
	    int64_t to_day, int64_t *prompt, int64_t *completion, double *cost);

#endif
