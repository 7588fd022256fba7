/* cmd_export.c: EXPORT and IMPORT (issue 11 item 4): the registry's decisions as versioned JSON, a line a record; a file applied in one transaction. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "daemon.h"
#include "proto.h"
#include "reg_export.h"

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
