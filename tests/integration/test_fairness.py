# test_fairness.py: connection slots (request and idle timeouts, the per-uid limit, slots kept for admins and root), fair service between clients, and replies that stream.
import json
import os
import select
import signal
import socket
import time

import harness

CATALOG = harness.data_path("catalog-mistral.json")
NOBODY = (65534, 65534)
DAEMONU = (1, 1)
ACCESS = {"admin": ["root"], "viewer": ["*"]}


def connect_as(path, ids):
    """A connection whose peer credentials are ids (uid, gid): made in a child that drops to them, handed back over SCM_RIGHTS."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            a.close()
            os.setgroups([])
            os.setgid(ids[1])
            os.setuid(ids[0])
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            socket.send_fds(b, [b"x"], [s.fileno()])
            code = 0
        finally:
            os._exit(code)
    b.close()
    _, fds, _, _ = socket.recv_fds(a, 1, 1)
    a.close()
    os.waitpid(pid, 0)
    if not fds:
        raise harness.HarnessError("the child could not connect as %r" % (ids,))
    conn = harness.RawConn.__new__(harness.RawConn)
    conn.sock = socket.socket(fileno=fds[0])
    conn.sock.setblocking(False)
    conn.buf = b""
    conn.eof = False
    return conn


def daemon_conf(**keys):
    return "[daemon]\n" + "".join("%s = %s\n" % kv for kv in keys.items())


def test_slots(tap):
    """A viewer holding every slot it may take, trickling a byte and never a newline, does not keep root or another user out."""
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode="0666",
        access=ACCESS, extra=daemon_conf(max_clients=8, max_clients_per_uid=5,
        reserved_clients=2))
    held = []
    refused = None
    for i in range(8):
        c = connect_as(d.sock, NOBODY)
        got = c.pending(0.3)
        if got:
            refused = got
            c.close()
            break
        c.send(b"L")
        held.append(c)
    tap.eq(len(held), 5, "the viewer gets max_clients_per_uid (5) connections")
    tap.like((refused or b"").decode(), r"^ERR busy too many connections for this user\n",
        "its 7th gets ERR busy for this user")
    other = connect_as(d.sock, DAEMONU)
    st, _ = other.request("PING")
    tap.eq(st, "OK 1", "another uid still gets a slot")
    third = connect_as(d.sock, (2, 2))
    got = third.pending(0.5)
    tap.like(got.decode(), r"^ERR busy too many connections\n",
        "a third viewer is refused: the last 2 slots are kept for admins")
    third.close()
    for c in held:
        c.send(b"I")
    with harness.RawConn(d.sock) as r:
        st, _ = r.request("PING")
        tap.eq(st, "OK 1", "root gets in while viewers hold every other slot")
        st, recs = r.request("WHOAMI")
        tap.eq(recs[0:1] and harness.parse_logfmt(recs[0]).get("role"), "admin",
            "as admin")
    for c in held:
        c.close()
    other.close()
    # Once they are gone, the slots are free again.
    def free():
        with connect_as(d.sock, NOBODY) as c:
            try:
                st, _ = c.request("PING", timeout=2)
            except (OSError, harness.HarnessError):
                return False
            return st == "OK 1"
    d.wait_for(free, what="a slot for the viewer after the others closed")
    # The wait found a free slot once; a second connection must get one too.
    tap.ok(free(), "the viewer gets a slot again once its connections close")
    d.cleanup()


def test_request_timeout(tap):
    """A half line is closed after request_timeout, with an ERR line first; a complete request in time is not."""
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode="0666",
        access=ACCESS, extra=daemon_conf(request_timeout=1, idle_timeout=600))
    slow = connect_as(d.sock, NOBODY)
    t0 = time.monotonic()
    slow.send(b"LI")
    line = slow.recv_line(timeout=10)
    tap.like(line or "", r"^ERR timeout request line not completed within 1s, closing$",
        "a half line gets ERR timeout")
    tap.ok(slow.is_closed(5), "and the connection is closed")
    tap.ok(time.monotonic() - t0 < 8, "well before a generous deadline")
    slow.close()
    # A trickle does not reset the count: one byte at a time, no newline.
    trickle = connect_as(d.sock, NOBODY)
    deadline = time.monotonic() + 10
    closed = False
    while time.monotonic() < deadline:
        try:
            trickle.sock.send(b"P")
        except OSError:
            closed = True
            break
        if trickle.pending(0.3).startswith(b"ERR timeout"):
            closed = trickle.is_closed(5)
            break
    tap.ok(closed, "a byte every 0.3s without a newline is still closed")
    trickle.close()
    with harness.RawConn(d.sock) as r:
        r.send(b"PI")
        time.sleep(0.2)
        st, _ = r.request("NG")
        tap.eq(st, "OK 1", "a line completed in time is answered")
    d.cleanup()


def test_idle_timeout(tap):
    """An idle connection is closed after idle_timeout; a WATCH is not, nor one that keeps asking."""
    # Seeded first: the seed runs on a worker now, and its seed.done must not reach the WATCH.
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode="0666",
        access=ACCESS, extra=daemon_conf(idle_timeout=2), wait_seed=True)
    idle = harness.RawConn(d.sock)
    watch = harness.RawConn(d.sock)
    st, _ = watch.request("WATCH")
    tap.eq(st, "OK 0", "WATCH starts")
    busy = harness.RawConn(d.sock)
    t0 = time.monotonic()
    answered = 0
    while time.monotonic() - t0 < 3.5:
        st, _ = busy.request("PING")
        answered += st == "OK 1"
        time.sleep(0.5)
    line = idle.recv_line(timeout=10)
    tap.like(line or "", r"^ERR timeout idle for 2s, closing$", "the idle one gets ERR timeout")
    tap.ok(idle.is_closed(5), "and is closed")
    tap.eq(watch.pending(0.2), b"", "the watcher got nothing (no timeout line)")
    tap.ok(not watch.is_closed(0.2), "the watcher stays connected past idle_timeout")
    st, _ = busy.request("PING")
    tap.eq((st, answered >= 6), ("OK 1", True), "a client that keeps asking stays")
    idle.close()
    watch.close()
    busy.close()
    # QUIT after replies it never reads: the slot is not held for ever.
    d.wait_for(lambda: int(status_daemon(d)["clients"]) == 1, 10, "the others to go")
    quitter = harness.RawConn(d.sock)
    quitter.send(b"LIST status=all\n" * 300 + b"QUIT\n")
    d.wait_for(lambda: int(status_daemon(d)["unread_bytes"]) > 0, 10, "replies queued for it")
    gone = d.wait_for(lambda: int(status_daemon(d)["clients"]) == 1, 15,
        "the quitter that does not read to be closed")
    tap.ok(gone, "a client that QUITs without reading its replies is closed after idle_timeout")
    quitter.close()
    d.cleanup()


def sanitized(pid):
    """Is the daemon built with AddressSanitizer? Its shadow memory makes RSS mean nothing."""
    try:
        with open("/proc/%d/maps" % pid) as f:
            return "libasan" in f.read()
    except OSError:
        return False


def rss_check(tap, d, grown_kib, limit_mib, name):
    if sanitized(d.pid):
        tap.skip(name, "the daemon runs under AddressSanitizer")
    else:
        tap.ok(grown_kib < limit_mib * 1024, name, "%d KiB" % grown_kib)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise harness.HarnessError("no VmRSS for %d" % pid)


def flood(conn, req):
    """Pipeline req until the socket takes no more; never read."""
    data = req * (65536 // len(req))
    sent = 0
    while True:
        try:
            n = conn.sock.send(data)
        except (BlockingIOError, InterruptedError):
            return sent
        sent += n


def status_daemon(d):
    st, recs = d.request("STATUS")
    return recs[0]


def test_fair(tap):
    """Connections pipelining LIST and never reading: another client's PING is answered, timers still fire, and all unread replies together stay near reply_budget."""
    budget = 2 * 1024 * 1024
    nflood = 20
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode="0666",
        access=ACCESS, extra=daemon_conf(reply_budget="2M", request_timeout=1,
        max_clients_per_uid=64), wait_seed=True)
    base = rss_kib(d.pid)
    st, recs = d.request_lines("LIST status=all")
    one = sum(len(r) + 1 for r in recs)
    tap.ok(one * 4000 * nflood > 20 * budget, "the flood asks for far more than the budget",
        "one LIST is %d bytes" % one)
    hogs = [connect_as(d.sock, NOBODY) for _ in range(nflood)]
    for h in hogs:
        flood(h, b"LIST status=all\n")
    half = harness.RawConn(d.sock)
    half.send(b"PIN")
    t0 = time.monotonic()
    with harness.RawConn(d.sock) as r:
        st, _ = r.request("PING", timeout=10)
    tap.eq(st, "OK 1", "a PING from another client is answered during the flood")
    line = half.recv_line(timeout=10)
    tap.like(line or "", r"^ERR timeout", "a timer (request_timeout) still fires during the flood")
    half.close()
    # The hogs fill their share: wait until the budget is reached, then a while longer.
    d.wait_for(lambda: int(status_daemon(d)["unread_bytes"]) >= budget, 20,
        "the unread replies to reach the budget")
    peak = 0
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        peak = max(peak, int(status_daemon(d)["unread_bytes"]))
        time.sleep(0.1)
    bound = budget + nflood * 512 * 1024
    tap.ok(peak < bound, "unread replies stay under the budget plus a little per client",
        "peak %d, bound %d (without the budget: up to %d)" % (peak, bound, nflood * 4 << 20))
    grown = rss_kib(d.pid) - base
    rss_check(tap, d, grown, 40, "the daemon's RSS grew less than 40 MiB")
    # A hog that starts reading gets every reply it asked for, in order.
    h = hogs.pop()
    st, recs = h.read_reply(10)
    tap.eq((st, len(recs)), ("OK %d" % len(recs), len(recs)), "a hog that reads gets whole replies")
    for h in hogs:
        h.close()
    d.wait_for(lambda: int(status_daemon(d)["clients"]) <= 2, 10, "the hogs to go")
    tap.ok(int(status_daemon(d)["unread_bytes"]) < 64 * 1024,
        "their unread replies are released when they close")
    d.cleanup()


