# test_zdr.py: zero data retention: the ZDR list by canonical slug, zdr in model JSON, SYNC refused and automatic removal when enforced, default reassignment, the guards (failures, empty lists, mass removal), and losses through a change of canonical slug.
import json
import os
import re
import tempfile

import harness
import httpd

CATALOG = harness.data_path("zdr-catalog.json")
ENDPOINTS = harness.data_path("zdr-endpoints.json")

# The synced models of every scenario (all active: new_model_status = active).
# Each has ZDR in zdr-endpoints.json: by its canonical slug, or by its id for
# plain/eta, which has no canonical slug.
SYNCED = ["acme/alpha", "acme/beta", "acme/gamma", "other/delta", "other/eps",
    "plain/eta"]
SLUG = {"acme/alpha": "acme/alpha-20250101", "acme/beta": "acme/beta-20250201",
    "acme/gamma": "acme/gamma-20250301", "other/delta": "other/delta-20250401",
    "other/eps": "other/eps-20250501", "plain/eta": "plain/eta"}

with open(ENDPOINTS, "rb") as f:
    ALL_ENDPOINTS = json.load(f)["data"]


def zdr_list(without=()):
    """zdr-endpoints.json without the endpoints of the canonical slugs of the given models."""
    drop = {SLUG[m] for m in without}
    return json.dumps({"data": [e for e in ALL_ENDPOINTS
        if not (isinstance(e, dict) and isinstance(e.get("model_id"), str)
            and e["model_id"] in drop)]})


def start(srv, enforce=True, fallback="", timeout=5, key_file=None):
    extra = ("[catalog]\nurl = %s\nformat = openrouter\ninterval = 1h\n"
        "retry_min = 1h\nretry_max = 1h\ntimeout = 5\n"
        "[zdr]\nurl = %s\ninterval = 1h\nretry_min = 1h\nretry_max = 1h\n"
        "timeout = %d\nenforce = %s\n" % (srv.url("/catalog"), srv.url("/zdr"),
        timeout, "yes" if enforce else "no"))
    if key_file:
        extra += "api_key_file = %s\n" % key_file
    if fallback:
        extra += "[defaults]\nfallback = %s\n" % fallback
    d = harness.Daemon(new_model_status="active", extra=extra)
    # Both sources run once at start: the catalog succeeds, ZDR gets a 500.
    d.wait_for(lambda: (source(d, "catalog") or {}).get("last_ok"), 15,
        "the first catalog refresh")
    d.wait_for(lambda: (source(d, "zdr") or {}).get("last_error"), 15,
        "the first ZDR run to fail")
    return d


def source(d, name):
    st, recs = d.request("STATUS")
    for r in recs:
        if r.get("source") == name:
            return r
    return None


def refresh(d, force=False):
    """modelregctl refresh zdr [--force]: (exit code, outcome, message)."""
    args = ["refresh", "zdr"] + (["--force"] if force else [])
    p = d.ctl(*args, json=True)
    try:
        recs = json.loads(p.stdout)
    except ValueError:
        return p.returncode, None, p.stdout + p.stderr
    r = [x for x in recs if x.get("source") == "zdr"]
    if not r:
        return p.returncode, None, p.stdout
    return p.returncode, r[0].get("outcome"), r[0].get("message")


def show(d, model):
    """modelregctl show --json: the model object, or None when it is not in the registry."""
    p = d.ctl("show", model, json=True)
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)


def ids(d):
    st, recs = d.request("LIST status=all")
    return sorted(r["id"] for r in recs)


def default_id(d):
    st, recs = d.request("LIST status=all")
    return [r["id"] for r in recs if r.get("default") == "true"] or [None]


def events(d, kind):
    st, recs = d.request("EVENTS kind=%s limit=1000" % kind)
    return recs


def zdr_flags(d):
    return {m: (show(d, m) or {}).get("zdr", "absent") for m in SYNCED}


def audit(d, sql, *args):
    c = d.open_db()
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def sync_all(t, d, models):
    for m in models:
        p = d.ctl("sync", m)
        t.eq(p.returncode, 0, "sync %s" % m, p.stderr)


