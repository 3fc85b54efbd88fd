"""Hostile and broken HTTP against the gateway: oversized bodies (413, declared or chunked),
slow clients (headers byte by byte, then a stall: others are served meanwhile and the slow one
is dropped after gateway.conn_timeout_s), path traversal in plain and encoded forms, bad JSON
(truncated, duplicate keys, 100,000-deep nesting, invalid UTF-8) -- each a clear 4xx
problem+json, with /healthz answering after every one -- and the libmicrohttpd stall counts of
DESIGN.md: 128, 256 and 384 open keep-alive connections while requests still complete
promptly."""
import json
import os
import socket
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from sais_harness import Cluster, Results  # noqa: E402

R = Results()
CONN_TIMEOUT = 3


def exchange(port, request, timeout=15):
    """Sends raw bytes, reads until the server closes; (status, headers, body bytes)."""
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
    except (BrokenPipeError, ConnectionResetError):
        out = out if "out" in dir() else b""
    finally:
        s.close()
    return parse(out)


def parse(out):
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        status = 0
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        hdrs[k.decode(errors="replace").strip().lower()] = v.decode(errors="replace").strip()
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        body = dechunk(body)
    return status, hdrs, body


def dechunk(b):
    out = b""
    while b:
        size, _, rest = b.partition(b"\r\n")
        try:
            n = int(size.split(b";")[0], 16)
        except ValueError:
            break
        if n == 0:
            break
        out += rest[:n]
        b = rest[n + 2:]
    return out


def problem(status, hdrs, body, want):
    """A problem document with the wanted status (or one of them)."""
    wants = want if isinstance(want, tuple) else (want,)
    try:
        doc = json.loads(body.decode())
    except (ValueError, UnicodeDecodeError):
        doc = None
    return (status in wants and hdrs.get("content-type", "").startswith("application/problem+json")
            and isinstance(doc, dict) and doc.get("status") == status and doc.get("title") and doc.get("detail"))


def healthy(c, what):
    t = time.time()
    st, body, _ = c.http.get("/healthz", timeout=10)
    R.check(st == 200 and time.time() - t < 5, "  /healthz still answers after %s (%d)" % (what, st))


def post_json(port, key, body, path=b"/v1/keys", extra=b""):
    return exchange(port, b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode()
                    + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
                    + b"\r\nConnection: close\r\n" + extra + b"\r\n" + body)


