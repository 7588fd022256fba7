/* reg_metrics.c: the read side of /metrics: counts off indexes and the first active models, through db_metrics.c. */
#include "reg_metrics.h"

enum reg_rc
reg_metrics_counts(sqlite3 *db, int64_t *models, int64_t *active)
{
	return db_metrics_counts(db, models, active) == -1 ? REG_INTERNAL :
	    REG_OK;
}

enum reg_rc
reg_metrics_models(sqlite3 *db, int max,
    int (*cb)(const struct db_metrics_model *, void *), void *arg, int *n)
{
	if ((*n = db_metrics_models(db, max, cb, arg)) == -1)
		return REG_INTERNAL;
	return REG_OK;
}

enum reg_rc
reg_metrics_usage(sqlite3 *db, const char *model, int64_t *prompt,
    int64_t *completion, double *cost)
{
	return db_metrics_usage(db, model, prompt, completion, cost) == -1 ?
	    REG_INTERNAL : REG_OK;
}
