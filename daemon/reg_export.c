/* reg_export.c: the rules of EXPORT and IMPORT (issue 11 item 4): the registry's decisions read in one snapshot; a parsed file applied in one transaction, with its diff. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"
#include "db_int.h"
#include "db_export.h"
#include "log.h"
#include "reg_export.h"
#include "reg_int.h"

enum reg_rc
reg_export(sqlite3 *db, struct buf *out, char *msg, size_t len)
{
	struct export_doc	 d;

	/* A deferred BEGIN: a read transaction, one snapshot, no write lock. */
	if (db_exec(db, "BEGIN") == -1)
		return reg_fail(db, msg, len);
	if (db_export_read(db, &d) == -1)
		return reg_fail(db, msg, len);
	db_rollback(db);
	if (export_write(out, &d) == -1) {
		export_free(&d);
		reg_msg(msg, len, "out of memory");
		return REG_INTERNAL;
	}
	export_free(&d);
	return REG_OK;
}
