/* fetch.c: HTTP(S) and file:// transfers driven by the libevent loop through curl's multi socket interface. */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "buf.h"
#include "fetch.h"
#include "log.h"
#include "url.h"

#ifndef MODELREG_VERSION
#define MODELREG_VERSION "unknown"
#endif

#define FETCH_TIMEOUT_MS	30000L
#define FETCH_CONNECT_MS	10000L
#define FETCH_MAX_BYTES		((size_t)32 * 1024 * 1024)
#define FETCH_MAX_REDIRS	5L
#define FETCH_MAX_HDRVAL	1024	/* ETag and Last-Modified longer than this are ignored */
#define FETCH_MAX_REQHDR	8192	/* bound on a request header value we are given */
#define FETCH_PATH_SHOWN	184	/* bytes of a file:// path quoted in an error */

/*
 * A transfer goes through three states: DEFER when it failed before curl
 * ever saw it (the error is reported from a zero timer, so that the
 * callback never runs inside fetch_start), MULTI while curl owns it, and
 * DONE once curl_multi_info_read reported it and it waits for its
 * callback. Every transfer is on the one list until its callback runs or
 * it is cancelled.
 */
enum fetch_state {
	FETCH_DEFER,
	FETCH_MULTI,
	FETCH_DONE,
};

struct fetch {
	TAILQ_ENTRY(fetch)	 entry;
	enum fetch_state	 state;
	CURL			*easy;
	struct curl_slist	*headers;	/* may hold the bearer token: wiped before free */
	struct event		*defer_ev;	/* DEFER: fires once to report err */
	fetch_cb		 cb;
	void			*arg;

	long			 timeout_ms;
	long			 connect_timeout_ms;
	size_t			 max_bytes;

	struct buf		 body;
	int			 spool_fd;	/* the body's file (spool_dir), or -1 */
	uint64_t		 spooled;	/* bytes in it */
	int			 spool_errno;	/* writing it failed */
	int			 too_big;	/* the write callback refused more */
	int			 oom;		/* memory ran out while storing */
	char			*etag;		/* from the last response's headers */
	char			*last_modified;

	CURLcode		 code;		/* DONE: curl's verdict */
	long			 http_status;
	char			 errbuf[CURL_ERROR_SIZE];
	char			 err[256];	/* DEFER: why */
};

/* One per socket curl asks us to watch; attached with curl_multi_assign. */
struct fetch_sock {
	LIST_ENTRY(fetch_sock)	 entry;
	struct event		*ev;
};

static struct event_base	*fetch_base;
static CURLM			*fetch_multi;
static struct event		*fetch_timer;
static TAILQ_HEAD(, fetch)	 fetch_list = TAILQ_HEAD_INITIALIZER(fetch_list);
static LIST_HEAD(, fetch_sock)	 fetch_socks = LIST_HEAD_INITIALIZER(fetch_socks);
static int			 fetch_nactive;
static int			 fetch_dispatching;

static void	 fetch_dispatch(void);

/* Copy src into dst as one printable line: control bytes become blanks, trailing blanks go. */
static void
fetch_oneline(char *dst, size_t dstlen, const char *src)
{
	size_t	 i;

	if (dstlen == 0)
		return;
	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[i] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
	}
	dst[i] = '\0';
	while (i > 0 && (dst[i - 1] == ' ' || dst[i - 1] == '.'))
		dst[--i] = '\0';
}

/* A value we put into a request header must not be able to start another header. */
static int
fetch_header_ok(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
		if (i >= FETCH_MAX_REQHDR)
			return 0;
	}
	return 1;
}

