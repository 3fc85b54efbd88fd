// views_queues.js — the two work queues: open alerts (acknowledge, resolve) and applications
// waiting for a reviewer (decisions with their clauses, history, approve or reject).

import { get, money, post, seg, withQuery } from "./api.js";
import {
  ALERT_KINDS, ALERT_STATUS, APP_STATUS, CHANNELS, ORIGINS, SEVERITY, addRows, badge, bi, clear,
  evidence, explanation, facts, field, h, label, moreButton, policyLabel, problemBox, regionLabel,
  select, status, table, text, when,
} from "./ui.js";

// Filters survive moving between views (not reloads: nothing is stored).
const alertFilter = { status: "open", kind: "", region: "" };
const appFilter = { status: "pending_review", region: "" };

function flash(box, msg) {
  clear(box).appendChild(h("p", { class: "flash" }, msg));
}

function householdButton(ctx, id) {
  if (!id) return text(id);
  return h("button", {
    type: "button", class: "link", title: "打开家庭 Open household",
    onclick: (ev) => {
      ev.stopPropagation();
      ctx.go("household", id);
    },
  }, id);
}

/* ------------------------------------------------------------------ alerts */

export async function alertsView(main, ctx) {
  const statusSel = select("status", Object.entries(ALERT_STATUS).map(([k, v]) => [k, v + " " + k]), alertFilter.status);
  const kindSel = select("kind", [["", "全部 all kinds"], ...Object.entries(ALERT_KINDS).map(([k, v]) => [k, v + " " + k])],
    alertFilter.kind);
  const region = h("input", { name: "region", value: alertFilter.region, title: "县区代码或前缀 county code or prefix: 330326, 3303", size: 10, inputmode: "numeric" });
  const form = h("form", { class: "filters", id: "alert-filters" },
    field(bi("状态", "Status"), statusSel), field(bi("类型", "Kind"), kindSel), field(bi("辖区", "Region"), region),
    h("button", { type: "submit" }, "查询 Search"));
  const msg = h("div", { class: "messages", id: "alert-messages" });
  const list = h("div", { id: "alert-list" });
  main.append(h("h1", null, bi("预警队列", "Alerts queue")), form, msg, list);

  const load = async () => {
    alertFilter.status = statusSel.value;
    alertFilter.kind = kindSel.value;
    alertFilter.region = region.value.trim();
    clear(list).appendChild(status());
    const path = withQuery("/v1/alerts", { ...alertFilter, limit: 50 });
    const r = await get(path);
    if (!ctx.alive()) return;
    clear(list);
    if (!r.ok) {
      list.appendChild(problemBox(r.problem));
      return;
    }
    renderAlerts(list, r.data, path, ctx, msg, load);
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    clear(msg);
    load();
  });
  await load();
}

function renderAlerts(list, data, path, ctx, msg, reload) {
  const items = data.items || [];
  if (!items.length) {
    list.appendChild(h("p", { class: "empty" }, "没有预警 No alerts match."));
    return;
  }
  const cols = [
    { title: bi("编号", "ID"), cell: (a) => h("code", null, text(a.alert_id)) },
    { title: bi("类型", "Kind"), cell: (a) => label(ALERT_KINDS, a.kind) },
    { title: bi("级别", "Severity"), cell: (a) => badge("sev", a.severity, SEVERITY) },
    { title: bi("家庭", "Household"), cell: (a) => householdButton(ctx, a.household_id) },
    { title: bi("辖区", "Region"), cell: (a) => regionLabel(a.region) },
    { title: bi("发现时间", "Raised"), cell: (a) => when(a.raised_at) },
    { title: bi("说明", "Detail"), cell: (a) => h("span", { class: "detail-text" }, text(a.detail)) },
    { title: bi("状态", "Status"), cell: (a) => badge("st", a.status, ALERT_STATUS) },
  ];
  const opts = {
    rowAttrs: (a) => ({ dataset: { alert: text(a.alert_id), kind: text(a.kind), household: text(a.household_id) } }),
    click: (a, tr) => toggleDetail(tr, cols.length, () => alertDetail(a, ctx, msg, reload)),
  };
  const t = table(cols, items, opts);
  list.append(h("p", { class: "count" }, items.length + " 条 shown"), t);
  const more = (cursor) => moreButton(cursor, async (c) => {
    const r = await get(path + "&cursor=" + encodeURIComponent(c));
    if (!r.ok) {
      list.appendChild(problemBox(r.problem));
      return;
    }
    addRows(t, cols, r.data.items || [], opts);
    const b = more(r.data.next_cursor);
    if (b) list.appendChild(b);
  });
  const b = more(data.next_cursor);
  if (b) list.appendChild(b);
}

