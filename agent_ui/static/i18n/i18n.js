// The browser's message catalogs and locale formatting, shared by the desk, the wallboard and the
// admin console.
//
// Catalogs are flat JSON files at /ui/i18n/<lang>.json ({"desk.offer.accept": "Accept", ...}) with
// ICU-style messages: {name} placeholders, {count, plural, one {# call} other {# calls}} (CLDR
// categories through Intl.PluralRules, "=0" exact matches, # is the formatted number),
// {kind, select, call {...} other {...}} and {n, number}. Apostrophes are plain text (no ICU
// quoting). Interpolated text values are wrapped in Unicode isolates (FSI ... PDI), so a name
// or a phone number keeps its own direction inside a sentence of the other direction (only where
// the directions can differ: in right-to-left UIs, or for right-to-left values).
//
// Usage:
//   import { t, setLanguage, applyTranslations, onLanguageChange } from "/ui/i18n/i18n.js";
//   await setLanguage(document.documentElement.lang);   // loads the catalog, sets lang and dir
//   t("desk.inbox.count", { shown: 3, total: 10 });
//   <button data-i18n="desk.logout"></button>, <input data-i18n-attr="placeholder:desk.inbox.search">
//
// Formatting follows the UI language, never the browser's locale: formatDate, formatTime,
// formatDateTime, formatRelative ("3 minutes ago"), formatNumber, formatMoney (the currency comes
// with the data), formatPercent and formatDuration.

const FALLBACK = "en";
const RTL = new Set(["ar", "fa", "he", "ps", "ur", "ckb", "dv", "yi"]);
const FSI = "\u2068";
const PDI = "\u2069";

let language = FALLBACK;
let messages = {};
let fallback = {};
const loaded = new Map(); // lang -> Promise<catalog>
const parsed = new Map(); // message text -> AST
const listeners = new Set();

// ------------------------------------------------------------------------------- languages

/** The languages this installation offers (<html data-languages="en el ...">, set by the server). */
export function availableLanguages() {
  const list = (document.documentElement.dataset.languages || FALLBACK).split(/\s+/).filter(Boolean);
  return list.length ? list : [FALLBACK];
}

/** A language's own name for itself ("Ελληνικά", "suomi"), from the browser's CLDR data. */
export function languageName(lang) {
  try {
    const name = new Intl.DisplayNames([lang], { type: "language" }).of(lang) || lang;
    return name.charAt(0).toLocaleUpperCase(lang) + name.slice(1);
  } catch {
    return lang;
  }
}

/** "rtl" for right-to-left scripts (Persian, Arabic, Hebrew, ...), else "ltr". */
export function directionOf(lang) {
  try {
    const info = new Intl.Locale(lang);
    const text = info.getTextInfo ? info.getTextInfo() : info.textInfo;
    if (text && text.direction) return text.direction;
  } catch { /* an unknown tag: fall through */ }
  return RTL.has(String(lang).split("-")[0]) ? "rtl" : "ltr";
}

/** The first of `wanted` (tags such as "fi-FI") this installation offers, matched by language. */
export function pickLanguage(wanted, offered = availableLanguages()) {
  for (const tag of wanted) {
    if (!tag) continue;
    const lower = String(tag).toLowerCase();
    const hit = offered.find((l) => l === lower) || offered.find((l) => l === lower.split("-")[0]);
    if (hit) return hit;
  }
  return offered.includes(FALLBACK) ? FALLBACK : offered[0];
}

function fetchCatalog(lang) {
  if (!loaded.has(lang)) {
    const url = new URL(`/ui/i18n/${encodeURIComponent(lang)}.json`, import.meta.url);
    loaded.set(lang, fetch(url, { credentials: "same-origin" }).then((r) => {
      if (!r.ok) throw new Error(`catalog ${lang}: HTTP ${r.status}`);
      return r.json();
    }).catch((err) => {
      loaded.delete(lang);
      throw err;
    }));
  }
  return loaded.get(lang);
}

/** The current UI language ("en", "el", "pl", "fa", "fi"). */
export function currentLanguage() {
  return language;
}

/** The current UI direction ("ltr" or "rtl"). */
export function currentDirection() {
  return directionOf(language);
}

/**
 * Switch the UI language: load its catalog, set <html lang dir>, translate the static page
 * (applyTranslations) and tell every onLanguageChange listener, which re-render from the data
 * they hold (nothing is fetched again). Unknown languages fall back to English.
 */
