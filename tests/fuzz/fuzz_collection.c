/* fuzz_collection.c: COLLECTION's argument parser (coll_parse_args): every accepted request's subverb, role, name, models, selectors and switch's options in range and as given, only the subverb's options, a refusal's form (the subverb known whenever it was one), and a request written again parses back the same. */
#include <string.h>
#include <strings.h>

#include "access.h"
#include "coll_args.h"
#include "buf.h"
#include "proto.h"
#include "reg_tags.h"
#include "fuzz.h"
#include "fuzz_args.h"
#include "fuzz_sel.h"

static struct proto_req	 req, again;
static struct coll_args	 a, b;

static const char *const subnames[] = {
	"create", "add", "remove", "delete", "list", "show", "switch",
};

#define SELECTORS	"tag collection provider search status kind"

/* The options each subverb may carry. */
static const char *
sub_opts(enum coll_sub s)
{
	switch (s) {
	case COLL_SUB_CREATE:
	case COLL_SUB_ADD:
		return SELECTORS;
	case COLL_SUB_SWITCH:
		return "default dry_run";
	default:
		return "";
	}
}

/* A refused request names its subverb exactly when argv[1] is one. */
static void
check_refused(void)
{
	size_t	 i;
	int	 known = -1;

	for (i = 0; req.argc >= 2 && i < sizeof(subnames) / sizeof(subnames[0]);
	    i++)
		if (strcasecmp(req.argv[1], subnames[i]) == 0)
			known = (int)i;
	/* The table's checks come first: past them, the subverb is known when it is one. */
	if (a.subname == NULL)
		return;
	FUZZ_CHECK(known >= 0 && a.sub == (enum coll_sub)known &&
	    strcmp(a.subname, subnames[known]) == 0,
	    "a refusal that names a subverb other than given");
	FUZZ_CHECK(a.role == (a.sub == COLL_SUB_LIST || a.sub == COLL_SUB_SHOW ?
	    ROLE_VIEWER : ROLE_MEMBER), "a subverb's role out of its table");
}

static void
check_accepted(void)
{
	int	 i, nargs = req.argc - 2;

	FUZZ_CHECK(a.sub >= COLL_SUB_CREATE && a.sub <= COLL_SUB_SWITCH &&
	    a.subname != NULL && strcmp(a.subname, subnames[a.sub]) == 0 &&
	    strcasecmp(req.argv[1], a.subname) == 0,
	    "the subverb is not the word given");
	FUZZ_CHECK(a.role == (a.sub == COLL_SUB_LIST || a.sub == COLL_SUB_SHOW ?
	    ROLE_VIEWER : ROLE_MEMBER), "a subverb's role out of its table");
	for (i = 0; i < req.optc; i++)
		FUZZ_CHECK(args_word_in(sub_opts(a.sub), req.optk[i]),
		    "an option the subverb does not take");
	FUZZ_CHECK((a.name == NULL) == (a.sub == COLL_SUB_LIST) &&
	    (a.name == NULL || (a.name == req.argv[2] &&
	    reg_collection_name_ok(a.name))),
	    "a name unbounded, not the operand, or one for list");
	switch (a.sub) {
	case COLL_SUB_LIST:
		FUZZ_CHECK(nargs == 0, "list with operands");
		break;
	case COLL_SUB_SHOW:
	case COLL_SUB_DELETE:
	case COLL_SUB_SWITCH:
		FUZZ_CHECK(nargs == 1, "operands after the name");
		break;
	case COLL_SUB_REMOVE:
		FUZZ_CHECK(nargs >= 2, "remove without models");
		break;
	default:
		FUZZ_CHECK(nargs >= 1, "create or add without a name");
		break;
	}
	if (a.sub <= COLL_SUB_DELETE)
		FUZZ_CHECK(a.nmodels == nargs - 1 && (a.nmodels == 0 ||
		    a.models == (const char *const *)&req.argv[3]),
		    "the models are not the operands after the name");
	else
		FUZZ_CHECK(a.nmodels == 0, "models for a subverb without");
	if (a.sub == COLL_SUB_CREATE || a.sub == COLL_SUB_ADD)
		fuzz_sel_check(&req, &a.from);
	else
		FUZZ_CHECK(!a.from.any, "selectors for a subverb without");
	FUZZ_CHECK(a.sub != COLL_SUB_ADD || a.from.any || a.nmodels > 0,
	    "add of nothing");
	FUZZ_CHECK(a.sub == COLL_SUB_SWITCH ? a.default_model ==
	    proto_opt(&req, "default") && a.dry_run == (proto_opt(&req,
	    "dry_run") != NULL) : a.default_model == NULL && !a.dry_run,
	    "switch's options other than given, or another's");
}

static void
serialise(struct buf *line)
{
	int	 i;

	buf_printf(line, "COLLECTION %s", a.subname);
	if (a.name != NULL)
		fuzz_args_word(line, a.name);
	for (i = 0; i < a.nmodels; i++)
		fuzz_args_word(line, a.models[i]);
	fuzz_sel_write(line, &a.from);
	if (a.default_model != NULL)
		fuzz_args_opt(line, "default", a.default_model);
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
	if (coll_parse_args(&req, &a, &e) == -1) {
		fuzz_args_refusal(&e, "usage");
		check_refused();
		return 0;
	}
	check_accepted();
	serialise(&line);
	if (fuzz_args_again(&line, &again) == 0) {
		FUZZ_CHECK(coll_parse_args(&again, &b, &e) == 0,
		    "a re-serialised request is refused");
		FUZZ_CHECK(a.sub == b.sub && fuzz_same_str(a.name, b.name) &&
		    a.nmodels == b.nmodels && fuzz_sel_same(&a.from, &b.from) &&
		    fuzz_same_str(a.default_model, b.default_model) &&
		    a.dry_run == b.dry_run,
		    "a re-serialised request reads back different");
		fuzz_args_same_words(a.models, b.models, a.nmodels);
	}
	buf_free(&line);
	return 0;
}
