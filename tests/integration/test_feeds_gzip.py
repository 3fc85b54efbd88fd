"""Feed uploads with Content-Encoding: gzip, over real HTTP (SAIS embedded).

- a gzip NDJSON batch of a few MiB inflated (several of the gateway's 1 MiB buffers): exact
  counts; the same records posted again plain under the same batch_id are the same batch
  (the first report, not 409), since a batch is compared on what it inflates to;
- a body of two gzip members (concatenated files, cut in the middle of a line) and a gzip CSV;
- a corrupt body and a truncated one: 400 bad_gzip naming where, the upload abandoned, and
  the good body under the same batch_id afterwards is taken in whole; of a body of small
  members with a corrupt one, only whole members before it were taken in (each member's
  output waits in the buffer until its checksum holds);
- Content-Encoding other than gzip on a feed, and gzip on a JSON route: 415 naming it;
  identity is a plain body;
- a second stack with gateway.max_body_mb = 2 and a thread per connection: a small body that
  inflates to 8 MiB is a 413 ("inflates past the limit"), and an honest gzip batch and the
  corrupt member are taken in (or not) as in the first.
"""
import gzip
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, make_id, ndjson  # noqa: E402

R = Results()


def hukou(tag, n, region="330326"):
    out = []
    for i in range(n):
        pid = make_id(region, "1980-01-01", 1 + i % 900)
        out.append({"record_id": "%s-%06d" % (tag, i), "id_number": pid, "name": "程%s" % tag,
                    "household_id": "HH-%s-%s-%d" % (region, tag, i % 900), "relation": "head",
                    "region": region, "phone": "", "event": "register", "date": "2005-06-01",
                    "note_padding": "温州" * 40})
    return out


def post(c, source, batch, body, key, ctype="application/x-ndjson", encoding="gzip"):
    hdrs = {"Content-Encoding": encoding} if encoding else {}
    return c.http.call("POST", "/v1/feeds/%s/batches?batch_id=%s" % (source, batch), body=body, key=key,
                       ctype=ctype, headers=hdrs, timeout=300)


def counts(rep):
    return (rep.get("received"), rep.get("accepted"), rep.get("duplicates"), rep.get("rejected"))


def is_problem(st, body, status, code):
    return st == status and isinstance(body, dict) and body.get("status") == status and \
        body.get("type", "").endswith("/" + code)


