/* spend_args.h: SPEND's arguments (issue 10: the usage summaries, or the unused models) parsed and bounded without SQLite or globals, for cmd_usage.c and tests/fuzz/fuzz_spend.c. */
#ifndef MODELREG_SPEND_ARGS_H
#define MODELREG_SPEND_ARGS_H

#include "args.h"
#include "proto.h"
#include "reg_usage.h"

/* SPEND's entry in the command table (cmd.c): its usage and options. */
#define SPEND_ARGS_USAGE "[by=model|key|day] [since=DURATION] " \
	"[model=MODEL] [key=NAME] [limit=N] | unused=DURATION [limit=N]"
#define SPEND_ARGS_OPTS "by since model key limit unused"
#define SPEND_LIMIT_DEFAULT	1000	/* rows without limit= */

/*
 * One SPEND. With unused= (unused > 0) it lists the models unused for
 * that long and carries nothing but limit=; otherwise a summary by by=,
 * since= seconds back (0: all time), for model= and key= (a key's name,
 * as given; NULL: any). Durations are 1 s..10 years, as seconds: the
 * handler turns them into times, so that the parser reads no clock.
 * Strings point into the request.
 */
struct spend_args {
	enum usage_by	 by;		/* USAGE_BY_MODEL when by= is absent */
	long		 since;		/* seconds; 0 when absent */
	long		 unused;	/* seconds; 0 when absent */
	const char	*model, *key;
	int		 limit;		/* 1..USAGE_SUMMARY_MAX */
};

/*
 * req (tokenized) into a: 0, or -1 with e the refusal SPEND replies, in
 * the order it has always checked (the table's operands and options,
 * limit=, since=, unused= and what it excludes, by=). Pure.
 */
int	 spend_parse_args(const struct proto_req *, struct spend_args *a,
	    struct args_err *e);

#endif
