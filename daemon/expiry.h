/* expiry.h: when models expire: the timer that raises model.expiring and model.expired (the rule is reg_expiry_check). */
#ifndef MODELREG_EXPIRY_H
#define MODELREG_EXPIRY_H

void	 expiry_init(void);		/* a first check as the loop starts */
void	 expiry_reconfigure(void);	/* [catalog] expiry_warning may have changed */
void	 expiry_check_soon(void);	/* after a seed, a catalog refresh or a SYNC */
void	 expiry_shutdown(void);

#endif
