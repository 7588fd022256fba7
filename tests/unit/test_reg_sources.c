/* test_reg_sources.c: unit tests of the source rules (reg_catalog, reg_zdr, reg_uptime) on in-memory databases, with a fake now. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "catalog.h"
#include "config.h"
#include "daemon.h"
#include "db.h"
#include "db_catalog.h"
#include "db_import.h"
#include "digest.h"
#include "log.h"
#include "reg_catalog.h"
#include "reg_uptime.h"
#include "reg_zdr.h"
#include "registry.h"
#include "tap.h"
#include "testdb.h"

/* The rules raise events (events.c), which link the daemon's globals; no loop runs here. */
struct modelregd md;
int daemon_reload(char *err, size_t len) { (void)err; (void)len; return -1; }
void daemon_stop(void) { }
void daemon_status(const char *fmt, ...) { (void)fmt; }

static const struct actor auto_actor = { 0, "test", "auto" };

static int64_t
count_events(sqlite3 *db, const char *kind, const char *model)
{
	char	 sql[256];

	if (model == NULL)
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE "
		    "kind = '%s'", kind);
	else
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM events WHERE "
		    "kind = '%s' AND model = '%s'", kind, model);
	return qint(db, sql);
}

static const char *
status_of(sqlite3 *db, const char *id, char *out, size_t len)
{
	char	 sql[256];

	snprintf(sql, sizeof(sql), "SELECT status || '/' || coalesce(status_reason,"
	    " '-') FROM models WHERE id = '%s'", id);
	return qtext(db, sql, out, len);
}

/* An active or inactive chat model, with a prompt price. */
static void
put_model(sqlite3 *db, const char *id, double pp, int active)
{
	char	 sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO models(id, name, prompt_price,"
	    " features, status, status_source, added_at, status_changed_at,"
	    " kind) VALUES ('%s', '%s', %.3f, 0, '%s', 'seed', 1, 1, 'chat')",
	    id, id, pp, active ? "active" : "inactive");
	if (raw(db, sql) != SQLITE_OK)
		printf("# put_model %s: %s\n", id, sqlite3_errmsg(db));
}

static void
set_default(sqlite3 *db, const char *id)
{
	char	 sql[256];

	raw(db, "UPDATE models SET is_default = NULL");
	snprintf(sql, sizeof(sql), "UPDATE models SET is_default = 1 WHERE id = '%s'",
	    id);
	raw(db, sql);
}

static const char *
default_of(sqlite3 *db, char *out, size_t len)
{
	return qtext(db, "SELECT id FROM models WHERE is_default = 1", out, len);
}

/* {"data":[{"model_id":...},...]} naming the comma-separated slugs. */
static char *
zdr_body(const char *slugs)
{
	struct buf	 b = { 0 };
	const char	*p = slugs, *e;
	int		 first = 1;

	buf_puts(&b, "{\"data\":[");
	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		buf_printf(&b, "%s{\"model_id\":\"%.*s\",\"provider_name\":\"X\"}",
		    first ? "" : ",", (int)(e - p), p);
		first = 0;
		p = *e == ',' ? e + 1 : e;
	}
	buf_puts(&b, "]}");
	return b.data;
}

static enum reg_rc
zdr_apply(sqlite3 *db, const struct reg_zdr_settings *s, const char *slugs,
    const char *etag, int64_t now, struct reg_zdr_out *out, char *msg,
    size_t len)
{
	struct reg_zdr_in	 in;
	char			*body = zdr_body(slugs);
	enum reg_rc		 rc;

	memset(&in, 0, sizeof(in));
	in.from = REG_ZDR_BODY;
	in.body = body;
	in.len = strlen(body);
	in.etag = etag;
	in.now = now;
	in.actor = &auto_actor;
	rc = reg_zdr_apply(db, s, &in, out, msg, len);
	free(body);
	return rc;
}

