/* fuzz_history.c: HISTORY's and UNDO's argument parsers (history_parse_args, undo_parse_args; the verb is the input's first word): every accepted request's ids the decimals given and from 1, HISTORY ID without options, limit= within 1..CMD_PAGE_MAX (20 when absent), UNDO's dry_run=yes as given, only the verb's operands and options, a refusal's form, and a request written again parses back the same. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "history_args.h"
#include "proto.h"
#include "fuzz.h"
#include "fuzz_args.h"

static struct proto_req	 req, again;

/* An id from 1 whose decimal is the word given. */
static int
id_is_word(int64_t id, const char *word)
{
	char	 n[32];

	snprintf(n, sizeof(n), "%" PRId64, id);
	return id >= 1 && word != NULL && strcmp(word, n) == 0;
}

static void
check_options(const char *opts)
{
	int	 i;

	for (i = 0; i < req.optc; i++)
		FUZZ_CHECK(args_word_in(opts, req.optk[i]),
		    "an option the verb does not take");
}

static void
history(struct buf *line)
{
	struct history_args	 a, b;
	struct args_err		 e;
	const char		*before = proto_opt(&req, "before");

	if (history_parse_args(&req, &a, &e) == -1) {
		fuzz_args_refusal(&e, "usage");
		return;
	}
	check_options(HISTORY_ARGS_OPTS);
	FUZZ_CHECK(req.argc <= 2, "HISTORY with more than one operand");
	if (req.argc == 2) {
		FUZZ_CHECK(req.optc == 0 && id_is_word(a.id, req.argv[1]),
		    "HISTORY ID other than given, or with options");
		buf_printf(line, "HISTORY %" PRId64, a.id);
	} else {
		FUZZ_CHECK(a.id == 0, "an id without the operand");
		FUZZ_CHECK(a.limit >= 1 && a.limit <= CMD_PAGE_MAX &&
		    (proto_opt(&req, "limit") != NULL ||
		    a.limit == HISTORY_LIMIT), "limit out of range");
		FUZZ_CHECK(before == NULL ? a.before == 0 :
		    id_is_word(a.before, before), "before other than given");
		buf_printf(line, "HISTORY limit=%d", a.limit);
		if (a.before != 0)
			buf_printf(line, " before=%" PRId64, a.before);
	}
	if (fuzz_args_again(line, &again) == 0) {
		FUZZ_CHECK(history_parse_args(&again, &b, &e) == 0,
		    "a re-serialised request is refused");
		FUZZ_CHECK(a.id == b.id && a.limit == b.limit &&
		    a.before == b.before,
		    "a re-serialised request reads back different");
	}
}

static void
undo(struct buf *line)
{
	struct undo_args	 a, b;
	struct args_err		 e;
	const char		*dry = proto_opt(&req, "dry_run");

	if (undo_parse_args(&req, &a, &e) == -1) {
		fuzz_args_refusal(&e, "usage");
		return;
	}
	check_options(UNDO_ARGS_OPTS);
	FUZZ_CHECK(req.argc == 2 && id_is_word(a.id, req.argv[1]),
	    "UNDO's id other than its one operand");
	FUZZ_CHECK(a.dry_run == (dry != NULL) &&
	    (dry == NULL || strcmp(dry, "yes") == 0),
	    "dry_run other than given");
	buf_printf(line, "UNDO %" PRId64 "%s", a.id, a.dry_run ?
	    " dry_run=yes" : "");
	if (fuzz_args_again(line, &again) == 0) {
		FUZZ_CHECK(undo_parse_args(&again, &b, &e) == 0,
		    "a re-serialised request is refused");
		FUZZ_CHECK(a.id == b.id && a.dry_run == b.dry_run,
		    "a re-serialised request reads back different");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 line = { 0 };

	if (fuzz_args_tokenize(data, size, &req) == -1)
		return 0;
	if (req.argc > 0 && strcmp(req.argv[0], "UNDO") == 0)
		undo(&line);
	else
		history(&line);
	buf_free(&line);
	return 0;
}
