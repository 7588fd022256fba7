# test_roles.py: [access] roles (admin, member, viewer, refused) for clients run as throwaway users through setpriv, and the defaults without [access].
import atexit
import grp
import json
import os
import pwd
import re
import socket
import subprocess
import time

import harness
from harness import MODELREGCTL

CATALOG = harness.data_path("catalog-mistral.json")
PRICED = harness.data_path("cat-base.json")   # an OpenRouter catalog with prices
GPT = "openai/gpt-4o"                          # 2.5 and 10 USD per 1M tokens
TAG = "%x" % (os.getpid() & 0xffff)
GROUP = "itbg" + TAG            # the viewer group
MEMBER = "itbm" + TAG           # named in member
VIEWER = "itbv" + TAG           # viewer through GROUP, a supplementary group
NOBODY = "itbn" + TAG           # matched by no list
SERVICE = "itbs" + TAG          # named in service (issue 9)

_made_users = []
_made_groups = []


def sh(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60)


def remove_accounts():
    while _made_users:
        u = _made_users.pop()
        sh("userdel", u)
    while _made_groups:
        g = _made_groups.pop()
        sh("groupdel", g)
    # useradd -U made a group per user; userdel removes it, unless it could not.
    for u in (MEMBER, VIEWER, NOBODY, SERVICE):
        try:
            grp.getgrnam(u)
            sh("groupdel", u)
        except KeyError:
            pass


def make_accounts():
    atexit.register(remove_accounts)
    p = sh("groupadd", GROUP)
    if p.returncode != 0:
        raise harness.HarnessError("groupadd %s: %s" % (GROUP, p.stderr))
    _made_groups.append(GROUP)
    for user, extra in ((MEMBER, []), (VIEWER, ["-G", GROUP]), (NOBODY, []),
            (SERVICE, [])):
        p = sh("useradd", "-M", "-U", "-d", "/nonexistent", "-s", "/usr/sbin/nologin",
            *extra, user)
        if p.returncode != 0:
            raise harness.HarnessError("useradd %s: %s" % (user, p.stderr))
        _made_users.append(user)


def ctl_as(d, user, *args, json_out=False):
    """modelregctl run as user through setpriv --init-groups (supplementary groups set)."""
    pw = pwd.getpwnam(user)
    argv = ["setpriv", "--reuid", str(pw.pw_uid), "--regid", str(pw.pw_gid),
        "--init-groups", MODELREGCTL, "-s", d.sock]
    if json_out:
        argv.append("--json")
    argv += ["--yes"] if args and args[0] in ("deactivate", "delete") else []
    argv += list(args)
    env = {k: v for k, v in os.environ.items() if k != "MODELREG_SOCKET"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=30,
        stdin=subprocess.DEVNULL, env=env)


def whoami(d, user):
    p = ctl_as(d, user, "whoami", json_out=True)
    if p.returncode != 0:
        return {"exit": p.returncode, "out": p.stdout + p.stderr}
    return json.loads(p.stdout)


def connect_as(path, uid, gid, groups=()):
    """A socket connected to path by a child running as uid/gid, handed back over SCM_RIGHTS.
    SO_PEERCRED is taken at connect(), so the daemon sees uid/gid as the peer."""
    parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            parent.close()
            os.setgroups(list(groups))
            os.setgid(gid)
            os.setuid(uid)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            socket.send_fds(child, [b"x"], [s.fileno()])
            code = 0
        except BaseException:
            pass
        os._exit(code)
    child.close()
    try:
        msg, fds, _, _ = socket.recv_fds(parent, 16, 1)
    finally:
        parent.close()
        os.waitpid(pid, 0)
    if not fds:
        raise harness.HarnessError("the child could not connect as uid %d" % uid)
    return socket.socket(fileno=fds[0])


def read_all(s, timeout=5):
    """Everything the daemon sends until it closes the connection (or the deadline)."""
    s.settimeout(0.2)
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            return data, True
        data += chunk
    return data, False


def read_line(s, timeout=5):
    s.settimeout(timeout)
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            break
        data += chunk
    return data.decode("utf-8", "replace").rstrip("\n")


