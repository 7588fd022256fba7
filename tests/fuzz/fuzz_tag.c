/* fuzz_tag.c: TAG's argument parser (tag_parse_args): every accepted request's model the one operand, add= and remove= each a list of well-formed lower-case tags without repeats that are the words given folded, in their order, one of them given, only TAG's options, a refusal's form, and a request written again parses back the same. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "proto.h"
#include "reg_tags.h"
#include "tag_args.h"
#include "fuzz.h"
#include "fuzz_args.h"

static struct proto_req	 req, again;
static struct tag_args	 a, b;

/* tags[0..n) as list (a comma list as given) folds them: each in it, in order, none twice. */
static void
check_list(const char *list, char (*tags)[TAG_MAX + 1], int n)
{
	const char	*p = list, *c;
	size_t		 len, i;
	int		 k = 0, j;

	FUZZ_CHECK(n >= 0 && n <= TAGS_PER_REQUEST, "too many tags");
	FUZZ_CHECK(list != NULL ? n >= 1 : n == 0,
	    "tags without their option, or none with it");
	for (j = 0; j < n; j++)
		FUZZ_CHECK(memchr(tags[j], '\0', TAG_MAX + 1) != NULL &&
		    reg_tag_name_ok(tags[j]), "a tag not well formed");
	for (j = 0; list != NULL && p != NULL; p = c != NULL ? c + 1 : NULL) {
		c = strchr(p, ',');
		len = c != NULL ? (size_t)(c - p) : strlen(p);
		/* The word, folded: the next new tag, or one already seen. */
		for (j = 0; j < k; j++)
			if (strlen(tags[j]) == len &&
			    strncasecmp(tags[j], p, len) == 0)
				break;
		if (j == k) {
			FUZZ_CHECK(k < n && strlen(tags[k]) == len,
			    "a word given that is no tag");
			for (i = 0; i < len; i++)
				FUZZ_CHECK(tags[k][i] ==
				    tolower((unsigned char)p[i]),
				    "a tag that is not the word folded");
			k++;
		}
	}
	FUZZ_CHECK(k == n, "a tag that was not given");
}

static void
write_list(struct buf *line, const char *key, char (*tags)[TAG_MAX + 1],
    int n)
{
	struct buf	 v = { 0 };
	int		 i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		buf_printf(&v, "%s%s", i > 0 ? "," : "", tags[i]);
	fuzz_args_opt(line, key, v.data);
	buf_free(&v);
}

static int
same_list(char (*x)[TAG_MAX + 1], char (*y)[TAG_MAX + 1], int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(x[i], y[i]) != 0)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct args_err	 e;
	struct buf	 line = { 0 };
	int		 i;

	if (fuzz_args_tokenize(data, size, &req) == -1)
		return 0;
	if (tag_parse_args(&req, &a, &e) == -1) {
		fuzz_args_refusal(&e, "usage");
		return 0;
	}
	FUZZ_CHECK(req.argc == 2 && a.model == req.argv[1],
	    "the model is not the one operand");
	for (i = 0; i < req.optc; i++)
		FUZZ_CHECK(args_word_in(TAG_ARGS_OPTS, req.optk[i]),
		    "an option TAG does not take");
	check_list(proto_opt(&req, "add"), a.add, a.nadd);
	check_list(proto_opt(&req, "remove"), a.remove, a.nremove);
	FUZZ_CHECK(a.nadd > 0 || a.nremove > 0, "a TAG that changes nothing");

	buf_printf(&line, "TAG");
	fuzz_args_word(&line, a.model);
	write_list(&line, "add", a.add, a.nadd);
	write_list(&line, "remove", a.remove, a.nremove);
	if (fuzz_args_again(&line, &again) == 0) {
		FUZZ_CHECK(tag_parse_args(&again, &b, &e) == 0,
		    "a re-serialised request is refused");
		FUZZ_CHECK(strcmp(a.model, b.model) == 0 && a.nadd == b.nadd &&
		    a.nremove == b.nremove && same_list(a.add, b.add, a.nadd) &&
		    same_list(a.remove, b.remove, a.nremove),
		    "a re-serialised request reads back different");
	}
	buf_free(&line);
	return 0;
}
