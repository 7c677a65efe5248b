// The supervisor wallboard: per department and channel tiles, agents by state and a live chart,
// all from routing's "queue_snapshot" frames on /ws/supervisor. Colours flag breaches.

import { api, errorText } from "/ui/desk/js/api.js";
import { channelList, loadChannels } from "/ui/desk/js/channels.js";
import { announce, byId, h, replace } from "/ui/desk/js/dom.js";
import { CHANNEL_NAME, channelName, duration, label, loadText, reasonName, stateName, subjectText } from "/ui/desk/js/format.js";
import { channelIcon } from "/ui/desk/js/icons.js";
import { languageMenu } from "/ui/desk/js/language.js";
import { FrameSocket } from "/ui/desk/js/socket.js";
import {
  currentLanguage, formatNumber, formatPercent, formatTime, onLanguageChange, setLanguage, t,
} from "/ui/i18n/i18n.js";
import { logoutDialog, QueueDialog, stateDialog } from "./actions.js";
import { WaitingChart } from "./chart.js";

const STATE_ORDER = ["busy", "wrap_up", "available", "away", "offline"];
const CONNECTION_KEYS = {
  connecting: "connection.connecting", open: "connection.open", closed: "connection.closed", denied: "connection.denied",
};

/** How a queue is doing: "breach" (red), "warn" (amber), "busy" or "calm". */
export function tileState(row, target) {
  const sl = row.service_level;
  const limit = row.service_level_seconds || 20;
  if ((sl !== null && sl !== undefined && sl < target) || (row.waiting > 0 && row.longest_wait > limit)) return "breach";
  if (row.waiting > 0 && row.longest_wait > limit / 2) return "warn";
  return row.waiting || row.offered ? "busy" : "calm";
}

function percent(share) {
  return formatPercent(share);
}

class Wallboard {
  constructor(user) {
    this.user = user;
    this.target = 0.8;
    this.chart = new WaitingChart(byId("chart"));
    this.socket = new FrameSocket("/ws/supervisor", (state) => this.connection(state));
    this.socket.on("queue_snapshot", (f) => this.render(f));
    this.socket.on("error", (f) => this.message(f.code || f.error ? errorText(f.error || f) : t("wallboard.unavailable")));
    this.breaches = new Set();
    this.connectionState = "connecting";
  }

  async start() {
    byId("logout").addEventListener("click", async () => {
      this.socket.close();
      await api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
      location.assign("/desk");
    });
    languageMenu(byId("language-select"), (language) => {
      api("/api/v1/me", { method: "PATCH", body: { language } }).catch((err) => this.message(errorText(err)));
    });
    onLanguageChange(() => {
      this.connection(this.connectionState, { quiet: true });
      if (this.frame) this.render(this.frame, { redraw: true });
      this.tick();
    });
    setInterval(() => this.tick(), 1000);
    this.tick();
    const [config, history] = await Promise.allSettled([api("/api/v1/desk/config"), api("/api/v1/desk/wallboard/history")]);
    if (config.status === "fulfilled") this.target = config.value.service_level_target || this.target;
    if (history.status === "fulfilled") this.chart.load(history.value.samples || []);
    this.socket.connect();
  }

  connection(state, { quiet = false } = {}) {
    this.connectionState = state;
    const el = byId("connection");
    el.dataset.state = state;
    el.textContent = CONNECTION_KEYS[state] ? t(CONNECTION_KEYS[state]) : state;
    if (state === "closed" && !quiet) api("/api/v1/me").catch((err) => { if (err.status === 401) location.assign("/desk?next=/wallboard"); });
  }

  tick() {
    byId("clock").textContent = formatTime(new Date(), { seconds: true });
    this.chart.draw();
    // Time in state, on the server's clock (the frame's "at" against ours when it came).
    const serverNow = Date.now() / 1000 - (this.skew || 0);
    for (const el of document.querySelectorAll("#agents [data-since]")) {
      el.textContent = duration(Math.max(0, serverNow - Number(el.dataset.since)));
    }
    if (this.queueDialog) this.queueDialog.tick();
  }

  openQueue(q) {
    this.queueDialog = new QueueDialog(q, { onClose: () => { this.queueDialog = null; } });
  }

  message(text) {
    const el = byId("wb-message");
    el.textContent = text;
    el.hidden = !text;
  }

  /** A snapshot frame; `redraw` draws the held one again (a language switch) without adding to the chart. */
  render(frame, { redraw = false } = {}) {
    if (!redraw) this.message("");
    if (!redraw) this.skew = Date.now() / 1000 - frame.at;
    this.frame = frame;
    // Rows are rebuilt on every frame: the focused control is found again by its id afterwards.
    const active = document.activeElement;
    const focused = active && active.id && active.closest(".wb-main") ? active.id : null;
    this.renderTotals(frame.totals || {});
    this.renderDepartments(frame.queues || []);
    this.renderAgents(frame.agents || []);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    if (this.queueDialog) this.queueDialog.follow((frame.queues || []).find((q) => q.queue === this.queueDialog.q.queue));
    if (!redraw) this.chart.add(frame.at, (frame.totals || {}).waiting + ((frame.totals || {}).offered || 0));
    byId("chart-now").textContent = t("wallboard.chart.now", { count: this.chart.current ?? 0 });
  }

