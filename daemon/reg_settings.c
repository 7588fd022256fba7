/* reg_settings.c: the rules of the per-model settings: SET and UNSET (label, organisation aliases, default parameters, enforcement), one transaction each. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db_settings.h"
#include "events.h"
#include "log.h"
#include "registry.h"
#include "reg_int.h"
#include "reg_settings.h"
#include "settings.h"

/*
 * What one SET or UNSET changed: the audit rows are written as the
 * changes are found; names (for the message) and changed (the event's
 * "changed" array) are built alongside.
 */
struct reg_cfg {
	sqlite3			*db;
	const struct actor	*actor;
	const char		*action;	/* "set" or "unset" */
	const char		*id;
	int64_t			 now;
	int			 n;
	struct buf		 names;		/* "label, temperature, alias gpt4" */
	struct buf		 changed;	/* "\"label\",\"temperature\"" */
};

/* One changed field: its audit row and its name. 0 or -1. */
static int
reg_cfg_change(struct reg_cfg *c, const char *field, const char *oldv,
    const char *newv, const char *shown)
{
	char	 q[64];
	int	 dup;

	if (db_audit(c->db, c->now, c->actor, c->action, c->id, field, oldv,
	    newv) == -1)
		return -1;
	/* changed names each field once, however many aliases changed. */
	dup = c->n > 0 && c->changed.data != NULL &&
	    snprintf(q, sizeof(q), "\"%s\"", field) > 0 &&
	    strstr(c->changed.data, q) != NULL;
	if ((c->n > 0 && buf_puts(&c->names, ", ") == -1) ||
	    (!dup && c->n > 0 && buf_putc(&c->changed, ',') == -1) ||
	    buf_puts(&c->names, shown != NULL ? shown : field) == -1 ||
	    (!dup && buf_json_str(&c->changed, field) == -1)) {
		log_warnx("settings: out of memory");
		return -1;
	}
	c->n++;
	return 0;
}

/* A parameter's change: old and new as text, NULL when unset. */
static int
reg_cfg_param(struct reg_cfg *c, int i, int had, double oldv, int has,
    double newv)
{
	char	 o[32], n[32];

	if (had == has && (!has || oldv == newv))
		return 0;
	settings_value_text(oldv, o, sizeof(o));
	settings_value_text(newv, n, sizeof(n));
	return reg_cfg_change(c, settings_param_name(i), had ? o : NULL,
	    has ? n : NULL, NULL);
}

static int
reg_cfg_enforced(struct reg_cfg *c, unsigned oldv, unsigned newv)
{
	char	 o[128], n[128];

	if (oldv == newv)
		return 0;
	settings_params_list(oldv, o, sizeof(o));
	settings_params_list(newv, n, sizeof(n));
	return reg_cfg_change(c, "enforced", oldv ? o : NULL, newv ? n : NULL,
	    NULL);
}

static int
reg_cfg_alias(struct reg_cfg *c, const char *oldv, const char *newv)
{
	char	 shown[SETTINGS_ALIAS_MAX + 16];

	/* Aliases are checked: at most SETTINGS_ALIAS_MAX bytes. */
	snprintf(shown, sizeof(shown), "alias %.200s", newv != NULL ? newv :
	    oldv);
	return reg_cfg_change(c, "alias", oldv, newv, shown);
}

/*
 * The end of a rule that found its changes: the settings row, the
 * event and the commit; or, with no change, nothing at all.
 */
static enum reg_rc
reg_cfg_finish(struct reg_cfg *c, const struct db_settings *s, int write,
    struct reg_settings_out *out, char *msg, size_t len)
{
	struct buf	 extra = { 0 };
	enum reg_rc	 rc = REG_INTERNAL;
	char		 what[600];

