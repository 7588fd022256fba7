/* reg_keys.c: the rules of API keys: create, revoke, rotate, allow and deny (one transaction each), their read side, and reg_key_may_use, the one test of whether a key may use a model. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "db.h"
#include "db_keys.h"
#include "db_tags.h"
#include "events.h"
#include "keysecret.h"
#include "log.h"
#include "reg_int.h"
#include "reg_keys.h"
#include "registry.h"

int
reg_key_name_ok(const char *name)
{
	size_t	 i, n = strlen(name);

	if (n < 1 || n > KEY_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return 0;
	}
	return 1;
}

int
reg_key_usable(const struct reg_key *k, int64_t now, char *why, size_t len)
{
	if (k->revoked_at != 0) {
		reg_msg(why, len, "key %s is revoked", k->name);
		return 0;
	}
	if (k->expires_at != 0 && k->expires_at <= now) {
		reg_msg(why, len, "key %s has expired", k->name);
		return 0;
	}
	return 1;
}

int
reg_key_names(const struct reg_key *k, const char *model, int64_t grant_gen,
    char *why, size_t len)
{
	if (k->all)
		return 1;
	/* Issue 11: the collection's members now, whatever it held at create. */
	if (k->collection != 0 && grant_gen == 0) {
		reg_msg(why, len, "key %s follows collection %s, which does not "
		    "hold %s", k->name, k->collection_name, model);
		return 0;
	}
	if (grant_gen == 0) {
		reg_msg(why, len, "key %s does not allow %s", k->name, model);
		return 0;
	}
	return 1;
}

int
reg_key_may_use(const struct reg_key *k, const char *model, int64_t grant_gen,
    int64_t model_gen, int64_t now, char *why, size_t len)
{
	if (!reg_key_usable(k, now, why, len))
		return 0;
	if (model_gen == 0) {
		reg_msg(why, len, "no such model: %s", model);
		return 0;
	}
	if (!reg_key_names(k, model, grant_gen, why, len))
		return 0;
	if (k->all)
		return 1;
	/*
	 * The grant was given to the model this id named then; a model
	 * synced since under the same id is another model, and needs a new
	 * grant (key allow).
	 */
	if (grant_gen != model_gen) {
		reg_msg(why, len, "key %s was given an earlier model called %s, "
		    "since deleted; an admin must allow it again", k->name,
		    model);
		return 0;
	}
	return 1;
}

/* A key's changes are audited with the key's name as the field. */
static int
reg_key_audit(sqlite3 *db, int64_t now, const struct actor *a,
    const char *action, const char *model, const char *name,
    const char *oldv, const char *newv)
{
	return db_audit(db, now, a, action, model, name, oldv, newv);
}

/* A key's event: details {"reason":"manual",...,"key":NAME[,"models":[...]]}. */
static int
reg_key_event(sqlite3 *db, const char *kind, const char *name,
    const struct actor *a, const char *const *models, int n,
    const char *what)
{
	struct buf	 x = { 0 };
	char		 line[128];
	int		 i, rc = -1;

	if (buf_puts(&x, ",\"key\":") == -1 || buf_json_str(&x, name) == -1)
		goto out;
	if (models != NULL) {
		if (buf_puts(&x, ",\"models\":[") == -1)
			goto out;
		for (i = 0; i < n; i++)
			if ((i > 0 && buf_puts(&x, ",") == -1) ||
			    buf_json_str(&x, models[i]) == -1)
				goto out;
		if (buf_puts(&x, "]") == -1)
			goto out;
	}
	/* Events of keys have no model: the message names the key. */
	snprintf(line, sizeof(line), "key %s %s", name, what);
	rc = reg_event(db, kind, NULL, a, x.data, line);
out:
	if (rc == -1 && x.data == NULL)
		log_warnx("event %s: out of memory", kind);
	buf_free(&x);
	return rc;
}

/* The models named, resolved to ids in order, duplicates dropped: 0, 1 (msg set: unknown), -1. */
struct reg_ids {
	char	 id[KEY_MODELS_MAX][256];
	int	 n;
};
static struct reg_ids reg_ids;	/* 32 KiB: not on the stack; rules run on the loop's thread */

