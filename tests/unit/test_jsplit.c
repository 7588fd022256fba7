/* test_jsplit.c: TAP tests for the JSON splitter (daemon/jsplit.c): pieces, chunk edges at every offset, errors, depth and size bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsplit.h"
#include "tap.h"

/*
 * What a split produced, as one line: "E0:text N:text V:text" (element
 * with its index, member name, other value), then " =FOUND" when the key
 * named an array, or " !why" on an error. Comparing these lines compares
 * two splits piece by piece.
 */
struct rec {
	struct buf	 out;
	int		 stop_after;	/* stop at this piece (1-based); 0 never */
	int		 n;
};

static int
rec_cb(void *arg, const struct jsplit_piece *pc)
{
	struct rec	*r = arg;

	if (r->out.len > 0)
		buf_putc(&r->out, ' ');
	switch (pc->kind) {
	case JSPLIT_ELEMENT:
		buf_printf(&r->out, "E%llu:", (unsigned long long)pc->index);
		break;
	case JSPLIT_NAME:
		buf_puts(&r->out, "N:");
		break;
	case JSPLIT_VALUE:
		buf_puts(&r->out, "V:");
		break;
	}
	/* The text is NUL-terminated and exactly len long. */
	if (strlen(pc->text) != pc->len)
		buf_puts(&r->out, "<BADLEN>");
	buf_append(&r->out, pc->text, pc->len);
	return r->stop_after > 0 && ++r->n >= r->stop_after;
}

/* body as a test name: control bytes as '.', cut at 60 bytes (a static buffer). */
static const char *
show(const char *body)
{
	static char	 name[64];
	size_t		 i;

	for (i = 0; body[i] != '\0' && i + 1 < sizeof(name); i++)
		name[i] = (unsigned char)body[i] < 0x20 ? '.' : body[i];
	name[i] = '\0';
	return name;
}

/* Split body in chunks of at most step bytes (0: one chunk); the record line (caller frees). */
static char *
split_n(const char *body, size_t len, size_t step, size_t max_piece,
    int stop_after, enum jsplit_status *stp)
{
	struct jsplit		 s;
	struct rec		 r;
	enum jsplit_status	 st = JSPLIT_OK;
	size_t			 off = 0, k;

	memset(&r, 0, sizeof(r));
	r.stop_after = stop_after;
	buf_puts(&r.out, "");
	jsplit_init(&s, "data", max_piece, rec_cb, &r);
	while (off < len && st == JSPLIT_OK) {
		k = step == 0 || len - off < step ? len - off : step;
		st = jsplit_feed(&s, body + off, k);
		off += k;
	}
	if (st == JSPLIT_OK)
		st = jsplit_finish(&s);
	if (st == JSPLIT_OK && jsplit_found(&s))
		buf_puts(&r.out, " =FOUND");
	if (st != JSPLIT_OK)
		buf_printf(&r.out, " !%s", jsplit_error(&s));
	if (stp != NULL)
		*stp = st;
	jsplit_free(&s);
	return r.out.data;
}

static char *
split(const char *body, enum jsplit_status *stp)
{
	return split_n(body, strlen(body), 0, 1 << 20, 0, stp);
}

