// Routing: the rule table edited in place (validated on save exactly as at start-up) and "try it".
import { api } from "../../desk/js/api.js";
import { loadConfig, saveSection } from "./config.js";
import { attempt, field, h, messageBox, section, val } from "./ui.js";
import { t } from "/ui/i18n/i18n.js";
import { channelList } from "../../desk/js/channels.js";

const LIST_OPS = ["in", "contains_any", "starts_with"];
const COLUMNS = ["admin.routing.col.name", "admin.routing.col.field", "admin.routing.col.operator", "admin.routing.col.value",
  "admin.routing.col.department", "admin.routing.col.priority", "admin.routing.col.channels"];
const NUMBER_OPS = ["gte", "lte", "gt", "lt"];

const show = (value) => (Array.isArray(value) ? value.join(", ") : value === undefined ? "" : String(value));

function parseValue(operator, text) {
  if (LIST_OPS.includes(operator)) return text.split(",").map((s) => s.trim()).filter(Boolean);
  if (NUMBER_OPS.includes(operator)) return text.trim() === "" ? text : Number(text);
  if (text === "true" || text === "false") return text === "true";
  return text;
}

function ruleRow(rule, meta, table) {
  const select = (name, items, value, label) => h("select", { name, "aria-label": label },
    items.map(([v, l]) => h("option", { value: v, selected: String(v) === String(value ?? "") }, l)));
  const row = h("tr", {},
    h("td", {}, h("input", { name: "name", value: rule.name || "", "aria-label": t("admin.routing.col.name"), dir: "auto" })),
    h("td", {}, select("field", meta.fields.map((f) => [f, f]), rule.field, t("admin.routing.col.field"))),
    h("td", {}, select("operator", meta.operators.map((o) => [o, o]), rule.operator, t("admin.routing.col.operator"))),
    h("td", {}, h("input", { name: "value", value: show(rule.value), "aria-label": t("admin.routing.col.value"), dir: "auto" })),
    h("td", {}, select("department", [["", "—"], ...meta.departments.map((d) => [d, d])], rule.department,
      t("admin.routing.col.department"))),
    h("td", {}, h("input", { name: "priority", type: "number", value: rule.priority ?? "", "aria-label": t("admin.routing.col.priority") })),
    h("td", {}, h("input", { name: "channels", value: show(rule.channels ?? rule.channel), "aria-label": t("admin.routing.col.channels") })),
    h("td", { class: "row-actions" },
      h("button", { type: "button", class: "btn icon", "aria-label": t("admin.routing.up"), onclick: () => {
        if (row.previousElementSibling) row.previousElementSibling.before(row);
        row.querySelector("[name=name]").focus();
      } }, "↑"),
      h("button", { type: "button", class: "btn icon", "aria-label": t("admin.routing.down"), onclick: () => {
        if (row.nextElementSibling) row.nextElementSibling.after(row);
        row.querySelector("[name=name]").focus();
      } }, "↓"),
      h("button", { type: "button", class: "btn icon", "aria-label": t("admin.remove"), onclick: () => {
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        next?.querySelector("[name=name]")?.focus();
      } }, "×")));
  row.rule = rule;
  return row;
}

function readRules(tbody) {
  return [...tbody.rows].map((row) => {
    const get = (name) => row.querySelector(`[name=${name}]`).value.trim();
    const rule = { ...(row.rule || {}) };
    delete rule.channel;
    Object.assign(rule, { field: get("field"), operator: get("operator") });
    if (get("name")) rule.name = get("name"); else delete rule.name;
    if (rule.operator === "exists" && get("value") === "") rule.value = true;
    else rule.value = parseValue(rule.operator, get("value"));
    if (get("department")) rule.department = get("department"); else delete rule.department;
    if (get("priority")) rule.priority = Number(get("priority")); else delete rule.priority;
    const channels = get("channels").split(",").map((s) => s.trim()).filter(Boolean);
    if (channels.length) rule.channels = channels; else delete rule.channels;
    return rule;
  });
}

