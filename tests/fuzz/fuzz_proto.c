/* fuzz_proto.c: the request tokenizer: bounds of what it returns, and a request re-quoted from its words reads back the same. */
#include <string.h>

#include "buf.h"
#include "proto.h"
#include "fuzz.h"

/* Does p (a NUL-terminated word) lie inside the request's store? */
static void
check_in_store(const struct proto_req *r, const char *p)
{
	const char	*end = r->store + sizeof(r->store);

	FUZZ_CHECK(p >= r->store && p < end, "word outside the store");
	FUZZ_CHECK(memchr(p, '\0', (size_t)(end - p)) != NULL,
	    "word not terminated inside the store");
}

static int
is_key(const char *k)
{
	if (!((*k >= 'a' && *k <= 'z') || *k == '_'))
		return 0;
	for (k++; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
		    *k == '_'))
			return 0;
	return 1;
}

static struct proto_req	 req, again;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 b = { 0 };
	const char	*err;
	const char	*p;
	int		 i, rc;

	rc = proto_tokenize((const char *)data, size, &req, &err);
	if (rc == -1) {
		FUZZ_CHECK(err != NULL && *err != '\0', "an error without a message");
		FUZZ_CHECK(req.argc == 0 && req.optc == 0, "a partial request on error");
		return 0;
	}
	FUZZ_CHECK(rc == 0, "tokenize returned neither 0 nor -1");
	FUZZ_CHECK(req.argc >= 0 && req.argc <= PROTO_MAXARGS, "argc out of bounds");
	FUZZ_CHECK(req.optc >= 0 && req.optc <= PROTO_MAXOPTS, "optc out of bounds");
	FUZZ_CHECK(req.argc > 0 || req.optc == 0, "options without a verb");
	for (i = 0; i < req.argc; i++)
		check_in_store(&req, req.argv[i]);
	for (p = req.argc > 0 ? req.argv[0] : ""; *p != '\0'; p++)
		FUZZ_CHECK(!(*p >= 'a' && *p <= 'z'), "verb not upper-cased");
	for (i = 0; i < req.optc; i++) {
		check_in_store(&req, req.optk[i]);
		check_in_store(&req, req.optv[i]);
		FUZZ_CHECK(is_key(req.optk[i]), "option key not [a-z_][a-z0-9_]*");
		FUZZ_CHECK(proto_opt(&req, req.optk[i]) != NULL, "proto_opt misses a key");
	}

	/* Round trip: the words quoted by proto_quote_word read back the same. */
	for (i = 0; i < req.argc; i++) {
		if (i > 0)
			buf_putc(&b, ' ');
		FUZZ_CHECK(proto_quote_word(&b, req.argv[i]) == 0, "quote failed");
	}
	for (i = 0; i < req.optc; i++) {
		buf_printf(&b, " %s=", req.optk[i]);
		FUZZ_CHECK(proto_quote_word(&b, req.optv[i]) == 0, "quote failed");
	}
	/* Escapes can make the line longer than a request may be. */
	if (b.len <= PROTO_MAXLINE) {
		rc = proto_tokenize(b.data != NULL ? b.data : "", b.len, &again, &err);
		FUZZ_CHECK(rc == 0, "a re-quoted request does not tokenize");
		FUZZ_CHECK(again.argc == req.argc && again.optc == req.optc,
		    "a re-quoted request has other counts");
		for (i = 0; i < req.argc; i++)
			FUZZ_CHECK(strcmp(again.argv[i], req.argv[i]) == 0,
			    "a re-quoted word reads back different");
		for (i = 0; i < req.optc; i++)
			FUZZ_CHECK(strcmp(again.optk[i], req.optk[i]) == 0 &&
			    strcmp(again.optv[i], req.optv[i]) == 0,
			    "a re-quoted option reads back different");
	}
	buf_free(&b);
	return 0;
}
