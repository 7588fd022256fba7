/* fuzz_import.c: IMPORT's request-line parser (import_parse_args): every accepted request's size the decimal given and within 1..EXPORT_MAX_BYTES, each flag set exactly by =yes (=no or absent clear), no operand and only IMPORT's options, a refusal's form, and a request written again parses back the same. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "export.h"
#include "import_args.h"
#include "proto.h"
#include "fuzz.h"
#include "fuzz_args.h"

static struct proto_req	 req, again;

/* The word given for size=, its leading zeros skipped, is the value's decimal. */
static int
size_is_word(size_t size)
{
	const char	*v = proto_opt(&req, "size");
	char		 n[32];

	if (v == NULL || v[strspn(v, "0123456789")] != '\0')
		return 0;
	v += strspn(v, "0");
	snprintf(n, sizeof(n), "%zu", size);
	return strcmp(v, n) == 0;
}

/* A flag as given: yes sets it; absent or no clears it. */
static int
flag_is_word(int set, const char *key)
{
	const char	*v = proto_opt(&req, key);

	return set ? v != NULL && strcmp(v, "yes") == 0 :
	    v == NULL || strcmp(v, "no") == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_args	 a, b;
	struct args_err		 e;
	struct buf		 line = { 0 };
	int			 i;

	if (fuzz_args_tokenize(data, size, &req) == -1)
		return 0;
	if (import_parse_args(&req, &a, &e) == -1) {
		fuzz_args_refusal(&e, "usage");
		return 0;
	}
	FUZZ_CHECK(req.argc == 1, "IMPORT with an operand");
	for (i = 0; i < req.optc; i++)
		FUZZ_CHECK(args_word_in(IMPORT_ARGS_OPTS, req.optk[i]),
		    "an option IMPORT does not take");
	FUZZ_CHECK(a.size >= 1 && a.size <= EXPORT_MAX_BYTES,
	    "a size out of range");
	FUZZ_CHECK(size_is_word(a.size), "a size other than the word given");
	FUZZ_CHECK(flag_is_word(a.dry_run, "dry_run") &&
	    flag_is_word(a.strict, "strict"), "a flag other than given");

	buf_printf(&line, "IMPORT size=%zu dry_run=%s", a.size,
	    a.dry_run ? "yes" : "no");
	if (a.strict)
		buf_printf(&line, " strict=yes");
	if (fuzz_args_again(&line, &again) == 0) {
		FUZZ_CHECK(import_parse_args(&again, &b, &e) == 0,
		    "a re-serialised request is refused");
		FUZZ_CHECK(a.size == b.size && a.dry_run == b.dry_run &&
		    a.strict == b.strict,
		    "a re-serialised request reads back different");
	}
	buf_free(&line);
	return 0;
}
