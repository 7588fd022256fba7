/* reg_default.c: the default's rules: which model may be the default, and who takes over when it goes away. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "registry.h"
#include "reg_int.h"

/*
 * The default rule: the default is a chat model (an embedding or OCR
 * model cannot answer a chat), and one that has not expired (its
 * provider is about to stop serving it). Activity is checked by the
 * callers, with their own messages.
 */
int
reg_default_refused(const char *id, const char *kind, int64_t expires_at,
    int64_t now, char *why, size_t len)
{
	char	 when[32];

	if (kind != NULL && strcmp(kind, "chat") != 0) {
		if (strcmp(kind, "other") == 0)
			reg_msg(why, len, "%s is not a chat model; the default "
			    "must be a chat model", id);
		else
			reg_msg(why, len, "%s is %s %s model; the default must "
			    "be a chat model", id, strcmp(kind, "moderation") ==
			    0 ? "a" : "an", strcmp(kind, "ocr") == 0 ? "OCR" :
			    kind);
		return 1;
	}
	if (expires_at > 0 && expires_at <= now) {
		reg_rfc3339(expires_at, when, sizeof(when));
		reg_msg(why, len, "%s expired at %s; an expired model cannot "
		    "be the default", id, when);
		return 1;
	}
	return 0;
}

int
reg_default_allowed(sqlite3 *db, const char *id, int64_t now, char *why,
    size_t len)
{
	char	 kind[32];
	int64_t	 expires_at = 0;
	int	 r;

	if ((r = db_model_kind(db, id, kind, sizeof(kind), &expires_at)) == -1)
		return -1;
	if (r == 1) {
		reg_msg(why, len, "no such model: %s", id);
		return 1;
	}
	return reg_default_refused(id, kind, expires_at, now, why, len);
}

int
reg_default_make(sqlite3 *db, const char *id, int64_t now,
    const struct actor *a, char *prev, size_t plen, char *why, size_t wlen)
{
	struct db_modelref	 ref, old;
	int			 r, have_old;

	if (prev != NULL && plen > 0)
		prev[0] = '\0';
	if ((r = db_model_lookup(db, id, &ref)) == -1)
		return -1;
	if (r == 1) {
		reg_msg(why, wlen, "no such model: %s", id);
		return 1;
	}
	if (!ref.active) {
		reg_msg(why, wlen, "%s is inactive: activate it first", id);
		return 1;
	}
	if ((r = reg_default_allowed(db, id, now, why, wlen)) != 0)
		return r;
	if ((r = db_model_default(db, &old)) == -1)
		return -1;
	have_old = r == 0;
	/* Clear first: the unique index allows one mark at any moment. */
	if (db_model_clear_default(db) == -1 ||
	    db_model_set_default(db, id) == -1 ||
	    db_audit(db, now, a, "default", id, "default",
	    have_old ? old.id : NULL, id) == -1)
		return -1;
	if (have_old && prev != NULL && plen > 0)
		snprintf(prev, plen, "%s", old.id);
	return 0;
}

