# test_export.py: issue 11 item 4 through the real daemon and modelregctl: export lists each kind of decision (status and its source and reason, the default, settings, aliases, tags, collections, caps, keys) and never a secret or its digest; two exports are the same bytes; --output; import: a round trip onto a fresh registry ends equal, a model synced from the catalog, an import of the same export changes nothing, corrupt files and a newer version refused changing nothing, --dry-run, --strict, the body on the wire; admins only; an import in the history and its undo (issue 11 item 5): the row's counts and models, undo restores the registry exactly (the exports before and after equal), deletes what it synced and created, is refused naming what changed since, once, and can be undone.
import hashlib
import json
import os
import sqlite3

import harness

MISTRAL = harness.data_path("catalog-mistral.json")
LARGE = "mistral-large-2411"
PIXTRAL = "pixtral-large-2411"
SMALL = "mistral-medium-2505"


def daemon(**kw):
    return harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest", "pixtral-large-2411"],
        default_model="mistral-large-latest",
        extra="[catalog]\nurl = %s\nformat = mistral\ninterval = 1h\n" %
        harness.file_url(MISTRAL), wait_seed=True, **kw)


def ok(tap, d, line, name):
    st, recs = d.request(line, 30)
    tap.ok(st.startswith("OK"), name, "%s: %s" % (line, st))
    return recs


def export_text(d, *args):
    p = d.ctl("export", *args)
    if p.returncode != 0:
        raise harness.HarnessError("export: exit %d: %s" % (p.returncode, p.stderr))
    return p.stdout


def decide(tap, d):
    """Make one decision of each kind; return the key's secret."""
    ok(tap, d, "ACTIVATE %s" % SMALL, "activate a model")
    ok(tap, d, "SET %s label=\"Fast Small\" temperature=0.3 max_tokens=512 enforce=temperature "
       "alias=fast,quick" % SMALL, "a label, parameters, enforce and aliases")
    ok(tap, d, "TAG %s add=chat,cheap" % SMALL, "tags")
    ok(tap, d, "TAG %s add=vision" % PIXTRAL, "a tag on another model")
    ok(tap, d, "COLLECTION create coding %s %s" % (LARGE, SMALL), "a collection")
    ok(tap, d, "COLLECTION create empty", "an empty collection")
    ok(tap, d, "CAP set %s 12.5 period=month warn=70" % PIXTRAL, "a cap on a model")
    recs = ok(tap, d, "KEY create app1 models=%s,%s note=\"the chat backend\" expires=30d"
              % (LARGE, SMALL), "a key with a model list, a note and an expiry")
    secret = recs[0].get("secret") if recs else None
    ok(tap, d, "KEY create app2 all=yes", "a key on all models")
    ok(tap, d, "KEY create app3 collection=coding", "a key that follows a collection")
    ok(tap, d, "KEY create gone", "a key that is revoked next")
    ok(tap, d, "KEY revoke gone", "revoked")
    ok(tap, d, "CAP set key=app1 3 period=1h", "a cap on a key, a window period")
    return secret


