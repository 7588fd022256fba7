/* fuzz_batch.c: BATCH's argument parser (batch_parse_args) and its selection text: every accepted request's action, models, selectors, unused= and flags in range and as given, something selected, the text a logfmt record that reads back as the selection, a refusal's form, and a request written again parses back the same. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "batch_args.h"
#include "buf.h"
#include "proto.h"
#include "registry.h"
#include "reg_tags.h"
#include "fuzz.h"
#include "fuzz_args.h"
#include "fuzz_sel.h"

#define UNUSED_MAX	(10L * 365 * 86400)	/* cfg_parse_duration's cap */

static struct proto_req	 req, again;
static struct batch_args a, b;
static struct lf_pair	 pairs[16];
static char		 store[8 * PROTO_MAXLINE];	/* a value may grow 4 times as \xHH */

static const char *const actions[] = { "activate", "deactivate", "delete" };

static void
check_accepted(void)
{
	int	 i;

	FUZZ_CHECK(a.action >= BATCH_ACTIVATE && a.action <= BATCH_DELETE &&
	    strcasecmp(req.argv[1], actions[a.action]) == 0 &&
	    strcmp(reg_batch_action_name(a.action), actions[a.action]) == 0,
	    "the action is not the word given");
	for (i = 0; i < req.optc; i++)
		FUZZ_CHECK(args_word_in(BATCH_ARGS_OPTS, req.optk[i]),
		    "an option BATCH does not take");
	FUZZ_CHECK(a.nmodels == req.argc - 2 && (a.nmodels == 0 ||
	    a.models == (const char *const *)&req.argv[2]),
	    "the models are not the operands");
	fuzz_sel_check(&req, &a.sel);
	FUZZ_CHECK(a.unused_word == proto_opt(&req, "unused") &&
	    (a.unused_word == NULL ? a.unused == 0 :
	    a.unused >= 1 && a.unused <= UNUSED_MAX), "unused out of range");
	FUZZ_CHECK(a.skip_refused == (proto_opt(&req, "skip_refused") != NULL) &&
	    a.dry_run == (proto_opt(&req, "dry_run") != NULL),
	    "a flag other than given");
	FUZZ_CHECK(a.sel.any || a.unused_word != NULL || a.nmodels > 0,
	    "a BATCH that selects nothing");
}

/* The selection text: one logfmt record of the words given, in their order, and models=N. */
static void
check_text(void)
{
	static const char *const keys[] = { "tag", "collection", "provider",
	    "search", "status", "kind", "unused" };
	const char		*vals[] = { a.sel.q.tag, a.sel.q.collection,
	    a.sel.q.provider, a.sel.q.search, a.sel.status_word,
	    a.sel.kind_word, a.unused_word };
	struct buf		 text = { 0 };
	char			 n[16];
	size_t			 i;
	int			 np, k = 0;

	FUZZ_CHECK(batch_selection_text(&a, &text) == 0, "no selection text");
	FUZZ_CHECK(text.len > 0 && memchr(text.data, '\n', text.len) == NULL,
	    "a selection text empty or of more than one line");
	np = lf_parse(text.data, text.len, pairs, 16, store, sizeof(store));
	FUZZ_CHECK(np >= 1, "a selection text that is not logfmt");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (vals[i] == NULL)
			continue;
		FUZZ_CHECK(k < np && strcmp(pairs[k].key, keys[i]) == 0 &&
		    !pairs[k].isnull && pairs[k].vlen == strlen(vals[i]) &&
		    memcmp(pairs[k].value, vals[i], pairs[k].vlen) == 0,
		    "a selection text that reads back other than given");
		k++;
	}
	if (a.nmodels > 0) {
		snprintf(n, sizeof(n), "%d", a.nmodels);
		FUZZ_CHECK(k < np && strcmp(pairs[k].key, "models") == 0 &&
		    strcmp(pairs[k].value, n) == 0, "models=N not the count");
		k++;
	}
	FUZZ_CHECK(k == np, "a selection text with more than the selection");
	buf_free(&text);
}

static void
serialise(struct buf *line)
{
	char	 n[32];
	int	 i;

	buf_printf(line, "BATCH %s", actions[a.action]);
	for (i = 0; i < a.nmodels; i++)
		fuzz_args_word(line, a.models[i]);
	fuzz_sel_write(line, &a.sel);
	if (a.unused_word != NULL) {
		snprintf(n, sizeof(n), "%lds", a.unused);
		fuzz_args_opt(line, "unused", n);
	}
	if (a.skip_refused)
		fuzz_args_opt(line, "skip_refused", "yes");
	if (a.dry_run)
		fuzz_args_opt(line, "dry_run", "yes");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct args_err	 e;
	struct buf	 line = { 0 };

	if (fuzz_args_tokenize(data, size, &req) == -1)
		return 0;
	if (batch_parse_args(&req, &a, &e) == -1) {
		fuzz_args_refusal(&e, "usage");
		return 0;
	}
	check_accepted();
	check_text();
	serialise(&line);
	if (fuzz_args_again(&line, &again) == 0) {
		FUZZ_CHECK(batch_parse_args(&again, &b, &e) == 0,
		    "a re-serialised request is refused");
		FUZZ_CHECK(a.action == b.action && a.nmodels == b.nmodels &&
		    fuzz_sel_same(&a.sel, &b.sel) && a.unused == b.unused &&
		    (a.unused_word == NULL) == (b.unused_word == NULL) &&
		    a.skip_refused == b.skip_refused && a.dry_run == b.dry_run,
		    "a re-serialised request reads back different");
		fuzz_args_same_words(a.models, b.models, a.nmodels);
	}
	buf_free(&line);
	return 0;
}
