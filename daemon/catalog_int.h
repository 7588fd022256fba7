/* catalog_int.h: what catalog.c and catalog_fn.c share; not for their callers. */
#ifndef MODELREG_CATALOG_INT_H
#define MODELREG_CATALOG_INT_H

#include <sqlite3.h>

#include "catalog.h"
#include "catalog_detect.h"
#include "config.h"

struct body_src;

/*
 * Register catalog_id, catalog_text, catalog_int, catalog_price,
 * catalog_number and catalog_time on this connection, once (a second call
 * only probes). The per-format SQL of catalog.c calls them. 0, or -1.
 */
int	 catalog_fn_register(sqlite3 *);

/*
 * For tests, which read bodies both ways: a plain format's body of at
 * least min bytes is read with helpers threads (catalog_par.c), helpers
 * of them (-1: as many as the machine has CPUs to spare, the default,
 * from 1 MiB).
 */
void	 catalog_parallel(size_t min, int helpers);

/*
 * What an element looks like (doc/formats.md, "Detecting the format"), as
 * SQL over the element o (NULL when it is not an object): bit 1 when it
 * has a member only Mistral's list has, bit 2 one only OpenRouter's has,
 * NULL for no object. A member counts when it is present and not null: a
 * gateway that writes every member of a union schema as null says nothing
 * about its format. The plain OpenAI shape (id, object, created,
 * owned_by) has none of them, and both rich formats have those four too.
 */
#define CAT_HAS(o, m)	"coalesce(json_type(" o ", '$." m "'), 'null') <> 'null'"
#define CAT_LOOK_SQL(o)							\
	"(CASE WHEN " o " IS NULL THEN NULL ELSE"			\
	" (" CAT_HAS(o, "capabilities") " OR " CAT_HAS(o, "max_context_length") \
	"  OR " CAT_HAS(o, "aliases") " OR " CAT_HAS(o, "default_model_temperature") \
	"  OR " CAT_HAS(o, "deprecation")				\
	"  OR " CAT_HAS(o, "deprecation_replacement_model") ")"		\
	" + 2 * (" CAT_HAS(o, "pricing") " OR " CAT_HAS(o, "architecture") \
	"  OR " CAT_HAS(o, "context_length") " OR " CAT_HAS(o, "canonical_slug") \
	"  OR " CAT_HAS(o, "supported_parameters") " OR " CAT_HAS(o, "top_provider") \
	"  OR " CAT_HAS(o, "per_request_limits") " OR " CAT_HAS(o, "hugging_face_id") \
	" ) END)"

/*
 * The one pass over a body that catalog_parse, catalog_parse_checked and
 * catalog_detect share. check 0: parse in fmt; 1: detect, pick the format
 * for the configured fmt (catalog_pick_format), then parse; 2: detect
 * only (shape filled, staging untouched). digest (DIGEST_HEX_LEN, or
 * NULL): the body's SHA-256, computed as it is read. 0, or -1 with err.
 */
int	 catalog_run(sqlite3 *, enum cat_format fmt, int check,
	    const struct body_src *, struct catalog_stats *,
	    struct catalog_shape *, enum cat_look *look, char *digest,
	    char *err, size_t errlen);

#endif
