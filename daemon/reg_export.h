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

#endif
