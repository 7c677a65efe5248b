// One conversation: its thread (email HTML in a sandboxed iframe, chat live), the reply composer
// on the conversation's channel, internal notes, canned responses and wrap-up with a disposition.

import { api, errorText } from "./api.js";
import { canReply, isMail, isTask } from "./channels.js";
import { announce, h, replace } from "./dom.js";
import { CHANNEL_NAME, dateTime, dispositionName, label, plainReason, statusName, subjectText } from "./format.js";
import { channelIcon, icon } from "./icons.js";
import { emailFrame } from "./mailframe.js";
import { TaskPanel } from "./tasks.js";
import { transferButton } from "./transfer.js";
import { t } from "/ui/i18n/i18n.js";

const SEND_KEYS = { email: "conversation.send.email", chat: "conversation.send.chat" };
const REPLY_KEYS = { email: "conversation.reply_by.email", chat: "conversation.reply_by.chat" };
const DELIVERY_KEYS = {
  queued: "delivery.queued", sending: "delivery.sending", sent: "delivery.sent", failed: "delivery.failed",
};
const FINAL = new Set(["sent", "failed"]);

/** The address a reply goes to (what the server's outbound side uses: the last inbound mail's
 * Reply-To, else its sender, else the conversation's contact address) and that mail's sender. */
function replyTarget(conv, messages) {
  const last = [...messages].reverse().find((m) => m.direction === "in");
  const from = last && last.from ? last.from.address : null;
  return { to: (last && last.reply_to) || from || conv.contact_address || null, from };
}

/** Parts joined with " · ", empty ones left out (parts may be nodes). */
function joined(parts) {
  return parts.filter(Boolean).flatMap((p, i) => (i ? [" · ", p] : [p]));
}

export class ConversationView {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root
   * @param {object} o.user the logged-in user
   * @param {() => object} o.config the desk config (canned responses, dispositions)
   * @param {(conv: object) => void} o.changed called after the conversation changed (inbox refresh)
   */
  constructor({ root, user, config, changed }) {
    this.root = root;
    this.user = user;
    this.config = config;
    this.changed = changed;
    this.conv = null;
    this.messages = new Map();
    this.pendingStatus = new Map(); // delivery reports for replies whose POST has not answered yet
    this.seq = 0;
  }

  get id() {
    return this.conv ? this.conv.id : null;
  }

  clear() {
    this.conv = null;
    this.messages.clear();
    replace(this.root);
  }

  async open(id) {
    const token = ++this.seq;
    replace(this.root, h("p", { class: "muted loading-line" }, h("span", { class: "spinner", "aria-hidden": "true" }), " ",
      t("conversation.loading")));
    try {
      const [{ conversation }, { messages }] = await Promise.all([
        api(`/api/v1/conversations/${id}`), api(`/api/v1/conversations/${id}/messages`)]);
      if (token !== this.seq) return;
      this.conv = conversation;
      this.messages = new Map(messages.map((m) => [m.id, m]));
      this.render();
    } catch (err) {
      if (token !== this.seq) return;
      this.conv = null;
      const text = err.status === 404
        ? t("conversation.not_visible")
        : t("conversation.load_failed", { reason: errorText(err) });
      replace(this.root, h("p", { class: "form-error", role: "alert" }, text));
    }
  }

  render() {
    const c = this.conv;
    this.thread = h("ol", { class: "thread", "aria-label": t("conversation.messages"), "aria-live": "polite", "aria-relevant": "additions" },
      [...this.messages.values()].map((m) => this.message(m)));
    const section = h("section", { class: "conversation card", "aria-labelledby": "conv-title", dataset: { id: c.id, channel: c.channel } },
      this.head(c),
      h("div", { class: "thread-wrap" }, this.messages.size ? this.thread : [this.thread, h("p", { class: "muted empty-thread" }, t("conversation.no_messages"))]),
      this.taskSlot(c),
      c.status === "closed" ? [this.closedNote(c), this.needsOutcome(c) ? this.wrapUp(c) : null]
        : [this.composer(c), isTask(c.channel) ? null : this.wrapUp(c)]);
    replace(this.root, section);
    this.scrollDown();
  }

  /** The conversation's tasks (a callback's call-back link and outcome, a follow-up), loaded beside the thread. */
  taskSlot(c) {
    const slot = h("div", { class: "task-slot" });
    this.tasks = new TaskPanel({ conv: c, changed: () => this.open(c.id).then(() => this.changed(this.conv)) });
    const panel = this.tasks;
    panel.load().then((el) => { if (this.tasks === panel) slot.append(el); });
    return slot;
  }

  /** A "task" frame: the open conversation's task changed (an attempt rang, was answered, ended). */
  taskChanged(task) {
    if (this.tasks && this.conv && task.conversation_id === this.conv.id) this.tasks.update(task);
  }

