// Getting the agent's attention for offers and ringing calls: a sound, a desktop notification
// (permission asked for once; shown when the desk is not the window in front) and the number of
// waiting contacts in the tab title. The agent turns the sound and the notifications on or off
// under "Alerts" in the top bar; the choice is kept in this browser.

import { applyTranslations, t } from "/ui/i18n/i18n.js";
import { h } from "./dom.js";

const STORAGE_KEY = "cc.desk.alerts";

function load() {
  try {
    return { sound: true, desktop: true, asked: false, ...JSON.parse(localStorage.getItem(STORAGE_KEY) || "{}") };
  } catch {
    return { sound: true, desktop: true, asked: false };
  }
}

export class Notifier {
  constructor() {
    this.settings = load();
    this.baseTitle = document.title;
    this.audio = null;
    this.shown = new Map(); // tag -> Notification
    // Browsers start audio only after the user interacted with the page: be ready by then.
    const unlock = () => { this.context()?.resume?.(); };
    document.addEventListener("pointerdown", unlock, { once: true });
    document.addEventListener("keydown", unlock, { once: true });
  }

  save() {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(this.settings));
  }

  get supported() {
    return "Notification" in window;
  }

  /** The "Alerts" menu for the top bar: the two switches, and a test. */
  controls() {
    const sound = h("input", { type: "checkbox", id: "alert-sound", checked: this.settings.sound,
      onchange: () => { this.settings.sound = sound.checked; this.save(); } });
    const desktop = h("input", { type: "checkbox", id: "alert-desktop", checked: this.settings.desktop,
      disabled: !this.supported,
      onchange: () => {
        this.settings.desktop = desktop.checked;
        this.save();
        if (desktop.checked) this.requestPermission();
        this.syncHint();
      } });
    this.hint = h("p", { class: "muted small", role: "status" });
    this.menu = h("details", { class: "alert-settings" },
      h("summary", { class: "btn subtle", "data-i18n": "alerts.menu" }),
      h("div", { class: "alert-settings-body" },
        h("label", { class: "check" }, sound, " ", h("span", { "data-i18n": "alerts.sound" })),
        h("label", { class: "check" }, desktop, " ", h("span", { "data-i18n": "alerts.desktop" })),
        this.hint,
        h("button", { type: "button", class: "btn", onclick: () => this.test(), "data-i18n": "alerts.test" })));
    this.relabel();
    return this.menu;
  }

  /** The menu and the banner in the UI language (also after a language switch). */
  relabel() {
    if (this.menu) applyTranslations(this.menu);
    if (this.banner) applyTranslations(this.banner);
    this.syncHint();
  }

  syncHint() {
    if (!this.hint) return;
    const blocked = this.supported && Notification.permission === "denied" && this.settings.desktop;
    this.hint.textContent = blocked ? t("alerts.blocked") : "";
    this.hint.hidden = !blocked;
  }

  /**
   * Ask for the notification permission once per browser (a banner with Turn on / Not now), unless
   * the agent turned notifications off or the browser already decided. `where` receives the banner.
   */
  offerPermission(where) {
    if (!this.supported || !this.settings.desktop || this.settings.asked || Notification.permission !== "default") return;
    const banner = h("div", { class: "permission-banner", role: "region", "data-i18n-attr": "aria-label:alerts.desktop" },
      h("span", { "data-i18n": "alerts.ask" }),
      h("button", {
        type: "button", class: "btn primary", "data-i18n": "alerts.ask_yes",
        onclick: () => { banner.remove(); this.banner = null; this.requestPermission(); },
      }),
      h("button", {
        type: "button", class: "btn", "data-i18n": "alerts.ask_no",
        onclick: () => { banner.remove(); this.banner = null; this.settings.asked = true; this.save(); },
      }));
    this.banner = banner;
    applyTranslations(banner);
    where.append(banner);
  }

  async requestPermission() {
    this.settings.asked = true;
    this.save();
    if (this.supported && Notification.permission === "default") await Notification.requestPermission();
    this.syncHint();
  }

  /** The tab title carries the number of contacts waiting for this agent. */
  setCount(count) {
    document.title = count > 0 ? `(${count}) ${this.baseTitle}` : this.baseTitle;
  }

  setBaseTitle(title) {
    this.baseTitle = title;
    document.title = title;
  }

  /**
   * An offer or a ringing call: sound, and a desktop notification when the desk is not in front.
   * `tag` identifies the contact (a second alert for it replaces the first); `onClick` runs when
   * the agent clicks the notification (after the desk is brought to the front).
   */
  alert({ tag, title, body, onClick }) {
    if (this.settings.sound) this.beep();
    if (!this.settings.desktop || !this.supported || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && document.hasFocus()) return;
    this.close(tag);
    const note = new Notification(title, { body, tag, requireInteraction: true });
    note.onclick = () => {
      window.focus();
      note.close();
      if (onClick) onClick();
    };
    this.shown.set(tag, note);
  }

  /** The contact was answered, taken or withdrawn: its notification goes. */
  close(tag) {
    const note = this.shown.get(tag);
    if (note) note.close();
    this.shown.delete(tag);
  }

  test() {
    if (this.settings.sound) this.beep();
    if (this.settings.desktop && this.supported && Notification.permission === "granted") {
      new Notification(t("alerts.test_title"), { body: t("alerts.test_body"), tag: "cc-test" });
    }
  }

  context() {
    if (!this.audio) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      this.audio = Ctx ? new Ctx() : null;
    }
    return this.audio;
  }

  /** Two short tones, like a soft phone ring (no sound file to load). */
  beep() {
    const ctx = this.context();
    if (!ctx) return;
    const start = ctx.currentTime + 0.01;
    for (const [offset, freq] of [[0, 880], [0.22, 660]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start + offset);
      osc.stop(start + offset + 0.2);
    }
  }
}
