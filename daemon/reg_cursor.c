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
};

void
reg_cursor_close(struct reg_cursor *cur)
{
	if (cur == NULL)
		return;
	sqlite3_finalize(cur->st);
	if (cur->intx && sqlite3_exec(cur->db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK)
		log_warnx("database: reader: commit: %s", sqlite3_errmsg(cur->db));
	sqlite3_close(cur->db);
	free(cur->provider);
	free(cur->search);
	free(cur->kind);
	free(cur->model);
	free(cur->actor);
	free(cur->kind_prefix);
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
	if ((cur->db = db_open_reader(dbpath)) == NULL)
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

enum reg_rc
reg_list_open(sqlite3 *main, const struct list_query *q0,
    struct reg_cursor **curp, int64_t *n)
{
	struct reg_cursor	*cur;
	struct list_query	 q = *q0;

	*curp = NULL;
	if (q.status != RS_ALL && q.status != RS_ACTIVE &&
	    q.status != RS_INACTIVE)
		return REG_USAGE;
	if (q.sort != SORT_NAME && q.sort != SORT_PROVIDER &&
	    q.sort != SORT_CONTEXT && q.sort != SORT_PRICE &&
	    q.sort != SORT_STATUS)
		return REG_USAGE;
	if ((cur = reg_cursor_new(main, q.provider, q.search, q.kind)) == NULL)
		return REG_INTERNAL;
	q.provider = cur->provider;
	q.search = cur->search;
	q.kind = cur->kind;
	if (reg_cursor_count(cur->db, db_models_list_stmt(cur->db, &q, 1),
	    n) == -1 || (cur->st = db_models_list_stmt(cur->db, &q, 0)) == NULL) {
		reg_cursor_close(cur);
		return REG_INTERNAL;
	}
	*curp = cur;
	return REG_OK;
}

enum reg_rc
reg_catalog_open(sqlite3 *main, const struct catalog_query *q0,
    struct reg_cursor **curp, int64_t *n)
{
	struct reg_cursor	*cur;
	struct catalog_query	 q = *q0;

	*curp = NULL;
	if (q.sort != SORT_NAME && q.sort != SORT_PROVIDER &&
	    q.sort != SORT_CONTEXT && q.sort != SORT_PRICE)
		return REG_USAGE;
	if ((cur = reg_cursor_new(main, q.provider, q.search, q.kind)) == NULL)
		return REG_INTERNAL;
	q.provider = cur->provider;
	q.search = cur->search;
	q.kind = cur->kind;
	if (reg_cursor_count(cur->db, db_catalog_list_stmt(cur->db, &q, 1),
	    n) == -1 || (cur->st = db_catalog_list_stmt(cur->db, &q, 0)) == NULL) {
		reg_cursor_close(cur);
		return REG_INTERNAL;
	}
	*curp = cur;
	return REG_OK;
}

int
reg_list_next(struct reg_cursor *cur, struct model *m)
{
	return db_models_step(cur->db, cur->st, m);
}

int
reg_catalog_next(struct reg_cursor *cur, struct catalog_entry *e)
{
	return db_catalog_step(cur->db, cur->st, e);
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
