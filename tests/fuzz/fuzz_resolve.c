/* fuzz_resolve.c: RESOLVE's and RELEASE's argument parsers (resolve_parse_args, release_parse_args; the verb is the input's first word): every accepted request's model, key and session as given and pointing into the request (RESOLVE's hot path copies nothing), the session bounded, only the verb's operands and options, a refusal's form that never echoes a secret, and a request written again parses back the same. */
#include <string.h>

#include "buf.h"
#include "keysecret.h"
#include "proto.h"
#include "resolve_args.h"
#include "sessions.h"
#include "fuzz.h"
#include "fuzz_args.h"

static struct proto_req	 req, again;

/* p is NULL or a string of req's own store: nothing was copied. */
static int
in_store(const char *p)
{
	return p == NULL || (p >= req.store && p < req.store + sizeof(req.store));
}

static void
check_accepted(const struct resolve_args *a, int release)
{
	int	 i;

	for (i = 0; i < req.optc; i++)
		FUZZ_CHECK(args_word_in(release ? RELEASE_ARGS_OPTS :
		    RESOLVE_ARGS_OPTS, req.optk[i]),
		    "an option the verb does not take");
	FUZZ_CHECK(release ? req.argc == 1 && a->model == NULL :
	    req.argc <= 2 && a->model == (req.argc == 2 ? req.argv[1] : NULL),
	    "a model that is not the one operand, or more operands");
	FUZZ_CHECK(a->secret == proto_opt(&req, "key") &&
	    a->session == proto_opt(&req, "session"),
	    "key or session not the option given");
	FUZZ_CHECK(a->session == NULL ? !release :
	    sessions_id_valid(a->session), "an unbounded session, or RELEASE "
	    "without one");
	FUZZ_CHECK(in_store(a->model) && in_store(a->secret) &&
	    in_store(a->session), "a string copied out of the request");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolve_args	 a, b;
	struct args_err		 e;
	struct buf		 line = { 0 };
	const char		*key;
	int			 release, r;

	if (fuzz_args_tokenize(data, size, &req) == -1)
		return 0;
	release = req.argc > 0 && strcmp(req.argv[0], "RELEASE") == 0;
	key = proto_opt(&req, "key");
	r = release ? release_parse_args(&req, &a, &e) :
	    resolve_parse_args(&req, &a, &e);
	if (r == -1) {
		fuzz_args_refusal(&e, "usage");
		FUZZ_CHECK(key == NULL || !keysecret_valid(key) ||
		    strstr(e.msg, key) == NULL, "a refusal echoes a secret");
		return 0;
	}
	check_accepted(&a, release);
	buf_printf(&line, "%s", release ? "RELEASE" : "RESOLVE");
	if (a.model != NULL)
		fuzz_args_word(&line, a.model);
	if (a.secret != NULL)
		fuzz_args_opt(&line, "key", a.secret);
	if (a.session != NULL)
		fuzz_args_opt(&line, "session", a.session);
	if (fuzz_args_again(&line, &again) == 0) {
		FUZZ_CHECK((release ? release_parse_args(&again, &b, &e) :
		    resolve_parse_args(&again, &b, &e)) == 0,
		    "a re-serialised request is refused");
		FUZZ_CHECK(fuzz_same_str(a.model, b.model) &&
		    fuzz_same_str(a.secret, b.secret) &&
		    fuzz_same_str(a.session, b.session),
		    "a re-serialised request reads back different");
	}
	buf_free(&line);
	return 0;
}
