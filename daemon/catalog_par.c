/* catalog_par.c: a plain catalog format's per-element SELECT on helper threads, each with its own in-memory connection; the rows come back in the order the elements were read. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "catalog_int.h"
#include "catalog_par.h"

/*
 * Why (issue 8, import speed): a 100k OpenRouter catalog's parse is about
 * 100,000 evaluations of the format's SELECT, SQLite's JSON functions
 * reading each element, and they were most of a third of a seed on the
 * one import thread while the machine's other core idled. The elements
 * go to the helpers in batches through a ring of slots; the worker keeps
 * splitting the body and inserts the rows of each finished batch, in
 * order. The memory is the ring's: a batch holds at most CPAR_BATCH
 * elements or about CPAR_BATCH_BYTES of them (one element may be larger,
 * up to catalog.c's bound on a piece), plus their rows.
 */
#define CPAR_BATCH		128
#define CPAR_BATCH_BYTES	(256 * 1024)
#define CPAR_SLOTS		(2 * CPAR_HELPERS_MAX + 2)

enum cpar_state {
	CB_FILL,	/* the worker's, being filled or free */
	CB_READY,	/* queued for a helper */
	CB_BUSY,	/* a helper's */
	CB_DONE,	/* rows ready for the worker */
};

/* A value as a helper stored it: text as an offset into the batch's arena. */
struct cpar_out {
	int		 type;
	int64_t		 i;
	double		 r;
	size_t		 off;
	int		 n;
};

struct cpar_batch {
	enum cpar_state	 state;
	int		 n;
	char		*in;		/* the elements, each NUL-terminated */
	size_t		 inlen, incap;
	size_t		 at[CPAR_BATCH];
	size_t		 len[CPAR_BATCH];
	uint64_t	 index[CPAR_BATCH];
	int		 rc[CPAR_BATCH];
	struct cpar_out	*out;		/* CPAR_BATCH * ncol */
	char		*arena;
	size_t		 alen, acap;
	int		 failed;
	char		 err[200];
};

struct cpar_helper {
	struct cpar	*p;
	pthread_t	 th;
	int		 started;
	sqlite3		*db;
	sqlite3_stmt	*st;
};

struct cpar {
	pthread_mutex_t		 mu;
	pthread_cond_t		 work;		/* a slot became READY, or quit */
	pthread_cond_t		 done;		/* a slot became DONE */
	int			 ncol;
	struct cpar_batch	 slot[CPAR_SLOTS];
	int			 head;		/* oldest queued, not drained */
	int			 fill;		/* the worker's */
	int			 take;		/* the next one a helper takes */
	int			 pending;	/* queued, not drained */
	int			 quit;
	int			 nhelp;
	struct cpar_helper	 help[CPAR_HELPERS_MAX];
	struct cpar_val		 vals[64];	/* one row for cpar_fn */
	char			 err[200];
};

int
cpar_helpers(void)
{
	long	 n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n <= 1)
		return 0;
	return n - 1 > CPAR_HELPERS_MAX ? CPAR_HELPERS_MAX : (int)(n - 1);
}

/* Room for need more bytes at *buf: 0, or -1. */
static int
cpar_grow(char **buf, size_t *cap, size_t len, size_t need)
{
	size_t	 ncap;
	char	*nb;

	if (len + need <= *cap)
		return 0;
	ncap = *cap == 0 ? 64 * 1024 : *cap;
	while (ncap < len + need)
		ncap *= 2;
	if ((nb = realloc(*buf, ncap)) == NULL)
		return -1;
	*buf = nb;
	*cap = ncap;
	return 0;
}

