/* reg_metrics.c: the read side of /metrics: counts off indexes and the first active models, through db_metrics.c. */
#include <stdint.h>
#include <string.h>

#include "cache.h"
#include "reg_int.h"
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

/* What past keeps of a model: the sums of its days before the generation's. */
struct usage_past {
	int64_t	 prompt, completion;
	double	 cost;
};

enum reg_rc
reg_metrics_usage(sqlite3 *db, struct cache *past, const char *model,
    int64_t now, int64_t *prompt, int64_t *completion, double *cost)
{
	struct usage_past	 p;
	const char		*v;
	size_t			 vlen, klen = strlen(model);
	int64_t			 split = reg_clock(now) / 86400 - 1;
	int			 tag;

	/* Generation split + 1: never 0, which would mean "do not cache". */
	v = cache_get(past, (uint64_t)split + 1, model, klen, &tag, &vlen);
	if (v != NULL && vlen == sizeof(p))
		memcpy(&p, v, sizeof(p));
	else {
		if (db_metrics_usage(db, model, INT64_MIN, split, &p.prompt,
		    &p.completion, &p.cost) == -1)
			return REG_INTERNAL;
		(void)cache_put(past, (uint64_t)split + 1, model, klen, 0,
		    (const char *)&p, sizeof(p));
	}
	if (db_metrics_usage(db, model, split, INT64_MAX, prompt, completion,
	    cost) == -1)
		return REG_INTERNAL;
	*prompt += p.prompt;
	*completion += p.completion;
	*cost += p.cost;
	return REG_OK;
}
