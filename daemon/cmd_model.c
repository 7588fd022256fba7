/* cmd_model.c: the verbs on models: LIST, SHOW, ACTIVATE, DEACTIVATE, DEFAULT, DELETE. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "db.h"
#include "expiry.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "reg_cursor.h"
#include "resolve_batch.h"
#include "usage.h"

static const struct {
	unsigned	 bit;
	const char	*name;
} features[] = {
	{ FEAT_STREAMING, "streaming" },
	{ FEAT_VISION, "vision" },
	{ FEAT_REASONING, "reasoning" },
	{ FEAT_TOOLS, "tools" },
};

/*
 * Turn the stored JSON array of aliases into the protocol's comma list.
 * The catalog parsers only keep aliases without quotes, commas or
 * backslashes, so dropping the JSON punctuation is exact.
 */
void
cmd_aliases_list(const char *json, char *out, size_t outlen)
{
	size_t	 o = 0;
	int	 instr = 0;

	for (; json != NULL && *json != '\0' && o + 1 < outlen; json++) {
		if (*json == '"') {
			instr = !instr;
			continue;
		}
		if (!instr && (*json == '[' || *json == ']' || *json == ' '))
			continue;
		out[o++] = *json;
	}
	out[o] = '\0';
}

/* The FEAT_* bits as the protocol's comma list (out: 64 bytes is enough). */
void
cmd_features_list(unsigned bits, char *out, size_t outlen)
{
	size_t	 i;

	out[0] = '\0';
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (bits & features[i].bit)
			snprintf(out + strlen(out), outlen - strlen(out), "%s%s",
			    out[0] != '\0' ? "," : "", features[i].name);
}

int
cmd_model_record(struct buf *b, const struct model *m)
{
	char	 feat[64], aliases[8192];
	int	 rv = 0;

	cmd_features_list(m->features, feat, sizeof(feat));
	cmd_aliases_list(m->aliases, aliases, sizeof(aliases));

	rv |= lf_str(b, "id", m->id);
	rv |= lf_str(b, "name", m->name);
	rv |= lf_str(b, "label", m->label);
	rv |= lf_str(b, "provider", m->provider);
	rv |= lf_str(b, "kind", m->kind != NULL && m->kind[0] ? m->kind : "chat");
	rv |= lf_str(b, "status", m->active ? "active" : "inactive");
	rv |= lf_bool(b, "default", m->is_default);
	rv |= lf_opt_int(b, "context_length",
	    m->has_context, m->context_length);
	rv |= lf_opt_num(b, "prompt_price",
	    m->has_prompt_price, m->prompt_price);
	rv |= lf_opt_num(b, "completion_price",
	    m->has_completion_price, m->completion_price);
	rv |= lf_str(b, "prices", m->prices != NULL && m->prices[0] ?
	    m->prices : "{}");
	rv |= lf_str(b, "features", feat);
	rv |= lf_str(b, "aliases", aliases);
	rv |= lf_str(b, "org_aliases", m->org_aliases != NULL ?
	    m->org_aliases : "");
	rv |= lf_str(b, "tags", m->tags != NULL ? m->tags : "");	/* issue 11 */
	rv |= lf_str(b, "status_source", m->status_source);
	rv |= lf_str(b, "status_reason", m->status_reason);
	rv |= lf_time(b, "added_at", m->added_at);
	rv |= lf_time(b, "status_changed_at", m->status_changed_at);
	rv |= lf_time(b, "last_seen_at", m->last_seen_at);
	rv |= lf_time(b, "expires_at", m->expires_at);
	rv |= lf_str(b, "canonical_slug", m->canonical_slug);
	if (m->zdr < 0)
		rv |= lf_null(b, "zdr");
	else
		rv |= lf_bool(b, "zdr", m->zdr);
	rv |= lf_bool(b, "delisted", m->delisted);
	rv |= lf_str(b, "health", m->health ? m->health : "unknown");
	rv |= lf_opt_num(b, "uptime_30m", m->has_uptime, m->uptime_30m);
	rv |= cmd_settings_record(b, m);
	rv |= lf_str(b, "description", m->description);
	rv |= lf_end(b);
	return rv ? -1 : 0;
}

/* Collects model records for a reply. */
struct collect {
	struct cmd_ctx	*ctx;
	int		 failed;
	char		 id[256];	/* issue 9: the last record's id (resolve_usage_append) */
};

