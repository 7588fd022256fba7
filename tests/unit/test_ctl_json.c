/* test_ctl_json.c: unit tests of modelregctl's JSON text: strings, numbers, the strict checker that copies a value, the prices object read for people, and records. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "proto.h"
#include "ctl.h"
#include "tap.h"

/* out_json_copy of a C string: its result, and the copy in got (freed by the caller). */
static int
copy(const char *s, char **got)
{
	struct buf	 b = { 0 };
	int		 rv;

	/* Something before, to see that a refusal takes back only its own bytes. */
	buf_puts(&b, "<");
	rv = out_json_copy(&b, s, strlen(s));
	*got = buf_steal(&b);
	return rv;
}

static void
test_copy_valid(void)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "{}", "<{}" },
		{ "[]", "<[]" },
		{ "0", "<0" },
		{ "-0.5e+10", "<-0.5e+10" },
		{ "true", "<true" },
		{ "null", "<null" },
		{ "\"a\\u00e9\\n\"", "<\"a\\u00e9\\n\"" },
		{ " {\"a\" :\t1 ,\n\"b\": [ 1,2 ,{}]} ", "<{\"a\": 1, \"b\": [1, 2, {}]}" },
		{ "{\"old\":\"x\",\"new\":null}", "<{\"old\": \"x\", \"new\": null}" },
		/* UTF-8 passes, what a terminal acts on is escaped. */
		{ "\"caf\xc3\xa9\"", "<\"caf\xc3\xa9\"" },
		{ "\"a\xe2\x80\xae" "b\"", "<\"a\\u202eb\"" },
		{ "\"\x7f\"", "<\"\\u007f\"" },
	};
	size_t	 i;
	char	*got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok(copy(cases[i].in, &got) == 1, "copy accepts %s", cases[i].in);
		is_str(got, cases[i].out, "... and copies it without blanks");
		free(got);
	}
}

static void
test_copy_invalid(void)
{
	static const char *const cases[] = {
		"", " ", "{", "}", "[1,]", "{\"a\"}", "{\"a\":}", "{a:1}",
		"{\"a\":1,}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
		"\"abc", "\"a\\x\"", "\"\\u12g4\"", "\"a\nb\"", "\"\xff\"",
		"\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "1 2", "{} {}", "[1]x",
		"'a'", "NaN",
	};
	size_t	 i;
	char	*got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok(copy(cases[i], &got) == 0, "copy refuses case %zu", i);
		is_str(got, "<", "... and takes back what it copied");
		free(got);
	}
}

/* Nesting is bounded: 64 levels pass, 65 do not. */
static void
test_copy_depth(void)
{
	char	 s[200], *got;
	int	 i;

	for (i = 0; i < 64; i++)
		s[i] = '[';
	for (i = 0; i < 64; i++)
		s[64 + i] = ']';
	s[128] = '\0';
	ok(copy(s, &got) == 1, "64 nested arrays are one value");
	free(got);
	memmove(s + 1, s, 129);
	s[0] = '[';
	strcat(s, "]");
	ok(copy(s, &got) == 0, "65 nested arrays are refused");
	free(got);
}

static void
test_string(void)
{
	struct buf	 b = { 0 };

	out_json_string(&b, "a\"b\\c\n\t\r\b\f", 10);
	is_str(b.data, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f\"", "string: the short escapes");
	buf_reset(&b);
	out_json_string(&b, "\x01\x1f\x7f", 3);
	is_str(b.data, "\"\\u0001\\u001f\\u007f\"", "string: control bytes as \\u");
	buf_reset(&b);
	out_json_string(&b, "x\xffy\xc3", 4);
	is_str(b.data, "\"x\\ufffdy\\ufffd\"", "string: bad UTF-8 becomes U+FFFD");
	buf_reset(&b);
	out_json_string(&b, "\xe2\x80\x8b\xc2\x85\xef\xbb\xbf", 8);
	is_str(b.data, "\"\\u200b\\u0085\\ufeff\"",
	    "string: invisible marks and C1 controls escaped");
	buf_reset(&b);
	out_json_string(&b, "a\0b", 3);
	is_str(b.data, "\"a\\u0000b\"", "string: a NUL byte is escaped, not an end");
	buf_free(&b);
}

static void
test_number(void)
{
	static const char *const good[] = { "0", "-0", "12", "1.5", "-3.25e-7",
	    "1E10", "5e+2" };
	static const char *const bad[] = { "", "-", "00", "012", "1.", ".1", "1e",
	    "1e+", "+1", "0x10", "1 ", "inf", "nan", "1,5" };
	size_t	 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(out_is_json_number(good[i], strlen(good[i])), "number: %s",
		    good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!out_is_json_number(bad[i], strlen(bad[i])), "not a number: '%s'",
		    bad[i]);
}

/* A model's other prices, for show. */
static void
test_prices(void)
{
	static const struct { const char *in, *out; int rv; } cases[] = {
		{ "{\"image\":0.04,\"request\":0.005}",
		    "image 0.04, request 0.005 (USD per unit)", 1 },
		{ "{\"input_cache_read\":5.0e-07,\"web_search\":0.01}",
		    "input_cache_read 0.0000005, web_search 0.01 (USD per unit)", 1 },
		{ "{\"request\":0.0}", "request 0 (USD per unit)", 1 },
		{ "{\"request\":1.5e+19}", "request 1.5e+19 (USD per unit)", 1 },
		/* A name is shown terminal-safe; one with an escape is refused. */
		{ "{\"a\xe2\x80\xae\":1}", "a\\u202e 1 (USD per unit)", 1 },
		{ "{\"a\\u001b\":1}", "", -1 },
		{ "{}", "", 0 },
		{ "", "", -1 },
		{ "[]", "", -1 },
		{ "{\"a\":1,}", "", -1 },
		{ "{\"a\":\"1\"}", "", -1 },
		{ "{\"a\":1", "", -1 },
		{ "{\"a\":1}x", "", -1 },
		{ "{\"a\\\"b\":1}", "", -1 },
		{ "{\"\":1}", "", -1 },
		{ "{\"a\":{\"b\":1}}", "", -1 },
	};
	struct buf	 b = { 0 };
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_puts(&b, "");
		is_int(out_prices_text(&b, cases[i].in, strlen(cases[i].in)),
		    cases[i].rv, "prices: case %zu: %s", i, cases[i].rv == 1 ?
		    "read" : cases[i].rv == 0 ? "none" : "refused");
		is_str(b.data, cases[i].out, "prices: case %zu: the text", i);
	}
	buf_free(&b);
}

static void
test_record(void)
{
	struct record	 r;
	const char	*line = "id=a name=\"x y\" zdr= prices={}";

	ok(record_parse(&r, line, strlen(line)) == 0, "record_parse: a model line");
	is_str(record_get(&r, "name"), "x y", "record_get: a quoted value");
	ok(record_get(&r, "zdr") == NULL, "record_get: an empty bare value is null");
	ok(record_pair(&r, "zdr") != NULL, "record_pair: ... but the key is there");
	ok(record_get(&r, "nosuch") == NULL, "record_get: an absent key");
	record_free(&r);
	ok(record_parse(&r, "a=\"open", 7) == -1, "record_parse: refuses a bad line");
}

int
main(void)
{
	tap_run(test_copy_valid());
	tap_run(test_copy_invalid());
	tap_run(test_copy_depth());
	tap_run(test_string());
	tap_run(test_number());
	tap_run(test_prices());
	tap_run(test_record());
	return done_testing();
}