def test_export(tap):
    d = daemon()
    secret = decide(tap, d)
    tap.ok(secret is not None and secret.startswith("mr_"), "the key's secret was shown once", secret)
    text = export_text(d)
    again = export_text(d)
    tap.eq(again, text, "two exports of one registry are the same bytes")
    try:
        doc = json.loads(text)
    except ValueError as e:
        doc = {}
        tap.ok(False, "the export is JSON", str(e))
    tap.eq((doc.get("format"), doc.get("version")), ("modelreg-export", 1), "format and version")
    tap.eq(doc.get("default"), LARGE, "the default, by id")
    models = {m["id"]: m for m in doc.get("models", [])}
    st, recs = d.request("LIST status=all", 30)
    tap.eq(sorted(models), sorted(r["id"] for r in recs), "every synced model, once")
    tap.eq([m["id"] for m in doc.get("models", [])], sorted(models), "models sorted by id")
    s = models.get(SMALL, {})
    tap.eq((s.get("status"), s.get("source"), s.get("reason")), ("active", "manual", None),
        "a model's status and its source")
    tap.eq((s.get("label"), s.get("params"), s.get("enforce"), s.get("aliases"), s.get("tags")),
        ("Fast Small", {"temperature": 0.3, "max_tokens": 512}, ["temperature"], ["fast", "quick"],
         ["chat", "cheap"]), "its label, parameters, enforce, organisation aliases and tags")
    tap.eq(models.get("mistral-embed", {}).get("status"), "inactive", "an inactive model")
    tap.eq(models.get(PIXTRAL, {}).get("tags"), ["vision"], "another model's tags")
    tap.eq(doc.get("collections"), [{"name": "coding", "models": [LARGE, SMALL]},
        {"name": "empty", "models": []}], "collections by name, members by id")
    tap.eq(doc.get("caps"), [
        {"model": PIXTRAL, "key": None, "amount": 12.5, "period": "month", "window": 0, "warn": 70},
        {"model": None, "key": "app1", "amount": 3, "period": "window", "window": 3600, "warn": 80}],
        "caps: models' first, then keys'; amount, period, window and warn")
    keys = doc.get("keys", [])
    tap.eq([k["name"] for k in keys], ["app1", "app2", "app3"], "live keys by name, not the revoked one")
    k1 = keys[0] if keys else {}
    tap.eq((k1.get("all"), k1.get("collection"), k1.get("models"), k1.get("note")),
        (False, None, [LARGE, SMALL], "the chat backend"), "a key's model list and note")
    tap.like(k1.get("expires") or "", harness.RFC3339, "a key's expiry, RFC 3339")
    tap.eq([(k["all"], k["collection"], k["models"]) for k in keys[1:]],
        [(True, None, []), (False, "coding", [])], "all, and a collection")
    # no secret and no digest of one, anywhere
    tap.ok(secret is not None and secret not in text, "the key's secret is not in the export")
    digest = hashlib.sha256(secret.encode()).hexdigest() if secret else "x"
    db = sqlite3.connect(d.db)
    try:
        stored = [h.hex() for (h,) in db.execute("SELECT hash FROM api_key_secrets")]
    finally:
        db.close()
    tap.ok(len(stored) >= 3, "the registry keeps digests (%d)" % len(stored))
    tap.ok(digest.lower() not in text.lower() and all(h not in text.lower() for h in stored),
        "no key digest is in the export (hex)")
    tap.ok("secret" not in text and "hash" not in text, "no secret or hash member either")
    # one item a line, fixed indentation: a change is a one-line diff
    lines = text.splitlines()
    tap.ok(all(l.startswith("    {") for l in lines if '"id": ' in l),
        "each model is one line at a fixed indentation")
    ok(tap, d, "TAG %s add=new" % PIXTRAL, "one more decision")
    after = export_text(d).splitlines()
    diff = [l for l in after if l not in lines]
    tap.eq(len(diff), 1, "changes exactly one line of the export", diff)
    # --output writes the same bytes, whole
    out = os.path.join(d.dir, "registry.json")
    p = d.ctl("export", "--output", out)
    tap.eq(p.returncode, 0, "export --output (%s)" % p.stderr.strip())
    tap.eq(open(out).read(), export_text(d), "the file holds the same bytes as stdout")
    p = d.ctl("export", "--output", os.path.join(d.dir, "nosuchdir", "x.json"))
    tap.ok(p.returncode != 0 and "nosuchdir" in p.stderr, "an unwritable --output fails and says where",
        p.stderr)
    d.cleanup()


