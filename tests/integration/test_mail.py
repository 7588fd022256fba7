# test_mail.py: the [alerts] mail channel against a real SMTP server on loopback (tests/lib/smtpd.py): headers and body, the flap hold-down, retries, restarts, secrets, config validation, smtps; the default mail_kinds mail default.changed and not model.deactivated.
import email
import email.policy
import email.utils
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time

import harness
import httpd
import smtpd

MODELS = harness.data_path("up-models.json")
API = "/api/v1/models"
ALWAYS = ["acme/alpha", "acme/beta", "acme/gamma", "other/delta"]
ROUTES = {
    "acme/alpha": API + "/acme/alpha/endpoints",
    "acme/beta": API + "/acme/beta/endpoints",
    "acme/gamma": API + "/acme/gamma/endpoints",
    "other/delta": API + "/other/delta/endpoints",
    "other/eps": API + "/other/eps/endpoints",
    "acme/zeta:free": API + "/acme/zeta%3Afree/endpoints",
}
USER = "alerts-bot"
PASSWORD = "pw-Zq8#kL2-never-shown"
TO = ["oncall@example.org", "ml-team@example.org"]


class TempDir:
    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="modelreg-mail-")
        os.chmod(self.path, 0o755)
        harness._register(self)

    def join(self, *a):
        return os.path.join(self.path, *a)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


def password_file(tmp, text=PASSWORD + "\n", mode=0o600):
    p = tmp.join("smtp-password")
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, mode)
    return p


def mail_conf(smtp, tmp, kinds=None, window=None, retries=4, timeout=3, auth=True,
              more=""):
    L = ["[alerts]", "smtp_url = " + smtp.url(), "mail_from = modelreg@example.org",
         "mail_to = " + ", ".join(TO), "retries = %d" % retries, "timeout = %d" % timeout]
    if auth:
        L.append("smtp_user = " + USER)
        L.append("smtp_password_file = " + password_file(tmp))
    if kinds is not None:
        L.append("mail_kinds = " + kinds)
    if window is not None:
        L.append("flap_window = " + window)
    return "\n".join(L) + "\n" + more


def uptime_conf(srv):
    return "[uptime]\nurl = %s\ninterval = 1h\ntimeout = 2\nconcurrency = 2\n" % (
        srv.url(API + "/{id}/endpoints"))


def serve(srv, model, name):
    srv.set(ROUTES[model], "file", file=harness.data_path("up-%s.json" % name),
        etag=False, last_modified=False)


def records(d, line):
    st, recs = d.request(line, timeout=30)
    if not st or not st.startswith("OK"):
        raise harness.HarnessError("%s: %s" % (line, st))
    return recs


def rec(d, key, name):
    for r in records(d, "STATUS"):
        if r.get(key) == name:
            return r
    return None


def wait_mail_idle(d, timeout=15):
    """The mail channel has nothing pending and is not busy."""
    return d.wait_for(lambda: (lambda r: r if r and r["pending"] == "0" and
        r["state"] == "idle" else None)(rec(d, "alert", "mail")), timeout, "mail idle")


def wait_uptime_idle(d):
    return d.wait_for(lambda: (lambda r: r if r and r.get("last_ok") and
        r.get("state") != "running" else None)(rec(d, "source", "uptime")), 15, "uptime idle")


def refresh(d):
    t = int(time.time())
    # time(2) in the daemon turns the second up to a tick late: 50 ms margin.
    harness.wait_for(lambda: time.time() >= t + 1.05, 3, "the next second", 0.02)
    st, _ = d.request("REFRESH uptime", timeout=30)
    if st != "OK 1":
        raise harness.HarnessError("REFRESH uptime: %s" % st)


def parse(m):
    return email.message_from_bytes(m["data"], policy=email.policy.default)


