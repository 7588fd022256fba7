# test_caps.py: spending caps (issue 10 item 2) through the real daemon and modelregctl: cap set, list, show and remove for models and keys, the cap fields of show and key show, validation, roles, RESOLVE's ERR limit for a key whose cap is spent, and the reset at start of periods that ended while the daemon was down (a model its cap deactivated comes back, one a person deactivated does not). The spend is written into the database while the daemon is stopped here; test_caps_usage.py charges caps with USAGE.
import calendar
import os
import sqlite3
import time

import harness

MISTRAL = harness.data_path("catalog-mistral.json")
LARGE = "mistral-large-2411"
PIXTRAL = "pixtral-large-2411"


def cap_show(d, *target):
    return d.ctl_json("cap", "show", *target)


def next_midnight(now):
    return (int(now) // 86400 + 1) * 86400


def test_caps(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest", "pixtral-large-2411"],
        default_model="mistral-large-latest", wait_seed=True)

    # cap set on a model, by alias; show gives what is left and when the period ends
    p = d.ctl("cap", "set", "mistral-large-latest", "50", "--period", "day")
    tap.eq(p.returncode, 0, "cap set MODEL 50 --period day (%s)" % p.stderr.strip())
    c = cap_show(d, LARGE)
    tap.eq((c.get("target"), c.get("model"), c.get("amount"), c.get("period"), c.get("warn")),
        ("model", LARGE, 50, "day", 80), "cap show: the alias stored as the id, 50 USD a day, warn 80")
    tap.eq((c.get("spent"), c.get("remaining"), c.get("exceeded")), (0, 50, False),
        "cap show: nothing spent, 50 remaining")
    end = next_midnight(time.time())
    tap.eq(c.get("period_end"), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(end)),
        "a day ends at the next midnight UTC")

    # a key's cap, with a window and a warning share
    p = d.ctl("key", "create", "app1", "--all")
    tap.eq(p.returncode, 0, "key create app1")
    secret = p.stdout.strip()
    p = d.ctl("cap", "set", "--key", "app1", "5", "--period", "10m", "--warn", "50")
    tap.eq(p.returncode, 0, "cap set --key app1 5 --period 10m --warn 50 (%s)" % p.stderr.strip())
    c = cap_show(d, "--key", "app1")
    tap.eq((c.get("target"), c.get("key"), c.get("model"), c.get("period"), c.get("warn")),
        ("key", "app1", None, "10m", 50), "cap show --key: the key's cap, a 10m window")

    # cap list: models first, then keys
    j = d.ctl_json("cap", "list")
    tap.eq([(r.get("target"), r.get("model") or r.get("key")) for r in j],
        [("model", LARGE), ("key", "app1")], "cap list --json: both caps, models first")
    p = d.ctl("cap", "list")
    tap.like(p.stdout, r"TARGET\s+AMOUNT\s+PERIOD\s+SPENT\s+REMAINING", "cap list: a table")
    tap.like(p.stdout, r"key:app1\s+5\s+10m", "cap list: the key's row")
    tap.like(p.stdout, LARGE + r"\s+50\s+day\s+0\s+50", "cap list: the model's row with what remains")

    # show MODEL and key show carry the cap
    st, recs = d.request("SHOW " + LARGE)
    tap.eq((st, recs[0].get("cap"), recs[0].get("cap_remaining"), recs[0].get("cap_period")),
        ("OK 1", "50", "50", "day"), "SHOW carries the cap and what remains")
    j = d.ctl_json("show", LARGE)
    tap.eq((j.get("cap"), j.get("cap_period"), j.get("cap_remaining")), (50, "day", 50),
        "show --json: the cap as numbers")
    st, recs = d.request("LIST")
    tap.eq([r.get("cap") for r in recs if r.get("id") == LARGE], ["50"],
        "LIST's record carries the cap as SHOW's does")
    st, recs = d.request("SHOW " + PIXTRAL)
    tap.eq((recs[0].get("cap"), recs[0].get("cap_remaining")), (None, None),
        "SHOW of a model without a cap: cap=null")
    st, recs = d.request("KEY SHOW app1")
    tap.eq((recs[0].get("cap"), recs[0].get("cap_spent"), recs[0].get("cap_remaining")),
        ("5", "0", "5"), "KEY SHOW carries the key's cap")

    # validation: nothing changes
    for args, why in (
            (("cap", "set", PIXTRAL, "0", "--period", "day"), "amount 0"),
            (("cap", "set", PIXTRAL, "abc", "--period", "day"), "amount abc"),
            (("cap", "set", PIXTRAL, "1e3", "--period", "day"), "an exponent"),
            (("cap", "set", PIXTRAL, "inf", "--period", "day"), "amount inf"),
            (("cap", "set", PIXTRAL, "2000000000", "--period", "day"), "over 10^9 USD"),
            (("cap", "set", PIXTRAL, "5", "--period", "year"), "period year"),
            (("cap", "set", PIXTRAL, "5", "--period", "0s"), "period 0s"),
            (("cap", "set", PIXTRAL, "5", "--period", "400d"), "period 400d"),
            (("cap", "set", PIXTRAL, "5", "--period", "day", "--warn", "100"), "warn 100"),
            (("cap", "set", PIXTRAL, "5", "--period", "day", "--warn", "-1"), "warn -1"),
            (("cap", "set", PIXTRAL, "5", "--period", "day", "--warn", "x"), "warn x")):
        p = d.ctl(*args)
        tap.eq(p.returncode, 1, "%s: refused by the daemon (exit 1, %s)" % (why, p.stderr.strip()))
        tap.like(p.stderr, r"bad (amount|period|warn)", "%s: says what is bad" % why)
    p = d.ctl("cap", "set", PIXTRAL, "-5", "--period", "day")
    tap.eq(p.returncode, 2, "a negative amount is an unknown option to modelregctl (exit 2)")
    st, _ = d.request("CAP SET %s -5 period=day" % PIXTRAL)
    tap.like(st, r'^ERR usage bad amount "-5"', "and CAP SET with -5: ERR usage bad amount")
    p = d.ctl("cap", "set", "no-such-model", "5", "--period", "day")
    tap.eq(p.returncode, 1, "cap set on an unknown model: exit 1")
    tap.like(p.stderr, r"no such model: no-such-model", "and names it")
    p = d.ctl("cap", "set", "--key", "nokey", "5", "--period", "day")
    tap.eq(p.returncode, 1, "cap set on an unknown key: exit 1")
    tap.like(p.stderr, r"no such key: nokey", "and names it")
    p = d.ctl("cap", "set", PIXTRAL, "5")
    tap.eq(p.returncode, 2, "cap set without --period: a usage error (exit 2)")
    p = d.ctl("cap", "remove", PIXTRAL, "--period", "day")
    tap.eq(p.returncode, 2, "cap remove takes no --period (exit 2)")
    st, _ = d.request("CAP SET %s 5 period=day key=app1" % PIXTRAL)
    tap.like(st, r"^ERR usage ", "CAP SET with a model and key=: ERR usage")
    st, _ = d.request("CAP FROB")
    tap.like(st, r"^ERR usage bad subverb", "CAP FROB: ERR usage")
    st, _ = d.request("CAP SET %s 5 period=day frob=1" % PIXTRAL)
    tap.like(st, r'^ERR usage CAP takes no option "frob"', "an unknown option: ERR usage")
    st, _ = d.request("CAP SET %s 5 period=day key=" % PIXTRAL + "x" * 300)
    tap.like(st, r"^ERR ", "a key name of 300 bytes is refused")
    tap.eq(len(d.ctl_json("cap", "list")), 2, "after all that, still two caps")

    # cap set again keeps the period's spend; remove
    p = d.ctl("cap", "set", LARGE, "80", "--period", "day", "--warn", "0")
    tap.eq(p.returncode, 0, "cap set again: a new amount")
    c = cap_show(d, LARGE)
    tap.eq((c.get("amount"), c.get("warn")), (80, 0), "the cap changed in place")
    p = d.ctl("cap", "remove", LARGE)
    tap.eq(p.returncode, 0, "cap remove MODEL")
    tap.like(p.stdout, r"the cap of model %s was removed" % LARGE, "cap remove says so")
    p = d.ctl("cap", "remove", LARGE)
    tap.eq(p.returncode, 1, "a second remove: exit 1")
    tap.like(p.stderr, r"has no cap", "and says there is none")
    st, _ = d.request("AUDIT model=%s" % LARGE)
    st, recs = d.request("AUDIT")
    tap.ok(any(r.get("action") == "cap.set" for r in recs) and
        any(r.get("action") == "cap.removed" for r in recs), "cap set and remove are audited")
    st, recs = d.request("EVENTS kind=cap.set")
    tap.eq(st, "OK 3", "cap.set raised for each set")

    # the reset at start, for periods that ended while the daemon was down
    p = d.ctl("cap", "set", PIXTRAL, "10", "--period", "day")
    tap.eq(p.returncode, 0, "cap pixtral")
    p = d.ctl("cap", "set", "magistral-medium-latest", "10", "--period", "day")
    tap.eq(p.returncode, 0, "cap magistral")
    d.stop()
    past_end = int(time.time()) - 60
    db = sqlite3.connect(d.db)
    with db:
        # pixtral: tripped by its cap in a period that has ended
        db.execute("UPDATE caps SET spent = 12.5, warned = 1, exceeded = 1, tripped = 1,"
            " period_start = ?, period_end = ? WHERE model = ?",
            (past_end - 86400, past_end, PIXTRAL))
        db.execute("UPDATE models SET status = 'inactive', status_source = 'auto',"
            " status_reason = 'cap' WHERE id = ?", (PIXTRAL,))
        # magistral: tripped, then a person deactivated it (the reason cleared)
        db.execute("UPDATE caps SET spent = 11, warned = 1, exceeded = 1, tripped = 1,"
            " period_start = ?, period_end = ? WHERE model = 'magistral-medium-2506'",
            (past_end - 86400, past_end))
        db.execute("UPDATE models SET status = 'inactive', status_source = 'manual',"
            " status_reason = NULL WHERE id = 'magistral-medium-2506'")
        # app1: spent in the current window: RESOLVE answers ERR limit
        until = int(time.time()) + 3600
        db.execute("UPDATE caps SET spent = 5.5, warned = 1, exceeded = 1,"
            " period_end = ? WHERE key_id = (SELECT id FROM api_keys WHERE name = 'app1')",
            (until,))
        db.execute("UPDATE api_keys SET limited_until = ? WHERE name = 'app1'", (until,))
    db.close()
    d.start()

    def active(mid):
        st, recs = d.request("SHOW " + mid)
        return st == "OK 1" and recs[0].get("status") == "active"
    harness.wait_for(lambda: active(PIXTRAL), what="pixtral reactivated at start")
    tap.ok(active(PIXTRAL), "at start, a model its cap deactivated is reactivated")
    st, recs = d.request("SHOW " + PIXTRAL)
    tap.eq((recs[0].get("status_source"), recs[0].get("cap_spent")), ("auto", "0"),
        "status source auto, nothing spent in the new period")
    tap.ok(not active("magistral-medium-2506"), "a model a person deactivated stays inactive")
    st, recs = d.request("EVENTS kind=cap.reset")
    tap.eq(st, "OK 2", "cap.reset for both ended periods")
    tap.ok(any("reactivated" in r.get("message", "") and r.get("model") == PIXTRAL for r in recs),
        "cap.reset says pixtral was reactivated", recs)
    st, recs = d.request("EVENTS kind=model.activated model=%s" % PIXTRAL)
    tap.like(recs[-1].get("message", "") if recs else "", r"reactivated automatically",
        "model.activated for it")

    st, recs = d.request("RESOLVE %s key=%s" % (LARGE, secret))
    tap.like(st, r"^ERR limit key app1 has spent its cap for this period; refused until ",
        "RESOLVE for a key whose cap is spent: ERR limit")
    tap.ok(secret not in st, "the reply never carries the secret")
    st, _ = d.request("CAP SHOW key=" + secret)
    tap.eq(st, "ERR usage key= takes the key's name, not its secret",
        "CAP with a secret for key=: refused without echoing it")
    st, recs = d.request("RESOLVE %s" % LARGE)
    tap.eq(st, "OK 1", "RESOLVE without the key is not limited")
    p = d.ctl("cap", "remove", "--key", "app1")
    tap.eq(p.returncode, 0, "cap remove --key app1")
    st, recs = d.request("RESOLVE %s key=%s" % (LARGE, secret))
    tap.eq(st, "OK 1", "without its cap the key resolves again")
    tap.ok(secret not in open(d.logfile, errors="replace").read(), "the secret is not in the log")
    d.cleanup()