	snprintf(out->id, sizeof(out->id), "%s", c->id);
	if (c->n == 0) {
		db_rollback(c->db);
		reg_msg(msg, len, "%s: nothing changed", c->id);
		out->changes = 0;
		rc = REG_OK;
		goto done;
	}
	buf_fit(what, sizeof(what), "configured (%s)", c->names.data);
	if ((write && db_settings_put(c->db, c->id, s, c->now) == -1) ||
	    buf_puts(&extra, ",\"changed\":[") == -1 ||
	    buf_puts(&extra, c->changed.data) == -1 ||
	    buf_putc(&extra, ']') == -1 ||
	    reg_event(c->db, "model.configured", c->id, c->actor, extra.data,
	    what) == -1 || db_commit(c->db) == -1) {
		rc = reg_fail(c->db, msg, len);
		memset(out, 0, sizeof(*out));
		goto done;
	}
	events_notify();
	out->changes = c->n;
	buf_fit(msg, len, "%s %s: %s", c->id, strcmp(c->action, "set") == 0 ?
	    "set" : "unset", c->names.data);
	reg_sanitize(msg);
	rc = REG_OK;
done:
	buf_free(&extra);
	buf_free(&c->names);
	buf_free(&c->changed);
	return rc;
}

/* Start a rule: the transaction, the model (by any name), its settings. */
static enum reg_rc
reg_cfg_start(sqlite3 *db, const char *model, struct db_modelref *ref,
    struct db_settings *cur, char (*have)[SETTINGS_ALIAS_MAX + 1], int *nhave,
    char *msg, size_t len)
{
	int	 r;

	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_model_resolve(db, model, ref)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len,
		    "no such model: %s", model);
	if (db_settings_get(db, ref->id, cur) == -1 ||
	    (*nhave = db_org_aliases(db, ref->id, have,
	    SETTINGS_MAX_ALIASES)) == -1)
		return reg_fail(db, msg, len);
	return REG_OK;
}

static int
reg_has_alias(char (*have)[SETTINGS_ALIAS_MAX + 1], int n, const char *a)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(have[i], a) == 0)
			return 1;
	return 0;
}

enum reg_rc
reg_settings_set(sqlite3 *db, const struct reg_set_in *in,
    struct reg_settings_out *out, char *msg, size_t len)
{
	struct db_modelref	 ref;
	struct db_settings	 cur, s;
	struct reg_cfg		 c;
	char			 have[SETTINGS_MAX_ALIASES][SETTINGS_ALIAS_MAX + 1];
	char			 err[300], owner[256];
	const char		*what;
	int64_t			 context;
	enum reg_rc		 rc;
	int			 nhave, i, j, r;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if ((rc = reg_cfg_start(db, in->model, &ref, &cur, have, &nhave, msg,
	    len)) != REG_OK)
		return rc;
	c.db = db;
	c.actor = in->actor;
	c.action = "set";
	c.id = ref.id;
	c.now = reg_clock(in->now);
	s = cur;
	if (db_settings_context(db, ref.id, &context) == -1)
		goto fail;

	/* Every check before the first write: a refusal changes nothing. */
	if (in->label != NULL &&
	    settings_check_label(in->label, err, sizeof(err)) == -1)
		goto usage;
	for (i = 0; i < SP_COUNT; i++)
		if (in->has[i] && settings_check_range(i, in->v[i], context, err,
		    sizeof(err)) == -1)
			goto usage;
	for (i = 0; i < SP_COUNT; i++)
		if ((in->enforce & (1u << i)) && !in->has[i] && !cur.has[i]) {
			snprintf(err, sizeof(err), "cannot enforce %s: it is "
			    "not set (set %s=VALUE too)", settings_param_name(i),
			    settings_param_name(i));
			goto usage;
		}
	if (in->naliases < 0 || in->naliases > SETTINGS_MAX_ALIASES) {
		snprintf(err, sizeof(err), "too many aliases at once");
		goto usage;
	}
	for (i = 0; i < in->naliases; i++) {
		if (settings_check_alias(in->aliases[i], err, sizeof(err)) == -1)
			goto usage;
		if (reg_has_alias(have, nhave, in->aliases[i]))
			continue;	/* the model has it already */
		if ((r = db_name_owner(db, in->aliases[i], owner, sizeof(owner),
		    &what)) == -1)
			goto fail;
		if (r == 0)
			return reg_refuse(db, REG_CONFLICT, msg, len,
			    "alias %s already names %s (%s)", in->aliases[i],
			    owner, what);
	}