void
reg_relaxed_names(unsigned relaxed, const char *sep, char *out, size_t len)
{
	static const struct {
		unsigned	 bit;
		const char	*name;
	} names[] = {
		{ REG_RELAX_CONTEXT, "context" },
		{ REG_RELAX_FEATURES, "features" },
		{ REG_RELAX_HEALTH, "health" },
	};
	size_t	 i, o = 0;

	if (len == 0)
		return;
	out[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((relaxed & names[i].bit) && o < len)
			o += snprintf(out + o, len - o, "%s%s",
			    o > 0 ? sep : "", names[i].name);
}

int
reg_alternatives(sqlite3 *db, const char *model, char (*ids)[256], int max)
{
	struct db_modelref	 ref;

	if (max <= 0)
		return 0;
	/* The model's own name may be an alias; what it stands for is its id. */
	switch (db_model_resolve(db, model, &ref)) {
	case 0:
		break;
	case 1:
		return 0;
	default:
		return -1;
	}
	return db_alternatives(db, ref.id, (int64_t)time(NULL), 0, 0, ids, max);
}

int
reg_pick_default(sqlite3 *db, const struct cfg_list *fallback,
    const char *old_default, int64_t now, char *id, size_t idlen,
    unsigned *relaxed)
{
	/* Relaxed one at a time, in this order, each step keeping the last. */
	static const unsigned	 steps[] = { 0, REG_RELAX_CONTEXT,
	    REG_RELAX_CONTEXT | REG_RELAX_FEATURES,
	    REG_RELAX_CONTEXT | REG_RELAX_FEATURES | REG_RELAX_HEALTH };
	struct db_modelref	 ref;
	char			 alt[1][256], why[300];
	size_t			 i;
	int			 n, r;

	if (relaxed != NULL)
		*relaxed = 0;
	if (idlen == 0)
		return -1;
	/* The administrator's order first: the first listed model that may be the default now. */
	for (i = 0; fallback != NULL && i < fallback->n; i++) {
		switch (db_model_resolve(db, fallback->v[i], &ref)) {
		case 0:
			break;
		case 1:
			continue;
		default:
			return -1;
		}
		if (!ref.active || (old_default != NULL &&
		    strcmp(ref.id, old_default) == 0))
			continue;
		if ((r = reg_default_allowed(db, ref.id, now, why,
		    sizeof(why))) == -1)
			return -1;
		if (r == 1) {
			log_info("[defaults] fallback: %s", why);
			continue;
		}
		if (strlen(ref.id) >= idlen)
			return -1;
		memcpy(id, ref.id, strlen(ref.id) + 1);
		return 1;
	}
	if (old_default == NULL)
		return 0;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if ((n = db_alternatives(db, old_default, now, steps[i], 1, alt, 1)) ==
		    -1)
			return -1;
		if (n == 0)
			continue;
		/* The rule itself has the last word (alt_find already filters by it). */
		if ((r = reg_default_allowed(db, alt[0], now, why,
		    sizeof(why))) == -1)
			return -1;
		if (r == 1 || strlen(alt[0]) >= idlen)
			return -1;
		memcpy(id, alt[0], strlen(alt[0]) + 1);
		if (relaxed != NULL)
			*relaxed = steps[i];
		return 1;
	}
	return 0;
}

int
reg_default_reassign(sqlite3 *db, const struct cfg_list *fallback,
    const char *old, int64_t now, const struct actor *a, const char *reason,
    const char *what, struct reg_reassign *out)
{
	struct buf	 d = { 0 };
	char		 names[64], jnames[64], why[300];
	int		 r, rc = -1;

	memset(out, 0, sizeof(*out));
	if ((r = reg_pick_default(db, fallback, old, now, out->id,
	    sizeof(out->id), &out->relaxed)) == -1)
		return -1;
	out->found = r == 1;
	if (!out->found) {
		out->id[0] = '\0';
		out->relaxed = 0;
	}
	if (out->found) {
		/* The pick obeyed the rule: a refusal here is a broken invariant. */
		if ((r = reg_default_make(db, out->id, now, a, NULL, 0, why,
		    sizeof(why))) == 1)
			log_warnx("default: %s", why);
		if (r != 0)
			return -1;
	} else if (db_model_clear_default(db) == -1 ||
	    db_audit(db, now, a, "default", old, "default", old, NULL) == -1)
		return -1;

	reg_relaxed_names(out->relaxed, ", ", names, sizeof(names));
	reg_relaxed_names(out->relaxed, "\",\"", jnames, sizeof(jnames));
	if (buf_puts(&d, "{\"old\":") == -1 || buf_json_str(&d, old) == -1 ||
	    buf_puts(&d, ",\"new\":") == -1 ||
	    (out->found ? buf_json_str(&d, out->id) :
	    buf_puts(&d, "null")) == -1 ||
	    buf_puts(&d, ",\"reason\":") == -1 ||
	    buf_json_str(&d, reason) == -1 ||
	    buf_puts(&d, ",\"relaxed\":[") == -1 ||
	    (out->relaxed != 0 && buf_printf(&d, "\"%s\"", jnames) == -1) ||
	    buf_puts(&d, "]}") == -1) {
		log_warnx("default.changed: out of memory");
		goto out;
	}
	/* The event's model column is the new default: the message names only the old one. */
	if (out->found && out->relaxed != 0)
		rc = events_add(db, "default.changed", out->id, d.data,
		    "the default model %s %s; this model is the new default, "
		    "chosen with relaxed criteria (%s): no active model "
		    "matched all of them", old, what, names);
	else if (out->found)
		rc = events_add(db, "default.changed", out->id, d.data,
		    "the default model %s %s; this model is the new default",
		    old, what);
	else
		rc = events_add(db, "default.changed", NULL, d.data,
		    "the default model %s %s; no active chat model is left, so "
		    "there is no default model now", old, what);
out:
	buf_free(&d);
	return rc;
}
