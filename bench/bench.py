"""The city-scale benchmark suite (`make bench`, `make bench-quick`): SAIS and its peers
(PostgreSQL 15, a bare libmicrohttpd handler) measured in the same run on the same machine.

    python3 bench/bench.py --mode full|quick --build DIR --out bench/results

Writes OUT/latest.json (every figure with its unit, runs, median/min/max, peer figure, ratio,
target and pass/fail) and OUT/latest.md (the same as tables). A figure that cannot be measured
is reported as not available with the reason; nothing is ever filled in by hand."""
import argparse
import json
import os
import platform
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import free_port, log, summary, wrk, Proc, RssSampler  # noqa: E402
from pgpeer import Pg  # noqa: E402
from sais_side import Sais, applications_script, feed_to_alert, get_script  # noqa: E402
import report  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)

MODES = {
    # scales: persons per city, ascending; the last is the "main" city every other figure uses.
    # reps: repetitions of the load at each scale: 3 where the 45-minute budget allows. The
    # fresh-clone run of 3 at 1M took 47.5 minutes in all; the 6M loads alone are about 26
    # minutes (PostgreSQL's and SAIS's, in the 94cfea5 run), so above 100k each city loads once.
    # medical: (scale, records) of the one-batch medical figure (issue 3's benchmark)
    "quick": {"scales": [10000, 50000], "reps": {10000: 3, 50000: 3}, "wrk_s": 3, "alerts": 100,
              "sample": 1000, "budget_s": 170, "stall_s": 20, "medical": (10000, 100000)},
    # pg_partial: scales at which PostgreSQL holds only some sources and answers nothing. At
    # 1M it holds the registry and its medical records, all its path reads for the medical
    # batch's peer: the whole 1M city in PostgreSQL and its answers were 3.6 of the 45 minutes,
    # and its answers are compared at 100k and 6M anyway
    "full": {"scales": [100000, 1000000, 6000000], "reps": {100000: 3, 1000000: 1, 6000000: 1}, "wrk_s": 6,
             "alerts": 1000, "sample": 10000, "budget_s": 44 * 60, "stall_s": 60, "medical": (1000000, 1000000),
             "pg_partial": {1000000: ("hukou", "medical")}},
}
SEED = 20261123
# the city's files go into PostgreSQL through two sessions at once (pgpeer.Pg.load_city)
PG_CITY_PEER = "PostgreSQL COPY + INSERT … ON CONFLICT + OOP update, 2 sessions"
SIM_PARAMS = {"dibao.line": 1300.00}


