/* config_keys.c: the table of modelregd.conf's keys (section, name, type, where the value goes, bounds, flags) and the value parsers it drives. */
#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "config_int.h"
#include "log.h"
#include "metrics.h"
#include "url.h"

/* Where a key's value goes. */
#define AT(field)	offsetof(struct config, field)

/*
 * Every key of the file. A key is one entry here: the reader finds it by
 * section and name, refuses duplicates and unknown names, and hands the
 * value to the parser of its type, which checks it and writes it at its
 * offset. The messages name the key, so they read the same for every
 * section.
 */
const struct cfg_key cfg_keys[K_COUNT] = {
	/* [daemon] */
	[K_SOCKET] =		{ SEC_DAEMON, "socket", T_PATH, AT(socket),
				  .max = CFG_SOCKET_MAX, .flags = F_SHOW_MAX },
	[K_SOCKET_MODE] =	{ SEC_DAEMON, "socket_mode", T_MODE, AT(socket_mode) },
	[K_DATABASE] =		{ SEC_DAEMON, "database", T_PATH, AT(database),
				  .max = PATH_MAX - 1 },
	[K_LOG_LEVEL] =		{ SEC_DAEMON, "log_level", T_LOG_LEVEL, AT(log_level) },
	[K_EVENT_RETENTION] =	{ SEC_DAEMON, "event_retention", T_DURATION,
				  AT(event_retention), RETENTION_MIN, RETENTION_MAX },

	/* [access] */
	[K_ADMIN] =		{ SEC_ACCESS, "admin", T_LIST, AT(admin),
				  .flags = F_ACCESS },
	[K_MEMBER] =		{ SEC_ACCESS, "member", T_LIST, AT(member),
				  .flags = F_ACCESS },
	[K_VIEWER] =		{ SEC_ACCESS, "viewer", T_LIST, AT(viewer),
				  .flags = F_ACCESS },
	[K_SERVICE] =		{ SEC_ACCESS, "service", T_LIST, AT(service),
				  .flags = F_ACCESS },

	/* [seed] */
	[K_URL] =		{ SEC_SEED, "url", T_URL, AT(seed.url),
				  .flags = URL_FILE, .off_text = "to disable seeding" },
	[K_FORMAT] =		{ SEC_SEED, "format", T_FORMAT, AT(seed.format) },
	[K_API_KEY_FILE] =	{ SEC_SEED, "api_key_file", T_PATH,
				  AT(seed.api_key_file), .max = PATH_MAX - 1,
				  .flags = F_SECRET | F_EMPTY_NONE },
	[K_ALWAYS_ACTIVE] =	{ SEC_SEED, "always_active", T_LIST, AT(always_active) },
	[K_ALWAYS_INACTIVE] =	{ SEC_SEED, "always_inactive", T_LIST,
				  AT(always_inactive) },
	[K_NEW_MODEL_STATUS] =	{ SEC_SEED, "new_model_status", T_BOOL,
				  AT(new_model_active), .yes = "active", .no = "inactive" },
	[K_DEFAULT_MODEL] =	{ SEC_SEED, "default_model", T_MODEL, AT(default_model) },
	[K_TIMEOUT] =		{ SEC_SEED, "timeout", T_DURATION, AT(seed.timeout),
				  1, TIMEOUT_MAX },
	[K_RETRY_MIN] =		{ SEC_SEED, "retry_min", T_DURATION,
				  AT(seed.retry_min), 1, RETRY_MIN_MAX },
	[K_RETRY_MAX] =		{ SEC_SEED, "retry_max", T_DURATION,
				  AT(seed.retry_max), 1, RETRY_MAX_MAX },
	[K_MAX_SIZE] =		{ SEC_SEED, "max_size", T_SIZE, AT(seed.max_bytes) },

	/* [catalog] */
	[K_CAT_URL] =		{ SEC_CATALOG, "url", T_URL, AT(catalog.url),
				  .flags = URL_FILE,
				  .off_text = "to turn the catalog off" },
	[K_CAT_FORMAT] =	{ SEC_CATALOG, "format", T_FORMAT, AT(catalog.format) },
	[K_CAT_API_KEY_FILE] =	{ SEC_CATALOG, "api_key_file", T_PATH,
				  AT(catalog.api_key_file), .max = PATH_MAX - 1,
				  .flags = F_SECRET | F_EMPTY_NONE },
	[K_CAT_INTERVAL] =	{ SEC_CATALOG, "interval", T_DURATION,
				  AT(catalog.interval), 1, INTERVAL_MAX },
	[K_CAT_TIMEOUT] =	{ SEC_CATALOG, "timeout", T_DURATION,
				  AT(catalog.timeout), 1, TIMEOUT_MAX },
	[K_CAT_RETRY_MIN] =	{ SEC_CATALOG, "retry_min", T_DURATION,
				  AT(catalog.retry_min), 1, RETRY_MIN_MAX },
	[K_CAT_RETRY_MAX] =	{ SEC_CATALOG, "retry_max", T_DURATION,
				  AT(catalog.retry_max), 1, RETRY_MAX_MAX },
	[K_CAT_MAX_SIZE] =	{ SEC_CATALOG, "max_size", T_SIZE,
				  AT(catalog.max_bytes) },
	[K_CAT_MAX_DROP] =	{ SEC_CATALOG, "max_drop", T_PERCENT,
				  AT(catalog_max_drop) },
	[K_CAT_PRICE_INCREASE] = { SEC_CATALOG, "price_increase", T_PERCENT,
				  AT(catalog_price_increase) },
	/* 0 turns model.expiring off; model.expired is always raised. */
	[K_CAT_EXPIRY_WARNING] = { SEC_CATALOG, "expiry_warning", T_DURATION,
				  AT(catalog_expiry_warning), 0, EXPIRY_WARNING_MAX },

	/* [zdr] */
	[K_ZDR_URL] =		{ SEC_ZDR, "url", T_URL, AT(zdr.url),
				  .flags = URL_FILE,
				  .off_text = "to turn ZDR tracking off" },
	[K_ZDR_API_KEY_FILE] =	{ SEC_ZDR, "api_key_file", T_PATH,
				  AT(zdr.api_key_file), .max = PATH_MAX - 1,
				  .flags = F_SECRET | F_EMPTY_NONE },
	[K_ZDR_INTERVAL] =	{ SEC_ZDR, "interval", T_DURATION, AT(zdr.interval),
				  1, INTERVAL_MAX },
	[K_ZDR_TIMEOUT] =	{ SEC_ZDR, "timeout", T_DURATION, AT(zdr.timeout),
				  1, TIMEOUT_MAX },
	[K_ZDR_RETRY_MIN] =	{ SEC_ZDR, "retry_min", T_DURATION,
				  AT(zdr.retry_min), 1, RETRY_MIN_MAX },
	[K_ZDR_RETRY_MAX] =	{ SEC_ZDR, "retry_max", T_DURATION,
				  AT(zdr.retry_max), 1, RETRY_MAX_MAX },
	[K_ZDR_MAX_SIZE] =	{ SEC_ZDR, "max_size", T_SIZE, AT(zdr.max_bytes) },
	/* One spelling, as the issue gives it: "on" or "1" get a clear error. */
	[K_ZDR_ENFORCE] =	{ SEC_ZDR, "enforce", T_BOOL, AT(zdr_enforce),
				  .yes = "yes", .no = "no" },
	[K_ZDR_MAX_REMOVE] =	{ SEC_ZDR, "max_remove", T_PERCENT, AT(zdr_max_remove) },

	/* [uptime] */
	[K_UP_URL] =		{ SEC_UPTIME, "url", T_URL, AT(uptime.url),
				  .flags = URL_FILE | URL_TEMPLATE,
				  .off_text = "to turn uptime tracking off" },
	[K_UP_API_KEY_FILE] =	{ SEC_UPTIME, "api_key_file", T_PATH,
				  AT(uptime.api_key_file), .max = PATH_MAX - 1,
				  .flags = F_SECRET | F_EMPTY_NONE },
	[K_UP_INTERVAL] =	{ SEC_UPTIME, "interval", T_DURATION,
				  AT(uptime.interval), 1, INTERVAL_MAX },
	[K_UP_TIMEOUT] =	{ SEC_UPTIME, "timeout", T_DURATION,
				  AT(uptime.timeout), 1, TIMEOUT_MAX },
	[K_UP_GREEN] =		{ SEC_UPTIME, "green", T_PERCENT, AT(uptime_green) },
	[K_UP_YELLOW] =		{ SEC_UPTIME, "yellow", T_PERCENT, AT(uptime_yellow) },
	[K_UP_CONCURRENCY] =	{ SEC_UPTIME, "concurrency", T_INT,
				  AT(uptime_concurrency), 1, CONCURRENCY_MAX },
	[K_UP_RETENTION] =	{ SEC_UPTIME, "retention", T_DURATION,
				  AT(uptime_retention), RETENTION_MIN, RETENTION_MAX },
	[K_UP_MAX_SIZE] =	{ SEC_UPTIME, "max_size", T_SIZE, AT(uptime.max_bytes) },

	/* [alerts] */
	[K_AL_EXEC] =		{ SEC_ALERTS, "exec", T_ARGV, AT(alert_exec) },
	[K_AL_WEBHOOK] =	{ SEC_ALERTS, "webhook", T_URL, AT(alert_webhook),
				  .flags = URL_SECRET, .off_text = "for no webhook" },
	[K_AL_RETRIES] =	{ SEC_ALERTS, "retries", T_INT, AT(alert_retries),
				  1, RETRIES_MAX },
	[K_AL_TIMEOUT] =	{ SEC_ALERTS, "timeout", T_DURATION, AT(alert_timeout),
				  1, TIMEOUT_MAX },

	/* [defaults] */
	[K_DEF_FALLBACK] =	{ SEC_DEFAULTS, "fallback", T_LIST, AT(default_fallback) },

	/* [daemon], issue 8: connection slots and timeouts (control.c). */
	[K_MAX_CLIENTS] =	{ SEC_DAEMON, "max_clients", T_INT, AT(max_clients),
				  1, MAX_CLIENTS_MAX },
	[K_MAX_CLIENTS_PER_UID] = { SEC_DAEMON, "max_clients_per_uid", T_INT,
				  AT(max_clients_per_uid), 1, MAX_CLIENTS_MAX },
	[K_RESERVED_CLIENTS] =	{ SEC_DAEMON, "reserved_clients", T_INT,
				  AT(reserved_clients), 0, RESERVED_CLIENTS_MAX },
	[K_REQUEST_TIMEOUT] =	{ SEC_DAEMON, "request_timeout", T_DURATION,
				  AT(request_timeout), 1, TIMEOUT_MAX },
	/* 0: idle connections are never closed. */
	[K_IDLE_TIMEOUT] =	{ SEC_DAEMON, "idle_timeout", T_DURATION,
				  AT(idle_timeout), 0, IDLE_TIMEOUT_MAX },
	[K_REPLY_BUDGET] =	{ SEC_DAEMON, "reply_budget", T_SIZE, AT(reply_budget) },
	/* [daemon], issue 8: the read path's cache (cmd_model.c, cache.c). */
	[K_CACHE_SIZE] =	{ SEC_DAEMON, "cache_size", T_SIZE, AT(cache_size) },

	/* [resolve], issue 9: answer a red model's healthy alternative. */
	[K_RES_FAILOVER] =	{ SEC_RESOLVE, "failover", T_BOOL, AT(resolve_failover),
				  .yes = "yes", .no = "no" },
	/* [resolve], issue 9 item 4: sessions (sessions.c, resolve_batch.c). */
	[K_RES_SESSION_TTL] =	{ SEC_RESOLVE, "session_ttl", T_DURATION,
				  AT(session_ttl), 1, SESSION_TTL_MAX },
	[K_RES_MAX_SESSIONS] =	{ SEC_RESOLVE, "max_sessions", T_INT,
				  AT(max_sessions), 1, MAX_SESSIONS_MAX },

	/* [metrics], issue 10 item 4: the Prometheus endpoint (metrics.c). */
	[K_MET_LISTEN] =	{ SEC_METRICS, "listen", T_LISTEN, AT(metrics_listen) },
	/* 0: no per-model series at all, only the counts. */
	[K_MET_MAX_MODELS] =	{ SEC_METRICS, "max_models", T_INT,
				  AT(metrics_max_models), 0, 10000 },
	[K_MET_MAX_CONNECTIONS] = { SEC_METRICS, "max_connections", T_INT,
				  AT(metrics_max_connections), 1, 256 },
	[K_MET_TIMEOUT] =	{ SEC_METRICS, "timeout", T_DURATION,
				  AT(metrics_timeout), 1, 300 },
	/* [alerts], issue 10 item 3: the mail channel (config_mail.c, alerts_mail.c). */
	[K_AL_SMTP_URL] =	{ SEC_ALERTS, "smtp_url", T_SMTP_URL, AT(smtp_url) },
	[K_AL_SMTP_USER] =	{ SEC_ALERTS, "smtp_user", T_TEXT, AT(smtp_user),
				  .max = SMTP_USER_MAX },
	[K_AL_SMTP_PASSWORD_FILE] = { SEC_ALERTS, "smtp_password_file", T_PATH,
				  AT(smtp_password_file), .max = PATH_MAX - 1,
				  .flags = F_SECRET | F_EMPTY_NONE },
	[K_AL_SMTP_CA_FILE] =	{ SEC_ALERTS, "smtp_ca_file", T_PATH,
				  AT(smtp_ca_file), .max = PATH_MAX - 1,
				  .flags = F_EMPTY_NONE },
	[K_AL_MAIL_FROM] =	{ SEC_ALERTS, "mail_from", T_MAIL_ADDR, AT(mail_from) },
	[K_AL_MAIL_TO] =	{ SEC_ALERTS, "mail_to", T_LIST, AT(mail_to),
				  .flags = F_MAIL },
	[K_AL_MAIL_KINDS] =	{ SEC_ALERTS, "mail_kinds", T_LIST, AT(mail_kinds),
				  .flags = F_KIND },
	/* 0: no hold-down, every listed event is mailed. */
	[K_AL_FLAP_WINDOW] =	{ SEC_ALERTS, "flap_window", T_DURATION,
				  AT(flap_window), 0, FLAP_WINDOW_MAX },
	/* [usage], issue 10: one report's most plausible cost (usage.c). */
	[K_USAGE_MAX_REPORT_COST] = { SEC_USAGE, "max_report_cost", T_INT,
				  AT(usage_max_report_cost), 1, 1000000 },
};

