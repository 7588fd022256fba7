# test_client_python.py: clients/python/modelreg.py against the real daemon (issue 9 item 6): resolve with and without a key and each reason, each error as an exception with its code, list with filters over several pages, show, the logfmt reader on escapes, reconnect after a restart and an idle close, a timeout, threads, a service peer with a key file, sessions and RELEASE, and a secret that never shows.
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

import harness

CLIENT_DIR = os.path.join(harness.SRCDIR, "clients", "python")
sys.path.insert(0, CLIENT_DIR)
import modelreg  # noqa: E402

MISTRAL = harness.data_path("catalog-mistral.json")
SERVICE_UID = (54321, 54321)
N = 1100            # more than one page of the client (1000 rows)


def raises(fn, *args, **kw):
    """The modelreg.Error fn raised, or None."""
    try:
        fn(*args, **kw)
    except modelreg.Error as e:
        return e
    return None


def test_parser(tap):
    """The logfmt reader, the status line and the typed values, without a daemon."""
    r = modelreg.parse_record(b'a=1 b="x \\"y\\" \\\\ \\n\\t\\r\\x01\\x7f" c= d="" e=caf\xc3\xa9')
    tap.eq(r, {"a": "1", "b": 'x "y" \\ \n\t\r\x01\x7f', "c": None, "d": "", "e": "caf\u00e9"},
        "logfmt: quoted values unescaped, an empty bare value is null, \"\" the empty string, UTF-8 bare")
    tap.eq(modelreg.parse_record('k=v  k=w   z=1 '), {"k": "v", "z": "1"},
        "logfmt: runs of spaces separate pairs; the first of repeated keys wins")
    tap.eq(modelreg.parse_record(b'n="\\xff"')["n"].encode("utf-8", "surrogateescape"), b"\xff",
        "logfmt: a byte that is not UTF-8 round-trips (surrogateescape)")
    bad = []
    for line in (b'a', b'=1', b'a="x', b'a="x\\q"', b'a="x\\x4"', b'a="x"y', b'a=b"c',
            b'a="\x01"', b'a=\\', b'a="x\\', b'f=='):
        e = raises(modelreg.parse_record, line)
        if not isinstance(e, modelreg.ProtocolError) or e.code != "protocol":
            bad.append(line)
    tap.eq(bad, [], "logfmt: malformed lines are a ProtocolError (code protocol)")
    tap.eq(modelreg.parse_status("OK 12"), ("OK", 12), "status: OK n")
    tap.eq(modelreg.parse_status("ERR notfound no such model: x"), ("ERR", "notfound", "no such model: x"),
        "status: ERR code message")
    tap.ok(all(isinstance(raises(modelreg.parse_status, s), modelreg.ProtocolError)
        for s in ("OK", "OK x", "ERR", "ERR Bad x", "hello")), "status: anything else is a ProtocolError")
    words = ['a b', 'x"y', 'back\\slash', 'nl\nt\tcr\r', 'k=v', '', 'ctl\x01', 'plain-id/1.0']
    line = " ".join(["SHOW"] + [modelreg.quote_word(w) for w in words])
    tap.eq(harness.parse_logfmt(" ".join('w%d=%s' % (i, modelreg.quote_word(w))
        for i, w in enumerate(words))), {"w%d" % i: (w if w != "" else "") for i, w in enumerate(words)},
        "quote_word: every word reads back as itself")
    tap.ok("\n" not in line and modelreg.quote_word("plain-id/1.0") == "plain-id/1.0",
        "quote_word: a plain word stays bare, none holds a line break")
    t = modelreg.convert({"default": "true", "zdr": None, "context_length": "131072",
        "prompt_price": "2.5", "prices": '{"request":0.005}', "features": "streaming,tools",
        "org_aliases": "", "expires_at": "2026-11-21T12:25:15Z", "param.temperature": "0.3",
        "param.max_tokens": "512", "enforced": "temperature", "failover": "whatever", "why": "inactive"})
    tap.eq((t["default"], t["zdr"], t["context_length"], t["prompt_price"], t["prices"],
        t["features"], t["org_aliases"], t["expires_at"].isoformat(), t["param.temperature"],
        t["param.max_tokens"], t["enforced"]),
        (True, None, 131072, 2.5, {"request": 0.005}, ["streaming", "tools"], [],
         "2026-11-21T12:25:15+00:00", 0.3, 512, ["temperature"]),
        "typed values: booleans, null, integers, numbers, prices, lists, times, parameters")
    tap.eq((t["failover"], t["why"]), ("whatever", "inactive"), "keys without a type are kept as str")
    e = raises(modelreg.convert, {"default": "maybe"})
    tap.ok(isinstance(e, modelreg.ProtocolError) and "default" in str(e),
        "a typed key with a bad value is a ProtocolError naming the key", repr(e))
    rec = {"param.temperature": 0.3, "param.top_p": 0.9, "enforced": ["temperature"]}
    tap.eq(modelreg.params(rec), {"temperature": 0.3, "top_p": 0.9}, "params(): the defaults")
    tap.eq(modelreg.merge_params(rec, {"temperature": 1.5, "top_p": 0.5, "max_tokens": 10}),
        {"temperature": 0.3, "top_p": 0.5, "max_tokens": 10},
        "merge_params(): the caller's values over the defaults, the enforced ones kept")
    tap.eq(modelreg.merge_params(rec, {"top_p": None}), {"temperature": 0.3, "top_p": 0.9},
        "merge_params(): a value of None is not chosen: the default stays")


