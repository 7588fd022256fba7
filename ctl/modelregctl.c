/* modelregctl.c: modelregctl's main: the command table, argv into requests, replies into output. */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "proto.h"
#include "ctl.h"

#ifndef MODELREG_SOCKET
#define MODELREG_SOCKET	"/run/modelreg/modelregd.sock"
#endif
#ifndef MODELREG_VERSION
#define MODELREG_VERSION	"0.1.0"
#endif

/*
 * Requests in flight at once when a command names several models: enough
 * to hide the round trips, few enough that neither side's buffers fill
 * while the other is not reading.
 */
#define PIPELINE_WINDOW	64

#define CMD_MULTI	0x01	/* one request per model, pipelined */
#define CMD_CONFIRM	0x02	/* ask on a terminal unless --yes */
#define CMD_LISTOPTS	0x04	/* takes list's --status ... options */
#define CMD_CATOPTS	0x08	/* takes catalog's options */
#define CMD_UPTOPTS	0x10	/* takes uptime's --window */
#define CMD_EVOPTS	0x20	/* takes events' options */
#define CMD_REFOPTS	0x40	/* takes refresh's --force and --no-wait */
#define CMD_AUDOPTS	0x80	/* takes audit's options */

enum render { R_STATUS, R_MODELS, R_MODEL, R_DEFAULT, R_RECORD, R_PING,
    R_VERSION, R_CATALOG, R_UPTIME, R_EVENTS, R_REFRESH, R_AUDIT };

/* Command options; each appears at most once in a request, in this order. */
enum optid { O_STATUS, O_PROVIDER, O_SEARCH, O_ZDR, O_SYNCED, O_SORT,
    O_DESC, O_WINDOW, O_SINCE, O_KIND, O_MODEL, O_LIMIT, O_FORCE, O_NOWAIT,
    O_FOLLOW, O_ACTOR, O_COUNT };

struct ctl {
	const char	*socket;
	int		 json;
	int		 yes;
	const char	*opt[O_COUNT];	/* a command option's value, or NULL */
	const char	*optname[O_COUNT];	/* as given, for messages */
};

struct command;
typedef int (*cmd_fn)(struct ctl *, const struct command *, int, char **);

struct command {
	const char	*name;
	const char	*verb;		/* the protocol verb */
	int		 minargs;
	int		 maxargs;	/* -1: no limit */
	int		 flags;
	enum render	 render;
	const char	*args;		/* usage after the name */
	const char	*done;		/* an outcome's word: "activated" */
	const char	*summary;
	cmd_fn		 run;
};

static int	cmd_single(struct ctl *, const struct command *, int, char **);
static int	cmd_models(struct ctl *, const struct command *, int, char **);
static int	cmd_default(struct ctl *, const struct command *, int, char **);
static int	cmd_refresh(struct ctl *, const struct command *, int, char **);
static int	cmd_events(struct ctl *, const struct command *, int, char **);
static int	cmd_help(struct ctl *, const struct command *, int, char **);
static const struct command *command_find(const char *);
static void	usage_error(const struct command *, const char *, ...)
		    __attribute__((noreturn, format(printf, 2, 3)));

