/* cap_args.h: CAP's subverb, operands and options (issue 10 item 2) parsed and bounded without SQLite or globals, for cmd_caps.c and tests/fuzz/fuzz_cap.c. */
#ifndef MODELREG_CAP_ARGS_H
#define MODELREG_CAP_ARGS_H

#include <stdint.h>

#include "args.h"
#include "proto.h"

#define CAP_ARGS_MODEL_MAX	255	/* bytes of a model name CAP takes */

enum cap_sub {
	CAP_SUB_SET, CAP_SUB_REMOVE, CAP_SUB_LIST, CAP_SUB_SHOW,
};

/*
 * One CAP request: on a model (model set) or a key (key= its name,
 * never a secret); list has neither. set also has amount (above 0, at
 * most CAP_AMOUNT_MAX), period ("day", "week", "month" or "window" with
 * window 1..CAP_WINDOW_MAX s) and warn (0..99). The strings point into
 * the request's store.
 */
struct cap_args {
	enum cap_sub	 sub;
	const char	*subname;	/* "set", "remove", "list", "show" */
	const char	*model;		/* 0..CAP_ARGS_MODEL_MAX bytes, or NULL */
	const char	*key;		/* reg_key_name_ok(), or NULL */
	double		 amount;
	char		 period[8];
	int64_t		 window;
	int		 warn;
};

/*
 * req (tokenized, argv[1] the subverb) into a: 0, or -1 with e the
 * refusal CAP replies, its checks in the order CAP has always made
 * them. Pure.
 */
int	 cap_parse_args(const struct proto_req *req, struct cap_args *a,
	    struct args_err *e);

#endif