def start(tap, smtp, tmp, kinds=None, window=None, retries=4, more=""):
    """A daemon with uptime tracking over the fixture: gamma and delta are red at the first run."""
    srv = httpd.Server()
    srv.set(API, "file", file=MODELS)
    for model, name in (("acme/alpha", "green"), ("acme/beta", "yellow"),
                        ("acme/gamma", "red"), ("other/delta", "down"),
                        ("other/eps", "unknown"), ("acme/zeta:free", "nostatus")):
        serve(srv, model, name)
    d = harness.Daemon(seed_url=srv.url(API), seed_format="openrouter",
        always_active=ALWAYS, default_model="acme/beta",
        extra=uptime_conf(srv) + mail_conf(smtp, tmp, kinds, window, retries, more=more))
    wait_uptime_idle(d)
    refresh(d)  # the first run, at start, came before the seed: no model yet
    return srv, d


def test_down_mail(tap):
    """A model going down sends one mail with the right headers and body."""
    tmp = TempDir()
    smtp = smtpd.Server(user=USER, password=PASSWORD)
    srv, d = start(tap, smtp, tmp, window="1h")
    msgs = smtp.wait_messages(2)
    wait_mail_idle(d)
    downs = [e for e in records(d, "EVENTS kind=model.down")]
    tap.eq(sorted(e["model"] for e in downs), ["acme/gamma", "other/delta"],
        "the first uptime run raised two model.down events")
    tap.eq(len(smtp.messages), 2, "one mail per model down, nothing for seed.done "
        "(not in the default mail_kinds)", [m["data"][:300] for m in smtp.messages])
    byid = {}
    for m in msgs:
        p = parse(m)
        byid[p["Subject"]] = (m, p)
    for e in downs:
        subj = "[modelreg] model.down %s: %s" % (e["model"], e["message"])
        m, p = byid.get(subj, (None, None))
        tap.ok(p is not None, "a mail for %s with the subject %r" % (e["model"], subj),
            repr(list(byid)))
        if p is None:
            continue
        tap.eq((m["mail_from"], m["rcpt"], m["auth"]), ("modelreg@example.org", TO,
            (USER, PASSWORD)), "envelope: sender, both recipients, AUTH with the password")
        tap.eq(p["From"], "modelreg@example.org", "From")
        tap.eq([a for _, a in email.utils.getaddresses([str(p["To"])])], TO, "To: both")
        tap.like(p["Message-ID"], r"^<modelreg\.event\.%s\.\d+@example\.org>$" % e["id"],
            "Message-ID names the event, in the sender's domain")
        dt = email.utils.parsedate_to_datetime(p["Date"])
        tap.ok(dt is not None and abs(dt.timestamp() - time.time()) < 120, "Date parses, now",
            p["Date"])
        tap.eq((p["MIME-Version"], p.get_content_type(), p.get_content_charset()),
            ("1.0", "text/plain", "utf-8"), "MIME-Version, text/plain, UTF-8")
        tap.eq(p["Auto-Submitted"], "auto-generated", "Auto-Submitted: no auto-replies")
        body = p.get_content()
        tap.ok(e["message"] in body.replace("\n", " ") and "Event:   model.down (number %s)"
            % e["id"] in body and "Model:   %s" % e["model"] in body,
            "the body has the message, the event and the model", body)
        lines = m["data"].split(b"\r\n")
        tap.ok(max(len(x) for x in lines) <= 998 and b"\n" not in
            b"".join(lines), "CRLF lines of at most 998 bytes")
    # Going down again (still red) sends nothing; the restart test sends nothing either.
    refresh(d)
    wait_mail_idle(d)
    tap.eq(len(smtp.messages), 2, "a model still down is not mailed again")
    # The default mail_kinds: default.changed is mailed, model.deactivated is not.
    st, _ = d.request("DEACTIVATE other/delta")
    tap.eq(st, "OK 1", "deactivate a model that is not the default")
    st, _ = d.request("DEFAULT acme/alpha")
    tap.eq(st, "OK 1", "move the default")
    msgs = smtp.wait_messages(3)
    wait_mail_idle(d)
    subjects = [parse(m)["Subject"] for m in smtp.messages[2:]]
    tap.ok(any(e.get("model") == "other/delta" for e in records(d, "EVENTS kind=model.deactivated")),
        "model.deactivated was raised (and recorded)")
    tap.eq(len(subjects), 1, "one more mail", subjects)
    tap.like(subjects[0] if subjects else "", r"^\[modelreg\] default\.changed ",
        "for default.changed (in the default mail_kinds; model.deactivated is not)")
    d.cleanup()


