/* reg_catalog.h: the catalog's rules: apply a parsed catalog (the shrink guard, delisting, price events), SYNC, and the catalog's read side. */
#ifndef MODELREG_REG_CATALOG_H
#define MODELREG_REG_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "registry.h"

struct body_src;
struct cfg_list;
struct db_catalog_held;

/*
 * Apply the catalog a source parsed into the temp table "staging"
 * (catalog.h), in one transaction, or nothing:
 *  - the shrink guard: when the catalog would lose more than max_drop
 *    percent of its models and in->force is 0, nothing is applied and the
 *    response is held instead (kept whole in the database, so that
 *    `refresh catalog --force` applies this very response, even after a
 *    restart): out->held is 1, msg says why;
 *  - else model.price_increase for each synced model whose prompt or
 *    completion price rises by more than price_increase percent, synced
 *    models listed again lose their delisted mark, synced models get the
 *    metadata (a catalog.update audit row per changed field), synced
 *    models no longer listed are marked delisted (model.delisted, audited),
 *    the catalog table becomes staging, the validators are kept and a held
 *    response is forgotten; msg is the summary.
 * REG_OK (applied or held: see out->held), or REG_INTERNAL (nothing
 * changed). The events commit with the change; events_notify() is called.
 */
struct reg_catalog_settings {
	int	 max_drop;		/* [catalog] max_drop, percent */
	int	 price_increase;	/* [catalog] price_increase, percent */
};
struct reg_catalog_in {
	const char		*body;		/* the response as fetched: kept when held */
	size_t			 len;
	const struct body_src	*src;		/* issue 8: the body in chunks (body.h), used instead of body and len */
	const char		*digest;	/* its SHA-256 (hex) when known; else computed from body */
	const char		*format;	/* its format's name ("openrouter"), kept with it */
	const char		*etag;		/* validators; NULL when none */
	const char		*last_modified;
	int			 force;		/* refresh --force: the guard does not hold */
	int64_t			 now;
	const struct actor	*actor;
	int			 notify_later;	/* off the loop (import.c): the caller calls events_notify() */
};
struct reg_catalog_out {
	int	 held;		/* the guard held the response: nothing else changed */
	int	 forced;	/* applied although the guard would have held it */
	int64_t	 known;		/* models in the catalog before */
	int64_t	 staged, added, dropped;
	int	 percent;	/* of the catalog dropped, rounded (set when held) */
	int	 updated;	/* synced models whose metadata changed */
	int	 delisted, relisted, price_rises;
};
enum reg_rc reg_catalog_apply(sqlite3 *, const struct reg_catalog_settings *,
	    const struct reg_catalog_in *, struct reg_catalog_out *, char *msg,
	    size_t len);

/*
 * A 304 for the catalog: the catalog applied is still the catalog, so a
 * held response is forgotten. *items: the models in the catalog.
 */
enum reg_rc reg_catalog_unchanged(sqlite3 *, int64_t *items, char *msg, size_t len);

/*
 * Issue 8: is this body (in this format) the one the last apply applied?
 * A body equal byte for byte changes nothing, so it is not parsed: as for
 * a 304 the held response is forgotten, and only its validators are
 * stored (when they differ). 1 (same body: *items, msg set), 0 (another
 * body, or no catalog yet), -1 (database error: msg set).
 */
int	 reg_catalog_same_body(sqlite3 *, const struct reg_catalog_in *,
	    int64_t *items, char *msg, size_t len);

/*
 * The catalog's source changed ([catalog] url): its validators and a
 * held response belong to the old one and are forgotten. 0, or -1 (logged).
 */
int	 reg_catalog_forget(sqlite3 *);

/* The validators for the next fetch (caller frees): NULL unless a catalog they describe is kept. */
void	 reg_catalog_validators(sqlite3 *, char **etag, char **last_modified);

/* The held response (db_catalog.h): 0 (h filled), 1 none, -1. with_body 0: meta only. */
int	 reg_catalog_held(sqlite3 *, struct db_catalog_held *, int with_body);

/* Issue 8: the held body as a blob to read in chunks (caller closes it): 0, 1 none, -1. */
int	 reg_catalog_held_body(sqlite3 *, sqlite3_blob **, uint64_t *len);

/* Models in the catalog table: 0, or -1. */
int	 reg_catalog_count(sqlite3 *, int64_t *);

/*
 * Seeding from the catalog: keep in staging only the models names (ids or
 * aliases) designate; *kept the rows left. 0, or -1.
 */
int	 reg_catalog_stage_only(sqlite3 *, const char *const *names, size_t n,
	    int64_t *kept);

/* CATALOG: which catalog models, in which order (the LIST options, plus zdr and synced). */
struct catalog_query {
	const char	*search;	/* substring, case-insensitive; NULL: any */
	const char	*provider;	/* exact, case-insensitive; NULL: any */
	int		 zdr;		/* -1 any, 1 with ZDR, 0 without or unknown */
	int		 synced;	/* -1 any, 1 synced, 0 not synced */
	enum reg_sort	 sort;		/* SORT_NAME, SORT_PROVIDER, SORT_CONTEXT or SORT_PRICE */
	int		 desc;
	const char	*kind;		/* one of REG_KINDS; NULL: any */
	/* Paging (issue 8), as struct list_query's. */
	int			 limit;
	const struct page_cursor	*after;
	struct page_cursor	*next;
	/* Issue 11: only entries synced as a registry model with this tag; NULL: any. */
	const char		*tag;
};

/* A catalog model; pointers valid only during the callback. */
struct catalog_entry {
	const char	*id, *name, *provider, *description;
	const char	*canonical_slug;	/* NULL when unknown */
	int64_t		 context_length;	int has_context;
	double		 prompt_price;		int has_prompt_price;
	double		 completion_price;	int has_completion_price;
	unsigned	 features;
	const char	*aliases;		/* JSON array text */
	int		 zdr;			/* 1, 0, -1 unknown */
	int		 synced;
	int64_t		 first_seen, last_seen;
	const char	*kind;			/* "chat", "embedding", ... */
	const char	*prices;		/* JSON object text */
	int64_t		 expires_at;		/* 0 when it does not expire */
};
typedef int (*catalog_entry_cb)(const struct catalog_entry *, void *);	/* non-zero stops */

/* REG_OK, REG_USAGE (a sort key CATALOG has not), REG_INTERNAL. */
enum reg_rc reg_catalog_list(sqlite3 *, const struct catalog_query *,
	    catalog_entry_cb, void *);

/*
 * SYNC: add the catalog model in->name (id or alias) to the registry, in
 * one transaction, with the status the always lists give it (always_active
 * wins), else new_model_active, and its audit row and model.synced event.
 * REG_NOTFOUND (not in the catalog), REG_CONFLICT (already synced; no ZDR
 * while zdr_enforce), REG_INTERNAL. out->id: the catalog id, out->active
 * the status given.
 */
struct reg_sync_settings {
	int			 zdr_enforce;		/* [zdr] enforce */
	int			 new_model_active;	/* [seed] new_model_status */
	const struct cfg_list	*always_active;		/* may be NULL */
	const struct cfg_list	*always_inactive;
};
struct reg_sync_in {
	const char		*name;
	const struct actor	*actor;
	int64_t			 now;
};
struct reg_sync_out {
	char	 id[256];
	int	 active;
};
enum reg_rc reg_catalog_sync(sqlite3 *, const struct reg_sync_settings *,
	    const struct reg_sync_in *, struct reg_sync_out *, char *msg,
	    size_t len);

#endif