def test_roles(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), socket_mode="0666",
        always_active=["mistral-large-latest"], default_model="mistral-large-latest",
        access={"admin": ["root"], "member": ["*"]}, wait_seed=True)
    p = d.ctl("export", as_user=(54321, 54321))
    tap.eq(p.returncode, 4, "a member cannot export (exit 4)")
    tap.like(p.stderr, r"EXPORT needs the admin role; you are member", "and is told the role it needs")
    d.cleanup()
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), socket_mode="0666",
        always_active=["mistral-large-latest"], default_model="mistral-large-latest",
        wait_seed=True)
    p = d.ctl("export", as_user=(54321, 54321))
    tap.eq(p.returncode, 4, "a viewer cannot export (exit 4)")
    d.cleanup()


def import_file(d, path, *args, **kw):
    return d.ctl("import", path, *args, **kw)


def write(d, name, text):
    path = os.path.join(d.dir, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def test_round_trip(tap):
    d1 = daemon()
    decide(tap, d1)
    # a model out of the cap's doing: deactivated automatically, with its reason
    db = sqlite3.connect(d1.db)
    try:
        db.execute("UPDATE models SET status = 'inactive', status_source = 'auto',"
            " status_reason = 'cap' WHERE id = ?", (PIXTRAL,))
        db.commit()
    finally:
        db.close()
    e1 = export_text(d1)
    d1.cleanup()

    d2 = daemon()
    path = write(d2, "e1.json", e1)
    st, _ = d2.request("REFRESH catalog", 30)
    tap.ok(st.startswith("OK"), "the fresh registry has its catalog", st)
    ok(tap, d2, "DELETE %s" % SMALL, "the fresh registry lacks a model the file has")
    for k in ("app1", "app2", "app3"):
        ok(tap, d2, "KEY create %s" % k, "the keys exist there (a secret is never imported)")
    before = export_text(d2)
    p = import_file(d2, path, "--dry-run")
    tap.eq(p.returncode, 0, "import --dry-run (%s)" % p.stderr.strip())
    tap.like(p.stdout, r"dry run: nothing was changed", "the dry run says it changed nothing")
    tap.like(p.stdout, r"model %s: would be synced from the catalog" % SMALL, "and what it would sync")
    tap.eq(export_text(d2), before, "a dry run changes nothing")
    p = import_file(d2, path)
    tap.eq(p.returncode, 0, "import onto a fresh registry (%s)" % p.stderr.strip())
    tap.like(p.stdout, r"model %s: synced from the catalog" % SMALL, "a model it lacked is synced from the catalog")
    tap.like(p.stdout, r"model %s: tags: (\(none\))? -> chat,cheap" % SMALL, "the diff names each setting")
    tap.like(p.stdout, r"collection coding: created", "a collection it lacked is created")
    tap.like(p.stdout, r"key app1: models: \(none\) -> %s,%s" % (LARGE, SMALL), "a key's grants")
    e2 = export_text(d2)
    tap.eq(e2, e1, "the round trip ends equal: the two exports are the same bytes")
    p = import_file(d2, path)
    tap.eq(p.returncode, 0, "the same file again")
    tap.like(p.stdout, r"^nothing changed", "importing an export of the same registry changes nothing and says so")
    st, recs = d2.request("EVENTS kind=import.applied")
    tap.eq(len(recs), 1, "one import.applied event, for the import that changed something")
    st, recs = d2.request("AUDIT actor=root limit=1000")
    tap.ok(any(r.get("action") == "import" and r.get("model") == SMALL and r.get("field") == "tags"
        for r in recs), "an audit row per change (action import)")
    j = d2.ctl_json("import", path)
    tap.eq((j.get("summary", {}).get("changed"), j.get("changes")), (0, []), "import --json: the summary and no changes")

    # a change in the file is a change in the registry, and only that
    doc = json.loads(e2)
    for m in doc["models"]:
        if m["id"] == SMALL:
            m["status"] = "inactive"
            m["tags"] = ["cheap"]
    p = import_file(d2, write(d2, "e3.json", json.dumps(doc)), json=True)
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    tap.eq(sorted((c.get("name"), c.get("field")) for c in j.get("changes", [])),
        [(SMALL, "status"), (SMALL, "tags")], "a hand-edited file: exactly its two changes", p.stdout + p.stderr)
    st, recs = d2.request("SHOW %s" % SMALL)
    tap.eq((recs[0].get("status"), recs[0].get("tags")), ("inactive", "cheap"), "and they are applied")

    # models the registry and the catalog lack: reported and skipped, or --strict refuses
    doc["models"].append({"id": "nosuch-model", "status": "active"})
    doc["collections"][0]["models"].append("nosuch-model")
    path = write(d2, "e4.json", json.dumps(doc))
    before = export_text(d2)
    p = import_file(d2, path, "--strict")
    tap.eq(p.returncode, 1, "--strict refuses a file with a model nobody has")
    tap.like(p.stderr, r"--strict: 1 model of the file is neither in the registry nor in the catalog "
        r"\(nosuch-model\); nothing was changed", "and names it")
    tap.eq(export_text(d2), before, "--strict changed nothing")
    p = import_file(d2, path)
    tap.eq(p.returncode, 0, "without --strict the import goes on")
    tap.like(p.stdout, r"model nosuch-model: skipped: neither in the registry nor in the catalog",
        "the missing model is reported and skipped")
    tap.eq(export_text(d2), before, "and nothing else changed (the file matched otherwise)")
    # a key the registry lacks is reported and skipped
    doc["keys"].append({"name": "newkey", "all": True})
    p = import_file(d2, write(d2, "e5.json", json.dumps(doc)))
    tap.like(p.stdout, r"key newkey: skipped: not in the registry: a key's secret cannot be imported",
        "a key the registry lacks is reported and skipped")
    d2.cleanup()


BAD = [
    ("truncated", lambda t: t[:len(t) // 2], r"line \d+: "),
    ("trailing garbage", lambda t: t + "x", r"bytes after the end of the document"),
    ("two documents", lambda t: t + t, r"bytes after the end"),
    ("not JSON", lambda t: "models: []", r"line 1: not a JSON value"),
    ("a newer version", lambda t: t.replace('"version": 1', '"version": 2'),
        r"line 3: version: format version 2 is newer than this modelregd reads \(1\)"),
    ("no format", lambda t: t.replace('"format": "modelreg-export"', '"format": "other"'),
        r"not a modelreg export"),
    ("an unknown status", lambda t: t.replace('"status": "inactive"', '"status": "paused"', 1),
        r"line \d+: models\[\d+\]: status: unknown model status \"paused\""),
    ("a wrong type", lambda t: t.replace('"tags": []', '"tags": "x"', 1),
        r"models\[\d+\]\.tags: expected an array, not a string"),
    ("a default that is not active", lambda t: t.replace('"default": "%s"' % LARGE, '"default": "mistral-embed"'),
        r"default: \"mistral-embed\" is not active"),
    ("a duplicate id", lambda t: t.replace('"id": "mistral-embed"', '"id": "mistral-large-2411"'),
        r"duplicate id \"mistral-large-2411\""),
    ("a duplicate member", lambda t: t.replace('"status": "active", "source"', '"status": "active", "status": "active", "source"', 1),
        r"the member \"status\" appears twice"),
    ("an unknown member", lambda t: t.replace('"label": null', '"labl": null', 1),
        r"unknown member \"labl\""),
    ("a parameter out of range", lambda t: t.replace('"temperature": 0.3', '"temperature": 7'),
        r"temperature 7 is out of range"),
    ("a collection of an unknown model", lambda t: t.replace('"models": ["%s", ' % LARGE, '"models": ["nope", '),
        r"collections\[0\]\.models: \"nope\" is not a model of this file"),
]


def test_corrupt(tap):
    d = daemon()
    decide(tap, d)
    good = export_text(d)
    for name, fn, want in BAD:
        text = fn(good)
        p = import_file(d, write(d, "bad.json", text))
        tap.eq(p.returncode, 1, "%s: refused (exit 1)" % name, p.stdout + p.stderr)
        tap.like(p.stderr, r"the file is refused, nothing was changed: (line \d+: )?.*" + want, "%s: the error names the place" % name)
    tap.eq(export_text(d), good, "the corrupt files changed nothing")
    # what only the registry can refuse: refused whole, nothing changes
    doc = json.loads(good)
    for m in doc["models"]:
        if m["id"] == LARGE:
            m["status"] = "inactive"
            m["tags"] = ["changed"]
    doc["default"] = None
    p = import_file(d, write(d, "c1.json", json.dumps(doc)))
    tap.eq(p.returncode, 1, "a file that deactivates the default and names no other is refused")
    tap.like(p.stderr, r"model %s: it is the default and the file makes it inactive" % LARGE, "and says why")
    doc = json.loads(good)
    for m in doc["models"]:
        if m["id"] == PIXTRAL:
            m["aliases"] = ["mistral-large-latest"]
            m["tags"] = ["changed"]
    p = import_file(d, write(d, "c2.json", json.dumps(doc)))
    tap.eq(p.returncode, 1, "an alias another name already is: refused")
    tap.like(p.stderr, r"the alias mistral-large-latest is already the .* of %s; nothing was changed" % LARGE,
        "and names who has it")
    doc = json.loads(good)
    doc["default"] = "mistral-embed"
    for m in doc["models"]:
        if m["id"] == "mistral-embed":
            m["status"] = "active"
    p = import_file(d, write(d, "c3.json", json.dumps(doc)))
    tap.eq(p.returncode, 1, "a default the registry may not have (an embedding model): refused")
    tap.like(p.stderr, r"default: .*embedding", "and says why")
    tap.eq(export_text(d), good, "the refused imports changed nothing")
    p = import_file(d, os.path.join(d.dir, "nosuch.json"))
    tap.ok(p.returncode != 0 and "nosuch.json" in p.stderr, "a file that does not exist", p.stderr)
    # the wire: size= bounds, OK 0 then the body, in pieces
    with d.raw() as c:
        st, _ = c.request("IMPORT size=%d" % (64 * 1024 * 1024 + 1))
        tap.like(st, r"^ERR usage the file is 67108865 bytes: IMPORT takes at most 67108864", "a body over 64 MiB is refused at once")
        st, _ = c.request("IMPORT")
        tap.like(st, r"^ERR usage IMPORT needs size=", "IMPORT without size=")
        body = good.encode()
        st, _ = c.request("IMPORT size=%d dry_run=yes" % len(body))
        tap.eq(st, "OK 0", "IMPORT size=N: OK 0, send the body")
        c.send(body[:100])
        tap.eq(d.request("PING")[0], "OK 1", "another client is served while the body comes")
        c.send(body[100:])
        st, lines = c.read_reply(30)
        tap.eq(st, "OK 1", "then the diff: a summary alone, nothing to change")
        tap.like(lines[0] if lines else "", r"changed=0 skipped=0 applied=false dry_run=true", "the summary record")
        tap.eq(c.request("PING")[0], "OK 1", "and the connection goes on with the next request")
    d.cleanup()


def test_import_roles(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), socket_mode="0666",
        always_active=["mistral-large-latest"], default_model="mistral-large-latest",
        access={"admin": ["root"], "member": ["*"]}, wait_seed=True)
    path = write(d, "e.json", export_text(d))
    os.chmod(path, 0o644)
    os.chmod(d.dir, 0o755)
    p = d.ctl("import", path, as_user=(54321, 54321))
    tap.eq(p.returncode, 4, "a member cannot import (exit 4)")
    tap.like(p.stderr, r"IMPORT needs the admin role; you are member", "and is told the role it needs")
    d.cleanup()
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), socket_mode="0666",
        always_active=["mistral-large-latest"], default_model="mistral-large-latest", wait_seed=True)
    path = write(d, "e.json", export_text(d))
    os.chmod(path, 0o644)
    p = d.ctl("import", path, as_user=(54321, 54321))
    tap.eq(p.returncode, 4, "a viewer cannot import (exit 4)")
    d.cleanup()