  head(c) {
    const mine = c.assigned_user_id === this.user.id;
    return h("header", { class: "conv-head" },
      h("div", {},
        h("h2", { id: "conv-title" },
          h("span", { class: `ch-icon ch-${c.channel}` }, channelIcon(c.channel, { size: 15 })), " ",
          c.subject ? h("bdi", { dir: "auto" }, subjectText(c.subject))
            : c.customer_name || c.contact_address
              ? t("conversation.title_with", { channel: CHANNEL_NAME[c.channel] || c.channel, who: c.customer_name || c.contact_address })
              : t("conversation.title_customer", { channel: CHANNEL_NAME[c.channel] || c.channel })),
        h("p", { class: "muted" }, joined([
          c.customer_name ? h("bdi", { dir: "auto" }, c.customer_name) : null,
          c.contact_address ? h("bdi", { dir: "ltr" }, c.contact_address) : null,
          c.department ? label(c.department) : null,
          t("conversation.opened", { when: dateTime(c.created_at) })])),
        c.route_reason ? h("p", { class: "route-reason small", title: c.route_reason }, h("span", { class: "muted" }, t("conversation.routed")), " ",
          h("bdi", { dir: "auto" }, plainReason(c.route_reason))) : null),
      h("div", { class: "conv-state" },
        h("span", { class: `pill st-${c.status}`, id: "conv-status" }, statusName(c.status)),
        h("span", { class: "owner-name", id: "conv-owner" },
          c.owner_name ? (mine ? t("conversation.owner_you") : [t("conversation.owner"), " ", h("bdi", { dir: "auto" }, c.owner_name)])
            : t("conversation.unassigned")),
        c.status !== "closed" && (mine || this.user.role !== "agent" || !c.assigned_user_id)
          ? transferButton(c, () => this.open(c.id).then(() => this.changed(this.conv)))
          : null,
        !mine && c.status !== "closed"
          ? h("button", { type: "button", class: "btn", onclick: () => this.transition("assign") }, t("conversation.assign_me"))
          : null,
        c.status === "closed"
          ? h("button", { type: "button", class: "btn", onclick: () => this.transition("reopen") }, t("conversation.reopen"))
          : null));
  }

  message(m) {
    const mine = m.author_user_id === this.user.id;
    // An inbound message is labelled by its own sender (a colleague's forward is not the customer's mail).
    const who = m.direction === "in" ? (m.from && (m.from.name || m.from.address)) || m.sender || t("conversation.customer")
      : m.direction === "note" ? (mine ? t("conversation.note_by_you")
        : m.author_name ? t("conversation.note_by", { name: m.author_name }) : t("conversation.note_by_colleague"))
        : mine ? t("conversation.you") : m.author_name || t("conversation.colleague");
    const body = isMail(m.channel) && m.body_html && m.direction === "in"
      ? emailFrame(m.body_html, t("conversation.email_from", { who }))
      : h("div", { class: "msg-text", dir: "auto" }, m.body_text || "");
    return h("li", { class: ["msg", `dir-${m.direction}`, m.automated ? "automated" : ""], dataset: { id: m.id } },
      h("div", { class: "msg-meta" },
        h("span", { class: "msg-who", dir: "auto" }, who),
        m.direction === "in" && m.sender && m.sender !== who ? h("span", { class: "msg-from", dir: "auto" }, m.sender) : null,
        m.subject && isMail(m.channel) && m.direction === "in" ? h("span", { class: "msg-subject", dir: "auto" }, m.subject) : null,
        h("time", { datetime: m.created_at || "" }, dateTime(m.created_at)),
        m.automated ? h("span", { class: "pill warn" }, t("conversation.auto_reply")) : null,
        m.direction === "out" && m.delivery_status ? this.delivery(m) : null),
      m.direction === "in" ? this.senderWarnings(m) : null,
      m.parse_error ? h("p", { class: "form-error" }, t("conversation.parse_error"),
        m.has_raw ? [" ", h("a", { href: `/api/v1/conversations/${m.conversation_id}/messages/${m.id}/raw` }, t("conversation.download_original"))] : null) : null,
      body,
      m.attachments && m.attachments.length ? this.attachments(m) : null);
  }

