# test_metrics.py: [metrics] listen and GET /metrics (issue 10 item 4): off by default, the families and values against STATUS, LIST and the events table, bounds (max_models), 404/405/HEAD, bad listen values refused by the config check, hostile HTTP clients that cannot stall PING, a UNIX socket, a reload that moves the port.
import http.client
import os
import re
import socket
import stat
import time

import harness
import httpd

MISTRAL = harness.data_path("catalog-mistral.json")
ACTIVE = ["mistral-large-latest", "pixtral-large-2411", "mistral-medium-latest"]
CTYPE = "text/plain; version=0.0.4; charset=utf-8"
# Every family doc/metrics.md lists (usage and caps are added after the merge).
FAMILIES = {
    "modelreg_models": "gauge",
    "modelreg_model_health": "gauge",
    "modelreg_model_uptime_30m_percent": "gauge",
    "modelreg_model_zdr": "gauge",
    "modelreg_model_default": "gauge",
    "modelreg_metrics_models_omitted": "gauge",
    "modelreg_source_last_success_timestamp_seconds": "gauge",
    "modelreg_source_last_failure_timestamp_seconds": "gauge",
    "modelreg_source_last_duration_seconds": "gauge",
    "modelreg_source_items": "gauge",
    "modelreg_source_consecutive_failures": "gauge",
    "modelreg_requests_total": "counter",
    "modelreg_resolve_total": "counter",
    "modelreg_clients_connected": "gauge",
    "modelreg_events_total": "counter",
}

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def unescape(v):
    out, i = [], 0
    while i < len(v):
        if v[i] == "\\" and i + 1 < len(v):
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(v[i + 1], "\\" + v[i + 1]))
            i += 2
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


def parse(text):
    """The exposition as (types {name: type}, samples [(name, {labels}, value)]); a malformed line raises."""
    types, samples = {}, []
    for line in text.split("\n"):
        if line == "":
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            types[name] = typ
            continue
        if line.startswith("# HELP "):
            continue
        m = _SAMPLE.match(line)
        if m is None:
            raise ValueError("not a sample line: %r" % line)
        labels = {}
        if m.group(2):
            pos = 0
            for lm in _LABEL.finditer(m.group(2)):
                if lm.start() != pos:
                    raise ValueError("bad labels: %r" % line)
                labels[lm.group(1)] = unescape(lm.group(2))
                pos = lm.end()
            if pos != len(m.group(2)):
                raise ValueError("bad labels: %r" % line)
        samples.append((m.group(1), labels, float(m.group(3))))
    return types, samples


def value(samples, family, **labels):
    vals = [v for n, l, v in samples if n == family and all(l.get(k) == w for k, w in labels.items())]
    return vals[0] if len(vals) == 1 else (None if not vals else vals)


def series(samples, name):
    return [(l, v) for n, l, v in samples if n == name]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(port, path="/metrics", method="GET", timeout=5):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    c.request(method, path)
    r = c.getresponse()
    body = r.read().decode("utf-8")
    c.close()
    return r.status, r.getheader("Content-Type"), body


