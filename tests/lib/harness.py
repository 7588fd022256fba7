# harness.py: TAP output, a modelregd under test in a temp folder, and a raw protocol client for the integration tests.
r"""Integration-test harness for modelregd / modelregctl (Python 3 stdlib only).

Environment (set by `make check`, see Makefile.am): MODELREGD, MODELREGCTL
(absolute paths of the built programs), MODELREG_SRCDIR (source tree root),
PYTHONPATH (this folder). By hand: MODELREG_WRAP, a command the daemon is run
under (e.g. "valgrind -q --log-file=/tmp/vg.%p"), and MODELREG_READY_TIMEOUT,
the seconds the daemon may take to answer its first PING (default 10).

API (kept stable; other test scripts rely on it):

  main(fn)                  run fn(tap) under a TAP object; an exception in fn
                            is reported as a failed test with its traceback;
                            every Daemon and httpd.Server is stopped and every
                            temp folder removed; exits with tap.done().
                            A test that stops early fails: sys.exit() in fn,
                            or fn or a test_* function of its module that
                            returns before its last line with no failing
                            check or skip since it was called, or that
                            makes no check (see "a test that stops early").

  class TAP
    ok(cond, name, diag=None) -> bool
    eq(got, want, name, diag=None) -> bool  diag shows both (and diag) on failure
    like(text, regex, name) -> bool         re.search
    err(status, code, name) -> bool         status is "ERR <code> <message>"
    skip(name, why)
    diag(text)                              "# " lines
    done() -> int                           prints the plan, 0 if all passed;
                                            no check at all is a failure

  class Daemon(seed_url=None, seed_format="mistral", always_active=(),
               always_inactive=(), new_model_status="inactive",
               default_model="", api_key_file=None, access=None,
               retry_min=1, retry_max=2, timeout=3, socket_mode="0660",
               log_level="debug", extra="", config=None, env=None,
               args=(), start=True, wait=True, wait_seed=False)
    Writes <dir>/modelregd.conf (socket <dir>/modelregd.sock, database
    <dir>/registry.db) in a fresh temp folder (mode 0755) and starts
    MODELREGD -c CONF (stdout+stderr to <dir>/modelregd.log). Every [seed]
    key is written explicitly (seed_url None or "" -> `url =`, no seeding),
    since keys absent from the file take the built-in defaults (the bundled
    snapshot). access: None (no [access] section) or a dict such as
    {"admin": ["root"], "member": ["nobody", "@staff"], "viewer": ["*"]}
    (lists or strings). timeout, retry_min, retry_max: [seed] seconds (None
    leaves the key out). extra: raw text appended to the file. config: the
    whole file text instead of the generated one. env: extra environment.
    wait: poll PING until it answers (10 s deadline; the log goes to the
    HarnessError). wait_seed: then wait until STATUS shows a successful seed.
    Attributes: dir, conf, sock, db, logfile, proc, pid.
      start(wait=True), stop(timeout=10) -> exit code (SIGTERM, then SIGKILL
      after the deadline), kill9() -> exit code, restart(wait=True) (same
      config, same database), reload() (SIGHUP), alive() -> bool,
      write_config(text=None) (regenerate or replace the file),
      check_config(*args) -> CompletedProcess of `modelregd -t -c CONF`,
      log_text() -> str, cleanup() (stop and remove the folder)
      ctl(*args, json=False, yes=False, input=None, as_user=None, check=None,
          env=None, socket=True, timeout=30) -> CompletedProcess (text)
          runs MODELREGCTL -s SOCK [--json] [--yes] ARGS; socket=False leaves
          out -s; as_user = user name, uid, or (uid, gid): run through
          `setpriv --reuid U --regid G --clear-groups` (give socket_mode
          "0666" for such tests); check = expected exit code, else
          HarnessError. MODELREG_SOCKET is removed from the environment
          unless env gives it.
      ctl_json(*args, **kw) -> parsed JSON of `ctl(*args, json=True)`;
          HarnessError unless the exit code is 0 (or check=).
      request(line, timeout=10) -> (status_line, [record dicts])
      request_lines(line, timeout=10) -> (status_line, [raw record lines])
      raw(timeout=10) -> RawConn
      status() -> (daemon_record, seed_record) from STATUS
      sources() -> {name: record} of STATUS's periodic sources (catalog, zdr, uptime)
      wait_seeded(timeout=15, settled=True) -> seed record once last_ok is
          set and the state is not "running" (settled: and wait_settled)
      wait_settled(timeout=15): until no index a seed left and no search
          key waits (the jobs after an import)
      wait_for(fn, timeout=10, what="...") -> fn's first truthy value
      open_db() -> sqlite3 connection, read-only
      snapshot_path(), data_path(name), file_url(path): see below

  class RawConn (one UNIX stream connection; bytes in, str out, decoded as
  UTF-8 with surrogateescape so bytes round-trip)
    send(data: bytes|str), request(line) -> (status, [lines]),
    read_reply(timeout=10) -> (status, [raw lines]),
    recv_line(timeout=10) -> str without the LF, None at EOF
    is_closed(timeout=5) -> True once EOF (or a reset) is seen
    pending(timeout=0.2) -> bytes that arrive within timeout (b"": nothing)
    close(); also a context manager

  parse_logfmt(line) -> dict   quoted values unescaped (\" \\ \n \t \r \xHH),
                               an empty bare value -> None
  parse_status(status) -> ("OK", n) or ("ERR", code, message)
  wait_for(fn, timeout=10, what="...") -> fn's first truthy value, or
                               HarnessError at the deadline
  SRCDIR, snapshot_path() (etc/seed/mistral-models.json),
  data_path(name) (tests/data/NAME), file_url(path) -> "file:///abs/path"
  HarnessError: raised on harness failures (daemon did not start, ...)
  RFC3339: regex of a time as the daemon writes it (UTC, "Z")
  MODEL_KEYS: the keys of a model record, in protocol order
  VERBS: every verb the issue requires
"""

