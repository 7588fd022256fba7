# test_kinds.py: issue 6: model kinds (list/catalog --kind, the default is a chat model), the catalog's other prices (--json, show as words, not shown as free), expiry (expires_at, model.expiring and model.expired once, across a restart), and catalog's columns in list's order.
import json
import re
import time

import harness
import httpd

PATH = "/api/v1/models"
DAY = 86400


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def catalog_body(now, more=()):
    """An OpenRouter catalog: chat models, an image model priced per request, an embedding model."""
    def m(id, out, prompt, completion, extra_prices=None, expires=None, ctx=128000):
        pricing = {"prompt": prompt, "completion": completion}
        pricing.update(extra_prices or {})
        e = {"id": id, "name": id, "context_length": ctx,
            "architecture": {"input_modalities": ["text"], "output_modalities": out},
            "pricing": pricing, "supported_parameters": ["tools"]}
        if expires is not None:
            e["expiration_date"] = expires
        return e
    return json.dumps({"data": [
        m("acme/chat", ["text"], "0.000001", "0.000002",
            {"web_search": "0.01", "input_cache_read": "0.0000005"}),
        m("acme/soon", ["text"], "0.000001", "0.000002", expires=rfc3339(now + 3 * DAY)),
        m("acme/gone", ["text"], "0.000001", "0.000002", expires=rfc3339(now - 3600)),
        m("acme/far", ["text"], "0.000001", "0.000002", expires=rfc3339(now + 60 * DAY)),
        m("acme/flux", ["image"], "0", "0", {"request": "0.005", "image": "0.04"}),
        m("acme/embed", ["embeddings"], "0.00000002", "0"),
        m("acme/free", ["text"], "0", "0", {"request": "0", "image": "0"}),
    ] + [m(x, ["text"], "0.000001", "0.000002", expires=rfc3339(now + 2 * DAY))
        for x in more]})


def events(d, kind):
    st, recs = d.request("EVENTS kind=%s limit=1000" % kind)
    return recs


