"""What the contract tests share (Python 3 standard library only):

- routes(): the gateway's route table parsed from services/gateway/gateway_routes.c;
- validator(): Redocly CLI installed from the pinned tests/tools/package-lock.json into
  <build>/tools with `npm ci` (once per build tree), then lint and bundle docs/openapi.yaml;
- Spec: the bundled OpenAPI document, operation lookup by method and concrete path, and a
  JSON Schema checker for the subset the document uses;
- two_counties(): a small registry of two counties (Pingyang 330326, Cangnan 330327) loaded
  through the feeds, so that in-region and out-of-region are real.
"""
import fcntl
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("SAIS_SOURCE_DIR", os.path.abspath(os.path.join(HERE, "..", "..")))
sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
from sais_harness import BIN, make_id, ndjson  # noqa: E402

REDOCLY_VERSION = "2.77.0"

# ---------------------------------------------------------------- the route table

ROLE_MACROS = {"ADM": ["admin"], "CW": ["caseworker"], "REV": ["reviewer"], "PAR": ["partner"],
               "CHA": ["charity"], "CIT": ["city"], "AUD": ["auditor"],
               "STAFF": ["caseworker", "reviewer"], "0": []}
FLAG_MACROS = {"NOAUTH": "noauth", "AUDIT": "audit", "WRITE": "write", "JSON": "json", "LONG": "long",
               "PROBE": "probe", "GW_F_PROBE": "probe",
               "GW_F_NOAUTH": "noauth", "GW_F_AUDIT": "audit", "GW_F_WRITE": "write", "GW_F_JSON": "json",
               "GW_F_STREAM": "stream", "GW_F_SOURCE": "source", "GW_F_LONG": "long", "0": None}
