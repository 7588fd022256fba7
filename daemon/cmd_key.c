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
#include "keysecret.h"
#include "log.h"
#include "proto.h"
#include "resolve_batch.h"
#include "usage.h"
#include "reg_keys.h"

/* Which options each subverb takes (the table's list is their union). */
static const struct {
	const char	*sub;
	int		 minargs, maxargs;	/* after the subverb */
	const char	*opts;
	const char	*usage;
} key_subs[] = {
	{ "create", 1, 1, "models all expires note collection",
	    "KEY CREATE NAME [models=M,...] [all=yes] [collection=C] "
	    "[expires=DURATION] [note=TEXT]" },
	{ "list", 0, 0, "", "KEY LIST" },
	{ "show", 1, 1, "", "KEY SHOW NAME" },
	{ "revoke", 1, 1, "", "KEY REVOKE NAME" },
	{ "rotate", 1, 1, "grace", "KEY ROTATE NAME [grace=DURATION]" },
	{ "allow", 2, PROTO_MAXARGS, "", "KEY ALLOW NAME MODEL..." },
	{ "deny", 2, PROTO_MAXARGS, "", "KEY DENY NAME MODEL..." },
};

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

/* models=a,b,c into v (pointers into copy, which the caller frees): the count, or -1 with ctx set. */
static int
cmd_key_models(struct cmd_ctx *ctx, const char *list, char **copy,
    const char **v, int max)
{
	char	*p, *w;
	int	 n = 0;

	if ((*copy = strdup(list)) == NULL) {
		cmd_err(ctx, "internal", "out of memory");
		return -1;
	}
	for (p = *copy; (w = strsep(&p, ",")) != NULL; ) {
		if (strlen(w) > 255) {
			cmd_err(ctx, "notfound", "no such model: a name of %zu "
			    "bytes", strlen(w));
			return -1;
		}
		if (w[0] == '\0') {
			cmd_err(ctx, "usage", "bad models: a comma list of model "
			    "ids or aliases, without empty names");
			return -1;
		}
		if (n == max) {
			cmd_err(ctx, "usage", "at most %d models at once", max);
			return -1;
		}
		v[n++] = w;
	}
	return n;
}

/* A duration option: seconds (0 when absent), or -1 with ctx set. */
static int64_t
cmd_key_duration(struct cmd_ctx *ctx, const char *key, long max)
{
	const char	*v;
	long		 d;

	if ((v = proto_opt(ctx->req, key)) == NULL)
		return 0;
	if ((d = cfg_parse_duration(v)) < 0 || d > max ||
	    (d == 0 && strcmp(key, "grace") != 0)) {
		cmd_err(ctx, "usage", "bad %s \"%.32s\": expected a duration "
		    "like 90s, 15m, 1h or 7d%s", key, v, strcmp(key, "grace") == 0 ?
		    ", at most 30d" : "");
		return -1;
	}
	return d;
}

enum cmd_ret
cmd_key(struct cmd_ctx *ctx)
{
	const struct proto_req	*req = ctx->req;
	struct actor		 a;
	struct reg_key_in	 in;
	struct reg_key_out	 out;
	const char		*models[KEY_MODELS_MAX], *sub = req->argv[1], *v;
	char			 msg[512] = "", *copy = NULL;
	size_t			 i;
	int			 nargs = req->argc - 2, j, n;
	enum reg_rc		 rc = REG_OK;
	enum cmd_ret		 ret;

	for (i = 0; i < sizeof(key_subs) / sizeof(key_subs[0]); i++)
		if (strcasecmp(sub, key_subs[i].sub) == 0)
			break;
	if (i == sizeof(key_subs) / sizeof(key_subs[0]))
		return cmd_err(ctx, "usage", "bad subverb \"%.32s\": create, "
		    "list, show, revoke, rotate, allow or deny", sub);
	if (nargs < key_subs[i].minargs || nargs > key_subs[i].maxargs)
		return cmd_err(ctx, "usage", "usage: %s", key_subs[i].usage);
	for (j = 0; j < req->optc; j++) {
		const char *o = key_subs[i].opts, *p;
		size_t kl = strlen(req->optk[j]);

		for (p = o; (p = strstr(p, req->optk[j])) != NULL; p += kl)
			if ((p == o || p[-1] == ' ') &&
			    (p[kl] == ' ' || p[kl] == '\0'))
				break;
		if (p == NULL)
			return cmd_err(ctx, "usage", "KEY %s takes no option "
			    "\"%.32s\"; usage: %s", key_subs[i].sub,
			    req->optk[j], key_subs[i].usage);
	}
	sub = key_subs[i].sub;
	/* Bounded before any message can echo them (a name, ids of 255 bytes). */
	if (nargs >= 1 && !reg_key_name_ok(req->argv[2]) &&
	    strcmp(sub, "create") != 0)
		return cmd_err(ctx, "notfound", "no such key: a key name is 1 to "
		    "%d letters, digits, '.', '_' or '-'", KEY_NAME_MAX);
	for (j = 3; j < req->argc; j++)
		if (strlen(req->argv[j]) > 255)
			return cmd_err(ctx, "notfound", "no such model: a name of "
			    "%zu bytes", strlen(req->argv[j]));

	if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0) {
		rc = sub[0] == 'l' ?
		    reg_key_list(md.db, 0, cmd_key_record, ctx, msg, sizeof(msg)) :
		    reg_key_show(md.db, req->argv[2], 0, cmd_key_record, ctx, msg,
		    sizeof(msg));
		return cmd_reg_err(ctx, rc, msg);
	}

	memset(&in, 0, sizeof(in));
	a.uid = client_uid(ctx->client);
	a.user = client_user(ctx->client);
	a.source = "manual";
	in.actor = &a;
	in.name = req->argv[2];
	if (strcmp(sub, "create") == 0) {
		if ((v = proto_opt(req, "models")) != NULL &&
		    (n = cmd_key_models(ctx, v, &copy, models,
		    KEY_MODELS_MAX)) == -1) {
			free(copy);
			return CMD_ERR;
		}
		in.models = models;
		in.nmodels = v != NULL ? n : 0;
		if ((v = proto_opt(req, "all")) != NULL) {
			if (strcmp(v, "yes") != 0) {
				free(copy);
				return cmd_err(ctx, "usage", "bad all \"%.32s\": "
				    "all=yes or nothing", v);
			}
			in.all = 1;
		}
		if ((in.expires = cmd_key_duration(ctx, "expires",
		    10L * 365 * 86400)) == -1) {
			free(copy);
			return CMD_ERR;
		}
		in.note = proto_opt(req, "note");
		in.collection = proto_opt(req, "collection");	/* issue 11 */
		rc = reg_key_create(md.db, &in, &out, msg, sizeof(msg));
		free(copy);
	} else if (strcmp(sub, "revoke") == 0)
		rc = reg_key_revoke(md.db, &in, &out, msg, sizeof(msg));
	else if (strcmp(sub, "rotate") == 0) {
		if ((in.grace = cmd_key_duration(ctx, "grace", KEY_GRACE_MAX))
		    == -1)
			return CMD_ERR;
		rc = reg_key_rotate(md.db, &in, &out, msg, sizeof(msg));
	} else {
		in.models = (const char *const *)&req->argv[3];
		in.nmodels = req->argc - 3;
		rc = strcmp(sub, "allow") == 0 ?
		    reg_key_allow(md.db, &in, &out, msg, sizeof(msg)) :
		    reg_key_deny(md.db, &in, &out, msg, sizeof(msg));
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
