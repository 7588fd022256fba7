/* config.h: modelregd.conf, parsed through inih into a struct config that is swapped whole on reload. */
#ifndef MODELREG_CONFIG_H
#define MODELREG_CONFIG_H

#include <sys/types.h>
#include <stddef.h>

enum cat_format {
	FMT_MISTRAL = 0,
	FMT_OPENROUTER,
	FMT_OPENAI,
	FMT_AUTO,	/* tell from the body (catalog_detect.c); the default */
};

/* A list of words from a config value: "a, b c" -> {"a","b","c"}. Owned by the config. */
struct cfg_list {
	char	**v;
	size_t	  n;
};

/*
 * What the four sources (seed, catalog, zdr, uptime) have in common: where
 * and how to fetch, how often, how to back off. A source with a NULL url
 * is off. Durations are seconds. A key a section does not have keeps its
 * zero (seed has no interval, zdr and uptime no format, uptime no retry
 * keys: it derives its own backoff from the interval).
 */
struct cfg_source {
	char		*url;		/* http://, https:// or file://; NULL: off */
	enum cat_format	 format;	/* default FMT_AUTO */
	char		*api_key_file;	/* NULL: none */
	int		 interval;	/* between periodic runs */
	int		 timeout;	/* one fetch */
	int		 retry_min;	/* the first retry's delay */
	int		 retry_max;	/* the backoff's cap */
	size_t		 max_bytes;	/* response cap */
};

struct config {
	char		*path;		/* file it came from, or "(built-in)" */

	/* [daemon] */
	char		*socket;	/* default MODELREG_SOCKET */
	mode_t		 socket_mode;	/* default 0660 */
	char		*database;	/* default MODELREG_DATABASE */
	int		 log_level;	/* syslog priority, default LOG_INFO */

	/* [access] */
	int		 have_access;	/* the file has an [access] section */
	struct cfg_list	 admin, member, viewer;	/* user names, @group names, "*" */
	int		*admin_line, *member_line, *viewer_line;	/* the file line of each entry, or NULL */
	struct cfg_list	 service;	/* issue 9: the application servers' role */
	int		*service_line;

	/* [seed] */
	/*
	 * seed.url NULL: no seed source. Without a url key it is the bundled
	 * snapshot, unless [catalog] has a url: then NULL, and the first boot
	 * seeds from the catalog. Defaults: timeout 30, retry_min 5,
	 * retry_max 600, max_bytes 32 MiB.
	 */
	struct cfg_source seed;
	/* The built-in lists and default_model hold only for the bundled snapshot. */
	struct cfg_list	 always_active, always_inactive;
	int		 new_model_active;	/* new_model_status = active; default 0 (inactive) */
	char		*default_model;	/* NULL: none */

	/*
	 * Issue 3: the daemon's own schedule. A source with a NULL url is off.
	 * Percentages are 0..100. Durations are seconds.
	 */

	/*
	 * [catalog]: the discovery catalog. Defaults: interval 3600, timeout
	 * 30, retry_min 30, retry_max 3600, max_bytes 64 MiB.
	 */
	struct cfg_source catalog;
	int		 catalog_max_drop;	/* percent of the known catalog a refresh may drop, default 50 */
	int		 catalog_price_increase;	/* percent that raises model.price_increase, default 10 */
	int		 catalog_expiry_warning;	/* seconds before expires_at that raise model.expiring, default 14 days (0: off) */

	/*
	 * [zdr]: zero-data-retention endpoints (OpenRouter's
	 * /api/v1/endpoints/zdr). Defaults: interval 3600, timeout 30,
	 * retry_min 30, retry_max 3600, max_bytes 16 MiB.
	 */
	struct cfg_source zdr;
	int		 zdr_enforce;		/* enforce = yes; default 0 */
	int		 zdr_max_remove;	/* percent of synced ZDR models one refresh may remove, default 25 */

	/*
	 * [uptime]: per-model endpoint health. uptime.url is a template with
	 * {id}. Defaults: interval 300, timeout 20, max_bytes 4 MiB (per
	 * response).
	 */
	struct cfg_source uptime;
	int		 uptime_green;		/* percent, default 95 */
	int		 uptime_yellow;		/* percent, default 80 */
	int		 uptime_concurrency;	/* parallel fetches, default 4 (1..64) */
	int		 uptime_retention;	/* seconds samples are kept, default 90 days */

	/* [alerts]: where events go. */
	struct cfg_list	 alert_exec;		/* argv of the program (no shell), empty: none */
	char		*alert_webhook;		/* URL POSTed a JSON body per event, NULL: none */
	int		 alert_retries;		/* attempts per event and channel, default 5 */
	int		 alert_timeout;		/* seconds per attempt, default 30 */

