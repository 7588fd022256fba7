/* test_sessions.c: unit tests of RESOLVE's sessions table (sessions.c) and counters (rcounts.c): open, renew, move, expire in renewal order, release, a deleted model's sessions, the bound, what the writer is given; and the batch's commit, which leaves the write generation alone. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon.h"
#include "db.h"
#include "db_int.h"
#include "db_sessions.h"
#include "rcounts.h"
#include "reg_sessions.h"
#include "sessions.h"
#include "tap.h"

/* The rules link the daemon's globals; no loop runs here. */
struct modelregd md;
int daemon_reload(char *err, size_t len) { (void)err; (void)len; return -1; }
void daemon_stop(void) { }
void daemon_status(const char *fmt, ...) { (void)fmt; }

/* What a write pass saw: "d:KEY:SID" and "p:KEY:SID:MODEL:AT:ORPHAN", space-separated. */
struct seen {
	char	 text[2048];
	int	 fail_at;	/* the call that fails, 0: none */
	int	 calls;
};

static int
seen_del(void *arg, int64_t key, const char *sid)
{
	struct seen	*s = arg;

	if (++s->calls == s->fail_at)
		return -1;
	snprintf(s->text + strlen(s->text), sizeof(s->text) - strlen(s->text),
	    "%sd:%lld:%s", s->text[0] ? " " : "", (long long)key, sid);
	return 0;
}

static int
seen_put(void *arg, int64_t key, const char *sid, const char *model,
    int64_t at, int orphan)
{
	struct seen	*s = arg;

	if (++s->calls == s->fail_at)
		return -1;
	snprintf(s->text + strlen(s->text), sizeof(s->text) - strlen(s->text),
	    "%sp:%lld:%s:%s:%lld:%d", s->text[0] ? " " : "", (long long)key,
	    sid, model, (long long)at, orphan);
	return 0;
}

static const char *
written(struct sessions *t, struct seen *s)
{
	struct sessions_writer	 w = { seen_del, seen_put, s };

	s->text[0] = '\0';
	s->calls = 0;
	if (sessions_write(t, &w) == -1)
		return "(failed)";
	return s->text;
}

static void
test_ids(void)
{
	char	 longid[SESSION_ID_MAX + 2];

	ok(sessions_id_valid("conv-42"), "id: letters, digits and -");
	ok(sessions_id_valid("3f2a.b_c:d"), "id: . _ and :");
	ok(!sessions_id_valid(""), "id: empty is refused");
	ok(!sessions_id_valid("a b"), "id: a blank is refused");
	ok(!sessions_id_valid("a=b"), "id: = is refused");
	ok(!sessions_id_valid("caf\xc3\xa9"), "id: a byte over 0x7f is refused");
	memset(longid, 'x', sizeof(longid));
	longid[SESSION_ID_MAX] = '\0';
	ok(sessions_id_valid(longid), "id: %d bytes are allowed", SESSION_ID_MAX);
	longid[SESSION_ID_MAX] = 'x';
	longid[SESSION_ID_MAX + 1] = '\0';
	ok(!sessions_id_valid(longid), "id: %d bytes are refused",
	    SESSION_ID_MAX + 1);
}

