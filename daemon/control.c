/* control.c: the control socket: create or inherit it, accept, read request lines, write replies, close. */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "buf.h"
#include "cmd.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "resolve_pre.h"

#define CONTROL_BACKLOG		128
/* Input is read in bounded chunks: a flood without newlines cannot grow memory. */
#define CONTROL_READ_HIWAT	(64 * 1024)
/* Past this much unread reply data we stop reading the client's requests. */
#define CONTROL_WRITE_HIWAT	(4 * 1024 * 1024)
/*
 * Past [daemon] reply_budget of unread replies over all clients, the mark
 * drops to this: those with the largest backlogs stop being read first,
 * while one that reads its replies (a PING, an admin) is still served.
 */
#define CONTROL_WRITE_SQUEEZED	(64 * 1024)
/* Fires the write callback (and resumes reading) once output drains to this. */
#define CONTROL_WRITE_LOWAT	(32 * 1024)
/* One turn of a connection: this many requests, or this much reply, then the others' turn. */
#define CONTROL_TURN_REQUESTS	16
#define CONTROL_TURN_BYTES	(256 * 1024)
/* A streamed reply is produced while less than this is queued, this many records at a call. */
#define CONTROL_PRODUCE_HIWAT	(256 * 1024)
#define CONTROL_PRODUCE_BATCH	16
/*
 * One turn of a streamed reply while other streams are being produced:
 * this much, then the others' turn. Smaller than a turn of requests:
 * fifty clients that each start a LIST at once (and never read) cost
 * fifty such turns before a PING on another connection is read again,
 * a fraction of a millisecond each. A lone stream keeps the request
 * turn's 256 KiB, so a large reply is not cut into many loop passes.
 */
#define CONTROL_PRODUCE_TURN	(16 * 1024)
/* File descriptors kept beyond max_clients: the database, curl, logs, pipes. */
#define CONTROL_SPARE_FDS	64
/* After a timeout's ERR line, how long the peer has to take it before the close. */
#define CONTROL_LINGER		1

/* What a client's timer is counting. */
enum client_timer {
	TIMER_NONE,
	TIMER_REQUEST,		/* a request line has started and not ended */
	TIMER_IDLE,		/* nothing asked, nothing owed */
	TIMER_LINGER,		/* told why it goes; closing */
};

/*
 * Issue 10 (USAGE's group commit): a reply that waits behind a queued
 * one, so that replies leave in the order the requests came. ready 0 is
 * a queued request's place, filled by client_reply_queued_*.
 */
struct held {
	TAILQ_ENTRY(held)	 entry;
	int			 ready;
	size_t			 len;
	char			*data;
};
/* Requests of one client whose replies may be queued at once (USAGE). */
#define CONTROL_QUEUED_MAX	64

struct client {
	TAILQ_ENTRY(client)	 entry;
	int			 fd;
	struct bufferevent	*bev;
	struct event		*resume;	/* zero-delay event: go on reading after a deferred reply */
	struct event		*timer;		/* request_timeout, idle_timeout, linger */
	enum client_timer	 tmode;
	uint64_t		 drained;	/* bytes the peer has taken, ever */
	uint64_t		 drained_at;	/* ... when the idle timer was armed */
	/* A streamed reply (CMD_PRODUCE): records left and who makes them. */
	int64_t			 prod_left;
	int			(*produce)(void *, struct buf *, int);
	void			(*produce_free)(void *);
	void			*produce_arg;
	uid_t			 uid;
	gid_t			 gid;
	pid_t			 pid;
	char			 user[64];
	enum role		 role;
	int			 busy;		/* a deferred reply is outstanding */
	int			 discarding;	/* dropping the rest of an over-long line */
	int			 eof;		/* the peer closed its side */
	int			 closing;	/* close once the output has drained */
	int			 streaming;	/* WATCH: replies only, requests ignored */
	int			 active;	/* a request was read since the timer was armed */
	void			(*on_close)(void *);
	void			*on_close_arg;
	int			 mverb;		/* issue 10: a deferred reply's verb for /metrics, -1 none */
	/* Issue 10: queued replies (CMD_QUEUED) and the replies behind them. */
	TAILQ_HEAD(, held)	 held;
	int			 queued;	/* places not filled yet */
	int			 qwait;		/* reading stopped until they are */
	/* Issue 11 item 4: a request body being read (IMPORT), see control.h. */
	struct evbuffer		*body;
	size_t			 body_left;
	void			(*body_done)(struct client *, const char *,
				    size_t, void *);
	void			*body_arg;
};

static TAILQ_HEAD(, client) clients = TAILQ_HEAD_INITIALIZER(clients);
static int		 nclients;
static size_t		 unread;	/* bytes in every client's output buffer together */
static int		 listen_fd = -1;
static int		 activated;	/* fd from systemd: not ours to unlink */
static char		 sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct event	*ev_accept;
static struct event	*ev_accept_pause;

static void	 client_process(struct client *);
static void	 client_free(struct client *);
static void	 client_arm_timer(struct client *);
static void	 client_yield(struct client *);
static void	 client_produce_end(struct client *);
static int	 client_body(struct client *);

int
control_activated(void)
{
	return activated;
}

const char *
control_path(void)
{
	return sock_path;
}

int
control_clients(void)
{
	return nclients;
}

size_t
control_unread(void)
{
	return unread;
}

/* Keep the global count of unread replies as libevent adds to and drains each output buffer. */
static void
client_out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct client	*c = arg;

	unread += info->n_added;
	unread -= info->n_deleted < unread ? info->n_deleted : unread;
	c->drained += info->n_deleted;
}

/* How much unread reply this client may have before we stop reading its requests. */
static size_t
client_write_mark(void)
{
	if (unread > md.cfg->reply_budget)
		return CONTROL_WRITE_SQUEEZED;
	return CONTROL_WRITE_HIWAT;
}

/* Let the others have their turn: go on with this client from a zero timer, after the loop has polled. */
static void
client_yield(struct client *c)
{
	struct timeval	 tv = { 0, 0 };

	evtimer_add(c->resume, &tv);
}

