/* export_parse.c: an export file (doc/export.md) into a struct export_doc, validated whole; a pure function over memory, for IMPORT and the fuzzer. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "proto.h"
#include "reg_caps.h"
#include "reg_keys.h"
#include "reg_tags.h"

/*
 * Two passes: the bytes into a tree of JSON values (strict RFC 8259:
 * no trailing bytes, no control bytes in strings, valid UTF-8, no
 * duplicate members), then the tree into the document, checking every
 * rule the registry would. A tree first keeps the second pass simple
 * and lets it name the place of any error; its size is bounded by
 * EXPORT_MAX_NODES values, whatever the input.
 */
#define EXPORT_MAX_NODES	2000000
#define EXPORT_ID_MAX		255

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype	 t;
	int		 line;
	int		 n;		/* items of an array or members of an object */
	int		 b;		/* a boolean's value */
	double		 num;
	char		*s;		/* a string's bytes (NUL-terminated) */
	struct jv	*v;		/* items or member values */
	char		**k;		/* member names */
};

struct jp {
	const char	*p, *end;
	int		 line;
	int		 depth;
	long		 nodes;
	char		*err;
	size_t		 errlen;
};

static int
jp_fail(struct jp *jp, const char *fmt, ...)
{
	va_list	 ap;
	char	 m[256];

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	snprintf(jp->err, jp->errlen, "line %d: %s", jp->line, m);
	return -1;
}

static void
jv_free(struct jv *v)
{
	int	 i;

	if (v->t == J_STR)
		free(v->s);
	if (v->t == J_ARR || v->t == J_OBJ) {
		for (i = 0; i < v->n; i++) {
			jv_free(&v->v[i]);
			if (v->t == J_OBJ)
				free(v->k[i]);
		}
		free(v->v);
		free(v->k);
	}
	memset(v, 0, sizeof(*v));
}

static void
jp_ws(struct jp *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' ||
	    *jp->p == '\n' || *jp->p == '\r')) {
		if (*jp->p == '\n')
			jp->line++;
		jp->p++;
	}
}

