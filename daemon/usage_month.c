/* usage_month.c: the month's usage per model in memory (usage_month.h): a chained hash of model ids, grown by doubling. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "usage_month.h"

struct uentry {
	struct uentry		*next;
	uint64_t		 h;
	struct usage_totals	 t;
	char			 id[];
};

struct umonth {
	struct uentry	**b;
	size_t		  nb, n;
	int64_t		  day0;
	int		  stale;	/* an add failed: answers come from the rollup */
};

static uint64_t
hash(const char *s)
{
	uint64_t	 h = 1469598103934665603ULL;	/* FNV-1a */

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static void
entries_free(struct umonth *u)
{
	struct uentry	*e, *next;
	size_t		 i;

	for (i = 0; i < u->nb; i++)
		for (e = u->b[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	free(u->b);
	u->b = NULL;
	u->nb = u->n = 0;
}

struct umonth *
umonth_new(void)
{
	struct umonth	*u;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->day0 = -1;
	return u;
}

void
umonth_free(struct umonth *u)
{
	if (u == NULL)
		return;
	entries_free(u);
	free(u);
}

void
umonth_reset(struct umonth *u, int64_t day0)
{
	entries_free(u);
	u->day0 = day0;
	u->stale = 0;
}

int64_t
umonth_day0(const struct umonth *u)
{
	return u->day0;
}

static struct uentry *
find(const struct umonth *u, const char *model, uint64_t h)
{
	struct uentry	*e;

	if (u->nb == 0)
		return NULL;
	for (e = u->b[h & (u->nb - 1)]; e != NULL; e = e->next)
		if (e->h == h && strcmp(e->id, model) == 0)
			return e;
	return NULL;
}

static int
grow(struct umonth *u)
{
	struct uentry	**nb, *e, *next;
	size_t		  n = u->nb == 0 ? 256 : u->nb * 2, i;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return -1;
	for (i = 0; i < u->nb; i++)
		for (e = u->b[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->h & (n - 1)];
			nb[e->h & (n - 1)] = e;
		}
	free(u->b);
	u->b = nb;
	u->nb = n;
	return 0;
}

int
umonth_add(struct umonth *u, const char *model, const struct usage_totals *t)
{
	uint64_t	 h = hash(model);
	struct uentry	*e;
	size_t		 len;

	if ((e = find(u, model, h)) == NULL) {
		len = strlen(model);
		if ((u->n + 1 > u->nb && grow(u) == -1) ||
		    (e = calloc(1, sizeof(*e) + len + 1)) == NULL) {
			u->stale = 1;
			return -1;
		}
		memcpy(e->id, model, len + 1);
		e->h = h;
		e->next = u->b[h & (u->nb - 1)];
		u->b[h & (u->nb - 1)] = e;
		u->n++;
	}
	e->t.requests += t->requests;
	e->t.prompt_tokens += t->prompt_tokens;
	e->t.completion_tokens += t->completion_tokens;
	e->t.cost += t->cost;
	return 0;
}

int
umonth_get(struct umonth *u, const char *model, struct usage_totals *t)
{
	struct uentry	*e;

	if (u->stale || u->day0 == -1)
		return -1;
	if ((e = find(u, model, hash(model))) == NULL)
		memset(t, 0, sizeof(*t));
	else
		*t = e->t;
	return 0;
}
