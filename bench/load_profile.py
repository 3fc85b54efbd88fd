"""Loads one generated city into a fresh `sais up` through the feed path and prints where the
CPU went, thread by thread (the services name their threads sais-<service>), with the
end-to-end time. For finding the slow stage, not a figure of the suite.

    python3 bench/load_profile.py --build build-bench --persons 100000 [--perf]
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import free_port, log  # noqa: E402
from sais_side import Sais  # noqa: E402

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TICK = os.sysconf("SC_CLK_TCK")


def threads(pid):
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                st = f.read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        fields = st[st.rindex(")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        out[tid] = (name, cpu)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--persons", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--perf", action="store_true", help="perf record -g the whole load")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    binary = os.path.join(build, "sais")
    d = os.path.join(build, "cities", str(a.persons))
    if not os.path.exists(os.path.join(d, "manifest.json")):
        os.makedirs(d, exist_ok=True)
        subprocess.run([binary, "gen", "--persons", str(a.persons), "--seed", str(a.seed), "--out", d], check=True)
    with open(os.path.join(d, "planted.json")) as f:
        order = json.load(f)["load_order"]
    with open(os.path.join(d, "manifest.json")) as f:
        today = json.load(f)["today"]
    s = Sais(binary, os.path.join(build, "sais-profile"), free_port(), SRC, today)
    s.start(fresh=True)
    perf = None
    if a.perf:
        perf = subprocess.Popen(["perf", "record", "-g", "-F", "499", "-p", str(s.proc.pid),
                                 "-o", os.path.join(build, "perf.data")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    before = threads(s.proc.pid)
    t0 = time.monotonic()
    busy_until = {}
    stop = threading.Event()

    def watch():
        # when each consumer last had something to apply: the stage that finishes last is
        # the one the end-to-end figure waits for
        while not stop.wait(0.5):
            st, body = s.http.get("/metrics", timeout=30)
            if st != 200:
                continue
            text = body.decode() if isinstance(body, bytes) else body
            for line in text.splitlines():
                if line.startswith("sais_bus_lag{") and float(line.rsplit(" ", 1)[1]) > 0:
                    busy_until[line.split("}")[0][len("sais_bus_lag{"):]] = time.monotonic() - t0

    w = threading.Thread(target=watch, daemon=True)
    w.start()
    res = s.load_city(d, order, settle_timeout=3600)
    wall = time.monotonic() - t0
    stop.set()
    after = threads(s.proc.pid)
    if perf:
        perf.send_signal(2)
        perf.wait()
    byname = {}
    for tid, (name, cpu) in after.items():
        byname[name] = byname.get(name, 0.0) + cpu - before.get(tid, (name, 0.0))[1]
    print("persons %d, records %d: posted in %.1f s, settled in %s s, %.0f records/s end to end, peak RSS %d MiB"
          % (a.persons, res["received"], res["posted_seconds"], res["settled_seconds"],
             res["received"] / (res["settled_seconds"] or wall), res["peak_rss_kib"] / 1024))
    for name, cpu in sorted(byname.items(), key=lambda kv: -kv[1]):
        if cpu >= 0.05:
            print("  %-16s %7.1f s CPU  %5.1f µs/record" % (name, cpu, cpu * 1e6 / max(1, res["received"])))
    for k, v in sorted(busy_until.items(), key=lambda kv: kv[1]):
        print("  lag last seen at %6.1f s: %s" % (v, k))
    _, heads = s.lag()
    print("  bus heads: %s" % json.dumps(heads, sort_keys=True))
    s.stop()


if __name__ == "__main__":
    main()
