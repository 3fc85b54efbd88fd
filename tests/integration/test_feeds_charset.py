"""CSV feeds in GB18030 / GBK, over real HTTP (SAIS embedded).

Excel on a Chinese Windows saves CSV in GBK, and many partner export jobs write GB2312 or
GBK. Before, a `charset` in the Content-Type was ignored: such a file was read as UTF-8 and
every line with a Chinese name was rejected, with nothing saying why.

- hukou and medical CSV posted as `text/csv; charset=GBK` (names with 𠮷 and a middle dot,
  a hospital name, a GB18030 BOM, a quoted field over two lines): every record accepted, and
  the persons read back in UTF-8 exactly as written;
- the same records sent in UTF-8 under another batch id are all duplicates (the same records);
- the same GBK bytes under the same batch id: the first report; the same bytes without the
  charset under that id: 409 (read as UTF-8 they are other records);
- one damaged byte: that line alone rejected, bad_encoding "not valid GB18030";
- GBK sent without a charset: each line rejected with a report naming GB18030 and the fix;
- gzip and GBK together, and a dry run of a GBK file, give the same counts;
- `charset=latin1` on CSV, `charset=GBK` on NDJSON, an empty charset: 415, and the batch id
  stays free.
"""
import gzip
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, make_id  # noqa: E402

R = Results()

NAMES = ["程小明", "𠮷祥", "阿依·木", "温州"]


