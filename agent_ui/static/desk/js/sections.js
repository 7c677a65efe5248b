// The screen pop's source sections: each renders its own data and shows its own status and age.
// Known sources (sales, accounting, credit) get a tailored view; any other source a generic one.

import { errorText } from "./api.js";
import { h, replace } from "./dom.js";
import { ago, day, label, money } from "./format.js";
import { formatNumber, has, t } from "/ui/i18n/i18n.js";

const STATUS_KEYS = {
  ok: "section.status.ok",
  loading: "section.status.loading",
  timeout: "section.status.timeout",
  unavailable: "section.status.unavailable",
  no_record: "section.status.no_record", // a neutral answer (a new customer, a chat visitor): nothing failed
};
// Source names, order states, credit states and column names the demo sources use have catalog
// entries (section.name.sales, order.status.shipped, credit.status.good, column.number); other
// installations' sources are shown by their section title or their code in words.
const SECTION_KEYS = { sales: "section.name.sales", accounting: "section.name.accounting", credit: "section.name.credit" };
const ORDER_STATUS_KEYS = {
  processing: "order.status.processing", shipped: "order.status.shipped", delivered: "order.status.delivered",
  cancelled: "order.status.cancelled", returned: "order.status.returned",
};
const CREDIT_STATUS_KEYS = { good: "credit.status.good", watch: "credit.status.watch", blocked: "credit.status.blocked" };
const COLUMN_KEYS = {
  number: "column.number", issued_at: "column.issued_at", due_at: "column.due_at", amount: "column.amount",
  paid_amount: "column.paid_amount", open_amount: "column.open_amount", status: "column.status",
};

function named(keys, code) {
  return keys[code] && has(keys[code]) ? t(keys[code]) : label(code);
}

/** The status line of a section: a pill plus the age of the data ("fetched 3 s ago"). */
export function statusLine(section) {
  const status = section.status || "loading";
  return h("p", { class: "section-status", "data-status": status },
    h("span", { class: `pill status-${status}` }, named(STATUS_KEYS, status)),
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
      h("h3", { id: headingId }, SECTION_KEYS[name] ? t(SECTION_KEYS[name]) : section.title || label(name)),
      statusLine(section)),
    body(name, section, ctx));
  return target;
}

function body(name, section, ctx) {
  const status = section.status || "loading";
  if (status === "loading" || status === "timeout") {
    return h("div", { class: "section-body placeholder" },
      h("span", { class: "spinner", "aria-hidden": "true" }),
      status === "timeout" ? t("section.slow") : t("section.status.loading"));
  }
  if (status === "unavailable") {
    return h("div", { class: "section-body placeholder unavailable" }, t("section.unavailable"));
  }
  const data = section.data;
  if (status === "no_record" || data === null || data === undefined || (Array.isArray(data) && data.length === 0)) {
    const source = SECTION_KEYS[name] ? t(SECTION_KEYS[name]) : section.title || label(name);
    return h("div", { class: "section-body empty no-record" }, t("section.no_record", { source }));
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
      orders.set(key, {
        id: row.order_id, at: row.ordered_at, status: row.status, total: row.order_total, currency: row.currency, lines: [],
      });
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
        h("span", { class: `pill order-${o.status}` }, named(ORDER_STATUS_KEYS, o.status)),
        h("span", { class: "order-total", dir: "ltr" }, money(o.total, o.currency))),
      h("ul", { class: "order-lines" },
        o.lines.map((l) => h("li", {},
          h("span", { class: "qty" }, `${formatNumber(l.qty ?? 1)} ×`), " ",
          l.product ?? l.sku ? h("bdi", { dir: "auto" }, l.product ?? l.sku) : t("section.sales.item"),
          l.category ? [" · ", h("bdi", { class: "muted", dir: "auto" }, l.category)] : null))))));
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
        e.currentTarget.textContent = open ? t("section.sales.show_all", { count: orders.length }) : t("section.sales.show_fewer");
      },
    }, t("section.sales.show_all", { count: orders.length }))
    : null;
  wrap.append(list);
  const actions = h("div", { class: "section-actions" }, more, historyButton(name, ctx, ["section.sales.history", "section.sales.history_hide"], (section) => {
    const all = groupOrders(section.data || []);
    return h("div", { class: "history" },
      h("h4", {}, t("section.sales.history_title", { count: all.length })),
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
  const currency = row.currency || null;
  const overdue = parseJsonList(row.overdue_invoices);
  const overdueAmount = Number(row.overdue_amount || 0);
  const balance = Number(row.balance || 0);
  return h("div", { class: "accounting" },
    h("dl", { class: "figures" },
      h("div", { class: balance > 0 ? "figure owed" : "figure" },
        h("dt", {}, t("section.accounting.balance")), h("dd", { class: "big", dir: "ltr" }, money(row.balance, currency))),
      h("div", { class: overdueAmount > 0 ? "figure breach" : "figure" },
        h("dt", {}, t("section.accounting.overdue")),
        h("dd", { class: "big", dir: "ltr" }, money(overdueAmount, currency)),
        h("dd", { class: "muted" }, t("section.accounting.invoices", { count: Number(row.overdue_count ?? overdue.length) })))),
    overdue.length
      ? h("table", { class: "mini" },
        h("caption", { class: "sr-only" }, t("section.accounting.overdue_invoices")),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("section.accounting.invoice")),
          h("th", { scope: "col" }, t("section.accounting.due")),
          h("th", { scope: "col", class: "num" }, t("section.accounting.open")))),
        h("tbody", {}, overdue.map((inv) => h("tr", {},
          h("td", { dir: "ltr" }, inv.number), h("td", {}, day(inv.due_at)),
          h("td", { class: "num", dir: "ltr" }, money(inv.open_amount ?? inv.amount, currency))))))
      : h("p", { class: "ok-note" }, t("section.accounting.none_overdue")),
    h("p", { class: "muted small" }, row.last_payment_at
      ? t("section.accounting.last_payment", { date: day(row.last_payment_at) }) : t("section.accounting.no_payments")),
    h("div", { class: "section-actions" }, historyButton(name, ctx, ["section.accounting.all_invoices", "section.accounting.all_invoices_hide"], (section) => {
      const rows = section.data || [];
      return h("div", { class: "history" }, h("h4", {}, t("section.accounting.all_invoices_title", { count: rows.length })),
        table(rows, currency));
    })));
}

