// The change log: every admin change (who, when, what, before -> after), filtered by user, object and time.
import { api } from "../../desk/js/api.js";
import { attempt, field, h, messageBox, section, val } from "./ui.js";
import { t } from "/ui/i18n/i18n.js";

const OBJECTS = ["config", "department", "queue", "user", "source", "customer", "conversation", "audit"];
const brief = (value) => (value === null || value === undefined ? "—" : JSON.stringify(value));

export async function render({ state }) {
  const box = messageBox();
  const tbody = h("tbody");
  const { users } = await api("/api/v1/users");
  const form = h("form", { novalidate: true, "aria-labelledby": "audit-title" }, box,
    h("div", { class: "grid" },
      field({ name: "user", label: t("admin.audit.user"), options: [["", "—"], ...users.map((u) => [u.id, u.username])] }),
      field({ name: "object", label: t("admin.audit.object"), options: [["", "—"], ...OBJECTS.map((o) => [o, o])] }),
      field({ name: "since", type: "datetime-local", label: t("admin.audit.since") }),
      field({ name: "until", type: "datetime-local", label: t("admin.audit.until") })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.audit.filter"))));
  const load = () => attempt(box, form, () => api("/api/v1/audit", { query: {
    user_id: val(form, "user"), object_type: val(form, "object"),
    since: val(form, "since") && new Date(val(form, "since")).toISOString(),
    until: val(form, "until") && new Date(val(form, "until")).toISOString() } }), ({ entries }) => tbody.replaceChildren(
    ...(entries.length ? entries.map((c) => h("tr", {},
      h("td", {}, new Date(c.at).toLocaleString()), h("td", {}, c.username || "—"),
      h("td", {}, `${c.object_type || ""} ${c.object_id || ""} · ${c.action}`),
      h("td", { class: "small", dir: "auto" }, h("details", {}, h("summary", {}, t("admin.audit.change")),
        h("pre", { class: "snippet" }, `${brief(c.before)}\n→\n${brief(c.after)}`)))))
      : [h("tr", {}, h("td", { colspan: 4 }, t("admin.audit.empty")))])));
  form.onsubmit = (event) => { event.preventDefault(); load(); };
  load();
  return section(t("admin.audit.title"), h("section", { class: "panel" }, h("h3", { id: "audit-title", class: "sr-only" }, t("admin.audit.title")),
    form, h("table", { class: "list" }, h("thead", {}, h("tr", {}, ["admin.audit.when", "admin.audit.user", "admin.audit.what",
      "admin.audit.change"].map((k) => h("th", { scope: "col" }, t(k))))), tbody)));
}
