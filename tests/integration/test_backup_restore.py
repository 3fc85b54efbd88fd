"""Backup and restore as README "Backup and restore" tells an operator to do it, one process
per service:

- with the county stopped, `mdb_copy -c` of every service's store (and admin.key) is a
  backup; restored in place of newer data, every service's state digest is what it was when
  the backup was made, and posting again what came after gives back the later state;
- restoring one service from an older backup than the rest (ingest here) is found, not
  papered over: verify, whose cursor is past ingest's restored log, logs an error, says
  "diverged" in bus.status, and takes nothing more from ingest, even when ingest's log has
  grown past its cursor again (before, it would have applied the new events under numbers it
  had already taken and skipped the rest without a word); the finding outlives a restart.
"""
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import SERVICES, Cluster, Results, make_id, ndjson  # noqa: E402

R = Results()


def feeds(tag, n):
    """n households of two: registry records and one medical settlement each."""
    hk, md = [], []
    for i in range(n):
        hid = "HH-330326-%s%04d" % (tag, i)
        a, b = make_id("330326", "1975-01-01", 1 + i % 450 * 2), make_id("330326", "1977-02-02", 2 + i % 450 * 2)
        for k, (pid, rel) in enumerate(((a, "head"), (b, "spouse"))):
            hk.append({"record_id": "%s-hk-%d-%d" % (tag, i, k), "id_number": pid, "name": "程%s" % tag,
                       "household_id": hid, "relation": rel, "region": "330326", "phone": "",
                       "event": "register", "date": "2010-01-01"})
        md.append({"record_id": "%s-md-%d" % (tag, i), "id_number": a, "settled_on": "2026-10-01",
                   "total": "1000.00", "insurance_paid": "400.00", "out_of_pocket": "600.00",
                   "category": "general", "hospital": "平阳县人民医院"})
    return ndjson(hk), ndjson(md)


def post(c, tag, n, key):
    hk, md = feeds(tag, n)
    for src, body in (("hukou", hk), ("medical", md)):
        st, rep, _ = c.post_feed(src, "%s-%s" % (tag, src), body, key=key)
        assert st == 200 and rep["rejected"] == 0, (st, rep)


def settled(c):
    """The bus caught up and intake's applications all moved on (proactive cases become
    applications that intake moves on over its ticks, which the cursors do not show)."""
    c.quiescent()
    for _ in range(600):
        st = c.status()
        if st and st.get("intake") and st["intake"].get("work_pending") == 0:
            return c.quiescent()
        time.sleep(0.1)
    raise AssertionError("intake's work did not drain: %r" % (st or {}).get("intake"))


def backup(c, dest):
    """The README's procedure, with the county stopped."""
    os.makedirs(dest)
    for s in SERVICES:
        src = os.path.join(c.data, s)
        if os.path.exists(os.path.join(src, "data.mdb")):
            os.makedirs(os.path.join(dest, s))
            r = subprocess.run(["mdb_copy", "-c", src, os.path.join(dest, s)], capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stderr
    shutil.copy2(os.path.join(c.data, "admin.key"), dest)


def restore(c, src, only=None):
    for s in (only or SERVICES):
        if os.path.isdir(os.path.join(src, s)):
            shutil.rmtree(os.path.join(c.data, s), ignore_errors=True)
            shutil.copytree(os.path.join(src, s), os.path.join(c.data, s))


def main():
    c = Cluster(mode="split")
    c.start()
    try:
        st, k, _ = c.http.post("/v1/keys", {"name": "feeds", "role": "partner", "sources": ["hukou", "medical"]})
        pk = k["key"]
        post(c, "A", 300, pk)
        settled(c)
        d1 = c.digests(SERVICES)
    finally:
        c.stop()
    b1 = os.path.join(c.tmp, "backup-1")
    backup(c, b1)

    c.start()
    try:
        post(c, "B", 200, pk)
        settled(c)
        d2 = c.digests(SERVICES)
    finally:
        c.stop()
    R.check(d1 != d2, "the second feeds changed the state")

    restore(c, b1)
    c.start()
    try:
        settled(c)
        got = c.digests(SERVICES)
        R.check(got == d1, "restored from the backup, every service is as it was when it was made: %s"
                % [s for s in SERVICES if got[s] != d1[s]])
        post(c, "B", 200, pk)
        settled(c)
        got = c.digests(SERVICES)
        R.check(got == d2, "posting again what came after gives back the later state: %s"
                % [s for s in SERVICES if got[s] != d2[s]])
        before = c.status()
        R.check(before["intake"].get("work_pending") == 0, "bus.status shows intake's pending work (0 now)")
    finally:
        c.stop()

    # ingest alone from the older backup: verify's cursor is past ingest's log
    restore(c, b1, only=["ingest"])
    c.start()
    try:
        verify_cursor = before["verify"]["cursors"]["ingest"]
        st = None
        for _ in range(100):
            st = c.status()
            if st and st.get("verify") and st["verify"].get("diverged", {}).get("ingest") == 1:
                break
            time.sleep(0.2)
        R.check(st and st["verify"]["diverged"]["ingest"] == 1, "verify says ingest diverged: %r"
                % (st["verify"].get("diverged") if st and st.get("verify") else st))
        log = open(os.path.join(c.tmp, "verify.log"), errors="replace").read()
        R.check("has lost events" in log and "Backup and restore" in log, "and logs why, as an error")
        for i in range(6):   # ingest's log grows past verify's cursor again
            post(c, "C%d" % i, 50, pk)
        time.sleep(2)
        st = c.status()
        R.check(st["ingest"]["head"] > verify_cursor, "ingest's log is past verify's cursor again (%d > %d)"
                % (st["ingest"]["head"], verify_cursor))
        R.check(st["verify"]["cursors"]["ingest"] == verify_cursor,
                "verify took nothing from it: its cursor stays at %d (%d)" % (verify_cursor, st["verify"]["cursors"]["ingest"]))
        c.stop_service("verify")
        c.start_service("verify")
        time.sleep(2)
        st = c.status()
        log = open(os.path.join(c.tmp, "verify.log"), errors="replace").read()
        R.check(st["verify"]["diverged"]["ingest"] == 1 and st["verify"]["cursors"]["ingest"] == verify_cursor
                and log.count("lost events") >= 2, "after a restart verify still takes nothing and says why")
    finally:
        c.stop(check=False)
    if not R.failed:
        c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