static const struct command commands[] = {
	{ "status", "STATUS", 0, 0, 0, R_STATUS, "", NULL,
	    "show the daemon, its sources and alert channels", cmd_single },
	{ "list", "LIST", 0, 0, CMD_LISTOPTS, R_MODELS,
	    "[--status S] [--provider P] [--search TEXT] [--kind K] [--sort KEY] "
	    "[--desc]", NULL, "list the models", cmd_single },
	{ "show", "SHOW", 1, 1, 0, R_MODEL, "MODEL", NULL,
	    "show one model", cmd_single },
	{ "activate", "ACTIVATE", 1, -1, CMD_MULTI, R_RECORD, "MODEL...",
	    "activated", "make models available", cmd_models },
	{ "deactivate", "DEACTIVATE", 1, -1, CMD_MULTI | CMD_CONFIRM, R_RECORD,
	    "MODEL...", "deactivated", "make models unavailable", cmd_models },
	{ "default", "DEFAULT", 0, 1, 0, R_DEFAULT, "[MODEL]", "set as default",
	    "show or set the default model", cmd_default },
	{ "delete", "DELETE", 1, -1, CMD_MULTI | CMD_CONFIRM, R_RECORD,
	    "MODEL...", "deleted", "remove models from the registry",
	    cmd_models },
	{ "catalog", "CATALOG", 0, 0, CMD_CATOPTS, R_CATALOG,
	    "[--search TEXT] [--provider P] [--zdr | --no-zdr] "
	    "[--synced | --unsynced] [--kind K] [--sort KEY] [--desc]",
	    NULL, "list the discovery catalog", cmd_single },
	{ "sync", "SYNC", 1, -1, CMD_MULTI, R_RECORD, "MODEL...", "synced",
	    "add catalog models to the registry", cmd_models },
	{ "refresh", "REFRESH", 1, 1, CMD_REFOPTS, R_REFRESH,
	    "catalog|zdr|uptime|all [--force] [--no-wait]", NULL,
	    "run a source now (admin)", cmd_refresh },
	{ "uptime", "UPTIME", 0, 1, CMD_UPTOPTS, R_UPTIME,
	    "[MODEL] [--window 1h|24h|7d|30d]", NULL,
	    "show the models' uptime history", cmd_single },
	{ "events", "EVENTS", 0, 0, CMD_EVOPTS, R_EVENTS,
	    "[--since DURATION] [--kind K] [--model M] [--limit N] [--follow]",
	    NULL, "show or follow the events", cmd_events },
	{ "audit", "AUDIT", 0, 0, CMD_AUDOPTS, R_AUDIT,
	    "[--model M] [--actor USER] [--since DURATION] [--limit N]",
	    NULL, "show the audit log: who changed what, newest last",
	    cmd_single },
	{ "seed", "SEED", 0, 0, 0, R_RECORD, "", NULL,
	    "run the seed rules now (admin)", cmd_single },
	{ "reload", "RELOAD", 0, 0, 0, R_RECORD, "", NULL,
	    "reload the daemon's configuration (admin)", cmd_single },
	{ "whoami", "WHOAMI", 0, 0, 0, R_RECORD, "", NULL,
	    "show who the daemon thinks you are", cmd_single },
	{ "ping", "PING", 0, 0, 0, R_PING, "", NULL,
	    "check that the daemon answers", cmd_single },
	{ "version", "VERSION", 0, 0, 0, R_VERSION, "", NULL,
	    "show the daemon's version", cmd_single },
	{ "help", NULL, 0, 1, 0, R_RECORD, "[COMMAND]", NULL,
	    "show a command's usage and options", cmd_help },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

/*
 * The command options: the request key each becomes (NULL: none), the
 * value it sends when it takes none, and the commands that accept it.
 */
static const struct optdef {
	const char	*name;
	enum optid	 id;
	const char	*key;
	const char	*fixed;		/* NULL: takes a value */
	int		 cmds;
} optdefs[] = {
	{ "status",	O_STATUS,	"status",	NULL,	CMD_LISTOPTS },
	{ "provider",	O_PROVIDER,	"provider",	NULL,
	    CMD_LISTOPTS | CMD_CATOPTS },
	{ "search",	O_SEARCH,	"search",	NULL,
	    CMD_LISTOPTS | CMD_CATOPTS },
	{ "sort",	O_SORT,		"sort",		NULL,
	    CMD_LISTOPTS | CMD_CATOPTS },
	{ "desc",	O_DESC,		"order",	"desc",
	    CMD_LISTOPTS | CMD_CATOPTS },
	{ "zdr",	O_ZDR,		"zdr",		"yes",	CMD_CATOPTS },
	{ "no-zdr",	O_ZDR,		"zdr",		"no",	CMD_CATOPTS },
	{ "synced",	O_SYNCED,	"synced",	"yes",	CMD_CATOPTS },
	{ "unsynced",	O_SYNCED,	"synced",	"no",	CMD_CATOPTS },
	{ "window",	O_WINDOW,	"window",	NULL,	CMD_UPTOPTS },
	{ "since",	O_SINCE,	"since",	NULL,
	    CMD_EVOPTS | CMD_AUDOPTS },
	/* An event's kind for events; a model's kind for list and catalog. */
	{ "kind",	O_KIND,		"kind",		NULL,
	    CMD_EVOPTS | CMD_LISTOPTS | CMD_CATOPTS },
	{ "model",	O_MODEL,	"model",	NULL,
	    CMD_EVOPTS | CMD_AUDOPTS },
	{ "limit",	O_LIMIT,	"limit",	NULL,
	    CMD_EVOPTS | CMD_AUDOPTS },
	{ "actor",	O_ACTOR,	"actor",	NULL,	CMD_AUDOPTS },
	{ "follow",	O_FOLLOW,	NULL,		"yes",	CMD_EVOPTS },
	{ "force",	O_FORCE,	"force",	"yes",	CMD_REFOPTS },
	{ "no-wait",	O_NOWAIT,	"wait",		"no",	CMD_REFOPTS },
};
#define NOPTDEFS	(sizeof(optdefs) / sizeof(optdefs[0]))

static const char *const list_statuses[] = { "active", "inactive", "all", NULL };
static const char *const list_sorts[] = { "name", "provider", "context",
    "price", "status", NULL };
static const char *const catalog_sorts[] = { "name", "provider", "context",
    "price", NULL };
static const char *const model_kinds[] = { "chat", "embedding", "moderation",
    "ocr", "image", "audio", "other", NULL };
static const char *const uptime_windows[] = { "1h", "24h", "7d", "30d", NULL };
static const char *const refresh_sources[] = { "catalog", "zdr", "uptime",
    "all", NULL };

/* The socket of a stream being followed, for the signal handler. */
static volatile int	 follow_fd = -1;

static void
ctl_vwarn(int errnum, const char *fmt, va_list ap)
{
	fflush(stdout);
	fputs("modelregctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (errnum != 0)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

void
ctl_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	ctl_vwarn(saved, fmt, ap);
	va_end(ap);
}

void
ctl_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	ctl_vwarn(0, fmt, ap);
	va_end(ap);
}

static void
usage_line(FILE *f, const struct command *cmd)
{
	if (cmd != NULL)
		fprintf(f, "usage: modelregctl [-jy] [-s socket] %s%s%s\n",
		    cmd->name, cmd->args[0] != '\0' ? " " : "", cmd->args);
	else
		fprintf(f, "usage: modelregctl [-jy] [-s socket] command [args]\n");
}

static void
usage_commands(FILE *f)
{
	size_t		 i;
	const char	*args, *opts;
	int		 len;

	fprintf(f, "commands:\n");
	for (i = 0; i < NCOMMANDS; i++) {
		/* Long option lists show as "[options]", after any operand. */
		args = commands[i].args;
		len = (int)strlen(args);
		if (len > 32) {
			opts = strstr(args, "[--");
			len = opts != NULL ? (int)(opts - args) : 0;
		}
		fprintf(f, "  %-10s %.*s%-*s %s\n", commands[i].name, len, args,
		    32 - len, (int)strlen(args) > 32 ? "[options]" : "",
		    commands[i].summary);
	}
}

static void
help(void)
{
	usage_line(stdout, NULL);
	printf("options:\n"
	    "  -s, --socket PATH  the daemon's socket (default $MODELREG_SOCKET,\n"
	    "                     else %s)\n"
	    "  -j, --json         print JSON\n"
	    "  -y, --yes          do not ask before deactivate and delete\n"
	    "  -h, --help         print this help\n"
	    "  -V, --version      print modelregctl's version\n", MODELREG_SOCKET);
	usage_commands(stdout);
	printf("Run 'modelregctl help COMMAND' (or 'modelregctl COMMAND --help') "
	    "for a command's\noptions.\n");
}

/* help COMMAND, COMMAND --help: its usage line, what it does, its options. */
static void
help_command(const struct command *cmd)
{
	const struct ctl_help	*h = help_find(cmd->name);

	usage_line(stdout, cmd);
	if (h != NULL && h->about != NULL)
		printf("\n%s", h->about);
	else
		printf("\n%c%s.\n", toupper((unsigned char)cmd->summary[0]),
		    cmd->summary + 1);
	if (h != NULL && h->options != NULL)
		printf("\noptions:\n%s", h->options);
	else if (cmd->flags != 0 && !(cmd->flags & (CMD_MULTI | CMD_CONFIRM)))
		printf("\noptions: see modelregctl(1)\n");
	printf("\nglobal options: -s SOCKET, -j (JSON), -y (do not ask), "
	    "-h (help)\n");
}

static int
cmd_help(struct ctl *ctl, const struct command *cmd, int argc, char **argv)
{
	const struct command	*c;

	(void)ctl;
	if (argc == 0) {
		help();
		return CTL_EXIT_OK;
	}
	if ((c = command_find(argv[0])) == NULL)
		usage_error(NULL, "help: unknown command: %s", argv[0]);
	help_command(c);
	return CTL_EXIT_OK;
}

static void __attribute__((noreturn, format(printf, 2, 3)))
usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	ctl_vwarn(0, fmt, ap);
	va_end(ap);
	usage_line(stderr, cmd);
	if (cmd == NULL)
		usage_commands(stderr);
	exit(CTL_EXIT_USAGE);
}

