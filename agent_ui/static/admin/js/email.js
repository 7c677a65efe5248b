// Email: mailboxes (IMAP) and the SMTP server, with a "test connection" that says what failed.
import { api } from "../../desk/js/api.js";
import { departmentOptions, loadConfig, saveSection } from "./config.js";
import { attempt, field, h, messageBox, section, val } from "./ui.js";
import { t } from "/ui/i18n/i18n.js";

const SECURITY = () => [["tls", "TLS"], ["starttls", "STARTTLS"], ["none", t("admin.email.security_none")]];

function report(result) {
  if (!result) return null;
  const steps = h("ul", { class: "steps" }, result.steps.map((s) => h("li", { class: s === result.failed_step ? "failed" : null }, s)));
  const text = result.ok ? t("admin.email.test_ok", { server: result.server, steps: result.steps.join(", ") })
    : t("admin.email.test_failed", { server: result.server, step: result.failed_step, error: result.error });
  return h("div", { class: result.ok ? "ok-note" : "form-error", role: "status" }, text, steps);
}

function mailboxFields(box, departments) {
  return [
    field({ name: "name", label: t("admin.email.name"), value: box.name, required: true }),
    field({ name: "host", label: t("admin.email.host"), value: box.host, required: true }),
    field({ name: "port", type: "number", label: t("admin.email.port"), value: box.port ?? 993 }),
    field({ name: "security", label: t("admin.email.security"), value: box.security || "tls", options: SECURITY() }),
    field({ name: "user", label: t("admin.email.user"), value: box.user, attrs: { autocomplete: "off" } }),
    field({ name: "password", type: "password", label: t("admin.email.password_keep"), attrs: { autocomplete: "new-password" } }),
    field({ name: "folder", label: t("admin.email.folder"), value: box.folder || "INBOX" }),
    field({ name: "department", label: t("admin.email.department"), value: box.department || "",
      options: departmentOptions(departments, t("admin.none")) }),
  ];
}

function readMailbox(form) {
  const box = { name: val(form, "name"), host: val(form, "host"), port: Number(val(form, "port")),
    security: val(form, "security"), user: val(form, "user"), folder: val(form, "folder") };
  if (val(form, "password")) box.password = val(form, "password");
  if (val(form, "department")) box.department = val(form, "department");
  return box;
}

function smtpFields(smtp) {
  return [
    field({ name: "host", label: t("admin.email.smtp_host"), value: smtp.host }),
    field({ name: "port", type: "number", label: t("admin.email.port"), value: smtp.port ?? 587 }),
    field({ name: "security", label: t("admin.email.security"), value: smtp.security || "starttls", options: SECURITY() }),
    field({ name: "user", label: t("admin.email.user"), value: smtp.user, attrs: { autocomplete: "off" } }),
    field({ name: "password", type: "password", label: t("admin.email.password_keep"), attrs: { autocomplete: "new-password" } }),
    field({ name: "from_address", type: "email", label: t("admin.email.from"), value: smtp.from_address }),
  ];
}

function readSmtp(form) {
  const smtp = { host: val(form, "host"), port: Number(val(form, "port")), security: val(form, "security") };
  if (val(form, "user")) smtp.user = val(form, "user");
  if (val(form, "password")) smtp.password = val(form, "password");
  if (val(form, "from_address")) smtp.from_address = val(form, "from_address");
  return smtp;
}

function testButton(box, form, body, out) {
  const button = h("button", { type: "button", class: "btn" }, t("admin.email.test"));
  button.onclick = async () => {
    button.disabled = true;
    out.replaceChildren(h("p", { class: "muted", role: "status" }, t("admin.email.testing")));
    await attempt(box, form, () => api("/api/v1/email/test", { method: "POST", body: body() }),
      (answer) => out.replaceChildren(...[report(answer.imap), report(answer.smtp)].filter(Boolean)));
    button.disabled = false;
  };
  return button;
}

export async function render({ state, reload }) {
  const config = (await loadConfig()).sections;
  const email = config.email || {};
  const mailboxes = email.mailboxes || [];
  const others = (name) => mailboxes.filter((m) => m.name !== name).map(({ password_set, ...m }) => m);
  const save = (value) => saveSection("email", { ...email, ...value });

  const panel = (box, title, isNew) => {
    const msg = messageBox();
    const out = h("div");
    const actions = h("div", { class: "actions" });
    const form = h("form", { novalidate: true, "aria-label": title }, msg,
      h("div", { class: "grid" }, mailboxFields(box, state.departments)), out, actions);
    actions.append(
      h("button", { type: "submit", class: "btn primary" }, isNew ? t("admin.add") : t("admin.save")),
      testButton(msg, form, () => ({ mailbox: readMailbox(form) }), out));
    if (!isNew) {
      actions.append(h("button", { type: "button", class: "btn",
        onclick: () => attempt(msg, form, () => save({ mailboxes: others(box.name) }), reload) }, t("admin.remove")));
    }
    form.onsubmit = (event) => {
      event.preventDefault();
      attempt(msg, form, () => save({ mailboxes: [...others(box.name), readMailbox(form)] }), isNew ? reload : () => msg.ok(t("admin.saved")));
    };
    return h("section", { class: "panel" }, h("h3", {}, title), form);
  };

  const smtpMsg = messageBox();
  const smtpOut = h("div");
  const smtp = h("form", { novalidate: true, "aria-labelledby": "smtp-title" }, smtpMsg, h("div", { class: "grid" }, smtpFields(email.smtp || {})),
    smtpOut, h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.save"))));
  smtp.querySelector(".actions").append(testButton(smtpMsg, smtp, () => ({ smtp: readSmtp(smtp) }), smtpOut));
  smtp.onsubmit = (event) => {
    event.preventDefault();
    attempt(smtpMsg, smtp, () => save({ smtp: readSmtp(smtp) }), () => smtpMsg.ok(t("admin.saved")));
  };
  return section(t("admin.email.title"),
    h("h3", {}, t("admin.email.mailboxes")),
    mailboxes.map((m) => panel(m, m.name, false)),
    panel({}, t("admin.email.new_mailbox"), true),
    h("section", { class: "panel" }, h("h3", { id: "smtp-title" }, t("admin.email.smtp")), smtp));
}
