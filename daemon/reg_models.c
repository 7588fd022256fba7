/* reg_models.c: the rules of people's changes to models: ACTIVATE, DEACTIVATE, DEFAULT and DELETE, each one transaction. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "registry.h"
#include "reg_int.h"
#include "sessions.h"

/* ACTIVATE and DEACTIVATE. */
static enum reg_rc
reg_change_status(sqlite3 *db, const struct reg_model_in *in, int active,
    struct reg_status_out *out, char *msg, size_t len)
{
	struct db_modelref	 ref;
	const struct actor	*a = in->actor;
	int64_t			 now = reg_clock(in->now);
	int			 r;

	memset(out, 0, sizeof(*out));
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_model_resolve(db, in->model, &ref)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such model: %s", in->model);
	if (ref.active == active)
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "%s is already %s", ref.id, reg_status_name(active));
	if (!active && ref.is_default)
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "%s is the default: set another default first", ref.id);
	if (db_model_set_status(db, ref.id, active, reg_source(a), now) == -1 ||
	    db_audit(db, now, a, active ? "activate" : "deactivate", ref.id,
	    "status", reg_status_name(!active), reg_status_name(active)) == -1 ||
	    reg_event(db, active ? "model.activated" : "model.deactivated",
	    ref.id, a, NULL, active ? "activated" : "deactivated") == -1 ||
	    db_commit(db) == -1)
		return reg_fail(db, msg, len);
	events_notify();
	memcpy(out->id, ref.id, sizeof(out->id));
	out->was_active = ref.active;
	out->active = active;
	reg_msg(msg, len, "%s is now %s", ref.id, reg_status_name(active));
	return REG_OK;
}

enum reg_rc
reg_activate(sqlite3 *db, const struct reg_model_in *in,
    struct reg_status_out *out, char *msg, size_t len)
{
	return reg_change_status(db, in, 1, out, msg, len);
}

enum reg_rc
reg_deactivate(sqlite3 *db, const struct reg_model_in *in,
    struct reg_status_out *out, char *msg, size_t len)
{
	return reg_change_status(db, in, 0, out, msg, len);
}

/* default.changed's own members: ,"old":...,"new":... (as the daemon's own). */
static int
reg_default_extra(struct buf *b, const char *oldid, const char *newid)
{
	if (buf_puts(b, ",\"old\":") == -1 ||
	    (oldid[0] != '\0' ? buf_json_str(b, oldid) :
	    buf_puts(b, "null")) == -1 ||
	    buf_puts(b, ",\"new\":") == -1 || buf_json_str(b, newid) == -1) {
		log_warnx("event default.changed: out of memory");
		return -1;
	}
	return 0;
}

enum reg_rc
reg_set_default(sqlite3 *db, const struct reg_model_in *in,
    struct reg_default_out *out, char *msg, size_t len)
{
	struct db_modelref	 ref;
	struct buf		 extra = { 0 };
	char			 what[300], why[300], prev[256];
	int64_t			 now = reg_clock(in->now);
	int			 r;

	memset(out, 0, sizeof(*out));
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_model_resolve(db, in->model, &ref)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such model: %s", in->model);
	if (ref.is_default)
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "%s is already the default", ref.id);
	/* The one rule for the default: it checks, moves the mark and audits. */
	if ((r = reg_default_make(db, ref.id, now, in->actor, prev,
	    sizeof(prev), why, sizeof(why))) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_CONFLICT, msg, len, "%s", why);
	if (prev[0] != '\0')
		snprintf(what, sizeof(what), "made the default instead of %s",
		    prev);
	else
		snprintf(what, sizeof(what), "made the default (there was none)");
	if (reg_default_extra(&extra, prev, ref.id) == -1 ||
	    reg_event(db, "default.changed", ref.id, in->actor, extra.data,
	    what) == -1 || db_commit(db) == -1) {
		buf_free(&extra);
		return reg_fail(db, msg, len);
	}
	buf_free(&extra);
	events_notify();
	memcpy(out->id, ref.id, sizeof(out->id));
	memcpy(out->previous, prev, sizeof(out->previous));
	if (prev[0] != '\0')
		reg_msg(msg, len, "%s is now the default (was %s)", ref.id,
		    prev);
	else
		reg_msg(msg, len, "%s is now the default (there was none)",
		    ref.id);
	return REG_OK;
}

enum reg_rc
reg_delete(sqlite3 *db, const struct reg_model_in *in,
    struct reg_delete_out *out, char *msg, size_t len)
{
	struct db_modelref	 ref;
	size_t			 live = 0;
	int			 r;

	memset(out, 0, sizeof(*out));
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_model_resolve(db, in->model, &ref)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such model: %s", in->model);
	if (ref.is_default)
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "%s is the default: set another default first", ref.id);
	/* Issue 9 item 4: a model in use is deactivated, not deleted. */
	if (in->force && !in->admin)
		return reg_refuse(db, REG_DENIED, msg, len,
		    "force=yes needs the admin role");
	if (in->sessions != NULL && (live = sessions_count(in->sessions,
	    ref.id, reg_clock(in->now))) > 0 && !in->force)
		return reg_refuse(db, REG_CONFLICT, msg, len, "%s is in use by "
		    "%zu session%s; deactivate it instead", ref.id, live,
		    live == 1 ? "" : "s");
	if (db_model_delete(db, ref.id, reg_clock(in->now), in->actor) == -1 ||
	    reg_event(db, "model.deleted", ref.id, in->actor, NULL,
	    "deleted") == -1 || db_commit(db) == -1)
		return reg_fail(db, msg, len);
	events_notify();
	memcpy(out->id, ref.id, sizeof(out->id));
	if (live > 0) {
		/* They stay, naming the id: their next RESOLVE falls back. */
		sessions_model_gone(in->sessions, ref.id);
		if (live == 1)
			reg_msg(msg, len, "%s deleted; its session falls back "
			    "to the default at its next RESOLVE", ref.id);
		else
			reg_msg(msg, len, "%s deleted; its %zu sessions fall "
			    "back to the default at their next RESOLVE", ref.id,
			    live);
	} else
		reg_msg(msg, len, "%s deleted", ref.id);
	return REG_OK;
}
