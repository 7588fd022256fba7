/* test_mail.c: the mail channel's pure parts: RFC 5322 messages (no header injection, encoded subjects, short lines) and the flap hold-down (open once, resolve once, one mail per window), and its saved state. */
#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts_mail.h"
#include "buf.h"
#include "tap.h"

/* Writable copies: the header struct holds char *, as the config's lists do. */
static char to_a[] = "a@example.org", to_b[] = "b@example.org";
static char *const to2[] = { to_a, to_b };

static char m_id[] = "m", evil_id[] = "acme/evil\nmodel 1";

/* The message's header block (up to the empty line), and its body. */
static void
split(const char *m, struct buf *head, const char **body)
{
	const char	*e = strstr(m, "\r\n\r\n");

	buf_reset(head);
	buf_append(head, m, e ? (size_t)(e - m) + 2 : strlen(m));
	*body = e ? e + 4 : "";
}

/* Header lines that start a field (not folded ones), by name. */
static int
count_fields(const char *head, const char *name)
{
	const char	*p = head;
	size_t		 n = strlen(name);
	int		 c = 0;

	for (;;) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':')
			c++;
		if ((p = strstr(p, "\r\n")) == NULL || p[2] == '\0')
			break;
		p += 2;
	}
	return c;
}

static size_t
longest_line(const char *m)
{
	const char	*p = m, *e;
	size_t		 max = 0;

	while ((e = strstr(p, "\r\n")) != NULL) {
		if ((size_t)(e - p) > max)
			max = (size_t)(e - p);
		p = e + 2;
	}
	return max;
}

static int
bare_cr_or_lf(const char *m)
{
	const char	*p;

	for (p = m; *p != '\0'; p++) {
		if (*p == '\r' && p[1] != '\n')
			return 1;
		if (*p == '\n' && (p == m || p[-1] != '\r'))
			return 1;
	}
	return 0;
}

static void
compose(struct buf *out, const char *subject, const char *body)
{
	struct mail_head	 h;

	memset(&h, 0, sizeof(h));
	h.from = "modelreg@example.org";
	h.to = to2;
	h.nto = 2;
	h.subject = subject;
	h.msgid = "modelreg.event.7.1764650000@example.org";
	h.kind = "model.down";
	h.date = 1764650000;	/* 2025-12-02T04:33:20Z, a Tuesday */
	buf_reset(out);
	ok(mail_compose(out, &h, body) == 0, "composed");
}

