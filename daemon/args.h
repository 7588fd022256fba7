/* args.h: what the pure request-argument parsers (usage_args.c, key_args.c, cap_args.c) share: the refusal they return and the word-in-a-list check of a subverb's options. */
#ifndef MODELREG_ARGS_H
#define MODELREG_ARGS_H

#include <stddef.h>

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

#endif
