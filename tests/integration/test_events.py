# test_events.py: events from real causes, EVENTS filters, WATCH framing and modelregctl events --follow, the exec and webhook alert channels (retries, timeouts, no shell, restarts), retention.
import json
import os
import re
import select
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time

import harness
import httpd

MISTRAL = harness.data_path("catalog-mistral.json")
PATH = "/v1/models"
HOOK = "/hook"
CLEAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


# --- helpers -------------------------------------------------------------

class TempDir:
    """A folder for the alert program and what it writes; removed at the end."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="modelreg-ev-")
        os.chmod(self.path, 0o755)
        harness._register(self)

    def join(self, *a):
        return os.path.join(self.path, *a)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


# The alert program: records its environment, argv and open descriptors,
# then behaves as the file "mode" says: ok (exit 0), fail (exit 1), or
# hang (start a child, then sleep; both must be killed at the deadline).
ALERT_PROGRAM = r'''#!/usr/bin/python3
import json, os, subprocess, sys, time
d = os.path.dirname(os.path.abspath(sys.argv[0]))
try:
    mode = open(os.path.join(d, "mode")).read().strip()
except OSError:
    mode = "ok"
fds = {}
for fd in os.listdir("/proc/self/fd"):
    try:
        fds[fd] = os.readlink("/proc/self/fd/" + fd)
    except OSError:
        pass
rec = {"env": dict(os.environ), "argv": sys.argv[1:], "fds": fds,
       "time": time.time(), "pid": os.getpid(), "pgid": os.getpgid(0),
       "mode": mode}
with open(os.path.join(d, "calls.jsonl"), "a") as f:
    f.write(json.dumps(rec) + "\n")
if mode == "fail":
    sys.exit(1)
if mode == "hang":
    p = subprocess.Popen(["/bin/sleep", "100"])
    with open(os.path.join(d, "hang.pids"), "w") as f:
        f.write("%d %d\n" % (os.getpid(), p.pid))
    time.sleep(100)
sys.exit(0)
'''


def alert_dir():
    t = TempDir()
    prog = t.join("alert.py")
    with open(prog, "w") as f:
        f.write(ALERT_PROGRAM)
    os.chmod(prog, 0o755)
    set_mode(t, "ok")
    return t


def set_mode(t, mode):
    with open(t.join("mode.tmp"), "w") as f:
        f.write(mode + "\n")
    os.rename(t.join("mode.tmp"), t.join("mode"))


def calls(t):
    try:
        with open(t.join("calls.jsonl")) as f:
            return [json.loads(x) for x in f if x.strip()]
    except OSError:
        return []


def wait_calls(t, n, timeout=15):
    return harness.wait_for(lambda: (lambda c: c if len(c) >= n else None)(calls(t)),
        timeout, "%d run(s) of the alert program" % n)


def alerts_conf(exec_argv=None, webhook=None, retries=2, timeout=2):
    L = ["[alerts]"]
    if exec_argv:
        L.append("exec = " + exec_argv)
    if webhook:
        L.append("webhook = " + webhook)
    L.append("retries = %d" % retries)
    L.append("timeout = %d" % timeout)
    return "\n".join(L) + "\n"


def status_recs(d):
    st, recs = d.request("STATUS")
    if not st or not st.startswith("OK"):
        raise harness.HarnessError("STATUS: %r" % st)
    return recs


def alert_rec(d, name):
    for r in status_recs(d):
        if r.get("alert") == name:
            return r
    return None


def seed_rec(d):
    for r in status_recs(d):
        if r.get("source") == "seed":
            return r
    return None


def wait_seeded(d, timeout=15):
    return d.wait_for(lambda: (lambda s: s if s and s.get("last_ok") and
        s.get("state") != "running" else None)(seed_rec(d)), timeout,
        "a successful seed")


def events(d, opts=""):
    st, recs = d.request(("EVENTS " + opts).strip())
    if not st or not st.startswith("OK"):
        raise harness.HarnessError("EVENTS %s: %r" % (opts, st))
    return recs


def wait_events(d, opts, n, timeout=15):
    return d.wait_for(lambda: (lambda e: e if len(e) >= n else None)(events(d, opts)),
        timeout, "%d event(s) for EVENTS %s" % (n, opts))


def kinds(recs):
    return [r["kind"] for r in recs]


def proc_gone(pid):
    """True when pid has exited (a zombie counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def insert_event(d, at, kind, model, message, details="{}"):
    c = sqlite3.connect(d.db, timeout=10)
    try:
        c.execute("INSERT INTO events(at, kind, model, message, details)"
            " VALUES (?, ?, ?, ?, ?)", (at, kind, model, message, details))
        c.commit()
    finally:
        c.close()


# --- events from real causes ---------------------------------------------

def test_seed_events(tap):
    srv = httpd.Server()
    srv.set(PATH, "status", code=500)
    d = harness.Daemon(seed_url=srv.url(PATH), retry_min=1, retry_max=1)
    ev = wait_events(d, "", 1)
    tap.eq(kinds(ev), ["seed.failed"], "a failing first-boot seed raises seed.failed")
    e = ev[0]
    tap.like(e["message"], r"HTTP 500", "seed.failed says why")
    tap.eq(e["model"], None, "seed.failed names no model (null)")
    tap.like(e["at"], harness.RFC3339, "at is RFC 3339")
    tap.eq(json.loads(e["details"]), {}, "details is a JSON object")
    srv.wait_requests(PATH, 3, timeout=15)
    tap.eq(kinds(events(d)), ["seed.failed"],
        "retries of the same streak raise no more events")

    srv.set(PATH, "file", file=MISTRAL)
    ev = wait_events(d, "", 2)
    tap.eq(kinds(ev), ["seed.failed", "seed.done"], "the seed that works raises seed.done")
    done = ev[1]
    tap.ok(int(done["id"]) > int(ev[0]["id"]), "ids grow")
    det = json.loads(done["details"])
    tap.eq((det.get("items"), det.get("added")), (6, 6), "seed.done details count the models")
    tap.like(done["message"], r"^seeded 6 models", "seed.done message")

    n = len(events(d))
    for line in ("ACTIVATE mistral-large-2411", "DEFAULT mistral-large-2411",
                 "ACTIVATE pixtral-large-2411", "DEACTIVATE pixtral-large-2411",
                 "DELETE mistral-embed"):
        st, _ = d.request(line)
        tap.ok(st and st.startswith("OK"), "manual change: %s" % line, st)
    tap.eq(kinds(events(d)[n:]), ["model.activated", "default.changed",
        "model.activated", "model.deactivated", "model.deleted"],
        "manual changes raise events too (issue 6)")

    # An on-demand seed that fails starts a new streak: one new event.
    srv.set(PATH, "status", code=503)
    st, _ = d.request("SEED")
    tap.err(st, "unavailable", "SEED with the source down fails")
    st, _ = d.request("SEED")
    tap.err(st, "unavailable", "SEED fails again")
    tap.eq(kinds(events(d, "kind=seed.*")), ["seed.failed", "seed.done", "seed.failed"],
        "one seed.failed per streak of failures")
    tap.like(events(d, "limit=1")[0]["message"], r"HTTP 503", "the new failure's cause")
    d.cleanup()


def test_filters(tap):
    d = harness.Daemon()
    now = int(time.time())
    insert_event(d, now - 7200, "model.down", "mistral-large-2411", "old down")
    insert_event(d, now - 60, "model.up", "mistral-large-2411", "recovered")
    insert_event(d, now - 10, "sync.failed", None, "catalog: HTTP 500")
    insert_event(d, now, "model.degraded", "pixtral-large-2411",
        'line one\nline "two" = \\ \x01 end',
        '{"uptime": 85.5, "alternatives": ["a", "b"], "n": {"x": null}}')
    insert_event(d, now, "model.delisted", "other-model", "delisted")

    tap.eq(len(events(d)), 5, "EVENTS lists everything by default")
    ev = events(d)
    tap.eq([int(e["id"]) for e in ev], sorted(int(e["id"]) for e in ev), "oldest first")
    e = ev[3]
    tap.eq(e["message"], 'line one\nline "two" = \\ \x01 end', "a hostile message round-trips")
    tap.eq(json.loads(e["details"]), {"uptime": 85.5, "alternatives": ["a", "b"],
        "n": {"x": None}}, "details round-trip as JSON")
    st, lines = d.request_lines("EVENTS")
    tap.eq(len(lines), 5, "one line per event, even with newlines in the message")
    tap.eq(list(harness.parse_logfmt(lines[0]).keys()),
        ["id", "at", "kind", "model", "message", "details"], "record keys in order")

    tap.eq([e["message"] for e in events(d, "since=1h")],
        ["recovered", "catalog: HTTP 500", ev[3]["message"], "delisted"], "since=1h")
    tap.eq(len(events(d, "since=30s")), 3, "since=30s")
    tap.eq(len(events(d, "since=3h")), 5, "since=3h")
    tap.eq(kinds(events(d, "kind=model.*")),
        ["model.down", "model.up", "model.degraded", "model.delisted"], "kind=model.*")
    tap.eq(kinds(events(d, "kind=model.up")), ["model.up"], "kind exact")
    tap.eq(len(events(d, "kind=model")), 0, "kind without * is exact")
    tap.eq(len(events(d, "kind=*")), 5, "kind=* is every kind")
    tap.eq(len(events(d, "kind=sync.*")), 1, "kind=sync.*")
    tap.eq([e["message"] for e in events(d, "model=mistral-large-2411")],
        ["old down", "recovered"], "model=")
    tap.eq(len(events(d, "model=other-model")), 1, "model= of a model not in the registry")
    tap.eq(len(events(d, "model=nope")), 0, "model= without events")
    tap.eq([e["message"] for e in events(d, "limit=2")],
        [ev[3]["message"], "delisted"], "limit=2: the newest two, oldest first")
    tap.eq([e["message"] for e in events(d, "kind=model.* limit=1 since=1h")],
        ["delisted"], "filters combine")
    for bad in ("limit=0", "limit=10001", "limit=abc", "limit=-1", "limit=", "since=bad",
                "since=0", "since=5y", "kind=", 'kind="a b"', "kind=*x", "kind=MODEL.DOWN",
                "foo=1", "extra"):
        st, _ = d.request("EVENTS " + bad)
        tap.err(st, "usage", "EVENTS %s is a usage error" % bad)
    tap.eq(len(events(d, "limit=10000")), 5, "limit=10000 is allowed")

    # The CLI renders the same events.
    p = d.ctl("events", "--kind", "model.*", "--limit", "2")
    tap.ok(p.returncode == 0 and "model.degraded" in p.stdout and "model.delisted" in p.stdout
        and "model.up" not in p.stdout, "modelregctl events --kind --limit", p.stdout + p.stderr)
    d.cleanup()


def read_event(conn, timeout=10):
    st, lines = conn.read_reply(timeout)
    if st != "OK 1" or len(lines) != 1:
        return st, None
    return st, harness.parse_logfmt(lines[0])


def test_watch(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=MISTRAL)
    d = harness.Daemon(seed_url=srv.url(PATH))
    wait_events(d, "kind=seed.done", 1)

    w1 = d.raw()
    tap.eq(w1.request("WATCH"), ("OK 0", []), "WATCH answers OK 0")
    w2 = d.raw()
    tap.eq(w2.request("WATCH kind=seed.*"), ("OK 0", []), "WATCH kind=seed.*")
    w3 = d.raw()
    tap.eq(w3.request("WATCH kind=model.*"), ("OK 0", []), "WATCH kind=model.*")
    tap.eq(w1.pending(0.3), b"", "events from before WATCH are not sent")
    w1.send("PING\n")
    tap.eq(w1.pending(0.3), b"", "a watching connection reads no further requests")

    st, _ = d.request("SEED")
    tap.eq(st, "OK 1", "SEED runs")
    st, e = read_event(w1)
    tap.ok(e is not None and e["kind"] == "seed.done", "watcher gets OK 1 + the event", st)
    st, e2 = read_event(w2)
    tap.ok(e2 is not None and e2 == e, "second watcher gets the same record", st)
    tap.eq(w3.pending(0.5), b"", "a watcher filtering another kind gets nothing")
    tap.eq(e, events(d, "limit=1")[0], "the streamed record is the EVENTS record")

    # The CLI follows the same stream.
    watchers = d.log_text().count("events: watcher added")
    p = subprocess.Popen([harness.MODELREGCTL, "-s", d.sock, "events", "--follow"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != "MODELREG_SOCKET"})
    try:
        # Its WATCH registered, not merely its connection: the daemon logs each watcher.
        d.wait_for(lambda: d.log_text().count("events: watcher added") > watchers, 10,
            "modelregctl events --follow's WATCH to be registered")
        w2.close()
        srv.set(PATH, "status", code=500)
        st, _ = d.request("SEED")
        tap.err(st, "unavailable", "a failing SEED")
        st, e = read_event(w1)
        tap.ok(e is not None and e["kind"] == "seed.failed",
            "the remaining watcher gets seed.failed after another closed", st)
        r, _, _ = select.select([p.stdout], [], [], 10)
        line = p.stdout.readline().decode("utf-8", "replace") if r else ""
        tap.like(line, r"seed\.failed", "modelregctl events --follow prints the event")
    finally:
        p.send_signal(signal.SIGINT)
        try:
            rc = p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait(10)
        err = p.stderr.read().decode("utf-8", "replace")
        p.stdout.close()
        p.stderr.close()
    tap.eq(rc, 0, "modelregctl events --follow ends cleanly on SIGINT", err)
    tap.eq(w3.pending(0.3), b"", "the model.* watcher still got nothing")

    # A watcher that does not read is closed past 4 MiB; the others go on.
    w1.close()
    d.wait_for(lambda: int(status_recs(d)[0]["clients"]) == 2, 5, "w1 to go")
    slow = d.raw()
    tap.eq(slow.request("WATCH"), ("OK 0", []), "a watcher that will not read")
    fast = d.raw()
    tap.eq(fast.request("WATCH kind=seed.*"), ("OK 0", []), "a watcher of seed.*")
    before = int(status_recs(d)[0]["clients"])
    c = sqlite3.connect(d.db, timeout=10)
    try:
        now = int(time.time())
        c.executemany("INSERT INTO events(at, kind, model, message) VALUES (?, ?, ?, ?)",
            [(now, "bulk.test", None, "%05d " % i + "x" * 1000) for i in range(6000)])
        c.commit()
    finally:
        c.close()
    srv.set(PATH, "file", file=MISTRAL)
    st, _ = d.request("SEED")
    st, e = read_event(fast)
    tap.ok(e is not None and e["kind"] == "seed.done", "the reading watcher gets its event", st)
    d.wait_for(lambda: int(status_recs(d)[0]["clients"]) == before - 1, 10,
        "the slow watcher to be closed")
    tap.ok(slow.is_closed(10), "a watcher with over 4 MiB unread is disconnected")
    tap.like(d.log_text(), r"watch backlog over", "and the log says why")
    fast.close()
    slow.close()

    st, _ = d.request("WATCH kind=Bad!")
    tap.err(st, "usage", "WATCH with a bad kind")
    st, _ = d.request("WATCH now")
    tap.err(st, "usage", "WATCH takes no positional word")
    w1.close()
    w3.close()
    d.wait_for(lambda: int(status_recs(d)[0]["clients"]) == 1, 5, "watchers to go")
    tap.eq(d.request("PING")[0], "OK 1", "the daemon serves on after watchers closed")
    d.cleanup()


# --- the exec channel ----------------------------------------------------

def test_exec(tap):
    t = alert_dir()
    srv = httpd.Server()
    srv.set(PATH, "file", file=MISTRAL)
    # No blank before ';': inih would take the rest of the line for a comment.
    hostile = ["$(touch${IFS}%s)" % t.join("pwned1"),
               "x;touch${IFS}%s;" % t.join("pwned2"),
               "`touch${IFS}%s`" % t.join("pwned3")]
    d = harness.Daemon(seed_url=srv.url(PATH), always_active=hostile,
        env={"MODELREG_LEAK": "secret"},
        extra=alerts_conf(exec_argv='%s one "two words" $HOME' % t.join("alert.py"),
            retries=2, timeout=2))
    c = wait_calls(t, 1)[0]
    env = c["env"]
    ev = events(d)[0]
    tap.eq(env.get("MODELREG_EVENT"), "seed.done", "MODELREG_EVENT")
    tap.eq(env.get("MODELREG_MODEL"), "", "MODELREG_MODEL empty without a model")
    tap.eq(env.get("MODELREG_MESSAGE"), ev["message"], "MODELREG_MESSAGE is the message")
    tap.eq(env.get("MODELREG_EVENT_ID"), ev["id"], "MODELREG_EVENT_ID")
    tap.eq(env.get("MODELREG_TIME"), ev["at"], "MODELREG_TIME (RFC 3339)")
    tap.eq(json.loads(env.get("MODELREG_DETAILS", "null")), json.loads(ev["details"]),
        "MODELREG_DETAILS is the details JSON")
    tap.eq(env.get("PATH"), CLEAN_PATH, "a clean PATH")
    extra = sorted(k for k in env if not k.startswith("MODELREG_")
        and k not in ("PATH", "LC_CTYPE"))
    tap.eq(extra, [], "nothing else of the daemon's environment")
    tap.ok("MODELREG_LEAK" not in env, "the daemon's own environment does not leak")
    tap.eq(c["argv"], ["one", "two words", "$HOME"], "argv as configured, no expansion")
    leaked = {fd: p for fd, p in c["fds"].items() if int(fd) > 2 and
        ("registry.db" in p or "socket:" in p or p.endswith(".sock"))}
    tap.eq(leaked, {}, "no database or socket descriptor in the program")
    tap.ok(c["fds"].get("0") == "/dev/null", "stdin is /dev/null", c["fds"])
    tap.eq(c["pgid"], c["pid"], "the program leads its own process group")
    for h in hostile:
        tap.ok(h in env.get("MODELREG_MESSAGE", ""), "the message carries %s verbatim" % h)
    time.sleep(0.3)
    tap.ok(not any(os.path.exists(t.join("pwned%d" % i)) for i in (1, 2, 3)),
        "no shell ran anything from the message")
    d.wait_for(lambda: (alert_rec(d, "exec") or {}).get("delivered") == "1", 5,
        "delivered=1")
    r = alert_rec(d, "exec")
    tap.eq((r["state"], r["failed"], r["pending"], r["last_error"]),
        ("idle", "0", "0", ""), "STATUS alert=exec after a delivery")
    tap.eq(alert_rec(d, "webhook"), None, "no webhook record when none is configured")

    # A failing program: retried once (retries = 2), then given up.
    set_mode(t, "fail")
    st, _ = d.request("SEED")
    tap.eq(st, "OK 1", "SEED for a second event")
    cs = wait_calls(t, 3)
    r = d.wait_for(lambda: (lambda r: r if r and r["failed"] == "1" else None)(
        alert_rec(d, "exec")), 10, "failed=1")
    tap.eq(len(calls(t)), 3, "a failing program runs retries times")
    tap.ok(cs[2]["time"] - cs[1]["time"] >= 0.9, "the retry waits (backoff)",
        cs[2]["time"] - cs[1]["time"])
    tap.eq(cs[1]["env"]["MODELREG_EVENT_ID"], cs[2]["env"]["MODELREG_EVENT_ID"],
        "the retry is the same event")
    tap.like(r["last_error"], r"exited with status 1", "last_error says why")
    tap.eq((r["state"], r["pending"], r["delivered"]), ("idle", "0", "1"),
        "given up: the channel moves on")
    time.sleep(1.5)
    tap.eq(len(calls(t)), 3, "no attempt after giving up")

    # A hanging program is killed at the timeout, with its children; the loop answers meanwhile.
    set_mode(t, "hang")
    st, _ = d.request("SEED")
    wait_calls(t, 4)
    d.wait_for(lambda: os.path.exists(t.join("hang.pids")), 5, "the hanging program")
    t0 = time.monotonic()
    st, _ = d.request("PING", timeout=2)
    tap.ok(st == "OK 1" and time.monotonic() - t0 < 1, "PING answers while the program hangs")
    r = alert_rec(d, "exec")
    tap.eq(r["state"], "delivering", "STATUS shows delivering")
    with open(t.join("hang.pids")) as f:
        pids = [int(x) for x in f.read().split()]
    os.unlink(t.join("hang.pids"))
    d.wait_for(lambda: all(proc_gone(p) for p in pids), 6, "the program and its child killed")
    tap.ok(all(proc_gone(p) for p in pids), "the hanging program and its child were killed", pids)
    r = d.wait_for(lambda: (lambda r: r if r and r["failed"] == "2" else None)(
        alert_rec(d, "exec")), 10, "failed=2")
    tap.like(r["last_error"], r"timeout", "last_error: timeout")
    tap.eq(len(calls(t)), 5, "the hanging program was tried twice")
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    if os.path.exists(t.join("hang.pids")):
        with open(t.join("hang.pids")) as f:
            for p in f.read().split():
                try:
                    os.kill(int(p), signal.SIGKILL)
                except OSError:
                    pass

    # Back to working: the next event is delivered.
    set_mode(t, "ok")
    st, _ = d.request("SEED")
    wait_calls(t, 6)
    d.wait_for(lambda: (alert_rec(d, "exec") or {}).get("delivered") == "2", 5, "delivered=2")
    tap.eq(d.request("PING")[0], "OK 1", "the daemon is fine")
    d.cleanup()


def test_exec_shutdown(tap):
    """A daemon stopped while its program hangs kills it and exits promptly."""
    t = alert_dir()
    set_mode(t, "hang")
    srv = httpd.Server()
    srv.set(PATH, "file", file=MISTRAL)
    d = harness.Daemon(seed_url=srv.url(PATH),
        extra=alerts_conf(exec_argv=t.join("alert.py"), retries=2, timeout=30))
    d.wait_for(lambda: os.path.exists(t.join("hang.pids")), 10, "the hanging program")
    with open(t.join("hang.pids")) as f:
        pids = [int(x) for x in f.read().split()]
    t0 = time.monotonic()
    rc = d.stop()
    tap.eq(rc, 0, "the daemon stops cleanly with a program running")
    tap.ok(time.monotonic() - t0 < 5, "and promptly")
    tap.ok(proc_gone(pids[0]), "the program is killed at shutdown")
    d.wait_for(lambda: proc_gone(pids[1]), 5, "its child killed")
    tap.ok(proc_gone(pids[1]), "its child is killed too", pids)
    d.cleanup()


def test_exec_missing(tap):
    """A program that cannot run: each event is given up, clearly, and the channel goes on."""
    srv = httpd.Server()
    srv.set(PATH, "file", file=MISTRAL)
    d = harness.Daemon(seed_url=srv.url(PATH),
        extra=alerts_conf(exec_argv="/nonexistent/modelreg-alert", retries=1, timeout=2))
    wait_events(d, "kind=seed.done", 1)
    for _ in range(3):
        d.request("SEED")
    r = d.wait_for(lambda: (lambda r: r if r and r["failed"] == "4" else None)(
        alert_rec(d, "exec")), 10, "failed=4")
    tap.like(r["last_error"], r"cannot run /nonexistent/modelreg-alert: No such file",
        "last_error names the program and the reason")
    tap.eq((r["state"], r["pending"], r["delivered"]), ("idle", "0", "0"),
        "every event given up, none pending")
    tap.eq(d.request("PING")[0], "OK 1", "the daemon is fine")
    d.cleanup()


# --- the webhook channel -------------------------------------------------

def test_webhook(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=MISTRAL)
    hook = httpd.Server()
    hook.set(HOOK, "bytes", data=b"thanks")
    d = harness.Daemon(seed_url=srv.url(PATH),
        extra=alerts_conf(webhook=hook.url(HOOK), retries=3, timeout=2))
    req = hook.wait_requests(HOOK, 1)[0]
    tap.eq(req["method"], "POST", "the webhook is POSTed")
    tap.like(req["headers"].get("content-type", ""), r"^application/json", "as JSON")
    body = json.loads(req["body"])
    ev = events(d)[0]
    tap.eq(sorted(body.keys()), ["at", "details", "id", "kind", "message", "model"],
        "the body's fields")
    tap.eq((body["id"], body["at"], body["kind"], body["model"], body["message"]),
        (int(ev["id"]), ev["at"], "seed.done", None, ev["message"]), "the body's values")
    tap.eq(body["details"], json.loads(ev["details"]), "details embedded as JSON, not a string")
    d.wait_for(lambda: (alert_rec(d, "webhook") or {}).get("delivered") == "1", 5,
        "delivered=1")

    # 500 twice, then accepted: retried with backoff, delivered once.
    hook.clear_log()
    hook.set(HOOK, "status", code=500)
    st, _ = d.request("SEED")
    tap.eq(st, "OK 1", "SEED for a second event")
    hook.wait_requests(HOOK, 2, timeout=10)
    r = alert_rec(d, "webhook")
    tap.eq(r["state"], "retrying", "STATUS: retrying")
    tap.like(r["last_error"], r"500", "last_error: HTTP 500")
    tap.eq(r["pending"], "1", "pending=1")
    hook.set(HOOK, "bytes", data=b"")
    reqs = hook.wait_requests(HOOK, 3, timeout=10)
    r = d.wait_for(lambda: (lambda r: r if r and r["delivered"] == "2" else None)(
        alert_rec(d, "webhook")), 10, "delivered=2")
    tap.eq((r["state"], r["failed"], r["pending"], r["last_error"]),
        ("idle", "0", "0", ""), "delivered after the retries")
    tap.eq(len({x["body"] for x in reqs}), 1, "every attempt carried the same event")
    tap.ok(reqs[1]["time"] - reqs[0]["time"] >= 0.9 and
        reqs[2]["time"] - reqs[1]["time"] >= 1.9, "backoff 1 s, then 2 s",
        [x["time"] for x in reqs])

    # A webhook that hangs times out and is given up after retries; the loop answers.
    hook.clear_log()
    hook.set(HOOK, "hang")
    d.request("SEED")
    hook.wait_requests(HOOK, 1, timeout=10)
    t0 = time.monotonic()
    tap.eq(d.request("PING", timeout=2)[0], "OK 1", "PING answers during a hanging POST")
    tap.ok(time.monotonic() - t0 < 1, "at once")
    hook.set(HOOK, "bytes", data=b"")
    r = d.wait_for(lambda: (lambda r: r if r and r["delivered"] == "3" else None)(
        alert_rec(d, "webhook")), 15, "delivered=3")
    tap.ok(len(hook.requests_for(HOOK)) >= 2, "the timed-out POST was retried")
    d.cleanup()


def test_webhook_restart(tap):
    """Undelivered events survive a restart and go out after it."""
    srv = httpd.Server()
    srv.set(PATH, "file", file=MISTRAL)
    hook = httpd.Server()
    hook.set(HOOK, "status", code=503)
    d = harness.Daemon(seed_url=srv.url(PATH),
        extra=alerts_conf(webhook=hook.url(HOOK), retries=10, timeout=2))
    hook.wait_requests(HOOK, 1)
    d.request("SEED")
    d.wait_for(lambda: (alert_rec(d, "webhook") or {}).get("pending") == "2", 5, "pending=2")
    tap.eq(d.stop(), 0, "stopped with two events undelivered")
    ids = None
    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True)
    try:
        cursor = c.execute("SELECT value FROM state WHERE key ="
            " 'alerts_webhook_cursor'").fetchone()
        ids = [r[0] for r in c.execute("SELECT id FROM events ORDER BY id")]
    finally:
        c.close()
    tap.eq(cursor, ("0",), "the cursor is persisted before the undelivered events")

    hook.clear_log()
    hook.set(HOOK, "bytes", data=b"")
    d.start()
    reqs = hook.wait_requests(HOOK, 2, timeout=10)
    tap.eq([json.loads(x["body"])["id"] for x in reqs[:2]], ids,
        "after the restart both events arrive, in order")
    d.wait_for(lambda: (alert_rec(d, "webhook") or {}).get("pending") == "0", 5, "pending=0")
    time.sleep(0.3)
    tap.eq(len(hook.requests_for(HOOK)), 2, "each once")

    # A restart with everything delivered sends nothing again.
    d.restart()
    time.sleep(0.5)
    tap.eq(len(hook.requests_for(HOOK)), 2, "nothing is sent twice across a restart")
    d.cleanup()


