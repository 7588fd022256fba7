# test_protocol.py: the line protocol over raw sockets: pipelining, tokenizing, bad input, many clients, hostile catalog bytes.
import json

import harness
from harness import parse_logfmt

CATALOG = harness.data_path("it-openrouter.json")
WEIRD = harness.data_path("it-weird.json")
GPT = "openai/gpt-4o"


def test_pipelining(tap, d):
    nmodels = len(d.request("LIST")[1])
    reqs = []
    for i in range(60):
        reqs.append(("PING", "OK 1"))
        reqs.append(("LIST", "OK %d" % nmodels))
        reqs.append(("SHOW %s" % GPT, "OK 1"))
        reqs.append(("BOGUS%d" % i, "ERR unknown"))
        reqs.append(("SHOW nosuch/%d" % i, "ERR notfound"))
    with d.raw() as c:
        c.send("".join(r + "\n" for r, _ in reqs))
        got = []
        for _ in reqs:
            st, lines = c.read_reply(20)
            got.append((st, lines))
        bad = []
        for i, ((req, want), (st, lines)) in enumerate(zip(reqs, got)):
            if st is None or not (st == want or st.startswith(want + " ")):
                bad.append("%d %r: got %r want %r" % (i, req, st, want))
            elif req.startswith("SHOW open") and parse_logfmt(lines[0]).get("id") != GPT:
                bad.append("%d %r: record %r" % (i, req, lines[0]))
        tap.ok(not bad, "%d pipelined requests in one write: replies in order with exact counts" % len(reqs),
            "\n".join(bad[:10]))
        tap.eq(c.pending(0.3), b"", "no extra bytes after the last reply")
        c.send(b"SEED\nPING\nSHOW " + GPT.encode() + b"\n")
        st, lines = c.read_reply(20)
        tap.eq(st, "OK 1", "pipelined SEED answered first")
        tap.ok(lines and "added" in harness.parse_logfmt(lines[0]), "SEED record", lines)
        tap.eq(c.read_reply()[0], "OK 1", "the PING after SEED answered after it")
        st, lines = c.read_reply()
        tap.eq((st, parse_logfmt(lines[0]).get("id") if lines else None), ("OK 1", GPT),
            "then the SHOW")
        tap.eq(c.request("PING")[0], "OK 1", "connection still usable after the pipeline")


def test_tokenizing(tap, d):
    with d.raw() as c:
        for verb in ("ping", "PiNg", "PING"):
            tap.eq(c.request(verb), ("OK 1", ["pong=true"]), "verb %r is case-insensitive" % verb)
        tap.eq(c.request("\tPING  \t")[0], "OK 1", "leading and trailing blanks")
        st, lines = c.request('SHOW "%s"' % GPT)
        tap.eq((st, parse_logfmt(lines[0])["id"] if lines else None), ("OK 1", GPT), "quoted argument")
        st, lines = c.request('show "open\\x61i/gpt\\-4o"')
        tap.eq((st, parse_logfmt(lines[0])["id"] if lines else None), ("OK 1", GPT),
            "backslash escapes (\\x61, \\-) inside quotes")
        st, lines = c.request('SHOW open\\x61i/gpt-4o')
        tap.eq(st, "OK 1", "backslash escape outside quotes")
        st, lines = c.request('LIST search="claude 3.5"')
        tap.eq([parse_logfmt(x)["id"] for x in lines], ["anthropic/claude-3.5-sonnet"],
            "key=\"quoted value\" option")
        st, lines = c.request('LIST SEARCH=QUOKKA Status=all')
        tap.eq([parse_logfmt(x)["id"] for x in lines], ["mistralai/mistral-small"],
            "option keys are case-insensitive")
        st, lines = c.request('LIST search=claude\\ 3.5')
        tap.eq([parse_logfmt(x)["id"] for x in lines], ["anthropic/claude-3.5-sonnet"],
            "escaped blank inside an option value")
        st, _ = c.request('SHOW "a=b"')
        tap.err(st, "notfound", "quoted word with '=' is positional")
        st, _ = c.request('LIST bogus=1')
        tap.err(st, "usage", "unknown option -> ERR usage")
        st, _ = c.request('SHOW "%s' % GPT)
        tap.err(st, "usage", "unterminated quote -> ERR usage")
        st, _ = c.request('SHOW "a\\x00b"')
        tap.err(st, "usage", "\\x00 escape refused -> ERR usage")
        st, _ = c.request("FROBNICATE")
        tap.eq(st, "ERR unknown no such verb: FROBNICATE (HELP lists the verbs)",
            "unknown verb -> ERR unknown, plainly worded")
        st, _ = c.request("SHOW")
        tap.err(st, "usage", "SHOW without argument -> ERR usage")
        st, _ = c.request("SHOW a b")
        tap.err(st, "usage", "SHOW with two arguments -> ERR usage")
        st, _ = c.request("ACTIVATE")
        tap.err(st, "usage", "ACTIVATE without argument -> ERR usage")
        st, _ = c.request("PING extra")
        tap.err(st, "usage", "PING with an argument -> ERR usage")
        st, _ = c.request("LIST positional")
        tap.err(st, "usage", "LIST with a positional word -> ERR usage")
        tap.eq(c.request("PING")[0], "OK 1", "connection usable after the errors")


