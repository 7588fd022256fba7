/* cmd_usage.c: USAGE (issue 10 item 1): one report of what an application used, queued for the group commit and answered after it; SPEND: the usage summaries behind `modelregctl usage`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "keysecret.h"
#include "log.h"
#include "proto.h"
#include "reg_usage.h"
#include "registry.h"
#include "sessions.h"
#include "spend_args.h"
#include "usage.h"
#include "usage_args.h"

int
cmd_queues(const char *line, size_t len)
{
	/* "USAGE" and a blank: the one verb whose reply is queued. */
	return len >= 6 && strncasecmp(line, "USAGE", 5) == 0 &&
	    (line[5] == ' ' || line[5] == '\t');
}

enum cmd_ret
cmd_usage(struct cmd_ctx *ctx)
{
	struct usage_args	 a;
	struct usage_report	 r;
	struct args_err		 e;
	enum cmd_ret		 ret;

	if (usage_parse_args(ctx->req, &a, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	memset(&r, 0, sizeof(r));
	memcpy(r.model, a.model, sizeof(r.model));
	r.prompt_tokens = a.prompt_tokens;
	r.completion_tokens = a.completion_tokens;
	r.requests = a.requests;
	r.has_session = a.has_session;
	memcpy(r.session, a.session, sizeof(r.session));
	if (a.key != NULL) {
		/* Never echoed, never kept: only its digest waits for the commit. */
		if (keysecret_hash(a.key, r.key_hash) == -1)
			return cmd_err(ctx, "internal", "cannot hash the key");
		r.has_key = 1;
	}
	/* The OK comes after the commit: usage.c answers in the client's order. */
	ret = usage_queue(ctx->client, &r) == 0 ? CMD_QUEUED :
	    cmd_err(ctx, "internal", "out of memory");
	keysecret_wipe(r.key_hash, sizeof(r.key_hash));
	return ret;
}

static int
spend_row(const char *group, const struct usage_totals *t, void *arg)
{
	struct cmd_ctx	*ctx = arg;
	const char	*by = proto_opt(ctx->req, "by");
	struct buf	*b = ctx->out;

	if (lf_str(b, by == NULL ? "model" : by, group[0] != '\0' ? group :
	    NULL) == -1 ||
	    lf_int(b, "requests", t->requests) == -1 ||
	    lf_int(b, "prompt_tokens", t->prompt_tokens) == -1 ||
	    lf_int(b, "completion_tokens", t->completion_tokens) == -1 ||
	    lf_num(b, "cost_usd", t->cost) == -1 || lf_end(b) == -1)
		return -1;
	ctx->n++;
	return 0;
}

static int
unused_row(const char *id, int64_t added_at, int64_t last_used, void *arg)
{
	struct cmd_ctx	*ctx = arg;
	struct buf	*b = ctx->out;

	if (lf_str(b, "model", id) == -1 ||
	    lf_time(b, "added_at", added_at) == -1 ||
	    lf_time(b, "last_used_at", last_used) == -1 || lf_end(b) == -1)
		return -1;
	ctx->n++;
	return 0;
}

enum cmd_ret
cmd_spend(struct cmd_ctx *ctx)
{
	struct spend_args	 a;
	struct args_err		 e;
	struct usage_query	 q;
	char			 msg[512] = "";
	enum reg_rc		 rc;

	if (spend_parse_args(ctx->req, &a, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	memset(&q, 0, sizeof(q));
	q.now = (int64_t)time(NULL);
	q.limit = a.limit;
	if (a.unused != 0)
		rc = reg_usage_unused(md.db, args_back(q.now, a.unused),
		    q.limit, unused_row, ctx, msg, sizeof(msg));
	else {
		q.by = a.by;
		q.since = a.since != 0 ? args_back(q.now, a.since) : 0;
		q.model = a.model;
		q.key = a.key;
		rc = reg_usage_summary(md.db, &q, spend_row, ctx, msg,
		    sizeof(msg));
	}
	switch (rc) {
	case REG_OK:
		return CMD_OK;
	case REG_NOTFOUND:
		return cmd_err(ctx, "notfound", "%s", msg);
	default:
		return cmd_err(ctx, "internal", "%s", msg[0] != '\0' ? msg :
		    "database error");
	}
}
