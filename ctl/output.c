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
#define NAME_WIDTH	28	/* NAME column, in terminal columns */

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

/* A column of a table: its heading, and whether numbers align right. */
struct column {
	const char	*head;
	int		 right;
};

/*
 * Print an aligned table: cells holds (nrows + 1) * ncols owned strings,
 * the headings first (NULL cells show as "?"); every cell is freed.
 */
static void
out_table(const struct column *cols, int ncols, char **cells, int nrows)
{
	struct buf	 b = { 0 };
	size_t		*width, w, pad;
	int		 i, j;

	if ((width = calloc((size_t)ncols, sizeof(*width))) == NULL) {
		ctl_warn("rendering the table");
		goto done;
	}
	for (j = 0; j < ncols; j++) {
		if (cells[j] == NULL)
			cells[j] = strdup(cols[j].head);
		for (i = 0; i <= nrows; i++) {
			const char *c = cells[(size_t)i * ncols + j];

			if (c != NULL && (w = out_width(c, strlen(c), NULL, 0)) >
			    width[j])
				width[j] = w;
		}
	}
	for (i = 0; i <= nrows; i++) {
		for (j = 0; j < ncols; j++) {
			const char *c = cells[(size_t)i * ncols + j];

			if (c == NULL)
				c = "?";
			w = out_width(c, strlen(c), NULL, 0);
			pad = width[j] > w ? width[j] - w : 0;
			if (cols[j].right)
				while (pad-- > 0)
					buf_putc(&b, ' ');
			buf_puts(&b, c);
			if (j == ncols - 1)
				break;
			if (!cols[j].right)
				while (pad-- > 0)
					buf_putc(&b, ' ');
			buf_puts(&b, "  ");
		}
		buf_putc(&b, '\n');
	}
	out_flush(&b);
done:
	for (i = 0; i < (nrows + 1) * ncols; i++)
		free(cells[i]);
	free(cells);
	free(width);
}

/* The cells of a table of n rows, headings included; NULL when out of memory. */
static char **
out_cells(int ncols, int n)
{
	char	**cells;

	if ((cells = calloc((size_t)(n + 1) * ncols, sizeof(*cells))) == NULL)
		ctl_warn("rendering the table");
	return cells;
}

static int
out_is_true(const struct record *r, const char *key)
{
	const char	*v = record_get(r, key);

	return v != NULL && strcmp(v, "true") == 0;
}

/* A number for a table, with one decimal ("99.5"), or "-" when null or not a number. */
static char *
out_cell_fixed(const struct record *r, const char *key, const char *suffix)
{
	struct buf	 b = { 0 };
	const char	*v = record_get(r, key);
	char		*end;
	double		 d;

	if (v == NULL || v[0] == '\0')
		return strdup("-");
	d = strtod(v, &end);
	if (*end != '\0' || d != d)
		return strdup("-");
	buf_printf(&b, "%.1f%s", d, suffix);
	return buf_steal(&b);
}

/* true, false and null as "yes", "no" and "-". */
static char *
out_cell_yesno(const struct record *r, const char *key)
{
	const char	*v = record_get(r, key);

	if (v == NULL)
		return strdup("-");
	if (strcmp(v, "true") == 0)
		return strdup("yes");
	if (strcmp(v, "false") == 0)
		return strdup("no");
	return out_cell(record_pair(r, key), 8);
}

/* A model's health and its last 30 minutes' uptime: "green 99.5%", "-" when unknown. */
static char *
out_cell_health(const struct record *r)
{
	struct buf	 b = { 0 };
	const struct lf_pair *h = record_pair(r, "health");
	char		*u;

	if (h == NULL || h->isnull || h->vlen == 0 ||
	    strcmp(h->value, "unknown") == 0)
		return strdup("-");
	out_sanitize(&b, h->value, h->vlen > 16 ? 16 : h->vlen);
	if (record_get(r, "uptime_30m") != NULL &&
	    (u = out_cell_fixed(r, "uptime_30m", "%")) != NULL) {
		if (strcmp(u, "-") != 0)
			buf_printf(&b, " %s", u);
		free(u);
	}
	return buf_steal(&b);
}