def test_line_endings(tap, d):
    with d.raw() as c:
        c.send(b"PING\r\n")
        tap.eq(c.read_reply(), ("OK 1", ["pong=true"]), "CR-LF accepted")
        c.send(b"SHOW " + GPT.encode() + b"\r\nPING\r\n")
        st, lines = c.read_reply()
        tap.eq((st, parse_logfmt(lines[0])["id"] if lines else None), ("OK 1", GPT),
            "CR-LF: the CR is not part of the last word")
        tap.eq(c.read_reply()[0], "OK 1", "pipelined CR-LF")
        c.send(b"\n\n   \n\t\n\r\nPING\n")
        tap.eq(c.read_reply(), ("OK 1", ["pong=true"]), "empty and blank lines ignored")
        tap.eq(c.pending(0.3), b"", "empty lines get no reply")


def test_toolong(tap, d):
    with d.raw() as c:
        # Exactly 4096 bytes is allowed.
        line = "SHOW " + "a" * (4096 - 5)
        tap.eq(len(line), 4096, "boundary line is 4096 bytes")
        st, _ = c.request(line)
        tap.err(st, "notfound", "a 4096-byte line is a request (ERR notfound)")
        st, _ = c.request(line + "\r")
        tap.err(st, "notfound", "a 4096-byte line plus CR-LF is a request")
        st, _ = c.request(line + "a")
        tap.err(st, "toolong", "a 4097-byte line -> ERR toolong")
        tap.eq(c.request("PING")[0], "OK 1", "resynchronised after a 4097-byte line")

        c.send(b"PING " + b"x" * 4995 + b"\nPING\n")
        st, _ = c.read_reply()
        tap.err(st, "toolong", "5000-byte line -> ERR toolong")
        tap.like(st, r"4096", "ERR toolong names the limit")
        tap.eq(c.read_reply()[0], "OK 1", "next request on the same connection answered")
        tap.eq(c.pending(0.3), b"", "ERR toolong sent once")

        # A huge line in pieces: one ERR toolong, then resync.
        for _ in range(16):
            c.send(b"y" * 65536)
        c.send(b"\nPING\n")
        st, _ = c.read_reply(20)
        tap.err(st, "toolong", "1 MiB line in pieces -> ERR toolong")
        tap.eq(c.read_reply()[0], "OK 1", "then the next line works")
        tap.eq(c.pending(0.3), b"", "only one ERR toolong for the whole long line")
        tap.ok(not c.is_closed(0.1), "connection stays open after toolong")


