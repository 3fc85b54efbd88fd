"""kill -9 of notify during delivery: no loss, no duplicate beyond what HTTP allows.

A slow receiver (100 ms per request, signatures checked, deliveries counted per
X-Sais-Event-Id) stands behind four webhooks subscribed to "*" and the SMS gateway. 25
households get catastrophic medical costs: ~100 events in the producers' logs (grants,
alerts, proactive cases, applications), so ~400 webhook deliveries in four queues that each
go one at a time, plus an SMS per household, which the receiver accepts (counts) but holds
its answer to. In the middle of it — four webhook deliveries and the 25 SMS in flight —
notify is killed with SIGKILL and restarted.

What the design guarantees (services/notify/notify_outbox.h) and what is asserted:
- no loss: every notification in the outbox reaches the receiver, and ends `delivered`;
- a duplicate only for a delivery that was in flight at the kill: an event id the receiver
  accepted twice was first received before notify came back (sent by the killed process) and
  its answer had not been written more than WINDOW before the kill (an outcome notify had
  time to record is never sent again), and was received the second time from the restarted
  notify;
- at most one duplicate per such notification, so no more than notify's concurrent
  deliveries (notify_deliver.h NOTIFY_DELIVER_MAX = 64) and no more than were in flight;
- an SMS whose answer notify never got is sent again (it was not recorded: at least once);
- each webhook still gets each producer's events in log order (a repeat of the same event
  aside);
- once everything is delivered nothing else arrives.

Then a clean stop (SIGTERM) while deliveries are in flight: notify waits for their answers and
records them, so after the restart nothing at all arrives twice."""
import json
import os
import signal
import sys
import time
from collections import Counter

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from sais_harness import Cluster, Results  # noqa: E402
from test_notify_webhooks import (Receiver, households, list_notifications, post_households,  # noqa: E402
                                  seq_order_ok, wait_until)

HOUSEHOLDS = 25
HOOKS = 4
DELAY = 0.1          # seconds the receiver takes per request
WINDOW = 0.5         # longest a 2xx may stay unrecorded by a live notify (generous for ASan)
MAX_INFLIGHT = 64    # NOTIFY_DELIVER_MAX
PRODUCERS = ["rules", "warn", "intake", "match"]


