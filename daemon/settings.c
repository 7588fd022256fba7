/* settings.c: the per-model settings' pure checks: parameter names, values and ranges, labels, organisation aliases and comma lists. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"

#define SETTINGS_NUM_MAX	32	/* bytes of a value as text */

static const struct {
	const char	*name;
	double		 min, max;
	int		 integer;
} settings_params[SP_COUNT] = {
	{ "temperature",	0, 2, 0 },
	{ "top_p",		0, 1, 0 },
	{ "max_tokens",		1, SETTINGS_TOKENS_MAX, 1 },
	{ "frequency_penalty",	-2, 2, 0 },
	{ "presence_penalty",	-2, 2, 0 },
};

int
settings_param_find(const char *name)
{
	int	 i;

	for (i = 0; i < SP_COUNT; i++)
		if (strcmp(name, settings_params[i].name) == 0)
			return i;
	return -1;
}

const char *
settings_param_name(int param)
{
	return param >= 0 && param < SP_COUNT ? settings_params[param].name :
	    "?";
}

/* "from 0 to 2": the range in words, for messages. */
static void
settings_range_text(int param, int64_t context, char *out, size_t len)
{
	char	 lo[32], hi[32];

	if (param == SP_MAX_TOKENS) {
		snprintf(out, len, "a whole number from 1 to %lld%s",
		    (long long)(context > 0 ? context : SETTINGS_TOKENS_MAX),
		    context > 0 ? " (the model's context length)" : "");
		return;
	}
	settings_value_text(settings_params[param].min, lo, sizeof(lo));
	settings_value_text(settings_params[param].max, hi, sizeof(hi));
	snprintf(out, len, "a number from %s to %s", lo, hi);
}

/*
 * Strict decimal: [-]digits[.digits], or digits only for an integer
 * parameter. No exponent, no blanks, no "nan" or "inf", nothing strtod
 * would take and a person would not mean.
 */
int
settings_parse_value(int param, const char *text, double *v, char *err,
    size_t len)
{
	const char	*p = text;
	char		 range[96];
	size_t		 n;
	char		*end;

	if (param < 0 || param >= SP_COUNT) {
		snprintf(err, len, "no such parameter");
		return -1;
	}
	settings_range_text(param, 0, range, sizeof(range));
	n = strlen(text);
	if (n == 0 || n > SETTINGS_NUM_MAX)
		goto bad;
	if (*p == '-' && !settings_params[param].integer)
		p++;
	if (*p < '0' || *p > '9')
		goto bad;
	p += strspn(p, "0123456789");
	if (*p == '.' && !settings_params[param].integer) {
		p++;
		if (*p < '0' || *p > '9')
			goto bad;
		p += strspn(p, "0123456789");
	}
	if (*p != '\0')
		goto bad;
	*v = strtod(text, &end);
	if (*end != '\0')
		goto bad;
	return 0;
bad:
	/* A long value is not echoed: the message must not cut it. */
	if (n > 0 && n <= SETTINGS_NUM_MAX)
		snprintf(err, len, "bad %s \"%s\": expected %s",
		    settings_params[param].name, text, range);
	else
		snprintf(err, len, "bad %s: expected %s",
		    settings_params[param].name, range);
	return -1;
}

int
settings_check_range(int param, double v, int64_t context, char *err,
    size_t len)
{
	char	 range[96], val[32];
	double	 max;

	if (param < 0 || param >= SP_COUNT) {
		snprintf(err, len, "no such parameter");
		return -1;
	}
	max = settings_params[param].max;
	if (param == SP_MAX_TOKENS && context > 0 && (double)context < max)
		max = (double)context;
	if (v >= settings_params[param].min && v <= max &&
	    (!settings_params[param].integer || v == (double)(int64_t)v))
		return 0;
	settings_range_text(param, context, range, sizeof(range));
	settings_value_text(v, val, sizeof(val));
	snprintf(err, len, "%s %s is out of range: expected %s",
	    settings_params[param].name, val, range);
	return -1;
}

