# test_history.py: issue 11 item 5 through the real daemon and modelregctl: history lists batches, switches and undos (who, when, counts, the default), history show lists a batch's models, undo restores each status (and the default of a switch), puts a deleted model back whole, is refused (changing nothing, naming the model) after a later change, an undo can be undone, an entry is undone once, --dry-run changes nothing, and a viewer may read the history but not undo.
import json
import os

import harness

MISTRAL = harness.data_path("catalog-mistral.json")


def ids(d, line):
    st, recs = d.request(line, 30)
    if not st.startswith("OK "):
        raise harness.HarnessError("%s: %s" % (line, st))
    return [r["id"] for r in recs if "id" in r]


def active(d):
    return sorted(ids(d, "LIST status=active"))


def default(d):
    st, recs = d.request("DEFAULT")
    return recs[0]["id"] if recs else None


def history(d, *args):
    return d.ctl_json("history", *args)


def test_batch_undo(tap, d):
    d.request("TAG open-mistral-nemo-2407 add=t1")
    d.request("TAG magistral-medium-2506 add=t1")
    before = active(d)
    p = d.ctl("activate", "--tag", "t1")
    tap.eq(p.returncode, 0, "a batch activate of two models (%s)" % p.stderr.strip())
    h = history(d)
    tap.eq(len(h), 1, "history lists the batch")
    e = h[0]
    tap.eq((e.get("action"), e.get("changed"), e.get("models"), e.get("selection")),
        ("activate", 2, 2, "tag=t1"), "with its action, counts and selection")
    tap.ok(e.get("user") == "root" and e.get("uid") == 0 and
        str(e.get("at", "")).endswith("Z"), "who (user and uid) and when", e)
    bid = e["id"]
    j = d.ctl_json("history", "show", bid)
    tap.eq([(m["model"], m["before"], m["after"]) for m in j.get("models", [])],
        [("magistral-medium-2506", "inactive", "active"),
         ("open-mistral-nemo-2407", "inactive", "active")],
        "history show: each model it changed with before and after")
    p = d.ctl("history")
    tap.ok(p.returncode == 0 and "activate" in p.stdout and "tag=t1" in p.stdout,
        "history as text", p.stdout)
    after = active(d)
    p = d.ctl("undo", bid, "--dry-run")
    tap.eq(p.returncode, 0, "undo --dry-run (%s)" % p.stderr.strip())
    tap.like(p.stdout, r"open-mistral-nemo-2407: would be deactivated", "it shows what would change")
    tap.eq(active(d), after, "a dry run changes nothing")
    tap.eq(len(history(d)), 1, "and writes no history row")
    audit0 = len(d.request("AUDIT limit=10000")[1])
    j = d.ctl_json("undo", bid)
    tap.eq((j.get("applied"), j.get("changed"), j.get("undo_of")), (True, 2, bid),
        "undo reverses the batch")
    tap.eq(active(d), before, "each model's status is restored")
    audit = d.request("AUDIT limit=10000")[1][audit0:]
    tap.eq(sorted((r["model"], r.get("old"), r.get("new")) for r in audit
        if r.get("field") == "status"),
        [("magistral-medium-2506", "active", "inactive"),
         ("open-mistral-nemo-2407", "active", "inactive")], "an audit row per model")
    st, recs = d.request("EVENTS kind=batch.undone")
    tap.ok(len(recs) == 1 and ('"undo_of":%d' % bid) in recs[0].get("details", ""),
        "one batch.undone event naming what it reversed", recs)
    h = history(d)
    tap.eq((h[0].get("action"), h[0].get("undo_of"), h[1].get("undone_by")),
        ("undo", bid, h[0]["id"]), "the undo is a history row; the batch says it was undone")
    p = d.ctl("undo", bid)
    tap.eq(p.returncode, 1, "undoing it twice is refused")
    tap.like(p.stderr, r"already undone by batch %d" % h[0]["id"], "and says by what")
    tap.eq(active(d), before, "and changes nothing")
    # undo of the undo: the batch's effect again
    uid = h[0]["id"]
    j = d.ctl_json("undo", uid)
    tap.eq((j.get("applied"), j.get("changed")), (True, 2), "an undo can be undone")
    tap.eq(active(d), after, "and the batch's statuses are back")
    j = d.ctl_json("undo", history(d)[0]["id"])
    tap.eq(active(d), before, "the undo of the undo of the undo too")