/* Severity of an exit code: denied > cannot reach > err > ok. */
static int
ctl_worse(int a, int b)
{
	static const int rank[] = { 0, 1, 0, 2, 3 };

	if (a < 0 || a > 4)
		return b;
	if (b < 0 || b > 4)
		return a;
	return rank[b] > rank[a] ? b : a;
}

static int
one_of(const char *v, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(v, *set) == 0)
			return 1;
	return 0;
}

static const struct command *
command_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/*
 * Append " word" (quoted) to the request; a request the daemon would
 * refuse as too long is a usage error here.
 */
static void
req_word(struct buf *b, const char *key, const char *word,
    const struct command *cmd, size_t start)
{
	if (buf_putc(b, ' ') == -1 ||
	    (key != NULL && buf_printf(b, "%s=", key) == -1) ||
	    proto_quote_word(b, word) == -1) {
		ctl_warn("building the request");
		exit(CTL_EXIT_USAGE);
	}
	if (b->len - start > PROTO_MAXLINE)
		usage_error(cmd, "request too long (more than %d bytes)",
		    PROTO_MAXLINE);
}

static void
req_end(struct buf *b)
{
	if (buf_putc(b, '\n') == -1) {
		ctl_warn("building the request");
		exit(CTL_EXIT_USAGE);
	}
}

/* Print an ERR reply; its exit code. */
static int
reply_error(const struct reply *r)
{
	struct buf	 m = { 0 };

	if (r->message != NULL && r->message[0] != '\0')
		out_sanitize(&m, r->message, strlen(r->message));
	else
		buf_printf(&m, "error: %s", r->code);
	ctl_warnx("%s", m.data != NULL ? m.data : r->code);
	buf_free(&m);
	return reply_is_denied(r) ? CTL_EXIT_DENIED : CTL_EXIT_ERR;
}

/* Connect, send one request, read its reply. An exit code. */
static int
ctl_request(struct ctl *ctl, const struct buf *req, struct reply *r)
{
	struct conn	 c;
	int		 rv = CTL_EXIT_CONN;

	memset(r, 0, sizeof(*r));
	if ((rv = client_connect(&c, ctl->socket)) < 0)
		return rv == -2 ? CTL_EXIT_DENIED : CTL_EXIT_CONN;
	rv = CTL_EXIT_CONN;
	if (client_send(&c, req->data, req->len) == 0 &&
	    client_read_reply(&c, r, 0) == 0)
		rv = r->ok ? CTL_EXIT_OK : reply_error(r);
	client_close(&c);
	return rv;
}

/* Parse every record line of a reply; NULL (and a message) on a malformed one. */
static struct record *
records_parse(const struct ctl *ctl, const struct reply *r)
{
	struct record	*recs;
	int		 i, j;

	if ((recs = calloc((size_t)r->n + 1, sizeof(*recs))) == NULL) {
		ctl_warn("reading the reply");
		return NULL;
	}
	for (i = 0; i < r->n; i++) {
		if (record_parse(&recs[i], r->lines[i], r->lens[i]) == -1) {
			ctl_warnx("%s: malformed record %d in the daemon's reply",
			    ctl->socket, i + 1);
			for (j = 0; j < i; j++)
				record_free(&recs[j]);
			free(recs);
			return NULL;
		}
	}
	return recs;
}

