// ui.js — building DOM without markup strings, and the labels the console shows.
//
// Every string that came from the API reaches the page as a text node (h() turns string
// children into document.createTextNode), never through innerHTML, so a name or a note that
// holds markup is shown as the characters it is.

import { money } from "./api.js";

// h("tr", {class: "x", onclick: fn}, "text", node, [more...]) -> element.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k === "value" || k === "checked" || k === "disabled" || k === "selected") el[k] = v;
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function text(v) {
  return v === null || v === undefined || v === "" ? "—" : String(v);
}

// What is typed into an ID or code box, as the API takes it: a Chinese input method in
// full-width mode types ３３０３２６…Ｘ, the same characters as 330326…X (NFKC folds them).
export function typed(v) {
  return String(v).normalize("NFKC").trim();
}

// Chinese label with the English code beside it.
export function bi(zh, en) {
  return h("span", { class: "bi" }, h("span", { class: "zh" }, zh), " ", h("span", { class: "en" }, en));
}

// Wenzhou's county-level divisions (DOMAIN.md, the demo city); other codes show as the code.
export const REGIONS = {
  "330302": "鹿城 Lucheng", "330303": "龙湾 Longwan", "330304": "瓯海 Ouhai", "330305": "洞头 Dongtou",
  "330324": "永嘉 Yongjia", "330326": "平阳 Pingyang", "330327": "苍南 Cangnan", "330328": "文成 Wencheng",
  "330329": "泰顺 Taishun", "330381": "瑞安 Rui'an", "330382": "乐清 Yueqing", "330383": "龙港 Longgang",
};
export const regionName = (code) => (code && REGIONS[code] ? code + " " + REGIONS[code] : text(code));
// code, Chinese name and English name each kept whole; a narrow cell breaks between them
export function regionLabel(code) {
  if (!code || !REGIONS[code]) return h("span", { class: "region" }, text(code));
  const [zh, ...en] = REGIONS[code].split(" ");
  return h("span", { class: "region" }, h("span", null, code), " ", h("span", null, zh), " ", h("span", { class: "en" }, en.join(" ")));
}

export const ALERT_KINDS = {
  catastrophic_medical: "因病支出型困难",
  income_drop: "收入骤降",
  breadwinner_death: "主要劳动力死亡",
  severe_disability: "重度残疾",
  beneficiary_deceased: "享受待遇人员死亡",
  beneficiary_incarcerated: "享受待遇人员服刑",
  assets_over_limit: "财产超标",
  visit_risk: "走访风险",
  follow_up_overdue: "回访逾期",
  recheck_due: "复核到期",
};

export const APP_STATUS = {
  submitted: "已提交", verifying: "核对中", deciding: "研判中",
  pending_review: "待审核", approved: "已批准", rejected: "未批准",
};

export const ALERT_STATUS = { open: "待处理", acknowledged: "已签收", resolved: "已办结" };

export const ENT_STATUS = { active: "享受中", suspended: "暂停", stopped: "停发" };

export const CHANNELS = { window: "窗口", mobile: "移动端", hotline: "热线", proxy: "代办", proactive: "主动发现" };

export const SOURCES = {
  hukou: "户籍 公安", medical: "医保", disability: "残联", hrss: "人社", civil: "民政登记",
  justice: "监狱 检察", assets: "房产 车辆 存款",
};
export const ROLES = {
  admin: "管理员", caseworker: "办事员", reviewer: "审核员", partner: "数据提供部门", charity: "慈善组织",
  city: "市级", auditor: "审计",
};
export const ORIGINS = { application: "申请", proactive: "主动发现" };

export const SEVERITY = { high: "高", medium: "中", low: "低" };

export const BENEFIT_KINDS = { one_off_grant: "一次性救助", entitlement: "定期救助", wish: "微心愿" };

export const BENEFIT_STATUS = { active: "享受中", suspended: "暂停", stopped: "停发", fulfilled: "已实现" };

export const CATEGORY = { tekun: "特困", dibao: "低保", marginal: "低保边缘", none: "无" };

export const PERSON_STATUS = { active: "正常", deceased: "死亡", incarcerated: "服刑", moved_out: "迁出" };

export const RELATIONS = {
  head: "户主", spouse: "配偶", child: "子女", parent: "父母", grandchild: "孙子女", sibling: "兄弟姐妹", other: "其他",
};

// Policy names come from GET /v1/policies once signed in (name, name_en); until then the id.
export const policyNames = {};
export function policyLabel(id) {
  const p = policyNames[id];
  return p ? bi(p.name, id) : text(id);
}