static void
fetch_free(struct fetch *f)
{
	struct curl_slist	*h;

	if (f->defer_ev != NULL)
		event_free(f->defer_ev);
	if (f->easy != NULL)
		curl_easy_cleanup(f->easy);
	/* The headers may hold the bearer token: do not leave it in freed memory. */
	for (h = f->headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(f->headers);
	buf_free(&f->body);
	if (f->spool_fd != -1)
		close(f->spool_fd);
	free(f->etag);
	free(f->last_modified);
	free(f);
}

/* Take f off the list and out of curl; it is then ours alone. */
static void
fetch_detach(struct fetch *f)
{
	TAILQ_REMOVE(&fetch_list, f, entry);
	fetch_nactive--;
	if (f->state == FETCH_MULTI && fetch_multi != NULL)
		curl_multi_remove_handle(fetch_multi, f->easy);
}

static size_t
fetch_write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct fetch	*f = arg;
	size_t		 n = size * nmemb, done;
	ssize_t		 w;

	if (n > f->max_bytes || (f->spool_fd != -1 ? f->spooled :
	    f->body.len) > f->max_bytes - n) {
		f->too_big = 1;
		return 0;	/* anything short of n aborts the transfer */
	}
	if (f->spool_fd != -1) {
		/* A write to the page cache: microseconds per chunk, no copy kept in memory. */
		for (done = 0; done < n; done += (size_t)w) {
			w = write(f->spool_fd, ptr + done, n - done);
			if (w == -1 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				f->spool_errno = w == -1 ? errno : EIO;
				return 0;
			}
		}
		f->spooled += n;
		return n;
	}
	if (buf_append(&f->body, ptr, n) == -1) {
		f->oom = 1;
		return 0;
	}
	return n;
}

/* Keep a copy of a header's value, trimmed; NULL when it is too long or holds control bytes. */
static char *
fetch_header_value(const char *v, size_t len)
{
	char	*s;
	size_t	 i;

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' ||
	    v[len - 1] == '\r' || v[len - 1] == '\n'))
		len--;
	if (len == 0 || len > FETCH_MAX_HDRVAL)
		return NULL;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] == 0x7f)
			return NULL;
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(s, v, len);
	s[len] = '\0';
	return s;
}

static size_t
fetch_header_cb(char *ptr, size_t size, size_t nitems, void *arg)
{
	struct fetch	*f = arg;
	size_t		 n = size * nitems;
	char		**slot = NULL;
	size_t		 namelen;

	/* A new status line starts a new response (after a redirect): forget the old one's. */
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		free(f->etag);
		free(f->last_modified);
		f->etag = f->last_modified = NULL;
		return n;
	}
	if (n > 5 && strncasecmp(ptr, "ETag:", 5) == 0) {
		slot = &f->etag;
		namelen = 5;
	} else if (n > 14 && strncasecmp(ptr, "Last-Modified:", 14) == 0) {
		slot = &f->last_modified;
		namelen = 14;
	}
	if (slot != NULL) {
		free(*slot);
		*slot = fetch_header_value(ptr + namelen, n - namelen);
	}
	return n;
}

/* The deferred failure of a transfer curl never ran. */
static void
fetch_defer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct fetch	*f = arg;

	f->state = FETCH_DONE;
	fetch_dispatch();
}

/*
 * Make f fail from the loop with this message (f is on the list, not in
 * curl); an empty message reports a spooled file:// body, read fine. -1
 * when not even a timer can be had.
 */
static int
fetch_fail_later(struct fetch *f, const char *why)
{
	static const struct timeval	 now = { 0, 0 };

	buf_fit(f->err, sizeof(f->err), "%s", why);
	f->state = FETCH_DEFER;
	if (f->easy != NULL) {
		curl_easy_cleanup(f->easy);
		f->easy = NULL;
	}
	if (f->defer_ev == NULL)
		f->defer_ev = evtimer_new(fetch_base, fetch_defer_cb, f);
	if (f->defer_ev == NULL || evtimer_add(f->defer_ev, &now) == -1)
		return -1;
	return 0;
}