import atexit
import dis
import inspect
import json as jsonlib
import linecache
import os
import pwd
import re
import select
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback

MODELREGD = os.environ.get("MODELREGD", "modelregd")
# A command the daemon runs under (valgrind, strace): empty by default.
WRAP = shlex.split(os.environ.get("MODELREG_WRAP", ""))
READY_TIMEOUT = float(os.environ.get("MODELREG_READY_TIMEOUT", "10"))
MODELREGCTL = os.environ.get("MODELREGCTL", "modelregctl")
SRCDIR = os.environ.get("MODELREG_SRCDIR",
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))

# Environment variables a test run must not inherit into the programs.
_SCRUB = ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
    "WATCHDOG_USEC", "WATCHDOG_PID", "MODELREG_SOCKET")


RFC3339 = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$"
MODEL_KEYS = ["id", "name", "label", "provider", "kind", "status", "default", "context_length",
    "prompt_price", "completion_price", "prices", "features", "aliases", "org_aliases",
    "tags",  # issue 11
    "status_source", "status_reason",
    "added_at", "status_changed_at", "last_seen_at", "expires_at", "canonical_slug", "zdr",
    "delisted", "health", "uptime_30m", "enforced", "description",
    # Issue 9 item 4: the live part, appended from memory.
    "sessions", "resolves_requested", "resolves_default", "resolves_fallback",
    "resolves_failover",
    # Issue 10 item 2: the model's spending cap, null without one.
    "cap", "cap_period", "cap_spent", "cap_remaining", "cap_period_end"]
# Issue 9: a model record also has param.NAME= keys, before enforced, for the parameters set.
VERBS = ["PING", "VERSION", "HELP", "WHOAMI", "STATUS", "LIST", "SHOW",
    "ACTIVATE", "DEACTIVATE", "DEFAULT", "DELETE", "SEED", "RELOAD", "QUIT"]


class HarnessError(Exception):
    pass


def snapshot_path():
    return os.path.join(SRCDIR, "etc", "seed", "mistral-models.json")


def data_path(name):
    return os.path.join(SRCDIR, "tests", "data", name)


def file_url(path):
    return "file://" + os.path.abspath(path)