/* Evaluate the batch's elements on the helper's statement (no lock held). */
static void
cpar_run(struct cpar_helper *h, struct cpar_batch *b, int ncol)
{
	sqlite3_stmt	*st = h->st;
	struct cpar_out	*o;
	const char	*text;
	int		 i, c, rc, n;

	b->alen = 0;
	for (i = 0; i < b->n; i++) {
		text = b->in + b->at[i];
		/* Said NUL-terminated when it is (catalog.c, cat_bind_piece). */
		if (sqlite3_bind_text(st, 1, text, memchr(text, '\0',
		    b->len[i]) == NULL ? -1 : (int)b->len[i],
		    SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_int64(st, 2, (sqlite3_int64)b->index[i]) !=
		    SQLITE_OK)
			goto fail;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			o = b->out + (size_t)i * ncol;
			for (c = 0; c < ncol; c++) {
				o[c].type = sqlite3_column_type(st, c);
				switch (o[c].type) {
				case SQLITE_INTEGER:
					o[c].i = sqlite3_column_int64(st, c);
					break;
				case SQLITE_FLOAT:
					o[c].r = sqlite3_column_double(st, c);
					break;
				case SQLITE_NULL:
					break;
				default:
					/* The SELECT gives no blob: text either way. */
					o[c].type = SQLITE_TEXT;
					text = (const char *)
					    sqlite3_column_text(st, c);
					n = sqlite3_column_bytes(st, c);
					if (text == NULL || cpar_grow(&b->arena,
					    &b->acap, b->alen, (size_t)n + 1) == -1) {
						snprintf(b->err, sizeof(b->err),
						    "out of memory");
						b->failed = 1;
						sqlite3_reset(st);
						goto out;
					}
					memcpy(b->arena + b->alen, text, (size_t)n);
					b->arena[b->alen + n] = '\0';
					o[c].off = b->alen;
					o[c].n = n;
					b->alen += (size_t)n + 1;
				}
			}
		} else if (rc != SQLITE_DONE)
			goto fail;
		b->rc[i] = rc;
		sqlite3_reset(st);
	}
	goto out;
fail:
	snprintf(b->err, sizeof(b->err), "%s", sqlite3_errmsg(h->db));
	b->failed = 1;
	sqlite3_reset(st);
out:
	sqlite3_clear_bindings(st);
}

static void *
cpar_main(void *arg)
{
	struct cpar_helper	*h = arg;
	struct cpar		*p = h->p;
	struct cpar_batch	*b;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && p->slot[p->take].state != CB_READY)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->quit)
			break;
		b = &p->slot[p->take];
		b->state = CB_BUSY;
		p->take = (p->take + 1) % CPAR_SLOTS;
		pthread_mutex_unlock(&p->mu);
		cpar_run(h, b, p->ncol);
		pthread_mutex_lock(&p->mu);
		b->state = CB_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct cpar *
