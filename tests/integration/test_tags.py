# test_tags.py: issue 11 items 1-3 through the real daemon and modelregctl: tags (names, limits, list and catalog --tag, --json), collections (create, --from, add, remove, show, delete), collection switch (the default moves, --dry-run changes nothing, one event, an audit row per model), a key that follows a collection, and batches (all or nothing with one refused model, --skip-refused, --dry-run, unchanged, a model in use, 10,000 models in one request).
import json
import os
import pty
import sqlite3
import subprocess
import tempfile

import harness

MISTRAL = harness.data_path("catalog-mistral.json")


def ids(d, line):
    st, recs = d.request(line, 30)
    if not st.startswith("OK "):
        raise harness.HarnessError("%s: %s" % (line, st))
    return [r["id"] for r in recs if "id" in r]


def active(d):
    return ids(d, "LIST status=active")


def default(d):
    st, recs = d.request("DEFAULT")
    return recs[0]["id"] if recs else None


def daemon():
    return harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest", "pixtral-large-2411"],
        default_model="mistral-large-latest",
        extra="[catalog]\nurl = %s\nformat = mistral\ninterval = 1h\n" %
        harness.file_url(MISTRAL), wait_seed=True)


def test_tags(tap, d):
    p = d.ctl("tag", "mistral-large-latest", "pixtral-large-2411", "--add", "Coding,chat")
    tap.eq(p.returncode, 0, "tag two models by alias and id (%s)" % p.stderr.strip())
    st, recs = d.request("SHOW mistral-large-2411")
    tap.eq(recs[0].get("tags"), "chat,coding", "tags are folded to lower case and sorted")
    j = d.ctl_json("show", "pixtral-large-2411")
    tap.eq(j.get("tags"), ["chat", "coding"], "--json model objects carry \"tags\" as a list")
    tap.eq(ids(d, "LIST tag=coding"), ["mistral-large-2411", "pixtral-large-2411"],
        "LIST tag= selects the tagged models")
    j = d.ctl_json("list", "--tag", "chat")
    tap.eq([m["id"] for m in j], ["mistral-large-2411", "pixtral-large-2411"], "list --tag")
    p = d.ctl("tag", "pixtral-large-2411", "--remove", "chat")
    tap.eq(p.returncode, 0, "tag --remove")
    tap.eq(ids(d, "LIST tag=chat"), ["mistral-large-2411"], "the removed tag no longer selects it")
    # bad names and limits change nothing
    for bad in ("-x", "a b", "x" * 65, "ünï", "a,,b"):
        st, _ = d.request("TAG mistral-large-2411 add=%s" % harness_quote(bad))
        tap.ok(st.startswith("ERR usage"), "a bad tag %r is refused" % bad, st)
    st, _ = d.request("TAG mistral-large-2411 add=x remove=x")
    tap.ok(st.startswith("ERR usage"), "adding and removing one tag is refused", st)
    many = ",".join("t%02d" % i for i in range(31))
    st, _ = d.request("TAG mistral-large-2411 add=" + many)
    tap.ok(st.startswith("ERR conflict"), "more than 32 tags on a model is refused", st)
    st, recs = d.request("SHOW mistral-large-2411")
    tap.eq(recs[0].get("tags"), "chat,coding", "and the refused TAG changed nothing")
    st, recs = d.request("TAG mistral-large-2411 add=chat")
    tap.eq((st, recs[0].get("added")), ("OK 1", "0"), "a tag already there: OK, nothing added")
    st, recs = d.request("TAG nosuch add=x")
    tap.ok(st.startswith("ERR notfound"), "TAG of an unknown model: notfound", st)
    st, recs = d.request("AUDIT model=pixtral-large-2411")
    tags = [r for r in recs if r.get("action") == "tag"]
    tap.eq([(r.get("old"), r.get("new")) for r in tags], [(None, "chat,coding"), ("chat,coding", "coding")],
        "each change of tags is audited with the old and new lists")
    st, recs = d.request("EVENTS kind=model.tagged")
    tap.eq(len(recs), 3, "a model.tagged event per TAG that changed something")
    # catalog --tag: tags are the registry's, so only synced entries carry them
    st, _ = d.request("REFRESH catalog", 30)
    tap.ok(st.startswith("OK"), "the catalog refreshed", st)
    tap.eq(ids(d, "CATALOG tag=coding"), ["mistral-large-2411", "pixtral-large-2411"],
        "CATALOG tag= lists the entries synced as a model with the tag")
    tap.eq(ids(d, "CATALOG tag=coding synced=no"), [], "an entry not synced carries no tag")
    p = d.ctl("catalog", "--tag", "coding")
    tap.ok(p.returncode == 0 and "pixtral-large-2411" in p.stdout and
        "magistral" not in p.stdout, "catalog --tag", p.stdout + p.stderr)


