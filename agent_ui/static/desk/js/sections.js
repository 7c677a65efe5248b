// The screen pop's source sections: each renders its own data and shows its own status and age.
// Known sources (sales, accounting, credit) get a tailored view; any other source a generic one.

import { h, replace } from "./dom.js";
import { ago, day, label, money } from "./format.js";

const STATUS_TEXT = {
  ok: "Loaded",
  loading: "Loading…",
  timeout: "Slow source — still loading",
  unavailable: "Unavailable",
  no_record: "No record",
};
// "No record" is a neutral answer (a new customer, a chat visitor): nothing failed.
const NO_RECORD_TEXT = (title) => `No record for this customer in ${title}.`;

/** The status line of a section: a pill plus the age of the data ("fetched 3 s ago"). */
export function statusLine(section) {
  const status = section.status || "loading";
  return h("p", { class: "section-status", "data-status": status },
    h("span", { class: `pill status-${status}` }, STATUS_TEXT[status] || label(status)),
    section.fetched_at && status === "ok"
      ? h("span", { class: "age", "data-at": section.fetched_at, title: section.fetched_at }, ago(section.fetched_at))
      : null);
}

/**
 * Render one section into a <section> element (created when `el` is null).
 * `ctx` = {customerId, loadHistory(name) -> Promise<section>} for the "full history" buttons.
 */
export function renderSection(name, section, ctx, el = null) {
  const target = el || h("section", { class: "pop-section", dataset: { section: name } });
  const status = section.status || "loading";
  target.dataset.status = status;
  target.setAttribute("aria-busy", String(status === "loading" || status === "timeout"));
  const headingId = `section-${name}-title`;
  target.setAttribute("aria-labelledby", headingId);
  replace(target,
    h("header", { class: "section-head" },
      h("h3", { id: headingId }, section.title || label(name)),
      statusLine(section)),
    body(name, section, ctx));
  return target;
}

function body(name, section, ctx) {
  const status = section.status || "loading";
  if (status === "loading" || status === "timeout") {
    return h("div", { class: "section-body placeholder" },
      h("span", { class: "spinner", "aria-hidden": "true" }),
      status === "timeout" ? "This source is slow; its data appears here as soon as it answers." : "Loading…");
  }
  if (status === "unavailable") {
    return h("div", { class: "section-body placeholder unavailable" },
      "This source cannot be reached right now. The other sections are not affected.");
  }
  const data = section.data;
  if (status === "no_record" || data === null || data === undefined || (Array.isArray(data) && data.length === 0)) {
    return h("div", { class: "section-body empty no-record" }, NO_RECORD_TEXT(section.title || label(name)));
  }
  const view = VIEWS[name] || generic;
  return h("div", { class: "section-body" }, view(data, ctx, name));
}

// ----------------------------------------------------------------- sales: orders with their lines

/** Rows (one per order line) grouped into orders, newest first as the source sorted them. */
export function groupOrders(rows) {
  const orders = new Map();
  for (const row of rows) {
    const key = row.order_id ?? `${row.ordered_at}`;
    if (!orders.has(key)) {
      orders.set(key, { id: row.order_id, at: row.ordered_at, status: row.status, total: row.order_total, lines: [] });
    }
    orders.get(key).lines.push(row);
  }
  return [...orders.values()];
}

function orderList(orders, limit) {
  return h("ol", { class: "orders" },
    orders.slice(0, limit).map((o) => h("li", { class: "order" },
      h("div", { class: "order-head" },
        h("span", { class: "order-date" }, day(o.at)),
        h("span", { class: `pill order-${o.status}` }, label(o.status)),
        h("span", { class: "order-total" }, money(o.total))),
      h("ul", { class: "order-lines" },
        o.lines.map((l) => h("li", {},
          h("span", { class: "qty" }, `${l.qty ?? 1} ×`), " ", l.product ?? l.sku ?? "item",
          l.category ? h("span", { class: "muted" }, ` · ${l.category}`) : null))))));
}

function sales(rows, ctx, name) {
  if (!Array.isArray(rows) || !rows.length || !("order_id" in rows[0])) return generic(rows);
  const orders = groupOrders(rows);
  const shown = 3;
  const wrap = h("div", { class: "sales" });
  const list = h("div", {}, orderList(orders, shown));
  const more = orders.length > shown
    ? h("button", {
      type: "button", class: "btn link", "aria-expanded": "false",
      onclick: (e) => {
        const open = e.currentTarget.getAttribute("aria-expanded") === "true";
        replace(list, orderList(orders, open ? shown : orders.length));
        e.currentTarget.setAttribute("aria-expanded", String(!open));
        e.currentTarget.textContent = open ? `Show all ${orders.length} recent orders` : "Show fewer";
      },
    }, `Show all ${orders.length} recent orders`)
    : null;
  wrap.append(list);
  const actions = h("div", { class: "section-actions" }, more, historyButton(name, ctx, "Full purchase history", (section) => {
    const all = groupOrders(section.data || []);
    return h("div", { class: "history" },
      h("h4", {}, `Purchase history · ${all.length} orders`),
      orderList(all, all.length));
  }));
  wrap.append(actions);
  return wrap;
}

