"""Starting SAIS for tests: embedded (`sais up`) or one process per service (`sais run`),
over HTTP on loopback, with the clock pinned so two runs produce identical state.

Python 3 standard library only. The binary comes from $SAIS_BIN, the source tree from
$SAIS_SOURCE_DIR (both set by ctest)."""
import fcntl
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SERVICES = ["ingest", "verify", "rules", "warn", "intake", "match", "notify", "city", "gateway"]
PINNED_NOW = "2026-11-23T08:00:00Z"
BIN = os.environ.get("SAIS_BIN", "build/sais")
SRC = os.environ.get("SAIS_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))


# Ports for the services a test starts. A port found free by binding port 0 and closing it
# could be handed out again before the service binds it: by the kernel, to another bind(0)
# or to a client's connect() (both draw from the ephemeral range), in another test running
# in parallel (ctest -j). So ports come from below the ephemeral range, and each is held by
# a lock file that the other test processes respect until this process exits.
_PORT_DIR = "/tmp/sais-test-ports"   # tests/unit/sais_test_support.c uses the same
_port_fds = {}
_port_rng = random.SystemRandom()


def _port_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(x) for x in f.read().split())
    except (OSError, ValueError):
        lo, hi = 32768, 60999
    return (10000, lo - 1) if lo > 12000 else (hi + 1, 65535)


def _reserve(port):
    """Takes `port` for this process if no other test process holds it and it binds."""
    if port in _port_fds:
        return False
    os.makedirs(_PORT_DIR, exist_ok=True)
    fd = os.open(os.path.join(_PORT_DIR, str(port)), os.O_CREAT | os.O_RDWR, 0o666)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        finally:
            s.close()
    except OSError:
        os.close(fd)
        return False
    _port_fds[port] = fd
    return True


def port_block(n):
    """A base port with n consecutive ports reserved for this process."""
    lo, hi = _port_range()
    for _ in range(500):
        base = _port_rng.randint(lo, hi - n + 1)
        got = []
        for p in range(base, base + n):
            if not _reserve(p):
                break
            got.append(p)
        if len(got) == n:
            return base
        for p in got:
            os.close(_port_fds.pop(p))
    raise AssertionError("no block of %d free ports between %d and %d" % (n, lo, hi))


def free_port():
    return port_block(1)


class Http:
    def __init__(self, base, key=None):
        self.base = base
        self.key = key

    def call(self, method, path, body=None, key=None, headers=None, ctype=None, timeout=60):
        data = None
        hdrs = dict(headers or {})
        k = key if key is not None else self.key
        if k:
            hdrs["Authorization"] = "Bearer " + k
        if body is not None:
            if isinstance(body, (bytes, bytearray)):
                data = bytes(body)
                hdrs.setdefault("Content-Type", ctype or "application/octet-stream")
            else:
                data = json.dumps(body).encode()
                hdrs.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                raw = r.read()
                return r.status, _decode(raw, r.headers.get("Content-Type", "")), dict(r.headers)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, _decode(raw, e.headers.get("Content-Type", "")), dict(e.headers)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body=body, **kw)


def _decode(raw, ctype):
    if "json" in ctype:
        try:
            return json.loads(raw.decode())
        except ValueError:
            return raw
    return raw