/* The value of key k in cfg, as a pointer of the key's type. */
#define VALUE(cfg, k)	((void *)((char *)(cfg) + cfg_keys[k].off))

struct cfg_list *
cfg_key_list(struct config *cfg, enum key k)
{
	if (cfg_keys[k].type != T_LIST && cfg_keys[k].type != T_ARGV)
		return NULL;
	return VALUE(cfg, k);
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

/* The words of value are separated by commas and blanks; one listed twice counts once. */
void
cfg_list_add(struct pctx *c, enum key k, const char *value)
{
	struct cfg_list	*l = cfg_key_list(c->cfg, k);
	char		 shown[CFG_SHOW_MAX];
	char		 word[CFG_WORD_MAX + 2];
	const char	*p = value, *why;
	char		**v;
	int		*lines;
	size_t		 n;

	while (*p != '\0') {
		while (*p == ',' || cfg_is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		n = strcspn(p, ", \t");
		/* Longer than a word may be: keep enough to say so. */
		snprintf(word, sizeof(word), "%.*s",
		    (int)(n < sizeof(word) - 1 ? n : sizeof(word) - 1), p);
		p += n;
		if (cfg_keys[k].flags & F_ACCESS)
			why = check_access_word(word);
		else if (cfg_keys[k].flags & (F_MAIL | F_KIND))
			why = cfg_check_mail_word(cfg_keys[k].flags, word);
		else
			why = check_model_id(word);
		if (why != NULL) {
			pctx_error(c, c->lineno, "bad entry \"%s\" in %s: %s",
			    cfg_show(shown, sizeof(shown), word), cfg_keys[k].name, why);
			continue;
		}
		if (cfg_list_has(l, word))
			continue;	/* listed twice: once is enough */
		if (l->n >= CFG_LIST_MAX) {
			pctx_error(c, c->lineno,
			    "too many entries in %s (at most %d)",
			    cfg_keys[k].name, CFG_LIST_MAX);
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
		    cfg_keys[k].name, cfg_show(shown, sizeof(shown), v),
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
		    "1K to 256M, like 32M, 65536 or 512K", cfg_keys[k].name,
		    cfg_show(shown, sizeof(shown), v));
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
		    "from %d to %d", cfg_keys[k].name,
		    cfg_show(shown, sizeof(shown), v), min, max);
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
		    "percentage from 0 to 100, like 50 or 50%%", cfg_keys[k].name,
		    cfg_show(shown, sizeof(shown), v));
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
		    "mistral, openrouter or openai", cfg_keys[k].name,
		    cfg_show(shown, sizeof(shown), v));
}

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
		cfg_set_string(c, dst, NULL);
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
			    "shown, in case it holds a secret)", cfg_keys[k].name,
			    why);
		else	/* shown as anywhere outside the file: no query values, no userinfo */
			pctx_error(c, c->lineno, "bad %s \"%s\": %s",
			    cfg_keys[k].name, url_redact(v, shown, sizeof(shown)),
			    why);
		return;
	}
	cfg_set_string(c, dst, v);
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
	struct cfg_list	 l = { NULL, 0 }, *dst;
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
		while (cfg_is_blank(*p))
			p++;
		if (*p == '\0')
			break;
		if (l.n == ARGV_MAX) {
			why = "too many words (at most 64)";
			goto bad;
		}
		len = 0;
		inq = 0;
		while (*p != '\0' && (inq || !cfg_is_blank(*p))) {
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
	dst = VALUE(c->cfg, k);
	cfg_list_free(dst);
	*dst = l;
	return;
bad:
	pctx_error(c, c->lineno, "bad %s \"%s\": %s", cfg_keys[k].name,
	    cfg_show(shown, sizeof(shown), v), why);
fail:
	cfg_list_free(&l);
}