static void
test_table(void)
{
	struct sessions	*t = sessions_new(10, 3);
	struct seen	 s;
	const char	*m;

	memset(&s, 0, sizeof(s));
	ok(t != NULL, "a table");
	ok(sessions_model(t, 1, "a", 100) == NULL, "no session yet");
	is_int(sessions_touch(t, 1, "a", "m1", 100), 0, "open a on m1");
	m = sessions_model(t, 1, "a", 105);
	is_str(m != NULL ? m : "(none)", "m1", "a keeps m1");
	ok(sessions_model(t, 2, "a", 105) == NULL,
	    "the same id with another key is another session");
	is_int((int)sessions_count(t, "m1", 105), 1, "m1 is used by 1");
	is_str(written(t, &s), "p:1:a:m1:100:0", "the writer gets the new session");
	sessions_clean(t);
	is_str(written(t, &s), "", "after clean: nothing to write");

	/* Renewal extends; a second session on m1; expiry by renewal order. */
	is_int(sessions_touch(t, 1, "b", "m1", 102), 0, "open b on m1");
	is_int(sessions_touch(t, 1, "a", "m1", 108), 0, "renew a at 108");
	is_int((int)sessions_count(t, "m1", 113), 1,
	    "at 113 b (102) expired, a (renewed at 108) lives");
	ok(sessions_model(t, 1, "a", 117) != NULL, "a lives until 118");
	ok(sessions_model(t, 1, "a", 118) == NULL, "a expired at 118 (ttl 10)");
	is_int((int)sessions_live(t, 118), 0, "none left");
	is_str(written(t, &s), "", "expired sessions are not written (the "
	    "database drops them by renewed_at)");
	ok(sessions_pending(t) > 0, "but an expiry makes a batch (to prune)");
	sessions_clean(t);
	is_int((int)sessions_pending(t), 0, "nothing pending after clean");

	/* Move. */
	is_int(sessions_touch(t, 5, "c", "m1", 200), 0, "open c on m1");
	is_int(sessions_touch(t, 5, "c", "m2", 201), 0, "c moves to m2");
	is_int((int)sessions_count(t, "m1", 201), 0, "m1: 0 after the move");
	is_int((int)sessions_count(t, "m2", 201), 1, "m2: 1 after the move");
	is_str(written(t, &s), "p:5:c:m2:201:0", "the writer gets the move once");
	sessions_clean(t);

	/* Release, then open again before a write. */
	is_int(sessions_release(t, 5, "c", 202), 1, "release c");
	is_int(sessions_release(t, 5, "c", 202), 0, "release again: none");
	is_int((int)sessions_count(t, "m2", 202), 0, "m2: 0 after release");
	is_str(written(t, &s), "d:5:c", "the writer deletes it");
	is_int(sessions_touch(t, 5, "c", "m2", 203), 0, "open c again before the write");
	is_int((int)sessions_count(t, "m2", 203), 1, "m2: 1 again");
	is_str(written(t, &s), "p:5:c:m2:203:0", "a put, no delete");
	s.fail_at = 1;
	is_str(written(t, &s), "(failed)", "a failing writer stops the walk");
	s.fail_at = 0;
	is_str(written(t, &s), "p:5:c:m2:203:0", "nothing lost: written again");
	sessions_clean(t);

	/* The bound: 3 sessions; renewals are never refused. */
	is_int(sessions_touch(t, 5, "d", "m2", 204), 0, "d");
	is_int(sessions_touch(t, 5, "e", "m2", 204), 0, "e");
	is_int(sessions_touch(t, 5, "f", "m2", 204), 1, "a fourth is refused (max 3)");
	is_int(sessions_touch(t, 5, "e", "m3", 205), 0, "a move at the bound is not");
	is_int(sessions_release(t, 5, "d", 205), 1, "release d");
	is_int(sessions_touch(t, 5, "f", "m2", 205), 1,
	    "an ended session counts until it is written");
	sessions_clean(t);
	is_int(sessions_touch(t, 5, "f", "m2", 205), 0, "after the write: room");

	/* A deleted model: its sessions stay, counting nowhere. */
	sessions_model_gone(t, "m2");
	is_int((int)sessions_count(t, "m2", 206), 0, "m2 gone: counts 0");
	m = sessions_model(t, 5, "c", 206);
	is_str(m != NULL ? m : "(none)", "m2", "c still names m2 (for its fallback)");
	is_str(written(t, &s), "p:5:c:m2:203:1 p:5:f:m2:205:1",
	    "orphans are written as such");
	sessions_clean(t);
	is_int(sessions_touch(t, 5, "c", "m2", 207), 0,
	    "c resolved to a new m2");
	is_int((int)sessions_count(t, "m2", 207), 1, "counts for the new m2");
	is_int((int)sessions_count(t, "m3", 207), 1, "e is on m3");
	sessions_free(t);

	/* Read back: order by renewal, orphans, and a bad id skipped. */
	t = sessions_new(10, 100);
	is_int(sessions_load(t, 1, "x", "m1", 50, 0), 0, "load x");
	is_int(sessions_load(t, 1, "y", "m1", 52, 1), 0, "load an orphan y");
	is_int(sessions_load(t, 1, "bad id", "m1", 52, 0), 0,
	    "a stored bad id is skipped");
	is_int((int)sessions_live(t, 55), 2, "two loaded");
	is_int((int)sessions_count(t, "m1", 55), 1, "the orphan does not count");
	is_str(written(t, &s), "", "loaded sessions are not written again");
	sessions_free(t);
}