  /** Warnings about an inbound mail's sender, shown on the message before anyone answers it: a display
   * name naming another address, failed SPF/DKIM/DMARC checks, a Reply-To elsewhere. */
  senderWarnings(m) {
    const notes = [];
    if (m.from_claimed) notes.push(h("p", { class: "sender-warning spoof", role: "note", dir: "auto" },
      icon("alert", { size: 13 }), " ", t("conversation.sender.claimed", { claimed: m.from_claimed, address: m.sender })));
    if (m.auth_failed && m.auth_failed.length) notes.push(h("p", { class: "sender-warning auth", role: "note" },
      icon("alert", { size: 13 }), " ",
      t("conversation.sender.auth_failed", { checks: m.auth_failed.map((c) => c.toUpperCase()).join(", ") })));
    if (m.reply_to) notes.push(h("p", { class: "sender-note reply-to", dir: "auto" },
      t("conversation.sender.reply_to", { address: m.reply_to })));
    return notes.length ? notes : null;
  }

  delivery(m) {
    const text = DELIVERY_KEYS[m.delivery_status] ? t(DELIVERY_KEYS[m.delivery_status]) : m.delivery_status;
    return h("span", { class: `pill delivery-${m.delivery_status}`, title: m.delivery_error || "" }, text,
      m.delivery_status === "failed" && m.delivery_error ? [" — ", h("bdi", { dir: "auto" }, m.delivery_error)] : null);
  }

  attachments(m) {
    return h("ul", { class: "attachments", "aria-label": t("conversation.attachments") }, m.attachments.map((a) => h("li", {},
      a.omitted || a.position === null || a.position === undefined
        ? h("span", { class: "muted" }, icon("clip", { size: 13 }), " ", h("bdi", { dir: "auto" }, a.filename), " ",
          a.omitted ? t("conversation.attachment_not_kept", { reason: a.omitted }) : t("conversation.attachment_too_large"))
        : h("a", { href: `/api/v1/conversations/${m.conversation_id}/messages/${m.id}/attachments/${a.position}`, download: a.filename },
          icon("clip", { size: 13 }), " ", h("bdi", { dir: "auto" }, a.filename), " ",
          h("span", { class: "muted" }, t("conversation.size_kb", { size: Math.ceil((a.size || 0) / 1024) }))))));
  }

  /** A contact of mine that ended (a call hung up, the wrap-up time ran out) before I chose an outcome. */
  needsOutcome(c) {
    return c.assigned_user_id === this.user.id && !c.disposition && !isTask(c.channel);
  }

  closedNote(c) {
    return h("p", { class: "closed-note" }, c.disposition
      ? t("conversation.closed_with", { outcome: dispositionName(c.disposition) }) : t("conversation.closed"));
  }

