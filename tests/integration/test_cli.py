# test_cli.py: modelregctl tells the truth about unconfigured sources (catalog, sync, uptime exit 1) and prints each command's help (help COMMAND, COMMAND --help).
import json
import os
import re
import subprocess

import harness
from harness import MODELREGCTL

CATALOG = harness.data_path("catalog-mistral.json")


def test_unconfigured(tap):
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), wait_seed=True)
    for line, what in (("CATALOG", "catalog"), ("SYNC mistral-large-2411", "catalog"),
            ("UPTIME", "uptime"), ("UPTIME mistral-large-2411 window=7d", "uptime")):
        st, _ = d.request(line)
        tap.eq(st, "ERR unavailable no %s source configured ([%s] url)" % (what, what),
            "%s with no [%s] url: ERR unavailable" % (line, what))
    # Usage errors still come first.
    st, _ = d.request("CATALOG sort=nope")
    tap.err(st, "usage", "CATALOG with a bad option: ERR usage first")
    for args, what in ((("catalog",), "catalog"), (("catalog", "--synced"), "catalog"),
            (("sync", "mistral-large-2411"), "catalog"), (("uptime",), "uptime")):
        p = d.ctl(*args)
        tap.eq((p.returncode, p.stdout), (1, ""), "modelregctl %s: exit 1, nothing on stdout"
            % " ".join(args), p.stderr)
        tap.like(p.stderr, r"no %s source configured" % what,
            "modelregctl %s says no %s source is configured" % (" ".join(args), what))
    p = d.ctl("catalog", json=True)
    tap.eq(p.returncode, 1, "catalog --json: exit 1 too (no empty array)")
    tap.ok("[]" not in p.stdout, "catalog --json prints no empty array", p.stdout)
    # Other verbs are unaffected.
    tap.eq(d.ctl("list").returncode, 0, "list still works")
    d.cleanup()


COMMANDS = ["status", "list", "show", "activate", "deactivate", "default", "delete",
    "tag", "collection", "history", "undo", "set", "unset", "catalog", "sync", "refresh", "uptime", "events", "audit", "resolve", "release", "usage", "export", "import", "key",
    "cap", "seed", "reload", "whoami", "ping", "version", "help"]


def ctl(*args):
    """modelregctl with no daemon at all: help must not need one."""
    env = {k: v for k, v in os.environ.items() if k not in harness._SCRUB}
    env["MODELREG_SOCKET"] = "/nonexistent/modelregd.sock"
    return subprocess.run([MODELREGCTL] + list(args), capture_output=True, text=True,
        timeout=30, env=env, stdin=subprocess.DEVNULL)


def test_help(tap):
    p = ctl("help")
    tap.eq(p.returncode, 0, "help: exit 0", p.stderr)
    listed = re.findall(r"(?m)^  (\w+) ", p.stdout.split("commands:\n", 1)[-1])
    tap.eq(listed, COMMANDS, "help lists every command")
    tap.eq(ctl("--help").stdout, p.stdout, "--help prints the same")
    for c in COMMANDS:
        p = ctl("help", c)
        tap.ok(p.returncode == 0 and p.stdout.startswith("usage: modelregctl [-jy] "
            "[-s socket] %s" % c) and "see modelregctl(1)" not in p.stdout,
            "help %s: its usage and its own help text" % c, p.stdout + p.stderr)
    p = ctl("help", "list")
    for opt in ("--status active|inactive|all", "--provider P", "--search TEXT",
            "--sort name|provider|context|price|status", "--desc"):
        tap.ok(opt in p.stdout, "help list describes %s" % opt, p.stdout)
    p = ctl("help", "events")
    tap.ok(all(o in p.stdout for o in ("--since", "--kind", "--model", "--limit",
        "--follow")), "help events describes its options", p.stdout)
    for argv, c in ((("list", "--help"), "list"), (("list", "-h"), "list"),
            (("show", "--help"), "show"), (("--json", "refresh", "-h"), "refresh"),
            (("delete", "-y", "--help"), "delete")):
        q = ctl(*argv)
        tap.eq((q.returncode, q.stdout), (0, ctl("help", c).stdout),
            "modelregctl %s: the command's help, exit 0" % " ".join(argv), q.stderr)
    for argv in (("help", "frob"), ("frob", "--help"), ("help", "list", "show")):
        q = ctl(*argv)
        tap.eq((q.returncode, q.stdout), (2, ""), "modelregctl %s: exit 2" % " ".join(argv))
    tap.like(ctl("help", "frob").stderr, r"unknown command: frob", "help frob names it")


def main(tap):
    test_unconfigured(tap)
    test_help(tap)


if __name__ == "__main__":
    harness.main(main)
