/* cmd_history.c: HISTORY (the batches, switches and undos, newest first; one with its models) and UNDO (reverse one), issue 11 item 5. UNDO runs on the import worker as BATCH does; their arguments are parsed by history_args.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "cmd_tags.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "events.h"
#include "expiry.h"
#include "history_args.h"
#include "import.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "reg_history.h"
#include "resolve_batch.h"
#include "sessions.h"

/* One history row as a record (protocol.md "History records"). */
static int
cmd_hist_record(const struct reg_hist_row *r, void *arg)
{
	struct cmd_ctx	*ctx = arg;
	struct buf	*b = ctx->out;
	int		 rc = 0;

	rc |= lf_int(b, "id", r->id);
	rc |= lf_time(b, "at", r->at);
	rc |= lf_str(b, "user", r->user);
	rc |= r->has_uid ? lf_int(b, "uid", r->uid) : lf_null(b, "uid");
	rc |= lf_str(b, "action", r->action);
	rc |= lf_str(b, "selection", r->selection);
	rc |= lf_int(b, "changed", r->changed);
	rc |= lf_int(b, "skipped", r->skipped);
	rc |= lf_int(b, "models", r->models);
	rc |= r->default_before != NULL ? lf_str(b, "default_before",
	    r->default_before) : lf_null(b, "default_before");
	rc |= r->default_after != NULL ? lf_str(b, "default_after",
	    r->default_after) : lf_null(b, "default_after");
	rc |= r->undo_of != 0 ? lf_int(b, "undo_of", r->undo_of) :
	    lf_null(b, "undo_of");
	rc |= r->undone_by != 0 ? lf_int(b, "undone_by", r->undone_by) :
	    lf_null(b, "undone_by");
	rc |= lf_end(b);
	if (rc != 0)
		return -1;
	ctx->n++;
	return 0;
}

/*
 * HISTORY ID's models, streamed after its record: a batch may have
 * touched 10,000 models. Each entry is "id\0before\0after\0fields\0"
 * (fields "" for a batch's row: only an import's says what it changed).
 */
struct hist_stream {
	struct buf	 head;
	int		 head_done;
	char		**v;
	size_t		 n, alloc, next;
};

static void
hist_stream_free(void *arg)
{
	struct hist_stream	*s = arg;
	size_t			 i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	buf_free(&s->head);
	free(s);
}

static int
hist_stream_add(const char *model, const char *before, const char *after,
    const char *fields, void *arg)
{
	struct hist_stream	*s = arg;
	size_t			 lm = strlen(model), lb = strlen(before);
	size_t			 la = strlen(after);
	size_t			 lf = fields != NULL ? strlen(fields) : 0;
	char			**v, *e;

	if (s->n == s->alloc) {
		size_t na = s->alloc ? s->alloc * 2 : 64;

		if ((v = reallocarray(s->v, na, sizeof(*v))) == NULL)
			return 1;
		s->v = v;
		s->alloc = na;
	}
	if ((e = malloc(lm + lb + la + lf + 4)) == NULL)
		return 1;
	memcpy(e, model, lm + 1);
	memcpy(e + lm + 1, before, lb + 1);
	memcpy(e + lm + lb + 2, after, la + 1);
	memcpy(e + lm + lb + la + 3, fields != NULL ? fields : "", lf + 1);
	s->v[s->n++] = e;
	return 0;
}

static int
hist_stream_produce(void *arg, struct buf *out, int max)
{
	struct hist_stream	*s = arg;
	const char		*e, *before, *after, *fields;
	int			 k = 0;

	if (!s->head_done && max > 0) {
		if (buf_append(out, s->head.data, s->head.len) == -1)
			return -1;
		s->head_done = 1;
		k++;
	}
	for (; k < max && s->next < s->n; k++) {
		e = s->v[s->next++];
		before = e + strlen(e) + 1;
		after = before + strlen(before) + 1;
		fields = after + strlen(after) + 1;
		if (lf_str(out, "model", e) == -1 ||
		    lf_str(out, "before", before) == -1 ||
		    lf_str(out, "after", after) == -1 ||
		    (fields[0] != '\0' && lf_str(out, "fields", fields) == -1) ||
		    lf_end(out) == -1)
			return -1;
	}
	return k;
}

