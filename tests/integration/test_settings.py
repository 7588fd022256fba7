# test_settings.py: per-model settings (issue 9 item 5) through modelregctl and the protocol: SET and UNSET, ranges, aliases in the one namespace, what they survive, audit, events, roles, --json.
import copy
import json
import pwd

import harness
import httpd

MISTRAL = harness.data_path("it-mistral.json")
LARGE = "mistral-large-2411"        # the default; catalog alias mistral-large-latest
SMALL = "mistral-small-2503"        # the model configured here
CODE = "codestral-2501"
NOBODY = pwd.getpwnam("nobody")

with open(MISTRAL) as _f:
    BASE = json.load(_f)


def show(d, name):
    st, recs = d.request('SHOW "%s"' % name)
    return recs[0] if st == "OK 1" else st


def settings(r):
    """The settings part of a model record."""
    return {k: v for k, v in r.items()
            if k in ("label", "org_aliases", "enforced") or k.startswith("param.")}


def events(d, kind):
    st, recs = d.request("EVENTS kind=%s limit=1000" % kind)
    return recs if st.startswith("OK") else []


def seed_with(d, srv, body):
    srv.set("/v1/models", "bytes", data=json.dumps(body).encode())
    st, recs = d.request("SEED")
    return st


def test_set_each_field(tap, d):
    p = d.ctl("set", SMALL, "--label", "Fast Small", "--alias", "fast,tiny",
        "--temperature", "0.3", "--top-p", "0.9", "--max-tokens", "4096",
        "--frequency-penalty", "-1.5", "--presence-penalty", "2",
        "--enforce", "temperature,max_tokens")
    tap.eq(p.returncode, 0, "ctl set with every option exits 0", p.stderr)
    tap.like(p.stdout, r"^%s set: label, temperature, top_p, max_tokens, "
        r"frequency_penalty, presence_penalty, enforced, alias fast, alias tiny\n$" % SMALL,
        "ctl set says what changed")
    r = show(d, SMALL)
    tap.eq(settings(r), {"label": "Fast Small", "org_aliases": "fast,tiny",
        "param.temperature": "0.3", "param.top_p": "0.9", "param.max_tokens": "4096",
        "param.frequency_penalty": "-1.5", "param.presence_penalty": "2",
        "enforced": "temperature,max_tokens"}, "SHOW carries every setting")
    keys = list(r.keys())
    tap.eq(keys[keys.index("name") + 1], "label", "label comes beside the catalog's name")
    # Issue 9 item 4: the live part (sessions=, resolves_*) follows description.
    tap.eq(keys[keys.index("description") - 1:keys.index("description") + 1],
        ["enforced", "description"], "param.* and enforced before description")
    st, recs = d.request("LIST search=small")
    tap.eq(settings(recs[0]) if recs else None, settings(r), "LIST carries them too")

    # UNSET each field on its own, through the protocol and the CLI.
    for name, key in (("presence_penalty", "param.presence_penalty"),
                      ("frequency-penalty", "param.frequency_penalty"),
                      ("top_p", "param.top_p")):
        p = d.ctl("unset", SMALL, name)
        tap.eq(p.returncode, 0, "ctl unset %s exits 0" % name, p.stderr)
        tap.ok(key not in show(d, SMALL), "unset %s: %s is gone" % (name, key))
    st, recs = d.request("UNSET %s max_tokens" % SMALL)
    tap.eq(st, "OK 1", "UNSET max_tokens")
    r = show(d, SMALL)
    tap.ok("param.max_tokens" not in r, "max_tokens is gone")
    tap.eq(r["enforced"], "temperature", "... and no longer enforced")
    st, recs = d.request("UNSET %s enforce=temperature" % SMALL)
    tap.eq((st, show(d, SMALL)["enforced"], show(d, SMALL).get("param.temperature")),
        ("OK 1", "", "0.3"), "UNSET enforce=temperature keeps the value, stops enforcing")
    st, recs = d.request("UNSET %s alias=tiny" % SMALL)
    tap.eq((st, show(d, SMALL)["org_aliases"]), ("OK 1", "fast"), "UNSET alias=tiny removes one alias")
    st, _ = d.request("UNSET %s alias=nope" % SMALL)
    tap.err(st, "conflict", "UNSET of an alias the model does not have: ERR conflict")
    tap.like(st, r"nope is not an organisation alias of %s" % SMALL, "... saying so")
    st, recs = d.request("SET %s label=\"Fast Small\"" % SMALL)
    tap.eq((st, recs[0].get("changes") if recs else None), ("OK 1", "0"),
        "SET of what is already set: OK, changes=0")
    st, _ = d.request("SET %s" % SMALL)
    tap.err(st, "usage", "SET without a setting: ERR usage")
    st, _ = d.request("UNSET %s colour" % SMALL)
    tap.err(st, "usage", "UNSET of an unknown name: ERR usage")
    tap.like(st, r'no setting "colour"', "... naming it")
    p = d.ctl("unset", SMALL, "label")
    tap.eq((p.returncode, show(d, SMALL)["label"]), (0, None), "ctl unset label: label is null")
    p = d.ctl("set", SMALL, "--label", "Fast Small", "--alias", "tiny", "--top-p", "0.5",
        "--enforce", "top_p")
    tap.eq(p.returncode, 0, "set them again for what follows", p.stderr)


