/* events.c: record events (in the caller's transaction), hand committed ones to WATCH clients and the alert channels, and prune old ones. */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/time.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <sqlite3.h>

#include "alerts.h"
#include "buf.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "db_events.h"
#include "events.h"
#include "import.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"

#define EVENTS_MSG_MAX		1024	/* bytes of a message; a longer one is cut */
#define EVENTS_DETAILS_MAX	(8 * 1024)	/* bytes of details; larger ones become {} */
#define EVENTS_KIND_MAX		64
#define EVENTS_MODEL_MAX	255	/* as model ids */
#define EVENTS_BATCH		256	/* events read per query when dispatching */
#define EVENTS_PRUNE_BATCH	1000	/* events deleted per transaction */
#define EVENTS_PRUNE_EVERY	3600	/* seconds between retention passes */

/* Where the alert channels keep their cursors: nothing after one is pruned. */
static const char *const events_cursor_keys[] = {
	ALERTS_EXEC_CURSOR,
	ALERTS_WEBHOOK_CURSOR,
	ALERTS_MAIL_CURSOR,
	NULL
};

/* A WATCH client and its kind filter. */
struct watcher {
	TAILQ_ENTRY(watcher)	 entry;
	struct client		*client;
	int64_t			 from;		/* send events with id > from */
	char			 filter[EVENTS_KIND_MAX + 1];	/* "" for all */
};

static struct {
	struct event		*notify;	/* zero-delay: dispatch new events */
	int			 pending;
	int64_t			 cursor;	/* the last event handed to watchers */
	int			 ready;
	TAILQ_HEAD(, watcher)	 watchers;
	struct event		*prune;		/* retention: the next batch or pass */
	int			 retention;	/* seconds, as of the last batch */
	int64_t			 pruned;	/* by the pass under way */
} ev = {
	.watchers = TAILQ_HEAD_INITIALIZER(ev.watchers),
};

