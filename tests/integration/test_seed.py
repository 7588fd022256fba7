# test_seed.py: first-boot seeding (the PeerAI rules) from HTTP and file://, the three formats, no re-seed on restart, SEED keeping manual changes, a failing source and its retries.
import json
import os
import re
import secrets
import sqlite3
import time

import harness
import httpd

MISTRAL = harness.data_path("catalog-mistral.json")
MISTRAL_V2 = harness.data_path("catalog-mistral-seed-v2.json")
OPENROUTER = harness.data_path("catalog-openrouter.json")
OPENAI = harness.data_path("catalog-openai.json")
PATH = "/v1/models"

# The models of catalog-mistral.json once alias entries are collapsed.
MISTRAL_IDS = ["magistral-medium-2506", "mistral-embed", "mistral-large-2411",
    "mistral-medium-2505", "open-mistral-nemo-2407", "pixtral-large-2411"]


def models(d):
    """id -> model record, from LIST status=all."""
    st, recs = d.request("LIST status=all")
    if not st or not st.startswith("OK"):
        raise harness.HarnessError("LIST: %r" % st)
    return {r["id"]: r for r in recs}


def states(d):
    """id -> 'active'/'inactive' (+ '*' for the default)."""
    return {i: r["status"] + ("*" if r["default"] == "true" else "")
        for i, r in models(d).items()}


def list_lines(d):
    return d.request_lines("LIST status=all")


def db_count(d):
    """Models in the database file, read directly (0 when there is no table yet)."""
    if not os.path.exists(d.db):
        return 0
    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=10)
    try:
        return c.execute("SELECT count(*) FROM models").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        c.close()


def seed_rec(d):
    return d.status()[1]


def wait_seed_error(d, regex, what, timeout=20):
    """Poll STATUS until the seed source's last_error matches regex; the record."""
    def check():
        s = seed_rec(d)
        return s if re.search(regex, s.get("last_error") or "") else None
    try:
        return harness.wait_for(check, timeout, what)
    except harness.HarnessError as e:
        raise harness.HarnessError("%s\nlast STATUS: %r\n--- log ---\n%s"
            % (e, d.status(), d.log_text()))


def no_reseed_for(d, srv, seconds):
    """Watch for seconds that no fetch happens and STATUS never says running."""
    n = len(srv.requests_for(PATH)) if srv else 0
    deadline = time.monotonic() + seconds
    states_seen = set()
    while time.monotonic() < deadline:
        states_seen.add(seed_rec(d).get("state"))
        time.sleep(0.1)
    return (len(srv.requests_for(PATH)) if srv else 0) - n, states_seen


def test_first_boot(tap, srv):
    token = "itb-token-" + secrets.token_hex(16)
    d = harness.Daemon(seed_url=srv.url(PATH), start=False,
        always_active=["mistral-large-latest", "mistral-tiny-latest", "no-such-model-x"],
        always_inactive=["pixtral-large-latest", "also-missing-y"],
        default_model="mistral-medium-latest", new_model_status="inactive",
        log_level="debug")
    keyfile = os.path.join(d.dir, "api-key")
    with open(keyfile, "w") as f:
        f.write(token + "\n")
    os.chmod(keyfile, 0o600)
    d.api_key_file = keyfile
    d.write_config()
    srv.set(PATH, "file", file=MISTRAL)
    srv.clear_log()
    d.start()
    s = d.wait_seeded()
    tap.eq(sorted(models(d)), MISTRAL_IDS, "first boot: every model of the source is added (aliases collapsed)")
    tap.eq(states(d), {
        "mistral-large-2411": "active",         # always_active, by its alias mistral-large-latest
        "open-mistral-nemo-2407": "active",     # always_active, by its alias mistral-tiny-latest
        "pixtral-large-2411": "inactive",       # always_inactive, by its alias
        "mistral-medium-2505": "active*",       # default_model, by its alias: default and active
        "magistral-medium-2506": "inactive",    # new_model_status
        "mistral-embed": "inactive",            # new_model_status
    }, "first boot: always lists, default_model and new_model_status = inactive (names resolve through aliases)")
    recs = models(d)
    tap.ok(all(r["status_source"] == "seed" for r in recs.values()),
        "first boot: every status comes from the seed rules")
    tap.ok(all(r["last_seen_at"] for r in recs.values()), "first boot: last_seen_at is set")
    tap.eq(recs["mistral-large-2411"]["aliases"], "mistral-large-latest", "aliases kept")
    tap.ok(s.get("last_ok") and s.get("state") == "idle" and not s.get("last_error"),
        "STATUS: seed idle, last_ok set, no last_error", s)
    dm, _ = d.status()
    tap.eq((dm.get("models"), dm.get("active"), dm.get("default")),
        ("6", "3", "mistral-medium-2505"), "STATUS: models, active, default")
    tap.like(dm.get("seeded_at") or "", harness.RFC3339, "STATUS: seeded_at is set")

    # A listed name the source does not have: a warning, not a failure.
    tap.like(s.get("warnings") or "", r"no-such-model-x", "STATUS warnings name the missing always_active model")
    tap.like(s.get("warnings") or "", r"also-missing-y", "STATUS warnings name the missing always_inactive model")
    log = d.log_text()
    tap.like(log, r"(?m)^<4>.*no-such-model-x", "the log has a warning about the missing model")
    tap.ok(d.alive() and d.request("PING")[0] == "OK 1", "the daemon is fine after the warnings")

    # The bearer token reaches the server and is never logged or shown.
    reqs = srv.requests_for(PATH)
    tap.eq(len(reqs), 1, "first boot: one request to the source")
    tap.eq(reqs and reqs[0]["headers"].get("authorization"), "Bearer " + token,
        "api_key_file's content is sent as 'Authorization: Bearer TOKEN'")
    tap.eq(reqs and reqs[0]["method"], "GET", "the seed source is fetched with GET")
    st, lines = d.request_lines("STATUS")
    shown = "\n".join(lines) + d.ctl("status", json=True).stdout + d.ctl("status").stdout
    tap.ok(token not in shown, "the token is not in STATUS (raw, --json or table)")
    tap.ok(token not in d.log_text(), "the token is not in the log (debug level)")

    # A restart does not re-seed and changes nothing.
    before = list_lines(d)
    tap.eq(d.stop(), 0, "the daemon stops cleanly")
    n = len(srv.requests_for(PATH))
    d.start()
    extra, seen = no_reseed_for(d, srv, 1.5)
    tap.eq(extra, 0, "restart: no request to the source")
    tap.ok("running" not in seen, "restart: STATUS never shows a seed running", seen)
    tap.eq(list_lines(d), before, "restart: the registry is byte for byte the same")
    tap.eq(len(srv.requests_for(PATH)), n, "restart: the request count is unchanged")
    tap.ok(token not in d.log_text(), "the token is not in the log after a restart either")
    d.stop()
    with open(d.db, "rb") as f:
        tap.ok(token.encode() not in f.read(), "the token is not stored in the database")
    d.cleanup()


