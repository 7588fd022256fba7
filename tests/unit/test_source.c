/* test_source.c: source.c's one backoff and jitter (source_next_delay), and the schedule of a source without an interval (the seeder's). */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "buf.h"
#include "daemon.h"
#include "proto.h"
#include "source.h"
#include "tap.h"

/* source.c links the daemon's globals; md.db stays NULL, so no event is written. */
struct modelregd md;
int daemon_reload(char *err, size_t len) { (void)err; (void)len; return -1; }
void daemon_stop(void) { }
void daemon_status(const char *fmt, ...) { (void)fmt; }

/* The jitter's r for no jitter at all: span = 10% of d seconds in ms. */
#define CENTRE(d)	((unsigned long)(d) * 100)

static void
test_next_delay(void)
{
	int64_t		 ms, lo, hi;
	unsigned long	 r;
	int		 a, bad;

	/* The backoff, without jitter: min, doubled per attempt, capped. */
	is_int(source_next_delay(1, 5, 600, CENTRE(5)), 5000, "attempt 1: retry_min");
	is_int(source_next_delay(2, 5, 600, CENTRE(10)), 10000, "attempt 2: twice retry_min");
	is_int(source_next_delay(3, 5, 600, CENTRE(20)), 20000, "attempt 3: four times");
	is_int(source_next_delay(7, 5, 600, CENTRE(320)), 320000, "attempt 7: 5 * 2^6");
	is_int(source_next_delay(8, 5, 600, CENTRE(600)), 600000, "attempt 8: capped at retry_max");
	is_int(source_next_delay(1000000, 5, 600, CENTRE(600)), 600000,
	    "a huge attempt stays at retry_max (no overflow)");
	is_int(source_next_delay(0, 5, 600, CENTRE(5)), 5000, "attempt 0 counts as the first");
	is_int(source_next_delay(-3, 5, 600, CENTRE(5)), 5000, "a negative attempt counts as the first");

	/* The bounds are made sane, never trusted. */
	is_int(source_next_delay(1, 0, 0, CENTRE(1)), 1000, "min 0 counts as 1 s");
	is_int(source_next_delay(1, -7, 3, CENTRE(1)), 1000, "a negative min counts as 1 s");
	is_int(source_next_delay(5, 30, 10, CENTRE(30)), 30000, "max below min counts as min");

	/* The jitter: r's extremes are -10% and +10%. */
	is_int(source_next_delay(1, 5, 600, 0), 4500, "r = 0: 10%% early");
	is_int(source_next_delay(1, 5, 600, 2 * CENTRE(5)), 5500, "r = 2 * span: 10%% late");
	is_int(source_next_delay(1, 5, 600, 2 * CENTRE(5) + 1), 4500, "r wraps around (r modulo 2 * span + 1)");
	is_int(source_next_delay(1, 3600, 3600, CENTRE(3600) + 1234), 3601234,
	    "interval 1h: r moves the delay by the millisecond");

	/* Every r gives a delay within +-10%, for short and long delays. */
	bad = 0;
	for (a = 1; a <= 12; a++) {
		for (r = 0; r < 5000; r += 7) {
			ms = source_next_delay(a, 1, 7 * 86400,
			    r * 2654435761UL);
			lo = ((int64_t)1 << (a - 1)) * 900;
			hi = ((int64_t)1 << (a - 1)) * 1100;
			if (ms < lo || ms > hi)
				bad++;
		}
	}
	is_int(bad, 0, "backoff 1 s .. 2048 s: every r within +-10%%");
	ms = source_next_delay(1, 30 * 86400, 30 * 86400, ~0UL);
	ok(ms >= 30LL * 86400 * 900 && ms <= 30LL * 86400 * 1100,
	    "interval 30 days with the largest r: within +-10%% (%lld ms)",
	    (long long)ms);
	ok(source_next_delay(1, 1, 1, 0) >= 900, "never less than 0.9 s");
}

/* A source whose runs fail at once, as the seeder's do on a missing key file. */
static int	 runs, retry_answer, told;
static char	 told_msg[64];
static int	 told_order[4];

static void
fail_run(struct source *src, int force)
{
	(void)force;
	runs++;
	source_done(src, SRC_FAILED, 0, "it broke");
}

static int
ask_retry(struct source *src)
{
	(void)src;
	return retry_answer;
}

static void
waiter_done(struct source *src, enum source_outcome o, const char *msg,
    void *arg)
{
	(void)src;
	if (o == SRC_FAILED && told < 4)
		told_order[told] = *(int *)arg;
	told++;
	snprintf(told_msg, sizeof(told_msg), "%s", msg);
}

