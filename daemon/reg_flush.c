/* reg_flush.c: RESOLVE's batch as a job (see reg_flush.h): the loop copies what waits, the worker writes it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_sessions.h"
#include "rcounts.h"
#include "reg_flush.h"
#include "reg_int.h"
#include "sessions.h"

enum { FR_DEL, FR_PUT, FR_COUNT, FR_USED };

struct flush_row {
	int		 type;
	int		 reason;	/* FR_COUNT */
	int		 orphan;	/* FR_PUT */
	int64_t		 key;
	int64_t		 at;		/* renewed_at, or the count's or use's time */
	uint64_t	 n;		/* FR_COUNT */
	char		*sid;		/* FR_DEL, FR_PUT */
	char		*model;		/* FR_PUT, FR_COUNT */
};

struct flush_job {
	struct flush_row	*rows;
	size_t			 n, cap;
	size_t			 mark;	/* rows before this collect: the carry's */
	int64_t			 prune_before;
	int			 oom;
	int			 failed;	/* the worker's write did not commit */
};

static struct flush_row *
row_new(struct flush_job *j, int type)
{
	struct flush_row	*r;

	if (j->oom)
		return NULL;
	if (j->n == j->cap) {
		size_t	 cap = j->cap == 0 ? 1024 : j->cap * 2;

		if ((r = reallocarray(j->rows, cap, sizeof(*r))) == NULL) {
			j->oom = 1;
			return NULL;
		}
		j->rows = r;
		j->cap = cap;
	}
	r = &j->rows[j->n++];
	memset(r, 0, sizeof(*r));
	r->type = type;
	return r;
}

/* strdup that marks the job out of memory. */
static char *
dup(struct flush_job *j, const char *s)
{
	char	*d;

	if (j->oom)
		return NULL;
	if ((d = strdup(s)) == NULL)
		j->oom = 1;
	return d;
}

static int
c_del(void *arg, int64_t key, const char *sid)
{
	struct flush_job	*j = arg;
	struct flush_row	*r;

	if ((r = row_new(j, FR_DEL)) == NULL)
		return -1;
	r->key = key;
	r->sid = dup(j, sid);
	return j->oom ? -1 : 0;
}

static int
c_put(void *arg, int64_t key, const char *sid, const char *model,
    int64_t renewed_at, int orphan)
{
	struct flush_job	*j = arg;
	struct flush_row	*r;

	if ((r = row_new(j, FR_PUT)) == NULL)
		return -1;
	r->key = key;
	r->at = renewed_at;
	r->orphan = orphan;
	r->sid = dup(j, sid);
	r->model = dup(j, model);
	return j->oom ? -1 : 0;
}

static int
c_count(void *arg, const char *model, int64_t key, int reason, uint64_t n,
    int64_t at)
{
	struct flush_job	*j = arg;
	struct flush_row	*r;

	if ((r = row_new(j, FR_COUNT)) == NULL)
		return -1;
	r->key = key;
	r->reason = reason;
	r->n = n;
	r->at = at;
	r->model = dup(j, model);
	return j->oom ? -1 : 0;
}

static int
c_used(void *arg, int64_t key, int64_t at)
{
	struct flush_job	*j = arg;
	struct flush_row	*r;

	if ((r = row_new(j, FR_USED)) == NULL)
		return -1;
	r->key = key;
	r->at = at;
	return 0;
}

static void
rows_free(struct flush_job *j, size_t from)
{
	size_t	 i;

	for (i = from; i < j->n; i++) {
		free(j->rows[i].sid);
		free(j->rows[i].model);
	}
	j->n = from;
}

struct flush_job *
reg_flush_collect(struct sessions *ses, struct rcounts *rc,
    struct flush_job *carry, int64_t now, int64_t ttl, int counts)
{
	struct sessions_writer	 sw = { c_del, c_put, NULL };
	struct rcounts_writer	 cw = { c_count, c_used, NULL };
	struct flush_job	*j = carry;

	now = reg_clock(now);
	sessions_prune(ses, now);
	if (carry == NULL && sessions_pending(ses) == 0 &&
	    (!counts || rcounts_pending(rc) == 0))
		return NULL;
	if (j == NULL && (j = calloc(1, sizeof(*j))) == NULL)
		return NULL;
	j->mark = j->n;
	j->oom = 0;
	j->prune_before = now - ttl;
	sw.arg = cw.arg = j;
	/*
	 * Copied in the order the direct batch writes them: deletes before
	 * puts (a session ended and opened again), so a carried job's older
	 * rows come first and the newer ones win.
	 */
	if (sessions_write(ses, &sw) == -1 ||
	    (counts && rcounts_write(rc, &cw) == -1)) {
		/* Nothing marked: the memory still holds all of it. */
		rows_free(j, j->mark);
		if (j != carry)
			reg_flush_free(j);
		return NULL;
	}
	sessions_clean(ses);
	if (counts)
		rcounts_clean(rc);
	return j;
}

static int
row_write(sqlite3 *db, const struct flush_row *r)
{
	switch (r->type) {
	case FR_DEL:
		return db_session_del(db, r->key, r->sid);
	case FR_PUT:
		return db_session_put(db, r->key, r->sid, r->model, r->at,
		    r->orphan);
	case FR_COUNT:
		return db_rcount_add(db, r->model, r->key,
		    rcounts_reason_name(r->reason), r->n, r->at);
	default:
		return db_key_used(db, r->key, r->at);
	}
}

/* resolve_counts' key order: model (BINARY, as strcmp), key_id, reason. */
static int
count_cmp(const void *a, const void *b)
{
	const struct flush_row	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->model, y->model)) != 0)
		return c;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->reason - y->reason;
}

/*
 * Each run of counts in the table's key order: 100k upserts in the
 * order the hash gave them walked the B-tree at random, about 12 us
 * each on a fresh connection's cold page cache; in key order each leaf
 * page is read once. Only counts move, and only among themselves:
 * their upserts add, so their order never mattered, while sessions'
 * deletes and puts keep theirs.
 */
static void
sort_counts(struct flush_job *j)
{
	size_t	 i, k;

	for (i = 0; i < j->n; i = k) {
		for (k = i; k < j->n && j->rows[k].type == FR_COUNT; k++)
			;
		if (k - i > 1)
			qsort(&j->rows[i], k - i, sizeof(j->rows[i]), count_cmp);
		if (k == i)
			k++;
	}
}

int
reg_flush_write(sqlite3 *db, struct flush_job *j, int wait)
{
	size_t	 i;
	int	 rc;

	sort_counts(j);
	if (wait) {
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		    SQLITE_OK)
			return -1;
	} else if ((rc = db_batch_begin(db)) != 0)
		return rc;
	if (db_sessions_prune(db, j->prune_before) == -1)
		goto fail;
	for (i = 0; i < j->n; i++)
		if (row_write(db, &j->rows[i]) == -1)
			goto fail;
	return db_batch_commit(db);
fail:
	db_rollback(db);
	return -1;
}

void
reg_flush_mark_failed(struct flush_job *j)
{
	j->failed = 1;
}

void
reg_flush_clear_failed(struct flush_job *j)
{
	j->failed = 0;
}

int
reg_flush_failed(const struct flush_job *j)
{
	return j->failed;
}

size_t
reg_flush_rows(const struct flush_job *j)
{
	return j == NULL ? 0 : j->n;
}

void
reg_flush_free(struct flush_job *j)
{
	if (j == NULL)
		return;
	rows_free(j, 0);
	free(j->rows);
	free(j);
}
