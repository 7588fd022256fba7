/* db_settings.h: the SQL of the per-model settings (db_settings.c), for reg_settings.c only. */
#ifndef MODELREG_DB_SETTINGS_H
#define MODELREG_DB_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "settings.h"

/* A model's settings row: what model_settings holds for it. */
struct db_settings {
	int	 has_label;
	char	 label[SETTINGS_LABEL_MAX + 1];
	int	 has[SP_COUNT];
	double	 v[SP_COUNT];
	unsigned enforced;		/* bit i: parameter i */
};

/* The row of exact id (all unset when it has none): 0, or -1. */
int	 db_settings_get(sqlite3 *, const char *id, struct db_settings *);
/*
 * Write the row in the caller's transaction (deleted when nothing is set
 * and the model has no organisation alias left: add and remove aliases
 * first): 0 or -1.
 */
int	 db_settings_put(sqlite3 *, const char *id, const struct db_settings *,
	    int64_t now);
/* The model's context length, 0 when unknown: 0, or -1. */
int	 db_settings_context(sqlite3 *, const char *id, int64_t *context);

/* The organisation aliases of id, sorted, at most max: the count, or -1. */
int	 db_org_aliases(sqlite3 *, const char *id,
	    char (*aliases)[SETTINGS_ALIAS_MAX + 1], int max);
int	 db_org_alias_add(sqlite3 *, const char *alias, const char *id,
	    int64_t now);
int	 db_org_alias_remove(sqlite3 *, const char *alias, const char *id);

/*
 * Who already has name, in the one namespace of names: an organisation
 * alias, a model id, a registered model's (catalog) alias, a catalog
 * entry's id or alias. 0 with owner (the model or entry) and *what (a
 * static phrase: "organisation alias", "model id", "catalog alias",
 * "catalog id, not synced", "catalog alias, not synced"); 1 when nobody;
 * -1 on failure.
 */
int	 db_name_owner(sqlite3 *, const char *name, char *owner, size_t olen,
	    const char **what);

#endif
