# test_batch_worker.py: issue 12 (issue 8's fairness for issue 11's BATCH): a batch runs on the import worker, so while a big one is under way (held at its commit by the test import gate, no timing guess) PING and reads are answered from the last commit, a write from another client waits and is answered after the batch, in order; the batch's streamed reply comes when it is done; a delete still refuses a model live sessions use (the job's copy of the sessions).
import json
import os
import tempfile

import harness

N = 2000


def catalog(tmp):
    path = os.path.join(tmp, "catalog.json")
    data = [{"id": "base/default", "name": "default", "context_length": 1000,
        "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]}}]
    for i in range(N):
        data.append({"id": "big/model-%05d" % i, "name": "model %d" % i,
            "context_length": 1000,
            "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]}})
    with open(path, "w") as f:
        json.dump({"data": data}, f)
    return path


def run(tap):
    tmp = tempfile.mkdtemp(prefix="modelreg-bw-")
    d = harness.Daemon(seed_url=harness.file_url(catalog(tmp)), seed_format="openrouter",
        new_model_status="active", default_model="base/default", start=False)
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    open(gate, "w").close()
    d.start()
    d.wait_seeded(timeout=60)
    if os.path.exists(held):
        os.unlink(held)

    os.unlink(gate)
    batcher, other = d.raw(60), d.raw(60)
    batcher.send("BATCH deactivate provider=big\n")
    harness.wait_for(lambda: os.path.exists(held), 30, "the batch to wait at its commit")
    st, _ = other.request("PING")
    tap.ok(st is not None and st.startswith("OK "), "PING is answered while the batch runs", st)
    st, lines = other.request("LIST status=active limit=5", 30)
    models = [r for r in map(harness.parse_logfmt, lines) if "id" in r]
    tap.eq([r.get("status") for r in models], ["active"] * 5,
        "a read answers from the last commit meanwhile (still active)")
    tap.eq(batcher.pending(0.2), b"", "the batch has not replied yet")
    other.send("DEACTIVATE big/model-00000\n")
    tap.eq(other.pending(0.3), b"", "a write from another client waits for the batch")

    open(gate, "w").close()
    st, lines = batcher.read_reply(60)
    tap.eq(st, "OK %d" % (N + 1), "then the batch's streamed reply: a record per model")
    head = harness.parse_logfmt(lines[0]) if lines else {}
    tap.eq((head.get("changed"), head.get("applied")), (str(N), "true"),
        "every model changed, applied")
    st, _ = other.read_reply(30)
    tap.ok(st is not None and st.startswith("ERR conflict"),
        "the waiting write ran after the batch (the model was already inactive)", st)
    st, lines = other.request("LIST status=active", 30)
    tap.eq(st, "OK 1", "only the default is active")

    # A delete on the worker refuses a model in use, as on the loop.
    st, _ = other.request("BATCH activate big/model-00001 big/model-00002", 30)
    tap.eq(st, "OK 3", "two models activated again")
    st, _ = other.request("RESOLVE big/model-00001 session=s1")
    tap.eq(st, "OK 1", "a session on big/model-00001")
    st, lines = other.request("BATCH delete big/model-00001 big/model-00002", 30)
    recs = {r.get("id"): r for r in map(harness.parse_logfmt, lines[1:])}
    tap.ok("in use by 1 session" in recs.get("big/model-00001", {}).get("reason", ""),
        "the model in use is refused with its reason", recs)
    tap.eq(recs.get("big/model-00002", {}).get("outcome"), "change",
        "the other would have been deleted")
    st, lines = other.request("BATCH delete big/model-00002 big/model-00003", 30)
    tap.eq((st, harness.parse_logfmt(lines[0]).get("changed")), ("OK 3", "2"),
        "a delete of models not in use is applied")
    st, _ = other.request("SHOW big/model-00002")
    tap.ok(st.startswith("ERR notfound"), "and they are gone", st)

    # COLLECTION SWITCH runs there too.
    st, _ = other.request("COLLECTION create bigs provider=big", 30)
    tap.ok(st.startswith("OK "), "a collection of the big models", st)
    if os.path.exists(held):
        os.unlink(held)
    os.unlink(gate)
    batcher = d.raw(60)
    batcher.send("COLLECTION switch bigs default=big/model-00009\n")
    harness.wait_for(lambda: os.path.exists(held), 30, "the switch to wait at its commit")
    st, _ = other.request("PING")
    tap.ok(st is not None and st.startswith("OK "), "PING is answered while the switch runs", st)
    tap.eq(batcher.pending(0.2), b"", "the switch has not replied yet")
    open(gate, "w").close()
    st, lines = batcher.read_reply(60)
    head = harness.parse_logfmt(lines[0]) if lines else {}
    tap.eq((st, head.get("activated"), head.get("default")),
        ("OK %d" % (N - 2 + 1), str(N - 3), "big/model-00009"),
        "then its streamed reply: every other big model activated, the default moved")
    st, lines = other.request("DEFAULT")
    tap.eq(harness.parse_logfmt(lines[0]).get("id") if lines else None, "big/model-00009",
        "the default is the one asked")
    batcher.close()
    other.close()
    d.cleanup()


harness.main(run)