static void
test_many(void)
{
	struct sessions	*t = sessions_new(1000, 100000);
	char		 id[32];
	int		 i, good = 1;

	for (i = 0; i < 20000 && good; i++) {
		snprintf(id, sizeof(id), "s%d", i);
		good = sessions_touch(t, i % 7, id, i % 2 ? "odd" : "even",
		    i / 100) == 0;
	}
	ok(good, "20000 sessions (the tables grow)");
	is_int((int)sessions_count(t, "odd", 199), 10000, "10000 on odd");
	/* At 1100, those renewed at 100 and before (i < 10100) expired. */
	is_int((int)sessions_live(t, 1100), 9900, "expiry by renewal order");
	ok(sessions_model(t, 10200 % 7, "s10200", 1100) != NULL, "s10200 lives");
	ok(sessions_model(t, 5 % 7, "s5", 1100) == NULL, "s5 expired");
	sessions_free(t);

	/*
	 * A renewal does not move a session in the list (sessions_prune
	 * does, once its place is a TTL old): renewed ones outlive their
	 * place, the others still expire in order, and the count is right.
	 */
	t = sessions_new(10, 100);
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		(void)sessions_touch(t, 1, id, "m", 100 + i);
	}
	(void)sessions_touch(t, 1, "r0", "m", 108);	/* the oldest, renewed */
	(void)sessions_touch(t, 1, "r2", "m", 109);
	is_int((int)sessions_live(t, 111), 4,
	    "at 111: r1 (renewed at 101) expired, r0 and r2 renewed live on");
	ok(sessions_model(t, 1, "r0", 111) != NULL &&
	    sessions_model(t, 1, "r2", 111) != NULL &&
	    sessions_model(t, 1, "r1", 111) == NULL,
	    "r0 and r2 live, r1 gone");
	is_int((int)sessions_live(t, 114), 2, "at 114: r3 and r4 gone too");
	is_int((int)sessions_live(t, 118), 1, "at 118: r0 (renewed at 108) gone");
	(void)sessions_touch(t, 1, "r2", "m", 118);
	is_int((int)sessions_live(t, 127), 1,
	    "r2 renewed again at 118 lives at 127 (moved once already)");
	is_int((int)sessions_live(t, 128), 0, "and is gone at 128");
	is_int((int)sessions_count(t, "m", 128), 0, "m counts none");
	sessions_free(t);
}

/* Issue 9 item 7: a batch's lookups made ahead change nothing, found or not, chained or not. */
static void
test_pre(void)
{
	struct sessions	*t = sessions_new(1000, 1000);
	char		 id[32];
	uint64_t	 h;
	int		 i, same = 1;

	h = sessions_pre_start(t, 1, "none");
	sessions_pre_entry(t, h);
	sessions_pre_model(t, h, 1);
	is_int((int)sessions_live(t, 10), 0, "an empty table: still empty");
	/* 200 sessions in a table of 256 buckets: some chains of two and more. */
	for (i = 0; i < 200; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		(void)sessions_touch(t, i % 3, id, i % 2 ? "odd" : "even", 10);
	}
	for (i = 0; i < 400; i++) {
		snprintf(id, sizeof(id), "p%d", i);
		h = sessions_pre_start(t, i % 3, id);
		sessions_pre_entry(t, h);
		sessions_pre_model(t, h, i % 3);
		sessions_pre_model(t, h, 7);	/* another key's: the chain's next */
	}
	for (i = 0; i < 400; i++) {
		const char	*m;

		snprintf(id, sizeof(id), "p%d", i);
		m = sessions_model(t, i % 3, id, 11);
		if (i < 200 ? m == NULL || strcmp(m, i % 2 ? "odd" : "even") != 0 :
		    m != NULL)
			same = 0;
	}
	ok(same, "after 800 prefetches: the same 200 sessions on their models");
	is_int((int)sessions_count(t, "odd", 11), 100, "100 on odd");
	is_int((int)sessions_pending(t), 200, "and the same 200 marks for the writer");
	sessions_free(t);
}