def test_worker(tap):
    """The apply runs on the import worker: held at its commit by the test gate, others are served."""
    d = daemon(start=False)
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    open(gate, "w").close()
    d.start()
    d.wait_seeded(timeout=60)
    doc = json.loads(export_text(d))
    for m in doc["models"]:
        m["tags"] = ["imported"]
    body = json.dumps(doc).encode()
    if os.path.exists(held):
        os.unlink(held)
    os.unlink(gate)
    imp, other = d.raw(60), d.raw(60)
    st, _ = imp.request("IMPORT size=%d" % len(body))
    tap.eq(st, "OK 0", "IMPORT takes the body")
    imp.send(body)
    harness.wait_for(lambda: os.path.exists(held), 30, "the import to wait at its commit")
    st, _ = other.request("PING")
    tap.eq(st, "OK 1", "PING is answered while the import's transaction runs")
    st, lines = other.request("SHOW %s" % LARGE)
    tap.eq(harness.parse_logfmt(lines[0]).get("tags") if lines else None, "",
        "a read answers from the last commit meanwhile")
    other.send("TAG %s add=later\n" % LARGE)
    tap.eq(other.pending(0.3), b"", "a write from another client waits for the import")
    tap.eq(imp.pending(0.2), b"", "the import has not replied yet")
    open(gate, "w").close()
    st, lines = imp.read_reply(60)
    head = harness.parse_logfmt(lines[0]) if lines else {}
    tap.eq((st and st.startswith("OK"), head.get("applied")), (True, "true"), "then the import's reply", st)
    st, lines = other.read_reply(30)
    tap.eq(st, "OK 1", "the waiting write ran after it")
    st, lines = other.request("SHOW %s" % LARGE)
    tap.eq(harness.parse_logfmt(lines[0]).get("tags") if lines else None, "imported,later",
        "in order: the import's tags, then the later one")
    imp.close()
    other.close()
    d.cleanup()


