/* reg_expiry.c: the expiry rule: model.expiring and model.expired, once per expires_at, in one transaction. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "db_expiry.h"
#include "events.h"
#include "registry.h"
#include "reg_int.h"

/* "in 3 days", "in 5 hours", "in 12 minutes": how far off an expiry is. */
static void
reg_fmt_until(int64_t secs, char *out, size_t len)
{
	if (secs >= 2 * 86400)
		snprintf(out, len, "in %lld days", (long long)(secs / 86400));
	else if (secs >= 2 * 3600)
		snprintf(out, len, "in %lld hours", (long long)(secs / 3600));
	else if (secs >= 120)
		snprintf(out, len, "in %lld minutes", (long long)(secs / 60));
	else
		snprintf(out, len, "in %lld seconds", (long long)secs);
}

struct expiry_ctx {
	sqlite3			*db;
	int64_t			 now;
	struct expiry_result	*res;
};

static int
reg_expiry_event(const struct db_expiry *e, void *arg)
{
	struct expiry_ctx	*x = arg;
	char			 when[32], until[48], details[160];
	int			 expired = strcmp(e->which, "expired") == 0;
	int			 r;

	reg_rfc3339(e->expires_at, when, sizeof(when));
	snprintf(details, sizeof(details), "{\"expires_at\":\"%s\","
	    "\"default\":%s,\"active\":%s}", when, e->is_default ? "true" :
	    "false", e->active ? "true" : "false");
	if (expired)
		r = events_add(x->db, "model.expired", e->id, details,
		    "expired at %s and is still active%s", when,
		    e->is_default ? "; it is the default: set another default "
		    "(an expired model cannot be made the default)" :
		    ": deactivate it or move its users to another model");
	else {
		reg_fmt_until(e->expires_at - x->now, until, sizeof(until));
		r = events_add(x->db, "model.expiring", e->id, details,
		    "expires at %s (%s)%s", when, until, e->is_default ?
		    "; it is the default: set another default before then" :
		    "");
	}
	if (r == -1 || db_expiry_mark(x->db, e->id, e->which,
	    e->expires_at) == -1)
		return -1;
	if (expired)
		x->res->expired++;
	else
		x->res->expiring++;
	return 0;
}

enum reg_rc
reg_expiry_check(sqlite3 *db, const struct reg_settings *s,
    const struct reg_expiry_in *in, struct expiry_result *res, char *msg,
    size_t len)
{
	struct expiry_ctx	 x;
	int64_t			 warning;

	memset(res, 0, sizeof(*res));
	x.db = db;
	x.now = reg_clock(in != NULL ? in->now : 0);
	x.res = res;
	warning = s != NULL && s->expiry_warning > 0 ? s->expiry_warning : 0;
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if (db_expiry_each(db, x.now, warning, reg_expiry_event, &x) == -1 ||
	    db_expiry_next(db, x.now, warning, &res->next) == -1 ||
	    db_commit(db) == -1) {
		memset(res, 0, sizeof(*res));
		return reg_fail(db, msg, len);
	}
	reg_msg(msg, len, "%d expiring, %d expired", res->expiring,
	    res->expired);
	return REG_OK;
}