def main():
    R = Results()
    secrets = {"/hook-%d" % i: "whsec-%d-0123456789abcdef" % i for i in range(HOOKS)}
    rx = Receiver(secrets, delay=DELAY, hold=["/sms"], hold_max=25.0)
    c = Cluster(mode="split", extra_config={
        "notify.sms_endpoint": rx.url("/sms"),
        "notify.max_attempts": 1000,
        "notify.backoff_ms": 100,
        "notify.backoff_max_ms": 500,
        "notify.http_timeout_ms": 30000,   # longer than the receiver holds an SMS
    }).start()
    t_begin = time.time()
    try:
        hooks = {}
        for path, secret in secrets.items():
            st, h, _ = c.http.post("/v1/webhooks", {"url": rx.url(path), "events": ["*"], "secret": secret})
            assert st == 201, (st, h)
            hooks[h["webhook_id"]] = path
        R.check(len(hooks) == HOOKS, "%d webhooks for every event" % HOOKS)

        post_households(c, "k", households(0, HOUSEHOLDS))
        status = c.quiescent()
        events = sum(status[p]["head"] for p in PRODUCERS)
        R.check(events >= 3 * HOUSEHOLDS, "the feed made %d events in rules, warn, intake, match" % events)

        def all_created():
            ns = list_notifications(c.http)
            hk = [n for n in ns if n["channel"] == "webhook"]
            sm = [n for n in ns if n["channel"] == "sms"]
            return (hk, sm) if len(hk) == HOOKS * events and len(sm) >= HOUSEHOLDS else None
        got = wait_until(all_created, 30)
        R.check(bool(got), "a webhook notification per event per webhook, an SMS per grant")
        if not got:
            raise AssertionError(c.tail_logs())
        hk, sm = got
        expected = {json.loads(n["body"])["event_id"] for n in hk}
        expected_sms = {n["notification_id"] for n in sm}
        total = len(expected) + len(expected_sms)
        R.check(len(expected) == HOOKS * events, "%d distinct webhook event ids, %d SMS" % (len(expected), len(sm)))

        # kill -9 in the middle, while requests are in flight at the receiver
        def middle():
            return len(rx.snapshot()) >= total * 0.4 and len(rx.in_progress()) > len(expected_sms)
        R.check(wait_until(middle, 60, step=0.005), "deliveries under way (%d of %d received, %d in progress)"
                % (len(rx.snapshot()), total, len(rx.in_progress())))
        c.kill9("notify")
        t_kill = time.time()
        at_kill = rx.snapshot()
        busy = rx.in_progress()
        held = {d["eid"] for d in at_kill if d["path"] == "/sms"}
        print("   killed notify with %d of %d received, %d answers pending (%d SMS held)"
              % (len(at_kill), total, len(busy), len(held)))
        rx.release("/sms")
        time.sleep(0.5)
        t_restart = time.time()
        c.start_service("notify")

        def delivered_all():
            eids = rx.counts()
            sms_ids = {d["json"].get("notification_id") for d in rx.snapshot() if d["path"] == "/sms"}
            return expected <= set(eids) and expected_sms <= sms_ids
        R.check(wait_until(delivered_all, 60), "after the restart every event reaches the receiver (%.1fs after the kill)"
                % (time.time() - t_kill))
        c.quiescent()

        def settled():
            ns = list_notifications(c.http)
            return all(n["status"] == "delivered" for n in ns if n["channel"] in ("sms", "webhook"))
        R.check(wait_until(settled, 20), "the outbox says every SMS and webhook delivery is delivered")
        before = len(rx.snapshot())
        time.sleep(1.5)
        dels = rx.snapshot()
        R.check(len(dels) == before, "nothing arrives after it settles (%d then %d)" % (before, len(dels)))

        # no loss
        counts = Counter(d["eid"] for d in dels)
        sms_ids = {d["json"].get("notification_id") for d in dels if d["path"] == "/sms"}
        R.check(expected <= set(counts), "no loss: every webhook event id arrived (%d missing)" % len(expected - set(counts)))
        R.check(expected_sms <= sms_ids, "no loss: every SMS arrived")
        R.check(set(counts) <= expected | {d["eid"] for d in dels if d["path"] == "/sms"},
                "nothing arrived that is not in the outbox")
        R.check(not rx.bad, "every signature valid: %r" % rx.bad[:3])

        # duplicates: only what was in flight at the kill, at most once each
        inflight = set()
        for d in dels:
            if d["t_start"] < t_restart and (d["t_end"] is None or d["t_end"] > t_kill - WINDOW):
                inflight.add(d["eid"])
        dups = {e: k for e, k in counts.items() if k > 1}
        print("   in flight at the kill: %d; delivered twice: %d (%d SMS, %s)"
              % (len(inflight), len(dups), sum(1 for e in dups if ":sms:" in e),
                 ", ".join(sorted(e for e in dups if ":sms:" not in e))))
        R.check(all(k == 2 for k in dups.values()), "no event id more than twice: %r"
                % {e: k for e, k in dups.items() if k > 2})
        R.check(set(dups) <= inflight, "every duplicate was in flight at the kill: %r" % sorted(set(dups) - inflight))
        R.check(len(dups) <= min(MAX_INFLIGHT, len(inflight)),
                "duplicates (%d) bounded by the deliveries in flight (%d, at most %d)"
                % (len(dups), len(inflight), MAX_INFLIGHT))
        R.check(len(held) == len(expected_sms) and all(counts[e] == 2 for e in held),
                "every SMS held at the kill (%d) came again after the restart: notify never got its 2xx"
                % len(held))
        firsts = {}
        ok_when = True
        for d in dels:
            if d["eid"] in firsts:
                ok_when = ok_when and firsts[d["eid"]]["t_start"] < t_restart <= d["t_start"]
            else:
                firsts[d["eid"]] = d
        R.check(ok_when, "each duplicate: first from the killed notify, again from the restarted one")
        answered_early = {d["eid"] for d in at_kill if d["t_end"] is not None and d["t_end"] < t_kill - WINDOW}
        R.check(not (answered_early & set(dups)), "a delivery answered before the kill is never sent again")

        # order per webhook survives the kill
        for wid, path in sorted(hooks.items()):
            mine = [d for d in dels if d["path"] == path]
            R.check(len({d["eid"] for d in mine}) == events and seq_order_ok(mine),
                    "%s: all %d events, each producer's in log order" % (wid, events))

        ns = list_notifications(c.http)
        R.check(all(n["attempts"] >= 1 for n in ns if n["channel"] in ("sms", "webhook")),
                "every delivery counted at least one attempt")

        # a clean stop (SIGTERM) during delivery waits for the answers in flight and records
        # them: nothing is sent twice
        rx.delay = 0.4
        known = {json.loads(n["body"])["event_id"] for n in ns if n["channel"] == "webhook"}
        post_households(c, "t", households(HOUSEHOLDS, 3))
        c.quiescent()
        R.check(wait_until(lambda: rx.in_progress(), 30, step=0.005), "more deliveries under way")
        busy = rx.in_progress()
        p = c.procs["notify"]
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=30)
        R.check(rc == 0 and time.time() - t0 < 10,
                "SIGTERM: notify stops cleanly (%r) in %.1fs with %d answers in flight" % (rc, time.time() - t0, len(busy)))
        c.start_service("notify")
        ns = wait_until(lambda: (lambda x: x if all(n["status"] == "delivered" for n in x
                                                     if n["channel"] in ("sms", "webhook")) else None)(
            list_notifications(c.http)), 60)
        R.check(bool(ns), "after the restart the new deliveries all go out")
        new_ids = {json.loads(n["body"])["event_id"] for n in ns or [] if n["channel"] == "webhook"} - known
        time.sleep(1.0)
        counts = rx.counts()
        R.check(new_ids and all(counts[e] == 1 for e in new_ids) and all(counts[e] == 1 for e in busy),
                "no duplicate across a clean stop (%d new webhook deliveries): %r"
                % (len(new_ids), {e: counts[e] for e in new_ids | busy if counts[e] != 1}))
        R.check(not rx.bad, "every signature valid")
        print("   (%.1fs)" % (time.time() - t_begin))
    finally:
        c.stop(check=False)
        c.cleanup()
        rx.close()
    R.finish()


if __name__ == "__main__":
    main()
