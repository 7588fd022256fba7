/* catalog_detect.c: tell from a body whether it is Mistral's, OpenRouter's or a plain OpenAI list, so that a wrong format fails instead of loading half a catalog. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "buf.h"
#include "catalog.h"
#include "catalog_detect.h"

/*
 * Members only one of the two rich formats has. A member counts when it
 * is present and not null: a gateway that writes every member of a union
 * schema as null says nothing about its format. The plain OpenAI shape
 * (id, object, created, owned_by) has none of them, and both rich formats
 * have those four too, so they decide nothing.
 */
#define CAT_HAS(m)	"coalesce(json_type(e.value, '$." m "'), 'null') <> 'null'"

static const char sql_detect[] =
	"SELECT count(*),"
	" coalesce(sum(" CAT_HAS("capabilities") " OR " CAT_HAS("max_context_length")
	"  OR " CAT_HAS("aliases") " OR " CAT_HAS("default_model_temperature")
	"  OR " CAT_HAS("deprecation") " OR " CAT_HAS("deprecation_replacement_model")
	" ), 0),"
	" coalesce(sum(" CAT_HAS("pricing") " OR " CAT_HAS("architecture")
	"  OR " CAT_HAS("context_length") " OR " CAT_HAS("canonical_slug")
	"  OR " CAT_HAS("supported_parameters") " OR " CAT_HAS("top_provider")
	"  OR " CAT_HAS("per_request_limits") " OR " CAT_HAS("hugging_face_id")
	" ), 0)"
	" FROM json_each(?1, '$.data') AS e WHERE e.type = 'object'";

static const char sql_valid[] =
	"SELECT json_valid(?1) AND coalesce(json_type(?1, '$.data'), '') = 'array'";

enum cat_look
catalog_detect(sqlite3 *db, const char *body, size_t len,
    struct catalog_shape *shape)
{
	struct catalog_shape	 local;
	sqlite3_stmt		*st = NULL;
	enum cat_look		 look = LOOK_NONE;

	if (shape == NULL)
		shape = &local;
	memset(shape, 0, sizeof(*shape));
	/* The same refusals as catalog_parse: it will say why. */
	if (body == NULL || len == 0 || len > INT_MAX ||
	    memchr(body, '\0', len) != NULL)
		return LOOK_NONE;
	/* json_each on invalid JSON is an error: check the shape first. */
	if (sqlite3_prepare_v2(db, sql_valid, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, body, (int)len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != 1)
		goto done;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, sql_detect, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, body, (int)len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		goto done;
	shape->entries = sqlite3_column_int(st, 0);
	shape->mistral = sqlite3_column_int(st, 1);
	shape->openrouter = sqlite3_column_int(st, 2);
	if (shape->mistral == 0 && shape->openrouter == 0)
		look = LOOK_OPENAI;
	else if (shape->mistral > shape->openrouter)
		look = LOOK_MISTRAL;
	else if (shape->openrouter > shape->mistral)
		look = LOOK_OPENROUTER;
	else
		look = LOOK_MIXED;
done:
	sqlite3_finalize(st);
	return look;
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
catalog_parse_checked(sqlite3 *db, enum cat_format configured,
    const char *body, size_t len, struct catalog_stats *stats,
    enum cat_look *look, char *err, size_t errlen)
{
	enum cat_look	 l;
	enum cat_format	 use;

	l = catalog_detect(db, body, len, NULL);
	if (look != NULL)
		*look = l;
	if (catalog_pick_format(configured, l, &use, err, errlen) == -1) {
		if (stats != NULL)
			memset(stats, 0, sizeof(*stats));
		return -1;
	}
	return catalog_parse(db, use, body, len, stats, err, errlen);
}
