#!/usr/bin/env python3
# batch_ping.py: a quick check (not a timed test) of issue 12's fairness: the slowest PING on a second connection while a 10,000-model BATCH deactivate, activate and delete run. Usage: python3 bench/batch_ping.py --build _build. The machine is shared: compare numbers within one run.
import argparse
import json
import os
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="_build")
    ap.add_argument("--models", type=int, default=10000)
    a = ap.parse_args()
    os.environ["MODELREGD"] = os.path.join(a.build, "daemon", "modelregd")
    os.environ["MODELREGCTL"] = os.path.join(a.build, "ctl", "modelregctl")
    import harness
    tmp = tempfile.mkdtemp(prefix="modelreg-bp-")
    path = os.path.join(tmp, "catalog.json")
    data = [{"id": "base/default", "name": "default", "context_length": 1000,
        "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]}}]
    for i in range(a.models):
        data.append({"id": "big/model-%05d" % i, "name": "model %d" % i,
            "context_length": 1000,
            "architecture": {"input_modalities": ["text"], "output_modalities": ["text"]}})
    with open(path, "w") as f:
        json.dump({"data": data}, f)
    d = harness.Daemon(seed_url=harness.file_url(path), seed_format="openrouter",
        new_model_status="active", default_model="base/default", wait_seed=True)
    try:
        for verb in ("deactivate", "activate", "delete"):
            done = threading.Event()
            res = {}

            def batch():
                with d.raw(300) as c:
                    t = time.monotonic()
                    st, _ = c.request("BATCH %s provider=big" % verb, 300)
                    res["st"], res["s"] = st, time.monotonic() - t
                done.set()
            worst, n = 0.0, 0
            with d.raw(60) as p:
                th = threading.Thread(target=batch)
                th.start()
                while not done.is_set():
                    t = time.monotonic()
                    p.request("PING", 60)
                    worst = max(worst, time.monotonic() - t)
                    n += 1
                th.join()
            print("%-10s batch %s in %.2f s; %d pings meanwhile, slowest %.0f ms"
                % (verb, res["st"], res["s"], n, worst * 1000))
    finally:
        d.cleanup()


main()
