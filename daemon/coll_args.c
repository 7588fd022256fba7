/* coll_args.c: COLLECTION's arguments into a bounded struct or the refusal COLLECTION replies (coll_args.h): no SQLite, no globals, so fuzz_collection.c can run it. */
#include <string.h>
#include <strings.h>

#include "access.h"
#include "args.h"
#include "batch_args.h"
#include "coll_args.h"
#include "proto.h"
#include "reg_tags.h"

/* Which subverbs COLLECTION has, their operands, options and least role. */
static const struct {
	enum coll_sub	 sub;
	const char	*name;
	int		 minargs, maxargs;	/* after the subverb */
	const char	*opts;
	enum role	 role;
	const char	*usage;
} coll_subs[] = {
	{ COLL_SUB_CREATE, "create", 1, PROTO_MAXARGS,
	    "tag collection provider search status kind", ROLE_MEMBER,
	    "COLLECTION CREATE NAME [MODEL...] [tag=T] [collection=C] "
	    "[provider=P] [search=TEXT] [status=S] [kind=K]" },
	{ COLL_SUB_ADD, "add", 1, PROTO_MAXARGS,
	    "tag collection provider search status kind", ROLE_MEMBER,
	    "COLLECTION ADD NAME [MODEL...] [selectors]" },
	{ COLL_SUB_REMOVE, "remove", 2, PROTO_MAXARGS, "", ROLE_MEMBER,
	    "COLLECTION REMOVE NAME MODEL..." },
	{ COLL_SUB_DELETE, "delete", 1, 1, "", ROLE_MEMBER,
	    "COLLECTION DELETE NAME" },
	{ COLL_SUB_LIST, "list", 0, 0, "", ROLE_VIEWER, "COLLECTION LIST" },
	{ COLL_SUB_SHOW, "show", 1, 1, "", ROLE_VIEWER, "COLLECTION SHOW NAME" },
	{ COLL_SUB_SWITCH, "switch", 1, 1, "default dry_run", ROLE_MEMBER,
	    "COLLECTION SWITCH NAME [default=MODEL] [dry_run=yes]" },
};

int
coll_parse_args(const struct proto_req *req, struct coll_args *a,
    struct args_err *e)
{
	size_t		 i;
	int		 nargs = req->argc - 2, j, r;

	memset(a, 0, sizeof(*a));
	if (args_verb(req, "COLLECTION", COLL_ARGS_USAGE, 1, PROTO_MAXARGS - 1,
	    COLL_ARGS_OPTS, e) == -1)
		return -1;
	for (i = 0; i < sizeof(coll_subs) / sizeof(coll_subs[0]); i++)
		if (strcasecmp(req->argv[1], coll_subs[i].name) == 0)
			break;
	if (i == sizeof(coll_subs) / sizeof(coll_subs[0]))
		return args_refuse(e, "usage", "bad subverb \"%.32s\": use "
		    "create, add, remove, delete, list, show or switch",
		    req->argv[1]);
	a->sub = coll_subs[i].sub;
	a->subname = coll_subs[i].name;
	a->usage = coll_subs[i].usage;
	a->role = coll_subs[i].role;
	if (nargs < coll_subs[i].minargs || nargs > coll_subs[i].maxargs)
		return args_refuse(e, "usage", "usage: %s", a->usage);
	for (j = 0; j < req->optc; j++)
		if (!args_word_in(coll_subs[i].opts, req->optk[j]))
			return args_refuse(e, "usage", "COLLECTION %s takes no "
			    "option \"%.32s\"; usage: %s", a->subname,
			    req->optk[j], a->usage);
	if (a->sub == COLL_SUB_LIST)
		return 0;
	/* Bounded before any message or rule sees it. */
	if (!reg_collection_name_ok(req->argv[2]))
		return args_refuse(e, "usage", "bad collection name: 1 to %d "
		    "letters, digits, '.', '_' or '-', a letter or digit first",
		    COLLECTION_NAME_MAX);
	a->name = req->argv[2];
	switch (a->sub) {
	case COLL_SUB_SHOW:
		return 0;
	case COLL_SUB_SWITCH:
		if ((r = args_yes(req, "dry_run", e)) == -1)
			return -1;
		a->dry_run = r;
		a->default_model = proto_opt(req, "default");
		return 0;
	default:
		break;
	}
	a->models = (const char *const *)&req->argv[3];
	a->nmodels = nargs - 1;
	if (args_selectors(req, &a->from, e) == -1)
		return -1;
	if (a->sub == COLL_SUB_ADD && !a->from.any && a->nmodels == 0)
		return args_refuse(e, "usage", "usage: %s", a->usage);
	return 0;
}
