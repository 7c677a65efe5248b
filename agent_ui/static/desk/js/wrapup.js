// The wrap-up panel: after a call the agent does after-call work. Routing says so in the presence
// frame ("wrap_up": {conversation_id, until, outcome_required}); the panel shows the time left,
// the department's outcomes, a note, "more time" and "Ready". No offer comes until routing ends
// the wrap-up: the time ran out (with no outcome required) or the agent chose the outcome and
// pressed Ready (POST …/wrap-up closes the conversation, which ends it).

import { api, errorText } from "./api.js";
import { announce, h, replace } from "./dom.js";
import { dispositionName, duration, subjectText } from "./format.js";
import { t } from "/ui/i18n/i18n.js";

const EXTEND_SECONDS = 30;

export class WrapUpPanel {
  /**
   * @param {HTMLElement} root the panel's region (hidden while the agent is not wrapping up)
   * @param {object} o
   * @param {(frame: object) => void} o.send a frame to the agent websocket
   * @param {() => object} o.config the desk config (dispositions; per department: outcomes, outcome_required)
   * @param {(id: number) => void} o.done the conversation was wrapped up
   */
  constructor(root, { send, config, done }) {
    this.root = root;
    this.send = send;
    this.config = config;
    this.done = done;
    this.wrap = null; // the presence frame's wrap_up
    this.conv = null; // the conversation being wrapped up (for its department and subject)
    this.draft = { outcome: "", note: "" };
  }

  /** A presence frame from routing. */
  update(frame) {
    const wrap = frame.wrap_up || null;
    const was = this.wrap;
    this.wrap = wrap;
    if (!wrap) {
      if (was) this.close();
      return;
    }
    if (!was || was.conversation_id !== wrap.conversation_id) {
      this.conv = null;
      this.draft = { outcome: "", note: "" };
      this.render({ focus: true });
      announce(t("wrapup.panel.started"));
      this.load(wrap.conversation_id, 0);
      return;
    }
    this.render();
  }

  close() {
    this.wrap = null;
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  /** Fetch the conversation being wrapped up (its department decides the outcomes); a failed
   * fetch (a busy store answers 503) is tried again while the wrap-up lasts. */
  load(id, attempt) {
    api(`/api/v1/conversations/${id}`).then(({ conversation }) => {
      if (this.wrap && this.wrap.conversation_id === conversation.id) {
        this.conv = conversation;
        this.render();
      }
    }).catch(() => {
      if (this.wrap && this.wrap.conversation_id === id && attempt < 10) {
        setTimeout(() => this.load(id, attempt + 1), 500 * (attempt + 1));
      }
    });
  }

  /** The department's wrap-up settings: outcome codes (else the desk's dispositions). Until the
   * conversation is loaded, an agent of one department gets that department's outcomes. */
  outcomes() {
    const config = this.config();
    const departments = config.wrap_up || {};
    const only = Object.keys(departments).length === 1 ? Object.values(departments)[0] : null;
    const dept = this.conv ? departments[this.conv.department] : only;
    const labels = new Map((config.dispositions || []).map((d) => [d.code, d.label]));
    const codes = dept && dept.outcomes && dept.outcomes.length ? dept.outcomes : [...labels.keys()];
    return codes.map((code) => ({ code, label: dispositionName(code, labels.get(code) || null) }));
  }

  secondsLeft() {
    return this.wrap ? Math.max(0, Math.ceil(this.wrap.until - Date.now() / 1000)) : 0;
  }

  timerText() {
    const left = this.secondsLeft();
    if (left > 0) return t("wrapup.panel.time_left", { time: duration(left) });
    return this.wrap && this.wrap.outcome_required ? t("wrapup.panel.outcome_needed") : t("wrapup.panel.time_up");
  }

  render({ focus = false } = {}) {
    const wrap = this.wrap;
    if (!wrap) return;
    const required = Boolean(wrap.outcome_required);
    const active = document.activeElement;
    const keepFocus = active && this.root.contains(active) ? active.id : null;
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const select = h("select", { id: "wrapup-outcome", name: "outcome", required, "aria-required": required ? "true" : null },
      h("option", { value: "" }, t("wrapup.choose")),
      this.outcomes().map((o) => h("option", { value: o.code, selected: o.code === this.draft.outcome }, o.label)));
    select.addEventListener("change", () => { this.draft.outcome = select.value; });
    const note = h("textarea", { id: "wrapup-note", name: "note", rows: 3, dir: "auto", maxlength: 10000 });
    note.value = this.draft.note;
    note.addEventListener("input", () => { this.draft.note = note.value; });
    note.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    this.timer = h("p", { id: "wrapup-timer", class: "wrapup-timer", role: "timer", "aria-live": "off",
      dataset: { over: this.secondsLeft() > 0 ? null : "true" } }, this.timerText());
    const form = h("form", { class: "wrapup-form", novalidate: true },
      this.timer,
      h("div", { class: "wrapup-fields" },
        h("label", { for: "wrapup-outcome" }, required ? t("wrapup.outcome") : t("wrapup.panel.outcome_optional")), select,
        h("label", { for: "wrapup-note" }, t("wrapup.panel.note")), note),
      error,
      h("div", { class: "wrapup-actions" },
        h("button", { type: "button", class: "btn", id: "wrapup-extend",
          onclick: () => this.send({ type: "wrap_up.extend", seconds: EXTEND_SECONDS }) },
        t("wrapup.panel.extend", { seconds: EXTEND_SECONDS })),
        h("button", { type: "submit", class: "btn primary", id: "wrapup-ready" }, t("wrapup.panel.ready"))));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.ready(select, note, error);
    });
    replace(this.root,
      h("h2", { id: "wrapup-title", class: "wrapup-title" }, t("wrapup.panel.title")),
      this.conv ? h("p", { class: "wrapup-subject muted", dir: "auto" }, subjectText(this.conv.subject)) : null,
      form);
    this.root.hidden = false;
    if (keepFocus) document.getElementById(keepFocus)?.focus();
    else if (focus && !(active && ["INPUT", "TEXTAREA"].includes(active.tagName))) select.focus();
  }

  async ready(select, note, error) {
    error.hidden = true;
    const wrap = this.wrap;
    if (!wrap) return;
    if (wrap.outcome_required && !select.value) {
      error.textContent = t("wrapup.missing");
      error.hidden = false;
      select.setAttribute("aria-invalid", "true");
      select.focus();
      return;
    }
    const body = {};
    if (select.value) body.disposition = select.value;
    if (note.value.trim()) body.note = note.value;
    try {
      await api(`/api/v1/conversations/${wrap.conversation_id}/wrap-up`, { method: "POST", body });
      announce(t("wrapup.panel.ready_announce"));
      this.done(wrap.conversation_id);
      if (this.wrap && this.wrap.conversation_id === wrap.conversation_id) this.close();
    } catch (err) {
      error.textContent = errorText(err);
      error.hidden = false;
    }
  }

  /** Every second: the countdown. */
  tick() {
    if (!this.wrap || !this.timer) return;
    this.timer.textContent = this.timerText();
    if (this.secondsLeft() === 0) this.timer.dataset.over = "true";
  }

  relabel() {
    if (this.wrap) this.render();
  }
}
