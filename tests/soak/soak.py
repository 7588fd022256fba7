#!/usr/bin/env python3
# soak.py: issue 12 item 2 (make soak, not make check): kill -9 cycles under load lose no acknowledged change; hostile sources change nothing and PING stays fast.
"""make soak [SOAK_CYCLES=N]: two phases, then one summary line.

1. Crash cycles. For each cycle: start modelregd on one registry, drive
   ACTIVATE / DEACTIVATE / DEFAULT from several clients (each owns its own
   models, so the last OK of a model is its state), kill -9 it at a random
   moment, check the database as the restart finds it (PRAGMA
   integrity_check, at most one default), restart, and check every
   acknowledged change is there: a model is in the state of its last OK
   request, or of the one in flight when the daemon died; the default is
   the last acknowledged DEFAULT or one in flight.
2. Hostile sources. One daemon whose seed, catalog, ZDR and uptime sources
   are served by tests/lib/httpd.py, switched to each hostile case (a huge
   body, a gzip bomb, a slow drip, a redirect loop, a redirect to file://,
   1 MiB of headers, 100,000-deep JSON, invalid and truncated bodies, a
   reset): each source is run (REFRESH, SEED) while PING is timed; the
   registry (ids, statuses and their source and reason, the default, ZDR,
   and the uptime source's health and uptime_30m, which soak-000 has from a
   real endpoints response before the cases) must be unchanged and PING fast.

Prints "soak: C cycles, A acknowledged changes, L lost, H hostile cases, F
failures" and exits 1 on any loss or failure. Environment as make check's
(MODELREGD, MODELREGCTL, MODELREG_SRCDIR, PYTHONPATH=tests/lib).
"""
import argparse
import gzip
import json
import os
import random
import shutil
import socket
import sqlite3
import sys
import tempfile
import threading
import time

import harness
import httpd

MODELS = 48
CLIENTS = 4
PING_MAX = 0.5          # seconds: a PING slower than this during a hostile case fails it

failures = []


def fail(what):
    failures.append(what)
    print("soak: FAIL: %s" % what, flush=True)


def make_catalog(path, n):
    data = [{"id": "soak-%03d" % i, "object": "model", "created": 1700000000,
             "owned_by": "soakco", "name": "soak-%03d" % i,
             "description": "soak model %d" % i, "max_context_length": 32768,
             "capabilities": {"completion_chat": True}, "aliases": [],
             "deprecation": None} for i in range(n)]
    with open(path, "w") as f:
        json.dump({"object": "list", "data": data}, f)


def inspect(d, scratch):
    """The database as a restart finds it (a copy with its WAL): integrity, defaults."""
    for f in os.listdir(scratch):
        os.unlink(os.path.join(scratch, f))
    copy = os.path.join(scratch, "copy.db")
    shutil.copyfile(d.db, copy)
    if os.path.exists(d.db + "-wal"):
        shutil.copyfile(d.db + "-wal", copy + "-wal")
    c = sqlite3.connect(copy, timeout=10)
    try:
        integrity = ";".join(r[0] for r in c.execute("PRAGMA integrity_check"))
        defaults = c.execute("SELECT count(*) FROM models WHERE is_default = 1").fetchone()[0]
    finally:
        c.close()
    return integrity, defaults


class Client(threading.Thread):
    """Requests on one connection over its own models until the daemon dies."""

    def __init__(self, d, models, seed):
        super().__init__(daemon=True)
        self.d = d
        self.models = models
        self.rng = random.Random(seed)
        self.state = {}         # model -> status of its last OK
        self.inflight = None    # (model, status, is_default) of the request sent, unanswered
        self.defaults = []      # models of this client's acknowledged DEFAULTs, in order
        self.acked = 0

    def run(self):
        try:
            c = self.d.raw(timeout=5)
        except OSError:
            return
        try:
            while True:
                m = self.rng.choice(self.models)
                r = self.rng.random()
                if r < 0.45:
                    line, st, dflt = "ACTIVATE %s" % m, "active", False
                elif r < 0.9:
                    line, st, dflt = "DEACTIVATE %s" % m, "inactive", False
                else:
                    line, st, dflt = "DEFAULT %s" % m, "active", True
                self.inflight = (m, st, dflt)
                status, _ = c.request(line, timeout=5)
                if status.startswith("OK"):
                    self.state[m] = st
                    if dflt:
                        self.defaults.append(m)
                    self.acked += 1
                self.inflight = None
        except Exception:  # noqa: BLE001 -- any error of a dead connection
            return      # the daemon died: the request in flight may or may not be in
        finally:
            try:
                c.close()
            except OSError:
                pass