static int
cmd_collect_model(const struct model *m, void *arg)
{
	struct collect	*col = arg;

	if (cmd_model_record(col->ctx->out, m) == -1) {
		col->failed = 1;
		return 1;
	}
	snprintf(col->id, sizeof(col->id), "%s", m->id);
	col->ctx->n++;
	return 0;
}

/*
 * LIST's rows, streamed (issue 8): a cursor over one snapshot gives the
 * count for the status line, then control.c asks for the records a batch
 * at a time as the client reads, so a slow reader of a large registry
 * holds a few hundred KiB, not the whole reply.
 */
static int
cmd_list_produce(void *arg, struct buf *out, int max)
{
	struct reg_cursor		*cur = arg;
	struct model			 m;
	const struct page_cursor	*next;
	int				 k, r;

	for (k = 0; k < max; k++) {
		if ((r = reg_list_next(cur, &m)) == -1)
			return -1;
		if (r == 0) {
			/* A page ends in its next= record, counted in n. */
			if ((next = reg_cursor_next_page(cur)) == NULL)
				return k;
			if (cmd_page_record(out, next) == -1)
				return -1;
			return k + 1;
		}
		if (cmd_model_record(out, &m) == -1 ||
		    resolve_usage_append(out, m.id) == -1 ||
		    cmd_cap_append(out, m.id) == -1)
			return -1;
	}
	return k;
}

static void
cmd_cursor_free(void *arg)
{
	reg_cursor_close(arg);
}

static enum cmd_ret
cmd_list_stream(struct cmd_ctx *ctx, const struct list_query *q)
{
	struct reg_cursor	*cur;
	int64_t			 n;
	enum reg_rc		 rc;

	if ((rc = reg_list_open(md.db, q, &cur, &n)) != REG_OK)
		return cmd_reg_err(ctx, rc, "");
	ctx->n = (int)n;
	ctx->produce = cmd_list_produce;
	ctx->produce_free = cmd_cursor_free;
	ctx->produce_arg = cur;
	return CMD_PRODUCE;
}

enum cmd_ret
cmd_list(struct cmd_ctx *ctx)
{
	struct list_query	 q;
	struct page_cursor	 after;
	const char		*v;

	memset(&q, 0, sizeof(q));
	if ((v = proto_opt(ctx->req, "status")) != NULL &&
	    reg_parse_status_filter(v, &q.status) == -1)
		return cmd_err(ctx, "usage", "bad status \"%.32s\": use active, "
		    "inactive or all", v);
	if ((v = proto_opt(ctx->req, "sort")) != NULL &&
	    reg_parse_sort(v, &q.sort) == -1)
		return cmd_err(ctx, "usage", "bad sort key \"%.32s\": use name, "
		    "provider, context, price or status", v);
	if ((v = proto_opt(ctx->req, "order")) != NULL) {
		if (strcmp(v, "asc") == 0)
			q.desc = 0;
		else if (strcmp(v, "desc") == 0)
			q.desc = 1;
		else
			return cmd_err(ctx, "usage", "bad order \"%.32s\": use "
			    "asc or desc", v);
	}
	if ((v = proto_opt(ctx->req, "kind")) != NULL &&
	    reg_parse_kind(v, &q.kind) == -1)
		return cmd_err(ctx, "usage", "bad kind \"%.32s\": use "
		    REG_KINDS, v);
	q.provider = proto_opt(ctx->req, "provider");
	q.search = proto_opt(ctx->req, "search");
	/* Issue 11: a tag is matched as stored (lower case), a collection by name. */
	q.tag = proto_opt(ctx->req, "tag");
	q.collection = proto_opt(ctx->req, "collection");
	if (cmd_page_opts(ctx, q.sort, q.desc, &q.limit, &after, &q.after) == -1)
		return CMD_ERR;

	/* A page too: the cursor reads its phases and ends it with next=. */
	return cmd_list_stream(ctx, &q);
}

/*
 * SHOW's cache (issue 8, cache.h): the record formatted by
 * cmd_model_record, or that there is no such model, keyed by the name
 * as asked (an id or an alias), under the write generation read before
 * the query, so any commit in between voids it. A record depends only on
 * the database (nothing in it is computed from the clock or the
 * config), so a hit is the same bytes the query would give. Bounded by
 * [daemon] cache_size, which a reload may change.
 */
