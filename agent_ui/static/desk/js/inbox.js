// The unified inbox: conversations on every channel, filtered by channel, status and owner,
// searched by customer, address or subject. J/K (or the arrow keys in the list) move through it.

import { api } from "./api.js";
import { h, replace } from "./dom.js";
import { CHANNEL_NAME, ago, label } from "./format.js";
import { channelIcon, icon } from "./icons.js";

const CHANNELS = [["", "All"], ["call", "Calls"], ["email", "Email"], ["chat", "Chat"]];
const STATUSES = [["open", "Open"], ["queued", "Queued"], ["offered", "Offered"], ["assigned", "Assigned"],
  ["wrap_up", "Wrap-up"], ["closed", "Closed"], ["", "All"]];
const REFRESH_MS = 15_000;

export class Inbox {
  /**
   * @param {HTMLElement} root
   * @param {(id: number) => void} open opens a conversation in the workspace
   */
  constructor(root, open) {
    this.root = root;
    this.open = open;
    this.filter = { channel: "", status: "open", mine: false, q: "" };
    this.items = [];
    this.unread = new Set();
    this.activeId = null;
    this.loading = null;
    this.build();
  }

  build() {
    this.search = h("input", {
      id: "inbox-search", type: "search", placeholder: "Search name, address, subject", autocomplete: "off",
      "aria-keyshortcuts": "/", oninput: () => { this.filter.q = this.search.value.trim().toLowerCase(); this.render(); },
    });
    this.channelButtons = CHANNELS.map(([value, text]) => h("button", {
      type: "button", class: "seg", "aria-pressed": String(value === this.filter.channel), dataset: { channel: value },
      onclick: () => { this.filter.channel = value; this.syncButtons(); this.refresh(); },
    }, value ? channelIcon(value, { size: 14 }) : null, text));
    this.status = h("select", { id: "inbox-status", onchange: () => { this.filter.status = this.status.value; this.refresh(); } },
      STATUSES.map(([value, text]) => h("option", { value }, text)));
    this.status.value = this.filter.status;
    this.mine = h("input", { id: "inbox-mine", type: "checkbox", onchange: () => { this.filter.mine = this.mine.checked; this.refresh(); } });
    this.list = h("ul", { id: "inbox-list", class: "conv-list", "aria-label": "Conversations" });
    this.list.addEventListener("keydown", (e) => this.listKey(e));
    this.count = h("p", { class: "inbox-count muted", "aria-live": "polite" });
    this.error = h("p", { class: "form-error", role: "alert", hidden: true });
    replace(this.root,
      h("div", { class: "inbox-head" },
        h("h2", { id: "inbox-title" }, "Inbox"),
        h("button", { type: "button", class: "btn icon", title: "Refresh", "aria-label": "Refresh the inbox", onclick: () => this.refresh() }, icon("refresh"))),
      h("div", { class: "filters" },
        h("label", { for: "inbox-search", class: "sr-only" }, "Search conversations"),
        h("div", { class: "search-wrap" }, this.search, h("kbd", { class: "search-key", "aria-hidden": "true" }, "/")),
        h("div", { class: "segmented", role: "group", "aria-label": "Channel" }, this.channelButtons),
        h("div", { class: "filter-row" },
          h("label", { for: "inbox-status" }, "Status"), this.status,
          h("label", { class: "check" }, this.mine, " Mine only"))),
      this.error, this.list, this.count);
  }

  syncButtons() {
    for (const b of this.channelButtons) b.setAttribute("aria-pressed", String(b.dataset.channel === this.filter.channel));
  }

  focusSearch() {
    this.search.focus();
    this.search.select();
  }

  async refresh() {
    const f = this.filter;
    const query = {
      channel: f.channel, status: f.status === "open" ? "" : f.status, assigned_user_id: f.mine ? "me" : "", limit: 200,
    };
    const request = api("/api/v1/conversations", { query });
    this.loading = request;
    try {
      const data = await request;
      if (this.loading !== request) return; // a newer refresh won
      this.items = data.conversations || [];
      this.error.hidden = true;
      this.render();
    } catch (err) {
      if (err.status === 401) return;
      this.error.textContent = `The inbox could not be loaded: ${err.message}`;
      this.error.hidden = false;
    }
  }

