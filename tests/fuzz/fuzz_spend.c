/* fuzz_spend.c: SPEND's argument parser (spend_parse_args): every accepted request's grouping, durations, filters and limit in range and as given, unused= alone but for limit=, only SPEND's options and no operand, a refusal's form, and a request written again parses back the same. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "proto.h"
#include "reg_usage.h"
#include "spend_args.h"
#include "fuzz.h"
#include "fuzz_args.h"

#define DURATION_MAX	(10L * 365 * 86400)	/* cfg_parse_duration's cap */

static struct proto_req	 req, again;
static struct spend_args a, b;

static const char *const bys[] = { "model", "key", "day" };

/* A duration option: 0 exactly when absent, else in cfg_parse_duration's range. */
static int
duration_ok(long secs, const char *key)
{
	return proto_opt(&req, key) == NULL ? secs == 0 :
	    secs >= 1 && secs <= DURATION_MAX;
}

static void
check_accepted(void)
{
	const char	*by = proto_opt(&req, "by");
	int		 i;

	FUZZ_CHECK(req.argc == 1, "SPEND with an operand");
	for (i = 0; i < req.optc; i++)
		FUZZ_CHECK(args_word_in(SPEND_ARGS_OPTS, req.optk[i]),
		    "an option SPEND does not take");
	FUZZ_CHECK(a.limit >= 1 && a.limit <= USAGE_SUMMARY_MAX &&
	    (proto_opt(&req, "limit") != NULL ||
	    a.limit == SPEND_LIMIT_DEFAULT), "limit out of range");
	FUZZ_CHECK(duration_ok(a.since, "since") &&
	    duration_ok(a.unused, "unused"), "a duration out of range");
	if (a.unused != 0) {
		FUZZ_CHECK(by == NULL && a.since == 0 && a.model == NULL &&
		    a.key == NULL && proto_opt(&req, "model") == NULL &&
		    proto_opt(&req, "key") == NULL,
		    "unused= with more than limit=");
		return;
	}
	FUZZ_CHECK(a.by >= USAGE_BY_MODEL && a.by <= USAGE_BY_DAY &&
	    (by == NULL ? a.by == USAGE_BY_MODEL : strcmp(by, bys[a.by]) == 0),
	    "by other than the word given");
	FUZZ_CHECK(a.model == proto_opt(&req, "model") &&
	    a.key == proto_opt(&req, "key"), "a filter that is not its option");
}

static void
serialise(struct buf *line)
{
	char	 n[32];

	buf_printf(line, "SPEND");
	snprintf(n, sizeof(n), "%d", a.limit);
	fuzz_args_opt(line, "limit", n);
	if (a.unused != 0) {
		snprintf(n, sizeof(n), "%lds", a.unused);
		fuzz_args_opt(line, "unused", n);
		return;
	}
	fuzz_args_opt(line, "by", bys[a.by]);
	if (a.since != 0) {
		snprintf(n, sizeof(n), "%lds", a.since);
		fuzz_args_opt(line, "since", n);
	}
	if (a.model != NULL)
		fuzz_args_opt(line, "model", a.model);
	if (a.key != NULL)
		fuzz_args_opt(line, "key", a.key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct args_err	 e;
	struct buf	 line = { 0 };

	if (fuzz_args_tokenize(data, size, &req) == -1)
		return 0;
	if (spend_parse_args(&req, &a, &e) == -1) {
		fuzz_args_refusal(&e, "usage");
		return 0;
	}
	check_accepted();
	serialise(&line);
	if (fuzz_args_again(&line, &again) == 0) {
		FUZZ_CHECK(spend_parse_args(&again, &b, &e) == 0,
		    "a re-serialised request is refused");
		FUZZ_CHECK(a.by == b.by && a.since == b.since &&
		    a.unused == b.unused && a.limit == b.limit &&
		    fuzz_same_str(a.model, b.model) &&
		    fuzz_same_str(a.key, b.key),
		    "a re-serialised request reads back different");
	}
	buf_free(&line);
	return 0;
}
