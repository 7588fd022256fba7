/* config_int.h: what config.c (the reader), config_keys.c (the key table) and config_check.c (whole-file rules) share. Private to them. */
#ifndef MODELREG_CONFIG_INT_H
#define MODELREG_CONFIG_INT_H

#include <sys/types.h>
#include <sys/un.h>

#include <stddef.h>

#include "config.h"

#ifndef MODELREG_SOCKET
#define MODELREG_SOCKET		"/run/modelreg/modelregd.sock"
#endif
#ifndef MODELREG_DATABASE
#define MODELREG_DATABASE	"/var/lib/modelreg/registry.db"
#endif
#ifndef MODELREG_SEED_SNAPSHOT
#define MODELREG_SEED_SNAPSHOT	"/usr/share/modelreg/seed/mistral-models.json"
#endif

#define CFG_FILE_MAX	(1024 * 1024)	/* a bigger file is refused, not read */
#define CFG_LINE_MAX	4096		/* never reached: inih's lines are shorter */
#define CFG_LIST_MAX	1024		/* entries in one list */
#define CFG_WORD_MAX	255		/* bytes in one list entry or model id */
#define CFG_ERRORS_MAX	100		/* problems reported before giving up */
#define CFG_SHOW_MAX	64		/* bytes of a bad value quoted in a message */
#define CFG_SOCKET_MAX	(sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* Bounds of the timing and size keys, in seconds and bytes. */
#define TIMEOUT_MAX	3600
#define RETRY_MIN_MAX	86400
#define RETRY_MAX_MAX	(7 * 86400)
#define INTERVAL_MAX	(30 * 86400)
#define RETENTION_MIN	3600
#define EXPIRY_WARNING_MAX	(365 * 86400)
#define RETENTION_MAX	(3650L * 86400)	/* cfg_parse_duration's own cap */
#define MAX_SIZE_MIN	1024
#define MAX_SIZE_MAX	(256UL * 1024 * 1024)
#define CONCURRENCY_MAX	64
#define RETRIES_MAX	100
#define ARGV_MAX	64		/* words in [alerts] exec */
/* Issue 8: the control socket's connection slots and timeouts. */
#define MAX_CLIENTS_MAX	65536
#define RESERVED_CLIENTS_MAX	1023	/* below the default max_clients, so the key alone is valid */
#define IDLE_TIMEOUT_MAX	(30 * 86400)
/* Issue 9 item 4: [resolve] sessions. */
#define SESSION_TTL_MAX		(30 * 86400)
#define MAX_SESSIONS_MAX	10000000

enum section {
	SEC_NONE = 0,		/* before the first header */
	SEC_UNKNOWN,
	SEC_DAEMON,
	SEC_ACCESS,
	SEC_SEED,
	SEC_CATALOG,
	SEC_ZDR,
	SEC_UPTIME,
	SEC_ALERTS,
	SEC_DEFAULTS,
	SEC_RESOLVE,		/* issue 9: RESOLVE's policy */
	SEC_METRICS,		/* issue 10: the Prometheus endpoint */
	SEC_USAGE,		/* issue 10: USAGE */
	SEC_COUNT
};

extern const char *const cfg_section_names[SEC_COUNT];

/*
 * Every key, by name: the table (cfg_keys) is indexed by these, and the
 * whole-file rules (config_check.c) name the keys they compare.
 */
