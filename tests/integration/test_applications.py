"""Applications with only an ID card, filed at any window (API.md "Applications"), through
`sais up` over HTTP.

A small registry comes in through the feeds: a Taishun household (one wage of 600.00 a
month for two: dibao-eligible), a Pingyang household with 5,000.00 for one (eligible for
nothing) and a Pingyang household with a severely disabled child (an automatic care
allowance). Applications are posted with three fields and polled until decided. The
cross-county case: the Taishun person applies at a Pingyang window; the application is in
Taishun's queue and not in Pingyang's, a Pingyang caseworker sees it masked, Taishun's in
full, and only Taishun's reviewer decides it (once: a second review is 409). The applicant's
phone gets an SMS at each decision. Rules' proactive dibao finding for the same household is
in Taishun's queue too, and is rejected by the reviewer. Unknown people and bad ID numbers
are 422."""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, make_id, ndjson  # noqa: E402

R = Results()
PY, TS = "330326", "330329"
TS_HEAD, TS_SPOUSE = make_id(TS, "1975-04-02", 13), make_id(TS, "1977-09-09", 24)
PY_RICH = make_id(PY, "1970-01-15", 35)
PY_DIS, PY_CHILD = make_id(PY, "1980-06-06", 47), make_id(PY, "2015-03-03", 58)
TS_HH, RICH_HH, DIS_HH = "H330329000100", "H330326000200", "H330326000300"
TS_PHONE, RICH_PHONE, DIS_PHONE = "13900009901", "13800009902", "13800009903"
MASKED_ID = re.compile(r"^\d{6}\*{11}[\dX]$")
SIG = "【温州市民政局】"
ASK = "如有疑问请咨询当地民政窗口。"


