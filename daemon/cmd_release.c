/* cmd_release.c: RELEASE (issue 9): an application's conversation ended, so its session stops holding its model. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "proto.h"
#include "reg_sessions.h"
#include "resolve_batch.h"
#include "sessions.h"

enum cmd_ret
cmd_release(struct cmd_ctx *ctx)
{
	struct reg_release_in	 in;
	struct reg_release_out	 out;
	struct buf		*b = ctx->out;
	char			 msg[600] = "";
	enum reg_resolve_rc	 rc;

	memset(&in, 0, sizeof(in));
	in.session = proto_opt(ctx->req, "session");
	in.secret = proto_opt(ctx->req, "key");
	if (in.session == NULL)
		return cmd_err(ctx, "usage", "usage: RELEASE session=ID "
		    "[key=SECRET]");
	if (!sessions_id_valid(in.session))
		return cmd_err(ctx, "usage", "bad session id: 1 to %d letters, "
		    "digits, \".\", \"_\", \"-\" or \":\"", SESSION_ID_MAX);
	rc = reg_release(md.db, resolve_sessions(), &in, &out, msg,
	    sizeof(msg));
	if (rc == RES_DENIED)
		return cmd_err(ctx, "denied", "%s", msg);
	if (rc != RES_OK)
		return cmd_err(ctx, "internal", "%s", msg[0] != '\0' ? msg :
		    "database error");
	if (out.released)
		log_debug("uid %u: %s", (unsigned)client_uid(ctx->client), msg);
	if (lf_str(b, "session", in.session) == -1 ||
	    lf_bool(b, "released", out.released) == -1 ||
	    lf_str(b, "model", out.released ? out.model : NULL) == -1 ||
	    lf_str(b, "key_name", out.key_name[0] != '\0' ? out.key_name :
	    NULL) == -1 ||
	    lf_str(b, "message", msg) == -1 || lf_end(b) == -1)
		return cmd_err(ctx, "internal", "out of memory");
	ctx->n = 1;
	return CMD_OK;
}
