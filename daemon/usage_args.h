/* usage_args.h: USAGE's arguments (issue 10 item 1) parsed and bounded without SQLite or globals, for cmd_usage.c and tests/fuzz/fuzz_usage.c. */
#ifndef MODELREG_USAGE_ARGS_H
#define MODELREG_USAGE_ARGS_H

#include <stdint.h>

#include "args.h"
#include "proto.h"
#include "sessions.h"

/* The usage string of a USAGE that has not the one positional word. */
#define USAGE_ARGS_USAGE "USAGE MODEL prompt_tokens=N completion_tokens=N " \
	"[key=SECRET] [session=ID] [requests=N]"

/*
 * One USAGE as a request said it. The secret is only checked for its
 * form (mr_ and 43 base64url characters) and points into the request's
 * store: the handler hashes it and keeps nothing else of it.
 */
struct usage_args {
	char		 model[256];	/* at most 255 bytes, as given */
	int64_t		 prompt_tokens;		/* 0..USAGE_TOKENS_MAX */
	int64_t		 completion_tokens;	/* 0..USAGE_TOKENS_MAX */
	int64_t		 requests;		/* 1..USAGE_REQUESTS_MAX, 1 when absent */
	int		 has_session;
	char		 session[SESSION_ID_MAX + 1];
	const char	*key;		/* a well-formed secret, or NULL */
};

/*
 * req (tokenized; the command table has checked its option keys) into
 * a: 0, or -1 with e the refusal, as USAGE replies it, a untouched but
 * for what it had read. Pure.
 */
int	 usage_parse_args(const struct proto_req *req, struct usage_args *a,
	    struct args_err *e);

#endif
