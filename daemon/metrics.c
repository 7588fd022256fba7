/* metrics.c: the Prometheus endpoint: [metrics] listen through libevent's evhttp on the daemon's loop, GET /metrics, bounded against hostile peers. */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "metrics.h"

/* What a scraper may send: a GET has no body and a handful of headers. */
#define METRICS_MAX_HEADERS	8192
#define METRICS_MAX_BODY	1024
#define METRICS_BACKLOG		16
/* The UNIX socket's mode: metrics carry no secret, but only the daemon's group reads them. */
#define METRICS_SOCKET_MODE	0660
#define METRICS_CTYPE		"text/plain; version=0.0.4; charset=utf-8"

static struct {
	struct evhttp			*http;
	struct evhttp_bound_socket	*bound;
	struct evconnlistener		*lis;		/* the bound socket's */
	char				*listen;	/* the value we listen on */
	char				 unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int				 live;		/* connections open */
	int				 paused;	/* listener disabled at the bound */
	int				 closing;	/* evhttp_free is running */
	int64_t				 last_us;	/* how long the last scrape took */
} mt;

static int64_t
metrics_now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * One connection. evhttp (libevent 2.1) has no bound on connections
 * and tells nobody when one opens; so we make each connection's
 * bufferevent (evhttp_set_bevcb), count it, and once evhttp has wrapped
 * it (its callbacks' argument is then the evhttp_connection) hook its
 * close callback to uncount it. The count pauses the listener at
 * max_connections. The deadline bounds a connection's whole life:
 * evhttp's timeout restarts at every byte, so a peer trickling a header
 * byte by byte would otherwise keep its slot for ever.
 */
struct mconn {
	TAILQ_ENTRY(mconn)	 entry;
	struct bufferevent	*bev;
	struct event		*hook;		/* once evhttp has the bufferevent */
	struct event		*deadline;
};

static TAILQ_HEAD(, mconn) mconns = TAILQ_HEAD_INITIALIZER(mconns);

static void
metrics_conn_free(struct mconn *mc)
{
	TAILQ_REMOVE(&mconns, mc, entry);
	event_free(mc->hook);
	event_free(mc->deadline);
	free(mc);
	mt.live--;
	if (mt.paused && !mt.closing && mt.lis != NULL &&
	    mt.live < md.cfg->metrics_max_connections) {
		mt.paused = 0;
		evconnlistener_enable(mt.lis);
	}
}

static void
metrics_conn_gone(struct evhttp_connection *evcon, void *arg)
{
	metrics_conn_free(arg);
}

static void
metrics_conn_deadline(evutil_socket_t fd, short ev, void *arg)
{
	struct mconn	*mc = arg;
	evutil_socket_t	 s = bufferevent_getfd(mc->bev);

	/* evhttp sees the end of the stream and frees the connection itself. */
	if (s != -1)
		shutdown(s, SHUT_RDWR);
}

/* Run from the loop right after the accept: evhttp has set its callbacks on our bufferevent. */
static void
metrics_conn_hook(evutil_socket_t fd, short ev, void *arg)
{
	struct mconn	*mc = arg;
	void		*evcon = NULL;

	bufferevent_getcb(mc->bev, NULL, NULL, NULL, &evcon);
	if (evcon == NULL) {
		/* Not wrapped (evhttp failed at once): nothing will call us back. */
		metrics_conn_free(mc);
		return;
	}
	evhttp_connection_set_closecb(evcon, metrics_conn_gone, mc);
}

static struct bufferevent *
metrics_conn_new(struct event_base *base, void *arg)
{
	struct mconn	*mc;
	struct timeval	 tv = { md.cfg->metrics_timeout, 0 };

	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return NULL;	/* evhttp makes its own: uncounted, still timed out */
	mc->bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	mc->hook = event_new(base, -1, 0, metrics_conn_hook, mc);
	mc->deadline = evtimer_new(base, metrics_conn_deadline, mc);
	if (mc->bev == NULL || mc->hook == NULL || mc->deadline == NULL) {
		if (mc->bev != NULL)
			bufferevent_free(mc->bev);
		if (mc->hook != NULL)
			event_free(mc->hook);
		if (mc->deadline != NULL)
			event_free(mc->deadline);
		free(mc);
		return NULL;
	}
	/* Active now, so it runs in this pass of the loop, before any read on the connection. */
	event_active(mc->hook, EV_TIMEOUT, 0);
	evtimer_add(mc->deadline, &tv);
	TAILQ_INSERT_TAIL(&mconns, mc, entry);
	if (++mt.live >= md.cfg->metrics_max_connections && mt.lis != NULL &&
	    !mt.paused) {
		mt.paused = 1;
		evconnlistener_disable(mt.lis);
	}
	return mc->bev;
}

static void
metrics_reply_text(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evbuffer	*body = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	if (body != NULL)
		evbuffer_add_printf(body, "%s\n", text);
	evhttp_send_reply(req, code, reason, body);
	if (body != NULL)
		evbuffer_free(body);
}

static void
metrics_request(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type	 t = evhttp_request_get_command(req);
	struct evbuffer		*body;
	struct buf		 out = { 0 };
	int64_t			 t0;

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		metrics_reply_text(req, HTTP_NOTFOUND, "Not Found",
		    "not found: the metrics are at /metrics");
		return;
	}
	if (t != EVHTTP_REQ_GET && t != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD");
		metrics_reply_text(req, 405, "Method Not Allowed",
		    "method not allowed: use GET");
		return;
	}
	t0 = metrics_now_us();
	if (metrics_render(&out) == -1 || (body = evbuffer_new()) == NULL) {
		buf_free(&out);
		metrics_reply_text(req, HTTP_INTERNAL, "Internal Server Error",
		    "the metrics could not be read (see the daemon's log)");
		return;
	}
	mt.last_us = metrics_now_us() - t0;
	log_debug("metrics: scrape of %zu bytes in %lld us", out.len,
	    (long long)mt.last_us);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", METRICS_CTYPE);
	if (evbuffer_add(body, out.data, out.len) == -1) {
		evbuffer_free(body);
		buf_free(&out);
		metrics_reply_text(req, HTTP_INTERNAL, "Internal Server Error",
		    "out of memory");
		return;
	}
	buf_free(&out);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

/* Is something listening at sun? 1 yes, 0 nothing (ECONNREFUSED), -1 cannot tell. */
static int
metrics_probe(const struct sockaddr_un *sun)
{
	int	 fd, rv, saved;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	do
		rv = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	while (rv == -1 && errno == EINTR);
	saved = errno;
	close(fd);
	if (rv == 0 || saved == EAGAIN)
		return 1;
	if (saved == ECONNREFUSED)
		return 0;
	errno = saved;
	return -1;
}

/* A listening UNIX socket at a->path, replacing only a stale node: fd or -1. */
static int
metrics_unix_socket(const struct metrics_addr *a, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, a->path, strlen(a->path) + 1);
	if (lstat(a->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket",
			    a->path);
			return -1;
		}
		if (metrics_probe(&sun) != 0) {
			snprintf(err, errlen, "something may listen on %s: not "
			    "replacing it", a->path);
			return -1;
		}
		if (unlink(a->path) == -1) {
			snprintf(err, errlen, "unlink stale socket %s: %s",
			    a->path, strerror(errno));
			return -1;
		}
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(~METRICS_SOCKET_MODE & 0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, METRICS_BACKLOG) == -1) {
		umask(old);
		snprintf(err, errlen, "bind %s: %s", sun.sun_path,
		    strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	memcpy(mt.unix_path, a->path, strlen(a->path) + 1);
	return fd;
}

static void
metrics_close(void)
{
	if (mt.http != NULL) {
		/* Frees every connection (their close callbacks run) and the listener. */
		mt.closing = 1;
		evhttp_free(mt.http);
		/* Connections whose close callback evhttp_free did not run. */
		while (!TAILQ_EMPTY(&mconns))
			metrics_conn_free(TAILQ_FIRST(&mconns));
		mt.closing = 0;
		mt.http = NULL;
	}
	mt.bound = NULL;
	mt.lis = NULL;
	mt.paused = 0;
	if (mt.unix_path[0] != '\0') {
		unlink(mt.unix_path);
		mt.unix_path[0] = '\0';
	}
	free(mt.listen);
	mt.listen = NULL;
}

/* Apply the limits that a reload may change without rebinding. */
static void
metrics_limits(void)
{
	if (mt.http == NULL)
		return;
	evhttp_set_timeout(mt.http, md.cfg->metrics_timeout);
	if (mt.lis != NULL) {
		if (mt.live >= md.cfg->metrics_max_connections && !mt.paused) {
			mt.paused = 1;
			evconnlistener_disable(mt.lis);
		} else if (mt.live < md.cfg->metrics_max_connections &&
		    mt.paused) {
			mt.paused = 0;
			evconnlistener_enable(mt.lis);
		}
	}
}

static int
metrics_open(const char *listen, char *err, size_t errlen)
{
	struct metrics_addr	 a;
	struct evconnlistener	*lis;
	int			 fd;

	if (metrics_addr_parse(listen, &a, err, errlen) == -1)
		return -1;
	if ((mt.http = evhttp_new(md.base)) == NULL ||
	    (mt.listen = strdup(listen)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	evhttp_set_max_headers_size(mt.http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(mt.http, METRICS_MAX_BODY);
	/* Every method reaches us, so that the others get 405 rather than 501. */
	evhttp_set_allowed_methods(mt.http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT);
	evhttp_set_bevcb(mt.http, metrics_conn_new, NULL);
	evhttp_set_gencb(mt.http, metrics_request, NULL);
	if (a.family == AF_UNIX) {
		if ((fd = metrics_unix_socket(&a, err, errlen)) == -1)
			goto fail;
		if ((lis = evconnlistener_new(md.base, NULL, NULL,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
		    fd)) == NULL) {
			close(fd);
			snprintf(err, errlen, "cannot listen on %s", a.path);
			goto fail;
		}
		mt.bound = evhttp_bind_listener(mt.http, lis);
	} else
		mt.bound = evhttp_bind_socket_with_handle(mt.http, a.host,
		    (ev_uint16_t)a.port);
	if (mt.bound == NULL) {
		snprintf(err, errlen, "cannot listen on %s: %s", listen,
		    strerror(errno));
		goto fail;
	}
	mt.lis = evhttp_bound_socket_get_listener(mt.bound);
	metrics_limits();
	log_info("metrics: serving /metrics on %s", listen);
	return 0;
fail:
	metrics_close();
	return -1;
}

int
metrics_init(void)
{
	char	 err[512];

	if (md.cfg->metrics_listen == NULL)
		return 0;
	if (metrics_open(md.cfg->metrics_listen, err, sizeof(err)) == -1) {
		log_warnx("metrics: %s", err);
		return -1;
	}
	return 0;
}

void
metrics_reconfigure(void)
{
	const char	*want = md.cfg->metrics_listen;
	char		 err[512];

	if (want != NULL && mt.listen != NULL && strcmp(want, mt.listen) == 0) {
		metrics_limits();
		return;
	}
	if (mt.http != NULL) {
		log_info("metrics: no longer serving on %s", mt.listen);
		metrics_close();
	}
	if (want != NULL && metrics_open(want, err, sizeof(err)) == -1)
		log_warnx("metrics: %s; /metrics is off until the next reload",
		    err);
}

void
metrics_shutdown(void)
{
	metrics_close();
	metrics_families_free();
}
