/* cmd.h: the command table: each verb's usage, argument bounds, options, role and handler. */
#ifndef MODELREG_CMD_H
#define MODELREG_CMD_H

#include "access.h"
#include "buf.h"
#include "proto.h"
#include "registry.h"	/* enum reg_rc */

struct client;
struct resolve_pre;

/* What a handler returns. */
enum cmd_ret {
	CMD_OK,		/* reply "OK <ctx->n>" with ctx->out */
	CMD_ERR,	/* reply "ERR <ctx->code> <ctx->msg>" */
	CMD_DEFERRED,	/* the handler will reply later through client_reply_* */
	CMD_CLOSE,	/* reply OK like CMD_OK, then close the connection */
	CMD_STREAM,	/* reply "OK 0", then the connection streams (WATCH): see control.h */
	CMD_PRODUCE,	/* reply "OK <ctx->n>", then ctx->produce writes the records as the client reads */
	CMD_QUEUED,	/* issue 10: the reply comes later through client_reply_queued_*; the client reads on (control.h) */
};

struct cmd_ctx {
	struct client		*client;
	const struct proto_req	*req;
	struct buf		*out;	/* records */
	int			 n;	/* number of records in out */
	const char		*code;	/* for CMD_ERR */
	char			 msg[512];
	/*
	 * For CMD_PRODUCE (issue 8): produce(arg, out, max) appends at most
	 * max records to out and returns how many (-1: failed); it is called
	 * again each time the client has read most of what is queued, until
	 * ctx->n records are out. produce_free(arg) runs once, when the reply
	 * is complete or the client goes.
	 */
	int			(*produce)(void *arg, struct buf *out, int max);
	void			(*produce_free)(void *arg);
	void			*produce_arg;
	int			 verb;	/* cmd_dispatch: the verb's index in cmd_table, -1 none */
	/* Issue 9 item 7: what a pipelined batch worked out ahead (resolve_pre.h), or NULL. */
	const struct resolve_pre *pre;
};

struct cmd {
	const char	*verb;
	const char	*usage;		/* after the verb */
	int		 minargs, maxargs;	/* positional words after the verb */
	const char	*opts;		/* accepted option keys, space-separated, or NULL */
	enum role	 role;		/* least role that may run it */
	enum role	 argrole;	/* least role with positional words, if higher */
	enum cmd_ret	(*fn)(struct cmd_ctx *);
	const char	*summary;
};

/* Run one tokenized request for a client; fills out/code/msg. */
enum cmd_ret cmd_dispatch(struct client *, const struct proto_req *, struct cmd_ctx *);

/* Set an error on ctx and return CMD_ERR. */
/*
 * The option key as a count from 1 to max (limit=): 0 when absent (*n
 * untouched) or good, -1 with ERR usage set on ctx when it is not.
 */
int	 cmd_opt_count(struct cmd_ctx *, const char *key, int max, int *n);

