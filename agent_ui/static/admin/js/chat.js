// Chat: allowed origins, topics, the department new chats go to, and the snippet for the website.
import { departmentOptions, loadConfig, saveSection } from "./config.js";
import { attempt, field, h, lines, messageBox, section, val } from "./ui.js";
import { t } from "/ui/i18n/i18n.js";

function snippets(topics) {
  const src = `${location.origin}/chat/widget.js`;
  const list = topics.length ? topics : [null];
  return list.map((topic) => `<script src="${src}"${topic ? ` data-topic="${topic}"` : ""} async></script>`).join("\n");
}

export async function render({ state }) {
  const chat = (await loadConfig()).sections.chat || {};
  const box = messageBox();
  const snippet = h("pre", { class: "snippet", tabindex: "0", "aria-label": t("admin.chat.snippet") }, snippets(chat.topics || []));
  const form = h("form", { novalidate: true, "aria-labelledby": "chat-settings" }, box,
    h("div", { class: "grid" },
      field({ name: "allowed_origins", label: t("admin.chat.origins"), rows: 3, value: (chat.allowed_origins || []).join("\n"),
      }),
      field({ name: "topics", label: t("admin.chat.topics"), rows: 3, value: (chat.topics || []).join("\n") }),
      field({ name: "department", label: t("admin.chat.department"), value: chat.department || "",
        options: departmentOptions(state.departments, t("admin.none")) })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn primary" }, t("admin.save"))));
  form.onsubmit = (event) => {
    event.preventDefault();
    const value = { ...chat, allowed_origins: lines(val(form, "allowed_origins")), topics: lines(val(form, "topics")) };
    if (val(form, "department")) value.department = val(form, "department");
    else delete value.department;
    attempt(box, form, () => saveSection("chat", value), () => {
      box.ok(t("admin.saved"));
      snippet.textContent = snippets(value.topics);
    });
  };
  return section(t("admin.chat.title"),
    h("section", { class: "panel" }, h("h3", { id: "chat-settings" }, t("admin.nav.chat")), form,
      h("p", {}, t("admin.chat.snippet")), snippet));
}