static enum cmd_ret
cmd_hist_show(struct cmd_ctx *ctx, int64_t id)
{
	struct hist_stream	*s;
	char			 msg[512] = "";
	enum reg_rc		 rc;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return cmd_err(ctx, "internal", "out of memory");
	rc = reg_history_show(md.db, id, cmd_hist_record, ctx, hist_stream_add,
	    s, msg, sizeof(msg));
	if (rc != REG_OK) {
		hist_stream_free(s);
		return cmd_reg_err(ctx, rc, msg);
	}
	if (s->n == 0 || s->n > (size_t)INT32_MAX - 1) {
		hist_stream_free(s);
		return CMD_OK;
	}
	if (buf_append(&s->head, ctx->out->data, ctx->out->len) == -1) {
		hist_stream_free(s);
		return cmd_err(ctx, "internal", "out of memory");
	}
	buf_reset(ctx->out);
	ctx->n = 1 + (int)s->n;
	ctx->produce = hist_stream_produce;
	ctx->produce_free = hist_stream_free;
	ctx->produce_arg = s;
	return CMD_PRODUCE;
}

/* HISTORY [ID] [limit=N] [before=ID] */
enum cmd_ret
cmd_history(struct cmd_ctx *ctx)
{
	struct history_args	 ha;
	struct args_err		 e;
	char			 msg[512] = "";
	enum reg_rc		 rc;

	if (history_parse_args(ctx->req, &ha, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	if (ha.id != 0)
		return cmd_hist_show(ctx, ha.id);
	rc = reg_history_list(md.db, ha.before, ha.limit, cmd_hist_record, ctx,
	    msg, sizeof(msg));
	return cmd_reg_err(ctx, rc, msg);
}

/* UNDO's reply (and its log line) from the rule's result, on the loop. */
static enum cmd_ret
undo_reply(struct cmd_ctx *ctx, const struct reg_undo_in *in,
    struct reg_undo_out *out, enum reg_rc rc, const char *msg)
{
	if (rc != REG_OK)
		return cmd_reg_err(ctx, rc, msg);
	if (out->applied) {
		log_info("undo %lld by uid %u (%s): %s", (long long)in->id,
		    (unsigned)in->actor->uid, in->actor->user, msg);
		expiry_check_soon();
	}
	lf_int(ctx->out, "undo_of", in->id);
	lf_str(ctx->out, "action", out->action);
	lf_int(ctx->out, "selected", out->selected);
	lf_int(ctx->out, "changed", out->changed);
	lf_int(ctx->out, "refused", out->refused);
	lf_bool(ctx->out, "applied", out->applied);
	lf_bool(ctx->out, "dry_run", in->dry_run);
	lf_str(ctx->out, "default",
	    out->default_after[0] != '\0' ? out->default_after : NULL);
	lf_str(ctx->out, "previous",
	    out->default_before[0] != '\0' ? out->default_before : NULL);
	if (out->batch != 0)
		lf_int(ctx->out, "batch", out->batch);
	lf_str(ctx->out, "message", msg);
	lf_end(ctx->out);
	return cmd_items_reply(ctx, &out->items, 0);
}

/*
 * An undo may change as many models as the batch it reverses, in one
 * transaction: on the import worker, as BATCH (cmd_batch.c), with a copy
 * of the actor and of the live sessions (a model put back to deleted
 * must not be in use).
 */
struct undo_job {
	struct client		*c;		/* NULL once the client has gone */
	struct reg_undo_in	 in;
	struct reg_undo_out	 out;
	enum reg_rc		 rc;
	struct actor		 a;
	char			*user;
	struct live_set		 live;
	int			 ran;
	char			 msg[512];
};

static void
undo_job_free(struct undo_job *j)
{
	reg_items_free(&j->out.items);
	live_set_free(&j->live);
	free(j->user);
	free(j);
}

static void
undo_job_gone(void *arg)
{
	((struct undo_job *)arg)->c = NULL;
}

static void
undo_job_work(sqlite3 *db, void *arg)
{
	struct undo_job	*j = arg;

	j->rc = reg_undo(db, &j->in, &j->out, j->msg, sizeof(j->msg));
	j->ran = 1;
}

static void
undo_job_done(void *arg, int cancelled)
{
	struct undo_job	*j = arg;
	struct cmd_ctx	 ctx;
	struct buf	 out = { 0 };

	if (cancelled && !j->ran) {
		j->rc = REG_INTERNAL;
		snprintf(j->msg, sizeof(j->msg), "the daemon is stopping; "
		    "nothing was changed");
	}
	if (j->rc == REG_OK && j->out.applied)
		events_notify();
	if (j->c == NULL) {
		if (j->rc == REG_OK && j->out.applied)
			log_info("undo %lld by uid %u (%s): %s (the client had "
			    "gone)", (long long)j->in.id, (unsigned)j->a.uid,
			    j->a.user, j->msg);
		undo_job_free(j);
		return;
	}
	client_on_close(j->c, NULL, NULL);
	memset(&ctx, 0, sizeof(ctx));
	ctx.client = j->c;
	ctx.out = &out;
	job_answer(j->c, &ctx, &out, undo_reply(&ctx, &j->in, &j->out, j->rc,
	    j->msg));
	buf_free(&out);
	undo_job_free(j);
}

/* As batch_job_start: CMD_DEFERRED, CMD_ERR, or -1 (run it here). */
static int
undo_job_start(struct cmd_ctx *ctx, const struct reg_undo_in *in)
{
	struct undo_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return cmd_err(ctx, "internal", "out of memory");
	j->in = *in;
	if (batch_dup(&j->user, in->actor->user) == -1 ||
	    (in->sessions != NULL && live_set_copy(&j->live, in->sessions,
	    in->now) == -1)) {
		undo_job_free(j);
		return cmd_err(ctx, "internal", "out of memory; nothing was "
		    "changed");
	}
	j->a = *in->actor;
	j->a.user = j->user;
	j->in.actor = &j->a;
	j->in.sessions = NULL;
	j->in.in_use = live_count;
	j->in.in_use_arg = &j->live;
	j->in.notify_later = 1;
	j->c = ctx->client;
	if (import_start(md.cfg->database, undo_job_work, undo_job_done,
	    j) == -1) {
		undo_job_free(j);
		return -1;
	}
	client_on_close(ctx->client, undo_job_gone, j);
	return CMD_DEFERRED;
}

/* UNDO ID [dry_run=yes] */
enum cmd_ret
cmd_undo(struct cmd_ctx *ctx)
{
	struct undo_args	 ua;
	struct args_err		 e;
	struct actor		 a;
	struct reg_undo_in	 in;
	struct reg_undo_out	 out;
	char			 msg[512] = "";
	enum reg_rc		 rc;
	int			 r;

	if (undo_parse_args(ctx->req, &ua, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	memset(&in, 0, sizeof(in));
	cmd_tags_actor(ctx, &a);
	in.id = ua.id;
	in.dry_run = ua.dry_run;
	in.zdr_enforce = md.cfg->zdr_enforce;
	in.now = (int64_t)time(NULL);
	in.sessions = resolve_sessions();
	in.actor = &a;
	/* Off the loop when a job can start; else here. */
	if ((r = undo_job_start(ctx, &in)) != -1)
		return (enum cmd_ret)r;
	rc = reg_undo(md.db, &in, &out, msg, sizeof(msg));
	return undo_reply(ctx, &in, &out, rc, msg);
}
