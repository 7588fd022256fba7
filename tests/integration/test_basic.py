# test_basic.py: modelregd starts and seeds from HTTP and from file://, and answers the read-only verbs.
import json
import os
import re

import harness
import httpd
from harness import RFC3339, MODEL_KEYS, VERBS

MISTRAL = harness.data_path("it-mistral.json")


def catalog_ids(path):
    with open(path) as f:
        return [e["id"] for e in json.load(f)["data"]]


def check_ids_cover(tap, recs, path, what):
    """Every entry id of the catalog is a model id or an alias of one, and nothing else."""
    ids = set(catalog_ids(path))
    got = set()
    for r in recs:
        got.add(r["id"])
        for a in (r.get("aliases") or "").split(","):
            if a:
                got.add(a)
    tap.eq(sorted(got), sorted(ids), "%s: models and their aliases are exactly the catalog's ids" % what)
    canon = [r["id"] for r in recs]
    tap.eq(len(canon), len(set(canon)), "%s: no model listed twice" % what)


def check_record_shape(tap, r, what):
    tap.eq(list(r.keys()), MODEL_KEYS, "%s: record keys in protocol order" % what)
    tap.ok(r["status"] in ("active", "inactive"), "%s: status is active or inactive" % what, r)
    tap.ok(r["default"] in ("true", "false"), "%s: default is a boolean" % what, r)
    tap.ok(r["context_length"] is None or re.match(r"^\d+$", r["context_length"]),
        "%s: context_length is an integer or null" % what, r)
    for k in ("prompt_price", "completion_price"):
        tap.ok(r[k] is None or re.match(r"^\d+(\.\d+)?([eE][-+]?\d+)?$", r[k]),
            "%s: %s is a number or null" % (what, k), r)
    feats = [x for x in (r["features"] or "").split(",") if x]
    tap.ok(all(x in ("streaming", "vision", "reasoning", "tools") for x in feats),
        "%s: features are known badges" % what, r)
    tap.ok(r["status_source"] in ("seed", "manual", "auto"), "%s: status_source" % what, r)
    for k in ("added_at", "status_changed_at"):
        tap.like(r[k], RFC3339, "%s: %s is RFC 3339 UTC" % (what, k))
    tap.ok(r["last_seen_at"] is None or re.match(RFC3339, r["last_seen_at"]),
        "%s: last_seen_at is RFC 3339 or null" % what, r)
    tap.ok(r["description"] is not None, "%s: description present" % what, r)


