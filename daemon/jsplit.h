/* jsplit.h: split a JSON body, fed in chunks, into the values SQLite reads one at a time: the elements of one array, and the rest to be validated (issue 8). */
#ifndef MODELREG_JSPLIT_H
#define MODELREG_JSPLIT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Not a JSON parser: it tracks strings, escapes and depth, walks the
 * structure of the top two levels (the root container and the containers
 * directly in it: their braces, brackets, colons and commas), and hands
 * every value below them, every scalar at them and every member name of
 * theirs to a callback as a piece of text, for SQLite to validate and
 * read. The body is well-formed JSON exactly when jsplit finishes without
 * an error and SQLite finds every piece valid.
 *
 * The array it splits is the value of the root object's first member
 * named key (compared byte for byte, as SQLite's $.key does): its
 * elements come as JSPLIT_ELEMENT pieces, numbered from 0. A piece is
 * collected in a buffer of at most max_piece bytes, so the memory is
 * bounded whatever the body; it is NUL-terminated for the callback, and
 * only valid during it.
 */
enum jsplit_kind {
	JSPLIT_ELEMENT,		/* an element of the array */
	JSPLIT_NAME,		/* a member name (with its quotes) */
	JSPLIT_VALUE,		/* any other value */
};

struct jsplit_piece {
	enum jsplit_kind	 kind;
	uint64_t		 index;	/* JSPLIT_ELEMENT: its position in the array */
	const char		*text;
	size_t			 len;
};

/* Non-zero stops the split: jsplit_feed and jsplit_finish then return JSPLIT_STOPPED. */
typedef int (*jsplit_cb)(void *arg, const struct jsplit_piece *);

enum jsplit_status {
	JSPLIT_OK = 0,
	JSPLIT_SYNTAX,		/* not well-formed at its level: why says how */
	JSPLIT_NUL,		/* a NUL byte */
	JSPLIT_DEEP,		/* nested deeper than JSPLIT_MAX_DEPTH */
	JSPLIT_TOOBIG,		/* a piece longer than max_piece */
	JSPLIT_NOMEM,
	JSPLIT_STOPPED,		/* the callback said stop */
};

/* SQLite's JSON parser refuses deeper nesting (JSON_MAX_DEPTH): so does jsplit. */
#define JSPLIT_MAX_DEPTH	2000

struct jsplit {
	/* Set by jsplit_init. */
	const char		*key;
	size_t			 keylen;
	size_t			 max_piece;
	jsplit_cb		 cb;
	void			*arg;

	/* The walk of the top two levels. */
	int			 state;
	int			 level;		/* walked containers open: 0, 1 or 2 */
	char			 open[2];	/* '{' or '[' of each */
	int			 in_target;	/* level 2 is the array split */
	int			 key_seen;	/* the root named key already */
	int			 next_is_key;	/* the value being read is the key's */
	int			 found;		/* 1: key's value is an array */
	uint64_t		 index;		/* elements of the target so far */

	/* The piece being collected. */
	char			*buf;
	size_t			 len, cap;
	enum jsplit_kind	 kind;
	int			 scalar;	/* a bare number, true, false, null... */
	int			 in_str, esc;
	int			 depth;		/* brackets open inside the piece */
	unsigned char		 stack[JSPLIT_MAX_DEPTH / 8 + 1];	/* bit set: '[' */

	uint64_t		 off;		/* bytes fed so far */
	enum jsplit_status	 status;
	char			 why[128];
};

/* Ready s for a body: 0. key: the root member whose array is split (e.g. "data"). */
int	 jsplit_init(struct jsplit *s, const char *key, size_t max_piece,
	    jsplit_cb cb, void *arg);
/* The next n bytes of the body: JSPLIT_OK, or the status (it sticks: later calls return it). */
enum jsplit_status jsplit_feed(struct jsplit *s, const char *p, size_t n);
/* The body ended: JSPLIT_OK when it was whole (then see jsplit_found), or the status. */
enum jsplit_status jsplit_finish(struct jsplit *s);
/* After a JSPLIT_OK finish: 1 when the root is an object whose key names an array. */
int	 jsplit_found(const struct jsplit *s);
/* Why it stopped, in one line with the byte offset ("" while OK). */
const char *jsplit_error(const struct jsplit *s);
void	 jsplit_free(struct jsplit *s);

#endif
