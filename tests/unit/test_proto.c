/* test_proto.c: unit tests of the request tokenizer, proto_quote_word and the logfmt writer and reader. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "proto.h"
#include "tap.h"

static struct proto_req	 req;

/* Tokenize a C string; returns proto_tokenize's result. */
static int
tok(const char *line, const char **err)
{
	return proto_tokenize(line, strlen(line), &req, err);
}

static void
test_tokenizer_basic(void)
{
	const char	*err;

	is_int(tok("", &err), 0, "empty line is fine");
	is_int(req.argc, 0, "empty line has no words");
	is_int(tok(" \t  ", &err), 0, "blank line is fine");
	is_int(req.argc, 0, "blank line has no words");

	is_int(tok("ping", &err), 0, "ping");
	is_int(req.argc, 1, "one word");
	is_str(req.argv[0], "PING", "verb upper-cased");

	is_int(tok("sHoW  mistral-large-2411\t ", &err), 0, "show with blanks");
	is_int(req.argc, 2, "two words");
	is_str(req.argv[0], "SHOW", "mixed-case verb upper-cased");
	is_str(req.argv[1], "mistral-large-2411", "argument kept as is");

	is_int(tok("show Mixed-Case", &err), 0, "argument case");
	is_str(req.argv[1], "Mixed-Case", "arguments are not case-folded");

	is_int(tok("ping\r", &err), 0, "CR-LF: trailing CR dropped");
	is_int(req.argc, 1, "CR-LF: one word");
	is_str(req.argv[0], "PING", "CR-LF: verb intact");

	is_int(tok("ping\rx", &err), -1, "CR inside the line refused");
	ok(err != NULL, "error message set: %s", err ? err : "(null)");
}

static void
test_tokenizer_quotes(void)
{
	const char	*err;

	is_int(tok("show \"my model\"", &err), 0, "quoted word");
	is_int(req.argc, 2, "quoted word is one word");
	is_str(req.argv[1], "my model", "quotes removed");

	is_int(tok("show \"\"", &err), 0, "empty quoted word");
	is_int(req.argc, 2, "empty quoted word counts");
	is_str(req.argv[1], "", "empty quoted word is empty");

	is_int(tok("show ab\"c d\"ef", &err), 0, "quotes inside a word");
	is_str(req.argv[1], "abc def", "quoted part joins the word");

	is_int(tok("show \"a\\\"b\\\\c\"", &err), 0, "escaped quote and backslash");
	is_str(req.argv[1], "a\"b\\c", "escapes in quotes");

	is_int(tok("show a\\ b", &err), 0, "escaped blank outside quotes");
	is_int(req.argc, 2, "escaped blank keeps one word");
	is_str(req.argv[1], "a b", "escaped blank");

	is_int(tok("show \"x\\n\\t\\r\\x41\\x7e\\xff\\q\"", &err), 0, "escape set");
	is_str(req.argv[1], "x\n\t\rA~\xffq", "\\n \\t \\r \\xHH and \\q");

	is_int(tok("show \\xAb", &err), 0, "upper-case hex digit");
	is_str(req.argv[1], "\xab", "\\xAb");

	is_int(tok("show \"abc", &err), -1, "unterminated quote");
	is_str(err, "unterminated quote", "unterminated quote message");

	is_int(tok("show abc\\", &err), -1, "trailing backslash");
	ok(err != NULL, "trailing backslash message");

	is_int(tok("show \\x0", &err), -1, "short \\x escape");
	is_int(tok("show \\xg1", &err), -1, "bad hex digit");
	is_int(tok("show a\\x00b", &err), -1, "\\x00 refused");
	ok(err != NULL && strstr(err, "x00") != NULL, "\\x00 message: %s",
	    err ? err : "(null)");
	is_int(req.argc, 0, "a failed request has no words");

	is_int(tok("show caf\xc3\xa9 \"\xe6\x97\xa5\"", &err), 0, "UTF-8 accepted");
	is_str(req.argv[1], "caf\xc3\xa9", "UTF-8 bare");
	is_str(req.argv[2], "\xe6\x97\xa5", "UTF-8 quoted");
}

