/* db_catalog.h: the discovery catalog's SQL: the all-or-nothing apply over staging, the CATALOG query, SYNC. */
#ifndef MODELREG_DB_CATALOG_H
#define MODELREG_DB_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "db.h"		/* enum db_plan */
#include "reg_catalog.h"	/* struct catalog_query, catalog_entry */

/*
 * The apply side works over the temp table "staging" (catalog.h) and runs
 * inside the caller's transaction. Unless said otherwise each returns 0,
 * or -1 when SQLite failed (logged).
 */

/* The catalog now and what staging would make of it. */
struct db_catalog_diff {
	int64_t	 known;		/* rows in the catalog table */
	int64_t	 staged;	/* rows in staging */
	int64_t	 dropped;	/* catalog ids staging does not list */
	int64_t	 added;		/* staged ids the catalog does not list */
};
int	 db_catalog_diff(sqlite3 *, struct db_catalog_diff *);

/* A synced model whose price rose: has_ flags say which prices are known. */
struct db_price_rise {
	const char	*id;
	double		 old_prompt, new_prompt;	int has_old_prompt, has_new_prompt;
	double		 old_completion, new_completion;	int has_old_completion, has_new_completion;
	int		 prompt_rose, completion_rose;
};
typedef int (*db_price_cb)(const struct db_price_rise *, void *);	/* non-zero: -1 returned */
/* Synced, staged models whose prompt or completion price rises by more than pct percent from a known non-zero price. */
int	 db_catalog_price_rises(sqlite3 *, int pct, db_price_cb, void *);

typedef int (*db_id_cb)(const char *id, void *);	/* non-zero: -1 returned */
/* Synced models marked delisted that staging lists again. */
int	 db_catalog_relisted(sqlite3 *, db_id_cb, void *);
/* Synced models not marked delisted that the catalog lists and staging does not. */
int	 db_catalog_vanished(sqlite3 *, db_id_cb, void *);

/*
 * Synced, staged models: metadata from staging (an audit row
 * "catalog.update" per changed field), last_seen_at = now, delisted = 0
 * (audited when it was 1). changed counts the models whose metadata changed.
 */
struct actor;
struct page_cursor;
int	 db_catalog_update_synced(sqlite3 *, int64_t now, const struct actor *,
	    int *changed);
/* The same models (db_catalog_vanished): delisted = 1, audited. Call before db_catalog_replace. */
int	 db_catalog_mark_delisted(sqlite3 *, int64_t now, const struct actor *,
	    int *marked);
/* The catalog table becomes staging: first_seen kept for known ids, last_seen = now. */
int	 db_catalog_replace(sqlite3 *, int64_t now);
int	 db_catalog_count(sqlite3 *, int64_t *);

/*
 * Seeding from the catalog: keep in staging only the models that names
 * (ids or aliases) designate. kept receives the rows left.
 */
int	 db_catalog_stage_only(sqlite3 *, const char *const *names, size_t n,
	    int64_t *kept);

/* CATALOG. Returns the number of rows, or -1. */
int	 db_catalog_list(sqlite3 *, const struct catalog_query *,
	    catalog_entry_cb, void *);
/*
 * The same as a cursor (issue 8, reg_cursor.c): the statement of its rows
 * or (count) of their number, prepared and bound (q's strings must
 * outlive it), and one row at a time: 1, 0 at the end, -1.
 */
sqlite3_stmt *db_catalog_list_stmt(sqlite3 *, const struct catalog_query *,
	    int count, int phase, int limit, enum db_plan);
int	 db_page_cursor_entry(struct page_cursor *, const struct catalog_query *,
	    const struct catalog_entry *);
int	 db_catalog_step(sqlite3 *, sqlite3_stmt *, struct catalog_entry *);

/*
 * SYNC. Resolve name in the catalog (exact id, else the smallest id
 * listing it as an alias): 0 (id and zdr set: 1, 0, -1 unknown), 1 not
 * listed, -1.
 */
int	 db_catalog_resolve(sqlite3 *, const char *name, char *id, size_t idlen,
	    int *zdr);
/* Is name the catalog model id or one of its aliases? 1 yes, 0 no, -1. */
int	 db_catalog_names(sqlite3 *, const char *id, const char *name);
/* Add catalog model id to the registry with that status (status_source seed), and its audit row. */
int	 db_catalog_sync_add(sqlite3 *, const char *id, int active, int64_t now,
	    const struct actor *);

/*
 * The held response (issue 6): a catalog response held for max_drop is
 * kept whole in the database (state keys catalog_held, the body, and
 * catalog_held_meta, {format, etag, last_modified, message}), so that
 * `refresh catalog --force` applies exactly the response that was judged,
 * even after a restart. Inside the caller's transaction. Issue 8: the
 * body is a blob written and read in chunks (body.h), never whole in
 * memory; db_catalog_hold reads src (or, when NULL, body and len).
 */
struct db_catalog_held {
	char	*body;		/* NUL-terminated, len bytes; caller frees */
	size_t	 len;
	char	 format[32];
	char	 etag[1100];	/* "" when none */
	char	 last_modified[1100];
	char	 message[256];
};
struct body_src;
int	 db_catalog_hold(sqlite3 *, const struct body_src *src,
	    const char *body, size_t len, const char *format, const char *etag,
	    const char *last_modified, const char *message);
/* The held body as a blob to read (caller closes it): 0, 1 nothing held, -1. */
int	 db_catalog_held_open(sqlite3 *, sqlite3_blob **, uint64_t *len);
/* 0 (h filled), 1 nothing is held, -1. with_body 0: meta only. */
int	 db_catalog_held_get(sqlite3 *, struct db_catalog_held *h, int with_body);
int	 db_catalog_held_clear(sqlite3 *);

#endif
