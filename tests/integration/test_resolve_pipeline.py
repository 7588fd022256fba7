# test_resolve_pipeline.py: pipelined RESOLVE (issue 9 item 7): lines that arrive together run as a batch made ready at once (STATUS resolve_batched moves), and a batch answers, in order, byte for byte what each line answers alone, cold or from RESOLVE's cache; refusals of every kind keep their place; a line that is not RESOLVE ends a batch and what it wrote is seen by the lines after it; sessions opened and released in batches count; more lines than a turn, past the batch's window, all answered; a viewer's batch is refused line by line.
import os
import subprocess
import sys

import harness

MISTRAL = harness.data_path("catalog-mistral.json")
VIEWER = (54322, 54322)


def batched(d):
    return int(d.status()[0].get("resolve_batched", "-1"))


def replies(c, n, timeout=20):
    """n replies from RawConn c: [(status, [record lines])]."""
    return [c.read_reply(timeout) for _ in range(n)]


def singly(d, lines):
    """Each line alone, on one connection: its reply (a blank line has none)."""
    out = []
    with d.raw() as c:
        for ln in lines:
            if ln.strip() == "":
                continue
            c.send(ln + "\n")
            out.append(c.read_reply())
    return out


def together(d, lines):
    """Every line in one write, then every reply."""
    with d.raw() as c:
        c.send("".join(ln + "\n" for ln in lines))
        return replies(c, sum(1 for ln in lines if ln.strip() != ""))


def key(d, name, *opts):
    p = d.ctl("key", "create", name, *opts)
    if p.returncode != 0:
        raise harness.HarnessError("key create %s: %s" % (name, p.stderr))
    return p.stdout.strip()


def start():
    return harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest", "pixtral-large-2411",
            "mistral-medium-latest", "magistral-medium-latest"],
        default_model="mistral-large-latest", socket_mode="0666",
        access={"admin": ["root"], "viewer": ["*"]}, wait_seed=True)


def test_same_answers(t, d):
    k1 = key(d, "app1", "--models", "mistral-medium-latest,magistral-medium-latest")
    k2 = key(d, "app2", "--all")
    lines = [
        "RESOLVE mistral-medium-latest key=%s session=s1" % k1,
        "RESOLVE magistral-medium-latest key=%s" % k1,
        "RESOLVE pixtral-large-latest key=%s" % k1,       # not the key's: denied
        "RESOLVE key=%s session=s1" % k1,                 # the session's model
        "RESOLVE key=%s" % k1,                            # the default: not the key's
        "RESOLVE",                                        # the default, no key
        "RESOLVE nosuch/model key=%s" % k2,               # notfound
        "RESOLVE mistral-medium-latest key=mr_short",     # not a secret: denied
        "RESOLVE mistral-medium-latest key=%s session=bad!id" % k2,  # usage
        "RESOLVE mistral-medium-latest bogus=1",          # an option it has not
        "resolve mistral-medium-latest key=%s" % k2,      # the verb in lower case
        "RESOLVE \"unterminated key=%s" % k2,             # the tokenizer's refusal
        "",                                               # a blank line: no reply
        "RESOLVE\tpixtral-large-latest key=%s session=s2" % k2,
        "RESOLVE pixtral-large-latest key=%s session=s2\r" % k2,  # CR-LF
        "RESOLVE mistral-large-latest key=%s session=s3" % k2,
    ]
    alone = singly(d, lines)
    t.eq(len(alone), len(lines) - 1, "every line but the blank one is answered alone")
    t.eq([st.split()[0] + (" " + st.split()[1] if st.startswith("ERR") else "")
        for st, _ in alone],
        ["OK", "OK", "ERR denied", "OK", "ERR denied", "OK", "ERR notfound",
            "ERR denied", "ERR usage", "ERR usage", "OK", "ERR usage", "OK",
            "OK", "OK"],
        "alone: the answers and refusals expected of each line")

    # Cold: a commit (a key made) empties RESOLVE's cache first.
    key(d, "other", "--all")
    b0 = batched(d)
    cold = together(d, lines)
    b1 = batched(d)
    t.eq(cold, alone, "pipelined after a commit (the batch's lookups miss): the same replies, in order")
    t.ok(b1 - b0 >= 2, "the lines ran as batches (resolve_batched +%d)" % (b1 - b0))
    warm = together(d, lines)
    t.eq(warm, alone, "pipelined again (from RESOLVE's cache): the same replies")
    t.ok(batched(d) - b1 >= 2, "and again as batches")
    st, recs = d.request("SHOW pixtral-large-2411")
    t.eq(recs[0].get("sessions") if recs else None, "1",
        "session s2, opened alone and renewed in batches, is one session")


