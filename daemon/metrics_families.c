/* metrics_families.c: what GET /metrics shows, as a table of metric families, one function each. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "metrics.h"
#include "rcounts.h"
#include "reg_caps.h"
#include "reg_metrics.h"
#include "resolve_batch.h"
#include "source.h"

/*
 * One scrape's state: the per-model families share one query, run by
 * the first of them that needs it, so a scrape reads the active models
 * once whatever the number of families that show them.
 */
struct mscrape {
	int64_t			 models, active;
	int			 have_counts;
	struct mmodel {
		char	*id;
		int	 is_default, zdr, has_uptime;
		char	 health[8];
		double	 uptime;
		int64_t	 prompt, completion;	/* mscrape_usage */
		double	 cost;
	}			*m;
	int			 have_usage;
	int			 nm, have_models;
};

/* A family: its name, type, help and the function that writes its samples. */
struct mfamily {
	const char	*name;
	const char	*type;		/* "gauge" or "counter" */
	const char	*help;
	int		(*fn)(struct buf *, const struct mfamily *, struct mscrape *);
	int		 which;		/* for the functions several families share */
};

/* What fam_model and fam_source write for a family. */
enum { M_HEALTH, M_UPTIME, M_ZDR, M_DEFAULT };
enum { S_SUCCESS, S_FAILURE, S_DURATION, S_ITEMS, S_FAILURES };

static int
mscrape_counts(struct mscrape *s)
{
	if (s->have_counts)
		return 0;
	if (reg_metrics_counts(md.db, &s->models, &s->active) != REG_OK)
		return -1;
	s->have_counts = 1;
	return 0;
}

static int
mscrape_model_cb(const struct db_metrics_model *dm, void *arg)
{
	struct mscrape	*s = arg;
	struct mmodel	*m = &s->m[s->nm];

	if ((m->id = strdup(dm->id)) == NULL)
		return -1;
	m->is_default = dm->is_default;
	m->zdr = dm->zdr;
	m->has_uptime = dm->has_uptime;
	m->uptime = dm->uptime_30m;
	snprintf(m->health, sizeof(m->health), "%s", dm->health);
	s->nm++;
	return 0;
}

static int
mscrape_models(struct mscrape *s)
{
	int	 max = md.cfg->metrics_max_models, n;

	if (s->have_models)
		return 0;
	s->have_models = 1;
	if (max == 0)
		return 0;
	if ((s->m = calloc((size_t)max, sizeof(*s->m))) == NULL)
		return -1;
	return reg_metrics_models(md.db, max, mscrape_model_cb, s, &n) ==
	    REG_OK ? 0 : -1;
}

static void
mscrape_free(struct mscrape *s)
{
	int	 i;

	for (i = 0; i < s->nm; i++)
		free(s->m[i].id);
	free(s->m);
}

static int
fam_models(struct buf *b, const struct mfamily *f, struct mscrape *s)
{
	const char	*act[] = { "status", "active" };
	const char	*ina[] = { "status", "inactive" };

	if (mscrape_counts(s) == -1)
		return -1;
	if (metrics_sample(b, f->name, (double)s->active, 1, act) == -1 ||
	    metrics_sample(b, f->name, (double)(s->models - s->active), 1,
	    ina) == -1)
		return -1;
	return 0;
}

static int
fam_omitted(struct buf *b, const struct mfamily *f, struct mscrape *s)
{
	if (mscrape_counts(s) == -1 || mscrape_models(s) == -1)
		return -1;
	return metrics_sample(b, f->name, s->active > s->nm ?
	    (double)(s->active - s->nm) : 0, 0, NULL);
}

/* The per-model families, f->which says which figure. */
static int
fam_model(struct buf *b, const struct mfamily *f, struct mscrape *s)
{
	const char	*l[4];
	int		 i, r = 0;

	if (mscrape_models(s) == -1)
		return -1;
	for (i = 0; i < s->nm && r == 0; i++) {
		const struct mmodel *m = &s->m[i];

		l[0] = "model";
		l[1] = m->id;
		switch (f->which) {
		case M_HEALTH:
			l[2] = "health";
			l[3] = m->health;
			r = metrics_sample(b, f->name, 1, 2, l);
			break;
		case M_UPTIME:
			if (m->has_uptime)
				r = metrics_sample(b, f->name, m->uptime, 1, l);
			break;
		case M_ZDR:
			if (m->zdr != -1)
				r = metrics_sample(b, f->name, m->zdr, 1, l);
			break;
		default:
			r = metrics_sample(b, f->name, m->is_default, 1, l);
			break;
		}
	}
	return r;
}

