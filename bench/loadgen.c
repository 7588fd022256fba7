/* loadgen.c: a load generator for modelregd's control socket (libc only): pipelined requests, idle connections, clients that never read. */

/*
 * Modes (-m):
 *
 *   load    C connections, each keeping up to D requests in flight (closed
 *           loop), until N requests were sent or T seconds passed; then the
 *           replies still due are awaited for up to W more seconds. With
 *           -i MS the load is open loop instead: one request every MS
 *           milliseconds, spread over the connections, whatever the replies
 *           do, each request's latency counted from the moment it was due
 *           (so a stalled daemon shows as the stall, not as one slow
 *           sample). SIGTERM or SIGINT stops sending, as the deadline does.
 *   idle    C connections that each send one PING, read the reply and then
 *           stay open and silent; "state=ready" is printed once every connection
 *           has its answer (or was refused or closed), then the program
 *           waits until T seconds pass, stdin is closed or a signal comes.
 *   noread  C connections that each send the request D times and never
 *           read a byte; "state=ready" is printed once everything is written (or
 *           the socket buffer is full), then the program waits as idle does.
 *
 * A reply is the protocol's (doc/protocol.md): "OK n" and n record lines,
 * or one "ERR code message" line. In the request, "{k}" is replaced by a
 * pseudo-random number below K (-k), the same sequence every run; with -f
 * FILE each request is a line of FILE, picked the same pseudo-random way.
 *
 * The result is one line of key=value pairs on stdout, for bench/run.py.
 */

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LG_MAXCONNS	20000
#define LG_MAXLINE	(1024 * 1024)	/* a longer reply line is a protocol error */
#define LG_READSZ	(256 * 1024)

enum mode { MODE_LOAD, MODE_IDLE, MODE_NOREAD };

struct conn {
	int		 fd;
	int		 dead;
	/* Output not written yet. */
	char		*out;
	size_t		 outlen, outoff, outcap;
	/* Input not parsed yet. */
	char		*in;
	size_t		 inlen, incap;
	/* Send times of the requests in flight, oldest first (a ring). */
	double		*due;
	size_t		 head, count, cap;
	/* Records still to read for the reply being read; -1: a status line is next. */
	long		 records;
	int		 answered;	/* idle mode: the PING's reply came */
	int		 busy;		/* idle mode: refused with ERR busy */
};

static struct conn	*conns;
static int		 nconns = 1;
static int		 depth = 1;
static long		 maxreq;		/* 0: no count bound */
static double		 seconds = 10;
static double		 drain = 10;
static double		 interval_ms;		/* > 0: open loop */
static unsigned long	 keys = 1;
static const char	*request;
static char		**lines;		/* -f: the requests to pick from */
static unsigned long	 nlines;
static const char	*sockpath;
static enum mode	 mode = MODE_LOAD;

static volatile sig_atomic_t	 stopping;

static long		 sent, done, errors, protoerrs, closed;
static double		 load_start, last_reply;
static char		 first_error[256];
static double		*lat;			/* ms, one per answered request */
static size_t		 nlat, latcap;
static uint64_t		 rng = 0x9e3779b97f4a7c15ULL;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fputs("loadgen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -s SOCKET [-m load|idle|noread] [-c CONNS] "
	    "[-P DEPTH] [-n REQUESTS]\n"
	    "               [-t SECONDS] [-w DRAIN] [-i INTERVAL_MS] [-k KEYS] "
	    "[-r REQUEST | -f FILE]\n");
	exit(2);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void *
xrealloc(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		die("out of memory");
	if ((p = realloc(p, n * size)) == NULL)
		die("out of memory");
	return p;
}

static double
number(const char *s, double min, double max, const char *what)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		die("bad %s: %s (%g to %g)", what, s, min, max);
	return v;
}

/* xorshift64*: the same keys every run, so runs compare. */
static unsigned long
next_key(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (unsigned long)((rng * 0x2545F4914F6CDD1DULL) % keys);
}