class Cluster:
    """SAIS in a temporary directory. mode="split": one `sais run` process per service over
    tcp://127.0.0.1; mode="embedded": one `sais up` process."""

    def __init__(self, mode="split", extra_config=None, data_dir=None, ports=None):
        self.mode = mode
        self.tmp = data_dir or tempfile.mkdtemp(prefix="sais-test-")
        self.data = os.path.join(self.tmp, "data")
        self.ports = ports or {s: free_port() for s in SERVICES + ["http"]}
        self.http_port = self.ports["http"]
        self.procs = {}
        self.cfg = os.path.join(self.tmp, "sais.conf")
        lines = [
            "data.dir = %s" % self.data,
            "gateway.listen = 127.0.0.1:%d" % self.http_port,
            "clock.now = %s" % PINNED_NOW,
            "rules.policies_dir = %s" % os.path.join(SRC, "deploy", "policies"),
            "bus.fetch_wait_ms = 200",
            "log.level = warn",
        ]
        for s in SERVICES:
            lines.append("%s.endpoint = tcp://127.0.0.1:%d" % (s, self.ports[s]))
        for k, v in (extra_config or {}).items():
            lines.append("%s = %s" % (k, v))
        with open(self.cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.http = Http("http://127.0.0.1:%d" % self.http_port)
        self.logs = {}

    def _spawn(self, name, argv):
        log = open(os.path.join(self.tmp, name + ".log"), "ab")
        self.logs[name] = log
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)

    def start_service(self, name):
        self._spawn(name, [BIN, "run", name, "--config", self.cfg])

    def start(self, wait=True):
        if self.mode == "split":
            for s in SERVICES:
                self.start_service(s)
        else:
            self._spawn("up", [BIN, "up", "--config", self.cfg])
        if wait:
            self.wait_healthy()
        keyfile = os.path.join(self.data, "admin.key")
        for _ in range(100):
            if os.path.exists(keyfile):
                break
            time.sleep(0.05)
        with open(keyfile) as f:
            self.http.key = f.read().strip()
        return self

    def wait_healthy(self, timeout=60):
        end = time.time() + timeout
        last = None
        while time.time() < end:
            try:
                st, body, _ = self.http.get("/healthz", timeout=5)
                last = (st, body)
                if st == 200:
                    return
            except (urllib.error.URLError, ConnectionError, socket.timeout, OSError) as e:
                last = e
            time.sleep(0.1)
        raise AssertionError("SAIS did not become healthy: %r\n%s" % (last, self.tail_logs()))

    def stop_service(self, name):
        """SIGTERM to one process (split mode: one service), waited for; start_service starts
        it again on the same config and data."""
        p = self.procs[name]
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=30)
        self.logs.pop(name).close()
        if rc != 0:
            raise AssertionError("%s did not exit cleanly (%s)\n%s" % (name, rc, self.tail_logs()))

    def kill9(self, name):
        p = self.procs[name]
        p.send_signal(signal.SIGKILL)
        p.wait()

    def stop(self, check=True):
        bad = []
        for name, p in list(self.procs.items()):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for name, p in list(self.procs.items()):
            try:
                rc = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                rc = "hung"
            if rc not in (0, -9) and check:
                bad.append((name, rc))
        for log in self.logs.values():
            log.close()
        if bad:
            raise AssertionError("processes did not exit cleanly: %r\n%s" % (bad, self.tail_logs()))

    def cleanup(self):
        if os.environ.get("SAIS_KEEP"):
            print("kept %s" % self.tmp)
            return
        shutil.rmtree(self.tmp, ignore_errors=True)

    def tail_logs(self, n=30):
        out = []
        for name in self.logs:
            path = os.path.join(self.tmp, name + ".log")
            try:
                with open(path, "rb") as f:
                    lines = f.read().decode(errors="replace").splitlines()[-n:]
                out.append("--- %s ---\n%s" % (name, "\n".join(lines)))
            except OSError:
                pass
        return "\n".join(out)

    def cli(self, *args, check=True):
        r = subprocess.run([BIN] + list(args) + ["--config", self.cfg], capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("sais %s failed: %s %s" % (" ".join(args), r.stdout, r.stderr))
        return r

    def status(self):
        if self.mode != "split":
            return self._status_from_metrics()
        r = self.cli("status", check=False)
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def _status_from_metrics(self):
        """The embedded process's services are on inproc://, out of the CLI's reach: read the
        same heads and cursors from the gateway's /metrics."""
        try:
            st, body, _ = self.http.get("/metrics", key="", timeout=10)
        except (urllib.error.URLError, OSError):
            return None
        if st != 200:
            return None
        text = body.decode() if isinstance(body, bytes) else str(body)
        out = {s: {"head": None, "cursors": {}} for s in SERVICES}
        for line in text.splitlines():
            if line.startswith("sais_bus_head{"):
                svc = line.split('service="', 1)[1].split('"', 1)[0]
                out.setdefault(svc, {"head": None, "cursors": {}})["head"] = int(line.rsplit(" ", 1)[1])
            elif line.startswith("sais_bus_cursor{"):
                con = line.split('consumer="', 1)[1].split('"', 1)[0]
                prod = line.split('producer="', 1)[1].split('"', 1)[0]
                out.setdefault(con, {"head": None, "cursors": {}})["cursors"][prod] = int(line.rsplit(" ", 1)[1])
            elif line.startswith("sais_verify_releasing{") and int(float(line.rsplit(" ", 1)[1])):
                out.setdefault("verify", {"head": None, "cursors": {}})["refresh"] = "releasing"
        for v in out.values():
            if v["head"] is None:
                v["head"] = 0
        return out

    def quiescent(self, timeout=300):
        """Waits until every consumer's cursor equals its producer's head, twice in a row, and
        verify is not releasing refreshes held while outreach was held."""
        end = time.time() + timeout
        stable = 0
        last = None
        while time.time() < end:
            st = self.status()
            ok = st is not None and all(v is not None for v in st.values())
            if ok:
                heads = {k: v["head"] for k, v in st.items()}
                for svc, v in st.items():
                    if v.get("refresh") == "releasing":
                        ok = False
                    for prod, cur in v.get("cursors", {}).items():
                        if cur != heads.get(prod):
                            ok = False
                snap = json.dumps(heads, sort_keys=True)
                if ok and snap == last:
                    stable += 1
                    if stable >= 2:
                        return st
                else:
                    stable = 0
                last = snap
            time.sleep(0.3)
        raise AssertionError("the bus did not settle: %r\n%s" % (self.status(), self.tail_logs()))

    def digests(self, services):
        out = {}
        for s in services:
            r = self.cli("digest", s)
            out[s] = json.loads(r.stdout)["digest"]
        return out

    def post_feed(self, source, batch_id, body, key=None, ctype="application/x-ndjson", timeout=600):
        return self.http.call("POST", "/v1/feeds/%s/batches?batch_id=%s" % (source, batch_id), body=body,
                              key=key, ctype=ctype, timeout=timeout)


def id_check_char(first17):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * w[i] for i, c in enumerate(first17))
    return "10X98765432"[s % 11]


def start_refused(key, value):
    """`sais up` with one bad config value: (its exit status, what it printed). A service
    that checks the key must refuse to start, naming the key and the value."""
    tmp = tempfile.mkdtemp(prefix="sais-bad-config-")
    try:
        c = Cluster(mode="embedded", extra_config={key: value}, data_dir=tmp)
        r = subprocess.run([BIN, "up", "--config", c.cfg], capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout + r.stderr
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def make_id(region, birth, seq):
    first = "%s%s%03d" % (region, birth.replace("-", ""), seq)
    return first + id_check_char(first)


def ndjson(records):
    return ("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n").encode()


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
            print("ok   %s" % what)
        else:
            self.failed += 1
            print("FAIL %s" % what)
        sys.stdout.flush()

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        sys.exit(1 if self.failed else 0)
