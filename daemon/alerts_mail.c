/* alerts_mail.c: the [alerts] mail channel (issue 10 item 3): RFC 5322 messages built from events, the flap hold-down, delivery through mailer.c's SMTP transfers. */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/event.h>

#include "alerts.h"
#include "alerts_mail.h"
#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "db.h"
#include "db_events.h"
#include "mailer.h"
#include "log.h"
#include "proto.h"

#define MAIL_SUBJECT_MAX	160	/* bytes of a subject, "..." included */
#define MAIL_WRAP		76	/* a body line is wrapped at a blank before this */
#define MAIL_LINE_HARD		990	/* a word longer than this is split (RFC 5322: 998) */
#define MAIL_EW_CHUNK		45	/* bytes per RFC 2047 word: 60 in base64, 72 in all */
#define MAIL_FLAPS_MAX		256	/* models the hold-down follows at once */

/* --- text ----------------------------------------------------------- */

/* The length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t
mail_utf8_len(const unsigned char *s)
{
	uint32_t	 cp;
	size_t		 n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	/* C1 controls are controls too. */
	if (n == 2 && cp < 0xa0)
		return 0;
	return n;
}

/*
 * Append src as valid UTF-8 without control bytes: with nl a newline
 * stays a newline (a CR goes), otherwise every control byte, CR and LF
 * among them, becomes a blank; a byte that is not UTF-8 becomes "?".
 * No header built from this text can ever end early.
 */
static int
mail_clean(struct buf *out, const char *src, int nl)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 n;
	int			 rc = 0;

	while (*s != '\0' && rc == 0) {
		if (*s == '\n' && nl) {
			rc = buf_putc(out, '\n');
			s++;
		} else if (*s == '\r' && nl)
			s++;
		else if (*s < 0x20 || *s == 0x7f) {
			rc = buf_putc(out, ' ');
			s++;
		} else if ((n = mail_utf8_len(s)) == 0) {
			/* A C1 control is valid UTF-8 but still a control. */
			rc = buf_putc(out, (s[0] == 0xc2 && s[1] >= 0x80 &&
			    s[1] < 0xa0) ? ' ' : '?');
			s += (s[0] == 0xc2 && s[1] >= 0x80 && s[1] < 0xa0) ?
			    2 : 1;
		} else {
			rc = buf_append(out, s, n);
			s += n;
		}
	}
	return rc;
}

/* Back from p to the start of its UTF-8 character (s is valid UTF-8). */
static size_t
mail_char_start(const char *s, size_t p)
{
	while (p > 0 && ((unsigned char)s[p] & 0xc0) == 0x80)
		p--;
	return p;
}

/* Cut a cleaned one-line text to max bytes at a blank, with "...". */
static void
mail_cut(struct buf *b, size_t max)
{
	size_t	 p;

	if (b->len <= max)
		return;
	p = mail_char_start(b->data, max - 3);
	while (p > 0 && b->data[p] != ' ')
		p--;
	if (p == 0)	/* one word longer than the line: cut at a character */
		p = mail_char_start(b->data, max - 3);
	while (p > 0 && b->data[p - 1] == ' ')
		p--;
	b->len = p;
	b->data[p] = '\0';
	buf_puts(b, "...");
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
mail_base64(struct buf *out, const unsigned char *s, size_t n)
{
	char	 q[4];
	size_t	 i;
	uint32_t v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		if (buf_append(out, q, 4) == -1)
			return -1;
	}
	return 0;
}