def test_binary(tap, d):
    with d.raw() as c:
        c.send(b"PING\x00\n")
        st, _ = c.read_reply()
        tap.err(st, "usage", "NUL byte -> ERR usage")
        c.send(b"\x00" * 100 + b"\n")
        st, _ = c.read_reply()
        tap.err(st, "usage", "a line of NULs -> ERR usage")
        c.send(b"SHOW \x01\x02\x1b[31m\n")
        st, _ = c.read_reply()
        tap.err(st, "usage", "control bytes -> ERR usage")
        c.send(b"\xff\xfe\xfd garbage \x7f\n")
        st, _ = c.read_reply()
        tap.ok(st is not None and st.startswith("ERR "), "high bytes and DEL -> an ERR reply", st)
        c.send(bytes(range(1, 256)).replace(b"\n", b"") + b"\n")
        st, _ = c.read_reply()
        tap.err(st, "usage", "every byte value -> ERR usage")
        tap.eq(c.request("PING")[0], "OK 1", "connection usable after binary garbage")
        st, _ = c.request("SHOW caf\u00e9-model")
        tap.err(st, "notfound", "UTF-8 bytes accepted in a word (ERR notfound, not usage)")


def test_partial(tap, d):
    # Half-written then closed.
    a = d.raw()
    a.send(b"LIST sort=na")
    a.close()
    tap.eq(d.request("PING")[0], "OK 1", "half-written request then close: others still served")
    # Half-written then completed.
    with d.raw() as c:
        c.send(b"PI")
        tap.eq(c.pending(0.3), b"", "partial line: no reply yet")
        c.send(b"NG\n")
        tap.eq(c.read_reply(), ("OK 1", ["pong=true"]), "partial line completed later is answered")
        c.send(b'SHOW "openai/')
        tap.eq(c.pending(0.2), b"", "partial quoted word: no reply yet")
        c.send(b'gpt-4o"\n')
        st, lines = c.read_reply()
        tap.eq((st, parse_logfmt(lines[0])["id"] if lines else None), ("OK 1", GPT),
            "request split inside a quoted word")
    # A silent client does not block others.
    silent = d.raw()
    try:
        with d.raw(timeout=3) as c:
            tap.eq(c.request("PING", timeout=3)[0], "OK 1", "a silent client does not block others")
        # Nor does one that never reads its replies.
        hog = d.raw()
        hog.send(b"LIST\n" * 200)
        with d.raw(timeout=3) as c:
            tap.eq(c.request("PING", timeout=3)[0], "OK 1", "a client that does not read does not block others")
        hog.close()
    finally:
        silent.close()
    tap.ok(d.alive(), "daemon alive after partial and silent clients")


def test_concurrent(tap, d, n=200):
    conns = []
    try:
        for _ in range(n):
            conns.append(d.raw())
        for c in conns:
            c.send(b"PING\n")
        ok = sum(1 for c in conns if c.read_reply(20) == ("OK 1", ["pong=true"]))
        tap.eq(ok, n, "%d concurrent connections all answered" % n)
        for c in conns:
            c.send(b"WHOAMI\n")
        ok = sum(1 for c in conns if c.read_reply(20)[0] == "OK 1")
        tap.eq(ok, n, "%d concurrent connections answered a second time" % n)
    finally:
        for c in conns:
            c.close()
    tap.eq(d.request("PING")[0], "OK 1", "daemon fine after many connections close")


