# httpd.py: a local HTTP server for the integration tests, serving seed catalogs with switchable failure modes.
"""A threaded HTTP/1.1 server on 127.0.0.1 (random port) for seed sources.

    srv = httpd.Server()                 # started; stopped by harness.main()
    srv.set("/v1/models", "file", file=harness.data_path("catalog-mistral.json"))
    url = srv.url("/v1/models")          # "http://127.0.0.1:PORT/v1/models"

Routes are switched at any time, from any thread, with set(path, mode, **kw);
an unknown path gets 404. Modes and their keywords:

  "file"      file=FILE (or path=FILE)  the file's bytes (read at each request)
  "bytes"     data=b"..." (or str)      these bytes
      both: content_type="application/json", etag=True (strong ETag from
      the content; 304 on a matching If-None-Match), last_modified=True
      (Last-Modified; 304 on If-Modified-Since when no If-None-Match came),
      gzip=False (when True and the client sends Accept-Encoding: gzip,
      the body is sent gzip-encoded), status=200, headers={...}
  "status"    code=500, data=b""        that status and body
  "hang"      -                          read the request, never answer, until
                                         stop() / down() (or set() of another
                                         mode for that path)
  "drip"      data=... (or file=), chunk=1, interval=0.5
                                         full Content-Length, then the body a
                                         chunk at a time with pauses
  "truncated" data=/file=, missing=1000    Content-Length = len + missing, send
                                         the data, then close
  "invalid"   data=b'{"data": [ {"id": '  invalid JSON with 200 (that default)
  "huge"      size=64 MiB                a lazily generated valid-looking JSON
                                         body of that many bytes
  "reset"     -                          close the connection at once (RST)
  "redirect"  location=URL, code=302

Other methods:
  url(path="/") -> str, port, base
  requests (list of dicts: method, path, headers (lower-case keys -> value),
      body (bytes), time), requests_for(path) -> list, clear_log()
  wait_requests(path, n, timeout=10) -> list (HarnessError-free: raises
      TimeoutError when fewer than n came)
  down(): stop listening (the port then refuses connections) and end
      hanging requests; up(): listen again on the SAME port
  stop(): end everything (idempotent); cleanup() is the same
"""

import email.utils
import gzip as gziplib
import hashlib
import http.server
import os
import socket
import socketserver
import struct
import threading
import time

try:
    import harness as _harness
