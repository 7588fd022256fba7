/* cursor.c: the keyset cursor of LIST and CATALOG pages: encode a page_cursor as an opaque token, and decode one strictly. */
#include <sys/types.h>

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "registry.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * The raw token: "1", the sort key digit, 'a' or 'd', the type, the value,
 * NUL, the id, and 4 bytes of FNV-1a over the rest, so that a token cut
 * short or mistyped is refused instead of naming another place.
 */
#define CURSOR_RAWMAX	(4 + REG_CURSOR_TEXT + 256 + 4)

static uint32_t
cursor_sum(const unsigned char *p, size_t n)
{
	uint32_t	 h = 2166136261u;

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static const char cursor_types[] = "nirt";	/* enum page_cursor_type */

int
cursor_encode(const struct page_cursor *c, char *out, size_t len)
{
	unsigned char	 raw[CURSOR_RAWMAX];
	char		 num[40];
	const char	*v;
	size_t		 n = 0, vlen, idlen, i, o = 0;
	uint32_t	 w;

	if ((unsigned)c->sort > SORT_STATUS || (unsigned)c->type > CUR_TEXT)
		return -1;
	switch (c->type) {
	case CUR_INT:
		snprintf(num, sizeof(num), "%lld", (long long)c->i);
		v = num;
		break;
	case CUR_REAL:
		if (!isfinite(c->r))
			return -1;
		snprintf(num, sizeof(num), "%.17g", c->r);
		v = num;
		break;
	case CUR_TEXT:
		v = c->text;
		break;
	default:
		v = "";
	}
	vlen = strnlen(v, REG_CURSOR_TEXT);
	idlen = strnlen(c->id, sizeof(c->id));
	if (vlen >= REG_CURSOR_TEXT || idlen == 0 || idlen >= sizeof(c->id))
		return -1;
	raw[n++] = '1';
	raw[n++] = (unsigned char)('0' + c->sort);
	raw[n++] = c->desc ? 'd' : 'a';
	raw[n++] = (unsigned char)cursor_types[c->type];
	memcpy(raw + n, v, vlen);
	n += vlen;
	raw[n++] = '\0';
	memcpy(raw + n, c->id, idlen);
	n += idlen;
	w = cursor_sum(raw, n);
	raw[n++] = (unsigned char)(w >> 24);
	raw[n++] = (unsigned char)(w >> 16);
	raw[n++] = (unsigned char)(w >> 8);
	raw[n++] = (unsigned char)w;

	if (len < (n + 2) / 3 * 4 + 1)
		return -1;
	for (i = 0; i < n; i += 3) {
		w = (uint32_t)raw[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)raw[i + 1] << 8;
		if (i + 2 < n)
			w |= raw[i + 2];
		out[o++] = b64url[(w >> 18) & 63];
		out[o++] = b64url[(w >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64url[(w >> 6) & 63];
		if (i + 2 < n)
			out[o++] = b64url[w & 63];
	}
	out[o] = '\0';
	return 0;
}

static int
b64url_value(char ch)
{
	const char	*p;

	if (ch == '\0' || (p = strchr(b64url, ch)) == NULL)
		return -1;
	return (int)(p - b64url);
}

int
cursor_decode(const char *token, struct page_cursor *c)
{
	unsigned char	 raw[CURSOR_RAWMAX + 3];
	const char	*t, *v, *id;
	char		*end;
	size_t		 tlen, n = 0, i, vlen, idlen;
	uint32_t	 w;
	int		 k, d;

	memset(c, 0, sizeof(*c));
	tlen = strnlen(token, CURSOR_MAXLEN);
	/* A length of 1 mod 4 is not base64; the rest must fit raw. */
	if (tlen == 0 || tlen >= CURSOR_MAXLEN || tlen % 4 == 1 ||
	    tlen / 4 * 3 + 2 > CURSOR_RAWMAX)
		return -1;
	for (i = 0; i < tlen; i += 4) {
		w = 0;
		for (k = 0; k < 4; k++) {
			if (i + (size_t)k >= tlen) {
				w <<= 6;
				continue;
			}
			if ((d = b64url_value(token[i + (size_t)k])) == -1)
				return -1;
			w = w << 6 | (uint32_t)d;
		}
		raw[n++] = (unsigned char)(w >> 16);
		if (i + 2 < tlen)
			raw[n++] = (unsigned char)(w >> 8);
		if (i + 3 < tlen)
			raw[n++] = (unsigned char)w;
		/* Only the canonical encoding: unused low bits are zero. */
		if ((tlen - i == 2 && (w & 0xffff) != 0) ||
		    (tlen - i == 3 && (w & 0xff) != 0))
			return -1;
	}
	if (n < 10 || cursor_sum(raw, n - 4) != ((uint32_t)raw[n - 4] << 24 |
	    (uint32_t)raw[n - 3] << 16 | (uint32_t)raw[n - 2] << 8 | raw[n - 1]))
		return -1;
	n -= 4;
	if (raw[0] != '1' || raw[1] < '0' ||
	    raw[1] > '0' + SORT_STATUS || (raw[2] != 'a' && raw[2] != 'd') ||
	    raw[3] == '\0' || (t = strchr(cursor_types, raw[3])) == NULL)
		return -1;
	c->sort = (enum reg_sort)(raw[1] - '0');
	c->desc = raw[2] == 'd';
	c->type = (enum page_cursor_type)(t - cursor_types);
	/* The value, one NUL, the id: no other NUL. */
	v = (const char *)raw + 4;
	if ((id = memchr(v, '\0', n - 4)) == NULL)
		return -1;
	vlen = (size_t)(id - v);
	id++;
	idlen = n - 4 - vlen - 1;
	if (idlen == 0 || idlen >= sizeof(c->id) ||
	    memchr(id, '\0', idlen) != NULL || vlen >= REG_CURSOR_TEXT)
		return -1;
	memcpy(c->id, id, idlen);
	c->id[idlen] = '\0';
	memcpy(c->text, v, vlen);
	c->text[vlen] = '\0';
	switch (c->type) {
	case CUR_NULL:
		if (vlen != 0)
			return -1;
		break;
	case CUR_INT:
		errno = 0;
		if (vlen == 0 || vlen > 20)
			return -1;
		c->i = strtoll(c->text, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		break;
	case CUR_REAL:
		errno = 0;
		if (vlen == 0 || vlen > 32)
			return -1;
		c->r = strtod(c->text, &end);
		if (errno != 0 || *end != '\0' || !isfinite(c->r))
			return -1;
		break;
	case CUR_TEXT:
		break;
	}
	if (c->type != CUR_TEXT)
		c->text[0] = '\0';
	/* The sort key decides the type: a name is text, a price a number. */
	switch (c->sort) {
	case SORT_NAME:
	case SORT_PROVIDER:
	case SORT_STATUS:
		return c->type == CUR_TEXT ? 0 : -1;
	case SORT_CONTEXT:
		return c->type == CUR_INT || c->type == CUR_NULL ? 0 : -1;
	case SORT_PRICE:
		return c->type == CUR_REAL || c->type == CUR_NULL ? 0 : -1;
	}
	return -1;
}