def watchdog_times(sock, until):
    """The arrival times of WATCHDOG=1 datagrams on sock until the monotonic time until."""
    times = []
    while True:
        left = until - time.monotonic()
        if left <= 0:
            return times
        r, _, _ = select.select([sock], [], [], left)
        if r and b"WATCHDOG=1" in sock.recv(4096).split(b"\n"):
            times.append(time.monotonic())


def test_watchdog_flood(tap):
    """With NOTIFY_SOCKET and WATCHDOG_USEC, clients that pipeline LIST and never read, and others that flood PINGs, do not stop the watchdog pings (no gap reaches WATCHDOG_USEC, the point where systemd would kill the daemon) nor the request timer."""
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode="0666",
        access=ACCESS, extra=daemon_conf(reply_budget="2M", request_timeout=1,
        max_clients_per_uid=64), start=False)
    npath = os.path.join(d.dir, "notify")
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(npath)
    d.env.update({"NOTIFY_SOCKET": npath, "WATCHDOG_USEC": "2000000"})
    d.start()
    d.wait_seeded(timeout=30)
    hogs = [connect_as(d.sock, NOBODY) for _ in range(20)]
    for h in hogs:
        flood(h, b"LIST status=all\n")
    pingers = [connect_as(d.sock, NOBODY) for _ in range(5)]
    half = harness.RawConn(d.sock)
    half.send(b"PIN")
    t0 = time.monotonic()
    times = []
    end = t0 + 5
    while time.monotonic() < end:
        for p in pingers:
            flood(p, b"PING\n")
            try:
                p.sock.recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                pass
        times += watchdog_times(ns, min(end, time.monotonic() + 0.05))
    gaps = [b - a for a, b in zip([t0] + times, times + [time.monotonic()])]
    tap.ok(len(times) >= 3 and max(gaps) < 2.0,
        "watchdog pings go on during the flood, no gap of WATCHDOG_USEC (2 s)",
        "%d pings, largest gap %.2f s" % (len(times), max(gaps)))
    line = half.recv_line(timeout=10)
    tap.like(line or "", r"^ERR timeout", "the request timer fired during the flood too")
    with harness.RawConn(d.sock) as r:
        tap.eq(r.request("PING", timeout=10)[0], "OK 1", "and another client's PING is answered")
    for c in hogs + pingers + [half]:
        c.close()
    ns.close()
    d.cleanup()


