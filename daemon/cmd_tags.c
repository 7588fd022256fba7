/* cmd_tags.c: the verbs of issue 11 TAG and COLLECTION (create, add, remove, list, show, delete; switch is in cmd_batch.c; their arguments are parsed by tag_args.c and coll_args.c), and the helpers BATCH shares: the actor, the streamed outcome list. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "cmd.h"
#include "coll_args.h"
#include "cmd_tags.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "events.h"
#include "expiry.h"
#include "import.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "reg_tags.h"
#include "resolve_batch.h"
#include "sessions.h"
#include "tag_args.h"

void
cmd_tags_actor(struct cmd_ctx *ctx, struct actor *a)
{
	a->uid = client_uid(ctx->client);
	a->user = client_user(ctx->client);
	a->source = "manual";
}

/* TAG MODEL [add=T,...] [remove=T,...] */
enum cmd_ret
cmd_tag(struct cmd_ctx *ctx)
{
	struct tag_args		 ta;
	struct args_err		 e;
	struct actor		 a;
	struct reg_tag_in	 in;
	struct reg_tag_out	 out;
	char			 msg[512] = "";
	enum reg_rc		 rc;

	if (tag_parse_args(ctx->req, &ta, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	memset(&in, 0, sizeof(in));
	cmd_tags_actor(ctx, &a);
	in.model = ta.model;
	in.actor = &a;
	in.add = ta.add;
	in.nadd = ta.nadd;
	in.remove = ta.remove;
	in.nremove = ta.nremove;
	rc = reg_tag(md.db, &in, &out, msg, sizeof(msg));
	if (rc != REG_OK)
		return cmd_reg_err(ctx, rc, msg);
	log_info("tag %s by uid %u (%s): %s", out.id, (unsigned)a.uid, a.user,
	    msg);
	lf_str(ctx->out, "id", out.id);
	lf_str(ctx->out, "tags", out.tags);
	lf_int(ctx->out, "added", out.added);
	lf_int(ctx->out, "removed", out.removed);
	lf_str(ctx->out, "message", msg);
	lf_end(ctx->out);
	ctx->n = 1;
	return CMD_OK;
}

/*
 * A streamed list of outcomes (BATCH, COLLECTION SWITCH): the summary
 * record is already in ctx->out; produce writes the items as the client
 * reads, and the list is freed when the reply is out or the client goes.
 */
struct item_stream {
	struct buf		 head;	/* the summary record, written first */
	int			 head_done;
	int			 members;	/* COLLECTION SHOW: id, status, default */
	struct reg_items	 items;
	size_t			 next;
};

static int
cmd_items_produce(void *arg, struct buf *out, int max)
{
	struct item_stream	*s = arg;
	struct reg_item		*it;
	int			 k;

	k = 0;
	if (!s->head_done && max > 0) {
		/* control.c writes only what produce makes: the summary too. */
		if (buf_append(out, s->head.data, s->head.len) == -1)
			return -1;
		s->head_done = 1;
		k++;
	}
	for (; k < max && s->next < s->items.n; k++) {
		it = &s->items.v[s->next++];
		if (s->members) {
			if (lf_str(out, "id", it->id) == -1 ||
			    lf_str(out, "status", it->change) == -1 ||
			    lf_bool(out, "default", it->reason != NULL) == -1 ||
			    lf_end(out) == -1)
				return -1;
			continue;
		}
		if (lf_str(out, "id", it->id) == -1 ||
		    lf_str(out, "outcome", reg_outcome_name(it->outcome)) == -1 ||
		    lf_str(out, "change", it->change) == -1 ||
		    (it->reason != NULL && lf_str(out, "reason", it->reason) ==
		    -1) || lf_end(out) == -1)
			return -1;
	}
	return k;
}

static void
cmd_items_free(void *arg)
{
	struct item_stream	*s = arg;

	reg_items_free(&s->items);
	buf_free(&s->head);
	free(s);
}

/* Hand items (moved out of the rule's result) to the stream after the summary record. */
enum cmd_ret
cmd_items_reply(struct cmd_ctx *ctx, struct reg_items *items, int members)
{
	struct item_stream	*s;

	if (items->n == 0) {
		reg_items_free(items);
		ctx->n = 1;
		return CMD_OK;
	}
	if (items->n > (size_t)INT32_MAX - 1 ||
	    (s = calloc(1, sizeof(*s))) == NULL) {
		reg_items_free(items);
		return cmd_err(ctx, "internal", "out of memory (the change, if "
		    "any, was made: see AUDIT)");
	}
	if (buf_append(&s->head, ctx->out->data, ctx->out->len) == -1) {
		reg_items_free(items);
		free(s);
		return cmd_err(ctx, "internal", "out of memory (the change, if "
		    "any, was made: see AUDIT)");
	}
	buf_reset(ctx->out);
	s->items = *items;
	s->members = members;
	memset(items, 0, sizeof(*items));
	ctx->n = 1 + (int)s->items.n;
	ctx->produce = cmd_items_produce;
	ctx->produce_free = cmd_items_free;
	ctx->produce_arg = s;
	return CMD_PRODUCE;
}

static int
cmd_coll_record(const char *name, int64_t n, int64_t active,
    int64_t created_at, const char *created_by, int64_t updated_at, void *arg)
{
	struct cmd_ctx	*ctx = arg;
	struct buf	*b = ctx->out;

	if (lf_str(b, "name", name) == -1 || lf_int(b, "models", n) == -1 ||
	    lf_int(b, "active", active) == -1 ||
	    lf_time(b, "created_at", created_at) == -1 ||
	    lf_str(b, "created_by", created_by) == -1 ||
	    lf_time(b, "updated_at", updated_at) == -1 || lf_end(b) == -1)
		return -1;
	ctx->n++;
	return 0;
}

/* COLLECTION SHOW's members, after its record: streamed, as a switch's outcomes. */
static int
cmd_coll_member(const char *id, int active, int is_default, void *arg)
{
	return reg_items_add(arg, id, OUT_UNCHANGED, active ? "active" :
	    "inactive", is_default ? "default" : NULL) == -1 ? 1 : 0;
}

static enum cmd_ret
cmd_coll_show(struct cmd_ctx *ctx, const char *name)
{
	struct reg_items	 items = { 0 };
	char			 msg[512] = "";
	enum reg_rc		 rc;

	if ((rc = reg_collection_list(md.db, name, cmd_coll_record, ctx, msg,
	    sizeof(msg))) != REG_OK)
		return cmd_reg_err(ctx, rc, msg);
	if ((rc = reg_collection_members(md.db, name, cmd_coll_member, &items,
	    msg, sizeof(msg))) != REG_OK) {
		reg_items_free(&items);
		return cmd_reg_err(ctx, rc, msg);
	}
	return cmd_items_reply(ctx, &items, 1);
}

enum cmd_ret
cmd_collection(struct cmd_ctx *ctx)
{
	struct actor		 a;
	struct coll_args	 ca;
	struct args_err		 e;
	struct reg_coll_in	 in;
	struct reg_coll_out	 out;
	char			 msg[512] = "";
	enum reg_rc		 rc;
	int			 r;

	r = coll_parse_args(ctx->req, &ca, &e);
	/* The role first: a client without it is told so, whatever else is wrong. */
	if (ca.subname != NULL && client_role(ctx->client) < ca.role)
		return cmd_err(ctx, "denied", "COLLECTION %s needs the %s role; "
		    "you are %s", ca.subname, access_role_name(ca.role),
		    access_role_name(client_role(ctx->client)));
	if (r == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	/*
	 * The table lets viewers in for LIST and SHOW, so the dispatcher's
	 * "writers wait for an import" (cmd.c) is asked here for the rest:
	 * the loop must not wait for the worker's write lock.
	 */
	if (ca.role > ROLE_SERVICE && import_busy())
		return import_defer(ctx->client, ctx->req, ctx);
	cmd_tags_actor(ctx, &a);

	switch (ca.sub) {
	case COLL_SUB_LIST:
		rc = reg_collection_list(md.db, NULL, cmd_coll_record, ctx, msg,
		    sizeof(msg));
		return cmd_reg_err(ctx, rc, msg);
	case COLL_SUB_SHOW:
		return cmd_coll_show(ctx, ca.name);
	case COLL_SUB_SWITCH:
		return cmd_coll_switch(ctx, &ca, &a);
	default:
		break;
	}
	memset(&in, 0, sizeof(in));
	in.name = ca.name;
	in.models = ca.models;
	in.nmodels = ca.nmodels;
	in.actor = &a;
	in.from = ca.from.any ? &ca.from.q : NULL;
	if (ca.sub == COLL_SUB_CREATE)
		rc = reg_collection_create(md.db, &in, &out, msg, sizeof(msg));
	else if (ca.sub == COLL_SUB_ADD)
		rc = reg_collection_add(md.db, &in, &out, msg, sizeof(msg));
	else if (ca.sub == COLL_SUB_REMOVE)
		rc = reg_collection_remove(md.db, &in, &out, msg, sizeof(msg));
	else
		rc = reg_collection_delete(md.db, &in, &out, msg, sizeof(msg));
	if (rc != REG_OK)
		return cmd_reg_err(ctx, rc, msg);
	log_info("collection %s %s by uid %u (%s): %s", ca.subname, in.name,
	    (unsigned)a.uid, a.user, msg);
	lf_str(ctx->out, "collection", in.name);
	lf_int(ctx->out, "changed", out.changed);
	lf_int(ctx->out, "models", out.n);
	lf_str(ctx->out, "message", msg);
	lf_end(ctx->out);
	ctx->n = 1;
	return CMD_OK;
}
