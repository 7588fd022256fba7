/* tag_args.c: TAG's arguments into a bounded struct or the refusal TAG replies (tag_args.h): no SQLite, no globals, so fuzz_tag.c can run it. */
#include <string.h>

#include "args.h"
#include "proto.h"
#include "reg_tags.h"
#include "tag_args.h"

/* One list option into tags: 0 absent or good (*n set), -1 with e set. */
static int
tag_list(const struct proto_req *req, const char *key,
    char (*tags)[TAG_MAX + 1], int *n, struct args_err *e)
{
	const char	*v;
	int		 k;

	if ((v = proto_opt(req, key)) == NULL)
		return 0;
	/* reg_tags_parse's own message is the reply, as it always was. */
	if ((k = reg_tags_parse(v, tags, TAGS_PER_REQUEST, e->msg,
	    sizeof(e->msg))) == -1) {
		e->code = "usage";
		return -1;
	}
	*n = k;
	return 0;
}

int
tag_parse_args(const struct proto_req *req, struct tag_args *a,
    struct args_err *e)
{
	a->model = NULL;
	a->nadd = a->nremove = 0;
	if (args_verb(req, "TAG", TAG_ARGS_USAGE, 1, 1, TAG_ARGS_OPTS, e) == -1)
		return -1;
	a->model = req->argv[1];
	if (tag_list(req, "add", a->add, &a->nadd, e) == -1 ||
	    tag_list(req, "remove", a->remove, &a->nremove, e) == -1)
		return -1;
	if (a->nadd == 0 && a->nremove == 0)
		return args_refuse(e, "usage", "usage: TAG " TAG_ARGS_USAGE
		    ": give add= or remove=");
	return 0;
}
