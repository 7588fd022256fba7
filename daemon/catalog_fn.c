/* catalog_fn.c: the SQL functions the catalog parsers call: strict ids, UTF-8 repair, strict numbers, prices and dates. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "catalog.h"
#include "catalog_int.h"
#include "proto.h"

#define CAT_ID_MAX	200		/* bytes in an id or alias */
#define CAT_NUM_MAX	64		/* bytes in a number as a string */
#define CAT_TIME_MAX	64		/* bytes in a date as a string */

/* ASCII digits only, whatever the locale. */
#define CAT_DIGIT(c)	((c) >= '0' && (c) <= '9')

/* Is v the SQL text t (a json_type() result)? */
static int
cat_is_type(sqlite3_value *v, const char *t)
{
	const unsigned char	*s;

	if (sqlite3_value_type(v) != SQLITE_TEXT)
		return 0;
	if ((s = sqlite3_value_text(v)) == NULL)
		return 0;
	return strcmp((const char *)s, t) == 0;
}

/*
 * catalog_id(type, value): value when it is a string usable as an id,
 * else NULL. Ids travel bare in logfmt and in comma lists.
 */
static void
cat_fn_id(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char	*s;
	int			 n, i;

	if (!cat_is_type(argv[0], "text") ||
	    sqlite3_value_type(argv[1]) != SQLITE_TEXT)
		goto null;
	if ((s = sqlite3_value_text(argv[1])) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	n = sqlite3_value_bytes(argv[1]);
	if (n < 1 || n > CAT_ID_MAX)
		goto null;
	for (i = 0; i < n; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' ||
		    s[i] == ',' || s[i] == '=' || s[i] == '\\')
			goto null;
	}
	sqlite3_result_value(ctx, argv[1]);
	return;
null:
	sqlite3_result_null(ctx);
}

/* Length of the well-formed UTF-8 sequence at p (n bytes left), or 0. */
static size_t
cat_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	 c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2)		/* a continuation byte, or overlong */
		return 0;
	if (c < 0xe0)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)	/* overlong */
			return 0;
		if (c == 0xed && p[1] >= 0xa0)	/* a UTF-16 surrogate */
			return 0;
		return 3;
	}
	if (c < 0xf5) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 ||
		    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)	/* overlong */
			return 0;
		if (c == 0xf4 && p[1] >= 0x90)	/* above U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

/*
 * catalog_text(type, value, max): a string as well-formed UTF-8 of at most
 * max bytes, cut on a character boundary; NULL unless a non-empty string.
 * A lone surrogate (which SQLite decodes to an invalid sequence) and any
 * other ill-formed byte become U+FFFD; NUL bytes are dropped so that C
 * strings read from staging are whole.
 */
