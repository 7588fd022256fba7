/* fuzz_sel.h: what fuzz_batch.c and fuzz_collection.c check alike of the selectors (args_selectors): each in range and as given, written again as options, and read back the same. */
#ifndef MODELREG_FUZZ_SEL_H
#define MODELREG_FUZZ_SEL_H

#include <string.h>

#include "batch_args.h"
#include "buf.h"
#include "proto.h"
#include "registry.h"
#include "reg_tags.h"
#include "fuzz.h"
#include "fuzz_args.h"

/* s as req's accepted selectors: each the option given, status and kind from their lists, tag one lower-case tag. */
static __attribute__((unused)) void
fuzz_sel_check(const struct proto_req *req, const struct args_sel *s)
{
	static const char *const keys[] = { "tag", "collection", "provider",
	    "search", "status", "kind" };
	const char	*kind;
	char		 t[1][TAG_MAX + 1], why[256];
	size_t		 i;
	int		 any = 0;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		any |= proto_opt(req, keys[i]) != NULL;
	FUZZ_CHECK(s->any == any, "any selector, or not, other than given");
	FUZZ_CHECK(s->q.tag == proto_opt(req, "tag") &&
	    s->q.collection == proto_opt(req, "collection") &&
	    s->q.provider == proto_opt(req, "provider") &&
	    s->q.search == proto_opt(req, "search") &&
	    s->status_word == proto_opt(req, "status") &&
	    s->kind_word == proto_opt(req, "kind"),
	    "a selector that is not its option");
	FUZZ_CHECK(s->status_word == NULL ? s->q.status == RS_ALL :
	    s->q.status == RS_ACTIVE || s->q.status == RS_INACTIVE,
	    "status other than active or inactive");
	FUZZ_CHECK(s->kind_word == NULL ? s->q.kind == NULL :
	    reg_parse_kind(s->kind_word, &kind) == 0 && s->q.kind == kind,
	    "kind not one of REG_KINDS");
	FUZZ_CHECK(s->q.tag == NULL || (reg_tags_parse(s->q.tag, t, 1, why,
	    sizeof(why)) == 1 && strcmp(t[0], s->q.tag) == 0),
	    "a tag that is not one lower-case tag");
	/* Neither sorting nor paging: a selection is every match. */
	FUZZ_CHECK(s->q.sort == 0 && !s->q.desc && s->q.limit == 0 &&
	    s->q.after == NULL && s->q.next == NULL, "a selection with paging");
}

/* s written again as options. */
static __attribute__((unused)) void
fuzz_sel_write(struct buf *line, const struct args_sel *s)
{
	if (s->q.tag != NULL)
		fuzz_args_opt(line, "tag", s->q.tag);
	if (s->q.collection != NULL)
		fuzz_args_opt(line, "collection", s->q.collection);
	if (s->q.provider != NULL)
		fuzz_args_opt(line, "provider", s->q.provider);
	if (s->q.search != NULL)
		fuzz_args_opt(line, "search", s->q.search);
	if (s->status_word != NULL)
		fuzz_args_opt(line, "status", s->q.status == RS_ACTIVE ?
		    "active" : "inactive");
	if (s->kind_word != NULL)
		fuzz_args_opt(line, "kind", s->q.kind);
}

/* Two parses of the same selection: 1 when they select the same. */
static __attribute__((unused)) int
fuzz_sel_same(const struct args_sel *x, const struct args_sel *y)
{
	return x->any == y->any && x->q.status == y->q.status &&
	    fuzz_same_str(x->q.kind, y->q.kind) &&
	    fuzz_same_str(x->q.tag, y->q.tag) &&
	    fuzz_same_str(x->q.collection, y->q.collection) &&
	    fuzz_same_str(x->q.provider, y->q.provider) &&
	    fuzz_same_str(x->q.search, y->q.search);
}

#endif
