// app.js — the SAIS console: sign-in, navigation, and which view is shown.
//
// The page is static and holds no data of its own: every view asks the API (api.js) when it
// is shown. Which view is shown is the URL fragment (#alerts); what is looked up (a household
// or ID number) stays in memory, so personal identifiers never land in the address bar or the
// browser history.

import { get, session } from "./api.js";
import { bi, clear, field, h, policyNames, problemBox, select, text } from "./ui.js";
import { alertsView, applicationsView } from "./views_queues.js";
import { householdView } from "./views_household.js";
import { applyView, entitlementsView, feedsView, healthView } from "./views_misc.js";
import { keysView } from "./views_keys.js";

const VIEWS = [
  { id: "alerts", zh: "预警队列", en: "Alerts", render: alertsView },
  { id: "applications", zh: "申请审核", en: "Applications", render: applicationsView },
  { id: "household", zh: "家庭查询", en: "Household", render: householdView },
  { id: "entitlements", zh: "救助待遇", en: "Entitlements", render: entitlementsView },
  { id: "apply", zh: "受理申请", en: "File an application", render: applyView },
  { id: "feeds", zh: "数据源", en: "Feeds", render: feedsView },
  { id: "health", zh: "运行状态", en: "Health", render: healthView },
  { id: "keys", zh: "密钥", en: "API keys", render: keysView, admin: true },
];

const ROLE_NAMES = {
  admin: "管理员", caseworker: "办事员", reviewer: "审核员", city: "市级", other: "其他",
};

// What the console offers each role (the server still decides every request).
export function can(action) {
  const r = session.role();
  const role = r ? r.role : null;
  if (role === "admin") return true;
  if (action === "acknowledge" || action === "apply") return role === "caseworker" || role === "reviewer";
  if (action === "review" || action === "resolve") return role === "reviewer";
  return false;
}

const state = { household: null };

export function go(view, arg) {
  if (view === "household" && arg !== undefined) state.household = arg;
  if (location.hash === "#" + view) show();
  else location.hash = view;
}

function root() {
  return document.getElementById("app");
}

/* ------------------------------------------------------------------ sign-in */

// Which role does this key have? GET /v1/keys answers only an admin, and then the admin's own
// record (its id is part of the secret) names its regions. For any other key the console can
// only tell that staff reads work; the role shown is the one the user picked.
async function probe(key, picked) {
  const keys = await get("/v1/keys?limit=1000", { key });
  if (keys.status === 401) return { problem: keys.problem };
  if (keys.ok) {
    const m = /^sais_([0-9a-f]+)_/.exec(key);
    const own = m && keys.data && Array.isArray(keys.data.items)
      ? keys.data.items.find((k) => k.id === m[1]) : null;
    return {
      role: {
        role: "admin", confirmed: true, name: own ? own.name : null,
        regions: own && Array.isArray(own.regions) ? own.regions : [],
      },
    };
  }
  if (keys.status !== 403) return { problem: keys.problem };
  const staff = await get("/v1/alerts?limit=1", { key });
  if (staff.status === 401) return { problem: staff.problem };
  if (staff.ok) return { role: { role: picked, confirmed: false, name: null, regions: null } };
  if (staff.status === 403) return { role: { role: "other", confirmed: false, name: null, regions: null } };
  return { problem: staff.problem };
}

