/* cmd_events.c: the verbs on events: EVENTS (recent events, filtered) and WATCH (a stream of new ones). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "db_events.h"
#include "events.h"
#include "proto.h"
#include "registry.h"
#include "reg_cursor.h"

#define EVENTS_LIMIT_DEFAULT	100
#define EVENTS_LIMIT_MAX	10000
#define EVENTS_FILTER_MAX	64

/*
 * A kind filter: a kind, or a family ending in '*' ("model.*", or "*"
 * for all). Kinds are made of [a-z0-9._-]; anything else cannot match
 * and is refused as a usage error.
 */
static int
cmd_events_filter_ok(const char *k)
{
	size_t	 i, len = strlen(k);

	if (len == 0 || len > EVENTS_FILTER_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (k[i] == '*' && i == len - 1)
			continue;
		if (!((k[i] >= 'a' && k[i] <= 'z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '.' ||
		    k[i] == '_' || k[i] == '-'))
			return 0;
	}
	return 1;
}

/* The next records of a streamed EVENTS reply (control.c calls it): how many, or -1. */
static int
cmd_events_produce(void *arg, struct buf *out, int max)
{
	struct db_event	 ev;
	int		 k, r;

	for (k = 0; k < max; k++) {
		if ((r = reg_events_next(arg, &ev)) != 1)
			return r == -1 ? -1 : k;
		if (events_record(out, &ev) == -1)
			return -1;
	}
	return k;
}

static void
cmd_events_cursor_free(void *arg)
{
	reg_cursor_close(arg);
}

enum cmd_ret
cmd_events(struct cmd_ctx *ctx)
{
	struct db_event_query	 q;
	struct reg_cursor	*cur;
	int64_t			 total;
	const char		*v;
	char			 prefix[EVENTS_FILTER_MAX + 1];
	long			 d;
	size_t			 len;

	memset(&q, 0, sizeof(q));
	q.limit = EVENTS_LIMIT_DEFAULT;
	if ((v = proto_opt(ctx->req, "since")) != NULL) {
		if ((d = cfg_parse_duration(v)) < 1)
			return cmd_err(ctx, "usage", "bad since \"%.64s\": "
			    "expected a duration like 90s, 15m, 1h or 7d", v);
		q.since = (int64_t)time(NULL) - d;
		if (q.since < 1)
			q.since = 1;
	}
	if ((v = proto_opt(ctx->req, "kind")) != NULL) {
		if (!cmd_events_filter_ok(v))
			return cmd_err(ctx, "usage", "bad kind \"%.64s\": "
			    "expected a kind like model.down, or a family "
			    "like model.*", v);
		len = strlen(v);
		if (v[len - 1] == '*') {
			memcpy(prefix, v, len - 1);
			prefix[len - 1] = '\0';
			/* "*" alone is every kind. */
			q.kind_prefix = len > 1 ? prefix : NULL;
		} else
			q.kind = v;
	}
	if ((v = proto_opt(ctx->req, "model")) != NULL) {
		if (v[0] == '\0' || strlen(v) > 255)
			return cmd_err(ctx, "usage", "bad model: expected a "
			    "model id of 1 to 255 bytes");
		q.model = v;
	}
	if (cmd_opt_count(ctx, "limit", EVENTS_LIMIT_MAX, &q.limit) == -1)
		return CMD_ERR;
	/* Streamed from one snapshot as the client reads (see cmd_list). */
	if (reg_events_open(md.db, &q, &cur, &total) != REG_OK)
		return cmd_err(ctx, "internal", "database error");
	ctx->n = (int)total;
	ctx->produce = cmd_events_produce;
	ctx->produce_free = cmd_events_cursor_free;
	ctx->produce_arg = cur;
	return CMD_PRODUCE;
}

enum cmd_ret
cmd_watch(struct cmd_ctx *ctx)
{
	const char	*v;

	if ((v = proto_opt(ctx->req, "kind")) != NULL &&
	    !cmd_events_filter_ok(v))
		return cmd_err(ctx, "usage", "bad kind \"%.64s\": expected a "
		    "kind like model.down, or a family like model.*", v);
	if (events_watch(ctx->client, v) == -1)
		return cmd_err(ctx, "internal", "cannot watch events now");
	return CMD_STREAM;
}
