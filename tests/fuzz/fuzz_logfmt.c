/* fuzz_logfmt.c: the logfmt writer and reader: any bytes written as a value read back the same, and a record read, written again, reads back the same. */
#include <string.h>

#include "buf.h"
#include "proto.h"
#include "fuzz.h"

#define MAXPAIRS	64

static struct lf_pair	 pairs[MAXPAIRS], again[MAXPAIRS];

/* Parse the record in b (its LF dropped) into out; the number of pairs. */
static int
reparse(const struct buf *b, struct lf_pair *out, char **store)
{
	size_t	 len;

	FUZZ_CHECK(b->len > 0 && b->data[b->len - 1] == '\n',
	    "a record does not end in LF");
	len = b->len - 1;
	FUZZ_CHECK(memchr(b->data, '\n', len) == NULL, "a LF inside a record");
	*store = malloc(len + 1);
	FUZZ_CHECK(*store != NULL, "out of memory");
	return lf_parse(b->data, len, out, MAXPAIRS, *store, len + 1);
}

/* The input as values: the whole of it, its first half, null, an integer. */
static void
write_read(const uint8_t *data, size_t size)
{
	struct buf	 b = { 0 };
	char		*store;
	uint64_t	 v = 0;
	size_t		 i;
	int		 n;

	for (i = 0; i < size && i < 8; i++)
		v = v << 8 | data[i];
	FUZZ_CHECK(lf_strn(&b, "whole", (const char *)data, size) == 0 &&
	    lf_strn(&b, "half", (const char *)data, size / 2) == 0 &&
	    lf_null(&b, "nil") == 0 && lf_int(&b, "num", (int64_t)v) == 0 &&
	    lf_end(&b) == 0, "the writer failed");
	n = reparse(&b, again, &store);
	FUZZ_CHECK(n == 4, "a written record does not read back as 4 pairs");
	FUZZ_CHECK(strcmp(again[0].key, "whole") == 0 && again[0].vlen == size &&
	    memcmp(again[0].value, data, size) == 0,
	    "a value reads back different");
	/* An empty value is written key="" (not null): it must stay so. */
	FUZZ_CHECK(again[0].isnull == 0, "a string value read back as null");
	FUZZ_CHECK(again[1].vlen == size / 2 &&
	    memcmp(again[1].value, data, size / 2) == 0,
	    "a half value reads back different");
	FUZZ_CHECK(again[2].isnull == 1 && again[2].vlen == 0,
	    "null reads back as a value");
	FUZZ_CHECK(strtoll(again[3].value, NULL, 10) == (int64_t)v,
	    "an integer reads back different");
	free(store);
	buf_free(&b);
}

/* The input as a record: when it reads, writing its pairs again reads back the same. */
static void
read_write(const uint8_t *data, size_t size)
{
	struct buf	 b = { 0 };
	const char	*line = (const char *)data;
	char		*store, *store2;
	size_t		 len = size;
	int		 i, n, m;

	if ((store = malloc(len + 1)) == NULL)
		return;
	n = lf_parse(line, len, pairs, MAXPAIRS, store, len + 1);
	FUZZ_CHECK(n >= -1 && n <= MAXPAIRS, "pair count out of bounds");
	/* The store contract: a smaller store is refused, never overrun. */
	if (len > 0)
		FUZZ_CHECK(lf_parse(line, len, again, MAXPAIRS, store, len) == -1,
		    "a short store was accepted");
	if (n <= 0) {
		free(store);
		return;
	}
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(pairs[i].key >= store && pairs[i].value >= store &&
		    pairs[i].value + pairs[i].vlen < store + len + 1,
		    "a pair outside the store");
		FUZZ_CHECK(pairs[i].key[0] != '\0', "an empty key");
		FUZZ_CHECK(!pairs[i].isnull || pairs[i].vlen == 0, "a null with bytes");
		if (pairs[i].isnull)
			FUZZ_CHECK(lf_null(&b, pairs[i].key) == 0, "writer failed");
		else
			FUZZ_CHECK(lf_strn(&b, pairs[i].key, pairs[i].value,
			    pairs[i].vlen) == 0, "writer failed");
	}
	FUZZ_CHECK(lf_end(&b) == 0, "writer failed");
	m = reparse(&b, again, &store2);
	FUZZ_CHECK(m == n, "a rewritten record has another pair count");
	for (i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(again[i].key, pairs[i].key) == 0 &&
		    again[i].isnull == pairs[i].isnull &&
		    again[i].vlen == pairs[i].vlen &&
		    memcmp(again[i].value, pairs[i].value, pairs[i].vlen) == 0,
		    "a rewritten pair reads back different");
	free(store2);
	free(store);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	write_read(data, size);
	read_write(data, size);
	return 0;
}