/* The pieces of well-formed bodies. */
static void
test_pieces(void)
{
	static const struct {
		const char	*body, *want;
	} t[] = {
		{ "{\"data\":[]}", "N:\"data\" =FOUND" },
		{ " { \"data\" : [ ] } \n", "N:\"data\" =FOUND" },
		{ "{\"data\":[{\"id\":\"a\"},{\"id\":\"b\"}]}",
		  "N:\"data\" E0:{\"id\":\"a\"} E1:{\"id\":\"b\"} =FOUND" },
		{ "{\"object\":\"list\",\"data\":[1, true ,null,\"s\",[2],-1.5e3]}",
		  "N:\"object\" V:\"list\" N:\"data\" E0:1 E1:true E2:null "
		  "E3:\"s\" E4:[2] E5:-1.5e3 =FOUND" },
		/* Other members are handed over to be validated, their containers walked. */
		{ "{\"meta\":{\"n\":1,\"l\":[1,{\"x\":[]}]},\"data\":[{}]}",
		  "N:\"meta\" N:\"n\" V:1 N:\"l\" V:[1,{\"x\":[]}] N:\"data\" "
		  "E0:{} =FOUND" },
		/* The first member named data counts, as SQLite's $.data. */
		{ "{\"data\":[1],\"data\":[2]}",
		  "N:\"data\" E0:1 N:\"data\" V:2 =FOUND" },
		{ "{\"data\":{\"a\":[1]},\"data\":[2]}",
		  "N:\"data\" N:\"a\" V:[1] N:\"data\" V:2" },
		/* A name is compared byte for byte: an escape is another name. */
		{ "{\"d\\u0061ta\":[1]}", "N:\"d\\u0061ta\" V:1" },
		{ "{\"datum\":[1],\"dat\":[2]}", "N:\"datum\" V:1 N:\"dat\" V:2" },
		/* Not an object with a data array: valid, but not found. */
		{ "{\"data\":\"[]\"}", "N:\"data\" V:\"[]\"" },
		{ "{\"data\":null}", "N:\"data\" V:null" },
		{ "{\"data\":{}}", "N:\"data\"" },
		{ "{}", "" },
		{ "[]", "" },
		{ "[{\"data\":[1]}]", "N:\"data\" V:[1]" },
		{ "[1,[2,3],{\"a\":4}]", "V:1 V:2 V:3 N:\"a\" V:4" },
		{ "42", "V:42" },
		{ " \"data\" ", "V:\"data\"" },
		{ "null", "V:null" },
		/* A bare scalar ends at its delimiter, which the walk then reads. */
		{ "{\"data\":[1,2]}", "N:\"data\" E0:1 E1:2 =FOUND" },
		{ "{\"data\":[1\t,\r2\n]}", "N:\"data\" E0:1 E1:2 =FOUND" },
		/* Strings: escaped quotes, backslashes and brackets inside. */
		{ "{\"data\":[\"a\\\"]b\",\"\\\\\",\"\\\\\\\"[{\",{\"k\":\"}]\\\"\"}]}",
		  "N:\"data\" E0:\"a\\\"]b\" E1:\"\\\\\" E2:\"\\\\\\\"[{\" "
		  "E3:{\"k\":\"}]\\\"\"} =FOUND" },
		{ "{\"d\\\"ata\":[1], \"data\":[2]}",
		  "N:\"d\\\"ata\" V:1 N:\"data\" E0:2 =FOUND" },
		/* Bytes jsplit does not judge go to SQLite as they are. */
		{ "{\"data\":[01,tru,{\"a\" \"b\"}]}",
		  "N:\"data\" E0:01 E1:tru E2:{\"a\" \"b\"} =FOUND" },
		{ "{\"data\":[\"\xc3\xa9\x01\"]}",
		  "N:\"data\" E0:\"\xc3\xa9\x01\" =FOUND" },
	};
	size_t	 i;
	char	*got;
	enum jsplit_status st;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = split(t[i].body, &st);
		is_str(got, t[i].want, "pieces: %s", show(t[i].body));
		is_int(st, JSPLIT_OK, "pieces: %s: ok", show(t[i].body));
		free(got);
	}
}

