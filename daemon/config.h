/* config.h: modelregd.conf, parsed through inih into a struct config that is swapped whole on reload. */
#ifndef MODELREG_CONFIG_H
#define MODELREG_CONFIG_H

#include <sys/types.h>
#include <stddef.h>

enum cat_format {
	FMT_MISTRAL = 0,
	FMT_OPENROUTER,
	FMT_OPENAI,
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

	/* [seed] */
	char		*seed_url;	/* http://, https:// or file://; NULL: no seed source */
	enum cat_format	 seed_format;	/* default FMT_MISTRAL */
	char		*seed_api_key_file;	/* NULL: none */
	struct cfg_list	 always_active, always_inactive;
	int		 new_model_active;	/* new_model_status = active; default 0 (inactive) */
	char		*default_model;	/* NULL: none */
	int		 seed_timeout;	/* seconds for one fetch, default 30 */
	int		 seed_retry_min;	/* seconds, first retry delay, default 5 */
	int		 seed_retry_max;	/* seconds, backoff cap, default 600 */
	size_t		 seed_max_bytes;	/* response cap, default 32 MiB */
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

/*
 * The built-in configuration used when no file is given and the default
 * file does not exist: the compiled-in paths, and [seed] from the bundled
 * Mistral snapshot (file://MODELREG_SEED_SNAPSHOT) with the PeerAI
 * document's always-active list.
 */
struct config *cfg_default(void);

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
