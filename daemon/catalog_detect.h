/* catalog_detect.h: tell from a body which catalog format it is, and check it against the configured one. */
#ifndef MODELREG_CATALOG_DETECT_H
#define MODELREG_CATALOG_DETECT_H

#include <stddef.h>
#include <sqlite3.h>

#include "catalog.h"

/* What detection counted among the objects of the data array. */
struct catalog_shape {
	int	 entries;	/* objects in data */
	int	 mistral;	/* entries with a Mistral-only member (not null) */
	int	 openrouter;	/* entries with an OpenRouter-only member (not null) */
};

/* What the body looks like. */
enum cat_look {
	LOOK_NONE = 0,		/* not a catalog (invalid JSON, no data array...) */
	LOOK_OPENAI,		/* only the members all three share: the plain shape */
	LOOK_MISTRAL,
	LOOK_OPENROUTER,
	LOOK_MIXED,		/* as many Mistral entries as OpenRouter ones */
};

/*
 * Look at body (len bytes) with SQLite's JSON functions on db, changing
 * nothing: the rules are in doc/formats.md ("Detecting the format").
 * Fills shape when not NULL. Returns the look; LOOK_NONE also when the
 * database fails (catalog_parse then says why).
 */
enum cat_look catalog_detect(sqlite3 *db, const char *body, size_t len,
	    struct catalog_shape *shape);
/* The same over a body read in chunks (body.h), element by element. */
struct body_src;
enum cat_look catalog_detect_src(sqlite3 *db, const struct body_src *,
	    struct catalog_shape *shape);
/* The look of what detection counted. Pure. */
enum cat_look catalog_look_of(const struct catalog_shape *);

/* "openai", "mistral", "openrouter", "mixed", "" for LOOK_NONE. */
const char *catalog_look_name(enum cat_look);

/*
 * The format to parse a body that looks like look with, for the
 * configured format (FMT_AUTO included): 0 with *use set, or -1 with err
 * naming the format the body looks like. LOOK_NONE gives the configured
 * format (or mistral for auto), so that catalog_parse reports the error.
 * Pure.
 */
int	 catalog_pick_format(enum cat_format configured, enum cat_look look,
	    enum cat_format *use, char *err, size_t errlen);

/*
 * What the seed and the catalog call: detect, pick, then catalog_parse
 * with the picked format. *look (when not NULL) gets what the body looked
 * like. Returns 0, or -1 with err set; on a mismatch staging is left as it
 * was and nothing else changes.
 */
int	 catalog_parse_checked(sqlite3 *db, enum cat_format configured,
	    const char *body, size_t len, struct catalog_stats *stats,
	    enum cat_look *look, char *err, size_t errlen);
/*
 * The same over a body read in chunks (issue 8), in one pass: each
 * element is detected and read as it comes, in the configured format or
 * (auto) the one its first object looks like; a body that turns out to
 * look like another format is read again. digest (DIGEST_HEX_LEN bytes,
 * or NULL): the body's SHA-256, computed on the way.
 */
int	 catalog_parse_checked_src(sqlite3 *db, enum cat_format configured,
	    const struct body_src *, struct catalog_stats *stats,
	    enum cat_look *look, char *digest, char *err, size_t errlen);

#endif
