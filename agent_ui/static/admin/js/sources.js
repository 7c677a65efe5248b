// Sources: the configured customer databases (read-only) and a timed test for one customer key.
import { api } from "../../desk/js/api.js";
import { attempt, field, h, messageBox, section, val } from "./ui.js";
import { t } from "/ui/i18n/i18n.js";

function sourcePanel(source) {
  const box = messageBox();
  const out = h("div", { role: "status" });
  const form = h("form", { novalidate: true, class: "grid", "aria-label": source.title }, 
    field({ name: "customer_key", label: t("admin.sources.key"), required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.sources.test"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    attempt(box, form, () => api(`/api/v1/sources/${encodeURIComponent(source.name)}/test`, { method: "POST",
      body: { customer_key: val(form, "customer_key") } }), (r) => out.replaceChildren(
      h("p", { class: r.status === "ok" ? "ok-note" : "form-error" }, t("admin.sources.result", { status: r.status, ms: r.elapsed_ms }),
        r.error ? ` — ${r.error}` : ""),
      h("pre", { class: "snippet", dir: "auto" }, JSON.stringify(r.data, null, 2))));
  };
  return h("section", { class: "panel" }, h("h3", {}, `${source.title} `, h("span", { class: "pill" }, source.name)),
    h("p", { class: "muted small", dir: "ltr" }, [source.kind, source.timeout_ms, source.url].join(" · ")), box, form, out);
}

export async function render() {
  const { sources } = await api("/api/v1/sources");
  return section(t("admin.sources.title"), h("p", { class: "muted" }, t("admin.sources.lead")),
    sources.length ? sources.map(sourcePanel) : h("p", {}, t("admin.sources.none")));
}