def test_write_ends_batch(t, d):
    k = key(d, "doomed", "--models", "mistral-medium-latest")
    r = "RESOLVE mistral-medium-latest key=%s" % k
    got = together(d, [r, r, "KEY REVOKE doomed", r, r])
    t.eq([st.split()[0] + ("" if st.startswith("OK") else " " + st.split()[1])
        for st, _ in got], ["OK", "OK", "OK", "ERR denied", "ERR denied"],
        "a revoke between pipelined RESOLVEs: the lines after it are denied")
    t.like(got[3][0], "revoked", "saying the key is revoked")

    k2 = key(d, "sess", "--all")
    opens = ["RESOLVE pixtral-large-latest key=%s session=p%d" % (k2, i)
        for i in range(10)]
    got = together(d, opens + ["SHOW pixtral-large-2411"] + opens[:3])
    t.eq([st for st, _ in got], ["OK 1"] * 14, "ten sessions opened in a batch, a SHOW, three renewed")
    t.eq(harness.parse_logfmt(got[10][1][0]).get("sessions"), "11",
        "SHOW after the batch: its ten sessions and the earlier one")
    rel = ["RELEASE session=p%d key=%s" % (i, k2) for i in range(10)]
    got = together(d, rel + ["SHOW pixtral-large-2411"])
    t.eq(harness.parse_logfmt(got[10][1][0]).get("sessions"), "1",
        "released in one write: back to one")


def test_long_stream(t, d):
    k = key(d, "stream", "--all")
    models = ["mistral-medium-latest", "pixtral-large-latest",
        "magistral-medium-latest", "mistral-large-latest"]
    # Line i and line i + 52 are the same line: no session moves.
    lines = ["RESOLVE %s key=%s session=conversation-%03d-%s" % (
        models[i % 4], k, i % 52, "x" * 40) for i in range(300)]
    t.ok(sum(len(ln) + 1 for ln in lines) > 3 * 8192,
        "the stream is larger than three batch windows")
    want = dict(zip(lines[:52], singly(d, lines[:52])))
    b0 = batched(d)
    got = together(d, lines)
    t.eq(len(got), 300, "300 pipelined lines: 300 replies")
    t.eq([g == want[ln] for ln, g in zip(lines, got)].count(True), 300,
        "each the reply its line gets alone, in order")
    t.ok(batched(d) - b0 >= 250, "nearly all in batches (+%d)" % (batched(d) - b0))


def as_viewer(d, lines):
    code = ("import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
        "n=int(sys.argv[2])\ns.sendall(sys.stdin.buffer.read())\nf=s.makefile()\n"
        "for _ in range(n): print(f.readline().strip())\n")
    p = subprocess.run(["setpriv", "--reuid", str(VIEWER[0]), "--regid",
        str(VIEWER[1]), "--clear-groups", sys.executable, "-c", code, d.sock,
        str(len(lines))], input="".join(ln + "\n" for ln in lines).encode(),
        capture_output=True, timeout=30)
    return p.stdout.decode().splitlines()


def test_viewer(t, d):
    k = key(d, "seen", "--all")
    lines = ["RESOLVE mistral-medium-latest key=%s session=v%d" % (k, i)
        for i in range(20)]
    live = int(d.status()[0].get("sessions", "-1"))
    got = as_viewer(d, lines)
    t.eq(len(got), 20, "a viewer's 20 pipelined RESOLVEs: 20 replies")
    t.eq([g.split()[:2] for g in got], [["ERR", "denied"]] * 20,
        "each ERR denied")
    t.like(got[0] if got else "", "service", "saying RESOLVE needs the service role")
    t.eq(int(d.status()[0].get("sessions", "-1")), live, "and no session was opened")


def run(t):
    if os.geteuid() != 0:
        t.skip("resolve pipeline", "needs root (access lists, setpriv)")
        return
    d = start()
    try:
        test_same_answers(t, d)
        test_write_ends_batch(t, d)
        test_long_stream(t, d)
        test_viewer(t, d)
    finally:
        d.stop()
        d.cleanup()


harness.main(run)