def test_new_active_file(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest"], always_inactive=["pixtral-large-latest"],
        default_model="mistral-medium-latest", new_model_status="active",
        wait_seed=True)
    tap.eq(states(d), {
        "mistral-large-2411": "active",
        "open-mistral-nemo-2407": "active",
        "pixtral-large-2411": "inactive",
        "mistral-medium-2505": "active*",
        "magistral-medium-2506": "active",
        "mistral-embed": "active",
    }, "file:// source, new_model_status = active: unnamed models active, always_inactive inactive")
    r = models(d)["magistral-medium-2506"]
    tap.eq((r["features"], r["context_length"], r["provider"]),
        ("streaming,reasoning,tools", "40960", "mistralai"),
        "Mistral metadata: features from capabilities, max_context_length, owned_by")
    d.cleanup()

    # No default_model: no default. A missing default_model: a warning.
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), default_model="",
        wait_seed=True)
    st, recs = d.request("DEFAULT")
    tap.eq(st, "OK 0", "no default_model: the registry has no default")
    tap.eq(states(d)["mistral-large-2411"], "inactive", "no lists: every model new_model_status (inactive)")
    d.cleanup()
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), default_model="gone-model-z",
        wait_seed=True)
    st, recs = d.request("DEFAULT")
    tap.eq(st, "OK 0", "default_model missing from the source: no default")
    tap.like(seed_rec(d).get("warnings") or "", r"gone-model-z", "and a warning in STATUS")
    tap.like(d.log_text(), r"gone-model-z", "and in the log")
    d.cleanup()


