/* body.h: a response body read in chunks wherever it is kept (issue 8): in memory, in a file, or in a blob of the database. */
#ifndef MODELREG_BODY_H
#define MODELREG_BODY_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "digest.h"

/*
 * A large body (a 100k-model catalog is 78 MB) is never held whole in
 * memory: the fetcher writes it to an unlinked file, a file:// source is
 * its own file, and the catalog response held for max_drop is a blob in
 * the database. Whoever reads it takes BODY_CHUNK bytes at a time.
 * Exactly one of mem, fd and blob is set; the src owns none of them.
 */
struct body_src {
	const char	*mem;		/* len bytes in memory */
	int		 fd;		/* else a file, read with pread from offset 0; -1 */
	sqlite3_blob	*blob;		/* else a blob, read with sqlite3_blob_read */
	uint64_t	 len;
};

#define BODY_CHUNK	(256 * 1024)

void	 body_src_mem(struct body_src *, const char *p, size_t len);
void	 body_src_fd(struct body_src *, int fd, uint64_t len);
void	 body_src_blob(struct body_src *, sqlite3_blob *, uint64_t len);

/*
 * Call fn on the body's bytes, in order, in chunks of at most BODY_CHUNK
 * (one buffer of that size is allocated for a file or a blob). 0; -1 when
 * reading failed (err says why: a file that ends early changed while it
 * was read); or fn's non-zero return.
 */
typedef int (*body_chunk_fn)(void *arg, const char *p, size_t n);
int	 body_each(const struct body_src *, body_chunk_fn, void *arg,
	    char *err, size_t errlen);

/* The SHA-256 of the body as hex (DIGEST_HEX_LEN bytes): 0, or -1 (err). */
int	 body_digest(const struct body_src *, char *hex, char *err,
	    size_t errlen);

#endif
