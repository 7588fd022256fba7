/* history_args.h: HISTORY's and UNDO's arguments (issue 11 item 5) parsed and bounded without SQLite or globals, for cmd_history.c and tests/fuzz/fuzz_history.c. */
#ifndef MODELREG_HISTORY_ARGS_H
#define MODELREG_HISTORY_ARGS_H

#include <stdint.h>

#include "args.h"
#include "proto.h"

/* Their entries in the command table (cmd.c): usage and options. */
#define HISTORY_ARGS_USAGE	"[ID] [limit=N] [before=ID]"
#define HISTORY_ARGS_OPTS	"limit before"
#define UNDO_ARGS_USAGE		"ID [dry_run=yes]"
#define UNDO_ARGS_OPTS		"dry_run"
#define HISTORY_LIMIT		20	/* rows without limit= */
#define HISTORY_ID_DIGITS	18	/* an id fits an int64_t, unchecked */

/*
 * One HISTORY: with id (from 1), that row and its models, and no
 * option; else the list: limit rows (1..CMD_PAGE_MAX, cmd.h) before the
 * row before (0: from the newest).
 */
struct history_args {
	int64_t	 id;		/* 0: the list */
	int	 limit;
	int64_t	 before;
};

/* One UNDO: the row to reverse (from 1), and dry_run=yes. */
struct undo_args {
	int64_t	 id;
	int	 dry_run;
};

/*
 * req (tokenized) into a: 0, or -1 with e the refusal the verb replies
 * (the table's operand and option checks; HISTORY ID's lack of options
 * and its id, or limit= and before=; UNDO's id, then dry_run=). Pure.
 */
int	 history_parse_args(const struct proto_req *, struct history_args *a,
	    struct args_err *e);
int	 undo_parse_args(const struct proto_req *, struct undo_args *a,
	    struct args_err *e);

#endif