def test_reconfigure(tap):
    """A channel added by a reload starts at the newest event; a removed one stops."""
    srv = httpd.Server()
    srv.set(PATH, "file", file=MISTRAL)
    hook = httpd.Server()
    hook.set(HOOK, "bytes", data=b"")
    d = harness.Daemon(seed_url=srv.url(PATH))
    wait_events(d, "kind=seed.done", 1)
    tap.eq([r for r in status_recs(d) if "alert" in r], [], "no alert records without [alerts]")

    d.extra = alerts_conf(webhook=hook.url(HOOK), retries=2, timeout=2)
    d.write_config()
    st, _ = d.request("RELOAD")
    tap.eq(st, "OK 1", "RELOAD adds a webhook")
    r = alert_rec(d, "webhook")
    tap.eq((r or {}).get("pending"), "0", "history is not replayed")
    time.sleep(0.5)
    tap.eq(len(hook.requests_for(HOOK)), 0, "no POST for the old events")
    d.request("SEED")
    req = hook.wait_requests(HOOK, 1)[0]
    tap.eq(json.loads(req["body"])["kind"], "seed.done", "a new event goes out")

    # Another URL keeps the cursor.
    hook2 = httpd.Server()
    hook2.set(HOOK, "bytes", data=b"")
    d.extra = alerts_conf(webhook=hook2.url(HOOK), retries=2, timeout=2)
    d.write_config()
    tap.eq(d.request("RELOAD")[0], "OK 1", "RELOAD with another URL")
    time.sleep(0.5)
    tap.eq(len(hook2.requests_for(HOOK)), 0, "a changed URL keeps the cursor")
    d.request("SEED")
    hook2.wait_requests(HOOK, 1)
    tap.eq(len(hook.requests_for(HOOK)), 1, "the new event goes to the new URL only")

    d.extra = ""
    d.write_config()
    tap.eq(d.request("RELOAD")[0], "OK 1", "RELOAD removes [alerts]")
    tap.eq(alert_rec(d, "webhook"), None, "the channel is gone from STATUS")
    d.request("SEED")
    wait_events(d, "kind=seed.done", 4)
    time.sleep(0.5)
    tap.eq(len(hook2.requests_for(HOOK)), 1, "a removed channel sends nothing")
    c = d.open_db()
    try:
        row = c.execute("SELECT value FROM state WHERE key = 'alerts_webhook_cursor'").fetchone()
    finally:
        c.close()
    tap.eq(row, None, "its cursor is forgotten")
    d.cleanup()