def crash_cycles(cycles, tmp):
    scratch = os.path.join(tmp, "scratch")
    os.mkdir(scratch)
    cat = os.path.join(tmp, "catalog.json")
    make_catalog(cat, MODELS)
    d = harness.Daemon(seed_url=harness.file_url(cat), log_level="info", wait_seed=True)
    ids = ["soak-%03d" % i for i in range(MODELS)]
    rng = random.Random(int(os.environ.get("SOAK_SEED", "12")))
    # What was acknowledged: every model starts as the seed left it.
    st, recs = d.request("LIST limit=1000")
    expect = {r["id"]: r["status"] for r in recs if r.get("id") in ids}
    if len(expect) != MODELS:
        fail("the seed did not give %d models (%s)" % (MODELS, st))
        d.cleanup()
        return 0, 0
    acked = lost = 0
    for cycle in range(cycles):
        share = [ids[i::CLIENTS] for i in range(CLIENTS)]
        clients = [Client(d, share[i], rng.random()) for i in range(CLIENTS)]
        for c in clients:
            c.start()
        time.sleep(rng.uniform(0.05, 1.0))
        d.kill9()
        for c in clients:
            c.join(10)
        integrity, defaults = inspect(d, scratch)
        if integrity != "ok":
            fail("cycle %d: integrity_check: %s" % (cycle, integrity))
        if defaults > 1:
            fail("cycle %d: %d defaults" % (cycle, defaults))
        d.start()
        st, recs = d.request("LIST limit=1000")
        got = {r["id"]: (r["status"], r.get("default") == "true") for r in recs}
        inflight_default = set()
        for c in clients:
            acked += c.acked
            expect.update(c.state)
            if c.inflight is not None and c.inflight[2]:
                inflight_default.add(c.inflight[0])
        for m in ids:
            want = expect[m]
            alt = {want}
            for c in clients:
                if c.inflight is not None and c.inflight[0] == m:
                    alt.add(c.inflight[1])
            have = got.get(m, (None, False))[0]
            if have not in alt:
                lost += 1
                fail("cycle %d: %s is %s, acknowledged %s" % (cycle, m, have, want))
            expect[m] = have if have is not None else want
        now_default = [m for m, v in got.items() if v[1]]
        if len(now_default) > 1:
            fail("cycle %d: %d defaults after restart" % (cycle, len(now_default)))
        # Any acknowledged DEFAULT of this cycle (or one in flight) may be the
        # last one committed, as the clients run at once; none at all is a loss.
        acked_defaults = set(m for c in clients for m in c.defaults)
        if acked_defaults and not (set(now_default) & (acked_defaults | inflight_default)):
            lost += 1
            fail("cycle %d: default is %s, acknowledged one of %s" %
                 (cycle, now_default, sorted(acked_defaults)))
        print("soak: cycle %d: %d acknowledged, integrity %s" %
              (cycle + 1, sum(c.acked for c in clients), integrity), flush=True)
    d.cleanup()
    return acked, lost


def deep_json(depth):
    return b'{"data": ' + b"[" * depth + b"]" * depth + b"}"


