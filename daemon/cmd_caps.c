/* cmd_caps.c: CAP and its subverbs (issue 10 item 2): set, remove, list and show the spending caps of models and keys. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "caps.h"
#include "cmd.h"
#include "control.h"
#include "daemon.h"
#include "keysecret.h"
#include "log.h"
#include "proto.h"
#include "reg_caps.h"
#include "reg_keys.h"

/* Which operands and options each subverb takes; key= stands for the MODEL operand. */
static const struct {
	const char	*sub;
	int		 minargs, maxargs;	/* after the subverb, without key= */
	const char	*opts;
	const char	*usage;
} cap_subs[] = {
	{ "set", 2, 2, "key period warn",
	    "CAP SET MODEL AMOUNT period=day|week|month|DURATION [warn=PERCENT]"
	    " or CAP SET AMOUNT key=NAME period=... [warn=PERCENT]" },
	{ "remove", 1, 1, "key", "CAP REMOVE MODEL or CAP REMOVE key=NAME" },
	{ "list", 0, 0, "", "CAP LIST" },
	{ "show", 1, 1, "key", "CAP SHOW MODEL or CAP SHOW key=NAME" },
};

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
	const struct proto_req	*req = ctx->req;
	struct actor		 a;
	struct reg_cap_in	 in;
	struct reg_cap		 c;
	const char		*sub = req->argv[1], *key, *v;
	char			 msg[512] = "", period[8];
	size_t			 i;
	int			 nargs = req->argc - 2, j, r, arg0 = 2;
	enum reg_rc		 rc;

	for (i = 0; i < sizeof(cap_subs) / sizeof(cap_subs[0]); i++)
		if (strcasecmp(sub, cap_subs[i].sub) == 0)
			break;
	if (i == sizeof(cap_subs) / sizeof(cap_subs[0]))
		return cmd_err(ctx, "usage", "bad subverb \"%.32s\": set, remove, "
		    "list or show", sub);
	sub = cap_subs[i].sub;
	key = proto_opt(req, "key");
	/* key= takes the place of the MODEL operand. */
	if (nargs + (key != NULL) < cap_subs[i].minargs ||
	    nargs + (key != NULL) > cap_subs[i].maxargs)
		return cmd_err(ctx, "usage", "usage: %s", cap_subs[i].usage);
	for (j = 0; j < req->optc; j++) {
		const char *o = cap_subs[i].opts, *p;
		size_t kl = strlen(req->optk[j]);

		for (p = o; (p = strstr(p, req->optk[j])) != NULL; p += kl)
			if ((p == o || p[-1] == ' ') &&
			    (p[kl] == ' ' || p[kl] == '\0'))
				break;
		if (p == NULL)
			return cmd_err(ctx, "usage", "CAP %s takes no option "
			    "\"%.32s\"; usage: %s", sub, req->optk[j],
			    cap_subs[i].usage);
	}
	/* A secret is a well-formed name too: never echo or log one. */
	if (key != NULL && keysecret_valid(key))
		return cmd_err(ctx, "usage", "key= takes the key's name, not its "
		    "secret");
	/* Bounded before any message can echo them. */
	if (key != NULL && !reg_key_name_ok(key))
		return cmd_err(ctx, "notfound", "no such key: a key name is 1 to "
		    "%d letters, digits, '.', '_' or '-'", KEY_NAME_MAX);
	if (key == NULL && nargs >= 1 && strcmp(sub, "list") != 0 &&
	    strlen(req->argv[2]) > 255)
		return cmd_err(ctx, "notfound", "no such model: a name of %zu "
		    "bytes", strlen(req->argv[2]));

	if (strcmp(sub, "list") == 0) {
		rc = reg_cap_list(md.db, 0, cmd_cap_record, ctx, msg,
		    sizeof(msg));
		return cmd_reg_err(ctx, rc, msg);
	}
	memset(&in, 0, sizeof(in));
	a.uid = client_uid(ctx->client);
	a.user = client_user(ctx->client);
	a.source = "manual";
	in.actor = &a;
	if (key != NULL)
		in.key = key;
	else {
		in.model = req->argv[2];
		arg0 = 3;
	}
	if (strcmp(sub, "show") == 0) {
		if ((r = reg_cap_of(md.db, in.model, in.key, 0, &c)) == -1)
			return cmd_err(ctx, "internal", "database error");
		if (r == 1)
			return cmd_err(ctx, "notfound", "%s %s has no cap (an id "
			    "or a key name)", key != NULL ? "key" : "model",
			    key != NULL ? key : in.model);
		if (cmd_cap_record(&c, ctx) == -1)
			return cmd_err(ctx, "internal", "out of memory");
		return CMD_OK;
	}
	if (strcmp(sub, "remove") == 0)
		rc = reg_cap_remove(md.db, &in, msg, sizeof(msg));
	else {
		if (reg_cap_parse_amount(req->argv[arg0], &in.amount) == -1)
			return cmd_err(ctx, "usage", "bad amount \"%.32s\": USD "
			    "as a plain decimal above 0 and at most 1000000000, "
			    "like 50 or 12.5", req->argv[arg0]);
		if ((v = proto_opt(req, "period")) == NULL)
			return cmd_err(ctx, "usage", "a cap needs a period: "
			    "period=day, week, month or a duration like 10m");
		if (reg_cap_parse_period(v, period, sizeof(period),
		    &in.window) == -1)
			return cmd_err(ctx, "usage", "bad period \"%.32s\": day, "
			    "week, month (calendar periods in UTC) or a duration "
			    "of 1s to 366d like 10m", v);
		in.period = period;
		in.warn = CAP_WARN_DEFAULT;
		if ((v = proto_opt(req, "warn")) != NULL) {
			char *end;
			long w;

			w = strtol(v, &end, 10);
			if (v[0] < '0' || v[0] > '9' || *end != '\0' || w > 99 ||
			    strlen(v) > 2)
				return cmd_err(ctx, "usage", "bad warn \"%.32s\": "
				    "a percent of 0 (no warning) to 99", v);
			in.warn = (int)w;
		}
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