/* A model's status with its marks: "active (default)", "inactive (delisted)". */
static char *
out_cell_status(const struct record *r)
{
	struct buf	 b = { 0 };
	char		*st;
	int		 dflt, delisted;

	if ((st = out_cell(record_pair(r, "status"), 16)) == NULL)
		return NULL;
	buf_puts(&b, st);
	free(st);
	dflt = out_is_true(r, "default");
	delisted = out_is_true(r, "delisted");
	if (dflt || delisted)
		buf_printf(&b, " (%s%s%s)", dflt ? "default" : "",
		    dflt && delisted ? ", " : "", delisted ? "delisted" : "");
	return buf_steal(&b);
}

/* A number value of a record: 1 when it is one (*d set), 0 when null or not a number. */
static int
out_num(const struct record *r, const char *key, double *d)
{
	const char	*v = record_get(r, key);
	char		*end;

	if (v == NULL || v[0] == '\0')
		return 0;
	*d = strtod(v, &end);
	return *end == '\0' && *d == *d;
}

/*
 * The other prices (a JSON object of name: number) that are not zero:
 * how many, and the first one's name into name. The daemon writes the
 * object compactly; anything it cannot read counts as none.
 */
static int
out_other_prices(const struct record *r, char *name, size_t namelen)
{
	const char	*p = record_get(r, "prices"), *q;
	char		*end;
	double		 d;
	size_t		 n;
	int		 count = 0;

	name[0] = '\0';
	if (p == NULL || *p != '{')
		return 0;
	for (p++; *p == '"'; p++) {
		if ((q = strchr(p + 1, '"')) == NULL || q[1] != ':')
			return count;
		n = (size_t)(q - p - 1);
		d = strtod(q + 2, &end);
		if (end == q + 2)
			return count;
		if (d > 0) {
			if (count++ == 0 && n < namelen) {
				memcpy(name, p + 1, n);
				name[n] = '\0';
			}
		}
		p = end;
		if (*p != ',')
			break;
	}
	return count;
}

/*
 * A token price cell. A model whose prompt and completion prices are
 * zero (or unknown) but that has another price (per request, per
 * image...) is not free: its completion cell says so, "0 +request".
 */
static char *
out_cell_price(const struct record *r, const char *key, int mark)
{
	struct buf	 b = { 0 };
	char		 name[72], *c;
	double		 pp = 0, cp = 0;
	int		 n;

	if ((c = out_cell(record_pair(r, key), 0)) == NULL || !mark)
		return c;
	if ((out_num(r, "prompt_price", &pp) && pp > 0) ||
	    (out_num(r, "completion_price", &cp) && cp > 0) ||
	    (n = out_other_prices(r, name, sizeof(name))) == 0)
		return c;
	buf_puts(&b, c);
	free(c);
	buf_puts(&b, " +");
	out_sanitize(&b, name, strlen(name));
	if (n > 1)
		buf_puts(&b, "...");
	return buf_steal(&b);
}

static const struct column out_model_cols[] = {
	{ "ID", 0 }, { "NAME", 0 }, { "KIND", 0 }, { "STATUS", 0 },
	{ "HEALTH", 0 }, { "ZDR", 0 }, { "CONTEXT", 1 }, { "PROMPT $/1M", 1 },
	{ "COMPL $/1M", 1 }, { "FEATURES", 0 },
};
#define MODEL_NCOLS	(int)(sizeof(out_model_cols) / sizeof(out_model_cols[0]))