def fake_server(path, behaviour):
    """A UNIX socket server that accepts one connection and then misbehaves."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    held = []

    def run():
        try:
            while True:
                c, _ = srv.accept()
                held.append(c)
                if behaviour == "garbage":
                    c.recv(4096)
                    c.sendall(b"HELLO THERE\n")
        except OSError:
            pass
    threading.Thread(target=run, daemon=True).start()
    return srv, held


def test_fakes(tap):
    """A timeout, a reply that breaks the framing, a socket nobody listens on."""
    tmp = tempfile.mkdtemp(prefix="modelreg-client-")
    path = os.path.join(tmp, "silent.sock")
    srv, held = fake_server(path, "silent")
    c = modelreg.Client(path, timeout=0.5)
    t0 = time.monotonic()
    e = raises(c.ping)
    took = time.monotonic() - t0
    tap.ok(isinstance(e, modelreg.Timeout) and e.code == "timeout",
        "a daemon that never answers: Timeout, code timeout", repr(e))
    tap.ok(took < 3, "raised near the timeout (%.2fs for 0.5s)" % took)
    srv.close()
    path2 = os.path.join(tmp, "garbage.sock")
    srv2, _ = fake_server(path2, "garbage")
    e = raises(modelreg.Client(path2, timeout=2).ping)
    tap.ok(isinstance(e, modelreg.ProtocolError) and e.code == "protocol",
        "a reply that is not OK n or ERR: ProtocolError", repr(e))
    srv2.close()
    e = raises(modelreg.connect, os.path.join(tmp, "nobody.sock"), timeout=1)
    tap.ok(isinstance(e, modelreg.ConnectionLost) and e.code == "connection",
        "connect() to a socket nobody listens on: ConnectionLost, code connection", repr(e))
    for s in held:
        s.close()
    old = os.environ.pop("MODELREG_SOCKET", None)
    os.environ["MODELREG_SOCKET"] = path
    tap.eq(modelreg.Client().socket, path, "the socket defaults to $MODELREG_SOCKET")
    del os.environ["MODELREG_SOCKET"]
    if old is not None:
        os.environ["MODELREG_SOCKET"] = old
    tap.eq(modelreg.Client().socket, modelreg.DEFAULT_SOCKET, "else to DEFAULT_SOCKET")


def scripted_server(path, script):
    """A UNIX socket server: connection i reads one request line into lines
    and answers script[i] (bytes; None: close without answering)."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    lines = []

    def run():
        for answer in script:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            f = c.makefile("rb")
            line = f.readline()
            lines.append(line.decode("utf-8", "surrogateescape"))
            if answer is not None:
                c.sendall(answer)
            f.close()
            c.close()
    threading.Thread(target=run, daemon=True).start()
    return srv, lines


