"""The gateway over real HTTP (`sais up`): keys, 401/403/404/405/413/415, bad JSON, path
traversal and bad escapes, X-Request-Id, keep-alive, huge headers, /healthz, /metrics, the
console, the audit trail and `sais audit verify` on the data it leaves behind."""
import http.client
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import BIN, Cluster, Results, ndjson  # noqa: E402

R = Results()
PROBLEM = "application/problem+json"


def raw(port, request, timeout=10):
    """Sends bytes as they are (no client-side normalisation of the path) and returns
    (status, headers dict, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(request)
        out = b""
        while True:
            try:
                d = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not d:
                break
            out += d
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        status = 0
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        hdrs[k.decode().strip().lower()] = v.decode().strip()
    return status, hdrs, body


def get_raw(port, path, extra=b""):
    return raw(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + b"\r\n")


def is_problem(st, body, hdrs, status):
    ct = {k.lower(): v for k, v in hdrs.items()}.get("content-type", "")
    return (st == status and ct.startswith(PROBLEM) and isinstance(body, dict) and body.get("status") == status
            and all(k in body for k in ("type", "title", "detail", "errors")))


def wait_up(c, timeout=60):
    """Waits for /healthz to answer at all (200 or 503: services may still be coming up)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            st, body, _ = c.http.get("/healthz", timeout=5)
            if st in (200, 503) and isinstance(body, dict) and "services" in body:
                return st, body
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("the gateway did not come up:\n" + c.tail_logs())


def main():
    # the polling threads (the default) and a thread per connection answer the same
    for threads in ("2", "0"):
        print("== gateway.threads = %s" % threads)
        run(threads)
    R.finish()


