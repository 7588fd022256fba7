/* keysecret.h: API key secrets (issue 9): make one, check its shape, and its SHA-256, the only form the daemon keeps. */
#ifndef MODELREG_KEYSECRET_H
#define MODELREG_KEYSECRET_H

#include <stddef.h>

/*
 * A secret is "mr_" and 32 random bytes from getrandom(2) in base64url
 * (RFC 4648 section 5, no padding): 3 + 43 = 46 characters. The last
 * character carries 4 bits and two zero bits, so every secret has exactly
 * one spelling.
 */
#define KEY_SECRET_PREFIX	"mr_"
#define KEY_SECRET_BYTES	32
#define KEY_SECRET_LEN		46
#define KEY_HASH_LEN		32	/* SHA-256 */

/* Base64url without padding of n bytes into out (4 * ceil(n / 3) + 1 bytes is enough): the length written. */
size_t	 keysecret_b64url(const unsigned char *in, size_t n, char *out);

/* A new secret into out (KEY_SECRET_LEN + 1 bytes): 0, or -1 when getrandom fails (logged). */
int	 keysecret_new(char *out, size_t outlen);

/* Whether s has the shape of a secret (prefix, length, alphabet, canonical last character). */
int	 keysecret_valid(const char *s);

/* SHA-256 of the secret's text (libcrypto, a context kept per thread) into out: 0, or -1 (logged). */
int	 keysecret_hash(const char *s, unsigned char out[KEY_HASH_LEN]);

/* Wipe a secret from memory so it does not linger in a freed buffer. */
void	 keysecret_wipe(void *p, size_t len);

/* Free the calling thread's digest context (the loop's, at exit). */
void	 keysecret_cleanup(void);

#endif
