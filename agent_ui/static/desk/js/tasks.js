// Tasks on the open conversation: a callback's "Call back" link (a tel: link for the softphone; the
// PBX's outbound call to the number is linked to the callback by the server), its attempts and the
// outcome form; a follow-up ("pending until …") on any other conversation. And the missed-call
// notices beside the inbox.

import { api, errorText } from "./api.js";
import { announce, h, replace } from "./dom.js";
import { dateTime } from "./format.js";
import { t } from "/ui/i18n/i18n.js";

const OUTCOME_KEYS = {
  reached: "task.outcome.reached", no_answer: "task.outcome.no_answer", busy: "task.outcome.busy",
  voicemail: "task.outcome.voicemail", wrong_number: "task.outcome.wrong_number", not_needed: "task.outcome.not_needed",
};
const UNREACHED = new Set(["no_answer", "busy", "voicemail"]);
const CALL_STATE_KEYS = { ringing: "task.call.ringing", answered: "task.call.answered", ended: "task.call.ended" };
// Statuses a follow-up may be set from (the server says the same: an agent has, or had, the conversation).
const FOLLOWABLE = new Set(["assigned", "wrap_up", "closed", "pending"]);

/** A callback outcome ("no_answer") in words. */
export function outcomeName(code) {
  return OUTCOME_KEYS[code] ? t(OUTCOME_KEYS[code]) : code;
}

/** What a timeline entry's task adds to its line: a callback's outcome, a follow-up's time; null if nothing. */
export function taskNote(task) {
  if (!task) return null;
  if (task.outcome && task.outcome !== "due") return t("task.outcome.done", { outcome: outcomeName(task.outcome) });
  if (task.status === "open" && task.due_at) return t("task.follow_up.pending", { when: dateTime(task.due_at) });
  return null;
}

/** The value of a datetime-local input as an ISO time with the browser's offset (null when empty or invalid). */
function isoFromLocal(value) {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

function field(id, labelKey, control) {
  return h("div", { class: "task-field" }, h("label", { for: id }, t(labelKey)), control);
}

export class TaskPanel {
  /**
   * @param {object} o
   * @param {object} o.conv the open conversation
   * @param {() => void} o.changed called after the conversation changed (reload it, refresh the inbox)
   */
  constructor({ conv, changed }) {
    this.conv = conv;
    this.changed = changed;
    this.tasks = [];
    this.root = h("section", { class: "tasks", "aria-labelledby": "tasks-title" });
  }

  async load() {
    try {
      const { tasks } = await api(`/api/v1/conversations/${this.conv.id}/tasks`);
      this.tasks = tasks;
    } catch (err) {
      replace(this.root, h("p", { class: "form-error", role: "alert" }, errorText(err)));
      return this.root;
    }
    this.render();
    return this.root;
  }

  /** A "task" frame: show the new state when it is this conversation's. */
  update(task) {
    if (task.conversation_id !== this.conv.id) return false;
    this.tasks = [task, ...this.tasks.filter((x) => x.id !== task.id)];
    this.render();
    return true;
  }

  render() {
    const callback = this.tasks.find((x) => x.kind === "callback");
    const follow = this.tasks.find((x) => x.kind === "follow_up" && x.status === "open");
    if (!callback && !follow && !FOLLOWABLE.has(this.conv.status)) {
      replace(this.root);
      return;
    }
    replace(this.root,
      h("h3", { id: "tasks-title" }, callback ? t("task.callback.title") : t("task.follow_up.title")),
      callback ? this.callback(callback) : this.followUp(follow));
  }

  callback(task) {
    const attempts = task.calls.filter((c) => c.role === "attempt");
    return [
      h("p", { class: "task-facts" },
        h("bdi", { dir: "ltr", class: "task-number" }, task.number || ""), " · ",
        t("task.missed_calls", { count: task.missed_calls })),
      task.status === "open"
        ? h("p", { class: "task-dial" },
          h("a", { class: "btn primary call-back", href: `tel:${task.number}`, id: "task-call-back" },
            t("task.call_back", { number: task.number })), " ",
          h("span", { class: "muted small" }, t("task.call_back.hint")))
        : null,
      task.status === "open" && task.due_at
        ? h("p", { class: "muted" }, t("task.retry_at", { when: dateTime(task.due_at) })) : null,
      attempts.length
        ? h("div", {},
          h("h4", {}, t("task.attempts.title")),
          h("ol", { class: "task-attempts", "aria-live": "polite" }, attempts.map((c) => h("li", { dataset: { state: c.state } },
            t("task.attempt", { time: dateTime(c.at), state: t(CALL_STATE_KEYS[c.state] || "task.call.ended") })))))
        : null,
      task.status === "open" ? this.outcomeForm(task)
        : h("p", { class: "closed-note", id: "task-outcome-done" }, t("task.outcome.done", { outcome: outcomeName(task.outcome) })),
    ];
  }

  outcomeForm(task) {
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const outcome = h("select", { id: "task-outcome", required: true },
      h("option", { value: "" }, t("task.outcome.choose")),
      Object.keys(OUTCOME_KEYS).map((code) => h("option", { value: code }, outcomeName(code))));
    const note = h("textarea", { id: "task-note", rows: 2, dir: "auto" });
    const retry = h("input", { id: "task-retry", type: "datetime-local" });
    const retryField = field("task-retry", "task.retry.label", retry);
    const sync = () => { retryField.hidden = !UNREACHED.has(outcome.value); };
    outcome.addEventListener("change", sync);
    sync();
    const form = h("form", { class: "task-outcome", "aria-label": t("task.outcome.label") },
      field("task-outcome", "task.outcome.label", outcome), field("task-note", "task.note.label", note), retryField,
      h("button", { type: "submit", class: "btn" }, t("task.outcome.save")), error);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.hidden = true;
      if (!outcome.value) {
        error.textContent = t("task.outcome.missing");
        error.hidden = false;
        outcome.focus();
        return;
      }
      const body = { outcome: outcome.value };
      if (note.value.trim()) body.note = note.value;
      const retryAt = UNREACHED.has(outcome.value) ? isoFromLocal(retry.value) : null;
      if (retryAt) body.retry_at = retryAt;
      try {
        const result = await api(`/api/v1/tasks/${task.id}/outcome`, { method: "POST", body });
        announce(t("task.outcome.saved", { outcome: outcomeName(result.task.outcome) }));
        this.update(result.task);
        this.changed();
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
      }
    });
    return form;
  }

  followUp(open) {
    if (open) {
      const cancel = h("button", { type: "button", class: "btn", id: "follow-up-cancel" }, t("task.follow_up.cancel"));
      cancel.addEventListener("click", async () => {
        try {
          await api(`/api/v1/conversations/${this.conv.id}/follow-up`, { method: "DELETE" });
          this.changed();
        } catch (err) {
          announce(errorText(err));
        }
      });
      return [h("p", { id: "follow-up-pending" }, t("task.follow_up.pending", { when: dateTime(open.due_at) })),
        open.note ? h("p", { class: "muted", dir: "auto" }, open.note) : null, cancel];
    }
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const at = h("input", { id: "follow-up-at", type: "datetime-local", required: true });
    const note = h("input", { id: "follow-up-note", type: "text", dir: "auto" });
    const form = h("form", { class: "follow-up", "aria-label": t("task.follow_up.title") },
      field("follow-up-at", "task.follow_up.at", at), field("follow-up-note", "task.note.label", note),
      h("button", { type: "submit", class: "btn" }, t("task.follow_up.set")), error);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.hidden = true;
      const when = isoFromLocal(at.value);
      if (!when) {
        error.textContent = t("task.follow_up.missing");
        error.hidden = false;
        at.focus();
        return;
      }
      try {
        const body = { at: when };
        if (note.value.trim()) body.note = note.value;
        const { task } = await api(`/api/v1/conversations/${this.conv.id}/follow-up`, { method: "POST", body });
        announce(t("task.follow_up.saved", { when: dateTime(task.due_at) }));
        this.changed();
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
      }
    });
    return form;
  }
}