static void
test_tokenizer_options(void)
{
	const char	*err;

	is_int(tok("list status=active Provider=MistralAI search=\"large model\" x",
	    &err), 0, "options");
	is_int(req.argc, 2, "positional words apart from options");
	is_str(req.argv[1], "x", "positional after options");
	is_int(req.optc, 3, "three options");
	is_str(req.optk[1], "provider", "option key lower-cased");
	is_str(req.optv[1], "MistralAI", "option value case kept");
	is_str(proto_opt(&req, "status"), "active", "proto_opt status");
	is_str(proto_opt(&req, "search"), "large model", "quoted option value");
	ok(proto_opt(&req, "sort") == NULL, "absent option is NULL");

	is_int(tok("list sort=", &err), 0, "empty option value");
	is_int(req.optc, 1, "empty option counts");
	is_str(proto_opt(&req, "sort"), "", "empty option value is empty");

	is_int(tok("show \"a=b\"", &err), 0, "quoted word with = is positional");
	is_int(req.optc, 0, "no option");
	is_str(req.argv[1], "a=b", "positional a=b");

	is_int(tok("show 1a=b", &err), 0, "key may not start with a digit");
	is_int(req.optc, 0, "1a=b is positional");
	is_str(req.argv[1], "1a=b", "1a=b kept");

	is_int(tok("show a-b=c", &err), 0, "key with '-' is not a key");
	is_int(req.optc, 0, "a-b=c is positional");

	is_int(tok("show =x", &err), 0, "bare =x");
	is_int(req.optc, 0, "=x is positional");

	is_int(tok("show _k9=\"v w\"z", &err), 0, "underscore key");
	is_str(proto_opt(&req, "_k9"), "v wz", "quoted then bare value");

	is_int(tok("a=b c=d", &err), 0, "first word is the verb even with =");
	is_int(req.argc, 1, "verb only");
	is_str(req.argv[0], "A=B", "verb a=b upper-cased");
	is_int(req.optc, 1, "then an option");

	is_int(tok("list search=a\\x00", &err), -1, "\\x00 in option value");
	is_int(tok("list search=\"abc", &err), -1, "unterminated quote in option");
}

static void
test_tokenizer_bytes(void)
{
	const char	*err;
	char		 line[64];
	int		 c;

	memcpy(line, "show a\0b", 8);
	is_int(proto_tokenize(line, 8, &req, &err), -1, "NUL byte refused");
	ok(err != NULL && strstr(err, "NUL") != NULL, "NUL message");

	for (c = 1; c < 0x20; c++) {
		if (c == '\t')
			continue;
		snprintf(line, sizeof(line), "show a%cb", c);
		if (proto_tokenize(line, strlen(line), &req, &err) != -1)
			break;
	}
	is_int(c, 0x20, "every control byte but tab refused");
	is_int(tok("show a\x7f", &err), -1, "DEL refused");
	is_int(tok("show\ta\tb", &err), 0, "tab is a blank");
	is_int(req.argc, 3, "tab separates words");
	is_int(tok("show \"a\tb\"", &err), 0, "tab inside quotes");
	is_str(req.argv[1], "a\tb", "tab kept inside quotes");
	is_int(tok("show \"a\nb\"", &err), -1, "raw LF inside quotes refused");
}

