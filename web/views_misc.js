// views_misc.js — service health, the entitlements list, filing an application (then
// following it until it is decided) and the partner feeds.

import { get, getText, money, parseMetrics, post, seg, session, withQuery } from "./api.js";
import {
  APP_STATUS, CHANNELS, ENT_STATUS, ORIGINS, REGIONS, SOURCES, addRows, badge, bi, clear, explanation, evidence,
  field, h, label, moreButton, policyLabel, policyNames, problemBox, regionLabel, regionName, select, status, table,
  text, typed, when,
} from "./ui.js";
import { renderApplication } from "./views_queues.js";

/* ------------------------------------------------------------------ health */

export async function healthView(main, ctx) {
  const out = h("div", { id: "health" });
  const refresh = h("button", { type: "button" }, "刷新 Refresh");
  main.append(h("h1", null, bi("运行状态", "Health")), refresh, out);
  const load = async () => {
    clear(out).appendChild(status());
    // /healthz needs no key; none is sent
    const r = await get("/healthz", { key: "" });
    if (!ctx.alive()) return;
    clear(out);
    const body = r.data && typeof r.data === "object" ? r.data : null;
    if (!body || !body.services) {
      out.appendChild(problemBox(r.problem || { title: "No health document", status: r.status, errors: [] }));
      return;
    }
    out.appendChild(h("p", { class: "overall" }, bi("总体", "Overall"), " ",
      badge("health", body.status, { ok: "正常", degraded: "降级" }), " HTTP " + r.status));
    // what else makes it degraded: a store that cannot be written (a full disk)
    const problems = Array.isArray(body.problems) ? body.problems : [];
    if (problems.length) {
      out.appendChild(h("div", { class: "problem", id: "health-problems", role: "alert" },
        h("strong", null, bi("存储无法写入", "Stores that cannot be written")),
        h("ul", null, problems.map((p) => h("li", null, text(p))))));
    }
    const rows = Object.entries(body.services).map(([name, st]) => ({ name, st }));
    out.appendChild(table([
      { title: bi("服务", "Service"), cell: (s) => h("code", null, s.name) },
      { title: bi("状态", "Status"), cell: (s) => badge("svc", s.st, { up: "运行", down: "停止" }) },
    ], rows, { rowAttrs: (s) => ({ dataset: { service: s.name, state: text(s.st) } }) }));
    await busTables(out, ctx);
  };
  refresh.addEventListener("click", load);
  await load();
}

// The bus from /metrics (no key either): per consumer and producer, events yet to apply,
// events stepped over, and a producer found to have lost events the consumer took in (a
// restore from an older backup) first; then the work the cursors do not show.
const BUS = ["sais_bus_lag", "sais_bus_skipped_events", "sais_bus_diverged", "sais_intake_work_pending",
  "sais_rules_outreach_held", "sais_rules_held_households", "sais_verify_owed_households"];

