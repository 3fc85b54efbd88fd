"""A city over two counties, for real: two county stacks (`sais run` per service, as a county
that feeds a city must run: its bus on tcp://), each loaded with a few households through its
own feeds, and a third stack running only the city service (city.deployment = city) and a
gateway. The city reads both counties' verify/rules/warn/intake/match logs — Pingyang's
through its bus base (fixed port offsets), Taishun's through one endpoint per producer — and
/v1/city/stats must show each county's figures as that county's own API reports them, and
/v1/city/locate the county whose events placed a person. Then the city is killed (-9), a
county takes another household, and after a restart every event counts exactly once."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, free_port, make_id, ndjson, port_block  # noqa: E402

R = Results()
PY, TS = "330326", "330329"

# the layout of deploy/county.conf: gateway is the base, then ingest, verify, rules, intake,
# warn, match, notify, city
LAYOUT = ["gateway", "ingest", "verify", "rules", "intake", "warn", "match", "notify", "city"]


def wait_for(fn, timeout=40):
    end = time.time() + timeout
    v = None
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.3)
    return v


def hukou(hh, region, members, prefix):
    out = []
    for i, (idn, name, rel) in enumerate(members):
        out.append({"record_id": "%s-%d" % (prefix, i), "id_number": idn, "name": name, "household_id": hh,
                    "relation": rel, "region": region, "event": "register", "date": "2001-05-01",
                    "phone": "1380000" + idn[-5:-1]})
    return out


def wages(idn, amount, prefix):
    return [{"record_id": "%s-%02d" % (prefix, i), "id_number": idn,
             "month": "%04d-%02d" % (2025 + (10 + i) // 12, (10 + i) % 12 + 1), "kind": "wage", "amount": amount}
            for i in range(12)]


# Pingyang: a couple (the wife severely disabled), and a single wage earner at the low-income
# margin whose lodger moved out.
A1 = make_id(PY, "1958-03-12", 31)
A2 = make_id(PY, "1960-07-02", 42)
A3 = make_id(PY, "1985-01-20", 55)
A4 = make_id(PY, "1990-09-09", 61)
# Taishun: Cheng's seed-story household; the wife was born in Pingyang (her ID says so) but is
# registered in Taishun, which is where the city must locate her.
B1 = make_id(TS, "1968-03-12", 31)
B2 = make_id(PY, "1970-07-02", 42)
B3 = make_id(TS, "1975-05-05", 13)


def county_feeds(c, county):
    st, key, _ = c.http.post("/v1/keys", {"name": "feeds", "role": "partner",
                                          "sources": ["hukou", "hrss", "medical", "disability"]})
    if st != 201:
        return False
    k = key["key"]
    ok = True
    if county == "pingyang":
        hk = hukou("HPY01", PY, [(A1, "陈大海", "head"), (A2, "林小𠮷", "spouse")], "py-a")
        hk += hukou("HPY02", PY, [(A3, "王五", "head"), (A4, "赵六", "other")], "py-b")
        hk.append({"record_id": "py-mv", "id_number": A4, "name": "赵六", "household_id": "HPY02",
                   "relation": "other", "region": PY, "event": "move_out", "date": "2026-06-01"})
        feeds = [("hukou", "py-hk", hk),
                 ("hrss", "py-hr", wages(A3, "1500.00", "py-w")),
                 ("disability", "py-dis", [{"record_id": "py-d1", "id_number": A2, "certificate": "D-1",
                                            "category": "physical", "grade": 1, "issued_on": "2026-09-01",
                                            "status": "active"}])]
    else:
        feeds = [("hukou", "ts-hk", hukou("HTS01", TS, [(B1, "程成钊", "head"), (B2, "林秀", "spouse")], "ts-a")),
                 ("hrss", "ts-hr", wages(B1, "1000.00", "ts-w")),
                 ("medical", "ts-med", [{"record_id": "m-9001", "id_number": B1, "settled_on": "2026-10-15",
                                         "total": 60000.00, "insurance_paid": 19800.00, "out_of_pocket": 40200.00,
                                         "category": "serious"}])]
    for source, batch, recs in feeds:
        st, rep, _ = c.post_feed(source, batch, ndjson(recs), key=k)
        ok = ok and st == 200 and rep.get("rejected") == 0
        if not ok:
            print("feed %s/%s: %s %r" % (county, batch, st, rep))
    return ok


def own_figures(c, region):
    """What a county's own APIs say: active entitlements, their monthly cost, open alerts."""
    st, ents, _ = c.http.get("/v1/entitlements?region=%s&status=active&limit=1000" % region)
    st2, alerts, _ = c.http.get("/v1/alerts?region=%s&status=open&limit=1000" % region)
    if st != 200 or st2 != 200:
        return None
    items = ents["items"]
    monthly = sum(round(e["amount"] * 100) for e in items if e["period"] == "monthly")
    policies = {e["policy"] for e in items}
    monitored = {e["household_id"] for e in items if e["policy"] in ("marginal", "dibao", "tekun")}
    return {"entitlements_active": len(items), "monthly_cost": monthly / 100.0,
            "alerts_open": len(alerts["items"]), "monitored": len(monitored), "policies": sorted(policies)}


