/* reg_default.h: the rule for which model may be the default, and who takes over when it goes away. */
#ifndef MODELREG_REG_DEFAULT_H
#define MODELREG_REG_DEFAULT_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

struct actor;
struct cfg_list;

/*
 * Models that could stand in for model (suggestions in events): active,
 * of its kind, not expired, not red, with at least model's features and at least its
 * context length (when known), cheapest first (by prompt price, unknown
 * last), then by id; never model itself. Up to max ids. Returns the
 * number found, or -1.
 */
int	 reg_alternatives(sqlite3 *, const char *model, char (*ids)[256], int max);
/*
 * The model that becomes the default when old_default goes away: the
 * first active model named in fallback ([defaults] fallback; ids or
 * aliases) that may be the default (reg_default_allowed), else the best
 * alternative of old_default among the active chat models that have not
 * expired at now. When no model meets every criterion of the strict
 * alternative, the criteria are relaxed one at a time, context first,
 * then features, then health; *relaxed (may be NULL) receives the
 * REG_RELAX_* bits given up. 1 found (id set), 0 no active chat model
 * at all, -1 error. Reads only: the caller changes the default.
 */
#define REG_RELAX_CONTEXT	0x01
#define REG_RELAX_FEATURES	0x02
#define REG_RELAX_HEALTH	0x04
int	 reg_pick_default(sqlite3 *, const struct cfg_list *fallback,
	    const char *old_default, int64_t now, char *id, size_t idlen,
	    unsigned *relaxed);

/*
 * The rule that says which model may be the default: a chat model that
 * has not expired at now. One function, called by every path that sets
 * the default (reg_default_make, and the choices of seeding's
 * default_model and of [defaults] fallback before it).
 * reg_default_allowed looks the model (exact id) up: 0 allowed, 1
 * refused (why set: "mistral-embed is an embedding model; the default
 * must be a chat model"), -1 error. reg_default_refused is the rule
 * itself, over the facts: 1 refused (why set), 0 allowed.
 */
int	 reg_default_refused(const char *id, const char *kind, int64_t expires_at,
	    int64_t now, char *why, size_t len);
int	 reg_default_allowed(sqlite3 *, const char *id, int64_t now, char *why,
	    size_t len);
/*
 * Make id (an exact id) the default, inside the caller's open
 * transaction: the one function that sets the mark (DEFAULT, seeding's
 * default_model and reassignment all call it). It refuses (1, why set)
 * a model that is absent, inactive ("activate it first"), or refused by
 * reg_default_refused at now; else it moves the mark (the schema allows
 * one, on an active chat model) and writes the audit row ("default",
 * previous -> id). prev (may be NULL) receives the previous default's id,
 * "" when there was none. It raises no event: the caller's says why.
 * 0 done, 1 refused, -1 error (the caller rolls back).
 */
int	 reg_default_make(sqlite3 *, const char *id, int64_t now,
	    const struct actor *, char *prev, size_t plen, char *why,
	    size_t wlen);
/* "context, features" for REG_RELAX_* bits (out: 64 bytes is enough); "" for none. */
void	 reg_relaxed_names(unsigned relaxed, const char *sep, char *out, size_t len);

/*
 * Move the default away from old (an exact id that is the default and is
 * about to be removed or deactivated), inside the caller's open
 * transaction: pick the successor by reg_pick_default while old still
 * exists, move the mark (reg_default_make), write the audit row and raise default.changed
 * (details {"old","new","reason","relaxed":[...]}; the message says what
 * happened to old, given as what: "lost zero data retention and was
 * removed"). out->found is 0 and out->id "" when no active chat model is
 * left, and then there is no default. 0, or -1 (a database error: the
 * caller rolls back).
 */
struct reg_reassign {
	int		 found;
	char		 id[256];
	unsigned	 relaxed;	/* REG_RELAX_* given up */
};
int	 reg_default_reassign(sqlite3 *, const struct cfg_list *fallback,
	    const char *old, int64_t now, const struct actor *,
	    const char *reason, const char *what, struct reg_reassign *out);

#endif
