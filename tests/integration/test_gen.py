#!/usr/bin/env python3
"""The synthetic city generator, `sais gen`, checked from the outside.

Runs the binary named by SAIS_BIN, then checks its files with an implementation of
DOMAIN.md written here independently of the C code: ID check digits, every field of every
feed, record_id uniqueness, realistic proportions, byte-identical reruns, and every planted
case recomputed from the generated records (per-capita income, OOP, amounts, signals).

Python 3 standard library only. Prints one line per check and "N passed, M failed" last;
exits non-zero on any failure.
"""
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from decimal import Decimal

BIN = os.environ.get("SAIS_BIN", "")
PERSONS = 20000
SEED = 20261123
TODAY = datetime.date(2026, 11, 23)

SOURCES = ["hukou", "medical", "disability", "hrss", "civil", "justice", "assets"]
WENZHOU = {"330302", "330303", "330304", "330305", "330324", "330326", "330327", "330328",
           "330329", "330381", "330382", "330383"}
PROVINCES = set(range(11, 16)) | set(range(21, 24)) | set(range(31, 38)) | set(range(41, 47)) \
    | set(range(50, 55)) | set(range(61, 66))
POLICIES = ["dibao", "tekun", "marginal", "temp_medical", "disability_care", "disability_living"]
FEED_SIGNALS = ["catastrophic_medical", "income_drop", "breadwinner_death", "severe_disability",
                "beneficiary_deceased", "beneficiary_incarcerated", "assets_over_limit"]
OTHER_SIGNALS = ["visit_risk", "follow_up_overdue", "recheck_due"]
SEVERITY = {"catastrophic_medical": "high", "income_drop": "medium", "breadwinner_death": "high",
            "severe_disability": "medium", "beneficiary_deceased": "high",
            "beneficiary_incarcerated": "high", "assets_over_limit": "high"}

# demo parameters, in fen
LINE = 120000

# field name -> (required, checker name); checkers below
FIELDS = {
    "hukou": {"name": (True, "text"), "household_id": (True, "text"), "relation": (True, "relation"),
              "region": (True, "region"), "phone": (False, "phone"), "event": (True, "hukou_event"),
              "date": (True, "date")},
    "medical": {"settled_on": (True, "date"), "total": (True, "money"), "insurance_paid": (True, "money"),
                "out_of_pocket": (True, "money"), "category": (True, "med_category"),
                "hospital": (False, "text")},
    "disability": {"certificate": (True, "text"), "category": (True, "dis_category"),
                   "grade": (True, "grade"), "issued_on": (True, "date"), "status": (True, "dis_status")},
    "hrss": {"month": (True, "month"), "kind": (True, "income_kind"), "amount": (True, "money")},
    "civil": {"event": (True, "civil_event"), "date": (True, "date")},
    "justice": {"event": (True, "justice_event"), "date": (True, "date"), "facility": (False, "text")},
    "assets": {"kind": (True, "asset_kind"), "value": (True, "money"), "as_of": (True, "date")},
}
ENUMS = {
    "relation": {"head", "spouse", "child", "parent", "grandchild", "sibling", "other"},
    "hukou_event": {"register", "update", "move_out"},
    "med_category": {"general", "chronic", "serious"},
    "dis_category": {"visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"},
    "dis_status": {"active", "revoked"},
    "income_kind": {"wage", "pension", "unemployment_benefit", "business"},
    "civil_event": {"death", "marriage", "divorce"},
    "justice_event": {"incarcerated", "released"},
    "asset_kind": {"real_estate", "vehicle", "deposit", "securities", "business"},
}

# ---------------------------------------------------------------- the harness

CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


class Fail(Exception):
    pass


def expect(cond, msg):
    if not cond:
        raise Fail(msg)


# ---------------------------------------------------------------- independent rules

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"


def id_problem(idn, today):
    """None if idn is a valid GB 11643-1999 number born on or before today, else why."""
    if not isinstance(idn, str) or len(idn) != 18 or not idn[:17].isdigit() \
            or not (idn[17].isdigit() or idn[17] == "X"):
        return "format"
    if int(idn[:2]) not in PROVINCES:
        return "province"
    try:
        born = datetime.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError:
        return "birth date"
    if born > today:
        return "born in the future"
    s = sum(int(c) * w for c, w in zip(idn[:17], WEIGHTS))
    if CHECK_CHARS[s % 11] != idn[17]:
        return "check digit"
    return None