/*
 * A path: absolute, at most max bytes. A secret one (api_key_file) is
 * never shown: a key pasted here by mistake must not end up in a log.
 */
static void
set_path(struct pctx *c, enum key k, const char *v, char **dst)
{
	const struct cfg_key	*key = &cfg_keys[k];
	char			 shown[CFG_SHOW_MAX];
	const char		*why;

	if (v[0] == '\0' && (key->flags & F_EMPTY_NONE)) {
		cfg_set_string(c, dst, NULL);
		return;
	}
	if ((why = check_path(v, (size_t)key->max)) != NULL) {
		if (key->flags & F_SECRET)
			pctx_error(c, c->lineno, "bad %s: %s (the value is not "
			    "shown, in case it is the key itself)", key->name,
			    why);
		else if (key->flags & F_SHOW_MAX)
			pctx_error(c, c->lineno, "bad %s \"%s\": %s (at most "
			    "%zu bytes)", key->name,
			    cfg_show(shown, sizeof(shown), v), why,
			    (size_t)key->max);
		else
			pctx_error(c, c->lineno, "bad %s \"%s\": %s", key->name,
			    cfg_show(shown, sizeof(shown), v), why);
		return;
	}
	cfg_set_string(c, dst, v);
}

/*
 * Always octal, as chmod(1) reads it: "660" is 0660, not decimal 660.
 * Leading zeros are allowed; the value must be permission bits only (no
 * setuid, setgid or sticky bit).
 */
