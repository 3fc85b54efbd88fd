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
verify holds too: while held it owes the households' refreshes across the feeds (a read
computes the picture on the spot) and announces each household about once, on release;
every household then reads the same in A and B. In D (one process per service) verify is
released alone, and rules after it has taken in verify's release: rules starts deciding at
once, from verify's word it kept, instead of waiting 30 minutes for a word already given.
A third run, C, is killed (-9) while verify
releases its held refreshes, one household per transaction, and started again: it ends as B does.
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
from sais_harness import BIN, Cluster, Results, ndjson, start_refused  # noqa: E402

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


def release(c):
    """The operator's release: outreach set back to on in the config, sais up restarted."""
    c.stop()
    with open(c.cfg) as f:
        conf = f.read().replace("rules.outreach = hold", "rules.outreach = on")
    with open(c.cfg, "w") as f:
        f.write(conf)
    c.start()


def households(gen):
    ids = set()
    with open(os.path.join(gen, "hukou.ndjson"), encoding="utf-8") as f:
        for line in f:
            ids.add(json.loads(line)["household_id"])
    return sorted(ids)


def picture(c, hh):
    """What GET /v1/households/{id} says of the household itself (its benefits left out: A's
    include the grants it stopped again)."""
    st, body, _ = c.http.get("/v1/households/" + hh)
    if st != 200:
        return st
    return {k: v for k, v in body.items() if k not in ("entitlements", "category")}


def release_killed(gen, order, a_ents, a_apps, a_pics):
    """C: held load, restarted with outreach on, killed -9 while verify releases, started again."""
    c = Cluster(mode="embedded", extra_config={"rules.outreach": "hold", "rules.hold_slice": 8,
                                               "verify.refresh_slice": 1})
    try:
        c.start()
        load(c, gen, order)
        owed0 = metric(c, "sais_verify_owed_households")
        release(c)
        owed, end = None, time.time() + 60
        while time.time() < end:
            owed = metric(c, "sais_verify_owed_households")
            if owed is not None and owed < owed0:
                break
            time.sleep(0.01)
        c.kill9("up")
        R.check(owed is not None and 0 < owed < owed0,
                "killed -9 while verify released its held refreshes (%s of %s households still owed)" % (owed, owed0))
        c.start()
        c.quiescent(timeout=180)
        R.check(metric(c, "sais_verify_owed_households") == 0 and metric(c, "sais_rules_held_households") == 0,
                "after the restart the release finished: nothing owed in verify, nothing held in rules")
        c_ents, c_apps = pages(c, "/v1/entitlements"), pages(c, "/v1/applications")
        R.check(live(c_ents) == live(a_ents) and not any(e["status"] == "stopped" for e in c_ents),
                "killed mid-release: the same %d live entitlements as A, none granted and stopped"
                % sum(live(c_ents).values()))
        R.check(open_cases(c_apps) == open_cases(a_apps) and not any(x["status"] == "rejected" for x in c_apps),
                "killed mid-release: the same %d open proactive cases as A, none withdrawn" % len(open_cases(c_apps)))
        differ = [hh for hh, p in a_pics.items() if picture(c, hh) != p]
        R.check(not differ, "killed mid-release: all %d households read as in A (differing: %s)"
                % (len(a_pics), differ[:3]))
    finally:
        try:
            c.stop(check=False)
        finally:
            c.cleanup()


def set_outreach(c, value):
    with open(c.cfg) as f:
        conf = f.read()
    conf = conf.replace("rules.outreach = hold", "rules.outreach = " + value)
    conf = conf.replace("rules.outreach = on", "rules.outreach = " + value)
    with open(c.cfg, "w") as f:
        f.write(conf)


