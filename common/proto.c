/* proto.c: the line protocol's pure parts: request tokenizer, logfmt writer and reader. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proto.h"

/*
 * Each byte's class for the tokenizer, so that its loops test one table
 * entry rather than a chain of comparisons (issue 9 item 7: tokenizing was
 * a tenth of a pipelined RESOLVE). A blank separates words: space or tab,
 * nothing else. Refused: NUL, the other control characters and DEL.
 */
#define PC_PLAIN	0
#define PC_BLANK	1
#define PC_QUOTE	2
#define PC_ESC		3
#define PC_BAD		4
#define PC_BAD16 \
	PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, \
	PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD
static const unsigned char proto_class[256] = {
	PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD,
	PC_BAD, PC_BLANK, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD, PC_BAD,
	PC_BAD16,
	[' '] = PC_BLANK, ['"'] = PC_QUOTE, ['\\'] = PC_ESC, [0x7f] = PC_BAD,
};

static int
proto_isblank(unsigned char c)
{
	return proto_class[c] == PC_BLANK;
}

static int
proto_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
proto_iskeystart(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static int
proto_iskeychar(unsigned char c)
{
	return proto_iskeystart(c) || (c >= '0' && c <= '9');
}

static unsigned char
proto_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

static unsigned char
proto_upper(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? (unsigned char)(c - 'a' + 'A') : c;
}

/*
 * Copy one word (or an option's value) starting at line[*pos] into
 * store[*out], unquoting and unescaping, up to the first unquoted blank
 * or the end. A word never grows when unescaped, so store, sized for the
 * whole line plus one NUL per word, cannot overflow.
 */
static int
proto_word(const char *line, size_t len, size_t *pos, char *store,
    size_t *out, const char **err)
{
	size_t		 i = *pos, o = *out;
	int		 quoted = 0, hi, lo;
	unsigned char	 c;

	while (i < len) {
		size_t	 run;

		/*
		 * The bytes up to the next quote, backslash or (unquoted)
		 * blank stand for themselves: copied as one run.
		 */
		for (run = i; run < len; run++) {
			unsigned char	 k = proto_class[(unsigned char)line[run]];

			if (k == PC_QUOTE || k == PC_ESC ||
			    (k == PC_BLANK && !quoted))
				break;
		}
		if (run > i) {
			memcpy(store + o, line + i, run - i);
			o += run - i;
			i = run;
			continue;
		}
		c = (unsigned char)line[i];
		if (!quoted && proto_isblank(c))
			break;
		i++;
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (i >= len) {
			*err = "backslash at the end of the line";
			return -1;
		}
		c = (unsigned char)line[i++];
		switch (c) {
		case 'n':
			store[o++] = '\n';
			break;
		case 't':
			store[o++] = '\t';
			break;
		case 'r':
			store[o++] = '\r';
			break;
		case 'x':
			if (i + 2 > len ||
			    (hi = proto_hexval((unsigned char)line[i])) == -1 ||
			    (lo = proto_hexval((unsigned char)line[i + 1])) == -1) {
				*err = "bad \\x escape: two hex digits expected";
				return -1;
			}
			i += 2;
			if (hi == 0 && lo == 0) {
				*err = "\\x00 is not allowed";
				return -1;
			}
			store[o++] = (char)(hi << 4 | lo);
			break;
		default:
			/* \\, \" and any other character stand for themselves. */
			store[o++] = (char)c;
			break;
		}
	}
	if (quoted) {
		*err = "unterminated quote";
		return -1;
	}
	store[o++] = '\0';
	*pos = i;
	*out = o;
	return 0;
}

int
proto_tokenize(const char *line, size_t len, struct proto_req *req,
    const char **err)
{
	size_t		 i, o = 0, k;
	unsigned char	 c;
	char		*p;

	req->argc = 0;
	req->optc = 0;
	*err = NULL;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > PROTO_MAXLINE) {
		*err = "request longer than 4096 bytes";
		return -1;
	}
	/* Refuse bad bytes first, so that no partial request is ever seen. */
	for (i = 0; i < len; i++) {
		c = (unsigned char)line[i];
		if (proto_class[c] != PC_BAD)
			continue;
		*err = c == '\0' ? "NUL byte in request" :
		    "control character in request";
		return -1;
	}

	i = 0;
	for (;;) {
		while (i < len && proto_isblank((unsigned char)line[i]))
			i++;
		if (i >= len)
			break;

		/* An option: an unquoted key, then '='; never the verb. */
		k = i;
		if (req->argc > 0 && proto_iskeystart((unsigned char)line[k])) {
			while (k < len && proto_iskeychar((unsigned char)line[k]))
				k++;
			if (k < len && line[k] == '=') {
				if (req->optc >= PROTO_MAXOPTS) {
					*err = "too many options";
					goto fail;
				}
				req->optk[req->optc] = req->store + o;
				for (; i < k; i++)
					req->store[o++] =
					    (char)proto_lower((unsigned char)line[i]);
				req->store[o++] = '\0';
				i++;	/* the '=' */
				req->optv[req->optc] = req->store + o;
				if (proto_word(line, len, &i, req->store, &o,
				    err) == -1)
					goto fail;
				req->optc++;
				continue;
			}
		}

		if (req->argc >= PROTO_MAXARGS) {
			*err = "too many words";
			goto fail;
		}
		req->argv[req->argc] = p = req->store + o;
		if (proto_word(line, len, &i, req->store, &o, err) == -1)
			goto fail;
		if (req->argc == 0)
			for (; *p != '\0'; p++)
				*p = (char)proto_upper((unsigned char)*p);
		req->argc++;
	}
	return 0;

fail:
	req->argc = 0;
	req->optc = 0;
	return -1;
}

