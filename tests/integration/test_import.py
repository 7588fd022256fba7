# test_import.py: a seed runs off the event loop (issue 8): during a large seed PING and SHOW are answered, a write waits for the seed's commit and is answered after it, in order.
import json
import os
import signal
import sqlite3

import harness
import httpd

PATH = "/api/v1/models"
N = 20000


def catalog(n, tag):
    """An OpenRouter catalog of n models gen/0 .. gen/(n-1), named with tag."""
    data = [{"id": "gen/%d" % i, "name": "Gen %d %s" % (i, tag),
             "context_length": 4096 + i,
             "pricing": {"prompt": "0.000001", "completion": "0.000002"}}
            for i in range(n)]
    return json.dumps({"data": data}).encode()


def zdr_list(ids):
    """An OpenRouter ZDR endpoint list naming gen/i for i in ids."""
    return json.dumps({"data": [{"name": "Gen | %d" % i, "model_id": "gen/%d" % i,
        "provider_name": "Gen"} for i in ids]}).encode()


def show(d, model):
    st, recs = d.request("SHOW %s" % model)
    return st, (recs[0] if recs else {})


def catalog_off_loop(tap):
    """A catalog refresh is applied off the loop: reads go on, SYNC waits for it."""
    srv = httpd.Server()
    srv.set(PATH, "bytes", data=catalog(3, "seed"))
    srv.set("/catalog", "bytes", data=catalog(N, "c1"))
    d = harness.Daemon(seed_url=srv.url(PATH), seed_format="openrouter",
        extra="[catalog]\nurl = %s\nformat = openrouter\ninterval = 1d\n"
        "[zdr]\nurl = %s\ninterval = 1d\n"
        % (srv.url("/catalog"), srv.url("/zdr")), start=False)
    srv.set("/zdr", "bytes", data=zdr_list(range(10, 100)))
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    open(gate, "w").close()
    d.start()
    d.wait_seeded(timeout=60)
    harness.wait_for(lambda: d.sources()["catalog"].get("last_ok"), 60,
        "the first catalog refresh")
    st, recs = d.request("CATALOG search=\"Gen 5 c1\"")
    tap.ok(st.startswith("OK") and any(r.get("id") == "gen/5" for r in recs),
        "the first catalog is applied", st)

    # The first ZDR refresh runs at the start too: the gate below is for the
    # catalog's refresh, so that one must be done first (else its apply
    # could be the job the gate holds, with the refresh queued after it).
    harness.wait_for(lambda: d.sources()["zdr"].get("last_ok"), 60,
        "the first ZDR refresh")
    os.unlink(gate)
    # No validators: the same body again is known by its digest, not a 304.
    srv.set("/catalog", "bytes", data=catalog(N, "c2"), etag=False,
        last_modified=False)
    admin = d.raw()
    admin.send("REFRESH catalog\n")
    harness.wait_for(lambda: os.path.exists(held), 60,
        "the refresh to wait at its commit")
    other = d.raw()
    tap.like(other.request("PING")[0] or "", r"^OK ", "PING is answered during the refresh")
    st, lines = other.request("CATALOG search=\"Gen 5 c1\"")
    tap.ok(st is not None and st.startswith("OK") and
        any("gen/5" in x for x in lines),
        "CATALOG is answered from the snapshot (the old names)", st)
    writer = d.raw()
    writer.send("SYNC gen/5\nSHOW gen/5\n")
    tap.eq(writer.pending(0.5), b"", "a SYNC during the refresh waits")
    # A seed fetched meanwhile waits for the refresh, rather than stall the loop.
    def waiting():
        with open(d.logfile, errors="replace") as f:
            return f.read().count("seed: the response waits for the import")
    # (The same metadata as the refresh: a seed that changed it would make
    # the next refresh apply the catalog again, below.)
    srv.set(PATH, "bytes", data=catalog(3, "c2"))
    seeder = d.raw()
    seeder.send("SEED\n")
    harness.wait_for(lambda: waiting() > 0, 30,
        "the seed's response to wait for the refresh")
    tap.like(other.request("PING")[0] or "", r"^OK ",
        "PING is answered while the seed's response waits")
    tap.eq(seeder.pending(0.2), b"", "the SEED is not answered before the refresh commits")
    open(gate, "w").close()
    st, _ = admin.read_reply(timeout=60)
    tap.like(st or "", r"^OK ", "REFRESH catalog is answered once it commits")
    st, _ = writer.read_reply(timeout=30)
    tap.like(st or "", r"^OK ", "the SYNC is answered OK after the refresh")
    st, lines = writer.read_reply(timeout=30)
    rec = harness.parse_logfmt(lines[0]) if lines else {}
    tap.eq((st, rec.get("name")), ("OK 1", "Gen 5 c2"),
        "the pipelined SHOW sees the synced model with the refresh's name")
    st, _ = seeder.read_reply(timeout=60)
    tap.eq(st, "OK 1", "the waiting SEED is applied and answered after the refresh")
    # The refresh renamed every entry: its search keys are applied by the
    # job after it (schema 11), and a search finds the new names meanwhile
    # and after.
    st, lines = other.request("CATALOG search=\"Gen 5 c2\"")
    tap.ok(st is not None and st.startswith("OK") and
        any("gen/5" in x for x in lines), "CATALOG finds the refresh's names", st)
    def dirty():
        db = d.open_db()
        try:
            return db.execute("SELECT (SELECT count(*) FROM catalog_fts_dirty)"
                " + (SELECT count(*) FROM model_fts_dirty)").fetchone()[0]
        finally:
            db.close()
    harness.wait_for(lambda: dirty() == 0, 60,
        "the job after the refresh to apply its search keys")
    st, lines = other.request("CATALOG search=\"Gen 5 c1\"")
    tap.ok(st is not None and st.startswith("OK") and
        not any("gen/5 " in x or "id=gen/5\n" in x for x in lines) and
        st == "OK 0", "the old names are not found once they are applied",
        (st, lines[:2]))
    st, lines = other.request("CATALOG search=\"Gen 5 c2\"")
    tap.ok(st is not None and st.startswith("OK") and
        any("gen/5" in x for x in lines),
        "... and the new ones are, through the index", st)

    # The same body again is recognised without a parse and writes nothing.
    db = d.open_db()
    before = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    db.close()
    st, lines = d.request_lines("REFRESH catalog", timeout=60)
    tap.like(st or "", r"^OK ", "REFRESH catalog of the same body")
    tap.like(d.sources()["catalog"].get("last_error") or "", r"^$",
        "... succeeds")
    db = d.open_db()
    tap.eq(db.execute("SELECT count(*) FROM audit").fetchone()[0], before,
        "... and writes no audit row")
    db.close()
    tap.like(" ".join(lines), r"unchanged", "... and says it was unchanged",)

    # A ZDR apply runs off the loop too.
    harness.wait_for(lambda: d.sources()["zdr"].get("last_ok"), 60,
        "the first ZDR refresh")
    os.unlink(gate)
    srv.set("/zdr", "bytes", data=zdr_list(range(0, 200)))
    admin.send("REFRESH zdr\n")
    harness.wait_for(lambda: os.path.exists(held), 60,
        "the ZDR refresh to wait at its commit")
    tap.like(other.request("PING")[0] or "", r"^OK ", "PING is answered during the ZDR apply")
    st, lines = other.request("SHOW gen/5")
    rec = harness.parse_logfmt(lines[0]) if lines else {}
    tap.eq(rec.get("zdr"), "false", "SHOW during it sees the old ZDR list")
    writer.send("ACTIVATE gen/5\nSHOW gen/5\n")
    tap.eq(writer.pending(0.5), b"", "an ACTIVATE during the ZDR apply waits")
    open(gate, "w").close()
    st, _ = admin.read_reply(timeout=60)
    tap.like(st or "", r"^OK ", "REFRESH zdr is answered once it commits")
    st, _ = writer.read_reply(timeout=30)
    tap.like(st or "", r"^OK ", "the ACTIVATE is answered after it")
    st, lines = writer.read_reply(timeout=30)
    rec = harness.parse_logfmt(lines[0]) if lines else {}
    tap.eq((rec.get("status"), rec.get("zdr")), ("active", "true"),
        "the pipelined SHOW sees the write and the new ZDR list")