  renderTotals(totals) {
    const item = (key, value, cls = "") => h("div", { class: `total ${cls}` }, h("dt", {}, t(key)), h("dd", {}, formatNumber(value ?? 0)));
    replace(byId("totals"),
      item("wallboard.total.waiting", totals.waiting, totals.waiting ? "hot" : ""), item("wallboard.total.offered", totals.offered),
      item("wallboard.total.active", totals.active), item("wallboard.total.answered", totals.answered),
      item("wallboard.total.abandoned", totals.abandoned, totals.abandoned ? "bad" : ""));
  }

  renderDepartments(queues) {
    const byDept = new Map();
    for (const q of queues) {
      if (!byDept.has(q.department)) byDept.set(q.department, new Map());
      byDept.get(q.department).set(q.channel, q);
    }
    const breaches = new Set();
    const cards = [...byDept.entries()].map(([dept, channels]) => {
      const available = Math.max(0, ...[...channels.values()].map((q) => (q.agents || {}).available || 0));
      return h("article", { class: "dept", "aria-labelledby": `dept-${dept}`, dataset: { department: dept } },
        h("header", { class: "dept-head" },
          h("h3", { id: `dept-${dept}` }, label(dept)),
          h("span", { class: "muted" }, t("wallboard.dept.available", { count: available }))),
        h("div", { class: "tiles" }, channelList().map((c) => c.name).filter((c) => channels.has(c)).map((c) => {
          const q = channels.get(c);
          const state = tileState(q, this.target);
          if (state === "breach") breaches.add(q.queue);
          return this.tile(q, state);
        })));
    });
    replace(byId("departments"), cards);
    const fresh = [...breaches].filter((b) => !this.breaches.has(b));
    if (fresh.length) announce(t("wallboard.breach_announce", { queues: fresh.map(label).join(", ") }));
    this.breaches = breaches;
  }

  tile(q, state) {
    const sl = q.service_level;
    const slBreach = sl !== null && sl !== undefined && sl < this.target;
    const fill = h("span", { class: slBreach ? "fill bad" : "fill" });
    const mark = h("span", { class: "mark" });
    fill.style.width = `${sl === null || sl === undefined ? 0 : Math.round(sl * 100)}%`; // CSSOM: allowed by the CSP
    mark.style.insetInlineStart = `${Math.round(this.target * 100)}%`;
    const slSeconds = Math.round(q.service_level_seconds || 20);
    const channel = CHANNEL_NAME[q.channel] || label(q.channel);
    return h("section", {
      class: `tile ${state}`, "aria-label": t("wallboard.tile.label", { department: label(q.department), channel }),
      dataset: { queue: q.queue, state },
    },
      h("div", { class: "tile-head" },
        h("span", { class: "tile-channel" }, channelIcon(q.channel, { size: 16 }), " ", channel),
        state === "breach" ? h("span", { class: "flag" }, t("wallboard.tile.breach"))
          : state === "warn" ? h("span", { class: "flag warn" }, t("wallboard.tile.watch")) : null),
      h("div", { class: "tile-main" },
        h("span", { class: "waiting", dataset: { field: "waiting" } }, formatNumber(q.waiting)),
        h("span", { class: "waiting-label" }, t("wallboard.tile.waiting", { count: q.waiting }),
          q.offered ? h("span", { class: "offered" }, " · ", t("wallboard.tile.on_offer", { count: q.offered })) : null)),
      h("dl", { class: "tile-stats" },
        h("div", { class: q.waiting && q.longest_wait > (q.service_level_seconds || 20) ? "bad" : "" },
          h("dt", {}, t("wallboard.tile.longest")),
          h("dd", { dataset: { field: "longest_wait" } }, q.waiting || q.offered ? duration(q.longest_wait) : "—")),
        h("div", { class: slBreach ? "bad" : "" },
          h("dt", { title: t("wallboard.tile.sl_help", { seconds: slSeconds }) }, t("wallboard.tile.sl", { seconds: slSeconds })),
          h("dd", { dataset: { field: "service_level" } }, percent(sl),
            h("span", { class: "target", title: t("wallboard.tile.target") }, " / ", formatPercent(this.target)))),
        h("div", {}, h("dt", { title: t("wallboard.tile.asa_help") }, t("wallboard.tile.asa")),
          h("dd", { dataset: { field: "asa" } }, q.asa === null || q.asa === undefined ? "—" : duration(q.asa))),
        h("div", { class: q.abandoned ? "bad" : "" }, h("dt", {}, t("wallboard.tile.abandoned")),
          h("dd", { dataset: { field: "abandoned" } }, formatNumber(q.abandoned)))),
      h("div", { class: "sl-bar", "aria-hidden": "true" }, fill, mark),
      h("button", { type: "button", class: "tile-open", id: `open-${q.queue}`, "aria-haspopup": "dialog",
        "aria-label": t("wallboard.queue.open_label", { department: label(q.department), channel, count: q.waiting + (q.offered || 0) }),
        onclick: () => this.openQueue(q) }, t("wallboard.queue.open")));
  }

