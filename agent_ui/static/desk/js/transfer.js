// Transferring a conversation: to a colleague (who gets an offer) or to a department (it waits in
// that queue), with a note for whoever takes it. A modal dialog: keyboard first, Escape closes it.

import { api } from "./api.js";
import { announce, h, replace } from "./dom.js";
import { label } from "./format.js";

// Every string of the dialog, in one place (for the message catalogs).
const TEXT = {
  open: "Transfer…",
  title: "Transfer this conversation",
  to: "Transfer to",
  agent: "A colleague",
  department: "A department",
  who: "Colleague",
  where: "Department",
  note: "Note for them (optional)",
  send: "Transfer",
  cancel: "Cancel",
  state: (name, state) => `${name} — ${label(state)}`,
  done: (to) => `Transferred to ${to}`,
  loading: "Loading…",
};

/** A "Transfer…" button that opens the dialog for conversation `conv`; `done()` runs after a transfer. */
export function transferButton(conv, done) {
  return h("button", { type: "button", class: "btn", id: "transfer-open", "aria-haspopup": "dialog",
    onclick: () => openDialog(conv, done) }, TEXT.open);
}

async function openDialog(conv, done) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const who = h("select", { id: "transfer-agent", name: "user_id" }, h("option", { value: "" }, TEXT.loading));
  const where = h("select", { id: "transfer-department", name: "department", disabled: true });
  const note = h("textarea", { id: "transfer-note", name: "note", rows: 3, maxlength: 2000 });
  const kind = (value, text, checked) => h("label", { class: "seg-radio" },
    h("input", { type: "radio", name: "transfer-kind", value, checked, onchange: () => sync() }), ` ${text}`);
  const dialog = h("dialog", { class: "transfer-dialog", "aria-labelledby": "transfer-title" });
  const form = h("form", { method: "dialog", class: "transfer-form" },
    h("h2", { id: "transfer-title" }, TEXT.title),
    error,
    h("fieldset", { class: "segmented" }, h("legend", { class: "sr-only" }, TEXT.to),
      kind("agent", TEXT.agent, true), kind("department", TEXT.department, false)),
    h("div", { class: "field" }, h("label", { for: "transfer-agent" }, TEXT.who), who),
    h("div", { class: "field" }, h("label", { for: "transfer-department" }, TEXT.where), where),
    h("div", { class: "field" }, h("label", { for: "transfer-note" }, TEXT.note), note),
    h("div", { class: "dialog-actions" },
      h("button", { type: "submit", class: "btn primary", value: "send" }, TEXT.send),
      h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, TEXT.cancel)));
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
    replace(who, agents.map((a) => h("option", { value: a.user_id, disabled: a.state !== "available" && a.state !== "busy" },
      TEXT.state(a.display_name, a.state))));
    const firstFree = agents.find((a) => a.state === "available");
    if (firstFree) who.value = String(firstFree.user_id);
    replace(where, departments.map((d) => h("option", { value: d, selected: d === conv.department }, label(d))));
    sync();
  } catch (err) {
    error.textContent = err.message;
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
      const to = toAgent ? who.selectedOptions[0].textContent.split(" — ")[0] : label(where.value);
      dialog.close();
      announce(TEXT.done(to));
      done(to);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      (err.field === "department" ? where : who).focus();
    }
  });
}
