// The presence switch: available, or away with a reason. The server's "presence" frames are the
// truth; the switch shows what was asked for until the server confirms it.

import { announce, h, replace } from "./dom.js";
import { CHANNEL_NAME, duration, label } from "./format.js";

const STATE_TEXT = { available: "Available", busy: "Busy", wrap_up: "Wrap-up", away: "Away", offline: "Offline" };

export class Presence {
  constructor(root, send) {
    this.root = root;
    this.send = send;
    this.reasons = ["Break", "Lunch", "Meeting", "Training"];
    this.frame = null;
    this.select = h("select", { id: "presence-select", class: "presence-select", "aria-describedby": "presence-state" });
    this.select.addEventListener("change", () => this.choose(this.select.value));
    this.badge = h("span", { id: "presence-state", class: "presence-state", "data-state": "offline", "aria-live": "polite" }, "Connecting…");
    replace(root, h("label", { for: "presence-select", class: "presence-label" }, "My status"), this.select, this.badge);
    this.fill();
  }

  setReasons(reasons) {
    if (Array.isArray(reasons) && reasons.length) this.reasons = reasons;
    this.fill();
  }

  fill() {
    const current = this.value();
    replace(this.select,
      h("option", { value: "available" }, "● Available"),
      h("optgroup", { label: "Away" }, this.reasons.map((r) => h("option", { value: `away:${r}` }, `◐ Away — ${r}`))),
      h("option", { value: "offline" }, "○ Offline"));
    this.select.value = current;
  }

  value() {
    const f = this.frame;
    if (!f) return "available";
    if (f.presence === "away") return f.reason && this.reasons.includes(f.reason) ? `away:${f.reason}` : `away:${this.reasons[0]}`;
    return f.presence || "offline";
  }

  choose(value) {
    const [presence, reason] = value.split(/:(.*)/s);
    this.badge.dataset.pending = "true";
    this.send({ type: "presence.set", presence, reason: reason || null });
  }

  /** A "presence" frame from routing. */
  update(frame) {
    const changed = !this.frame || this.frame.state !== frame.state || this.frame.presence !== frame.presence;
    this.frame = frame;
    delete this.badge.dataset.pending;
    if (frame.presence === "away" && frame.reason && !this.reasons.includes(frame.reason)) {
      this.reasons = [...this.reasons, frame.reason];
      this.fill();
    }
    this.select.value = this.value();
    this.render();
    if (changed) announce(`You are ${this.text().toLowerCase()}`);
  }

  text() {
    const f = this.frame;
    if (!f) return "Offline";
    const state = f.state || f.presence;
    let text = STATE_TEXT[state] || label(state);
    if (state === "away" && f.reason) text += ` — ${f.reason}`;
    if (state === "busy") {
      const load = Object.entries(f.load || {}).filter(([, n]) => n > 0).map(([ch, n]) => `${n} ${(CHANNEL_NAME[ch] || ch).toLowerCase()}`);
      if (load.length) text += ` · ${load.join(", ")}`;
    }
    if (state === "wrap_up" && f.wrap_up_until) {
      text += ` · ${duration(f.wrap_up_until - Date.now() / 1000)}`;
    }
    return text;
  }

  render() {
    const f = this.frame;
    this.badge.dataset.state = f ? f.state || f.presence : "offline";
    this.badge.textContent = this.text();
  }

  /**
   * The user takes no routed contacts (a supervisor or admin routing does not know: the presence
   * request answered 404): no switch, no state, nothing that could look like a lost connection.
   */
  unrouted() {
    this.none = true;
    this.root.hidden = true;
  }

  /** The websocket went away: we cannot know our state. */
  disconnected() {
    if (this.none) return;
    this.badge.dataset.state = "offline";
    this.badge.textContent = "Reconnecting…";
  }

  tick() {
    if (this.frame && this.frame.state === "wrap_up") this.render();
  }
}