/* A kind is lower-case words of letters, digits, '_' and '-', joined by dots. */
static int
events_kind_ok(const char *kind)
{
	size_t	 i, len;

	len = strlen(kind);
	if (len == 0 || len > EVENTS_KIND_MAX || kind[0] == '.' ||
	    kind[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!((kind[i] >= 'a' && kind[i] <= 'z') ||
		    (kind[i] >= '0' && kind[i] <= '9') || kind[i] == '_' ||
		    kind[i] == '-' || kind[i] == '.'))
			return 0;
	return 1;
}

/* Insert one event now, and log it. */
static int
events_insert(sqlite3 *db, int64_t at, const char *kind, const char *model,
    const char *details_json, const char *msg)
{
	char		 shown[512];
	int64_t		 id;
	size_t		 i;
	int		 replaced;

	if (db_event_insert(db, at, kind, model, msg,
	    details_json, EVENTS_DETAILS_MAX, &replaced, &id) == -1) {
		log_warnx("event %s: cannot record it", kind);
		return -1;
	}
	if (replaced)
		log_warnx("event %s: details are not a JSON object of at most "
		    "%d bytes; recorded as {}", kind, EVENTS_DETAILS_MAX);
	/* The log is line-based: a message quoting a catalog stays one line. */
	buf_fit(shown, sizeof(shown), "%s", msg);
	for (i = 0; shown[i] != '\0'; i++)
		if ((unsigned char)shown[i] < 0x20 || shown[i] == 0x7f)
			shown[i] = '?';
	log_info("event %lld %s: %s", (long long)id, kind, shown);
	return 0;
}

/* An event that waits for the import under way (events_add). */
struct events_later {
	int64_t	 at;
	char	*kind, *model, *details, *msg;
};

static void
events_later_run(void *arg, int cancelled)
{
	struct events_later	*l = arg;

	if (!cancelled) {
		(void)events_insert(md.db, l->at, l->kind, l->model,
		    l->details, l->msg);
		events_notify();
	}
	free(l->kind);
	free(l->model);
	free(l->details);
	free(l->msg);
	free(l);
}

static int
events_add_later(int64_t at, const char *kind, const char *model,
    const char *details_json, const char *msg)
{
	struct events_later	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto nomem;
	l->at = at;
	if ((l->kind = strdup(kind)) == NULL ||
	    (model != NULL && (l->model = strdup(model)) == NULL) ||
	    (details_json != NULL && (l->details = strdup(details_json)) ==
	    NULL) || (l->msg = strdup(msg)) == NULL ||
	    import_after("events: an event", events_later_run, l) == -1) {
		events_later_run(l, 1);
		goto nomem;
	}
	return 0;
nomem:
	log_warnx("event %s: out of memory while an import runs; not "
	    "recorded", kind);
	return -1;
}

int
events_add(sqlite3 *db, const char *kind, const char *model,
    const char *details_json, const char *fmt, ...)
{
	char		 msg[EVENTS_MSG_MAX + 4];
	va_list		 ap;
	int		 n;

	if (kind == NULL || !events_kind_ok(kind)) {
		log_warnx("event: bad kind \"%.64s\"", kind ? kind : "(null)");
		return -1;
	}
	if (model != NULL && (model[0] == '\0' ||
	    strlen(model) > EVENTS_MODEL_MAX)) {
		log_warnx("event %s: bad model name", kind);
		return -1;
	}
	va_start(ap, fmt);
	/* Cut at a word, ending with "...", when longer than the cap. */
	n = buf_vfit(msg, EVENTS_MSG_MAX + 1, fmt, ap);
	va_end(ap);
	if (n < 0) {
		log_warnx("event %s: cannot format the message", kind);
		return -1;
	}
	/*
	 * The loop's own event outside a transaction (a source that failed
	 * before its fetch, a seed that cannot start) while an import holds
	 * the write lock (issue 8): recorded after it, with its own time,
	 * rather than with the loop stopped in SQLite's busy handler. The
	 * worker's own connection is never md.db, so it never asks.
	 */
	if (db == md.db && sqlite3_get_autocommit(db) && import_busy())
		return events_add_later((int64_t)time(NULL), kind, model,
		    details_json, msg);
	return events_insert(db, (int64_t)time(NULL), kind, model,
	    details_json, msg);
}


int
events_kind_match(const char *filter, const char *kind)
{
	size_t	 len;

	if (filter == NULL || filter[0] == '\0')
		return 1;
	len = strlen(filter);
	if (filter[len - 1] == '*')
		return strncmp(filter, kind, len - 1) == 0;
	return strcmp(filter, kind) == 0;
}

int
events_record(struct buf *b, const struct db_event *e)
{
	if (lf_int(b, "id", e->id) == -1 ||
	    lf_time(b, "at", e->at) == -1 ||
	    lf_str(b, "kind", e->kind) == -1 ||
	    lf_str(b, "model", e->model) == -1 ||
	    lf_str(b, "message", e->message) == -1 ||
	    lf_str(b, "details", e->details) == -1 ||
	    lf_end(b) == -1)
		return -1;
	return 0;
}

/* Hand one committed event to every watcher whose filter takes it. */
static int
events_dispatch_one(const struct db_event *e, void *arg)
{
	struct watcher	*w, *tmp;
	struct buf	 rec = { 0 };

	ev.cursor = e->id;
	metrics_count_event(e->kind);	/* issue 10: committed events by kind */
	if (TAILQ_EMPTY(&ev.watchers))
		return 0;
	if (events_record(&rec, e) == -1) {
		log_warnx("event %lld: out of memory for watchers",
		    (long long)e->id);
		return 0;
	}
	/*
	 * A watcher too far behind is closed inside client_stream_send and
	 * unregistered there: take the next one first (glibc's queue.h has
	 * no TAILQ_FOREACH_SAFE).
	 */
	for (w = TAILQ_FIRST(&ev.watchers); w != NULL; w = tmp) {
		tmp = TAILQ_NEXT(w, entry);
		if (e->id > w->from && events_kind_match(w->filter, e->kind))
			client_stream_send(w->client, &rec);
	}
	buf_free(&rec);
	return 0;
}

/* From the loop: everything committed since the last run goes out. */
static void
events_dispatch(evutil_socket_t fd, short what, void *arg)
{
	int	 n;

	ev.pending = 0;
	do {
		n = db_events_after(md.db, ev.cursor, EVENTS_BATCH,
		    events_dispatch_one, NULL);
	} while (n == EVENTS_BATCH);
	alerts_wake();
}

void
events_notify(void)
{
	if (!ev.ready || ev.pending)
		return;
	ev.pending = 1;
	event_active(ev.notify, EV_TIMEOUT, 0);
}

static void
events_unwatch(void *arg)
{
	struct watcher	*w = arg;

	TAILQ_REMOVE(&ev.watchers, w, entry);
	free(w);
}

int
events_watch(struct client *c, const char *filter)
{
	struct watcher	*w;

	if (filter != NULL && strlen(filter) > EVENTS_KIND_MAX)
		return -1;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("watch");
		return -1;
	}
	/* Only what commits from now on, even if a dispatch is pending. */
	if (db_event_max_id(md.db, &w->from) == -1) {
		free(w);
		return -1;
	}
	if (filter != NULL)
		memcpy(w->filter, filter, strlen(filter) + 1);
	w->client = c;
	TAILQ_INSERT_TAIL(&ev.watchers, w, entry);
	client_on_close(c, events_unwatch, w);
	/* Tests wait for this line: a watcher is registered once it is logged. */
	log_debug("events: watcher added for uid %u", (unsigned)client_uid(c));
	return 0;
}