static void
test_counts(void)
{
	struct rcounts	*rc = rcounts_new(2);
	uint64_t	 n[RC_N];

	is_int(rcounts_reason("fallback"), RC_FALLBACK, "reason by name");
	is_int(rcounts_reason("nope"), -1, "an unknown reason");
	is_int(rcounts_add(rc, "m1", 7, RC_REQUESTED, 100), 0, "count one");
	is_int(rcounts_add(rc, "m1", 7, RC_REQUESTED, 101), 0, "and another");
	is_int(rcounts_add(rc, "m1", 0, RC_DEFAULT, 101), 0, "without a key");
	is_int(rcounts_add(rc, "m2", 8, RC_FALLBACK, 102), 1,
	    "a third pair waiting: over the bound (2)");
	rcounts_model(rc, "m1", n);
	is_int((int)n[RC_REQUESTED] * 10 + (int)n[RC_DEFAULT], 21, "m1: 2 requested, 1 default");
	rcounts_key(rc, 8, n);
	is_int((int)n[RC_FALLBACK], 1, "the total counts even over the bound");
	rcounts_total(rc, n);
	is_int((int)(n[0] + n[1] + n[2] + n[3]), 4, "4 in all");
	is_int((int)rcounts_last_used(rc, 7), 101, "key 7 last used at 101");
	is_int((int)rcounts_dropped(rc), 1, "one count not written");
	is_int((int)rcounts_pending(rc), 4, "2 pairs and 2 keys' last use wait");
	rcounts_clean(rc);
	is_int((int)rcounts_pending(rc), 0, "nothing waits after clean");
	is_int(rcounts_load_model(rc, "m3", RC_FAILOVER, 5), 0, "load m3");
	rcounts_total(rc, n);
	is_int((int)n[RC_FAILOVER], 5, "loaded counts are in the total");
	rcounts_free(rc);
}

/* A writer that sums what it is given for one (model, key). */
struct hint_sum {
	const char	*model;
	int64_t		 key;
	uint64_t	 n, other;
	int64_t		 at;
};

static int
hint_sum_count(void *arg, const char *model, int64_t key, int reason,
    uint64_t n, int64_t at)
{
	struct hint_sum	*s = arg;

	(void)reason;
	if (strcmp(model, s->model) == 0 && key == s->key) {
		s->n += n;
		s->at = at;
	} else
		s->other += n;
	return 0;
}

static int
hint_sum_used(void *arg, int64_t key, int64_t at)
{
	(void)arg;
	(void)key;
	(void)at;
	return 0;
}

