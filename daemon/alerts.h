/* alerts.h: the [alerts] channels (exec and webhook): cursors over the events table, delivered in order with retries. */
#ifndef MODELREG_ALERTS_H
#define MODELREG_ALERTS_H

struct buf;

/*
 * The state keys under which the channels persist their cursors (the
 * last event delivered or given up). A key exists exactly while its
 * channel is configured; events' retention never prunes past one.
 */
#define ALERTS_EXEC_CURSOR	"alerts_exec_cursor"
#define ALERTS_WEBHOOK_CURSOR	"alerts_webhook_cursor"
#define ALERTS_MAIL_CURSOR	"alerts_mail_cursor"	/* issue 10 item 3 */

/* Start-up and reload: channels follow [alerts]. */
void	 alerts_init(void);
void	 alerts_reconfigure(void);
/* Kill a running program, cancel a POST, free everything. */
void	 alerts_shutdown(void);
/* New events were committed: idle channels start delivering. */
void	 alerts_wake(void);
/* One STATUS record per configured channel; returns the number written. */
int	 alerts_status_records(struct buf *);

/*
 * Issue 10 item 3: what the mail channel (alerts_mail.c) tells the
 * channel machinery: the attempt ended (err NULL: accepted), a summary
 * was accepted mid-attempt (save the hold-down's state now), a summary
 * fell due while the channel may be idle.
 */
void	 alerts_mail_done(const char *err);
void	 alerts_mail_saved(void);
void	 alerts_mail_kick(void);

#endif
