/* registry.h: the rules of the models family (reg_models.c, reg_seed.c, reg_expiry.c) and the read side (reg_read.c). */
#ifndef MODELREG_REGISTRY_H
#define MODELREG_REGISTRY_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "settings.h"	/* SP_COUNT */

struct config;
struct sessions;

/* Result codes; the protocol layer maps them to ERR codes of the same name. */
enum reg_rc {
	REG_OK = 0,
	REG_NOTFOUND,		/* ERR notfound */
	REG_CONFLICT,		/* ERR conflict */
	REG_USAGE,		/* ERR usage (a bad filter or sort key) */
	REG_INTERNAL,		/* ERR internal (SQLite failed; nothing changed) */
	REG_DENIED,		/* ERR denied (issue 9: DELETE force=yes needs admin) */
};

/* Who makes a change: written to the audit log. */
struct actor {
	uid_t		 uid;
	const char	*user;		/* user name, "seed", "zdr", ... */
	const char	*source;	/* status source for status changes: "manual", "seed" or "auto" */
};

/*
 * A model as read from the registry. Every pointer is valid only during
 * the callback that receives it. Unknown numbers have their has_ flag 0.
 * Times are unix seconds, 0 when unknown.
 */
struct model {
	const char	*id;
	const char	*name;
	const char	*provider;
	const char	*description;
	int64_t		 context_length;	int has_context;
	double		 prompt_price;		int has_prompt_price;	/* USD per 1M tokens */
	double		 completion_price;	int has_completion_price;
	unsigned	 features;		/* FEAT_* bits */
	const char	*aliases;		/* JSON array text, e.g. ["a","b"] */
	int		 active;
	int		 is_default;
	const char	*status_source;		/* "seed", "manual" or "auto" */
	int64_t		 added_at, status_changed_at, last_seen_at;
	/* Issue 3: discovery, ZDR and health. */
	const char	*canonical_slug;	/* NULL when unknown */
	int		 delisted;		/* the catalog stopped listing it */
	int		 zdr;			/* 1, 0, or -1 unknown */
	const char	*health;		/* "green" "yellow" "red" "unknown" */
	double		 uptime_30m;		int has_uptime;	/* percent */
	/* Issue 6: why the daemon set the status ("zdr_held"), NULL when no reason. */
	const char	*status_reason;
	/* Issue 6: kind, other prices, expiry. */
	const char	*kind;			/* "chat", "embedding", ... (REG_KINDS) */
	const char	*prices;		/* JSON object text, "{}" when none */
	int64_t		 expires_at;		/* 0 when it does not expire */
	/* Issue 9: the organisation's settings (reg_settings.c). */
	const char	*label;			/* NULL when none */
	const char	*org_aliases;		/* comma list, sorted, "" when none */
	int		 has_param[SP_COUNT];	/* settings.h's parameters */
	double		 param[SP_COUNT];
	unsigned	 enforced;		/* bit i: parameter i */
	/* Issue 11: the model's tags, a sorted comma list, "" when none. */
	const char	*tags;
};

typedef int (*reg_model_cb)(const struct model *, void *arg);	/* non-zero stops */

enum reg_status_filter { RS_ALL = 0, RS_ACTIVE, RS_INACTIVE };
enum reg_sort { SORT_NAME = 0, SORT_PROVIDER, SORT_CONTEXT, SORT_PRICE, SORT_STATUS };

/*
 * A page's place in LIST or CATALOG (issue 8): the sort key value and id
 * of the last row of the page before, for the sort and order it was made
 * for. cursor.h encodes it as the protocol's opaque token.
 */
enum page_cursor_type { CUR_NULL, CUR_INT, CUR_REAL, CUR_TEXT };
#define REG_CURSOR_TEXT	1024	/* a text sort key of up to 1023 bytes */
struct page_cursor {
	enum reg_sort		 sort;
	int			 desc;
	enum page_cursor_type	 type;
	int64_t			 i;		/* CUR_INT */
	double			 r;		/* CUR_REAL */
	char			 text[REG_CURSOR_TEXT];	/* CUR_TEXT */
	char			 id[256];	/* "" in next: no more rows */
};