def test_enforced(t, srv):
    """enforce = yes, [defaults] fallback: SYNC, losses, the guards, mass removal."""
    srv.set("/catalog", "file", file=CATALOG)
    srv.set("/zdr", "status", code=500, data=b"upstream trouble")
    d = start(srv, fallback="nope/missing other/eps acme/gamma")

    # Before any good ZDR response: unknown, and SYNC refuses under enforcement.
    z = source(d, "zdr")
    t.like(z.get("last_error") or "", "500", "STATUS shows the failed first ZDR run")
    cat = d.ctl_json("catalog")
    t.ok(all(c.get("zdr") is None for c in cat), "catalog: zdr null before any ZDR refresh")
    p = d.ctl("sync", "acme/alpha")
    t.ok(p.returncode != 0 and re.search("ZDR|zdr", p.stderr),
        "sync refused while ZDR is unknown", p.stderr)
    t.eq(ids(d), [], "nothing synced")

    srv.set("/zdr", "bytes", data=zdr_list())
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "refresh zdr succeeds", msg)
    t.like(msg or "", r"9 ZDR endpoints for 8 models", "the message counts endpoints and models")
    t.like(msg or "", r"skipped 18 entries", "the message counts skipped entries")
    t.eq(source(d, "zdr").get("items"), "9", "STATUS items: ZDR endpoints")
    t.ok(not source(d, "zdr").get("last_error"), "STATUS: no last_error after a success")

    # SYNC: the canonical slug decides, not the id.
    p = d.ctl("sync", "nozdr/zeta")
    t.ok(p.returncode != 0 and "nozdr/zeta" in p.stderr,
        "sync of a model without ZDR is refused (its id is listed, its slug is not)",
        p.stderr)
    sync_all(t, d, SYNCED)
    t.eq(ids(d), sorted(SYNCED), "six models synced")
    t.ok(d.ctl("default", "acme/alpha").returncode == 0, "acme/alpha is the default")
    a = show(d, "acme/alpha")
    t.eq((a.get("zdr"), a.get("canonical_slug")), (True, "acme/alpha-20250101"),
        "show --json: zdr true, with the canonical slug")
    t.eq(show(d, "plain/eta").get("zdr"), True, "a model without a canonical slug: its id is its slug")
    cat = {c["id"]: c for c in d.ctl_json("catalog")}
    t.eq((cat["other/theta"]["zdr"], cat["nozdr/zeta"]["zdr"]), (True, False),
        "catalog: zdr true and false")

    # The conditional GET: the same list again is a 304.
    n = len(srv.requests_for("/zdr"))
    rc, outcome, msg = refresh(d)
    reqs = srv.requests_for("/zdr")[n:]
    t.eq((rc, outcome), (0, "ok"), "refresh zdr again", msg)
    t.ok(reqs and "if-none-match" in reqs[-1]["headers"],
        "the second fetch is conditional (If-None-Match)")
    t.like(msg or "", "not changed", "a 304 says the list has not changed")

    # Guards: failures, invalid and empty lists remove nothing.
    guards = [
        ("an HTTP 500", ("status", {"code": 500}), r"500"),
        ("invalid JSON", ("invalid", {"data": b'{"data": [ {"model_id": '}),
            r"not valid JSON"),
        ("a truncated body", ("truncated", {"data": zdr_list(["acme/alpha"])[:200]}),
            r"."),
        ("no data member", ("file", {"file": harness.data_path("zdr-no-data.json")}),
            r"no \"data\""),
        ("data not an array", ("file", {"file": harness.data_path("zdr-data-object.json")}),
            r"not an array"),
        ("an empty list", ("file", {"file": harness.data_path("zdr-empty.json")}),
            r"the ZDR list is empty"),
        ("a list without one usable entry", ("file",
            {"file": harness.data_path("zdr-junk-only.json")}), r"empty"),
    ]
    for what, (mode, kw), want in guards:
        srv.set("/zdr", mode, **kw)
        rc, outcome, msg = refresh(d)
        t.eq((rc, outcome), (1, "failed"), "%s: refresh zdr fails" % what, msg)
        t.like(msg or "", want, "%s: the message says why" % what)
        t.like(source(d, "zdr").get("last_error") or "", want,
            "%s: STATUS shows the failure" % what)
        t.eq(ids(d), sorted(SYNCED), "%s: nothing removed" % what)
    t.eq(set(zdr_flags(d).values()), {True}, "every synced model still has ZDR")
    t.eq(default_id(d), ["acme/alpha"], "the default is unchanged")
    t.ok(len(events(d, "sync.failed")) >= 1, "a sync.failed event was raised")

    # acme/alpha, the default, loses ZDR: 1 of 6 (17%) is within max_remove.
    srv.set("/zdr", "bytes", data=zdr_list(["acme/alpha"]))
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "refresh zdr: acme/alpha lost ZDR", msg)
    t.like(msg or "", "acme/alpha", "the message names the removed model")
    t.eq(show(d, "acme/alpha"), None, "acme/alpha was removed")
    t.eq(default_id(d), ["other/eps"],
        "the new default is the first active model of [defaults] fallback")
    rows = audit(d, "SELECT actor, action, uid, old FROM audit WHERE model = ?"
        " AND action = 'delete'", "acme/alpha")
    t.eq([(r[0], r[1]) for r in rows], [("zdr", "delete")], "audit: deleted by actor zdr")
    t.eq(rows and rows[0][2], os.geteuid(), "audit: uid is the daemon's")
    old = json.loads(rows[0][3]) if rows else {}
    t.eq((old.get("name"), old.get("context_length"), old.get("status")),
        ("Acme: Alpha", 128000, "active"), "audit: the whole row as the old value")
    rows = audit(d, "SELECT actor, old, new FROM audit WHERE action = 'default'"
        " ORDER BY id DESC LIMIT 1")
    t.eq(rows, [("zdr", "acme/alpha", "other/eps")], "audit: the default moved, actor zdr")
    ev = [e for e in events(d, "model.zdr_lost") if e.get("model") == "acme/alpha"]
    t.eq(len(ev), 1, "event model.zdr_lost for acme/alpha")
    ev = [e for e in events(d, "model.removed") if e.get("model") == "acme/alpha"]
    t.eq(len(ev), 1, "event model.removed for acme/alpha")
    ev = events(d, "default.changed")
    det = json.loads(ev[-1]["details"]) if ev else {}
    t.eq(det, {"old": "acme/alpha", "new": "other/eps", "reason": "zdr",
        "relaxed": []}, "event default.changed names the old and the new default")
    t.like(ev[-1]["message"] if ev else "", "this model is the new default",
        "the event says which model is the default now")

    # Mass removal: 2 of 5 (40%) is above 25%: held, nothing applied.
    srv.set("/zdr", "bytes", data=zdr_list(["acme/alpha", "acme/beta", "acme/gamma"]))
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (1, "held"), "refresh zdr: a mass removal is held", msg)
    t.like(msg or "", r"2 of the 5", "the message counts what would go")
    z = source(d, "zdr")
    t.eq(z.get("state"), "held", "STATUS: the ZDR source is held")
    t.like(z.get("held") or "", "2 of the 5.*--force", "STATUS says why it is held and how to apply it")
    t.eq(ids(d), sorted(set(SYNCED) - {"acme/alpha"}), "held: nothing removed")
    t.eq((show(d, "acme/beta") or {}).get("zdr"), True, "held: the ZDR list is not replaced either")
    t.eq([(show(d, m) or {}).get("status") for m in ("acme/beta", "acme/gamma")],
        ["inactive", "inactive"], "held: the two it would remove are deactivated at once")
    t.eq(events(d, "sync.suspicious"), [], "held: no sync.suspicious any more")
    t.eq(len(events(d, "sync.held")), 1, "held: event sync.held")
    t.eq(len(events(d, "model.removed")), 1, "held: no model.removed event")

    rc, outcome, msg = refresh(d, force=True)
    t.eq((rc, outcome), (0, "ok"), "refresh zdr --force applies it", msg)
    t.eq(ids(d), ["other/delta", "other/eps", "plain/eta"], "forced: both removed")
    t.eq(source(d, "zdr").get("state"), "idle", "STATUS: no longer held")
    t.eq(len(events(d, "model.removed")), 3, "three model.removed events in all")
    t.eq(default_id(d), ["other/eps"], "the default did not move")
    d.cleanup()