	/* [defaults]: the fallback order for a new default. */
	struct cfg_list	 default_fallback;

	/* [daemon], added after the others: events older than this are pruned. */
	int		 event_retention;	/* seconds, default 90 days (1h..3650d) */

	/*
	 * [daemon], issue 8: the control socket's slots. max_clients_per_uid
	 * defaults to a quarter of max_clients, reserved_clients to 8 (never
	 * more than max_clients - 1): the last slots only admins, root and
	 * the daemon's own uid may take.
	 */
	int		 max_clients;		/* default 1024 */
	int		 max_clients_per_uid;	/* default max_clients / 4 (at least 1) */
	int		 reserved_clients;	/* default 8 */
	int		 request_timeout;	/* seconds to complete a request line, default 10 */
	int		 idle_timeout;		/* seconds a connection may idle (not WATCH), default 600; 0: never */
	size_t		 reply_budget;		/* unread replies of all clients together, default 64 MiB */
	/* [daemon], issue 8: the bound of the read path's cache (cache.h). */
	size_t		 cache_size;		/* bytes, default 4 MiB */
	/* [resolve], issue 9: RESOLVE answers a red model's best healthy alternative. */
	int		 resolve_failover;	/* failover = yes; default 0 */
	/* [resolve], issue 9 item 4: RESOLVE's sessions (sessions.h). */
	int		 session_ttl;		/* seconds after the last renewal, default 30m */
	int		 max_sessions;		/* live sessions in all, default 100000 */
	/* [metrics], issue 10 item 4: the Prometheus endpoint (metrics.h). */
	char		*metrics_listen;	/* ADDRESS:PORT or a socket path; NULL: off (the default) */
	int		 metrics_max_models;	/* active models with per-model series, default 1000 */
	int		 metrics_max_connections;	/* HTTP connections at once, default 16 */
	int		 metrics_timeout;	/* seconds a connection may live, default 10 */
	/*
	 * [alerts], issue 10 item 3: the mail channel; off while smtp_url is
	 * NULL. smtp_password is the first line of smtp_password_file, read
	 * by cfg_load (never by cfg_parse, which stays pure) and wiped by
	 * cfg_free: a secret, never shown.
	 */
	char		*smtp_url;		/* smtp:// or smtps://, NULL: no mail */
	char		*smtp_user;		/* NULL: no AUTH */
	char		*smtp_password_file;
	char		*smtp_password;
	char		*smtp_ca_file;		/* NULL: the system's trust store */
	char		*mail_from;
	struct cfg_list	 mail_to;
	struct cfg_list	 mail_kinds;		/* default in config_mail.c; "*": every kind */
	int		 flap_window;		/* seconds, default 30m; 0: no hold-down */
	/* [usage], issue 10: a report that would cost more is refused as suspicious. */
	int		 usage_max_report_cost;	/* whole USD, default 100 */
};

/*
 * Problems found while parsing, each "file:line: message" (line 0 when a
 * problem is about the file as a whole). Owned by the caller; free with
 * cfg_errors_free().
 */
struct cfg_errors {
	char	**msg;
	size_t	  n;
};
void	 cfg_errors_free(struct cfg_errors *);
/* Append msg (malloc'd; owned by errs from now on, freed on failure). 0 or -1. */
int	 cfg_errors_add(struct cfg_errors *, char *msg);

/*
 * The built-in configuration used when no file is given and the default
 * file does not exist: the compiled-in paths, and [seed] from the bundled
 * Mistral snapshot (file://MODELREG_SEED_SNAPSHOT) with the PeerAI
 * document's always-active list.
 */
struct config *cfg_default(void);

/* Is url the bundled snapshot's file:// URL (the built-in seed source)? */
int	 cfg_is_bundled_seed(const char *url);

/* Parse a file. NULL when there is any problem, all of them in errs. */
struct config *cfg_load(const char *path, struct cfg_errors *errs);

/* Parse text (len bytes, need not be NUL-terminated) as if read from a file named name. Pure. */
struct config *cfg_parse(const char *text, size_t len, const char *name,
	    struct cfg_errors *errs);

void	 cfg_free(struct config *);
/*
 * Issue 10 item 3: read [alerts] smtp_password_file into smtp_password
 * (cfg_load does it after parsing). -1, with a message in errs, when the
 * file cannot be read, is not a regular file, is readable or writable by
 * others, or is not one line of at most 1 KiB.
 */
int	 cfg_read_smtp_password(struct config *, struct cfg_errors *);

/* "90", "90s", "5m", "1h", "2d" -> seconds; -1 if bad or out of 0..10 years. */
long	 cfg_parse_duration(const char *);

/* Does list l hold s (exact match)? */
int	 cfg_list_has(const struct cfg_list *l, const char *s);

const char *cfg_format_name(enum cat_format);

#endif
