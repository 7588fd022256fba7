/* import_args.h: IMPORT's request line (issue 11 item 4: size=, dry_run=, strict=; the file follows) parsed and bounded without SQLite or globals, for cmd_export.c and tests/fuzz/fuzz_import.c. */
#ifndef MODELREG_IMPORT_ARGS_H
#define MODELREG_IMPORT_ARGS_H

#include <stddef.h>

#include "args.h"
#include "proto.h"

/* IMPORT's entry in the command table (cmd.c): its usage and options. */
#define IMPORT_ARGS_USAGE	"size=BYTES [dry_run=yes] [strict=yes], then the file"
#define IMPORT_ARGS_OPTS	"size dry_run strict"

/*
 * One IMPORT: the length of the file that follows, 1..EXPORT_MAX_BYTES
 * (export.h), and the two flags, which take yes or no (no: absent).
 */
struct import_args {
	size_t	 size;
	int	 dry_run;
	int	 strict;
};

/*
 * req (tokenized) into a: 0, or -1 with e the refusal IMPORT replies
 * (the table's operand and option checks, size=, dry_run=, strict=).
 * Pure: whether another import is being received is the handler's.
 */
int	 import_parse_args(const struct proto_req *, struct import_args *a,
	    struct args_err *e);

#endif
