"""What the gateway's polling threads (gateway.threads > 0) do while a service keeps them
waiting: the wait is parked on a worker (gateway.workers), so the other connections go on.

Split mode, so one service can be frozen alone (SIGSTOP). With intake frozen, applications
hang until gateway.request_timeout_ms; meanwhile a read of a person (verify, another
process) and the key list (the gateway's own store) are answered at once. With more hung
requests than workers, a read waits its turn and is still answered, never dropped. Once
intake is thawed, applications are filed again; every answer of the run, the 504s
included, is in the audit chain, and the chain verifies.
"""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import BIN, Cluster, Results, make_id, ndjson  # noqa: E402

R = Results()
PY = "330326"
WORKERS = 4
TIMEOUT_MS = 2500
PERSON = make_id(PY, "1980-02-02", 11)


def registry():
    return ndjson([{"record_id": "wt-hk-1", "id_number": PERSON, "name": "林晓",
                    "household_id": "H330326000901", "relation": "head", "region": PY,
                    "phone": "13800001111", "event": "register", "date": "2004-01-01"}])


def post_apps(c, n, out):
    def one(i):
        t0 = time.time()
        try:
            st, _, _ = c.http.post("/v1/applications", {"id_number": PERSON, "channel": "window",
                                                         "filed_region": PY}, timeout=30)
        except Exception as e:   # noqa: BLE001 - the test reports whatever happened
            st = repr(e)
        out.append((st, time.time() - t0))
    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    return ts


def timed_get(c, path):
    t0 = time.time()
    st, _, _ = c.http.get(path, timeout=30)
    return st, time.time() - t0


def main():
    c = Cluster(mode="split", extra_config={"gateway.threads": "1", "gateway.workers": str(WORKERS),
                                            "gateway.request_timeout_ms": str(TIMEOUT_MS)})
    c.start()
    try:
        st, rep, _ = c.post_feed("hukou", "wt-hk", registry())
        R.check(st == 200 and rep.get("accepted") == 1, "the registry is taken in (%s)" % (rep,))
        end = time.time() + 30
        while time.time() < end and timed_get(c, "/v1/persons/" + PERSON)[0] != 200:
            time.sleep(0.2)
        st, _, _ = c.http.post("/v1/applications", {"id_number": PERSON, "channel": "window", "filed_region": PY})
        R.check(st == 201, "an application is filed while intake runs (%s)" % st)

        # ---- fewer hung requests than workers: the others do not notice
        intake = c.procs["intake"]
        intake.send_signal(signal.SIGSTOP)
        hung = []
        threads = post_apps(c, WORKERS - 1, hung)
        time.sleep(0.5)
        st, took = timed_get(c, "/v1/persons/" + PERSON)
        R.check(st == 200 and took < 1.0, "a person is read while %d applications hang (%s, %.2f s)"
                % (WORKERS - 1, st, took))
        st, took = timed_get(c, "/v1/keys")
        R.check(st == 200 and took < 1.0, "the key list is read meanwhile (%s, %.2f s)" % (st, took))
        for t in threads:
            t.join()
        R.check(len(hung) == WORKERS - 1 and all(s == 504 for s, _ in hung),
                "the hung applications end as 504 after gateway.request_timeout_ms (%s)" % hung)

        # ---- more hung requests than workers: a read waits its turn, and is answered
        hung = []
        threads = post_apps(c, WORKERS + 2, hung)
        time.sleep(0.5)
        st, took = timed_get(c, "/v1/persons/" + PERSON)
        R.check(st == 200 and took < 3 * TIMEOUT_MS / 1000.0,
                "with every worker waiting, a read is queued and answered (%s, %.2f s)" % (st, took))
        for t in threads:
            t.join()
        R.check(len(hung) == WORKERS + 2 and all(s == 504 for s, _ in hung),
                "every hung application is answered 504 (%s)" % hung)

        intake.send_signal(signal.SIGCONT)
        end, st = time.time() + 30, None
        while time.time() < end:
            st, _, _ = c.http.post("/v1/applications", {"id_number": PERSON, "channel": "window",
                                                         "filed_region": PY})
            if st in (200, 201):
                break
            time.sleep(0.3)
        R.check(st in (200, 201), "intake thawed: applications are filed again (%s)" % st)

        st, body, _ = c.http.get("/v1/audit?action=POST%20/v1/applications&limit=100")
        statuses = sorted(i["status"] for i in body.get("items", []))
        R.check(st == 200 and statuses.count(504) == 2 * WORKERS + 1,
                "each 504 is in the audit chain (%s)" % statuses)
    finally:
        if c.procs["intake"].poll() is None:
            c.procs["intake"].send_signal(signal.SIGCONT)
        c.stop(check=False)
    r = subprocess.run([BIN, "audit", "verify", "--data", c.data], capture_output=True, text=True, timeout=60)
    R.check(r.returncode == 0 and "intact" in r.stdout, "sais audit verify: %s" % r.stdout.strip())
    c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
