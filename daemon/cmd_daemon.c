/* cmd_daemon.c: the verbs about the daemon itself: PING, VERSION, HELP, WHOAMI, STATUS, SEED, RELOAD, QUIT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "cache.h"
#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "proto.h"
#include "resolve_batch.h"
#include "usage.h"
#include "registry.h"
#include "seed.h"
#include "events.h"
#include "source.h"

enum cmd_ret
cmd_ping(struct cmd_ctx *ctx)
{
	lf_bool(ctx->out, "pong", 1);
	lf_end(ctx->out);
	ctx->n = 1;
	return CMD_OK;
}

enum cmd_ret
cmd_version(struct cmd_ctx *ctx)
{
	lf_str(ctx->out, "version", MODELREG_VERSION);
	lf_int(ctx->out, "protocol", PROTO_VERSION);
	lf_str(ctx->out, "sqlite", sqlite3_libversion());
	lf_str(ctx->out, "libevent", event_get_version());
	lf_str(ctx->out, "curl", curl_version_info(CURLVERSION_NOW)->version);
	lf_end(ctx->out);
	ctx->n = 1;
	return CMD_OK;
}

enum cmd_ret
cmd_help(struct cmd_ctx *ctx)
{
	char	 usage[512];
	size_t	 i;

	for (i = 0; i < cmd_count; i++) {
		const struct cmd *c = &cmd_table[i];

		snprintf(usage, sizeof(usage), "%s%s%s", c->verb,
		    c->usage[0] ? " " : "", c->usage);
		lf_str(ctx->out, "verb", c->verb);
		lf_str(ctx->out, "role", access_role_name(c->role));
		if (c->argrole > c->role)
			lf_str(ctx->out, "role_with_args",
			    access_role_name(c->argrole));
		lf_str(ctx->out, "usage", usage);
		lf_str(ctx->out, "summary", c->summary);
		lf_end(ctx->out);
		ctx->n++;
	}
	return CMD_OK;
}

enum cmd_ret
cmd_whoami(struct cmd_ctx *ctx)
{
	lf_int(ctx->out, "uid", client_uid(ctx->client));
	lf_int(ctx->out, "gid", client_gid(ctx->client));
	lf_str(ctx->out, "user", client_user(ctx->client));
	lf_str(ctx->out, "role", access_role_name(client_role(ctx->client)));
	lf_end(ctx->out);
	ctx->n = 1;
	return CMD_OK;
}

enum cmd_ret
cmd_status(struct cmd_ctx *ctx)
{
	struct reg_counts	 rc;
	struct cache_stats	 cs;
	struct source		*src;
	struct buf		*b = ctx->out;

	if (reg_counts(md.db, &rc) != REG_OK)
		return cmd_err(ctx, "internal", "database error");

	lf_str(b, "version", MODELREG_VERSION);
	lf_int(b, "pid", (int64_t)getpid());
	lf_time(b, "started_at", md.started);
	lf_str(b, "config", md.cfg->path);
	lf_str(b, "socket", control_path());
	lf_bool(b, "socket_activated", control_activated());
	lf_int(b, "clients", control_clients());
	lf_int(b, "unread_bytes", (int64_t)control_unread());
	lf_int(b, "models", rc.models);
	lf_int(b, "active", rc.active);
	lf_str(b, "default", rc.default_id[0] ? rc.default_id : NULL);
	lf_time(b, "seeded_at", rc.seeded_at);
	/* The read path's cache (issue 8): what SHOW answers without SQLite. */
	cache_get_stats(cmd_model_cache(), &cs);
	lf_int(b, "cache_entries", (int64_t)cs.entries);
	lf_int(b, "cache_bytes", (int64_t)cs.bytes);
	lf_int(b, "cache_max", (int64_t)cs.max);
	lf_int(b, "cache_hits", (int64_t)cs.hits);
	lf_int(b, "cache_misses", (int64_t)cs.misses);
	/* Issue 9: live sessions and every RESOLVE answered, per reason. */
	resolve_status(b);
	usage_status(b);	/* issue 10: USAGE's reports and groups */
	lf_end(b);

	ctx->n = 1;
	/* Then one record per source (the seeder first), and per alert channel. */
	for (src = source_first(); src != NULL; src = source_next(src)) {
		source_status_record(b, src);
		ctx->n++;
	}
	ctx->n += events_status_records(b);
	return CMD_OK;
}

/* A SEED request waiting for the run to end. */
struct seed_wait {
	struct client		*client;
	struct seed_waiter	*waiter;
};

static void
cmd_seed_client_gone(void *arg)
{
	struct seed_wait	*sw = arg;

	seed_waiter_cancel(sw->waiter);
	free(sw);
}

static void
cmd_seed_done(enum reg_rc rc, const struct seed_result *res, const char *msg,
    void *arg)
{
	struct seed_wait	*sw = arg;
	struct client		*c = sw->client;
	const struct source	*src = seed_source();
	struct buf		 b = { 0 };

	client_on_close(c, NULL, NULL);
	free(sw);
	if (rc == REG_INTERNAL) {
		client_reply_err(c, "internal", "%s", msg);
		return;
	}
	if (rc != REG_OK) {
		client_reply_err(c, "unavailable", "%s", msg);
		return;
	}
	lf_int(&b, "added", res->added);
	lf_int(&b, "updated", res->updated);
	lf_int(&b, "activated", res->activated);
	lf_int(&b, "deactivated", res->deactivated);
	lf_bool(&b, "default_set", res->default_set);
	lf_int(&b, "items", src != NULL ? src->items : 0);
	lf_str(&b, "warnings", res->warnings);
	lf_end(&b);
	client_reply_ok(c, 1, &b);
	buf_free(&b);
}

enum cmd_ret
cmd_seed(struct cmd_ctx *ctx)
{
	struct seed_wait	*sw;
	struct actor		 who;
	char			 msg[256];

	if ((sw = calloc(1, sizeof(*sw))) == NULL)
		return cmd_err(ctx, "internal", "out of memory");
	sw->client = ctx->client;
	msg[0] = '\0';
	who.uid = client_uid(ctx->client);
	who.user = client_user(ctx->client);
	who.source = "seed";
	if ((sw->waiter = seed_run(cmd_seed_done, sw, &who, msg,
	    sizeof(msg))) == NULL) {
		free(sw);
		return cmd_err(ctx, "unavailable", "%s",
		    msg[0] ? msg : "cannot start a seed");
	}
	log_info("seed requested by uid %u (%s)",
	    (unsigned)client_uid(ctx->client), client_user(ctx->client));
	client_on_close(ctx->client, cmd_seed_client_gone, sw);
	return CMD_DEFERRED;
}

enum cmd_ret
cmd_reload(struct cmd_ctx *ctx)
{
	char	 err[400];

	log_info("reload requested by uid %u (%s)",
	    (unsigned)client_uid(ctx->client), client_user(ctx->client));
	if (daemon_reload(err, sizeof(err)) == -1)
		return cmd_err(ctx, "conflict", "reload refused, the old "
		    "configuration stays in force: %s", err);
	lf_str(ctx->out, "config", md.cfg->path);
	lf_str(ctx->out, "message", "configuration reloaded");
	lf_end(ctx->out);
	ctx->n = 1;
	return CMD_OK;
}

enum cmd_ret
cmd_quit(struct cmd_ctx *ctx)
{
	return CMD_CLOSE;
}
