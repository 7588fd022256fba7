/* usage_month.h: each model's usage of the current month in memory (issue 10), so SHOW's live fields cost no query: loaded from the rollup at start and at a month's turn, added to after each committed group. */
#ifndef MODELREG_USAGE_MONTH_H
#define MODELREG_USAGE_MONTH_H

#include <stdint.h>

#include "reg_usage.h"	/* struct usage_totals */

struct umonth;

struct umonth	*umonth_new(void);
void		 umonth_free(struct umonth *);
/* Forget everything: the month that starts on unix day day0 begins empty. */
void		 umonth_reset(struct umonth *, int64_t day0);
int64_t		 umonth_day0(const struct umonth *);	/* -1 before the first reset */
/* Add a model's reports (0, or -1 out of memory: the table is then marked stale). */
int		 umonth_add(struct umonth *, const char *model,
		    const struct usage_totals *);
/* A model's totals (zeros when it has none): 0, or -1 when the table is stale. */
int		 umonth_get(struct umonth *, const char *model,
		    struct usage_totals *);

#endif
