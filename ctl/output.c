/* output.c: modelregctl's renderers: records as aligned text for people, or as JSON for scripts. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* wcwidth(3); configure defines it for the real build */
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "proto.h"
#include "ctl.h"

#define REC_MAXPAIRS	256	/* keys in one record; a model has 15 */
#define NAME_WIDTH	32	/* NAME column, in terminal columns */
#define PROVIDER_WIDTH	20

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

static const struct lf_pair *
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

/* Emit stdout's share of a rendering at once; a failed write shows at exit. */
static void
out_flush(struct buf *b)
{
	if (b->len > 0)
		fwrite(b->data, 1, b->len, stdout);
	buf_free(b);
}

/*
 * Decode one UTF-8 sequence at s: its length, or 0 when s[0] does not
 * start a valid one (overlong forms, surrogates and code points past
 * U+10FFFF are invalid).
 */
static size_t
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
static int
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

/* Terminal columns of a sanitized (valid UTF-8) string. */
static size_t
out_width(const char *s, size_t len, size_t *cut, size_t maxw)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, n, w = 0;
	uint32_t		 cp;
	int			 cw;

	if (cut != NULL)
		*cut = len;
	while (i < len) {
		if ((n = utf8_decode(p + i, len - i, &cp)) == 0) {
			n = 1;
			cp = '?';
		}
		cw = wcwidth((wchar_t)cp);
		if (cw < 0)
			cw = 1;
		if (cut != NULL && w + (size_t)cw > maxw && *cut == len)
			*cut = i;
		w += (size_t)cw;
		i += n;
	}
	return w;
}

/* A table cell: the sanitized value, "-" when null or empty, cut to maxw columns. */
static char *
out_cell(const struct lf_pair *p, size_t maxw)
{
	struct buf	 b = { 0 };
	size_t		 cut;

	if (p == NULL || p->isnull || p->vlen == 0)
		return strdup("-");
	out_sanitize(&b, p->value, p->vlen);
	if (b.data == NULL)
		return NULL;
	if (maxw > 3 && out_width(b.data, b.len, NULL, 0) > maxw) {
		out_width(b.data, b.len, &cut, maxw - 3);
		b.len = cut;
		b.data[cut] = '\0';
		buf_puts(&b, "...");
	}
	return buf_steal(&b);
}

#define NCOLS	8
static const char *const out_heads[NCOLS] = {
	"ID", "NAME", "PROVIDER", "STATUS", "CONTEXT", "PROMPT $/1M",
	"COMPL $/1M", "FEATURES",
};
static const int out_right[NCOLS] = { 0, 0, 0, 0, 1, 1, 1, 0 };

/* The aligned table of `list`. */
void
out_models_text(struct record *recs, int n)
{
	struct buf	 b = { 0 };
	char		**cells;
	size_t		 width[NCOLS], w, pad;
	int		 i, j;
	const char	*dflt;

	if (n == 0) {
		printf("no models\n");
		return;
	}
	if ((cells = calloc((size_t)(n + 1) * NCOLS, sizeof(*cells))) == NULL) {
		ctl_warn("rendering the list");
		return;
	}
	for (j = 0; j < NCOLS; j++)
		cells[j] = strdup(out_heads[j]);
	for (i = 0; i < n; i++) {
		char	**row = cells + (size_t)(i + 1) * NCOLS;

		row[0] = out_cell(record_pair(&recs[i], "id"), 0);
		row[1] = out_cell(record_pair(&recs[i], "name"), NAME_WIDTH);
		row[2] = out_cell(record_pair(&recs[i], "provider"),
		    PROVIDER_WIDTH);
		row[3] = out_cell(record_pair(&recs[i], "status"), 0);
		dflt = record_get(&recs[i], "default");
		if (row[3] != NULL && dflt != NULL && strcmp(dflt, "true") == 0) {
			struct buf	 st = { 0 };

			buf_printf(&st, "%s (default)", row[3]);
			free(row[3]);
			row[3] = st.data;
		}
		row[4] = out_cell(record_pair(&recs[i], "context_length"), 0);
		row[5] = out_cell(record_pair(&recs[i], "prompt_price"), 0);
		row[6] = out_cell(record_pair(&recs[i], "completion_price"), 0);
		row[7] = out_cell(record_pair(&recs[i], "features"), 0);
	}
	for (j = 0; j < NCOLS; j++) {
		width[j] = 0;
		for (i = 0; i <= n; i++) {
			const char *c = cells[(size_t)i * NCOLS + j];

			if (c != NULL && (w = out_width(c, strlen(c), NULL, 0)) >
			    width[j])
				width[j] = w;
		}
	}
	for (i = 0; i <= n; i++) {
		for (j = 0; j < NCOLS; j++) {
			const char *c = cells[(size_t)i * NCOLS + j];

			if (c == NULL)
				c = "?";
			w = out_width(c, strlen(c), NULL, 0);
			pad = width[j] > w ? width[j] - w : 0;
			if (out_right[j])
				while (pad-- > 0)
					buf_putc(&b, ' ');
			buf_puts(&b, c);
			if (j == NCOLS - 1)
				break;
			if (!out_right[j])
				while (pad-- > 0)
					buf_putc(&b, ' ');
			buf_puts(&b, "  ");
		}
		buf_putc(&b, '\n');
	}
	for (i = 0; i < (n + 1) * NCOLS; i++)
		free(cells[i]);
	free(cells);
	out_flush(&b);
}

