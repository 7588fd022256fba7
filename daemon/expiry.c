/* expiry.c: when models expire: one timer that runs the expiry rule (reg_expiry_check) when an event is due, at least hourly. */
#include <sys/types.h>

#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "config.h"
#include "daemon.h"
#include "events.h"
#include "expiry.h"
#include "import.h"
#include "log.h"
#include "registry.h"

/*
 * At most an hour between checks, so a clock that jumps or an expiry
 * date changed behind our back is noticed; otherwise the timer is armed
 * for the next moment an event falls due (a warning window opening, a
 * model expiring), so events come on time rather than up to an hour late.
 */
#define EXPIRY_EVERY	3600
/* While an import runs, the check is tried again this often (microseconds). */
#define EXPIRY_IMPORT_WAIT	100000

static struct event	*expiry_timer;

static void
expiry_arm(int64_t delay)
{
	struct timeval	 tv;

	if (delay < 0)
		delay = 0;
	if (delay > EXPIRY_EVERY)
		delay = EXPIRY_EVERY;
	tv.tv_sec = (time_t)delay;
	tv.tv_usec = 0;
	if (evtimer_add(expiry_timer, &tv) == -1)
		fatalx("expiry: cannot arm the timer");
}

static void
expiry_run(evutil_socket_t fd, short what, void *arg)
{
	struct expiry_result	 res;
	struct reg_settings	 rs;
	int64_t			 now = (int64_t)time(NULL);
	struct reg_expiry_in	 in = { now };
	struct timeval		 later = { 0, EXPIRY_IMPORT_WAIT };

	(void)fd;
	(void)what;
	(void)arg;
	if (import_busy()) {
		/*
		 * The worker holds the write lock: the check waits its turn
		 * here, a timer, not in SQLite's busy handler with the loop.
		 */
		log_debug("expiry: the check waits for the import under way");
		if (evtimer_add(expiry_timer, &later) == -1)
			fatalx("expiry: cannot arm the timer");
		return;
	}
	if (reg_expiry_check(md.db, reg_settings_cfg(md.cfg, &rs), &in, &res,
	    NULL, 0) != REG_OK) {
		log_warnx("expiry: the check failed; next try in %d s",
		    EXPIRY_EVERY);
		expiry_arm(EXPIRY_EVERY);
		return;
	}
	if (res.expiring + res.expired > 0) {
		events_notify();
		log_debug("expiry: %d expiring, %d expired", res.expiring,
		    res.expired);
	}
	/* One second past the due time: the rule compares with <=. */
	expiry_arm(res.next > 0 ? res.next - now + 1 : EXPIRY_EVERY);
}

void
expiry_init(void)
{
	if (expiry_timer == NULL &&
	    (expiry_timer = evtimer_new(md.base, expiry_run, NULL)) == NULL)
		fatalx("expiry: cannot create a timer");
	expiry_arm(0);
}

void
expiry_check_soon(void)
{
	if (expiry_timer != NULL)
		expiry_arm(0);
}

void
expiry_reconfigure(void)
{
	expiry_check_soon();
}

void
expiry_shutdown(void)
{
	if (expiry_timer != NULL) {
		event_free(expiry_timer);
		expiry_timer = NULL;
	}
}
