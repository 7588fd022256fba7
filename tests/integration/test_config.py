# test_config.py: modelregd's options, -t and its file:line problems, a bad config at start, and RELOAD / SIGHUP keeping the old config.
import grp
import json
import os
import pwd
import re
import subprocess

import harness
from harness import MODELREGD

CATALOG = harness.data_path("catalog-mistral.json")
GOOD = harness.data_path("itb-good.conf")
BAD = harness.data_path("itb-bad.conf")
LONGLINE = harness.data_path("itb-longline.conf")

# Lines of itb-bad.conf that hold a problem (see the file).
BAD_LINES = [4, 5, 6, 8, 12, 13, 14, 15, 18]

_SCRUB = ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
    "WATCHDOG_USEC", "WATCHDOG_PID", "MODELREG_SOCKET")


def modelregd(*args, timeout=30):
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    return subprocess.run([MODELREGD] + list(args), capture_output=True,
        text=True, errors="surrogateescape", env=env, timeout=timeout,
        stdin=subprocess.DEVNULL)


def problem_lines(text, path):
    """The line numbers of every 'PATH:LINE: ' problem (not warning) in text, in order."""
    return [int(m) for m in re.findall(r"^%s:(\d+): (?!warning: )\S" % re.escape(path),
        text, re.M)]


def package_version():
    with open(os.path.join(harness.SRCDIR, "configure.ac")) as f:
        m = re.search(r"AC_INIT\(\[[^]]*\],\s*\[([^]]+)\]", f.read())
    return m.group(1) if m else None


def role_of(d, user):
    p = d.ctl("whoami", json=True, as_user=user)
    if p.returncode != 0:
        return "exit %d: %s%s" % (p.returncode, p.stdout, p.stderr)
    return json.loads(p.stdout).get("role")


def test_options(tap):
    p = modelregd("-V")
    tap.eq(p.returncode, 0, "-V exits 0")
    ver = package_version()
    tap.like(p.stdout, r"^modelregd %s\s*$" % re.escape(ver or "x"),
        "-V prints 'modelregd VERSION' (configure.ac's version)")

    p = modelregd("-h")
    tap.eq(p.returncode, 0, "-h exits 0")
    tap.like(p.stdout, r"(?i)usage: modelregd", "-h prints the usage on stdout")
    for opt in ("-c", "-t", "-v", "-V", "-h"):
        tap.ok(opt in p.stdout, "-h lists %s" % opt, p.stdout)

    p = modelregd("-Z")
    tap.ok(p.returncode not in (0, None), "an unknown option exits non-zero",
        "exit %r" % p.returncode)
    tap.like(p.stderr, r"(?i)usage: modelregd", "an unknown option prints the usage on stderr")

    p = modelregd("-t", "-c", GOOD, "stray-argument")
    tap.ok(p.returncode != 0, "a stray argument exits non-zero", "exit %r" % p.returncode)
    tap.like(p.stderr, r"(?i)usage: modelregd", "a stray argument prints the usage")

    p = modelregd("-c")
    tap.ok(p.returncode != 0, "-c without a file exits non-zero", "exit %r" % p.returncode)


def test_check_good(tap):
    p = modelregd("-t", "-c", GOOD)
    tap.eq(p.returncode, 0, "modelregd -t -c itb-good.conf exits 0 (%s)" % (p.stderr.strip(),))
    tap.ok(problem_lines(p.stdout + p.stderr, GOOD) == [],
        "no problem reported for the good file", p.stdout + p.stderr)

    d = harness.Daemon(seed_url=harness.file_url(CATALOG), start=False)
    p = d.check_config()
    tap.eq(p.returncode, 0, "a generated test config passes -t (%s)" % (p.stderr.strip(),))

    p = modelregd("-t", "-c", os.path.join(d.dir, "does-not-exist.conf"))
    tap.eq(p.returncode, 1, "-t on a missing file exits 1")
    tap.like(p.stderr, r"does-not-exist\.conf:0: ", "a missing file is reported as file:0")