uid_t
client_uid(const struct client *c)
{
	return c->uid;
}

gid_t
client_gid(const struct client *c)
{
	return c->gid;
}

const char *
client_user(const struct client *c)
{
	return c->user;
}

enum role
client_role(const struct client *c)
{
	return c->role;
}

void
client_on_close(struct client *c, void (*fn)(void *), void *arg)
{
	c->on_close = fn;
	c->on_close_arg = arg;
}

/*
 * Is something listening at path? Used before replacing a socket node:
 * a live daemon's socket must never be stolen. 1 when something answers,
 * 0 when nothing listens (ECONNREFUSED: the node is stale), -1 with errno
 * set when we cannot tell (EACCES, EPERM on another user's 0600 socket:
 * a daemon may well be listening behind it).
 */
static int
control_probe(const struct sockaddr_un *sun)
{
	int	 fd, rv, saved;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	do
		rv = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	while (rv == -1 && errno == EINTR);
	saved = errno;
	close(fd);
	if (rv == 0)
		return 1;
	/* A full backlog answers EAGAIN: someone is listening. */
	if (saved == EAGAIN)
		return 1;
	if (saved == ECONNREFUSED)
		return 0;
	errno = saved;
	return -1;
}

int
control_init(const char *path, mode_t mode, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 n, fd;

	n = sd_listen_fds(1);
	if (n < 0) {
		snprintf(err, errlen, "sd_listen_fds: %s", strerror(-n));
		return -1;
	}
	if (n > 1) {
		snprintf(err, errlen, "systemd passed %d sockets, expected one", n);
		return -1;
	}
	if (n == 1) {
		fd = SD_LISTEN_FDS_START;
		if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
			snprintf(err, errlen, "the socket systemd passed is not "
			    "a listening AF_UNIX stream socket");
			return -1;
		}
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
		    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
			snprintf(err, errlen, "fcntl: %s", strerror(errno));
			return -1;
		}
		/* Report the real path (for STATUS); systemd owns the node. */
		memset(&sun, 0, sizeof(sun));
		{
			socklen_t len = sizeof(sun);
			if (getsockname(fd, (struct sockaddr *)&sun, &len) == 0)
				snprintf(sock_path, sizeof(sock_path), "%s",
				    sun.sun_path);
		}
		listen_fd = fd;
		activated = 1;
		return 0;
	}

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long (%zu bytes, at most "
		    "%zu): %s", strlen(path), sizeof(sun.sun_path) - 1, path);
		return -1;
	}
	strcpy(sun.sun_path, path);

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket",
			    path);
			return -1;
		}
		switch (control_probe(&sun)) {
		case 1:
			snprintf(err, errlen, "another daemon answers on %s",
			    path);
			return -1;
		case -1:
			/* Only "nobody listens" makes a node stale. */
			snprintf(err, errlen, "cannot tell whether a daemon "
			    "listens on %s (%s): not replacing it", path,
			    strerror(errno));
			return -1;
		}
		/* Nothing answers: a stale node from a daemon that died. */
		if (unlink(path) == -1) {
			snprintf(err, errlen, "unlink stale socket %s: %s", path,
			    strerror(errno));
			return -1;
		}
		log_info("removed stale socket %s", path);
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	/* The node is created with the final mode: no window where it is wider. */
	old = umask(~mode & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "bind %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, mode) == -1) {
		/* sun_path, not path: GCC under -fsanitize cannot see path is not NULL here. */
		snprintf(err, errlen, "chmod %s: %s", sun.sun_path,
		    strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	if (listen(fd, CONTROL_BACKLOG) == -1) {
		snprintf(err, errlen, "listen %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	listen_fd = fd;
	activated = 0;
	return 0;
}

/* Write a short line straight to a socket we are about to close. */
static void
control_refuse(int fd, const char *line)
{
	ssize_t	 rv;

	rv = write(fd, line, strlen(line));
	(void)rv;
	close(fd);
}

static void
control_accept_resume(evutil_socket_t fd, short ev, void *arg)
{
	event_add(ev_accept, NULL);
}

/* Issue 10: keep a reply (ready) or a queued request's place (not) in order. 0 or -1. */
static int
client_hold(struct client *c, int ready, const char *head, size_t headlen,
    const struct buf *records)
{
	struct held	*h;
	size_t		 rlen = records != NULL ? records->len : 0;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	if (ready) {
		if ((h->data = malloc(headlen + rlen + 1)) == NULL) {
			free(h);
			return -1;
		}
		memcpy(h->data, head, headlen);
		if (rlen > 0)
			memcpy(h->data + headlen, records->data, rlen);
		h->len = headlen + rlen;
	}
	h->ready = ready;
	TAILQ_INSERT_TAIL(&c->held, h, entry);
	return 0;
}

static void
client_held_free(struct client *c)
{
	struct held	*h;

	while ((h = TAILQ_FIRST(&c->held)) != NULL) {
		TAILQ_REMOVE(&c->held, h, entry);
		free(h->data);
		free(h);
	}
	c->queued = 0;
}

static void
client_write_reply(struct client *c, const char *head, size_t headlen,
    const struct buf *records)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	/* Behind a queued reply: wait for it (issue 10). */
	if (!TAILQ_EMPTY(&c->held)) {
		if (client_hold(c, 1, head, headlen, records) == -1) {
			log_warnx("client uid %u: out of memory for a reply, "
			    "closing", (unsigned)c->uid);
			c->closing = 1;
		}
		return;
	}
	if (evbuffer_add(out, head, headlen) == -1 ||
	    (records != NULL && records->len > 0 &&
	    evbuffer_add(out, records->data, records->len) == -1)) {
		/* Out of memory for this client: close it, not the daemon. */
		log_warnx("client uid %u: out of memory for a reply, closing",
		    (unsigned)c->uid);
		c->closing = 1;
	}
}

void
client_reply_ok(struct client *c, int n, const struct buf *records)
{
	char	 head[32];
	int	 len;

	len = snprintf(head, sizeof(head), "OK %d\n", n);
	client_write_reply(c, head, (size_t)len, records);
	if (c->busy && c->mverb >= 0) {
		metrics_count_request(c->mverb, NULL);
		c->mverb = -1;
	}
	if (c->busy) {
		c->busy = 0;
		client_yield(c);
	}
}

/* "ERR code message\n" into line (PROTO_MAXLINE): a message may quote hostile input, so it stays one line. */
static void
client_err_line(char *line, const char *code, const char *fmt, va_list ap)
{
	size_t	 i;
	int	 len;

	len = snprintf(line, PROTO_MAXLINE, "ERR %s ", code);
	buf_vfit(line + len, PROTO_MAXLINE - (size_t)len - 1, fmt, ap);
	for (i = (size_t)len; line[i] != '\0'; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	strcat(line, "\n");
}

void
client_reply_err(struct client *c, const char *code, const char *fmt, ...)
{
	char	 line[PROTO_MAXLINE];
	va_list	 ap;

	va_start(ap, fmt);
	client_err_line(line, code, fmt, ap);
	va_end(ap);
	client_write_reply(c, line, strlen(line), NULL);
	if (c->busy && c->mverb >= 0) {
		metrics_count_request(c->mverb, code);
		c->mverb = -1;
	}
	if (c->busy) {
		c->busy = 0;
		client_yield(c);
	}
}

/*
 * Issue 10: fill the first queued place with its reply, then send every
 * reply that no longer waits; the last one lets a client that stopped
 * reading for them go on.
 */
static void
client_fill_queued(struct client *c, const char *data, size_t len,
    const struct buf *records)
{
	size_t		 rlen = records != NULL ? records->len : 0;
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	struct held	*h;
	char		*copy;

	TAILQ_FOREACH(h, &c->held, entry)
		if (!h->ready)
			break;
	if (h == NULL)
		return;		/* nothing was queued: a bug, but harmless */
	if ((copy = malloc(len + rlen + 1)) == NULL) {
		log_warnx("client uid %u: out of memory for a reply, closing",
		    (unsigned)c->uid);
		c->closing = 1;
		len = rlen = 0;
	} else {
		memcpy(copy, data, len);
		if (rlen > 0)
			memcpy(copy + len, records->data, rlen);
	}
	h->data = copy;
	h->len = len + rlen;
	h->ready = 1;
	c->queued--;
	while ((h = TAILQ_FIRST(&c->held)) != NULL && h->ready) {
		TAILQ_REMOVE(&c->held, h, entry);
		if (h->len > 0 && !c->closing &&
		    evbuffer_add(out, h->data, h->len) == -1) {
			log_warnx("client uid %u: out of memory for a reply, "
			    "closing", (unsigned)c->uid);
			c->closing = 1;
		}
		free(h->data);
		free(h);
	}
	if (c->queued == 0 && c->qwait) {
		c->qwait = 0;
		client_yield(c);
	} else if (c->queued == 0 && (c->eof || c->closing))
		client_yield(c);	/* client_process closes it once drained */
}

void
client_reply_queued_ok(struct client *c, int n, const struct buf *records)
{
	char		 head[32];
	int		 len;

	len = snprintf(head, sizeof(head), "OK %d\n", n);
	client_fill_queued(c, head, (size_t)len, records);
}

void
client_reply_queued_err(struct client *c, const char *code, const char *fmt, ...)
{
	char	 line[PROTO_MAXLINE];
	va_list	 ap;

	va_start(ap, fmt);
	client_err_line(line, code, fmt, ap);
	va_end(ap);
	client_fill_queued(c, line, strlen(line), NULL);
}

int
client_queued(const struct client *c)
{
	return c->queued;
}

void
client_stream_send(struct client *c, const struct buf *record)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	if (!c->streaming || c->closing)
		return;
	if (evbuffer_get_length(out) > CONTROL_WRITE_HIWAT) {
		/* A watcher that does not read loses its stream, not our memory. */
		log_warnx("client uid %u: watch backlog over %d bytes, closing",
		    (unsigned)c->uid, CONTROL_WRITE_HIWAT);
		client_free(c);
		return;
	}
	client_write_reply(c, "OK 1\n", 5, record);
}

/* Run one complete request line. */
/*
 * A request is 4 KiB and more (its store): a malloc and free of that size
 * per line went through glibc's bins, 3-4% of a RESOLVE at 300k a
 * second. One freed request is kept for the next line; a handler that
 * reaches this function again meanwhile still gets its own.
 */
static struct proto_req	*req_spare;

/* Under AddressSanitizer every request is freed, so a handler that kept one is caught. */
#if defined(__SANITIZE_ADDRESS__)
#define REQ_REUSE	0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define REQ_REUSE	0
#endif
#endif
#ifndef REQ_REUSE
#define REQ_REUSE	1
#endif

static void
req_put(struct proto_req *req)
{
	if (REQ_REUSE && req_spare == NULL)
		req_spare = req;
	else
		free(req);
}

/* A batch's requests (client_batch_fill), kept for the next batch likewise. */
static struct proto_req	*batch_reqs[RESOLVE_PRE_MAX];

static struct proto_req *
req_get_batch(int i)
{
	if (!REQ_REUSE)
		return malloc(sizeof(struct proto_req));
	if (batch_reqs[i] == NULL)
		batch_reqs[i] = malloc(sizeof(*batch_reqs[i]));
	return batch_reqs[i];
}

static void
req_free_batch(struct proto_req *req)
{
	if (!REQ_REUSE)
		free(req);
}

static struct proto_req *
req_get(void)
{
	struct proto_req	*req;

	if ((req = req_spare) != NULL)
		req_spare = NULL;
	else
		req = malloc(sizeof(*req));
	return req;
}

/* Run one tokenized request (pre: what its batch worked out, or NULL) and answer it. */
static void
client_run(struct client *c, const struct proto_req *req,
    const struct resolve_pre *pre)
{
	struct cmd_ctx		 ctx;
	struct buf		 out = { 0 };
	enum cmd_ret		 rv;
	int			 mverb;

	memset(&ctx, 0, sizeof(ctx));
	ctx.client = c;
	ctx.req = req;
	ctx.out = &out;
	ctx.pre = pre;
	rv = cmd_dispatch(c, req, &ctx);
	/* Issue 10: every answer counts for /metrics once, a deferred one when it is sent. */
	mverb = metrics_verb_at(ctx.verb);
	if (rv == CMD_DEFERRED)
		c->mverb = mverb;
	else
		metrics_count_request(mverb, rv == CMD_ERR ? ctx.code : NULL);
	switch (rv) {
	case CMD_OK:
	case CMD_CLOSE:
		client_reply_ok(c, ctx.n, &out);
		if (rv == CMD_CLOSE)
			c->closing = 1;
		break;
	case CMD_ERR:
		client_reply_err(c, ctx.code, "%s", ctx.msg);
		break;
	case CMD_DEFERRED:
		c->busy = 1;
		break;
	case CMD_QUEUED:
		/* Issue 10: its place in the replies; later USAGE lines go on. */
		if (client_hold(c, 0, NULL, 0, NULL) == -1) {
			log_warnx("client uid %u: out of memory for a reply, "
			    "closing", (unsigned)c->uid);
			c->closing = 1;
			break;
		}
		c->queued++;
		break;
	case CMD_STREAM:
		/* busy for good: no further request is read on a stream. */
		client_write_reply(c, "OK 0\n", 5, NULL);
		c->streaming = 1;
		c->busy = 1;
		break;
	case CMD_PRODUCE:
		client_reply_produce(c, ctx.n, ctx.produce, ctx.produce_free,
		    ctx.produce_arg);
		break;
	}
	buf_free(&out);
}

static void
client_request(struct client *c, const char *line, size_t len)
{
	struct proto_req	*req;
	const char		*err;

	if ((req = req_get()) == NULL) {
		client_reply_err(c, "internal", "out of memory");
		return;
	}
	if (proto_tokenize(line, len, req, &err) == -1) {
		metrics_count_request(metrics_verb(NULL), "usage");
		client_reply_err(c, "usage", "%s", err);
	} else if (req->argc > 0)
		client_run(c, req, NULL);
	/* Blank lines are ignored: handy for people typing. */
	req_put(req);
}

/*
 * Issue 9 item 7: a pipelined batch. When the input starts with several
 * complete RESOLVE lines, up to a turn's worth are tokenized together and
 * resolve_pre_batch makes them ready as one (each secret hashed, the
 * memory of every answer and session fetched at once: resolve_pre.c).
 * Then client_process runs them in order, one line at a time, with
 * every check it makes between two lines; a batch it stops keeps its
 * unrun lines in the input, read again later. Preparing is pure, so a
 * batch answers exactly what its lines would alone; only RESOLVE lines
 * join one, so nothing in a batch writes what a later line reads.
 */
struct client_batch {
	int			 n, next;
	size_t			 drain[RESOLVE_PRE_MAX];	/* the line and its LF */
	struct proto_req	*req[RESOLVE_PRE_MAX];
	struct resolve_pre	 pre[RESOLVE_PRE_MAX];
};
/* Lines are looked for in this much of the input, made contiguous. */
#define CONTROL_BATCH_BYTES	8192
/* Re-entered meanwhile (a handler that serves another client), no batch. */
static int	 batch_active;

static int
client_batch_word(const unsigned char *p, size_t len)
{
	return len > 8 && strncasecmp((const char *)p, "RESOLVE", 7) == 0 &&
	    (p[7] == ' ' || p[7] == '\t');
}

static void
client_batch_drop(struct client_batch *b)
{
	int	 i;

	if (b->n == 0)
		return;
	for (i = 0; i < b->n; i++) {
		resolve_pre_wipe(&b->pre[i]);
		req_free_batch(b->req[i]);
	}
	b->n = b->next = 0;
	batch_active = 0;
}

/* Fill b from in's complete RESOLVE lines: 1 when it holds two or more, else 0 (b empty). */
static int
client_batch_fill(struct client *c, struct evbuffer *in, struct client_batch *b,
    int max)
{
	const struct proto_req	*reqs[RESOLVE_PRE_MAX];
	const unsigned char	*p, *lf;
	unsigned char		 word[8];
	const char		*err;
	size_t			 avail, off = 0, len;
	int			 n = 0, i;

	if (batch_active || max < 2)
		return 0;
	/* Not a RESOLVE first: no batch, and nothing moved in the buffer. */
	if (evbuffer_copyout(in, word, sizeof(word)) != (ev_ssize_t)sizeof(word) ||
	    !client_batch_word(word, sizeof(word) + 1))	/* the line is longer */
		return 0;
	if (max > RESOLVE_PRE_MAX)
		max = RESOLVE_PRE_MAX;
	avail = evbuffer_get_length(in);
	if (avail > CONTROL_BATCH_BYTES)
		avail = CONTROL_BATCH_BYTES;
	if ((p = evbuffer_pullup(in, (ev_ssize_t)avail)) == NULL)
		return 0;
	/* The lines first: no tokenizing unless two or more will run together. */
	while (n < max && off < avail &&
	    (lf = memchr(p + off, '\n', avail - off)) != NULL) {
		len = (size_t)(lf - (p + off));
		/* What the line loop refuses or ignores, it answers itself. */
		if (len > PROTO_MAXLINE || !client_batch_word(p + off, len))
			break;
		b->drain[n++] = len + 1;
		off += len + 1;
	}
	if (n < 2)
		return 0;
	for (off = 0, i = 0; i < n; off += b->drain[i++]) {
		if ((b->req[i] = req_get_batch(i)) == NULL)
			break;
		if (proto_tokenize((const char *)p + off, b->drain[i] - 1,
		    b->req[i], &err) == -1) {
			req_free_batch(b->req[i]);
			break;
		}
		reqs[i] = b->req[i];
	}
	b->n = i;
	if (b->n < 2) {
		if (b->n == 1)
			req_free_batch(b->req[0]);
		b->n = 0;
		return 0;
	}
	resolve_pre_batch(c, reqs, b->pre, b->n);
	batch_active = 1;
	return 1;
}

/*
 * Issue 11 item 4: read n bytes of body after the request (IMPORT).
 * "OK 0" tells the client to send them; meanwhile the client is busy (no
 * line of it is read) and every other client is served, since only what
 * has arrived is moved, a turn at a time. done gets the whole body once
 * it is in (then answers the request like a deferred handler), or NULL
 * when the client goes first.
 */
int
client_read_body(struct client *c, size_t n,
    void (*done)(struct client *, const char *, size_t, void *), void *arg)
{
	if (n == 0 || c->body_done != NULL)
		return -1;
	if (c->body == NULL && (c->body = evbuffer_new()) == NULL)
		return -1;
	client_write_reply(c, "OK 0\n", 5, NULL);
	c->body_left = n;
	c->body_done = done;
	c->body_arg = arg;
	c->busy = 1;
	c->active = 1;
	/* Bytes of it may be in already, and no read event may come for them. */
	client_yield(c);
	return 0;
}

/* Move what has come of the body; once whole, hand it over: 1; 0 more to come; -1 close the client. */
static int
client_body(struct client *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	size_t		 n = evbuffer_get_length(in), len;
	void		(*done)(struct client *, const char *, size_t, void *);
	const char	*data;

	if (n > c->body_left)
		n = c->body_left;
	if (n > 0) {
		if (evbuffer_remove_buffer(in, c->body, n) != (int)n) {
			log_warnx("client uid %u: out of memory for a request "
			    "body, closing", (unsigned)c->uid);
			return -1;
		}
		c->body_left -= n;
		c->active = 1;
	}
	if (c->body_left > 0)
		return c->eof ? -1 : 0;	/* stopped half way: nothing to answer */
	done = c->body_done;
	c->body_done = NULL;
	len = evbuffer_get_length(c->body);
	if ((data = (const char *)evbuffer_pullup(c->body, -1)) == NULL) {
		evbuffer_drain(c->body, len);
		done(c, NULL, 0, c->body_arg);
		client_reply_err(c, "internal", "out of memory for the body");
		return 1;
	}
	done(c, data, len, c->body_arg);
	evbuffer_drain(c->body, len);
	return 1;
}

/* The streamed reply is complete, or the client goes: let its cursor go. */
static void
client_produce_end(struct client *c)
{
	if (c->produce_free != NULL)
		c->produce_free(c->produce_arg);
	c->produce = NULL;
	c->produce_free = NULL;
	c->produce_arg = NULL;
	if (c->busy && !c->streaming) {
		c->busy = 0;
		client_yield(c);
	}
}

void
client_reply_produce(struct client *c, int n,
    int (*produce)(void *, struct buf *, int), void (*produce_free)(void *),
    void *arg)
{
	client_reply_ok(c, n, NULL);
	/* As client_request's CMD_PRODUCE: busy until the last record is out. */
	c->prod_left = n;
	c->produce = produce;
	c->produce_free = produce_free;
	c->produce_arg = arg;
	c->busy = 1;
	if (c->prod_left == 0)
		client_produce_end(c);
	else
		client_yield(c);
}

/* Is another client's streamed reply being produced too? */
static int
client_streams_others(const struct client *c)
{
	const struct client	*o;

	TAILQ_FOREACH(o, &clients, entry)
		if (o != c && o->produce != NULL)
			return 1;
	return 0;
}

/*
 * Queue the next records of a streamed reply while the client's backlog
 * is small: at most CONTROL_PRODUCE_HIWAT queued (64 KiB past the reply
 * budget), and one turn's worth per call. The write callback (the backlog
 * drained to the low-water mark) or the zero timer brings us back. A
 * producer that fails, or ends short of the count its status line gave,
 * leaves a reply we cannot finish: the connection is closed, and the
 * client sees the end of the stream inside the reply.
 */
static void
client_produce(struct client *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	struct buf	 b = { 0 };
	struct timeval	 tv = { CONTROL_LINGER, 0 };
	size_t		 mark, maxturn, turn = 0;
	int		 k, max;

	mark = unread > md.cfg->reply_budget ? CONTROL_WRITE_SQUEEZED :
	    CONTROL_PRODUCE_HIWAT;
	maxturn = client_streams_others(c) ? CONTROL_PRODUCE_TURN :
	    CONTROL_TURN_BYTES;
	while (c->prod_left > 0 && evbuffer_get_length(out) < mark) {
		if (turn >= maxturn) {
			buf_free(&b);
			client_yield(c);
			return;
		}
		max = c->prod_left < CONTROL_PRODUCE_BATCH ? (int)c->prod_left :
		    CONTROL_PRODUCE_BATCH;
		b.len = 0;
		k = c->produce(c->produce_arg, &b, max);
		if (k <= 0 || k > max || evbuffer_add(out, b.data, b.len) == -1) {
			log_warnx("client uid %u: a streamed reply failed with "
			    "%lld records left, closing", (unsigned)c->uid,
			    (long long)c->prod_left);
			buf_free(&b);
			c->prod_left = 0;
			client_produce_end(c);
			c->busy = 0;
			c->closing = 1;
			bufferevent_disable(c->bev, EV_READ);
			/* Gone when what is queued is out, or soon: it will not read a broken reply. */
			c->tmode = TIMER_LINGER;
			evtimer_add(c->timer, &tv);
			return;
		}
		turn += b.len;
		c->prod_left -= k;
	}
	buf_free(&b);
	if (c->prod_left == 0)
		client_produce_end(c);
}

/* Is the client done: nothing more will come and nothing waits to be sent? */
static int
client_try_close(struct client *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	if (c->busy || c->queued > 0)
		return 0;
	if (c->eof && !c->closing) {
		/* The peer closed its side: answer what is complete, then go. */
		c->closing = 1;
	}
	if (c->closing && evbuffer_get_length(out) == 0) {
		client_free(c);
		return 1;
	}
	return 0;
}

/* Issue 10: does the line of pos bytes at the head of in queue its reply (cmd_queues)? */
static int
client_next_queues(struct evbuffer *in, size_t pos)
{
	unsigned char	*p;
	size_t		 n = pos < 16 ? pos : 16;

	if ((p = evbuffer_pullup(in, (ev_ssize_t)n)) == NULL)
		return 0;
	return cmd_queues((const char *)p, n);
}

/* A line of pos bytes before its LF: too long unless its content, less a final CR, fits. */
static int
control_line_too_long(struct evbuffer *in, size_t pos)
{
	unsigned char	*p;

	if (pos <= PROTO_MAXLINE)
		return 0;
	if (pos > PROTO_MAXLINE + 1)
		return 1;
	p = evbuffer_pullup(in, (ev_ssize_t)pos);
	return p == NULL || p[pos - 1] != '\r';
}

/*
 * Read and run the complete lines in the input buffer, in order, unless
 * a deferred reply is outstanding or the client's unread replies pile up.
 * One call is one turn: after CONTROL_TURN_REQUESTS requests or
 * CONTROL_TURN_BYTES of reply, the rest waits in the input buffer and a
 * zero timer brings us back once every other ready connection, timer
 * (the watchdog) and signal has been served.
 */
static void
client_process(struct client *c)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct evbuffer		*out = bufferevent_get_output(c->bev);
	struct evbuffer_ptr	 eol;
	struct client_batch	 b;
	size_t			 eol_len, inlen, out0;
	char			*line;
	int			 turn = 0;

	if (c->streaming) {
		/* Input on a stream is ignored, but read, so a close is seen. */
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (c->body_left > 0) {
		/* Issue 11 item 4: a body; its done answers like a handler. */
		switch (client_body(c)) {
		case -1:
			client_free(c);
			return;
		case 0:
			client_arm_timer(c);
			return;
		}
	}
	if (c->produce != NULL) {
		client_produce(c);
		if (c->produce != NULL || c->closing) {
			if (!client_try_close(c))
				client_arm_timer(c);
			return;
		}
	}
	out0 = evbuffer_get_length(out);
	b.n = b.next = 0;
	while (!c->busy && !c->closing) {
		if (evbuffer_get_length(out) > client_write_mark()) {
			/* Resumed from the write callback once drained. */
			client_batch_drop(&b);
			bufferevent_disable(c->bev, EV_READ);
			return;
		}
		inlen = evbuffer_get_length(in);
		if (inlen == 0)
			break;
		if (turn >= CONTROL_TURN_REQUESTS ||
		    evbuffer_get_length(out) > out0 + CONTROL_TURN_BYTES) {
			client_batch_drop(&b);
			client_yield(c);
			return;
		}
		if (b.next < b.n) {
			/* The batch's next line is the input's first. */
			evbuffer_drain(in, b.drain[b.next]);
			c->active = 1;
			turn++;
			client_run(c, b.req[b.next], &b.pre[b.next]);
			resolve_pre_wipe(&b.pre[b.next]);
			b.next++;
			continue;
		}
		client_batch_drop(&b);
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (c->discarding) {
			if (eol.pos == -1) {
				evbuffer_drain(in, inlen);
				break;
			}
			evbuffer_drain(in, (size_t)eol.pos + eol_len);
			c->discarding = 0;
			continue;
		}
		if (eol.pos == -1) {
			/* Room is left for a CR before the LF that has not come. */
			if (inlen <= PROTO_MAXLINE + 1)
				break;	/* a partial line: wait for the rest */
			client_reply_err(c, "toolong",
			    "request longer than %d bytes", PROTO_MAXLINE);
			/* Resynchronise at the next newline. */
			evbuffer_drain(in, inlen);
			c->discarding = 1;
			continue;
		}
		if (control_line_too_long(in, (size_t)eol.pos)) {
			client_reply_err(c, "toolong",
			    "request longer than %d bytes", PROTO_MAXLINE);
			evbuffer_drain(in, (size_t)eol.pos + eol_len);
			continue;
		}
		/*
		 * Issue 10: while replies are queued, only requests that
		 * queue theirs too (USAGE) are read, so that a later request
		 * sees what the queued ones committed; the rest wait.
		 */
		if (c->queued > 0 && (c->queued >= CONTROL_QUEUED_MAX ||
		    !client_next_queues(in, (size_t)eol.pos))) {
			c->qwait = 1;
			break;
		}
		/* More than this line in the input: perhaps a batch. */
		if (inlen > (size_t)eol.pos + eol_len &&
		    client_batch_fill(c, in, &b, CONTROL_TURN_REQUESTS - turn))
			continue;
		/* evbuffer_readln gives us the line; it is ours to free. */
		line = evbuffer_readln(in, &inlen, EVBUFFER_EOL_LF);
		if (line == NULL) {
			client_reply_err(c, "internal", "out of memory");
			c->closing = 1;
			break;
		}
		c->active = 1;
		turn++;
		client_request(c, line, inlen);
		free(line);
	}
	client_batch_drop(&b);
	if (c->eof && !c->busy && evbuffer_get_length(in) > 0 &&
	    evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF).pos == -1) {
		/* A half-written request at EOF is dropped unanswered. */
		evbuffer_drain(in, evbuffer_get_length(in));
	}
	if (!client_try_close(c))
		client_arm_timer(c);
}

/* Is a request line started and not finished (or an over-long one being dropped)? */
static int
client_partial_line(struct client *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);

	if (c->discarding)
		return 1;
	return evbuffer_get_length(in) > 0 &&
	    evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF).pos == -1;
}

