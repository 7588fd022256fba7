# test_caps_usage.py: spending caps charged by USAGE (issue 10 item 2 with item 1), and their /metrics families (item 4): a model's cap warns once, then trips at 100% and deactivates the model (status source auto, reason cap) after moving the default; RESOLVE falls back; a key's cap makes RESOLVE and USAGE answer ERR limit and a refused report stores nothing; at the next window the model that its cap deactivated comes back, the key's limit lifts, and cap.reset is raised; and 8 service peers pipelining reports for one key at once overshoot its cap by at most one report, each OK charged once.
import json
import os
import sqlite3
import subprocess
import sys

import harness
import httpd
import test_metrics  # its parser and scrape, for the usage and cap families

PATH = "/api/v1/models"
BASE = harness.data_path("cat-base.json")
GPT = "openai/gpt-4o"                   # 2.5 and 10 USD per 1M tokens
CLAUDE = "anthropic/claude-3.5-sonnet"  # 3 and 15
# 1000 prompt + 500 completion tokens: GPT 0.0075 USD, CLAUDE 0.0105 USD.
TOKENS = "prompt_tokens=1000 completion_tokens=500"
WINDOW = 6  # seconds: long enough to check a trip under load, short enough to wait for


def events(d, kind, model=None):
    line = "EVENTS kind=%s" % kind + (" model=%s" % model if model else "")
    st, recs = d.request(line)
    if st[:2] != "OK":
        raise harness.HarnessError("%s: %r" % (line, st))
    return recs


def reports(d):
    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=10)
    try:
        return c.execute("SELECT count(*) FROM usage").fetchone()[0]
    finally:
        c.close()


def show(d, m):
    st, recs = d.request("SHOW " + m)
    if st != "OK 1":
        raise harness.HarnessError("SHOW %s: %r" % (m, st))
    return recs[0]


# One client of test_concurrent, run as another uid: it connects, says its
# role, waits for "go" on stdin, then pipelines its reports and reads every
# reply. Its output: the role line, then the replies as JSON.
CLIENT = r"""
import json, os, socket, sys
sock, model, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
f = s.makefile("rb")
def reply():
    st = f.readline().decode().rstrip("\n")
    k = int(st[3:]) if st.startswith("OK ") else 0
    return [st] + [f.readline().decode().rstrip("\n") for _ in range(k)]
s.sendall(b"WHOAMI\n")
print(json.dumps(reply()), flush=True)
sys.stdin.readline()
line = "USAGE %s prompt_tokens=1000 completion_tokens=500 key=%s\n" % (model, os.environ["KEY"])
s.sendall(line.encode() * n)
print(json.dumps([reply() for _ in range(n)]), flush=True)
"""


