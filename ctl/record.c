/* record.c: a reply's records (logfmt lines parsed into pairs) and the UTF-8 reading every renderer shares. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "ctl.h"

#define REC_MAXPAIRS	256	/* keys in one record; a model has 15 */

int
record_parse(struct record *r, const char *line, size_t len)
{
	size_t	 i, max = 1;

	/* Every pair has an '=': their count bounds the pairs. */
	for (i = 0; i < len && max <= REC_MAXPAIRS; i++)
		if (line[i] == '=')
			max++;
	if (max > REC_MAXPAIRS)
		max = REC_MAXPAIRS;
	memset(r, 0, sizeof(*r));
	if ((r->pairs = calloc(max, sizeof(*r->pairs))) == NULL ||
	    (r->store = malloc(len + 1)) == NULL)
		goto fail;
	if ((r->n = lf_parse(line, len, r->pairs, (int)max, r->store,
	    len + 1)) == -1)
		goto fail;
	return 0;

fail:
	record_free(r);
	return -1;
}

void
record_free(struct record *r)
{
	free(r->pairs);
	free(r->store);
	memset(r, 0, sizeof(*r));
}

const struct lf_pair *
record_pair(const struct record *r, const char *key)
{
	return lf_get(r->pairs, r->n, key);
}

const char *
record_get(const struct record *r, const char *key)
{
	const struct lf_pair	*p = record_pair(r, key);

	return (p == NULL || p->isnull) ? NULL : p->value;
}

/*
 * Decode one UTF-8 sequence at s: its length, or 0 when s[0] does not
 * start a valid one (overlong forms, surrogates and code points past
 * U+10FFFF are invalid).
 */
size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t	 c;
	size_t		 n, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Code points a terminal acts on rather than shows: C1 controls, bidi and invisible marks. */
int
out_is_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0xfeff;
}

/*
 * Append s for a terminal: control bytes as C escapes, invalid UTF-8
 * bytes as \xHH, C1 controls and bidi marks as \uHHHH. Names from a
 * catalog must not move the cursor or recolour the screen.
 */
void
out_sanitize(struct buf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;
	uint32_t		 cp;

	/* Even an empty value leaves b->data a string. */
	if (len == 0 && buf_puts(b, "") == -1)
		return;
	while (i < len) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0) {
			buf_printf(b, "\\x%02x", p[i]);
			i++;
			continue;
		}
		if (cp == '\n')
			buf_puts(b, "\\n");
		else if (cp == '\t')
			buf_puts(b, "\\t");
		else if (cp == '\r')
			buf_puts(b, "\\r");
		else if (cp < 0x20 || cp == 0x7f)
			buf_printf(b, "\\x%02x", cp);
		else if (out_is_hidden(cp))
			buf_printf(b, "\\u%04x", cp);
		else
			buf_append(b, p + i, n);
		i += n;
	}
}

/* Emit stdout's share of a rendering at once; a failed write shows at exit. */
void
out_flush(struct buf *b)
{
	if (b->len > 0)
		fwrite(b->data, 1, b->len, stdout);
	buf_free(b);
}

/* The record whose key (source or alert) is not null; "" for any value. */
int
out_is_kind(const struct record *r, const char *key, const char *value)
{
	const char	*v = record_get(r, key);

	return v != NULL && (value[0] == '\0' || strcmp(v, value) == 0);
}