def test_check_bad(tap):
    p = modelregd("-t", "-c", BAD)
    out = p.stdout + p.stderr
    tap.eq(p.returncode, 1, "modelregd -t on itb-bad.conf exits 1")
    got = problem_lines(out, BAD)
    tap.eq(sorted(set(got)), BAD_LINES,
        "every problem of itb-bad.conf is printed as file:line, at its exact line")
    tap.eq(len(got), len(BAD_LINES), "each problem printed once")
    for line, what in ((4, r"colour"), (5, r"socket_mode"), (6, r"log_level|loud"),
            (8, r"bogus"), (12, r"ftp|scheme|url"), (13, r"format|yaml"),
            (14, r"new_model_status|maybe"), (15, r"timeout|soon"),
            (18, r"max_size|lots")):
        tap.like(out, r"(?m)^%s:%d: .*(%s)" % (re.escape(BAD), line, what),
            "line %d's message names what is wrong" % line)

    p = modelregd("-t", "-c", LONGLINE)
    out = p.stdout + p.stderr
    tap.eq(p.returncode, 1, "a line longer than 200 characters: -t exits 1")
    got = problem_lines(out, LONGLINE)
    tap.ok(6 in got, "the over-long line is reported at its own line (6)", out)
    tap.ok(set(got) <= {6, 8},
        "no problem is reported at a wrong line (the over-long line is not read as two)", out)
    tap.like(out, r"(?m)^%s:6: .*(?i:long)" % re.escape(LONGLINE),
        "the message says the line is too long")

    # The boundary: inih's buffer holds 199 characters and the terminator.
    d = harness.Daemon(start=False)
    base = d.config_text()
    for n, good in ((199, True), (200, False)):
        head = "default_model = m"
        line = head + "x" * (n - len(head))
        assert len(line) == n
        text = re.sub(r"(?m)^default_model =.*$", line, base)
        assert line in text
        d.write_config(text)
        lineno = text.split("\n").index(line) + 1
        p = d.check_config()
        out = p.stdout + p.stderr
        if good:
            tap.eq(p.returncode, 0, "a line of exactly %d characters is accepted (%s)" % (n, out.strip()))
        else:
            tap.eq(p.returncode, 1, "a line of %d characters is refused" % n)
            tap.eq(problem_lines(out, d.conf), [lineno],
                "the %d-character line is reported at line %d" % (n, lineno))

    # Several problems in one generated file, all printed in line order.
    text = "\n".join([
        "[daemon]",                          # 1
        "log_level = shouting",              # 2
        "[seed]",                            # 3
        "url = gopher://example.org/models", # 4
        "retry_min = -3",                    # 5
        "always_active = a b",               # 6
        "always_inactive = b",               # 7 (in both lists)
        "[Access]",                          # 8
        "admin = root",                      # 9
    ]) + "\n"
    d.write_config(text)
    p = d.check_config()
    out = p.stdout + p.stderr
    tap.eq(p.returncode, 1, "several problems: -t exits 1")
    tap.eq(problem_lines(out, d.conf), [2, 4, 5, 7, 8],
        "several problems are all printed, in line order")


def test_start_bad(tap):
    d = harness.Daemon(start=False)
    with open(BAD) as f:
        d.write_config(f.read().replace("/tmp/itb-bad/modelregd.sock", d.sock))
    p = modelregd("-c", d.conf, timeout=20)
    out = p.stdout + p.stderr
    tap.ok(p.returncode not in (0, None), "starting with a bad config exits non-zero",
        "exit %r" % p.returncode)
    tap.eq(sorted(set(problem_lines(out, d.conf))), BAD_LINES,
        "starting with a bad config prints every problem as file:line")
    tap.like(out, r"(?i)not starting|invalid|refus", "and says it does not start")
    tap.ok(not os.path.exists(d.sock), "no socket was created")
    tap.ok(not os.path.exists(d.db), "no database was created")


def test_continuation(tap):
    d = harness.Daemon(start=False, socket_mode="0666")
    text = d.config_text()
    text = text.replace("[seed]\n",
        "[access]\nadmin = root\nviewer = root,\n\tnobody\n\n[seed]\n")
    text = re.sub(r"(?m)^url =.*$", "url = " + harness.file_url(CATALOG), text)
    text = re.sub(r"(?m)^always_active =.*$",
        "always_active = mistral-large-latest,\n"
        "\tmagistral-medium-latest\n"
        "    mistral-embed ; a comment after the last word", text)
    d.write_config(text)
    d.start()
    d.wait_seeded()
    st, recs = d.request("LIST status=active")
    active = sorted(r["id"] for r in recs)
    tap.eq(active, ["magistral-medium-2506", "mistral-embed", "mistral-large-2411"],
        "a list over continuation lines (and an inline comment) makes exactly its models active")
    tap.eq(role_of(d, "nobody"), "viewer", "an [access] list over continuation lines names the user")
    d.cleanup()


def count_lines(text, regex):
    return len(re.findall(regex, text, re.M))


