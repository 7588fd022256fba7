/* reg_cursor.c: LIST and CATALOG as cursors over one snapshot of a read-only connection (see reg_cursor.h and doc/design.md "Streamed replies"). */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_audit.h"
#include "db_catalog.h"
#include "db_events.h"
#include "log.h"
#include "reg_cursor.h"

struct reg_cursor {
	sqlite3		*db;		/* ours: a reader opened for this cursor */
	sqlite3_stmt	*st;		/* the rows */
	int		 intx;		/* BEGIN done: COMMIT at close */
	/* Copies of the query's strings: the statement binds them static. */
	char		*provider, *search, *kind;
	char		*model, *actor, *kind_prefix;	/* EVENTS, AUDIT */
	char		*tag, *collection;	/* issue 11: LIST's tag= and collection= */
	/*
	 * LIST and CATALOG: the query (its strings the copies above, after
	 * pointing at our copy), the phase being read, the rows promised
	 * and sent, and whether a next= record ends the reply.
	 */
	struct list_query	 lq;
	struct catalog_query	 cq;
	struct page_cursor	 after, next;
	int			 catalog;
	int			 phase, phases;
	enum db_plan		 plan[2];	/* per phase: which index drives */
	int64_t			 rows, sent;
	int			 more;		/* a next= record is due */
	int			 ended;		/* it was handed out */
};

/*
 * Readers kept open between replies, so that a LIST does not open the
 * file, parse the schema and start with a cold page cache every time
 * (a few ms of a small page, at 100k models). At most REG_READERS_IDLE
 * idle ones (256 KiB of page cache each at most), all of the same file;
 * an idle reader holds no transaction, so no snapshot.
 */
#define REG_READERS_IDLE	4

static sqlite3	*readers[REG_READERS_IDLE];
static int	 nreaders;
static char	*readers_path;

static sqlite3 *
reg_reader_get(const char *path)
{
	if (readers_path == NULL || strcmp(readers_path, path) != 0) {
		while (nreaders > 0)
			sqlite3_close(readers[--nreaders]);
		free(readers_path);
		readers_path = strdup(path);
	}
	if (nreaders > 0)
		return readers[--nreaders];
	return db_open_reader(path);
}

/* A reader whose transaction ended well goes back to the pool, or is closed. */
static void
reg_reader_put(sqlite3 *db, int reuse)
{
	if (db == NULL)
		return;
	if (reuse && readers_path != NULL && nreaders < REG_READERS_IDLE &&
	    sqlite3_get_autocommit(db) && sqlite3_next_stmt(db, NULL) == NULL) {
		readers[nreaders++] = db;
		return;
	}
	sqlite3_close(db);
}

void
reg_readers_close(void)
{
	while (nreaders > 0)
		sqlite3_close(readers[--nreaders]);
	free(readers_path);
	readers_path = NULL;
}

