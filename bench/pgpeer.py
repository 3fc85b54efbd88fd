"""The PostgreSQL peer: a throwaway PostgreSQL 15 cluster in the build tree, on loopback, run
as an unprivileged user (PostgreSQL refuses root), tuned as a competent operator would for a
24 GiB, 2-core machine, with durable commits (synchronous_commit = on, fsync = on).

It holds the same generated city as SAIS, loaded by the path a PostgreSQL-based system uses
(bench/pg/load.sql), and answers the same questions (bench/pg/*.sql)."""
import os
import pwd
import re
import shutil
import signal
import subprocess
import threading
import time

from lib import Proc, log

HERE = os.path.dirname(os.path.abspath(__file__))
SQL = os.path.join(HERE, "pg")

# shared_buffers a quarter of memory, work_mem generous for the one analytic query at a time,
# WAL sized so a multi-GB load does not checkpoint every few seconds; durability untouched.
CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sock}'
max_connections = 100
shared_buffers = 6GB
effective_cache_size = 16GB
work_mem = 256MB
temp_buffers = 1GB
maintenance_work_mem = 2GB
wal_buffers = 64MB
max_wal_size = 16GB
min_wal_size = 2GB
checkpoint_timeout = 30min
checkpoint_completion_target = 0.9
synchronous_commit = on
fsync = on
full_page_writes = on
wal_compression = on
max_parallel_workers_per_gather = 2
random_page_cost = 1.1
jit = off
logging_collector = off
"""


def find_bindir():
    for v in ("15", "16", "17"):
        d = "/usr/lib/postgresql/%s/bin" % v
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    return None


class Pg:
    def __init__(self, root, port, user="saisbench"):
        self.bindir = find_bindir()
        self.root = root
        self.data = os.path.join(root, "data")
        self.sock = os.path.join(root, "sock")
        self.port = port
        self.user = user
        self.proc = None
        self.version = None

    def _as_user(self, argv, **kw):
        pw = pwd.getpwnam(self.user)

        def pre():
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
        return subprocess.run(argv, preexec_fn=pre, capture_output=True, text=True, **kw)

    def start(self):
        if not self.bindir:
            raise RuntimeError("PostgreSQL's initdb was not found under /usr/lib/postgresql")
        pw = pwd.getpwnam(self.user)
        # a fresh cluster every run: nothing left from an earlier run can flatter a figure
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.sock)
        os.chown(self.root, pw.pw_uid, pw.pw_gid)
        os.chown(self.sock, pw.pw_uid, pw.pw_gid)
        r = self._as_user([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "bench",
                           "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"])
        if r.returncode != 0:
            raise RuntimeError("initdb failed: %s" % r.stderr[-800:])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write(CONF.format(port=self.port, sock=self.sock))
        self.proc = Proc([os.path.join(self.bindir, "postgres"), "-D", self.data],
                         os.path.join(self.root, "postgres.log"), user=self.user)
        for _ in range(300):
            if self.psql("SELECT 1", check=False)[0] == 0:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("PostgreSQL did not start; see %s/postgres.log" % self.root)
        self.version = self.psql("SHOW server_version")[1].strip()
        log("PostgreSQL %s on 127.0.0.1:%d (cluster %s)" % (self.version, self.port, self.data))

    def stop(self, discard=False):
        """discard: the cluster is deleted next, so PostgreSQL stops at once (immediate
        shutdown, SIGQUIT) instead of first writing every dirty buffer in a checkpoint."""
        if self.proc:
            self.proc.stop(grace=120, sig=signal.SIGQUIT if discard else signal.SIGTERM)
            self.proc = None

    def _base(self):
        return ["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", self.sock, "-p", str(self.port),
                "-U", "bench", "-d", "postgres"]

    def psql(self, sql=None, path=None, variables=None, check=True, timeout=7200, stdin=None):
        argv = self._base()
        for k, v in (variables or {}).items():
            argv += ["-v", "%s=%s" % (k, v)]
        argv += ["-f", path] if path else ["-c", sql]
        if stdin:
            with open(stdin, "rb") as f:
                r = subprocess.run(argv, stdin=f, capture_output=True, timeout=timeout)
            r = subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(errors="replace"),
                                            r.stderr.decode(errors="replace"))
        else:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError("psql failed (%s): %s" % (path or sql[:80], r.stderr[-800:]))
        return r.returncode, r.stdout

    def timed(self, **kw):
        t0 = time.monotonic()
        _, out = self.psql(**kw)
        return time.monotonic() - t0, out

    # ------------------------------------------------------------------ the feed path

    def reset_schema(self):
        self.psql(path=os.path.join(SQL, "schema.sql"))

    def load_city(self, city_dir, order, window, lanes=2):
        """Every feed file through load.sql; returns the seconds in all and per source.

        The partners post independently, so their files go in through `lanes` sessions at once
        (one per core), each taking its share of the sources in the generator's load order:
        the biggest file first to the least loaded lane. One session alone leaves a core idle
        (its INSERT runs at 100 % of one core), and a PostgreSQL operator would not."""
        self.reset_schema()
        sizes = {src: os.path.getsize(os.path.join(city_dir, "%s.ndjson" % src)) for src in order}
        share = [[] for _ in range(max(1, lanes))]
        for src in sorted(order, key=lambda s: -sizes[s]):
            min(share, key=lambda l: sum(sizes[s] for s in l)).append(src)
        per, failed = {}, []

        def lane(srcs):
            try:
                for src in (s for s in order if s in srcs):
                    per[src] = self.load_file(src, os.path.join(city_dir, "%s.ndjson" % src), window)
            except Exception as e:  # the other lane finishes; the failure is raised below
                failed.append(e)

        t0 = time.monotonic()
        threads = [threading.Thread(target=lane, args=(l,)) for l in share if l]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failed:
            raise failed[0]
        total = time.monotonic() - t0
        return total, {src: per[src] for src in order}

    def load_file(self, src, path, window):
        """One more feed file through load.sql on the city already loaded; returns seconds."""
        s, _ = self.timed(path=os.path.join(SQL, "load.sql"), stdin=path,
                          variables={"src": src, "oop_from": window["oop_days"][0], "oop_to": window["oop_days"][1]})
        return s

    def count_records(self):
        return int(self.psql("SELECT count(*) FROM records")[1])

    def disk_bytes(self):
        return int(self.psql("SELECT sum(pg_database_size(datname)) FROM pg_database")[1])

    # ------------------------------------------------------------------ the questions

    def derive(self, today, window):
        s, _ = self.timed(path=os.path.join(SQL, "derive.sql"),
                          variables={"today": today, "inc_from": window["income_months"][0],
                                     "inc_to": window["income_months"][1]})
        self.psql("VACUUM ANALYZE persons_d")
        return s

    def prepare_simulate(self, lines_before, line_after):
        """lines_before: {region prefix: line in fen} ('' is the default); line_after: fen."""
        self.psql(path=os.path.join(SQL, "simulate.sql"))
        values = ",".join("('%s', %d, %d)" % (p, v, line_after) for p, v in sorted(lines_before.items()))
        self.psql("INSERT INTO sim_line VALUES %s" % values)

    def simulate_counts(self):
        s, out = self.timed(path=os.path.join(SQL, "simulate_count.sql"))
        f = out.strip().split("|")
        names = ["households", "dibao_before", "dibao_after", "marginal_before", "marginal_after",
                 "temp_medical_before", "temp_medical_after", "dibao_cost_before", "dibao_cost_after"]
        return s, {n: int(v or 0) for n, v in zip(names, f)}

    def simulate_households(self, only=None):
        """{household_id: {policy_b/a: bool}} for every household (or those in `only`)."""
        _, out = self.psql("COPY (SELECT household_id, dibao_b, dibao_a, marginal_b, marginal_a, "
                           "temp_medical_b, temp_medical_a FROM sim_households) TO STDOUT")
        res = {}
        for line in out.splitlines():
            f = line.split("\t")
            if only is not None and f[0] not in only:
                continue
            b = [x == "t" for x in f[1:]]
            res[f[0]] = {"dibao": (b[0], b[1]), "marginal": (b[2], b[3]), "temp_medical": (b[4], b[5])}
        return res

    def temp_medical_conditions(self):
        """{household_id: (conditions met before, after, grant in fen)} for the households that
        meet temp_medical's conditions before or after: the driver nets the grant against the
        payment ledger (a few thousand rows at 6M)."""
        _, out = self.psql("COPY (SELECT household_id, temp_medical_b, temp_medical_a, temp_medical_grant "
                           "FROM sim_households WHERE temp_medical_b OR temp_medical_a) TO STDOUT")
        res = {}
        for line in out.splitlines():
            f = line.split("\t")
            res[f[0]] = (f[1] == "t", f[2] == "t", int(f[3]))
        return res

    # ------------------------------------------------------------------ durable writes

    def pgbench_inserts(self, seconds, clients=32, threads=2):
        """Single-row INSERTs, each its own durable transaction (synchronous_commit = on)."""
        script = os.path.join(self.root, "insert.sql")
        with open(script, "w") as f:
            f.write("\\set n random(1, 999999)\n"
                    "INSERT INTO applications (id_number, channel, filed_region, status) "
                    "VALUES ('330326196811' || lpad(:n::text, 6, '0'), 'window', '330326', 'submitted');\n")
        argv = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", str(threads), "-T", str(seconds),
                "-f", script, "-h", self.sock, "-p", str(self.port), "-U", "bench", "postgres"]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
        m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", r.stdout)
        if not m:
            return {"error": "pgbench: %s %s" % (r.stdout[-300:], r.stderr[-300:])}
        lat = re.search(r"latency average = ([\d.]+) ms", r.stdout)
        return {"rps": float(m.group(1)), "latency_avg_ms": float(lat.group(1)) if lat else None}
