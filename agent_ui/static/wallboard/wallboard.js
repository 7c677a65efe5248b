// The supervisor wallboard: per department and channel tiles, agents by state and a live chart,
// all from routing's "queue_snapshot" frames on /ws/supervisor. Colours flag breaches.

import { api } from "/ui/desk/js/api.js";
import { channelList, loadChannels } from "/ui/desk/js/channels.js";
import { announce, byId, h, replace } from "/ui/desk/js/dom.js";
import { CHANNEL_NAME, duration, label } from "/ui/desk/js/format.js";
import { channelIcon } from "/ui/desk/js/icons.js";
import { FrameSocket } from "/ui/desk/js/socket.js";
import { WaitingChart } from "./chart.js";

const STATE_ORDER = ["busy", "wrap_up", "available", "away", "offline"];
const STATE_TEXT = { available: "Available", busy: "Busy", wrap_up: "Wrap-up", away: "Away", offline: "Offline" };

/** How a queue is doing: "breach" (red), "warn" (amber), "busy" or "calm". */
export function tileState(row, target) {
  const sl = row.service_level;
  const limit = row.service_level_seconds || 20;
  if ((sl !== null && sl !== undefined && sl < target) || (row.waiting > 0 && row.longest_wait > limit)) return "breach";
  if (row.waiting > 0 && row.longest_wait > limit / 2) return "warn";
  return row.waiting || row.offered ? "busy" : "calm";
}

function percent(share) {
  return share === null || share === undefined ? "—" : `${Math.round(share * 100)} %`;
}

class Wallboard {
  constructor(user) {
    this.user = user;
    this.target = 0.8;
    this.chart = new WaitingChart(byId("chart"));
    this.socket = new FrameSocket("/ws/supervisor", (state) => this.connection(state));
    this.socket.on("queue_snapshot", (f) => this.render(f));
    this.socket.on("error", (f) => this.message(f.message || "The queue view is not available"));
    this.breaches = new Set();
  }

  async start() {
    byId("logout").addEventListener("click", async () => {
      this.socket.close();
      await api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
      location.assign("/desk");
    });
    setInterval(() => this.tick(), 1000);
    this.tick();
    const [config, history] = await Promise.allSettled([api("/api/v1/desk/config"), api("/api/v1/desk/wallboard/history")]);
    if (config.status === "fulfilled") this.target = config.value.service_level_target || this.target;
    if (history.status === "fulfilled") this.chart.load(history.value.samples || []);
    this.socket.connect();
  }

  connection(state) {
    const el = byId("connection");
    el.dataset.state = state;
    el.textContent = { connecting: "Connecting…", open: "Live", closed: "Reconnecting…", denied: "Signed out" }[state] || state;
    if (state === "closed") api("/api/v1/me").catch((err) => { if (err.status === 401) location.assign("/desk?next=/wallboard"); });
  }

  tick() {
    byId("clock").textContent = new Date().toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    this.chart.draw();
  }

  message(text) {
    const el = byId("wb-message");
    el.textContent = text;
    el.hidden = !text;
  }

  render(frame) {
    this.message("");
    this.frame = frame;
    this.renderTotals(frame.totals || {});
    this.renderDepartments(frame.queues || []);
    this.renderAgents(frame.agents || []);
    this.chart.add(frame.at, (frame.totals || {}).waiting + ((frame.totals || {}).offered || 0));
    byId("chart-now").textContent = `${this.chart.current ?? 0} waiting now`;
  }