const char *
proto_opt(const struct proto_req *req, const char *key)
{
	int	 i;

	for (i = 0; i < req->optc; i++)
		if (strcmp(req->optk[i], key) == 0)
			return req->optv[i];
	return NULL;
}

/*
 * Append s[0..len) in double quotes with C-like escapes; bytes 0x80 and
 * up pass as they are. On failure b is restored to its length at entry.
 */
static int
proto_put_quoted(struct buf *b, const char *s, size_t len)
{
	size_t		 start = b->len, i;
	unsigned char	 c;
	int		 rv = 0;

	rv |= buf_putc(b, '"');
	for (i = 0; i < len && rv == 0; i++) {
		size_t	 run;

		/* The bytes that pass as they are, appended as one run. */
		for (run = i; run < len; run++) {
			c = (unsigned char)s[run];
			if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
				break;
		}
		if (run > i) {
			rv |= buf_append(b, s + i, run - i);
			i = run - 1;
			continue;
		}
		c = (unsigned char)s[i];
		switch (c) {
		case '"':
			rv |= buf_append(b, "\\\"", 2);
			break;
		case '\\':
			rv |= buf_append(b, "\\\\", 2);
			break;
		case '\n':
			rv |= buf_append(b, "\\n", 2);
			break;
		case '\t':
			rv |= buf_append(b, "\\t", 2);
			break;
		case '\r':
			rv |= buf_append(b, "\\r", 2);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				rv |= buf_printf(b, "\\x%02x", c);
			else
				rv |= buf_putc(b, c);
			break;
		}
	}
	if (rv == 0)
		rv = buf_putc(b, '"');
	if (rv != 0) {
		b->len = start;
		if (b->data != NULL)
			b->data[start] = '\0';
		return -1;
	}
	return 0;
}

int
proto_quote_word(struct buf *b, const char *word)
{
	const unsigned char	*p;
	size_t			 len = strlen(word);

	if (len == 0)
		return proto_put_quoted(b, word, len);
	for (p = (const unsigned char *)word; *p != '\0'; p++)
		if (*p < 0x21 || *p > 0x7e || *p == '"' || *p == '\\' ||
		    *p == '=')
			return proto_put_quoted(b, word, len);
	return buf_append(b, word, len);
}

/* Undo a partly written pair: a failed append leaves the record as it was. */
static int
lf_undo(struct buf *b, size_t start)
{
	b->len = start;
	if (b->data != NULL)
		b->data[start] = '\0';
	return -1;
}

/*
 * Start a pair: the separating blank when the record has one already,
 * then key=, in one append (SHOW formats about 25 pairs per record).
 */