def test_wire(tap):
    """The request lines of resolve(session=) and release(), and the retry once."""
    tmp = tempfile.mkdtemp(prefix="modelreg-client-")
    secret = "mr_" + "Q" * 43
    path = os.path.join(tmp, "wire.sock")
    ok = b"OK 1\nid=m1 reason=requested session=\"conv 1\" failover=x\n"
    srv, lines = scripted_server(path, [ok, b"OK 0\n", b"OK 0\n"])
    c = modelreg.Client(path, key=secret)
    r = c.resolve("m1", session="conv 1")
    tap.eq(lines[0], "RESOLVE m1 key=%s session=\"conv 1\"\n" % secret,
        "resolve(model, session=): RESOLVE MODEL key=SECRET session=ID, quoted as needed")
    tap.eq((r["session"], r["failover"]), ("conv 1", "x"), "fields the client does not know are kept")
    tap.eq(c.release("conv 1"), {}, "release(): an OK 0 reply is an empty dict")
    tap.eq(lines[1], "RELEASE session=\"conv 1\" key=%s\n" % secret, "release(): RELEASE session=ID key=SECRET")
    c.release("s2", key="mr_" + "Z" * 43)
    tap.eq(lines[2], "RELEASE session=s2 key=mr_%s\n" % ("Z" * 43), "release(key=): that secret instead")
    srv.close()

    # a connection that breaks before the reply: the request is sent again, once
    path = os.path.join(tmp, "retry.sock")
    srv, lines = scripted_server(path, [None, b"OK 1\npong=true\n"])
    tap.ok(modelreg.Client(path).ping(), "a connection broken before the reply: sent again on a new one")
    tap.eq(lines, ["PING\n", "PING\n"], "... the same request, twice")
    srv.close()
    path = os.path.join(tmp, "retry2.sock")
    srv, lines = scripted_server(path, [None, None, b"OK 1\npong=true\n"])
    e = raises(modelreg.Client(path).ping)
    tap.ok(isinstance(e, modelreg.ConnectionLost), "broken twice: ConnectionLost, not a third try", repr(e))
    srv.close()
    path = os.path.join(tmp, "idle.sock")
    srv, lines = scripted_server(path, [b"ERR timeout idle for 600s, closing\n", b"OK 1\npong=true\n"])
    tap.ok(modelreg.Client(path).ping(), "ERR timeout (sent unasked before a close): sent again on a new one")
    srv.close()
    path = os.path.join(tmp, "busy.sock")
    srv, lines = scripted_server(path, [b"ERR busy too many connections\n"])
    e = raises(modelreg.Client(path).ping)
    tap.ok(isinstance(e, modelreg.Busy) and e.code == "busy", "ERR busy: Busy, code busy", repr(e))
    srv.close()
    path = os.path.join(tmp, "echo.sock")
    srv, lines = scripted_server(path, [("ERR denied your secret %s is bad\n" % secret).encode()])
    e = raises(modelreg.Client(path, key=secret).resolve)
    tap.ok(isinstance(e, modelreg.Denied) and secret not in str(e) and "***" in str(e),
        "a message that repeated the secret is shown with *** instead", repr(e))
    srv.close()


