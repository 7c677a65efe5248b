// The minimal agent page: log in, open /ws/agent, render pops. Text only (no innerHTML with data).
"use strict";

const $ = (id) => document.getElementById(id);
const pops = new Map(); // conversation_id -> {frame, element}
let socket = null;
let retry = 500;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function show(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function table(rows) {
  if (!rows || rows.length === 0) return el("p", { class: "muted" }, "nothing");
  const cols = Object.keys(rows[0]);
  return el("table", {}, el("tr", {}, cols.map((c) => el("th", {}, c))),
    rows.map((r) => el("tr", {}, cols.map((c) => el("td", {}, show(r[c]))))));
}

function renderSection(name, section) {
  const data = section.data;
  let body;
  if (section.status !== "ok") body = el("p", { class: "muted" }, section.status === "timeout" ? "still loading…" : section.status);
  else if (Array.isArray(data)) body = table(data);
  else if (data && typeof data === "object") body = table([data]);
  else body = el("p", { class: "muted" }, "no data");
  return el("div", { class: "section", "data-section": name },
    el("h3", {}, section.title || name, el("span", { class: `badge ${section.status}` }, section.status)), body);
}

async function post(url, body) {
  const resp = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body), credentials: "same-origin" });
  const doc = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error((typeof doc.error === "string" && doc.error) || resp.statusText);
  return doc;
}

function customerBlock(frame) {
  const c = frame.customer;
  if (c) {
    return el("div", {}, el("h2", {}, c.display_name, c.company ? ` — ${c.company}` : ""),
      el("p", { class: "muted" }, (c.identities || []).map((i) => `${i.kind}: ${i.value}`).join(" · ")));
  }
  const address = frame.contact && frame.contact.address;
  const box = el("div", {}, el("h2", {}, frame.candidates.length ? "Who is this?" : "Unknown contact", " ",
    el("span", { class: "muted" }, address || "")));
  for (const cand of frame.candidates) {
    box.append(el("button", { onclick: () => socket.send(JSON.stringify({ type: "pick_customer",
      conversation_id: frame.conversation_id, customer_id: cand.customer_id })) },
      `${cand.display_name}${cand.company ? " (" + cand.company + ")" : ""}`), " ");
  }
  const form = el("form", {}, el("input", { name: "display_name", placeholder: "New customer's name", required: "" }),
    el("button", { type: "submit" }, "Create customer"), el("span", { class: "error" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await post("/api/v1/customers", { display_name: form.display_name.value, conversation_id: frame.conversation_id });
    } catch (err) { form.querySelector(".error").textContent = err.message; }
  });
  box.append(form);
  return box;
}

function renderPop(frame) {
  const sections = el("div", { class: "sections" },
    Object.entries(frame.sections).map(([name, s]) => renderSection(name, s)));
  const timeline = el("ul", {}, frame.timeline.map((t) =>
    el("li", {}, `${t.created_at.slice(0, 16).replace("T", " ")} ${t.channel} — ${t.subject || ""} (${t.disposition || t.status})`)));
  const suggestions = el("ul", { class: "suggestions" }, frame.suggestions.map((s) =>
    el("li", {}, s.product, el("span", { class: "muted" }, ` bought with ${s.because.join(", ")}`))));
  const node = el("article", { class: "card pop", "data-conversation": frame.conversation_id },
    el("p", { class: "muted" }, `${frame.contact.channel}${frame.call_id ? " " + frame.call_id : ""}`),
    customerBlock(frame), sections,
    el("h3", {}, "Recent contacts"), frame.timeline.length ? timeline : el("p", { class: "muted" }, "none"),
    el("h3", {}, "Suggestions"), frame.suggestions.length ? suggestions : el("p", { class: "muted" }, "none"));
  const old = pops.get(frame.conversation_id);
  if (old) old.element.replaceWith(node); else $("pops").prepend(node);
  pops.set(frame.conversation_id, { frame, element: node });
  $("idle").hidden = true;
}

function onFrame(frame) {
  switch (frame.type) {
    case "hello": $("who").textContent = frame.user.display_name; break;
    case "call_ringing": {
      const who = frame.customer ? frame.customer.display_name : (frame.candidates.length ? "one of " +
        frame.candidates.map((c) => c.display_name).join(", ") : "unknown caller");
      $("ringing").append(el("div", { class: "card ringing", "data-call": frame.call_id }, `Ringing: ${frame.from} — ${who}`));
      break;
    }
    case "call_ended":
      for (const n of $("ringing").querySelectorAll(`[data-call="${CSS.escape(frame.call_id)}"]`)) n.remove();
      break;
    case "screen_pop":
      for (const n of $("ringing").querySelectorAll(`[data-call="${CSS.escape(String(frame.call_id))}"]`)) n.remove();
      renderPop(frame);
      break;
    case "screen_pop_section": {
      const pop = pops.get(frame.conversation_id);
      if (!pop) break;
      pop.frame.sections[frame.name] = frame.section;
      if (frame.suggestions) pop.frame.suggestions = frame.suggestions;
      renderPop(pop.frame);
      break;
    }
    default: break;
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/ws/agent`);
  socket.onopen = () => { retry = 500; $("status").textContent = "online"; $("status").className = "status online"; };
  socket.onmessage = (e) => onFrame(JSON.parse(e.data));
  socket.onclose = () => {
    $("status").textContent = "offline"; $("status").className = "status";
    if (!$("login").hidden) return;
    setTimeout(connect, retry); retry = Math.min(retry * 2, 10000);
  };
}

function loggedIn(user) {
  $("login").hidden = true; $("logout").hidden = false; $("idle").hidden = false;
  $("who").textContent = user.display_name;
  connect();
}

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const doc = await post("/api/v1/auth/login", { username: e.target.username.value, password: e.target.password.value });
    $("login-error").textContent = "";
    loggedIn(doc.user);
  } catch (err) { $("login-error").textContent = err.message; }
});

$("logout").addEventListener("click", async () => {
  await post("/api/v1/auth/logout", {}).catch(() => null);
  location.reload();
});

fetch("/api/v1/me", { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null))
  .then((doc) => { if (doc) loggedIn(doc.user); }).catch(() => null);
