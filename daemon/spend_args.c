/* spend_args.c: SPEND's arguments into a bounded struct or the refusal SPEND replies (spend_args.h): no SQLite, no globals, no clock, so fuzz_spend.c can run it. */
#include <string.h>

#include "args.h"
#include "proto.h"
#include "reg_usage.h"
#include "spend_args.h"

int
spend_parse_args(const struct proto_req *req, struct spend_args *a,
    struct args_err *e)
{
	const char	*since, *unused, *by;

	memset(a, 0, sizeof(*a));
	a->limit = SPEND_LIMIT_DEFAULT;
	if (args_verb(req, "SPEND", SPEND_ARGS_USAGE, 0, 0, SPEND_ARGS_OPTS,
	    e) == -1 ||
	    args_count(req, "limit", USAGE_SUMMARY_MAX, &a->limit, e) == -1 ||
	    args_duration(req, "since", &a->since, &since, e) == -1 ||
	    args_duration(req, "unused", &a->unused, &unused, e) == -1)
		return -1;
	if (unused != NULL) {
		if (proto_opt(req, "by") != NULL || since != NULL ||
		    proto_opt(req, "model") != NULL ||
		    proto_opt(req, "key") != NULL)
			return args_refuse(e, "usage", "unused= takes only "
			    "limit=");
		return 0;
	}
	by = proto_opt(req, "by");
	if (by == NULL || strcmp(by, "model") == 0)
		a->by = USAGE_BY_MODEL;
	else if (strcmp(by, "key") == 0)
		a->by = USAGE_BY_KEY;
	else if (strcmp(by, "day") == 0)
		a->by = USAGE_BY_DAY;
	else
		return args_refuse(e, "usage", "bad by \"%.32s\": expected "
		    "model, key or day", by);
	a->model = proto_opt(req, "model");
	a->key = proto_opt(req, "key");
	return 0;
}
