/* cmd_batch.c: BATCH and COLLECTION SWITCH (issue 11), the verbs that change a whole selection, run as jobs on the import worker (issue 12). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch_args.h"
#include "cmd.h"
#include "cmd_tags.h"
#include "coll_args.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "events.h"
#include "expiry.h"
#include "import.h"
#include "log.h"
#include "proto.h"
#include "registry.h"
#include "reg_tags.h"
#include "resolve_batch.h"
#include "sessions.h"

/* A deferred client answered with what a handler returned into ctx (ctx->out: out). */
void
job_answer(struct client *c, struct cmd_ctx *ctx, struct buf *out,
    enum cmd_ret rv)
{
	switch (rv) {
	case CMD_PRODUCE:
		client_reply_produce(c, ctx->n, ctx->produce, ctx->produce_free,
		    ctx->produce_arg);
		break;
	case CMD_ERR:
		client_reply_err(c, ctx->code, "%s", ctx->msg);
		break;
	default:
		client_reply_ok(c, ctx->n, out);
		break;
	}
}

/* BATCH's reply (and its log line) from the rule's result, on the loop: CMD_PRODUCE, CMD_OK or CMD_ERR. */
static enum cmd_ret
batch_reply(struct cmd_ctx *ctx, const struct reg_batch_in *in,
    struct reg_batch_out *out, enum reg_rc rc, const char *msg)
{
	if (rc != REG_OK)
		return cmd_reg_err(ctx, rc, msg);
	if (out->applied && out->changed > 0) {
		log_info("batch %s by uid %u (%s): %s", reg_batch_action_name(
		    in->action), (unsigned)in->actor->uid, in->actor->user, msg);
		if (in->action == BATCH_ACTIVATE)
			expiry_check_soon();
	}
	lf_str(ctx->out, "action", reg_batch_action_name(in->action));
	lf_int(ctx->out, "selected", out->selected);
	lf_int(ctx->out, "changed", out->changed);
	lf_int(ctx->out, "unchanged", out->unchanged);
	lf_int(ctx->out, "refused", out->refused);
	lf_int(ctx->out, "skipped", out->skipped);
	lf_bool(ctx->out, "applied", out->applied && !in->dry_run);
	lf_bool(ctx->out, "dry_run", in->dry_run);
	if (out->batch != 0)
		lf_int(ctx->out, "batch", out->batch);
	lf_str(ctx->out, "message", msg);
	lf_end(ctx->out);
	return cmd_items_reply(ctx, &out->items, 0);
}

/*
 * Issue 12 (issue 8's fairness): a BATCH runs on the import worker, as
 * the sources' big writes do (import.h): 10,000 models held the loop for
 * 0.3 to 1.5 s, and nothing else was answered meanwhile. The job has its
 * own copy of every input: the request's words, the actor, and (for a
 * delete) the live sessions per model at the start, since the loop's
 * sessions change under RESOLVE. Writes that come meanwhile wait in
 * order (import_defer); reads answer from the last commit. The rule is
 * the same reg_batch, on the worker's connection; the reply is built and
 * streamed on the loop when the job is done.
 */

struct batch_job {
	struct client		*c;		/* NULL once the client has gone */
	struct reg_batch_in	 in;
	struct reg_batch_out	 out;
	enum reg_rc		 rc;
	struct list_query	 q;
	struct actor		 a;
	char			*user;
	char			*selection;
	char			*qs[5];		/* q's strings */
	char			**models;
	struct live_set		 live;
	int			 ran;		/* work ran: rc and msg are the rule's */
	char			 msg[512];
};

static void
batch_job_free(struct batch_job *j)
{
	size_t	 i;
	int	 k;

	reg_items_free(&j->out.items);
	for (k = 0; k < j->in.nmodels; k++)
		free(j->models[k]);
	free(j->models);
	live_set_free(&j->live);
	for (i = 0; i < sizeof(j->qs) / sizeof(j->qs[0]); i++)
		free(j->qs[i]);
	free(j->user);
	free(j->selection);
	free(j);
}

static int
live_cmp(const void *a, const void *b)
{
	return strcmp(((const struct live_model *)a)->id,
	    ((const struct live_model *)b)->id);
}

/* bsearch's key is the id itself. */
static int
live_find(const void *key, const void *m)
{
	return strcmp(key, ((const struct live_model *)m)->id);
}