def test_installed_default(tap):
    """The copy `make install` installs has modelregctl's compiled default socket."""
    ctl = harness.MODELREGCTL
    built = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(ctl))),
        "clients", "python", "installed", "modelreg.py")
    if not os.path.exists(built):
        tap.skip("the installed copy's default socket", "no built copy at %s" % built)
        return
    p = subprocess.run([ctl, "--help"], capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if k != "MODELREG_SOCKET"})
    m = re.search(r"else (\S+)\)", p.stdout + p.stderr)
    with open(built) as f:
        text = f.read()
    d = re.search(r'^DEFAULT_SOCKET = "([^"]*)"$', text, re.M)
    tap.ok(m is not None and d is not None and d.group(1) == m.group(1),
        "the installed copy's DEFAULT_SOCKET is modelregctl's default",
        "ctl: %s, client: %s" % (m and m.group(1), d and d.group(1)))


def as_service(d, code, env=None):
    """Run a Python snippet as the service uid (setpriv); its JSON output."""
    e = {k: v for k, v in os.environ.items() if k not in ("MODELREG_SOCKET", "MODELREG_KEY")}
    e["PYTHONPATH"] = CLIENT_DIR
    e.update(env or {})
    prog = ("import json, modelreg\nout = {}\n" + code + "\nprint(json.dumps(out))\n")
    p = subprocess.run(["setpriv", "--reuid", str(SERVICE_UID[0]), "--regid", str(SERVICE_UID[1]),
        "--clear-groups", sys.executable, "-c", prog], capture_output=True, text=True, env=e,
        timeout=30)
    if p.returncode != 0:
        raise harness.HarnessError("service snippet failed: %s" % p.stderr)
    return json.loads(p.stdout)


