// Departments: create, rename, numbers, address, SLA target, opening hours, wrap-up after calls
// (after-call work time, a required outcome, the outcome codes), deactivate; their queues.
import { api } from "../../desk/js/api.js";
import { attempt, field, h, lines, messageBox, section, toast, val } from "./ui.js";
import { t } from "/ui/i18n/i18n.js";
import { CHANNEL_NAME } from "../../desk/js/channels.js";

const DAYS = {
  mon: "admin.day.mon", tue: "admin.day.tue", wed: "admin.day.wed", thu: "admin.day.thu", fri: "admin.day.fri",
  sat: "admin.day.sat", sun: "admin.day.sun",
};
const OUT_OF_HOURS = [["queue", "admin.dep.ooh.queue"], ["voicemail", "admin.dep.ooh.voicemail"],
  ["reject", "admin.dep.ooh.reject"]];
const STRATEGIES = ["longest_idle", "round_robin", "least_occupied", "best_skill"];

function hoursFields(hours = {}) {
  const weekly = hours.weekly || {};
  return h("fieldset", { class: "field wide" }, h("legend", {}, t("admin.dep.hours")),
    h("div", { class: "grid" },
      field({ name: "always_open", type: "checkbox", label: t("admin.dep.always_open"), value: !hours.weekly }),
      field({ name: "timezone", label: t("admin.dep.timezone"), value: hours.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone }),
      ...Object.entries(DAYS).map(([day, key]) => field({ name: `day_${day}`, label: t(key), hint: t("admin.dep.day_hint"),
        value: (weekly[day] || []).map(([a, b]) => `${a}-${b}`).join(", ") })),
      field({ name: "holidays", label: t("admin.dep.holidays"), rows: 3, value: (hours.holidays || []).join("\n") }),
      field({ name: "out_of_hours", label: t("admin.dep.out_of_hours"), value: hours.out_of_hours || "queue",
        options: OUT_OF_HOURS.map(([action, key]) => [action, t(key)]) }),
      field({ name: "voicemail_number", label: t("admin.dep.voicemail_number"), type: "tel", value: hours.voicemail_number }),
      field({ name: "reject_reason", label: t("admin.dep.reject_reason"), value: hours.reject_reason || "busy",
        options: [["busy", "busy"], ["rejected", "rejected"], ["unavailable", "unavailable"]] })));
}

function readHours(form) {
  const hours = { timezone: val(form, "timezone"), holidays: lines(val(form, "holidays")),
    out_of_hours: val(form, "out_of_hours"), reject_reason: val(form, "reject_reason") };
  if (val(form, "voicemail_number")) hours.voicemail_number = val(form, "voicemail_number");
  if (!val(form, "always_open")) {
    hours.weekly = {};
    for (const day of Object.keys(DAYS)) {
      const ranges = lines(val(form, `day_${day}`)).map((r) => r.split("-").map((s) => s.trim()));
      if (ranges.length) hours.weekly[day] = ranges;
    }
  }
  return hours;
}

function departmentFields(dep = {}) {
  return [
    field({ name: "name", label: t("admin.dep.name"), value: dep.name, required: true }),
    field({ name: "email_address", label: t("admin.dep.email"), type: "email", value: dep.email_address }),
    field({ name: "numbers", label: t("admin.dep.numbers"), hint: t("admin.dep.numbers_hint"), rows: 2,
      value: (dep.numbers || []).join("\n") }),
    field({ name: "phone_number", label: t("admin.dep.phone_number"), type: "tel", value: dep.phone_number }),
    field({ name: "service_level_target", label: t("admin.dep.sla"), type: "number",
      value: dep.service_level_target ? Math.round(dep.service_level_target * 100) : "", attrs: { min: 1, max: 100 } }),
    hoursFields(dep.hours),
    wrapUpFields(dep),
  ];
}

function wrapUpFields(dep) {
  return h("fieldset", { class: "field wide" }, h("legend", {}, t("admin.dep.wrap_up")),
    h("div", { class: "grid" },
      field({ name: "after_call_work_seconds", label: t("admin.dep.acw"), hint: t("admin.dep.acw_hint"), type: "number",
        value: dep.after_call_work_seconds ?? "", attrs: { min: 0, max: 3600 } }),
      field({ name: "outcome_required", type: "checkbox", label: t("admin.dep.outcome_required"),
        value: Boolean(dep.outcome_required) }),
      field({ name: "outcomes", label: t("admin.dep.outcomes"), hint: t("admin.dep.outcomes_hint"), rows: 3,
        value: (dep.outcomes || []).join("\n"), attrs: { autocapitalize: "none", spellcheck: "false", dir: "ltr" } })));
}

function readDepartment(form) {
  return { name: val(form, "name"), email_address: val(form, "email_address") || null,
    numbers: lines(val(form, "numbers")), phone_number: val(form, "phone_number") || null,
    service_level_target: val(form, "service_level_target") || null, hours: readHours(form),
    after_call_work_seconds: val(form, "after_call_work_seconds") === "" ? null : Number(val(form, "after_call_work_seconds")),
    outcome_required: Boolean(val(form, "outcome_required")), outcomes: lines(val(form, "outcomes")) };
}