/* One UTF-8 sequence at s (n bytes left): its length, 0 when ill-formed. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	uint32_t	 cp;
	size_t		 k, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		k = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		k = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		k = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return k;
}

static int
hex4(const char *p, unsigned *v)
{
	int	 i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = p[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static void
put_utf8(struct buf *b, unsigned cp, int *rc)
{
	unsigned char	 u[4];
	size_t		 n;

	if (cp < 0x80)
		u[0] = (unsigned char)cp, n = 1;
	else if (cp < 0x800)
		u[0] = (unsigned char)(0xc0 | (cp >> 6)),
		    u[1] = (unsigned char)(0x80 | (cp & 0x3f)), n = 2;
	else if (cp < 0x10000)
		u[0] = (unsigned char)(0xe0 | (cp >> 12)),
		    u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
		    u[2] = (unsigned char)(0x80 | (cp & 0x3f)), n = 3;
	else
		u[0] = (unsigned char)(0xf0 | (cp >> 18)),
		    u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f)),
		    u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
		    u[3] = (unsigned char)(0x80 | (cp & 0x3f)), n = 4;
	if (buf_append(b, u, n) == -1)
		*rc = -1;
}

/* A string at jp->p (its opening quote): *out is a malloc'd copy, NUL-free. */
static int
jp_string(struct jp *jp, char **out)
{
	struct buf	 b = { 0 };
	const char	*p = jp->p + 1;
	unsigned	 cp, lo;
	size_t		 k;
	int		 rc = 0;

	*out = NULL;
	for (;;) {
		if (p >= jp->end) {
			buf_free(&b);
			return jp_fail(jp, "a string does not end");
		}
		if (*p == '"')
			break;
		if ((unsigned char)*p < 0x20) {
			buf_free(&b);
			return jp_fail(jp, "a control byte inside a string");
		}
		if (*p != '\\') {
			if ((k = utf8_len((const unsigned char *)p,
			    (size_t)(jp->end - p))) == 0) {
				buf_free(&b);
				return jp_fail(jp, "a string is not valid UTF-8");
			}
			if (buf_append(&b, p, k) == -1)
				rc = -1;
			p += k;
			continue;
		}
		if (p + 1 >= jp->end) {
			buf_free(&b);
			return jp_fail(jp, "a string does not end");
		}
		switch (p[1]) {
		case '"': case '\\': case '/':
			if (buf_putc(&b, p[1]) == -1)
				rc = -1;
			p += 2;
			continue;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (jp->end - p < 6 || hex4(p + 2, &cp) == -1) {
				buf_free(&b);
				return jp_fail(jp, "a bad \\u escape");
			}
			p += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff) {
				buf_free(&b);
				return jp_fail(jp, "a lone low surrogate");
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (jp->end - p < 8 || p[2] != '\\' ||
				    p[3] != 'u' || hex4(p + 4, &lo) == -1 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					buf_free(&b);
					return jp_fail(jp, "a lone high surrogate");
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			if (cp == 0) {
				buf_free(&b);
				return jp_fail(jp, "a NUL character (\\u0000) "
				    "inside a string");
			}
			break;
		default:
			buf_free(&b);
			return jp_fail(jp, "a bad escape inside a string");
		}
		put_utf8(&b, cp, &rc);
		p += 2;
	}
	if (rc == -1 || (b.data == NULL && buf_puts(&b, "") == -1)) {
		buf_free(&b);
		return jp_fail(jp, "out of memory");
	}
	jp->p = p + 1;
	*out = b.data;
	return 0;
}

static int
jp_number(struct jp *jp, double *v)
{
	const char	*p = jp->p, *s = p;
	char		 t[64];

	if (p < jp->end && *p == '-')
		p++;
	if (p >= jp->end || *p < '0' || *p > '9')
		return jp_fail(jp, "not a JSON value");
	if (*p == '0')
		p++;
	else
		while (p < jp->end && *p >= '0' && *p <= '9')
			p++;
	if (p < jp->end && *p == '.') {
		p++;
		if (p >= jp->end || *p < '0' || *p > '9')
			return jp_fail(jp, "a bad number");
		while (p < jp->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < jp->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < jp->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= jp->end || *p < '0' || *p > '9')
			return jp_fail(jp, "a bad number");
		while (p < jp->end && *p >= '0' && *p <= '9')
			p++;
	}
	if ((size_t)(p - s) >= sizeof(t))
		return jp_fail(jp, "a number longer than %zu bytes",
		    sizeof(t) - 1);
	memcpy(t, s, (size_t)(p - s));
	t[p - s] = '\0';
	*v = strtod(t, NULL);
	if (!isfinite(*v))
		return jp_fail(jp, "a number out of range");
	jp->p = p;
	return 0;
}

static int jp_value(struct jp *, struct jv *);

/* Append a member or item to v (an array or object), growing it. */
static struct jv *
jv_grow(struct jp *jp, struct jv *v, int *cap)
{
	struct jv	*nv;
	char		**nk;
	int		 ncap;

	if (v->n < *cap)
		return &v->v[v->n];
	ncap = *cap == 0 ? 8 : *cap * 2;
	if ((nv = realloc(v->v, (size_t)ncap * sizeof(*nv))) == NULL) {
		jp_fail(jp, "out of memory");
		return NULL;
	}
	v->v = nv;
	if (v->t == J_OBJ) {
		if ((nk = realloc(v->k, (size_t)ncap * sizeof(*nk))) == NULL) {
			jp_fail(jp, "out of memory");
			return NULL;
		}
		v->k = nk;
	}
	*cap = ncap;
	return &v->v[v->n];
}

static int
jp_container(struct jp *jp, struct jv *v, char close)
{
	struct jv	*item;
	char		*key = NULL;
	int		 cap = 0, i;

	jp->p++;
	if (++jp->depth > EXPORT_MAX_DEPTH)
		return jp_fail(jp, "nested deeper than %d", EXPORT_MAX_DEPTH);
	jp_ws(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		jp->depth--;
		return 0;
	}
	for (;;) {
		jp_ws(jp);
		if (v->t == J_OBJ) {
			if (jp->p >= jp->end || *jp->p != '"')
				return jp_fail(jp, "expected a member name");
			if (jp_string(jp, &key) == -1)
				return -1;
			for (i = 0; i < v->n; i++)
				if (strcmp(v->k[i], key) == 0) {
					jp_fail(jp, "the member \"%.64s\" "
					    "appears twice", key);
					free(key);
					return -1;
				}
			jp_ws(jp);
			if (jp->p >= jp->end || *jp->p != ':') {
				free(key);
				return jp_fail(jp, "expected ':'");
			}
			jp->p++;
		}
		if ((item = jv_grow(jp, v, &cap)) == NULL) {
			free(key);
			return -1;
		}
		memset(item, 0, sizeof(*item));
		if (v->t == J_OBJ)
			v->k[v->n] = key;
		key = NULL;
		v->n++;
		if (jp_value(jp, item) == -1)
			return -1;
		jp_ws(jp);
		if (jp->p < jp->end && *jp->p == ',') {
			jp->p++;
			continue;
		}
		if (jp->p < jp->end && *jp->p == close) {
			jp->p++;
			jp->depth--;
			return 0;
		}
		return jp_fail(jp, "expected ',' or '%c'", close);
	}
}

static int
jp_literal(struct jp *jp, const char *word)
{
	size_t	 n = strlen(word);

	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
		return jp_fail(jp, "not a JSON value");
	jp->p += n;
	return 0;
}

static int
jp_value(struct jp *jp, struct jv *v)
{
	jp_ws(jp);
	if (++jp->nodes > EXPORT_MAX_NODES)
		return jp_fail(jp, "more than %d JSON values", EXPORT_MAX_NODES);
	v->line = jp->line;
	if (jp->p >= jp->end)
		return jp_fail(jp, "the file ends where a value should be");
	switch (*jp->p) {
	case '{':
		v->t = J_OBJ;
		return jp_container(jp, v, '}');
	case '[':
		v->t = J_ARR;
		return jp_container(jp, v, ']');
	case '"':
		v->t = J_STR;
		return jp_string(jp, &v->s);
	case 't':
		v->t = J_BOOL;
		v->b = 1;
		return jp_literal(jp, "true");
	case 'f':
		v->t = J_BOOL;
		return jp_literal(jp, "false");
	case 'n':
		v->t = J_NULL;
		return jp_literal(jp, "null");
	default:
		v->t = J_NUM;
		return jp_number(jp, &v->num);
	}
}

/*
 * The second pass. Each check names its place: the line of the value
 * and its path (models[3].status).
 */
struct jc {
	char		*err;
	size_t		 errlen;
	struct export_doc *doc;
};

static int
jc_fail(struct jc *jc, const struct jv *v, const char *path, const char *fmt,
    ...)
{
	va_list	 ap;
	char	 m[256];

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	snprintf(jc->err, jc->errlen, "line %d: %s: %s", v->line, path, m);
	return -1;
}

static const char *
jtype_name(enum jtype t)
{
	static const char *const names[] = { "null", "a boolean", "a number",
	    "a string", "an array", "an object" };

	return names[t];
}

static int
jc_type(struct jc *jc, const struct jv *v, const char *path, enum jtype t)
{
	if (v->t == t)
		return 0;
	return jc_fail(jc, v, path, "expected %s, not %s", jtype_name(t),
	    jtype_name(v->t));
}

/* Member name of object o, or NULL. */
static struct jv *
jv_get(const struct jv *o, const char *name)
{
	int	 i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->k[i], name) == 0)
			return &o->v[i];
	return NULL;
}