def test_manual_changes(tap, srv):
    srv.set(PATH, "file", file=MISTRAL)
    d = harness.Daemon(seed_url=srv.url(PATH),
        always_active=["mistral-large-latest", "pixtral-large-2411"],
        always_inactive=["mistral-embed"], default_model="mistral-medium-latest",
        new_model_status="inactive", wait_seed=True)
    tap.eq(states(d), {
        "mistral-large-2411": "active", "pixtral-large-2411": "active",
        "mistral-medium-2505": "active*", "open-mistral-nemo-2407": "inactive",
        "magistral-medium-2506": "inactive", "mistral-embed": "inactive",
    }, "seeded as the rules say")

    # Manual changes.
    for args in (("default", "mistral-large-2411"), ("deactivate", "mistral-medium-2505"),
            ("activate", "magistral-medium-2506"), ("deactivate", "pixtral-large-2411"),
            ("activate", "mistral-embed")):
        p = d.ctl(*args, yes=True)
        tap.eq(p.returncode, 0, "manual: %s (%s)" % (" ".join(args), p.stderr.strip()))
    manual = {
        "mistral-large-2411": "active*", "pixtral-large-2411": "inactive",
        "mistral-medium-2505": "inactive", "open-mistral-nemo-2407": "inactive",
        "magistral-medium-2506": "active", "mistral-embed": "active",
    }
    tap.eq(states(d), manual, "the manual changes took effect")
    tap.eq(models(d)["magistral-medium-2506"]["status_source"], "manual",
        "a manual change is marked status_source=manual")

    # They survive a restart (no re-seed).
    n = len(srv.requests_for(PATH))
    d.restart()
    tap.eq(states(d), manual, "manual changes survive a restart")
    extra, seen = no_reseed_for(d, srv, 1.0)
    tap.eq((len(srv.requests_for(PATH)) - n, "running" in seen), (0, False),
        "and the restart did not fetch the source")

    # ... and a seed from the v2 source (one model added, one renamed).
    srv.set(PATH, "file", file=MISTRAL_V2)
    p = d.ctl("seed", json=True)
    tap.eq(p.returncode, 0, "modelregctl seed exits 0 (%s)" % p.stderr.strip())
    try:
        r = json.loads(p.stdout)
    except ValueError:
        r = {}
    tap.eq((r.get("added"), r.get("default_set")), (1, False),
        "modelregctl --json seed reports one model added and no default set")
    tap.eq(len(srv.requests_for(PATH)), n + 1, "SEED fetched the source once")
    after = states(d)
    tap.eq(after, dict(manual, **{
        "pixtral-large-2411": "active",     # always_active re-applied
        "mistral-embed": "inactive",        # always_inactive re-applied
        "codestral-2501": "inactive",       # new: new_model_status
    }), "seed: the always lists are re-applied, every other status kept, the new model added")
    recs = models(d)
    tap.eq(recs["mistral-embed"]["name"], "Mistral Embed", "seed: a renamed model gets its new name")
    tap.eq(recs["codestral-2501"]["aliases"], "codestral-latest", "seed: the new model has its alias")
    tap.eq((recs["mistral-medium-2505"]["status"], recs["mistral-medium-2505"]["default"]),
        ("inactive", "false"),
        "seed: default_model is not applied while a default exists (not reactivated either)")
    tap.eq((recs["magistral-medium-2506"]["status_source"], recs["pixtral-large-2411"]["status_source"]),
        ("manual", "seed"), "seed: status_source says which rule set each status")
    st, recs2 = d.request("SHOW codestral-latest")
    tap.eq(recs2 and recs2[0]["id"], "codestral-2501", "the new model resolves by its alias")

    # A second time, raw: nothing new.
    st, recs = d.request("SEED", timeout=30)
    tap.eq(st, "OK 1", "raw SEED answers OK 1")
    r = recs[0] if recs else {}
    tap.eq((r.get("added"), r.get("activated"), r.get("deactivated"), r.get("default_set")),
        ("0", "0", "0", "false"), "a second seed adds and changes nothing")
    tap.eq(states(d), after, "a second seed changes no status")

    # A failing source: SEED fails with the error and nothing changes.
    for mode, kw, regex in (("status", {"code": 500}, r"500"),
            ("invalid", {}, r"(?i)json|invalid|pars"),
            ("truncated", {"file": MISTRAL_V2, "missing": 500}, r".")):
        srv.set(PATH, mode, **kw)
        before = list_lines(d)
        p = d.ctl("seed")
        tap.eq(p.returncode, 1, "modelregctl seed with the source failing (%s) exits 1" % mode)
        tap.like(p.stdout + p.stderr, regex, "and prints the error (%s)" % mode)
        tap.eq(list_lines(d), before, "and changes nothing (%s)" % mode)
        st, _ = d.request("SEED", timeout=30)
        tap.err(st, "unavailable", "raw SEED with the source failing (%s): ERR unavailable" % mode)
    tap.ok(d.alive(), "the daemon is still running")
    srv.set(PATH, "file", file=MISTRAL_V2)

    # default_model applies once no default exists: a registry without one.
    d.cleanup()
    d = harness.Daemon(seed_url=srv.url(PATH), default_model="", wait_seed=True)
    tap.eq(d.request("DEFAULT")[0], "OK 0", "seeded without default_model: no default")
    tap.eq(states(d)["mistral-medium-2505"], "inactive", "and mistral-medium inactive")
    d.default_model = "mistral-medium-latest"
    d.write_config()
    tap.eq(d.ctl("reload").returncode, 0, "reload with default_model set")
    st, recs = d.request("SEED", timeout=30)
    tap.eq(recs and recs[0].get("default_set"), "true", "SEED reports default_set=true")
    tap.eq(states(d)["mistral-medium-2505"], "active*",
        "seed with no default: default_model becomes the default, and active")
    d.cleanup()


