"""A household's picture is recomputed once per feed batch, at its end (verify_refresh.c).

A registry of 40 three-person households is loaded, then one medical batch of 600 records
dealt round-robin over the 120 persons, with ingest committing every 10 records: each
household is touched in some 60 envelopes of the batch. verify announces each household once
(household.changed: the verify log grows by exactly 40), and each person's 12-month OOP and
each household's picture hold every record.

The same data goes through a second SAIS with verify.refresh_slice = 7, so that the 40 owed
refreshes are swept in slices by verify's tick while the batch's feed.done waits (the bus
reports verify behind ingest until then): the announcements, verify's state digest and
rules' and warn's equal the first run's.

While a hukou batch is still being posted (a chunked body, paused half way), a household it
registers is already answered by GET /v1/households from its members' folded facts, though
its stored picture is owed until the batch ends. A batch cut off half way and never posted
again has what it owes announced after verify.refresh_orphan_s. Two deaths in one civil batch are
each judged against the household as the one before left it, wherever the envelopes were cut.
A bad verify.refresh_slice or verify.refresh_orphan_s stops `sais up` with the key and the value named."""
import http.client
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, make_id, ndjson, start_refused  # noqa: E402

R = Results()
REGION = "330326"
NHH = 40


def registry():
    hukou, persons = [], []
    for h in range(NHH):
        hid = "H%s77%04d" % (REGION, h)
        for m in range(3):
            pid = make_id(REGION, "19%02d-0%d-1%d" % (50 + h % 40, 1 + m, m), 100 + h * 3 + m)
            persons.append(pid)
            hukou.append({"record_id": "hk-%d-%d" % (h, m), "id_number": pid, "name": "居民%d%d" % (h, m),
                          "household_id": hid, "relation": "head" if m == 0 else "child", "region": REGION,
                          "event": "register", "date": "2005-01-01"})
    return hukou, persons


