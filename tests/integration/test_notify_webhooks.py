"""Notifications end to end (API.md "Notifications"), through one process per service.

A webhook receiver (http.server on 127.0.0.1, in a thread of this test) checks every
X-Sais-Signature (HMAC-SHA256 of the exact body, keyed with the webhook's secret) and counts
deliveries per X-Sais-Event-Id; the SMS gateway (notify.sms_endpoint) is the same receiver on
/sms. The receiver is DOWN (503) while a feed gives a few households catastrophic medical
costs -> temp_medical grants (rules), catastrophic_medical alerts (warn), proactive cases and
applications; then it comes UP, and:

- every event the webhook subscribed to (entitlement.*, alert.raised) arrives exactly once,
  signed, in the order of each producer's log, and nothing it did not subscribe to;
- every SMS arrives once, in Chinese, with the amount;
- GET /v1/notifications shows each delivered, with attempts = the 503s it met + 1 (so > 1 for
  the ones that were tried while the receiver was down, the heads of their queues) and only
  the head of the webhook's queue was tried while it was down (in order per recipient);
- bad registrations are 422 (non-http URL, short secret, unknown event), a non-admin 403;
- a webhook whose receiver never comes back ends `failed` after notify.max_attempts, with
  last_error, without holding up the other webhook;
- notify keeps at most 250 webhooks: the next registration is 409.

Receiver is also imported by tests/fault/test_notify_kill9.py."""
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import Cluster, Results, free_port, make_id, ndjson, start_refused  # noqa: E402

MAX_ATTEMPTS = 15
WEBHOOKS_MAX = 250       # notify_outbox.h NOTIFY_WEBHOOKS_MAX
BACKOFF_MS = 100
BACKOFF_MAX_MS = 1000   # 15 attempts take 5.75 to 11.5 s: the down phase is well inside