static void
test_tokenizer_limits(void)
{
	const char	*err;
	struct buf	 b = { 0 };
	int		 i;

	for (i = 0; i < PROTO_MAXARGS; i++)
		buf_puts(&b, i ? " w" : "v");
	is_int(tok(b.data, &err), 0, "PROTO_MAXARGS words");
	is_int(req.argc, PROTO_MAXARGS, "all words");
	buf_puts(&b, " w");
	is_int(tok(b.data, &err), -1, "one word too many");
	is_str(err, "too many words", "too many words message");

	buf_reset(&b);
	buf_puts(&b, "list");
	for (i = 0; i < PROTO_MAXOPTS; i++)
		buf_printf(&b, " k%d=v", i);
	is_int(tok(b.data, &err), 0, "PROTO_MAXOPTS options");
	is_int(req.optc, PROTO_MAXOPTS, "all options");
	buf_puts(&b, " k=v");
	is_int(tok(b.data, &err), -1, "one option too many");
	is_str(err, "too many options", "too many options message");

	/* A line of exactly PROTO_MAXLINE bytes: fine; one more is refused. */
	buf_reset(&b);
	buf_puts(&b, "show ");
	while (b.len < PROTO_MAXLINE)
		buf_putc(&b, 'x');
	is_int(tok(b.data, &err), 0, "line of PROTO_MAXLINE bytes");
	is_int(strlen(req.argv[1]), PROTO_MAXLINE - 5, "long word intact");
	buf_putc(&b, '\r');
	is_int(tok(b.data, &err), 0, "PROTO_MAXLINE bytes plus CR");
	b.data[b.len - 1] = 'x';
	is_int(tok(b.data, &err), -1, "PROTO_MAXLINE + 1 refused");

	/* The worst case for store: many one-byte words and options. */
	buf_reset(&b);
	buf_puts(&b, "v");
	for (i = 1; i < PROTO_MAXARGS; i++)
		buf_puts(&b, " \"\"");
	for (i = 0; i < PROTO_MAXOPTS; i++)
		buf_puts(&b, " a=");
	is_int(tok(b.data, &err), 0, "many empty words and options");
	is_int(req.argc + req.optc, PROTO_MAXARGS + PROTO_MAXOPTS, "all counted");

	/* A full line of escapes: the store still holds it. */
	buf_reset(&b);
	buf_puts(&b, "show \"");
	while (b.len + 5 <= PROTO_MAXLINE)
		buf_puts(&b, "\\xe9");
	buf_putc(&b, '"');
	is_int(tok(b.data, &err), 0, "line full of \\x escapes");
	buf_free(&b);
}

static void
test_quote_word(void)
{
	static const char *words[] = {
		"plain", "", "a b", "a\"b", "a\\b", "a=b", "line\nbreak",
		"tab\there", "cr\rx", "\x01\x1f\x7f", "caf\xc3\xa9", "-x",
		"\xff\xfe", "ends with \\", "\"", "=",
	};
	struct buf	 b = { 0 };
	const char	*err;
	size_t		 i;

	buf_puts(&b, "x ");
	proto_quote_word(&b, "plain");
	is_str(b.data, "x plain", "plain word bare");
	buf_reset(&b);
	proto_quote_word(&b, "");
	is_str(b.data, "\"\"", "empty word quoted");
	buf_reset(&b);
	proto_quote_word(&b, "a b\n\x01");
	is_str(b.data, "\"a b\\n\\x01\"", "escapes in quoted word");
	buf_reset(&b);
	proto_quote_word(&b, "caf\xc3\xa9");
	is_str(b.data, "\"caf\xc3\xa9\"", "UTF-8 quoted, bytes raw");

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		buf_reset(&b);
		buf_puts(&b, "show ");
		proto_quote_word(&b, words[i]);
		buf_puts(&b, " k=");
		proto_quote_word(&b, words[i]);
		ok(tok(b.data, &err) == 0 && req.argc == 2 && req.optc == 1 &&
		    strcmp(req.argv[1], words[i]) == 0 &&
		    strcmp(req.optv[0], words[i]) == 0,
		    "quote_word round trip %zu", i);
	}
	buf_free(&b);
}