def scrape(port):
    st, ctype, body = get(port)
    if st != 200:
        raise harness.HarnessError("scrape: HTTP %d: %s" % (st, body))
    return parse(body)


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=5):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def listening_tcp_ports(pid):
    """TCP ports the process listens on: its socket inodes in LISTEN state (0A) of /proc/net/tcp{,6}."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", link)
        if m:
            inodes.add(m.group(1))
    ports = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(f).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            p = line.split()
            if p[3] == "0A" and p[9] in inodes:
                ports.append(int(p[1].split(":")[1], 16))
    return ports


def socket_fds(pid):
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                n += 1
        except OSError:
            pass
    return n


def metrics_daemon(port=None, extra="", **kw):
    port = port or free_port()
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), always_active=ACTIVE,
        default_model="mistral-large-latest", wait_seed=True,
        extra="[metrics]\nlisten = 127.0.0.1:%d\n%s" % (port, extra), **kw)
    return d, port


# --- tests ----------------------------------------------------------------

def test_off_by_default(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), always_active=ACTIVE, wait_seed=True)
    tap.eq(listening_tcp_ports(d.pid), [], "without [metrics] the daemon listens on no TCP port")
    tap.ok("metrics: serving" not in d.log_text(), "and serves no metrics")
    d.cleanup()
    d, port = metrics_daemon()
    tap.eq(listening_tcp_ports(d.pid), [port], "with listen = 127.0.0.1:PORT it listens on that port only")
    tap.ok("metrics: serving /metrics on 127.0.0.1:%d" % port in d.log_text(), "and logs where")
    d.cleanup()


def test_families(tap):
    srv = httpd.Server()
    srv.set("/v1/models", "status", code=500)
    t0 = int(time.time())
    d, port = metrics_daemon(
        extra="[catalog]\nurl = %s\nformat = openrouter\ninterval = 1h\nretry_min = 1\nretry_max = 2\n"
        % srv.url("/v1/models"), access={"admin": ["root"], "service": ["*"]}, socket_mode="0666")
    st, ctype, body = get(port)
    tap.eq((st, ctype), (200, CTYPE), "GET /metrics: 200 with the text format 0.0.4's content type")
    types, samples = parse(body)
    tap.eq({k: types.get(k) for k in FAMILIES}, FAMILIES, "every family has its # TYPE")
    tap.ok(all(n in types for n, l, v in samples), "every sample belongs to a declared family")
    tap.ok(all(n.endswith("_total") == (types[n] == "counter") for n in types),
        "counters, and only counters, end in _total")

    # models by status against STATUS
    st, recs = d.request("STATUS")
    tap.eq((value(samples, "modelreg_models", status="active"),
            value(samples, "modelreg_models", status="inactive")),
        (float(recs[0]["active"]), float(int(recs[0]["models"]) - int(recs[0]["active"]))),
        "modelreg_models by status = STATUS's active and models - active")

    # activate one more: the counts and the per-model families follow LIST
    st, _ = d.request("ACTIVATE magistral-medium-2506")
    tap.eq(st, "OK 1", "ACTIVATE magistral-medium-2506")
    types, samples = scrape(port)
    st, recs = d.request("LIST status=active")
    ids = sorted(r["id"] for r in recs)
    tap.eq(value(samples, "modelreg_models", status="active"), float(len(ids)),
        "after ACTIVATE the active count is LIST's (%d)" % len(ids))
    tap.eq(sorted(l["model"] for l, v in series(samples, "modelreg_model_default")), ids,
        "one default series per active model, the ids LIST shows")
    tap.eq([l["model"] for l, v in series(samples, "modelreg_model_default") if v == 1],
        ["mistral-large-2411"], "the default is 1, the others 0")
    health = {l["model"]: l["health"] for l, v in series(samples, "modelreg_model_health")}
    tap.eq(health, {r["id"]: r["health"] for r in recs}, "each active model's health as LIST shows it")
    tap.eq(series(samples, "modelreg_model_uptime_30m_percent"), [],
        "no uptime series while no sample is known")
    tap.eq(value(samples, "modelreg_metrics_models_omitted"), 0.0, "nothing omitted under max_models")

    # requests per verb and result code, counted in the dispatch
    st, _ = d.request("SHOW no-such-model")
    code = st.split()[1]
    d.request("FROBNICATE")
    d.request("RESOLVE")
    d.request("RESOLVE")
    d.request("RESOLVE no-such-model")
    types, samples = scrape(port)
    tap.eq(value(samples, "modelreg_requests_total", verb="ACTIVATE", code="ok"), 1.0,
        "requests_total{verb=ACTIVATE,code=ok} is 1")
    tap.eq(value(samples, "modelreg_requests_total", verb="SHOW", code=code), 1.0,
        "a refused SHOW counts under its ERR code (%s)" % code)
    tap.eq(value(samples, "modelreg_requests_total", verb="other", code="unknown"), 1.0,
        "an unknown verb counts as verb=other, code=unknown")
    st, recs = d.request("STATUS")
    tap.eq({r: value(samples, "modelreg_resolve_total", reason=r)
            for r in ("requested", "default", "fallback", "failover")},
        {r: float(recs[0]["resolves_" + r]) for r in ("requested", "default", "fallback", "failover")},
        "resolve_total by reason = STATUS's resolves_*")
    tap.ok(value(samples, "modelreg_resolve_total", reason="default") >= 2.0,
        "two RESOLVEs without a model counted as default")

    # a failing source: its failure time and streak, against STATUS
    def failed():
        src = d.sources().get("catalog", {})
        return src if int(src.get("failures") or 0) >= 1 else None
    src = harness.wait_for(failed, 15, "the catalog's first failure")
    types, samples = scrape(port)
    last_fail = value(samples, "modelreg_source_last_failure_timestamp_seconds", source="catalog")
    tap.ok(last_fail is not None and t0 <= last_fail <= time.time() + 1,
        "the catalog's last failure time is now-ish", last_fail)
    tap.ok(value(samples, "modelreg_source_consecutive_failures", source="catalog") >= 1,
        "its consecutive failures are counted")
    tap.eq(value(samples, "modelreg_source_last_success_timestamp_seconds", source="catalog"), 0.0,
        "and it never succeeded (0)")
    st, recs = d.request("STATUS")
    seed = recs[1]
    seed_ok = time.mktime(time.strptime(seed["last_ok"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    tap.eq(value(samples, "modelreg_source_last_success_timestamp_seconds", source="seed"),
        float(int(seed_ok)), "the seed's last success is STATUS's last_ok")
    tap.eq(value(samples, "modelreg_source_items", source="seed"), float(seed["items"]),
        "the seed's items are STATUS's items")
    dur = value(samples, "modelreg_source_last_duration_seconds", source="seed")
    tap.ok(dur is not None and 0 <= dur < 30, "the seed's last duration is measured", dur)

    # events by kind = the events table (all committed while this daemon ran)
    def events_match():
        types, samples = scrape(port)
        db = d.open_db()
        rows = dict(db.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
        db.close()
        got = {l["kind"]: int(v) for l, v in series(samples, "modelreg_events_total")}
        return (got, rows) if got == rows else None
    try:
        got, rows = harness.wait_for(events_match, 10, "events_total to match the events table")
        tap.ok("model.activated" in got and "sync.failed" in got,
            "events_total = the events table by kind (model.activated, sync.failed, ...)", got)
    except harness.HarnessError as e:
        tap.ok(False, "events_total = the events table by kind", str(e))

    # clients connected
    conns = [d.raw() for _ in range(3)]
    for c in conns:
        c.request("PING")

    def three():
        types, samples = scrape(port)
        return value(samples, "modelreg_clients_connected") == 3.0
    tap.ok(harness.wait_for(three, 10, "3 clients"), "clients_connected counts the 3 open connections")
    for c in conns:
        c.close()
    d.cleanup()
    srv.stop()


def test_zdr_uptime(tap):
    """modelreg_model_zdr and modelreg_model_uptime_30m_percent of models whose ZDR
    (zdr-endpoints.json lists acme/alpha's canonical slug, not acme/beta's) and
    uptime (up-green.json: 99.5, up-red.json: 42.5) are known."""
    api = "/api/v1/models"
    srv = httpd.Server()
    srv.set(api, "file", file=harness.data_path("up-models.json"))
    srv.set("/zdr", "file", file=harness.data_path("zdr-endpoints.json"))
    for m, f in (("acme/alpha", "up-green.json"), ("acme/beta", "up-red.json")):
        srv.set("%s/%s/endpoints" % (api, m), "file", file=harness.data_path(f),
            etag=False, last_modified=False)
    port = free_port()
    d = harness.Daemon(seed_url=srv.url(api), seed_format="openrouter",
        always_active=["acme/alpha", "acme/beta", "acme/gamma"], default_model="acme/alpha",
        extra="[metrics]\nlisten = 127.0.0.1:%d\n[uptime]\nurl = %s\ninterval = 1h\n"
        "[zdr]\nurl = %s\ninterval = 1h\nenforce = no\n"
        % (port, srv.url(api + "/{id}/endpoints"), srv.url("/zdr")), wait_seed=True)
    harness.wait_for(lambda: all(d.sources().get(x, {}).get("state") != "running"
        for x in ("uptime", "zdr")), 15, "the first uptime and ZDR runs")
    st, recs = d.request("REFRESH all")
    tap.eq(sorted((r.get("source"), r.get("outcome")) for r in recs
        if r.get("source") in ("uptime", "zdr")), [("uptime", "ok"), ("zdr", "ok")],
        "REFRESH all: the uptime and ZDR runs succeed", recs)
    st, recs = d.request("LIST status=active")
    got = {r["id"]: (r.get("zdr"), r.get("uptime_30m")) for r in recs}
    tap.eq(got, {"acme/alpha": ("true", "99.5"), "acme/beta": ("false", "42.5"),
        "acme/gamma": ("false", None)}, "LIST: the fixture's ZDR and uptime")
    types, samples = scrape(port)
    tap.eq({l["model"]: v for l, v in series(samples, "modelreg_model_zdr")},
        {"acme/alpha": 1.0, "acme/beta": 0.0, "acme/gamma": 0.0},
        "modelreg_model_zdr: 1 with ZDR, 0 without, one series per active model")
    tap.eq({l["model"]: v for l, v in series(samples, "modelreg_model_uptime_30m_percent")},
        {"acme/alpha": 99.5, "acme/beta": 42.5},
        "modelreg_model_uptime_30m_percent: the best endpoint's uptime; absent when unknown")
    tap.eq({l["model"]: l["health"] for l, v in series(samples, "modelreg_model_health")},
        {"acme/alpha": "green", "acme/beta": "red", "acme/gamma": "unknown"},
        "modelreg_model_health agrees")
    d.cleanup()
    srv.stop()


def test_max_models(tap):
    d, port = metrics_daemon(extra="max_models = 2\n")
    d.request("ACTIVATE magistral-medium-2506")
    types, samples = scrape(port)
    st, recs = d.request("LIST status=active")
    ids = sorted(r["id"] for r in recs)
    tap.eq(sorted(l["model"] for l, v in series(samples, "modelreg_model_health")), ids[:2],
        "max_models = 2: the first two active models by id get per-model series")
    tap.eq(value(samples, "modelreg_metrics_models_omitted"), float(len(ids) - 2),
        "the rest is counted in modelreg_metrics_models_omitted")
    tap.eq(value(samples, "modelreg_models", status="active"), float(len(ids)),
        "the counts still cover every model")
    d.cleanup()
    d, port = metrics_daemon(extra="max_models = 0\n")
    types, samples = scrape(port)
    tap.eq(series(samples, "modelreg_model_default"), [], "max_models = 0: no per-model series")
    d.cleanup()


def test_escaping(tap):
    # Ids from a catalog are strict (no quote, backslash or newline), but a
    # row written with the sqlite3 shell is not: its label must still parse.
    d, port = metrics_daemon()
    d.stop()
    evil = 'evil"id\\x\nnext'
    import sqlite3
    db = sqlite3.connect(d.db)
    db.execute("INSERT INTO models(id, name, status, status_source, added_at, status_changed_at)"
        " VALUES (?, 'Evil', 'active', 'manual', 0, 0)", (evil,))
    db.commit()
    db.close()
    d.start()
    st, ctype, body = get(port)
    tap.ok('model="evil\\"id\\\\x\\nnext"' in body,
        "a quote, a backslash and a newline in a model id are escaped in its label",
        [l for l in body.split("\n") if "evil" in l])
    try:
        types, samples = parse(body)
        tap.ok(value(samples, "modelreg_model_default", model=evil) == 0.0,
            "and the label reads back as the id")
    except ValueError as e:
        tap.ok(False, "the exposition parses", str(e))
    d.cleanup()


def test_http(tap):
    d, port = metrics_daemon()
    for path in ("/", "/metricsx", "/metrics/", "/other"):
        st, ctype, body = get(port, path)
        tap.eq(st, 404, "GET %s: 404" % path)
    for method in ("POST", "PUT", "DELETE"):
        st, ctype, body = get(port, "/metrics", method)
        tap.eq(st, 405, "%s /metrics: 405" % method)
    st, ctype, body = get(port, "/metrics?debug=1")
    tap.eq(st, 200, "a query string is ignored")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("HEAD", "/metrics")
    r = c.getresponse()
    tap.eq((r.status, r.read()), (200, b""), "HEAD /metrics: 200 without a body")
    c.close()
    # oversized headers: refused, and the daemon still serves
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Junk: " + b"a" * 20000 + b"\r\n\r\n")
    try:
        resp = s.recv(200)
    except OSError:
        resp = b""
    s.close()
    tap.ok(not resp.startswith(b"HTTP/1.1 200"), "20 KB of headers are not served", resp[:40])
    st, ctype, body = get(port)
    tap.eq(st, 200, "the next scrape is served")
    tap.ok(d.alive(), "the daemon is alive")
    d.cleanup()


def test_config_check(tap):
    d = harness.Daemon(start=False)
    base = d.config_text()
    for bad, why in (("localhost:9464", "expected ADDRESS:PORT"), ("127.0.0.1:70000", "port"),
                     ("127.0.0.1", "expected ADDRESS:PORT"), ("metrics.sock", "expected ADDRESS:PORT"),
                     ("[::1]9464", "expected ADDRESS:PORT")):
        d.write_config(base + "[metrics]\nlisten = %s\n" % bad)
        r = d.check_config()
        tap.ok(r.returncode != 0 and "bad listen" in r.stderr and why in r.stderr,
            "listen = %s refused by -t" % bad, r.stderr)
    for good in ("127.0.0.1:9464", "[::1]:9464", "/run/modelreg/metrics.sock", ""):
        d.write_config(base + "[metrics]\nlisten = %s\n" % good)
        r = d.check_config()
        tap.eq(r.returncode, 0, "listen = %s accepted" % (good or "(empty: off)"), r.stderr)
    for bad in ("max_models = -1", "max_models = 10001", "max_connections = 0", "timeout = 0"):
        d.write_config(base + "[metrics]\n%s\n" % bad)
        r = d.check_config()
        tap.ok(r.returncode != 0 and "bad " + bad.split()[0] in r.stderr, "%s refused" % bad, r.stderr)
    d.write_config(base + "[metrics]\nlisten = localhost:9464\n")
    d.start(wait=False)
    tap.ok(harness.wait_for(lambda: d.proc.poll() is not None, 10, "the daemon to exit"),
        "the daemon does not start with a bad listen")
    d.cleanup()


def test_hostile(tap):
    d, port = metrics_daemon(extra="max_connections = 4\ntimeout = 2\n")
    base_fds = socket_fds(d.pid)
    # The trickler first, so it gets one of the 4 slots; the others wait in the backlog.
    trickle = socket.create_connection(("127.0.0.1", port), timeout=5)
    idle = []
    for _ in range(30):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        idle.append(s)
    t_start = time.time()
    worst = 0.0
    most = 0
    closed_at = None
    msg = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
    i = 0
    while time.time() - t_start < 4:
        t = time.time()
        st, _ = d.request("PING", timeout=5)
        worst = max(worst, time.time() - t)
        most = max(most, socket_fds(d.pid) - base_fds)
        if closed_at is None:
            try:
                trickle.send(msg[i:i + 1])
                i += 1
            except OSError:
                closed_at = time.time()
        time.sleep(0.1)
    tap.ok(worst < 1.0, "PING answers while 31 HTTP peers hold or trickle (worst %.3f s)" % worst)
    tap.ok(most <= 4 + 2, "the daemon holds at most max_connections HTTP sockets (%d more than before)" % most)
    if closed_at is None:
        try:
            trickle.settimeout(3)
            closed_at = time.time() if trickle.recv(100) == b"" else None
        except OSError:
            closed_at = time.time()
    tap.ok(closed_at is not None and closed_at - t_start < 4.5,
        "a peer trickling a header byte by byte is cut off near the timeout (2 s)",
        None if closed_at is None else closed_at - t_start)
    for s in idle:
        s.close()
    trickle.close()

    def served():
        try:
            return get(port, timeout=2)[0] == 200
        except OSError:
            return False
    tap.ok(harness.wait_for(served, 10, "a scrape after the hostile peers"), "then a scrape is served")
    d.cleanup()


def test_unix(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), always_active=ACTIVE, start=False)
    path = os.path.join(d.dir, "metrics.sock")
    d.extra = "[metrics]\nlisten = %s\n" % path
    d.write_config()
    d.start()
    d.wait_seeded()
    mode = stat.S_IMODE(os.stat(path).st_mode)
    tap.eq(oct(mode), oct(0o660), "the metrics socket is made 0660")
    c = UnixHTTPConnection(path)
    c.request("GET", "/metrics")
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    types, samples = parse(body)
    tap.eq((r.status, value(samples, "modelreg_models", status="active")), (200, 3.0),
        "GET /metrics over the UNIX socket")
    tap.eq(listening_tcp_ports(d.pid), [], "and no TCP port is open")
    d.stop()
    tap.ok(not os.path.exists(path), "the socket node is removed at stop")
    d.cleanup()


def test_reload(tap):
    d, port = metrics_daemon()
    tap.eq(get(port)[0], 200, "served on the first port")
    port2 = free_port()
    d.extra = "[metrics]\nlisten = 127.0.0.1:%d\n" % port2
    d.write_config()
    d.reload()
    tap.ok(harness.wait_for(lambda: listening_tcp_ports(d.pid) == [port2], 10, "the new port"),
        "after a reload it listens on the new port only")
    tap.eq(get(port2)[0], 200, "and serves there")
    d.extra = ""
    d.write_config()
    d.reload()
    tap.ok(harness.wait_for(lambda: listening_tcp_ports(d.pid) == [], 10, "no port"),
        "a reload without [metrics] closes it")
    d.cleanup()


def run(tap):
    for fn in (test_off_by_default, test_families, test_zdr_uptime, test_max_models, test_escaping, test_http,
               test_config_check, test_hostile, test_unix, test_reload):
        tap.diag(fn.__name__)
        try:
            fn(tap)
        except Exception:
            import traceback
            tap.ok(False, "%s ran to the end" % fn.__name__, traceback.format_exc())
        harness.cleanup_all()


if __name__ == "__main__":
    harness.main(run)
