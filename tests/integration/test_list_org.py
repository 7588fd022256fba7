# test_list_org.py: issue 9's leftovers (a) and (b): LIST search= (and modelregctl list --search) also matches a model's organisation label and org aliases, with and without limit= and provider=; modelregctl list's text shows a LABEL column when a listed model has a label, and the table as before when none has.
import os

import harness

MISTRAL = harness.data_path("catalog-mistral.json")
LARGE = "mistral-large-2411"


def ids(recs):
    return sorted(r["id"] for r in recs)


def test_list_org(tap):
    d = harness.Daemon(seed_url=harness.file_url(MISTRAL),
        always_active=["mistral-large-latest"], default_model="mistral-large-latest",
        wait_seed=True)
    p = d.ctl("list", "--status", "all")
    tap.ok(p.returncode == 0 and "LABEL" not in p.stdout.splitlines()[0],
        "list without labels: no LABEL column (%s)" % p.stdout.splitlines()[0].split())
    st, recs = d.request("LIST status=all search=Zephyr")
    tap.eq((st, ids(recs)), ("OK 0", []), "nothing holds Zephyr yet")

    p = d.ctl("set", LARGE, "--label", "Zephyr Chat", "--alias", "acme-writer")
    tap.eq(p.returncode, 0, "set a label and an org alias (%s)" % p.stderr.strip())

    # (a) the label and the org aliases are searched, case folded, as substrings
    st, recs = d.request("LIST status=all search=zephyr")
    tap.eq(ids(recs), [LARGE], "search= matches the organisation label")
    st, recs = d.request("LIST status=all search=ACME-WRI")
    tap.eq(ids(recs), [LARGE], "search= matches an org alias")
    st, recs = d.request("LIST status=all search=ze")
    tap.ok(LARGE in ids(recs), "a two-letter search (no trigram index) finds the label too")
    st, recs = d.request("LIST status=all search=zephyr provider=mistralai")
    tap.eq(ids(recs), [LARGE], "with provider= too")
    st, recs = d.request("LIST status=all search=zephyr provider=nobody")
    tap.eq(ids(recs), [], "provider= still filters a label match")
    st, recs = d.request("LIST status=all search=zephyr limit=1")
    tap.eq(ids(recs), [LARGE], "with limit= (a page) too")
    st, recs = d.request("LIST status=inactive search=zephyr")
    tap.eq(ids(recs), [], "status= still filters a label match")
    st, recs = d.request("LIST status=all search=pixtral")
    tap.ok(len(recs) > 0 and LARGE not in ids(recs),
        "the catalog's fields are searched as before")
    j = d.ctl_json("list", "--status", "all", "--search", "zephyr")
    tap.eq(sorted(m["id"] for m in j), [LARGE], "modelregctl list --search finds the label")

    # (b) the text table shows the label beside the catalog's name
    p = d.ctl("list", "--status", "all")
    lines = p.stdout.splitlines()
    head = lines[0].split()
    tap.eq(head[:3], ["ID", "LABEL", "NAME"], "list: a LABEL column after ID when a model has one")
    row = [l for l in lines if l.startswith(LARGE + " ")]
    tap.ok(len(row) == 1 and "Zephyr Chat" in row[0], "the labelled model's row shows its label")
    other = [l for l in lines[1:] if not l.startswith(LARGE + " ")]
    tap.ok(len(other) > 0 and all(l.split()[1] == "-" for l in other),
        "models without a label show -")
    p = d.ctl("list", "--status", "all", "--search", "pixtral")
    tap.ok("LABEL" not in p.stdout.splitlines()[0],
        "a list of models without labels prints the table as before")
    d.stop()
    d.cleanup()


def run(tap):
    test_list_org(tap)


harness.main(run)