def test_reload(tap):
    access = {"admin": ["root"], "viewer": ["nobody"]}
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), access=access,
        socket_mode="0666", log_level="debug", wait_seed=True)
    tap.eq(role_of(d, "nobody"), "viewer", "before reload: nobody is viewer")

    # A good new config through modelregctl reload: new access rules and log level.
    d.access = {"admin": ["root"], "member": ["nobody"]}
    d.log_level = "warning"
    d.write_config()
    p = d.ctl("reload")
    tap.eq(p.returncode, 0, "modelregctl reload with a good config exits 0 (%s)" % p.stderr.strip())
    tap.eq(role_of(d, "nobody"), "member", "after reload: the new [access] rules apply")

    # log_level = warning is in force: another reload logs nothing at info.
    before = count_lines(d.log_text(), r"^<[67]>")
    p = d.ctl("reload")
    tap.eq(p.returncode, 0, "a second reload exits 0")
    d.ctl("ping")
    tap.eq(count_lines(d.log_text(), r"^<[67]>"), before,
        "after reload with log_level = warning, no info or debug line is logged")

    # A bad new config: refused with file:line, the old one kept.
    d.log_level = "info"
    d.write_config()
    good_text = d.config_text()
    bad_text = good_text.replace("[seed]\n", "[seed]\nflavour = vanilla\n")
    bad_line = bad_text.split("\n").index("flavour = vanilla") + 1
    d.write_config(bad_text)
    p = d.ctl("reload")
    out = p.stdout + p.stderr
    tap.eq(p.returncode, 1, "modelregctl reload with a bad config exits 1")
    tap.like(out, r"%s:%d: " % (re.escape(d.conf), bad_line),
        "the error names file:line of the problem (line %d)" % bad_line)
    st, _ = d.request("RELOAD")
    tap.err(st, "conflict", "raw RELOAD with a bad config: ERR conflict")
    tap.like(st or "", r"%s:%d: " % (re.escape(d.conf), bad_line), "raw RELOAD's message names file:line")
    tap.ok(d.alive(), "the daemon is still running")
    st, _ = d.request("PING")
    tap.eq(st, "OK 1", "and still answers")
    tap.eq(role_of(d, "nobody"), "member", "the old [access] rules stay in force")
    tap.like(d.log_text(), r"(?i)reload refused", "the log says the reload was refused")
    tap.like(d.log_text(), r"%s:%d: " % (re.escape(d.conf), bad_line), "the log names file:line")

    # SIGHUP with a good config.
    d.access = {"admin": ["root"], "viewer": ["nobody"]}
    d.write_config()
    n_ok = count_lines(d.log_text(), r"(?i)configuration reloaded")
    d.reload()
    d.wait_for(lambda: count_lines(d.log_text(), r"(?i)configuration reloaded") > n_ok,
        what="the log to say the configuration was reloaded")
    tap.ok(count_lines(d.log_text(), r"(?i)configuration reloaded") > n_ok,
        "SIGHUP with a good config: the log says it was reloaded")
    tap.eq(role_of(d, "nobody"), "viewer", "after SIGHUP: the new [access] rules apply")

    # SIGHUP with a bad config.
    bad_text = d.config_text().replace("[daemon]\n", "[daemon]\nsocket_mode = rw-rw-rw-\n")
    bad_line = bad_text.split("\n").index("socket_mode = rw-rw-rw-") + 1
    d.write_config(bad_text)
    n_ref = count_lines(d.log_text(), r"(?i)reload refused")
    d.reload()
    d.wait_for(lambda: count_lines(d.log_text(), r"(?i)reload refused") > n_ref,
        what="the log to say the reload was refused")
    tap.ok(count_lines(d.log_text(), r"(?i)reload refused") > n_ref,
        "SIGHUP with a bad config: the log says it was refused")
    tap.like(d.log_text(), r"%s:%d: " % (re.escape(d.conf), bad_line),
        "the log names file:line of the problem (line %d)" % bad_line)
    tap.ok(d.alive(), "the daemon survives a bad SIGHUP reload")
    tap.eq(role_of(d, "nobody"), "viewer", "the old rules stay in force after a bad SIGHUP")
    st, recs = d.request("LIST")
    tap.ok(st == "OK %d" % len(recs) and len(recs) > 0, "the registry is still served", st)
    tap.eq(d.stop(), 0, "the daemon stops cleanly afterwards")


def test_verbose_and_fixed_keys(tap):
    # -v logs debug lines whatever log_level says.
    d = harness.Daemon(log_level="error", args=["-v"])
    d.request("PING")
    d.stop()
    tap.like(d.log_text(), r"(?m)^<7>", "-v logs debug lines even with log_level = error")
    d.cleanup()
    d = harness.Daemon(log_level="error")
    d.request("PING")
    d.stop()
    tap.ok(not re.search(r"(?m)^<[4567]>", d.log_text()),
        "log_level = error: no warning, info or debug line", d.log_text()[:2000])
    d.cleanup()

    # socket and database are held open: a reload keeps them and says so.
    d = harness.Daemon()
    old_sock = d.sock
    text = d.config_text().replace("socket = %s\n" % d.sock,
        "socket = %s\n" % os.path.join(d.dir, "other.sock"))
    d.write_config(text)
    p = d.ctl("reload")
    tap.eq(p.returncode, 0, "reload with a new socket path is accepted (%s)" % p.stderr.strip())
    tap.eq(d.request("PING")[0], "OK 1", "the daemon still answers on the old socket")
    tap.ok(not os.path.exists(os.path.join(d.dir, "other.sock")), "no new socket is created")
    tap.like(d.log_text(), r"(?m)^<4>.*socket", "the log warns that the socket changes only at restart")
    tap.ok(os.path.exists(old_sock), "the old socket is still in place")
    d.cleanup()