def test_turn_bound(tap):
    """One connection pipelines thousands of requests with large replies; another's PING, sent after them, is served in the next turns, not after the whole batch: at its answer the first has at most a few turns' replies queued. The daemon is stopped while both send, so both are ready when it resumes, the first one first."""
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), wait_seed=True)
    st, recs = d.request_lines("HELP")
    one = sum(len(r) + 1 for r in recs) + 8
    n = 5000
    tap.ok(st.startswith("OK") and one * n > 8 * 1024 * 1024,
        "the batch asks for far more than the 4 MiB backlog mark", "HELP is %d bytes" % one)
    first = harness.RawConn(d.sock)
    second = harness.RawConn(d.sock)
    tap.eq(second.request("PING")[0], "OK 1", "both connected")
    os.kill(d.pid, signal.SIGSTOP)
    try:
        sent = 0
        data = b"HELP\n" * n
        first.sock.setblocking(True)
        first.sock.settimeout(5)
        first.sock.sendall(data)
        time.sleep(0.05)
        second.send(b"PING\nSTATUS\n")
    finally:
        os.kill(d.pid, signal.SIGCONT)
    st, _ = second.read_reply(20)
    tap.eq(st, "OK 1", "the second connection's PING is answered while the first's batch is unanswered")
    st, recs = second.read_reply(20)
    queued = int(harness.parse_logfmt(recs[0])["unread_bytes"]) if st.startswith("OK") else -1
    tap.ok(0 <= queued < 1024 * 1024,
        "the first had under 1 MiB of its replies queued then (a turn is 16 requests or 256 KiB)",
        "unread_bytes %d; without the bound a turn runs to the 4 MiB mark" % queued)
    # The first still gets every reply, in order.
    first.sock.settimeout(20)
    raw = b"\n"
    deadline = time.monotonic() + 60
    while raw.count(b"\nOK ") < n and time.monotonic() < deadline:
        chunk = first.sock.recv(1 << 20)
        if not chunk:
            break
        raw += chunk
    got = raw.count(b"\nOK ")
    tap.eq(got, n, "the first connection gets all %d replies" % n)
    first.close()
    second.close()
    d.cleanup()