/*
 * One timer per connection, set after every pass over its input: a
 * started line must end within request_timeout (a slow sender cannot hold
 * a slot by trickling bytes), and a connection that asks nothing for
 * idle_timeout goes. A stream (WATCH) and a client we owe a reply are
 * never timed out; nor is one whose requests wait because we stopped
 * reading them (the backlog is ours to drain, not its fault).
 */
static void
client_arm_timer(struct client *c)
{
	struct timeval	 tv = { 0, 0 };
	enum client_timer want;

	if (c->tmode == TIMER_LINGER)
		return;
	if (c->streaming)
		want = TIMER_NONE;
	else if (c->produce != NULL || c->closing)
		/*
		 * A streamed reply holds a snapshot, and a closing client its
		 * slot until its replies are out: a reader that stalls must go.
		 */
		want = md.cfg->idle_timeout > 0 ? TIMER_IDLE : TIMER_NONE;
	else if (c->body_left > 0)
		/* A body must keep coming: request_timeout from its last bytes. */
		want = TIMER_REQUEST;
	else if (c->busy || c->queued > 0)
		want = TIMER_NONE;
	else if (client_partial_line(c))
		want = TIMER_REQUEST;
	else if (md.cfg->idle_timeout > 0)
		want = TIMER_IDLE;
	else
		want = TIMER_NONE;
	/* A request read since restarts the count; otherwise it runs on. */
	if (want == c->tmode && !c->active)
		return;
	c->tmode = want;
	c->active = 0;
	if (want == TIMER_NONE) {
		evtimer_del(c->timer);
		return;
	}
	tv.tv_sec = want == TIMER_REQUEST ? md.cfg->request_timeout :
	    md.cfg->idle_timeout;
	c->drained_at = c->drained;
	evtimer_add(c->timer, &tv);
}