/* Every member of o is one of names (a NULL-terminated list). */
static int
jc_members(struct jc *jc, const struct jv *o, const char *path,
    const char *const *names)
{
	int	 i, j;

	for (i = 0; i < o->n; i++) {
		for (j = 0; names[j] != NULL; j++)
			if (strcmp(o->k[i], names[j]) == 0)
				break;
		if (names[j] == NULL)
			return jc_fail(jc, &o->v[i], path, "unknown member "
			    "\"%.64s\"", o->k[i]);
	}
	return 0;
}

/* Take a string's bytes out of the tree (the document owns them then). */
static char *
jv_take(struct jv *v)
{
	char	*s = v->s;

	v->s = NULL;
	v->t = J_NULL;
	return s;
}

static int
model_id_ok(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n < 1 || n > EXPORT_ID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == '=' ||
		    c == '\\')
			return 0;
	}
	return 1;
}

static int
reason_ok(const char *s)
{
	size_t	 i, n = strlen(s);

	if (n < 1 || n > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

/* A string member that must be there (or may be null when nullable). */
static int
jc_str(struct jc *jc, struct jv *o, const char *opath, const char *name,
    int required, int nullable, char **out)
{
	struct jv	*v = jv_get(o, name);
	char		 path[128];

	*out = NULL;
	snprintf(path, sizeof(path), "%s.%s", opath, name);
	if (v == NULL) {
		if (required)
			return jc_fail(jc, o, opath, "the member \"%s\" is "
			    "missing", name);
		return 0;
	}
	if (v->t == J_NULL && nullable)
		return 0;
	if (jc_type(jc, v, path, J_STR) == -1)
		return -1;
	*out = jv_take(v);
	return 0;
}

/* An array of strings, each checked by ok (NULL: any), at most max, no duplicate. */
static int
jc_strlist(struct jc *jc, struct jv *o, const char *opath, const char *name,
    int max, int (*ok)(const char *), const char *rule, char ***out, int *n)
{
	struct jv	*v = jv_get(o, name);
	char		 path[160];
	int		 i, j;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s.%s", opath, name);
	if (v == NULL)
		return 0;
	if (jc_type(jc, v, path, J_ARR) == -1)
		return -1;
	if (max > 0 && v->n > max)
		return jc_fail(jc, v, path, "more than %d items", max);
	for (i = 0; i < v->n; i++) {
		snprintf(path, sizeof(path), "%s.%s[%d]", opath, name, i);
		if (jc_type(jc, &v->v[i], path, J_STR) == -1)
			return -1;
		if (ok != NULL && !ok(v->v[i].s))
			return jc_fail(jc, &v->v[i], path, "\"%.64s\" is not "
			    "%s", v->v[i].s, rule);
		for (j = 0; j < i && max > 0 && max <= 64; j++)
			if (strcmp(v->v[j].s, v->v[i].s) == 0)
				return jc_fail(jc, &v->v[i], path, "\"%.64s\" "
				    "is listed twice", v->v[i].s);
	}
	if (v->n == 0)
		return 0;
	if ((*out = calloc((size_t)v->n, sizeof(**out))) == NULL)
		return jc_fail(jc, v, path, "out of memory");
	for (i = 0; i < v->n; i++)
		(*out)[i] = jv_take(&v->v[i]);
	*n = v->n;
	return 0;
}

/* A sorted index of names, to find duplicates and to look names up. */
struct nidx {
	const char	*s;
	int		 i;
};

static int
nidx_cmp(const void *a, const void *b)
{
	const struct nidx *x = a, *y = b;
	int	 c = strcmp(x->s, y->s);

	return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

static int
nidx_find(const struct nidx *idx, int n, const char *s)
{
	int	 lo = 0, hi = n - 1, mid, c;

	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(idx[mid].s, s)) == 0)
			return idx[mid].i;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Sort idx; the index of the later of the first duplicate pair, or -1 (*first: the earlier). */
static int
nidx_sort(struct nidx *idx, int n, int *first)
{
	int	 i;

	qsort(idx, (size_t)n, sizeof(*idx), nidx_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(idx[i - 1].s, idx[i].s) == 0) {
			*first = idx[i - 1].i;
			return idx[i].i;
		}
	return -1;
}

static const char *const model_members[] = { "id", "status", "source",
    "reason", "label", "params", "enforce", "aliases", "tags", NULL };

/*
 * The name rules of tags (reg_tags.c), collections and keys (reg_keys.c),
 * repeated here so the parser links nothing but settings.c and buf.c
 * (the fuzzer's build): [a-z0-9] for tags, [A-Za-z0-9] for the others,
 * first, then those or '.', '_', '-'; at most max bytes.
 */
static int
name_ok(const char *s, size_t max, int upper)
{
	size_t	 i, n = strlen(s);

	if (n < 1 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    (upper && c >= 'A' && c <= 'Z');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return 0;
	}
	return 1;
}

static int
tag_ok(const char *s)
{
	return name_ok(s, TAG_MAX, 0);
}

static int
key_name_ok(const char *s)
{
	return name_ok(s, KEY_NAME_MAX, 1);
}

static int
alias_ok(const char *s)
{
	char	 e[128];

	return settings_check_alias(s, e, sizeof(e)) == 0;
}

static int
jc_model(struct jc *jc, struct jv *o, int idx, struct export_model *m)
{
	char		 path[64], vpath[128], e[160], *status = NULL, *src = NULL;
	struct jv	*params, *enforce;
	int		 i, p;

	snprintf(path, sizeof(path), "models[%d]", idx);
	if (jc_type(jc, o, path, J_OBJ) == -1 ||
	    jc_members(jc, o, path, model_members) == -1 ||
	    jc_str(jc, o, path, "id", 1, 0, &m->id) == -1)
		return -1;
	if (!model_id_ok(m->id))
		return jc_fail(jc, jv_get(o, "id"), path, "id: \"%.64s\" is "
		    "not a model id (1 to %d bytes of 0x21 to 0x7e but '\"', "
		    "',', '=' and '\\')", m->id, EXPORT_ID_MAX);
	if (jc_str(jc, o, path, "status", 1, 0, &status) == -1)
		return -1;
	if (strcmp(status, "active") == 0)
		m->active = 1;
	else if (strcmp(status, "inactive") != 0) {
		jc_fail(jc, jv_get(o, "status"), path, "status: unknown model "
		    "status \"%.32s\" (active or inactive)", status);
		free(status);
		return -1;
	}
	free(status);
	if (jc_str(jc, o, path, "source", 0, 0, &src) == -1)
		return -1;
	if (src == NULL)
		snprintf(m->source, sizeof(m->source), "manual");
	else if (strcmp(src, "seed") == 0 || strcmp(src, "manual") == 0 ||
	    strcmp(src, "auto") == 0) {
		snprintf(m->source, sizeof(m->source), "%s", src);
	} else {
		jc_fail(jc, jv_get(o, "source"), path, "source: unknown status "
		    "source \"%.32s\" (seed, manual or auto)", src);
		free(src);
		return -1;
	}
	free(src);
	if (jc_str(jc, o, path, "reason", 0, 1, &m->reason) == -1)
		return -1;
	if (m->reason != NULL && !reason_ok(m->reason))
		return jc_fail(jc, jv_get(o, "reason"), path, "reason: \"%.64s\" "
		    "is not a reason (1 to 64 of a-z, 0-9, '.', '_', '-')",
		    m->reason);
	if (jc_str(jc, o, path, "label", 0, 1, &m->label) == -1)
		return -1;
	if (m->label != NULL && settings_check_label(m->label, e,
	    sizeof(e)) == -1)
		return jc_fail(jc, jv_get(o, "label"), path, "label: %s", e);
	if ((params = jv_get(o, "params")) != NULL) {
		snprintf(vpath, sizeof(vpath), "%s.params", path);
		if (jc_type(jc, params, vpath, J_OBJ) == -1)
			return -1;
		for (i = 0; i < params->n; i++) {
			snprintf(vpath, sizeof(vpath), "%s.params.%.32s", path,
			    params->k[i]);
			if ((p = settings_param_find(params->k[i])) == -1)
				return jc_fail(jc, &params->v[i], vpath, "no "
				    "such parameter (%s)", SETTINGS_PARAM_NAMES);
			if (jc_type(jc, &params->v[i], vpath, J_NUM) == -1)
				return -1;
			if (settings_check_range(p, params->v[i].num, 0, e,
			    sizeof(e)) == -1)
				return jc_fail(jc, &params->v[i], vpath, "%s", e);
			m->params_set |= 1u << p;
			m->params[p] = params->v[i].num;
		}
	}
	if ((enforce = jv_get(o, "enforce")) != NULL) {
		snprintf(vpath, sizeof(vpath), "%s.enforce", path);
		if (jc_type(jc, enforce, vpath, J_ARR) == -1)
			return -1;
		for (i = 0; i < enforce->n; i++) {
			snprintf(vpath, sizeof(vpath), "%s.enforce[%d]", path, i);
			if (jc_type(jc, &enforce->v[i], vpath, J_STR) == -1)
				return -1;
			if ((p = settings_param_find(enforce->v[i].s)) == -1)
				return jc_fail(jc, &enforce->v[i], vpath, "no "
				    "such parameter \"%.32s\"", enforce->v[i].s);
			if (!(m->params_set & (1u << p)))
				return jc_fail(jc, &enforce->v[i], vpath, "%s "
				    "is enforced but has no value in params",
				    settings_param_name(p));
			if (m->enforced & (1u << p))
				return jc_fail(jc, &enforce->v[i], vpath, "%s "
				    "is listed twice", settings_param_name(p));
			m->enforced |= 1u << p;
		}
	}
	if (jc_strlist(jc, o, path, "aliases", SETTINGS_MAX_ALIASES, alias_ok,
	    "an organisation alias (1 to 200 bytes of 0x21 to 0x7e but '\"', "
	    "',', '=' and '\\')", &m->aliases, &m->naliases) == -1 ||
	    jc_strlist(jc, o, path, "tags", TAGS_PER_MODEL, tag_ok, "a tag "
	    "(1 to 64 of a-z, 0-9, '.', '_', '-', a letter or digit first)",
	    &m->tags, &m->ntags) == -1)
		return -1;
	return 0;
}

static const char *const coll_members[] = { "name", "models", NULL };

static int
coll_name_ok(const char *s)
{
	return name_ok(s, COLLECTION_NAME_MAX, 1);
}

/* Each name of list (n of them, at path name[i]) is a model of the file, once. */
static int
jc_model_refs(struct jc *jc, const struct jv *arr, const char *path,
    char **list, int n, const struct nidx *models, int nmodels)
{
	struct nidx	*idx;
	int		 i, dup, first;

	for (i = 0; i < n; i++)
		if (nidx_find(models, nmodels, list[i]) == -1)
			return jc_fail(jc, &arr->v[i], path, "\"%.64s\" is not "
			    "a model of this file", list[i]);
	if (n < 2)
		return 0;
	if ((idx = calloc((size_t)n, sizeof(*idx))) == NULL)
		return jc_fail(jc, arr, path, "out of memory");
	for (i = 0; i < n; i++)
		idx[i].s = list[i], idx[i].i = i;
	dup = nidx_sort(idx, n, &first);
	free(idx);
	if (dup != -1)
		return jc_fail(jc, &arr->v[dup], path, "\"%.64s\" is listed "
		    "twice", list[dup]);
	return 0;
}

static const char *const cap_members[] = { "model", "key", "amount",
    "period", "window", "warn", NULL };

/* An integer member within lo..hi, or def when absent. */
static int
jc_int(struct jc *jc, const struct jv *o, const char *opath, const char *name,
    int64_t lo, int64_t hi, int64_t def, int64_t *out)
{
	const struct jv	*v = jv_get(o, name);
	char		 path[128];

	*out = def;
	if (v == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s.%s", opath, name);
	if (jc_type(jc, v, path, J_NUM) == -1)
		return -1;
	if (v->num != floor(v->num) || v->num < (double)lo ||
	    v->num > (double)hi)
		return jc_fail(jc, v, path, "expected a whole number from %lld "
		    "to %lld", (long long)lo, (long long)hi);
	*out = (int64_t)v->num;
	return 0;
}

static int
jc_cap(struct jc *jc, struct jv *o, int idx, struct export_cap *c)
{
	char		 path[64], *period = NULL;
	const struct jv	*v;
	int64_t		 warn;

	snprintf(path, sizeof(path), "caps[%d]", idx);
	if (jc_type(jc, o, path, J_OBJ) == -1 ||
	    jc_members(jc, o, path, cap_members) == -1 ||
	    jc_str(jc, o, path, "model", 0, 1, &c->model) == -1 ||
	    jc_str(jc, o, path, "key", 0, 1, &c->key) == -1)
		return -1;
	if ((c->model == NULL) == (c->key == NULL))
		return jc_fail(jc, o, path, "a cap is on a model or on a key: "
		    "give exactly one of model and key");
	if (c->model != NULL && !model_id_ok(c->model))
		return jc_fail(jc, jv_get(o, "model"), path, "model: \"%.64s\" "
		    "is not a model id", c->model);
	if (c->key != NULL && !key_name_ok(c->key))
		return jc_fail(jc, jv_get(o, "key"), path, "key: \"%.64s\" is "
		    "not a key name", c->key);
	if ((v = jv_get(o, "amount")) == NULL)
		return jc_fail(jc, o, path, "the member \"amount\" is missing");
	if (jc_type(jc, v, "amount", J_NUM) == -1)
		return -1;
	if (!(v->num > 0) || v->num > CAP_AMOUNT_MAX)
		return jc_fail(jc, v, path, "amount: expected a number above 0, "
		    "at most %.0f", CAP_AMOUNT_MAX);
	c->amount = v->num;
	if (jc_str(jc, o, path, "period", 1, 0, &period) == -1)
		return -1;
	if (strcmp(period, "day") != 0 && strcmp(period, "week") != 0 &&
	    strcmp(period, "month") != 0 && strcmp(period, "window") != 0) {
		jc_fail(jc, jv_get(o, "period"), path, "period: unknown period "
		    "\"%.16s\" (day, week, month or window)", period);
		free(period);
		return -1;
	}
	snprintf(c->period, sizeof(c->period), "%s", period);
	free(period);
	if (strcmp(c->period, "window") == 0) {
		if (jv_get(o, "window") == NULL)
			return jc_fail(jc, o, path, "a window period needs "
			    "\"window\" (seconds)");
		if (jc_int(jc, o, path, "window", 1, CAP_WINDOW_MAX, 0,
		    &c->window) == -1)
			return -1;
	} else if (jc_int(jc, o, path, "window", 0, 0, 0, &c->window) == -1)
		return -1;
	if (jc_int(jc, o, path, "warn", 0, 99, CAP_WARN_DEFAULT, &warn) == -1)
		return -1;
	c->warn = (int)warn;
	return 0;
}

static const char *const key_members[] = { "name", "all", "collection",
    "models", "expires", "note", NULL };

/* "YYYY-MM-DDTHH:MM:SSZ" (1970 to 9999) into unix time: 0, or -1. */
static int
parse_time(const char *s, int64_t *t)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int	 v[6], i, k, y, leap;
	const int widths[6] = { 4, 2, 2, 2, 2, 2 };
	const char seps[6] = { '-', '-', 'T', ':', ':', 'Z' };
	const char *p = s;

	for (i = 0; i < 6; i++) {
		v[i] = 0;
		for (k = 0; k < widths[i]; k++, p++) {
			if (*p < '0' || *p > '9')
				return -1;
			v[i] = v[i] * 10 + (*p - '0');
		}
		if (*p++ != seps[i])
			return -1;
	}
	if (*p != '\0')
		return -1;
	y = v[0];
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || v[1] < 1 || v[1] > 12 || v[2] < 1 ||
	    v[2] > mdays[v[1] - 1] || (v[1] == 2 && v[2] == 29 && !leap) ||
	    v[3] > 23 || v[4] > 59 || v[5] > 59)
		return -1;
	*t = days_from_civil(y, v[1], v[2]) * 86400 + v[3] * 3600 +
	    v[4] * 60 + v[5];
	return *t > 0 ? 0 : -1;
}

static int
jc_key(struct jc *jc, struct jv *o, int idx, struct export_key *k)
{
	char		 path[64], *exp = NULL;
	const struct jv	*v;

	snprintf(path, sizeof(path), "keys[%d]", idx);
	if (jc_type(jc, o, path, J_OBJ) == -1 ||
	    jc_members(jc, o, path, key_members) == -1 ||
	    jc_str(jc, o, path, "name", 1, 0, &k->name) == -1)
		return -1;
	if (!key_name_ok(k->name))
		return jc_fail(jc, jv_get(o, "name"), path, "name: \"%.64s\" is "
		    "not a key name (1 to %d letters, digits, '.', '_' or '-', "
		    "a letter or digit first)", k->name, KEY_NAME_MAX);
	if ((v = jv_get(o, "all")) != NULL) {
		if (jc_type(jc, v, "all", J_BOOL) == -1)
			return -1;
		k->all = v->b;
	}
	if (jc_str(jc, o, path, "collection", 0, 1, &k->collection) == -1 ||
	    jc_strlist(jc, o, path, "models", 0, model_id_ok, "a model id",
	    &k->models, &k->nmodels) == -1)
		return -1;
	if ((k->all != 0) + (k->collection != NULL) + (k->nmodels > 0) > 1)
		return jc_fail(jc, o, path, "a key has a list of models, all, "
		    "or a collection, not two");
	if (jc_str(jc, o, path, "expires", 0, 1, &exp) == -1)
		return -1;
	if (exp != NULL && parse_time(exp, &k->expires) == -1) {
		jc_fail(jc, jv_get(o, "expires"), path, "expires: \"%.32s\" is "
		    "not a time as YYYY-MM-DDTHH:MM:SSZ (UTC)", exp);
		free(exp);
		return -1;
	}
	free(exp);
	if (jc_str(jc, o, path, "note", 0, 0, &k->note) == -1)
		return -1;
	if (k->note != NULL && strlen(k->note) > KEY_NOTE_MAX)
		return jc_fail(jc, jv_get(o, "note"), path, "note: more than %d "
		    "bytes", KEY_NOTE_MAX);
	return 0;
}

static const char *const top_members[] = { "format", "version", "default",
    "models", "collections", "caps", "keys", NULL };

/* The array member name of the top object, or NULL when absent. */
static int
jc_section(struct jc *jc, struct jv *top, const char *name, struct jv **out)
{
	*out = jv_get(top, name);
	if (*out == NULL)
		return 0;
	return jc_type(jc, *out, name, J_ARR);
}

static int
jc_doc(struct jc *jc, struct jv *top)
{
	struct export_doc *d = jc->doc;
	struct jv	*fmt, *ver, *models, *colls, *caps, *keys, *v;
	struct nidx	*mi = NULL, *ci = NULL, *ai = NULL, *ki = NULL;
	char		 path[96];
	int		 i, j, n, dup, first, na, rc = -1, m;

	if (jc_type(jc, top, "the file", J_OBJ) == -1)
		return -1;
	if ((fmt = jv_get(top, "format")) == NULL ||
	    fmt->t != J_STR || strcmp(fmt->s, EXPORT_FORMAT) != 0)
		return jc_fail(jc, fmt != NULL ? fmt : top, "format", "not a "
		    "modelreg export (\"format\": \"%s\" is missing)",
		    EXPORT_FORMAT);
	if ((ver = jv_get(top, "version")) == NULL)
		return jc_fail(jc, top, "version", "the member \"version\" is "
		    "missing");
	if (ver->t != J_NUM || ver->num != floor(ver->num) || ver->num < 1)
		return jc_fail(jc, ver, "version", "expected a whole number from "
		    "1");
	if (ver->num > EXPORT_VERSION)
		return jc_fail(jc, ver, "version", "format version %.0f is newer "
		    "than this modelregd reads (%d): upgrade modelregd",
		    ver->num > 1e9 ? 1e9 : ver->num, EXPORT_VERSION);
	d->version = (int)ver->num;
	if (jc_members(jc, top, "the file", top_members) == -1 ||
	    jc_str(jc, top, "the file", "default", 0, 1, &d->default_model) == -1 ||
	    jc_section(jc, top, "models", &models) == -1 ||
	    jc_section(jc, top, "collections", &colls) == -1 ||
	    jc_section(jc, top, "caps", &caps) == -1 ||
	    jc_section(jc, top, "keys", &keys) == -1)
		return -1;

	/* Models, then the names the other sections refer to. */
	n = models != NULL ? models->n : 0;
	if (n > 0 && (d->models = calloc((size_t)n, sizeof(*d->models))) == NULL)
		return jc_fail(jc, models, "models", "out of memory");
	for (i = 0; i < n; i++) {
		d->nmodels = i + 1;
		if (jc_model(jc, &models->v[i], i, &d->models[i]) == -1)
			return -1;
	}
	if ((mi = calloc((size_t)n + 1, sizeof(*mi))) == NULL)
		return jc_fail(jc, top, "models", "out of memory");
	for (i = 0; i < n; i++)
		mi[i].s = d->models[i].id, mi[i].i = i;
	if ((dup = nidx_sort(mi, n, &first)) != -1) {
		snprintf(path, sizeof(path), "models[%d].id", dup);
		jc_fail(jc, &models->v[dup], path, "duplicate id \"%.64s\" "
		    "(also models[%d])", d->models[dup].id, first);
		goto done;
	}
	/* Organisation aliases: one namespace, and never a model's id. */
	for (i = na = 0; i < n; i++)
		na += d->models[i].naliases;
	if ((ai = calloc((size_t)na + 1, sizeof(*ai))) == NULL) {
		jc_fail(jc, top, "models", "out of memory");
		goto done;
	}
	for (i = na = 0; i < n; i++)
		for (j = 0; j < d->models[i].naliases; j++) {
			ai[na].s = d->models[i].aliases[j];
			ai[na++].i = i;
			if ((m = nidx_find(mi, n, d->models[i].aliases[j])) != -1) {
				snprintf(path, sizeof(path), "models[%d]."
				    "aliases[%d]", i, j);
				jc_fail(jc, &models->v[i], path, "\"%.64s\" is "
				    "the id of models[%d]",
				    d->models[i].aliases[j], m);
				goto done;
			}
		}
	if (nidx_sort(ai, na, &first) != -1) {
		for (i = 1; i < na; i++)
			if (strcmp(ai[i - 1].s, ai[i].s) == 0)
				break;
		snprintf(path, sizeof(path), "models[%d].aliases", ai[i].i);
		jc_fail(jc, &models->v[ai[i].i], path, "the alias \"%.64s\" "
		    "also names models[%d]", ai[i].s, ai[i - 1].i);
		goto done;
	}
	if (d->default_model != NULL) {
		v = jv_get(top, "default");
		if ((m = nidx_find(mi, n, d->default_model)) == -1) {
			jc_fail(jc, v, "default", "\"%.64s\" is not a model of "
			    "this file", d->default_model);
			goto done;
		}
		if (!d->models[m].active) {
			jc_fail(jc, v, "default", "\"%.64s\" is not active "
			    "(models[%d]): the default must be active",
			    d->default_model, m);
			goto done;
		}
	}

	n = colls != NULL ? colls->n : 0;
	if (n > COLLECTIONS_MAX) {
		jc_fail(jc, colls, "collections", "more than %d collections",
		    COLLECTIONS_MAX);
		goto done;
	}
	if (n > 0 && (d->collections = calloc((size_t)n,
	    sizeof(*d->collections))) == NULL) {
		jc_fail(jc, colls, "collections", "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		struct export_collection *c = &d->collections[i];
		struct jv *o = &colls->v[i];

		d->ncollections = i + 1;
		snprintf(path, sizeof(path), "collections[%d]", i);
		if (jc_type(jc, o, path, J_OBJ) == -1 ||
		    jc_members(jc, o, path, coll_members) == -1 ||
		    jc_str(jc, o, path, "name", 1, 0, &c->name) == -1)
			goto done;
		if (!coll_name_ok(c->name)) {
			jc_fail(jc, jv_get(o, "name"), path, "name: \"%.64s\" is "
			    "not a collection name (1 to %d letters, digits, "
			    "'.', '_' or '-', a letter or digit first)", c->name,
			    COLLECTION_NAME_MAX);
			goto done;
		}
		if (jc_strlist(jc, o, path, "models", 0, model_id_ok,
		    "a model id", &c->models, &c->nmodels) == -1)
			goto done;
		snprintf(path, sizeof(path), "collections[%d].models", i);
		if ((v = jv_get(o, "models")) != NULL &&
		    jc_model_refs(jc, v, path, c->models, c->nmodels, mi,
		    d->nmodels) == -1)
			goto done;
	}
	if ((ci = calloc((size_t)n + 1, sizeof(*ci))) == NULL) {
		jc_fail(jc, top, "collections", "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		ci[i].s = d->collections[i].name, ci[i].i = i;
	if ((dup = nidx_sort(ci, n, &first)) != -1) {
		snprintf(path, sizeof(path), "collections[%d].name", dup);
		jc_fail(jc, &colls->v[dup], path, "duplicate name \"%.64s\" "
		    "(also collections[%d])", d->collections[dup].name, first);
		goto done;
	}

	n = keys != NULL ? keys->n : 0;
	if (n > 0 && (d->keys = calloc((size_t)n, sizeof(*d->keys))) == NULL) {
		jc_fail(jc, keys, "keys", "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		struct export_key *k = &d->keys[i];

		d->nkeys = i + 1;
		if (jc_key(jc, &keys->v[i], i, k) == -1)
			goto done;
		snprintf(path, sizeof(path), "keys[%d].models", i);
		if ((v = jv_get(&keys->v[i], "models")) != NULL &&
		    jc_model_refs(jc, v, path, k->models, k->nmodels, mi,
		    d->nmodels) == -1)
			goto done;
		if (k->collection != NULL && nidx_find(ci, d->ncollections,
		    k->collection) == -1) {
			snprintf(path, sizeof(path), "keys[%d].collection", i);
			jc_fail(jc, jv_get(&keys->v[i], "collection"), path,
			    "\"%.64s\" is not a collection of this file",
			    k->collection);
			goto done;
		}
	}
	if ((ki = calloc((size_t)n + 1, sizeof(*ki))) == NULL) {
		jc_fail(jc, top, "keys", "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++)
		ki[i].s = d->keys[i].name, ki[i].i = i;
	if ((dup = nidx_sort(ki, n, &first)) != -1) {
		snprintf(path, sizeof(path), "keys[%d].name", dup);
		jc_fail(jc, &keys->v[dup], path, "duplicate name \"%.64s\" "
		    "(also keys[%d])", d->keys[dup].name, first);
		goto done;
	}

	n = caps != NULL ? caps->n : 0;
	if (n > 0 && (d->caps = calloc((size_t)n, sizeof(*d->caps))) == NULL) {
		jc_fail(jc, caps, "caps", "out of memory");
		goto done;
	}
	for (i = 0; i < n; i++) {
		d->ncaps = i + 1;
		if (jc_cap(jc, &caps->v[i], i, &d->caps[i]) == -1)
			goto done;
		if (d->caps[i].key != NULL && nidx_find(ki, d->nkeys,
		    d->caps[i].key) == -1) {
			snprintf(path, sizeof(path), "caps[%d].key", i);
			jc_fail(jc, &caps->v[i], path, "\"%.64s\" is not a key "
			    "of this file", d->caps[i].key);
			goto done;
		}
		for (j = 0; j < i; j++)
			if ((d->caps[i].model != NULL && d->caps[j].model != NULL &&
			    strcmp(d->caps[i].model, d->caps[j].model) == 0) ||
			    (d->caps[i].key != NULL && d->caps[j].key != NULL &&
			    strcmp(d->caps[i].key, d->caps[j].key) == 0)) {
				snprintf(path, sizeof(path), "caps[%d]", i);
				jc_fail(jc, &caps->v[i], path, "a second cap on "
				    "\"%.64s\" (also caps[%d])",
				    d->caps[i].model != NULL ? d->caps[i].model :
				    d->caps[i].key, j);
				goto done;
			}
	}
	rc = 0;
 done:
	free(mi);
	free(ci);
	free(ai);
	free(ki);
	return rc;
}

static void
strv_free(char **v, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
export_free(struct export_doc *d)
{
	int	 i;

	free(d->default_model);
	for (i = 0; i < d->nmodels; i++) {
		free(d->models[i].id);
		free(d->models[i].reason);
		free(d->models[i].label);
		strv_free(d->models[i].aliases, d->models[i].naliases);
		strv_free(d->models[i].tags, d->models[i].ntags);
	}
	free(d->models);
	for (i = 0; i < d->ncollections; i++) {
		free(d->collections[i].name);
		strv_free(d->collections[i].models, d->collections[i].nmodels);
	}
	free(d->collections);
	for (i = 0; i < d->ncaps; i++) {
		free(d->caps[i].model);
		free(d->caps[i].key);
	}
	free(d->caps);
	for (i = 0; i < d->nkeys; i++) {
		free(d->keys[i].name);
		free(d->keys[i].collection);
		strv_free(d->keys[i].models, d->keys[i].nmodels);
		free(d->keys[i].note);
	}
	free(d->keys);
	memset(d, 0, sizeof(*d));
}

int
export_parse(const char *data, size_t len, struct export_doc *doc, char *err,
    size_t errlen)
{
	struct jp	 jp;
	struct jc	 jc;
	struct jv	 top;
	int		 rc;

	memset(doc, 0, sizeof(*doc));
	memset(&top, 0, sizeof(top));
	if (errlen > 0)
		err[0] = '\0';
	if (len > EXPORT_MAX_BYTES) {
		snprintf(err, errlen, "the file is larger than %u bytes",
		    EXPORT_MAX_BYTES);
		return -1;
	}
	memset(&jp, 0, sizeof(jp));
	jp.p = data;
	jp.end = data + len;
	jp.line = 1;
	jp.err = err;
	jp.errlen = errlen;
	if (jp_value(&jp, &top) == -1) {
		jv_free(&top);
		return -1;
	}
	jp_ws(&jp);
	if (jp.p != jp.end) {
		jv_free(&top);
		return jp_fail(&jp, "bytes after the end of the document");
	}
	jc.err = err;
	jc.errlen = errlen;
	jc.doc = doc;
	rc = jc_doc(&jc, &top);
	jv_free(&top);
	if (rc == -1)
		export_free(doc);
	return rc;
}

struct export_model *
export_find_model(const struct export_doc *d, const char *id)
{
	int	 lo = 0, hi = d->nmodels - 1, mid, c;

	while (lo <= hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(d->models[mid].id, id)) == 0)
			return &d->models[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

struct export_collection *
export_find_collection(const struct export_doc *d, const char *name)
{
	int	 i;

	for (i = 0; i < d->ncollections; i++)
		if (strcmp(d->collections[i].name, name) == 0)
			return &d->collections[i];
	return NULL;
}

struct export_key *
export_find_key(const struct export_doc *d, const char *name)
{
	int	 i;

	for (i = 0; i < d->nkeys; i++)
		if (strcmp(d->keys[i].name, name) == 0)
			return &d->keys[i];
	return NULL;
}

/* Caps are on a model or on a key, never both (export_parse checks). */
struct export_cap *
export_find_cap(const struct export_doc *d, const struct export_cap *c)
{
	int	 i;

	for (i = 0; i < d->ncaps; i++)
		if ((c->model != NULL && d->caps[i].model != NULL &&
		    strcmp(d->caps[i].model, c->model) == 0) ||
		    (c->key != NULL && d->caps[i].key != NULL &&
		    strcmp(d->caps[i].key, c->key) == 0))
			return &d->caps[i];
	return NULL;
}