static void
test_zdr(void)
{
	const int64_t		 now = 1750000000;
	struct reg_zdr_settings	 s = { 1, 50, NULL };
	struct reg_zdr_in	 in;
	struct reg_zdr_out	 out;
	sqlite3			*db;
	char			 msg[512], t[512];

	db = db_open(":memory:");
	ok(db != NULL, "zdr: an in-memory database");
	if (db == NULL)
		return;
	put_model(db, "p/a", 2, 1);
	put_model(db, "p/b", 2, 1);
	put_model(db, "p/c", 1, 1);	/* the cheapest: the strict alternative */
	put_model(db, "p/d", 2, 1);
	put_model(db, "p/e", 2, 1);
	put_model(db, "p/f", 3, 1);
	set_default(db, "p/a");

	/* A first list: nobody had ZDR before, so nothing is lost. */
	is_int(zdr_apply(db, &s, "p/a,p/b,p/c,p/d,p/e,p/f", "\"e1\"", now, &out,
	    msg, sizeof(msg)), REG_OK, "zdr: the first list applies");
	ok(!out.held && out.nlosses == 0 && out.stats.slugs == 6 &&
	    out.stats.endpoints == 6, "zdr: 6 slugs, no loss, not held");
	ok(out.new_etag && strcmp(out.etag, "\"e1\"") == 0,
	    "zdr: the ETag of the list applied is handed back");
	is_str(msg, "6 ZDR endpoints for 6 models", "zdr: the summary");
	is_str(qtext(db, "SELECT value FROM state WHERE key = 'zdr_last_ok'", t,
	    sizeof(t)), "1750000000", "zdr: zdr_last_ok is now");
	reg_zdr_out_free(&out);

	/* An empty list proves nothing. */
	is_int(zdr_apply(db, &s, "", NULL, now + 1, &out, msg, sizeof(msg)),
	    REG_USAGE, "zdr: an empty list is refused");
	is_str(msg, "the ZDR list is empty", "zdr: and says why");
	is_str(qtext(db, "SELECT value FROM state WHERE key = 'zdr_last_ok'", t,
	    sizeof(t)), "1750000000", "zdr: a refused list changes nothing");
	reg_zdr_out_free(&out);

	/* Two of six lost, the default among them: under max_remove, removed. */
	is_int(zdr_apply(db, &s, "p/c,p/d,p/e,p/f", "\"e2\"", now + 10, &out,
	    msg, sizeof(msg)), REG_OK, "zdr: a list losing two applies");
	ok(!out.held && out.nlosses == 2 && out.removed == 2 &&
	    out.with_zdr == 6, "zdr: two losses of six, both removed "
	    "(%zu, %d, %lld)", out.nlosses, out.removed,
	    (long long)out.with_zdr);
	ok(out.nlosses == 2 && strcmp(out.losses[0].id, "p/a") == 0 &&
	    out.losses[0].is_default && strcmp(out.losses[1].id, "p/b") == 0,
	    "zdr: the losses name p/a (the default) and p/b");
	ok(out.default_moved && strcmp(out.old_default, "p/a") == 0,
	    "zdr: the default lost ZDR and its mark moved");
	is_str(out.new_default, "p/c", "zdr: to the cheapest alternative");
	is_str(default_of(db, t, sizeof(t)), "p/c",
	    "zdr: the database agrees (reg_default_reassign)");
	is_int(qint(db, "SELECT count(*) FROM models WHERE id IN ('p/a', 'p/b')"),
	    0, "zdr: both models are gone");
	is_int(count_events(db, "model.zdr_lost", NULL), 2,
	    "zdr: model.zdr_lost for each");
	is_str(qtext(db, "SELECT json_extract(details, '$.enforced') FROM events"
	    " WHERE kind = 'model.zdr_lost' AND model = 'p/b'", t, sizeof(t)),
	    "1", "zdr: details say enforced");
	is_int(count_events(db, "model.removed", "p/a") +
	    count_events(db, "model.removed", "p/b"), 2,
	    "zdr: model.removed for each");
	is_str(qtext(db, "SELECT message FROM events WHERE kind = 'model.removed'"
	    " AND model = 'p/a'", t, sizeof(t)), "removed automatically: it lost "
	    "zero data retention (no ZDR endpoint is listed for it); it was the "
	    "default", "zdr: the default's removal says so");
	is_int(count_events(db, "default.changed", "p/c"), 1,
	    "zdr: default.changed names the new default");
	is_str(qtext(db, "SELECT json_extract(details, '$.old') || ' ' ||"
	    " json_extract(details, '$.reason') FROM events WHERE kind ="
	    " 'default.changed'", t, sizeof(t)), "p/a zdr",
	    "zdr: its details name the old default and the reason");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE at = 1750000010 AND"
	    " action = 'default' AND model = 'p/c' AND old = 'p/a'"), 1,
	    "zdr: the default's move is audited at now");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE at = 1750000010 AND"
	    " actor = 'test' AND model IN ('p/a', 'p/b') AND action = 'delete'"),
	    2, "zdr: both removals are audited at now");
	is_str(msg, "4 ZDR endpoints for 4 models; 2 lost ZDR, removed: p/a, "
	    "p/b; the default is now p/c", "zdr: the summary says it all");
	reg_zdr_out_free(&out);

	/* Three of four lost, the default among them: held, deactivated. */
	is_int(zdr_apply(db, &s, "p/f", "\"e3\"", now + 20, &out, msg,
	    sizeof(msg)), REG_OK, "zdr: a list losing three of four is judged");
	ok(out.held && out.nlosses == 3 && out.removed == 0 &&
	    out.deactivated == 3, "zdr: held, three deactivated, none removed");
	ok(out.default_moved && strcmp(out.old_default, "p/c") == 0 &&
	    strcmp(out.new_default, "p/f") == 0,
	    "zdr: the default moved from p/c to p/f before its deactivation");
	is_str(status_of(db, "p/c", t, sizeof(t)), "inactive/zdr_held",
	    "zdr: the old default is inactive, reason zdr_held");
	is_str(status_of(db, "p/d", t, sizeof(t)), "inactive/zdr_held",
	    "zdr: so is p/d");
	is_int(qint(db, "SELECT count(*) FROM models"), 4,
	    "zdr: the hold removes nothing");
	is_int(count_events(db, "model.deactivated", NULL), 3,
	    "zdr: model.deactivated for each");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE at = 1750000020 AND"
	    " action = 'deactivate'"), 3, "zdr: each deactivation is audited");
	is_int(reg_zdr_held(db, NULL, 0), 1, "zdr: the response is held");
	ok(strncmp(msg, "the ZDR list would remove 3 of the 4 synced models "
	    "with ZDR (p/c, p/d, p/e), more than max_remove 50%", 75) == 0,
	    "zdr: the hold says why: %s", msg);
	reg_zdr_out_free(&out);

	/* The same response again: a person may have decided since. */
	is_int(zdr_apply(db, &s, "p/f", "\"e3\"", now + 30, &out, msg,
	    sizeof(msg)), REG_OK, "zdr: the same response again");
	ok(out.held && out.deactivated == 0 && !out.default_moved,
	    "zdr: held again, nothing deactivated twice");
	reg_zdr_out_free(&out);

	/* A valid list naming them again reactivates them. */
	is_int(zdr_apply(db, &s, "p/c,p/d,p/e,p/f", "\"e4\"", now + 40, &out,
	    msg, sizeof(msg)), REG_OK, "zdr: a list naming them all again");
	ok(!out.held && out.relisted == 3 && out.nlosses == 0,
	    "zdr: three reactivated, no loss");
	is_str(status_of(db, "p/d", t, sizeof(t)), "active/-",
	    "zdr: p/d is active again, its reason cleared");
	is_int(count_events(db, "model.activated", NULL), 3,
	    "zdr: model.activated for each");
	is_int(reg_zdr_held(db, NULL, 0), 0, "zdr: nothing is held any more");
	is_str(default_of(db, t, sizeof(t)), "p/f",
	    "zdr: the default stays where the hold moved it");
	reg_zdr_out_free(&out);

	/* Held again, then --force applies exactly the held response. */
	is_int(zdr_apply(db, &s, "p/f", "\"e5\"", now + 50, &out, msg,
	    sizeof(msg)), REG_OK, "zdr: held again");
	ok(out.held && out.deactivated == 3 && !out.default_moved,
	    "zdr: three deactivated, the default not among them");
	reg_zdr_out_free(&out);
	memset(&in, 0, sizeof(in));
	in.from = REG_ZDR_HELD;
	in.force = 1;
	in.now = now + 60;
	in.actor = &auto_actor;
	is_int(reg_zdr_apply(db, &s, &in, &out, msg, sizeof(msg)), REG_OK,
	    "zdr: --force applies the held response");
	ok(!out.held && out.removed == 3 && !out.default_moved,
	    "zdr: the three are removed, the default is not touched");
	ok(out.new_etag && strcmp(out.etag, "\"e5\"") == 0,
	    "zdr: the held response's ETag comes back");
	is_str(msg, "applied the held response: 1 ZDR endpoints for 1 models; 3 "
	    "lost ZDR, removed: p/c, p/d, p/e (forced)", "zdr: the summary");
	is_int(qint(db, "SELECT count(*) FROM models"), 1, "zdr: one model left");
	is_int(reg_zdr_held(db, NULL, 0), 0, "zdr: the held response is gone");
	reg_zdr_out_free(&out);
	is_int(reg_zdr_apply(db, &s, &in, &out, msg, sizeof(msg)), REG_NOTFOUND,
	    "zdr: --force with nothing held");
	reg_zdr_out_free(&out);

	/* Not enforced: a loss raises its event and nothing is removed. */
	s.enforce = 0;
	put_model(db, "p/g", 2, 1);
	is_int(zdr_apply(db, &s, "p/f,p/g", NULL, now + 70, &out, msg,
	    sizeof(msg)), REG_OK, "zdr: p/g gets ZDR");
	reg_zdr_out_free(&out);
	is_int(zdr_apply(db, &s, "p/f", NULL, now + 80, &out, msg, sizeof(msg)),
	    REG_OK, "zdr: p/g loses it, not enforced");
	ok(!out.held && out.nlosses == 1 && out.removed == 0,
	    "zdr: one loss, nothing removed");
	is_str(qtext(db, "SELECT json_extract(details, '$.enforced') FROM events"
	    " WHERE kind = 'model.zdr_lost' AND model = 'p/g'", t, sizeof(t)),
	    "0", "zdr: details say not enforced");
	is_int(qint(db, "SELECT count(*) FROM models WHERE id = 'p/g'"), 1,
	    "zdr: p/g is kept");
	reg_zdr_out_free(&out);
	db_close(db);
}

