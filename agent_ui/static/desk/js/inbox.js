// The unified inbox: conversations on every channel, filtered by channel, status and owner.
// The search box asks the server (GET /api/v1/search: names with any accents, customer numbers,
// companies, phone numbers in any format, email addresses, subjects, message and note text);
// a customer it finds filters the list to their conversations. J/K (or the arrow keys) move through it.

import { api, errorText } from "./api.js";
import { channelList, isMessaging, isVoice } from "./channels.js";
import { h, replace } from "./dom.js";
import { CHANNEL_NAME, ago, label, statusName, subjectText } from "./format.js";
import { channelIcon, icon } from "./icons.js";
import { applyTranslations, t } from "/ui/i18n/i18n.js";

// The filter's words where they differ from the channel's name ("Calls" for the channel "Call").
const CHANNEL_FILTER_KEYS = { call: "inbox.channel.call" };
const STATUSES = [["open", "inbox.status.open"], ["queued", "status.queued"], ["offered", "status.offered"],
  ["assigned", "status.assigned"], ["wrap_up", "status.wrap_up"], ["pending", "status.pending"], ["closed", "status.closed"],
  ["", "inbox.status.all"]];
const REFRESH_MS = 15_000;
const SEARCH_DELAY_MS = 250;
const SEARCH_MIN_CHARS = 2;
const SEARCH_PAGE = 50;

/** The second line of a list entry: chats show what was said last, emails their subject. */
function subjectLine(c) {
  if (isMessaging(c.channel) && c.preview) return h("span", { class: "conv-subject", dir: "auto" }, c.preview);
  if (c.subject) return h("span", { class: "conv-subject", dir: "auto" }, subjectText(c.subject));
  if (isVoice(c.channel)) {
    return h("span", { class: "conv-subject" }, CHANNEL_NAME[c.channel], " ", h("bdi", { dir: "ltr" }, c.contact_address || ""));
  }
  return c.preview ? h("span", { class: "conv-subject", dir: "auto" }, c.preview) : h("span", { class: "conv-subject" }, t("inbox.no_subject"));
}

export class Inbox {
  /**
   * @param {HTMLElement} root
   * @param {(id: number) => void} open opens a conversation in the workspace
   */
  constructor(root, open) {
    this.root = root;
    this.open = open;
    this.filter = { channel: "", status: "open", mine: false, q: "", customer: null };
    this.found = null; // server search results while a query is typed: {customers, conversations, total}
    this.items = [];
    this.unread = new Set();
    this.activeId = null;
    this.loading = null;
    this.build();
  }

  build() {
    this.search = h("input", {
      id: "inbox-search", type: "search", "data-i18n-attr": "placeholder:inbox.search.placeholder", autocomplete: "off", dir: "auto",
      "aria-keyshortcuts": "/", "aria-controls": "inbox-list",
      oninput: () => this.queryChanged(),
    });
    this.customerHits = h("ul", {
      id: "inbox-customers", class: "customer-hits", "data-i18n-attr": "aria-label:inbox.search.customers", hidden: true,
    });
    this.customerChip = h("div", { class: "customer-filter", hidden: true });
    const filters = [["", null], ...channelList().map((c) => [c.name, CHANNEL_FILTER_KEYS[c.name] || null])];
    this.channelButtons = filters.map(([value, key]) => h("button", {
      type: "button", class: "seg", "aria-pressed": String(value === this.filter.channel), dataset: { channel: value },
      onclick: () => { this.filter.channel = value; this.syncButtons(); this.filtersChanged(); },
    }, value ? channelIcon(value, { size: 14 }) : null, h("span", { class: "seg-text", dataset: { channelName: value } })));
    this.status = h("select", { id: "inbox-status", onchange: () => { this.filter.status = this.status.value; this.filtersChanged(); } },
      STATUSES.map(([value, key]) => h("option", { value, "data-i18n": key })));
    this.status.value = this.filter.status;
    this.mine = h("input", { id: "inbox-mine", type: "checkbox", onchange: () => { this.filter.mine = this.mine.checked; this.refresh(); } });
    this.list = h("ul", { id: "inbox-list", class: "conv-list", "data-i18n-attr": "aria-label:inbox.list" });
    this.list.addEventListener("keydown", (e) => this.listKey(e));
    this.count = h("p", { class: "inbox-count muted", "aria-live": "polite" });
    this.error = h("p", { class: "form-error", role: "alert", hidden: true });
    replace(this.root,
      h("div", { class: "inbox-head" },
        h("h2", { id: "inbox-title", "data-i18n": "inbox.title" }),
        h("button", {
          type: "button", class: "btn icon", "data-i18n-attr": "title:inbox.refresh;aria-label:inbox.refresh_label",
          onclick: () => this.refresh(),
        }, icon("refresh"))),
      h("div", { class: "filters" },
        h("label", { for: "inbox-search", class: "sr-only", "data-i18n": "inbox.search.label" }),
        h("div", { class: "search-wrap" }, this.search, h("kbd", { class: "search-key", "aria-hidden": "true" }, "/")),
        h("div", { class: "segmented", role: "group", "data-i18n-attr": "aria-label:inbox.channel.label" }, this.channelButtons),
        h("div", { class: "filter-row" },
          h("label", { for: "inbox-status", "data-i18n": "inbox.status.label" }), this.status,
          h("label", { class: "check" }, this.mine, " ", h("span", { "data-i18n": "inbox.mine" }))),
        this.customerChip),
      this.error, this.customerHits, this.list, this.count);
    this.relabel();
  }

