# test_rules.py: the Model Management rules (issue 2 part 9) through modelregctl and the raw protocol, and the audit log.
import json

import harness
import httpd

CATALOG = harness.data_path("it-openrouter.json")
GPT = "openai/gpt-4o"
CLAUDE = "anthropic/claude-3.5-sonnet"
MLARGE = "mistralai/mistral-large"
MSMALL = "mistralai/mistral-small"
LLAMA = "meta-llama/llama-3.1-8b-instruct"
AUTO = "openrouter/auto"
R1 = "deepseek/deepseek-r1"
GEMINI = "google/gemini-flash-1.5"
GROK = "x-ai/grok-2"
ALL = [GPT, CLAUDE, MLARGE, MSMALL, LLAMA, AUTO, R1, GEMINI, GROK]


def listing(d, args=""):
    st, recs = d.request(("LIST " + args).strip())
    if not st or not st.startswith("OK"):
        raise harness.HarnessError("LIST %s: %r" % (args, st))
    return recs


def state(d):
    """The rule-relevant part of the registry, for 'nothing changed' checks."""
    return sorted((r["id"], r["status"], r["default"]) for r in listing(d))


def show(d, model):
    st, recs = d.request('SHOW "%s"' % model)
    return recs[0] if st == "OK 1" else None


def test_conflicts(tap, d):
    before = state(d)

    p = d.ctl("activate", GPT)
    tap.eq(p.returncode, 1, "ctl activate of an active model exits 1")
    tap.like(p.stdout + p.stderr, r"already active", "ctl: says it is already active")
    st, _ = d.request("ACTIVATE %s" % GPT)
    tap.err(st, "conflict", "ACTIVATE active -> ERR conflict")
    tap.like(st, r"already active", "ERR conflict message says already active")

    p = d.ctl("deactivate", LLAMA)
    tap.eq(p.returncode, 1, "ctl deactivate of an inactive model exits 1")
    tap.like(p.stdout + p.stderr, r"already inactive", "ctl: says it is already inactive")
    st, _ = d.request("DEACTIVATE %s" % LLAMA)
    tap.err(st, "conflict", "DEACTIVATE inactive -> ERR conflict")
    tap.like(st, r"already inactive", "ERR conflict message says already inactive")

    st, _ = d.request("DEFAULT %s" % LLAMA)
    tap.err(st, "conflict", "DEFAULT of an inactive model -> ERR conflict")
    tap.like(st, r"activate it first", "... saying 'activate it first'")
    p = d.ctl("default", LLAMA)
    tap.eq(p.returncode, 1, "ctl default of an inactive model exits 1")
    tap.like(p.stdout + p.stderr, r"activate it first", "ctl: 'activate it first'")

    st, _ = d.request("DEACTIVATE %s" % GPT)
    tap.err(st, "conflict", "DEACTIVATE of the default -> ERR conflict")
    tap.like(st, r"set another default first", "... saying 'set another default first'")
    st, _ = d.request("DELETE %s" % GPT)
    tap.err(st, "conflict", "DELETE of the default -> ERR conflict")
    tap.like(st, r"set another default first", "... saying 'set another default first'")
    p = d.ctl("delete", GPT, yes=True)
    tap.eq(p.returncode, 1, "ctl delete of the default exits 1")
    p = d.ctl("deactivate", GPT, yes=True)
    tap.eq(p.returncode, 1, "ctl deactivate of the default exits 1")

    tap.eq(state(d), before, "refused requests changed nothing")
    tap.ok(show(d, GPT) is not None, "the default still exists")


def test_notfound(tap, d):
    before = state(d)
    for verb in ("SHOW", "ACTIVATE", "DEACTIVATE", "DEFAULT", "DELETE"):
        st, _ = d.request("%s nosuch/model" % verb)
        tap.err(st, "notfound", "%s of an unknown model -> ERR notfound" % verb)
    for cmd in ("show", "activate", "deactivate", "default", "delete"):
        p = d.ctl(cmd, "nosuch/model", yes=True)
        tap.eq(p.returncode, 1, "ctl %s of an unknown model exits 1" % cmd)
    tap.eq(state(d), before, "notfound requests changed nothing")