/* The source's STATUS value of key: "(absent)", "(null)" or the value. */
static const char *
status_of(const struct source *src, const char *key)
{
	static char		 val[128];
	struct lf_pair		 pairs[32];
	const struct lf_pair	*p;
	struct buf		 b = { NULL, 0, 0 };
	char			 store[2048];
	int			 n;

	snprintf(val, sizeof(val), "(absent)");
	if (source_status_record(&b, src) == -1 || b.data == NULL ||
	    (n = lf_parse(b.data, b.len - 1, pairs, 32, store,
	    sizeof(store))) < 0) {
		snprintf(val, sizeof(val), "(unparsable)");
		buf_free(&b);
		return val;
	}
	if ((p = lf_get(pairs, n, key)) != NULL)
		snprintf(val, sizeof(val), "%.*s", p->isnull ? 6 :
		    (int)p->vlen, p->isnull ? "(null)" : p->value);
	buf_free(&b);
	return val;
}

static void
test_on_demand(void)
{
	struct source		 src, per;
	struct source_waiter	*w1, *w2;
	char			 msg[128];
	int			 one = 1, two = 2;

	memset(&src, 0, sizeof(src));
	memset(&per, 0, sizeof(per));
	source_init(&src, "seed", fail_run, NULL);
	src.retry = ask_retry;
	src.own_events = 1;
	src.warnings = "";

	/* Enabled without an interval: nothing runs until asked. */
	source_configure(&src, 1, 0, 1, 2);
	ok(!src.running && src.next_run == 0, "interval 0: enabling starts no run");
	ok(!source_periodic(&src), "interval 0: not a periodic source (not REFRESH's)");
	event_base_loop(md.base, EVLOOP_NONBLOCK);
	is_int(runs, 0, "interval 0: the loop runs nothing by itself");
	is_str(status_of(&src, "state"), "idle", "interval 0: STATUS state idle");
	is_str(status_of(&src, "warnings"), "", "warnings= is in the record");

	/* Two requests join one run and are told in the order they came. */
	retry_answer = 0;
	w1 = source_refresh(&src, 0, waiter_done, &one, msg, sizeof(msg));
	w2 = source_refresh(&src, 0, waiter_done, &two, msg, sizeof(msg));
	ok(w1 != NULL && w2 != NULL, "two requests get waiters");
	is_int(runs, 0, "the run does not start inside source_refresh");
	event_base_loop(md.base, EVLOOP_ONCE);
	is_int(runs, 1, "both requests share one run");
	is_int(told, 2, "both waiters are told");
	ok(told_order[0] == 1 && told_order[1] == 2, "in the order they asked");
	is_str(told_msg, "it broke", "with the run's message");

	/* A failure that retry() declines: no retry, and not "waiting". */
	is_int(src.failures, 1, "the failure is counted");
	ok(src.next_run == 0, "retry() says no: no retry is scheduled");
	is_str(status_of(&src, "state"), "idle", "retry() says no: state idle, as the seeder's on-demand SEED");
	is_str(status_of(&src, "last_error"), "it broke", "last_error is the run's message");

	/* A failure that retry() accepts: a backoff retry is due, "waiting". */
	retry_answer = 1;
	(void)source_refresh(&src, 0, NULL, NULL, msg, sizeof(msg));
	event_base_loop(md.base, EVLOOP_ONCE);
	is_int(runs, 2, "a --no-wait request runs too");
	ok(src.next_run != 0, "retry() says yes: a retry is scheduled");
	is_str(status_of(&src, "state"), "waiting", "retry() says yes: state waiting");

	/* Disabled: the retry is dropped. */
	source_configure(&src, 0, 0, 1, 2);
	ok(src.next_run == 0, "disabling drops the scheduled retry");
	is_str(status_of(&src, "state"), "disabled", "disabled: state disabled");
	ok(source_refresh(&src, 0, waiter_done, &one, msg, sizeof(msg)) == NULL,
	    "disabled: a request is refused");
	is_str(msg, "no seed source configured ([seed] url)", "with the seeder's message");

	/* A periodic source with the same failure always retries. */
	source_init(&per, "catalog", fail_run, NULL);
	source_configure(&per, 1, 3600, 30, 3600);
	ok(per.running, "a periodic source starts its first run when enabled");
	ok(source_periodic(&per), "and is periodic");
	event_base_loop(md.base, EVLOOP_ONCE);
	ok(per.next_run != 0, "a periodic source retries without retry()");
	is_str(status_of(&per, "state"), "waiting", "a failed periodic source is waiting");
	is_str(status_of(&per, "warnings"), "(absent)", "a periodic source's record has no warnings=");

	source_shutdown(&src);
	source_shutdown(&per);
}

int
main(void)
{
	if ((md.base = event_base_new()) == NULL) {
		printf("Bail out! no event base\n");
		return 1;
	}
	tap_run(test_next_delay());
	tap_run(test_on_demand());
	event_base_free(md.base);
	return done_testing();
}