async function busTables(out, ctx) {
  const r = await getText("/metrics");
  if (!ctx.alive()) return;
  if (!r.ok) {
    out.appendChild(problemBox({ title: "No metrics 无法读取指标", status: r.status, detail: r.text.slice(0, 200), errors: [] }));
    return;
  }
  const m = parseMetrics(r.text, BUS);
  const pairs = new Map();
  const at = (s) => {
    const k = s.labels.consumer + "\u2190" + s.labels.producer;
    if (!pairs.has(k)) pairs.set(k, { consumer: s.labels.consumer, producer: s.labels.producer, lag: 0, skipped: 0, diverged: 0 });
    return pairs.get(k);
  };
  m.sais_bus_lag.forEach((s) => { at(s).lag = s.value; });
  m.sais_bus_skipped_events.forEach((s) => { at(s).skipped = s.value; });
  m.sais_bus_diverged.forEach((s) => { at(s).diverged = s.value; });
  const rows = [...pairs.values()].sort((a, b) => b.diverged - a.diverged || b.lag - a.lag || b.skipped - a.skipped
    || a.consumer.localeCompare(b.consumer) || a.producer.localeCompare(b.producer));
  out.appendChild(h("h2", null, bi("事件总线", "Event bus")));
  out.appendChild(table([
    { title: bi("读取方", "Consumer"), cell: (p) => h("code", null, p.consumer) },
    { title: bi("来源", "Producer"), cell: (p) => h("code", null, p.producer) },
    { title: bi("待处理", "Lag"), cell: (p) => h("td", { class: "num" }, String(p.lag)) },
    { title: bi("已跳过", "Skipped"), cell: (p) => h("td", { class: "num" + (p.skipped ? " bad" : "") }, String(p.skipped)) },
    { title: bi("状态", "State"), cell: (p) => p.diverged
      ? h("span", { class: "badge svc-down", title: "来源的事件日志短于本方游标：从较旧的备份恢复？ The producer's log ends before this consumer's cursor: restored from an older backup? Nothing more is taken from it." }, "已分叉 diverged")
      : badge("svc", "up", { up: "正常" }) },
  ], rows, { rowAttrs: (p) => ({ dataset: { consumer: p.consumer, producer: p.producer, lag: String(p.lag), diverged: String(p.diverged) } }) }));
  const one = (name) => (m[name][0] ? m[name][0].value : null);
  const work = [
    [bi("待推进的申请", "Applications intake has yet to move on"), one("sais_intake_work_pending")],
    [bi("外展暂停", "Outreach held (first load)"), one("sais_rules_outreach_held") === null ? null : (one("sais_rules_outreach_held") ? "是 yes" : "否 no")],
    [bi("暂停期间变动的家庭", "Households changed while held"), one("sais_rules_held_households")],
    [bi("待重算的家庭", "Households owed a refresh"), one("sais_verify_owed_households")],
  ].filter(([, v]) => v !== null);
  out.appendChild(h("dl", { class: "facts", id: "work" }, work.flatMap(([k, v]) => [h("dt", null, k), h("dd", null, String(v))])));
}

/* ------------------------------------------------------------------ entitlements */

const entFilter = { region: "", policy: "", status: "active", origin: "" };