def test_resolve(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest", "pixtral-large-2411", "mistral-medium-latest"],
        default_model="mistral-large-latest", socket_mode="0666",
        access={"admin": ["root"], "service": ["*"]}, wait_seed=True)
    c = modelreg.connect(d.sock)
    secrets = []

    def mk(name, *opts):
        s = d.ctl("key", "create", name, *opts, check=0).stdout.strip()
        secrets.append(s)
        return s
    chat = mk("chat", "--models", "pixtral-large-latest,mistral-large-latest,mistral-medium-2505")
    only = mk("only", "--models", "pixtral-large-2411")

    # without a key: each reason
    r = c.resolve()
    tap.eq((r["id"], r["reason"], r["requested"], r["key_name"]),
        ("mistral-large-2411", "default", None, None), "resolve(): the default, reason default")
    r = c.resolve("pixtral-large-latest")
    tap.eq((r["id"], r["reason"], r["requested"], r["why"]),
        ("pixtral-large-2411", "requested", "pixtral-large-latest", None),
        "resolve(alias): the model, reason requested")
    d.request("DEACTIVATE mistral-medium-2505")
    r = c.resolve("mistral-medium-latest")
    tap.eq((r["id"], r["reason"], r["why"]), ("mistral-large-2411", "fallback", "inactive"),
        "a deactivated model: fallback to the default, why inactive")
    d.request("DELETE mistral-medium-2505")
    r = c.resolve("mistral-medium-2505")
    tap.eq((r["id"], r["reason"], r["why"]), ("mistral-large-2411", "fallback", "removed"),
        "a deleted model: fallback, why removed")

    # errors as exceptions with the protocol's code
    e = raises(c.resolve, "never-was-here")
    tap.ok(isinstance(e, modelreg.NotFound) and e.code == "notfound" and "never-was-here" in e.message,
        "a name never in the registry: NotFound, code notfound", repr(e))
    e = raises(c.call, "RESOLVE", "a", "b")
    tap.ok(isinstance(e, modelreg.UsageError) and e.code == "usage", "two models: UsageError", repr(e))
    e = raises(c.call, "FROB")
    tap.ok(isinstance(e, modelreg.UnknownVerb) and e.code == "unknown", "an unknown verb: UnknownVerb", repr(e))
    tap.ok(c.ping(), "the connection serves requests after errors")

    # show, typed; and the settings a model carries
    d.request('SET pixtral-large-2411 label="Fast \\"P\\"" temperature=0.3 top_p=0.9 enforce=temperature')
    m = c.show("pixtral-large-latest")
    tap.eq((m["id"], m["label"], m["default"], m["status"], m["param.temperature"], m["enforced"],
        isinstance(m["context_length"], int), m["added_at"].tzinfo is not None),
        ("pixtral-large-2411", 'Fast "P"', False, "active", 0.3, ["temperature"], True, True),
        "show(): the record, with typed values, the label unescaped, parameters and enforced")
    tap.eq(modelreg.merge_params(m, {"temperature": 1.2, "top_p": 0.2}),
        {"temperature": 0.3, "top_p": 0.2}, "merge_params on a real record keeps the enforced temperature")
    e = raises(c.show, "nosuch")
    tap.ok(isinstance(e, modelreg.NotFound), "show() of an unknown model: NotFound", repr(e))
    r = c.resolve("pixtral-large-2411")
    tap.eq((r.get("label"), r.get("param.temperature"), r.get("enforced")),
        ('Fast "P"', 0.3, ["temperature"]), "resolve() carries the label, parameters and enforced")

    # keys
    kc = modelreg.Client(d.sock, key=chat)
    r = kc.resolve("pixtral-large-latest")
    tap.eq((r["reason"], r["key_name"]), ("requested", "chat"), "with a key: requested, key_name named")
    r = kc.resolve()
    tap.eq((r["reason"], r["key_name"]), ("default", "chat"), "with a key: the default it allows")
    r = kc.resolve("mistral-medium-2505")
    tap.eq((r["reason"], r["why"]), ("fallback", "removed"), "with a key: its deleted model falls back")
    e = raises(kc.resolve, "magistral-medium-latest")
    tap.ok(isinstance(e, modelreg.Denied) and e.code == "denied" and "does not allow" in e.message,
        "a model the key does not allow: Denied, code denied, saying why", repr(e))
    r = c.resolve("pixtral-large-2411", key=only)
    tap.eq((r["key_name"], r["reason"]), ("only", "requested"), "resolve(key=) uses that secret for the call")
    e = raises(c.resolve, key=only)
    tap.ok(isinstance(e, modelreg.Denied), "a key that may not use the default: Denied", repr(e))
    d.request("KEY REVOKE only")
    e = raises(modelreg.Client(d.sock, key=only).resolve, "pixtral-large-2411")
    tap.ok(isinstance(e, modelreg.Denied) and "revoked" in e.message, "a revoked key: Denied, revoked", repr(e))
    texts = [repr(kc), str(kc), repr(vars(kc)), str(e), repr(e), repr(e.args), e.message]
    tap.ok(not any(s in t for s in secrets for t in texts),
        "no secret in repr() of the client, its vars, or the exception's text", texts)
    tap.like(repr(kc), r"key=set", "repr() says a key is set, and only that")
    e2 = raises(modelreg.Client, d.sock, key="mr_has blank")
    tap.ok(isinstance(e2, modelreg.UsageError) and "blank" not in str(e2), "a malformed key is refused "
        "without being shown", repr(e2))

    # a key file read again when it changes (rotation)
    kf = os.path.join(d.dir, "chat.key")
    with open(kf, "w") as f:
        f.write(chat + "\n")
    os.chmod(kf, 0o644)
    fc = modelreg.Client(d.sock, key_file=kf)
    tap.eq(fc.resolve("pixtral-large-2411")["key_name"], "chat", "key_file: the key in the file")
    chat2 = d.ctl("key", "rotate", "chat", check=0).stdout.strip()
    secrets.append(chat2)
    tap.ok(isinstance(raises(kc.resolve), modelreg.Denied), "after a rotation the old secret is denied")
    with open(kf + ".new", "w") as f:
        f.write(chat2 + "\n")
    os.chmod(kf + ".new", 0o644)
    os.rename(kf + ".new", kf)
    e = raises(fc.resolve, "pixtral-large-2411")
    tap.ok(e is None, "key_file: the rotated secret written to the file is used at once", repr(e))

    # a service peer: the key from a file and from $MODELREG_KEY
    out = as_service(d, """
c = modelreg.Client(%r, key_file=%r)
r = c.resolve("pixtral-large-latest")
out["file"] = [r["id"], r["reason"], r["key_name"]]
try:
    modelreg.Client(%r).resolve("magistral-medium-latest")
    out["env"] = None
except modelreg.Error as e:
    out["env"] = [e.code, type(e).__name__]
out["whoami"] = c.call("WHOAMI")[0]["role"]
""" % (d.sock, kf, d.sock), env={"MODELREG_KEY": chat2})
    tap.eq(out["whoami"], "service", "the snippet runs as a service peer")
    tap.eq(out["file"], ["pixtral-large-2411", "requested", "chat"], "a service peer resolves with its key file")
    tap.eq(out["env"], ["denied", "Denied"], "a service peer with $MODELREG_KEY: the key's limits apply")

    test_sessions(tap, d, c, chat2, secrets)
    log = d.log_text()
    tap.ok(not any(s in log for s in secrets), "the daemon's log holds none of the secrets")
    c.close()
    d.cleanup()


