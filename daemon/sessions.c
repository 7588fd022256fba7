/* sessions.c: RESOLVE's live sessions in memory: a hash by (key, id), one list in the order sessions took their place, renewals moved there lazily (so expiry is a walk from its head), and a live count per model. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sessions.h"

/* A model that sessions are on: its live count, and how many sessions name it. */
struct smodel {
	struct smodel	*hnext;
	size_t		 count;		/* live sessions that count for it */
	size_t		 refs;		/* sessions (any state) that point here */
	char		 id[];
};

struct session {
	struct session	*hnext;
	struct session	*prev, *next;	/* the live list, or the ended list */
	struct smodel	*m;
	int64_t		 key;
	int64_t		 renewed;
	/*
	 * When it took its place in the live list: the list is in this
	 * order, and placed <= renewed. A renewal only moves renewed; the
	 * prune walk moves a session to the tail once its place is a TTL
	 * old but its renewal is not (issue 9 item 7: unlinking and
	 * appending on every RESOLVE wrote two neighbours, cold cache lines
	 * at 100k sessions, a tenth of a RESOLVE with a session).
	 */
	int64_t		 placed;
	int64_t		 written;	/* the renewal the database has (0: none) */
	unsigned	 dirty:1;	/* opened, renewed or moved: to write */
	unsigned	 ended:1;	/* released: to delete, then free */
	unsigned	 orphan:1;	/* its model was deleted: counts nowhere */
	char		 sid[];
};

struct slist {
	struct session	*head, *tail;
	size_t		 n;
};

struct sessions {
	struct session	**sb;		/* sessions by (key, sid) */
	size_t		  nsb;		/* buckets, a power of two */
	struct smodel	**mb;		/* models by id */
	size_t		  nmb;
	size_t		  nmodels;
	struct slist	  live;		/* oldest renewal first */
	struct slist	  ended;
	size_t		  ndirty;
	size_t		  npruned;	/* expired since the last clean: rows to prune */
	int64_t		  ttl;
	size_t		  max;
};

int
sessions_id_valid(const char *s)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= SESSION_ID_MAX)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		    c == '-' || c == ':'))
			return 0;
	}
	return n > 0;
}

/* FNV-1a: the inputs are bounded (a validated id, a model id). */
static uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char	*c = p;

	while (n-- > 0) {
		h ^= *c++;
		h *= 1099511628211ULL;
	}
	return h;
}

static uint64_t
hash_session(int64_t key, const char *sid)
{
	return hash_bytes(hash_bytes(14695981039346656037ULL, &key,
	    sizeof(key)), sid, strlen(sid));
}

static uint64_t
hash_model(const char *id)
{
	return hash_bytes(14695981039346656037ULL, id, strlen(id));
}

struct sessions *
sessions_new(int64_t ttl, size_t max)
{
	struct sessions	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->nsb = 64;
	t->nmb = 16;
	if ((t->sb = calloc(t->nsb, sizeof(*t->sb))) == NULL ||
	    (t->mb = calloc(t->nmb, sizeof(*t->mb))) == NULL) {
		free(t->sb);
		free(t);
		return NULL;
	}
	sessions_set_limits(t, ttl, max);
	return t;
}

void
sessions_set_limits(struct sessions *t, int64_t ttl, size_t max)
{
	t->ttl = ttl > 0 ? ttl : 1;
	t->max = max > 0 ? max : 1;
}

void
sessions_free(struct sessions *t)
{
	struct session	*s, *n;
	struct smodel	*m, *mn;
	size_t		 i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nsb; i++)
		for (s = t->sb[i]; s != NULL; s = n) {
			n = s->hnext;
			free(s);
		}
	for (i = 0; i < t->nmb; i++)
		for (m = t->mb[i]; m != NULL; m = mn) {
			mn = m->hnext;
			free(m);
		}
	free(t->sb);
	free(t->mb);
	free(t);
}

static void
slist_remove(struct slist *l, struct session *s)
{
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		l->head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		l->tail = s->prev;
	s->prev = s->next = NULL;
	l->n--;
}