enum key {
	K_SOCKET,
	K_SOCKET_MODE,
	K_DATABASE,
	K_LOG_LEVEL,
	K_EVENT_RETENTION,
	K_ADMIN,
	K_MEMBER,
	K_VIEWER,
	K_SERVICE,	/* issue 9 */
	K_URL,
	K_FORMAT,
	K_API_KEY_FILE,
	K_ALWAYS_ACTIVE,
	K_ALWAYS_INACTIVE,
	K_NEW_MODEL_STATUS,
	K_DEFAULT_MODEL,
	K_TIMEOUT,
	K_RETRY_MIN,
	K_RETRY_MAX,
	K_MAX_SIZE,
	K_CAT_URL,
	K_CAT_FORMAT,
	K_CAT_API_KEY_FILE,
	K_CAT_INTERVAL,
	K_CAT_TIMEOUT,
	K_CAT_RETRY_MIN,
	K_CAT_RETRY_MAX,
	K_CAT_MAX_SIZE,
	K_CAT_MAX_DROP,
	K_CAT_PRICE_INCREASE,
	K_CAT_EXPIRY_WARNING,
	K_ZDR_URL,
	K_ZDR_API_KEY_FILE,
	K_ZDR_INTERVAL,
	K_ZDR_TIMEOUT,
	K_ZDR_RETRY_MIN,
	K_ZDR_RETRY_MAX,
	K_ZDR_MAX_SIZE,
	K_ZDR_ENFORCE,
	K_ZDR_MAX_REMOVE,
	K_UP_URL,
	K_UP_API_KEY_FILE,
	K_UP_INTERVAL,
	K_UP_TIMEOUT,
	K_UP_GREEN,
	K_UP_YELLOW,
	K_UP_CONCURRENCY,
	K_UP_RETENTION,
	K_UP_MAX_SIZE,
	K_AL_EXEC,
	K_AL_WEBHOOK,
	K_AL_RETRIES,
	K_AL_TIMEOUT,
	K_DEF_FALLBACK,
	K_MAX_CLIENTS,
	K_MAX_CLIENTS_PER_UID,
	K_RESERVED_CLIENTS,
	K_REQUEST_TIMEOUT,
	K_IDLE_TIMEOUT,
	K_REPLY_BUDGET,
	K_CACHE_SIZE,
	K_RES_FAILOVER,
	K_RES_SESSION_TTL,	/* issue 9 item 4: [resolve] */
	K_RES_MAX_SESSIONS,
	K_MET_LISTEN,		/* issue 10 item 4: [metrics] */
	K_MET_MAX_MODELS,
	K_MET_MAX_CONNECTIONS,
	K_MET_TIMEOUT,
	K_AL_SMTP_URL,		/* issue 10 item 3: [alerts] mail (config_mail.c) */
	K_AL_SMTP_USER,
	K_AL_SMTP_PASSWORD_FILE,
	K_AL_SMTP_CA_FILE,
	K_AL_MAIL_FROM,
	K_AL_MAIL_TO,
	K_AL_MAIL_KINDS,
	K_AL_FLAP_WINDOW,
	K_USAGE_MAX_REPORT_COST,	/* issue 10 */
	K_COUNT
};

/* What a key's value is, and so which parser reads it and what it writes. */
enum cfg_type {
	T_PATH,		/* char *: an absolute path of at most max bytes */
	T_URL,		/* char *: http(s):// (file:// with URL_FILE); empty: NULL */
	T_DURATION,	/* int: seconds from min to max ("30", "5m", "1h", "2d") */
	T_PERCENT,	/* int: 0..100, "50" or "50%" */
	T_INT,		/* int: a whole number from min to max */
	T_SIZE,		/* size_t: bytes from 1K to 256M ("65536", "512K", "32M") */
	T_BOOL,		/* int: 1 for the word yes, 0 for the word no */
	T_FORMAT,	/* enum cat_format: auto, mistral, openrouter, openai */
	T_LIST,		/* struct cfg_list: words, continued on indented lines */
	T_MODE,		/* mode_t: octal permission bits */
	T_LOG_LEVEL,	/* int: a syslog priority, by name */
	T_MODEL,	/* char *: one model id; empty: NULL */
	T_ARGV,		/* struct cfg_list, NULL-terminated: a command line without a shell */
	T_LISTEN,	/* char *: ADDRESS:PORT or a socket path (metrics_addr_parse); empty: NULL */
	T_SMTP_URL,	/* char *: smtp:// or smtps://, host, no userinfo; empty: NULL */
	T_MAIL_ADDR,	/* char *: one bare address, local@domain; empty: NULL */
	T_TEXT,		/* char *: one line of printable text, at most max bytes; empty: NULL */
};

