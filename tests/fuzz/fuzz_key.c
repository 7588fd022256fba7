/* fuzz_key.c: KEY's argument parser (key_parse_args): every accepted request's subverb, names, models and durations in range, only the subverb's options, a refusal's form, and a request written again parses back the same. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "key_args.h"
#include "proto.h"
#include "reg_keys.h"
#include "fuzz.h"
#include "fuzz_args.h"

static struct proto_req	 req, again;
static struct key_args	 a, b;

static const char *const subnames[] = {
	"create", "list", "show", "revoke", "rotate", "allow", "deny",
};

/* The options each subverb may carry. */
static const char *
sub_opts(enum key_sub s)
{
	switch (s) {
	case KEY_SUB_CREATE:
		return "models all expires note collection";
	case KEY_SUB_ROTATE:
		return "grace";
	default:
		return "";
	}
}

static int
same_str(const char *x, const char *y)
{
	return (x == NULL && y == NULL) ||
	    (x != NULL && y != NULL && strcmp(x, y) == 0);
}

static void
check_accepted(void)
{
	int	 i;

	FUZZ_CHECK(a.sub >= KEY_SUB_CREATE && a.sub <= KEY_SUB_DENY,
	    "a subverb out of the enum");
	FUZZ_CHECK(strcmp(a.subname, subnames[a.sub]) == 0 &&
	    strcasecmp(req.argv[1], a.subname) == 0,
	    "the subverb is not the word given");
	for (i = 0; i < req.optc; i++)
		FUZZ_CHECK(args_word_in(sub_opts(a.sub), req.optk[i]),
		    "an option the subverb does not take");
	FUZZ_CHECK((a.name == NULL) == (a.sub == KEY_SUB_LIST),
	    "a name for list, or none for another subverb");
	FUZZ_CHECK(a.name == NULL || a.name == req.argv[2],
	    "the name is not the operand");
	FUZZ_CHECK(a.name == NULL || a.sub == KEY_SUB_CREATE ||
	    reg_key_name_ok(a.name), "an unbounded key name accepted");
	FUZZ_CHECK(a.sub == KEY_SUB_ALLOW || a.sub == KEY_SUB_DENY ||
	    req.argc <= 3, "operands after the name");
	if (a.sub == KEY_SUB_ALLOW || a.sub == KEY_SUB_DENY)
		FUZZ_CHECK(a.nmodels >= 1 && a.nmodels == req.argc - 3,
		    "allow, deny: the models are not the operands");
	else if (a.sub == KEY_SUB_CREATE)
		FUZZ_CHECK(a.nmodels <= KEY_MODELS_MAX &&
		    a.has_models == (proto_opt(&req, "models") != NULL) &&
		    (a.has_models ? a.nmodels >= 1 : a.nmodels == 0),
		    "create: models= not what was given");
	else
		FUZZ_CHECK(a.nmodels == 0, "models for a subverb without");
	for (i = 0; i < a.nmodels; i++)
		FUZZ_CHECK(strlen(a.models[i]) >= 1 &&
		    strlen(a.models[i]) <= KEY_ARGS_MODEL_MAX &&
		    (a.sub != KEY_SUB_CREATE || (strchr(a.models[i], ',') ==
		    NULL && a.models[i] >= a.split &&
		    a.models[i] < a.split + sizeof(a.split))),
		    "a model name unbounded, or not from the request (only "
		    "models= is split at commas: an operand keeps its own)");
	FUZZ_CHECK(a.all == 0 || (a.all == 1 && a.sub == KEY_SUB_CREATE),
	    "all= other than yes");
	FUZZ_CHECK(a.expires == 0 ? proto_opt(&req, "expires") == NULL :
	    a.expires >= 1 && a.expires <= KEY_EXPIRES_MAX,
	    "expires out of range");
	FUZZ_CHECK(a.grace >= 0 && a.grace <= KEY_GRACE_MAX,
	    "grace out of range");
	FUZZ_CHECK(same_str(a.note, a.sub == KEY_SUB_CREATE ?
	    proto_opt(&req, "note") : NULL) && same_str(a.collection,
	    a.sub == KEY_SUB_CREATE ? proto_opt(&req, "collection") : NULL),
	    "note or collection not what was given");
}

/* a written again as a request (durations in seconds). */
static void
serialise(struct buf *line)
{
	char	 n[32];
	int	 i;

	buf_printf(line, "KEY %s", a.subname);
	if (a.name != NULL)
		fuzz_args_word(line, a.name);
	if (a.sub == KEY_SUB_ALLOW || a.sub == KEY_SUB_DENY)
		for (i = 0; i < a.nmodels; i++)
			fuzz_args_word(line, a.models[i]);
	if (a.sub == KEY_SUB_CREATE && a.has_models) {
		struct buf list = { 0 };

		for (i = 0; i < a.nmodels; i++)
			buf_printf(&list, "%s%s", i > 0 ? "," : "", a.models[i]);
		fuzz_args_opt(line, "models", list.data);
		buf_free(&list);
	}
	if (a.all)
		fuzz_args_opt(line, "all", "yes");
	if (a.expires != 0) {
		snprintf(n, sizeof(n), "%llds", (long long)a.expires);
		fuzz_args_opt(line, "expires", n);
	}
	if (a.note != NULL)
		fuzz_args_opt(line, "note", a.note);
	if (a.collection != NULL)
		fuzz_args_opt(line, "collection", a.collection);
	if (a.sub == KEY_SUB_ROTATE && proto_opt(&req, "grace") != NULL) {
		snprintf(n, sizeof(n), "%lld", (long long)a.grace);
		fuzz_args_opt(line, "grace", n);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct args_err	 e;
	struct buf	 line = { 0 };
	int		 i;

	if (fuzz_args_tokenize(data, size, &req) == -1)
		return 0;
	if (key_parse_args(&req, &a, &e) == -1) {
		fuzz_args_refusal(&e, "usage notfound");
		return 0;
	}
	check_accepted();
	serialise(&line);
	if (fuzz_args_again(&line, &again) == 0) {
		FUZZ_CHECK(key_parse_args(&again, &b, &e) == 0,
		    "a re-serialised request is refused");
		FUZZ_CHECK(a.sub == b.sub && same_str(a.name, b.name) &&
		    a.nmodels == b.nmodels && a.has_models == b.has_models &&
		    a.all == b.all && a.expires == b.expires &&
		    a.grace == b.grace && same_str(a.note, b.note) &&
		    same_str(a.collection, b.collection),
		    "a re-serialised request reads back different");
		for (i = 0; i < a.nmodels; i++)
			FUZZ_CHECK(strcmp(a.models[i], b.models[i]) == 0,
			    "a re-serialised model reads back different");
	}
	buf_free(&line);
	return 0;
}