function queueTable(dep, all, reload) {
  const queues = all.flatMap((d) => d.queues.map((q) => q.slug));
  const box = messageBox();
  const rows = dep.queues.map((q) => {
    const row = h("tr", { dataset: { queue: q.slug } },
      h("th", { scope: "row" }, CHANNEL_NAME[q.channel] || q.channel),
      h("td", {}, h("select", { name: "strategy", "data-field": "strategy", "aria-label": `${q.slug} ${t("admin.queue.strategy")}` },
        STRATEGIES.map((s) => h("option", { value: s, selected: s === q.strategy }, s)))),
      h("td", {}, h("input", { type: "number", name: "service_level_seconds", "data-field": "service_level_seconds", min: 1,
        value: q.service_level_seconds, "aria-label": `${q.slug} ${t("admin.queue.sl")}` })),
      h("td", {}, h("input", { type: "number", name: "offer_timeout_seconds", "data-field": "offer_timeout_seconds", min: 1,
        value: q.offer_timeout_seconds, "aria-label": `${q.slug} ${t("admin.queue.timeout")}` })),
      h("td", {}, h("input", { type: "number", name: "overflow_after_seconds", "data-field": "overflow_after_seconds", min: 1,
        value: q.overflow_after_seconds ?? "", "aria-label": `${q.slug} ${t("admin.queue.overflow_after")}` })),
      h("td", {}, h("select", { name: "overflow_to", "data-field": "overflow_to", "aria-label": `${q.slug} ${t("admin.queue.overflow_to")}` },
        h("option", { value: "" }, t("admin.none")),
        queues.filter((s) => s !== q.slug).map((s) => h("option", { value: s, selected: s === q.overflow_to }, s)))),
      h("td", {}, h("button", { type: "button", class: "btn", onclick: () => attempt(box, row, () => api(`/api/v1/queues/${q.slug}`, {
        method: "PATCH", body: { strategy: val(row, "strategy"), service_level_seconds: val(row, "service_level_seconds"),
          offer_timeout_seconds: val(row, "offer_timeout_seconds"), overflow_after_seconds: val(row, "overflow_after_seconds") || null,
          overflow_to: val(row, "overflow_to") || null } }), () => toast(t("admin.saved"))) }, t("admin.save"))));
    return row;
  });
  return h("div", {}, h("h4", {}, t("admin.dep.queues")), box,
    h("table", { class: "list" }, h("thead", {}, h("tr", {}, ["admin.queue.channel", "admin.queue.strategy", "admin.queue.sl",
      "admin.queue.timeout", "admin.queue.overflow_after", "admin.queue.overflow_to"].map((k) => h("th", { scope: "col" }, t(k))), h("th", {}))),
    h("tbody", {}, rows)));
}

function departmentPanel(dep, all, reload) {
  const box = messageBox();
  const form = h("form", { novalidate: true, "aria-label": dep.name }, box,
    h("div", { class: "grid" }, departmentFields(dep)),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "btn primary" }, t("admin.save")),
      h("button", { type: "button", class: "btn", onclick: () => attempt(box, form, () => api(`/api/v1/departments/${dep.slug}`, {
        method: "PATCH", body: { active: !dep.active } }), reload) }, dep.active ? t("admin.deactivate") : t("admin.activate"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    attempt(box, form, () => api(`/api/v1/departments/${dep.slug}`, { method: "PATCH", body: readDepartment(form) }),
      () => { box.ok(t("admin.saved")); });
  };
  return h("section", { class: ["panel", !dep.active && "inactive"], "aria-labelledby": `dep-${dep.slug}` },
    h("h3", { id: `dep-${dep.slug}` }, `${dep.name} `, h("span", { class: "pill" }, dep.slug),
      !dep.active && h("span", { class: "pill" }, t("admin.inactive"))),
    form, queueTable(dep, all, reload));
}

function newDepartment(reload) {
  const box = messageBox();
  const form = h("form", { novalidate: true, "aria-labelledby": "dep-new" }, box,
    h("div", { class: "grid" },
      field({ name: "slug", label: t("admin.dep.slug"), hint: t("admin.dep.slug_hint"), required: true,
        attrs: { autocapitalize: "none", spellcheck: "false" } }),
      departmentFields()),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.create"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    attempt(box, form, () => api("/api/v1/departments", { method: "POST", body: { slug: val(form, "slug"), ...readDepartment(form) } }),
      reload);
  };
  return h("section", { class: "panel" }, h("h3", { id: "dep-new" }, t("admin.dep.new")), form);
}

export async function render({ state, reload }) {
  const all = state.departments;
  return section(t("admin.dep.title"), newDepartment(reload), all.map((dep) => departmentPanel(dep, all, reload)));
}
