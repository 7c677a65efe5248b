// Form building blocks for the console: labelled fields, lists, error display naming the field, toasts.
import { h } from "../../desk/js/dom.js";
import { t } from "/ui/i18n/i18n.js";

let counter = 0;
const uid = (prefix) => `${prefix}-${++counter}`;

/**
 * A labelled input: field({name, label, value, type, hint, options, rows, required}).
 * `options` ([[value, label], …]) makes a <select>; `rows` a <textarea>; type "checkbox" a checkbox.
 * The control carries data-field=name so an API error naming that field can mark it.
 */
export function field({ name, label, value = "", type = "text", hint, options, rows, required, wide, attrs = {} }) {
  const id = uid(`f-${name.replace(/[^a-z0-9]/gi, "-")}`);
  const hintId = hint ? `${id}-hint` : null;
  const common = { id, name, "data-field": name, "aria-describedby": hintId, required, ...attrs };
  let control;
  if (options) {
    control = h("select", common, options.map(([v, l]) => h("option", { value: v, selected: String(v) === String(value ?? "") }, l)));
  } else if (rows) {
    control = h("textarea", { ...common, rows, dir: "auto" });
    control.value = value ?? "";
  } else if (type === "checkbox") {
    control = h("input", { ...common, type, checked: Boolean(value) });
  } else {
    control = h("input", { ...common, type, value: value ?? "", dir: type === "text" ? "auto" : null });
  }
  return h("div", { class: ["field", wide && "wide"] },
    h("label", { for: id }, label), control, hint && h("span", { id: hintId, class: "hint" }, hint));
}

/** A group of checkboxes (fieldset + legend): checks({name, legend, items: [[value, label]], checked: [...]}). */
export function checks({ name, legend, items, checked = [] }) {
  return h("fieldset", { class: "field wide", "data-field": name },
    h("legend", {}, legend),
    h("div", { class: "checks" }, items.map(([value, label]) => {
      const id = uid(`c-${name}`);
      return h("span", {}, h("input", { type: "checkbox", id, name, value, checked: checked.includes(value) }),
        " ", h("label", { for: id }, label));
    })));
}

/** The checked values of checkbox group *name* inside *root*. */
export function checked(root, name) {
  return [...root.querySelectorAll(`input[type=checkbox][name="${name}"]`)].filter((c) => c.checked).map((c) => c.value);
}

/** The value of the control named *name* inside *root* (checkboxes: boolean). */
export function val(root, name) {
  const el = root.querySelector(`[name="${name}"]`);
  if (!el) return undefined;
  return el.type === "checkbox" ? el.checked : el.value;
}

/** Lines of a textarea value, trimmed, empty ones dropped. */
export const lines = (text) => String(text || "").split(/[\n,]/).map((s) => s.trim()).filter(Boolean);

/** A box for messages at the top of a form; errorBox.show(err) marks the field the API named. */
export function messageBox() {
  const box = h("p", { class: "form-error", role: "alert", hidden: true });
  box.show = (err, form) => {
    for (const el of (form || document).querySelectorAll("[aria-invalid=true]")) el.removeAttribute("aria-invalid");
    box.className = "form-error";
    box.textContent = err.field ? t("admin.error.field", { field: err.field, message: err.message }) : err.message;
    box.hidden = false;
    const target = err.field && form && (form.querySelector(`[data-field="${err.field}"]`)
      || form.querySelector(`[data-field="${String(err.field).split(/[.[]/)[0]}"]`));
    if (target) {
      target.setAttribute("aria-invalid", "true");
      target.focus?.();
    }
  };
  box.ok = (message) => {
    box.className = "ok-note";
    box.textContent = message;
    box.hidden = false;
  };
  box.clear = () => { box.hidden = true; };
  return box;
}

/** A short message in the corner that goes away by itself (and is read by screen readers). */
export function toast(message) {
  const host = document.getElementById("toasts");
  if (!host) return;
  const el = h("div", { class: "toast" }, message);
  host.append(el);
  setTimeout(() => el.remove(), 4000);
}

/** Run *action* (async) from a form's submit/click: errors go to *box*, success to *done*. */
export async function attempt(box, form, action, done) {
  box.clear();
  try {
    const result = await action();
    if (done) done(result);
    return result;
  } catch (err) {
    box.show(err, form);
    return undefined;
  }
}

/** A section heading and its panels. */
export function section(title, ...children) {
  return [h("h2", { tabindex: "-1" }, title), ...children];
}

export { h };

/**
 * A credential shown once (after it was made or rotated): a warning and, per [label, value], a read-only
 * field that selects itself on focus so it can be copied. Focus moves to the first value.
 */
export function shownOnce(warning, items) {
  return h("div", { class: "panel", role: "alert" },
    h("p", {}, warning),
    h("div", { class: "grid" }, items.map(([label, value]) => field({ name: label, label, value, wide: true,
      attrs: { readonly: true, spellcheck: "false", autocomplete: "off", class: "secret",
        onfocus: (event) => event.target.select() } }))));
}

/** A table with headings from catalog *keys* and *rows* (arrays of cells), or one *empty* line when none. */
export function table(keys, rows, empty) {
  return h("table", { class: "list" },
    h("thead", {}, h("tr", {}, keys.map((k) => h("th", { scope: "col" }, t(k))))),
    h("tbody", {}, rows.length ? rows.map((cells) => h("tr", {}, cells.map((c) => h("td", {}, c))))
      : h("tr", {}, h("td", { colspan: keys.length }, empty))));
}

/**
 * Where a section shows credentials once, drawn by *draw(answer)*. `area()` makes the place (call it on each
 * drawing of the section; its `reveal(answer)` shows them now and focuses them); `later(answer)` keeps an
 * answer for the section's next drawing (after something was added and the section reloads), then forgets it.
 */
export function revealer(draw) {
  let pending = null;
  return {
    later(answer) { pending = answer; },
    area() {
      const node = h("div");
      node.reveal = (answer) => { node.replaceChildren(draw(answer)); node.querySelector(".secret")?.focus(); };
      if (pending) node.replaceChildren(draw(pending));
      pending = null;
      return node;
    },
  };
}