static void
test_lf_writer(void)
{
	struct buf	 b = { 0 };

	lf_str(&b, "id", "mistral-large");
	lf_str(&b, "name", "Mistral Large");
	lf_str(&b, "d", NULL);
	lf_str(&b, "e", "");
	lf_int(&b, "n", -42);
	lf_num(&b, "p", 0.15);
	lf_num(&b, "q", 2.0);
	lf_bool(&b, "t", 1);
	lf_bool(&b, "f", 0);
	lf_null(&b, "z");
	lf_time(&b, "at", 1794659115);
	lf_time(&b, "never", 0);
	lf_end(&b);
	is_str(b.data, "id=mistral-large name=\"Mistral Large\" d= e=\"\" n=-42 "
	    "p=0.15 q=2 t=true f=false z= at=2026-11-14T12:25:15Z never=\n",
	    "writer output");

	lf_str(&b, "x", "a=b");
	lf_str(&b, "y", "q\"\\\n\t\r\x01\x7f\xc3\xa9");
	lf_end(&b);
	ok(strstr(b.data, "\nx=\"a=b\" y=\"q\\\"\\\\\\n\\t\\r\\x01\\x7f\xc3\xa9\"\n")
	    != NULL, "second record, escapes");

	buf_reset(&b);
	lf_str(&b, "u", "\xc3\xa9t\xc3\xa9");
	is_str(b.data, "u=\xc3\xa9t\xc3\xa9", "UTF-8 bare");
	buf_reset(&b);
	lf_strn(&b, "nul", "a\0b", 3);
	is_str(b.data, "nul=\"a\\x00b\"", "NUL byte as \\x00");
	buf_reset(&b);
	lf_num(&b, "big", 1e300 * 1e300);
	is_str(b.data, "big=", "infinity written as null");
	buf_reset(&b);
	lf_num(&b, "small", 1.25e-7);
	is_str(b.data, "small=1.25e-07", "small number as %%.10g");
	buf_reset(&b);
	lf_int(&b, "min", INT64_MIN);
	is_str(b.data, "min=-9223372036854775808", "INT64_MIN");
	buf_free(&b);
}

static void
test_fmt_time(void)
{
	char	 t[32];

	proto_fmt_time(1, t);
	is_str(t, "1970-01-01T00:00:01Z", "epoch + 1");
	proto_fmt_time(951782400, t);
	is_str(t, "2000-02-29T00:00:00Z", "leap day 2000");
	proto_fmt_time(4107542399LL, t);
	is_str(t, "2100-02-28T23:59:59Z", "2100 is not a leap year");
	proto_fmt_time(-1, t);
	is_str(t, "1969-12-31T23:59:59Z", "before the epoch");
	proto_fmt_time(INT64_MAX, t);
	is_str(t, "9999-12-31T23:59:59Z", "clamped high");
	proto_fmt_time(INT64_MIN, t);
	is_str(t, "0000-01-01T00:00:00Z", "clamped low");
	is_int(strlen(t), 20, "always 20 characters");
}

/* Parse a C string record; store is sized exactly len + 1. */
static int
parse(const char *line, struct lf_pair *pairs, int max, char **store)
{
	size_t	 len = strlen(line);

	free(*store);
	*store = malloc(len + 1);
	return lf_parse(line, len, pairs, max, *store, len + 1);
}

static void
test_lf_reader(void)
{
	struct lf_pair		 p[8];
	const struct lf_pair	*g;
	char			*s = NULL, small[4];

	is_int(parse("", p, 8, &s), 0, "empty record");
	is_int(parse("a=1 b=\"x y\" c= d=\"\"", p, 8, &s), 4, "four pairs");
	is_str(p[0].key, "a", "key a");
	is_str(p[0].value, "1", "value 1");
	is_str(p[1].value, "x y", "quoted value");
	ok(p[2].isnull && p[2].vlen == 0, "bare empty is null");
	ok(!p[3].isnull && p[3].vlen == 0, "quoted empty is not null");
	g = lf_get(p, 4, "b");
	ok(g == &p[1], "lf_get finds b");
	ok(lf_get(p, 4, "nope") == NULL, "lf_get absent");

	is_int(parse("a=1  b=2 ", p, 8, &s), 2, "extra spaces tolerated");
	is_int(parse("v=\"a\\x00b\"", p, 8, &s), 1, "\\x00 in value");
	ok(p[0].vlen == 3 && memcmp(p[0].value, "a\0b", 3) == 0, "NUL in value");
	is_int(parse("a=1 b=2 c=3", p, 2, &s), -1, "more than max pairs");
	is_int(parse("a=1 b=2", p, 2, &s), 2, "exactly max pairs");

	is_int(parse("a", p, 8, &s), -1, "no =");
	is_int(parse("=x", p, 8, &s), -1, "empty key");
	is_int(parse("a=\"x", p, 8, &s), -1, "unterminated quote");
	is_int(parse("a=\"x\"y", p, 8, &s), -1, "garbage after quote");
	is_int(parse("a=x\"y", p, 8, &s), -1, "quote inside bare value");
	is_int(parse("a=x=y", p, 8, &s), -1, "= inside bare value");
	is_int(parse("a=\"\\q\"", p, 8, &s), -1, "unknown escape");
	is_int(parse("a=\"\\x4\"", p, 8, &s), -1, "short \\x");
	is_int(parse("a=\"\\", p, 8, &s), -1, "backslash at end");
	is_int(parse("a=\"x\ty\"", p, 8, &s), -1, "raw tab refused");
	is_int(parse("a=x\x01", p, 8, &s), -1, "raw control refused");
	is_int(parse("a\"b=1", p, 8, &s), -1, "quote in key");
	is_int(lf_parse("a=1", 3, p, 8, small, 3), -1, "store too small");
	is_int(lf_parse("a=1", 3, p, 8, small, 4), 1, "store of len + 1");
	free(s);
}

