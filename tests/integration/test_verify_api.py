"""Persons, households, verification reports and the happiness list over HTTP (API.md
"Registry" and "Household economic status verification", DOMAIN.md "The household economic
picture"), one `sais run` process per service, every fact posted through the feeds.

The Wang household in Pingyang has six members in every status DOMAIN.md knows: the head
(3,000.00 wages in each of the 12 complete months, plus a month too old and the current
incomplete month that must not count, medical settlements on both edges of the 365 days), his
wife (a pension for half the year and one unemployment benefit), their child (two active
disability certificates and a revoked one), a grandmother who died, a brother in prison and a
sister who moved out. Every field of GET /v1/persons and /v1/households is checked against
numbers worked out here by hand.

Then a son moves to his wife's household in Cangnan (a later hukou update naming it): both
households are re-evaluated — sizes and per-capita incomes change; the Cangnan household loses
its low-income-margin status and the mother left behind in Pingyang falls below the dibao line
and gets a proactive case in Pingyang's queue.

Verification reports by household_id and by id_number name the sources and batches used, are
refused without purpose or authorization, and read back byte for byte unchanged after later
feeds change the household. The happiness list holds the temp_medical grant and a wish
fulfilled through the alliance (wish, organisation, offer, fulfil), newest first."""
import json
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, make_id, ndjson  # noqa: E402

R = Results()
PY, CN = "330326", "330327"
MONTHS = ["2025-%02d" % m for m in (11, 12)] + ["2026-%02d" % m for m in range(1, 11)]

# the Wang household (Pingyang)
HW = "H330326880001"
HEAD = make_id(PY, "1970-05-17", 811)        # male (odd sequence), 56
WIFE = make_id(PY, "1972-09-30", 822)        # female, 54
CHILD = make_id(PY, "2012-02-29", 833)       # 14: cannot work
GRAN = make_id(PY, "1944-01-08", 842)        # died 2026-06-01
BROTHER = make_id(PY, "1990-12-01", 851)     # incarcerated 2026-03-01
SISTER = make_id(PY, "1995-07-07", 862)      # moved out 2026-02-01
# the move: Li Jun leaves his mother's household in Pingyang for his wife's in Cangnan
HB, HC = "H330326880002", "H330327880003"
MOTHER = make_id(PY, "1971-03-03", 872)      # head of HB, 55 (able to work), 500.00 a month
SON = make_id(PY, "1990-04-04", 881)         # 4,000.00 a month; ID issued in Pingyang
BRIDE = make_id(CN, "1992-06-06", 892)       # head of HC, 1,500.00 a month
# in the medical feed but never registered in a household (hukou)
UNREGISTERED = make_id(PY, "1988-08-08", 809)


