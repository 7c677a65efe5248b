// The agent desk: login, then one websocket (/ws/agent) and the REST API drive the presence
// switch, incoming offers and calls, the screen pop, the inbox and the open conversation.

import { Alerts } from "./alerts.js";
import { api, errorText, onUnauthorized } from "./api.js";
import { isVoice, loadChannels } from "./channels.js";
import { ConversationView } from "./conversation.js";
import { announce, byId, h, replace, typingIn } from "./dom.js";
import { ago, roleName } from "./format.js";
import { Inbox } from "./inbox.js";
import { Notifier } from "./notify.js";
import { languageMenu } from "./language.js";
import { showLogin } from "./login.js";
import { PopView } from "./pop.js";
import { Presence } from "./presence.js";
import { FrameSocket } from "./socket.js";
import { MissedCalls } from "./tasks.js";
import { WrapUpPanel } from "./wrapup.js";
import { currentLanguage, onLanguageChange, setLanguage, t } from "/ui/i18n/i18n.js";

const CONNECTION_KEYS = {
  connecting: "connection.connecting", open: "connection.open", closed: "connection.closed", denied: "connection.denied",
};

class Desk {
  constructor(user) {
    this.user = user;
    this.config = { canned_responses: [], dispositions: [], away_reasons: [] };
    this.socket = new FrameSocket("/ws/agent", (state) => this.connection(state));
    const send = (frame) => this.socket.send(frame);
    this.presence = new Presence(byId("presence"), send);
    this.notifier = new Notifier();
    this.alerts = new Alerts(byId("alerts"), send, this.notifier);
    this.pop = new PopView({ root: byId("pop-region"), send, openConversation: (id) => this.open(id) });
    this.conversation = new ConversationView({
      root: byId("conversation-region"), user, config: () => this.config, changed: () => this.inbox.refresh(),
    });
    this.inbox = new Inbox(byId("inbox"), (id) => this.open(id));
    this.missed = new MissedCalls(byId("missed-calls"), (id) => this.open(id));
    this.wrapUp = new WrapUpPanel(byId("wrapup"), {
      send, config: () => this.config, done: (id) => this.wrappedUp(id),
    });
    this.connectionState = "connecting";
    this.wire();
  }

  async start() {
    this.renderWhoami();
    languageMenu(byId("language-select"), (language) => {
      api("/api/v1/me", { method: "PATCH", body: { language } })
        .then(({ user }) => { this.user.language = user.language; })
        .catch((err) => this.toast(errorText(err)));
    });
    onLanguageChange(() => this.relabel());
    byId("wallboard-link").hidden = !["supervisor", "admin"].includes(this.user.role);
    byId("alert-menu").replaceChildren(this.notifier.controls());
    this.notifier.offerPermission(byId("alerts"));
    this.showEmpty();
    this.socket.connect();
    this.inbox.refresh();
    this.inbox.startPolling();
    this.missed.load();
    try {
      this.config = await api("/api/v1/desk/config");
      this.presence.setReasons(this.config.away_reasons);
    } catch (err) {
      announce(t("desk.config_failed", { reason: errorText(err) }));
    }
    setInterval(() => this.tick(), 1000);
  }

  wire() {
    const s = this.socket;
    s.on("presence", (f) => this.routingState(f));
    s.on("offer", (f) => { this.alerts.offer(f); this.inbox.refresh(); });
    s.on("offer_cancelled", (f) => { this.alerts.cancelled(f); this.inbox.refresh(); });
    s.on("assigned", (f) => {
      this.alerts.assigned(f);
      this.inbox.refresh();
      if (!isVoice(f.channel)) this.open(f.conversation_id);
    });
    s.on("call_ringing", (f) => { this.alerts.ringingCall(f); this.inbox.refresh(); });
    s.on("screen_pop", (f) => {
      if (f.call_id) this.alerts.callSettled(f.call_id);
      this.alerts.contactTaken(f.conversation_id);
      this.inbox.refresh();
      this.pop.show(f);
      this.focusContact(f.conversation_id);
    });
    s.on("screen_pop_section", (f) => this.pop.updateSection(f));
    s.on("call_ended", (f) => {
      this.alerts.callSettled(f.call_id);
      this.alerts.contactTaken(f.conversation_id);
      this.pop.callEnded(f);
      this.inbox.refresh();
    });
    s.on("message", (f) => {
      this.inbox.messageArrived(f.conversation_id);
      if (f.message && this.conversation.id === f.conversation_id) this.conversation.add(f.message);
      else if (f.message && f.message.direction === "in") {
        announce(f.message.sender ? t("desk.new_message_from", { sender: f.message.sender }) : t("desk.new_message"));
      }
    });
    s.on("message_status", (f) => this.conversation.status(f));
    s.on("missed_call", (f) => this.missed.add(f.notice));
    s.on("task", (f) => { this.conversation.taskChanged(f.task); this.inbox.refresh(); });
    s.on("task_due", (f) => { this.toast(t("task.due")); this.inbox.refresh(); if (this.conversation.id === f.task.conversation_id) this.open(f.task.conversation_id); });
    s.on("error", (f) => this.toast(errorText(f.error || f)));
    onUnauthorized(() => this.signedOut());
    byId("logout").addEventListener("click", () => this.logout());
    document.addEventListener("keydown", (e) => this.key(e));
  }

  /** A presence frame: the presence switch, and the wrap-up panel while the agent wraps up. */
  routingState(frame) {
    this.presence.update(frame);
    this.wrapUp.update(frame);
  }

