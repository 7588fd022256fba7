# modelreg.py: a client of modelregd's control protocol for application servers (Python 3 standard library only).
r"""A small client of modelregd's control protocol (doc/protocol.md).

An application server asks the registry which model to use for a request
(RESOLVE), keeps a conversation on its model (RESOLVE with session=, then
RELEASE), and reads the registry (LIST, SHOW). See doc/integration.md.

    import modelreg

    reg = modelreg.connect(key_file="/etc/myapp/modelreg.key")
    r = reg.resolve("gpt4", session="conv-42")
    r["id"], r["reason"], modelreg.merge_params(r, {"temperature": 1.0})
    reg.release("conv-42")

The module is one file with no dependency: copy it next to the
application, or import it from where `make install` puts it
($(datadir)/modelreg/clients/python/).

Connection. One UNIX stream socket: the `socket` argument, else
$MODELREG_SOCKET, else DEFAULT_SOCKET (the path modelregctl shows in
--help; `make install` writes the configured one into the installed copy).
The connection is opened on the first request (connect() opens it at
once) and kept. A connection found broken (the daemon restarted, closed
an idle connection, or the process forked) is opened again and the
request sent again, once: every request this client sends may be
repeated (RESOLVE renews, RELEASE of an ended session ends nothing
more, the others only read). A second failure is ConnectionLost.

Timeout. `timeout` (seconds, default 5) bounds one request: connecting,
sending and reading its whole reply (each page of list() is a request).
When it passes, Timeout is raised and the connection is dropped (its
reply may still come), so the next request starts afresh.

Threads. A Client may be shared by threads: a lock lets one request at a
time use the connection, in full. Threads that want their requests to run
in parallel use one Client each (the daemon serves connections fairly).
After os.fork() a child opens its own connection on its first request.

The key. The secret (mr_...) comes from the `key` argument, else the
first line of `key_file`, else $MODELREG_KEY. It is sent as key= on
RESOLVE and RELEASE and nowhere else, and never shown: not by repr() of
the client, not in an exception (the daemon's messages never repeat it,
and the client strips it from them all the same). A key file is read
again when it changes (its inode, size or mtime), so a rotated key
written to the file (by rename) is used from the next request on.

Errors. Every failure is an Error whose `code` is the protocol's error
code (notfound, denied, unavailable, usage, busy, conflict, limit, ...),
with a subclass per code (NotFound, Denied, ...) so that an application
can branch on either; `message` is the daemon's text. The client's own
failures have codes of their own: `timeout` (Timeout), `connection`
(ConnectionLost) and `protocol` (ProtocolError: a reply that breaks the
protocol's framing or types).

Records. Each record is a dict. Values the protocol types are converted
(TYPES below): booleans, integers and numbers, times (datetime in UTC),
lists (features, aliases, org_aliases, enforced, models, gone) and
`prices` (a dict); a null (an empty bare value) is None. Every other key,
including keys this client does not know yet, is kept as a str.
"""

import datetime
import json
import os
import select
import socket as _socket
import threading
import time

__all__ = ["Client", "connect", "parse_record", "parse_status", "convert",
    "quote_word", "params", "merge_params", "Error", "UsageError",
    "UnknownVerb", "NotFound", "Denied", "Conflict", "TooLong", "Busy",
    "Unavailable", "Internal", "Limit", "Timeout", "ConnectionLost",
    "ProtocolError", "DEFAULT_SOCKET", "PARAMS"]

# The daemon's socket when neither the argument nor $MODELREG_SOCKET names
# one. `make install` replaces this line with the configured path.
DEFAULT_SOCKET = "/run/modelreg/modelregd.sock"

MAXLINE = 4096                  # bytes of one request line, without the LF
MAX_REPLY_LINE = 4 << 20        # a longer line from the daemon is a protocol error
PAGE = 1000                     # rows per LIST page, as modelregctl asks
PARAMS = ("temperature", "top_p", "max_tokens", "frequency_penalty",
    "presence_penalty")


# --- errors ------------------------------------------------------------

