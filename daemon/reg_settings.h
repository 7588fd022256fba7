/* reg_settings.h: the rules of the per-model settings (reg_settings.c): SET and UNSET, one transaction each. */
#ifndef MODELREG_REG_SETTINGS_H
#define MODELREG_REG_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "registry.h"
#include "settings.h"

/*
 * SET: what to set on the model the user named (an id or any alias).
 * Values come parsed (settings_parse_value); the rule checks their
 * ranges against the model (max_tokens against its context), the
 * enforced parameters against what is set, and each alias against the
 * one namespace of names (db_name_owner), then writes them, an audit
 * row per changed field (action "set": field, old, new) and one
 * model.configured event, in one transaction. A refusal changes
 * nothing: REG_USAGE for a value out of range or an enforced parameter
 * that is not set, REG_CONFLICT for an alias someone has or too many.
 * Setting what is already so is REG_OK with out->changes 0.
 */
struct reg_set_in {
	const char		*model;
	const struct actor	*actor;
	int64_t			 now;		/* 0: the current time */
	const char		*label;		/* NULL: leave it */
	const char		*aliases[SETTINGS_MAX_ALIASES];	/* to add */
	int			 naliases;
	int			 has[SP_COUNT];	/* parameters to set to v[] */
	double			 v[SP_COUNT];
	unsigned		 enforce;	/* parameters to enforce too */
};

/*
 * UNSET: what to remove. Unsetting a parameter stops enforcing it too.
 * Removing an alias the model does not have is REG_CONFLICT; unsetting
 * what is not set is REG_OK with out->changes 0. Audited as "unset".
 */
struct reg_unset_in {
	const char		*model;
	const struct actor	*actor;
	int64_t			 now;
	int			 label;		/* remove the label */
	int			 all_aliases;	/* remove every organisation alias */
	const char		*aliases[SETTINGS_MAX_ALIASES];	/* or these */
	int			 naliases;
	unsigned		 params;	/* parameters to remove */
	int			 all_enforced;	/* enforce none */
	unsigned		 enforce;	/* or stop enforcing these */
};

struct reg_settings_out {
	char	 id[256];		/* the resolved model */
	int	 changes;		/* fields changed (audit rows written) */
};

enum reg_rc reg_settings_set(sqlite3 *, const struct reg_set_in *,
	    struct reg_settings_out *, char *msg, size_t);
enum reg_rc reg_settings_unset(sqlite3 *, const struct reg_unset_in *,
	    struct reg_settings_out *, char *msg, size_t);

#endif
