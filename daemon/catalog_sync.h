/* catalog_sync.h: the discovery catalog: periodic refresh, the all-or-nothing apply, delisting, price events, SYNC. */
#ifndef MODELREG_CATALOG_SYNC_H
#define MODELREG_CATALOG_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "registry.h"

void	 catalog_sync_init(void);		/* registers the "catalog" source */
void	 catalog_sync_reconfigure(void);	/* after a reload */
void	 catalog_sync_shutdown(void);

/* CATALOG: which catalog models, in which order (the LIST options, plus zdr and synced). */
struct catalog_query {
	const char	*search;	/* substring, case-insensitive; NULL: any */
	const char	*provider;	/* exact, case-insensitive; NULL: any */
	int		 zdr;		/* -1 any, 1 with ZDR, 0 without or unknown */
	int		 synced;	/* -1 any, 1 synced, 0 not synced */
	enum reg_sort	 sort;		/* SORT_NAME, SORT_PROVIDER, SORT_CONTEXT or SORT_PRICE */
	int		 desc;
	const char	*kind;		/* one of REG_KINDS; NULL: any */
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

enum reg_rc catalog_list(sqlite3 *, const struct catalog_query *, catalog_entry_cb, void *);

/*
 * SYNC: add the catalog model name (id or alias) to the registry, in one
 * transaction, with the status the always lists give it, else
 * new_model_status. REG_NOTFOUND (not in the catalog), REG_CONFLICT
 * (already synced; no ZDR with enforce), REG_INTERNAL. id receives the
 * catalog id, active the status given.
 */
enum reg_rc catalog_sync_model(sqlite3 *, const struct config *, const char *name,
	    const struct actor *, char *id, size_t idlen, int *active,
	    char *msg, size_t msglen);

#endif