def test_flapping(tap):
    """A model flapping inside the window sends one mail; when it ends, one summary says how often."""
    tmp = TempDir()
    smtp = smtpd.Server(user=USER, password=PASSWORD)
    # Only alpha matters here: gamma and delta's first downs are mailed at start.
    srv, d = start(tap, smtp, tmp, window="8s")
    smtp.wait_messages(2)
    wait_mail_idle(d)
    base = len(smtp.messages)
    serve(srv, "acme/alpha", "red")
    refresh(d)
    t0 = time.time()
    msgs = smtp.wait_messages(base + 1)
    tap.like(parse(msgs[-1])["Subject"], r"^\[modelreg\] model\.down acme/alpha: ",
        "the first down is mailed at once")
    for state in ("green", "red", "green"):
        serve(srv, "acme/alpha", state)
        refresh(d)
    wait_mail_idle(d)
    flips = [e["kind"] for e in records(d, "EVENTS model=acme/alpha kind=model.*")]
    tap.eq(flips, ["model.down", "model.up", "model.down", "model.up"],
        "every change is still an event")
    inside = time.time() - t0 < 8
    tap.ok(inside, "the flapping happened inside the window (%.1fs)" % (time.time() - t0))
    tap.eq(len(smtp.messages), base + 1, "no more mail inside the window")
    msgs = smtp.wait_messages(base + 2, timeout=15)
    p = parse(msgs[-1])
    tap.eq(p["Subject"], "[modelreg] model.flapping acme/alpha: 3 changes in 8s "
        "(down 1, up 2); it is up now", "one summary when the window ends, saying how often")
    tap.ok(msgs[-1]["time"] - t0 >= 7, "not before the window ended",
        msgs[-1]["time"] - t0)
    body = p.get_content()
    tap.ok("changed health 3 times" in body and "modelregctl events --model acme/alpha"
        in body, "its body says how often and where the events are", body)
    tap.like(p["Message-ID"], r"^<modelreg\.flap\.\d+\.[0-9a-f]+@example\.org>$",
        "the summary's Message-ID")
    # Quiet now: nothing more after another window; up-again is already said.
    time.sleep(9)
    tap.eq(len(smtp.messages), base + 2, "a quiet model sends nothing more")
    # A later down outside every window opens a new incident at once.
    serve(srv, "acme/alpha", "red")
    refresh(d)
    msgs = smtp.wait_messages(base + 3)
    tap.like(parse(msgs[-1])["Subject"], r"^\[modelreg\] model\.down acme/alpha",
        "a new incident after the window is mailed at once")
    serve(srv, "acme/alpha", "green")
    time.sleep(8)
    refresh(d)
    msgs = smtp.wait_messages(base + 4)
    p = parse(msgs[-1])
    tap.like(p["Subject"], r"^\[modelreg\] model\.up acme/alpha: up again",
        "its end, after the window, resolves it at once")
    tap.ok("This resolves the model.down mail about acme/alpha." in p.get_content(),
        "and says so")
    d.cleanup()