  /** The static words of the inbox in the UI language (also after a language switch). */
  relabel() {
    applyTranslations(this.root.querySelector(".inbox-head"));
    applyTranslations(this.root.querySelector(".filters"));
    applyTranslations(this.customerHits);
    for (const span of this.root.querySelectorAll(".seg-text")) {
      const name = span.dataset.channelName;
      span.textContent = !name ? t("inbox.channel.all") : CHANNEL_FILTER_KEYS[name] ? t(CHANNEL_FILTER_KEYS[name]) : CHANNEL_NAME[name];
    }
    if (this.filter.customer) this.renderCustomerChip(this.filter.customer);
  }

  syncButtons() {
    for (const b of this.channelButtons) b.setAttribute("aria-pressed", String(b.dataset.channel === this.filter.channel));
  }

  focusSearch() {
    this.search.focus();
    this.search.select();
  }

  filtersChanged() {
    if (this.found) this.runSearch(0);
    else this.refresh();
  }

  /** The search box changed: ask the server after a short pause (or go back to the plain list). */
  queryChanged() {
    this.filter.q = this.search.value.trim();
    clearTimeout(this.searchTimer);
    if (this.filter.q.replace(/[^\p{L}\p{N}]/gu, "").length < SEARCH_MIN_CHARS) {
      this.found = null;
      this.render();
      return;
    }
    this.searchTimer = setTimeout(() => this.runSearch(0), SEARCH_DELAY_MS);
  }

  async runSearch(offset) {
    const q = this.filter.q;
    const f = this.filter;
    const request = api("/api/v1/search", { query: { q, offset, limit: SEARCH_PAGE, channel: f.channel, status: f.status } });
    this.searching = request;
    if (!offset) replace(this.count, t("inbox.search.searching"));
    try {
      const data = await request;
      if (this.searching !== request || this.filter.q !== q) return; // typed on since
      const before = offset && this.found ? this.found.conversations : [];
      this.found = { customers: data.customers, conversations: [...before, ...data.conversations],
        total: data.conversations_total };
      this.error.hidden = true;
      this.render();
    } catch (err) {
      if (err.status === 401) return;
      this.error.textContent = t("inbox.search.failed", { reason: errorText(err) });
      this.error.hidden = false;
    }
  }

  /** Filter the list to one customer's conversations (from a search hit), or back to all (null). */
  showCustomer(customer) {
    this.filter.customer = customer;
    if (customer) {
      this.search.value = "";
      this.filter.q = "";
      this.found = null;
      this.renderCustomerChip(customer);
    }
    this.customerChip.hidden = !customer;
    this.refresh();
  }

