/* fetch.h: HTTP(S) and file:// transfers driven by the libevent loop through curl's multi socket interface. */
#ifndef MODELREG_FETCH_H
#define MODELREG_FETCH_H

#include <stddef.h>

struct event_base;

struct fetch_req {
	const char	*url;		/* http://, https:// or file:// (other schemes refused) */
	const char	*bearer;	/* Authorization: Bearer <token>, NULL for none; never logged */
	long		 timeout_ms;	/* whole transfer; 0 = 30000 */
	long		 connect_timeout_ms;	/* 0 = 10000 */
	size_t		 max_bytes;	/* body cap; a larger body fails the transfer; 0 = 32 MiB */
	const char	*etag;		/* If-None-Match, NULL for none */
	const char	*last_modified;	/* If-Modified-Since (HTTP date text), NULL for none */
	const char	*post_body;	/* non-NULL: POST this body (post_len bytes) */
	size_t		 post_len;
	const char	*content_type;	/* for POST, default application/json */
	/*
	 * Non-NULL (issue 8): the body goes to an unlinked temporary file in
	 * this folder instead of memory (O_TMPFILE, else mkstemp and unlink),
	 * and a file:// URL is not copied at all: its own file is opened. The
	 * result then has the body as fd.
	 */
	const char	*spool_dir;
};

/*
 * The outcome, handed to the callback. The callback owns nothing in it:
 * everything is freed after it returns (copy what you keep). ok is 1 when
 * the transfer completed with a 2xx status (or file:// read fine) or a
 * 304 (not_modified = 1, body empty). Otherwise ok is 0 and err says why
 * in one line: "HTTP 500", "timed out after 30 s", "response larger than
 * N bytes", "connection refused", curl's message...
 */
struct fetch_result {
	int		 ok;
	int		 not_modified;
	long		 http_status;	/* 0 for file:// or when no response */
	const char	*body;		/* NUL-terminated; len bytes ("" when spooled) */
	size_t		 len;
	/*
	 * The body's file when spool_dir was set and ok (not a 304): len
	 * bytes, read with pread from offset 0; -1 otherwise. It is closed
	 * after the callback: dup() it to keep it.
	 */
	int		 fd;
	const char	*etag;		/* from the response, NULL if none */
	const char	*last_modified;
	char		 err[256];	/* URLs in it redacted (url_redact_text) */
};

typedef void (*fetch_cb)(const struct fetch_result *, void *arg);

/* Once at start-up, after event_base_new: curl_global_init and the multi handle. -1 on failure. */
int	 fetch_init(struct event_base *);
/* At exit: cancels every transfer (callbacks are not called) and frees all. */
void	 fetch_shutdown(void);

/*
 * Start a transfer; returns a handle, or NULL (and logs) when it cannot
 * even start. The callback is called exactly once, from the event loop,
 * never from within fetch_start. The request's strings are copied.
 */
struct fetch *fetch_start(const struct fetch_req *, fetch_cb, void *arg);
/* Abort a transfer whose callback has not run yet; the callback is not called. */
void	 fetch_cancel(struct fetch *);
/*
 * The URL as logs and STATUS may show it: url_redact() (userinfo and
 * query values as "***", control bytes as blanks), cut with "..." when
 * longer than dstlen - 1 bytes.
 */
void	 fetch_show_url(const char *url, char *dst, size_t dstlen);

/* Number of transfers in flight (for status and tests). */
int	 fetch_active(void);

#endif