static int
reg_key_resolve(sqlite3 *db, const struct reg_key_in *in, struct reg_ids *ids,
    char *msg, size_t len)
{
	struct db_modelref	 ref;
	int			 i, j, r;

	ids->n = 0;
	for (i = 0; i < in->nmodels && i < KEY_MODELS_MAX; i++) {
		if ((r = db_model_resolve(db, in->models[i], &ref)) == -1)
			return -1;
		if (r == 1) {
			reg_msg(msg, len, "no such model: %s", in->models[i]);
			return 1;
		}
		for (j = 0; j < ids->n; j++)
			if (strcmp(ids->id[j], ref.id) == 0)
				break;
		if (j == ids->n)
			memcpy(ids->id[ids->n++], ref.id, sizeof(ref.id));
	}
	return 0;
}

/* A key by name inside the open transaction: REG_OK, or the refusal (rolled back). */
static enum reg_rc
reg_key_find(sqlite3 *db, const char *name, int64_t now, struct reg_key *k,
    char *msg, size_t len)
{
	int	 r;

	if ((r = db_key_get(db, name, now, k)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1)
		return reg_refuse(db, REG_NOTFOUND, msg, len, "no such key: %s",
		    name);
	return REG_OK;
}

/* A new secret and its digest, stored for key; the secret into out. */
static int
reg_key_secret(sqlite3 *db, int64_t key, char *out, size_t outlen)
{
	unsigned char	 h[KEY_HASH_LEN];
	int		 rc;

	if (keysecret_new(out, outlen) == -1 || keysecret_hash(out, h) == -1)
		return -1;
	rc = db_key_secret_add(db, key, h);
	keysecret_wipe(h, sizeof(h));
	return rc;
}

enum reg_rc
reg_key_create(sqlite3 *db, const struct reg_key_in *in,
    struct reg_key_out *out, char *msg, size_t len)
{
	struct reg_ids		*idsp = &reg_ids;
	struct reg_key		 k;
	const char		*v[KEY_MODELS_MAX];
	char			 summary[512], exp[32];
	int64_t			 now = reg_clock(in->now), id, expires_at = 0;
	int64_t			 cid = 0;
	int			 i, r;

	memset(out, 0, sizeof(*out));
	if (!reg_key_name_ok(in->name))
		return reg_refuse(db, REG_USAGE, msg, len, "bad key name: 1 to "
		    "%d letters, digits, '.', '_' or '-', a letter or digit "
		    "first", KEY_NAME_MAX);
	if (in->note != NULL && strlen(in->note) > KEY_NOTE_MAX)
		return reg_refuse(db, REG_USAGE, msg, len, "a note is at most "
		    "%d bytes", KEY_NOTE_MAX);
	if (in->all && in->nmodels > 0)
		return reg_refuse(db, REG_USAGE, msg, len, "give a list of "
		    "models or all, not both");
	if (in->collection != NULL && (in->all || in->nmodels > 0))
		return reg_refuse(db, REG_USAGE, msg, len, "a key follows a "
		    "collection, or has a list of models or all, not two");
	if (in->nmodels > KEY_MODELS_MAX)
		return reg_refuse(db, REG_USAGE, msg, len, "at most %d models "
		    "at once", KEY_MODELS_MAX);
	if (in->expires < 0)
		return reg_refuse(db, REG_USAGE, msg, len, "bad expiry");
	if (in->expires > 0)
		expires_at = now + in->expires;
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((r = db_key_get(db, in->name, now, &k)) == -1)
		return reg_fail(db, msg, len);
	if (r == 0)
		return reg_refuse(db, REG_CONFLICT, msg, len, "a key called %s "
		    "exists already%s", in->name, k.revoked_at != 0 ?
		    " (revoked: names are not reused)" : "");
	if ((r = reg_key_resolve(db, in, idsp, msg, len)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1) {
		db_rollback(db);
		return REG_NOTFOUND;
	}
	if (in->collection != NULL) {
		if ((r = db_collection_get(db, in->collection, &cid, NULL)) == -1)
			return reg_fail(db, msg, len);
		if (r == 1)
			return reg_refuse(db, REG_NOTFOUND, msg, len,
			    "no such collection: %s", in->collection);
	}
	if (db_key_insert(db, in->name, in->all, in->note, now, in->actor,
	    expires_at, &id) == -1 ||
	    (cid != 0 && db_key_set_collection(db, id, cid) == -1))
		return reg_fail(db, msg, len);
	for (i = 0; i < idsp->n; i++) {
		int64_t gen;
		if (db_model_gen(db, idsp->id[i], &gen) != 0 ||
		    db_key_grant_set(db, id, idsp->id[i], gen) == -1)
			return reg_fail(db, msg, len);
		v[i] = idsp->id[i];
	}
	if (expires_at > 0)
		reg_rfc3339(expires_at, exp, sizeof(exp));
	else
		snprintf(exp, sizeof(exp), "never");
	if (in->all)
		snprintf(summary, sizeof(summary), "all models, expires %s", exp);
	else if (cid != 0)
		snprintf(summary, sizeof(summary), "collection %s, expires %s",
		    in->collection, exp);
	else
		snprintf(summary, sizeof(summary), "%d model%s, expires %s",
		    idsp->n, idsp->n == 1 ? "" : "s", exp);
	if (reg_key_secret(db, id, out->secret, sizeof(out->secret)) == -1 ||
	    reg_key_audit(db, now, in->actor, "key.created", NULL, in->name,
	    NULL, summary) == -1 ||
	    reg_key_event(db, "key.created", in->name, in->actor, v, idsp->n,
	    "created") == -1 || db_commit(db) == -1) {
		keysecret_wipe(out->secret, sizeof(out->secret));
		return reg_fail(db, msg, len);
	}
	events_notify();
	memcpy(out->name, in->name, strlen(in->name) + 1);
	out->expires_at = expires_at;
	if (in->all)
		reg_msg(msg, len, "key %s created: it may use every model",
		    in->name);
	else if (cid != 0)
		reg_msg(msg, len, "key %s created: it may use the models of "
		    "collection %s, as it changes", in->name, in->collection);
	else if (idsp->n == 0)
		reg_msg(msg, len, "key %s created: it may use no model until "
		    "one is allowed", in->name);
	else
		reg_msg(msg, len, "key %s created: it may use %d model%s",
		    in->name, idsp->n, idsp->n == 1 ? "" : "s");
	return REG_OK;
}

enum reg_rc
reg_key_revoke(sqlite3 *db, const struct reg_key_in *in,
    struct reg_key_out *out, char *msg, size_t len)
{
	struct reg_key	 k;
	int64_t		 now = reg_clock(in->now);
	const char	*by = in->actor->user != NULL ? in->actor->user : "unknown";
	enum reg_rc	 rc;

	memset(out, 0, sizeof(*out));
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((rc = reg_key_find(db, in->name, now, &k, msg, len)) != REG_OK)
		return rc;
	if (k.revoked_at != 0)
		return reg_refuse(db, REG_CONFLICT, msg, len, "key %s is already "
		    "revoked", k.name);
	if (db_key_revoke(db, k.id, now, by) == -1 ||
	    reg_key_audit(db, now, in->actor, "key.revoked", NULL, k.name,
	    "active", "revoked") == -1 ||
	    reg_key_event(db, "key.revoked", k.name, in->actor, NULL, 0,
	    "revoked") == -1 || db_commit(db) == -1)
		return reg_fail(db, msg, len);
	events_notify();
	memcpy(out->name, k.name, sizeof(out->name));
	reg_msg(msg, len, "key %s revoked: its secret is refused from now on",
	    k.name);
	return REG_OK;
}

enum reg_rc
reg_key_rotate(sqlite3 *db, const struct reg_key_in *in,
    struct reg_key_out *out, char *msg, size_t len)
{
	struct reg_key	 k;
	char		 why[300], until[32], what[96];
	int64_t		 now = reg_clock(in->now);
	enum reg_rc	 rc;

	memset(out, 0, sizeof(*out));
	if (in->grace < 0 || in->grace > KEY_GRACE_MAX)
		return reg_refuse(db, REG_USAGE, msg, len, "a grace period is at "
		    "most 30d");
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((rc = reg_key_find(db, in->name, now, &k, msg, len)) != REG_OK)
		return rc;
	if (!reg_key_usable(&k, now, why, sizeof(why)))
		return reg_refuse(db, REG_CONFLICT, msg, len, "%s: create a new "
		    "key instead", why);
	if (in->grace > 0) {
		reg_rfc3339(now + in->grace, until, sizeof(until));
		snprintf(what, sizeof(what), "old secret until %s", until);
	} else
		snprintf(what, sizeof(what), "old secret refused at once");
	if (db_key_secret_retire(db, k.id, now + in->grace, now) == -1 ||
	    reg_key_secret(db, k.id, out->secret, sizeof(out->secret)) == -1 ||
	    reg_key_audit(db, now, in->actor, "key.rotated", NULL, k.name,
	    NULL, what) == -1 ||
	    reg_key_event(db, "key.rotated", k.name, in->actor, NULL, 0,
	    "rotated") == -1 || db_commit(db) == -1) {
		keysecret_wipe(out->secret, sizeof(out->secret));
		return reg_fail(db, msg, len);
	}
	events_notify();
	memcpy(out->name, k.name, sizeof(out->name));
	out->old_until = in->grace > 0 ? now + in->grace : 0;
	if (in->grace > 0)
		reg_msg(msg, len, "key %s has a new secret; the old one works "
		    "until %s", k.name, until);
	else
		reg_msg(msg, len, "key %s has a new secret; the old one is "
		    "refused from now on", k.name);
	return REG_OK;
}

/* ALLOW and DENY: the key, its grants changed one model at a time. */
static enum reg_rc
reg_key_grants_change(sqlite3 *db, const struct reg_key_in *in, int allow,
    struct reg_key_out *out, char *msg, size_t len)
{
	struct db_modelref	 ref;
	struct reg_key		 k;
	char			(*ids)[256] = reg_ids.id;
	const char		*v[KEY_MODELS_MAX];
	int64_t			 now = reg_clock(in->now), gen, ggen, count;
	int			 i, j, n = 0, r, known;
	enum reg_rc		 rc;

	memset(out, 0, sizeof(*out));
	if (in->nmodels < 1 || in->nmodels > KEY_MODELS_MAX)
		return reg_refuse(db, REG_USAGE, msg, len, "name 1 to %d models",
		    KEY_MODELS_MAX);
	if (db_begin(db) == -1)
		return reg_fail(db, msg, len);
	if ((rc = reg_key_find(db, in->name, now, &k, msg, len)) != REG_OK)
		return rc;
	if (k.revoked_at != 0)
		return reg_refuse(db, REG_CONFLICT, msg, len, "key %s is revoked",
		    k.name);
	if (k.all)
		return reg_refuse(db, REG_CONFLICT, msg, len, "key %s may use "
		    "every model (all): it has no list to change", k.name);
	if (k.collection != 0)
		return reg_refuse(db, REG_CONFLICT, msg, len, "key %s follows "
		    "collection %s: change the collection instead", k.name,
		    k.collection_name);
	for (i = 0; i < in->nmodels; i++) {
		const char *id;

		if ((r = db_model_resolve(db, in->models[i], &ref)) == -1)
			return reg_fail(db, msg, len);
		/* A deleted model is denied by the id the key keeps. */
		if (r == 1 && allow)
			return reg_refuse(db, REG_NOTFOUND, msg, len,
			    "no such model: %s", in->models[i]);
		known = r == 0;
		id = known ? ref.id : in->models[i];
		for (j = 0; j < n; j++)
			if (strcmp(ids[j], id) == 0)
				break;
		if (j < n)
			continue;
		if ((r = db_key_grant_gen(db, k.id, id, &ggen)) == -1)
			return reg_fail(db, msg, len);
		if (allow) {
			if (db_model_gen(db, id, &gen) != 0)
				return reg_fail(db, msg, len);
			if (r == 0 && ggen == gen)
				continue;	/* allowed already */
			if (db_key_grant_set(db, k.id, id, gen) == -1 ||
			    reg_key_audit(db, now, in->actor, "key.allowed", id,
			    k.name, r == 0 ? "gone" : NULL, "allowed") == -1)
				return reg_fail(db, msg, len);
		} else {
			if (r == 1) {
				if (known)
					continue;	/* not allowed anyway */
				return reg_refuse(db, REG_NOTFOUND, msg, len,
				    "key %s names no model %s", k.name,
				    in->models[i]);
			}
			if (db_key_grant_del(db, k.id, id) == -1 ||
			    reg_key_audit(db, now, in->actor, "key.denied", id,
			    k.name, "allowed", NULL) == -1)
				return reg_fail(db, msg, len);
		}
		memcpy(ids[n], id, strlen(id) + 1);
		v[n] = ids[n];
		n++;
	}
	if (n == 0)
		return reg_refuse(db, REG_CONFLICT, msg, len, "key %s %s", k.name,
		    allow ? "allows those models already" :
		    "does not allow those models");
	if (db_key_grant_count(db, k.id, &count) == -1)
		return reg_fail(db, msg, len);
	if (count > KEY_GRANTS_MAX)
		return reg_refuse(db, REG_CONFLICT, msg, len, "a key names at "
		    "most %d models", KEY_GRANTS_MAX);
	if (reg_key_event(db, allow ? "key.allowed" : "key.denied", k.name,
	    in->actor, v, n, allow ? "allows more models" :
	    "allows fewer models") == -1 ||
	    db_commit(db) == -1)
		return reg_fail(db, msg, len);
	events_notify();
	memcpy(out->name, k.name, sizeof(out->name));
	out->changed = n;
	reg_msg(msg, len, "key %s %s %d model%s (%lld in its list)", k.name,
	    allow ? "now also allows" : "no longer allows", n,
	    n == 1 ? "" : "s", (long long)count);
	return REG_OK;
}

enum reg_rc
reg_key_allow(sqlite3 *db, const struct reg_key_in *in,
    struct reg_key_out *out, char *msg, size_t len)
{
	return reg_key_grants_change(db, in, 1, out, msg, len);
}

enum reg_rc
reg_key_deny(sqlite3 *db, const struct reg_key_in *in,
    struct reg_key_out *out, char *msg, size_t len)
{
	return reg_key_grants_change(db, in, 0, out, msg, len);
}

/* The read side: a key's grants as two comma lists. */
struct reg_key_lists {
	struct buf	 models, gone;
	int		 failed;
};

static int
reg_key_grant_add(const char *id, int present, void *arg)
{
	struct reg_key_lists	*l = arg;
	struct buf		*b = present ? &l->models : &l->gone;

	if ((b->len > 0 && buf_puts(b, ",") == -1) || buf_puts(b, id) == -1) {
		l->failed = 1;
		return 1;
	}
	return 0;
}

struct reg_key_walk {
	sqlite3		*db;
	reg_key_cb	 cb;
	void		*arg;
	int		 failed;
};

static int
reg_key_visit(const struct reg_key *k, void *arg)
{
	struct reg_key_walk	*w = arg;
	struct reg_key_lists	 l;
	int			 stop;

	memset(&l, 0, sizeof(l));
	if (db_key_grants(w->db, k->id, reg_key_grant_add, &l) == -1 ||
	    l.failed) {
		buf_free(&l.models);
		buf_free(&l.gone);
		w->failed = 1;
		return 1;
	}
	stop = w->cb(k, l.models.data != NULL ? l.models.data : "",
	    l.gone.data != NULL ? l.gone.data : "", w->arg);
	buf_free(&l.models);
	buf_free(&l.gone);
	return stop;
}

enum reg_rc
reg_key_show(sqlite3 *db, const char *name, int64_t now, reg_key_cb cb,
    void *arg, char *msg, size_t len)
{
	struct reg_key_walk	 w = { db, cb, arg, 0 };
	struct reg_key		 k;
	int			 r;

	now = reg_clock(now);
	if ((r = db_key_get(db, name, now, &k)) == -1)
		return reg_fail(db, msg, len);
	if (r == 1) {
		reg_msg(msg, len, "no such key: %s", name);
		return REG_NOTFOUND;
	}
	reg_key_visit(&k, &w);
	return w.failed ? reg_fail(db, msg, len) : REG_OK;
}

enum reg_rc
reg_key_list(sqlite3 *db, int64_t now, reg_key_cb cb, void *arg, char *msg,
    size_t len)
{
	struct reg_key_walk	 w = { db, cb, arg, 0 };

	if (db_key_each(db, reg_clock(now), reg_key_visit, &w) == -1 ||
	    w.failed)
		return reg_fail(db, msg, len);
	return REG_OK;
}
