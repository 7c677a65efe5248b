// Getting the agent's attention for offers and ringing calls: a sound, a desktop notification
// (permission asked for once; shown when the desk is not the window in front) and the number of
// waiting contacts in the tab title. The agent turns the sound and the notifications on or off
// under "Alerts" in the top bar; the choice is kept in this browser.

import { h } from "./dom.js";

const STORAGE_KEY = "cc.desk.alerts";
// Every string this module shows, in one place (for the message catalogs).
const TEXT = {
  menu: "Alerts",
  sound: "Play a sound",
  desktop: "Desktop notifications",
  allow: "Allow desktop notifications",
  blocked: "Notifications are blocked in this browser's site settings.",
  ask: "Turn on desktop notifications, so offers reach you in another window?",
  askYes: "Turn on",
  askNo: "Not now",
  test: "Test the alert",
  testTitle: "Alerts work",
  testBody: "Offers and ringing calls will look like this.",
};

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
    const details = h("details", { class: "alert-settings" },
      h("summary", { class: "btn subtle" }, TEXT.menu),
      h("div", { class: "alert-settings-body" },
        h("label", { class: "check" }, sound, " ", TEXT.sound),
        h("label", { class: "check" }, desktop, " ", TEXT.desktop),
        this.hint,
        h("button", { type: "button", class: "btn", onclick: () => this.test() }, TEXT.test)));
    this.syncHint();
    return details;
  }

  syncHint() {
    if (!this.hint) return;
    const blocked = this.supported && Notification.permission === "denied" && this.settings.desktop;
    this.hint.textContent = blocked ? TEXT.blocked : "";
    this.hint.hidden = !blocked;
  }

  /**
   * Ask for the notification permission once per browser (a banner with Turn on / Not now), unless
   * the agent turned notifications off or the browser already decided. `where` receives the banner.
   */
  offerPermission(where) {
    if (!this.supported || !this.settings.desktop || this.settings.asked || Notification.permission !== "default") return;
    const banner = h("div", { class: "permission-banner", role: "region", "aria-label": TEXT.desktop },
      h("span", {}, TEXT.ask),
      h("button", { type: "button", class: "btn primary", onclick: () => { banner.remove(); this.requestPermission(); } }, TEXT.askYes),
      h("button", { type: "button", class: "btn", onclick: () => { banner.remove(); this.settings.asked = true; this.save(); } }, TEXT.askNo));
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
      new Notification(TEXT.testTitle, { body: TEXT.testBody, tag: "cc-test" });
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
