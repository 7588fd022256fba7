/* ctl.h: modelregctl's shared declarations: the connection, replies, renderers. */
#ifndef MODELREG_CTL_H
#define MODELREG_CTL_H

#include <signal.h>
#include <stddef.h>

#include "buf.h"

/* Exit codes, from best to worst (see modelregctl(1)). */
#define CTL_EXIT_OK	0
#define CTL_EXIT_ERR	1	/* the daemon answered ERR */
#define CTL_EXIT_USAGE	2	/* bad command line */
#define CTL_EXIT_CONN	3	/* cannot reach the daemon, or a broken reply */
#define CTL_EXIT_DENIED	4	/* ERR denied */

#define CTL_MAXLINE	(1024 * 1024)	/* longest reply line we accept */
#define CTL_MAXRECORDS	(1024 * 1024)	/* most records in one reply */
#define CTL_CONNECT_TIMEOUT	10	/* seconds */

/* One reply: "OK <n>" and its n record lines, or "ERR <code> <message>". */
struct reply {
	int	  ok;
	char	  code[16];	/* ERR code, "" for OK */
	char	 *message;	/* ERR message (never NULL after a read), NULL for OK */
	int	  n;		/* record lines */
	char	**lines;	/* n lines, each NUL-terminated, no LF */
	size_t	 *lens;		/* their lengths (a line may hold a NUL: lf_parse refuses it) */
};

/* A connection to the daemon. */
struct conn {
	int		 fd;
	const char	*path;
	struct buf	 in;		/* bytes read, not yet consumed */
	size_t		 off;		/* consumed bytes at the start of in */
	int		 eof;
};

/*
 * Set by a signal handler to end a stream (events --follow): a read
 * interrupted while it is set returns -3 without a message.
 */
extern volatile sig_atomic_t client_stop;

/* client.c. Each prints "modelregctl: ..." itself on failure. */
/* 0, -1 when the daemon cannot be reached, -2 when the socket refuses us (EACCES, EPERM). */
int	 client_connect(struct conn *, const char *path);
int	 client_send(struct conn *, const char *data, size_t len);
/*
 * 0, -1 on error (printed), -2 on a clean EOF before the reply when
 * quiet_eof (not printed), -3 when client_stop interrupted it (not printed).
 */
int	 client_read_reply(struct conn *, struct reply *, int quiet_eof);
void	 client_close(struct conn *);
void	 reply_free(struct reply *);
int	 reply_is_denied(const struct reply *);

/* output.c: records and their rendering; out_* print to stdout (a failed outcome to stderr). */
struct lf_pair;
struct record {
	struct lf_pair	*pairs;
	int		 n;
	char		*store;
};
int	 record_parse(struct record *, const char *line, size_t len);
void	 record_free(struct record *);
const char *record_get(const struct record *, const char *key);	/* NULL when absent or null */

void	 out_sanitize(struct buf *, const char *s, size_t len);
void	 out_json_string(struct buf *, const char *s, size_t len);

void	 out_models_text(struct record *, int n);
void	 out_models_json(struct record *, int n);
void	 out_model_text(const struct record *);
void	 out_model_json(const struct record *);	/* NULL: null */
void	 out_status_text(const struct record *, int n);
void	 out_status_json(const struct record *, int n);
void	 out_catalog_text(struct record *, int n);
void	 out_catalog_json(struct record *, int n);
void	 out_uptime_text(struct record *, int n);
void	 out_uptime_json(struct record *, int n);
void	 out_events_text(const struct record *, int n);
void	 out_events_json(const struct record *, int n);
void	 out_event_text(const struct record *);	/* one line, flushed */
void	 out_event_json(const struct record *);	/* one JSON Lines object, flushed */
void	 out_audit_text(const struct record *, int n);
void	 out_audit_json(const struct record *, int n);
void	 out_refresh_text(const struct record *, int n);
void	 out_refresh_json(const struct record *, int n);
void	 out_refresh_notes(const struct record *, int n);	/* held and failed, on stderr */
/* Whether s[0..len) is one JSON value; if so, append it to b without insignificant blanks. */
int	 out_json_copy(struct buf *b, const char *s, size_t len);
void	 out_record_text(const struct record *, const char *xkey, const char *xval);
void	 out_record_json(const struct record *);

/* An outcome of one model of activate, deactivate, delete, sync or default. */
struct outcome {
	const char	*model;		/* as given on the command line */
	int		 ok;
	char		 code[16];	/* ERR code, "" when ok or no reply */
	char		*message;	/* owned: the daemon's message, ours, or NULL */
	char		*status;	/* owned: the status= of sync's record, or NULL */
};
void	 out_outcome_text(const struct outcome *, const char *done);
void	 out_outcomes_json(const struct outcome *, int n);

/* help.c: what `help COMMAND` adds beneath a command's usage line. */
struct ctl_help {
	const char	*name;
	const char	*operand;	/* what the operand completes to: "model",
					   "catalog", "source", "command", or NULL */
	const char	*about;		/* what it does, whole lines */
	const char	*options;	/* its options, one per line, or NULL */
};
const struct ctl_help *help_find(const char *name);	/* NULL: none */

void	 ctl_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