def state_keys(d, *keys):
    db = d.open_db()
    try:
        return {k for (k,) in db.execute("SELECT key FROM state WHERE key IN (%s)"
            % ",".join("?" * len(keys)), keys)}
    finally:
        db.close()


def reload_waits(tap):
    """A SIGHUP that changes the catalog's URL and removes an alert channel
    during a held import: the loop answers at once, and the writes of that
    reload (forgetting the old catalog's validators, the channel's cursor)
    wait for the import's commit instead of SQLite's busy handler."""
    srv = httpd.Server()
    srv.set(PATH, "bytes", data=catalog(3, "seed"))
    srv.set("/catalog", "bytes", data=catalog(200, "c1"))
    srv.set("/other", "bytes", data=catalog(200, "c1"))
    base = ("[catalog]\nurl = %s\nformat = openrouter\ninterval = 1d\n"
        % srv.url("/catalog"))
    d = harness.Daemon(seed_url=srv.url(PATH), seed_format="openrouter",
        extra=base + "[alerts]\nexec = /bin/true\n", start=False)
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    open(gate, "w").close()
    d.start()
    d.wait_seeded(timeout=60)
    harness.wait_for(lambda: d.sources()["catalog"].get("last_ok"), 60,
        "the first catalog refresh")
    keys = ("catalog_digest", "catalog_etag", "alerts_exec_cursor")
    tap.eq(state_keys(d, *keys), set(keys),
        "the catalog's validators and the channel's cursor are stored")

    # A seed that waits at its commit holds the write lock.
    os.unlink(gate)
    srv.set(PATH, "bytes", data=catalog(N, "v2"))
    seeder = d.raw()
    seeder.send("SEED\n")
    harness.wait_for(lambda: os.path.exists(held), 60, "the seed to wait at its commit")
    d.extra = ("[catalog]\nurl = %s\nformat = openrouter\ninterval = 1d\n"
        % srv.url("/other"))
    d.write_config()
    os.kill(d.pid, signal.SIGHUP)

    def waits():
        t = d.log_text()
        return (t.count("catalog: forgetting the old validators waits for the import"),
                t.count("alerts: the channel's cursor waits for the import"))
    harness.wait_for(lambda: min(waits()) >= 1, 30,
        "the reload's two writes to wait for the import")
    other = d.raw()
    tap.like(other.request("PING")[0] or "", r"^OK ", "PING is answered while they wait")
    tap.ok(os.path.exists(held), "... the seed is still open")
    tap.eq(state_keys(d, *keys), set(keys), "... and nothing is forgotten yet")
    tap.eq(seeder.pending(0.2), b"", "the SEED is not answered yet")
    open(gate, "w").close()
    st, _ = seeder.read_reply(timeout=60)
    tap.eq(st, "OK 1", "the SEED is answered once it commits")
    harness.wait_for(lambda: not state_keys(d, *keys), 30,
        "the old validators and the cursor to be forgotten after the commit")
    tap.eq(state_keys(d, *keys), set(), "after the commit both are forgotten")
    log = d.log_text()
    tap.ok("database is locked" not in log, "nothing met a locked database")
    d.stop()