// ----------------------------------------------------------------- accounting: balance, overdue

function parseJsonList(value) {
  if (Array.isArray(value)) return value;
  if (typeof value !== "string") return [];
  try {
    const parsed = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

function accounting(row, ctx, name) {
  if (Array.isArray(row)) return generic(row);
  const currency = row.currency || "EUR";
  const overdue = parseJsonList(row.overdue_invoices);
  const overdueAmount = Number(row.overdue_amount || 0);
  const balance = Number(row.balance || 0);
  return h("div", { class: "accounting" },
    h("dl", { class: "figures" },
      h("div", { class: balance > 0 ? "figure owed" : "figure" },
        h("dt", {}, "Balance"), h("dd", { class: "big" }, money(row.balance, currency))),
      h("div", { class: overdueAmount > 0 ? "figure breach" : "figure" },
        h("dt", {}, "Overdue"),
        h("dd", { class: "big" }, money(overdueAmount, currency)),
        h("dd", { class: "muted" }, `${row.overdue_count ?? overdue.length} invoice${Number(row.overdue_count) === 1 ? "" : "s"}`))),
    overdue.length
      ? h("table", { class: "mini" },
        h("caption", { class: "sr-only" }, "Overdue invoices"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Invoice"), h("th", { scope: "col" }, "Due"),
          h("th", { scope: "col", class: "num" }, "Open"))),
        h("tbody", {}, overdue.map((inv) => h("tr", {},
          h("td", {}, inv.number), h("td", {}, day(inv.due_at)),
          h("td", { class: "num" }, money(inv.open_amount ?? inv.amount, currency))))))
      : h("p", { class: "ok-note" }, "No overdue invoices."),
    h("p", { class: "muted small" }, row.last_payment_at ? `Last payment ${day(row.last_payment_at)}` : "No payments yet"),
    h("div", { class: "section-actions" }, historyButton(name, ctx, "All invoices", (section) => {
      const rows = section.data || [];
      return h("div", { class: "history" }, h("h4", {}, `All invoices · ${rows.length}`), table(rows));
    })));
}

// ----------------------------------------------------------------- credit: limit, terms, status

function credit(row) {
  if (Array.isArray(row)) return generic(row);
  const currency = row.currency || "EUR";
  const status = String(row.status || "").toLowerCase();
  return h("div", { class: "credit" },
    h("dl", { class: "figures" },
      h("div", { class: "figure" }, h("dt", {}, "Credit limit"), h("dd", { class: "big" }, money(row.credit_limit, currency))),
      h("div", { class: "figure" }, h("dt", {}, "Terms"), h("dd", { class: "big" }, row.terms || "—"))),
    h("p", {},
      "Status ", h("span", { class: `pill credit-${status}` }, label(status) || "—"),
      row.reviewed_at ? h("span", { class: "muted" }, ` · reviewed ${day(row.reviewed_at)}`) : null));
}

// ----------------------------------------------------------------- anything else

function table(rows) {
  const columns = Object.keys(rows[0] || {});
  return h("div", { class: "table-wrap" }, h("table", { class: "mini" },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, label(c))))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", {}, r[c] ?? "—")))))));
}

function generic(data) {
  if (Array.isArray(data)) return table(data);
  if (typeof data === "object") {
    return h("dl", { class: "kv" }, Object.entries(data).map(([k, v]) => [h("dt", {}, label(k)), h("dd", {}, v ?? "—")]));
  }
  return h("p", {}, String(data));
}

function historyButton(name, ctx, text, render) {
  if (!ctx || !ctx.customerId || !ctx.loadHistory || !ctx.hasHistory(name)) return null;
  const region = h("div", { class: "history-region", "aria-live": "polite" });
  const button = h("button", {
    type: "button", class: "btn link", "aria-expanded": "false",
    onclick: async () => {
      if (button.getAttribute("aria-expanded") === "true") {
        replace(region);
        button.setAttribute("aria-expanded", "false");
        button.textContent = text;
        return;
      }
      button.disabled = true;
      replace(region, h("p", { class: "muted" }, h("span", { class: "spinner", "aria-hidden": "true" }), " Loading…"));
      try {
        const section = await ctx.loadHistory(name);
        replace(region, render(section));
        button.setAttribute("aria-expanded", "true");
        button.textContent = `Hide ${text.toLowerCase()}`;
      } catch (err) {
        replace(region, h("p", { class: "form-error", role: "alert" }, err.message));
      } finally {
        button.disabled = false;
      }
    },
  }, text);
  return h("div", { class: "history-box" }, button, region);
}

const VIEWS = { sales, accounting, credit };