/* An OpenRouter catalog of ids c/0..c/(n-1) but those in skip ("2,5"), c/0 at price p0 per token. */
static int
stage_catalog(sqlite3 *db, int n, const char *skip, const char *p0,
    char **bodyp)
{
	struct buf		 b = { 0 };
	struct catalog_stats	 cs;
	char			 err[256], key[8];
	int			 i, first = 1, rc;

	buf_puts(&b, "{\"data\":[");
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "%d", i);
		if (skip != NULL && strstr(skip, key) != NULL)
			continue;
		buf_printf(&b, "%s{\"id\":\"c/%d\",\"name\":\"C %d\","
		    "\"context_length\":1000,\"pricing\":{\"prompt\":\"%s\","
		    "\"completion\":\"0.000002\"}}", first ? "" : ",", i, i,
		    i == 0 ? p0 : "0.000001");
		first = 0;
	}
	buf_puts(&b, "]}");
	rc = catalog_parse(db, FMT_OPENROUTER, b.data, b.len, &cs, err,
	    sizeof(err));
	if (rc == -1)
		printf("# catalog_parse: %s\n", err);
	if (bodyp != NULL)
		*bodyp = b.data;
	else
		buf_free(&b);
	return rc;
}

static enum reg_rc
catalog_apply(sqlite3 *db, const struct reg_catalog_settings *s,
    const char *body, int force, int64_t now, struct reg_catalog_out *out,
    char *msg, size_t len)
{
	struct reg_catalog_in	 in;

	memset(&in, 0, sizeof(in));
	in.body = body != NULL ? body : "{}";
	in.len = strlen(in.body);
	in.format = "openrouter";
	in.etag = "\"c1\"";
	in.force = force;
	in.now = now;
	in.actor = &auto_actor;
	return reg_catalog_apply(db, s, &in, out, msg, len);
}

