# test_uptime.py: uptime tracking against a local OpenRouter-like server: colours, list/show, events with alternatives, history, retention, concurrency, timeouts and failures.
import json
import os
import re
import sqlite3
import time

import harness
import httpd

MODELS = harness.data_path("up-models.json")
ODD = harness.data_path("up-models-odd.json")
API = "/api/v1/models"
ALWAYS = ["acme/alpha", "acme/beta", "acme/gamma", "other/delta"]
# Route of each model's endpoints, as the daemon must escape it.
ROUTES = {
    "acme/alpha": API + "/acme/alpha/endpoints",
    "acme/beta": API + "/acme/beta/endpoints",
    "acme/gamma": API + "/acme/gamma/endpoints",
    "other/delta": API + "/other/delta/endpoints",
    "other/eps": API + "/other/eps/endpoints",
    "acme/zeta:free": API + "/acme/zeta%3Afree/endpoints",
}


def up(name):
    return harness.data_path("up-%s.json" % name)


def serve(srv, model, name):
    srv.set(ROUTES[model], "file", file=up(name), etag=False, last_modified=False)


def uptime_conf(srv, interval="1h", timeout=2, concurrency=2, more=""):
    return ("[uptime]\nurl = %s\ninterval = %s\ntimeout = %s\nconcurrency = %d\n%s"
        % (srv.url(API + "/{id}/endpoints"), interval, timeout, concurrency, more))


def records(d, line):
    st, recs = d.request(line)
    if not st.startswith("OK"):
        raise harness.HarnessError("%s: %s" % (line, st))
    return recs


def source_rec(d, name):
    for r in records(d, "STATUS"):
        if r.get("source") == name:
            return r
    return None


def wait_seeded(d):
    def ok():
        r = source_rec(d, "seed")
        return r if r and r.get("last_ok") and r.get("state") != "running" else None
    return d.wait_for(ok, 15, "a successful seed")


def wait_idle(d, name="uptime"):
    """Wait until no run of the source is under way (after startup's first run)."""
    def ok():
        r = source_rec(d, name)
        return r if r and r.get("state") != "running" else None
    return d.wait_for(ok, 15, "%s idle" % name)


def models(d):
    return {r["id"]: r for r in records(d, "LIST status=all")}


def refresh(d):
    st, recs = d.request("REFRESH uptime", timeout=30)
    if st != "OK 1":
        raise harness.HarnessError("REFRESH uptime: %s" % st)
    return recs[0]


def next_second():
    """Samples are per second: make the next run's time differ from the last.
    The daemon stamps a sample with time(2), which glibc reads from the
    kernel's coarse clock: it turns the second up to a tick (at most 10 ms)
    after time.time() does, so a pass run right after the boundary could
    still get the last second and replace the last run's sample. Wait
    until the boundary is 50 ms behind."""
    t = int(time.time())
    harness.wait_for(lambda: time.time() >= t + 1.05, 3, "the next second", 0.02)


def events(d, kind="model.*"):
    return records(d, "EVENTS kind=%s limit=1000" % kind)


def history(d, model=None, window=None):
    line = "UPTIME"
    if model:
        line += " " + model
    if window:
        line += " window=" + window
    return {r["id"]: r for r in records(d, line)}


def num(v):
    return None if v is None else float(v)


