"""Every route of the gateway's table with hostile values where a client chooses them: path
captures of 700 bytes, of 150 CJK characters, with an encoded NUL or slash, a negative or
too-long number; query parameters out of range or 700 bytes long; JSON bodies whose every
plausible field is 5,000 characters, a nested array, -1e308, an object, or 2,000 CJK
characters; a 200-byte Idempotency-Key. Whatever the route does with them, it answers below
500 (a clear 4xx, or success for what is merely odd), the log has no error line, every
consumer catches up (an event no service could take would stop one), and /healthz is up.

Runs against the embedded process (`sais up`) with a small registry, so that lookups by a
real ID number and household find something."""
import json
import os
import re
import sys
import time
import urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from sais_harness import SRC, Cluster, Results, make_id, ndjson  # noqa: E402

R = Results()

CAPTURES = ["A" * 700, "%E9%BE%98" * 150, "x%00y", "..%2f..", "-1", "9" * 19]
QUERIES = ["limit=-1", "limit=99999999999999999999", "cursor=" + "A" * 700, "region=" + "9" * 600,
           "household_id=" + "H" * 700, "since=garbage", "status=%FF", "id_number=" + "1" * 700,
           "month=9999-99", "limit=0&cursor=-5", "policy=" + "p" * 700]
FIELDS = ["id_number", "channel", "filed_region", "household_id", "decision", "note", "name", "role",
          "regions", "sources", "title", "description", "category", "amount", "wish_id", "organization_id",
          "url", "events", "secret", "policy", "params", "month", "region", "reason", "kind", "phone",
          "visited_on", "outcome", "contact", "expires_at", "comment"]
BODIES = [{}, {f: "A" * 5000 for f in FIELDS}, {f: [[[1]]] for f in FIELDS}, {f: -1e308 for f in FIELDS},
          {f: {"x": None} for f in FIELDS}, {f: "龘" * 2000 for f in FIELDS}]


def routes():
    """(method, pattern) of every entry of the route table, read from its source."""
    out = []
    with open(os.path.join(SRC, "services", "gateway", "gateway_routes.c"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r'\s*\{"(GET|POST|PUT|PATCH|DELETE)",\s*"(/[^"]*)"', line)
            if m:
                out.append((m.group(1), m.group(2)))
    return out


def main():
    t0 = time.time()
    c = Cluster(mode="embedded").start()
    try:
        http = c.http
        head = make_id("330326", "19700101", 11)
        hukou = [{"record_id": "h-1", "id_number": head, "name": "张三", "household_id": "H1", "relation": "head",
                  "region": "330326", "event": "register", "date": "2015-03-10", "phone": "13800000001"}]
        st, rep, _ = c.post_feed("hukou", "hk-1", ndjson(hukou))
        R.check(st == 200 and rep.get("accepted") == 1, "the registry is loaded: %r" % (rep,))
        caps = CAPTURES + [head, "H1"]

        table = routes()
        R.check(len(table) >= 40, "the route table read from its source: %d routes" % len(table))
        served, bad = 0, []

        def call(method, path, **kw):
            nonlocal served
            try:
                st, body, _ = http.call(method, path, timeout=60, **kw)
            except (urllib.error.URLError, OSError) as e:
                st, body = -1, str(e)
            served += 1
            if st >= 500 or st < 0:
                bad.append((method, path[:100], st, str(body)[:160]))

        for method, pattern in table:
            if pattern.startswith("/console") or pattern in ("/healthz", "/metrics"):
                continue
            paths = {pattern}
            if "{" in pattern:
                paths = set()
                for cap in caps:
                    path = pattern
                    for seg in pattern.split("/"):
                        if seg.startswith("{"):
                            path = path.replace(seg, "medical" if seg == "{source}" else cap, 1)
                    paths.add(path)
            for path in sorted(paths):
                if method == "GET":
                    for q in [""] + QUERIES:
                        call(method, path + ("?" + q if q else ""))
                elif method == "DELETE":
                    call(method, path)
                elif "/feeds/" in path:
                    call(method, path + "?batch_id=" + "b" * 70, body=b"x\n", ctype="application/x-ndjson")
                else:
                    for body in BODIES:
                        call(method, path, body=body, headers={"Idempotency-Key": "K" * 200})
        R.check(served > 1000, "%d hostile requests sent" % served)
        R.check(not bad, "none answered 5xx or failed: %s" % json.dumps(bad[:10], ensure_ascii=False))
        c.quiescent(timeout=120)
        R.check(True, "every consumer caught up afterwards")
        st, body, _ = http.get("/healthz")
        R.check(st == 200, "healthz after: %r" % (body,))
    finally:
        c.stop()
        log = ""
        for name in c.logs or ["up"]:
            try:
                with open(os.path.join(c.tmp, name + ".log"), "rb") as f:
                    log += f.read().decode(errors="replace")
            except OSError:
                pass
        errors = [line for line in log.splitlines() if " ERROR " in line]
        R.check(not errors, "no error in the log: %s" % errors[:5])
        c.cleanup()
    print("took %.1f s" % (time.time() - t0))
    R.finish()


if __name__ == "__main__":
    main()
