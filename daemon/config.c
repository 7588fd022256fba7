/* config.c: read modelregd.conf (INI, through inih) into a struct config: the line reader, the key lookup, the problems as file:line, defaults and freeing. */
#include <sys/types.h>
#include <sys/stat.h>

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
#include "config_int.h"
#include "log.h"

/* The PeerAI document's always-active list, spelled as the bundled snapshot's ids. */
static const char *const default_always_active[] = {
	"mistral-large-latest",
	"mistral-medium-latest",
	"mistral-tiny-latest",
	"open-mistral-nemo-2407",
	"pixtral-large-2411",
};

const char *const cfg_section_names[SEC_COUNT] = {
	[SEC_DAEMON] = "daemon",
	[SEC_ACCESS] = "access",
	[SEC_SEED] = "seed",
	[SEC_CATALOG] = "catalog",
	[SEC_ZDR] = "zdr",
	[SEC_UPTIME] = "uptime",
	[SEC_ALERTS] = "alerts",
	[SEC_DEFAULTS] = "defaults",
	[SEC_RESOLVE] = "resolve",
	[SEC_METRICS] = "metrics",
	[SEC_USAGE] = "usage",
};

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
	cfg->seed.url = xstrdup_or_null("file://" MODELREG_SEED_SNAPSHOT, &fail);
	cfg->seed.format = FMT_AUTO;
	cfg->seed.api_key_file = NULL;
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
	cfg->seed.timeout = 30;
	cfg->seed.retry_min = 5;
	cfg->seed.retry_max = 600;
	cfg->seed.max_bytes = 32UL * 1024 * 1024;

	/* Issue 3's sources are off until a url is set; their other keys have defaults. */
	cfg->catalog.format = FMT_AUTO;
	cfg->catalog.interval = 3600;
	cfg->catalog.timeout = 30;
	cfg->catalog.retry_min = 30;
	cfg->catalog.retry_max = 3600;
	cfg->catalog.max_bytes = 64UL * 1024 * 1024;
	cfg->catalog_max_drop = 50;
	cfg->catalog_price_increase = 10;
	cfg->catalog_expiry_warning = 14 * 86400;
	cfg->zdr.interval = 3600;
	cfg->zdr.timeout = 30;
	cfg->zdr.retry_min = 30;
	cfg->zdr.retry_max = 3600;
	cfg->zdr.max_bytes = 16UL * 1024 * 1024;
	cfg->zdr_enforce = 0;
	cfg->zdr_max_remove = 25;
	cfg->uptime.interval = 300;
	cfg->uptime.timeout = 20;
	cfg->uptime_green = 95;
	cfg->uptime_yellow = 80;
	cfg->uptime_concurrency = 4;
	cfg->uptime_retention = 90 * 86400;
	cfg->uptime.max_bytes = 4UL * 1024 * 1024;
	cfg->alert_retries = 5;
	cfg->alert_timeout = 30;
	cfg->event_retention = 90 * 86400;
	cfg->max_clients = 1024;
	cfg->max_clients_per_uid = 1024 / 4;
	cfg->reserved_clients = 8;
	cfg->request_timeout = 10;
	cfg->idle_timeout = 600;
	cfg->reply_budget = 64UL * 1024 * 1024;
	cfg->cache_size = 4UL * 1024 * 1024;
	cfg->resolve_failover = 0;
	cfg->session_ttl = 30 * 60;
	cfg->max_sessions = 100000;
	cfg->metrics_max_models = 1000;
	cfg->metrics_max_connections = 16;
	cfg->metrics_timeout = 10;
	cfg->flap_window = 30 * 60;
	cfg->usage_max_report_cost = 100;	/* issue 10: USD */
	if (fail) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
}

void
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
	cfg_list_free(&cfg->service);
	free(cfg->service_line);
	free(cfg->seed.url);
	free(cfg->seed.api_key_file);
	cfg_list_free(&cfg->always_active);
	cfg_list_free(&cfg->always_inactive);
	free(cfg->default_model);
	free(cfg->metrics_listen);
	free(cfg->catalog.url);
	free(cfg->catalog.api_key_file);
	free(cfg->zdr.url);
	free(cfg->zdr.api_key_file);
	free(cfg->uptime.url);
	free(cfg->uptime.api_key_file);
	cfg_list_free(&cfg->alert_exec);
	free(cfg->alert_webhook);
	cfg_list_free(&cfg->default_fallback);
	free(cfg->smtp_url);
	free(cfg->smtp_user);
	free(cfg->smtp_password_file);
	if (cfg->smtp_password != NULL)
		explicit_bzero(cfg->smtp_password, strlen(cfg->smtp_password));
	free(cfg->smtp_password);
	free(cfg->smtp_ca_file);
	free(cfg->mail_from);
	cfg_list_free(&cfg->mail_to);
	cfg_list_free(&cfg->mail_kinds);
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

/*
 * A value from the file as shown in a message: cut short, so that one bad
 * line cannot flood the output of modelregd -t.
 */
const char *
cfg_show(char *dst, size_t dstlen, const char *s)
{
	if (strlen(s) < dstlen)
		snprintf(dst, dstlen, "%s", s);
	else
		snprintf(dst, dstlen, "%.*s...", (int)(dstlen - 4), s);
	return dst;
}

/* Record one problem at a line; stops the parse once there are too many. */
void
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
int
cfg_is_blank(char ch)
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
		was_space = cfg_is_blank(*s);
		s++;
	}
	return s;
}