/* Write key=value with lf_strn, read it back, compare. */
static int
roundtrip(const char *v, size_t vlen, int null)
{
	struct buf		 b = { 0 };
	struct lf_pair		 p[4];
	char			*s;
	int			 n, good = 0;

	lf_str(&b, "first", "1");
	if (null)
		lf_str(&b, "v", NULL);
	else
		lf_strn(&b, "v", v, vlen);
	lf_str(&b, "last", "z z");
	lf_end(&b);
	if (b.data == NULL || memchr(b.data, '\n', b.len) != b.data + b.len - 1)
		goto out;
	if ((s = malloc(b.len)) == NULL)
		goto out;
	n = lf_parse(b.data, b.len - 1, p, 4, s, b.len);
	if (n == 3 && strcmp(p[1].key, "v") == 0 && p[1].isnull == null &&
	    p[1].vlen == (null ? 0 : vlen) &&
	    (null || memcmp(p[1].value, v, vlen) == 0) &&
	    strcmp(p[2].value, "z z") == 0)
		good = 1;
	free(s);
out:
	buf_free(&b);
	return good;
}

static void
test_lf_roundtrip(void)
{
	static const char *hostile[] = {
		"", "plain", "with space", "line\nbreak", "\"quoted\"",
		"back\\slash", "a=b", "=", "\"", "\\", "key=\"v\" x=y",
		"\x01\x02\x1b[31mred\x1b[0m", "del\x7f", "tab\t", "cr\r\n",
		"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
		"\xff\xfe invalid utf-8 \xc3", "\\x41", "\\\"", " lead", "trail ",
	};
	static char	 lng[70000];
	size_t		 i;
	unsigned int	 seed = 12345;
	char		 v[300];
	size_t		 vlen;
	int		 fails = 0, j;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		ok(roundtrip(hostile[i], strlen(hostile[i]), 0),
		    "round trip hostile %zu", i);
	ok(roundtrip(NULL, 0, 1), "round trip null");
	ok(roundtrip("", 0, 0), "empty string stays empty, not null");
	ok(roundtrip("a\0b\0", 4, 0), "round trip with NUL bytes");

	for (i = 0; i < sizeof(lng); i++)
		lng[i] = (char)(i % 7 == 0 ? '"' : i % 11 == 0 ? '\n' : 'a' + i % 26);
	ok(roundtrip(lng, sizeof(lng), 0), "round trip 70000 bytes");
	memset(lng, 'x', sizeof(lng));
	ok(roundtrip(lng, sizeof(lng), 0), "round trip 70000 bare bytes");

	/* Deterministic random bytes (a fixed LCG): every byte value appears. */
	for (j = 0; j < 20000; j++) {
		vlen = (seed = seed * 1103515245 + 12345) >> 16 & 0xff;
		for (i = 0; i < vlen; i++) {
			seed = seed * 1103515245 + 12345;
			v[i] = (char)(seed >> 16 & 0xff);
			/* Bias toward the bytes the escaper cares about. */
			if ((seed >> 8 & 3) == 0)
				v[i] = "\"\\= \n\t\r\x7f"[seed >> 24 & 7];
		}
		if (!roundtrip(v, vlen, 0))
			fails++;
	}
	is_int(fails, 0, "20000 random values round trip");

	/* Random words through proto_quote_word and the tokenizer. */
	fails = 0;
	for (j = 0; j < 20000; j++) {
		struct buf	 b = { 0 };
		const char	*err;

		vlen = (seed = seed * 1103515245 + 12345) >> 16 & 0x7f;
		for (i = 0; i < vlen; i++) {
			seed = seed * 1103515245 + 12345;
			v[i] = (char)((seed >> 16 & 0xff) | 1);	/* no NUL */
			if ((seed >> 8 & 3) == 0)
				v[i] = "\"\\= \n\t\rx"[seed >> 24 & 7];
		}
		v[vlen] = '\0';
		buf_puts(&b, "verb ");
		proto_quote_word(&b, v);
		buf_puts(&b, " opt=");
		proto_quote_word(&b, v);
		if (b.len > PROTO_MAXLINE ||
		    proto_tokenize(b.data, b.len, &req, &err) != 0 ||
		    req.argc != 2 || req.optc != 1 ||
		    strcmp(req.argv[1], v) != 0 || strcmp(req.optv[0], v) != 0)
			fails++;
		buf_free(&b);
	}
	is_int(fails, 0, "20000 random words round trip through the tokenizer");
}

