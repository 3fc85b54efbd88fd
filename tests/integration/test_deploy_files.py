"""The deployment files of README "Deploying a county and a city" hold together, though no
image is built here (no Docker daemon, no registry):

- `sais config check` reads deploy/county.conf and deploy/city.conf without an error, and
  names the line of a bad one, or the entry the gateway would refuse at start;
- docker-compose.yml builds from a Dockerfile that exists, and the context leaves the host's
  build trees out (.dockerignore);
- the Dockerfile's runtime image installs every Debian package the release binary's shared
  libraries come from (or one that depends on it, or one Debian always has): before, the
  image lacked libjemalloc2 and `sais` could not have started in it;
- what the image copies (policies, the console) exists, where the configs say it will be;
- every sais_* metric the Prometheus alert rules (deploy/prometheus/sais-alerts.yml) use is
  one a running gateway's /metrics has.
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from sais_harness import BIN, Cluster, Results  # noqa: E402

R = Results()
SRC = os.environ.get("SAIS_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))


def run(argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def configs():
    for name in ("county.conf", "city.conf"):
        r = run([BIN, "config", "check", "--config", os.path.join(SRC, "deploy", name)])
        R.check(r.returncode == 0 and r.stdout.strip().endswith(": ok"),
                "sais config check deploy/%s: %s" % (name, (r.stdout + r.stderr).strip().splitlines()[-1:]))
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("log.level = info\ngateway.rate.partner = lots\n")
    r = run([BIN, "config", "check", "--config", f.name])
    os.unlink(f.name)
    R.check(r.returncode != 0 and (":2:" in r.stderr and "gateway.rate.partner" in r.stderr),
            "a bad config: refused, naming the line and key: %r" % r.stderr.strip())
    with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
        f.write("gateway.trusted_proxies = 10.0.0.5, proxy.county.local\n")
    r = run([BIN, "config", "check", "--config", f.name])
    os.unlink(f.name)
    R.check(r.returncode != 0 and "proxy.county.local" in r.stderr,
            "what the gateway would refuse at start is refused too: %r" % r.stderr.strip())


def compose():
    text = open(os.path.join(SRC, "docker-compose.yml")).read()
    builds = re.findall(r"build:\s*(.*)", text)
    files = [re.search(r"dockerfile:\s*([^,}\s]+)", b) for b in builds]
    R.check(builds and all(m and os.path.isfile(os.path.join(SRC, m.group(1))) for m in files),
            "every build in docker-compose.yml names a Dockerfile that exists: %r" % builds)
    path = os.path.join(SRC, ".dockerignore")
    ignore = [l.strip() for l in open(path) if l.strip() and not l.startswith("#")] if os.path.exists(path) else []
    R.check("build/" in ignore and "build-*/" in ignore, "the build context leaves the host's build trees out: %r" % ignore)


def runtime_packages(dockerfile):
    """The packages the final stage installs."""
    final = dockerfile.split("\nFROM ")[-1]
    m = re.search(r"apt-get install -y --no-install-recommends\s*\\?\s*(.*?)(?:&&|\n\S)", final, re.S)
    return set(re.findall(r"[a-z0-9][a-z0-9.+-]+", m.group(1).replace("\\", " "))) if m else set()


def package_of(path):
    for p in (path, os.path.realpath(path), path.replace("/lib/", "/usr/lib/", 1), path.replace("/usr/lib/", "/lib/", 1)):
        r = run(["dpkg", "-S", p])
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    return None


def closure(pkgs):
    """The packages and everything they depend on, from dpkg's database of what is installed
    here (no apt lists needed): the runtime libraries are installed beside their -dev ones."""
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        r = run(["dpkg-query", "-W", "-f", "${Pre-Depends}, ${Depends}", p])
        if r.returncode != 0:
            continue
        for alt in r.stdout.split(","):
            for dep in alt.split("|"):
                name = dep.strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
    return seen


def image_libraries():
    docker = open(os.path.join(SRC, "deploy", "Dockerfile")).read()
    listed = runtime_packages(docker)
    R.check(len(listed) >= 10, "the runtime stage's packages: %s" % sorted(listed))
    release = os.path.join(SRC, "build", "sais")
    if not os.path.exists(release):
        R.check(False, "the release binary %s exists (make build; the ASan one links no jemalloc)" % release)
        return
    covered = closure(listed)
    needed, missing = {}, []
    for line in run(["ldd", release]).stdout.splitlines():
        m = re.search(r"=>\s*(/\S+)", line)
        if not m:
            continue
        pkg = package_of(m.group(1))
        if not pkg:
            missing.append("%s (no package)" % m.group(1))
            continue
        pkg = pkg.split(":")[0]
        needed[pkg] = m.group(1)
        prio = run(["dpkg-query", "-W", "-f", "${Priority}", pkg]).stdout.strip()
        if pkg not in covered and prio != "required":
            missing.append("%s (%s)" % (pkg, os.path.basename(m.group(1))))
    R.check(needed and not missing,
            "every library of the release binary comes with the image (%d packages): missing %s" % (len(needed), missing))
    for src, dest in re.findall(r"^COPY (?!--from)(\S+) (\S+)", docker, re.M):
        R.check(os.path.exists(os.path.join(SRC, src)), "the image copies %s, which exists" % src)
    county = open(os.path.join(SRC, "deploy", "county.conf")).read()
    for key, copied in (("rules.policies_dir", "/etc/sais/policies"), ("gateway.web_dir", "/usr/share/sais/web")):
        m = re.search(r"^%s\s*=\s*(\S+)" % re.escape(key), county, re.M)
        R.check(m and m.group(1) == copied and re.search(r"^COPY \S+ %s$" % re.escape(copied), docker, re.M),
                "county.conf's %s is where the image puts it (%s)" % (key, copied))


def alert_rules():
    text = open(os.path.join(SRC, "deploy", "prometheus", "sais-alerts.yml")).read()
    exprs = re.findall(r"^\s+expr:\s*(.+)$", text, re.M)
    used = sorted({m for e in exprs for m in re.findall(r"\bsais_[a-z_]+", e)})
    R.check(len(exprs) >= 8 and len(used) >= 6, "the alert rules: %d, over %s" % (len(exprs), used))
    c = Cluster(mode="embedded")
    c.start()
    try:
        c.http.get("/v1/keys")
        c.http.get("/v1/keys", key="sais_000000000000_" + "A" * 43)
        st, body, _ = c.http.get("/metrics", key="")
        names = set(re.findall(r"^(sais_[a-z_]+)", body.decode() if isinstance(body, bytes) else body, re.M))
    finally:
        c.stop()
    c.cleanup()
    missing = [m for m in used if m not in names]
    R.check(st == 200 and not missing, "every metric the alert rules use is in /metrics: missing %s" % missing)


def main():
    configs()
    compose()
    image_libraries()
    alert_rules()
    R.finish()


if __name__ == "__main__":
    main()