  renderCustomerChip(customer) {
    replace(this.customerChip, h("span", { class: "chip" }, t("inbox.search.customer_filter", { name: customer.display_name })),
      h("button", {
        type: "button", class: "btn icon", "aria-label": t("inbox.search.clear_customer"), title: t("inbox.search.clear_customer"),
        onclick: () => { this.showCustomer(null); this.search.focus(); },
      }, "×"));
  }

  async refresh() {
    const f = this.filter;
    const query = {
      channel: f.channel, status: f.status === "open" ? "" : f.status, assigned_user_id: f.mine ? "me" : "", limit: 200,
      customer_id: f.customer ? f.customer.id : "",
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
      this.error.textContent = t("inbox.load_failed", { reason: errorText(err) });
      this.error.hidden = false;
    }
  }

  startPolling() {
    clearInterval(this.poll);
    this.poll = setInterval(() => {
      if (document.hidden) return;
      if (this.found) this.runSearch(0);
      else this.refresh();
    }, REFRESH_MS);
  }

  visibleItems() {
    const f = this.filter;
    if (this.found) return this.found.conversations;
    return this.items.filter((c) => !(f.status === "open" && c.status === "closed"));
  }

  renderCustomers() {
    const hits = this.found ? this.found.customers : [];
    this.customerHits.hidden = !hits.length;
    replace(this.customerHits, hits.map((c) => h("li", {},
      h("button", { type: "button", class: "customer-hit", "aria-label": t("inbox.search.show_customer", { name: c.display_name }),
        dataset: { customerId: c.id }, onclick: () => this.showCustomer(c) },
      h("span", { class: "conv-title", dir: "auto" }, c.display_name),
      h("span", { class: "conv-meta muted" },
        [c.company ? h("bdi", { dir: "auto" }, c.company) : null, c.external_key ? t("pop.customer_key", { key: c.external_key }) : null,
          ...(c.identities || []).slice(0, 2).map((i) => h("bdi", { dir: "ltr" }, i.value))].filter(Boolean)
          .flatMap((p, i) => (i ? [" · ", p] : [p])))))));
  }

  /** Draw the list from the conversations held (also after a language switch: nothing is fetched). */
  render() {
    this.renderCustomers();
    const items = this.visibleItems();
    const focusedId = document.activeElement && document.activeElement.closest && document.activeElement.closest(".conv-item")
      ? document.activeElement.closest(".conv-item").dataset.id : null;
    replace(this.list, items.length ? items.map((c) => this.item(c)) : h("li", { class: "empty muted" }, t("inbox.empty")));
    if (this.found) {
      replace(this.count, t("inbox.search.found", { shown: items.length, total: this.found.total }),
        items.length < this.found.total
          ? [" ", h("button", { type: "button", class: "btn link", onclick: () => this.runSearch(items.length) }, t("inbox.search.more"))]
          : null);
    } else {
      this.count.textContent = t("inbox.count", { shown: items.length, total: this.items.length });
    }
    if (focusedId) {
      const again = this.list.querySelector(`.conv-item[data-id="${CSS.escape(focusedId)}"]`);
      if (again) again.focus();
    }
  }

  item(c) {
    const unread = this.unread.has(c.id);
    const title = c.customer_name || c.contact_address || t("inbox.conversation_number", { id: String(c.id) });
    return h("li", {},
      h("button", {
        type: "button", class: ["conv-item", unread ? "unread" : ""], dataset: { id: c.id, status: c.status },
        "aria-current": c.id === this.activeId ? "true" : null,
        onclick: () => this.open(c.id),
      },
      h("span", { class: `ch-icon ch-${c.channel}` }, channelIcon(c.channel, { label: CHANNEL_NAME[c.channel] || c.channel })),
      h("span", { class: "conv-main" },
        h("span", { class: "conv-title" }, h("bdi", { dir: "auto" }, title),
          unread ? h("span", { class: "dot", role: "img", "aria-label": t("inbox.unread") }) : null),
        subjectLine(c),
        h("span", { class: "conv-meta" },
          h("span", { class: `pill st-${c.status}` }, statusName(c.status)),
          c.department ? ` ${label(c.department)}` : "",
          c.owner_name ? h("span", { class: "owner" }, " · ", h("bdi", { dir: "auto" }, c.owner_name)) : "",
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
