/* reg_export.h: the rules of EXPORT and IMPORT (issue 11 item 4): read the registry's decisions; apply a parsed file in one transaction and say what changed. */
#ifndef MODELREG_REG_EXPORT_H
#define MODELREG_REG_EXPORT_H

#include <stddef.h>
#include <sqlite3.h>

#include "buf.h"
#include "export.h"
#include "registry.h"

/*
 * EXPORT: the registry's decisions as the canonical text (export.h),
 * read in one read transaction so every section is of one state. out
 * gets the text (the caller frees it).
 */
enum reg_rc reg_export(sqlite3 *, struct buf *out, char *msg, size_t len);

/* One line of IMPORT's diff: what changed (or was synced, created, skipped). */
struct import_item {
	const char	*kind;		/* "model", "default", "collection", "key", "cap" */
	char		*name;		/* the id or name */
	const char	*outcome;	/* "changed", "synced", "created", "skipped" */
	char		*field;		/* for changed: "status", "label", "tags", ... */
	char		*oldv, *newv;	/* for changed; NULL: none */
	char		*reason;	/* for skipped */
};

struct reg_import_in {
	const struct export_doc	*doc;	/* parsed and validated (export_parse) */
	int			 dry_run;
	int			 strict;	/* refuse when a model is neither here nor in the catalog */
	int			 zdr_enforce;	/* [zdr] enforce: a catalog model without ZDR is not synced */
	const struct actor	*actor;
	const char		*action;	/* the audit rows' action: NULL "import" (an undo: "undo") */
	int64_t			 now;
};

struct reg_import_out {
	struct import_item	*items;
	int			 n, cap;
	int			 changed;	/* items that changed something (synced and created too) */
	int			 skipped;
	int			 applied;	/* committed (not a dry run, something changed) */
	int64_t			 batch;		/* its history row (applied), else 0 */
};

/*
 * IMPORT: make the registry hold the file's decisions, in one
 * transaction (all of it or nothing). Every model, collection, key and
 * cap the file names is made as the file says (a model's tags, aliases
 * and settings exactly the file's); what the file does not name is left
 * alone. A model the registry lacks is synced from the catalog when the
 * catalog lists its id, else skipped (REG_CONFLICT with strict); a key
 * the registry lacks is skipped (its secret cannot be imported), and so
 * are the caps of skipped keys and the memberships and grants of skipped
 * models. What the registry refuses (a default it may not have, an alias
 * another name already is, max_tokens over a context) is REG_CONFLICT
 * and changes nothing. out lists every change; free with
 * reg_import_free. dry_run decides everything and rolls back.
 */
enum reg_rc reg_import(sqlite3 *, const struct reg_import_in *,
	    struct reg_import_out *, char *msg, size_t len);
void	 reg_import_free(struct reg_import_out *);

/*
 * IMPORT's rules without the transaction, for reg_import and an
 * import's undo (reg_import_hist.c): in the caller's transaction, make
 * the registry hold in->doc's decisions (in->dry_run is not read), out
 * listing the changes. before (may be NULL) receives the registry's
 * decisions as they were before any sync (the caller frees it). 0, or
 * -1 with *refused set (REG_CONFLICT: msg says why; out and before
 * freed by the caller) or not (a failure). The caller rolls back.
 */
int	 reg_import_apply(sqlite3 *, const struct reg_import_in *,
	    struct reg_import_out *, struct export_doc *before, int *refused,
	    char *msg, size_t len);

#endif
