# test_catalog.py: discovery catalog sync against a local HTTP server: periodic and on-demand refresh, 304, gzip, every failure mode, shrink guard, delisting, price events, SYNC, CATALOG, seeding from the catalog.
import calendar
import json
import re
import socket
import sqlite3
import time

import harness
import httpd

PATH = "/api/v1/models"
ZPATH = "/api/v1/endpoints/zdr"
BASE = harness.data_path("cat-base.json")
V2 = harness.data_path("cat-v2.json")
DELIST = harness.data_path("cat-delist.json")
SHRINK = harness.data_path("cat-shrink.json")
EMPTY = harness.data_path("cat-empty.json")

with open(BASE) as _f:
    BASE_IDS = sorted(m["id"] for m in json.load(_f)["data"])


def catalog_conf(srv, interval="1h", timeout=3, retry_min=60, retry_max=3600,
        extra=""):
    return ("[catalog]\nurl = %s\nformat = openrouter\ninterval = %s\n"
        "timeout = %s\nretry_min = %s\nretry_max = %s\n%s"
        % (srv.url(PATH), interval, timeout, retry_min, retry_max, extra))


def rec_of(d, name):
    """The STATUS record of periodic source name."""
    st, recs = d.request("STATUS")
    for r in recs:
        if r.get("source") == name:
            return r
    raise harness.HarnessError("no %s record in STATUS: %r" % (name, recs))


def catalog(d, opts=""):
    st, recs = d.request(("CATALOG " + opts).strip())
    if st != "OK %d" % len(recs):
        raise harness.HarnessError("CATALOG %s: %r" % (opts, st))
    return recs


def catalog_ids(d, opts=""):
    return [r["id"] for r in catalog(d, opts)]


def models(d):
    st, recs = d.request("LIST status=all")
    return {r["id"]: r for r in recs}


def events(d, kind):
    st, recs = d.request("EVENTS kind=%s limit=1000" % kind)
    if not st.startswith("OK"):
        raise harness.HarnessError("EVENTS: %r" % st)
    return recs


def db_rows(d, sql):
    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=10)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def snapshot(d):
    """Everything a failed refresh must leave alone."""
    return (d.request_lines("CATALOG")[1], d.request_lines("LIST status=all")[1],
        db_rows(d, "SELECT key, value FROM state WHERE key LIKE 'catalog%'"
            " AND key NOT IN ('catalog_held', 'catalog_held_meta')"))


def wait_loaded(d, n=len(BASE_IDS)):
    return harness.wait_for(lambda: len(catalog(d)) == n and
        rec_of(d, "catalog")["state"] != "running", 10,
        "the catalog to hold %d models" % n)


def refresh(d, opts=""):
    st, recs = d.request(("REFRESH catalog " + opts).strip(), timeout=30)
    if st != "OK 1":
        raise harness.HarnessError("REFRESH catalog %s: %r" % (opts, st))
    return recs[0]


