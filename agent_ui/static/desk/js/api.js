// The REST client: JSON in, JSON out, errors as ApiError with the server's code, message and field.
// The server's message is for logs; people read errorText(err), the code's text in the UI language.

import { t } from "/ui/i18n/i18n.js";

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field || null;
  }
}

const listeners = new Set();

/** Call fn() whenever a request finds the session gone (401), e.g. to show the login form. */
export function onUnauthorized(fn) {
  listeners.add(fn);
}

/**
 * fetch JSON from this origin. `body` is sent as JSON; `query` values that are empty are left out.
 * Throws ApiError for any non-2xx answer (network failures become status 0).
 */
export async function api(path, { method = "GET", body, query, quietAuth = false } = {}) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, "network", String(err));
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    // Errors are {"error": "<text>", "code": "...", "field": "..."} (contact_center/errors.py).
    const e = data || {};
    const message = (typeof e.error === "string" && e.error) || e.message || `${response.status} ${response.statusText}`;
    const error = new ApiError(response.status, e.code || "http_error", message, e.field);
    if (response.status === 401 && !quietAuth) listeners.forEach((fn) => fn(error));
    throw error;
  }
  return data || {};
}

// The server's stable error codes (contact_center/errors.py, chat and routing frames) -> catalog keys.
const ERROR_KEYS = {
  network: "error.network",
  bad_request: "error.bad_request",
  malformed_body: "error.bad_request",
  payload_too_large: "error.payload_too_large",
  validation_error: "error.validation_error",
  unauthenticated: "error.unauthenticated",
  login_throttled: "error.login_throttled",
  forbidden: "error.forbidden",
  not_found: "error.not_found",
  conflict: "error.conflict",
  unavailable: "error.unavailable",
  source_timeout: "error.unavailable",
  rate_limited: "error.rate_limited",
};

/** What went wrong, for people: the text of the error's code (or its HTTP status) in the UI language. */
export function errorText(err) {
  const code = err && err.code;
  if (code && ERROR_KEYS[code]) return t(ERROR_KEYS[code]);
  const status = err && err.status;
  if (status === 401) return t("error.unauthenticated");
  if (status === 403) return t("error.forbidden");
  if (status === 404) return t("error.not_found");
  if (status === 409) return t("error.conflict");
  if (status === 422) return t("error.validation_error");
  if (status === 429) return t("error.rate_limited");
  if (status >= 500) return t("error.unavailable");
  return t("error.unknown");
}
