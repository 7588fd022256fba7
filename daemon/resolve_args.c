/* resolve_args.c: RESOLVE's and RELEASE's arguments into pointers into the request, or the refusal the verb replies (resolve_args.h): no SQLite, no globals, so fuzz_resolve.c can run them. */
#include <stddef.h>

#include "args.h"
#include "proto.h"
#include "resolve_args.h"
#include "sessions.h"

/* session= is bounded before it names a session in memory or a message. */
static int
resolve_session(const char *session, struct args_err *e)
{
	if (!sessions_id_valid(session))
		return args_refuse(e, "usage", "bad session id: 1 to %d letters, "
		    "digits, \".\", \"_\", \"-\" or \":\"", SESSION_ID_MAX);
	return 0;
}

int
resolve_parse_args(const struct proto_req *req, struct resolve_args *a,
    struct args_err *e)
{
	a->model = a->secret = a->session = NULL;
	if (args_verb(req, "RESOLVE", RESOLVE_ARGS_USAGE, 0, 1,
	    RESOLVE_ARGS_OPTS, e) == -1)
		return -1;
	a->model = req->argc > 1 ? req->argv[1] : NULL;
	/* Issue 9 item 4: session= (resolve_batch.c keeps them). */
	if ((a->session = proto_opt(req, "session")) != NULL &&
	    resolve_session(a->session, e) == -1)
		return -1;
	a->secret = proto_opt(req, "key");
	return 0;
}

int
release_parse_args(const struct proto_req *req, struct resolve_args *a,
    struct args_err *e)
{
	a->model = a->secret = a->session = NULL;
	if (args_verb(req, "RELEASE", RELEASE_ARGS_USAGE, 0, 0,
	    RELEASE_ARGS_OPTS, e) == -1)
		return -1;
	if ((a->session = proto_opt(req, "session")) == NULL)
		return args_refuse(e, "usage", "usage: RELEASE "
		    RELEASE_ARGS_USAGE);
	if (resolve_session(a->session, e) == -1)
		return -1;
	a->secret = proto_opt(req, "key");
	return 0;
}