int
main(void)
{
	struct buf		 m = { 0 }, head = { 0 }, text = { 0 }, s = { 0 };
	struct mail_flap	 r, *f = NULL;
	const char		*body;
	char			 big[5000], *long_model;
	size_t			 n = 0;
	int			 i;

	/* The headers of an ordinary event. */
	compose(&m, "[modelreg] model.down acme/alpha: down (uptime 42.5%)",
	    "down\n\nEvent:   model.down\n");
	split(m.data, &head, &body);
	ok(strncmp(m.data, "Date: Tue, 02 Dec 2025 04:33:20 +0000\r\n", 39) == 0,
	    "Date in RFC 5322 form, UTC");
	ok(strstr(head.data, "\r\nFrom: modelreg@example.org\r\n") != NULL, "From");
	ok(strstr(head.data, "\r\nTo: a@example.org,\r\n b@example.org\r\n") != NULL,
	    "To: one address a line, folded");
	ok(strstr(head.data, "\r\nSubject: [modelreg] model.down acme/alpha: down "
	    "(uptime 42.5%)\r\n") != NULL, "an ASCII subject as it is");
	ok(strstr(head.data, "\r\nMessage-ID: <modelreg.event.7.1764650000@"
	    "example.org>\r\n") != NULL, "Message-ID");
	ok(strstr(head.data, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; "
	    "charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n") != NULL,
	    "MIME: text/plain, UTF-8, 8bit");
	is_str(body, "down\r\n\r\nEvent:   model.down\r\n", "the body in CRLF lines");
	ok(!bare_cr_or_lf(m.data), "no bare CR or LF anywhere");

	/* Header injection: CR, LF and other controls from a catalog never end a header. */
	compose(&m, "[modelreg] model.down evil\r\nBcc: victim@example.net\r\n"
	    "\r\nfake body\x01\x7f", "x");
	split(m.data, &head, &body);
	is_int(count_fields(head.data, "Bcc"), 0, "no Bcc field injected");
	is_int(count_fields(head.data, "Subject"), 1, "one Subject field");
	ok(strstr(head.data, "Subject: [modelreg] model.down evil  Bcc: "
	    "victim@example.net    fake body  \r\n") != NULL,
	    "the controls became blanks in the subject");
	is_str(body, "x\r\n", "the body is still the body");
	ok(!bare_cr_or_lf(m.data), "no bare CR or LF");

	/* A body with bare CRs and LFs, and a dot at a line start (curl stuffs it). */
	compose(&m, "s", "a\rb\nc\r\n.d\n\x02z");
	split(m.data, &head, &body);
	is_str(body, "ab\r\nc\r\n.d\r\n z\r\n", "body lines normalised to CRLF, "
	    "controls blanked, dots left to libcurl");

	/* Non-ASCII: RFC 2047 words of whole characters; invalid UTF-8 becomes "?". */
	compose(&m, "modèle \xe2\x80\x94 \xff bad", "b");
	split(m.data, &head, &body);
	ok(strstr(head.data, "Subject: =?UTF-8?B?bW9kw6hsZSDigJQgPyBiYWQ=?=\r\n") !=
	    NULL, "a UTF-8 subject is B-encoded, the bad byte as ?");
	for (i = 0; i < 60; i++)
		buf_puts(&s, "\xc3\xa9t\xc3\xa9 ");
	compose(&m, s.data, "b");
	split(m.data, &head, &body);
	ok(strstr(head.data, "\r\n =?UTF-8?B?") != NULL,
	    "a long one is folded into several words");
	ok(longest_line(head.data) <= 78, "each line of it at most 78 bytes");
	for (i = 0, body = head.data; (body = strstr(body, "=?UTF-8?B?")) != NULL;
	    body++)
		i++;
	ok(i >= 2 && i <= 4, "cut to 160 bytes first: %d words of 42 bytes at most", i);

	/* Long text: a long subject is cut at a blank; long body lines are wrapped. */
	buf_reset(&s);
	for (i = 0; i < 40; i++)
		buf_puts(&s, "word ");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_reset(&text);
	buf_printf(&text, "%s\n%s\n", s.data, big);
	compose(&m, s.data, text.data);
	split(m.data, &head, &body);
	ok(strstr(head.data, "word word...\r\n") != NULL, "the subject is cut at a word, "
	    "with \"...\"");
	ok(longest_line(m.data) <= 998, "no line longer than 998 bytes (%zu)",
	    longest_line(m.data));
	ok(strncmp(body, "word word", 9) == 0 && strstr(body, "word\r\nword") != NULL,
	    "a body line is wrapped at a blank");
	ok(!bare_cr_or_lf(m.data), "no bare CR or LF");

	/* The hold-down, window 60 s: open once. */
	memset(&r, 0, sizeof(r));
	r.model = m_id;
	is_int(mail_flap_event(&r, 0, 100, 60), MAIL_SKIP, "an up with nothing open: nothing");
	is_int(mail_flap_event(&r, 1, 100, 60), MAIL_SEND, "the first down: mailed");
	is_int(mail_flap_event(&r, 1, 105, 60), MAIL_SKIP, "down again without an up: nothing");
	is_int(mail_flap_event(&r, 0, 110, 60), MAIL_QUIET, "up inside the window: counted");
	is_int(mail_flap_event(&r, 1, 120, 60), MAIL_QUIET, "down inside: counted");
	is_int(mail_flap_event(&r, 0, 130, 60), MAIL_QUIET, "up inside: counted");
	ok(!mail_flap_due(&r, 60, 159), "no summary before the window ends");
	ok(mail_flap_due(&r, 60, 160), "the summary is due when it ends");
	mail_flap_text(&r, 60, &s, &text);
	buf_reset(&s);
	buf_reset(&text);
	mail_flap_text(&r, 60, &s, &text);
	is_str(s.data, "[modelreg] model.flapping m: 3 changes in 1m (down 1, up 2); "
	    "it is up now", "the summary says how often");
	mail_flap_summarised(&r, 60);
	ok(r.open == 0 && r.last_mail == 160 && r.downs == 0 && r.ups == 0,
	    "after it: resolved, a new window from its end");
	is_int(mail_flap_event(&r, 1, 170, 60), MAIL_QUIET, "a down soon after: counted");
	ok(mail_flap_due(&r, 60, 220), "its summary at the next window's end");
	mail_flap_summarised(&r, 60);
	ok(r.open == 1, "the summary said down: the incident is open");
	is_int(mail_flap_event(&r, 0, 300, 60), MAIL_SEND,
	    "up after the window: the incident resolves at once");
	is_int(mail_flap_event(&r, 1, 400, 60), MAIL_SEND,
	    "down long after: a new incident, at once");

	/* The saved state, round trip; a bad text is refused. */
	memset(&r, 0, sizeof(r));
	long_model = evil_id;
	r.model = long_model;
	r.open = 1;
	r.down = 1;
	r.last_mail = 1764650000;
	r.downs = 3;
	r.ups = 2;
	buf_reset(&s);
	ok(mail_flaps_format(&r, 1, &s) == 0, "formatted");
	ok(mail_flaps_parse(s.data, &f, &n) == 0 && n == 1, "parsed back");
	if (n == 1)
		ok(strcmp(f[0].model, long_model) == 0 && f[0].open == 1 &&
		    f[0].down == 1 && f[0].last_mail == 1764650000 &&
		    f[0].downs == 3 && f[0].ups == 2, "the same record, a newline in "
		    "its id included");
	mail_flaps_free(f, n);
	ok(mail_flaps_parse("2\n", &f, &n) == -1, "an unknown version is refused");
	ok(mail_flaps_parse("1\n1 1 5 0 0 zz\n", &f, &n) == -1, "bad hex is refused");
	ok(mail_flaps_parse("1\n1 1 5 0 0 61", &f, &n) == -1, "a cut line is refused");

	buf_free(&m);
	buf_free(&head);
	buf_free(&text);
	buf_free(&s);
	return done_testing();
}