  composer(c) {
    const replies = canReply(c.channel);
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const text = h("textarea", { id: "composer-text", name: "text", rows: 4, required: true, dir: "auto", "aria-keyshortcuts": "Control+Enter" });
    const label_ = h("label", { for: "composer-text", id: "composer-label", dir: "auto" });
    const target = isMail(c.channel) ? replyTarget(c, this.messages.values()) : { to: null, from: null };
    const warning = target.to && target.from && target.to !== target.from
      ? h("p", { class: "sender-warning reply-to", id: "composer-reply-to", role: "note", dir: "auto" }, icon("alert", { size: 13 }),
        " ", t("conversation.sender.reply_to_differs", { to: target.to, from: target.from }))
      : null;
    const send = h("button", { type: "submit", class: "btn primary", id: "composer-send" });
    const radios = [["out", replies ? t(REPLY_KEYS[c.channel] || "conversation.reply") : null], ["note", t("conversation.note")]]
      .filter(([, t]) => t)
      .map(([value, t], i) => h("label", { class: "seg-radio" },
        h("input", { type: "radio", name: "composer-mode", value, checked: i === 0 }), ` ${t}`));
    const canned = h("select", { id: "canned-select", "aria-label": t("conversation.canned.label") },
      h("option", { value: "" }, t("conversation.canned.placeholder")),
      (this.config().canned_responses || []).map((r) => h("option", { value: r.id, dir: "auto" }, r.title)));
    const form = h("form", { class: "composer", "aria-label": t("conversation.composer") },
      h("div", { class: "composer-top" },
        h("div", { class: "segmented", role: "radiogroup", "aria-label": t("conversation.send_as") }, radios),
        canned),
      label_, warning, text, error,
      h("div", { class: "composer-bottom" },
        h("span", { class: "hint" }, h("kbd", { translate: "no" }, "Ctrl"), "+", h("kbd", { translate: "no" }, "Enter"), " ",
          t("conversation.to_send")), send));
    const mode = () => form.querySelector("input[name=composer-mode]:checked").value;
    const sync = () => {
      const note = mode() === "note";
      form.classList.toggle("note-mode", note);
      const who = target.to || c.customer_name || c.contact_address;
      label_.textContent = note ? t("conversation.note_label")
        : who ? t("conversation.reply_to", { who }) : t("conversation.reply_to_customer");
      if (warning) warning.hidden = note;
      send.textContent = note ? t("conversation.add_note") : t(SEND_KEYS[c.channel] || "conversation.send");
    };
    form.addEventListener("change", (e) => { if (e.target.name === "composer-mode") sync(); });
    sync();
    canned.addEventListener("change", () => {
      const r = (this.config().canned_responses || []).find((x) => x.id === canned.value);
      canned.value = "";
      if (!r) return;
      const filled = r.text.replaceAll("{customer}", c.customer_name || t("conversation.canned.no_name"))
        .replaceAll("{agent}", this.user.display_name || this.user.username);
      const at = text.selectionStart ?? text.value.length;
      text.setRangeText(filled, at, text.selectionEnd ?? at, "end");
      text.focus();
    });
    text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.hidden = true;
      const body = text.value;
      if (!body.trim()) {
        error.textContent = t("conversation.empty_text");
        error.hidden = false;
        text.focus();
        return;
      }
      send.disabled = true;
      try {
        const { message } = await api(`/api/v1/conversations/${c.id}/messages`, {
          method: "POST", body: { text: body, direction: mode(), client_id: `desk-${Date.now()}-${Math.random().toString(36).slice(2, 8)}` },
        });
        text.value = "";
        this.add(message);
        announce(mode() === "note" ? t("conversation.note_added") : t("conversation.reply_sent"));
        this.changed(this.conv);
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
      } finally {
        send.disabled = false;
        text.focus();
      }
    });
    return form;
  }

  wrapUp(c) {
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const select = h("select", { id: "disposition-select", required: true },
      h("option", { value: "" }, t("wrapup.choose")),
      (this.config().dispositions || []).map((d) => h("option", { value: d.code }, dispositionName(d.code, d.label))));
    const form = h("form", { class: "wrapup", "aria-label": t("wrapup.label") },
      h("label", { for: "disposition-select" }, t("wrapup.outcome")), select,
      h("button", { type: "submit", class: "btn" }, t("wrapup.submit")), error);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      error.hidden = true;
      if (!select.value) {
        error.textContent = t("wrapup.missing");
        error.hidden = false;
        select.focus();
        return;
      }
      try {
        const { conversation } = await api(`/api/v1/conversations/${c.id}/wrap-up`, { method: "POST", body: { disposition: select.value } });
        this.conv = { ...this.conv, ...conversation };
        announce(t("wrapup.done", { outcome: dispositionName(conversation.disposition) }));
        this.render();
        this.changed(this.conv);
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
      }
    });
    return form;
  }

  async transition(action) {
    try {
      const { conversation } = await api(`/api/v1/conversations/${this.conv.id}`, { method: "PATCH", body: { action } });
      this.conv = { ...this.conv, ...conversation };
      this.render();
      this.changed(this.conv);
    } catch (err) {
      announce(errorText(err));
      replace(this.root.querySelector(".conv-state") || this.root, h("span", { class: "form-error", role: "alert" }, errorText(err)));
    }
  }

  /** Add or update one message in the open thread. */
  add(message) {
    if (!this.conv || message.conversation_id !== this.conv.id) return;
    const known = this.messages.get(message.id);
    const merged = { ...(known || {}), ...message };
    if (!merged.created_at) merged.created_at = new Date().toISOString(); // live frames may omit it
    // The delivery report may overtake the POST's answer: never go back from sent/failed to queued.
    const later = [known, this.pendingStatus.get(message.id)].find((m) => m && FINAL.has(m.delivery_status));
    if (later && !FINAL.has(merged.delivery_status)) {
      merged.delivery_status = later.delivery_status;
      merged.delivery_error = later.delivery_error || null;
    }
    this.pendingStatus.delete(message.id);
    this.messages.set(message.id, merged);
    const el = this.message(this.messages.get(message.id));
    const old = this.thread && this.thread.querySelector(`.msg[data-id="${message.id}"]`);
    if (old) old.replaceWith(el);
    else if (this.thread) {
      this.thread.append(el);
      const empty = this.root.querySelector(".empty-thread");
      if (empty) empty.remove();
    }
    this.scrollDown();
  }

  /** A "message_status" frame: a reply was sent or failed. */
  status(frame) {
    const m = this.messages.get(frame.message_id);
    if (!m) {
      if (this.conv && frame.conversation_id === this.conv.id) {
        this.pendingStatus.set(frame.message_id, { delivery_status: frame.delivery_status, delivery_error: frame.error });
      }
      return;
    }
    this.add({ ...m, delivery_status: frame.delivery_status, delivery_error: frame.error || null });
  }

  scrollDown() {
    const wrap = this.root.querySelector(".thread-wrap");
    if (wrap) wrap.scrollTop = wrap.scrollHeight;
  }
}