// ----------------------------------------------------------------- credit: limit, terms, status

function credit(row) {
  if (Array.isArray(row)) return generic(row);
  const currency = row.currency || null;
  const status = String(row.status || "").toLowerCase();
  return h("div", { class: "credit" },
    h("dl", { class: "figures" },
      h("div", { class: "figure" }, h("dt", {}, t("section.credit.limit")),
        h("dd", { class: "big", dir: "ltr" }, money(row.credit_limit, currency))),
      h("div", { class: "figure" }, h("dt", {}, t("section.credit.terms")), h("dd", { class: "big", dir: "auto" }, row.terms || "—"))),
    h("p", {},
      t("section.credit.status"), " ", h("span", { class: `pill credit-${status}` }, named(CREDIT_STATUS_KEYS, status) || "—"),
      row.reviewed_at ? [" · ", h("span", { class: "muted" }, t("section.credit.reviewed", { date: day(row.reviewed_at) }))] : null));
}

// ----------------------------------------------------------------- anything else

// A cell of a source's table: amounts in the row's (or the section's) currency, dates in the UI
// language, text as it came (its own direction).
function cell(row, column, currency) {
  const value = row[column];
  if (value === null || value === undefined || value === "") return h("td", {}, "—");
  if (/amount$|total$|balance$|price$/.test(column) && Number.isFinite(Number(value))) {
    return h("td", { class: "num", dir: "ltr" }, money(value, row.currency || currency));
  }
  if (/_at$/.test(column)) return h("td", {}, day(value));
  if (typeof value === "number") return h("td", { class: "num" }, formatNumber(value));
  return h("td", { dir: "auto" }, String(value));
}

function table(rows, currency = null) {
  const columns = Object.keys(rows[0] || {}).filter((c) => c !== "currency");
  return h("div", { class: "table-wrap" }, h("table", { class: "mini" },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, named(COLUMN_KEYS, c))))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => cell(r, c, currency)))))));
}

function generic(data) {
  if (Array.isArray(data)) return table(data);
  if (typeof data === "object") {
    return h("dl", { class: "kv" }, Object.entries(data).map(([k, v]) => [h("dt", {}, named(COLUMN_KEYS, k)),
      h("dd", { dir: "auto" }, v ?? "—")]));
  }
  return h("p", { dir: "auto" }, String(data));
}

function historyButton(name, ctx, [key, hideKey], render) {
  if (!ctx || !ctx.customerId || !ctx.loadHistory || !ctx.hasHistory(name)) return null;
  const region = h("div", { class: "history-region", "aria-live": "polite" });
  const button = h("button", {
    type: "button", class: "btn link", "aria-expanded": "false",
    onclick: async () => {
      if (button.getAttribute("aria-expanded") === "true") {
        replace(region);
        button.setAttribute("aria-expanded", "false");
        button.textContent = t(key);
        return;
      }
      button.disabled = true;
      replace(region, h("p", { class: "muted" }, h("span", { class: "spinner", "aria-hidden": "true" }), " ", t("section.status.loading")));
      try {
        const section = await ctx.loadHistory(name);
        replace(region, render(section));
        button.setAttribute("aria-expanded", "true");
        button.textContent = t(hideKey);
      } catch (err) {
        replace(region, h("p", { class: "form-error", role: "alert" }, errorText(err)));
      } finally {
        button.disabled = false;
      }
    },
  }, t(key));
  return h("div", { class: "history-box" }, button, region);
}

const VIEWS = { sales, accounting, credit };