def test_alternatives(t, srv):
    """enforce = yes without fallback: the best alternative, then no candidate at all."""
    srv.set("/catalog", "file", file=CATALOG)
    srv.set("/zdr", "status", code=503)
    d = start(srv)
    srv.set("/zdr", "bytes", data=zdr_list())
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "alternatives: first good ZDR list", msg)
    sync_all(t, d, SYNCED)
    d.ctl("default", "acme/alpha", check=0)

    # acme/alpha (tools, 128k): acme/beta is the cheapest with tools and 128k.
    srv.set("/zdr", "bytes", data=zdr_list(["acme/alpha"]))
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "acme/alpha loses ZDR", msg)
    t.eq(default_id(d), ["acme/beta"], "the new default is the best alternative")
    ev = events(d, "default.changed")
    t.eq(json.loads(ev[-1]["details"]) if ev else None,
        {"old": "acme/alpha", "new": "acme/beta", "reason": "zdr", "relaxed": []},
        "default.changed: alpha -> beta")

    # other/delta (vision, tools, 200k) has no strict stand-in: nothing has
    # vision or 200k, so context and then features are relaxed, and the
    # cheapest healthy active chat model left (other/eps) becomes the default.
    d.ctl("default", "other/delta", check=0)
    srv.set("/zdr", "bytes", data=zdr_list(["acme/alpha", "other/delta"]))
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "other/delta loses ZDR", msg)
    t.eq(show(d, "other/delta"), None, "other/delta was removed")
    t.eq(default_id(d), ["other/eps"],
        "no strict alternative: the default is not lost (criteria relaxed)")
    ev = events(d, "default.changed")
    t.eq(json.loads(ev[-1]["details"]) if ev else None,
        {"old": "other/delta", "new": "other/eps", "reason": "zdr",
            "relaxed": ["context", "features"]},
        "default.changed: relaxed context and features")
    t.like(ev[-1]["message"] if ev else "",
        r"this model is the new default, chosen with relaxed criteria \(context, features\)",
        "the event's message says which criteria were relaxed")

    # No active chat model at all but the default: then, and only then, no default.
    for m in ("acme/beta", "acme/gamma", "plain/eta"):
        p = d.ctl("deactivate", m, yes=True)
        t.eq(p.returncode, 0, "deactivate %s" % m, p.stderr)
    srv.set("/zdr", "bytes", data=zdr_list(["acme/alpha", "other/delta", "other/eps"]))
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "other/eps loses ZDR", msg)
    t.eq(default_id(d), [None], "no active chat model: the registry has no default")
    p = d.ctl("default")
    t.like(p.stdout + p.stderr, "no default", "modelregctl default says there is none")
    ev = events(d, "default.changed")
    t.eq(json.loads(ev[-1]["details"]) if ev else None,
        {"old": "other/eps", "new": None, "reason": "zdr", "relaxed": []},
        "default.changed: new is null")
    t.like(ev[-1]["message"] if ev else "",
        "no active chat model is left, so there is no default model now",
        "the event says plainly that there is no default")
    d.cleanup()


