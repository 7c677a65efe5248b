// What a supervisor does from the wallboard, each in a modal dialog (keyboard first, Escape closes):
// open a queue tile to see who waits and offer one contact to an agent; change an agent's state with
// a reason; sign an agent out everywhere. The server checks every action against the supervisor's
// departments and audits it (routing/supervise.py).

import { api, errorText } from "/ui/desk/js/api.js";
import { announce, h, replace } from "/ui/desk/js/dom.js";
import { channelName, duration, label, plainReason, reasonName, stateName, subjectText } from "/ui/desk/js/format.js";
import { channelIcon } from "/ui/desk/js/icons.js";
import { formatNumber, t } from "/ui/i18n/i18n.js";

const STATES = ["available", "away", "offline"];
let reasons = null;

async function stateReasons() {
  if (!reasons) reasons = (await api("/api/v1/routing/state-reasons")).reasons;
  return reasons;
}

/** A modal dialog titled `title` around `body` nodes; removed from the page when it closes. */
function modal(id, title, ...body) {
  const dialog = h("dialog", { class: "wb-dialog", id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title), ...body);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

function fail(el, err) {
  el.textContent = errorText(err);
  el.hidden = false;
}

function reasonSelect(id) {
  const select = h("select", { id, name: "reason", required: true });
  stateReasons().then((list) => replace(select, list.map((r) => h("option", { value: r }, reasonName(r)))))
    .catch(() => {});
  return select;
}

function field(id, text, control) {
  return h("div", { class: "field" }, h("label", { for: id }, text), control);
}

/** The dialog of queue row `q` (a tile): its waiting contacts, each assignable to one of its agents. */
export class QueueDialog {
  constructor(q, { onClose }) {
    this.q = q;
    this.error = h("p", { class: "form-error", role: "alert", hidden: true });
    this.body = h("div", { class: "queue-body", "aria-live": "polite" }, h("p", { class: "muted" }, t("wallboard.queue.loading")));
    this.dialog = modal("queue-dialog",
      t("wallboard.queue.title", { department: label(q.department), channel: channelName(q.channel) }),
      this.error, this.body,
      h("div", { class: "dialog-actions" },
        h("button", { type: "button", class: "btn", onclick: () => this.dialog.close() }, t("wallboard.close"))));
    this.dialog.addEventListener("close", onClose);
    this.seen = null;
    this.load();
  }

  /** A new snapshot: reload when this queue's waiting or offered count moved. */
  follow(row) {
    const now = row ? `${row.waiting}/${row.offered}` : "0/0";
    if (this.seen !== null && now !== this.seen) this.load();
    this.seen = now;
  }

  async load() {
    try {
      const data = await api(`/api/v1/routing/queues/${encodeURIComponent(this.q.queue)}/contacts`);
      this.error.hidden = true;
      this.render(data);
    } catch (err) {
      fail(this.error, err);
    }
  }

  render(data) {
    const focused = document.activeElement && this.dialog.contains(document.activeElement) ? document.activeElement.id : null;
    const loadedAt = Date.now();
    if (!data.contacts.length) {
      replace(this.body, h("p", { class: "muted empty" }, t("wallboard.queue.empty")));
      return;
    }
    const free = data.agents.filter((a) => a.can_take);
    replace(this.body, h("table", { class: "queue-contacts" },
      h("caption", { class: "sr-only" }, t("wallboard.queue.caption", { count: data.contacts.length })),
      h("thead", {}, h("tr", {}, ["wallboard.queue.col.customer", "wallboard.queue.col.channel", "wallboard.queue.col.waiting",
        "wallboard.queue.col.priority", "wallboard.queue.col.why", "wallboard.queue.col.assign"]
        .map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", {}, data.contacts.map((c) => h("tr", { dataset: { conversation: c.conversation_id, status: c.status } },
        h("th", { scope: "row", class: "who" },
          c.customer && c.customer.name ? h("span", { dir: "auto" }, c.customer.name)
            : c.address ? h("bdi", { dir: "ltr" }, c.address) : t("wallboard.queue.unknown"),
          c.subject ? h("div", { class: "muted small", dir: "auto" }, subjectText(c.subject)) : null),
        h("td", {}, channelIcon(c.channel, { size: 14 }), " ", channelName(c.channel)),
        h("td", { class: "num", dataset: { waited: c.waited, loaded: loadedAt } }, duration(c.waited)),
        h("td", { class: "num" }, formatNumber(c.priority)),
        h("td", { class: "why", dir: "auto" }, plainReason(c.reason)),
        h("td", {}, this.assignCell(c, free, data.agents)))))));
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }

  assignCell(c, free, agents) {
    if (c.status === "offered") {
      return h("span", { class: "muted" }, t("wallboard.queue.offered_to", { name: (c.offered_to || {}).display_name || "" }));
    }
    if (c.channel === "call") return h("span", { class: "muted" }, t("wallboard.queue.call_rings"));
    if (!free.length) return h("span", { class: "muted" }, t("wallboard.queue.nobody_free"));
    const id = `assign-${c.conversation_id}`;
    const select = h("select", { id, name: "user_id" },
      agents.map((a) => h("option", { value: a.user_id, disabled: !a.can_take, dataset: { name: a.display_name } },
        t("wallboard.queue.agent_option", { name: a.display_name, state: stateName(a.state) }))));
    select.value = String(free[0].user_id);
    const button = h("button", { type: "button", class: "btn primary", id: `assign-go-${c.conversation_id}`,
      onclick: () => this.assign(c, select) }, t("wallboard.queue.assign"));
    return h("div", { class: "assign" }, h("label", { for: id, class: "sr-only" },
      t("wallboard.queue.assign_label", { customer: (c.customer && c.customer.name) || c.address || "" })), select, button);
  }

  async assign(c, select) {
    const name = select.selectedOptions[0] ? select.selectedOptions[0].dataset.name : "";
    try {
      await api(`/api/v1/routing/contacts/${c.conversation_id}/assign`, { method: "POST", body: { user_id: Number(select.value) } });
      announce(t("wallboard.queue.assigned", { name }));
      await this.load();
    } catch (err) {
      fail(this.error, err);
    }
  }

  /** The waiting times count on between reloads. */
  tick() {
    for (const el of this.dialog.querySelectorAll("td[data-waited]")) {
      el.textContent = duration(Number(el.dataset.waited) + (Date.now() - Number(el.dataset.loaded)) / 1000);
    }
  }
}