static void
cat_fn_text(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	static const unsigned char repl[] = { 0xef, 0xbf, 0xbd };
	const unsigned char	*s;
	unsigned char		*out;
	size_t			 n, i, o, k, max, cap;
	sqlite3_int64		 m;

	if (!cat_is_type(argv[0], "text") ||
	    sqlite3_value_type(argv[1]) != SQLITE_TEXT)
		goto null;
	m = sqlite3_value_int64(argv[2]);
	if (m < 1 || m > 1024 * 1024)
		goto null;
	max = (size_t)m;
	if ((s = sqlite3_value_text(argv[1])) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	n = (size_t)sqlite3_value_bytes(argv[1]);
	/* Every input byte yields at most 3 output bytes. */
	cap = n < max / 3 ? n * 3 : max;
	if ((out = sqlite3_malloc64(cap + 1)) == NULL) {
		sqlite3_result_error_nomem(ctx);
		return;
	}
	for (i = 0, o = 0; i < n; i += k) {
		if (s[i] == '\0') {
			k = 1;
			continue;
		}
		if ((k = cat_utf8_len(s + i, n - i)) == 0) {
			/* One U+FFFD for a whole encoded surrogate. */
			if (n - i >= 3 && s[i] == 0xed &&
			    (s[i + 1] & 0xe0) == 0xa0 &&
			    (s[i + 2] & 0xc0) == 0x80)
				k = 3;
			else
				k = 1;
			if (o + sizeof(repl) > cap)
				break;
			memcpy(out + o, repl, sizeof(repl));
			o += sizeof(repl);
			continue;
		}
		if (o + k > cap)
			break;
		memcpy(out + o, s + i, k);
		o += k;
	}
	if (o == 0) {
		sqlite3_free(out);
		goto null;
	}
	out[o] = '\0';
	sqlite3_result_text64(ctx, (const char *)out, o, sqlite3_free,
	    SQLITE_UTF8);
	return;
null:
	sqlite3_result_null(ctx);
}

/*
 * catalog_int(type, value): a context length: a positive integer up to
 * INT_MAX, given as a JSON integer, an integral real, or a string of
 * digits ("128000"). Anything else is NULL.
 */
static void
cat_fn_int(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char	*s;
	sqlite3_int64		 v;
	double			 d;
	int			 n, i, j;

	if (cat_is_type(argv[0], "integer"))
		v = sqlite3_value_int64(argv[1]);
	else if (cat_is_type(argv[0], "real")) {
		d = sqlite3_value_double(argv[1]);
		/* Range first: the cast is defined only within range. */
		if (!isfinite(d) || d < 1 || d > INT_MAX)
			goto null;
		v = (sqlite3_int64)d;
		if ((double)v != d)	/* not integral */
			goto null;
	} else if (cat_is_type(argv[0], "text") &&
	    sqlite3_value_type(argv[1]) == SQLITE_TEXT) {
		if ((s = sqlite3_value_text(argv[1])) == NULL)
			goto null;
		n = sqlite3_value_bytes(argv[1]);
		for (i = 0; i < n && s[i] == ' '; i++)
			;
		for (j = n; j > i && s[j - 1] == ' '; j--)
			;
		if (j - i < 1 || j - i > 10)
			goto null;
		for (v = 0; i < j; i++) {
			if (!CAT_DIGIT(s[i]))
				goto null;
			v = v * 10 + (s[i] - '0');
		}
	} else
		goto null;
	if (v < 1 || v > INT_MAX)
		goto null;
	sqlite3_result_int64(ctx, v);
	return;
null:
	sqlite3_result_null(ctx);
}

/*
 * Read a decimal number strictly ([-+]digits[.digits][e[-+]digits], no
 * hex, inf or nan) and return it multiplied by 10^shift, converting only
 * once so that "0.000003" becomes exactly 3 and not 2.9999999999999996.
 * strtod() sees only digits, '.', 'e' and a sign, and modelregd never
 * calls setlocale(), so the decimal point is '.'. Returns -1 if bad.
 */
static int
cat_decimal(const char *s, size_t n, int shift, double *out)
{
	char	 num[CAT_NUM_MAX + 32], *end;
	size_t	 i = 0, o = 0, digits = 0;
	long	 exp = 0;
	int	 eneg = 0, edigits = 0;
	double	 d;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (n - i > CAT_NUM_MAX)
		return -1;
	if (i < n && (s[i] == '-' || s[i] == '+'))
		num[o++] = s[i++];
	for (; i < n && CAT_DIGIT(s[i]); i++, digits++)
		num[o++] = s[i];
	if (i < n && s[i] == '.') {
		num[o++] = s[i++];
		for (; i < n && CAT_DIGIT(s[i]); i++, digits++)
			num[o++] = s[i];
	}
	if (digits == 0)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			eneg = s[i++] == '-';
		for (; i < n && CAT_DIGIT(s[i]); i++, edigits++) {
			if (exp > 99999)
				return -1;
			exp = exp * 10 + (s[i] - '0');
		}
		if (edigits == 0)
			return -1;
	}
	if (i != n)
		return -1;
	exp = (eneg ? -exp : exp) + shift;
	snprintf(num + o, sizeof(num) - o, "e%ld", exp);
	d = strtod(num, &end);
	if (*end != '\0' || !isfinite(d))
		return -1;
	*out = d;
	return 0;
}

static int
cat_per_million(const char *s, size_t n, double *out)
{
	return cat_decimal(s, n, 6, out);
}

/*
 * catalog_price(type, value): a price in USD per token, as a decimal
 * string or a JSON number, returned in USD per 1M tokens. Negative
 * ("-1": variable), unparsable or other types are NULL (unknown).
 */
