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

#endif
