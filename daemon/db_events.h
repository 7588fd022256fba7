/* db_events.h: the SQL of the events table and of the alert channels' cursors (called by events.c and alerts.c). */
#ifndef MODELREG_DB_EVENTS_H
#define MODELREG_DB_EVENTS_H

#include <stdint.h>
#include <sqlite3.h>

/* An event as read from the table; the strings live until the callback returns. */
struct db_event {
	int64_t		 id;
	int64_t		 at;		/* unix seconds */
	const char	*kind;
	const char	*model;		/* NULL when the event is about no model */
	const char	*message;
	const char	*details;	/* a JSON object, as text */
};

typedef int (*db_event_cb)(const struct db_event *, void *arg);	/* non-zero stops */

/*
 * EVENTS as a cursor (issue 8, reg_cursor.c): the statement, prepared and
 * bound (q's strings must outlive it), and one row at a time: 1, 0, -1.
 */
struct db_event_query;
sqlite3_stmt *db_events_list_stmt(sqlite3 *, const struct db_event_query *);
int	 db_events_step(sqlite3 *, sqlite3_stmt *, struct db_event *);

/* EVENTS' filters. */
struct db_event_query {
	int64_t		 since;		/* at >= since; 0: no bound */
	const char	*kind;		/* exact kind, or NULL */
	const char	*kind_prefix;	/* kinds starting with this, or NULL */
	const char	*model;		/* a model id or alias, or NULL */
	int		 limit;		/* the newest limit events, handed over oldest first */
};

/*
 * Insert an event, in the caller's transaction if one is open. details
 * must be JSON; when it is not a JSON object of at most maxdetails
 * bytes, "{}" is stored instead and *replaced is set. *id gets the new
 * row's id. Returns 0 or -1.
 */
int	 db_event_insert(sqlite3 *, int64_t at, const char *kind,
	    const char *model, const char *message, const char *details,
	    size_t maxdetails, int *replaced, int64_t *id);

/* The highest event id (0 when the table is empty). */
int	 db_event_max_id(sqlite3 *, int64_t *);

/* The events with id > after, ascending, at most limit. Returns rows handed over, or -1. */
int	 db_events_after(sqlite3 *, int64_t after, int limit, db_event_cb, void *);

/* How many events have id > after. */
int	 db_events_count_after(sqlite3 *, int64_t after, int64_t *);

/* EVENTS: returns rows handed over, or -1. */
int	 db_events_list(sqlite3 *, const struct db_event_query *, db_event_cb, void *);

/*
 * Retention: delete at most limit of the oldest events with at < before,
 * but none after the cursor stored under any of keys (a NULL-terminated
 * list of state keys): an alert channel has yet to deliver those. A
 * transaction of its own. *pruned counts the rows deleted. 0 or -1.
 */
int	 db_events_prune(sqlite3 *, int64_t before, const char *const *keys,
	    int limit, int *pruned);

/*
 * The webhook body of event id, made by SQLite's json_object():
 * {"id","at","kind","model","message","details":{...}}. *json is the
 * caller's to free. 0, 1 when there is no such event, -1.
 */
int	 db_event_json(sqlite3 *, int64_t id, char **json);

#endif