/* Subject: as it is when ASCII, else RFC 2047 words of whole characters, one per folded line. */
static int
mail_put_subject(struct buf *out, const char *subject)
{
	struct buf	 s = { 0 };
	size_t		 i, start, end;
	int		 ascii = 1, rc = -1;

	if (mail_clean(&s, subject, 0) == -1)
		goto done;
	mail_cut(&s, MAIL_SUBJECT_MAX);
	for (i = 0; i < s.len; i++)
		if ((unsigned char)s.data[i] >= 0x80)
			ascii = 0;
	if (ascii) {
		rc = buf_printf(out, "Subject: %s\r\n", s.len ? s.data : "");
		goto done;
	}
	if (buf_puts(out, "Subject:") == -1)
		goto done;
	for (start = 0; start < s.len; start = end) {
		end = start + MAIL_EW_CHUNK;
		if (end >= s.len)
			end = s.len;
		else
			end = mail_char_start(s.data, end);
		if (buf_puts(out, start == 0 ? " =?UTF-8?B?" :
		    "\r\n =?UTF-8?B?") == -1 ||
		    mail_base64(out, (unsigned char *)s.data + start,
		    end - start) == -1 || buf_puts(out, "?=") == -1)
			goto done;
	}
	rc = buf_puts(out, "\r\n");
done:
	buf_free(&s);
	return rc;
}

/* One cleaned line of the body, wrapped into CRLF lines: at a blank before 76 bytes, or at 990. */
static int
mail_put_line(struct buf *out, const char *s, size_t len)
{
	size_t	 p, q;

	while (len > MAIL_WRAP) {
		for (p = MAIL_WRAP; p > 0 && s[p] != ' '; p--)
			;
		q = p + 1;
		if (p == 0) {
			/* A long word: to its end, or split when longer than a line may be. */
			for (p = MAIL_WRAP; p < len && p < MAIL_LINE_HARD &&
			    s[p] != ' '; p++)
				;
			if (p == len)
				break;
			if (s[p] != ' ')
				p = mail_char_start(s, p);
			q = s[p] == ' ' ? p + 1 : p;
		}
		if (buf_append(out, s, p) == -1 || buf_puts(out, "\r\n") == -1)
			return -1;
		s += q;
		len -= q;
	}
	if (buf_append(out, s, len) == -1 || buf_puts(out, "\r\n") == -1)
		return -1;
	return 0;
}

static int
mail_put_body(struct buf *out, const char *body)
{
	struct buf	 b = { 0 };
	const char	*p, *nl;
	int		 rc = -1;

	if (mail_clean(&b, body, 1) == -1)
		goto done;
	for (p = b.len ? b.data : ""; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (mail_put_line(out, p, (size_t)(nl - p)) == -1)
			goto done;
		if (*nl == '\0')
			break;
	}
	rc = 0;
done:
	buf_free(&b);
	return rc;
}