/* Say why on the connection, stop reading it, and close it once that is sent (or soon). */
static void
client_expire(struct client *c, const char *why, int secs)
{
	struct timeval	 tv = { CONTROL_LINGER, 0 };

	log_info("client uid %u (%s): %s %ds, closing", (unsigned)c->uid,
	    c->user, why, secs);
	client_reply_err(c, "timeout", "%s %ds, closing", why, secs);
	bufferevent_disable(c->bev, EV_READ);
	evbuffer_drain(bufferevent_get_input(c->bev),
	    evbuffer_get_length(bufferevent_get_input(c->bev)));
	c->discarding = 0;
	c->closing = 1;
	c->tmode = TIMER_LINGER;
	evtimer_add(c->timer, &tv);
}

static void
client_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct client	*c = arg;
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	size_t		 left = evbuffer_get_length(out);

	switch (c->tmode) {
	case TIMER_LINGER:
		/* It did not take the line in time: nothing more to say. */
		client_free(c);
		return;
	case TIMER_REQUEST:
		if (!(bufferevent_get_enabled(c->bev) & EV_READ)) {
			/* Paused by us: its line may be complete in the kernel. */
			c->tmode = TIMER_NONE;
			client_arm_timer(c);
			return;
		}
		client_expire(c, c->body_left > 0 ? "no more of the request "
		    "body within" : "request line not completed within",
		    md.cfg->request_timeout);
		return;
	case TIMER_IDLE:
		if (c->drained > c->drained_at &&
		    (left > 0 || c->produce != NULL)) {
			/* Still reading its replies: not idle. */
			c->active = 1;
			client_arm_timer(c);
			return;
		}
		if (c->produce != NULL || c->closing) {
			/* No line can go inside a reply, or after the last: just close. */
			log_info("client uid %u (%s): read nothing of its replies "
			    "for %ds, closing", (unsigned)c->uid, c->user,
			    md.cfg->idle_timeout);
			client_free(c);
			return;
		}
		client_expire(c, "idle for", md.cfg->idle_timeout);
		return;
	case TIMER_NONE:
		return;
	}
}

