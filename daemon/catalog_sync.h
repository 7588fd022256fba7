/* catalog_sync.h: the "catalog" source: periodic refresh of the discovery catalog (its rules are in reg_catalog.h). */
#ifndef MODELREG_CATALOG_SYNC_H
#define MODELREG_CATALOG_SYNC_H

void	 catalog_sync_init(void);		/* registers the "catalog" source */
void	 catalog_sync_reconfigure(void);	/* after a reload */
void	 catalog_sync_shutdown(void);

#endif
