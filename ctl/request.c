/* request.c: modelregctl's requests: one request and its rendered reply, one per model pipelined, the events stream. */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "proto.h"
#include "ctl.h"

/*
 * Requests in flight at once when a command names several models: enough
 * to hide the round trips, few enough that neither side's buffers fill
 * while the other is not reading.
 */
#define PIPELINE_WINDOW	64

/* The socket of a stream being followed, for the signal handler. */
static volatile int	 follow_fd = -1;

/*
 * Append " word" (quoted) to the request; a request the daemon would
 * refuse as too long is a usage error here.
 */
void
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

void
req_end(struct buf *b)
{
	if (buf_putc(b, '\n') == -1) {
		ctl_warn("building the request");
		exit(CTL_EXIT_USAGE);
	}
}

/* Print an ERR reply; its exit code. */
int
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
int
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
struct record *
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

/* Append the command options given, as key=value words, in optdefs order. */
void
req_options(const struct ctl *ctl, const struct command *cmd, struct buf *req)
{
	size_t	 i;
	int	 done[O_COUNT] = { 0 };

	for (i = 0; i < noptdefs; i++) {
		const struct optdef *o = &optdefs[i];

		/* A row of another command's option (--limit of list and events) is not ours. */
		if (o->key == NULL || ctl->opt[o->id] == NULL || done[o->id] ||
		    (o->sets & cmd->opts) == 0)
			continue;
		done[o->id] = 1;
		req_word(req, o->key, ctl->opt[o->id], cmd, 0);
	}
}

/*
 * A command of one request: the verb, its operands and options; its
 * reply's records go to the command's renderer.
 */
int
run_single(struct ctl *ctl)
{
	return run_single_with(ctl, NULL, NULL);
}

int
run_single_with(struct ctl *ctl, const char *xkey, const char *xval)
{
	const struct command	*cmd = ctl->cmd;
	struct buf		 req = { 0 };
	struct record		*recs;
	struct reply		 r;
	int			 i, rv;

	if (buf_puts(&req, cmd->verb) == -1) {
		ctl_warn("building the request");
		return CTL_EXIT_USAGE;
	}
	for (i = 0; i < ctl->argc; i++)
		req_word(&req, NULL, ctl->argv[i], cmd, 0);
	req_options(ctl, cmd, &req);
	if (xkey != NULL)
		req_word(&req, xkey, xval, cmd, 0);
	req_end(&req);
	if ((rv = ctl_request(ctl, &req, &r)) == CTL_EXIT_OK) {
		if ((recs = records_parse(ctl, &r)) == NULL)
			rv = CTL_EXIT_CONN;
		else {
			rv = cmd->render(ctl, recs, r.n);
			for (i = 0; i < r.n; i++)
				record_free(&recs[i]);
			free(recs);
		}
	}
	reply_free(&r);
	/* The extra word may be a secret (resolve's key=): wipe it. */
	if (xkey != NULL && req.data != NULL)
		explicit_bzero(req.data, req.cap);
	buf_free(&req);
	return rv;
}

/*
 * list and catalog: the daemon's pages (limit=, after=) of at most
 * CTL_PAGE rows, requested one after the other until the reply carries
 * no next= record (or --limit rows were read), rendered as one list, so
 * the output is what one unpaged request gave.
 */
int
run_paged(struct ctl *ctl)
{
	const struct command	*cmd = ctl->cmd;
	struct buf		 req = { 0 };
	struct record		*recs, *all = NULL, *grown;
	struct reply		 r;
	const char		*next;
	char			*cursor = NULL, page[24];
	long			 want = 0, got = 0, n;
	int			 i, rows, rv = CTL_EXIT_OK;

	if (ctl->opt[O_LIMIT] != NULL)
		want = strtol(ctl->opt[O_LIMIT], NULL, 10);
	for (;;) {
		n = CTL_PAGE;
		if (want > 0 && want - got < n)
			n = want - got;
		snprintf(page, sizeof(page), "%ld", n);
		buf_reset(&req);
		if (buf_puts(&req, cmd->verb) == -1) {
			ctl_warn("building the request");
			rv = CTL_EXIT_USAGE;
			break;
		}
		req_options(ctl, cmd, &req);
		req_word(&req, "limit", page, cmd, 0);
		if (cursor != NULL)
			req_word(&req, "after", cursor, cmd, 0);
		req_end(&req);
		if ((rv = ctl_request(ctl, &req, &r)) != CTL_EXIT_OK) {
			reply_free(&r);
			break;
		}
		if ((recs = records_parse(ctl, &r)) == NULL) {
			reply_free(&r);
			rv = CTL_EXIT_CONN;
			break;
		}
		free(cursor);
		cursor = NULL;
		/* The last record may be the cursor of the next page. */
		rows = r.n;
		if (rows > 0 && (next = record_get(&recs[rows - 1], "next")) !=
		    NULL && recs[rows - 1].n == 1) {
			if ((cursor = strdup(next)) == NULL) {
				ctl_warn("reading the reply");
				rv = CTL_EXIT_CONN;
			}
			record_free(&recs[--rows]);
		}
		grown = rv == CTL_EXIT_OK ? reallocarray(all, (size_t)got +
		    (size_t)rows + 1, sizeof(*all)) : NULL;
		if (grown == NULL) {
			if (rv == CTL_EXIT_OK)
				ctl_warn("reading the reply");
			for (i = 0; i < rows; i++)
				record_free(&recs[i]);
			free(recs);
			reply_free(&r);
			rv = CTL_EXIT_CONN;
			break;
		}
		all = grown;
		/* The records move: their storage goes with them. */
		memcpy(all + got, recs, (size_t)rows * sizeof(*recs));
		got += rows;
		free(recs);
		reply_free(&r);
		if (cursor == NULL || (want > 0 && got >= want))
			break;
	}
	if (rv == CTL_EXIT_OK)
		rv = cmd->render(ctl, all != NULL ? all : &(struct record){ 0 },
		    (int)got);
	for (i = 0; i < got; i++)
		record_free(&all[i]);
	free(all);
	free(cursor);
	buf_free(&req);
	return rv;
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
int
run_follow(struct ctl *ctl)
{
	const struct command *cmd = ctl->cmd;
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

/*
 * Ask before a destructive command when a person is there to answer:
 * stdin a terminal and no --yes. Scripts (stdin not a terminal) are not
 * asked. 0 to go on, -1 when the answer is not yes.
 */
int
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
int
run_models(struct ctl *ctl)
{
	const struct command *cmd = ctl->cmd;
	int		 argc = ctl->argc;
	char		**argv = ctl->argv;
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
		req_options(ctl, cmd, &req);	/* issue 9: delete --force */
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


/*
 * unset: the names after MODEL in the protocol's spelling (top-p is
 * top_p, as --top-p sends it), checked by the daemon; then one request.
 */
int
run_unset(struct ctl *ctl)
{
	char	*p;
	int	 i;

	for (i = 1; i < ctl->argc; i++)
		for (p = ctl->argv[i]; *p != '\0'; p++)
			if (*p == '-')
				*p = '_';
	return run_single(ctl);
}
