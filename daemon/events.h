/* events.h: the events table, its live watchers (WATCH) and its alert channels ([alerts] exec and webhook). */
#ifndef MODELREG_EVENTS_H
#define MODELREG_EVENTS_H

#include <sqlite3.h>

struct client;

/*
 * Record an event: kind (e.g. "model.down"), model (NULL if none),
 * details a JSON object text (NULL: {}), message printf-style. It joins
 * the caller's open transaction, if any, so an event commits or rolls
 * back with the change it describes. Call events_notify() after the
 * commit. Returns 0 or -1 (logged).
 */
int	 events_add(sqlite3 *, const char *kind, const char *model,
	    const char *details_json, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * New events may have been committed: from the loop (a zero-delay event,
 * coalesced), send them to every watcher and start their alert deliveries.
 * Cheap to call often.
 */
void	 events_notify(void);

/* Start-up (and the first retention pass), reload ([alerts] or event_retention changed), shutdown. */
void	 events_init(void);
void	 events_reconfigure(void);
void	 events_shutdown(void);

/* Alert channels' state for STATUS: one record per channel ("alert=exec ..."). Returns records written. */
struct buf;
int	 events_status_records(struct buf *);

/*
 * WATCH: stream every event committed from
 * now on whose kind matches filter (NULL: all) to the client, until it
 * closes. 0, or -1 (out of memory, database error).
 */
int	 events_watch(struct client *, const char *filter);

/* Does kind match filter: the same kind, or a family "model.*" ("*": all)? */
int	 events_kind_match(const char *filter, const char *kind);

/* Write one event as a logfmt record (protocol.md "EVENTS and WATCH"). 0 or -1. */
struct db_event;
int	 events_record(struct buf *, const struct db_event *);

#endif