/*
 * key: value lines, the values aligned; null and empty values show as
 * "-". xkey, when not NULL, is an extra first line.
 */
static void
out_pairs_text(struct buf *b, const struct record *r, int indent,
    const char *xkey, const char *xval)
{
	size_t	 kw = xkey != NULL ? strlen(xkey) : 0, len;
	int	 i;

	for (i = 0; i < r->n; i++)
		if ((len = strlen(r->pairs[i].key)) > kw)
			kw = len;
	if (xkey != NULL)
		buf_printf(b, "%*s%s:%*s %s\n", indent, "", xkey,
		    (int)(kw - strlen(xkey)), "", xval);
	for (i = 0; i < r->n; i++) {
		const struct lf_pair *p = &r->pairs[i];

		buf_printf(b, "%*s%s:%*s ", indent, "", p->key,
		    (int)(kw - strlen(p->key)), "");
		if (p->isnull || p->vlen == 0)
			buf_putc(b, '-');
		else
			out_sanitize(b, p->value, p->vlen);
		buf_putc(b, '\n');
	}
}

void
out_record_text(const struct record *r, const char *xkey, const char *xval)
{
	struct buf	 b = { 0 };

	out_pairs_text(&b, r, 0, xkey, xval);
	out_flush(&b);
}

void
out_model_text(const struct record *r)
{
	out_record_text(r, NULL, NULL);
}

void
out_status_text(const struct record *recs, int n)
{
	struct buf	 b = { 0 };

	if (n > 0)
		out_pairs_text(&b, &recs[0], 0, NULL, NULL);
	if (n > 1) {
		buf_puts(&b, "seed source:\n");
		out_pairs_text(&b, &recs[1], 2, NULL, NULL);
	}
	out_flush(&b);
}

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

/* Whether s[0..len) is a number as JSON writes one, so it can be copied as is. */
static int
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

static void
out_json_strval(struct buf *b, const struct lf_pair *p)
{
	if (p == NULL || p->isnull)
		buf_puts(b, "null");
	else
		out_json_string(b, p->value, p->vlen);
}

static void
out_json_numval(struct buf *b, const struct lf_pair *p)
{
	if (p == NULL || p->isnull || !out_is_json_number(p->value, p->vlen))
		buf_puts(b, "null");
	else
		buf_append(b, p->value, p->vlen);
}

static void
out_json_boolval(struct buf *b, const struct lf_pair *p)
{
	buf_puts(b, p != NULL && !p->isnull && strcmp(p->value, "true") == 0 ?
	    "true" : "false");
}