/** "Missed call from …" notices beside the inbox: loaded once, added live, each dismissible. */
export class MissedCalls {
  /**
   * @param {HTMLElement} root
   * @param {(id: number) => void} open opens a notice's conversation
   */
  constructor(root, open) {
    this.root = root;
    this.open = open;
    this.notices = [];
  }

  async load() {
    try {
      const { notices } = await api("/api/v1/desk/missed-calls");
      this.notices = notices;
    } catch (err) {
      if (err.status !== 401) announce(errorText(err));
    }
    this.render();
  }

  /** A "missed_call" frame. */
  add(notice) {
    this.notices = [notice, ...this.notices.filter((n) => n.id !== notice.id)];
    announce(t("missed.item", { who: notice.customer_name || notice.number || t("missed.unknown") }));
    this.render();
  }

  async dismiss(notice) {
    try {
      await api(`/api/v1/desk/missed-calls/${notice.id}/dismiss`, { method: "POST", body: {} });
      this.notices = this.notices.filter((n) => n.id !== notice.id);
      this.render();
    } catch (err) {
      announce(errorText(err));
    }
  }

  render() {
    this.root.hidden = !this.notices.length;
    if (!this.notices.length) {
      replace(this.root);
      return;
    }
    replace(this.root, h("h2", { id: "missed-title" }, t("missed.title")),
      h("ul", { class: "missed-list", "aria-labelledby": "missed-title" }, this.notices.map((n) => h("li", { class: "missed-item" },
        h("button", { type: "button", class: "missed-open", onclick: () => n.conversation_id && this.open(n.conversation_id) },
          t("missed.item", { who: n.customer_name || n.number || t("missed.unknown") }), " ",
          n.customer_name && n.number ? h("bdi", { dir: "ltr", class: "muted" }, n.number) : null, " ",
          h("time", { class: "muted", datetime: n.at }, dateTime(n.at))),
        h("button", { type: "button", class: "btn small", onclick: () => this.dismiss(n) }, t("missed.dismiss"))))));
  }

  relabel() {
    this.render();
  }
}
