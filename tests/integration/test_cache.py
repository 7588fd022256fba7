# test_cache.py: SHOW's cache (issue 8) never hides a committed write: changes on the loop by another client, a seed committed on the worker, a ZDR apply, DELETE, a name that was not there, aliases; and the cache stays within [daemon] cache_size.
import json
import os

import harness
import httpd

PATH = "/v1/models"


def mistral(models):
    """A Mistral catalog of (id, name, aliases) entries, all chat models."""
    return json.dumps({"object": "list", "data": [
        {"id": i, "name": n, "aliases": a,
         "capabilities": {"completion_chat": True}} for i, n, a in models]}).encode()


def zdr_list(ids):
    """A ZDR endpoint list naming the given model ids."""
    return json.dumps({"data": [{"name": "P | %s" % i, "model_id": i,
        "provider_name": "P"} for i in ids]}).encode()


def cache(d):
    """STATUS's cache figures, as ints."""
    st, recs = d.request("STATUS")
    r = recs[0] if recs else {}
    return {k: int(r.get("cache_" + k, "-1"))
        for k in ("entries", "bytes", "max", "hits", "misses")}


def show(c, name):
    """SHOW name on connection c: (status line, record dict)."""
    st, lines = c.request("SHOW %s" % name)
    return st, (harness.parse_logfmt(lines[0]) if lines else {})


def shown_twice(tap, d, c, name, what):
    """SHOW name twice on c; the second must be a hit. Returns its reply."""
    show(c, name)
    before = cache(d)["hits"]
    r = show(c, name)
    tap.ok(cache(d)["hits"] > before, "%s: the second SHOW is answered from "
        "the cache" % what)
    return r


def writes_on_the_loop(tap):
    """ACTIVATE, DEFAULT, DEACTIVATE by alias and DELETE by another client."""
    srv = httpd.Server()
    srv.set(PATH, "bytes", data=mistral([("m1", "One", ["one"]),
        ("m2", "Two", ["two"]), ("m3", "Three", [])]))
    d = harness.Daemon(seed_url=srv.url(PATH), wait_seed=True)
    reader, writer = d.raw(), d.raw()

    st, m = shown_twice(tap, d, reader, "m1", "m1")
    tap.eq((st, m.get("status")), ("OK 1", "inactive"), "m1 is inactive")
    tap.like(writer.request("ACTIVATE m1")[0] or "", r"^OK ",
        "another client activates m1")
    st, m = show(reader, "m1")
    tap.eq((st, m.get("status")), ("OK 1", "active"),
        "the next SHOW sees m1 active")
    st, m = shown_twice(tap, d, reader, "m1", "m1 again")
    tap.eq(m.get("default"), "false", "m1 is not the default")
    tap.like(writer.request("DEFAULT m1")[0] or "", r"^OK ", "DEFAULT m1")
    tap.eq(show(reader, "m1")[1].get("default"), "true",
        "the next SHOW sees m1 as the default")

    # An alias is its own key: a change to the model reaches it too.
    st, m = shown_twice(tap, d, reader, "two", "the alias two")
    tap.eq((st, m.get("id"), m.get("status")), ("OK 1", "m2", "inactive"),
        "the alias names m2")
    tap.like(writer.request("ACTIVATE two")[0] or "", r"^OK ",
        "ACTIVATE by the alias")
    tap.eq(show(reader, "two")[1].get("status"), "active",
        "SHOW by the alias sees it active")
    tap.eq(show(reader, "m2")[1].get("status"), "active",
        "... and so does SHOW by the id")

    # The same client's pipelined write then read: the read sees it.
    writer.send("DEACTIVATE m2\nSHOW m2\n")
    st, _ = writer.read_reply()
    tap.like(st or "", r"^OK ", "a pipelined DEACTIVATE m2")
    st, lines = writer.read_reply()
    m = harness.parse_logfmt(lines[0]) if lines else {}
    tap.eq(m.get("status"), "inactive",
        "the SHOW pipelined after it sees the write")

    # DELETE: the cached record goes with it, by id and by alias.
    shown_twice(tap, d, reader, "m3", "m3")
    tap.like(writer.request("DELETE m3")[0] or "", r"^OK ", "DELETE m3")
    st, _ = show(reader, "m3")
    tap.eq(st, "ERR notfound no such model: m3", "SHOW m3 after it is notfound")
    shown_twice(tap, d, reader, "two", "two")
    tap.like(writer.request("DELETE m2")[0] or "", r"^OK ", "DELETE m2")
    st, _ = show(reader, "two")
    tap.eq(st, "ERR notfound no such model: two",
        "SHOW by the alias of a deleted model is notfound")
    reader.close()
    writer.close()
    d.stop()


