/* url.c: URLs as the daemon may show them: userinfo and query values redacted, so that a key in a URL never reaches a log, an event or a reply. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "url.h"

/* Append n bytes of s to b, control bytes as blanks. */
static void
url_put(struct buf *b, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		buf_putc(b, ((unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] == 0x7f) ? ' ' : s[i]);
}

/* Append the redacted form of the n bytes of url to b. */
static void
url_redact_buf(struct buf *b, const char *url, size_t n)
{
	const char	*end = url + n, *p = url, *auth, *aend, *at, *q, *item;
	const char	*eq;

	/* Scheme and authority: everything up to the last '@' is userinfo. */
	if ((auth = memmem(url, n, "://", 3)) != NULL) {
		auth += 3;
		for (aend = auth; aend < end && strchr("/?#", *aend) == NULL;
		    aend++)
			;
		for (at = aend; at > auth && at[-1] != '@'; at--)
			;
		if (at > auth) {
			url_put(b, url, (size_t)(auth - url));
			buf_puts(b, "***@");
			p = at;
		}
	}
	/* The path as it is, up to the query or the fragment. */
	for (q = p; q < end && *q != '?' && *q != '#'; q++)
		;
	url_put(b, p, (size_t)(q - p));
	if (q < end && *q == '?') {
		buf_putc(b, '?');
		for (item = ++q; q <= end; q++) {
			if (q < end && *q != '&' && *q != '#')
				continue;
			/* One item: "name=value" keeps the name; a bare item may be a key. */
			eq = memchr(item, '=', (size_t)(q - item));
			if (eq != NULL) {
				url_put(b, item, (size_t)(eq - item));
				buf_puts(b, "=***");
			} else if (q > item)
				buf_puts(b, "***");
			if (q == end || *q == '#')
				break;
			buf_putc(b, '&');
			item = q + 1;
		}
	}
	if (q < end && *q == '#')
		buf_puts(b, q + 1 < end ? "#***" : "#");
}

char *
url_redact(const char *url, char *out, size_t len)
{
	struct buf	 b = { NULL, 0, 0 };

	if (len == 0)
		return out;
	url_redact_buf(&b, url, strlen(url));
	/* On a short memory nothing of the URL is shown rather than all of it. */
	buf_fit(out, len, "%s", b.data != NULL ? b.data : "");
	buf_free(&b);
	return out;
}

/* Does the word w[0..n) need redacting? */
static int
url_is_secretive(const char *w, size_t n)
{
	const char	*q;

	if (memmem(w, n, "://", 3) != NULL)
		return 1;
	return (q = memchr(w, '?', n)) != NULL &&
	    memchr(q, '=', n - (size_t)(q - w)) != NULL;
}

char *
url_redact_text(const char *text, char *out, size_t len)
{
	static const char	 sep[] = " \t\r\n\"'()<>{}";
	struct buf		 b = { NULL, 0, 0 };
	const char		*p = text;
	size_t			 n;

	if (len == 0)
		return out;
	while (*p != '\0') {
		if ((n = strspn(p, sep)) > 0) {
			url_put(&b, p, n);
			p += n;
			continue;
		}
		n = strcspn(p, sep);
		if (url_is_secretive(p, n))
			url_redact_buf(&b, p, n);
		else
			url_put(&b, p, n);
		p += n;
	}
	buf_fit(out, len, "%s", b.data != NULL ? b.data : "");
	buf_free(&b);
	return out;
}