def run(t):
    srv = httpd.Server()
    srv.set(API, "file", file=MODELS)
    d = harness.Daemon(seed_url=srv.url(API), seed_format="openrouter",
        always_active=ALWAYS, default_model="acme/alpha",
        extra=uptime_conf(srv))
    wait_seeded(d)
    wait_idle(d)

    # --- before any sample: unknown everywhere
    m = models(d)
    t.eq(sorted(m), sorted(ROUTES), "the seed fixture is synced")
    t.ok(all(r["health"] == "unknown" and r["uptime_30m"] is None
        for r in m.values()), "no sample: health unknown, uptime_30m null",
        repr({k: (r.get("health"), r.get("uptime_30m")) for k, r in m.items()}))
    h = history(d)
    t.eq(sorted(h), sorted(ROUTES), "UPTIME lists every synced model")
    r = h["acme/alpha"]
    t.eq((r["window"], r["samples"], r["green_share"], r["mean_uptime"],
        r["incidents"], r["health"], r["uptime_30m"], r["last_sample_at"]),
        ("24h", "0", None, None, "0", "unknown", None, None),
        "UPTIME without samples: zeros and nulls")

    # --- first run: every colour
    serve(srv, "acme/alpha", "green")
    serve(srv, "acme/beta", "yellow")
    serve(srv, "acme/gamma", "red")
    serve(srv, "other/delta", "down")
    serve(srv, "other/eps", "unknown")
    serve(srv, "acme/zeta:free", "nostatus")
    srv.clear_log()
    next_second()
    rec = refresh(d)
    t.eq((rec.get("source"), rec.get("outcome")), ("uptime", "ok"),
        "REFRESH uptime: ok", repr(rec))
    t.like(rec.get("message", ""), r"6 models sampled: 2 green, 1 yellow, 2 red, 1 unknown",
        "REFRESH message counts the colours")
    m = models(d)
    got = {k: (r["health"], num(r["uptime_30m"])) for k, r in m.items()}
    t.eq(got, {
        "acme/alpha": ("green", 99.5),      # best working endpoint, not the down one at 100
        "acme/beta": ("yellow", 85.0),      # a working endpoint without uptime is ignored
        "acme/gamma": ("red", 42.5),
        "other/delta": ("red", None),       # no working endpoint
        "other/eps": ("unknown", None),     # working, no uptime known
        "acme/zeta:free": ("green", 95.0),  # no status field, exactly the green threshold
    }, "health and uptime_30m in LIST")
    paths = sorted(q["path"] for q in srv.requests if q["path"].startswith(API + "/"))
    t.eq(paths, sorted(ROUTES.values()), "one request per model; the id is escaped for a path")
    st, recs = d.request("SHOW acme/alpha")
    t.eq((st, recs[0]["health"], recs[0]["uptime_30m"]), ("OK 1", "green", "99.5"),
        "SHOW carries health and uptime_30m")
    s = source_rec(d, "uptime")
    t.eq((s["items"], s["last_error"], s["failures"]), ("6", "", "0"),
        "STATUS: the uptime source counted 6 models", repr(s))

    # First samples: only red ones raise, and only for active models.
    ev = events(d)
    t.eq(sorted((e["kind"], e["model"]) for e in ev),
        [("model.down", "acme/gamma"), ("model.down", "other/delta")],
        "first samples: model.down for the active red models only", repr(ev))
    byid = {e["model"]: e for e in ev}
    e = byid.get("other/delta", {})
    t.eq(e.get("message"), "down (no working endpoint); "
        "alternatives: acme/beta, acme/alpha", "down message with alternatives, cheapest first")
    det = json.loads(e.get("details") or "{}")
    t.eq(det, {"uptime": None, "health": "red", "previous": None, "default": False,
        "alternatives": ["acme/beta", "acme/alpha"]}, "down details")
    e = byid.get("acme/gamma", {})
    t.eq(e.get("message"), "down (uptime 42.5%); no alternative is available",
        "no alternative: said so (nothing else has gamma's context)")
    t.eq(json.loads(e.get("details") or "{}").get("uptime"), 42.5, "details uptime")

    # --- second run: transitions
    serve(srv, "acme/alpha", "red")        # the default goes down
    serve(srv, "acme/beta", "green")       # yellow -> green: up
    serve(srv, "acme/gamma", "yellow")     # red -> yellow: degraded
    serve(srv, "other/eps", "red")         # inactive: no event
    next_second()
    refresh(d)
    ev = events(d)[2:]
    t.eq(sorted((e["kind"], e["model"]) for e in ev),
        [("model.degraded", "acme/gamma"), ("model.down", "acme/alpha"),
         ("model.up", "acme/beta")], "transitions raise down/degraded/up", repr(ev))
    byid = {e["model"]: e for e in ev}
    t.eq(byid.get("acme/alpha", {}).get("message"),
        "the default model is down (uptime 42.5%); alternatives: acme/beta, acme/gamma",
        "the default's down message says so plainly")
    det = json.loads(byid.get("acme/alpha", {}).get("details") or "{}")
    t.eq((det.get("default"), det.get("previous"), det.get("alternatives")),
        (True, "green", ["acme/beta", "acme/gamma"]), "default down details")
    t.eq(byid.get("acme/beta", {}).get("message"),
        "up again (uptime 99.5%); it was yellow", "up message")
    t.eq(byid.get("acme/gamma", {}).get("message"),
        "degraded (uptime 85%); no alternative is available", "degraded message")
    t.eq(json.loads(byid.get("acme/gamma", {}).get("details") or "{}").get("previous"),
        "red", "degraded details: previous red")

    # --- third run: the default recovers; unknown in between keeps the last colour
    serve(srv, "acme/alpha", "unknown")
    next_second()
    refresh(d)
    t.eq(len(events(d)), 5, "unknown raises nothing")
    serve(srv, "acme/alpha", "green")
    next_second()
    refresh(d)
    ev = events(d)[5:]
    t.eq([(e["kind"], e["model"]) for e in ev], [("model.up", "acme/alpha")],
        "red -> unknown -> green raises model.up", repr(ev))
    t.like(ev[0]["message"] if ev else "", r"^the default model is up again "
        r"\(uptime 99\.5%\); it was red$", "up message of the default")

    # --- history
    h = history(d, "acme/alpha")
    r = h.get("acme/alpha", {})
    t.eq(list(h), ["acme/alpha"], "UPTIME MODEL: one record")
    # green 99.5, red 42.5, unknown (null), green 99.5
    t.eq((r["samples"], num(r["green_share"]), num(r["mean_uptime"]), r["incidents"],
        r["health"], num(r["uptime_30m"])),
        ("4", 50.0, round((99.5 + 42.5 + 99.5) / 3, 6), "1", "green", 99.5),
        "history: samples, green share, mean, incidents", repr(r))
    t.like(r.get("last_sample_at") or "", harness.RFC3339, "last_sample_at is a time")
    r = history(d, "other/delta", "1h")["other/delta"]
    t.eq((r["window"], r["samples"], num(r["green_share"]), r["mean_uptime"], r["incidents"]),
        ("1h", "4", 0.0, None, "1"), "a model red throughout: one incident, no mean")
    st, _ = d.request("UPTIME no/such-model")
    t.err(st, "notfound", "UPTIME of an unknown model")
    st, _ = d.request("UPTIME window=2h")
    t.err(st, "usage", "UPTIME with a bad window")
    st, _ = d.request("UPTIME acme/alpha window=")
    t.err(st, "usage", "UPTIME with an empty window")
    st, _ = d.request("UPTIME a b")
    t.err(st, "usage", "UPTIME with two models")

    # modelregctl uptime (text and JSON), when the CLI is built
    p = d.ctl("uptime", "acme/alpha", "--window", "7d", json=True)
    if p.returncode == 0:
        try:
            j = json.loads(p.stdout)
        except ValueError:
            j = None
        t.ok(j is not None and "acme/alpha" in p.stdout and "green_share" in p.stdout,
            "modelregctl --json uptime MODEL --window 7d", p.stdout[:500])
        p = d.ctl("uptime")
        t.ok(p.returncode == 0 and "acme/gamma" in p.stdout, "modelregctl uptime (text)",
            p.stdout[:500] + p.stderr[:300])
        p = d.ctl("uptime", "--window", "3d")
        t.ok(p.returncode != 0, "modelregctl uptime --window 3d fails")
    else:
        t.skip("modelregctl uptime", "the CLI did not run: %s" % p.stderr[:200])

    # --- one failing model does not stop the others
    before = {k: int(v["samples"]) for k, v in history(d).items()}
    srv.set(ROUTES["other/delta"], "status", code=500, data=b"oops")
    srv.set(ROUTES["acme/gamma"], "file", file=up("noendpoints"))
    serve(srv, "other/eps", "empty")
    srv.set(ROUTES["acme/zeta:free"], "truncated", file=up("green"), missing=100)
    next_second()
    rec = refresh(d)
    t.eq(rec.get("outcome"), "ok", "a 500, a bad document and a truncated body: still ok")
    t.like(rec.get("message", ""), r"3 models sampled: .*; 3 failed \(first: acme/gamma: "
        r"the response has no \\?\"data.endpoints\\?\" array\)", "the failures are reported")
    after = {k: int(v["samples"]) for k, v in history(d).items()}
    t.eq({k: after[k] - before[k] for k in after},
        {"acme/alpha": 1, "acme/beta": 1, "acme/gamma": 0, "other/delta": 0,
         "other/eps": 1, "acme/zeta:free": 0}, "failed models record nothing")
    t.eq(models(d)["other/delta"]["health"], "red", "a failed fetch keeps the last colour")
    t.eq(models(d)["other/eps"]["health"], "red", "an empty endpoint list is red")
    s = source_rec(d, "uptime")
    t.eq(s["items"], "3", "STATUS items: models sampled")

    # --- a hanging endpoint times out without blocking the others
    srv.set(ROUTES["acme/gamma"], "hang")
    serve(srv, "other/delta", "green")
    serve(srv, "acme/zeta:free", "green")
    next_second()
    t0 = time.monotonic()
    rec = refresh(d)
    took = time.monotonic() - t0
    t.eq(rec.get("outcome"), "ok", "a hanging model: the run still ends ok")
    t.like(rec.get("message", ""), r"5 models sampled: .*1 failed \(first: acme/gamma: .*tim",
        "the hanging model timed out")
    t.ok(took < 8, "the run ended about at the timeout (%.1f s)" % took)
    t.eq(models(d)["other/delta"]["health"], "green", "the others were sampled meanwhile")

    # --- every model failing: the run fails and nothing changes
    for route in ROUTES.values():
        srv.set(route, "status", code=503)
    n_before = sum(int(v["samples"]) for v in history(d).values())
    next_second()
    rec = refresh(d)
    t.eq(rec.get("outcome"), "failed", "every model failing: outcome failed")
    t.like(rec.get("message", ""), r"no model could be sampled", "failed message")
    t.eq(sum(int(v["samples"]) for v in history(d).values()), n_before, "nothing recorded")
    s = source_rec(d, "uptime")
    t.ok(s["failures"] == "1" and "no model could be sampled" in s["last_error"],
        "STATUS shows the failure", repr(s))

    # --- concurrency: never more transfers than [uptime] concurrency (2)
    for route in ROUTES.values():
        srv.set(route, "hang")
    srv.clear_log()
    st, recs = d.request("REFRESH uptime wait=no")
    t.eq((st, recs[0].get("outcome") if recs else None), ("OK 1", "started"),
        "REFRESH uptime wait=no: started")
    def inflight():
        return [q for q in srv.requests if q["path"].startswith(API + "/")]
    srv_wait = harness.wait_for(lambda: len(inflight()) >= 2, 5, "two requests")
    t.ok(srv_wait, "two transfers started")
    t.eq(len(inflight()), 2, "no third transfer while two hang (concurrency = 2)")
    # Release the hanging two (their connections end without an answer);
    # the other four then run.
    # The hanging ones (the first two ids) last, so the others never hang.
    for m_ in sorted(ROUTES, reverse=True):
        serve(srv, m_, "green")
    harness.wait_for(lambda: source_rec(d, "uptime")["state"] != "running", 15,
        "the run to end")
    t.eq(len(inflight()), 6, "then the rest were fetched, one request each")
    s = source_rec(d, "uptime")
    t.eq(s["items"], "4", "two hung transfers failed, four were sampled", repr(s))

    # --- stopping with transfers in flight cancels them cleanly
    for route in ROUTES.values():
        srv.set(route, "hang")
    d.request("REFRESH uptime wait=no")
    harness.wait_for(lambda: len(inflight()) >= 8, 5, "two more hanging requests")
    t.eq(d.stop(), 0, "stopping during a run: clean exit", d.log_text()[-3000:])
    for m_ in sorted(ROUTES, reverse=True):
        serve(srv, m_, "green")

    # --- retention: old samples pruned at the next run
    now = int(time.time())
    c = sqlite3.connect(d.db)
    c.executemany("INSERT INTO uptime_samples(model, at, uptime, health) VALUES (?,?,?,?)", [
        ("acme/beta", now - 100 * 86400, 99.0, "green"),
        ("acme/beta", now - 95 * 86400, 99.0, "green"),
        ("acme/beta", now - 3 * 86400, 99.0, "green"),
        ("acme/beta", now - 2 * 86400, 10.0, "red"),
        ("acme/beta", now - 2 * 86400 + 60, None, "unknown"),
    ])
    c.commit()
    c.close()
    d.start()
    wait_idle(d)
    # The startup run already pruned; count what is left.
    c = d.open_db()
    old = c.execute("SELECT count(*) FROM uptime_samples WHERE at < ?",
        (now - 90 * 86400,)).fetchone()[0]
    kept = c.execute("SELECT count(*) FROM uptime_samples WHERE model = 'acme/beta'"
        " AND at < ?", (now - 86400,)).fetchone()[0]
    c.close()
    t.eq((old, kept), (0, 3), "samples older than the retention were pruned, younger kept")
    h24 = history(d, "acme/beta", "24h")["acme/beta"]
    h7 = history(d, "acme/beta", "7d")["acme/beta"]
    h30 = history(d, "acme/beta", "30d")["acme/beta"]
    # Inside 24 h beta was: green, green, green, green (REFRESH runs), ... plus this start.
    t.eq(h24["incidents"], "0", "24h: no incident (the red was two days ago)")
    t.eq(h7["incidents"], "1", "7d: the red of two days ago is one incident")
    t.eq(int(h7["samples"]) - int(h24["samples"]), 3, "7d holds the three older samples")
    t.eq(h30["samples"], h7["samples"], "30d: the pruned ones are gone")
    t.eq(d.stop(), 0, "the daemon stops cleanly", d.log_text()[-3000:])