/*
 * REFRESH's exit code: 0 when every source's outcome is ok or started,
 * else 1 (failed, held, or an outcome we do not know).
 */
static int
refresh_status(const struct record *recs, int n)
{
	const char	*o;
	int		 i, rv = CTL_EXIT_OK;

	if (n == 0) {
		ctl_warnx("the daemon reported no outcome");
		return CTL_EXIT_CONN;
	}
	for (i = 0; i < n; i++) {
		o = record_get(&recs[i], "outcome");
		if (o == NULL || (strcmp(o, "ok") != 0 &&
		    strcmp(o, "started") != 0))
			rv = CTL_EXIT_ERR;
	}
	return rv;
}

static int
render(struct ctl *ctl, const struct command *cmd, const struct reply *r)
{
	struct record	*recs;
	int		 i, rv = CTL_EXIT_OK;

	if ((recs = records_parse(ctl, r)) == NULL)
		return CTL_EXIT_CONN;
	switch (cmd->render) {
	case R_STATUS:
		if (ctl->json)
			out_status_json(recs, r->n);
		else
			out_status_text(recs, r->n);
		break;
	case R_MODELS:
		if (ctl->json)
			out_models_json(recs, r->n);
		else
			out_models_text(recs, r->n);
		break;
	case R_MODEL:
	case R_DEFAULT:
		if (r->n == 0 && cmd->render == R_MODEL) {
			ctl_warnx("%s: malformed reply: no model record",
			    ctl->socket);
			rv = CTL_EXIT_CONN;
		} else if (ctl->json)
			out_model_json(r->n > 0 ? &recs[0] : NULL);
		else if (r->n > 0)
			out_model_text(&recs[0]);
		else
			printf("no default model\n");
		break;
	case R_CATALOG:
		if (ctl->json)
			out_catalog_json(recs, r->n);
		else
			out_catalog_text(recs, r->n);
		break;
	case R_UPTIME:
		if (ctl->json)
			out_uptime_json(recs, r->n);
		else
			out_uptime_text(recs, r->n);
		break;
	case R_EVENTS:
		if (ctl->json)
			out_events_json(recs, r->n);
		else
			out_events_text(recs, r->n);
		break;
	case R_AUDIT:
		if (ctl->json)
			out_audit_json(recs, r->n);
		else
			out_audit_text(recs, r->n);
		break;
	case R_REFRESH:
		if (ctl->json)
			out_refresh_json(recs, r->n);
		else
			out_refresh_text(recs, r->n);
		out_refresh_notes(recs, r->n);
		rv = refresh_status(recs, r->n);
		break;
	case R_RECORD:
	case R_PING:
	case R_VERSION:
		if (ctl->json)
			out_record_json(r->n > 0 ? &recs[0] : NULL);
		else if (cmd->render == R_PING)
			printf("pong\n");
		else if (r->n > 0)
			out_record_text(&recs[0], cmd->render == R_VERSION ?
			    "client" : NULL, MODELREG_VERSION);
		break;
	}
	for (i = 0; i < r->n; i++)
		record_free(&recs[i]);
	free(recs);
	return rv;
}

/* Append the command options given, as key=value words, in optdefs order. */
static void
req_options(const struct ctl *ctl, const struct command *cmd, struct buf *req)
{
	size_t	 i;
	int	 done[O_COUNT] = { 0 };

	for (i = 0; i < NOPTDEFS; i++) {
		const struct optdef *o = &optdefs[i];

		if (o->key == NULL || ctl->opt[o->id] == NULL || done[o->id])
			continue;
		done[o->id] = 1;
		req_word(req, o->key, ctl->opt[o->id], cmd, 0);
	}
}

/* A command of one request: verb, its words and options, then render the reply. */
static int
cmd_single(struct ctl *ctl, const struct command *cmd, int argc, char **argv)
{
	struct buf	 req = { 0 };
	struct reply	 r;
	int		 i, rv;

	if (buf_puts(&req, cmd->verb) == -1) {
		ctl_warn("building the request");
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < argc; i++)
		req_word(&req, NULL, argv[i], cmd, 0);
	req_options(ctl, cmd, &req);
	req_end(&req);
	if ((rv = ctl_request(ctl, &req, &r)) == CTL_EXIT_OK)
		rv = render(ctl, cmd, &r);
	reply_free(&r);
	buf_free(&req);
	return rv;
}

static int
cmd_refresh(struct ctl *ctl, const struct command *cmd, int argc, char **argv)
{
	if (argc != 1 || !one_of(argv[0], refresh_sources))
		usage_error(cmd, "bad source %s: catalog, zdr, uptime or all",
		    argc > 0 ? argv[0] : "");
	return cmd_single(ctl, cmd, argc, argv);
}

static void
follow_signal(int sig)
{
	int	 saved = errno;

	(void)sig;
	client_stop = 1;
	/* Wake a blocked read: it sees EOF, then client_stop. */
	if (follow_fd != -1)
		shutdown(follow_fd, SHUT_RDWR);
	errno = saved;
}

/*
 * events --follow: WATCH, then one "OK 1" reply per event until the
 * daemon closes the connection (exit 0), the connection breaks (3), or
 * SIGINT, SIGTERM or SIGHUP stop us (0, quietly). Each event is printed and
 * flushed as it arrives.
 */