class Receiver:
    """HTTP receiver in a thread. `secrets` maps a path ("/hook-a") to its webhook secret:
    requests there must carry a valid X-Sais-Signature (401 and not counted otherwise); other
    paths (/sms) are unsigned. While `down` it answers 503 and counts the refusal per event id.
    Each accepted request is recorded with when its handling started and when its answer had
    been written (None if the answer could not be written: the sender was gone). Answers on a
    path in `hold` wait (at most hold_max seconds) until release(path)."""

    def __init__(self, secrets, delay=0.0, down=False, hold=(), hold_max=15.0):
        self.secrets = dict(secrets)
        self.delay = delay
        self.down = down
        self.hold = {p: threading.Event() for p in hold}
        self.hold_max = hold_max
        self.lock = threading.Lock()
        self.deliveries = []          # {"eid", "path", "body", "json", "t_start", "t_end"}
        self.refused = Counter()      # event id -> 503s answered
        self.bad = []                 # (path, event id, why)
        self.active = {}              # id(handler) -> event id, answers being prepared
        rx = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                try:
                    n = int(self.headers.get("Content-Length") or 0)
                    body = self.rfile.read(n) if n > 0 else b""
                except (OSError, ValueError):
                    return
                rx._handle(self, body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256   # many deliveries may connect at once

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def set_down(self, down):
        with self.lock:
            self.down = down

    def _answer(self, h, status):
        try:
            h.send_response(status)
            h.send_header("Content-Length", "0")
            h.end_headers()
            h.wfile.flush()
            return True
        except OSError:
            return False

    def _handle(self, h, body):
        eid = h.headers.get("X-Sais-Event-Id") or ""
        path = h.path
        with self.lock:
            down = self.down
            if down:
                self.refused[eid] += 1
        if down:
            self._answer(h, 503)
            return
        if path in self.secrets:
            want = "sha256=" + hmac.new(self.secrets[path].encode(), body, hashlib.sha256).hexdigest()
            got = h.headers.get("X-Sais-Signature") or ""
            if not hmac.compare_digest(want, got):
                with self.lock:
                    self.bad.append((path, eid, "signature %r" % got))
                self._answer(h, 401)
                return
        try:
            doc = json.loads(body.decode("utf-8"))
        except ValueError:
            with self.lock:
                self.bad.append((path, eid, "body is not JSON"))
            self._answer(h, 400)
            return
        rec = {"eid": eid, "path": path, "body": body, "json": doc, "t_start": time.time(), "t_end": None}
        with self.lock:
            self.deliveries.append(rec)
            self.active[id(h)] = eid
        if self.delay:
            time.sleep(self.delay)
        if path in self.hold:
            self.hold[path].wait(self.hold_max)
        ok = self._answer(h, 200)
        with self.lock:
            self.active.pop(id(h), None)
            if ok:
                rec["t_end"] = time.time()

    def release(self, path):
        self.hold[path].set()

    def snapshot(self):
        with self.lock:
            return list(self.deliveries)

    def counts(self, path=None):
        with self.lock:
            return Counter(d["eid"] for d in self.deliveries if path is None or d["path"] == path)

    def in_progress(self):
        with self.lock:
            return set(self.active.values())

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port():
    """A loopback port nobody listens on (reserved for this test, outside the ephemeral range)."""
    return free_port()


def list_notifications(http, **params):
    """Every notification matching params, following next_cursor."""
    out, cursor = [], None
    for _ in range(1000):
        q = dict(params, limit=1000)
        if cursor:
            q["cursor"] = cursor
        st, body, _ = http.get("/v1/notifications?" + "&".join("%s=%s" % kv for kv in q.items()))
        if st != 200:
            raise AssertionError("GET /v1/notifications: %d %r" % (st, body))
        out += body["items"]
        cursor = body.get("next_cursor")
        if not cursor:
            break
    return out


def wait_until(fn, timeout, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


def households(first, n, region="330326"):
    """n two-person households whose head earns 1,000.00 a month and paid 40,200.00 out of
    pocket (the seed story's numbers): each gets temp_medical 32,160.00 and an alert."""
    hukou, hrss, med, phones = [], [], [], {}
    for i in range(first, first + n):
        hh = "H%s%06d" % (region, i)
        head = make_id(region, "1968-03-12", (2 * i + 1) % 1000)
        wife = make_id(region, "1970-07-02", (2 * i + 2) % 1000)
        phone = "139%08d" % i
        phones[hh] = phone
        hukou += [{"record_id": "hk-%d-1" % i, "id_number": head, "name": "程%d" % i, "household_id": hh,
                   "relation": "head", "region": region, "phone": phone, "event": "register", "date": "1995-05-01"},
                  {"record_id": "hk-%d-2" % i, "id_number": wife, "name": "林%d" % i, "household_id": hh,
                   "relation": "spouse", "region": region, "event": "register", "date": "1995-05-01"}]
        hrss += [{"record_id": "w-%d-%02d" % (i, k), "id_number": head,
                  "month": "%04d-%02d" % (2025 + (10 + k) // 12, (10 + k) % 12 + 1), "kind": "wage", "amount": "1000.00"}
                 for k in range(12)]
        med.append({"record_id": "m-%d" % i, "id_number": head, "settled_on": "2026-10-15", "total": "60000.00",
                    "insurance_paid": "19800.00", "out_of_pocket": "40200.00", "category": "serious",
                    "hospital": "温州医科大学附属第一医院"})
    return hukou, hrss, med, phones


def post_households(c, tag, data):
    hukou, hrss, med, _ = data
    for src, body in (("hukou", hukou), ("hrss", hrss), ("medical", med)):
        st, rep, _ = c.post_feed(src, "%s-%s" % (src, tag), ndjson(body))
        if st != 200 or rep.get("accepted") != len(body):
            raise AssertionError("feed %s: %d %r" % (src, st, rep))


def seq_order_ok(deliveries):
    """Per producer, the seqs in the order received (a repeat of the same event collapsed)
    strictly increase."""
    last = {}
    for d in deliveries:
        p, s = d["json"].get("producer"), d["json"].get("seq")
        if p in last and s == last[p]:
            continue
        if p in last and s < last[p]:
            return False
        last[p] = s
    return True


def main():
    R = Results()
    N = 6
    secret_a = "whsec-a-0123456789abcdef"
    rx = Receiver({"/hook-a": secret_a}, down=True)
    c = Cluster(mode="split", extra_config={
        "notify.sms_endpoint": rx.url("/sms"),
        "notify.max_attempts": MAX_ATTEMPTS,
        "notify.backoff_ms": BACKOFF_MS,
        "notify.backoff_max_ms": BACKOFF_MAX_MS,
        "notify.http_timeout_ms": 2000,
    }).start()
    try:
        # ---- registrations
        good = {"url": rx.url("/hook-a"), "events": ["entitlement.*", "alert.raised"], "secret": secret_a}
        bad = [
            ("a non-http URL", dict(good, url="ftp://127.0.0.1/x"), "url"),
            ("a file URL", dict(good, url="file:///etc/passwd"), "url"),
            ("a URL without scheme", dict(good, url="127.0.0.1:9/x"), "url"),
            ("a URL without host", dict(good, url="http:///x"), "url"),
            ("a short secret", dict(good, secret="short"), "secret"),
            ("no secret", {k: v for k, v in good.items() if k != "secret"}, "secret"),
            ("an unknown event", dict(good, events=["entitlement.bogus"]), "events"),
            ("an unknown family", dict(good, events=["payment.*"]), "events"),
            ("no events", dict(good, events=[]), "events"),
        ]
        for what, body, field in bad:
            st, prob, hdrs = c.http.post("/v1/webhooks", body)
            fields = [e.get("field") for e in prob.get("errors", [])] if isinstance(prob, dict) else []
            R.check(st == 422 and field in fields and "problem+json" in hdrs.get("Content-Type", ""),
                    "webhook with %s -> 422 naming %s (%d %r)" % (what, field, st, fields))
        st, cw, _ = c.http.post("/v1/keys", {"name": "Pingyang caseworker", "role": "caseworker", "regions": ["330326"]})
        R.check(st == 201, "a caseworker key")
        st, _, _ = c.http.post("/v1/webhooks", good, key=cw["key"])
        R.check(st == 403, "a caseworker may not register a webhook (%d)" % st)

        st, a, _ = c.http.post("/v1/webhooks", good)
        R.check(st == 201 and a.get("webhook_id") and a.get("url") == good["url"] and "secret" not in a,
                "admin registers webhook A for entitlement.* and alert.raised (201, secret not echoed): %r" % (a,))
        wa = a["webhook_id"]
        st, hooks, _ = c.http.get("/v1/webhooks")
        R.check(st == 200 and [h["webhook_id"] for h in hooks.get("items", [])] == [wa]
                and secret_a not in json.dumps(hooks), "GET /v1/webhooks lists it without the secret")

        # ---- the receiver is down while the feed produces events
        data = households(0, N)
        phones = data[3]
        post_households(c, "1", data)

        def created():
            hooks = list_notifications(c.http, recipient=wa)
            sms = list_notifications(c.http, channel="sms")
            return (hooks, sms) if len(hooks) >= 2 * N and len(sms) >= N else None
        got = wait_until(created, 30)
        R.check(bool(got), "notify made a webhook notification per subscribed event and an SMS per grant")
        if not got:
            raise AssertionError(c.tail_logs())
        hooks, sms = got
        R.check(len(hooks) == 2 * N and len(sms) == N,
                "%d webhook deliveries (%d grants + %d alerts) and %d SMS" % (len(hooks), N, N, len(sms)))
        expect_hook = {json.loads(n["body"])["event_id"] for n in hooks}
        R.check(len(expect_hook) == 2 * N and all(e.endswith(":webhook:" + wa) for e in expect_hook),
                "each webhook body carries its own event id")
        types = Counter(json.loads(n["body"])["type"] for n in hooks)
        R.check(types == Counter({"entitlement.granted": N, "alert.raised": N}),
                "only the subscribed types are queued for A (no case.proactive, no application.*): %r" % dict(types))

        # every queue head has met the 503 at least twice before the receiver comes up
        def heads_refused():
            r = dict(rx.refused)
            sms_ok = sum(1 for e, k in r.items() if ":sms:" in e and k >= 2) >= N
            hook_ok = any(":webhook:" in e and k >= 2 for e, k in r.items())
            return sms_ok and hook_ok
        R.check(wait_until(heads_refused, 20), "while down, each SMS and the webhook's head met 503 twice or more")
        R.check(not rx.snapshot(), "nothing was accepted while down")
        hooks = list_notifications(c.http, recipient=wa)
        tried = [n for n in hooks if n["attempts"] > 0]
        R.check(all(n["status"] == "pending" for n in hooks) and len(tried) == 1
                and tried[0]["last_error"] == "HTTP 503",
                "while down, all of A's are pending and only its queue head was tried (last_error HTTP 503): %r"
                % [(n["notification_id"], n["attempts"], n["last_error"]) for n in tried])

        rx.set_down(False)
        t_up = time.time()

        def all_in():
            return set(rx.counts("/hook-a")) >= expect_hook and len(rx.counts("/sms")) >= N
        R.check(wait_until(all_in, 30), "once up, every event and SMS arrives (%.1fs)" % (time.time() - t_up))
        time.sleep(1.0)  # anything more that would arrive, arrives
        hook_counts = rx.counts("/hook-a")
        R.check(set(hook_counts) == expect_hook and all(v == 1 for v in hook_counts.values()),
                "every webhook event exactly once: %r" % {k: v for k, v in hook_counts.items() if v != 1})
        R.check(not rx.bad, "every signature valid: %r" % rx.bad[:3])
        dels = [d for d in rx.snapshot() if d["path"] == "/hook-a"]
        R.check(all(d["json"].get("event_id") == d["eid"] for d in dels),
                "X-Sais-Event-Id is the body's event_id")
        R.check(all(d["json"]["type"] in ("entitlement.granted", "alert.raised") for d in dels),
                "only subscribed types were POSTed")
        R.check(seq_order_ok(dels), "in order per recipient: each producer's events in log order: %r"
                % [(d["json"]["producer"], d["json"]["seq"]) for d in dels])
        grants = [d["json"]["data"] for d in dels if d["json"]["type"] == "entitlement.granted"]
        R.check(len(grants) == N and all(g["policy"] == "temp_medical" and g["amount"] == 32160.00
                                          and "*" in g["id_number"] for g in grants),
                "grant bodies: temp_medical 32160.00, ID number masked")
        alerts = [d["json"]["data"] for d in dels if d["json"]["type"] == "alert.raised"]
        R.check(len(alerts) == N and all(a_["kind"] == "catastrophic_medical" and a_["household_id"] in phones
                                          for a_ in alerts), "alert bodies: catastrophic_medical for each household")

        smsd = [d for d in rx.snapshot() if d["path"] == "/sms"]
        sms_counts = rx.counts("/sms")
        R.check(len(smsd) == N and all(v == 1 for v in sms_counts.values()), "each SMS exactly once (%d)" % len(smsd))
        R.check(sorted(d["json"]["to"] for d in smsd) == sorted(phones.values()), "an SMS to each head's phone")
        R.check(all(d["json"]["body"].startswith("【") and "临时救助" in d["json"]["body"]
                    and "32160.00元" in d["json"]["body"] for d in smsd),
                "the SMS is Chinese and names the amount: %s" % (smsd[0]["json"]["body"] if smsd else None))

        # the outbox agrees with the receiver
        hooks = list_notifications(c.http, recipient=wa)
        ok_att = all(n["attempts"] == rx.refused[json.loads(n["body"])["event_id"]] + 1 for n in hooks)
        R.check(all(n["status"] == "delivered" and n["delivered_at"] and n["last_error"] is None for n in hooks),
                "GET /v1/notifications: all of A's delivered")
        R.check(ok_att, "attempts = the 503s the receiver answered + 1, for each: %r"
                % [(n["attempts"], rx.refused[json.loads(n["body"])["event_id"]]) for n in hooks])
        R.check(sum(1 for n in hooks if n["attempts"] > 1) >= 1, "the early ones show attempts > 1")
        sms = list_notifications(c.http, channel="sms")
        by_id = {d["json"]["notification_id"]: d["eid"] for d in smsd}
        R.check(all(n["status"] == "delivered" and n["attempts"] > 1
                    and n["attempts"] == rx.refused[by_id.get(n["notification_id"], "")] + 1 for n in sms),
                "SMS delivered, each with attempts > 1 (all were tried while down)")
        st, pend, _ = c.http.get("/v1/notifications?status=pending")
        R.check(st == 200 and pend["items"] == [], "nothing pending")

        # ---- a receiver that never comes back
        dead = closed_port()
        st, b, _ = c.http.post("/v1/webhooks", {"url": "http://127.0.0.1:%d/gone" % dead, "events": ["alert.raised"],
                                                "secret": "whsec-b-0123456789abcdef"})
        R.check(st == 201, "admin registers webhook B whose receiver is gone")
        wb = b["webhook_id"]
        more = households(N, 1)
        post_households(c, "2", more)
        t0 = time.time()

        def b_failed():
            ns = list_notifications(c.http, recipient=wb)
            return ns if ns and all(n["status"] == "failed" for n in ns) else None
        ns = wait_until(b_failed, 30, step=0.2)
        R.check(bool(ns) and len(ns) == 1, "B's one alert ends failed (%.1fs)" % (time.time() - t0))
        if ns:
            n = ns[0]
            R.check(n["attempts"] == MAX_ATTEMPTS and n["last_error"],
                    "after notify.max_attempts = %d attempts, last_error %r" % (n["attempts"], n["last_error"]))
            st, failed, _ = c.http.get("/v1/notifications?status=failed")
            R.check(st == 200 and [x["notification_id"] for x in failed["items"]] == [n["notification_id"]],
                    "?status=failed lists it")
        R.check(wait_until(lambda: len(rx.counts("/hook-a")) == 2 * N + 2, 20),
                "A got the new household's grant and alert meanwhile")
        time.sleep(0.5)
        R.check(all(v == 1 for v in rx.counts().values()) and not rx.bad, "still nothing twice, every signature valid")

        # notify keeps at most 250 webhooks (a notification id has room for 256 per event)
        st, hooks, _ = c.http.get("/v1/webhooks?limit=1000")
        have = len(hooks["items"])
        codes = Counter()
        for i in range(WEBHOOKS_MAX - have):
            st, _, _ = c.http.post("/v1/webhooks", {"url": rx.url("/many-%d" % i), "events": ["wish.*"],
                                                    "secret": "whsec-many-0123456789"})
            codes[st] += 1
        st, prob, _ = c.http.post("/v1/webhooks", {"url": rx.url("/one-too-many"), "events": ["wish.*"],
                                                   "secret": "whsec-many-0123456789"})
        R.check(codes == Counter({201: WEBHOOKS_MAX - have}) and st == 409,
                "webhooks up to %d are created, the next is 409 (%r, %d %r)"
                % (WEBHOOKS_MAX, dict(codes), st, prob.get("title") if isinstance(prob, dict) else prob))
    finally:
        try:
            c.stop()
            R.check(True, "every process stopped cleanly on SIGTERM")
        except AssertionError as e:
            R.check(False, str(e))
        c.cleanup()
        rx.close()
    # bad delivery settings stop sais up, naming the key and the value
    for key, value in (("notify.backoff_ms", "0"), ("notify.backoff_max_ms", "10"), ("notify.max_attempts", "0"),
                       ("notify.max_attempts", "5000"), ("notify.http_timeout_ms", "1")):
        rc, out = start_refused(key, value)
        R.check(rc != 0 and key in out and "'%s'" % value in out,
                "%s = %s: sais up refuses to start and names the key and the value (%d)" % (key, value, rc))
    R.finish()


if __name__ == "__main__":
    main()
