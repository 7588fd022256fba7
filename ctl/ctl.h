/* ctl.h: modelregctl's shared declarations: the connection, replies, records, renderers, the command table and the parser. */
#ifndef MODELREG_CTL_H
#define MODELREG_CTL_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

#ifndef MODELREG_SOCKET
#define MODELREG_SOCKET	"/run/modelreg/modelregd.sock"
#endif
#ifndef MODELREG_VERSION
#define MODELREG_VERSION	"0.1.0"
#endif

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

/* record.c: a reply's records, and what the text and JSON renderers share. */
struct lf_pair;
struct record {
	struct lf_pair	*pairs;
	int		 n;
	char		*store;
};
int	 record_parse(struct record *, const char *line, size_t len);
void	 record_free(struct record *);
const struct lf_pair *record_pair(const struct record *, const char *key);	/* NULL when absent */
const char *record_get(const struct record *, const char *key);	/* NULL when absent or null */
/* Whether the record's key (source or alert) is set, to value ("" for any). */
int	 out_is_kind(const struct record *, const char *key, const char *value);
/* One UTF-8 sequence at s: its length (*cp set), 0 when invalid. */
size_t	 utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* Code points a terminal acts on rather than shows (C1, bidi, invisible). */
int	 out_is_hidden(uint32_t cp);
void	 out_flush(struct buf *);	/* write b to stdout, then free it */
/* Append s for a terminal: control bytes, bad UTF-8 and bidi marks escaped. */
void	 out_sanitize(struct buf *, const char *s, size_t len);

/* json_check.c: JSON text. */
void	 out_json_string(struct buf *, const char *s, size_t len);
/* Whether s[0..len) is one JSON value; if so, append it to b without insignificant blanks. */
int	 out_json_copy(struct buf *b, const char *s, size_t len);
/* Whether s[0..len) is a number as JSON writes one. */
int	 out_is_json_number(const char *s, size_t len);

/*
 * A model's other prices, the daemon's flat JSON object of name: number
 * ({"request":0.005,"web_search":0.01}), for a person: appends
 * "request 0.005, web_search 0.01 (USD per unit)" and returns 1; 0 for
 * {} (nothing appended); -1 when s is not such an object (b unchanged).
 */
int	 out_prices_text(struct buf *b, const char *s, size_t len);

/* output_text.c and output_json.c: out_* print to stdout (a failed outcome to stderr). */
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
/* Issue 11 item 5: one history row as a JSON object (history.c). */
void	 out_history_object(struct buf *, const struct record *);
/* Issue 10: usage's summary rows, and --unused's models. */
void	 out_usage_text(const struct record *, int n, const char *by);
void	 out_usage_json(const struct record *, int n, const char *by);
void	 out_unused_text(const struct record *, int n);
void	 out_unused_json(const struct record *, int n);
void	 out_refresh_text(const struct record *, int n);
void	 out_refresh_json(const struct record *, int n);
void	 out_refresh_notes(const struct record *, int n);	/* held and failed, on stderr */
void	 out_keys_text(const struct record *, int n);	/* key list (issue 9) */
void	 out_keys_json(const struct record *, int n);
void	 out_key_json(const struct record *);	/* key show, and the reply of a change */
void	 out_caps_text(const struct record *, int n);	/* cap list (issue 10) */
void	 out_caps_json(const struct record *, int n);
void	 out_cap_json(const struct record *);	/* cap show and set */
void	 out_record_text(const struct record *, const char *xkey, const char *xval);
void	 out_record_json(const struct record *);
/* Append a record as one JSON object (every pair but skip, may be NULL), typed by key (issue 11 shares it). */
void	 out_record_object(struct buf *, const struct record *, const char *skip);
void	 out_member_object(struct buf *, const struct record *);	/* collection show's member: id, status, default (a boolean) */
void	 out_resolve_json(const struct record *);	/* issue 9: RESOLVE's record */

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

/*
 * Command options (parser.c's optdefs); each appears at most once in a
 * request, in optdefs' order.
 */
