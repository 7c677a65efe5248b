// Incoming contacts: routing's offers (accept / reject with a countdown) and ringing calls
// (who is calling, before the agent picks up the phone). Shortcuts: A accepts, R rejects the
// oldest offer.

import { announce, h, replace } from "./dom.js";
import { label, plainReason, subjectText } from "./format.js";
import { channelIcon } from "./icons.js";
import { t } from "/ui/i18n/i18n.js";

const CANCEL_KEYS = {
  timeout: "offer.cancel.timeout",
  rejected: "offer.cancel.rejected",
  abandoned: "offer.cancel.abandoned",
  answered_elsewhere: "offer.cancel.answered_elsewhere",
  presence: "offer.cancel.presence",
  unreachable: "offer.cancel.unreachable",
};
const NEW_KEYS = { call: "offer.new.call", email: "offer.new.email", chat: "offer.new.chat", api: "offer.new.api" };

export class Alerts {
  /**
   * @param {HTMLElement} root the aria-live region that holds the cards
   * @param {(frame: object) => void} send sends an agent websocket frame
   * @param {import("./notify.js").Notifier} notifier sound, desktop notification, tab title
   */
  constructor(root, send, notifier) {
    this.root = root;
    this.send = send;
    this.notifier = notifier;
    this.offers = new Map(); // offer id -> {frame, deadline, el}
    this.ringing = new Map(); // call id -> {el, frame, who}
    this.timer = setInterval(() => this.tick(), 250);
  }

  /** The UI language changed: the cards on screen are built again from their frames. */
  relabel() {
    const offers = [...this.offers.values()].filter((o) => !o.done).sort((a, b) => b.deadline - a.deadline);
    const rings = [...this.ringing.values()];
    for (const entry of rings) this.ringingCall(entry.frame, { quiet: true });
    for (const o of offers) {
      this.offer(o.frame, { quiet: true });
      const again = this.offers.get(o.frame.offer_id);
      if (!again) continue;
      again.deadline = o.deadline;
      if (o.caller) this.showCaller(again, o.caller.who, o.caller.callId);
    }
    this.tick();
  }

  // ------------------------------------------------------------------ offers

  offer(frame, { quiet = false } = {}) {
    if (!frame.offer_id) return;
    this.remove(this.offers.get(frame.offer_id));
    const seconds = Number(frame.timeout_seconds) || 30;
    const now = Date.now() / 1000;
    const expires = Number(frame.expires_at);
    // Trust the server's deadline when it agrees with our clock; else count the timeout from now.
    const remaining = Number.isFinite(expires) && Math.abs(expires - now - seconds) <= seconds ? expires - now : seconds;
    const deadline = Date.now() + remaining * 1000;
    const id = `offer-${frame.offer_id.replace(/[^a-zA-Z0-9_-]/g, "_")}`;
    const bar = h("span", { class: "countdown-bar" });
    const count = h("span", { class: "countdown-text" });
    const accept = h("button", { type: "button", class: "btn primary", "aria-keyshortcuts": "A", onclick: () => this.accept(frame.offer_id) },
      t("offer.button.accept"), " ", h("kbd", {}, "A"));
    const reject = h("button", { type: "button", class: "btn", "aria-keyshortcuts": "R", onclick: () => this.reject(frame.offer_id) },
      t("offer.button.reject"), " ", h("kbd", {}, "R"));
    // A call the PBX is ringing at this desk and routing offers here is one card: who is calling, plus the offer.
    const ring = frame.channel === "call" ? this.ringingFor(frame.conversation_id) : null;
    if (ring) this.callSettled(ring.frame.call_id);
    const what = ring ? ring.who : subjectText(frame.subject) || frame.contact_address || t("offer.conversation", { id: String(frame.conversation_id) });
    const el = h("article", {
      class: ["alert", "offer", ring ? "ringing" : "", `ch-${frame.channel}`], "aria-labelledby": `${id}-title`,
      dataset: { offerId: frame.offer_id, callId: ring ? ring.frame.call_id : null },
    },
      h("div", { class: ["alert-icon", `ch-${frame.channel}`, ring ? "ring" : ""] }, channelIcon(frame.channel, { size: 22 })),
      h("div", { class: "alert-main" },
        h("h2", { id: `${id}-title` }, ring ? t("offer.incoming_call") : t(NEW_KEYS[frame.channel] || "offer.new.contact")),
        h("p", { class: ["alert-what", ring ? "caller" : ""], dir: "auto" }, what),
        h("p", { class: "muted" }, [frame.contact_address && frame.subject ? h("bdi", { dir: "ltr" }, frame.contact_address) : null,
          label(frame.department), frame.reason ? h("bdi", { dir: "auto" }, plainReason(frame.reason)) : null].filter(Boolean)
          .flatMap((p, i) => (i ? [" · ", p] : [p]))),
        h("div", { class: "countdown", role: "timer", "aria-label": t("offer.time_left") }, bar, count)),
      h("div", { class: "alert-actions" }, accept, reject));
    this.offers.set(frame.offer_id, { frame, deadline, seconds: Math.max(remaining, 1), el, bar, count, accept, reject });
    this.root.prepend(el);
    this.tick();
    if (!quiet) {
      announce(t("offer.announce", { what }));
      this.notifier.alert({
        tag: `offer-${frame.offer_id}`, title: el.querySelector("h2").textContent,
        body: [what, label(frame.department)].filter(Boolean).join(" · "),
        onClick: () => { if (!accept.disabled) accept.focus(); },
      });
    }
    this.counted();
  }

