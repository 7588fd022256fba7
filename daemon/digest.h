/* digest.h: SHA-256 (FIPS 180-4) of a buffer, as lowercase hex: how a source tells a body it already applied. */
#ifndef MODELREG_DIGEST_H
#define MODELREG_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX_LEN	65	/* 64 hex digits and the NUL */

/* The SHA-256 of len bytes at p into hex (DIGEST_HEX_LEN bytes). */
void	 digest_sha256_hex(const void *p, size_t len, char *hex);

#endif