def request_on(s, line):
    """One request on a socket from connect_as: (status, [records])."""
    s.sendall(line.encode() + b"\n")
    st = read_line(s)
    p = harness.parse_status(st)
    n = p[1] if p and p[0] == "OK" else 0
    return st, [harness.parse_logfmt(read_line(s)) for _ in range(n)]


def test_access(tap):
    d = harness.Daemon(seed_url=harness.file_url(CATALOG),
        always_active=["mistral-large-latest", "pixtral-large-2411"],
        default_model="mistral-medium-latest", socket_mode="0666",
        access={"admin": ["root"], "member": [MEMBER], "viewer": ["@" + GROUP]},
        wait_seed=True)

    # WHOAMI
    w = whoami(d, VIEWER)
    tap.eq((w.get("user"), w.get("role"), str(w.get("uid"))),
        (VIEWER, "viewer", str(pwd.getpwnam(VIEWER).pw_uid)),
        "WHOAMI: a user in @group (supplementary) is viewer, with its user name and uid")
    w = whoami(d, MEMBER)
    tap.eq((w.get("user"), w.get("role")), (MEMBER, "member"), "WHOAMI: a listed user is member")
    st, recs = d.request("WHOAMI")
    tap.eq((st, recs and recs[0].get("user"), recs and recs[0].get("role"),
        recs and recs[0].get("uid")), ("OK 1", "root", "admin", "0"), "WHOAMI: root is admin")

    # viewer
    for args in (("list",), ("show", "mistral-large-latest"), ("status",),
            ("whoami",), ("ping",), ("default",), ("version",)):
        p = ctl_as(d, VIEWER, *args)
        tap.eq(p.returncode, 0, "viewer may run %s (%s)" % (" ".join(args), p.stderr.strip()))
    for args in (("activate", "magistral-medium-latest"),
            ("deactivate", "pixtral-large-2411"),
            ("default", "mistral-large-2411"),
            ("delete", "mistral-embed"),
            ("seed",), ("reload",)):
        p = ctl_as(d, VIEWER, *args)
        tap.eq(p.returncode, 4, "viewer: %s -> exit 4" % " ".join(args))
        tap.like(p.stdout + p.stderr, r"(?i)denied|role", "viewer: %s says why (role)" % " ".join(args))
    st, recs = d.request("SHOW magistral-medium-2506")
    tap.eq(recs[0]["status"], "inactive", "the viewer's activate changed nothing")
    st, recs = d.request("SHOW mistral-embed")
    tap.eq(st, "OK 1", "the viewer's delete changed nothing")

    # The refused verb over a raw connection: ERR denied, and the connection stays usable.
    pw = pwd.getpwnam(VIEWER)
    s = connect_as(d.sock, pw.pw_uid, pw.pw_gid, os.getgrouplist(VIEWER, pw.pw_gid))
    try:
        s.sendall(b"ACTIVATE magistral-medium-latest\n")
        tap.like(read_line(s), r"^ERR denied ", "raw: viewer's ACTIVATE gets ERR denied")
        s.sendall(b"PING\n")
        tap.eq(read_line(s), "OK 1", "raw: the connection still serves after ERR denied")
    finally:
        s.close()

    # member
    p = ctl_as(d, MEMBER, "activate", "magistral-medium-latest")
    tap.eq(p.returncode, 0, "member may activate (%s)" % p.stderr.strip())
    p = ctl_as(d, MEMBER, "default", "magistral-medium-2506")
    tap.eq(p.returncode, 0, "member may set the default (%s)" % p.stderr.strip())
    p = ctl_as(d, MEMBER, "deactivate", "pixtral-large-2411")
    tap.eq(p.returncode, 0, "member may deactivate (%s)" % p.stderr.strip())
    p = ctl_as(d, MEMBER, "delete", "mistral-embed")
    tap.eq(p.returncode, 0, "member may delete (%s)" % p.stderr.strip())
    st, recs = d.request("DEFAULT")
    tap.eq(recs and recs[0]["id"], "magistral-medium-2506", "the member's changes took effect")
    st, recs = d.request("SHOW mistral-embed")
    tap.err(st, "notfound", "the member's delete took effect")
    for args in (("seed",), ("reload",)):
        p = ctl_as(d, MEMBER, *args)
        tap.eq(p.returncode, 4, "member: %s -> exit 4" % args[0])
        tap.like(p.stdout + p.stderr, r"(?i)denied|role", "member: %s says why (role)" % args[0])
    st, recs = d.request("SHOW mistral-embed")
    tap.err(st, "notfound", "the member's seed was not run (the deleted model is not back)")

    # admin (root)
    p = d.ctl("seed")
    tap.eq(p.returncode, 0, "admin may seed (%s)" % p.stderr.strip())
    p = d.ctl("reload")
    tap.eq(p.returncode, 0, "admin may reload (%s)" % p.stderr.strip())
    st, recs = d.request("SHOW mistral-embed")
    tap.eq(st, "OK 1", "the admin's seed brought the deleted model back")
    p = d.ctl("activate", "mistral-embed")
    tap.eq(p.returncode, 0, "admin may activate (%s)" % p.stderr.strip())
    p = d.ctl("deactivate", "mistral-embed", yes=True)
    tap.eq(p.returncode, 0, "admin may deactivate (%s)" % p.stderr.strip())

    # a user no list names: refused at connect
    p = ctl_as(d, NOBODY, "ping")
    tap.eq(p.returncode, 4, "an unmatched user: modelregctl ping exits 4")
    tap.like(p.stdout + p.stderr, r"(?i)denied|role", "an unmatched user: the error says why (no role)")
    p = ctl_as(d, NOBODY, "list")
    tap.eq(p.returncode, 4, "an unmatched user: modelregctl list exits 4")
    pw = pwd.getpwnam(NOBODY)
    s = connect_as(d.sock, pw.pw_uid, pw.pw_gid)
    try:
        data, closed = read_all(s)
    finally:
        s.close()
    lines = data.decode("utf-8", "replace").split("\n")
    tap.ok(len(lines) == 2 and lines[0].startswith("ERR denied ") and lines[1] == "",
        "raw: an unmatched peer gets one line 'ERR denied ...' before it says anything", data)
    tap.ok(closed, "raw: and the daemon closes the connection")

    # "*" grants everyone; reload applies it.
    d.access = {"admin": ["root"], "member": [MEMBER], "viewer": ["*"]}
    d.write_config()
    p = d.ctl("reload")
    tap.eq(p.returncode, 0, "reload with viewer = *")
    tap.eq(whoami(d, NOBODY).get("role"), "viewer", "viewer = *: an unmatched user is viewer")
    tap.eq(whoami(d, MEMBER).get("role"), "member", "viewer = *: a member stays member (highest role wins)")
    p = ctl_as(d, NOBODY, "activate", "mistral-embed")
    tap.eq(p.returncode, 4, "viewer = *: activate is still denied to that user")

    # @group in member, the user in a viewer list too: the highest role wins.
    d.access = {"admin": ["root"], "member": ["@" + GROUP], "viewer": [VIEWER]}
    d.write_config()
    tap.eq(d.ctl("reload").returncode, 0, "reload with member = @group")
    tap.eq(whoami(d, VIEWER).get("role"), "member",
        "member = @group: the group's user (listed as viewer too) is member")
    tap.eq(whoami(d, NOBODY).get("role"), None, "without *, the unmatched user is refused again")

    # admin through @group: that user may seed.
    d.access = {"admin": ["@" + GROUP]}
    d.write_config()
    tap.eq(d.ctl("reload").returncode, 0, "reload with admin = @group")
    tap.eq(whoami(d, VIEWER).get("role"), "admin", "admin = @group: the group's user is admin")
    p = ctl_as(d, VIEWER, "seed")
    tap.eq(p.returncode, 0, "an admin by group may seed (%s)" % p.stderr.strip())
    tap.eq(whoami(d, MEMBER).get("role"), None, "a user no longer listed is refused")
    st, recs = d.request("WHOAMI")
    tap.eq(recs and recs[0].get("role"), "admin", "root stays admin when no list names it")

    # An empty [access] section: everyone but root refused.
    d.access = {}
    d.write_config()
    tap.eq(d.ctl("reload").returncode, 0, "reload with an empty [access]")
    tap.eq(ctl_as(d, VIEWER, "ping").returncode, 4, "an empty [access]: other users are refused")
    tap.eq(d.ctl("ping").returncode, 0, "an empty [access]: root still gets in")
    d.cleanup()


