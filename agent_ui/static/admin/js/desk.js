// Desk settings: canned responses (per department, with {customer} and {agent}), wrap-up codes, away reasons.
import { loadConfig, saveSection } from "./config.js";
import { api } from "../../desk/js/api.js";
import { attempt, field, h, lines, messageBox, section, val } from "./ui.js";
import { t } from "/ui/i18n/i18n.js";

function rows(items, columns, empty) {
  const tbody = h("tbody");
  const add = (item) => {
    const row = h("tr", {}, columns.map(([name, label, kind]) => h("td", {},
      kind === "textarea" ? Object.assign(h("textarea", { name, "aria-label": label, rows: 2, dir: "auto" }), { value: item[name] ?? "" })
        : h("input", { name, "aria-label": label, value: Array.isArray(item[name]) ? item[name].join(", ") : item[name] ?? "", dir: "auto" }))),
    h("td", {}, h("button", { type: "button", class: "btn icon", "aria-label": t("admin.remove"), onclick: () => row.remove() }, "×")));
    tbody.append(row);
    return row;
  };
  items.forEach(add);
  const table = h("table", { class: "list" }, h("thead", {}, h("tr", {}, columns.map(([, label]) => h("th", { scope: "col" }, label)), h("th"))), tbody);
  const button = h("button", { type: "button", class: "btn", onclick: () => add(empty).querySelector("input,textarea").focus() }, t("admin.add"));
  const read = () => [...tbody.rows].map((row) => Object.fromEntries(columns.map(([name]) => [name, row.querySelector(`[name=${name}]`).value.trim()])));
  return { table, button, read };
}

export async function render() {
  const [desk, current] = await Promise.all([api("/api/v1/desk/config"), loadConfig()]);
  const stored = current.sections.desk || {};
  const canned = rows(desk.canned_responses, [["id", t("admin.desk.canned_id")], ["title", t("admin.desk.canned_title")],
    ["text", t("admin.desk.canned_text"), "textarea"], ["departments", t("admin.desk.canned_departments")]], { id: "", title: "", text: "" });
  const codes = rows(desk.dispositions, [["code", t("admin.desk.code")], ["label", t("admin.desk.label")]], { code: "", label: "" });
  const box = messageBox();
  const form = h("form", { novalidate: true, "aria-labelledby": "desk-title" }, box,
    h("h4", {}, t("admin.desk.canned", { customer: "{customer}", agent: "{agent}" })), canned.table, canned.button,
    h("h4", {}, t("admin.desk.dispositions")), codes.table, codes.button,
    h("div", { class: "grid" }, field({ name: "away_reasons", label: t("admin.desk.away"), rows: 4,
      value: desk.away_reasons.join("\n") })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.save"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    const value = { ...stored,
      canned_responses: canned.read().map((c) => ({ ...c, departments: lines(c.departments) })),
      dispositions: codes.read(), away_reasons: val(form, "away_reasons").split("\n").map((s) => s.trim()).filter(Boolean) };
    attempt(box, form, () => saveSection("desk", value), () => box.ok(t("admin.saved")));
  };
  return section(t("admin.desk.title"), h("section", { class: "panel" }, h("h3", { id: "desk-title" }, t("admin.desk.title")), form));
}