// Opens (or closes) a detail row under tr.
function toggleDetail(tr, span, build) {
  const next = tr.nextElementSibling;
  if (next && next.classList.contains("detail-row")) {
    next.remove();
    tr.classList.remove("open");
    return;
  }
  tr.classList.add("open");
  const td = h("td", { colspan: span });
  tr.after(h("tr", { class: "detail-row" }, td));
  const r = build();
  if (r instanceof Promise) {
    td.appendChild(status());
    r.then((node) => clear(td).appendChild(node));
  } else td.appendChild(r);
}

function alertDetail(a, ctx, msg, reload) {
  const out = h("div", { class: "problems" });
  const box = h("div", { class: "detail alert-detail" },
    h("div", { class: "cols" },
      h("section", null, h("h3", null, bi("证据", "Evidence")), evidence(a.evidence)),
      h("section", null, h("h3", null, bi("已采取措施", "Actions")),
        Array.isArray(a.actions) && a.actions.length
          ? h("ul", { class: "actions" }, a.actions.map((x) => h("li", null, text(x))))
          : h("p", { class: "muted" }, "none 无")),
      h("section", null, h("h3", null, bi("处理情况", "Handling")),
        facts([
          [bi("身份证号", "ID number"), a.id_number],
          [bi("更新时间", "Updated"), when(a.updated_at)],
          [bi("备注", "Note"), a.note],
          [bi("结果", "Outcome"), a.outcome],
        ]))));
  const act = async (verb, body) => {
    const r = await post("/v1/alerts/" + seg(a.alert_id) + "/" + verb, body);
    if (!r.ok) {
      clear(out).appendChild(problemBox(r.problem));
      return;
    }
    flash(msg, (verb === "acknowledge" ? "已签收 Acknowledged " : "已办结 Resolved ") + text(a.alert_id));
    await reload();
  };
  if (a.status === "open" && ctx.can("acknowledge")) {
    const note = h("input", { name: "note", size: 40 });
    const f = h("form", { class: "inline-form ack-form" }, field(bi("签收备注", "Note"), note),
      h("button", { type: "submit", class: "primary" }, "签收 Acknowledge"));
    f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      act("acknowledge", { note: note.value });
    });
    box.appendChild(f);
  }
  if (a.status !== "resolved" && ctx.can("resolve")) {
    const outcome = h("input", { name: "outcome", list: "alert-outcomes", title: "assisted / no_action / referred / false_alarm", size: 24 });
    const note = h("input", { name: "note", size: 40 });
    const f = h("form", { class: "inline-form resolve-form" },
      field(bi("结果", "Outcome"), outcome), field(bi("办结备注", "Note"), note),
      h("datalist", { id: "alert-outcomes" },
        ["assisted", "no_action", "referred", "false_alarm"].map((v) => h("option", { value: v }))),
      h("button", { type: "submit" }, "办结 Resolve"));
    f.addEventListener("submit", (ev) => {
      ev.preventDefault();
      act("resolve", { outcome: outcome.value, note: note.value });
    });
    box.appendChild(f);
  }
  box.appendChild(out);
  return box;
}

/* ------------------------------------------------------------------ applications */

