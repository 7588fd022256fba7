/* batch_args.c: BATCH's arguments and the selectors it shares with COLLECTION, into bounded structs or the refusal BATCH replies (batch_args.h): no SQLite, no globals, so fuzz_batch.c can run it. */
#include <string.h>
#include <strings.h>

#include "args.h"
#include "batch_args.h"
#include "buf.h"
#include "proto.h"
#include "registry.h"
#include "reg_tags.h"

int
args_selectors(const struct proto_req *req, struct args_sel *s,
    struct args_err *e)
{
	static const char *const keys[] = { "tag", "collection", "provider",
	    "search", "status", "kind" };
	const char	*v;
	size_t		 i;

	memset(s, 0, sizeof(*s));
	if ((v = proto_opt(req, "status")) != NULL &&
	    (reg_parse_status_filter(v, &s->q.status) == -1 ||
	    s->q.status == RS_ALL))
		return args_refuse(e, "usage", "bad status \"%.32s\": use active "
		    "or inactive", v);
	s->status_word = v;
	if ((v = proto_opt(req, "kind")) != NULL &&
	    reg_parse_kind(v, &s->q.kind) == -1)
		return args_refuse(e, "usage", "bad kind \"%.32s\": use "
		    REG_KINDS, v);
	s->kind_word = v;
	if ((v = proto_opt(req, "tag")) != NULL) {
		char	 t[1][TAG_MAX + 1];

		/* One tag as the rules would fold it: the word given is that tag. */
		if (reg_tags_parse(v, t, 1, e->msg, sizeof(e->msg)) != 1 ||
		    strcmp(t[0], v) != 0)
			return args_refuse(e, "usage", "bad tag \"%.64s\": one tag, "
			    "in lower case", v);
	}
	s->q.tag = v;
	s->q.collection = proto_opt(req, "collection");
	s->q.provider = proto_opt(req, "provider");
	s->q.search = proto_opt(req, "search");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (proto_opt(req, keys[i]) != NULL)
			s->any = 1;
	return 0;
}

int
batch_parse_args(const struct proto_req *req, struct batch_args *a,
    struct args_err *e)
{
	const char	*act;
	int		 r;

	memset(a, 0, sizeof(*a));
	if (args_verb(req, "BATCH", BATCH_ARGS_USAGE, 1, PROTO_MAXARGS - 1,
	    BATCH_ARGS_OPTS, e) == -1)
		return -1;
	act = req->argv[1];
	if (strcasecmp(act, "activate") == 0)
		a->action = BATCH_ACTIVATE;
	else if (strcasecmp(act, "deactivate") == 0)
		a->action = BATCH_DEACTIVATE;
	else if (strcasecmp(act, "delete") == 0)
		a->action = BATCH_DELETE;
	else
		return args_refuse(e, "usage", "bad action \"%.32s\": use "
		    "activate, deactivate or delete", act);
	if (args_selectors(req, &a->sel, e) == -1)
		return -1;
	if (args_duration(req, "unused", &a->unused, &a->unused_word, e) == -1)
		return -1;
	if ((r = args_yes(req, "skip_refused", e)) == -1)
		return -1;
	a->skip_refused = r;
	if ((r = args_yes(req, "dry_run", e)) == -1)
		return -1;
	a->dry_run = r;
	a->models = (const char *const *)&req->argv[2];
	a->nmodels = req->argc - 2;
	if (!a->sel.any && a->unused_word == NULL && a->nmodels == 0)
		return args_refuse(e, "usage", "BATCH %s: name models or give a "
		    "selector (tag=, collection=, provider=, search=, status=, "
		    "kind=, unused=)", reg_batch_action_name(a->action));
	return 0;
}

int
batch_selection_text(const struct batch_args *a, struct buf *b)
{
	const struct args_sel	*s = &a->sel;
	const char		*keys[] = { "tag", "collection", "provider",
	    "search", "status", "kind", "unused" };
	const char		*vals[] = { s->q.tag, s->q.collection,
	    s->q.provider, s->q.search, s->status_word, s->kind_word,
	    a->unused_word };
	size_t			 i, len = b->len;

	/* lf_str puts the space between words itself. */
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (vals[i] != NULL && lf_str(b, keys[i], vals[i]) == -1)
			return -1;
	if (a->nmodels > 0 && buf_printf(b, "%smodels=%d", b->len > len ?
	    " " : "", a->nmodels) == -1)
		return -1;
	return 0;
}