def test_not_enforced(t, srv):
    """enforce = no: zdr is shown and losses raise events, nothing is removed."""
    srv.set("/catalog", "file", file=CATALOG)
    srv.set("/zdr", "status", code=500)
    fd, key_file = tempfile.mkstemp(prefix="modelreg-zdr-key-")
    os.write(fd, b"zdr-sekrit-token\n")
    os.close(fd)
    try:
        d = start(srv, enforce=False, timeout=1, key_file=key_file)
        not_enforced(t, srv, d, key_file)
    finally:
        if os.path.exists(key_file):
            os.unlink(key_file)
    d.cleanup()


def not_enforced(t, srv, d, key_file):
    sync_all(t, d, SYNCED + ["nozdr/zeta"])
    t.eq({m: show(d, m).get("zdr") for m in SYNCED + ["nozdr/zeta"]},
        {m: None for m in SYNCED + ["nozdr/zeta"]},
        "show --json: zdr null before any ZDR refresh")
    srv.set("/zdr", "bytes", data=zdr_list())
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "not enforced: refresh zdr", msg)
    t.eq(show(d, "nozdr/zeta").get("zdr"), False,
        "zdr false: only its id is listed, not its canonical slug")
    t.eq(set(zdr_flags(d).values()), {True}, "the others have ZDR")
    # Three of six lose ZDR: no guard without removals.
    srv.set("/zdr", "bytes", data=zdr_list(["acme/alpha", "acme/beta", "acme/gamma"]))
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "not enforced: losses are applied", msg)
    t.eq(ids(d), sorted(SYNCED + ["nozdr/zeta"]), "not enforced: nothing removed")
    t.eq([show(d, m).get("zdr") for m in ("acme/alpha", "acme/beta", "acme/gamma",
        "other/delta")], [False, False, False, True], "zdr false for the three")
    t.eq(sorted(e["model"] for e in events(d, "model.zdr_lost")),
        ["acme/alpha", "acme/beta", "acme/gamma"], "one model.zdr_lost event each")
    t.eq(events(d, "model.removed"), [], "no model.removed event")
    # A model that never had ZDR does not lose it again.
    rc, outcome, msg = refresh(d)
    t.eq(len(events(d, "model.zdr_lost")), 3, "no new events for the same list")

    # The bearer token, and failures of the transfer itself.
    t.eq(srv.requests_for("/zdr")[-1]["headers"].get("authorization"),
        "Bearer zdr-sekrit-token", "the api_key_file's token is sent as a bearer token")
    srv.set("/zdr", "hang")
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (1, "failed"), "a hanging server: refresh zdr fails", msg)
    t.like(msg or "", "timed out", "the message says it timed out")
    os.unlink(key_file)
    srv.set("/zdr", "bytes", data=zdr_list())
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (1, "failed"), "a missing api_key_file: refresh zdr fails", msg)
    t.like(msg or "", "api_key_file", "the message names the api_key_file")
    t.ok("zdr-sekrit" not in d.log_text(), "the token never appears in the log")
    t.eq(ids(d), sorted(SYNCED + ["nozdr/zeta"]), "after the failures: nothing removed")