static void
cat_fn_price(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char	*s;
	char			 tmp[64];
	double			 d;
	int			 n;

	if (cat_is_type(argv[0], "integer") || cat_is_type(argv[0], "real")) {
		d = sqlite3_value_double(argv[1]);
		if (!isfinite(d))
			goto null;
		/* 15 digits give back the decimal the document wrote. */
		n = snprintf(tmp, sizeof(tmp), "%.15g", d);
		if (n < 0 || (size_t)n >= sizeof(tmp) ||
		    cat_per_million(tmp, (size_t)n, &d) == -1)
			goto null;
	} else if (cat_is_type(argv[0], "text") &&
	    sqlite3_value_type(argv[1]) == SQLITE_TEXT) {
		if ((s = sqlite3_value_text(argv[1])) == NULL)
			goto null;
		n = sqlite3_value_bytes(argv[1]);
		if (cat_per_million((const char *)s, (size_t)n, &d) == -1)
			goto null;
	} else
		goto null;
	if (d < 0)
		goto null;
	sqlite3_result_double(ctx, d + 0.0);	/* -0 becomes 0 */
	return;
null:
	sqlite3_result_null(ctx);
}

/* A JSON number as another price: read back from 15 digits, as catalog_number does. */
static int
cat_number_of(double v, double *out)
{
	char	 tmp[64];
	int	 n;

	if (!isfinite(v))
		return -1;
	n = snprintf(tmp, sizeof(tmp), "%.15g", v);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	return cat_decimal(tmp, (size_t)n, 0, out);
}

/*
 * catalog_number(type, value): another price, as given: a finite
 * non-negative decimal string or JSON number; else NULL. Read like the
 * token prices (strictly, converted once), without the scaling.
 */
static void
cat_fn_number(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char	*s;
	double			 d;
	int			 n;

	if (cat_is_type(argv[0], "integer") || cat_is_type(argv[0], "real")) {
		if (cat_number_of(sqlite3_value_double(argv[1]), &d) == -1)
			goto null;
	} else if (cat_is_type(argv[0], "text") &&
	    sqlite3_value_type(argv[1]) == SQLITE_TEXT) {
		if ((s = sqlite3_value_text(argv[1])) == NULL)
			goto null;
		n = sqlite3_value_bytes(argv[1]);
		if (cat_decimal((const char *)s, (size_t)n, 0, &d) == -1)
			goto null;
	} else
		goto null;
	if (d < 0 || !isfinite(d))
		goto null;
	sqlite3_result_double(ctx, d + 0.0);	/* -0 becomes 0 */
	return;
null:
	sqlite3_result_null(ctx);
}

/* Read exactly n ASCII digits at *p into *v; advances *p. */
static int
cat_digits(const char **p, const char *end, int n, int *v)
{
	int	 i;

	if (end - *p < n)
		return -1;
	for (*v = 0, i = 0; i < n; i++, (*p)++) {
		if (!CAT_DIGIT(**p))
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

/*
 * A date as unix seconds: RFC 3339 ("2025-09-30T12:00:00Z",
 * "2025-09-30T12:00:00.5+02:00"), the same with a blank for the T or
 * without an offset (taken as UTC), or a plain date ("2025-09-30",
 * midnight UTC). Years 1970..9999. -1 if bad.
 */
int
catalog_parse_time(const char *s, size_t n, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	const char	*p = s, *end = s + n;
	int		 y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign;
	int64_t		 t;

	if (n > CAT_TIME_MAX)
		return -1;
	if (cat_digits(&p, end, 4, &y) == -1 || p == end || *p++ != '-' ||
	    cat_digits(&p, end, 2, &mo) == -1 || p == end || *p++ != '-' ||
	    cat_digits(&p, end, 2, &d) == -1)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))))
		return -1;
	if (p < end) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return -1;
		p++;
		if (cat_digits(&p, end, 2, &h) == -1 || p == end ||
		    *p++ != ':' || cat_digits(&p, end, 2, &mi) == -1)
			return -1;
		if (p < end && *p == ':') {
			p++;
			if (cat_digits(&p, end, 2, &sec) == -1)
				return -1;
			if (p < end && *p == '.') {
				for (p++; p < end && CAT_DIGIT(*p); p++)
					;
				if (!CAT_DIGIT(p[-1]))
					return -1;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (p < end && (*p == 'Z' || *p == 'z'))
			p++;
		else if (p < end && (*p == '+' || *p == '-')) {
			sign = *p++ == '-' ? -1 : 1;
			if (cat_digits(&p, end, 2, &oh) == -1 || p == end ||
			    *p++ != ':' || cat_digits(&p, end, 2, &om) == -1 ||
			    oh > 23 || om > 59)
				return -1;
			oh *= sign;
			om *= sign;
		}
		if (p != end)
			return -1;
	}
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	t -= (int64_t)oh * 3600 + (int64_t)om * 60;
	if (t < 0)
		return -1;
	*out = t;
	return 0;
}

