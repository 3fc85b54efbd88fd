"""The 429 of API.md "Conventions": each key is paced by its role (gateway.rate.<role>, a
burst of gateway.rate_burst_s seconds' worth), each client address by its failed
authentications (gateway.auth_failures_per_min).

- a caseworker key spends its burst, then gets 429 problem+json with Retry-After, and is
  served again once that many seconds have passed; another caseworker key and the admin
  key (unlimited by default) are not held back meanwhile;
- a flood of bad keys from one address: the first N are 401s, each audited; after that 429s,
  of which only the first is audited (the chain cannot be grown without bound), while a
  valid key from the same address is still served;
- the 429s are counted per route in /metrics and the audit chain still verifies;
- behind a trusted proxy (gateway.trusted_proxies) each client is counted by the address the
  proxy appends to X-Forwarded-For, so one client's flood does not lock out the others, and
  what a client writes to the left of it does not change which client it is; from an
  untrusted peer the header is ignored;
- /healthz and /metrics, which need no key and ask every service, are paced per client
  address (gateway.probes_per_min)."""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from sais_harness import BIN, Cluster, Results, make_id  # noqa: E402

R = Results()
PER_MIN = 60      # caseworker: one a second
BURST_S = 5       # so a burst of 5
FAILS = 8         # failed authentications a minute per address


def audit_all(c, key):
    out, cursor = [], None
    while True:
        st, body, _ = c.http.get("/v1/audit?limit=1000" + ("&cursor=" + cursor if cursor else ""), key=key)
        assert st == 200, (st, body)
        out += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return out


def main():
    c = Cluster(mode="embedded", extra_config={
        "gateway.rate.caseworker": str(PER_MIN),
        "gateway.rate_burst_s": str(BURST_S),
        "gateway.auth_failures_per_min": str(FAILS),
    })
    c.start()
    try:
        adm = c.http
        keys = {}
        for name, spec in (("cw1", {"role": "caseworker", "regions": ["330326"]}),
                           ("cw2", {"role": "caseworker", "regions": ["330326"]}),
                           ("aud", {"role": "auditor"})):
            st, k, _ = adm.post("/v1/keys", dict(spec, name=name))
            assert st == 201, (st, k)
            keys[name] = k
        pid = make_id("330326", "19800101", 11)
        path = "/v1/persons/" + pid

        # ---- a key's burst, then 429 with Retry-After
        burst = PER_MIN * BURST_S // 60
        got = [adm.get(path, key=keys["cw1"]["key"]) for _ in range(burst)]
        R.check(all(st != 429 for st, _, _ in got),
                "a caseworker key's first %d requests are served (%s)" % (burst, sorted({st for st, _, _ in got})))
        st, body, hdrs = adm.get(path, key=keys["cw1"]["key"])
        retry = hdrs.get("Retry-After")
        R.check(st == 429 and hdrs.get("Content-Type", "").startswith("application/problem+json")
                and body.get("status") == 429 and body.get("type", "").endswith("/rate_limited")
                and keys["cw1"]["id"] in body.get("detail", ""),
                "the next one is a 429 problem naming the key: %s %r" % (st, body))
        R.check(retry is not None and retry.isdigit() and 1 <= int(retry) <= 60,
                "with Retry-After in whole seconds: %r" % retry)
        st2, _, _ = adm.get(path, key=keys["cw2"]["key"])
        R.check(st2 != 429, "another caseworker key is not held back: %s" % st2)
        many = [adm.get(path)[0] for _ in range(50)]
        R.check(429 not in many, "the admin key (unlimited by default) is not held back: %s" % sorted(set(many)))
        time.sleep(int(retry) + 0.2)
        st3, _, _ = adm.get(path, key=keys["cw1"]["key"])
        R.check(st3 != 429, "after Retry-After the key is served again: %s" % st3)

        # ---- failed authentications from one address
        before = audit_all(c, keys["aud"]["key"])
        bad = [adm.get(path, key="sais_000000000000_" + "A" * 43) for _ in range(FAILS)]
        R.check(all(st == 401 for st, _, _ in bad), "the first %d bad keys get 401: %s" % (FAILS, [s for s, _, _ in bad]))
        flood = [adm.get(path, key="sais_000000000000_" + "B" * 43) for _ in range(40)]
        flood += [adm.get(path, key="", headers={"Authorization": "Basic eA=="}) for _ in range(10)]
        R.check(all(st == 429 and h.get("Retry-After") for st, _, h in flood),
                "then 429 with Retry-After, whether the key is unknown or missing: %s" % sorted({s for s, _, _ in flood}))
        st4, _, _ = adm.get(path, key=keys["cw2"]["key"])
        R.check(st4 != 429 and st4 != 401, "a valid key from the same address is still served: %s" % st4)
        after = audit_all(c, keys["aud"]["key"])
        new = after[len(before):]
        n401 = sum(1 for e in new if e["status"] == 401)
        n429 = [e for e in new if e["status"] == 429]
        R.check(n401 == FAILS, "each 401 is audited: %d entries for %d" % (n401, FAILS))
        R.check(len(n429) == 1 and n429[0]["actor"] == "-" and n429[0]["subject"] == "client 127.0.0.1",
                "of the 50 429s only the first is audited, naming the address: %r" % n429)

        st, text, _ = adm.get("/metrics")
        text = text.decode() if isinstance(text, bytes) else text
        lines = [l for l in text.splitlines() if 'status="429"' in l and "persons" in l and "_count" not in l
                 and "_bucket" not in l and "_sum" not in l]
        R.check(any(l.split()[-1] not in ("0",) for l in lines), "/metrics counts the 429s: %s" % lines[:2])
    finally:
        c.stop(check=False)
    r = subprocess.run([BIN, "audit", "verify", "--data", c.data], capture_output=True, text=True, timeout=60)
    R.check(r.returncode == 0 and "intact" in r.stdout, "the audit chain verifies: %s" % r.stdout.strip())
    if not R.failed:
        c.cleanup()
    behind_a_proxy()
    probes()
    R.finish()