static enum section
section_lookup(const char *name)
{
	size_t	 i;

	for (i = 0; i < SEC_COUNT; i++)
		if (cfg_section_names[i] != NULL && strcmp(cfg_section_names[i], name) == 0)
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
			n = cfg_section_names[i];
		else if (cfg_keys[i].sec == (enum section)sec)
			n = cfg_keys[i].name;
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
	for (t = e + 1; cfg_is_blank(*t); t++)
		;
	if (*t != '\0' && *t != ';' && *t != '#')
		pctx_error(c, c->lineno,
		    "unexpected text after the section header \"]\"");
	for (b = s + 1; cfg_is_blank(*b); b++)
		;
	for (t = e; t > b && cfg_is_blank(t[-1]); t--)
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
		if (cfg_section_names[i] != NULL &&
		    strcasecmp(cfg_section_names[i], name) == 0) {
			pctx_error(c, c->lineno, "unknown section [%s]: did "
			    "you mean [%s]? (names are lower case)",
			    cfg_show(shown, sizeof(shown), name), cfg_section_names[i]);
			return;
		}
	pctx_error(c, c->lineno, "unknown section [%s] (known sections: %s)",
	    cfg_show(shown, sizeof(shown), name),
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
	while (cfg_is_blank(*s))
		s++;
	/* inih strips trailing blanks too: the same line either way. */
	for (t = line + strlen(line); t > s && cfg_is_blank(t[-1]); t--)
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

int
cfg_set_string(struct pctx *c, char **dst, const char *v)
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

/* The one section that has a key named name, or SEC_UNKNOWN (none, or several). */
static enum section
key_home(const char *name)
{
	enum section	 home = SEC_UNKNOWN;
	int		 k;

	for (k = 0; k < K_COUNT; k++) {
		if (strcmp(cfg_keys[k].name, name) != 0)
			continue;
		if (home != SEC_UNKNOWN)
			return SEC_UNKNOWN;
		home = cfg_keys[k].sec;
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
			    cfg_show(shown, sizeof(shown), name), cfg_section_names[home]);
		else
			pctx_error(c, c->lineno, "key \"%s\" outside any "
			    "section (put it under its [section] header)",
			    cfg_show(shown, sizeof(shown), name));
		return;
	}
	if (c->section == SEC_UNKNOWN)
		return;		/* the section header was reported */
	for (k = 0; k < K_COUNT; k++)
		if (cfg_keys[k].sec == c->section && strcmp(cfg_keys[k].name, name) == 0)
			break;
	if (k == K_COUNT) {
		for (i = 0; i < K_COUNT; i++)
			if (cfg_keys[i].sec == c->section &&
			    strcasecmp(cfg_keys[i].name, name) == 0) {
				pctx_error(c, c->lineno, "unknown key \"%s\" in "
				    "[%s]: did you mean \"%s\"? (names are "
				    "lower case)", cfg_show(shown, sizeof(shown),
				    name), cfg_section_names[c->section],
				    cfg_keys[i].name);
				return;
			}
		if ((home = key_home(name)) != SEC_UNKNOWN) {
			pctx_error(c, c->lineno, "unknown key \"%s\" in [%s]: "
			    "it belongs in [%s]", cfg_show(shown, sizeof(shown),
			    name), cfg_section_names[c->section],
			    cfg_section_names[home]);
			return;
		}
		pctx_error(c, c->lineno, "unknown key \"%s\" in [%s] (known "
		    "keys: %s)", cfg_show(shown, sizeof(shown), name),
		    cfg_section_names[c->section],
		    known_names(known, sizeof(known), (int)c->section));
		return;
	}
	if (c->seen[k]) {
		pctx_error(c, c->lineno, "duplicate key %s in [%s] (first set "
		    "at line %d; to continue a list, indent the next line)",
		    cfg_keys[k].name, cfg_section_names[c->section], c->seen[k]);
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
		if (cfg_keys[k].type == T_LIST) {
			/* The file's list replaces the built-in one. */
			cfg_list_free(cfg_key_list(c->cfg, (enum key)k));
			cfg_list_add(c, (enum key)k, value);
		} else
			cfg_set_value(c, (enum key)k, value);
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
		for (t = cont + strlen(cont); t > cont && cfg_is_blank(t[-1]); t--)
			t[-1] = '\0';
		value = cont;
		if (value[0] == '[') {
			pctx_error(c, c->lineno, "indented line continues %s: "
			    "a [section] header must start at the beginning of "
			    "the line", cfg_keys[k].name);
			break;
		}
		if (strchr(value, '=') != NULL) {
			pctx_error(c, c->lineno, "indented line continues %s: "
			    "a new key must start at the beginning of the "
			    "line", cfg_keys[k].name);
			break;
		}
		if (cfg_keys[k].type != T_LIST) {
			pctx_error(c, c->lineno, "%s takes one value: it "
			    "cannot be continued on an indented line",
			    cfg_keys[k].name);
			break;
		}
		cfg_list_add(c, (enum key)k, value);
		break;
	default:
		pctx_error(c, c->lineno, "internal error: unexpected value");
		break;
	}
	return 1;
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
	if (cfg_set_string(&c, &cfg->path, name) == -1) {
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
		cfg->service_line = c.wline[K_SERVICE];
		c.wline[K_SERVICE] = NULL;
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
	/* Issue 10 item 3: a secret the file names, read now (start, SIGHUP, -t). */
	if (cfg != NULL && cfg_read_smtp_password(cfg, errs) == -1) {
		cfg_free(cfg);
		return NULL;
	}
	return cfg;
fail:
	close(fd);
	buf_free(&b);
	return NULL;
}