static void
set_mode(struct pctx *c, enum key k, const char *v, mode_t *dst)
{
	char	 shown[CFG_SHOW_MAX];
	long	 mode = -1;

	if (v[0] != '\0' && strlen(v) <= 12 &&
	    strspn(v, "01234567") == strlen(v))
		mode = strtol(v, NULL, 8);
	if (mode < 0 || mode > 0777) {
		pctx_error(c, c->lineno, "bad %s \"%s\": expected an octal "
		    "mode from 0000 to 0777, like 0660 (or 660)",
		    cfg_keys[k].name, cfg_show(shown, sizeof(shown), v));
		return;
	}
	*dst = (mode_t)mode;
}

/* log_parse_level() also takes aliases and any case; the file takes these five. */
static void
set_log_level(struct pctx *c, enum key k, const char *v, int *dst)
{
	char	 shown[CFG_SHOW_MAX];

	if (strcmp(v, "error") != 0 && strcmp(v, "warning") != 0 &&
	    strcmp(v, "notice") != 0 && strcmp(v, "info") != 0 &&
	    strcmp(v, "debug") != 0) {
		pctx_error(c, c->lineno, "bad %s \"%s\": expected error, "
		    "warning, notice, info or debug", cfg_keys[k].name,
		    cfg_show(shown, sizeof(shown), v));
		return;
	}
	*dst = log_parse_level(v);
}

