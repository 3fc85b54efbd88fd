"""The bus over CURVE: `sais certs` for the nine services and the command line, a split
cluster with bus.curve = on runs the seed story (hukou, hrss and medical feeds -> verify ->
rules' temp_medical grant -> warn's alert -> notify's SMS), and a process whose certificate is
not on the allow-list — though it knows every server key — cannot fetch ingest's events nor
call a service, while the same process with an allow-listed certificate catches up. Last, a
city stack with its own certificates reads the cluster as a county once the county
allow-lists the city's certificate."""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import BIN, SERVICES, Cluster, Results, free_port, make_id, ndjson  # noqa: E402

R = Results()
HEAD = make_id("330326", "1968-03-12", 31)
WIFE = make_id("330326", "1970-07-02", 42)
HH = "H330326000777"


def wait_for(fn, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.2)
    return None


def certs(dirname, *names):
    return subprocess.run([BIN, "certs", "--dir", dirname] + list(names), capture_output=True, text=True, timeout=60)


def seed_story(c):
    st, key, _ = c.http.post("/v1/keys", {"name": "feeds", "role": "partner", "sources": ["hukou", "medical", "hrss"]})
    R.check(st == 201, "admin creates a partner key through gateway -> service calls over CURVE")
    pkey = key.get("key") if st == 201 else ""
    hukou = [
        {"record_id": "hk-1", "id_number": HEAD, "name": "程成钊", "household_id": HH, "relation": "head",
         "region": "330326", "phone": "13800001234", "event": "register", "date": "1995-05-01"},
        {"record_id": "hk-2", "id_number": WIFE, "name": "林秀", "household_id": HH, "relation": "spouse",
         "region": "330326", "event": "register", "date": "1995-05-01"},
    ]
    st, rep, _ = c.post_feed("hukou", "hk-2026-11", ndjson(hukou), key=pkey)
    R.check(st == 200 and rep.get("accepted") == 2, "hukou batch accepted: %r" % (rep,))
    hrss = [{"record_id": "w-%02d" % i, "id_number": HEAD,
             "month": "%04d-%02d" % (2025 + (10 + i) // 12, (10 + i) % 12 + 1), "kind": "wage", "amount": "1000.00"}
            for i in range(12)]
    st, rep, _ = c.post_feed("hrss", "hrss-2026-11", ndjson(hrss), key=pkey)
    R.check(st == 200 and rep.get("accepted") == 12, "hrss batch accepted")
    medical = [{"record_id": "m-9001", "id_number": HEAD, "settled_on": "2026-10-15", "total": 60000.00,
                "insurance_paid": 19800.00, "out_of_pocket": 40200.00, "category": "serious",
                "hospital": "温州医科大学附属第一医院"}]
    st, rep, _ = c.post_feed("medical", "med-2026-11", ndjson(medical), key=pkey)
    R.check(st == 200 and rep.get("accepted") == 1, "medical batch accepted")

    def temp_medical():
        st, body, _ = c.http.get("/v1/entitlements?policy=temp_medical&region=330326")
        return [e for e in body.get("items", []) if e["household_id"] == HH] if st == 200 else []
    ents = wait_for(temp_medical)
    R.check(bool(ents) and ents[0]["amount"] == 32160.00 and ents[0]["origin"] == "proactive",
            "ingest -> verify -> rules over CURVE: temp_medical 32,160.00 granted proactively (%r)"
            % ([e.get("amount") for e in ents or []],))

    def alert():
        st, body, _ = c.http.get("/v1/alerts?status=open&kind=catastrophic_medical")
        return [a for a in body.get("items", []) if a["household_id"] == HH] if st == 200 else []
    R.check(bool(wait_for(alert)), "warn raised the catastrophic_medical alert")

    def sms():
        st, body, _ = c.http.get("/v1/notifications?recipient=13800001234")
        return [n for n in body.get("items", []) if n["channel"] == "sms"] if st == 200 else []
    msgs = wait_for(sms)
    R.check(bool(msgs) and "32160.00" in msgs[0]["body"], "notify recorded the SMS naming the amount")


def side_config(c, tmp, name, cert_dir):
    """The cluster's config with a verify of its own (own data, own endpoint) and `cert_dir`."""
    path = os.path.join(tmp, name + ".conf")
    with open(c.cfg) as f:
        text = f.read()
    port = free_port()
    text += "data.dir = %s\nverify.endpoint = tcp://127.0.0.1:%d\nbus.cert_dir = %s\nlog.level = info\n" % (
        os.path.join(tmp, name + "-data"), port, cert_dir)
    with open(path, "w") as f:
        f.write(text)
    return path


def digest(conf, service, timeout=60):
    r = subprocess.run([BIN, "digest", service, "--config", conf], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        return None
    try:
        return json.loads(r.stdout)["digest"]
    except (ValueError, KeyError):
        return None


PRODUCERS = ["verify", "rules", "warn", "intake", "match"]


def city_over_curve(c, tmp, cdir):
    """A city stack on its own certificates reads the cluster as county "pingyang", as README
    says: the county's five producer certificates under the city's remote/pingyang/, the
    city's city.cert in the county's allow-list under a name of its own."""
    wdir = os.path.join(tmp, "city-certs")
    r = certs(wdir, "city", "gateway", "admin")
    R.check(r.returncode == 0, "the city makes its keypairs")
    os.makedirs(os.path.join(wdir, "remote", "pingyang"))
    for p in PRODUCERS:
        shutil.copy(os.path.join(cdir, "public", p + ".cert"), os.path.join(wdir, "remote", "pingyang", p + ".cert"))
    counties = ",".join("pingyang.%s=tcp://127.0.0.1:%d" % (p, c.ports[p]) for p in PRODUCERS)
    city = Cluster(mode="split", extra_config={"city.deployment": "city", "city.counties": counties,
                                               "bus.curve": "on", "bus.cert_dir": wdir, "bus.cert_name": "admin"})
    try:
        city.start_service("city")
        city.start_service("gateway")
        keyfile = os.path.join(city.data, "admin.key")
        R.check(wait_for(lambda: os.path.exists(keyfile)) is not None, "the city stack's gateway is up")
        with open(keyfile) as f:
            city.http.key = f.read().strip()

        def pingyang():
            st, s, _ = city.http.get("/v1/city/stats")
            rows = [r for r in s.get("counties", []) if r.get("region") == "330326"] if st == 200 else []
            return rows[0] if rows and rows[0].get("persons") == 2 and rows[0].get("households") == 1 else None
        time.sleep(3)
        R.check(pingyang() is None, "before the county allow-lists the city's certificate, the city reads nothing")
        shutil.copy(os.path.join(wdir, "public", "city.cert"), os.path.join(cdir, "public", "wenzhou-city.cert"))
        row = wait_for(pingyang, timeout=40)
        R.check(row is not None, "once it does (no restart), the city reads the county over CURVE: "
                "Pingyang's 2 persons in 1 household")
        R.check(row is not None and row.get("entitlements_active", 0) >= 1 and row.get("alerts_open", 0) >= 1,
                "with its grant and its alert")
    finally:
        try:
            city.stop()
            R.check(True, "the city stack stopped cleanly")
        except AssertionError as e:
            R.check(False, str(e))
        city.cleanup()


def main():
    tmp = tempfile.mkdtemp(prefix="sais-test-curve-")
    cdir = os.path.join(tmp, "certs")
    r = certs(cdir, *(SERVICES + ["admin"]))
    R.check(r.returncode == 0, "sais certs makes a keypair for the nine services and admin: %s" % r.stderr.strip())
    mode = stat.S_IMODE(os.stat(os.path.join(cdir, "ingest.secret")).st_mode)
    R.check(mode == 0o600, "a secret certificate is 0600 (%o)" % mode)
    R.check(sorted(os.listdir(os.path.join(cdir, "public"))) == sorted(s + ".cert" for s in SERVICES + ["admin"]),
            "public/ holds the ten public certificates")
    r = certs(cdir, "ingest")
    R.check(r.returncode != 0 and "already" in r.stderr, "sais certs refuses to replace a keypair")

    c = Cluster(mode="split", data_dir=tmp, extra_config={
        "bus.curve": "on", "bus.cert_dir": cdir, "bus.cert_name": "admin", "log.level": "info"})
    side = []
    try:
        c.start()
        R.check(True, "the split cluster is healthy with bus.curve = on")
        curved = [s for s in SERVICES if ", CURVE)" in open(os.path.join(tmp, s + ".log"), errors="replace").read()]
        R.check(curved == SERVICES, "every service bound its ROUTER as a CURVE server (%r)" % curved)
        seed_story(c)
        real = c.digests(["verify"])["verify"]
        R.check(bool(real), "sais digest (certificate admin) reads verify")

        # an intruder: its own keys, every server key of the county, but not on the allow-list
        idir = os.path.join(tmp, "intruder")
        certs(idir, "verify", "admin")
        for s in SERVICES:
            if s == "verify":
                continue
            shutil.copy(os.path.join(cdir, "public", s + ".cert"), os.path.join(idir, "public", s + ".cert"))
        iconf = side_config(c, tmp, "intruder", idir)
        ilog = open(os.path.join(tmp, "intruder.log"), "wb")
        side.append(subprocess.Popen([BIN, "run", "verify", "--config", iconf], stdout=ilog, stderr=subprocess.STDOUT))
        # and the same process with the county's own certificates, as the control
        kconf = side_config(c, tmp, "control", cdir)
        klog = open(os.path.join(tmp, "control.log"), "wb")
        side.append(subprocess.Popen([BIN, "run", "verify", "--config", kconf], stdout=klog, stderr=subprocess.STDOUT))

        # two requests with the intruder's certificate, at once (each waits out its timeout)
        refused = [subprocess.Popen([BIN, cmd, svc, "--config", iconf], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                   for cmd, svc in (("digest", "ingest"), ("digest", "gateway"))]

        def caught_up():
            mine = digest(kconf, "verify")
            return mine is not None and mine == digest(c.cfg, "verify")
        R.check(wait_for(caught_up, timeout=40) is not None,
                "a verify with an allow-listed certificate fetches ingest's (and rules', warn's, match's) "
                "events and reaches the county verify's digest")
        def no_answer():
            with open(os.path.join(tmp, "intruder.log"), errors="replace") as f:
                return "no answer from ingest" in f.read()
        R.check(wait_for(no_answer, timeout=15) is not None,
                "the intruder's fetches from ingest are never answered")
        mine = digest(iconf, "verify")
        R.check(mine is not None and mine != real,
                "the intruder's verify has applied nothing (its own digest %s... is not the county's)" % (mine or "")[:12])
        for p, svc in zip(refused, ("ingest", "gateway")):
            out, err = p.communicate(timeout=60)
            R.check(p.returncode != 0 and not out.strip(),
                    "a request to %s with the intruder's certificate is not answered" % svc)
        city_over_curve(c, tmp, cdir)
        st = c.status()
        R.check(st is not None and st["ingest"]["head"] > 0 and st["verify"]["cursors"].get("ingest") == st["ingest"]["head"],
                "the county's own bus is unaffected (ingest head %r)" % ((st or {}).get("ingest", {}).get("head"),))
    finally:
        for p in side:
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        try:
            c.stop()
            R.check(True, "every process stopped cleanly on SIGTERM")
        except AssertionError as e:
            R.check(False, str(e))
        c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