def account_exists(name):
    try:
        if name.startswith("@"):
            grp.getgrnam(name[1:])
        else:
            pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def test_account_warnings(tap):
    """[access] names without an account: -t warns with file:line and exits 0; start and reload log it."""
    # itb-good.conf names alice, bob, carol, @wheel and @staff (lines 10 to 13).
    p = modelregd("-t", "-c", GOOD)
    want = [(line, "group" if n.startswith("@") else "user", n.lstrip("@"), key)
        for line, n, key in ((10, "@wheel", "admin"), (11, "alice", "member"),
            (11, "bob", "member"), (12, "carol", "member"), (13, "@staff", "member"))
        if not account_exists(n)]
    got = re.findall(r'^%s:(\d+): warning: (user|group) "([^"]+)" in \[access\] (\w+) '
        r"does not exist on this machine$" % re.escape(GOOD), p.stderr, re.M)
    tap.eq([(int(a), b, c, d) for a, b, c, d in got], want,
        "-t warns about each unknown account of itb-good.conf, at its line")
    tap.eq(p.returncode, 0, "-t still exits 0 with warnings")
    tap.like(p.stderr, r"configuration OK", "and says the configuration is OK")

    access = {"admin": ["root", "nosuchadmin-mr6"], "member": ["@nosuchgroup-mr6"],
        "viewer": ["*"]}
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), access=access)
    text = open(d.conf).read().split("\n")
    l_admin = text.index("admin = root nosuchadmin-mr6") + 1
    l_member = text.index("member = @nosuchgroup-mr6") + 1
    p = d.check_config()
    tap.eq(p.returncode, 0, "-t on a config with unknown accounts: exit 0")
    tap.like(p.stderr, r"(?m)^%s:%d: warning: user \"nosuchadmin-mr6\" in \[access\] admin "
        r"does not exist on this machine$" % (re.escape(d.conf), l_admin), "-t: the user, file:line")
    tap.like(p.stderr, r"(?m)^%s:%d: warning: group \"nosuchgroup-mr6\" in \[access\] member "
        r"does not exist on this machine$" % (re.escape(d.conf), l_member), "-t: the @group, file:line")
    tap.like(d.log_text(), r"%s:%d: warning: user \"nosuchadmin-mr6\"" % (re.escape(d.conf), l_admin),
        "the daemon logs the warning at start")
    tap.ok("root\"" not in d.log_text() and "\"*\"" not in d.log_text(),
        "existing accounts and * are not warned about")
    d.access = {"admin": ["root"], "viewer": ["othermissing-mr6"]}
    d.write_config()
    p = d.ctl("reload")
    tap.eq(p.returncode, 0, "reload with an unknown account succeeds")
    tap.like(d.log_text(), r"warning: user \"othermissing-mr6\" in \[access\] viewer",
        "the daemon logs the warning on reload")
    d.cleanup()


def test_socket_mode(tap):
    """socket_mode is always octal: 640 is 0640; out of 0000-0777 is an error with file:line."""
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode="640")
    tap.eq(oct(os.stat(d.sock).st_mode & 0o7777), oct(0o640),
        "socket_mode = 640 makes a 0640 socket")
    d.cleanup()
    for bad in ("1777", "0999", "rw-rw-rw-", "0x1a4"):
        d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode=bad, start=False)
        line = open(d.conf).read().split("\n").index("socket_mode = %s" % bad) + 1
        p = d.check_config()
        tap.eq(p.returncode, 1, "socket_mode = %s: -t exits 1" % bad)
        tap.like(p.stderr, r"(?m)^%s:%d: bad socket_mode \"%s\": expected an octal mode from "
            r"0000 to 0777" % (re.escape(d.conf), line, re.escape(bad)),
            "socket_mode = %s: the error names file:line" % bad)
        d.cleanup()


def run(tap):
    test_options(tap)
    test_check_good(tap)
    test_check_bad(tap)
    test_start_bad(tap)
    test_continuation(tap)
    test_reload(tap)
    test_verbose_and_fixed_keys(tap)
    test_account_warnings(tap)
    test_socket_mode(tap)


harness.main(run)
