/* mailer.h: one SMTP transfer at a time, on a thread of its own, its end reported on the loop (issue 10 item 3). */
#ifndef MODELREG_MAILER_H
#define MODELREG_MAILER_H

#include <stddef.h>

struct event_base;

struct mailer_req {
	const char	*url;		/* smtp://host[:port] or smtps://...; no userinfo */
	const char	*user;		/* NULL: no AUTH */
	const char	*password;	/* with user; never logged */
	int		 require_tls;	/* smtp://: STARTTLS or fail (else when offered) */
	const char	*cafile;	/* NULL: the system's trust store */
	const char	*from;		/* envelope sender, a bare address */
	char *const	*rcpt;		/* envelope recipients, bare addresses */
	size_t		 nrcpt;
	const char	*msg;		/* the whole RFC 5322 message, CRLF lines */
	size_t		 msg_len;
	long		 timeout_ms;	/* the whole transfer */
	long		 connect_timeout_ms;
};

/* ok: the server accepted the message after DATA; else err says why in one line (no secret in it). */
typedef void (*mailer_cb)(int ok, const char *err, void *arg);

/*
 * Start sending; everything in req is copied (the password and the
 * message wiped after). The callback runs once, from the loop, never
 * from within mailer_start. -1 with err set when it cannot start (one
 * transfer at a time: a cancelled one may still be ending).
 */
int	 mailer_start(struct event_base *, const struct mailer_req *, mailer_cb,
	    void *arg, char *err, size_t errlen);
/* Abandon the transfer: its callback is not called; its thread ends within about a second. */
void	 mailer_cancel(void);
/* At exit: cancel, wait for the thread, free everything. */
void	 mailer_shutdown(void);

#endif