/*
 * catalog_time(type, value): an expiry date (see catalog_parse_time), or
 * a JSON integer of unix seconds; NULL when absent or unreadable, so a
 * bad date never makes a model look expired.
 */
static void
cat_fn_time(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const unsigned char	*s;
	sqlite3_int64		 v;
	int64_t			 t;

	if (cat_is_type(argv[0], "integer")) {
		v = sqlite3_value_int64(argv[1]);
		/* Up to the end of year 9999. */
		if (v < 1 || v > 253402300799LL)
			goto null;
		sqlite3_result_int64(ctx, v);
		return;
	}
	if (!cat_is_type(argv[0], "text") ||
	    sqlite3_value_type(argv[1]) != SQLITE_TEXT)
		goto null;
	if ((s = sqlite3_value_text(argv[1])) == NULL)
		goto null;
	if (catalog_parse_time((const char *)s,
	    (size_t)sqlite3_value_bytes(argv[1]), &t) == -1)
		goto null;
	sqlite3_result_int64(ctx, t);
	return;
null:
	sqlite3_result_null(ctx);
}

/*
 * Decode the JSON string token at p (just after its opening quote) into
 * out (at most outlen bytes); *end is set past the closing quote. 1 when
 * the decoded string fits and is ASCII without NUL (the only strings
 * catalog_has compares with), else 0. The token is valid JSON: SQLite
 * rendered it (json_extract).
 */
static int
cat_str_ascii(const char *p, const char *lim, const char **end, char *out,
    size_t outlen, size_t *outn)
{
	size_t	 n = 0;
	int	 ok = 1;
	unsigned c;
	int	 i;

	while (p < lim && *p != '"') {
		c = (unsigned char)*p++;
		if (c == '\\' && p < lim) {
			c = (unsigned char)*p++;
			switch (c) {
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u':
				for (c = 0, i = 0; i < 4 && p < lim; i++, p++) {
					c <<= 4;
					if (*p >= '0' && *p <= '9')
						c |= (unsigned)(*p - '0');
					else if (*p >= 'a' && *p <= 'f')
						c |= (unsigned)(*p - 'a' + 10);
					else if (*p >= 'A' && *p <= 'F')
						c |= (unsigned)(*p - 'A' + 10);
				}
				break;
			default:	/* " \ / */
				break;
			}
		}
		if (c == 0 || c > 0x7f || n >= outlen)
			ok = 0;
		else
			out[n++] = (char)c;
	}
	*end = p < lim ? p + 1 : lim;
	*outn = n;
	return ok;
}

/*
 * catalog_has(type, value, s1, s2...): 1 when value is a JSON array (type
 * 'array', value its JSON text from json_extract) with a string element
 * equal to one of s1... (ASCII), else 0. What
 * EXISTS (SELECT 1 FROM json_each(o, path) WHERE type = 'text' AND value
 * IN (s1...)) says, without json_each parsing the whole element again
 * (issue 8: that subquery was most of a parse's time).
 */