/* "30 s", or "1500 ms" when it is not whole seconds. */
static void
fetch_fmt_ms(char *dst, size_t len, long ms)
{
	if (ms % 1000 == 0)
		snprintf(dst, len, "%ld s", ms / 1000);
	else
		snprintf(dst, len, "%ld ms", ms);
}

/* Turn curl's verdict on a finished transfer into the one-line error of the result. */
static void
fetch_explain(struct fetch *f, char *err, size_t errlen)
{
	char	 why[CURL_ERROR_SIZE], t[32];
	long	 oserr = 0, redirs = 0;

	fetch_oneline(why, sizeof(why), f->errbuf[0] != '\0' ? f->errbuf :
	    curl_easy_strerror(f->code));
	if (f->too_big || f->code == CURLE_FILESIZE_EXCEEDED) {
		buf_fit(err, errlen, "response larger than %zu bytes", f->max_bytes);
		return;
	}
	if (f->oom) {
		buf_fit(err, errlen, "out of memory storing the response");
		return;
	}
	if (f->spool_errno != 0) {
		buf_fit(err, errlen, "cannot store the response: %s",
		    strerror(f->spool_errno));
		return;
	}
	switch (f->code) {
	case CURLE_OPERATION_TIMEDOUT:
		if (strncmp(f->errbuf, "Connection timed out", 20) == 0 ||
		    strncmp(f->errbuf, "Resolving timed out", 19) == 0) {
			fetch_fmt_ms(t, sizeof(t), f->connect_timeout_ms);
			buf_fit(err, errlen, "connect timed out after %s", t);
		} else {
			fetch_fmt_ms(t, sizeof(t), f->timeout_ms);
			buf_fit(err, errlen, "timed out after %s", t);
		}
		return;
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(f->easy, CURLINFO_OS_ERRNO, &oserr);
		if (oserr == ECONNREFUSED) {
			buf_fit(err, errlen, "connection refused (%s)", why);
			return;
		}
		break;
	case CURLE_UNSUPPORTED_PROTOCOL:
		curl_easy_getinfo(f->easy, CURLINFO_REDIRECT_COUNT, &redirs);
		if (redirs > 0) {
			buf_fit(err, errlen, "redirect refused (%s)", why);
			return;
		}
		break;
	case CURLE_TOO_MANY_REDIRECTS:
		buf_fit(err, errlen, "more than %ld redirects", FETCH_MAX_REDIRS);
		return;
	default:
		break;
	}
	buf_fit(err, errlen, "%s", why);
}

/*
 * Call the callbacks of every DONE transfer, one at a time. A callback
 * may start or cancel transfers (even other DONE ones), so the list is
 * searched afresh after each.
 */
static void
fetch_dispatch(void)
{
	struct fetch		*f;
	struct fetch_result	 r;

	if (fetch_dispatching)
		return;		/* the outer call will get to it */
	fetch_dispatching = 1;
	for (;;) {
		TAILQ_FOREACH(f, &fetch_list, entry)
			if (f->state == FETCH_DONE)
				break;
		if (f == NULL)
			break;
		fetch_detach(f);

		memset(&r, 0, sizeof(r));
		r.http_status = f->http_status;
		r.body = "";
		r.fd = -1;
		if (f->err[0] != '\0')
			buf_fit(r.err, sizeof(r.err), "%s", f->err);
		else if (f->code != CURLE_OK)
			fetch_explain(f, r.err, sizeof(r.err));
		else if (f->http_status == 304) {
			r.ok = 1;
			r.not_modified = 1;
		} else if (f->http_status == 0 ||
		    (f->http_status >= 200 && f->http_status <= 299)) {
			r.ok = 1;
			if (f->spool_fd != -1) {
				r.fd = f->spool_fd;
				r.len = (size_t)f->spooled;
			} else if (f->body.data != NULL) {
				r.body = f->body.data;
				r.len = f->body.len;
			}
		} else
			snprintf(r.err, sizeof(r.err), "HTTP %ld", f->http_status);
		/* curl's text may quote a URL, with its query or userinfo. */
		if (r.err[0] != '\0') {
			char	 raw[sizeof(r.err)];

			memcpy(raw, r.err, sizeof(raw));
			url_redact_text(raw, r.err, sizeof(r.err));
		}
		r.etag = f->etag;
		r.last_modified = f->last_modified;
		f->cb(&r, f->arg);
		fetch_free(f);
	}
	fetch_dispatching = 0;
}

