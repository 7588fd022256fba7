/* db_usage.h: the SQL of USAGE (issue 10 item 1): a model's prices in force, a report's row, the rollup, the period's sums, the summaries. */
#ifndef MODELREG_DB_USAGE_H
#define MODELREG_DB_USAGE_H

#include <stdint.h>
#include <sqlite3.h>

#include "reg_usage.h"

/* A present model by id or alias, with its generation and the prices in force now. */
struct db_usage_model {
	char	 id[256];
	int64_t	 gen;
	int	 has_pp, has_cp;
	double	 pp, cp;		/* USD per 1M prompt, completion tokens */
};
/* 0, 1 no such model, -1. */
int	 db_usage_model(sqlite3 *, const char *name, struct db_usage_model *);

/* One report's row and its rollup row (day = at / 86400): 0 or -1. */
int	 db_usage_insert(sqlite3 *, int64_t at, const char *model, int64_t key,
	    const struct usage_report *, double cost, int priced, int64_t *id);
int	 db_usage_rollup(sqlite3 *, int64_t at, const char *model, int64_t key,
	    const struct usage_report *, double cost);

/* Sums of the rollup since unix day `day`: 0 or -1. */
/* Every model's totals since the unix day `day`, one row a model: cb for each (-1 stops). 0 or -1. */
int	 db_usage_models_since(sqlite3 *, int64_t day,
	    int (*cb)(const char *model, const struct usage_totals *, void *),
	    void *arg);
int	 db_usage_model_period(sqlite3 *, const char *id, int64_t day,
	    struct usage_totals *);
int	 db_usage_key_period(sqlite3 *, int64_t key, int64_t day,
	    struct usage_totals *);

/* A model name as a summary's filter: its id, or the literal (a deleted model's id). */
int	 db_usage_model_id(sqlite3 *, const char *name, char *id, size_t len);

/* key -1: any key. model NULL: any. since 0: all time. 0 or -1. */
int	 db_usage_summary(sqlite3 *, enum usage_by, int64_t since,
	    const char *model, int64_t key, int limit, usage_row_cb, void *arg);
int	 db_usage_unused(sqlite3 *, int64_t since, int limit, usage_unused_cb,
	    void *arg);
/* Issue 11: keep in temp.batch_sel (db_tags.h) only the models unused since since; 0, -1. */
int	 db_usage_sel_unused(sqlite3 *, int64_t since);

/* SAVEPOINT usage_report, and its release or rollback: 0 or -1. */
int	 db_usage_savepoint(sqlite3 *);
int	 db_usage_release(sqlite3 *, int keep);

#endif