def test_default_switch(tap, d):
    st, recs = d.request("ACTIVATE %s" % LLAMA)
    tap.eq(st, "OK 1", "ACTIVATE inactive model -> OK 1")
    r = recs[0] if recs else {}
    tap.eq((r.get("id"), r.get("status")), (LLAMA, "active"), "ACTIVATE record: id and new status")
    tap.ok(r.get("message"), "ACTIVATE record has a message", r)
    m = show(d, LLAMA)
    tap.eq((m["status"], m["status_source"]), ("active", "manual"), "activated model: active, status_source manual")

    st, recs = d.request("DEFAULT %s" % LLAMA)
    tap.eq(st, "OK 1", "DEFAULT active model -> OK 1")
    r = recs[0] if recs else {}
    tap.eq((r.get("id"), r.get("previous")), (LLAMA, GPT), "DEFAULT record names the previous default")
    defaults = [x["id"] for x in listing(d) if x["default"] == "true"]
    tap.eq(defaults, [LLAMA], "exactly one default after the change, the new one")
    tap.eq(show(d, GPT)["status"], "active", "the old default stays active")
    dr, _ = d.status()
    tap.eq(dr.get("default"), LLAMA, "STATUS shows the new default")

    # Setting the same default again is not an error that changes anything.
    st, _ = d.request("DEFAULT %s" % LLAMA)
    tap.ok(st is not None and (st == "OK 1" or st.startswith("ERR conflict")),
        "DEFAULT of the current default: OK or conflict", st)
    tap.eq([x["id"] for x in listing(d) if x["default"] == "true"], [LLAMA], "still exactly one default")

    # Through modelregctl: back to GPT.
    p = d.ctl("default", GPT)
    tap.eq(p.returncode, 0, "ctl default MODEL exits 0", p.stderr)
    tap.eq([x["id"] for x in listing(d) if x["default"] == "true"], [GPT], "ctl default: one default, GPT")
    # Now the former default may be deactivated.
    p = d.ctl("deactivate", LLAMA, yes=True)
    tap.eq(p.returncode, 0, "ctl deactivate of a former default exits 0", p.stderr)
    tap.eq(show(d, LLAMA)["status"], "inactive", "former default deactivated")
    p = d.ctl("activate", LLAMA)
    tap.eq(p.returncode, 0, "ctl activate exits 0", p.stderr)
    tap.eq(show(d, LLAMA)["status"], "active", "ctl activate made it active")


def test_delete_and_reseed(tap, d):
    st, _ = d.request("ACTIVATE %s" % R1)
    tap.eq(st, "OK 1", "activate R1 (a manual setting)")
    old = show(d, R1)
    tap.eq((old["status"], old["status_source"]), ("active", "manual"), "R1 manually active")

    st, recs = d.request("DELETE %s" % R1)
    tap.eq(st, "OK 1", "DELETE -> OK 1")
    tap.eq(recs[0].get("id") if recs else None, R1, "DELETE record id")
    st, _ = d.request("SHOW %s" % R1)
    tap.err(st, "notfound", "deleted model: SHOW -> ERR notfound")
    tap.ok(R1 not in [x["id"] for x in listing(d)], "deleted model not in LIST")
    st, _ = d.request("DELETE %s" % R1)
    tap.err(st, "notfound", "DELETE twice -> ERR notfound")

    st, recs = d.request("SEED")
    tap.eq(st, "OK 1", "SEED -> OK 1")
    r = recs[0] if recs else {}
    tap.eq(r.get("added"), "1", "SEED adds the deleted model back (added=1)")
    tap.ok(r.get("default_set") in ("0", "false"), "SEED keeps the existing default (default_set false)", r)
    new = show(d, R1)
    tap.ok(new is not None, "deleted model is back after SEED")
    if new:
        tap.eq((new["status"], new["status_source"], new["default"]), ("inactive", "seed", "false"),
            "it comes back as new: new_model_status, from the seed, old settings gone")
        tap.ok(new["added_at"] >= old["added_at"], "added_at is the new addition time", (old, new))
    tap.eq(show(d, LLAMA)["status"], "active", "SEED keeps manual changes of unlisted models")
    tap.eq([x["id"] for x in listing(d) if x["default"] == "true"], [GPT], "SEED keeps the default")


