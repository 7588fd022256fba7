/* rcounts.c: RESOLVE's counters in memory: hashes of models and keys with their totals, and of the (model, key) pairs whose counts wait for the writer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rcounts.h"

static const char *const reasons[RC_N] = {
	"requested", "default", "fallback", "failover",
};

const char *
rcounts_reason_name(int r)
{
	return r >= 0 && r < RC_N ? reasons[r] : "?";
}

int
rcounts_reason(const char *s)
{
	int	 i;

	for (i = 0; s != NULL && i < RC_N; i++)
		if (strcmp(s, reasons[i]) == 0)
			return i;
	return -1;
}

/*
 * A model's totals: n, plus the counts of its pairs still waiting
 * (pairs, linked by mnext), which rcounts_clean adds to n when it frees
 * them. A count through a pair so touches neither the model nor its
 * cache line: at 100k models a cold one per RESOLVE.
 */
struct rpair;
struct rmodel {
	struct rmodel	*hnext;
	uint64_t	 h;		/* h_model(id): a chain compares it first */
	uint64_t	 n[RC_N];
	struct rpair	*pairs;
	char		 id[];
};

/* A key's totals and its last use (dirty: to write). */
struct rkey {
	struct rkey	*hnext;
	int64_t		 id;
	uint64_t	 n[RC_N];
	int64_t		 used;
	int64_t		 written;	/* the last use the database has (0: none) */
	int		 dirty;
};

/*
 * Issue 9 item 7: a key's last use is written once the stored one is
 * this old (the first use at once), not every second it is used; key
 * show reads memory (rcounts_last_used), so only a crash loses up to
 * this much of it. rcounts_mark_used writes the rest at stop.
 */
#define RCOUNTS_USED_SLACK	60

/* Counts of one (model, key) waiting for the writer. */
struct rpair {
	struct rpair	*hnext;
	uint64_t	 mh;		/* m->h: the pair is found before its model */
	struct rmodel	*m;
	struct rkey	*k;		/* NULL: no key (models and keys live as long as rc) */
	struct rpair	*mnext;		/* m's next waiting pair */
	int64_t		 key;
	uint64_t	 n[RC_N];
	int64_t		 at;
};

struct htab {
	void	**b;
	size_t	  nb, n;
};

struct rcounts {
	struct htab	 models, keys, pairs;
	uint64_t	 total[RC_N];
	uint64_t	 dropped;
	size_t		 max;
	size_t		 ndirtykeys;
	uint64_t	 epoch;		/* moved when pairs are freed: voids every hint */
};

/*
 * Epochs are drawn from one sequence for every table, so a hint kept
 * from another table (or one freed since) never matches. Tables are
 * used by one thread, the loop's (unit tests: the only thread).
 */
static uint64_t	 epochs;

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*c = p;

	while (n-- > 0) {
		h ^= *c++;
		h *= 1099511628211ULL;
	}
	return h;
}
#define FNV0	14695981039346656037ULL