def seed_on_the_worker(tap):
    """A seed applied on the worker changes a cached record, adds a name
    that was cached as absent, and moves an alias; SHOW sees each after the
    seed is done, and the old record until it commits."""
    srv = httpd.Server()
    srv.set(PATH, "bytes", data=mistral([("m1", "One v1", ["first"]),
        ("m2", "Two v1", [])]))
    d = harness.Daemon(seed_url=srv.url(PATH), start=False)
    gate = os.path.join(d.dir, "import-gate")
    held = gate + ".held"
    d.env["MODELREGD_TEST_IMPORT_GATE"] = gate
    open(gate, "w").close()
    d.start()
    d.wait_seeded(timeout=30)
    reader = d.raw()
    st, m = shown_twice(tap, d, reader, "m1", "m1")
    tap.eq(m.get("name"), "One v1", "m1 as seeded")
    st, _ = shown_twice(tap, d, reader, "m9", "an absent name")
    tap.eq(st, "ERR notfound no such model: m9",
        "m9 is notfound (and that answer is cached too)")
    tap.eq(shown_twice(tap, d, reader, "first", "the alias first")[1].get("id"),
        "m1", "the alias first names m1")

    os.unlink(gate)
    srv.set(PATH, "bytes", data=mistral([("m1", "One v2", []),
        ("m2", "Two v2", ["first"]), ("m9", "Nine", [])]))
    seeder = d.raw()
    seeder.send("SEED\n")
    harness.wait_for(lambda: os.path.exists(held), 30,
        "the seed to wait at its commit")
    tap.eq(show(reader, "m1")[1].get("name"), "One v1",
        "during the seed SHOW answers the committed record")
    open(gate, "w").close()
    st, _ = seeder.read_reply(timeout=30)
    tap.eq(st, "OK 1", "the seed is done")
    st, m = show(reader, "m1")
    tap.eq((st, m.get("name")), ("OK 1", "One v2"),
        "after it SHOW sees the seed's name")
    st, m = show(reader, "m9")
    tap.eq((st, m.get("name")), ("OK 1", "Nine"),
        "a name cached as notfound is found once the seed adds it")
    tap.eq(show(reader, "first")[1].get("id"), "m2",
        "the alias moved by the seed names its new model")
    reader.close()
    seeder.close()
    d.stop()


def zdr_change(tap):
    """A ZDR apply (on the worker) changes zdr= of a cached record."""
    srv = httpd.Server()
    srv.set(PATH, "bytes", data=mistral([("m1", "One", []), ("m2", "Two", [])]))
    srv.set("/zdr", "bytes", data=zdr_list(["m2"]))
    d = harness.Daemon(seed_url=srv.url(PATH), wait_seed=True,
        extra="[zdr]\nurl = %s\ninterval = 1d\nretry_min = 1h\n"
        "retry_max = 1h\n" % srv.url("/zdr"))

    def zdr_ok():
        st, recs = d.request("STATUS")
        return any(r.get("source") == "zdr" and r.get("last_ok") for r in recs)
    harness.wait_for(zdr_ok, 30, "the first ZDR refresh")
    reader = d.raw()
    tap.eq(shown_twice(tap, d, reader, "m1", "m1")[1].get("zdr"), "false",
        "m1 has no ZDR")
    srv.set("/zdr", "bytes", data=zdr_list(["m1", "m2"]))
    st, _ = d.request_lines("REFRESH zdr", timeout=30)
    tap.like(st or "", r"^OK ", "REFRESH zdr with a list that names m1")
    tap.eq(show(reader, "m1")[1].get("zdr"), "true",
        "the next SHOW sees m1 with ZDR")
    reader.close()
    d.stop()


def bounded(tap):
    """Many distinct names do not take the cache past cache_size; a RELOAD
    with a smaller size shrinks it."""
    n = 400
    srv = httpd.Server()
    srv.set(PATH, "bytes", data=mistral([("model-%03d" % i,
        "Model %d with a name long enough" % i, []) for i in range(n)]))
    d = harness.Daemon(seed_url=srv.url(PATH), wait_seed=True,
        extra="[daemon]\ncache_size = 32K\n", config=None)
    c0 = cache(d)
    tap.eq(c0["max"], 32 * 1024, "STATUS shows the bound (cache_max)")
    reader = d.raw()
    peak, wrong = 0, 0
    for i in range(n):
        st, m = show(reader, "model-%03d" % i)
        if st != "OK 1" or m.get("id") != "model-%03d" % i:
            wrong += 1
        st, _ = show(reader, "nosuch-%d" % i)
        if not st.startswith("ERR notfound"):
            wrong += 1
        if i % 50 == 0:
            peak = max(peak, cache(d)["bytes"])
    c1 = cache(d)
    peak = max(peak, c1["bytes"])
    tap.eq(wrong, 0, "%d SHOWs of distinct names and %d absent ones are "
        "answered right" % (n, n))
    tap.ok(0 < peak <= 32 * 1024, "the cache never passes 32K (peak %d "
        "bytes)" % peak)
    tap.ok(0 < c1["entries"] < 2 * n, "it keeps some of the %d names, not "
        "all (%d)" % (2 * n, c1["entries"]))
    tap.ok(c1["misses"] >= 2 * n, "each first SHOW was a miss (%d)"
        % c1["misses"])
    st, m = show(reader, "model-000")
    tap.eq((st, m.get("id")), ("OK 1", "model-000"),
        "an evicted name is read again")

    d.extra = "[daemon]\ncache_size = 8K\n"
    d.write_config()
    tap.like(d.request_lines("RELOAD")[0] or "", r"^OK ", "RELOAD with "
        "cache_size = 8K")
    show(reader, "model-001")
    c2 = cache(d)
    tap.eq(c2["max"], 8 * 1024, "the new bound is in force")
    tap.ok(c2["bytes"] <= 8 * 1024, "... and kept (%d bytes)" % c2["bytes"])
    reader.close()
    d.stop()


def run(tap):
    writes_on_the_loop(tap)
    seed_on_the_worker(tap)
    zdr_change(tap)
    bounded(tap)


if __name__ == "__main__":
    harness.main(run)
