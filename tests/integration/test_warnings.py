"""Early warning, visits and re-checks (DOMAIN.md "Early-warning signals", API.md "Early
warning" and "Visits") end to end over HTTP: every input comes through the partner feeds,
every decision through the gateway.

Phase 1, `sais up` with the clock pinned to 2026-11-23:
- the Cangnan check: a one-person dibao household (hukou + a low wage; rules' proactive case
  approved by a Cangnan reviewer) whose member is incarcerated -> beneficiary_incarcerated
  (high) and dibao suspended; a second justice record is evidence, not a second alert; the
  release (a later record) resumes the entitlement;
- a dibao beneficiary's death dated in the month the benefit was paid -> beneficiary_deceased
  naming the civil record, and the entitlement stopped;
- a breadwinner's death leaving the household below the line -> breadwinner_death and a
  proactive dibao case in Pingyang's queue;
- two medical batches -> one catastrophic_medical alert with the evidence of both;
- visits: visit_risk raised, raised to high by a later visit, resolved by a calm one; the
  follow-up due; the door-plate code (a QR code that decodes to the token) accepted, another
  household's or a forged one refused;
- acknowledge / resolve by role and region, 409 on a second resolve.
Phase 2, the same data directory run as one process per service with the clock at
2027-12-01: follow_up_overdue and recheck_due appear from warn's stored schedule with no new
input, the old visit code has expired, and the monthly cross-comparison (HTTP and
`sais compare`) raises nothing the event path had not."""
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.dirname(__file__))
from sais_harness import Cluster, Results, make_id, ndjson, start_refused  # noqa: E402
from warnings_qr import qr_decode_svg  # noqa: E402

R = Results()
CN, PY, TS = "330327", "330326", "330329"
# the Cangnan household: one person, 300.00 a month
CN_P, CN_HH = make_id(CN, "1975-05-05", 11), "H330327000101"
# a Pingyang dibao household of one, no income (dies)
PY_D, PY_D_HH = make_id(PY, "1980-02-02", 23), "H330326000201"
# a Pingyang household whose breadwinner (4,000.00) dies, leaving the spouse with 500.00
BW, BW_SP, BW_HH = make_id(PY, "1970-03-03", 35), make_id(PY, "1982-04-04", 46), "H330326000301"
# a Pingyang household with catastrophic medical costs (1,500.00 each)
MD, MD_SP, MD_HH = make_id(PY, "1965-06-06", 57), make_id(PY, "1967-07-07", 68), "H330326000401"
# a Pingyang dibao household of one (400.00) whose bank reports savings over the limit
AS, AS_HH = make_id(PY, "1978-08-08", 79), "H330326000501"
LATER = "2027-12-01T08:00:00Z"


