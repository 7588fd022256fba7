# test_sessions.py: RESOLVE's sessions and counters (issue 9 items 3, 4 and 7): a session keeps its model, renews, expires and is pruned, RELEASE ends it, DELETE is refused while it lives (force=yes for admins), fallback moves it, sessions=N and the counts in show, key show and STATUS, sessions survive a restart, RESOLVE during a held import, and a flush that does not empty SHOW's cache.
import os
import shutil
import sqlite3
import time

import harness

MISTRAL = harness.data_path("catalog-mistral.json")
OTHER = (54321, 54321)          # member here ("*"), not admin


def one(d, line):
    st, recs = d.request(line)
    return st, (recs[0] if recs else {})


def db_rows(d, sql, args=()):
    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=10)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def show(d, model):
    st, r = one(d, "SHOW " + model)
    return r


def set_ttl(d, ttl):
    d.extra = "[resolve]\nsession_ttl = %s\n" % ttl
    d.write_config()
    st, _ = d.request("RELOAD")
    return st


def run(tap):
    seed = None
    d = harness.Daemon(start=False,
        always_active=["mistral-large-latest", "pixtral-large-2411",
            "mistral-medium-latest", "open-mistral-nemo-2407"],
        default_model="mistral-large-latest", socket_mode="0666",
        access={"admin": ["root"], "member": ["*"]},
        extra="[resolve]\nsession_ttl = 1h\n")
    # The seed file is ours, so that a later seed has something to change.
    seed = os.path.join(d.dir, "seed.json")
    shutil.copy(MISTRAL, seed)
    d.seed_url = harness.file_url(seed)
    gate = os.path.join(d.dir, "import-gate")
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    open(gate, "w").close()
    d.write_config()
    d.start()
    d.wait_seeded()

    # A session keeps its model.
    st, r = one(d, "RESOLVE pixtral-large-latest session=conv-1")
    tap.eq((st, r.get("id"), r.get("reason"), r.get("session")),
        ("OK 1", "pixtral-large-2411", "requested", "conv-1"),
        "RESOLVE MODEL session=: the model, and the session named")
    st, r = one(d, "RESOLVE session=conv-1")
    tap.eq((r.get("id"), r.get("reason"), r.get("requested")),
        ("pixtral-large-2411", "requested", "pixtral-large-2411"),
        "without MODEL the session's model is answered, not the default")
    st, r = one(d, "RESOLVE session=conv-2")
    tap.eq((r.get("id"), r.get("reason")), ("mistral-large-2411", "default"),
        "a new session without MODEL: the default")
    tap.eq(show(d, "pixtral-large-2411").get("sessions"), "1", "show: sessions=1")
    j = d.ctl_json("show", "pixtral-large-2411")
    tap.eq(j.get("sessions"), 1, "show --json: \"sessions\": 1")
    st, r = one(d, "RESOLVE session=bad=id")
    tap.err(st, "usage", "a session id with = is refused")
    st, r = one(d, "RESOLVE session=" + "x" * 129)
    tap.err(st, "usage", "a session id of 129 bytes is refused")

    # A session is per key.
    key = d.ctl("key", "create", "app", "--all").stdout.strip()
    keyfile = os.path.join(d.dir, "app.key")
    with open(keyfile, "w") as f:
        f.write(key + "\n")
    st, r = one(d, "RESOLVE session=conv-1 key=" + key)
    tap.eq((r.get("id"), r.get("reason"), r.get("key_name")),
        ("mistral-large-2411", "default", "app"),
        "the same session id with a key is another session")

    # Switching models moves the session.
    st, r = one(d, "RESOLVE mistral-medium-latest session=conv-2")
    tap.eq(r.get("id"), "mistral-medium-2505", "a RESOLVE naming another model")
    st, r = one(d, "RESOLVE session=conv-2")
    tap.eq(r.get("id"), "mistral-medium-2505", "... moves the session to it")

    # DELETE refused while in use; --force is for admins.
    st, _ = d.request("DELETE pixtral-large-2411")
    tap.err(st, "conflict", "DELETE of a model a session uses: ERR conflict")
    tap.like(st, r"in use by 1 session; deactivate it instead", "and says why")
    p = d.ctl("delete", "-y", "pixtral-large-2411", as_user=OTHER)
    tap.ok(p.returncode != 0, "a member's delete is refused too")
    p = d.ctl("delete", "-y", "--force", "pixtral-large-2411", as_user=OTHER)
    tap.ok(p.returncode != 0 and "admin" in (p.stdout + p.stderr),
        "delete --force by a member: refused, needs admin (%s)" % (p.stdout + p.stderr).strip())
    tap.eq(show(d, "pixtral-large-2411").get("status"), "active", "nothing was deleted")

    # RELEASE ends a session; then DELETE is allowed.
    st, r = one(d, "RESOLVE open-mistral-nemo-2407 session=conv-3")
    tap.eq(show(d, "open-mistral-nemo-2407").get("sessions"), "1", "conv-3 on nemo")
    p = d.ctl("release", "--session", "conv-3")
    tap.eq(p.returncode, 0, "modelregctl release --session (%s)" % p.stderr.strip())
    tap.eq(show(d, "open-mistral-nemo-2407").get("sessions"), "0", "released: sessions=0")
    st, r = one(d, "RELEASE session=conv-3")
    tap.eq((st, r.get("released")), ("OK 1", "false"), "a second RELEASE: released=false")
    st, _ = d.request("DELETE open-mistral-nemo-2407")
    tap.eq(st, "OK 1", "DELETE after RELEASE is allowed")
    p = d.ctl("release", "--session", "conv-1", "--key-file", keyfile)
    tap.like(p.stdout, r"released:\s+true", "release with --key-file ends the key's session")
    st, r = one(d, "RESOLVE session=conv-1")
    tap.eq(r.get("id"), "pixtral-large-2411", "... and not the session without a key")
    st, r = one(d, "RELEASE session=conv-1 key=mr_notakey")
    tap.err(st, "denied", "RELEASE with a bad key: ERR denied")

    # Fallback moves the session: after deactivate...
    st, r = one(d, "RESOLVE mistral-medium-latest session=conv-4")
    st, _ = d.request("DEACTIVATE mistral-medium-2505")
    tap.eq(st, "OK 1", "deactivate the session's model")
    st, r = one(d, "RESOLVE session=conv-4")
    tap.eq((r.get("id"), r.get("reason"), r.get("requested"), r.get("why")),
        ("mistral-large-2411", "fallback", "mistral-medium-2505", "inactive"),
        "the session's model is inactive: fallback, requested= its old model")
    tap.eq((show(d, "mistral-medium-2505").get("sessions"),
        show(d, "mistral-large-2411").get("sessions")), ("1", "1"),
        "conv-4 moved to the default; conv-2 stays on medium until its next RESOLVE")
    # ... and after a forced delete.
    p = d.ctl("delete", "-y", "--force", "pixtral-large-2411")
    tap.eq(p.returncode, 0, "delete --force by an admin (%s)" % (p.stdout + p.stderr).strip())
    st, r = one(d, "RESOLVE session=conv-1")
    tap.eq((r.get("id"), r.get("reason"), r.get("requested"), r.get("why")),
        ("mistral-large-2411", "fallback", "pixtral-large-2411", "removed"),
        "a session on a deleted model falls back, requested= the deleted id")

    # Counters: in show, key show and STATUS at once; in the database after a flush.
    for _ in range(3):
        one(d, "RESOLVE mistral-large-latest key=" + key)
    one(d, "RESOLVE key=" + key)
    s = show(d, "mistral-large-2411")
    tap.ok(int(s.get("resolves_requested", 0)) >= 3 and int(s.get("resolves_fallback", 0)) >= 2
        and int(s.get("resolves_default", 0)) >= 2,
        "show counts per reason (%s %s %s)" % (s.get("resolves_requested"),
            s.get("resolves_default"), s.get("resolves_fallback")))
    k = d.ctl_json("key", "show", "app")
    tap.eq((k.get("resolves_requested"), k.get("resolves_default"), k.get("resolves_fallback")),
        (3, 2, 0), "key show counts the key's RESOLVEs per reason")
    tap.ok(k.get("last_used_at"), "key show: last_used_at")
    status = d.status()[0]
    tap.ok(int(status.get("resolves_requested", 0)) >= 6 and
        int(status.get("resolves_fallback", 0)) >= 2 and "sessions" in status,
        "STATUS: totals per reason and sessions= (%s)" % status.get("resolves_requested"))
    got = harness.wait_for(lambda: db_rows(d, "SELECT n FROM resolve_counts WHERE"
        " model = 'mistral-large-2411' AND reason = 'requested' AND key_id ="
        " (SELECT id FROM api_keys WHERE name = 'app')") == [(3,)], 10, "the counts' flush")
    tap.ok(got, "the counts reach the database within the flush interval")
    tap.ok(harness.wait_for(lambda: db_rows(d, "SELECT last_used_at FROM api_keys"
        " WHERE name = 'app'")[0][0], 10, "last_used_at's flush"),
        "the key's last_used_at is written by the batch")
    tap.ok(harness.wait_for(lambda: ("0", "conv-4") in [(str(a), b) for a, b in
        db_rows(d, "SELECT key_id, id FROM sessions")], 10, "the sessions' flush"),
        "sessions reach the database")

    # RESOLVE does not empty SHOW's cache: hits keep growing across them.
    show(d, "mistral-large-2411")
    h0 = int(d.status()[0]["cache_hits"])
    for i in range(5):
        one(d, "RESOLVE mistral-large-latest session=cache-%d" % i)
        show(d, "mistral-large-2411")
    time.sleep(0)   # the flushes run on their timer; wait for one below
    harness.wait_for(lambda: db_rows(d, "SELECT count(*) FROM sessions WHERE id LIKE 'cache-%'")
        == [(5,)], 10, "the cache sessions' flush")
    show(d, "mistral-large-2411")
    h1 = int(d.status()[0]["cache_hits"])
    tap.eq(h1 - h0, 6, "6 SHOWs across 5 RESOLVEs and their flushes: 6 cache hits")
    tap.eq(show(d, "mistral-large-2411").get("sessions"), "7",
        "a cached record still shows the live session count (7)")

    # Sessions survive a restart (the stop writes the last batch).
    one(d, "RESOLVE mistral-large-latest session=late")
    d.restart()
    st, r = one(d, "RESOLVE session=conv-4")
    tap.eq((r.get("id"), r.get("reason")), ("mistral-large-2411", "requested"),
        "after a restart the session still has its model")
    tap.eq(show(d, "mistral-large-2411").get("sessions"), "8",
        "all 8 sessions on it were read back, the last one written at stop")
    st, r = one(d, "RESOLVE session=conv-2")
    tap.eq((r.get("id"), r.get("reason"), r.get("requested")),
        ("mistral-large-2411", "fallback", "mistral-medium-2505"),
        "a session read back on an inactive model falls back")
    s2 = show(d, "mistral-large-2411")
    tap.ok(int(s2.get("resolves_requested", 0)) >= int(s.get("resolves_requested", 0)),
        "counts are read back too")

    # A RESOLVE during a held import is answered; its writes follow the import.
    os.unlink(gate)
    with open(seed) as f:
        text = f.read()
    with open(seed, "w") as f:
        f.write(text.replace("Our frontier-class", "Our new frontier-class", 1))
    seeder = d.raw()
    seeder.send("SEED\n")
    harness.wait_for(lambda: os.path.exists(gate + ".held"), 60, "the seed to hold at its commit")
    other = d.raw()
    st, lines = other.request("RESOLVE mistral-large-latest session=during-import")
    tap.like(st or "", r"^OK 1", "RESOLVE is answered during a held import")
    st, lines = other.request("RELEASE session=late")
    tap.like(st or "", r"^OK 1", "RELEASE is answered during a held import")
    time.sleep(2.5)     # more than two flush intervals: each is skipped
    tap.eq(db_rows(d, "SELECT count(*) FROM sessions WHERE id = 'during-import'"), [(0,)],
        "nothing is written while the import holds the write lock")
    open(gate, "w").close()
    st, _ = seeder.read_reply(timeout=60)
    tap.eq(st, "OK 1", "the seed commits")
    tap.ok(harness.wait_for(lambda: db_rows(d, "SELECT count(*) FROM sessions WHERE id ="
        " 'during-import'") == [(1,)] and db_rows(d, "SELECT count(*) FROM sessions"
        " WHERE id = 'late'") == [(0,)], 10, "the batch after the import"),
        "after the import the batch writes the session and the release")

    # Renewal and expiry, with a short TTL.
    tap.like(set_ttl(d, "2s") or "", r"^OK", "reload with session_ttl = 2s")
    st, _ = d.request("ACTIVATE mistral-medium-2505")
    one(d, "RESOLVE mistral-medium-latest session=short")
    tap.eq(show(d, "mistral-medium-2505").get("sessions"), "1", "a session on medium")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3:
        one(d, "RESOLVE session=short")     # renew, every 0.5 s
        time.sleep(0.5)
    tap.eq(show(d, "mistral-medium-2505").get("sessions"), "1",
        "renewed for 3 s, longer than its 2 s TTL: still live")
    tap.ok(harness.wait_for(lambda: show(d, "mistral-medium-2505").get("sessions") == "0", 10,
        "the session to expire"), "unrenewed, it expires (sessions=0)")
    st, _ = d.request("DELETE mistral-medium-2505")
    tap.eq(st, "OK 1", "DELETE after the session expired is allowed")
    tap.ok(harness.wait_for(lambda: db_rows(d, "SELECT count(*) FROM sessions WHERE"
        " id IN ('short', 'conv-2')") == [(0,)], 10, "the prune"),
        "expired sessions are pruned from the database")

    # A viewer may not RELEASE.
    d.access = {"admin": ["root"], "viewer": ["*"]}
    d.write_config()
    d.request("RELOAD")
    p = d.ctl("release", "--session", "conv-4", as_user=OTHER)
    tap.eq(p.returncode, 4, "a viewer cannot release (exit 4)")
    d.stop()


harness.main(run)