except ImportError:  # used alone
    _harness = None


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "modelreg-test-httpd/1"

    def log_message(self, fmt, *args):
        pass

    def _read_body(self):
        n = self.headers.get("Content-Length")
        if n is None:
            return b""
        try:
            n = int(n)
        except ValueError:
            return b""
        return self.rfile.read(n) if n > 0 else b""

    def _handle(self):
        body = self._read_body()
        owner = self.server.owner
        path = self.path.split("?", 1)[0]
        owner._log_request({
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body,
            "time": time.time(),
        })
        route = owner._route(path)
        self.close_connection = True
        if route is None:
            self._send(404, b"not found\n", "text/plain")
            return
        mode, kw = route
        fn = getattr(self, "_mode_" + mode, None)
        if fn is None:
            self._send(500, ("unknown mode %s\n" % mode).encode(), "text/plain")
            return
        try:
            fn(path, kw)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            self.close_connection = True

    do_GET = _handle
    do_POST = _handle
    do_HEAD = _handle
    do_PUT = _handle

    def _send(self, code, data, ctype="application/json", headers=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)
        self.wfile.flush()

    # --- modes

    def _content(self, kw):
        fname = kw.get("file", kw.get("path"))
        if fname is not None:
            with open(fname, "rb") as f:
                data = f.read()
            mtime = os.stat(fname).st_mtime
        else:
            data = kw.get("data", b"")
            if isinstance(data, str):
                data = data.encode("utf-8")
            mtime = kw.get("mtime", 1700000000)
        return data, mtime

    def _mode_file(self, path, kw):
        self._mode_bytes(path, kw)

    def _mode_bytes(self, path, kw):
        data, mtime = self._content(kw)
        headers = dict(kw.get("headers", {}))
        etag = None
        lm = None
        if kw.get("etag", True):
            etag = '"%s"' % hashlib.sha1(data).hexdigest()[:16]
            headers["ETag"] = etag
        if kw.get("last_modified", True):
            lm = email.utils.formatdate(int(mtime), usegmt=True)
            headers["Last-Modified"] = lm
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        not_modified = False
        if inm is not None and etag is not None:
            tags = [t.strip() for t in inm.split(",")]
            not_modified = etag in tags or "*" in tags or ("W/" + etag) in tags
        elif ims is not None and lm is not None:
            try:
                t = email.utils.parsedate_to_datetime(ims).timestamp()
                not_modified = int(mtime) <= t
            except (TypeError, ValueError):
                not_modified = False
        if not_modified:
            self.send_response(304)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.flush()
            return
        ae = self.headers.get("Accept-Encoding", "")
        if kw.get("gzip") and "gzip" in ae.lower():
            data = gziplib.compress(data)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        self._send(kw.get("status", 200), data,
            kw.get("content_type", "application/json"), headers)

    def _mode_status(self, path, kw):
        data = kw.get("data", b"")
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._send(kw.get("code", 500), data, kw.get("content_type", "text/plain"))

    def _mode_hang(self, path, kw):
        gen = self.server.owner._generation
        ev = self.server.owner._stopping
        while not ev.is_set():
            if self.server.owner._generation != gen:
                break
            if self.server.owner._route(path) != ("hang", kw):
                break
            ev.wait(0.05)
        self.close_connection = True

    def _mode_drip(self, path, kw):
        data, _ = self._content(kw)
        chunk = max(1, int(kw.get("chunk", 1)))
        interval = float(kw.get("interval", 0.5))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        ev = self.server.owner._stopping
        for i in range(0, len(data), chunk):
            if ev.is_set():
                break
            self.wfile.write(data[i:i + chunk])
            self.wfile.flush()
            if ev.wait(interval):
                break

    def _mode_truncated(self, path, kw):
        data, _ = self._content(kw)
        missing = int(kw.get("missing", 1000))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data) + missing))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        self.close_connection = True

    def _mode_invalid(self, path, kw):
        data = kw.get("data", b'{"object": "list", "data": [ {"id": "mistral-x", ')
        if isinstance(data, str):
            data = data.encode("utf-8")
        self._send(200, data)

    def _mode_huge(self, path, kw):
        size = int(kw.get("size", 64 * 1024 * 1024))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.send_header("Connection", "close")
        self.end_headers()
        ev = self.server.owner._stopping
        sent = 0
        i = 0
        pending = b'{"object":"list","data":['
        filler = b"y" * 900
        while sent < size and not ev.is_set():
            parts = [pending]
            blen = len(pending)
            while blen < 65536:
                e = b'{"id":"huge-model-%08d","object":"model","owned_by":"x",' \
                    b'"description":"%s"},' % (i, filler)
                i += 1
                parts.append(e)
                blen += len(e)
            pending = b""
            data = b"".join(parts)[:size - sent]
            self.wfile.write(data)
            sent += len(data)
        self.wfile.flush()

    def _mode_reset(self, path, kw):
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
            struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _mode_redirect(self, path, kw):
        self.send_response(kw.get("code", 302))
        self.send_header("Location", kw["location"])
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()


class _TCPServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class Server:
    def __init__(self, host="127.0.0.1", port=0):
        self.host = host
        self._lock = threading.Lock()
        self._routes = {}
        self.requests = []
        self._stopping = threading.Event()
        self._generation = 0
        self._srv = None
        self._thread = None
        self._stopped = False
        self.port = port
        self._listen()
        if _harness is not None:
            _harness._register(self)

    def _listen(self):
        srv = _TCPServer((self.host, self.port), _Handler)
        srv.owner = self
        self.port = srv.server_address[1]
        self._srv = srv
        self._thread = threading.Thread(target=srv.serve_forever,
            kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def base(self):
        return "http://%s:%d" % (self.host, self.port)

    def url(self, path="/"):
        return self.base + path

    def set(self, route, mode, **kw):
        with self._lock:
            self._routes[route] = (mode, kw)

    def unset(self, path):
        with self._lock:
            self._routes.pop(path, None)

    def _route(self, path):
        with self._lock:
            return self._routes.get(path)

    def _log_request(self, rec):
        with self._lock:
            self.requests.append(rec)

    def requests_for(self, path):
        with self._lock:
            return [r for r in self.requests if r["path"].split("?", 1)[0] == path]

    def clear_log(self):
        with self._lock:
            self.requests = []

    def wait_requests(self, path, n, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            got = self.requests_for(path)
            if len(got) >= n:
                return got
            if time.monotonic() >= deadline:
                raise TimeoutError("%d request(s) for %s within %ss, want %d"
                    % (len(got), path, timeout, n))
            time.sleep(0.02)

    def down(self):
        """Stop listening (connections are refused) and end hanging requests."""
        if self._srv is None:
            return
        self._generation += 1
        self._srv.shutdown()
        self._srv.server_close()
        self._thread.join(10)
        self._srv = None

    def up(self):
        """Listen again on the same port."""
        if self._srv is not None:
            return
        deadline = time.monotonic() + 10
        while True:
            try:
                self._listen()
                return
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        self._stopping.set()
        self.down()

    cleanup = stop

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.stop()