/* Bodies that are not well-formed at jsplit's level. */
static void
test_errors(void)
{
	static const struct {
		const char		*body;
		enum jsplit_status	 st;
		const char		*why;
	} t[] = {
		{ "", JSPLIT_SYNTAX, "no JSON value: the body ends at byte 0" },
		{ "  \n", JSPLIT_SYNTAX, "no JSON value: the body ends at byte 3" },
		{ "{", JSPLIT_SYNTAX, "unbalanced brackets: the body ends at byte 1" },
		{ "{\"data\":[", JSPLIT_SYNTAX,
		  "unbalanced brackets: the body ends at byte 9" },
		{ "{\"data\":[{\"id\":1}", JSPLIT_SYNTAX,
		  "unbalanced brackets: the body ends at byte 17" },
		{ "{\"data\":[{\"id\":1", JSPLIT_SYNTAX,
		  "unbalanced brackets: the body ends at byte 16" },
		{ "{\"data\":[1", JSPLIT_SYNTAX,
		  "unbalanced brackets: the body ends at byte 10" },
		{ "{\"data\":[\"abc", JSPLIT_SYNTAX,
		  "unterminated string: the body ends at byte 13" },
		{ "{\"data\":[\"abc\\\"]}", JSPLIT_SYNTAX,
		  "unterminated string: the body ends at byte 17" },
		{ "{\"da", JSPLIT_SYNTAX,
		  "unterminated string: the body ends at byte 4" },
		{ "{\"data\":[]}}", JSPLIT_SYNTAX,
		  "trailing bytes after the JSON value at byte 11" },
		{ "{\"data\":[]} trailing", JSPLIT_SYNTAX,
		  "trailing bytes after the JSON value at byte 12" },
		{ "{} {}", JSPLIT_SYNTAX,
		  "trailing bytes after the JSON value at byte 3" },
		{ "1 2", JSPLIT_SYNTAX,
		  "trailing bytes after the JSON value at byte 2" },
		{ "{\"data\":[}", JSPLIT_SYNTAX, "a value expected at byte 9" },
		{ "{\"data\":[1}", JSPLIT_SYNTAX, "mismatched brackets at byte 10" },
		{ "{\"data\":[[1}]}", JSPLIT_SYNTAX,
		  "mismatched brackets at byte 11" },
		{ "{\"data\":[{\"a\":[}]]}", JSPLIT_SYNTAX,
		  "mismatched brackets at byte 15" },
		{ "{\"data\":]", JSPLIT_SYNTAX, "a value expected at byte 8" },
		{ "{\"data\" []}", JSPLIT_SYNTAX, "':' expected at byte 8" },
		{ "{\"data\":[1,]}", JSPLIT_SYNTAX, "a value expected at byte 11" },
		{ "{\"data\":[1 2]}", JSPLIT_SYNTAX,
		  "',' or a closing bracket expected at byte 11" },
		{ "{\"data\":[],}", JSPLIT_SYNTAX,
		  "a member name expected at byte 11" },
		{ "{data:[]}", JSPLIT_SYNTAX, "a member name expected at byte 1" },
		{ "{,}", JSPLIT_SYNTAX, "a member name expected at byte 1" },
		{ "[,1]", JSPLIT_SYNTAX, "a value expected at byte 1" },
		{ "]", JSPLIT_SYNTAX, "a value expected at byte 0" },
		{ "{\"data\":[tru\"e\"]}", JSPLIT_SYNTAX,
		  "',' or a closing bracket expected at byte 12" },
	};
	size_t			 i;
	char			*got, want[256];
	enum jsplit_status	 st;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = split(t[i].body, &st);
		is_int(st, t[i].st, "error: %s: status", show(t[i].body));
		snprintf(want, sizeof(want), "!%s", t[i].why);
		ok(strstr(got, want) != NULL, "error: %s: says \"%s\"",
		    show(t[i].body), t[i].why);
		if (strstr(got, want) == NULL)
			printf("#   got: %s\n", got);
		free(got);
	}

	/* A NUL byte anywhere: inside a string, between tokens, in a scalar. */
	{
		static const char	 b1[] = "{\"data\":[\"a\0b\"]}";
		static const char	 b2[] = "{\"data\":\0[]}";
		static const char	 b3[] = "{\"data\":[12\0]}";
		static const char	 b4[] = "{\"data\":[]}\0";

		got = split_n(b1, sizeof(b1) - 1, 0, 1024, 0, &st);
		is_int(st, JSPLIT_NUL, "NUL in a string");
		ok(strstr(got, "!a NUL byte at byte 11") != NULL,
		    "NUL in a string: where (%s)", got);
		free(got);
		got = split_n(b2, sizeof(b2) - 1, 0, 1024, 0, &st);
		is_int(st, JSPLIT_NUL, "NUL between tokens");
		free(got);
		got = split_n(b3, sizeof(b3) - 1, 0, 1024, 0, &st);
		is_int(st, JSPLIT_NUL, "NUL in a scalar");
		free(got);
		got = split_n(b4, sizeof(b4) - 1, 0, 1024, 0, &st);
		is_int(st, JSPLIT_NUL, "NUL after the value");
		free(got);
	}

	/* The status sticks: a later feed does nothing. */
	{
		struct jsplit	 s;
		struct rec	 r;

		memset(&r, 0, sizeof(r));
		jsplit_init(&s, "data", 1024, rec_cb, &r);
		is_int(jsplit_feed(&s, "{]", 2), JSPLIT_SYNTAX, "sticky: error");
		is_int(jsplit_feed(&s, "\"data\":[1]}", 11), JSPLIT_SYNTAX,
		    "sticky: a later feed still fails");
		is_int(jsplit_finish(&s), JSPLIT_SYNTAX, "sticky: finish fails");
		ok(r.out.data == NULL, "sticky: no piece after the error");
		jsplit_free(&s);
		buf_free(&r.out);
	}
}

