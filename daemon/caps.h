/* caps.h: the timer of spending caps (issue 10 item 2): each cap's next period, reactivations and cap.reset (the rule is reg_caps_tick). */
#ifndef MODELREG_CAPS_H
#define MODELREG_CAPS_H

void	 caps_init(void);		/* a first tick as the loop starts: periods that ended while down */
void	 caps_reconfigure(void);	/* [defaults] fallback may have changed */
void	 caps_check_soon(void);		/* after a charge or CAP SET changed what is due */
void	 caps_shutdown(void);

#endif
