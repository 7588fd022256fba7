/* mail_msg.c: the mail channel's pure parts (issue 10 item 3): RFC 5322 messages built from text nobody checked, the flap hold-down's rules, and its state as text. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts_mail.h"
#include "buf.h"
#include "proto.h"

#define MAIL_SUBJECT_MAX	160	/* bytes of a subject, "..." included */
#define MAIL_WRAP		76	/* a body line is wrapped at a blank before this */
#define MAIL_LINE_HARD		990	/* a word longer than this is split (RFC 5322: 998) */
#define MAIL_EW_CHUNK		42	/* bytes per RFC 2047 word: 56 in base64, a line of 77 */

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
	if (buf_printf(subject, "[modelreg] model.flapping %s: %d %s in %s "
	    "(down %d, up %d); it is %s now", r->model, r->downs + r->ups,
	    r->downs + r->ups == 1 ? "change" : "changes", w, r->downs, r->ups,
	    now) == -1)
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

void
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