  renderAgents(agents) {
    const counts = Object.fromEntries(STATE_ORDER.map((s) => [s, 0]));
    for (const a of agents) counts[a.state] = (counts[a.state] || 0) + 1;
    replace(byId("agent-counts"), STATE_ORDER.map((s) => h("li", { class: `count st-${s}` },
      h("strong", {}, formatNumber(counts[s])), " ", stateName(s))));
    const sorted = [...agents].sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state)
      || (a.display_name || a.username).localeCompare(b.display_name || b.username));
    const serverNow = Date.now() / 1000 - (this.skew || 0);
    replace(byId("agents"),
      h("caption", { class: "sr-only" }, t("wallboard.agents_by_state")),
      h("thead", {}, h("tr", {}, ["wallboard.col.agent", "wallboard.col.state", "wallboard.col.in_state", "wallboard.col.contact",
        "wallboard.col.detail", "wallboard.col.handling", "wallboard.col.actions"].map((key) => h("th", { scope: "col" }, t(key))))),
      h("tbody", {}, sorted.map((a) => {
        const name = a.display_name || a.username;
        return h("tr", { dataset: { user: a.username, state: a.state } },
          h("th", { scope: "row", class: "agent-name" }, h("span", { dir: "auto" }, name),
            h("div", { class: "muted small" }, (a.departments || []).map(label).join(", "))),
          h("td", {}, h("span", { class: `state st-${a.state}` }, stateName(a.state))),
          h("td", { class: "num", dataset: { field: "in_state", since: a.state_since ?? null } },
            a.state_since ? duration(Math.max(0, serverNow - a.state_since)) : "—"),
          h("td", { class: "contact", dataset: { field: "contact" } }, this.contactText(a.contact)),
          h("td", { class: "muted", dataset: { field: "detail" } }, agentDetail(a)),
          h("td", { dataset: { field: "handling" } }, loadText(a.load) || "—"),
          h("td", {}, h("div", { class: "actions" },
            h("button", { type: "button", class: "btn small", id: `state-${a.user_id}`, "aria-haspopup": "dialog",
              "aria-label": t("wallboard.steer.open_label", { name }), onclick: () => stateDialog(a) }, t("wallboard.steer.open")),
            h("button", { type: "button", class: "btn small", id: `logout-${a.user_id}`, "aria-haspopup": "dialog",
              "aria-label": t("wallboard.logout.open_label", { name }),
              onclick: () => logoutDialog(a) }, t("wallboard.logout.open")))));
      })));
  }

  /** The contact an agent is on: channel, then the customer's name (else their address, else the subject). */
  contactText(c) {
    if (!c) return "—";
    const who = c.customer ? h("span", { dir: "auto" }, c.customer)
      : c.address ? h("bdi", { dir: "ltr" }, c.address) : h("span", { dir: "auto" }, subjectText(c.subject) || "");
    return [channelIcon(c.channel, { size: 14 }), h("span", { class: "sr-only" }, channelName(c.channel)), " ", who,
      c.status === "offered" ? h("span", { class: "muted" }, " · ", t("wallboard.agent.ringing")) : null];
  }
}

/** The agent's detail: after-call work (until when, or an outcome still needed), a pending offer,
 * the away reason, or what came of their last offers when it was not answered. */
function agentDetail(a) {
  if (a.state === "wrap_up") {
    const needed = a.wrap_up && a.wrap_up.outcome_required;
    const until = a.wrap_up_until ? t("wallboard.agent.until", { time: formatTime(a.wrap_up_until, { seconds: true }) }) : "";
    if (needed) return until ? `${until} · ${t("wallboard.agent.outcome_needed")}` : t("wallboard.agent.outcome_needed");
    return until;
  }
  if (a.offer) return t("wallboard.agent.offer_pending");
  if (a.reason) return h("bdi", { dir: "auto" }, reasonName(a.reason));
  if (a.last_offer === "unreachable") return t("wallboard.agent.unreachable", { count: a.unreachable || 1 });
  if (a.last_offer === "ignored") return t("wallboard.agent.ignored", { count: a.ignored || 1 });
  return "";
}

async function boot() {
  await setLanguage(document.documentElement.lang);
  let user;
  try {
    ({ user } = await api("/api/v1/me", { quietAuth: true }));
  } catch (err) {
    if (err.status === 401) {
      location.assign("/desk?next=/wallboard");
      return;
    }
    byId("wb-message").textContent = t("wallboard.start_failed", { reason: errorText(err) });
    byId("wb-message").hidden = false;
    return;
  }
  if (user.language && user.language !== currentLanguage()) await setLanguage(user.language);
  if (!["supervisor", "admin"].includes(user.role)) {
    byId("wb-message").textContent = t("wallboard.not_supervisor");
    byId("wb-message").hidden = false;
    return;
  }
  await loadChannels();
  const board = new Wallboard(user);
  window.ccWallboard = board;
  await board.start();
}

boot();
