// views_household.js — looking up a household by its id or a member's ID number: the person,
// the household's members, economic picture and entitlements, its "happiness list" of
// benefits, and the visit code for the door plate.

import { get, money, seg } from "./api.js";
import {
  ALERT_KINDS, BENEFIT_KINDS, BENEFIT_STATUS, CATEGORY, ENT_STATUS, ORIGINS, PERSON_STATUS, RELATIONS, SEVERITY, badge, bi, clear,
  facts, field, h, label, policyLabel, problemBox, regionLabel, status, table, text, typed, when,
} from "./ui.js";

const ID_NUMBER = /^\d{17}[\dXx]$/;

export async function householdView(main, ctx) {
  const q = h("input", {
    name: "q", id: "household-q", size: 24, value: ctx.household || "", autocomplete: "off",
    title: "如 e.g. H330326000001 或 or an 18-character ID number", required: true,
  });
  const form = h("form", { class: "filters", id: "household-form" },
    field(bi("家庭编号或身份证号", "Household ID or ID number"), q),
    h("button", { type: "submit", class: "primary" }, "查询 Look up"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = typed(q.value);
    if (v) ctx.go("household", v);
  });
  const out = h("div", { id: "household-result" });
  main.append(h("h1", null, bi("家庭查询", "Household lookup")), form, out);
  if (!ctx.household) {
    q.focus();
    return;
  }
  out.appendChild(status());
  await lookup(out, ctx.household.trim(), ctx);
}

async function lookup(out, query, ctx) {
  let person = null;
  let householdId = query;
  if (ID_NUMBER.test(query)) {
    const r = await get("/v1/persons/" + seg(query.toUpperCase()));
    if (!ctx.alive()) return;
    if (!r.ok) {
      clear(out).appendChild(problemBox(r.problem));
      return;
    }
    person = r.data;
    householdId = person.household_id;
  }
  if (!householdId) {
    clear(out).appendChild(personCard(person));
    return;
  }
  const base = "/v1/households/" + seg(householdId);
  const [hh, benefits, code] = await Promise.all([get(base), get(base + "/benefits"), get(base + "/visit-code")]);
  if (!ctx.alive()) return;
  clear(out);
  if (person) out.appendChild(personCard(person));
  if (!hh.ok) {
    out.appendChild(problemBox(hh.problem));
    return;
  }
  out.appendChild(householdCard(hh.data, ctx));
  const row = h("div", { class: "cols two" });
  row.appendChild(benefitsCard(benefits));
  row.appendChild(visitCodeCard(code));
  out.appendChild(row);
}

function personCard(p) {
  const dis = p.disability ? text(p.disability.category) + " · 等级 grade " + text(p.disability.grade) : "无 none";
  const card = h("section", { class: "card person", id: "person-card", dataset: { id: text(p.id_number) } },
    h("h2", null, bi("人员", "Person"), " ", h("span", { class: "title-name" }, text(p.name))),
    facts([
      [bi("身份证号", "ID number"), h("code", null, text(p.id_number))],
      [bi("性别", "Sex"), p.sex],
      [bi("出生日期", "Born"), p.birth_date],
      [bi("户籍地", "Region"), regionLabel(p.region)],
      [bi("家庭", "Household"), text(p.household_id)],
      [bi("与户主关系", "Relation"), label(RELATIONS, p.relation)],
      [bi("电话", "Phone"), p.phone],
      [bi("状态", "Status"), label(PERSON_STATUS, p.status)],
      [bi("残疾", "Disability"), dis],
      [bi("近12月月均收入", "Income / month, 12 m"), h("span", { class: "money", id: "person-income" }, money(p.income_monthly_avg_12m))],
      [bi("近12月医疗自付", "Medical out of pocket, 12 m"), h("span", { class: "money", id: "person-oop" }, money(p.medical_oop_12m))],
    ]));
  const alerts = Array.isArray(p.open_alerts) ? p.open_alerts : [];
  if (alerts.length) {
    card.append(h("h3", null, bi("未办结预警", "Open alerts")), table([
      { title: bi("编号", "ID"), cell: (a) => h("code", null, text(a.alert_id)) },
      { title: bi("类型", "Kind"), cell: (a) => label(ALERT_KINDS, a.kind) },
      { title: bi("级别", "Severity"), cell: (a) => badge("sev", a.severity, SEVERITY) },
      { title: bi("发现时间", "Raised"), cell: (a) => when(a.raised_at) },
      { title: bi("说明", "Detail"), cell: (a) => text(a.detail) },
    ], alerts));
  }
  return card;
}