def history(d, *args):
    return d.ctl_json("history", *args)


def test_import_history(tap):
    """Issue 11 item 5: an import is a history row, and undo reverses all of it."""
    d = daemon()
    decide(tap, d)
    st, _ = d.request("REFRESH catalog", 30)
    tap.ok(st.startswith("OK"), "the catalog is there to sync from", st)
    doc = json.loads(export_text(d))
    # the file: a model the registry will lack, and a decision of each kind changed
    for m in doc["models"]:
        if m["id"] == PIXTRAL:
            m["tags"] = ["vision", "imported"]
        if m["id"] == "mistral-embed":
            m["label"] = "Embedder"
    doc["default"] = PIXTRAL
    doc["collections"].append({"name": "fresh", "models": [LARGE, PIXTRAL]})
    doc["caps"].insert(0, {"model": LARGE, "key": None, "amount": 5, "period": "day",
        "window": 0, "warn": 80})
    for k in doc["keys"]:
        if k["name"] == "app2":
            k["note"] = "imported note"
        if k["name"] == "app3":
            k["collection"] = "fresh"
    path = write(d, "h1.json", json.dumps(doc))
    ok(tap, d, "DELETE %s" % SMALL, "the registry lacks a model of the file")
    before = export_text(d)
    h0 = len(history(d))
    p = import_file(d, path, "--dry-run")
    tap.eq((p.returncode, len(history(d))), (0, h0), "a dry-run import writes no history row")
    p = import_file(d, path, json=True)
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    summ = j.get("summary", {})
    tap.ok(summ.get("applied") is True and isinstance(summ.get("history"), int),
        "the import's reply names its history row", p.stdout + p.stderr)
    hid = summ.get("history")
    after = export_text(d)
    tap.ok(after != before, "the import changed the registry")
    h = history(d)
    e = h[0] if h else {}
    changed_models = sorted(set(c["name"] for c in j.get("changes", []) if c.get("kind") == "model"))
    tap.eq((e.get("id"), e.get("action"), e.get("user"), e.get("changed"), e.get("models")),
        (hid, "import", "root", summ.get("changed"), len(changed_models)),
        "history lists the import: who, how many changes, how many models")
    tap.eq((e.get("default_before"), e.get("default_after")), (LARGE, PIXTRAL),
        "and the default it moved")
    tap.like(e.get("selection", ""), r"^file collections=2 keys=3 caps=1$",
        "its selection says what else it changed")
    p = d.ctl("history")
    tap.like(p.stdout, r"import .*file collections=2", "history as text lists it")
    s = d.ctl_json("history", "show", hid)
    bm = {m["model"]: m for m in s.get("models", [])}
    tap.eq(sorted(bm), changed_models, "history show: each model it changed")
    tap.eq((bm.get(SMALL, {}).get("before"), bm.get(SMALL, {}).get("after")), ("absent", "active"),
        "a synced model was absent before")
    tap.like(bm.get(SMALL, {}).get("fields", ""), r"^synced,.*tags", "and what the import set on it")
    tap.eq((bm.get(PIXTRAL, {}).get("before"), bm.get(PIXTRAL, {}).get("fields")),
        ("active", "tags"), "a model whose tags it changed")
    p = d.ctl("history", "show", hid)
    tap.like(p.stdout, r"mistral-embed: inactive -> inactive \(label\)", "history show as text")

    # undo --dry-run changes nothing
    p = d.ctl("undo", hid, "--dry-run")
    tap.eq(p.returncode, 0, "undo --dry-run of an import (%s)" % p.stderr.strip())
    tap.like(p.stdout, r"%s: would be deleted" % SMALL, "it would delete the model the import synced")
    tap.like(p.stdout, r"collection fresh: would be deleted", "and the collection it created")
    tap.like(p.stdout, r"%s: would be reverted" % PIXTRAL, "and revert what it changed")
    tap.eq((export_text(d), len(history(d))), (after, h0 + 1), "a dry-run undo changes nothing")

    # undo: the registry is exactly as before the import
    audit0 = len(d.request("AUDIT limit=10000")[1])
    j = d.ctl_json("undo", hid)
    tap.eq((j.get("applied"), j.get("undo_of"), j.get("action")), (True, hid, "import"),
        "undo of an import", j)
    tap.eq(export_text(d), before, "the registry is exactly as before the import (EXPORT equal)")
    tap.ok(SMALL not in ids(d), "the model it synced is gone")
    audit = d.request("AUDIT limit=10000")[1][audit0:]
    tap.ok(any(r.get("action") == "undo" and r.get("model") == PIXTRAL and r.get("field") == "tags"
        for r in audit), "an audit row per change (action undo)")
    st, recs = d.request("EVENTS kind=batch.undone")
    tap.ok(len(recs) == 1 and ('"undo_of":%d' % hid) in recs[0].get("details", ""),
        "one batch.undone event", recs)
    h = history(d)
    tap.eq((h[0].get("action"), h[0].get("undo_of"), h[1].get("undone_by")),
        ("undo", hid, h[0]["id"]), "the undo is a history row; the import says it was undone")
    p = d.ctl("undo", hid)
    tap.eq(p.returncode, 1, "undoing the import twice is refused")
    tap.like(p.stderr, r"already undone by batch %d" % h[0]["id"], "and says by what")
    tap.eq(export_text(d), before, "and changes nothing")

    # undo of the undo: the import again, the model synced again
    uid = h[0]["id"]
    j = d.ctl_json("undo", uid)
    tap.eq(j.get("applied"), True, "the undo of an import can be undone", j)
    tap.eq(export_text(d), after, "and the registry is as the import left it")
    redo = history(d)[0]["id"]

    # a later change to something it touched: refused, named, nothing changes
    ok(tap, d, "TAG %s add=later" % PIXTRAL, "a later change to a model the import touched")
    ok(tap, d, "DEFAULT %s" % LARGE, "and to the default")
    now = export_text(d)
    p = d.ctl("undo", redo)
    tap.eq(p.returncode, 1, "undo is refused: exit 1")
    tap.like(p.stdout, r"%s: refused: tags is imported,later,vision now; the row left it imported,vision"
        % PIXTRAL, "naming the model and what changed")
    tap.like(p.stdout, r"default: refused: the default is %s now; the row left it %s" % (LARGE, PIXTRAL),
        "and the default")
    tap.eq((export_text(d), history(d)[0]["id"]), (now, redo), "and nothing changed, no row written")
    ok(tap, d, "CAP set %s 7 period=week" % SMALL, "a cap set since")
    j = d.ctl_json("undo", redo, check=1)
    why = {m["id"]: m.get("reason", "") for m in j.get("models", [])}
    tap.eq(why.get("cap %s" % SMALL), "set since", "something added since is named too", why)
    ok(tap, d, "CAP remove %s" % SMALL, "the cap cleared")
    ok(tap, d, "TAG %s remove=later" % PIXTRAL, "the tag set back")
    ok(tap, d, "DEFAULT %s" % PIXTRAL, "the default set back")
    j = d.ctl_json("undo", redo)
    tap.eq(j.get("applied"), True, "once the registry is as the row left it, the undo goes on", j)
    tap.eq(export_text(d), before, "and the registry is as before the import again")

    # a batch undo is refused when an import touched one of its models since
    st, recs = d.request("BATCH activate mistral-embed", 30)
    bid = int(recs[0]["batch"])
    doc = json.loads(export_text(d))
    for m in doc["models"]:
        if m["id"] == "mistral-embed":
            m["label"] = "Later"
    p = import_file(d, write(d, "h2.json", json.dumps(doc)))
    tap.eq(p.returncode, 0, "an import that touches the batch's model")
    j = d.ctl_json("undo", bid, check=1)
    tap.like((j.get("models") or [{}])[0].get("reason", ""), r"changed since by batch \d+ \(import\)",
        "the batch's undo names the import")

    # a model the import synced and a session uses now is not deleted under it
    nemo = "open-mistral-nemo-2407"
    doc = json.loads(export_text(d))
    for m in doc["models"]:
        if m["id"] == nemo:
            m["status"] = "active"
    ok(tap, d, "DELETE %s" % nemo, "another model the registry lacks")
    p = import_file(d, write(d, "h3.json", json.dumps(doc)), json=True)
    hid = json.loads(p.stdout).get("summary", {}).get("history") if p.returncode == 0 else None
    tap.ok(hid is not None and nemo in ids(d, "LIST status=active"), "an import syncs it back, active",
        p.stdout + p.stderr)
    st, _ = d.request("RESOLVE %s session=s1" % nemo)
    tap.eq(st, "OK 1", "and a session uses it")
    now = export_text(d)
    j = d.ctl_json("undo", hid, check=1)
    why = {m["id"]: m.get("reason", "") for m in j.get("models", [])}
    tap.like(why.get(nemo, ""), r"synced by the row and in use by 1 session now",
        "undo is refused: the model it would delete is in use")
    tap.eq((j.get("applied"), export_text(d)), (False, now), "and nothing changed")
    d.cleanup()


def ids(d, line="LIST status=all"):
    st, recs = d.request(line, 30)
    return [r["id"] for r in recs if "id" in r]


def run(tap):
    test_export(tap)
    test_roles(tap)
    test_round_trip(tap)
    test_corrupt(tap)
    test_import_roles(tap)
    test_worker(tap)
    test_import_history(tap)


harness.main(run)