static int
lf_key(struct buf *b, const char *key)
{
	char	 tmp[64];
	size_t	 klen = strlen(key), n = 0;

	if (b->len > 0 && b->data[b->len - 1] != '\n')
		tmp[n++] = ' ';
	if (klen + 2 > sizeof(tmp)) {
		if ((n > 0 && buf_putc(b, ' ') == -1) ||
		    buf_append(b, key, klen) == -1 || buf_putc(b, '=') == -1)
			return -1;
		return 0;
	}
	memcpy(tmp + n, key, klen);
	n += klen;
	tmp[n++] = '=';
	return buf_append(b, tmp, n);
}

/* v in decimal, as printf's %lld writes it, into out (24 bytes); the length. */
static size_t
lf_fmt_int(char *out, int64_t v)
{
	char		 tmp[24];
	uint64_t	 u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t		 n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	if (v < 0)
		out[i++] = '-';
	while (n > 0)
		out[i++] = tmp[--n];
	return i;
}

int
lf_strn(struct buf *b, const char *key, const char *value, size_t len)
{
	size_t		 start = b->len, i;
	unsigned char	 c;
	int		 bare;

	if (lf_key(b, key) == -1)
		return lf_undo(b, start);
	if (value == NULL)
		return 0;
	bare = len > 0;
	for (i = 0; i < len && bare; i++) {
		c = (unsigned char)value[i];
		if (c < 0x21 || c == 0x7f || c == '"' || c == '=' || c == '\\')
			bare = 0;
	}
	if (bare) {
		if (buf_append(b, value, len) == -1)
			return lf_undo(b, start);
	} else if (proto_put_quoted(b, value, len) == -1)
		return lf_undo(b, start);
	return 0;
}

int
lf_str(struct buf *b, const char *key, const char *value)
{
	return lf_strn(b, key, value, value == NULL ? 0 : strlen(value));
}

int
lf_int(struct buf *b, const char *key, int64_t value)
{
	size_t	 start = b->len;

	char	 d[24];

	if (lf_key(b, key) == -1 ||
	    buf_append(b, d, lf_fmt_int(d, value)) == -1)
		return lf_undo(b, start);
	return 0;
}

int
lf_num(struct buf *b, const char *key, double value)
{
	size_t	 start = b->len;

	/* NaN and infinities are not numbers a reader could use: null. */
	if (!isfinite(value))
		return lf_null(b, key);
	/*
	 * A whole number below 1e10 is what %.10g would write, digit for
	 * digit, without printf's cost (negative zero keeps printf's "-0").
	 */
	if (value > -1e10 && value < 1e10 && value == (double)(int64_t)value &&
	    !(value == 0 && signbit(value)))
		return lf_int(b, key, (int64_t)value);
	if (lf_key(b, key) == -1 || buf_printf(b, "%.10g", value) == -1)
		return lf_undo(b, start);
	return 0;
}

int
lf_opt_int(struct buf *b, const char *key, int has, int64_t value)
{
	return has ? lf_int(b, key, value) : lf_null(b, key);
}

int
lf_opt_num(struct buf *b, const char *key, int has, double value)
{
	return has ? lf_num(b, key, value) : lf_null(b, key);
}

int
lf_bool(struct buf *b, const char *key, int value)
{
	size_t	 start = b->len;

	if (lf_key(b, key) == -1 || buf_puts(b, value ? "true" : "false") == -1)
		return lf_undo(b, start);
	return 0;
}

int
lf_null(struct buf *b, const char *key)
{
	size_t	 start = b->len;

	if (lf_key(b, key) == -1)
		return lf_undo(b, start);
	return 0;
}

/*
 * Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil): timegm() without the process's TZ or
 * a struct tm, for the parsers (catalogs, export files) and the caps'
 * calendar periods, which all had a copy.
 */
int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
lf_time(struct buf *b, const char *key, int64_t unixtime)
{
	char	 t[32];
	size_t	 start = b->len;

	if (unixtime == 0)
		return lf_null(b, key);
	proto_fmt_time(unixtime, t);
	if (lf_key(b, key) == -1 || buf_puts(b, t) == -1)
		return lf_undo(b, start);
	return 0;
}

int
lf_end(struct buf *b)
{
	return buf_putc(b, '\n');
}

/* A byte that may appear in a key or a bare value. */
static int
lf_isbare(unsigned char c)
{
	return c >= 0x21 && c != 0x7f && c != '"' && c != '=' && c != '\\';
}