def probes():
    """/healthz and /metrics need no key and ask every service: one client looping on them
    took the API from 17.7k to 5.9k req/s. gateway.probes_per_min = 60: a burst of 10, then
    429 with Retry-After for both, while the API is served; then served again."""
    c = Cluster(mode="embedded", extra_config={"gateway.probes_per_min": "60"})
    c._spawn("up", [BIN, "up", "--config", c.cfg])
    try:
        deadline = time.time() + 60
        while not os.path.exists(os.path.join(c.data, "admin.key")) and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        with open(os.path.join(c.data, "admin.key")) as f:
            key = f.read().strip()
        codes = [c.http.get("/healthz" if i % 2 else "/metrics", key="")[0] for i in range(10)]
        R.check(all(x in (200, 503) for x in codes), "ten probes answered: %s" % codes)
        st, body, hdrs = c.http.get("/healthz", key="")
        R.check(st == 429 and isinstance(body, dict) and body.get("type", "").endswith("/rate_limited")
                and int(hdrs.get("Retry-After", "0")) >= 1,
                "the eleventh: 429 with Retry-After %s (%s)" % (hdrs.get("Retry-After"), st))
        st, _, _ = c.http.get("/metrics", key="")
        R.check(st == 429, "/metrics shares the budget (%s)" % st)
        st, _, _ = c.http.get("/v1/policies", key=key)
        R.check(st == 200, "the API is served meanwhile (%s)" % st)
        time.sleep(2.1)
        st, _, _ = c.http.get("/healthz", key="")
        R.check(st in (200, 503), "and the probe again after Retry-After (%s)" % st)
    finally:
        c.stop()
    c.cleanup()


def behind_a_proxy():
    bad = "sais_000000000000_" + "C" * 43
    for proxies, trusted in (("127.0.0.1, ::1", True), ("", False)):
        c = Cluster(mode="embedded", extra_config={"gateway.auth_failures_per_min": str(FAILS),
                                                   "gateway.trusted_proxies": proxies})
        c.start()
        try:
            def fail(xff):
                return c.http.get("/v1/keys", key=bad, headers={"X-Forwarded-For": xff})
            first = [fail("203.0.113.7")[0] for _ in range(FAILS + 3)]
            other = fail("198.51.100.9")[0]
            spoof = fail("192.0.2.1, 203.0.113.7")
            if trusted:
                R.check(first[:FAILS] == [401] * FAILS and first[FAILS:] == [429] * 3,
                        "behind a trusted proxy: client 203.0.113.7 is held back after %d failures %s" % (FAILS, first))
                R.check(other == 401, "another client behind the same proxy is not (%s)" % other)
                R.check(spoof[0] == 429 and "203.0.113.7" in spoof[1].get("detail", ""),
                        "what a client writes left of the proxy's entry does not make it another client: %s %r"
                        % (spoof[0], spoof[1].get("detail") if isinstance(spoof[1], dict) else spoof[1]))
            else:
                R.check(first[FAILS:] == [429] * 3 and other == 429 and "127.0.0.1" in spoof[1].get("detail", ""),
                        "from a peer not trusted the header is ignored: every failure counts against 127.0.0.1")
        finally:
            c.stop()
        c.cleanup()


if __name__ == "__main__":
    main()
