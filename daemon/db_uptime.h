/* db_uptime.h: the SQL of uptime tracking: parse an endpoints response, record samples, prune, report history. */
#ifndef MODELREG_DB_UPTIME_H
#define MODELREG_DB_UPTIME_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

/*
 * What one OpenRouter endpoints response says about a model
 * ({"data":{"endpoints":[{"status":0,"uptime_last_30m":99.1,...}]}}).
 * An endpoint is working when its status is 0, absent or null; its
 * uptime counts when it is a number within 0..100 (anything else is
 * unknown). best is the highest uptime among working endpoints.
 */
struct uptime_reading {
	int	 endpoints;	/* endpoint objects listed */
	int	 working;	/* of which working */
	int	 has_best;	/* a working endpoint reported an uptime */
	double	 best;		/* percent */
};

/*
 * Parse body (len bytes) inside SQLite's JSON functions; reads no table.
 * Returns 0, or -1 with err set when the body is not JSON of that shape
 * (not JSON, no "data" object, no "endpoints" array).
 */
int	 db_uptime_parse(sqlite3 *, const char *body, size_t len,
	    struct uptime_reading *, char *err, size_t errlen);

/* The ids of every synced model, sorted. *ids is an array of *n strings; free with db_uptime_ids_free. */
int	 db_uptime_models(sqlite3 *, char ***ids, size_t *n);
/*
 * At most limit ids after after (NULL: from the first), in id order,
 * appended to *ids (*n of them, room for *cap). The number added, or -1
 * (what was there stays; free it with db_uptime_ids_free).
 */
int	 db_uptime_models_page(sqlite3 *, const char *after, int limit,
	    char ***ids, size_t *n, size_t *cap);
void	 db_uptime_ids_free(char **ids, size_t n);

/*
 * What the event rules compare a new sample with: the model's status and
 * default mark, and the health of its latest sample whose health was
 * known (not "unknown"), "" when there is none. 0, 1 when the model is
 * no longer in the registry, -1.
 */
struct uptime_prev {
	int	 active;
	int	 is_default;
	char	 health[8];
};
/*
 * A pass's statements, prepared at their first use and reused for every
 * model of the pass (issue 8: preparing three statements per model was
 * most of a pass's cost); free them with db_uptime_stmts_free. Zeroed
 * to start.
 */
struct db_uptime_stmts {
	sqlite3_stmt	*prev, *del, *ins;
};
void	 db_uptime_stmts_free(struct db_uptime_stmts *);
int	 db_uptime_previous(sqlite3 *, struct db_uptime_stmts *, const char *id,
	    struct uptime_prev *);

/*
 * Record one sample (inside the caller's transaction). A sample of the
 * same model at the same second replaces it, so that "the latest sample"
 * is always one row. has_uptime 0 stores NULL.
 */
int	 db_uptime_record(sqlite3 *, struct db_uptime_stmts *, const char *id,
	    int64_t at, int has_uptime, double uptime, const char *health);

/* Delete every sample older than before (inside the caller's transaction); *pruned counts them. */
int	 db_uptime_prune(sqlite3 *, int64_t before, int *pruned);

/*
 * A model's history since a time (UPTIME). Pointers are valid only during
 * the callback. incidents counts the red samples at or after since whose
 * previous sample of known health (however old) was not red, or that
 * have none.
 */
struct uptime_history {
	const char	*id;
	int64_t		 samples;	/* at or after since */
	int64_t		 green;		/* of which green */
	double		 mean;		int has_mean;	/* over samples with an uptime */
	int64_t		 incidents;
	const char	*health;	/* of the latest sample, "unknown" without one */
	double		 uptime_30m;	int has_uptime;	/* the latest sample's */
	int64_t		 last_at;	/* 0 without samples */
};
typedef int (*db_uptime_cb)(const struct uptime_history *, void *arg);	/* non-zero stops */

/* How many samples are stored at all (UPTIME tells "never configured" from "no samples yet"). */
int	 db_uptime_count(sqlite3 *, int64_t *);

/* For id (an exact model id), or every synced model when id is NULL, by id. 0 or -1. */
int	 db_uptime_history(sqlite3 *, const char *id, int64_t since,
	    db_uptime_cb, void *arg);

#endif