static void
test_catalog(void)
{
	const int64_t			 now = 1750000000;
	struct reg_catalog_settings	 s = { 30, 20 };
	struct reg_catalog_out		 out;
	struct db_catalog_held		 h;
	struct reg_sync_settings	 ss;
	struct reg_sync_in		 si;
	struct reg_sync_out		 so;
	struct cfg_list			 aa;
	char				 c4[] = "c/4", *aa_v[] = { c4 };
	sqlite3				*db;
	char				 msg[512], t[512], *body = NULL;

	db = db_open(":memory:");
	ok(db != NULL, "catalog: an in-memory database");
	if (db == NULL)
		return;
	ok(stage_catalog(db, 10, NULL, "0.000001", NULL) == 0,
	    "catalog: ten models staged");
	is_int(catalog_apply(db, &s, NULL, 0, now, &out, msg, sizeof(msg)),
	    REG_OK, "catalog: the first catalog applies");
	ok(!out.held && out.staged == 10 && out.added == 10 && out.known == 0,
	    "catalog: ten new, nothing held");
	is_int(qint(db, "SELECT count(*) FROM catalog"), 10,
	    "catalog: the catalog table has them");
	is_str(qtext(db, "SELECT value FROM state WHERE key = 'catalog_etag'", t,
	    sizeof(t)), "\"c1\"", "catalog: the validator is kept");

	/* SYNC: three models join the registry. */
	memset(&ss, 0, sizeof(ss));
	aa.v = aa_v;
	aa.n = 1;
	ss.always_active = &aa;
	si.actor = &auto_actor;
	si.now = now;
	si.name = "c/0";
	is_int(reg_catalog_sync(db, &ss, &si, &so, msg, sizeof(msg)), REG_OK,
	    "sync: c/0");
	ok(strcmp(so.id, "c/0") == 0 && so.active == 0,
	    "sync: new_model_active 0 makes it inactive");
	si.name = "c/4";
	is_int(reg_catalog_sync(db, &ss, &si, &so, msg, sizeof(msg)), REG_OK,
	    "sync: c/4");
	ok(so.active == 1, "sync: always_active makes it active");
	si.name = "c/2";
	is_int(reg_catalog_sync(db, &ss, &si, &so, msg, sizeof(msg)), REG_OK,
	    "sync: c/2");
	is_int(reg_catalog_sync(db, &ss, &si, &so, msg, sizeof(msg)),
	    REG_CONFLICT, "sync: again is a conflict");
	is_str(msg, "c/2 is already synced", "sync: and says so");
	si.name = "nope";
	is_int(reg_catalog_sync(db, &ss, &si, &so, msg, sizeof(msg)),
	    REG_NOTFOUND, "sync: a name the catalog does not list");
	ss.zdr_enforce = 1;
	si.name = "c/3";
	is_int(reg_catalog_sync(db, &ss, &si, &so, msg, sizeof(msg)),
	    REG_CONFLICT, "sync: unknown ZDR with enforce is refused");
	ss.zdr_enforce = 0;
	is_int(count_events(db, "model.synced", NULL), 3,
	    "sync: model.synced for each model added");
	is_int(qint(db, "SELECT count(*) FROM models"), 3,
	    "sync: three models in the registry");

	/* Six of ten dropped (c/2 among them, synced) and c/0's price up 50%. */
	ok(stage_catalog(db, 10, "2,5,6,7,8,9", "0.0000015", &body) == 0,
	    "catalog: a catalog of four staged");
	is_int(catalog_apply(db, &s, body, 0, now + 10, &out, msg, sizeof(msg)),
	    REG_OK, "catalog: the shrink guard judges it");
	ok(out.held && out.dropped == 6 && out.known == 10 && out.percent == 60,
	    "catalog: held, 6 of 10 dropped (60%%)");
	is_str(msg, "would drop 60% of the catalog (6 of 10 models); refresh "
	    "catalog --force applies it", "catalog: the hold says why");
	is_int(qint(db, "SELECT count(*) FROM catalog"), 10,
	    "catalog: the catalog is unchanged");
	is_int(count_events(db, "model.price_increase", NULL) +
	    count_events(db, "model.delisted", NULL), 0,
	    "catalog: no event while held");
	is_int(reg_catalog_held(db, &h, 1), 0, "catalog: the response is held");
	ok(h.body != NULL && h.len == strlen(body) &&
	    memcmp(h.body, body, h.len) == 0 && strcmp(h.format,
	    "openrouter") == 0 && strcmp(h.etag, "\"c1\"") == 0,
	    "catalog: whole, with its format and ETag");

	/* --force applies the held response. */
	ok(stage_catalog(db, 10, "2,5,6,7,8,9", "0.0000015", NULL) == 0,
	    "catalog: the held response parsed again");
	is_int(catalog_apply(db, &s, h.body, 1, now + 20, &out, msg,
	    sizeof(msg)), REG_OK, "catalog: forced, it applies");
	free(h.body);
	ok(!out.held && out.forced && out.dropped == 6,
	    "catalog: applied past the guard");
	ok(out.price_rises == 1 && out.delisted == 1,
	    "catalog: one price increase, one delisting (%d, %d)",
	    out.price_rises, out.delisted);
	is_str(msg, "4 models; 0 new, 6 dropped; 1 synced updated, 1 delisted, "
	    "0 relisted, 1 price increases (forced)", "catalog: the summary");
	is_int(count_events(db, "model.price_increase", "c/0"), 1,
	    "catalog: model.price_increase for c/0");
	is_str(qtext(db, "SELECT message FROM events WHERE kind ="
	    " 'model.price_increase'", t, sizeof(t)), "prompt price 1 -> 1.5 USD "
	    "per 1M tokens (+50%)", "catalog: its message");
	is_str(qtext(db, "SELECT json_extract(details, '$.old_prompt_price') ||"
	    " ' ' || json_extract(details, '$.new_prompt_price') || ' ' ||"
	    " json_extract(details, '$.threshold') FROM events WHERE kind ="
	    " 'model.price_increase'", t, sizeof(t)), "1 1.5 20",
	    "catalog: its details");
	is_int(count_events(db, "model.delisted", "c/2"), 1,
	    "catalog: model.delisted for c/2");
	is_int(qint(db, "SELECT delisted FROM models WHERE id = 'c/2'"), 1,
	    "catalog: c/2 is kept, marked delisted");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE at = 1750000020 AND"
	    " model = 'c/2' AND field = 'delisted'"), 1,
	    "catalog: the mark is audited at now");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE at = 1750000020 AND"
	    " action = 'catalog.update' AND model = 'c/0' AND field ="
	    " 'prompt_price'"), 1, "catalog: the new price is audited "
	    "(catalog.update)");
	is_int(qint(db, "SELECT count(*) FROM catalog"), 4,
	    "catalog: the catalog table is the new catalog");
	is_int(reg_catalog_held(db, &h, 0), 1, "catalog: nothing is held now");

	/* c/2 is listed again. */
	ok(stage_catalog(db, 5, "5", "0.0000015", NULL) == 0,
	    "catalog: five staged, c/2 back");
	is_int(catalog_apply(db, &s, NULL, 0, now + 30, &out, msg, sizeof(msg)),
	    REG_OK, "catalog: it applies");
	ok(!out.held && out.relisted == 1 && out.price_rises == 0 &&
	    out.added == 1, "catalog: one relisted, no new price event");
	is_int(qint(db, "SELECT delisted FROM models WHERE id = 'c/2'"), 0,
	    "catalog: c/2 is no longer delisted");
	free(body);
	db_close(db);
}

static void
test_uptime(void)
{
	const int64_t			 now = 1750000000;
	struct reg_uptime_settings	 s = { 99, 95, 3600 };
	struct reg_uptime_sample	 v[3];
	struct reg_uptime_in		 in;
	struct reg_uptime_out		 out;
	const char			*health[3];
	sqlite3				*db;
	char				 msg[256], t[512];

	db = db_open(":memory:");
	ok(db != NULL, "uptime: an in-memory database");
	if (db == NULL)
		return;
	put_model(db, "u/a", 1, 1);
	put_model(db, "u/b", 2, 1);
	set_default(db, "u/b");
	raw(db, "INSERT INTO uptime_samples(model, at, uptime, health) VALUES"
	    " ('u/a', 1749990000, 99.9, 'green')");
	memset(v, 0, sizeof(v));
	v[0].id = "u/a";
	v[0].reading.endpoints = v[0].reading.working = 1;
	v[0].reading.has_best = 1;
	v[0].reading.best = 99.5;
	v[1].id = "u/b";
	v[1].reading.endpoints = 2;
	v[1].reading.working = 0;
	v[2].id = "u/gone";
	v[2].reading.endpoints = v[2].reading.working = 1;
	in.v = v;
	in.n = 3;
	in.now = now;
	in.notify_later = 0;
	out.health = health;
	is_int(reg_uptime_record(db, &s, &in, &out, msg, sizeof(msg)), REG_OK,
	    "uptime: a pass records");
	ok(out.sampled == 2 && out.gone == 1 && out.green == 1 && out.red == 1,
	    "uptime: two sampled (a green, a red), one gone");
	is_int(out.pruned, 1, "uptime: the sample older than retention is pruned");
	ok(health[0] != NULL && strcmp(health[0], "green") == 0 &&
	    health[1] != NULL && strcmp(health[1], "red") == 0 &&
	    health[2] == NULL, "uptime: each sample's colour, NULL for the gone");
	is_int(qint(db, "SELECT count(*) FROM uptime_samples WHERE at ="
	    " 1750000000"), 2, "uptime: two samples stored at now");
	is_int(out.events, 1, "uptime: one event");
	is_str(qtext(db, "SELECT message FROM events WHERE kind = 'model.down'"
	    " AND model = 'u/b'", t, sizeof(t)), "the default model is down (no "
	    "working endpoint); alternatives: u/a",
	    "uptime: model.down for the default, naming the alternative");
	is_str(qtext(db, "SELECT json_extract(details, '$.alternatives[0]') ||"
	    " ' ' || json_extract(details, '$.default') FROM events WHERE kind ="
	    " 'model.down'", t, sizeof(t)), "u/a 1",
	    "uptime: its details carry the alternatives");
	is_int(count_events(db, "model.up", NULL), 0,
	    "uptime: no model.up for a first green");

	/* u/b recovers. */
	v[1].reading.working = 1;
	v[1].reading.has_best = 1;
	v[1].reading.best = 100;
	in.n = 2;
	in.now = now + 300;
	is_int(reg_uptime_record(db, &s, &in, &out, msg, sizeof(msg)), REG_OK,
	    "uptime: the next pass");
	is_int(count_events(db, "model.up", "u/b"), 1, "uptime: model.up for u/b");
	is_str(qtext(db, "SELECT message FROM events WHERE kind = 'model.up'", t,
	    sizeof(t)), "the default model is up again (uptime 100%); it was red",
	    "uptime: it says what it was");
	is_str(msg, "2 models sampled: 2 green, 0 yellow, 0 red, 0 unknown",
	    "uptime: the summary");
	is_str(reg_uptime_health(&v[0].reading, 99, 99), "green",
	    "uptime: 99.5 is green at 99");
	is_str(reg_uptime_health(&v[0].reading, 100, 99), "yellow",
	    "uptime: yellow under green");
	ok(reg_uptime_event_kind("", "yellow") == NULL,
	    "uptime: a first yellow raises nothing");
	db_close(db);
}