def run(threads):
    web = os.path.join(os.environ.get("SAIS_SOURCE_DIR", "."), "web")
    c = Cluster(mode="embedded", extra_config={"gateway.max_body_mb": "1", "gateway.web_dir": web,
                                               "gateway.threads": threads})
    c.start(wait=False)
    port = c.http_port
    try:
        st, health = wait_up(c)
        time.sleep(0.5)
        st, health, hdrs = c.http.get("/healthz")
        R.check(st in (200, 503) and health.get("status") == ("ok" if st == 200 else "degraded"),
                "/healthz answers 200 ok or 503 degraded (%r)" % st)
        R.check(set(health.get("services", {})) >= {"ingest", "verify", "rules", "intake", "warn", "match", "notify", "city"}
                and all(v in ("up", "down") for v in health["services"].values()), "/healthz names every service up|down")
        R.check(len(hdrs.get("X-Request-Id", "")) >= 16, "a generated X-Request-Id on every response")
        ingest_up = health["services"].get("ingest") == "up"

        # ---- keys and the admin key file
        keyfile = os.path.join(c.data, "admin.key")
        R.check(oct(os.stat(keyfile).st_mode & 0o777) == "0o600", "admin.key is mode 0600")
        st, cw, _ = c.http.post("/v1/keys", {"name": "Pingyang desk", "role": "caseworker", "regions": ["330326"]})
        R.check(st == 201 and cw.get("key", "").startswith("sais_") and cw.get("id") and cw.get("created_at"),
                "POST /v1/keys -> 201 with the secret once")
        st, partner, _ = c.http.post("/v1/keys", {"name": "hospital", "role": "partner", "sources": ["medical"]})
        R.check(st == 201, "a partner key for medical")
        st, auditor, _ = c.http.post("/v1/keys", {"name": "auditor", "role": "auditor"})
        R.check(st == 201, "an auditor key")
        st, body, hdrs = c.http.post("/v1/keys", {"name": "x", "role": "overlord"})
        R.check(is_problem(st, body, hdrs, 422) and body["errors"][0]["field"] == "role", "a bad role is 422 naming the field")
        st, body, hdrs = c.http.post("/v1/keys", {"name": "x", "role": "caseworker", "regions": ["33a"]})
        R.check(is_problem(st, body, hdrs, 422), "a bad region prefix is 422")
        st, body, _ = c.http.get("/v1/keys")
        text = json.dumps(body)
        R.check(st == 200 and len(body.get("items", [])) >= 4 and "\"key\"" not in text and "hash" not in text
                and "next_cursor" in body, "GET /v1/keys lists keys without secrets or hashes")

        # ---- 401 / 403
        st, body, hdrs = c.http.get("/v1/persons/330326199001011235", key="")
        R.check(is_problem(st, body, hdrs, 401) and "WWW-Authenticate" in hdrs, "no key -> 401 problem")
        st, body, hdrs = c.http.get("/v1/persons/330326199001011235", key="sais_000000000000_forged")
        R.check(is_problem(st, body, hdrs, 401), "an unknown key -> 401")
        st, body, hdrs = c.http.get("/v1/keys", key=cw["key"])
        R.check(is_problem(st, body, hdrs, 403), "a caseworker may not list keys -> 403")
        st, body, hdrs = c.http.get("/v1/persons/330326199001011235", key=partner["key"])
        R.check(is_problem(st, body, hdrs, 403), "a partner may not read persons -> 403")
        st, body, hdrs = c.post_feed("hukou", "b1", b"{}\n", key=partner["key"])
        R.check(is_problem(st, body, hdrs, 403), "a partner may not post another source's feed -> 403")
        st, body, hdrs = c.http.get("/v1/audit", key=cw["key"])
        R.check(is_problem(st, body, hdrs, 403), "a caseworker may not read the audit trail -> 403")

        # ---- 404 / 405
        st, body, hdrs = c.http.get("/v1/nothing-here")
        R.check(is_problem(st, body, hdrs, 404), "unknown path -> 404 problem")
        st, body, hdrs = c.http.get("/favicon.ico", key="")
        R.check(is_problem(st, body, hdrs, 404), "unknown path outside /v1 -> 404 without a key")
        st, body, hdrs = c.http.call("DELETE", "/v1/persons/330326199001011235")
        R.check(is_problem(st, body, hdrs, 405) and hdrs.get("Allow") == "GET", "wrong method -> 405 with Allow: GET")
        st, body, hdrs = c.http.call("PUT", "/v1/keys")
        R.check(st == 405 and "POST" in hdrs.get("Allow", "") and "GET" in hdrs.get("Allow", ""), "PUT /v1/keys -> 405, Allow: POST, GET")

        # ---- bodies: 415, 400, 413
        st, body, hdrs = c.http.call("POST", "/v1/keys", body=b'{"name":"a","role":"city"}', ctype="text/plain")
        R.check(is_problem(st, body, hdrs, 415), "JSON route with text/plain -> 415")
        st, body, hdrs = c.http.call("POST", "/v1/keys", body=b'{"name":', ctype="application/json")
        R.check(is_problem(st, body, hdrs, 400), "malformed JSON -> 400")
        st, body, hdrs = c.http.call("POST", "/v1/keys", body=b'{"name":"a","name":"b","role":"city"}', ctype="application/json")
        R.check(is_problem(st, body, hdrs, 400), "duplicate JSON keys -> 400")
        st, body, hdrs = c.http.call("POST", "/v1/keys", body=b'{"name":"\xff","role":"city"}', ctype="application/json")
        R.check(is_problem(st, body, hdrs, 400), "invalid UTF-8 in JSON -> 400")
        st, body, hdrs = c.http.call("POST", "/v1/keys", body=b'{"a":' + b"[" * 200 + b"]" * 200 + b"}", ctype="application/json")
        R.check(is_problem(st, body, hdrs, 400), "deeply nested JSON -> 400")
        big = b'{"name":"' + b"a" * (2 << 20) + b'","role":"city"}'
        st, body, hdrs = c.http.call("POST", "/v1/keys", body=big, ctype="application/json")
        R.check(is_problem(st, body, hdrs, 413), "a JSON body over its limit -> 413")
        st, hdrs, _ = raw(port, b"POST /v1/feeds/medical/batches?batch_id=big HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                          + partner["key"].encode() + b"\r\nContent-Type: text/csv\r\nContent-Length: 10000000000\r\n"
                          + b"Connection: close\r\n\r\n")
        R.check(st == 413, "a feed whose Content-Length is over gateway.max_body_mb -> 413 before reading (%d)" % st)
        st, body, hdrs = c.post_feed("medical", "b1", b"{}\n", key=partner["key"], ctype="application/json")
        R.check(is_problem(st, body, hdrs, 415), "a feed that is neither NDJSON nor CSV -> 415")
        st, body, hdrs = c.post_feed("medical", "bad%20id", b"{}\n", key=partner["key"])
        R.check(is_problem(st, body, hdrs, 422), "a bad batch_id -> 422")

        # ---- a feed streamed to ingest (or 503 naming it when it is down)
        recs = [{"record_id": "m-%d" % i, "id_number": "bad"} for i in range(3)]
        st, body, hdrs = c.post_feed("medical", "gw-1", ndjson(recs), key=partner["key"])
        if ingest_up:
            R.check(st == 200 and body.get("received") == 3 and body.get("rejected") == 3, "a batch streamed to ingest: report %r" % (body,))
            st2, body2, _ = c.post_feed("medical", "gw-1", ndjson(recs), key=partner["key"])
            R.check(st2 == 200 and body2 == body, "the same batch again returns the first report")
        else:
            R.check(is_problem(st, body, hdrs, 503) and "ingest" in body.get("detail", ""), "ingest down -> 503 naming it")

        # ---- paths and queries
        for path in (b"/console/../../etc/passwd", b"/console/%2e%2e/%2e%2e/etc/passwd", b"/console/..%2fetc",
                     b"/v1/persons/%zz", b"/v1/persons/%C0%AF", b"/v1/alerts?region=%FF"):
            st, _, _ = get_raw(port, path, b"Authorization: Bearer " + cw["key"].encode() + b"\r\n")
            R.check(st == 400, "%s -> 400 (%d)" % (path.decode(), st))
        st, _, _ = get_raw(port, b"/console/")
        R.check(st in (200, 404), "the console index is served or absent, never an error (%d)" % st)

        # ---- request ids, keep-alive, huge headers
        st, _, hdrs = c.http.get("/healthz", headers={"X-Request-Id": "it-req-7"})
        R.check(hdrs.get("X-Request-Id") == "it-req-7", "X-Request-Id is echoed")
        st, body, hdrs = c.http.get("/v1/nothing", key="", headers={"X-Request-Id": "it-req-8"})
        R.check(hdrs.get("X-Request-Id") == "it-req-8", "X-Request-Id is echoed on errors too")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        ok = True
        for _ in range(3):
            conn.request("GET", "/v1/keys", headers={"Authorization": "Bearer " + c.http.key})
            r = conn.getresponse()
            r.read()
            ok = ok and r.status == 200 and (r.getheader("Connection") or "").lower() != "close"
        conn.close()
        R.check(ok, "three requests on one keep-alive connection")
        st, _, _ = get_raw(port, b"/healthz", b"X-Big: " + b"a" * 200000 + b"\r\n")
        R.check(st in (400, 413, 431), "a huge header is refused (%d), not a crash" % st)
        st, _, _ = c.http.get("/healthz")
        R.check(st in (200, 503), "the gateway still answers after that")

        # ---- deleting a key stops it at once
        st, _, _ = c.http.call("DELETE", "/v1/keys/" + cw["id"])
        R.check(st == 204, "DELETE /v1/keys/{id} -> 204")
        st, body, hdrs = c.http.get("/v1/policies", key=cw["key"])
        R.check(is_problem(st, body, hdrs, 401), "the deleted key is refused at once")
        st, body, hdrs = c.http.call("DELETE", "/v1/keys/" + cw["id"])
        R.check(is_problem(st, body, hdrs, 404), "deleting it again -> 404")

        # ---- metrics
        st, text, hdrs = c.http.get("/metrics", key="")
        text = text.decode() if isinstance(text, bytes) else str(text)
        R.check(st == 200 and hdrs.get("Content-Type", "").startswith("text/plain"), "/metrics is Prometheus text")
        R.check('sais_http_requests_total{route="POST /v1/keys",status="201"}' in text, "request counts per route and status")
        R.check('sais_http_request_duration_seconds_bucket{route="GET /v1/keys",status="200",le="+Inf"}' in text,
                "latency histograms per route and status")
        R.check("sais_service_up{service=\"ingest\"}" in text and "sais_store_map_used_bytes{service=\"gateway\"}" in text,
                "service and LMDB gauges")

        # ---- audit trail
        st, body, _ = c.http.get("/v1/audit?limit=1000", key=auditor["key"])
        items = body.get("items", []) if st == 200 else []
        R.check(st == 200 and items, "an auditor reads /v1/audit")
        R.check(any(i["status"] == 401 and i["actor"] == "-" for i in items), "401s are audited")
        R.check(any(i["status"] == 403 and i["action"] == "GET /v1/persons/{id_number}"
                    and i["subject"] == "330326199001011235" for i in items), "403s are audited with the route and subject")
        R.check(any(i["action"] == "DELETE /v1/keys/{id}" and i["status"] == 204 for i in items), "writes are audited")
        R.check(all(items[k]["prev_hash"] == items[k - 1]["hash"] for k in range(1, len(items))), "the entries form a hash chain")
        st, body, _ = c.http.get("/v1/audit?actor=-&limit=2", key=auditor["key"])
        R.check(st == 200 and len(body["items"]) <= 2 and all(i["actor"] == "-" for i in body["items"]), "audit filters by actor")
    finally:
        c.stop(check=False)
    r = subprocess.run([BIN, "audit", "verify", "--data", c.data], capture_output=True, text=True, timeout=60)
    R.check(r.returncode == 0 and "intact" in r.stdout, "sais audit verify: %s" % r.stdout.strip())
    c.cleanup()


if __name__ == "__main__":
    main()
