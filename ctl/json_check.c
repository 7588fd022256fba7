/* json_check.c: JSON text modelregctl writes and checks: strings, numbers, a strict checker that copies a value, and the prices object read for people. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* JSON text for s[0..len): valid UTF-8 passes, bad bytes become U+FFFD. */
void
out_json_string(struct buf *b, const char *s, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n;
	uint32_t		 cp;

	buf_putc(b, '"');
	while (i < len) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0) {
			buf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		switch (cp) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		case '\b':
			buf_puts(b, "\\b");
			break;
		case '\f':
			buf_puts(b, "\\f");
			break;
		default:
			/* Also escaped: what a terminal would act on. */
			if (cp < 0x20 || cp == 0x7f || out_is_hidden(cp))
				buf_printf(b, "\\u%04x", cp);
			else
				buf_append(b, p + i, n);
			break;
		}
		i += n;
	}
	buf_putc(b, '"');
}

/*
 * A strict JSON checker that copies what it checks (RFC 8259), for an
 * event's details: the daemon sends them as JSON text, and we embed them
 * as they are only when they are one valid value. Blanks between tokens
 * are dropped so that a value never spans lines (events --follow --json
 * writes one object per line); inside strings, what a terminal would act
 * on is escaped as out_json_string does. Nesting is bounded.
 */
#define JSON_MAXDEPTH	64

struct jscan {
	const unsigned char	*s;
	size_t			 len;
	size_t			 i;
	struct buf		*b;
};

static int	jscan_value(struct jscan *, int depth);

static void
jscan_blanks(struct jscan *j)
{
	while (j->i < j->len && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
	    j->s[j->i] == '\n' || j->s[j->i] == '\r'))
		j->i++;
}

static int
jscan_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
jscan_string(struct jscan *j)
{
	uint32_t	 cp;
	size_t		 n, k;

	if (j->i >= j->len || j->s[j->i] != '"')
		return -1;
	buf_putc(j->b, '"');
	j->i++;
	while (j->i < j->len) {
		unsigned char c = j->s[j->i];

		if (c == '"') {
			buf_putc(j->b, '"');
			j->i++;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			if (j->i + 1 >= j->len)
				return -1;
			c = j->s[j->i + 1];
			if (c == 'u') {
				if (j->i + 6 > j->len)
					return -1;
				for (k = 2; k < 6; k++)
					if (!jscan_hex(j->s[j->i + k]))
						return -1;
				n = 6;
			} else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
				n = 2;
			else
				return -1;
			buf_append(j->b, j->s + j->i, n);
			j->i += n;
			continue;
		}
		if ((n = utf8_decode(j->s + j->i, j->len - j->i, &cp)) == 0)
			return -1;
		if (cp == 0x7f || out_is_hidden(cp))
			buf_printf(j->b, "\\u%04x", cp);
		else
			buf_append(j->b, j->s + j->i, n);
		j->i += n;
	}
	return -1;
}

static int
jscan_digits(struct jscan *j)
{
	size_t	 start = j->i;

	while (j->i < j->len && j->s[j->i] >= '0' && j->s[j->i] <= '9')
		j->i++;
	return j->i > start ? 0 : -1;
}

static int
jscan_number(struct jscan *j)
{
	size_t	 start = j->i;

	if (j->i < j->len && j->s[j->i] == '-')
		j->i++;
	if (j->i < j->len && j->s[j->i] == '0')
		j->i++;
	else if (j->i >= j->len || j->s[j->i] < '1' || j->s[j->i] > '9' ||
	    jscan_digits(j) == -1)
		return -1;
	if (j->i < j->len && j->s[j->i] == '.') {
		j->i++;
		if (jscan_digits(j) == -1)
			return -1;
	}
	if (j->i < j->len && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
		j->i++;
		if (j->i < j->len && (j->s[j->i] == '+' || j->s[j->i] == '-'))
			j->i++;
		if (jscan_digits(j) == -1)
			return -1;
	}
	buf_append(j->b, j->s + start, j->i - start);
	return 0;
}

static int
jscan_word(struct jscan *j, const char *w)
{
	size_t	 n = strlen(w);

	if (j->len - j->i < n || memcmp(j->s + j->i, w, n) != 0)
		return -1;
	buf_puts(j->b, w);
	j->i += n;
	return 0;
}

