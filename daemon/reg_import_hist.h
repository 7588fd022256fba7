/* reg_import_hist.h: an import in the history and its undo (reg_import_hist.c, issue 11 item 5): the row keeps the registry's export before and after. */
#ifndef MODELREG_REG_IMPORT_HIST_H
#define MODELREG_REG_IMPORT_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "buf.h"
#include "export.h"
#include "reg_export.h"
#include "reg_history.h"

/*
 * In reg_import's transaction, once its changes are made: the 'import'
 * history row (out->batch gets its id) with one batch_models row a
 * model it changed or synced (its status before, "absent" when synced,
 * and after, and the fields it changed), the registry's export before
 * (before, as reg_import_apply read it) and after, and the last audit
 * id. 0, -1.
 */
int	 reg_import_record(sqlite3 *, const struct reg_import_in *,
	    struct reg_import_out *, const struct export_doc *before);

/*
 * UNDO of history row id whose exports are before and after (an import,
 * or the undo of one), in reg_undo's transaction. When the registry's
 * export now is not after, or a model the row synced is in use, it
 * fills out with what changed (refused items) and returns 1: the caller
 * rolls back. Else it applies before with IMPORT's rules (audit action
 * undo), clears a default before lacks, deletes the caps and
 * collections before lacks and the models the row synced, and writes
 * the 'undo' row with its own exports (so it can be undone in turn):
 * 0, with out->changed, out->batch and the defaults set. 2: refused
 * whole (msg says why, REG_CONFLICT). -1: a failure.
 */
int	 reg_undo_exports(sqlite3 *, const struct reg_undo_in *,
	    struct reg_undo_out *, const struct buf *before,
	    const struct buf *after, char *msg, size_t len);

#endif
