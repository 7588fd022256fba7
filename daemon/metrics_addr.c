/* metrics_addr.c: [metrics] listen's value: HOST:PORT, [IPv6]:PORT or a UNIX socket path (pure, for the config check and unit tests). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* A port: 1..65535, digits only (no sign, no spaces). */
static int
metrics_port(const char *s)
{
	long	 v = 0;
	size_t	 i, n = strlen(s);

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

int
metrics_addr_parse(const char *v, struct metrics_addr *a, char *err,
    size_t errlen)
{
	unsigned char	 bin[sizeof(struct in6_addr)];
	const char	*colon, *host, *port;
	char		 h[64];
	size_t		 hl;

	memset(a, 0, sizeof(*a));
	if (v[0] == '/') {
		if (strlen(v) >= sizeof(a->path)) {
			snprintf(err, errlen, "a socket path has at most %zu "
			    "bytes", sizeof(a->path) - 1);
			return -1;
		}
		a->family = AF_UNIX;
		memcpy(a->path, v, strlen(v) + 1);
		return 0;
	}
	if (v[0] == '[') {
		/* [IPv6]:PORT, as URLs write it. */
		if ((colon = strstr(v, "]:")) == NULL)
			goto bad;
		host = v + 1;
		hl = (size_t)(colon - host);
		port = colon + 2;
		a->family = AF_INET6;
	} else {
		if ((colon = strrchr(v, ':')) == NULL ||
		    memchr(v, ':', (size_t)(colon - v)) != NULL)
			goto bad;
		host = v;
		hl = (size_t)(colon - v);
		port = colon + 1;
		a->family = AF_INET;
	}
	if (hl == 0 || hl >= sizeof(h))
		goto bad;
	memcpy(h, host, hl);
	h[hl] = '\0';
	if (inet_pton(a->family, h, bin) != 1)
		goto bad;
	if ((a->port = metrics_port(port)) == -1) {
		snprintf(err, errlen, "the port must be a number from 1 to "
		    "65535");
		return -1;
	}
	memcpy(a->host, h, hl + 1);
	return 0;
bad:
	snprintf(err, errlen, "expected ADDRESS:PORT with a numeric address "
	    "(127.0.0.1:9464, [::1]:9464) or an absolute socket path");
	memset(a, 0, sizeof(*a));
	return -1;
}