def test_busy(tap, d, limit=256):
    """Past max_clients (256 here) connections a new one gets ERR busy and is closed (doc/protocol.md); root has no per-uid limit."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < limit + 64:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, limit + 256), hard))
        except (ValueError, OSError):
            tap.skip("connection limit", "RLIMIT_NOFILE %d too low" % soft)
            return
    conns = []
    try:
        for _ in range(limit):
            c = d.raw()
            conns.append(c)
        for c in conns:
            c.send(b"PING\n")
        ok = sum(1 for c in conns if c.read_reply(20)[0] == "OK 1")
        tap.eq(ok, limit, "%d connections at once are served" % limit)
        with d.raw() as extra:
            st = extra.recv_line(10)
            tap.err(st, "busy", "connection %d gets ERR busy" % (limit + 1))
            tap.ok(extra.is_closed(5), "... and is closed")
        conns.pop().close()
        def fresh():
            with d.raw() as c:
                st = c.request("PING")[0]
                return st if st == "OK 1" else None
        st = harness.wait_for(fresh, 10, "a free connection slot")
        tap.eq(st, "OK 1", "after one closes, a new connection is served")
    finally:
        for c in conns:
            c.close()


def test_quit(tap, d):
    with d.raw() as c:
        c.send(b"QUIT\nPING\n")
        tap.eq(c.read_reply(), ("OK 0", []), "QUIT -> OK 0")
        tap.ok(c.is_closed(5), "connection closed after QUIT")
        tap.eq(c.pending(0.1), b"", "requests after QUIT are not answered")


def test_weird_names(tap):
    with open(WEIRD) as f:
        entries = json.load(f)["data"]
    want = {e["id"]: e for e in entries}
    wid = "weird/model-1"
    d = harness.Daemon(seed_url=harness.file_url(WEIRD), seed_format="openrouter",
        always_active=[], default_model="", new_model_status="inactive")
    d.wait_seeded()

    m = d.ctl_json("show", wid)
    tap.eq(m.get("name"), want[wid]["name"], "show --json: name with newline, quotes, backslash, \\x01 byte-exact")
    tap.eq(m.get("description"), want[wid]["description"],
        "show --json: description with control chars, UTF-8 and a surrogate pair byte-exact")
    lst = d.ctl_json("list")
    byid = {x["id"]: x for x in lst} if isinstance(lst, list) else {}
    tap.eq(byid.get(wid, {}).get("name"), want[wid]["name"], "list --json: name byte-exact")
    tap.eq(byid.get(wid, {}).get("description"), want[wid]["description"], "list --json: description byte-exact")
    tap.eq(byid.get("plain/model-2", {}).get("name"), "Plain Model", "list --json: the next entry intact")

    with d.raw() as c:
        c.send(b"LIST\nSHOW weird/model-1\nPING\n")
        st, lines = c.read_reply()
        tap.eq(st, "OK 2", "LIST: two records despite newlines in the catalog")
        raw = "\n".join(lines).encode("utf-8", "surrogateescape")
        tap.ok(all(b >= 0x20 or b == 0x0a for b in raw) and b"\x7f" not in raw,
            "record lines hold no raw control byte (no CR, no \\x01, no DEL)", repr(raw[:400]))
        recs = [parse_logfmt(x) for x in lines]
        tap.eq([r["id"] for r in recs], ["plain/model-2", wid], "records parse as logfmt, sorted by name")
        w = [r for r in recs if r["id"] == wid]
        tap.eq(w[0]["name"] if w else None, want[wid]["name"], "logfmt name unescapes to the catalog's")
        tap.eq(w[0]["description"] if w else None, want[wid]["description"],
            "logfmt description unescapes to the catalog's")
        st, lines = c.read_reply()
        tap.eq((st, len(lines)), ("OK 1", 1), "SHOW: one record line")
        tap.eq(c.read_reply()[0], "OK 1", "framing intact: the PING after it is answered")
    p = d.ctl("show", wid)
    tap.eq(p.returncode, 0, "human show of the weird model exits 0")
    tap.ok("\x01" not in p.stdout, "human output does not pass a raw \\x01 to the terminal", repr(p.stdout))


def main(tap):
    d = harness.Daemon(seed_url=harness.file_url(CATALOG), seed_format="openrouter",
        always_active=[GPT], default_model=GPT, new_model_status="inactive",
        extra="[daemon]\nmax_clients = 256\n")
    d.wait_seeded()
    test_pipelining(tap, d)
    test_tokenizing(tap, d)
    test_line_endings(tap, d)
    test_toolong(tap, d)
    test_binary(tap, d)
    test_partial(tap, d)
    test_concurrent(tap, d)
    test_busy(tap, d)
    test_quit(tap, d)
    tap.ok(d.alive(), "daemon survived every bad request")
    tap.eq(d.stop(), 0, "daemon stops cleanly")
    test_weird_names(tap)


harness.main(main)
