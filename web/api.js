// api.js — the console's only way to the SAIS HTTP API (docs: API.md).
//
// The API key lives in sessionStorage only: it dies with the tab, is never written to
// localStorage, cookies or the URL, and is sent solely as the Authorization header.
//
// Money arrives as JSON numbers with two decimals ("32160.00"). JSON.parse would turn that into
// the double 32160, so money fields are read from their source text (the reviver's
// context.source, Chrome 114+) into Money values that keep the digits exactly as the server
// wrote them; the console never does arithmetic on money.

const KEY_SLOT = "sais.console.key";
const ROLE_SLOT = "sais.console.role";

const MONEY_FIELDS = new Set([
  "amount", "per_capita_monthly_income", "medical_oop_12m", "income_monthly_avg_12m",
  "vehicles", "deposits", "per_capita_monthly", "monthly_avg", "estimated_value",
  "monthly_cost", "monthly_cost_before", "monthly_cost_after", "donations_value", "unit_value",
]);

export class Money {
  constructor(text) {
    this.text = text;
  }
  // Two decimals by string manipulation of the server's digits: no float involved.
  toString() {
    const t = this.text;
    if (!/^-?\d+(\.\d+)?$/.test(t)) return t;
    const [whole, frac = ""] = t.split(".");
    return frac.length >= 2 ? t : whole + "." + frac.padEnd(2, "0");
  }
}

// "32160.00" for a Money, a number (older browsers without context.source) or a string.
export function money(v) {
  if (v === null || v === undefined) return "—";
  if (v instanceof Money) return v.toString();
  if (typeof v === "number") return v.toFixed(2);
  return String(v);
}

function revive(key, value, context) {
  if (typeof value === "number" && MONEY_FIELDS.has(key) && context && typeof context.source === "string") {
    return new Money(context.source);
  }
  return value;
}

export function parseJson(text) {
  return JSON.parse(text, revive);
}

export const session = {
  key() {
    return sessionStorage.getItem(KEY_SLOT);
  },
  role() {
    const raw = sessionStorage.getItem(ROLE_SLOT);
    if (!raw) return null;
    try {
      return JSON.parse(raw);
    } catch {
      return null;
    }
  },
  save(key, role) {
    sessionStorage.setItem(KEY_SLOT, key);
    sessionStorage.setItem(ROLE_SLOT, JSON.stringify(role));
  },
  clear() {
    sessionStorage.removeItem(KEY_SLOT);
    sessionStorage.removeItem(ROLE_SLOT);
  },
};

// The answer of one call: {ok, status, data, problem}. `problem` is the RFC 9457 document of
// an error (or one made up here when the network or the body failed), so every caller can show
// it the same way.
export async function call(method, path, body, opts = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  const key = opts.key !== undefined ? opts.key : session.key();
  if (key) headers.Authorization = "Bearer " + key;
  let payload;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
    // one key per user action: a network retry of the same action cannot act twice
    headers["Idempotency-Key"] = opts.idempotencyKey || crypto.randomUUID();
  }
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: payload, cache: "no-store", credentials: "omit" });
  } catch (err) {
    return {
      ok: false, status: 0, data: null,
      problem: { title: "Network error 网络错误", status: 0, detail: String(err && err.message || err), errors: [] },
    };
  }
  const text = await resp.text();
  const ctype = resp.headers.get("Content-Type") || "";
  let data = null;
  if (text && ctype.includes("json")) {
    try {
      data = parseJson(text);
    } catch {
      data = null;
    }
  }
  if (resp.ok) return { ok: true, status: resp.status, data, problem: null };
  // the signed-in key stopped working (deleted by an admin): the shell says so once
  if (resp.status === 401 && opts.key === undefined && key) window.dispatchEvent(new Event("sais-unauthorized"));
  let problem;
  if (data && typeof data === "object" && ctype.includes("problem+json")) {
    problem = data;
  } else {
    problem = { title: resp.statusText || "Error", status: resp.status, detail: text.slice(0, 300), errors: [] };
  }
  if (!Array.isArray(problem.errors)) problem.errors = [];
  return { ok: false, status: resp.status, data, problem };
}

export const get = (path, opts) => call("GET", path, undefined, opts);
export const del = (path, opts) => call("DELETE", path, undefined, opts);

// A text document that needs no key (/metrics): {ok, status, text}.
export async function getText(path) {
  try {
    const resp = await fetch(path, { cache: "no-store", credentials: "omit" });
    return { ok: resp.ok, status: resp.status, text: await resp.text() };
  } catch (err) {
    return { ok: false, status: 0, text: String(err && err.message || err) };
  }
}

// Prometheus text exposition -> {family: [{labels: {...}, value}]}, for the names asked.
export function parseMetrics(text, names) {
  const out = Object.fromEntries(names.map((n) => [n, []]));
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || !out[m[1]]) continue;
    const labels = {};
    for (const l of (m[2] || "").matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, "$1");
    out[m[1]].push({ labels, value: Number(m[3]) });
  }
  return out;
}
export const post = (path, body, opts) => call("POST", path, body === undefined ? {} : body, opts);

// "/v1/alerts" + {status: "open", kind: ""} -> "/v1/alerts?status=open" (empty values dropped).
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && String(v).trim() !== "") q.set(k, String(v).trim());
  }
  const s = q.toString();
  return s ? path + "?" + s : path;
}

// Path segments from user input or API data are always encoded.
export const seg = (s) => encodeURIComponent(String(s));