struct list_query {
	enum reg_status_filter	 status;
	const char		*provider;	/* exact, case-insensitive; NULL: any */
	const char		*search;	/* substring, case-insensitive, over id, name, provider, description, aliases */
	enum reg_sort		 sort;		/* ties broken by id */
	int			 desc;
	const char		*kind;		/* one of REG_KINDS; NULL: any */
	/* Paging (issue 8): the first limit rows (0: all) after after (NULL: from the start). */
	int			 limit;
	const struct page_cursor	*after;		/* its sort and desc must be the query's */
	struct page_cursor	*next;		/* out (may be NULL): where the next page starts, id "" when none */
	/* Issue 11: only models with this tag, or in this collection (by name); NULL: any. */
	const char		*tag;
	const char		*collection;
};

/*
 * The rules of the models family (reg_models.c). Each is one transaction
 * that writes its audit row and raises its event inside it (events.c,
 * notified after the commit), and reads nothing but its arguments: no
 * globals. msg (may be NULL) receives a one-line English message for the
 * reply: on success what happened, on failure why. out is filled on
 * REG_OK (on failure it is zeroed), so the caller never queries again.
 * Model names given by users resolve to an id exactly, else to the model
 * that lists the name among its aliases.
 */
struct reg_model_in {
	const char		*model;		/* the user's name: an id or an alias */
	const struct actor	*actor;
	int64_t			 now;		/* unix seconds; 0: the current time */
	/* Issue 9 item 4, DELETE: the live sessions (sessions.h), force=yes, and whether the actor is an admin. */
	struct sessions		*sessions;	/* NULL: none are counted */
	int			 force;
	int			 admin;
};

/* ACTIVATE and DEACTIVATE: REG_CONFLICT when already so, or (deactivate) when it is the default. */
struct reg_status_out {
	char	 id[256];		/* the resolved id */
	int	 was_active;		/* the previous status */
	int	 active;		/* the new status */
};
enum reg_rc reg_activate(sqlite3 *, const struct reg_model_in *,
	    struct reg_status_out *, char *msg, size_t);
enum reg_rc reg_deactivate(sqlite3 *, const struct reg_model_in *,
	    struct reg_status_out *, char *msg, size_t);

/*
 * DEFAULT model: the one rule for the default (reg_default_make in
 * reg_default.c: active, and reg_default_refused's chat and expiry rule);
 * REG_CONFLICT when it refuses or the model is the default already.
 */
struct reg_default_out {
	char	 id[256];		/* the new default */
	char	 previous[256];		/* the previous default, "" when there was none */
};
enum reg_rc reg_set_default(sqlite3 *, const struct reg_model_in *,
	    struct reg_default_out *, char *msg, size_t);

/* DELETE: the whole row goes to the audit log; REG_CONFLICT for the default. */
struct reg_delete_out {
	char	 id[256];		/* the deleted id */
};
enum reg_rc reg_delete(sqlite3 *, const struct reg_model_in *,
	    struct reg_delete_out *, char *msg, size_t);

/*
 * The settings the rules read, taken from the config by the caller
 * (reg_settings_cfg) or built by a test. Lists may be NULL (empty).
 */
struct cfg_list;
struct reg_settings {
	const struct cfg_list	*always_active;		/* [seed] always_active */
	const struct cfg_list	*always_inactive;	/* [seed] always_inactive */
	int			 new_model_active;	/* [seed] new_model_status = active */
	const char		*default_model;		/* [seed] default_model; NULL or "": none */
	/*
	 * [defaults] fallback: the order in which a new default is chosen
	 * when the default goes away (reg_default_reassign's callers). The
	 * seed rules never move a default that exists, so they do not read it.
	 */
	const struct cfg_list	*fallback;
	int64_t			 expiry_warning;	/* [catalog] expiry_warning, seconds; 0: never */
};
/* Fill s from cfg (which must outlive s); returns s, so a call can take it directly. */
const struct reg_settings *reg_settings_cfg(const struct config *cfg,
	    struct reg_settings *s);

/*
 * The read side (reg_read.c): no transaction, nothing written.
 * reg_show: REG_NOTFOUND when absent. reg_default: REG_NOTFOUND when none
 * is set. reg_list: REG_USAGE on a bad filter or sort key.
 */
enum reg_rc reg_list(sqlite3 *, const struct list_query *, reg_model_cb, void *arg);
enum reg_rc reg_show(sqlite3 *, const char *model, reg_model_cb, void *arg);
enum reg_rc reg_default(sqlite3 *, reg_model_cb, void *arg);
/*
 * The database's write generation (issue 8, db_generation): what a read
 * may be cached under. Take it before the read; 0: cache nothing.
 */