/* A rules-layer result (registry.h enum reg_rc) as the reply: OK, or ERR notfound, conflict, usage, denied, internal with msg. */
enum cmd_ret cmd_reg_err(struct cmd_ctx *, enum reg_rc, const char *msg);
enum cmd_ret cmd_err(struct cmd_ctx *, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Handlers, one file per group of verbs. */
/* The read path's cache of SHOW records (cmd_model.c, issue 8), for STATUS. */
struct cache;
struct cache *cmd_model_cache(void);

enum cmd_ret cmd_ping(struct cmd_ctx *);
enum cmd_ret cmd_version(struct cmd_ctx *);
enum cmd_ret cmd_help(struct cmd_ctx *);
enum cmd_ret cmd_whoami(struct cmd_ctx *);
enum cmd_ret cmd_status(struct cmd_ctx *);
enum cmd_ret cmd_seed(struct cmd_ctx *);
enum cmd_ret cmd_reload(struct cmd_ctx *);
enum cmd_ret cmd_quit(struct cmd_ctx *);
enum cmd_ret cmd_list(struct cmd_ctx *);
enum cmd_ret cmd_show(struct cmd_ctx *);
enum cmd_ret cmd_activate(struct cmd_ctx *);
enum cmd_ret cmd_deactivate(struct cmd_ctx *);
enum cmd_ret cmd_default(struct cmd_ctx *);
enum cmd_ret cmd_delete(struct cmd_ctx *);
/* Issue 3: cmd_catalog.c, cmd_source.c, cmd_uptime.c, cmd_events.c. */
enum cmd_ret cmd_catalog(struct cmd_ctx *);
enum cmd_ret cmd_sync(struct cmd_ctx *);
enum cmd_ret cmd_refresh(struct cmd_ctx *);
enum cmd_ret cmd_uptime(struct cmd_ctx *);
enum cmd_ret cmd_events(struct cmd_ctx *);
enum cmd_ret cmd_watch(struct cmd_ctx *);
/* Issue 6: cmd_audit.c. */
enum cmd_ret cmd_audit(struct cmd_ctx *);
/* Issue 9: cmd_settings.c. */
enum cmd_ret cmd_set(struct cmd_ctx *);
enum cmd_ret cmd_unset(struct cmd_ctx *);
/* Issue 9: cmd_key.c. */
enum cmd_ret cmd_key(struct cmd_ctx *);
enum cmd_ret cmd_resolve(struct cmd_ctx *);	/* cmd_resolve.c */
enum cmd_ret cmd_release(struct cmd_ctx *);	/* cmd_release.c (issue 9) */
enum cmd_ret cmd_cap(struct cmd_ctx *);	/* cmd_caps.c (issue 10) */
/*
 * Issue 10: a model's (SHOW) or a key's (KEY SHOW, LIST) cap fields:
 * cap, cap_period, cap_spent, cap_remaining, cap_period_end (null
 * without a cap). cmd_cap_append adds them to the record that ends b.
 */
int	 cmd_cap_fields(struct buf *, const char *model, const char *key);
int	 cmd_cap_append(struct buf *, const char *model);
/* Issue 11: cmd_tags.c. */
enum cmd_ret cmd_tag(struct cmd_ctx *);
enum cmd_ret cmd_collection(struct cmd_ctx *);
enum cmd_ret cmd_batch(struct cmd_ctx *);
/* Issue 11 item 5: cmd_history.c. */
enum cmd_ret cmd_history(struct cmd_ctx *);
enum cmd_ret cmd_undo(struct cmd_ctx *);
/* Issue 10 item 1: cmd_usage.c. */
enum cmd_ret cmd_usage(struct cmd_ctx *);
enum cmd_ret cmd_spend(struct cmd_ctx *);
/* Issue 11 item 4: cmd_export.c. */
enum cmd_ret cmd_export(struct cmd_ctx *);
enum cmd_ret cmd_import(struct cmd_ctx *);
/* Does a request line that starts with these len bytes queue its reply (CMD_QUEUED: USAGE)? */
int	 cmd_queues(const char *line, size_t len);

/*
 * Paging (issue 8, cmd_page.c): read limit= (1 to CMD_PAGE_MAX) and
 * after= (a cursor for this sort and order; *afterp points into after,
 * or is NULL), or set a usage error and return -1. cmd_page_record
 * writes the record next=CURSOR that ends a page when more rows follow
 * (the stream's last record, reg_cursor_next_page): 0, or -1.
 */
#define CMD_PAGE_MAX	10000
struct page_cursor;
enum reg_sort;
int	 cmd_page_opts(struct cmd_ctx *, enum reg_sort, int desc, int *limit,
	    struct page_cursor *after, const struct page_cursor **afterp);
int	 cmd_page_record(struct buf *, const struct page_cursor *next);

/* The table, for HELP. */
extern const struct cmd cmd_table[];
extern const size_t cmd_count;

/* Write a model as one logfmt record (protocol.md "Model records"). */
struct model;
int	 cmd_model_record(struct buf *, const struct model *);
/* The protocol's comma lists: FEAT_* bits, and a stored JSON array of aliases. */
void	 cmd_features_list(unsigned bits, char *out, size_t outlen);
void	 cmd_aliases_list(const char *json, char *out, size_t outlen);
/* Issue 9 (cmd_settings.c): a model's param.NAME= (those set) and enforced= pairs. */
int	 cmd_settings_record(struct buf *, const struct model *);

#endif