/*
 * Issue 8: an unchanged catalog writes nothing, and a changed one writes
 * only what changed. sqlite3_total_changes() counts every row a statement
 * inserted, updated or deleted on the connection, so the apply's writes
 * are the difference.
 */
static void
test_catalog_diff(void)
{
	const int64_t			 now = 1750000000;
	struct reg_catalog_settings	 s = { 30, 20 };
	struct reg_catalog_out		 out;
	struct reg_sync_settings	 ss;
	struct reg_sync_in		 si;
	struct reg_sync_out		 so;
	sqlite3				*db;
	char				 msg[512];
	int64_t				 audit, events, seen;
	int				 before;

	db = db_open(":memory:");
	ok(db != NULL, "diff: an in-memory database");
	if (db == NULL)
		return;
	ok(stage_catalog(db, 10, NULL, "0.000001", NULL) == 0,
	    "diff: ten models staged");
	is_int(catalog_apply(db, &s, NULL, 0, now, &out, msg, sizeof(msg)),
	    REG_OK, "diff: the first catalog applies");
	memset(&ss, 0, sizeof(ss));
	si.actor = &auto_actor;
	si.now = now;
	si.name = "c/0";
	is_int(reg_catalog_sync(db, &ss, &si, &so, msg, sizeof(msg)), REG_OK,
	    "diff: c/0 synced");
	si.name = "c/1";
	is_int(reg_catalog_sync(db, &ss, &si, &so, msg, sizeof(msg)), REG_OK,
	    "diff: c/1 synced");

	/* The same catalog again, same ETag: not one row is written. */
	ok(stage_catalog(db, 10, NULL, "0.000001", NULL) == 0,
	    "diff: the same catalog staged");
	audit = qint(db, "SELECT count(*) FROM audit");
	events = qint(db, "SELECT count(*) FROM events");
	before = sqlite3_total_changes(db);
	is_int(catalog_apply(db, &s, NULL, 0, now + 10, &out, msg,
	    sizeof(msg)), REG_OK, "diff: the unchanged catalog applies");
	is_int(sqlite3_total_changes(db) - before, 0,
	    "diff: an unchanged catalog writes no row");
	ok(out.updated == 0 && out.added == 0 && out.dropped == 0,
	    "diff: and reports no change");
	is_int(qint(db, "SELECT count(*) FROM audit"), audit,
	    "diff: no audit row");
	is_int(qint(db, "SELECT count(*) FROM events"), events,
	    "diff: no event");
	is_int(qint(db, "SELECT max(last_seen) FROM catalog"), now,
	    "diff: last_seen is not rewritten");

	/* A new ETag for the same content: only the state row. */
	ok(stage_catalog(db, 10, NULL, "0.000001", NULL) == 0,
	    "diff: the same catalog staged again");
	before = sqlite3_total_changes(db);
	{
		struct reg_catalog_in	 in;

		memset(&in, 0, sizeof(in));
		in.body = "{}";
		in.len = 2;
		in.format = "openrouter";
		in.etag = "\"c2\"";
		in.now = now + 20;
		in.actor = &auto_actor;
		is_int(reg_catalog_apply(db, &s, &in, &out, msg, sizeof(msg)),
		    REG_OK, "diff: applied with a new ETag");
	}
	is_int(sqlite3_total_changes(db) - before, 1,
	    "diff: only the validator's state row is written");

	/* One synced model's price changes: one model row, one catalog row, one audit row. */
	ok(stage_catalog(db, 10, NULL, "0.0000011", NULL) == 0,
	    "diff: c/0's price changes");
	audit = qint(db, "SELECT count(*) FROM audit");
	seen = qint(db, "SELECT last_seen_at FROM models WHERE id = 'c/1'");
	before = sqlite3_total_changes(db);
	is_int(catalog_apply(db, &s, NULL, 0, now + 30, &out, msg,
	    sizeof(msg)), REG_OK, "diff: the changed catalog applies");
	is_int(out.updated, 1, "diff: one synced model updated");
	/*
	 * models(c/0) + catalog(c/0) + its audit row + the ETag back to "c1";
	 * issue 10: + model_prices' trigger closing c/0's old price and
	 * opening the new one.
	 */
	is_int(sqlite3_total_changes(db) - before, 6,
	    "diff: a model row, a catalog row, an audit row, the state row, "
	    "two price-history rows");
	is_int(qint(db, "SELECT count(*) FROM model_prices WHERE model = 'c/0'"),
	    2, "diff: the set-based UPDATE recorded c/0's price history");
	is_int(qint(db, "SELECT count(*) FROM model_prices WHERE model = 'c/1'"),
	    1, "diff: c/1's unchanged price keeps one interval");
	is_int(qint(db, "SELECT count(*) FROM audit") - audit, 1,
	    "diff: one audit row");
	is_int(qint(db, "SELECT count(*) FROM audit WHERE action ="
	    " 'catalog.update' AND model = 'c/0' AND field = 'prompt_price'"
	    " AND at = 1750000030"), 1, "diff: it is c/0's price");
	is_int(qint(db, "SELECT last_seen_at FROM models WHERE id = 'c/0'"),
	    now + 30, "diff: the changed model's last_seen_at moves");
	is_int(qint(db, "SELECT last_seen_at FROM models WHERE id = 'c/1'"),
	    seen, "diff: the unchanged one's is not rewritten");
	is_int(qint(db, "SELECT count(*) FROM catalog WHERE last_seen ="
	    " 1750000030"), 1, "diff: one catalog row rewritten");

	/* The same body as the last apply is known without parsing. */
	{
		struct reg_catalog_in	 in;
		int64_t			 items;

		memset(&in, 0, sizeof(in));
		in.body = "{}";
		in.len = 2;
		in.format = "openrouter";
		in.etag = "\"c1\"";
		before = sqlite3_total_changes(db);
		is_int(reg_catalog_same_body(db, &in, &items, msg,
		    sizeof(msg)), 1, "diff: the same body is recognised");
		is_int(items, 10, "diff: ... with the catalog's size");
		is_int(sqlite3_total_changes(db) - before, 0,
		    "diff: ... and writes nothing");
		in.etag = "\"c3\"";
		is_int(reg_catalog_same_body(db, &in, &items, msg,
		    sizeof(msg)), 1, "diff: the same body, a new ETag");
		is_int(sqlite3_total_changes(db) - before, 1,
		    "diff: ... writes only the validator");
		in.body = "{ }";
		in.len = 3;
		is_int(reg_catalog_same_body(db, &in, &items, msg,
		    sizeof(msg)), 0, "diff: another body is not the same");
		in.body = "{}";
		in.len = 2;
		in.format = "openai";
		is_int(reg_catalog_same_body(db, &in, &items, msg,
		    sizeof(msg)), 0, "diff: nor the same body in another format");
	}
	db_close(db);
}

