/* cap_args.c: CAP's arguments into a bounded struct or the refusal CAP replies (cap_args.h): no SQLite, no globals, so fuzz_cap.c can run it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "cap_args.h"
#include "keysecret.h"
#include "proto.h"
#include "reg_caps.h"
#include "reg_keys.h"

/* Which operands and options each subverb takes; key= stands for the MODEL operand. */
static const struct {
	enum cap_sub	 sub;
	const char	*name;
	int		 minargs, maxargs;	/* after the subverb, without key= */
	const char	*opts;
	const char	*usage;
} cap_subs[] = {
	{ CAP_SUB_SET, "set", 2, 2, "key period warn",
	    "CAP SET MODEL AMOUNT period=day|week|month|DURATION [warn=PERCENT]"
	    " or CAP SET AMOUNT key=NAME period=... [warn=PERCENT]" },
	{ CAP_SUB_REMOVE, "remove", 1, 1, "key",
	    "CAP REMOVE MODEL or CAP REMOVE key=NAME" },
	{ CAP_SUB_LIST, "list", 0, 0, "", "CAP LIST" },
	{ CAP_SUB_SHOW, "show", 1, 1, "key", "CAP SHOW MODEL or CAP SHOW key=NAME" },
};

/* set's amount, period= and warn=, from the operand at arg0: 0, or -1 with e set. */
static int
cap_set_args(const struct proto_req *req, int arg0, struct cap_args *a,
    struct args_err *e)
{
	const char	*v;
	char		*end;
	long		 w;

	if (reg_cap_parse_amount(req->argv[arg0], &a->amount) == -1)
		return args_refuse(e, "usage", "bad amount \"%.32s\": USD as a "
		    "plain decimal above 0 and at most 1000000000, like 50 or "
		    "12.5", req->argv[arg0]);
	if ((v = proto_opt(req, "period")) == NULL)
		return args_refuse(e, "usage", "a cap needs a period: "
		    "period=day, week, month or a duration like 10m");
	if (reg_cap_parse_period(v, a->period, sizeof(a->period),
	    &a->window) == -1)
		return args_refuse(e, "usage", "bad period \"%.32s\": day, week, "
		    "month (calendar periods in UTC) or a duration of 1s to 366d "
		    "like 10m", v);
	a->warn = CAP_WARN_DEFAULT;
	if ((v = proto_opt(req, "warn")) != NULL) {
		w = strtol(v, &end, 10);
		if (v[0] < '0' || v[0] > '9' || *end != '\0' || w > 99 ||
		    strlen(v) > 2)
			return args_refuse(e, "usage", "bad warn \"%.32s\": a "
			    "percent of 0 (no warning) to 99", v);
		a->warn = (int)w;
	}
	return 0;
}

int
cap_parse_args(const struct proto_req *req, struct cap_args *a,
    struct args_err *e)
{
	const char	*key;
	size_t		 i;
	int		 nargs = req->argc - 2, j, arg0 = 2;

	memset(a, 0, sizeof(*a));
	if (req->argc < 2)
		return args_refuse(e, "usage", "usage: CAP set|remove|list|show "
		    "[MODEL] [AMOUNT] [key=NAME]");
	for (i = 0; i < sizeof(cap_subs) / sizeof(cap_subs[0]); i++)
		if (strcasecmp(req->argv[1], cap_subs[i].name) == 0)
			break;
	if (i == sizeof(cap_subs) / sizeof(cap_subs[0]))
		return args_refuse(e, "usage", "bad subverb \"%.32s\": set, "
		    "remove, list or show", req->argv[1]);
	a->sub = cap_subs[i].sub;
	a->subname = cap_subs[i].name;
	key = proto_opt(req, "key");
	/* key= takes the place of the MODEL operand. */
	if (nargs + (key != NULL) < cap_subs[i].minargs ||
	    nargs + (key != NULL) > cap_subs[i].maxargs)
		return args_refuse(e, "usage", "usage: %s", cap_subs[i].usage);
	for (j = 0; j < req->optc; j++)
		if (!args_word_in(cap_subs[i].opts, req->optk[j]))
			return args_refuse(e, "usage", "CAP %s takes no option "
			    "\"%.32s\"; usage: %s", a->subname, req->optk[j],
			    cap_subs[i].usage);
	/* A secret is a well-formed name too: never echo or log one. */
	if (key != NULL && keysecret_valid(key))
		return args_refuse(e, "usage", "key= takes the key's name, not "
		    "its secret");
	/* Bounded before any message can echo them. */
	if (key != NULL && !reg_key_name_ok(key))
		return args_refuse(e, "notfound", "no such key: a key name is 1 "
		    "to %d letters, digits, '.', '_' or '-'", KEY_NAME_MAX);
	if (key == NULL && nargs >= 1 && a->sub != CAP_SUB_LIST &&
	    strlen(req->argv[2]) > CAP_ARGS_MODEL_MAX)
		return args_refuse(e, "notfound", "no such model: a name of %zu "
		    "bytes", strlen(req->argv[2]));
	if (a->sub == CAP_SUB_LIST)
		return 0;
	if (key != NULL)
		a->key = key;
	else {
		a->model = req->argv[2];
		arg0 = 3;
	}
	if (a->sub == CAP_SUB_SET)
		return cap_set_args(req, arg0, a, e);
	return 0;
}