	if (in->label != NULL && (!cur.has_label ||
	    strcmp(cur.label, in->label) != 0)) {
		if (reg_cfg_change(&c, "label", cur.has_label ? cur.label : NULL,
		    in->label, NULL) == -1)
			goto fail;
		snprintf(s.label, sizeof(s.label), "%s", in->label);
		s.has_label = 1;
	}
	for (i = 0; i < SP_COUNT; i++) {
		if (!in->has[i])
			continue;
		if (reg_cfg_param(&c, i, cur.has[i], cur.v[i], 1, in->v[i]) == -1)
			goto fail;
		s.has[i] = 1;
		s.v[i] = in->v[i];
	}
	s.enforced = cur.enforced | (in->enforce & SETTINGS_ALL_PARAMS);
	if (reg_cfg_enforced(&c, cur.enforced, s.enforced) == -1)
		goto fail;
	for (i = 0; i < in->naliases; i++) {
		if (reg_has_alias(have, nhave, in->aliases[i]))
			continue;
		for (j = 0; j < i; j++)
			if (strcmp(in->aliases[j], in->aliases[i]) == 0)
				break;
		if (j < i)
			continue;	/* named twice */
		if (nhave >= SETTINGS_MAX_ALIASES) {
			buf_free(&c.names);
			buf_free(&c.changed);
			return reg_refuse(db, REG_CONFLICT, msg, len,
			    "%s would have more than %d organisation aliases",
			    ref.id, SETTINGS_MAX_ALIASES);
		}
		if (db_org_alias_add(db, in->aliases[i], ref.id, c.now) == -1 ||
		    reg_cfg_alias(&c, NULL, in->aliases[i]) == -1)
			goto fail;
		snprintf(have[nhave++], sizeof(have[0]), "%s", in->aliases[i]);
	}
	return reg_cfg_finish(&c, &s, 1, out, msg, len);
usage:
	buf_free(&c.names);
	buf_free(&c.changed);
	return reg_refuse(db, REG_USAGE, msg, len, "%s", err);
fail:
	buf_free(&c.names);
	buf_free(&c.changed);
	return reg_fail(db, msg, len);
}

enum reg_rc
reg_settings_unset(sqlite3 *db, const struct reg_unset_in *in,
    struct reg_settings_out *out, char *msg, size_t len)
{
	struct db_modelref	 ref;
	struct db_settings	 cur, s;
	struct reg_cfg		 c;
	char			 have[SETTINGS_MAX_ALIASES][SETTINGS_ALIAS_MAX + 1];
	enum reg_rc		 rc;
	int			 nhave, i;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if ((rc = reg_cfg_start(db, in->model, &ref, &cur, have, &nhave, msg,
	    len)) != REG_OK)
		return rc;
	c.db = db;
	c.actor = in->actor;
	c.action = "unset";
	c.id = ref.id;
	c.now = reg_clock(in->now);
	s = cur;

	if (!in->all_aliases)
		for (i = 0; i < in->naliases; i++)
			if (!reg_has_alias(have, nhave, in->aliases[i]))
				return reg_refuse(db, REG_CONFLICT, msg, len,
				    "%s is not an organisation alias of %s",
				    in->aliases[i], ref.id);

	if (in->label && cur.has_label) {
		if (reg_cfg_change(&c, "label", cur.label, NULL, NULL) == -1)
			goto fail;
		s.has_label = 0;
	}
	for (i = 0; i < SP_COUNT; i++) {
		if (!(in->params & (1u << i)) || !cur.has[i])
			continue;
		if (reg_cfg_param(&c, i, 1, cur.v[i], 0, 0) == -1)
			goto fail;
		s.has[i] = 0;
	}
	/* What is not set cannot be enforced (the schema says so too). */
	s.enforced = in->all_enforced ? 0 : cur.enforced & ~in->enforce;
	for (i = 0; i < SP_COUNT; i++)
		if (!s.has[i])
			s.enforced &= ~(1u << i);
	if (reg_cfg_enforced(&c, cur.enforced, s.enforced) == -1)
		goto fail;
	for (i = 0; i < nhave; i++) {
		int	 j, named = in->all_aliases;

		for (j = 0; j < in->naliases && !named; j++)
			named = strcmp(in->aliases[j], have[i]) == 0;
		if (!named)
			continue;
		if (db_org_alias_remove(db, have[i], ref.id) == -1 ||
		    reg_cfg_alias(&c, have[i], NULL) == -1)
			goto fail;
	}
	return reg_cfg_finish(&c, &s, 1, out, msg, len);
fail:
	buf_free(&c.names);
	buf_free(&c.changed);
	return reg_fail(db, msg, len);
}
