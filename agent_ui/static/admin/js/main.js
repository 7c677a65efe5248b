// The admin console: first-run form, login, then one section at a time (#departments, #users, …).
import { api, onUnauthorized } from "../../desk/js/api.js";
import { byId, h, replace, announce } from "../../desk/js/dom.js";
import { currentLanguage, setLanguage, t } from "/ui/i18n/i18n.js";
import { loadChannels } from "../../desk/js/channels.js";

// Section -> its name's catalog key, in the navigation's order.
const SECTIONS = {
  departments: "admin.nav.departments", users: "admin.nav.users", telephony: "admin.nav.telephony",
  email: "admin.nav.email", chat: "admin.nav.chat", routing: "admin.nav.routing", desk: "admin.nav.desk",
  sources: "admin.nav.sources", apichannels: "admin.nav.apichannels", audit: "admin.nav.audit",
};
const NAMES = Object.keys(SECTIONS);
const state = { me: null, departments: [], current: null };

const VIEWS = { setup: byId("setup-view"), login: byId("login-view"), console: byId("console-view") };

function showView(view) {
  for (const [name, el] of Object.entries(VIEWS)) el.hidden = name !== view;
}

async function boot() {
  const setup = await api("/api/v1/setup");
  if (setup.needs_admin) return showSetup();
  try {
    state.me = (await api("/api/v1/me", { quietAuth: true })).user;
  } catch {
    return showLogin();
  }
  if (state.me.language && state.me.language !== currentLanguage()) await setLanguage(state.me.language);
  if (state.me.role !== "admin") {
    showView("login");
    const error = byId("login-error");
    error.textContent = t("admin.needs_admin");
    error.hidden = false;
    return undefined;
  }
  return showConsole();
}

function showSetup() {
  showView("setup");
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
  showView("login");
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
  showView("console");
  byId("whoami").textContent = t("admin.signed_in_as", { name: state.me.display_name || state.me.username });
  byId("logout").onclick = async () => {
    await api("/api/v1/auth/logout", { method: "POST", body: {} }).catch(() => {});
    location.reload();
  };
  replace(byId("nav"), NAMES.map((name) => h("button", {
    type: "button", id: `nav-${name}`, dataset: { section: name },
    onclick: () => { location.hash = `#${name}`; },
  }, t(SECTIONS[name]))));
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
  const section = NAMES.includes(name) ? name : NAMES[0];
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
  announce(t(SECTIONS[section]));
  host.querySelector("h2")?.focus();
}

onUnauthorized(() => showLogin());
setLanguage(document.documentElement.lang).then(boot);
