/* digest.h: SHA-256 (FIPS 180-4) of a buffer, as lowercase hex: how a source tells a body it already applied. */
#ifndef MODELREG_DIGEST_H
#define MODELREG_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_HEX_LEN	65	/* 64 hex digits and the NUL */

/* The SHA-256 of len bytes at p into hex (DIGEST_HEX_LEN bytes). */
void	 digest_sha256_hex(const void *p, size_t len, char *hex);

/*
 * The same, fed in pieces (issue 8: a body read from a file in chunks):
 * init, update as often as needed, then final writes the hex digest.
 */
struct evp_md_ctx_st;
struct digest_sha256 {
	struct evp_md_ctx_st	*evp;	/* libcrypto's; NULL: the code of digest.c */
	int		 failed;	/* libcrypto refused an update */
	uint32_t	 h[8];
	uint64_t	 len;		/* bytes fed */
	unsigned char	 block[64];	/* the part of a block not hashed yet */
	size_t		 fill;
};
void	 digest_sha256_init(struct digest_sha256 *);
void	 digest_sha256_update(struct digest_sha256 *, const void *, size_t);
void	 digest_sha256_final(struct digest_sha256 *, char *hex);
/* Free what init took without a digest (a read that failed); final frees it too. */
void	 digest_sha256_free(struct digest_sha256 *);

#endif
