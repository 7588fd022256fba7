/*
 * fuzz_url.c: URL redaction (url.h), which stands between a source's URL
 * or error and every log, event and reply: the result fits its buffer and
 * has no control byte, and a secret put in the userinfo, a query value or
 * a fragment of a URL, alone or inside a message, never comes out.
 */
#include <string.h>

#include "url.h"
#include "fuzz.h"

static void
check_out(const char *out, size_t len)
{
	const unsigned char	*p;
	const char		*nul;

	nul = memchr(out, '\0', len);
	FUZZ_CHECK(nul != NULL, "the result is not terminated inside its buffer");
	for (p = (const unsigned char *)out; *p != '\0'; p++)
		FUZZ_CHECK(*p >= 0x20 && *p != 0x7f, "a control byte in the result");
}

/* The secret: the input's bytes that cannot end a URL part, at most 64. */
static size_t
secret_of(const uint8_t *data, size_t size, char *s)
{
	size_t	 i, n = 0;

	for (i = 0; i < size && n < 64; i++)
		if (data[i] > 0x20 && data[i] < 0x7f &&
		    strchr("@/?#&=:\"'()<>{}*.", data[i]) == NULL)
			s[n++] = (char)data[i];
	s[n] = '\0';
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 lens[] = { 1, 8, 40, 512 };
	char			*raw, out[512], url[512], secret[65];
	size_t			 i;

	/* Any bytes as a URL and as a message. */
	if ((raw = malloc(size + 1)) == NULL)
		return 0;
	memcpy(raw, data, size);
	raw[size] = '\0';
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(out, 'x', sizeof(out));
		check_out(url_redact(raw, out, lens[i]), lens[i]);
		memset(out, 'x', sizeof(out));
		check_out(url_redact_text(raw, out, lens[i]), lens[i]);
	}
	free(raw);

	/* A secret where a URL hides it. Short ones can match the rest by chance. */
	if (secret_of(data, size, secret) < 6 ||
	    strstr("https u host p a b 1 fetch h x key failed http", secret) != NULL)
		return 0;
	snprintf(url, sizeof(url), "https://u:%s@host/p?a=%s&%s&b=1#%s", secret,
	    secret, secret, secret);
	url_redact(url, out, sizeof(out));
	check_out(out, sizeof(out));
	FUZZ_CHECK(strstr(out, secret) == NULL, "a secret survives url_redact");
	snprintf(url, sizeof(url), "fetch https://h/x?key=%s failed: (http://%s@h/)",
	    secret, secret);
	url_redact_text(url, out, sizeof(out));
	check_out(out, sizeof(out));
	FUZZ_CHECK(strstr(out, secret) == NULL, "a secret survives url_redact_text");
	return 0;
}
