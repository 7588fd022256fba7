/* reg_util.c: what the rule files share: messages, the clock, refusals, a person's event, and the settings from the config. */
#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "registry.h"
#include "reg_int.h"

int64_t
reg_clock(int64_t now)
{
	return now != 0 ? now : (int64_t)time(NULL);
}

/*
 * Names in messages come from users and catalogs: a control byte there
 * must not break the reply line, so it is shown as '?'.
 */
void
reg_sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

void
reg_msg(char *msg, size_t len, const char *fmt, ...)
{
	va_list	 ap;

	if (msg == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	reg_sanitize(msg);
}

enum reg_rc
reg_refuse(sqlite3 *db, enum reg_rc rc, char *msg, size_t len,
    const char *fmt, ...)
{
	va_list	 ap;

	db_rollback(db);
	if (msg != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(msg, len, fmt, ap);
		va_end(ap);
		reg_sanitize(msg);
	}
	return rc;
}

enum reg_rc
reg_fail(sqlite3 *db, char *msg, size_t len)
{
	db_rollback(db);
	reg_msg(msg, len, "database error: nothing was changed");
	return REG_INTERNAL;
}

const char *
reg_source(const struct actor *a)
{
	return a->source != NULL ? a->source : "manual";
}

const char *
reg_status_name(int active)
{
	return active ? "active" : "inactive";
}

/*
 * A person's change raises an event too, so that EVENTS, WATCH and the
 * alert channels see every change, not only the daemon's own. It joins
 * the open transaction: it commits with the change or not at all. The
 * message names who; it never repeats the model id, which the event's
 * model column carries.
 */
int
reg_event(sqlite3 *db, const char *kind, const char *model,
    const struct actor *a, const char *extra, const char *what)
{
	struct buf	 d = { 0 };
	const char	*user = a->user != NULL ? a->user : "unknown";
	int		 rc = -1;

	if (buf_puts(&d, "{\"reason\":\"manual\",\"actor\":") == -1 ||
	    buf_json_str(&d, user) == -1 ||
	    buf_printf(&d, ",\"uid\":%u%s}", (unsigned)a->uid,
	    extra != NULL ? extra : "") == -1) {
		log_warnx("event %s: out of memory", kind);
		goto out;
	}
	rc = events_add(db, kind, model, d.data, "%s by %s (uid %u)", what,
	    user, (unsigned)a->uid);
out:
	buf_free(&d);
	return rc;
}

/* The kinds of model, in the order REG_KINDS names them. */
static const char *const reg_kinds[] = {
	"chat", "embedding", "moderation", "ocr", "image", "audio", "other",
};

int
reg_parse_kind(const char *s, const char **kind)
{
	size_t	 i;

	for (i = 0; i < sizeof(reg_kinds) / sizeof(reg_kinds[0]); i++)
		if (strcasecmp(s, reg_kinds[i]) == 0) {
			*kind = reg_kinds[i];
			return 0;
		}
	return -1;
}

void
reg_rfc3339(int64_t t, char *out, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "%lld", (long long)t);
}

/* The one place that knows which config keys the rules read. */
const struct reg_settings *
reg_settings_cfg(const struct config *cfg, struct reg_settings *s)
{
	memset(s, 0, sizeof(*s));
	if (cfg == NULL)
		return s;
	s->always_active = &cfg->always_active;
	s->always_inactive = &cfg->always_inactive;
	s->new_model_active = cfg->new_model_active;
	s->default_model = cfg->default_model;
	s->fallback = &cfg->default_fallback;
	s->expiry_warning = cfg->catalog_expiry_warning;
	return s;
}