export function label(map, code) {
  if (code === null || code === undefined || code === "") return text(code);
  return map[code] ? bi(map[code], code) : text(code);
}

export function badge(kind, value, map) {
  return h("span", { class: "badge " + kind + "-" + String(value).replace(/[^a-z_]/g, "") },
    map && map[value] ? map[value] + " " + value : text(value));
}

export const moneyCell = (v) => h("td", { class: "money" }, money(v));

// An RFC 9457 problem document as a box: title and status, detail, every per-field error.
export function problemBox(problem) {
  const p = problem || {};
  const box = h("div", { class: "problem", role: "alert" },
    h("div", { class: "problem-title" }, text(p.title), p.status ? " (" + p.status + ")" : ""),
    p.detail ? h("div", { class: "problem-detail" }, p.detail) : null);
  if (Array.isArray(p.errors) && p.errors.length) {
    box.appendChild(h("ul", { class: "problem-errors" },
      p.errors.map((e) => h("li", { dataset: { field: text(e && e.field) } },
        h("code", null, text(e && e.field)), " ", h("span", { class: "code" }, text(e && e.code)), " — ",
        text(e && e.message)))));
  }
  return box;
}

// A table: columns [{title, cell(item) -> Node|string}], click(item, tr) optional.
export function table(columns, items, opts = {}) {
  const head = h("tr", null, columns.map((c) => h("th", null, c.title)));
  const body = h("tbody");
  const t = h("table", { class: "grid" + (opts.click ? " clickable" : "") }, h("thead", null, head), body);
  addRows(t, columns, items, opts);
  return t;
}

export function addRows(t, columns, items, opts = {}) {
  const body = t.tBodies[0];
  for (const it of items) {
    const tr = h("tr", opts.rowAttrs ? opts.rowAttrs(it) : null);
    for (const c of columns) {
      const v = c.cell(it);
      tr.appendChild(v instanceof Node && v.tagName === "TD" ? v : h("td", null, v));
    }
    if (opts.click) {
      tr.tabIndex = 0;
      tr.addEventListener("click", () => opts.click(it, tr));
      tr.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter") opts.click(it, tr);
      });
    }
    body.appendChild(tr);
  }
}

export function field(labelNode, control, hint) {
  return h("label", { class: "field" }, h("span", { class: "field-label" }, labelNode), control,
    hint ? h("span", { class: "hint" }, hint) : null);
}

export function select(name, options, value) {
  return h("select", { name },
    options.map(([v, lab]) => h("option", { value: v, selected: v === value }, lab)));
}

// A definition list of [label, value] pairs.
export function facts(pairs) {
  return h("dl", { class: "facts" },
    pairs.filter(Boolean).map(([k, v]) => [h("dt", null, k), h("dd", null, v instanceof Node ? v : text(v))]));
}

export function explanation(clauses) {
  if (!Array.isArray(clauses) || !clauses.length) return h("p", { class: "muted" }, "no clauses 无条款");
  return h("ul", { class: "clauses" },
    clauses.map((c) => h("li", { class: c.passed ? "pass" : "fail" },
      h("span", { class: "mark" }, c.passed ? "✓" : "✗"), " ",
      h("strong", null, text(c.clause)), ": ", text(c.detail))));
}

export function evidence(list) {
  if (!Array.isArray(list) || !list.length) return h("p", { class: "muted" }, "none 无");
  return h("ul", { class: "evidence" },
    list.map((e) => h("li", null, h("code", null, text(e.source)), " ", text(e.record_id),
      e.batch_id ? h("span", { class: "muted" }, " · batch " + e.batch_id) : null)));
}

// "2026-11-23T08:00:00Z" -> "2026-11-23 08:00:00 UTC"; a narrow cell breaks it only between
// the date and the time.
export function when(ts) {
  const t = text(ts);
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)Z$/.exec(t);
  if (!m) return h("span", { class: "ts" }, t);
  return h("span", { class: "ts" }, h("span", null, m[1]), " ", h("span", null, m[2] + " UTC"));
}

// The "more" button of a cursor-paged list: calls load(cursor) and hides itself at the end.
export function moreButton(nextCursor, load) {
  if (!nextCursor) return null;
  const b = h("button", { type: "button", class: "more" }, "更多 More");
  b.addEventListener("click", async () => {
    b.disabled = true;
    await load(nextCursor);
    b.remove();
  });
  return b;
}

export function status(msg) {
  return h("p", { class: "loading" }, msg || "加载中 Loading…");
}
