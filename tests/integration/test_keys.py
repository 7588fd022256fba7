# test_keys.py: API keys (issue 9) through the real daemon and modelregctl: create (the secret once), list, show, revoke, rotate with and without grace, expiry, allow and deny by alias, a deleted model shown gone and not reached again after a re-seed, roles, and a secret that never reaches the log, the database file or a later reply.
import json
import os
import re

import harness

MISTRAL = harness.data_path("catalog-mistral.json")
SECRET_RE = r"mr_[A-Za-z0-9_-]{43}"


def key_show(d, name):
    st, recs = d.request("KEY SHOW " + name)
    if st != "OK 1":
        raise harness.HarnessError("KEY SHOW %s: %r" % (name, st))
    return recs[0]


def create(tap, d, *args):
    """modelregctl key create ...: the secret from stdout (its only line)."""
    p = d.ctl("key", "create", *args)
    tap.eq(p.returncode, 0, "key create %s: exit 0 (%s)" % (" ".join(args), p.stderr.strip()))
    out = p.stdout.strip()
    return out, p


def test_keys(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest", "pixtral-large-2411"],
        default_model="mistral-large-latest", wait_seed=True)
    secrets = []
    replies = []

    # create: the secret once, alone on stdout, in its documented shape
    s1, p = create(tap, d, "app1", "--models", "mistral-large-latest,pixtral-large-latest",
        "--note", "the chat backend")
    secrets.append(s1)
    tap.ok(re.fullmatch(SECRET_RE, s1) is not None,
        "create prints mr_ and 43 base64url characters (32 bytes), alone on stdout", s1)
    tap.like(p.stderr, r"key app1 created: it may use 2 models", "create says what the key may use")
    tap.like(p.stderr, r"shown only now", "create warns that the secret is shown only now")
    j = d.ctl_json("key", "create", "app2")
    s2 = j.get("secret", "")
    secrets.append(s2)
    tap.ok(re.fullmatch(SECRET_RE, s2) is not None and s2 != s1,
        "create --json gives the secret once too, another one", j)
    tap.eq(j.get("name"), "app2", "create --json names the key")

    # the model list names models by alias, stored as their ids
    k = key_show(d, "app1")
    tap.eq(k.get("models"), "mistral-large-2411,pixtral-large-2411",
        "the aliases named at create are stored as the models' ids")
    tap.eq((k.get("status"), k.get("all"), k.get("note"), k.get("gone")),
        ("active", "false", "the chat backend", ""), "show: status, all, note, nothing gone")
    tap.ok(re.fullmatch(harness.RFC3339, k.get("created_at") or "") is not None
        and k.get("created_by") == "root", "show: created when and by whom")
    tap.eq((k.get("expires_at"), k.get("last_used_at"), k.get("revoked_at")),
        (None, None, None), "show: no expiry, never used, not revoked")

    # a key with no list and no --all may use nothing
    k = key_show(d, "app2")
    tap.eq((k.get("models"), k.get("all")), ("", "false"),
        "a key created with neither --models nor --all names no model")
    tap.like(j.get("message", ""), r"may use no model", "and create says it may use no model")

    # allow and deny, by alias
    p = d.ctl("key", "allow", "app2", "magistral-medium-latest", "mistral-embed")
    tap.eq(p.returncode, 0, "key allow by alias and id (%s)" % p.stderr.strip())
    tap.eq(key_show(d, "app2").get("models"), "magistral-medium-2506,mistral-embed",
        "allow stores the alias as its id")
    p = d.ctl("key", "allow", "app2", "magistral-medium-2506")
    tap.eq(p.returncode, 1, "allowing a model the key allows already: exit 1")
    tap.like(p.stderr, r"allows those models already", "and says so")
    p = d.ctl("key", "allow", "app2", "no-such-model")
    tap.eq(p.returncode, 1, "allow of an unknown model: exit 1")
    tap.like(p.stderr, r"no such model: no-such-model", "and names it")
    p = d.ctl("key", "deny", "app2", "magistral-medium-latest")
    tap.eq(p.returncode, 0, "key deny by alias (%s)" % p.stderr.strip())
    tap.eq(key_show(d, "app2").get("models"), "mistral-embed", "deny by alias removed the model")
    p = d.ctl("key", "create", "app3", "--models", "mistral-large-latest,nosuch")
    tap.eq(p.returncode, 1, "create naming an unknown model: exit 1")
    tap.like(p.stderr, r"no such model: nosuch", "and names it")
    st, _ = d.request("KEY SHOW app3")
    tap.err(st, "notfound", "and creates nothing")
    p = d.ctl("key", "create", "app1")
    tap.eq(p.returncode, 1, "a second key called app1: exit 1")
    tap.eq(p.stdout, "", "and no secret")

    # --all
    s4, p = create(tap, d, "every", "--all")
    secrets.append(s4)
    k = key_show(d, "every")
    tap.eq((k.get("all"), k.get("models")), ("true", ""), "--all: all=true, no list")
    st, _ = d.request("KEY ALLOW every mistral-embed")
    tap.err(st, "conflict", "an --all key has no list to allow into")

    # an organisation alias (SET alias=) names its model in --models too
    st, _ = d.request("SET pixtral-large-2411 alias=vision")
    tap.eq(st, "OK 1", "SET pixtral-large-2411 alias=vision")
    s8, p = create(tap, d, "org", "--models", "vision")
    secrets.append(s8)
    tap.eq(key_show(d, "org").get("models"), "pixtral-large-2411",
        "key show: the organisation alias is stored as its model's id")
    st, recs = d.request("RESOLVE vision key=" + s8)
    tap.eq((st, recs and recs[0].get("id"), recs and recs[0].get("reason"),
        recs and recs[0].get("key_name")), ("OK 1", "pixtral-large-2411", "requested", "org"),
        "the key resolves its model by the organisation alias")
    st, _ = d.request("RESOLVE mistral-large-2411 key=" + s8)
    tap.err(st, "denied", "and no other model")

    # delete a model: the keys that named it show it gone
    st, _ = d.request("DELETE mistral-embed")
    tap.eq(st, "OK 1", "delete mistral-embed")
    k = key_show(d, "app2")
    tap.eq((k.get("models"), k.get("gone")), ("", "mistral-embed"),
        "a key that named a deleted model keeps its name and shows it gone")
    p = d.ctl("key", "list")
    tap.like(p.stdout, r"(?m)^app2\s+active\s+-\s+mistral-embed\s", "key list shows it in GONE")
    # the same id seeded back is another model: still gone until allowed again
    st, _ = d.request("SEED")
    tap.eq(st.split()[0], "OK", "seed again: mistral-embed is back")
    st, _ = d.request("SHOW mistral-embed")
    tap.eq(st, "OK 1", "mistral-embed is in the registry again")
    k = key_show(d, "app2")
    tap.eq((k.get("models"), k.get("gone")), ("", "mistral-embed"),
        "the key does not reach the model seeded back under the same id")
    p = d.ctl("key", "allow", "app2", "mistral-embed")
    tap.eq(p.returncode, 0, "an admin names it again (%s)" % p.stderr.strip())
    k = key_show(d, "app2")
    tap.eq((k.get("models"), k.get("gone")), ("mistral-embed", ""),
        "after key allow the key reaches the new model")
    st, recs = d.request("AUDIT model=mistral-embed")
    acts = [r.get("action") for r in recs]
    tap.ok("key.allowed" in acts and acts.index("delete") < len(acts) - 1 - acts[::-1].index("key.allowed"),
        "AUDIT model=mistral-embed shows the grants around the delete", acts)
    # a deleted model can be denied by the id the key keeps
    st, _ = d.request("DELETE mistral-embed")
    st, _ = d.request("KEY DENY app2 mistral-embed")
    tap.eq(st, "OK 1", "deny a gone model by the id the key keeps")
    tap.eq(key_show(d, "app2").get("gone"), "", "and it is gone from the list")
    st, _ = d.request("KEY DENY app2 nosuch")
    tap.err(st, "notfound", "deny of a name the key never had: notfound")

    # rotate without grace: a new secret, no old one kept
    p = d.ctl("key", "rotate", "app1")
    tap.eq(p.returncode, 0, "rotate (%s)" % p.stderr.strip())
    s5 = p.stdout.strip()
    secrets.append(s5)
    tap.ok(re.fullmatch(SECRET_RE, s5) is not None and s5 != s1, "rotate prints a new secret")
    tap.like(p.stderr, r"the old one is refused from now on", "rotate without grace says the old one stops")
    tap.eq(key_show(d, "app1").get("old_secret_until"), None, "no grace: no old secret kept")
    # rotate with a short grace: the old one works until then, then not (polled)
    p = d.ctl("key", "rotate", "app1", "--grace", "2s")
    s6 = p.stdout.strip()
    secrets.append(s6)
    tap.eq(p.returncode, 0, "rotate --grace 2s")
    until = key_show(d, "app1").get("old_secret_until")
    tap.ok(until is not None and re.fullmatch(harness.RFC3339, until) is not None,
        "with grace, show says until when the old secret works", until)
    d.wait_for(lambda: key_show(d, "app1").get("old_secret_until") is None, 10,
        "the grace period to end")
    tap.ok(key_show(d, "app1").get("old_secret_until") is None,
        "after the grace period the old secret is no longer kept")
    st, _ = d.request("KEY ROTATE app1 grace=31d")
    tap.err(st, "usage", "a grace over 30d is refused")

    # expiry
    s7, p = create(tap, d, "short", "--all", "--expires", "2s")
    secrets.append(s7)
    k = key_show(d, "short")
    tap.ok(k.get("status") == "active" and k.get("expires_at"), "a key with --expires: active, with its expiry")
    d.wait_for(lambda: key_show(d, "short").get("status") == "expired", 10, "the key to expire")
    tap.eq(key_show(d, "short").get("status"), "expired", "after --expires the key is expired")
    st, _ = d.request("KEY ROTATE short")
    tap.err(st, "conflict", "an expired key cannot be rotated")

    # revoke
    p = d.ctl("key", "revoke", "app2")
    tap.eq(p.returncode, 0, "revoke (%s)" % p.stderr.strip())
    k = key_show(d, "app2")
    tap.eq((k.get("status"), k.get("revoked_by")), ("revoked", "root"), "a revoked key says so, and who")
    st, _ = d.request("KEY REVOKE app2")
    tap.err(st, "conflict", "revoking twice: conflict")
    st, _ = d.request("KEY ALLOW app2 mistral-large-latest")
    tap.err(st, "conflict", "a revoked key's list cannot change")

    # usage
    for line, why in (("KEY", "no subverb"), ("KEY FROB x", "an unknown subverb"),
            ("KEY CREATE", "create without a name"), ("KEY CREATE bad/name", "a bad name"),
            ("KEY CREATE x all=yes models=mistral-embed", "a list and all"),
            ("KEY CREATE x expires=soon", "a bad expiry"),
            ("KEY CREATE x note=\"%s\"" % ("n" * 257), "a note over 256 bytes"),
            ("KEY SHOW app1 grace=1s", "an option of another subverb")):
        st, _ = d.request(line)
        tap.err(st, "usage", "%s: ERR usage" % why)
    st, _ = d.request("KEY SHOW nosuch")
    tap.err(st, "notfound", "show of an unknown key: notfound")
    # names from outside are bounded before a message echoes them
    for line, what in (("KEY SHOW " + "k" * 3000, "a 3000-byte key name"),
            ("KEY ALLOW app1 " + "m" * 3000, "a 3000-byte model name"),
            ("KEY CREATE x9 models=" + "m" * 3000, "a 3000-byte model in models=")):
        st, _ = d.request(line)
        tap.err(st, "notfound", "%s: notfound" % what)
        tap.ok(len(st) < 200 and "k" * 100 not in st and "m" * 100 not in st,
            "%s is not echoed: %r" % (what, st[:120]))

    # audit and events: every change, with the actor, never the secret
    st, recs = d.request("AUDIT actor=root limit=10000")
    acts = set(r.get("action") for r in recs)
    tap.ok({"key.created", "key.revoked", "key.rotated", "key.allowed", "key.denied"} <= acts,
        "every kind of key change is audited", sorted(acts))
    st, evs = d.request("EVENTS kind=key.* limit=10000")
    kinds = set(e.get("kind") for e in evs)
    tap.ok({"key.created", "key.revoked", "key.rotated", "key.allowed", "key.denied"} <= kinds,
        "every kind of key change raises an event", sorted(kinds))
    tap.ok(all(json.loads(e["details"]).get("actor") == "root" for e in evs),
        "each key event names the actor")

    # the secret never again: not in any later reply, the log, or the database files
    for line in ("KEY LIST", "KEY SHOW app1", "KEY SHOW every", "AUDIT limit=10000",
            "EVENTS limit=10000", "STATUS", "LIST"):
        st, lines = d.request_lines(line)
        replies.append("\n".join([st or ""] + lines))
    for args in (("key", "list"), ("key", "show", "app1"), ("-j", "key", "list"),
            ("audit",), ("events",), ("status",)):
        p = d.ctl(*args)
        replies.append(p.stdout + p.stderr)
    blob = "\n".join(replies)
    tap.ok(re.search(SECRET_RE, blob) is None, "no reply after creation carries a secret")
    tap.ok(not any(s in blob for s in secrets), "no later reply holds any of the secrets")
    log = d.log_text()
    tap.ok(not any(s in log for s in secrets) and re.search(SECRET_RE, log) is None,
        "the log holds no secret")
    tap.like(log, r"key create app1 by uid 0", "(the log does record the creation)")
    d.stop()
    raw = b""
    for path in (d.db, d.db + "-wal", d.db + "-shm"):
        if os.path.exists(path):
            with open(path, "rb") as f:
                raw += f.read()
    tap.ok(len(raw) > 0, "the database files were read")
    tap.ok(not any(s.encode() in raw for s in secrets),
        "the database file and its -wal hold no secret", [s[:6] for s in secrets if s.encode() in raw])
    tap.ok(re.search(rb"mr_[A-Za-z0-9_-]{43}", raw) is None,
        "nothing in the database files even looks like a secret")
    d.start()
    db = d.open_db()
    try:
        n = db.execute("SELECT count(*) FROM api_key_secrets WHERE length(hash) = 32").fetchone()[0]
        tap.ok(n >= 5, "the daemon keeps the keys' 32-byte digests (%d)" % n)
    finally:
        db.close()
    d.cleanup()


def test_roles(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), socket_mode="0666", wait_seed=True)
    # without [access] another uid is a viewer
    p = d.ctl("key", "create", "v", as_user=(54321, 54321))
    tap.eq(p.returncode, 4, "a viewer cannot create a key (exit 4)")
    tap.like(p.stderr, r"KEY needs the admin role; you are viewer", "and is told the role it needs")
    tap.eq(p.stdout, "", "and gets no secret")
    p = d.ctl("key", "list", as_user=(54321, 54321))
    tap.eq(p.returncode, 4, "a viewer cannot list keys either")
    st, recs = d.request("KEY LIST")
    tap.eq((st, recs), ("OK 0", []), "nothing was created")
    d.cleanup()


def run(tap):
    test_keys(tap)
    if os.geteuid() == 0:
        test_roles(tap)
    else:
        tap.skip("key roles", "needs root (setpriv)")


harness.main(run)