/* Flags of a key. */
#define URL_FILE	0x01	/* T_URL: file:// too, not only http(s):// */
#define URL_TEMPLATE	0x02	/* T_URL: must hold "{id}" exactly once, after the host */
#define URL_SECRET	0x04	/* T_URL: never shown: the url may be the credential */
#define F_SECRET	0x08	/* T_PATH: never shown: the key itself may be pasted there */
#define F_EMPTY_NONE	0x10	/* T_PATH: an empty value is "none" (NULL) */
#define F_SHOW_MAX	0x20	/* T_PATH: a bad value's message says the limit */
#define F_ACCESS	0x40	/* T_LIST: user names, @groups and "*", not model ids */
#define F_MAIL		0x80	/* T_LIST: mail addresses (config_mail.c) */
#define F_KIND		0x100	/* T_LIST: event kinds, or "*" (config_mail.c) */

/* One key of the file: where it is, what it takes, where it goes. */
struct cfg_key {
	enum section	 sec;
	const char	*name;
	enum cfg_type	 type;
	size_t		 off;		/* offsetof(struct config, ...) of the value */
	long		 min, max;	/* T_DURATION, T_INT bounds; T_PATH: max length */
	int		 flags;
	const char	*off_text;	/* T_URL: what an empty value does, for messages */
	const char	*yes, *no;	/* T_BOOL: the two words */
};

extern const struct cfg_key cfg_keys[K_COUNT];

/* What the reader found the current line to be, as inih will see it. */
enum linekind {
	L_NONE = 0,		/* blank, comment, or refused by the reader */
	L_SECTION,
	L_KEY,
	L_CONT,			/* indented: continues the previous key */
};

#define CONT_NONE	(-1)	/* no key to continue */
#define CONT_IGNORE	(-2)	/* the key's first line was bad: already reported */

/* One parse: the reader's position, inih's state mirrored, the result and the problems. */
struct pctx {
	const char	*name;
	const char	*p, *end;
	int		 lineno;
	enum linekind	 kind;
	int		 prev_name;	/* inih would take an indented line as a continuation */
	enum section	 section;
	int		 cont_key;	/* enum key, CONT_NONE or CONT_IGNORE */
	int		 seen[K_COUNT];	/* line that set the key, 0 if not set */
	int		*wline[K_COUNT];	/* for list keys: the line of each entry */
	struct config	*cfg;
	char		**msg;		/* problems, "file:line: message" */
	int		*msgline;
	size_t		 nmsg;
	int		 stop;		/* too many problems: the reader ends the parse */
	int		 oom;
};

/* config.c */
void	 pctx_error(struct pctx *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/* A value from the file as shown in a message: cut short at dstlen. */
const char *cfg_show(char *dst, size_t dstlen, const char *s);
int	 cfg_is_blank(char);
void	 cfg_list_free(struct cfg_list *);
/* Replace *dst with a copy of v (NULL: none). 0, or -1 with c->oom set. */
int	 cfg_set_string(struct pctx *, char **dst, const char *v);

/* config_keys.c: the value parsers, driven by the table. */
/* Set key k (not a list) from the value of the current line. */
void	 cfg_set_value(struct pctx *, enum key, const char *value);
/* Append the words of value to list key k. */
void	 cfg_list_add(struct pctx *, enum key, const char *value);
/* The list key k fills. */
struct cfg_list *cfg_key_list(struct config *, enum key);

/* config_check.c: rules over the whole file, once it is read. */
void	 cfg_seed_defaults(struct pctx *);
void	 cfg_check(struct pctx *);

/* config_mail.c (issue 10 item 3): the [alerts] mail keys. */
#define FLAP_WINDOW_MAX	(7 * 86400)
#define SMTP_USER_MAX	255
/* A list entry of a F_MAIL or F_KIND key: NULL if good, else why not. */
const char *cfg_check_mail_word(int flags, const char *w);
void	 cfg_set_smtp_url(struct pctx *, enum key, const char *, char **);
void	 cfg_set_mail_addr(struct pctx *, enum key, const char *, char **);
void	 cfg_set_text(struct pctx *, enum key, const char *, char **);
/* The keys' whole-file rules and mail_kinds' default. */
void	 cfg_check_mail(struct pctx *);

#endif
