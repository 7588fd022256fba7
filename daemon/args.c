/* args.c: what the pure request-argument parsers share (args.h): the refusal, the command table's checks, the word-in-a-list check, the yes-only flag, a count, a duration. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "buf.h"
#include "config.h"
#include "proto.h"

int
args_refuse(struct args_err *e, const char *code, const char *fmt, ...)
{
	va_list	 ap;

	e->code = code;
	va_start(ap, fmt);
	buf_vfit(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
args_word_in(const char *list, const char *word)
{
	size_t		 wl = strlen(word);
	const char	*p, *q;

	/*
	 * Whole words only: "grace" is not in "gracefully", "" in nothing.
	 * One pass by hand: every option of every request comes here (issue
	 * 9 item 7: strspn, strcspn and strncmp per word were 3% of a
	 * pipelined RESOLVE).
	 */
	for (p = list; *p != '\0'; p = q) {
		while (*p == ' ')
			p++;
		for (q = p; *q != '\0' && *q != ' '; q++)
			;
		if (q > p && (size_t)(q - p) == wl && memcmp(p, word, wl) == 0)
			return 1;
	}
	return 0;
}

int
args_verb(const struct proto_req *req, const char *verb, const char *usage,
    int minargs, int maxargs, const char *opts, struct args_err *e)
{
	int	 nargs = req->argc - 1, j;

	if (nargs < minargs || nargs > maxargs)
		return args_refuse(e, "usage", "usage: %s%s%s", verb,
		    usage[0] ? " " : "", usage);
	for (j = 0; j < req->optc; j++)
		if (opts == NULL || !args_word_in(opts, req->optk[j]))
			return args_refuse(e, "usage", "%s takes no option "
			    "\"%.32s\"; usage: %s%s%s", verb, req->optk[j], verb,
			    usage[0] ? " " : "", usage);
	return 0;
}

int
args_yes(const struct proto_req *req, const char *key, struct args_err *e)
{
	const char	*v;

	if ((v = proto_opt(req, key)) == NULL)
		return 0;
	if (strcmp(v, "yes") != 0)
		return args_refuse(e, "usage", "bad %s \"%.16s\": use %s=yes", key,
		    v, key);
	return 1;
}

int
args_count(const struct proto_req *req, const char *key, int max, int *n,
    struct args_err *e)
{
	const char	*v;
	char		*end = NULL;
	long		 l;

	if ((v = proto_opt(req, key)) == NULL)
		return 0;
	/* Digits only, and few of them: no sign, no spaces, no overflow. */
	l = (v[0] >= '0' && v[0] <= '9' && strlen(v) <= 9) ?
	    strtol(v, &end, 10) : -1;
	if (l < 1 || l > max || end == NULL || *end != '\0')
		return args_refuse(e, "usage", "bad %s \"%.64s\": expected a "
		    "number from 1 to %d", key, v, max);
	*n = (int)l;
	return 0;
}

int64_t
args_back(int64_t now, long secs)
{
	return now - secs > 1 ? now - secs : 1;
}

int
args_duration(const struct proto_req *req, const char *key, long *secs,
    const char **word, struct args_err *e)
{
	const char	*v;

	*secs = 0;
	if ((*word = v = proto_opt(req, key)) == NULL)
		return 0;
	if ((*secs = cfg_parse_duration(v)) < 1)
		return args_refuse(e, "usage", "bad %s \"%.64s\": expected a "
		    "duration like 90s, 15m, 1h or 90d", key, v);
	return 0;
}