def test_no_access(tap):
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode="0666",
        wait_seed=True)
    st, recs = d.request("WHOAMI")
    tap.eq(recs and (recs[0].get("user"), recs[0].get("role")), ("root", "admin"),
        "without [access]: root is admin")
    for user in (MEMBER, NOBODY):
        w = whoami(d, user)
        tap.eq((w.get("user"), w.get("role")), (user, "viewer"),
            "without [access]: %s is viewer" % user)
    p = ctl_as(d, NOBODY, "list")
    tap.eq(p.returncode, 0, "without [access]: another user may list")
    p = ctl_as(d, NOBODY, "activate", "mistral-embed")
    tap.eq(p.returncode, 4, "without [access]: another user may not activate (exit 4)")
    p = ctl_as(d, NOBODY, "seed")
    tap.eq(p.returncode, 4, "without [access]: another user may not seed (exit 4)")
    # a uid with no passwd entry is a viewer too, shown as uid:N
    p = d.ctl("whoami", json=True, as_user=(54321, 54321))
    w = json.loads(p.stdout) if p.returncode == 0 else {}
    tap.eq((w.get("role"), w.get("user")), ("viewer", "uid:54321"),
        "without [access]: a uid with no name is viewer, shown as uid:N")
    d.cleanup()


def test_service(tap):
    """Issue 9: the service role, between viewer and member: every viewer verb, no change to models."""
    d = harness.Daemon(seed_url=harness.file_url(CATALOG),
        always_active=["mistral-large-latest", "pixtral-large-2411"],
        default_model="mistral-large-latest", socket_mode="0666",
        access={"admin": ["root"], "member": [MEMBER], "service": [SERVICE],
            "viewer": ["@" + GROUP]},
        extra="[catalog]\nurl = %s\nformat = openrouter\ninterval = 1h\n"
            % harness.file_url(PRICED),
        wait_seed=True)
    harness.wait_for(lambda: len(d.request("CATALOG")[1]) == 10, 10, "the catalog to load")
    st, _ = d.request("SYNC " + GPT)
    tap.eq(st, "OK 1", "SYNC %s (a model with prices, for USAGE)" % GPT)
    w = whoami(d, SERVICE)
    tap.eq((w.get("user"), w.get("role")), (SERVICE, "service"),
        "WHOAMI: a user named in [access] service has the service role")
    tap.eq(whoami(d, VIEWER).get("role"), "viewer", "a viewer stays viewer beside a service list")
    for args in (("list",), ("show", "mistral-large-latest"), ("status",), ("default",),
            ("events",), ("audit",), ("ping",), ("version",)):
        p = ctl_as(d, SERVICE, *args)
        tap.eq(p.returncode, 0, "service may run %s (%s)" % (" ".join(args), p.stderr.strip()))
    for args in (("activate", "magistral-medium-latest"), ("deactivate", "pixtral-large-2411"),
            ("default", "pixtral-large-2411"), ("delete", "mistral-embed"), ("seed",),
            ("reload",), ("key", "list"), ("key", "create", "svc-app")):
        p = ctl_as(d, SERVICE, *args)
        tap.eq(p.returncode, 4, "service: %s -> exit 4" % " ".join(args))
        tap.like(p.stdout + p.stderr, r"needs the (member|admin) role; you are service",
            "service: %s says which role it needs" % " ".join(args))
    st, recs = d.request("SHOW magistral-medium-2506")
    tap.eq(recs[0]["status"], "inactive", "the service peer's activate changed nothing")
    st, recs = d.request("SHOW mistral-embed")
    tap.eq(st, "OK 1", "the service peer's delete changed nothing")
    st, recs = d.request("KEY LIST")
    tap.eq((st, recs), ("OK 0", []), "the service peer's key create made no key")
    # RESOLVE, RELEASE and USAGE are the service role's own; SET, UNSET, SYNC and DELETE are not.
    pw = pwd.getpwnam(SERVICE)
    s = connect_as(d.sock, pw.pw_uid, pw.pw_gid)
    try:
        st, recs = request_on(s, "RESOLVE mistral-large-latest session=svc-1")
        tap.eq((st, recs and recs[0].get("session")), ("OK 1", "svc-1"),
            "service: RESOLVE session=svc-1 opens a session")
        st, recs = request_on(s, "RELEASE session=svc-1")
        tap.eq((st, recs and recs[0].get("released"), recs and recs[0].get("model")),
            ("OK 1", "true", "mistral-large-2411"), "service: RELEASE session=svc-1 ends it")
        st, recs = request_on(s, "USAGE %s prompt_tokens=1000 completion_tokens=500" % GPT)
        tap.eq((st, recs and recs[0].get("model"), recs and recs[0].get("cost_usd")),
            ("OK 1", GPT, "0.0075"), "service: USAGE is charged at the model's price")
        for line in ('SET %s label="Svc"' % GPT, "UNSET %s label" % GPT,
                "SYNC anthropic/claude-3.5-sonnet", "DELETE " + GPT):
            st, _ = request_on(s, line)
            tap.like(st, r"^ERR denied .*needs the member role; you are service",
                "service: %s -> ERR denied (member)" % line.split()[0])
    finally:
        s.close()
    st, recs = d.request("SHOW " + GPT)
    tap.eq((st, recs and recs[0].get("label"), recs and recs[0].get("usage_requests")),
        ("OK 1", None, "1"), "the service peer's SET and DELETE changed nothing; its USAGE counted")
    st, _ = d.request("SHOW anthropic/claude-3.5-sonnet")
    tap.err(st, "notfound", "the service peer's SYNC synced nothing")
    # HELP says the role of KEY; a member may not create keys either.
    p = ctl_as(d, MEMBER, "key", "create", "member-app")
    tap.eq(p.returncode, 4, "member: key create -> exit 4 (admin only)")
    # service = * reaches everybody else; member and viewer keep their own
    d.access = {"admin": ["root"], "member": [MEMBER], "service": ["*"]}
    d.write_config()
    tap.eq(d.ctl("reload").returncode, 0, "reload with service = *")
    tap.eq(whoami(d, NOBODY).get("role"), "service", "service = *: an unmatched user is service")
    tap.eq(whoami(d, MEMBER).get("role"), "member", "service = *: a member stays member (highest wins)")
    # service through @group: a supplementary group's user is service, and may RESOLVE
    d.access = {"admin": ["root"], "service": ["@" + GROUP]}
    d.write_config()
    tap.eq(d.ctl("reload").returncode, 0, "reload with service = @group")
    tap.eq(whoami(d, VIEWER).get("role"), "service", "service = @group: the group's user is service")
    p = ctl_as(d, VIEWER, "resolve", "pixtral-large-latest", json_out=True)
    r = json.loads(p.stdout) if p.returncode == 0 else {}
    tap.eq((p.returncode, r.get("id"), r.get("reason")), (0, "pixtral-large-2411", "requested"),
        "a service peer by group may RESOLVE (%s)" % p.stderr.strip())
    p = ctl_as(d, VIEWER, "activate", "magistral-medium-latest")
    tap.eq(p.returncode, 4, "a service peer by group may not activate (exit 4)")
    tap.eq(whoami(d, MEMBER).get("role"), None, "a user in no list is refused")
    # an unknown user in the service list is warned about like the others
    d.access = {"admin": ["root"], "service": ["nosuchuser" + TAG]}
    d.write_config()
    p = d.check_config()
    tap.like(p.stdout + p.stderr, r'warning: user "nosuchuser%s" in \[access\] service does not exist' % TAG,
        "modelregd -n warns about an unknown user in [access] service")
    d.cleanup()


def run(tap):
    if os.geteuid() != 0:
        tap.skip("roles", "needs root (useradd, setpriv)")
        return
    make_accounts()
    try:
        test_access(tap)
        test_no_access(tap)
        test_service(tap)
    finally:
        remove_accounts()


harness.main(run)
