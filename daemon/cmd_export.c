/* cmd_export.c: EXPORT and IMPORT (issue 11 item 4): the registry's decisions as versioned JSON, a line a record; a file applied in one transaction. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "events.h"
#include "export.h"
#include "import.h"
#include "import_args.h"
#include "log.h"
#include "proto.h"
#include "reg_export.h"
#include "registry.h"

/*
 * EXPORT's reply: the text, one record per line (json=LINE), so it is
 * streamed as the client reads like LIST, and a client writes the
 * values one a line to get the file back byte for byte.
 */
struct export_reply {
	char	*text;
	size_t	 len, off;
};

static int
cmd_export_produce(void *arg, struct buf *out, int max)
{
	struct export_reply	*r = arg;
	const char		*nl;
	int			 k;

	for (k = 0; k < max && r->off < r->len; k++) {
		nl = memchr(r->text + r->off, '\n', r->len - r->off);
		if (nl == NULL)
			return -1;	/* export_write ends every line */
		if (lf_strn(out, "json", r->text + r->off,
		    (size_t)(nl - (r->text + r->off))) == -1 || lf_end(out) == -1)
			return -1;
		r->off = (size_t)(nl - r->text) + 1;
	}
	return k;
}

static void
cmd_export_free(void *arg)
{
	struct export_reply	*r = arg;

	free(r->text);
	free(r);
}

enum cmd_ret
cmd_export(struct cmd_ctx *ctx)
{
	struct export_reply	*r;
	struct buf		 text = { 0 };
	enum reg_rc		 rc;
	size_t			 i;
	int			 n = 0;

	if ((rc = reg_export(md.db, &text, ctx->msg, sizeof(ctx->msg))) != REG_OK) {
		buf_free(&text);
		return cmd_reg_err(ctx, rc, ctx->msg);
	}
	for (i = 0; i < text.len; i++)
		n += text.data[i] == '\n';
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		buf_free(&text);
		return cmd_err(ctx, "internal", "out of memory");
	}
	r->len = text.len;
	r->text = buf_steal(&text);
	if (r->text == NULL) {
		free(r);
		return cmd_err(ctx, "internal", "out of memory");
	}
	ctx->n = n;
	ctx->produce = cmd_export_produce;
	ctx->produce_free = cmd_export_free;
	ctx->produce_arg = r;
	return CMD_PRODUCE;
}

/*
 * IMPORT size=N [dry_run=yes] [strict=yes]: the file follows as N bytes
 * of body (control.c reads them as they come). One import at a time, so
 * at most one body of EXPORT_MAX_BYTES is held.
 */
struct import_req {
	int	 dry_run;
	int	 strict;
};

static int	 importing;

static int
import_record(struct buf *b, const struct import_item *it)
{
	int	 rv = 0;

	rv |= lf_str(b, "kind", it->kind);
	rv |= lf_str(b, "name", it->name);
	rv |= lf_str(b, "outcome", it->outcome);
	rv |= lf_str(b, "field", it->field);
	rv |= lf_str(b, "old", it->oldv);
	rv |= lf_str(b, "new", it->newv);
	rv |= lf_str(b, "reason", it->reason);
	rv |= lf_end(b);
	return rv == 0 ? 0 : -1;
}

/*
 * The parse and the apply run on the import worker when a job can start,
 * as BATCH and SWITCH do (one transaction that may touch every model):
 * reads go on from the last commit meanwhile, writes wait in the import
 * queue. The parse too: a 16 MB export of 100k models is hundreds of
 * milliseconds of JSON, and the loop answers nobody meanwhile. When
 * another job runs it waits behind it (import_after) and then starts
 * its own; only with no thread at all does it run on the loop.
 */
struct import_job {
	struct client		*c;		/* NULL once the client has gone */
	char			*body;		/* the file, until it is parsed */
	size_t			 blen;
	int			 refused;	/* the file did not parse: msg says why */
	struct export_doc	 doc;
	struct reg_import_in	 in;
	struct reg_import_out	 out;
	struct actor		 a;
	char			*user;
	enum reg_rc		 rc;
	int			 ran;
	char			 msg[512];
};

static void
import_job_free(struct import_job *j)
{
	free(j->body);
	export_free(&j->doc);
	reg_import_free(&j->out);
	free(j->user);
	free(j);
}

static void
import_job_gone(void *arg)
{
	((struct import_job *)arg)->c = NULL;
}

static void
import_job_work(sqlite3 *db, void *arg)
{
	struct import_job	*j = arg;
	char			 err[512];

	j->ran = 1;
	if (export_parse(j->body, j->blen, &j->doc, err, sizeof(err)) == -1) {
		j->refused = 1;
		snprintf(j->msg, sizeof(j->msg), "the file is refused, nothing "
		    "was changed: %.440s", err);
	} else
		j->rc = reg_import(db, &j->in, &j->out, j->msg, sizeof(j->msg));
	free(j->body);
	j->body = NULL;
}