/* The aligned table of `list`. */
void
out_models_text(struct record *recs, int n)
{
	char	**cells;
	int	 i;

	if (n == 0) {
		printf("no models\n");
		return;
	}
	if ((cells = out_cells(MODEL_NCOLS, n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		const struct record	*r = &recs[i];
		char			**row;

		row = cells + (size_t)(i + 1) * MODEL_NCOLS;
		row[0] = out_cell(record_pair(r, "id"), 0);
		row[1] = out_cell(record_pair(r, "name"), NAME_WIDTH);
		row[2] = out_cell(record_pair(r, "kind"), 16);
		row[3] = out_cell_status(r);
		row[4] = out_cell_health(r);
		row[5] = out_cell_yesno(r, "zdr");
		row[6] = out_cell(record_pair(r, "context_length"), 0);
		row[7] = out_cell_price(r, "prompt_price", 0);
		row[8] = out_cell_price(r, "completion_price", 1);
		row[9] = out_cell(record_pair(r, "features"), 0);
	}
	out_table(out_model_cols, MODEL_NCOLS, cells, n);
}

/*
 * The columns of `list`, in its order: SYNCED stands where list has
 * STATUS (the catalog has no status and no health).
 */
static const struct column out_catalog_cols[] = {
	{ "ID", 0 }, { "NAME", 0 }, { "KIND", 0 }, { "SYNCED", 0 },
	{ "ZDR", 0 }, { "CONTEXT", 1 }, { "PROMPT $/1M", 1 },
	{ "COMPL $/1M", 1 }, { "FEATURES", 0 },
};
#define CATALOG_NCOLS	(int)(sizeof(out_catalog_cols) / sizeof(out_catalog_cols[0]))

/* The aligned table of `catalog`. */
void
out_catalog_text(struct record *recs, int n)
{
	char	**cells;
	int	 i;

	if (n == 0) {
		printf("no catalog models\n");
		return;
	}
	if ((cells = out_cells(CATALOG_NCOLS, n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		const struct record	*r = &recs[i];
		char			**row;

		row = cells + (size_t)(i + 1) * CATALOG_NCOLS;
		row[0] = out_cell(record_pair(r, "id"), 0);
		row[1] = out_cell(record_pair(r, "name"), NAME_WIDTH);
		row[2] = out_cell(record_pair(r, "kind"), 16);
		row[3] = out_cell_yesno(r, "synced");
		row[4] = out_cell_yesno(r, "zdr");
		row[5] = out_cell(record_pair(r, "context_length"), 0);
		row[6] = out_cell_price(r, "prompt_price", 0);
		row[7] = out_cell_price(r, "completion_price", 1);
		row[8] = out_cell(record_pair(r, "features"), 0);
	}
	out_table(out_catalog_cols, CATALOG_NCOLS, cells, n);
}

static const struct column out_uptime_cols[] = {
	{ "ID", 0 }, { "HEALTH", 0 }, { "UPTIME(30m)", 1 }, { "GREEN%", 1 },
	{ "MEAN%", 1 }, { "INCIDENTS", 1 }, { "SAMPLES", 1 },
};
#define UPTIME_NCOLS	(int)(sizeof(out_uptime_cols) / sizeof(out_uptime_cols[0]))

/* The aligned table of `uptime`. */
void
out_uptime_text(struct record *recs, int n)
{
	char	**cells;
	int	 i;

	if (n == 0) {
		printf("no models\n");
		return;
	}
	if ((cells = out_cells(UPTIME_NCOLS, n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		const struct record	*r = &recs[i];
		char			**row;

		row = cells + (size_t)(i + 1) * UPTIME_NCOLS;
		row[0] = out_cell(record_pair(r, "id"), 0);
		row[1] = out_cell(record_pair(r, "health"), 16);
		row[2] = out_cell_fixed(r, "uptime_30m", "");
		row[3] = out_cell_fixed(r, "green_share", "");
		row[4] = out_cell_fixed(r, "mean_uptime", "");
		row[5] = out_cell(record_pair(r, "incidents"), 12);
		row[6] = out_cell(record_pair(r, "samples"), 12);
	}
	out_table(out_uptime_cols, UPTIME_NCOLS, cells, n);
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

/* The record whose key (source or alert) is not null; "" for any value. */
static int
out_is_kind(const struct record *r, const char *key, const char *value)
{
	const char	*v = record_get(r, key);

	return v != NULL && (value[0] == '\0' || strcmp(v, value) == 0);
}

/*
 * The daemon record, then a section per source (seed first, as before)
 * and per alert channel, each its key: value lines indented.
 */
void
out_status_text(const struct record *recs, int n)
{
	struct buf	 b = { 0 }, name = { 0 };
	const char	*v;
	int		 i, pass;

	if (n > 0)
		out_pairs_text(&b, &recs[0], 0, NULL, NULL);
	for (pass = 0; pass < 3; pass++) {
		for (i = 1; i < n; i++) {
			const struct record *r = &recs[i];

			if (pass == 0 && out_is_kind(r, "source", "seed"))
				buf_puts(&b, "seed source:\n");
			else if (pass == 1 && out_is_kind(r, "source", "") &&
			    !out_is_kind(r, "source", "seed")) {
				v = record_get(r, "source");
				buf_reset(&name);
				out_sanitize(&name, v, strlen(v));
				buf_printf(&b, "%s source:\n", name.data);
			} else if (pass == 2 && out_is_kind(r, "alert", "")) {
				v = record_get(r, "alert");
				buf_reset(&name);
				out_sanitize(&name, v, strlen(v));
				buf_printf(&b, "%s alerts:\n", name.data);
			} else if (pass == 2 && !out_is_kind(r, "source", "") &&
			    !out_is_kind(r, "alert", ""))
				buf_puts(&b, "other:\n");	/* a newer daemon's */
			else
				continue;
			out_pairs_text(&b, r, 2, NULL, NULL);
		}
	}
	buf_free(&name);
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

/*
 * J_TRI: true, false or null. J_JSON: a JSON text embedded as it is when
 * valid, else as a string.
 */
enum jtype { J_STR, J_NUM, J_BOOL, J_LIST, J_AUTO, J_TRI, J_JSON, J_PRICES };

struct jfield {
	const char	*key;
	enum jtype	 type;
};

static const struct jfield out_model_fields[] = {
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
	{ "status_reason",	J_STR },
	{ "added_at",		J_STR },
	{ "status_changed_at",	J_STR },
	{ "last_seen_at",	J_STR },
	{ "canonical_slug",	J_STR },
	{ "zdr",		J_TRI },
	{ "delisted",		J_BOOL },
	{ "health",		J_STR },
	{ "uptime_30m",		J_NUM },
	{ "kind",		J_STR },
	{ "prices",		J_PRICES },
	{ "expires_at",		J_STR },
};

static const struct jfield out_catalog_fields[] = {
	{ "id",			J_STR },
	{ "name",		J_STR },
	{ "provider",		J_STR },
	{ "canonical_slug",	J_STR },
	{ "context_length",	J_NUM },
	{ "prompt_price",	J_NUM },
	{ "completion_price",	J_NUM },
	{ "features",		J_LIST },
	{ "aliases",		J_LIST },
	{ "zdr",		J_TRI },
	{ "synced",		J_BOOL },
	{ "first_seen",		J_STR },
	{ "last_seen",		J_STR },
	{ "description",	J_STR },
	{ "kind",		J_STR },
	{ "prices",		J_PRICES },
	{ "expires_at",		J_STR },
};

static const struct jfield out_uptime_fields[] = {
	{ "id",			J_STR },
	{ "window",		J_STR },
	{ "samples",		J_NUM },
	{ "green_share",	J_NUM },
	{ "mean_uptime",	J_NUM },
	{ "incidents",		J_NUM },
	{ "health",		J_STR },
	{ "uptime_30m",		J_NUM },
	{ "last_sample_at",	J_STR },
};

static const struct jfield out_event_fields[] = {
	{ "id",			J_NUM },
	{ "at",			J_STR },
	{ "kind",		J_STR },
	{ "model",		J_STR },
	{ "message",		J_STR },
	{ "details",		J_JSON },
};

static const struct jfield out_audit_fields[] = {
	{ "at",			J_STR },
	{ "actor",		J_STR },
	{ "uid",		J_NUM },
	{ "action",		J_STR },
	{ "model",		J_STR },
	{ "field",		J_STR },
	{ "old",		J_STR },
	{ "new",		J_STR },
};

static const struct jfield out_refresh_fields[] = {
	{ "source",		J_STR },
	{ "outcome",		J_STR },
	{ "message",		J_STR },
};

#define NFIELDS(a)	(sizeof(a) / sizeof((a)[0]))

/* Types of the keys of the other records; a key not listed is J_AUTO. */
static const struct {
	const char	*key;
	enum jtype	 type;
} out_record_types[] = {
	{ "delivered", J_NUM }, { "failed", J_NUM }, { "pending", J_NUM },
	{ "held", J_STR }, { "outcome", J_STR }, { "alert", J_STR },
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
	case J_TRI:
		if (p == NULL || p->isnull)
			buf_puts(b, "null");
		else
			out_json_boolval(b, p);
		break;
	case J_JSON:
		if (p == NULL || p->isnull || !out_json_copy(b, p->value, p->vlen))
			out_json_strval(b, p);
		break;
	case J_PRICES:
		/* Always an object: {} when absent or not one (an older daemon). */
		if (p == NULL || p->isnull || p->vlen == 0 ||
		    p->value[0] != '{' || !out_json_copy(b, p->value, p->vlen))
			buf_puts(b, "{}");
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

/* An object of the fields listed, in their order; a missing key is null. */
static void
out_fields_object(struct buf *b, const struct record *r,
    const struct jfield *fields, size_t nfields)
{
	size_t	 i;

	buf_putc(b, '{');
	for (i = 0; i < nfields; i++) {
		if (i > 0)
			buf_puts(b, ", ");
		buf_printf(b, "\"%s\": ", fields[i].key);
		out_json_value(b, record_pair(r, fields[i].key), fields[i].type);
	}
	buf_putc(b, '}');
}

static void
out_model_object(struct buf *b, const struct record *r)
{
	out_fields_object(b, r, out_model_fields, NFIELDS(out_model_fields));
}

/* An array of objects, one per record, one per line. */
static void
out_fields_array(const struct record *recs, int n, const struct jfield *fields,
    size_t nfields)
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
		out_fields_object(&b, &recs[i], fields, nfields);
		buf_puts(&b, i + 1 < n ? ",\n" : "\n");
	}
	buf_puts(&b, "]\n");
	out_flush(&b);
}

/* Every pair of a record but skip, typed by key; the first of a repeated key wins. */
static void
out_record_object(struct buf *b, const struct record *r, const char *skip)
{
	enum jtype	 t;
	size_t		 k;
	int		 i, j, first = 1, dup;

	buf_putc(b, '{');
	for (i = 0; i < r->n; i++) {
		const struct lf_pair *p = &r->pairs[i];

		for (dup = 0, j = 0; j < i && !dup; j++)
			dup = strcmp(r->pairs[j].key, p->key) == 0;
		if (dup || (skip != NULL && strcmp(p->key, skip) == 0))
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
	buf_putc(b, '}');
}

void
out_models_json(struct record *recs, int n)
{
	out_fields_array(recs, n, out_model_fields, NFIELDS(out_model_fields));
}

void
out_catalog_json(struct record *recs, int n)
{
	out_fields_array(recs, n, out_catalog_fields, NFIELDS(out_catalog_fields));
}

void
out_uptime_json(struct record *recs, int n)
{
	out_fields_array(recs, n, out_uptime_fields, NFIELDS(out_uptime_fields));
}

void
out_events_json(const struct record *recs, int n)
{
	out_fields_array(recs, n, out_event_fields, NFIELDS(out_event_fields));
}

void
out_audit_json(const struct record *recs, int n)
{
	out_fields_array(recs, n, out_audit_fields, NFIELDS(out_audit_fields));
}

void
out_refresh_json(const struct record *recs, int n)
{
	out_fields_array(recs, n, out_refresh_fields, NFIELDS(out_refresh_fields));
}

/* One event as one line of JSON (JSON Lines), flushed: a stream's reader waits for it. */
void
out_event_json(const struct record *r)
{
	struct buf	 b = { 0 };

	out_fields_object(&b, r, out_event_fields, NFIELDS(out_event_fields));
	buf_putc(&b, '\n');
	out_flush(&b);
	fflush(stdout);
}

/* "2026-11-21T12:00:00Z model.down openai/gpt-4o: message", sanitized. */
static void
out_event_line(struct buf *b, const struct record *r)
{
	const struct lf_pair	*p;

	p = record_pair(r, "at");
	if (p != NULL && !p->isnull)
		out_sanitize(b, p->value, p->vlen);
	else
		buf_putc(b, '-');
	buf_putc(b, ' ');
	p = record_pair(r, "kind");
	if (p != NULL && !p->isnull && p->vlen > 0)
		out_sanitize(b, p->value, p->vlen);
	else
		buf_putc(b, '-');
	p = record_pair(r, "model");
	if (p != NULL && !p->isnull && p->vlen > 0) {
		buf_putc(b, ' ');
		out_sanitize(b, p->value, p->vlen);
	}
	buf_puts(b, ": ");
	p = record_pair(r, "message");
	if (p != NULL && !p->isnull)
		out_sanitize(b, p->value, p->vlen);
	buf_putc(b, '\n');
}

void
out_events_text(const struct record *recs, int n)
{
	struct buf	 b = { 0 };
	int		 i;

	if (n == 0) {
		printf("no events\n");
		return;
	}
	for (i = 0; i < n; i++)
		out_event_line(&b, &recs[i]);
	out_flush(&b);
}

void
out_event_text(const struct record *r)
{
	struct buf	 b = { 0 };

	out_event_line(&b, r);
	out_flush(&b);
	fflush(stdout);
}

/* "catalog: ok: 2314 models" per source on stdout, in the daemon's order. */
void
out_refresh_text(const struct record *recs, int n)
{
	struct buf	 b = { 0 }, src = { 0 }, oc = { 0 };
	const struct lf_pair *p;
	int		 i;

	for (i = 0; i < n; i++) {
		buf_reset(&src);
		buf_reset(&oc);
		p = record_pair(&recs[i], "source");
		if (p != NULL && !p->isnull && p->vlen > 0)
			out_sanitize(&src, p->value, p->vlen);
		else
			buf_puts(&src, "?");
		p = record_pair(&recs[i], "outcome");
		if (p != NULL && !p->isnull && p->vlen > 0)
			out_sanitize(&oc, p->value, p->vlen);
		else
			buf_puts(&oc, "?");
		buf_printf(&b, "%s: %s", src.data, oc.data);
		p = record_pair(&recs[i], "message");
		if (p != NULL && !p->isnull && p->vlen > 0) {
			buf_puts(&b, ": ");
			out_sanitize(&b, p->value, p->vlen);
		}
		buf_putc(&b, '\n');
	}
	out_flush(&b);
	buf_free(&src);
	buf_free(&oc);
}

/*
 * On stderr, for text and JSON alike: a line per held or failed source,
 * so that a script watching only errors sees it, and how to apply a held
 * response.
 */
void
out_refresh_notes(const struct record *recs, int n)
{
	struct buf	 src = { 0 };
	int		 i;

	for (i = 0; i < n; i++) {
		const char *o = record_get(&recs[i], "outcome");
		const char *sname = record_get(&recs[i], "source");

		buf_reset(&src);
		if (sname == NULL)
			sname = "?";
		out_sanitize(&src, sname, strlen(sname));
		if (o != NULL && strcmp(o, "held") == 0)
			ctl_warnx("%s: held: the response was not applied; 'modelregctl "
			    "refresh %s --force' applies it", src.data, src.data);
		else if (o != NULL && strcmp(o, "failed") == 0)
			ctl_warnx("%s: refresh failed", src.data);
		else if (o == NULL || (strcmp(o, "ok") != 0 &&
		    strcmp(o, "started") != 0))
			ctl_warnx("%s: refresh ended with an unknown outcome",
			    src.data);
	}
	buf_free(&src);
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
		out_record_object(&b, r, NULL);
	buf_putc(&b, '\n');
	out_flush(&b);
}

/*
 * ', "group": {"name": {...}, ...}': the records (past the daemon's) whose
 * key is set, each named by it; the seed source stays out (it has "seed").
 */
static void
out_status_group(struct buf *b, const struct record *recs, int n,
    const char *group, const char *key)
{
	const char	*v;
	int		 i, j, first = 1, dup;

	buf_printf(b, ", \"%s\": {", group);
	for (i = 1; i < n; i++) {
		const struct record *r = &recs[i];

		if ((v = record_get(r, key)) == NULL ||
		    (strcmp(key, "source") == 0 && strcmp(v, "seed") == 0))
			continue;
		/* A name twice would make a JSON object with a repeated key. */
		for (dup = 0, j = 1; j < i && !dup; j++)
			dup = out_is_kind(&recs[j], key, v);
		if (dup)
			continue;
		if (!first)
			buf_puts(b, ", ");
		first = 0;
		out_json_string(b, v, strlen(v));
		buf_puts(b, ": ");
		out_record_object(b, r, key);
	}
	buf_putc(b, '}');
}

/*
 * STATUS: the daemon record, with the seed source's record nested as
 * "seed" (null without one), the periodic sources' as "sources":
 * {"catalog": {...}, ...} and the alert channels' as "alerts":
 * {"exec": {...}, ...}.
 */
void
out_status_json(const struct record *recs, int n)
{
	struct buf		 b = { 0 };
	static const struct record empty;
	const struct record	*seed = NULL;
	int			 i;

	for (i = 1; i < n && seed == NULL; i++)
		if (out_is_kind(&recs[i], "source", "seed"))
			seed = &recs[i];
	out_record_object(&b, n > 0 ? &recs[0] : &empty, "seed");
	/* Reopen the object to add the nested ones. */
	b.len--;
	buf_puts(&b, b.len > 1 ? ", \"seed\": " : "\"seed\": ");
	if (seed != NULL)
		out_record_object(&b, seed, NULL);
	else
		buf_puts(&b, "null");
	out_status_group(&b, recs, n, "sources", "source");
	out_status_group(&b, recs, n, "alerts", "alert");
	buf_puts(&b, "}\n");
	out_flush(&b);
}

/* One outcome: success on stdout, failure on stderr. */
void
out_outcome_text(const struct outcome *o, const char *done)
{
	struct buf	 m = { 0 }, msg = { 0 };

	out_sanitize(&m, o->model, strlen(o->model));
	if (o->ok && o->status != NULL && strcmp(done, "synced") == 0) {
		out_sanitize(&msg, o->status, strlen(o->status));
		printf("%s: %s (%s)\n", m.data ? m.data : "", done,
		    msg.data ? msg.data : "");
		fflush(stdout);
	} else if (o->ok) {
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
		buf_puts(&b, ", \"status\": ");
		if (o[i].status != NULL)
			out_json_string(&b, o[i].status, strlen(o[i].status));
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

static const struct column out_audit_cols[] = {
	{ "AT", 0 }, { "ACTOR", 0 }, { "UID", 1 }, { "ACTION", 0 },
	{ "MODEL", 0 }, { "FIELD", 0 }, { "OLD", 0 }, { "NEW", 0 },
};
#define AUDIT_NCOLS	(int)(sizeof(out_audit_cols) / sizeof(out_audit_cols[0]))
#define AUDIT_VALUE_WIDTH	40	/* a deleted model's old value is its whole row */

/* The aligned table of `audit`, oldest first as the daemon sends it. */
void
out_audit_text(const struct record *recs, int n)
{
	static const char *const keys[] = { "at", "actor", "uid", "action",
	    "model", "field", "old", "new" };
	char	**cells;
	int	 i, j;

	if (n == 0) {
		printf("no audit entries\n");
		return;
	}
	if ((cells = out_cells(AUDIT_NCOLS, n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		for (j = 0; j < AUDIT_NCOLS; j++)
			cells[(size_t)(i + 1) * AUDIT_NCOLS + j] = out_cell(
			    record_pair(&recs[i], keys[j]), j >= 6 ?
			    AUDIT_VALUE_WIDTH : 0);
	out_table(out_audit_cols, AUDIT_NCOLS, cells, n);
}