def test_http_seed(tap):
    srv = httpd.Server()
    srv.set("/v1/models", "file", file=MISTRAL)
    d = harness.Daemon(seed_url=srv.url("/v1/models"), seed_format="mistral",
        always_active=["mistral-large-2411", "mistral-small-latest"],
        default_model="mistral-large-latest", new_model_status="inactive")
    seed = d.wait_seeded()
    tap.ok(len(srv.requests_for("/v1/models")) >= 1, "http: daemon fetched the seed URL")
    tap.eq(srv.requests_for("/v1/models")[0]["method"], "GET", "http: with GET")

    # PING
    st, recs = d.request("PING")
    tap.eq((st, recs), ("OK 1", [{"pong": "true"}]), "PING -> OK 1 pong=true")

    # VERSION
    st, recs = d.request("VERSION")
    tap.eq(st, "OK 1", "VERSION -> OK 1")
    v = recs[0] if recs else {}
    for k in ("version", "protocol", "sqlite", "libevent", "curl"):
        tap.ok(v.get(k), "VERSION has %s" % k, v)
    tap.eq(v.get("protocol"), "1", "VERSION protocol=1")
    tap.like(v.get("sqlite"), r"^3\.\d+", "VERSION sqlite looks like 3.x")

    # HELP
    st, recs = d.request("HELP")
    tap.like(st, r"^OK \d+$", "HELP -> OK n")
    verbs = [r.get("verb", "").upper() for r in recs]
    for verb in VERBS:
        tap.ok(verb in verbs, "HELP lists %s" % verb, verbs)
    tap.ok(all(r.get("role") in ("viewer", "service", "member", "admin") and r.get("usage") and r.get("summary")
        for r in recs), "HELP records have role, usage and summary", recs)
    roles = {r.get("verb", "").upper(): r.get("role") for r in recs}
    tap.eq([roles.get(x) for x in ("PING", "LIST", "ACTIVATE", "DELETE", "SEED", "RELOAD")],
        ["viewer", "viewer", "member", "member", "admin", "admin"], "HELP gives each verb's role")

    # WHOAMI
    st, recs = d.request("WHOAMI")
    tap.eq(st, "OK 1", "WHOAMI -> OK 1")
    tap.eq(recs[0] if recs else None, {"uid": "0", "gid": "0", "user": "root", "role": "admin"},
        "WHOAMI as root -> admin")

    # STATUS
    st, recs = d.request("STATUS")
    tap.eq(st, "OK %d" % len(recs), "STATUS -> OK n with n records")
    tap.eq([r.get("source") for r in recs[1:]], ["seed", "catalog", "zdr", "uptime"],
        "STATUS: the daemon record, then the seed source and the periodic sources")
    tap.eq([r.get("state") for r in recs[2:]], ["disabled"] * 3,
        "STATUS: catalog, zdr and uptime are disabled without a url")
    dr, sr = recs[0], recs[1]
    ncanon = 7
    tap.eq(dr.get("models"), str(ncanon), "STATUS models = the catalog's distinct models")
    tap.eq(dr.get("active"), "2", "STATUS active = the always_active models")
    tap.eq(dr.get("default"), "mistral-large-2411", "STATUS default = default_model resolved from its alias")
    tap.eq(dr.get("pid"), str(d.pid), "STATUS pid")
    tap.eq(dr.get("config"), d.conf, "STATUS config path")
    tap.like(dr.get("seeded_at"), RFC3339, "STATUS seeded_at is RFC 3339")
    tap.like(dr.get("started_at"), RFC3339, "STATUS started_at is RFC 3339")
    tap.ok(dr.get("version"), "STATUS version")
    tap.eq(sr.get("source"), "seed", "STATUS second record is the seed source")
    tap.eq(sr.get("state"), "idle", "seed state idle after seeding")
    tap.eq(sr.get("format"), "mistral", "seed format")
    tap.like(sr.get("last_ok"), RFC3339, "seed last_ok set")
    tap.like(sr.get("last_attempt"), RFC3339, "seed last_attempt set")
    tap.eq(sr.get("last_error"), "", "seed last_error empty")
    tap.eq(sr.get("failures"), "0", "seed failures 0")
    tap.ok(sr.get("next_run") is None, "seed next_run null when idle", sr)

    # LIST
    st, recs = d.request("LIST")
    tap.eq(st, "OK %d" % ncanon, "LIST -> one record per model")
    for r in recs:
        check_record_shape(tap, r, "LIST %s" % r.get("id"))
    check_ids_cover(tap, recs, MISTRAL, "http seed")
    by = {r["id"]: r for r in recs}
    tap.eq(sorted(i for i, r in by.items() if r["status"] == "active"),
        ["mistral-large-2411", "mistral-small-2503"], "always_active models are active, by id and by alias")
    tap.eq([i for i, r in by.items() if r["default"] == "true"], ["mistral-large-2411"],
        "exactly one default")
    tap.ok(all(r["status_source"] == "seed" for r in recs), "every status comes from the seed")
    tap.ok(all(r["last_seen_at"] for r in recs), "last_seen_at set for seeded models")
    tap.eq(by.get("mistral-large-2411", {}).get("aliases"), "mistral-large-latest", "aliases of mistral-large-2411")
    tap.eq(by.get("codestral-2501", {}).get("context_length"), "262144", "context_length from max_context_length")
    tap.eq(by.get("codestral-2501", {}).get("provider"), "mistralai", "provider from owned_by")
    tap.eq(by.get("codestral-2501", {}).get("prompt_price"), None, "Mistral catalog has no prices: null")
    small = set((by.get("mistral-small-2503", {}).get("features") or "").split(","))
    tap.ok({"vision", "tools"} <= small, "mistral-small: vision and tools badges", small)
    mag = set((by.get("magistral-medium-2506", {}).get("features") or "").split(","))
    tap.ok("reasoning" in mag and "vision" not in mag, "magistral: reasoning badge, no vision", mag)
    tap.eq(by.get("codestral-2501", {}).get("description"), "Official codestral-2501 Mistral AI model",
        "description from the catalog")

    # SHOW by id and by alias
    st, recs = d.request("SHOW codestral-2501")
    tap.eq((st, recs[0]["id"] if recs else None), ("OK 1", "codestral-2501"), "SHOW by id")
    # Issue 10: SHOW alone carries the month's usage (usage_*).
    tap.eq({k: v for k, v in (recs[0] if recs else {}).items() if not k.startswith("usage_")},
        by.get("codestral-2501"), "SHOW record equals LIST record, but for SHOW's usage_*")
    st, recs = d.request("SHOW mistral-large-latest")
    tap.eq((st, recs[0]["id"] if recs else None), ("OK 1", "mistral-large-2411"),
        "SHOW by alias resolves to the canonical id")
    st, _ = d.request("SHOW no-such-model")
    tap.err(st, "notfound", "SHOW unknown -> ERR notfound")

    # DEFAULT without argument
    st, recs = d.request("DEFAULT")
    tap.eq((st, recs[0]["id"] if recs else None), ("OK 1", "mistral-large-2411"), "DEFAULT -> the default's record")

    # QUIT
    with d.raw() as c:
        tap.eq(c.request("PING")[0], "OK 1", "QUIT: connection usable first")
        st, recs = c.request("QUIT")
        tap.eq((st, recs), ("OK 0", []), "QUIT -> OK 0")
        tap.ok(c.is_closed(5), "QUIT: daemon closes the connection")
    tap.eq(d.request("PING")[0], "OK 1", "daemon still serves after a QUIT")

    # stop
    rc = d.stop()
    tap.eq(rc, 0, "SIGTERM: modelregd exits 0")


