// views_keys.js — API keys, for an admin: who may call, in which role and regions or sources,
// until when; a new key's secret shown the once the API shows it; a key stopped at once.

import { del, get, post, seg, session } from "./api.js";
import { REGIONS, ROLES, SOURCES, addRows, bi, clear, field, h, label, moreButton, problemBox, select, status, table, text, when } from "./ui.js";

const columns = (onDelete) => [
  { title: bi("编号", "Id"), cell: (k) => h("code", null, text(k.id)) },
  { title: bi("名称", "Name"), cell: (k) => text(k.name) },
  { title: bi("角色", "Role"), cell: (k) => label(ROLES, k.role) },
  { title: bi("辖区 / 数据源", "Regions / sources"),
    cell: (k) => text([...(k.regions || []), ...(k.sources || [])].join(", ")) },
  { title: bi("创建", "Created"), cell: (k) => when(k.created_at) },
  { title: bi("到期", "Expires"), cell: (k) => (k.expires_at ? when(k.expires_at) : bi("永不", "never")) },
  { title: "", cell: (k) => onDelete(k) },
];

// Deleting is two clicks on the same button (no modal dialog): the first arms it for 5 s.
function deleteButton(k, own, onDone) {
  if (own) return h("span", { class: "muted" }, bi("当前密钥", "this key"));
  const b = h("button", { type: "button", class: "danger", dataset: { key: k.id } }, "停用 Delete");
  let armed = null;
  b.addEventListener("click", async () => {
    if (!armed) {
      b.textContent = "确认停用 Confirm";
      armed = setTimeout(() => { armed = null; b.textContent = "停用 Delete"; }, 5000);
      return;
    }
    clearTimeout(armed);
    b.disabled = true;
    const r = await del("/v1/keys/" + seg(k.id));
    onDone(k, r);
  });
  return b;
}

export async function keysView(main, ctx) {
  const out = h("div", { id: "keys" });
  const created = h("div", { id: "key-created" });
  const role = select("role", Object.entries(ROLES).map(([v, zh]) => [v, zh + " " + v]), "caseworker");
  // what the form goes back to after each key: never admin by accident
  role.querySelector('option[value="caseworker"]').defaultSelected = true;
  const form = h("form", { class: "filters", id: "key-form" },
    field(bi("名称", "Name"), h("input", { name: "name", required: true, size: 24 })),
    field(bi("角色", "Role"), role),
    // what to type is said beside the box (a hint that stays while one types), with the codes
    field(bi("辖区", "Regions"), h("input", { name: "regions", size: 16,
      title: "办事员、审核员必填 required for caseworker and reviewer: " + Object.keys(REGIONS).join(" ") }),
      "例 e.g. 330326, 3303"),
    field(bi("数据源", "Sources"), h("input", { name: "sources", size: 16,
      title: "数据提供部门必填 required for partner: " + Object.keys(SOURCES).join(" ") }),
      "例 e.g. medical, hrss"),
    field(bi("到期 (UTC)", "Expires (UTC)"), h("input", { name: "expires", type: "datetime-local" })),
    h("button", { type: "submit" }, "新建 Create"));
  main.append(h("h1", null, bi("密钥", "API keys")), form, created, out);
  const list = (v) => v.split(/[\s,]+/).filter(Boolean);
  const ownId = (/^sais_([0-9a-f]+)_/.exec(session.key() || "") || [])[1];
  let grid = null;

  const removed = (k, r) => {
    const tr = out.querySelector('tr[data-key="' + CSS.escape(k.id) + '"]');
    if (r.ok) tr && tr.remove();
    else out.prepend(problemBox(r.problem));
  };
  const load = async (cursor) => {
    if (!cursor) clear(out).appendChild(status());
    const r = await get("/v1/keys?limit=100" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
    if (!ctx.alive()) return;
    if (!cursor) clear(out);
    if (!r.ok) {
      out.appendChild(problemBox(r.problem));
      return;
    }
    const items = Array.isArray(r.data.items) ? r.data.items : [];
    const cols = columns((k) => deleteButton(k, k.id === ownId, removed));
    const attrs = { rowAttrs: (k) => ({ dataset: { key: k.id, role: text(k.role), expires: k.expires_at || "" } }) };
    if (!cursor || !grid) {
      grid = table(cols, items, attrs);
      out.appendChild(grid);
    } else {
      addRows(grid, cols, items, attrs);
    }
    const more = moreButton(r.data.next_cursor, load);
    if (more) out.appendChild(more);
  };

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = { name: f.get("name"), role: f.get("role") };
    if (list(f.get("regions")).length) body.regions = list(f.get("regions"));
    if (list(f.get("sources")).length) body.sources = list(f.get("sources"));
    if (f.get("expires")) body.expires_at = f.get("expires").length === 16 ? f.get("expires") + ":00Z" : f.get("expires") + "Z";
    const r = await post("/v1/keys", body);
    if (!ctx.alive()) return;
    clear(created);
    if (!r.ok) {
      created.appendChild(problemBox(r.problem));
      return;
    }
    // the secret exists only here: the API never shows it again and stores only its hash
    created.appendChild(h("div", { class: "flash", role: "status" },
      bi("新密钥（仅显示这一次，请交给持有人）", "The new key, shown this once: hand it to its holder"), " ",
      h("code", { class: "secret", id: "new-secret" }, text(r.data.key))));
    form.reset();
    await load();
  });
  await load();
}
