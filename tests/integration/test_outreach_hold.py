"""Outreach held while a city is first loaded (rules.outreach = hold, rules_hold.c).

A small generated city (`sais gen --persons 1500`) is loaded twice through the feeds, in the
generator's load order (the registry first, wages after), into two `sais up`:
  - A as it runs every day (outreach on): every change decided as it comes;
  - B with rules.outreach = hold: while held nothing is granted, no proactive case is opened and
    no SMS is sent, although what-if evaluation and a window application still answer; then B
    is restarted with outreach on and decides each household once.
After the release B has the same live entitlements (household, policy, amount, status) and the
same open proactive cases as A, but none of A's noise from the half-loaded registry: no
entitlement granted and stopped again, no proactive case withdrawn, no "stopped" SMS. An
entitlement decided on release names the feed records of the changes held as its evidence.
A value of rules.outreach other than on or hold, or a rules.hold_slice below 1, stops
`sais up` with the key and the value named."""
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import BIN, Cluster, Results, start_refused  # noqa: E402

R = Results()


def pages(c, path):
    items, cursor = [], None
    sep = "&" if "?" in path else "?"
    while True:
        st, page, _ = c.http.get(path + sep + "limit=1000" + ("&cursor=" + cursor if cursor else ""))
        if st != 200:
            raise AssertionError("GET %s: %s %r" % (path, st, page))
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def load(c, gen, order):
    for src in order:
        with open(os.path.join(gen, src + ".ndjson"), "rb") as f:
            st, rep, _ = c.post_feed(src, "gen-" + src, f.read(), timeout=120)
        if st != 200 or rep.get("rejected"):
            raise AssertionError("posting %s: %s %r" % (src, st, rep))
    c.quiescent(timeout=180)


def live(ents):
    return collections.Counter((e["household_id"], e["policy"], e["amount"], e["status"]) for e in ents
                               if e["status"] != "stopped")


def open_cases(apps):
    return sorted((a["household_id"], tuple(a["policies"])) for a in apps
                  if a["origin"] == "proactive" and a["status"] == "pending_review")


def templates(c):
    return collections.Counter(n["template"] for n in pages(c, "/v1/notifications"))


def metric(c, name):
    st, body, _ = c.http.get("/metrics", key="")
    text = body.decode() if isinstance(body, bytes) else str(body)
    for line in text.splitlines():
        if line.startswith(name + "{"):
            return int(float(line.rsplit(" ", 1)[1]))
    return None


def check_bad_values():
    for key, value in (("rules.outreach", "sometimes"), ("rules.hold_slice", "0")):
        rc, out = start_refused(key, value)
        R.check(rc != 0 and key in out and "'%s'" % value in out,
                "%s = %s: sais up refuses to start and names the key and the value (%d)" % (key, value, rc))