static void
client_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct client	*c = arg;

	client_process(c);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	client_process(arg);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;

	if (client_try_close(c))
		return;
	if (!c->eof && !(bufferevent_get_enabled(c->bev) & EV_READ))
		bufferevent_enable(c->bev, EV_READ);
	/* Replies drained below the mark: go on with queued requests. */
	client_process(c);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client	*c = arg;

	if ((what & BEV_EVENT_EOF) && c->streaming) {
		client_free(c);
		return;
	}
	if (what & BEV_EVENT_EOF) {
		c->eof = 1;
		bufferevent_disable(c->bev, EV_READ);
		client_process(c);
		return;
	}
	if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		/* A write to a gone peer: nothing left to say to it. */
		client_free(c);
	}
}

static void
client_free(struct client *c)
{
	if (c->body_done != NULL)
		c->body_done(c, NULL, 0, c->body_arg);	/* the body will not come */
	if (c->body != NULL)
		evbuffer_free(c->body);
	if (c->on_close != NULL) {
		c->on_close(c->on_close_arg);
		c->on_close = NULL;
	}
	if (c->produce_free != NULL)
		c->produce_free(c->produce_arg);
	client_held_free(c);
	TAILQ_REMOVE(&clients, c, entry);
	nclients--;
	/* What it never read is no longer ours to hold. */
	evbuffer_remove_cb(bufferevent_get_output(c->bev), client_out_cb, c);
	{
		size_t left = evbuffer_get_length(bufferevent_get_output(c->bev));
		unread -= left < unread ? left : unread;
	}
	event_free(c->resume);
	event_free(c->timer);
	bufferevent_free(c->bev);	/* closes the fd */
	log_debug("client uid %u closed", (unsigned)c->uid);
	free(c);
	/* A slot is free again: accept if we had paused for the limit. */
}