def test_ranges(tap, d):
    before = show(d, SMALL)
    bad = [("temperature=2.5", r"temperature 2\.5 is out of range: expected a number from 0 to 2"),
           ("temperature=-0.1", r"temperature -0\.1 is out of range"),
           ("top_p=1.01", r"top_p 1\.01 is out of range: expected a number from 0 to 1"),
           ("max_tokens=0", r"max_tokens 0 is out of range"),
           ("max_tokens=131073", r"max_tokens 131073 is out of range: expected a whole number "
            r"from 1 to 131072 \(the model's context length\)"),
           ("frequency_penalty=-2.5", r"frequency_penalty -2\.5 is out of range: expected a number from -2 to 2"),
           ("presence_penalty=3", r"presence_penalty 3 is out of range"),
           ("temperature=abc", r'bad temperature "abc": expected a number from 0 to 2'),
           ("temperature=1e1", r"bad temperature"),
           ("max_tokens=1.5", r"bad max_tokens"),
           ('label=""', r"empty label"),
           ('label="a\\nb"', r"control character"),
           ('label=" x"', r"blank"),
           ("label=" + "x" * 65, r"at most 64 characters"),
           ("enforce=colour", r'no parameter "colour"'),
           ("alias=a,,b", r"bad alias list")]
    for opt, msg in bad:
        # Each bad value comes with a good one: nothing of the request may stick.
        st, _ = d.request("SET %s label=Changed %s" % (SMALL, opt) if not opt.startswith("label")
            else "SET %s temperature=1 %s" % (SMALL, opt))
        tap.err(st, "usage", "SET %s: ERR usage" % opt[:40])
        tap.like(st, msg, "... %s" % msg[:60])
    tap.eq(show(d, SMALL), before, "refused SETs changed nothing")
    st, _ = d.request("SET %s enforce=frequency_penalty" % SMALL)
    tap.err(st, "usage", "enforcing an unset parameter: ERR usage")
    tap.like(st, r"cannot enforce frequency_penalty: it is not set", "... saying so")
    tap.eq(show(d, SMALL), before, "... and nothing changed")
    p = d.ctl("set", SMALL, "--temperature", "9")
    tap.eq(p.returncode, 1, "ctl set out of range exits 1")
    tap.like(p.stderr, r"temperature 9 is out of range", "ctl prints the daemon's reason")
    p = d.ctl("set", SMALL, "--temperature", "warm")
    tap.eq(p.returncode, 2, "ctl set with a value that is no number: usage, exit 2")
    p = d.ctl("set", SMALL, "--alias", "a", "--alias", "b")
    tap.eq(p.returncode, 2, "ctl set --alias twice: usage, exit 2")
    tap.like(p.stderr, r"comma-separated list", "... pointing at the list")
    tap.eq(show(d, SMALL), before, "still nothing changed")