def test_roles(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL), socket_mode="0666",
        always_active=["mistral-large-latest"], default_model="mistral-large-latest",
        wait_seed=True)
    # without [access] another uid is a viewer
    p = d.ctl("cap", "set", "mistral-large-latest", "5", "--period", "day",
        as_user=(54321, 54321))
    tap.eq(p.returncode, 4, "a viewer cannot set a cap (exit 4)")
    tap.like(p.stderr, r"CAP needs the admin role; you are viewer", "and is told the role it needs")
    p = d.ctl("cap", "list", as_user=(54321, 54321))
    tap.eq(p.returncode, 4, "a viewer cannot list caps either")
    d.cleanup()
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest"], default_model="mistral-large-latest",
        access={"admin": ["root"], "member": ["*"]}, socket_mode="0666", wait_seed=True)
    p = d.ctl("cap", "set", "mistral-large-latest", "5", "--period", "day",
        as_user=(54321, 54321))
    tap.eq(p.returncode, 4, "a member cannot set a cap (exit 4)")
    tap.like(p.stderr, r"CAP needs the admin role; you are member", "and is told so")
    st, recs = d.request("CAP LIST")
    tap.eq((st, recs), ("OK 0", []), "nothing was set")
    d.cleanup()


def run(tap):
    test_caps(tap)
    if os.geteuid() == 0:
        test_roles(tap)
    else:
        tap.skip("cap roles", "needs root (setpriv)")


harness.main(run)
