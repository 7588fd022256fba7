/* catalog_int.h: what catalog.c and catalog_fn.c share; not for their callers. */
#ifndef MODELREG_CATALOG_INT_H
#define MODELREG_CATALOG_INT_H

#include <sqlite3.h>

/*
 * Register catalog_id, catalog_text, catalog_int, catalog_price,
 * catalog_number and catalog_time on this connection, once (a second call
 * only probes). The per-format SQL of catalog.c calls them. 0, or -1.
 */
int	 catalog_fn_register(sqlite3 *);

#endif