def months():
    """The 12 complete months before 2026-11-23: 2025-11 .. 2026-10."""
    return ["%04d-%02d" % (2025 + (10 + i) // 12, (10 + i) % 12 + 1) for i in range(12)]


def wait_for(fn, timeout=30):
    end = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() >= end:
            return v
        time.sleep(0.2)


def hukou():
    def rec(rid, pid, name, hh, rel, region, phone=None):
        r = {"record_id": rid, "id_number": pid, "name": name, "household_id": hh, "relation": rel,
             "region": region, "event": "register", "date": "2005-01-01"}
        if phone:
            r["phone"] = phone
        return r
    return [rec("hk-1", CN_P, "林守义", CN_HH, "head", CN, "13900000101"),
            rec("hk-2", PY_D, "周德福", PY_D_HH, "head", PY, "13900000201"),
            rec("hk-3", BW, "陈建国", BW_HH, "head", PY, "13900000301"),
            rec("hk-4", BW_SP, "吴小梅", BW_HH, "spouse", PY),
            rec("hk-5", MD, "黄大伟", MD_HH, "head", PY, "13900000401"),
            rec("hk-6", MD_SP, "郑丽", MD_HH, "spouse", PY),
            rec("hk-7", AS, "潘正", AS_HH, "head", PY, "13900000501")]


def hrss():
    out = []
    for pid, amount in [(CN_P, "300.00"), (BW, "4000.00"), (BW_SP, "500.00"), (MD, "1500.00"), (MD_SP, "1500.00"),
                        (AS, "400.00")]:
        out += [{"record_id": "w-%s-%s" % (pid[-5:], m), "id_number": pid, "month": m, "kind": "wage", "amount": amount}
                for m in months()]
    return out


class World:
    def __init__(self, c, keys):
        self.c, self.keys = c, keys

    def get(self, path, key="admin"):
        st, body, _ = self.c.http.get(path, key=self.keys[key])
        return st, body

    def post(self, path, body=None, key="admin"):
        st, out, _ = self.c.http.post(path, body, key=self.keys[key])
        return st, out

    def feed(self, source, batch, recs):
        st, rep, _ = self.c.post_feed(source, batch, ndjson(recs), key=self.keys["partner"])
        R.check(st == 200 and rep.get("accepted") == len(recs) and rep.get("rejected") == 0,
                "%s batch %s accepted (%d records): %s" % (source, batch, len(recs),
                                                           rep.get("errors") if isinstance(rep, dict) else rep))

    def alerts(self, hh=None, kind=None, key="admin", **params):
        q = dict(params)
        if hh:
            q["household_id"] = hh
        if kind:
            q["kind"] = kind
        path = "/v1/alerts?limit=1000" + "".join("&%s=%s" % kv for kv in sorted(q.items()))
        st, body = self.get(path, key=key)
        return body.get("items", []) if st == 200 else None

    def wait_alert(self, hh, kind, pred=lambda a: True, timeout=30):
        def f():
            items = [a for a in self.alerts(hh, kind) or [] if pred(a)]
            return items or None
        return wait_for(f, timeout) or []

    def ent(self, hh, policy):
        st, body = self.get("/v1/entitlements?household_id=%s&policy=%s&limit=1000" % (hh, policy))
        items = body.get("items", []) if st == 200 else []
        return items[-1] if items else None

    def wait_ent(self, hh, policy, status, timeout=30):
        return wait_for(lambda: (lambda e: e if e and e["status"] == status else None)(self.ent(hh, policy)), timeout)

    def proactive(self, region, hh, key):
        def f():
            st, body = self.get("/v1/applications?region=%s&status=pending_review&limit=1000" % region, key=key)
            items = [a for a in body.get("items", []) if a.get("origin") == "proactive"
                     and a.get("household_id") == hh] if st == 200 else []
            return items or None
        return wait_for(f) or []


def evidence(a):
    return sorted((e["source"], e["record_id"]) for e in a.get("evidence", []))


def phase1(c):
    keys = {"admin": c.http.key}
    for name, body in [("partner", {"role": "partner", "sources": ["hukou", "hrss", "civil", "justice", "medical", "assets", "disability"]}),
                       ("cw_cn", {"role": "caseworker", "regions": [CN]}),
                       ("rev_cn", {"role": "reviewer", "regions": [CN]}),
                       ("cw_py", {"role": "caseworker", "regions": [PY]}),
                       ("rev_py", {"role": "reviewer", "regions": [PY]}),
                       ("cw_ts", {"role": "caseworker", "regions": [TS]})]:
        st, k, _ = c.http.post("/v1/keys", dict(body, name=name))
        if st != 201:
            raise AssertionError("key %s: %d %r" % (name, st, k))
        keys[name] = k["key"]
    w = World(c, keys)
    w.feed("hukou", "hk-w1", hukou())
    w.feed("hrss", "hrss-w1", hrss())

    # ---- two dibao households, found by rules and approved by their county's reviewer
    for region, hh, rev, amount in [(CN, CN_HH, "rev_cn", 900.00), (PY, PY_D_HH, "rev_py", 1200.00),
                                    (PY, AS_HH, "rev_py", 800.00)]:
        pro = w.proactive(region, hh, "cw_cn" if region == CN else "cw_py")
        R.check(len(pro) == 1, "rules' proactive dibao case for %s is in %s's queue" % (hh, region))
        if pro:
            st, ap = w.post("/v1/applications/%s/review" % pro[0]["application_id"],
                            {"decision": "approve", "note": "入户核实"}, key=rev)
            R.check(st == 200 and ap.get("status") == "approved", "%s's reviewer approves it (%d)" % (region, st))
        e = w.wait_ent(hh, "dibao", "active")
        R.check(e is not None and e["amount"] == amount and e["origin"] == "proactive",
                "dibao active for %s, %.2f: %r" % (hh, amount, e and {k: e[k] for k in ("status", "amount", "origin")}))

    # ---- 1. the Cangnan check
    w.feed("justice", "jus-w1", [{"record_id": "j-1", "id_number": CN_P, "event": "incarcerated", "date": "2026-11-02",
                                  "facility": "浙江省第二监狱"}])
    al = w.wait_alert(CN_HH, "beneficiary_incarcerated")
    R.check(len(al) == 1, "one beneficiary_incarcerated alert for the Cangnan household (%d)" % len(al))
    if al:
        a = al[0]
        R.check(a["severity"] == "high" and a["region"] == CN and a["status"] == "open" and a["id_number"] == CN_P,
                "high, open, in Cangnan, about the prisoner: %r" % {k: a[k] for k in ("severity", "region", "status")})
        R.check(("justice", "j-1") in evidence(a), "its evidence is the justice record j-1: %r" % evidence(a))
        R.check("2026-11-02" in a["detail"] and "dibao" in a["detail"], "detail: %s" % a["detail"])
    e = w.wait_ent(CN_HH, "dibao", "suspended")
    R.check(e is not None, "the dibao entitlement is suspended while its only counted member is in prison")
    st, items = w.get("/v1/alerts?region=%s&kind=beneficiary_incarcerated" % CN, key="cw_cn")
    R.check(st == 200 and [x["household_id"] for x in items["items"]] == [CN_HH],
            "Cangnan's caseworker sees it in the county's list")
    st, items = w.get("/v1/alerts?kind=beneficiary_incarcerated", key="cw_py")
    R.check(st == 200 and items["items"] == [], "Pingyang's caseworker does not")
    al = w.wait_alert(CN_HH, "beneficiary_incarcerated", lambda a: any(s == "suspended" for s in
                                                                      " ".join(a["actions"]).split()))
    R.check(bool(al), "the alert records that rules suspended dibao: %r" % (al and al[0]["actions"]))

    # a second record of the same incarceration (the procuratorate's) adds evidence only
    w.feed("justice", "jus-w2", [{"record_id": "j-2", "id_number": CN_P, "event": "incarcerated", "date": "2026-11-05",
                                  "facility": "浙江省第二监狱"}])
    al = w.wait_alert(CN_HH, "beneficiary_incarcerated", lambda a: ("justice", "j-2") in evidence(a), timeout=10)
    all_inc = w.alerts(CN_HH, "beneficiary_incarcerated") or []
    R.check(len(all_inc) == 1, "a second justice record opens no second alert (%d)" % len(all_inc))
    R.check(bool(al) and {("justice", "j-1"), ("justice", "j-2")} <= set(evidence(al[0])),
            "it adds its evidence to the open alert: %r" % (all_inc and evidence(all_inc[0])))

    # released
    w.feed("justice", "jus-w3", [{"record_id": "j-3", "id_number": CN_P, "event": "released", "date": "2026-11-20"}])
    e = w.wait_ent(CN_HH, "dibao", "active")
    R.check(e is not None and e["amount"] == 900.00, "released (a later record): dibao resumed, active again")
    st, p = w.get("/v1/persons/" + CN_P, key="cw_cn")
    R.check(st == 200 and p.get("status") == "active", "the person is active again (%s)" % p.get("status"))
    al = w.wait_alert(CN_HH, "beneficiary_incarcerated", lambda a: len(a["actions"]) >= 2)
    R.check(len(w.alerts(CN_HH, "beneficiary_incarcerated") or []) == 1, "still one incarceration alert")
    eid = e["entitlement_id"] if e else "?"
    R.check(bool(al) and al[0]["actions"] == ["entitlement dibao suspended (%s)" % eid, "entitlement dibao resumed (%s)" % eid],
            "its actions are what rules did, in order: %r" % (al and al[0]["actions"]))

    # ---- 2. a beneficiary's death, dated in the month dibao was paid for
    w.feed("civil", "civ-w1", [{"record_id": "cv-1", "id_number": PY_D, "event": "death", "date": "2026-11-20"}])
    al = w.wait_alert(PY_D_HH, "beneficiary_deceased")
    R.check(len(al) == 1, "one beneficiary_deceased alert (%d)" % len(al))
    if al:
        a = al[0]
        R.check(a["severity"] == "high" and a["region"] == PY and a["id_number"] == PY_D, "high, in Pingyang, about the dead")
        R.check(("civil", "cv-1") in evidence(a), "its evidence names the civil record cv-1: %r" % evidence(a))
    e = w.wait_ent(PY_D_HH, "dibao", "stopped")
    R.check(e is not None, "the dibao entitlement is stopped (no counted member remains)")
    al = w.wait_alert(PY_D_HH, "beneficiary_deceased", lambda a: a["actions"])
    R.check(bool(al) and e is not None and al[0]["actions"] == ["entitlement dibao stopped (%s)" % e["entitlement_id"]],
            "the alert records that rules stopped dibao: %r" % (al and al[0]["actions"]))

    # ---- 3. the breadwinner's death
    w.feed("civil", "civ-w2", [{"record_id": "cv-2", "id_number": BW, "event": "death", "date": "2026-11-15"}])
    al = w.wait_alert(BW_HH, "breadwinner_death")
    R.check(len(al) == 1, "one breadwinner_death alert (%d)" % len(al))
    if al:
        a = al[0]
        R.check(a["severity"] == "high" and a["id_number"] == BW and ("civil", "cv-2") in evidence(a),
                "high, about the breadwinner, evidence cv-2: %r" % evidence(a))
        R.check("48000.00" in a["detail"], "detail names the 12-month income: %s" % a["detail"])
    pro = w.proactive(PY, BW_HH, "cw_py")
    R.check(len(pro) == 1 and "dibao" in json.dumps(pro[0].get("policies", pro[0].get("decisions", ""))),
            "a proactive dibao case for the widow is in Pingyang's queue (pending_review): %s" % json.dumps(pro)[:600])
    R.check(bool(pro) and pro[0]["id_number"] == BW_SP, "the case names the widow, not the dead head: %s"
            % (pro and pro[0]["id_number"]))
    R.check(w.alerts(BW_HH, "beneficiary_deceased") == [], "no beneficiary_deceased: nothing was being paid")

    # ---- assets_over_limit: only for a dibao household (or one whose dibao case is pending)
    w.feed("assets", "ast-w1", [{"record_id": "as-1", "id_number": AS, "kind": "deposit", "value": 40000.00,
                                 "as_of": "2026-11-10"}])
    al = w.wait_alert(AS_HH, "assets_over_limit")
    R.check(len(al) == 1 and al[0]["severity"] == "high" and ("assets", "as-1") in evidence(al[0]),
            "savings of 40,000.00 in a dibao household of one: assets_over_limit (high), evidence as-1")
    R.check(w.wait_ent(AS_HH, "dibao", "stopped") is not None, "and rules stops its dibao")
    if pro:
        st, rj = w.post("/v1/applications/%s/review" % pro[0]["application_id"],
                        {"decision": "reject", "note": "子女有赡养能力"}, key="rev_py")
        R.check(st == 200 and rj.get("status") == "rejected", "the reviewer rejects the widow's dibao case (%d)" % st)
    w.feed("assets", "ast-w2", [{"record_id": "as-2", "id_number": BW_SP, "kind": "vehicle", "value": 80000.00,
                                 "as_of": "2026-11-18"}])
    c.quiescent(60)
    R.check(w.alerts(BW_HH, "assets_over_limit") == [],
            "a car bought after her dibao case was rejected raises no assets_over_limit: not a dibao household")

    # ---- 4. the same signal twice: two medical batches
    w.feed("medical", "med-w1", [{"record_id": "m-1", "id_number": MD, "settled_on": "2026-10-05", "total": 50000.00,
                                  "insurance_paid": 29000.00, "out_of_pocket": 21000.00, "category": "serious"}])
    al = w.wait_alert(MD_HH, "catastrophic_medical")
    R.check(len(al) == 1 and al[0]["severity"] == "high", "catastrophic_medical raised (high) by the first batch")
    w.feed("medical", "med-w2", [{"record_id": "m-2", "id_number": MD_SP, "settled_on": "2026-11-02", "total": 9000.00,
                                  "insurance_paid": 5000.00, "out_of_pocket": 4000.00, "category": "chronic"}])
    al = w.wait_alert(MD_HH, "catastrophic_medical", lambda a: ("medical", "m-2") in evidence(a), timeout=10)
    all_cat = w.alerts(MD_HH, "catastrophic_medical") or []
    R.check(len(all_cat) == 1, "the second batch opens no second alert (%d)" % len(all_cat))
    R.check(bool(all_cat) and {("medical", "m-1"), ("medical", "m-2")} <= set(evidence(all_cat[0])),
            "one alert with the evidence of both records: %r" % (all_cat and evidence(all_cat[0])))

    # ---- 5. a second member's signal is news, not a repeat: it joins the household's alert
    w.feed("disability", "dis-w1", [{"record_id": "d-1", "id_number": MD, "certificate": "C-MD-1",
                                     "category": "physical", "grade": 1, "issued_on": "2026-10-01", "status": "active"}])
    al = w.wait_alert(MD_HH, "severe_disability")
    R.check(len(al) == 1 and al[0]["id_number"] == MD and ("disability", "d-1") in evidence(al[0]),
            "severe_disability raised for the first member's grade-1 certificate")
    w.feed("disability", "dis-w2", [{"record_id": "d-2", "id_number": MD_SP, "certificate": "C-MD-2",
                                     "category": "visual", "grade": 2, "issued_on": "2026-10-20", "status": "active"}])
    al = w.wait_alert(MD_HH, "severe_disability", lambda a: ("disability", "d-2") in evidence(a), timeout=10)
    all_dis = w.alerts(MD_HH, "severe_disability") or []
    R.check(len(all_dis) == 1 and {("disability", "d-1"), ("disability", "d-2")} <= set(evidence(all_dis[0])),
            "the second member's certificate joins the open alert as evidence: %r" % (all_dis and evidence(all_dis[0])))
    R.check(bool(all_dis) and "a further member (disability record d-2): new active disability certificate of grade 2"
            in all_dis[0]["detail"], "and its detail says so: %s" % (all_dis and all_dis[0]["detail"]))

    visits(w)
    code = visit_code(w)
    ack_resolve(w)
    household_index(w)
    return keys, code


def household_index(w):
    """?household_id= walks warn's per-household index: it must list exactly what the
    whole-city walk filtered by household lists, in the same order, page by page."""
    everything = w.alerts() or []
    R.check(len(everything) >= 5, "several alerts to compare (%d)" % len(everything))
    for hh in sorted({a["household_id"] for a in everything}):
        want = [a["alert_id"] for a in everything if a["household_id"] == hh]
        got = [a["alert_id"] for a in w.alerts(hh) or []]
        R.check(got == want, "household %s: the index lists %r, the city walk %r" % (hh, got, want))
        paged, cursor = [], None
        for _ in range(len(want) + 2):
            st, body = w.get("/v1/alerts?household_id=%s&limit=1%s" % (hh, "&cursor=" + cursor if cursor else ""))
            if st != 200:
                break
            paged += [a["alert_id"] for a in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        R.check(paged == want, "household %s page by page (limit=1): %r" % (hh, paged))
    R.check(w.alerts("HH-NOT-THERE") == [], "an unknown household has no alerts")
    # the same for rules' entitlements (?household_id= walks rules' hhents index)
    st, body = w.get("/v1/entitlements?limit=1000")
    ents = body.get("items", []) if st == 200 else []
    R.check(len({e["household_id"] for e in ents}) >= 3, "entitlements of several households to compare (%d)" % len(ents))
    for hh in sorted({e["household_id"] for e in ents}):
        want = [e["entitlement_id"] for e in ents if e["household_id"] == hh]
        st, body = w.get("/v1/entitlements?limit=1000&household_id=" + hh)
        got = [e["entitlement_id"] for e in body.get("items", [])] if st == 200 else None
        R.check(got == want, "household %s: rules' index lists %r, the table walk %r" % (hh, got, want))
        paged, cursor = [], None
        for _ in range(len(want) + 2):
            st, body = w.get("/v1/entitlements?household_id=%s&limit=1%s" % (hh, "&cursor=" + cursor if cursor else ""))
            if st != 200:
                break
            paged += [e["entitlement_id"] for e in body["items"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        R.check(paged == want, "household %s entitlements page by page (limit=1): %r" % (hh, paged))
    st, body = w.get("/v1/entitlements?household_id=" + "H" * 300)
    R.check(st == 200 and body.get("items") == [], "no entitlements for a 300-character household id (%d)" % st)
    st, body = w.get("/v1/alerts?household_id=" + "H" * 300)
    R.check(st == 200 and body.get("items") == [], "a 300-character household id lists nothing (%d)" % st)


def risks(**kw):
    r = {k: 0 for k in ("economy", "health", "education", "housing", "employment", "safety")}
    r.update(kw)
    return r


def visits(w):
    def visit(at, rk, key="cw_py", **extra):
        body = dict({"household_id": MD_HH, "visitor": "王社工", "visited_at": at, "risks": rk, "note": "入户走访"}, **extra)
        return w.post("/v1/visits", body, key=key)
    st, v1 = visit("2026-11-05", risks(economy=2, health=1))
    R.check(st == 201 and v1.get("visit_id") and v1["risks"]["economy"] == 2, "a visit is recorded (201)")
    al = w.wait_alert(MD_HH, "visit_risk")
    R.check(len(al) == 1 and al[0]["severity"] == "medium" and al[0]["status"] == "open",
            "economy 2 raises visit_risk, medium: %r" % (al and al[0]["severity"]))
    st, v2 = visit("2026-11-10", risks(health=3, safety=2))
    al = w.alerts(MD_HH, "visit_risk") or []
    R.check(st == 201 and len(al) == 1 and al[0]["severity"] == "high",
            "a later visit scoring health 3 makes the same alert high: %r" % [(a["status"], a["severity"]) for a in al])
    R.check(bool(al) and {("visit", v1.get("visit_id")), ("visit", v2.get("visit_id"))} <= set(evidence(al[0])),
            "with both visits as evidence")
    st, _ = visit("2026-11-12", risks(economy=3), key="cw_cn")
    R.check(st == 403, "a Cangnan caseworker cannot visit a Pingyang household (%d)" % st)
    st, p = visit("2026-11-30", risks())
    R.check(st == 422, "a visit dated after today is 422 (%d)" % st)
    st, p = visit("2026-11-12", risks(economy=4))
    R.check(st == 422 and p.get("errors", [{}])[0].get("field") == "risks.economy", "a score of 4 is 422 (%d)" % st)
    st, v3 = visit("2026-11-20", risks(economy=1, health=1, safety=1), follow_up_due="2026-11-23")
    al = w.alerts(MD_HH, "visit_risk") or []
    R.check(st == 201 and len(al) == 1 and al[0]["status"] == "resolved",
            "a later visit with every aspect below 2 resolves it: %r" % [a["status"] for a in al])
    st, due = w.get("/v1/visits/due?region=%s" % PY, key="cw_py")
    items = due.get("items", []) if st == 200 else []
    R.check([(i["visit_id"], i["follow_up_due"], i["overdue"]) for i in items] == [(v3.get("visit_id"), "2026-11-23", False)],
            "GET /v1/visits/due lists the follow-up due today: %r" % items)
    st, due = w.get("/v1/visits/due?region=%s" % CN, key="cw_cn")
    R.check(st == 200 and due.get("items") == [], "and not in Cangnan's")
    st, lst = w.get("/v1/visits?household_id=%s" % MD_HH, key="cw_py")
    R.check(st == 200 and [v["visit_id"] for v in lst.get("items", [])] == [v1["visit_id"], v2["visit_id"], v3["visit_id"]],
            "GET /v1/visits?household_id= lists the three visits")


def visit_code(w):
    st, code = w.get("/v1/households/%s/visit-code" % CN_HH, key="cw_cn")
    R.check(st == 200 and code.get("token") and code.get("expires_at") == "2026-12-23T08:00:00Z",
            "the visit code of the Cangnan household: a token valid 30 days (%s)" % code.get("expires_at"))
    if st != 200:
        return None
    svg = code.get("qr_svg", "")
    R.check(svg.startswith("<svg") and svg.rstrip().endswith("</svg>") and svg.count("<rect") > 20,
            "qr_svg is an SVG document of <rect> modules")
    try:
        decoded = qr_decode_svg(svg)
    except ValueError as e:
        decoded = "undecodable: %s" % e
    R.check(decoded == code["token"], "the QR code decodes to the token: %r" % decoded[:40])
    st, _ = w.get("/v1/households/%s/visit-code" % CN_HH, key="cw_py")
    R.check(st == 403, "Pingyang's caseworker cannot get Cangnan's code (%d)" % st)

    body = {"token": code["token"], "visitor": "村干部", "visited_at": "2026-11-22", "risks": risks(), "note": "扫码走访"}
    st, v = w.post("/v1/visits", body, key="cw_cn")
    R.check(st == 201 and v.get("household_id") == CN_HH and v.get("by_code") is True,
            "a visit posted with the token is the Cangnan household's (%d)" % st)
    st, p = w.post("/v1/visits", dict(body, household_id=MD_HH), key="cw_cn")
    R.check(st == 422 and p.get("errors", [{}])[0].get("code") == "visit_code_mismatch",
            "another household's token is refused (%d %s)" % (st, p.get("errors") if isinstance(p, dict) else p))
    tok = code["token"]
    forged = tok[:-2] + ("AA" if tok[-2:] != "AA" else "BB")
    st, p = w.post("/v1/visits", dict(body, token=forged), key="cw_cn")
    R.check(st == 422 and p.get("errors", [{}])[0].get("code") == "bad_visit_code", "a forged signature is refused (%d)" % st)
    head, _, mac = tok.partition(".")
    pad = "=" * (-len(head) % 4)
    payload = base64.urlsafe_b64decode(head + pad).decode()
    other = base64.urlsafe_b64encode(payload.replace(CN_HH, MD_HH).encode()).decode().rstrip("=")
    st, p = w.post("/v1/visits", dict(body, token=other + "." + mac), key="cw_py")
    R.check(st == 422 and p.get("errors", [{}])[0].get("code") == "bad_visit_code",
            "a token re-pointed at another household keeps its old signature and is refused (%d)" % st)
    return tok


def ack_resolve(w):
    al = w.alerts(MD_HH, "catastrophic_medical") or []
    if not al:
        R.check(False, "no catastrophic_medical alert to acknowledge")
        return
    aid = al[0]["alert_id"]
    st, _ = w.post("/v1/alerts/%s/acknowledge" % aid, {"note": "看看"}, key="cw_cn")
    R.check(st == 403, "a caseworker of another county cannot acknowledge it (%d)" % st)
    st, a = w.post("/v1/alerts/%s/acknowledge" % aid, {"note": "已联系家属"}, key="cw_py")
    R.check(st == 200 and a.get("status") == "acknowledged" and a.get("note") == "已联系家属",
            "Pingyang's caseworker acknowledges it (%d %s)" % (st, a.get("status")))
    st, a = w.post("/v1/alerts/%s/acknowledge" % aid, {}, key="cw_py")
    R.check(st == 200 and a.get("status") == "acknowledged", "acknowledging again changes nothing (%d)" % st)
    st, _ = w.post("/v1/alerts/%s/resolve" % aid, {"outcome": "assisted"}, key="cw_py")
    R.check(st == 403, "a caseworker cannot resolve (%d)" % st)
    st, _ = w.post("/v1/alerts/%s/resolve" % aid, {"outcome": "assisted"}, key="rev_cn")
    R.check(st == 403, "a reviewer of another county cannot resolve (%d)" % st)
    st, a = w.post("/v1/alerts/%s/resolve" % aid, {"outcome": "assisted", "note": "临时救助已发放"}, key="rev_py")
    R.check(st == 200 and a.get("status") == "resolved" and a.get("outcome") == "assisted",
            "Pingyang's reviewer resolves it (%d %s)" % (st, a.get("status")))
    st, _ = w.post("/v1/alerts/%s/resolve" % aid, {"outcome": "again"}, key="rev_py")
    R.check(st == 409, "resolving a resolved alert is 409 (%d)" % st)
    st, _ = w.post("/v1/alerts/%s/acknowledge" % aid, {}, key="cw_py")
    R.check(st == 409, "acknowledging a resolved alert is 409 (%d)" % st)
    st, _ = w.post("/v1/alerts/AL99999999/resolve", {}, key="rev_py")
    R.check(st == 404, "an unknown alert is 404 (%d)" % st)
    st, lst = w.get("/v1/alerts?status=resolved&kind=catastrophic_medical", key="cw_py")
    R.check(st == 200 and [x["alert_id"] for x in lst["items"]] == [aid], "it is listed as resolved")


def phase2(c, keys, token, visit3):
    w = World(c, keys)
    fu = w.wait_alert(MD_HH, "follow_up_overdue", timeout=20)
    R.check(len(fu) == 1 and fu[0]["severity"] == "medium" and ("visit", visit3) in evidence(fu[0]),
            "after the restart at %s, follow_up_overdue (medium) for the visit whose follow-up passed: %r"
            % (LATER, fu and evidence(fu[0])))
    rc = w.wait_alert(CN_HH, "recheck_due", timeout=20)
    R.check(len(rc) == 1 and rc[0]["severity"] == "low" and rc[0]["region"] == CN,
            "recheck_due (low) for the Cangnan dibao household: %r" % (rc and rc[0]["detail"]))
    R.check(w.alerts(PY_D_HH, "recheck_due") == [] and w.alerts(BW_HH, "recheck_due") == []
            and w.alerts(AS_HH, "recheck_due") == [], "none for a stopped dibao or a rejected case")
    st, due = w.get("/v1/visits/due?region=%s" % PY, key="cw_py")
    items = due.get("items", []) if st == 200 else []
    R.check([(i["visit_id"], i["overdue"], i["days_overdue"]) for i in items] == [(visit3, True, 373)],
            "visits/due shows it 373 days overdue: %r" % [(i["visit_id"], i["overdue"], i["days_overdue"]) for i in items])
    if token:
        body = {"token": token, "visitor": "村干部", "visited_at": "2027-11-30", "risks": risks(), "note": "扫码走访"}
        st, p = w.post("/v1/visits", body, key="cw_cn")
        R.check(st == 422 and p.get("errors", [{}])[0].get("code") == "visit_code_expired",
                "the visit code from a year ago has expired (%d)" % st)

    # a death recorded after the month it was paid for: Cangnan's beneficiary died on 2027-11-10
    w.feed("civil", "civ-w3", [{"record_id": "cv-3", "id_number": CN_P, "event": "death", "date": "2027-11-10"}])
    al = w.wait_alert(CN_HH, "beneficiary_deceased")
    R.check(len(al) == 1 and al[0]["severity"] == "high" and ("civil", "cv-3") in evidence(al[0])
            and "2027-11-10" in al[0]["detail"],
            "a death dated in November 2027, recorded on 1 December: beneficiary_deceased naming cv-3: %r"
            % ((al and (evidence(al[0]), al[0]["detail"])),))
    e = w.wait_ent(CN_HH, "dibao", "stopped")
    R.check(e is not None, "and the Cangnan dibao is stopped")
    al = w.wait_alert(CN_HH, "beneficiary_deceased", lambda a: a["actions"])
    R.check(bool(al) and e is not None and al[0]["actions"] == ["entitlement dibao stopped (%s)" % e["entitlement_id"]],
            "the alert records the stop: %r" % (al and al[0]["actions"]))
    c.quiescent(60)

    before = {a["alert_id"] for a in w.alerts() or []}
    st, run = w.post("/v1/admin/compare?month=2026-11", None)
    R.check(st == 200 and run.get("raised") == 0 and run.get("households", 0) >= 5,
            "POST /v1/admin/compare?month=2026-11 raises nothing new: %r" % run)
    st, _ = w.post("/v1/admin/compare?month=2026-11", None, key="rev_py")
    R.check(st == 403, "only admin runs the comparison (%d)" % st)
    r = c.cli("compare", "--month", "2026-11", check=False)
    try:
        out = json.loads(r.stdout)
    except ValueError:
        out = None
    R.check(r.returncode == 0 and out and out.get("raised") == 0 and out.get("month") == "2026-11",
            "`sais compare --month 2026-11` raises nothing new: %s %s" % (r.stdout.strip()[:200], r.stderr.strip()[:200]))
    after = {a["alert_id"] for a in w.alerts() or []}
    R.check(after == before, "no alert appeared from the comparisons")


def main():
    t0 = time.time()
    c = Cluster(mode="embedded").start()
    keys = token = None
    visit3 = None
    try:
        keys, token = phase1(c)
        st, body, _ = c.http.get("/v1/visits?household_id=%s" % MD_HH)
        visit3 = body["items"][-1]["visit_id"] if st == 200 and body.get("items") else None
        c.quiescent(60)
    except BaseException:
        c.stop(check=False)
        c.cleanup()
        raise
    try:
        c.stop()
    except AssertionError as e:
        R.check(False, str(e))
    print("phase 1 done in %.1f s" % (time.time() - t0))
    c2 = Cluster(mode="split", data_dir=c.tmp, extra_config={"clock.now": LATER})
    try:
        c2.start()
        phase2(c2, keys, token, visit3)
    finally:
        try:
            c2.stop()
            R.check(True, "the split cluster stopped cleanly")
        except AssertionError as e:
            R.check(False, str(e))
        c2.cleanup()
    R.check(time.time() - t0 < 90, "done in %.1f s" % (time.time() - t0))
    for value in ("0", "-5", "soon"):
        rc, out = start_refused("warn.visit_code_ttl_s", value)
        # a value that is not a number at all is refused by the config loader, with its line
        R.check(rc != 0 and "warn.visit_code_ttl_s" in out and ("'%s'" % value in out or "not an integer" in out),
                "warn.visit_code_ttl_s = %s: sais up refuses to start and says why (%d: %s)"
                % (value, rc, out.strip()[-120:]))
    R.finish()


if __name__ == "__main__":
    main()