def test_source_down(tap, srv):
    path = "/down/v1/models"
    srv.set(path, "status", code=500, data=b"internal error\n")
    d = harness.Daemon(seed_url=srv.url(path), always_active=["mistral-large-latest"],
        default_model="mistral-medium-latest", retry_min=1, retry_max=2, timeout=2)
    tap.eq(d.request("PING")[0], "OK 1", "source down (500) at first boot: the daemon is up and answers PING")
    tap.eq(d.request("LIST")[0], "OK 0", "LIST is empty")
    s = wait_seed_error(d, r"500", "a 500 in last_error")
    tap.like(s.get("last_error"), r"500", "STATUS last_error says HTTP 500: %s" % s.get("last_error"))
    s = harness.wait_for(lambda: (lambda r: r if r.get("state") == "waiting" else None)(seed_rec(d)),
        10, "state waiting")
    tap.ok(s.get("next_run"), "state waiting with next_run set", s)
    tap.ok(int(s.get("failures") or 0) >= 1, "failures counted", s)
    tap.like(d.log_text(), r"(?m)^<[34]>.*500", "the log has the failure")
    st, _ = d.request("SEED", timeout=30)
    tap.err(st, "unavailable", "SEED while the source is down: ERR unavailable")
    p = d.ctl("seed")
    tap.eq(p.returncode, 1, "modelregctl seed while the source is down: exit 1")
    tap.like(p.stdout + p.stderr, r"500", "and it prints the error")
    tap.eq(db_count(d), 0, "the registry is untouched (500)")

    # It retries: several requests come with retry_min=1, retry_max=2.
    n = len(srv.requests_for(path))
    try:
        srv.wait_requests(path, n + 2, timeout=10)
        tap.ok(len(srv.requests_for(path)) >= n + 2,
            "it retries with backoff (two more attempts within 10 s)")
    except TimeoutError as e:
        tap.ok(False, "it retries with backoff (two more attempts within 10 s)", str(e))

    srv.set(path, "hang")
    s = wait_seed_error(d, r"(?i)time", "a timeout in last_error")
    tap.like(s.get("last_error"), r"(?i)time",
        "a hanging source times out ([seed] timeout = 2): %s" % s.get("last_error"))
    tap.eq(d.request("PING", timeout=5)[0], "OK 1", "the daemon serves while a fetch hangs")
    tap.eq(db_count(d), 0, "the registry is untouched (hang)")

    srv.set(path, "invalid")
    s = wait_seed_error(d, r"(?i)json|invalid|pars", "invalid JSON in last_error")
    tap.like(s.get("last_error"), r"(?i)json|invalid|pars",
        "garbage JSON is reported: %s" % s.get("last_error"))
    tap.eq(d.request("LIST")[0], "OK 0", "the registry is untouched (garbage)")

    srv.set(path, "bytes", data=b'{"object": "list", "data": "not an array"}')
    s = wait_seed_error(d, r"(?i)data|array", "a wrong shape in last_error")
    tap.like(s.get("last_error"), r"(?i)data|array",
        "valid JSON of the wrong shape is reported: %s" % s.get("last_error"))
    tap.eq(db_count(d), 0, "the registry is untouched (wrong shape)")

    srv.set(path, "file", file=MISTRAL)
    srv.down()
    s = wait_seed_error(d, r"(?i)connect|refused", "a refused connection in last_error")
    tap.like(s.get("last_error"), r"(?i)connect|refused",
        "a closed port is reported: %s" % s.get("last_error"))
    tap.eq(d.request("LIST")[0], "OK 0", "the registry is untouched (closed port)")
    tap.ok(d.alive(), "the daemon is still running")

    # The source comes back: it seeds by itself.
    srv.up()
    try:
        s = d.wait_seeded(timeout=20)
        tap.ok(s.get("last_ok") and s.get("state") != "running",
            "once the source is back the daemon seeds by itself", s)
    except harness.HarnessError as e:
        tap.ok(False, "once the source is back the daemon seeds by itself", str(e))
        d.cleanup()
        return
    tap.eq((s.get("state"), s.get("last_error") or ""), ("idle", ""),
        "STATUS: idle, last_error cleared")
    tap.eq(states(d).get("mistral-medium-2505"), "active*", "and applied the rules (default_model)")
    tap.eq(len(models(d)), 6, "all the models are there")
    n = len(srv.requests_for(path))
    no_reseed_for(d, None, 2.5)     # longer than retry_max: a stray retry would show
    tap.eq(len(srv.requests_for(path)), n, "no more fetches once seeded")
    d.cleanup()


