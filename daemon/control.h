/* control.h: the control socket: create or inherit it, accept, per-connection state, replies, close. */
#ifndef MODELREG_CONTROL_H
#define MODELREG_CONTROL_H

#include <sys/types.h>

#include "access.h"
#include "buf.h"

struct client;

/*
 * Take the socket systemd passed (sd_listen_fds: exactly one AF_UNIX
 * stream fd), or create one at path with mode. A socket node left over
 * by a dead daemon is unlinked; one that answers is left alone and
 * control_init fails. Returns 0, or -1 with err set.
 */
int	 control_init(const char *path, mode_t mode, char *err, size_t errlen);
int	 control_listen(void);		/* start accepting on md.base */
void	 control_shutdown(void);	/* close every client and the listener; unlink the socket we created */
int	 control_activated(void);	/* 1 if the socket came from systemd */
const char *control_path(void);
int	 control_clients(void);
size_t	 control_unread(void);		/* bytes of replies queued and not yet taken by the clients */
void	 control_reconfigure(void);	/* roles follow a reloaded [access] */

/* Peer identity of a client (from SO_PEERCRED at accept). */
uid_t	 client_uid(const struct client *);
gid_t	 client_gid(const struct client *);
const char *client_user(const struct client *);
enum role client_role(const struct client *);

/*
 * Replies. A command handler either replies at once (the dispatcher does
 * that for it) or defers: it keeps the client pointer and later calls
 * exactly one of client_reply_ok / client_reply_err, then the client
 * resumes reading its pipelined requests. records holds n logfmt lines;
 * the caller keeps ownership of the buf.
 */
void	 client_reply_ok(struct client *, int n, const struct buf *records);
void	 client_reply_err(struct client *, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Streams (WATCH). A handler that returns CMD_STREAM has "OK 0" sent and
 * the connection becomes a stream: no further request is read on it, and
 * each client_stream_send() writes one complete reply, "OK 1" and the
 * record. A watcher with more than 4 MiB unread is closed at once, inside
 * client_stream_send (its on_close runs before it returns: iterate
 * watchers with TAILQ_FOREACH_SAFE). The owner learns of every close
 * through client_on_close().
 */
void	 client_stream_send(struct client *, const struct buf *record);

/*
 * Issue 10 (USAGE's group commit): a handler that returns CMD_QUEUED
 * keeps its place in the client's replies and fills it later with
 * exactly one of these; meanwhile the client's next requests are read
 * only while their verb queues too (cmd_queues), at most 64 of them,
 * and replies of other requests wait behind the queued ones, so replies
 * keep the order of the requests. Places are filled in the order they
 * were queued.
 */
void	 client_reply_queued_ok(struct client *, int n, const struct buf *records);
void	 client_reply_queued_err(struct client *, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int	 client_queued(const struct client *);	/* places not filled yet */

/*
 * Issue 11: a deferred request answered with a streamed reply (a BATCH
 * run on the import worker): "OK n", then produce writes the n records
 * as the client reads, as a handler's CMD_PRODUCE (cmd.h); produce_free
 * runs once, when they are out or the client goes.
 */
void	 client_reply_produce(struct client *, int n,
	    int (*produce)(void *arg, struct buf *out, int max),
	    void (*produce_free)(void *arg), void *arg);

/*
 * Issue 11 item 4 (IMPORT): a handler that takes a body of n bytes after
 * its request line calls this and returns CMD_DEFERRED. "OK 0" is sent
 * at once (the client then sends exactly n bytes); the bytes are read as
 * they come, without holding the loop, under request_timeout from the
 * last of them. done(client, data, len, arg) runs once the body is whole
 * (data is valid during the call only; done then answers with exactly
 * one client_reply_*, now or later), or with data NULL when the client
 * goes first (answer nothing then). 0, or -1 (nothing sent).
 */
int	 client_read_body(struct client *, size_t n,
	    void (*done)(struct client *, const char *data, size_t len, void *),
	    void *arg);

/* Register a function called when the client goes away (to cancel its deferred work). */
void	 client_on_close(struct client *, void (*fn)(void *), void *arg);

#endif