class Suite:
    def __init__(self, mode, build, out, bare):
        self.mode = mode
        self.m = MODES[mode]
        self.build = build
        self.out = out
        self.bare_bin = bare
        self.t_start = time.monotonic()
        self.figures = []      # the table rows
        self.scaling = []      # cost per record at each scale
        self.notes = []
        self.agreement = {}
        self.env = {}
        self.pg = None
        self.sais = None
        self.cities = {}

    # ------------------------------------------------------------------ helpers

    def elapsed(self):
        return time.monotonic() - self.t_start

    def figure(self, fid, name, unit, values, peer=None, peer_values=None, ratio_of=None, target=None,
               passed=None, reason=None, better="higher", extra=None):
        f = {"id": fid, "name": name, "unit": unit, "value": summary(values or [], unit), "better": better,
             "peer": None, "ratio": None, "target": target, "pass": passed}
        if peer:
            f["peer"] = {"name": peer, "value": summary(peer_values or [], unit)}
        if ratio_of is not None:
            f["ratio"] = ratio_of
        elif f["value"] and f["peer"] and f["peer"]["value"] and f["peer"]["value"]["median"]:
            f["ratio"] = f["value"]["median"] / f["peer"]["value"]["median"]
        if f["value"] is None:
            f["pass"] = None
            f["reason"] = reason or "not measured"
        elif reason:
            f["note"] = reason
        if extra:
            f.update(extra)
        self.figures.append(f)
        log("figure %s: %s" % (fid, json.dumps({k: f[k] for k in ("value", "ratio", "pass")}, default=str)[:300]))
        return f

    # ------------------------------------------------------------------ the cities

    def generate(self):
        for n in self.m["scales"]:
            d = os.path.join(self.build, "cities", str(n))
            man = os.path.join(d, "manifest.json")
            ok = False
            if os.path.exists(man):
                with open(man) as f:
                    m = json.load(f)
                ok = m.get("persons") == n and m.get("seed") == SEED
            if not ok:
                os.makedirs(d, exist_ok=True)
                t0 = time.monotonic()
                r = subprocess.run([self.sais_bin, "gen", "--persons", str(n), "--seed", str(SEED), "--out", d],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise RuntimeError("sais gen failed: %s" % r.stderr[-500:])
                log("generated %d persons in %.1f s" % (n, time.monotonic() - t0))
            with open(man) as f:
                m = json.load(f)
            with open(os.path.join(d, "planted.json")) as f:
                p = json.load(f)
            self.cities[n] = {"dir": d, "manifest": m, "order": p["load_order"], "window": p["window"],
                              "today": m["today"],
                              "records": sum(v.get("records", 0) for v in m["files"].values()),
                              "bytes": sum(v.get("bytes", 0) for v in m["files"].values())}

    def region_lines(self):
        """Each region's dibao line from the catalogue (params.lua and its overrides), in fen."""
        text = open(os.path.join(SRC, "deploy", "policies", "params.lua"), encoding="utf-8").read()
        text = "\n".join(l.split("--")[0] for l in text.splitlines())
        base = re.search(r'\["dibao\.line"\]\s*=\s*yuan\s*"([\d.]+)"', text)
        lines = {"": int(round(float(base.group(1)) * 100))}
        for m in re.finditer(r'override\s*"(\d+)"\s*\{([^}]*)\}', text):
            v = re.search(r'\["dibao\.line"\]\s*=\s*yuan\s*"([\d.]+)"', m.group(2))
            if v:
                lines[m.group(1)] = int(round(float(v.group(1)) * 100))
        return lines

    # ------------------------------------------------------------------ one scale

    def run_scale(self, n, main):
        """The loads at one scale, PostgreSQL's then SAIS's in each repetition. PostgreSQL's
        answers are taken right after its last load, and at the main (largest) scale its tables
        are emptied before SAIS loads: the 6M city in both at once needs more disk than the
        machine has (about 40 GB of LMDB and 24 GB of PostgreSQL beside 10 GB of feed files)."""
        city = self.cities[n]
        reps = self.m["reps"][n]
        s_rates, s_rss, s_runs, p_rates, p_secs, s_post = [], [], [], [], [], []
        s_detail = None
        pg_ans = None
        for rep in range(reps):
            last = rep == reps - 1
            if rep > 0 and s_runs:
                need = (s_runs[-1] + (p_secs[-1] if p_secs else 0)) * 1.15 + (self.main_tail if main else 0)
                if self.elapsed() + need > self.m["budget_s"]:
                    self.notes.append("%d persons: load repeated %d time(s), not %d: a further run would "
                                      "pass the %d-minute budget" % (n, rep, reps, self.m["budget_s"] // 60))
                    last = True
            # the peer first: same files, same order. Its rate is steady from run to run (within
            # 3 % at 100k and 1M), so above 100k it loads once and answers then: 4 minutes of the
            # 45-minute budget go to SAIS's repetitions instead
            partial = self.m.get("pg_partial", {}).get(n)
            pg_reps = reps if n <= 100000 and not partial else 1
            if self.pg and rep < pg_reps:
                last_pg = rep == pg_reps - 1 or last
                if partial:
                    log("PostgreSQL: loading the %s records of %d persons" % (" and ".join(partial), n))
                    secs, per = self.pg.load_city(city["dir"], [s for s in city["order"] if s in partial],
                                                  city["window"])
                else:
                    log("PostgreSQL: loading %d persons, run %d" % (n, rep + 1))
                    secs, per = self.pg.load_city(city["dir"], city["order"], city["window"])
                    p_secs.append(secs)
                    p_rates.append(city["records"] / secs)
                log("PostgreSQL: %.1f s (%s)" % (secs, ", ".join("%s %.1f" % kv for kv in per.items())))
                if last_pg and partial:
                    self.notes.append("%s persons: PostgreSQL holds only the %s records (the peer of the medical "
                                      "batch), so it has no load rate or answers at this scale"
                                      % (f"{n:,}", " and ".join(partial)))
                elif last_pg:
                    pg_ans = self.pg_answers(n)
                    if main:
                        # disk for SAIS's copy of the city: a fresh, empty cluster (emptying the
                        # tables would leave the load's 17 GB of WAL behind) with the schema
                        # that pgbench's inserts use. The old one is thrown away, so it stops
                        # at once rather than writing a shutdown checkpoint first
                        self.pg_disk = self.pg.disk_bytes()
                        self.pg.stop(discard=True)
                        self.pg.start()
                        self.pg.reset_schema()
            self.sais = Sais(self.sais_bin, os.path.join(self.build, "sais-run"), self.port, SRC, city["today"])
            # outreach held while the city loads, and released at the end (inside the time):
            # see sais_side.load_city and services/rules/rules_hold.c
            self.sais.start(fresh=True, outreach="hold")
            log("SAIS: loading %d persons (%d records), run %d" % (n, city["records"], rep + 1))
            res = self.sais.load_city(city["dir"], city["order"], settle_timeout=max(600, n / 1000.0),
                                     stall=self.m["stall_s"])
            s_detail = res
            s_rss.append(res["peak_rss_kib"] / 1024.0)
            s_post.append(res["received"] / res["posted_seconds"])
            if res["received"] != city["records"]:
                bad = {k: v for k, v in res["reports"].items() if v.get("received") != v.get("accepted")
                       or v.get("status") not in (None, "done")}
                self.notes.append("%d persons: SAIS received %d of the city's %d records, so this run's rate is not "
                                  "counted (%s)" % (n, res["received"], city["records"], json.dumps(bad)[:300]))
                res["settled_seconds"] = None
                s_runs.append(res["posted_seconds"])
            elif res["settled_seconds"] is None:
                nerr, msgs = self.sais.errors_logged()
                self.notes.append("%d persons: SAIS's bus did not settle (%d ERROR lines; first: %s)"
                                  % (n, nerr, "; ".join(msgs)))
                s_runs.append(res["posted_seconds"])
            else:
                s_runs.append(res["settled_seconds"])
                s_rates.append(res["received"] / res["settled_seconds"])
            log("SAIS: %s" % json.dumps({k: v for k, v in res.items() if k != "reports"}))
            if last:
                sim = self.sais_questions(n, main, pg_ans["sample"] if pg_ans else None, compare=bool(pg_ans))
                if self.m.get("medical") and self.m["medical"][0] == n:
                    try:
                        self.medical_figure(n, self.m["medical"][1])
                    except Exception as e:  # the rest of the suite goes on, and says what failed
                        self.notes.append("the medical-batch figure failed: %r" % e)
                        log("medical-batch figure failed: %r" % e)
            if not (last and main):
                self.sais.stop()
            if last:
                break
        pg_sim = self.agree(n, pg_ans, sim) if pg_ans else None
        row = {"persons": n, "records": city["records"], "bytes": city["bytes"],
               "sais_ingest": summary(s_rates, "records/s"), "sais_peak_rss_mib": summary(s_rss, "MiB"),
               "pg_ingest": summary(p_rates, "records/s"), "sais_post": summary(s_post, "records/s"), "sais_reports": s_detail["reports"] if s_detail else None,
               "sais_simulate": sim.get("summary"), "households": sim.get("households"),
               "sais_simulate_before_kept": sim.get("before_kept"),
               "pg_simulate": pg_sim.get("summary") if pg_sim else None,
               "pg_derive_s": pg_sim.get("derive_s") if pg_sim else None,
               "agreement": self.agreement.get(n)}
        self.scaling.append(row)
        if main:
            self.figure("ingest", "Feed ingestion end to end, %s persons (%s records; outreach held while loading, "
                        "then released: every household decided once, inside the time)"
                        % (f"{n:,}", f"{city['records']:,}"),
                        "records/s", s_rates, peer=PG_CITY_PEER, peer_values=p_rates,
                        target=">= 100,000 records/s and faster than PostgreSQL",
                        passed=(bool(s_rates) and summary(s_rates, "")["median"] >= 100000
                                and (not p_rates or summary(s_rates, "")["median"] > summary(p_rates, "")["median"])),
                        reason=None if s_rates else "the bus did not settle after the feeds were posted")
            self.figure("ingest_post", "Feed posting through gateway + ingest only (to the last 200, "
                        "before verify/rules/warn catch up)", "records/s", s_post,
                        peer=PG_CITY_PEER, peer_values=p_rates,
                        target="(reported: the end-to-end figure above is the one with the target)")
            self.figure("ingest_rss", "Peak resident memory of sais up while ingesting", "MiB", s_rss,
                        better="lower", target="(reported)")
        return row

    def simulate_runs(self):
        """simulate x3 on the loaded city: {summary, body (the last answer), error}."""
        out = {}
        times, body0 = [], None
        for _ in range(3):
            secs, st, body = self.sais.simulate(SIM_PARAMS)
            if st != 200 or not isinstance(body, dict):
                out["error"] = "POST /v1/policies/simulate answered %s: %s" % (st, str(body)[:200])
                break
            times.append(secs)
            body0 = body
        out["summary"] = summary(times, "s")
        out["body"] = body0
        # how many households' "before" side came from the decisions rules keeps (the rest
        # were evaluated on both sides): a figure far below the households means kept
        # decisions went stale (a reload, payments since) and the run did twice the work
        out["before_kept"] = body0.get("households_before_kept") if body0 else None
        return out

    def sais_questions(self, n, main, sample=None, compare=True):
        """simulate x3 (+ household-by-household answers on a sample, when PostgreSQL has
        answers to compare them with) on the loaded city."""
        out = self.simulate_runs()
        body0 = out["body"]
        out["households"] = body0.get("households_evaluated") if body0 else None
        if body0 and compare:
            sample = sample or self.sample_households(n)
            t0 = time.monotonic()
            out["evaluated"] = self.sais.evaluate_households(sample, SIM_PARAMS)
            log("SAIS: evaluated %d households one by one in %.1f s" % (len(sample), time.monotonic() - t0))
            out["paid"] = self.sais.paid_12m("temp_medical")
        self.sim_sais = getattr(self, "sim_sais", {})
        self.sim_sais[n] = out
        return out

    def household_ids(self, n):
        ids = set()
        with open(os.path.join(self.cities[n]["dir"], "hukou.ndjson"), encoding="utf-8") as f:
            for line in f:
                m = re.search(r'"household_id":"([^"]+)"', line)
                if m:
                    ids.add(m.group(1))
        return sorted(ids)

    def medical_batch(self, n, records):
        """A medical NDJSON batch of `records` settlements over the persons of the n-person
        city (each person in turn), dated inside the 365-day window, seeded: the same file for
        the same city. Written once next to the city."""
        city = self.cities[n]
        path = os.path.join(city["dir"], "medical-batch-%d.ndjson" % records)
        if os.path.exists(path):
            return path
        ids = []
        with open(os.path.join(city["dir"], "hukou.ndjson"), encoding="utf-8") as f:
            for line in f:
                m = re.search(r'"id_number":"([^"]+)"', line)
                if m:
                    ids.append(m.group(1))
        ids = sorted(set(ids))
        rnd = random.Random(SEED)
        lo = time.strptime(city["window"]["oop_days"][0], "%Y-%m-%d")
        day0 = int(time.mktime(lo) // 86400)
        cats = ("general", "chronic", "serious")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            for i in range(records):
                total = rnd.randint(10000, 5000000)          # fen
                paid = total * rnd.randint(40, 90) // 100
                d = time.strftime("%Y-%m-%d", time.gmtime((day0 + rnd.randint(0, 364)) * 86400 + 43200))
                f.write('{"record_id":"MB%09d","id_number":"%s","settled_on":"%s","total":%d.%02d,'
                        '"insurance_paid":%d.%02d,"out_of_pocket":%d.%02d,"category":"%s",'
                        '"hospital":"平阳县人民医院"}\n'
                        % (i + 1, ids[i % len(ids)], d, total // 100, total % 100, paid // 100, paid % 100,
                           (total - paid) // 100, (total - paid) % 100, cats[i % 3]))
        os.replace(path + ".tmp", path)
        return path

    def medical_figure(self, n, records):
        """Issue 3's benchmark: one medical batch of `records` settlements posted through the
        gateway to the loaded n-person city, timed until every consumer has caught up; the same
        file through PostgreSQL's feed path on its copy of the same city."""
        path = self.medical_batch(n, records)
        s_rate, rss, reason = [], [], None
        with RssSampler(self.sais.proc.pid) as rs:
            t0 = time.monotonic()
            rep = self.sais.post_file("medical", path, "bench-medical-batch")
            waited = self.sais.settle(max(600, records / 1000.0), self.m["stall_s"])
            secs = time.monotonic() - t0
            peak = rs.peak
        if rep.get("accepted") != records:
            reason = "the batch report: %s" % json.dumps({k: rep.get(k) for k in ("received", "accepted", "rejected",
                                                                                  "duplicates", "status", "detail")})
        if waited is None:
            reason = "the bus did not settle after the batch"
        else:
            s_rate.append(records / secs)
            rss.append(peak / 1024.0)
        log("SAIS: medical batch of %d records in %.1f s (%s)" % (records, secs, reason or "ok"))
        p_rate = []
        if self.pg:
            t0 = time.monotonic()
            self.pg.load_file("medical", path, self.cities[n]["window"])
            p_rate.append(records / (time.monotonic() - t0))
        ok = bool(s_rate) and s_rate[0] >= 100000 and (not p_rate or s_rate[0] > p_rate[0]) and not reason
        self.figure("medical_batch", "One %s-record medical batch over the %s-person registry, end to end "
                    "(1 run)" % (f"{records:,}", f"{n:,}"), "records/s", s_rate,
                    peer="PostgreSQL COPY + INSERT … ON CONFLICT + OOP update", peer_values=p_rate,
                    target=">= 100,000 records/s and faster than PostgreSQL", passed=ok, reason=reason)
        self.figure("medical_batch_rss", "Peak resident memory of sais up during that batch", "MiB", rss,
                    better="lower", target="(reported)")

    def simulate_figures(self, sim, peer_values, ag):
        """The simulate figures from SAIS's runs (sim: households, summary, error), the peer's
        times and the agreement."""
        hh = sim.get("households")
        st = sim.get("summary")
        self.figure("simulate", "City-wide simulate (dibao line 1300.00), %s households" % (f"{hh:,}" if hh else "?"),
                    "s", st["values"] if st else [], peer="PostgreSQL (dibao, marginal, temp_medical)",
                    peer_values=peer_values, better="lower",
                    target="whole city <= 10 s; answers agree household by household",
                    passed=bool(st) and st["median"] <= 10 and bool(ag and ag["agree"]),
                    reason=sim.get("error") or (None if not ag or ag["agree"] else
                                                "answers differ from PostgreSQL: see agreement"))
        if st and hh:
            kept = sim.get("before_kept")
            self.figure("simulate_rate", "City-wide simulate throughput", "households/s",
                        [hh / v for v in st["values"]], target="(reported)",
                        reason=None if kept is None else
                        "%s of the %s households had their \"before\" side from kept decisions" % (f"{kept:,}", f"{hh:,}"))

    def compare_figure(self):
        """The monthly cross-comparison, 3 runs on the loaded city."""
        times, err = [], None
        for _ in range(3):
            secs, code, body = self.sais.compare()
            if code != 200:
                err = "POST /v1/admin/compare answered %s: %s" % (code, str(body)[:200])
                break
            times.append(secs)
        self.figure("compare", "Monthly cross-comparison (POST /v1/admin/compare)", "s", times, better="lower",
                    target="<= 30 s", passed=bool(times) and summary(times, "")["median"] <= 30, reason=err)

    def sample_households(self, n):
        """The households compared one by one: all, or a seeded sample of them."""
        hh = self.household_ids(n)
        random.seed(SEED)
        return hh if len(hh) <= self.m["sample"] else random.sample(hh, self.m["sample"])

    def pg_answers(self, n):
        """PostgreSQL's answers on the city it has just loaded: derive, the whole-city counts
        (3 runs) and the answer for each sampled household."""
        city = self.cities[n]
        res = {}
        res["derive_s"] = self.pg.derive(city["today"], city["window"])
        self.pg.prepare_simulate(self.region_lines(), int(round(SIM_PARAMS["dibao.line"] * 100)))
        times, counts = [], None
        for _ in range(3):
            secs, counts = self.pg.simulate_counts()
            times.append(secs)
        res["summary"] = summary(times, "s")
        res["counts"] = counts
        res["temp_medical"] = self.pg.temp_medical_conditions()
        # the sample, and every household temp_medical's conditions reach (few, and the ones
        # where the payment ledger matters)
        res["sample"] = sorted(set(self.sample_households(n)) | set(res["temp_medical"]))
        res["households"] = self.pg.simulate_households(only=set(res["sample"]))
        # kept beside the build for `--only questions`, which asks SAIS again without PostgreSQL
        with open(os.path.join(self.build, "pg-temp-medical-%d.json" % n), "w") as f:
            json.dump(res["temp_medical"], f)
        return res

    @staticmethod
    def net_temp_medical(counts, households, conditions, paid):
        """PostgreSQL's temp_medical answers net of the payment ledger (what SAIS paid each
        household in the last 12 months): eligible when the conditions hold and the grant
        exceeds what was paid. Both sides answer over the same ledger; only the conditions and
        the grant are PostgreSQL's own."""
        counts = dict(counts)
        for i, tag in ((0, "before"), (1, "after")):
            counts["temp_medical_%s" % tag] = sum(1 for hid, c in conditions.items()
                                                  if c[i] and c[2] > paid.get(hid, 0))
        hh = {}
        for hid, ans in households.items():
            c = conditions.get(hid)
            tm = (bool(c and c[0] and c[2] > paid.get(hid, 0)), bool(c and c[1] and c[2] > paid.get(hid, 0)))
            hh[hid] = dict(ans, temp_medical=tm)
        return counts, hh

    def agree(self, n, res, sim):
        """SAIS's answers against PostgreSQL's: whole-city counts, then household by household."""
        counts, pgh = res["counts"], res["households"]
        if sim.get("paid") is not None:
            counts, pgh = self.net_temp_medical(counts, pgh, res["temp_medical"], sim["paid"])
        ag = {"counts": {}, "households_compared": 0, "households_differing": 0, "examples": []}
        sb = sim.get("body") or {}
        pol = {p["policy"]: p for p in sb.get("policies", [])}
        for name in ("dibao", "marginal", "temp_medical"):
            for tag in ("before", "after"):
                s_v = pol.get(name, {}).get("eligible_%s" % tag)
                p_v = counts.get("%s_%s" % (name, tag))
                ag["counts"]["%s_%s" % (name, tag)] = {"sais": s_v, "postgresql": p_v, "agree": s_v == p_v}
        ag["counts"]["households"] = {"sais": sb.get("households_evaluated"), "postgresql": counts.get("households"),
                                      "agree": sb.get("households_evaluated") == counts.get("households")}
        ev = sim.get("evaluated") or {}
        for hid, s_ans in sorted(ev.items()):
            p_ans = pgh.get(hid)
            ag["households_compared"] += 1
            diff = []
            if "error" in s_ans:
                diff.append("SAIS answered %s" % s_ans["error"])
            elif p_ans is None:
                diff.append("not a household in PostgreSQL")
            else:
                for pname in ("dibao", "marginal", "temp_medical"):
                    if tuple(s_ans.get(pname, (None, None))) != tuple(p_ans[pname]):
                        diff.append("%s sais=%s pg=%s" % (pname, s_ans.get(pname), p_ans[pname]))
            if diff:
                ag["households_differing"] += 1
                if len(ag["examples"]) < 8:
                    ag["examples"].append({"household_id": hid, "differences": diff})
        ag["agree"] = (all(c["agree"] for c in ag["counts"].values()) and ag["households_differing"] == 0
                       and ag["households_compared"] > 0)
        self.agreement[n] = ag
        log("agreement at %d: %s" % (n, json.dumps(ag)[:600]))
        return res

    # ------------------------------------------------------------------ the main city only

    def main_city(self, n):
        city = self.cities[n]
        sim = self.sim_sais.get(n, {})
        pgs = [r for r in self.scaling if r["persons"] == n][0]
        self.simulate_figures(sim, pgs["pg_simulate"]["values"] if pgs.get("pg_simulate") else [],
                              self.agreement.get(n))
        self.compare_figure()
        self.rss_rest = self.sais.rss()
        self.http_figures(n)
        self.alert_figure(n)
        sizes = self.sais.lmdb_sizes()
        self.lmdb = {k: v for k, v in sizes.items()}
        self.figure("rss_rest", "Resident memory of sais up at rest, %s persons loaded" % f"{n:,}", "MiB",
                    [self.rss_rest / 1024.0] if self.rss_rest else [], better="lower", target="(reported)")
        self.figure("disk", "LMDB on disk, all services (per service in the table below)", "MiB",
                    [sum(sizes.values()) / 2 ** 20], better="lower", target="(reported)",
                    peer="PostgreSQL database size", peer_values=[self.pg_disk / 2 ** 20] if self.pg_disk else [])
        # start-up on the loaded city
        self.sais.stop()
        ups = []
        for _ in range(3):
            ups.append(self.sais.start(fresh=False))
            self.sais.stop()
        self.figure("startup", "Start-up of sais up on the loaded %s-person city (to /healthz 200)" % f"{n:,}", "s",
                    ups, better="lower", target="(reported)")

    def http_figures(self, n):
        city = self.cities[n]
        ids = []
        with open(os.path.join(city["dir"], "hukou.ndjson"), encoding="utf-8") as f:
            for line in f:
                m = re.search(r'"id_number":"([^"]+)"', line)
                if m:
                    ids.append(m.group(1))
                if len(ids) >= 200000:
                    break
        random.seed(SEED)
        ids = random.sample(sorted(set(ids)), min(5000, len(set(ids))))
        lua = os.path.join(self.build, "bench-get.lua")
        get_script(lua, ids)
        secs = self.m["wrk_s"]
        base = "http://127.0.0.1:%d" % self.port
        auth = "Authorization: Bearer %s" % self.sais.http.key
        sais_r, rss_load = [], 0
        from lib import RssSampler
        with RssSampler(self.sais.proc.pid) as rs:
            for _ in range(3):
                sais_r.append(wrk(base, secs, script=lua, headers=[auth]))
            rss_load = rs.peak
        bare_port = free_port()
        bare = Proc([self.bare_bin, str(bare_port), "2"], os.path.join(self.build, "bare.log"))
        time.sleep(0.3)
        bare_r = [wrk("http://127.0.0.1:%d" % bare_port, secs, script=lua) for _ in range(3)]
        bare.stop()
        ok = [r for r in sais_r if "rps" in r]
        okb = [r for r in bare_r if "rps" in r]
        bad = sum(r.get("non2xx", 0) + r.get("errors", 0) for r in ok)
        total = sum(r.get("requests") or 0 for r in ok)
        note = None
        if bad:
            note = "%d of %d responses were not 2xx or failed" % (bad, total)
        rps = [r["rps"] for r in ok]
        brps = [r["rps"] for r in okb]
        ratio = (summary(rps, "")["median"] / summary(brps, "")["median"]) if rps and brps else None
        p99 = [r["p99_ms"] for r in ok if r.get("p99_ms") is not None]
        self.figure("get_person", "GET /v1/persons/{id}, wrk 32 connections", "req/s", rps, peer="bare libmicrohttpd",
                    peer_values=brps, target=">= 50% of bare", passed=bool(ratio and ratio >= 0.5 and not bad),
                    reason=note or ("wrk failed: %s" % sais_r[0].get("error") if not rps else None))
        self.figure("get_person_p99", "GET /v1/persons/{id} p99 latency", "ms", p99, peer="bare libmicrohttpd",
                    peer_values=[r["p99_ms"] for r in okb if r.get("p99_ms") is not None], better="lower",
                    target="< 5 ms", passed=bool(p99) and summary(p99, "")["median"] < 5)
        self.figure("rss_load", "Resident memory of sais up under the GET load", "MiB",
                    [rss_load / 1024.0] if rss_load else [], better="lower", target="(reported)")
        # durable applications
        lua2 = os.path.join(self.build, "bench-apps.lua")
        applications_script(lua2, ids, "330326", self.sais.http.key)
        probe = self.sais.http.post("/v1/applications", {"id_number": ids[0], "channel": "window",
                                                          "filed_region": "330326"})
        app_r, reason = [], None
        if probe[0] != 201:
            reason = "POST /v1/applications answered %s: %s" % (probe[0], str(probe[1])[:160])
        else:
            for _ in range(3):
                r = wrk(base, secs, script=lua2, headers=[auth])
                if "rps" not in r:
                    reason = r.get("error")
                    break
                if r["non2xx"] or r["errors"]:
                    reason = "%d of %d answers were not 201 (or failed)" % (r["non2xx"] + r["errors"], r["requests"] or 0)
                app_r.append(r["rps"])
        pgb = []
        if self.pg:
            for _ in range(3):
                r = self.pg.pgbench_inserts(secs)
                if "rps" in r:
                    pgb.append(r["rps"])
                else:
                    self.notes.append(r["error"])
        sa = summary(app_r, "")
        sp = summary(pgb, "")
        self.figure("applications", "POST /v1/applications, durable, wrk 32 connections", "req/s", app_r,
                    peer="PostgreSQL single-row INSERTs, synchronous_commit on (pgbench, 32 clients)", peer_values=pgb,
                    target="faster than PostgreSQL",
                    passed=bool(sa and sp and sa["median"] > sp["median"] and not (reason and app_r)), reason=reason)

    def alert_figure(self, n):
        """Picks persons who belong to a household in SAIS and have no severe disability yet."""
        city = self.cities[n]
        have_dis = set()
        with open(os.path.join(city["dir"], "disability.ndjson"), encoding="utf-8") as f:
            for line in f:
                m = re.search(r'"id_number":"([^"]+)"', line)
                if m:
                    have_dis.add(m.group(1))
        cands = []
        with open(os.path.join(city["dir"], "hukou.ndjson"), encoding="utf-8") as f:
            for line in f:
                m = re.search(r'"id_number":"([^"]+)"', line)
                if m and m.group(1) not in have_dis:
                    cands.append(m.group(1))
                if len(cands) >= 50000:
                    break
        random.seed(SEED + 1)
        random.shuffle(cands)
        persons, seen = [], set()
        for idn in cands:
            if len(persons) >= self.m["alerts"]:
                break
            st, p = self.sais.http.get("/v1/persons/%s" % idn)
            if st == 200 and isinstance(p, dict) and p.get("household_id") and p.get("status") == "active" \
                    and p["household_id"] not in seen:
                seen.add(p["household_id"])
                persons.append((idn, p["household_id"], p.get("region")))
        reason = None
        if len(persons) < self.m["alerts"]:
            reason = "only %d active persons with a household found among %d tried" % (len(persons), len(cands))
        lat, missing, failed = feed_to_alert(self.sais, persons)
        if missing or failed:
            reason = ("%s; " % reason if reason else "") + \
                     "%d batch(es) refused, %d alert(s) not visible within 2 s" % (failed, missing)
        p50 = summary(lat, "ms")
        p99v = sorted(lat)[max(0, int(round(0.99 * len(lat))) - 1)] if lat else None
        self.figure("alert_latency_p99", "Feed-to-alert latency p99 (one-record batch -> GET /v1/alerts), %d batches"
                    % len(persons), "ms", [p99v] if p99v is not None else [], better="lower", target="<= 50 ms",
                    passed=p99v is not None and p99v <= 50 and not missing,
                    reason=reason if (reason or p99v is None) else None,
                    extra={"p50_ms": p50["median"] if p50 else None, "samples": len(lat)})

    # ------------------------------------------------------------------ the whole run

    def run(self):
        self.env = {"mode": self.mode, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "machine": "%s, %d cores, %.0f GiB" % (platform.machine(), os.cpu_count(),
                                                         os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30),
                    "kernel": platform.release(),
                    # other work on the machine makes every figure slower: the load says how much
                    "loadavg_start": os.getloadavg()[0],
                    "git": subprocess.run(["git", "-C", SRC, "rev-parse", "--short", "HEAD"], capture_output=True,
                                          text=True).stdout.strip()}
        self.sais_bin = os.path.join(self.build, "sais")
        self.port = free_port()
        self.generate()
        self.env["cities"] = {str(n): {"records": c["records"], "bytes": c["bytes"],
                                       "households": c["manifest"].get("households")} for n, c in self.cities.items()}
        try:
            self.pg = Pg(os.path.join(self.build, "pg"), free_port())
            self.pg.start()
            self.env["postgresql"] = self.pg.version
        except Exception as e:  # the suite goes on without its peer and says so
            self.notes.append("PostgreSQL could not be started: %s" % e)
            self.pg = None
        self.main_tail = 12 * self.m["wrk_s"] + 60   # HTTP figures, alerts, start-ups on the main city
        main = self.m["scales"][-1]
        self.pg_disk = None
        try:
            for n in self.m["scales"]:
                self.run_scale(n, n == main)
            self.main_city(main)
        finally:
            if self.sais:
                self.sais.stop()
            if self.pg:
                self.pg.stop()
        self.env["elapsed_s"] = round(self.elapsed(), 1)
        self.env["loadavg_end"] = os.getloadavg()[0]
        return self.write()

    def run_medical_only(self):
        """The medical-batch figure alone (its city loaded into PostgreSQL and SAIS first),
        replacing that figure in OUT/<mode>.json and .md and leaving the rest as it was."""
        n, records = self.m["medical"]
        self.m = dict(self.m, scales=[n])
        self.sais_bin = os.path.join(self.build, "sais")
        self.port = free_port()
        self.generate()
        city = self.cities[n]
        try:
            self.pg = Pg(os.path.join(self.build, "pg"), free_port())
            self.pg.start()
            self.pg.load_city(city["dir"], city["order"], city["window"])
        except Exception as e:
            self.notes.append("PostgreSQL could not be started: %s" % e)
            self.pg = None
        try:
            self.sais = Sais(self.sais_bin, os.path.join(self.build, "sais-run"), self.port, SRC, city["today"])
            self.sais.start(fresh=True, outreach="hold")
            self.sais.load_city(city["dir"], city["order"], settle_timeout=max(600, n / 1000.0), stall=self.m["stall_s"])
            self.medical_figure(n, records)
        finally:
            if self.sais:
                self.sais.stop()
            if self.pg:
                self.pg.stop()
        self.merge({"medical_batch", "medical_batch_rss"},
                   "the medical-batch figures were measured in a separate run of `bench.py --only medical`")
        return 0

    def merge(self, replace_ids, why):
        """Puts self.figures into the mode's existing results in place of `replace_ids`."""
        name = "latest" if self.mode == "full" else "quick"
        path = os.path.join(self.out, name + ".json")
        with open(path) as f:
            res = json.load(f)
        res["figures"] = [f for f in res["figures"] if f["id"] not in replace_ids] + self.figures
        res.setdefault("notes", []).append("%s (%s, SAIS %s)" % (
            why, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            subprocess.run(["git", "-C", SRC, "rev-parse", "--short", "HEAD"], capture_output=True,
                           text=True).stdout.strip()))
        res["notes"] += self.notes
        for k, v in self.agreement.items():
            res.setdefault("agreement", {})[str(k)] = v
        with open(path, "w") as f:
            json.dump(res, f, indent=1, default=str)
        with open(os.path.join(self.out, name + ".md"), "w") as f:
            f.write(report.markdown(res))
        log("put %s into %s" % (", ".join(sorted(replace_ids)), path))
        return res

    def run_questions_only(self):
        """Simulate and the monthly comparison again on the main city SAIS loaded in the last
        full run (its data is kept under the build tree), with the whole-city counts checked
        against the PostgreSQL counts that run recorded."""
        n = self.m["scales"][-1]
        self.m = dict(self.m, scales=[n])
        self.sais_bin = os.path.join(self.build, "sais")
        self.port = free_port()
        self.generate()
        city = self.cities[n]
        name = "latest" if self.mode == "full" else "quick"
        with open(os.path.join(self.out, name + ".json")) as f:
            prev = json.load(f)
        pgc = {k: v.get("postgresql") for k, v in (prev.get("agreement", {}).get(str(n), {}).get("counts") or {}).items()}
        self.sais = Sais(self.sais_bin, os.path.join(self.build, "sais-run"), self.port, SRC, city["today"])
        try:
            self.sais.start(fresh=False)
            out = self.simulate_runs()
            body0 = out["body"]
            st = out["summary"]
            hh = body0.get("households_evaluated") if body0 else None
            ag = {"counts": {}, "households_compared": 0, "households_differing": 0, "examples": [],
                  "note": "whole-city counts only: PostgreSQL's per-household answers were not kept"}
            tm_path = os.path.join(self.build, "pg-temp-medical-%d.json" % n)
            if os.path.exists(tm_path):
                with open(tm_path) as f:
                    pgc, _ = self.net_temp_medical(pgc, {}, json.load(f), self.sais.paid_12m("temp_medical"))
            pol = {p["policy"]: p for p in (body0 or {}).get("policies", [])}
            for name_ in ("dibao", "marginal", "temp_medical"):
                for tag in ("before", "after"):
                    key = "%s_%s" % (name_, tag)
                    sv = pol.get(name_, {}).get("eligible_%s" % tag)
                    ag["counts"][key] = {"sais": sv, "postgresql": pgc.get(key), "agree": sv == pgc.get(key)}
            ag["counts"]["households"] = {"sais": hh, "postgresql": pgc.get("households"),
                                          "agree": hh == pgc.get("households")}
            ag["agree"] = all(c["agree"] for c in ag["counts"].values())
            self.agreement[n] = ag
            peer = [f for f in prev["figures"] if f["id"] == "simulate"]
            pv = (peer[0].get("peer") or {}).get("value") or {} if peer else {}
            self.simulate_figures({"households": hh, "summary": st, "error": out.get("error"),
                                   "before_kept": out.get("before_kept")},
                                  pv.get("values") or [], ag)
            self.compare_figure()
        finally:
            self.sais.stop()
        self.merge({"simulate", "simulate_rate", "compare"},
                   "simulate and compare on the main city were measured again by `bench.py --only questions` after "
                   "the gateway gave whole-city computations a longer deadline (they had answered 504 after 10 s)")
        return 0

    def write(self):
        res = {"environment": self.env, "figures": self.figures, "scaling": self.scaling,
               "agreement": {str(k): v for k, v in self.agreement.items()},
               "lmdb_bytes": getattr(self, "lmdb", None), "notes": self.notes}
        os.makedirs(self.out, exist_ok=True)
        name = "latest" if self.mode == "full" else "quick"
        with open(os.path.join(self.out, name + ".json"), "w") as f:
            json.dump(res, f, indent=1, default=str)
        with open(os.path.join(self.out, name + ".md"), "w") as f:
            f.write(report.markdown(res))
        log("wrote %s/%s.json and .md in %.0f s" % (self.out, name, self.elapsed()))
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=sorted(MODES), default="quick")
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--bare", required=True)
    ap.add_argument("--only", choices=["medical", "questions"],
                    help="run one figure on its own and put it into the mode's existing results file")
    a = ap.parse_args()
    suite = Suite(a.mode, os.path.abspath(a.build), os.path.abspath(a.out), os.path.abspath(a.bare))
    if a.only == "medical":
        return suite.run_medical_only()
    if a.only == "questions":
        return suite.run_questions_only()
    return suite.run()


if __name__ == "__main__":
    sys.exit(main())
