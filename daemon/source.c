/* source.c: the schedule of every source (seed, catalog, zdr, uptime): timers with jitter, backoff, on-demand runs and their waiters, status. */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "buf.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "proto.h"
#include "source.h"

/*
 * Bits of src->force_next (private to this file):
 * SRC_F_CUR: the run under way (or about to start) is forced;
 * SRC_F_NEXT: a forced run is queued after the one under way;
 * SRC_F_STARTED: run() has been called for the current run, so only
 * source_done() ends it (otherwise the zero timer will start it).
 */
#define SRC_F_CUR	0x1
#define SRC_F_NEXT	0x2
#define SRC_F_STARTED	0x4

/* A REFRESH waiting for the end of run number run. */
struct source_waiter {
	TAILQ_ENTRY(source_waiter) entry;
	struct source		*src;
	int			 run;
	source_done_cb		 cb;
	void			*arg;
};

/*
 * What source_refresh hands out for --no-wait: nobody is told of the end,
 * so nothing is queued, and cancelling it does nothing.
 */
static struct source_waiter	 source_nowait;

static TAILQ_HEAD(, source)	 sources = TAILQ_HEAD_INITIALIZER(sources);

static void	source_timer(evutil_socket_t, short, void *);

/* Issue 10: a run's duration is measured on the monotonic clock. */
static int64_t
source_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Raise kind ("sync.failed", "sync.held") for src with why; a hold adds its counts. */
static void
source_event(struct source *src, const char *kind, const char *why)
{
	struct buf	 d = { NULL, 0, 0 };

	if (md.db == NULL)
		return;
	if (buf_puts(&d, "{\"source\":") == -1 ||
	    buf_json_str(&d, src->name) == -1 ||
	    buf_puts(&d, ",\"reason\":") == -1 ||
	    buf_json_str(&d, why) == -1 ||
	    (strcmp(kind, "sync.held") == 0 &&
	    buf_puts(&d, src->held_counts) == -1) ||
	    buf_puts(&d, "}") == -1) {
		log_warnx("%s: out of memory for a %s event", src->name, kind);
		buf_free(&d);
		return;
	}
	if (strcmp(kind, "sync.failed") == 0)
		events_add(md.db, kind, NULL, d.data, "%s refresh failed: %s",
		    src->name, why);
	else
		events_add(md.db, kind, NULL, d.data, "%s refresh held: %s",
		    src->name, why);
	buf_free(&d);
	events_notify();
}

/* Arm the timer to fire after sec seconds (plus ms milliseconds). */
static void
source_arm(struct source *src, long sec, long ms)
{
	struct timeval	 tv;

	if (ms < 0) {
		sec += ms / 1000 - 1;
		ms = 1000 + ms % 1000;
	}
	sec += ms / 1000;
	ms %= 1000;
	if (sec < 0) {
		sec = 0;
		ms = 0;
	}
	tv.tv_sec = sec;
	tv.tv_usec = (suseconds_t)ms * 1000;
	evtimer_del(src->timer);
	if (evtimer_add(src->timer, &tv) == -1)
		fatalx("%s: cannot arm a timer", src->name);
}