static int
cmd_follow(struct ctl *ctl, const struct command *cmd)
{
	struct sigaction sa;
	struct buf	 req = { 0 };
	struct record	 rec;
	struct reply	 r;
	struct conn	 c;
	int		 rv = CTL_EXIT_OK, got, i;

	if (buf_puts(&req, "WATCH") == -1) {
		ctl_warn("building the request");
		return CTL_EXIT_USAGE;
	}
	if (ctl->opt[O_KIND] != NULL)
		req_word(&req, "kind", ctl->opt[O_KIND], cmd, 0);
	req_end(&req);
	if ((rv = client_connect(&c, ctl->socket)) < 0) {
		buf_free(&req);
		return rv == -2 ? CTL_EXIT_DENIED : CTL_EXIT_CONN;
	}
	rv = CTL_EXIT_OK;
	follow_fd = c.fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = follow_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a blocked read returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if (client_send(&c, req.data, req.len) == -1) {
		rv = CTL_EXIT_CONN;
		goto done;
	}
	got = client_read_reply(&c, &r, 0);
	if (got == -3)
		goto done;
	if (got < 0) {
		rv = CTL_EXIT_CONN;
		goto done;
	}
	if (!r.ok) {
		rv = reply_error(&r);
		reply_free(&r);
		goto done;
	}
	if (r.n != 0) {
		ctl_warnx("%s: malformed reply to WATCH: %d records",
		    ctl->socket, r.n);
		reply_free(&r);
		rv = CTL_EXIT_CONN;
		goto done;
	}
	reply_free(&r);
	for (;;) {
		got = client_read_reply(&c, &r, 1);
		if (got == -2 || got == -3)
			break;
		if (got == -1) {
			rv = CTL_EXIT_CONN;
			break;
		}
		if (!r.ok) {
			/* Not expected on a stream: show it and stop. */
			rv = reply_error(&r);
			reply_free(&r);
			break;
		}
		for (i = 0; i < r.n; i++) {
			if (record_parse(&rec, r.lines[i], r.lens[i]) == -1) {
				ctl_warnx("%s: malformed event record in the "
				    "daemon's stream", ctl->socket);
				rv = CTL_EXIT_CONN;
				break;
			}
			if (ctl->json)
				out_event_json(&rec);
			else
				out_event_text(&rec);
			record_free(&rec);
		}
		reply_free(&r);
		if (rv != CTL_EXIT_OK)
			break;
		if (ferror(stdout))
			break;
	}

done:
	follow_fd = -1;
	client_close(&c);
	buf_free(&req);
	return rv;
}

static int
cmd_events(struct ctl *ctl, const struct command *cmd, int argc, char **argv)
{
	if (ctl->opt[O_FOLLOW] == NULL)
		return cmd_single(ctl, cmd, argc, argv);
	if (ctl->opt[O_SINCE] != NULL || ctl->opt[O_MODEL] != NULL ||
	    ctl->opt[O_LIMIT] != NULL)
		usage_error(cmd, "--follow takes only --kind");
	return cmd_follow(ctl, cmd);
}

static int
cmd_default(struct ctl *ctl, const struct command *cmd, int argc, char **argv)
{
	if (argc == 0)
		return cmd_single(ctl, cmd, argc, argv);
	return cmd_models(ctl, cmd, argc, argv);
}

/*
 * Ask before a destructive command when a person is there to answer:
 * stdin a terminal and no --yes. Scripts (stdin not a terminal) are not
 * asked. 0 to go on, -1 when the answer is not yes.
 */
static int
ctl_confirm(const struct ctl *ctl, const struct command *cmd, int argc,
    char **argv)
{
	struct buf	 q = { 0 };
	char		 answer[64];
	size_t		 len;
	int		 i, c, shown = argc > 10 ? 8 : argc;

	if (!(cmd->flags & CMD_CONFIRM) || ctl->yes || !isatty(STDIN_FILENO))
		return 0;
	buf_putc(&q, cmd->name[0] - 'a' + 'A');
	buf_puts(&q, cmd->name + 1);
	if (argc == 1) {
		buf_putc(&q, ' ');
		out_sanitize(&q, argv[0], strlen(argv[0]));
	} else {
		buf_printf(&q, " %d models (", argc);
		for (i = 0; i < shown; i++) {
			if (i > 0)
				buf_puts(&q, ", ");
			out_sanitize(&q, argv[i], strlen(argv[i]));
		}
		if (shown < argc)
			buf_printf(&q, " and %d more", argc - shown);
		buf_putc(&q, ')');
	}
	buf_puts(&q, "? [y/N] ");
	fflush(stdout);
	fputs(q.data != NULL ? q.data : "Proceed? [y/N] ", stderr);
	fflush(stderr);
	buf_free(&q);

	if (fgets(answer, sizeof(answer), stdin) == NULL)
		return -1;
	len = strlen(answer);
	if (len > 0 && answer[len - 1] != '\n')
		while ((c = getchar()) != EOF && c != '\n')
			;
	answer[strcspn(answer, "\r\n")] = '\0';
	if (strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0)
		return 0;
	return -1;
}

/*
 * The message= and status= of an OK reply's first record, as owned
 * strings, or NULL. -1 when the record is malformed.
 */
static int
reply_ok_message(const struct reply *r, char **msg, char **status)
{
	struct record	 rec;
	const char	*m;

	*msg = NULL;
	*status = NULL;
	if (r->n < 1)
		return 0;
	if (record_parse(&rec, r->lines[0], r->lens[0]) == -1)
		return -1;
	if ((m = record_get(&rec, "message")) != NULL)
		*msg = strdup(m);
	if ((m = record_get(&rec, "status")) != NULL)
		*status = strdup(m);
	record_free(&rec);
	return 0;
}

/*
 * One request per model, pipelined: up to PIPELINE_WINDOW requests are
 * in flight, replies are read in order, each model's outcome is reported.
 * The exit code is the worst outcome.
 */