/*
 * The store contract: storelen >= len + 1. Each key and value is copied
 * unescaped and NUL-terminated. A key's NUL takes the place of its '=';
 * a bare value's NUL that of the blank after it (or the extra byte at the
 * end of the line); a quoted value loses at least its two quotes. So the
 * copies never need more than len + 1 bytes.
 */
int
lf_parse(const char *line, size_t len, struct lf_pair *pairs, int max,
    char *store, size_t storelen)
{
	size_t		 i = 0, o = 0;
	int		 n = 0, hi, lo;
	unsigned char	 c;
	struct lf_pair	*p;

	if (store == NULL || storelen < len + 1 || max < 0)
		return -1;
	for (;;) {
		while (i < len && line[i] == ' ')
			i++;
		if (i >= len)
			break;
		if (n >= max)
			return -1;
		p = &pairs[n];

		p->key = store + o;
		while (i < len && lf_isbare((unsigned char)line[i]))
			store[o++] = line[i++];
		if (store + o == p->key || i >= len || line[i] != '=')
			return -1;
		store[o++] = '\0';
		i++;

		p->value = store + o;
		p->isnull = 0;
		if (i < len && line[i] == '"') {
			i++;
			for (;;) {
				if (i >= len)
					return -1;	/* unterminated quote */
				c = (unsigned char)line[i++];
				if (c == '"')
					break;
				if (c < 0x20 || c == 0x7f)
					return -1;
				if (c != '\\') {
					store[o++] = (char)c;
					continue;
				}
				if (i >= len)
					return -1;
				c = (unsigned char)line[i++];
				switch (c) {
				case '"':
				case '\\':
					store[o++] = (char)c;
					break;
				case 'n':
					store[o++] = '\n';
					break;
				case 't':
					store[o++] = '\t';
					break;
				case 'r':
					store[o++] = '\r';
					break;
				case 'x':
					if (i + 2 > len ||
					    (hi = proto_hexval((unsigned char)line[i])) == -1 ||
					    (lo = proto_hexval((unsigned char)line[i + 1])) == -1)
						return -1;
					i += 2;
					store[o++] = (char)(hi << 4 | lo);
					break;
				default:
					return -1;
				}
			}
			if (i < len && line[i] != ' ')
				return -1;
		} else {
			while (i < len && line[i] != ' ') {
				if (!lf_isbare((unsigned char)line[i]))
					return -1;
				store[o++] = line[i++];
			}
			if (store + o == p->value)
				p->isnull = 1;
		}
		p->vlen = (size_t)(store + o - p->value);
		store[o++] = '\0';
		n++;
	}
	return n;
}

const struct lf_pair *
lf_get(const struct lf_pair *pairs, int n, const char *key)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(pairs[i].key, key) == 0)
			return &pairs[i];
	return NULL;
}

/* Days since 1970-01-01 to the civil date (proleptic Gregorian), any year. */
static void
proto_civil(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t		 era, doe, yoe, doy, mp;

	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	doe = days - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* v as exactly width decimal digits, zero-padded. */
static void
proto_digits(char *out, unsigned v, int width)
{
	while (width-- > 0) {
		out[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
proto_fmt_time(int64_t t, char out[32])
{
	int64_t		 days, secs, y;
	int		 m, d;

	/* Keep the fixed 20-character form: clamp to years 0000..9999. */
	if (t < -62167219200LL)
		t = -62167219200LL;
	if (t > 253402300799LL)
		t = 253402300799LL;
	days = t / 86400;
	secs = t % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	proto_civil(days, &y, &m, &d);
	/* YYYY-MM-DDTHH:MM:SSZ, digit by digit: SHOW writes four of these. */
	proto_digits(out, (unsigned)y % 10000u, 4);
	out[4] = '-';
	proto_digits(out + 5, (unsigned)m % 100u, 2);
	out[7] = '-';
	proto_digits(out + 8, (unsigned)d % 100u, 2);
	out[10] = 'T';
	proto_digits(out + 11, (unsigned)(secs / 3600) % 100u, 2);
	out[13] = ':';
	proto_digits(out + 14, (unsigned)(secs / 60 % 60), 2);
	out[16] = ':';
	proto_digits(out + 17, (unsigned)(secs % 60), 2);
	out[19] = 'Z';
	out[20] = '\0';
}
