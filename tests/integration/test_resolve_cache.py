# test_resolve_cache.py: RESOLVE's hot path (issue 9 item 7): an answer served from RESOLVE's cache (STATUS resolve_cache_hits moves) is never a stale decision: after deactivate, key revoke, key deny, a setting changed, the default moved, ZDR lost, a model turning red with failover on (each a commit), and after a rotated-out secret's grace, a model's expires_at and a key's expiry pass (no commit: the stored instant).
import json
import os
import sqlite3
import time

import harness

MISTRAL = harness.data_path("catalog-mistral.json")
UPMODELS = harness.data_path("up-models.json")
API = "/api/v1/models"
ALL = ["acme/alpha", "acme/beta", "acme/gamma", "other/delta", "other/eps",
    "acme/zeta:free"]
ZDR = ["acme/alpha-20250101", "acme/beta-20250101", "acme/gamma-20250101"]


def resolve(d, line):
    st, recs = d.request(line)
    return st, (recs[0] if recs else {})


def hits(d):
    return int(d.status()[0].get("resolve_cache_hits", "-1"))


def warm(t, d, line, what):
    """RESOLVE line until two answers in a row come from RESOLVE's cache
    (a source's commit in between empties it; 5 s at most). The last one."""
    resolve(d, line)
    deadline = time.monotonic() + 5
    while True:
        h0 = hits(d)
        resolve(d, line)
        st, r = resolve(d, line)
        n = hits(d) - h0
        if n >= 2 or time.monotonic() > deadline:
            break
    t.ok(n >= 2, "%s: answered from RESOLVE's cache (%d hits)" % (what, n))
    return st, r


def key(d, name, *opts):
    p = d.ctl("key", "create", name, *opts)
    if p.returncode != 0:
        raise harness.HarnessError("key create %s: %s" % (name, p.stderr))
    return p.stdout.strip()


def db_exec(d, sql):
    c = sqlite3.connect(d.db, timeout=10)
    try:
        c.execute(sql)
        c.commit()
    finally:
        c.close()