/*
 * May this peer have a slot? NULL if so, else the line that refuses it.
 * Root and the daemon's own uid are trusted (they can stop the daemon
 * anyway): no per-uid limit, and they and admins may take the last
 * reserved_clients slots, so a flood of viewers never locks them out.
 */
static const char *
control_slot_refusal(const struct client *nc)
{
	const struct config	*cfg = md.cfg;
	const struct client	*c;
	int			 trusted, privileged, same = 0;

	trusted = nc->uid == 0 || nc->uid == getuid();
	privileged = trusted || nc->role >= ROLE_ADMIN;
	if (nclients >= cfg->max_clients) {
		log_warnx("refused a connection from uid %u (%s): all %d "
		    "connections in use", (unsigned)nc->uid, nc->user,
		    cfg->max_clients);
		return "ERR busy too many connections\n";
	}
	if (!privileged &&
	    nclients >= cfg->max_clients - cfg->reserved_clients) {
		log_warnx("refused a connection from uid %u (%s): the last %d "
		    "of %d connections are kept for admins", (unsigned)nc->uid,
		    nc->user, cfg->reserved_clients, cfg->max_clients);
		return "ERR busy too many connections\n";
	}
	if (trusted)
		return NULL;
	TAILQ_FOREACH(c, &clients, entry)
		if (c->uid == nc->uid)
			same++;
	if (same >= cfg->max_clients_per_uid) {
		log_warnx("refused a connection from uid %u (%s): it has %d, "
		    "the most one user may have", (unsigned)nc->uid, nc->user,
		    same);
		return "ERR busy too many connections for this user\n";
	}
	return NULL;
}