static void
out_append(struct conn *c, const char *s, size_t n)
{
	if (c->outoff > 0 && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + n > c->outcap) {
		c->outcap = (c->outlen + n) * 2;
		c->out = xrealloc(c->out, c->outcap, 1);
	}
	memcpy(c->out + c->outlen, s, n);
	c->outlen += n;
}

/* -f FILE: one request a line, picked at random for each request. */
static void
read_lines(const char *path)
{
	FILE	*f;
	char	*l = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while ((n = getline(&l, &cap, f)) != -1) {
		while (n > 0 && (l[n - 1] == '\n' || l[n - 1] == '\r'))
			l[--n] = '\0';
		if (n == 0)
			continue;
		lines = xrealloc(lines, nlines + 1, sizeof(*lines));
		if ((lines[nlines++] = strdup(l)) == NULL)
			die("out of memory");
	}
	free(l);
	fclose(f);
	if (nlines == 0)
		die("%s: no request in it", path);
}

/* The request line with "{k}" replaced, and its LF. */
static void
queue_request(struct conn *c)
{
	char		 line[8192], num[32];
	const char	*p = request, *k;
	size_t		 n = 0, l;

	if (nlines > 0) {
		l = strlen(p = lines[next_key() % nlines]);
		out_append(c, p, l);
		out_append(c, "\n", 1);
		return;
	}

	while ((k = strstr(p, "{k}")) != NULL) {
		l = (size_t)(k - p);
		snprintf(num, sizeof(num), "%lu", next_key());
		if (n + l + strlen(num) >= sizeof(line) - 1)
			die("request too long");
		memcpy(line + n, p, l);
		n += l;
		memcpy(line + n, num, strlen(num));
		n += strlen(num);
		p = k + 3;
	}
	l = strlen(p);
	if (n + l >= sizeof(line) - 1)
		die("request too long");
	memcpy(line + n, p, l);
	n += l;
	line[n++] = '\n';
	out_append(c, line, n);
}

static void
due_push(struct conn *c, double t)
{
	size_t	 i, ncap;
	double	*nd;

	if (c->count == c->cap) {
		ncap = c->cap ? c->cap * 2 : 16;
		nd = xrealloc(NULL, ncap, sizeof(*nd));
		for (i = 0; i < c->count; i++)
			nd[i] = c->due[(c->head + i) % c->cap];
		free(c->due);
		c->due = nd;
		c->head = 0;
		c->cap = ncap;
	}
	c->due[(c->head + c->count) % c->cap] = t;
	c->count++;
}

static void
lat_add(double ms)
{
	if (nlat == latcap) {
		latcap = latcap ? latcap * 2 : 4096;
		lat = xrealloc(lat, latcap, sizeof(*lat));
	}
	lat[nlat++] = ms;
}

static void
conn_kill(struct conn *c)
{
	if (c->dead)
		return;
	c->dead = 1;
	closed++;
	close(c->fd);
	c->fd = -1;
}

/* One whole reply was read: its request leaves the ring. */
static void
reply_done(struct conn *c, double t)
{
	if (c->count == 0) {
		protoerrs++;	/* a reply nobody asked for */
		return;
	}
	lat_add((t - c->due[c->head]) * 1000.0);
	last_reply = t;
	c->head = (c->head + 1) % c->cap;
	c->count--;
	done++;
	c->answered = 1;
}

static void
note_error(const char *line, size_t n)
{
	errors++;
	if (first_error[0] == '\0') {
		if (n >= sizeof(first_error))
			n = sizeof(first_error) - 1;
		memcpy(first_error, line, n);
		first_error[n] = '\0';
	}
}