def test_noread_ping(tap, d, nmodels):
    """Ten clients start a LIST of the whole registry and never read: they hold their backlogs (a few hundred KiB each, not the reply), and PINGs on another connection are answered meanwhile."""
    base = rss_kib(d.pid)
    hogs = []
    for _ in range(10):
        h = harness.RawConn(d.sock)
        h.send(b"LIST status=all\n")
        hogs.append(h)
    d.wait_for(lambda: int(status_daemon(d)["unread_bytes"]) >= 10 * 64 * 1024, 20,
        "the ten backlogs to fill")
    answered = 0
    with harness.RawConn(d.sock) as p:
        for _ in range(50):
            st, _ = p.request("PING", timeout=10)
            if st != "OK 1":
                break
            answered += 1
    tap.eq(answered, 50, "50 PINGs on another connection are answered while the ten hold their backlogs")
    unread = int(status_daemon(d)["unread_bytes"])
    tap.ok(unread < 10 * 512 * 1024, "the ten hold under 512 KiB each, not their replies",
        "unread %d" % unread)
    grown = rss_kib(d.pid) - base
    rss_check(tap, d, grown, 24, "the daemon's RSS grew less than 24 MiB")
    for h in hogs:
        h.close()
    d.wait_for(lambda: int(status_daemon(d)["clients"]) == 1, 10, "the ten to go")


def big_catalog(path, n):
    """An OpenRouter-shaped catalog of n models."""
    data = []
    for i in range(n):
        data.append({"id": "prov%d/model-%05d" % (i % 7, i), "name": "Model %05d" % i,
            "description": "A generated model number %d for the streaming test." % i,
            "context_length": 4096 + i, "architecture": {"modality": "text->text",
            "input_modalities": ["text"], "output_modalities": ["text"]},
            "pricing": {"prompt": "0.000001", "completion": "0.000002"},
            "supported_parameters": ["tools"]})
    with open(path, "w") as f:
        json.dump({"data": data}, f)


def slow_read(d, request, nlines):
    """Send request and read nlines lines back in small pieces with pauses; (lines, peak unread_bytes seen meanwhile)."""
    conn = harness.RawConn(d.sock)
    conn.send(request)
    conn.sock.setblocking(True)
    conn.sock.settimeout(10)
    raw = b""
    peak = 0
    chunks = 0
    deadline = time.monotonic() + 120
    while raw.count(b"\n") < nlines and time.monotonic() < deadline:
        got = conn.sock.recv(8192)
        if not got:
            break
        raw += got
        chunks += 1
        if chunks % 32 == 0:
            peak = max(peak, int(status_daemon(d)["unread_bytes"]))
        time.sleep(0.001)
    conn.close()
    return raw.decode("utf-8", "surrogateescape").split("\n")[:nlines], peak