/* The per-source families, f->which says which figure. */
static int
fam_source(struct buf *b, const struct mfamily *f, struct mscrape *s)
{
	struct source		*src;
	const char		*l[2] = { "source", NULL };
	double			 v;

	for (src = source_first(); src != NULL; src = source_next(src)) {
		l[1] = src->name;
		switch (f->which) {
		case S_SUCCESS:
			v = (double)src->last_ok;
			break;
		case S_FAILURE:
			v = (double)src->last_failed;
			break;
		case S_DURATION:
			v = (double)src->last_duration_ms / 1000.0;
			break;
		case S_FAILURES:
			v = src->failures;
			break;
		default:
			v = src->items;
			break;
		}
		if (metrics_sample(b, f->name, v, 1, l) == -1)
			return -1;
	}
	return 0;
}

struct mwalk {
	struct buf		*b;
	const struct mfamily	*f;
	int			 fail;
};

static void
walk_request(const char *verb, const char *code, uint64_t n, void *arg)
{
	struct mwalk	*w = arg;
	const char	*l[] = { "verb", verb, "code", code };

	if (metrics_sample(w->b, w->f->name, (double)n, 2, l) == -1)
		w->fail = 1;
}

static int
fam_requests(struct buf *b, const struct mfamily *f, struct mscrape *s)
{
	struct mwalk	 w = { b, f, 0 };

	metrics_each_request(walk_request, &w);
	return w.fail ? -1 : 0;
}

static void
walk_event(const char *kind, uint64_t n, void *arg)
{
	struct mwalk	*w = arg;
	const char	*l[] = { "kind", kind };

	if (metrics_sample(w->b, w->f->name, (double)n, 1, l) == -1)
		w->fail = 1;
}

static int
fam_events(struct buf *b, const struct mfamily *f, struct mscrape *s)
{
	struct mwalk	 w = { b, f, 0 };

	metrics_each_event(walk_event, &w);
	return w.fail ? -1 : 0;
}

static int
fam_resolve(struct buf *b, const struct mfamily *f, struct mscrape *s)
{
	uint64_t	 n[RC_N] = { 0 };
	const char	*l[2] = { "reason", NULL };
	int		 i;

	resolve_totals(n);
	for (i = 0; i < RC_N; i++) {
		l[1] = rcounts_reason_name(i);
		if (metrics_sample(b, f->name, (double)n[i], 1, l) == -1)
			return -1;
	}
	return 0;
}

/*
 * Issue 10: usage over all time of the models the per-model families
 * show (active, the first max_models by id), once a scrape for both
 * families. reg_metrics_usage keeps the sums of the days that can no
 * longer change in usage_past (cache.c, bounded; a new day empties it),
 * so a scrape reads two days' rows of each model, not its history.
 */
static struct cache	*usage_past;
/* Enough for [metrics] max_models' largest (10000) at about 150 bytes an entry. */
#define USAGE_PAST_BYTES	(2 * 1024 * 1024)

static int
mscrape_usage(struct mscrape *s)
{
	int	 i;

	if (s->have_usage)
		return 0;
	if (mscrape_models(s) == -1)
		return -1;
	if (usage_past == NULL)
		usage_past = cache_new(USAGE_PAST_BYTES);	/* NULL: read it all */
	for (i = 0; i < s->nm; i++)
		if (reg_metrics_usage(md.db, usage_past, s->m[i].id, 0,
		    &s->m[i].prompt, &s->m[i].completion, &s->m[i].cost) !=
		    REG_OK)
			return -1;
	s->have_usage = 1;
	return 0;
}

void
metrics_families_free(void)
{
	cache_free(usage_past);
	usage_past = NULL;
}

/* f->which: 0 tokens (by type), 1 cost. */
static int
fam_usage(struct buf *b, const struct mfamily *f, struct mscrape *s)
{
	const char	*l[4];
	int		 i;

	if (mscrape_usage(s) == -1)
		return -1;
	for (i = 0; i < s->nm; i++) {
		l[0] = "model";
		l[1] = s->m[i].id;
		if (f->which == 1) {
			if (metrics_sample(b, f->name, s->m[i].cost, 1, l) == -1)
				return -1;
			continue;
		}
		l[2] = "type";
		l[3] = "prompt";
		if (metrics_sample(b, f->name, (double)s->m[i].prompt, 2, l) ==
		    -1)
			return -1;
		l[3] = "completion";
		if (metrics_sample(b, f->name, (double)s->m[i].completion, 2,
		    l) == -1)
			return -1;
	}
	return 0;
}

