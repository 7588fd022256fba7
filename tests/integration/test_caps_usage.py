# test_caps_usage.py: spending caps charged by USAGE (issue 10 item 2 with item 1): a model's cap warns once, then trips at 100% and deactivates the model (status source auto, reason cap) after moving the default; RESOLVE falls back; a key's cap makes RESOLVE and USAGE answer ERR limit and a refused report stores nothing; at the next window the model that its cap deactivated comes back, the key's limit lifts, and cap.reset is raised.
import sqlite3

import harness
import httpd

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


def run(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    d = harness.Daemon(extra="[catalog]\nurl = %s\nformat = openrouter\n"
        "interval = 1h\n" % srv.url(PATH))
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
    log = d.log_text()
    tap.ok(secret not in log, "the secret never reaches the log")
    d.stop()
    srv.stop()


if __name__ == "__main__":
    harness.main(run)