class Error(Exception):
    """A failed request: code is the protocol's error code, message its text."""

    code = "error"

    def __init__(self, code, message=""):
        super().__init__(code, message)
        self.code = code
        self.message = message

    def __str__(self):
        return "%s: %s" % (self.code, self.message) if self.message else self.code

    def __repr__(self):
        return "%s(%r, %r)" % (type(self).__name__, self.code, self.message)


class UsageError(Error):
    """ERR usage: the request was malformed (or refused here before sending)."""


class UnknownVerb(Error):
    """ERR unknown: the daemon has no such verb (it is older than the client)."""


class NotFound(Error):
    """ERR notfound: no such model (a name that never was in the registry)."""


class Denied(Error):
    """ERR denied: the role may not, or the key is revoked, expired, or not for this model."""


class Conflict(Error):
    """ERR conflict: the registry's rules forbid it now."""


class TooLong(Error):
    """ERR toolong: the request line was longer than 4096 bytes."""


class Busy(Error):
    """ERR busy: too many connections; try again later."""


class Unavailable(Error):
    """ERR unavailable: what the request needs is not there (no default model)."""


class Internal(Error):
    """ERR internal: the daemon failed; nothing was changed."""


class Limit(Error):
    """ERR limit: a usage limit was reached (issue 10)."""


class Timeout(Error):
    """The request did not complete within the client's timeout."""


class ConnectionLost(Error):
    """The daemon could not be reached, or the connection broke twice."""


class ProtocolError(Error):
    """The daemon's reply broke the protocol (framing, logfmt or a typed value)."""


_CLASSES = {"usage": UsageError, "unknown": UnknownVerb, "notfound": NotFound,
    "denied": Denied, "conflict": Conflict, "toolong": TooLong, "busy": Busy,
    "unavailable": Unavailable, "internal": Internal, "limit": Limit,
    "timeout": Timeout, "connection": ConnectionLost, "protocol": ProtocolError}


def _error(code, message):
    return _CLASSES.get(code, Error)(code, message)


# --- logfmt ------------------------------------------------------------

def _bare_byte(c):
    """A byte allowed in a key or a bare value: 0x21 and up, not DEL, '"', '=' or '\\'."""
    return c >= 0x21 and c not in (0x7f, 0x22, 0x3d, 0x5c)


_HEX = b"0123456789abcdefABCDEF"
_ESC = {ord('"'): b'"', ord("\\"): b"\\", ord("n"): b"\n", ord("t"): b"\t",
    ord("r"): b"\r"}


def _text(b):
    # Bytes the daemon passed through (a catalog's) round-trip into requests.
    return b.decode("utf-8", "surrogateescape")


def parse_record(line):
    """Parse one logfmt record line (bytes or str, no LF) into a dict of str -> str|None.

    As common/proto.c's reader: pairs separated by one or more spaces, a
    key of bare bytes, a value bare or in double quotes with the escapes
    \\" \\\\ \\n \\t \\r \\xHH and no others. An empty bare value is None (null);
    "" is the empty string. The first of repeated keys wins. Raises
    ProtocolError on a malformed line.
    """
    if isinstance(line, str):
        line = line.encode("utf-8", "surrogateescape")
    out = {}
    i, n = 0, len(line)

    def bad(why):
        return ProtocolError("protocol", "malformed record (%s at byte %d)" % (why, i))
    while True:
        while i < n and line[i] == 0x20:
            i += 1
        if i >= n:
            return out
        k = i
        while i < n and _bare_byte(line[i]):
            i += 1
        if i == k or i >= n or line[i] != 0x3d:
            raise bad("a key and '=' expected")
        key = _text(line[k:i])
        i += 1
        if i < n and line[i] == 0x22:
            i += 1
            v = bytearray()
            while True:
                if i >= n:
                    raise bad("unterminated quote")
                c = line[i]
                i += 1
                if c == 0x22:
                    break
                if c < 0x20 or c == 0x7f:
                    raise bad("control byte in a quoted value")
                if c != 0x5c:
                    v.append(c)
                    continue
                if i >= n:
                    raise bad("backslash at the end")
                c = line[i]
                i += 1
                if c in _ESC:
                    v += _ESC[c]
                elif c == ord("x"):
                    h = line[i:i + 2]
                    if len(h) != 2 or h[0] not in _HEX or h[1] not in _HEX:
                        raise bad("bad \\x escape")
                    v.append(int(h, 16))
                    i += 2
                else:
                    raise bad("unknown escape")
            if i < n and line[i] != 0x20:
                raise bad("text after a quoted value")
            value = _text(bytes(v))
        else:
            s = i
            while i < n and line[i] != 0x20:
                if not _bare_byte(line[i]):
                    raise bad("bad byte in a bare value")
                i += 1
            value = _text(line[s:i]) if i > s else None
        out.setdefault(key, value)