export async function setLanguage(lang) {
  const wanted = pickLanguage([lang]);
  const [main, base] = await Promise.all([fetchCatalog(wanted), wanted === FALLBACK ? null : fetchCatalog(FALLBACK)]);
  language = wanted;
  messages = main;
  fallback = base || main;
  const root = document.documentElement;
  root.lang = wanted;
  root.dir = directionOf(wanted);
  applyTranslations(document);
  delete root.dataset.i18nPending;
  for (const fn of [...listeners]) {
    try {
      fn(wanted);
    } catch (err) {
      console.error("re-rendering after a language change failed", err);
    }
  }
  return wanted;
}

/** Call fn(lang) after every language switch; returns a function that stops it. */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// ------------------------------------------------------------------------------- messages

/** True when the catalog has this key (in the current language or the English fallback). */
export function has(key) {
  return key in messages || key in fallback;
}

/**
 * The message `key` in the UI language with `params` filled in. A key missing from the
 * catalog shows the English text, or the key itself (and a console warning) when that is missing too.
 */
export function t(key, params = {}) {
  let text = messages[key];
  if (text === undefined) text = fallback[key];
  if (text === undefined) {
    console.warn(`i18n: no message for ${key}`);
    return key;
  }
  return render(parse(text), params, null);
}

/**
 * Fill the static page: every element with data-i18n="key" gets that text, and
 * data-i18n-attr="aria-label:key1;title:key2" sets attributes.
 */
export function applyTranslations(root = document) {
  const scope = root.querySelectorAll ? root : document;
  const all = [...scope.querySelectorAll("[data-i18n], [data-i18n-attr]")];
  if (scope instanceof Element && scope.matches("[data-i18n], [data-i18n-attr]")) all.unshift(scope);
  for (const el of all) {
    if (el.dataset.i18n) el.textContent = t(el.dataset.i18n);
    for (const pair of (el.dataset.i18nAttr || "").split(";")) {
      const [attr, key] = pair.split(":").map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  if (scope === document && document.querySelector("title[data-i18n]")) {
    document.title = t(document.querySelector("title[data-i18n]").dataset.i18n);
  }
}

// An ICU message as a list of parts: strings, {arg}, {arg, plural|selectordinal|select, {...}}.
function parse(text) {
  let ast = parsed.get(text);
  if (!ast) {
    const at = { i: 0 };
    ast = parseParts(text, at, false);
    parsed.set(text, ast);
  }
  return ast;
}

function parseParts(text, at, nested) {
  const parts = [];
  let buf = "";
  while (at.i < text.length) {
    const c = text[at.i];
    if (c === "{") {
      if (buf) parts.push(buf);
      buf = "";
      at.i += 1;
      parts.push(parseArg(text, at));
    } else if (c === "}" && nested) {
      break;
    } else if (c === "#" && nested) {
      if (buf) parts.push(buf);
      buf = "";
      parts.push({ hash: true });
      at.i += 1;
    } else {
      buf += c;
      at.i += 1;
    }
  }
  if (buf) parts.push(buf);
  return parts;
}

function readUntil(text, at, stops) {
  let out = "";
  while (at.i < text.length && !stops.includes(text[at.i])) out += text[at.i++];
  return out.trim();
}

function parseArg(text, at) {
  const name = readUntil(text, at, ",}");
  if (text[at.i] === "}") {
    at.i += 1;
    return { arg: name };
  }
  at.i += 1; // ","
  const type = readUntil(text, at, ",}");
  if (text[at.i] === "}") {
    at.i += 1;
    return { arg: name, type };
  }
  at.i += 1; // ","
  const options = {};
  let offset = 0;
  for (;;) {
    const selector = readUntil(text, at, "{}");
    if (text[at.i] !== "{") break;
    at.i += 1;
    const body = parseParts(text, at, true);
    at.i += 1; // "}"
    if (selector.startsWith("offset:")) {
      offset = Number(selector.slice(7)) || 0;
      continue;
    }
    options[selector.replace(/^offset:\S+\s+/, "")] = body;
  }
  at.i += 1; // the argument's "}"
  return { arg: name, type, options, offset };
}

const RTL_CHARS = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFF]/;

// A value inside a sentence keeps its own direction (a Latin name or a phone number in Persian
// text, a Persian name in English text). Where both are left to right nothing is added.
function isolate(text) {
  return currentDirection() === "rtl" || RTL_CHARS.test(text) ? `${FSI}${text}${PDI}` : text;
}

function render(parts, params, hashValue) {
  let out = "";
  for (const part of parts) {
    if (typeof part === "string") out += part;
    else if (part.hash) out += formatNumber(hashValue);
    else out += renderArg(part, params);
  }
  return out;
}

function renderArg(part, params) {
  const value = params[part.arg];
  if (!part.type) {
    if (value === undefined || value === null) return "";
    if (typeof value === "number") return formatNumber(value);
    return isolate(String(value));
  }
  if (part.type === "number") return formatNumber(value);
  if (part.type === "plural" || part.type === "selectordinal") {
    const n = Number(value) || 0;
    const exact = part.options[`=${n}`];
    const rules = new Intl.PluralRules(language, { type: part.type === "plural" ? "cardinal" : "ordinal" });
    const body = exact || part.options[rules.select(n - part.offset)] || part.options.other || [];
    return render(body, params, n - part.offset);
  }
  if (part.type === "select") {
    const body = part.options[String(value)] || part.options.other || [];
    return render(body, params, null);
  }
  return value === undefined || value === null ? "" : String(value);
}

// ------------------------------------------------------------------------------- formatting

/** A Date from ISO text, "YYYY-MM-DD HH:MM:SS" (UTC) text, epoch seconds or a Date; null when invalid. */
export function toDate(value) {
  if (value === null || value === undefined || value === "") return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === "number") return new Date(value * 1000);
  let text = String(value);
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(text)) text = `${text.replace(" ", "T")}Z`;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

