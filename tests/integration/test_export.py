# test_export.py: issue 11 item 4 through the real daemon and modelregctl: export lists each kind of decision (status and its source and reason, the default, settings, aliases, tags, collections, caps, keys) and never a secret or its digest; two exports are the same bytes; --output; admins only.
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


def run(tap):
    test_export(tap)
    test_roles(tap)


harness.main(run)
