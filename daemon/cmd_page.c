/* cmd_page.c: the paging options LIST and CATALOG share (limit=, after=) and the next= record that ends a page. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cursor.h"
#include "proto.h"
#include "registry.h"

int
cmd_page_opts(struct cmd_ctx *ctx, enum reg_sort sort, int desc, int *limit,
    struct page_cursor *after, const struct page_cursor **afterp)
{
	const char	*v;

	*limit = 0;
	*afterp = NULL;
	if (cmd_opt_count(ctx, "limit", CMD_PAGE_MAX, limit) == -1)
		return -1;
	if ((v = proto_opt(ctx->req, "after")) != NULL) {
		/* The token is not echoed: it is long and means nothing to people. */
		if (cursor_decode(v, after) == -1) {
			cmd_err(ctx, "usage", "bad cursor: pass the next= value "
			    "of the page before, unchanged");
			return -1;
		}
		if (after->sort != sort || after->desc != desc) {
			cmd_err(ctx, "usage", "bad cursor: it was made for another "
			    "sort or order; use the sort= and order= of the page "
			    "before");
			return -1;
		}
		*afterp = after;
	}
	return 0;
}

int
cmd_page_record(struct buf *out, const struct page_cursor *next)
{
	char	 token[CURSOR_MAXLEN];
	int	 rv = 0;

	if (cursor_encode(next, token, sizeof(token)) == -1)
		return -1;
	rv |= lf_str(out, "next", token);
	rv |= lf_end(out);
	return rv != 0 ? -1 : 0;
}
