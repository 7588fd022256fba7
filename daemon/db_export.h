/* db_export.h: the SQL of EXPORT and IMPORT (issue 11 item 4): the registry's decisions read into an export document, and written from one. */
#ifndef MODELREG_DB_EXPORT_H
#define MODELREG_DB_EXPORT_H

#include <stdint.h>
#include <sqlite3.h>

#include "export.h"

/*
 * Read every decision into doc (export.h), each list sorted by id or
 * name: synced models with their settings, organisation aliases and
 * tags, collections, caps, and live (not revoked) keys with the models
 * they are granted (a grant to a deleted or re-synced id is not one).
 * The caller holds a read transaction. 0, or -1 (doc freed).
 */
int	 db_export_read(sqlite3 *, struct export_doc *doc);


/*
 * IMPORT's writes that no other rule has (in the caller's transaction):
 * a model's status with its source and reason as the file says; a key's
 * all, note, expiry and collection (cid 0: none). 0, or -1.
 */
int	 db_import_status(sqlite3 *, const char *id, int active,
	    const char *source, const char *reason, int64_t now);
int	 db_import_key(sqlite3 *, int64_t key, int all, const char *note,
	    int64_t expires, int64_t cid);

#endif
