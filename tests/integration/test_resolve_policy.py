# test_resolve_policy.py: RESOLVE, the rest of issue 9 item 3: the per-model settings in the reply (label, param.NAME=, enforced=; --json), [resolve] failover off and on with a red model (the alternatives rule, skipping models the key may not use or without ZDR, a warning when none is left), and [zdr] enforce on the asked model, the fallback and the failover.
import json
import os
import time

import harness
import httpd

MODELS = harness.data_path("up-models.json")
API = "/api/v1/models"
ALL = ["acme/alpha", "acme/beta", "acme/gamma", "other/delta", "other/eps",
    "acme/zeta:free"]
ROUTES = {
    "acme/alpha": API + "/acme/alpha/endpoints",
    "acme/beta": API + "/acme/beta/endpoints",
    "acme/gamma": API + "/acme/gamma/endpoints",
    "other/delta": API + "/other/delta/endpoints",
    "other/eps": API + "/other/eps/endpoints",
    "acme/zeta:free": API + "/acme/zeta%3Afree/endpoints",
}
# The ZDR list names these models' canonical slugs (up-models.json): not
# other/eps, the cheapest alternative of acme/alpha, nor other/delta.
ZDR = ["acme/alpha-20250101", "acme/beta-20250101", "acme/gamma-20250101"]


def serve(srv, model, colour):
    srv.set(ROUTES[model], "file", file=harness.data_path("up-%s.json" % colour),
        etag=False, last_modified=False)


def start(srv, more=""):
    extra = ("[uptime]\nurl = %s\ninterval = 1h\ntimeout = 2\nconcurrency = 2\n"
        % srv.url(API + "/{id}/endpoints")) + more
    d = harness.Daemon(seed_url=srv.url(API), seed_format="openrouter",
        always_active=ALL, default_model="acme/alpha", extra=extra,
        socket_mode="0666", access={"admin": ["root"], "service": ["*"]},
        wait_seed=True)
    d.wait_for(lambda: d.sources().get("uptime", {}).get("last_ok")
        and d.sources()["uptime"].get("state") != "running", 15,
        "the first uptime run")
    return d


def red(d, srv, models):
    """Serve models red (the others green) and run the uptime source once more."""
    for m in ROUTES:
        serve(srv, m, "red" if m in models else "green")
    t0 = int(time.time())
    # time(2) in the daemon turns the second up to a tick late: 50 ms margin.
    harness.wait_for(lambda: time.time() >= t0 + 1.05, 3, "the next second", 0.02)
    st, recs = d.request("REFRESH uptime", timeout=30)
    if st != "OK 1" or recs[0].get("outcome") != "ok":
        raise harness.HarnessError("REFRESH uptime: %s %r" % (st, recs))
    st, recs = d.request("LIST status=all")
    got = sorted(r["id"] for r in recs if r.get("health") == "red")
    if got != sorted(models):
        raise harness.HarnessError("red models: %r, wanted %r" % (got, models))


def resolve(d, line):
    st, recs = d.request(line)
    return st, (recs[0] if recs else {})


def fields(r, *keys):
    return tuple(r.get(k) for k in keys)


def key(d, name, *opts):
    p = d.ctl("key", "create", name, *opts)
    if p.returncode != 0:
        raise harness.HarnessError("key create %s: %s" % (name, p.stderr))
    return p.stdout.strip()


def test_settings_and_no_failover(t, srv):
    """failover off (the default): settings in the reply; a red model is answered."""
    for m in ROUTES:
        serve(srv, m, "green")
    d = start(srv)

    st, r = resolve(d, "RESOLVE acme/beta")
    t.eq(fields(r, "label", "param.temperature", "enforced"), (None, None, ""),
        "a model without settings: no label, no parameters, enforced empty")
    st, _ = d.request('SET acme/alpha label="Fast Alpha" temperature=0.3 '
        "max_tokens=1000 enforce=temperature")
    t.eq(st, "OK 1", "SET label, temperature, max_tokens, enforce")
    st, r = resolve(d, "RESOLVE acme/alpha")
    t.eq(fields(r, "id", "label", "param.temperature", "param.max_tokens",
        "param.top_p", "enforced", "reason"),
        ("acme/alpha", "Fast Alpha", "0.3", "1000", None, "temperature", "requested"),
        "RESOLVE carries label, param.NAME= (the ones set) and enforced=")
    st, r = resolve(d, "RESOLVE")
    t.eq(fields(r, "id", "label", "param.temperature", "reason"),
        ("acme/alpha", "Fast Alpha", "0.3", "default"),
        "the default's settings when none is asked for")
    j = d.ctl_json("resolve", "acme/alpha")
    t.eq(sorted(j), sorted(["id", "name", "label", "provider", "kind", "params",
        "enforced", "reason", "requested", "why", "replaced", "warning",
        "key_name"]), "resolve --json: RESOLVE's fields, one object", repr(j))
    t.eq((j["label"], j["params"], j["enforced"], j["reason"], j["why"]),
        ("Fast Alpha", {"temperature": 0.3, "max_tokens": 1000}, ["temperature"],
        "requested", None),
        "resolve --json: label, params as numbers, enforced as a list")
    j = d.ctl_json("resolve", "acme/beta")
    t.eq((j["label"], j["params"], j["enforced"]), (None, {}, []),
        "resolve --json without settings: null, {}, []")
    p = d.ctl("resolve", "acme/alpha")
    t.like(p.stdout, r"(?m)^label:\s+Fast Alpha$", "resolve's text shows the label")
    t.like(p.stdout, r"(?m)^param\.temperature:\s+0\.3$",
        "resolve's text shows the parameters")

    red(d, srv, ["acme/alpha"])
    st, r = resolve(d, "RESOLVE acme/alpha")
    t.eq(fields(r, "id", "reason", "why", "replaced", "warning"),
        ("acme/alpha", "requested", None, None, None),
        "failover off: a red model is answered as it is, with no warning")
    st, r = resolve(d, "RESOLVE")
    t.eq(fields(r, "id", "reason"), ("acme/alpha", "default"),
        "failover off: a red default is answered")
    d.stop()
    d.cleanup()


