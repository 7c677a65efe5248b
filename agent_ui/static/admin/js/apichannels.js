// API channels: messaging bridges (name, department, webhook URL, active), their inbound token and signing
// secret (shown once, after creation or rotation), and each bridge's webhook delivery log.
import { api } from "../../desk/js/api.js";
import { departmentOptions } from "./config.js";
import { attempt, field, h, messageBox, revealer, section, shownOnce, table, val } from "./ui.js";
import { formatDate, formatTime, t } from "/ui/i18n/i18n.js";

const BASE = "/api/v1/admin/api-channels";
const OUTCOMES = { sent: "admin.api.outcome.sent", retry: "admin.api.outcome.retry", failed: "admin.api.outcome.failed" };
const LOG_COLUMNS = ["admin.api.log.time", "admin.api.log.attempt", "admin.api.log.status", "admin.api.log.outcome",
  "admin.api.log.error"];
const LIST_COLUMNS = ["admin.api.name", "admin.api.department", "admin.api.webhook_url", "admin.api.active"];

function credentials(answer) {
  const items = [];
  if (answer.token) items.push([t("admin.api.token"), answer.token]);
  if (answer.secret) items.push([t("admin.api.secret"), answer.secret]);
  items.push([t("admin.api.inbound_path"), answer.channel.inbound_path]);
  return shownOnce(t("admin.api.shown_once", { name: answer.channel.name }), items);
}

const once = revealer(credentials);

function bridgeFields(bridge, departments) {
  return [
    field({ name: "name", label: t("admin.api.name"), value: bridge.name, required: true, attrs: { autocapitalize: "none" } }),
    field({ name: "department", label: t("admin.api.department"), value: bridge.department || "",
      options: departmentOptions(departments, t("admin.none")) }),
    field({ name: "webhook_url", type: "url", label: t("admin.api.webhook_url"), value: bridge.webhook_url || "", wide: true,
      hint: t("admin.api.webhook_hint"), attrs: { dir: "ltr", spellcheck: "false" } }),
  ];
}

const readBridge = (form) => ({ name: val(form, "name"), department: val(form, "department") || null,
  webhook_url: val(form, "webhook_url") || null });

function deliveryLog(bridge, host, box) {
  return attempt(box, null, () => api(`${BASE}/${bridge.id}/deliveries`), ({ deliveries }) => host.replaceChildren(
    h("h4", {}, t("admin.api.log.title", { name: bridge.name })),
    table(LOG_COLUMNS, deliveries.map((d) => [
      `${formatDate(d.at)} ${formatTime(d.at, { seconds: true })}`, String(d.attempt), d.status_code === null ? "—" : String(d.status_code),
      t(OUTCOMES[d.outcome] || "admin.api.outcome.failed"), h("span", { dir: "auto" }, d.error || "—")]),
    t("admin.api.log.empty"))));
}

function bridgePanel(bridge, departments, reveal) {
  const box = messageBox();
  const log = h("div", { "aria-live": "polite" });
  const rotate = (what) => attempt(box, form, () => api(`${BASE}/${bridge.id}/${what}`, { method: "POST", body: {} }), reveal);
  const form = h("form", { novalidate: true, "aria-label": bridge.name }, box,
    h("div", { class: "grid" }, bridgeFields(bridge, departments),
      field({ name: "active", type: "checkbox", label: t("admin.api.active"), value: bridge.active })),
    h("p", { class: "small" }, t("admin.api.token_hint", { hint: bridge.token_hint })),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "btn primary" }, t("admin.save")),
      h("button", { type: "button", class: "btn", onclick: () => rotate("token") }, t("admin.api.rotate_token")),
      h("button", { type: "button", class: "btn", onclick: () => rotate("secret") }, t("admin.api.rotate_secret")),
      h("button", { type: "button", class: "btn", onclick: () => deliveryLog(bridge, log, box) }, t("admin.api.log.show"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    attempt(box, form, () => api(`${BASE}/${bridge.id}`, { method: "PATCH",
      body: { ...readBridge(form), active: val(form, "active") } }), () => { box.ok(t("admin.saved")); });
  };
  return h("section", { class: ["panel", !bridge.active && "inactive"], "aria-labelledby": `bridge-${bridge.id}` },
    h("h3", { id: `bridge-${bridge.id}`, dir: "auto" }, bridge.name), form, log);
}

export async function render({ state, reload }) {
  const { channels } = await api(BASE);
  // A bridge just added is drawn with the section again, and its credentials are shown once, here.
  const revealed = once.area();
  const addBox = messageBox();
  const add = h("form", { novalidate: true, "aria-labelledby": "bridge-new" }, addBox,
    h("div", { class: "grid" }, bridgeFields({}, state.departments)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.api.add"))));
  add.onsubmit = (event) => {
    event.preventDefault();
    attempt(addBox, add, () => api(BASE, { method: "POST", body: readBridge(add) }), (answer) => { once.later(answer); reload(); });
  };
  const names = Object.fromEntries(state.departments.map((d) => [d.slug, d.name]));
  return section(t("admin.api.title"), revealed,
    h("section", { class: "panel" }, h("h3", { id: "bridge-new" }, t("admin.api.new")), add),
    h("section", { class: "panel", "aria-labelledby": "bridge-list" }, h("h3", { id: "bridge-list" }, t("admin.api.list")),
      table(LIST_COLUMNS, channels.map((c) => [h("span", { dir: "auto" }, c.name), c.department ? names[c.department] || c.department : "—",
        h("bdi", {}, c.webhook_url || "—"), c.active ? t("admin.api.yes") : t("admin.api.no")]), t("admin.api.empty"))),
    channels.map((c) => bridgePanel(c, state.departments, revealed.reveal)));
}
