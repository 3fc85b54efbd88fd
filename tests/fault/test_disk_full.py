"""A full disk under the data directory, and the space coming back (SAIS embedded).

The data directory is a 96 MiB tmpfs. Three hukou batches go in, then a file fills the disk.
- the batch that meets the full disk is a 503 problem (ingest's commit failed, or the gateway
  could not write the audit entry and withheld the answer), never a crash;
- /healthz turns 503 "degraded" and its `problems` name the store that cannot be written and
  why; /metrics counts the failed writes (sais_store_write_failures_total) and flags the
  spell (sais_store_write_failing);
- a partner's job retrying 30 times while the disk stays full gets 503 each time, and the log
  says so a few times a minute, not once per attempt;
- the space comes back (the file is deleted, nothing restarted): the same batch posted
  again is taken in, every record of every batch exactly once; the services catch up, every
  person of the last batch reads back, /healthz is 200 "ok" with no problems and no store is
  flagged any more.

Needs root (mount); where a tmpfs cannot be mounted it says so and is skipped (exit 77).
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, make_id, ndjson  # noqa: E402

R = Results()
BATCH = 2000


def batch(b):
    recs = []
    for i in range(BATCH):
        j = b * BATCH + i
        recs.append({"record_id": "r%07d" % j,
                     "id_number": make_id("330326", "%d-01-01" % (1940 + (j // 900) % 60), 1 + j % 900),
                     "name": "程小明", "household_id": "HH-%d" % (j // 3), "relation": "head" if j % 3 == 0 else "child",
                     "region": "330326", "event": "register", "date": "2010-03-01", "note": "温州" * 60})
    return recs


def mount(path, size):
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "tmpfs", path],
                          capture_output=True, text=True)


def failing(c):
    """{service: 1|0} from sais_store_write_failing, and the sum of the failure counters."""
    st, text, _ = c.http.get("/metrics")
    text = text.decode() if isinstance(text, bytes) else text
    flags = {m.group(1): int(m.group(2)) for m in
             re.finditer(r'^sais_store_write_failing\{service="([a-z]+)"\} (\d+)$', text, re.M)}
    total = sum(int(m.group(1)) for m in
                re.finditer(r'^sais_store_write_failures_total\{service="[a-z]+"\} (\d+)$', text, re.M))
    return flags, total


def main():
    c = Cluster(mode="embedded", extra_config={"store.map_mb": "8"})
    os.makedirs(c.data, exist_ok=True)
    m = mount(c.data, "96m")
    if m.returncode != 0:
        print("skip: cannot mount a tmpfs for the data directory here: %s" % m.stderr.strip())
        c.cleanup()
        sys.exit(77)
    mounted = True
    try:
        c.start()
        st, k, _ = c.http.post("/v1/keys", {"name": "registry", "role": "partner", "sources": ["hukou"]})
        assert st == 201, (st, k)
        pk = k["key"]
        for b in range(3):
            st, rep, _ = c.post_feed("hukou", "b%d" % b, ndjson(batch(b)), key=pk)
            assert st == 200, (st, rep)
        c.quiescent(300)
        # something else fills the disk (a log gone wild, a copy left behind)
        ballast = os.path.join(c.data, "ballast")
        chunk = b"\0" * (1 << 20)
        with open(ballast, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(chunk)
            except OSError:
                pass
        st, rep, _ = c.post_feed("hukou", "b3", ndjson(batch(3)), key=pk)
        # ingest's commit fails ("post it again"), or the gateway's audit entry cannot be
        # written and the answer is withheld: either way a problem, and the batch is posted again
        R.check(st == 503 and isinstance(rep, dict) and rep.get("status") == 503 and
                rep.get("type", "").rsplit("/", 1)[-1] in ("store", "audit_unavailable"),
                "a batch posted with the disk full: a 503 problem (%s %r)" % (st, rep))

        hz, problems = None, []
        for _ in range(50):
            st, hz, _ = c.http.get("/healthz")
            problems = hz.get("problems", []) if isinstance(hz, dict) else []
            if problems:
                break
            time.sleep(0.1)
        R.check(st == 503 and hz.get("status") == "degraded", "/healthz: 503 degraded (%s %r)" % (st, hz))
        R.check(any("cannot be written" in p and ("No space left" in p or "Input/output" in p) for p in problems),
                "its problems name the store and why: %r" % problems)
        flags, total = failing(c)
        R.check(total > 0 and any(flags.values()),
                "/metrics: %d failed writes counted, flagged for %s" % (total, [s for s, v in flags.items() if v]))
        st, _, _ = c.http.get("/v1/feeds")
        R.check(st == 200, "reads are still served (%s)" % st)
        # a partner's job retrying while the disk stays full: each attempt fails alike, and
        # the log says so a few times a minute, not once per attempt
        again = ndjson(batch(3))
        codes = [c.post_feed("hukou", "retry-%d" % i, again, key=pk)[0] for i in range(30)]
        R.check(all(x == 503 for x in codes), "30 retries while full: each a 503 (%r)" % sorted(set(codes)))

        os.unlink(ballast)
        full_at = 3
        st, rep, _ = c.post_feed("hukou", "b%d" % full_at, ndjson(batch(full_at)), key=pk)
        R.check(st == 200 and rep["received"] == BATCH and rep["accepted"] + rep["duplicates"] == BATCH
                and rep["rejected"] == 0,
                "space back: the same batch posted again is taken in %r" % ((rep.get("received"), rep.get("accepted"),
                                                                            rep.get("duplicates")) if st == 200 else rep,))
        st, rep, _ = c.post_feed("hukou", "b%d" % (full_at + 1), ndjson(batch(full_at + 1)), key=pk)
        R.check(st == 200 and rep["accepted"] == BATCH, "and the next one (%s)" % st)
        c.quiescent(300)
        st, feeds, _ = c.http.get("/v1/feeds")
        hukou = [f for f in feeds["items"] if f["source"] == "hukou"][0]
        R.check(hukou["accepted"] == (full_at + 2) * BATCH,
                "every record of every batch accepted exactly once: %d of %d" % (hukou["accepted"], (full_at + 2) * BATCH))
        last = batch(full_at + 1)
        ok = all(c.http.get("/v1/persons/" + r["id_number"])[0] == 200 for r in last[::97])
        R.check(ok, "persons of the last batch read back")
        for _ in range(100):
            st, hz, _ = c.http.get("/healthz")
            if st == 200:
                break
            time.sleep(0.3)
        R.check(st == 200 and hz.get("status") == "ok" and hz.get("problems") == [],
                "/healthz: 200 ok, no problems, nothing restarted (%s %r)" % (st, hz))
        flags, _ = failing(c)
        R.check(flags and not any(flags.values()), "no store flagged any more: %r" % flags)
        c.stop()
        with open(os.path.join(c.tmp, "up.log"), errors="replace") as f:
            errors = [line for line in f if " ERROR " in line and "/data/ingest" in line]
        R.check(2 <= len(errors) <= 8,
                "ingest's store failed 31 times and the log says so %d times (at most 6 a minute, "
                "then how many were not logged)" % len(errors))
    finally:
        for p in c.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        if mounted:
            if subprocess.run(["umount", c.data]).returncode != 0:
                subprocess.run(["umount", "-l", c.data])
        c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
