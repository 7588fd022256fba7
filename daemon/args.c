/* args.c: the refusal and the word-in-a-list check the pure request-argument parsers share (args.h). */
#include <stdarg.h>
#include <string.h>

#include "args.h"
#include "buf.h"

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
	size_t		 n, wl = strlen(word);
	const char	*p;

	/* Whole words only: "grace" is not in "gracefully", "" in nothing. */
	for (p = list; *p != '\0'; p += n) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n > 0 && n == wl && strncmp(p, word, n) == 0)
			return 1;
	}
	return 0;
}
