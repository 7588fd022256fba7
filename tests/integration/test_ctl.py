# test_ctl.py: modelregctl: human and --json output, exit codes, socket selection, several models, confirmation on a terminal.
import json
import os
import pty
import re
import select
import subprocess
import time

import harness
from harness import MODELREGCTL, RFC3339

CATALOG = harness.data_path("it-openrouter.json")
GPT = "openai/gpt-4o"
CLAUDE = "anthropic/claude-3.5-sonnet"
MLARGE = "mistralai/mistral-large"
LLAMA = "meta-llama/llama-3.1-8b-instruct"
AUTO = "openrouter/auto"
GROK = "x-ai/grok-2"
R1 = "deepseek/deepseek-r1"
GEMINI = "google/gemini-flash-1.5"
MSMALL = "mistralai/mistral-small"
ALL = [GPT, CLAUDE, MLARGE, LLAMA, AUTO, GROK, R1, GEMINI, MSMALL]


def status_of(d, model):
    st, recs = d.request('SHOW "%s"' % model)
    return recs[0]["status"] if st == "OK 1" else None


def test_human(tap, d):
    p = d.ctl("list")
    tap.eq(p.returncode, 0, "list exits 0", p.stderr)
    lines = [x for x in p.stdout.splitlines() if x.strip()]
    rows = {}
    for x in lines:
        for m in ALL:
            if re.search(r"(^|\s)%s(\s|$)" % re.escape(m), x):
                rows[m] = x
    tap.eq(sorted(rows), sorted(ALL), "list: one row per model", p.stdout)
    # Aligned: the status word starts at the same column in every row.
    cols = set()
    for m, x in rows.items():
        s = re.search(r"(?<!\S)(active|inactive)(?!\S)", x)
        cols.add(s.start() if s else -1)
    tap.ok(len(cols) == 1 and -1 not in cols, "list: status column aligned", p.stdout)
    # Every row has the same column starts as the header, when widths differ.
    idcol = {x.index(m) for m, x in rows.items()}
    tap.eq(len(idcol), 1, "list: id column aligned")
    tap.ok(re.search(r"default", rows.get(GPT, ""), re.I), "list: the default's row shows a Default badge",
        rows.get(GPT))
    others = [m for m in ALL if m != GPT and re.search(r"default", rows.get(m, ""), re.I)]
    tap.eq(others, [], "list: no other row has the badge")
    tap.ok(re.search(r"(?<!\S)-(?!\S)", rows.get(AUTO, "")), "list: '-' for an unknown price", rows.get(AUTO))
    tap.ok(re.search(r"(?<!\S)-(?!\S)", rows.get(GROK, "")), "list: '-' for missing pricing", rows.get(GROK))
    tap.ok(re.search(r"2\.5", rows.get(GPT, "")), "list: GPT-4o's prompt price shown", rows.get(GPT))
    ids = [m for x in lines for m in ALL if rows.get(m) == x]
    tap.eq(ids, [CLAUDE, AUTO, R1, GEMINI, LLAMA, MLARGE, MSMALL, GPT, GROK], "list: sorted by name by default")

    p = d.ctl("list", "--status", "active")
    tap.eq(p.returncode, 0, "list --status active exits 0")
    tap.ok(GPT in p.stdout and LLAMA not in p.stdout, "list --status active shows only active models", p.stdout)

    p = d.ctl("show", GPT)
    tap.eq(p.returncode, 0, "show exits 0", p.stderr)
    for want in (GPT, "OpenAI: GPT-4o", "openai", "active", "2.5", "10"):
        tap.ok(want in p.stdout, "show: output holds %r" % want, p.stdout)
    tap.like(p.stdout, r"128000|128,000|128 000|128[kK]", "show: context length")
    tap.ok(re.search(r"default", p.stdout, re.I), "show: the default is marked", p.stdout)

    p = d.ctl("status")
    tap.eq(p.returncode, 0, "status exits 0", p.stderr)
    tap.ok(GPT in p.stdout and re.search(r"\b%d\b" % len(ALL), p.stdout), "status: default and model count",
        p.stdout)
    p = d.ctl("whoami")
    tap.eq(p.returncode, 0, "whoami exits 0")
    tap.ok("admin" in p.stdout and "root" in p.stdout, "whoami: root, admin", p.stdout)
    p = d.ctl("ping")
    tap.eq(p.returncode, 0, "ping exits 0")
    p = d.ctl("default")
    tap.eq(p.returncode, 0, "default without a model exits 0")
    tap.ok(GPT in p.stdout, "default without a model shows the default", p.stdout)


