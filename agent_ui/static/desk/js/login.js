// The login form: POST /api/v1/auth/login; errors (wrong password, too many attempts, server
// unreachable) appear above the form and are announced.

import { api } from "./api.js";
import { byId } from "./dom.js";

const MESSAGES = {
  401: "Wrong username or password.",
  429: "Too many failed attempts. Wait a few minutes, then try again.",
};

/** Show the login form; call onLogin(user) once a login succeeds. */
export function showLogin(onLogin) {
  const view = byId("login-view");
  const form = byId("login-form");
  const error = byId("login-error");
  const username = byId("login-username");
  const password = byId("login-password");
  const submit = byId("login-submit");
  view.hidden = false;
  byId("desk-view").hidden = true;
  username.focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    for (const input of [username, password]) input.removeAttribute("aria-invalid");
    const missing = [username, password].find((input) => !input.value);
    if (missing) {
      show(error, `Enter your ${missing === username ? "username" : "password"}.`);
      missing.setAttribute("aria-invalid", "true");
      missing.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      const { user } = await api("/api/v1/auth/login", {
        method: "POST", body: { username: username.value.trim(), password: password.value }, quietAuth: true,
      });
      password.value = "";
      const next = new URLSearchParams(location.search).get("next");
      if (next && /^\/[a-z]/.test(next)) {
        location.assign(next); // only a path on this site (never "//host" or a full URL)
        return;
      }
      await onLogin(user);
    } catch (err) {
      show(error, MESSAGES[err.status] || err.message);
      const field = err.field === "username" ? username : password;
      field.setAttribute("aria-invalid", "true");
      if (err.status === 401) password.value = "";
      field.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = "Sign in";
    }
  });
}

function show(el, message) {
  el.textContent = message;
  el.hidden = false;
}
