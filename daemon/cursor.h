/* cursor.h: the keyset cursor of LIST and CATALOG pages (after=, next=): a pure encoder and a strict decoder. */
#ifndef MODELREG_CURSOR_H
#define MODELREG_CURSOR_H

#include <stddef.h>

struct page_cursor;

/*
 * The token is base64url (no padding) of: the sort key and order it was
 * made for, the last row's sort key value (typed: null, integer, real
 * or text) and its id. Opaque to clients; a token is only good for the
 * same sort and order. encode: 0, or -1 when out is too small.
 * decode: 0, or -1 for anything that is not a token encode could have
 * written.
 */
#define CURSOR_MAXLEN	2048	/* bytes of a token, NUL included */
int	 cursor_encode(const struct page_cursor *, char *out, size_t len);
int	 cursor_decode(const char *token, struct page_cursor *);

#endif