  oldestOffer() {
    let best = null;
    for (const o of this.offers.values()) if (!o.done && (!best || o.deadline < best.deadline)) best = o;
    return best;
  }

  accept(offerId) {
    const o = this.offers.get(offerId);
    if (!o || o.done) return;
    o.done = true;
    this.notifier.close(`offer-${offerId}`);
    this.counted();
    o.accept.disabled = o.reject.disabled = true;
    o.el.classList.add("pending");
    replace(o.count, t("offer.accepting"));
    this.send({ type: "offer.accept", offer_id: offerId });
  }

  reject(offerId) {
    const o = this.offers.get(offerId);
    if (!o || o.done) return;
    o.done = true;
    o.accept.disabled = o.reject.disabled = true;
    this.send({ type: "offer.reject", offer_id: offerId });
    this.dismiss(offerId, t("offer.cancel.rejected"));
  }

  /** An "assigned" frame: the offer became the agent's contact. */
  assigned(frame) {
    for (const [id, o] of this.offers) {
      if (id === frame.offer_id || o.frame.conversation_id === frame.conversation_id) this.dismiss(id, null);
    }
  }

  /** The contact is in the agent's hands (its pop arrived) or over: its offer card goes. */
  contactTaken(conversationId) {
    for (const [id, o] of this.offers) if (o.frame.conversation_id === conversationId) this.dismiss(id, null);
  }

  cancelled(frame) {
    for (const [id, o] of this.offers) {
      if (id === frame.offer_id || (!frame.offer_id && o.frame.conversation_id === frame.conversation_id)) {
        this.dismiss(id, t(CANCEL_KEYS[frame.reason] || "offer.cancel.other"));
      }
    }
  }

  /** The number of contacts waiting for the agent (open offers and ringing calls) goes to the tab title. */
  counted() {
    const open = [...this.offers.values()].filter((o) => !o.done).length;
    this.notifier.setCount(open + [...this.ringing.values()].filter((r) => r.el).length);
  }

  dismiss(offerId, message) {
    const o = this.offers.get(offerId);
    if (!o) return;
    this.offers.delete(offerId);
    this.notifier.close(`offer-${offerId}`);
    this.counted();
    if (message) {
      o.el.classList.add("gone");
      replace(o.el, h("p", { class: "alert-gone" }, message));
      announce(message);
      setTimeout(() => o.el.remove(), 2500);
    } else {
      o.el.remove();
    }
  }

