// Building DOM nodes without ever parsing HTML: customer data, chat and email text are untrusted,
// so every string becomes a text node (textContent), never markup (no innerHTML anywhere).

/**
 * Create an element: h("button", {class: "btn", onclick: fn, "aria-label": "Close"}, "×").
 * Props: class, text, dataset {k: v}, hidden, on<event> handlers, any other key is an attribute
 * (boolean true -> empty attribute, false/null/undefined -> left out). Children: nodes, strings,
 * numbers, arrays of those; null/false are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") {
      for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) el.dataset[k] = v;
    }
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" && "value" in el) el.value = value;
    else if (key === "checked" || key === "selected" || key === "disabled") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/** Append children (nodes, strings, arrays) to el; strings become text nodes. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace all children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** document.getElementById that fails loudly when the page lacks the element. */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/** Announce a short message to screen readers (and show it in the status line). */
export function announce(message) {
  const live = document.getElementById("announcer");
  if (!live) return;
  live.textContent = "";
  // A new text node in a cleared region is read even when the text repeats.
  requestAnimationFrame(() => { live.textContent = message; });
}

/** True when a keyboard event comes from a place where letters are typed (shortcuts stay quiet). */
export function typingIn(event) {
  const t = event.target;
  if (!(t instanceof HTMLElement)) return false;
  return t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName);
}
