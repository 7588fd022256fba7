# test_usage_crash.py: kill -9 while many clients pipeline USAGE (issue 10 item 1): every report answered OK is in the database afterwards, none is there twice, the rollup equals the reports, and the restarted daemon's SHOW counts exactly them.
import os
import shutil
import socket
import sqlite3
import tempfile
import threading
import time

import harness

SEED = harness.data_path("cat-base.json")
GPT = "openai/gpt-4o"
CONNS = 8
PIPE = 16


def client(path, k, acked, stop):
    """Pipeline PIPE reports at a time until stopped or cut off; note each one answered OK."""
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        f = s.makefile("rb")
        i = 0
        while not stop.is_set():
            tags = ["c%s-%d" % (k, i + j) for j in range(PIPE)]
            i += PIPE
            s.sendall("".join("USAGE %s prompt_tokens=10 completion_tokens=1 "
                "session=%s\n" % (GPT, t) for t in tags).encode())
            for t in tags:
                line = f.readline().decode()
                if not line:
                    return
                if line.startswith("OK 1"):
                    f.readline()
                    acked.append(t)
    except OSError:
        return


def inspect(db, scratch):
    copy = os.path.join(scratch, "copy.db")
    for suffix in ("", "-wal"):
        if os.path.exists(copy + suffix):
            os.unlink(copy + suffix)
    shutil.copyfile(db, copy)
    if os.path.exists(db + "-wal"):
        shutil.copyfile(db + "-wal", copy + "-wal")
    c = sqlite3.connect(copy, timeout=10)
    try:
        return {
            "integrity": c.execute("PRAGMA integrity_check").fetchone()[0],
            "sessions": [r[0] for r in c.execute("SELECT session FROM usage")],
            "rows": c.execute("SELECT count(*), coalesce(sum(prompt_tokens), 0)"
                " FROM usage").fetchone(),
            "rollup": c.execute("SELECT coalesce(sum(requests), 0),"
                " coalesce(sum(prompt_tokens), 0) FROM usage_daily").fetchone(),
        }
    finally:
        c.close()


def run(tap):
    scratch = tempfile.mkdtemp(prefix="modelreg-usage-crash-")
    d = harness.Daemon(seed_url=harness.file_url(SEED), seed_format="openrouter",
        new_model_status="active", wait_seed=True)
    acked_all = []
    for rnd in range(2):
        acked = []
        stop = threading.Event()
        threads = [threading.Thread(target=client, args=(d.sock, "%d.%d" % (rnd, k),
            acked, stop)) for k in range(CONNS)]
        for t in threads:
            t.start()
        harness.wait_for(lambda: len(acked) >= 2000, 30,
            "2000 reports acknowledged before the kill")
        d.kill9()
        stop.set()
        for t in threads:
            t.join(30)
        acked_all += acked
        got = inspect(d.db, scratch)
        tap.eq(got["integrity"], "ok", "round %d: the database is sound after kill -9" % rnd)
        stored = got["sessions"]
        missing = set(acked_all) - set(stored)
        tap.eq(len(missing), 0, "round %d: every acknowledged report (%d) is stored"
            % (rnd, len(acked_all)), sorted(missing)[:5])
        tap.eq(len(stored), len(set(stored)), "round %d: none is stored twice" % rnd)
        tap.eq(got["rollup"], got["rows"],
            "round %d: the rollup counts each stored report once" % rnd)
        d.start()
        st, recs = d.request("SHOW " + GPT)
        tap.eq(recs[0].get("usage_requests") if recs else None, str(got["rows"][0]),
            "round %d: after the restart SHOW counts exactly the stored reports" % rnd)
    d.stop()
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    harness.main(run)