def test_refused(tap, d):
    d.request("TAG mistral-medium-2505 add=t2")
    d.request("TAG mistral-embed add=t2")
    st, recs = d.request("BATCH activate tag=t2")
    tap.eq(recs[0].get("applied"), "true", "a batch to undo later", st)
    bid = int(recs[0]["batch"])
    st, _ = d.request("DEACTIVATE mistral-embed")
    tap.eq(st, "OK 1", "a later change to one of its models")
    now = active(d)
    p = d.ctl("undo", bid)
    tap.eq(p.returncode, 1, "undo is refused: exit 1")
    tap.like(p.stdout, r"mistral-embed: refused: mistral-embed is inactive now; "
        r"batch %d left it active" % bid, "naming the model that changed and how")
    tap.like(p.stdout, r"mistral-medium-2505: would be deactivated \(not applied\)",
        "the others are listed as not applied")
    tap.eq(active(d), now, "and nothing changed")
    tap.eq(history(d)[0]["id"], bid, "and no history row was written")
    # changed and changed back: still a change since
    st, _ = d.request("ACTIVATE mistral-embed")
    tap.eq(st, "OK 1", "the model is set back to what the batch left")
    j = d.ctl_json("undo", bid, check=1)
    why = {m["id"]: m.get("reason", "") for m in j.get("models", [])}
    tap.like(why.get("mistral-embed", ""), r"was changed since \(audit \d+: activate by root\)",
        "a change and its reversal since is still a change (the audit log)")
    tap.eq(j.get("applied"), False, "--json: applied is false")
    # a later batch touching a model, which is as that one left it
    st, recs = d.request("BATCH activate tag=t1")
    later = int(recs[0]["batch"])
    d.request("BATCH deactivate tag=t1")
    d.request("BATCH activate open-mistral-nemo-2407 tag=t1")
    j = d.ctl_json("undo", later, check=1)
    why = {m["id"]: m.get("reason", "") for m in j.get("models", [])}
    tap.like(why.get("open-mistral-nemo-2407", ""), r"changed since by batch %d \(activate\)" %
        (later + 2), "a later batch that touched a model is named")
    st, _ = d.request("UNDO 99999")
    tap.ok(st.startswith("ERR notfound"), "undo of an unknown id: notfound", st)
    st, _ = d.request("UNDO x1")
    tap.ok(st.startswith("ERR usage"), "a bad id: usage", st)
    st, _ = d.request("HISTORY 99999")
    tap.ok(st.startswith("ERR notfound"), "history of an unknown id: notfound", st)


def test_switch_undo(tap, d):
    d.request("BATCH deactivate tag=t1")
    d.request("BATCH deactivate tag=t2")
    before, def0 = active(d), default(d)
    tap.eq(def0, "mistral-large-2411", "the default before the switch")
    d.request("COLLECTION create small open-mistral-nemo-2407 magistral-medium-2506")
    st, recs = d.request("COLLECTION switch small default=magistral-medium-2506", 30)
    tap.ok(st.startswith("OK") and default(d) == "magistral-medium-2506", "a switch that moves the default", st)
    h = history(d)[0]
    tap.eq((h.get("action"), h.get("selection"), h.get("default_before"), h.get("default_after"),
        h.get("changed")), ("switch", "small", def0, "magistral-medium-2506", 4),
        "history lists the switch with the default before and after")
    p = d.ctl("history", "--limit", "1")
    tap.like(p.stdout, r"mistral-large-2411 -> magistral-medium-2506", "history's text shows the default moving")
    tap.eq(len(history(d, "--limit", "2")), 2, "--limit N")
    j = d.ctl_json("undo", h["id"])
    tap.eq((j.get("applied"), j.get("default"), j.get("previous")),
        (True, def0, "magistral-medium-2506"), "undo of a switch")
    tap.eq((active(d), default(d)), (before, def0), "restores the statuses and the default")
    # a default moved since refuses it
    st, recs = d.request("COLLECTION switch small", 30)
    sid = int(recs[0]["batch"])
    other = [m for m in ("open-mistral-nemo-2407", "magistral-medium-2506") if m != default(d)][0]
    st, _ = d.request("DEFAULT %s" % other)
    tap.eq((st, default(d)), ("OK 1", other), "the default moved since the switch")
    now, dnow = active(d), default(d)
    p = d.ctl("undo", sid)
    tap.eq(p.returncode, 1, "undo after the default moved since is refused")
    tap.like(p.stderr + p.stdout, r"default is %s now" % other, "and says so")
    tap.eq((active(d), default(d)), (now, dnow), "and nothing changed")


