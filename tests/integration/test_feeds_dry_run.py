"""A dry run of a feed batch (POST /v1/feeds/{source}/batches?batch_id=..&dry_run=true),
SAIS embedded: the report a real post of the same body would give, and nothing else.

- a body mixing records taken in before (by another batch), new ones, ids repeated within the
  body and bad lines: "status": "checked", "dry_run": true, and exactly the counts and errors
  the real post of the same body then reports;
- the dry run takes nothing in: the batch is unknown afterwards, the source's accepted count
  is unchanged, and its batch id is still free for the real post;
- a dry run under a batch id already taken says so; gzip bodies can be checked too;
  dry_run must be true or false.
"""
import gzip
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, make_id, ndjson  # noqa: E402

R = Results()


def rec(tag, i):
    return {"record_id": "%s-%d" % (tag, i), "id_number": make_id("330326", "1980-05-05", 1 + i % 900),
            "name": "林%s" % tag, "household_id": "HH-330326-%s%d" % (tag, i % 300), "relation": "head",
            "region": "330326", "phone": "", "event": "register", "date": "2012-03-04"}


def post(c, batch, body, key, dry=None, encoding=None):
    q = "&dry_run=" + dry if dry else ""
    hdrs = {"Content-Encoding": encoding} if encoding else {}
    return c.http.call("POST", "/v1/feeds/hukou/batches?batch_id=%s%s" % (batch, q), body=body, key=key,
                       ctype="application/x-ndjson", headers=hdrs)


def counts(r):
    return {k: r.get(k) for k in ("received", "accepted", "duplicates", "rejected", "errors")}


def accepted_total(c):
    st, feeds, _ = c.http.get("/v1/feeds")
    return next((f for f in feeds.get("items", feeds) if isinstance(f, dict) and f.get("source") == "hukou"), {}).get("accepted")


def main():
    c = Cluster(mode="embedded")
    c.start()
    try:
        st, k, _ = c.http.post("/v1/keys", {"name": "registry", "role": "partner", "sources": ["hukou"]})
        pk = k["key"]
        st, rep, _ = post(c, "earlier", ndjson([rec("E", i) for i in range(100)]), pk)
        assert st == 200 and rep["accepted"] == 100, rep

        lines = [json.dumps(rec("E", i), ensure_ascii=False) for i in range(50)]          # taken in before
        lines += [json.dumps(rec("N", i), ensure_ascii=False) for i in range(30)]         # new
        lines += [json.dumps(rec("N", i), ensure_ascii=False) for i in range(5)]          # repeated in the body
        bad = dict(rec("B", 1), id_number="330326198005051235")
        lines += [json.dumps(bad), "{not json", json.dumps(dict(rec("B", 2), date="2026-13-01")),
                  json.dumps({"record_id": "B-4"}), json.dumps(dict(rec("B", 5), region="999999"))]
        body = ("\n".join(lines) + "\n").encode()
        before = accepted_total(c)
        st, dry, _ = post(c, "mixed", body, pk, dry="true")
        R.check(st == 200 and dry.get("status") == "checked" and dry.get("dry_run") is True
                and dry.get("batch_id_used") is False,
                "a dry run answers a checked report: %s %r" % (st, {k: dry.get(k) for k in ("status", "dry_run", "batch_id_used")}))
        R.check((dry["received"], dry["accepted"], dry["duplicates"], dry["rejected"]) == (90, 30, 55, 5),
                "50 taken in before and 5 repeats are duplicates, 30 new, 5 bad: %r" % counts(dry))
        st, _, _ = c.http.get("/v1/feeds/hukou/batches/mixed", key=pk)
        R.check(st == 404, "the dry run left no batch behind (%s)" % st)
        R.check(accepted_total(c) == before, "nor took a record in (%r, %r)" % (accepted_total(c), before))

        st, real, _ = post(c, "mixed", body, pk)
        R.check(st == 200 and real.get("status") == "done" and counts(real) == counts(dry),
                "the real post of the same body reports exactly what the dry run said%s"
                % ("" if counts(real) == counts(dry) else ": %r vs %r" % (counts(real), counts(dry))))
        st, again, _ = post(c, "mixed", body, pk, dry="true")
        R.check(st == 200 and again.get("batch_id_used") is True, "a dry run under a batch id taken says so")
        st, gz, _ = post(c, "other", gzip.compress(body), pk, dry="true", encoding="gzip")
        R.check(st == 200 and gz["accepted"] == 0 and gz["duplicates"] == 85 and gz["rejected"] == 5,
                "a gzip body checked after the real post: everything a duplicate now %r" % counts(gz))
        st, b, _ = post(c, "x", body, pk, dry="maybe")
        R.check(st == 422 and b.get("errors", [{}])[0].get("field") == "dry_run", "dry_run=maybe: 422 (%s)" % st)
        st, rep, _ = post(c, "later", ndjson([rec("L", i) for i in range(10)]), pk, dry="false")
        R.check(st == 200 and rep.get("status") == "done" and rep["accepted"] == 10, "dry_run=false is a real post")
    finally:
        c.stop()
    c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