def first_boot_catalog_seed(tap):
    """The first boot without [seed] url seeds from the catalog in the
    catalog's job, off the loop (issue 8): held at its commit, PING is
    answered; after it the models the config names are seeded."""
    srv = httpd.Server()
    srv.set("/catalog", "bytes", data=catalog(N, "c1"))
    d = harness.Daemon(seed_url="", always_active=["gen/3"], default_model="gen/4",
        extra="[catalog]\nurl = %s\nformat = openrouter\ninterval = 1d\n"
        % srv.url("/catalog"), start=False)
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    d.start()
    harness.wait_for(lambda: os.path.exists(held), 60,
        "the first catalog apply, which also seeds, to wait at its commit off the loop")
    other = d.raw()
    tap.like(other.request("PING")[0] or "", r"^OK ", "PING is answered during it")
    st, recs = other.request("LIST")
    tap.eq((st, recs), ("OK 0", []), "LIST: nothing is seeded before the commit")
    open(gate, "w").close()
    harness.wait_for(lambda: d.sources()["catalog"].get("last_ok"), 60,
        "the first catalog refresh to end")
    st, recs = other.request("LIST")
    got = sorted((harness.parse_logfmt(r).get("id"), harness.parse_logfmt(r).get("status"))
        for r in recs)
    tap.eq(([i for i, _ in got], dict(got).get("gen/3")), (["gen/3", "gen/4"], "active"),
        "the models the config names are seeded from the catalog (always_active active)",
        (st, got))
    st, recs = other.request("DEFAULT")
    tap.eq(harness.parse_logfmt(recs[0]).get("id") if recs else None, "gen/4",
        "... with the configured default")
    log = d.log_text()
    tap.ok("seeded from the catalog" in log and "cannot apply off the loop" not in log,
        "the seed ran in the job", log[-2000:])
    tap.ok("database is locked" not in log, "nothing met a locked database")
    d.stop()