def test_filters(tap, d):
    recs = listing(d)
    n = len(recs)
    tap.eq(n, len(ALL), "LIST: every model of the catalog")
    act = sorted(x["id"] for x in recs if x["status"] == "active")
    ina = sorted(x["id"] for x in recs if x["status"] == "inactive")
    tap.eq(sorted(x["id"] for x in listing(d, "status=active")), act, "status=active")
    tap.eq(sorted(x["id"] for x in listing(d, "status=inactive")), ina, "status=inactive")
    tap.eq(len(listing(d, "status=all")), n, "status=all")
    tap.eq(sorted(x["id"] for x in listing(d, "STATUS=ACTIVE")), act, "option key and value case-insensitive")
    st, _ = d.request("LIST status=bogus")
    tap.err(st, "usage", "status=bogus -> ERR usage")

    tap.eq(sorted(x["id"] for x in listing(d, "provider=mistralai")), [MLARGE, MSMALL], "provider=mistralai")
    tap.eq(sorted(x["id"] for x in listing(d, "provider=MistralAI")), [MLARGE, MSMALL],
        "provider is case-insensitive")
    tap.eq(listing(d, "provider=mistral"), [], "provider matches exactly, not a prefix")
    tap.eq(sorted(x["id"] for x in listing(d, "provider=mistralai status=active")), [MLARGE],
        "provider and status combine")

    tap.eq([x["id"] for x in listing(d, "search=QUOKKA")], [MSMALL], "search over description, case-insensitive")
    tap.eq([x["id"] for x in listing(d, 'search="claude 3.5"')], [CLAUDE], "search over name, quoted with a blank")
    tap.eq([x["id"] for x in listing(d, "search=gpt-4O")], [GPT], "search over id")
    tap.eq(sorted(x["id"] for x in listing(d, "search=ANTHROPIC")), [CLAUDE], "search over provider")
    tap.eq(sorted(x["id"] for x in listing(d, "search=Mistral")), [MLARGE, MSMALL], "search substring")
    tap.eq(listing(d, "search=zzz-no-match"), [], "search without a match -> OK 0")

    p = d.ctl("list", "--status", "active", "--provider", "MISTRALAI", json=True)
    tap.eq(p.returncode, 0, "ctl list with filters exits 0", p.stderr)
    try:
        got = sorted(x["id"] for x in json.loads(p.stdout))
    except ValueError:
        got = p.stdout
    tap.eq(got, [MLARGE], "ctl list --status --provider")
    got = [x["id"] for x in d.ctl_json("list", "--search", "quokka")]
    tap.eq(got, [MSMALL], "ctl list --search")


def _num(v):
    return float(v) if v is not None else None


def check_sort(tap, d, key, keyfn, desc):
    args = "sort=%s" % key + (" order=desc" if desc else "")
    recs = listing(d, args)
    ids = [r["id"] for r in recs]
    tap.eq(len(recs), len(ALL), "LIST %s: all models" % args)
    vals = [keyfn(r) for r in recs]
    ok = True
    for i in range(len(recs) - 1):
        a, b = vals[i], vals[i + 1]
        if a == b:
            if not desc and ids[i] > ids[i + 1]:
                ok = False
            continue
        if (a > b) if not desc else (a < b):
            ok = False
    tap.ok(ok, "LIST %s: ordered by %s%s" % (args, key, " (ties by id)" if not desc else ""),
        "\n".join("%s %r" % x for x in zip(ids, vals)))
    return ids


def test_sorts(tap, d):
    def name(r):
        return r["name"].lower()

    def ctx(r):
        return int(r["context_length"]) if r["context_length"] is not None else -1

    def status(r):
        return 0 if r["status"] == "active" else 1

    ids = check_sort(tap, d, "name", name, False)
    tap.eq(ids, [CLAUDE, AUTO, R1, GEMINI, LLAMA, MLARGE, MSMALL, GPT, GROK], "sort=name: exact order")
    ids = check_sort(tap, d, "name", name, True)
    tap.eq(ids, [GROK, GPT, MSMALL, MLARGE, LLAMA, GEMINI, R1, AUTO, CLAUDE], "sort=name order=desc: exact order")
    check_sort(tap, d, "provider", lambda r: r["provider"].lower(), False)
    check_sort(tap, d, "provider", lambda r: r["provider"].lower(), True)
    ids = check_sort(tap, d, "context", ctx, False)
    tap.eq(ids, [MSMALL, MLARGE, GPT, LLAMA, GROK, R1, CLAUDE, GEMINI, AUTO], "sort=context: exact order")
    ids = check_sort(tap, d, "context", ctx, True)
    tap.eq(ids[0], AUTO, "sort=context order=desc: largest first")
    check_sort(tap, d, "status", status, False)
    check_sort(tap, d, "status", status, True)

    # price: by prompt price, unknown last.
    recs = listing(d, "sort=price")
    ids = [r["id"] for r in recs]
    known = [r for r in recs if r["prompt_price"] is not None]
    unknown = [r["id"] for r in recs if r["prompt_price"] is None]
    tap.eq(sorted(unknown), sorted([AUTO, GROK]), "unknown prices: variable (-1) and missing pricing")
    tap.eq(sorted(ids[-2:]), sorted([AUTO, GROK]), "sort=price: unknown prices last")
    tap.eq([r["id"] for r in known], [LLAMA, GEMINI, MSMALL, R1, MLARGE, GPT, CLAUDE],
        "sort=price: cheapest first")
    recs = listing(d, "sort=price order=desc")
    known = [r["id"] for r in recs if r["prompt_price"] is not None]
    tap.eq(known, [CLAUDE, GPT, MLARGE, R1, MSMALL, GEMINI, LLAMA], "sort=price order=desc: dearest first")
    st, _ = d.request("LIST sort=bogus")
    tap.err(st, "usage", "sort=bogus -> ERR usage")
    st, _ = d.request("LIST order=sideways")
    tap.err(st, "usage", "order=sideways -> ERR usage")

    got = [x["id"] for x in d.ctl_json("list", "--sort", "price", "--desc")]
    tap.eq([i for i in got if i not in (AUTO, GROK)], [CLAUDE, GPT, MLARGE, R1, MSMALL, GEMINI, LLAMA],
        "ctl list --sort price --desc")
    got = [x["id"] for x in d.ctl_json("list", "--sort", "context")]
    tap.eq(got, [MSMALL, MLARGE, GPT, LLAMA, GROK, R1, CLAUDE, GEMINI, AUTO], "ctl list --sort context")