/* On the loop, once the rule ran (or could not): the reply, then the job goes. */
static void
import_job_done(void *arg, int cancelled)
{
	struct import_job	*j = arg;
	struct buf		 b = { 0 };
	int			 i, rv = 0;

	if (cancelled && !j->ran) {
		j->rc = REG_INTERNAL;
		snprintf(j->msg, sizeof(j->msg), "the daemon is stopping; "
		    "nothing was changed");
	}
	if (j->rc == REG_OK && j->out.applied) {
		events_notify();
		caps_check_soon();
		log_info("import by uid %u (%s): %s", (unsigned)j->a.uid,
		    j->a.user, j->msg);
	}
	if (j->c == NULL) {
		import_job_free(j);
		return;
	}
	client_on_close(j->c, NULL, NULL);
	if (j->refused) {
		client_reply_err(j->c, "usage", "%s", j->msg);
		import_job_free(j);
		return;
	}
	if (j->rc != REG_OK) {
		client_reply_err(j->c, j->rc == REG_CONFLICT ? "conflict" :
		    "internal", "%s", j->msg);
		import_job_free(j);
		return;
	}
	rv |= lf_int(&b, "changed", j->out.changed);
	rv |= lf_int(&b, "skipped", j->out.skipped);
	rv |= lf_bool(&b, "applied", j->out.applied);
	rv |= lf_bool(&b, "dry_run", j->in.dry_run);
	/* Issue 11 item 5: the history row UNDO takes. */
	rv |= j->out.batch != 0 ? lf_int(&b, "history", j->out.batch) :
	    lf_null(&b, "history");
	rv |= lf_str(&b, "message", j->msg);
	rv |= lf_end(&b);
	for (i = 0; i < j->out.n && rv == 0; i++)
		rv |= import_record(&b, &j->out.items[i]);
	if (rv != 0)
		client_reply_err(j->c, "internal", "out of memory for the reply "
		    "(the import was %s)", j->out.applied ? "applied" :
		    "not applied");
	else
		client_reply_ok(j->c, j->out.n + 1, &b);
	buf_free(&b);
	import_job_free(j);
}

/* Behind another job: now on the loop, in order with the writes that waited. */
static void
import_job_after(void *arg, int cancelled)
{
	struct import_job	*j = arg;

	/* The worker is free now: the job goes there (the drain waits for it). */
	if (!cancelled && import_start(md.cfg->database, import_job_work,
	    import_job_done, j) == 0)
		return;
	if (!cancelled)
		import_job_work(md.db, j);
	import_job_done(j, cancelled);
}

static void
cmd_import_body(struct client *c, const char *data, size_t len, void *arg)
{
	struct import_req	*r = arg;
	struct import_job	*j;

	importing = 0;
	if (data == NULL) {
		free(r);
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		free(r);
		client_reply_err(c, "internal", "out of memory; nothing was "
		    "changed");
		return;
	}
	/* The body is the client's buffer, gone after this call: the job's own copy. */
	if ((j->body = malloc(len > 0 ? len : 1)) == NULL) {
		free(r);
		import_job_free(j);
		client_reply_err(c, "internal", "out of memory; nothing was "
		    "changed");
		return;
	}
	memcpy(j->body, data, len);
	j->blen = len;
	j->a.uid = client_uid(c);
	j->a.source = "manual";
	if ((j->user = strdup(client_user(c))) == NULL) {
		free(r);
		import_job_free(j);
		client_reply_err(c, "internal", "out of memory; nothing was "
		    "changed");
		return;
	}
	j->a.user = j->user;
	j->in.doc = &j->doc;
	j->in.dry_run = r->dry_run;
	j->in.strict = r->strict;
	j->in.zdr_enforce = md.cfg->zdr_enforce;
	j->in.actor = &j->a;
	free(r);
	j->c = c;
	if (!import_busy() && import_start(md.cfg->database, import_job_work,
	    import_job_done, j) == 0) {
		client_on_close(c, import_job_gone, j);
		return;
	}
	if (import_busy() && import_after("import", import_job_after, j) == 0) {
		client_on_close(c, import_job_gone, j);
		return;
	}
	/* No thread: here, now. */
	import_job_work(md.db, j);
	import_job_done(j, 0);
}

enum cmd_ret
cmd_import(struct cmd_ctx *ctx)
{
	struct import_req	*r;
	struct import_args	 ia;
	struct args_err		 e;

	if (import_parse_args(ctx->req, &ia, &e) == -1)
		return cmd_err(ctx, e.code, "%s", e.msg);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cmd_err(ctx, "internal", "out of memory");
	r->dry_run = ia.dry_run;
	r->strict = ia.strict;
	if (importing) {
		free(r);
		return cmd_err(ctx, "busy", "another import is being received; "
		    "try again when it is done");
	}
	if (client_read_body(ctx->client, ia.size, cmd_import_body, r) == -1) {
		free(r);
		return cmd_err(ctx, "internal", "out of memory");
	}
	importing = 1;
	return CMD_DEFERRED;
}
