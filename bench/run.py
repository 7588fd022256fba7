#!/usr/bin/env python3
# run.py: the benchmark of issue 8: drive the built modelregd with bench/loadgen, beside Redis and the sqlite3 shell, and print one markdown table.
"""Usage: python3 bench/run.py [--build DIR] [--quick] [--imports N] [--keep] [--no-redis]

Not a test (CI never runs it): it measures. Everything it starts runs in one
temp folder, on UNIX sockets and one loopback HTTP port of this machine, and
is stopped at the end: a modelregd (the one built in DIR, default _build)
with its own configuration, socket and database per registry size, the
load generator DIR/bench/loadgen, the sqlite3 shell, and, when the Redis
program is installed (redis-tools), a redis-server with `--port 0` on a UNIX
socket. Every load is bounded in requests and in time.

The catalogs are generated, OpenRouter-shaped and deterministic (the same
bytes every run): ids `provider/family-N`, names, descriptions, pricing
(prompt, completion and a few other prices), context_length, architecture
modalities, supported_parameters, canonical_slug. A "changed" catalog
changes the prices and description of every 10th model, adds 1% new models
and drops 0.5%. OpenRouter's list has no aliases, so neither do these.

What it measures, in the table's order (see doc/design.md, Performance):
PING and SHOW requests/s at 1, 10 and 50 connections, pipelined 1 and 16,
on 1k and 100k models (SHOW names a random model of the registry), with
the Redis ratios (PING_INLINE, and GET of a value as long as a SHOW record
among as many keys as models), and at 100k SHOW of every id of the
registry once in a random order beside the same Redis GET (the SHOW rows
name 1,000 ids, which SHOW's cache holds; these mostly miss it; each row
gives the share of cache hits from STATUS); LIST latency (a filter and a sort, the same
with limit=100 (n/a while LIST refuses limit=), the whole registry) at 1k,
10k and 100k; seed and catalog-refresh times (changed, unchanged with 200,
unchanged with 304) beside the sqlite3 shell importing the same JSON with
json_each in one transaction; PING p50/p99/max (open loop, one every 5 ms,
latency from when it was due) while a 100k seed and a 100k changed refresh
run; RSS (VmRSS/VmHWM of /proc/PID/status) idle at 100k, with 1,000 idle
connections, at the peak of a 100k seed, and with 10 clients that never read
a 100k LIST; start to READY=1 (NOTIFY_SOCKET on a datagram socket read here).
Issue 8's bodies on disk add the peak RSS of the same 100k seed from a
file:// source and of the 100k changed refresh (in a fresh process, so that
VmHWM is the refresh's alone).

--quick: 1k and 10k models instead of 1k, 10k and 100k (the "large" rows
are then at 10k and their targets say n/a), 1 and 10 connections, shorter
runs: about a minute.

--imports N: only the seed and catalog refresh rows at N models (with the
sqlite3 floor, and at the largest size the PING probe and the peak RSS of
the seed and of the changed refresh): no LIST, load, memory or Redis rows.
"""

import argparse
import http.server
import json
import os
import random
import re
import shutil
import signal
import socket
import socketserver
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(HERE)

PROVIDERS = ["openai", "anthropic", "google", "meta-llama", "mistralai",
    "deepseek", "qwen", "cohere", "x-ai", "nvidia", "microsoft", "amazon",
    "perplexity", "ai21", "nousresearch", "thudm", "moonshotai", "minimax",
    "liquid", "inflection"] + ["lab%02d" % i for i in range(30)]
FAMILIES = ["chat", "instruct", "coder", "vision", "reasoner", "mini",
    "large", "turbo", "embed", "audio"]
WORDS = ("fast capable multilingual model tuned for tools long context "
    "reasoning coding vision agents retrieval summarisation cheap frontier "
    "open weights mixture of experts distilled preview").split()

# The provider a filtered LIST asks for: 1 in len(PROVIDERS) models.
FILTER_PROVIDER = "mistralai"