/* Collect what curl says is finished; then run the callbacks. */
static void
fetch_check_done(void)
{
	CURLMsg		*msg;
	struct fetch	*f;
	char		*priv;
	int		 left;

	while (fetch_multi != NULL &&
	    (msg = curl_multi_info_read(fetch_multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if ((f = (struct fetch *)priv) == NULL || f->state != FETCH_MULTI)
			continue;
		f->code = msg->data.result;
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->http_status);
		/* msg does not survive this. */
		curl_multi_remove_handle(fetch_multi, f->easy);
		f->state = FETCH_DONE;
	}
	fetch_dispatch();
}

/* libevent says a socket curl watches is ready. */
static void
fetch_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	int	 running, action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(fetch_multi, fd, action, &running);
	fetch_check_done();
}

/* curl's timeout expired. */
static void
fetch_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	int	 running;

	curl_multi_socket_action(fetch_multi, CURL_SOCKET_TIMEOUT, 0, &running);
	fetch_check_done();
}

/* CURLMOPT_TIMERFUNCTION: curl wants to be called after timeout_ms (-1: never). */
static int
fetch_multi_timer_cb(CURLM *m, long timeout_ms, void *arg)
{
	struct timeval	 tv;

	if (timeout_ms < 0) {
		evtimer_del(fetch_timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	/* Not socket_action from here: curl forbids it; a zero timer runs it from the loop. */
	return evtimer_add(fetch_timer, &tv) == -1 ? -1 : 0;
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what curl asks, or stop watching it. */
static int
fetch_multi_sock_cb(CURL *e, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct fetch_sock	*fs = sockp;
	short			 kind = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (fs != NULL) {
			LIST_REMOVE(fs, entry);
			event_free(fs->ev);
			free(fs);
			curl_multi_assign(fetch_multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (fs == NULL) {
		if ((fs = calloc(1, sizeof(*fs))) == NULL)
			return -1;
		LIST_INSERT_HEAD(&fetch_socks, fs, entry);
		curl_multi_assign(fetch_multi, s, fs);
	} else if (fs->ev != NULL) {
		event_free(fs->ev);
		fs->ev = NULL;
	}
	if ((fs->ev = event_new(fetch_base, s, kind, fetch_sock_cb, NULL)) == NULL ||
	    event_add(fs->ev, NULL) == -1) {
		log_warnx("fetch: cannot watch a socket");
		return -1;
	}
	return 0;
}

int
fetch_init(struct event_base *base)
{
	if (fetch_multi != NULL)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_warnx("fetch: curl_global_init failed");
		return -1;
	}
	fetch_base = base;
	if ((fetch_timer = evtimer_new(base, fetch_timer_cb, NULL)) == NULL)
		goto fail;
	if ((fetch_multi = curl_multi_init()) == NULL)
		goto fail;
	curl_multi_setopt(fetch_multi, CURLMOPT_SOCKETFUNCTION, fetch_multi_sock_cb);
	curl_multi_setopt(fetch_multi, CURLMOPT_TIMERFUNCTION, fetch_multi_timer_cb);
	return 0;
 fail:
	log_warnx("fetch: cannot set up the transfer engine");
	if (fetch_timer != NULL)
		event_free(fetch_timer);
	fetch_timer = NULL;
	fetch_base = NULL;
	curl_global_cleanup();
	return -1;
}

void
fetch_shutdown(void)
{
	struct fetch		*f;
	struct fetch_sock	*fs;

	if (fetch_multi == NULL)
		return;
	while ((f = TAILQ_FIRST(&fetch_list)) != NULL)
		fetch_cancel(f);
	curl_multi_cleanup(fetch_multi);
	fetch_multi = NULL;
	/* Sockets of cached connections curl did not report removed. */
	while ((fs = LIST_FIRST(&fetch_socks)) != NULL) {
		LIST_REMOVE(fs, entry);
		if (fs->ev != NULL)
			event_free(fs->ev);
		free(fs);
	}
	event_free(fetch_timer);
	fetch_timer = NULL;
	fetch_base = NULL;
	curl_global_cleanup();
}

/* The local path of a file:// URL (caller curl_frees it): 0, or -1 with err set. */
static int
fetch_file_path(const char *url, char **path, char *err, size_t errlen)
{
	CURLU		*u;
	char		*host = NULL;
	int		 rv = -1;

	*path = NULL;
	if ((u = curl_url()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, path, CURLU_URLDECODE) != CURLUE_OK) {
		snprintf(err, errlen, "malformed file URL");
		goto done;
	}
	/* As curl reads file:// itself: no host but this one. */
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    host[0] != '\0' && strcasecmp(host, "localhost") != 0) {
		snprintf(err, errlen, "malformed file URL");
		goto done;
	}
	rv = 0;
 done:
	if (rv == -1) {
		curl_free(*path);
		*path = NULL;
	}
	curl_free(host);
	curl_url_cleanup(u);
	return rv;
}

/*
 * A file:// URL must name a regular file: reading a FIFO or a device
 * would block the loop (curl reads files synchronously) or never end.
 * Returns 0, or -1 with err set.
 */
static int
fetch_check_file(const char *url, char *err, size_t errlen)
{
	char		*path = NULL, shown[FETCH_PATH_SHOWN];
	const char	*serr;
	struct stat	 st;
	int		 rv = -1;

	if (fetch_file_path(url, &path, err, errlen) == -1)
		return -1;
	/* The path is cut, never the cause after it. */
	if (stat(path, &st) == -1) {
		serr = strerror(errno);
		buf_fit(shown, sizeof(shown), "%s", path);
		buf_fit(err, errlen, "cannot open %s: %s", shown, serr);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_fit(shown, sizeof(shown), "%s", path);
		buf_fit(err, errlen, "%s is not a regular file", shown);
		goto done;
	}
	rv = 0;
 done:
	curl_free(path);
	return rv;
}

/*
 * A spooled file:// transfer (issue 8) is no transfer: the file is opened
 * here (O_NONBLOCK, so that a FIFO cannot block the loop; then it must be
 * a regular file) and handed over as the body, without a copy. 0 with
 * f->spool_fd and f->spooled set, or -1 with err set.
 */
static int
fetch_open_file(struct fetch *f, const char *url, char *err, size_t errlen)
{
	char		*path = NULL, shown[FETCH_PATH_SHOWN];
	const char	*serr;
	struct stat	 st;
	int		 fd = -1, rv = -1;

	if (fetch_file_path(url, &path, err, errlen) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) ==
	    -1 || fstat(fd, &st) == -1) {
		serr = strerror(errno);
		buf_fit(shown, sizeof(shown), "%s", path);
		buf_fit(err, errlen, "cannot open %s: %s", shown, serr);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		buf_fit(shown, sizeof(shown), "%s", path);
		buf_fit(err, errlen, "%s is not a regular file", shown);
		goto done;
	}
	if ((uint64_t)st.st_size > f->max_bytes) {
		buf_fit(err, errlen, "response larger than %zu bytes",
		    f->max_bytes);
		goto done;
	}
	f->spool_fd = fd;
	f->spooled = (uint64_t)st.st_size;
	fd = -1;
	rv = 0;
 done:
	if (fd != -1)
		close(fd);
	curl_free(path);
	return rv;
}

/*
 * An unlinked temporary file in dir for the body: O_TMPFILE where the
 * kernel and the file system have it, else mkstemp and unlink at once.
 * Nothing is left behind, whatever happens to the daemon. 0, or -1 with
 * err set.
 */
static int
fetch_spool_open(struct fetch *f, const char *dir, char *err, size_t errlen)
{
	char	 path[4096], shown[FETCH_PATH_SHOWN];
	int	 fd, e;

#ifdef O_TMPFILE
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1) {
		f->spool_fd = fd;
		return 0;
	}
#endif
	if ((size_t)snprintf(path, sizeof(path), "%s/.modelregd-body.XXXXXX",
	    dir) >= sizeof(path)) {
		e = ENAMETOOLONG;
		goto fail;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1) {
		e = errno;
		goto fail;
	}
	(void)unlink(path);
	f->spool_fd = fd;
	return 0;
 fail:
	buf_fit(shown, sizeof(shown), "%s", dir);
	buf_fit(err, errlen, "cannot create a temporary file in %s: %s", shown,
	    strerror(e));
	return -1;
}

/*
 * Append "name value" (name with its colon) to f's request headers; -1
 * when memory runs out. Our copy is wiped: it may be the bearer token.
 */
static int
fetch_add_header(struct fetch *f, const char *name, const char *value)
{
	struct buf		 b = { NULL, 0, 0 };
	struct curl_slist	*l;
	int			 rv = -1;

	if (buf_printf(&b, "%s %s", name, value) == -1)
		return -1;
	if ((l = curl_slist_append(f->headers, b.data)) != NULL) {
		f->headers = l;
		rv = 0;
	}
	explicit_bzero(b.data, b.len);
	buf_free(&b);
	return rv;
}

/* Set up f's easy handle for req. -1 with err set on failure. */
static int
fetch_setup(struct fetch *f, const struct fetch_req *req, char *err, size_t errlen)
{
	CURL		*e = f->easy;
	CURLcode	 rc, bad = CURLE_OK;

#define SET(opt, val) do {						\
	if ((rc = curl_easy_setopt(e, opt, val)) != CURLE_OK && bad == CURLE_OK) \
		bad = rc;						\
} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PRIVATE, f);
	SET(CURLOPT_ERRORBUFFER, f->errbuf);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_VERBOSE, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500	/* 7.85.0 */
	SET(CURLOPT_PROTOCOLS_STR, "http,https,file");
	/* A web server must never be able to make us read a local file. */
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
	SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, FETCH_MAX_REDIRS);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	SET(CURLOPT_USERAGENT, "modelregd/" MODELREG_VERSION);
	SET(CURLOPT_TIMEOUT_MS, f->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, f->connect_timeout_ms);
	/* Refuses early a body whose Content-Length already says too much. */
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_bytes);
	SET(CURLOPT_WRITEFUNCTION, fetch_write_cb);
	SET(CURLOPT_WRITEDATA, f);
	SET(CURLOPT_HEADERFUNCTION, fetch_header_cb);
	SET(CURLOPT_HEADERDATA, f);
	if (req->post_body != NULL) {
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->post_len);
		SET(CURLOPT_COPYPOSTFIELDS, req->post_body);
	}