function signInView() {
  const keyInput = h("input", {
    type: "password", name: "key", id: "key", autocomplete: "off", spellcheck: "false", required: true,
    title: "sais_…", size: 60,
  });
  const roleSel = select("role", [
    ["caseworker", "办事员 caseworker"], ["reviewer", "审核员 reviewer"], ["city", "市级 city (read only)"],
  ], "caseworker");
  const out = h("div", { class: "signin-result" });
  const btn = h("button", { type: "submit", class: "primary" }, "登录 Sign in");
  const form = h("form", { class: "signin", id: "signin-form" },
    h("h2", null, bi("登录", "Sign in")),
    h("p", { class: "muted" },
      "粘贴 API 密钥。密钥只保存在本标签页 (sessionStorage)，关闭即清除。 ",
      "Paste your API key; it is kept in this tab's session storage only."),
    field(bi("API 密钥", "API key"), keyInput),
    field(bi("我的角色", "My role"), roleSel,
      "管理员密钥会自动识别；其他角色以服务器实际授权为准。Admin keys are recognised; for other keys the server decides what each action may do."),
    btn, out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const key = keyInput.value.trim();
    if (!key) return;
    btn.disabled = true;
    clear(out).appendChild(h("p", { class: "loading" }, "验证中 Checking…"));
    const r = await probe(key, roleSel.value);
    btn.disabled = false;
    clear(out);
    if (r.problem) {
      out.appendChild(problemBox(r.problem));
      return;
    }
    session.save(key, r.role);
    keyInput.value = "";
    start();
  });
  const r = root();
  clear(r).appendChild(h("main", { class: "signin-page" },
    h("h1", null, bi("社会救助信息系统 · 工作台", "SAIS console")), form));
  keyInput.focus();
}

function whoami() {
  const r = session.role() || {};
  const role = r.role || "other";
  const regions = r.regions === null || r.regions === undefined
    ? "服务器限定 server-enforced"
    : r.regions.length ? r.regions.join(", ") : "全部 all";
  return h("div", { class: "whoami", id: "whoami" },
    h("span", { class: "role", dataset: { role } }, (ROLE_NAMES[role] || role) + " " + role),
    r.name ? h("span", { class: "keyname" }, r.name) : null,
    h("span", { class: "confirm" }, r.confirmed ? "服务器确认 confirmed by the server" : "登录时选择 chosen at sign-in"),
    h("span", { class: "regions" }, "辖区 regions: " + regions),
    h("button", { type: "button", id: "signout", onclick: signOut }, "退出 Sign out"));
}

function signOut() {
  session.clear();
  history.replaceState(null, "", location.pathname);
  signInView();
}

/* ------------------------------------------------------------------ shell */

async function loadPolicyNames() {
  const r = await get("/v1/policies");
  if (!r.ok || !Array.isArray(r.data)) return;
  for (const p of r.data) if (p && p.id) policyNames[p.id] = { name: text(p.name), name_en: text(p.name_en) };
}

let shell = null;

function buildShell() {
  const nav = h("nav", { class: "side" },
    VIEWS.filter((v) => !v.admin || can("keys")).map((v) => h("a", { href: "#" + v.id, dataset: { view: v.id } },
      h("span", { class: "zh" }, v.zh), h("span", { class: "en" }, v.en))));
  const main = h("main", { id: "view", tabindex: "-1" });
  const header = h("header", { class: "top" },
    h("div", { class: "brand" }, h("strong", null, "SAIS"), " 社会救助信息系统 ",
      h("span", { class: "en" }, "Social Assistance Information System")),
    whoami());
  clear(root()).append(header, h("div", { class: "body" }, nav, main));
  shell = { nav, main };
}

let generation = 0;

async function show() {
  if (!session.key()) {
    signInView();
    return;
  }
  if (!shell || !document.body.contains(shell.main)) buildShell();
  const id = location.hash.slice(1) || "alerts";
  const view = VIEWS.find((v) => v.id === id) || VIEWS[0];
  for (const a of shell.nav.querySelectorAll("a")) a.classList.toggle("active", a.dataset.view === view.id);
  const main = clear(shell.main);
  main.dataset.view = view.id;
  const mine = ++generation;
  // a view that finishes after the user moved on must not draw over the new one
  const alive = () => mine === generation;
  await view.render(main, { alive, go, can, household: state.household });
}

async function start() {
  shell = null;
  await loadPolicyNames();
  await show();
}

window.addEventListener("sais-unauthorized", () => {
  const main = document.getElementById("view");
  if (!main || main.querySelector(".expired")) return;
  main.prepend(h("div", { class: "expired", role: "alert" }, "密钥已失效，请重新登录。 This key no longer works; sign in again. ",
    h("button", { type: "button", onclick: signOut }, "重新登录 Sign in again")));
});

window.addEventListener("hashchange", () => {
  show();
});

if (session.key()) start();
else signInView();
