/* metrics.h: the Prometheus endpoint (issue 10 item 4): [metrics] listen, GET /metrics, the counters it shows and the exposition writer. */
#ifndef MODELREG_METRICS_H
#define MODELREG_METRICS_H

#include <sys/socket.h>
#include <sys/un.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Where to listen (metrics_addr.c, pure): "HOST:PORT" with a numeric
 * IPv4 address, "[IPv6]:PORT", or an absolute path for a UNIX socket.
 * No names: a listen address is never looked up in DNS. 0, or -1 with
 * err saying why.
 */
struct metrics_addr {
	int		 family;	/* AF_INET, AF_INET6 or AF_UNIX */
	char		 host[64];	/* the numeric address (not for AF_UNIX) */
	int		 port;		/* 1..65535 (not for AF_UNIX) */
	char		 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};
int	 metrics_addr_parse(const char *v, struct metrics_addr *, char *err,
	    size_t errlen);

/*
 * The exposition writer (metrics_expo.c, pure): the text format 0.0.4.
 * metrics_family writes "# HELP" and "# TYPE"; metrics_sample one line
 * with nlabels (name, value) pairs whose values are escaped (\\, \",
 * \n). Label names and metric names come from our code, never from
 * outside. 0, or -1 out of memory.
 */
int	 metrics_family(struct buf *, const char *name, const char *type,
	    const char *help);
int	 metrics_sample(struct buf *, const char *name, double value,
	    int nlabels, const char *const *labels);
/* The escaped form of a label value: 0 or -1. */
int	 metrics_escape(struct buf *, const char *value);

/*
 * Counters kept in memory (metrics_count.c): requests per verb and
 * result code, events per kind. Cheap enough for every request: a verb
 * is an index into cmd_table (or "other"); codes and kinds are kept in
 * small tables, bounded, with the rest counted as "other".
 */
#define METRICS_MAX_CODES	48
#define METRICS_MAX_KINDS	64
int	 metrics_verb(const char *verb);	/* index into cmd_table, or cmd_count for "other" */
int	 metrics_verb_at(int i);	/* the same from cmd_dispatch's index (cmd_ctx.verb; -1: none), without a scan */
void	 metrics_count_request(int verb, const char *code);	/* code NULL: "ok" */
void	 metrics_count_event(const char *kind);
/* Walk the counters: cb(verb, code, n) and cb(kind, n) for each non-zero one. */
void	 metrics_each_request(void (*cb)(const char *verb, const char *code,
	    uint64_t n, void *), void *arg);
void	 metrics_each_event(void (*cb)(const char *kind, uint64_t n, void *),
	    void *arg);

/*
 * The families (metrics_families.c): the whole scrape into out, one
 * function per family in a table. 0, or -1 (out of memory or the
 * database failed: the scrape answers 500).
 */
int	 metrics_render(struct buf *out);
void	 metrics_families_free(void);	/* what scrapes keep between them (at stop) */

/* The HTTP endpoint (metrics.c), on md.base. */
int	 metrics_init(void);		/* -1: cannot listen (start-up fails) */
void	 metrics_reconfigure(void);	/* [metrics] may have changed: rebind */
void	 metrics_shutdown(void);

#endif