def main():
    gen = tempfile.mkdtemp(prefix="sais-hold-gen-")
    a = b = None
    try:
        subprocess.run([BIN, "gen", "--persons", "1500", "--seed", "23", "--out", gen, "--today", "2026-11-23"],
                       check=True, capture_output=True)
        with open(os.path.join(gen, "planted.json"), encoding="utf-8") as f:
            order = json.load(f)["load_order"]

        a = Cluster(mode="embedded").start()
        load(a, gen, order)
        a_ents, a_apps, a_notes = pages(a, "/v1/entitlements"), pages(a, "/v1/applications"), templates(a)
        R.check(any(e["status"] == "stopped" for e in a_ents) and any(x["status"] == "rejected" for x in a_apps),
                "outreach on: the half-loaded registry made grants that were stopped and cases that were "
                "withdrawn (what holding avoids; %d stopped, %d withdrawn)"
                % (sum(e["status"] == "stopped" for e in a_ents), sum(x["status"] == "rejected" for x in a_apps)))

        # slices of 64: the release takes several transactions, each its own turn of the loop
        b = Cluster(mode="embedded", extra_config={"rules.outreach": "hold", "rules.hold_slice": 64}).start()
        load(b, gen, order)
        R.check(pages(b, "/v1/entitlements") == [], "held: nothing is granted while the city loads")
        held_n = metric(b, "sais_rules_held_households")
        R.check(metric(b, "sais_rules_outreach_held") == 1 and held_n and held_n > 0,
                "held: /metrics says outreach is held and how many households wait (%s)" % held_n)
        R.check(pages(b, "/v1/applications") == [], "held: no proactive case is opened")
        held_notes = templates(b)
        R.check(not any(t.startswith("sms.") or ".entitlement." in t or ".application." in t for t in held_notes),
                "held: no SMS and no inbox message about grants or cases (%r)" % dict(held_notes))
        # a what-if still answers on the stored pictures
        case_hh = open_cases(a_apps)[0][0]
        st, res, _ = b.http.post("/v1/policies/evaluate", {"household_id": case_hh})
        dec = {r["policy"]: r for r in res.get("results", [])} if st == 200 else {}
        R.check(st == 200 and any(r.get("eligible") for r in dec.values()),
                "held: POST /v1/policies/evaluate still decides household %s (%s)" % (case_hh, st))
        # a window application is decided, not held
        head = next(x["id_number"] for x in a_apps if x["household_id"] == case_hh)
        st, app, _ = b.http.post("/v1/applications", {"id_number": head, "channel": "window",
                                                     "filed_region": head[:6]})
        app_id = app.get("application_id") if st in (200, 201, 202) else None
        end, status = time.time() + 30, None
        while app_id and time.time() < end:
            _, got, _ = b.http.get("/v1/applications/" + app_id)
            status = got.get("status")
            if status in ("pending_review", "approved", "rejected"):
                break
            time.sleep(0.2)
        R.check(status == "pending_review", "held: an application filed at a window is decided (%s)" % status)

        b.stop()
        with open(b.cfg) as f:
            conf = f.read().replace("rules.outreach = hold", "rules.outreach = on")
        with open(b.cfg, "w") as f:
            f.write(conf)
        b.start()
        b.quiescent(timeout=180)
        b_ents, b_apps, b_notes = pages(b, "/v1/entitlements"), pages(b, "/v1/applications"), templates(b)
        R.check(metric(b, "sais_rules_outreach_held") == 0 and metric(b, "sais_rules_held_households") == 0,
                "released: /metrics says outreach is on and no household waits")
        R.check(live(b_ents) == live(a_ents) and live(b_ents),
                "released: the same %d live entitlements (household, policy, amount, status) as the run "
                "that decided every change (%d)" % (sum(live(b_ents).values()), sum(live(a_ents).values())))
        R.check(not any(e["status"] == "stopped" for e in b_ents), "released: no entitlement was granted and stopped")
        # the window application of the same household is the open case there: leave it out
        b_cases = [x for x in open_cases(b_apps) if x[0] != case_hh]
        R.check(b_cases == [x for x in open_cases(a_apps) if x[0] != case_hh] and b_cases,
                "released: the same %d open proactive cases" % len(b_cases))
        R.check(not any(x["status"] == "rejected" for x in b_apps), "released: no proactive case was withdrawn")
        R.check(b_notes.get("sms.entitlement.stopped", 0) == 0 and
                0 < b_notes.get("sms.entitlement.granted", 0) <= len(b_ents),
                "released: at most one 'granted' SMS per grant, no 'stopped' SMS (A sent %d granted, %d stopped)"
                % (a_notes.get("sms.entitlement.granted", 0), a_notes.get("sms.entitlement.stopped", 0)))
        with_ev = [e for e in b_ents if any(v.get("source") == "hukou" for v in e.get("evidence", []))]
        R.check(with_ev, "released: a grant names the held changes' feed records as its evidence "
                "(%d of %d name a hukou record)" % (len(with_ev), len(b_ents)))
    finally:
        for c in (a, b):
            if c:
                try:
                    c.stop(check=False)
                finally:
                    c.cleanup()
        shutil.rmtree(gen, ignore_errors=True)
    check_bad_values()
    R.finish()


if __name__ == "__main__":
    main()