/*
 * Every slot is a file descriptor: raise the soft RLIMIT_NOFILE to fit
 * max_clients and the daemon's own files, up to the hard limit. Below
 * that, accept backs off on EMFILE as before, and we say so once.
 */
static void
control_rlimit(void)
{
	struct rlimit	 rl;
	rlim_t		 want = (rlim_t)md.cfg->max_clients + CONTROL_SPARE_FDS;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warn("getrlimit RLIMIT_NOFILE");
		return;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= want)
		return;
	if (rl.rlim_cur == RLIM_INFINITY)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		log_warnx("max_clients is %d but the open-file limit is %llu: "
		    "raising it to the hard limit only (raise LimitNOFILE)",
		    md.cfg->max_clients, (unsigned long long)rl.rlim_max);
		want = rl.rlim_max;
	}
	if (want <= rl.rlim_cur)
		return;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("setrlimit RLIMIT_NOFILE to %llu",
		    (unsigned long long)want);
	else
		log_debug("open-file limit raised to %llu",
		    (unsigned long long)want);
}

static void
control_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct client	*c;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	struct timeval	 tv = { 1, 0 };
	const char	*busy;
	int		 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) ==
	    -1) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM) {
			/* Back off for a second instead of spinning. */
			log_warn("accept");
			event_del(ev_accept);
			evtimer_add(ev_accept_pause, &tv);
		} else if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("SO_PEERCRED");
		close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) != NULL)
		c->mverb = -1;
	if (c == NULL) {
		control_refuse(fd, "ERR internal out of memory\n");
		return;
	}
	TAILQ_INIT(&c->held);
	c->fd = fd;
	c->uid = cred.uid;
	c->gid = cred.gid;
	c->pid = cred.pid;
	c->role = access_role(md.cfg, c->uid, c->gid, c->user, sizeof(c->user));
	if (c->role == ROLE_NONE) {
		log_info("refused uid %u (%s): no role in [access]",
		    (unsigned)c->uid, c->user);
		control_refuse(fd, "ERR denied no role for this user in "
		    "[access]\n");
		free(c);
		return;
	}
	if ((busy = control_slot_refusal(c)) != NULL) {
		control_refuse(fd, busy);
		free(c);
		return;
	}
	c->bev = bufferevent_socket_new(md.base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->resume = event_new(md.base, -1, 0, client_resume_cb, c);
	c->timer = evtimer_new(md.base, client_timer_cb, c);
	if (c->bev == NULL || c->resume == NULL || c->timer == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c->resume != NULL)
			event_free(c->resume);
		if (c->timer != NULL)
			event_free(c->timer);
		free(c);
		return;
	}
	bufferevent_setcb(c->bev, client_read_cb, client_write_cb,
	    client_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONTROL_READ_HIWAT);
	bufferevent_setwatermark(c->bev, EV_WRITE, CONTROL_WRITE_LOWAT, 0);
	if (evbuffer_add_cb(bufferevent_get_output(c->bev), client_out_cb, c) ==
	    NULL) {
		bufferevent_free(c->bev);
		event_free(c->resume);
		event_free(c->timer);
		free(c);
		return;
	}
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&clients, c, entry);
	nclients++;
	log_debug("client uid %u (%s) pid %d connected as %s", (unsigned)c->uid,
	    c->user, (int)c->pid, access_role_name(c->role));
	client_arm_timer(c);
}

