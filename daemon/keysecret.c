/* keysecret.c: API key secrets: 32 bytes from getrandom(2) in base64url after "mr_", their shape, and their SHA-256 through libcrypto. */
#include <sys/random.h>

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "keysecret.h"
#include "log.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
keysecret_b64url(const unsigned char *in, size_t n, char *out)
{
	size_t		 i, o = 0;
	unsigned long	 v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (n - i == 1) {
		v = (unsigned long)in[i] << 16;
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
	} else if (n - i == 2) {
		v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

int
keysecret_new(char *out, size_t outlen)
{
	unsigned char	 raw[KEY_SECRET_BYTES];
	size_t		 got = 0;
	ssize_t		 r;

	if (outlen < KEY_SECRET_LEN + 1)
		return -1;
	/* Blocks only before the kernel's pool is initialised, once per boot. */
	while (got < sizeof(raw)) {
		r = getrandom(raw + got, sizeof(raw) - got, 0);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			log_warn("getrandom");
			keysecret_wipe(raw, sizeof(raw));
			return -1;
		}
		got += (size_t)r;
	}
	memcpy(out, KEY_SECRET_PREFIX, strlen(KEY_SECRET_PREFIX));
	keysecret_b64url(raw, sizeof(raw), out + strlen(KEY_SECRET_PREFIX));
	keysecret_wipe(raw, sizeof(raw));
	return 0;
}

int
keysecret_valid(const char *s)
{
	const char	*p, *body;
	size_t		 i, n;

	if (s == NULL || strlen(s) != KEY_SECRET_LEN ||
	    strncmp(s, KEY_SECRET_PREFIX, strlen(KEY_SECRET_PREFIX)) != 0)
		return 0;
	body = s + strlen(KEY_SECRET_PREFIX);
	n = strlen(body);
	for (i = 0; i < n; i++)
		if (body[i] == '\0' || strchr(b64url, body[i]) == NULL)
			return 0;
	/* 32 bytes end in a character of 4 bits: its two low bits are 0. */
	p = strchr(b64url, body[n - 1]);
	return ((p - b64url) & 3) == 0;
}

int
keysecret_hash(const char *s, unsigned char out[KEY_HASH_LEN])
{
	unsigned int	 n = 0;

	if (EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL) != 1 ||
	    n != KEY_HASH_LEN) {
		log_warnx("SHA-256 of a key failed");
		return -1;
	}
	return 0;
}

void
keysecret_wipe(void *p, size_t len)
{
	explicit_bzero(p, len);
}