def say(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


# --- the catalogs --------------------------------------------------------

def model_entry(i, rnd, changed=False):
    prov = PROVIDERS[i % len(PROVIDERS)]
    fam = FAMILIES[(i // len(PROVIDERS)) % len(FAMILIES)]
    mid = "%s/%s-%d" % (prov, fam, i)
    if i % 17 == 0:
        mid += ":free"
    prompt = rnd.choice([0, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 3, 5, 10, 15]) / 1e6
    completion = prompt * rnd.choice([1, 2, 4, 5])
    if changed:
        # A price cut (no price_increase event) and a new description.
        prompt, completion = prompt * 0.8, completion * 0.8
    desc = " ".join(rnd.choice(WORDS) for _ in range(18))
    if changed:
        desc = "Updated. " + desc
    outmod = ["embeddings"] if fam == "embed" else (
        ["audio"] if fam == "audio" else ["text"])
    inmod = ["text", "image"] if fam == "vision" else ["text"]
    params = ["max_tokens", "temperature", "top_p", "stop"]
    if i % 3 == 0:
        params += ["tools", "tool_choice"]
    if fam == "reasoner":
        params += ["reasoning", "include_reasoning"]
    return {
        "id": mid,
        "canonical_slug": "%s/%s-%d-2025%02d%02d" % (prov, fam, i, 1 + i % 12,
            1 + i % 28),
        "hugging_face_id": None,
        "name": "%s: %s %d" % (prov.title(), fam.title(), i),
        "created": 1700000000 + i * 60,
        "description": desc,
        "context_length": rnd.choice([4096, 8192, 32768, 65536, 131072,
            200000, 1048576]),
        "architecture": {"modality": "+".join(inmod) + "->" + outmod[0],
            "input_modalities": inmod, "output_modalities": outmod,
            "tokenizer": "Other", "instruct_type": None},
        "pricing": {"prompt": "%.10g" % prompt,
            "completion": "%.10g" % completion,
            "request": "0", "image": "0", "web_search": "0",
            "internal_reasoning": "0"},
        "top_provider": {"context_length": None, "max_completion_tokens": 16384,
            "is_moderated": i % 5 == 0},
        "per_request_limits": None,
        "supported_parameters": params,
    }


def catalog(n, changed=False):
    """The catalog of n models, as bytes; changed: the same with ~10% changed."""
    data = []
    for i in range(n):
        rnd = random.Random(i)
        if changed and i % 200 == 7:
            continue                    # 0.5% dropped
        data.append(model_entry(i, rnd, changed=changed and i % 10 == 3))
    if changed:
        for i in range(n, n + n // 100):    # 1% new
            data.append(model_entry(i, random.Random(i)))
    return json.dumps({"data": data}, separators=(",", ":")).encode()


def all_ids(n):
    """Every id of the catalog of n, once each, in an order fixed per n."""
    out = []
    for i in range(n):
        mid = "%s/%s-%d" % (PROVIDERS[i % len(PROVIDERS)],
            FAMILIES[(i // len(PROVIDERS)) % len(FAMILIES)], i)
        if i % 17 == 0:
            mid += ":free"
        out.append(mid)
    random.Random(n + 1).shuffle(out)
    return out


def cache_counts(d):
    """STATUS's (cache_hits, cache_misses), or None before the cache existed."""
    st, recs = d.request("STATUS")
    if not recs:
        return None
    r = logfmt(recs[0])
    try:
        return (int(r["cache_hits"]), int(r["cache_misses"]))
    except (KeyError, ValueError):
        return None


# RESOLVE's rows (issue 9 item 7): the loads, and RESOLVE's cache bound.
RESOLVE_CONNS = (1, 50)
RESOLVE_CACHE = "128M"


def catalog_order(n):
    """Every id of the catalog of n, in catalog order."""
    out = []
    for i in range(n):
        mid = "%s/%s-%d" % (PROVIDERS[i % len(PROVIDERS)],
            FAMILIES[(i // len(PROVIDERS)) % len(FAMILIES)], i)
        if i % 17 == 0:
            mid += ":free"
        out.append(mid)
    return out


def catalog_ids(n, count=1000):
    """count ids of the catalog of n, chosen the same way every run."""
    rnd = random.Random(n)
    out = []
    for _ in range(count):
        i = rnd.randrange(n)
        mid = "%s/%s-%d" % (PROVIDERS[i % len(PROVIDERS)],
            FAMILIES[(i // len(PROVIDERS)) % len(FAMILIES)], i)
        if i % 17 == 0:
            mid += ":free"
        out.append(mid)
    return out


# --- a loopback HTTP server with gates -----------------------------------

class Routes:
    def __init__(self):
        self.lock = threading.Lock()
        self.routes = {}    # path -> dict(data, etag, gate)

    def set(self, path, data, etag=False, gate=None):
        with self.lock:
            self.routes[path] = {"data": data, "etag": etag, "gate": gate}

    def get(self, path):
        with self.lock:
            return self.routes.get(path)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        r = self.server.routes.get(self.path.split("?", 1)[0])
        if r is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if r["gate"] is not None:
            r["gate"].wait(600)
        data = r["data"]
        tag = None
        if r["etag"]:
            tag = '"%x-%d"' % (hash(data[:4096]) & 0xffffffff, len(data))
            if self.headers.get("If-None-Match") == tag:
                self.send_response(304)
                self.send_header("ETag", tag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if tag:
            self.send_header("ETag", tag)
        self.end_headers()
        try:
            self.wfile.write(data)
        except OSError:
            pass


class HTTPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def http_start():
    srv = HTTPServer(("127.0.0.1", 0), Handler)
    srv.routes = Routes()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


# --- talking to modelregd ------------------------------------------------

class Conn:
    """One protocol connection: request(line) -> (status, [records])."""

    def __init__(self, path, timeout=600):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.f = self.s.makefile("rb")

    def line(self):
        b = self.f.readline()
        if not b:
            raise EOFError("connection closed")
        return b.decode("utf-8", "replace").rstrip("\r\n")

    def reply(self):
        st = self.line()
        recs = []
        m = re.match(r"^OK (\d+)$", st)
        if m:
            recs = [self.line() for _ in range(int(m.group(1)))]
        return st, recs

    def request(self, line):
        self.s.sendall(line.encode() + b"\n")
        return self.reply()

    def close(self):
        try:
            self.f.close()
            self.s.close()
        except OSError:
            pass


def logfmt(line):
    out = {}
    for m in re.finditer(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)', line):
        v = m.group(2)
        if v.startswith('"'):
            v = v[1:-1]
        out[m.group(1)] = v
    return out


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                k, _, v = ln.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    out[k] = int(v.split()[0]) / 1024.0     # MiB
    except OSError:
        pass
    return out


class RSSSampler:
    """Samples VmRSS every 20 ms in a thread; max_mib is the highest seen."""

    def __init__(self, pid):
        self.pid = pid
        self.max_mib = 0.0
        self.stop_ev = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop_ev.is_set():
            r = proc_status(self.pid).get("VmRSS", 0)
            self.max_mib = max(self.max_mib, r)
            self.stop_ev.wait(0.02)

    def stop(self):
        self.stop_ev.set()
        self.t.join()
        return self.max_mib


class Daemon:
    def __init__(self, bench, name, seed_url, catalog_url=None):
        self.bench = bench
        self.dir = os.path.join(bench.tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "modelregd.sock")
        self.conf = os.path.join(self.dir, "modelregd.conf")
        self.db = os.path.join(self.dir, "registry.db")
        self.log = os.path.join(self.dir, "modelregd.log")
        self.proc = None
        self.write_config(seed_url, catalog_url)

    def write_config(self, seed_url, catalog_url=None):
        text = ("[daemon]\nsocket = %s\ndatabase = %s\nlog_level = info\n"
            "[seed]\nurl = %s\nformat = openrouter\nnew_model_status = inactive\n"
            "default_model =\nalways_active =\nalways_inactive =\n"
            "timeout = 10m\nretry_min = 1s\nretry_max = 5s\nmax_size = 256M\n"
            % (self.sock, self.db, seed_url))
        if catalog_url:
            text += ("[catalog]\nurl = %s\nformat = openrouter\ninterval = 30d\n"
                "timeout = 10m\nmax_size = 256M\nmax_drop = 50%%\n" % catalog_url)
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self):
        """Start it; returns the seconds from exec to READY=1."""
        nsock_path = os.path.join(self.dir, "notify.sock")
        if os.path.exists(nsock_path):
            os.unlink(nsock_path)
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(nsock_path)
        ns.settimeout(0.2)
        env = dict(os.environ)
        for k in ("LISTEN_FDS", "LISTEN_PID", "WATCHDOG_USEC", "WATCHDOG_PID",
                "MODELREG_SOCKET"):
            env.pop(k, None)
        env["NOTIFY_SOCKET"] = nsock_path
        logf = open(self.log, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen([self.bench.modelregd, "-c", self.conf],
            stdin=subprocess.DEVNULL, stdout=logf, stderr=logf, env=env)
        logf.close()
        deadline = t0 + 120
        try:
            while True:
                try:
                    msg = ns.recv(4096).decode("utf-8", "replace")
                except socket.timeout:
                    msg = ""
                if "READY=1" in msg.split("\n"):
                    return time.monotonic() - t0
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.fail("modelregd did not send READY=1")
        finally:
            ns.close()

    @property
    def pid(self):
        return self.proc.pid

    def fail(self, why):
        tail = ""
        try:
            with open(self.log, errors="replace") as f:
                tail = "".join(f.readlines()[-20:])
        except OSError:
            pass
        raise RuntimeError("%s; the end of %s:\n%s" % (why, self.log, tail))

    def conn(self, timeout=600):
        return Conn(self.sock, timeout)

    def request(self, line, timeout=600):
        c = self.conn(timeout)
        try:
            return c.request(line)
        finally:
            c.close()

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def rss(self):
        return proc_status(self.pid)


# --- the benchmark -------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        build = os.path.abspath(args.build)
        self.modelregd = os.path.join(build, "daemon", "modelregd")
        self.loadgen = os.path.join(build, "bench", "loadgen")
        for p in (self.modelregd, self.loadgen):
            if not os.access(p, os.X_OK):
                sys.exit("bench: %s is not built (make -C %s)" % (p, build))
        self.sqlite3 = shutil.which("sqlite3")
        self.tmp = tempfile.mkdtemp(prefix="modelreg-bench.")
        self.http = http_start()
        self.daemons = []
        self.procs = []
        self.redis = None
        self.rows = []      # (measure, value, target, result)
        self.sizes = [1000, 10000] if self.quick else [1000, 10000, 100000]
        # --imports N: only the seed and catalog rows, at N models.
        self.imports_only = args.imports is not None
        if self.imports_only:
            self.sizes = [args.imports]
        self.big = self.sizes[-1]
        self.conns = [1, 10] if self.quick else [1, 10, 50]
        self.depths = [1, 16]
        self.load_secs = 0.5 if self.quick else 1.5
        self.ours = {}      # (verb, size, c, d) -> loadgen result
        self.show_len = {}  # size -> bytes of a SHOW record

    # -- helpers

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http.server_address[1], path)

    def row(self, measure, value, target="", result=""):
        self.rows.append((measure, value, target or "—", result or "—"))
        say("%s: %s" % (measure, value))

    def size_name(self, n):
        return "%dk" % (n // 1000)

    def loadgen_run(self, sock, *args, timeout=300):
        cmd = [self.loadgen, "-s", sock] + [str(a) for a in args]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("loadgen failed: %s" % p.stderr.decode())
        return logfmt(p.stdout.decode())

    def loadgen_start(self, sock, *args):
        cmd = [self.loadgen, "-s", sock] + [str(a) for a in args]
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)
        self.procs.append(p)
        return p

    def loadgen_finish(self, p, timeout=300):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=timeout)
        self.procs.remove(p)
        lines = out.decode().strip().splitlines()
        if p.returncode != 0 or not lines:
            raise RuntimeError("loadgen failed: %s" % err.decode())
        return logfmt(lines[-1])

    def settle(self, d, timeout=300):
        """Wait until the daemon answers a PING again (it may still chew on a load)."""
        st, _ = d.request("PING", timeout=timeout)
        if not st.startswith("OK"):
            d.fail("PING answered %r" % st)

    def new_daemon(self, name, seed_url, catalog_url=None):
        d = Daemon(self, name, seed_url, catalog_url)
        self.daemons.append(d)
        return d

    # -- the sqlite3 floor

    def floor(self, path, n):
        if self.sqlite3 is None:
            return None
        best = None
        for rep in range(1 if self.quick or n < 100000 else 2):
            db = os.path.join(self.tmp, "floor-%d-%d.db" % (n, rep))
            sql = """PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE models(id TEXT PRIMARY KEY, name TEXT, provider TEXT,
  description TEXT, context_length INTEGER, prompt_price REAL,
  completion_price REAL, prices TEXT, features TEXT, kind TEXT,
  canonical_slug TEXT);
BEGIN;
INSERT OR IGNORE INTO models SELECT
  json_extract(value, '$.id'), json_extract(value, '$.name'),
  substr(json_extract(value, '$.id'), 1, instr(json_extract(value, '$.id'), '/') - 1),
  json_extract(value, '$.description'), json_extract(value, '$.context_length'),
  json_extract(value, '$.pricing.prompt') * 1e6,
  json_extract(value, '$.pricing.completion') * 1e6,
  json_extract(value, '$.pricing'), json_extract(value, '$.supported_parameters'),
  json_extract(value, '$.architecture.output_modalities'),
  json_extract(value, '$.canonical_slug')
FROM json_each(readfile('%s'), '$.data');
COMMIT;
SELECT count(*) FROM models;
""" % path.replace("'", "''")
            t0 = time.monotonic()
            p = subprocess.run([self.sqlite3, db], input=sql.encode(),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
            t = time.monotonic() - t0
            if p.returncode != 0 or str(n) not in p.stdout.decode():
                raise RuntimeError("sqlite3 import failed: %s %s" %
                    (p.stdout.decode(), p.stderr.decode()))
            best = t if best is None else min(best, t)
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(db + suffix):
                    os.unlink(db + suffix)
        return best

    # -- one registry size

    def probe_start(self, d):
        # Open loop: a PING every 5 ms whatever the daemon does, for up to 20 min.
        return self.loadgen_start(d.sock, "-c", 1, "-i", 5, "-t", 1200,
            "-w", 300, "-r", "PING")

    def probe_text(self, r):
        return "p50 %s ms, p99 %s ms, max %s ms (%s PINGs)" % (
            fmt_ms(r["p50_ms"]), fmt_ms(r["p99_ms"]), fmt_ms(r["max_ms"]),
            r["sent"])

    def probe_row(self, what, r):
        ok = float(r["p99_ms"]) < 5 and r["unanswered"] == "0"
        self.row("PING while %s" % what, self.probe_text(r),
            "p99 < 5 ms", self.verdict(ok))

    def verdict(self, ok, big=True):
        if self.quick and big:
            return "n/a (--quick: %s, not 100k)" % self.size_name(self.big)
        return "met" if ok else "**not met**"

    def ratio_row(self, what, t, floor, limit, big):
        if floor is None:
            self.row(what, "%.2f s (no sqlite3 shell: no floor)" % t,
                "≤ %gx floor" % limit, "n/a")
            return
        x = t / floor
        self.row(what, "%.2f s = %.2fx the floor (%.2f s)" % (t, x, floor),
            "≤ %gx floor" % limit if big else "",
            self.verdict(x <= limit) if big else "")

    def run_size(self, n):
        big = n == self.big
        sz = self.size_name(n)
        say("generating the %s catalogs" % sz)
        a = catalog(n)
        b = catalog(n, changed=True)
        apath = os.path.join(self.tmp, "catalog-%d.json" % n)
        with open(apath, "wb") as f:
            f.write(a)
        say("%s catalog: %.1f MB; the sqlite3 floor" % (sz, len(a) / 1e6))
        floor = self.floor(apath, n)

        # The seed, from a gated URL so that the watchers are in place first.
        gate = threading.Event()
        self.http.routes.set("/seed-%d.json" % n, a, gate=gate)
        self.http.routes.set("/catalog-%d.json" % n, a)
        d = self.new_daemon("registry-%d" % n, self.url("/seed-%d.json" % n))
        ready = d.start()
        if n == self.sizes[0]:
            self.row("start to READY=1, empty registry", "%.1f ms" % (ready * 1000))
        w = d.conn()
        w.s.sendall(b"WATCH kind=seed.*\n")
        if w.line() != "OK 0":
            d.fail("WATCH refused")
        probe = self.probe_start(d) if big else None
        sampler = RSSSampler(d.pid) if big else None
        time.sleep(0.05)
        t0 = time.monotonic()
        gate.set()
        st, recs = w.reply()
        seed_t = time.monotonic() - t0
        w.close()
        if not recs or "kind=seed.done" not in recs[0]:
            d.fail("the seed did not succeed: %r" % recs)
        # A first load commits before its sort and search indexes, which the
        # job after it builds (doc/design.md): when they are there too.
        idx_t = owed_wait(d.db, t0)
        if probe:
            pr = self.loadgen_finish(probe)
            peak = max(sampler.stop(), d.rss().get("VmHWM", 0))
        self.ratio_row("seed %s models" % sz, seed_t, floor, 1.5, big)
        self.row("seed %s models: its sort and search indexes built" % sz,
            "%.2f s after the seed began (%.2f s after seed.done)" % (idx_t,
            idx_t - seed_t) if idx_t is not None else "n/a")
        if big:
            self.probe_row("a %s seed runs" % sz, pr)
            self.row("RSS at the peak of a %s seed" % sz, "%.0f MiB" % peak,
                "< 96 MiB", self.verdict(peak < 96))
        d.stop()
        if big and not self.imports_only:
            self.file_seed(apath, n)

        # The catalog: first load, changed, unchanged (200), unchanged (304).
        cgate = threading.Event()
        self.http.routes.set("/catalog-%d.json" % n, a, gate=cgate)
        d.write_config(self.url("/seed-%d.json" % n), self.url("/catalog-%d.json" % n))
        ready = d.start()
        if big:
            self.row("start to READY=1, %s models" % sz, "%.1f ms" % (ready * 1000))
        c = d.conn()
        c.s.sendall(b"REFRESH catalog\n")
        time.sleep(0.05)
        t0 = time.monotonic()
        cgate.set()
        st, recs = c.reply()
        first_t = time.monotonic() - t0
        check_refresh(d, st, recs)
        self.ratio_row("catalog refresh %s, first load" % sz, first_t, floor,
            1.5, False)
        self.http.routes.set("/catalog-%d.json" % n, b)
        if big:
            # A fresh process, so that its VmHWM is the changed refresh's alone.
            c.close()
            d.stop()
            d.start()
            c = d.conn()
            sampler = RSSSampler(d.pid)
        probe = self.probe_start(d) if big else None
        t0 = time.monotonic()
        st, recs = c.request("REFRESH catalog")
        changed_t = time.monotonic() - t0
        if probe:
            pr = self.loadgen_finish(probe)
            peak = max(sampler.stop(), d.rss().get("VmHWM", 0))
        check_refresh(d, st, recs)
        # Its search indexes are written behind, by the job after it: the
        # next row waits for that, and this one says when it was done.
        idx_t = owed_wait(d.db, t0)
        self.ratio_row("catalog refresh %s, changed (10%% changed, 1%% new, "
            "0.5%% gone)" % sz, changed_t, floor, 1.5, big)
        self.row("catalog refresh %s, changed: its search indexes written"
            % sz, "%.2f s after the refresh began" % idx_t
            if idx_t is not None else "n/a")
        if big:
            self.probe_row("a %s changed refresh runs" % sz, pr)
            self.row("RSS at the peak of a %s changed refresh" % sz,
                "%.0f MiB" % peak, "< 96 MiB", self.verdict(peak < 96))
        # The same body again, now with an ETag the daemon has not seen
        # (so this is a 200), then with If-None-Match (a 304).
        self.http.routes.set("/catalog-%d.json" % n, b, etag=True)
        t0 = time.monotonic()
        st, recs = c.request("REFRESH catalog")
        same_t = time.monotonic() - t0
        check_refresh(d, st, recs)
        self.ratio_row("catalog refresh %s, unchanged (same body, 200)" % sz,
            same_t, floor, 0.3, big)
        t0 = time.monotonic()
        st, recs = c.request("REFRESH catalog")
        nm_t = time.monotonic() - t0
        check_refresh(d, st, recs)
        self.row("catalog refresh %s, unchanged (304)" % sz, "%.1f ms" % (nm_t * 1000))
        c.close()
        if self.imports_only:
            d.stop()
            return

        # LIST.
        reps = 3 if n >= 100000 or self.quick else 5
        base = "LIST provider=%s sort=price order=desc" % FILTER_PROVIDER
        r = self.loadgen_run(d.sock, "-n", reps, "-w", 600, "-t", 600, "-r", base)
        self.row("LIST %s, provider filter, sort=price (%d rows)" % (sz, n // len(PROVIDERS)),
            "%s ms" % fmt_ms(r["p50_ms"]))
        r = self.loadgen_run(d.sock, "-n", reps, "-w", 600, "-t", 600, "-r",
            base + " limit=100")
        if r["errors"] != "0" and r["first_error"].startswith("ERR usage"):
            self.row("LIST %s, provider filter, sort=price, limit=100" % sz,
                "n/a (ERR usage: no limit=)", "< 10 ms" if big else "",
                self.verdict(False) if big else "")
        else:
            v = float(r["p50_ms"])
            self.row("LIST %s, provider filter, sort=price, limit=100" % sz,
                "%s ms" % fmt_ms(v), "< 10 ms" if big else "",
                self.verdict(v < 10 and r["errors"] == "0") if big else "")
        r = self.loadgen_run(d.sock, "-n", reps, "-w", 600, "-t", 600, "-r", "LIST")
        self.row("LIST %s, whole registry" % sz, "%s ms" % fmt_ms(r["p50_ms"]))

        # PING and SHOW: the small and the large registry.
        if n in (self.sizes[0], self.big):
            st, recs = d.request("SHOW " + catalog_ids(n, 1)[0])
            self.show_len[n] = len(recs[0]) if recs else 600
            idfile = os.path.join(self.tmp, "show-%d.txt" % n)
            with open(idfile, "w") as f:
                f.write("".join("SHOW %s\n" % i for i in catalog_ids(n)))
            # SHOW-all: every id of the registry once, in a random order
            # (issue 8's cache holds a few thousand records: mostly misses).
            allfile = os.path.join(self.tmp, "show-all-%d.txt" % n)
            with open(allfile, "w") as f:
                f.write("".join("SHOW %s\n" % i for i in all_ids(n)))
            verbs = ("PING", "SHOW", "SHOW-all") if n == self.big else (
                "PING", "SHOW")
            for verb in verbs:
                for cn in self.conns:
                    for dp in self.depths:
                        args = ["-c", cn, "-P", dp, "-t", self.load_secs,
                            "-w", 300, "-n", 5000000]
                        if verb == "PING":
                            args += ["-r", "PING"]
                        else:
                            args += ["-f", idfile if verb == "SHOW" else allfile]
                        c0 = cache_counts(d)
                        r = self.loadgen_run(d.sock, *args, timeout=900)
                        if r["errors"] != "0" or r["protoerrs"] != "0":
                            d.fail("%s load: %s" % (verb, r))
                        c1 = cache_counts(d)
                        if c0 and c1 and verb != "PING":
                            asked = (c1[0] - c0[0]) + (c1[1] - c0[1])
                            r["hit_pct"] = 100.0 * (c1[0] - c0[0]) / max(asked, 1)
                        self.ours[(verb, n, cn, dp)] = r
                        self.settle(d)
                        say("%s %s c=%d P=%d: %s/s" % (verb, sz, cn, dp, r["rps"]))

        if big:
            self.usage_rows(d, n)
            self.memory(d, n)
        d.stop()

    # -- issue 10: USAGE

    def usage_files(self, d, n):
        """A key for every model, and the request files of the USAGE rows:
        USAGE of the 1,000 ids the SHOW rows name (each report with the
        key), USAGE of every id of the registry in a random order (the
        rollup's rows all over the table), and the 1,000 ids alternately
        resolved and reported."""
        st, recs = d.request("KEY create bench-usage all=yes")
        if st != "OK 1" or not recs:
            d.fail("KEY create: %s %r" % (st, recs))
        secret = logfmt(recs[0]).get("secret")
        act = catalog_ids(n)
        ufile = os.path.join(self.tmp, "usage-%d.txt" % n)
        afile = os.path.join(self.tmp, "usage-all-%d.txt" % n)
        for path, ids in ((ufile, act), (afile, all_ids(n))):
            with open(path, "w") as f:
                f.write("".join("USAGE %s prompt_tokens=%d completion_tokens=%d "
                    "key=%s\n" % (m, 100 + i % 900, 10 + i % 90, secret)
                    for i, m in enumerate(ids)))
        # The mix: RESOLVE needs active models and a default.
        for m in sorted(set(act)):
            d.request("ACTIVATE " + m)
        d.request("DEFAULT " + act[0])
        mfile = os.path.join(self.tmp, "usage-mix-%d.txt" % n)
        rfile = os.path.join(self.tmp, "usage-resolve-%d.txt" % n)
        with open(mfile, "w") as f, open(rfile, "w") as g:
            for i, m in enumerate(act):
                f.write("RESOLVE %s key=%s\n" % (m, secret))
                f.write("USAGE %s prompt_tokens=%d completion_tokens=%d "
                    "key=%s\n" % (m, 100 + i % 900, 10 + i % 90, secret))
                g.write("RESOLVE %s key=%s\n" % (m, secret))
        return ufile, afile, mfile, rfile

    def usage_status(self, d):
        st, recs = d.request("STATUS")
        r = logfmt(recs[0]) if recs else {}
        return int(r.get("usage_reports", 0)), int(r.get("usage_groups", 0))

    def usage_rows(self, d, n):
        """USAGE at 50 connections, pipelined 1 and 16, with a key, on n
        models: acknowledged reports (each OK comes after its commit) per
        second, checked against STATUS's committed count; then RESOLVE
        alone and a half-RESOLVE, half-USAGE mix, in the same run."""
        sz = self.size_name(n)
        big = n == self.big and not self.quick
        ufile, afile, mfile, rfile = self.usage_files(d, n)
        secs = max(self.load_secs * 2, 1.5)
        for dp, path, which in ((1, ufile, "1,000 of them"),
                (16, ufile, "1,000 of them"), (16, afile, "every id")):
            c0, g0 = self.usage_status(d)
            r = self.loadgen_run(d.sock, "-c", 50, "-P", dp, "-t", secs, "-w", 300,
                "-n", 5000000, "-f", path, timeout=900)
            c1, g1 = self.usage_status(d)
            if r["errors"] != "0" or r["protoerrs"] != "0":
                d.fail("USAGE load: %s" % r)
            rps = float(r["rps"])
            acked = int(r.get("done", r.get("requests", 0)) or 0)
            per = (c1 - c0) / max(g1 - g0, 1)
            self.row("USAGE with a key, %s models (%s), 50 conns, pipeline %d "
                "(acknowledged = committed)" % (sz, which, dp),
                "%s/s, p99 %s ms; %d committed in %d group commits (%.0f a "
                "group)" % (fmt_n(rps), fmt_ms(r["p99_ms"]), c1 - c0, g1 - g0,
                    per), "≥ 20,000/s" if big and path == ufile else "",
                self.verdict(rps >= 20000) if big and path == ufile else "")
            self.settle(d)
        for what, path in (("RESOLVE with a key alone", rfile),
                ("RESOLVE + USAGE mix (1:1), with a key", mfile)):
            for dp in self.depths:
                r = self.loadgen_run(d.sock, "-c", 50, "-P", dp, "-t", secs,
                    "-w", 300, "-n", 5000000, "-f", path, timeout=900)
                if r["errors"] != "0" or r["protoerrs"] != "0":
                    d.fail("%s load: %s" % (what, r))
                self.row("%s, %s models, 50 conns, pipeline %d" % (what, sz, dp),
                    "%s/s, p50 %s ms, p99 %s ms" % (fmt_n(float(r["rps"])),
                        fmt_ms(r["p50_ms"]), fmt_ms(r["p99_ms"])))
                self.settle(d)
        if big:
            self.beside_rows(d, ufile, rfile, secs)

    def beside_rows(self, d, ufile, rfile, secs):
        """Issue 10 item 5: RESOLVE on 50 connections while 50 others
        report USAGE unpipelined (each OK after its group commit). The
        rows are judged against Redis GET at the same connections and
        depth, which run_resolve measures later in a full run (then it
        writes them); --usage-only has no Redis and writes them here."""
        self.beside = {}
        for dp in self.depths:
            u = self.loadgen_start(d.sock, "-c", 50, "-P", 1, "-t", secs + 1.0,
                "-w", 0, "-n", 50000000, "-f", ufile)
            r = self.loadgen_run(d.sock, "-c", 50, "-P", dp, "-t", secs,
                "-w", 300, "-n", 5000000, "-f", rfile, timeout=900)
            ur = self.loadgen_finish(u)
            if (r["errors"] != "0" or r["protoerrs"] != "0" or
                    ur["errors"] != "0" or ur["protoerrs"] != "0"):
                d.fail("RESOLVE beside USAGE: %s / %s" % (r, ur))
            self.beside[dp] = (r, ur)
            self.settle(d)
        if self.args.usage_only:
            self.beside_write(None)

    def beside_write(self, redis):
        """The beside rows, with Redis GET at 50 conns ({(c, P): rps}) or none."""
        for dp, (r, ur) in sorted(getattr(self, "beside", {}).items()):
            rps = float(r["rps"])
            rr = redis.get((50, dp)) if redis else None
            v = "%s/s, p99 %s ms; USAGE meanwhile %s/s (p99 %s ms)" % (
                fmt_n(rps), fmt_ms(r["p99_ms"]), fmt_n(float(ur["rps"])),
                fmt_ms(ur["p99_ms"]))
            if rr:
                v += "; %sx Redis GET (%s/s)" % (fmt_ratio(rps / rr), fmt_n(rr))
            self.row("RESOLVE with a key beside USAGE (50 conns each; USAGE "
                "unpipelined), %s models, RESOLVE pipeline %d"
                % (self.size_name(self.big), dp), v, "≥ 0.5x Redis GET",
                self.verdict(rps / rr >= 0.5) if rr else "n/a (no Redis)")

    def usage_only(self):
        """--usage-only: a seeded registry of the largest size, then the USAGE rows."""
        n = self.big
        a = catalog(n)
        gate = threading.Event()
        self.http.routes.set("/seed-%d.json" % n, a, gate=gate)
        d = self.new_daemon("registry-usage-%d" % n, self.url("/seed-%d.json" % n))
        d.start()
        w = d.conn()
        w.s.sendall(b"WATCH kind=seed.*\n")
        if w.line() != "OK 0":
            d.fail("WATCH refused")
        gate.set()
        st, recs = w.reply()
        w.close()
        if not recs or "kind=seed.done" not in recs[0]:
            d.fail("the seed did not succeed: %r" % recs)
        self.usage_rows(d, n)
        d.stop()

    def file_seed(self, path, n):
        """The same seed from a file:// source (issue 8: read from its own file)."""
        sz = self.size_name(n)
        d = self.new_daemon("registry-file-%d" % n, "file://" + path)
        d.start()
        sampler = RSSSampler(d.pid)
        w = d.conn()
        w.s.sendall(b"WATCH kind=seed.*\n")
        if w.line() != "OK 0":
            d.fail("WATCH refused")
        t0 = time.monotonic()
        st, recs = w.reply()
        seed_t = time.monotonic() - t0
        w.close()
        if not recs or "kind=seed.done" not in recs[0]:
            d.fail("the file:// seed did not succeed: %r" % recs)
        peak = max(sampler.stop(), d.rss().get("VmHWM", 0))
        self.row("RSS at the peak of a %s seed from file://" % sz,
            "%.0f MiB (seed.done after %.2f s)" % (peak, seed_t), "< 96 MiB",
            self.verdict(peak < 96))
        d.stop()

    def memory(self, d, n):
        sz = self.size_name(n)
        # Idle: a fresh process on the registry, after one STATUS.
        d.stop()
        d.start()
        d.request("STATUS")
        time.sleep(1)
        idle = d.rss().get("VmRSS", 0)
        self.row("RSS idle, %s models" % sz, "%.0f MiB" % idle, "< 32 MiB",
            self.verdict(idle < 32))
        # 1,000 idle connections (each did one PING).
        p = self.loadgen_start(d.sock, "-m", "idle", "-c", 1000, "-t", 120)
        ready = logfmt(p.stdout.readline().decode())
        time.sleep(0.5)
        rss = d.rss().get("VmRSS", 0)
        p.stdin.close()
        p.wait(30)
        self.procs.remove(p)
        op = int(ready.get("open", 0))
        self.row("RSS with 1,000 idle connections, %s models" % sz,
            "%.0f MiB (%d of 1000 served, %s refused busy)" % (rss, op,
                ready.get("busy", "?")),
            "< 64 MiB, all 1000 served", self.verdict(rss < 64 and op == 1000))
        self.settle(d)
        # 10 clients that send LIST and never read: a fresh process again.
        d.stop()
        d.start()
        t0 = time.monotonic()
        p = self.loadgen_start(d.sock, "-m", "noread", "-c", 10, "-P", 1,
            "-t", 600, "-r", "LIST")
        p.stdout.readline()
        sampler = RSSSampler(d.pid)
        # Today the PING waits for every LIST to be built; then a second more.
        ping_t = None
        try:
            c = d.conn(timeout=300)
            tp = time.monotonic()
            c.request("PING")
            ping_t = time.monotonic() - tp
            c.close()
        except (OSError, EOFError):
            pass
        time.sleep(1)
        peak = max(sampler.stop(), d.rss().get("VmHWM", 0))
        p.stdin.close()
        p.wait(60)
        self.procs.remove(p)
        self.row("RSS with 10 clients that never read a %s LIST" % sz,
            "%.0f MiB peak (a PING meanwhile: %s)" % (peak,
                "%.0f ms" % (ping_t * 1000) if ping_t is not None else "no answer"),
            "< 96 MiB", self.verdict(peak < 96))
        say("noread phase took %.1f s" % (time.monotonic() - t0))

    # -- Redis

    def redis_find(self):
        if self.args.no_redis:
            return None
        exe = shutil.which("redis-server")
        if exe:
            return (exe, "redis-server")
        # Debian's redis-tools ships the server as redis-check-rdb, which
        # runs as the server when called by that name.
        exe = shutil.which("redis-check-rdb")
        if exe:
            return (exe, "redis-server")
        return None

    def redis_run(self):
        found = self.redis_find()
        bm = shutil.which("redis-benchmark")
        if found is None or bm is None or self.args.no_redis:
            say("no redis-server/redis-benchmark: no Redis ratios")
            return None
        rdir = os.path.join(self.tmp, "redis")
        os.makedirs(rdir)
        sock = os.path.join(rdir, "redis.sock")
        exe, argv0 = found
        logf = open(os.path.join(rdir, "redis.log"), "wb")
        self.redis = subprocess.Popen([argv0, "--port", "0", "--unixsocket", sock,
            "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
            "--dir", rdir, "--daemonize", "no", "--maxclients", "1100"],
            executable=exe, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        logf.close()
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            if self.redis.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start (see %s)" % rdir)
            time.sleep(0.05)
        time.sleep(0.1)
        res = {}
        for n in (self.sizes[0], self.big):
            redis_populate(sock, n, self.show_len.get(n, 600))
            for cn in self.conns:
                for dp in self.depths:
                    for test, key in (("ping_inline", "PING"), ("get", "SHOW")):
                        cnt = 20000 * dp * (2 if cn > 1 else 1)
                        if self.quick:
                            cnt //= 4
                        args = [bm, "-s", sock, "-c", str(cn), "-P", str(dp),
                            "-n", str(cnt), "-t", test, "--csv"]
                        if test == "get":
                            args += ["-r", str(n)]
                        p = subprocess.run(args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, timeout=300)
                        rps = None
                        for ln in p.stdout.decode().splitlines():
                            f = [x.strip('"') for x in ln.split(",")]
                            if len(f) > 1 and f[0] != "test":
                                try:
                                    rps = float(f[1])
                                except ValueError:
                                    pass
                        res[(key, n, cn, dp)] = rps
        return res

    def load_rows(self, redis):
        for verb in ("PING", "SHOW", "SHOW-all"):
            for n in (self.sizes[0], self.big):
                for cn in self.conns:
                    for dp in self.depths:
                        r = self.ours.get((verb, n, cn, dp))
                        if r is None:
                            continue
                        rps = float(r["rps"])
                        rr = redis.get(("PING" if verb == "PING" else "SHOW",
                            n, cn, dp)) if redis else None
                        what = "Redis %s" % ("PING" if verb == "PING" else "GET")
                        hits = ("; %.0f%% cache hits" % r["hit_pct"]
                            if "hit_pct" in r else "")
                        if rr:
                            v = "%s/s, p99 %s ms; %sx %s (%s/s)%s" % (
                                fmt_n(rps), fmt_ms(r["p99_ms"]), fmt_ratio(rps / rr),
                                what, fmt_n(rr), hits)
                        else:
                            v = "%s/s, p99 %s ms; no Redis%s" % (fmt_n(rps),
                                fmt_ms(r["p99_ms"]), hits)
                        target = result = ""
                        if verb == "SHOW" and n == self.big:
                            target = "≥ 0.5x Redis GET"
                            result = self.verdict(rps / rr >= 0.5) if rr else "n/a (no Redis)"
                            if self.quick:
                                result = self.verdict(False)
                        name = verb if verb != "SHOW-all" else (
                            "SHOW of every id (all %s names, random order)"
                            % self.size_name(n))
                        self.row("%s, %s models, %d conn%s, pipeline %d" % (
                            name, self.size_name(n), cn, "s" if cn > 1 else "", dp),
                            v, target, result)

    # -- RESOLVE (issue 9 item 7)

    def resolve_daemon(self, n):
        """A registry of n models, all active, the first the default, with
        RESOLVE's cache ([daemon] cache_size) large enough for the load."""
        body = catalog(n)
        self.http.routes.set("/resolve-%d.json" % n, body)
        d = self.new_daemon("resolve-%d" % n, self.url("/resolve-%d.json" % n))
        # A chat model (the default must be one): catalog index 1.
        default = catalog_order(n)[1]
        text = ("[daemon]\nsocket = %s\ndatabase = %s\nlog_level = info\n"
            "cache_size = %s\n"
            "[seed]\nurl = %s\nformat = openrouter\nnew_model_status = active\n"
            "default_model = %s\nalways_active =\nalways_inactive =\n"
            "timeout = 10m\nretry_min = 1s\nretry_max = 5s\nmax_size = 256M\n"
            "[resolve]\nmax_sessions = %d\n" % (d.sock, d.db, RESOLVE_CACHE,
            self.url("/resolve-%d.json" % n), default, 4 * n))
        with open(d.conf, "w") as f:
            f.write(text)
        d.start()
        deadline = time.monotonic() + 300
        while True:
            st, recs = d.request("STATUS")
            r = logfmt(recs[0]) if recs else {}
            if r.get("active") == str(n) and r.get("default"):
                break
            if time.monotonic() > deadline:
                d.fail("the RESOLVE registry did not fill: %r" % r)
            time.sleep(0.2)
        return d

    def resolve_keys(self, d, n, nkeys, per):
        """nkeys keys, key i allowed models i*per .. i*per+per-1 (every model
        once), created by KEY CREATE pipelined 500 at a time on one
        connection, as an admin script would: [(secret, [model ids])]."""
        ids = catalog_order(n)
        c = d.conn()
        out = []
        t0 = time.monotonic()
        for b0 in range(0, nkeys, 500):
            batch = []
            lines = []
            for i in range(b0, min(nkeys, b0 + 500)):
                models = [ids[(i * per + j) % n] for j in range(per)]
                batch.append(models)
                lines.append("KEY CREATE bench%05d models=%s" % (i, ",".join(models)))
            c.s.sendall(("\n".join(lines) + "\n").encode())
            for models in batch:
                st, recs = c.reply()
                if st != "OK 1":
                    d.fail("KEY CREATE: %s" % st)
                out.append((logfmt(recs[0])["secret"], models))
        c.close()
        self.row("RESOLVE setup: %d KEY CREATE, pipelined 500 on one connection"
            % nkeys, "%.1f s" % (time.monotonic() - t0))
        return out

    def resolve_counts(self, d):
        st, recs = d.request("STATUS")
        r = logfmt(recs[0]) if recs else {}
        return tuple(int(r.get(k, 0)) for k in ("resolve_cache_hits",
            "resolve_cache_misses", "resolve_cache_key_hits",
            "resolve_cache_key_misses"))

    def resolve_redis(self, n, vlen):
        """A redis-server of its own, with n values of vlen bytes; then
        redis-benchmark GET (-r n) at each load: {(c, P): rps}, or None."""
        found = self.redis_find()
        bm = shutil.which("redis-benchmark")
        if found is None or bm is None or self.args.no_redis:
            return None
        exe, argv0 = found
        rdir = os.path.join(self.tmp, "redis-resolve")
        os.makedirs(rdir, exist_ok=True)
        sock = os.path.join(rdir, "redis.sock")
        logf = open(os.path.join(rdir, "redis.log"), "wb")
        p = subprocess.Popen([argv0, "--port", "0", "--unixsocket", sock,
            "--unixsocketperm", "700", "--save", "", "--appendonly", "no",
            "--dir", rdir, "--daemonize", "no"], executable=exe,
            stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        logf.close()
        self.procs.append(p)
        try:
            deadline = time.monotonic() + 10
            while not os.path.exists(sock):
                if p.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start (see %s)" % rdir)
                time.sleep(0.05)
            time.sleep(0.1)
            redis_populate(sock, n, vlen)
            res = {}
            for cn in RESOLVE_CONNS:
                for dp in self.depths:
                    cnt = 20000 * dp * (2 if cn > 1 else 1)
                    if self.quick:
                        cnt //= 4
                    r = subprocess.run([bm, "-s", sock, "-c", str(cn), "-P",
                        str(dp), "-n", str(cnt), "-t", "get", "-r", str(n),
                        "--csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                        timeout=300)
                    for ln in r.stdout.decode().splitlines():
                        f = [x.strip('"') for x in ln.split(",")]
                        if len(f) > 1 and f[0] != "test":
                            try:
                                res[(cn, dp)] = float(f[1])
                            except ValueError:
                                pass
            return res
        finally:
            p.terminate()
            p.wait(10)
            self.procs.remove(p)

    def run_resolve(self):
        n = self.big
        per = 10
        nkeys = n // per
        sz = self.size_name(n)
        say("RESOLVE: a %s registry, every model active" % sz)
        d = self.resolve_daemon(n)
        keys = self.resolve_keys(d, n, nkeys, per)
        files = {}
        for sess in (False, True):
            path = os.path.join(self.tmp, "resolve-%s.txt" % ("session" if sess else "key"))
            with open(path, "w") as f:
                for i, (secret, models) in enumerate(keys):
                    for j, m in enumerate(models):
                        f.write("RESOLVE %s key=%s%s\n" % (m, secret,
                            " session=conv-%d" % j if sess else ""))
            files[sess] = path
        st, recs = d.request("RESOLVE %s key=%s" % (keys[0][1][0], keys[0][0]))
        if st != "OK 1":
            d.fail("RESOLVE: %s" % st)
        vlen = len(recs[0])
        # A warm pass first: 4 draws per line (about 98% of the lines
        # drawn at least once), so the cache holds the whole working set
        # and the rows measure the hot path; each row gives its hit rates.
        # loadgen draws lines from one fixed pseudo-random sequence, so
        # every row asks for the same lines in the same order.
        for sess in (False, True):
            self.loadgen_run(d.sock, "-c", 50, "-P", 16, "-n", 4 * len(keys) * per,
                "-t", 900, "-w", 300, "-f", files[sess], timeout=1800)
        ours = {}
        for sess in (False, True):
            for cn in RESOLVE_CONNS:
                for dp in self.depths:
                    c0 = self.resolve_counts(d)
                    r = self.loadgen_run(d.sock, "-c", cn, "-P", dp, "-t",
                        self.load_secs, "-w", 300, "-n", 5000000, "-f",
                        files[sess], timeout=900)
                    if r["errors"] != "0" or r["protoerrs"] != "0":
                        d.fail("RESOLVE load: %s" % r)
                    c1 = self.resolve_counts(d)
                    dl = [b - a for a, b in zip(c0, c1)]
                    r["hits"] = 100.0 * dl[0] / max(dl[0] + dl[1], 1)
                    r["key_hits"] = (100.0 * dl[2] / (dl[2] + dl[3])
                        if dl[2] + dl[3] > 0 else None)
                    ours[(sess, cn, dp)] = r
                    self.settle(d)
                    say("RESOLVE session=%s c=%d P=%d: %s/s" % (sess, cn, dp, r["rps"]))
        st, recs = d.request("STATUS")
        stat = logfmt(recs[0]) if recs else {}
        rss = d.rss().get("VmRSS", 0)
        d.stop()
        redis = self.resolve_redis(n, vlen)
        self.beside_write(redis)
        for sess in (False, True):
            for cn in RESOLVE_CONNS:
                for dp in self.depths:
                    r = ours[(sess, cn, dp)]
                    rps = float(r["rps"])
                    rr = redis.get((cn, dp)) if redis else None
                    v = "%s/s, p99 %s ms" % (fmt_n(rps), fmt_ms(r["p99_ms"]))
                    if rr:
                        v += "; %sx Redis GET (%s/s, %d-byte values, %s keys)" % (
                            fmt_ratio(rps / rr), fmt_n(rr), vlen, sz)
                    else:
                        v += "; no Redis"
                    v += "; %.0f%% answer hits, %s" % (r["hits"],
                        "%.0f%% key hits" % r["key_hits"] if r["key_hits"]
                        is not None else "no key lookups (answers by the "
                        "secret's digest)")
                    target = result = ""
                    if cn == 50:
                        target = "≥ 0.5x Redis GET"
                        result = (self.verdict(rps / rr >= 0.5) if rr else
                            "n/a (no Redis)")
                        if self.quick:
                            result = self.verdict(False)
                    self.row("RESOLVE MODEL key=%s, a random line of %s: %d keys "
                        "x %d models each = all %s models, %d conn%s, pipeline %d"
                        % (" session=conv-J" if sess else "", fmt_n(nkeys * per),
                        nkeys, per, sz, cn, "s" if cn > 1 else "", dp),
                        v, target, result)
        self.row("RESOLVE's cache after the loads ([daemon] cache_size = %s)"
            % RESOLVE_CACHE, "%s entries, %.0f MiB; daemon RSS %.0f MiB" % (
            stat.get("resolve_cache_entries", "?"),
            int(stat.get("resolve_cache_bytes", 0)) / 1048576.0, rss))

    # -- all of it

    def run(self):
        t0 = time.monotonic()
        self.load_before = os.getloadavg()[0]
        say("temp folder %s; daemon %s" % (self.tmp, self.modelregd))
        if self.args.resolve_only or self.args.usage_only:
            if self.args.resolve_only:
                self.run_resolve()
            if self.args.usage_only:
                self.usage_only()
            self.elapsed = time.monotonic() - t0
            self.load_after = os.getloadavg()[0]
            return
        for n in self.sizes:
            self.run_size(n)
        load_start = len(self.rows)
        redis = None if self.imports_only else self.redis_run()
        if not self.imports_only:
            self.load_rows(redis)
            self.run_resolve()
        # The request rates first, as the issue lists them.
        self.rows = self.rows[load_start:] + self.rows[:load_start]
        self.elapsed = time.monotonic() - t0
        self.load_after = os.getloadavg()[0]

    def cleanup(self):
        for p in list(self.procs):
            if p.poll() is None:
                p.kill()
                p.wait()
        for d in self.daemons:
            try:
                d.stop()
            except Exception:
                pass
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            try:
                self.redis.wait(10)
            except subprocess.TimeoutExpired:
                self.redis.kill()
                self.redis.wait()
        self.http.shutdown()
        if not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            say("kept %s" % self.tmp)

    def table(self):
        out = ["| measure | value | target | result |",
            "| --- | --- | --- | --- |"]
        for m, v, t, r in self.rows:
            out.append("| %s | %s | %s | %s |" % (m, v, t, r))
        return "\n".join(out)


def check_refresh(d, st, recs):
    if not st.startswith("OK") or not recs or "outcome=ok" not in recs[0]:
        d.fail("REFRESH catalog: %s %r" % (st, recs))


def owed_wait(dbpath, t0, timeout=300):
    """Seconds from t0 until the registry owes no index a seed left and no
    search key waits (written behind, schema 11), or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            db = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True)
            try:
                n = db.execute("SELECT (SELECT count(*) FROM state"
                    " WHERE key LIKE 'import_pending_%') + (SELECT count(*)"
                    " FROM model_fts_dirty) + (SELECT count(*) FROM"
                    " catalog_fts_dirty)").fetchone()[0]
            finally:
                db.close()
            if n == 0:
                return time.monotonic() - t0
        except sqlite3.Error:
            pass
        time.sleep(0.01)
    return None


def redis_populate(sock, n, vlen):
    """SET key:%012d (redis-benchmark -r's key names) for 0..n-1, values of vlen bytes."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock)
    val = b"x" * vlen
    batch = []
    want = 0
    for i in range(n):
        k = b"key:%012d" % i
        batch.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
            len(k), k, len(val), val))
        if len(batch) == 1000 or i == n - 1:
            s.sendall(b"".join(batch))
            want += len(batch)
            batch = []
            got = b""
            while got.count(b"\r\n") < want:
                got += s.recv(65536)
            want = 0
    s.close()


def fmt_ms(v):
    v = float(v)
    if v >= 100:
        return "%.0f" % v
    if v >= 1:
        return "%.1f" % v
    return "%.3f" % v


def fmt_ratio(x):
    if x >= 0.1:
        return "%.2f" % x
    if x >= 0.001:
        return "%.4f" % x
    return "%.6f" % x


def fmt_n(v):
    return "{:,.0f}".format(v)


def main():
    ap = argparse.ArgumentParser(description="modelregd's benchmark (issue 8)")
    ap.add_argument("--build", default=os.path.join(SRCDIR, "_build"),
        help="the build folder with daemon/modelregd and bench/loadgen")
    ap.add_argument("--quick", action="store_true",
        help="1k and 10k models, fewer connections, shorter runs")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder")
    ap.add_argument("--no-redis", action="store_true", help="no Redis ratios")
    ap.add_argument("--resolve-only", action="store_true",
        help="only the RESOLVE rows (issue 9 item 7), with their own Redis GET")
    ap.add_argument("--imports", type=int, metavar="N",
        help="only the seed and catalog refresh rows (with their PING and "
        "RSS rows), at N models: a few minutes at 100000")
    ap.add_argument("--usage-only", action="store_true",
        help="only issue 10's USAGE rows, on the largest registry")
    args = ap.parse_args()
    b = Bench(args)
    ok = False
    try:
        b.run()
        ok = True
    finally:
        b.cleanup()
    if ok:
        print("modelregd benchmark, %s, %d CPUs, %s run%s, %.0f s; load "
            "average %.1f before, %.1f after" % (
            time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.cpu_count(),
            "imports %d" % args.imports if b.imports_only else
            "quick" if args.quick else "full",
            "" if b.sqlite3 else ", no sqlite3 shell", b.elapsed,
            b.load_before, b.load_after))
        print()
        print(b.table())


if __name__ == "__main__":
    main()
