/* cmd_source.c: REFRESH: run periodic sources now and report each one's outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "control.h"
#include "log.h"
#include "proto.h"
#include "source.h"

#define REFRESH_MAX	8	/* sources one request may name ("all") */

struct refresh;

/* One source of a REFRESH and, once it has ended, its outcome. */
struct refresh_slot {
	struct refresh		*r;
	struct source		*src;
	struct source_waiter	*waiter;	/* NULL once done */
	int			 done;
	enum source_outcome	 outcome;
	char			 msg[512];	/* as long as a source's last_error */
};

/* A REFRESH waiting for its sources' runs to end. */
struct refresh {
	struct client		*client;
	int			 n, pending;
	struct refresh_slot	 slot[REFRESH_MAX];
};

static const char *
refresh_outcome(enum source_outcome o)
{
	switch (o) {
	case SRC_OK:
		return "ok";
	case SRC_HELD:
		return "held";
	case SRC_FAILED:
	default:
		return "failed";
	}
}

/* Drop every waiter still pending (the client went away, or setup failed). */
static void
refresh_cancel(struct refresh *r)
{
	int	 i;

	for (i = 0; i < r->n; i++)
		if (!r->slot[i].done && r->slot[i].waiter != NULL) {
			source_waiter_cancel(r->slot[i].waiter);
			r->slot[i].waiter = NULL;
		}
}

static void
refresh_client_gone(void *arg)
{
	struct refresh	*r = arg;

	refresh_cancel(r);
	free(r);
}

static void
refresh_done(struct source *src, enum source_outcome o, const char *msg,
    void *arg)
{
	struct refresh_slot	*s = arg;
	struct refresh		*r = s->r;
	struct buf		 b = { NULL, 0, 0 };
	int			 i, rv = 0;

	(void)src;
	s->done = 1;
	s->waiter = NULL;
	s->outcome = o;
	buf_fit(s->msg, sizeof(s->msg), "%s", msg != NULL ? msg : "");
	if (--r->pending > 0)
		return;
	for (i = 0; i < r->n; i++) {
		rv |= lf_str(&b, "source", r->slot[i].src->name);
		rv |= lf_str(&b, "outcome", refresh_outcome(r->slot[i].outcome));
		rv |= lf_str(&b, "message", r->slot[i].msg);
		rv |= lf_end(&b);
	}
	client_on_close(r->client, NULL, NULL);
	if (rv != 0)
		client_reply_err(r->client, "internal", "out of memory");
	else
		client_reply_ok(r->client, r->n, &b);
	buf_free(&b);
	free(r);
}

/* yes|no -> 1|0; -1 on another word. */
static int
refresh_yesno(const char *s, int dflt)
{
	if (s == NULL)
		return dflt;
	if (strcmp(s, "yes") == 0)
		return 1;
	if (strcmp(s, "no") == 0)
		return 0;
	return -1;
}

enum cmd_ret
cmd_refresh(struct cmd_ctx *ctx)
{
	struct source	*list[REFRESH_MAX], *src;
	struct refresh	*r;
	const char	*name = ctx->req->argv[1];
	char		 msg[256];
	int		 force, wait, n = 0, i, held, fl[REFRESH_MAX];

	if ((force = refresh_yesno(proto_opt(ctx->req, "force"), 0)) == -1)
		return cmd_err(ctx, "usage", "bad force: use yes or no");
	if ((wait = refresh_yesno(proto_opt(ctx->req, "wait"), 1)) == -1)
		return cmd_err(ctx, "usage", "bad wait: use yes or no");
	if (strcmp(name, "all") == 0) {
		for (src = source_first(); src != NULL && n < REFRESH_MAX;
		    src = source_next(src))
			/* The seeder is a source too, but SEED runs it. */
			if (src->enabled && source_periodic(src))
				list[n++] = src;
		if (n == 0)
			return cmd_err(ctx, "unavailable", "no source is "
			    "configured ([catalog], [zdr] or [uptime] url)");
	} else if (strcmp(name, "catalog") != 0 && strcmp(name, "zdr") != 0 &&
	    strcmp(name, "uptime") != 0)
		return cmd_err(ctx, "usage", "unknown source \"%.32s\": use "
		    "catalog, zdr, uptime or all", name);
	else if ((src = source_find(name)) == NULL || !src->enabled)
		return cmd_err(ctx, "unavailable", "no %s source configured "
		    "([%s] url)", name, name);
	else
		list[n++] = src;

	/*
	 * --force applies a held response, never a fresh download nobody
	 * reviewed: with nothing held it is refused. A run under way may
	 * be about to hold one, so a forced request then joins the queue
	 * (and, if the run holds nothing, becomes an ordinary run). With
	 * "all", the sources holding nothing refresh as usual.
	 */
	if (force) {
		for (i = 0, held = 0; i < n; i++) {
			fl[i] = source_holds(list[i]) || list[i]->running;
			held += fl[i];
		}
		if (held == 0)
			return cmd_err(ctx, "conflict", "nothing is held for "
			    "%s; --force applies a held response",
			    n == 1 ? list[0]->name : "any source");
	} else
		for (i = 0; i < n; i++)
			fl[i] = 0;

	log_info("refresh %s%s requested by uid %u (%s)", name,
	    force ? " (forced)" : "", (unsigned)client_uid(ctx->client),
	    client_user(ctx->client));
	if (!wait) {
		for (i = 0; i < n; i++) {
			msg[0] = '\0';
			if (source_refresh(list[i], fl[i], NULL, NULL, msg,
			    sizeof(msg)) == NULL) {
				lf_str(ctx->out, "source", list[i]->name);
				lf_str(ctx->out, "outcome", "failed");
				lf_str(ctx->out, "message", msg);
			} else {
				lf_str(ctx->out, "source", list[i]->name);
				lf_str(ctx->out, "outcome", "started");
				lf_str(ctx->out, "message", "the run was started");
			}
			lf_end(ctx->out);
		}
		ctx->n = n;
		return CMD_OK;
	}

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cmd_err(ctx, "internal", "out of memory");
	r->client = ctx->client;
	for (i = 0; i < n; i++) {
		r->slot[i].r = r;
		r->slot[i].src = list[i];
		msg[0] = '\0';
		r->slot[i].waiter = source_refresh(list[i], fl[i], refresh_done,
		    &r->slot[i], msg, sizeof(msg));
		if (r->slot[i].waiter == NULL) {
			/* Callbacks never run inside source_refresh: undo and answer. */
			r->n = i;
			refresh_cancel(r);
			free(r);
			return cmd_err(ctx, "unavailable", "%s: %s",
			    list[i]->name, msg[0] ? msg : "cannot start a run");
		}
	}
	r->n = n;
	r->pending = n;
	client_on_close(ctx->client, refresh_client_gone, r);
	return CMD_DEFERRED;
}
