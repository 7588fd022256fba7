/* fuzz_args.h: what the argument targets (fuzz_usage.c, fuzz_key.c, fuzz_cap.c, fuzz_batch.c, fuzz_collection.c, fuzz_resolve.c) check alike: the input as one request, a refusal's form, and a request re-serialised and parsed again. */
#ifndef MODELREG_FUZZ_ARGS_H
#define MODELREG_FUZZ_ARGS_H

#include <string.h>

#include "args.h"
#include "buf.h"
#include "proto.h"
#include "fuzz.h"

/* The longest refusal: a usage string and 32 bytes of a value; longer would be a message that echoes too much. */
#define FUZZ_ARGS_MSG_MAX	400

/* data as one request line: 0, or -1 when the tokenizer refuses it (not ours to judge). */
static __attribute__((unused)) int
fuzz_args_tokenize(const uint8_t *data, size_t size, struct proto_req *req)
{
	const char	*err;

	return proto_tokenize((const char *)data, size, req, &err);
}

/* A refusal has a code of the verb's (a space-separated list) and a bounded message. */
static __attribute__((unused)) void
fuzz_args_refusal(const struct args_err *e, const char *codes)
{
	FUZZ_CHECK(e->code != NULL && args_word_in(codes, e->code),
	    "a refusal with a code the verb does not reply");
	FUZZ_CHECK(memchr(e->msg, '\0', sizeof(e->msg)) != NULL,
	    "a message not terminated");
	FUZZ_CHECK(e->msg[0] != '\0', "a refusal without a message");
	FUZZ_CHECK(strlen(e->msg) <= FUZZ_ARGS_MSG_MAX,
	    "a message that echoes too much");
}

/* " word" quoted as the protocol quotes it. */
static __attribute__((unused)) void
fuzz_args_word(struct buf *b, const char *word)
{
	buf_putc(b, ' ');
	FUZZ_CHECK(proto_quote_word(b, word) == 0, "quote failed");
}

/* " key=value", the value quoted. */
static __attribute__((unused)) void
fuzz_args_opt(struct buf *b, const char *key, const char *value)
{
	buf_printf(b, " %s=", key);
	FUZZ_CHECK(proto_quote_word(b, value) == 0, "quote failed");
}

/* Two strings the same, or both NULL. */
static __attribute__((unused)) int
fuzz_same_str(const char *x, const char *y)
{
	return (x == NULL && y == NULL) ||
	    (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* n words read back from a re-serialised request, each as it was. */
static __attribute__((unused)) void
fuzz_args_same_words(const char *const *x, const char *const *y, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(x[i], y[i]) == 0,
		    "a re-serialised word reads back different");
}

/* b as a request again: 0, or -1 when quoting made it longer than a line may be. */
static __attribute__((unused)) int
fuzz_args_again(struct buf *b, struct proto_req *req)
{
	const char	*err;

	if (b->len > PROTO_MAXLINE)
		return -1;
	FUZZ_CHECK(proto_tokenize(b->data != NULL ? b->data : "", b->len, req,
	    &err) == 0, "a re-serialised request does not tokenize");
	return 0;
}

#endif
