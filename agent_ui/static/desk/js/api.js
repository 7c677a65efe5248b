// The REST client: JSON in, JSON out, errors as ApiError with the server's code, message and field.

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
    throw new ApiError(0, "network", "The server cannot be reached. Check the connection and try again.");
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
