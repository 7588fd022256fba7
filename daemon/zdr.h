/* zdr.h: zero-data-retention: the ZDR endpoint list, per-model ZDR, and automatic removal when enforced. */
#ifndef MODELREG_ZDR_H
#define MODELREG_ZDR_H

void	 zdr_init(void);		/* registers the "zdr" source */
void	 zdr_reconfigure(void);
void	 zdr_shutdown(void);

#endif