def test_sessions(tap, d, c, secret, secrets):
    """RESOLVE session= and RELEASE (issue 9 item 4)."""
    tap.ok("RELEASE" in c.verbs(), "HELP lists RELEASE", c.verbs())
    kc = modelreg.Client(d.sock, key=secret)
    r = kc.resolve("pixtral-large-latest", session="conv-1")
    tap.eq((r["id"], r["reason"]), ("pixtral-large-2411", "requested"),
        "resolve(session=) opens a session on the answered model")
    tap.eq(c.show("pixtral-large-2411").get("sessions"), 1, "show() counts the session")
    st, _ = d.request("DELETE pixtral-large-2411")
    tap.err(st, "conflict", "a model in use cannot be deleted")
    d.request("DEACTIVATE pixtral-large-2411")
    r = kc.resolve("pixtral-large-2411", session="conv-1")
    tap.eq((r["id"], r["reason"]), ("mistral-large-2411", "fallback"),
        "a session on a deactivated model falls back and moves")
    tap.eq((c.show("pixtral-large-2411").get("sessions"), c.show("mistral-large-2411").get("sessions")),
        (0, 1), "the session moved to the fallback")
    rec = kc.release("conv-1")
    tap.ok(isinstance(rec, dict) and c.show("mistral-large-2411").get("sessions") == 0,
        "release() ends the session", rec)
    c.resolve(session="conv-2")
    rec = c.release("conv-2", key=None)
    tap.eq((rec.get("released"), rec.get("key_name")), ("true", None),
        "release(key=None) ends a session opened without a key")
    kc.resolve(session="conv-3")
    e = raises(kc.release, "conv-3", key=secret)
    tap.ok(e is None, "release(key=) with the key that opened it", repr(e))
    d.request("ACTIVATE pixtral-large-2411")


def generated_catalog(n):
    """An OpenRouter catalog of n models; some descriptions need every escape."""
    data = []
    for i in range(n):
        data.append({"id": "prov%d/model-%04d" % (i % 3, i), "name": "Model %04d" % i,
            "description": 'model %d: "quoted" \\back\\ tab\tnew\nline bell\x07 caf\u00e9 a=b' % i,
            "architecture": {"input_modalities": ["text"],
                "output_modalities": ["text"] if i % 10 else ["embeddings"]},
            "context_length": 1000 * (i % 17 + 1),
            "pricing": {"prompt": "%.7f" % ((i % 13) / 1e6), "completion": "0.000002"}})
    return {"data": data}