def check_model_json(tap, m, what):
    for k, t in (("id", str), ("name", str), ("provider", str), ("status", str), ("default", bool),
            ("features", list), ("aliases", list), ("description", str)):
        tap.ok(isinstance(m.get(k), t), "%s: %s is %s" % (what, k, t.__name__), m.get(k))
    tap.ok(m.get("status") in ("active", "inactive"), "%s: status value" % what, m.get("status"))
    tap.ok(m.get("context_length") is None or type(m.get("context_length")) is int,
        "%s: context_length int or null" % what, m.get("context_length"))
    for k in ("prompt_price", "completion_price"):
        v = m.get(k, "missing")
        tap.ok(v is None or (type(v) in (int, float)), "%s: %s number or null" % (what, k), v)
    tap.ok(all(f in ("streaming", "vision", "reasoning", "tools") for f in m.get("features") or []),
        "%s: features known" % what, m.get("features"))
    tap.ok(all(isinstance(a, str) for a in m.get("aliases") or []), "%s: aliases strings" % what)
    times = {k: v for k, v in m.items() if k.endswith("_at") and v is not None}
    tap.ok(all(isinstance(v, str) and re.match(RFC3339, v) for v in times.values()),
        "%s: times are RFC 3339 Z" % what, times)


def test_json(tap, d):
    lst = d.ctl_json("list")
    tap.ok(isinstance(lst, list) and len(lst) == len(ALL), "list --json: an array of every model")
    for m in lst:
        check_model_json(tap, m, "list --json %s" % m.get("id"))
    by = {m["id"]: m for m in lst}
    tap.eq([i for i, m in by.items() if m["default"] is True], [GPT], "list --json: default is true for one")
    tap.eq(by[AUTO]["prompt_price"], None, "list --json: unknown price is null")
    tap.eq(by[GPT]["prompt_price"], 2.5, "list --json: price per 1M tokens is a number")
    tap.eq(by[GPT]["completion_price"], 10, "list --json: completion price")
    tap.eq(by[GPT]["context_length"], 128000, "list --json: context_length number")
    tap.ok("vision" in by[GPT]["features"] and "tools" in by[GPT]["features"],
        "list --json: features array", by[GPT]["features"])
    tap.ok("reasoning" in by[R1]["features"], "list --json: reasoning badge", by[R1]["features"])
    tap.eq(by[GPT]["aliases"], [], "list --json: empty aliases array")

    m = d.ctl_json("show", GPT)
    tap.ok(isinstance(m, dict), "show --json: an object")
    check_model_json(tap, m, "show --json")
    # Issue 10: SHOW alone carries the month's usage; LIST gives them as null.
    tap.eq({k: v for k, v in m.items() if not k.startswith("usage_")},
        {k: v for k, v in by[GPT].items() if not k.startswith("usage_")},
        "show --json equals the list --json element, but for show's usage_*")
    tap.eq((m.get("usage_requests"), by[GPT].get("usage_requests")), (0, None),
        "show --json: usage_requests 0; list --json: null")

    s = d.ctl_json("status")
    tap.ok(isinstance(s, dict), "status --json: an object", s)
    tap.ok(isinstance(s.get("version"), str) and s.get("version"), "status --json: version string", s)
    tap.eq(s.get("models"), len(ALL), "status --json: models number")
    tap.eq(s.get("active"), 3, "status --json: active number")
    tap.eq(s.get("default"), GPT, "status --json: default id")
    tap.like(s.get("seeded_at"), RFC3339, "status --json: seeded_at RFC 3339")
    seed = s.get("seed")
    tap.ok(isinstance(seed, dict), "status --json: seed object", seed)
    seed = seed if isinstance(seed, dict) else {}
    tap.like(seed.get("last_ok"), RFC3339, "status --json: seed.last_ok")
    tap.ok("last_error" in seed and seed["last_error"] in (None, ""), "status --json: seed.last_error empty",
        seed)

    ws = d.ctl_json("whoami")
    tap.ok(isinstance(ws, dict) and ws.get("role") == "admin", "whoami --json: role admin", ws)


