# test_systemd.py: socket activation, sd_notify (READY, STATUS, RELOADING, STOPPING, WATCHDOG) on a NOTIFY_SOCKET the test listens on, stale and live socket nodes.
import os
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import time

import harness
from harness import MODELREGD

CATALOG = harness.data_path("catalog-mistral.json")


class NotifySocket:
    """An AF_UNIX datagram socket standing in for systemd's notification socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(path)
        self.msgs = []          # (pid or None, {key: value}, raw text)

    def _recv(self, timeout):
        r, _, _ = select.select([self.sock], [], [], max(0, timeout))
        if not r:
            return False
        data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = None
        for level, typ, cdata in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = int.from_bytes(cdata[0:4], "little")
        text = data.decode("utf-8", "replace")
        kv = {}
        for line in text.split("\n"):
            if "=" in line:
                k, v = line.split("=", 1)
                kv[k] = v
        self.msgs.append((pid, kv, text))
        return True

    def drain(self, timeout=0.0):
        deadline = time.monotonic() + timeout
        while self._recv(deadline - time.monotonic()):
            pass

    def wait(self, key, value=None, timeout=10, start=0):
        """Index of the first message from index start that sets key (to value); None at the deadline."""
        deadline = time.monotonic() + timeout
        i = start
        while True:
            while i < len(self.msgs):
                kv = self.msgs[i][1]
                if key in kv and (value is None or kv[key] == value):
                    return i
                i += 1
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._recv(left)

    def keys(self, start=0):
        """Every KEY=VALUE assignment from message index start on, in order."""
        return ["%s=%s" % kv for m in self.msgs[start:] for kv in m[1].items()]

    def close(self):
        self.sock.close()


class WrappedDaemon(harness.Daemon):
    """A Daemon started through a launcher (argv prefix) instead of directly."""

    prefix = []

    def start(self, wait=True):
        if self.proc is not None and self.proc.poll() is None:
            raise harness.HarnessError("daemon already running")
        self._log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(self.prefix + [MODELREGD, "-c", self.conf] + self.args,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            env=self._env(), close_fds=True)
        if wait:
            self.wait_ready()


def ping(path, timeout=5):
    try:
        with harness.RawConn(path, timeout=timeout) as c:
            return c.request("PING", timeout=timeout)[0]
    except (OSError, harness.HarnessError) as e:
        return "error: %s" % e


def test_socket_activation(tap):
    if shutil.which("systemd-socket-activate") is None:
        tap.skip("socket activation", "systemd-socket-activate is not installed")
        return
    d = WrappedDaemon(seed_url=harness.file_url(CATALOG), start=False)
    own = d.sock            # [daemon] socket in the config
    act = os.path.join(d.dir, "activated.sock")
    d.sock = act            # the harness's clients use the passed socket
    ns = NotifySocket(os.path.join(d.dir, "notify"))
    d.prefix = ["systemd-socket-activate", "-l", act,
        "-E", "NOTIFY_SOCKET=" + ns.path]
    d.start(wait=False)
    harness.wait_for(lambda: os.path.exists(act) or not d.alive(), 10,
        "systemd-socket-activate to bind its socket")
    tap.ok(os.path.exists(act), "systemd-socket-activate listens on its socket")
    # The first connection makes systemd-socket-activate exec modelregd with the fd.
    with harness.RawConn(act, timeout=10) as c:
        st, _ = c.request("PING", timeout=15)
        tap.eq(st, "OK 1", "PING through the socket systemd passed")
        st, recs = c.request("WHOAMI", timeout=10)
        tap.eq((st, recs and harness.parse_logfmt(recs[0]).get("role")), ("OK 1", "admin"),
            "WHOAMI on the passed socket: root is admin")
    tap.ok(not os.path.exists(own),
        "the daemon did not create its own socket at [daemon] socket")
    i = ns.wait("READY", "1", timeout=10)
    tap.ok(i is not None, "READY=1 arrives on NOTIFY_SOCKET under socket activation", ns.keys())
    if i is not None:
        tap.eq(ns.msgs[i][0], d.pid, "READY=1 comes from the daemon's pid (exec'd in place)")
    tap.eq(ping(act), "OK 1", "a second connection is served too")
    d.wait_seeded()
    tap.eq(d.status()[0].get("models"), "6",
        "the socket-activated daemon seeded and serves the registry")
    n = len(ns.msgs)
    d.proc.send_signal(signal.SIGTERM)
    rc = d.proc.wait(15)
    tap.eq(rc, 0, "SIGTERM: the socket-activated daemon exits 0")
    tap.ok(ns.wait("STOPPING", "1", timeout=2, start=n) is not None,
        "STOPPING=1 on SIGTERM", ns.keys(n))
    tap.ok(os.path.exists(act),
        "the daemon does not unlink a socket it did not create")
    ns.close()
    d.cleanup()


def test_notify(tap):
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), start=False)
    ns = NotifySocket(os.path.join(d.dir, "notify"))
    d.env["NOTIFY_SOCKET"] = ns.path
    d.start(wait=False)
    i = ns.wait("READY", "1", timeout=15)
    tap.ok(i is not None, "READY=1 arrives on NOTIFY_SOCKET", ns.keys())
    if i is None:
        ns.close()
        return
    # Nothing may wait between READY=1 and a working socket: connect once, no retry.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(10)
        s.connect(d.sock)
        s.sendall(b"PING\n")
        data = b""
        while b"\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        tap.eq(data.split(b"\n")[0], b"OK 1", "once READY=1 is sent the socket already answers")
    except OSError as e:
        tap.ok(False, "once READY=1 is sent the socket already answers", str(e))
    finally:
        s.close()
    tap.eq(ns.msgs[i][0], d.pid, "READY=1 comes from the daemon's pid")
    tap.ok(any("STATUS" in m[1] and m[1]["STATUS"] for m in ns.msgs[:i + 1]),
        "a STATUS= line comes with or before READY=1", ns.keys())
    d.wait_seeded()

    # SIGHUP: RELOADING=1, then READY=1.
    n = len(ns.msgs)
    d.reload()
    r = ns.wait("RELOADING", "1", timeout=10, start=n)
    tap.ok(r is not None, "SIGHUP: RELOADING=1", ns.keys(n))
    if r is not None:
        tap.ok(ns.wait("READY", "1", timeout=10, start=r) is not None,
            "SIGHUP: READY=1 after RELOADING=1", ns.keys(n))

    # RELOAD through the socket likewise.
    n = len(ns.msgs)
    p = d.ctl("reload")
    tap.eq(p.returncode, 0, "modelregctl reload exits 0")
    r = ns.wait("RELOADING", "1", timeout=10, start=n)
    tap.ok(r is not None and ns.wait("READY", "1", timeout=10, start=r) is not None,
        "RELOAD: RELOADING=1 then READY=1", ns.keys(n))

    # A refused reload still ends in READY=1 (the old config serves).
    d.write_config(d.config_text() + "[nonsense]\n")
    n = len(ns.msgs)
    d.reload()
    r = ns.wait("RELOADING", "1", timeout=10, start=n)
    tap.ok(r is not None and ns.wait("READY", "1", timeout=10, start=r) is not None,
        "a refused SIGHUP reload: RELOADING=1 then READY=1", ns.keys(n))
    tap.eq(ping(d.sock), "OK 1", "the daemon serves after the refused reload")
    d.write_config()

    n = len(ns.msgs)
    tap.eq(d.stop(), 0, "SIGTERM: exit 0")
    tap.ok(ns.wait("STOPPING", "1", timeout=2, start=n) is not None,
        "STOPPING=1 on SIGTERM", ns.keys(n))
    tap.ok(not os.path.exists(d.sock), "the daemon removes the socket it created when it stops")
    ns.close()
    d.cleanup()


def count_watchdog(ns, start):
    return sum(1 for m in ns.msgs[start:] if m[1].get("WATCHDOG") == "1")


def test_watchdog(tap):
    # WATCHDOG_USEC alone: pings at least every 250 ms.
    d = harness.Daemon(start=False)
    ns = NotifySocket(os.path.join(d.dir, "notify"))
    d.env.update({"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "500000"})
    d.start(wait=False)
    i = ns.wait("READY", "1", timeout=15)
    tap.ok(i is not None, "watchdog: READY=1", ns.keys())
    ns.drain(1.6)
    n = count_watchdog(ns, 0)
    tap.ok(n >= 4, "WATCHDOG_USEC=500000: WATCHDOG=1 pings arrive (%d in ~1.6 s)" % n, ns.keys())
    tap.ok(all(m[0] in (None, d.pid) for m in ns.msgs if "WATCHDOG" in m[1]),
        "the pings come from the daemon's pid")
    tap.eq(d.stop(), 0, "watchdog daemon stops cleanly")
    ns.close()
    d.cleanup()

    # WATCHDOG_PID naming the daemon (set by a wrapper that execs it): pings.
    d = WrappedDaemon(start=False)
    d.prefix = ["/bin/sh", "-c", 'WATCHDOG_PID=$$; export WATCHDOG_PID; exec "$@"', "sh"]
    ns = NotifySocket(os.path.join(d.dir, "notify"))
    d.env.update({"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "500000"})
    d.start(wait=False)
    i = ns.wait("READY", "1", timeout=15)
    tap.ok(i is not None, "WATCHDOG_PID=own pid: READY=1", ns.keys())
    ns.drain(1.6)
    n = count_watchdog(ns, 0)
    tap.ok(n >= 4, "WATCHDOG_PID=own pid: WATCHDOG=1 pings arrive (%d in ~1.6 s)" % n, ns.keys())
    tap.eq(d.stop(), 0, "wrapped daemon stops cleanly")
    ns.close()
    d.cleanup()

    # WATCHDOG_PID naming another process: the watchdog is not for us.
    d = harness.Daemon(start=False)
    ns = NotifySocket(os.path.join(d.dir, "notify"))
    d.env.update({"NOTIFY_SOCKET": ns.path, "WATCHDOG_USEC": "500000",
        "WATCHDOG_PID": "1"})
    d.start(wait=False)
    i = ns.wait("READY", "1", timeout=15)
    tap.ok(i is not None, "WATCHDOG_PID=1: READY=1", ns.keys())
    ns.drain(1.0)
    tap.eq(count_watchdog(ns, 0), 0, "WATCHDOG_PID of another process: no WATCHDOG=1")
    tap.eq(d.stop(), 0, "that daemon stops cleanly")
    ns.close()
    d.cleanup()


def test_stale_socket(tap):
    d = harness.Daemon(start=False, socket_mode="0640")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(d.sock)
    s.close()
    st0 = os.stat(d.sock)
    tap.ok(stat.S_ISSOCK(st0.st_mode), "a stale socket node exists before start")
    tap.ok(ping(d.sock, timeout=1).startswith("error"), "nothing answers on it")
    d.start()
    tap.eq(ping(d.sock), "OK 1", "the daemon replaced the stale socket node and answers")
    st1 = os.stat(d.sock)
    tap.eq(oct(stat.S_IMODE(st1.st_mode)), oct(0o640), "the socket has [daemon] socket_mode")

    # A second daemon on the same path: the live socket is not stolen.
    d2 = harness.Daemon(start=False)
    d2.write_config(d2.config_text().replace("socket = %s\n" % d2.sock,
        "socket = %s\n" % d.sock))
    try:
        p = subprocess.run([MODELREGD, "-c", d2.conf], stdin=subprocess.DEVNULL,
            capture_output=True, text=True, errors="replace", env=d2._env(), timeout=20)
        rc, out = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        rc, out = None, "still running after 20 s"
    tap.ok(rc not in (0, None), "a second daemon on a live socket refuses to start",
        "exit %r: %s" % (rc, out))
    tap.like(out, r"(?i)%s.*(in use|answer|running|another|listen)|(in use|answer|running|another|listen).*%s"
        % (re.escape(d.sock), re.escape(d.sock)),
        "with a clear error naming the socket")
    tap.ok(os.path.exists(d.sock) and os.stat(d.sock).st_ino == st1.st_ino,
        "the first daemon's socket node is untouched")
    tap.eq(ping(d.sock), "OK 1", "the first daemon still answers")
    tap.eq(d.stop(), 0, "the first daemon stops cleanly")
    d.cleanup()
    d2.cleanup()


def test_activation_refused(tap):
    """A passed socket the daemon cannot use safely (no peer credentials, or several) is refused."""
    if shutil.which("systemd-socket-activate") is None:
        tap.skip("activation with a wrong socket", "systemd-socket-activate is not installed")
        return
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    d = WrappedDaemon(start=False)
    for what, listen, connect, why in (
            ("a TCP socket", ["-l", "127.0.0.1:%d" % port], ("tcp", ("127.0.0.1", port)),
                r"(?i)AF_UNIX|unix"),
            ("two sockets", ["-l", os.path.join(d.dir, "a.sock"), "-l",
                os.path.join(d.dir, "b.sock")], ("unix", os.path.join(d.dir, "a.sock")),
                r"(?i)\b2 sockets|expected one|more than one")):
        d.prefix = ["systemd-socket-activate"] + listen
        logpos = len(d.log_text())
        d.start(wait=False)
        fam = socket.AF_INET if connect[0] == "tcp" else socket.AF_UNIX
        def connected():
            s = socket.socket(fam, socket.SOCK_STREAM)
            try:
                s.connect(connect[1])
                return s
            except OSError:
                s.close()
                return None
        try:
            s = harness.wait_for(connected, 10, "systemd-socket-activate to listen")
        except harness.HarnessError as e:
            tap.ok(False, "activation with %s: systemd-socket-activate listens" % what, str(e))
            d.stop()
            continue
        try:
            rc = d.proc.wait(15)
        except subprocess.TimeoutExpired:
            rc = None
        s.close()
        d.stop()
        tap.ok(rc not in (0, None), "activation with %s: the daemon refuses to start" % what,
            "exit %r" % rc)
        tap.like(d.log_text()[logpos:], why, "activation with %s: the log says why" % what)
        tap.ok(not os.path.exists(d.sock), "activation with %s: no socket of its own either" % what)
    d.cleanup()


def run(tap):
    test_notify(tap)
    test_socket_activation(tap)
    test_activation_refused(tap)
    test_watchdog(tap)
    test_stale_socket(tap)


harness.main(run)
