/* usage_args.c: USAGE's arguments into a bounded struct or the refusal USAGE replies (usage_args.h): no SQLite, no globals, so fuzz_usage.c can run it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "keysecret.h"
#include "proto.h"
#include "reg_usage.h"
#include "sessions.h"
#include "usage_args.h"

/* A count from min to max, digits only (no sign, no blank): 0, or -1 with e set. */
static int
usage_count(const struct proto_req *req, const char *key, int64_t min,
    int64_t max, int64_t *n, struct args_err *e)
{
	const char	*v = proto_opt(req, key);
	char		*end = NULL;
	long long	 l = -1;

	if (v == NULL)
		return args_refuse(e, "usage", "USAGE needs %s=N", key);
	/* Ten digits at most: strtoll never overflows, the bound decides. */
	if (v[0] >= '0' && v[0] <= '9' && strlen(v) <= 10)
		l = strtoll(v, &end, 10);
	if (l < min || l > max || end == NULL || *end != '\0')
		return args_refuse(e, "usage", "bad %s \"%.32s\": expected a "
		    "whole number from %lld to %lld", key, v, (long long)min,
		    (long long)max);
	*n = l;
	return 0;
}

int
usage_parse_args(const struct proto_req *req, struct usage_args *a,
    struct args_err *e)
{
	const char	*v;

	memset(a, 0, sizeof(*a));
	if (req->argc != 2)
		return args_refuse(e, "usage", "usage: %s", USAGE_ARGS_USAGE);
	if (strlen(req->argv[1]) >= sizeof(a->model))
		return args_refuse(e, "usage", "a model name is at most %zu "
		    "bytes", sizeof(a->model) - 1);
	memcpy(a->model, req->argv[1], strlen(req->argv[1]) + 1);
	if (usage_count(req, "prompt_tokens", 0, USAGE_TOKENS_MAX,
	    &a->prompt_tokens, e) == -1 ||
	    usage_count(req, "completion_tokens", 0, USAGE_TOKENS_MAX,
	    &a->completion_tokens, e) == -1)
		return -1;
	a->requests = 1;
	if (proto_opt(req, "requests") != NULL && usage_count(req, "requests",
	    1, USAGE_REQUESTS_MAX, &a->requests, e) == -1)
		return -1;
	if ((v = proto_opt(req, "session")) != NULL) {
		if (!sessions_id_valid(v))
			return args_refuse(e, "usage", "bad session id: 1 to %d "
			    "letters, digits, \".\", \"_\", \"-\" or \":\"",
			    SESSION_ID_MAX);
		a->has_session = 1;
		memcpy(a->session, v, strlen(v) + 1);
	}
	if ((v = proto_opt(req, "key")) != NULL) {
		/* Never echoed: the message names the form, not the value. */
		if (!keysecret_valid(v))
			return args_refuse(e, "denied", "key= is not an API key "
			    "(mr_ and 43 base64url characters)");
		a->key = v;
	}
	return 0;
}