def two_members(gen):
    """Two living members of one household of the generated city."""
    dead = set()
    with open(os.path.join(gen, "civil.ndjson"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("event") == "death":
                dead.add(r["id_number"])
    by_hh = collections.defaultdict(list)
    with open(os.path.join(gen, "hukou.ndjson"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r["id_number"] not in dead:
                by_hh[r["household_id"]].append(r["id_number"])
    return next(sorted(set(m))[:2] for _, m in sorted(by_hh.items()) if len(set(m)) >= 2)


def held_drained(c, timeout):
    """rules' held households, polled until none is left or `timeout` seconds have passed."""
    held, end = None, time.time() + timeout
    while time.time() < end:
        held = metric(c, "sais_rules_held_households")
        if held == 0:
            break
        time.sleep(0.2)
    return held


def release_verify_first(gen, order, a_ents):
    """D: split processes, a held load; verify is released on its own and rules, still holding,
    takes in its refreshes and its refresh.released; then rules is restarted on its own."""
    c = Cluster(mode="split", extra_config={"rules.outreach": "hold", "rules.hold_slice": 64})
    try:
        c.start()
        load(c, gen, order)
        set_outreach(c, "on")
        c.stop_service("verify")
        c.start_service("verify")
        c.wait_healthy()
        c.quiescent(timeout=180)
        R.check(metric(c, "sais_verify_owed_households") == 0 and metric(c, "sais_rules_outreach_held") == 1
                and metric(c, "sais_rules_held_households") > 0,
                "D: verify released on its own; rules, still holding, took in its refreshes (%s households wait)"
                % metric(c, "sais_rules_held_households"))
        c.stop_service("rules")
        t0 = time.time()
        c.start_service("rules")
        c.wait_healthy()
        held = held_drained(c, 120)
        R.check(held == 0, "D: rules restarted alone after verify's release decides the held households at once "
                "(%s still held after %.0f s)" % (held, time.time() - t0))
        c.quiescent(timeout=180)
        d_ents = pages(c, "/v1/entitlements")
        R.check(live(d_ents) == live(a_ents) and not any(e["status"] == "stopped" for e in d_ents),
                "D: the same %d live entitlements as A, none granted and stopped" % sum(live(d_ents).values()))
        # held again, verify first: its refresh.held is kept, and a rules released on its own
        # waits for verify's next release instead of deciding on pictures verify still owes
        set_outreach(c, "hold")
        c.stop_service("verify")
        c.start_service("verify")
        c.stop_service("rules")
        c.start_service("rules")
        c.wait_healthy()
        c.quiescent(timeout=60)
        # a bill makes a household's refresh owed; a death in it then has verify announce the
        # household (warn reads the death against its picture), which rules, held, notes
        sick, dead = two_members(gen)
        for src, bid, rec in (("medical", "d-held-bill", {"record_id": "d-bill-1", "id_number": sick,
                                                         "settled_on": "2026-11-01", "total": 5000.00,
                                                         "insurance_paid": 1000.00, "out_of_pocket": 4000.00,
                                                         "category": "general", "hospital": "平阳县人民医院"}),
                              ("civil", "d-held-death", {"record_id": "d-death-1", "id_number": dead,
                                                         "event": "death", "date": "2026-11-10"})):
            st, rep, _ = c.post_feed(src, bid, ndjson([rec]))
            R.check(st == 200 and rep.get("accepted") == 1, "D: %s posted while held again (%s %r)" % (bid, st, rep))
            c.quiescent(timeout=60)
        set_outreach(c, "on")
        c.stop_service("rules")
        c.start_service("rules")
        c.wait_healthy()
        time.sleep(2)
        waiting = metric(c, "sais_rules_held_households")
        R.check(waiting and waiting > 0, "D: held again, rules released alone waits for verify (%s held)" % waiting)
        c.stop_service("verify")
        c.start_service("verify")
        c.wait_healthy()
        held = held_drained(c, 120)
        R.check(held == 0, "D: ... and decides once verify has released (%s still held)" % held)
    finally:
        try:
            c.stop(check=False)
        finally:
            c.cleanup()


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
        hhs = households(gen)
        a_pics = {hh: picture(a, hh) for hh in hhs}
        a_announced = a.status()["verify"]["head"]
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
        owed = metric(b, "sais_verify_owed_households")
        R.check(owed and owed > len(hhs) // 2,
                "held: verify owes the refreshes of the households the feeds touched (%s of %d)" % (owed, len(hhs)))
        sample = hhs[::17]
        held_pics = {hh: picture(b, hh) for hh in sample}
        R.check(held_pics == {hh: a_pics[hh] for hh in sample},
                "held: a household read while its refresh is owed is computed from its members' facts "
                "(%d households read as in A)" % len(sample))
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

        release(b)
        b.quiescent(timeout=180)
        b_ents, b_apps, b_notes = pages(b, "/v1/entitlements"), pages(b, "/v1/applications"), templates(b)
        R.check(metric(b, "sais_rules_outreach_held") == 0 and metric(b, "sais_rules_held_households") == 0
                and metric(b, "sais_verify_owed_households") == 0 and metric(b, "sais_verify_releasing") == 0,
                "released: /metrics says outreach is on and no household waits, in rules or in verify")
        b_pics = {hh: picture(b, hh) for hh in hhs}
        differ = [hh for hh in hhs if b_pics[hh] != a_pics[hh]]
        R.check(not differ and all(isinstance(p, dict) for p in b_pics.values()),
                "released: all %d households read the same as in A (differing: %s)" % (len(hhs), differ[:3]))
        b_announced = b.status()["verify"]["head"]
        R.check(b_announced < a_announced * 0.6,
                "released: verify's log holds %d events against A's %d: a household is announced about once, "
                "not once per feed" % (b_announced, a_announced))
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
        release_killed(gen, order, a_ents, a_apps, a_pics)
        release_verify_first(gen, order, a_ents)
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