export async function entitlementsView(main, ctx) {
  const region = h("input", { name: "region", value: entFilter.region, title: "县区代码或前缀 county code or prefix: 330326, 3303", size: 10 });
  const policy = select("policy", [["", "全部 all"], ...Object.entries(policyNames).map(([id, p]) => [id, p.name + " " + id])],
    entFilter.policy);
  const st = select("status", [["", "全部 all"], ...Object.entries(ENT_STATUS).map(([k, v]) => [k, v + " " + k])], entFilter.status);
  const origin = select("origin", [["", "全部 all"], ...Object.entries(ORIGINS).map(([k, v]) => [k, v + " " + k])], entFilter.origin);
  const form = h("form", { class: "filters", id: "ent-filters" },
    field(bi("辖区", "Region"), region), field(bi("政策", "Policy"), policy), field(bi("状态", "Status"), st),
    field(bi("来源", "Origin"), origin), h("button", { type: "submit" }, "查询 Search"));
  const list = h("div", { id: "ent-list" });
  main.append(h("h1", null, bi("救助待遇", "Entitlements")), form, list);
  const load = async () => {
    Object.assign(entFilter, { region: region.value.trim(), policy: policy.value, status: st.value, origin: origin.value });
    clear(list).appendChild(status());
    const path = withQuery("/v1/entitlements", { ...entFilter, limit: 50 });
    const r = await get(path);
    if (!ctx.alive()) return;
    clear(list);
    if (!r.ok) {
      list.appendChild(problemBox(r.problem));
      return;
    }
    const items = r.data.items || [];
    if (!items.length) {
      list.appendChild(h("p", { class: "empty" }, "没有记录 Nothing matches."));
      return;
    }
    const cols = [
      { title: bi("编号", "ID"), cell: (e) => h("code", null, text(e.entitlement_id)) },
      {
        title: bi("家庭 / 身份证号", "Household / ID number"),
        cell: (e) => h("span", null, h("button", {
          type: "button", class: "link",
          onclick: (ev) => {
            ev.stopPropagation();
            ctx.go("household", e.household_id);
          },
        }, text(e.household_id)), h("br"), h("small", null, text(e.id_number))),
      },
      { title: bi("辖区", "Region"), cell: (e) => regionLabel(e.region) },
      { title: bi("政策", "Policy"), cell: (e) => policyLabel(e.policy) },
      { title: bi("金额", "Amount"), cell: (e) => h("td", { class: "money" }, money(e.amount)) },
      { title: bi("周期", "Period"), cell: (e) => text(e.period) },
      { title: bi("状态", "Status"), cell: (e) => label(ENT_STATUS, e.status) },
      { title: bi("来源", "Origin"), cell: (e) => label(ORIGINS, e.origin) },
      { title: bi("批准时间", "Granted"), cell: (e) => when(e.granted_at) },
    ];
    const opts = {
      rowAttrs: (e) => ({ dataset: { entitlement: text(e.entitlement_id), household: text(e.household_id), policy: text(e.policy) } }),
      click: (e, tr) => {
        const next = tr.nextElementSibling;
        if (next && next.classList.contains("detail-row")) {
          next.remove();
          tr.classList.remove("open");
          return;
        }
        tr.classList.add("open");
        tr.after(h("tr", { class: "detail-row" }, h("td", { colspan: cols.length },
          h("div", { class: "detail cols" },
            h("section", null, h("h3", null, bi("依据", "Explanation")), explanation(e.explanation)),
            h("section", null, h("h3", null, bi("证据", "Evidence")), evidence(e.evidence))))));
      },
    };
    const t = table(cols, items, opts);
    list.append(h("p", { class: "count" }, items.length + " 条 shown"), t);
    const more = (cursor) => moreButton(cursor, async (c) => {
      const rr = await get(path + "&cursor=" + encodeURIComponent(c));
      if (!rr.ok) {
        list.appendChild(problemBox(rr.problem));
        return;
      }
      addRows(t, cols, rr.data.items || [], opts);
      const b = more(rr.data.next_cursor);
      if (b) list.appendChild(b);
    });
    const b = more(r.data.next_cursor);
    if (b) list.appendChild(b);
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load();
  });
  await load();
}

/* ------------------------------------------------------------------ file an application */

// Statuses after which the system has done its part: a reviewer decides pending_review.
const SETTLED = new Set(["pending_review", "approved", "rejected"]);
const POLL_MS = 1000;
const POLL_MAX = 300;

export async function applyView(main, ctx) {
  const idNumber = h("input", { name: "id_number", id: "apply-id", size: 22, maxlength: 18, autocomplete: "off", required: true });
  const channel = select("channel", Object.entries(CHANNELS).filter(([k]) => k !== "proactive").map(([k, v]) => [k, v + " " + k]),
    "window");
  const role = session.role();
  const own = role && Array.isArray(role.regions) && role.regions.length === 1 && role.regions[0].length === 6 ? role.regions[0] : "";
  const filed = h("input", { name: "filed_region", id: "apply-region", size: 10, maxlength: 6, list: "region-codes",
    value: own, required: true, title: "县区代码 county code, e.g. 330326" });
  const regions = h("datalist", { id: "region-codes" },
    Object.entries(REGIONS).map(([code, name]) => h("option", { value: code }, name)));
  const btn = h("button", { type: "submit", class: "primary" }, "提交 File");
  const form = h("form", { class: "apply-form", id: "apply-form", novalidate: true },
    h("p", { class: "muted" }, "只需身份证号：“一证通办”。 Only the ID number is needed; the system finds the household, verifies it and decides."),
    field(bi("身份证号", "ID number"), idNumber, "18 位，末位可为 X · 18 characters, the last may be X"),
    field(bi("渠道", "Channel"), channel),
    field(bi("受理地", "Filed region"), filed, "受理窗口所在县区 the county where it is filed"),
    regions, btn);
  const out = h("div", { id: "apply-result" });
  main.append(h("h1", null, bi("受理申请", "File an application")), form, out);
  if (!ctx.can("apply")) {
    out.appendChild(h("p", { class: "muted" }, "此角色不能受理申请；服务器会拒绝。 This role cannot file applications; the server will refuse."));
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    for (const el of form.querySelectorAll(".invalid")) el.classList.remove("invalid");
    for (const el of form.querySelectorAll(".field-error")) el.remove();
    btn.disabled = true;
    clear(out).appendChild(status("提交中 Filing…"));
    const r = await post("/v1/applications", {
      id_number: typed(idNumber.value), channel: channel.value, filed_region: typed(filed.value),
    });
    btn.disabled = false;
    if (!ctx.alive()) return;
    clear(out);
    if (!r.ok) {
      out.appendChild(problemBox(r.problem));
      for (const e of r.problem.errors) {
        const ctl = form.querySelector("[name=\"" + CSS.escape(String(e && e.field)) + "\"]");
        if (!ctl) continue;
        ctl.classList.add("invalid");
        ctl.closest(".field").appendChild(h("span", { class: "field-error" }, text(e.code) + ": " + text(e.message)));
      }
      return;
    }
    await follow(out, r.data, ctx);
  });
}