/* One of the key's two words, exactly: no other spelling of yes and no. */
static void
set_bool(struct pctx *c, enum key k, const char *v, int *dst)
{
	const struct cfg_key	*key = &cfg_keys[k];
	char			 shown[CFG_SHOW_MAX];

	if (strcmp(v, key->yes) == 0)
		*dst = 1;
	else if (strcmp(v, key->no) == 0)
		*dst = 0;
	else
		pctx_error(c, c->lineno, "bad %s \"%s\": expected %s or %s",
		    key->name, cfg_show(shown, sizeof(shown), v), key->yes,
		    key->no);
}

/* One model id (default_model); empty: none. */
static void
set_model(struct pctx *c, enum key k, const char *v, char **dst)
{
	char		 shown[CFG_SHOW_MAX];
	const char	*why;

	if (v[0] == '\0') {
		cfg_set_string(c, dst, NULL);
		return;
	}
	if (strpbrk(v, ", \t") != NULL)
		why = "expected one model id";
	else
		why = check_model_id(v);
	if (why != NULL) {
		pctx_error(c, c->lineno, "bad %s \"%s\": %s", cfg_keys[k].name,
		    cfg_show(shown, sizeof(shown), v), why);
		return;
	}
	cfg_set_string(c, dst, v);
}

/* [metrics] listen (issue 10): checked by the same parser metrics.c binds with; empty: off. */
static void
set_listen(struct pctx *c, enum key k, const char *v, char **dst)
{
	struct metrics_addr	 a;
	char			 shown[CFG_SHOW_MAX], why[160];

	if (v[0] == '\0') {
		cfg_set_string(c, dst, NULL);
		return;
	}
	if (metrics_addr_parse(v, &a, why, sizeof(why)) == -1) {
		pctx_error(c, c->lineno, "bad %s \"%s\": %s", cfg_keys[k].name,
		    cfg_show(shown, sizeof(shown), v), why);
		return;
	}
	cfg_set_string(c, dst, v);
}