function householdCard(hh, ctx) {
  const assets = hh.assets || {};
  const card = h("section", { class: "card household", id: "household-card", dataset: { household: text(hh.household_id) } },
    h("h2", null, bi("家庭", "Household"), " ", h("code", null, text(hh.household_id))),
    facts([
      [bi("辖区", "Region"), regionLabel(hh.region)],
      [bi("人口", "Members"), text(hh.size) + (hh.counted_members !== undefined ? " (计入 counted " + text(hh.counted_members) + ")" : "")],
      [bi("类别", "Category"), label(CATEGORY, hh.category)],
      [bi("人均月收入", "Per-capita income / month"), h("span", { class: "money" }, money(hh.per_capita_monthly_income))],
      hh.medical_oop_12m !== undefined
        ? [bi("近12月医疗自付", "Medical out of pocket, 12 m"), h("span", { class: "money" }, money(hh.medical_oop_12m))] : null,
      [bi("车辆", "Vehicles"), h("span", { class: "money" }, money(assets.vehicles))],
      [bi("房产", "Real estate titles"), text(assets.real_estate)],
      [bi("存款", "Deposits"), h("span", { class: "money" }, money(assets.deposits))],
      hh.as_of ? [bi("数据截至", "As of"), hh.as_of] : null,
    ]),
    h("h3", null, bi("家庭成员", "Members")),
    table([
      { title: bi("姓名", "Name"), cell: (m) => text(m.name) },
      {
        title: bi("身份证号", "ID number"),
        cell: (m) => h("button", { type: "button", class: "link", onclick: () => ctx.go("household", m.id_number) }, text(m.id_number)),
      },
      { title: bi("关系", "Relation"), cell: (m) => label(RELATIONS, m.relation) },
      { title: bi("状态", "Status"), cell: (m) => label(PERSON_STATUS, m.status) },
    ], Array.isArray(hh.members) ? hh.members : []),
    h("h3", null, bi("救助待遇", "Entitlements")));
  const ents = Array.isArray(hh.entitlements) ? hh.entitlements : [];
  card.appendChild(ents.length ? table([
    { title: bi("编号", "ID"), cell: (e) => h("code", null, text(e.entitlement_id)) },
    { title: bi("政策", "Policy"), cell: (e) => policyLabel(e.policy) },
    { title: bi("金额", "Amount"), cell: (e) => h("td", { class: "money" }, money(e.amount)) },
    { title: bi("周期", "Period"), cell: (e) => text(e.period) },
    { title: bi("状态", "Status"), cell: (e) => label(ENT_STATUS, e.status) },
    { title: bi("来源", "Origin"), cell: (e) => label(ORIGINS, e.origin) },
    { title: bi("批准时间", "Granted"), cell: (e) => when(e.granted_at) },
  ], ents, { rowAttrs: (e) => ({ dataset: { policy: text(e.policy) }, class: "entitlement" }) })
    : h("p", { class: "muted" }, "无 none"));
  return card;
}

function benefitsCard(r) {
  const card = h("section", { class: "card benefits", id: "benefits-card" }, h("h2", null, bi("幸福清单", "Benefits received")));
  if (!r.ok) {
    card.appendChild(problemBox(r.problem));
    return card;
  }
  const items = Array.isArray(r.data.items) ? r.data.items : [];
  if (!items.length) {
    card.appendChild(h("p", { class: "muted" }, "无 none"));
    return card;
  }
  card.appendChild(table([
    { title: bi("日期", "Date"), cell: (b) => when(b.date) },
    { title: bi("类别", "Kind"), cell: (b) => label(BENEFIT_KINDS, b.kind) },
    {
      title: bi("项目", "What"),
      cell: (b) => b.policy ? policyLabel(b.policy)
        : h("span", null, text(b.title), b.donor ? h("small", null, " · " + b.donor) : null),
    },
    { title: bi("金额", "Amount"), cell: (b) => h("td", { class: "money" }, money(b.amount)) },
    { title: bi("状态", "Status"), cell: (b) => label(BENEFIT_STATUS, b.status) },
  ], items));
  return card;
}

// The QR code arrives as SVG markup; it is shown as an image from a data: URL, so it is never
// parsed into the page (an <img> SVG cannot run script or reach the document).
function visitCodeCard(r) {
  const card = h("section", { class: "card visit-code", id: "visit-code-card" }, h("h2", null, bi("走访码", "Visit code")));
  if (!r.ok) {
    card.appendChild(problemBox(r.problem));
    return card;
  }
  const svg = r.data && typeof r.data.qr_svg === "string" ? r.data.qr_svg : "";
  if (svg) {
    const img = h("img", { id: "visit-qr", alt: "走访码 visit code QR", width: 180, height: 180 });
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
    card.appendChild(img);
  }
  card.appendChild(facts([
    [bi("有效期至", "Expires"), when(r.data.expires_at)],
    [bi("令牌", "Token"), h("code", { class: "token" }, text(r.data.token))],
  ]));
  return card;
}