ROUTE_RE = re.compile(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*(NULL|"[^"]*")\s*,\s*"([^"]+)"\s*,'
                      r'\s*([A-Z_0-9| ]+?)\s*,\s*([A-Z_0-9| ]+?)\s*,\s*([0-9]+)\s*\}')


def routes(src=SRC):
    """[{method, pattern, path (OpenAPI form), service, rpc, roles (set), flags (set), body_kb}]
    from the C table. Raises ValueError on a role or flag macro it does not know, so a new
    one cannot slip past the tests."""
    with open(os.path.join(src, "services", "gateway", "gateway_routes.c"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("const gw_route_t gw_routes[] = {")
    end = text.index("\n};", start)
    body = re.sub(r"/\*.*?\*/", "", text[start:end], flags=re.S)
    out = []
    for m in ROUTE_RE.finditer(body):
        method, pattern, service, rpc, roles, flags, kb = m.groups()
        rs, fs = set(), set()
        for tok in roles.split("|"):
            tok = tok.strip()
            if tok not in ROLE_MACROS:
                raise ValueError("unknown role macro %r in %s %s" % (tok, method, pattern))
            rs.update(ROLE_MACROS[tok])
        for tok in flags.split("|"):
            tok = tok.strip()
            if tok not in FLAG_MACROS:
                raise ValueError("unknown flag macro %r in %s %s" % (tok, method, pattern))
            if FLAG_MACROS[tok]:
                fs.add(FLAG_MACROS[tok])
        out.append({"method": method, "pattern": pattern, "path": pattern.replace("{*", "{"),
                    "service": "gateway" if service == "NULL" else service.strip('"'), "rpc": rpc,
                    "roles": rs, "flags": fs, "body_kb": int(kb)})
    entries = body.count('{"')
    if entries != len(out):
        raise ValueError("parsed %d of %d route entries: the table's syntax changed" % (len(out), entries))
    return out


# ---------------------------------------------------------------- the validator

def build_dir():
    d = os.environ.get("SAIS_BUILD_DIR")
    if d:
        return d
    return os.path.dirname(os.path.abspath(BIN))


def _node_env():
    env = dict(os.environ)
    env.update({"REDOCLY_TELEMETRY": "off", "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true", "NO_COLOR": "1",
                "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"})
    env.pop("ASAN_OPTIONS", None)
    return env


def validator():
    """Returns the argv prefix that runs Redocly CLI, installing it first if needed. Raises
    RuntimeError with what to do when it cannot."""
    tools = os.path.join(build_dir(), "tools")
    cli = os.path.join(tools, "node_modules", "@redocly", "cli", "bin", "cli.js")
    pkg = os.path.join(tools, "node_modules", "@redocly", "cli", "package.json")
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            raise RuntimeError("%s is not installed: the OpenAPI check runs Redocly CLI %s under Node.js >= 20.19 "
                               "(install nodejs and npm)" % (tool, REDOCLY_VERSION))
    os.makedirs(tools, exist_ok=True)
    # ctest runs tests in parallel and several of them want the validator: one installs it
    with open(os.path.join(tools, ".install.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _install(tools, cli, pkg)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _install(tools, cli, pkg):
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(HERE, name), os.path.join(tools, name))
    try:
        with open(pkg) as f:
            if json.load(f).get("version") == REDOCLY_VERSION and os.path.exists(cli):
                return ["node", cli]
    except (OSError, ValueError):
        pass
    last = ""
    for attempt in range(2):
        try:
            r = subprocess.run(["npm", "ci", "--prefix", tools, "--no-audit", "--no-fund", "--loglevel=error"],
                               capture_output=True, text=True, timeout=600, env=_node_env())
            last = (r.stdout + r.stderr).strip()
            if r.returncode == 0 and os.path.exists(cli):
                return ["node", cli]
        except subprocess.TimeoutExpired:
            last = "npm ci did not finish in 600 s"
        if attempt == 0:
            time.sleep(5)
    raise RuntimeError("could not install @redocly/cli %s into %s with `npm ci` (tried twice):\n%s"
                       % (REDOCLY_VERSION, tools, last[-2000:]))


def lint(spec_path):
    """(ok, output) of `redocly lint` with tests/tools/redocly.yaml (every rule an error)."""
    argv = validator() + ["lint", "--config", os.path.join(HERE, "redocly.yaml"), "--format=stylish", spec_path]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=_node_env(), cwd=SRC)
    out = (r.stdout + r.stderr)
    out = "\n".join(line for line in out.splitlines() if not set(line.strip()) <= set("═║╔╗╚╝ "))
    return r.returncode == 0, out


def bundle(spec_path):
    """The document as JSON (Python has no YAML parser): Redocly's bundle of it."""
    dest = os.path.join(build_dir(), "tools", "openapi.bundled.%d.json" % os.getpid())
    argv = validator() + ["bundle", spec_path, "--ext", "json", "-o", dest]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300, env=_node_env(), cwd=SRC)
    if r.returncode != 0:
        raise RuntimeError("redocly bundle failed:\n%s%s" % (r.stdout, r.stderr))
    try:
        with open(dest, encoding="utf-8") as f:
            return json.load(f)
    finally:
        os.unlink(dest)


# ---------------------------------------------------------------- the document and its schemas

DATE_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def _is_type(v, t):
    if t == "null":
        return v is None
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, TYPES[t])


class Spec:
    def __init__(self, doc):
        self.doc = doc
        self.ops = {}
        for path, item in doc.get("paths", {}).items():
            pat = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path))
            if path == "/console/{path}":   # the table's "{*path}": the rest of the URL
                pat = pat[:-len("[^/]+")] + ".+"
            rx = re.compile("^" + pat + "$")
            for method, op in item.items():
                if method in ("get", "post", "put", "delete", "patch"):
                    self.ops[(method.upper(), path)] = (rx, op)

    def operations(self):
        """{(METHOD, path): operation}"""
        return {k: v[1] for k, v in self.ops.items()}

    def find(self, method, concrete_path):
        """(path template, operation) for a request, the most literal template winning."""
        path = concrete_path.split("?", 1)[0]
        best = None
        for (m, tmpl), (rx, op) in self.ops.items():
            if m == method and rx.match(path):
                score = tmpl.count("/") * 100 - tmpl.count("{")
                if best is None or score > best[0]:
                    best = (score, tmpl, op)
        return (best[1], best[2]) if best else (None, None)

    def resolve(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError("external $ref %s" % ref)
            cur = self.doc
            for part in ref[2:].split("/"):
                cur = cur[part.replace("~1", "/").replace("~0", "~")]
            node = cur
            seen += 1
            if seen > 50:
                raise ValueError("$ref loop at %s" % ref)
        return node

    def check(self, schema, value, where="$"):
        """Errors (list of strings) of value against schema."""
        errs = []
        self._check(schema, value, where, errs)
        return errs

    def _check(self, schema, v, where, errs):
        if schema is True or schema is None:
            return
        if schema is False:
            errs.append("%s: not allowed here" % where)
            return
        if "$ref" in schema:
            self._check(self.resolve(schema), v, where, errs)
            rest = {k: x for k, x in schema.items() if k not in ("$ref", "description", "examples")}
            if rest:
                self._check(rest, v, where, errs)
            return
        t = schema.get("type")
        if t is not None:
            ts = t if isinstance(t, list) else [t]
            if not any(_is_type(v, x) for x in ts):
                errs.append("%s: %r is not of type %s" % (where, _short(v), t))
                return
        if "const" in schema and v != schema["const"]:
            errs.append("%s: %r is not %r" % (where, _short(v), schema["const"]))
        if "enum" in schema and v not in schema["enum"]:
            errs.append("%s: %r is not one of %s" % (where, _short(v), schema["enum"]))
        for sub in schema.get("allOf", []):
            self._check(sub, v, where, errs)
        if "anyOf" in schema:
            if not any(not self.check(s, v, where) for s in schema["anyOf"]):
                errs.append("%s: matches none of anyOf" % where)
        if "oneOf" in schema:
            n = sum(1 for s in schema["oneOf"] if not self.check(s, v, where))
            if n != 1:
                errs.append("%s: matches %d of oneOf" % (where, n))
        if "not" in schema and not self.check(schema["not"], v, where):
            errs.append("%s: matches a `not` schema" % where)
        if isinstance(v, dict):
            for k in schema.get("required", []):
                if k not in v:
                    errs.append("%s: required %r is missing" % (where, k))
            props = schema.get("properties", {})
            for k, x in v.items():
                if k in props:
                    self._check(props[k], x, "%s.%s" % (where, k), errs)
                elif "additionalProperties" in schema:
                    self._check(schema["additionalProperties"], x, "%s.%s" % (where, k), errs)
        if isinstance(v, list):
            if "items" in schema:
                for i, x in enumerate(v):
                    self._check(schema["items"], x, "%s[%d]" % (where, i), errs)
            if "minItems" in schema and len(v) < schema["minItems"]:
                errs.append("%s: fewer than %d items" % (where, schema["minItems"]))
            if "maxItems" in schema and len(v) > schema["maxItems"]:
                errs.append("%s: more than %d items" % (where, schema["maxItems"]))
        if isinstance(v, str):
            if "pattern" in schema and not re.search(schema["pattern"], v):
                errs.append("%s: %r does not match %s" % (where, _short(v), schema["pattern"]))
            if "minLength" in schema and len(v) < schema["minLength"]:
                errs.append("%s: shorter than %d" % (where, schema["minLength"]))
            if "maxLength" in schema and len(v) > schema["maxLength"]:
                errs.append("%s: longer than %d" % (where, schema["maxLength"]))
            fmt = schema.get("format")
            if fmt == "date" and not DATE_RE.match(v):
                errs.append("%s: %r is not a date" % (where, v))
            if fmt == "date-time" and not DATETIME_RE.match(v):
                errs.append("%s: %r is not an RFC 3339 timestamp" % (where, v))
        if _is_type(v, "number"):
            if "minimum" in schema and v < schema["minimum"]:
                errs.append("%s: %r < %r" % (where, v, schema["minimum"]))
            if "maximum" in schema and v > schema["maximum"]:
                errs.append("%s: %r > %r" % (where, v, schema["maximum"]))
            if "multipleOf" in schema:
                q = v / schema["multipleOf"]
                if not math.isclose(q, round(q), rel_tol=0, abs_tol=1e-6):
                    errs.append("%s: %r is not a multiple of %r" % (where, v, schema["multipleOf"]))

    def check_response(self, method, path, status, headers, body):
        """Errors of one answer against the document: the operation exists, documents the
        status, the content type is one it declares, and a JSON body fits the schema."""
        tmpl, op = self.find(method, path)
        if op is None:
            return ["%s %s is not in the document" % (method, path)]
        responses = op.get("responses", {})
        resp = responses.get(str(status)) or responses.get("%dXX" % (status // 100)) or responses.get("default")
        if resp is None:
            return ["%s %s: status %d is not documented (documented: %s)"
                    % (method, tmpl, status, ", ".join(sorted(responses)))]
        resp = self.resolve(resp)
        content = resp.get("content")
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        ctype = hdrs.get("content-type", "").split(";")[0].strip().lower()
        if not content:
            return [] if status == 204 or not body else ["%s %s %d: a body where none is documented" % (method, tmpl, status)]
        if ctype not in content:
            return ["%s %s %d: content type %r is not one of %s" % (method, tmpl, status, ctype, sorted(content))]
        schema = content[ctype].get("schema")
        if "json" not in ctype or schema is None:
            return []
        if isinstance(body, (bytes, bytearray)):
            try:
                body = json.loads(body.decode())
            except ValueError:
                return ["%s %s %d: the body is not JSON" % (method, tmpl, status)]
        return ["%s %s %d: %s" % (method, tmpl, status, e) for e in self.check(schema, body)]


def _short(v):
    s = repr(v)
    return s if len(s) < 80 else s[:77] + "..."


# ---------------------------------------------------------------- a small registry

IN_REGION = "330326"    # Pingyang: the caseworker's and reviewer's county
OUT_REGION = "330327"   # Cangnan


def two_counties(n_households=12):
    """Feeds for two counties: n households in each, head (with a phone) and a child. Household
    0 of each county has 40,200.00 of medical out-of-pocket with no income (a
    catastrophic_medical alert and a proactive temp_medical grant). Returns (feeds, registry):
    feeds is [(source, batch_id, body bytes)], registry {region: [household dicts]}."""
    hukou, medical = [], []
    reg = {}
    for r_i, region in enumerate((IN_REGION, OUT_REGION)):
        reg[region] = []
        for h in range(n_households):
            hid = "HH-%s-%02d" % (region, h)
            head = make_id(region, "1970-0%d-1%d" % (1 + h % 9, h % 10), 11 + 2 * h)
            child = make_id(region, "2012-0%d-2%d" % (1 + h % 9, h % 8), 12 + 2 * h)
            reg[region].append({"household_id": hid, "head": head, "child": child})
            for who, idn, rel, name in (("h", head, "head", "程%s" % "一二三四五六七八九十甲乙"[h % 12]),
                                        ("c", child, "child", "程小%s" % "一二三四五六七八九十甲乙"[h % 12])):
                rec = {"record_id": "hk-%s-%d-%s" % (region, h, who), "id_number": idn, "name": name,
                       "household_id": hid, "relation": rel, "region": region, "event": "register",
                       "date": "2020-01-0%d" % (1 + r_i)}
                if who == "h":
                    rec["phone"] = "1380000%02d%02d" % (r_i, h)
                hukou.append(rec)
        medical.append({"record_id": "md-%s-0" % region, "id_number": reg[region][0]["head"],
                        "settled_on": "2026-10-20", "total": 60000.00, "insurance_paid": 19800.00,
                        "out_of_pocket": 40200.00, "category": "serious", "hospital": "温州医科大学附属第一医院"})
    return [("hukou", "reg-hukou-1", ndjson(hukou)), ("medical", "reg-medical-1", ndjson(medical))], reg


def load(cluster, feeds, key=None):
    """Posts feeds, checks every record was accepted, waits until the bus is quiet."""
    for source, batch, body in feeds:
        st, rep, _ = cluster.post_feed(source, batch, body, key=key)
        if st != 200 or rep.get("rejected") != 0:
            raise AssertionError("feed %s/%s: %s %r" % (source, batch, st, rep))
    cluster.quiescent(timeout=120)