function tryBox(tbody) {
  const box = messageBox();
  const out = h("div", { role: "status" });
  const form = h("form", { novalidate: true, "aria-labelledby": "try-title" }, box,
    h("p", { class: "muted" }, t("admin.routing.try_lead")),
    h("div", { class: "grid" },
      field({ name: "channel", label: t("admin.try.channel"), options: channelList().map((c) => [c.name, c.label]) }),
      field({ name: "to", label: t("admin.try.to") }), field({ name: "from", label: t("admin.try.from") }),
      field({ name: "subject", label: t("admin.try.subject") }), field({ name: "chat_topic", label: t("admin.try.topic") }),
      field({ name: "dtmf", label: t("admin.try.dtmf") }),
      field({ name: "body", label: t("admin.try.body"), rows: 3, wide: true }),
      field({ name: "known", type: "checkbox", label: t("admin.try.known") }),
      field({ name: "open_complaint", type: "checkbox", label: t("admin.try.complaint") }),
      field({ name: "overdue", type: "number", label: t("admin.try.overdue") }),
      field({ name: "lifetime_value", type: "number", label: t("admin.try.ltv") })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.routing.run"))), out);
  form.onsubmit = (event) => {
    event.preventDefault();
    const body = { rules: readRules(tbody), customer: { known: val(form, "known"), open_complaint: val(form, "open_complaint"),
      overdue: val(form, "overdue"), lifetime_value: val(form, "lifetime_value") } };
    for (const name of ["channel", "to", "from", "subject", "chat_topic", "dtmf", "body"]) body[name] = val(form, name);
    attempt(box, form, () => api("/api/v1/routing/try", { method: "POST", body }), (r) => out.replaceChildren(
      h("p", { class: "ok-note" }, h("strong", {}, t("admin.routing.result", { department: r.department, priority: r.priority }))),
      h("p", { dir: "auto" }, t("admin.routing.why", { reason: r.reason })),
      h("ul", {}, r.rules.map((rule) => h("li", {}, t("admin.routing.fired", { number: rule.number, name: rule.name || "",
        effect: rule.department || `${t("admin.routing.col.priority")} ${rule.priority}` })))),
      r.hours && h("p", {}, t("admin.routing.hours", { why: r.hours.why, action: r.hours.action }))));
  };
  return h("section", { class: "panel" }, h("h3", { id: "try-title" }, t("admin.routing.try")), form);
}

export async function render() {
  const [meta, config] = await Promise.all([api("/api/v1/routing/rules"), loadConfig()]);
  const routing = config.sections.routing || {};
  const tbody = h("tbody", {}, meta.rules.map((rule) => ruleRow(rule, meta, null)));
  const box = messageBox();
  const form = h("form", { novalidate: true, "aria-labelledby": "rules-title" }, box,
    h("div", { class: "grid" }, field({ name: "default_department", label: t("admin.routing.default_department"),
      value: meta.default_department, options: meta.departments.map((d) => [d, d]) })),
    h("div", { class: "table-scroll" }, h("table", { class: "list", "data-field": "rules" },
      h("thead", {}, h("tr", {}, COLUMNS.map((key) => h("th", { scope: "col" }, t(key))), h("th", {}))), tbody)),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "btn", onclick: () => {
        const row = ruleRow({ field: "text", operator: "contains_any", value: [] }, meta, null);
        tbody.append(row);
        row.querySelector("[name=name]").focus();
      } }, t("admin.routing.add_rule")),
      h("button", { type: "submit", class: "btn primary" }, t("admin.save"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    const value = { ...routing, rules: readRules(tbody), default_department: val(form, "default_department") };
    attempt(box, form, () => saveSection("routing", value), () => box.ok(t("admin.saved")));
  };
  return section(t("admin.routing.title"),
    h("section", { class: "panel" }, h("h3", { id: "rules-title" }, t("admin.routing.rules")), form), tryBox(tbody));
}
