// Users: create, edit (role, departments, skills, capacity, extension, phone), deactivate, reset password.
import { api } from "../../desk/js/api.js";
import { attempt, checked, checks, field, h, messageBox, section, val } from "./ui.js";
import { t } from "/ui/i18n/i18n.js";
import { channelList, CHANNEL_NAME } from "../../desk/js/channels.js";

const ROLES = { agent: "admin.role.agent", supervisor: "admin.role.supervisor", admin: "admin.role.admin" };

const skillsText = (skills) => Object.entries(skills || {}).map(([k, v]) => `${k}=${v}`).join(", ");

function parseSkills(text) {
  const out = {};
  for (const item of String(text || "").split(",").map((s) => s.trim()).filter(Boolean)) {
    const [name, level] = item.split("=").map((s) => s.trim());
    out[name] = level === undefined || level === "" ? "" : Number.isNaN(Number(level)) ? level : Number(level);
  }
  return out;
}

function profileFields(user, departments) {
  return [
    field({ name: "display_name", label: t("admin.field.display_name"), value: user.display_name }),
    field({ name: "role", label: t("admin.users.role"), value: user.role || "agent",
      options: Object.entries(ROLES).map(([role, key]) => [role, t(key)]) }),
    field({ name: "extension", label: t("admin.users.extension"), value: user.extension, attrs: { inputmode: "tel" } }),
    field({ name: "phone", label: t("admin.users.phone"), type: "tel", value: user.phone }),
    checks({ name: "departments", legend: t("admin.users.departments"), checked: user.departments || [],
      items: departments.filter((d) => d.active).map((d) => [d.slug, d.name]) }),
    field({ name: "skills", label: t("admin.users.skills"), value: skillsText(user.skills), wide: true,
    }),
    ...channelList().map((c) => field({ name: `capacity_${c.name}`, type: "number", attrs: { min: 0, max: 50 },
      label: t("admin.users.capacity", { channel: CHANNEL_NAME[c.name] || c.name }), value: (user.capacity || {})[c.name] ?? c.default_capacity })),
  ];
}

function readProfile(form) {
  const capacity = {};
  for (const c of channelList()) capacity[c.name] = Number(val(form, `capacity_${c.name}`) || 0);
  return { display_name: val(form, "display_name") || undefined, role: val(form, "role"),
    extension: val(form, "extension") || null, phone: val(form, "phone") || null,
    departments: checked(form, "departments"), skills: parseSkills(val(form, "skills")), capacity };
}

function userPanel(user, departments, reload) {
  const box = messageBox();
  const form = h("form", { novalidate: true, "aria-label": user.username }, box,
    h("div", { class: "grid" }, profileFields(user, departments)),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "btn primary" }, t("admin.save")),
      h("button", { type: "button", class: "btn", onclick: () => attempt(box, form, () => api(`/api/v1/users/${user.id}`, {
        method: "PATCH", body: { active: !user.active } }), reload) }, user.active ? t("admin.deactivate") : t("admin.activate"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    attempt(box, form, () => api(`/api/v1/users/${user.id}`, { method: "PATCH", body: readProfile(form) }),
      () => box.ok(t("admin.saved")));
  };
  const pwBox = messageBox();
  const pwForm = h("form", { novalidate: true, class: "actions" }, pwBox,
    field({ name: "password", type: "password", label: t("admin.users.new_password", { name: user.username }),
      attrs: { autocomplete: "new-password" } }),
    h("button", { type: "submit", class: "btn" }, t("admin.users.reset")));
  pwForm.onsubmit = (event) => {
    event.preventDefault();
    attempt(pwBox, pwForm, () => api(`/api/v1/users/${user.id}/password`, { method: "POST",
      body: { password: val(pwForm, "password") } }), () => { pwForm.reset(); pwBox.ok(t("admin.users.password_set")); });
  };
  return h("section", { class: ["panel", !user.active && "inactive"], "aria-labelledby": `user-${user.id}` },
    h("h3", { id: `user-${user.id}` }, `${user.display_name} `, h("span", { class: "pill" }, user.username), " ",
      h("span", { class: "pill" }, t(ROLES[user.role] || user.role)), !user.active && h("span", { class: "pill" }, t("admin.inactive"))),
    form, pwForm);
}

function newUser(departments, reload) {
  const box = messageBox();
  const form = h("form", { novalidate: true, "aria-labelledby": "user-new" }, box,
    h("div", { class: "grid" },
      field({ name: "username", label: t("admin.field.username"), required: true,
        attrs: { autocapitalize: "none", spellcheck: "false", autocomplete: "off" } }),
      field({ name: "password", type: "password", label: t("admin.field.password"), required: true,
        attrs: { autocomplete: "new-password" } }),
      profileFields({}, departments)),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.create"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    attempt(box, form, () => api("/api/v1/users", { method: "POST", body: { username: val(form, "username"),
      password: val(form, "password"), ...readProfile(form) } }), reload);
  };
  return h("section", { class: "panel" }, h("h3", { id: "user-new" }, t("admin.users.new")), form);
}

export async function render({ state, reload }) {
  const { users } = await api("/api/v1/users");
  return section(t("admin.users.title"), newUser(state.departments, reload),
    users.map((u) => userPanel(u, state.departments, reload)));
}