static int
cmd_models(struct ctl *ctl, const struct command *cmd, int argc, char **argv)
{
	struct buf	 req = { 0 };
	struct outcome	*o;
	struct reply	 r;
	struct conn	 c;
	size_t		*off;
	int		 i, j, sent = 0, rv = CTL_EXIT_OK, got, lost = 0;
	char		 deniedcode[16] = "";
	char		*deniedmsg = NULL;

	if ((o = calloc((size_t)argc, sizeof(*o))) == NULL ||
	    (off = calloc((size_t)argc + 1, sizeof(*off))) == NULL) {
		ctl_warn("building the requests");
		free(o);
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < argc; i++) {
		off[i] = req.len;
		if (buf_puts(&req, cmd->verb) == -1) {
			ctl_warn("building the requests");
			exit(CTL_EXIT_USAGE);
		}
		req_word(&req, NULL, argv[i], cmd, off[i]);
		req_end(&req);
		o[i].model = argv[i];
	}
	off[argc] = req.len;

	if (ctl_confirm(ctl, cmd, argc, argv) == -1) {
		ctl_warnx("aborted");
		rv = CTL_EXIT_ERR;
		goto done;
	}
	if ((got = client_connect(&c, ctl->socket)) < 0) {
		rv = got == -2 ? CTL_EXIT_DENIED : CTL_EXIT_CONN;
		goto done;
	}
	for (i = 0; i < argc; i++) {
		while (sent < argc && sent - i < PIPELINE_WINDOW) {
			if (client_send(&c, req.data + off[sent],
			    off[sent + 1] - off[sent]) == -1) {
				lost = 1;
				break;
			}
			sent++;
		}
		if (lost)
			break;
		got = client_read_reply(&c, &r, deniedmsg != NULL);
		if (got == -2) {
			/*
			 * Refused at connect: the daemon sent one "ERR denied"
			 * and closed. Every model shares that answer.
			 */
			for (j = i; j < argc; j++) {
				memcpy(o[j].code, deniedcode, sizeof(o[j].code));
				o[j].message = strdup(deniedmsg);
				if (!ctl->json)
					out_outcome_text(&o[j], cmd->done);
			}
			i = argc;
			break;
		}
		if (got < 0) {
			lost = 1;
			break;
		}
		free(deniedmsg);
		deniedmsg = NULL;
		if (r.ok) {
			/* Done, as the daemon says, even if its record is bad. */
			o[i].ok = 1;
			if (reply_ok_message(&r, &o[i].message,
			    &o[i].status) == -1) {
				ctl_warnx("%s: malformed record in the daemon's "
				    "reply", ctl->socket);
				rv = ctl_worse(rv, CTL_EXIT_CONN);
			}
		} else {
			snprintf(o[i].code, sizeof(o[i].code), "%s", r.code);
			o[i].message = strdup(r.message);
			rv = ctl_worse(rv, reply_is_denied(&r) ?
			    CTL_EXIT_DENIED : CTL_EXIT_ERR);
			if (reply_is_denied(&r) && i == 0) {
				memcpy(deniedcode, r.code, sizeof(deniedcode));
				deniedmsg = strdup(r.message);
			}
		}
		if (!ctl->json)
			out_outcome_text(&o[i], cmd->done);
		reply_free(&r);
	}
	if (lost) {
		rv = ctl_worse(rv, CTL_EXIT_CONN);
		for (j = i; j < argc; j++) {
			o[j].message = strdup("no reply: the connection was lost");
			if (!ctl->json)
				out_outcome_text(&o[j], cmd->done);
		}
	}
	client_close(&c);
	if (ctl->json)
		out_outcomes_json(o, argc);

done:
	for (i = 0; i < argc; i++) {
		free(o[i].message);
		free(o[i].status);
	}
	free(o);
	free(off);
	free(deniedmsg);
	buf_free(&req);
	return rv;
}

/* "90s", "15m", "1h", "7d": digits, then a unit. */
static int
valid_duration(const char *v)
{
	size_t	 n = strspn(v, "0123456789");

	return n > 0 && n <= 9 && v[n] != '\0' && strchr("smhd", v[n]) != NULL &&
	    v[n + 1] == '\0';
}

/* A positive count of at most max, in decimal. */
static int
valid_count(const char *v, long max)
{
	char	*end;
	long	 n;

	if (v[0] < '0' || v[0] > '9')
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno == 0 && *end == '\0' && n >= 1 && n <= max;
}