/**
 * A dialog acting on agent `a`: `fields` (nodes) and a reason, a submit button (`submit`: its text
 * and class) that runs `act(reason)` and announces `done` afterwards; errors stay in the dialog.
 */
function agentDialog(id, title, fields, submit, act, done) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const reason = reasonSelect(`${id}-reason`);
  const form = h("form", { method: "dialog", class: "wb-form" }, error, ...fields,
    field(`${id}-reason`, t("wallboard.steer.reason"), reason),
    h("div", { class: "dialog-actions" },
      h("button", { type: "submit", class: `btn ${submit.class}` }, submit.text),
      h("button", { type: "button", class: "btn", onclick: () => dialog.close() }, t("wallboard.cancel"))));
  const dialog = modal(id, title, form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await act(reason.value);
      dialog.close();
      announce(done());
    } catch (err) {
      fail(error, err);
    }
  });
  (form.querySelector("select") || reason).focus();
}

/** Change agent `a`'s state (available, away, offline) with one of the configured reasons. */
export function stateDialog(a) {
  const name = a.display_name || a.username;
  const state = h("select", { id: "steer-state", name: "presence" },
    STATES.map((s) => h("option", { value: s, selected: s === a.presence }, stateName(s))));
  agentDialog("state-dialog", t("wallboard.steer.title", { name }), [field("steer-state", t("wallboard.steer.state"), state)],
    { class: "primary", text: t("wallboard.steer.save") },
    (reason) => api(`/api/v1/routing/agents/${a.user_id}/presence`, { method: "PUT", body: { presence: state.value, reason } }),
    () => t("wallboard.steer.done", { name, state: stateName(state.value) }));
}

/** Sign agent `a` out everywhere (their desks close) with one of the configured reasons. */
export function logoutDialog(a) {
  const name = a.display_name || a.username;
  agentDialog("logout-dialog", t("wallboard.logout.title", { name }), [h("p", {}, t("wallboard.logout.explain"))],
    { class: "danger", text: t("wallboard.logout.confirm") },
    (reason) => api(`/api/v1/routing/agents/${a.user_id}/logout`, { method: "POST", body: { reason } }),
    () => t("wallboard.logout.done", { name }));
}