int64_t
source_next_delay(int attempt, long min, long max, unsigned long r)
{
	int64_t	 d, span;
	int	 i;

	if (min < 1)
		min = 1;
	if (max < min)
		max = min;
	d = min;
	for (i = 1; i < attempt && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	/* 10% of d, in milliseconds: d * 100. */
	span = d * 100;
	return d * 1000 + (int64_t)(r % (unsigned long)(2 * span + 1)) - span;
}

/* Arm the timer for the next run after ms milliseconds; next_run rounds up. */
static void
source_schedule(struct source *src, int64_t ms)
{
	source_arm(src, (long)(ms / 1000), (long)(ms % 1000));
	src->next_run = (int64_t)time(NULL) + (ms + 999) / 1000;
}

/* When the next ordinary run is due: the interval, jittered. */
static int64_t
source_interval_ms(const struct source *src)
{
	return source_next_delay(1, src->interval, src->interval,
	    (unsigned long)random());
}

/* When the retry after src->failures consecutive failures is due, jittered. */
static int64_t
source_backoff_ms(const struct source *src)
{
	return source_next_delay(src->failures, src->retry_min, src->retry_max,
	    (unsigned long)random());
}

/*
 * Prepare a run: it starts from the loop (a zero timer), so that no
 * module code and no waiter ever runs inside source_refresh or
 * source_configure.
 */
static void
source_prepare(struct source *src, int force)
{
	src->run_id++;
	src->running = 1;
	src->force_next &= ~(SRC_F_CUR | SRC_F_STARTED);
	if (force)
		src->force_next |= SRC_F_CUR;
	src->next_run = 0;
	source_arm(src, 0, 0);
}

/*
 * Tell the waiters of run number run. A callback may start a new run or
 * cancel another waiter, so take them one at a time from the head.
 */
static void
source_tell(struct source *src, int run, enum source_outcome o,
    const char *msg)
{
	struct source_waiter	*w;

	for (;;) {
		TAILQ_FOREACH(w, &src->waiters, entry)
			if (w->run == run)
				break;
		if (w == NULL)
			return;
		TAILQ_REMOVE(&src->waiters, w, entry);
		if (w->cb != NULL)
			w->cb(src, o, msg, w->arg);
		free(w);
	}
}

/* The source was disabled before its prepared run began: end it unrun. */
static void
source_abandon(struct source *src)
{
	char	 msg[128];
	int	 run = src->run_id;

	snprintf(msg, sizeof(msg), "no %s source configured ([%s] url)",
	    src->name, src->name);
	src->running = 0;
	src->force_next = 0;
	src->next_run = 0;
	/* A queued forced run would be run_id + 1: tell its waiters too. */
	source_tell(src, run, SRC_FAILED, msg);
	source_tell(src, run + 1, SRC_FAILED, msg);
}

static void
source_timer(evutil_socket_t fd, short what, void *arg)
{
	struct source	*src = arg;

	(void)fd;
	(void)what;
	if (!src->enabled) {
		if (src->running && !(src->force_next & SRC_F_STARTED))
			source_abandon(src);
		return;
	}
	if (src->running && (src->force_next & SRC_F_STARTED))
		return;		/* cannot happen: the timer is idle during a run */
	if (!src->running)
		source_prepare(src, 0);
	evtimer_del(src->timer);
	src->force_next |= SRC_F_STARTED;
	src->last_attempt = (int64_t)time(NULL);
	src->started_ms = source_now_ms();
	src->next_run = 0;
	log_debug("%s: run %d starts%s", src->name, src->run_id,
	    (src->force_next & SRC_F_CUR) ? " (forced)" : "");
	src->run(src, (src->force_next & SRC_F_CUR) ? 1 : 0);
}

void
source_init(struct source *src, const char *name, source_run_fn run, void *ctx)
{
	static int	 seeded;

	if (!seeded) {
		srandom((unsigned)time(NULL) ^ ((unsigned)getpid() << 8));
		seeded = 1;
	}
	if (src->timer != NULL)
		return;		/* already registered */
	memset(src, 0, sizeof(*src));
	src->name = name;
	src->run = run;
	src->ctx = ctx;
	TAILQ_INIT(&src->waiters);
	if ((src->timer = evtimer_new(md.base, source_timer, src)) == NULL)
		fatalx("%s: cannot create a timer", name);
	TAILQ_INSERT_TAIL(&sources, src, entry);
}

void
source_configure(struct source *src, int enabled, int interval, int retry_min,
    int retry_max)
{
	int	 was = src->enabled, changed;
	int64_t	 now, left, ms;

	changed = src->interval != interval || src->retry_min != retry_min ||
	    src->retry_max != retry_max;
	src->enabled = enabled ? 1 : 0;
	/* 0: no periodic runs (the seeder). */
	src->interval = interval > 0 ? interval : 0;
	src->retry_min = retry_min > 0 ? retry_min : 1;
	src->retry_max = retry_max >= src->retry_min ? retry_max :
	    src->retry_min;

	if (!src->enabled) {
		/*
		 * A run in flight ends normally. A prepared run that has not
		 * begun keeps its zero timer: it ends unrun from the loop.
		 */
		if (!src->running) {
			evtimer_del(src->timer);
			src->next_run = 0;
		}
		if (was)
			log_info("%s: disabled", src->name);
		return;
	}
	if (src->running)
		return;		/* source_done schedules with the new values */
	if (!was) {
		if (src->interval == 0) {
			/* Runs only when asked (source_refresh): none now. */
			log_debug("%s: enabled, on demand", src->name);
			return;
		}
		log_debug("%s: enabled, every %d s", src->name, src->interval);
		source_prepare(src, 0);
		return;
	}
	if (!changed)
		return;
	/*
	 * Still enabled with a new schedule: never wait longer than it says.
	 * A retry is rescheduled only when one is due (next_run is set).
	 */
	now = (int64_t)time(NULL);
	left = src->next_run > now ? (src->next_run - now) * 1000 : 0;
	if (src->failures > 0) {
		if (left > (ms = source_backoff_ms(src)))
			source_schedule(src, ms);
	} else if (src->interval > 0 &&
	    (left > (int64_t)src->interval * 1000 || src->next_run == 0))
		source_schedule(src, source_interval_ms(src));
}

void
source_done(struct source *src, enum source_outcome o, int items,
    const char *msg)
{
	char	 one[512];
	int	 run = src->run_id, queued;

	if (!src->running) {
		log_warnx("%s: run ended twice", src->name);
		return;
	}
	log_oneline(one, sizeof(one), msg != NULL ? msg : "");
	if (src->force_next & SRC_F_STARTED)
		src->last_duration_ms = source_now_ms() - src->started_ms;
	if (o == SRC_FAILED)
		src->last_failed = (int64_t)time(NULL);
	src->running = 0;
	queued = (src->force_next & SRC_F_NEXT) != 0;
	src->force_next = 0;
	src->next_run = 0;

	switch (o) {
	case SRC_OK:
		src->last_ok = (int64_t)time(NULL);
		src->items = items;
		src->failures = 0;
		src->last_error[0] = '\0';
		src->held[0] = '\0';
		if (!src->own_events)
			log_info("%s: %s", src->name, one);
		break;
	case SRC_FAILED:
		snprintf(src->last_error, sizeof(src->last_error), "%s", one);
		src->failures++;
		if (src->own_events)
			break;
		log_warnx("%s: refresh failed (%d in a row): %s", src->name,
		    src->failures, one);
		if (src->failures == 1)
			source_event(src, "sync.failed", one);
		break;
	case SRC_HELD:
		/* A valid response: the streak of failures ends here. */
		src->failures = 0;
		if (!src->own_events)
			log_warnx("%s: response held: %s", src->name, one);
		/* Once per held response, not at every periodic re-fetch of it. */
		if (strcmp(src->held, one) != 0 && !src->own_events)
			source_event(src, "sync.held", one);
		buf_fit(src->held, sizeof(src->held), "%s", one);
		break;
	}

	if (src->enabled) {
		if (queued)
			source_prepare(src, 1);
		else if (o == SRC_FAILED) {
			/* The seeder retries only while the registry is empty. */
			if (src->retry == NULL || src->retry(src))
				source_schedule(src, source_backoff_ms(src));
		} else if (src->interval > 0)
			source_schedule(src, source_interval_ms(src));
	}
	source_tell(src, run, o, one);
	if (!src->enabled && queued) {
		snprintf(one, sizeof(one), "no %s source configured ([%s] url)",
		    src->name, src->name);
		source_tell(src, run + 1, SRC_FAILED, one);
	}
}

void
source_hold(struct source *src, const char *msg, const char *counts)
{
	size_t	 len = counts != NULL ? strlen(counts) : 0;

	/* Counts are built by the modules from numbers: they always fit. */
	if (len >= sizeof(src->held_counts))
		len = 0;
	memcpy(src->held_counts, counts != NULL ? counts : "", len);
	src->held_counts[len] = '\0';
	source_done(src, SRC_HELD, 0, msg);
}

int
source_holds(struct source *src)
{
	return src->has_held != NULL && src->has_held(src) == 1;
}

struct source_waiter *
source_refresh(struct source *src, int force, source_done_cb cb, void *arg,
    char *msg, size_t msglen)
{
	struct source_waiter	*w = NULL;
	int			 run;

	if (src->timer == NULL || !src->enabled) {
		snprintf(msg, msglen, "no %s source configured ([%s] url)",
		    src->name, src->name);
		return NULL;
	}
	if (cb != NULL && (w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	if (src->running) {
		if (force && !(src->force_next & SRC_F_STARTED)) {
			/* Not begun yet: it can still become a forced run. */
			src->force_next |= SRC_F_CUR;
			run = src->run_id;
		} else if (force && !(src->force_next & SRC_F_CUR)) {
			/* The run under way may hold what force would apply. */
			src->force_next |= SRC_F_NEXT;
			run = src->run_id + 1;
		} else
			run = src->run_id;
	} else {
		source_prepare(src, force);
		run = src->run_id;
	}
	if (w == NULL)
		return &source_nowait;
	w->src = src;
	w->run = run;
	w->cb = cb;
	w->arg = arg;
	TAILQ_INSERT_TAIL(&src->waiters, w, entry);
	return w;
}

void
source_waiter_cancel(struct source_waiter *w)
{
	if (w == NULL || w == &source_nowait)
		return;
	TAILQ_REMOVE(&w->src->waiters, w, entry);
	free(w);
}

struct source *
source_first(void)
{
	return TAILQ_FIRST(&sources);
}

struct source *
source_next(struct source *src)
{
	return TAILQ_NEXT(src, entry);
}

int
source_periodic(const struct source *src)
{
	return src->interval > 0;
}

struct source *
source_find(const char *name)
{
	struct source	*src;

	TAILQ_FOREACH(src, &sources, entry)
		if (strcmp(src->name, name) == 0)
			return src;
	return NULL;
}

static const char *
source_state(const struct source *src)
{
	if (src->running && (src->force_next & SRC_F_STARTED))
		return "running";
	if (!src->enabled)
		return "disabled";
	if (src->running)
		return "running";
	if (src->held[0] != '\0')
		return "held";
	/* Failed, with a retry due (a periodic source always has one). */
	if (src->failures > 0 && (src->interval > 0 || src->next_run != 0))
		return "waiting";
	return "idle";
}

int
source_status_record(struct buf *b, const struct source *src)
{
	int	 r = 0;

	r |= lf_str(b, "source", src->name);
	r |= lf_str(b, "state", source_state(src));
	r |= lf_time(b, "last_ok", src->last_ok);
	r |= lf_time(b, "last_attempt", src->last_attempt);
	r |= lf_str(b, "last_error", src->last_error);
	r |= lf_time(b, "next_run", src->next_run);
	r |= lf_int(b, "failures", src->failures);
	r |= lf_int(b, "items", src->items);
	r |= lf_str(b, "held", src->held);
	if (src->format != NULL) {
		r |= lf_str(b, "format", src->format);
		r |= lf_str(b, "detected", src->detected[0] ? src->detected :
		    NULL);
	}
	if (src->warnings != NULL)
		r |= lf_str(b, "warnings", src->warnings);
	r |= lf_end(b);
	return r ? -1 : 0;
}

void
source_shutdown(struct source *src)
{
	struct source_waiter	*w;

	if (src->timer == NULL)
		return;
	while ((w = TAILQ_FIRST(&src->waiters)) != NULL) {
		TAILQ_REMOVE(&src->waiters, w, entry);
		free(w);
	}
	event_free(src->timer);
	src->timer = NULL;
	src->running = 0;
	src->force_next = 0;
	src->next_run = 0;
	TAILQ_REMOVE(&sources, src, entry);
}

int
source_read_key(const char *path, char *out, size_t outlen, char *err,
    size_t errlen)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0, i;
	int		 fd;
	char		 shown[200];

	/* A long path is cut in messages, never the cause after it. */
	buf_fit(shown, sizeof(shown), "%s", path);

	if (outlen < 2) {
		snprintf(err, errlen, "no room for the key of api_key_file %s",
		    shown);
		return -1;
	}
	/* O_NONBLOCK: a FIFO put there by mistake must not stall the loop. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		snprintf(err, errlen, "cannot read api_key_file %s: %s", shown,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "api_key_file %s is not a regular file",
		    shown);
		goto fail;
	}
	/* Read one byte more than fits, to tell a key that is too long. */
	while (len < outlen) {
		if ((n = read(fd, out + len, outlen - len)) == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read api_key_file %s: %s",
			    shown, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len >= outlen) {
		snprintf(err, errlen, "api_key_file %s is larger than %zu bytes",
		    shown, outlen - 1);
		goto fail;
	}
	close(fd);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' ||
	    out[len - 1] == ' ' || out[len - 1] == '\t'))
		len--;
	out[len] = '\0';
	if (len == 0) {
		snprintf(err, errlen, "api_key_file %s is empty", shown);
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] == 0x7f) {
			snprintf(err, errlen, "api_key_file %s holds control "
			    "characters", shown);
			explicit_bzero(out, outlen);
			return -1;
		}
	return 0;
 fail:
	explicit_bzero(out, outlen);
	close(fd);
	return -1;
}
