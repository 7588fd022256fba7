# test_audit.py: the AUDIT verb and modelregctl audit: who changed what, filters (model by id, alias or a deleted model's name; actor; since; limit), bounds, text and --json.
import json
import re
import sqlite3

import harness
from harness import RFC3339

MISTRAL = harness.data_path("catalog-mistral.json")
KEYS = ["at", "actor", "uid", "action", "model", "field", "old", "new"]


def audit(d, opts=""):
    st, recs = d.request(("AUDIT " + opts).strip())
    if st is None or not st.startswith("OK"):
        raise harness.HarnessError("AUDIT %s: %r" % (opts, st))
    return recs


def test_audit(t):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL))
    d.wait_for(lambda: audit(d), 15, "the seed's audit rows")
    st, who = d.request("WHOAMI")
    user, uid = who[0]["user"], who[0]["uid"]
    n_seed = len(audit(d, "limit=10000"))
    t.ok(n_seed > 0, "the seed wrote audit rows")

    for line in ("ACTIVATE mistral-large-latest", "ACTIVATE pixtral-large-2411",
                 "DEFAULT pixtral-large-2411", "DEACTIVATE mistral-large-latest",
                 "DELETE mistral-embed"):
        st, _ = d.request(line)
        t.ok(st and st.startswith("OK"), line, st)

    recs = audit(d, "limit=5")
    t.eq([r["action"] for r in recs], ["activate", "activate", "default",
        "deactivate", "delete"], "AUDIT: the newest rows, newest last")
    t.eq(list(recs[0].keys()), KEYS, "AUDIT: at actor uid action model field old new")
    r = recs[0]
    t.like(r["at"], RFC3339, "at is RFC 3339")
    t.eq((r["actor"], r["uid"], r["model"], r["field"], r["old"], r["new"]),
        (user, uid, "mistral-large-2411", "status", "inactive", "active"),
        "an activation: who, which model, old and new")
    t.eq((recs[2]["old"], recs[2]["new"]), (None, "pixtral-large-2411"),
        "DEFAULT: old null (there was none), new the model")
    old = json.loads(recs[4]["old"])
    t.eq((old.get("name"), old.get("status")), ("mistral-embed", "inactive"),
        "DELETE: the whole row as the old value")

    # Filters.
    by_alias = audit(d, "model=mistral-large-latest limit=10000")
    by_id = audit(d, "model=mistral-large-2411 limit=10000")
    t.eq(by_alias, by_id, "model= resolves an alias")
    t.ok([r["action"] for r in by_id][-2:] == ["activate", "deactivate"],
        "model=: that model's rows", by_id)
    gone = audit(d, "model=mistral-embed")
    t.eq([r["action"] for r in gone][-1:], ["delete"], "model= finds a deleted model's rows")
    mine = audit(d, 'actor="%s" limit=10000' % user)
    t.eq(len(mine), 5, "actor=: the five changes of that user")
    t.eq({r["actor"] for r in audit(d, "actor=seed limit=10000")}, {"seed"},
        "actor=seed: only the seed's rows")
    t.eq(audit(d, "actor=nobody-at-all"), [], "actor=: no rows for someone else")
    t.eq(len(audit(d, "since=1h limit=10000")), n_seed + 5, "since=1h: everything")
    c = sqlite3.connect(d.db)
    try:
        c.execute("UPDATE audit SET at = at - 7200 WHERE action LIKE 'seed%'")
        c.commit()
    finally:
        c.close()
    t.eq(len(audit(d, "since=1h limit=10000")), 5, "since=1h leaves out older rows")
    t.eq(len(audit(d)), min(100, n_seed + 5), "limit defaults to 100")

    # Bad values are usage errors; viewers may read it.
    for opts in ("limit=0", "limit=10001", "limit=x", "since=0", "since=5y",
                 "model=", "actor=", "actor=%s" % ("a" * 65), "kind=x", "extra"):
        st, _ = d.request("AUDIT " + opts)
        t.err(st, "usage", "AUDIT %s: ERR usage" % opts)

    # modelregctl audit: a table, and --json an array of objects.
    p = d.ctl("audit", "--model", "mistral-large-latest")
    t.eq(p.returncode, 0, "modelregctl audit --model exits 0", p.stderr)
    lines = p.stdout.splitlines()
    t.like(lines[0] if lines else "", r"^AT\s+ACTOR\s+UID\s+ACTION\s+MODEL\s+FIELD\s+OLD\s+NEW",
        "the table's headings")
    t.ok(any(re.search(r"deactivate\s+mistral-large-2411\s+status\s+active\s+inactive", x)
        for x in lines), "a row per change", p.stdout)
    j = d.ctl_json("audit", "--actor", user, "--since", "1h", "--limit", "2")
    t.eq([list(o.keys()) for o in j], [KEYS, KEYS], "--json: objects with the keys")
    t.eq([o["action"] for o in j], ["deactivate", "delete"], "--json: newest last, limited")
    t.eq(j[0]["uid"], int(uid), "--json: uid is a number")
    t.like(j[0]["at"], RFC3339, "--json: at is RFC 3339")
    for args in (["--limit", "0"], ["--since", "soon"], ["--actor", ""], ["--kind", "x"]):
        p = d.ctl("audit", *args)
        t.eq(p.returncode, 2, "modelregctl audit %s: usage error" % " ".join(args))
    p = d.ctl("audit", "--actor", "nobody-at-all")
    t.eq((p.returncode, p.stdout.strip()), (0, "no audit entries"), "no rows: said plainly")
    d.cleanup()


def run(t):
    test_audit(t)


harness.main(run)
