/* config.c: parse modelregd.conf (INI, through inih) into a struct config, collecting every problem as file:line. */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include <ini.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "url.h"

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

/* The PeerAI document's always-active list, spelled as the bundled snapshot's ids. */
static const char *const default_always_active[] = {
	"mistral-large-latest",
	"mistral-medium-latest",
	"mistral-tiny-latest",
	"open-mistral-nemo-2407",
	"pixtral-large-2411",
};

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
	SEC_COUNT
};

static const char *const section_names[SEC_COUNT] = {
	[SEC_DAEMON] = "daemon",
	[SEC_ACCESS] = "access",
	[SEC_SEED] = "seed",
	[SEC_CATALOG] = "catalog",
	[SEC_ZDR] = "zdr",
	[SEC_UPTIME] = "uptime",
	[SEC_ALERTS] = "alerts",
	[SEC_DEFAULTS] = "defaults",
};

enum key {
	K_SOCKET,
	K_SOCKET_MODE,
	K_DATABASE,
	K_LOG_LEVEL,
	K_EVENT_RETENTION,
	K_ADMIN,
	K_MEMBER,
	K_VIEWER,
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
	K_COUNT
};

static const struct keydef {
	enum section	 sec;
	const char	*name;
	int		 list;
} keys[K_COUNT] = {
	[K_SOCKET] =		{ SEC_DAEMON, "socket", 0 },
	[K_SOCKET_MODE] =	{ SEC_DAEMON, "socket_mode", 0 },
	[K_DATABASE] =		{ SEC_DAEMON, "database", 0 },
	[K_LOG_LEVEL] =		{ SEC_DAEMON, "log_level", 0 },
	[K_EVENT_RETENTION] =	{ SEC_DAEMON, "event_retention", 0 },
	[K_ADMIN] =		{ SEC_ACCESS, "admin", 1 },
	[K_MEMBER] =		{ SEC_ACCESS, "member", 1 },
	[K_VIEWER] =		{ SEC_ACCESS, "viewer", 1 },
	[K_URL] =		{ SEC_SEED, "url", 0 },
	[K_FORMAT] =		{ SEC_SEED, "format", 0 },
	[K_API_KEY_FILE] =	{ SEC_SEED, "api_key_file", 0 },
	[K_ALWAYS_ACTIVE] =	{ SEC_SEED, "always_active", 1 },
	[K_ALWAYS_INACTIVE] =	{ SEC_SEED, "always_inactive", 1 },
	[K_NEW_MODEL_STATUS] =	{ SEC_SEED, "new_model_status", 0 },
	[K_DEFAULT_MODEL] =	{ SEC_SEED, "default_model", 0 },
	[K_TIMEOUT] =		{ SEC_SEED, "timeout", 0 },
	[K_RETRY_MIN] =		{ SEC_SEED, "retry_min", 0 },
	[K_RETRY_MAX] =		{ SEC_SEED, "retry_max", 0 },
	[K_MAX_SIZE] =		{ SEC_SEED, "max_size", 0 },
	[K_CAT_URL] =		{ SEC_CATALOG, "url", 0 },
	[K_CAT_FORMAT] =	{ SEC_CATALOG, "format", 0 },
	[K_CAT_API_KEY_FILE] =	{ SEC_CATALOG, "api_key_file", 0 },
	[K_CAT_INTERVAL] =	{ SEC_CATALOG, "interval", 0 },
	[K_CAT_TIMEOUT] =	{ SEC_CATALOG, "timeout", 0 },
	[K_CAT_RETRY_MIN] =	{ SEC_CATALOG, "retry_min", 0 },
	[K_CAT_RETRY_MAX] =	{ SEC_CATALOG, "retry_max", 0 },
	[K_CAT_MAX_SIZE] =	{ SEC_CATALOG, "max_size", 0 },
	[K_CAT_MAX_DROP] =	{ SEC_CATALOG, "max_drop", 0 },
	[K_CAT_PRICE_INCREASE] = { SEC_CATALOG, "price_increase", 0 },
	[K_CAT_EXPIRY_WARNING] =	{ SEC_CATALOG, "expiry_warning", 0 },
	[K_ZDR_URL] =		{ SEC_ZDR, "url", 0 },
	[K_ZDR_API_KEY_FILE] =	{ SEC_ZDR, "api_key_file", 0 },
	[K_ZDR_INTERVAL] =	{ SEC_ZDR, "interval", 0 },
	[K_ZDR_TIMEOUT] =	{ SEC_ZDR, "timeout", 0 },
	[K_ZDR_RETRY_MIN] =	{ SEC_ZDR, "retry_min", 0 },
	[K_ZDR_RETRY_MAX] =	{ SEC_ZDR, "retry_max", 0 },
	[K_ZDR_MAX_SIZE] =	{ SEC_ZDR, "max_size", 0 },
	[K_ZDR_ENFORCE] =	{ SEC_ZDR, "enforce", 0 },
	[K_ZDR_MAX_REMOVE] =	{ SEC_ZDR, "max_remove", 0 },
	[K_UP_URL] =		{ SEC_UPTIME, "url", 0 },
	[K_UP_API_KEY_FILE] =	{ SEC_UPTIME, "api_key_file", 0 },
	[K_UP_INTERVAL] =	{ SEC_UPTIME, "interval", 0 },
	[K_UP_TIMEOUT] =	{ SEC_UPTIME, "timeout", 0 },
	[K_UP_GREEN] =		{ SEC_UPTIME, "green", 0 },
	[K_UP_YELLOW] =		{ SEC_UPTIME, "yellow", 0 },
	[K_UP_CONCURRENCY] =	{ SEC_UPTIME, "concurrency", 0 },
	[K_UP_RETENTION] =	{ SEC_UPTIME, "retention", 0 },
	[K_UP_MAX_SIZE] =	{ SEC_UPTIME, "max_size", 0 },
	[K_AL_EXEC] =		{ SEC_ALERTS, "exec", 0 },
	[K_AL_WEBHOOK] =	{ SEC_ALERTS, "webhook", 0 },
	[K_AL_RETRIES] =	{ SEC_ALERTS, "retries", 0 },
	[K_AL_TIMEOUT] =	{ SEC_ALERTS, "timeout", 0 },
	[K_DEF_FALLBACK] =	{ SEC_DEFAULTS, "fallback", 1 },
};

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

