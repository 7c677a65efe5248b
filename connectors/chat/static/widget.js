/* Contact Center chat widget. Embed with:
 *   <script src="https://support.example.com/chat/widget.js" data-topic="sales" async></script>
 * It speaks the visitor's language: the script's data-lang, else the page's <html lang>, else the
 * browser's languages (its catalogs: /chat/i18n/<lang>.json; English when none fits), and lays
 * itself out right to left for Persian and other right-to-left languages.
 * Keeps the visitor id, the last message id seen and unacknowledged messages in localStorage, so a
 * reload or a dropped connection neither loses nor repeats a message (see connectors/chat/protocol.py).
 * Everything the server or an agent sends is shown as text, never as HTML.
 */
(function () {
  "use strict";
  if (window.ContactCenterChat) { return; }
  var script = document.currentScript || document.querySelector('script[src*="/chat/widget.js"]');
  var base = new URL(script ? script.src : "/chat/widget.js", window.location.href);
  var wsUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/chat/ws";
  var topic = (script && script.getAttribute("data-topic")) || null;
  var customTitle = (script && script.getAttribute("data-title")) || null; // the site's own words, as given
  var prefix = "cc-chat:" + base.host + ":";
  var RTL = ["ar", "fa", "he", "ps", "ur", "ckb", "dv", "yi"];
  var lang = "en", messages = {};

  // The languages to try, best first: data-lang, the page's language, the browser's; then English.
  function wantedLanguages() {
    var tags = [script && script.getAttribute("data-lang"), document.documentElement.lang]
      .concat(navigator.languages || [navigator.language]);
    var out = [];
    tags.forEach(function (tag) {
      var base = String(tag || "").toLowerCase().split(/[-_]/)[0];
      if (/^[a-z]{2,3}$/.test(base) && out.indexOf(base) < 0) { out.push(base); }
    });
    if (out.indexOf("en") < 0) { out.push("en"); }
    return out;
  }
  function loadCatalog(candidates) {
    if (!candidates.length) { return Promise.resolve(); }
    return fetch(new URL("/chat/i18n/" + candidates[0] + ".json", base).href).then(function (r) {
      if (!r.ok) { throw new Error("no catalog"); }
      return r.json();
    }).then(function (catalog) { lang = candidates[0]; messages = catalog; })
      .catch(function () { return loadCatalog(candidates.slice(1)); });
  }
  // A message with {name} placeholders; values keep their own direction (Unicode isolates).
  function t(key, params) {
    var text = messages[key] || key;
    return text.replace(/\{(\w+)\}/g, function (_, name) {
      return params && params[name] !== undefined ? "\u2068" + params[name] + "\u2069" : "";
    });
  }
  var ERROR_KEYS = { too_large: "chat.error.too_large", rate_limited: "chat.error.rate_limited",
                     bad_email: "chat.error.bad_email" };

  function load(key, fallback) {
    try { var v = window.localStorage.getItem(prefix + key); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(key, value) {
    try { window.localStorage.setItem(prefix + key, JSON.stringify(value)); } catch (e) { /* private mode */ }
  }

  var state = {
    visitorId: load("visitor", null),
    lastSeen: load("lastSeen", 0),
    outbox: load("outbox", []),          // [{client_id, text}] not yet acknowledged
    log: load("log", []),                // [{id, direction, text, client_id, status}]
    name: load("name", null),
    email: load("email", null),
    open: load("open", false)
  };
  var ws = null, retry = 1000, connected = false, listeners = [];

  function persist() {
    save("visitor", state.visitorId); save("lastSeen", state.lastSeen); save("outbox", state.outbox);
    save("log", state.log.slice(-300)); save("name", state.name); save("email", state.email); save("open", state.open);
  }
  function emit(kind, data) { listeners.forEach(function (fn) { try { fn(kind, data); } catch (e) { /* ignore */ } }); }
  function newClientId() {
    return "c-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 10);
  }

  function upsert(msg) {
    // One log entry per message: matched by server id, or by client id for the visitor's own.
    for (var i = 0; i < state.log.length; i++) {
      var e = state.log[i];
      if ((msg.id && e.id === msg.id) || (msg.client_id && e.client_id === msg.client_id && e.direction === msg.direction)) {
        e.id = msg.id || e.id; e.text = msg.text || e.text; e.status = msg.status || e.status; e.author = msg.author || e.author;
        return false;
      }
    }
    state.log.push({ id: msg.id || null, direction: msg.direction, text: msg.text, client_id: msg.client_id || null,
                     author: msg.author || null, status: msg.status || "delivered" });
    return true;
  }

  function received(msg) {
    if (msg.id && msg.id > state.lastSeen) { state.lastSeen = msg.id; }
    var fresh = upsert({ id: msg.id, direction: msg.direction, text: msg.text, client_id: msg.client_id,
                         author: msg.author, status: "delivered" });
    if (fresh) { emit("message", msg); }
  }

  function send(frame) { if (ws && connected) { ws.send(JSON.stringify(frame)); } }

  function flush() { state.outbox.forEach(function (m) { send({ type: "message", client_id: m.client_id, text: m.text }); }); }

  function onFrame(frame) {
    if (frame.type === "welcome") {
      state.visitorId = frame.visitor_id;
      (frame.history || []).forEach(received);
      persist(); flush(); render(); emit("welcome", frame);
    } else if (frame.type === "ack") {
      state.outbox = state.outbox.filter(function (m) { return m.client_id !== frame.client_id; });
      upsert({ id: frame.message_id, direction: "in", client_id: frame.client_id, status: "delivered" });
      persist(); render(); emit("ack", frame);
    } else if (frame.type === "message") {
      received(frame.message); persist(); render();
    } else if (frame.type === "error") {
      onError(frame);
    } else if (frame.type === "identified") {
      emit("identified", frame);
    }
  }

  function onError(frame) {
    var pending = frame.client_id && state.outbox.some(function (m) { return m.client_id === frame.client_id; });
    if (frame.code === "rate_limited" && pending) {
      var again = state.outbox.filter(function (m) { return m.client_id === frame.client_id; })[0];
      setTimeout(function () { send({ type: "message", client_id: again.client_id, text: again.text }); },
                 Math.ceil((frame.retry_after || 1) * 1000));
    } else if (pending) {
      state.outbox = state.outbox.filter(function (m) { return m.client_id !== frame.client_id; });
      upsert({ direction: "in", client_id: frame.client_id, status: "failed" });
      persist();
    }
    showError(t(ERROR_KEYS[frame.code] || "chat.error.other"));
    render(); emit("error", frame);
  }

  function connect() {
    ws = new WebSocket(wsUrl);
    ws.onopen = function () {
      connected = true; retry = 1000;
      send({ type: "hello", visitor_id: state.visitorId, last_seen: state.lastSeen, name: state.name,
             email: state.email, topic: topic });
    };
    ws.onmessage = function (ev) { try { onFrame(JSON.parse(ev.data)); } catch (e) { /* ignore bad frame */ } };
    ws.onclose = function () {
      connected = false; ws = null;
      setTimeout(connect, retry); retry = Math.min(retry * 2, 30000);
    };
  }

  // ------------------------------------------------------------------ the small UI
  var root, logEl, input, errorEl;
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) { e.textContent = text; }
    return e;
  }
  function line(m) {
    var row = el("div", { "class": "cc-msg cc-" + (m.direction === "in" ? "me" : "agent") + " cc-" + m.status,
                          "data-id": m.id || "", "data-client-id": m.client_id || "" });
    if (m.direction !== "in") {
      row.appendChild(el("bdi", { "class": "cc-author", dir: "auto" }, m.author || t("chat.agent")));
      row.appendChild(document.createTextNode(": "));
    }
    row.appendChild(el("span", { "class": "cc-text", dir: "auto" }, m.text || ""));
    if (m.status === "failed") { row.appendChild(el("span", { "class": "cc-note" }, " " + t("chat.not_sent"))); }
    return row;
  }
  function showError(text) { if (errorEl) { errorEl.textContent = text || ""; } }

  function render() {
    if (!logEl) { return; }
    logEl.textContent = "";
    state.log.forEach(function (m) { logEl.appendChild(line(m)); });
    logEl.scrollTop = logEl.scrollHeight;
    root.className = "cc-chat" + (state.open ? " cc-open" : "");
  }

  function build() {
    var style = el("style");
    style.textContent = ".cc-chat{position:fixed;inset-inline-end:16px;bottom:16px;font:14px sans-serif;z-index:2147483000}" +
      ".cc-chat .cc-panel{display:none;width:300px;background:#fff;border:1px solid #ccc;border-radius:8px;" +
      "box-shadow:0 4px 16px rgba(0,0,0,.2);margin-bottom:8px}.cc-chat.cc-open .cc-panel{display:block}" +
      ".cc-log{height:260px;overflow:auto;padding:8px}.cc-msg{margin:4px 0;padding:6px 8px;border-radius:6px}" +
      ".cc-me{background:#e3f0ff;margin-inline-start:40px}.cc-agent{background:#f1f1f1;margin-inline-end:40px}" +
      ".cc-failed{color:#a00}.cc-error{color:#a00;padding:0 8px;min-height:1em}" +
      ".cc-chat textarea{width:100%;box-sizing:border-box;border:0;border-top:1px solid #ddd;padding:8px}" +
      ".cc-toggle{background:#1f6feb;color:#fff;border:0;border-radius:20px;padding:10px 16px;cursor:pointer}";
    document.head.appendChild(style);
    var dir = RTL.indexOf(lang) >= 0 ? "rtl" : "ltr";
    root = el("div", { "class": "cc-chat", "id": "cc-chat", lang: lang, dir: dir });
    var panel = el("div", { "class": "cc-panel" });
    logEl = el("div", { "class": "cc-log", "aria-live": "polite" });
    errorEl = el("div", { "class": "cc-error" });
    input = el("textarea", { rows: "2", dir: "auto", placeholder: t("chat.placeholder"), "aria-label": t("chat.input_label") });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); api.send(input.value); input.value = ""; }
    });
    panel.appendChild(logEl); panel.appendChild(errorEl); panel.appendChild(input);
    var toggle = el("button", { "class": "cc-toggle", type: "button", dir: "auto" }, customTitle || t("chat.title"));
    toggle.addEventListener("click", function () { state.open = !state.open; persist(); render(); });
    root.appendChild(panel); root.appendChild(toggle);
    document.body.appendChild(root);
    render();
  }

  var api = {
    send: function (text) {
      text = (text || "").trim();
      if (!text) { return null; }
      showError("");
      var clientId = newClientId();
      state.outbox.push({ client_id: clientId, text: text });
      upsert({ direction: "in", text: text, client_id: clientId, status: "pending" });
      persist(); render();
      send({ type: "message", client_id: clientId, text: text });
      return clientId;
    },
    identify: function (name, email) {
      state.name = name || state.name; state.email = email || state.email; persist();
      send({ type: "identify", name: state.name, email: state.email });
    },
    open: function () { state.open = true; persist(); render(); },
    on: function (fn) { listeners.push(fn); },
    state: function () { return JSON.parse(JSON.stringify(state)); },
    connected: function () { return connected; }
  };
  window.ContactCenterChat = api;

  function start() { loadCatalog(wantedLanguages()).then(build); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
  connect();
})();
