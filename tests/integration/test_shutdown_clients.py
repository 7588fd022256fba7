# test_shutdown_clients.py: a stop while connections still have LIST requests pipelined and replies unread: the daemon exits 0 in time and, built with AddressSanitizer, leaks none of their buffers (issue 13's ASan run found them leaked at every such stop).
import re
import time

import harness

CATALOG = harness.data_path("catalog-mistral.json")


def flood(conn, req, seconds):
    """Pipeline req for a while, never reading: the daemon's input and output for conn fill up."""
    data = req * (65536 // len(req))
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            sent += conn.sock.send(data)
        except (BlockingIOError, InterruptedError):
            time.sleep(0.01)
    return sent


def run(tap):
    d = harness.Daemon(seed_url=harness.file_url(CATALOG))
    d.wait_seeded(timeout=30)
    conns = [d.raw() for _ in range(3)]
    sent = [flood(c, b"LIST status=all\n", 0.5) for c in conns]
    tap.ok(min(sent) > 64 * 1024, "each connection pipelined more LISTs than the daemon reads at once",
        "sent %r bytes" % sent)
    st, _ = d.request("STATUS")
    tap.eq(st[:2], "OK", "the daemon serves another client meanwhile")
    t0 = time.monotonic()
    rc = d.stop(timeout=30)
    tap.eq(rc, 0, "SIGTERM with the connections still open: exit 0",
        d.log_text()[-2000:])
    tap.ok(time.monotonic() - t0 < 30, "and within 30 s")
    tap.ok(re.search(r"stopped", d.log_text()) is not None, "the log says it stopped")
    for c in conns:
        c.close()
    # Daemon.cleanup fails the test when the log holds a sanitizer report (a leak).
    d.cleanup()


harness.main(run)