def test_bad_bodies(tap, srv):
    path = "/bodies/v1/models"
    srv.set(path, "truncated", file=MISTRAL, missing=1000)
    d = harness.Daemon(seed_url=srv.url(path), retry_min=1, retry_max=2, timeout=3,
        extra="max_size = 64K\n")
    s = wait_seed_error(d, r".", "an error for a truncated body")
    tap.like(s.get("last_error"), r".", "a truncated body fails: %s" % s.get("last_error"))
    tap.eq(d.request("LIST")[0], "OK 0", "a truncated body adds nothing")
    tap.eq(db_count(d), 0, "the database holds no model after a truncated body")

    n = len(srv.requests_for(path))
    srv.set(path, "huge", size=4 * 1024 * 1024)
    srv.wait_requests(path, n + 1, timeout=10)
    s = wait_seed_error(d, r"(?i)larg|size|max|big|exceed", "an error for a body over max_size")
    tap.like(s.get("last_error"), r"(?i)larg|size|max|big|exceed",
        "a body over max_size (64K) fails: %s" % s.get("last_error"))
    tap.eq(d.request("LIST")[0], "OK 0", "a huge body adds nothing")
    tap.ok(d.alive() and d.request("PING")[0] == "OK 1", "the daemon is fine after a huge body")

    # A body just under max_size is fine: the catalog (7 KB) with 64K.
    srv.set(path, "file", file=MISTRAL)
    d.wait_seeded(timeout=20)
    tap.eq(len(models(d)), 6, "a body under max_size seeds")
    d.cleanup()


def approx(v, want):
    if want is None:
        return v is None
    return v is not None and abs(float(v) - want) < 1e-6 * max(1, abs(want))


def test_formats(tap, srv):
    path = "/api/v1/models"
    srv.set(path, "file", file=OPENROUTER)
    d = harness.Daemon(seed_url=srv.url(path), seed_format="openrouter",
        always_active=["openai/gpt-4o"], default_model="anthropic/claude-3.5-sonnet",
        wait_seed=True)
    recs = models(d)
    tap.eq(sorted(recs), sorted(["openai/gpt-4o", "anthropic/claude-3.5-sonnet",
        "deepseek/deepseek-r1", "meta-llama/llama-3.1-8b-instruct:free",
        "openrouter/auto", "mistralai/mistral-large-2411"]), "openrouter: every model")
    want = {
        "openai/gpt-4o": (2.5, 10.0, "streaming,vision,tools", "128000", "openai", "OpenAI: GPT-4o"),
        "anthropic/claude-3.5-sonnet": (3.0, 15.0, "streaming,vision,tools", "200000", "anthropic", None),
        "deepseek/deepseek-r1": (0.4, 2.0, "streaming,reasoning", "163840", "deepseek", None),
        "meta-llama/llama-3.1-8b-instruct:free": (0.0, 0.0, "streaming", "131072", "meta-llama", None),
        "openrouter/auto": (None, None, "streaming", "2000000", "openrouter", None),
        "mistralai/mistral-large-2411": (2.0, 6.0, "streaming,tools", "131072", "mistralai", None),
    }
    for mid, (pp, cp, feats, ctx, prov, name) in want.items():
        r = recs.get(mid, {})
        tap.ok(approx(r.get("prompt_price"), pp) and approx(r.get("completion_price"), cp),
            "openrouter %s: prices per 1M tokens %r/%r" % (mid, pp, cp),
            "got %r/%r" % (r.get("prompt_price"), r.get("completion_price")))
        tap.eq((r.get("features"), r.get("context_length"), r.get("provider")),
            (feats, ctx, prov), "openrouter %s: features, context, provider" % mid)
        if name:
            tap.eq(r.get("name"), name, "openrouter %s: name" % mid)
    tap.eq(states(d), {
        "openai/gpt-4o": "active", "anthropic/claude-3.5-sonnet": "active*",
        "deepseek/deepseek-r1": "inactive", "meta-llama/llama-3.1-8b-instruct:free": "inactive",
        "openrouter/auto": "inactive", "mistralai/mistral-large-2411": "inactive",
    }, "openrouter: the seed rules apply")
    j = d.ctl_json("show", "openrouter/auto")
    tap.eq((j.get("prompt_price"), j.get("completion_price")), (None, None),
        "openrouter: a price of \"-1\" is null in --json")
    j = d.ctl_json("show", "openai/gpt-4o")
    tap.ok(approx(j.get("prompt_price"), 2.5) and isinstance(j.get("prompt_price"), (int, float)),
        "openrouter: prices are JSON numbers in --json", j)
    tap.like(recs["openai/gpt-4o"]["description"] or "", r'"o" for "omni"', "openrouter: description kept")
    d.cleanup()

    srv.set("/openai/v1/models", "file", file=OPENAI)
    d = harness.Daemon(seed_url=srv.url("/openai/v1/models"), seed_format="openai",
        always_active=["gpt-4o"], new_model_status="inactive", default_model="gpt-4o-mini",
        wait_seed=True)
    recs = models(d)
    tap.eq(sorted(recs), sorted(["gpt-4o", "gpt-4o-mini", "text-embedding-3-small",
        "ft:gpt-4o-mini:acme::abc123", "local-model"]), "openai: every model")
    tap.eq(states(d), {"gpt-4o": "active", "gpt-4o-mini": "active*",
        "text-embedding-3-small": "inactive", "ft:gpt-4o-mini:acme::abc123": "inactive",
        "local-model": "inactive"}, "openai: the seed rules apply")
    r = recs["ft:gpt-4o-mini:acme::abc123"]
    tap.eq((r["provider"], r["prompt_price"], r["completion_price"], r["features"] or "",
        r["context_length"]), ("acme-org", None, None, "", None),
        "openai: owned_by as provider, no prices, no features, no context length")
    tap.eq(recs["local-model"]["provider"] or "", "", "openai: no owned_by: empty provider")
    tap.eq(recs["gpt-4o"]["name"], "gpt-4o", "openai: the name is the id")
    d.cleanup()