def test_commits(t):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest", "pixtral-large-2411",
            "mistral-medium-latest", "magistral-medium-latest"],
        default_model="mistral-large-latest", socket_mode="0666",
        access={"admin": ["root"], "service": ["*"]}, wait_seed=True)
    st = d.status()[0]
    t.eq([f in st for f in ("resolve_cache_entries", "resolve_cache_bytes",
        "resolve_cache_max", "resolve_cache_hits", "resolve_cache_misses",
        "resolve_cache_key_hits", "resolve_cache_key_misses")], [True] * 7,
        "STATUS has RESOLVE's cache fields")

    # deactivate: the next RESOLVE falls back
    st, r = warm(t, d, "RESOLVE pixtral-large-latest", "an active model")
    t.eq((r.get("id"), r.get("reason")), ("pixtral-large-2411", "requested"),
        "pixtral is answered as requested")
    st, _ = d.request("DEACTIVATE pixtral-large-2411")
    t.eq(st, "OK 1", "deactivate pixtral")
    st, r = resolve(d, "RESOLVE pixtral-large-latest")
    t.eq((r.get("id"), r.get("reason"), r.get("why")),
        ("mistral-large-2411", "fallback", "inactive"),
        "after deactivate: fallback, why inactive (not the cached answer)")

    # a setting changed
    st, r = warm(t, d, "RESOLVE mistral-medium-latest", "a model without settings")
    t.eq(r.get("param.temperature"), None, "no temperature yet")
    st, _ = d.request("SET mistral-medium-latest temperature=0.3")
    t.eq(st, "OK 1", "set temperature=0.3")
    st, r = resolve(d, "RESOLVE mistral-medium-latest")
    t.eq(r.get("param.temperature"), "0.3", "after SET: the new parameter")

    # the default moved
    st, r = warm(t, d, "RESOLVE", "the default")
    t.eq(r.get("id"), "mistral-large-2411", "the default is mistral-large")
    st, _ = d.request("DEFAULT mistral-medium-latest")
    t.eq(st, "OK 1", "move the default")
    st, r = resolve(d, "RESOLVE")
    t.eq((r.get("id"), r.get("reason")), ("mistral-medium-2505", "default"),
        "after DEFAULT: the new default")
    st, r = resolve(d, "RESOLVE pixtral-large-latest")
    t.eq((r.get("id"), r.get("reason")), ("mistral-medium-2505", "fallback"),
        "and the fallback is the new default")

    # key revoke, key deny
    k = key(d, "app", "--models", "mistral-medium-latest,magistral-medium-latest")
    st, r = warm(t, d, "RESOLVE magistral-medium-latest key=" + k, "a key's model")
    t.eq((st, r.get("id")), ("OK 1", "magistral-medium-2506"), "the key's model")
    p = d.ctl("key", "deny", "app", "magistral-medium-latest")
    t.eq(p.returncode, 0, "key deny (%s)" % p.stderr.strip())
    st, r = resolve(d, "RESOLVE magistral-medium-latest key=" + k)
    t.err(st, "denied", "after key deny: ERR denied")
    st, r = warm(t, d, "RESOLVE mistral-medium-latest key=" + k, "the key's other model")
    t.eq(st, "OK 1", "the key still has mistral-medium")
    p = d.ctl("key", "revoke", "app")
    t.eq(p.returncode, 0, "key revoke (%s)" % p.stderr.strip())
    st, r = resolve(d, "RESOLVE mistral-medium-latest key=" + k)
    t.err(st, "denied", "after key revoke: ERR denied")
    t.like(st, "revoked", "saying it is revoked")

    # a refusal is cached too, and voided by a commit like an answer
    k2 = key(d, "late", "--models", "mistral-medium-latest")
    st, r = warm(t, d, "RESOLVE magistral-medium-latest key=" + k2, "a refusal")
    t.err(st, "denied", "a model the key was not given: ERR denied")
    p = d.ctl("key", "allow", "late", "magistral-medium-latest")
    t.eq(p.returncode, 0, "key allow (%s)" % p.stderr.strip())
    st, r = resolve(d, "RESOLVE magistral-medium-latest key=" + k2)
    t.eq((st, r.get("id")), ("OK 1", "magistral-medium-2506"),
        "after key allow: the model, not the cached refusal")

    # no commit at all: a rotated-out secret's grace, a model's and a key's expiry
    old = key(d, "rot", "--all")
    p = d.ctl("key", "rotate", "rot", "--grace", "2s")
    t.eq(p.returncode, 0, "rotate --grace 2s")
    new = p.stdout.strip()
    st, r = warm(t, d, "RESOLVE mistral-medium-latest key=" + old, "the old secret")
    t.eq(st, "OK 1", "the old secret works during its grace")
    # A hit by the secret's digest needs no key entry: two answers from
    # the cache, no key lookup between them (a commit in between: again).
    deadline = time.monotonic() + 5
    while True:
        s0 = d.status()[0]
        resolve(d, "RESOLVE mistral-medium-latest key=" + old)
        resolve(d, "RESOLVE mistral-medium-latest key=" + old)
        s1 = d.status()[0]
        dh = int(s1["resolve_cache_hits"]) - int(s0["resolve_cache_hits"])
        dk = (int(s1["resolve_cache_key_hits"]) + int(s1["resolve_cache_key_misses"])
            - int(s0["resolve_cache_key_hits"]) - int(s0["resolve_cache_key_misses"]))
        if dh == 2 or time.monotonic() > deadline:
            break
    t.ok(dh == 2 and dk == 0, "the old secret's answers came by its digest, "
        "without a key lookup (%d answer hits, %d key lookups)" % (dh, dk))
    g0 = int(d.status()[0]["resolve_cache_flushes"])
    time.sleep(2.2)
    t.diag("cache flushes while the grace passed: %d"
        % (int(d.status()[0]["resolve_cache_flushes"]) - g0))
    st, r = resolve(d, "RESOLVE mistral-medium-latest key=" + old)
    t.err(st, "denied", "after the grace, the cached old secret is refused")
    st, r = resolve(d, "RESOLVE mistral-medium-latest key=" + new)
    t.eq(st, "OK 1", "the new secret works")

    db_exec(d, "UPDATE models SET expires_at = CAST(strftime('%s', 'now') AS"
        " INTEGER) + 2 WHERE id = 'magistral-medium-2506'")
    short = key(d, "short", "--all", "--expires", "2s")
    st, r = warm(t, d, "RESOLVE magistral-medium-latest", "a model expiring in 2 s")
    t.eq((r.get("id"), r.get("reason")), ("magistral-medium-2506", "requested"),
        "before its expires_at: requested")
    st, r = warm(t, d, "RESOLVE key=" + short, "a key expiring in 2 s")
    t.eq(st, "OK 1", "before its expiry the key works")
    g0 = int(d.status()[0]["resolve_cache_flushes"])
    time.sleep(2.2)
    st, r = resolve(d, "RESOLVE magistral-medium-latest")
    t.eq((r.get("id"), r.get("reason"), r.get("why")),
        ("mistral-medium-2505", "fallback", "expired"),
        "after its expires_at: fallback, why expired (not the cached answer)")
    st, r = resolve(d, "RESOLVE key=" + short)
    t.err(st, "denied", "after its expiry the cached key is refused")
    t.like(st, "expired", "saying it expired")
    t.diag("cache flushes while the instants passed: %d"
        % (int(d.status()[0]["resolve_cache_flushes"]) - g0))

    # Every answer from the cache is counted (each hit counts into the
    # pair its entry last counted into, rcounts_add_hint), in SHOW, KEY
    # SHOW and the database, across batches that free the pairs.
    kc = key(d, "counted", "--models", "mistral-medium-latest")
    line = "RESOLVE mistral-medium-latest key=" + kc

    def counted():
        st, recs = d.request("SHOW mistral-medium-2505")
        m = int(recs[0].get("resolves_requested", "-1")) if recs else -1
        st, recs = d.request("KEY SHOW counted")
        k = int(recs[0].get("resolves_requested", "-1")) if recs else -1
        return m, k

    warm(t, d, line, "a key's answer")
    m0, k0 = counted()
    h0 = hits(d)
    for i in range(25):
        st, r = resolve(d, line)
    nh = hits(d) - h0
    m1, k1 = counted()
    t.eq((nh, m1 - m0, k1 - k0), (25, 25, 25),
        "25 answers from the cache: SHOW and KEY SHOW count 25 more")

    def stored():
        c = sqlite3.connect(d.db, timeout=10)
        try:
            row = c.execute("SELECT coalesce(sum(n), 0) FROM resolve_counts"
                " WHERE key_id = (SELECT id FROM api_keys WHERE name ="
                " 'counted') AND reason = 'requested'").fetchone()
        finally:
            c.close()
        return row[0]

    # The counts are written every fifth batch: a few seconds.
    deadline = time.monotonic() + 20
    while stored() < k1 and time.monotonic() < deadline:
        time.sleep(0.2)
    t.eq(stored(), k1, "the database has every one of them (%d)" % k1)
    # After that batch the pairs were freed: the entries' hints are void.
    for i in range(10):
        resolve(d, line)
    m2, k2 = counted()
    t.eq((m2 - m1, k2 - k1), (10, 10),
        "10 more after the batch: counted once each")
    deadline = time.monotonic() + 20
    while stored() < k2 and time.monotonic() < deadline:
        time.sleep(0.2)
    t.eq(stored(), k2, "and written once each (%d)" % k2)
    d.stop()
    d.cleanup()