def test_delete_undo(tap, d):
    m = "mistral-embed"
    d.request("TAG %s add=keep,small" % m)
    d.request("COLLECTION add small %s" % m)
    st, _ = d.request("SET %s label=Tiny alias=teeny temperature=0.3" % m)
    tap.eq(st, "OK 1", "the model has settings and an organisation alias", st)
    st, recs = d.request("SHOW %s" % m)
    shown = recs[0]
    st, recs = d.request("BATCH delete %s" % m)
    tap.eq(recs[0].get("applied"), "true", "a batch delete", st)
    bid = int(recs[0]["batch"])
    tap.ok(m not in ids(d, "LIST"), "the model is gone")
    p = d.ctl("undo", bid)
    tap.eq(p.returncode, 0, "undo of a delete (%s)" % p.stderr.strip())
    tap.like(p.stdout, r"%s: restored" % m, "says the model is restored")
    st, recs = d.request("SHOW teeny")
    tap.eq(st, "OK 1", "the model is back, its organisation alias too")
    back = recs[0]
    for k in ("name", "status", "label", "param.temperature", "tags", "added_at", "context_length",
              "prompt_price", "aliases"):
        tap.eq(back.get(k), shown.get(k), "restored: %s" % k)
    tap.ok(m in ids(d, "LIST collection=small"), "its collection membership is back")
    st, recs = d.request("AUDIT model=%s" % m)
    tap.eq(recs[-1].get("action"), "restore", "the restore is audited")
    # the undo of that undo deletes it again; a model there again since refuses
    uid = history(d)[0]["id"]
    j = d.ctl_json("undo", uid)
    tap.ok(j.get("applied") and m not in ids(d, "LIST"), "undo of the restore deletes it again", j)
    st, _ = d.request("REFRESH catalog", 30)
    tap.ok(st.startswith("OK"), "the catalog refreshed", st)
    st, _ = d.request("SYNC %s" % m)
    tap.eq(st, "OK 1", "the model is synced again")
    j = d.ctl_json("undo", history(d)[0]["id"], check=1)
    tap.like(j["models"][0].get("reason", ""), r"exists again since", "undo refused: it exists again")


def test_roles(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), socket_mode="0666",
        always_active=["mistral-large-latest"], default_model="mistral-large-latest",
        wait_seed=True)
    st, recs = d.request("BATCH activate provider=mistralai")
    bid = int(recs[0]["batch"])
    viewer = (54321, 54321)
    p = d.ctl("history", json=True, as_user=viewer)
    tap.eq((p.returncode, [e["id"] for e in json.loads(p.stdout or "[]")]), (0, [bid]),
        "a viewer may read the history")
    p = d.ctl("undo", bid, as_user=viewer)
    tap.eq(p.returncode, 4, "a viewer may not undo (exit 4)")
    tap.like(p.stderr, r"UNDO needs the member role", "and is told the role")
    tap.eq(history(d)[0].get("undone_by"), None, "and nothing was undone")
    d.cleanup()


def test_worker(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest"], default_model="mistral-large-latest",
        start=False)
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    open(gate, "w").close()
    d.start()
    d.wait_seeded(timeout=60)
    st, recs = d.request("BATCH activate provider=mistralai", 30)
    bid = int(recs[0]["batch"])
    if os.path.exists(held):
        os.unlink(held)
    os.unlink(gate)
    undoer, other = d.raw(60), d.raw(60)
    undoer.send("UNDO %d\n" % bid)
    harness.wait_for(lambda: os.path.exists(held), 30, "the undo to wait at its commit")
    st, _ = other.request("PING")
    tap.ok(st is not None and st.startswith("OK "), "UNDO runs on the import worker: PING "
        "is answered meanwhile", st)
    st, _ = other.request("HISTORY %d" % bid, 10)
    tap.ok(st is not None and st.startswith("OK "), "HISTORY ID is answered meanwhile (a read "
        "that waits for no write lock)", st)
    tap.eq(undoer.pending(0.2), b"", "and the undo has not replied yet")
    open(gate, "w").close()
    st, lines = undoer.read_reply(60)
    head = harness.parse_logfmt(lines[0]) if lines else {}
    tap.eq((st.split()[0] if st else None, head.get("applied")), ("OK", "true"),
        "then its reply, applied")
    # a model put back to deleted must not be in use: the job's copy of the sessions
    m = "open-mistral-nemo-2407"
    d.request("BATCH activate %s" % m, 30)
    st, recs = d.request("BATCH delete %s" % m, 30)
    st, recs = d.request("UNDO %s" % recs[0]["batch"], 30)
    tap.eq(recs[0].get("applied"), "true", "a delete undone: the model is back, active", recs)
    uid = recs[0]["batch"]
    st, _ = d.request("RESOLVE %s session=s1" % m)
    tap.eq(st, "OK 1", "a session on the model put back")
    st, recs = d.request("UNDO %s" % uid, 30)
    tap.ok(recs and recs[0].get("applied") == "false", "undoing the restore is refused", recs)
    tap.like(recs[1].get("reason", "") if len(recs) > 1 else "", r"in use by 1 session",
        "the model is in use")
    tap.ok(m in ids(d, "LIST"), "and it is still there")
    undoer.close()
    other.close()
    d.cleanup()


def run(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest", "pixtral-large-2411"],
        default_model="mistral-large-latest",
        extra="[catalog]\nurl = %s\nformat = mistral\ninterval = 1h\n" %
        harness.file_url(MISTRAL), wait_seed=True)
    test_batch_undo(tap, d)
    test_refused(tap, d)
    test_switch_undo(tap, d)
    test_delete_undo(tap, d)
    d.cleanup()
    test_roles(tap)
    test_worker(tap)


harness.main(run)
