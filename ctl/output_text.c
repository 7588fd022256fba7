/* output_text.c: modelregctl's text renderers: records as aligned tables and key: value lines for people. */
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

#define NAME_WIDTH	28	/* NAME column, in terminal columns */

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

/*
 * Issue 9: when a listed model has an organisation label, a LABEL column
 * follows ID (the catalog's NAME stays beside it, whole as before); a
 * list without labels prints the table it always printed.
 */
static const struct column out_model_label_cols[] = {
	{ "ID", 0 }, { "LABEL", 0 }, { "NAME", 0 }, { "KIND", 0 },
	{ "STATUS", 0 }, { "HEALTH", 0 }, { "ZDR", 0 }, { "CONTEXT", 1 },
	{ "PROMPT $/1M", 1 }, { "COMPL $/1M", 1 }, { "FEATURES", 0 },
};
#define LABEL_WIDTH	28	/* LABEL column: a label is at most 64 bytes */

/* The aligned table of `list`. */
void
out_models_text(struct record *recs, int n)
{
	char	**cells;
	int	 i, c, labels = 0, ncols = MODEL_NCOLS;

	if (n == 0) {
		printf("no models\n");
		return;
	}
	for (i = 0; i < n && !labels; i++)
		labels = record_get(&recs[i], "label") != NULL &&
		    record_get(&recs[i], "label")[0] != '\0';
	if (labels)
		ncols++;
	if ((cells = out_cells(ncols, n)) == NULL)
		return;
	for (i = 0; i < n; i++) {
		const struct record	*r = &recs[i];
		char			**row;

		row = cells + (size_t)(i + 1) * ncols;
		c = 0;
		row[c++] = out_cell(record_pair(r, "id"), 0);
		if (labels)
			row[c++] = out_cell(record_pair(r, "label"), LABEL_WIDTH);
		row[c++] = out_cell(record_pair(r, "name"), NAME_WIDTH);
		row[c++] = out_cell(record_pair(r, "kind"), 16);
		row[c++] = out_cell_status(r);
		row[c++] = out_cell_health(r);
		row[c++] = out_cell_yesno(r, "zdr");
		row[c++] = out_cell(record_pair(r, "context_length"), 0);
		row[c++] = out_cell_price(r, "prompt_price", 0);
		row[c++] = out_cell_price(r, "completion_price", 1);
		row[c++] = out_cell(record_pair(r, "features"), 0);
	}
	out_table(labels ? out_model_label_cols : out_model_cols, ncols, cells,
	    n);
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
 * "-". xkey, when not NULL, is an extra first line. A model's record
 * (model set) shows its other prices as words, not as JSON.
 */
static void
out_pairs_text(struct buf *b, const struct record *r, int indent,
    const char *xkey, const char *xval, int model)
{
	int	 rc;
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
		else if (model && strcmp(p->key, "prices") == 0 &&
		    (rc = out_prices_text(b, p->value, p->vlen)) != -1) {
			if (rc == 0)
				buf_putc(b, '-');
		} else
			out_sanitize(b, p->value, p->vlen);
		buf_putc(b, '\n');
	}
}

void
out_record_text(const struct record *r, const char *xkey, const char *xval)
{
	struct buf	 b = { 0 };

	out_pairs_text(&b, r, 0, xkey, xval, 0);
	out_flush(&b);
}

void
out_model_text(const struct record *r)
{
	struct buf	 b = { 0 };

	out_pairs_text(&b, r, 0, NULL, NULL, 1);
	out_flush(&b);
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
		out_pairs_text(&b, &recs[0], 0, NULL, NULL, 0);
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
			out_pairs_text(&b, r, 2, NULL, NULL, 0);
		}
	}
	buf_free(&name);
	out_flush(&b);
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

/* Issue 9: `key list`, one row a key; MODELS is all, or the list (gone ones after). */
static const struct column out_key_cols[] = {
	{ "NAME", 0 }, { "STATUS", 0 }, { "MODELS", 0 }, { "GONE", 0 },
	{ "EXPIRES", 0 }, { "LAST USED", 0 }, { "NOTE", 0 },
};
#define KEY_NCOLS	(int)(sizeof(out_key_cols) / sizeof(out_key_cols[0]))
#define KEY_LIST_WIDTH	40