def hostile_cases(tmp):
    cat = os.path.join(tmp, "hostile-catalog.json")
    make_catalog(cat, 8)
    srv = httpd.Server()
    good = open(cat, "rb").read()
    paths = {"seed": "/seed", "catalog": "/catalog", "zdr": "/zdr", "uptime": "/up/soak-000"}
    srv.set(paths["seed"], "bytes", data=good)
    srv.set(paths["catalog"], "bytes", data=good)
    srv.set(paths["zdr"], "bytes", data=b'{"data": []}')
    # A real endpoints response (a working endpoint), so soak-000 has an
    # uptime and a health for the hostile cases to leave as they are.
    upgood = open(os.path.join(harness.SRCDIR, "tests", "fuzz", "corpus", "uptime",
                               "up-green.json"), "rb").read()
    srv.set(paths["uptime"], "bytes", data=upgood)
    extra = ("[catalog]\nurl = %s\nformat = mistral\ninterval = 1h\ntimeout = 3\n"
             "max_size = 8M\n\n[zdr]\nurl = %s\ninterval = 1h\ntimeout = 3\n\n"
             "[uptime]\nurl = %s\ninterval = 1h\ntimeout = 3\n" %
             (srv.url(paths["catalog"]), srv.url(paths["zdr"]),
              srv.url("/up/{id}")))
    d = harness.Daemon(seed_url=srv.url(paths["seed"]), log_level="info",
                       extra=extra, wait_seed=True)

    # The registry as the sources shape it: status and why, the default,
    # ZDR, and the uptime source's part (health, uptime_30m).
    def registry():
        st, recs = d.request("LIST limit=1000")
        return st, sorted((r["id"], r["status"], r.get("default"), r.get("status_source"),
                           r.get("status_reason"), r.get("zdr"), r.get("health"),
                           r.get("uptime_30m")) for r in recs)

    st, recs = d.request("REFRESH uptime", timeout=60)
    before = registry()
    up0 = [m for m in before[1] if m[0] == "soak-000"]
    if not up0 or up0[0][6] is None or up0[0][7] is None:
        fail("the uptime source gave soak-000 no health or uptime before the hostile "
             "cases (%s; %r)" % (st, up0))
    else:
        print("soak: hostile: soak-000 before the cases: health %s, uptime_30m %s"
              % (up0[0][6], up0[0][7]), flush=True)
    bomb = gzip.compress(b"0" * (256 << 20), 9)
    cases = [
        ("huge body", {"mode": "huge", "size": 1 << 30}),
        ("gzip bomb", {"mode": "bytes", "data": bomb,
                       "headers": {"Content-Encoding": "gzip"}}),
        ("slow drip", {"mode": "drip", "data": good, "chunk": 1, "interval": 0.5}),
        ("redirect loop", {"mode": "redirect", "location": None}),
        ("redirect to file://", {"mode": "redirect", "location": "file:///etc/passwd"}),
        ("1 MiB of headers", {"mode": "bytes", "data": good,
                              "headers": {"X-Junk-%d" % i: "x" * 1000 for i in range(1100)}}),
        ("100,000-deep JSON", {"mode": "bytes", "data": deep_json(100000)}),
        ("invalid JSON", {"mode": "invalid"}),
        ("truncated body", {"mode": "truncated", "data": good}),
        ("connection reset", {"mode": "reset"}),
    ]
    n = 0
    for name, case in cases:
        for src, path in paths.items():
            kw = dict(case)
            mode = kw.pop("mode")
            if mode == "redirect" and kw["location"] is None:
                kw["location"] = srv.url(path)
            srv.set(path, mode, **kw)
        done = threading.Event()
        worst = [0.0]

        def pinger():
            first = True
            while first or not done.is_set():
                first = False
                t = time.monotonic()
                try:
                    d.request("PING", timeout=10)
                except Exception:   # noqa: BLE001 -- a PING that fails is the worst case
                    worst[0] = 99.0
                    return
                worst[0] = max(worst[0], time.monotonic() - t)
                time.sleep(0.02)

        p = threading.Thread(target=pinger, daemon=True)
        p.start()
        outcomes = []
        for line in ("REFRESH catalog", "REFRESH zdr", "REFRESH uptime", "SEED"):
            try:
                st, recs = d.request(line, timeout=60)
            except Exception as e:  # noqa: BLE001
                fail("%s: %s: no answer (%s)" % (name, line, e))
                continue
            outcomes.append(recs[0].get("outcome", "?") if recs and st.startswith("OK")
                            else st.split(" ", 2)[1] if st.startswith("ERR") else "ok")
        done.set()
        p.join(15)
        n += 1
        after = registry()
        if not d.alive():
            fail("%s: the daemon died" % name)
            d.start()
        elif after != before:
            fail("%s: the registry changed" % name)
        if worst[0] > PING_MAX:
            fail("%s: PING took %.3f s" % (name, worst[0]))
        print("soak: hostile %s: worst PING %.3f s; catalog, zdr, uptime, seed: %s" %
              (name, worst[0], " ".join(outcomes)), flush=True)
    d.cleanup()
    srv.stop()
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--no-hostile", action="store_true")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="modelreg-soak-")
    try:
        acked, lost = crash_cycles(a.cycles, tmp)
        hostile = 0 if a.no_hostile else hostile_cases(tmp)
    finally:
        harness.cleanup_all()
        shutil.rmtree(tmp, ignore_errors=True)
    print("soak: %d cycles, %d acknowledged changes, %d lost, %d hostile cases, %d failures"
          % (a.cycles, acked, lost, hostile, len(failures)))
    return 1 if failures or lost else 0


if __name__ == "__main__":
    sys.exit(main())
