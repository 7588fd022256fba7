# test_import.py: a seed runs off the event loop (issue 8): during a large seed PING and SHOW are answered, a write waits for the seed's commit and is answered after it, in order.
import json
import os

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


def show(d, model):
    st, recs = d.request("SHOW %s" % model)
    return st, (recs[0] if recs else {})


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

    open(gate, "w").close()
    st, _ = seeder.read_reply(timeout=60)
    tap.eq(st, "OK 1", "the SEED is answered once it commits")
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


harness.main(run)
