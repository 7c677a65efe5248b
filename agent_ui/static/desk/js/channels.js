// The channel registry as the server describes it (GET /api/v1/channels): the desk's and the
// wallboard's channel lists, names, identity kinds and reply boxes all come from here, so a new
// channel needs no edit in the browser code.

import { api } from "./api.js";
import { t } from "/ui/i18n/i18n.js";

const byName = new Map();
let ordered = [];
const labels = {}; // the registry's English names, for channels the catalogs do not know yet
// The catalog entries of the registered channels (contact_center/channels.py: channel.<name>).
const NAME_KEYS = {
  call: "channel.call", email: "channel.email", chat: "channel.chat", api: "channel.api", callback: "channel.callback",
};

/**
 * Names by channel in the UI language ("call" -> "Call" / "Puhelu"), read at render time; a channel
 * without a catalog entry shows the registry's label; unknown channels are undefined.
 */
export const CHANNEL_NAME = new Proxy(labels, {
  get: (known, name) => (NAME_KEYS[name] ? t(NAME_KEYS[name]) : known[name]),
});

/** Fetch the registry once (after login); later calls reuse it. */
export async function loadChannels() {
  if (ordered.length) return ordered;
  const { channels } = await api("/api/v1/channels");
  ordered = channels;
  for (const c of channels) {
    byName.set(c.name, c);
    labels[c.name] = c.label;
  }
  return ordered;
}

/** Every registered channel, in registry order. */
export function channelList() {
  return ordered;
}

function info(name) {
  return byName.get(name) || null;
}

/** Agents can answer this channel in writing (calls have notes only). */
export function canReply(name) {
  const c = info(name);
  return Boolean(c && c.can_reply);
}

/** Conversations on this channel are mail: subjects, HTML in a sandboxed frame. */
export function isMail(name) {
  const c = info(name);
  return Boolean(c && c.presentation === "mail");
}

/** The channel is a phone call: the screen pop leads, not the thread. */
export function isVoice(name) {
  const c = info(name);
  return Boolean(c && c.presentation === "voice");
}

/** The channel is work for an agent (a callback): the task's actions and notes, no reply box. */
export function isTask(name) {
  const c = info(name);
  return Boolean(c && c.presentation === "task");
}

const PHONE_LIKE = /^\+?[\d\s().\/-]{7,}$/;

/** The channel is a live thread of short messages (web chat, a messaging bridge). */
export function isMessaging(name) {
  const c = info(name);
  return Boolean(c && c.presentation === "messaging");
}

/** The identity kind a contact address on this channel names a customer by: a channel with
 * several kinds (a messaging bridge: phone numbers or messenger ids) takes "phone" for what
 * looks like a number and its other kind otherwise (the server normalises and checks). */
export function identityKind(name, address = "") {
  const c = info(name);
  if (!c) return "phone";
  const kinds = c.identity_kinds;
  if (kinds.length > 1 && kinds[0] === "phone" && !PHONE_LIKE.test(address || "")) return kinds[1];
  return kinds[0];
}