def catalog_with(slugs):
    """zdr-catalog.json with the canonical slugs of some models changed: {id: slug}."""
    with open(CATALOG, "rb") as f:
        cat = json.load(f)
    for m in cat["data"]:
        if m.get("id") in slugs:
            m["canonical_slug"] = slugs[m["id"]]
    return json.dumps(cat)


def endpoints(drop=(), add=()):
    """zdr-endpoints.json without the endpoints of the slugs in drop, plus one for each slug in add."""
    data = [e for e in ALL_ENDPOINTS if not (isinstance(e, dict)
        and isinstance(e.get("model_id"), str) and e["model_id"] in drop)]
    data += [{"name": "Acme | %s" % s, "model_id": s, "provider_name": "Acme"}
        for s in add]
    return json.dumps({"data": data})


def refresh_catalog(t, d, srv, slugs, what):
    srv.set("/catalog", "bytes", data=catalog_with(slugs))
    p = d.ctl("refresh", "catalog")
    t.eq(p.returncode, 0, "%s: refresh catalog" % what, p.stdout + p.stderr)
    for m, s in slugs.items():
        if show(d, m) is not None:
            t.eq(show(d, m).get("canonical_slug"), s,
                "%s: %s has the canonical slug %s" % (what, m, s))


def zdr_had(d):
    """The state key zdr_had ({id: added_at} of the models that had ZDR at the last apply)."""
    rows = audit(d, "SELECT value FROM state WHERE key = 'zdr_had'")
    return json.loads(rows[0][0]) if rows else None


def lost_models(d, kind):
    return sorted(e.get("model") for e in events(d, kind))