def serve(srv, model, colour):
    path = API + "/" + model.replace(":", "%3A") + "/endpoints"
    srv.set(path, "file", file=harness.data_path("up-%s.json" % colour),
        etag=False, last_modified=False)


def test_sources(t):
    import httpd
    srv = httpd.Server()
    srv.set(API, "file", file=UPMODELS)
    for m in ALL:
        serve(srv, m, "green")
    srv.set("/zdr", "bytes", data=json.dumps({"data": [{"model_id": s} for s in ZDR]}),
        etag=False, last_modified=False)
    extra = ("[uptime]\nurl = %s\ninterval = 1h\ntimeout = 2\nconcurrency = 2\n"
        "[zdr]\nurl = %s\ninterval = 1h\nenforce = yes\n[resolve]\nfailover = yes\n"
        % (srv.url(API + "/{id}/endpoints"), srv.url("/zdr")))
    d = harness.Daemon(seed_url=srv.url(API), seed_format="openrouter",
        always_active=ALL, default_model="acme/alpha", extra=extra,
        socket_mode="0666", access={"admin": ["root"], "service": ["*"]},
        wait_seed=True)
    d.wait_for(lambda: d.sources().get("uptime", {}).get("last_ok")
        and d.sources()["uptime"].get("state") != "running"
        and d.sources().get("zdr", {}).get("last_ok"), 15,
        "the first uptime and ZDR runs")

    # ZDR lost: a REFRESH zdr that no longer names acme/gamma
    st, r = resolve(d, "RESOLVE acme/gamma session=zs")
    t.eq((st, r.get("id")), ("OK 1", "acme/gamma"), "a session on gamma")
    st, r = warm(t, d, "RESOLVE acme/gamma", "a model with ZDR")
    t.eq((r.get("id"), r.get("reason")), ("acme/gamma", "requested"), "gamma has ZDR")
    srv.set("/zdr", "bytes", data=json.dumps({"data": [{"model_id": s} for s in ZDR[:2]]}),
        etag=False, last_modified=False)
    st, recs = d.request("REFRESH zdr", timeout=30)
    # With enforce = yes a list that drops a model is held, and the model
    # deactivated while it is: either way gamma is no longer answered.
    t.ok(st == "OK 1" and recs[0].get("outcome") in ("ok", "held"),
        "REFRESH zdr (%s)" % (recs[0].get("outcome") if recs else st))
    st, r = resolve(d, "RESOLVE acme/gamma")
    t.ok((r.get("id"), r.get("reason")) == ("acme/alpha", "fallback")
        and r.get("why") in ("no_zdr", "inactive"),
        "after ZDR is lost: fallback (why %s), not the cached answer" % r.get("why"))

    # Leftover (c) of issue 9: the held list applied (force=yes) removes
    # gamma; its session stops counting for the id at once (stored as an
    # orphan by the next batch) and falls back at its next RESOLVE.
    st, recs = d.request("REFRESH zdr force=yes", timeout=30)
    t.ok(st == "OK 1" and recs[0].get("outcome") == "ok",
        "REFRESH zdr force=yes applies the list (%s)" % (recs[0] if recs else st))
    st, _ = d.request("SHOW acme/gamma")
    t.err(st, "notfound", "gamma was removed")

    def orphaned():
        c = sqlite3.connect(d.db, timeout=10)
        try:
            row = c.execute("SELECT orphan FROM sessions WHERE id = 'zs'").fetchone()
        finally:
            c.close()
        return row is not None and row[0] == 1
    d.wait_for(orphaned, 10, "the session to be stored as an orphan")
    t.ok(orphaned(), "a ZDR removal ends the counting of its model's sessions "
        "(the stored session is an orphan)")
    st, r = resolve(d, "RESOLVE session=zs")
    t.eq((r.get("id"), r.get("reason"), r.get("requested"), r.get("why")),
        ("acme/alpha", "fallback", "acme/gamma", "removed"),
        "the session's next RESOLVE falls back, requested= the removed id")

    # red with failover on
    st, r = warm(t, d, "RESOLVE acme/alpha", "a green model")
    t.eq((r.get("id"), r.get("reason")), ("acme/alpha", "requested"), "alpha is green")
    serve(srv, "acme/alpha", "red")
    t0 = int(time.time())
    # time(2) in the daemon turns the second up to a tick late: 50 ms margin.
    harness.wait_for(lambda: time.time() >= t0 + 1.05, 3, "the next second", 0.02)
    st, recs = d.request("REFRESH uptime", timeout=30)
    t.eq((st, recs[0].get("outcome") if recs else None), ("OK 1", "ok"), "REFRESH uptime")
    st, r = resolve(d, "RESOLVE acme/alpha")
    t.eq((r.get("id"), r.get("reason"), r.get("replaced")),
        ("acme/beta", "failover", "acme/alpha"),
        "after alpha turned red: its failover (not the cached answer)")
    h0 = hits(d)
    resolve(d, "RESOLVE acme/alpha")
    t.eq(hits(d) - h0, 0, "a failover answer is never cached")
    d.stop()
    d.cleanup()


def run(t):
    if os.geteuid() != 0:
        t.skip("resolve cache", "needs root (access lists)")
        return
    test_commits(t)
    test_sources(t)


harness.main(run)