def run_interval(t):
    """A short interval runs by itself; hostile ids are escaped or refused."""
    srv = httpd.Server()
    srv.set(API, "file", file=ODD)
    srv.set(API + "/odd/%2541/endpoints", "file", file=up("green"))
    srv.set(API + "/odd/q%3Fx%23y/endpoints", "file", file=up("yellow"))
    d = harness.Daemon(seed_url=srv.url(API), seed_format="openrouter",
        always_active=["odd/%41", "odd/q?x#y"], start=False)
    key = d.dir + "/uptime.key"
    with open(key, "w") as f:
        f.write("up-sekrit-123\n")
    d.extra = uptime_conf(srv, interval="2s", more="api_key_file = %s\n" % key)
    d.write_config()
    d.start()
    wait_seeded(d)

    def two_samples():
        h = history(d)
        return h if all(int(h[k]["samples"]) >= 2 for k in ("odd/%41", "odd/q?x#y")) else None
    h = d.wait_for(two_samples, 15, "two samples per model without REFRESH")
    t.ok(h is not None, "interval 2s: samples accumulate by themselves")
    t.eq((h["odd/%41"]["health"], h["odd/q?x#y"]["health"], h["odd/../../etc"]["samples"]),
        ("green", "yellow", "0"), "escaped ids fetched; a dot-segment id never")
    t.ok(not any(".." in q["path"] for q in srv.requests), "no request with a dot segment")
    auth = {q["headers"].get("authorization") for q in srv.requests
        if q["path"].endswith("/endpoints")}
    t.eq(auth, {"Bearer up-sekrit-123"}, "[uptime] api_key_file is sent as a bearer token")
    t.ok("up-sekrit-123" not in d.log_text(), "the key is never logged")
    s = source_rec(d, "uptime")
    t.like(s.get("last_ok") or "", harness.RFC3339, "STATUS: last_ok set")
    t.like(s.get("next_run") or "", harness.RFC3339, "STATUS: next_run scheduled")
    rec = refresh(d)
    t.like(rec.get("message", ""), r"odd/\.\./\.\./etc: the id cannot be used in a URL path",
        "the refused id is reported")

    # Reload without [uptime] url: no more runs.
    d.extra = ""
    d.write_config()
    d.reload()
    d.wait_for(lambda: source_rec(d, "uptime")["state"] == "disabled", 10, "disabled")
    n = sum(int(v["samples"]) for v in history(d).values())
    st, _ = d.request("REFRESH uptime")
    t.err(st, "unavailable", "REFRESH uptime without [uptime] url")
    time.sleep(2.5)  # two intervals of the old schedule must pass unrun
    t.eq(sum(int(v["samples"]) for v in history(d).values()), n, "disabled: no more samples")
    t.eq(d.stop(), 0, "the daemon stops cleanly", d.log_text()[-3000:])