def people(tag, n):
    out = []
    for i in range(n):
        out.append({"record_id": "%s-%05d" % (tag, i), "id_number": make_id("330326", "1970-01-01", 1 + i),
                    "name": NAMES[i % len(NAMES)] + "%s" % "一二三四五六七八九十"[i % 10],
                    "household_id": "HH-%s-%d" % (tag, i // 3), "relation": "head" if i % 3 == 0 else "child",
                    "region": "330326", "event": "register", "date": "2010-03-01"})
    return out


def hukou_csv(recs, bom=""):
    rows = ["record_id,id_number,name,household_id,relation,region,event,date,note"]
    for i, r in enumerate(recs):
        note = '"第一行\r\n第二行"' if i == 1 else "备注"
        rows.append(",".join([r["record_id"], r["id_number"], r["name"], r["household_id"], r["relation"],
                              r["region"], r["event"], r["date"], note]))
    return bom + "\r\n".join(rows) + "\r\n"


def medical_csv(recs):
    rows = ["record_id,id_number,settled_on,total,insurance_paid,out_of_pocket,category,hospital"]
    for i, r in enumerate(recs):
        rows.append("M%s,%s,2026-10-0%d,1200.50,800.00,400.50,general,温州市人民医院" %
                    (r["record_id"], r["id_number"], 1 + i % 9))
    return "\r\n".join(rows) + "\r\n"


def post(c, source, batch, body, key, ctype, encoding=None, query=""):
    hdrs = {"Content-Encoding": encoding} if encoding else {}
    return c.http.call("POST", "/v1/feeds/%s/batches?batch_id=%s%s" % (source, batch, query), body=body,
                       key=key, ctype=ctype, headers=hdrs, timeout=120)


def counts(rep):
    return (rep.get("received"), rep.get("accepted"), rep.get("duplicates"), rep.get("rejected"))


def is_problem(st, body, status, code):
    return st == status and isinstance(body, dict) and body.get("type", "").endswith("/" + code)


def main():
    c = Cluster(mode="embedded")
    c.start()
    try:
        st, k, _ = c.http.post("/v1/keys", {"name": "registry", "role": "partner", "sources": ["hukou", "medical"]})
        assert st == 201, (st, k)
        pk = k["key"]
        GBK = "text/csv; charset=GBK"

        recs = people("G", 300)
        text = hukou_csv(recs, bom="\ufeff")
        gb = text.encode("gb18030")
        assert gb[:4] == b"\x84\x31\x95\x33"
        st, rep, _ = post(c, "hukou", "gb-1", gb, pk, GBK)
        R.check(st == 200 and counts(rep) == (300, 300, 0, 0),
                "300 hukou records in GB18030 (BOM, 𠮷, a middle dot): all accepted %r" % (counts(rep) if st == 200 else rep,))
        c.quiescent()   # persons are verify's, which takes the records in from the bus
        for i in (0, 1, 2):
            st, p, _ = c.http.get("/v1/persons/" + recs[i]["id_number"])
            R.check(st == 200 and p.get("name") == recs[i]["name"],
                    "person %d reads back as %r (%r)" % (i, recs[i]["name"], p.get("name") if st == 200 else st))

        st, rep, _ = post(c, "hukou", "gb-1-utf8", text.encode(), pk, "text/csv")
        R.check(st == 200 and counts(rep) == (300, 0, 300, 0),
                "the same records in UTF-8 under another batch id: 300 duplicates %r" % (counts(rep) if st == 200 else rep,))
        st, rep2, _ = post(c, "hukou", "gb-1", gb, pk, "text/csv; charset=gb18030")
        R.check(st == 200 and counts(rep2) == (300, 300, 0, 0),
                "the same GB18030 bytes under the same batch id: the first report (%s)" % st)
        st, rep, _ = post(c, "hukou", "gb-1", gb, pk, "text/csv")
        R.check(st == 409, "the same bytes without the charset under that id: 409, they are other records (%s)" % st)

        st, rep, _ = post(c, "medical", "gb-med", medical_csv(recs[:50]).encode("gbk"), pk, "text/csv;charset=\"GB2312\"")
        R.check(st == 200 and counts(rep) == (50, 50, 0, 0),
                "50 medical records, hospital in GB2312: all accepted %r" % (counts(rep) if st == 200 else rep,))

        more = people("D", 20)
        bad = bytearray(hukou_csv(more).encode("gb18030"))
        at = bad.index(more[5]["name"].encode("gb18030"))
        bad[at + 1] = 0x7F          # a trail byte GB18030 has no place for
        st, rep, _ = post(c, "hukou", "gb-damaged", bytes(bad), pk, GBK)
        errs = rep.get("errors", []) if st == 200 else []
        R.check(st == 200 and counts(rep) == (20, 19, 0, 1) and len(errs) == 1 and errs[0]["line"] == 8
                and errs[0]["record_id"] == more[5]["record_id"] and errs[0]["code"] == "bad_encoding"
                and errs[0]["field"] == "name" and "not valid GB18030" in errs[0]["message"],
                "one damaged byte: that line alone rejected, bad_encoding in GB18030 %r %r" % (counts(rep) if st == 200 else rep, errs))

        und = people("U", 10)
        st, rep, _ = post(c, "hukou", "gb-undeclared", hukou_csv(und).encode("gb18030"), pk, "text/csv")
        errs = rep.get("errors", []) if st == 200 else []
        R.check(st == 200 and rep["rejected"] == 10 and all(
                    e["code"] == "bad_encoding" and "GB18030" in e["message"] and "charset=GB18030" in e["message"]
                    and e["record_id"] for e in errs),
                "GBK without a charset: each line rejected, the report naming GB18030 and the fix %r" % (errs[:1],))
        st, rep, _ = post(c, "hukou", "gb-undeclared-2", hukou_csv(und).encode("gb18030"), pk, GBK)
        R.check(st == 200 and counts(rep) == (10, 10, 0, 0), "posted again with the charset: all 10 accepted %r"
                % (counts(rep) if st == 200 else rep,))

        z = people("Z", 200)
        body = hukou_csv(z).encode("gb18030")
        st, rep, _ = post(c, "hukou", "gb-dry", body, pk, GBK, query="&dry_run=true")
        R.check(st == 200 and rep.get("status") == "checked" and counts(rep) == (200, 200, 0, 0),
                "a dry run of a GBK file: 200 would be accepted %r" % (counts(rep) if st == 200 else rep,))
        st, rep, _ = post(c, "hukou", "gb-gz", gzip.compress(body), pk, GBK, encoding="gzip")
        R.check(st == 200 and counts(rep) == (200, 200, 0, 0),
                "the same file gzipped and GBK: all 200 accepted %r" % (counts(rep) if st == 200 else rep,))

        small = hukou_csv(people("R", 3)).encode("gb18030")
        st, rep, _ = post(c, "hukou", "gb-refused", small, pk, "text/csv; charset=latin1")
        R.check(is_problem(st, rep, 415, "unsupported_charset") and "latin1" in rep.get("detail", ""),
                "charset=latin1 on CSV: 415 naming it (%s %r)" % (st, rep))
        st, rep, _ = post(c, "hukou", "gb-refused", b'{"record_id":"x"}\n', pk, "application/x-ndjson; charset=GBK")
        R.check(is_problem(st, rep, 415, "unsupported_charset") and "NDJSON is UTF-8" in rep.get("detail", ""),
                "charset=GBK on NDJSON: 415, NDJSON is UTF-8 (%s %r)" % (st, rep))
        st, rep, _ = post(c, "hukou", "gb-refused", small, pk, "text/csv; charset=")
        R.check(st == 415, "an empty charset: 415 (%s)" % st)
        st, rep, _ = post(c, "hukou", "gb-refused", small, pk, GBK)
        R.check(st == 200 and counts(rep) == (3, 3, 0, 0), "the batch id was left free by the refusals %r"
                % (counts(rep) if st == 200 else rep,))
        st, _, _ = c.http.get("/healthz")
        R.check(st == 200, "the gateway still serves")
    finally:
        c.stop()
    c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