def index_names(d):
    db = d.open_db()
    try:
        return set(r[0] for r in db.execute("SELECT name FROM sqlite_schema"
            " WHERE type = 'index' AND tbl_name = 'models'"))
    finally:
        db.close()


def pending_keys(d):
    db = d.open_db()
    try:
        return db.execute("SELECT count(*) FROM state"
            " WHERE key LIKE 'import_pending_%'").fetchone()[0]
    finally:
        db.close()


def deferred_indexes(tap):
    """A first seed commits before its sort and search indexes, which the
    job after it builds (issue 8): held between the two, searches and
    sorts are answered right and a write waits; after it the indexes are
    there. A start that finds them owed (a crash between the two) builds
    them before it serves."""
    srv = httpd.Server()
    srv.set(PATH, "bytes", data=catalog(N, "v1"))
    d = harness.Daemon(seed_url=srv.url(PATH), seed_format="openrouter",
        start=False)
    gate = os.path.join(d.dir, "finish-gate")
    d.env["MODELREGD_TEST_FINISH_GATE"] = gate
    d.start()
    d.wait_seeded(timeout=60, settled=False)
    harness.wait_for(lambda: os.path.exists(gate + ".held"), 60,
        "the job after the seed to wait before it builds the indexes")
    full = index_names(d)
    tap.ok("models_sort_name" not in full and "models_expires" in full,
        "the seed committed without its sort indexes, with the partial one",
        sorted(full))
    tap.eq(pending_keys(d), 1, "the state says what is owed")
    db = d.open_db()
    try:
        tap.eq(db.execute("SELECT count(*) FROM model_fts_dirty WHERE NOT"
            " indexed").fetchone()[0], N, "... and the search keys wait")
    finally:
        db.close()
    c = d.raw()
    st, recs = c.request('LIST search="Gen 12345 v1"')
    tap.eq((st, [harness.parse_logfmt(r).get("id") for r in recs]),
        ("OK 1", ["gen/12345"]), "a search finds a seeded model meanwhile")
    st, recs = c.request("LIST sort=context order=desc limit=2")
    tap.eq((st[:3], [harness.parse_logfmt(r).get("id") for r in recs][:2]),
        ("OK ", ["gen/%d" % (N - 1), "gen/%d" % (N - 2)]),
        "a sort is answered right without its index")
    writer = d.raw()
    writer.send("ACTIVATE gen/5\n")
    tap.eq(writer.pending(0.5), b"", "a write waits for the indexes")
    open(gate, "w").close()
    st, _ = writer.read_reply(timeout=60)
    tap.like(st or "", r"^OK ", "... and is answered once they are built")
    harness.wait_for(lambda: pending_keys(d) == 0, 30, "nothing to be owed")
    tap.ok("models_sort_name" in index_names(d), "the sort indexes are built")
    st, recs = c.request('LIST search="Gen 12345 v1"')
    tap.eq((st, [harness.parse_logfmt(r).get("id") for r in recs]),
        ("OK 1", ["gen/12345"]), "the search index finds it")
    d.stop()

    # As a crash between the two would leave it: an index and the whole
    # search index owed.
    db = sqlite3.connect(d.db)
    try:
        sql = db.execute("SELECT sql FROM sqlite_schema WHERE name ="
            " 'models_sort_name'").fetchone()[0]
        with db:
            db.execute("DROP INDEX models_sort_name")
            db.execute("INSERT INTO model_fts(model_fts) VALUES ('delete-all')")
            db.execute("INSERT INTO model_fts_dirty(key, indexed)"
                " SELECT key, 0 FROM model_keys")
            db.execute("INSERT INTO state(key, value) VALUES"
                " ('import_pending_indexes', ?)", (sql + ";",))
    finally:
        db.close()
    del d.env["MODELREGD_TEST_FINISH_GATE"]
    d.start()
    tap.eq(pending_keys(d), 0, "a start that finds them owed builds them first")
    db = d.open_db()
    try:
        tap.eq(db.execute("SELECT count(*) FROM model_fts_dirty").fetchone()[0],
            0, "... and applies the search keys that wait")
    finally:
        db.close()
    tap.ok("models_sort_name" in index_names(d), "... the index")
    st, recs = d.raw().request('LIST search="Gen 19990 v1"')
    tap.eq((st, [harness.parse_logfmt(r).get("id") for r in recs]),
        ("OK 1", ["gen/19990"]), "... and the search rows")
    db = d.open_db()
    try:
        tap.eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok",
            "the database is consistent")
    finally:
        db.close()
    d.stop()


