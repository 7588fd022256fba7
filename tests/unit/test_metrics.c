/* test_metrics.c: /metrics' pure parts: the listen address parser, the exposition writer's escaping and number format, the counters' bounds; and the usage sums a scrape reads (only the days that can still change). */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "cache.h"
#include "cmd.h"
#include "daemon.h"
#include "db.h"
#include "metrics.h"
#include "reg_metrics.h"
#include "tap.h"

/* The library links the daemon's globals. */
struct modelregd md;
int daemon_reload(char *err, size_t len) { (void)err; (void)len; return -1; }
void daemon_stop(void) { }
void daemon_status(const char *fmt, ...) { (void)fmt; }

static void
test_addr(void)
{
	struct metrics_addr	 a;
	char			 err[256], longp[200];
	static const char *const bad[] = {
		"", "localhost:9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:+80", "127.0.0.1:80x", "::1:9464",
		"[::1]9464", "[::1]:", "[nonsense]:80", "relative/path.sock",
		"300.1.1.1:80", " 127.0.0.1:80", "127.0.0.1:123456",
	};
	size_t	 i;

	ok(metrics_addr_parse("127.0.0.1:9464", &a, err, sizeof(err)) == 0 &&
	    a.family == AF_INET && strcmp(a.host, "127.0.0.1") == 0 &&
	    a.port == 9464, "127.0.0.1:9464");
	ok(metrics_addr_parse("0.0.0.0:1", &a, err, sizeof(err)) == 0 &&
	    a.port == 1, "0.0.0.0:1 (port 1)");
	ok(metrics_addr_parse("[::1]:65535", &a, err, sizeof(err)) == 0 &&
	    a.family == AF_INET6 && strcmp(a.host, "::1") == 0 &&
	    a.port == 65535, "[::1]:65535");
	ok(metrics_addr_parse("/run/modelreg/metrics.sock", &a, err,
	    sizeof(err)) == 0 && a.family == AF_UNIX &&
	    strcmp(a.path, "/run/modelreg/metrics.sock") == 0, "a socket path");
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	ok(metrics_addr_parse(longp, &a, err, sizeof(err)) == -1 &&
	    strstr(err, "at most") != NULL, "a path longer than sun_path: %s",
	    err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ok(metrics_addr_parse(bad[i], &a, err, sizeof(err)) == -1 &&
		    err[0] != '\0', "refused: \"%s\" (%s)", bad[i], err);
	}
}

static void
test_expo(void)
{
	struct buf	 b = { 0 };
	const char	*l1[] = { "model", "a\"b\\c\nd" };
	const char	*l2[] = { "verb", "SHOW", "code", "notfound" };

	metrics_family(&b, "x_total", "counter", "Line one\nwith \\ back.");
	buf_putc(&b, '\0');
	is_str(b.data, "# HELP x_total Line one\\nwith \\\\ back.\n"
	    "# TYPE x_total counter\n", "HELP escapes \\ and newline");
	buf_reset(&b);

	metrics_sample(&b, "m", 1, 1, l1);
	buf_putc(&b, '\0');
	is_str(b.data, "m{model=\"a\\\"b\\\\c\\nd\"} 1\n",
	    "a label value's quote, backslash and newline are escaped");
	buf_reset(&b);

	metrics_sample(&b, "m", 42, 2, l2);
	metrics_sample(&b, "m", 0, 0, NULL);
	metrics_sample(&b, "m", 99.5, 0, NULL);
	metrics_sample(&b, "m", 1764650000, 0, NULL);
	metrics_sample(&b, "m", 0.001, 0, NULL);
	buf_putc(&b, '\0');
	is_str(b.data, "m{verb=\"SHOW\",code=\"notfound\"} 42\nm 0\nm 99.5\n"
	    "m 1764650000\nm 0.001\n", "labels in order; integers without "
	    "an exponent, fractions as they are");
	buf_free(&b);
}

struct seen {
	char	 text[8192];
};

static void
each_req(const char *verb, const char *code, uint64_t n, void *arg)
{
	struct seen	*s = arg;
	size_t		 l = strlen(s->text);

	snprintf(s->text + l, sizeof(s->text) - l, "%s/%s=%llu;", verb, code,
	    (unsigned long long)n);
}

static void
each_ev(const char *kind, uint64_t n, void *arg)
{
	struct seen	*s = arg;
	size_t		 l = strlen(s->text);

	snprintf(s->text + l, sizeof(s->text) - l, "%s=%llu;", kind,
	    (unsigned long long)n);
}