/* Every body, cut at every offset (and fed byte by byte), splits the same. */
static void
test_chunks(void)
{
	static const char *const bodies[] = {
		"{\"object\":\"list\",\"data\":[{\"id\":\"a\\\"b\",\"n\":[1,2,{\"x\":\"]\"}]},"
		"-12.5e+3,true,false,null,\"\\\\\",\"\\u00e9\\\"\",[[[]]],{}],\"z\":1}",
		"  {  \"data\"  :  [  1  ,  \"  \"  ,  {  }  ]  }  ",
		"{\"data\":[\"a\\\\\\\"]\",\"}{\"]}",
		"12345",
		"{\"data\":[1,2",
		"{\"data\":[\"abc",
		"{\"data\":[1,]}",
		"{\"data\":[]} x",
		"[1,{\"data\":[2]},\"x\"]",
	};
	size_t	 i, cut, len, bad, steps;
	char	*whole, *part;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		len = strlen(bodies[i]);
		whole = split_n(bodies[i], len, 0, 1024, 0, NULL);
		bad = 0;
		/* Two chunks, cut at every offset. */
		for (cut = 1; cut < len; cut++) {
			struct jsplit		 s;
			struct rec		 r;
			enum jsplit_status	 st;

			memset(&r, 0, sizeof(r));
			buf_puts(&r.out, "");
			jsplit_init(&s, "data", 1024, rec_cb, &r);
			st = jsplit_feed(&s, bodies[i], cut);
			if (st == JSPLIT_OK)
				st = jsplit_feed(&s, bodies[i] + cut, len - cut);
			if (st == JSPLIT_OK)
				st = jsplit_finish(&s);
			if (st == JSPLIT_OK && jsplit_found(&s))
				buf_puts(&r.out, " =FOUND");
			if (st != JSPLIT_OK)
				buf_printf(&r.out, " !%s", jsplit_error(&s));
			if (strcmp(r.out.data, whole) != 0) {
				if (bad++ == 0)
					printf("# cut at %zu: %s\n#   whole: %s\n",
					    cut, r.out.data, whole);
			}
			jsplit_free(&s);
			buf_free(&r.out);
		}
		is_int(bad, 0, "chunks: body %zu cut at each of %zu offsets",
		    i, len - 1);
		/* Chunks of 1, 2, 3 and 7 bytes. */
		bad = 0;
		for (steps = 1; steps <= 7; steps++) {
			if (steps > 3 && steps < 7)
				continue;
			part = split_n(bodies[i], len, steps, 1024, 0, NULL);
			if (strcmp(part, whole) != 0 && bad++ == 0)
				printf("# step %zu: %s\n#   whole: %s\n", steps,
				    part, whole);
			free(part);
		}
		is_int(bad, 0, "chunks: body %zu in chunks of 1, 2, 3 and 7",
		    i);
		free(whole);
	}
}