# --- retention ([daemon] event_retention) ---------------------------------

DAY = 86400


def db_write(d, fn):
    """Run fn(connection) on the daemon's database, writing, then commit."""
    c = sqlite3.connect(d.db, timeout=10)
    try:
        fn(c)
        c.commit()
    finally:
        c.close()


def event_ids(d):
    c = d.open_db()
    try:
        return [r[0] for r in c.execute("SELECT id FROM events ORDER BY id")]
    finally:
        c.close()


def wait_messages(d, want, what, timeout=10):
    """Poll EVENTS until its messages are exactly want (a list)."""
    try:
        return d.wait_for(lambda: (lambda m: m if m == want else None)(
            [e["message"] for e in events(d, "limit=10000")]), timeout, what)
    except harness.HarnessError:
        return [e["message"] for e in events(d, "limit=10000")]


def retention_conf(value):
    return "[daemon]\nevent_retention = %s\n" % value


def test_retention(tap):
    """Old events are pruned at start-up (in batches) and after a reload that changes the retention."""
    d = harness.Daemon()
    tap.eq(d.stop(), 0, "a fresh database, daemon stopped")
    now = int(time.time())
    bulk = 2500                     # more than one batch of 1000
    rows = [(now - 100 * DAY + i, "bulk.old", None, "bulk %d" % i) for i in range(bulk)]
    rows += [(now - 100 * DAY, "model.down", "m1", "100 days"),
             (now - 40 * DAY, "model.down", "m1", "40 days"),
             (now - 29 * DAY, "model.up", "m1", "29 days"),
             (now - 20 * DAY, "model.up", "m1", "20 days"),
             (now - DAY, "sync.failed", None, "1 day"),
             (now, "sync.failed", None, "now")]
    db_write(d, lambda c: c.executemany("INSERT INTO events(at, kind, model, message)"
        " VALUES (?, ?, ?, ?)", rows))

    d.extra = retention_conf("30d")
    d.write_config()
    d.start()
    got = wait_messages(d, ["29 days", "20 days", "1 day", "now"],
        "events older than 30 days to be pruned")
    tap.eq(got, ["29 days", "20 days", "1 day", "now"],
        "restart with event_retention = 30d: older events pruned, recent ones kept")
    log = d.wait_for(lambda: (lambda t: t if re.search(r"pruned \d+ events", t) else None)(
        d.log_text()), 5, "the prune log line")
    tap.like(log, r"events: pruned %d events older than 30d" % (bulk + 2),
        "one log line counts every batch of the pass")
    tap.eq(len(re.findall(r"events: pruned", log)), 1, "logged once per pass")
    tap.eq(d.request("PING")[0], "OK 1", "the daemon serves after pruning")

    # A reload that changes the retention prunes at once.
    d.extra = retention_conf("14d")
    d.write_config()
    tap.eq(d.request("RELOAD")[0], "OK 1", "RELOAD with event_retention = 14d")
    got = wait_messages(d, ["1 day", "now"], "events older than 14 days to be pruned")
    tap.eq(got, ["1 day", "now"], "after the reload: older than 14 days pruned")
    tap.like(d.log_text(), r"events: pruned 2 events older than 14d", "and logged")

    # A reload that leaves the retention alone prunes nothing new right away.
    db_write(d, lambda c: c.execute("INSERT INTO events(at, kind, model, message)"
        " VALUES (?, 'model.down', 'm1', '60 days')", (now - 60 * DAY,)))
    tap.eq(d.request("RELOAD")[0], "OK 1", "RELOAD with the same retention")
    time.sleep(0.3)
    tap.eq([e["message"] for e in events(d)], ["1 day", "now", "60 days"],
        "an unchanged retention waits for the hourly pass")
    tap.eq(d.stop(), 0, "stops cleanly")
    d.cleanup()