#undef SET
	if (bad != CURLE_OK) {
		snprintf(err, errlen, "cannot set up the transfer: %s",
		    curl_easy_strerror(bad));
		return -1;
	}
	if (req->bearer != NULL) {
		if (req->bearer[0] == '\0' || !fetch_header_ok(req->bearer)) {
			snprintf(err, errlen, "invalid bearer token");
			return -1;
		}
		if (fetch_add_header(f, "Authorization: Bearer", req->bearer) == -1)
			goto oom;
	}
	if (req->etag != NULL) {
		if (!fetch_header_ok(req->etag)) {
			snprintf(err, errlen, "invalid ETag");
			return -1;
		}
		if (fetch_add_header(f, "If-None-Match:", req->etag) == -1)
			goto oom;
	}
	if (req->last_modified != NULL) {
		if (!fetch_header_ok(req->last_modified)) {
			snprintf(err, errlen, "invalid Last-Modified");
			return -1;
		}
		if (fetch_add_header(f, "If-Modified-Since:", req->last_modified) == -1)
			goto oom;
	}
	if (req->post_body != NULL) {
		const char *ct = req->content_type ? req->content_type : "application/json";

		if (!fetch_header_ok(ct)) {
			snprintf(err, errlen, "invalid Content-Type");
			return -1;
		}
		if (fetch_add_header(f, "Content-Type:", ct) == -1)
			goto oom;
		/* No 100-continue round trip that would cost a second with some servers. */
		if (fetch_add_header(f, "Expect:", "") == -1)
			goto oom;
	}
	if (f->headers != NULL &&
	    curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers) != CURLE_OK)
		goto oom;
	return 0;
 oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

