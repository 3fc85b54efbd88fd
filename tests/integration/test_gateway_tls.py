"""HTTPS at the gateway (gateway.tls_cert, gateway.tls_key), SAIS embedded:

- a client that trusts the certificate gets /healthz and an authenticated read over TLS, and
  the certificate it is shown is the configured one;
- plain HTTP on that port gets no answer, and a client limited to TLS 1.1 no handshake; a
  scanner's worth of them writes at most ten log lines a minute;
- the gateway does not start, and says why, with a key others may read, a certificate
  without its key, a key that is not the certificate's, or a file that is not PEM.
"""
import http.client
import os
import socket
import warnings
import ssl
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import BIN, Cluster, Results  # noqa: E402

R = Results()


def make_cert(d, name):
    key, cert = os.path.join(d, name + ".key"), os.path.join(d, name + ".pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    os.chmod(key, 0o600)
    return cert, key


def https(port, cafile, path, key=None, max_version=None):
    ctx = ssl.create_default_context(cafile=cafile)
    if max_version:
        # the client's own floor (Debian's OpenSSL refuses TLS 1.1 itself) out of the way, so
        # that what refuses is the server
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.maximum_version = max_version
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": "Bearer " + key} if key else {})
        r = conn.getresponse()
        der = conn.sock.getpeercert(binary_form=True)
        return r.status, r.read(), der
    finally:
        conn.close()


def refuses_to_start(c, extra, why):
    """`sais up` with the cluster's config plus `extra`: exits non-zero, saying `why`."""
    cfg = c.cfg + ".bad"
    with open(c.cfg) as f, open(cfg, "w") as g:
        g.write(f.read())
        for k, v in extra.items():
            g.write("%s = %s\n" % (k, v))
    try:
        r = subprocess.run([BIN, "up", "--config", cfg], capture_output=True, text=True, timeout=60)
        out = r.stdout + r.stderr
        return r.returncode != 0 and why in out, out.strip().splitlines()[-1:] if out.strip() else r.returncode
    except subprocess.TimeoutExpired:
        return False, "still running after 60 s"


def main():
    warnings.simplefilter("ignore", DeprecationWarning)   # TLS 1.1 is named on purpose
    d = tempfile.mkdtemp(prefix="sais-tls-")
    cert, key = make_cert(d, "gw")
    other_cert, other_key = make_cert(d, "other")
    c = Cluster(mode="embedded", extra_config={"gateway.tls_cert": cert, "gateway.tls_key": key})
    c.start(wait=False)
    try:
        port = c.http_port
        st, last = None, None
        for _ in range(200):
            try:
                st, body, der = https(port, cert, "/healthz")
                break
            except (OSError, ssl.SSLError) as e:
                last = e
                time.sleep(0.1)
        R.check(st == 200, "GET /healthz over HTTPS: %s %r" % (st, last))
        pem = open(cert).read()
        R.check(der == ssl.PEM_cert_to_DER_cert(pem), "the certificate shown is the configured one")
        admin = open(os.path.join(c.data, "admin.key")).read().strip()
        st, body, _ = https(port, cert, "/v1/keys", key=admin)
        R.check(st == 200 and b'"role":"admin"' in body, "an authenticated read over HTTPS: %s" % st)

        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            got = s.recv(4096)
        except (ConnectionResetError, socket.timeout):
            got = b""
        s.close()
        R.check(not got.startswith(b"HTTP/"), "plain HTTP on the HTTPS port gets no HTTP answer: %r" % got[:40])
        try:
            https(port, cert, "/healthz", max_version=ssl.TLSVersion.TLSv1_1)
            old = "answered"
        except (ssl.SSLError, OSError) as e:
            old = "refused (%s)" % type(e).__name__
        R.check(old.startswith("refused"), "a client limited to TLS 1.1: %s" % old)
        for _ in range(60):   # a scanner's worth of plain HTTP on the HTTPS port
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                s.recv(64)
            except (ConnectionResetError, socket.timeout):
                pass
            s.close()
        time.sleep(0.5)
        log = open(os.path.join(c.tmp, "up.log"), errors="replace").read()
        lines = [l for l in log.splitlines() if "libmicrohttpd" in l]
        R.check(0 < len(lines) <= 2 * 10 + 2, "60 bad handshakes write at most ten log lines a minute (%d)" % len(lines))
        st, _, _ = https(port, cert, "/healthz")
        R.check(st == 200, "and the gateway still serves")
    finally:
        c.stop()

    loose = os.path.join(d, "loose.key")
    with open(key) as f, open(loose, "w") as g:
        g.write(f.read())
    os.chmod(loose, 0o644)
    junk = os.path.join(d, "junk.pem")
    with open(junk, "w") as f:
        f.write("not a certificate\n")
    cases = [
        ({"gateway.tls_key": loose}, "may be read by others", "a key others may read"),
        ({"gateway.tls_key": ""}, "needs both", "a certificate without its key"),
        ({"gateway.tls_key": other_key}, "cannot serve HTTPS", "a key that is not the certificate's"),
        ({"gateway.tls_cert": junk}, "is not PEM", "a certificate file that is not PEM"),
        ({"gateway.tls_key": os.path.join(d, "missing.key")}, "No such file", "a key file that is not there"),
    ]
    for extra, why, what in cases:
        ok, said = refuses_to_start(c, extra, why)
        R.check(ok, "%s: the gateway does not start and says so: %s" % (what, said))
    c.cleanup()
    R.finish()


if __name__ == "__main__":
    main()