def chunked(port, key, path, ctype, total, piece=65536):
    """Streams `total` bytes chunked; returns (status, headers, body) or (0, ...) if cut off."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    out = b""
    try:
        s.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode()
                  + b"\r\nContent-Type: " + ctype + b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        line = b'{"record_id":"x","id_number":"bad"}\n'
        data = (line * (piece // len(line) + 1))[:piece]
        sent = 0
        while sent < total:
            s.sendall(b"%x\r\n" % len(data) + data + b"\r\n")
            sent += len(data)
        s.sendall(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return parse(out)


def read_head(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
    return buf


def keepalive(c):
    """128, 256 and 384 open keep-alive connections (DESIGN.md: libmicrohttpd's epoll mode
    stalls at exactly these counts); new requests and requests on the open connections still
    complete promptly."""
    port = c.http_port
    opened = []
    try:
        for count in (128, 256, 384):
            fresh = []
            while len(opened) < count:
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                opened.append(s)
                fresh.append(s)
            first = sum(read_head(s).startswith(b"HTTP/1.1 200") for s in fresh)
            t = time.time()
            results = []

            def one():
                try:
                    st, _, _ = c.http.get("/v1/keys?limit=1", timeout=10)
                except OSError:
                    st = 0
                results.append(st)
            threads = [threading.Thread(target=one) for _ in range(50)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            dt = time.time() - t
            t2 = time.time()
            for s in opened[:20]:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            reused = sum(read_head(s).startswith(b"HTTP/1.1 200") for s in opened[:20])
            dt2 = time.time() - t2
            R.check(first == len(fresh) and results.count(200) == 50 and dt < 10 and reused == 20 and dt2 < 5,
                    "with %d keep-alive connections open: %d/%d answered, 50 new requests in %.2f s, %d/20 on open "
                    "ones in %.2f s" % (count, first, len(fresh), dt, reused, dt2))
    finally:
        for s in opened:
            s.close()
    healthy(c, "hundreds of keep-alive connections")


def main():
    # the polling threads (the default) and a thread per connection take the same abuse
    for threads in ("2", "0"):
        print("== gateway.threads = %s" % threads)
        run(threads)
    R.finish()


def run(threads):
    # /healthz is this test's probe of a gateway under hostile connections, hundreds of times
    # from one address: its pacing (gateway.probes_per_min, test_rate_limits) is off here
    c = Cluster(mode="embedded", extra_config={"gateway.probes_per_min": "0",
                                               "gateway.conn_timeout_s": str(CONN_TIMEOUT), "gateway.max_body_mb": "1",
                                               "gateway.max_conns": "2000", "gateway.max_conns_per_ip": "1000",
                                               "gateway.threads": threads})
    c.start()
    port = c.http_port
    key = c.http.key
    try:
        st, partner, _ = c.http.post("/v1/keys", {"name": "hospital", "role": "partner", "sources": ["medical"]})
        pkey = partner["key"]

        # ---- oversized bodies
        big = b'{"name":"' + b"a" * (1100 << 10) + b'","role":"city"}'
        R.check(problem(*post_json(port, key, big), 413), "a JSON body over gateway.max_json_kb (declared) -> 413")
        healthy(c, "an oversized JSON body")
        R.check(problem(*chunked(port, key, b"/v1/keys", b"application/json", 2 << 20), 413),
                "a chunked JSON body that grows over the limit -> 413")
        healthy(c, "an oversized chunked JSON body")
        st, h, b = exchange(port, b"POST /v1/feeds/medical/batches?batch_id=b1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                            + pkey.encode() + b"\r\nContent-Type: application/x-ndjson\r\nContent-Length: 5000000000\r\n"
                            + b"Connection: close\r\n\r\n")
        R.check(problem(st, h, b, 413), "a feed declaring 5 GB over gateway.max_body_mb -> 413 before reading")
        healthy(c, "an oversized declared feed")
        st, h, b = chunked(port, pkey, b"/v1/feeds/medical/batches?batch_id=b2", b"application/x-ndjson", 3 << 20)
        R.check(problem(st, h, b, 413) or st == 0, "a chunked feed streamed past the limit -> 413 (%d)" % st)
        healthy(c, "an oversized streamed feed")

        # ---- slow clients
        slow = socket.create_connection(("127.0.0.1", port), timeout=CONN_TIMEOUT * 4)
        for ch in b"GET /healthz HTTP/1.1\r\nHo":
            slow.send(bytes([ch]))
            time.sleep(0.02)
        t_stall = time.time()
        times = []
        for _ in range(5):
            t = time.time()
            st, _, _ = c.http.get("/healthz", timeout=10)
            times.append((st, time.time() - t))
        R.check(all(st == 200 and dt < 2 for st, dt in times), "others are served while a client stalls mid-header %s"
                % ["%.2f" % dt for _, dt in times])
        closed_after = None
        try:
            d = slow.recv(4096)
            closed_after = time.time() - t_stall
            R.check(not d or d.startswith(b"HTTP/1.1 408") or d.startswith(b"HTTP/1.1 400"),
                    "the stalled client gets nothing or a 4xx when dropped (%r)" % d[:20])
        except (socket.timeout, ConnectionResetError) as e:
            closed_after = time.time() - t_stall if isinstance(e, ConnectionResetError) else None
        slow.close()
        R.check(closed_after is not None and CONN_TIMEOUT - 1 <= closed_after <= CONN_TIMEOUT + 4,
                "the stalled client is dropped after gateway.conn_timeout_s=%d (%s s)" % (CONN_TIMEOUT, closed_after
                if closed_after is None else "%.1f" % closed_after))
        # a body that stalls half way
        s = socket.create_connection(("127.0.0.1", port), timeout=CONN_TIMEOUT * 4)
        s.sendall(b"POST /v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode()
                  + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"name\":")
        t = time.time()
        try:
            d = s.recv(4096)
        except (socket.timeout, ConnectionResetError):
            d = b""
        dt = time.time() - t
        s.close()
        R.check(dt <= CONN_TIMEOUT + 4, "a client that stalls mid-body is dropped too (%.1f s, %r)" % (dt, d[:12]))
        healthy(c, "slow clients")

        # ---- path traversal
        for path in (b"/console/../../etc/passwd", b"/console/%2e%2e/%2e%2e/etc/passwd", b"/console/..%2f..%2fetc%2fpasswd",
                     b"/console/%252e%252e/etc/passwd", b"/console/.%2e/.%2e/etc/passwd", b"/console/..\\..\\etc\\passwd",
                     b"/console/%c0%ae%c0%ae/etc/passwd", b"/console/foo/%00/passwd", b"/../../etc/passwd",
                     b"/v1/../v1/keys", b"/console//etc/passwd"):
            st, h, b = exchange(port, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            R.check(problem(st, h, b, (400, 404)) and b"root:" not in b, "%s -> %d problem+json" % (path.decode(), st))
        healthy(c, "path traversal attempts")

        # ---- bad JSON
        cases = [("truncated", b'{"name": "a", "role": "ci'), ("duplicate keys", b'{"name":"a","role":"city","role":"admin"}'),
                 ("100,000-deep arrays", b'{"a":' + b"[" * 100000 + b"]" * 100000 + b"}"),
                 ("100,000-deep objects", b'{"a":' * 100000 + b"1" + b"}" * 100000),
                 ("invalid UTF-8", b'{"name":"\xc3\x28","role":"city"}'), ("overlong UTF-8", b'{"name":"\xc0\xaf","role":"city"}'),
                 ("UTF-16 surrogate in UTF-8", b'{"name":"\xed\xa0\x80","role":"city"}'),
                 ("a lone \\ud800 escape", b'{"name":"\\ud800","role":"city"}'), ("not an object", b'["name","role"]'),
                 ("trailing garbage", b'{"name":"a","role":"city"} x'), ("NUL in a string", b'{"name":"a\x00b","role":"city"}'),
                 ("empty body with a length", b" ")]
        for name, body in cases:
            # the deep ones on a route with the default JSON limit (POST /v1/keys takes 16 KiB)
            st, h, b = post_json(port, key, body, path=b"/v1/policies/evaluate" if "deep" in name else b"/v1/keys")
            R.check(problem(st, h, b, 400 if "deep" in name or name in ("truncated", "duplicate keys", "invalid UTF-8",
                                                                         "overlong UTF-8", "UTF-16 surrogate in UTF-8")
                            else (400, 422)), "%s -> %d problem+json" % (name, st))
        healthy(c, "bad JSON")
        st, h, b = exchange(port, b"POST /v1/keys HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key.encode()
                            + b"\r\nContent-Type: application/json\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}")
        R.check(400 <= st < 500, "a Content-Length that is not a number -> 4xx (%d)" % st)
        st, h, b = exchange(port, b"GARBAGE\r\n\r\n")
        R.check(400 <= st < 500 or st == 0, "a request line that is not HTTP -> 4xx or closed (%d)" % st)
        healthy(c, "malformed requests")

    finally:
        c.stop(check=False)
        c.cleanup()
    # a second gateway whose idle timeout does not close the connections the count needs
    c = Cluster(mode="embedded", extra_config={"gateway.probes_per_min": "0",
                                               "gateway.max_conns": "2000", "gateway.max_conns_per_ip": "1000",
                                               "gateway.conn_timeout_s": "120", "gateway.threads": threads})
    c.start()
    try:
        keepalive(c)
    finally:
        c.stop(check=False)
        c.cleanup()


if __name__ == "__main__":
    main()
