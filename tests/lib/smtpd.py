# smtpd.py: a small SMTP server on loopback for the mail tests (standard library only): EHLO, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT; records messages; can refuse, drop or stall.
"""A threaded SMTP server on 127.0.0.1 (random port); the smtpd module is deprecated.

    srv = smtpd.Server()                       # started; stopped by harness.main()
    srv = smtpd.Server(user="u", password="p") # AUTH required (PLAIN or LOGIN)
    srv = smtpd.Server(tls=(certfile, keyfile))  # implicit TLS: smtps://
    url = srv.url()                            # "smtp://127.0.0.1:PORT"

Recorded: srv.messages, a list of dicts: mail_from, rcpt (list), data
(bytes, dot-unstuffed, CRLF kept), auth ((user, password) or None), time.
srv.sessions counts connections; srv.commands lists every command line
received (AUTH's secrets included: the test greps what the daemon wrote,
not this). wait_messages(n, timeout) -> list (TimeoutError when fewer).

Misbehaviour, switched at any time from any thread:
    srv.fail(stage, code=451, times=1, text=None)
        answer `code` instead of the normal reply at that stage, `times`
        times (None: until clear()); stages: "connect", "ehlo", "auth",
        "mail", "rcpt", "data" (the 354), "message" (after the final dot)
    srv.drop(stage, times=1)   close the connection at that stage
    srv.stall(stage, times=1)  never answer at that stage (until clear())
    srv.clear()                behave again
"""

import base64
import socket
import socketserver
import ssl
import threading
import time

try:
    import harness as _harness
except ImportError:  # used alone
    _harness = None

STAGES = ("connect", "ehlo", "auth", "mail", "rcpt", "data", "message")