def test_slug_change(t, srv):
    """enforce = yes: a model whose canonical slug a catalog refresh changed still loses ZDR."""
    srv.set("/catalog", "file", file=CATALOG)
    srv.set("/zdr", "status", code=500)
    d = start(srv)
    srv.set("/zdr", "bytes", data=endpoints())
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "slug: first good ZDR list", msg)
    sync_all(t, d, SYNCED)
    d.ctl("default", "acme/beta", check=0)
    had = zdr_had(d)
    t.eq(had, {}, "slug: zdr_had is recorded at the apply: nothing was synced then")
    # A 304 compares the models again and records them.
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "slug: the same list again", msg)
    t.like(msg or "", "not changed", "slug: it was a 304")
    had = zdr_had(d) or {}
    t.eq(sorted(had), sorted(SYNCED), "slug: zdr_had names the six synced models")
    t.eq(had, dict(audit(d, "SELECT id, added_at FROM models")),
        "slug: zdr_had keeps each model's added_at")

    # acme/gamma gets a new slug that the next list names: it keeps ZDR.
    slugs = {"acme/gamma": "acme/gamma-20250901"}
    refresh_catalog(t, d, srv, slugs, "keep")
    t.eq(show(d, "acme/gamma").get("zdr"), False,
        "keep: zdr false at once (the last list does not name the new slug)")
    srv.set("/zdr", "bytes", data=endpoints(drop={"acme/gamma-20250301"},
        add=["acme/gamma-20250901"]))
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "keep: refresh zdr", msg)
    t.ok("lost" not in (msg or ""), "keep: the message reports no loss", msg)
    t.eq(ids(d), sorted(SYNCED), "keep: nothing removed")
    t.eq(show(d, "acme/gamma").get("zdr"), True, "keep: acme/gamma has ZDR by its new slug")
    t.eq(lost_models(d, "model.zdr_lost"), [], "keep: no model.zdr_lost event")

    # acme/beta, the default, gets a new slug that no list names: it lost ZDR.
    slugs["acme/beta"] = "acme/beta-20250901"
    refresh_catalog(t, d, srv, slugs, "lose")
    t.eq(ids(d), sorted(SYNCED), "lose: a catalog refresh removes nothing by itself")
    srv.set("/zdr", "bytes", data=endpoints(drop={"acme/gamma-20250301",
        "acme/beta-20250201"}, add=["acme/gamma-20250901"]))
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "lose: refresh zdr", msg)
    t.like(msg or "", "1 lost ZDR, removed: acme/beta", "lose: the message names it")
    t.eq(show(d, "acme/beta"), None, "lose: acme/beta was removed")
    t.eq(lost_models(d, "model.zdr_lost"), ["acme/beta"], "lose: event model.zdr_lost")
    ev = [e for e in events(d, "model.zdr_lost") if e.get("model") == "acme/beta"]
    t.eq(json.loads(ev[0]["details"]) if ev else None,
        {"slug": "acme/beta-20250901", "enforced": True},
        "lose: model.zdr_lost names the slug it has now")
    t.eq(lost_models(d, "model.removed"), ["acme/beta"], "lose: event model.removed")
    rows = audit(d, "SELECT actor, uid FROM audit WHERE model = ? AND action = 'delete'",
        "acme/beta")
    t.eq(rows, [("zdr", os.geteuid())], "lose: audit delete by actor zdr")
    t.eq(default_id(d), ["acme/alpha"],
        "lose: the default moved to the best alternative (tools, 128k, cheapest)")
    ev = events(d, "default.changed")
    t.eq(json.loads(ev[-1]["details"]) if ev else None,
        {"old": "acme/beta", "new": "acme/alpha", "reason": "zdr", "relaxed": []},
        "lose: default.changed")
    t.eq(sorted(zdr_had(d) or {}), sorted(set(SYNCED) - {"acme/beta"}),
        "lose: the removed model is no longer in zdr_had")

    # other/delta gets a new slug, and the list comes back unchanged (304).
    slugs["other/delta"] = "other/delta-20250901"
    refresh_catalog(t, d, srv, slugs, "304")
    n = len(srv.requests_for("/zdr"))
    rc, outcome, msg = refresh(d)
    reqs = srv.requests_for("/zdr")[n:]
    t.ok(reqs and "if-none-match" in reqs[-1]["headers"], "304: the fetch was conditional")
    t.eq((rc, outcome), (0, "ok"), "304: refresh zdr", msg)
    t.like(msg or "", "not changed.*1 lost ZDR, removed: other/delta",
        "304: the list has not changed, but other/delta lost ZDR")
    t.eq(show(d, "other/delta"), None, "304: other/delta was removed")
    t.eq(lost_models(d, "model.removed"), ["acme/beta", "other/delta"],
        "304: event model.removed")

    # Failures change nothing, zdr_had included.
    had = zdr_had(d)
    t.eq(sorted(had or {}), ["acme/alpha", "acme/gamma", "other/eps", "plain/eta"],
        "zdr_had: the four models left")
    slugs["acme/alpha"] = "acme/alpha-20250901"
    slugs["acme/gamma"] = "acme/gamma-20251001"
    refresh_catalog(t, d, srv, slugs, "held")
    for what, (mode, kw) in [("an HTTP 500", ("status", {"code": 500})),
            ("an empty list", ("bytes", {"data": '{"data": []}'})),
            ("invalid JSON", ("invalid", {}))]:
        srv.set("/zdr", mode, **kw)
        rc, outcome, msg = refresh(d)
        t.eq((rc, outcome), (1, "failed"), "%s: refresh zdr fails" % what, msg)
        t.eq(zdr_had(d), had, "%s: zdr_had unchanged" % what)
    t.eq(ids(d), ["acme/alpha", "acme/gamma", "other/eps", "plain/eta"],
        "after the failures: nothing removed")

    # Two of the four lost ZDR by their slugs: 50% is held, then forced.
    srv.set("/zdr", "bytes", data=endpoints(drop={"acme/gamma-20250301",
        "acme/beta-20250201", "acme/alpha-20250101"}, add=["acme/gamma-20250901"]))
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (1, "held"), "held: the slug losses count for max_remove", msg)
    t.like(msg or "", r"2 of the 4 .*acme/alpha, acme/gamma", "held: the message counts them")
    t.eq(zdr_had(d), had, "held: zdr_had unchanged")
    t.eq(ids(d), ["acme/alpha", "acme/gamma", "other/eps", "plain/eta"], "held: nothing removed")
    rc, outcome, msg = refresh(d, force=True)
    t.eq((rc, outcome), (0, "ok"), "held: refresh zdr --force", msg)
    t.eq(ids(d), ["other/eps", "plain/eta"], "forced: both removed")
    t.eq(default_id(d), ["plain/eta"], "forced: the default moved")
    t.eq(sorted(zdr_had(d) or {}), ["other/eps", "plain/eta"], "forced: zdr_had follows")
    d.cleanup()


