/* reg_cursor.h: LIST and CATALOG as cursors over one snapshot, so a reply can be produced a chunk at a time as the client reads it. */
#ifndef MODELREG_REG_CURSOR_H
#define MODELREG_REG_CURSOR_H

#include <stdint.h>

#include <sqlite3.h>

#include "registry.h"
#include "reg_catalog.h"

struct reg_cursor;

/*
 * Open a cursor on its own read-only connection to the file main (the
 * daemon's connection) has open, inside one read transaction: *n is the number of rows (a
 * COUNT(*) with the same filters, in the same snapshot), and exactly *n
 * rows then come from reg_*_next whatever commits meanwhile. The query's
 * strings are copied. REG_USAGE for a bad query, REG_INTERNAL otherwise.
 * The cursor holds its snapshot (and so keeps the WAL from being reset)
 * until reg_cursor_close: close it when the reply is done or the client
 * goes.
 */
enum reg_rc reg_list_open(sqlite3 *main, const struct list_query *,
	    struct reg_cursor **, int64_t *n);
enum reg_rc reg_catalog_open(sqlite3 *main, const struct catalog_query *,
	    struct reg_cursor **, int64_t *n);
/*
 * EVENTS and AUDIT the same way. Their queries take the newest limit rows
 * oldest first, which SQLite must gather before the first row anyway, so
 * *n comes from stepping the statement once and resetting it (same
 * snapshot), not from a second query. REG_USAGE for a limit below 1.
 */
struct db_event_query;
struct db_event;
struct db_audit_query;
struct db_audit_row;
enum reg_rc reg_events_open(sqlite3 *main, const struct db_event_query *,
	    struct reg_cursor **, int64_t *n);
enum reg_rc reg_audit_open(sqlite3 *main, const struct db_audit_query *,
	    struct reg_cursor **, int64_t *n);
/* The next row (pointers valid until the next call): 1, 0 at the end, -1 (a database error). */
int	 reg_list_next(struct reg_cursor *, struct model *);
int	 reg_catalog_next(struct reg_cursor *, struct catalog_entry *);
int	 reg_events_next(struct reg_cursor *, struct db_event *);
int	 reg_audit_next(struct reg_cursor *, struct db_audit_row *);
/*
 * LIST and CATALOG honour the query's page (limit, after; next is
 * ignored): *n counts the page's rows and, when rows follow it, one next=
 * record, which the caller writes from reg_cursor_next_page once
 * reg_*_next has returned 0 (NULL when there is none, or it was taken).
 */
const struct page_cursor *reg_cursor_next_page(struct reg_cursor *);
void	 reg_cursor_close(struct reg_cursor *);	/* NULL is fine */
/* At exit, after every cursor is closed: the idle readers kept for the next reply. */
void	 reg_readers_close(void);

#endif