#define SHOW_FOUND	1
#define SHOW_NOTFOUND	2

static struct cache	*show_cache;

struct cache *
cmd_model_cache(void)
{
	struct cache_stats	 st;

	if (show_cache == NULL)
		show_cache = cache_new(md.cfg->cache_size);
	else {
		cache_get_stats(show_cache, &st);
		if (st.max != md.cfg->cache_size)
			cache_set_max(show_cache, md.cfg->cache_size);
	}
	return show_cache;	/* NULL (out of memory): nothing is cached */
}

/*
 * Issue 9: a cached record is stored as its id's length (a byte), the
 * id, then the record; the live part (sessions=, the counts) is appended
 * from memory after it on every answer, so no flush of RESOLVE's batch
 * has to empty the cache (resolve_batch.h).
 */
static int
cmd_show_put(struct cache *cache, uint64_t gen, const char *name, size_t nlen,
    const char *id, const char *rec, size_t rlen)
{
	struct buf	 v = { 0 };
	size_t		 idlen = strlen(id);
	int		 r = -1;

	if (idlen <= 255 && buf_putc(&v, (char)idlen) != -1 &&
	    buf_append(&v, id, idlen) != -1 && buf_append(&v, rec, rlen) != -1)
		r = cache_put(cache, gen, name, nlen, SHOW_FOUND, v.data, v.len);
	buf_free(&v);
	return r;
}

enum cmd_ret
cmd_show(struct cmd_ctx *ctx)
{
	struct collect	 col = { ctx, 0, "" };
	struct cache	*cache = cmd_model_cache();
	const char	*name = ctx->req->argv[1], *v;
	size_t		 nlen = strlen(name), vlen, start = ctx->out->len;
	uint64_t	 gen = reg_generation();
	enum reg_rc	 rc;
	int		 tag;
	char		 msg[300];

	if ((v = cache_get(cache, gen, name, nlen, &tag, &vlen)) != NULL &&
	    tag == SHOW_FOUND && vlen > 0 && (size_t)(unsigned char)v[0] < vlen) {
		size_t	 idlen = (unsigned char)v[0];
		char	 id[256];

		memcpy(id, v + 1, idlen);
		id[idlen] = '\0';
		if (buf_append(ctx->out, v + 1 + idlen, vlen - 1 - idlen) == -1 ||
		    resolve_usage_append(ctx->out, id) == -1 ||
		    cmd_cap_append(ctx->out, id) == -1 ||
		    usage_model_append(ctx->out, id) == -1)
			return cmd_err(ctx, "internal", "out of memory");
		ctx->n = 1;
		return CMD_OK;
	}
	if (v != NULL && tag == SHOW_NOTFOUND)
		rc = REG_NOTFOUND;
	else {
		rc = reg_show(md.db, name, cmd_collect_model, &col);
		if (col.failed)
			return cmd_err(ctx, "internal", "out of memory");
		if (rc == REG_OK && ctx->n == 1) {
			(void)cmd_show_put(cache, gen, name, nlen, col.id,
			    ctx->out->data + start, ctx->out->len - start);
			/* Issue 10: the month's usage, a rollup seek, never cached. */
			if (resolve_usage_append(ctx->out, col.id) == -1 ||
			    cmd_cap_append(ctx->out, col.id) == -1 ||
			    usage_model_append(ctx->out, col.id) == -1)
				return cmd_err(ctx, "internal", "out of memory");
		}
		else if (rc == REG_NOTFOUND)
			(void)cache_put(cache, gen, name, nlen, SHOW_NOTFOUND,
			    NULL, 0);
	}
	snprintf(msg, sizeof(msg), "no such model: %.200s", name);
	return cmd_reg_err(ctx, rc, rc == REG_NOTFOUND ? msg : "");
}

/* The actor of a change: the client. */
static void
cmd_model_in(struct cmd_ctx *ctx, struct actor *a, struct reg_model_in *in)
{
	memset(in, 0, sizeof(*in));
	a->uid = client_uid(ctx->client);
	a->user = client_user(ctx->client);
	a->source = "manual";
	in->model = ctx->req->argv[1];
	in->actor = a;
	in->now = 0;
}

/*
 * The four changes share one reply: log it, and answer with the model's
 * id (the rule resolved it: the user may have named an alias), its new
 * state and the rule's message. DEFAULT also names the previous default.
 * Everything comes from the rule's result: no second query.
 */