def status_of(d, m):
    j = show(d, m) or {}
    return (j.get("status"), j.get("status_source"), j.get("status_reason"))


def test_hold(t, srv):
    """The hold fails safe: deactivate at once, default first, sync.held, reactivate, --force."""
    srv.set("/catalog", "file", file=CATALOG)
    srv.set("/zdr", "status", code=500)
    d = start(srv)
    srv.set("/zdr", "bytes", data=zdr_list())
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "hold: first good ZDR list", msg)
    sync_all(t, d, SYNCED)
    d.ctl("default", "acme/beta", check=0)
    t.eq(status_of(d, "acme/alpha"), ("active", "seed", None),
        "hold: status_reason is null when there is none")
    st, _ = d.request("REFRESH zdr force=yes")
    t.eq(st, "ERR conflict nothing is held for zdr; --force applies a held response",
        "hold: --force with nothing held is refused")
    n0 = len(events(d, "model.deactivated"))

    # 3 of 6 (50%) is above max_remove 25%: held, the three deactivated, none deleted.
    srv.set("/zdr", "bytes", data=zdr_list(["acme/alpha", "acme/beta", "acme/gamma"]))
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (1, "held"), "hold: a mass removal is held", msg)
    t.like(msg or "", r"3 of the 6 .*deactivated until refresh zdr --force",
        "hold: the message says they are deactivated until --force")
    t.eq(ids(d), sorted(SYNCED), "hold: nothing deleted")
    for m in ("acme/alpha", "acme/beta", "acme/gamma"):
        t.eq(status_of(d, m), ("inactive", "auto", "zdr_held"),
            "hold: %s deactivated (auto, zdr_held)" % m)
    t.eq(status_of(d, "other/eps")[0], "active", "hold: the others stay active")
    dflt = default_id(d)[0]
    t.ok(dflt not in (None, "acme/alpha", "acme/beta", "acme/gamma"),
        "hold: the default moved to a model the hold keeps", dflt)
    ev = events(d, "default.changed")
    t.eq(json.loads(ev[-1]["details"]) if ev else None,
        {"old": "acme/beta", "new": dflt, "reason": "zdr_held", "relaxed": []},
        "hold: default.changed, reason zdr_held")
    ev = events(d, "model.deactivated")[n0:]
    t.eq(sorted(e["model"] for e in ev), ["acme/alpha", "acme/beta", "acme/gamma"],
        "hold: one model.deactivated each")
    t.eq({json.loads(e["details"]).get("reason") for e in ev}, {"zdr_held"},
        "hold: model.deactivated says reason zdr_held")
    t.ok(ev and all(e["model"] not in e["message"].replace(SLUG[e["model"]], "")
        for e in ev), "hold: the message does not repeat the model id")
    rows = audit(d, "SELECT model, actor FROM audit WHERE action = 'deactivate'"
        " ORDER BY model")
    t.eq(rows, [("acme/alpha", "zdr"), ("acme/beta", "zdr"), ("acme/gamma", "zdr")],
        "hold: an audit row each, actor zdr")
    ev = events(d, "sync.held")
    t.eq(len(ev), 1, "hold: one sync.held event")
    det = json.loads(ev[0]["details"]) if ev else {}
    t.eq((det.get("source"), det.get("would_remove"), det.get("with_zdr"),
        det.get("max_remove"), det.get("deactivated")), ("zdr", 3, 6, 25, 3),
        "hold: sync.held carries the counts")
    t.like(ev[0]["message"] if ev else "", r"3 of the 6", "hold: and says them")
    t.eq(events(d, "sync.suspicious"), [], "hold: no sync.suspicious")

    # The same response again: nothing new.
    rc, outcome, msg = refresh(d)
    t.eq(outcome, "held", "hold: the same response is held again", msg)
    t.eq((len(events(d, "sync.held")), len(events(d, "model.deactivated"))),
        (1, n0 + 3), "hold: no second sync.held, no second deactivation")

    # A person takes acme/gamma over (activates, then deactivates it).
    t.eq(d.ctl("activate", "acme/gamma").returncode, 0, "hold: a person activates acme/gamma")
    t.eq(d.ctl("deactivate", "acme/gamma", yes=True).returncode, 0,
        "hold: and deactivates it")
    t.eq(status_of(d, "acme/gamma"), ("inactive", "manual", None),
        "hold: a person's change clears the reason")

    # A valid list names them all again: only the hold's own are reactivated.
    srv.set("/zdr", "bytes", data=zdr_list())
    rc, outcome, msg = refresh(d)
    t.eq((rc, outcome), (0, "ok"), "hold: a valid list is applied", msg)
    t.like(msg or "", r"reactivated: acme/alpha, acme/beta", "hold: the message names them")
    t.eq(status_of(d, "acme/alpha"), ("active", "auto", None), "hold: acme/alpha reactivated")
    t.eq(status_of(d, "acme/beta"), ("active", "auto", None), "hold: acme/beta reactivated")
    t.eq(status_of(d, "acme/gamma"), ("inactive", "manual", None),
        "hold: the model a person deactivated stays inactive")
    ev = [e for e in events(d, "model.activated")
        if json.loads(e["details"]).get("reason") == "zdr_listed"]
    t.eq(sorted(e["model"] for e in ev), ["acme/alpha", "acme/beta"],
        "hold: model.activated for each reactivated model")
    st, _ = d.request("REFRESH zdr force=yes")
    t.err(st, "conflict", "hold: a valid list ends the hold")

    # Held again, the daemon restarts, the source is down: --force applies the held list.
    srv.set("/zdr", "bytes", data=zdr_list(["acme/alpha", "acme/beta", "other/delta"]))
    rc, outcome, msg = refresh(d)
    t.eq(outcome, "held", "hold: held again", msg)
    srv.set("/zdr", "status", code=500)
    d.restart()
    d.wait_for(lambda: (source(d, "zdr") or {}).get("last_error"), 15,
        "the first ZDR run after the restart to fail")
    t.eq(source(d, "zdr").get("state"), "held", "hold: STATUS says held after a restart")
    n0 = len(srv.requests_for("/zdr"))
    rc, outcome, msg = refresh(d, force=True)
    t.eq((rc, outcome), (0, "ok"), "hold: refresh zdr --force after the restart", msg)
    t.like(msg or "", "held response", "hold: the message says it applied the held response")
    t.eq(len(srv.requests_for("/zdr")), n0, "hold: --force downloaded nothing")
    t.eq(ids(d), ["acme/gamma", "other/eps", "plain/eta"], "hold: --force removed the three")
    d.cleanup()


def run(t):
    srv = httpd.Server()
    test_hold(t, srv)
    test_enforced(t, srv)
    test_alternatives(t, srv)
    test_not_enforced(t, srv)
    test_slug_change(t, srv)


harness.main(run)
