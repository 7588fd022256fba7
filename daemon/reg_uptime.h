/* reg_uptime.h: the uptime rules: an uptime pass's transaction (samples, health colours, health-change events with alternatives, retention) and the read side. */
#ifndef MODELREG_REG_UPTIME_H
#define MODELREG_REG_UPTIME_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "db_uptime.h"	/* struct uptime_reading, struct uptime_history */
#include "registry.h"

/*
 * Record one uptime pass in one transaction, or nothing: samples older
 * than now - retention are pruned; each sample of a model still in the
 * registry is coloured (no working endpoint or an uptime under yellow:
 * red; under green: yellow; else green; a working endpoint without an
 * uptime: unknown) and stored; then, so that alternatives already see
 * this pass's colours, each active model whose colour changed raises
 * model.down (turning red, even as a first sample), model.degraded
 * (turning yellow after a known colour) or model.up (green after red or
 * yellow), naming up to three alternatives. REG_OK, or REG_INTERNAL
 * (nothing changed, msg says so). The events commit with the samples;
 * events_notify() is called, unless in->notify_later (a job on the
 * import worker, issue 8: its done calls it on the loop).
 */
struct reg_uptime_settings {
	int	 green;		/* [uptime] green, percent */
	int	 yellow;	/* [uptime] yellow, percent */
	int	 retention;	/* [uptime] retention, seconds */
};
struct reg_uptime_sample {
	const char		*id;		/* an exact model id */
	struct uptime_reading	 reading;
};
struct reg_uptime_in {
	const struct reg_uptime_sample	*v;
	size_t				 n;
	int64_t				 now;
	int				 notify_later;	/* off the loop: the caller calls events_notify() */
};
struct reg_uptime_out {
	/* The caller's array of in->n (may be NULL): each sample's colour, NULL for a model no longer in the registry. */
	const char	**health;
	int		 sampled;	/* samples stored */
	int		 gone;		/* models deleted meanwhile: not stored */
	int		 green, yellow, red, unknown;
	int		 events;	/* health-change events raised */
	int		 pruned;	/* old samples deleted */
};
enum reg_rc reg_uptime_record(sqlite3 *, const struct reg_uptime_settings *,
	    const struct reg_uptime_in *, struct reg_uptime_out *, char *msg,
	    size_t len);

/* The colour of a reading and the event a new colour raises after prev ("" none): NULL for none. Pure. */
const char *reg_uptime_health(const struct uptime_reading *, int green, int yellow);
const char *reg_uptime_event_kind(const char *prev, const char *cur);

/* An endpoints response (db_uptime_parse): 0, or -1 with err set. Reads no table. */
int	 reg_uptime_parse(sqlite3 *, const char *body, size_t len,
	    struct uptime_reading *, char *err, size_t errlen);
/* The ids of every synced model, sorted; free with reg_uptime_ids_free. 0, or -1. */
int	 reg_uptime_models(sqlite3 *, char ***ids, size_t *n);
void	 reg_uptime_ids_free(char **ids, size_t n);
/* A page of them after after (db_uptime_models_page): the number added, or -1. */
int	 reg_uptime_models_page(sqlite3 *, const char *after, int limit,
	    char ***ids, size_t *n, size_t *cap);

/* Are any samples stored at all? 0 (n set), or -1. */
int	 reg_uptime_count(sqlite3 *, int64_t *n);
/*
 * UPTIME: the history since a time of model (an id or alias), or of every
 * synced model when model is NULL, by id; a non-zero from cb stops.
 * REG_OK, REG_NOTFOUND (no such model), REG_INTERNAL.
 */
enum reg_rc reg_uptime_history(sqlite3 *, const char *model, int64_t since,
	    db_uptime_cb, void *arg);

#endif
