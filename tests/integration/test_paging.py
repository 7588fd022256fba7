# test_paging.py: LIST and CATALOG pages (limit=, after=) give exactly the rows of one unpaged request, across sorts and filters; modelregctl pages through them.
import json
import os
import tempfile

import harness
import httpd

PATH = "/api/v1/models"
N = 1100          # more than one modelregctl page (1000)


def generated_catalog(n):
    """An OpenRouter-shaped catalog with ties in every sort key and unknown numbers."""
    data = []
    for i in range(n):
        e = {
            "id": "prov%d/model-%04d" % (i % 7, i),
            # Names repeat (ties by id) and differ in case only (COLLATE NOCASE).
            "name": ("Model %d" if i % 2 else "model %d") % (i % 53),
            "description": "generated model number %d" % i,
            "architecture": {"input_modalities": ["text"],
                "output_modalities": ["text"] if i % 11 else ["embeddings"]},
            "pricing": {"prompt": "%.7f" % ((i % 13) / 1e6) if i % 9 else "-1",
                "completion": "0.000002"},
        }
        if i % 5:
            e["context_length"] = 1000 * (i % 17)
        data.append(e)
    return {"data": data}


def request(c, line):
    st, lines = c.request(line, 30)
    return st, [harness.parse_logfmt(x) for x in lines]


def pages(c, base, limit):
    """Every page of base with limit=, joined; the number of requests."""
    ids, after, n = [], None, 0
    while True:
        line = "%s limit=%d" % (base, limit) + (" after=%s" % after if after else "")
        st, recs = request(c, line)
        n += 1
        if not st.startswith("OK "):
            raise harness.HarnessError("%s: %s" % (line, st))
        after = None
        if recs and list(recs[-1].keys()) == ["next"]:
            after = recs.pop()["next"]
        if len(recs) > limit:
            raise harness.HarnessError("%s: %d rows" % (line, len(recs)))
        ids += [r["id"] for r in recs]
        if after is None:
            return ids, n
        if n > 10000:
            raise harness.HarnessError("%s: no end" % base)


def test_paging(tap):
    tmp = tempfile.mkdtemp(prefix="modelreg-paging-")
    path = os.path.join(tmp, "catalog.json")
    cat = generated_catalog(N)
    with open(path, "w") as f:
        json.dump(cat, f)
    inactive = [e["id"] for e in cat["data"][::4]]
    srv = httpd.Server()
    srv.set(PATH, "file", file=path)
    d = harness.Daemon(seed_url=harness.file_url(path), seed_format="openrouter",
        new_model_status="active",
        extra="[catalog]\nurl = %s\nformat = openrouter\ninterval = 1h\n" % srv.url(PATH),
        wait_seed=True)
    with d.raw(30) as c:
        for m in inactive:
            st, _ = c.request("DEACTIVATE " + m)
            if st != "OK 1":
                raise harness.HarnessError("DEACTIVATE %s: %s" % (m, st))
    st, recs = d.request("LIST")
    tap.eq((st, len(recs)), ("OK %d" % N, N), "LIST without limit: every row, no next=")
    tap.ok(all("next" not in r for r in recs), "... and no next= record")

    filters = ["", "provider=PROV3 status=active search=\"model 1\"",
        "status=inactive kind=chat"]
    bad = []
    c = d.raw(30)
    for sort in ("name", "provider", "context", "price", "status"):
        for order in ("asc", "desc"):
            for flt in filters:
                base = ("LIST sort=%s order=%s %s" % (sort, order, flt)).strip()
                st, whole = request(c, base)
                want = [r["id"] for r in whole]
                got, n = pages(c, base, 197)
                if got != want:
                    bad.append(base)
    tap.eq(bad, [], "LIST: pages of 197 give exactly the unpaged rows, in order,"
        " for every sort, order and filter")
    base = "LIST provider=prov2 sort=context order=desc"
    got, n = pages(c, base, 1)
    st, whole = request(c, base)
    tap.eq(got, [r["id"] for r in whole], "LIST: pages of one row")
    tap.eq(n, len(whole), "... one request per row, no empty last page")

    # The catalog.
    harness.wait_for(lambda: d.request("CATALOG limit=1")[0] == "OK 2", 15,
        "the catalog to be loaded")
    bad = []
    for sort in ("name", "provider", "context", "price"):
        for order in ("asc", "desc"):
            for flt in ("search=\"ber 10\" provider=prov1 kind=chat",) + (
                    ("",) if order == "desc" else ()):
                base = ("CATALOG sort=%s order=%s %s" % (sort, order, flt)).strip()
                st, whole = request(c, base)
                got, n = pages(c, base, 250)
                if got != [r["id"] for r in whole]:
                    bad.append(base)
    tap.eq(bad, [], "CATALOG: pages give exactly the unpaged rows")

    # Bad input is ERR usage.
    c.close()
    st, recs = d.request("LIST sort=name limit=3")
    cur = recs[-1]["next"]
    for line, what in (
            ("LIST limit=0", "limit=0"),
            ("LIST limit=10001", "limit over 10000"),
            ("LIST limit=abc", "limit not a number"),
            ("LIST limit=-1", "a negative limit"),
            ("LIST after=garbage", "a cursor that is not one"),
            ("LIST after=" + cur[:-2], "a cut cursor"),
            ("LIST after=" + cur + "A", "a cursor with a byte more"),
            ("LIST sort=price after=" + cur, "a cursor of another sort"),
            ("LIST order=desc after=" + cur, "a cursor of another order"),
            ("CATALOG sort=context after=" + cur, "CATALOG: a cursor of another sort")):
        st, _ = d.request(line)
        tap.ok(st.startswith("ERR usage "), "%s: ERR usage" % what, st)
    st, recs = d.request("LIST limit=3 after=" + cur)
    tap.eq(st, "OK 4", "the cursor still works after the refusals")

    # modelregctl pages through (1100 rows: two pages) and prints what one LIST gives.
    st, whole = d.request("LIST sort=price order=desc")
    js = d.ctl_json("list", "--sort", "price", "--desc")
    tap.eq([m["id"] for m in js], [r["id"] for r in whole],
        "modelregctl list pages through: the same rows as one LIST")
    js = d.ctl_json("list", "--limit", "5", "--sort", "context")
    st, whole = d.request("LIST sort=context limit=5")
    tap.eq([m["id"] for m in js], [r["id"] for r in whole if "id" in r],
        "modelregctl list --limit 5: the first five")
    js = d.ctl_json("list", "--limit", "1050")
    tap.eq(len(js), 1050, "modelregctl list --limit 1050 spans two pages")
    js = d.ctl_json("catalog", "--sort", "provider")
    st, whole = d.request("CATALOG sort=provider")
    tap.eq([m["id"] for m in js], [r["id"] for r in whole],
        "modelregctl catalog pages through")
    p = d.ctl("list", "--limit", "0")
    tap.eq(p.returncode, 2, "modelregctl list --limit 0 is a usage error")
    text = d.ctl("list", check=0).stdout
    tap.eq(len(text.splitlines()), N + 1, "the table: a header and every model")
    d.stop()


if __name__ == "__main__":
    harness.main(test_paging)