def test_retention_alerts(tap):
    """An event an alert channel has not delivered is never pruned, whatever its age."""
    t = alert_dir()
    hook = httpd.Server()
    hook.set(HOOK, "status", code=503)
    # A working program and a webhook that is down; many retries keep the event pending.
    conf = alerts_conf(exec_argv=t.join("alert.py"), webhook=hook.url(HOOK),
        retries=100, timeout=2)
    d = harness.Daemon(extra=conf)
    tap.eq(d.stop(), 0, "both channels configured, daemon stopped")
    now = int(time.time())

    def setup(c):
        c.executemany("INSERT INTO events(id, at, kind, model, message) VALUES"
            " (?, ?, 'model.down', 'm1', ?)",
            [(i, now - 100 * DAY + i, "old %d" % i) for i in range(1, 6)])
        # Delivered (or given up) up to 3 by the webhook, up to 5 by the program.
        c.execute("INSERT OR REPLACE INTO state(key, value) VALUES"
            " ('alerts_webhook_cursor', '3'), ('alerts_exec_cursor', '5')")
    db_write(d, setup)

    d.extra = conf + retention_conf("30d")
    d.write_config()
    d.start()
    req = hook.wait_requests(HOOK, 1, timeout=10)[0]
    tap.eq(json.loads(req["body"])["id"], 4, "the down webhook is trying event 4")
    d.wait_for(lambda: 1 not in event_ids(d), 10, "the pass at start-up")
    d.wait_for(lambda: re.search(r"events: pruned", d.log_text()), 5, "the prune log line")
    tap.eq(event_ids(d), [4, 5],
        "old events up to the smallest cursor pruned; 4 and 5, undelivered, kept")
    tap.like(d.log_text(), r"events: pruned 3 events older than 30d", "3 pruned")
    tap.eq((alert_rec(d, "webhook") or {}).get("pending"), "2",
        "the webhook still has both pending")
    tap.eq(calls(t), [], "the program had nothing to run (its cursor is at 5)")

    # Another pass (a changed retention) still keeps them while the webhook is down.
    d.extra = conf + retention_conf("29d")
    d.write_config()
    tap.eq(d.request("RELOAD")[0], "OK 1", "RELOAD with event_retention = 29d")
    time.sleep(0.3)
    tap.eq(event_ids(d), [4, 5], "a second pass keeps the undelivered events")

    # The webhook is back: once delivered, they go at the next pass.
    hook.set(HOOK, "bytes", data=b"")
    d.wait_for(lambda: (alert_rec(d, "webhook") or {}).get("pending") == "0", 30,
        "the webhook to deliver events 4 and 5")
    d.extra = conf + retention_conf("28d")
    d.write_config()
    tap.eq(d.request("RELOAD")[0], "OK 1", "RELOAD with event_retention = 28d")
    d.wait_for(lambda: event_ids(d) == [], 10, "delivered events to be pruned")
    tap.eq(event_ids(d), [], "once delivered, old events are pruned")
    tap.eq(d.stop(), 0, "stops cleanly")
    d.cleanup()


