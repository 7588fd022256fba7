/* caps.c: the caps' timer: runs the period tick (reg_caps_tick) when a cap with something to reset reaches its period's end, at start, and at least every minute. */
#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "caps.h"
#include "config.h"
#include "daemon.h"
#include "import.h"
#include "log.h"
#include "reg_caps.h"
#include "registry.h"

/*
 * At most a minute between ticks: a charge that starts spending a cap
 * (USAGE) need not re-arm the timer, and a cap's reset is at most that
 * late even then. A tick with nothing due is one indexed read and an
 * empty transaction.
 */
#define CAPS_EVERY	60
/* While an import runs, the tick is tried again this often (microseconds). */
#define CAPS_IMPORT_WAIT	100000

static struct event	*caps_timer;

static void
caps_arm(int64_t delay)
{
	struct timeval	 tv;

	if (delay < 0)
		delay = 0;
	if (delay > CAPS_EVERY)
		delay = CAPS_EVERY;
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = 0;
	if (evtimer_add(caps_timer, &tv) == -1)
		fatalx("caps: cannot arm the timer");
}

static void
caps_run(evutil_socket_t fd, short what, void *arg)
{
	struct reg_caps_tick	 res;
	struct timeval		 later = { 0, CAPS_IMPORT_WAIT };
	int64_t			 now = (int64_t)time(NULL);
	char			 msg[256];

	(void)fd;
	(void)what;
	(void)arg;
	if (import_busy()) {
		/* The worker holds the write lock: wait on a timer, as expiry does. */
		log_debug("caps: the tick waits for the import under way");
		if (evtimer_add(caps_timer, &later) == -1)
			fatalx("caps: cannot arm the timer");
		return;
	}
	reg_caps_fallback(&md.cfg->default_fallback);
	if (reg_caps_tick(md.db, now, &res, msg, sizeof(msg)) != REG_OK) {
		log_warnx("caps: the tick failed; next try in %d s", CAPS_EVERY);
		caps_arm(CAPS_EVERY);
		return;
	}
	if (res.reset + res.reactivated > 0)
		log_info("caps: %s", msg);
	/* The rule compares end <= now: due at next exactly. */
	caps_arm(res.next > 0 ? res.next - now : CAPS_EVERY);
}

void
caps_init(void)
{
	if (caps_timer == NULL &&
	    (caps_timer = evtimer_new(md.base, caps_run, NULL)) == NULL)
		fatalx("caps: cannot create a timer");
	reg_caps_fallback(&md.cfg->default_fallback);
	caps_arm(0);
}

void
caps_check_soon(void)
{
	if (caps_timer != NULL)
		caps_arm(0);
}

void
caps_reconfigure(void)
{
	/* The old configuration is freed after this: its list goes with it. */
	reg_caps_fallback(&md.cfg->default_fallback);
	caps_check_soon();
}

void
caps_shutdown(void)
{
	reg_caps_fallback(NULL);
	if (caps_timer != NULL) {
		event_free(caps_timer);
		caps_timer = NULL;
	}
}
