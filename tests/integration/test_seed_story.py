"""The seed story of DOMAIN.md through real processes (`sais run` per service) over HTTP:
a hukou batch and a medical batch posted by a partner -> ingest -> verify -> rules
(temp_medical from the policy catalogue) -> warn (catastrophic_medical) -> notify (SMS to the
head of household). Cheng's household in Pingyang: two counted members, per-capita income
below the dibao line, 40,200.00 yuan out of pocket -> 32,160.00 granted proactively."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, make_id, ndjson  # noqa: E402

R = Results()
HEAD = make_id("330326", "1968-03-12", 31)
WIFE = make_id("330326", "1970-07-02", 42)
HH = "H330326000777"


def wait_for(fn, what, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    return None


def main():
    c = Cluster(mode="split").start()
    try:
        st, body, hdrs = c.http.get("/healthz")
        R.check(st == 200 and body.get("status") == "ok", "healthz is ok with every service up")

        st, key, _ = c.http.post("/v1/keys", {"name": "public security + medical insurance feeds",
                                               "role": "partner", "sources": ["hukou", "medical", "hrss"]})
        R.check(st == 201 and key.get("key"), "admin creates a partner key (201)")
        pkey = key["key"]
        st, ckey, _ = c.http.post("/v1/keys", {"name": "Pingyang caseworker", "role": "caseworker",
                                                "regions": ["330326"]})
        R.check(st == 201, "admin creates a Pingyang caseworker key")
        cw = ckey["key"]

        hukou = [
            {"record_id": "hk-1", "id_number": HEAD, "name": "程成钊", "household_id": HH, "relation": "head",
             "region": "330326", "phone": "13800001234", "event": "register", "date": "1995-05-01"},
            {"record_id": "hk-2", "id_number": WIFE, "name": "林秀", "household_id": HH, "relation": "spouse",
             "region": "330326", "event": "register", "date": "1995-05-01"},
        ]
        st, rep, _ = c.post_feed("hukou", "hk-2026-11", ndjson(hukou), key=pkey)
        R.check(st == 200 and rep.get("accepted") == 2 and rep.get("rejected") == 0, "hukou batch accepted: %r" % (rep,))

        # 1,000.00 a month of wages for the head over the last 12 complete months
        hrss = [{"record_id": "w-%02d" % i, "id_number": HEAD, "month": "%04d-%02d" % (2025 + (10 + i) // 12, (10 + i) % 12 + 1),
                 "kind": "wage", "amount": "1000.00"} for i in range(12)]
        st, rep, _ = c.post_feed("hrss", "hrss-2026-11", ndjson(hrss), key=pkey)
        R.check(st == 200 and rep.get("accepted") == 12, "hrss batch accepted: %r" % (rep,))

        medical = [{"record_id": "m-9001", "id_number": HEAD, "settled_on": "2026-10-15", "total": 60000.00,
                    "insurance_paid": 19800.00, "out_of_pocket": 40200.00, "category": "serious",
                    "hospital": "温州医科大学附属第一医院"}]
        st, rep, _ = c.post_feed("medical", "med-2026-11", ndjson(medical), key=pkey)
        R.check(st == 200 and rep.get("accepted") == 1, "medical batch accepted: %r" % (rep,))

        st, again, _ = c.post_feed("medical", "med-2026-11", ndjson(medical), key=pkey)
        R.check(st == 200 and again == rep, "the same batch again returns the first report")
        st, _, _ = c.post_feed("medical", "med-2026-11", ndjson(medical[:0] + [dict(medical[0], record_id="m-x")]), key=pkey)
        R.check(st == 409, "the same batch id with other bytes is a conflict (409)")

        def temp_medical():
            st, body, _ = c.http.get("/v1/entitlements?policy=temp_medical&region=330326")
            items = [e for e in body.get("items", []) if e["household_id"] == HH] if st == 200 else []
            return items
        ents = wait_for(temp_medical, "temp_medical")
        R.check(bool(ents), "temp_medical entitlement appears")
        if ents:
            e = ents[0]
            R.check(e["amount"] == 32160.00, "amount is 32,160.00 (got %r)" % e["amount"])
            R.check(e["origin"] == "proactive", "origin is proactive")
            R.check(e["id_number"] == HEAD, "the head of household is the beneficiary")
            R.check(any(c_["passed"] for c_ in e["explanation"]) and all(c_["passed"] for c_ in e["explanation"]),
                    "every clause of the explanation passed")
            R.check({"source": "medical", "record_id": "m-9001", "batch_id": "med-2026-11"} in e["evidence"],
                    "the medical record is the evidence")

        def alert():
            st, body, _ = c.http.get("/v1/alerts?status=open&kind=catastrophic_medical", key=cw)
            return [a for a in body.get("items", []) if a["household_id"] == HH] if st == 200 else []
        alerts = wait_for(alert, "alert")
        R.check(bool(alerts) and len(alerts) == 1, "one catastrophic_medical alert is open, seen by the Pingyang caseworker")
        if alerts:
            R.check(alerts[0]["severity"] == "high" and alerts[0]["region"] == "330326", "high severity, Pingyang's")

        def sms():
            st, body, _ = c.http.get("/v1/notifications?recipient=13800001234")
            return [n for n in body.get("items", []) if n["channel"] == "sms"] if st == 200 else []
        msgs = wait_for(sms, "sms")
        R.check(bool(msgs), "an SMS is recorded for the head's phone")
        if msgs:
            R.check("32160.00" in msgs[0]["body"], "the SMS names the amount: %s" % msgs[0]["body"])

        def person_with_grant():
            st, p, _ = c.http.get("/v1/persons/" + HEAD, key=cw)
            return (st, p) if st == 200 and any(e["policy"] == "temp_medical" for e in p.get("entitlements", [])) else None
        got = wait_for(person_with_grant, "person")  # verify learns of the grant from rules' events
        st, person = got if got else c.http.get("/v1/persons/" + HEAD, key=cw)[:2]
        R.check(st == 200 and person["medical_oop_12m"] == 40200.00 and person["household_id"] == HH,
                "the person shows 40,200.00 out of pocket")
        R.check(st == 200 and person["income_monthly_avg_12m"] == 1000.00, "and 1,000.00 monthly income")
        R.check(st == 200 and any(e["policy"] == "temp_medical" for e in person["entitlements"]),
                "and the grant among their entitlements")
        st, house, _ = c.http.get("/v1/households/" + HH, key=cw)
        R.check(st == 200 and house["per_capita_monthly_income"] == 500.00 and house["size"] == 2,
                "the household: 2 members, 500.00 per capita")
        st, _, _ = c.http.get("/v1/persons/11010519491231002X", key=cw)
        R.check(st in (403, 404), "a person outside the registry or region is not shown (%d)" % st)
        bad = HEAD[:17] + ("1" if HEAD[17] != "1" else "2")
        st, prob, hdrs = c.http.get("/v1/persons/" + bad, key=cw)
        R.check(st == 422 and prob.get("errors", [{}])[0].get("code") in ("bad_check_digit", "bad_id_number"),
                "an invalid ID number is a 422 naming the check digit")
        st, _, _ = c.http.get("/v1/persons/" + HEAD, key="sais_nope_nope")
        R.check(st == 401, "an unknown key is a 401")
        st, _, _ = c.post_feed("justice", "j-1", ndjson([]), key=pkey)
        R.check(st == 403, "a partner posting outside its sources gets 403")
    finally:
        try:
            c.stop()
            R.check(True, "every process stopped cleanly on SIGTERM")
        except AssertionError as e:
            R.check(False, str(e))
        c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
