/* fuzz_usage.c: USAGE's argument parser (usage_parse_args): every accepted report's counts in range and names bounded, a refusal's form, the secret never in a message, and a report written again as a request parses back the same. */
#include <string.h>

#include "buf.h"
#include "keysecret.h"
#include "proto.h"
#include "reg_usage.h"
#include "sessions.h"
#include "usage_args.h"
#include "fuzz.h"
#include "fuzz_args.h"

static struct proto_req	 req, again;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct usage_args	 a, b;
	struct args_err		 e;
	struct buf		 line = { 0 };
	const char		*key;
	char			 n[32];

	if (fuzz_args_tokenize(data, size, &req) == -1)
		return 0;
	key = proto_opt(&req, "key");
	if (usage_parse_args(&req, &a, &e) == -1) {
		fuzz_args_refusal(&e, "usage denied");
		/* Echoes are 32 bytes at most: a longer key= found is the secret echoed. */
		FUZZ_CHECK(key == NULL || strlen(key) <= 32 ||
		    strstr(e.msg, key) == NULL, "a refusal echoes key=");
		return 0;
	}
	FUZZ_CHECK(req.argc == 2, "accepted without the one model operand");
	FUZZ_CHECK(memchr(a.model, '\0', sizeof(a.model)) != NULL &&
	    strcmp(a.model, req.argv[1]) == 0, "the model is not the operand");
	FUZZ_CHECK(a.prompt_tokens >= 0 && a.prompt_tokens <= USAGE_TOKENS_MAX,
	    "prompt_tokens out of range");
	FUZZ_CHECK(a.completion_tokens >= 0 &&
	    a.completion_tokens <= USAGE_TOKENS_MAX,
	    "completion_tokens out of range");
	FUZZ_CHECK(a.requests >= 1 && a.requests <= USAGE_REQUESTS_MAX,
	    "requests out of range");
	FUZZ_CHECK(a.requests == 1 || proto_opt(&req, "requests") != NULL,
	    "requests other than 1 without requests=");
	FUZZ_CHECK(a.has_session == (proto_opt(&req, "session") != NULL),
	    "a session without session= or none with it");
	FUZZ_CHECK(!a.has_session || (sessions_id_valid(a.session) &&
	    strcmp(a.session, proto_opt(&req, "session")) == 0),
	    "a session that is not the well-formed session=");
	FUZZ_CHECK(a.key == key, "the key is not key=");
	FUZZ_CHECK(a.key == NULL || keysecret_valid(a.key),
	    "a key that is not a secret's form");

	/* Written again as a request, with every default spelt out. */
	buf_printf(&line, "USAGE");
	fuzz_args_word(&line, a.model);
	snprintf(n, sizeof(n), "%lld", (long long)a.prompt_tokens);
	fuzz_args_opt(&line, "prompt_tokens", n);
	snprintf(n, sizeof(n), "%lld", (long long)a.completion_tokens);
	fuzz_args_opt(&line, "completion_tokens", n);
	snprintf(n, sizeof(n), "%lld", (long long)a.requests);
	fuzz_args_opt(&line, "requests", n);
	if (a.has_session)
		fuzz_args_opt(&line, "session", a.session);
	if (a.key != NULL)
		fuzz_args_opt(&line, "key", a.key);
	if (fuzz_args_again(&line, &again) == 0) {
		FUZZ_CHECK(usage_parse_args(&again, &b, &e) == 0,
		    "a re-serialised report is refused");
		FUZZ_CHECK(strcmp(a.model, b.model) == 0 &&
		    a.prompt_tokens == b.prompt_tokens &&
		    a.completion_tokens == b.completion_tokens &&
		    a.requests == b.requests && a.has_session == b.has_session &&
		    strcmp(a.session, b.session) == 0 &&
		    (a.key == NULL) == (b.key == NULL) &&
		    (a.key == NULL || strcmp(a.key, b.key) == 0),
		    "a re-serialised report reads back different");
	}
	buf_free(&line);
	return 0;
}