def medical(persons):
    out, oop = [], {}
    for k in range(600):
        pid = persons[k % len(persons)]
        cents = 1000 + 37 * k
        out.append({"record_id": "md-%d" % k, "id_number": pid, "settled_on": "2026-%02d-%02d" % (1 + k % 9, 1 + k % 27),
                    "total": "%d.%02d" % (2 * cents // 100, 2 * cents % 100),
                    "insurance_paid": "%d.%02d" % (cents // 100, cents % 100),
                    "out_of_pocket": "%d.%02d" % (cents // 100, cents % 100), "category": "general"})
        oop[pid] = oop.get(pid, 0) + cents
    return out, oop


def head_of(c, service):
    st, body, _ = c.http.get("/metrics", key="")
    text = body.decode() if isinstance(body, bytes) else str(body)
    for line in text.splitlines():
        if line.startswith('sais_bus_head{service="%s"}' % service):
            return int(float(line.rsplit(" ", 1)[1]))
    return None


def run(slice_):
    c = Cluster(extra_config={"ingest.commit_lines": 10, "verify.refresh_slice": slice_}).start()
    try:
        hukou, persons = registry()
        st, rep, _ = c.post_feed("hukou", "reg-1", ndjson(hukou))
        R.check(st == 200 and rep.get("accepted") == len(hukou), "slice %d: registry taken in (%s %r)"
                % (slice_, st, rep if st != 200 else rep.get("accepted")))
        c.quiescent()
        before = head_of(c, "verify")
        recs, oop = medical(persons)
        st, rep, _ = c.post_feed("medical", "med-1", ndjson(recs))
        R.check(st == 200 and rep.get("accepted") == len(recs), "slice %d: medical batch taken in" % slice_)
        c.quiescent()
        after = head_of(c, "verify")
        R.check(after - before == NHH, "slice %d: one household.changed per household the batch touched "
                "(%d announcements for %d households, in some 60 envelopes each)" % (slice_, after - before, NHH))
        wrong = []
        for pid in persons[::7]:
            st, p, _ = c.http.get("/v1/persons/" + pid)
            if st != 200 or abs(float(p.get("medical_oop_12m", -1)) * 100 - oop[pid]) > 0.5:
                wrong.append((pid, st, p.get("medical_oop_12m") if st == 200 else p))
        R.check(not wrong, "slice %d: every record of the batch is in the persons' 12-month OOP %r" % (slice_, wrong[:3]))
        hh = {}
        for h in range(NHH):
            st, body, _ = c.http.get("/v1/households/H%s77%04d" % (REGION, h))
            hh[h] = body if st == 200 else st
        digests = c.digests(["verify", "rules", "warn"])
        return hh, digests, after - before
    finally:
        c.stop(check=False)
        c.cleanup()


def two_halves():
    """A hukou batch: the registry with 6,400 neighbours' registrations after its first 60
    records, cut so that the first half is more than the MiB the gateway hands ingest at a
    time. (records, first half, second half) as NDJSON bytes."""
    hukou, _ = registry()
    pad = [{"record_id": "pad-%d" % i, "id_number": make_id("330327", "19%02d-%02d-%02d" % (
                60 + i % 20, 1 + (i // 20) % 12, 1 + (i // 240) % 28), 500 + i % 400),
            "name": "邻居%d" % i, "household_id": "H33032799%04d" % (i // 3), "relation": "head" if i % 3 == 0
            else "child", "region": "330327", "event": "register", "date": "2005-01-01"} for i in range(6400)]
    hukou = hukou[:60] + pad + hukou[60:]
    first, second = ndjson(hukou[:6460]), ndjson(hukou[6460:])
    R.check(len(first) > (1 << 20), "the first half is more than one gateway chunk (%d bytes)" % len(first))
    return hukou, first, second


def cut_off():
    """A batch cut off half way and never posted again: what it owes is done after
    verify.refresh_orphan_s with nothing new from ingest."""
    c = Cluster(mode="embedded", extra_config={"ingest.commit_lines": 50, "verify.refresh_orphan_s": 2}).start()
    try:
        _, first, _ = two_halves()
        before = head_of(c, "verify")
        s = socket.create_connection(("127.0.0.1", c.http_port), timeout=30)
        s.sendall(("POST /v1/feeds/hukou/batches?batch_id=cut-1 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Authorization: Bearer %s\r\nContent-Type: application/x-ndjson\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n%x\r\n" % (c.http.key, len(first))).encode() + first + b"\r\n")
        # the first MiB reaches ingest and verify; then the partner goes away for good
        end = time.time() + 30
        while time.time() < end:
            st, body, _ = c.http.get("/v1/households/H%s77%04d" % (REGION, 3))
            if st == 200:
                break
            time.sleep(0.1)
        s.close()
        mid = head_of(c, "verify")
        R.check(mid == before, "cut off: nothing is announced while the batch might still end (%s, %s)"
                % (before, mid))
        after, end = mid, time.time() + 30
        while time.time() < end and after <= mid + 1000:
            time.sleep(0.3)
            after = head_of(c, "verify")
        R.check(after >= mid + 1000, "cut off: after verify.refresh_orphan_s the households the cut batch "
                "touched are announced (%d announcements)" % (after - mid))
    finally:
        c.stop(check=False)
        c.cleanup()


def breadwinners(commit_lines):
    """Two deaths in one civil batch: the father, who earned most, then the mother, who earned
    most once he was gone. Each is a breadwinner_death, wherever ingest cut the envelopes."""
    c = Cluster(mode="embedded", extra_config={"ingest.commit_lines": commit_lines}).start()
    try:
        hid = "H%s779999" % REGION
        dad, mum, kid = (make_id(REGION, b, s) for b, s in (("1960-03-03", 901), ("1962-04-04", 912),
                                                             ("1990-05-05", 921)))
        hukou = [{"record_id": "bw-hk-%d" % i, "id_number": pid, "name": "成员%d" % i, "household_id": hid,
                  "relation": rel, "region": REGION, "event": "register", "date": "2005-01-01"}
                 for i, (pid, rel) in enumerate(((dad, "head"), (mum, "spouse"), (kid, "child")))]
        months = ["2025-%02d" % m for m in (11, 12)] + ["2026-%02d" % m for m in range(1, 11)]
        hrss = [{"record_id": "bw-w-%s-%s" % (pid[-4:], mo), "id_number": pid, "month": mo, "kind": "wage",
                 "amount": amount} for pid, amount in ((dad, "5000.00"), (mum, "3000.00"), (kid, "1000.00"))
                for mo in months]
        civil = [{"record_id": "bw-cv-1", "id_number": dad, "event": "death", "date": "2026-09-01"},
                 {"record_id": "bw-cv-2", "id_number": mum, "event": "death", "date": "2026-10-01"}]
        for src, bid, recs in (("hukou", "bw-hk", hukou), ("hrss", "bw-hrss", hrss), ("civil", "bw-cv", civil)):
            st, rep, _ = c.post_feed(src, bid, ndjson(recs))
            R.check(st == 200 and rep.get("accepted") == len(recs), "breadwinners (%d a commit): %s taken in"
                    % (commit_lines, src))
            c.quiescent()
        # one open alert per household and kind: the second death joins it as evidence
        st, body, _ = c.http.get("/v1/alerts?kind=breadwinner_death&household_id=" + hid)
        ev = sorted(e["record_id"] for a in body.get("items", []) for e in a.get("evidence", [])
                    if e.get("source") == "civil") if st == 200 else st
        R.check(ev == ["bw-cv-1", "bw-cv-2"], "breadwinners (%d a commit): both deaths are breadwinner deaths, "
                "the mother's judged on the household without the father (civil evidence %r)" % (commit_lines, ev))
    finally:
        c.stop(check=False)
        c.cleanup()


def bad_values():
    for key, value in (("verify.refresh_slice", "0"), ("verify.refresh_orphan_s", "0"),
                       ("verify.refresh_orphan_s", "90000")):
        rc, out = start_refused(key, value)
        R.check(rc != 0 and key in out and "'%s'" % value in out,
                "%s = %s: sais up refuses to start and names the key and the value (%d)" % (key, value, rc))
    rc, out = start_refused("verify.refresh_slice", "many")
    R.check(rc != 0 and "verify.refresh_slice" in out and "not an integer" in out,
            "verify.refresh_slice = many: the config file is refused, naming the key (%d)" % rc)


def slow_hukou():
    """A hukou batch posted in two halves with a pause: mid-batch reads of a new household."""
    c = Cluster(mode="embedded", extra_config={"ingest.commit_lines": 50}).start()
    try:
        hukou, first, second = two_halves()
        go_on = threading.Event()
        result = {}

        def blocks():
            yield first
            go_on.wait(60)
            yield second

        def post():
            conn = http.client.HTTPConnection("127.0.0.1", c.http_port, timeout=120)
            try:
                conn.request("POST", "/v1/feeds/hukou/batches?batch_id=slow-1", body=blocks(),
                             headers={"Authorization": "Bearer " + c.http.key,
                                      "Content-Type": "application/x-ndjson"}, encode_chunked=True)
                r = conn.getresponse()
                result["status"] = r.status
                result["body"] = json.loads(r.read().decode())
            finally:
                conn.close()

        t = threading.Thread(target=post)
        t.start()
        target = "/v1/households/H%s77%04d" % (REGION, 3)   # its three members are in the first half
        got, end = None, time.time() + 30
        while time.time() < end:
            st, body, _ = c.http.get(target)
            if st == 200 and body.get("size") == 3:
                got = body
                break
            time.sleep(0.1)
        R.check(got is not None and len(got["members"]) == 3,
                "mid-batch: a household the unfinished batch registered is read from its members (%r)"
                % (got and got.get("members")))
        go_on.set()
        t.join(120)
        R.check(result.get("status") == 200 and result["body"].get("accepted") == len(hukou),
                "mid-batch: the batch then finishes (%r)" % result)
        c.quiescent()
        st, body, _ = c.http.get("/v1/households/H%s77%04d" % (REGION, NHH - 1))
        # (the last household's members come after the pause)
        R.check(st == 200 and body.get("size") == 3, "after the batch: its last household is stored (%s)" % st)
    finally:
        c.stop(check=False)
        c.cleanup()


def main():
    a_hh, a_dig, a_n = run(2048)
    b_hh, b_dig, b_n = run(7)
    R.check(a_n == b_n and a_hh == b_hh,
            "refreshes swept in slices of 7 while feed.done waits announce and answer the same as in one "
            "transaction (%d and %d announcements)" % (a_n, b_n))
    R.check(a_dig == b_dig, "and leave the same verify, rules and warn state (%r vs %r)" % (a_dig, b_dig))
    slow_hukou()
    cut_off()
    breadwinners(1000)
    breadwinners(1)
    bad_values()
    R.finish()


if __name__ == "__main__":
    main()
