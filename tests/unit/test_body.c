/* test_body.c: TAP tests for bodies read in chunks (issue 8): the incremental SHA-256, body_each over memory, a file and a blob, the catalog parsed from a file, and the held response as a blob. */
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "body.h"
#include "buf.h"
#include "catalog.h"
#include "catalog_detect.h"
#include "db.h"
#include "db_catalog.h"
#include "digest.h"
#include "tap.h"

/* A file holding p (unlinked at once: the descriptor is all there is). */
static int
tmpfile_of(const char *p, size_t n)
{
	char	 path[] = "/tmp/test_body.XXXXXX";
	int	 fd;

	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	if (write(fd, p, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
collect(void *arg, const char *p, size_t n)
{
	return buf_append(arg, p, n) == -1;
}

/* The incremental digest equals the one-shot one, however the input is cut. */
static void
test_digest(void)
{
	char		 want[DIGEST_HEX_LEN], got[DIGEST_HEX_LEN];
	char		 data[300];
	size_t		 i, cut, bad = 0;
	struct digest_sha256 d;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 3);
	for (i = 0; i <= sizeof(data); i += 1) {
		digest_sha256_hex(data, i, want);
		for (cut = 0; cut <= i; cut += 13) {
			digest_sha256_init(&d);
			digest_sha256_update(&d, data, cut);
			digest_sha256_update(&d, data + cut, i - cut);
			digest_sha256_final(&d, got);
			if (strcmp(got, want) != 0)
				bad++;
		}
	}
	is_int(bad, 0, "sha256: two pieces at many cuts give the one-shot digest");
	/* One byte at a time, across block edges. */
	digest_sha256_init(&d);
	for (i = 0; i < sizeof(data); i++)
		digest_sha256_update(&d, data + i, 1);
	digest_sha256_final(&d, got);
	digest_sha256_hex(data, sizeof(data), want);
	is_str(got, want, "sha256: byte by byte");
	digest_sha256_init(&d);
	digest_sha256_update(&d, "ab", 2);
	digest_sha256_update(&d, "", 0);
	digest_sha256_update(&d, "c", 1);
	digest_sha256_final(&d, got);
	is_str(got, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "sha256: abc in pieces (FIPS 180-4 vector)");
	/* Issue 11: libcrypto's SHA-256, not the portable code. */
	digest_sha256_init(&d);
	ok(d.evp != NULL, "sha256: hashed by libcrypto");
	digest_sha256_free(&d);
	ok(d.evp == NULL, "sha256: free without a digest lets it go");
	digest_sha256_free(&d);
}

/* body_each gives every byte in order, from memory, a file and a blob. */
static void
test_each(void)
{
	struct body_src	 src;
	struct buf	 big = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	char		 err[256], hex[DIGEST_HEX_LEN], want[DIGEST_HEX_LEN];
	sqlite3		*db;
	sqlite3_blob	*blob;
	size_t		 i;
	int		 fd;

	/* More than two chunks, with an uneven tail. */
	for (i = 0; i < 2 * BODY_CHUNK + 12345; i++)
		buf_putc(&big, 'a' + (int)(i % 23));
	digest_sha256_hex(big.data, big.len, want);

	body_src_mem(&src, big.data, big.len);
	ok(body_each(&src, collect, &out, err, sizeof(err)) == 0 &&
	    out.len == big.len && memcmp(out.data, big.data, big.len) == 0,
	    "each: memory, whole and in order");
	buf_reset(&out);

	if ((fd = tmpfile_of(big.data, big.len)) == -1) {
		ok(0, "each: a temporary file");
		buf_free(&big);
		return;
	}
	/* The offset of the descriptor does not matter: pread from 0. */
	lseek(fd, 100, SEEK_SET);
	body_src_fd(&src, fd, big.len);
	ok(body_each(&src, collect, &out, err, sizeof(err)) == 0 &&
	    out.len == big.len && memcmp(out.data, big.data, big.len) == 0,
	    "each: a file, whole and in order");
	buf_reset(&out);
	ok(body_digest(&src, hex, err, sizeof(err)) == 0, "each: digest of a file");
	is_str(hex, want, "each: ... equals the digest of the buffer");
	/* A file shorter than said: it changed while it was read. */
	body_src_fd(&src, fd, big.len + 10);
	is_int(body_each(&src, collect, &out, err, sizeof(err)), -1,
	    "each: a file that ends early");
	is_str(err, "the body's file changed while it was read (it ends at "
	    "byte 536633, not 536643)", "each: ... says so");
	buf_reset(&out);
	close(fd);
	body_src_fd(&src, fd, 10);
	is_int(body_each(&src, collect, &out, err, sizeof(err)), -1,
	    "each: a closed descriptor");
	ok(strncmp(err, "cannot read the body: ", 22) == 0, "each: ... says so (%s)",
	    err);
	buf_reset(&out);

	/* A blob. */
	sqlite3_open(":memory:", &db);
	sqlite3_exec(db, "CREATE TABLE t(v); INSERT INTO t VALUES (zeroblob(0))",
	    NULL, NULL, NULL);
	{
		sqlite3_stmt	*st;

		sqlite3_prepare_v2(db, "UPDATE t SET v = ?1", -1, &st, NULL);
		sqlite3_bind_blob(st, 1, big.data, (int)big.len, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	if (sqlite3_blob_open(db, "main", "t", "v", 1, 0, &blob) != SQLITE_OK) {
		ok(0, "each: a blob opens");
	} else {
		body_src_blob(&src, blob, (uint64_t)sqlite3_blob_bytes(blob));
		ok(body_each(&src, collect, &out, err, sizeof(err)) == 0 &&
		    out.len == big.len && memcmp(out.data, big.data, big.len) == 0,
		    "each: a blob, whole and in order");
		sqlite3_blob_close(blob);
	}
	sqlite3_close(db);
	buf_free(&out);
	buf_free(&big);
}

/* A catalog read from a file parses exactly as from memory. */
static void
test_parse_file(void)
{
	struct buf		 b = { NULL, 0, 0 };
	struct body_src		 src;
	struct catalog_stats	 st;
	sqlite3			*db;
	enum cat_look		 look;
	char			 err[256], hex[DIGEST_HEX_LEN], want[DIGEST_HEX_LEN];
	char			*mem = NULL, *file = NULL;
	int			 fd, i, rc;

	/* Elements long enough that many straddle the 256 KiB chunks. */
	buf_puts(&b, "{\"object\":\"list\",\"data\":[");
	for (i = 0; i < 3000; i++)
		buf_printf(&b, "%s{\"id\":\"f/%d\",\"name\":\"F \\\"%d\\\" [x]\","
		    "\"context_length\":%d,\"pricing\":{\"prompt\":\"0.000001\","
		    "\"completion\":\"0.000002\"},\"description\":\"%0*d\"}",
		    i ? "," : "", i, i, 1000 + i, 100 + i % 400, i);
	buf_puts(&b, "]}");
	digest_sha256_hex(b.data, b.len, want);
	sqlite3_open(":memory:", &db);

	rc = catalog_parse(db, FMT_OPENROUTER, b.data, b.len, &st, err,
	    sizeof(err));
	is_int(rc, 0, "file: parsed from memory (%s)", err);
	{
		sqlite3_stmt	*q;

		sqlite3_prepare_v2(db, "SELECT group_concat(id || name ||"
		    " context_length || length(description), ',') FROM"
		    " (SELECT * FROM staging ORDER BY id)", -1, &q, NULL);
		if (sqlite3_step(q) == SQLITE_ROW)
			mem = strdup((const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
		fd = tmpfile_of(b.data, b.len);
		body_src_fd(&src, fd, b.len);
		look = LOOK_NONE;
		rc = catalog_parse_checked_src(db, FMT_AUTO, &src, &st, &look,
		    hex, err, sizeof(err));
		is_int(rc, 0, "file: parsed from a file (%s)", err);
		is_int(st.staged, 3000, "file: every model staged");
		ok(look == LOOK_OPENROUTER, "file: detected as OpenRouter");
		is_str(hex, want, "file: the digest computed on the way");
		sqlite3_prepare_v2(db, "SELECT group_concat(id || name ||"
		    " context_length || length(description), ',') FROM"
		    " (SELECT * FROM staging ORDER BY id)", -1, &q, NULL);
		if (sqlite3_step(q) == SQLITE_ROW)
			file = strdup((const char *)sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
		ok(mem != NULL && file != NULL && strcmp(mem, file) == 0,
		    "file: the same rows as from memory");
		close(fd);
	}
	free(mem);
	free(file);
	buf_free(&b);
	sqlite3_close(db);
}

static int
parse_s(sqlite3 *db, const char *s, struct catalog_stats *st, char *err,
    size_t errlen)
{
	return catalog_parse(db, FMT_OPENAI, s, strlen(s), st, err, errlen);
}

/* Errors over a stream are those of a buffer; FMT_AUTO misled by its first object. */
static void
test_stream_errors(void)
{
	struct catalog_stats	 st;
	struct buf		 b = { NULL, 0, 0 };
	sqlite3			*db;
	enum cat_look		 look;
	char			 err[256];
	int			 i, rc;

	sqlite3_open(":memory:", &db);
	/* An invalid element in the middle: nothing staged. */
	rc = parse_s(db, "{\"data\":[{\"id\":\"a\"},{\"id\":\"b\" \"x\"},"
	    "{\"id\":\"c\"}]}", &st, err, sizeof(err));
	is_int(rc, -1, "errors: an invalid element in the middle");
	is_str(err, "invalid JSON", "errors: ... is invalid JSON");
	/* Another value than the data array, invalid: the same. */
	rc = parse_s(db, "{\"x\":tru,\"data\":[{\"id\":\"a\"}]}", &st, err,
	    sizeof(err));
	is_str(err, "invalid JSON", "errors: an invalid value beside data");
	rc = parse_s(db, "{\"x\\q\":1,\"data\":[]}", &st, err, sizeof(err));
	is_str(err, "invalid JSON", "errors: an invalid member name");
	/* A NUL byte after the first error still says NUL, as before. */
	rc = catalog_parse(db, FMT_OPENAI, "{\"data\":[1,]}\0", 14, &st, err,
	    sizeof(err));
	is_str(err, "body contains a NUL byte", "errors: NUL wins over invalid JSON");
	/* A value over 4 MiB. */
	buf_puts(&b, "{\"data\":[{\"id\":\"big\",\"description\":\"");
	for (i = 0; i < 4 * 1024 * 1024; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"}]}");
	rc = catalog_parse(db, FMT_OPENAI, b.data, b.len, &st, err, sizeof(err));
	is_int(rc, -1, "errors: an element over 4 MiB");
	is_str(err, "a value in the body is longer than 4194304 bytes",
	    "errors: ... says so");
	buf_free(&b);

	/* The first object looks plain, the body Mistral's: read again as Mistral. */
	buf_puts(&b, "{\"data\":[7,{\"id\":\"plain\",\"owned_by\":\"o\"}");
	for (i = 0; i < 5; i++)
		buf_printf(&b, ",{\"id\":\"m%d\",\"name\":\"m%d\",\"owned_by\":\"mistralai\","
		    "\"description\":\"d%d\",\"capabilities\":{\"completion_chat\":true}}",
		    i, i, i);
	buf_puts(&b, "]}");
	look = LOOK_NONE;
	rc = catalog_parse_checked(db, FMT_AUTO, b.data, b.len, &st, &look, err,
	    sizeof(err));
	is_int(rc, 0, "auto: parsed (%s)", err);
	ok(look == LOOK_MISTRAL, "auto: looks like Mistral");
	is_int(st.entries, 7, "auto: every element read once (the second pass replaced the first)");
	is_int(st.staged, 6, "auto: six models");
	{
		sqlite3_stmt	*q;

		sqlite3_prepare_v2(db, "SELECT description FROM staging WHERE"
		    " id = 'm3'", -1, &q, NULL);
		ok(sqlite3_step(q) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(q, 0), "d3") == 0,
		    "auto: read in Mistral's format (its description kept)");
		sqlite3_finalize(q);
	}
	/* Configured otherwise: refused, staging as it was. */
	rc = catalog_parse_checked(db, FMT_OPENROUTER, b.data, b.len, &st, &look,
	    err, sizeof(err));
	is_int(rc, -1, "auto: configured openrouter is refused");
	is_str(err, "the body looks like mistral, not openrouter (set format = "
	    "mistral or auto)", "auto: ... naming the format it looks like");
	{
		sqlite3_stmt	*q;

		sqlite3_prepare_v2(db, "SELECT count(*) FROM staging", -1, &q,
		    NULL);
		ok(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 6,
		    "auto: a refused format leaves staging as it was");
		sqlite3_finalize(q);
	}
	buf_free(&b);
	sqlite3_close(db);
}

/* The held response: written from a file in chunks, read back as a blob. */
static void
test_held(void)
{
	struct db_catalog_held	 h;
	struct body_src		 src;
	struct buf		 b = { NULL, 0, 0 }, out = { NULL, 0, 0 };
	sqlite3			*db;
	sqlite3_blob		*blob;
	uint64_t		 len;
	char			 path[] = "/tmp/test_body_db.XXXXXX", err[256];
	int			 fd, i;

	if ((fd = mkstemp(path)) == -1) {
		ok(0, "held: a database file");
		return;
	}
	close(fd);
	if ((db = db_open(path)) == NULL) {
		ok(0, "held: db_open");
		unlink(path);
		return;
	}
	is_int(db_catalog_held_open(db, &blob, &len), 1, "held: nothing held yet");
	for (i = 0; i < 100000; i++)
		buf_printf(&b, "%d,", i);
	fd = tmpfile_of(b.data, b.len);
	body_src_fd(&src, fd, b.len);
	db_begin(db);
	is_int(db_catalog_hold(db, &src, NULL, 0, "openrouter", "\"e1\"", NULL,
	    "would drop 90%"), 0, "held: held from a file");
	db_commit(db);
	close(fd);
	is_int(db_catalog_held_open(db, &blob, &len), 0, "held: opened as a blob");
	is_int(len, b.len, "held: its length");
	body_src_blob(&src, blob, len);
	ok(body_each(&src, collect, &out, err, sizeof(err)) == 0 &&
	    out.len == b.len && memcmp(out.data, b.data, b.len) == 0,
	    "held: read back in chunks, byte for byte");
	sqlite3_blob_close(blob);
	is_int(db_catalog_held_get(db, &h, 1), 0, "held: the meta and body");
	ok(h.body != NULL && h.len == b.len && memcmp(h.body, b.data, b.len) == 0,
	    "held: the whole body as before");
	is_str(h.etag, "\"e1\"", "held: its ETag");
	free(h.body);
	/* From memory, as the rule holds a body it was given whole. */
	db_begin(db);
	is_int(db_catalog_hold(db, NULL, "{\"data\":[]}", 11, "openai", NULL,
	    NULL, "m"), 0, "held: held from memory");
	db_commit(db);
	is_int(db_catalog_held_open(db, &blob, &len), 0, "held: replaced");
	is_int(len, 11, "held: the new length");
	sqlite3_blob_close(blob);
	is_int(db_catalog_held_clear(db), 0, "held: cleared");
	is_int(db_catalog_held_open(db, &blob, &len), 1, "held: nothing held");
	db_close(db);
	unlink(path);
	snprintf(err, sizeof(err), "%s-wal", path);
	unlink(err);
	snprintf(err, sizeof(err), "%s-shm", path);
	unlink(err);
	buf_free(&b);
	buf_free(&out);
}

int
main(void)
{
	tap_run(test_digest());
	tap_run(test_each());
	tap_run(test_parse_file());
	tap_run(test_stream_errors());
	tap_run(test_held());
	return done_testing();
}