def quote_word(word):
    """One word of a request line, quoted when it must be (as proto_quote_word)."""
    b = word.encode("utf-8", "surrogateescape") if isinstance(word, str) else bytes(word)
    if b and all(0x21 <= c <= 0x7e and c not in (0x22, 0x3d, 0x5c) for c in b):
        return _text(b)
    o = bytearray(b'"')
    for c in b:
        if c == 0:
            raise UsageError("usage", "a NUL byte cannot be sent")
        if c == 0x22:
            o += b'\\"'
        elif c == 0x5c:
            o += b"\\\\"
        elif c == 0x0a:
            o += b"\\n"
        elif c == 0x09:
            o += b"\\t"
        elif c == 0x0d:
            o += b"\\r"
        elif c < 0x20 or c == 0x7f:
            o += b"\\x%02x" % c
        else:
            o.append(c)
    o += b'"'
    return _text(bytes(o))


def parse_status(line):
    """A reply's status line -> ("OK", n) or ("ERR", code, message); ProtocolError otherwise."""
    if isinstance(line, bytes):
        line = line.decode("utf-8", "replace")
    if line.startswith("OK ") and line[3:].isdigit() and line[3:].isascii():
        return ("OK", int(line[3:]))
    if line.startswith("ERR "):
        code, _, message = line[4:].partition(" ")
        if code and code.isascii() and code.isalpha() and code.islower():
            return ("ERR", code, message)
    raise ProtocolError("protocol", "malformed status line from the daemon")


def _time(v):
    return datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def _bool(v):
    if v == "true":
        return True
    if v == "false":
        return False
    raise ValueError(v)


def _list(v):
    return v.split(",") if v != "" else []


def _prices(v):
    o = json.loads(v)
    if not isinstance(o, dict):
        raise ValueError(v)
    return o


# The keys the protocol gives a type (doc/protocol.md), by record kind:
# model, RESOLVE, key, daemon records. Others stay str.
TYPES = {
    "default": _bool, "delisted": _bool, "zdr": _bool, "all": _bool,
    "pong": _bool, "socket_activated": _bool,
    "context_length": int, "sessions": int, "changes": int, "uid": int,
    "gid": int, "protocol": int, "pid": int,
    "prompt_price": float, "completion_price": float, "uptime_30m": float,
    "param.temperature": float, "param.top_p": float, "param.max_tokens": int,
    "param.frequency_penalty": float, "param.presence_penalty": float,
    "prices": _prices,
    "features": _list, "aliases": _list, "org_aliases": _list,
    "enforced": _list, "models": _list, "gone": _list,
    "added_at": _time, "status_changed_at": _time, "last_seen_at": _time,
    "expires_at": _time, "created_at": _time, "last_used_at": _time,
    "revoked_at": _time, "old_secret_until": _time, "at": _time,
}


def convert(record):
    """A parsed record with the protocol's typed keys converted (see TYPES); a new dict."""
    out = {}
    for k, v in record.items():
        f = TYPES.get(k)
        if f is not None and v is not None:
            try:
                v = f(v)
            except ValueError:
                raise ProtocolError("protocol", "bad value of %s in the daemon's reply" % k)
        out[k] = v
    return out