struct fetch *
fetch_start(const struct fetch_req *req, fetch_cb cb, void *arg)
{
	struct fetch	*f;
	char		 err[256];
	CURLMcode	 mc;

	if (fetch_multi == NULL) {
		log_warnx("fetch: not initialised");
		return NULL;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		log_warn("fetch");
		return NULL;
	}
	f->cb = cb;
	f->arg = arg;
	f->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : FETCH_TIMEOUT_MS;
	f->connect_timeout_ms = req->connect_timeout_ms > 0 ?
	    req->connect_timeout_ms : FETCH_CONNECT_MS;
	f->max_bytes = req->max_bytes > 0 ? req->max_bytes : FETCH_MAX_BYTES;
	f->spool_fd = -1;
	f->state = FETCH_DEFER;
	TAILQ_INSERT_TAIL(&fetch_list, f, entry);
	fetch_nactive++;

	/* From here on a failure is reported through the callback, from the loop. */
	if (req->url == NULL || (strncasecmp(req->url, "http://", 7) != 0 &&
	    strncasecmp(req->url, "https://", 8) != 0 &&
	    strncasecmp(req->url, "file://", 7) != 0)) {
		snprintf(err, sizeof(err),
		    "unsupported URL (http://, https:// or file:// only)");
		goto later;
	}
	if (strncasecmp(req->url, "file://", 7) == 0 && req->spool_dir != NULL) {
		/* No error: reported from the loop as a body read fine. */
		if (fetch_open_file(f, req->url, err, sizeof(err)) == 0)
			err[0] = '\0';
		goto later;
	}
	if (strncasecmp(req->url, "file://", 7) == 0 &&
	    fetch_check_file(req->url, err, sizeof(err)) == -1)
		goto later;
	if (req->spool_dir != NULL &&
	    fetch_spool_open(f, req->spool_dir, err, sizeof(err)) == -1)
		goto later;
	if ((f->easy = curl_easy_init()) == NULL) {
		snprintf(err, sizeof(err), "cannot create a transfer");
		goto later;
	}
	if (fetch_setup(f, req, err, sizeof(err)) == -1)
		goto later;
	if ((mc = curl_multi_add_handle(fetch_multi, f->easy)) != CURLM_OK) {
		snprintf(err, sizeof(err), "cannot start the transfer: %s",
		    curl_multi_strerror(mc));
		goto later;
	}
	f->state = FETCH_MULTI;
	return f;
 later:
	if (fetch_fail_later(f, err) == 0)
		return f;
	log_warnx("fetch: cannot schedule a timer event");
	fetch_detach(f);
	fetch_free(f);
	return NULL;
}

void
fetch_cancel(struct fetch *f)
{
	if (f == NULL)
		return;
	fetch_detach(f);
	fetch_free(f);
}

void
fetch_show_url(const char *url, char *dst, size_t dstlen)
{
	url_redact(url, dst, dstlen);
}

int
fetch_active(void)
{
	return fetch_nactive;
}
