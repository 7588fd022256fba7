# test_redact.py: a source URL's userinfo and query values never reach STATUS, EVENTS, REFRESH and SEED replies, RELOAD's refusal or the log.
import re

import harness
import httpd

SECRET = "SECRETxyz"
MISTRAL = harness.data_path("catalog-mistral.json")


def run(tap):
    srv = httpd.Server()
    host = srv.url("/")[len("http://"):].rstrip("/")
    srv.set("/red/v1/models", "status", code=500)
    srv.set("/red/zdr", "status", code=503)
    seed = "http://seeduser:%s1@%s/red/v1/models?key=%s2&x=1" % (SECRET, host, SECRET)
    cat = "http://%s/red/catalog?api_key=%s3" % (host, SECRET)
    zdr = "http://zu:%s4@%s/red/zdr?%s5" % (SECRET, host, SECRET)
    up = "http://%s/red/{id}/endpoints?key=%s6" % (host, SECRET)
    hook = "http://127.0.0.1:1/hook?token=%s7" % SECRET
    extra = ("[catalog]\nurl = %s\ninterval = 1h\n[zdr]\nurl = %s\ninterval = 1h\n"
        "[uptime]\nurl = %s\ninterval = 1h\n[alerts]\nwebhook = %s\nretries = 1\n"
        "timeout = 2\n" % (cat, zdr, up, hook))
    d = harness.Daemon(seed_url=seed, extra=extra, retry_min=1, retry_max=2)

    def failed():
        srcs = d.sources()
        s = d.status()[1]
        return (s.get("last_error") and srcs["catalog"].get("last_error") and
            srcs["zdr"].get("last_error"))
    d.wait_for(failed, 20, "the seed, catalog and zdr sources failing")
    status = "\n".join(d.request_lines("STATUS")[1])
    tap.ok(SECRET not in status, "STATUS shows no userinfo or query value", status)
    tap.like(status, r"http://\*\*\*@%s/red/v1/models\?key=\*\*\*&x=\*\*\*: HTTP 500"
        % re.escape(host), "STATUS shows the seed URL redacted")
    tap.like(status, r"red/catalog\?api_key=\*\*\*", "STATUS shows the catalog URL redacted")

    st, lines = d.request_lines("SEED", timeout=30)
    tap.ok(st.startswith("ERR") and SECRET not in st, "SEED's ERR names no secret", st)
    st, lines = d.request_lines("REFRESH all", timeout=30)
    tap.ok(SECRET not in st + "\n".join(lines), "REFRESH's reply names no secret",
        [st] + lines)
    st, lines = d.request_lines("REFRESH catalog", timeout=30)
    tap.ok(lines and SECRET not in "\n".join(lines) and "***" in "\n".join(lines),
        "REFRESH catalog: the URL redacted", lines)
    st, lines = d.request_lines("EVENTS")
    tap.ok(lines and SECRET not in "\n".join(lines), "EVENTS names no secret", lines)
    p = d.ctl("events", "--json")
    tap.ok(SECRET not in p.stdout, "events --json names no secret")

    # A bad url in a reload: refused, and the refusal does not quote it whole.
    d.extra = extra + "[defaults]\n"
    text = d.config_text().replace("url = %s\n" % cat,
        "url = ftp://u:%s8@%s/x?key=%s9\n" % (SECRET, host, SECRET))
    d.write_config(text)
    st, lines = d.request_lines("RELOAD")
    tap.ok(st.startswith("ERR") and "ftp://" in st and SECRET not in st,
        "RELOAD of a bad url: refused without the secret", st)
    chk = d.check_config()
    tap.ok(chk.returncode != 0 and SECRET not in chk.stdout + chk.stderr,
        "modelregd -t does not print the secret either", chk.stderr)

    # A seed that works: the log line that names the source is redacted too.
    srv.set("/red/v1/models", "file", file=MISTRAL)
    st, lines = d.request_lines("SEED", timeout=30)
    tap.ok(st.startswith("OK"), "SEED from the URL with userinfo and a key works", st)
    reqs = srv.requests_for("/red/v1/models")
    tap.ok(reqs and ("key=%s2" % SECRET) in reqs[-1]["path"],
        "the query still goes to the server")
    log = d.log_text()
    tap.ok(SECRET not in log, "the log names no secret",
        "\n".join(l for l in log.splitlines() if SECRET in l))
    tap.like(log, r"seeding from http://\*\*\*@", "the log names the source redacted")
    d.cleanup()
    srv.stop()


harness.main(run)
