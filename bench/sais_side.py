"""SAIS under test: `sais up` (every service in one process, the Release build) with its data
under the build tree, fed and questioned over HTTP only — the city goes in through
POST /v1/feeds/{source}/batches, the real feed path, never into LMDB behind its back."""
import json
import os
import re
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from lib import Http, Proc, RssSampler, disk_bytes, log, rss_kib

SERVICES = ["gateway", "ingest", "verify", "rules", "warn", "intake", "match", "notify", "city"]


class Sais:
    def __init__(self, binary, root, port, source_dir, today):
        self.bin = binary
        self.root = root
        self.data = os.path.join(root, "data")
        self.port = port
        self.src = source_dir
        self.today = today
        self.proc = None
        self.http = Http("http://127.0.0.1:%d" % port)
        self.cfg = os.path.join(root, "sais.conf")
        self.outreach = "on"

    def _write_config(self):
        os.makedirs(self.root, exist_ok=True)
        with open(self.cfg, "w") as f:
            f.write("data.dir = %s\n" % self.data)
            f.write("gateway.listen = 127.0.0.1:%d\n" % self.port)
            # the generator's "today": the city's windows (12 months, 365 days) are relative to it
            f.write("clock.now = %sT08:00:00Z\n" % self.today)
            f.write("rules.policies_dir = %s\n" % os.path.join(self.src, "deploy", "policies"))
            f.write("gateway.web_dir = %s\n" % os.path.join(self.src, "web"))
            f.write("log.level = warn\n")
            # the 6M city's hrss file is one 6 GB batch: the gateway streams it to ingest in
            # bounded memory, so the only limit is the configured one (2 GB by default)
            f.write("gateway.max_body_mb = 16384\n")
            f.write("rules.outreach = %s\n" % self.outreach)
            # the suite polls /healthz and /metrics every 10-50 ms to time start-up and
            # settling: the per-address pacing of probes is for clients, not for this
            f.write("gateway.probes_per_min = 0\n")

    def start(self, fresh, outreach="on"):
        """Starts `sais up` (rules.outreach = `outreach`); returns seconds from exec to the first
        200 of /healthz, or raises."""
        self.outreach = outreach
        if fresh:
            shutil.rmtree(self.root, ignore_errors=True)
        self._write_config()
        t0 = time.monotonic()
        self.proc = Proc([self.bin, "up", "--config", self.cfg], os.path.join(self.root, "sais.log"))
        while time.monotonic() - t0 < 600:
            if not self.proc.alive():
                raise RuntimeError("sais up exited: %s" % self.tail())
            st, _ = self.http.get("/healthz", timeout=5)
            if st == 200:
                break
            time.sleep(0.01)
        else:
            raise RuntimeError("sais up did not become healthy in 600 s: %s" % self.tail())
        took = time.monotonic() - t0
        with open(os.path.join(self.data, "admin.key")) as f:
            self.http.key = f.read().strip()
        return took

    def stop(self):
        if self.proc:
            rc = self.proc.stop(grace=120)
            self.proc = None
            return rc
        return None

    def tail(self, n=15):
        try:
            with open(os.path.join(self.root, "sais.log"), "rb") as f:
                return "\n".join(f.read().decode(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def errors_logged(self):
        """Count of ERROR lines in the log and the first few distinct messages."""
        seen, count = [], 0
        try:
            with open(os.path.join(self.root, "sais.log"), "rb") as f:
                for line in f.read().decode(errors="replace").splitlines():
                    if " ERROR " in line:
                        count += 1
                        msg = re.sub(r"^\S+ ERROR\s+", "", line)[:200]
                        if msg not in seen and len(seen) < 5:
                            seen.append(msg)
        except OSError:
            pass
        return count, seen

    # ------------------------------------------------------------------ the bus

    def lag(self):
        """Sum of every consumer's lag and the producers' heads, from /metrics (None if down)."""
        st, body = self.http.get("/metrics", timeout=30)
        if st != 200 or not isinstance(body, (bytes, str)):
            return None, None
        text = body.decode() if isinstance(body, bytes) else body
        lag, heads = 0, {}
        nlag = 0
        for line in text.splitlines():
            if line.startswith("sais_bus_lag{"):
                nlag += 1
                lag += int(float(line.rsplit(" ", 1)[1]))
            elif line.startswith("sais_verify_releasing{"):
                # held refreshes being done: work outstanding although every cursor is at its head
                lag += int(float(line.rsplit(" ", 1)[1]))
            elif line.startswith("sais_bus_head{"):
                heads[line.split('"')[1]] = line.rsplit(" ", 1)[1]
        # a service too busy to answer the gateway in time leaves its lines out: that is not
        # a lag of 0, so the caller compares the number of consumers with the most it has seen
        heads["_consumers"] = nlag
        return lag, heads

    def settle(self, timeout, stall=45):
        """Waits until every consumer has caught up (lag 0 with unchanged heads, twice in a row).
        Returns seconds waited, or None when the bus did not settle within `timeout` or made
        no progress for `stall` seconds (a consumer stuck retrying the same events)."""
        t0 = time.monotonic()
        last, stable = None, 0
        best, best_at = None, t0
        most = 0
        while time.monotonic() - t0 < timeout:
            lag, heads = self.lag()
            snap = json.dumps(heads, sort_keys=True)
            n = (heads or {}).get("_consumers", 0)
            most = max(most, n)
            if lag == 0 and snap == last and n == most:
                stable += 1
                if stable >= 5:   # a quarter of a second with nothing moving
                    return time.monotonic() - t0
            else:
                stable = 0
            if lag is not None and (best is None or lag < best or snap != last):
                best, best_at = lag, time.monotonic()
            elif time.monotonic() - best_at > stall:
                log("SAIS: the bus made no progress for %d s (lag %s)" % (stall, lag))
                return None
            last = snap
            time.sleep(0.05)
        return None

    # ------------------------------------------------------------------ the feed path

    def post_file(self, source, path, batch_id):
        """Streams one NDJSON file to the gateway with curl (never whole in memory)."""
        url = "http://127.0.0.1:%d/v1/feeds/%s/batches?batch_id=%s" % (self.port, source, batch_id)
        r = subprocess.run(["curl", "-sS", "-X", "POST", "-T", path, "-H", "Content-Type: application/x-ndjson",
                            "-H", "Authorization: Bearer " + self.http.key, "--max-time", "7200", url],
                           capture_output=True, text=True)
        try:
            rep = json.loads(r.stdout)
        except ValueError:
            rep = {"error": (r.stdout + r.stderr)[-400:]}
        return rep

    def load_city(self, city_dir, order, settle_timeout, stall=45):
        """Posts every feed file in the generator's load order, then waits for the bus to
        settle. Started with outreach held (start(outreach="hold"), the way a city's data is
        first loaded), it then releases it: `sais up` restarted with rules.outreach = on, every
        household decided once, and settled again, all inside settled_seconds. Returns a dict:
        seconds (posting), settled_seconds (end to end, or None), held_seconds (to the settle
        before the release), received, accepted, peak_rss_kib, reports."""
        out = {"reports": {}}
        received = accepted = 0
        with RssSampler(self.proc.pid) as rs:
            t0 = time.monotonic()
            for src in order:
                rep = self.post_file(src, os.path.join(city_dir, "%s.ndjson" % src), "bench-%s" % src)
                out["reports"][src] = {k: rep.get(k) for k in ("received", "accepted", "duplicates", "rejected",
                                                               "status", "error", "title", "detail")
                                       if rep.get(k) is not None}
                received += rep.get("received") or 0
                accepted += rep.get("accepted") or 0
            out["posted_seconds"] = time.monotonic() - t0
            waited = self.settle(settle_timeout, stall)
            out["peak_rss_kib"] = rs.peak
        if waited is not None and self.outreach == "hold":
            out["held_seconds"] = time.monotonic() - t0
            self.stop()
            self.start(fresh=False, outreach="on")
            with RssSampler(self.proc.pid) as rs:
                waited = self.settle(settle_timeout, stall)
                out["peak_rss_kib"] = max(out["peak_rss_kib"], rs.peak)
        out["settled_seconds"] = None if waited is None else time.monotonic() - t0
        out["received"] = received
        out["accepted"] = accepted
        return out

    # ------------------------------------------------------------------ questions

    def simulate(self, params):
        t0 = time.monotonic()
        st, body = self.http.post("/v1/policies/simulate", {"params": params}, timeout=600)
        return time.monotonic() - t0, st, body

    def compare(self):
        t0 = time.monotonic()
        st, body = self.http.post("/v1/admin/compare", timeout=600)
        return time.monotonic() - t0, st, body

    def evaluate_households(self, households, params, workers=4):
        """POST /v1/policies/evaluate for each household, before (no params) and after (the
        simulate's params): eligible or not for dibao, marginal and temp_medical."""
        def one(hid):
            res = {}
            for tag, p in (("b", None), ("a", params)):
                body = {"household_id": hid, "policies": ["tekun", "dibao", "marginal", "temp_medical"]}
                if p:
                    body["params"] = p
                st, ans = self.http.post("/v1/policies/evaluate", body, timeout=60)
                if st != 200 or not isinstance(ans, dict):
                    return hid, {"error": st}
                for r in ans.get("results", []):
                    if r.get("policy") in ("dibao", "marginal", "temp_medical"):
                        res.setdefault(r["policy"], [None, None])[tag == "a"] = bool(r.get("eligible"))
            return hid, {k: tuple(v) for k, v in res.items()}
        with ThreadPoolExecutor(workers) as ex:
            return dict(ex.map(one, households))

    def paid_12m(self, policy):
        """{household_id: fen} that `policy` paid each household in the 365 days up to today
        (grants not stopped), from GET /v1/entitlements: the payment ledger a what-if nets out
        (DOMAIN.md: temp_medical's grant is "minus temp_medical paid in the last 12 months")."""
        today = time.strptime(self.today, "%Y-%m-%d")
        day0 = int(time.mktime(today) // 86400)
        paid, cursor = {}, None
        while True:
            path = "/v1/entitlements?policy=%s&limit=1000" % policy + ("&cursor=" + cursor if cursor else "")
            st, body = self.http.get(path, timeout=600)
            if st != 200 or not isinstance(body, dict):
                raise RuntimeError("GET %s answered %s" % (path, st))
            for e in body.get("items", []):
                day = int(time.mktime(time.strptime(e["granted_at"][:10], "%Y-%m-%d")) // 86400)
                if e.get("status") != "stopped" and 0 <= day0 - day <= 364:
                    paid[e["household_id"]] = paid.get(e["household_id"], 0) + int(round(float(e["amount"]) * 100))
            cursor = body.get("next_cursor")
            if not cursor:
                return paid

    def rss(self):
        return rss_kib(self.proc.pid) if self.proc else None

    def lmdb_sizes(self):
        """Per service: bytes allocated on disk by its LMDB directory."""
        return {s: disk_bytes(os.path.join(self.data, s)) for s in SERVICES
                if os.path.isdir(os.path.join(self.data, s))}


def feed_to_alert(sais, persons, timeout_each=2.0):
    """For each person (id_number, household_id, region): posts a one-record disability batch
    (a new grade-1 certificate: DOMAIN.md's severe_disability signal) and polls
    GET /v1/alerts?kind=severe_disability&household_id=... until an alert naming that
    record appears. Latency is from the feed's HTTP 200 to the first GET that shows it."""
    lat, missing, failed = [], 0, 0
    for i, (idn, hid, _region) in enumerate(persons):
        rid = "BENCHDP%07d" % i
        rec = {"record_id": rid, "id_number": idn, "certificate": "B%s%02d" % (idn, i % 100),
               "category": "physical", "grade": 1, "issued_on": sais.today, "status": "active"}
        st, rep = sais.http.post("/v1/feeds/disability/batches?batch_id=bench-alert-%d" % i,
                                 (json.dumps(rec) + "\n").encode(), ctype="application/x-ndjson")
        if st != 200 or not isinstance(rep, dict) or rep.get("accepted") != 1:
            failed += 1
            continue
        t0 = time.monotonic()
        seen = False
        while time.monotonic() - t0 < timeout_each:
            st, body = sais.http.get("/v1/alerts?kind=severe_disability&household_id=%s&limit=1000" % hid)
            if st == 200 and isinstance(body, dict):
                for a in body.get("items", []):
                    if any(e.get("record_id") == rid for e in a.get("evidence", [])):
                        seen = True
                        break
            if seen:
                break
        if seen:
            lat.append((time.monotonic() - t0) * 1000.0)
        else:
            missing += 1
            if missing >= 10 and not lat:
                break   # the signal is not raised at all: 1,000 timeouts would prove nothing more
    return lat, missing, failed


def applications_script(path, ids, region, key):
    """A wrk script posting durable applications for random registered persons. The headers
    go in the script: a header table given to wrk.format replaces wrk's -H headers."""
    with open(path, "w") as f:
        f.write("ids = {%s}\n" % ",".join('"%s"' % i for i in ids))
        f.write("n = #ids\ncounter = 0\n")
        f.write('request = function()\n  counter = counter + 1\n'
                '  local body = \'{"id_number":"\' .. ids[math.random(n)] .. \'","channel":"window",'
                '"filed_region":"%s"}\'\n' % region)
        f.write('  return wrk.format("POST", "/v1/applications", {["Content-Type"]="application/json", '
                '["Authorization"]="Bearer %s"}, body)\nend\n' % key)


def get_script(path, ids):
    with open(path, "w") as f:
        f.write("ids = {%s}\n" % ",".join('"%s"' % i for i in ids))
        f.write('n = #ids\nrequest = function()\n  return wrk.format("GET", "/v1/persons/" .. ids[math.random(n)])\nend\n')