static void	 cfg_list_free(struct cfg_list *);
static void	 pctx_error(struct pctx *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static char *
xstrdup_or_null(const char *s, int *fail)
{
	char	*r;

	if ((r = strdup(s)) == NULL)
		*fail = 1;
	return r;
}

struct config *
cfg_default(void)
{
	struct config	*cfg;
	size_t		 i, n;
	int		 fail = 0;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg->path = xstrdup_or_null("(built-in)", &fail);
	cfg->socket = xstrdup_or_null(MODELREG_SOCKET, &fail);
	cfg->socket_mode = 0660;
	cfg->database = xstrdup_or_null(MODELREG_DATABASE, &fail);
	cfg->log_level = LOG_INFO;
	cfg->have_access = 0;
	cfg->seed_url = xstrdup_or_null("file://" MODELREG_SEED_SNAPSHOT, &fail);
	cfg->seed_format = FMT_AUTO;
	cfg->seed_api_key_file = NULL;
	n = sizeof(default_always_active) / sizeof(default_always_active[0]);
	if ((cfg->always_active.v = calloc(n, sizeof(char *))) == NULL)
		fail = 1;
	else {
		for (i = 0; i < n; i++)
			cfg->always_active.v[i] =
			    xstrdup_or_null(default_always_active[i], &fail);
		cfg->always_active.n = n;
	}
	cfg->new_model_active = 0;
	cfg->default_model = xstrdup_or_null("mistral-medium-latest", &fail);
	cfg->seed_timeout = 30;
	cfg->seed_retry_min = 5;
	cfg->seed_retry_max = 600;
	cfg->seed_max_bytes = 32UL * 1024 * 1024;

	/* Issue 3's sources are off until a url is set; their other keys have defaults. */
	cfg->catalog_format = FMT_AUTO;
	cfg->catalog_interval = 3600;
	cfg->catalog_timeout = 30;
	cfg->catalog_retry_min = 30;
	cfg->catalog_retry_max = 3600;
	cfg->catalog_max_bytes = 64UL * 1024 * 1024;
	cfg->catalog_max_drop = 50;
	cfg->catalog_price_increase = 10;
	cfg->catalog_expiry_warning = 14 * 86400;
	cfg->zdr_interval = 3600;
	cfg->zdr_timeout = 30;
	cfg->zdr_retry_min = 30;
	cfg->zdr_retry_max = 3600;
	cfg->zdr_max_bytes = 16UL * 1024 * 1024;
	cfg->zdr_enforce = 0;
	cfg->zdr_max_remove = 25;
	cfg->uptime_interval = 300;
	cfg->uptime_timeout = 20;
	cfg->uptime_green = 95;
	cfg->uptime_yellow = 80;
	cfg->uptime_concurrency = 4;
	cfg->uptime_retention = 90 * 86400;
	cfg->uptime_max_bytes = 4UL * 1024 * 1024;
	cfg->alert_retries = 5;
	cfg->alert_timeout = 30;
	cfg->event_retention = 90 * 86400;
	if (fail) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

static void
cfg_list_free(struct cfg_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
cfg_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->socket);
	free(cfg->database);
	cfg_list_free(&cfg->admin);
	cfg_list_free(&cfg->member);
	cfg_list_free(&cfg->viewer);
	free(cfg->admin_line);
	free(cfg->member_line);
	free(cfg->viewer_line);
	free(cfg->seed_url);
	free(cfg->seed_api_key_file);
	cfg_list_free(&cfg->always_active);
	cfg_list_free(&cfg->always_inactive);
	free(cfg->default_model);
	free(cfg->catalog_url);
	free(cfg->catalog_api_key_file);
	free(cfg->zdr_url);
	free(cfg->zdr_api_key_file);
	free(cfg->uptime_url);
	free(cfg->uptime_api_key_file);
	cfg_list_free(&cfg->alert_exec);
	free(cfg->alert_webhook);
	cfg_list_free(&cfg->default_fallback);
	free(cfg);
}

void
cfg_errors_free(struct cfg_errors *errs)
{
	size_t	 i;

	if (errs == NULL)
		return;
	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

/* Append one message to errs; errs may be NULL. -1 when memory runs out. */
static int
errs_add(struct cfg_errors *errs, char *msg)
{
	char	**v;

	if (errs == NULL) {
		free(msg);
		return 0;
	}
	if (msg == NULL)
		return -1;
	if ((v = reallocarray(errs->msg, errs->n + 1, sizeof(*v))) == NULL) {
		free(msg);
		return -1;
	}
	errs->msg = v;
	errs->msg[errs->n++] = msg;
	return 0;
}

int
cfg_errors_add(struct cfg_errors *errs, char *msg)
{
	return errs_add(errs, msg);
}

static void
errs_addf(struct cfg_errors *errs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
errs_addf(struct cfg_errors *errs, const char *fmt, ...)
{
	struct buf	 b = { 0 };
	va_list		 ap;
	int		 rc;

	if (errs == NULL)
		return;
	va_start(ap, fmt);
	rc = buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (rc == -1) {
		buf_free(&b);
		return;
	}
	errs_add(errs, buf_steal(&b));
}

long
cfg_parse_duration(const char *s)
{
	const long	 max = 10L * 365 * 86400;
	long		 v = 0, mult = 1;
	size_t		 i;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return -1;
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (s[i] - '0');
		if (v > max)
			return -1;
	}
	switch (s[i]) {
	case '\0':
	case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		return -1;
	}
	if (s[i] != '\0' && s[i + 1] != '\0')
		return -1;
	if (v > max / mult)
		return -1;
	return v * mult;
}

int
cfg_list_has(const struct cfg_list *l, const char *s)
{
	size_t	 i;

	if (l == NULL || s == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

const char *
cfg_format_name(enum cat_format f)
{
	switch (f) {
	case FMT_MISTRAL:	return "mistral";
	case FMT_OPENROUTER:	return "openrouter";
	case FMT_OPENAI:	return "openai";
	case FMT_AUTO:		return "auto";
	}
	return "unknown";
}

/*
 * A value from the file as shown in a message: cut short, so that one bad
 * line cannot flood the output of modelregd -t.
 */
static const char *
show(char *dst, size_t dstlen, const char *s)
{
	if (strlen(s) < dstlen)
		snprintf(dst, dstlen, "%s", s);
	else
		snprintf(dst, dstlen, "%.*s...", (int)(dstlen - 4), s);
	return dst;
}

/* Record one problem at a line; stops the parse once there are too many. */
static void
pctx_error(struct pctx *c, int line, const char *fmt, ...)
{
	struct buf	 b = { 0 };
	va_list		 ap;
	char		**mv;
	int		*lv;
	int		 rc;

	if (c->oom || c->nmsg >= CFG_ERRORS_MAX + 1)
		return;
	if (c->nmsg == CFG_ERRORS_MAX) {
		/* One last message says why the rest are not listed. */
		rc = buf_printf(&b, "%s:%d: too many errors, stopped here",
		    c->name, line);
		c->stop = 1;
	} else {
		rc = buf_printf(&b, "%s:%d: ", c->name, line);
		if (rc == 0) {
			va_start(ap, fmt);
			rc = buf_vprintf(&b, fmt, ap);
			va_end(ap);
		}
	}
	mv = NULL;
	lv = NULL;
	if (rc == 0 &&
	    (mv = reallocarray(c->msg, c->nmsg + 1, sizeof(*mv))) != NULL)
		c->msg = mv;
	if (rc == 0 && mv != NULL &&
	    (lv = reallocarray(c->msgline, c->nmsg + 1, sizeof(*lv))) != NULL)
		c->msgline = lv;
	if (rc == -1 || mv == NULL || lv == NULL) {
		buf_free(&b);
		c->oom = 1;
		return;
	}
	c->msgline[c->nmsg] = line;
	if ((c->msg[c->nmsg] = buf_steal(&b)) == NULL) {
		c->oom = 1;
		return;
	}
	c->nmsg++;
}

/* inih's notion of blanks; the reader has already refused every other control character. */
static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * Where inih's find_chars_or_comment() stops: at one of chars, or at an
 * inline comment (';' after a blank), or at the end. Mirrored here so that
 * the reader classifies a line exactly as inih r55 will.
 */
static const char *
find_chars_or_comment(const char *s, const char *chars)
{
	int	 was_space = 0;

	while (*s != '\0' && (chars == NULL || strchr(chars, *s) == NULL) &&
	    !(was_space && *s == ';')) {
		was_space = is_blank(*s);
		s++;
	}
	return s;
}

static enum section
section_lookup(const char *name)
{
	size_t	 i;

	for (i = 0; i < SEC_COUNT; i++)
		if (section_names[i] != NULL && strcmp(section_names[i], name) == 0)
			return (enum section)i;
	return SEC_UNKNOWN;
}

/* "daemon, access, seed, ...": the known sections, or the known keys of one section. */
static const char *
known_names(char *dst, size_t dstlen, int sec)
{
	const char	*n;
	size_t		 i, len = 0;

	dst[0] = '\0';
	for (i = 0; i < (sec < 0 ? (size_t)SEC_COUNT : (size_t)K_COUNT); i++) {
		if (sec < 0)
			n = section_names[i];
		else if (keys[i].sec == (enum section)sec)
			n = keys[i].name;
		else
			n = NULL;
		if (n == NULL)
			continue;
		snprintf(dst + len, dstlen - len, "%s%s", len > 0 ? ", " : "",
		    n);
		len = strlen(dst);
	}
	return dst;
}

/*
 * A [section] header: inih keeps at most 49 bytes of the name and ignores
 * anything after ']'; we are stricter and use our own copy.
 */
static void
line_section(struct pctx *c, char *line, const char *s)
{
	char		 shown[CFG_SHOW_MAX];
	char		 name[CFG_WORD_MAX + 1];
	char		 known[256];
	const char	*e, *t, *b;
	size_t		 i;

	/* inih parses the line after us: read it, never write it. */
	e = find_chars_or_comment(s + 1, "]");
	if (*e != ']') {
		pctx_error(c, c->lineno,
		    "syntax error: section header without a closing \"]\"");
		line[0] = '\0';		/* inih would also reject it: hide it */
		/* Its keys are not misreported as keys of the section above. */
		c->section = SEC_UNKNOWN;
		c->cont_key = CONT_IGNORE;
		return;
	}
	for (t = e + 1; is_blank(*t); t++)
		;
	if (*t != '\0' && *t != ';' && *t != '#')
		pctx_error(c, c->lineno,
		    "unexpected text after the section header \"]\"");
	for (b = s + 1; is_blank(*b); b++)
		;
	for (t = e; t > b && is_blank(t[-1]); t--)
		;
	/* A longer name is cut here, and is unknown either way. */
	snprintf(name, sizeof(name), "%.*s", (int)(t - b), b);
	c->kind = L_SECTION;
	c->prev_name = 0;
	c->cont_key = CONT_NONE;
	c->section = section_lookup(name);
	if (c->section == SEC_ACCESS)
		c->cfg->have_access = 1;
	if (c->section != SEC_UNKNOWN)
		return;
	for (i = 0; i < SEC_COUNT; i++)
		if (section_names[i] != NULL &&
		    strcasecmp(section_names[i], name) == 0) {
			pctx_error(c, c->lineno, "unknown section [%s]: did "
			    "you mean [%s]? (names are lower case)",
			    show(shown, sizeof(shown), name), section_names[i]);
			return;
		}
	pctx_error(c, c->lineno, "unknown section [%s] (known sections: %s)",
	    show(shown, sizeof(shown), name),
	    known_names(known, sizeof(known), -1));
}

/*
 * Classify a line the way inih r55 will, before inih sees it: the handler
 * then knows whether it is called for a new key or a continuation line,
 * and the reader records syntax errors itself (all of them, not only the
 * first one that ini_parse_stream returns). A line the reader refuses is
 * replaced by an empty line, which inih skips without changing its state,
 * just as it does for the refused line itself.
 */
static void
line_classify(struct pctx *c, char *line)
{
	const char	*s, *e;
	char		*t;

	s = line;
	/* inih skips one UTF-8 byte order mark at the start of the file. */
	if (c->lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	while (is_blank(*s))
		s++;
	/* inih strips trailing blanks too: the same line either way. */
	for (t = line + strlen(line); t > s && is_blank(t[-1]); t--)
		t[-1] = '\0';
	if (*s == '\0' || *s == ';' || *s == '#')
		return;
	if (c->prev_name && s > line) {
		c->kind = L_CONT;
		return;
	}
	if (*s == '[') {
		line_section(c, line, s);
		return;
	}
	e = find_chars_or_comment(s, "=:");
	if (*e != '=' && *e != ':') {
		pctx_error(c, c->lineno, "syntax error: expected \"key = "
		    "value\", a [section] header or a comment");
		line[0] = '\0';
		c->cont_key = CONT_IGNORE;
		return;
	}
	c->kind = L_KEY;
	/* inih remembers the name for continuations only when it is not empty. */
	c->prev_name = e != s;
}

/*
 * inih's line reader, over memory. num is the size of inih's line buffer
 * (200 in Debian's build): a line whose text (without its LF or CR-LF) does
 * not fit in num - 1 bytes is refused whole, never cut, and its rest is
 * skipped so it cannot be read as a line of its own. The terminator is not
 * copied, so a line of exactly num - 1 bytes still fits.
 */
static char *
cfg_reader(char *str, int num, void *stream)
{
	struct pctx	*c = stream;
	const char	*line, *nl;
	size_t		 len, i, max;
	unsigned char	 ch;

	c->kind = L_NONE;
	if (c->p >= c->end || c->stop || c->oom || num < 2)
		return NULL;
	line = c->p;
	nl = memchr(line, '\n', (size_t)(c->end - line));
	len = (size_t)((nl != NULL ? nl : c->end) - line);
	c->p = nl != NULL ? nl + 1 : c->end;
	c->lineno++;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	str[0] = '\0';
	max = (size_t)num - 1;
	/*
	 * A refused line may have been a key: the indented lines after it
	 * would continue the key above it, and say so misleadingly.
	 */
	if (len > max) {
		pctx_error(c, c->lineno,
		    "line too long (more than %zu characters)", max);
		c->cont_key = CONT_IGNORE;
		return str;
	}
	for (i = 0; i < len; i++) {
		ch = (unsigned char)line[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
			pctx_error(c, c->lineno,
			    "control character 0x%02x in line", ch);
			c->cont_key = CONT_IGNORE;
			return str;
		}
	}
	memcpy(str, line, len);
	str[len] = '\0';
	line_classify(c, str);
	return str;
}

static struct cfg_list *
key_list(struct config *cfg, enum key k)
{
	switch (k) {
	case K_ADMIN:		return &cfg->admin;
	case K_MEMBER:		return &cfg->member;
	case K_VIEWER:		return &cfg->viewer;
	case K_ALWAYS_ACTIVE:	return &cfg->always_active;
	case K_ALWAYS_INACTIVE:	return &cfg->always_inactive;
	case K_DEF_FALLBACK:	return &cfg->default_fallback;
	default:		return NULL;
	}
}

/* Characters that never appear in a model id or a user or group name, and that hint at a mistake. */
static const char *
bad_word_char(const char *w)
{
	static const char	 bad[] = "\"'\\=[]";
	const char		*p;

	for (p = w; *p != '\0'; p++)
		if (strchr(bad, *p) != NULL || (unsigned char)*p < 0x20 ||
		    *p == 0x7f)
			return p;
	return NULL;
}

/* A model id (always lists, default_model): NULL if good, else why not. */
static const char *
check_model_id(const char *w)
{
	if (strlen(w) > CFG_WORD_MAX)
		return "too long (at most 255 bytes)";
	if (bad_word_char(w) != NULL)
		return "a model id cannot contain quotes, backslashes, "
		    "\"=\", \"[\" or \"]\"";
	return NULL;
}

/* An [access] entry: "*", "@group" or a user name. */
static const char *
check_access_word(const char *w)
{
	const char	*name = w;

	if (strcmp(w, "*") == 0)
		return NULL;
	if (strlen(w) > CFG_WORD_MAX)
		return "too long (at most 255 bytes)";
	if (*name == '@') {
		name++;
		if (*name == '\0')
			return "\"@\" must be followed by a group name";
	}
	if (bad_word_char(name) != NULL || strpbrk(name, "*@:/") != NULL)
		return "expected a user name, @group or *, and a name cannot "
		    "contain quotes, backslashes, \"=\", \"[\", \"]\", "
		    "\"*\", \"@\", \":\" or \"/\"";
	return NULL;
}

/* Append the words of value (separated by commas and blanks) to list key k. */
static void
list_add_words(struct pctx *c, enum key k, const char *value)
{
	struct cfg_list	*l = key_list(c->cfg, k);
	char		 shown[CFG_SHOW_MAX];
	char		 word[CFG_WORD_MAX + 2];
	const char	*p = value, *why;
	char		**v;
	int		*lines;
	size_t		 n;

	while (*p != '\0') {
		while (*p == ',' || is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		/* Longer than a word may be: keep enough to say so. */
		snprintf(word, sizeof(word), "%.*s",
		    (int)(n < sizeof(word) - 1 ? n : sizeof(word) - 1), p);
		p += n;
		if (k == K_ADMIN || k == K_MEMBER || k == K_VIEWER)
			why = check_access_word(word);
		else
			why = check_model_id(word);
		if (why != NULL) {
			pctx_error(c, c->lineno, "bad entry \"%s\" in %s: %s",
			    show(shown, sizeof(shown), word), keys[k].name, why);
			continue;
		}
		if (cfg_list_has(l, word))
			continue;	/* listed twice: once is enough */
		if (l->n >= CFG_LIST_MAX) {
			pctx_error(c, c->lineno,
			    "too many entries in %s (at most %d)",
			    keys[k].name, CFG_LIST_MAX);
			c->cont_key = CONT_IGNORE;
			return;
		}
		if ((v = reallocarray(l->v, l->n + 1, sizeof(*v))) == NULL) {
			c->oom = 1;
			return;
		}
		l->v = v;
		if ((lines = reallocarray(c->wline[k], l->n + 1,
		    sizeof(*lines))) == NULL) {
			c->oom = 1;
			return;
		}
		c->wline[k] = lines;
		if ((l->v[l->n] = strdup(word)) == NULL) {
			c->oom = 1;
			return;
		}
		c->wline[k][l->n] = c->lineno;
		l->n++;
	}
}

/* An absolute path no longer than max: NULL if good, else why not. */
static const char *
check_path(const char *v, size_t max)
{
	if (v[0] != '/')
		return "must be an absolute path";
	if (strlen(v) > max)
		return "path too long";
	return NULL;
}

static int
set_string(struct pctx *c, char **dst, const char *v)
{
	char	*s = NULL;

	if (v != NULL && (s = strdup(v)) == NULL) {
		c->oom = 1;
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* "1024", "64K", "32M" -> bytes; 0 if bad. */
static size_t
parse_size(const char *s)
{
	size_t	 v = 0, i, mult = 1;

	if (s[0] < '0' || s[0] > '9')
		return 0;
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++) {
		v = v * 10 + (size_t)(s[i] - '0');
		if (v > MAX_SIZE_MAX)
			return 0;
	}
	if (s[i] == 'K' || s[i] == 'k')
		mult = 1024;
	else if (s[i] == 'M' || s[i] == 'm')
		mult = 1024 * 1024;
	else if (s[i] != '\0')
		return 0;
	if (s[i] != '\0' && s[i + 1] != '\0')
		return 0;
	if (v > MAX_SIZE_MAX / mult)
		return 0;
	return v * mult;
}

/* A duration as the file would spell it, in its largest exact unit: 3600 -> "1h". */
static const char *
fmt_duration(char *dst, size_t dstlen, long s)
{
	if (s > 0 && s % 86400 == 0)
		snprintf(dst, dstlen, "%ldd", s / 86400);
	else if (s > 0 && s % 3600 == 0)
		snprintf(dst, dstlen, "%ldh", s / 3600);
	else if (s > 0 && s % 60 == 0)
		snprintf(dst, dstlen, "%ldm", s / 60);
	else
		snprintf(dst, dstlen, "%lds", s);
	return dst;
}

static void
set_duration(struct pctx *c, enum key k, const char *v, int *dst, long min,
    long max)
{
	char	 shown[CFG_SHOW_MAX], smin[32], smax[32];
	long	 d;

	d = cfg_parse_duration(v);
	if (d < min || d > max) {
		pctx_error(c, c->lineno, "bad %s \"%s\": expected a duration "
		    "from %s to %s, like 30, 30s, 5m, 1h or 2d",
		    keys[k].name, show(shown, sizeof(shown), v),
		    fmt_duration(smin, sizeof(smin), min),
		    fmt_duration(smax, sizeof(smax), max));
		return;
	}
	*dst = (int)d;
}

static void
set_size(struct pctx *c, enum key k, const char *v, size_t *dst)
{
	char	 shown[CFG_SHOW_MAX];
	size_t	 sz;

	sz = parse_size(v);
	if (sz < MAX_SIZE_MIN) {
		pctx_error(c, c->lineno, "bad %s \"%s\": expected bytes from "
		    "1K to 256M, like 32M, 65536 or 512K", keys[k].name,
		    show(shown, sizeof(shown), v));
		return;
	}
	*dst = sz;
}

/* A whole number from min to max, nothing around it. */
static void
set_number(struct pctx *c, enum key k, const char *v, int *dst, int min,
    int max)
{
	char	 shown[CFG_SHOW_MAX];
	long	 n = 0;
	size_t	 i;

	for (i = 0; v[i] >= '0' && v[i] <= '9' && n <= max; i++)
		n = n * 10 + (v[i] - '0');
	if (i == 0 || v[i] != '\0' || n < min || n > max) {
		pctx_error(c, c->lineno, "bad %s \"%s\": expected a number "
		    "from %d to %d", keys[k].name,
		    show(shown, sizeof(shown), v), min, max);
		return;
	}
	*dst = (int)n;
}

/* A share: "50" or "50%", 0 to 100. */
static void
set_percent(struct pctx *c, enum key k, const char *v, int *dst)
{
	char	 shown[CFG_SHOW_MAX];
	long	 n = 0;
	size_t	 i;

	for (i = 0; v[i] >= '0' && v[i] <= '9' && n <= 100; i++)
		n = n * 10 + (v[i] - '0');
	if (i == 0 || n > 100 || (v[i] != '\0' &&
	    (v[i] != '%' || v[i + 1] != '\0'))) {
		pctx_error(c, c->lineno, "bad %s \"%s\": expected a "
		    "percentage from 0 to 100, like 50 or 50%%", keys[k].name,
		    show(shown, sizeof(shown), v));
		return;
	}
	*dst = (int)n;
}

static void
set_format(struct pctx *c, enum key k, const char *v, enum cat_format *dst)
{
	char	 shown[CFG_SHOW_MAX];

	if (strcmp(v, "mistral") == 0)
		*dst = FMT_MISTRAL;
	else if (strcmp(v, "openrouter") == 0)
		*dst = FMT_OPENROUTER;
	else if (strcmp(v, "openai") == 0)
		*dst = FMT_OPENAI;
	else if (strcmp(v, "auto") == 0)
		*dst = FMT_AUTO;
	else
		pctx_error(c, c->lineno, "bad %s \"%s\": expected auto, "
		    "mistral, openrouter or openai", keys[k].name,
		    show(shown, sizeof(shown), v));
}

/*
 * The value is never shown: a key pasted here by mistake must not end up
 * in a log. Empty: none.
 */
static void
set_api_key_file(struct pctx *c, enum key k, const char *v, char **dst)
{
	const char	*why;

	if (v[0] == '\0') {
		set_string(c, dst, NULL);
		return;
	}
	if ((why = check_path(v, PATH_MAX - 1)) != NULL) {
		pctx_error(c, c->lineno, "bad %s: %s (the value is not shown, "
		    "in case it is the key itself)", keys[k].name, why);
		return;
	}
	set_string(c, dst, v);
}

/* What a url key accepts. */
#define URL_FILE	0x01	/* file:// too, not only http(s):// */
#define URL_TEMPLATE	0x02	/* must hold "{id}" exactly once, after the host */
#define URL_SECRET	0x04	/* never shown: the url may be the credential */

/*
 * A url: http://, https:// or (with URL_FILE) file:///path; empty is
 * "none" (*dst = NULL). off says what an empty value does, for messages.
 */
static void
set_url(struct pctx *c, enum key k, const char *v, char **dst, int flags,
    const char *off)
{
	char		 shown[CFG_SHOW_MAX], why_buf[160];
	const char	*why = NULL, *host = NULL, *p, *id;
	int		 nid = 0;

	if (v[0] == '\0') {
		set_string(c, dst, NULL);
		return;
	}
	if (strncmp(v, "http://", 7) == 0 && v[7] != '\0' && v[7] != '/')
		host = v + 7;
	else if (strncmp(v, "https://", 8) == 0 && v[8] != '\0' &&
	    v[8] != '/')
		host = v + 8;
	else if ((flags & URL_FILE) && strncmp(v, "file://", 7) == 0) {
		if (v[7] != '/')
			why = "a file:// url needs an absolute path, like "
			    "file:///usr/share/modelreg/seed/mistral-models.json";
	} else {
		snprintf(why_buf, sizeof(why_buf), "expected %s (or nothing, "
		    "%s)", (flags & URL_FILE) ? "http://, https:// or file://" :
		    "http:// or https://", off);
		why = why_buf;
	}
	if (why == NULL && strpbrk(v, " \t") != NULL)
		why = "a url cannot contain blanks";
	if (why == NULL && (flags & URL_TEMPLATE)) {
		for (p = v; (id = strstr(p, "{id}")) != NULL; p = id + 4)
			nid++;
		/* The id replaces a part of the path: never the host. */
		p = host != NULL ? strchr(host, '/') : NULL;
		if (nid != 1)
			why = "the url must contain \"{id}\" exactly once, "
			    "where the model id goes";
		else if (host != NULL && (p == NULL || strstr(v, "{id}") < p))
			why = "\"{id}\" must be in the path, after the host";
	}
	if (why != NULL) {
		if (flags & URL_SECRET)
			pctx_error(c, c->lineno, "bad %s: %s (the value is not "
			    "shown, in case it holds a secret)", keys[k].name,
			    why);
		else	/* shown as anywhere outside the file: no query values, no userinfo */
			pctx_error(c, c->lineno, "bad %s \"%s\": %s",
			    keys[k].name, url_redact(v, shown, sizeof(shown)),
			    why);
		return;
	}
	set_string(c, dst, v);
}

/*
 * [alerts] exec: a command line split into argv without a shell. Words are
 * separated by blanks; double quotes group blanks into a word (and may
 * join parts of one, as in a shell) and are removed; nothing else is
 * special, and there are no escapes. A single quote outside double quotes
 * is refused: it would not quote, and that is surely not what was meant.
 * The list is NULL-terminated (v[n] == NULL), ready for posix_spawn.
 */
static void
set_exec(struct pctx *c, enum key k, const char *v)
{
	struct cfg_list	 l = { NULL, 0 };
	char		 shown[CFG_SHOW_MAX];
	char		 word[CFG_LINE_MAX];
	const char	*p = v, *why = NULL;
	char		**nv;
	size_t		 len;
	int		 inq;

	if ((l.v = calloc(ARGV_MAX + 1, sizeof(char *))) == NULL) {
		c->oom = 1;
		return;
	}
	for (;;) {
		while (is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		if (l.n == ARGV_MAX) {
			why = "too many words (at most 64)";
			goto bad;
		}
		len = 0;
		inq = 0;
		while (*p != '\0' && (inq || !is_blank(*p))) {
			if (*p == '"')
				inq = !inq;
			else if (*p == '\'' && !inq) {
				why = "a single quote does not quote here: "
				    "group words with double quotes";
				goto bad;
			} else if (len < sizeof(word) - 1)
				word[len++] = *p;
			p++;
		}
		if (inq) {
			why = "a double quote is not closed";
			goto bad;
		}
		word[len] = '\0';
		if ((l.v[l.n] = strdup(word)) == NULL) {
			c->oom = 1;
			goto fail;
		}
		l.n++;
	}
	if (l.n > 0 && l.v[0][0] != '/') {
		why = "the program must be an absolute path, like "
		    "/usr/local/bin/modelreg-alert (no shell runs it)";
		goto bad;
	}
	if (l.n > 0 && strlen(l.v[0]) > PATH_MAX - 1) {
		why = "path too long";
		goto bad;
	}
	if (l.n == 0) {
		free(l.v);
		l.v = NULL;
	} else if ((nv = reallocarray(l.v, l.n + 1, sizeof(*nv))) != NULL)
		l.v = nv;	/* shrunk; on failure the bigger array is kept */
	cfg_list_free(&c->cfg->alert_exec);
	c->cfg->alert_exec = l;
	return;
bad:
	pctx_error(c, c->lineno, "bad %s \"%s\": %s", keys[k].name,
	    show(shown, sizeof(shown), v), why);
fail:
	cfg_list_free(&l);
}

/* A key that takes one value. */
static void
set_scalar(struct pctx *c, enum key k, const char *v)
{
	struct config	*cfg = c->cfg;
	char		 shown[CFG_SHOW_MAX];
	const char	*why;
	long		 mode;

	switch (k) {
	case K_SOCKET:
		if ((why = check_path(v, CFG_SOCKET_MAX)) != NULL) {
			pctx_error(c, c->lineno, "bad socket \"%s\": %s (at "
			    "most %zu bytes)", show(shown, sizeof(shown), v),
			    why, CFG_SOCKET_MAX);
			return;
		}
		set_string(c, &cfg->socket, v);
		return;
	case K_DATABASE:
		if ((why = check_path(v, PATH_MAX - 1)) != NULL) {
			pctx_error(c, c->lineno, "bad database \"%s\": %s",
			    show(shown, sizeof(shown), v), why);
			return;
		}
		set_string(c, &cfg->database, v);
		return;
	case K_SOCKET_MODE:
		/*
		 * Always octal, as chmod(1) reads it: "660" is 0660, not
		 * decimal 660. Leading zeros are allowed; the value must be
		 * permission bits only (no setuid, setgid or sticky bit).
		 */
		mode = -1;
		if (v[0] != '\0' && strlen(v) <= 12 &&
		    strspn(v, "01234567") == strlen(v))
			mode = strtol(v, NULL, 8);
		if (mode < 0 || mode > 0777) {
			pctx_error(c, c->lineno, "bad socket_mode \"%s\": "
			    "expected an octal mode from 0000 to 0777, like "
			    "0660 (or 660)", show(shown, sizeof(shown), v));
			return;
		}
		cfg->socket_mode = (mode_t)mode;
		return;
	case K_LOG_LEVEL:
		/* log_parse_level() also takes aliases and any case; the file takes these five. */
		if (strcmp(v, "error") != 0 && strcmp(v, "warning") != 0 &&
		    strcmp(v, "notice") != 0 && strcmp(v, "info") != 0 &&
		    strcmp(v, "debug") != 0) {
			pctx_error(c, c->lineno, "bad log_level \"%s\": "
			    "expected error, warning, notice, info or debug",
			    show(shown, sizeof(shown), v));
			return;
		}
		cfg->log_level = log_parse_level(v);
		return;
	case K_EVENT_RETENTION:
		set_duration(c, k, v, &cfg->event_retention, RETENTION_MIN,
		    RETENTION_MAX);
		return;

	case K_URL:
		set_url(c, k, v, &cfg->seed_url, URL_FILE, "to disable seeding");
		return;
	case K_FORMAT:
		set_format(c, k, v, &cfg->seed_format);
		return;
	case K_API_KEY_FILE:
		set_api_key_file(c, k, v, &cfg->seed_api_key_file);
		return;
	case K_NEW_MODEL_STATUS:
		if (strcmp(v, "active") == 0)
			cfg->new_model_active = 1;
		else if (strcmp(v, "inactive") == 0)
			cfg->new_model_active = 0;
		else
			pctx_error(c, c->lineno, "bad new_model_status \"%s\": "
			    "expected active or inactive",
			    show(shown, sizeof(shown), v));
		return;
	case K_DEFAULT_MODEL:
		if (v[0] == '\0') {
			set_string(c, &cfg->default_model, NULL);
			return;
		}
		if (strpbrk(v, ", \t") != NULL)
			why = "expected one model id";
		else
			why = check_model_id(v);
		if (why != NULL) {
			pctx_error(c, c->lineno, "bad default_model \"%s\": %s",
			    show(shown, sizeof(shown), v), why);
			return;
		}
		set_string(c, &cfg->default_model, v);
		return;
	case K_TIMEOUT:
		set_duration(c, k, v, &cfg->seed_timeout, 1, TIMEOUT_MAX);
		return;
	case K_RETRY_MIN:
		set_duration(c, k, v, &cfg->seed_retry_min, 1, RETRY_MIN_MAX);
		return;
	case K_RETRY_MAX:
		set_duration(c, k, v, &cfg->seed_retry_max, 1, RETRY_MAX_MAX);
		return;
	case K_MAX_SIZE:
		set_size(c, k, v, &cfg->seed_max_bytes);
		return;

	case K_CAT_URL:
		set_url(c, k, v, &cfg->catalog_url, URL_FILE,
		    "to turn the catalog off");
		return;
	case K_CAT_FORMAT:
		set_format(c, k, v, &cfg->catalog_format);
		return;
	case K_CAT_API_KEY_FILE:
		set_api_key_file(c, k, v, &cfg->catalog_api_key_file);
		return;
	case K_CAT_INTERVAL:
		set_duration(c, k, v, &cfg->catalog_interval, 1, INTERVAL_MAX);
		return;
	case K_CAT_TIMEOUT:
		set_duration(c, k, v, &cfg->catalog_timeout, 1, TIMEOUT_MAX);
		return;
	case K_CAT_RETRY_MIN:
		set_duration(c, k, v, &cfg->catalog_retry_min, 1,
		    RETRY_MIN_MAX);
		return;
	case K_CAT_RETRY_MAX:
		set_duration(c, k, v, &cfg->catalog_retry_max, 1,
		    RETRY_MAX_MAX);
		return;
	case K_CAT_MAX_SIZE:
		set_size(c, k, v, &cfg->catalog_max_bytes);
		return;
	case K_CAT_MAX_DROP:
		set_percent(c, k, v, &cfg->catalog_max_drop);
		return;
	case K_CAT_PRICE_INCREASE:
		set_percent(c, k, v, &cfg->catalog_price_increase);
		return;
	case K_CAT_EXPIRY_WARNING:
		/* 0 turns model.expiring off; model.expired is always raised. */
		set_duration(c, k, v, &cfg->catalog_expiry_warning, 0,
		    EXPIRY_WARNING_MAX);
		return;

	case K_ZDR_URL:
		set_url(c, k, v, &cfg->zdr_url, URL_FILE,
		    "to turn ZDR tracking off");
		return;
	case K_ZDR_API_KEY_FILE:
		set_api_key_file(c, k, v, &cfg->zdr_api_key_file);
		return;
	case K_ZDR_INTERVAL:
		set_duration(c, k, v, &cfg->zdr_interval, 1, INTERVAL_MAX);
		return;
	case K_ZDR_TIMEOUT:
		set_duration(c, k, v, &cfg->zdr_timeout, 1, TIMEOUT_MAX);
		return;
	case K_ZDR_RETRY_MIN:
		set_duration(c, k, v, &cfg->zdr_retry_min, 1, RETRY_MIN_MAX);
		return;
	case K_ZDR_RETRY_MAX:
		set_duration(c, k, v, &cfg->zdr_retry_max, 1, RETRY_MAX_MAX);
		return;
	case K_ZDR_MAX_SIZE:
		set_size(c, k, v, &cfg->zdr_max_bytes);
		return;
	case K_ZDR_ENFORCE:
		/* One spelling, as the issue gives it: "on" or "1" get a clear error. */
		if (strcmp(v, "yes") == 0)
			cfg->zdr_enforce = 1;
		else if (strcmp(v, "no") == 0)
			cfg->zdr_enforce = 0;
		else
			pctx_error(c, c->lineno, "bad enforce \"%s\": expected "
			    "yes or no", show(shown, sizeof(shown), v));
		return;
	case K_ZDR_MAX_REMOVE:
		set_percent(c, k, v, &cfg->zdr_max_remove);
		return;

	case K_UP_URL:
		set_url(c, k, v, &cfg->uptime_url, URL_FILE | URL_TEMPLATE,
		    "to turn uptime tracking off");
		return;
	case K_UP_API_KEY_FILE:
		set_api_key_file(c, k, v, &cfg->uptime_api_key_file);
		return;
	case K_UP_INTERVAL:
		set_duration(c, k, v, &cfg->uptime_interval, 1, INTERVAL_MAX);
		return;
	case K_UP_TIMEOUT:
		set_duration(c, k, v, &cfg->uptime_timeout, 1, TIMEOUT_MAX);
		return;
	case K_UP_GREEN:
		set_percent(c, k, v, &cfg->uptime_green);
		return;
	case K_UP_YELLOW:
		set_percent(c, k, v, &cfg->uptime_yellow);
		return;
	case K_UP_CONCURRENCY:
		set_number(c, k, v, &cfg->uptime_concurrency, 1,
		    CONCURRENCY_MAX);
		return;
	case K_UP_RETENTION:
		set_duration(c, k, v, &cfg->uptime_retention, RETENTION_MIN,
		    RETENTION_MAX);
		return;
	case K_UP_MAX_SIZE:
		set_size(c, k, v, &cfg->uptime_max_bytes);
		return;

	case K_AL_EXEC:
		set_exec(c, k, v);
		return;
	case K_AL_WEBHOOK:
		set_url(c, k, v, &cfg->alert_webhook, URL_SECRET,
		    "for no webhook");
		return;
	case K_AL_RETRIES:
		set_number(c, k, v, &cfg->alert_retries, 1, RETRIES_MAX);
		return;
	case K_AL_TIMEOUT:
		set_duration(c, k, v, &cfg->alert_timeout, 1, TIMEOUT_MAX);
		return;
	default:
		pctx_error(c, c->lineno, "internal error: key %d", (int)k);
		return;
	}
}

/* The one section that has a key named name, or SEC_UNKNOWN (none, or several). */
static enum section
key_home(const char *name)
{
	enum section	 home = SEC_UNKNOWN;
	int		 k;

	for (k = 0; k < K_COUNT; k++) {
		if (strcmp(keys[k].name, name) != 0)
			continue;
		if (home != SEC_UNKNOWN)
			return SEC_UNKNOWN;
		home = keys[k].sec;
	}
	return home;
}

/* "key = value" on a line of its own. */
static void
handle_key(struct pctx *c, const char *name)
{
	char		 shown[CFG_SHOW_MAX], known[512];
	enum section	 home;
	int		 k, i;

	c->cont_key = CONT_IGNORE;
	if (*name == '\0') {
		pctx_error(c, c->lineno, "missing key name before \"=\"");
		return;
	}
	if (c->section == SEC_NONE) {
		home = key_home(name);
		if (home != SEC_UNKNOWN)
			pctx_error(c, c->lineno, "key \"%s\" outside any "
			    "section (put it under [%s])",
			    show(shown, sizeof(shown), name), section_names[home]);
		else
			pctx_error(c, c->lineno, "key \"%s\" outside any "
			    "section (put it under its [section] header)",
			    show(shown, sizeof(shown), name));
		return;
	}
	if (c->section == SEC_UNKNOWN)
		return;		/* the section header was reported */
	for (k = 0; k < K_COUNT; k++)
		if (keys[k].sec == c->section && strcmp(keys[k].name, name) == 0)
			break;
	if (k == K_COUNT) {
		for (i = 0; i < K_COUNT; i++)
			if (keys[i].sec == c->section &&
			    strcasecmp(keys[i].name, name) == 0) {
				pctx_error(c, c->lineno, "unknown key \"%s\" in "
				    "[%s]: did you mean \"%s\"? (names are "
				    "lower case)", show(shown, sizeof(shown),
				    name), section_names[c->section],
				    keys[i].name);
				return;
			}
		if ((home = key_home(name)) != SEC_UNKNOWN) {
			pctx_error(c, c->lineno, "unknown key \"%s\" in [%s]: "
			    "it belongs in [%s]", show(shown, sizeof(shown),
			    name), section_names[c->section],
			    section_names[home]);
			return;
		}
		pctx_error(c, c->lineno, "unknown key \"%s\" in [%s] (known "
		    "keys: %s)", show(shown, sizeof(shown), name),
		    section_names[c->section],
		    known_names(known, sizeof(known), (int)c->section));
		return;
	}
	if (c->seen[k]) {
		pctx_error(c, c->lineno, "duplicate key %s in [%s] (first set "
		    "at line %d; to continue a list, indent the next line)",
		    keys[k].name, section_names[c->section], c->seen[k]);
		return;
	}
	c->seen[k] = c->lineno;
	c->cont_key = k;
}

static int
cfg_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct pctx	*c = user;
	char		 cont[CFG_LINE_MAX];
	char		*t;
	int		 k;

	(void)section;		/* ours is the full name, inih's is cut at 49 */
	if (c->oom || c->stop)
		return 1;
	switch (c->kind) {
	case L_KEY:
		handle_key(c, name);
		if (c->cont_key < 0)
			break;
		k = c->cont_key;
		if (keys[k].list) {
			/* The file's list replaces the built-in one. */
			cfg_list_free(key_list(c->cfg, (enum key)k));
			list_add_words(c, (enum key)k, value);
		} else
			set_scalar(c, (enum key)k, value);
		break;
	case L_CONT:
		k = c->cont_key;
		if (k == CONT_IGNORE)
			break;
		/*
		 * inih r55 leaves an inline comment on a continuation line
		 * (later versions strip it): strip it here, as on a key line.
		 */
		if (k == CONT_NONE) {
			pctx_error(c, c->lineno, "internal error: "
			    "continuation line without a key");
			break;
		}
		if (strlen(value) >= sizeof(cont)) {
			pctx_error(c, c->lineno, "line too long");
			break;
		}
		snprintf(cont, sizeof(cont), "%.*s", (int)(find_chars_or_comment(
		    value, NULL) - value), value);
		for (t = cont + strlen(cont); t > cont && is_blank(t[-1]); t--)
			t[-1] = '\0';
		value = cont;
		if (value[0] == '[') {
			pctx_error(c, c->lineno, "indented line continues %s: "
			    "a [section] header must start at the beginning of "
			    "the line", keys[k].name);
			break;
		}
		if (strchr(value, '=') != NULL) {
			pctx_error(c, c->lineno, "indented line continues %s: "
			    "a new key must start at the beginning of the "
			    "line", keys[k].name);
			break;
		}
		if (!keys[k].list) {
			pctx_error(c, c->lineno, "%s takes one value: it "
			    "cannot be continued on an indented line",
			    keys[k].name);
			break;
		}
		list_add_words(c, (enum key)k, value);
		break;
	default:
		pctx_error(c, c->lineno, "internal error: unexpected value");
		break;
	}
	return 1;
}

/* The later of the lines that set two keys: where a rule between them was broken. */
static int
later_line(const struct pctx *c, enum key a, enum key b)
{
	return c->seen[a] > c->seen[b] ? c->seen[a] : c->seen[b];
}

/* A source's backoff: the first delay cannot exceed the cap. */
static void
check_retry(struct pctx *c, enum key kmin, enum key kmax, int min, int max)
{
	if (min <= max)
		return;
	pctx_error(c, later_line(c, kmin, kmax), "retry_min (%ds) is greater "
	    "than retry_max (%ds) in [%s]", min, max,
	    section_names[keys[kmin].sec]);
}

int
cfg_is_bundled_seed(const char *url)
{
	return url != NULL &&
	    strcmp(url, "file://" MODELREG_SEED_SNAPSHOT) == 0;
}

/*
 * The seed source's defaults depend on the rest of the file: the bundled
 * snapshot is the source only when neither [seed] url nor [catalog] url
 * is set (with a catalog, the first boot seeds from it), and the built-in
 * always lists and default_model name the snapshot's Mistral ids, so they
 * hold only when seeding from the snapshot. Keys the file sets stay.
 */
static void
cfg_seed_defaults(struct pctx *c)
{
	struct config	*cfg = c->cfg;

	if (!c->seen[K_URL] && cfg->catalog_url != NULL)
		set_string(c, &cfg->seed_url, NULL);
	if (cfg_is_bundled_seed(cfg->seed_url))
		return;
	if (!c->seen[K_ALWAYS_ACTIVE])
		cfg_list_free(&cfg->always_active);
	if (!c->seen[K_ALWAYS_INACTIVE])
		cfg_list_free(&cfg->always_inactive);
	if (!c->seen[K_DEFAULT_MODEL])
		set_string(c, &cfg->default_model, NULL);
}

/* Rules that involve several keys, checked once the whole file is read. */
static void
cfg_check(struct pctx *c)
{
	struct config	*cfg = c->cfg;
	char		 shown[CFG_SHOW_MAX];
	size_t		 i;
	int		 line;

	check_retry(c, K_RETRY_MIN, K_RETRY_MAX, cfg->seed_retry_min,
	    cfg->seed_retry_max);
	check_retry(c, K_CAT_RETRY_MIN, K_CAT_RETRY_MAX,
	    cfg->catalog_retry_min, cfg->catalog_retry_max);
	check_retry(c, K_ZDR_RETRY_MIN, K_ZDR_RETRY_MAX, cfg->zdr_retry_min,
	    cfg->zdr_retry_max);
	if (cfg->uptime_yellow > cfg->uptime_green)
		pctx_error(c, later_line(c, K_UP_GREEN, K_UP_YELLOW),
		    "yellow (%d%%) is greater than green (%d%%) in [uptime]",
		    cfg->uptime_yellow, cfg->uptime_green);
	for (i = 0; i < cfg->always_inactive.n; i++) {
		if (!cfg_list_has(&cfg->always_active, cfg->always_inactive.v[i]))
			continue;
		line = c->wline[K_ALWAYS_INACTIVE] != NULL ?
		    c->wline[K_ALWAYS_INACTIVE][i] : 0;
		pctx_error(c, line, "model \"%s\" is in both always_active "
		    "and always_inactive", show(shown, sizeof(shown),
		    cfg->always_inactive.v[i]));
	}
	if (cfg->default_model != NULL &&
	    cfg_list_has(&cfg->always_inactive, cfg->default_model))
		pctx_error(c, c->seen[K_DEFAULT_MODEL] != 0 ?
		    c->seen[K_DEFAULT_MODEL] : c->seen[K_ALWAYS_INACTIVE],
		    "default_model \"%s\" is in always_inactive, but the "
		    "default model must be active",
		    show(shown, sizeof(shown), cfg->default_model));
}

/* Hand the problems to the caller, in line order (the whole-file checks come last otherwise). */
static void
pctx_flush(struct pctx *c, struct cfg_errors *errs)
{
	size_t	 i, j;
	char	*m;
	int	 l;

	for (i = 1; i < c->nmsg; i++) {
		m = c->msg[i];
		l = c->msgline[i];
		for (j = i; j > 0 && c->msgline[j - 1] > l; j--) {
			c->msg[j] = c->msg[j - 1];
			c->msgline[j] = c->msgline[j - 1];
		}
		c->msg[j] = m;
		c->msgline[j] = l;
	}
	for (i = 0; i < c->nmsg; i++) {
		if (errs_add(errs, c->msg[i]) == -1)
			c->oom = 1;
		c->msg[i] = NULL;
	}
	free(c->msg);
	free(c->msgline);
	c->msg = NULL;
	c->msgline = NULL;
	c->nmsg = 0;
}

struct config *
cfg_parse(const char *text, size_t len, const char *name,
    struct cfg_errors *errs)
{
	struct pctx	 c;
	struct config	*cfg;
	size_t		 i;
	int		 rc, failed;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.p = text;
	c.end = text + len;
	c.cont_key = CONT_NONE;
	if ((cfg = cfg_default()) == NULL) {
		errs_addf(errs, "%s:0: out of memory", name);
		return NULL;
	}
	c.cfg = cfg;
	if (set_string(&c, &cfg->path, name) == -1) {
		cfg_free(cfg);
		errs_addf(errs, "%s:0: out of memory", name);
		return NULL;
	}
	rc = ini_parse_stream(cfg_reader, &c, cfg_handler, &c);
	if (rc > 0 && !c.stop && !c.oom) {
		/* A problem inih saw and the reader did not: still report it. */
		for (i = 0; i < c.nmsg; i++)
			if (c.msgline[i] == rc)
				break;
		if (i == c.nmsg)
			pctx_error(&c, rc, "syntax error");
	} else if (rc < 0)
		pctx_error(&c, 0, "cannot parse (inih error %d)", rc);
	if (!c.stop && !c.oom)
		cfg_seed_defaults(&c);
	if (!c.stop && !c.oom)
		cfg_check(&c);
	failed = c.nmsg > 0 || c.oom;
	pctx_flush(&c, errs);
	if (c.oom)
		errs_addf(errs, "%s:0: out of memory", name);
	/* The [access] lists keep their lines, for access_check_accounts(). */
	if (!failed) {
		cfg->admin_line = c.wline[K_ADMIN];
		cfg->member_line = c.wline[K_MEMBER];
		cfg->viewer_line = c.wline[K_VIEWER];
		c.wline[K_ADMIN] = c.wline[K_MEMBER] = c.wline[K_VIEWER] = NULL;
	}
	for (i = 0; i < K_COUNT; i++)
		free(c.wline[i]);
	if (failed) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

struct config *
cfg_load(const char *path, struct cfg_errors *errs)
{
	struct config	*cfg;
	struct stat	 st;
	struct buf	 b = { 0 };
	char		 chunk[16384];
	ssize_t		 n;
	int		 fd;

	/* O_NONBLOCK: opening a FIFO named by mistake must not hang. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) == -1) {
		errs_addf(errs, "%s:0: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		errs_addf(errs, "%s:0: cannot stat: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		errs_addf(errs, "%s:0: not a regular file", path);
		goto fail;
	}
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			errs_addf(errs, "%s:0: cannot read: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		/* Checked while reading: the file may grow after fstat. */
		if (b.len + (size_t)n > CFG_FILE_MAX) {
			errs_addf(errs, "%s:0: file too large (more than %d "
			    "bytes)", path, CFG_FILE_MAX);
			goto fail;
		}
		if (buf_append(&b, chunk, (size_t)n) == -1) {
			errs_addf(errs, "%s:0: out of memory", path);
			goto fail;
		}
	}
	close(fd);
	cfg = cfg_parse(b.data != NULL ? b.data : "", b.len, path, errs);
	buf_free(&b);
	return cfg;
fail:
	close(fd);
	buf_free(&b);
	return NULL;
}
