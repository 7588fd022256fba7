/* cmd_key.c: KEY and its subverbs (issue 9): create, list, show, revoke, rotate, allow, deny API keys; the secret is in the reply of create and rotate only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "key_args.h"
#include "keysecret.h"
#include "log.h"
#include "proto.h"
#include "resolve_batch.h"
#include "usage.h"
#include "reg_keys.h"

/* One key record (protocol.md "KEY"). */
static int
cmd_key_record(const struct reg_key *k, const char *models, const char *gone,
    void *arg)
{
	struct cmd_ctx	*ctx = arg;
	struct buf	*b = ctx->out;
	int64_t		 now = time(NULL);
	const char	*status = "active";

	if (k->revoked_at != 0)
		status = "revoked";
	else if (k->expires_at != 0 && k->expires_at <= now)
		status = "expired";
	if (lf_str(b, "name", k->name) == -1 ||
	    lf_str(b, "status", status) == -1 ||
	    lf_bool(b, "all", k->all) == -1 ||
	    (k->collection != 0 ? lf_str(b, "collection", k->collection_name) :
	    lf_null(b, "collection")) == -1 ||
	    lf_str(b, "models", models) == -1 ||
	    lf_str(b, "gone", gone) == -1 ||
	    lf_time(b, "created_at", k->created_at) == -1 ||
	    lf_str(b, "created_by", k->created_by) == -1 ||
	    lf_time(b, "expires_at", k->expires_at) == -1 ||
	    lf_time(b, "last_used_at", resolve_key_last_used(k->id,
	    k->last_used_at)) == -1 ||
	    lf_time(b, "revoked_at", k->revoked_at) == -1 ||
	    (k->revoked_at != 0 ? lf_str(b, "revoked_by", k->revoked_by) :
	    lf_null(b, "revoked_by")) == -1 ||
	    lf_time(b, "old_secret_until", k->old_until) == -1 ||
	    lf_str(b, "note", k->note) == -1 ||
	    resolve_key_usage(b, k->id) == -1 ||
	    cmd_cap_fields(b, NULL, k->name) == -1 ||
	    usage_key_fields(b, k->id) == -1 || lf_end(b) == -1)
		return -1;
	ctx->n++;
	return 0;
}

enum cmd_ret
cmd_key(struct cmd_ctx *ctx)
{
	struct actor		 a;
	struct reg_key_in	 in;
	struct reg_key_out	 out;
	struct key_args		 k;
	struct args_err		 e;
	const char		*sub;
	char			 msg[512] = "";
	enum reg_rc		 rc = REG_OK;
	enum cmd_ret		 ret;

	if (key_parse_args(ctx->req, &k, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	sub = k.subname;
	if (k.sub == KEY_SUB_LIST || k.sub == KEY_SUB_SHOW) {
		rc = k.sub == KEY_SUB_LIST ?
		    reg_key_list(md.db, 0, cmd_key_record, ctx, msg, sizeof(msg)) :
		    reg_key_show(md.db, k.name, 0, cmd_key_record, ctx, msg,
		    sizeof(msg));
		return cmd_reg_err(ctx, rc, msg);
	}

	memset(&in, 0, sizeof(in));
	a.uid = client_uid(ctx->client);
	a.user = client_user(ctx->client);
	a.source = "manual";
	in.actor = &a;
	in.name = k.name;
	in.models = k.models;
	in.nmodels = k.nmodels;
	switch (k.sub) {
	case KEY_SUB_CREATE:
		in.all = k.all;
		in.expires = k.expires;
		in.note = k.note;
		in.collection = k.collection;	/* issue 11 */
		rc = reg_key_create(md.db, &in, &out, msg, sizeof(msg));
		break;
	case KEY_SUB_REVOKE:
		rc = reg_key_revoke(md.db, &in, &out, msg, sizeof(msg));
		break;
	case KEY_SUB_ROTATE:
		in.grace = k.grace;
		rc = reg_key_rotate(md.db, &in, &out, msg, sizeof(msg));
		break;
	default:
		rc = k.sub == KEY_SUB_ALLOW ?
		    reg_key_allow(md.db, &in, &out, msg, sizeof(msg)) :
		    reg_key_deny(md.db, &in, &out, msg, sizeof(msg));
		break;
	}
	if (rc != REG_OK) {
		log_debug("key %s %s by %s refused: %s", sub, in.name, a.user,
		    msg);
		return cmd_reg_err(ctx, rc, msg);
	}
	/* Never the secret: only the reply carries it, once. */
	log_info("key %s %s by uid %u (%s): %s", sub, out.name,
	    (unsigned)a.uid, a.user, msg);
	ret = CMD_OK;
	if (lf_str(ctx->out, "name", out.name) == -1 ||
	    (out.secret[0] != '\0' &&
	    lf_str(ctx->out, "secret", out.secret) == -1) ||
	    (strcmp(sub, "create") == 0 &&
	    lf_time(ctx->out, "expires_at", out.expires_at) == -1) ||
	    (strcmp(sub, "rotate") == 0 &&
	    lf_time(ctx->out, "old_secret_until", out.old_until) == -1) ||
	    lf_str(ctx->out, "message", msg) == -1 || lf_end(ctx->out) == -1)
		ret = cmd_err(ctx, "internal", "out of memory");
	else
		ctx->n = 1;
	keysecret_wipe(out.secret, sizeof(out.secret));
	return ret;
}