/* rcounts_add_hint: the same counts as rcounts_add, and a hint that a clean or another table voids. */
static void
test_count_hints(void)
{
	struct rcounts		*rc = rcounts_new(10), *rc2 = rcounts_new(10);
	struct rcounts_hint	 h = { NULL, 0 }, h2 = { NULL, 0 };
	struct rcounts_writer	 w;
	struct hint_sum		 sum;
	uint64_t		 n[RC_N];
	void			*first;

	is_int(rcounts_add_hint(rc, &h, "m1", 7, RC_REQUESTED, 100), 0,
	    "a first count with an empty hint");
	ok(h.pair != NULL, "sets the hint");
	first = h.pair;
	is_int(rcounts_add_hint(rc, &h, "m1", 7, RC_REQUESTED, 105), 0,
	    "a count through the hint");
	ok(h.pair == first, "the hint stays");
	is_int(rcounts_add(rc, "m1", 7, RC_REQUESTED, 106), 0,
	    "and one by lookup, into the same pair");
	is_int(rcounts_add_hint(rc, &h, "m1", 7, RC_FALLBACK, 107), 0,
	    "another reason through the hint");
	rcounts_model(rc, "m1", n);
	is_int((int)n[RC_REQUESTED] * 10 + (int)n[RC_FALLBACK], 31,
	    "the model's totals: 3 requested, 1 fallback");
	rcounts_key(rc, 7, n);
	is_int((int)(n[RC_REQUESTED] + n[RC_FALLBACK]), 4,
	    "the key's totals: 4");
	is_int((int)rcounts_last_used(rc, 7), 107, "the key's last use moved");
	memset(&sum, 0, sizeof(sum));
	sum.model = "m1";
	sum.key = 7;
	w.count = hint_sum_count;
	w.used = hint_sum_used;
	w.arg = &sum;
	is_int(rcounts_write(rc, &w), 0, "written");
	ok(sum.n == 4 && sum.other == 0 && sum.at == 107,
	    "one pair waits with all 4 counts, at 107 (%llu, %llu, %lld)",
	    (unsigned long long)sum.n, (unsigned long long)sum.other,
	    (long long)sum.at);
	/* A key that is not the hint's is counted by lookup, never through it. */
	is_int(rcounts_add_hint(rc, &h, "m1", 8, RC_REQUESTED, 108), 0,
	    "a hint offered for another key");
	rcounts_key(rc, 8, n);
	is_int((int)n[RC_REQUESTED], 1, "counts for that key");
	rcounts_key(rc, 7, n);
	is_int((int)(n[RC_REQUESTED] + n[RC_FALLBACK]), 4,
	    "and not for the hint's");
	/* Issue 9 item 7: a batch's prefetches through a live hint change nothing. */
	rcounts_hint_prefetch(rc, &h, 0);
	rcounts_hint_prefetch(rc, &h, 1);
	rcounts_key(rc, 7, n);
	is_int((int)(n[RC_REQUESTED] + n[RC_FALLBACK]), 4,
	    "prefetching through the hint counts nothing");
	rcounts_clean(rc);
	/*
	 * The pairs are freed: the hint must not be followed, by a count
	 * or by a prefetch (stage 1 reads the pair: under AddressSanitizer
	 * a stale one would be a use after free).
	 */
	rcounts_hint_prefetch(rc, &h, 0);
	rcounts_hint_prefetch(rc, &h, 1);
	rcounts_hint_prefetch(NULL, &h, 1);
	is_int(rcounts_add_hint(rc, &h, "m1", 7, RC_DEFAULT, 110), 0,
	    "a count after clean with the old hint");
	memset(&sum, 0, sizeof(sum));
	sum.model = "m1";
	sum.key = 7;
	is_int(rcounts_write(rc, &w), 0, "written again");
	ok(sum.n == 1 && sum.other == 0, "only the new count waits (%llu, %llu)",
	    (unsigned long long)sum.n, (unsigned long long)sum.other);
	rcounts_model(rc, "m1", n);
	is_int((int)n[RC_DEFAULT], 1, "the totals have it");
	/* A hint from one table is no good in another. */
	h2 = h;
	is_int(rcounts_add_hint(rc2, &h2, "m1", 7, RC_REQUESTED, 111), 0,
	    "another table given the first one's hint");
	rcounts_model(rc2, "m1", n);
	is_int((int)n[RC_REQUESTED], 1, "counts in its own pair");
	ok(h2.pair != h.pair, "and points the hint there");
	rcounts_model(rc, "m1", n);
	is_int((int)n[RC_REQUESTED], 4,
	    "the first table is untouched (3 for key 7, 1 for key 8)");
	rcounts_free(rc);
	rcounts_free(rc2);
}

/* The batch's transaction on a real database: written, read back, the generation not moved. */
static void
test_batch(void)
{
	char		 path[] = "/tmp/test_sessions.XXXXXX";
	char		 db_path[64];
	struct sessions	*t = sessions_new(60, 100), *t2 = sessions_new(60, 100);
	struct rcounts	*rc = rcounts_new(100), *rc2 = rcounts_new(100);
	sqlite3		*db;
	uint64_t	 g, n[RC_N];
	int		 fd;
	const char	*m;

	if ((fd = mkstemp(path)) != -1)
		close(fd);
	snprintf(db_path, sizeof(db_path), "%s.db", path);
	unlink(path);
	db = db_open(db_path);
	ok(db != NULL, "a file database");
	if (db == NULL)
		return;
	sessions_touch(t, 0, "conv", "m1", 1000);
	rcounts_add(rc, "m1", 0, RC_REQUESTED, 1000);
	g = db_generation();
	is_int(reg_batch_flush(db, t, rc, 1001, 60), 0, "the batch commits");
	ok(db_generation() == g, "and does not move the write generation");
	is_int(reg_batch_flush(db, t, rc, 1002, 60), 0,
	    "nothing waits: no transaction");
	is_int(reg_batch_load(db, t2, rc2, 1030, 60), 0, "read back");
	m = sessions_model(t2, 0, "conv", 1030);
	is_str(m != NULL ? m : "(none)", "m1", "the session is back");
	rcounts_model(rc2, "m1", n);
	is_int((int)n[RC_REQUESTED], 1, "the count is back");
	sessions_free(t2);
	t2 = sessions_new(60, 100);
	is_int(reg_batch_load(db, t2, rc2, 1061, 60), 0, "read back after the ttl");
	is_int((int)sessions_live(t2, 1061), 0, "an expired session is not read back");
	g = db_generation();
	ok(db_exec(db, "INSERT INTO state(key, value) VALUES ('probe', '1')") == 0 && db_generation() != g,
	    "an ordinary commit still moves it");
	db_close(db);
	unlink(db_path);
	sessions_free(t);
	sessions_free(t2);
	rcounts_free(rc);
	rcounts_free(rc2);
}

