# test_spool.py: bodies on disk (issue 8): a fetched seed or catalog goes to an unlinked file in the database's folder, a file:// source is read from its own file, the held catalog response is a blob that survives a restart, and none of it leaves a file behind.
import json
import os
import sqlite3

import harness
import httpd

PATH = "/api/v1/models"
N = 3000


def catalog(n, tag):
    data = [{"id": "sp/%d" % i, "name": "Sp %d %s" % (i, tag),
             "context_length": 4096 + i,
             "pricing": {"prompt": "0.000001", "completion": "0.000002"}}
            for i in range(n)]
    return json.dumps({"data": data}).encode()


def fds(pid):
    """What the daemon's descriptors point at (readlink of /proc/PID/fd/*)."""
    out = []
    base = "/proc/%d/fd" % pid
    for n in os.listdir(base):
        try:
            out.append(os.readlink(os.path.join(base, n)))
        except OSError:
            pass
    return out


def spooled(d):
    """The daemon's descriptors of unlinked files in its database's folder."""
    return [t for t in fds(d.pid) if t.startswith(d.dir + "/") and
        t.endswith(" (deleted)")]


def leftovers(d):
    return [n for n in os.listdir(d.dir) if n.startswith(".modelregd-body")]


def gated(d):
    gate = os.path.join(d.dir, "import-gate")
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    open(gate, "w").close()
    return gate, gate + ".held"


def db_rows(d, sql):
    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=10)
    try:
        return c.execute(sql).fetchall()
    finally:
        c.close()


def seed_over_http(tap, wrapped):
    srv = httpd.Server()
    srv.set(PATH, "bytes", data=catalog(N, "v1"))
    d = harness.Daemon(seed_url=srv.url(PATH), seed_format="openrouter",
        start=False)
    gate, held = gated(d)
    d.start()
    d.wait_seeded(timeout=60)
    os.unlink(gate)
    srv.set(PATH, "bytes", data=catalog(N, "v2"))
    seeder = d.raw()
    seeder.send("SEED\n")
    harness.wait_for(lambda: os.path.exists(held), 60, "the seed to wait at its commit")
    if wrapped:
        tap.skip("the seed's body is an unlinked file in the database's folder",
            "MODELREG_WRAP: the pid is the wrapper's")
    else:
        sp = spooled(d)
        tap.eq(len(sp), 1, "the seed's body is an unlinked file in the database's "
            "folder while it is imported", sp)
    tap.eq(leftovers(d), [], "... with no name in the folder")
    open(gate, "w").close()
    st, _ = seeder.read_reply(timeout=60)
    tap.eq(st, "OK 1", "the spooled seed applies")
    st, recs = d.request("SHOW sp/7")
    tap.eq(recs[0].get("name") if recs else None, "Sp 7 v2",
        "... with the new body's names")
    if not wrapped:
        tap.eq(spooled(d), [], "the file is closed once the seed is done")
    tap.eq(leftovers(d), [], "and nothing is left in the folder")
    # A body over max_size is refused while it is written, as before.
    d.stop()
    srv.set(PATH, "bytes", data=catalog(N, "v3"))
    d.write_config(d.config_text().replace("[seed]\n", "[seed]\nmax_size = 10K\n"))
    d.start()
    st, _ = d.request("SEED", timeout=60)
    tap.like(st, r"response larger than 10240 bytes", "max_size still caps a spooled body")
    if not wrapped:
        tap.eq(spooled(d), [], "... and its file is closed")
    d.stop()


def seed_over_file(tap, wrapped):
    d = harness.Daemon(seed_url="", seed_format="openrouter", start=False)
    src = os.path.join(d.dir, "seed.json")
    with open(src, "wb") as f:
        f.write(catalog(N, "f1"))
    d.seed_url = harness.file_url(src)
    d.write_config()
    gate, held = gated(d)
    d.start()
    d.wait_seeded(timeout=60)
    os.unlink(gate)
    with open(src + ".new", "wb") as f:
        f.write(catalog(N, "f2"))
    os.rename(src + ".new", src)
    seeder = d.raw()
    seeder.send("SEED\n")
    harness.wait_for(lambda: os.path.exists(held), 60, "the seed to wait at its commit")
    if wrapped:
        tap.skip("a file:// source is read from its own file", "MODELREG_WRAP")
    else:
        mine = [t for t in fds(d.pid) if t == src]
        tap.eq(len(mine), 1, "a file:// source is read from its own file", fds(d.pid))
        tap.eq(spooled(d), [], "... not copied to a temporary file")
    # Replaced meanwhile: the import reads the file it opened.
    with open(src + ".new", "wb") as f:
        f.write(catalog(N, "f3"))
    os.rename(src + ".new", src)
    open(gate, "w").close()
    st, _ = seeder.read_reply(timeout=60)
    tap.eq(st, "OK 1", "the file:// seed applies")
    st, recs = d.request("SHOW sp/7")
    tap.eq(recs[0].get("name") if recs else None, "Sp 7 f2",
        "... the file as it was opened, not as it was replaced meanwhile")
    if not wrapped:
        tap.eq([t for t in fds(d.pid) if t.startswith(src)], [],
            "the source file is closed once the seed is done")
    # Not a regular file: refused before anything is read.
    fifo = os.path.join(d.dir, "fifo.json")
    os.mkfifo(fifo)
    d.seed_url = harness.file_url(fifo)
    d.write_config()
    d.reload()
    st, _ = d.request("SEED", timeout=30)
    tap.like(st, r"fifo\.json is not a regular file", "a FIFO is refused, the loop not blocked")
    tap.like(d.request("PING")[0], r"^OK", "... and the daemon answers")
    d.seed_url = harness.file_url(os.path.join(d.dir, "missing.json"))
    d.write_config()
    d.reload()
    st, _ = d.request("SEED", timeout=30)
    tap.like(st, r"cannot open .*missing\.json: No such file or directory",
        "a missing file says so")
    d.stop()