def test_periodic(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    d = harness.Daemon(extra=catalog_conf(srv, interval="2s"))
    wait_loaded(d)
    tap.eq(catalog_ids(d), sorted(BASE_IDS, key=lambda i: [
        r for r in json.load(open(BASE))["data"] if r["id"] == i][0]["name"].lower()),
        "the first refresh runs at start, CATALOG sorts by name")
    first = rec_of(d, "catalog")
    tap.like(first["last_ok"] or "", harness.RFC3339, "STATUS catalog: last_ok set")
    tap.eq(first["items"], str(len(BASE_IDS)), "STATUS catalog: items")
    tap.ok(first["state"] in ("idle", "running"), "STATUS catalog: idle or running",
        first)
    n0 = len(srv.requests_for(PATH))
    # Nobody touches the daemon: with interval 2 s, it fetches again by itself.
    srv.wait_requests(PATH, n0 + 2, timeout=10)
    later = harness.wait_for(lambda: (lambda r: r if r["last_ok"] != first["last_ok"]
        else None)(rec_of(d, "catalog")), 8, "last_ok to advance")
    tap.ok(later["last_ok"] > first["last_ok"], "periodic refreshes advance last_ok",
        (first["last_ok"], later["last_ok"]))
    tap.ok(len(srv.requests_for(PATH)) >= n0 + 2, "the request log grows by itself")
    idle = harness.wait_for(lambda: (lambda r: r if r["state"] == "idle" else None)(
        rec_of(d, "catalog")), 8, "an idle catalog source")
    tap.like(idle["next_run"] or "", harness.RFC3339, "STATUS catalog: next_run set")
    # A change on the server reaches the catalog without anybody asking.
    srv.set(PATH, "file", file=V2)
    harness.wait_for(lambda: len(catalog(d)) == len(BASE_IDS) + 1, 10,
        "the periodic refresh to pick up a new model")
    tap.eq(len(catalog(d)), len(BASE_IDS) + 1, "a periodic refresh picked up the new model")
    d.cleanup()
    srv.stop()


def test_refresh_verb(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE, etag=True)
    d = harness.Daemon(extra=catalog_conf(srv))
    wait_loaded(d)

    # REFRESH waits and reports; with an ETag the second fetch is a 304.
    n0 = len(srv.requests_for(PATH))
    before = snapshot(d)
    last_ok0 = rec_of(d, "catalog")["last_ok"]
    time.sleep(1.1)
    r = refresh(d)
    tap.eq(r["source"], "catalog", "REFRESH: source=catalog")
    tap.eq(r["outcome"], "ok", "REFRESH: outcome=ok on a 304")
    tap.like(r["message"], r"not modified", "REFRESH: the message says not modified")
    req = srv.requests_for(PATH)[n0]
    tap.ok(req["headers"].get("if-none-match"), "the refresh sent If-None-Match",
        req["headers"])
    tap.eq(snapshot(d), before, "a 304 changes nothing")
    tap.ok(rec_of(d, "catalog")["last_ok"] > last_ok0, "a 304 updates last_ok")

    # --force applies a held response; with nothing held it is refused.
    n0 = len(srv.requests_for(PATH))
    st, _ = d.request("REFRESH catalog force=yes")
    tap.eq(st, "ERR conflict nothing is held for catalog; --force applies a held "
        "response", "REFRESH force=yes with nothing held: ERR conflict")
    p = d.ctl("refresh", "catalog", "--force")
    tap.eq(p.returncode, 1, "modelregctl refresh catalog --force, nothing held: exit 1")
    tap.like(p.stderr, r"nothing is held for catalog", "... and says why")
    tap.eq(len(srv.requests_for(PATH)), n0, "a refused --force fetches nothing")

    # The CLI: refresh catalog waits and reports, --no-wait returns at once.
    srv.set(PATH, "file", file=V2, etag=True, gzip=True)
    p = d.ctl("refresh", "catalog")
    tap.eq(p.returncode, 0, "modelregctl refresh catalog: exit 0", p.stderr)
    tap.like(p.stdout, r"catalog", "modelregctl refresh catalog names the source")
    tap.eq(len(catalog(d)), len(BASE_IDS) + 1, "the refresh applied the new catalog")
    req = srv.requests_for(PATH)[-1]
    tap.like(req["headers"].get("accept-encoding", ""), r"gzip",
        "the fetch accepts gzip")
    tap.eq(catalog(d, "search=qwen")[0]["name"], "Qwen2.5 72B Instruct",
        "a gzip-encoded catalog is decoded and applied")

    j = d.ctl_json("refresh", "catalog")
    tap.ok(isinstance(j, (list, dict)), "modelregctl --json refresh catalog parses", j)

    srv.set(PATH, "drip", file=BASE, chunk=2048, interval=0.5)
    p = d.ctl("refresh", "catalog", "--no-wait")
    tap.eq(p.returncode, 0, "modelregctl refresh catalog --no-wait: exit 0", p.stderr)
    tap.like(p.stdout, r"started", "--no-wait reports started")
    tap.eq(rec_of(d, "catalog")["state"], "running", "STATUS: running while it runs")
    st, recs = d.request("REFRESH catalog wait=no")
    tap.eq((st, recs[0]["outcome"]), ("OK 1", "started"),
        "raw REFRESH wait=no joins the run: outcome=started")
    harness.wait_for(lambda: len(catalog(d)) == len(BASE_IDS), 15,
        "the no-wait run to finish")
    tap.eq(rec_of(d, "catalog")["state"], "idle", "STATUS: idle after the run")

    # Protocol errors.
    st, _ = d.request("REFRESH zdr")
    tap.err(st, "unavailable", "REFRESH zdr without [zdr] url: ERR unavailable")
    st, _ = d.request("REFRESH uptime")
    tap.err(st, "unavailable", "REFRESH uptime without [uptime] url: ERR unavailable")
    st, _ = d.request("REFRESH nosuch")
    tap.err(st, "usage", "REFRESH of an unknown source: ERR usage")
    st, _ = d.request("REFRESH catalog force=maybe")
    tap.err(st, "usage", "REFRESH force=maybe: ERR usage")
    st, _ = d.request("REFRESH catalog wait=later")
    tap.err(st, "usage", "REFRESH wait=later: ERR usage")
    st, recs = d.request("REFRESH all", timeout=30)
    tap.eq((st, [r["source"] for r in recs]), ("OK 1", ["catalog"]),
        "REFRESH all runs only the configured sources")

    # A client that goes away while waiting: its waiter is dropped, the run ends.
    srv.set(PATH, "hang")
    c = d.raw()
    c.send("REFRESH catalog\n")
    time.sleep(0.3)
    c.close()
    srv.set(PATH, "file", file=BASE, etag=True)
    harness.wait_for(lambda: rec_of(d, "catalog")["state"] != "running", 10,
        "the abandoned run to end")
    tap.eq(refresh(d)["outcome"], "ok", "the daemon serves REFRESH after a client left")
    tap.ok(d.alive(), "the daemon is alive")

    # A forced refresh while an unforced run is in flight is queued as the next run.
    srv.set(PATH, "drip", file=SHRINK, chunk=1024, interval=0.3)
    a = d.raw()
    a.send("REFRESH catalog\n")
    time.sleep(0.3)
    b = d.raw()
    b.send("REFRESH catalog force=yes\n")
    sa, la = a.read_reply(timeout=30)
    sb, lb = b.read_reply(timeout=30)
    ra, rb = harness.parse_logfmt(la[0]), harness.parse_logfmt(lb[0])
    tap.eq(ra["outcome"], "held", "the unforced run is held", la)
    tap.eq(rb["outcome"], "ok", "the forced request ran next, and applied", lb)
    tap.eq(len(catalog(d)), 3, "the forced run applied the shrunk catalog")
    a.close()
    b.close()
    d.cleanup()
    srv.stop()


def test_failures(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    d = harness.Daemon(extra=catalog_conf(srv, timeout=2, retry_min=60,
        retry_max=600, extra="max_size = 100000\n"))
    wait_loaded(d)
    st, _ = d.request("SYNC openai/gpt-4o")
    tap.eq(st, "OK 1", "SYNC openai/gpt-4o")
    before = snapshot(d)
    tap.eq(len(events(d, "sync.failed")), 0, "no sync.failed yet")

    cases = [
        ("HTTP 500", lambda: srv.set(PATH, "status", code=500), r"HTTP 500"),
        ("a hang (timeout)", lambda: srv.set(PATH, "hang"), r"(?i)time"),
        ("a truncated body", lambda: srv.set(PATH, "truncated", file=BASE,
            missing=1000), r"."),
        ("invalid JSON", lambda: srv.set(PATH, "invalid"), r"(?i)json|invalid|pars"),
        ("a huge body", lambda: srv.set(PATH, "huge", size=400000),
            r"(?i)larger|size|bytes"),
        ("an empty data array", lambda: srv.set(PATH, "file", file=EMPTY),
            r"no models"),
        ("a connection reset", lambda: srv.set(PATH, "reset"), r"."),
    ]
    for i, (what, setup, regex) in enumerate(cases):
        setup()
        r = refresh(d)
        tap.eq(r["outcome"], "failed", "%s: outcome=failed" % what, r)
        tap.like(r["message"], regex, "%s: the message says why" % what)
        tap.eq(snapshot(d), before, "%s: catalog, registry and validators unchanged"
            % what)
        s = rec_of(d, "catalog")
        tap.eq(s["state"], "waiting", "%s: STATUS state=waiting" % what)
        tap.eq(s["failures"], str(i + 1), "%s: failures counts the streak" % what)
        tap.ok(s["last_error"], "%s: STATUS last_error set" % what, s)
        # Backoff: retry_min * 2^(failures-1), capped at retry_max, +-10%.
        want = min(600, 60 * 2 ** i)
        delta = calendar.timegm(time.strptime(s["next_run"],
            "%Y-%m-%dT%H:%M:%SZ")) - time.time()
        tap.ok(want * 0.9 - 2 <= delta <= want * 1.1 + 2,
            "%s: next_run after about %d s of backoff" % (what, want),
            (delta, s["next_run"]))
        tap.eq(len(events(d, "sync.failed")), 1,
            "%s: one sync.failed event for the whole streak" % what)
    ev = events(d, "sync.failed")[0]
    tap.like(ev["message"], r"catalog", "sync.failed names the source")
    tap.eq(json.loads(ev["details"]).get("source"), "catalog",
        "sync.failed details name the source")

    # A success ends the streak; the next failure raises a new event.
    srv.set(PATH, "file", file=BASE)
    tap.eq(refresh(d)["outcome"], "ok", "the source recovers")
    s = rec_of(d, "catalog")
    tap.eq((s["state"], s["failures"], s["last_error"]), ("idle", "0", ""),
        "STATUS after recovery: idle, no failures, no error")
    srv.set(PATH, "status", code=503)
    refresh(d)
    tap.eq(len(events(d, "sync.failed")), 2, "a new streak raises a new sync.failed")
    d.cleanup()
    srv.stop()


def test_shrink_delist_prices(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    d = harness.Daemon(extra=catalog_conf(srv, extra="price_increase = 10\n"))
    wait_loaded(d)
    for m in ("openai/gpt-4o", "anthropic/claude-3.5-sonnet", "mistralai/mistral-large",
            "deepseek/deepseek-r1", "meta-llama/llama-3.1-8b-instruct"):
        st, _ = d.request("SYNC " + m)
        tap.eq(st, "OK 1", "SYNC " + m)

    # Prices and metadata: a +20% prompt price raises an event, +3% does not.
    r = refresh_with(d, srv, V2)
    tap.eq(r["outcome"], "ok", "refresh with new prices: ok")
    ev = events(d, "model.price_increase")
    tap.eq([e["model"] for e in ev], ["openai/gpt-4o"],
        "model.price_increase for the +20% model only")
    det = json.loads(ev[0]["details"])
    tap.eq((det.get("old_prompt_price"), det.get("new_prompt_price")), (2.5, 3),
        "price event details carry old and new prices")
    m = models(d)
    tap.eq(m["openai/gpt-4o"]["prompt_price"], "3", "the synced model's price follows")
    tap.eq((m["mistralai/mistral-large"]["name"],
        m["mistralai/mistral-large"]["context_length"]),
        ("Mistral: Mistral Large 2", "131072"), "name and context of a synced model follow")
    tap.ok("qwen/qwen-2.5-72b-instruct" not in m, "a new catalog model is not synced")
    aud = db_rows(d, "SELECT model, field, old, new FROM audit WHERE actor = 'catalog'"
        " AND action = 'catalog.update' ORDER BY id")
    tap.ok(("mistralai/mistral-large", "name", "Mistral: Mistral Large",
        "Mistral: Mistral Large 2") in aud, "an audit row per changed field, actor catalog",
        aud)
    r = refresh_with(d, srv, V2)
    tap.eq(len(events(d, "model.price_increase")), 1, "no second event for the same price")
    # Both prices rise: the message shows both percentages, not the id again.
    cat = json.load(open(V2))
    for e in cat["data"]:
        if e["id"] == "anthropic/claude-3.5-sonnet":
            e["pricing"]["prompt"] = repr(float(e["pricing"]["prompt"]) * 1.2)
            e["pricing"]["completion"] = repr(float(e["pricing"]["completion"]) * 1.5)
    srv.set(PATH, "bytes", data=json.dumps(cat))
    refresh(d)
    ev = [e for e in events(d, "model.price_increase")
        if e["model"] == "anthropic/claude-3.5-sonnet"]
    tap.like(ev[0]["message"] if ev else "",
        r"^prompt price .* \(\+20%\), completion price .* \(\+50%\) USD per 1M tokens$",
        "a rise in both prices shows both percentages")
    srv.set(PATH, "file", file=V2)
    refresh(d)

    # Delisting: kept, marked, one event each, once.
    r = refresh_with(d, srv, DELIST)
    tap.eq(r["outcome"], "ok", "a small drop (2 of 11) is applied: the guard is at 50%", r)
    m = models(d)
    tap.eq((m["deepseek/deepseek-r1"]["delisted"],
        m["meta-llama/llama-3.1-8b-instruct"]["delisted"],
        m["openai/gpt-4o"]["delisted"]), ("true", "true", "false"),
        "models gone from the catalog are kept, marked delisted")
    tap.eq(sorted(e["model"] for e in events(d, "model.delisted")),
        ["deepseek/deepseek-r1", "meta-llama/llama-3.1-8b-instruct"],
        "one model.delisted event per delisted model")
    tap.ok("deepseek/deepseek-r1" not in catalog_ids(d), "CATALOG no longer lists it")
    srv.set(PATH, "file", file=DELIST)
    refresh(d)
    tap.eq(len(events(d, "model.delisted")), 2, "delisting is raised once")
    r = refresh_with(d, srv, BASE)
    m = models(d)
    tap.eq(m["deepseek/deepseek-r1"]["delisted"], "false", "a relisted model is unmarked")
    tap.ok("deepseek/deepseek-r1" in catalog_ids(d), "and back in CATALOG")

    # Mass shrinkage: held, an event, nothing removed; force applies it.
    before = snapshot(d)
    r = refresh_with(d, srv, SHRINK)
    tap.eq(r["outcome"], "held", "a 70% drop is held")
    tap.like(r["message"], r"would drop 70% of the catalog \(7 of 10 models\).*--force",
        "the held message says how much and how to apply it")
    tap.eq(snapshot(d), before, "a held response changes nothing")
    tap.eq(len(db_rows(d, "SELECT 1 FROM state WHERE key = 'catalog_held'")), 1,
        "the held response is kept in the database")
    s = rec_of(d, "catalog")
    tap.eq(s["state"], "held", "STATUS state=held")
    tap.like(s["held"], r"would drop", "STATUS held says why")
    tap.eq(events(d, "sync.suspicious"), [], "no sync.suspicious event any more")
    ev = events(d, "sync.held")
    tap.eq(len(ev), 1, "one sync.held event")
    tap.like(ev[0]["message"] if ev else "", r"7 of 10", "sync.held: the counts in the message")
    det = json.loads(ev[0]["details"]) if ev else {}
    tap.eq((det.get("source"), det.get("dropped"), det.get("known"), det.get("percent"),
        det.get("max_drop")), ("catalog", 7, 10, 70, 50), "sync.held: the counts in details")
    p = d.ctl("refresh", "catalog")
    tap.eq(p.returncode, 1, "modelregctl refresh catalog on a held response: exit 1",
        p.stdout + p.stderr)
    tap.like(p.stdout + p.stderr, r"held|drop", "the CLI shows the held outcome")
    tap.eq(len(events(d, "sync.held")), 1, "the same response held again: no second sync.held")
    # The held response is kept in the database: it survives a restart, and
    # --force applies it, not what the source serves now (here: nothing).
    srv.set(PATH, "status", code=500)
    d.restart()
    harness.wait_for(lambda: rec_of(d, "catalog")["last_error"], 10,
        "the first run after the restart to fail")
    s = rec_of(d, "catalog")
    tap.eq(s["state"], "held", "after a restart: STATUS still says held")
    tap.like(s["held"], r"would drop 70%", "after a restart: and why")
    n0 = len(srv.requests_for(PATH))
    p = d.ctl("refresh", "catalog", "--force")
    tap.eq(p.returncode, 0, "modelregctl refresh catalog --force: exit 0",
        p.stdout + p.stderr)
    tap.eq(len(srv.requests_for(PATH)), n0, "--force downloads nothing")
    tap.eq(len(catalog(d)), 3, "--force applied the held (shrunk) catalog")
    st, _ = d.request("REFRESH catalog force=yes")
    tap.err(st, "conflict", "applied: nothing is held any more")
    m = models(d)
    tap.eq(len(m), 5, "no synced model was removed")
    tap.eq(m["mistralai/mistral-large"]["delisted"], "true",
        "synced models gone with the shrink are delisted")
    s = rec_of(d, "catalog")
    tap.eq((s["state"], s["held"]), ("idle", ""), "STATUS: no longer held")
    d.cleanup()
    srv.stop()


def refresh_with(d, srv, path):
    srv.set(PATH, "file", file=path)
    return refresh(d)


def test_catalog_verb(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    d = harness.Daemon(extra=catalog_conf(srv))
    wait_loaded(d)
    d.request("SYNC anthropic/claude-3-haiku")
    recs = catalog(d)
    keys = ["id", "name", "provider", "kind", "canonical_slug", "context_length",
        "prompt_price", "completion_price", "prices", "features", "aliases", "zdr",
        "synced", "first_seen", "last_seen", "expires_at", "description"]
    tap.eq(sorted(recs[0].keys()), sorted(keys), "CATALOG records carry the protocol keys")
    line = d.request_lines("CATALOG search=gpt-4o-mini")[1][0]
    tap.eq([kv.split("=", 1)[0] for kv in re.findall(r'(\w+)=(?:"(?:[^"\\]|\\.)*"|\S*)',
        line)], keys, "CATALOG keys in protocol order")
    g = catalog(d, "search=gpt-4o-mini")[0]
    tap.eq((g["prompt_price"], g["completion_price"], g["context_length"], g["zdr"],
        g["synced"], g["canonical_slug"]), ("0.15", "0.6", "128000", None, "false",
        "openai/gpt-4o-mini-2024-07-18"), "CATALOG values (zdr null without a ZDR source)")
    tap.like(g["features"], r"vision", "features listed")
    tap.like(g["first_seen"], harness.RFC3339, "first_seen is a time")
    tap.eq(catalog_ids(d, "search=CLAUDE"), ["anthropic/claude-3-haiku",
        "anthropic/claude-3.5-sonnet"], "search is case-insensitive")
    tap.eq(catalog_ids(d, "provider=OpenAI"), ["openai/gpt-4o", "openai/gpt-4o-mini"],
        "provider filter, case-insensitive")
    tap.eq(catalog_ids(d, "synced=yes"), ["anthropic/claude-3-haiku"], "synced=yes")
    tap.eq(len(catalog(d, "synced=no")), len(BASE_IDS) - 1, "synced=no")
    tap.eq([r["synced"] for r in catalog(d, "search=claude-3-haiku")], ["true"],
        "the synced flag")
    tap.eq(catalog_ids(d, "sort=price")[:2], ["meta-llama/llama-3.1-8b-instruct",
        "openai/gpt-4o-mini"], "sort=price: cheapest first")
    tap.eq(catalog_ids(d, "sort=price order=desc")[0], "anthropic/claude-3.5-sonnet",
        "sort=price order=desc: dearest first")
    tap.eq(catalog_ids(d, "sort=context")[0], "mistralai/mistral-small",
        "sort=context: smallest first")
    tap.eq(catalog_ids(d, "sort=context order=desc")[0], "google/gemini-pro-1.5",
        "sort=context order=desc")
    tap.eq(catalog_ids(d, "sort=provider")[0], "anthropic/claude-3-haiku",
        "sort=provider, ties by id")
    tap.eq(len(catalog(d, "zdr=no")), len(BASE_IDS), "zdr=no keeps unknown ZDR")
    tap.eq(len(catalog(d, "zdr=yes")), 0, "zdr=yes: none before any ZDR refresh")
    for bad in ("zdr=maybe", "synced=1", "sort=status", "sort=nope", "order=up",
            "color=red"):
        st, _ = d.request("CATALOG " + bad)
        tap.err(st, "usage", "CATALOG %s: ERR usage" % bad)
    st, _ = d.request("CATALOG extra")
    tap.err(st, "usage", "CATALOG with a positional word: ERR usage")
    # The CLI.
    p = d.ctl("catalog", "--search", "claude", "--sort", "price", "--desc")
    tap.eq(p.returncode, 0, "modelregctl catalog: exit 0", p.stderr)
    tap.ok(p.stdout.find("claude-3.5-sonnet") < p.stdout.find("claude-3-haiku") and
        p.stdout.find("claude-3-haiku") >= 0, "modelregctl catalog sorts as asked",
        p.stdout)
    j = d.ctl_json("catalog", "--synced")
    items = j if isinstance(j, list) else j.get("models", j.get("catalog", []))
    tap.eq([x.get("id") for x in items], ["anthropic/claude-3-haiku"],
        "modelregctl --json catalog --synced", j)
    d.cleanup()
    srv.stop()


def test_sync_and_seed(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    srv.set(ZPATH, "status", code=500)
    zdr = {"data": [{"name": "OpenAI | openai/gpt-4o-2024-05-13",
        "model_id": "openai/gpt-4o-2024-05-13", "model_name": "OpenAI: GPT-4o",
        "context_length": 128000, "provider_name": "OpenAI", "status": 0,
        "uptime_last_30m": 99.9}]}
    # No [seed] url: first-boot seeding takes the named models from the catalog.
    d = harness.Daemon(seed_url="", always_active=("openai/gpt-4o", "mistralai/mistral-large"),
        always_inactive=("deepseek/deepseek-r1", "not/in-catalog"),
        default_model="mistralai/mistral-large", new_model_status="active",
        extra=catalog_conf(srv) + "[zdr]\nurl = %s\ninterval = 1h\nretry_min = 60\n"
        "enforce = yes\n" % srv.url(ZPATH))
    wait_loaded(d)
    m = harness.wait_for(lambda: (lambda x: x if len(x) == 3 else None)(models(d)), 10,
        "seeding from the catalog")
    tap.eq(sorted(m), ["deepseek/deepseek-r1", "mistralai/mistral-large",
        "openai/gpt-4o"], "seeding from the catalog takes only the named models")
    tap.eq((m["openai/gpt-4o"]["status"], m["deepseek/deepseek-r1"]["status"],
        m["mistralai/mistral-large"]["default"]), ("active", "inactive", "true"),
        "the seed rules apply: always lists and default_model")
    tap.eq(m["openai/gpt-4o"]["canonical_slug"], "openai/gpt-4o-2024-05-13",
        "seeded models show their canonical slug")
    daemon = d.request("STATUS")[1][0]
    tap.like(daemon.get("seeded_at") or "", harness.RFC3339, "STATUS seeded_at is set")
    tap.eq(len(events(d, "seed.done")), 1, "a seed.done event")
    # No re-seed on the next refresh (the registry is not empty any more).
    srv.set(PATH, "file", file=V2)
    refresh(d)
    tap.eq(len(models(d)), 3, "no re-seed on a later refresh")
    tap.eq(len(events(d, "seed.done")), 1, "still one seed.done")

    # SYNC with [zdr] enforce = yes, before any ZDR refresh succeeded.
    st, _ = d.request("SYNC anthropic/claude-3-haiku")
    tap.err(st, "conflict", "SYNC with ZDR unknown: ERR conflict")
    tap.like(st, r"ZDR status unknown: no ZDR refresh has succeeded yet",
        "the refusal says why")
    srv.set(ZPATH, "bytes", data=json.dumps(zdr))
    st, recs = d.request("REFRESH zdr", timeout=30)
    if st == "OK 1" and recs[0].get("outcome") == "ok":
        st, _ = d.request("SYNC anthropic/claude-3-haiku")
        tap.err(st, "conflict", "SYNC of a model without ZDR: ERR conflict")
        tap.like(st, r"has no ZDR endpoint", "the refusal says it has no ZDR endpoint")
        tap.eq(catalog_ids(d, "zdr=yes"), ["openai/gpt-4o"],
            "CATALOG zdr=yes: the model whose canonical slug is listed")
        tap.eq(len(catalog(d, "zdr=no")), len(BASE_IDS),
            "CATALOG zdr=no: the others")
        tap.eq(models(d)["openai/gpt-4o"]["zdr"], "true", "LIST agrees: zdr=true")
    else:
        tap.ok(False, "REFRESH zdr succeeded (needed for the ZDR refusal test)",
            (st, recs))
    # Turn enforcement off: a reload.
    d.write_config(open(d.conf).read().replace("enforce = yes", "enforce = no"))
    st, _ = d.request("RELOAD")
    tap.eq(st, "OK 1", "RELOAD with enforce = no")
    p = d.ctl("sync", "anthropic/claude-3-haiku", "qwen/qwen-2.5-72b-instruct")
    tap.eq(p.returncode, 0, "modelregctl sync of two models: exit 0", p.stdout + p.stderr)
    m = models(d)
    tap.eq((m["anthropic/claude-3-haiku"]["status"],
        m["anthropic/claude-3-haiku"]["status_source"]), ("active", "seed"),
        "SYNC gives new_model_status (status_source seed)")
    tap.eq(m["qwen/qwen-2.5-72b-instruct"]["prompt_price"], "0.35",
        "SYNC copies the catalog's metadata")
    aud = db_rows(d, "SELECT actor, action, new FROM audit WHERE model ="
        " 'anthropic/claude-3-haiku' AND action = 'sync'")
    tap.eq(aud, [("root", "sync", "active")], "SYNC writes an audit row with the user")
    # always_inactive wins over new_model_status on SYNC too.
    st, _ = d.request("DELETE deepseek/deepseek-r1")
    tap.eq(st, "OK 1", "DELETE deepseek/deepseek-r1")
    st, recs = d.request("SYNC deepseek/deepseek-r1")
    tap.eq((st, recs[0]["status"] if recs else None), ("OK 1", "inactive"),
        "SYNC of an always_inactive model: inactive")
    st, _ = d.request("SYNC deepseek/deepseek-r1")
    tap.err(st, "conflict", "SYNC of a synced model: ERR conflict")
    tap.like(st, r"already synced", "the conflict says already synced")
    st, _ = d.request("SYNC no/such-model")
    tap.err(st, "notfound", "SYNC of a model the catalog does not list: ERR notfound")
    st, _ = d.request("SYNC")
    tap.err(st, "usage", "SYNC without a model: ERR usage")
    p = d.ctl("sync", "no/such-model")
    tap.ok(p.returncode != 0, "modelregctl sync of an unknown model fails")
    d.cleanup()
    srv.stop()


def test_seed_failure_and_reload(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    # The always lists name nothing the catalog lists: seed.failed, nothing added.
    d = harness.Daemon(seed_url="", always_active=("no/such",),
        extra=catalog_conf(srv))
    wait_loaded(d)
    harness.wait_for(lambda: events(d, "seed.failed"), 10, "a seed.failed event")
    tap.eq(len(models(d)), 0, "nothing seeded when the catalog lists none of the names")
    refresh(d)
    tap.eq(len(events(d, "seed.failed")), 1, "seed.failed is raised once per streak")
    # A reload that removes [catalog]: the source is disabled, REFRESH is unavailable.
    conf = open(d.conf).read()
    d.write_config(re.sub(r"\[catalog\][^\[]*", "", conf))
    st, _ = d.request("RELOAD")
    tap.eq(st, "OK 1", "RELOAD without [catalog]")
    tap.eq(rec_of(d, "catalog")["state"], "disabled", "STATUS: catalog disabled")
    st, _ = d.request("REFRESH catalog")
    tap.err(st, "unavailable", "REFRESH catalog when unconfigured: ERR unavailable")
    st, _ = d.request("REFRESH all")
    tap.err(st, "unavailable", "REFRESH all with no source: ERR unavailable")
    tap.eq(len(catalog(d)), len(BASE_IDS), "the last good catalog stays listed")
    # And back: enabled again, the first run starts at once.
    n0 = len(srv.requests_for(PATH))
    d.write_config(conf)
    st, _ = d.request("RELOAD")
    srv.wait_requests(PATH, n0 + 1, timeout=10)
    tap.ok(len(srv.requests_for(PATH)) >= n0 + 1, "re-enabling the source runs it at once")
    d.cleanup()
    srv.stop()


def test_other_seed_source(tap):
    """Models seeded from [seed] that the catalog never listed are not delisted."""
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    srv.set("/seed", "file", file=harness.data_path("catalog-mistral.json"))
    d = harness.Daemon(seed_url=srv.url("/seed"), wait_seed=False,
        extra=catalog_conf(srv))
    wait_loaded(d)
    harness.wait_for(lambda: len(models(d)) > 0, 10, "the seed")
    refresh(d)
    tap.eq([i for i, r in models(d).items() if r["delisted"] != "false"], [],
        "models from another seed source are not marked delisted")
    tap.eq(events(d, "model.delisted"), [], "and raise no model.delisted")
    tap.eq([i for i in models(d) if i in BASE_IDS], [],
        "the catalog does not seed when [seed] url is set")
    d.cleanup()
    srv.stop()


def t(tap):
    test_periodic(tap)
    test_refresh_verb(tap)
    test_failures(tap)
    test_shrink_delist_prices(tap)
    test_catalog_verb(tap)
    test_sync_and_seed(tap)
    test_seed_failure_and_reload(tap)
    test_other_seed_source(tap)


harness.main(t)
