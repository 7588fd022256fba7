# test_cli.py: modelregctl tells the truth about unconfigured sources (catalog, sync, uptime exit 1) and prints each command's help (help COMMAND, COMMAND --help).
import json
import re

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


def main(tap):
    test_unconfigured(tap)


if __name__ == "__main__":
    harness.main(main)
