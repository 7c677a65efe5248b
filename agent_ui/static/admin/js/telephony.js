// Telephony: PBX connections (tokens shown once, rotated with an overlap), blocked numbers.
import { api } from "../../desk/js/api.js";
import { departmentOptions, loadConfig, saveSection } from "./config.js";
import { attempt, field, h, lines, messageBox, revealer, section, toast, val } from "./ui.js";
import { t } from "/ui/i18n/i18n.js";

function shownOnce(answer) {
  return h("div", { class: "panel", role: "alert" },
    h("p", {}, t("admin.tel.shown_once")),
    h("p", { class: "secret", tabindex: "0" }, answer.hook_url));
}

const once = revealer(shownOnce);

function tokenList(pbx) {
  return h("ul", { class: "small" }, (pbx.tokens || []).map((tok) => h("li", {}, t("admin.tel.token_hint", {
    hint: tok.hint, expiry: tok.expires_at ? t("admin.tel.expires", { time: new Date(tok.expires_at * 1000).toLocaleString() })
      : t("admin.tel.current") }))));
}

function optionFields(pbx, departments) {
  return [
    field({ name: "default_department", label: t("admin.tel.default_department"), value: pbx.default_department || "",
      options: departmentOptions(departments, t("admin.none")) }),
    field({ name: "route_inbound", type: "checkbox", label: t("admin.tel.route_inbound"), value: pbx.route_inbound,
      hint: t("admin.tel.route_inbound_hint") }),
    field({ name: "voicemail_names", label: t("admin.tel.voicemail_names"), value: (pbx.voicemail_names || ["voicemail"]).join(", ") }),
    field({ name: "default_caller_id", label: t("admin.tel.default_caller_id"), type: "tel", value: pbx.default_caller_id }),
    field({ name: "caller_id_routes", label: t("admin.tel.caller_id_routes"), rows: 3, wide: true, hint: t("admin.tel.caller_id_hint"),
      value: (pbx.caller_id_routes || []).map((r) => `${r.dest} = ${r.caller_id}`).join("\n") }),
  ];
}

function readOptions(form) {
  const routes = val(form, "caller_id_routes").split("\n").map((line) => line.split("=").map((s) => s.trim()))
    .filter(([dest]) => dest).map(([dest, caller_id]) => ({ dest, caller_id: caller_id || "" }));
  const out = { default_department: val(form, "default_department") || null, route_inbound: val(form, "route_inbound"),
    voicemail_names: lines(val(form, "voicemail_names")), caller_id_routes: routes };
  if (val(form, "default_caller_id")) out.default_caller_id = val(form, "default_caller_id");
  return out;
}

function pbxPanel(pbx, all, departments, reveal, reload) {
  const box = messageBox();
  const form = h("form", { novalidate: true, "aria-label": pbx.name }, box,
    h("div", { class: "grid" },
      optionFields(pbx, departments),
      field({ name: "overlap_hours", type: "number", label: t("admin.tel.overlap"), value: 24, attrs: { min: 0, max: 720 } })),
    h("div", {}, h("h4", {}, t("admin.tel.tokens")), tokenList(pbx)),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "btn primary" }, t("admin.save")),
      h("button", { type: "button", class: "btn", onclick: () => attempt(box, form, () => api(
        `/api/v1/config/pbx/${encodeURIComponent(pbx.name)}/rotate`, { method: "POST",
          body: { overlap_seconds: Math.round(Number(val(form, "overlap_hours") || 0) * 3600) } }), (answer) => reveal(answer)) },
      t("admin.tel.rotate"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    const value = all.map(({ tokens, ...p }) => p).map((p) => {
      if (p.name !== pbx.name) return p;
      const { default_caller_id, ...rest } = p;
      return { ...rest, ...readOptions(form) };
    });
    attempt(box, form, () => saveSection("pbx", value), () => box.ok(t("admin.saved")));
  };
  return h("section", { class: "panel", "aria-label": pbx.name }, h("h3", {}, pbx.name), form);
}

export async function render({ state, reload }) {
  const config = (await loadConfig()).sections;
  const pbxs = config.pbx || [];
  const telephony = config.telephony || {};
  // A PBX just added is drawn with the section again, and its token is shown once, here.
  const revealed = once.area();

  const addBox = messageBox();
  const add = h("form", { novalidate: true, "aria-labelledby": "pbx-new" }, addBox,
    h("div", { class: "grid" },
      field({ name: "name", label: t("admin.tel.pbx_name"), required: true, attrs: { autocapitalize: "none" } }),
      optionFields({}, state.departments)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.tel.add"))));
  add.onsubmit = (event) => {
    event.preventDefault();
    attempt(addBox, add, () => api("/api/v1/config/pbx", { method: "POST", body: { name: val(add, "name"),
      ...readOptions(add) } }), (answer) => { once.later(answer); reload(); });
  };

  const setBox = messageBox();
  const settings = h("form", { novalidate: true, "aria-labelledby": "tel-settings" }, setBox,
    h("div", { class: "grid" }, field({ name: "blocked_numbers", label: t("admin.tel.blocked"), rows: 4, wide: true,
      value: (telephony.blocked_numbers || []).join("\n") })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.save"))));
  settings.onsubmit = (event) => {
    event.preventDefault();
    attempt(setBox, settings, () => saveSection("telephony", { ...telephony, blocked_numbers: lines(val(settings, "blocked_numbers")) }),
      () => toast(t("admin.saved")));
  };
  return section(t("admin.tel.title"), revealed,
    h("section", { class: "panel" }, h("h3", { id: "pbx-new" }, t("admin.tel.pbxs")), add),
    pbxs.map((p) => pbxPanel(p, pbxs, state.departments, revealed.reveal, reload)),
    h("section", { class: "panel" }, h("h3", { id: "tel-settings" }, t("admin.tel.settings")), settings));
}