/* fnv of the string, in the one pass that finds its end. */
static uint64_t
h_model(const char *id)
{
	const unsigned char	*c = (const unsigned char *)id;
	uint64_t		 h = FNV0;

	while (*c != '\0') {
		h ^= *c++;
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t
h_key(int64_t k)
{
	return fnv(FNV0, &k, sizeof(k));
}

static uint64_t
h_pair(uint64_t mh, int64_t k)
{
	return fnv(fnv(FNV0, &mh, sizeof(mh)), &k, sizeof(k));
}

static uint64_t
h_entry(const struct htab *t, const struct rcounts *rc, const void *e)
{
	if (t == &rc->models)
		return ((const struct rmodel *)e)->h;
	if (t == &rc->keys)
		return h_key(((const struct rkey *)e)->id);
	return h_pair(((const struct rpair *)e)->mh,
	    ((const struct rpair *)e)->key);
}

static int
htab_init(struct htab *t, size_t nb)
{
	t->nb = nb;
	t->n = 0;
	return (t->b = calloc(nb, sizeof(*t->b))) != NULL ? 0 : -1;
}

/* Insert e (whose first member is its next pointer) at hash h, growing the table. */
static void
htab_insert(struct rcounts *rc, struct htab *t, void *e, uint64_t h)
{
	void	**ne = e, **nb, **old;
	size_t	  i, n;

	*ne = t->b[h & (t->nb - 1)];
	t->b[h & (t->nb - 1)] = e;
	if (++t->n <= t->nb || (nb = calloc(t->nb * 2, sizeof(*nb))) == NULL)
		return;
	n = t->nb * 2;
	old = t->b;
	for (i = 0; i < t->nb; i++)
		while (old[i] != NULL) {
			void	**x = old[i];
			uint64_t hx = h_entry(t, rc, x);

			old[i] = *x;
			*x = nb[hx & (n - 1)];
			nb[hx & (n - 1)] = x;
		}
	free(old);
	t->b = nb;
	t->nb = n;
}

static void
htab_free(struct htab *t)
{
	size_t	 i;

	for (i = 0; t->b != NULL && i < t->nb; i++)
		while (t->b[i] != NULL) {
			void	**e = t->b[i];

			t->b[i] = *e;
			free(e);
		}
	free(t->b);
	t->b = NULL;
}

struct rcounts *
rcounts_new(size_t max)
{
	struct rcounts	*rc;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	if (htab_init(&rc->models, 64) == -1 || htab_init(&rc->keys, 64) == -1 ||
	    htab_init(&rc->pairs, 64) == -1) {
		rcounts_free(rc);
		return NULL;
	}
	rc->max = max;
	rc->epoch = ++epochs;
	return rc;
}

void
rcounts_free(struct rcounts *rc)
{
	if (rc == NULL)
		return;
	htab_free(&rc->pairs);
	htab_free(&rc->keys);
	htab_free(&rc->models);
	free(rc);
}

static struct rmodel *
get_model_h(struct rcounts *rc, const char *id, uint64_t h, int create)
{
	struct rmodel	*m;
	size_t		 len;

	for (m = rc->models.b[h & (rc->models.nb - 1)]; m != NULL;
	    m = m->hnext)
		if (m->h == h && strcmp(m->id, id) == 0)
			return m;
	if (!create)
		return NULL;
	len = strlen(id);
	if ((m = calloc(1, sizeof(*m) + len + 1)) == NULL)
		return NULL;
	memcpy(m->id, id, len + 1);
	m->h = h;
	htab_insert(rc, &rc->models, m, h);
	return m;
}

static struct rmodel *
get_model(struct rcounts *rc, const char *id, int create)
{
	return get_model_h(rc, id, h_model(id), create);
}

static struct rkey *
get_key(struct rcounts *rc, int64_t id, int create)
{
	struct rkey	*k;
	uint64_t	 h = h_key(id);

	for (k = rc->keys.b[h & (rc->keys.nb - 1)]; k != NULL; k = k->hnext)
		if (k->id == id)
			return k;
	if (!create || (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->id = id;
	htab_insert(rc, &rc->keys, k, h);
	return k;
}

/*
 * One count into k (NULL: no key) and p, which m's totals include; with
 * no p (not kept for the writer), into m itself.
 */
static void
count_into(struct rcounts *rc, struct rmodel *m, struct rkey *k,
    struct rpair *p, int reason, int64_t now)
{
	if (p == NULL)
		m->n[reason]++;
	rc->total[reason]++;
	if (k != NULL) {
		k->n[reason]++;
		if (now > k->used) {
			k->used = now;
			if (!k->dirty && (k->written == 0 ||
			    now - k->written >= RCOUNTS_USED_SLACK)) {
				k->dirty = 1;
				rc->ndirtykeys++;
			}
		}
	}
	if (p != NULL) {
		p->n[reason]++;
		p->at = now;
	}
}

/*
 * The pair of (model, key), made if need be. NULL when it cannot be:
 * *r is 1 at the bound (*mp and *kp then say where the count still
 * goes: shown, not written), -1 out of memory.
 */
static struct rpair *
get_pair(struct rcounts *rc, const char *model, int64_t key,
    struct rmodel **mp, struct rkey **kp, int *r)
{
	struct rmodel	*m = NULL;
	struct rkey	*k = NULL;
	struct rpair	*p;
	uint64_t	 mh, h;

	/*
	 * The pair first: most counts are for a pair counted before in this
	 * batch, whose model it points to, so the model table (a cold
	 * lookup and a string compare at 100k models: a tenth of a RESOLVE)
	 * is read only for the first count of a pair.
	 */
	mh = h_model(model);
	h = h_pair(mh, key);
	for (p = rc->pairs.b[h & (rc->pairs.nb - 1)]; p != NULL; p = p->hnext)
		if (p->mh == mh && p->key == key &&
		    strcmp(p->m->id, model) == 0)
			return p;
	*r = -1;
	*mp = NULL;
	*kp = NULL;
	if ((m = get_model_h(rc, model, mh, 1)) == NULL ||
	    (key != 0 && (k = get_key(rc, key, 1)) == NULL))
		return NULL;
	*mp = m;
	*kp = k;
	if (rc->pairs.n >= rc->max || (p = calloc(1, sizeof(*p))) == NULL) {
		rc->dropped++;
		if (rc->pairs.n >= rc->max)
			*r = 1;
		return NULL;
	}
	p->m = m;
	p->k = k;
	p->mh = mh;
	p->key = key;
	p->mnext = m->pairs;
	m->pairs = p;
	htab_insert(rc, &rc->pairs, p, h);
	return p;
}

int
rcounts_add_hint(struct rcounts *rc, struct rcounts_hint *hint,
    const char *model, int64_t key, int reason, int64_t now)
{
	struct rmodel	*m;
	struct rkey	*k;
	struct rpair	*p;
	int		 r = 0;

	if (reason < 0 || reason >= RC_N)
		return -1;
	if (hint != NULL && hint->pair != NULL && hint->epoch == rc->epoch &&
	    ((struct rpair *)hint->pair)->key == key) {
		p = hint->pair;
		count_into(rc, p->m, p->k, p, reason, now);
		return 0;
	}
	if ((p = get_pair(rc, model, key, &m, &k, &r)) == NULL) {
		/* No pair: the totals move all the same (shown, not written). */
		if (m != NULL)
			count_into(rc, m, k, NULL, reason, now);
		return r;
	}
	count_into(rc, p->m, p->k, p, reason, now);
	if (hint != NULL) {
		hint->pair = p;
		hint->epoch = rc->epoch;
	}
	return 0;
}

void
rcounts_hint_prefetch(const struct rcounts *rc, const struct rcounts_hint *hint,
    int stage)
{
	const struct rpair	*p = hint->pair;

	if (rc == NULL || p == NULL || hint->epoch != rc->epoch)
		return;
	if (stage == 0)
		__builtin_prefetch(p);
	else if (p->k != NULL)
		__builtin_prefetch(p->k);
}

int
rcounts_add(struct rcounts *rc, const char *model, int64_t key, int reason,
    int64_t now)
{
	return rcounts_add_hint(rc, NULL, model, key, reason, now);
}

int
rcounts_load_model(struct rcounts *rc, const char *model, int reason,
    uint64_t n)
{
	struct rmodel	*m;

	if (reason < 0 || reason >= RC_N)
		return 0;
	if ((m = get_model(rc, model, 1)) == NULL)
		return -1;
	m->n[reason] += n;
	rc->total[reason] += n;		/* every count has a model; not every one a key */
	return 0;
}

int
rcounts_load_key(struct rcounts *rc, int64_t key, int reason, uint64_t n,
    int64_t last_used)
{
	struct rkey	*k;

	if ((k = get_key(rc, key, 1)) == NULL)
		return -1;
	if (reason >= 0 && reason < RC_N)
		k->n[reason] += n;
	if (last_used > k->used)
		k->used = last_used;
	if (k->used > k->written)
		k->written = k->used;
	return 0;
}

void
rcounts_mark_used(struct rcounts *rc)
{
	struct rkey	*k;
	size_t		 i;

	for (i = 0; i < rc->keys.nb; i++)
		for (k = rc->keys.b[i]; k != NULL; k = k->hnext)
			if (!k->dirty && k->used > k->written) {
				k->dirty = 1;
				rc->ndirtykeys++;
			}
}

void
rcounts_model(struct rcounts *rc, const char *model, uint64_t *n)
{
	struct rmodel	*m = get_model(rc, model, 0);
	struct rpair	*p;
	int		 r;

	if (m == NULL) {
		memset(n, 0, sizeof(uint64_t) * RC_N);
		return;
	}
	memcpy(n, m->n, sizeof(m->n));
	for (p = m->pairs; p != NULL; p = p->mnext)
		for (r = 0; r < RC_N; r++)
			n[r] += p->n[r];
}

void
rcounts_key(struct rcounts *rc, int64_t key, uint64_t *n)
{
	struct rkey	*k = get_key(rc, key, 0);

	if (k != NULL)
		memcpy(n, k->n, sizeof(k->n));
	else
		memset(n, 0, sizeof(uint64_t) * RC_N);
}

void
rcounts_total(struct rcounts *rc, uint64_t *n)
{
	memcpy(n, rc->total, sizeof(rc->total));
}

int64_t
rcounts_last_used(struct rcounts *rc, int64_t key)
{
	struct rkey	*k = get_key(rc, key, 0);

	return k != NULL ? k->used : 0;
}

uint64_t
rcounts_dropped(struct rcounts *rc)
{
	return rc->dropped;
}

int
rcounts_write(struct rcounts *rc, const struct rcounts_writer *w)
{
	struct rpair	*p;
	struct rkey	*k;
	size_t		 i;
	int		 r;

	for (i = 0; i < rc->pairs.nb; i++)
		for (p = rc->pairs.b[i]; p != NULL; p = p->hnext)
			for (r = 0; r < RC_N; r++)
				if (p->n[r] > 0 && w->count(w->arg, p->m->id,
				    p->key, r, p->n[r], p->at) == -1)
					return -1;
	if (rc->ndirtykeys == 0)
		return 0;
	for (i = 0; i < rc->keys.nb; i++)
		for (k = rc->keys.b[i]; k != NULL; k = k->hnext)
			if (k->dirty && w->used(w->arg, k->id, k->used) == -1)
				return -1;
	return 0;
}

void
rcounts_clean(struct rcounts *rc)
{
	struct rkey	*k;
	size_t		 i;

	/* Free the pairs, their counts into their models; keep the buckets: no allocation here. */
	for (i = 0; i < rc->pairs.nb; i++)
		while (rc->pairs.b[i] != NULL) {
			struct rpair	*p = rc->pairs.b[i];
			int		 r;

			rc->pairs.b[i] = p->hnext;
			for (r = 0; r < RC_N; r++)
				p->m->n[r] += p->n[r];
			p->m->pairs = NULL;
			free(p);
		}
	rc->pairs.n = 0;
	rc->epoch = ++epochs;
	if (rc->ndirtykeys > 0)
		for (i = 0; i < rc->keys.nb; i++)
			for (k = rc->keys.b[i]; k != NULL; k = k->hnext) {
				if (k->dirty)
					k->written = k->used;
				k->dirty = 0;
			}
	rc->ndirtykeys = 0;
}

size_t
rcounts_pending(struct rcounts *rc)
{
	return rc->pairs.n + rc->ndirtykeys;
}
