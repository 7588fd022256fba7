# test_completion.py: the bash completion script (ctl/modelregctl.bash) sourced in bash: commands, options, option values and model ids from a running daemon, and silence when it is down.
import json
import os
import subprocess
import tempfile

import harness
from harness import MODELREGCTL

SCRIPT = os.path.join(harness.SRCDIR, "ctl", "modelregctl.bash")
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
CATALOG = harness.data_path("catalog-mistral.json")

# Source the script (after bash-completion's library when asked), set the
# words as bash would, call the function, print COMPREPLY one per line.
DRIVER = r'''
[ -n "$LIB" ] && . "$LIB"
. "$SCRIPT"
COMP_CWORD=$1; shift
COMP_WORDS=("$@")
COMP_LINE="$*"
COMP_POINT=${#COMP_LINE}
_modelregctl
printf '%s\n' "${COMPREPLY[@]}"
'''


def complete(words, lib=None, env=None):
    """COMPREPLY for words (the last one is being completed), and stderr."""
    e = {k: v for k, v in os.environ.items() if k not in harness._SCRUB}
    e.update(SCRIPT=SCRIPT, LIB=lib or "")
    e.update(env or {})
    argv = ["bash", "--norc", "--noprofile", "-c", DRIVER, "bash",
        str(len(words) - 1), MODELREGCTL] + list(words[1:])
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=e,
        stdin=subprocess.DEVNULL)
    return [x for x in p.stdout.split("\n") if x], p.stderr


def run(tap, d, lib, label):
    s = ("-s", d.sock)
    got, err = complete(["modelregctl", *s, "sh"], lib)
    tap.eq(got, ["show"], "%s: a command from its prefix" % label, err)
    got, _ = complete(["modelregctl", *s, ""], lib)
    tap.ok({"list", "catalog", "events", "help", "refresh"} <= set(got),
        "%s: every command offered on an empty word" % label, got)
    got, _ = complete(["modelregctl", *s, "list", "--s"], lib)
    tap.eq(sorted(got), ["--search", "--socket", "--sort", "--status"],
        "%s: list's options from a prefix" % label)
    got, _ = complete(["modelregctl", *s, "catalog", "--"], lib)
    tap.ok({"--zdr", "--no-zdr", "--synced", "--unsynced"} <= set(got)
        and "--status" not in got, "%s: catalog's own options only" % label, got)
    got, _ = complete(["modelregctl", *s, "list", "--status", ""], lib)
    tap.eq(got, ["active", "inactive", "all"], "%s: the values of --status" % label)
    got, _ = complete(["modelregctl", *s, "uptime", "--window", "2"], lib)
    tap.eq(got, ["24h"], "%s: the values of --window" % label)
    got, _ = complete(["modelregctl", *s, "refresh", ""], lib)
    tap.eq(got, ["catalog", "zdr", "uptime", "all"], "%s: refresh's sources" % label)
    got, err = complete(["modelregctl", *s, "show", "mistral-l"], lib)
    tap.eq(got, ["mistral-large-2411"], "%s: a model id from the daemon" % label, err)
    got, _ = complete(["modelregctl", *s, "activate", "mistral-large-2411", "pix"], lib)
    tap.eq(got, ["pixtral-large-2411"], "%s: a second model id" % label)
    got, _ = complete(["modelregctl", *s, "events", "--model", "mistral-e"], lib)
    tap.eq(got, ["mistral-embed"], "%s: events --model completes model ids" % label)
    got, _ = complete(["modelregctl", *s, "help", "ref"], lib)
    tap.eq(got, ["refresh"], "%s: help completes commands" % label)
    got, _ = complete(["modelregctl", *s, "show", "evil"], lib)
    tap.eq(got, ["evil/\\$\\(id\\)"],
        "%s: an id holding shell metacharacters is offered quoted" % label)
    # The socket from MODELREG_SOCKET, as modelregctl itself takes it.
    got, _ = complete(["modelregctl", "show", "mistral-m"], lib,
        env={"MODELREG_SOCKET": d.sock})
    tap.eq(got, ["mistral-medium-2505"], "%s: MODELREG_SOCKET is used" % label)
    # The daemon down (no socket): no ids, nothing on stderr.
    got, err = complete(["modelregctl", "-s", d.sock + ".gone", "show", "m"], lib)
    tap.eq((got, err), ([], ""), "%s: daemon down: no candidates, no output" % label)
    got, err = complete(["modelregctl", "-s", d.sock + ".gone", "list", "--de"], lib)
    tap.eq((got, err), (["--desc"], ""), "%s: daemon down: options still complete" % label)


def main(tap):
    # A seed with an id that a shell would expand: it must be offered quoted.
    data = json.load(open(CATALOG))
    evil = dict(data["data"][0], id="evil/$(id)", name="evil", aliases=[])
    data["data"].append(evil)
    seed = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(data, seed)
    seed.close()
    try:
        d = harness.Daemon(seed_url=harness.file_url(seed.name), wait_seed=True)
        st, recs = d.request("SHOW evil/$(id)")
        if st != "OK 1":
            raise harness.HarnessError("the seed did not keep evil/$(id): %r" % st)
        run(tap, d, None, "plain bash")
        if os.path.exists(BASH_COMPLETION):
            run(tap, d, BASH_COMPLETION, "with bash-completion")
        else:
            tap.skip("with bash-completion", "bash-completion is not installed")
        d.cleanup()
    finally:
        os.unlink(seed.name)


if __name__ == "__main__":
    harness.main(main)