def test_namespace(tap, d):
    before = show(d, CODE)
    for alias, owner in ((LARGE, r"%s \(model id\)" % LARGE),
                         ("mistral-large-latest", r"%s \(catalog alias\)" % LARGE),
                         ("fast", r"%s \(organisation alias\)" % SMALL),
                         ("open-mistral-nemo-2407", r"open-mistral-nemo \(catalog alias\)")):
        st, _ = d.request("SET %s alias=%s" % (CODE, alias))
        tap.err(st, "conflict", "alias %s: ERR conflict" % alias)
        tap.like(st, r"alias %s already names %s" % (alias, owner), "... naming the owner")
    p = d.ctl("set", CODE, "--alias", "code,fast")
    tap.eq(p.returncode, 1, "ctl: one taken alias in a list exits 1")
    tap.eq(show(d, CODE), before, "refused aliases changed nothing")
    st, _ = d.request("SET %s alias=code" % CODE)
    tap.eq(st, "OK 1", "a free alias is taken")
    # An alias names a model's id, never another alias.
    st, recs = d.request("SET code alias=code-2")
    tap.eq((st, recs[0].get("id") if recs else None), ("OK 1", CODE),
        "SET by an organisation alias (alias=code-2) answers the model's id")
    tap.eq(show(d, "code-2").get("id") if isinstance(show(d, "code-2"), dict) else None, CODE,
        "SHOW code-2: the model, not the alias code")
    tap.eq(show(d, CODE).get("org_aliases"), "code,code-2", "the model's org_aliases list both")

    # Every verb that names a model takes the organisation alias.
    tap.eq(show(d, "fast").get("id") if isinstance(show(d, "fast"), dict) else None, SMALL,
        "SHOW by organisation alias")
    st, recs = d.request("ACTIVATE code")
    tap.eq((st, recs[0].get("id") if recs else None), ("OK 1", CODE), "ACTIVATE by organisation alias")
    st, recs = d.request("RESOLVE code-2")
    tap.eq((st, recs[0].get("id") if recs else None, recs[0].get("reason") if recs else None,
        recs[0].get("requested") if recs else None), ("OK 1", CODE, "requested", "code-2"),
        "RESOLVE by the alias given through an alias: the model, reason requested")
    st, recs = d.request("DEFAULT code")
    tap.eq((st, recs[0].get("id") if recs else None), ("OK 1", CODE), "DEFAULT by organisation alias")
    st, _ = d.request("DEFAULT %s" % LARGE)
    tap.eq(st, "OK 1", "the default back")
    p = d.ctl("deactivate", "code", yes=True)
    tap.eq((p.returncode, show(d, CODE)["status"]), (0, "inactive"), "ctl deactivate by organisation alias")
    st, recs = d.request("AUDIT model=fast")
    tap.ok(st.startswith("OK") and recs and all(r["model"] == SMALL for r in recs),
        "AUDIT model= takes an organisation alias", st)
    st, recs = d.request("EVENTS model=fast kind=model.configured")
    tap.ok(st.startswith("OK") and recs and all(r["model"] == SMALL for r in recs),
        "EVENTS model= takes an organisation alias", st)


def test_survives(tap, d, srv):
    want = settings(show(d, SMALL))
    tap.ok(want.get("label") and want.get("param.top_p"), "the model has settings", want)
    st = seed_with(d, srv, BASE)
    tap.eq(st, "OK 1", "SEED again")
    tap.eq(settings(show(d, SMALL)), want, "settings survive a reseed")
    st, recs = d.request("REFRESH catalog")
    tap.eq(recs[0].get("outcome") if recs else st, "ok", "a catalog refresh")
    tap.eq(settings(show(d, SMALL)), want, "settings survive a catalog refresh")
    body = copy.deepcopy(BASE)
    for e in body["data"]:
        if e["id"] == SMALL:
            e["description"] = "Changed by the provider."
    srv.set("/v1/models", "bytes", data=json.dumps(body).encode())
    st, recs = d.request("REFRESH catalog")
    tap.eq(show(d, SMALL)["description"], "Changed by the provider.",
        "a refresh that changes the model's metadata")
    tap.eq(settings(show(d, SMALL)), want, "... keeps its settings")
    for verb in ("DEACTIVATE", "ACTIVATE"):
        st, _ = d.request("%s %s" % (verb, SMALL))
        tap.eq(st, "OK 1", verb)
        tap.eq(settings(show(d, SMALL)), want, "settings survive %s" % verb)
    d.restart()
    tap.eq(settings(show(d, SMALL)), want, "settings survive a restart")


