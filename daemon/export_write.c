/* export_write.c: an export document as its canonical text (doc/export.md): fixed member order, one item a line, so two exports of one registry are the same bytes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "export.h"

const char *
export_status_name(int active)
{
	return active ? "active" : "inactive";
}

/* NULL as null, else a JSON string. */
static int
w_str(struct buf *b, const char *s)
{
	if (s == NULL)
		return buf_puts(b, "null");
	return buf_json_str(b, s);
}

/*
 * The shortest of %.15g, %.16g, %.17g that reads back as v, so 0.7 is
 * written 0.7 and every double still survives a round trip. Whole
 * numbers are written without a fraction or exponent while they fit.
 */
static int
w_num(struct buf *b, double v)
{
	char	 t[40];
	int	 p;

	if (!isfinite(v))
		return buf_puts(b, "null");
	if (v == 0)
		return buf_puts(b, "0");
	if (fabs(v) < 1e15 && v == (double)(long long)v)
		return buf_printf(b, "%lld", (long long)v);
	for (p = 15; p <= 17; p++) {
		snprintf(t, sizeof(t), "%.*g", p, v);
		if (strtod(t, NULL) == v)
			break;
	}
	return buf_puts(b, t);
}

static int
w_list(struct buf *b, char *const *items, int n)
{
	int	 i;

	if (buf_putc(b, '[') == -1)
		return -1;
	for (i = 0; i < n; i++)
		if ((i > 0 && buf_puts(b, ", ") == -1) ||
		    buf_json_str(b, items[i]) == -1)
			return -1;
	return buf_putc(b, ']');
}

int
export_model_json(struct buf *b, const struct export_model *m)
{
	int	 i, first = 1;

	if (buf_puts(b, "{\"id\": ") == -1 || buf_json_str(b, m->id) == -1 ||
	    buf_printf(b, ", \"status\": \"%s\", \"source\": ",
	    export_status_name(m->active)) == -1 ||
	    buf_json_str(b, m->source) == -1 ||
	    buf_puts(b, ", \"reason\": ") == -1 || w_str(b, m->reason) == -1 ||
	    buf_puts(b, ", \"label\": ") == -1 || w_str(b, m->label) == -1 ||
	    buf_puts(b, ", \"params\": {") == -1)
		return -1;
	for (i = 0; i < SP_COUNT; i++) {
		if (!(m->params_set & (1u << i)))
			continue;
		if (buf_printf(b, "%s\"%s\": ", first ? "" : ", ",
		    settings_param_name(i)) == -1 || w_num(b, m->params[i]) == -1)
			return -1;
		first = 0;
	}
	if (buf_puts(b, "}, \"enforce\": [") == -1)
		return -1;
	first = 1;
	for (i = 0; i < SP_COUNT; i++) {
		if (!(m->enforced & (1u << i)))
			continue;
		if (buf_printf(b, "%s\"%s\"", first ? "" : ", ",
		    settings_param_name(i)) == -1)
			return -1;
		first = 0;
	}
	if (buf_puts(b, "], \"aliases\": ") == -1 ||
	    w_list(b, m->aliases, m->naliases) == -1 ||
	    buf_puts(b, ", \"tags\": ") == -1 ||
	    w_list(b, m->tags, m->ntags) == -1)
		return -1;
	return buf_putc(b, '}');
}

static int
w_collection(struct buf *b, const struct export_collection *c)
{
	return buf_puts(b, "{\"name\": ") == -1 ||
	    buf_json_str(b, c->name) == -1 ||
	    buf_puts(b, ", \"models\": ") == -1 ||
	    w_list(b, c->models, c->nmodels) == -1 ||
	    buf_putc(b, '}') == -1 ? -1 : 0;
}

static int
w_cap(struct buf *b, const struct export_cap *c)
{
	return buf_puts(b, "{\"model\": ") == -1 || w_str(b, c->model) == -1 ||
	    buf_puts(b, ", \"key\": ") == -1 || w_str(b, c->key) == -1 ||
	    buf_puts(b, ", \"amount\": ") == -1 || w_num(b, c->amount) == -1 ||
	    buf_puts(b, ", \"period\": ") == -1 ||
	    buf_json_str(b, c->period) == -1 ||
	    buf_printf(b, ", \"window\": %lld, \"warn\": %d}",
	    (long long)c->window, c->warn) == -1 ? -1 : 0;
}

static int
w_key(struct buf *b, const struct export_key *k)
{
	char		 t[32];
	struct tm	 tm;
	time_t		 tt = (time_t)k->expires;

	if (buf_puts(b, "{\"name\": ") == -1 || buf_json_str(b, k->name) == -1 ||
	    buf_printf(b, ", \"all\": %s, \"collection\": ",
	    k->all ? "true" : "false") == -1 ||
	    w_str(b, k->collection) == -1 ||
	    buf_puts(b, ", \"models\": ") == -1 ||
	    w_list(b, k->models, k->nmodels) == -1 ||
	    buf_puts(b, ", \"expires\": ") == -1)
		return -1;
	if (k->expires == 0) {
		if (buf_puts(b, "null") == -1)
			return -1;
	} else {
		if (gmtime_r(&tt, &tm) == NULL ||
		    strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			return -1;
		if (buf_printf(b, "\"%s\"", t) == -1)
			return -1;
	}
	return buf_puts(b, ", \"note\": ") == -1 ||
	    buf_json_str(b, k->note != NULL ? k->note : "") == -1 ||
	    buf_putc(b, '}') == -1 ? -1 : 0;
}

/* A list member "NAME": [ items a line ], with the separator after it unless last. */
#define W_SECTION(b, name, arr, n, fn, last) do {			\
	int _i;								\
	if (buf_puts((b), "  \"" name "\": [") == -1)			\
		return -1;						\
	for (_i = 0; _i < (n); _i++)					\
		if (buf_puts((b), _i == 0 ? "\n    " : ",\n    ") == -1 ||\
		    fn((b), &(arr)[_i]) == -1)				\
			return -1;					\
	if (buf_puts((b), (n) > 0 ? "\n  ]" : "]") == -1 ||		\
	    buf_puts((b), (last) ? "\n" : ",\n") == -1)			\
		return -1;						\
} while (0)

int
export_write(struct buf *b, const struct export_doc *d)
{
	if (buf_printf(b, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n"
	    "  \"default\": ", EXPORT_FORMAT, EXPORT_VERSION) == -1 ||
	    w_str(b, d->default_model) == -1 || buf_puts(b, ",\n") == -1)
		return -1;
	W_SECTION(b, "models", d->models, d->nmodels, export_model_json, 0);
	W_SECTION(b, "collections", d->collections, d->ncollections,
	    w_collection, 0);
	W_SECTION(b, "caps", d->caps, d->ncaps, w_cap, 0);
	W_SECTION(b, "keys", d->keys, d->nkeys, w_key, 1);
	return buf_puts(b, "}\n");
}