  /** The wrap-up panel closed a conversation: show it closed wherever it is on screen. */
  wrappedUp(id) {
    this.inbox.refresh();
    if (this.conversation.id === id) this.conversation.open(id);
  }

  /** Show a conversation (and its pop, when there is one) in the workspace. */
  async open(id) {
    this.inbox.setActive(id);
    if (this.pop.has(id)) this.pop.render(id);
    else this.pop.clear();
    byId("workspace-empty").hidden = true;
    await this.conversation.open(id);
    this.layout();
    const conv = this.conversation.conv;
    if (!this.pop.has(id) && conv && conv.id === id) {
      // Every conversation of every channel gets the customer panel, also after a reload.
      try {
        const { pop } = await api(`/api/v1/conversations/${id}/pop`);
        if (this.conversation.id === id && !this.pop.has(id)) this.pop.showRequested(pop, conv);
      } catch (err) {
        if (err.status !== 401) announce(t("desk.customer_failed", { reason: errorText(err) }));
      }
    }
  }

  /** Calls lead with the pop (the agent is talking); emails and chats with the thread. */
  layout() {
    const channel = this.conversation.conv ? this.conversation.conv.channel : null;
    byId("workspace").dataset.lead = channel && !isVoice(channel) ? "thread" : "pop";
  }

  /** A pop arrived: make its conversation the open one (without moving keyboard focus away). */
  focusContact(conversationId) {
    byId("workspace-empty").hidden = true;
    this.inbox.setActive(conversationId);
    if (this.conversation.id !== conversationId) this.conversation.open(conversationId).then(() => this.layout());
  }

  showEmpty() {
    byId("workspace-empty").hidden = false;
  }

  renderWhoami() {
    const u = this.user;
    replace(byId("whoami"), h("span", { class: "who-name", dir: "auto" }, u.display_name || u.username),
      h("span", { class: "muted" }, " · ", roleName(u.role),
        u.extension ? [" · ", t("desk.whoami.extension", { extension: u.extension })] : null));
  }

  /** The language changed: every part re-renders from what it holds (nothing is fetched again). */
  relabel() {
    this.renderWhoami();
    this.connection(this.connectionState, { quiet: true });
    this.presence.relabel();
    this.alerts.relabel();
    this.notifier.relabel();
    this.inbox.relabel();
    this.inbox.render();
    this.missed.relabel();
    this.pop.relabel();
    this.wrapUp.relabel();
    if (this.conversation.conv) this.conversation.render();
    this.notifier.setBaseTitle(t("desk.page.title_user", { user: this.user.display_name || this.user.username }));
  }

  connection(state, { quiet = false } = {}) {
    this.connectionState = state;
    const el = byId("connection");
    el.dataset.state = state;
    el.textContent = CONNECTION_KEYS[state] ? t(CONNECTION_KEYS[state]) : state;
    if (quiet) return;
    if (state === "open") {
      // The presence frame also comes over the socket; this covers a reconnect with no change.
      // Routing offers a supervisor or admin nothing: "routed: false", no switch, no state.
      api("/api/v1/routing/presence").then((f) => (f.routed === false ? this.presence.unrouted() : this.routingState(f)))
        .catch(() => {});
      return;
    }
    this.presence.disconnected();
    if (state === "denied") this.signedOut();
    // A socket refused before the upgrade looks like a network error: ask whether we are signed out
    // (a 401 here brings back the login form through onUnauthorized).
    if (state === "closed") api("/api/v1/me").catch(() => {});
  }

  tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll(".age[data-at]")) el.textContent = ago(el.dataset.at, now);
    this.pop.tick();
    this.presence.tick();
    this.wrapUp.tick();
  }

  toast(message) {
    const el = h("div", { class: "toast", role: "alert" }, message);
    byId("toasts").append(el);
    setTimeout(() => el.remove(), 6000);
  }

  key(event) {
    if (event.key === "Escape") return;
    if (typingIn(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (this.alerts.key(event)) {
      event.preventDefault();
      return;
    }
    const actions = {
      "/": () => this.inbox.focusSearch(),
      j: () => this.inbox.step(1),
      k: () => this.inbox.step(-1),
      n: () => document.getElementById("composer-text")?.focus(),
      "?": () => byId("shortcuts-dialog").showModal(),
    };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  }

  async logout() {
    this.socket.close();
    await api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
    location.reload();
  }

  signedOut() {
    this.socket.close();
    location.reload();
  }
}

async function boot() {
  try {
    const { user } = await api("/api/v1/me", { quietAuth: true });
    await startDesk(user);
  } catch (err) {
    if (err.status !== 401) console.warn("session check failed", err);
    showLogin(async (user, chosen) => {
      if (chosen && chosen !== user.language) {
        // A language picked on the login form becomes this user's preference.
        const saved = await api("/api/v1/me", { method: "PATCH", body: { language: chosen } }).catch(() => null);
        if (saved) user = saved.user;
      }
      await startDesk(user);
      byId("workspace").focus(); // after signing in, focus moves from the hidden form into the desk
    });
  }
}

async function startDesk(user) {
  if (user.language && user.language !== currentLanguage()) await setLanguage(user.language);
  byId("login-view").hidden = true;
  byId("desk-view").hidden = false;
  document.title = t("desk.page.title_user", { user: user.display_name || user.username });
  await loadChannels();
  const desk = new Desk(user);
  window.ccDesk = desk; // handy in the browser console; nothing depends on it
  await desk.start();
}

byId("shortcuts-close").addEventListener("click", () => byId("shortcuts-dialog").close());
byId("shortcuts-button").addEventListener("click", () => byId("shortcuts-dialog").showModal());
setLanguage(document.documentElement.lang).then(boot);