static void
test_digest(void)
{
	char	 hex[DIGEST_HEX_LEN], *a;
	size_t	 i;

	digest_sha256_hex("", 0, hex);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	    "7852b855", "sha256: the empty string");
	digest_sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
	    "f20015ad", "sha256: abc");
	digest_sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, hex);
	is_str(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd4"
	    "19db06c1", "sha256: 56 bytes (two padding blocks)");
	if ((a = malloc(1000000)) == NULL) {
		ok(0, "sha256: memory");
		return;
	}
	for (i = 0; i < 1000000; i++)
		a[i] = 'a';
	digest_sha256_hex(a, 1000000, hex);
	free(a);
	is_str(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39cc"
	    "c7112cd0", "sha256: a million a");
}

/*
 * Issue 8, import speed (schema 5): an apply gives its new rows their
 * search keys first, so that their per-row insert trigger has nothing to
 * do, and indexes them in one statement; without that statement they
 * would not be found. The index stays consistent through a seed, a first
 * and a changed catalog, and any other writer still gets the triggers.
 */
static void
test_import_set_based(void)
{
	const int64_t			 now = 1750000000;
	struct reg_catalog_settings	 s = { 30, 20 };
	struct reg_catalog_out		 out;
	struct reg_seed_in		 in = { &auto_actor, now, 0 };
	struct seed_result		 res;
	sqlite3				*db;
	char				 msg[512];

	db = db_open(":memory:");
	ok(db != NULL, "set-based: an in-memory database");
	if (db == NULL)
		return;

	ok(stage_catalog(db, 20, NULL, "0.000001", NULL) == 0,
	    "set-based: twenty models staged");
	is_int(reg_seed_apply(db, NULL, &in, &res, msg, sizeof(msg)), REG_OK,
	    "set-based: seeded");
	is_int(res.added, 20, "set-based: twenty added");
	is_int(qint(db, "SELECT count(*) FROM model_keys"), 20,
	    "set-based: twenty search keys");
	is_int(qint(db, "SELECT count(*) FROM model_fts WHERE model_fts"
	    " MATCH '\"c/1\"'"), 11, "set-based: the seeded rows are indexed");
	ok(raw(db, "INSERT INTO model_fts(model_fts) VALUES"
	    " ('integrity-check')") == SQLITE_OK,
	    "set-based: the models' index is consistent");

	is_int(catalog_apply(db, &s, NULL, 0, now, &out, msg, sizeof(msg)),
	    REG_OK, "set-based: the first catalog applies");
	is_int(qint(db, "SELECT count(*) FROM catalog_fts WHERE catalog_fts"
	    " MATCH '\"c/1\"'"), 11, "set-based: the entries are indexed");

	/* c/3 dropped, c/20 new, c/0's price changes. */
	ok(stage_catalog(db, 21, "3", "0.0000011", NULL) == 0,
	    "set-based: a changed catalog staged");
	is_int(catalog_apply(db, &s, NULL, 0, now + 10, &out, msg,
	    sizeof(msg)), REG_OK, "set-based: the changed catalog applies");
	ok(out.added == 1 && out.dropped == 1 && out.updated == 1,
	    "set-based: one new, one dropped, one model updated: %s", msg);
	is_int(qint(db, "SELECT count(*) FROM catalog_fts_dirty"), 1,
	    "set-based: the dropped entry's key waits for the search index");
	/* What the job after an import does (import.c, db_import_finish). */
	is_int(db_search_flush(db), 0, "set-based: the dirty keys applied");
	is_int(qint(db, "SELECT count(*) FROM catalog_fts WHERE catalog_fts"
	    " MATCH '\"c/2\"'"), 2, "set-based: c/2 and the new c/20 found");
	is_int(qint(db, "SELECT count(*) FROM catalog_fts WHERE catalog_fts"
	    " MATCH '\"c/3\"'"), 0, "set-based: the dropped c/3 is gone");
	is_int(qint(db, "SELECT count(*) FROM models WHERE delisted = 1"), 1,
	    "set-based: its model is marked delisted");
	ok(raw(db, "INSERT INTO catalog_fts(catalog_fts) VALUES"
	    " ('integrity-check')") == SQLITE_OK,
	    "set-based: the catalog's index is consistent");

	/* Another writer (SYNC, the sqlite3 shell) still gets the triggers. */
	is_int(raw(db, "INSERT INTO models(id, name, aliases, status,"
	    " status_source, added_at, status_changed_at)"
	    " VALUES ('shell/one', 'Shell One', '[\"zz-alias\"]', 'active',"
	    " 'manual', 1, 1)"), SQLITE_OK, "set-based: a row from the shell");
	is_int(qint(db, "SELECT count(*) FROM model_fts WHERE model_fts"
	    " MATCH '\"hel\" AND \"zz-\"'"), 1,
	    "set-based: it is indexed, aliases too");
	is_int(qint(db, "SELECT count(*) FROM model_aliases WHERE alias ="
	    " 'zz-alias'"), 1, "set-based: its alias names it");
	ok(raw(db, "INSERT INTO model_fts(model_fts) VALUES"
	    " ('integrity-check')") == SQLITE_OK,
	    "set-based: the models' index is still consistent");
	db_close(db);
}

/*
 * Change in staging the columns of each model's sig (mult, add: sig =
 * (i * mult + add) % 4095 + 1 for c/i; mult 0: one bit per model).
 */