def test_later_conflict(tap, d, srv):
    """A seed brings a model whose id is an organisation alias, and a catalog alias that is another."""
    before = len(events(d, "alias.conflict"))
    body = copy.deepcopy(BASE)
    new = copy.deepcopy([e for e in body["data"] if e["id"] == "open-mistral-nemo"][0])
    new.update({"id": "fast", "name": "fast", "aliases": []})
    body["data"].append(new)
    for e in body["data"]:
        if e["id"] == CODE:
            e["aliases"] = ["codestral-latest", "tiny"]
    st = seed_with(d, srv, body)
    tap.eq(st, "OK 1", "SEED with a model called fast, and codestral listing tiny")
    st, recs = d.request("LIST search=fast")
    tap.ok(any(r["id"] == "fast" for r in recs), "the new model is in the registry")
    tap.eq(show(d, "fast").get("id"), SMALL, "the organisation alias fast keeps naming its model")
    tap.eq(show(d, "tiny").get("id"), SMALL, "the organisation alias tiny too")
    ev = events(d, "alias.conflict")[before:]
    got = sorted((e["model"], json.loads(e["details"])["conflict"], json.loads(e["details"])["other"])
        for e in ev)
    tap.eq(got, [(SMALL, "catalog alias", CODE), (SMALL, "id", "fast")],
        "alias.conflict names both conflicts", ev)
    tap.like(ev[0]["message"] if ev else "", r"keeps naming this model", "... in words")
    tap.like(d.log_text(), r"%s: the organisation alias fast is now also the id of a new model"
        % SMALL, "the daemon's log says it too")
    st, _ = d.request("UNSET %s alias=fast" % SMALL)
    tap.eq(show(d, "fast").get("id"), "fast", "once the alias is removed, the id names the new model")
    st, _ = d.request("SET %s alias=fast" % SMALL)
    tap.err(st, "conflict", "... and the name cannot be taken again")
    seed_with(d, srv, BASE)


def test_audit_and_event(tap, d):
    st, recs = d.request("AUDIT model=%s limit=1000" % SMALL)
    rows = [r for r in recs if r["action"] in ("set", "unset")]
    tap.ok(rows and all(r["actor"] == "root" and r["uid"] == "0" for r in rows),
        "set/unset rows carry who", rows[:3])
    tap.ok(any(r["action"] == "set" and r["field"] == "temperature" and r["old"] is None
        and r["new"] == "0.3" for r in rows), "audit: temperature set, old null, new 0.3")
    tap.ok(any(r["action"] == "unset" and r["field"] == "max_tokens" and r["old"] == "4096"
        and r["new"] is None for r in rows), "audit: max_tokens unset, old 4096")
    tap.ok(any(r["field"] == "label" and r["old"] == "Fast Small" and r["new"] is None
        for r in rows), "audit: label removed")
    tap.ok(any(r["field"] == "alias" and r["old"] == "tiny" and r["new"] is None
        for r in rows), "audit: an alias removed")
    tap.ok(any(r["field"] == "enforced" and r["old"] == "temperature,max_tokens"
        and r["new"] == "temperature" for r in rows), "audit: enforced old and new lists")
    ev = events(d, "model.configured")
    mine = [e for e in ev if e["model"] == SMALL]
    tap.ok(mine, "model.configured events")
    det = json.loads(mine[0]["details"]) if mine else {}
    tap.eq((det.get("reason"), det.get("actor"), det.get("uid")), ("manual", "root", 0),
        "model.configured: reason, actor, uid")
    tap.eq(det.get("changed"), ["label", "temperature", "top_p", "max_tokens",
        "frequency_penalty", "presence_penalty", "enforced", "alias"],
        "model.configured: what changed, each field once")
    tap.like(mine[0]["message"] if mine else "", r"^configured \(label, .*\) by root \(uid 0\)$",
        "model.configured: its message")
    n = len(ev)
    d.request("SET %s temperature=7" % SMALL)
    d.request("SET %s label=\"Fast Small\"" % SMALL)
    tap.eq(len(events(d, "model.configured")), n, "a refused or empty SET raises nothing")