cpar_start(const char *sql, int ncol, int n)
{
	struct cpar	*p;
	int		 i;

	if (n < 1 || n > CPAR_HELPERS_MAX || ncol < 1 ||
	    ncol > (int)(sizeof(p->vals) / sizeof(p->vals[0])))
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->ncol = ncol;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->work, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	if (pthread_cond_init(&p->done, NULL) != 0) {
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	for (i = 0; i < CPAR_SLOTS; i++)
		if ((p->slot[i].out = calloc(CPAR_BATCH,
		    sizeof(struct cpar_out) * (size_t)ncol)) == NULL)
			goto fail;
	/*
	 * The connections are opened and the statement prepared here, so
	 * that a helper cannot fail to start; each is then used by its
	 * helper thread alone (SQLITE_OPEN_NOMUTEX).
	 */
	for (i = 0; i < n; i++) {
		struct cpar_helper *h = &p->help[i];

		h->p = p;
		if (sqlite3_open_v2(":memory:", &h->db, SQLITE_OPEN_READWRITE |
		    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
		    catalog_fn_register(h->db) == -1 ||
		    sqlite3_prepare_v2(h->db, sql, -1, &h->st, NULL) !=
		    SQLITE_OK || sqlite3_column_count(h->st) != ncol)
			goto fail;
		p->nhelp = i + 1;
	}
	for (i = 0; i < n; i++) {
		if (pthread_create(&p->help[i].th, NULL, cpar_main,
		    &p->help[i]) != 0)
			goto fail;
		p->help[i].started = 1;
	}
	return p;
fail:
	p->nhelp = n;
	cpar_stop(p);
	return NULL;
}

/* Queue the worker's slot for the helpers. */
static void
cpar_submit(struct cpar *p)
{
	pthread_mutex_lock(&p->mu);
	p->slot[p->fill].state = CB_READY;
	p->fill = (p->fill + 1) % CPAR_SLOTS;
	p->pending++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

int
cpar_add(struct cpar *p, const char *text, size_t len, uint64_t index)
{
	struct cpar_batch	*b = &p->slot[p->fill];

	if (len > INT32_MAX || cpar_grow(&b->in, &b->incap, b->inlen,
	    len + 1) == -1)
		return -1;
	memcpy(b->in + b->inlen, text, len);
	b->in[b->inlen + len] = '\0';
	b->at[b->n] = b->inlen;
	b->len[b->n] = len;
	b->index[b->n] = index;
	b->n++;
	b->inlen += len + 1;
	if (b->n == CPAR_BATCH || b->inlen >= CPAR_BATCH_BYTES)
		cpar_submit(p);
	return 0;
}

/* Hand a finished batch's rows to fn: 0, fn's non-zero, or -1. */
static int
cpar_rows(struct cpar *p, struct cpar_batch *b, cpar_fn fn, void *arg)
{
	struct cpar_row		 row;
	const struct cpar_out	*o;
	int			 i, c, rc;

	if (b->failed) {
		snprintf(p->err, sizeof(p->err), "%s", b->err);
		return -1;
	}
	row.col = p->vals;
	for (i = 0; i < b->n; i++) {
		row.rc = b->rc[i];
		if (row.rc == SQLITE_ROW) {
			o = b->out + (size_t)i * p->ncol;
			for (c = 0; c < p->ncol; c++) {
				p->vals[c].type = o[c].type;
				p->vals[c].i = o[c].i;
				p->vals[c].r = o[c].r;
				p->vals[c].s = o[c].type == SQLITE_TEXT ?
				    b->arena + o[c].off : NULL;
				p->vals[c].n = o[c].n;
			}
		}
		if ((rc = fn(arg, &row)) != 0)
			return rc;
	}
	return 0;
}

int
cpar_drain(struct cpar *p, int all, cpar_fn fn, void *arg)
{
	struct cpar_batch	*b;
	int			 rc;

	if (all && p->slot[p->fill].n > 0)
		cpar_submit(p);
	while (p->pending > 0) {
		b = &p->slot[p->head];
		pthread_mutex_lock(&p->mu);
		/* Wait only when told to, or when no slot is left to fill. */
		if (b->state != CB_DONE && !all && p->pending < CPAR_SLOTS) {
			pthread_mutex_unlock(&p->mu);
			return 0;
		}
		while (b->state != CB_DONE)
			pthread_cond_wait(&p->done, &p->mu);
		pthread_mutex_unlock(&p->mu);
		rc = cpar_rows(p, b, fn, arg);
		/* The slot is the worker's again, whatever fn said. */
		b->n = 0;
		b->inlen = 0;
		b->failed = 0;
		pthread_mutex_lock(&p->mu);
		b->state = CB_FILL;
		pthread_mutex_unlock(&p->mu);
		p->head = (p->head + 1) % CPAR_SLOTS;
		p->pending--;
		if (rc != 0)
			return rc;
	}
	return 0;
}

const char *
cpar_error(const struct cpar *p)
{
	return p->err;
}

void
cpar_stop(struct cpar *p)
{
	int	 i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nhelp; i++) {
		if (p->help[i].started)
			pthread_join(p->help[i].th, NULL);
		sqlite3_finalize(p->help[i].st);
		sqlite3_close(p->help[i].db);
	}
	for (i = 0; i < CPAR_SLOTS; i++) {
		free(p->slot[i].in);
		free(p->slot[i].out);
		free(p->slot[i].arena);
	}
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
