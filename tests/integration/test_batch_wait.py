# test_batch_wait.py: a BATCH (a write whose reply streams) that arrives while an import job holds the database waits its turn and is answered in full after the job, as a short write is (it used to be refused: "a streamed reply cannot wait for an import"); the same job machinery runs RESOLVE's once-a-second batch, so this could happen to any BATCH.
import os

import harness
import httpd

PATH = "/api/v1/models"
BASE = harness.data_path("cat-base.json")
V2 = harness.data_path("cat-v2.json")
GPT = "openai/gpt-4o"
CLAUDE = "anthropic/claude-3.5-sonnet"


def run(tap):
    srv = httpd.Server()
    srv.set(PATH, "file", file=BASE)
    d = harness.Daemon(extra="[catalog]\nurl = %s\nformat = openrouter\n"
        "interval = 1h\n" % srv.url(PATH), start=False)
    gate = os.path.join(d.dir, "import-gate")
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    open(gate, "w").close()
    d.start()
    harness.wait_for(lambda: len(d.request("CATALOG")[1]) == 10, 10, "the catalog")
    for line in ("SYNC " + GPT, "SYNC " + CLAUDE, "ACTIVATE " + GPT,
            "ACTIVATE " + CLAUDE, "DEFAULT " + CLAUDE):
        st, _ = d.request(line)
        tap.eq(st[:2], "OK", line)
    os.unlink(gate)
    srv.set(PATH, "file", file=V2)
    d.request("REFRESH catalog wait=no")
    harness.wait_for(lambda: os.path.exists(gate + ".held"), 10,
        "the refresh to hold its commit")
    c = d.raw()
    c.send(("BATCH deactivate %s\n" % GPT).encode())
    tap.ok(not c.pending(0.3), "BATCH during a held import: no reply before its commit")
    st, _ = d.request("PING")
    tap.eq(st, "OK 1", "PING is answered meanwhile")
    open(gate, "w").close()
    st, recs = c.read_reply(timeout=20)
    tap.like(st, r"^OK [1-9]", "after the import: OK with its records, not an error (%s)" % st)
    text = "\n".join(recs)
    tap.like(text, GPT, "the outcome names the model")
    st, recs = d.request("SHOW " + GPT)
    tap.eq(recs[0].get("status") if recs else None, "inactive", "and the batch was applied")
    st, _ = d.request("PING")
    tap.eq(st, "OK 1", "the connection and the daemon go on")
    c.close()
    d.stop()
    srv.stop()


if __name__ == "__main__":
    harness.main(run)