def wait_for(fn, timeout=10, what="condition", interval=0.05):
    """Poll fn until it returns something truthy; HarnessError at the deadline."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = fn()
            if v:
                return v
        except Exception as e:  # the condition may not be checkable yet
            last_exc = e
        if time.monotonic() >= deadline:
            msg = "timed out after %ss waiting for %s" % (timeout, what)
            if last_exc is not None:
                msg += " (last error: %r)" % (last_exc,)
            raise HarnessError(msg)
        time.sleep(interval)


# --- TAP ---------------------------------------------------------------

class TAP:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.skipped = 0
        self._done = False

    def _out(self, s):
        sys.stdout.write(s + "\n")
        sys.stdout.flush()

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            self._out("# " + line)

    def ok(self, cond, name, diag=None):
        self.n += 1
        name = str(name).replace("\n", " ").replace("#", "\\#")
        if cond:
            self._out("ok %d - %s" % (self.n, name))
        else:
            self.failed += 1
            self._out("not ok %d - %s" % (self.n, name))
            if diag is not None:
                self.diag(diag)
        return bool(cond)

    def eq(self, got, want, name, diag=None):
        d = "got:  %r\nwant: %r" % (got, want)
        if diag is not None:
            d += "\n" + str(diag)
        return self.ok(got == want, name, d)

    def like(self, text, regex, name):
        return self.ok(text is not None and re.search(regex, text) is not None,
            name, "text:  %r\nregex: %r" % (text, regex))

    def err(self, status, code, name):
        """status is a reply status line; passes when it is ERR <code> ..."""
        st = parse_status(status) if status is not None else None
        return self.ok(st is not None and st[0] == "ERR" and st[1] == code,
            name, "got:  %r\nwant: ERR %s ..." % (status, code))

    def skip(self, name, why):
        self.n += 1
        self.skipped += 1
        self._out("ok %d - %s # SKIP %s" % (self.n, name, why))

    def done(self):
        """Print the plan; a script that made no check fails (TAP reads 1..0 as a skip)."""
        if not self._done:
            if self.n == 0:
                self.ok(False, "the test script made at least one check")
            self._done = True
            self._out("1..%d" % self.n)
        return 1 if self.failed else 0


# --- cleanup of everything a test started -------------------------------

_live = []      # objects with a cleanup() method


def _register(obj):
    _live.append(obj)


def cleanup_all():
    while _live:
        obj = _live.pop()
        try:
            obj.cleanup()
        except Exception:
            pass


atexit.register(cleanup_all)


def _on_signal(signum, frame):
    cleanup_all()
    sys.exit(128 + signum)


for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    try:
        signal.signal(_s, _on_signal)
    except (ValueError, OSError):
        pass


# The TAP of the running script: a daemon whose log holds a sanitizer
# report fails a test when its folder is removed (see Daemon.cleanup).
_tap = None
SANITIZER = r"AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:"


# --- a test that stops early fails ------------------------------------
#
# The plan is printed by main() only, after fn has returned, so a script
# that dies (a crash, os._exit, a signal) prints none and the TAP driver
# fails it. What remains is a script that stops early *without* dying; each
# of these is a failed check too:
#   - fn (or a test function) raises: "... ran to the end without an exception";
#   - fn calls sys.exit(): "... ran to the end (it called sys.exit)";
#   - a test function (fn, and every test_* function of fn's module) returns
#     by a `return` statement before its last line without having recorded
#     a failure or a skip since it was called: "... ran to its end";
#   - a test function returns having made no check at all;
#   - the whole script makes no check (a plan of 1..0 reads as a skip).
# So a test function may end early only right after a failing check or a
# skip, which is what `if not tap.ok(...): return` and `tap.skip(...);
# return` do.

_RETURN_OPS = {dis.opmap[o] for o in ("RETURN_VALUE", "RETURN_CONST") if o in dis.opmap}


class _EarlyReturnWatch:
    """A profile hook that fails a watched test function that returns early."""

    def __init__(self, tap, functions):
        self.tap = tap
        self.codes = {}
        for f in functions:
            self.codes[f.__code__] = (f.__name__, self._last_line(f))
        self.stack = []

    @staticmethod
    def _last_line(f):
        """The line of f's last statement in the source (the compiler drops dead code)."""
        try:
            lines, start = inspect.getsourcelines(f)
        except (OSError, TypeError):
            lines, start = [], 0
        for i in range(len(lines) - 1, -1, -1):
            text = lines[i].strip()
            if text and not text.startswith("#"):
                return start + i
        known = [l for _, _, l in f.__code__.co_lines() if l is not None]
        return max(known) if known else 0

    def __call__(self, frame, event, arg):
        if event != "call" and event != "return":
            return
        code = frame.f_code
        if code not in self.codes:
            return
        if event == "call":
            self.stack.append((frame, self.tap.n, self.tap.failed + self.tap.skipped))
            return
        if not self.stack or self.stack[-1][0] is not frame:
            return
        _, n0, marks0 = self.stack.pop()
        # An exception passing through is not a return; main reports it.
        if frame.f_lasti < 0 or code.co_code[frame.f_lasti] not in _RETURN_OPS:
            return
        name, last = self.codes[code]
        line = frame.f_lineno
        text = linecache.getline(code.co_filename, line).strip()
        marked = self.tap.failed + self.tap.skipped > marks0
        if re.match(r"return\b", text) and line < last and not marked:
            self.tap.ok(False, "%s ran to its end" % name,
                "it returned at %s:%d without a failing check or a skip"
                % (os.path.basename(code.co_filename), line))
        elif self.tap.n == n0:
            self.tap.ok(False, "%s made at least one check" % name)


