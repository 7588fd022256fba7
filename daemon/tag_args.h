/* tag_args.h: TAG's arguments (issue 11) parsed and bounded without SQLite or globals, for cmd_tags.c and tests/fuzz/fuzz_tag.c. */
#ifndef MODELREG_TAG_ARGS_H
#define MODELREG_TAG_ARGS_H

#include "args.h"
#include "proto.h"
#include "reg_tags.h"

/* TAG's entry in the command table (cmd.c): its usage and options. */
#define TAG_ARGS_USAGE	"MODEL [add=T,...] [remove=T,...]"
#define TAG_ARGS_OPTS	"add remove"

/*
 * One TAG: the model as given (the rule looks it up), and add= and
 * remove= as reg_tags_parse folds them: lower case, well formed, each
 * list without repeats, at most TAGS_PER_REQUEST each, one of them not
 * empty. A tag both added and removed is the rule's to refuse. The
 * model points into the request; the tags are copies (4 KB: the
 * handler's stack holds it).
 */
struct tag_args {
	const char	*model;
	char		 add[TAGS_PER_REQUEST][TAG_MAX + 1];
	int		 nadd;
	char		 remove[TAGS_PER_REQUEST][TAG_MAX + 1];
	int		 nremove;
};

/*
 * req (tokenized) into a: 0, or -1 with e the refusal TAG replies (the
 * table's operand and option checks, add=, remove=, then that one of
 * them was given). Pure.
 */
int	 tag_parse_args(const struct proto_req *, struct tag_args *a,
	    struct args_err *e);

#endif
