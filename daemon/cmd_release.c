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
#include "resolve_args.h"
#include "resolve_batch.h"
#include "sessions.h"

enum cmd_ret
cmd_release(struct cmd_ctx *ctx)
{
	struct resolve_args	 ra;
	struct args_err		 e;
	struct reg_release_in	 in;
	struct reg_release_out	 out;
	struct buf		*b = ctx->out;
	char			 msg[600] = "";
	enum reg_resolve_rc	 rc;

	if (release_parse_args(ctx->req, &ra, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	memset(&in, 0, sizeof(in));
	in.session = ra.session;
	in.secret = ra.secret;
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
