/* buf.c: a growable byte buffer, always NUL-terminated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int
buf_grow(struct buf *b, size_t need)
{
	size_t	 cap;
	char	*p;

	if (need < b->len || need > ((size_t)-1) / 2)
		return -1;
	if (need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need + 1)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, b->len + n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int
buf_putc(struct buf *b, int c)
{
	char	 ch = (char)c;

	return buf_append(b, &ch, 1);
}

int
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list	 ap2;
	int	 n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || buf_grow(b, b->len + (size_t)n) == -1)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 rv;

	va_start(ap, fmt);
	rv = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rv;
}

int
buf_json_str(struct buf *b, const char *s)
{
	const unsigned char	*p;
	size_t			 len = b->len;
	int			 r = 0;

	r |= buf_putc(b, '"');
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			r |= buf_putc(b, '\\');
			r |= buf_putc(b, *p);
		} else if (*p < 0x20 || *p == 0x7f)
			r |= buf_printf(b, "\\u%04x", *p);
		else
			r |= buf_putc(b, *p);
	}
	r |= buf_putc(b, '"');
	if (r != 0) {
		/* Leave the buffer as it was, as every append does. */
		b->len = len;
		if (b->data != NULL)
			b->data[len] = '\0';
		return -1;
	}
	return 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *
buf_steal(struct buf *b)
{
	char	*p;

	if (b->data == NULL)
		return strdup("");
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

/* Back i up to the start of a UTF-8 character of s. */
static size_t
buf_char_start(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

int
buf_vfit(char *dst, size_t len, const char *fmt, va_list ap)
{
	size_t	 cut, i;
	int	 n;

	if (len == 0)
		return -1;
	if ((n = vsnprintf(dst, len, fmt, ap)) < 0) {
		dst[0] = '\0';
		return -1;
	}
	if ((size_t)n < len)
		return 0;
	if (len < 4) {
		dst[buf_char_start(dst, len - 1)] = '\0';
		return 1;
	}
	/* Room for "..." and the NUL: the text keeps at most len - 4 bytes. */
	cut = len - 4;
	for (i = cut; i > 0 && dst[i] != ' ' && dst[i] != '\t'; i--)
		;
	if (i < cut / 2)
		i = buf_char_start(dst, cut);	/* one long word: cut inside it */
	/* No dangling separator before the "...". */
	while (i > 0 && strchr(" \t,;:", dst[i - 1]) != NULL)
		i--;
	memcpy(dst + i, "...", 4);
	return 1;
}

int
buf_fit(char *dst, size_t len, const char *fmt, ...)
{
	va_list	 ap;
	int	 rv;

	va_start(ap, fmt);
	rv = buf_vfit(dst, len, fmt, ap);
	va_end(ap);
	return rv;
}