def test_file_seed(tap):
    snap = harness.snapshot_path()
    if not os.path.exists(snap):
        tap.ok(False, "bundled snapshot exists at %s" % snap)
        return
    with open(snap) as f:
        entries = json.load(f)["data"]
    tap.ok(len(entries) >= 5, "bundled snapshot has entries")
    # Pick a canonical id as default: the first entry whose name is its id.
    canon = [e["id"] for e in entries if e.get("name", e["id"]) == e["id"]] or [entries[0]["id"]]
    want_default = canon[0]
    d = harness.Daemon(seed_url=harness.file_url(snap), seed_format="mistral",
        always_active=[], default_model=want_default, new_model_status="inactive")
    sr = d.wait_seeded()
    tap.eq(sr.get("state"), "idle", "file://: seed state idle")
    tap.eq(sr.get("last_error"), "", "file://: no error")
    st, recs = d.request("LIST")
    tap.like(st, r"^OK \d+$", "file://: LIST")
    check_ids_cover(tap, recs, snap, "file:// seed")
    for r in recs[:3]:
        check_record_shape(tap, r, "file:// %s" % r["id"])
    by = {r["id"]: r for r in recs}
    tap.eq([i for i, r in by.items() if r["default"] == "true"], [want_default],
        "file://: default_model is the one default")
    tap.eq(by.get(want_default, {}).get("status"), "active", "file://: the default is active")
    tap.eq(sorted(i for i, r in by.items() if r["status"] == "active"), [want_default],
        "file://: others take new_model_status (inactive)")
    dr, _ = d.status()
    tap.eq(dr.get("models"), str(len(recs)), "file://: STATUS models matches LIST")
    tap.eq(dr.get("active"), "1", "file://: STATUS active")


def main(tap):
    test_http_seed(tap)
    test_file_seed(tap)


harness.main(main)