def test_failover(t, srv):
    """failover = yes, [zdr] enforce = yes."""
    for m in ROUTES:
        serve(srv, m, "green")
    srv.set("/zdr", "bytes", data=json.dumps({"data": [{"model_id": s} for s in ZDR]}),
        etag=False, last_modified=False)
    d = start(srv, "[zdr]\nurl = %s\ninterval = 1h\nenforce = yes\n"
        "[resolve]\nfailover = yes\n" % srv.url("/zdr"))
    d.wait_for(lambda: d.sources().get("zdr", {}).get("last_ok"), 15,
        "the first ZDR refresh")
    st, recs = d.request("LIST status=all")
    z = {r["id"]: r.get("zdr") for r in recs}
    t.eq(sorted(k for k, v in z.items() if v == "true"),
        ["acme/alpha", "acme/beta", "acme/gamma"], "ZDR: alpha, beta and gamma")

    # ZDR on the asked model, without failover coming in (all green)
    st, r = resolve(d, "RESOLVE other/eps")
    t.eq(fields(r, "id", "reason", "requested", "why"),
        ("acme/alpha", "fallback", "other/eps", "no_zdr"),
        "zdr enforce: a model without ZDR is not answered; fallback, why no_zdr")
    st, r = resolve(d, "RESOLVE acme/gamma")
    t.eq(fields(r, "id", "reason", "why", "replaced"),
        ("acme/gamma", "requested", None, None),
        "a green model with ZDR: requested, nothing replaced")

    red(d, srv, ["acme/alpha"])
    st, r = resolve(d, "RESOLVE acme/alpha")
    t.eq(fields(r, "id", "reason", "requested", "why", "replaced", "warning"),
        ("acme/beta", "failover", "acme/alpha", "red", "acme/alpha", None),
        "failover: the red model's cheapest healthy alternative with ZDR "
        "(other/eps, cheaper, has none)")
    st, r = resolve(d, "RESOLVE")
    t.eq(fields(r, "id", "reason", "requested", "why", "replaced"),
        ("acme/beta", "failover", None, "red", "acme/alpha"),
        "failover of the red default, nothing asked for")
    st, r = resolve(d, "RESOLVE other/eps")
    t.eq(fields(r, "id", "reason", "requested", "why", "replaced"),
        ("acme/beta", "failover", "other/eps", "red", "acme/alpha"),
        "no ZDR, so the fallback, which is red, so its failover")

    # keys: a failover target the key may not use is no candidate
    ag = key(d, "ag", "--models", "acme/alpha,acme/gamma")
    only = key(d, "only", "--models", "acme/alpha")
    st, r = resolve(d, "RESOLVE acme/alpha key=" + ag)
    t.eq(fields(r, "id", "reason", "replaced", "key_name"),
        ("acme/gamma", "failover", "acme/alpha", "ag"),
        "failover skips acme/beta, which the key may not use")
    st, r = resolve(d, "RESOLVE acme/alpha key=" + only)
    t.eq(fields(r, "id", "reason", "why", "replaced"),
        ("acme/alpha", "requested", None, None),
        "no alternative the key may use: the red model itself")
    t.like(r.get("warning") or "", r"^acme/alpha is red and none of its 3 healthy "
        r"alternatives may be answered \(2 not allowed for the key, 1 without ZDR\)$",
        "... with a warning saying why")

    # every model red: no alternative at all
    red(d, srv, list(ROUTES))
    st, r = resolve(d, "RESOLVE acme/alpha")
    t.eq(fields(r, "id", "reason", "warning"),
        ("acme/alpha", "requested", "acme/alpha is red and has no healthy alternative"),
        "every model red: the red model, with a warning")

    # a default without ZDR is never answered
    red(d, srv, [])
    st, _ = d.request("DEFAULT other/eps")
    t.eq(st, "OK 1", "make other/eps (no ZDR) the default")
    st, r = resolve(d, "RESOLVE")
    t.err(st, "unavailable", "zdr enforce: a default without ZDR is ERR unavailable")
    t.like(st, r"the default other/eps has no ZDR endpoint \(\[zdr\] enforce = yes\)",
        "... saying why")
    st, r = resolve(d, "RESOLVE other/delta")
    t.err(st, "unavailable", "zdr enforce: no ZDR, and its fallback has none either")
    t.like(st, r"other/delta has no ZDR endpoint and its fallback, the default other/eps, has "
        r"no ZDR endpoint", "... saying both")
    st, r = resolve(d, "RESOLVE acme/beta")
    t.eq(fields(r, "id", "reason"), ("acme/beta", "requested"),
        "a model with ZDR is still answered")
    d.stop()
    d.cleanup()


def run(t):
    if os.geteuid() != 0:
        t.skip("resolve policy", "needs root (access lists)")
        return
    srv = httpd.Server()
    srv.set(API, "file", file=MODELS)
    test_settings_and_no_failover(t, srv)
    test_failover(t, srv)


harness.main(run)
