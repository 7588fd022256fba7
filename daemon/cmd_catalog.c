/* cmd_catalog.c: the discovery verbs: CATALOG (list the catalog) and SYNC (add a catalog model to the registry). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "expiry.h"
#include "log.h"
#include "proto.h"
#include "reg_catalog.h"
#include "registry.h"
#include "reg_cursor.h"
#include "source.h"

/* One catalog record (doc/protocol.md, CATALOG). */
static int
cmd_catalog_record(struct buf *b, const struct catalog_entry *e)
{
	char	 feat[64], aliases[8192];
	int	 rv = 0;

	cmd_features_list(e->features, feat, sizeof(feat));
	cmd_aliases_list(e->aliases, aliases, sizeof(aliases));

	rv |= lf_str(b, "id", e->id);
	rv |= lf_str(b, "name", e->name);
	rv |= lf_str(b, "provider", e->provider);
	rv |= lf_str(b, "kind", e->kind != NULL && e->kind[0] ? e->kind : "chat");
	rv |= lf_str(b, "canonical_slug", e->canonical_slug);
	rv |= lf_opt_int(b, "context_length",
	    e->has_context, e->context_length);
	rv |= lf_opt_num(b, "prompt_price",
	    e->has_prompt_price, e->prompt_price);
	rv |= lf_opt_num(b, "completion_price",
	    e->has_completion_price, e->completion_price);
	rv |= lf_str(b, "prices", e->prices != NULL && e->prices[0] ?
	    e->prices : "{}");
	rv |= lf_str(b, "features", feat);
	rv |= lf_str(b, "aliases", aliases);
	if (e->zdr < 0)
		rv |= lf_null(b, "zdr");
	else
		rv |= lf_bool(b, "zdr", e->zdr);
	rv |= lf_bool(b, "synced", e->synced);
	rv |= lf_time(b, "first_seen", e->first_seen);
	rv |= lf_time(b, "last_seen", e->last_seen);
	rv |= lf_time(b, "expires_at", e->expires_at);
	rv |= lf_str(b, "description", e->description);
	rv |= lf_end(b);
	return rv ? -1 : 0;
}

/* The next records of a streamed CATALOG reply (control.c calls it): how many, or -1. */
static int
cmd_catalog_produce(void *arg, struct buf *out, int max)
{
	struct reg_cursor		*cur = arg;
	struct catalog_entry		 e;
	const struct page_cursor	*next;
	int				 k, r;

	for (k = 0; k < max; k++) {
		if ((r = reg_catalog_next(cur, &e)) == -1)
			return -1;
		if (r == 0) {
			/* A page ends in its next= record (see cmd_list). */
			if ((next = reg_cursor_next_page(cur)) == NULL)
				return k;
			if (cmd_page_record(out, next) == -1)
				return -1;
			return k + 1;
		}
		if (cmd_catalog_record(out, &e) == -1)
			return -1;
	}
	return k;
}

static void
cmd_catalog_cursor_free(void *arg)
{
	reg_cursor_close(arg);
}

/* yes|no -> 1|0 into *v; -1 on another word. */
static int
cmd_catalog_yesno(const char *s, int *v)
{
	if (strcmp(s, "yes") == 0)
		*v = 1;
	else if (strcmp(s, "no") == 0)
		*v = 0;
	else
		return -1;
	return 0;
}

/*
 * No [catalog] url and nothing kept from an earlier configuration: an
 * empty list would read as "the catalog lists nothing", so CATALOG and
 * SYNC say what is missing. The last good catalog of a source since
 * removed is still listed (and synced from).
 */
static int
cmd_catalog_unconfigured(void)
{
	struct source	*src = source_find("catalog");
	int64_t		 n = 0;

	if (src != NULL && src->enabled)
		return 0;
	return reg_catalog_count(md.db, &n) == 0 && n == 0;
}

