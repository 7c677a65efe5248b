// Email HTML (already sanitised by the server) shown in a sandboxed iframe through srcdoc: no
// scripts may run in it (no allow-scripts; it also inherits the page's CSP plus its own), links
// open in a new tab, remote images stay blocked. allow-same-origin lets the desk measure the
// content's height; without allow-scripts the frame itself can do nothing with that origin.

import { h } from "./dom.js";
import { t } from "/ui/i18n/i18n.js";

const FRAME_CSP = "default-src 'none'; img-src data:; style-src 'self'";

/** An <iframe> showing `html` (never parsed into the desk's own document). */
export function emailFrame(html, title) {
  const frame = h("iframe", {
    class: "mail-frame", title, sandbox: "allow-same-origin allow-popups allow-popups-to-escape-sandbox",
    referrerpolicy: "no-referrer",
  });
  const css = new URL("/ui/desk/mail.css", location.origin).href;
  frame.srcdoc = `<!doctype html><html><head><meta charset="utf-8">`
    + `<meta http-equiv="Content-Security-Policy" content="${FRAME_CSP}">`
    + `<base target="_blank"><link rel="stylesheet" href="${css}"></head><body>${html}</body></html>`;
  const note = h("p", { class: "mail-note", hidden: true });
  const fit = () => {
    const doc = frame.contentDocument;
    if (!doc || !doc.documentElement) return;
    frame.style.height = `${Math.min(900, Math.max(40, doc.documentElement.scrollHeight + 4))}px`;
  };
  frame.addEventListener("load", () => {
    const doc = frame.contentDocument;
    const blocked = doc ? [...doc.images].filter((img) => !img.src.startsWith("data:")).length : 0;
    if (blocked) {
      note.textContent = t("mail.images_blocked", { count: blocked });
      note.hidden = false;
    }
    fit();
    setTimeout(fit, 150); // images with data: sources settle after load
  });
  return h("div", { class: "mail-body" }, frame, note);
}