/* buf_json_str: the one JSON string writer of the daemon's event details. */
static void
test_json_str(void)
{
	struct buf	 b = { 0 };

	ok(buf_json_str(&b, "") == 0, "json: empty string");
	is_str(b.data, "\"\"", "json: empty string is \"\"");
	buf_reset(&b);
	buf_json_str(&b, "a\"b\\c");
	is_str(b.data, "\"a\\\"b\\\\c\"", "json: quote and backslash escaped");
	buf_reset(&b);
	buf_json_str(&b, "x\ny\t\x01\x7f");
	is_str(b.data, "\"x\\u000ay\\u0009\\u0001\\u007f\"",
	    "json: control bytes and DEL as \\u00XX");
	buf_reset(&b);
	buf_json_str(&b, "caf\xc3\xa9");
	is_str(b.data, "\"caf\xc3\xa9\"", "json: UTF-8 passes through");
	buf_free(&b);

	lf_opt_int(&b, "n", 1, 42);
	lf_opt_num(&b, "p", 0, 1.5);
	lf_end(&b);
	is_str(b.data, "n=42 p=\n", "lf_opt: known value written, unknown as null");
	buf_free(&b);
}

/* buf_fit: a message that does not fit ends at a whole word, with "...". */
static void
test_fit(void)
{
	char	 b[32], tiny[4];
	int	 rc;

	rc = buf_fit(b, sizeof(b), "%s: %d", "short", 42);
	ok(rc == 0, "fit: a short message fits");
	is_str(b, "short: 42", "fit: written whole");
	rc = buf_fit(b, sizeof(b), "%s", "exactly thirty-one bytes long..");
	ok(rc == 0 && strlen(b) == 31, "fit: len - 1 bytes fit");
	rc = buf_fit(b, sizeof(b), "cannot open %s: %s", "/srv/x",
	    "No such file or directory");
	ok(rc == 1, "fit: a long message is cut");
	is_str(b, "cannot open /srv/x: No such...", "fit: cut after a whole word");
	buf_fit(b, sizeof(b), "%s", "one, two, three, four, five, six seven");
	is_str(b, "one, two, three, four, five...", "fit: no comma before the ...");
	buf_fit(b, sizeof(b), "%s", "a https://example.org/a/very/long/path/indeed");
	is_str(b, "a https://example.org/a/very...", "fit: a word longer than half "
	    "the buffer is cut inside");
	buf_fit(b, 12, "%s", "caf\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	is_str(b, "caf\xc3\xa9\xc3\xa9...", "fit: never inside a UTF-8 character");
	rc = buf_fit(tiny, sizeof(tiny), "%s", "abcdef");
	ok(rc == 1 && strcmp(tiny, "...") == 0, "fit: room for the ... only");
	rc = buf_fit(tiny, 3, "%s", "abcdef");
	ok(rc == 1 && strcmp(tiny, "ab") == 0, "fit: a tiny buffer is still terminated");
	ok(buf_fit(b, 0, "%s", "x") == -1, "fit: no room at all");
}

/*
 * lf_int, lf_num and proto_fmt_time write their digits without printf
 * (issue 8): the bytes must be those printf and gmtime write, for edge
 * values and for many pseudo-random ones.
 */
static void
test_lf_digits(void)
{
	static const int64_t	 ints[] = { 0, 1, -1, 9, 10, -10, 99, 100,
	    123456789, -987654321, INT64_MAX, INT64_MIN, INT64_MIN + 1,
	    1000000000000LL };
	static const double	 nums[] = { 0.0, -0.0, 1.0, -1.0, 2.0, 0.5,
	    9999999999.0, 10000000000.0, -9999999999.0, 1e15, 3e-6,
	    0.000001, 123456.75, -42.0, 1e300, 4294967296.0 };
	struct buf		 b = { 0 };
	char			 want[128], t[32];
	uint64_t		 x = 88172645463325252ULL;
	size_t			 i;
	int			 bad_int = 0, bad_num = 0, bad_time = 0;
	struct tm		 tm;
	time_t			 tt;

	for (i = 0; i < 200000; i++) {
		int64_t	 v;
		double	 d;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = i < sizeof(ints) / sizeof(ints[0]) ? ints[i] :
		    (int64_t)(x >> (i % 60));
		/* -INT64_MIN overflows (UB, which UBSan stops at): it stays as it is. */
		if (i % 2 && v != INT64_MIN)
			v = -v;
		buf_reset(&b);
		lf_int(&b, "k", v);
		snprintf(want, sizeof(want), "k=%lld", (long long)v);
		if (strcmp(b.data, want) != 0 && bad_int++ == 0)
			printf("# lf_int %s, printf %s\n", b.data, want);

		d = i < sizeof(nums) / sizeof(nums[0]) ? nums[i] :
		    i % 3 == 0 ? (double)(int64_t)(x >> (i % 50)) :
		    (double)(x >> 11) / (double)(1ULL << (i % 53));
		if (i % 5 == 0)
			d = -d;
		buf_reset(&b);
		lf_num(&b, "k", d);
		snprintf(want, sizeof(want), "k=%.10g", d);
		if (strcmp(b.data, want) != 0 && bad_num++ == 0)
			printf("# lf_num %s, printf %s\n", b.data, want);

		/* Times from 1970 to 9999. */
		tt = (time_t)(x % 253402300800ULL);
		proto_fmt_time((int64_t)tt, t);
		gmtime_r(&tt, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (strcmp(t, want) != 0 && bad_time++ == 0)
			printf("# fmt_time %s, strftime %s\n", t, want);
	}
	is_int(bad_int, 0, "lf_int writes what %%lld writes (200000 values)");
	is_int(bad_num, 0, "lf_num writes what %%.10g writes (200000 values)");
	is_int(bad_time, 0, "proto_fmt_time writes what strftime writes "
	    "(200000 times)");

	/* A long key still gets its blank and =. */
	buf_reset(&b);
	lf_str(&b, "a", "1");
	memset(want, 'k', 100);
	want[100] = '\0';
	lf_int(&b, want, 7);
	ok(b.len == 3 + 1 + 100 + 2 && strncmp(b.data, "a=1 kkk", 7) == 0 &&
	    strcmp(b.data + b.len - 2, "=7") == 0, "a key of 100 bytes");
	/* Quoted runs between escapes. */
	buf_reset(&b);
	lf_str(&b, "q", "ab cd\"ef\\gh\n\x01ij");
	is_str(b.data, "q=\"ab cd\\\"ef\\\\gh\\n\\x01ij\"",
	    "a quoted value: runs and escapes");
	buf_free(&b);
}

int
main(void)
{
	tap_run(test_lf_digits());
	tap_run(test_fit());
	tap_run(test_tokenizer_basic());
	tap_run(test_tokenizer_quotes());
	tap_run(test_tokenizer_options());
	tap_run(test_tokenizer_bytes());
	tap_run(test_tokenizer_limits());
	tap_run(test_quote_word());
	tap_run(test_lf_writer());
	tap_run(test_fmt_time());
	tap_run(test_lf_reader());
	tap_run(test_lf_roundtrip());
	tap_run(test_json_str());
	return done_testing();
}