def row(stats, region):
    for r in stats.get("counties", []):
        if r["region"] == region:
            return r
    return None


def main():
    base = port_block(len(LAYOUT))
    py_ports = {s: base + i for i, s in enumerate(LAYOUT)}
    py_ports["http"] = free_port()
    py = Cluster(mode="split", ports=py_ports, extra_config={"city.name": "pingyang"})
    ts = Cluster(mode="split", extra_config={"city.name": "taishun"})
    counties = "pingyang=tcp://127.0.0.1:%d," % base + ",".join(
        "taishun.%s=tcp://127.0.0.1:%d" % (p, ts.ports[p]) for p in ["verify", "rules", "warn", "intake", "match"])
    city = Cluster(mode="split", extra_config={"city.deployment": "city", "city.counties": counties})
    started = []
    try:
        t0 = time.time()
        for c in (py, ts):
            c.start()
            started.append(c)
        for s in ("city", "gateway"):
            city.start_service(s)
        started.append(city)
        keyfile = os.path.join(city.data, "admin.key")
        R.check(wait_for(lambda: os.path.exists(keyfile), 30), "the city stack's gateway is up")
        with open(keyfile) as f:
            city.http.key = f.read().strip()
        st, ck, _ = city.http.post("/v1/keys", {"name": "city bureau", "role": "city"})
        R.check(st == 201, "the city creates a city-role key")
        ckey = ck["key"]
        st, cwk, _ = city.http.post("/v1/keys", {"name": "Taishun caseworker", "role": "caseworker",
                                                 "regions": [TS]})
        cw = cwk["key"] if st == 201 else ""

        R.check(county_feeds(py, "pingyang"), "Pingyang's feeds accepted")
        R.check(county_feeds(ts, "taishun"), "Taishun's feeds accepted")
        for c in (py, ts):
            c.quiescent(timeout=60)
        # a small wish in Taishun, matched to a charity's offer and fulfilled
        keys = {}
        for name, body in (("cw", {"role": "caseworker", "regions": [TS]}), ("charity", {"role": "charity"})):
            st, k, _ = ts.http.post("/v1/keys", dict(body, name=name))
            keys[name] = k.get("key", "") if st == 201 else ""
        st, w, _ = ts.http.post("/v1/wishes", {"household_id": "HTS01", "category": "bedding", "title": "冬天的棉被",
                                                "estimated_value": 200.00}, key=keys["cw"])
        st2, of, _ = ts.http.post("/v1/offers", {"donor": "泰顺爱心企业", "category": "bedding", "title": "羽绒被",
                                                 "quantity": 1, "unit_value": 150.00}, key=keys["charity"])
        st3, _, _ = ts.http.post("/v1/wishes/%s/fulfil" % w.get("wish_id"), {"note": "已送达"}, key=keys["charity"])
        R.check(st == 201 and st2 == 201 and st3 == 200, "a Taishun wish is entered, matched and fulfilled (%d %d %d)"
                % (st, st2, st3))
        ts.quiescent(timeout=60)
        # the seed story's grant and alert, and Pingyang's disability allowance, are there
        want = {}
        for c, region in ((py, PY), (ts, TS)):
            want[region] = own_figures(c, region)
        print("county figures: %r" % want)
        R.check(want[TS] and "temp_medical" in want[TS]["policies"] and want[TS]["alerts_open"] >= 1,
                "Taishun granted temp_medical and opened an alert")
        R.check(want[PY] and want[PY]["entitlements_active"] >= 1 and want[PY]["monthly_cost"] >= 100.0,
                "Pingyang granted a monthly allowance")

        expect = {PY: {"persons": 3, "households": 2}, TS: {"persons": 2, "households": 1}}

        def converged():
            st, s, _ = city.http.get("/v1/city/stats", key=ckey)
            if st != 200:
                return None
            for region in (PY, TS):
                r = row(s, region)
                if not r:
                    return None
                for k, v in list(expect[region].items()) + [(k, want[region][k]) for k in
                                                            ("entitlements_active", "monthly_cost", "alerts_open",
                                                             "monitored")]:
                    if r.get(k) != v:
                        return None
            return s
        stats = wait_for(converged)
        if not stats:
            st, stats, _ = city.http.get("/v1/city/stats", key=ckey)
            print("city stats: %s %r" % (st, stats))
            print(city.tail_logs())
        R.check(bool(stats), "the city's figures per county equal each county's own (persons, households, "
                "entitlements, monthly cost, open alerts, monitored)")
        stats = stats or {}
        rp, rt = row(stats, PY) or {}, row(stats, TS) or {}
        R.check(rp.get("name") == "Pingyang" and rt.get("name") == "Taishun", "counties carry their names")
        R.check(rp.get("deployments") == ["pingyang"] and rt.get("deployments") == ["taishun"]
                and rp.get("deployment") == "pingyang" and rt.get("deployment") == "taishun",
                "each region was fed by its own county")
        tot = stats.get("total", {})
        R.check(tot.get("persons") == 5 and tot.get("households") == 3
                and tot.get("entitlements_active") == want[PY]["entitlements_active"] + want[TS]["entitlements_active"]
                and abs(tot.get("monthly_cost", -1) - want[PY]["monthly_cost"] - want[TS]["monthly_cost"]) < 0.001,
                "the total is the sum of the counties: %r" % ({k: tot.get(k) for k in ("persons", "households",
                                                                                      "entitlements_active",
                                                                                      "monthly_cost")},))
        R.check(tot.get("beneficiaries", 0) >= 2, "both counties have beneficiaries")
        R.check(rt.get("wishes") == {"submitted": 1, "fulfilled": 1} and rt.get("donations_value") == 150.00
                and rp.get("wishes") == {"submitted": 0, "fulfilled": 0},
                "Taishun's wish and its 150.00 donation are Taishun's: %r" % ((rt.get("wishes"), rt.get("donations_value")),))
        # applications (rules' proactive dibao/tekun cases become applications in intake)
        for c, region, r in ((py, PY, rp), (ts, TS, rt)):
            st, apps, _ = c.http.get("/v1/applications?region=%s&limit=1000" % region)
            if st != 200:
                print("skip applications of %s: intake answers %d" % (region, st))
                continue
            by = {}
            for a in apps["items"]:
                by[a["status"]] = by.get(a["status"], 0) + 1
            got = dict(r.get("applications", {}))
            R.check(got.get("submitted") == len(apps["items"])
                    and all(got.get(k, 0) == v for k, v in by.items() if k != "submitted"),
                    "%s's applications by status agree with its queue: city %r, intake %r" % (region, got, by))

        # each county's own city service (county deployment) sees just its county
        st, s, _ = py.http.get("/v1/stats?region=%s" % PY)
        R.check(st == 200 and s.get("persons") == 3 and s.get("households") == 2
                and s.get("entitlements_active") == want[PY]["entitlements_active"],
                "Pingyang's own /v1/stats agrees: %r" % ({k: s.get(k) for k in ("persons", "households")},))
        st, s, _ = ts.http.get("/v1/city/stats")
        R.check(st == 200 and [r["region"] for r in s.get("counties", [])] == [TS],
                "Taishun's own stack knows only Taishun")

        st, loc, _ = city.http.get("/v1/city/locate/" + B2, key=ckey)
        R.check(st == 200 and loc.get("region") == TS and loc.get("deployment") == "taishun",
                "locate: a Pingyang-born resident registered in Taishun is Taishun's (%r)" % (loc,))
        st, loc, _ = city.http.get("/v1/city/locate/" + A1, key=ckey)
        R.check(st == 200 and loc.get("region") == PY and loc.get("deployment") == "pingyang", "locate: Pingyang's")
        st, loc, _ = py.http.get("/v1/city/locate/" + A1)
        R.check(st == 200 and loc.get("deployment") == "pingyang", "a county's own locate names itself (city.name)")
        st4, loc4, _ = city.http.get("/v1/city/locate/" + A4, key=ckey)
        R.check(st4 == 200 and loc4.get("status") == "moved_out", "a person who moved out is located, as moved out")
        st, _, _ = city.http.get("/v1/city/locate/" + make_id(TS, "1999-01-01", 99), key=ckey)
        R.check(st == 404, "a person no county reported is 404")
        st, _, _ = city.http.get("/v1/city/locate/" + B2[:17] + ("0" if B2[17] != "0" else "1"), key=ckey)
        R.check(st == 422, "a bad ID number is 422")
        st, _, _ = city.http.get("/v1/city/stats", key=cw)
        R.check(st == 403, "a caseworker may not read /v1/city/stats")
        st, s, _ = city.http.get("/v1/stats", key=cw)
        R.check(st == 200 and s.get("persons") == 2 and s.get("regions") == [TS],
                "a Taishun caseworker's /v1/stats covers Taishun only")

        # kill -9 the city, feed Pingyang another household, restart: nothing lost or doubled
        city.kill9("city")
        st, key, _ = py.http.post("/v1/keys", {"name": "late feed", "role": "partner", "sources": ["hukou"]})
        st, rep, _ = py.post_feed("hukou", "py-hk-2", ndjson(hukou("HPY03", PY, [(B3, "周七", "head")], "py-c")),
                                  key=key["key"])
        R.check(st == 200 and rep.get("accepted") == 1, "Pingyang takes one more household while the city is down")
        py.quiescent(timeout=60)
        city.start_service("city")
        expect[PY] = {"persons": 4, "households": 3}
        stats = wait_for(converged)
        R.check(bool(stats), "after a kill -9 and restart the city counts the new household once and the rest "
                "unchanged")
        if stats:
            R.check(stats["total"]["persons"] == 6 and stats["total"]["households"] == 4,
                    "totals 6 persons in 4 households")
        R.check(time.time() - t0 < 120, "the whole run took %.1f s" % (time.time() - t0))
    finally:
        for c in started:
            try:
                c.stop()
            except AssertionError as e:
                R.check(False, str(e))
        for c in (py, ts, city):
            c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