def test_people(tap):
    """Changes made by people raise events naming who, seen by EVENTS and WATCH."""
    srv = httpd.Server()
    srv.set(PATH, "file", file=MISTRAL)
    d = harness.Daemon(seed_url=srv.url(PATH), extra="[catalog]\nurl = %s\n"
        "format = mistral\ninterval = 1h\n" % srv.url(PATH))
    wait_events(d, "kind=seed.done", 1)
    st, who = d.request("WHOAMI")
    user, uid = who[0]["user"], int(who[0]["uid"])
    st, recs = d.request("LIST status=all")
    # b becomes the default, which must be a chat model.
    ids = [r["id"] for r in recs if r.get("default") != "true" and r.get("kind") == "chat"]
    dflt = [r["id"] for r in recs if r.get("default") == "true"]
    tap.ok(len(ids) >= 2, "two chat models that are not the default", ids)
    a, b = ids[0], ids[1]
    for m in (a, b):
        d.request("ACTIVATE %s" % m)
    w = d.raw()
    tap.eq(w.request("WATCH"), ("OK 0", []), "WATCH")
    before = len(events(d, "limit=10000"))

    steps = [
        (("deactivate", a), "model.deactivated", a),
        (("activate", a), "model.activated", a),
        (("default", b), "default.changed", b),
        (("delete", a), "model.deleted", a),
        (("sync", a), "model.synced", a),
    ]
    for args, kind, model in steps:
        p = d.ctl(*args, yes=True)
        tap.eq(p.returncode, 0, "modelregctl %s" % " ".join(args), p.stderr)
        st, e = read_event(w)
        tap.eq((e or {}).get("kind"), kind, "WATCH gets %s" % kind, st)
        tap.eq((e or {}).get("model"), model, "%s: the model column" % kind)
        det = json.loads(e["details"]) if e else {}
        tap.eq((det.get("actor"), det.get("uid"), det.get("reason")),
            (user, uid, "manual"), "%s: details name who" % kind)
        msg = (e or {}).get("message", "")
        tap.like(msg, r"by %s \(uid %d\)" % (re.escape(user), uid),
            "%s: the message names who" % kind)
        tap.ok(model not in msg, "%s: the message does not repeat the model id" % kind,
            msg)
    det = json.loads(events(d, "kind=default.changed")[-1]["details"])
    tap.eq((det.get("old"), det.get("new")), (dflt[0] if dflt else None, b),
        "default.changed: old and new")
    # A refused change raises nothing.
    p = d.ctl("deactivate", b, yes=True)
    tap.eq(p.returncode, 1, "deactivating the default is refused")
    tap.eq(w.pending(0.5), b"", "a refused change raises no event")
    got = events(d, "limit=10000")[before:]
    tap.eq(kinds(got), [k for _, k, _ in steps], "EVENTS lists the five, in order")
    w.close()
    d.cleanup()