/* A comma-separated list as an array of strings; empty elements are dropped. */
static void
out_json_listval(struct buf *b, const struct lf_pair *p)
{
	size_t	 i, start;
	int	 first = 1;

	buf_putc(b, '[');
	for (i = start = 0; p != NULL && !p->isnull && i <= p->vlen; i++) {
		if (i < p->vlen && p->value[i] != ',')
			continue;
		if (i > start) {
			if (!first)
				buf_puts(b, ", ");
			out_json_string(b, p->value + start, i - start);
			first = 0;
		}
		start = i + 1;
	}
	buf_putc(b, ']');
}

enum jtype { J_STR, J_NUM, J_BOOL, J_LIST, J_AUTO };

static const struct {
	const char	*key;
	enum jtype	 type;
} out_model_fields[] = {
	{ "id",			J_STR },
	{ "name",		J_STR },
	{ "provider",		J_STR },
	{ "status",		J_STR },
	{ "default",		J_BOOL },
	{ "context_length",	J_NUM },
	{ "prompt_price",	J_NUM },
	{ "completion_price",	J_NUM },
	{ "features",		J_LIST },
	{ "aliases",		J_LIST },
	{ "description",	J_STR },
	{ "status_source",	J_STR },
	{ "added_at",		J_STR },
	{ "status_changed_at",	J_STR },
	{ "last_seen_at",	J_STR },
};

/* Types of the keys of the other records; a key not listed is J_AUTO. */
static const struct {
	const char	*key;
	enum jtype	 type;
} out_record_types[] = {
	{ "uid", J_NUM }, { "gid", J_NUM }, { "pid", J_NUM },
	{ "models", J_NUM }, { "active", J_NUM }, { "failures", J_NUM },
	{ "items", J_NUM }, { "protocol", J_NUM }, { "added", J_NUM },
	{ "updated", J_NUM }, { "activated", J_NUM }, { "deactivated", J_NUM },
	{ "clients", J_NUM }, { "warnings", J_STR }, { "socket", J_STR },
	{ "id", J_STR }, { "name", J_STR }, { "user", J_STR }, { "role", J_STR },
	{ "version", J_STR }, { "config", J_STR }, { "state", J_STR },
	{ "format", J_STR }, { "source", J_STR }, { "message", J_STR },
	{ "last_error", J_STR }, { "previous", J_STR }, { "status", J_STR },
	{ "sqlite", J_STR }, { "libevent", J_STR }, { "curl", J_STR },
	{ "started_at", J_STR }, { "seeded_at", J_STR }, { "last_ok", J_STR },
	{ "last_attempt", J_STR }, { "next_run", J_STR }, { "default", J_STR },
	{ "pong", J_BOOL }, { "default_set", J_BOOL },
	{ "socket_activated", J_BOOL },
};

static void
out_json_value(struct buf *b, const struct lf_pair *p, enum jtype t)
{
	switch (t) {
	case J_STR:
		out_json_strval(b, p);
		break;
	case J_NUM:
		out_json_numval(b, p);
		break;
	case J_BOOL:
		out_json_boolval(b, p);
		break;
	case J_LIST:
		out_json_listval(b, p);
		break;
	case J_AUTO:
		if (p != NULL && !p->isnull && (strcmp(p->value, "true") == 0 ||
		    strcmp(p->value, "false") == 0))
			buf_puts(b, p->value);
		else
			out_json_strval(b, p);
		break;
	}
}

static void
out_model_object(struct buf *b, const struct record *r)
{
	size_t	 i;

	buf_putc(b, '{');
	for (i = 0; i < sizeof(out_model_fields) / sizeof(out_model_fields[0]);
	    i++) {
		if (i > 0)
			buf_puts(b, ", ");
		buf_printf(b, "\"%s\": ", out_model_fields[i].key);
		out_json_value(b, record_pair(r, out_model_fields[i].key),
		    out_model_fields[i].type);
	}
	buf_putc(b, '}');
}