/* The length of the UTF-8 sequence at s (n bytes left), 0 when ill-formed; *cp its code point. */
static size_t
settings_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t	 k, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4;
	else
		return 0;
	if (n < k)
		return 0;
	*cp = s[0] & (k == 2 ? 0x1f : k == 3 ? 0x0f : 0x07);
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, past U+10FFFF. */
	if ((k == 3 && *cp < 0x800) || (k == 4 && *cp < 0x10000) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff) || *cp > 0x10ffff)
		return 0;
	return k;
}

int
settings_check_label(const char *s, char *err, size_t len)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), i, k, chars = 0;
	uint32_t		 cp;

	if (n == 0) {
		snprintf(err, len, "empty label: to remove the label, unset it");
		return -1;
	}
	if (n > SETTINGS_LABEL_MAX) {
		snprintf(err, len, "label too long: at most %d characters",
		    SETTINGS_LABEL_CHARS);
		return -1;
	}
	for (i = 0; i < n; i += k) {
		if ((k = settings_utf8(p + i, n - i, &cp)) == 0) {
			snprintf(err, len, "the label is not valid UTF-8");
			return -1;
		}
		/* C0, DEL and C1 controls, and the line and paragraph separators. */
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
		    cp == 0x2029) {
			snprintf(err, len, "the label has a control character");
			return -1;
		}
		chars++;
	}
	if (chars > SETTINGS_LABEL_CHARS) {
		snprintf(err, len, "label too long: at most %d characters",
		    SETTINGS_LABEL_CHARS);
		return -1;
	}
	if (s[0] == ' ' || s[n - 1] == ' ') {
		snprintf(err, len, "the label starts or ends with a blank");
		return -1;
	}
	return 0;
}

int
settings_check_alias(const char *s, char *err, size_t len)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > SETTINGS_ALIAS_MAX) {
		snprintf(err, len, "bad alias: 1 to %d bytes", SETTINGS_ALIAS_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == '=' ||
		    c == '\\') {
			snprintf(err, len, "bad alias: printable ASCII without "
			    "blanks, quotes, commas, '=' or backslashes, like "
			    "model ids");
			return -1;
		}
	}
	return 0;
}

int
settings_split(char *s, const char **items, int max)
{
	char	*p = s, *comma;
	int	 n = 0;

	for (;;) {
		if ((comma = strchr(p, ',')) != NULL)
			*comma = '\0';
		if (*p == '\0' || n >= max)
			return -1;
		items[n++] = p;
		if (comma == NULL)
			return n;
		p = comma + 1;
	}
}

int
settings_parse_params(const char *list, unsigned *bits, char *err,
    size_t len)
{
	char		 copy[256];
	const char	*items[SP_COUNT * 2];
	int		 n, i, p;

	*bits = 0;
	if (strlen(list) >= sizeof(copy) ||
	    (n = settings_split(strcpy(copy, list), items,
	    (int)(sizeof(items) / sizeof(items[0])))) == -1) {
		snprintf(err, len, "bad parameter list: names separated by "
		    "commas, among %s", SETTINGS_PARAM_NAMES);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((p = settings_param_find(items[i])) == -1) {
			if (strlen(items[i]) <= 32)
				snprintf(err, len, "no parameter \"%s\": use %s",
				    items[i], SETTINGS_PARAM_NAMES);
			else
				snprintf(err, len, "no such parameter: use %s",
				    SETTINGS_PARAM_NAMES);
			return -1;
		}
		*bits |= 1u << p;
	}
	return 0;
}

void
settings_params_list(unsigned bits, char *out, size_t len)
{
	size_t	 used = 0;
	int	 i, w;

	if (len == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < SP_COUNT; i++) {
		if (!(bits & (1u << i)))
			continue;
		w = snprintf(out + used, len - used, "%s%s", used > 0 ? "," : "",
		    settings_params[i].name);
		if (w < 0 || (size_t)w >= len - used)
			return;
		used += (size_t)w;
	}
}

void
settings_value_text(double v, char *out, size_t len)
{
	snprintf(out, len, "%.10g", v);
}