def test_missing_inputs(tap, srv):
    # No seed source: nothing to do, SEED unavailable.
    d = harness.Daemon(seed_url="")
    s = seed_rec(d)
    tap.eq(s.get("state"), "disabled", "url = (empty): STATUS seed state disabled")
    st, _ = d.request("SEED")
    tap.err(st, "unavailable", "url = (empty): SEED gets ERR unavailable")
    p = d.ctl("seed")
    tap.eq(p.returncode, 1, "url = (empty): modelregctl seed exits 1")
    tap.eq(d.request("LIST")[0], "OK 0", "url = (empty): the registry stays empty")
    d.cleanup()

    # A file:// source that is not there yet: fails, retries, seeds once it appears.
    d = harness.Daemon(start=False, retry_min=1, retry_max=2)
    src = os.path.join(d.dir, "later.json")
    d.seed_url = harness.file_url(src)
    d.write_config()
    d.start()
    s = wait_seed_error(d, r"(?i)later\.json|no such|not found|couldn|open|read",
        "a missing file:// source in last_error")
    tap.like(s.get("last_error"), r"(?i)later\.json|no such|not found|couldn|open|read",
        "a missing file:// source is reported: %s" % s.get("last_error"))
    tap.eq(d.request("LIST")[0], "OK 0", "a missing file:// source adds nothing")
    with open(src + ".tmp", "wb") as f, open(MISTRAL, "rb") as g:
        f.write(g.read())
    os.rename(src + ".tmp", src)
    try:
        d.wait_seeded(timeout=20)
        tap.eq(len(models(d)), 6, "once the file exists it seeds by itself")
    except harness.HarnessError as e:
        tap.ok(False, "once the file exists it seeds by itself", str(e))
    d.cleanup()

    # An api_key_file that is missing: a clear error, no request without the key... then it appears.
    path = "/key/v1/models"
    srv.set(path, "file", file=MISTRAL)
    d = harness.Daemon(start=False, seed_url=srv.url(path), retry_min=1, retry_max=2)
    keyfile = os.path.join(d.dir, "key")
    d.api_key_file = keyfile
    d.write_config()
    d.start()
    s = wait_seed_error(d, r".", "an error for a missing api_key_file")
    tap.like(s.get("last_error") or "", r"key", "a missing api_key_file is reported: %s" % s.get("last_error"))
    tap.eq(d.request("LIST")[0], "OK 0", "a missing api_key_file adds nothing")
    tap.ok(all(r["headers"].get("authorization") for r in srv.requests_for(path)),
        "no request goes out without the key")
    token = "itb-late-" + secrets.token_hex(8)
    with open(keyfile + ".tmp", "w") as f:
        f.write(token)
    os.rename(keyfile + ".tmp", keyfile)
    try:
        d.wait_seeded(timeout=20)
        reqs = srv.requests_for(path)
        tap.eq(reqs and reqs[-1]["headers"].get("authorization"), "Bearer " + token,
            "once the key file exists its token is sent and the seed succeeds")
    except harness.HarnessError as e:
        tap.ok(False, "once the key file exists the seed succeeds", str(e))
    tap.ok(token not in d.log_text(), "the late token is not in the log")

    # A key file holding a line break cannot inject a header.
    with open(keyfile, "w") as f:
        f.write("itb-split\r\nX-Itb-Injected: 1\n")
    n = len(srv.requests_for(path))
    st, _ = d.request("SEED", timeout=30)
    reqs = srv.requests_for(path)[n:]
    tap.ok(all("x-itb-injected" not in r["headers"] for r in reqs),
        "a line break in api_key_file cannot inject a header (SEED: %s)" % st,
        [r["headers"] for r in reqs])
    tap.ok(d.alive(), "the daemon survives a key file with a line break")
    d.cleanup()

CAT_BASE = harness.data_path("cat-base.json")
PEERAI = ("mistral-large-latest", "mistral-medium-latest", "mistral-tiny-latest",
    "open-mistral-nemo-2407", "pixtral-large-2411")


def custom(body, **kw):
    """A daemon with our own config text: [daemon] from the harness, then body."""
    d = harness.Daemon(start=False, **kw)
    d.write_config("[daemon]\nsocket = %s\ndatabase = %s\nlog_level = debug\n\n%s"
        % (d.sock, d.db, body))
    d.start()
    return d