def wait_for(fn, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    return None


def months():
    """The 12 complete months before the pinned day (2026-11-23): 2025-11 .. 2026-10."""
    return ["%04d-%02d" % (2025 + (10 + i) // 12, (10 + i) % 12 + 1) for i in range(12)]


def feeds():
    hukou = [
        {"record_id": "hk-1", "id_number": TS_HEAD, "name": "吴大山", "household_id": TS_HH, "relation": "head",
         "region": TS, "phone": TS_PHONE, "event": "register", "date": "2001-03-01"},
        {"record_id": "hk-2", "id_number": TS_SPOUSE, "name": "雷秀英", "household_id": TS_HH, "relation": "spouse",
         "region": TS, "event": "register", "date": "2001-03-01"},
        {"record_id": "hk-3", "id_number": PY_RICH, "name": "郑富", "household_id": RICH_HH, "relation": "head",
         "region": PY, "phone": RICH_PHONE, "event": "register", "date": "1995-01-01"},
        {"record_id": "hk-4", "id_number": PY_DIS, "name": "陈立", "household_id": DIS_HH, "relation": "head",
         "region": PY, "phone": DIS_PHONE, "event": "register", "date": "2008-01-01"},
        {"record_id": "hk-5", "id_number": PY_CHILD, "name": "陈小朵", "household_id": DIS_HH, "relation": "child",
         "region": PY, "event": "register", "date": "2015-03-10"},
    ]
    hrss = []
    for pid, amount in [(TS_HEAD, "600.00"), (PY_RICH, "5000.00"), (PY_DIS, "4000.00")]:
        for m in months():
            hrss.append({"record_id": "w-%s-%s" % (pid[-4:], m), "id_number": pid, "month": m, "kind": "wage",
                         "amount": amount})
    disability = [{"record_id": "d-1", "id_number": PY_CHILD, "certificate": "3303261500058", "category": "intellectual",
                   "grade": 1, "issued_on": "2024-05-01", "status": "active"}]
    return hukou, hrss, disability


def statuses(app):
    return [s["status"] for s in app.get("history", [])]


def main():
    t0 = time.time()
    c = Cluster(mode="embedded").start()
    try:
        http = c.http
        keys = {}
        for name, body in [("partner", {"role": "partner", "sources": ["hukou", "hrss", "disability"]}),
                           ("cw_py", {"role": "caseworker", "regions": [PY]}),
                           ("cw_ts", {"role": "caseworker", "regions": [TS]}),
                           ("rev_py", {"role": "reviewer", "regions": [PY]}),
                           ("rev_ts", {"role": "reviewer", "regions": [TS]})]:
            st, k, _ = http.post("/v1/keys", dict(body, name=name))
            R.check(st == 201, "admin creates the %s key" % name)
            keys[name] = k["key"]

        hukou, hrss, disability = feeds()
        for source, batch, recs in [("hukou", "hk-apps", hukou), ("hrss", "hrss-apps", hrss),
                                    ("disability", "dis-apps", disability)]:
            st, rep, _ = c.post_feed(source, batch, ndjson(recs), key=keys["partner"])
            R.check(st == 200 and rep.get("accepted") == len(recs), "%s batch accepted: %r" % (source, rep))
        R.check(wait_for(lambda: http.get("/v1/persons/" + PY_CHILD)[0] == 200) is not None,
                "the registry knows the people")

        def file(key, id_number, region, **extra):
            body = dict({"id_number": id_number, "channel": "window", "filed_region": region}, **extra)
            return http.post("/v1/applications", body, key=keys[key])

        # ---- validation
        st, p, _ = file("cw_py", make_id("110105", "1949-12-31", 2), PY)
        R.check(st == 422 and p.get("errors", [{}])[0].get("code") == "unknown_person",
                "a person not in the registry is 422 unknown_person (%d %r)" % (st, p))
        bad = TS_HEAD[:-1] + ("0" if TS_HEAD[-1] != "0" else "1")
        st, p, _ = file("cw_py", bad, PY)
        R.check(st == 422 and p.get("errors", [{}])[0].get("code") == "bad_check_digit",
                "a wrong check digit is 422 bad_check_digit (%d)" % st)
        st, p, _ = file("cw_py", TS_HEAD, TS)
        R.check(st == 403, "a Pingyang caseworker cannot file at a Taishun window (%d)" % st)
        st, p, _ = http.post("/v1/applications", {"id_number": TS_HEAD, "filed_region": PY}, key=keys["cw_py"])
        R.check(st == 422 and p["errors"][0]["field"] == "channel", "channel is required (%d)" % st)

        # ---- the Taishun person at a Pingyang window: only the three fields
        st, ts, hdrs = file("cw_py", TS_HEAD, PY)
        R.check(st == 201 and ts.get("status") == "submitted", "201 submitted: %r" % (ts,))
        R.check(ts.get("filed_region") == PY and ts.get("handled_region") == TS,
                "filed in Pingyang, handled by Taishun (the household's county)")
        R.check(ts.get("created_at") == "2026-11-23T08:00:00Z", "created_at is the pinned clock")
        ts_id = ts["application_id"]
        st, again, _ = http.post("/v1/applications", {"id_number": TS_HEAD, "channel": "window", "filed_region": PY},
                                 key=keys["cw_py"], headers={"Idempotency-Key": "window-7"})
        st2, again2, _ = http.post("/v1/applications", {"id_number": TS_HEAD, "channel": "window", "filed_region": PY},
                                   key=keys["cw_py"], headers={"Idempotency-Key": "window-7"})
        R.check(st == 201 and st2 == 201 and again == again2, "a retried POST with its Idempotency-Key gives the first answer")
        st3, _, _ = http.post("/v1/applications", {"id_number": PY_RICH, "channel": "window", "filed_region": PY},
                              key=keys["cw_py"], headers={"Idempotency-Key": "window-7"})
        R.check(st3 == 409, "the key with another body is 409 (%d)" % st3)

        st, rich, _ = file("cw_py", PY_RICH, PY)
        st2, dis, _ = file("cw_py", PY_DIS, PY, channel="mobile")
        R.check(st == 201 and st2 == 201 and rich["handled_region"] == PY, "two Pingyang applications filed")

        def decided(app_id, want):
            def f():
                st, a, _ = http.get("/v1/applications/" + app_id)
                return a if st == 200 and a.get("status") in want else None
            return wait_for(f)

        a = decided(ts_id, ("pending_review", "approved", "rejected"))
        R.check(a is not None and a["status"] == "pending_review", "the Taishun application waits for review: %r"
                % (a and a.get("status")))
        if a:
            R.check(statuses(a) == ["submitted", "verifying", "deciding", "pending_review"],
                    "every step is in its history: %r" % statuses(a))
            R.check(a["household_id"] == TS_HH and a["phone"] == TS_PHONE, "household and phone from the registry")
            R.check(all(s["at"] == "2026-11-23T08:00:00Z" for s in a["history"]), "history times are the pinned clock")
            R.check(a["history"][-1]["by"] == "rules" and "dibao" in a["history"][-1]["note"],
                    "rules decided it goes to review: %r" % a["history"][-1])
            dib = [d for d in a["decisions"] if d["policy"] == "dibao"]
            R.check(dib and dib[0]["eligible"] and dib[0]["amount"] == 1800.00 and not dib[0]["automatic"],
                    "dibao eligible, 1800.00 (gap to the line x 2): %r" % (dib and dib[0]))
            R.check(dib and any(cl["clause"] == "per-capita income below the line" and cl["passed"]
                                for cl in dib[0]["explanation"]), "with its explanation")
            R.check((a.get("verification_id") or "").startswith("V"), "the verification report is named")

        r = decided(rich["application_id"], ("pending_review", "approved", "rejected"))
        R.check(r is not None and r["status"] == "rejected", "the 5,000.00 household is rejected: %r" % (r and r.get("status")))
        if r:
            R.check(statuses(r) == ["submitted", "verifying", "deciding", "rejected"], "its history: %r" % statuses(r))
            R.check("per-capita income below the line" in r["history"][-1]["note"],
                    "the note names the failed clauses: %s" % r["history"][-1]["note"])
        d = decided(dis["application_id"], ("pending_review", "approved", "rejected"))
        R.check(d is not None and d["status"] == "approved", "the care allowance is approved at once: %r" % (d and d.get("status")))
        if d:
            R.check(d["approved_policies"] == ["disability_care"] and d["history"][-1]["by"] == "rules",
                    "by rules, for disability_care: %r" % d["approved_policies"])

        # ---- whose queue
        def queue(key, region, status=None):
            q = "/v1/applications?region=%s" % region + ("&status=%s" % status if status else "")
            st, body, _ = http.get(q, key=keys[key])
            return [i["application_id"] for i in body.get("items", [])] if st == 200 else None
        R.check(ts_id in (queue("cw_ts", TS, "pending_review") or []), "in Taishun's queue")
        R.check(ts_id not in (queue("cw_py", PY) or []), "not in Pingyang's queue")
        R.check(ts_id not in (queue("cw_py", TS) or []), "nor shown to Pingyang when it asks for Taishun's")
        R.check(rich["application_id"] in (queue("cw_py", PY, "rejected") or []), "Pingyang's own are in its queue")

        st, m, _ = http.get("/v1/applications/" + ts_id, key=keys["cw_py"])
        R.check(st == 200 and MASKED_ID.match(m.get("id_number", "")) and m["id_number"] != TS_HEAD
                and m.get("name") == "吴**" and m.get("phone") == "*******9901",
                "the Pingyang caseworker sees it masked: %r" % {k: m.get(k) for k in ("id_number", "name", "phone")})
        st, f, _ = http.get("/v1/applications/" + ts_id, key=keys["cw_ts"])
        R.check(st == 200 and f.get("id_number") == TS_HEAD and f.get("name") == "吴大山", "Taishun's sees it in full")

        # ---- review
        st, _, _ = http.post("/v1/applications/%s/review" % ts_id, {"decision": "approve"}, key=keys["rev_py"])
        R.check(st == 403, "Pingyang's reviewer cannot decide a Taishun case (%d)" % st)
        st, _, _ = http.post("/v1/applications/%s/review" % ts_id, {"decision": "approve"}, key=keys["cw_ts"])
        R.check(st == 403, "a caseworker cannot review (%d)" % st)
        st, ap, _ = http.post("/v1/applications/%s/review" % ts_id, {"decision": "approve", "note": "入户核查属实"},
                              key=keys["rev_ts"])
        R.check(st == 200 and ap.get("status") == "approved" and "dibao" in ap.get("approved_policies", []),
                "Taishun's reviewer approves: %d %r" % (st, ap.get("approved_policies")))
        if st == 200:
            R.check(ap["history"][-1]["by"].startswith("rev_ts") and ap["history"][-1]["note"] == "入户核查属实",
                    "the reviewer is named in the history: %r" % ap["history"][-1])
        st, p, _ = http.post("/v1/applications/%s/review" % ts_id, {"decision": "reject"}, key=keys["rev_ts"])
        R.check(st == 409, "a second review is 409 (%d)" % st)

        # ---- rules' proactive finding for the same household, in Taishun's queue; rejected
        def proactive():
            st, body, _ = http.get("/v1/applications?region=%s&status=pending_review" % TS, key=keys["cw_ts"])
            items = [i for i in body.get("items", []) if i.get("origin") == "proactive"] if st == 200 else []
            return items
        pro = wait_for(proactive)
        R.check(bool(pro) and pro[0]["household_id"] == TS_HH and pro[0]["channel"] == "proactive"
                and pro[0].get("case_id"), "rules' proactive dibao case is in Taishun's queue")
        if pro:
            R.check(pro[0]["application_id"] not in (queue("cw_py", PY) or []), "and not in Pingyang's")
            st, rj, _ = http.post("/v1/applications/%s/review" % pro[0]["application_id"],
                                  {"decision": "reject", "note": "already approved on application"}, key=keys["rev_ts"])
            R.check(st == 200 and rj["status"] == "rejected" and rj["approved_policies"] == [],
                    "the reviewer rejects it: %d" % st)

        # ---- the SMS at each decision
        def sms(phone, n):
            def f():
                st, body, _ = http.get("/v1/notifications?recipient=%s" % phone)
                items = [x for x in body.get("items", []) if x["channel"] == "sms"
                         and x["template"].startswith("sms.application.")] if st == 200 else []
                return items if len(items) >= n else None
            return wait_for(f) or []
        msgs = {m["template"]: m["body"] for m in sms(TS_PHONE, 2)}
        R.check(msgs.get("sms.application.pending_review") == SIG + "您家庭的最低生活保障申请已通过核对，正在等待审核。" + ASK,
                "SMS when it went to review: %r" % msgs.get("sms.application.pending_review"))
        R.check(msgs.get("sms.application.approved") == SIG + "您家庭的最低生活保障申请已批准。" + ASK,
                "SMS when it was approved: %r" % msgs.get("sms.application.approved"))
        msgs = {m["template"]: m["body"] for m in sms(RICH_PHONE, 1)}
        R.check(msgs.get("sms.application.rejected") == SIG + "您家庭的社会救助申请未获批准。" + ASK,
                "SMS when it was rejected: %r" % msgs.get("sms.application.rejected"))
        msgs = {m["template"]: m["body"] for m in sms(DIS_PHONE, 1)}
        R.check(msgs.get("sms.application.approved") == SIG + "您家庭的重度残疾人护理补贴申请已批准。" + ASK,
                "SMS for the automatic approval: %r" % msgs.get("sms.application.approved"))
        st, inbox, _ = http.get("/v1/notifications?recipient=%s" % TS, key=keys["cw_ts"])
        R.check(st == 200 and any(n["template"] == "inbox.application.pending_review" for n in inbox.get("items", [])),
                "Taishun's inbox has the application waiting for review")
        R.check(time.time() - t0 < 60, "done in %.1f s" % (time.time() - t0))
    finally:
        try:
            c.stop()
            R.check(True, "the process stopped cleanly on SIGTERM")
        except AssertionError as e:
            R.check(False, str(e))
        c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
