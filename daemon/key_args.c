/* key_args.c: KEY's arguments into a bounded struct or the refusal KEY replies (key_args.h): no SQLite, no globals, so fuzz_key.c can run it. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "config.h"
#include "key_args.h"
#include "proto.h"
#include "reg_keys.h"

/* Which options each subverb takes (the command table's list is their union). */
static const struct {
	enum key_sub	 sub;
	const char	*name;
	int		 minargs, maxargs;	/* after the subverb */
	const char	*opts;
	const char	*usage;
} key_subs[] = {
	{ KEY_SUB_CREATE, "create", 1, 1, "models all expires note collection",
	    "KEY CREATE NAME [models=M,...] [all=yes] [collection=C] "
	    "[expires=DURATION] [note=TEXT]" },
	{ KEY_SUB_LIST, "list", 0, 0, "", "KEY LIST" },
	{ KEY_SUB_SHOW, "show", 1, 1, "", "KEY SHOW NAME" },
	{ KEY_SUB_REVOKE, "revoke", 1, 1, "", "KEY REVOKE NAME" },
	{ KEY_SUB_ROTATE, "rotate", 1, 1, "grace",
	    "KEY ROTATE NAME [grace=DURATION]" },
	{ KEY_SUB_ALLOW, "allow", 2, PROTO_MAXARGS, "",
	    "KEY ALLOW NAME MODEL..." },
	{ KEY_SUB_DENY, "deny", 2, PROTO_MAXARGS, "", "KEY DENY NAME MODEL..." },
};

/* models=a,b,c split in a->split: 0, or -1 with e set. */
static int
key_models(struct key_args *a, const char *list, struct args_err *e)
{
	char	*p, *w;
	int	 n = 0;

	/* An option's value is shorter than the line, so it fits. */
	if (strlen(list) >= sizeof(a->split))
		return args_refuse(e, "usage", "bad models: too long");
	memcpy(a->split, list, strlen(list) + 1);
	for (p = a->split; (w = strsep(&p, ",")) != NULL; ) {
		if (strlen(w) > KEY_ARGS_MODEL_MAX)
			return args_refuse(e, "notfound", "no such model: a name "
			    "of %zu bytes", strlen(w));
		if (w[0] == '\0')
			return args_refuse(e, "usage", "bad models: a comma list "
			    "of model ids or aliases, without empty names");
		if (n == KEY_MODELS_MAX)
			return args_refuse(e, "usage", "at most %d models at "
			    "once", KEY_MODELS_MAX);
		a->list[n++] = w;
	}
	a->models = a->list;
	a->nmodels = n;
	a->has_models = 1;
	return 0;
}

/* A duration option: 0 with *d (0 when absent), or -1 with e set. */
static int
key_duration(const struct proto_req *req, const char *key, long max,
    int64_t *d, struct args_err *e)
{
	const char	*v;
	long		 l;
	int		 grace = strcmp(key, "grace") == 0;

	*d = 0;
	if ((v = proto_opt(req, key)) == NULL)
		return 0;
	/* expires=0 would be a key that never works; grace=0 ends the old secret now. */
	if ((l = cfg_parse_duration(v)) < 0 || l > max || (l == 0 && !grace))
		return args_refuse(e, "usage", "bad %s \"%.32s\": expected a "
		    "duration like 90s, 15m, 1h or 7d%s", key, v,
		    grace ? ", at most 30d" : "");
	*d = l;
	return 0;
}

int
key_parse_args(const struct proto_req *req, struct key_args *a,
    struct args_err *e)
{
	const char	*sub, *v;
	size_t		 i;
	int		 nargs = req->argc - 2, j;

	memset(a, 0, offsetof(struct key_args, list));
	if (req->argc < 2)
		return args_refuse(e, "usage", "usage: KEY create|list|show|"
		    "revoke|rotate|allow|deny [NAME] [MODEL...]");
	sub = req->argv[1];
	for (i = 0; i < sizeof(key_subs) / sizeof(key_subs[0]); i++)
		if (strcasecmp(sub, key_subs[i].name) == 0)
			break;
	if (i == sizeof(key_subs) / sizeof(key_subs[0]))
		return args_refuse(e, "usage", "bad subverb \"%.32s\": create, "
		    "list, show, revoke, rotate, allow or deny", sub);
	a->sub = key_subs[i].sub;
	a->subname = key_subs[i].name;
	a->usage = key_subs[i].usage;
	if (nargs < key_subs[i].minargs || nargs > key_subs[i].maxargs)
		return args_refuse(e, "usage", "usage: %s", a->usage);
	for (j = 0; j < req->optc; j++)
		if (!args_word_in(key_subs[i].opts, req->optk[j]))
			return args_refuse(e, "usage", "KEY %s takes no option "
			    "\"%.32s\"; usage: %s", a->subname, req->optk[j],
			    a->usage);
	/* Bounded before any message can echo them (a name, ids of 255 bytes). */
	if (nargs >= 1 && a->sub != KEY_SUB_CREATE &&
	    !reg_key_name_ok(req->argv[2]))
		return args_refuse(e, "notfound", "no such key: a key name is 1 "
		    "to %d letters, digits, '.', '_' or '-'", KEY_NAME_MAX);
	for (j = 3; j < req->argc; j++) {
		if (strlen(req->argv[j]) > KEY_ARGS_MODEL_MAX)
			return args_refuse(e, "notfound", "no such model: a name "
			    "of %zu bytes", strlen(req->argv[j]));
		/* A quoted "" is a word too: no model is named by nothing. */
		if (req->argv[j][0] == '\0')
			return args_refuse(e, "notfound", "no such model: an "
			    "empty name");
	}
	if (nargs >= 1)
		a->name = req->argv[2];

	switch (a->sub) {
	case KEY_SUB_CREATE:
		if ((v = proto_opt(req, "models")) != NULL &&
		    key_models(a, v, e) == -1)
			return -1;
		if ((v = proto_opt(req, "all")) != NULL) {
			if (strcmp(v, "yes") != 0)
				return args_refuse(e, "usage", "bad all "
				    "\"%.32s\": all=yes or nothing", v);
			a->all = 1;
		}
		if (key_duration(req, "expires", KEY_EXPIRES_MAX, &a->expires,
		    e) == -1)
			return -1;
		a->note = proto_opt(req, "note");
		a->collection = proto_opt(req, "collection");	/* issue 11 */
		break;
	case KEY_SUB_ROTATE:
		if (key_duration(req, "grace", KEY_GRACE_MAX, &a->grace, e) == -1)
			return -1;
		break;
	case KEY_SUB_ALLOW:
	case KEY_SUB_DENY:
		a->models = (const char *const *)&req->argv[3];
		a->nmodels = req->argc - 3;
		break;
	default:
		break;
	}
	return 0;
}