def rec_of(d, name):
    st, recs = d.request("STATUS")
    for r in recs:
        if r.get("source") == name:
            return r
    return {}


def held_blob(tap, wrapped, seeded):
    """The held response is a blob written and read in chunks; it survives a restart."""
    how = "off the loop" if seeded else "on the loop (seeding from the catalog)"
    srv = httpd.Server()
    srv.set("/seed", "bytes", data=catalog(3, "seed"))
    srv.set(PATH, "bytes", data=catalog(N, "c1"), etag=False, last_modified=False)
    d = harness.Daemon(seed_url=srv.url("/seed") if seeded else "",
        seed_format="openrouter",
        extra="[catalog]\nurl = %s\nformat = openrouter\ninterval = 1d\n"
        "max_drop = 50%%\n" % srv.url(PATH), start=False)
    d.start()
    if seeded:
        d.wait_seeded(timeout=60)
    st, recs = d.request("REFRESH catalog", timeout=60)
    tap.eq(recs[0].get("outcome") if recs else st, "ok",
        "%s: the first catalog applies" % how)
    small = catalog(N // 10, "c2")
    srv.set(PATH, "bytes", data=small, etag=False, last_modified=False)
    st, recs = d.request("REFRESH catalog", timeout=60)
    tap.eq(recs[0].get("outcome") if recs else st, "held", "%s: a 90%% drop is held" % how)
    rows = db_rows(d, "SELECT typeof(value), length(value) FROM state"
        " WHERE key = 'catalog_held'")
    tap.eq(rows, [("blob", len(small))], "%s: held as a blob of the body's size" % how)
    got = db_rows(d, "SELECT value FROM state WHERE key = 'catalog_held'")
    tap.ok(got and got[0][0] == small, "%s: the blob is the body, byte for byte" % how)
    if not wrapped:
        tap.eq(spooled(d), [], "%s: the spooled file is closed after the hold" % how)
    srv.set(PATH, "status", code=500)
    d.restart()
    harness.wait_for(lambda: rec_of(d, "catalog").get("last_error"), 30,
        "the first run after the restart to fail")
    st, recs = d.request("REFRESH catalog force=yes", timeout=60)
    tap.eq(recs[0].get("outcome") if recs else st, "ok",
        "%s: after a restart, --force applies the held blob" % how)
    st, recs = d.request("CATALOG")
    tap.eq(len(recs), N // 10, "%s: ... the held (shrunk) catalog" % how)
    tap.eq(db_rows(d, "SELECT count(*) FROM state WHERE key LIKE 'catalog_held%'"),
        [(0,)], "%s: ... and forgets it" % how)

    # A response held as text (before issue 8) is read the same way.
    d.stop()
    c = sqlite3.connect(d.db, timeout=10)
    text = catalog(N // 100, "old").decode()
    c.execute("INSERT OR REPLACE INTO state(key, value) VALUES ('catalog_held', ?)",
        (text,))
    c.execute("INSERT OR REPLACE INTO state(key, value) VALUES ('catalog_held_meta',"
        " json_object('format', 'openrouter', 'etag', NULL, 'last_modified', NULL,"
        " 'message', 'would drop 90%'))")
    c.commit()
    c.close()
    d.start()
    harness.wait_for(lambda: rec_of(d, "catalog").get("last_error"), 30,
        "the first run after the restart to fail")
    st, recs = d.request("REFRESH catalog force=yes", timeout=60)
    tap.eq(recs[0].get("outcome") if recs else st, "ok",
        "%s: a response held as text by an older version applies" % how)
    st, recs = d.request("CATALOG")
    tap.eq(len(recs), N // 100, "%s: ... whole" % how)
    tap.eq(leftovers(d), [], "%s: nothing is left in the database's folder" % how)
    d.stop()


def run(tap):
    wrapped = bool(os.environ.get("MODELREG_WRAP"))
    seed_over_http(tap, wrapped)
    seed_over_file(tap, wrapped)
    held_blob(tap, wrapped, True)
    held_blob(tap, wrapped, False)


harness.main(run)
