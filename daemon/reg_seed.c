/* reg_seed.c: the seed rules (PeerAI's always lists, new_model_status, default_model) applied to a staged catalog in one transaction. */
#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "db_import.h"
#include "db_seed.h"
#include "log.h"
#include "registry.h"
#include "reg_int.h"

/* One rule of the seed's always lists (or default_model), resolved to an id. */
struct seed_rule {
	char		 id[256];
	int		 active;
	const char	*list;		/* the config key that named it */
};

struct seed_rules {
	struct seed_rule	*v;
	size_t			 n, cap;
};

/*
 * Add a warning to res->warnings ("; "-separated). The buffer is bounded:
 * when a warning does not fit, "..." ends the list and later ones are
 * dropped.
 */
static void seed_warn(struct seed_result *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
seed_warn(struct seed_result *res, const char *fmt, ...)
{
	static const char	 more[] = "...";
	char			 line[512];
	va_list			 ap;
	size_t			 len, sep, room;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	reg_sanitize(line);

	len = strlen(res->warnings);
	if (len >= sizeof(more) - 1 &&
	    strcmp(res->warnings + len - (sizeof(more) - 1), more) == 0)
		return;		/* already full */
	sep = len > 0 ? 2 : 0;
	/* Keep room for "; ..." after this one. */
	room = sizeof(res->warnings) - len - 1;
	if (sep + strlen(line) + 2 + sizeof(more) - 1 <= room) {
		snprintf(res->warnings + len, room + 1, "%s%s",
		    sep ? "; " : "", line);
		return;
	}
	snprintf(res->warnings + len, room + 1, "%s%s", sep ? "; " : "", more);
}

/* Add or replace the rule for id: a later list overrides an earlier one. */
static void
seed_rule_put(struct seed_rules *rs, const char *id, int active,
    const char *list)
{
	size_t	 i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].id, id) == 0)
			break;
	if (i == rs->n) {
		/* cap was sized for every name of every list: this cannot overflow. */
		if (rs->n == rs->cap)
			return;
		rs->n++;
		snprintf(rs->v[i].id, sizeof(rs->v[i].id), "%s", id);
	}
	rs->v[i].active = active;
	rs->v[i].list = list;
}

/*
 * Resolve a name from the config: 0 with id set, 1 unknown, -1 on error.
 * A name the catalog does not list is a warning, even when the registry
 * has it (the rule still applies to the registered model).
 */
static int
seed_name(sqlite3 *db, struct seed_result *res, const char *list,
    const char *name, char *id, size_t idlen)
{
	int	 r, staged = 0;

	if ((r = db_seed_find(db, name, id, idlen, &staged)) == -1)
		return -1;
	if (r == 1 || !staged)
		seed_warn(res, "%s: %s is not in the catalog", list, name);
	return r;
}

static int
seed_list(sqlite3 *db, struct seed_result *res, struct seed_rules *rs,
    const char *list, const struct cfg_list *l, int active)
{
	char	 id[256];
	size_t	 i;
	int	 r;

	for (i = 0; i < l->n; i++) {
		if (l->v[i] == NULL || l->v[i][0] == '\0')
			continue;
		if ((r = seed_name(db, res, list, l->v[i], id, sizeof(id))) ==
		    -1)
			return -1;
		if (r == 0)
			seed_rule_put(rs, id, active, list);
	}
	return 0;
}

/*
 * Apply the rules to models already registered, and record them in the
 * temp table seed_rule for the models about to be added. The current
 * default is never deactivated: that would break "the default is active".
 */
static int
seed_apply_rules(sqlite3 *db, const struct seed_rules *rs,
    const struct actor *a, int64_t now, struct seed_result *res)
{
	struct db_modelref	 ref;
	const struct seed_rule	*ru;
	size_t			 i;
	int			 r;

	if (db_seed_rules_reset(db) == -1)
		return -1;
	for (i = 0; i < rs->n; i++) {
		ru = &rs->v[i];
		if (db_seed_rule_set(db, ru->id, ru->active) == -1)
			return -1;
		if ((r = db_model_lookup(db, ru->id, &ref)) == -1)
			return -1;
		if (r == 1 || ref.active == ru->active)
			continue;
		if (!ru->active && ref.is_default) {
			seed_warn(res, "%s: %s is the default: left active",
			    ru->list, ru->id);
			continue;
		}
		if (db_model_set_status(db, ru->id, ru->active, "seed", now) ==
		    -1 || db_audit(db, now, a, "seed.status", ru->id, "status",
		    reg_status_name(!ru->active),
		    reg_status_name(ru->active)) == -1)
			return -1;
		if (ru->active)
			res->activated++;
		else
			res->deactivated++;
	}
	return 0;
}

/*
 * The PeerAI seed rules (see registry.h). Decisions where the documents
 * are silent:
 *  - a model named by both always lists is active (always_active wins),
 *    and default_model, when it is applied, wins over always_inactive;
 *  - updated counts registered models whose metadata changed; activated
 *    and deactivated count status changes of registered models (a new
 *    model simply gets its status, audited as seed.add);
 *  - models the catalog no longer lists are left as they are.
 */