def test_retries(tap):
    """A refusing or failing server is retried; the mail arrives once."""
    tmp = TempDir()
    smtp = smtpd.Server(user=USER, password=PASSWORD)
    smtp.fail("message", 451, times=1)
    smtp.drop("data", times=1)
    smtp.fail("mail", 550, times=1)
    srv, d = start(tap, smtp, tmp, kinds="model.down", retries=6)
    msgs = smtp.wait_messages(2, timeout=30)
    wait_mail_idle(d, 30)
    r = rec(d, "alert", "mail")
    tap.eq((r["delivered"], r["failed"], r["last_error"]), ("2", "0", ""),
        "both delivered after the failures", repr(r))
    subjects = [parse(m)["Subject"] for m in msgs]
    tap.eq(len(subjects), len(set(subjects)), "each mail once", subjects)
    log = d.log_text()
    tap.like(log, r"alert mail: event \d+, attempt 1 of 6 failed: .*retry in 1 s",
        "the failures are logged with the retry")
    tap.ok(smtp.sessions >= 5, "three failed sessions, then two good ones", smtp.sessions)

    # A stalled server times out and is retried; the daemon answers meanwhile.
    smtp.stall("message", times=1)
    serve(srv, "acme/alpha", "red")
    refresh(d)
    t0 = time.monotonic()
    tap.eq(d.request("PING", timeout=2)[0], "OK 1", "PING answers during a stalled mail")
    tap.ok(time.monotonic() - t0 < 1, "at once")
    msgs = smtp.wait_messages(3, timeout=30)
    tap.like(parse(msgs[-1])["Subject"], r"model\.down acme/alpha", "delivered after the stall")
    d.request("EVENTS")
    wait_mail_idle(d, 30)
    tap.eq(len(smtp.messages), 3, "once")

    # Given up after retries: counted failed, the channel moves on (two attempts, after a reload).
    d.extra = d.extra.replace("retries = 6", "retries = 2")
    d.write_config()
    tap.eq(d.request("RELOAD")[0], "OK 1", "RELOAD with retries = 2")
    smtp.fail("connect", 421, times=None)
    serve(srv, "acme/beta", "red")
    refresh(d)
    r = d.wait_for(lambda: (lambda r: r if r and r["failed"] == "1" else None)(
        rec(d, "alert", "mail")), 60, "given up")
    tap.like(r["last_error"], r"421", "last_error says what the server answered")
    smtp.clear()
    d.cleanup()


def test_restart(tap):
    """Mails survive a restart undelivered, and a restart does not resend."""
    tmp = TempDir()
    smtp = smtpd.Server(user=USER, password=PASSWORD)
    smtp.fail("connect", 421, times=None)
    srv, d = start(tap, smtp, tmp, retries=20)
    d.wait_for(lambda: (lambda r: r if r and r["pending"] == "2" and r["last_error"]
        else None)(rec(d, "alert", "mail")), 15, "two mails pending, failing")
    tap.eq(d.stop(), 0, "stopped with two mails undelivered")
    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True)
    try:
        cur = c.execute("SELECT value FROM state WHERE key = 'alerts_mail_cursor'").fetchone()
        first = c.execute("SELECT min(id) FROM events WHERE kind = 'model.down'").fetchone()
    finally:
        c.close()
    tap.ok(cur is not None and int(cur[0]) < first[0], "the cursor is saved before them",
        (cur, first))
    smtp.clear()
    d.start()
    smtp.wait_messages(2)
    wait_mail_idle(d)
    tap.eq(len(smtp.messages), 2, "both arrive after the restart")
    d.restart()
    wait_uptime_idle(d)
    wait_mail_idle(d)
    tap.eq(len(smtp.messages), 2, "a restart does not resend",
        [(parse(m)["Message-ID"], parse(m)["Subject"]) for m in smtp.messages] +
        [l for l in d.log_text().splitlines() if "alert" in l])
    d.cleanup()


def test_restart_holddown(tap):
    """The hold-down's state survives a restart: the held summary comes once, at the window's end."""
    tmp = TempDir()
    smtp = smtpd.Server(user=USER, password=PASSWORD)
    srv, d = start(tap, smtp, tmp, window="6s")
    smtp.wait_messages(2)
    serve(srv, "acme/alpha", "red")
    refresh(d)
    t0 = time.time()
    smtp.wait_messages(3)
    serve(srv, "acme/alpha", "green")
    refresh(d)
    wait_mail_idle(d)
    tap.eq(d.stop(), 0, "stopped inside the window, an up held")
    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True)
    try:
        row = c.execute("SELECT value FROM state WHERE key = 'alerts_mail_flaps'").fetchone()
    finally:
        c.close()
    tap.ok(row is not None and "acme/alpha".encode().hex() in row[0],
        "the hold-down's state is saved with the cursor", row)
    d.start()
    msgs = smtp.wait_messages(4, timeout=15)
    p = parse(msgs[-1])
    tap.eq(p["Subject"], "[modelreg] model.flapping acme/alpha: 1 change in 6s (down 0, "
        "up 1); it is up now", "after the restart the summary comes")
    tap.ok(msgs[-1]["time"] - t0 >= 5, "at the window's end", msgs[-1]["time"] - t0)
    wait_mail_idle(d)
    d.restart()
    wait_uptime_idle(d)
    wait_mail_idle(d)
    time.sleep(1)
    tap.eq(len(smtp.messages), 4, "and only once")
    d.cleanup()