def test_stream_log(tap, d):
    """EVENTS and AUDIT stream the same way (the seed wrote an audit row per model): a slow read equals a fast one. Their limit= caps them at 10,000 rows, about 1 MB here, too little for a memory check to tell streamed from buffered; LIST's check covers the mechanism."""
    for verb, least in (("EVENTS limit=10000", 1), ("AUDIT limit=10000", 10000)):
        st, fast = d.request_lines(verb, timeout=60)
        n = len(fast)
        tap.ok(st == "OK %d" % n and n >= least, "%s: a fast read gets %d rows" % (verb, n), st)
        lines, _ = slow_read(d, verb.encode() + b"\nPING\n", n + 2)
        tap.eq((lines[:1], lines[1:n + 1] == fast, lines[n + 1:]), (["OK %d" % n], True, ["OK 1"]),
            "%s: a slow read gets the same rows, then the pipelined PING" % verb)


def test_stream(tap):
    """A 20k-model LIST read slowly comes whole, identical to a fast read, from one snapshot, while the daemon holds only a little of it."""
    nmodels = 20000
    d = harness.Daemon(start=False)
    path = os.path.join(d.dir, "big.json")
    big_catalog(path, nmodels)
    d.seed_url = harness.file_url(path)
    d.seed_format = "openrouter"
    d.timeout = 60
    d.write_config()
    d.start()
    d.wait_seeded(timeout=120)
    st, fast = d.request_lines("LIST status=all", timeout=60)
    tap.eq((st, len(fast)), ("OK %d" % nmodels, nmodels), "a fast client gets all %d models" % nmodels)
    size = sum(len(x) + 1 for x in fast)
    base = rss_kib(d.pid)
    slow = harness.RawConn(d.sock)
    slow.send(b"LIST status=all\nPING\n")
    status = slow.recv_line(10)
    tap.eq(status, "OK %d" % nmodels, "the slow client's status line gives the count at once")
    # A change while the reply is being read: the stream is of the snapshot before it.
    last = harness.parse_logfmt(fast[-1])["id"]
    st, _ = d.request("DELETE %s" % last)
    tap.eq(st, "OK 1", "a model the stream has not reached yet is deleted meanwhile")
    peak = 0
    lines = []
    raw = slow.buf
    slow.buf = b""
    slow.sock.setblocking(True)
    slow.sock.settimeout(10)
    deadline = time.monotonic() + 120
    chunks = 0
    while raw.count(b"\n") < nmodels + 2 and time.monotonic() < deadline:
        got = slow.sock.recv(16384)
        if not got:
            break
        raw += got
        chunks += 1
        if chunks % 64 == 0:
            peak = max(peak, int(status_daemon(d)["unread_bytes"]))
        time.sleep(0.001)
    lines = raw.decode("utf-8", "surrogateescape").split("\n")
    tap.eq(len(lines) >= nmodels + 2 and lines[:nmodels] == fast, True,
        "the slow client's records are the fast client's, in order, the deleted model included",
        "got %d lines" % len(lines))
    tap.eq(lines[nmodels:nmodels + 1], ["OK 1"], "the pipelined PING is answered after the whole reply")
    tap.ok(peak < 2 * 1024 * 1024, "the daemon held under 2 MiB of the %d-byte reply at a time" % size,
        "peak unread %d" % peak)
    grown = rss_kib(d.pid) - base
    rss_check(tap, d, grown, 16, "the daemon's RSS grew less than 16 MiB while streaming it")
    slow.close()
    st, after = d.request_lines("LIST status=all", timeout=60)
    tap.eq(st, "OK %d" % (nmodels - 1), "a LIST after the change no longer has it")
    test_stream_log(tap, d)
    # A slow reader that stops and goes frees its cursor.
    quitter = harness.RawConn(d.sock)
    quitter.send(b"LIST status=all\n")
    tap.eq(quitter.recv_line(10), "OK %d" % (nmodels - 1), "another slow reader starts")
    quitter.close()
    d.wait_for(lambda: int(status_daemon(d)["clients"]) == 1, 10, "the quitter to go")
    tap.ok(int(status_daemon(d)["unread_bytes"]) < 64 * 1024, "its reply is dropped with it")
    tap.ok(d.alive(), "the daemon is fine")
    test_stream_page(tap, d)
    test_noread_ping(tap, d, nmodels)
    d.cleanup()