static void
events_prune_arm(int secs)
{
	struct timeval	 tv;

	tv.tv_sec = secs;
	tv.tv_usec = 0;
	if (evtimer_add(ev.prune, &tv) == -1)
		log_warnx("events: cannot arm the retention timer");
}

/* "90d", "36h" or "5400s": a retention as it was most likely written. */
static const char *
events_fmt_retention(char *dst, size_t len, int secs)
{
	if (secs % 86400 == 0)
		snprintf(dst, len, "%dd", secs / 86400);
	else if (secs % 3600 == 0)
		snprintf(dst, len, "%dh", secs / 3600);
	else
		snprintf(dst, len, "%ds", secs);
	return dst;
}

/*
 * One batch of a retention pass. A full batch means there may be more:
 * the next one runs after the loop has served everything ready, so a
 * first pass over years of events never holds the loop for long.
 */
static void
events_prune(evutil_socket_t fd, short what, void *arg)
{
	char	 shown[32];
	int	 n;

	if (import_busy()) {
		struct timeval	 later = { 0, 100000 };

		/* The worker holds the write lock: wait our turn on a timer, not in SQLite's busy handler. */
		log_debug("events: pruning waits for the import under way");
		if (evtimer_add(ev.prune, &later) == -1)
			log_warnx("events: cannot arm the retention timer");
		return;
	}
	ev.retention = md.cfg->event_retention;
	/* The parser bounds it; a config filled by hand may leave 0: keep everything. */
	if (ev.retention <= 0) {
		ev.pruned = 0;
		events_prune_arm(EVENTS_PRUNE_EVERY);
		return;
	}
	if (db_events_prune(md.db, (int64_t)time(NULL) - ev.retention,
	    events_cursor_keys, EVENTS_PRUNE_BATCH, &n) == -1) {
		log_warnx("events: pruning failed after %lld events; next "
		    "try in %d s", (long long)ev.pruned, EVENTS_PRUNE_EVERY);
		ev.pruned = 0;
		events_prune_arm(EVENTS_PRUNE_EVERY);
		return;
	}
	ev.pruned += n;
	if (n == EVENTS_PRUNE_BATCH) {
		events_prune_arm(0);
		return;
	}
	if (ev.pruned > 0)
		log_info("events: pruned %lld events older than %s",
		    (long long)ev.pruned, events_fmt_retention(shown,
		    sizeof(shown), ev.retention));
	ev.pruned = 0;
	events_prune_arm(EVENTS_PRUNE_EVERY);
}

void
events_init(void)
{
	if (ev.notify == NULL && (ev.notify = event_new(md.base, -1, 0,
	    events_dispatch, NULL)) == NULL)
		fatalx("events: cannot create an event");
	if (ev.prune == NULL && (ev.prune = evtimer_new(md.base,
	    events_prune, NULL)) == NULL)
		fatalx("events: cannot create a timer");
	/* Watchers see what commits after start; alert channels keep their own cursors. */
	if (db_event_max_id(md.db, &ev.cursor) == -1)
		fatalx("events: cannot read the events table");
	ev.ready = 1;
	alerts_init();
	/* Events recorded before this point (none yet) or left undelivered at the last stop. */
	events_notify();
	/* After alerts_init: the cursor keys now follow [alerts]. First pass as the loop starts. */
	ev.retention = md.cfg->event_retention;
	ev.pruned = 0;
	events_prune_arm(0);
}

void
events_reconfigure(void)
{
	alerts_reconfigure();
	events_notify();
	/* A new retention applies now, not up to an hour later. */
	if (md.cfg->event_retention != ev.retention) {
		ev.retention = md.cfg->event_retention;
		evtimer_del(ev.prune);
		events_prune_arm(0);
	}
}

void
events_shutdown(void)
{
	struct watcher	*w;

	alerts_shutdown();
	/* The clients are closed later by control_shutdown: they must not call us back. */
	while ((w = TAILQ_FIRST(&ev.watchers)) != NULL) {
		client_on_close(w->client, NULL, NULL);
		TAILQ_REMOVE(&ev.watchers, w, entry);
		free(w);
	}
	if (ev.notify != NULL) {
		event_free(ev.notify);
		ev.notify = NULL;
	}
	if (ev.prune != NULL) {
		event_free(ev.prune);
		ev.prune = NULL;
	}
	ev.pruned = 0;
	ev.pending = 0;
	ev.ready = 0;
}

int
events_status_records(struct buf *b)
{
	return alerts_status_records(b);
}
