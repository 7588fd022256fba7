/* uptime.h: per-model uptime sampling, health colours, history and down/up events. */
#ifndef MODELREG_UPTIME_H
#define MODELREG_UPTIME_H

void	 uptime_init(void);		/* registers the "uptime" source */
void	 uptime_reconfigure(void);
void	 uptime_shutdown(void);

#endif