static int
live_add(const char *model, size_t n, void *arg)
{
	struct live_set		*l = arg;
	struct live_model	*v;

	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 16;

		if ((v = reallocarray(l->v, na, sizeof(*v))) == NULL)
			return 1;
		l->v = v;
		l->alloc = na;
	}
	if ((l->v[l->n].id = strdup(model)) == NULL)
		return 1;
	l->v[l->n++].n = n;
	return 0;
}

int
live_set_copy(struct live_set *l, struct sessions *s, int64_t now)
{
	if (sessions_each_model(s, now, live_add, l) == -1)
		return -1;
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), live_cmp);
	return 0;
}

/* On the worker: the copy's live sessions on id. */
size_t
live_count(const char *id, void *arg)
{
	struct live_set		*l = arg;
	struct live_model	*m;

	m = l->n > 0 ? bsearch(id, l->v, l->n, sizeof(*l->v), live_find) : NULL;
	return m != NULL ? m->n : 0;
}

void
live_set_free(struct live_set *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].id);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* s copied into *slot (NULL stays NULL): 0, -1. */
int
batch_dup(char **slot, const char *s)
{
	*slot = NULL;
	return s != NULL && (*slot = strdup(s)) == NULL ? -1 : 0;
}

static void
batch_job_gone(void *arg)
{
	struct batch_job	*j = arg;

	j->c = NULL;
}

static void
batch_job_work(sqlite3 *db, void *arg)
{
	struct batch_job	*j = arg;

	j->rc = reg_batch(db, &j->in, &j->out, j->msg, sizeof(j->msg));
	j->ran = 1;
}

static void
batch_job_done(void *arg, int cancelled)
{
	struct batch_job	*j = arg;
	struct cmd_ctx		 ctx;
	struct buf		 out = { 0 };

	/* The daemon stops: when work ran, its result (committed or rolled back) stands. */
	if (cancelled && !j->ran) {
		j->rc = REG_INTERNAL;
		snprintf(j->msg, sizeof(j->msg), "the daemon is stopping; "
		    "nothing was changed");
	}
	if (j->rc == REG_OK && j->out.applied && j->out.changed > 0)
		events_notify();
	if (j->c == NULL) {
		if (j->rc == REG_OK && j->out.applied && j->out.changed > 0)
			log_info("batch %s by uid %u (%s): %s (the client had "
			    "gone)", reg_batch_action_name(j->in.action),
			    (unsigned)j->a.uid, j->a.user, j->msg);
		batch_job_free(j);
		return;
	}
	client_on_close(j->c, NULL, NULL);
	memset(&ctx, 0, sizeof(ctx));
	ctx.client = j->c;
	ctx.out = &out;
	job_answer(j->c, &ctx, &out, batch_reply(&ctx, &j->in, &j->out,
	    j->rc, j->msg));
	buf_free(&out);
	batch_job_free(j);
}

/*
 * Start in (its strings the request's) as a job: CMD_DEFERRED, CMD_ERR
 * (out of memory), or -1 when no job can start (the caller runs it here).
 */
static int
batch_job_start(struct cmd_ctx *ctx, const struct reg_batch_in *in,
    const char *selection)
{
	struct batch_job	*j;
	const struct list_query	*q = in->sel;
	int			 k;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return cmd_err(ctx, "internal", "out of memory");
	j->in = *in;
	j->in.nmodels = 0;	/* counts the copies made, for batch_job_free */
	if (q != NULL) {
		j->q = *q;
		if (batch_dup(&j->qs[0], q->tag) == -1 ||
		    batch_dup(&j->qs[1], q->collection) == -1 ||
		    batch_dup(&j->qs[2], q->provider) == -1 ||
		    batch_dup(&j->qs[3], q->search) == -1 ||
		    batch_dup(&j->qs[4], q->kind) == -1)
			goto nomem;
		j->q.tag = j->qs[0];
		j->q.collection = j->qs[1];
		j->q.provider = j->qs[2];
		j->q.search = j->qs[3];
		j->q.kind = j->qs[4];
		j->in.sel = &j->q;
	}
	if (in->nmodels > 0 &&
	    (j->models = calloc((size_t)in->nmodels, sizeof(char *))) == NULL)
		goto nomem;
	for (k = 0; k < in->nmodels; k++, j->in.nmodels++)
		if ((j->models[k] = strdup(in->models[k])) == NULL)
			goto nomem;
	j->in.models = (const char *const *)j->models;
	if (batch_dup(&j->selection, selection) == -1 ||
	    batch_dup(&j->user, in->actor->user) == -1)
		goto nomem;
	j->in.selection = j->selection;
	j->a = *in->actor;
	j->a.user = j->user;
	j->in.actor = &j->a;
	if (in->sessions != NULL) {
		if (live_set_copy(&j->live, in->sessions, j->in.now) == -1)
			goto nomem;
		j->in.sessions = NULL;
		j->in.in_use = live_count;
		j->in.in_use_arg = &j->live;
	}
	j->in.notify_later = 1;
	j->c = ctx->client;
	if (import_start(md.cfg->database, batch_job_work, batch_job_done,
	    j) == -1) {
		batch_job_free(j);
		return -1;
	}
	client_on_close(ctx->client, batch_job_gone, j);
	return CMD_DEFERRED;
nomem:
	batch_job_free(j);
	return cmd_err(ctx, "internal", "out of memory; nothing was changed");
}