def test_concurrent(tap):
    """8 service peers (another uid) pipeline reports for one key at once: the
    key's cap is overshot by at most one report, each OK is charged once, and
    the rest are ERR limit."""
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    d = harness.Daemon(extra="[catalog]\nurl = %s\nformat = openrouter\ninterval = 1h\n"
        % srv.url(PATH), socket_mode="0666", access={"admin": ["root"], "service": ["*"]})
    harness.wait_for(lambda: len(d.request("CATALOG")[1]) == 10, 10, "the catalog to load")
    st, _ = d.request("SYNC " + GPT)
    tap.eq(st, "OK 1", "SYNC " + GPT)
    secret = d.ctl("key", "create", "burst", "--models", GPT, check=0).stdout.strip()
    cap, cost, conns, n = 0.1, 0.0075, 8, 25   # a report: 1000 x 2.5 + 500 x 10 per 1M
    p = d.ctl("cap", "set", "--key", "burst", str(cap), "--period", "1h")
    tap.eq(p.returncode, 0, "cap set --key burst %s --period 1h (%s)" % (cap, p.stderr.strip()))
    env = {k: v for k, v in os.environ.items() if k != "MODELREG_SOCKET"}
    env["KEY"] = secret
    procs = [subprocess.Popen(["setpriv", "--reuid", "54321", "--regid", "54321",
        "--clear-groups", sys.executable, "-c", CLIENT, d.sock, GPT, str(n)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(conns)]
    roles = [json.loads(q.stdout.readline() or "[]") for q in procs]
    tap.ok(all(len(r) == 2 and harness.parse_logfmt(r[1]).get("role") == "service"
        for r in roles), "the %d clients are connected as service peers" % conns, roles)
    for q in procs:
        q.stdin.write("go\n")
        q.stdin.flush()
    replies = []
    for q in procs:
        out, _ = q.communicate(timeout=60)
        replies += json.loads(out or "[]")
    oks = [harness.parse_logfmt(r[1]) for r in replies if r[0] == "OK 1" and len(r) == 2]
    others = [r[0] for r in replies if r[0] != "OK 1"]
    tap.eq(len(replies), conns * n, "every one of the %d reports was answered" % (conns * n))
    tap.ok(all(st.startswith("ERR limit ") for st in others),
        "every report not charged is ERR limit", sorted(set(others))[:5])
    tap.ok(all(r.get("cost_usd") == "0.0075" and r.get("key_name") == "burst" for r in oks),
        "each OK reply charged one report's cost to the key", oks[:3])
    tap.eq(len(set(r.get("id") for r in oks)), len(oks), "each OK is a report of its own")
    st, recs = d.request("CAP SHOW key=burst")
    spent = float(recs[0]["spent"]) if recs else -1
    tap.ok(cap <= spent <= cap + cost + 1e-9,
        "the key's cap is reached and overshot by at most one report", spent)
    tap.ok(abs(spent - len(oks) * cost) < 1e-9,
        "spent = the OK replies (%d) x the report's cost" % len(oks), spent)
    tap.eq(len(oks), 14, "the reports are charged until spent reaches the cap: 14 of 0.0075 for 0.1")
    st0, _ = d.status()
    tap.diag("usage_reports=%s usage_refused=%s usage_groups=%s" % (st0.get("usage_reports"),
        st0.get("usage_refused"), st0.get("usage_groups")))
    c = sqlite3.connect("file:%s?mode=ro" % d.db, uri=True, timeout=10)
    try:
        rows = c.execute("SELECT count(*), count(DISTINCT id), sum(cost) FROM usage").fetchone()
        daily = c.execute("SELECT sum(requests) FROM usage_daily").fetchone()[0]
    finally:
        c.close()
    tap.eq((rows[0], rows[1]), (len(oks), len(oks)), "one stored report per OK, none twice")
    tap.ok(abs((rows[2] or 0) - spent) < 1e-9, "the stored costs sum to what the cap counts",
        (rows[2], spent))
    tap.eq(daily, len(oks), "the rollup counts each charged report once")
    d.stop()
    srv.stop()


def run(tap):
    if os.geteuid() == 0:
        test_concurrent(tap)
    else:
        tap.skip("a key's cap under 8 concurrent service peers", "needs root (setpriv)")
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    port = test_metrics.free_port()
    d = harness.Daemon(extra="[catalog]\nurl = %s\nformat = openrouter\n"
        "interval = 1h\n[metrics]\nlisten = 127.0.0.1:%d\n" % (srv.url(PATH), port))
    harness.wait_for(lambda: len(d.request("CATALOG")[1]) == 10, 10,
        "the catalog to load")
    for line in ("SYNC " + GPT, "SYNC " + CLAUDE, "ACTIVATE " + GPT,
            "ACTIVATE " + CLAUDE, "DEFAULT " + GPT):
        st, _ = d.request(line)
        tap.eq(st[:2], "OK", line)
    p = d.ctl("key", "create", "app", "--all")
    tap.eq(p.returncode, 0, "key create app --all")
    secret = p.stdout.strip()

    # A model's cap: 0.01 USD a 6 s window, warning at 50%.
    p = d.ctl("cap", "set", GPT, "0.01", "--period", "%ds" % WINDOW, "--warn", "50")
    tap.eq(p.returncode, 0, "cap set %s 0.01 --period %ds --warn 50 (%s)"
        % (GPT, WINDOW, p.stderr.strip()))
    st, _ = d.request("USAGE %s %s key=%s" % (GPT, TOKENS, secret))
    tap.eq(st, "OK 1", "the first report (75% of the cap) is charged")
    tap.eq(len(events(d, "cap.warning", GPT)), 1, "cap.warning at 75%")
    tap.eq(len(events(d, "cap.exceeded", GPT)), 0, "not exceeded yet")
    tap.eq(show(d, GPT).get("status"), "active", "the model is still active")
    st, _ = d.request("USAGE %s %s key=%s" % (GPT, TOKENS, secret))
    tap.eq(st, "OK 1", "the report that crosses 100% is charged (it was used)")
    tap.eq(len(events(d, "cap.warning", GPT)), 1, "the warning is raised once a period")
    tap.eq(len(events(d, "cap.exceeded", GPT)), 1, "cap.exceeded at 150%")
    m = show(d, GPT)
    tap.eq((m.get("status"), m.get("status_source"), m.get("status_reason")),
        ("inactive", "auto", "cap"), "the cap deactivated the model: source auto, reason cap")
    tap.eq(m.get("default"), "false", "it is no longer the default")
    tap.eq(show(d, CLAUDE).get("default"), "true", "the default moved to the other active model")
    tap.ok(len(events(d, "default.changed")) >= 1, "default.changed raised")
    st, recs = d.request("RESOLVE %s key=%s" % (GPT, secret))
    tap.eq((st, recs[0].get("reason") if recs else None, recs[0].get("id") if recs else None),
        ("OK 1", "fallback", CLAUDE), "RESOLVE of the capped model falls back to the default")

    # A key's cap: 0.005 USD a window; one CLAUDE report (0.0105) crosses it.
    p = d.ctl("cap", "set", "--key", "app", "0.005", "--period", "%ds" % WINDOW)
    tap.eq(p.returncode, 0, "cap set --key app 0.005 (%s)" % p.stderr.strip())
    st, _ = d.request("USAGE %s %s key=%s" % (CLAUDE, TOKENS, secret))
    tap.eq(st, "OK 1", "the report that crosses the key's cap is charged")
    before = reports(d)
    st, _ = d.request("USAGE %s %s key=%s" % (CLAUDE, TOKENS, secret))
    tap.err(st, "limit", "the next USAGE with the key: ERR limit")
    tap.eq(reports(d), before, "the refused report stored nothing")
    tap.ok(secret not in st, "the refusal does not echo the secret")
    st, _ = d.request("RESOLVE %s key=%s" % (CLAUDE, secret))
    tap.err(st, "limit", "RESOLVE with the key: ERR limit")
    st, _ = d.request("RESOLVE " + CLAUDE)
    tap.eq(st, "OK 1", "RESOLVE without the key is not limited")
    tap.eq(len(events(d, "cap.exceeded")), 2, "cap.exceeded for the key too")

    # The next window: the model comes back, the limit lifts.
    harness.wait_for(lambda: show(d, GPT).get("status") == "active", 5 * WINDOW,
        "the model its cap deactivated to come back")
    m = show(d, GPT)
    tap.eq((m.get("status"), m.get("status_reason")), ("active", None),
        "at the next window the model is active again, the cap's reason gone")
    tap.ok(len(events(d, "cap.reset", GPT)) >= 1, "cap.reset raised for the model")
    harness.wait_for(lambda: d.request("RESOLVE %s key=%s" % (CLAUDE, secret))[0] == "OK 1",
        5 * WINDOW, "the key's limit to lift")
    st, _ = d.request("USAGE %s %s key=%s" % (CLAUDE, TOKENS, secret))
    tap.eq(st, "OK 1", "USAGE with the key is charged again in the new window")

    # /metrics: usage over all time of the active models, and what each cap has left.
    types, samples = test_metrics.scrape(port)
    v = lambda family, **l: test_metrics.value(samples, family, **l)
    tap.eq((types.get("modelreg_usage_tokens_total"), types.get("modelreg_cap_remaining_usd")),
        ("counter", "gauge"), "the usage and cap families are declared")
    tap.eq((v("modelreg_usage_tokens_total", model=CLAUDE, type="prompt"),
        v("modelreg_usage_tokens_total", model=CLAUDE, type="completion")), (2000.0, 1000.0),
        "tokens of the two charged CLAUDE reports (the refused one not counted)")
    tap.ok(abs((v("modelreg_usage_cost_usd_total", model=GPT) or 0) - 0.015) < 1e-9,
        "GPT's cost: two reports of 0.0075 USD")
    tap.ok(abs((v("modelreg_usage_cost_usd_total", model=CLAUDE) or 0) - 0.021) < 1e-9,
        "CLAUDE's cost: two reports of 0.0105 USD")
    tap.ok(abs((v("modelreg_cap_remaining_usd", target="model", name=GPT) or -1) - 0.01) < 1e-9,
        "the model's cap has its whole amount left in the new window")
    tap.eq(v("modelreg_cap_remaining_usd", target="key", name="app"), 0.0,
        "the key's cap is spent again in the new window: 0 left")
    body = test_metrics.get(port)[2]
    tap.ok(secret not in body, "no secret in the scrape")
    log = d.log_text()
    tap.ok(secret not in log, "the secret never reaches the log")
    d.stop()
    srv.stop()


if __name__ == "__main__":
    harness.main(run)