def test_exit_codes(tap, d):
    p = d.ctl("activate", GPT)
    tap.eq(p.returncode, 1, "conflict (ERR) -> exit 1")
    tap.like(p.stderr + p.stdout, r"already active", "conflict message shown")
    p = d.ctl("show", "nosuch/model")
    tap.eq(p.returncode, 1, "notfound -> exit 1")
    tap.like(p.stderr + p.stdout, r"nosuch/model", "notfound names the model")

    p = d.ctl("list", "--sort", "bogus")
    tap.ok(p.returncode in (1, 2), "list --sort bogus -> exit 1 or 2", p.returncode)
    tap.like(p.stderr, r"(?i)sort|bogus", "list --sort bogus: message on stderr")
    p = d.ctl("frobnicate")
    tap.eq(p.returncode, 2, "unknown command -> exit 2")
    tap.ok(p.stderr.strip() != "", "unknown command: message on stderr")
    p = d.ctl()
    tap.eq(p.returncode, 2, "no command -> exit 2")
    p = d.ctl("show")
    tap.eq(p.returncode, 2, "show without a model -> exit 2")
    p = d.ctl("list", "--bogus-option")
    tap.eq(p.returncode, 2, "unknown option -> exit 2")
    p = d.ctl("activate")
    tap.eq(p.returncode, 2, "activate without a model -> exit 2")

    p = d.ctl("-s", os.path.join(d.dir, "no-such.sock"), "ping", socket=False)
    tap.eq(p.returncode, 3, "a socket path that does not exist -> exit 3")
    tap.ok(p.stderr.strip() != "", "unreachable: message on stderr")
    p = d.ctl("-s", "/nonexistent/dir/x.sock", "status", socket=False)
    tap.eq(p.returncode, 3, "a socket in a missing folder -> exit 3")
    # A socket node that nobody listens on.
    import socket as so
    dead = os.path.join(d.dir, "dead.sock")
    s = so.socket(so.AF_UNIX, so.SOCK_STREAM)
    s.bind(dead)
    s.close()
    p = d.ctl("-s", dead, "ping", socket=False)
    tap.eq(p.returncode, 3, "a socket nobody listens on -> exit 3")


def test_socket_choice(tap, d):
    p = d.ctl("ping", socket=False, env={"MODELREG_SOCKET": d.sock})
    tap.eq(p.returncode, 0, "$MODELREG_SOCKET is used without -s", p.stderr)
    p = d.ctl("-s", d.sock, "ping", socket=False, env={"MODELREG_SOCKET": "/nonexistent/x.sock"})
    tap.eq(p.returncode, 0, "-s wins over $MODELREG_SOCKET", p.stderr)
    p = d.ctl("ping", socket=False, env={"MODELREG_SOCKET": "/nonexistent/x.sock"})
    tap.eq(p.returncode, 3, "a bad $MODELREG_SOCKET -> exit 3")
    p = d.ctl("--json", "-s", d.sock, "status", socket=False)
    tap.eq(p.returncode, 0, "options in another order", p.stderr)


def test_several(tap, d):
    p = d.ctl("activate", LLAMA, "nosuch/model")
    tap.eq(p.returncode, 1, "activate ok + notfound -> exit 1")
    out = p.stdout + p.stderr
    lines = out.splitlines()
    tap.ok(any(LLAMA in x and "nosuch/model" not in x for x in lines)
        and any("nosuch/model" in x and LLAMA not in x for x in lines),
        "both outcomes reported, one line each", out)
    tap.ok(re.search(r"nosuch/model.*(no such|not found|notfound)", p.stderr, re.I),
        "the failure goes to stderr with its reason", p.stderr)
    tap.eq(status_of(d, LLAMA), "active", "the good model was activated")
    p = d.ctl("activate", LLAMA, GEMINI, R1)
    tap.eq(p.returncode, 1, "activate active + inactive + inactive -> exit 1")
    out = p.stdout + p.stderr
    tap.ok(all(m in out for m in (LLAMA, GEMINI, R1)), "each model's outcome reported", out)
    tap.ok(re.search(r"already active", out), "the conflict is reported", out)
    tap.eq((status_of(d, GEMINI), status_of(d, R1)), ("active", "active"), "the others were activated")
    p = d.ctl("deactivate", GEMINI, R1, yes=True)
    tap.eq(p.returncode, 0, "deactivate two models -> exit 0", p.stderr)
    tap.eq((status_of(d, GEMINI), status_of(d, R1)), ("inactive", "inactive"), "both deactivated")

    res = d.ctl_json("activate", GEMINI, "nosuch/x", check=1)
    tap.ok(isinstance(res, (list, dict)), "activate --json: JSON outcomes", res)
    items = res if isinstance(res, list) else res.get("results", res.get("outcomes", []))
    tap.eq(len(items), 2, "activate --json: one outcome per model", res)
    tap.ok("notfound" in json.dumps(res), "activate --json: the notfound outcome is there", res)
    tap.eq(status_of(d, GEMINI), "active", "activate --json did activate")