  startPolling() {
    clearInterval(this.poll);
    this.poll = setInterval(() => { if (!document.hidden) this.refresh(); }, REFRESH_MS);
  }

  visibleItems() {
    const f = this.filter;
    return this.items.filter((c) => {
      if (f.status === "open" && c.status === "closed") return false;
      if (!f.q) return true;
      return [c.customer_name, c.contact_address, c.subject, c.department, String(c.id)]
        .some((v) => v && String(v).toLowerCase().includes(f.q));
    });
  }

  render() {
    const items = this.visibleItems();
    const focusedId = document.activeElement && document.activeElement.closest && document.activeElement.closest(".conv-item")
      ? document.activeElement.closest(".conv-item").dataset.id : null;
    replace(this.list, items.length ? items.map((c) => this.item(c)) : h("li", { class: "empty muted" }, "No conversations match."));
    this.count.textContent = `${items.length} of ${this.items.length} conversation${this.items.length === 1 ? "" : "s"}`;
    if (focusedId) {
      const again = this.list.querySelector(`.conv-item[data-id="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
    }
  }

  item(c) {
    const unread = this.unread.has(c.id);
    const title = c.customer_name || c.contact_address || `Conversation ${c.id}`;
    return h("li", {},
      h("button", {
        type: "button", class: ["conv-item", unread ? "unread" : ""], dataset: { id: c.id, status: c.status },
        "aria-current": c.id === this.activeId ? "true" : null,
        onclick: () => this.open(c.id),
      },
      h("span", { class: `ch-icon ch-${c.channel}` }, channelIcon(c.channel, { label: CHANNEL_NAME[c.channel] || c.channel })),
      h("span", { class: "conv-main" },
        h("span", { class: "conv-title" }, title, unread ? h("span", { class: "dot", "aria-label": "new messages" }) : null),
        h("span", { class: "conv-subject" }, c.subject || (c.channel === "call" ? `Call ${c.contact_address || ""}` : "(no subject)")),
        h("span", { class: "conv-meta" },
          h("span", { class: `pill st-${c.status}` }, label(c.status)),
          c.department ? ` ${label(c.department)}` : "",
          h("span", { class: "age", "data-at": c.updated_at || c.created_at }, ago(c.updated_at || c.created_at))))));
  }

  setActive(id) {
    this.activeId = id;
    this.unread.delete(id);
    for (const b of this.list.querySelectorAll(".conv-item")) {
      if (Number(b.dataset.id) === id) {
        b.setAttribute("aria-current", "true");
        b.classList.remove("unread");
      } else b.removeAttribute("aria-current");
    }
  }

  /** A message arrived on a conversation: mark it unread unless it is open, and refresh. */
  messageArrived(conversationId) {
    if (conversationId !== this.activeId) this.unread.add(conversationId);
    this.refresh();
  }

  listKey(event) {
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const buttons = [...this.list.querySelectorAll(".conv-item")];
    if (!buttons.length) return;
    const i = buttons.indexOf(document.activeElement);
    const next = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: buttons.length - 1 }[event.key];
    buttons[Math.max(0, Math.min(buttons.length - 1, next))].focus();
    event.preventDefault();
  }

  /** J/K: open the next/previous conversation. */
  step(delta) {
    const items = this.visibleItems();
    if (!items.length) return;
    const i = items.findIndex((c) => c.id === this.activeId);
    const next = items[Math.max(0, Math.min(items.length - 1, i < 0 ? 0 : i + delta))];
    this.open(next.id);
    const b = this.list.querySelector(`.conv-item[data-id="${next.id}"]`);
    if (b) b.scrollIntoView({ block: "nearest" });
  }
}