/* Issue 9 item 7: a plain renewal is written once the stored one is a quarter of the TTL (at most 60 s) old. */
static void
test_slack(void)
{
	struct sessions	*t = sessions_new(1800, 10);
	struct seen	 s;

	memset(&s, 0, sizeof(s));
	is_int(sessions_touch(t, 1, "a", "m1", 1000), 0, "slack: open a");
	is_str(written(t, &s), "p:1:a:m1:1000:0", "slack: an open is written");
	sessions_clean(t);
	is_int(sessions_touch(t, 1, "a", "m1", 1030), 0, "slack: renew at +30 s");
	is_str(written(t, &s), "", "slack: a renewal 30 s after the stored one waits");
	is_int((int)sessions_pending(t), 0, "slack: nothing pending for it");
	is_int(sessions_touch(t, 1, "a", "m1", 1060), 0, "slack: renew at +60 s");
	is_str(written(t, &s), "p:1:a:m1:1060:0", "slack: at 60 s it is written");
	sessions_clean(t);
	is_int(sessions_touch(t, 1, "a", "m2", 1061), 0, "slack: a move at +1 s");
	is_str(written(t, &s), "p:1:a:m2:1061:0", "slack: a move is written at once");
	sessions_clean(t);
	is_int(sessions_touch(t, 1, "a", "m2", 1070), 0, "slack: renew at +9 s");
	is_str(written(t, &s), "", "slack: waits");
	sessions_mark_renewed(t);
	is_str(written(t, &s), "p:1:a:m2:1070:0", "slack: a stop writes the last renewal");
	sessions_clean(t);
	sessions_mark_renewed(t);
	is_str(written(t, &s), "", "slack: then nothing is left");
	sessions_free(t);
	/* A short TTL (the tests' 2 s): every renewal is written. */
	t = sessions_new(2, 10);
	(void)sessions_touch(t, 1, "b", "m1", 1000);
	sessions_clean(t);
	(void)sessions_touch(t, 1, "b", "m1", 1001);
	is_str(written(t, &s), "p:1:b:m1:1001:0", "slack: a 2 s TTL writes every renewal");
	sessions_free(t);
}

/* Issue 9 item 7: a key's last use is written at first, then once the stored one is 60 s old. */
static void
test_used_slack(void)
{
	struct rcounts	*rc = rcounts_new(100);

	(void)rcounts_add(rc, "m1", 9, RC_REQUESTED, 1000);
	is_int((int)rcounts_pending(rc), 2, "used: a first use waits (and its pair)");
	rcounts_clean(rc);
	(void)rcounts_add(rc, "m1", 9, RC_REQUESTED, 1030);
	is_int((int)rcounts_pending(rc), 1, "used: 30 s later only the count waits");
	is_int((int)rcounts_last_used(rc, 9), 1030, "used: memory has the last use");
	rcounts_clean(rc);
	(void)rcounts_add(rc, "m1", 9, RC_REQUESTED, 1060);
	is_int((int)rcounts_pending(rc), 2, "used: 60 s after the stored one it waits");
	rcounts_clean(rc);
	(void)rcounts_add(rc, "m1", 9, RC_REQUESTED, 1070);
	rcounts_clean(rc);
	rcounts_mark_used(rc);
	is_int((int)rcounts_pending(rc), 1, "used: a stop writes the last use");
	rcounts_clean(rc);
	rcounts_mark_used(rc);
	is_int((int)rcounts_pending(rc), 0, "used: then nothing is left");
	rcounts_free(rc);
}

int
main(void)
{
	tap_run(test_ids());
	tap_run(test_table());
	tap_run(test_many());
	tap_run(test_pre());
	tap_run(test_counts());
	tap_run(test_count_hints());
	tap_run(test_batch());
	tap_run(test_slack());
	tap_run(test_used_slack());
	return done_testing();
}