def test_no_tty(tap, d):
    tap.eq(status_of(d, GEMINI), "active", "precondition: gemini active")
    p = d.ctl("deactivate", GEMINI)   # stdin is /dev/null: not a terminal
    tap.eq(p.returncode, 0, "deactivate without a terminal proceeds", p.stderr)
    tap.eq(status_of(d, GEMINI), "inactive", "... and deactivates")
    p = d.ctl("delete", GEMINI)
    tap.eq(p.returncode, 0, "delete without a terminal proceeds", p.stderr)
    st, _ = d.request("SHOW %s" % GEMINI)
    tap.err(st, "notfound", "... and deletes")
    p = d.ctl("delete", MSMALL, yes=True)
    tap.eq(p.returncode, 0, "delete --yes", p.stderr)
    st, _ = d.request("SHOW %s" % MSMALL)
    tap.err(st, "notfound", "delete --yes deleted")
    p = d.ctl("seed")
    tap.eq(p.returncode, 0, "seed exits 0", p.stderr)
    tap.like(p.stdout, r"(?i)added\W*2\b", "seed reports what it added (2)")
    tap.eq((status_of(d, GEMINI), status_of(d, MSMALL)), ("inactive", "inactive"), "seed brought them back")
    p = d.ctl("reload")
    tap.eq(p.returncode, 0, "reload exits 0", p.stderr)


def run_in_pty(d, args, answer, timeout=10):
    """Run modelregctl in a pty; answer the prompt. Returns (exit code, output, prompted)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "MODELREG_SOCKET"}
    p = subprocess.Popen([MODELREGCTL, "-s", d.sock] + args, stdin=slave, stdout=slave, stderr=slave,
        env=env, start_new_session=True, close_fds=True)
    os.close(slave)
    out = b""
    prompted = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.1)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:     # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                out += chunk
                if not prompted and re.search(rb"\?|\[y/N\]|\(y/n\)", out, re.I):
                    prompted = True
                    os.write(master, answer)
            elif p.poll() is not None:
                break
        try:
            rc = p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait(5)
    finally:
        os.close(master)
    return rc, out.decode("utf-8", "replace"), prompted


def test_pty(tap, d):
    tap.eq(status_of(d, CLAUDE), "active", "precondition: claude active")
    rc, out, prompted = run_in_pty(d, ["deactivate", CLAUDE], b"n\n")
    tap.ok(prompted, "deactivate on a terminal asks for confirmation", out)
    tap.ok(CLAUDE in out, "the prompt names the model", out)
    tap.eq(status_of(d, CLAUDE), "active", "answer n: nothing changed")
    tap.diag("answer n: exit code %s" % rc)
    rc, out, prompted = run_in_pty(d, ["deactivate", CLAUDE], b"y\n")
    tap.ok(prompted, "asked again", out)
    tap.eq(rc, 0, "answer y: exit 0", out)
    tap.eq(status_of(d, CLAUDE), "inactive", "answer y: deactivated")
    rc, out, prompted = run_in_pty(d, ["delete", CLAUDE], b"n\n")
    tap.ok(prompted, "delete on a terminal asks for confirmation", out)
    st, _ = d.request("SHOW %s" % CLAUDE)
    tap.eq(st, "OK 1", "delete answered n: still there")
    rc, out, prompted = run_in_pty(d, ["--yes", "delete", CLAUDE], b"n\n")
    tap.ok(not prompted, "--yes: no question on a terminal", out)
    tap.eq(rc, 0, "--yes delete on a terminal: exit 0", out)
    st, _ = d.request("SHOW %s" % CLAUDE)
    tap.err(st, "notfound", "--yes delete on a terminal: deleted")
    rc, out, prompted = run_in_pty(d, ["activate", LLAMA], b"n\n")
    tap.ok(not prompted, "activate does not ask", out)


def main(tap):
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), seed_format="openrouter",
        always_active=[GPT, CLAUDE, MLARGE], default_model=GPT, new_model_status="inactive")
    d.wait_seeded()
    test_human(tap, d)
    test_json(tap, d)
    test_exit_codes(tap, d)
    test_socket_choice(tap, d)
    test_several(tap, d)
    test_no_tty(tap, d)
    test_pty(tap, d)
    tap.eq(d.stop(), 0, "daemon stops cleanly")


harness.main(main)