class _Drop(Exception):
    pass


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def setup(self):
        srv = self.server.owner
        if srv.tls is not None:
            self.request = srv.tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def _send(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def _line(self):
        raw = self.rfile.readline(65536)
        if not raw:
            raise _Drop()
        return raw.rstrip(b"\r\n").decode("utf-8", "replace")

    def _gate(self, stage, normal):
        """The reply at stage: the misbehaviour set for it, else normal. False: connection ends."""
        srv = self.server.owner
        act = srv._take(stage)
        if act is None:
            if normal is not None:
                self._send(normal)
            return True
        kind, code, text = act
        if kind == "drop":
            raise _Drop()
        if kind == "stall":
            srv._stall_ev.wait(60)
            raise _Drop()
        self._send("%d %s" % (code, text or "temporarily refused by the test"))
        return False

    def handle(self):
        srv = self.server.owner
        with srv._lock:
            srv.sessions += 1
        try:
            self._session()
        except (_Drop, OSError, ssl.SSLError):
            pass

    def _session(self):
        srv = self.server.owner
        if not self._gate("connect", "220 modelreg-test ESMTP"):
            return
        mail_from, rcpt, auth = None, [], None
        authed = srv.user is None
        while True:
            line = self._line()
            with srv._lock:
                srv.commands.append(line)
            verb = line.split(" ", 1)[0].upper()
            arg = line[len(verb):].strip()
            if verb in ("EHLO", "HELO"):
                if srv._take("ehlo") is not None:
                    self._send("421 not now")
                    return
                self._send("250-modelreg-test")
                if srv.user is not None:
                    self._send("250-AUTH PLAIN LOGIN")
                self._send("250-8BITMIME")
                self._send("250 SIZE 10485760")
            elif verb == "AUTH":
                parts = arg.split()
                mech = parts[0].upper() if parts else ""
                if mech == "PLAIN":
                    resp = parts[1] if len(parts) > 1 else None
                    if resp is None:
                        self._send("334 ")
                        resp = self._line()
                    try:
                        _, u, p = base64.b64decode(resp).decode().split("\0")
                    except Exception:
                        self._send("501 bad PLAIN")
                        continue
                elif mech == "LOGIN":
                    if len(parts) > 1:
                        u = base64.b64decode(parts[1]).decode()
                    else:
                        self._send("334 VXNlcm5hbWU6")
                        u = base64.b64decode(self._line()).decode()
                    self._send("334 UGFzc3dvcmQ6")
                    p = base64.b64decode(self._line()).decode()
                else:
                    self._send("504 unknown mechanism")
                    continue
                if not self._gate("auth", None):
                    continue
                if (u, p) == (srv.user, srv.password):
                    authed, auth = True, (u, p)
                    self._send("235 authenticated")
                else:
                    self._send("535 bad credentials")
            elif verb == "MAIL":
                if not authed:
                    self._send("530 authentication required")
                    continue
                if self._gate("mail", "250 sender ok"):
                    mail_from, rcpt = arg[5:].strip() if arg.upper().startswith("FROM:") else arg, []
                    mail_from = mail_from.split(" ")[0].strip("<>")
            elif verb == "RCPT":
                if mail_from is None:
                    self._send("503 MAIL first")
                    continue
                addr = arg[3:].strip() if arg.upper().startswith("TO:") else arg
                addr = addr.split(" ")[0].strip("<>")
                if addr in srv.refuse_rcpt:
                    self._send("550 no such user")
                elif self._gate("rcpt", "250 recipient ok"):
                    rcpt.append(addr)
            elif verb == "DATA":
                if not rcpt:
                    self._send("503 RCPT first")
                    continue
                if not self._gate("data", "354 end with <CRLF>.<CRLF>"):
                    continue
                data = []
                while True:
                    raw = self.rfile.readline(65536)
                    if not raw:
                        raise _Drop()
                    if raw in (b".\r\n", b".\n"):
                        break
                    if raw.startswith(b"."):
                        raw = raw[1:]
                    data.append(raw)
                if self._gate("message", None):
                    with srv._lock:
                        srv.messages.append({"mail_from": mail_from, "rcpt": rcpt,
                            "data": b"".join(data), "auth": auth, "time": time.time()})
                    self._send("250 queued")
                mail_from, rcpt = None, []
            elif verb == "RSET":
                mail_from, rcpt = None, []
                self._send("250 ok")
            elif verb == "NOOP":
                self._send("250 ok")
            elif verb == "QUIT":
                self._send("221 bye")
                return
            else:
                self._send("502 not implemented")


class _TCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Server:
    def __init__(self, user=None, password=None, tls=None, refuse_rcpt=()):
        self.user = user
        self.password = password
        self.tls = None
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls[0], tls[1])
            self.tls = ctx
        self.refuse_rcpt = set(refuse_rcpt)
        self.messages = []
        self.commands = []
        self.sessions = 0
        self._lock = threading.Lock()
        self._acts = {}
        self._stall_ev = threading.Event()
        self._srv = _TCPServer(("127.0.0.1", 0), _Handler)
        self._srv.owner = self
        self.port = self._srv.server_address[1]
        self._thread = threading.Thread(target=self._srv.serve_forever, daemon=True)
        self._thread.start()
        self._stopped = False
        if _harness is not None:
            _harness._register(self)

    def url(self):
        return "%s://127.0.0.1:%d" % ("smtps" if self.tls else "smtp", self.port)

    def _take(self, stage):
        with self._lock:
            a = self._acts.get(stage)
            if a is None:
                return None
            kind, code, text, times = a
            if times is not None:
                if times <= 1:
                    del self._acts[stage]
                else:
                    self._acts[stage] = (kind, code, text, times - 1)
            return (kind, code, text)

    def fail(self, stage, code=451, times=1, text=None):
        assert stage in STAGES
        with self._lock:
            self._acts[stage] = ("fail", code, text, times)

    def drop(self, stage, times=1):
        assert stage in STAGES
        with self._lock:
            self._acts[stage] = ("drop", 0, None, times)

    def stall(self, stage, times=1):
        assert stage in STAGES
        self._stall_ev.clear()
        with self._lock:
            self._acts[stage] = ("stall", 0, None, times)

    def clear(self):
        with self._lock:
            self._acts.clear()
        self._stall_ev.set()

    def wait_messages(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            if time.monotonic() >= deadline:
                raise TimeoutError("%d message(s) of %d after %ss" % (len(self.messages), n, timeout))
            time.sleep(0.05)

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        self._stall_ev.set()
        self._srv.shutdown()
        self._srv.server_close()

    cleanup = stop