def test_writers_wait_import(tap):
    """The loop's own writers (the expiry check, event pruning) wait their turn behind a held import, on a timer, instead of stopping the loop in SQLite's busy handler; they run once it commits."""
    srv = httpd.Server()
    srv.set(PATH, "file", file=MISTRAL)
    d = harness.Daemon(seed_url=srv.url(PATH), start=False)
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    d.start()
    harness.wait_for(lambda: os.path.exists(held), 60, "the seed to wait at its commit")
    # A reload runs the expiry check at once, and pruning too when the retention changes.
    d.extra = "[daemon]\nevent_retention = 30d\n"
    d.write_config()
    d.reload()

    def waits():
        t = d.log_text()
        return (t.count("expiry: the check waits for the import under way"),
                t.count("events: pruning waits for the import under way"))
    harness.wait_for(lambda: min(waits()) >= 2, 10,
        "the expiry check and pruning to wait (and try again) for the import")
    with d.raw() as c:
        tap.eq(c.request("PING")[0], "OK 1", "PING is answered while they wait")
    tap.ok(os.path.exists(held) and not d.log_text().count("database is locked"),
        "the import is still held, and nothing met a locked database")
    open(gate, "w").close()
    d.wait_seeded(timeout=30)
    # Once it has committed, they run: the counts of waits stop growing.
    time.sleep(0.5)
    a = waits()
    time.sleep(0.5)
    tap.eq(waits(), a, "after the commit both have run (no more waits)")
    tap.ok("database is locked" not in d.log_text(), "no writer met a locked database")
    d.cleanup()


