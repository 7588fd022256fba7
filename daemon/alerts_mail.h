/* alerts_mail.h: the [alerts] mail channel (issue 10 item 3): messages, the flap hold-down, and SMTP delivery through fetch.c. alerts.c drives it as one of its channels. */
#ifndef MODELREG_ALERTS_MAIL_H
#define MODELREG_ALERTS_MAIL_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/*
 * The hold-down's state, persisted with the channel's cursor (one
 * transaction) so that a restart neither forgets a pending summary nor
 * mails an incident twice.
 */
#define ALERTS_MAIL_FLAPS	"alerts_mail_flaps"
#define MAIL_FLAPS_MAX		256	/* models the hold-down follows at once */

/* --- pure (mail_msg.c): one message ---------------------------------------------- */

struct mail_head {
	const char	*from;		/* a bare address, checked by the config */
	char *const	*to;
	size_t		 nto;
	const char	*subject;	/* any bytes: cleaned, cut, encoded here */
	const char	*msgid;		/* without the brackets: "id@domain" */
	const char	*kind;		/* for X-Modelreg-Event; NULL: none */
	int64_t		 date;		/* unix seconds */
};

/*
 * Append a whole RFC 5322 message to out: Date, From, To, Subject
 * (RFC 2047 when not ASCII), Message-ID, MIME-Version, a text/plain UTF-8
 * 8bit body, CRLF lines of at most 998 bytes. Text from outside (model
 * ids, names, messages) is cleaned first: control bytes (CR and LF among
 * them) never reach a header, invalid UTF-8 becomes "?". The body's
 * lines are wrapped at 76 bytes where there is a blank. Dot-stuffing is
 * left to libcurl. 0, or -1 when memory runs out.
 */
int	 mail_compose(struct buf *out, const struct mail_head *, const char *body);

/* --- pure: the hold-down -------------------------------------------- */

/*
 * One model's down/up incident: open once (a mail says it is down),
 * resolved once (a mail says it is up), and at most one mail per window
 * between: changes inside the window are counted, and summed up in one
 * mail when the window ends.
 */
struct mail_flap {
	char		*model;
	int		 open;		/* the last mail said "down" */
	int		 down;		/* the last event said "down" */
	int64_t		 last_mail;	/* when the window of the last mail began */
	int		 downs, ups;	/* changes since then, not mailed */
};

enum mail_verdict {
	MAIL_SEND,	/* mail this event now */
	MAIL_QUIET,	/* counted in the window: the summary will say it */
	MAIL_SKIP,	/* nothing to say (an up with no incident open) */
};

/* Apply a model.down (is_down) or model.up at time t to r; what to do with the event. */
enum mail_verdict mail_flap_event(struct mail_flap *r, int is_down, int64_t t,
	    int window);
/* Is r's summary due at time t: its window has ended with changes unmailed? */
int	 mail_flap_due(const struct mail_flap *r, int window, int64_t t);
/* After the summary of r was accepted: a new window starts where the old one ended. */
void	 mail_flap_summarised(struct mail_flap *r, int window);
/* The summary's subject and body (a model id from outside: mail_compose cleans it). */
int	 mail_flap_text(const struct mail_flap *r, int window, struct buf *subject,
	    struct buf *body);

/* Append s as lower-case hex (a model id in a Message-ID or the saved state). */
void	 mail_hex(struct buf *, const char *);
/* The table as text for the state key, and back; -1 on a bad or unreadable text. */
int	 mail_flaps_format(const struct mail_flap *, size_t n, struct buf *);
int	 mail_flaps_parse(const char *, struct mail_flap **, size_t *);
void	 mail_flaps_free(struct mail_flap *, size_t n);

/* --- the channel (alerts.c calls these) ---------------------------- */

/* Follow md.cfg; load the hold-down's state the first time. 0 enabled, 1 off. */
int	 mail_configure(void);
/* The channel stops; forget: its hold-down's state too. */
void	 mail_disable(int forget);
/*
 * Deliver event id (summaries_only: only the summaries due by now): 0
 * when a transfer started (alerts_mail_done() tells the end), 1 when
 * there is nothing to mail, -1 with err set when it cannot start.
 */
int	 mail_start(int64_t id, int summaries_only, char *err, size_t errlen);
void	 mail_abandon(void);
/* The hold-down's state as the text to save with the cursor; NULL: nothing to keep. */
char	*mail_state_text(void);

#endif