def test_viewer(tap, d):
    before = show(d, SMALL)
    p = d.ctl("set", SMALL, "--label", "Mine", as_user=(NOBODY.pw_uid, NOBODY.pw_gid))
    tap.eq(p.returncode, 4, "a viewer's set: exit 4", p.stderr)
    tap.like(p.stderr, r"SET needs the member role; you are viewer", "... needs member")
    p = d.ctl("unset", SMALL, "label", as_user=(NOBODY.pw_uid, NOBODY.pw_gid))
    tap.eq(p.returncode, 4, "a viewer's unset: exit 4", p.stderr)
    p = d.ctl("show", "tiny", as_user=(NOBODY.pw_uid, NOBODY.pw_gid))
    tap.eq(p.returncode, 0, "a viewer may show by organisation alias", p.stderr)
    tap.eq(show(d, SMALL), before, "the viewer changed nothing")


def test_json(tap, d):
    j = d.ctl_json("show", "tiny")
    tap.eq((j.get("label"), j.get("org_aliases"), j.get("params"), j.get("enforced")),
        ("Fast Small", ["tiny"], {"temperature": 0.3, "top_p": 0.5}, ["top_p"]),
        "show --json: label, org_aliases, params, enforced")
    allj = d.ctl_json("list")
    other = [m for m in allj if m["id"] == LARGE][0]
    tap.eq((other["label"], other["org_aliases"], other["params"], other["enforced"]),
        (None, [], {}, []), "list --json: a model without settings")
    tap.ok(all(set(("label", "org_aliases", "params", "enforced")) <= set(m) for m in allj),
        "list --json: every object has the keys")
    j = d.ctl_json("set", SMALL, "--label", "Fast Small")
    tap.eq((j.get("id"), j.get("changes")), (SMALL, 0), "set --json: id and a number of changes")


def test_delete(tap, d, srv):
    st, recs = d.request("DELETE tiny")
    tap.eq((st, recs[0].get("id") if recs else None), ("OK 1", SMALL), "DELETE by organisation alias")
    st, _ = d.request("SHOW tiny")
    tap.err(st, "notfound", "the alias went with the model")
    st, recs = d.request("AUDIT model=%s limit=1000" % SMALL)
    dels = [json.loads(r["old"]) for r in recs if r["action"] == "delete"]
    tap.eq(dels[-1].get("settings", {}).get("label") if dels else None, "Fast Small",
        "the delete's audit row keeps the settings")
    tap.eq(dels[-1].get("org_aliases") if dels else None, ["tiny"],
        "... and the aliases")
    seed_with(d, srv, BASE)
    r = show(d, SMALL)
    tap.eq(settings(r), {"label": None, "org_aliases": "", "enforced": ""},
        "the model seeded again has no settings")
    st, _ = d.request("SET %s alias=tiny" % CODE)
    tap.eq(st, "OK 1", "the freed alias may name another model")


def main(tap):
    srv = httpd.Server()
    srv.set("/v1/models", "file", file=MISTRAL)
    extra = "[catalog]\nurl = %s\nformat = mistral\ninterval = 1h\n" % srv.url("/v1/models")
    d = harness.Daemon(seed_url=srv.url("/v1/models"), seed_format="mistral",
        always_active=[LARGE, SMALL], default_model=LARGE, socket_mode="0666",
        access={"admin": ["root"], "viewer": ["*"]}, extra=extra)
    d.wait_seeded()
    harness.wait_for(lambda: d.request("CATALOG")[0] != "OK 0" and
        d.request("CATALOG")[0].startswith("OK"), 10, "the catalog")
    test_set_each_field(tap, d)
    test_ranges(tap, d)
    test_namespace(tap, d)
    test_survives(tap, d, srv)
    test_later_conflict(tap, d, srv)
    test_audit_and_event(tap, d)
    test_viewer(tap, d)
    test_json(tap, d)
    test_delete(tap, d, srv)
    tap.eq(d.stop(), 0, "daemon stops cleanly")


harness.main(main)
