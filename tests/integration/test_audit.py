"""The audit chain (API.md "Audit"): the number of responses that carried personal data equals
the number of audit entries for them, every write and every 401/403 is an entry too, and
nothing else is; then, with SAIS stopped, the gateway's LMDB is tampered with through
Debian's mdb_dump/mdb_load (an entry altered, an entry altered with its hash recomputed, an
entry deleted, the newest entry deleted) and `sais audit verify` names the first broken link
each time."""
import hashlib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, os.path.join(HERE, "..", "tools"))
import contract  # noqa: E402
from contract import IN_REGION, OUT_REGION  # noqa: E402
from sais_harness import BIN, Cluster, Results, make_id  # noqa: E402

R = Results()
PERSONAL = {"GET /v1/persons/{id_number}", "GET /v1/households/{household_id}",
            "GET /v1/households/{household_id}/benefits", "GET /v1/households/{household_id}/visit-code",
            "POST /v1/verifications", "GET /v1/verifications/{id}", "POST /v1/policies/evaluate",
            "GET /v1/city/locate/{id_number}"}


def audit_all(c, key):
    out, cursor = [], None
    for _ in range(100):
        st, body, _ = c.http.get("/v1/audit?limit=1000" + ("&cursor=" + cursor if cursor else ""), key=key)
        if st != 200:
            raise AssertionError("GET /v1/audit: %s %r" % (st, body))
        out += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            return out
    raise AssertionError("the audit list does not end")


# ---- mdb_dump / mdb_load (hex format)