enum cmd_ret
cmd_catalog(struct cmd_ctx *ctx)
{
	struct catalog_query		 q;
	struct page_cursor		 after;
	struct reg_cursor		*cur;
	const char			*v;
	int64_t				 n;
	enum reg_rc			 rc;

	memset(&q, 0, sizeof(q));
	q.zdr = -1;
	q.synced = -1;
	if ((v = proto_opt(ctx->req, "sort")) != NULL &&
	    (reg_parse_sort(v, &q.sort) == -1 || q.sort == SORT_STATUS))
		return cmd_err(ctx, "usage", "bad sort key \"%.32s\": use name, "
		    "provider, context or price", v);
	if ((v = proto_opt(ctx->req, "order")) != NULL) {
		if (strcmp(v, "asc") == 0)
			q.desc = 0;
		else if (strcmp(v, "desc") == 0)
			q.desc = 1;
		else
			return cmd_err(ctx, "usage", "bad order \"%.32s\": use "
			    "asc or desc", v);
	}
	if ((v = proto_opt(ctx->req, "zdr")) != NULL &&
	    cmd_catalog_yesno(v, &q.zdr) == -1)
		return cmd_err(ctx, "usage", "bad zdr \"%.32s\": use yes or no",
		    v);
	if ((v = proto_opt(ctx->req, "synced")) != NULL &&
	    cmd_catalog_yesno(v, &q.synced) == -1)
		return cmd_err(ctx, "usage", "bad synced \"%.32s\": use yes or "
		    "no", v);
	if ((v = proto_opt(ctx->req, "kind")) != NULL &&
	    reg_parse_kind(v, &q.kind) == -1)
		return cmd_err(ctx, "usage", "bad kind \"%.32s\": use "
		    REG_KINDS, v);
	q.provider = proto_opt(ctx->req, "provider");
	q.search = proto_opt(ctx->req, "search");
	q.tag = proto_opt(ctx->req, "tag");	/* issue 11 */
	if (cmd_page_opts(ctx, q.sort, q.desc, &q.limit, &after, &q.after) == -1)
		return CMD_ERR;
	if (cmd_catalog_unconfigured())
		return cmd_err(ctx, "unavailable", "no catalog source configured "
		    "([catalog] url)");

	/* Streamed from one snapshot, a page too (see cmd_list). */
	rc = reg_catalog_open(md.db, &q, &cur, &n);
	switch (rc) {
	case REG_OK:
		ctx->n = (int)n;
		ctx->produce = cmd_catalog_produce;
		ctx->produce_free = cmd_catalog_cursor_free;
		ctx->produce_arg = cur;
		return CMD_PRODUCE;
	case REG_USAGE:
		return cmd_err(ctx, "usage", "bad sort key");
	default:
		return cmd_err(ctx, "internal", "database error");
	}
}

/* The SYNC rule's settings, read from the config in this one place. */
static void
cmd_sync_settings(struct reg_sync_settings *s)
{
	s->zdr_enforce = md.cfg->zdr_enforce;
	s->new_model_active = md.cfg->new_model_active;
	s->always_active = &md.cfg->always_active;
	s->always_inactive = &md.cfg->always_inactive;
}

enum cmd_ret
cmd_sync(struct cmd_ctx *ctx)
{
	struct reg_sync_settings	 s;
	struct reg_sync_in		 in;
	struct reg_sync_out		 out;
	struct actor			 a;
	char				 msg[512];
	enum reg_rc			 rc;

	if (cmd_catalog_unconfigured())
		return cmd_err(ctx, "unavailable", "no catalog source configured "
		    "([catalog] url)");
	a.uid = client_uid(ctx->client);
	a.user = client_user(ctx->client);
	a.source = "seed";
	cmd_sync_settings(&s);
	in.name = ctx->req->argv[1];
	in.actor = &a;
	in.now = (int64_t)time(NULL);
	msg[0] = '\0';
	rc = reg_catalog_sync(md.db, &s, &in, &out, msg, sizeof(msg));
	switch (rc) {
	case REG_OK:
		break;
	case REG_NOTFOUND:
		return cmd_err(ctx, "notfound", "%s", msg);
	case REG_CONFLICT:
		log_debug("sync %s by %s refused: %s", out.id, a.user, msg);
		return cmd_err(ctx, "conflict", "%s", msg);
	case REG_USAGE:
		return cmd_err(ctx, "usage", "%s", msg);
	default:
		return cmd_err(ctx, "internal", "%s",
		    msg[0] ? msg : "database error; nothing was changed");
	}
	log_info("sync %s by uid %u (%s): %s", out.id, (unsigned)a.uid, a.user,
	    msg);
	expiry_check_soon();
	lf_str(ctx->out, "id", out.id);
	lf_str(ctx->out, "status", out.active ? "active" : "inactive");
	lf_str(ctx->out, "message", msg);
	lf_end(ctx->out);
	ctx->n = 1;
	return CMD_OK;
}