def test_secrets(tap):
    """The password never reaches the log, STATUS, events or the database."""
    tmp = TempDir()
    smtp = smtpd.Server(user=USER, password=PASSWORD)
    smtp.fail("auth", 535, times=1)
    srv, d = start(tap, smtp, tmp, kinds="*")
    smtp.wait_messages(2, timeout=20)
    wait_mail_idle(d, 20)
    d.request("RELOAD")
    st, _ = d.request("STATUS")
    status = "\n".join(str(r) for r in records(d, "STATUS"))
    evs = "\n".join(str(r) for r in records(d, "EVENTS limit=1000"))
    tap.ok(smtp.messages[0]["auth"] == (USER, PASSWORD), "the password was used")
    d.stop()
    blob = b""
    for name in os.listdir(d.dir):
        if name.startswith("registry.db"):
            with open(os.path.join(d.dir, name), "rb") as f:
                blob += f.read()
    tap.ok(len(blob) > 0, "the database was read")
    for where, text in (("log", d.log_text()), ("STATUS", status), ("EVENTS", evs),
                        ("the database", blob.decode("latin-1"))):
        tap.ok(PASSWORD not in text, "the password is not in %s" % where)
    tap.ok(re.search(r"attempt 1 of \d+ failed", d.log_text()) is not None,
        "the refused AUTH was logged (without the password)")
    d.cleanup()


def check(d, text):
    d.write_config(d.config_text() + text)
    p = d.check_config()
    return p.returncode, p.stdout + p.stderr