def birth_of(idn):
    return datetime.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))


def age_on(born, day):
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def month_index(d):
    return d.year * 12 + d.month - 1


def parse_month(s):
    y, m = s.split("-")
    return int(y) * 12 + int(m) - 1


def fen(d):
    return int(d * 100)


# ---------------------------------------------------------------- loading


class Data:
    """All records of one generated directory, indexed by person and household."""

    def __init__(self, out):
        self.out = out
        self.raw = {}
        self.records = {}
        self.problems = []
        for src in SOURCES:
            path = os.path.join(out, src + ".ndjson")
            with open(path, "rb") as f:
                blob = f.read()
            self.raw[src] = blob
            recs = []
            for n, line in enumerate(blob.split(b"\n")[:-1], 1):
                try:
                    recs.append(json.loads(line.decode("utf-8"), parse_float=Decimal))
                except (ValueError, UnicodeDecodeError) as e:
                    self.problems.append("%s:%d: %s" % (src, n, e))
            expect(blob.endswith(b"\n") or not blob, "%s does not end with a newline" % src)
            self.records[src] = recs
        with open(os.path.join(out, "planted.json"), encoding="utf-8") as f:
            self.planted = json.load(f, parse_float=Decimal)
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            self.manifest = json.load(f)
        self.today = datetime.date.fromisoformat(self.planted["today"])
        self.by_person = {src: {} for src in SOURCES}
        for src in SOURCES:
            for r in self.records[src]:
                self.by_person[src].setdefault(r.get("id_number"), []).append(r)
        self.household = {}   # household_id -> [register records]
        for r in self.records["hukou"]:
            if r.get("event") == "register":
                self.household.setdefault(r["household_id"], []).append(r)


# ---------------------------------------------------------------- the evaluator


class Person:
    def __init__(self, data, reg):
        self.id = reg["id_number"]
        self.relation = reg["relation"]
        today = data.today
        lm = month_index(today) - 1
        self.window = range(lm - 11, lm + 1)
        events = sorted(data.by_person["hukou"].get(self.id, []), key=lambda r: r["date"])
        self.registered = events[-1]["event"] != "move_out"
        self.deaths = [r for r in data.by_person["civil"].get(self.id, []) if r["event"] == "death"]
        jail = sorted(data.by_person["justice"].get(self.id, []), key=lambda r: r["date"])
        self.jail_records = [r for r in jail if r["event"] == "incarcerated"]
        self.in_prison = bool(jail) and jail[-1]["event"] == "incarcerated"
        self.monthly = {}
        for r in data.by_person["hrss"].get(self.id, []):
            m = parse_month(r["month"])
            self.monthly[m] = self.monthly.get(m, 0) + fen(r["amount"])
        self.income12 = sum(self.monthly.get(m, 0) for m in self.window)
        self.avg = self.income12 // 12
        self.age = age_on(birth_of(self.id), today)
        dis = data.by_person["disability"].get(self.id, [])
        self.disabled = any(r["status"] == "active" for r in dis)
        self.severe = any(r["status"] == "active" and r["grade"] <= 2 for r in dis)
        self.new_severe = any(r["status"] == "active" and r["grade"] <= 2 and
                              (today - datetime.date.fromisoformat(r["issued_on"])).days < 365 for r in dis)
        self.able = 16 <= self.age < 60 and not self.severe
        lo = today - datetime.timedelta(days=364)
        self.oop = sum(fen(r["out_of_pocket"]) for r in data.by_person["medical"].get(self.id, [])
                       if lo <= datetime.date.fromisoformat(r["settled_on"]) <= today)
        self.assets = data.by_person["assets"].get(self.id, [])


