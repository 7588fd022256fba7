/* cmd_caps.c: CAP and its subverbs (issue 10 item 2): set, remove, list and show the spending caps of models and keys. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cap_args.h"
#include "caps.h"
#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "keysecret.h"
#include "log.h"
#include "proto.h"
#include "reg_caps.h"
#include "reg_keys.h"

/* One cap record (protocol.md "CAP"). */
static int
cmd_cap_record(const struct reg_cap *c, void *arg)
{
	struct cmd_ctx	*ctx = arg;
	struct buf	*b = ctx->out;
	char		 per[16];
	double		 left = c->amount - c->spent;

	reg_cap_period_name(c, per, sizeof(per));
	if (lf_str(b, "target", c->key_id != 0 ? "key" : "model") == -1 ||
	    (c->key_id != 0 ? lf_null(b, "model") :
	    lf_str(b, "model", c->model)) == -1 ||
	    (c->key_id != 0 ? lf_str(b, "key", c->key) :
	    lf_null(b, "key")) == -1 ||
	    lf_num(b, "amount", c->amount) == -1 ||
	    lf_str(b, "period", per) == -1 ||
	    lf_int(b, "warn", c->warn) == -1 ||
	    lf_num(b, "spent", c->spent) == -1 ||
	    lf_num(b, "remaining", left > 0 ? left : 0) == -1 ||
	    lf_time(b, "period_start", c->start) == -1 ||
	    lf_time(b, "period_end", c->end) == -1 ||
	    lf_bool(b, "warned", c->warned) == -1 ||
	    lf_bool(b, "exceeded", c->exceeded) == -1 ||
	    lf_bool(b, "deactivated", c->tripped) == -1 ||
	    lf_time(b, "set_at", c->set_at) == -1 ||
	    lf_str(b, "set_by", c->set_by) == -1 || lf_end(b) == -1)
		return -1;
	ctx->n++;
	return 0;
}

enum cmd_ret
cmd_cap(struct cmd_ctx *ctx)
{
	struct actor		 a;
	struct reg_cap_in	 in;
	struct reg_cap		 c;
	struct cap_args		 p;
	struct args_err		 e;
	const char		*sub;
	char			 msg[512] = "";
	int			 r;
	enum reg_rc		 rc;

	if (cap_parse_args(ctx->req, &p, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	sub = p.subname;
	if (p.sub == CAP_SUB_LIST) {
		rc = reg_cap_list(md.db, 0, cmd_cap_record, ctx, msg,
		    sizeof(msg));
		return cmd_reg_err(ctx, rc, msg);
	}
	memset(&in, 0, sizeof(in));
	a.uid = client_uid(ctx->client);
	a.user = client_user(ctx->client);
	a.source = "manual";
	in.actor = &a;
	in.key = p.key;
	in.model = p.model;
	if (p.sub == CAP_SUB_SHOW) {
		if ((r = reg_cap_of(md.db, in.model, in.key, 0, &c)) == -1)
			return cmd_err(ctx, "internal", "database error");
		if (r == 1)
			return cmd_err(ctx, "notfound", "%s %s has no cap (an id "
			    "or a key name)", p.key != NULL ? "key" : "model",
			    p.key != NULL ? p.key : in.model);
		if (cmd_cap_record(&c, ctx) == -1)
			return cmd_err(ctx, "internal", "out of memory");
		return CMD_OK;
	}
	if (p.sub == CAP_SUB_REMOVE)
		rc = reg_cap_remove(md.db, &in, msg, sizeof(msg));
	else {
		in.amount = p.amount;
		in.period = p.period;
		in.window = p.window;
		in.warn = p.warn;
		rc = reg_cap_set(md.db, &in, &c, msg, sizeof(msg));
	}
	if (rc != REG_OK) {
		log_debug("cap %s by %s refused: %s", sub, a.user, msg);
		return cmd_reg_err(ctx, rc, msg);
	}
	log_info("cap %s by uid %u (%s): %s", sub, (unsigned)a.uid, a.user,
	    msg);
	caps_check_soon();
	if (strcmp(sub, "set") == 0) {
		if (cmd_cap_record(&c, ctx) == -1)
			return cmd_err(ctx, "internal", "out of memory");
		/* The message last: the record above is the cap as stored. */
		ctx->n = 1;
		return CMD_OK;
	}
	if (lf_str(ctx->out, "message", msg) == -1 || lf_end(ctx->out) == -1)
		return cmd_err(ctx, "internal", "out of memory");
	ctx->n = 1;
	return CMD_OK;
}

int
cmd_cap_fields(struct buf *b, const char *model, const char *key)
{
	struct reg_cap	 c;
	char		 per[16];
	double		 left;
	int		 r;

	if ((r = reg_cap_of(md.db, model, key, 0, &c)) == -1)
		return -1;
	if (r == 1)
		return lf_null(b, "cap") == -1 || lf_null(b, "cap_period") == -1 ||
		    lf_null(b, "cap_spent") == -1 ||
		    lf_null(b, "cap_remaining") == -1 ||
		    lf_null(b, "cap_period_end") == -1 ? -1 : 0;
	reg_cap_period_name(&c, per, sizeof(per));
	left = c.amount - c.spent;
	return lf_num(b, "cap", c.amount) == -1 ||
	    lf_str(b, "cap_period", per) == -1 ||
	    lf_num(b, "cap_spent", c.spent) == -1 ||
	    lf_num(b, "cap_remaining", left > 0 ? left : 0) == -1 ||
	    lf_time(b, "cap_period_end", c.end) == -1 ? -1 : 0;
}

int
cmd_cap_append(struct buf *b, const char *model)
{
	/* After the (cached) record: the spend changes without a new record. */
	if (b->len > 0 && b->data[b->len - 1] == '\n')
		b->len--;
	if (cmd_cap_fields(b, model, NULL) == -1 || lf_end(b) == -1)
		return -1;
	return 0;
}
