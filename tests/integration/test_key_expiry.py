"""API keys that expire (POST /v1/keys "expires_at"), SAIS embedded with its clock pinned:

- a key made with an expiry shows it, in the answer and in GET /v1/keys; one without shows
  null; an expiry not in the future, not a time, or not a string is a 422 on that field;
- before its time the key works; with the clock past it (SAIS restarted on a later pinned
  clock) it is a 401 naming when it expired, audited like any 401, while the key without an
  expiry still works.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import PINNED_NOW, Cluster, Results  # noqa: E402

R = Results()
EXPIRES = "2026-11-23T09:00:00Z"   # an hour after the pinned clock


def main():
    c = Cluster(mode="embedded")
    c.start()
    try:
        adm = c.http
        st, k, _ = adm.post("/v1/keys", {"name": "winter drive", "role": "charity", "expires_at": EXPIRES})
        R.check(st == 201 and k.get("expires_at") == EXPIRES, "a key with an expiry shows it: %s %r" % (st, k.get("expires_at")))
        st, f, _ = adm.post("/v1/keys", {"name": "standing", "role": "charity"})
        R.check(st == 201 and "expires_at" in f and f["expires_at"] is None, "one without: expires_at null (%r)" % f.get("expires_at"))
        st, lst, _ = adm.get("/v1/keys")
        by = {i["id"]: i for i in lst["items"]} if st == 200 else {}
        R.check(by.get(k["id"], {}).get("expires_at") == EXPIRES and by.get(f["id"], {}).get("expires_at", 1) is None,
                "GET /v1/keys lists both expiries")
        for bad, why in ((PINNED_NOW, "now"), ("2026-11-22T08:00:00Z", "in the past"), ("next spring", "not a time"),
                         (1798761600, "a number")):
            st, b, _ = adm.post("/v1/keys", {"name": "x", "role": "charity", "expires_at": bad})
            errs = b.get("errors", []) if isinstance(b, dict) else []
            R.check(st == 422 and errs and errs[0].get("field") == "expires_at",
                    "an expiry %s: 422 on expires_at (%s %r)" % (why, st, errs[:1]))
        st, _, _ = adm.get("/v1/stats", key=k["key"])
        R.check(st == 200, "before its time the key works (%s)" % st)
    finally:
        c.stop()

    # the same data, the clock two hours on
    with open(c.cfg) as fh:
        text = fh.read()
    with open(c.cfg, "w") as fh:
        fh.write(re.sub(r"^clock\.now = .*$", "clock.now = 2026-11-23T10:00:00Z", text, flags=re.M))
    c.start()
    try:
        st, b, h = c.http.get("/v1/stats", key=k["key"])
        R.check(st == 401 and EXPIRES in b.get("detail", "") and k["id"] in b.get("detail", "")
                and "invalid_token" in h.get("WWW-Authenticate", ""),
                "after it, a 401 naming when it expired: %s %r" % (st, b.get("detail") if isinstance(b, dict) else b))
        st, _, _ = c.http.get("/v1/stats", key=f["key"])
        R.check(st == 200, "the key without an expiry still works (%s)" % st)
        st, aud, _ = c.http.post("/v1/keys", {"name": "auditor", "role": "auditor"})
        st, log, _ = c.http.get("/v1/audit?limit=1000", key=aud["key"])
        R.check(st == 200 and any(e["status"] == 401 and e["action"] == "GET /v1/stats" for e in log["items"]),
                "the expired key's 401 is in the audit chain")
    finally:
        c.stop()
    c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