/* Issue 10: what each cap has left in its current period (caps are few: an admin sets each). */
struct mcap {
	struct buf		*b;
	const struct mfamily	*f;
};

static int
cap_cb(const struct reg_cap *c, void *arg)
{
	struct mcap	*w = arg;
	const char	*l[4];
	double		 left = c->amount - c->spent;

	l[0] = "target";
	l[1] = c->key_id != 0 ? "key" : "model";
	l[2] = "name";
	l[3] = c->key_id != 0 ? c->key : c->model;
	return metrics_sample(w->b, w->f->name, left > 0 ? left : 0, 2, l);
}

static int
fam_caps(struct buf *b, const struct mfamily *f, struct mscrape *s)
{
	struct mcap	 w = { b, f };
	char		 msg[256];

	(void)s;
	return reg_cap_list(md.db, 0, cap_cb, &w, msg, sizeof(msg)) == REG_OK ?
	    0 : -1;
}

static int
fam_clients(struct buf *b, const struct mfamily *f, struct mscrape *s)
{
	return metrics_sample(b, f->name, control_clients(), 0, NULL);
}

/*
 * The families, in the order a scrape shows them. Adding one is one
 * entry and one function (usage and caps add theirs here).
 */
static const struct mfamily families[] = {
	{ "modelreg_models", "gauge",
	    "Models in the registry by status.", fam_models, 0 },
	{ "modelreg_model_health", "gauge",
	    "Health of an active model from its latest uptime sample (1 for "
	    "the current colour).", fam_model, M_HEALTH },
	{ "modelreg_model_uptime_30m_percent", "gauge",
	    "Uptime over the last 30 minutes of an active model's best "
	    "endpoint, in percent (absent when unknown).", fam_model, M_UPTIME },
	{ "modelreg_model_zdr", "gauge",
	    "Whether an active model has zero data retention (absent when "
	    "unknown).", fam_model, M_ZDR },
	{ "modelreg_model_default", "gauge",
	    "Whether an active model is the default (1) or not (0).",
	    fam_model, M_DEFAULT },
	{ "modelreg_metrics_models_omitted", "gauge",
	    "Active models left out of the per-model families by [metrics] "
	    "max_models.", fam_omitted, 0 },
	{ "modelreg_source_last_success_timestamp_seconds", "gauge",
	    "When a source's last successful run ended (0: never).",
	    fam_source, S_SUCCESS },
	{ "modelreg_source_last_failure_timestamp_seconds", "gauge",
	    "When a source's last failed run ended (0: never).", fam_source,
	    S_FAILURE },
	{ "modelreg_source_last_duration_seconds", "gauge",
	    "How long a source's last run took.", fam_source, S_DURATION },
	{ "modelreg_source_items", "gauge",
	    "What a source's last successful run counted (models, slugs, "
	    "samples).", fam_source, S_ITEMS },
	{ "modelreg_source_consecutive_failures", "gauge",
	    "Failed runs of a source in a row.", fam_source, S_FAILURES },
	{ "modelreg_requests_total", "counter",
	    "Control socket requests answered, by verb and result code (ok or "
	    "the ERR code).", fam_requests, 0 },
	{ "modelreg_resolve_total", "counter",
	    "RESOLVE answers by reason.", fam_resolve, 0 },
	{ "modelreg_clients_connected", "gauge",
	    "Connections to the control socket.", fam_clients, 0 },
	{ "modelreg_events_total", "counter",
	    "Events committed since the daemon started, by kind.", fam_events, 0 },
	{ "modelreg_usage_tokens_total", "counter",
	    "Tokens reported by USAGE for an active model over all time, by "
	    "type (prompt, completion).", fam_usage, 0 },
	{ "modelreg_usage_cost_usd_total", "counter",
	    "Cost in USD of the USAGE reports of an active model over all "
	    "time.", fam_usage, 1 },
	{ "modelreg_cap_remaining_usd", "gauge",
	    "What a spending cap has left in its current period, in USD (0 "
	    "once spent), by target (model or key) and name.", fam_caps, 0 },
};

int
metrics_render(struct buf *out)
{
	struct mscrape	 s;
	size_t		 i;
	int		 r = 0;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < sizeof(families) / sizeof(families[0]) && r == 0; i++)
		if (metrics_family(out, families[i].name, families[i].type,
		    families[i].help) == -1 ||
		    families[i].fn(out, &families[i], &s) == -1)
			r = -1;
	mscrape_free(&s);
	return r;
}
