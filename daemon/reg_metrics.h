/* reg_metrics.h: the read side /metrics uses (issue 10 item 4): counts and the first active models, bounded. */
#ifndef MODELREG_REG_METRICS_H
#define MODELREG_REG_METRICS_H

#include <stdint.h>
#include <sqlite3.h>

#include "db_metrics.h"
#include "registry.h"

/* Models in all and active ones, off indexes (no scan of the table's rows). */
enum reg_rc reg_metrics_counts(sqlite3 *, int64_t *models, int64_t *active);
/* The first max active models by id with their latest sample; *n how many. */
enum reg_rc reg_metrics_models(sqlite3 *, int max,
	    int (*cb)(const struct db_metrics_model *, void *), void *arg,
	    int *n);

/*
 * Issue 10: a model's usage over all time (tokens and USD), at now (0:
 * the clock). A report is dated by the group that commits it, so the
 * rollup's days before yesterday never change again: their sums are
 * read once and kept in past (a cache whose generation is the first day
 * not kept: a new day empties it), and only yesterday's and today's rows
 * are read each time. What a scrape reads of a model is two days' keys,
 * however long its history.
 */
struct cache;
enum reg_rc reg_metrics_usage(sqlite3 *, struct cache *past,
	    const char *model, int64_t now, int64_t *prompt,
	    int64_t *completion, double *cost);

#endif