def wait_for(fn, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    return None


def raw(c, method, path, body=None, key=None):
    """(status, bytes) of an answer exactly as it came over the wire."""
    data = json.dumps(body).encode() if body is not None else None
    hdrs = {"Authorization": "Bearer " + (key or c.http.key)}
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    req = urllib.request.Request(c.http.base + path, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def hk(rid, idn, name, hh, relation, region, event="register", date="2001-01-01", phone=None):
    r = {"record_id": rid, "id_number": idn, "name": name, "household_id": hh, "relation": relation,
         "region": region, "event": event, "date": date}
    if phone:
        r["phone"] = phone
    return r


def hukou_records():
    return [
        hk("hk-w1", HEAD, "王建国", HW, "head", PY, phone="13900008801"),
        hk("hk-w2", WIFE, "林𠮷英", HW, "spouse", PY, phone="13900008802"),
        hk("hk-w3", CHILD, "王小明", HW, "child", PY, date="2012-03-10"),
        hk("hk-w4", GRAN, "陈桂芳", HW, "parent", PY),
        hk("hk-w5", BROTHER, "王建军", HW, "sibling", PY),
        hk("hk-w6", SISTER, "王丽", HW, "sibling", PY),
        hk("hk-w7", SISTER, "王丽", HW, "sibling", PY, event="move_out", date="2026-02-01"),
        hk("hk-b1", MOTHER, "李秀兰", HB, "head", PY, phone="13900008811"),
        hk("hk-b2", SON, "李军", HB, "child", PY),
        hk("hk-c1", BRIDE, "张敏", HC, "head", CN, phone="13900008821"),
    ]


def hrss_records():
    recs = []

    def pay(idn, tag, kind, months, amount):
        for m in months:
            recs.append({"record_id": "hr-%s-%s-%s" % (tag, kind, m), "id_number": idn, "month": m, "kind": kind,
                         "amount": amount})
    pay(HEAD, "head", "wage", MONTHS, "3000.00")
    pay(HEAD, "head", "wage", ["2025-10"], "8888.00")      # 13 months ago: outside the window
    pay(HEAD, "head", "wage", ["2026-11"], "9999.00")      # this month is not complete yet
    pay(WIFE, "wife", "pension", MONTHS[6:], "700.00")     # 6 months of 12: 350.00 a month
    pay(WIFE, "wife", "unemployment_benefit", ["2026-01"], "100.01")
    pay(BROTHER, "bro", "wage", MONTHS, "5000.00")         # not counted: in prison
    pay(GRAN, "gran", "pension", MONTHS, "2000.00")        # not counted: deceased
    pay(MOTHER, "mother", "wage", MONTHS, "500.00")
    pay(SON, "son", "wage", MONTHS, "4000.00")
    pay(BRIDE, "bride", "wage", MONTHS, "1500.00")
    return recs


def medical(rid, idn, settled, oop, total=None):
    total = total or oop
    return {"record_id": rid, "id_number": idn, "settled_on": settled, "total": total,
            "insurance_paid": "%.2f" % (float(total) - float(oop)), "out_of_pocket": oop, "category": "serious"}


def medical_records():
    return [
        medical("md-1", HEAD, "2025-11-24", "1000.00", "3000.00"),   # 364 days ago: in
        medical("md-2", HEAD, "2025-11-23", "2000.00"),              # 365 days ago: out
        medical("md-3", HEAD, "2026-11-23", "300.50"),               # today: in
        medical("md-4", WIFE, "2026-09-01", "25000.00", "60000.00"),
        medical("md-9", UNREGISTERED, "2026-10-01", "700.00"),      # nobody the registry knows
    ]


def disability_records():
    def cert(rid, cid, category, grade, issued, status):
        return {"record_id": rid, "id_number": CHILD, "certificate": cid, "category": category, "grade": grade,
                "issued_on": issued, "status": status}
    return [
        cert("ds-1", "CERT-A", "hearing", 3, "2018-05-01", "active"),
        cert("ds-2", "CERT-B", "intellectual", 2, "2019-05-01", "active"),
        cert("ds-3", "CERT-C", "visual", 1, "2017-05-01", "active"),
        cert("ds-4", "CERT-C", "visual", 1, "2020-05-01", "revoked"),   # the later record wins
    ]


def assets_records():
    def asset(rid, idn, kind, value, as_of):
        return {"record_id": rid, "id_number": idn, "kind": kind, "value": value, "as_of": as_of}
    return [
        asset("as-1", HEAD, "deposit", "30000.00", "2026-01-01"),   # an older snapshot
        asset("as-2", HEAD, "deposit", "20000.00", "2026-06-01"),   # the newer one: two accounts
        asset("as-3", HEAD, "deposit", "5000.00", "2026-06-01"),
        asset("as-4", WIFE, "securities", "1000.00", "2026-06-01"),
        asset("as-5", HEAD, "vehicle", "30000.00", "2026-06-01"),
        asset("as-6", HEAD, "real_estate", "400000.00", "2026-06-01"),
    ]


FEEDS = [
    ("hukou", "hk-2026-11", hukou_records),
    ("hrss", "hrss-2026-10", hrss_records),
    ("medical", "med-2026-11", medical_records),
    ("disability", "dis-2026-11", disability_records),
    ("assets", "as-2026-11", assets_records),
    ("civil", "civ-2026-06", lambda: [{"record_id": "cv-1", "id_number": GRAN, "event": "death", "date": "2026-06-01"}]),
    ("justice", "jus-2026-03", lambda: [{"record_id": "js-1", "id_number": BROTHER, "event": "incarcerated",
                                          "date": "2026-03-01", "facility": "浙江省第一监狱"}]),
]


def check_persons(c, cw):
    st, p, _ = c.http.get("/v1/persons/" + HEAD, key=cw)
    R.check(st == 200, "GET the head (%d)" % st)
    if st != 200:
        return
    want = {"id_number": HEAD, "name": "王建国", "sex": "M", "birth_date": "1970-05-17", "region": PY,
            "household_id": HW, "relation": "head", "phone": "13900008801", "status": "active", "disability": None,
            "income_monthly_avg_12m": 3000.00, "medical_oop_12m": 1300.50}
    for k, v in want.items():
        R.check(p.get(k) == v, "head.%s = %r (got %r)" % (k, v, p.get(k)))
    R.check(isinstance(p.get("entitlements"), list) and isinstance(p.get("open_alerts"), list),
            "entitlements and open_alerts are lists")
    R.check(any(a["kind"] == "catastrophic_medical" for a in p.get("open_alerts", [])),
            "the household's catastrophic_medical alert is among his open alerts: %r" % [a["kind"] for a in p["open_alerts"]])

    st, p, _ = c.http.get("/v1/persons/" + WIFE, key=cw)
    R.check(st == 200 and p["sex"] == "F" and p["name"] == "林𠮷英" and p["relation"] == "spouse",
            "the wife: F, 林𠮷英 (a character outside the BMP), spouse")
    R.check(st == 200 and p["income_monthly_avg_12m"] == 358.33,
            "her income: (6 x 700.00 + 100.01) / 12 = 358.33 (got %r)" % p.get("income_monthly_avg_12m"))
    R.check(st == 200 and p["medical_oop_12m"] == 25000.00, "her out-of-pocket 25000.00")

    st, p, _ = c.http.get("/v1/persons/" + CHILD, key=cw)
    R.check(st == 200 and p["disability"] == {"category": "intellectual", "grade": 2},
            "the child's disability is the most severe active certificate (the grade 1 was revoked): %r"
            % (p.get("disability"),))
    R.check(st == 200 and p["income_monthly_avg_12m"] == 0 and p["birth_date"] == "2012-02-29",
            "no income; born on a leap day")

    for idn, status, what in [(GRAN, "deceased", "the grandmother"), (BROTHER, "incarcerated", "the brother"),
                              (SISTER, "moved_out", "the sister")]:
        st, p, _ = c.http.get("/v1/persons/" + idn, key=cw)
        R.check(st == 200 and p["status"] == status and p["household_id"] == HW,
                "%s is %s (%s)" % (what, status, p.get("status") if st == 200 else st))
    st, p, _ = c.http.get("/v1/persons/" + BROTHER, key=cw)
    R.check(st == 200 and p["income_monthly_avg_12m"] == 5000.00, "the brother's own income still shows: 5000.00")

    bad = HEAD[:17] + ("1" if HEAD[17] != "1" else "2")
    st, prob, _ = c.http.get("/v1/persons/" + bad, key=cw)
    R.check(st == 422 and prob["errors"][0]["code"] == "bad_check_digit", "a wrong check digit is 422 (%d)" % st)
    st, _, _ = c.http.get("/v1/persons/" + make_id(PY, "1980-01-01", 999), key=cw)
    R.check(st == 404, "a valid ID number nobody has is 404 (%d)" % st)
    st, p, _ = c.http.get("/v1/persons/" + UNREGISTERED)
    R.check(st == 404, "a person only the medical feed knows is not in the registry: 404 (%d %r)" % (st, p))


def check_household(c, cw):
    st, h, _ = c.http.get("/v1/households/" + HW, key=cw)
    R.check(st == 200, "GET the Wang household (%d)" % st)
    if st != 200:
        return None
    R.check(h["household_id"] == HW and h["region"] == PY, "household_id and region")
    members = {m["id_number"]: m for m in h["members"]}
    R.check(sorted(members) == sorted([HEAD, WIFE, CHILD, GRAN, BROTHER, SISTER]), "six members listed")
    want = {HEAD: ("active", "head", "王建国"), WIFE: ("active", "spouse", "林𠮷英"), CHILD: ("active", "child", "王小明"),
            GRAN: ("deceased", "parent", "陈桂芳"), BROTHER: ("incarcerated", "sibling", "王建军"),
            SISTER: ("moved_out", "sibling", "王丽")}
    R.check(all((members.get(k, {}).get("status"), members.get(k, {}).get("relation"), members.get(k, {}).get("name")) == v
                for k, v in want.items()), "each member's status, relation and name: %r"
            % {k[-4:]: (m["status"], m["relation"]) for k, m in members.items()})
    R.check(h["size"] == 5, "size: the 5 members registered (the sister moved out): %r" % h["size"])
    R.check(h.get("counted_members") == 3, "3 counted members: alive, not incarcerated, registered")
    # (3000.00 + 358.33 + 0) / 3 counted members, floored to the fen
    R.check(h["per_capita_monthly_income"] == 1119.44, "per-capita income (3000.00 + 358.33) / 3 = 1119.44 (got %r)"
            % h["per_capita_monthly_income"])
    R.check(h["assets"] == {"vehicles": 30000.00, "real_estate": 1, "deposits": 26000.00},
            "assets: the newer deposit snapshot (20000.00 + 5000.00) plus 1000.00 securities, a 30000.00 vehicle, "
            "one title: %r" % (h["assets"],))
    R.check(h.get("medical_oop_12m") == 26300.50, "household out-of-pocket 1300.50 + 25000.00")
    R.check(h["category"] in ("tekun", "dibao", "marginal", "none"), "category is one of the four: %s" % h["category"])
    return h


def check_move(c, keys):
    cw_py, cw_cn = keys["cw_py"], keys["cw_cn"]
    st, b0, _ = c.http.get("/v1/households/" + HB, key=cw_py)
    st2, c0, _ = c.http.get("/v1/households/" + HC, key=cw_cn)
    R.check(st == 200 and b0["size"] == 2 and b0["per_capita_monthly_income"] == 2250.00,
            "before: the Li household has 2 members at 2250.00 per capita")
    R.check(st2 == 200 and c0["size"] == 1 and c0["per_capita_monthly_income"] == 1500.00 and c0["category"] == "marginal",
            "before: the Zhang household in Cangnan, 1 member at 1500.00, is marginal (%s)" % c0.get("category"))
    st, ents, _ = c.http.get("/v1/entitlements?household_id=%s" % HB)
    R.check(st == 200 and ents["items"] == [], "before: the Li household has no entitlements")

    move = hk("hk-move-1", SON, "李军", HC, "spouse", CN, event="update", date="2026-11-01")
    st, rep, _ = c.post_feed("hukou", "hk-move", ndjson([move]), key=keys["partner"])
    R.check(st == 200 and rep["accepted"] == 1, "the hukou update moving the son to Cangnan is accepted")
    c.quiescent(timeout=60)

    st, p, _ = c.http.get("/v1/persons/" + SON, key=cw_cn)
    R.check(st == 200 and p["household_id"] == HC and p["region"] == CN and p["relation"] == "spouse" and p["status"] == "active",
            "the son is now in the Cangnan household, region 330327, spouse, active")
    R.check(st == 200 and p["id_number"][:6] == PY, "his ID number still says Pingyang (it never changes)")
    st, _, _ = c.http.get("/v1/persons/" + SON, key=cw_py)
    R.check(st == 403, "Pingyang's caseworker no longer sees him (%d)" % st)

    st, b1, _ = c.http.get("/v1/households/" + HB, key=cw_py)
    R.check(st == 200 and b1["size"] == 1 and [m["id_number"] for m in b1["members"]] == [MOTHER]
            and b1["per_capita_monthly_income"] == 500.00,
            "the Li household: 1 member left at 500.00 per capita (%r)" % ((b1.get("size"), b1.get("per_capita_monthly_income")),))
    st, c1, _ = c.http.get("/v1/households/" + HC, key=cw_cn)
    R.check(st == 200 and c1["size"] == 2 and sorted(m["id_number"] for m in c1["members"]) == sorted([BRIDE, SON])
            and c1["per_capita_monthly_income"] == 2750.00,
            "the Zhang household: 2 members at (1500.00 + 4000.00) / 2 = 2750.00 (%r)"
            % ((c1.get("size"), c1.get("per_capita_monthly_income")),))

    def marginal_stopped():
        st, ents, _ = c.http.get("/v1/entitlements?household_id=%s&policy=marginal" % HC)
        return st == 200 and ents["items"] and all(e["status"] == "stopped" for e in ents["items"])
    R.check(wait_for(marginal_stopped), "the Zhang household's marginal status stops")
    st, c2, _ = c.http.get("/v1/households/" + HC, key=cw_cn)
    R.check(st == 200 and c2["category"] == "none", "its category is now none (%s)" % c2.get("category"))

    def proactive():
        st, q, _ = c.http.get("/v1/applications?region=%s" % PY, key=cw_py)
        # (the first hukou batch, before any income was known, made one that was withdrawn)
        return [a for a in q.get("items", []) if a["household_id"] == HB and a.get("origin") == "proactive"
                and a["status"] == "pending_review"] if st == 200 else []
    cases = wait_for(proactive)
    R.check(bool(cases) and cases[0]["policies"] == ["dibao"] and cases[0]["handled_region"] == PY,
            "the mother left behind gets a proactive dibao case in Pingyang's queue: %r"
            % ([(a["policies"], a["status"]) for a in cases or []],))
    st, ev, _ = c.http.post("/v1/policies/evaluate", {"household_id": HB, "policies": ["dibao"]})
    R.check(st == 200 and ev["results"][0]["eligible"] and ev["results"][0]["amount"] == 700.00,
            "rules now finds the Li household dibao-eligible, 1200.00 - 500.00 = 700.00")
    st, _, _ = c.http.get("/v1/households/" + HC, key=cw_py)
    R.check(st == 403, "the Cangnan household is outside Pingyang's caseworker's regions (%d)" % st)


def check_verifications(c, keys):
    cw = keys["cw_py"]
    st, _, _ = c.http.post("/v1/verifications", {"household_id": HW, "authorized_by": "签字授权书 2026-117"}, key=cw)
    R.check(st == 422, "a verification without purpose is 422 (%d)" % st)
    st, prob, _ = c.http.post("/v1/verifications", {"household_id": HW, "purpose": "低保申请核对"}, key=cw)
    R.check(st == 422 and prob["errors"][0]["field"] == "authorized_by", "without authorized_by is 422 naming it (%d)" % st)
    st, _, _ = c.http.post("/v1/verifications", {"household_id": "H330326000000", "purpose": "x", "authorized_by": "y"}, key=cw)
    R.check(st == 404, "an unknown household is 404 (%d)" % st)
    st, _, _ = c.http.post("/v1/verifications", {"household_id": HC, "purpose": "x", "authorized_by": "y"}, key=cw)
    R.check(st == 403, "a household of another county is 403 (%d)" % st)

    body = {"household_id": HW, "purpose": "低保申请核对", "authorized_by": "签字授权书 2026-117"}
    st, first = raw(c, "POST", "/v1/verifications", body, key=cw)
    R.check(st == 201, "POST /v1/verifications by household_id is 201 (%d)" % st)
    if st != 201:
        return
    rep = json.loads(first)
    vid = rep["verification_id"]
    R.check(rep["household_id"] == HW and rep["as_of"] == "2026-11-23", "the report is of the household, as of today")
    R.check(sorted(m["id_number"] for m in rep["members"]) == sorted([HEAD, WIFE, CHILD, GRAN, BROTHER, SISTER]),
            "it lists the members")
    inc = rep["income"]
    R.check(inc["per_capita_monthly"] == 1119.44, "income per capita 1119.44 (got %r)" % inc["per_capita_monthly"])
    by = {(s["source"], s["kind"]): s["monthly_avg"] for s in inc["by_source"]}
    R.check(by.get(("hrss", "wage")) == 3000.00 and by.get(("hrss", "pension")) == 350.00
            and by.get(("hrss", "unemployment_benefit")) == 8.33,
            "income by source: wages 3000.00, pension 350.00, unemployment benefit 8.33 of the counted members: %r" % by)
    R.check(rep["assets"].get("deposits") == 26000.00 and rep["assets"].get("real_estate") == 1, "assets as the household's")
    R.check(rep["checks"] and all(set(x) >= {"name", "passed", "detail"} for x in rep["checks"]), "checks with name, passed, detail")
    srcs = {s["source"]: s for s in rep["sources"]}
    R.check(sorted(srcs) == sorted(f[0] for f in FEEDS), "it names every source used: %s" % sorted(srcs))
    R.check(all(srcs.get(name, {}).get("last_batch_id") == bid for name, bid, _ in FEEDS if name != "hukou")
            and srcs.get("hukou", {}).get("last_batch_id") in ("hk-2026-11", "hk-move"),
            "and the batches: %r" % {k: v.get("last_batch_id") for k, v in srcs.items()})
    R.check(all(s.get("last_batch_at") == "2026-11-23T08:00:00Z" for s in rep["sources"]), "with the time of each batch")
    R.check(rep.get("purpose") == "低保申请核对" and rep.get("authorized_by") == "签字授权书 2026-117",
            "it records purpose and authorization")

    st, by_id = raw(c, "POST", "/v1/verifications", {"id_number": WIFE, "purpose": "临时救助核对", "authorized_by": "本人授权"}, key=cw)
    rep2 = json.loads(by_id) if st == 201 else {}
    R.check(st == 201 and rep2["household_id"] == HW and rep2["verification_id"] != vid,
            "POST by a member's id_number verifies her household, a new report (%d)" % st)
    st, prob = raw(c, "POST", "/v1/verifications", {"id_number": UNREGISTERED, "purpose": "x", "authorized_by": "y"})
    prob = json.loads(prob)
    R.check(st == 422 and prob.get("errors", [{}])[0].get("code") == "unknown_person",
            "a person in no household is 422 unknown_person (%d %r)" % (st, prob))
    idem = {"Idempotency-Key": "verif-wang-1"}
    st, a, _ = c.http.post("/v1/verifications", body, key=cw, headers=idem)
    st2, b, _ = c.http.post("/v1/verifications", body, key=cw, headers=idem)
    R.check(st == 201 and st2 == 201 and a == b, "a retry with the same Idempotency-Key returns the first report")
    st, _, _ = c.http.post("/v1/verifications", dict(body, purpose="另一目的"), key=cw, headers=idem)
    R.check(st == 409, "the same key with another body is 409 (%d)" % st)
    st, _ = raw(c, "POST", "/v1/verifications", {"id_number": WIFE[:17] + ("1" if WIFE[17] != "1" else "2"),
                                                 "purpose": "x", "authorized_by": "y"}, key=cw)
    R.check(st == 422, "a bad ID number is 422 (%d)" % st)

    st, again = raw(c, "GET", "/v1/verifications/" + vid, key=cw)
    R.check(st == 200 and again == first, "GET /v1/verifications/%s is the report, byte for byte" % vid)

    # later feeds change the household: more out-of-pocket for the head, a new deposit snapshot
    st, r1, _ = c.post_feed("medical", "med-2026-11b", ndjson([medical("md-5", HEAD, "2026-11-20", "4000.00")]),
                            key=keys["partner"])
    st2, r2, _ = c.post_feed("assets", "as-2026-11b", ndjson([{"record_id": "as-7", "id_number": HEAD, "kind": "deposit",
                                                              "value": "90000.00", "as_of": "2026-11-01"}]), key=keys["partner"])
    R.check(st == 200 and r1["accepted"] == 1 and st2 == 200 and r2["accepted"] == 1, "later medical and assets batches")
    c.quiescent(timeout=60)
    st, h, _ = c.http.get("/v1/households/" + HW, key=cw)
    R.check(st == 200 and h["medical_oop_12m"] == 30300.50 and h["assets"]["deposits"] == 91000.00,
            "the household changed: out-of-pocket 30300.50, deposits 91000.00")
    st, later = raw(c, "GET", "/v1/verifications/" + vid, key=cw)
    R.check(st == 200 and later == first, "the report reads back byte for byte unchanged")
    st, later2 = raw(c, "GET", "/v1/verifications/" + rep2.get("verification_id", "x"), key=cw)
    R.check(st == 200 and later2 == by_id, "so does the second one")
    st, fresh = raw(c, "POST", "/v1/verifications", body, key=cw)
    f = json.loads(fresh) if st == 201 else {}
    R.check(st == 201 and f.get("medical_oop_12m") == 30300.50 and f["assets"]["deposits"] == 91000.00,
            "a new report sees the new facts (%r)" % ((f.get("medical_oop_12m"), f.get("assets")),))
    fs = {s["source"]: s.get("last_batch_id") for s in f.get("sources", [])}
    R.check(fs.get("medical") == "med-2026-11b" and fs.get("assets") == "as-2026-11b",
            "and names the new batches: %r" % fs)
    st, _ = raw(c, "GET", "/v1/verifications/" + vid, key=keys["cw_cn"])
    R.check(st == 403, "Cangnan's caseworker may not read a Pingyang report (%d)" % st)
    st, _ = raw(c, "GET", "/v1/verifications/V9999999999", key=cw)
    R.check(st == 404, "an unknown report is 404 (%d)" % st)


def check_benefits(c, keys):
    cw = keys["cw_py"]

    def grant():
        st, ents, _ = c.http.get("/v1/entitlements?household_id=%s&policy=temp_medical" % HW)
        return ents["items"] if st == 200 else []
    tm = wait_for(grant)
    # 80% of (1300.50 + 25000.00) out of pocket when the medical batch arrived
    R.check(bool(tm) and tm[0]["amount"] == 21040.40 and tm[0]["origin"] == "proactive",
            "the Wang household was granted temp_medical 21040.40: %r" % ([e["amount"] for e in tm or []],))

    st, w, _ = c.http.post("/v1/wishes", {"household_id": HW, "category": "education", "title": "给小明的助听器",
                                          "estimated_value": 1200.00}, key=cw)
    R.check(st == 201 and w.get("status") == "open", "a caseworker enters a wish for the household (%d)" % st)
    wid = w.get("wish_id")
    st, org, _ = c.http.post("/v1/organizations", {"name": "平阳县爱心助学会", "kind": "volunteer_team",
                                                    "contact": "0577-63666666"}, key=keys["charity"])
    R.check(st == 201 and org.get("organization_id"), "a charity registers its organisation (%d)" % st)
    st, of, _ = c.http.post("/v1/offers", {"organization_id": org.get("organization_id"), "donor": "平阳县爱心助学会",
                                           "category": "education", "title": "助听器", "quantity": 1,
                                           "unit_value": 980.00, "region": PY}, key=keys["charity"])
    R.check(st == 201 and of.get("matched") == [wid], "its offer matches the wish (%r)" % (of.get("matched"),))
    st, done, _ = c.http.post("/v1/wishes/%s/fulfil" % wid, {"note": "已送到家中"}, key=keys["charity"])
    R.check(st == 200 and done.get("status") == "fulfilled", "the charity reports it fulfilled (%d)" % st)

    def listed():
        st, b, _ = c.http.get("/v1/households/%s/benefits" % HW, key=cw)
        return b if st == 200 and any(i.get("wish_id") == wid for i in b["items"]) else None
    b = wait_for(listed)
    R.check(b is not None, "the fulfilled wish appears in the happiness list")
    if not b:
        return
    items = b["items"]
    R.check(b["household_id"] == HW and all({"kind", "amount", "date"} <= set(i) for i in items),
            "every item has kind, amount and date")
    wish = [i for i in items if i.get("wish_id") == wid][0]
    R.check(wish["kind"] == "wish" and wish["amount"] == 980.00 and wish["date"] == "2026-11-23T08:00:00Z"
            and wish.get("title") == "给小明的助听器", "the wish: its title, the offer's value 980.00, the day: %r" % wish)
    grants = [i for i in items if i.get("policy") == "temp_medical"]
    R.check(len(grants) == 1 and grants[0]["kind"] == "one_off_grant" and grants[0]["amount"] == 21040.40,
            "the temp_medical grant is listed as a one-off grant of 21040.40")
    R.check(any(i.get("policy") == "disability_care" and i["kind"] == "entitlement" and i["amount"] == 100.00 for i in items),
            "and the child's disability care allowance, 100.00 a month")
    dates = [i["date"] for i in items]
    R.check(dates == sorted(dates, reverse=True), "newest first: %r" % dates)
    ents = [i["entitlement_id"] for i in items if "entitlement_id" in i]
    R.check(ents == sorted(ents, reverse=True), "entitlements of the same moment: the later granted first %r" % ents)
    st, _, _ = c.http.get("/v1/households/%s/benefits" % HW, key=keys["cw_cn"])
    R.check(st == 403, "Cangnan's caseworker may not read it (%d)" % st)
    st, _, _ = c.http.get("/v1/households/H330326000000/benefits", key=cw)
    R.check(st == 404, "an unknown household's list is 404 (%d)" % st)
    st, hb, _ = c.http.get("/v1/households/%s/benefits" % HC, key=keys["cw_cn"])
    R.check(st == 200 and [(i["policy"], i["status"]) for i in hb["items"]] == [("marginal", "stopped")],
            "the Zhang household's list keeps its stopped marginal status: %r" % ([(i.get("policy"), i.get("status")) for i in hb.get("items", [])],))


def main():
    t0 = time.time()
    c = Cluster(mode="split").start()
    try:
        keys = {}
        for name, body in [("partner", {"role": "partner", "sources": [f[0] for f in FEEDS]}),
                           ("cw_py", {"role": "caseworker", "regions": [PY]}),
                           ("cw_cn", {"role": "caseworker", "regions": [CN]}),
                           ("charity", {"role": "charity"})]:
            st, k, _ = c.http.post("/v1/keys", dict(body, name=name))
            R.check(st == 201, "admin creates the %s key" % name)
            keys[name] = k["key"]
        for source, batch, recs in FEEDS:
            rows = recs()
            st, rep, _ = c.post_feed(source, batch, ndjson(rows), key=keys["partner"])
            R.check(st == 200 and rep["accepted"] == len(rows) and rep["rejected"] == 0,
                    "%s batch %s: %s of %d accepted %s" % (source, batch, rep.get("accepted"), len(rows), rep.get("errors", "")))
        c.quiescent(timeout=60)
        check_persons(c, keys["cw_py"])
        check_household(c, keys["cw_py"])
        check_move(c, keys)
        check_benefits(c, keys)
        check_verifications(c, keys)
    finally:
        try:
            c.stop()
            R.check(True, "every process stopped cleanly")
        except AssertionError as e:
            R.check(False, str(e))
        c.cleanup()
    print("   (%.1f s)" % (time.time() - t0))
    R.finish()


if __name__ == "__main__":
    main()
