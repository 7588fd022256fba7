/* cmd_uptime.c: the UPTIME verb: each synced model's uptime history over a window. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "daemon.h"
#include "log.h"
#include "proto.h"
#include "reg_uptime.h"
#include "source.h"

static const struct {
	const char	*name;
	int64_t		 seconds;
} windows[] = {
	{ "1h", 3600 },
	{ "24h", 86400 },
	{ "7d", 7 * 86400 },
	{ "30d", 30 * 86400 },
};

struct uptime_collect {
	struct cmd_ctx	*ctx;
	const char	*window;
	int		 failed;
};

static int
cmd_uptime_record(const struct uptime_history *h, void *arg)
{
	struct uptime_collect	*col = arg;
	struct buf		*b = col->ctx->out;
	int			 rv = 0;

	rv |= lf_str(b, "id", h->id);
	rv |= lf_str(b, "window", col->window);
	rv |= lf_int(b, "samples", h->samples);
	if (h->samples > 0)
		rv |= lf_num(b, "green_share",
		    100.0 * (double)h->green / (double)h->samples);
	else
		rv |= lf_null(b, "green_share");
	rv |= lf_opt_num(b, "mean_uptime", h->has_mean, h->mean);
	rv |= lf_int(b, "incidents", h->incidents);
	rv |= lf_str(b, "health", h->health);
	rv |= lf_opt_num(b, "uptime_30m", h->has_uptime, h->uptime_30m);
	rv |= lf_time(b, "last_sample_at", h->last_at);
	rv |= lf_end(b);
	if (rv != 0) {
		col->failed = 1;
		return 1;
	}
	col->ctx->n++;
	return 0;
}

/*
 * No [uptime] url and no sample kept from an earlier configuration: an
 * empty history would read as "no samples yet", so say what is missing.
 * Samples kept after the source was removed are still shown.
 */
static int
cmd_uptime_unconfigured(void)
{
	struct source	*src = source_find("uptime");
	int64_t		 n = 0;

	if (src != NULL && src->enabled)
		return 0;
	return reg_uptime_count(md.db, &n) == 0 && n == 0;
}

enum cmd_ret
cmd_uptime(struct cmd_ctx *ctx)
{
	struct uptime_collect	 col = { ctx, "24h", 0 };
	const char		*v, *model = NULL;
	int64_t			 span = 86400;
	size_t			 i;
	enum reg_rc		 rc;

	if ((v = proto_opt(ctx->req, "window")) != NULL) {
		for (i = 0; i < sizeof(windows) / sizeof(windows[0]); i++)
			if (strcmp(v, windows[i].name) == 0)
				break;
		if (i == sizeof(windows) / sizeof(windows[0]))
			return cmd_err(ctx, "usage", "bad window \"%.32s\": use "
			    "1h, 24h, 7d or 30d", v);
		col.window = windows[i].name;
		span = windows[i].seconds;
	}
	if (cmd_uptime_unconfigured())
		return cmd_err(ctx, "unavailable", "no uptime source configured "
		    "([uptime] url)");
	if (ctx->req->argc == 2)
		model = ctx->req->argv[1];
	rc = reg_uptime_history(md.db, model, (int64_t)time(NULL) - span,
	    cmd_uptime_record, &col);
	if (rc == REG_NOTFOUND)
		return cmd_err(ctx, "notfound", "no such model: %.200s", model);
	if (rc != REG_OK && !col.failed)
		return cmd_err(ctx, "internal", "database error");
	if (col.failed)
		return cmd_err(ctx, "internal", "out of memory");
	return CMD_OK;
}