enum reg_rc
reg_seed_apply(sqlite3 *db, const struct reg_settings *s,
    const struct reg_seed_in *in, struct seed_result *res, char *msg,
    size_t len)
{
	static const struct cfg_list	 none = { NULL, 0 };
	const struct cfg_list		*act = &none, *inact = &none;
	const struct actor		*a = in->actor;
	const char			*defname = NULL;
	struct seed_rules		 rs = { NULL, 0, 0 };
	struct db_modelref		 ref;
	char				 defid[256], now_s[32], kind[32];
	char				 why[300];
	int64_t				 now = reg_clock(in->now), staged;
	int64_t				 expires_at;
	int				 r, have_default, want_default = 0;
	int				 new_active = 0;

	memset(res, 0, sizeof(*res));
	if (s != NULL) {
		if (s->always_active != NULL)
			act = s->always_active;
		if (s->always_inactive != NULL)
			inact = s->always_inactive;
		new_active = s->new_model_active;
		if (s->default_model != NULL && s->default_model[0] != '\0')
			defname = s->default_model;
	}

	rs.cap = act->n + inact->n + 1;
	if ((rs.v = calloc(rs.cap, sizeof(*rs.v))) == NULL) {
		log_warn("seed");
		reg_msg(msg, len, "out of memory: nothing was changed");
		return REG_INTERNAL;
	}
	if (db_begin(db) == -1)
		goto fail;
	if (db_staging_count(db, &staged) == -1)
		goto fail;
	if (staged == 0) {
		free(rs.v);
		return reg_refuse(db, REG_CONFLICT, msg, len,
		    "the source lists no models");
	}
	if ((r = db_model_default(db, &ref)) == -1)
		goto fail;
	have_default = r == 0;

	/* In increasing precedence: a later rule for the same model wins. */
	if (seed_list(db, res, &rs, "always_inactive", inact, 0) == -1 ||
	    seed_list(db, res, &rs, "always_active", act, 1) == -1)
		goto fail;
	if (defname != NULL) {
		if ((r = seed_name(db, res, "default_model", defname,
		    defid, sizeof(defid))) == -1)
			goto fail;
		if (r == 0 && !have_default) {
			/* Staged or registered: the rule sees what it will be. */
			if ((r = db_staging_kind(db, defid, kind, sizeof(kind),
			    &expires_at)) == -1)
				goto fail;
			if (r == 0 && reg_default_refused(defid, kind,
			    expires_at, now, why, sizeof(why)))
				seed_warn(res, "default_model: %s", why);
			else {
				want_default = 1;
				seed_rule_put(&rs, defid, 1, "default_model");
			}
		}
	}

	if (seed_apply_rules(db, &rs, a, now, res) == -1 ||
	    db_seed_update(db, now, a, &res->updated) == -1 ||
	    db_seed_add(db, now, new_active, a, &res->added, in->defer) == -1)
		goto fail;

	if (want_default) {
		/*
		 * Staged or registered, it is there now and its rule made it
		 * active; the default's one rule has the last word.
		 */
		if ((r = reg_default_make(db, defid, now, a, NULL, 0, why,
		    sizeof(why))) == 1)
			log_warnx("seed: default_model: %s", why);
		if (r != 0)
			goto fail;
		res->default_set = 1;
		memcpy(res->default_id, defid, sizeof(res->default_id));
	}
	res->listed = staged;

	snprintf(now_s, sizeof(now_s), "%lld", (long long)now);
	/*
	 * Metadata written by a seed differs from the catalog's: the next
	 * catalog body must be applied even if it is the last one again.
	 */
	if (res->updated > 0 &&
	    db_state_set(db, "catalog_digest", NULL) == -1)
		goto fail;
	if (db_state_set_once(db, "seeded_at", now_s) == -1 ||
	    db_state_set(db, "last_seed_at", now_s) == -1 ||
	    db_commit(db) == -1)
		goto fail;
	db_import_drop(db);
	free(rs.v);
	if (res->default_set)
		reg_msg(msg, len, "%lld models listed: %d added, %d updated, "
		    "%d activated, %d deactivated; %s is the default",
		    (long long)staged, res->added, res->updated, res->activated,
		    res->deactivated, defid);
	else
		reg_msg(msg, len, "%lld models listed: %d added, %d updated, "
		    "%d activated, %d deactivated", (long long)staged,
		    res->added, res->updated, res->activated, res->deactivated);
	return REG_OK;
fail:
	free(rs.v);
	memset(res, 0, sizeof(*res));
	return reg_fail(db, msg, len);
}

enum reg_rc
reg_seed_finish(sqlite3 *db, char *msg, size_t len)
{
	if (db_import_finish(db) == -1) {
		reg_msg(msg, len, "database error: the sort and search indexes"
		    " were not built");
		return REG_INTERNAL;
	}
	return REG_OK;
}

int
reg_seed_owed(void)
{
	return db_import_owed();
}
