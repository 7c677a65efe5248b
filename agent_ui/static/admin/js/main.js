// The admin console: first-run form, login, then one section at a time (#departments, #users, …).
import { api, onUnauthorized } from "../../desk/js/api.js";
import { byId, h, replace, announce } from "../../desk/js/dom.js";
import { t } from "./strings.js";
import { loadChannels } from "../../desk/js/channels.js";

const SECTIONS = ["departments", "users", "telephony", "email", "chat", "routing", "desk", "sources", "audit"];
const state = { me: null, departments: [], current: null };

function show(view) {
  for (const id of ["setup-view", "login-view", "console-view"]) byId(id).hidden = id !== view;
}

async function boot() {
  const setup = await api("/api/v1/setup");
  if (setup.needs_admin) return showSetup();
  try {
    state.me = (await api("/api/v1/me", { quietAuth: true })).user;
  } catch {
    return showLogin();
  }
  if (state.me.role !== "admin") {
    show("login-view");
    const error = byId("login-error");
    error.textContent = t("admin.needs_admin");
    error.hidden = false;
    return undefined;
  }
  return showConsole();
}

function showSetup() {
  show("setup-view");
  const form = byId("setup-form");
  byId("setup-username").focus();
  form.onsubmit = async (event) => {
    event.preventDefault();
    const error = byId("setup-error");
    error.hidden = true;
    const data = Object.fromEntries(new FormData(form));
    if (data.password !== data.again) {
      error.textContent = t("admin.error.passwords_differ");
      error.hidden = false;
      byId("setup-again").focus();
      return;
    }
    try {
      await api("/api/v1/setup", { method: "POST", body: { username: data.username, password: data.password,
        display_name: data.display_name || undefined } });
      location.hash = "#departments";
      await boot();
    } catch (err) {
      error.textContent = err.field ? t("admin.error.field", { field: err.field, message: err.message }) : err.message;
      error.hidden = false;
      const target = form.querySelector(`[name="${err.field}"]`);
      if (target) target.focus();
    }
  };
}

function showLogin() {
  show("login-view");
  const form = byId("login-form");
  byId("login-username").focus();
  form.onsubmit = async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    try {
      await api("/api/v1/auth/login", { method: "POST", body: data, quietAuth: true });
      await boot();
    } catch (err) {
      const error = byId("login-error");
      error.textContent = err.message;
      error.hidden = false;
    }
  };
}

function showConsole() {
  show("console-view");
  byId("whoami").textContent = t("admin.signed_in_as", { name: state.me.display_name || state.me.username });
  byId("logout").onclick = async () => {
    await api("/api/v1/auth/logout", { method: "POST", body: {} }).catch(() => {});
    location.reload();
  };
  replace(byId("nav"), SECTIONS.map((name) => h("button", {
    type: "button", id: `nav-${name}`, dataset: { section: name },
    onclick: () => { location.hash = `#${name}`; },
  }, t(`admin.nav.${name}`))));
  byId("nav").addEventListener("keydown", navKeys);
  window.onhashchange = () => open(location.hash.slice(1));
  return open(location.hash.slice(1));
}

function navKeys(event) {
  // Up/Down move between the sections' buttons (a vertical list), Home/End to the ends.
  const buttons = [...byId("nav").querySelectorAll("button")];
  const index = buttons.indexOf(document.activeElement);
  if (index < 0) return;
  const next = { ArrowDown: index + 1, ArrowUp: index - 1, Home: 0, End: buttons.length - 1 }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  buttons[(next + buttons.length) % buttons.length].focus();
}

/** Show section *name* (the first when unknown). */
export async function open(name) {
  const section = SECTIONS.includes(name) ? name : SECTIONS[0];
  state.current = section;
  for (const button of byId("nav").querySelectorAll("button")) {
    if (button.dataset.section === section) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  const host = byId("section");
  state.departments = (await api("/api/v1/departments")).departments;
  await loadChannels();
  const module = await import(`./${section}.js`);
  replace(host, await module.render({ state, reload: () => open(section) }));
  announce(t(`admin.nav.${section}`));
  host.querySelector("h2")?.focus();
}

onUnauthorized(() => showLogin());
boot();