// Polls the new application until the system has decided (or the user leaves the view).
async function follow(out, created, ctx) {
  const line = h("p", { class: "progress", id: "apply-progress" });
  const detail = h("div");
  out.append(h("p", { class: "flash" }, "已受理 Filed " + text(created.application_id) + " · 承办地 handled in " +
    regionName(created.handled_region)), line, detail);
  let last = created.status;
  for (let i = 0; i < POLL_MAX; i++) {
    clear(line).append(bi("当前状态", "Status"), " ", badge("st", last, APP_STATUS),
      SETTLED.has(last) ? "" : " … 处理中 processing");
    if (SETTLED.has(last) && i > 0) return;
    await new Promise((res) => setTimeout(res, i === 0 ? 300 : POLL_MS));
    if (!ctx.alive()) return;
    const r = await get("/v1/applications/" + seg(created.application_id));
    if (!ctx.alive()) return;
    if (!r.ok) {
      clear(detail).appendChild(problemBox(r.problem));
      continue;
    }
    last = r.data.status;
    clear(detail).appendChild(renderApplication(r.data, ctx, {
      onReviewed: (next) => {
        clear(line).append(bi("当前状态", "Status"), " ", badge("st", next.status, APP_STATUS));
        clear(detail).appendChild(renderApplication(next, ctx));
      },
    }));
  }
  line.appendChild(h("span", { class: "muted" }, " 仍在处理，请稍后在申请队列查看 still processing; see the queue later"));
}

/* ------------------------------------------------------------------ feeds */


export async function feedsView(main, ctx) {
  const out = h("div", { id: "feeds" });
  main.append(h("h1", null, bi("数据源", "Partner feeds")), out, status());
  const r = await get("/v1/feeds");
  if (!ctx.alive()) return;
  main.lastChild.remove();
  if (!r.ok) {
    out.appendChild(problemBox(r.problem));
    return;
  }
  const items = Array.isArray(r.data.items) ? r.data.items : [];
  out.appendChild(table([
    { title: bi("数据源", "Source"), cell: (f) => label(SOURCES, f.source) },
    { title: bi("已接收记录", "Records accepted"), cell: (f) => h("td", { class: "num" }, text(f.accepted)) },
    { title: bi("批次", "Batches"), cell: (f) => h("td", { class: "num" }, text(f.batches)) },
    { title: bi("最近批次", "Last batch"), cell: (f) => h("code", null, text(f.last_batch_id)) },
    { title: bi("最近时间", "Last batch at"), cell: (f) => when(f.last_batch_at) },
  ], items, { rowAttrs: (f) => ({ dataset: { source: text(f.source), accepted: text(f.accepted) } }) }));
}