def test_event_waits_import(tap):
    """An event the loop raises outside any transaction (a source that fails
    before its fetch) while an import holds the write lock is recorded after
    the import's commit, with the time it happened, and the loop answers meanwhile."""
    srv = httpd.Server()
    srv.set(PATH, "file", file=MISTRAL)
    d = harness.Daemon(seed_url=srv.url(PATH), start=False)
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    d.start()
    harness.wait_for(lambda: os.path.exists(held), 60, "the seed to wait at its commit")
    # Enabling a source runs it at once; without its key it fails before any fetch.
    d.extra = ("[uptime]\nurl = %s\napi_key_file = %s\n"
        % (srv.url("/u/{id}"), os.path.join(d.dir, "no-such-key")))
    d.write_config()
    t0 = int(time.time())
    d.reload()
    harness.wait_for(lambda: "events: an event waits for the import under way" in d.log_text(),
        30, "the uptime source's sync.failed to wait for the import")
    with d.raw() as c:
        tap.eq(c.request("PING")[0], "OK 1", "PING is answered while the event waits")
    db = d.open_db()
    n = db.execute("SELECT count(*) FROM events WHERE kind = 'sync.failed'").fetchone()[0]
    db.close()
    tap.eq(n, 0, "... and it is not recorded while the seed is open")
    tap.ok(os.path.exists(held), "... which it still is")
    open(gate, "w").close()
    d.wait_seeded(timeout=30)

    def failed():
        db = d.open_db()
        try:
            return db.execute("SELECT id, at, details FROM events WHERE kind = 'sync.failed'"
                ).fetchall()
        finally:
            db.close()
    rows = harness.wait_for(failed, 30, "the sync.failed event after the commit")
    db = d.open_db()
    seed = db.execute("SELECT max(id) FROM events WHERE kind = 'seed.done'").fetchone()[0]
    db.close()
    tap.ok(len(rows) == 1 and json.loads(rows[0][2]).get("source") == "uptime",
        "one sync.failed of the uptime source", rows)
    tap.ok(seed is not None and rows[0][0] > seed,
        "recorded after the seed's commit (after its seed.done)", (seed, rows))
    tap.ok(rows[0][1] <= int(time.time()) and rows[0][1] >= t0 - 1,
        "with the time it happened", rows)
    tap.ok("database is locked" not in d.log_text(), "nothing met a locked database")
    d.cleanup()


def run(tap):
    for fn in (test_event_waits_import, test_writers_wait_import, test_people, test_seed_events, test_filters, test_watch, test_exec, test_exec_shutdown,
               test_exec_missing,
               test_webhook, test_webhook_restart, test_reconfigure,
               test_retention, test_retention_alerts):
        tap.diag(fn.__name__)
        try:
            fn(tap)
        except Exception:
            import traceback
            tap.ok(False, "%s ran to the end" % fn.__name__, traceback.format_exc())
        harness.cleanup_all()


harness.main(run)