enum optid { O_STATUS, O_PROVIDER, O_SEARCH, O_ZDR, O_SYNCED, O_SORT,
    O_DESC, O_WINDOW, O_SINCE, O_KIND, O_MODEL, O_LIMIT, O_FORCE, O_NOWAIT,
    O_FOLLOW, O_ACTOR,
    /* Issue 9: set and unset. */
    O_LABEL, O_ALIAS, O_TEMPERATURE, O_TOP_P, O_MAX_TOKENS, O_FREQ_PENALTY,
    O_PRES_PENALTY, O_ENFORCE,
    O_MODELS, O_ALL, O_EXPIRES, O_NOTE, O_GRACE,	/* issue 9: key */
    O_KEYFILE,	/* issue 9: resolve */
    O_SESSION,	/* issue 9: resolve and release */
    O_CAPKEY, O_PERIOD, O_WARN,	/* issue 10: cap */
    /* Issue 11: tag, selectors, collection. */
    O_ADD, O_REMOVE, O_TAG, O_COLLECTION, O_SKIP, O_DRYRUN, O_DEFAULT, O_FROM,
    O_BY, O_KEYNAME, O_UNUSED,	/* issue 10: usage */
    O_OUTPUT, O_STRICT,	/* issue 11 item 4: export and import */
    O_COUNT };

/* The option sets a command takes (its opts); an option names the sets that have it. */
#define OS_LIST		0x01	/* list's --status ... */
#define OS_CATALOG	0x02	/* catalog's --zdr ... */
#define OS_UPTIME	0x04	/* uptime's --window */
#define OS_EVENTS	0x08	/* events' --since ... --follow */
#define OS_REFRESH	0x10	/* refresh's --force and --no-wait */
#define OS_AUDIT	0x20	/* audit's --model ... */
#define OS_SET		0x40	/* set's --label ... (issue 9) */
#define OS_UNSET	0x80	/* unset's --alias and --enforce */
#define OS_KEY		0x100	/* key's --models, --all, --expires, --note, --grace */
#define OS_RESOLVE	0x200	/* resolve's --key-file */
#define OS_RELEASE	0x400	/* release's --session and --key-file (issue 9) */
#define OS_DELETE	0x800	/* delete's --force (issue 9) */
#define OS_TAG		0x1000	/* tag's --add and --remove (issue 11) */
#define OS_SELECT	0x2000	/* activate, deactivate, delete: selectors, --skip-refused, --dry-run */
#define OS_COLL		0x4000	/* collection create and add: selectors and --from */
#define OS_SWITCH	0x8000	/* collection switch: --default, --dry-run */
#define OS_CAP		0x10000	/* cap's --key, --period, --warn (issue 10) */
#define OS_USAGE	0x20000	/* usage's --by, --since, --model, --key, --limit, --unused (issue 10) */
#define OS_HISTORY	0x40000	/* history's --limit (issue 11 item 5) */
#define OS_UNDO		0x80000	/* undo's --dry-run */
#define OS_EXPORT	0x100000	/* export's --output (issue 11 item 4) */
#define OS_IMPORT	0x200000	/* import's --dry-run and --strict */

/* How parser.c checks an option's value. */
enum optcheck {
	V_ANY,		/* not empty */
	V_SET,		/* one of values */
	V_DURATION,	/* digits and a unit: 90s, 15m, 1h, 7d */
	V_COUNT,	/* 1 to OPT_MAXCOUNT */
	V_USER,		/* a user name of 1 to 64 bytes */
	V_DECIMAL,	/* a plain decimal: [-]digits[.digits] (issue 9) */
	V_INTEGER,	/* digits, a positive whole number */
};
#define OPT_MAXCOUNT	10000

/* What `__complete values` offers for an option. */
enum optcomplete { C_NONE, C_VALUES, C_MODELS };

struct optdef {
	const char	*name;		/* without the "--" */
	enum optid	 id;
	const char	*key;		/* the request key; NULL: sent as no key */
	const char	*fixed;		/* the value it stands for; NULL: takes a value */
	int		 sets;		/* OS_*: the commands that take it */
	enum optcheck	 check;
	const char *const *values;	/* V_SET: its values */
	enum optcomplete complete;
};
extern const struct optdef optdefs[];
extern const size_t noptdefs;

/*
 * What the command line asks for, as bgpctl's parser.c fills one struct:
 * parse_args() sets it, a command's run and render read it.
 */
struct command;
struct ctl {
	const char		*socket;
	int			 json;
	int			 yes;
	const struct command	*cmd;		/* NULL when none was given */
	int			 argc;		/* the operands after the command */
	char			**argv;
	const char		*opt[O_COUNT];	/* a command option's value, or NULL */
	const char		*optname[O_COUNT];	/* as given, for messages */
};

