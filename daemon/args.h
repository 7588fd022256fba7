/* args.h: what the pure request-argument parsers (usage_args.c, key_args.c, cap_args.c, batch_args.c, coll_args.c, resolve_args.c, spend_args.c, tag_args.c, import_args.c, history_args.c) share: the refusal they return, the command table's own checks, the word-in-a-list check of a subverb's options, the yes-only flag, a count, a duration and a time that far back. */
#ifndef MODELREG_ARGS_H
#define MODELREG_ARGS_H

#include <stddef.h>
#include <stdint.h>

struct proto_req;

/*
 * A refused request as its handler replies it: "ERR <code> <msg>". The
 * message has the size of cmd_ctx's, so the handler passes it on as it
 * is (cut, if ever, at a word by buf_fit, never inside one).
 */
struct args_err {
	const char	*code;		/* one of proto.h's PROTO_ERR_CODES */
	char		 msg[512];
};

/* Set e's code and message (buf_fit); returns -1, a parser's refusal. */
int	 args_refuse(struct args_err *e, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Is word one of the space-separated words of list? 1 or 0. */
int	 args_word_in(const char *list, const char *word);

/*
 * The command table's checks of one entry (cmd.c): minargs to maxargs
 * positional words after the verb, and only the options of opts (NULL:
 * none). 0, or -1 with e the refusal the dispatcher replies. A parser
 * makes them again so that it judges any request, not only those the
 * table let through (a fuzzer's); the reply is the same either way.
 */
int	 args_verb(const struct proto_req *, const char *verb,
	    const char *usage, int minargs, int maxargs, const char *opts,
	    struct args_err *e);

/* A yes-only flag option (dry_run=yes): 0 absent, 1 yes, -1 with e set. */
int	 args_yes(const struct proto_req *, const char *key, struct args_err *e);

/*
 * The option key as a count from 1 to max (limit=), in cmd_opt_count's
 * words: 0 when absent (*n untouched) or good, -1 with e set.
 */
int	 args_count(const struct proto_req *, const char *key, int max, int *n,
	    struct args_err *e);

/*
 * The option key as a duration (cfg_parse_duration: 1 s to 10 years):
 * *word the option given or NULL, *secs its seconds or 0 when absent;
 * 0, or -1 with e set.
 */
int	 args_duration(const struct proto_req *, const char *key, long *secs,
	    const char **word, struct args_err *e);

/* A duration of secs back from now as a time, from 1 (the first second of the epoch): SPEND's since= and unused=, BATCH's unused=. */
int64_t	 args_back(int64_t now, long secs);

#endif