def evaluate(members, deaths=True, jail=True, assets=True):
    """Policies and signal inputs for a household (a list of Person), reading DOMAIN.md.
    deaths/jail/assets False: the state before civil/justice/assets were loaded."""
    counted = [p for p in members if p.registered and not (deaths and p.deaths)
               and not (jail and p.in_prison)]
    tekun = [p for p in counted if not p.able and p.avg < LINE
             and not any(o.able for o in counted if o is not p)]
    dib = [p for p in counted if p not in tekun]
    n = len(dib)
    recs = [r for p in members for r in p.assets] if assets else []
    liquid = sum(fen(r["value"]) for r in recs if r["kind"] in ("deposit", "securities"))
    vehicle = max([fen(r["value"]) for r in recs if r["kind"] == "vehicle"] or [0])
    titles = sum(1 for r in recs if r["kind"] == "real_estate")
    assets_ok = liquid <= 24 * LINE * n and vehicle <= 5000000 and titles <= 1
    res = {}
    pc = sum(p.avg for p in dib) // n if n else None
    dibao = pc is not None and pc < LINE and assets_ok
    res["dibao"] = max((LINE - pc) * n, 1000) if dibao else False
    res["tekun"] = 156000 * len(tekun) if tekun else False
    res["marginal"] = None if n == 0 else (0 if (not dibao and pc * 2 < 3 * LINE and assets_ok) else False)
    oop = sum(p.oop for p in members)
    income12 = sum(p.income12 for p in counted)
    cata = oop >= 2000000 and 2 * oop >= income12
    res["_oop_exact"] = oop * 8 % 10 == 0
    if cata and pc is not None and pc < 2 * LINE:
        res["temp_medical"] = min(oop * 8 // 10, 5000000)
    else:
        res["temp_medical"] = False
    care = sum(1 for p in counted if p.severe)
    res["disability_care"] = 10000 * care if care else False
    living = sum(1 for p in counted if p.disabled) if (dibao or tekun) else 0
    res["disability_living"] = 10000 * living if living else False
    res["_cata"] = cata
    res["_pc"] = pc
    return res


def signals(members, lm):
    out = set()
    final = evaluate(members)
    if final["_cata"]:
        out.add("catastrophic_medical")
    month = {}
    for p in members:
        for m, a in p.monthly.items():
            month[m] = month.get(m, 0) + a
    prev6 = sum(month.get(m, 0) for m in range(lm - 6, lm))
    if month.get(lm, 0) * 12 < prev6:
        out.add("income_drop")
    for p in members:
        if p.deaths and p.income12 > 0 and all(p.income12 > o.income12 for o in members if o is not p):
            out.add("breadwinner_death")
    if any(p.new_severe for p in members):
        out.add("severe_disability")
    # load order: hukou, hrss, medical, disability, assets, civil, justice
    before_civil = evaluate(members, deaths=False, jail=False)
    if (before_civil["disability_care"] or before_civil["disability_living"]) and any(p.deaths for p in members):
        out.add("beneficiary_deceased")
    before_justice = evaluate(members, jail=False)
    if (before_justice["disability_care"] or before_justice["disability_living"]) \
            and any(p.jail_records for p in members):
        out.add("beneficiary_incarcerated")
    before_assets = evaluate(members, deaths=False, jail=False, assets=False)
    if before_assets["dibao"] is not False and final_assets_fail(members, before_assets):
        out.add("assets_over_limit")
    return out


def final_assets_fail(members, before):
    after = evaluate(members, deaths=False, jail=False)
    return after["dibao"] is False


# ---------------------------------------------------------------- running the binary


def run_gen(out, persons=PERSONS, seed=SEED, extra=()):
    cmd = [BIN, "gen", "--persons", str(persons), "--seed", str(seed), "--out", out] + list(extra)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


WORK = None
DATA = None
LEAP = None


def setup():
    global WORK, DATA, LEAP
    WORK = tempfile.mkdtemp(prefix="sais-gen-test-")
    r = run_gen(os.path.join(WORK, "a"))
    if r.returncode != 0:
        raise Fail("gen failed (%d): %s" % (r.returncode, r.stderr))
    DATA = Data(os.path.join(WORK, "a"))
    r = run_gen(os.path.join(WORK, "leap"), persons=3000, seed=7, extra=["--today", "2024-02-29"])
    if r.returncode != 0:
        raise Fail("gen --today 2024-02-29 failed (%d): %s" % (r.returncode, r.stderr))
    LEAP = Data(os.path.join(WORK, "leap"))


# ---------------------------------------------------------------- checks: the command line


@check
def usage_errors():
    d = os.path.join(WORK, "bad")
    bad = [
        [],
        ["--persons", "20000", "--seed", "1"],
        ["--persons", "20000", "--out", d],
        ["--seed", "1", "--out", d],
        ["--persons", "abc", "--seed", "1", "--out", d],
        ["--persons", "10", "--seed", "1", "--out", d],
        ["--persons", "-5", "--seed", "1", "--out", d],
        ["--persons", "20000", "--seed", "-1", "--out", d],
        ["--persons", "20000", "--seed", "18446744073709551616", "--out", d],
        ["--persons", "20000", "--seed", "1", "--out", d, "--today", "2026-02-30"],
        ["--persons", "20000", "--seed", "1", "--out", d, "--today", "26-11-23"],
        ["--persons", "20000", "--seed", "1", "--out", d, "--bogus"],
        ["--persons", "20000", "--seed", "1", "--out"],
    ]
    for args in bad:
        r = subprocess.run([BIN, "gen"] + args, capture_output=True, text=True, timeout=60)
        expect(r.returncode == 2, "%s: exit %d, want 2" % (args, r.returncode))
        expect("usage: sais gen" in r.stderr, "%s: no usage on stderr" % args)
    expect(not os.path.exists(d), "a usage error created the output directory")
    r = subprocess.run([BIN, "gen", "--help"], capture_output=True, text=True, timeout=60)
    expect(r.returncode == 0 and "usage: sais gen" in r.stdout, "--help")


@check
def unwritable_output_fails_cleanly():
    blocker = os.path.join(WORK, "file")
    with open(blocker, "w") as f:
        f.write("x")
    r = run_gen(os.path.join(blocker, "out"), persons=1000)
    expect(r.returncode == 1, "exit %d under a regular file, want 1" % r.returncode)
    expect(r.stderr.strip(), "no message")


@check
def same_seed_same_bytes():
    b = os.path.join(WORK, "b")
    r = run_gen(b, extra=["--today=2026-11-23"])
    expect(r.returncode == 0, r.stderr)
    names = sorted(os.listdir(DATA.out))
    expect(names == sorted(os.listdir(b)), "different file sets")
    expect(not [n for n in names if n.endswith(".tmp")], "temporary files left behind")
    for n in names:
        with open(os.path.join(DATA.out, n), "rb") as f1, open(os.path.join(b, n), "rb") as f2:
            expect(hashlib.sha256(f1.read()).digest() == hashlib.sha256(f2.read()).digest(),
                   "%s differs between two runs with the same seed" % n)


@check
def other_seed_other_city():
    c = os.path.join(WORK, "c")
    r = run_gen(c, seed=SEED + 1)
    expect(r.returncode == 0, r.stderr)
    for src in ("hukou", "hrss", "assets"):
        with open(os.path.join(c, src + ".ndjson"), "rb") as f:
            expect(f.read() != DATA.raw[src], "%s identical under another seed" % src)


@check
def manifest_matches_files():
    m = DATA.manifest
    expect(m["persons"] == PERSONS and m["seed"] == SEED and m["today"] == TODAY.isoformat(), "header")
    for src in SOURCES:
        entry = m["files"][src + ".ndjson"]
        expect(entry["records"] == len(DATA.records[src]), "%s record count" % src)
        expect(entry["bytes"] == len(DATA.raw[src]), "%s byte count" % src)
    expect(m["planted_cases"] == len(DATA.planted["cases"]), "planted_cases")
    expect(m["planted_households"] == len(DATA.planted["households"]), "planted_households")
    expect(m["households"] == len(DATA.household), "households")
    expect(m["files"]["planted.json"]["bytes"] == os.path.getsize(os.path.join(DATA.out, "planted.json")),
           "planted.json bytes")


# ---------------------------------------------------------------- checks: the records


def field_problem(kind, v, today):
    if kind == "text":
        return None if isinstance(v, str) and v.strip() else "empty"
    if kind == "money":
        if not isinstance(v, Decimal) or v.as_tuple().exponent != -2 or v < 0:
            return "not money with two decimals"
        return None
    if kind == "date":
        try:
            d = datetime.date.fromisoformat(v)
        except (TypeError, ValueError):
            return "not a date"
        return None if len(v) == 10 and d <= today else "in the future"
    if kind == "month":
        if not isinstance(v, str) or not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", v):
            return "not YYYY-MM"
        return None if parse_month(v) < month_index(today) else "not a complete month"
    if kind == "region":
        return None if v in WENZHOU else "not a Wenzhou county"
    if kind == "phone":
        return None if isinstance(v, str) and re.fullmatch(r"1[358]\d{9}", v) else "bad phone"
    if kind == "grade":
        return None if type(v) is int and 1 <= v <= 4 else "bad grade"
    return None if v in ENUMS[kind] else "not one of %s" % sorted(ENUMS[kind])


def check_fields(data):
    expect(not data.problems, "unparsable lines: %s" % data.problems[:5])
    for src in SOURCES:
        spec = FIELDS[src]
        allowed = set(spec) | {"record_id", "id_number"}
        bad = []
        for r in data.records[src]:
            keys = set(r)
            missing = [k for k, (req, _) in spec.items() if req and k not in r]
            if keys - allowed or missing:
                bad.append((r.get("record_id"), "fields", sorted(keys - allowed), missing))
                continue
            if not isinstance(r["record_id"], str) or not r["record_id"]:
                bad.append((r.get("record_id"), "record_id"))
            p = id_problem(r["id_number"], data.today)
            if p:
                bad.append((r["record_id"], "id_number", p))
            for k, (_, kind) in spec.items():
                if k in r:
                    p = field_problem(kind, r[k], data.today)
                    if p:
                        bad.append((r["record_id"], k, r[k], p))
            if src == "medical" and not bad:
                if r["out_of_pocket"] > r["total"] or r["insurance_paid"] != r["total"] - r["out_of_pocket"]:
                    bad.append((r["record_id"], "insurance_paid/out_of_pocket"))
            if src == "hukou" and not bad:
                m = re.fullmatch(r"H(\d{6})\d{6,}", r["household_id"])
                if not m or m.group(1) != r["region"]:
                    bad.append((r["record_id"], "household_id", r["household_id"]))
            if src == "disability" and not bad:
                c = r["certificate"]
                if not (len(c) == 20 and c.startswith(r["id_number"]) and c[19] == str(r["grade"])):
                    bad.append((r["record_id"], "certificate", c))
            if src == "hrss" and not bad and r["amount"] <= 0:
                bad.append((r["record_id"], "amount", r["amount"]))
            if len(bad) > 20:
                break
        expect(not bad, "%s: %s" % (src, bad[:5]))


@check
def every_field_follows_domain():
    check_fields(DATA)


@check
def leap_day_city_fields_follow_domain():
    check_fields(LEAP)


@check
def record_ids_unique():
    for src in SOURCES:
        ids = [r["record_id"] for r in DATA.records[src]]
        expect(len(ids) == len(set(ids)), "%s: %d duplicate record_id" % (src, len(ids) - len(set(ids))))


@check
def id_numbers_valid_and_unique():
    regs = [r["id_number"] for r in DATA.records["hukou"] if r["event"] == "register"]
    expect(len(regs) == PERSONS, "%d registered persons, want %d" % (len(regs), PERSONS))
    expect(len(set(regs)) == len(regs), "an ID number is registered twice")
    bad = [(i, id_problem(i, TODAY)) for i in regs if id_problem(i, TODAY)]
    expect(not bad, "invalid ID numbers: %s" % bad[:5])
    # the check digit differs from a plain mod-10 guess often enough to matter
    expect(sum(1 for i in regs if i.endswith("X")) > 0, "no ID ends in X")
    known = set(regs)
    for src in SOURCES:
        stray = [r["record_id"] for r in DATA.records[src] if r["id_number"] not in known]
        expect(not stray, "%s names persons not in hukou: %s" % (src, stray[:3]))
    addr = {i[:6] for i in regs}
    expect(WENZHOU <= addr and len(addr - WENZHOU) >= 5, "address codes: %s" % sorted(addr)[:20])
    expect(any(ord(ch) > 0xFFFF for r in DATA.records["hukou"] for ch in r["name"]),
           "no name with a character outside the BMP")


@check
def households_are_realistic():
    sizes = {}
    for hid, regs in DATA.household.items():
        expect(1 <= len(regs) <= 6, "%s has %d members" % (hid, len(regs)))
        sizes[len(regs)] = sizes.get(len(regs), 0) + 1
        heads = [r for r in regs if r["relation"] == "head"]
        expect(len(heads) == 1, "%s has %d heads" % (hid, len(heads)))
        expect(len({r["region"] for r in regs}) == 1, "%s spans regions" % hid)
        expect("phone" in heads[0], "%s: the head has no phone" % hid)
        h_age = age_on(birth_of(heads[0]["id_number"]), TODAY)
        expect(h_age >= 18, "%s: head aged %d" % (hid, h_age))
        for r in regs:
            a = age_on(birth_of(r["id_number"]), TODAY)
            rel = r["relation"]
            expect(rel != "child" or a <= h_age - 14, "%s: child %d, head %d" % (hid, a, h_age))
            expect(rel != "grandchild" or a <= h_age - 30, "%s: grandchild %d, head %d" % (hid, a, h_age))
            expect(rel != "parent" or a >= h_age + 15, "%s: parent %d, head %d" % (hid, a, h_age))
            expect(rel != "spouse" or a >= 18, "%s: spouse aged %d" % (hid, a))
            d = datetime.date.fromisoformat(r["date"])
            expect(birth_of(r["id_number"]) <= d < TODAY, "%s: registered %s" % (r["record_id"], d))
    expect(set(sizes) == {1, 2, 3, 4, 5, 6}, "household sizes %s" % sizes)
    rels = {r["relation"] for r in DATA.records["hukou"]}
    expect(rels == ENUMS["relation"], "relations used: %s" % rels)


def random_households(data):
    planted = {h["household_id"] for h in data.planted["households"]}
    return {hid: regs for hid, regs in data.household.items() if hid not in planted}


@check
def income_history_is_complete():
    lm = month_index(TODAY) - 1
    short = []
    for idn, recs in DATA.by_person["hrss"].items():
        if DATA.by_person["civil"].get(idn) and any(r["event"] == "death" for r in DATA.by_person["civil"][idn]):
            continue
        if DATA.by_person["justice"].get(idn):
            continue
        months = {parse_month(r["month"]) for r in recs}
        if not all(m in months for m in range(lm - 11, lm + 1)):
            short.append(idn)
        kinds_months = [(r["month"], r["kind"]) for r in recs]
        expect(len({m for m, _ in kinds_months}) == len(kinds_months), "%s: two records for one month" % idn)
    expect(not short, "%d earners without 12 complete months: %s" % (len(short), short[:3]))


@check
def proportions_are_realistic():
    people = {r["id_number"]: r for r in DATA.records["hukou"] if r["event"] == "register"}
    n = len(people)
    lm = month_index(TODAY) - 1
    earners = DATA.by_person["hrss"]
    expect(0.40 < len(earners) / n < 0.80, "earners %.3f" % (len(earners) / n))
    kinds = {r["kind"] for r in DATA.records["hrss"]}
    expect(kinds == ENUMS["income_kind"], "income kinds %s" % kinds)
    old = [i for i in people if age_on(birth_of(i), TODAY) >= 60]
    pens = [i for i in old if any(r["kind"] == "pension" for r in earners.get(i, []))]
    expect(len(pens) / len(old) > 0.5, "pension share of 60+: %.2f" % (len(pens) / len(old)))
    dis = {r["id_number"] for r in DATA.records["disability"]}
    expect(0.045 < len(dis) / n < 0.075, "disability share %.3f" % (len(dis) / n))
    expect({r["grade"] for r in DATA.records["disability"]} == {1, 2, 3, 4}, "grades")
    deaths = [r for r in DATA.records["civil"] if r["event"] == "death"]
    expect(0 < len(deaths) < 0.03 * n, "%d deaths" % len(deaths))
    jail = [r for r in DATA.records["justice"] if r["event"] == "incarcerated"]
    rel = [r for r in DATA.records["justice"] if r["event"] == "released"]
    expect(0 < len(jail) < 0.01 * n and 0 < len(rel) < len(jail), "%d incarcerated, %d released" % (len(jail), len(rel)))
    med = {r["id_number"] for r in DATA.records["medical"]}
    expect(0.05 < len(med) / n < 0.40, "medical share %.3f" % (len(med) / n))
    expect({r["category"] for r in DATA.records["medical"]} == ENUMS["med_category"], "medical categories")
    expect({r["kind"] for r in DATA.records["assets"]} == ENUMS["asset_kind"], "asset kinds")
    rh = random_households(DATA)
    owners = {}
    for r in DATA.records["assets"]:
        owners.setdefault(r["kind"], set()).add(people[r["id_number"]]["household_id"])
    expect(len(owners["deposit"] & set(rh)) / len(rh) > 0.7, "deposits")
    expect(0.1 < len(owners["vehicle"] & set(rh)) / len(rh) < 0.7, "vehicles")
    # a few percent under the demo dibao line, counting every registered, living, free member
    under = 0
    for hid, regs in rh.items():
        members = [Person(DATA, r) for r in regs]
        counted = [p for p in members if p.registered and not p.deaths and not p.in_prison]
        if counted and sum(p.avg for p in counted) // len(counted) < LINE:
            under += 1
    share = under / len(rh)
    expect(0.02 <= share <= 0.10, "%.3f of households under 1200.00 per capita" % share)
    print("   (%.1f%% of random households under the dibao line, %d households)" % (100 * share, len(rh)))


# ---------------------------------------------------------------- checks: the planted cases


def check_planted(data):
    pj = data.planted
    expect(pj["today"] == data.today.isoformat(), "today")
    expect(pj["params"]["dibao.line"] == Decimal("1200.00"), "dibao.line")
    lm = month_index(data.today) - 1
    people = {r["id_number"]: r for r in data.records["hukou"] if r["event"] == "register"}
    rows = {}
    for h in pj["households"]:
        hid = h["household_id"]
        regs = data.household.get(hid)
        expect(regs, "planted household %s (%s) has no hukou records" % (hid, h["tag"]))
        expect(sorted(r["id_number"] for r in regs) == sorted(m["id_number"] for m in h["members"]),
               "%s: members differ from planted.json (a random person in a planted household?)" % h["tag"])
        for r in regs:
            for src in ("assets",):
                kinds = [a["kind"] for a in data.by_person[src].get(r["id_number"], [])]
                expect(len(kinds) == len(set(kinds)), "%s: two %s records of one kind" % (h["tag"], src))
        members = [Person(data, r) for r in regs]
        got = evaluate(members)
        expect(got["temp_medical"] is False or got["_oop_exact"],
               "%s: OOP x 0.8 is not a whole fen, so the amount depends on rounding" % h["tag"])
        for pol in POLICIES:
            want = h["expect"][pol]
            if want["eligible"] is None:
                continue
            g = got[pol]
            expect(g is not None, "%s: %s undetermined here, planted says %s" % (h["tag"], pol, want))
            if want["eligible"]:
                expect(g is not False, "%s: %s not eligible, planted says %s" % (h["tag"], pol, want))
                if want["amount"] is not None:
                    expect(fen(want["amount"]) == g, "%s: %s amount %s, recomputed %.2f"
                           % (h["tag"], pol, want["amount"], g / 100))
            else:
                expect(g is False, "%s: %s eligible (%s), planted says not" % (h["tag"], pol, g))
        sig = signals(members, lm)
        maybe = set(h["signals_maybe"])
        want_sig = set(h["signals"])
        expect((sig - maybe) == (want_sig - maybe),
               "%s: signals recomputed %s, planted %s (maybe %s)" % (h["tag"], sorted(sig), sorted(want_sig), sorted(maybe)))
        rows[hid] = (h, got, sig)
    cover = {}
    for c in pj["cases"]:
        hid = c["household_id"]
        expect(hid in data.household, "case %s: unknown household" % c["case"])
        expect(people.get(c["id_number"], {}).get("household_id") == hid,
               "case %s: %s is not in %s" % (c["case"], c["id_number"], hid))
        what = c.get("policy") or c.get("signal")
        outcome = c["expect"].get("eligible", c["expect"].get("alert"))
        cover.setdefault(what, set()).add(outcome)
        if "needs" in c:
            expect(c["kind"] == "signal" and c["signal"] in OTHER_SIGNALS and c["inputs"], "case %s" % c["case"])
            continue
        expect(hid in rows, "case %s: household not in planted households" % c["case"])
        h, got, sig = rows[hid]
        if c["kind"] == "policy":
            expect(c["expect"] == h["expect"][c["policy"]], "case %s disagrees with its household" % c["case"])
            expect(c["expect"]["eligible"] is not None, "case %s is undetermined" % c["case"])
        else:
            s = c["signal"]
            expect(s not in h["signals_maybe"], "case %s tests a maybe" % c["case"])
            expect(c["expect"]["alert"] == (s in sig), "case %s: recomputed alert %s" % (c["case"], s in sig))
            if c["expect"]["alert"]:
                expect(c["expect"]["severity"] == SEVERITY[s], "case %s severity" % c["case"])
    for what in POLICIES + FEED_SIGNALS:
        expect(cover.get(what) == {True, False}, "%s lacks a positive or a near-miss case: %s" % (what, cover.get(what)))
    for what in OTHER_SIGNALS:
        expect(True in cover.get(what, set()), "%s has no case" % what)
    return rows


@check
def planted_cases_recompute():
    check_planted(DATA)


@check
def planted_cases_recompute_on_a_leap_day():
    check_planted(LEAP)


@check
def seed_story():
    rows = {h["tag"]: h for h in DATA.planted["households"]}
    cheng = rows["seed_cheng"]
    expect(cheng["region"] == "330326", "Cheng lives in Pingyang")
    members = [Person(DATA, r) for r in DATA.household[cheng["household_id"]]]
    expect(len(members) == 2 and sum(p.oop for p in members) == 4020000, "two members, OOP 40200.00")
    expect(evaluate(members)["temp_medical"] == 3216000, "temp_medical 32160.00")
    raw = DATA.raw["medical"].decode()
    expect('"out_of_pocket":35600.00' in raw, "money written with two decimals")


@check
def planted_boundaries_are_exact():
    """The near misses really sit one fen or one day from the limit."""
    rows = {h["tag"]: h for h in DATA.planted["households"]}

    def pc(tag):
        ms = [Person(DATA, r) for r in DATA.household[rows[tag]["household_id"]]]
        return evaluate(ms)["_pc"], ms

    expect(pc("dibao_at_line")[0] == LINE and pc("dibao_one_fen_below")[0] == LINE - 1, "dibao line pair")
    expect(pc("dibao_per_capita_floors")[0] == LINE - 1, "floored per-capita")
    expect(pc("marginal_at_limit")[0] == 180000 and pc("marginal_one_fen_below")[0] == 179999, "marginal pair")
    ages = {}
    for tag in ("tekun_age_60_today", "tekun_age_60_tomorrow", "tekun_grandchild_16_today", "tekun_grandchild_16_tomorrow"):
        ages[tag] = sorted(p.age for p in pc(tag)[1])
    expect(ages["tekun_age_60_today"] == [60] and ages["tekun_age_60_tomorrow"] == [59], "age 60 pair %s" % ages)
    expect(ages["tekun_grandchild_16_today"] == [16, 72] and ages["tekun_grandchild_16_tomorrow"] == [15, 72], "age 16 pair")
    for tag, years, day in (("tekun_age_60_today", 60, 0), ("tekun_age_60_tomorrow", 60, 1),
                            ("tekun_grandchild_16_today", 16, 0), ("tekun_grandchild_16_tomorrow", 16, 1)):
        p = min(pc(tag)[1], key=lambda q: q.age)
        born = birth_of(p.id)
        expect(age_on(born, TODAY + datetime.timedelta(days=day)) == years and
               age_on(born, TODAY + datetime.timedelta(days=day - 1)) == years - 1,
               "%s: born %s is not %d exactly %s" % (tag, born, years, "today" if day == 0 else "tomorrow"))
    oops = [sum(p.oop for p in pc(t)[1]) for t in ("temp_medical_oop_at_threshold", "temp_medical_oop_one_fen_below")]
    expect(oops == [2000000, 1999999], "OOP pair %s" % oops)
    # the planted earners' older, higher pay lies outside the window and must not count
    ms = pc("dibao_basic")[1]
    head = [p for p in ms if p.relation == "head"][0]
    expect(len(head.monthly) == 14 and max(head.monthly.values()) == 340000 and head.avg == 240000, "window trap")


def main():
    if not BIN or not os.access(BIN, os.X_OK):
        print("SAIS_BIN must name the sais binary (got %r)" % BIN)
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    try:
        setup()
    except Exception as e:  # the binary failed: every check fails
        print("FAIL setup: %s" % e)
        print("0 passed, %d failed" % len(CHECKS))
        return 1
    try:
        for fn in CHECKS:
            try:
                fn()
                print("ok   %s" % fn.__name__)
                passed += 1
            except Fail as e:
                print("FAIL %s: %s" % (fn.__name__, e))
                failed += 1
            except Exception:
                print("FAIL %s: %s" % (fn.__name__, traceback.format_exc()))
                failed += 1
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