/* Every pair of a record, typed by key; the first of a repeated key wins. */
static void
out_record_object(struct buf *b, const struct record *r,
    const struct record *nested, const char *nestkey)
{
	enum jtype	 t;
	size_t		 k;
	int		 i, j, first = 1, dup;

	buf_putc(b, '{');
	for (i = 0; i < r->n; i++) {
		const struct lf_pair *p = &r->pairs[i];

		for (dup = 0, j = 0; j < i && !dup; j++)
			dup = strcmp(r->pairs[j].key, p->key) == 0;
		if (dup || (nestkey != NULL && strcmp(p->key, nestkey) == 0))
			continue;
		t = J_AUTO;
		for (k = 0; k < sizeof(out_record_types) /
		    sizeof(out_record_types[0]); k++)
			if (strcmp(out_record_types[k].key, p->key) == 0)
				t = out_record_types[k].type;
		if (!first)
			buf_puts(b, ", ");
		first = 0;
		out_json_string(b, p->key, strlen(p->key));
		buf_puts(b, ": ");
		out_json_value(b, p, t);
	}
	if (nestkey != NULL) {
		if (!first)
			buf_puts(b, ", ");
		buf_printf(b, "\"%s\": ", nestkey);
		if (nested != NULL)
			out_record_object(b, nested, NULL, NULL);
		else
			buf_puts(b, "null");
	}
	buf_putc(b, '}');
}

void
out_models_json(struct record *recs, int n)
{
	struct buf	 b = { 0 };
	int		 i;

	if (n == 0) {
		printf("[]\n");
		return;
	}
	buf_puts(&b, "[\n");
	for (i = 0; i < n; i++) {
		buf_puts(&b, "  ");
		out_model_object(&b, &recs[i]);
		buf_puts(&b, i + 1 < n ? ",\n" : "\n");
	}
	buf_puts(&b, "]\n");
	out_flush(&b);
}

void
out_model_json(const struct record *r)
{
	struct buf	 b = { 0 };

	if (r == NULL)
		buf_puts(&b, "null");
	else
		out_model_object(&b, r);
	buf_putc(&b, '\n');
	out_flush(&b);
}

void
out_record_json(const struct record *r)
{
	struct buf	 b = { 0 };

	if (r == NULL)
		buf_puts(&b, "{}");
	else
		out_record_object(&b, r, NULL, NULL);
	buf_putc(&b, '\n');
	out_flush(&b);
}

/* STATUS: the daemon record, with the seed source's record nested as "seed". */
void
out_status_json(const struct record *recs, int n)
{
	struct buf		 b = { 0 };
	static const struct record empty;

	out_record_object(&b, n > 0 ? &recs[0] : &empty, n > 1 ? &recs[1] : NULL,
	    "seed");
	buf_putc(&b, '\n');
	out_flush(&b);
}

/* One outcome: success on stdout, failure on stderr. */
void
out_outcome_text(const struct outcome *o, const char *done)
{
	struct buf	 m = { 0 }, msg = { 0 };

	out_sanitize(&m, o->model, strlen(o->model));
	if (o->ok) {
		printf("%s: %s\n", m.data ? m.data : "", done);
		fflush(stdout);
	} else {
		if (o->message != NULL && o->message[0] != '\0')
			out_sanitize(&msg, o->message, strlen(o->message));
		else
			buf_puts(&msg, o->code[0] != '\0' ? o->code : "failed");
		fflush(stdout);
		ctl_warnx("%s: error: %s", m.data ? m.data : "",
		    msg.data ? msg.data : "");
	}
	buf_free(&m);
	buf_free(&msg);
}

void
out_outcomes_json(const struct outcome *o, int n)
{
	struct buf	 b = { 0 };
	int		 i;

	if (n == 0) {
		printf("[]\n");
		return;
	}
	buf_puts(&b, "[\n");
	for (i = 0; i < n; i++) {
		buf_puts(&b, "  {\"model\": ");
		out_json_string(&b, o[i].model, strlen(o[i].model));
		buf_printf(&b, ", \"ok\": %s, \"message\": ",
		    o[i].ok ? "true" : "false");
		if (o[i].message != NULL)
			out_json_string(&b, o[i].message, strlen(o[i].message));
		else
			buf_puts(&b, "null");
		buf_puts(&b, ", \"code\": ");
		if (o[i].code[0] != '\0')
			out_json_string(&b, o[i].code, strlen(o[i].code));
		else
			buf_puts(&b, "null");
		buf_puts(&b, i + 1 < n ? "},\n" : "}\n");
	}
	buf_puts(&b, "]\n");
	out_flush(&b);
}