def test_prices(tap, d):
    g = show(d, GPT)
    tap.ok(abs(float(g["prompt_price"]) - 2.5) < 1e-9, "prompt price per 1M tokens (0.0000025/token -> 2.5)", g)
    tap.ok(abs(float(g["completion_price"]) - 10) < 1e-9, "completion price per 1M tokens", g)
    r1 = show(d, R1)
    tap.ok(r1 and abs(float(r1["prompt_price"]) - 0.4) < 1e-9, "a price given as a JSON number", r1)
    a = show(d, AUTO)
    tap.eq((a["prompt_price"], a["completion_price"]), (None, None), "-1 (variable) is unknown")


def test_audit(tap, d):
    db = d.open_db()
    try:
        cols = [r[1] for r in db.execute("PRAGMA table_info(audit)")]
        tap.ok(cols, "the database has an audit table", cols)
        rows = [dict(zip(cols, r)) for r in db.execute("SELECT * FROM audit ORDER BY rowid")]
        tap.ok(len(rows) > 0, "audit rows exist")
        manual = [r for r in rows if r.get("uid") == 0]
        tap.ok(manual, "audit rows carry the peer's uid (0)")

        def has(model, old, new):
            return any(r.get("model") == model and r.get("old") == old and r.get("new") == new
                and r.get("uid") == 0 for r in rows)
        tap.ok(has(LLAMA, "inactive", "active"), "audit: activation with old and new status",
            [r for r in rows if r.get("model") == LLAMA])
        tap.ok(has(LLAMA, "active", "inactive"), "audit: deactivation with old and new status")
        tap.ok(any(r.get("model") == R1 and "delete" in str(r.get("action", "")).lower() for r in rows),
            "audit: the deletion is logged", [r for r in rows if r.get("model") == R1])
        tap.ok(any(r.get("uid") == 0 and "default" in str(r.get("action", "")) + str(r.get("field", ""))
            and LLAMA in (str(r.get("old")), str(r.get("new")), str(r.get("model"))) for r in rows),
            "audit: the default change is logged")
        tap.ok(all(r.get("at") for r in rows), "audit rows have a time")
        adds = [(r.get("model"), r.get("actor")) for r in rows if r.get("action") == "seed.add"]
        tap.ok(adds and all(a == "seed" for m, a in adds[:-1]),
            "audit: first-boot seeding is recorded as the daemon (actor seed)", adds)
        tap.eq(adds[-1] if adds else None, (R1, "root"),
            "audit: the model SEED added back is recorded as the admin who asked")
        users = {r.get("actor") for r in rows if r.get("uid") == 0}
        tap.ok("root" in users, "audit: manual changes record the user name", users)
        ic = db.execute("PRAGMA integrity_check").fetchall()
        tap.eq(ic, [("ok",)], "PRAGMA integrity_check ok")
        n = db.execute("SELECT count(*) FROM models WHERE is_default = 1").fetchone()[0]
        tap.eq(n, 1, "database: exactly one default row")
    finally:
        db.close()


def main(tap):
    srv = httpd.Server()
    srv.set("/api/v1/models", "file", file=CATALOG)
    d = harness.Daemon(seed_url=srv.url("/api/v1/models"), seed_format="openrouter",
        always_active=[GPT, CLAUDE, MLARGE], default_model=GPT, new_model_status="inactive")
    d.wait_seeded()
    tap.eq(sorted(x["id"] for x in listing(d, "status=active")), sorted([GPT, CLAUDE, MLARGE]),
        "seeded: always_active models active")
    test_prices(tap, d)
    test_conflicts(tap, d)
    test_notfound(tap, d)
    test_default_switch(tap, d)
    test_delete_and_reseed(tap, d)
    test_filters(tap, d)
    test_sorts(tap, d)
    test_audit(tap, d)
    tap.eq(d.stop(), 0, "daemon stops cleanly")


harness.main(main)