static enum cmd_ret
cmd_change_reply(struct cmd_ctx *ctx, enum reg_rc rc, const char *what,
    const struct actor *a, const char *id, const char *status,
    const char *previous, const char *msg)
{
	const char	*model = ctx->req->argv[1];

	if (rc != REG_OK) {
		log_debug("%s %s by %s refused: %s", what, model, a->user, msg);
		return cmd_reg_err(ctx, rc, msg);
	}
	log_info("%s %s by uid %u (%s): %s", what, id, (unsigned)a->uid,
	    a->user, msg);
	lf_str(ctx->out, "id", id);
	if (status != NULL)
		lf_str(ctx->out, "status", status);
	if (previous != NULL) {
		if (previous[0] != '\0')
			lf_str(ctx->out, "previous", previous);
		else
			lf_null(ctx->out, "previous");
	}
	lf_str(ctx->out, "message", msg);
	lf_end(ctx->out);
	ctx->n = 1;
	return CMD_OK;
}

enum cmd_ret
cmd_activate(struct cmd_ctx *ctx)
{
	struct actor		 a;
	struct reg_model_in	 in;
	struct reg_status_out	 out;
	char			 msg[512] = "";
	enum reg_rc		 rc;

	cmd_model_in(ctx, &a, &in);
	rc = reg_activate(md.db, &in, &out, msg, sizeof(msg));
	/* An expired model made active again is news (model.expired). */
	if (rc == REG_OK)
		expiry_check_soon();
	return cmd_change_reply(ctx, rc, "activate", &a, out.id, "active",
	    NULL, msg);
}

enum cmd_ret
cmd_deactivate(struct cmd_ctx *ctx)
{
	struct actor		 a;
	struct reg_model_in	 in;
	struct reg_status_out	 out;
	char			 msg[512] = "";
	enum reg_rc		 rc;

	cmd_model_in(ctx, &a, &in);
	rc = reg_deactivate(md.db, &in, &out, msg, sizeof(msg));
	return cmd_change_reply(ctx, rc, "deactivate", &a, out.id, "inactive",
	    NULL, msg);
}

enum cmd_ret
cmd_delete(struct cmd_ctx *ctx)
{
	struct actor		 a;
	struct reg_model_in	 in;
	struct reg_delete_out	 out;
	char			 msg[512] = "";
	enum reg_rc		 rc;

	const char		*force;

	cmd_model_in(ctx, &a, &in);
	/* Issue 9 item 4: live sessions refuse it, unless an admin forces it. */
	if ((force = proto_opt(ctx->req, "force")) != NULL &&
	    strcmp(force, "yes") != 0)
		return cmd_err(ctx, "usage", "bad force \"%.16s\": use "
		    "force=yes", force);
	in.force = force != NULL;
	in.admin = client_role(ctx->client) >= ROLE_ADMIN;
	in.sessions = resolve_sessions();
	rc = reg_delete(md.db, &in, &out, msg, sizeof(msg));
	return cmd_change_reply(ctx, rc, "delete", &a, out.id, NULL, NULL, msg);
}

static enum cmd_ret
cmd_set_default(struct cmd_ctx *ctx)
{
	struct actor		 a;
	struct reg_model_in	 in;
	struct reg_default_out	 out;
	char			 msg[512] = "";
	enum reg_rc		 rc;

	cmd_model_in(ctx, &a, &in);
	rc = reg_set_default(md.db, &in, &out, msg, sizeof(msg));
	return cmd_change_reply(ctx, rc, "default", &a, out.id, NULL,
	    out.previous, msg);
}

enum cmd_ret
cmd_default(struct cmd_ctx *ctx)
{
	struct collect	 col = { ctx, 0, "" };
	enum reg_rc	 rc;

	if (ctx->req->argc == 2)
		return cmd_set_default(ctx);
	rc = reg_default(md.db, cmd_collect_model, &col);
	if (col.failed || (ctx->n == 1 &&
	    (resolve_usage_append(ctx->out, col.id) == -1 ||
	    cmd_cap_append(ctx->out, col.id) == -1)))
		return cmd_err(ctx, "internal", "out of memory");
	if (rc == REG_NOTFOUND)
		return CMD_OK;	/* OK 0: there is no default */
	return cmd_reg_err(ctx, rc, "");
}