void
reg_cursor_close(struct reg_cursor *cur)
{
	int	 reuse = 1;

	if (cur == NULL)
		return;
	sqlite3_finalize(cur->st);
	if (cur->intx && sqlite3_exec(cur->db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		log_warnx("database: reader: commit: %s", sqlite3_errmsg(cur->db));
		reuse = 0;
	}
	reg_reader_put(cur->db, reuse);
	free(cur->provider);
	free(cur->search);
	free(cur->kind);
	free(cur->model);
	free(cur->actor);
	free(cur->kind_prefix);
	free(cur->tag);
	free(cur->collection);
	free(cur);
}

/* strdup that keeps NULL; -1 when out of memory. */
static int
reg_cursor_dup(char **dst, const char *s)
{
	*dst = NULL;
	if (s == NULL)
		return 0;
	return (*dst = strdup(s)) == NULL ? -1 : 0;
}

/*
 * The common part: a reader, a read transaction, and the strings copied.
 * BEGIN alone takes no snapshot; the COUNT that follows does, and the
 * rows' statement reads the same one because the transaction stays open.
 */
static struct reg_cursor *
reg_cursor_new(sqlite3 *main, const char *provider, const char *search,
    const char *kind)
{
	struct reg_cursor	*cur;
	const char		*dbpath;

	/* The very file main has open, whatever the config says since. */
	dbpath = sqlite3_db_filename(main, "main");
	if (dbpath == NULL || *dbpath == '\0') {
		log_warnx("database: a streamed reply needs a database file");
		return NULL;
	}

	if ((cur = calloc(1, sizeof(*cur))) == NULL)
		return NULL;
	if (reg_cursor_dup(&cur->provider, provider) == -1 ||
	    reg_cursor_dup(&cur->search, search) == -1 ||
	    reg_cursor_dup(&cur->kind, kind) == -1)
		goto fail;
	if ((cur->db = reg_reader_get(dbpath)) == NULL)
		goto fail;
	if (sqlite3_exec(cur->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("database: reader: begin: %s", sqlite3_errmsg(cur->db));
		goto fail;
	}
	cur->intx = 1;
	return cur;
fail:
	reg_cursor_close(cur);
	return NULL;
}

/* Step a one-row COUNT(*) statement into *n and finalize it: 0 or -1. */
static int
reg_cursor_count(sqlite3 *db, sqlite3_stmt *st, int64_t *n)
{
	int	 rc;

	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		log_warnx("database: reader: count: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	*n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return 0;
}

/*
 * The filters keep few rows when they keep at most this many: then their
 * index finds them and they are sorted (at most this many ids, and only
 * the page's rows get the view's columns); past it the sort key's index
 * is read in order and the filters tested row by row, which meets a page
 * of limit rows after about limit * total / kept rows, at most limit *
 * total / REG_CURSOR_FEW. Either way the first page costs some thousands
 * of index steps at 100k models, not a sort of everything the filters
 * keep (doc/design.md, "Streamed replies").
 */
#define REG_CURSOR_FEW	2048

/* The statement of the cursor's phase, or (count) its count, capped at limit rows (0: all). */
static sqlite3_stmt *
reg_cursor_stmt(struct reg_cursor *cur, int count, int phase, int limit)
{
	enum db_plan	 plan = count ? DB_PLAN_FILTER : cur->plan[phase];

	if (cur->catalog)
		return db_catalog_list_stmt(cur->db, &cur->cq, count, phase,
		    limit, plan);
	return db_models_list_stmt(cur->db, &cur->lq, count, phase, limit,
	    plan);
}

/*
 * Count a LIST or CATALOG reply in the cursor's snapshot: the rows of
 * each phase up to one more than the page (limit, 0: no page), so that
 * rows is what the page holds and more says whether a next= record ends
 * it; *n counts both. A phase is counted up to REG_CURSOR_FEW rows at
 * least, which picks its plan. Then the first phase's statement is opened.
 */
static int
reg_cursor_start(struct reg_cursor *cur, int limit, int64_t *n)
{
	int64_t	 total = 0, c;
	int	 phase, cap;

	cur->phases = db_list_phases(cur->catalog ? cur->cq.after :
	    cur->lq.after);
	cur->plan[0] = cur->plan[1] = DB_PLAN_SORT;
	for (phase = 0; phase < cur->phases; phase++) {
		cap = limit > 0 ? limit + 1 - (int)total : 0;
		if (limit > 0 && cap <= 0)
			break;
		if (limit > 0 && cap < REG_CURSOR_FEW + 1)
			cap = REG_CURSOR_FEW + 1;
		if (reg_cursor_count(cur->db, reg_cursor_stmt(cur, 1, phase,
		    cap), &c) == -1)
			return -1;
		cur->plan[phase] = c <= REG_CURSOR_FEW ? DB_PLAN_FILTER :
		    DB_PLAN_SORT;
		total += c;
	}
	cur->more = limit > 0 && total > limit;
	cur->rows = cur->more ? limit : total;
	*n = cur->rows + cur->more;
	cur->phase = 0;
	return 0;
}

/* Point the query's strings and cursor at the cursor's own copies. */
static int
reg_cursor_after(struct reg_cursor *cur, const struct page_cursor *after,
    const struct page_cursor **dst)
{
	*dst = NULL;
	if (after == NULL)
		return 0;
	cur->after = *after;
	*dst = &cur->after;
	return 0;
}

enum reg_rc
reg_list_open(sqlite3 *main, const struct list_query *q,
    struct reg_cursor **curp, int64_t *n)
{
	struct reg_cursor	*cur;

	*curp = NULL;
	if (q->status != RS_ALL && q->status != RS_ACTIVE &&
	    q->status != RS_INACTIVE)
		return REG_USAGE;
	if (q->sort != SORT_NAME && q->sort != SORT_PROVIDER &&
	    q->sort != SORT_CONTEXT && q->sort != SORT_PRICE &&
	    q->sort != SORT_STATUS)
		return REG_USAGE;
	if (q->limit < 0 || (q->after != NULL && (q->after->sort != q->sort ||
	    q->after->desc != q->desc)))
		return REG_USAGE;
	if ((cur = reg_cursor_new(main, q->provider, q->search, q->kind)) == NULL)
		return REG_INTERNAL;
	cur->lq = *q;
	cur->lq.provider = cur->provider;
	cur->lq.search = cur->search;
	cur->lq.kind = cur->kind;
	if (reg_cursor_dup(&cur->tag, q->tag) == -1 ||
	    reg_cursor_dup(&cur->collection, q->collection) == -1) {
		reg_cursor_close(cur);
		return REG_INTERNAL;
	}
	cur->lq.tag = cur->tag;
	cur->lq.collection = cur->collection;
	cur->lq.next = NULL;
	reg_cursor_after(cur, q->after, &cur->lq.after);
	if (reg_cursor_start(cur, q->limit, n) == -1) {
		reg_cursor_close(cur);
		return REG_INTERNAL;
	}
	*curp = cur;
	return REG_OK;
}

enum reg_rc
reg_catalog_open(sqlite3 *main, const struct catalog_query *q,
    struct reg_cursor **curp, int64_t *n)
{
	struct reg_cursor	*cur;

	*curp = NULL;
	if (q->sort != SORT_NAME && q->sort != SORT_PROVIDER &&
	    q->sort != SORT_CONTEXT && q->sort != SORT_PRICE)
		return REG_USAGE;
	if (q->limit < 0 || (q->after != NULL && (q->after->sort != q->sort ||
	    q->after->desc != q->desc)))
		return REG_USAGE;
	if ((cur = reg_cursor_new(main, q->provider, q->search, q->kind)) == NULL)
		return REG_INTERNAL;
	cur->catalog = 1;
	cur->cq = *q;
	cur->cq.provider = cur->provider;
	cur->cq.search = cur->search;
	cur->cq.kind = cur->kind;
	if (reg_cursor_dup(&cur->tag, q->tag) == -1) {
		reg_cursor_close(cur);
		return REG_INTERNAL;
	}
	cur->cq.tag = cur->tag;
	cur->cq.next = NULL;
	reg_cursor_after(cur, q->after, &cur->cq.after);
	if (reg_cursor_start(cur, q->limit, n) == -1) {
		reg_cursor_close(cur);
		return REG_INTERNAL;
	}
	*curp = cur;
	return REG_OK;
}

/*
 * The statement to step for the next row: the current phase's, opened
 * with LIMIT of the rows still promised, so a phase never reads past the
 * page. 1, 0 when every promised row is out, -1.
 */
static int
reg_cursor_ready(struct reg_cursor *cur)
{
	int	 limit;

	if (cur->sent >= cur->rows || cur->phase >= cur->phases)
		return 0;
	if (cur->st != NULL)
		return 1;
	limit = (cur->catalog ? cur->cq.limit : cur->lq.limit) > 0 ?
	    (int)(cur->rows - cur->sent) : 0;
	return (cur->st = reg_cursor_stmt(cur, 0, cur->phase, limit)) == NULL ?
	    -1 : 1;
}

/* A phase ran out: the next one, if any. */
static void
reg_cursor_phase_done(struct reg_cursor *cur)
{
	sqlite3_finalize(cur->st);
	cur->st = NULL;
	cur->phase++;
}

int
reg_list_next(struct reg_cursor *cur, struct model *m)
{
	int	 r;

	for (;;) {
		if ((r = reg_cursor_ready(cur)) != 1)
			return r;
		if ((r = db_models_step(cur->db, cur->st, m)) == -1)
			return -1;
		if (r == 0) {
			reg_cursor_phase_done(cur);
			continue;
		}
		/* The page's last row: the next page starts after it. */
		if (++cur->sent == cur->rows && cur->more &&
		    db_page_cursor_model(&cur->next, &cur->lq, m) == -1)
			return -1;
		return 1;
	}
}

int
reg_catalog_next(struct reg_cursor *cur, struct catalog_entry *e)
{
	int	 r;

	for (;;) {
		if ((r = reg_cursor_ready(cur)) != 1)
			return r;
		if ((r = db_catalog_step(cur->db, cur->st, e)) == -1)
			return -1;
		if (r == 0) {
			reg_cursor_phase_done(cur);
			continue;
		}
		if (++cur->sent == cur->rows && cur->more &&
		    db_page_cursor_entry(&cur->next, &cur->cq, e) == -1)
			return -1;
		return 1;
	}
}

const struct page_cursor *
reg_cursor_next_page(struct reg_cursor *cur)
{
	if (!cur->more || cur->ended || cur->sent < cur->rows)
		return NULL;
	cur->ended = 1;
	return &cur->next;
}

/* Count st's rows by stepping it, then rewind it: 0 or -1 (logged). */
static int
reg_cursor_count_steps(sqlite3 *db, sqlite3_stmt *st, int64_t *n)
{
	int	 rc;

	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		(*n)++;
	if (rc != SQLITE_DONE || sqlite3_reset(st) != SQLITE_OK) {
		log_warnx("database: reader: count: %s", sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

enum reg_rc
reg_events_open(sqlite3 *main, const struct db_event_query *q0,
    struct reg_cursor **curp, int64_t *n)
{
	struct reg_cursor	*cur;
	struct db_event_query	 q = *q0;

	*curp = NULL;
	if (q.limit < 1)
		return REG_USAGE;
	if ((cur = reg_cursor_new(main, NULL, NULL, q.kind)) == NULL)
		return REG_INTERNAL;
	if (reg_cursor_dup(&cur->model, q.model) == -1 ||
	    reg_cursor_dup(&cur->kind_prefix, q.kind_prefix) == -1)
		goto fail;
	q.kind = cur->kind;
	q.model = cur->model;
	q.kind_prefix = cur->kind_prefix;
	if ((cur->st = db_events_list_stmt(cur->db, &q)) == NULL ||
	    reg_cursor_count_steps(cur->db, cur->st, n) == -1)
		goto fail;
	*curp = cur;
	return REG_OK;
fail:
	reg_cursor_close(cur);
	return REG_INTERNAL;
}

enum reg_rc
reg_audit_open(sqlite3 *main, const struct db_audit_query *q0,
    struct reg_cursor **curp, int64_t *n)
{
	struct reg_cursor	*cur;
	struct db_audit_query	 q = *q0;

	*curp = NULL;
	if (q.limit < 1)
		return REG_USAGE;
	if ((cur = reg_cursor_new(main, NULL, NULL, NULL)) == NULL)
		return REG_INTERNAL;
	if (reg_cursor_dup(&cur->model, q.model) == -1 ||
	    reg_cursor_dup(&cur->actor, q.actor) == -1)
		goto fail;
	q.model = cur->model;
	q.actor = cur->actor;
	if ((cur->st = db_audit_list_stmt(cur->db, &q)) == NULL ||
	    reg_cursor_count_steps(cur->db, cur->st, n) == -1)
		goto fail;
	*curp = cur;
	return REG_OK;
fail:
	reg_cursor_close(cur);
	return REG_INTERNAL;
}

int
reg_events_next(struct reg_cursor *cur, struct db_event *ev)
{
	return db_events_step(cur->db, cur->st, ev);
}

int
reg_audit_next(struct reg_cursor *cur, struct db_audit_row *r)
{
	return db_audit_step(cur->db, cur->st, r);
}
