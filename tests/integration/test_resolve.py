# test_resolve.py: RESOLVE and modelregctl resolve (issue 9 item 3, first part): requested, default and fallback (inactive, expired, removed), notfound, the service role, and API keys: allowed or denied and why, revoked, expired, rotated with and without grace, a model deleted and synced again, the secret read from a file or $MODELREG_KEY and never logged.
import os
import re
import sqlite3
import time

import harness

MISTRAL = harness.data_path("catalog-mistral.json")
SERVICE_UID = (54321, 54321)


def resolve(d, line):
    st, recs = d.request(line)
    return st, (recs[0] if recs else {})


def test_resolve(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest", "pixtral-large-2411", "mistral-medium-latest"],
        default_model="mistral-large-latest", socket_mode="0666",
        access={"admin": ["root"], "service": ["*"]}, wait_seed=True)
    secrets = []

    # without a key: any active model
    st, r = resolve(d, "RESOLVE")
    tap.eq((st, r.get("id"), r.get("reason"), r.get("requested")),
        ("OK 1", "mistral-large-2411", "default", None), "RESOLVE: the default, reason default")
    st, show = d.request("SHOW mistral-large-2411")
    tap.eq((r.get("name"), r.get("provider"), r.get("kind")),
        (show[0].get("name"), show[0].get("provider"), show[0].get("kind")),
        "RESOLVE's record carries the model's name, provider and kind")
    st, r = resolve(d, "RESOLVE pixtral-large-latest")
    tap.eq((r.get("id"), r.get("reason"), r.get("requested"), r.get("why")),
        ("pixtral-large-2411", "requested", "pixtral-large-latest", None),
        "an active model by alias: itself, reason requested")
    st, r = resolve(d, "RESOLVE magistral-medium-latest")
    tap.eq((r.get("id"), r.get("reason"), r.get("requested"), r.get("why")),
        ("mistral-large-2411", "fallback", "magistral-medium-latest", "inactive"),
        "an inactive model: the default, reason fallback, why inactive, requested named")
    st, _ = d.request("DELETE open-mistral-nemo-2407")
    tap.eq(st, "OK 1", "delete open-mistral-nemo-2407")
    st, r = resolve(d, "RESOLVE open-mistral-nemo-2407")
    tap.eq((r.get("id"), r.get("reason"), r.get("why")), ("mistral-large-2411", "fallback", "removed"),
        "a removed model (the registry remembers deleted ids): fallback, why removed")
    c = sqlite3.connect(d.db, timeout=10)
    try:
        c.execute("UPDATE models SET expires_at = CAST(strftime('%s', 'now') AS INTEGER) - 60"
            " WHERE id = 'mistral-medium-2505'")
        c.commit()
    finally:
        c.close()
    st, r = resolve(d, "RESOLVE mistral-medium-latest")
    tap.eq((r.get("id"), r.get("reason"), r.get("why")), ("mistral-large-2411", "fallback", "expired"),
        "an active model past its expires_at: fallback, why expired")
    st, r = resolve(d, "RESOLVE never-was-here")
    tap.err(st, "notfound", "a name that never was in the registry: ERR notfound")
    st, r = resolve(d, "RESOLVE a b")
    tap.err(st, "usage", "two models: ERR usage")

    # the service role may resolve; and modelregctl resolve
    p = d.ctl("resolve", "pixtral-large-latest", as_user=SERVICE_UID)
    tap.eq(p.returncode, 0, "a service peer may resolve (%s)" % p.stderr.strip())
    tap.like(p.stdout, r"(?m)^reason:\s+requested$", "modelregctl resolve prints the reason")
    j = d.ctl_json("resolve", as_user=SERVICE_UID)
    tap.eq((j.get("id"), j.get("reason")), ("mistral-large-2411", "default"), "resolve --json: the default")
    p = d.ctl("resolve", "--key", "mr_x")
    tap.eq(p.returncode, 2, "there is no --key option: a secret never goes on the command line")

    # keys
    def mk(name, *opts):
        p = d.ctl("key", "create", name, *opts)
        s = p.stdout.strip()
        secrets.append(s)
        return s
    chat = mk("chat", "--models", "pixtral-large-latest,mistral-large-latest,magistral-medium-latest")
    only = mk("only", "--models", "pixtral-large-2411")
    none = mk("none")
    every = mk("every", "--all")
    st, r = resolve(d, "RESOLVE pixtral-large-latest key=" + chat)
    tap.eq((st, r.get("id"), r.get("reason"), r.get("key_name")),
        ("OK 1", "pixtral-large-2411", "requested", "chat"), "a key that allows the model: requested, and which key")
    st, r = resolve(d, "RESOLVE key=" + chat)
    tap.eq((r.get("id"), r.get("reason")), ("mistral-large-2411", "default"), "a key that allows the default: default")
    st, r = resolve(d, "RESOLVE magistral-medium-latest key=" + chat)
    tap.eq((r.get("id"), r.get("reason"), r.get("why")), ("mistral-large-2411", "fallback", "inactive"),
        "a key's inactive model falls back to the default it allows")
    st, _ = d.request("RESOLVE mistral-medium-latest key=" + chat)
    tap.err(st, "denied", "a model the key was never given: ERR denied")
    tap.like(st, r"key chat does not allow mistral-medium-2505", "and says why")
    st, _ = d.request("RESOLVE key=" + only)
    tap.err(st, "denied", "a key that does not allow the default: ERR denied for the default")
    tap.like(st, r"the default is mistral-large-2411: key only does not allow", "and says why")
    st, _ = d.request("DEACTIVATE pixtral-large-2411")
    st, _ = d.request("RESOLVE pixtral-large-2411 key=" + only)
    tap.err(st, "denied", "a fallback target the key may not use: ERR denied, not the default")
    tap.like(st, r"pixtral-large-2411 is inactive and its fallback, the default mistral-large-2411, is not allowed",
        "and says why")
    st, _ = d.request("ACTIVATE pixtral-large-2411")
    for who, s in (("none", none),):
        st, _ = d.request("RESOLVE key=" + s)
        tap.err(st, "denied", "a key with no list may use nothing (default)")
        st, _ = d.request("RESOLVE pixtral-large-2411 key=" + s)
        tap.err(st, "denied", "a key with no list may use nothing (a model)")
    st, r = resolve(d, "RESOLVE pixtral-large-2411 key=" + every)
    tap.eq((st, r.get("reason")), ("OK 1", "requested"), "an --all key may use any active model")
    st, _ = d.request("RESOLVE never-was-here key=" + every)
    tap.err(st, "notfound", "with a key too, a name never in the registry is notfound")
    st, _ = d.request("RESOLVE key=mr_" + "A" * 43)
    tap.err(st, "denied", "an unknown secret: ERR denied")
    st, _ = d.request("RESOLVE key=notakey")
    tap.err(st, "denied", "a malformed secret: ERR denied")
    tap.ok("notakey" not in st, "and the message does not echo it")

    # last use
    k = d.request("KEY SHOW chat")[1][0]
    tap.ok(k.get("last_used_at") and re.fullmatch(harness.RFC3339, k["last_used_at"]),
        "key show: a key that resolved has its last use", k.get("last_used_at"))
    k = d.request("KEY SHOW none")[1][0]
    tap.eq(k.get("last_used_at"), None, "a key refused for every model was never used")

    # delete a model, seed it back: the key's grant does not reach the new one
    st, _ = d.request("DELETE magistral-medium-2506")
    st, r = resolve(d, "RESOLVE magistral-medium-2506 key=" + chat)
    tap.eq((r.get("reason"), r.get("why")), ("fallback", "removed"),
        "a key's deleted model falls back to the default")
    st, _ = d.request("SEED")
    st, _ = d.request("ACTIVATE magistral-medium-2506")
    tap.eq(st, "OK 1", "the same id seeded back and activated")
    st, _ = d.request("RESOLVE magistral-medium-2506 key=" + chat)
    tap.err(st, "denied", "the key does not reach the model seeded back under the same id")
    tap.like(st, r"earlier model", "and says it was given an earlier model of that id")
    st, r = resolve(d, "RESOLVE magistral-medium-2506 key=" + every)
    tap.eq(r.get("reason"), "requested", "an --all key reaches it (all means every present model)")
    d.request("KEY ALLOW chat magistral-medium-2506")
    st, r = resolve(d, "RESOLVE magistral-medium-2506 key=" + chat)
    tap.eq((st, r.get("reason")), ("OK 1", "requested"), "after key allow the key reaches the new model")

    # rotate: without grace the old secret stops at once; with grace it works until then
    p = d.ctl("key", "rotate", "chat")
    chat2 = p.stdout.strip()
    secrets.append(chat2)
    st, _ = d.request("RESOLVE key=" + chat)
    tap.err(st, "denied", "rotate without grace: the old secret is refused at once")
    st, r = resolve(d, "RESOLVE key=" + chat2)
    tap.eq(st, "OK 1", "and the new one works")
    p = d.ctl("key", "rotate", "chat", "--grace", "3s")
    chat3 = p.stdout.strip()
    secrets.append(chat3)
    st2, _ = d.request("RESOLVE key=" + chat2)
    st3, _ = d.request("RESOLVE key=" + chat3)
    tap.eq((st2, st3), ("OK 1", "OK 1"), "rotate --grace 3s: the old and the new secret both work")

    def old_refused():
        st, _ = d.request("RESOLVE key=" + chat2)
        return st.startswith("ERR denied")
    d.wait_for(old_refused, 15, "the grace period to end")
    tap.ok(old_refused(), "after the grace period the old secret is refused")
    st, _ = d.request("RESOLVE key=" + chat3)
    tap.eq(st, "OK 1", "the new secret still works")

    # expired and revoked keys
    short = mk("short", "--all", "--expires", "2s")
    st, _ = d.request("RESOLVE key=" + short)
    tap.eq(st, "OK 1", "a key before its expiry works")

    def expired():
        st, _ = d.request("RESOLVE key=" + short)
        return st.startswith("ERR denied") and "expired" in st
    d.wait_for(expired, 15, "the key to expire")
    tap.ok(expired(), "an expired key: ERR denied, saying it expired")
    d.request("KEY REVOKE every")
    st, _ = d.request("RESOLVE key=" + every)
    tap.err(st, "denied", "a revoked key: ERR denied")
    tap.like(st, r"key every is revoked", "saying it is revoked")

    # modelregctl resolve reads the key from a file or $MODELREG_KEY
    kf = os.path.join(d.dir, "chat.key")
    with open(kf, "w") as f:
        f.write(chat3 + "\n")
    os.chmod(kf, 0o644)
    p = d.ctl("resolve", "pixtral-large-latest", "--key-file", kf, as_user=SERVICE_UID)
    tap.eq(p.returncode, 0, "resolve --key-file (%s)" % p.stderr.strip())
    tap.like(p.stdout, r"(?m)^key_name:\s+chat$", "resolve --key-file used the key in the file")
    p = d.ctl("resolve", "mistral-medium-latest", env={"MODELREG_KEY": chat3}, as_user=SERVICE_UID)
    tap.eq(p.returncode, 4, "resolve with $MODELREG_KEY: a model the key may not use exits 4")
    tap.like(p.stderr, r"key chat does not allow", "and says why")
    p = d.ctl("resolve", "--key-file", os.path.join(d.dir, "nosuch.key"))
    tap.eq(p.returncode, 2, "resolve --key-file of a missing file: exit 2")

    # a viewer may not resolve
    d.access = {"admin": ["root"], "viewer": ["*"]}
    d.write_config()
    tap.eq(d.ctl("reload").returncode, 0, "reload with viewer = *")
    p = d.ctl("resolve", as_user=SERVICE_UID)
    tap.eq(p.returncode, 4, "a viewer may not resolve (exit 4)")
    tap.like(p.stderr, r"RESOLVE needs the service role; you are viewer", "and is told the role it needs")

    # the secrets never reach the log or the database files
    log = d.log_text()
    tap.ok(not any(s in log for s in secrets) and "mr_AAAA" not in log,
        "the log holds none of the secrets RESOLVE was given")
    d.stop()
    raw = b""
    for path in (d.db, d.db + "-wal"):
        if os.path.exists(path):
            with open(path, "rb") as f:
                raw += f.read()
    tap.ok(len(raw) > 0 and not any(s.encode() in raw for s in secrets),
        "the database file and its -wal hold none of the secrets")
    d.cleanup()


def run(tap):
    if os.geteuid() != 0:
        tap.skip("resolve", "needs root (setpriv)")
        return
    test_resolve(tap)


harness.main(run)