/* Parse every complete line read so far. */
static void
parse_input(struct conn *c, double t)
{
	char	*p = c->in, *end = c->in + c->inlen, *nl, *e;
	long	 n;
	size_t	 len;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		len = (size_t)(nl - p);
		if (c->records > 0) {
			if (--c->records == 0) {
				c->records = -1;
				reply_done(c, t);
			}
		} else if (len >= 3 && strncmp(p, "OK ", 3) == 0) {
			errno = 0;
			n = strtol(p + 3, &e, 10);
			if (errno != 0 || e == p + 3 || n < 0 ||
			    (e != nl && *e != '\r')) {
				protoerrs++;
				conn_kill(c);
				return;
			}
			if (n == 0)
				reply_done(c, t);
			else
				c->records = n;
		} else if (len >= 4 && strncmp(p, "ERR ", 4) == 0) {
			if (len >= 8 && strncmp(p, "ERR busy", 8) == 0)
				c->busy = 1;
			note_error(p, len);
			reply_done(c, t);
		} else {
			protoerrs++;
			conn_kill(c);
			return;
		}
		p = nl + 1;
	}
	len = (size_t)(end - p);
	if (len > LG_MAXLINE) {
		protoerrs++;
		conn_kill(c);
		return;
	}
	memmove(c->in, p, len);
	c->inlen = len;
}

static void
conn_read(struct conn *c, double t)
{
	ssize_t	 n;

	for (;;) {
		if (c->incap - c->inlen < LG_READSZ) {
			c->incap = c->inlen + LG_READSZ * 2;
			c->in = xrealloc(c->in, c->incap, 1);
		}
		n = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_kill(c);
			return;
		}
		c->inlen += (size_t)n;
		parse_input(c, t);
		if (c->dead)
			return;
	}
}

static void
conn_write(struct conn *c)
{
	ssize_t	 n;

	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			/* The peer closed: what it said first (ERR busy) still counts. */
			conn_read(c, now());
			conn_kill(c);
			return;
		}
		c->outoff += (size_t)n;
	}
}

static int
conn_open(void)
{
	struct sockaddr_un	 sun;
	int			 fd, fl;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sockpath) >= sizeof(sun.sun_path))
		die("socket path too long: %s", sockpath);
	strcpy(sun.sun_path, sockpath);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	/* Blocking connect: a full listen backlog waits instead of failing. */
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die("connect %s: %s", sockpath, strerror(errno));
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		die("fcntl: %s", strerror(errno));
	return fd;
}

