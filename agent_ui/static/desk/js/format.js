// Formatting for display in the UI language (never the browser's locale): money, dates, ages,
// durations, and the names of the codes the server sends (channels, statuses, roles).

import { CHANNEL_NAME } from "./channels.js";
import {
  formatDate, formatDateTime, formatDuration, formatMoney, formatNumber, formatRelative, t, toDate as parseDate,
} from "/ui/i18n/i18n.js";

/** "€1,234.50" / "1 234,50 €": the amount in its currency (from the data; a plain number without one). */
export function money(amount, currency) {
  return formatMoney(amount, currency);
}

/** A Date from ISO text, a "YYYY-MM-DD HH:MM:SS" UTC text or epoch seconds; null when invalid. */
export function toDate(value) {
  return parseDate(value);
}

/** "12 Mar 2025" in the UI language. */
export function day(value) {
  return formatDate(value);
}

/** "12 Mar, 14:05" in the UI language. */
export function dateTime(value) {
  return formatDateTime(value);
}

/** "now", "42 seconds ago", "5 minutes ago" in the UI language. */
export function ago(value, now = Date.now()) {
  return formatRelative(value, now);
}

/** "0:07", "12:30", "1:02:03" from seconds. */
export function duration(seconds) {
  return formatDuration(seconds);
}

/** Words for a code that is data, not a catalog entry (a department slug): "technical_support" -> "Technical support". */
export function label(code) {
  if (!code) return "";
  const text = String(code).replaceAll("_", " ").replaceAll(".", " · ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const STATUS_KEYS = {
  open: "status.open", queued: "status.queued", offered: "status.offered", assigned: "status.assigned",
  wrap_up: "status.wrap_up", closed: "status.closed", pending: "status.pending",
};
const ROLE_KEYS = { agent: "role.agent", supervisor: "role.supervisor", admin: "role.admin" };
const STATE_KEYS = {
  available: "state.available", busy: "state.busy", wrap_up: "state.wrap_up", away: "state.away", offline: "state.offline",
};

function named(keys, code) {
  return keys[code] ? t(keys[code]) : label(code);
}

/** A channel's name ("Call", "Puhelu"); unknown channels get their code in words. */
export function channelName(channel) {
  return CHANNEL_NAME[channel] || label(channel);
}

/** A conversation status ("open", "wrap_up", ...) in words. */
export function statusName(status) {
  return named(STATUS_KEYS, status);
}

/** A role ("agent", "supervisor", "admin") in words. */
export function roleName(role) {
  return named(ROLE_KEYS, role);
}

/** An agent state ("available", "busy", "wrap_up", "away", "offline") in words. */
export function stateName(state) {
  return named(STATE_KEYS, state);
}

export { CHANNEL_NAME } from "./channels.js";

// The built-in away reasons and wrap-up codes (agent_ui/desk_config.py) have catalog entries; reasons
// and codes an installation configures itself are its own words and are shown as they are.
const REASON_KEYS = {
  Break: "reason.break", Lunch: "reason.lunch", Meeting: "reason.meeting", Training: "reason.training", Coaching: "reason.coaching",
  "Shift ended": "reason.shift_ended", "Forgot to sign out": "reason.forgot_sign_out", // routing's state_reasons
};
const DISPOSITION_KEYS = {
  resolved: "disposition.resolved", follow_up: "disposition.follow_up", escalated: "disposition.escalated",
  sale: "disposition.sale", complaint_logged: "disposition.complaint_logged", no_action: "disposition.no_action",
};

/** An away reason in words: the built-in ones translated, configured ones as written. */
export function reasonName(reason) {
  return REASON_KEYS[reason] ? t(REASON_KEYS[reason]) : reason;
}

/** A wrap-up outcome in words: the built-in codes translated, else the configured label (or the code). */
export function dispositionName(code, configured = null) {
  if (DISPOSITION_KEYS[code]) return t(DISPOSITION_KEYS[code]);
  return configured || label(code);
}

const LOAD_KEYS = { call: "load.call", email: "load.email", chat: "load.chat", api: "load.api" };

/** What an agent is handling ({call: 1, chat: 2}) in words: "1 call, 2 chats"; empty when nothing. */
export function loadText(load) {
  return Object.entries(load || {}).filter(([, n]) => n > 0)
    .map(([ch, n]) => (LOAD_KEYS[ch] ? t(LOAD_KEYS[ch], { count: n }) : `${channelName(ch)} ${formatNumber(n)}`)).join(", ");
}

// Routing's reasons ("rule 15 'overdue balance': balance > 100 -> priority +10; …") in plain words.
// The rule's name (or its evidence) is the installation's own text and is shown as it is.

/** One routing reason as an agent reads it (the rule's name, or its evidence, and what it did). */
export function plainReason(reason) {
  if (!reason) return "";
  return String(reason).replace(/^no rule matched; /, "no rule matched: ").split("; ").map((part) => {
    let m = /^no rule matched: (channel default|default) -> (.+)$/.exec(part);
    if (m) return t(m[1] === "default" ? "route.fallback" : "route.usual", { department: label(m[2]) });
    m = /^(callback|follow_up) for (.+)$/.exec(part); // contact_center/tasks: a callback or a due follow-up
    if (m) return t(m[1] === "callback" ? "route.callback" : "route.follow_up", { department: label(m[2]) });
    m = /^rule \d+(?: '(.+?)')?: (.+) -> priority ([+-]\d+)$/.exec(part);
    if (m) return t(Number(m[3]) >= 0 ? "route.up" : "route.down", { why: label(m[1] || m[2]) });
    m = /^rule \d+(?: '(.+?)')?: (.+) -> (\S+)$/.exec(part);
    if (m) return t("route.to", { why: label(m[1] || m[2]), department: label(m[3]) });
    return part;
  }).join("; ");
}

// The server titles calls "Call from <number>" / "Call to <number>" (contact_center/ingest/call_batch.py);
// shown in the UI language. Every other subject is the customer's or agent's own text.
const CALL_SUBJECT = /^Call (from|to) (.+)$/;
const CALLBACK_SUBJECT = /^Callback to (.+)$/; // contact_center/tasks/store.py: a callback's title

/** A conversation's subject for display: generated call titles in the UI language, others as written. */
export function subjectText(subject) {
  const back = CALLBACK_SUBJECT.exec(subject || "");
  if (back) return t("call.callback", { number: back[1] });
  const m = CALL_SUBJECT.exec(subject || "");
  if (!m) return subject;
  return t(m[1] === "from" ? "call.from" : "call.to", { number: m[2] });
}
