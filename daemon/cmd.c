/* cmd.c: the command table and the dispatcher: look up the verb, check role, arguments and options, run the handler. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "batch_args.h"
#include "cmd.h"
#include "coll_args.h"
#include "history_args.h"
#include "import_args.h"
#include "proto.h"
#include "control.h"
#include "import.h"
#include "log.h"
#include "resolve_args.h"
#include "spend_args.h"
#include "tag_args.h"

/*
 * Adding a verb is adding one entry here and one handler; HELP, the role
 * check and the argument checks come from the entry. Keep it sorted as
 * HELP should list it.
 */
const struct cmd cmd_table[] = {
	{ "PING", "", 0, 0, NULL, ROLE_VIEWER, 0, cmd_ping,
	    "check that the daemon answers" },
	{ "VERSION", "", 0, 0, NULL, ROLE_VIEWER, 0, cmd_version,
	    "daemon, protocol and library versions" },
	{ "HELP", "", 0, 0, NULL, ROLE_VIEWER, 0, cmd_help,
	    "list the verbs with their usage, role and what they do" },
	{ "WHOAMI", "", 0, 0, NULL, ROLE_VIEWER, 0, cmd_whoami,
	    "your uid, user name and role" },
	{ "STATUS", "", 0, 0, NULL, ROLE_VIEWER, 0, cmd_status,
	    "registry counts, and the state of every source and alert channel" },
	{ "LIST", "[status=active|inactive|all] [provider=P] [search=TEXT] "
	    "[kind=K] [tag=T] [collection=C] "
	    "[sort=name|provider|context|price|status] [order=asc|desc] "
	    "[limit=N] [after=CURSOR]",
	    0, 0, "status provider search kind sort order limit after tag "
	    "collection",
	    ROLE_VIEWER, 0, cmd_list,
	    "list models, filtered and sorted" },
	{ "SHOW", "MODEL", 1, 1, NULL, ROLE_VIEWER, 0, cmd_show,
	    "one model in full" },
	{ "ACTIVATE", "MODEL", 1, 1, NULL, ROLE_MEMBER, 0, cmd_activate,
	    "make a model available for use (audited, raises model.activated)" },
	{ "DEACTIVATE", "MODEL", 1, 1, NULL, ROLE_MEMBER, 0, cmd_deactivate,
	    "hide a model without deleting it (raises model.deactivated)" },
	{ "DEFAULT", "[MODEL]", 0, 1, NULL, ROLE_VIEWER, ROLE_MEMBER,
	    cmd_default, "show the default model, or set it (raises "
	    "default.changed)" },
	{ "DELETE", "MODEL [force=yes]", 1, 1, "force", ROLE_MEMBER, 0,
	    cmd_delete, "remove a model from the registry (raises "
	    "model.deleted); force=yes (admin) even while sessions use it" },
	{ "SET", "MODEL [label=TEXT] [alias=NAME[,NAME...]] [temperature=X] "
	    "[top_p=X] [max_tokens=N] [frequency_penalty=X] [presence_penalty=X] "
	    "[enforce=PARAM[,PARAM...]]", 1, 1, "label alias temperature top_p "
	    "max_tokens frequency_penalty presence_penalty enforce",
	    ROLE_MEMBER, 0, cmd_set,
	    "configure a model: its label, organisation aliases and default "
	    "parameters (raises model.configured)" },
	{ "UNSET", "MODEL [label] [alias] [PARAM...] [enforce] "
	    "[alias=NAME[,NAME...]] [enforce=PARAM[,PARAM...]]", 1, 10,
	    "alias enforce", ROLE_MEMBER, 0, cmd_unset,
	    "remove settings of a model (raises model.configured)" },
	{ "CATALOG", "[search=TEXT] [provider=P] [zdr=yes|no] [synced=yes|no] "
	    "[kind=K] [tag=T] [sort=name|provider|context|price] [order=asc|desc] "
	    "[limit=N] [after=CURSOR]", 0, 0,
	    "search provider zdr synced kind sort order limit after tag",
	    ROLE_VIEWER, 0, cmd_catalog,
	    "list the discovery catalog, each model marked synced or not" },
	/* Issue 11: tags, collections and batches (cmd_tags.c). */
	{ "TAG", TAG_ARGS_USAGE, 1, 1, TAG_ARGS_OPTS,
	    ROLE_MEMBER, 0, cmd_tag,
	    "add or remove a model's tags (raises model.tagged)" },
	{ "COLLECTION", COLL_ARGS_USAGE, 1, PROTO_MAXARGS - 1, COLL_ARGS_OPTS,
	    ROLE_VIEWER, 0, cmd_collection,
	    "named sets of models: create, add, remove, delete, list, show; "
	    "switch makes exactly one collection active (member)" },
	{ "BATCH", BATCH_ARGS_USAGE, 1, PROTO_MAXARGS - 1, BATCH_ARGS_OPTS,
	    ROLE_MEMBER, 0, cmd_batch,
	    "activate, deactivate or delete a selection in one transaction, "
	    "all or nothing (raises batch.applied)" },
	{ "HISTORY", HISTORY_ARGS_USAGE, 0, 1, HISTORY_ARGS_OPTS,
	    ROLE_VIEWER, 0, cmd_history,
	    "the batches, switches and undos, newest first; with ID, the "
	    "models it changed, before and after" },
	{ "UNDO", UNDO_ARGS_USAGE, 1, 1, UNDO_ARGS_OPTS, ROLE_MEMBER, 0, cmd_undo,
	    "reverse a batch or switch if none of its models changed since "
	    "(raises batch.undone)" },
	{ "SYNC", "MODEL", 1, 1, NULL, ROLE_MEMBER, 0, cmd_sync,
	    "add a catalog model to the registry (raises model.synced)" },
	{ "UPTIME", "[MODEL] [window=1h|24h|7d|30d]", 0, 1, "window",
	    ROLE_VIEWER, 0, cmd_uptime,
	    "uptime history: share of green samples, mean uptime, incidents" },
	{ "EVENTS", "[since=DURATION] [kind=K] [model=MODEL] [limit=N]", 0, 0,
	    "since kind model limit", ROLE_VIEWER, 0, cmd_events,
	    "recent events, newest last" },
	{ "WATCH", "[kind=K]", 0, 0, "kind", ROLE_VIEWER, 0, cmd_watch,
	    "stream events as they happen (one OK 1 reply per event)" },
	{ "AUDIT", "[model=MODEL] [actor=USER] [since=DURATION] [limit=N]", 0, 0,
	    "model actor since limit", ROLE_VIEWER, 0, cmd_audit,
	    "the audit log: who changed what, when, old and new values, newest "
	    "last" },
	{ "REFRESH", "catalog|zdr|uptime|all [force=yes] [wait=no]", 1, 1,
	    "force wait", ROLE_ADMIN, 0, cmd_refresh,
	    "refresh a source now and report its outcome; force=yes applies "
	    "the response that was held" },
	{ "RESOLVE", RESOLVE_ARGS_USAGE, 0, 1, RESOLVE_ARGS_OPTS, ROLE_SERVICE, 0,
	    cmd_resolve, "the model an application should use now: the one "
	    "asked for, the default, or the default as its fallback" },
	{ "RELEASE", RELEASE_ARGS_USAGE, 0, 0, RELEASE_ARGS_OPTS,
	    ROLE_SERVICE, 0, cmd_release,
	    "end a session, so that it no longer keeps its model in use" },
	/* Issue 10 item 1: usage reports (group-committed) and their summaries. */
	{ "USAGE", "MODEL prompt_tokens=N completion_tokens=N [key=SECRET] "
	    "[session=ID] [requests=N]", 1, 1,
	    "prompt_tokens completion_tokens key session requests",
	    ROLE_SERVICE, 0, cmd_usage,
	    "report what an application used; its cost at the model's price "
	    "in force; OK once committed" },
	{ "SPEND", SPEND_ARGS_USAGE, 0, 0, SPEND_ARGS_OPTS, ROLE_ADMIN, 0,
	    cmd_spend,
	    "usage and cost summed by model, key or day, most used first; or "
	    "the models with no usage for that long" },
	{ "KEY", "create|list|show|revoke|rotate|allow|deny [NAME] [MODEL...] "
	    "[models=M,...] [all=yes] [collection=C] [expires=DURATION] [note=TEXT] "
	    "[grace=DURATION]", 1, PROTO_MAXARGS - 1,
	    "models all expires note grace collection", ROLE_ADMIN, 0, cmd_key,
	    "API keys for applications: create (the secret is shown once), "
	    "list, show, revoke, rotate, allow or deny models" },
	/* Issue 10 item 2: spending caps (cmd_caps.c). */
	{ "CAP", "set|remove|list|show [MODEL] [AMOUNT] [key=NAME] "
	    "[period=day|week|month|DURATION] [warn=PERCENT]", 1, 3,
	    "key period warn", ROLE_ADMIN, 0, cmd_cap,
	    "spending caps of models and keys: set, remove, list or show "
	    "(raises cap.set, cap.removed; cap.warning, cap.exceeded, "
	    "cap.reset as they are spent)" },
	/* Issue 11 item 4: export and import (cmd_export.c, doc/export.md). */
	{ "EXPORT", "", 0, 0, NULL, ROLE_ADMIN, 0, cmd_export,
	    "every decision of the organisation as versioned JSON, a line a "
	    "record (json=LINE)" },
	{ "IMPORT", IMPORT_ARGS_USAGE, 0, 0, IMPORT_ARGS_OPTS, ROLE_ADMIN, 0,
	    cmd_import,
	    "apply an export's decisions in one transaction: OK 0, then send "
	    "the file's BYTES, then the diff" },
	{ "SEED", "", 0, 0, NULL, ROLE_ADMIN, 0, cmd_seed,
	    "fetch the seed source and apply the seed rules now" },
	{ "RELOAD", "", 0, 0, NULL, ROLE_ADMIN, 0, cmd_reload,
	    "reload the configuration file" },
	{ "QUIT", "", 0, 0, NULL, ROLE_VIEWER, 0, cmd_quit,
	    "close the connection" },
};
const size_t cmd_count = sizeof(cmd_table) / sizeof(cmd_table[0]);