uint64_t reg_generation(void);

struct reg_counts {
	int64_t	 models, active;
	char	 default_id[256];	/* "" when none */
	int64_t	 seeded_at;		/* 0 when never */
};
enum reg_rc reg_counts(sqlite3 *, struct reg_counts *);

/*
 * AUDIT and EVENTS: the rows of the audit log and of the events table,
 * filtered (the query and row types are in db_audit.h and db_events.h).
 * REG_USAGE for a limit below 1; REG_INTERNAL when SQLite failed or cb
 * returned -1 (it sets its own flag to tell which).
 */
struct db_audit_query;
struct db_audit_row;
struct db_event_query;
struct db_event;
enum reg_rc reg_audit_list(sqlite3 *, const struct db_audit_query *,
	    int (*cb)(const struct db_audit_row *, void *), void *arg);
enum reg_rc reg_events_list(sqlite3 *, const struct db_event_query *,
	    int (*cb)(const struct db_event *, void *), void *arg);

/* Parse LIST's words; -1 on an unknown value. */
int	 reg_parse_status_filter(const char *, enum reg_status_filter *);
int	 reg_parse_sort(const char *, enum reg_sort *);

/*
 * Seeding (reg_seed.c, the PeerAI rules). The catalog has been parsed
 * into the temp table "staging" (see catalog.h). In one transaction:
 *  - every staged model not in the registry is added: active if named in
 *    always_active, inactive if in always_inactive, else new_model_active
 *    (status_source "seed");
 *  - every staged model already in the registry gets its name and
 *    metadata updated and last_seen_at set; its status is kept unless an
 *    always list names it (then it is set, status_source "seed");
 *  - if no default exists and default_model names a staged or registered
 *    model that may be the default, that model is activated and made the
 *    default (by reg_default_make, the one way the mark is set);
 *  - state seeded_at is set (first time) and last_seed_at always.
 * Names in the always lists and default_model match ids or aliases.
 * A name the catalog does not list is reported in out->warnings (one
 * line per name, "always_active: foo is not in the catalog"), not an error.
 * REG_CONFLICT when staging is empty; any failure rolls everything back
 * (REG_INTERNAL). s may be NULL (no lists, new models inactive).
 */
struct reg_seed_in {
	const struct actor	*actor;
	int64_t			 now;		/* unix seconds; 0: the current time */
	/*
	 * A first load leaves its sort indexes and its search index to
	 * reg_seed_finish, a transaction of its own right after (the import
	 * worker's seed; db_import.c says why).
	 */
	int			 defer;
};
/*
 * What a seed left (reg_seed_in.defer): build it now, in one transaction;
 * nothing when nothing was left. reg_seed_owed says whether a seed on
 * this thread left something since the last call (and forgets it).
 */
enum reg_rc reg_seed_finish(sqlite3 *, char *msg, size_t);
int	 reg_seed_owed(void);
struct seed_result {
	int64_t	 listed;		/* the staged models */
	int	 added, updated, activated, deactivated;
	int	 default_set;		/* 1 when default_model was applied */
	char	 default_id[256];	/* the model made the default, "" when none */
	char	 warnings[1024];	/* "; "-separated, "" when none */
};
enum reg_rc reg_seed_apply(sqlite3 *, const struct reg_settings *,
	    const struct reg_seed_in *, struct seed_result *, char *msg, size_t);

#include "reg_default.h"	/* the default's rules */

/* Issue 6: the kinds of model. */
#define REG_KINDS	"chat, embedding, moderation, ocr, image, audio or other"
int	 reg_parse_kind(const char *, const char **kind);	/* -1 unknown; *kind: the stored spelling */

/*
 * Expiry (reg_expiry.c), one transaction at in->now (0: the current
 * time): model.expiring for each model that expires within
 * s->expiry_warning seconds (once per expires_at; 0: never),
 * model.expired for each active model past its expires_at (once per
 * expires_at, so a restart does not repeat them and a new date re-arms
 * them). The events commit with the marks; the caller calls
 * events_notify(). out->next receives the next time one will be due (0:
 * none); counts in expiring, expired.
 */
struct reg_expiry_in {
	int64_t	 now;
};
struct expiry_result {
	int	 expiring, expired;
	int64_t	 next;
};
enum reg_rc reg_expiry_check(sqlite3 *, const struct reg_settings *,
	    const struct reg_expiry_in *, struct expiry_result *, char *msg,
	    size_t);

#endif
