"""Small tools the benchmark drivers share: HTTP, timing, statistics, process memory, wrk.

Python 3 standard library only. Every figure the suite reports comes from a measurement made
here or in the drivers; when a measurement cannot be made the figure says why instead."""
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.error
import urllib.request


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


class Http:
    def __init__(self, base, key=None):
        self.base = base
        self.key = key

    def call(self, method, path, body=None, key=None, headers=None, ctype=None, timeout=120):
        hdrs = dict(headers or {})
        k = key if key is not None else self.key
        if k:
            hdrs["Authorization"] = "Bearer " + k
        data = None
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
                return r.status, _decode(r.read())
        except urllib.error.HTTPError as e:
            return e.code, _decode(e.read())
        except (urllib.error.URLError, ConnectionError, socket.timeout, OSError) as e:
            return 0, str(e)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body=body, **kw)


def _decode(raw):
    try:
        return json.loads(raw.decode())
    except (ValueError, UnicodeDecodeError):
        return raw


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def summary(values, unit):
    """Median, min and max of at least one run (the caller says how many it made)."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
            "runs": len(vals), "unit": unit, "values": vals}


def rss_kib(pid):
    """Resident memory of a process, KiB, from /proc (VmRSS), or None when it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class RssSampler:
    """Samples a process's VmRSS every `period` seconds in a thread; .peak is the largest seen
    (KiB). VmHWM would miss nothing between samples but cannot be reset between stages."""

    def __init__(self, pid, period=0.2):
        self.pid = pid
        self.period = period
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            v = rss_kib(self.pid)
            if v is not None and v > self.peak:
                self.peak = v
            self._stop.wait(self.period)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def disk_bytes(path):
    """Bytes a directory tree really occupies on disk (allocated blocks: LMDB files are sparse)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text):
    m = re.match(r"([\d.]+)(us|ms|s|m|h)$", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def wrk(url, seconds, connections=32, threads=2, script=None, headers=()):
    """Runs wrk once; returns {"rps", "p50_ms", "p99_ms", "requests", "non2xx", "errors"}
    or {"error": text}."""
    argv = ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds, "--latency", "--timeout", "10s"]
    if script:
        argv += ["-s", script]
    for h in headers:
        argv += ["-H", h]
    argv.append(url)
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"error": "wrk: %s" % e}
    out = r.stdout
    res = {"non2xx": 0, "errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        return {"error": "wrk printed no rate: %s %s" % (out[-400:], r.stderr[-400:])}
    res["rps"] = float(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(r"^\s+%s%%\s+(\S+)" % pct, out, re.M)
        res[key] = _ms(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        res["errors"] = sum(int(x) for x in m.groups())
    return res


class Proc:
    """A child process the suite started; stop() sends SIGTERM (or `sig`), then SIGKILL after `grace`."""

    def __init__(self, argv, logpath, env=None, user=None):
        self.argv = argv
        self.log = open(logpath, "ab")
        pre = None
        if user:
            import pwd
            pw = pwd.getpwnam(user)

            def pre():
                os.setgid(pw.pw_gid)
                os.setuid(pw.pw_uid)
        self.p = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env,
                                  preexec_fn=pre)
        self.pid = self.p.pid

    def alive(self):
        return self.p.poll() is None

    def stop(self, grace=60, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()
        return self.p.returncode