def _test_functions(fn):
    """fn and the test_* functions defined in fn's module."""
    mod = sys.modules.get(fn.__module__)
    found = [fn]
    for name, f in sorted(vars(mod).items()) if mod is not None else ():
        if (name.startswith("test_") and inspect.isfunction(f) and f is not fn
                and f.__module__ == fn.__module__):
            found.append(f)
    return found


def main(fn):
    """Run fn(tap); report an exception or an early end as a failed test; clean up; exit."""
    global _tap
    tap = _tap = TAP()
    watch = _EarlyReturnWatch(tap, _test_functions(fn))
    sys.setprofile(watch)
    try:
        fn(tap)
    except Exception:
        tap.ok(False, "test script ran to the end without an exception",
            traceback.format_exc())
    except SystemExit as e:
        tap.ok(False, "test script ran to the end (it called sys.exit(%r))" % (e.code,),
            traceback.format_exc())
    finally:
        sys.setprofile(None)
        cleanup_all()
    sys.exit(tap.done())


# --- logfmt and replies -------------------------------------------------

def parse_logfmt(line):
    """Parse one logfmt record (doc/protocol.md) into a dict of str -> str|None."""
    out = {}
    i, n = 0, len(line)
    while i < n:
        while i < n and line[i] == " ":
            i += 1
        if i >= n:
            break
        j = line.find("=", i)
        if j < 0:
            raise ValueError("logfmt: key without '=' at %d in %r" % (i, line))
        key = line[i:j]
        if not key or " " in key:
            raise ValueError("logfmt: bad key %r in %r" % (key, line))
        i = j + 1
        if i < n and line[i] == '"':
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise ValueError("logfmt: unterminated quote in %r" % line)
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == "\\":
                    if i + 1 >= n:
                        raise ValueError("logfmt: dangling backslash in %r" % line)
                    e = line[i + 1]
                    if e == "n":
                        buf.append("\n")
                    elif e == "t":
                        buf.append("\t")
                    elif e == "r":
                        buf.append("\r")
                    elif e == "x":
                        h = line[i + 2:i + 4]
                        if len(h) != 2 or not all(x in "0123456789abcdefABCDEF" for x in h):
                            raise ValueError("logfmt: bad \\x escape in %r" % line)
                        buf.append(chr(int(h, 16)))
                        i += 2
                    else:
                        buf.append(e)
                    i += 2
                    continue
                buf.append(c)
                i += 1
            out[key] = "".join(buf)
            if i < n and line[i] != " ":
                raise ValueError("logfmt: junk after quoted value in %r" % line)
        else:
            j = line.find(" ", i)
            if j < 0:
                j = n
            v = line[i:j]
            out[key] = v if v != "" else None
            i = j
    return out


