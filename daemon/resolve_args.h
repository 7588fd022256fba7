/* resolve_args.h: RESOLVE's and RELEASE's arguments (issue 9) parsed and bounded without SQLite or globals, for cmd_resolve.c, cmd_release.c and tests/fuzz/fuzz_resolve.c. */
#ifndef MODELREG_RESOLVE_ARGS_H
#define MODELREG_RESOLVE_ARGS_H

#include "args.h"
#include "proto.h"

/* Their entries in the command table (cmd.c): usage and options. */
#define RESOLVE_ARGS_USAGE	"[MODEL] [key=SECRET] [session=ID]"
#define RESOLVE_ARGS_OPTS	"key session"
#define RELEASE_ARGS_USAGE	"session=ID [key=SECRET]"
#define RELEASE_ARGS_OPTS	"session key"

/*
 * One RESOLVE or RELEASE. RESOLVE is the hot path: this lives on the
 * handler's stack and points into the request's store; nothing is
 * copied or allocated. session is sessions_id_valid() (RELEASE's is
 * always there); model and secret are as given: the rules look the
 * model up and judge the secret, so that their refusals stay theirs.
 */
struct resolve_args {
	const char	*model;		/* RESOLVE's operand, or NULL */
	const char	*secret;	/* key=, or NULL */
	const char	*session;	/* session=, or NULL (RESOLVE) */
};

/*
 * req (tokenized) into a: 0, or -1 with e the refusal the verb replies
 * (the table's operand and option checks, then session=). Pure.
 */
int	 resolve_parse_args(const struct proto_req *, struct resolve_args *a,
	    struct args_err *e);
int	 release_parse_args(const struct proto_req *, struct resolve_args *a,
	    struct args_err *e);

#endif
