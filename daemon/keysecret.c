/* keysecret.c: API key secrets: 32 bytes from getrandom(2) in base64url after "mr_", their shape, and their SHA-256 through libcrypto. */
#include <sys/random.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "keysecret.h"
#include "log.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/*
 * RESOLVE hashes the secret of every request. EVP_sha256() makes
 * EVP_Digest fetch the provider's implementation each call (a lock and a
 * lookup: 3% of a RESOLVE at 200k a second); fetched once here, on
 * whichever thread comes first, it is shared read-only by all of them.
 */
static pthread_once_t	 sha_once = PTHREAD_ONCE_INIT;
static EVP_MD		*sha;

/*
 * And each thread keeps one digest context: EVP_Digest makes and frees
 * one per call (a malloc, a free and a cleanse: a fortieth of a pipelined
 * RESOLVE). A thread's context goes with it (the key's destructor); the
 * loop's is freed by keysecret_cleanup at exit.
 */
static pthread_key_t	 sha_key;
static int		 sha_key_ok;

static void
sha_ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void
sha_fetch(void)
{
	sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	sha_key_ok = pthread_key_create(&sha_key, sha_ctx_free) == 0;
}

/* This thread's context, made on first use; NULL when none can be. */
static EVP_MD_CTX *
sha_ctx(void)
{
	EVP_MD_CTX	*ctx;

	if (!sha_key_ok)
		return NULL;
	if ((ctx = pthread_getspecific(sha_key)) != NULL)
		return ctx;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (pthread_setspecific(sha_key, ctx) != 0) {
		EVP_MD_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/*
 * A base64url character's value (0 to 63), -1 for another: by a table
 * built once from the alphabet. RESOLVE checks 43 random characters per
 * request; strchr per character, then range tests (a mispredicted branch
 * each), were 4% of a RESOLVE at 300k a second.
 */
static pthread_once_t	 b64_once = PTHREAD_ONCE_INIT;
static signed char	 b64_val[256];

static void
b64_table(void)
{
	int	 i;

	memset(b64_val, -1, sizeof(b64_val));
	for (i = 0; b64url[i] != '\0'; i++)
		b64_val[(unsigned char)b64url[i]] = (signed char)i;
}

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
	const char	*body;
	size_t		 i, n;
	int		 v = -1;

	if (s == NULL || strlen(s) != KEY_SECRET_LEN ||
	    strncmp(s, KEY_SECRET_PREFIX, strlen(KEY_SECRET_PREFIX)) != 0)
		return 0;
	(void)pthread_once(&b64_once, b64_table);
	body = s + strlen(KEY_SECRET_PREFIX);
	n = strlen(body);
	for (i = 0; i < n; i++)
		if ((v = b64_val[(unsigned char)body[i]]) == -1)
			return 0;
	/* 32 bytes end in a character of 4 bits: its two low bits are 0. */
	return (v & 3) == 0;
}

int
keysecret_hash(const char *s, unsigned char out[KEY_HASH_LEN])
{
	unsigned int	 n = 0;
	EVP_MD_CTX	*ctx;
	const EVP_MD	*md;
	int		 ok;

	(void)pthread_once(&sha_once, sha_fetch);
	md = sha != NULL ? sha : EVP_sha256();
	if ((ctx = sha_ctx()) != NULL)
		ok = EVP_DigestInit_ex2(ctx, md, NULL) == 1 &&
		    EVP_DigestUpdate(ctx, s, strlen(s)) == 1 &&
		    EVP_DigestFinal_ex(ctx, out, &n) == 1;
	else
		ok = EVP_Digest(s, strlen(s), out, &n, md, NULL) == 1;
	if (!ok || n != KEY_HASH_LEN) {
		log_warnx("SHA-256 of a key failed");
		return -1;
	}
	return 0;
}

void
keysecret_cleanup(void)
{
	EVP_MD_CTX	*ctx;

	if (!sha_key_ok || (ctx = pthread_getspecific(sha_key)) == NULL)
		return;
	(void)pthread_setspecific(sha_key, NULL);
	EVP_MD_CTX_free(ctx);
}

void
keysecret_wipe(void *p, size_t len)
{
	explicit_bzero(p, len);
}