def test_config(tap):
    tmp = TempDir()
    d = harness.Daemon(start=False)
    pw = password_file(tmp)
    good = ("[alerts]\nsmtp_url = smtp://127.0.0.1:2525\nmail_from = a@example.org\n"
            "mail_to = b@example.org c@example.org\n")
    rc, out = check(d, good)
    tap.eq(rc, 0, "a minimal mail config is valid", out)
    rc, out = check(d, good + "smtp_user = u\nsmtp_password_file = %s\nflap_window = 0\n"
        "mail_kinds = *\n" % pw)
    tap.eq(rc, 0, "with AUTH, every kind and no hold-down", out)
    cases = [
        ("smtp_url = http://mail.example.org\n", r"bad smtp_url: expected smtp:// or smtps://"),
        ("smtp_url = smtp://user:%s@mail.example.org\n" % PASSWORD,
            r"bad smtp_url: no user or password in the url"),
        ("smtp_url = smtp://\n", r"bad smtp_url: a host must follow"),
        ("mail_from = not-an-address\n", r"bad mail_from \"not-an-address\""),
        ("mail_from = Alerts <a@example.org>\n", r"bad mail_from"),
        ("mail_to = ok@example.org bad@\n", r"bad entry \"bad@\" in mail_to"),
        ("mail_kinds = model.down model.dwon\n", r"bad entry \"model.dwon\" in mail_kinds: "
            r"not an event kind"),
        ("mail_kinds =\n", r"mail_kinds is empty"),
        ("flap_window = 30x\n", r"bad flap_window"),
        ("smtp_user = u\n", r"smtp_user and smtp_password_file go together"),
        ("smtp_user = u\nsmtp_password_file = relative/file\n",
            r"bad smtp_password_file: must be an absolute path"),
    ]
    for extra, want in cases:
        key = extra.split("=")[0].strip()
        text = "".join(x + "\n" for x in good.splitlines() if x.split("=")[0].strip() != key)
        rc, out = check(d, text + extra)
        tap.ok(rc != 0 and re.search(want, out) is not None, "refused: %s" % extra.strip()[:60],
            out)
        tap.ok(PASSWORD not in out, "no secret in the message")
    rc, out = check(d, "[alerts]\nmail_to = b@example.org\n")
    tap.ok(rc != 0 and "mail_to is set but smtp_url is not" in out, "mail_to without smtp_url", out)
    rc, out = check(d, "[alerts]\nsmtp_url = smtp://127.0.0.1:2525\nmail_to = b@example.org\n")
    tap.ok(rc != 0 and "mail_from is not" in out, "smtp_url without mail_from", out)
    rc, out = check(d, "[alerts]\nsmtp_url = smtp://127.0.0.1:2525\nmail_from = a@example.org\n")
    tap.ok(rc != 0 and "mail_to names nobody" in out, "smtp_url without mail_to", out)
    # The password file: others must not read it; one line; it must exist.
    for mode, text, want in ((0o644, PASSWORD + "\n", r"others may read or change it \(mode 0644\)"),
                             (0o602, PASSWORD + "\n", r"others may read or change it"),
                             (0o600, "", r"smtp_password_file: empty"),
                             (0o600, "a\nb\n", r"more than one line")):
        f = password_file(tmp, text, mode)
        rc, out = check(d, good + "smtp_user = u\nsmtp_password_file = %s\n" % f)
        tap.ok(rc != 0 and re.search(want, out) is not None, "password file refused: %s"
            % want, out)
        tap.ok(f not in out and PASSWORD not in out, "neither its name nor the password shown")
    rc, out = check(d, good + "smtp_user = u\nsmtp_password_file = %s\n" % tmp.join("nope"))
    tap.ok(rc != 0 and "smtp_password_file: cannot open it" in out, "a missing file", out)
    f = password_file(tmp, PASSWORD + "\n", 0o640)
    rc, out = check(d, good + "smtp_user = u\nsmtp_password_file = %s\n" % f)
    tap.eq(rc, 0, "group-readable is fine (the daemon's group)", out)

    # SIGHUP with a bad password file keeps the old configuration and its mail.
    smtp = smtpd.Server(user=USER, password=PASSWORD)
    srv, d2 = start(tap, smtp, tmp)
    smtp.wait_messages(2)
    os.chmod(tmp.join("smtp-password"), 0o644)
    st, recs = d2.request("RELOAD")
    tap.ok(st is not None and st.startswith("ERR"), "RELOAD refuses a world-readable password file",
        st)
    tap.ok(rec(d2, "alert", "mail") is not None, "the mail channel stays")
    d2.cleanup()
    d.cleanup()


def test_smtps(tap):
    """smtps:// with a self-signed certificate named by smtp_ca_file."""
    tmp = TempDir()
    cert, key = tmp.join("cert.pem"), tmp.join("key.pem")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
        "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True)
    if p.returncode != 0:
        tap.skip("smtps", "openssl cannot make a certificate: " + p.stderr[-200:])
        return
    smtp = smtpd.Server(user=USER, password=PASSWORD, tls=(cert, key))
    srv, d = start(tap, smtp, tmp, more="smtp_ca_file = %s\n" % cert)
    msgs = smtp.wait_messages(2)
    tap.eq(msgs[0]["auth"], (USER, PASSWORD), "smtps://: delivered over TLS, with AUTH")
    d.cleanup()
    # Without the CA the certificate is refused: the mail is not sent.
    smtp2 = smtpd.Server(user=USER, password=PASSWORD, tls=(cert, key))
    srv, d = start(tap, smtp2, tmp, retries=1)
    r = d.wait_for(lambda: (lambda r: r if r and r["failed"] != "0" else None)(
        rec(d, "alert", "mail")), 20, "given up")
    tap.like(r["last_error"], r"(?i)certificate|SSL", "an unknown certificate is refused")
    tap.eq(len(smtp2.messages), 0, "nothing sent to it")
    d.cleanup()


def run(tap):
    for fn in (test_down_mail, test_flapping, test_retries, test_restart,
               test_restart_holddown, test_secrets,
               test_config, test_smtps):
        tap.diag(fn.__name__)
        try:
            fn(tap)
        except Exception:
            import traceback
            tap.ok(False, "%s ran to the end" % fn.__name__, traceback.format_exc())
        harness.cleanup_all()


harness.main(run)
