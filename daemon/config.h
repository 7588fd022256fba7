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

	/* [seed] */
	/*
	 * http://, https:// or file://; NULL: no seed source. Without a url
	 * key it is the bundled snapshot, unless [catalog] has a url: then
	 * NULL, and the first boot seeds from the catalog.
	 */
	char		*seed_url;
	enum cat_format	 seed_format;	/* default FMT_AUTO */
	char		*seed_api_key_file;	/* NULL: none */
	/* The built-in lists and default_model hold only for the bundled snapshot. */
	struct cfg_list	 always_active, always_inactive;
	int		 new_model_active;	/* new_model_status = active; default 0 (inactive) */
	char		*default_model;	/* NULL: none */
	int		 seed_timeout;	/* seconds for one fetch, default 30 */
	int		 seed_retry_min;	/* seconds, first retry delay, default 5 */
	int		 seed_retry_max;	/* seconds, backoff cap, default 600 */
	size_t		 seed_max_bytes;	/* response cap, default 32 MiB */

	/*
	 * Issue 3: the daemon's own schedule. A source with a NULL url is off.
	 * Percentages are 0..100. Durations are seconds.
	 */

	/* [catalog]: the discovery catalog. */
	char		*catalog_url;		/* NULL: no catalog */
	enum cat_format	 catalog_format;	/* default FMT_AUTO */
	char		*catalog_api_key_file;
	int		 catalog_interval;	/* default 3600 */
	int		 catalog_timeout;	/* default 30 */
	int		 catalog_retry_min;	/* default 30 */
	int		 catalog_retry_max;	/* default 3600 */
	size_t		 catalog_max_bytes;	/* default 64 MiB */
	int		 catalog_max_drop;	/* percent of the known catalog a refresh may drop, default 50 */
	int		 catalog_price_increase;	/* percent that raises model.price_increase, default 10 */
	int		 catalog_expiry_warning;	/* seconds before expires_at that raise model.expiring, default 14 days (0: off) */

	/* [zdr]: zero-data-retention endpoints (OpenRouter's /api/v1/endpoints/zdr). */
	char		*zdr_url;		/* NULL: no ZDR source */
	char		*zdr_api_key_file;
	int		 zdr_interval;		/* default 3600 */
	int		 zdr_timeout;		/* default 30 */
	int		 zdr_retry_min;		/* default 30 */
	int		 zdr_retry_max;		/* default 3600 */
	size_t		 zdr_max_bytes;		/* default 16 MiB */
	int		 zdr_enforce;		/* enforce = yes; default 0 */
	int		 zdr_max_remove;	/* percent of synced ZDR models one refresh may remove, default 25 */

	/* [uptime]: per-model endpoint health. */
	char		*uptime_url;		/* template with {id}; NULL: off */
	char		*uptime_api_key_file;
	int		 uptime_interval;	/* default 300 */
	int		 uptime_timeout;	/* default 20 */
	int		 uptime_green;		/* percent, default 95 */
	int		 uptime_yellow;		/* percent, default 80 */
	int		 uptime_concurrency;	/* parallel fetches, default 4 (1..64) */
	int		 uptime_retention;	/* seconds samples are kept, default 90 days */
	size_t		 uptime_max_bytes;	/* per response, default 4 MiB */

	/* [alerts]: where events go. */
	struct cfg_list	 alert_exec;		/* argv of the program (no shell), empty: none */
	char		*alert_webhook;		/* URL POSTed a JSON body per event, NULL: none */
	int		 alert_retries;		/* attempts per event and channel, default 5 */
	int		 alert_timeout;		/* seconds per attempt, default 30 */

	/* [defaults]: the fallback order for a new default. */
	struct cfg_list	 default_fallback;

	/* [daemon], added after the others: events older than this are pruned. */
	int		 event_retention;	/* seconds, default 90 days (1h..3650d) */
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

/* "90", "90s", "5m", "1h", "2d" -> seconds; -1 if bad or out of 0..10 years. */
long	 cfg_parse_duration(const char *);

/* Does list l hold s (exact match)? */
int	 cfg_list_has(const struct cfg_list *l, const char *s);

const char *cfg_format_name(enum cat_format);

#endif
