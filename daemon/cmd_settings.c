/* cmd_settings.c: the verbs of the per-model settings: SET and UNSET (label, organisation aliases, default parameters, enforcement). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "reg_settings.h"
#include "settings.h"

#define CMD_SETTINGS_NAMES	"label, alias, temperature, top_p, max_tokens, " \
	"frequency_penalty, presence_penalty or enforce"

static void
cmd_settings_actor(struct cmd_ctx *ctx, struct actor *a)
{
	a->uid = client_uid(ctx->client);
	a->user = client_user(ctx->client);
	a->source = "manual";
}

/* alias=a,b,c into items (pointing into copy): the count, or -1 with ERR usage set. */
static int
cmd_settings_aliases(struct cmd_ctx *ctx, const char *list, char *copy,
    size_t len, const char **items)
{
	int	 n;

	if (strlen(list) >= len ||
	    (n = settings_split(strcpy(copy, list), items,
	    SETTINGS_MAX_ALIASES)) == -1) {
		cmd_err(ctx, "usage", "bad alias list: at most %d names separated "
		    "by commas", SETTINGS_MAX_ALIASES);
		return -1;
	}
	return n;
}

static enum cmd_ret
cmd_settings_reply(struct cmd_ctx *ctx, enum reg_rc rc, const char *what,
    const struct actor *a, const struct reg_settings_out *out,
    const char *msg)
{
	switch (rc) {
	case REG_OK:
		break;
	case REG_NOTFOUND:
		return cmd_err(ctx, "notfound", "%s", msg);
	case REG_CONFLICT:
		return cmd_err(ctx, "conflict", "%s", msg);
	case REG_USAGE:
		return cmd_err(ctx, "usage", "%s", msg);
	default:
		return cmd_err(ctx, "internal", "%s", msg[0] ? msg :
		    "database error; nothing was changed");
	}
	if (out->changes > 0)
		log_info("%s %s by uid %u (%s): %s", what, out->id,
		    (unsigned)a->uid, a->user, msg);
	lf_str(ctx->out, "id", out->id);
	lf_int(ctx->out, "changes", out->changes);
	lf_str(ctx->out, "message", msg);
	lf_end(ctx->out);
	ctx->n = 1;
	return CMD_OK;
}

enum cmd_ret
cmd_set(struct cmd_ctx *ctx)
{
	struct actor		 a;
	struct reg_set_in	 in;
	struct reg_settings_out	 out;
	char			 msg[512] = "", err[300], copy[PROTO_MAXLINE + 1];
	const char		*v;
	enum reg_rc		 rc;
	int			 i, any = 0;

	memset(&in, 0, sizeof(in));
	cmd_settings_actor(ctx, &a);
	in.model = ctx->req->argv[1];
	in.actor = &a;
	if ((in.label = proto_opt(ctx->req, "label")) != NULL)
		any = 1;
	for (i = 0; i < SP_COUNT; i++) {
		if ((v = proto_opt(ctx->req, settings_param_name(i))) == NULL)
			continue;
		if (settings_parse_value(i, v, &in.v[i], err, sizeof(err)) == -1)
			return cmd_err(ctx, "usage", "%s", err);
		in.has[i] = 1;
		any = 1;
	}
	if ((v = proto_opt(ctx->req, "enforce")) != NULL) {
		if (settings_parse_params(v, &in.enforce, err, sizeof(err)) == -1)
			return cmd_err(ctx, "usage", "%s", err);
		any = 1;
	}
	if ((v = proto_opt(ctx->req, "alias")) != NULL) {
		if ((in.naliases = cmd_settings_aliases(ctx, v, copy,
		    sizeof(copy), in.aliases)) == -1)
			return CMD_ERR;
		any = 1;
	}
	if (!any)
		return cmd_err(ctx, "usage", "SET needs a setting: label=, alias=, "
		    "temperature=, top_p=, max_tokens=, frequency_penalty=, "
		    "presence_penalty= or enforce=");
	rc = reg_settings_set(md.db, &in, &out, msg, sizeof(msg));
	return cmd_settings_reply(ctx, rc, "set", &a, &out, msg);
}

enum cmd_ret
cmd_unset(struct cmd_ctx *ctx)
{
	struct actor		 a;
	struct reg_unset_in	 in;
	struct reg_settings_out	 out;
	char			 msg[512] = "", err[300], copy[PROTO_MAXLINE + 1];
	const char		*w, *v;
	unsigned		 bits;
	enum reg_rc		 rc;
	int			 i, p, any = 0;

	memset(&in, 0, sizeof(in));
	cmd_settings_actor(ctx, &a);
	in.model = ctx->req->argv[1];
	in.actor = &a;
	for (i = 2; i < ctx->req->argc; i++) {
		w = ctx->req->argv[i];
		any = 1;
		if (strcmp(w, "label") == 0)
			in.label = 1;
		else if (strcmp(w, "alias") == 0)
			in.all_aliases = 1;
		else if (strcmp(w, "enforce") == 0)
			in.all_enforced = 1;
		else if ((p = settings_param_find(w)) != -1)
			in.params |= 1u << p;
		else if (strlen(w) <= 32)
			return cmd_err(ctx, "usage", "no setting \"%s\": use %s",
			    w, CMD_SETTINGS_NAMES);
		else
			return cmd_err(ctx, "usage", "no such setting: use %s",
			    CMD_SETTINGS_NAMES);
	}
	if ((v = proto_opt(ctx->req, "enforce")) != NULL) {
		if (settings_parse_params(v, &bits, err, sizeof(err)) == -1)
			return cmd_err(ctx, "usage", "%s", err);
		in.enforce |= bits;
		any = 1;
	}
	if ((v = proto_opt(ctx->req, "alias")) != NULL) {
		if ((in.naliases = cmd_settings_aliases(ctx, v, copy,
		    sizeof(copy), in.aliases)) == -1)
			return CMD_ERR;
		any = 1;
	}
	if (!any)
		return cmd_err(ctx, "usage", "UNSET needs what to remove: %s, "
		    "alias=NAME or enforce=PARAM", CMD_SETTINGS_NAMES);
	rc = reg_settings_unset(md.db, &in, &out, msg, sizeof(msg));
	return cmd_settings_reply(ctx, rc, "unset", &a, &out, msg);
}

int
cmd_settings_record(struct buf *b, const struct model *m)
{
	char	 key[64], list[128];
	int	 i, rv = 0;

	for (i = 0; i < SP_COUNT; i++) {
		if (!m->has_param[i])
			continue;
		snprintf(key, sizeof(key), "param.%s", settings_param_name(i));
		rv |= lf_num(b, key, m->param[i]);
	}
	settings_params_list(m->enforced, list, sizeof(list));
	rv |= lf_str(b, "enforced", list);
	return rv;
}