def seeded_from_snapshot(tap, d, what):
    """The daemon tried the bundled snapshot (installed or not) with the PeerAI lists."""
    try:
        d.wait_for(lambda: re.search(r"seeding from file://\S*/seed/mistral-models\.json",
            d.log_text()), 10, "a seed from the bundled snapshot")
        tap.ok(re.search(r"seeding from file://\S*/seed/mistral-models\.json", d.log_text()),
            "%s: seeds from the bundled snapshot" % what)
    except harness.HarnessError as e:
        tap.ok(False, "%s: seeds from the bundled snapshot" % what, d.log_text())
    tap.ok("catalog" not in (d.sources() or {}) or
        d.sources()["catalog"].get("state") == "disabled", "%s: no catalog" % what)


def test_seed_sources(tap, srv):
    """Where the first seed comes from, for each way of writing [seed] and [catalog]."""
    cat = "[catalog]\nurl = %s\ninterval = 1h\n" % harness.file_url(CAT_BASE)

    # A file without [seed]: the bundled snapshot.
    d = custom("")
    seeded_from_snapshot(tap, d, "no [seed]")
    d.cleanup()

    # [seed] without url and no catalog: the bundled snapshot.
    d = custom("[seed]\nnew_model_status = inactive\nretry_min = 1\nretry_max = 2\n")
    seeded_from_snapshot(tap, d, "[seed] without url")
    d.cleanup()

    # [seed] without url, with a catalog: seeds from the catalog (as url = does).
    for how, seed in (("[seed] without url", "[seed]\nnew_model_status = inactive\n"),
                      ("url =", "[seed]\nurl =\n")):
        d = custom(seed.replace("[seed]\n", "[seed]\nalways_active = openai/gpt-4o\n"
            "default_model = anthropic/claude-3.5-sonnet\n") + cat)
        try:
            d.wait_for(lambda: len(models(d)) == 2, 15, "a seed from the catalog")
        except harness.HarnessError:
            pass
        tap.eq(states(d), {"openai/gpt-4o": "active", "anthropic/claude-3.5-sonnet": "active*"},
            "%s with a catalog: seeds the named models from the catalog" % how, d.log_text())
        tap.eq(seed_rec(d).get("state"), "disabled", "%s with a catalog: no seed url" % how)
        tap.ok(not re.search(r"seeding from", d.log_text()),
            "%s with a catalog: the bundled snapshot is not fetched" % how)
        d.cleanup()

    # No [seed] at all, with a catalog, and no lists: the PeerAI names are not in play.
    d = custom(cat)
    d.wait_for(lambda: d.sources()["catalog"].get("last_ok"), 15, "a catalog refresh")
    d.wait_for(lambda: "nothing seeded" in d.log_text(), 10, "the catalog seed's verdict")
    log = d.log_text()
    st, evs = d.request("EVENTS")
    tap.ok(not any(n in log for n in PEERAI),
        "no [seed] with a catalog: no warning about the built-in names", log)
    tap.ok(not any(e.get("kind") == "seed.failed" for e in evs),
        "no [seed] with a catalog: no seed.failed", evs)
    tap.eq(seed_rec(d).get("state"), "disabled", "no [seed] with a catalog: no seed url")
    tap.eq(d.request("LIST")[0], "OK 0", "no [seed] with a catalog and no lists: nothing seeded")
    d.cleanup()

    # url = X with a catalog: X wins.
    path = "/x/api/v1/models"
    srv.set(path, "file", file=OPENROUTER)
    d = custom("[seed]\nurl = %s\n%s" % (srv.url(path), cat))
    d.wait_seeded(timeout=20)
    tap.eq(len(models(d)), 6, "url = X with a catalog: seeds every model of X")
    d.cleanup()


def test_own_lists_only(tap, srv):
    """Seeding from OpenRouter or OpenAI without lists: no PeerAI names, no warnings."""
    for name, path, f, n in (("openrouter", "/or/api/v1/models", OPENROUTER, 6),
                             ("openai", "/oa/v1/models", OPENAI, 5)):
        srv.set(path, "file", file=f)
        d = custom("[seed]\nurl = %s\n" % srv.url(path))
        s = d.wait_seeded(timeout=20)
        tap.eq(len(models(d)), n, "%s without lists: every model seeded" % name)
        tap.eq(s.get("warnings") or "", "", "%s without lists: no warnings" % name)
        tap.ok(not any(x in d.log_text() for x in PEERAI),
            "%s without lists: the PeerAI names are nowhere in the log" % name)
        tap.eq(d.status()[0].get("default"), None, "%s without lists: no default" % name)
        tap.eq(s.get("format"), "auto", "%s: format auto by default" % name)
        tap.eq(s.get("detected"), name, "%s: STATUS says which format was detected" % name)
        d.cleanup()