static void
cat_fn_has(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char	*s, *lim, *end, *w;
	char		 buf[64];
	size_t		 n;
	int		 depth = 0, i;

	if (argc < 3 || !cat_is_type(argv[0], "array") ||
	    sqlite3_value_type(argv[1]) != SQLITE_TEXT ||
	    (s = (const char *)sqlite3_value_text(argv[1])) == NULL) {
		sqlite3_result_int(ctx, 0);
		return;
	}
	lim = s + sqlite3_value_bytes(argv[1]);
	while (s < lim) {
		switch (*s) {
		case '[':
		case '{':
			depth++;
			s++;
			break;
		case ']':
		case '}':
			depth--;
			s++;
			break;
		case '"':
			if (!cat_str_ascii(s + 1, lim, &end, buf, sizeof(buf),
			    &n) || depth != 1) {
				s = end;
				break;
			}
			s = end;
			for (i = 2; i < argc; i++) {
				w = (const char *)sqlite3_value_text(argv[i]);
				if (w != NULL && (size_t)sqlite3_value_bytes(argv[i]) ==
				    n && memcmp(w, buf, n) == 0) {
					sqlite3_result_int(ctx, 1);
					return;
				}
			}
			break;
		default:
			s++;
			break;
		}
	}
	sqlite3_result_int(ctx, 0);
}

#define CAT_PRICES_MAX	32		/* other prices kept per model */
#define CAT_PRICE_NAME_MAX 64		/* bytes in the name of another price */

struct cat_price_kv {
	char	 k[CAT_PRICE_NAME_MAX + 1];
	size_t	 kn;
	size_t	 pos;
	double	 v;
};

static int
cat_price_cmp(const void *a, const void *b)
{
	const struct cat_price_kv *x = a, *y = b;
	int	 c;

	c = memcmp(x->k, y->k, x->kn < y->kn ? x->kn : y->kn);
	if (c == 0)
		c = x->kn < y->kn ? -1 : x->kn > y->kn;
	if (c == 0)
		c = x->pos < y->pos ? -1 : x->pos > y->pos;
	return c;
}

/* Past the JSON value at p (valid JSON, as SQLite rendered it). */
static const char *
cat_skip_value(const char *p, const char *lim)
{
	int	 depth = 0;

	do {
		if (p >= lim)
			return lim;
		switch (*p) {
		case '"':
			for (p++; p < lim && *p != '"'; p++)
				if (*p == '\\' && p + 1 < lim)
					p++;
			p++;
			break;
		case '[':
		case '{':
			depth++;
			p++;
			break;
		case ']':
		case '}':
			if (depth == 0)
				return p;
			depth--;
			p++;
			break;
		case ',':
			if (depth == 0)
				return p;
			p++;
			break;
		default:
			p++;
			break;
		}
	} while (depth > 0 || (p < lim && *p != ',' && *p != '}' &&
	    *p != ']'));
	return p;
}

static int
cat_price_name_ok(const char *k, size_t n)
{
	size_t	 i;

	if (n < 1 || n > CAT_PRICE_NAME_MAX ||
	    (n == 6 && memcmp(k, "prompt", 6) == 0) ||
	    (n == 10 && memcmp(k, "completion", 10) == 0))
		return 0;
	for (i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || CAT_DIGIT(k[i]) ||
		    k[i] == '_'))
			return 0;
	return 1;
}

#define CAT_WS(c)	((c) == ' ' || (c) == '\t' || (c) == '\n' || (c) == '\r')

/*
 * catalog_prices(type, value): the other prices of a pricing object (type
 * 'object', value its JSON text from json_extract), as a JSON object:
 * members other than prompt and completion named by 1 to 64 bytes of
 * [a-z0-9_] whose value catalog_number reads, at most 32 in name order;
 * '{}' when none. It replaced a json_group_object over json_each(o,
 * '$.pricing'), which parsed the whole element again and sorted in a
 * sorter of its own: a third of a parse's time (issue 8).
 */