def params(record):
    """The default parameters of a RESOLVE or model record: {"temperature": 0.3, ...}."""
    return {p: record["param." + p] for p in PARAMS
        if record.get("param." + p) is not None}


def merge_params(record, requested=None):
    """The parameters to call the model with: the registry's as defaults, the
    caller's over them, except the enforced ones, which keep the registry's
    value whatever the caller asked. requested is a dict (e.g. the keyword
    arguments for the OpenAI SDK), where None means "not chosen"; a new
    dict is returned."""
    out = params(record)
    enforced = set(record.get("enforced") or ())
    for k, v in (requested or {}).items():
        if v is not None and (k not in enforced or k not in out):
            out[k] = v
    return out


# --- the client --------------------------------------------------------

class _Secret:
    """Holds the key's secret; shows nothing of it."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return "<secret>"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("a modelreg key is not pickled")


def _check_secret(s, where):
    if (not isinstance(s, str) or not s or len(s) > 256 or
            any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7f for c in s)):
        raise UsageError("usage", "%s holds no usable key" % where)
    return s


class Client:
    """A connection to modelregd. See the module's documentation."""

    def __init__(self, socket=None, key=None, key_file=None, timeout=5.0,
                 page_size=PAGE):
        self.socket = socket or os.environ.get("MODELREG_SOCKET") or DEFAULT_SOCKET
        self.timeout = float(timeout)
        self.page_size = int(page_size)
        if not 1 <= self.page_size <= 10000:
            raise UsageError("usage", "page_size must be from 1 to 10000")
        self.key_file = key_file
        self._key = None
        self._key_stat = None
        if key is not None:
            self._key = _Secret(_check_secret(key, "the key argument"))
        elif key_file is not None:
            self._read_key_file()
        elif os.environ.get("MODELREG_KEY"):
            self._key = _Secret(_check_secret(os.environ["MODELREG_KEY"], "$MODELREG_KEY"))
        self._lock = threading.Lock()
        self._sock = None
        self._buf = b""
        self._fresh = False
        self._pid = os.getpid()
        self._verbs = None

    def __repr__(self):
        return "<modelreg.Client socket=%r key=%s timeout=%r>" % (self.socket,
            "set" if self._key is not None else "none", self.timeout)

    def __reduce__(self):
        raise TypeError("a modelreg.Client is not pickled (it holds a connection and a key)")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def has_key(self):
        """True when the client sends a key."""
        return self._key is not None

    # the key

    def _read_key_file(self):
        try:
            with open(self.key_file, "rb") as f:
                st = os.fstat(f.fileno())
                first = f.read(4096).split(b"\n", 1)[0].rstrip(b"\r")
        except OSError as e:
            raise UsageError("usage", "cannot read the key file %s: %s"
                % (self.key_file, e.strerror))
        self._key = _Secret(_check_secret(first.decode("ascii", "replace"),
            "the key file %s" % self.key_file))
        self._key_stat = (st.st_ino, st.st_size, st.st_mtime_ns)

    def _current_key(self):
        """The client's secret, the key file read again when it changed."""
        if self.key_file is not None and self._key_stat is not None:
            try:
                st = os.stat(self.key_file)
                if (st.st_ino, st.st_size, st.st_mtime_ns) != self._key_stat:
                    self._read_key_file()
            except OSError:
                pass    # gone for a moment: the last secret read goes on
        return self._key.value if self._key is not None else None

    def _scrub(self, text, secrets):
        for s in secrets:
            if s:
                text = text.replace(s, "***")
        return text

    # the connection

    def _open(self, deadline):
        last = None
        while True:
            s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
            s.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                s.connect(self.socket)
                break
            except (BlockingIOError, InterruptedError) as e:
                # A full listen backlog: try again until the deadline.
                s.close()
                last = e
            except _socket.timeout:
                s.close()
                raise Timeout("timeout", "connecting to %s took longer than %ss"
                    % (self.socket, self.timeout))
            except OSError as e:
                s.close()
                raise ConnectionLost("connection", "cannot connect to %s: %s"
                    % (self.socket, e.strerror or e))
            if time.monotonic() >= deadline:
                raise Timeout("timeout", "connecting to %s: %s" % (self.socket, last))
            time.sleep(0.01)
        self._sock = s
        self._buf = b""
        self._fresh = True
        self._pid = os.getpid()

    def _drop(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._buf = b""

    def _stale(self):
        """True when the connection cannot carry a request: the daemon closed
        it, or sent a line unasked (ERR timeout idle ..., before closing)."""
        if self._sock is None or self._buf:
            return True
        try:
            # poll, not select: a server may hold more than 1024 descriptors.
            p = select.poll()
            p.register(self._sock, select.POLLIN)
            return bool(p.poll(0))
        except (OSError, ValueError):
            return True

    def close(self):
        """Close the connection (the next request opens a new one)."""
        with self._lock:
            self._drop()

    def _recv_line(self, deadline):
        while True:
            k = self._buf.find(b"\n")
            if k >= 0:
                line, self._buf = self._buf[:k], self._buf[k + 1:]
                return line
            if len(self._buf) > MAX_REPLY_LINE:
                raise ProtocolError("protocol", "a reply line longer than %d bytes"
                    % MAX_REPLY_LINE)
            left = deadline - time.monotonic()
            if left <= 0:
                raise _socket.timeout()
            self._sock.settimeout(left)
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("the daemon closed the connection")
            self._buf += chunk

    def _exchange(self, line, deadline):
        """Send one request line, read its reply: ("OK", [raw lines]) or ("ERR", code, msg)."""
        if self._sock is not None and not self._fresh and self._stale():
            self._drop()
        if self._sock is None:
            self._open(deadline)
        # A new connection's first line may be the daemon's refusal (ERR
        # denied, ERR busy) sent before it closes: read it as the reply.
        self._fresh = False
        self._sock.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            self._sock.sendall(line)
        except (BrokenPipeError, ConnectionResetError):
            if b"\n" not in self._buf:
                try:
                    self._buf += self._sock.recv(65536)
                except OSError:
                    pass
            if not self._buf.startswith(b"ERR ") or b"\n" not in self._buf:
                raise
        st = parse_status(self._recv_line(deadline))
        if st[0] == "ERR":
            return st
        return ("OK", [self._recv_line(deadline) for _ in range(st[1])])

    def _request(self, words, secrets=()):
        """Send a request of words (already quoted); the raw record lines of
        its OK reply, or the Error of its ERR."""
        line = " ".join(words).encode("utf-8", "surrogateescape")
        if len(line) > MAXLINE:
            raise UsageError("usage", "request longer than %d bytes" % MAXLINE)
        if b"\n" in line or b"\r" in line or b"\0" in line:
            raise UsageError("usage", "a request word holds a line break or NUL")
        line += b"\n"
        if self._pid != os.getpid():
            # A forked child: the connection is the parent's; open our own.
            self._lock = threading.Lock()
            self._sock = None
            self._buf = b""
        with self._lock:
            deadline = time.monotonic() + self.timeout
            for attempt in (1, 2):
                try:
                    st = self._exchange(line, deadline)
                except _socket.timeout:
                    self._drop()
                    raise Timeout("timeout", "no reply from %s within %ss"
                        % (self.socket, self.timeout)) from None
                except ProtocolError:
                    self._drop()
                    raise
                except OSError as e:
                    # Broken: reset, EPIPE, EOF inside a reply. Once more.
                    self._drop()
                    if attempt == 2:
                        raise ConnectionLost("connection", "connection to %s broke: %s"
                            % (self.socket, e.strerror or e)) from None
                    continue
                if st[0] == "ERR" and st[1] == "timeout":
                    # Sent unasked before the daemon closed an idle
                    # connection: our request was not run. Once more.
                    self._drop()
                    if attempt == 2:
                        raise Timeout("timeout", self._scrub(st[2], secrets))
                    continue
                if st[0] == "ERR":
                    if st[1] == "busy":
                        self._drop()    # the daemon closes it
                    raise _error(st[1], self._scrub(st[2], secrets))
                return st[1]

    def call(self, verb, *args, **options):
        """Any verb: VERB ARGS... key=value...; the reply's records, typed.

        An option whose value is None is left out. Raises Error."""
        words = [verb.upper()] + [quote_word(str(a)) for a in args]
        secrets = []
        for k, v in options.items():
            if v is None:
                continue
            if not (k and (k[0].isalpha() or k[0] == "_") and k.isascii()
                    and all(c.isalnum() or c == "_" for c in k)):
                raise UsageError("usage", "bad option name %r" % (k,))
            if isinstance(v, bool):
                v = "yes" if v else "no"
            if isinstance(v, _Secret):
                v = v.value
                secrets.append(v)
            words.append("%s=%s" % (k, quote_word(str(v))))
        lines = self._request(words, secrets)
        return [convert(parse_record(x)) for x in lines]

    # the verbs

    def ping(self):
        """True when the daemon answers PING."""
        recs = self.call("PING")
        return bool(recs) and recs[0].get("pong") is True

    def verbs(self):
        """The verbs the daemon knows (HELP), as a set; asked once."""
        if self._verbs is None:
            self._verbs = {r.get("verb") for r in self.call("HELP")}
        return self._verbs

    def _key_opt(self, key):
        s = key if key is not None else self._current_key()
        return _Secret(_check_secret(s, "the key argument")) if s is not None else None

    def resolve(self, model=None, key=None, session=None):
        """The model to use now: RESOLVE [MODEL] [key=] [session=].

        model: an id or alias, or None for the default. key: a secret for
        this call instead of the client's. session: the conversation's id;
        opens or renews its session on the answered model. Returns the
        record: id, name, label, provider, kind, reason (requested,
        default, fallback, failover), requested, why, key_name, the
        param.* defaults and enforced, and whatever else the daemon adds.
        Raises NotFound, Denied, Unavailable, ...
        """
        args = () if model is None else (model,)
        recs = self.call("RESOLVE", *args, key=self._key_opt(key), session=session)
        if len(recs) != 1:
            raise ProtocolError("protocol", "RESOLVE answered %d records" % len(recs))
        return recs[0]

    def release(self, session, key=None):
        """End a conversation's session: RELEASE session=ID [key=]. The
        reply's record (a dict, empty when the daemon sends none)."""
        if not session:
            raise UsageError("usage", "release needs a session id")
        recs = self.call("RELEASE", session=session, key=self._key_opt(key))
        return recs[0] if recs else {}

    def show(self, name):
        """One model's record (SHOW MODEL, by id or alias). Raises NotFound."""
        recs = self.call("SHOW", name)
        if len(recs) != 1:
            raise ProtocolError("protocol", "SHOW answered %d records" % len(recs))
        return recs[0]

    def iter_list(self, limit=None, **filters):
        """The models of LIST, page by page (page_size rows, after= the
        cursor of the next= record) as modelregctl does; at most limit
        rows. filters: status, provider, search, kind, sort, order."""
        if "after" in filters or "limit" in filters:
            raise UsageError("usage", "list pages by itself: no after= or limit= filter")
        after, got = None, 0
        while True:
            n = self.page_size
            if limit is not None:
                if got >= limit:
                    return
                n = min(n, limit - got)
            recs = self.call("LIST", limit=n, after=after, **filters)
            after = None
            if recs and list(recs[-1]) == ["next"]:
                after = recs.pop()["next"]
            for r in recs:
                yield r
            got += len(recs)
            if after is None or not recs:
                return

    def list(self, limit=None, **filters):
        """The models of LIST, every page, as one list of records."""
        return list(self.iter_list(limit=limit, **filters))


def connect(socket=None, key=None, key_file=None, timeout=5.0, page_size=PAGE):
    """A Client, connected now (ConnectionLost, Timeout when it cannot be)."""
    c = Client(socket=socket, key=key, key_file=key_file, timeout=timeout,
        page_size=page_size)
    with c._lock:
        c._open(time.monotonic() + c.timeout)
    return c