def harness_quote(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def test_collections(tap, d):
    p = d.ctl("collection", "create", "coding", "--from", "tag=coding")
    tap.eq(p.returncode, 0, "collection create --from tag=coding (%s)" % p.stderr.strip())
    tap.like(p.stdout, r"created with 2 models", "and says how many")
    tap.eq(ids(d, "LIST collection=coding"), ["mistral-large-2411", "pixtral-large-2411"],
        "LIST collection= lists its models")
    p = d.ctl("collection", "create", "small", "open-mistral-nemo", "mistral-embed")
    tap.eq(p.returncode, 0, "collection create NAME MODEL... (by alias)")
    p = d.ctl("collection", "create", "small")
    tap.eq(p.returncode, 1, "a second collection of that name is refused")
    p = d.ctl("collection", "create", "bad name")
    tap.eq(p.returncode, 1, "a bad collection name is refused")
    p = d.ctl("collection", "create", "x", "nosuch-model")
    tap.eq(p.returncode, 1, "a collection of an unknown model is refused")
    st, recs = d.request("COLLECTION list")
    tap.eq([r["name"] for r in recs], ["coding", "small"], "the refusals created nothing")
    p = d.ctl("collection", "add", "small", "magistral-medium-latest")
    tap.eq(p.returncode, 0, "collection add")
    p = d.ctl("collection", "remove", "small", "mistral-embed")
    tap.eq(p.returncode, 0, "collection remove")
    j = d.ctl_json("collection", "show", "small")
    tap.eq(([m["id"] for m in j.get("members", [])], j.get("models")),
        (["magistral-medium-2506", "open-mistral-nemo-2407"], 2),
        "collection show: its models, by id, and their count")
    j = d.ctl_json("collection", "show", "coding")
    tap.eq([(m["id"], m["status"], m["default"]) for m in j.get("members", [])],
        [("mistral-large-2411", "active", True), ("pixtral-large-2411", "active", False)],
        "collection show --json: each member's default is a JSON boolean")
    tap.eq(d.ctl_json("status").get("default"), "mistral-large-2411",
        "status --json: the default stays a model id (a string)")
    j = d.ctl_json("collection", "list")
    tap.eq([(c["name"], c["models"], c["active"]) for c in j],
        [("coding", 2, 2), ("small", 2, 0)], "collection list: counts of models and active ones")
    p = d.ctl("collection", "show", "nosuch")
    tap.eq(p.returncode, 1, "show of an unknown collection: exit 1")


def test_switch(tap, d):
    before = active(d)
    tap.eq(default(d), "mistral-large-2411", "the default before the switch")
    p = d.ctl("collection", "switch", "small", "--dry-run")
    tap.eq(p.returncode, 0, "switch --dry-run (%s)" % p.stderr.strip())
    tap.like(p.stdout, r"mistral-large-2411: would be deactivated", "it shows what would change")
    tap.like(p.stderr, r"the default would be", "and the default it would choose")
    tap.eq((active(d), default(d)), (before, "mistral-large-2411"), "a dry run changes nothing")
    st, recs = d.request("EVENTS kind=collection.switched")
    tap.eq(recs, [], "and raises no event")
    p = d.ctl("collection", "switch", "small", "--default", "mistral-large-2411")
    tap.eq(p.returncode, 1, "--default of a model not in the collection is refused")
    tap.eq(active(d), before, "and nothing changed")
    audit0 = len(d.request("AUDIT limit=10000")[1])
    j = d.ctl_json("collection", "switch", "small")
    tap.eq(sorted(active(d)), ["magistral-medium-2506", "open-mistral-nemo-2407"],
        "after the switch exactly the collection's models are active")
    tap.ok(default(d) in ("magistral-medium-2506", "open-mistral-nemo-2407"),
        "the default moved into the collection", default(d))
    tap.eq((j.get("default"), j.get("previous")), (default(d), "mistral-large-2411"),
        "the reply names the new default and the previous one")
    st, recs = d.request("EVENTS kind=collection.switched")
    tap.eq(len(recs), 1, "one collection.switched event")
    audit = d.request("AUDIT limit=10000")[1][audit0:]
    status_rows = [r for r in audit if r.get("field") == "status"]
    tap.eq(sorted(r["model"] for r in status_rows), sorted(["magistral-medium-2506",
        "open-mistral-nemo-2407", "mistral-large-2411", "pixtral-large-2411"]),
        "an audit row per model whose status changed")
    tap.eq(len([r for r in audit if r.get("action") == "default"]), 1, "and one for the default")
    p = d.ctl("collection", "switch", "coding", "--default", "pixtral-large-latest")
    tap.eq(p.returncode, 0, "switch back with --default M (%s)" % p.stderr.strip())
    tap.eq((sorted(active(d)), default(d)), (["mistral-large-2411", "pixtral-large-2411"],
        "pixtral-large-2411"), "the collection is active and M is the default")
    p = d.ctl("collection", "switch", "coding")
    tap.like(p.stderr, r"already", "a switch to what is already active says so")
    tap.eq(len(d.request("EVENTS kind=collection.switched")[1]), 2, "and raises no event")
    d.request("COLLECTION create embed mistral-embed")
    p = d.ctl("collection", "switch", "embed")
    tap.eq(p.returncode, 1, "a collection no model of which may be the default is refused")
    tap.eq(sorted(active(d)), ["mistral-large-2411", "pixtral-large-2411"], "and nothing changed")


def test_key(tap, d):
    st, recs = d.request("KEY create app collection=coding")
    tap.eq(st, "OK 1", "KEY CREATE collection=")
    secret = recs[0]["secret"]
    st, recs = d.request("KEY show app")
    tap.eq(recs[0].get("collection"), "coding", "KEY SHOW names the collection")
    st, recs = d.request("RESOLVE magistral-medium-2506 key=" + secret)
    tap.ok(st.startswith("ERR denied"), "a model outside the collection is refused", st)
    d.request("ACTIVATE magistral-medium-2506")
    d.request("COLLECTION add coding magistral-medium-2506")
    st, recs = d.request("RESOLVE magistral-medium-2506 key=" + secret)
    tap.eq((st, recs[0].get("id") if recs else None), ("OK 1", "magistral-medium-2506"),
        "once added to the collection the key may use it")
    d.request("COLLECTION remove coding magistral-medium-2506")
    st, recs = d.request("RESOLVE magistral-medium-2506 key=" + secret)
    tap.ok(st.startswith("ERR denied"), "removed again, it is refused again", st)
    d.request("DEACTIVATE magistral-medium-2506")
    st, _ = d.request("KEY allow app mistral-embed")
    tap.ok(st.startswith("ERR conflict"), "a collection key has no list to allow to", st)
    st, _ = d.request("KEY create app2 collection=coding all=yes")
    tap.ok(st.startswith("ERR usage"), "collection= and all= exclude each other", st)
    p = d.ctl("collection", "delete", "coding")
    tap.eq(p.returncode, 1, "a collection a live key follows cannot be deleted")
    tap.like(p.stderr, r"followed by key app", "and the key is named")
    d.request("KEY revoke app")
    p = d.ctl("collection", "delete", "embed")
    tap.eq(p.returncode, 0, "collection delete")
    st, recs = d.request("COLLECTION list")
    tap.eq([r["name"] for r in recs], ["coding", "small"], "it is gone")


def test_batch(tap, d):
    # coding: mistral-large-2411 and pixtral-large-2411, pixtral the default
    before = active(d)
    p = d.ctl("deactivate", "--collection", "coding")
    tap.eq(p.returncode, 1, "a batch with the default in it is refused: exit 1")
    tap.like(p.stdout, r"pixtral-large-2411: refused: pixtral-large-2411 is the default",
        "the refusal is listed with its reason")
    tap.like(p.stdout, r"mistral-large-2411: would be deactivated \(not applied\)",
        "the rest is listed as not applied")
    tap.eq(active(d), before, "all or nothing: nothing changed")
    j = d.ctl_json("deactivate", "--collection", "coding", "--dry-run", "--skip-refused")
    tap.eq([(m["id"], m["outcome"]) for m in j["models"]],
        [("mistral-large-2411", "change"), ("pixtral-large-2411", "skipped")],
        "--dry-run shows each outcome, --skip-refused marks the refused as skipped")
    tap.eq(active(d), before, "a dry run changes nothing")
    p = d.ctl("deactivate", "--collection", "coding", "--skip-refused")
    tap.eq(p.returncode, 0, "--skip-refused applies the rest (%s)" % p.stderr.strip())
    tap.like(p.stdout, r"pixtral-large-2411: skipped", "and lists what it skipped")
    tap.eq(active(d), ["pixtral-large-2411"], "the others were deactivated")
    st, recs = d.request("BATCH activate mistral-large-2411 provider=mistralai status=active")
    outcomes = {r["id"]: r.get("outcome") for r in recs[1:]}
    tap.eq(outcomes, {"mistral-large-2411": "change", "pixtral-large-2411": "unchanged"},
        "names and selectors together; an active model is unchanged, not refused")
    st, recs = d.request("BATCH activate nosuch-model tag=coding")
    tap.ok(st.startswith("ERR notfound"), "an unknown model named refuses the batch", st)
    st, _ = d.request("BATCH frobnicate tag=coding")
    tap.ok(st.startswith("ERR usage"), "an unknown action is a usage error", st)
    st, _ = d.request("BATCH activate")
    tap.ok(st.startswith("ERR usage"), "a batch of nothing is a usage error", st)
    # delete: a model in use is refused, as DELETE refuses it
    st, _ = d.request("RESOLVE mistral-large-2411 session=s1")
    tap.eq(st, "OK 1", "a session on mistral-large-2411")
    st, recs = d.request("BATCH delete tag=coding")
    reasons = {r["id"]: r.get("reason", "") for r in recs[1:]}
    tap.ok("in use by 1 session" in reasons.get("mistral-large-2411", "") and
        "default" in reasons.get("pixtral-large-2411", ""),
        "delete refuses the default and a model in use, each with its reason", reasons)
    tap.eq(len(ids(d, "LIST")), 6, "and deletes nothing")
    st, recs = d.request("BATCH delete mistral-embed magistral-medium-2506")
    tap.eq((st, recs[0].get("changed"), recs[0].get("applied")), ("OK 3", "2", "true"),
        "a batch delete of two models")
    tap.eq(len(ids(d, "LIST")), 4, "both are gone")
    st, recs = d.request("EVENTS kind=batch.applied")
    tap.ok(len(recs) == 3 and '"action":"delete"' in recs[-1].get("details", ""),
        "one batch.applied event per batch that changed something", recs)


def ctl_tty(d, answer, *args):
    """modelregctl with a terminal on stdin (a pty) that answers answer; (exit, stdout, stderr)."""
    master, slave = pty.openpty()
    try:
        os.write(master, answer.encode())
        env = {k: v for k, v in os.environ.items() if k not in harness._SCRUB}
        p = subprocess.run([harness.MODELREGCTL, "-s", d.sock] + list(args), stdin=slave,
            capture_output=True, text=True, env=env, timeout=30)
    finally:
        os.close(slave)
        os.close(master)
    return p.returncode, p.stdout, p.stderr


def test_confirm(tap, d):
    """On a terminal a batch asks first, naming the count and the models; no changes nothing."""
    tap.eq(sorted(active(d)), ["mistral-large-2411", "pixtral-large-2411"], "two active models")
    rc, out, err = ctl_tty(d, "n\n", "deactivate", "--status", "active", "--skip-refused")
    tap.like(err, r"Deactivate mistral-large-2411\? \[y/N\]", "it asks, naming the model it would change")
    tap.eq(rc, 1, "no: exit 1")
    tap.eq(sorted(active(d)), ["mistral-large-2411", "pixtral-large-2411"], "and nothing changed")
    rc, out, err = ctl_tty(d, "y\n", "deactivate", "--status", "active", "--skip-refused")
    tap.eq(rc, 0, "yes: exit 0 (%s)" % err.strip())
    tap.eq(active(d), ["pixtral-large-2411"], "and the batch was applied")
    rc, out, err = ctl_tty(d, "y\n", "delete", "--status", "active")
    tap.eq(rc, 1, "a batch with a refusal does not ask: it lists the refusal, exit 1")
    tap.ok("y/N" not in err and "is the default" in out, "no question, the reason", err + out)


def test_big(tap):
    tmp = tempfile.mkdtemp(prefix="modelreg-big-")
    path = os.path.join(tmp, "catalog.json")
    data = [{"id": "base/default", "name": "default", "context_length": 1000,
        "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]}}]
    for i in range(10000):
        data.append({"id": "big/model-%05d" % i, "name": "model %d" % i,
            "context_length": 1000,
            "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]}})
    with open(path, "w") as f:
        json.dump({"data": data}, f)
    d = harness.Daemon(seed_url=harness.file_url(path), seed_format="openrouter",
        new_model_status="active", default_model="base/default", wait_seed=True)
    with d.raw(120) as c:
        st, lines = c.request("BATCH deactivate provider=big", 120)
        tap.eq(st, "OK 10001", "10,000 models in one BATCH request: one reply of 10,001 records")
        recs = [harness.parse_logfmt(x) for x in lines]
        tap.eq((recs[0].get("changed"), recs[0].get("applied")), ("10000", "true"),
            "all 10,000 changed")
        st, lines = c.request("LIST status=active", 60)
        tap.eq(st, "OK 1", "only the default is still active")
        st, lines = c.request("BATCH activate provider=big dry_run=yes", 120)
        tap.eq(st, "OK 10001", "a dry run of 10,000")
        st, lines = c.request("LIST status=active", 60)
        tap.eq(st, "OK 1", "changes nothing")
    db = sqlite3.connect(d.db)
    try:
        rows = db.execute("SELECT action, changed FROM batches").fetchall()
        tap.eq(rows, [("deactivate", 10000)], "one batch in the history, 10,000 models")
        n = db.execute("SELECT count(*) FROM batch_models WHERE after = 'inactive'").fetchone()[0]
        tap.eq(n, 10000, "a history row per model")
        n = db.execute("SELECT count(*) FROM audit WHERE action = 'deactivate'").fetchone()[0]
        tap.eq(n, 10000, "an audit row per model")
    finally:
        db.close()
    d.cleanup()


def run(tap):
    d = daemon()
    test_tags(tap, d)
    test_collections(tap, d)
    test_switch(tap, d)
    test_key(tap, d)
    test_batch(tap, d)
    test_confirm(tap, d)
    d.cleanup()
    test_big(tap)


harness.main(run)