def run_off_loop(t):
    """A pass's record runs on the import worker (issue 8): held at its
    commit, PING and SHOW are answered (SHOW without the new samples), a
    write waits and is answered after the commit, and a pass that ends
    while another import runs waits its turn."""
    srv = httpd.Server()
    srv.set(API, "file", file=MODELS)
    d = harness.Daemon(seed_url=srv.url(API), seed_format="openrouter",
        always_active=ALWAYS, default_model="acme/alpha",
        extra=uptime_conf(srv, concurrency=4, timeout=60), start=False)
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    open(gate, "w").close()
    d.start()
    wait_seeded(d)
    wait_idle(d)
    for mid in ROUTES:
        serve(srv, mid, "green")
    os.unlink(gate)
    next_second()
    runner = d.raw()
    runner.send("REFRESH uptime\n")
    harness.wait_for(lambda: os.path.exists(held), 30,
        "the pass's record to wait at its commit, off the loop")
    other = d.raw()
    t.like(other.request("PING")[0] or "", r"^OK ", "PING is answered during the record")
    st, lines = other.request("SHOW acme/alpha")
    rec = harness.parse_logfmt(lines[0]) if lines else {}
    t.eq((st, rec.get("health")), ("OK 1", "unknown"),
        "SHOW is answered from the snapshot: no sample yet")
    writer = d.raw()
    writer.send("DEACTIVATE acme/beta\nSHOW acme/beta\n")
    t.eq(writer.pending(0.5), b"", "a write during the record waits")
    t.eq(runner.pending(0.2), b"", "REFRESH uptime is not answered before the commit")
    open(gate, "w").close()
    st, lines = runner.read_reply(timeout=30)
    rec = harness.parse_logfmt(lines[0]) if lines else {}
    t.eq((st, rec.get("outcome")), ("OK 1", "ok"), "the pass is answered once it commits")
    st, _ = writer.read_reply(timeout=30)
    t.like(st or "", r"^OK ", "the DEACTIVATE is answered after it")
    st, lines = writer.read_reply(timeout=30)
    rec = harness.parse_logfmt(lines[0]) if lines else {}
    t.eq((rec.get("status"), rec.get("health")), ("inactive", "green"),
        "the pipelined SHOW sees the write and the pass's sample")
    db = d.open_db()
    at = db.execute("SELECT max(at) FROM uptime_samples").fetchone()[0]
    ch = db.execute("SELECT at FROM audit WHERE action = 'deactivate'"
        " AND model = 'acme/beta'").fetchone()
    db.close()
    t.ok(at is not None and ch is not None and ch[0] >= at,
        "the write committed after the samples", (at, ch))

    # A pass that ends while another import runs waits for it, then records.
    # One endpoint hangs, so that the pass is still fetching when the seed starts.
    os.unlink(gate)
    next_second()
    srv.set(ROUTES["acme/gamma"], "hang")
    srv.clear_log()
    t.eq(runner.request("REFRESH uptime wait=no")[0], "OK 1", "a pass starts")
    harness.wait_for(lambda: any(q["path"] == ROUTES["acme/gamma"] for q in srv.requests),
        30, "the hanging endpoint to be asked")
    seeder = d.raw()
    seeder.send("SEED\n")
    harness.wait_for(lambda: os.path.exists(held), 30, "a seed to wait at its commit")
    # The hang ends (without an answer): the pass's fetches are over.
    serve(srv, "acme/gamma", "green")
    harness.wait_for(lambda: "uptime: the pass's record waits for the import under way"
        in d.log_text(), 30, "the pass's record to wait for the seed")
    t.like(other.request("PING")[0] or "", r"^OK ", "PING is answered meanwhile")
    n = sum(int(v["samples"]) for v in history(d).values())
    open(gate, "w").close()
    t.eq(seeder.read_reply(timeout=30)[0], "OK 1", "the seed commits")
    d.wait_for(lambda: sum(int(v["samples"]) for v in history(d).values()) > n, 30,
        "the pass to record after the seed")
    t.ok("database is locked" not in d.log_text(), "nothing met a locked database")
    t.eq(d.stop(), 0, "the daemon stops cleanly")


def main(t):
    run(t)
    run_interval(t)
    run_off_loop(t)


if __name__ == "__main__":
    harness.main(main)
