/* client.c: modelregctl's connection to modelregd: connect, send requests, read replies. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

volatile sig_atomic_t	 client_stop;

/* Milliseconds on a monotonic clock. */
static long long
client_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A group's name, else its number, into buf. */
static const char *
client_group_name(gid_t gid, char *buf, size_t len)
{
	struct group	*gr;

	if ((gr = getgrgid(gid)) != NULL)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "%u", (unsigned)gid);
	return buf;
}

/*
 * The daemon's socket (or its directory) refused us. Say who may get in,
 * from the modes and groups of the node and its directory, so that the
 * user knows whom to ask for what.
 */
static void
client_denied(const char *path)
{
	struct stat	 st, dst;
	struct passwd	*pw;
	char		*copy, *dir, grp[64], owner[64];

	if ((copy = strdup(path)) == NULL) {
		ctl_warnx("permission denied on %s", path);
		return;
	}
	dir = dirname(copy);
	if (stat(path, &st) == -1) {
		/* The directory does not let us reach the node. */
		if (stat(dir, &dst) == 0 && (dst.st_mode & 0010))
			ctl_warnx("permission denied on %s: its directory %s "
			    "lets only group %s in: ask to be added to group %s",
			    path, dir, client_group_name(dst.st_gid, grp,
			    sizeof(grp)), grp);
		else if (stat(dir, &dst) == 0)
			ctl_warnx("permission denied on %s: its directory %s "
			    "(mode %04o, group %s) lets only its owner in", path,
			    dir, (unsigned)(dst.st_mode & 07777),
			    client_group_name(dst.st_gid, grp, sizeof(grp)));
		else
			ctl_warnx("permission denied on %s: its directory %s "
			    "is not open to you", path, dir);
	} else if ((st.st_mode & 0060) == 0060)
		ctl_warnx("permission denied on %s: ask to be added to group %s",
		    path, client_group_name(st.st_gid, grp, sizeof(grp)));
	else {
		if ((pw = getpwuid(st.st_uid)) != NULL)
			snprintf(owner, sizeof(owner), "%s", pw->pw_name);
		else
			snprintf(owner, sizeof(owner), "%u", (unsigned)st.st_uid);
		ctl_warnx("permission denied on %s: only its owner %s may "
		    "connect (mode %04o, group %s)", path, owner,
		    (unsigned)(st.st_mode & 07777),
		    client_group_name(st.st_gid, grp, sizeof(grp)));
	}
	free(copy);
}

/*
 * Connect without blocking, so that a daemon that does not accept (its
 * backlog full: EAGAIN on a UNIX socket) cannot hang us: retry until
 * CTL_CONNECT_TIMEOUT. Replies are then read blocking and without a
 * timeout, since SEED may take a while.
 */
int
client_connect(struct conn *c, const char *path)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	long long		 deadline;
	socklen_t		 sl;
	int			 fd, flags, err, rv;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->path = path;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		ctl_warnx("cannot connect to %s: socket path too long", path);
		return -1;
	}
	strncpy(sun.sun_path, path, sizeof(sun.sun_path) - 1);

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		ctl_warn("socket");
		return -1;
	}
	deadline = client_now_ms() + CTL_CONNECT_TIMEOUT * 1000LL;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		if (errno == EAGAIN) {
			if (client_now_ms() >= deadline) {
				errno = ETIMEDOUT;
				goto fail;
			}
			poll(NULL, 0, 50);
			continue;
		}
		if (errno != EINPROGRESS && errno != EINTR)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do {
			long long left = deadline - client_now_ms();

			if (left <= 0) {
				errno = ETIMEDOUT;
				goto fail;
			}
			rv = poll(&pfd, 1, (int)left);
		} while (rv == -1 && errno == EINTR);
		if (rv <= 0) {
			if (rv == 0)
				errno = ETIMEDOUT;
			goto fail;
		}
		sl = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
		break;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	c->fd = fd;
	return 0;

fail:
	if (errno == EACCES || errno == EPERM) {
		client_denied(path);
		close(fd);
		return -2;
	}
	ctl_warn("cannot connect to %s", path);
	close(fd);
	return -1;
}

/*
 * Send everything. A daemon that refused us at connect has sent
 * "ERR denied" and closed: the write then fails with EPIPE or ECONNRESET,
 * but the refusal waits in our receive queue, so we go on and let the
 * reader find it.
 */
