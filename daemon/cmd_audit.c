/* cmd_audit.c: the AUDIT verb: the audit log of every change (who, when, what, old and new value), filtered. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "daemon.h"
#include "db_audit.h"
#include "proto.h"
#include "registry.h"
#include "reg_cursor.h"

#define AUDIT_LIMIT_DEFAULT	100
#define AUDIT_LIMIT_MAX		10000
#define AUDIT_ACTOR_MAX		64	/* user names, and "zdr", "catalog", "seed" */

struct cmd_audit_list {
	struct cmd_ctx	*ctx;
	int		 failed;
};

/* One row as one logfmt record (protocol.md "AUDIT"). */
static int
cmd_audit_row(const struct db_audit_row *r, void *arg)
{
	struct cmd_audit_list	*l = arg;
	struct buf		*b = l->ctx->out;
	int			 rv = 0;

	rv |= lf_time(b, "at", r->at);
	rv |= lf_str(b, "actor", r->actor);
	rv |= r->has_uid ? lf_int(b, "uid", r->uid) : lf_null(b, "uid");
	rv |= lf_str(b, "action", r->action);
	rv |= lf_str(b, "model", r->model);
	rv |= lf_str(b, "field", r->field);
	rv |= lf_str(b, "old", r->oldv);
	rv |= lf_str(b, "new", r->newv);
	rv |= lf_end(b);
	if (rv != 0) {
		l->failed = 1;
		return -1;
	}
	l->ctx->n++;
	return 0;
}

/* The next records of a streamed AUDIT reply (control.c calls it): how many, or -1. */
static int
cmd_audit_produce(void *arg, struct buf *out, int max)
{
	struct db_audit_row	 r;
	struct cmd_ctx		 one;
	struct cmd_audit_list	 l = { &one, 0 };
	int			 k, rc;

	memset(&one, 0, sizeof(one));
	one.out = out;
	for (k = 0; k < max; k++) {
		if ((rc = reg_audit_next(arg, &r)) != 1)
			return rc == -1 ? -1 : k;
		if (cmd_audit_row(&r, &l) == -1)
			return -1;
	}
	return k;
}

static void
cmd_audit_cursor_free(void *arg)
{
	reg_cursor_close(arg);
}

enum cmd_ret
cmd_audit(struct cmd_ctx *ctx)
{
	struct db_audit_query	 q;
	struct reg_cursor	*cur;
	int64_t			 total;
	const char		*v;
	long			 d;
	size_t			 i;

	memset(&q, 0, sizeof(q));
	q.limit = AUDIT_LIMIT_DEFAULT;
	if ((v = proto_opt(ctx->req, "since")) != NULL) {
		if ((d = cfg_parse_duration(v)) < 1)
			return cmd_err(ctx, "usage", "bad since \"%.64s\": "
			    "expected a duration like 90s, 15m, 1h or 7d", v);
		q.since = (int64_t)time(NULL) - d;
		if (q.since < 1)
			q.since = 1;
	}
	if ((v = proto_opt(ctx->req, "model")) != NULL) {
		if (v[0] == '\0' || strlen(v) > 255)
			return cmd_err(ctx, "usage", "bad model: expected a "
			    "model id of 1 to 255 bytes");
		q.model = v;
	}
	if ((v = proto_opt(ctx->req, "actor")) != NULL) {
		/* Actors are user names or the daemon's own names: no control bytes. */
		for (i = 0; v[i] != '\0'; i++)
			if ((unsigned char)v[i] < 0x21 || v[i] == 0x7f)
				break;
		if (i == 0 || v[i] != '\0' || i > AUDIT_ACTOR_MAX)
			return cmd_err(ctx, "usage", "bad actor: expected a user "
			    "name of 1 to %d printable bytes", AUDIT_ACTOR_MAX);
		q.actor = v;
	}
	if (cmd_opt_count(ctx, "limit", AUDIT_LIMIT_MAX, &q.limit) == -1)
		return CMD_ERR;
	/* Streamed from one snapshot as the client reads (see cmd_list). */
	if (reg_audit_open(md.db, &q, &cur, &total) != REG_OK)
		return cmd_err(ctx, "internal", "database error");
	ctx->n = (int)total;
	ctx->produce = cmd_audit_produce;
	ctx->produce_free = cmd_audit_cursor_free;
	ctx->produce_arg = cur;
	return CMD_PRODUCE;
}