static void
slist_append(struct slist *l, struct session *s)
{
	s->next = NULL;
	s->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = s;
	else
		l->head = s;
	l->tail = s;
	l->n++;
}

/* Double a table of buckets (each entry's first member is its next pointer). */
static int
rehash(void ***bp, size_t *np, uint64_t (*h)(const void *))
{
	void	**old = *bp, **nb;
	size_t	  i, n = *np * 2;

	if ((nb = calloc(n, sizeof(*nb))) == NULL)
		return -1;	/* longer chains, still correct */
	for (i = 0; i < *np; i++)
		while (old[i] != NULL) {
			void	**e = old[i];

			old[i] = *e;
			*e = nb[h(e) & (n - 1)];
			nb[h(e) & (n - 1)] = e;
		}
	free(old);
	*bp = nb;
	*np = n;
	return 0;
}

static uint64_t
hash_session_e(const void *e)
{
	const struct session	*s = e;

	return hash_session(s->key, s->sid);
}

static uint64_t
hash_model_e(const void *e)
{
	const struct smodel	*m = e;

	return hash_model(m->id);
}

static struct session **
find_session(struct sessions *t, int64_t key, const char *sid)
{
	struct session	**sp;

	sp = &t->sb[hash_session(key, sid) & (t->nsb - 1)];
	for (; *sp != NULL; sp = &(*sp)->hnext)
		if ((*sp)->key == key && strcmp((*sp)->sid, sid) == 0)
			return sp;
	return sp;
}

static struct smodel *
model_ref(struct sessions *t, const char *id)
{
	struct smodel	*m;
	size_t		 len = strlen(id), b;

	b = hash_model(id) & (t->nmb - 1);
	for (m = t->mb[b]; m != NULL; m = m->hnext)
		if (strcmp(m->id, id) == 0) {
			m->refs++;
			return m;
		}
	if ((m = calloc(1, sizeof(*m) + len + 1)) == NULL)
		return NULL;
	memcpy(m->id, id, len + 1);
	m->refs = 1;
	m->hnext = t->mb[b];
	t->mb[b] = m;
	if (++t->nmodels > t->nmb)
		(void)rehash((void ***)&t->mb, &t->nmb, hash_model_e);
	return m;
}

static void
model_unref(struct sessions *t, struct smodel *m)
{
	struct smodel	**mp;

	if (--m->refs > 0)
		return;
	for (mp = &t->mb[hash_model(m->id) & (t->nmb - 1)]; *mp != NULL;
	    mp = &(*mp)->hnext)
		if (*mp == m) {
			*mp = m->hnext;
			break;
		}
	t->nmodels--;
	free(m);
}

