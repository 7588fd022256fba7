/* coll_args.h: COLLECTION's subverb, operands and options (issue 11) parsed and bounded without SQLite or globals, for cmd_tags.c, cmd_batch.c (switch) and tests/fuzz/fuzz_collection.c. */
#ifndef MODELREG_COLL_ARGS_H
#define MODELREG_COLL_ARGS_H

#include "access.h"
#include "args.h"
#include "batch_args.h"
#include "proto.h"

/* COLLECTION's entry in the command table (cmd.c): the union of its subverbs'. */
#define COLL_ARGS_USAGE "create|add|remove|delete|list|show|switch [NAME] " \
	"[MODEL...] [tag=T] [collection=C] [provider=P] [search=TEXT] " \
	"[status=S] [kind=K] [default=MODEL] [dry_run=yes]"
#define COLL_ARGS_OPTS "tag collection provider search status kind " \
	"default dry_run"

enum coll_sub {
	COLL_SUB_CREATE, COLL_SUB_ADD, COLL_SUB_REMOVE, COLL_SUB_DELETE,
	COLL_SUB_LIST, COLL_SUB_SHOW, COLL_SUB_SWITCH,
};

/*
 * One COLLECTION request. name is reg_collection_name_ok() for every
 * subverb but list (NULL); models are the operands after it, as given
 * (create, add, remove); from the selectors (create, add); switch's
 * default= (as given, or NULL) and dry_run=yes. Strings point into the
 * request.
 */
struct coll_args {
	enum coll_sub		 sub;
	const char		*subname;	/* "create" ... "switch"; NULL: no such subverb */
	const char		*usage;		/* the subverb's usage string */
	enum role		 role;		/* the least role the subverb needs */
	const char		*name;
	const char *const	*models;
	int			 nmodels;
	struct args_sel		 from;
	const char		*default_model;
	int			 dry_run;
};

/*
 * req (tokenized, argv[1] the subverb) into a: 0, or -1 with e the
 * refusal COLLECTION replies, its checks in the order it has always made
 * them (subverb, operand count, options, name, then the selectors or
 * switch's dry_run=). Once the subverb is known, a->subname and a->role
 * are set even when a later check refuses: the handler checks the role
 * first, so that a client without it is told that, whatever else is
 * wrong. Pure.
 */
int	 coll_parse_args(const struct proto_req *, struct coll_args *a,
	    struct args_err *e);

#endif
