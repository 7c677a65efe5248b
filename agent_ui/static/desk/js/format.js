// Formatting for display: money, dates, ages and durations. Pure functions.

const LOCALE = navigator.language || "en";

/** "€1,234.50" — amount in currency (EUR when none is given). */
export function money(amount, currency = "EUR") {
  if (amount === null || amount === undefined || amount === "") return "—";
  const n = Number(amount);
  if (!Number.isFinite(n)) return String(amount);
  try {
    return new Intl.NumberFormat(LOCALE, { style: "currency", currency: currency || "EUR" }).format(n);
  } catch {
    return `${n.toFixed(2)} ${currency || ""}`.trim();
  }
}

/** A Date from ISO text, a "YYYY-MM-DD HH:MM:SS" UTC text or epoch seconds; null when invalid. */
export function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") return new Date(value * 1000);
  let text = String(value);
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(text)) text = text.replace(" ", "T") + "Z";
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "12 Mar 2025" */
export function day(value) {
  const d = toDate(value);
  return d ? d.toLocaleDateString(LOCALE, { day: "numeric", month: "short", year: "numeric" }) : "—";
}

/** "12 Mar, 14:05" */
export function dateTime(value) {
  const d = toDate(value);
  if (!d) return "—";
  return d.toLocaleString(LOCALE, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago" */
export function ago(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return "";
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 3) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** "0:07", "12:30", "1:02:03" from seconds. */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return "—";
  const total = Math.max(0, Math.round(Number(seconds)));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secs}` : `${minutes}:${secs}`;
}

/** Words for a code: "technical_support" -> "Technical support". */
export function label(code) {
  if (!code) return "";
  const text = String(code).replaceAll("_", " ").replaceAll(".", " · ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export { CHANNEL_NAME } from "./channels.js";

// Routing's reasons ("rule 15 'overdue balance': balance > 100 -> priority +10; …") in plain words.
const REASON_TEXT = {
  usual: (dept) => `Sent to ${dept}, the usual department for this channel`,
  fallback: (dept) => `Sent to ${dept}, the default department`,
  to: (why, dept) => `${why}: sent to ${dept}`,
  up: (why) => `${why}: more urgent`,
  down: (why) => `${why}: less urgent`,
};

/** One routing reason as an agent reads it (the rule's name, or its evidence, and what it did). */
export function plainReason(reason) {
  if (!reason) return "";
  return String(reason).replace(/^no rule matched; /, "no rule matched: ").split("; ").map((part) => {
    let m = /^no rule matched: (channel default|default) -> (.+)$/.exec(part);
    if (m) return (m[1] === "default" ? REASON_TEXT.fallback : REASON_TEXT.usual)(label(m[2]));
    m = /^rule \d+(?: '(.+?)')?: (.+) -> priority ([+-]\d+)$/.exec(part);
    if (m) return (Number(m[3]) >= 0 ? REASON_TEXT.up : REASON_TEXT.down)(label(m[1] || m[2]));
    m = /^rule \d+(?: '(.+?)')?: (.+) -> (\S+)$/.exec(part);
    if (m) return REASON_TEXT.to(label(m[1] || m[2]), label(m[3]));
    return part;
  }).join("; ");
}
