/* fuzz_cap.c: CAP's argument parser (cap_parse_args): every accepted request's target, amount, period and warn in range, never a secret for key=, a refusal's form, and a request written again (the amount as a plain decimal) parses back the same. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cap_args.h"
#include "keysecret.h"
#include "proto.h"
#include "reg_caps.h"
#include "reg_keys.h"
#include "fuzz.h"
#include "fuzz_args.h"

static struct proto_req	 req, again;

static const char *const subnames[] = { "set", "remove", "list", "show" };

static int
same_str(const char *x, const char *y)
{
	return (x == NULL && y == NULL) ||
	    (x != NULL && y != NULL && strcmp(x, y) == 0);
}

static void
check_accepted(const struct cap_args *a)
{
	const char	*key = proto_opt(&req, "key");
	int		 i;

	FUZZ_CHECK(a->sub >= CAP_SUB_SET && a->sub <= CAP_SUB_SHOW &&
	    strcmp(a->subname, subnames[a->sub]) == 0 &&
	    strcasecmp(req.argv[1], a->subname) == 0,
	    "the subverb is not the word given");
	if (a->sub == CAP_SUB_LIST) {
		FUZZ_CHECK(a->model == NULL && a->key == NULL && req.argc == 2 &&
		    req.optc == 0, "list with a target, operands or options");
		return;
	}
	FUZZ_CHECK((a->model == NULL) != (a->key == NULL),
	    "not exactly one of a model and a key");
	FUZZ_CHECK(a->key == NULL || (a->key == key && reg_key_name_ok(a->key) &&
	    !keysecret_valid(a->key)), "key= unbounded, or a secret");
	FUZZ_CHECK(a->model == NULL || (a->model == req.argv[2] &&
	    strlen(a->model) <= CAP_ARGS_MODEL_MAX), "a model unbounded");
	FUZZ_CHECK(req.argc == 2 + (a->model != NULL) + (a->sub == CAP_SUB_SET),
	    "operands other than the target and set's amount");
	for (i = 0; i < req.optc; i++)
		FUZZ_CHECK(args_word_in(a->sub == CAP_SUB_SET ?
		    "key period warn" : "key", req.optk[i]),
		    "an option the subverb does not take");
	if (a->sub != CAP_SUB_SET)
		return;
	FUZZ_CHECK(isfinite(a->amount) && a->amount > 0 &&
	    a->amount <= CAP_AMOUNT_MAX, "an amount out of range");
	FUZZ_CHECK(strcmp(a->period, "day") == 0 ||
	    strcmp(a->period, "week") == 0 || strcmp(a->period, "month") == 0 ||
	    strcmp(a->period, "window") == 0, "a period out of its list");
	FUZZ_CHECK(strcmp(a->period, "window") == 0 ? a->window >= 1 &&
	    a->window <= CAP_WINDOW_MAX : a->window == 0,
	    "a window out of range");
	FUZZ_CHECK(a->warn >= 0 && a->warn <= 99, "warn out of range");
}

/* amount as the shortest plain decimal of 20 bytes at most that parses back to it: 0, or -1 when there is none. */
static int
amount_text(double amount, char *out, size_t len)
{
	double	 v;
	int	 p;

	for (p = 0; p <= 18; p++) {
		if (snprintf(out, len, "%.*f", p, amount) >= (int)len)
			continue;
		if (reg_cap_parse_amount(out, &v) == 0 && v == amount)
			return 0;
	}
	return -1;
}

static void
serialise(const struct cap_args *a, struct buf *line)
{
	char	 n[64];

	buf_printf(line, "CAP %s", a->subname);
	if (a->model != NULL)
		fuzz_args_word(line, a->model);
	if (a->key != NULL)
		fuzz_args_opt(line, "key", a->key);
	if (a->sub != CAP_SUB_SET)
		return;
	FUZZ_CHECK(amount_text(a->amount, n, 21) == 0,
	    "an amount no plain decimal reads back as");
	fuzz_args_word(line, n);
	if (strcmp(a->period, "window") == 0)
		snprintf(n, sizeof(n), "%llds", (long long)a->window);
	else
		snprintf(n, sizeof(n), "%s", a->period);
	fuzz_args_opt(line, "period", n);
	snprintf(n, sizeof(n), "%d", a->warn);
	fuzz_args_opt(line, "warn", n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_args	 a, b;
	struct args_err	 e;
	struct buf	 line = { 0 };
	const char	*key;

	if (fuzz_args_tokenize(data, size, &req) == -1)
		return 0;
	key = proto_opt(&req, "key");
	if (cap_parse_args(&req, &a, &e) == -1) {
		fuzz_args_refusal(&e, "usage notfound");
		/* A secret given as key= is never echoed. */
		FUZZ_CHECK(key == NULL || !keysecret_valid(key) ||
		    strstr(e.msg, key) == NULL, "a refusal echoes a secret");
		return 0;
	}
	check_accepted(&a);
	serialise(&a, &line);
	if (fuzz_args_again(&line, &again) == 0) {
		FUZZ_CHECK(cap_parse_args(&again, &b, &e) == 0,
		    "a re-serialised request is refused");
		FUZZ_CHECK(a.sub == b.sub && same_str(a.model, b.model) &&
		    same_str(a.key, b.key) && a.amount == b.amount &&
		    strcmp(a.period, b.period) == 0 && a.window == b.window &&
		    a.warn == b.warn, "a re-serialised request reads back different");
	}
	buf_free(&line);
	return 0;
}