/* An object or an array, from its opening bracket. */
static int
jscan_container(struct jscan *j, int depth)
{
	int	 obj = j->s[j->i] == '{';
	char	 close = obj ? '}' : ']';

	if (depth >= JSON_MAXDEPTH)
		return -1;
	buf_putc(j->b, j->s[j->i]);
	j->i++;
	jscan_blanks(j);
	if (j->i < j->len && j->s[j->i] == close) {
		buf_putc(j->b, close);
		j->i++;
		return 0;
	}
	for (;;) {
		if (obj) {
			if (jscan_string(j) == -1)
				return -1;
			jscan_blanks(j);
			if (j->i >= j->len || j->s[j->i] != ':')
				return -1;
			buf_puts(j->b, ": ");
			j->i++;
			jscan_blanks(j);
		}
		if (jscan_value(j, depth + 1) == -1)
			return -1;
		jscan_blanks(j);
		if (j->i >= j->len)
			return -1;
		if (j->s[j->i] == close) {
			buf_putc(j->b, close);
			j->i++;
			return 0;
		}
		if (j->s[j->i] != ',')
			return -1;
		buf_puts(j->b, ", ");
		j->i++;
		jscan_blanks(j);
	}
}

static int
jscan_value(struct jscan *j, int depth)
{
	if (j->i >= j->len)
		return -1;
	switch (j->s[j->i]) {
	case '{':
	case '[':
		return jscan_container(j, depth);
	case '"':
		return jscan_string(j);
	case 't':
		return jscan_word(j, "true");
	case 'f':
		return jscan_word(j, "false");
	case 'n':
		return jscan_word(j, "null");
	default:
		return jscan_number(j);
	}
}

int
out_json_copy(struct buf *b, const char *s, size_t len)
{
	struct jscan	 j;
	size_t		 saved = b->len;

	j.s = (const unsigned char *)s;
	j.len = len;
	j.i = 0;
	j.b = b;
	jscan_blanks(&j);
	if (jscan_value(&j, 0) == 0) {
		jscan_blanks(&j);
		if (j.i == len && b->data != NULL)
			return 1;
	}
	/* Not one valid value: take back what was copied. */
	b->len = saved;
	if (b->data != NULL)
		b->data[saved] = '\0';
	return 0;
}

/* Whether s[0..len) is a number as JSON writes one, so it can be copied as is. */
int
out_is_json_number(const char *s, size_t len)
{
	size_t	 i = 0, d;

	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else {
		for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d || s[d] == '0')
			return 0;
	}
	if (i < len && s[i] == '.') {
		for (d = ++i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	return i == len && len > 0;
}

/*
 * One price for a person: the number as the daemon wrote it, but without
 * trailing zeros, and without an exponent when a plain decimal says the
 * same ("5e-07" is 0.0000005).
 */
static void
out_price_number(struct buf *b, const char *s, size_t len)
{
	char	 num[64], *end;
	double	 d;
	int	 n;

	if (memchr(s, 'e', len) == NULL && memchr(s, 'E', len) == NULL) {
		/* "0.50" is 0.5, "0.0" is 0. */
		if (memchr(s, '.', len) != NULL) {
			while (len > 1 && s[len - 1] == '0')
				len--;
			if (s[len - 1] == '.')
				len--;
		}
		buf_append(b, s, len);
		return;
	}
	if (len >= sizeof(num))
		goto asis;
	memcpy(num, s, len);
	num[len] = '\0';
	d = strtod(num, &end);
	if (*end != '\0' || (d != 0 && ((d < 0 ? -d : d) < 1e-12 ||
	    (d < 0 ? -d : d) >= 1e15)))
		goto asis;
	n = snprintf(num, sizeof(num), "%.12f", d);
	if (n < 0 || (size_t)n >= sizeof(num))
		goto asis;
	while (n > 1 && num[n - 1] == '0')
		n--;
	if (num[n - 1] == '.')
		n--;
	buf_append(b, num, (size_t)n);
	return;
asis:
	buf_append(b, s, len);
}

int
out_prices_text(struct buf *b, const char *s, size_t len)
{
	size_t	 i = 0, saved = b->len, key, klen, num;
	int	 count = 0;

	if (len < 2 || s[0] != '{')
		return -1;
	for (i = 1; i < len && s[i] != '}'; ) {
		/* "name": a string without escapes (the daemon's are plain). */
		if (count > 0) {
			if (s[i] != ',')
				goto fail;
			i++;
		}
		if (i >= len || s[i] != '"')
			goto fail;
		key = ++i;
		while (i < len && s[i] != '"' && s[i] != '\\' &&
		    (unsigned char)s[i] >= 0x20)
			i++;
		if (i >= len || s[i] != '"' || i == key)
			goto fail;
		klen = i - key;
		if (++i >= len || s[i] != ':')
			goto fail;
		num = ++i;
		while (i < len && s[i] != ',' && s[i] != '}')
			i++;
		if (i >= len || !out_is_json_number(s + num, i - num))
			goto fail;
		if (count++ > 0)
			buf_puts(b, ", ");
		out_sanitize(b, s + key, klen);
		buf_putc(b, ' ');
		out_price_number(b, s + num, i - num);
	}
	if (i + 1 != len)
		goto fail;
	if (count > 0)
		buf_puts(b, " (USD per unit)");
	return count > 0 ? 1 : 0;

fail:
	b->len = saved;
	if (b->data != NULL)
		b->data[saved] = '\0';
	return -1;
}