/* BATCH activate|deactivate|delete [MODEL...] [selectors] [skip_refused=yes] [dry_run=yes] */
enum cmd_ret
cmd_batch(struct cmd_ctx *ctx)
{
	struct actor		 a;
	struct batch_args	 ba;
	struct args_err		 e;
	struct reg_batch_in	 in;
	struct reg_batch_out	 out;
	struct buf		 text = { 0 };
	char			 msg[512] = "";
	enum reg_rc		 rc;
	int			 r;

	if (batch_parse_args(ctx->req, &ba, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	if (batch_selection_text(&ba, &text) == -1) {
		buf_free(&text);
		return cmd_err(ctx, "internal", "out of memory");
	}
	memset(&in, 0, sizeof(in));
	in.now = (int64_t)time(NULL);
	in.action = ba.action;
	/* unused=: since the time it names, the first second at the earliest (as SPEND's). */
	if (ba.unused_word != NULL)
		in.unused_since = args_back(in.now, ba.unused);
	cmd_tags_actor(ctx, &a);
	in.models = ba.models;
	in.nmodels = ba.nmodels;
	in.sel = ba.sel.any ? &ba.sel.q : NULL;
	in.selection = text.data != NULL ? text.data : "";
	in.skip_refused = ba.skip_refused;
	in.dry_run = ba.dry_run;
	in.sessions = in.action == BATCH_DELETE ? resolve_sessions() : NULL;
	in.actor = &a;
	/* Off the loop when a job can start; else here, as before. */
	if ((r = batch_job_start(ctx, &in, in.selection)) != -1) {
		buf_free(&text);
		return (enum cmd_ret)r;
	}
	rc = reg_batch(md.db, &in, &out, msg, sizeof(msg));
	buf_free(&text);
	return batch_reply(ctx, &in, &out, rc, msg);
}
/* COLLECTION SWITCH's reply (and its log line) from the rule's result, on the loop. */
static enum cmd_ret
switch_reply(struct cmd_ctx *ctx, const struct reg_switch_in *in,
    struct reg_switch_out *out, enum reg_rc rc, const char *msg)
{
	int	 dry = in->dry_run;

	if (rc != REG_OK)
		return cmd_reg_err(ctx, rc, msg);
	if (!dry) {
		log_info("collection switch %s by uid %u (%s): %s", in->name,
		    (unsigned)in->actor->uid, in->actor->user, msg);
		if (out->activated > 0)
			expiry_check_soon();
	}
	lf_str(ctx->out, "collection", in->name);
	lf_int(ctx->out, "activated", out->activated);
	lf_int(ctx->out, "deactivated", out->deactivated);
	lf_int(ctx->out, "unchanged", out->unchanged);
	lf_str(ctx->out, "default", out->default_id);
	lf_str(ctx->out, "previous",
	    out->previous[0] != '\0' ? out->previous : NULL);
	lf_bool(ctx->out, "applied", !dry);
	lf_bool(ctx->out, "dry_run", dry);
	if (out->batch != 0)
		lf_int(ctx->out, "batch", out->batch);
	lf_str(ctx->out, "message", msg);
	lf_end(ctx->out);
	return cmd_items_reply(ctx, &out->items, 0);
}

/*
 * Issue 12: a switch on the import worker, as a BATCH (above): it may
 * change every model of the registry in one transaction. The job copies
 * the name, the default asked, [defaults] fallback and the actor.
 */
struct switch_job {
	struct client		*c;		/* NULL once the client has gone */
	struct reg_switch_in	 in;
	struct reg_switch_out	 out;
	enum reg_rc		 rc;
	struct cfg_list		 fallback;
	struct actor		 a;
	char			*name, *def, *user;
	int			 ran;		/* work ran: rc and msg are the rule's */
	char			 msg[512];
};

static void
switch_job_free(struct switch_job *j)
{
	reg_items_free(&j->out.items);
	import_list_free(&j->fallback);
	free(j->name);
	free(j->def);
	free(j->user);
	free(j);
}

static void
switch_job_gone(void *arg)
{
	((struct switch_job *)arg)->c = NULL;
}

static void
switch_job_work(sqlite3 *db, void *arg)
{
	struct switch_job	*j = arg;

	j->rc = reg_collection_switch(db, &j->in, &j->out, j->msg,
	    sizeof(j->msg));
	j->ran = 1;
}

static void
switch_job_done(void *arg, int cancelled)
{
	struct switch_job	*j = arg;
	struct cmd_ctx		 ctx;
	struct buf		 out = { 0 };

	if (cancelled && !j->ran) {
		j->rc = REG_INTERNAL;
		snprintf(j->msg, sizeof(j->msg), "the daemon is stopping; "
		    "nothing was changed");
	}
	if (j->rc == REG_OK && !j->in.dry_run)
		events_notify();
	if (j->c == NULL) {
		if (j->rc == REG_OK && !j->in.dry_run)
			log_info("collection switch %s by uid %u (%s): %s (the "
			    "client had gone)", j->in.name, (unsigned)j->a.uid,
			    j->a.user, j->msg);
		switch_job_free(j);
		return;
	}
	client_on_close(j->c, NULL, NULL);
	memset(&ctx, 0, sizeof(ctx));
	ctx.client = j->c;
	ctx.out = &out;
	job_answer(j->c, &ctx, &out, switch_reply(&ctx, &j->in, &j->out,
	    j->rc, j->msg));
	buf_free(&out);
	switch_job_free(j);
}

/* As batch_job_start: CMD_DEFERRED, CMD_ERR, or -1 (run it here). */
static int
switch_job_start(struct cmd_ctx *ctx, const struct reg_switch_in *in)
{
	struct switch_job	*j;

	if ((j = calloc(1, sizeof(*j))) == NULL)
		return cmd_err(ctx, "internal", "out of memory");
	j->in = *in;
	if (batch_dup(&j->name, in->name) == -1 ||
	    batch_dup(&j->def, in->default_model) == -1 ||
	    batch_dup(&j->user, in->actor->user) == -1 ||
	    import_list_copy(&j->fallback, in->fallback) == -1) {
		switch_job_free(j);
		return cmd_err(ctx, "internal", "out of memory; nothing was "
		    "changed");
	}
	j->in.name = j->name;
	j->in.default_model = j->def;
	j->in.fallback = &j->fallback;
	j->a = *in->actor;
	j->a.user = j->user;
	j->in.actor = &j->a;
	j->in.notify_later = 1;
	j->c = ctx->client;
	if (import_start(md.cfg->database, switch_job_work, switch_job_done,
	    j) == -1) {
		switch_job_free(j);
		return -1;
	}
	client_on_close(ctx->client, switch_job_gone, j);
	return CMD_DEFERRED;
}

enum cmd_ret
cmd_coll_switch(struct cmd_ctx *ctx, const struct coll_args *ca,
    struct actor *a)
{
	struct reg_switch_in	 in;
	struct reg_switch_out	 out;
	struct reg_settings	 rs;
	char			 msg[512] = "";
	enum reg_rc		 rc;
	int			 r;

	memset(&in, 0, sizeof(in));
	in.name = ca->name;
	in.default_model = ca->default_model;
	in.dry_run = ca->dry_run;
	in.fallback = reg_settings_cfg(md.cfg, &rs)->fallback;
	in.actor = a;
	in.now = (int64_t)time(NULL);
	/* Off the loop when a job can start; else here, as before. */
	if ((r = switch_job_start(ctx, &in)) != -1)
		return (enum cmd_ret)r;
	rc = reg_collection_switch(md.db, &in, &out, msg, sizeof(msg));
	return switch_reply(ctx, &in, &out, rc, msg);
}
