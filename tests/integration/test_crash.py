# test_crash.py: kill -9 during first-boot seeding and during SEED leaves a sound registry, all or nothing; a change answered OK survives kill -9.
import json
import os
import random
import re
import shutil
import sqlite3
import tempfile
import time

import harness
import httpd

N = 20000               # models in the generated catalog
PATH = "/v1/models"


def make_catalog(path, n, suffix=""):
    """A Mistral-format catalog of n models (no alias entries: n models in the registry)."""
    data = []
    for i in range(n):
        mid = "crash-%05d" % i
        data.append({"id": mid, "object": "model", "created": 1700000000,
            "owned_by": "crashco", "name": mid,
            "description": "generated model %d%s for the kill -9 test" % (i, suffix),
            "max_context_length": 32768 + i,
            "capabilities": {"completion_chat": True, "function_calling": i % 2 == 0,
                "vision": i % 3 == 0},
            "aliases": [], "deprecation": None})
    with open(path, "w") as f:
        json.dump({"object": "list", "data": data}, f)


def inspect(dbpath, scratch):
    """Open a copy of the database (and its WAL) as a restart after power loss would.
    Returns a dict: integrity, models, seeded (state has seeded_at), defaults, v2 (descriptions from v2)."""
    out = {"integrity": "ok", "models": 0, "seeded": False, "defaults": 0, "v2": 0,
        "exists": os.path.exists(dbpath)}
    if not out["exists"]:
        return out
    for f in os.listdir(scratch):
        os.unlink(os.path.join(scratch, f))
    copy = os.path.join(scratch, "copy.db")
    shutil.copyfile(dbpath, copy)
    if os.path.exists(dbpath + "-wal"):
        shutil.copyfile(dbpath + "-wal", copy + "-wal")
    c = sqlite3.connect(copy, timeout=10)
    try:
        rows = c.execute("PRAGMA integrity_check").fetchall()
        out["integrity"] = ";".join(r[0] for r in rows)
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "models" in tables:
            out["models"] = c.execute("SELECT count(*) FROM models").fetchone()[0]
            out["defaults"] = c.execute(
                "SELECT count(*) FROM models WHERE is_default = 1").fetchone()[0]
            out["v2"] = c.execute(
                "SELECT count(*) FROM models WHERE description LIKE '% v2 for %'").fetchone()[0]
        if "state" in tables:
            out["seeded"] = c.execute(
                "SELECT count(*) FROM state WHERE key = 'seeded_at'").fetchone()[0] == 1
    finally:
        c.close()
    return out


def remove_db(d):
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(d.db + suffix)
        except FileNotFoundError:
            pass


def seed_state(d):
    try:
        return d.status()[1].get("state")
    except (OSError, harness.HarnessError):
        return None


def time_full_seed(d):
    """Seconds from start to a finished first-boot seed (empty database)."""
    remove_db(d)
    t0 = time.monotonic()
    d.start(wait=False)
    harness.wait_for(lambda: (seed_state(d) == "idle" and d.status()[0].get("models") == str(N)),
        120, "the first full seed", interval=0.02)
    t = time.monotonic() - t0
    d.stop()
    return t


def check_after_kill(tap, d, srv, scratch, what, tally):
    info = inspect(d.db, scratch)
    tap.eq(info["integrity"], "ok", "%s: PRAGMA integrity_check is ok" % what)
    tap.ok(info["models"] in (0, N), "%s: the registry is empty or complete (%d models)"
        % (what, info["models"]), info)
    tally[info["models"]] = tally.get(info["models"], 0) + 1
    if info["models"] == N:
        tap.ok(info["seeded"] and info["defaults"] == 1,
            "%s: a complete registry has seeded_at and exactly one default" % what, info)
    elif info["exists"]:
        tap.ok(not info["seeded"] and info["defaults"] == 0,
            "%s: an empty registry has no seeded_at and no default" % what, info)

    # Restart: it must come up on what is there, and seed only if it is empty.
    n = len(srv.requests_for(PATH))
    d.start()
    if info["models"] == 0:
        try:
            d.wait_seeded(timeout=120)
            ok = d.status()[0].get("models") == str(N)
        except harness.HarnessError as e:
            ok = False
            tap.diag(str(e)[:2000])
        tap.ok(ok, "%s: after restart the empty registry seeds completely" % what)
    else:
        dm, s = d.status()
        tap.eq((dm.get("models"), s.get("state"), len(srv.requests_for(PATH)) - n),
            (str(N), "idle", 0), "%s: after restart the complete registry is kept, no re-seed" % what)
    st, recs = d.request("DEFAULT")
    tap.eq(recs and recs[0]["id"], "crash-00002", "%s: the default is the seeded default" % what)
    d.stop()