void
out_keys_text(const struct record *recs, int n)
{
	static const char *const keys[] = { "name", "status", "models", "gone",
	    "expires_at", "last_used_at", "note" };
	const char	*all;
	char		**cells;
	int		 i, j;

	if (n == 0) {
		printf("no keys\n");
		return;
	}
	if ((cells = out_cells(KEY_NCOLS, n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		for (j = 0; j < KEY_NCOLS; j++) {
			all = record_get(&recs[i], "all");
			if (j == 2 && all != NULL && strcmp(all, "true") == 0)
				cells[(size_t)(i + 1) * KEY_NCOLS + j] =
				    strdup("(all)");
			else
				cells[(size_t)(i + 1) * KEY_NCOLS + j] = out_cell(
				    record_pair(&recs[i], keys[j]), j == 2 ||
				    j == 3 || j == 6 ? KEY_LIST_WIDTH : 0);
		}
	out_table(out_key_cols, KEY_NCOLS, cells, n);
}

/* Issue 10: `cap list`, one row a cap: the model or key:NAME, and what is left. */
static const struct column out_cap_cols[] = {
	{ "TARGET", 0 }, { "AMOUNT", 1 }, { "PERIOD", 0 }, { "SPENT", 1 },
	{ "REMAINING", 1 }, { "WARN", 1 }, { "PERIOD END", 0 }, { "STATE", 0 },
};
#define CAP_NCOLS	(int)(sizeof(out_cap_cols) / sizeof(out_cap_cols[0]))

void
out_caps_text(const struct record *recs, int n)
{
	static const char *const keys[] = { NULL, "amount", "period", "spent",
	    "remaining", "warn", "period_end", NULL };
	const char	*v, *state;
	char		**cells, t[300];
	int		 i, j;

	if (n == 0) {
		printf("no caps\n");
		return;
	}
	if ((cells = out_cells(CAP_NCOLS, n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		for (j = 0; j < CAP_NCOLS; j++) {
			char **cell = &cells[(size_t)(i + 1) * CAP_NCOLS + j];

			if (keys[j] != NULL) {
				*cell = out_cell(record_pair(&recs[i], keys[j]), 0);
				continue;
			}
			if (j == 0) {
				struct buf b = { 0 };

				/* Names are sanitized as every cell is. */
				if ((v = record_get(&recs[i], "key")) != NULL) {
					buf_puts(&b, "key:");
					out_sanitize(&b, v, strlen(v));
				} else if ((v = record_get(&recs[i], "model")) !=
				    NULL)
					out_sanitize(&b, v, strlen(v));
				*cell = strdup(b.data != NULL ? b.data : "-");
				buf_free(&b);
				continue;
			} else {
				state = "ok";
				if ((v = record_get(&recs[i], "exceeded")) != NULL &&
				    strcmp(v, "true") == 0)
					state = "exceeded";
				else if ((v = record_get(&recs[i], "warned")) !=
				    NULL && strcmp(v, "true") == 0)
					state = "warned";
				snprintf(t, sizeof(t), "%s", state);
			}
			*cell = strdup(t);
		}
	out_table(out_cap_cols, CAP_NCOLS, cells, n);
}

/* Issue 10: `usage`, one row per model, key or day, most used first. */
static const struct column out_usage_cols[] = {
	{ "MODEL", 0 }, { "REQUESTS", 1 }, { "PROMPT TOKENS", 1 },
	{ "COMPLETION TOKENS", 1 }, { "COST USD", 1 },
};
#define USAGE_NCOLS	(int)(sizeof(out_usage_cols) / sizeof(out_usage_cols[0]))

void
out_usage_text(const struct record *recs, int n, const char *by)
{
	static const char *const keys[] = { NULL, "requests", "prompt_tokens",
	    "completion_tokens", "cost_usd" };
	char	**cells;
	int	 i, j;

	if (n == 0) {
		printf("no usage\n");
		return;
	}
	if ((cells = out_cells(USAGE_NCOLS, n)) == NULL)
		return;
	cells[0] = strdup(strcmp(by, "key") == 0 ? "KEY" :
	    strcmp(by, "day") == 0 ? "DAY" : "MODEL");
	for (i = 0; i < n; i++)
		for (j = 0; j < USAGE_NCOLS; j++)
			cells[(size_t)(i + 1) * USAGE_NCOLS + j] = out_cell(
			    record_pair(&recs[i], j == 0 ? by : keys[j]), 0);
	out_table(out_usage_cols, USAGE_NCOLS, cells, n);
}

static const struct column out_unused_cols[] = {
	{ "MODEL", 0 }, { "ADDED", 0 }, { "LAST USED", 0 },
};
#define UNUSED_NCOLS	(int)(sizeof(out_unused_cols) / sizeof(out_unused_cols[0]))

void
out_unused_text(const struct record *recs, int n)
{
	static const char *const keys[] = { "model", "added_at", "last_used_at" };
	char	**cells;
	int	 i, j;

	if (n == 0) {
		printf("no unused models\n");
		return;
	}
	if ((cells = out_cells(UNUSED_NCOLS, n)) == NULL)
		return;
	for (i = 0; i < n; i++)
		for (j = 0; j < UNUSED_NCOLS; j++)
			cells[(size_t)(i + 1) * UNUSED_NCOLS + j] = out_cell(
			    record_pair(&recs[i], keys[j]), 0);
	out_table(out_unused_cols, UNUSED_NCOLS, cells, n);
}
