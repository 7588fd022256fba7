/* batch_args.h: BATCH's arguments (issue 11 item 3) and the selectors BATCH and COLLECTION share, parsed and bounded without SQLite or globals, for cmd_batch.c, coll_args.c and tests/fuzz/fuzz_batch.c. */
#ifndef MODELREG_BATCH_ARGS_H
#define MODELREG_BATCH_ARGS_H

#include "args.h"
#include "buf.h"
#include "proto.h"
#include "registry.h"
#include "reg_tags.h"

/* BATCH's entry in the command table (cmd.c): its usage and options. */
#define BATCH_ARGS_USAGE "activate|deactivate|delete [MODEL...] [tag=T] " \
	"[collection=C] [provider=P] [search=TEXT] [status=S] [kind=K] " \
	"[unused=DURATION] [skip_refused=yes] [dry_run=yes]"
#define BATCH_ARGS_OPTS "tag collection provider search status kind unused " \
	"skip_refused dry_run"

/*
 * The selectors (LIST's filters, tag= and collection= included) as a
 * query: status active or inactive (RS_ALL when absent), kind the stored
 * spelling of one of REG_KINDS, tag one tag in lower case; collection,
 * provider and search as given. status_word and kind_word are the words
 * given, for the selection's text. Strings point into the request.
 */
struct args_sel {
	struct list_query	 q;
	const char		*status_word, *kind_word;
	int			 any;		/* any selector given */
};

/* req's selectors into s: 0, or -1 with e the refusal. Pure. */
int	 args_selectors(const struct proto_req *, struct args_sel *s,
	    struct args_err *e);

/*
 * One BATCH: the action, the named models (the operands, as given: the
 * rule looks them up), the selectors, unused= as seconds (1 to
 * cfg_parse_duration's cap; 0 when absent) and the two flags. Strings
 * point into the request.
 */
struct batch_args {
	enum reg_batch_action	 action;
	const char *const	*models;
	int			 nmodels;
	struct args_sel		 sel;
	long			 unused;
	const char		*unused_word;	/* as given, or NULL */
	int			 skip_refused;	/* skip_refused=yes */
	int			 dry_run;	/* dry_run=yes */
};

/*
 * req (tokenized, argv[1] the action) into a: 0, or -1 with e the refusal
 * BATCH replies, in the order it has always checked (the table's
 * operands and options, the action, the selectors, unused=,
 * skip_refused=, dry_run=, then that something is selected). Pure.
 */
int	 batch_parse_args(const struct proto_req *, struct batch_args *a,
	    struct args_err *e);

/*
 * The selection as history records it (issue 11): the selectors given,
 * unused= and models=N, as one logfmt record without its LF, appended to
 * b (empty, or ending in a LF): 0, or -1 out of memory.
 */
int	 batch_selection_text(const struct batch_args *a, struct buf *b);

#endif