def test_first_boot_kills(tap, srv, scratch):
    d = harness.Daemon(seed_url=srv.url(PATH), always_active=["crash-00001"],
        default_model="crash-00002", timeout=120, retry_min=1, retry_max=2,
        log_level="info", start=False)
    t_full = time_full_seed(d)
    tap.diag("a full first-boot seed of %d models takes %.2f s" % (N, t_full))
    tally = {}

    # Kill as soon as STATUS says running.
    remove_db(d)
    d.start(wait=False)
    harness.wait_for(lambda: seed_state(d) == "running", 30, "state running", interval=0.01)
    d.kill9()
    check_after_kill(tap, d, srv, scratch, "kill -9 when STATUS says running", tally)

    # Kill as soon as the source has been asked.
    remove_db(d)
    n = len(srv.requests_for(PATH))
    d.start(wait=False)
    srv.wait_requests(PATH, n + 1, timeout=30)
    d.kill9()
    check_after_kill(tap, d, srv, scratch, "kill -9 when the fetch started", tally)

    # Kill at points spread over the whole seed, and at small random delays.
    rnd = random.Random(int(os.environ.get("ITB_SEED", "0")) or None)
    delays = [t_full * f for f in (0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.2)]
    delays += [rnd.uniform(0, 0.15) for _ in range(3)]
    delays += [rnd.uniform(0, t_full) for _ in range(3)]
    for delay in delays:
        remove_db(d)
        d.start(wait=False)
        time.sleep(delay)   # the kill point itself: no condition to poll for
        d.kill9()
        check_after_kill(tap, d, srv, scratch, "kill -9 %.3f s after start" % delay, tally)
    tap.diag("outcomes after kill -9 (models: times): %r" % (tally,))
    return d


def test_reseed_kills(tap, srv, scratch, d, v1, v2):
    """kill -9 during SEED of a catalog that changes every model: all old or all new."""
    remove_db(d)
    srv.set(PATH, "file", file=v1)
    d.start()
    d.wait_seeded(timeout=120)
    d.stop()
    srv.set(PATH, "file", file=v2)
    d.start()
    t0 = time.monotonic()
    st, recs = d.request("SEED", timeout=120)
    t_seed = time.monotonic() - t0
    tap.eq(st, "OK 1", "SEED of the changed catalog: OK")
    tap.eq(inspect(d.db, scratch)["v2"], N, "SEED updated every model")
    tap.diag("a SEED updating %d models takes %.2f s" % (N, t_seed))
    d.stop()

    tally = {}
    for i, f in enumerate((0.2, 0.5, 0.7, 0.8, 0.9, 1.0, 1.1)):
        # Back to the v1 registry, then SEED v2 and kill in the middle.
        srv.set(PATH, "file", file=v1)
        d.start()
        st, _ = d.request("SEED", timeout=120)
        d.stop()
        if st != "OK 1" or inspect(d.db, scratch)["v2"] != 0:
            tap.ok(False, "reset to the v1 registry", st)
            continue
        srv.set(PATH, "file", file=v2)
        d.start()
        c = d.raw()
        c.send("SEED\n")
        time.sleep(t_seed * f)      # the kill point itself
        d.kill9()
        c.close()
        info = inspect(d.db, scratch)
        what = "kill -9 at %.0f%% of a SEED" % (f * 100)
        tap.eq(info["integrity"], "ok", "%s: PRAGMA integrity_check is ok" % what)
        tap.ok(info["models"] == N and info["v2"] in (0, N),
            "%s: every model is either all old or all updated (%d of %d updated)"
            % (what, info["v2"], N), info)
        tally[info["v2"]] = tally.get(info["v2"], 0) + 1
        d.start()
        tap.eq(d.status()[0].get("models"), str(N), "%s: the restarted daemon serves the registry" % what)
        d.stop()
    tap.diag("outcomes after kill -9 during SEED (updated: times): %r" % (tally,))


def test_ok_survives(tap, d):
    """A change answered OK is on disk: kill -9 right after the reply loses nothing."""
    d.start()
    for line, check, what in (
            ("ACTIVATE crash-00010", ("SHOW crash-00010", "status", "active"), "ACTIVATE"),
            ("DEFAULT crash-00010", ("DEFAULT", "id", "crash-00010"), "DEFAULT"),
            ("DEACTIVATE crash-00002", ("SHOW crash-00002", "status", "inactive"), "DEACTIVATE"),
            ("DELETE crash-00011", ("SHOW crash-00011", None, None), "DELETE")):
        st, _ = d.request(line)
        tap.eq(st, "OK 1", "%s answered OK" % what)
        d.kill9()
        d.start()
        st, recs = d.request(check[0])
        if check[1] is None:
            tap.err(st, "notfound", "%s survives kill -9 right after OK" % what)
        else:
            tap.eq(recs and recs[0].get(check[1]), check[2],
                "%s survives kill -9 right after OK" % what)
    d.kill9()
    d.start()
    st, recs = d.request("SHOW crash-00010")
    tap.eq(recs and (recs[0]["status"], recs[0]["default"]), ("active", "true"),
        "all the changes are there after another kill -9")
    d.stop()


def run(tap):
    tmp = tempfile.mkdtemp(prefix="modelreg-itb-crash-")
    try:
        scratch = os.path.join(tmp, "scratch")
        os.mkdir(scratch)
        v1 = os.path.join(tmp, "catalog-v1.json")
        v2 = os.path.join(tmp, "catalog-v2.json")
        make_catalog(v1, N)
        make_catalog(v2, N, " v2")
        srv = httpd.Server()
        srv.set(PATH, "file", file=v1)
        d = test_first_boot_kills(tap, srv, scratch)
        test_reseed_kills(tap, srv, scratch, d, v1, v2)
        test_ok_survives(tap, d)
        d.cleanup()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


harness.main(run)
