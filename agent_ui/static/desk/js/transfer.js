// Transferring a conversation: to a colleague (who gets an offer) or to a department (it waits in
// that queue), with a note for whoever takes it. A modal dialog: keyboard first, Escape closes it.

import { api, errorText } from "./api.js";
import { announce, h, replace } from "./dom.js";
import { label, stateName } from "./format.js";
import { t } from "/ui/i18n/i18n.js";

/** A "Transfer…" button that opens the dialog for conversation `conv`; `done()` runs after a transfer. */
export function transferButton(conv, done) {
  return h("button", { type: "button", class: "btn", id: "transfer-open", "aria-haspopup": "dialog",
    onclick: () => openDialog(conv, done) }, t("transfer.open"));
}

async function openDialog(conv, done) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const who = h("select", { id: "transfer-agent", name: "user_id" }, h("option", { value: "" }, t("section.status.loading")));
  const where = h("select", { id: "transfer-department", name: "department", disabled: true });
  const note = h("textarea", { id: "transfer-note", name: "note", rows: 3, maxlength: 2000, dir: "auto" });
  const kind = (value, text, checked) => h("label", { class: "seg-radio" },
    h("input", { type: "radio", name: "transfer-kind", value, checked, onchange: () => sync() }), " ", text);
  const dialog = h("dialog", { class: "transfer-dialog", "aria-labelledby": "transfer-title" });
  const form = h("form", { method: "dialog", class: "transfer-form" },
    h("h2", { id: "transfer-title" }, t("transfer.title")),
    error,
    h("fieldset", { class: "segmented" }, h("legend", { class: "sr-only" }, t("transfer.to")),
      kind("agent", t("transfer.agent"), true), kind("department", t("transfer.department"), false)),
    h("div", { class: "field" }, h("label", { for: "transfer-agent" }, t("transfer.who")), who),
    h("div", { class: "field" }, h("label", { for: "transfer-department" }, t("transfer.where")), where),
    h("div", { class: "field" }, h("label", { for: "transfer-note" }, t("transfer.note")), note),
    h("div", { class: "dialog-actions" },
      h("button", { type: "submit", class: "btn primary", value: "send" }, t("transfer.send")),
      h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, t("transfer.cancel"))));
  const sync = () => {
    const toAgent = form.querySelector("input[name=transfer-kind]:checked").value === "agent";
    who.disabled = !toAgent;
    where.disabled = toAgent;
  };
  dialog.append(form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  try {
    const { agents, departments } = await api(`/api/v1/conversations/${conv.id}/transfer`);
    replace(who, agents.map((a) => h("option", { value: a.user_id, disabled: a.state !== "available" && a.state !== "busy",
      dataset: { name: a.display_name } }, t("transfer.agent_state", { name: a.display_name, state: stateName(a.state) }))));
    const firstFree = agents.find((a) => a.state === "available");
    if (firstFree) who.value = String(firstFree.user_id);
    replace(where, departments.map((d) => h("option", { value: d, selected: d === conv.department }, label(d))));
    sync();
  } catch (err) {
    error.textContent = errorText(err);
    error.hidden = false;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const toAgent = !who.disabled;
    const body = toAgent ? { user_id: Number(who.value) } : { department: where.value };
    if (note.value.trim()) body.note = note.value.trim();
    try {
      await api(`/api/v1/conversations/${conv.id}/transfer`, { method: "POST", body });
      const to = toAgent ? who.selectedOptions[0].dataset.name : label(where.value);
      dialog.close();
      announce(t("transfer.done", { to }));
      done(to);
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
      (err.field === "department" ? where : who).focus();
    }
  });
}