static int
stage_sigs(sqlite3 *db, int mult, int add)
{
	char	 sql[2048];

	snprintf(sql, sizeof(sql), "UPDATE temp.staging SET"
	    " name = CASE WHEN g & 1 THEN name || ' v2' ELSE name END,"
	    " provider = CASE WHEN g & 2 THEN provider || 'x' ELSE provider END,"
	    " description = CASE WHEN g & 4 THEN 'new text ' || id"
	    "  ELSE description END,"
	    " context_length = CASE WHEN g & 8 THEN context_length + 1"
	    "  ELSE context_length END,"
	    " prompt_price = CASE WHEN g & 16 THEN prompt_price * 2"
	    "  ELSE prompt_price END,"
	    " completion_price = CASE WHEN g & 32 THEN completion_price + 1"
	    "  ELSE completion_price END,"
	    " features = CASE WHEN g & 64 THEN (features | 4) - (features & 4) ELSE features END,"
	    " aliases = CASE WHEN g & 128 THEN json_array('al-' || id)"
	    "  ELSE aliases END,"
	    " canonical_slug = CASE WHEN g & 256 THEN id || '-slug'"
	    "  ELSE canonical_slug END,"
	    " kind = CASE WHEN g & 512 THEN 'embedding' ELSE kind END,"
	    " prices = CASE WHEN g & 1024 THEN '{\"image\":1.5}' ELSE prices END,"
	    " expires_at = CASE WHEN g & 2048 THEN 2000000000 ELSE expires_at END"
	    " FROM (SELECT id AS gid, CASE WHEN %d = 0"
	    "  THEN 1 << (CAST(substr(id, 3) AS INTEGER) %% 12)"
	    "  ELSE (CAST(substr(id, 3) AS INTEGER) * %d + %d) %% 4095 + 1"
	    "  END AS g FROM temp.staging) WHERE id = gid", mult, mult, add);
	return raw(db, sql) == SQLITE_OK ? 0 : -1;
}

/* The fields in which the models differ from staging: the audit rows a refresh makes. */
static int64_t
fields_changed(sqlite3 *db)
{
	return qint(db, "SELECT sum((m.name IS NOT s.name) + (m.provider IS NOT"
	    " s.provider) + (m.description IS NOT s.description) +"
	    " (m.context_length IS NOT s.context_length) + (m.prompt_price IS"
	    " NOT s.prompt_price) + (m.completion_price IS NOT"
	    " s.completion_price) + (m.features IS NOT s.features) +"
	    " (m.aliases IS NOT s.aliases) + (m.canonical_slug IS NOT"
	    " s.canonical_slug) + (m.kind IS NOT s.kind) + (m.prices IS NOT"
	    " s.prices) + (m.expires_at IS NOT s.expires_at))"
	    " FROM models AS m JOIN temp.staging AS s ON s.id = m.id");
}

/*
 * Issue 8, import speed: a refresh writes each changed row's changed
 * columns only, one UPDATE per set of changed columns (db_import.c), or
 * every column when there are more than DB_IMPORT_SIGS such sets. Either
 * way the models and the catalog hold the staged values afterwards,
 * every changed field has its audit row, and the indexes, the search
 * indexes, the alias tables and the price history are what the rows say.
 */
static void
test_import_sigs(void)
{
	const int64_t			 now = 1750000000;
	struct reg_catalog_settings	 s = { 30, 20 };
	struct reg_catalog_out		 out;
	struct reg_seed_in		 in = { &auto_actor, now, 0 };
	struct seed_result		 res;
	sqlite3				*db;
	char				 msg[512], t[64];
	static const int		 rounds[][2] = { { 0, 0 }, { 37, 5 },
	    { 11, 100 } };
	int64_t				 audit, fields;
	size_t				 r;

	db = db_open(":memory:");
	ok(db != NULL, "sigs: an in-memory database");
	if (db == NULL)
		return;
	ok(stage_catalog(db, 120, NULL, "0.000001", NULL) == 0,
	    "sigs: 120 models staged");
	is_int(reg_seed_apply(db, NULL, &in, &res, msg, sizeof(msg)), REG_OK,
	    "sigs: seeded");
	is_int(catalog_apply(db, &s, NULL, 0, now, &out, msg, sizeof(msg)),
	    REG_OK, "sigs: the first catalog applies");
	for (r = 0; r < sizeof(rounds) / sizeof(rounds[0]); r++) {
		ok(stage_catalog(db, 120, NULL, "0.000001", NULL) == 0 &&
		    stage_sigs(db, rounds[r][0], rounds[r][1]) == 0,
		    "sigs %zu: a catalog with changed columns staged", r);
		ok(qint(db, "SELECT count(DISTINCT id) FROM temp.staging") ==
		    120, "sigs %zu: every model staged", r);
		audit = qint(db, "SELECT count(*) FROM audit WHERE action ="
		    " 'catalog.update'");
		fields = fields_changed(db);
		ok(fields >= 120, "sigs %zu: %lld fields changed", r,
		    (long long)fields);
		is_int(catalog_apply(db, &s, NULL, 0, now + 10 + (int64_t)r,
		    &out, msg, sizeof(msg)), REG_OK,
		    "sigs %zu: the changed catalog applies", r);
		is_int(out.updated, 120, "sigs %zu: every model updated", r);
		is_int(qint(db, "SELECT count(*) FROM audit WHERE action ="
		    " 'catalog.update'") - audit, fields,
		    "sigs %zu: an audit row per changed field", r);
		is_int(qint(db, "SELECT count(*) FROM models AS m JOIN catalog"
		    " AS c ON c.id = m.id WHERE m.name IS NOT c.name OR"
		    " m.provider IS NOT c.provider OR m.description IS NOT"
		    " c.description OR m.context_length IS NOT c.context_length"
		    " OR m.prompt_price IS NOT c.prompt_price OR"
		    " m.completion_price IS NOT c.completion_price OR"
		    " m.features IS NOT c.features OR m.aliases IS NOT c.aliases"
		    " OR m.canonical_slug IS NOT c.canonical_slug OR m.kind IS NOT"
		    " c.kind OR m.prices IS NOT c.prices OR m.expires_at IS NOT"
		    " c.expires_at"), 0,
		    "sigs %zu: every model holds its catalog entry's values", r);
		is_int(qint(db, "SELECT count(*) FROM models WHERE last_seen_at"
		    " <> (SELECT max(last_seen_at) FROM models)"), 0,
		    "sigs %zu: every changed model's last_seen_at moved", r);
		is_int(qint(db, "SELECT count(*) FROM catalog WHERE last_seen"
		    " <> (SELECT max(last_seen) FROM catalog)"), 0,
		    "sigs %zu: every changed entry's last_seen moved", r);
		is_str(qtext(db, "PRAGMA integrity_check", t, sizeof(t)), "ok",
		    "sigs %zu: every index agrees with its table", r);
		is_int(db_search_flush(db), 0,
		    "sigs %zu: the search indexes' dirty keys applied", r);
		ok(raw(db, "INSERT INTO model_fts(model_fts) VALUES"
		    " ('integrity-check')") == SQLITE_OK && raw(db,
		    "INSERT INTO catalog_fts(catalog_fts) VALUES"
		    " ('integrity-check')") == SQLITE_OK,
		    "sigs %zu: both search indexes agree with their rows", r);
		is_int(qint(db, "SELECT count(*) FROM models AS m WHERE"
		    " m.description LIKE 'new text %' AND NOT EXISTS (SELECT 1"
		    " FROM model_keys AS k WHERE k.id = m.id AND k.key IN"
		    " (SELECT rowid FROM model_fts WHERE model_fts MATCH"
		    " '\"new\" AND \"tex\"'))"), 0,
		    "sigs %zu: every new description is in the index", r);
		is_int(qint(db, "SELECT count(*) FROM models AS m WHERE"
		    " json_array_length(m.aliases) <> (SELECT count(*) FROM"
		    " model_aliases AS a WHERE a.model = m.id)"), 0,
		    "sigs %zu: the alias table is the rows' aliases", r);
		is_int(qint(db, "SELECT count(*) FROM models AS m WHERE NOT"
		    " EXISTS (SELECT 1 FROM model_prices AS p WHERE p.model = m.id"
		    " AND p.until IS NULL AND p.prompt_price IS m.prompt_price AND"
		    " p.completion_price IS m.completion_price)"), 0,
		    "sigs %zu: each model's open price is its price", r);
	}
	db_close(db);
}