def test_stream_page(tap, d):
    """A page (limit=) is streamed too: its count, next= included, at once; its rows from one snapshot; little held."""
    page = 10000
    st, fast = d.request_lines("LIST status=all limit=%d" % page, timeout=60)
    tap.eq((st, len(fast), fast[-1].startswith("next=")), ("OK %d" % (page + 1), page + 1, True),
        "a fast client gets a page of %d and its next= record, counted" % page)
    slow = harness.RawConn(d.sock)
    slow.send(b"LIST status=all limit=%d\nPING\n" % page)
    tap.eq(slow.recv_line(10), "OK %d" % (page + 1), "the slow page's status line counts the next= record")
    victim = harness.parse_logfmt(fast[page - 2])["id"]
    st, _ = d.request("DELETE %s" % victim)
    tap.eq(st, "OK 1", "a row near the page's end is deleted meanwhile")
    raw = slow.buf
    slow.buf = b""
    slow.sock.setblocking(True)
    slow.sock.settimeout(10)
    peak = 0
    chunks = 0
    deadline = time.monotonic() + 120
    while raw.count(b"\n") < page + 2 and time.monotonic() < deadline:
        got = slow.sock.recv(16384)
        if not got:
            break
        raw += got
        chunks += 1
        if chunks % 32 == 0:
            peak = max(peak, int(status_daemon(d)["unread_bytes"]))
        time.sleep(0.001)
    lines = raw.decode("utf-8", "surrogateescape").split("\n")
    tap.eq(lines[:page + 1] == fast, True,
        "the slow page is the fast one, the deleted row and the same next= included",
        "got %d lines" % len(lines))
    tap.eq(lines[page + 1:page + 2], ["OK 1"], "the pipelined PING follows the page")
    size = sum(len(x) + 1 for x in fast)
    tap.ok(peak < 2 * 1024 * 1024, "the daemon held under 2 MiB of the %d-byte page at a time" % size,
        "peak unread %d" % peak)
    slow.close()


def test_catalog_stream(tap):
    """CATALOG is streamed the same way: whole records, the count first, pipelined requests after."""
    cat = harness.data_path("catalog-openrouter.json")
    d = harness.Daemon(seed_url=harness.file_url(CATALOG),
        extra="[catalog]\nurl = %s\nformat = openrouter\n" % harness.file_url(cat),
        wait_seed=True)
    want = len(json.load(open(cat))["data"])
    def listed():
        st, recs = d.request("CATALOG")
        return len(recs) == want and (st, recs)
    st, recs = d.wait_for(listed, 20, "the catalog to be fetched")
    tap.eq(st, "OK %d" % want, "CATALOG gives every entry")
    with harness.RawConn(d.sock) as r:
        r.send(b"CATALOG sort=context order=desc\nCATALOG search=nomatch-at-all\nPING\n")
        st1, l1 = r.read_reply()
        st2, l2 = r.read_reply()
        st3, _ = r.read_reply()
    ctx = [int(harness.parse_logfmt(x)["context_length"] or 0) for x in l1]
    tap.eq((st1, ctx == sorted(ctx, reverse=True)), ("OK %d" % want, True),
        "sorted and whole, pipelined")
    tap.eq((st2, l2, st3), ("OK 0", [], "OK 1"), "an empty streamed reply, then PING, in order")
    d.cleanup()


def test_config(tap):
    """The keys' bounds and the rules between them."""
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), start=False,
        extra=daemon_conf(max_clients=4, max_clients_per_uid=5))
    p = d.check_config()
    tap.eq(p.returncode, 0, "max_clients_per_uid over max_clients is no limit of its own", p.stderr)
    d.extra = daemon_conf(reserved_clients=1024)
    d.write_config()
    p = d.check_config()
    tap.like(p.stderr, r"reserved_clients.*1023", "reserved_clients is at most 1023")
    d.extra = daemon_conf(max_clients=4, reserved_clients=4)
    d.write_config()
    p = d.check_config()
    tap.like(p.stderr, r"reserved_clients \(4\) must be less than max_clients \(4\)",
        "reserved_clients must leave a slot")
    d.extra = daemon_conf(max_clients=4, request_timeout=0)
    d.write_config()
    p = d.check_config()
    tap.ok(p.returncode != 0, "request_timeout = 0 is refused", p.stderr)
    d.extra = daemon_conf(max_clients=2)
    d.write_config()
    p = d.check_config()
    tap.eq(p.returncode, 0, "max_clients alone, small, is valid (the others follow it)",
        p.stderr)
    d.cleanup()


def run(tap):
    if os.geteuid() != 0:
        tap.skip("fairness", "needs root (connections as other uids)")
        return
    test_config(tap)
    test_slots(tap)
    test_request_timeout(tap)
    test_idle_timeout(tap)
    test_fair(tap)
    test_turn_bound(tap)
    test_watchdog_flood(tap)
    test_catalog_stream(tap)
    test_stream(tap)


harness.main(run)