int
client_send(struct conn *c, const char *data, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		n = send(c->fd, data, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE || errno == ECONNRESET)
				return 0;
			ctl_warn("%s: write", c->path);
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * One line (without its LF, NUL-terminated in place) from the connection.
 * Returns 1 with *line and *len set (valid until the next call), 0 on EOF
 * with no partial line, -1 on error (printed), -3 when a signal set
 * client_stop (not printed).
 */
static int
client_read_line(struct conn *c, char **line, size_t *len)
{
	char	 chunk[65536], *p, *nl;
	size_t	 avail;
	ssize_t	 n;

	for (;;) {
		if (client_stop)
			return -3;
		p = c->in.data + c->off;
		avail = c->in.len - c->off;
		if (avail > 0 && (nl = memchr(p, '\n', avail)) != NULL) {
			*nl = '\0';
			*len = (size_t)(nl - p);
			if (*len > 0 && p[*len - 1] == '\r')
				p[--*len] = '\0';
			c->off += (size_t)(nl - p) + 1;
			*line = p;
			return 1;
		}
		if (avail > CTL_MAXLINE) {
			ctl_warnx("%s: reply line longer than %d bytes", c->path,
			    CTL_MAXLINE);
			return -1;
		}
		if (c->eof) {
			if (avail == 0)
				return 0;
			ctl_warnx("%s: connection closed by the daemon in the "
			    "middle of a line", c->path);
			return -1;
		}
		/* Drop the consumed bytes before reading more. */
		if (c->off > 0) {
			memmove(c->in.data, c->in.data + c->off, avail);
			c->in.len = avail;
			c->in.data[avail] = '\0';
			c->off = 0;
		}
		n = read(c->fd, chunk, sizeof(chunk));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET) {
				c->eof = 1;
				continue;
			}
			ctl_warn("%s: read", c->path);
			return -1;
		}
		if (n == 0) {
			c->eof = 1;
			continue;
		}
		if (buf_append(&c->in, chunk, (size_t)n) == -1) {
			ctl_warn("%s: reading a reply", c->path);
			return -1;
		}
	}
}

/* Parse "OK <n>" or "ERR <code> <message>". */
static int
client_status_line(struct reply *r, const char *line, size_t len)
{
	const char	*p;
	size_t		 i;
	long		 n;

	if (strlen(line) != len)
		return -1;
	if (strncmp(line, "OK ", 3) == 0) {
		p = line + 3;
		if (*p == '\0' || strlen(p) > 8)
			return -1;
		for (n = 0; *p != '\0'; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			n = n * 10 + (*p - '0');
		}
		if (n > CTL_MAXRECORDS)
			return -1;
		r->ok = 1;
		r->n = (int)n;
		return 0;
	}
	if (strncmp(line, "ERR ", 4) == 0) {
		p = line + 4;
		for (i = 0; p[i] >= 'a' && p[i] <= 'z'; i++)
			if (i + 1 >= sizeof(r->code))
				return -1;
		if (i == 0 || (p[i] != '\0' && p[i] != ' '))
			return -1;
		memcpy(r->code, p, i);
		r->code[i] = '\0';
		p += i;
		if (*p == ' ')
			p++;
		if ((r->message = strdup(p)) == NULL)
			return -1;
		r->ok = 0;
		return 0;
	}
	return -1;
}

int
client_read_reply(struct conn *c, struct reply *r, int quiet_eof)
{
	struct buf	 shown = { 0 };
	char		*line, **lines;
	size_t		 len, *lens, cap = 0, got = 0;
	int		 rv;

	memset(r, 0, sizeof(*r));
	if ((rv = client_read_line(c, &line, &len)) < 0)
		return rv;
	if (rv == 0) {
		if (quiet_eof)
			return -2;
		ctl_warnx("%s: connection closed by the daemon before a reply",
		    c->path);
		return -1;
	}
	if (client_status_line(r, line, len) == -1) {
		out_sanitize(&shown, line, len > 80 ? 80 : len);
		ctl_warnx("%s: malformed reply from the daemon: \"%s\"", c->path,
		    shown.data ? shown.data : "");
		buf_free(&shown);
		reply_free(r);
		return -1;
	}
	/* Grow the arrays as lines arrive: n alone is not trusted to size them. */
	while (r->ok && got < (size_t)r->n) {
		if ((rv = client_read_line(c, &line, &len)) != 1) {
			if (rv == 0)
				ctl_warnx("%s: connection closed by the daemon "
				    "in the middle of a reply", c->path);
			goto fail;
		}
		if (got == cap) {
			cap = cap ? cap * 2 : 16;
			if ((lines = reallocarray(r->lines, cap,
			    sizeof(*lines))) == NULL)
				goto nomem;
			r->lines = lines;
			if ((lens = reallocarray(r->lens, cap,
			    sizeof(*lens))) == NULL)
				goto nomem;
			r->lens = lens;
		}
		if ((r->lines[got] = malloc(len + 1)) == NULL)
			goto nomem;
		memcpy(r->lines[got], line, len + 1);
		r->lens[got] = len;
		got++;
	}
	return 0;

nomem:
	ctl_warn("%s: reading a reply", c->path);
	rv = -1;
fail:
	r->n = (int)got;
	reply_free(r);
	return rv == -3 ? -3 : -1;
}

void
client_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
}

void
reply_free(struct reply *r)
{
	int	 i;

	for (i = 0; r->lines != NULL && i < r->n; i++)
		free(r->lines[i]);
	free(r->lines);
	free(r->lens);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

int
reply_is_denied(const struct reply *r)
{
	return !r->ok && strcmp(r->code, "denied") == 0;
}
