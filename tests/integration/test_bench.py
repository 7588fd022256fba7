# test_bench.py: issue 8: the benchmark's instruments work (bench/loadgen counts replies, errors and refusals; bench/run.py's catalogs seed as OpenRouter). Functional only: no timing is checked.
import importlib.util
import json
import os
import subprocess

import harness

LOADGEN = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(harness.MODELREGD))), "bench", "loadgen")


def loadgen(d, *args):
    p = subprocess.run([LOADGEN, "-s", d.sock] + [str(a) for a in args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if p.returncode != 0:
        raise harness.HarnessError("loadgen: %s" % p.stderr.decode())
    return harness.parse_logfmt(p.stdout.decode().splitlines()[0])


def load_run_py():
    spec = importlib.util.spec_from_file_location("bench_run",
        os.path.join(harness.SRCDIR, "bench", "run.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_loadgen(t, d):
    # Pipelined PINGs over two connections: every request is answered once.
    r = loadgen(d, "-c", 2, "-P", 4, "-n", 50, "-t", 30, "-r", "PING")
    t.eq((r["sent"], r["done"], r["errors"], r["unanswered"], r["protoerrs"]),
        ("50", "50", "0", "0", "0"), "load: 50 PINGs sent, 50 answered")
    t.ok(float(r["rps"]) > 0 and float(r["p99_ms"]) >= float(r["p50_ms"]) >= 0,
        "load: a rate and ordered percentiles", r)

    # A reply with records: SHOW's OK 1 and its record line are one reply,
    # and -f picks the requests from a file.
    path = os.path.join(d.dir, "requests.txt")
    with open(path, "w") as f:
        f.write("SHOW mistral-large-latest\nLIST\n")
    r = loadgen(d, "-c", 1, "-P", 3, "-n", 20, "-t", 30, "-f", path)
    t.eq((r["done"], r["errors"], r["protoerrs"]), ("20", "0", "0"),
        "load -f: SHOW and LIST replies (records) counted as 20 replies")

    # An ERR is a reply too, counted as an error with its text: run.py
    # prints n/a for LIST limit= from it.
    r = loadgen(d, "-c", 1, "-n", 3, "-t", 30, "-r", "LIST frob=1")
    t.eq((r["done"], r["errors"]), ("3", "3"), "load: ERR replies counted as errors")
    t.like(r["first_error"], r"^ERR usage ", "load: the first error's text is kept")

    # Open loop: one request every 2 ms for 0.2 s.
    r = loadgen(d, "-c", 1, "-i", 2, "-t", 0.2, "-w", 10, "-r", "PING")
    t.ok(int(r["sent"]) >= 20 and r["done"] == r["sent"] and r["unanswered"] == "0",
        "load -i: open-loop PINGs all answered", r)

    # Idle connections: each PINGs once and is then held open.
    p = subprocess.Popen([LOADGEN, "-s", d.sock, "-m", "idle", "-c", "5",
        "-t", "30"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        ready = harness.parse_logfmt(p.stdout.readline().decode())
        t.eq((ready.get("open"), ready.get("busy")), ("5", "0"),
            "idle: 5 connections served and held")
        dr, _ = d.status()
        t.eq(dr["clients"], "6", "idle: the daemon counts them (and STATUS's own)")
    finally:
        p.stdin.close()
        p.wait(30)
    t.eq(p.returncode, 0, "idle: ends when stdin closes")

    # Clients that never read: the requests are written, nothing is read.
    p = subprocess.Popen([LOADGEN, "-s", d.sock, "-m", "noread", "-c", "2",
        "-P", "3", "-t", "30", "-r", "LIST"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE)
    try:
        ready = harness.parse_logfmt(p.stdout.readline().decode())
        t.eq((ready.get("sent"), ready.get("bytes")), ("6", "30"),
            "noread: 3 LISTs written on each of 2 connections")
    finally:
        p.stdin.close()
        p.wait(30)

    # Bad arguments are refused, not run.
    p = subprocess.run([LOADGEN, "-s", d.sock, "-c", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    t.ok(p.returncode == 2 and b"bad -c" in p.stderr, "a bad -c is refused",
        p.stderr)


def test_catalog(t, d):
    # run.py's generated catalog is what the daemon reads as OpenRouter's.
    bench = load_run_py()
    a = bench.catalog(60)
    t.eq(a, bench.catalog(60), "the catalog is the same bytes every time")
    b = bench.catalog(60, changed=True)
    path = os.path.join(d.dir, "cat.json")
    with open(path, "wb") as f:
        f.write(a)
    d2 = harness.Daemon(seed_url=harness.file_url(path), seed_format="auto",
        wait_seed=True)
    _, seed = d2.status()
    t.eq((seed["detected"], seed["items"]), ("openrouter", "60"),
        "the generated catalog seeds as openrouter, 60 models")
    ids = {r["id"] for r in d2.request("LIST")[1]}
    t.ok(set(bench.catalog_ids(60, 20)) <= ids,
        "catalog_ids names models of the catalog (SHOW's targets)")
    st, recs = d2.request("LIST provider=%s" % bench.FILTER_PROVIDER)
    t.eq(len(recs), 60 // len(bench.PROVIDERS) + (1 if 60 % len(bench.PROVIDERS) >
        bench.PROVIDERS.index(bench.FILTER_PROVIDER) else 0),
        "the filtered LIST's provider has its share of the models")
    ca = {m["id"]: m for m in json.loads(a)["data"]}
    cb = {m["id"]: m for m in json.loads(b)["data"]}
    changed = sum(1 for k in ca if k in cb and ca[k] != cb[k])
    t.eq((sorted(set(ca) - set(cb)), len(set(cb) - set(ca)), changed),
        (["cohere/chat-7"], 0, 6),
        "changed at 60: every 10th model changed, 1 in 200 dropped, none new")
    b2 = json.loads(bench.catalog(1000, changed=True))["data"]
    ids2 = {m["id"] for m in b2}
    ids1 = {m["id"] for m in json.loads(bench.catalog(1000))["data"]}
    t.eq((len(ids1 - ids2), len(ids2 - ids1)), (5, 10),
        "changed at 1000: 0.5% dropped, 1% new")


def run(t):
    d = harness.Daemon(seed_url=harness.file_url(harness.snapshot_path()),
        always_active=["mistral-large-latest"], wait_seed=True)
    test_loadgen(t, d)
    test_catalog(t, d)


harness.main(run)
