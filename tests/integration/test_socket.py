# test_socket.py: a socket that refuses its user: modelregctl exits 4 naming the group; a second daemon never takes a live daemon's socket it cannot probe.
import grp
import os
import pwd
import stat
import subprocess
import tempfile

import harness
from harness import MODELREGD

CATALOG = harness.data_path("catalog-mistral.json")
NOBODY = pwd.getpwnam("nobody")


def group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def test_client_denied(tap):
    """A client the socket's mode refuses: exit 4 (not 3), the group named."""
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode="0660")
    gname = group_name(os.stat(d.sock).st_gid)
    p = d.ctl("ping", as_user=(NOBODY.pw_uid, NOBODY.pw_gid))
    tap.eq(p.returncode, 4, "a 0660 socket refusing the user: exit 4", p.stderr)
    tap.like(p.stderr, r"permission denied on %s: ask to be added to group %s\n"
        % (d.sock, gname), "the message names the socket and its group")
    p = d.ctl("activate", "mistral-large-2411", as_user=(NOBODY.pw_uid, NOBODY.pw_gid))
    tap.eq(p.returncode, 4, "a multi-model command refused at connect: exit 4")
    p = d.ctl("events", "--follow", as_user=(NOBODY.pw_uid, NOBODY.pw_gid))
    tap.eq(p.returncode, 4, "events --follow refused at connect: exit 4")
    d.cleanup()

    d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode="0600")
    p = d.ctl("list", as_user=(NOBODY.pw_uid, NOBODY.pw_gid))
    tap.eq(p.returncode, 4, "a 0600 socket: exit 4", p.stderr)
    tap.like(p.stderr, r"permission denied on %s: only its owner root may connect "
        r"\(mode 0600, group %s\)" % (d.sock, group_name(os.stat(d.sock).st_gid)),
        "the 0600 message says only the owner may connect")
    # The directory refuses the user: its group is named.
    os.chmod(d.dir, 0o750)
    p = d.ctl("ping", as_user=(NOBODY.pw_uid, NOBODY.pw_gid))
    tap.eq(p.returncode, 4, "a directory that refuses the user: exit 4", p.stderr)
    tap.like(p.stderr, r"its directory %s lets only group %s in"
        % (d.dir, group_name(os.stat(d.dir).st_gid)), "the directory's group is named")
    os.chmod(d.dir, 0o755)
    # A socket that is not there is still "cannot reach": exit 3.
    p = d.ctl("ping", socket=False, env={"MODELREG_SOCKET": d.sock + ".none"})
    tap.eq(p.returncode, 3, "no socket: exit 3")
    d.cleanup()


def test_probe_refuses(tap):
    """A second daemon that cannot probe a live daemon's 0600 socket refuses to start."""
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), socket_mode="0600")
    # A directory both users can write, not sticky: the old probe would unlink.
    os.chmod(d.dir, 0o777)
    st0 = os.stat(d.sock)
    other = tempfile.mkdtemp(prefix="modelreg-it2-")
    try:
        os.chmod(other, 0o777)
        conf = os.path.join(other, "modelregd.conf")
        with open(conf, "w") as f:
            f.write("[daemon]\nsocket = %s\nsocket_mode = 0600\ndatabase = %s\n"
                "[seed]\nurl =\n" % (d.sock, os.path.join(other, "registry.db")))
        os.chmod(conf, 0o644)
        env = {k: v for k, v in os.environ.items() if k not in harness._SCRUB}
        p = subprocess.run(["setpriv", "--reuid", str(NOBODY.pw_uid), "--regid",
            str(NOBODY.pw_gid), "--clear-groups", MODELREGD, "-c", conf],
            capture_output=True, text=True, timeout=30, env=env,
            stdin=subprocess.DEVNULL)
        tap.ok(p.returncode != 0, "the second daemon refuses to start", p.stderr)
        tap.like(p.stderr, r"cannot tell whether a daemon listens on %s "
            r"\(Permission denied\): not replacing it" % d.sock,
            "the refusal names the path and the errno text")
        st1 = os.lstat(d.sock)
        tap.eq((st1.st_ino, stat.S_ISSOCK(st1.st_mode)), (st0.st_ino, True),
            "the live daemon's socket node was not unlinked")
        st, _ = d.request("PING")
        tap.eq(st, "OK 1", "the live daemon still answers")
    finally:
        subprocess.run(["rm", "-rf", other])
    os.chmod(d.dir, 0o755)
    d.cleanup()


def main(tap):
    test_client_denied(tap)
    test_probe_refuses(tap)


if __name__ == "__main__":
    harness.main(main)