static int
count_models(const struct model *m, void *arg)
{
	(void)m;
	(*(int *)arg)++;
	return 0;
}

/* LIST search=text: the models found. */
static int
search_n(sqlite3 *db, const char *text)
{
	struct list_query	 q;
	int			 n = 0;

	memset(&q, 0, sizeof(q));
	q.search = text;
	if (reg_list(db, &q, count_models, &n) != REG_OK)
		return -1;
	return n;
}

/*
 * Issue 8, import speed (schema 11): the search index is written behind.
 * A write records a changed or deleted row's key with the text the index
 * holds, once; a search is exact meanwhile (the index's matches and the
 * dirty keys are its candidates); db_search_flush applies them; a key
 * deleted and given again to a new row is indexed once, with the new
 * row's text.
 */
static void
test_search_behind(void)
{
	const int64_t			 now = 1750000000;
	struct reg_seed_in		 in = { &auto_actor, now, 0 };
	struct seed_result		 res;
	sqlite3				*db;
	char				 msg[512];

	db = db_open(":memory:");
	ok(db != NULL, "behind: an in-memory database");
	if (db == NULL)
		return;
	ok(stage_catalog(db, 5, NULL, "0.000001", NULL) == 0 &&
	    reg_seed_apply(db, NULL, &in, &res, msg, sizeof(msg)) == REG_OK,
	    "behind: five models seeded");
	is_int(qint(db, "SELECT count(*) FROM model_fts_dirty"), 0,
	    "behind: a seed's rows are in the index");
	ok(raw(db, "UPDATE models SET description = 'zebra crossing'"
	    " WHERE id = 'c/1'") == SQLITE_OK && raw(db, "UPDATE models SET"
	    " description = 'yak shaving' WHERE id = 'c/1'") == SQLITE_OK,
	    "behind: c/1's description changed twice, as the shell would");
	is_int(qint(db, "SELECT count(*) FROM model_fts_dirty"), 1,
	    "behind: its key waits, once");
	is_int(qint(db, "SELECT count(*) FROM model_fts_dirty WHERE"
	    " description IS NOT ''"), 0,
	    "behind: ... with the text the index holds (the first old one)");
	is_int(search_n(db, "yak shav"), 1, "behind: the new text is found");
	is_int(search_n(db, "zebra"), 0, "behind: the text in between is not");
	is_int(qint(db, "SELECT count(*) FROM model_fts WHERE model_fts MATCH"
	    " '\"yak\"'"), 0, "behind: (the index does not have it yet)");
	ok(raw(db, "DELETE FROM models WHERE id = 'c/4'") == SQLITE_OK,
	    "behind: c/4, the last key, deleted");
	ok(raw(db, "INSERT INTO models(id, name, status, status_source,"
	    " added_at, status_changed_at) VALUES ('new/x', 'Newcomer',"
	    " 'inactive', 'manual', 1, 1)") == SQLITE_OK,
	    "behind: a new model, which gets c/4's key again");
	is_int(qint(db, "SELECT key FROM model_keys WHERE id = 'new/x'"),
	    qint(db, "SELECT max(key) FROM model_fts_dirty"),
	    "behind: ... a key that still waits");
	is_int(search_n(db, "newcomer"), 1, "behind: the new model is found");
	is_int(search_n(db, "c/4"), 0, "behind: the deleted one is not");
	is_int(db_search_flush(db), 0, "behind: applied");
	is_int(qint(db, "SELECT count(*) FROM model_fts_dirty"), 0,
	    "behind: no key waits");
	ok(raw(db, "INSERT INTO model_fts(model_fts) VALUES"
	    " ('integrity-check')") == SQLITE_OK,
	    "behind: the index is consistent");
	is_int(qint(db, "SELECT count(*) FROM model_fts WHERE model_fts MATCH"
	    " '\"yak\"'"), 1, "behind: the index has the new text");
	is_int(qint(db, "SELECT count(*) FROM model_fts WHERE model_fts MATCH"
	    " '\"c/1\" AND \"C 1\"'"), 1, "behind: ... and c/1 once");
	is_int(qint(db, "SELECT count(*) FROM model_fts WHERE model_fts MATCH"
	    " '\"c/4\"'"), 0, "behind: not the deleted model's text");
	is_int(qint(db, "SELECT count(*) FROM model_fts WHERE model_fts MATCH"
	    " '\"com\" AND \"mer\"'"), 1, "behind: the new model's, once");
	is_int(search_n(db, "yak shav"), 1, "behind: found through the index");
	db_close(db);
}

int
main(void)
{
	log_init(getenv("TEST_VERBOSE") != NULL ? 7 : 2);
	tap_run(test_zdr());
	tap_run(test_catalog());
	tap_run(test_catalog_diff());
	tap_run(test_import_set_based());
	tap_run(test_import_sigs());
	tap_run(test_search_behind());
	tap_run(test_digest());
	tap_run(test_uptime());
	return done_testing();
}
