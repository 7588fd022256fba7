/* key_args.h: KEY's subverb, operands and options (issue 9, issue 11's collection=) parsed and bounded without SQLite or globals, for cmd_key.c and tests/fuzz/fuzz_key.c. */
#ifndef MODELREG_KEY_ARGS_H
#define MODELREG_KEY_ARGS_H

#include <stdint.h>

#include "args.h"
#include "proto.h"
#include "reg_keys.h"

#define KEY_ARGS_MODEL_MAX	255	/* bytes of a model name KEY takes */
#define KEY_EXPIRES_MAX		(10L * 365 * 86400)

enum key_sub {
	KEY_SUB_CREATE, KEY_SUB_LIST, KEY_SUB_SHOW, KEY_SUB_REVOKE,
	KEY_SUB_ROTATE, KEY_SUB_ALLOW, KEY_SUB_DENY,
};

/*
 * One KEY request. The strings point into the request's store or, for
 * models= split at its commas, into list[] of this struct (so it is not
 * to be copied). name is bounded by reg_key_name_ok() for every subverb
 * but create, whose rules judge it; each model is 1 to
 * KEY_ARGS_MODEL_MAX bytes (create's models= at most KEY_MODELS_MAX).
 */
struct key_args {
	enum key_sub		 sub;
	const char		*subname;	/* "create" ... "deny" */
	const char		*usage;		/* the subverb's usage string */
	const char		*name;		/* NULL for list */
	const char *const	*models;	/* create (models=), allow, deny */
	int			 nmodels;
	int			 has_models;	/* create: models= given */
	int			 all;		/* create: all=yes */
	int64_t			 expires;	/* create: 1..KEY_EXPIRES_MAX s, 0 never */
	const char		*note;		/* create: NULL none */
	const char		*collection;	/* create: NULL none */
	int64_t			 grace;		/* rotate: 0..KEY_GRACE_MAX s */
	const char		*list[KEY_MODELS_MAX];
	char			 split[PROTO_MAXLINE + 1];
};

/*
 * req (tokenized, argv[1] the subverb) into a: 0, or -1 with e the
 * refusal KEY replies. The checks come in the order KEY has always made
 * them (subverb, operand count, options, name, model lengths, then
 * create's and rotate's options), so the first fault is the one named.
 * Pure.
 */
int	 key_parse_args(const struct proto_req *req, struct key_args *a,
	    struct args_err *e);

#endif