void
cfg_set_value(struct pctx *c, enum key k, const char *v)
{
	const struct cfg_key	*key = &cfg_keys[k];
	void			*dst = VALUE(c->cfg, k);

	switch (key->type) {
	case T_PATH:
		set_path(c, k, v, dst);
		return;
	case T_URL:
		set_url(c, k, v, dst, key->flags, key->off_text);
		return;
	case T_DURATION:
		set_duration(c, k, v, dst, key->min, key->max);
		return;
	case T_PERCENT:
		set_percent(c, k, v, dst);
		return;
	case T_INT:
		set_number(c, k, v, dst, (int)key->min, (int)key->max);
		return;
	case T_SIZE:
		set_size(c, k, v, dst);
		return;
	case T_BOOL:
		set_bool(c, k, v, dst);
		return;
	case T_FORMAT:
		set_format(c, k, v, dst);
		return;
	case T_MODE:
		set_mode(c, k, v, dst);
		return;
	case T_LOG_LEVEL:
		set_log_level(c, k, v, dst);
		return;
	case T_MODEL:
		set_model(c, k, v, dst);
		return;
	case T_ARGV:
		set_exec(c, k, v);
		return;
	case T_LISTEN:
		set_listen(c, k, v, dst);
		return;
	case T_SMTP_URL:
		cfg_set_smtp_url(c, k, v, dst);
		return;
	case T_MAIL_ADDR:
		cfg_set_mail_addr(c, k, v, dst);
		return;
	case T_TEXT:
		cfg_set_text(c, k, v, dst);
		return;
	case T_LIST:
		break;
	}
	pctx_error(c, c->lineno, "internal error: key %d", (int)k);
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