/* A command option (--status S, --zdr ...); 1 when it was one, 0 when not. */
static int
cmd_option(struct ctl *ctl, const struct command *cmd, const char *name,
    const char *value, int *used, char *next)
{
	const struct optdef	*o = NULL;
	size_t			 i;

	for (i = 0; i < NOPTDEFS; i++)
		if (strcmp(optdefs[i].name, name) == 0 &&
		    (optdefs[i].cmds & cmd->flags))
			o = &optdefs[i];
	if (o == NULL)
		return 0;
	if (o->fixed != NULL) {
		if (value != NULL)
			usage_error(cmd, "option --%s takes no value", name);
		if (ctl->opt[o->id] != NULL &&
		    strcmp(ctl->optname[o->id], o->name) != 0)
			usage_error(cmd, "options --%s and --%s exclude each "
			    "other", ctl->optname[o->id], o->name);
		ctl->opt[o->id] = o->fixed;
		ctl->optname[o->id] = o->name;
		return 1;
	}
	if (value == NULL) {
		if (next == NULL)
			usage_error(cmd, "option --%s needs a value", name);
		value = next;
		*used = 1;
	}
	switch (o->id) {
	case O_STATUS:
		if (!one_of(value, list_statuses))
			usage_error(cmd, "bad --status %s: active, inactive or "
			    "all", value);
		break;
	case O_SORT:
		if (cmd->flags & CMD_CATOPTS) {
			if (!one_of(value, catalog_sorts))
				usage_error(cmd, "bad --sort %s: name, provider, "
				    "context or price", value);
		} else if (!one_of(value, list_sorts))
			usage_error(cmd, "bad --sort %s: name, provider, "
			    "context, price or status", value);
		break;
	case O_KIND:
		if ((cmd->flags & (CMD_LISTOPTS | CMD_CATOPTS)) &&
		    !one_of(value, model_kinds))
			usage_error(cmd, "bad --kind %s: chat, embedding, "
			    "moderation, ocr, image, audio or other", value);
		if (value[0] == '\0')
			usage_error(cmd, "option --%s needs a value", name);
		break;
	case O_WINDOW:
		if (!one_of(value, uptime_windows))
			usage_error(cmd, "bad --window %s: 1h, 24h, 7d or 30d",
			    value);
		break;
	case O_SINCE:
		if (!valid_duration(value))
			usage_error(cmd, "bad --since %s: a number and s, m, h "
			    "or d (90s, 15m, 1h, 7d)", value);
		break;
	case O_LIMIT:
		if (!valid_count(value, 10000))
			usage_error(cmd, "bad --limit %s: 1 to 10000", value);
		break;
	case O_ACTOR:
		if (value[0] == '\0' || strlen(value) > 64)
			usage_error(cmd, "bad --actor: a user name of 1 to 64 "
			    "bytes");
		break;
	default:
		if (value[0] == '\0')
			usage_error(cmd, "option --%s needs a value", name);
		break;
	}
	ctl->opt[o->id] = value;
	ctl->optname[o->id] = o->name;
	return 1;
}

/*
 * The hidden __complete command, for the bash completion script
 * (ctl/modelregctl.bash), so that it offers what this table accepts: one
 * candidate a line on stdout, nothing on stderr, exit 0 even when the
 * daemon is down (no candidates then).
 *   __complete commands
 *   __complete options CMD          the options CMD takes
 *   __complete values CMD OPTION    exit 1 when OPTION takes no value
 *   __complete operands CMD         model ids, catalog ids, sources, commands
 */
static void
complete_ids(struct ctl *ctl, const char *line)
{
	struct buf	 req = { 0 };
	struct record	 rec;
	struct reply	 r;
	const char	*id, *p;
	int		 i;

	if (buf_puts(&req, line) == -1 || buf_putc(&req, '\n') == -1)
		return;
	if (ctl_request(ctl, &req, &r) == CTL_EXIT_OK) {
		for (i = 0; i < r.n; i++) {
			if (record_parse(&rec, r.lines[i], r.lens[i]) == -1)
				continue;
			/* An id the shell would split or that holds control bytes is not offered. */
			if ((id = record_get(&rec, "id")) != NULL) {
				for (p = id; *p != '\0' &&
				    (unsigned char)*p > 0x20 && *p != 0x7f; p++)
					;
				if (*p == '\0' && id[0] != '\0')
					printf("%s\n", id);
			}
			record_free(&rec);
		}
	}
	reply_free(&r);
	buf_free(&req);
}

static void
complete_set(const char *const *set)
{
	for (; *set != NULL; set++)
		printf("%s\n", *set);
}

static void
complete_alarm(int sig)
{
	(void)sig;
	_exit(CTL_EXIT_OK);
}

static int
complete_main(struct ctl *ctl, int argc, char **argv)
{
	const struct command	*cmd = NULL;
	const struct ctl_help	*h;
	const struct optdef	*o = NULL;
	size_t			 i;

	/* A completion must never print over the command line or hang the shell. */
	if (freopen("/dev/null", "w", stderr) == NULL)
		return CTL_EXIT_OK;
	signal(SIGALRM, complete_alarm);
	alarm(3);
	if (argc >= 2 && (cmd = command_find(argv[1])) == NULL)
		return CTL_EXIT_OK;
	if (argc == 1 && strcmp(argv[0], "commands") == 0) {
		for (i = 0; i < NCOMMANDS; i++)
			printf("%s\n", commands[i].name);
	} else if (argc == 2 && strcmp(argv[0], "options") == 0) {
		for (i = 0; i < NOPTDEFS; i++)
			if (optdefs[i].cmds & cmd->flags)
				printf("--%s\n", optdefs[i].name);
		printf("--json\n--socket\n--help\n");
		if (cmd->flags & CMD_CONFIRM)
			printf("--yes\n");
	} else if (argc == 3 && strcmp(argv[0], "values") == 0) {
		if (strcmp(argv[2], "socket") == 0 || strcmp(argv[2], "s") == 0)
			return CTL_EXIT_OK;
		for (i = 0; i < NOPTDEFS; i++)
			if (strcmp(optdefs[i].name, argv[2]) == 0 &&
			    (optdefs[i].cmds & cmd->flags))
				o = &optdefs[i];
		if (o == NULL || o->fixed != NULL)
			return CTL_EXIT_ERR;
		switch (o->id) {
		case O_STATUS:
			complete_set(list_statuses);
			break;
		case O_SORT:
			complete_set(cmd->flags & CMD_CATOPTS ? catalog_sorts :
			    list_sorts);
			break;
		case O_WINDOW:
			complete_set(uptime_windows);
			break;
		case O_MODEL:
			complete_ids(ctl, "LIST status=all");
			break;
		default:
			break;
		}
	} else if (argc == 2 && strcmp(argv[0], "operands") == 0) {
		if ((h = help_find(cmd->name)) == NULL || h->operand == NULL)
			return CTL_EXIT_OK;
		if (strcmp(h->operand, "model") == 0)
			complete_ids(ctl, "LIST status=all");
		else if (strcmp(h->operand, "catalog") == 0)
			complete_ids(ctl, "CATALOG synced=no");
		else if (strcmp(h->operand, "source") == 0)
			complete_set(refresh_sources);
		else if (strcmp(h->operand, "command") == 0)
			for (i = 0; i < NCOMMANDS; i++)
				printf("%s\n", commands[i].name);
	}
	return CTL_EXIT_OK;
}

