// The wallboard's live chart: contacts waiting over the last hour, as an inline SVG step line.
// Time runs toward the reading direction's end: right in left-to-right languages, left in Persian.

import { currentDirection, formatNumber, t } from "/ui/i18n/i18n.js";

const NS = "http://www.w3.org/2000/svg";
const W = 640;
const H = 200;
const PAD = { left: 34, right: 12, top: 12, bottom: 24 };

function el(name, attrs = {}, text = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

/** The y-axis top: four equal whole-number steps of 1, 2, 5, 10, 20, 50 … that reach value. */
export function niceMax(value) {
  const need = Math.max(1, value) / 4;
  const power = 10 ** Math.floor(Math.log10(need));
  for (const step of [1, 2, 5, 10]) if (step * power >= need) return 4 * Math.max(1, step * power);
  return 40 * power;
}

export class WaitingChart {
  constructor(root, windowSeconds = 3600) {
    this.root = root;
    this.window = windowSeconds;
    this.samples = []; // [{at (server seconds), waiting}]
    this.offset = 0; // server clock minus ours, in seconds
    // Geometry is absolute: the chart mirrors itself for right-to-left, so its text runs with fixed anchors.
    this.svg = el("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "chart-svg", direction: "ltr" });
    this.title = el("title");
    this.svg.append(this.title);
    root.replaceChildren(this.svg);
  }

  serverNow() {
    return Date.now() / 1000 + this.offset;
  }

  load(samples) {
    this.samples = samples.map(([at, waiting]) => ({ at, waiting })).sort((a, b) => a.at - b.at);
    this.draw();
  }

  add(at, waiting) {
    this.offset = at - Date.now() / 1000;
    const last = this.samples[this.samples.length - 1];
    if (last && at < last.at) return;
    this.samples.push({ at, waiting });
    const start = at - this.window - 60;
    while (this.samples.length && this.samples[0].at < start) this.samples.shift();
    this.draw();
  }

  draw() {
    const now = this.serverNow();
    const start = now - this.window;
    const rtl = currentDirection() === "rtl";
    const mirror = (v) => (rtl ? W - v : v); // right to left: the whole chart mirrored, the axis on the right
    const x = (at) => mirror(PAD.left + ((at - start) / this.window) * (W - PAD.left - PAD.right));
    const axisX = mirror(PAD.left - 6);
    const visible = this.samples.filter((s) => s.at >= start);
    const before = [...this.samples].reverse().find((s) => s.at < start);
    const peak = Math.max(0, ...visible.map((s) => s.waiting), before ? before.waiting : 0);
    const top = niceMax(peak);
    const y = (v) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
    const keep = [this.title];
    this.svg.replaceChildren(...keep);
    for (let i = 0; i <= 4; i += 1) {
      const v = (top * i) / 4;
      this.svg.append(el("line", { x1: mirror(PAD.left), x2: mirror(W - PAD.right), y1: y(v), y2: y(v), class: "grid" }));
      this.svg.append(el("text", { x: axisX, y: y(v) + 4, class: "axis", "text-anchor": rtl ? "start" : "end" },
        formatNumber(Math.round(v))));
    }
    for (const minutes of [60, 45, 30, 15, 0]) {
      const edge = minutes === 60 ? "start" : minutes === 0 ? "end" : "middle";
      const anchor = rtl && edge !== "middle" ? { start: "end", end: "start" }[edge] : edge;
      this.svg.append(el("text", { x: x(now - minutes * 60), y: H - 6, class: "axis", "text-anchor": anchor },
        minutes ? t("wallboard.chart.minutes_ago", { minutes }) : t("wallboard.chart.now_axis")));
    }
    // A step line: the count holds until the next sample.
    let value = before ? before.waiting : visible.length ? 0 : null;
    if (value === null) {
      this.title.textContent = t("wallboard.chart.no_data");
      return;
    }
    let d = `M${x(start)},${y(value)}`;
    for (const s of visible) {
      d += ` L${x(s.at)},${y(value)} L${x(s.at)},${y(s.waiting)}`;
      value = s.waiting;
    }
    d += ` L${x(now)},${y(value)}`;
    this.svg.append(el("path", { d: `${d} L${x(now)},${y(0)} L${x(start)},${y(0)} Z`, class: "area" }));
    this.svg.append(el("path", { d, class: "line" }));
    this.svg.append(el("circle", { cx: x(now), cy: y(value), r: 4, class: "dot" }));
    this.current = value;
    this.title.textContent = t("wallboard.chart.summary", { now: value, peak });
  }
}