/*
 * The command table (commands.c): one entry a command. The parser checks
 * the operand count, the operand set and every option against it before
 * anything runs; run sends the request (NULL: one request of the verb, its
 * operands and options, or one request per model with CMD_MULTI), render
 * prints a reply's records (text or JSON after ctl->json) and returns the
 * exit code.
 */
#define CMD_MULTI	0x01	/* with operands: one request per model, pipelined */
#define CMD_CONFIRM	0x02	/* ask on a terminal unless --yes */

struct command {
	const char	*name;
	const char	*verb;		/* the protocol verb */
	int		 minargs;
	int		 maxargs;	/* -1: no limit */
	int		 flags;		/* CMD_* */
	int		 opts;		/* OS_*: the options it takes */
	const char	*operand;	/* what the operand completes to and is
					   called in messages: "model",
					   "catalog", "source", "command", or NULL */
	const char *const *operands;	/* the operand's only values, or NULL */
	const char	*args;		/* usage after the name */
	const char	*summary;	/* its line in the command list */
	const char	*about;		/* help COMMAND: what it does, whole lines */
	const char	*options;	/* help COMMAND: its options, a line each, or NULL */
	const char	*done;		/* an outcome's word: "activated" */
	int		(*run)(struct ctl *);
	int		(*render)(const struct ctl *, struct record *, int n);
};
extern const struct command commands[];
extern const size_t ncommands;
const struct command *command_find(const char *name);	/* NULL: none */

/* parser.c: argv into struct ctl; usage and help. */
enum parse_action { PARSE_RUN, PARSE_HELP, PARSE_COMMAND_HELP, PARSE_VERSION,
    PARSE_COMPLETE };
/* Usage errors are printed and exit 2; for PARSE_COMPLETE, argc/argv are __complete's words. */
enum parse_action parse_args(struct ctl *, int argc, char **argv);
int	 one_of(const char *v, const char *const *set);
void	 usage_error(const struct command *, const char *, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
void	 help(void);				/* the whole help */
void	 help_command(const struct command *);	/* help COMMAND */

/* request.c: requests to the daemon; each returns an exit code. */
int	 run_single(struct ctl *);	/* one request, its reply rendered */
/* The same with one more option xkey=xval after the others (resolve's key=, read from a file); the request is wiped after. */
int	 run_single_with(struct ctl *, const char *xkey, const char *xval);
/* list and catalog: page through the daemon's reply (limit=, after=), render it whole. */
#define CTL_PAGE	1000
int	 run_paged(struct ctl *);
int	 run_models(struct ctl *);	/* one request per operand, pipelined */
int	 run_follow(struct ctl *);	/* WATCH: events as they come */
int	 run_unset(struct ctl *);	/* unset: its names in the wire spelling, then run_single */
/* Print an ERR reply's message (sanitised); its exit code (request.c). */
int	 reply_error(const struct reply *);
int	 ctl_request(struct ctl *, const struct buf *req, struct reply *);
/* Issue 11 (tags.c) shares request.c's builders: a word (key may be NULL), the LF, the options given. */
void	 req_word(struct buf *, const char *key, const char *word,
	    const struct command *, size_t start);
void	 req_end(struct buf *);
void	 req_options(const struct ctl *, const struct command *, struct buf *);
struct record *records_parse(const struct ctl *, const struct reply *);
/* Ask "Verb N models (a, b, ...)? [y/N]" on a terminal unless --yes: 0 go on, -1 no. */
int	 ctl_confirm(const struct ctl *, const struct command *, int argc,
	    char **argv);
/* tags.c (issue 11): activate, deactivate, delete with selectors (BATCH); tag; collection. */
int	 run_change(struct ctl *);
int	 run_collection(struct ctl *);
/* A BATCH-shaped reply (BATCH, UNDO): outcomes, the message; 1 when refused. */
int	 batch_render(const struct ctl *, struct record *, int n);
/* history.c (issue 11 item 5): history [show ID]; undo's reply. */
int	 run_history(struct ctl *);
int	 render_history(const struct ctl *, struct record *, int n);
int	 render_undo(const struct ctl *, struct record *, int n);
/* export.c (issue 11 item 4): export to stdout or --output; import FILE. */
int	 run_export(struct ctl *);
int	 run_import(struct ctl *);

/* complete.c: the hidden __complete command. */
int	 complete_main(struct ctl *, int argc, char **argv);

/* modelregctl.c */
int	 ctl_worse(int a, int b);	/* the worse of two exit codes */
void	 ctl_vwarn(int errnum, const char *fmt, va_list ap);
void	 ctl_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