def run(tap):
    srv = httpd.Server()
    srv.set(PATH, "bytes", data=catalog(N, "v1"))
    gate = None
    d = harness.Daemon(seed_url=srv.url(PATH), seed_format="openrouter",
        start=False)
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    # The first boot's seed passes the gate at once.
    open(gate, "w").close()
    d.start()
    s = d.wait_seeded(timeout=60)
    tap.eq(s.get("items"), str(N), "first boot seeds %d models" % N)
    # Its WAL is copied into the database by a job after the seed's (the
    # seed's own commit no longer does it): the file grows to hold it.
    harness.wait_for(lambda: os.path.getsize(d.db) > 4 << 20, 30,
        "the seed's pages to be checkpointed into the database file")
    tap.ok(os.path.getsize(d.db) > 4 << 20,
        "after the seed the WAL is checkpointed into the database",
        os.path.getsize(d.db))
    st, m = show(d, "gen/7")
    tap.eq((st, m.get("name"), m.get("status")), ("OK 1", "Gen 7 v1", "inactive"),
        "a seeded model")

    # A second seed with every model renamed; its commit waits at the gate.
    os.unlink(gate)
    srv.set(PATH, "bytes", data=catalog(N, "v2"))
    seeder = d.raw()
    seeder.send("SEED\n")
    harness.wait_for(lambda: os.path.exists(held), 60,
        "the seed to wait at its commit, its transaction open")

    # Reads are answered meanwhile, from the last committed snapshot.
    other = d.raw()
    tap.like(other.request("PING")[0] or "", r"^OK ", "PING is answered during the seed")
    st, recs = other.request("SHOW gen/7")
    tap.eq(st, "OK 1", "SHOW is answered during the seed")
    rec = harness.parse_logfmt(recs[0]) if recs else {}
    tap.eq(rec.get("name"), "Gen 7 v1",
        "... from the last committed snapshot (the seed has not committed)")
    tap.ok(os.path.exists(held), "... while the seed is still open")
    st, recs = other.request("STATUS")
    tap.eq(harness.parse_logfmt(recs[1]).get("state") if len(recs) > 1 else None,
        "running", "STATUS is answered and shows the seed running")
    tap.eq(seeder.pending(0.2), b"", "the SEED itself is not answered yet")

    # A write waits for the seed; the same client's read after it sees it.
    writer = d.raw()
    writer.send("ACTIVATE gen/7\nSHOW gen/7\n")
    tap.eq(writer.pending(0.5), b"",
        "an ACTIVATE during the seed waits (no reply, no blocked loop)")
    tap.like(other.request("PING")[0] or "", r"^OK ",
        "... and the loop still answers others meanwhile")

    # A reload during the seed: SIGHUP at once (the seed holds copies of
    # its config), the RELOAD verb after the seed, like any write.
    def reloads():
        with open(d.logfile, errors="replace") as f:
            return f.read().count("configuration reloaded")
    n = reloads()
    os.kill(d.pid, signal.SIGHUP)
    harness.wait_for(lambda: reloads() > n, 30, "the SIGHUP reload to be logged")
    tap.like(other.request("PING")[0] or "", r"^OK ", "PING after a SIGHUP reload during the seed")
    reloader = d.raw()
    reloader.send("RELOAD\n")
    tap.eq(reloader.pending(0.3), b"", "the RELOAD verb waits for the seed")

    open(gate, "w").close()
    st, _ = seeder.read_reply(timeout=60)
    tap.eq(st, "OK 1", "the SEED is answered once it commits")
    st, _ = reloader.read_reply(timeout=30)
    tap.like(st or "", r"^OK ", "the RELOAD is answered after it")
    st, _ = writer.read_reply(timeout=30)
    tap.like(st or "", r"^OK ", "the ACTIVATE is answered OK after the seed")
    st, lines = writer.read_reply(timeout=30)
    rec = harness.parse_logfmt(lines[0]) if lines else {}
    tap.eq((st, rec.get("status"), rec.get("name")), ("OK 1", "active", "Gen 7 v2"),
        "the pipelined SHOW after it sees the write, on top of the seed")

    db = d.open_db()
    row = db.execute("SELECT status FROM models WHERE id = 'gen/7'").fetchone()
    tap.eq(row, ("active",), "the ACTIVATE is in the database")
    seq = db.execute("SELECT max(id) FROM audit WHERE action = 'seed.update'"
        ).fetchone()[0]
    act = db.execute("SELECT max(id) FROM audit WHERE action = 'activate'"
        " AND model = 'gen/7'").fetchone()[0]
    tap.ok(seq is not None and act is not None and act > seq,
        "the ACTIVATE committed after the seed", (seq, act))
    db.close()

    # Stopping the daemon while a seed waits at its commit is clean.
    os.unlink(gate)
    srv.set(PATH, "bytes", data=catalog(N, "v3"))
    seeder.send("SEED\n")
    harness.wait_for(lambda: os.path.exists(held), 60, "a third seed to wait")
    tap.eq(d.stop(timeout=30), 0, "SIGTERM during an import exits 0")
    d.start()
    st, m = show(d, "gen/7")
    tap.eq(m.get("name"), "Gen 7 v2", "the interrupted seed changed nothing")
    d.stop()
    catalog_off_loop(tap)
    reload_waits(tap)
    first_boot_catalog_seed(tap)
    deferred_indexes(tap)


harness.main(run)