/* RFC 5322's date, in UTC, without the locale's names. */
static int
mail_put_date(struct buf *out, int64_t t)
{
	static const char *const wd[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL)
		return -1;
	return buf_printf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    wd[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int
mail_compose(struct buf *out, const struct mail_head *h, const char *body)
{
	size_t	 i;

	if (mail_put_date(out, h->date) == -1 ||
	    buf_printf(out, "From: %s\r\nTo: ", h->from) == -1)
		return -1;
	/* One address a line: a thousand recipients still make short lines. */
	for (i = 0; i < h->nto; i++)
		if (buf_printf(out, "%s%s", i ? ",\r\n " : "", h->to[i]) == -1)
			return -1;
	if (buf_puts(out, "\r\n") == -1 ||
	    mail_put_subject(out, h->subject) == -1 ||
	    buf_printf(out, "Message-ID: <%s>\r\n", h->msgid) == -1 ||
	    buf_puts(out, "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "Auto-Submitted: auto-generated\r\n") == -1)
		return -1;
	/* Event kinds are [a-z0-9._-] (events.c refuses others). */
	if (h->kind != NULL && buf_printf(out, "X-Modelreg-Event: %s\r\n",
	    h->kind) == -1)
		return -1;
	if (buf_puts(out, "\r\n") == -1 || mail_put_body(out, body) == -1)
		return -1;
	return 0;
}

/* --- the hold-down ---------------------------------------------------- */

enum mail_verdict
mail_flap_event(struct mail_flap *r, int is_down, int64_t t, int window)
{
	int	 in_window = r->last_mail != 0 && t < r->last_mail + window;
	int	 pending = r->downs > 0 || r->ups > 0;
	int	 was_down = r->down;

	r->down = is_down;
	if (is_down) {
		/* Down again without an up between (a degraded spell): no news. */
		if (was_down)
			return MAIL_SKIP;
		if (!r->open && !in_window && !pending) {
			r->open = 1;
			r->last_mail = t;
			return MAIL_SEND;
		}
		r->downs++;
		return MAIL_QUIET;
	}
	if (!was_down)
		return MAIL_SKIP;	/* nothing open to resolve */
	if (r->open && !in_window && !pending) {
		r->open = 0;
		r->last_mail = t;
		return MAIL_SEND;
	}
	r->ups++;
	return MAIL_QUIET;
}

int
mail_flap_due(const struct mail_flap *r, int window, int64_t t)
{
	return (r->downs > 0 || r->ups > 0) && t >= r->last_mail + window;
}

void
mail_flap_summarised(struct mail_flap *r, int window)
{
	r->last_mail += window;
	r->open = r->down;
	r->downs = r->ups = 0;
}

/* "30m", "1h", "90s": a window as the file spells it. */
static void
mail_fmt_window(char *dst, size_t len, int s)
{
	if (s % 86400 == 0)
		snprintf(dst, len, "%dd", s / 86400);
	else if (s % 3600 == 0)
		snprintf(dst, len, "%dh", s / 3600);
	else if (s % 60 == 0)
		snprintf(dst, len, "%dm", s / 60);
	else
		snprintf(dst, len, "%ds", s);
}

static const char *
times(int n)
{
	return n == 1 ? "time" : "times";
}

int
mail_flap_text(const struct mail_flap *r, int window, struct buf *subject,
    struct buf *body)
{
	char	 w[32], t[32];
	const char *now = r->down ? "down" : "up";

	mail_fmt_window(w, sizeof(w), window);
	proto_fmt_time(r->last_mail, t);
	if (buf_printf(subject, "[modelreg] model.flapping %s: down %d %s "
	    "and up %d %s in %s; it is %s now", r->model, r->downs,
	    times(r->downs), r->ups, times(r->ups), w, now) == -1)
		return -1;
	if (buf_printf(body, "%s changed health %d %s in the %s from %s: it "
	    "went down %d %s and came back up %d %s. It is %s now.\n\n"
	    "Mails about the health of %s are held to one per %s ([alerts] "
	    "flap_window). Every change is still an event:\n"
	    "    modelregctl events --model %s\n\n-- \nSent by modelregd, "
	    "the model registry.\n", r->model, r->downs + r->ups,
	    times(r->downs + r->ups), w, t, r->downs, times(r->downs), r->ups,
	    times(r->ups), now, r->model, w, r->model) == -1)
		return -1;
	return 0;
}

static void
mail_hex(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		buf_printf(b, "%02x", (unsigned char)*s);
}

int
mail_flaps_format(const struct mail_flap *f, size_t n, struct buf *b)
{
	size_t	 i;

	if (buf_puts(b, "1\n") == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (buf_printf(b, "%d %d %lld %d %d ", f[i].open, f[i].down,
		    (long long)f[i].last_mail, f[i].downs, f[i].ups) == -1)
			return -1;
		mail_hex(b, f[i].model);
		if (buf_putc(b, '\n') == -1)
			return -1;
	}
	return 0;
}

void
mail_flaps_free(struct mail_flap *f, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		free(f[i].model);
	free(f);
}

static int
mail_unhex(const char *s, size_t len, char **out)
{
	char	*m;
	size_t	 i;
	int	 hi, lo;

	if (len == 0 || len % 2 != 0 || len / 2 > 1024 ||
	    (m = malloc(len / 2 + 1)) == NULL)
		return -1;
	for (i = 0; i < len / 2; i++) {
		hi = s[2 * i];
		lo = s[2 * i + 1];
		hi = hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 :
		    hi >= '0' && hi <= '9' ? hi - '0' : -1;
		lo = lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 :
		    lo >= '0' && lo <= '9' ? lo - '0' : -1;
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(m);
			return -1;
		}
		m[i] = (char)(hi * 16 + lo);
	}
	m[len / 2] = '\0';
	*out = m;
	return 0;
}

int
mail_flaps_parse(const char *text, struct mail_flap **out, size_t *nout)
{
	struct mail_flap	*f = NULL, *nf, r;
	const char		*p, *nl;
	long long		 last;
	size_t			 n = 0;
	int			 used;

	*out = NULL;
	*nout = 0;
	if (strncmp(text, "1\n", 2) != 0)
		return -1;
	for (p = text + 2; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL || n >= MAIL_FLAPS_MAX)
			goto bad;
		memset(&r, 0, sizeof(r));
		if (sscanf(p, "%d %d %lld %d %d %n", &r.open, &r.down, &last,
		    &r.downs, &r.ups, &used) != 5 || p + used > nl ||
		    r.downs < 0 || r.ups < 0 || last < 0 ||
		    mail_unhex(p + used, (size_t)(nl - p - used), &r.model) ==
		    -1)
			goto bad;
		r.last_mail = last;
		r.open = !!r.open;
		r.down = !!r.down;
		if ((nf = reallocarray(f, n + 1, sizeof(*f))) == NULL) {
			free(r.model);
			goto bad;
		}
		f = nf;
		f[n++] = r;
	}
	*out = f;
	*nout = n;
	return 0;
bad:
	mail_flaps_free(f, n);
	return -1;
}

/* --- the channel ------------------------------------------------------ */

enum mail_sending {
	MS_NONE = 0,
	MS_SUMMARY,	/* the summary of flap model */
	MS_EVENT,	/* the event; commit written to the table on success */
};

static struct {
	int			 enabled;
	char			*url, *user, *password, *cafile, *from, *domain;
	struct cfg_list		 to, kinds;
	int			 window;
	int			 track;		/* window > 0 and model.down is mailed */
	int			 require_tls;

	struct mail_flap	*flaps;
	size_t			 nflaps;
	int			 loaded;
	struct event		*due;		/* the next summary falls due */

	/* The attempt under way. */
	int64_t			 id;
	int			 summaries_only;
	int			 sending_now;	/* mailer.c holds a transfer of ours */
	enum mail_sending	 sending;
	char			*flap_model;	/* MS_SUMMARY */
	struct mail_flap	 commit;	/* MS_EVENT: the model's record after it */
	int			 has_commit;
} ml;

static void	 mail_done(int, const char *, void *);
static int	 mail_step(char *, size_t);

static void
mail_free_str(char **p)
{
	if (*p != NULL)
		explicit_bzero(*p, strlen(*p));
	free(*p);
	*p = NULL;
}

static void
mail_list_copy_free(struct cfg_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
mail_list_copy(struct cfg_list *dst, const struct cfg_list *src)
{
	size_t	 i;

	mail_list_copy_free(dst);
	if (src->n == 0)
		return 0;
	if ((dst->v = calloc(src->n, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < src->n; i++) {
		if ((dst->v[i] = strdup(src->v[i])) == NULL)
			return -1;
		dst->n++;
	}
	return 0;
}

static int
mail_kind_listed(const char *kind)
{
	return cfg_list_has(&ml.kinds, "*") || cfg_list_has(&ml.kinds, kind);
}

/* Is the url's host a loopback one, where AUTH without TLS crosses no network? */
static int
mail_loopback(const char *url)
{
	const char	*h = strstr(url, "://");

	if (h == NULL)
		return 0;
	h += 3;
	return strncmp(h, "127.", 4) == 0 || strncmp(h, "[::1]", 5) == 0 ||
	    (strncasecmp(h, "localhost", 9) == 0 &&
	    (h[9] == '\0' || h[9] == ':' || h[9] == '/'));
}

static struct mail_flap *
mail_flap_find(const char *model)
{
	size_t	 i;

	for (i = 0; i < ml.nflaps; i++)
		if (strcmp(ml.flaps[i].model, model) == 0)
			return &ml.flaps[i];
	return NULL;
}

static void
mail_flap_remove(size_t i)
{
	free(ml.flaps[i].model);
	ml.flaps[i] = ml.flaps[--ml.nflaps];
}

/* Records with nothing open, nothing pending and their window over say nothing any more. */
static void
mail_flaps_gc(int64_t now)
{
	size_t	 i = 0;

	while (i < ml.nflaps) {
		struct mail_flap *r = &ml.flaps[i];

		if (!r->open && !r->down && r->downs == 0 && r->ups == 0 &&
		    now >= r->last_mail + ml.window)
			mail_flap_remove(i);
		else
			i++;
	}
}

/* Store r (a copy with its own model string) as the model's record. -1: no room. */
static int
mail_flap_store(const struct mail_flap *r)
{
	struct mail_flap	*old, *nf;

	if ((old = mail_flap_find(r->model)) != NULL) {
		free(old->model);
		*old = *r;
		return 0;
	}
	if (ml.nflaps >= MAIL_FLAPS_MAX)
		return -1;
	if ((nf = reallocarray(ml.flaps, ml.nflaps + 1, sizeof(*nf))) == NULL)
		return -1;
	ml.flaps = nf;
	ml.flaps[ml.nflaps++] = *r;
	return 0;
}

/* Arm the timer for the earliest summary due. */
static void
mail_arm_due(void)
{
	struct timeval	 tv;
	int64_t		 now = time(NULL), when = 0, d;
	size_t		 i;

	if (ml.due == NULL)
		return;
	evtimer_del(ml.due);
	if (!ml.enabled)
		return;
	for (i = 0; i < ml.nflaps; i++) {
		if (ml.flaps[i].downs == 0 && ml.flaps[i].ups == 0)
			continue;
		d = ml.flaps[i].last_mail + ml.window;
		if (when == 0 || d < when)
			when = d;
	}
	if (when == 0)
		return;
	tv.tv_sec = when > now ? (time_t)(when - now) : 0;
	tv.tv_usec = 0;
	if (evtimer_add(ml.due, &tv) == -1)
		log_warnx("alert mail: cannot arm the hold-down's timer");
}

static void
mail_due_cb(evutil_socket_t fd, short what, void *arg)
{
	alerts_mail_kick();
}

static void
mail_load_flaps(void)
{
	char	*v;

	mail_flaps_free(ml.flaps, ml.nflaps);
	ml.flaps = NULL;
	ml.nflaps = 0;
	if ((v = db_state_get(md.db, ALERTS_MAIL_FLAPS)) == NULL)
		return;
	if (mail_flaps_parse(v, &ml.flaps, &ml.nflaps) == -1)
		log_warnx("alert mail: bad saved hold-down state; starting "
		    "without it");
	free(v);
}

int
mail_configure(void)
{
	const struct config	*c = md.cfg;
	const char		*at;
	int			 fail = 0;

	if (c->smtp_url == NULL || c->mail_from == NULL || c->mail_to.n == 0) {
		mail_disable(1);
		return 1;
	}
	if (ml.due == NULL && (ml.due = evtimer_new(md.base, mail_due_cb,
	    NULL)) == NULL)
		fatalx("alerts: cannot create a timer");
	/* An attempt in flight keeps its own copies (mailer.c copied them). */
	mail_free_str(&ml.url);
	mail_free_str(&ml.user);
	mail_free_str(&ml.password);
	mail_free_str(&ml.cafile);
	mail_free_str(&ml.from);
	mail_free_str(&ml.domain);
	if ((ml.url = strdup(c->smtp_url)) == NULL ||
	    (ml.from = strdup(c->mail_from)) == NULL ||
	    (c->smtp_user != NULL && (ml.user = strdup(c->smtp_user)) == NULL) ||
	    (c->smtp_password != NULL &&
	    (ml.password = strdup(c->smtp_password)) == NULL) ||
	    (c->smtp_ca_file != NULL &&
	    (ml.cafile = strdup(c->smtp_ca_file)) == NULL) ||
	    mail_list_copy(&ml.to, &c->mail_to) == -1 ||
	    mail_list_copy(&ml.kinds, &c->mail_kinds) == -1)
		fail = 1;
	at = strchr(c->mail_from, '@');
	if (!fail && (ml.domain = strdup(at != NULL ? at + 1 : "localhost")) ==
	    NULL)
		fail = 1;
	if (fail) {
		log_warnx("alert mail: out of memory");
		mail_disable(0);
		return 1;
	}
	ml.window = c->flap_window;
	ml.track = ml.window > 0 && mail_kind_listed("model.down");
	/* A password never crosses a network in clear: STARTTLS or nothing. */
	ml.require_tls = ml.user != NULL && strncmp(ml.url, "smtp://", 7) == 0 &&
	    !mail_loopback(ml.url);
	if (!ml.loaded) {
		mail_load_flaps();
		ml.loaded = 1;
	}
	ml.enabled = 1;
	mail_arm_due();
	return 0;
}

void
mail_abandon(void)
{
	if (ml.sending_now) {
		mailer_cancel();
		ml.sending_now = 0;
	}
	ml.sending = MS_NONE;
	free(ml.flap_model);
	ml.flap_model = NULL;
	if (ml.has_commit)
		free(ml.commit.model);
	ml.has_commit = 0;
}

void
mail_disable(int forget)
{
	mail_abandon();
	ml.enabled = 0;
	mail_free_str(&ml.url);
	mail_free_str(&ml.user);
	mail_free_str(&ml.password);
	mail_free_str(&ml.cafile);
	mail_free_str(&ml.from);
	mail_free_str(&ml.domain);
	mail_list_copy_free(&ml.to);
	mail_list_copy_free(&ml.kinds);
	if (ml.due != NULL) {
		evtimer_del(ml.due);
		if (forget) {
			event_free(ml.due);
			ml.due = NULL;
		}
	}
	/* Forgotten with the cursor; kept (and saved) at shutdown. */
	if (forget) {
		mail_flaps_free(ml.flaps, ml.nflaps);
		ml.flaps = NULL;
		ml.nflaps = 0;
		ml.loaded = 0;
	}
}

char *
mail_state_text(void)
{
	struct buf	 b = { 0 };

	if (ml.nflaps == 0)
		return NULL;
	if (mail_flaps_format(ml.flaps, ml.nflaps, &b) == -1) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Hand one composed message to the SMTP server. */
static int
mail_send(const char *subject, const char *body, const char *msgid,
    const char *kind, char *err, size_t errlen)
{
	struct mail_head	 h;
	struct mailer_req	 req;
	struct buf		 m = { 0 };
	long			 ms;

	memset(&h, 0, sizeof(h));
	h.from = ml.from;
	h.to = ml.to.v;
	h.nto = ml.to.n;
	h.subject = subject;
	h.msgid = msgid;
	h.kind = kind;
	h.date = time(NULL);
	if (mail_compose(&m, &h, body) == -1) {
		buf_free(&m);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	ms = (long)(md.cfg->alert_timeout > 0 ? md.cfg->alert_timeout : 30) *
	    1000;
	memset(&req, 0, sizeof(req));
	req.url = ml.url;
	req.user = ml.user;
	req.password = ml.password;
	req.require_tls = ml.require_tls;
	req.cafile = ml.cafile;
	req.from = ml.from;
	req.rcpt = ml.to.v;
	req.nrcpt = ml.to.n;
	req.msg = m.data;
	req.msg_len = m.len;
	req.timeout_ms = ms;
	req.connect_timeout_ms = ms < 10000 ? ms : 10000;
	if (mailer_start(md.base, &req, mail_done, NULL, err, errlen) == -1) {
		explicit_bzero(m.data, m.len);
		buf_free(&m);
		return -1;
	}
	ml.sending_now = 1;
	explicit_bzero(m.data, m.len);
	buf_free(&m);
	return 0;
}

/* The event being delivered, copied out of the statement. */
struct mail_event {
	int64_t	 want;
	int	 found;
	int64_t	 at;
	char	*kind, *model, *message, *details;
};

static int
mail_event_cb(const struct db_event *e, void *arg)
{
	struct mail_event	*me = arg;

	if (e->id != me->want)
		return 1;
	me->at = e->at;
	me->found = 1;
	if ((me->kind = strdup(e->kind)) == NULL ||
	    (e->model != NULL && (me->model = strdup(e->model)) == NULL) ||
	    (me->message = strdup(e->message)) == NULL ||
	    (me->details = strdup(e->details)) == NULL)
		me->found = -1;
	return 1;
}

static void
mail_event_free(struct mail_event *me)
{
	free(me->kind);
	free(me->model);
	free(me->message);
	free(me->details);
}

/* Send the summary of r, now due. */
static int
mail_send_summary(struct mail_flap *r, char *err, size_t errlen)
{
	struct buf	 s = { 0 }, b = { 0 }, id = { 0 };
	int		 rc = -1;

	/* Stable across retries and restarts: a resent summary is recognisably the same mail. */
	if (mail_flap_text(r, ml.window, &s, &b) == -1 ||
	    buf_printf(&id, "modelreg.flap.%lld.", (long long)r->last_mail) ==
	    -1)
		goto oom;
	mail_hex(&id, r->model);
	if (buf_printf(&id, "@%s", ml.domain) == -1)
		goto oom;
	/* A hex id can be long: bound it, keeping it unique enough with the time. */
	if (id.len > 200) {
		id.len = 0;
		buf_printf(&id, "modelreg.flap.%lld.%zu@%s",
		    (long long)r->last_mail, strlen(r->model), ml.domain);
	}
	if ((ml.flap_model = strdup(r->model)) == NULL)
		goto oom;
	ml.sending = MS_SUMMARY;
	if ((rc = mail_send(s.data, b.data, id.data, "model.flapping", err,
	    errlen)) == -1) {
		free(ml.flap_model);
		ml.flap_model = NULL;
		ml.sending = MS_NONE;
	}
	goto done;
oom:
	snprintf(err, errlen, "out of memory");
done:
	buf_free(&s);
	buf_free(&b);
	buf_free(&id);
	return rc;
}

static int
mail_send_event(int64_t id, const struct mail_event *e, int resolves,
    char *err, size_t errlen)
{
	struct buf	 s = { 0 }, b = { 0 }, mid = { 0 };
	char		 t[32];
	int		 rc = -1;

	proto_fmt_time(e->at, t);
	if (buf_printf(&s, "[modelreg] %s%s%s: %s", e->kind,
	    e->model ? " " : "", e->model ? e->model : "", e->message) == -1 ||
	    buf_printf(&b, "%s\n\n", e->message) == -1 ||
	    (resolves && buf_printf(&b, "This resolves the model.down mail "
	    "about %s.\n\n", e->model) == -1) ||
	    buf_printf(&b, "Event:   %s (number %lld)\n", e->kind,
	    (long long)id) == -1 ||
	    (e->model && buf_printf(&b, "Model:   %s\n", e->model) == -1) ||
	    buf_printf(&b, "Time:    %s\nDetails: %s\n\n-- \nSent by "
	    "modelregd, the model registry: [alerts] mail_kinds lists %s.\n",
	    t, e->details, resolves ? "model.down" : e->kind) == -1 ||
	    buf_printf(&mid, "modelreg.event.%lld.%lld@%s", (long long)id,
	    (long long)e->at, ml.domain) == -1) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	ml.sending = MS_EVENT;
	if ((rc = mail_send(s.data, b.data, mid.data, e->kind, err, errlen)) ==
	    -1)
		ml.sending = MS_NONE;
done:
	buf_free(&s);
	buf_free(&b);
	buf_free(&mid);
	return rc;
}

/*
 * The next thing to send for the attempt: a summary due before the event
 * (so that a backlog after a restart is judged by the events' own
 * times), then the event itself, if its kind is mailed and the hold-down
 * lets it through. 0 sending, 1 nothing (left), -1 with err.
 */
static int
mail_step(char *err, size_t errlen)
{
	struct mail_event	 e;
	struct mail_flap	*r, copy;
	enum mail_verdict	 v;
	int64_t			 t;
	size_t			 i;
	int			 rc = 1, is_down;

	memset(&e, 0, sizeof(e));
	if (!ml.summaries_only) {
		e.want = ml.id;
		if (db_events_after(md.db, ml.id - 1, 1, mail_event_cb, &e) ==
		    -1 || e.found == -1) {
			mail_event_free(&e);
			snprintf(err, errlen, "cannot read event %lld",
			    (long long)ml.id);
			return -1;
		}
		if (!e.found) {
			snprintf(err, errlen, "event %lld is gone",
			    (long long)ml.id);
			return -1;
		}
		t = e.at;
	} else
		t = time(NULL);
	if (ml.track) {
		for (i = 0; i < ml.nflaps; i++)
			if (mail_flap_due(&ml.flaps[i], ml.window, t)) {
				rc = mail_send_summary(&ml.flaps[i], err,
				    errlen);
				goto done;
			}
		mail_flaps_gc(t);
	}
	if (ml.summaries_only)
		goto done;
	is_down = strcmp(e.kind, "model.down") == 0;
	if (ml.track && e.model != NULL && (is_down ||
	    strcmp(e.kind, "model.up") == 0)) {
		r = mail_flap_find(e.model);
		if (r == NULL && !is_down)
			goto done;	/* an up with nothing open */
		if (r != NULL)
			copy = *r;
		else {
			memset(&copy, 0, sizeof(copy));
			copy.model = e.model;
		}
		v = mail_flap_event(&copy, is_down, t, ml.window);
		if ((copy.model = strdup(e.model)) == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
			goto done;
		}
		if (v != MAIL_SEND) {
			/* Nothing to send: the change is counted, saved with the cursor. */
			if (mail_flap_store(&copy) == -1) {
				log_warnx("alert mail: the hold-down follows "
				    "%d models already; mailing event %lld "
				    "as it is", MAIL_FLAPS_MAX,
				    (long long)ml.id);
				free(copy.model);
				if (v == MAIL_QUIET)
					rc = mail_send_event(ml.id, &e, !is_down,
					    err, errlen);
				goto done;
			}
			goto done;
		}
		ml.commit = copy;
		ml.has_commit = 1;
		rc = mail_send_event(ml.id, &e, !is_down, err, errlen);
		if (rc == -1) {
			free(ml.commit.model);
			ml.has_commit = 0;
		}
		goto done;
	}
	if (mail_kind_listed(e.kind))
		rc = mail_send_event(ml.id, &e, 0, err, errlen);
done:
	mail_event_free(&e);
	mail_arm_due();
	return rc;
}

int
mail_start(int64_t id, int summaries_only, char *err, size_t errlen)
{
	if (!ml.enabled) {
		snprintf(err, errlen, "mail is not configured");
		return -1;
	}
	mail_abandon();
	ml.id = id;
	ml.summaries_only = summaries_only;
	return mail_step(err, errlen);
}

static void
mail_done(int ok, const char *err, void *arg)
{
	struct mail_flap	*r;
	char			 why[300];
	enum mail_sending	 was = ml.sending;
	int			 rc;

	ml.sending_now = 0;
	ml.sending = MS_NONE;
	if (!ok) {
		snprintf(why, sizeof(why), "%s", err[0] ? err :
		    "the SMTP server refused the mail");
		if (was == MS_EVENT && ml.has_commit) {
			free(ml.commit.model);
			ml.has_commit = 0;
		}
		free(ml.flap_model);
		ml.flap_model = NULL;
		alerts_mail_done(why);
		return;
	}
	if (was == MS_SUMMARY) {
		log_info("alert mail: the hold-down's summary of a flapping "
		    "model was accepted");
		if ((r = mail_flap_find(ml.flap_model)) != NULL)
			mail_flap_summarised(r, ml.window);
		free(ml.flap_model);
		ml.flap_model = NULL;
		/* Saved at once: a crash now must not send it again. */
		alerts_mail_saved();
		rc = mail_step(why, sizeof(why));
		if (rc == 1)
			alerts_mail_done(NULL);
		else if (rc == -1)
			alerts_mail_done(why);
		return;
	}
	if (ml.has_commit) {
		ml.has_commit = 0;
		if (mail_flap_store(&ml.commit) == -1)
			free(ml.commit.model);
	}
	mail_arm_due();
	alerts_mail_done(NULL);
}