/* Are replies still due? Then the run lasted until now. */
static int
unanswered_end(double t)
{
	int	 i;

	(void)t;
	for (i = 0; i < nconns; i++)
		if (conns[i].count > 0)
			return 1;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
pct(double p)
{
	size_t	 i;

	if (nlat == 0)
		return -1;
	i = (size_t)(p / 100.0 * (double)(nlat - 1) + 0.5);
	return lat[i < nlat ? i : nlat - 1];
}

/* Wait in idle and noread modes: until the time is up, stdin closes or a signal comes. */
static void
hold(double start)
{
	struct pollfd	 pfd = { .fd = 0, .events = POLLIN };
	char		 b[256];
	int		 i;

	while (!stopping && now() - start < seconds) {
		if (poll(&pfd, 1, 100) == 1) {
			if (read(0, b, sizeof(b)) <= 0)
				break;
		}
		/* A connection the daemon closed is counted. */
		for (i = 0; i < nconns; i++) {
			if (conns[i].dead || mode != MODE_IDLE)
				continue;
			if (recv(conns[i].fd, b, sizeof(b), MSG_PEEK |
			    MSG_DONTWAIT) == 0)
				conn_kill(&conns[i]);
		}
	}
}

static void
run_idle(double start)
{
	struct pollfd	*pfd;
	int		 i, pending, open = 0, busy = 0;
	double		 t;

	pfd = xrealloc(NULL, (size_t)nconns, sizeof(*pfd));
	for (i = 0; i < nconns; i++) {
		queue_request(&conns[i]);
		due_push(&conns[i], now());
		sent++;
		conn_write(&conns[i]);
	}
	for (;;) {
		pending = 0;
		for (i = 0; i < nconns; i++) {
			struct conn	*c = &conns[i];

			pfd[i].fd = c->dead || c->answered ? -1 : c->fd;
			pfd[i].events = POLLIN;
			if (pfd[i].fd != -1)
				pending++;
		}
		if (pending == 0 || stopping || now() - start > seconds)
			break;
		if (poll(pfd, (nfds_t)nconns, 100) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		t = now();
		for (i = 0; i < nconns; i++)
			if (pfd[i].fd != -1 && (pfd[i].revents & (POLLIN |
			    POLLHUP | POLLERR)))
				conn_read(&conns[i], t);
	}
	for (i = 0; i < nconns; i++) {
		if (conns[i].busy)
			busy++;
		else if (!conns[i].dead && conns[i].answered)
			open++;
	}
	printf("state=ready mode=idle conns=%d open=%d busy=%d closed=%ld "
	    "seconds=%.3f\n", nconns, open, busy, closed, now() - start);
	fflush(stdout);
	free(pfd);
	hold(now());
}

static void
run_noread(double start)
{
	int	 i, j;
	long	 bytes = 0;

	for (i = 0; i < nconns; i++) {
		for (j = 0; j < depth; j++) {
			queue_request(&conns[i]);
			sent++;
		}
		conn_write(&conns[i]);
		bytes += (long)conns[i].outoff;
	}
	printf("state=ready mode=noread conns=%d sent=%ld bytes=%ld seconds=%.3f\n",
	    nconns, sent, bytes, now() - start);
	fflush(stdout);
	hold(now());
}

static void
run_load(double start)
{
	struct pollfd	*pfd;
	double		 t, stop_at = start + seconds, next_due = start;
	double		 give_up = 0;
	long		 inflight;
	int		 i, rr = 0, timeout;

	pfd = xrealloc(NULL, (size_t)nconns, sizeof(*pfd));
	for (;;) {
		t = now();
		if (!stopping && t >= stop_at)
			stopping = 1;
		if (stopping && give_up == 0)
			give_up = t + drain;
		/* Send what is due. */
		if (!stopping && interval_ms > 0) {
			while (next_due <= t && (maxreq == 0 || sent < maxreq)) {
				struct conn	*c = &conns[rr++ % nconns];

				if (c->dead)
					break;
				queue_request(c);
				due_push(c, next_due);
				sent++;
				next_due += interval_ms / 1000.0;
			}
		} else if (!stopping) {
			for (i = 0; i < nconns; i++) {
				struct conn	*c = &conns[i];

				while (!c->dead && c->count < (size_t)depth &&
				    (maxreq == 0 || sent < maxreq)) {
					queue_request(c);
					due_push(c, t);
					sent++;
				}
			}
		}
		inflight = 0;
		for (i = 0; i < nconns; i++) {
			struct conn	*c = &conns[i];

			if (!c->dead && c->outoff < c->outlen)
				conn_write(c);
			pfd[i].fd = c->dead ? -1 : c->fd;
			pfd[i].events = POLLIN |
			    (c->outoff < c->outlen ? POLLOUT : 0);
			if (!c->dead)
				inflight += (long)c->count;
		}
		if (maxreq > 0 && sent >= maxreq && inflight == 0)
			break;
		if (stopping && (inflight == 0 || t >= give_up))
			break;
		if (closed == nconns)
			break;
		timeout = 100;
		if (interval_ms > 0 && !stopping) {
			timeout = (int)((next_due - t) * 1000.0);
			if (timeout < 0)
				timeout = 0;
			if (timeout > 100)
				timeout = 100;
		}
		if (poll(pfd, (nfds_t)nconns, timeout) == -1 && errno != EINTR)
			die("poll: %s", strerror(errno));
		t = now();
		for (i = 0; i < nconns; i++) {
			if (pfd[i].fd == -1)
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				conn_read(&conns[i], t);
			if (!conns[i].dead && (pfd[i].revents & POLLOUT))
				conn_write(&conns[i]);
		}
	}
	free(pfd);
}

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	double		 start, elapsed, t, maxl = -1;
	long		 unanswered = 0;
	size_t		 k;
	int		 ch, i;

	while ((ch = getopt(argc, argv, "c:f:i:k:m:n:P:r:s:t:w:")) != -1) {
		switch (ch) {
		case 'c':
			nconns = (int)number(optarg, 1, LG_MAXCONNS, "-c");
			break;
		case 'f':
			read_lines(optarg);
			break;
		case 'i':
			interval_ms = number(optarg, 0.01, 60000, "-i");
			break;
		case 'k':
			keys = (unsigned long)number(optarg, 1, 1e9, "-k");
			break;
		case 'm':
			if (strcmp(optarg, "load") == 0)
				mode = MODE_LOAD;
			else if (strcmp(optarg, "idle") == 0)
				mode = MODE_IDLE;
			else if (strcmp(optarg, "noread") == 0)
				mode = MODE_NOREAD;
			else
				usage();
			break;
		case 'n':
			maxreq = (long)number(optarg, 1, 1e9, "-n");
			break;
		case 'P':
			depth = (int)number(optarg, 1, 100000, "-P");
			break;
		case 'r':
			request = optarg;
			break;
		case 's':
			sockpath = optarg;
			break;
		case 't':
			seconds = number(optarg, 0.01, 3600, "-t");
			break;
		case 'w':
			drain = number(optarg, 0, 3600, "-w");
			break;
		default:
			usage();
		}
	}
	if (optind != argc || sockpath == NULL)
		usage();
	if (request == NULL)
		request = "PING";
	if (nlines > 0 && keys == 1)
		keys = 0xffffffffUL;	/* -k bounds {k}; a line is picked among all */
	if (strchr(request, '\n') != NULL)
		die("the request must be one line");

	/* 1,000 connections need more descriptors than the usual soft limit. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)nconns + 16) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1 ||
		    rl.rlim_cur < (rlim_t)nconns + 16)
			die("cannot raise RLIMIT_NOFILE to %d", nconns + 16);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	conns = xrealloc(NULL, (size_t)nconns, sizeof(*conns));
	memset(conns, 0, (size_t)nconns * sizeof(*conns));
	start = now();
	for (i = 0; i < nconns; i++) {
		conns[i].fd = conn_open();
		conns[i].records = -1;
	}
	if (mode == MODE_IDLE) {
		run_idle(start);
		return 0;
	}
	if (mode == MODE_NOREAD) {
		run_noread(start);
		return 0;
	}
	load_start = now();
	run_load(load_start);
	t = now();
	/* The rate is over the time replies came in, not the drain after. */
	elapsed = (unanswered_end(t) ? t : last_reply) - load_start;
	if (elapsed <= 0)
		elapsed = t - load_start;
	/* A request never answered counts with the time it waited. */
	for (i = 0; i < nconns; i++) {
		for (k = 0; k < conns[i].count; k++) {
			lat_add((t - conns[i].due[(conns[i].head + k) %
			    conns[i].cap]) * 1000.0);
			unanswered++;
		}
	}
	qsort(lat, nlat, sizeof(*lat), cmp_double);
	if (nlat > 0)
		maxl = lat[nlat - 1];
	printf("mode=load conns=%d depth=%d sent=%ld done=%ld errors=%ld "
	    "unanswered=%ld protoerrs=%ld closed=%ld seconds=%.4f rps=%.1f "
	    "p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f first_error=\"",
	    nconns, depth, sent, done, errors, unanswered, protoerrs, closed,
	    elapsed, elapsed > 0 ? (double)done / elapsed : 0.0, pct(50),
	    pct(90), pct(99), maxl);
	for (k = 0; first_error[k] != '\0'; k++) {
		if (first_error[k] == '"' || first_error[k] == '\\')
			putchar('\\');
		putchar((unsigned char)first_error[k] < 0x20 ? ' ' :
		    first_error[k]);
	}
	printf("\"\n");
	return 0;
}
