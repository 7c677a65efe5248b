// The live configuration as the console reads and writes it (GET /api/v1/config, PUT a section).
import { api } from "../../desk/js/api.js";

/** Every live section (no secrets) and the version. */
export async function loadConfig() {
  return api("/api/v1/config");
}

/** Replace section *name* with *value*; answers the new configuration. */
export function saveSection(name, value) {
  return api(`/api/v1/config/${name}`, { method: "PUT", body: { value } });
}

/** [[slug, name], …] of the active departments, with an empty first choice labelled *none*. */
export function departmentOptions(departments, none) {
  return [["", none], ...departments.filter((d) => d.active).map((d) => [d.slug, d.name])];
}