def run(t):
    now = int(time.time())
    srv = httpd.Server()
    srv.set(PATH, "bytes", data=catalog_body(now))
    d = harness.Daemon(new_model_status="active", extra=(
        "[catalog]\nurl = %s\nformat = openrouter\ninterval = 1h\n"
        "retry_min = 1h\nretry_max = 1h\ntimeout = 5\n" % srv.url(PATH)))
    harness.wait_for(lambda: d.request("CATALOG")[1], 15, "the catalog")

    # catalog: kind, --kind, the columns in list's order.
    cat = {r["id"]: r for r in d.ctl_json("catalog")}
    t.eq({k: v["kind"] for k, v in cat.items()}, {"acme/chat": "chat",
        "acme/soon": "chat", "acme/gone": "chat", "acme/far": "chat",
        "acme/flux": "image", "acme/embed": "embedding", "acme/free": "chat"},
        "catalog --json: every entry has its kind")
    t.eq([r["id"] for r in d.ctl_json("catalog", "--kind", "embedding")],
        ["acme/embed"], "catalog --kind embedding")
    p = d.ctl("catalog")
    head = p.stdout.splitlines()[0].split() if p.stdout else []
    t.eq(head, ["ID", "NAME", "KIND", "SYNCED", "ZDR", "CONTEXT", "PROMPT",
        "$/1M", "COMPL", "$/1M", "FEATURES"],
        "catalog: its columns in list's order (SYNCED where list has STATUS)")

    for m in sorted(cat):
        p = d.ctl("sync", m)
        t.eq(p.returncode, 0, "sync %s" % m, p.stderr)

    # list: kind and --kind; bad kinds are usage errors.
    models = {r["id"]: r for r in d.ctl_json("list")}
    t.eq(models["acme/embed"]["kind"], "embedding", "list --json: kind")
    t.eq([r["id"] for r in d.ctl_json("list", "--kind", "image")], ["acme/flux"],
        "list --kind image")
    p = d.ctl("list", "--kind", "video")
    t.eq(p.returncode, 2, "list --kind video: a usage error (exit 2)")
    t.like(p.stderr, "bad --kind video", "... that names the kind")
    st, recs = d.request("LIST kind=video")
    t.err(st, "usage", "LIST kind=video: ERR usage")
    st, recs = d.request("CATALOG kind=bogus")
    t.err(st, "usage", "CATALOG kind=bogus: ERR usage")
    p = d.ctl("list")
    head = p.stdout.splitlines()[0].split() if p.stdout else []
    t.eq(head[:4], ["ID", "NAME", "KIND", "STATUS"], "list: a KIND column")

    # Other prices: an object in --json, {} when none; in show; not "free".
    t.eq(models["acme/chat"]["prices"], {"input_cache_read": 5e-07,
        "web_search": 0.01}, "list --json: prices, as given")
    t.eq(models["acme/embed"]["prices"], {}, "list --json: prices {} when none")
    t.eq(models["acme/flux"]["prices"], {"image": 0.04, "request": 0.005},
        "list --json: per request and per image")
    p = d.ctl("show", "acme/flux")
    t.like(p.stdout, r'(?m)^prices: +image 0\.04, request 0\.005 \(USD per unit\)$',
        "show: the prices, as words")
    t.like(p.stdout, r"(?m)^kind: +image$", "show: the kind")
    p = d.ctl("show", "acme/chat")
    t.like(p.stdout, r'(?m)^prices: +input_cache_read 0\.0000005, web_search 0\.01 '
        r'\(USD per unit\)$', "show: a small price as a decimal, not 5e-07")
    t.ok("{" not in p.stdout, "show: no raw JSON object", p.stdout)
    p = d.ctl("show", "acme/embed")
    t.like(p.stdout, r"(?m)^prices: +-$", "show: no other prices is '-'")
    t.eq(d.ctl_json("show", "acme/flux")["prices"], {"image": 0.04, "request": 0.005},
        "show --json: prices stay an object")
    p = d.ctl("list")
    row = [l for l in p.stdout.splitlines() if l.startswith("acme/flux ")]
    t.like(row[0] if row else "", r" 0 \+image\.\.\. ",
        "list: a model priced per request or image is not shown as free")
    row = [l for l in p.stdout.splitlines() if l.startswith("acme/free ")]
    t.ok(row and "+" not in row[0], "list: a model whose prices are all 0 is free", row)

    # Expiry: expires_at, and its events once each.
    t.eq(models["acme/soon"]["expires_at"], rfc3339(now + 3 * DAY),
        "list --json: expires_at in RFC 3339")
    t.eq(models["acme/chat"]["expires_at"], None, "list --json: null without one")
    p = d.ctl("show", "acme/soon")
    t.like(p.stdout, r"(?m)^expires_at: +%s$" % rfc3339(now + 3 * DAY),
        "show: expires_at")
    harness.wait_for(lambda: events(d, "model.expired"), 10, "model.expired")
    ev = events(d, "model.expiring")
    t.eq([e.get("model") for e in ev], ["acme/soon"],
        "model.expiring for the model that expires within 14 days only")
    t.like(ev[0]["message"] if ev else "", r"^expires at \S+ \(in (2|3) days\)",
        "model.expiring says when")
    ev = events(d, "model.expired")
    t.eq([e.get("model") for e in ev], ["acme/gone"],
        "model.expired for the active model past its date")

    # The default must be a chat model that has not expired.
    st, recs = d.request("DEFAULT acme/embed")
    t.err(st, "conflict", "DEFAULT acme/embed: ERR conflict")
    t.like(st, "acme/embed is an embedding model; the default must be a chat model",
        "... with the reason")
    p = d.ctl("default", "acme/flux")
    t.eq(p.returncode != 0, True, "modelregctl default acme/flux fails")
    t.like(p.stderr, "acme/flux is an image model", "... and says why")
    st, recs = d.request("DEFAULT acme/gone")
    t.err(st, "conflict", "DEFAULT of an expired model: ERR conflict")
    t.like(st, "acme/gone expired at", "... says it expired")
    st, recs = d.request("DEFAULT acme/chat")
    t.eq(st.split()[0], "OK", "DEFAULT of a chat model: OK", st)

    # A restart and another refresh raise nothing again: once a new
    # expiring model's event is there, the pass has run.
    d.restart()
    srv.set(PATH, "bytes", data=catalog_body(now, more=["acme/soon2"]))
    p = d.ctl("refresh", "catalog")
    t.eq(p.returncode, 0, "refresh catalog after a restart", p.stderr)
    p = d.ctl("sync", "acme/soon2")
    t.eq(p.returncode, 0, "sync acme/soon2", p.stderr)
    harness.wait_for(lambda: [e for e in events(d, "model.expiring")
        if e.get("model") == "acme/soon2"], 10, "model.expiring for acme/soon2")
    t.eq(sorted(e.get("model") for e in events(d, "model.expiring")),
        ["acme/soon", "acme/soon2"], "model.expiring is not repeated after a restart")
    t.eq(len(events(d, "model.expired")), 1, "model.expired is not repeated")
    d.cleanup()


harness.main(run)
