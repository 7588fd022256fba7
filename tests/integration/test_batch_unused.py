# test_batch_unused.py: issue 11 item 3's --unused DURATION selector of activate, deactivate and delete (BATCH unused=): it selects exactly the models usage --unused lists (one rule: no USAGE report and no RESOLVE in that time, added before it), narrows the other selectors, --dry-run changes nothing, the default among them refuses the whole batch, and a bad duration is a usage error.
import os
import sqlite3
import time

import harness

MISTRAL = harness.data_path("catalog-mistral.json")
DAY = 86400

USED = "mistral-embed"            # a USAGE report now
RESOLVED = "pixtral-large-2411"   # a RESOLVE now, no report
OLD = "magistral-medium-2506"     # a report 60 days ago only
NEW = "mistral-medium-2505"        # added now: not there the whole time
DEFAULT = "mistral-large-2411"
NEMO = "open-mistral-nemo-2407"  # nothing at all
UNUSED_30D = sorted([OLD, DEFAULT, NEMO])
UNUSED_90D = sorted([DEFAULT, NEMO])


def ids(d, line):
    st, recs = d.request(line, 30)
    if not st.startswith("OK "):
        raise harness.HarnessError("%s: %s" % (line, st))
    return sorted(r["id"] for r in recs if "id" in r)


def age(d):
    """With the daemon stopped: every model but NEW added 100 days ago, OLD's one report 60 days ago."""
    now = int(time.time())
    db = sqlite3.connect(d.db, timeout=10)
    try:
        db.execute("UPDATE models SET added_at = ? WHERE id != ?", (now - 100 * DAY, NEW))
        db.execute("UPDATE models SET added_at = ? WHERE id = ?", (now, NEW))
        at = now - 60 * DAY
        db.execute("INSERT INTO usage_daily(model, day, key_id, requests, prompt_tokens,"
            " completion_tokens, cost, last_at) VALUES (?, ?, 0, 1, 10, 10, 0, ?)",
            (OLD, at // DAY, at))
        db.commit()
    finally:
        db.close()


def resolved(d):
    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=10)
    try:
        return c.execute("SELECT count(*) FROM resolve_counts WHERE model = ?",
            (RESOLVED,)).fetchone()[0] > 0
    finally:
        c.close()


def run(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), new_model_status="active",
        default_model="mistral-large-latest", wait_seed=True)
    d.stop()
    age(d)
    d.start()
    st, _ = d.request("USAGE %s prompt_tokens=5 completion_tokens=5" % USED)
    tap.eq(st, "OK 1", "a usage report for %s" % USED)
    st, _ = d.request("RESOLVE %s" % RESOLVED)
    tap.eq(st, "OK 1", "a RESOLVE of %s" % RESOLVED)
    harness.wait_for(lambda: resolved(d), 10, "the RESOLVE's counts to be written")
    everyone = ids(d, "LIST")

    # One rule: usage --unused lists what the selector selects.
    j = d.ctl_json("usage", "--unused", "30d")
    tap.eq(sorted(x["model"] for x in j), UNUSED_30D,
        "usage --unused 30d: neither the reported, the resolved, nor the new model")
    tap.eq(sorted(x["model"] for x in d.ctl_json("usage", "--unused", "90d")), UNUSED_90D,
        "usage --unused 90d: a report 60 days ago counts as a use")

    j = d.ctl_json("deactivate", "--unused", "30d", "--dry-run", check=1)
    outcomes = {m["id"]: m["outcome"] for m in j["models"]}
    tap.eq(sorted(outcomes), UNUSED_30D, "deactivate --unused 30d --dry-run selects exactly "
        "the unused models")
    tap.eq(outcomes.get(DEFAULT), "refused", "the default among them is refused")
    tap.eq(ids(d, "LIST status=active"), everyone, "a dry run changes nothing")

    p = d.ctl("deactivate", "--unused", "30d", "--yes")
    tap.eq(p.returncode, 1, "deactivate --unused 30d with the default among them: exit 1")
    tap.like(p.stdout, r"%s: refused: %s is the default" % (DEFAULT, DEFAULT),
        "the refusal is listed with its reason")
    tap.eq(ids(d, "LIST status=active"), everyone, "all or nothing: nothing changed")

    st, recs = d.request("BATCH deactivate unused=30d skip_refused=yes")
    tap.eq((st, recs[0].get("selected"), recs[0].get("changed"), recs[0].get("skipped")),
        ("OK 4", "3", "2", "1"), "skip_refused: the two unused others deactivated")
    tap.eq(ids(d, "LIST status=inactive"), sorted(set(UNUSED_30D) - {DEFAULT}),
        "exactly the unused models, not the default")

    # Beside other selectors it narrows them, as LIST's filters narrow each other.
    st, recs = d.request("BATCH activate unused=90d status=inactive")
    tap.eq({r["id"]: r.get("outcome") for r in recs[1:]},
        {NEMO: "change"}, "unused=90d status=inactive: the inactive model unused for "
        "90 days, not the one used 60 days ago")
    tap.eq(ids(d, "LIST status=inactive"), [OLD], "and only those were activated")
    st, recs = d.request("BATCH delete %s unused=90d dry_run=yes skip_refused=yes" % NEW)
    tap.eq(sorted(r["id"] for r in recs[1:]), sorted([NEW] + UNUSED_90D),
        "a named model is added beside the unused ones")

    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=10)
    try:
        sel = [r[0] for r in c.execute("SELECT selection FROM batches ORDER BY id")]
    finally:
        c.close()
    tap.eq(sel, ["unused=30d", "status=inactive unused=90d"],
        "the history records the selector")

    for bad in ("0s", "soon", "-1d", "99999999999d"):
        st, _ = d.request("BATCH deactivate unused=%s" % bad)
        tap.ok(st.startswith("ERR usage"), "a bad duration %r is a usage error" % bad, st)
    p = d.ctl("delete", "--unused", "soon")
    tap.eq(p.returncode, 2, "modelregctl delete --unused soon: a usage error")
    tap.eq(ids(d, "LIST status=active"), sorted(set(everyone) - {OLD}),
        "the refused requests changed nothing")
    d.cleanup()


harness.main(run)
