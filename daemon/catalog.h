/* catalog.h: pure parsers for the providers' model lists, run inside SQLite's JSON functions. */
#ifndef MODELREG_CATALOG_H
#define MODELREG_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "config.h"	/* enum cat_format */

/*
 * Parse body (len bytes of JSON in the given format) into the temp table
 * "staging", created on first use and emptied first:
 *
 *   CREATE TEMP TABLE staging(
 *     id TEXT PRIMARY KEY,       -- validated: 1..200 bytes, 0x21..0x7e, no '"' ',' '=' '\\'
 *     name TEXT NOT NULL,        -- display name (falls back to id)
 *     provider TEXT NOT NULL,    -- '' when unknown
 *     description TEXT NOT NULL, -- '' when absent
 *     context_length INTEGER,    -- NULL when unknown
 *     prompt_price REAL,         -- USD per 1M tokens, NULL when unknown or variable
 *     completion_price REAL,
 *     features INTEGER NOT NULL, -- FEAT_* bits
 *     aliases TEXT NOT NULL,     -- JSON array of valid alias ids, '[]' when none
 *     canonical_slug TEXT,       -- OpenRouter's canonical_slug, NULL otherwise
 *     kind TEXT NOT NULL,        -- chat, embedding, moderation, ocr, image, audio or other
 *     prices TEXT NOT NULL,      -- JSON object of the other prices, as given; '{}' when none
 *     expires_at INTEGER         -- unix seconds (expiration_date, deprecation), NULL when none
 *   );
 *
 * Rules per format are in doc/formats.md. Entries with no usable id are
 * skipped and counted; duplicate ids keep the first. Does not open a
 * transaction of its own beyond what it needs (callers may wrap it).
 * Returns 0, or -1 with err set (invalid JSON, no "data" array, ...):
 * then staging is empty.
 */
struct catalog_stats {
	int	 entries;	/* array elements seen */
	int	 staged;	/* rows in staging */
	int	 skipped;	/* entries without a usable id */
	int	 duplicates;	/* entries whose id was already staged */
};
int	 catalog_parse(sqlite3 *, enum cat_format, const char *body, size_t len,
	    struct catalog_stats *, char *err, size_t errlen);

/*
 * The same over a body read in chunks (body.h: a file, a blob), never
 * held whole (issue 8). The body is split into the elements of its data
 * array (jsplit.h) and SQLite reads each through one prepared INSERT
 * ... SELECT; the errors are the same. A value longer than 4 MiB is
 * refused ("a value in the body is longer than 4194304 bytes").
 */
struct body_src;
int	 catalog_parse_src(sqlite3 *, enum cat_format, const struct body_src *,
	    struct catalog_stats *, char *err, size_t errlen);

int	 catalog_parse_format(const char *, enum cat_format *);	/* "mistral" ... -> 0, or -1 */

/* An RFC 3339 date-time, or a plain YYYY-MM-DD (UTC), as unix seconds: 0, or -1 if bad. */
int	 catalog_parse_time(const char *, size_t, int64_t *);

#endif