int
main(int argc, char *argv[])
{
	struct ctl		 ctl;
	const struct command	*cmd = NULL;
	char			**words, *a, *eq, *next, name[32];
	const char		*value, *env;
	int			 nw = 0, i, used, dashdash = 0, rv;
	int			 wanthelp = 0, complete = 0;
	size_t			 k;

	/* Column widths of UTF-8 names; nothing else depends on the locale. */
	setlocale(LC_CTYPE, "C.UTF-8");

	memset(&ctl, 0, sizeof(ctl));
	if ((words = calloc((size_t)argc + 1, sizeof(*words))) == NULL) {
		ctl_warn("starting");
		return CTL_EXIT_USAGE;
	}
	/* Global options go anywhere; a command's options after its name. */
	for (i = 1; i < argc; i++) {
		a = argv[i];
		next = i + 1 < argc ? argv[i + 1] : NULL;
		used = 0;
		if (nw == 0 && strcmp(a, "__complete") == 0) {
			complete = i + 1;
			break;
		}
		if (dashdash || a[0] != '-' || a[1] == '\0') {
			words[nw++] = a;
			if (nw == 1 && (cmd = command_find(a)) == NULL)
				usage_error(NULL, "unknown command: %s", a);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			dashdash = 1;
			continue;
		}
		if (a[1] == '-') {
			value = NULL;
			if ((eq = strchr(a, '=')) != NULL) {
				value = eq + 1;
				if ((size_t)(eq - a - 2) >= sizeof(name))
					usage_error(cmd, "unknown option %s", a);
				memcpy(name, a + 2, (size_t)(eq - a - 2));
				name[eq - a - 2] = '\0';
			} else if (strlen(a + 2) >= sizeof(name))
				usage_error(cmd, "unknown option %s", a);
			else
				strcpy(name, a + 2);
			if (strcmp(name, "json") == 0 || strcmp(name, "yes") == 0 ||
			    strcmp(name, "help") == 0 ||
			    strcmp(name, "version") == 0) {
				if (value != NULL)
					usage_error(cmd, "option --%s takes no "
					    "value", name);
				if (name[0] == 'j')
					ctl.json = 1;
				else if (name[0] == 'y')
					ctl.yes = 1;
				else if (name[0] == 'h')
					wanthelp = 1;
				else
					goto version;
			} else if (strcmp(name, "socket") == 0) {
				if (value == NULL) {
					if (next == NULL)
						usage_error(cmd, "option --socket "
						    "needs a value");
					value = next;
					used = 1;
				}
				ctl.socket = value;
			} else if (cmd == NULL ||
			    !cmd_option(&ctl, cmd, name, value, &used, next))
				usage_error(cmd, "unknown option %s", a);
			i += used;
			continue;
		}
		for (k = 1; a[k] != '\0'; k++) {
			switch (a[k]) {
			case 'j':
				ctl.json = 1;
				break;
			case 'y':
				ctl.yes = 1;
				break;
			case 'h':
				wanthelp = 1;
				break;
			case 'V':
				goto version;
			case 's':
				if (a[k + 1] != '\0')
					ctl.socket = a + k + 1;
				else if (next != NULL) {
					ctl.socket = next;
					used = 1;
				} else
					usage_error(cmd, "option -s needs a value");
				k = strlen(a) - 1;
				break;
			default:
				usage_error(cmd, "unknown option -%c", a[k]);
			}
		}
		i += used;
	}
	if (complete) {
		if (ctl.socket == NULL) {
			env = getenv("MODELREG_SOCKET");
			ctl.socket = env != NULL && env[0] != '\0' ? env :
			    MODELREG_SOCKET;
		}
		free(words);
		return complete_main(&ctl, argc - complete, argv + complete);
	}
	/* -h anywhere: the command's help, or the whole help without one. */
	if (wanthelp && cmd != NULL) {
		free(words);
		help_command(cmd);
		return CTL_EXIT_OK;
	}
	if (wanthelp)
		goto help;
	if (cmd == NULL)
		usage_error(NULL, "no command given");
	if (nw - 1 < cmd->minargs ||
	    (cmd->maxargs >= 0 && nw - 1 > cmd->maxargs))
		usage_error(cmd, "%s: %s", cmd->name, nw - 1 < cmd->minargs ?
		    "too few arguments" : "too many arguments");
	if (ctl.socket == NULL) {
		env = getenv("MODELREG_SOCKET");
		ctl.socket = env != NULL && env[0] != '\0' ? env :
		    MODELREG_SOCKET;
	}
	if (ctl.socket[0] == '\0')
		usage_error(cmd, "empty socket path");

	rv = cmd->run(&ctl, cmd, nw - 1, words + 1);
	free(words);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		ctl_warn("writing the output");
		rv = ctl_worse(rv, CTL_EXIT_ERR);
	}
	return rv;

help:
	free(words);
	help();
	return CTL_EXIT_OK;
version:
	free(words);
	printf("modelregctl %s\n", MODELREG_VERSION);
	return CTL_EXIT_OK;
}