def parse_status(status):
    """'OK 3' -> ('OK', 3); 'ERR code msg' -> ('ERR', code, msg); else None."""
    if status is None:
        return None
    m = re.match(r"^OK (\d+)$", status)
    if m:
        return ("OK", int(m.group(1)))
    m = re.match(r"^ERR ([a-z]+)(?: (.*))?$", status, re.S)
    if m:
        return ("ERR", m.group(1), m.group(2) or "")
    return None


# --- raw protocol connection --------------------------------------------

class RawConn:
    def __init__(self, path, timeout=10):
        # A full listen backlog makes a non-blocking AF_UNIX connect fail
        # with EAGAIN: retry until the deadline.
        deadline = time.monotonic() + timeout
        while True:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                self.sock.connect(path)
                break
            except BlockingIOError:
                self.sock.close()
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)
            except OSError:
                self.sock.close()
                raise
        self.sock.setblocking(False)
        self.buf = b""
        self.eof = False

    def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        self.sock.setblocking(True)
        self.sock.settimeout(10)
        try:
            self.sock.sendall(data)
        finally:
            self.sock.setblocking(False)

    def _fill(self, deadline):
        """Read more bytes; False at EOF or deadline."""
        if self.eof:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([self.sock], [], [], left)
        if not r:
            return False
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        except BlockingIOError:
            return True
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def recv_line(self, timeout=10):
        """Next line without its LF, or None at EOF; HarnessError at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            k = self.buf.find(b"\n")
            if k >= 0:
                line, self.buf = self.buf[:k], self.buf[k + 1:]
                return line.decode("utf-8", "surrogateescape")
            if not self._fill(deadline):
                if self.eof:
                    return None
                if time.monotonic() >= deadline:
                    raise HarnessError("no complete line within %ss (have %r)"
                        % (timeout, self.buf[:200]))

    def read_reply(self, timeout=10):
        """(status line, [record lines]); status None at EOF."""
        deadline = time.monotonic() + timeout
        status = self.recv_line(timeout)
        if status is None:
            return (None, [])
        st = parse_status(status)
        lines = []
        if st and st[0] == "OK":
            for _ in range(st[1]):
                line = self.recv_line(max(0.01, deadline - time.monotonic()))
                if line is None:
                    raise HarnessError("EOF inside a reply after %r" % status)
                lines.append(line)
        return (status, lines)

    def request(self, line, timeout=10):
        if isinstance(line, str):
            line = line.encode("utf-8", "surrogateescape")
        self.send(line + b"\n")
        return self.read_reply(timeout)

    def pending(self, timeout=0.2):
        """Bytes that arrive within timeout (for asserting that nothing came)."""
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        data, self.buf = self.buf, b""
        return data

    def is_closed(self, timeout=5):
        deadline = time.monotonic() + timeout
        while not self.eof:
            if not self._fill(deadline) and not self.eof:
                if time.monotonic() >= deadline:
                    return False
        return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


# --- the daemon under test ----------------------------------------------

def _as_list(v):
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return list(v)


def _resolve_user(as_user):
    """user name, uid, or (uid, gid) -> (uid, gid)."""
    if isinstance(as_user, tuple):
        return as_user
    if isinstance(as_user, int):
        try:
            return (as_user, pwd.getpwuid(as_user).pw_gid)
        except KeyError:
            return (as_user, as_user)
    pw = pwd.getpwnam(as_user)
    return (pw.pw_uid, pw.pw_gid)


class Daemon:
    def __init__(self, seed_url=None, seed_format="mistral", always_active=(),
                 always_inactive=(), new_model_status="inactive",
                 default_model="", api_key_file=None, access=None,
                 retry_min=1, retry_max=2, timeout=3, socket_mode="0660",
                 log_level="debug", extra="", config=None, env=None, args=(),
                 start=True, wait=True, wait_seed=False):
        self.dir = tempfile.mkdtemp(prefix="modelreg-it-")
        os.chmod(self.dir, 0o755)
        self.conf = os.path.join(self.dir, "modelregd.conf")
        self.sock = os.path.join(self.dir, "modelregd.sock")
        self.db = os.path.join(self.dir, "registry.db")
        self.logfile = os.path.join(self.dir, "modelregd.log")
        self.seed_url = seed_url or ""
        self.seed_format = seed_format
        self.always_active = _as_list(always_active)
        self.always_inactive = _as_list(always_inactive)
        self.new_model_status = new_model_status
        self.default_model = default_model or ""
        self.api_key_file = api_key_file
        self.access = access
        self.retry_min = retry_min
        self.retry_max = retry_max
        self.timeout = timeout
        self.socket_mode = socket_mode
        self.log_level = log_level
        self.extra = extra
        self.env = dict(env or {})
        self.args = list(args)
        self.proc = None
        self._log = None
        self._cleaned = False
        _register(self)
        self.write_config(config)
        if start:
            self.start(wait=wait)
            if wait_seed:
                self.wait_seeded()

    # config

    def config_text(self):
        L = []
        L.append("[daemon]")
        L.append("socket = %s" % self.sock)
        L.append("socket_mode = %s" % self.socket_mode)
        L.append("database = %s" % self.db)
        L.append("log_level = %s" % self.log_level)
        L.append("")
        if self.access is not None:
            L.append("[access]")
            for role in ("admin", "member", "service", "viewer"):
                if role in self.access:
                    L.append("%s = %s" % (role, " ".join(_as_list(self.access[role]))))
            L.append("")
        L.append("[seed]")
        L.append("url = %s" % self.seed_url)
        L.append("format = %s" % self.seed_format)
        if self.api_key_file:
            L.append("api_key_file = %s" % self.api_key_file)
        L.append("always_active = %s" % " ".join(self.always_active))
        L.append("always_inactive = %s" % " ".join(self.always_inactive))
        L.append("new_model_status = %s" % self.new_model_status)
        L.append("default_model = %s" % self.default_model)
        if self.timeout is not None:
            L.append("timeout = %s" % self.timeout)
        if self.retry_min is not None:
            L.append("retry_min = %s" % self.retry_min)
        if self.retry_max is not None:
            L.append("retry_max = %s" % self.retry_max)
        L.append("")
        L = [x.rstrip() for x in L]
        text = "\n".join(L)
        if self.extra:
            text += self.extra if self.extra.endswith("\n") else self.extra + "\n"
        return text

    def write_config(self, text=None):
        if text is None:
            text = self.config_text()
        with open(self.conf, "w") as f:
            f.write(text)
        os.chmod(self.conf, 0o644)

    def check_config(self, *args, timeout=30):
        return subprocess.run([MODELREGD, "-t", "-c", self.conf] + list(args),
            capture_output=True, text=True, errors="surrogateescape",
            env=self._env(), timeout=timeout)

    # process

    def _env(self, extra=None):
        e = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        e.update(self.env)
        if extra:
            e.update(extra)
        return e

    def start(self, wait=True):
        if self.proc is not None and self.proc.poll() is None:
            raise HarnessError("daemon already running")
        self._log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(WRAP + [MODELREGD, "-c", self.conf] + self.args,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            env=self._env(), close_fds=True)
        if wait:
            self.wait_ready()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def _ping(self):
        if not self.alive():
            raise HarnessError("modelregd exited with %s before answering\n--- log ---\n%s"
                % (self.proc.returncode, self.log_text()))
        try:
            with RawConn(self.sock, timeout=2) as c:
                st, recs = c.request("PING", timeout=2)
                return st == "OK 1"
        except (OSError, HarnessError):
            return False

    def wait_ready(self, timeout=None):
        timeout = READY_TIMEOUT if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while True:
            if self._ping():
                return True
            if time.monotonic() >= deadline:
                raise HarnessError("modelregd did not answer PING within %ss\n--- log ---\n%s"
                    % (timeout, self.log_text()))
            time.sleep(0.05)

    def stop(self, timeout=10):
        """SIGTERM and wait; SIGKILL if it does not exit in time. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close_log()
        return self.proc.returncode

    def kill9(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_log()
        return self.proc.returncode

    def restart(self, wait=True):
        self.stop()
        self.start(wait=wait)

    def reload(self):
        self.proc.send_signal(signal.SIGHUP)

    def _close_log(self):
        if self._log:
            self._log.close()
            self._log = None

    def log_text(self):
        try:
            with open(self.logfile, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def cleanup(self):
        if self._cleaned:
            return
        self._cleaned = True
        try:
            self.stop(timeout=5)
        finally:
            text = self.log_text()
            m = re.search(SANITIZER, text)
            if m and _tap is not None:
                _tap.ok(False, "no sanitizer report in the log of %s" % self.dir,
                        text[max(0, m.start() - 500):m.start() + 3000])
            shutil.rmtree(self.dir, ignore_errors=True)

    # clients

    def raw(self, timeout=10):
        return RawConn(self.sock, timeout)

    def request_lines(self, line, timeout=10):
        with self.raw(timeout) as c:
            return c.request(line, timeout)

    def request(self, line, timeout=10):
        st, lines = self.request_lines(line, timeout)
        return (st, [parse_logfmt(x) for x in lines])

    def ctl(self, *args, json=False, yes=False, input=None, as_user=None,
            check=None, env=None, socket=True, timeout=30):
        argv = [MODELREGCTL]
        if socket:
            argv += ["-s", self.sock]
        if json:
            argv.append("--json")
        if yes:
            argv.append("--yes")
        argv += [str(a) for a in args]
        if as_user is not None:
            uid, gid = _resolve_user(as_user)
            argv = ["setpriv", "--reuid", str(uid), "--regid", str(gid),
                "--clear-groups"] + argv
        e = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        if env:
            e.update(env)
        p = subprocess.run(argv, input=input, capture_output=True, text=True,
            errors="surrogateescape", env=e, timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL)
        if check is not None and p.returncode != check:
            raise HarnessError("%s: exit %d, want %d\nstdout: %s\nstderr: %s"
                % (" ".join(argv), p.returncode, check, p.stdout, p.stderr))
        return p

    def ctl_json(self, *args, check=0, **kw):
        p = self.ctl(*args, json=True, check=check, **kw)
        try:
            return jsonlib.loads(p.stdout)
        except ValueError as e:
            raise HarnessError("modelregctl --json %s: not JSON (%s): %r"
                % (" ".join(map(str, args)), e, p.stdout[:2000]))

    def status(self):
        """(daemon record, seed record) of STATUS; see sources() for the rest."""
        st, recs = self.request("STATUS")
        if not st.startswith("OK ") or len(recs) < 2:
            raise HarnessError("STATUS: %r" % (st,))
        return recs[0], recs[1]

    def sources(self):
        """STATUS's periodic-source records, by name ("catalog", "zdr", "uptime")."""
        st, recs = self.request("STATUS")
        if not st.startswith("OK "):
            raise HarnessError("STATUS: %r" % (st,))
        return {r["source"]: r for r in recs[2:] if r.get("source")}

    def wait_seeded(self, timeout=15, settled=True):
        def seeded():
            d, s = self.status()
            return s if s.get("last_ok") and s.get("state") != "running" else None
        try:
            s = wait_for(seeded, timeout, "a successful seed")
            # A large first seed leaves its indexes to the job after it: a
            # test that holds the import gate next means the next import.
            if settled:
                self.wait_settled(timeout)
            return s
        except HarnessError as e:
            raise HarnessError("%s\n--- log ---\n%s" % (e, self.log_text()))

    def wait_settled(self, timeout=15):
        """Until the registry owes no index and no search key waits (the
        jobs after an import, schema 11)."""
        def settled():
            try:
                db = self.open_db()
                try:
                    return db.execute("SELECT (SELECT count(*) FROM state"
                        " WHERE key LIKE 'import_pending_%') + (SELECT"
                        " count(*) FROM model_fts_dirty) + (SELECT count(*)"
                        " FROM catalog_fts_dirty)").fetchone()[0] == 0
                finally:
                    db.close()
            except sqlite3.Error:
                return False
        wait_for(settled, timeout, "the jobs after the import")

    def wait_for(self, fn, timeout=10, what="condition"):
        return wait_for(fn, timeout, what)

    def open_db(self):
        return sqlite3.connect("file:%s?mode=ro" % self.db, uri=True)

    snapshot_path = staticmethod(snapshot_path)
    data_path = staticmethod(data_path)
    file_url = staticmethod(file_url)