static void
test_counts(void)
{
	struct seen	 s;
	char		 code[32], kind[32];
	int		 i;

	ok(metrics_verb("ping") == metrics_verb("PING") &&
	    metrics_verb("PING") >= 0 && (size_t)metrics_verb("PING") < cmd_count,
	    "a verb is found whatever its case");
	ok(metrics_verb("NOSUCH") == metrics_verb(NULL) &&
	    (size_t)metrics_verb("NOSUCH") >= cmd_count,
	    "an unknown verb and a line that did not parse share \"other\"");

	metrics_count_request(metrics_verb("PING"), NULL);
	metrics_count_request(metrics_verb("ping"), NULL);
	metrics_count_request(metrics_verb("SHOW"), "notfound");
	metrics_count_request(metrics_verb("BOGUS"), "unknown");
	memset(&s, 0, sizeof(s));
	metrics_each_request(each_req, &s);
	is_str(s.text, "PING/ok=2;SHOW/notfound=1;other/unknown=1;",
	    "requests by verb and code, non-zero only");

	/* Many distinct codes: the table stays bounded, the rest is "other". */
	for (i = 0; i < 200; i++) {
		snprintf(code, sizeof(code), "code%d", i);
		metrics_count_request(metrics_verb("PING"), code);
	}
	memset(&s, 0, sizeof(s));
	metrics_each_request(each_req, &s);
	ok(strstr(s.text, "code199") == NULL && strstr(s.text, "PING/other=") !=
	    NULL, "past %d codes a new one counts as other", METRICS_MAX_CODES);

	metrics_count_event("model.down");
	metrics_count_event("model.down");
	metrics_count_event("seed.done");
	memset(&s, 0, sizeof(s));
	metrics_each_event(each_ev, &s);
	is_str(s.text, "model.down=2;seed.done=1;", "events by kind");
	for (i = 0; i < 300; i++) {
		snprintf(kind, sizeof(kind), "k%d", i);
		metrics_count_event(kind);
	}
	memset(&s, 0, sizeof(s));
	metrics_each_event(each_ev, &s);
	ok(strstr(s.text, "k299") == NULL && strstr(s.text, "other=") != NULL,
	    "past %d kinds a new one counts as other", METRICS_MAX_KINDS);
}

/*
 * Issue 10 item 4: a scrape costs little. The sums of days before
 * yesterday are read once a day; yesterday's and today's each time. The
 * test changes an old row behind the cache's back (no report can: a
 * report is dated when it commits) to show it is not read again.
 */
#define DAY	86400
static void
test_usage_sums(void)
{
	char		 dir[] = "/tmp/test_metrics.XXXXXX", path[160];
	sqlite3		*db = NULL;
	struct cache	*past = cache_new(64 * 1024);
	int64_t		 now = 20000 * (int64_t)DAY + 3600, pt = 0, ct = 0;
	double		 cost = 0;
	int		 r;

	if (mkdtemp(dir) == NULL || past == NULL) {
		ok(0, "a temp folder and a cache");
		return;
	}
	snprintf(path, sizeof(path), "%s/registry.db", dir);
	if ((db = db_open(path)) == NULL) {
		ok(0, "open %s", path);
		goto done;
	}
	/* Days 19000 and 19998 (old), 19999 (yesterday), 20000 (today), two keys. */
	r = sqlite3_exec(db, "INSERT INTO usage_daily(model, day, key_id,"
	    " requests, prompt_tokens, completion_tokens, cost, last_at) VALUES"
	    " ('m', 19000, 0, 1, 1000, 100, 1.0, 0),"
	    " ('m', 19998, 1, 1, 2000, 200, 2.0, 0),"
	    " ('m', 19999, 1, 1, 30, 3, 0.25, 0),"
	    " ('m', 20000, 0, 1, 4, 1, 0.125, 0),"
	    " ('other', 20000, 0, 1, 99999, 9, 50, 0)", NULL, NULL, NULL);
	ok(r == SQLITE_OK, "a rollup of four days of m and one of another model");
	ok(reg_metrics_usage(db, past, "m", now, &pt, &ct, &cost) == REG_OK,
	    "m's usage at day 20000");
	ok(pt == 3034 && ct == 304 && cost == 3.375,
	    "all of its days, no other model's (%lld, %lld, %g)",
	    (long long)pt, (long long)ct, cost);
	r = sqlite3_exec(db, "UPDATE usage_daily SET prompt_tokens = 0, cost = 0"
	    " WHERE day = 19000; UPDATE usage_daily SET prompt_tokens = 31"
	    " WHERE day = 19999; UPDATE usage_daily SET prompt_tokens = 5"
	    " WHERE day = 20000", NULL, NULL, NULL);
	ok(reg_metrics_usage(db, past, "m", now + 60, &pt, &ct, &cost) ==
	    REG_OK && pt == 3036 && cost == 3.375,
	    "a minute later: yesterday's and today's rows read again, the old "
	    "days' sums not (%lld)", (long long)pt);
	ok(reg_metrics_usage(db, past, "m", now + DAY, &pt, &ct, &cost) ==
	    REG_OK && pt == 2036 && cost == 2.375,
	    "the next day: the old days read once more (%lld, %g)",
	    (long long)pt, cost);
	ok(reg_metrics_usage(db, NULL, "m", now + DAY, &pt, &ct, &cost) ==
	    REG_OK && pt == 2036, "without a cache: the same sums");
	ok(reg_metrics_usage(db, past, "none", now, &pt, &ct, &cost) ==
	    REG_OK && pt == 0 && ct == 0 && cost == 0, "a model never used: 0");
done:
	cache_free(past);
	db_close(db);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		printf("# could not remove %s\n", dir);
}

int
main(void)
{
	test_addr();
	test_expo();
	test_counts();
	test_usage_sums();
	return done_testing();
}
