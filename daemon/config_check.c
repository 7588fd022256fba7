/* config_check.c: modelregd.conf's rules that involve several keys, applied once the whole file is read. */
#include <sys/types.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "config_int.h"

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
	    cfg_section_names[cfg_keys[kmin].sec]);
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
void
cfg_seed_defaults(struct pctx *c)
{
	struct config	*cfg = c->cfg;

	if (!c->seen[K_URL] && cfg->catalog.url != NULL)
		cfg_set_string(c, &cfg->seed.url, NULL);
	if (cfg_is_bundled_seed(cfg->seed.url))
		return;
	if (!c->seen[K_ALWAYS_ACTIVE])
		cfg_list_free(&cfg->always_active);
	if (!c->seen[K_ALWAYS_INACTIVE])
		cfg_list_free(&cfg->always_inactive);
	if (!c->seen[K_DEFAULT_MODEL])
		cfg_set_string(c, &cfg->default_model, NULL);
}

/*
 * The connection slots: the per-uid limit follows max_clients unless set;
 * set above max_clients it is simply no limit (max_clients still holds).
 * The reserved slots must leave one for everybody else when set, and are
 * clamped rather than refused when only max_clients was set small, so
 * "max_clients = 4" alone is a valid file.
 */
static void
cfg_check_clients(struct pctx *c)
{
	struct config	*cfg = c->cfg;

	if (!c->seen[K_MAX_CLIENTS_PER_UID]) {
		cfg->max_clients_per_uid = cfg->max_clients / 4;
		if (cfg->max_clients_per_uid < 1)
			cfg->max_clients_per_uid = 1;
	}
	if (!c->seen[K_RESERVED_CLIENTS]) {
		if (cfg->reserved_clients > cfg->max_clients - 1)
			cfg->reserved_clients = cfg->max_clients - 1;
	} else if (cfg->reserved_clients >= cfg->max_clients)
		pctx_error(c, later_line(c, K_MAX_CLIENTS, K_RESERVED_CLIENTS),
		    "reserved_clients (%d) must be less than max_clients (%d)",
		    cfg->reserved_clients, cfg->max_clients);
}

/* Rules that involve several keys, checked once the whole file is read. */
void
cfg_check(struct pctx *c)
{
	struct config	*cfg = c->cfg;
	char		 shown[CFG_SHOW_MAX];
	size_t		 i;
	int		 line;

	check_retry(c, K_RETRY_MIN, K_RETRY_MAX, cfg->seed.retry_min,
	    cfg->seed.retry_max);
	check_retry(c, K_CAT_RETRY_MIN, K_CAT_RETRY_MAX,
	    cfg->catalog.retry_min, cfg->catalog.retry_max);
	check_retry(c, K_ZDR_RETRY_MIN, K_ZDR_RETRY_MAX, cfg->zdr.retry_min,
	    cfg->zdr.retry_max);
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
		    "and always_inactive", cfg_show(shown, sizeof(shown),
		    cfg->always_inactive.v[i]));
	}
	if (cfg->default_model != NULL &&
	    cfg_list_has(&cfg->always_inactive, cfg->default_model))
		pctx_error(c, c->seen[K_DEFAULT_MODEL] != 0 ?
		    c->seen[K_DEFAULT_MODEL] : c->seen[K_ALWAYS_INACTIVE],
		    "default_model \"%s\" is in always_inactive, but the "
		    "default model must be active",
		    cfg_show(shown, sizeof(shown), cfg->default_model));
	cfg_check_clients(c);
	cfg_check_mail(c);
}