def corrupt_member(c, pk, tag):
    """Members of 500 records (~230 KiB inflated each); the fifth corrupt late, after the point
    where the 1 MiB buffer fills. With ingest.commit_lines = 1 every record sent is taken in
    (but the last, whose group is still open): the four members whose checksum held were
    sent, and not one record of the fifth, though the buffer was full in its middle."""
    recs = hukou("P" + tag, 4000)
    members = [gzip.compress(ndjson(recs[i:i + 500])) for i in range(0, 4000, 500)]
    m = bytearray(members[4])
    for i in range(len(m) * 9 // 10, len(m) * 9 // 10 + 16):
        m[i] ^= 0xA5
    corrupt = b"".join(members[:4]) + bytes(m) + b"".join(members[5:])
    st, rep, _ = post(c, "hukou", "m-bad-" + tag, corrupt, pk)
    R.check(is_problem(st, rep, 400, "bad_gzip"), "%s: eight members, the fifth corrupt: 400 bad_gzip (%s)" % (tag, st))
    # under other batch ids, what the cut-off upload took in counts as duplicates
    st, rep, _ = post(c, "hukou", "m-fifth-" + tag, members[4], pk)
    R.check(st == 200 and counts(rep) == (500, 500, 0, 0),
            "%s: not one record of the corrupt member was taken in %r" % (tag, counts(rep) if st == 200 else rep))
    st, rep, _ = post(c, "hukou", "m-first-" + tag, b"".join(members[:4]), pk)
    R.check(st == 200 and rep["received"] == 2000 and rep["duplicates"] >= 1999,
            "%s: the four before it were (%r)" % (tag, counts(rep) if st == 200 else rep))


def main_stack():
    c = Cluster(mode="embedded", extra_config={"ingest.commit_lines": "1"})
    c.start()
    try:
        st, k, _ = c.http.post("/v1/keys", {"name": "registry", "role": "partner", "sources": ["hukou"]})
        assert st == 201, (st, k)
        pk = k["key"]

        recs = hukou("G", 6000)
        plain = ndjson(recs)
        gz = gzip.compress(plain)
        st, rep, _ = post(c, "hukou", "gz-1", gz, pk)
        R.check(st == 200 and counts(rep) == (6000, 6000, 0, 0),
                "a %.1f MiB batch sent as %.0f KiB of gzip: every record accepted %r"
                % (len(plain) / 2**20, len(gz) / 1024, counts(rep) if st == 200 else rep))
        st2, rep2, _ = post(c, "hukou", "gz-1", plain, pk, encoding=None)
        R.check(st2 == 200 and rep2 == rep, "the same records plain under the same batch_id: the first report, not 409")
        st3, rep3, _ = post(c, "hukou", "gz-1", gzip.compress(plain, compresslevel=1), pk)
        R.check(st3 == 200 and rep3 == rep, "and gzip at another level (other compressed bytes): the first report too")

        more = ndjson(hukou("M", 3000))
        cut = len(more) // 2 + 17   # in the middle of a line
        two = gzip.compress(more[:cut]) + gzip.compress(more[cut:])
        st, rep, _ = post(c, "hukou", "gz-2", two, pk)
        R.check(st == 200 and counts(rep) == (3000, 3000, 0, 0),
                "two gzip members, cut in the middle of a line: all 3000 accepted %r" % (counts(rep) if st == 200 else rep,))

        rows = ["record_id,id_number,name,household_id,relation,region,phone,event,date"]
        for r in hukou("V", 500):
            rows.append('%s,%s,"%s, 二",%s,%s,%s,,%s,%s' % (r["record_id"], r["id_number"], r["name"], r["household_id"],
                                                         r["relation"], r["region"], r["event"], r["date"]))
        csv = ("\ufeff" + "\r\n".join(rows) + "\r\n").encode()
        st, rep, _ = post(c, "hukou", "gz-csv", gzip.compress(csv), pk, ctype="text/csv")
        R.check(st == 200 and counts(rep) == (500, 500, 0, 0), "a gzip CSV: all 500 accepted %r" % (counts(rep) if st == 200 else rep,))

        body = ndjson(hukou("B", 4000))
        good = gzip.compress(body)
        bad = bytearray(good)
        for i in range(len(bad) // 2, len(bad) // 2 + 64):
            bad[i] ^= 0x5A
        st, rep, _ = post(c, "hukou", "gz-3", bytes(bad), pk)
        R.check(is_problem(st, rep, 400, "bad_gzip") and "compressed bytes" in rep.get("detail", ""),
                "a corrupt gzip body: 400 bad_gzip saying where: %s %r" % (st, rep.get("detail") if isinstance(rep, dict) else rep))
        st, rep, _ = post(c, "hukou", "gz-4", good[:-40], pk)
        R.check(is_problem(st, rep, 400, "bad_gzip") and "truncated" in rep.get("detail", ""),
                "a truncated one: 400 bad_gzip, truncated: %s %r" % (st, rep.get("detail") if isinstance(rep, dict) else rep))
        st, rep, _ = post(c, "hukou", "gz-5", b"", pk)
        R.check(st == 200 and counts(rep) == (0, 0, 0, 0), "no body at all, said to be gzip: an empty batch (%s)" % st)
        for batch in ("gz-3", "gz-4"):
            st, rep, _ = post(c, "hukou", batch, good, pk)
            R.check(st == 200 and rep["received"] == 4000 and rep["accepted"] + rep["duplicates"] == 4000
                    and rep["rejected"] == 0,
                    "the good body under %s afterwards: all 4000 taken in once %r" % (batch, counts(rep) if st == 200 else rep))

        corrupt_member(c, pk, "A")

        st, rep, _ = post(c, "hukou", "gz-6", good, pk, encoding="br")
        R.check(is_problem(st, rep, 415, "unsupported_media_type") and "br" in rep.get("detail", ""),
                "Content-Encoding br on a feed: 415 naming it (%s)" % st)
        st, rep, _ = post(c, "hukou", "gz-7", good, pk, encoding="gzip, br")
        R.check(is_problem(st, rep, 415, "unsupported_media_type"), "a list of codings: 415 (%s)" % st)
        st, rep, _ = c.http.call("POST", "/v1/applications", body=gzip.compress(b'{"id_number":"x"}'),
                                 ctype="application/json", headers={"Content-Encoding": "gzip"})
        R.check(is_problem(st, rep, 415, "unsupported_media_type"), "gzip on a JSON route: 415 (%s)" % st)
        st, rep, _ = post(c, "hukou", "gz-8", ndjson(hukou("I", 10)), pk, encoding=" Identity ")
        R.check(st == 200 and counts(rep) == (10, 10, 0, 0), "Content-Encoding identity: a plain body (%s)" % st)
        st, text, _ = c.http.get("/healthz")
        R.check(st == 200, "the gateway still serves")
    finally:
        c.stop()
    c.cleanup()


def small_stack():
    c = Cluster(mode="embedded", extra_config={"gateway.max_body_mb": "2", "gateway.threads": "0",
                                               "ingest.commit_lines": "1"})
    c.start()
    try:
        st, k, _ = c.http.post("/v1/keys", {"name": "registry", "role": "partner", "sources": ["hukou"]})
        pk = k["key"]
        corrupt_member(c, pk, "B")
        bomb = gzip.compress(b"\n" * (8 << 20), compresslevel=9)
        st, rep, _ = post(c, "hukou", "bomb", bomb, pk)
        R.check(is_problem(st, rep, 413, "too_large") and "inflates" in rep.get("detail", ""),
                "%d KB that inflate to 8 MiB with a 2 MiB limit: 413 (%s %r)"
                % (len(bomb) // 1024, st, rep.get("detail") if isinstance(rep, dict) else rep))
        body = ndjson(hukou("S", 1500))
        st, rep, _ = post(c, "hukou", "small", gzip.compress(body), pk)
        R.check(st == 200 and counts(rep) == (1500, 1500, 0, 0),
                "a thread per connection: a %.0f KiB gzip batch taken in %r" % (len(body) / 1024, counts(rep) if st == 200 else rep))
    finally:
        c.stop()
    c.cleanup()


def main():
    main_stack()
    small_stack()
    R.finish()


if __name__ == "__main__":
    main()