def test_format_mismatch(tap, srv):
    """A body in another format than configured fails, naming the format it looks like."""
    path = "/mm/api/v1/models"
    srv.set(path, "file", file=OPENROUTER)
    d = harness.Daemon(seed_url=srv.url(path), seed_format="mistral",
        always_active=["openai/gpt-4o"])
    s = wait_seed_error(d, r"looks like", "a format mismatch in last_error")
    tap.like(s.get("last_error"), r"the body looks like openrouter, not mistral "
        r"\(set format = openrouter or auto\)", "OpenRouter read as mistral: the error names openrouter")
    tap.eq(s.get("detected"), "openrouter", "OpenRouter read as mistral: detected=openrouter")
    tap.eq(d.request("LIST")[0], "OK 0", "OpenRouter read as mistral: nothing is seeded")
    st, _ = d.request("SEED", timeout=30)
    tap.err(st, "unavailable", "SEED of a mismatched body: ERR unavailable")
    tap.like(st, r"looks like openrouter", "SEED says what the body looks like")
    d.cleanup()

    srv.set(path, "file", file=MISTRAL)
    d = harness.Daemon(seed_url=srv.url(path), seed_format="openrouter")
    s = wait_seed_error(d, r"looks like", "a format mismatch in last_error")
    tap.like(s.get("last_error"), r"looks like mistral, not openrouter",
        "Mistral read as openrouter: the error names mistral")
    tap.eq(d.request("LIST")[0], "OK 0", "Mistral read as openrouter: nothing is seeded")
    d.cleanup()

    # auto folds Mistral's aliases as mistral does.
    d = harness.Daemon(seed_url=srv.url(path), seed_format="auto", wait_seed=True)
    tap.eq(sorted(models(d)), MISTRAL_IDS, "auto on a Mistral body: aliases folded")
    tap.eq((seed_rec(d).get("format"), seed_rec(d).get("detected")), ("auto", "mistral"),
        "STATUS: format=auto detected=mistral")
    d.cleanup()

    # The catalog: a mismatch fails the refresh and keeps the catalog as it was.
    cpath = "/mmcat/api/v1/models"
    srv.set(cpath, "file", file=CAT_BASE)
    d = harness.Daemon(seed_url="", extra="[catalog]\nurl = %s\nformat = openrouter\n"
        "interval = 1h\n" % srv.url(cpath))
    d.wait_for(lambda: d.sources()["catalog"].get("last_ok"), 15, "a first catalog")
    n = int(d.sources()["catalog"].get("items"))
    srv.set(cpath, "file", file=MISTRAL)
    st, recs = d.request("REFRESH catalog", timeout=30)
    tap.like(recs[0].get("message") if recs else st, r"looks like mistral, not openrouter",
        "REFRESH of a mismatched catalog says so")
    c = d.sources()["catalog"]
    tap.like(c.get("last_error") or "", r"looks like mistral, not openrouter \(set format = "
        r"mistral or auto\)", "catalog last_error names the format")
    tap.eq((c.get("format"), c.get("detected")), ("openrouter", "mistral"),
        "STATUS catalog: format=openrouter detected=mistral")
    tap.eq(int(c.get("items")), n, "the catalog is unchanged")
    d.cleanup()


def test_whole_errors(tap):
    """A long missing file:// path: the cause is never cut inside a word."""
    d = harness.Daemon(start=False, retry_min=1, retry_max=2)
    deep = os.path.join(d.dir, *(["a-rather-long-directory-name"] * 5), "models.json")
    d.seed_url = harness.file_url(deep)
    d.extra = "[catalog]\nurl = %s\ninterval = 1h\n" % harness.file_url(deep)
    d.write_config()
    d.start()
    s = wait_seed_error(d, r".", "an error for a long missing path")
    tap.like(s.get("last_error"), r"No such file or directory$",
        "seed: the whole cause is in STATUS")
    d.wait_for(lambda: d.sources()["catalog"].get("last_error"), 15, "a catalog error")
    tap.like(d.sources()["catalog"].get("last_error"), r"No such file or directory$",
        "catalog: the whole cause is in STATUS")
    st, recs = d.request("REFRESH catalog", timeout=30)
    tap.like(recs[0].get("message") if recs else st, r"No such file or directory$",
        "REFRESH: the whole cause")
    st, evs = d.request("EVENTS")
    tap.ok(all(re.search(r"directory$", e.get("message") or "") for e in evs
        if e.get("kind") in ("seed.failed", "sync.failed")) and evs,
        "events: the whole cause", evs)
    d.cleanup()


def run(tap):
    srv = httpd.Server()
    test_missing_inputs(tap, srv)
    test_first_boot(tap, srv)
    test_new_active_file(tap)
    test_manual_changes(tap, srv)
    test_source_down(tap, srv)
    test_bad_bodies(tap, srv)
    test_formats(tap, srv)
    test_seed_sources(tap, srv)
    test_own_lists_only(tap, srv)
    test_format_mismatch(tap, srv)
    test_whole_errors(tap)


harness.main(run)
