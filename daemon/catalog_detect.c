/* catalog_detect.c: tell from a body whether it is Mistral's, OpenRouter's or a plain OpenAI list, so that a wrong format fails instead of loading half a catalog. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "body.h"
#include "buf.h"
#include "catalog.h"
#include "catalog_detect.h"
#include "catalog_int.h"

enum cat_look
catalog_look_of(const struct catalog_shape *shape)
{
	if (shape->mistral == 0 && shape->openrouter == 0)
		return LOOK_OPENAI;
	if (shape->mistral > shape->openrouter)
		return LOOK_MISTRAL;
	if (shape->openrouter > shape->mistral)
		return LOOK_OPENROUTER;
	return LOOK_MIXED;
}

enum cat_look
catalog_detect_src(sqlite3 *db, const struct body_src *src,
    struct catalog_shape *shape)
{
	enum cat_look	 look = LOOK_NONE;

	/* The members it counts are CAT_LOOK_SQL's (catalog_int.h). */
	if (catalog_run(db, FMT_AUTO, 2, src, NULL, shape, &look, NULL, NULL,
	    0) == -1)
		return LOOK_NONE;
	return look;
}

enum cat_look
catalog_detect(sqlite3 *db, const char *body, size_t len,
    struct catalog_shape *shape)
{
	struct body_src	 src;

	body_src_mem(&src, body, len);
	return catalog_detect_src(db, &src, shape);
}

const char *
catalog_look_name(enum cat_look look)
{
	switch (look) {
	case LOOK_OPENAI:	return "openai";
	case LOOK_MISTRAL:	return "mistral";
	case LOOK_OPENROUTER:	return "openrouter";
	case LOOK_MIXED:	return "mixed";
	case LOOK_NONE:		break;
	}
	return "";
}

int
catalog_pick_format(enum cat_format configured, enum cat_look look,
    enum cat_format *use, char *err, size_t errlen)
{
	enum cat_format	 seen;

	switch (look) {
	case LOOK_NONE:
		*use = configured == FMT_AUTO ? FMT_MISTRAL : configured;
		return 0;
	case LOOK_OPENAI:
		/* The plain shape is a part of both others: any format reads it. */
		*use = configured == FMT_AUTO ? FMT_OPENAI : configured;
		return 0;
	case LOOK_MIXED:
		if (configured != FMT_AUTO) {
			*use = configured;	/* the admin decided */
			return 0;
		}
		buf_fit(err, errlen, "cannot tell the format: as many entries "
		    "have mistral members as openrouter ones (set format = "
		    "mistral or openrouter)");
		return -1;
	case LOOK_MISTRAL:
		seen = FMT_MISTRAL;
		break;
	case LOOK_OPENROUTER:
	default:
		seen = FMT_OPENROUTER;
		break;
	}
	if (configured == FMT_AUTO || configured == seen) {
		*use = seen;
		return 0;
	}
	buf_fit(err, errlen, "the body looks like %s, not %s (set format = %s "
	    "or auto)", cfg_format_name(seen), cfg_format_name(configured),
	    cfg_format_name(seen));
	return -1;
}

int
catalog_parse_checked_src(sqlite3 *db, enum cat_format configured,
    const struct body_src *src, struct catalog_stats *stats,
    enum cat_look *look, char *digest, char *err, size_t errlen)
{
	/* One pass detects and parses (catalog_run); a second only when FMT_AUTO guessed wrong. */
	return catalog_run(db, configured, 1, src, stats, NULL, look, digest,
	    err, errlen);
}

int
catalog_parse_checked(sqlite3 *db, enum cat_format configured,
    const char *body, size_t len, struct catalog_stats *stats,
    enum cat_look *look, char *err, size_t errlen)
{
	struct body_src	 src;

	body_src_mem(&src, body, len);
	return catalog_parse_checked_src(db, configured, &src, stats, look,
	    NULL, err, errlen);
}
