/* reg_usage.h: USAGE's rules (issue 10 item 1): one group of reports judged one by one and committed in one transaction; the cost from the price in force; the period's totals; the summaries. */
#ifndef MODELREG_REG_USAGE_H
#define MODELREG_REG_USAGE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "keysecret.h"
#include "reg_keys.h"
#include "registry.h"
#include "sessions.h"

#define USAGE_TOKENS_MAX	100000000LL	/* prompt or completion tokens in one report */
#define USAGE_REQUESTS_MAX	1000000LL	/* requests= in one report */
#define USAGE_SUMMARY_MAX	10000		/* rows of one summary */

/* One USAGE as its handler parsed it: the secret is already a digest. */
struct usage_report {
	char		 model[256];		/* the name as given: an id or an alias */
	int		 has_key;
	unsigned char	 key_hash[KEY_HASH_LEN];
	int		 has_session;
	char		 session[SESSION_ID_MAX + 1];
	int64_t		 requests;
	int64_t		 prompt_tokens;
	int64_t		 completion_tokens;
};

/* What became of one report of a group. */
enum usage_rc {
	USAGE_OK,		/* stored and counted */
	USAGE_NOTFOUND,		/* no such model */
	USAGE_DENIED,		/* the key is unknown, unusable, or may not use the model */
	USAGE_SUSPICIOUS,	/* it would cost more than [usage] max_report_cost */
	USAGE_LIMIT,		/* a cap refused it (caps: reg_caps_charge) */
	USAGE_INTERNAL,
};

struct usage_result {
	enum usage_rc	 rc;
	char		 msg[512];		/* why, for a refusal; never a secret */
	char		 model[256];		/* the model's id */
	char		 key_name[KEY_NAME_MAX + 1];	/* "" without a key */
	double		 cost;			/* USD */
	int		 priced;		/* 0: a price it needed is unknown */
	int64_t		 id;			/* the report's row */
	/*
	 * caps: set when the report's charge changed a model (a cap that
	 * deactivated it), so the group's commit moves the write generation
	 * and SHOW's cache forgets the model's old state.
	 */
	int		 models_changed;
};

/*
 * The cost of r at prices in USD per 1M tokens (has_*: known): *cost
 * and 1, or 0 when a price the report needs is unknown (that part costs
 * nothing). Pure.
 */
int	 usage_cost(const struct usage_report *r, int has_pp, double pp,
	    int has_cp, double cp, double *cost);
/* The unix day the UTC calendar month of now starts on (the period SHOW and KEY SHOW report). Pure. */
int64_t	 usage_month_start_day(int64_t now);
/* "2026-12": the month of now in UTC. */
void	 usage_month_name(int64_t now, char *out, size_t len);

/*
 * The group commit: reports in[0..n) in one BEGIN IMMEDIATE transaction
 * (never waiting for the lock: 1 when it is held, nothing written), each
 * judged on its own inside a SAVEPOINT, so that a refused one changes
 * nothing and fails none of the others. out[i] says what became of
 * in[i]. 0: committed (every USAGE_OK in out is durable); 1: busy; -1:
 * nothing was written (every out[i] is USAGE_INTERNAL). *changed is set
 * when a report changed a model (caps).
 */
int	 reg_usage_commit(sqlite3 *, const struct usage_report *in,
	    struct usage_result *out, size_t n, int64_t now,
	    double max_report_cost, int *changed);

/* Totals of a period. */
struct usage_totals {
	int64_t	 requests;
	int64_t	 prompt_tokens;
	int64_t	 completion_tokens;
	double	 cost;
};
/* A model's or a key's totals since the unix day `day` (rollup seeks only): 0 or -1. */
/* Every model's totals since the unix day `day` (at start, and at a month's turn). 0 or -1. */
int	 reg_usage_models_since(sqlite3 *, int64_t day,
	    int (*cb)(const char *model, const struct usage_totals *, void *),
	    void *arg);
int	 reg_usage_model_period(sqlite3 *, const char *id, int64_t day,
	    struct usage_totals *);
int	 reg_usage_key_period(sqlite3 *, int64_t key, int64_t day,
	    struct usage_totals *);

enum usage_by { USAGE_BY_MODEL, USAGE_BY_KEY, USAGE_BY_DAY };

/* A summary's filters: since 0 is all time; model and key NULL are any. */
struct usage_query {
	enum usage_by	 by;
	int64_t		 since;
	const char	*model;		/* an id or alias; a deleted model by its id */
	const char	*key;		/* a key's name */
	int		 limit;
	int64_t		 now;
};
/* One row of a summary: group is a model id, a key name ("" for none) or a day (YYYY-MM-DD). */
typedef int (*usage_row_cb)(const char *group, const struct usage_totals *,
	    void *arg);
/* Most-used first (tokens, then requests). REG_OK, REG_NOTFOUND (no such key), REG_INTERNAL. */
enum reg_rc reg_usage_summary(sqlite3 *, const struct usage_query *,
	    usage_row_cb, void *arg, char *msg, size_t len);
/* The registry's models with no usage and no RESOLVE since `since` that were there before it (db_usage.c's one rule): cb(id, added_at, last_used or 0). */
typedef int (*usage_unused_cb)(const char *id, int64_t added_at,
	    int64_t last_used, void *arg);
enum reg_rc reg_usage_unused(sqlite3 *, int64_t since, int limit,
	    usage_unused_cb, void *arg, char *msg, size_t len);

#endif