  tick() {
    const now = Date.now();
    for (const o of this.offers.values()) {
      if (o.done) continue;
      const left = Math.max(0, (o.deadline - now) / 1000);
      o.bar.style.width = `${(100 * left) / o.seconds}%`;
      o.el.classList.toggle("urgent", left <= 5);
      o.count.textContent = left > 0 ? t("offer.seconds_left", { seconds: Math.ceil(left) }) : t("offer.expired");
      if (left <= 0) {
        o.done = true;
        o.accept.disabled = o.reject.disabled = true;
        this.notifier.close(`offer-${o.frame.offer_id}`);
        this.counted();
      }
    }
  }

  // ------------------------------------------------------------------ ringing calls

  ringingFor(conversationId) {
    for (const entry of this.ringing.values()) if (entry.frame.conversation_id === conversationId) return entry;
    return null;
  }

  /** An offer's card becomes the ringing call's card: who is calling. */
  showCaller(offered, who, callId) {
    offered.caller = { who, callId };
    offered.el.classList.add("ringing");
    offered.el.dataset.callId = callId;
    const line = offered.el.querySelector(".alert-what");
    line.textContent = who;
    line.classList.add("caller");
    offered.el.querySelector("h2").textContent = t("offer.incoming_call");
  }

  ringingCall(frame, { quiet = false } = {}) {
    this.remove(this.ringing.get(frame.call_id));
    const c = frame.customer;
    const candidates = frame.candidates || [];
    const who = c ? c.display_name : candidates.length ? t("pop.possible_customers", { count: candidates.length }) : t("offer.unknown_caller");
    const offered = [...this.offers.values()].find((o) => o.frame.conversation_id === frame.conversation_id && !o.done);
    if (offered) { // routing offered this call here already: its card learns who is calling
      this.showCaller(offered, who, frame.call_id);
      if (!quiet) announce(t("offer.incoming_from", { who }));
      return;
    }
    const el = h("article", { class: "alert ringing ch-call", "aria-labelledby": `ring-${frame.conversation_id}`, dataset: { callId: frame.call_id } },
      h("div", { class: "alert-icon ring ch-call" }, channelIcon("call", { size: 22 })),
      h("div", { class: "alert-main" },
        h("h2", { id: `ring-${frame.conversation_id}` }, t("offer.incoming_call")),
        h("p", { class: "alert-what caller", dir: "auto" }, who),
        h("p", { class: "muted" }, [frame.from ? h("bdi", { dir: "ltr" }, frame.from) : null,
          c && c.company ? h("bdi", { dir: "auto" }, c.company) : null, frame.queue ? label(frame.queue) : null].filter(Boolean)
          .flatMap((p, i) => (i ? [" · ", p] : [p]))),
        candidates.length && !c
          ? h("p", { class: "muted small", dir: "auto" }, candidates.map((x) => x.display_name).join(", "))
          : null),
      h("div", { class: "alert-actions" }, h("p", { class: "hint" }, t("offer.answer_on_phone"))));
    this.ringing.set(frame.call_id, { el, frame, who });
    this.root.prepend(el);
    if (!quiet) {
      announce(frame.from ? t("offer.incoming_from_number", { who, number: frame.from }) : t("offer.incoming_from", { who }));
      this.notifier.alert({ tag: `call-${frame.call_id}`, title: t("offer.incoming_call"), body: [who, frame.from].filter(Boolean).join(" · ") });
    }
    this.counted();
  }

  /** The call was answered (the pop arrived) or ended: the ringing card goes. */
  callSettled(callId) {
    const entry = this.ringing.get(callId);
    if (!entry) return;
    this.ringing.delete(callId);
    entry.el.remove();
    this.notifier.close(`call-${callId}`);
    this.counted();
  }

  remove(entry) {
    if (!entry) return;
    (entry.el || entry).remove();
  }

  /** Keyboard: A accepts and R rejects the offer that expires first. Returns true when handled. */
  key(event) {
    const o = this.oldestOffer();
    if (!o) return false;
    if (event.key === "a" || event.key === "A") this.accept(o.frame.offer_id);
    else if (event.key === "r" || event.key === "R") this.reject(o.frame.offer_id);
    else return false;
    return true;
  }
}
