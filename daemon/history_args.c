/* history_args.c: HISTORY's and UNDO's arguments into bounded structs or the refusal the verb replies (history_args.h): no SQLite, no globals, so fuzz_history.c can run them. */
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cmd.h"
#include "history_args.h"
#include "proto.h"

/* A history id, a decimal from 1 of at most 18 digits: 0 (*id set), -1 with e set. */
static int
history_id(const char *key, const char *v, int64_t *id, struct args_err *e)
{
	char		*end = NULL;
	long long	 n = 0;

	/* 18 digits never overflow an int64_t: the length bounds it. */
	if (v[0] >= '1' && v[0] <= '9' && strlen(v) <= HISTORY_ID_DIGITS)
		n = strtoll(v, &end, 10);
	if (n < 1 || end == NULL || *end != '\0')
		return args_refuse(e, "usage", "bad %s \"%.32s\": a history id "
		    "(a number from 1)", key, v);
	*id = n;
	return 0;
}

int
history_parse_args(const struct proto_req *req, struct history_args *a,
    struct args_err *e)
{
	const char	*v;

	memset(a, 0, sizeof(*a));
	a->limit = HISTORY_LIMIT;
	if (args_verb(req, "HISTORY", HISTORY_ARGS_USAGE, 0, 1,
	    HISTORY_ARGS_OPTS, e) == -1)
		return -1;
	if (req->argc == 2) {
		if (req->optc > 0)
			return args_refuse(e, "usage", "usage: HISTORY ID (no "
			    "options), or HISTORY [limit=N] [before=ID]");
		return history_id("id", req->argv[1], &a->id, e);
	}
	if (args_count(req, "limit", CMD_PAGE_MAX, &a->limit, e) == -1)
		return -1;
	if ((v = proto_opt(req, "before")) != NULL &&
	    history_id("before", v, &a->before, e) == -1)
		return -1;
	return 0;
}

int
undo_parse_args(const struct proto_req *req, struct undo_args *a,
    struct args_err *e)
{
	int	 r;

	memset(a, 0, sizeof(*a));
	if (args_verb(req, "UNDO", UNDO_ARGS_USAGE, 1, 1, UNDO_ARGS_OPTS,
	    e) == -1 ||
	    history_id("id", req->argv[1], &a->id, e) == -1 ||
	    (r = args_yes(req, "dry_run", e)) == -1)
		return -1;
	a->dry_run = r;
	return 0;
}