int
cmd_opt_count(struct cmd_ctx *ctx, const char *key, int max, int *n)
{
	struct args_err	 e;

	if (args_count(ctx->req, key, max, n, &e) == -1) {
		cmd_err(ctx, e.code, "%s", e.msg);
		return -1;
	}
	return 0;
}

enum cmd_ret
cmd_err(struct cmd_ctx *ctx, const char *code, const char *fmt, ...)
{
	va_list	 ap;

	ctx->code = code;
	va_start(ap, fmt);
	buf_vfit(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return CMD_ERR;
}

enum cmd_ret
cmd_dispatch(struct client *c, const struct proto_req *req,
    struct cmd_ctx *ctx)
{
	static size_t		 last;	/* the verb matched last */
	const struct cmd	*cmd = NULL;
	enum role		 need;
	size_t			 i;
	struct args_err		 e;
	int			 nargs;

	/*
	 * A client sends the same verb again and again (RESOLVE, USAGE): the
	 * one matched last is tried first, not a scan of the table's
	 * strcasecmp each request.
	 */
	ctx->verb = -1;
	if (last < cmd_count && strcasecmp(req->argv[0],
	    cmd_table[last].verb) == 0)
		cmd = &cmd_table[last];
	for (i = 0; cmd == NULL && i < cmd_count; i++)
		if (strcasecmp(req->argv[0], cmd_table[i].verb) == 0) {
			cmd = &cmd_table[i];
			last = i;
		}
	if (cmd != NULL)
		ctx->verb = (int)(cmd - cmd_table);
	if (cmd == NULL)
		return cmd_err(ctx, "unknown", "no such verb: %.64s (HELP lists "
		    "the verbs)", req->argv[0]);

	nargs = req->argc - 1;
	need = cmd->role;
	if (nargs > 0 && cmd->argrole > need)
		need = cmd->argrole;
	if (client_role(c) < need) {
		log_info("denied %s to uid %u (%s, role %s)", cmd->verb,
		    (unsigned)client_uid(c), client_user(c),
		    access_role_name(client_role(c)));
		return cmd_err(ctx, "denied", "%s needs the %s role; you are %s",
		    cmd->verb, access_role_name(need),
		    access_role_name(client_role(c)));
	}
	if (args_verb(req, cmd->verb, cmd->usage, cmd->minargs, cmd->maxargs,
	    cmd->opts, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	/*
	 * Issue 8: while an import runs on its worker (import.c), a request
	 * that may write (one that needs more than the viewer role; issue 9:
	 * more than the service role, whose RESOLVE only reads) waits,
	 * in order, and is answered when the import is done; reads go on
	 * from the last committed snapshot. SEED only joins the seed's run.
	 */
	if (need > ROLE_SERVICE && import_busy() &&
	    strcasecmp(cmd->verb, "SEED") != 0)
		return import_defer(c, req, ctx);
	log_debug("uid %u: %s", (unsigned)client_uid(c), cmd->verb);
	return cmd->fn(ctx);
}

/* A registry result as the reply: OK, or the ERR code its rc names (every handler maps them the same way). */
enum cmd_ret
cmd_reg_err(struct cmd_ctx *ctx, enum reg_rc rc, const char *msg)
{
	switch (rc) {
	case REG_OK:
		return CMD_OK;
	case REG_NOTFOUND:
		return cmd_err(ctx, "notfound", "%s", msg);
	case REG_CONFLICT:
		return cmd_err(ctx, "conflict", "%s", msg);
	case REG_USAGE:
		return cmd_err(ctx, "usage", "%s", msg);
	case REG_DENIED:
		return cmd_err(ctx, "denied", "%s", msg);
	case REG_INTERNAL:
	default:
		return cmd_err(ctx, "internal", "%s",
		    msg[0] ? msg : "database error; nothing was changed");
	}
}