export async function applicationsView(main, ctx) {
  const statusSel = select("status", [["", "全部 all"], ...Object.entries(APP_STATUS).map(([k, v]) => [k, v + " " + k])],
    appFilter.status);
  const region = h("input", { name: "region", value: appFilter.region, title: "县区代码或前缀 county code or prefix: 330326, 3303", size: 10, inputmode: "numeric" });
  const form = h("form", { class: "filters", id: "app-filters" },
    field(bi("状态", "Status"), statusSel), field(bi("承办地", "Handled in"), region),
    h("button", { type: "submit" }, "查询 Search"));
  const list = h("div", { id: "app-list" });
  main.append(h("h1", null, bi("申请审核", "Applications queue")), form, list);

  const load = async () => {
    appFilter.status = statusSel.value;
    appFilter.region = region.value.trim();
    clear(list).appendChild(status());
    const path = withQuery("/v1/applications", { ...appFilter, limit: 50 });
    const r = await get(path);
    if (!ctx.alive()) return;
    clear(list);
    if (!r.ok) {
      list.appendChild(problemBox(r.problem));
      return;
    }
    const items = r.data.items || [];
    if (!items.length) {
      list.appendChild(h("p", { class: "empty" }, "队列为空 The queue is empty."));
      return;
    }
    const cols = [
      { title: bi("申请编号", "ID"), cell: (a) => h("code", null, text(a.application_id)) },
      { title: bi("申请人", "Applicant"), cell: (a) => h("span", null, text(a.name), h("br"), h("small", null, text(a.id_number))) },
      { title: bi("家庭", "Household"), cell: (a) => householdButton(ctx, a.household_id) },
      { title: bi("渠道", "Channel"), cell: (a) => label(CHANNELS, a.channel) },
      { title: bi("政策", "Policies"), cell: (a) => policiesOf(a) },
      { title: bi("受理/承办", "Filed → handled"), cell: (a) => h("span", null, regionLabel(a.filed_region), " → ", regionLabel(a.handled_region)) },
      { title: bi("状态", "Status"), cell: (a) => h("td", { class: "status-cell" }, badge("st", a.status, APP_STATUS)) },
      { title: bi("提交时间", "Filed"), cell: (a) => when(a.created_at) },
    ];
    const opts = {
      rowAttrs: (a) => ({ dataset: { application: text(a.application_id), household: text(a.household_id) } }),
      click: (a, tr) => toggleDetail(tr, cols.length, () => applicationDetail(a.application_id, ctx, tr)),
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

function policiesOf(a) {
  const ps = Array.isArray(a.decisions) && a.decisions.length ? a.decisions.map((d) => d.policy) : a.policies || [];
  if (!ps.length) return text(null);
  return h("span", { class: "policies" }, ps.map((p, i) => [i ? ", " : "", policyLabel(p)]));
}

async function applicationDetail(id, ctx, tr) {
  const r = await get("/v1/applications/" + seg(id));
  if (!r.ok) return problemBox(r.problem);
  const holder = h("div");
  const draw = (app, note) => {
    clear(holder).appendChild(renderApplication(app, ctx, {
      note,
      onReviewed: (next) => {
        const cell = tr && tr.querySelector(".status-cell");
        if (cell) clear(cell).appendChild(badge("st", next.status, APP_STATUS));
        draw(next, (next.status === "approved" ? "已批准 Approved " : "未批准 Rejected ") + text(next.application_id));
        const note = holder.querySelector(".flash");
        if (note) note.scrollIntoView({ block: "center" });
      },
    }));
  };
  draw(r.data);
  return holder;
}

// One application in full: what it is, every decision with its clauses, its history, and the
// review form while it is pending review. Used by the queue and by the "file" view.
export function renderApplication(app, ctx, opts = {}) {
  const box = h("div", { class: "detail application", dataset: { application: text(app.application_id), status: text(app.status) } });
  if (opts.note) box.appendChild(h("p", { class: "flash" }, opts.note));
  box.appendChild(facts([
    [bi("申请编号", "Application"), h("code", null, text(app.application_id))],
    [bi("状态", "Status"), badge("st", app.status, APP_STATUS)],
    [bi("申请人", "Applicant"), text(app.name) + " · " + text(app.id_number)],
    [bi("家庭", "Household"), text(app.household_id)],
    [bi("渠道", "Channel"), label(CHANNELS, app.channel)],
    [bi("来源", "Origin"), label(ORIGINS, app.origin)],
    app.case_id ? [bi("主动发现案件", "Case"), app.case_id] : null,
    [bi("受理地", "Filed in"), regionLabel(app.filed_region)],
    [bi("承办地", "Handled in"), regionLabel(app.handled_region)],
    [bi("电话", "Phone"), app.phone],
    [bi("备注", "Note"), app.note],
    [bi("经办", "Filed by"), app.filed_by],
    [bi("核对报告", "Verification"), app.verification_id],
    [bi("批准政策", "Approved"), Array.isArray(app.approved_policies) && app.approved_policies.length
      ? h("span", null, app.approved_policies.map((p, i) => [i ? ", " : "", policyLabel(p)])) : "—"],
  ]));
  const decisions = Array.isArray(app.decisions) ? app.decisions : [];
  box.appendChild(h("h3", null, bi("研判结果", "Decisions")));
  if (!decisions.length) box.appendChild(h("p", { class: "muted" }, "尚无 none yet"));
  box.appendChild(h("div", { class: "decisions" }, decisions.map((d) =>
    h("div", { class: "decision " + (d.eligible ? "eligible" : "ineligible"), dataset: { policy: text(d.policy) } },
      h("div", { class: "decision-head" }, policyLabel(d.policy), " ",
        h("span", { class: "verdict" }, d.eligible ? "符合 eligible" : "不符合 not eligible"), " ",
        d.eligible ? h("span", { class: "money" }, money(d.amount)) : null,
        d.period ? h("span", { class: "muted" }, " / " + d.period) : null,
        d.automatic ? h("span", { class: "muted" }, " · 自动 automatic") : null),
      explanation(d.explanation)))));
  if (app.status === "pending_review" && ctx.can("review")) box.appendChild(reviewForm(app, opts.onReviewed));
  box.appendChild(h("h3", null, bi("办理记录", "History")));
  const hist = Array.isArray(app.history) ? app.history : [];
  box.appendChild(table([
    { title: bi("时间", "At"), cell: (x) => when(x.at) },
    { title: bi("状态", "Status"), cell: (x) => label(APP_STATUS, x.status) },
    { title: bi("经办", "By"), cell: (x) => text(x.by) },
    { title: bi("说明", "Note"), cell: (x) => text(x.note) },
  ], hist));
  if (Array.isArray(app.evidence) && app.evidence.length) {
    box.append(h("h3", null, bi("证据", "Evidence")), evidence(app.evidence));
  }
  return box;
}

function reviewForm(app, onReviewed) {
  const note = h("textarea", { name: "note", rows: 2, cols: 60, maxlength: 1000 });
  const out = h("div");
  const send = async (decision) => {
    for (const b of f.querySelectorAll("button")) b.disabled = true;
    const r = await post("/v1/applications/" + seg(app.application_id) + "/review", { decision, note: note.value });
    for (const b of f.querySelectorAll("button")) b.disabled = false;
    if (!r.ok) {
      clear(out).appendChild(problemBox(r.problem));
      return;
    }
    if (onReviewed) onReviewed(r.data);
  };
  const f = h("form", { class: "review-form" },
    h("h3", null, bi("审核", "Review")),
    field(bi("审核意见", "Note"), note),
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "primary approve", onclick: () => send("approve") }, "批准 Approve"),
      h("button", { type: "button", class: "danger reject", onclick: () => send("reject") }, "不予批准 Reject")),
    out);
  f.addEventListener("submit", (ev) => ev.preventDefault());
  return f;
}