int
control_listen(void)
{
	ev_accept = event_new(md.base, listen_fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	ev_accept_pause = evtimer_new(md.base, control_accept_resume, NULL);
	if (ev_accept == NULL || ev_accept_pause == NULL)
		return -1;
	control_rlimit();
	return event_add(ev_accept, NULL);
}

/* The config changed: every connection's role follows the new [access]. */
void
control_reconfigure(void)
{
	struct client	*c;

	TAILQ_FOREACH(c, &clients, entry)
		c->role = access_role(md.cfg, c->uid, c->gid, c->user,
		    sizeof(c->user));
	/* A larger max_clients needs the descriptors; the timeouts apply from each client's next pass. */
	control_rlimit();
}

void
control_shutdown(void)
{
	struct client	*c;
	int		 i;

	while ((c = TAILQ_FIRST(&clients)) != NULL)
		client_free(c);
	if (ev_accept != NULL)
		event_free(ev_accept);
	if (ev_accept_pause != NULL)
		event_free(ev_accept_pause);
	ev_accept = ev_accept_pause = NULL;
	if (listen_fd != -1) {
		close(listen_fd);
		/* A node systemd made stays; one we made goes with us. */
		if (!activated && sock_path[0] != '\0')
			unlink(sock_path);
		listen_fd = -1;
	}
	/*
	 * bufferevent_free() leaves the freeing to a finalizer callback
	 * of the loop. The loop has ended, and event_base_free() was seen
	 * not to run the finalizers of connections that had requests
	 * pipelined and unread replies (AddressSanitizer: their buffers
	 * leaked at every stop): one pass of the loop runs them. Nothing
	 * else is left to fire: the sources stopped before us, and the
	 * listener is closed above.
	 */
	event_base_loop(md.base, EVLOOP_NONBLOCK);
	free(req_spare);
	req_spare = NULL;
	for (i = 0; i < RESOLVE_PRE_MAX; i++) {
		free(batch_reqs[i]);
		batch_reqs[i] = NULL;
	}
}
