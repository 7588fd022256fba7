/* reg_caps.h: the rules of spending caps (issue 10 item 2): set, remove, the read side, the charge a usage report makes, and the period tick. */
#ifndef MODELREG_REG_CAPS_H
#define MODELREG_REG_CAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "reg_keys.h"
#include "registry.h"

struct actor;
struct cfg_list;

#define CAP_AMOUNT_MAX		1000000000.0	/* USD in one period */
#define CAP_WINDOW_MAX		(366L * 86400)
#define CAP_WARN_DEFAULT	80

/*
 * A cap as the rules see it: on a model id (model set, key_id 0) or on
 * a key (key_id and key set, model ""). period is "day", "week", "month"
 * (calendar periods in UTC) or "window" (window seconds counted from
 * anchor, when it was set). start and end bound the current period;
 * warned, exceeded and tripped say what it has done in it.
 */
struct reg_cap {
	int64_t	 id;
	char	 model[256];
	int64_t	 key_id;
	char	 key[KEY_NAME_MAX + 1];
	double	 amount;		/* USD per period */
	char	 period[8];
	int64_t	 window;		/* seconds, for "window" */
	int	 warn;			/* percent; 0: no cap.warning */
	int64_t	 anchor;
	int64_t	 start, end;
	double	 spent;
	int	 warned, exceeded, tripped;
	int64_t	 set_at;
	char	 set_by[257];
};

/*
 * The pure parts, for the handler and the tests. reg_cap_parse_period:
 * "day", "week", "month" or a duration (1s to 366d) into period and
 * *window: 0, or -1. reg_cap_parse_amount: a plain decimal above 0, at
 * most CAP_AMOUNT_MAX, no sign, exponent or hex: 0, or -1.
 * reg_cap_bounds: the period of c that holds now, into *start and *end.
 * reg_cap_current: c as it stands at now: past its end, the period that
 * holds now with nothing spent (the tick writes that later).
 */
int	 reg_cap_parse_period(const char *s, char *period, size_t len,
	    int64_t *window);
int	 reg_cap_parse_amount(const char *s, double *amount);
void	 reg_cap_bounds(const struct reg_cap *c, int64_t now, int64_t *start,
	    int64_t *end);
void	 reg_cap_current(struct reg_cap *c, int64_t now);
/* "day", "week", "month", or the window as "10m", "2h", "90s" (out: 16 bytes). */
void	 reg_cap_period_name(const struct reg_cap *c, char *out, size_t len);

/*
 * Where a cap that deactivates the default gets the next default from
 * ([defaults] fallback): the charge is called inside another rule's
 * transaction with no configuration, so the daemon sets this at start
 * and at every reload (caps.c), and a USAGE group its own copy on the
 * thread that commits it (usage.c). Per thread; NULL: no fallback list.
 * Returns the list the thread had, to put back.
 */
const struct cfg_list *reg_caps_fallback(const struct cfg_list *);

struct reg_cap_in {
	const char		*model;		/* set, remove, show: an id or alias; NULL for a key's */
	const char		*key;		/* a key's name; NULL for a model's */
	double			 amount;	/* set */
	const char		*period;	/* set: "day", ..., "window" */
	int64_t			 window;	/* set: for "window" */
	int			 warn;		/* set: percent, 0 to 99 */
	const struct actor	*actor;
	int64_t			 now;
};

/*
 * CAP SET: a new cap on the model or key, or a changed one. A cap set
 * again with the same period keeps its period and what was spent in it
 * (raising the amount does not forget the spend), and its state is
 * settled at once against the new amount: a spend already past it
 * exceeds it now, a spend below it ends the limit and reactivates the
 * model it deactivated. Another period starts afresh at now.
 * out: the cap as stored.
 */
enum reg_rc reg_cap_set(sqlite3 *, const struct reg_cap_in *, struct reg_cap *out,
	    char *msg, size_t len);
/* CAP REMOVE: the cap goes, and what it did ends (the limit, its deactivation). */
enum reg_rc reg_cap_remove(sqlite3 *, const struct reg_cap_in *, char *msg,
	    size_t len);
/* CAP LIST, CAP SHOW: each cap as it stands at now (reg_cap_current). */
typedef int (*reg_cap_cb)(const struct reg_cap *, void *arg);
enum reg_rc reg_cap_list(sqlite3 *, int64_t now, reg_cap_cb, void *arg,
	    char *msg, size_t len);
/* The cap of a model (exact id) or key (name), as it stands at now: 0, 1 none, -1. */
int	 reg_cap_of(sqlite3 *, const char *model, const char *key, int64_t now,
	    struct reg_cap *c);

/*
 * THE charge, for USAGE's per-report transaction: inside the caller's
 * open transaction (no BEGIN, no COMMIT: the caller commits, then calls
 * events_notify()). A cap whose period ended is moved to the current
 * one first (as the tick would). Then:
 *  - the key's cap already spent (exceeded in this period): refused,
 *    REG_CAPS_LIMIT with msg for ERR limit, and nothing is written;
 *  - else cost_usd is added to the spend of the model's cap and of the
 *    key's cap; crossing the warning share raises cap.warning (once a
 *    period), crossing 100% raises cap.exceeded (once a period) and
 *    deactivates the model (status source auto, reason cap; the default
 *    reassigned first) or limits the key (RESOLVE and USAGE answer ERR
 *    limit until the period ends). The report that crosses 100% is
 *    charged, the next is refused: a key's cap is overshot by at most
 *    one report. A model's cap refuses nothing: the report is of usage
 *    that happened; the model stops being answered instead.
 * model_id is an exact id; key_name_or_NULL a key's name. A model or
 * key without a cap costs one indexed read each. Returns 0 charged,
 * REG_CAPS_LIMIT refused, REG_CAPS_BAD a cost that is negative or not a
 * number (refused, msg set), -1 a database error (the caller rolls back).
 * *changed (may be NULL) is set when the charge raised an event
 * (warned, exceeded, deactivated a model, limited a key): the caller's
 * commit must then move the write generation, so that SHOW's and
 * RESOLVE's caches forget the old state, and tell the event watchers.
 */
#define REG_CAPS_LIMIT	1
#define REG_CAPS_BAD	2
int	 reg_caps_charge(sqlite3 *db, const char *model_id,
	    const char *key_name_or_NULL, double cost_usd, int64_t now,
	    char *msg, size_t msglen, int *changed);

/*
 * The period tick (caps.c's timer, and at start): every cap whose period
 * ended moves to the current one with nothing spent; a model its cap
 * deactivated is reactivated (only if its status is still the cap's:
 * one a person deactivated or activated since stays as it is), a key's
 * limit ends, and cap.reset is raised for a cap that had warned or
 * exceeded. One transaction. res->next: the next period end that has
 * something to reset (0: none).
 */
struct reg_caps_tick {
	int	 rolled;		/* caps moved to a new period */
	int	 reset;			/* of them, cap.reset raised */
	int	 reactivated;		/* models */
	int64_t	 next;
};
enum reg_rc reg_caps_tick(sqlite3 *, int64_t now, struct reg_caps_tick *res,
	    char *msg, size_t len);

#endif