/* Nesting is bounded as SQLite bounds it; a piece is bounded by max_piece. */
static void
test_bounds(void)
{
	struct buf		 b = { NULL, 0, 0 };
	enum jsplit_status	 st;
	char			*got;
	int			 i;

	/* {"data":[ is two levels: 1998 more make 2000, SQLite's limit. */
	buf_puts(&b, "{\"data\":[");
	for (i = 0; i < 1998; i++)
		buf_putc(&b, '[');
	for (i = 0; i < 1998; i++)
		buf_putc(&b, ']');
	buf_puts(&b, "]}");
	got = split_n(b.data, b.len, 0, 1 << 20, 0, &st);
	is_int(st, JSPLIT_OK, "depth: 2000 levels are allowed");
	free(got);
	buf_free(&b);

	buf_puts(&b, "{\"data\":[");
	for (i = 0; i < 1999; i++)
		buf_putc(&b, '[');
	for (i = 0; i < 1999; i++)
		buf_putc(&b, ']');
	buf_puts(&b, "]}");
	got = split_n(b.data, b.len, 0, 1 << 20, 0, &st);
	is_int(st, JSPLIT_DEEP, "depth: 2001 levels are refused");
	ok(strstr(got, "!nested deeper than 2000 at byte 2007") != NULL,
	    "depth: says where (%s)", got);
	free(got);
	buf_free(&b);

	/* A million brackets cost nothing: the bound stops at the first too many. */
	buf_puts(&b, "{\"data\":[");
	for (i = 0; i < 1000000; i++)
		buf_putc(&b, '{');
	got = split_n(b.data, b.len, 4096, 1 << 20, 0, &st);
	is_int(st, JSPLIT_DEEP, "depth: a million open braces refused");
	free(got);
	buf_free(&b);

	/* Walked levels count too: a root array of arrays. */
	for (i = 0; i < 2001; i++)
		buf_putc(&b, '[');
	got = split_n(b.data, b.len, 0, 1 << 20, 0, &st);
	is_int(st, JSPLIT_DEEP, "depth: 2001 nested arrays from the root");
	free(got);
	buf_free(&b);

	/* Size: a piece of exactly max_piece bytes passes, one more does not. */
	buf_puts(&b, "{\"data\":[\"");
	for (i = 0; i < 98; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\"]}");
	got = split_n(b.data, b.len, 7, 100, 0, &st);
	is_int(st, JSPLIT_OK, "size: a 100-byte element with max_piece 100");
	free(got);
	got = split_n(b.data, b.len, 7, 99, 0, &st);
	is_int(st, JSPLIT_TOOBIG, "size: refused with max_piece 99");
	ok(strstr(got, "!a value longer than 99 bytes") != NULL,
	    "size: says why (%s)", got);
	free(got);
	buf_free(&b);

	/* A long member name or other value is bounded the same way. */
	buf_puts(&b, "{\"");
	for (i = 0; i < 5000; i++)
		buf_putc(&b, 'k');
	buf_puts(&b, "\":1,\"data\":[]}");
	got = split_n(b.data, b.len, 0, 1000, 0, &st);
	is_int(st, JSPLIT_TOOBIG, "size: a long member name refused");
	free(got);
	buf_free(&b);
	buf_puts(&b, "{\"data\":[");
	for (i = 0; i < 5000; i++)
		buf_putc(&b, '7');
	buf_puts(&b, "]}");
	got = split_n(b.data, b.len, 64, 1000, 0, &st);
	is_int(st, JSPLIT_TOOBIG, "size: a long number refused");
	free(got);
	buf_free(&b);
}

/* The callback can stop the split; the index counts elements only. */
static void
test_stop(void)
{
	enum jsplit_status	 st;
	char			*got;
	const char		*body = "{\"a\":1,\"data\":[10,20,30]}";

	got = split_n(body, strlen(body), 0, 1024, 4, &st);
	is_int(st, JSPLIT_STOPPED, "stop: the callback stops the split");
	is_str(got, "N:\"a\" V:1 N:\"data\" E0:10 !stopped at byte 17",
	    "stop: nothing after the piece that said stop");
	free(got);

	/* Many elements: indexes run on, and memory stays one piece. */
	{
		struct buf	 b = { NULL, 0, 0 };
		int		 i;

		buf_puts(&b, "{\"data\":[");
		for (i = 0; i < 10000; i++)
			buf_printf(&b, "%s{\"id\":\"m%d\"}", i ? "," : "", i);
		buf_puts(&b, "]}");
		got = split_n(b.data, b.len, 1000, 64, 0, &st);
		is_int(st, JSPLIT_OK, "many: 10000 elements with 64-byte pieces");
		ok(strstr(got, " E9999:{\"id\":\"m9999\"} =FOUND") != NULL,
		    "many: the last element is number 9999");
		free(got);
		buf_free(&b);
	}
}

int
main(void)
{
	tap_run(test_pieces());
	tap_run(test_errors());
	tap_run(test_chunks());
	tap_run(test_bounds());
	tap_run(test_stop());
	return done_testing();
}