const DASH = "—";

/** A number in the UI language's digits and separators ("1 234,5" in Finnish, "۱۲۳" in Persian). */
export function formatNumber(value, options = {}) {
  const n = Number(value);
  if (value === null || value === undefined || value === "" || !Number.isFinite(n)) return DASH;
  return new Intl.NumberFormat(language, options).format(n);
}

/** An amount in its own currency (from the source data), written the UI language's way. */
export function formatMoney(amount, currency) {
  const n = Number(amount);
  if (amount === null || amount === undefined || amount === "" || !Number.isFinite(n)) return DASH;
  if (!currency) return formatNumber(n, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  try {
    return new Intl.NumberFormat(language, { style: "currency", currency }).format(n);
  } catch {
    return `${formatNumber(n, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency}`;
  }
}

/** A share (0.85) as a percentage ("85 %", "۸۵٪"). */
export function formatPercent(share) {
  if (share === null || share === undefined || !Number.isFinite(Number(share))) return DASH;
  return new Intl.NumberFormat(language, { style: "percent", maximumFractionDigits: 0 }).format(Number(share));
}

/** A calendar date ("12 Mar 2025", "12. maalisk. 2025"). */
export function formatDate(value, options = { day: "numeric", month: "short", year: "numeric" }) {
  const d = toDate(value);
  return d ? new Intl.DateTimeFormat(language, options).format(d) : DASH;
}

/** A time of day ("14:05"); `seconds: true` adds seconds. */
export function formatTime(value, { seconds = false } = {}) {
  const d = toDate(value);
  if (!d) return DASH;
  const options = { hour: "2-digit", minute: "2-digit" };
  if (seconds) options.second = "2-digit";
  return new Intl.DateTimeFormat(language, options).format(d);
}

/** A date with its time ("12 Mar, 14:05"). */
export function formatDateTime(value) {
  const d = toDate(value);
  if (!d) return DASH;
  return new Intl.DateTimeFormat(language, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(d);
}

/** How long ago ("now", "42 seconds ago", "3 hours ago") in the UI language. */
export function formatRelative(value, now = Date.now()) {
  const d = toDate(value);
  if (!d) return "";
  const s = Math.round((d.getTime() - now) / 1000);
  const abs = Math.abs(s);
  const rtf = new Intl.RelativeTimeFormat(language, { numeric: "auto", style: "long" });
  if (abs < 3) return rtf.format(0, "second");
  if (abs < 60) return rtf.format(s, "second");
  if (abs < 3600) return rtf.format(Math.trunc(s / 60), "minute");
  if (abs < 86400) return rtf.format(Math.trunc(s / 3600), "hour");
  return rtf.format(Math.trunc(s / 86400), "day");
}

/** A clock-style duration ("0:07", "12:30", "1:02:03") in the UI language's digits. */
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return DASH;
  const total = Math.max(0, Math.round(Number(seconds)));
  const two = (n) => formatNumber(n, { minimumIntegerDigits: 2, useGrouping: false });
  const one = (n) => formatNumber(n, { useGrouping: false });
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  return hours ? `${one(hours)}:${two(minutes)}:${two(secs)}` : `${one(minutes)}:${two(secs)}`;
}