static void
cat_fn_prices(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct cat_price_kv	*kv = NULL, *nkv;
	sqlite3_str		*out;
	const char		*s, *lim, *end;
	char			 sbuf[256], *vb, *e;
	size_t			 n, cap = 0, len = 0, pos = 0, i;
	double			 d;
	int			 ok;

	(void)argc;
	if (!cat_is_type(argv[0], "object") ||
	    sqlite3_value_type(argv[1]) != SQLITE_TEXT ||
	    (s = (const char *)sqlite3_value_text(argv[1])) == NULL) {
		sqlite3_result_text(ctx, "{}", 2, SQLITE_STATIC);
		return;
	}
	lim = s + sqlite3_value_bytes(argv[1]);
	while (s < lim && *s != '{')
		s++;
	s++;
	for (;;) {
		while (s < lim && (CAT_WS(*s) || *s == ','))
			s++;
		if (s >= lim || *s != '"')
			break;
		if (len == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nkv = sqlite3_realloc64(kv, cap * sizeof(*kv))) ==
			    NULL)
				goto nomem;
			kv = nkv;
		}
		ok = cat_str_ascii(s + 1, lim, &end, kv[len].k,
		    sizeof(kv[len].k) - 1, &kv[len].kn) &&
		    cat_price_name_ok(kv[len].k, kv[len].kn);
		s = end;
		while (s < lim && (CAT_WS(*s) || *s == ':'))
			s++;
		if (s >= lim)
			break;
		if (*s == '"') {
			/* A decoded string is never longer than its token. */
			end = cat_skip_value(s, lim);
			n = (size_t)(end - s);
			vb = n <= sizeof(sbuf) ? sbuf : sqlite3_malloc64(n);
			if (vb == NULL)
				goto nomem;
			if (ok && (!cat_str_ascii(s + 1, lim, &end, vb, n, &n) ||
			    cat_decimal(vb, n, 0, &d) == -1))
				ok = 0;
			if (vb != sbuf)
				sqlite3_free(vb);
			s = end;
		} else if (*s == '-' || CAT_DIGIT(*s)) {
			/* modelregd never calls setlocale(): '.' it is. */
			d = strtod(s, &e);
			if (ok && cat_number_of(d, &d) == -1)
				ok = 0;
			s = cat_skip_value(e > s ? e : s + 1, lim);
		} else {
			ok = 0;		/* true, false, null, an object, an array */
			s = cat_skip_value(s, lim);
		}
		if (ok && !(d < 0) && isfinite(d)) {
			kv[len].v = d + 0.0;	/* -0 becomes 0 */
			kv[len].pos = pos;
			len++;
		}
		pos++;
	}
	if (len > 1)
		qsort(kv, len, sizeof(*kv), cat_price_cmp);
	out = sqlite3_str_new(sqlite3_context_db_handle(ctx));
	sqlite3_str_appendchar(out, 1, '{');
	for (i = 0; i < len && i < CAT_PRICES_MAX; i++)
		/* As json_group_object renders a REAL. */
		sqlite3_str_appendf(out, "%s\"%.*s\":%!0.15g", i ? "," : "",
		    (int)kv[i].kn, kv[i].k, kv[i].v);
	sqlite3_str_appendchar(out, 1, '}');
	sqlite3_free(kv);
	if (sqlite3_str_errcode(out) != SQLITE_OK) {
		sqlite3_free(sqlite3_str_finish(out));
		sqlite3_result_error_nomem(ctx);
		return;
	}
	n = (size_t)sqlite3_str_length(out);
	sqlite3_result_text(ctx, sqlite3_str_finish(out), (int)n, sqlite3_free);
	return;
nomem:
	sqlite3_free(kv);
	sqlite3_result_error_nomem(ctx);
}

int
catalog_fn_register(sqlite3 *db)
{
	static const struct {
		const char	*name;
		int		 nargs;
		void		(*fn)(sqlite3_context *, int, sqlite3_value **);
	} fns[] = {
		{ "catalog_id", 2, cat_fn_id },
		{ "catalog_text", 3, cat_fn_text },
		{ "catalog_int", 2, cat_fn_int },
		{ "catalog_price", 2, cat_fn_price },
		{ "catalog_number", 2, cat_fn_number },
		{ "catalog_time", 2, cat_fn_time },
		{ "catalog_has", -1, cat_fn_has },
		{ "catalog_prices", 2, cat_fn_prices },
	};
	sqlite3_stmt	*st = NULL;
	size_t		 i;

	/*
	 * Registering again would expire every prepared statement of the
	 * connection (and fail while one runs), so probe first.
	 */
	if (sqlite3_prepare_v2(db, "SELECT catalog_price(NULL, NULL)", -1,
	    &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		return 0;
	}
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		if (sqlite3_create_function_v2(db, fns[i].name, fns[i].nargs,
		    SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
		    NULL, fns[i].fn, NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	}
	return 0;
}
