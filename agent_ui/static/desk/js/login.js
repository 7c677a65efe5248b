// The login form: POST /api/v1/auth/login; errors (wrong password, too many attempts, server
// unreachable) appear above the form and are announced. The language menu switches the form's
// language at once; a choice made here becomes the user's preference once they are signed in.

import { api, errorText } from "./api.js";
import { byId } from "./dom.js";
import { t } from "/ui/i18n/i18n.js";
import { languageMenu } from "./language.js";

const LOGIN_ERRORS = { 401: "login.error.wrong", 429: "login.error.throttled" };

/** Show the login form; call onLogin(user, chosenLanguage) once a login succeeds. */
export function showLogin(onLogin) {
  const view = byId("login-view");
  const form = byId("login-form");
  const error = byId("login-error");
  const username = byId("login-username");
  const password = byId("login-password");
  const submit = byId("login-submit");
  let chosen = null;
  languageMenu(byId("login-language"), (lang) => { chosen = lang; });
  view.hidden = false;
  byId("desk-view").hidden = true;
  username.focus();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    for (const input of [username, password]) input.removeAttribute("aria-invalid");
    const missing = [username, password].find((input) => !input.value);
    if (missing) {
      show(error, t(missing === username ? "login.error.no_username" : "login.error.no_password"));
      missing.setAttribute("aria-invalid", "true");
      missing.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = t("login.submitting");
    try {
      const { user } = await api("/api/v1/auth/login", {
        method: "POST", body: { username: username.value.trim(), password: password.value }, quietAuth: true,
      });
      password.value = "";
      const next = new URLSearchParams(location.search).get("next");
      if (next && /^\/[a-z]/.test(next)) {
        if (chosen && chosen !== user.language) await api("/api/v1/me", { method: "PATCH", body: { language: chosen } }).catch(() => {});
        location.assign(next); // only a path on this site (never "//host" or a full URL)
        return;
      }
      await onLogin(user, chosen);
    } catch (err) {
      show(error, LOGIN_ERRORS[err.status] ? t(LOGIN_ERRORS[err.status]) : errorText(err));
      const field = err.field === "username" ? username : password;
      field.setAttribute("aria-invalid", "true");
      if (err.status === 401) password.value = "";
      field.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = t("login.submit");
    }
  });
}

function show(el, message) {
  el.textContent = message;
  el.hidden = false;
}