def test_list(tap):
    """list() over several pages with filters; unavailable without a default; reconnects."""
    tmp = tempfile.mkdtemp(prefix="modelreg-client-")
    path = os.path.join(tmp, "catalog.json")
    cat = generated_catalog(N)
    with open(path, "w") as f:
        json.dump(cat, f)
    d = harness.Daemon(seed_url=harness.file_url(path), seed_format="openrouter",
        new_model_status="active", extra="[daemon]\nidle_timeout = 1\n", wait_seed=True)
    c = modelreg.Client(d.sock, timeout=30)
    st, whole = d.request("LIST", timeout=60)
    got = c.list()
    tap.eq([m["id"] for m in got], [r["id"] for r in whole],
        "list(): every model of one unpaged LIST, in order, over %d pages" % ((N + 999) // 1000))
    tap.eq(len(got), N, "list(): %d models" % N)
    tap.ok(all("next" not in m for m in got), "list(): no next= record among the models")
    st, want = d.request("LIST provider=prov1 kind=chat sort=context order=desc", timeout=60)
    small = modelreg.Client(d.sock, page_size=97)
    got = small.list(provider="prov1", kind="chat", sort="context", order="desc")
    tap.eq([m["id"] for m in got], [r["id"] for r in want],
        "list(**filters) in pages of 97: the rows of the filtered LIST (%d)" % len(want))
    got = small.list(limit=150, search="model 00")
    tap.eq(len(got), 100, "list(limit=, search=): at most limit rows; search filters (%d)" % len(got))
    got = small.list(limit=5)
    tap.eq(len(got), 5, "list(limit=5): five rows")
    e = raises(small.list, sort="nonsense")
    tap.ok(isinstance(e, modelreg.UsageError), "a bad filter value: UsageError", repr(e))
    m = c.show("prov1/model-0001")
    tap.eq(m["description"], cat["data"][1]["description"],
        "show(): a description with quotes, backslashes, tab, newline, a control byte and UTF-8 reads back exact")
    tap.eq((m["context_length"], m["prompt_price"]), (2000, 1.0), "show(): numbers typed")

    e = raises(c.resolve)
    tap.ok(isinstance(e, modelreg.Unavailable) and e.code == "unavailable",
        "resolve() with no default: Unavailable, code unavailable", repr(e))

    # the daemon closes an idle connection (ERR timeout, unasked): the next request reconnects
    tap.ok(c.ping(), "ping before idling")
    d.wait_for(lambda: int(d.status()[0]["clients"]) == 1, 10, "the idle connection to be closed")
    e = raises(c.ping)
    tap.ok(e is None, "after the daemon closed the idle connection, the next request is answered", repr(e))

    # a restart breaks the connection: reconnect once
    c2 = modelreg.Client(d.sock)
    tap.ok(c2.ping(), "ping before the restart")
    d.restart()
    r = raises(c2.show, "prov0/model-0000")
    tap.ok(r is None, "after the daemon restarts, the same client is answered (it reconnected)", repr(r))

    # threads share one client
    errors, seen = [], []

    def worker(i):
        try:
            for k in range(30):
                mid = "prov%d/model-%04d" % ((i * 30 + k) % 3, i * 30 + k)
                if c2.show(mid)["id"] != mid:
                    errors.append(mid)
                seen.append(mid)
        except Exception as ex:   # reported below
            errors.append(repr(ex))
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    tap.eq((errors, len(seen)), ([], 180), "six threads sharing one client: every reply is its own")

    # a forked child opens its own connection instead of using the parent's
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            ok = c2.ping() and c2._pid == os.getpid()
            os.write(wfd, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(wfd)
    got = os.read(rfd, 1)
    os.close(rfd)
    os.waitpid(pid, 0)
    tap.eq(got, b"1", "after fork() the child's requests go over a connection of its own")
    tap.ok(c2.ping(), "and the parent's connection still serves the parent")

    # the daemon gone: ConnectionLost
    d.stop()
    e = raises(c2.ping)
    tap.ok(isinstance(e, modelreg.ConnectionLost) and e.code == "connection",
        "with the daemon stopped: ConnectionLost, code connection", repr(e))
    d.cleanup()


def run(tap):
    test_parser(tap)
    test_fakes(tap)
    test_wire(tap)
    test_installed_default(tap)
    test_list(tap)
    if os.geteuid() != 0:
        tap.skip("resolve as a service peer", "needs root (setpriv)")
        return
    test_resolve(tap)


harness.main(run)