def dump(env_dir, dbi):
    r = subprocess.run(["mdb_dump", "-s", dbi, env_dir], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("mdb_dump %s: %s" % (dbi, r.stderr))
    lines = r.stdout.split("\n")
    head, pairs, i = [], [], 0
    while lines[i] != "HEADER=END":
        head.append(lines[i])
        i += 1
    head.append(lines[i])
    i += 1
    while lines[i] != "DATA=END":
        pairs.append([bytes.fromhex(lines[i].strip()), bytes.fromhex(lines[i + 1].strip())])
        i += 2
    return head, pairs


def load(env_dir, dbi, head, pairs):
    text = "\n".join(head) + "\n" + "".join(" %s\n %s\n" % (k.hex(), v.hex()) for k, v in pairs) + "DATA=END\n"
    r = subprocess.run(["mdb_load", "-s", dbi, env_dir], input=text, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("mdb_load %s: %s" % (dbi, r.stderr))


def verify(data_dir):
    r = subprocess.run([BIN, "audit", "verify", "--data", data_dir], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout.strip()


def tampered(work, name, audit, head):
    """A gateway store holding only the (edited) audit and audit_head databases."""
    d = os.path.join(work, name, "gateway")
    os.makedirs(d)
    load(d, "audit", audit[0], audit[1])
    load(d, "audit_head", head[0], head[1])
    return os.path.join(work, name)


def rehash(prev_hex, value):
    """The value with its hash recomputed over prev_hash and its own canonical text."""
    text = value.decode()
    cut = text.index(',"prev_hash":')
    canon = text[:cut] + "}"
    h = hashlib.blake2b(bytes.fromhex(prev_hex) + canon.encode(), digest_size=32).hexdigest()
    return ("%s,\"prev_hash\":\"%s\",\"hash\":\"%s\"}" % (text[:cut], prev_hex, h)).encode()


def main():
    table = {"%s %s" % (r["method"], r["pattern"]): r for r in contract.routes()}
    c = Cluster(mode="split", extra_config={"gateway.request_timeout_ms": "5000"})
    c.start()
    adm = c.http
    made = []   # (action or None, status, expected actor) for each request this test makes

    def call(method, path, action, body=None, key=None, actor=None, **kw):
        st, b, h = adm.call(method, path, body=body, key=key, **kw)
        made.append((action, st, actor))
        return st, b

    try:
        feeds, reg = contract.two_counties(n_households=3)
        keys = {}
        for name, spec in (("cw", {"role": "caseworker", "regions": [IN_REGION]}), ("aud", {"role": "auditor"}),
                           ("par", {"role": "partner", "sources": ["medical"]}), ("city", {"role": "city"})):
            st, k = call("POST", "/v1/keys", "POST /v1/keys", dict(spec, name=name), actor="admin")
            keys[name] = k
        for source, batch, body in feeds:
            call("POST", "/v1/feeds/%s/batches?batch_id=%s" % (source, batch), "POST /v1/feeds/{source}/batches",
                 body, ctype="application/x-ndjson", actor="admin")
        c.quiescent(timeout=120)
        cw, aud, par, city = keys["cw"]["key"], keys["aud"]["key"], keys["par"]["key"], keys["city"]["key"]
        ids = {"cw": keys["cw"]["id"], "aud": keys["aud"]["id"], "par": keys["par"]["id"], "city": keys["city"]["id"]}
        home, away = reg[IN_REGION], reg[OUT_REGION]
        # reads of personal data: 200s, 403s out of region, 404s
        for h in home:
            call("GET", "/v1/persons/" + h["head"], "GET /v1/persons/{id_number}", key=cw, actor=ids["cw"])
            call("GET", "/v1/persons/" + h["child"], "GET /v1/persons/{id_number}", key=city, actor=ids["city"])
            call("GET", "/v1/households/" + h["household_id"], "GET /v1/households/{household_id}", key=cw, actor=ids["cw"])
        for _ in range(3):
            call("GET", "/v1/households/%s/benefits" % home[0]["household_id"], "GET /v1/households/{household_id}/benefits",
                 key=cw, actor=ids["cw"])
        for h in away:
            call("GET", "/v1/persons/" + h["head"], "GET /v1/persons/{id_number}", key=cw, actor=ids["cw"])        # 403
            call("GET", "/v1/households/" + h["household_id"], "GET /v1/households/{household_id}", actor="admin")
        call("GET", "/v1/persons/" + make_id(IN_REGION, "1999-09-09", 991), "GET /v1/persons/{id_number}",
             key=cw, actor=ids["cw"])   # 404
        st, v = call("POST", "/v1/verifications", "POST /v1/verifications",
                     {"household_id": home[0]["household_id"], "purpose": "audit test", "authorized_by": "程"},
                     key=cw, actor=ids["cw"])
        vid = v.get("verification_id", "x") if st == 201 else "x"
        for _ in range(3):
            call("GET", "/v1/verifications/" + vid, "GET /v1/verifications/{id}", key=cw, actor=ids["cw"])
        call("POST", "/v1/policies/evaluate", "POST /v1/policies/evaluate", {"household_id": home[1]["household_id"]},
             key=cw, actor=ids["cw"])
        call("GET", "/v1/households/%s/visit-code" % home[2]["household_id"], "GET /v1/households/{household_id}/visit-code",
             key=cw, actor=ids["cw"])
        # writes
        call("POST", "/v1/visits", "POST /v1/visits", {"household_id": home[1]["household_id"], "visitor": "王",
                                                       "visited_at": "2026-11-20", "risks": {"economy": 0, "health": 0,
                                                       "education": 0, "housing": 0, "employment": 0, "safety": 0}},
             key=cw, actor=ids["cw"])
        call("POST", "/v1/visits", "POST /v1/visits", {"household_id": home[1]["household_id"]}, key=cw, actor=ids["cw"])  # 422
        # refused: 401s and 403s are audited whatever the route
        call("GET", "/v1/policies", "GET /v1/policies", key="", actor="-")
        call("GET", "/v1/persons/" + home[0]["head"], "GET /v1/persons/{id_number}", key="sais_000000000000_forged", actor="-")
        call("GET", "/v1/nothing", None, key="", actor="-")
        call("GET", "/v1/keys", "GET /v1/keys", key=cw, actor=ids["cw"])
        call("GET", "/v1/persons/" + home[0]["head"], "GET /v1/persons/{id_number}", key=par, actor=ids["par"])
        call("GET", "/v1/audit", "GET /v1/audit", key=cw, actor=ids["cw"])
        # not audited: reads without personal data, health, the audit trail itself
        call("GET", "/v1/policies", "GET /v1/policies", key=cw, actor=ids["cw"])
        call("GET", "/v1/alerts", "GET /v1/alerts", key=cw, actor=ids["cw"])
        call("GET", "/healthz", "GET /healthz", key="", actor="-")

        entries = audit_all(c, aud)
        expect = []
        for action, st, actor in made:
            route = table.get(action) if action else None
            if st in (401, 403) or (route and route["flags"] & {"audit", "write"}):
                expect.append((action if route else "GET (no route)", st, actor))
        got = [(e["action"], e["status"], e["actor"]) for e in entries]
        # the admin key of `sais up`/`run` has an id too: map "admin" to it
        admin_id = next((e["actor"] for e in entries if e["action"] == "POST /v1/keys"), None)
        expect = [(a, s, admin_id if who == "admin" else who) for a, s, who in expect]
        R.check(len(entries) == len(expect), "one audit entry per audited response: %d entries, %d expected"
                % (len(entries), len(expect)))
        R.check(sorted(got) == sorted(expect), "the entries are exactly those responses (action, status, actor)%s"
                % ("" if sorted(got) == sorted(expect) else ": extra %s missing %s" %
                   (sorted(set(got) - set(expect))[:4], sorted(set(expect) - set(got))[:4])))
        odd = sorted((a, st) for a, st, _ in made if a in PERSONAL and st >= 500)
        R.check(not odd, "no personal-data request failed on the server side %s" % odd)
        personal_sent = sum(1 for a, st, _ in made if a in PERSONAL and 200 <= st < 300)
        personal_logged = sum(1 for e in entries if e["action"] in PERSONAL and 200 <= e["status"] < 300)
        R.check(personal_sent >= 20 and personal_sent == personal_logged,
                "responses that carried personal data (%d) = audit entries for them (%d)" % (personal_sent, personal_logged))
        subj = [e for e in entries if e["action"] == "GET /v1/persons/{id_number}" and e["status"] == 200]
        R.check(subj and all(e["subject"] in {h["head"] for h in home} | {h["child"] for h in home} for e in subj),
                "a person read names the person as its subject")
        R.check(all(entries[i]["seq"] == i + 1 and entries[i]["prev_hash"] == (entries[i - 1]["hash"] if i else "0" * 64)
                    for i in range(len(entries))), "seq runs 1..N and each prev_hash is the previous hash")
        st, page, _ = adm.get("/v1/audit?limit=2", key=aud)
        st2, page2, _ = adm.get("/v1/audit?limit=2&cursor=" + str(page.get("next_cursor")), key=aud)
        R.check(st == 200 and st2 == 200 and [e["seq"] for e in page["items"] + page2["items"]] == [1, 2, 3, 4],
                "pages of the audit list follow each other")
        st, f, _ = adm.get("/v1/audit?limit=1000&actor=-", key=aud)
        R.check(st == 200 and f["items"] and all(e["actor"] == "-" and e["status"] == 401 for e in f["items"]),
                "filtered by actor '-': only the 401s")
        n_before = len(entries)
    finally:
        c.stop(check=False)

    env = os.path.join(c.data, "gateway")
    rc, out = verify(c.data)
    R.check(rc == 0 and "intact" in out and ("%d entries" % n_before) in out, "sais audit verify: %s" % out)
    work = os.path.join(c.tmp, "tamper")
    os.makedirs(work)
    audit = dump(env, "audit")
    head = dump(env, "audit_head")
    pairs = audit[1]
    R.check(len(pairs) == n_before, "mdb_dump sees %d audit entries" % len(pairs))
    rc, out = verify(tampered(work, "copy", audit, head))
    R.check(rc == 0 and "intact" in out, "an untouched copy made with mdb_load verifies: %s" % out)

    k = n_before // 2
    victim = pairs[k - 1][1].decode()
    altered = victim.replace('"status":200', '"status":204') if '"status":200' in victim else victim.replace('"status":', '"status":1', 1)
    edit = [list(p) for p in pairs]
    edit[k - 1][1] = altered.encode()
    rc, out = verify(tampered(work, "altered", (audit[0], edit), head))
    R.check(rc == 3 and ("entry %d was altered" % k) in out, "an altered entry %d is named: %s" % (k, out))

    prev = pairs[k - 2][1].decode().split('"hash":"')[1][:64]
    edit = [list(p) for p in pairs]
    edit[k - 1][1] = rehash(prev, altered.encode())
    rc, out = verify(tampered(work, "rehashed", (audit[0], edit), head))
    R.check(rc == 3 and ("entry %d: prev_hash" % (k + 1)) in out,
            "an entry altered with its hash recomputed breaks the next link, %d: %s" % (k + 1, out))

    edit = [p for i, p in enumerate(pairs) if i != k - 1]
    rc, out = verify(tampered(work, "deleted", (audit[0], edit), head))
    R.check(rc == 3 and ("entry %d is missing" % k) in out, "a deleted entry %d is named: %s" % (k, out))

    edit = pairs[:-1]
    rc, out = verify(tampered(work, "newest", (audit[0], edit), head))
    R.check(rc == 3 and ("%d" % n_before) in out and "missing" in out, "deleting the newest entry is detected: %s" % out)

    edit = [list(p) for p in pairs]
    first = edit[0][1].decode()
    edit[0][1] = first.replace('"actor":"', '"actor":"x', 1).encode()
    rc, out = verify(tampered(work, "first", (audit[0], edit), head))
    R.check(rc == 3 and "entry 1 was altered" in out, "an altered first entry is named: %s" % out)
    shutil.rmtree(work, ignore_errors=True)
    c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
