"""The promise of DESIGN.md, tested: kill -9 any service while a feed runs, restart it, and
the final state equals that of a run without faults — no accepted record lost, no effect
applied twice.

A registry (hukou + a year of hrss income) is loaded, then a 100,000-record medical batch
flows through ingest -> verify -> rules -> warn -> notify. In one run nothing is killed; in
one run each, ingest, verify, rules and warn are killed with SIGKILL in the middle and
restarted (when ingest dies the partner's request fails and the partner posts the whole
batch again, as a partner would). Every service's state digest must equal the fault-free
run's, and the batch report must count every record exactly once."""
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, make_id, ndjson  # noqa: E402

R = Results()
PERSONS = int(os.environ.get("SAIS_FAULT_PERSONS", "6000"))
MEDICAL = int(os.environ.get("SAIS_FAULT_MEDICAL", "100000"))
DIGESTED = ["ingest", "verify", "rules", "warn", "notify"]
REGIONS = ["330302", "330303", "330304", "330324", "330326", "330327", "330328", "330329", "330381", "330382"]


def make_data(seed=7):
    rnd = random.Random(seed)
    hukou, hrss, persons = [], [], []
    hh = 0
    i = 0
    while i < PERSONS:
        hh += 1
        region = rnd.choice(REGIONS)
        hid = "H%s%06d" % (region, hh)
        size = rnd.randint(1, 4)
        for m in range(size):
            i += 1
            year = rnd.randint(1945, 2005)
            birth = "%04d-%02d-%02d" % (year, rnd.randint(1, 12), rnd.randint(1, 28))
            pid = make_id(region, birth, i % 1000)
            persons.append(pid)
            hukou.append({"record_id": "hk-%d" % i, "id_number": pid, "name": "居民%d" % i, "household_id": hid,
                          "relation": "head" if m == 0 else rnd.choice(["spouse", "child", "parent"]),
                          "region": region, "phone": "138%08d" % i, "event": "register", "date": "2001-01-01"})
            if rnd.random() < 0.6:
                wage = rnd.choice([800, 1500, 3000, 6000]) * 100
                for k in range(12):
                    mi = 2025 * 12 + 10 + k
                    hrss.append({"record_id": "w-%d-%d" % (i, k), "id_number": pid,
                                 "month": "%04d-%02d" % (mi // 12, mi % 12 + 1), "kind": "wage",
                                 "amount": "%d.%02d" % (wage // 100, wage % 100)})
    medical = []
    for k in range(MEDICAL):
        pid = rnd.choice(persons)
        total = rnd.randint(100, 900000)  # fen
        oop = total * rnd.randint(10, 60) // 100
        day = rnd.randint(1, 300)
        settled = time.strftime("%Y-%m-%d", time.gmtime(time.mktime((2026, 1, 1, 0, 0, 0, 0, 0, 0)) + (day - 1) * 86400))
        medical.append({"record_id": "m-%d" % k, "id_number": pid, "settled_on": settled,
                        "total": "%d.%02d" % (total // 100, total % 100),
                        "insurance_paid": "%d.%02d" % ((total - oop) // 100, (total - oop) % 100),
                        "out_of_pocket": "%d.%02d" % (oop // 100, oop % 100),
                        "category": rnd.choice(["general", "chronic", "serious"])})
    return ndjson(hukou), ndjson(hrss), ndjson(medical)


def run(victim, data):
    hukou, hrss, medical = data
    c = Cluster(mode="split").start()
    try:
        for src, body in (("hukou", hukou), ("hrss", hrss)):
            st, rep, _ = c.post_feed(src, "base-" + src, body)
            assert st == 200 and rep["rejected"] == 0, (src, st, rep)
        c.quiescent()
        result = {}

        def post():
            try:
                result["first"] = c.post_feed("medical", "med-big", medical)
            except OSError as e:  # the connection broke under the partner: it will retry
                result["first"] = (0, {"error": str(e)}, {})

        t = threading.Thread(target=post)
        t.start()
        if victim:
            if victim == "ingest":
                # in the middle of the upload: the batch is being received and some of it is
                # already accepted
                end = time.time() + 60
                while time.time() < end:
                    st, b, _ = c.http.get("/v1/feeds/medical/batches/med-big")
                    st2, feeds, _ = c.http.get("/v1/feeds")
                    acc = [f["accepted"] for f in feeds.get("items", []) if f["source"] == "medical"] if st2 == 200 else [0]
                    if st == 200 and b.get("status") == "receiving" and acc and acc[0] > 0:
                        break
                    time.sleep(0.02)
            else:
                time.sleep(3.0)
            c.kill9(victim)
            time.sleep(0.5)
            c.start_service(victim)
        t.join()
        st, rep, _ = result["first"]
        if st != 200:
            # the partner's retry of the whole batch (same id, same bytes)
            for _ in range(20):
                try:
                    st, rep, _ = c.post_feed("medical", "med-big", medical)
                except OSError:
                    st = 0
                if st == 200:
                    break
                time.sleep(1)
        c.quiescent()
        digests = c.digests(DIGESTED)
        return first_status(result), st, rep, digests
    finally:
        c.stop(check=False)
        c.cleanup()


def first_status(result):
    return result["first"][0]


def main():
    data = make_data()
    t0 = time.time()
    _, st, base_rep, base = run(None, data)
    R.check(st == 200 and base_rep["accepted"] == MEDICAL and base_rep["duplicates"] == 0,
            "fault-free run takes in all %d records (%.1fs): %r" % (MEDICAL, time.time() - t0,
                                                                  {k: base_rep.get(k) for k in ("received", "accepted", "duplicates", "rejected")}))
    for victim in ["ingest", "verify", "rules", "warn"]:
        t0 = time.time()
        first, st, rep, dig = run(victim, data)
        R.check(st == 200 and rep["accepted"] == MEDICAL and rep["duplicates"] == 0 and rep["received"] == MEDICAL,
                "kill -9 %s (first POST answered %d): the report counts every record once: %r"
                % (victim, first, {k: rep.get(k) for k in ("received", "accepted", "duplicates", "rejected")}))
        for svc in DIGESTED:
            R.check(dig[svc] == base[svc], "kill -9 %s: %s state equals the fault-free run's" % (victim, svc))
        print("   (%.1fs)" % (time.time() - t0))
    R.finish()


if __name__ == "__main__":
    main()
