/* cmd_resolve.c: RESOLVE (issue 9): the model an application should use now, as one record; the key's secret is read, hashed and never echoed. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "import.h"
#include "log.h"
#include "proto.h"
#include "reg_resolve.h"
#include "registry.h"

/* param.NAME= and enforced=, by the model record's own formatter. */
static int
resolve_settings(struct buf *b, const struct reg_resolved *r)
{
	struct model	 m;
	int		 i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < SP_COUNT; i++) {
		m.has_param[i] = r->has_param[i];
		m.param[i] = r->param[i];
	}
	m.enforced = r->enforced;
	return cmd_settings_record(b, &m) != 0 ? -1 : 0;
}
#include "reg_sessions.h"
#include "resolve_batch.h"
#include "sessions.h"

enum cmd_ret
cmd_resolve(struct cmd_ctx *ctx)
{
	const struct proto_req	*req = ctx->req;
	struct reg_resolve_in	 in;
	struct reg_resolve_out	 out;
	struct buf		*b = ctx->out;
	char			 msg[1200] = "";	/* cmd_err fits it at a word */
	enum reg_resolve_rc	 rc;

	memset(&in, 0, sizeof(in));
	in.model = req->argc > 1 ? req->argv[1] : NULL;
	in.secret = proto_opt(req, "key");
	in.failover = md.cfg->resolve_failover;
	in.zdr_enforce = md.cfg->zdr_enforce;
	/* Issue 9 item 4: session= (resolve_batch.c keeps them). */
	if ((in.session = proto_opt(req, "session")) != NULL &&
	    !sessions_id_valid(in.session))
		return cmd_err(ctx, "usage", "bad session id: 1 to %d letters, "
		    "digits, \".\", \"_\", \"-\" or \":\"", SESSION_ID_MAX);
	in.sessions = resolve_sessions();
	rc = reg_resolve(md.db, &in, &out, msg, sizeof(msg));
	if (rc == RES_OK)
		rc = reg_resolve_note(in.sessions, resolve_counts(), &in, &out,
		    msg, sizeof(msg));
	switch (rc) {
	case RES_OK:
		break;
	case RES_NOTFOUND:
		return cmd_err(ctx, "notfound", "%s", msg);
	case RES_DENIED:
		/* The message names the key, never its secret. */
		log_debug("resolve for uid %u denied: %s",
		    (unsigned)client_uid(ctx->client), msg);
		return cmd_err(ctx, "denied", "%s", msg);
	case RES_UNAVAILABLE:
		return cmd_err(ctx, "unavailable", "%s", msg);
	case RES_LIMIT:
		return cmd_err(ctx, "limit", "%s", msg);	/* issue 10: caps */
	default:
		return cmd_err(ctx, "internal", "%s", msg[0] != '\0' ? msg :
		    "database error");
	}
	/*
	 * Issue 9: the session, the counts and the key's last_used_at wait
	 * in memory for resolve_batch.c's one transaction a second
	 * (reg_resolve_note): RESOLVE itself writes nothing.
	 */
	if (lf_str(b, "id", out.m.id) == -1 ||
	    lf_str(b, "name", out.m.name) == -1 ||
	    lf_str(b, "label", out.m.has_label ? out.m.label : NULL) == -1 ||
	    lf_str(b, "provider", out.m.provider) == -1 ||
	    lf_str(b, "kind", out.m.kind) == -1 ||
	    resolve_settings(b, &out.m) == -1 ||
	    lf_str(b, "reason", out.reason) == -1 ||
	    lf_str(b, "requested", out.requested != NULL ? out.requested :
	    in.model) == -1 ||
	    lf_str(b, "why", out.why) == -1 ||
	    lf_str(b, "replaced", out.replaced[0] != '\0' ? out.replaced :
	    NULL) == -1 ||
	    lf_str(b, "warning", out.warning[0] != '\0' ? out.warning :
	    NULL) == -1 ||
	    lf_str(b, "key_name", out.has_key ? out.key.name : NULL) == -1 ||
	    (in.session != NULL && lf_str(b, "session", in.session) == -1) ||
	    lf_end(b) == -1)
		return cmd_err(ctx, "internal", "out of memory");
	ctx->n = 1;
	return CMD_OK;
}