  renderTotals(t) {
    const item = (name, value, cls = "") => h("div", { class: `total ${cls}` }, h("dt", {}, name), h("dd", {}, value ?? 0));
    replace(byId("totals"),
      item("Waiting", t.waiting, t.waiting ? "hot" : ""), item("On offer", t.offered), item("In progress", t.active),
      item("Answered today", t.answered), item("Abandoned", t.abandoned, t.abandoned ? "bad" : ""));
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
          h("span", { class: "muted" }, `${available} available`)),
        h("div", { class: "tiles" }, channelList().map((c) => c.name).filter((c) => channels.has(c)).map((c) => {
          const q = channels.get(c);
          const state = tileState(q, this.target);
          if (state === "breach") breaches.add(q.queue);
          return this.tile(q, state);
        })));
    });
    replace(byId("departments"), cards);
    const fresh = [...breaches].filter((b) => !this.breaches.has(b));
    if (fresh.length) announce(`Breach: ${fresh.map(label).join(", ")}`);
    this.breaches = breaches;
  }

  tile(q, state) {
    const sl = q.service_level;
    const slBreach = sl !== null && sl !== undefined && sl < this.target;
    const fill = h("span", { class: slBreach ? "fill bad" : "fill" });
    const mark = h("span", { class: "mark" });
    fill.style.width = `${sl === null || sl === undefined ? 0 : Math.round(sl * 100)}%`; // CSSOM: allowed by the CSP
    mark.style.left = `${Math.round(this.target * 100)}%`;
    return h("section", { class: `tile ${state}`, "aria-label": `${label(q.department)} ${CHANNEL_NAME[q.channel] || q.channel}`, dataset: { queue: q.queue, state } },
      h("div", { class: "tile-head" },
        h("span", { class: "tile-channel" }, channelIcon(q.channel, { size: 16 }), ` ${CHANNEL_NAME[q.channel] || label(q.channel)}`),
        state === "breach" ? h("span", { class: "flag" }, "Breach") : state === "warn" ? h("span", { class: "flag warn" }, "Watch") : null),
      h("div", { class: "tile-main" },
        h("span", { class: "waiting", dataset: { field: "waiting" } }, q.waiting),
        h("span", { class: "waiting-label" }, "waiting", q.offered ? h("span", { class: "offered" }, ` · ${q.offered} on offer`) : null)),
      h("dl", { class: "tile-stats" },
        h("div", { class: q.waiting && q.longest_wait > (q.service_level_seconds || 20) ? "bad" : "" },
          h("dt", {}, "Longest"), h("dd", { dataset: { field: "longest_wait" } }, q.waiting || q.offered ? duration(q.longest_wait) : "—")),
        h("div", { class: slBreach ? "bad" : "" },
          h("dt", { title: `Share answered within ${Math.round(q.service_level_seconds || 20)} s, abandoned contacts count against it` },
            `SL ≤ ${Math.round(q.service_level_seconds || 20)} s`),
          h("dd", { dataset: { field: "service_level" } }, percent(sl), h("span", { class: "target", title: "target" }, ` / ${Math.round(this.target * 100)}`))),
        h("div", {}, h("dt", { title: "Average speed of answer" }, "ASA"), h("dd", { dataset: { field: "asa" } }, q.asa === null || q.asa === undefined ? "—" : duration(q.asa))),
        h("div", { class: q.abandoned ? "bad" : "" }, h("dt", {}, "Abandoned"), h("dd", { dataset: { field: "abandoned" } }, q.abandoned))),
      h("div", { class: "sl-bar", "aria-hidden": "true" }, fill, mark));
  }

  renderAgents(agents) {
    const counts = Object.fromEntries(STATE_ORDER.map((s) => [s, 0]));
    for (const a of agents) counts[a.state] = (counts[a.state] || 0) + 1;
    replace(byId("agent-counts"), STATE_ORDER.map((s) => h("li", { class: `count st-${s}` }, h("strong", {}, counts[s]), ` ${STATE_TEXT[s]}`)));
    const sorted = [...agents].sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state)
      || (a.display_name || a.username).localeCompare(b.display_name || b.username));
    replace(byId("agents"),
      h("caption", { class: "sr-only" }, "Agents by state"),
      h("thead", {}, h("tr", {}, ["Agent", "State", "Detail", "Departments", "Handling"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, sorted.map((a) => h("tr", { dataset: { user: a.username, state: a.state } },
        h("td", { class: "agent-name" }, a.display_name || a.username),
        h("td", {}, h("span", { class: `state st-${a.state}` }, STATE_TEXT[a.state] || label(a.state))),
        h("td", { class: "muted" }, a.state === "wrap_up" && a.wrap_up_until ? `until ${new Date(a.wrap_up_until * 1000).toLocaleTimeString()}`
          : a.offer ? "offer pending" : a.reason || ""),
        h("td", {}, (a.departments || []).map(label).join(", ")),
        h("td", {}, Object.entries(a.load || {}).map(([ch, n]) => `${n} ${ch}`).join(", ") || "—")))));
  }
}

async function boot() {
  let user;
  try {
    ({ user } = await api("/api/v1/me", { quietAuth: true }));
  } catch (err) {
    if (err.status === 401) {
      location.assign("/desk?next=/wallboard");
      return;
    }
    byId("wb-message").textContent = `The wallboard cannot start: ${err.message}`;
    byId("wb-message").hidden = false;
    return;
  }
  if (!["supervisor", "admin"].includes(user.role)) {
    byId("wb-message").textContent = "The wallboard is for supervisors. Your desk is at /desk.";
    byId("wb-message").hidden = false;
    return;
  }
  await loadChannels();
  const board = new Wallboard(user);
  window.ccWallboard = board;
  await board.start();
}

boot();
