/* db_zdr.h: the SQL of the ZDR source: parse the endpoint list inside SQLite, compare it with the last one, replace it. */
#ifndef MODELREG_DB_ZDR_H
#define MODELREG_DB_ZDR_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

/* What a parse saw. */
struct zdr_stats {
	int	 entries;	/* elements of the data array */
	int	 endpoints;	/* elements with a usable model_id */
	int	 skipped;	/* elements without one (not an object, bad slug) */
	int	 slugs;		/* distinct slugs: the models that have ZDR */
};

/*
 * Parse body (len bytes; OpenRouter's {"data":[endpoint, ...]}) into the
 * temp table zdr_new(slug), emptied first. An endpoint's model_id is a
 * canonical slug, kept when it is a string of 1..255 bytes of 0x21..0x7e
 * other than '"' ',' '=' '\\'; other entries are skipped and counted.
 * Returns 0, or -1 with err set (invalid JSON, no data array, a data that
 * is not an array, SQLite failed). An empty list is not an error here.
 */
int	 db_zdr_parse(sqlite3 *, const char *body, size_t len,
	    struct zdr_stats *, char *err, size_t errlen);

/* A synced model that had ZDR and has none in zdr_new. */
struct zdr_loss {
	char	 id[256];
	char	 slug[256];
	int	 is_default;
	int	 active;
};

/*
 * Compare zdr_new with the last applied list over the synced models,
 * whose slug is coalesce(models.canonical_slug, catalog.canonical_slug,
 * models.id) as in model_view. A model had ZDR, once a refresh has
 * succeeded (state zdr_last_ok), when zdr_slugs lists its slug or when
 * the last apply recorded it in state zdr_had (with the same added_at):
 * the latter catches a model whose slug a catalog refresh changed since.
 * *with_zdr: the synced models that had ZDR; *losses (caller frees) and
 * *nlosses: those of them whose slug zdr_new does not list, by id.
 * Writes only temp scratch tables. 0, or -1.
 */
int	 db_zdr_diff(sqlite3 *, int64_t *with_zdr, struct zdr_loss **losses,
	    size_t *nlosses);

/*
 * zdr_slugs := zdr_new (then emptied), and state zdr_had := the synced
 * models whose slug it lists, as a JSON object {id: added_at}; inside
 * the caller's transaction. 0, or -1.
 */
int	 db_zdr_replace(sqlite3 *);

/*
 * zdr_new := zdr_slugs, for a response that says the list has not
 * changed (a 304): the models are compared with it again, since their
 * slugs may have. zs->slugs counts it. 0, or -1.
 */
int	 db_zdr_reuse(sqlite3 *, struct zdr_stats *);

/*
 * The held response (issue 6): a ZDR response held for max_remove is
 * kept in the database (state 'zdr_held', so it survives a restart)
 * until --force applies it or a valid response replaces it.
 *
 * db_zdr_hold: keep zdr_new (the parsed list), losses_json (a JSON array
 * of the ids it would remove), the counts, etag and msg; *changed is 1
 * when this is not the response already held (another list or other
 * losses). Inside the caller's transaction. 0, or -1.
 */
int	 db_zdr_hold(sqlite3 *, const struct zdr_stats *, const char *losses_json,
	    const char *etag, const char *msg, int *changed);
/*
 * zdr_new := the held list, with its counts, etag and message (either may
 * be NULL). 0, 1 when nothing is held, -1.
 */
int	 db_zdr_held_load(sqlite3 *, struct zdr_stats *, char *etag,
	    size_t etaglen, char *msg, size_t msglen);
/* Is a response held? 1 (msg: why), 0, -1. */
int	 db_zdr_held_exists(sqlite3 *, char *msg, size_t msglen);
int	 db_zdr_held_clear(sqlite3 *);
/*
 * The models the hold deactivated (inactive, status_reason zdr_held)
 * whose slug zdr_new names: they are reactivated. *out (caller frees).
 */
int	 db_zdr_relisted(sqlite3 *, struct zdr_loss **out, size_t *nout);

#endif