static struct smodel *
model_find(struct sessions *t, const char *id)
{
	struct smodel	*m;

	for (m = t->mb[hash_model(id) & (t->nmb - 1)]; m != NULL;
	    m = m->hnext)
		if (strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

/* Unlink s from the hash and its list and free it. */
static void
session_free(struct sessions *t, struct session *s)
{
	struct session	**sp = find_session(t, s->key, s->sid);

	if (*sp == s)
		*sp = s->hnext;
	slist_remove(s->ended ? &t->ended : &t->live, s);
	if (!s->ended && !s->orphan)
		s->m->count--;
	if (s->dirty)
		t->ndirty--;
	model_unref(t, s->m);
	free(s);
}

static int
expired(const struct sessions *t, const struct session *s, int64_t now)
{
	return s->renewed + t->ttl <= now;
}

void
sessions_prune(struct sessions *t, int64_t now)
{
	struct session	*s;

	/*
	 * The list is in placed order and placed <= renewed, so every
	 * expired session is in the prefix whose place is a TTL old. Of
	 * those, the expired go and the renewed since take their place at
	 * the tail (each at most once a TTL).
	 */
	while ((s = t->live.head) != NULL && s->placed + t->ttl <= now) {
		if (expired(t, s, now)) {
			session_free(t, s);
			t->npruned++;
			continue;
		}
		slist_remove(&t->live, s);
		s->placed = s->renewed;
		slist_append(&t->live, s);
	}
}

const char *
sessions_model(struct sessions *t, int64_t key, const char *sid, int64_t now)
{
	struct session	*s;

	sessions_prune(t, now);
	s = *find_session(t, key, sid);
	if (s == NULL || s->ended)
		return NULL;
	return s->m->id;
}

/* Set s's model (a reference taken) and mark it. */
static int
session_place(struct sessions *t, struct session *s, const char *model)
{
	struct smodel	*m;

	if (s->m != NULL && !s->orphan && strcmp(s->m->id, model) == 0)
		return 0;
	if ((m = model_ref(t, model)) == NULL)
		return -1;
	if (s->m != NULL) {
		if (!s->orphan && !s->ended)
			s->m->count--;
		model_unref(t, s->m);
	}
	s->m = m;
	s->orphan = 0;
	m->count++;
	return 0;
}

/* How old a stored renewal may get before a renewal is written: a quarter of the TTL, at most a minute. */
#define SESSIONS_WRITE_SLACK	60

static int64_t
write_slack(const struct sessions *t)
{
	int64_t	 q = t->ttl / 4;

	return q < SESSIONS_WRITE_SLACK ? q : SESSIONS_WRITE_SLACK;
}

static void
mark(struct sessions *t, struct session *s)
{
	if (!s->dirty) {
		s->dirty = 1;
		t->ndirty++;
	}
}

static int
session_new(struct sessions *t, int64_t key, const char *sid,
    const char *model, int64_t when, int orphan, struct session **out)
{
	struct session	**sp, *s;
	size_t		 len = strlen(sid);

	if (t->live.n + t->ended.n >= t->max)
		return 1;
	if ((s = calloc(1, sizeof(*s) + len + 1)) == NULL)
		return -1;
	memcpy(s->sid, sid, len + 1);
	s->key = key;
	s->renewed = s->placed = when;
	if ((s->m = model_ref(t, model)) == NULL) {
		free(s);
		return -1;
	}
	s->orphan = orphan != 0;
	if (!s->orphan)
		s->m->count++;
	sp = find_session(t, key, sid);
	s->hnext = NULL;
	*sp = s;
	slist_append(&t->live, s);
	if (t->live.n + t->ended.n > t->nsb)
		(void)rehash((void ***)&t->sb, &t->nsb, hash_session_e);
	*out = s;
	return 0;
}

int
sessions_touch(struct sessions *t, int64_t key, const char *sid,
    const char *model, int64_t now)
{
	struct session	*s;
	int		 r, reopened, moved;

	sessions_prune(t, now);
	s = *find_session(t, key, sid);
	if (s == NULL) {
		if ((r = session_new(t, key, sid, model, now, 0, &s)) != 0)
			return r;
		mark(t, s);
		return 0;
	}
	reopened = s->ended;
	if (s->ended) {
		/* Released, not yet written: open again in place. */
		slist_remove(&t->ended, s);
		s->ended = 0;
		if (!s->orphan)
			s->m->count++;
		s->placed = now;
		slist_append(&t->live, s);
	}
	/* A renewal stays where it is in the list: sessions_prune moves it. */
	if (now > s->renewed)
		s->renewed = now;
	/*
	 * Issue 9 item 7: a plain renewal is written only once the stored
	 * one is write_slack old, so a busy session costs one upsert a
	 * minute, not one a second; opening, moving and reopening are
	 * written at once. What the database may lag by is only the
	 * read-back after a crash (a session ends up to the slack early);
	 * a clean stop writes every renewal (sessions_mark_renewed).
	 */
	/* One compare: the model's id is a cold line at 100k sessions. */
	moved = s->orphan || strcmp(s->m->id, model) != 0;
	if (reopened || moved || now - s->written >= write_slack(t))
		mark(t, s);
	/* Out of memory: renewed, on its old model. */
	return moved ? session_place(t, s, model) : 0;
}

uint64_t
sessions_pre_start(const struct sessions *t, int64_t key, const char *sid)
{
	uint64_t	 h = hash_session(key, sid);

	__builtin_prefetch(&t->sb[h & (t->nsb - 1)]);
	return h;
}

void
sessions_pre_entry(const struct sessions *t, uint64_t h)
{
	const char	*s = (const char *)t->sb[h & (t->nsb - 1)];

	/* Its links and times, then its id (at 72 bytes in). */
	if (s != NULL) {
		__builtin_prefetch(s);
		__builtin_prefetch(s + 64);
	}
}

void
sessions_pre_model(const struct sessions *t, uint64_t h, int64_t key)
{
	const struct session	*s = t->sb[h & (t->nsb - 1)];

	if (s == NULL)
		return;
	if (s->key == key)
		__builtin_prefetch(s->m);
	else if (s->hnext != NULL)
		__builtin_prefetch(s->hnext);
}

int
sessions_release(struct sessions *t, int64_t key, const char *sid,
    int64_t now)
{
	struct session	*s;

	sessions_prune(t, now);
	s = *find_session(t, key, sid);
	if (s == NULL || s->ended)
		return 0;
	slist_remove(&t->live, s);
	if (!s->orphan)
		s->m->count--;
	s->ended = 1;
	slist_append(&t->ended, s);
	mark(t, s);
	return 1;
}

size_t
sessions_count(struct sessions *t, const char *model, int64_t now)
{
	struct smodel	*m;

	sessions_prune(t, now);
	return (m = model_find(t, model)) != NULL ? m->count : 0;
}

size_t
sessions_live(struct sessions *t, int64_t now)
{
	sessions_prune(t, now);
	return t->live.n;
}

void
sessions_model_gone(struct sessions *t, const char *model)
{
	struct smodel	*m;
	struct session	*s;

	if ((m = model_find(t, model)) == NULL || m->count == 0)
		return;
	/* Rare (a forced DELETE): a walk of the live list. */
	for (s = t->live.head; s != NULL; s = s->next)
		if (s->m == m && !s->orphan) {
			s->orphan = 1;
			mark(t, s);
		}
	m->count = 0;
}

int
sessions_load(struct sessions *t, int64_t key, const char *sid,
    const char *model, int64_t renewed_at, int orphan)
{
	struct session	*s;
	int		 r;

	if (!sessions_id_valid(sid) || *find_session(t, key, sid) != NULL)
		return 0;	/* not ours to judge: skip it */
	if ((r = session_new(t, key, sid, model, renewed_at, orphan, &s)) == 0)
		s->written = renewed_at;
	return r;
}

void
sessions_mark_renewed(struct sessions *t)
{
	struct session	*s;

	for (s = t->live.head; s != NULL; s = s->next)
		if (s->renewed != s->written)
			mark(t, s);
}

int
sessions_write(struct sessions *t, const struct sessions_writer *w)
{
	struct session	*s;

	for (s = t->ended.head; s != NULL; s = s->next)
		if (w->del(w->arg, s->key, s->sid) == -1)
			return -1;
	for (s = t->live.head; s != NULL; s = s->next)
		if (s->dirty && w->put(w->arg, s->key, s->sid, s->m->id,
		    s->renewed, s->orphan) == -1)
			return -1;
	return 0;
}

void
sessions_clean(struct sessions *t)
{
	struct session	*s;

	while (t->ended.head != NULL)
		session_free(t, t->ended.head);
	for (s = t->live.head; s != NULL; s = s->next) {
		if (s->dirty)
			s->written = s->renewed;
		s->dirty = 0;
	}
	t->ndirty = 0;
	t->npruned = 0;
}

size_t
sessions_pending(struct sessions *t)
{
	/* An expiry is work too: the batch prunes the stored rows. */
	return t->ndirty + t->npruned;
}

int
sessions_each_model(struct sessions *t, int64_t now,
    int (*cb)(const char *model, size_t count, void *arg), void *arg)
{
	struct smodel	*m;
	size_t		 i;

	sessions_prune(t, now);
	for (i = 0; i < t->nmb; i++)
		for (m = t->mb[i]; m != NULL; m = m->hnext)
			if (m->count > 0 && cb(m->id, m->count, arg) != 0)
				return -1;
	return 0;
}
