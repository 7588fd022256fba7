/* body.c: read a response body in chunks, from memory, a file or a database blob (issue 8). */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "body.h"
#include "digest.h"

void
body_src_mem(struct body_src *b, const char *p, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->mem = p;
	b->fd = -1;
	b->len = len;
}

void
body_src_fd(struct body_src *b, int fd, uint64_t len)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->len = len;
}

void
body_src_blob(struct body_src *b, sqlite3_blob *blob, uint64_t len)
{
	memset(b, 0, sizeof(*b));
	b->fd = -1;
	b->blob = blob;
	b->len = len;
}

/* Read n bytes at off into p: 0, or -1 with err set. */
static int
body_read(const struct body_src *b, uint64_t off, char *p, size_t n,
    char *err, size_t errlen)
{
	ssize_t	 r;
	size_t	 got = 0;
	int	 rc;

	if (b->blob != NULL) {
		/* A blob is never larger than SQLITE_LIMIT_LENGTH, an int. */
		if (off > INT32_MAX || n > INT32_MAX - off) {
			snprintf(err, errlen, "cannot read the stored body: too "
			    "large");
			return -1;
		}
		if ((rc = sqlite3_blob_read(b->blob, p, (int)n,
		    (int)off)) != SQLITE_OK) {
			snprintf(err, errlen, "cannot read the stored body: %s",
			    sqlite3_errstr(rc));
			return -1;
		}
		return 0;
	}
	while (got < n) {
		r = pread(b->fd, p + got, n - got, (off_t)(off + got));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			snprintf(err, errlen, "cannot read the body: %s",
			    strerror(errno));
			return -1;
		}
		if (r == 0) {
			snprintf(err, errlen, "the body's file changed while it "
			    "was read (it ends at byte %llu, not %llu)",
			    (unsigned long long)(off + got),
			    (unsigned long long)b->len);
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

int
body_each(const struct body_src *b, body_chunk_fn fn, void *arg, char *err,
    size_t errlen)
{
	uint64_t	 off;
	size_t		 n;
	char		*chunk;
	int		 rc = 0;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (b->mem != NULL) {
		for (off = 0; off < b->len && rc == 0; off += n) {
			n = b->len - off < BODY_CHUNK ? (size_t)(b->len - off) :
			    BODY_CHUNK;
			rc = fn(arg, b->mem + off, n);
		}
		return rc;
	}
	if (b->len == 0)
		return 0;
	if ((chunk = malloc(BODY_CHUNK)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (off = 0; off < b->len && rc == 0; off += n) {
		n = b->len - off < BODY_CHUNK ? (size_t)(b->len - off) :
		    BODY_CHUNK;
		if (body_read(b, off, chunk, n, err, errlen) == -1) {
			rc = -1;
			break;
		}
		rc = fn(arg, chunk, n);
	}
	free(chunk);
	return rc;
}

static int
body_digest_chunk(void *arg, const char *p, size_t n)
{
	digest_sha256_update(arg, p, n);
	return 0;
}

int
body_digest(const struct body_src *b, char *hex, char *err, size_t errlen)
{
	struct digest_sha256	 d;

	digest_sha256_init(&d);
	if (body_each(b, body_digest_chunk, &d, err, errlen) != 0) {
		digest_sha256_free(&d);
		return -1;
	}
	digest_sha256_final(&d, hex);
	return 0;
}
