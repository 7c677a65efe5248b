// The presence switch: available, or away with a reason. The server's "presence" frames are the
// truth; the switch shows what was asked for until the server confirms it.

import { announce, h, replace } from "./dom.js";
import { duration, loadText, reasonName, stateName } from "./format.js";
import { t } from "/ui/i18n/i18n.js";

export class Presence {
  constructor(root, send) {
    this.root = root;
    this.send = send;
    this.reasons = []; // away reasons: the installation's words, from GET /api/v1/desk/config
    this.frame = null;
    this.select = h("select", { id: "presence-select", class: "presence-select", "aria-describedby": "presence-state" });
    this.select.addEventListener("change", () => this.choose(this.select.value));
    this.badge = h("span", { id: "presence-state", class: "presence-state", "data-state": "offline", "aria-live": "polite" },
      t("connection.connecting"));
    this.label = h("label", { for: "presence-select", class: "presence-label" }, t("presence.label"));
    this.connected = false;
    replace(root, this.label, this.select, this.badge);
    this.fill();
  }

  /** The UI language changed. */
  relabel() {
    this.label.textContent = t("presence.label");
    this.fill();
    if (this.connected) this.render();
    else this.disconnected();
  }

  setReasons(reasons) {
    if (Array.isArray(reasons) && reasons.length) this.reasons = reasons;
    this.fill();
  }

  fill() {
    const current = this.value();
    const reasons = this.reasons.length ? this.reasons : [null];
    replace(this.select,
      h("option", { value: "available" }, `● ${stateName("available")}`),
      h("optgroup", { label: stateName("away") }, reasons.map((r) => h("option", { value: `away:${r ?? ""}` },
        `◐ ${r ? t("presence.away_reason", { reason: reasonName(r) }) : stateName("away")}`))),
      h("option", { value: "offline" }, `○ ${stateName("offline")}`));
    this.select.value = current;
  }

  value() {
    const f = this.frame;
    if (!f) return "available";
    if (f.presence === "away") return f.reason && this.reasons.includes(f.reason) ? `away:${f.reason}` : `away:${this.reasons[0] ?? ""}`;
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
    this.connected = true;
    delete this.badge.dataset.pending;
    if (frame.presence === "away" && frame.reason && !this.reasons.includes(frame.reason)) {
      this.reasons = [...this.reasons, frame.reason];
      this.fill();
    }
    this.select.value = this.value();
    this.render();
    if (changed) announce(t("presence.announce", { state: this.text() }));
  }

  text() {
    const f = this.frame;
    if (!f) return stateName("offline");
    const state = f.state || f.presence;
    let text = stateName(state);
    if (state === "away" && f.reason) text = t("presence.away_reason", { reason: reasonName(f.reason) });
    if (state === "busy") {
      const load = loadText(f.load);
      if (load) text += ` · ${load}`;
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
   * request answered "routed: false"): no switch, no state, nothing that could look like a lost connection.
   */
  unrouted() {
    this.none = true;
    this.root.hidden = true;
  }

  /** The websocket went away: we cannot know our state. */
  disconnected() {
    if (this.none) return;
    this.connected = false;
    this.badge.dataset.state = "offline";
    this.badge.textContent = t("connection.closed");
  }

  tick() {
    if (this.frame && this.frame.state === "wrap_up") this.render();
  }
}
