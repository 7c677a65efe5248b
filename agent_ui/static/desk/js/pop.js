// The screen pop card: who the customer is (or who they might be), their source sections side by
// side, suggestions and their recent contacts on every channel.

import { api, errorText } from "./api.js";
import { identityKind } from "./channels.js";
import { announce, h, replace } from "./dom.js";
import { CHANNEL_NAME, ago, dateTime, dispositionName, duration, label, statusName, subjectText } from "./format.js";
import { channelIcon } from "./icons.js";
import { renderSection } from "./sections.js";
import { taskNote } from "./tasks.js";
import { languageName, t } from "/ui/i18n/i18n.js";

const HISTORY_SOURCES = new Set(["sales", "accounting"]);

function initials(name) {
  const parts = String(name || "?").trim().split(/\s+/);
  return (parts[0][0] + (parts.length > 1 ? parts[parts.length - 1][0] : "")).toUpperCase();
}

export class PopView {
  /**
   * @param {object} o
   * @param {HTMLElement} o.root where the card goes
   * @param {(frame: object) => void} o.send sends an agent websocket frame
   * @param {(id: number) => void} o.openConversation opens a timeline entry
   */
  constructor({ root, send, openConversation }) {
    this.root = root;
    this.send = send;
    this.openConversation = openConversation;
    this.pops = new Map(); // conversation id -> latest pop frame (sections merged)
    this.current = null;
    this.callState = new Map(); // conversation id -> {state, since}
    this.shown = null; // () => void: draws what is on screen again (after a language switch)
  }

  /** The UI language changed: draw the card again from the data held. */
  relabel() {
    if (this.shown) this.shown();
  }

  has(conversationId) {
    return this.pops.has(conversationId);
  }

  /** A full screen_pop frame: remember it and show it. */
  show(pop) {
    if (pop.call_id && !this.callState.has(pop.conversation_id)) {
      this.callState.set(pop.conversation_id, { state: "talking", since: Date.now() });
    }
    this.pops.set(pop.conversation_id, pop);
    this.render(pop.conversation_id);
    this.announceWho(pop);
  }

  /**
   * The panel of a conversation opened from the inbox or after a reload (GET .../pop): shown
   * without an announcement; a call's badge follows the conversation's status.
   */
  showRequested(pop, conversation) {
    if (pop.call_id && !this.callState.has(pop.conversation_id)) {
      const over = ["wrap_up", "closed"].includes(conversation.status);
      const since = Date.parse(conversation.created_at) || Date.now();
      this.callState.set(pop.conversation_id, over
        ? { state: "ended", since, ended: Date.parse(conversation.updated_at) || Date.now() }
        : { state: "talking", since });
    }
    this.pops.set(pop.conversation_id, pop);
    this.render(pop.conversation_id);
  }

  announceWho(pop) {
    const who = pop.customer ? pop.customer.display_name
      : pop.candidates && pop.candidates.length ? t("pop.possible_customers", { count: pop.candidates.length }) : t("pop.unknown_contact");
    announce(t("pop.announce", { who }));
  }

  /** A screen_pop_section follow-up: replace that one section in place. */
  updateSection(frame) {
    const pop = this.pops.get(frame.conversation_id);
    if (!pop) return;
    pop.sections = { ...pop.sections, [frame.name]: frame.section };
    if (frame.suggestions) pop.suggestions = frame.suggestions;
    if (this.current !== frame.conversation_id) return;
    const el = this.root.querySelector(`.pop-section[data-section="${CSS.escape(frame.name)}"]`);
    if (el) renderSection(frame.name, frame.section, this.ctx(pop), el);
    if (frame.suggestions) this.renderSuggestions(pop);
  }

  /** call_ended: mark the call as ended in the card (the pop stays for notes and wrap-up). */
  callEnded(frame) {
    const state = this.callState.get(frame.conversation_id);
    const since = state ? state.since : Date.now();
    this.callState.set(frame.conversation_id, {
      state: frame.missed ? "missed" : "ended", since, ended: Date.now(),
    });
    if (this.current === frame.conversation_id) this.renderCallBadge(this.pops.get(frame.conversation_id));
  }

  clear() {
    this.current = null;
    this.shown = null;
    replace(this.root);
  }

  ctx(pop) {
    const customerId = pop.customer ? pop.customer.id : null;
    return {
      customerId,
      hasHistory: (name) => HISTORY_SOURCES.has(name),
      loadHistory: async (name) => {
        const data = await api(`/api/v1/customers/${customerId}/sources/${encodeURIComponent(name)}/history`);
        return data.section;
      },
    };
  }

  render(conversationId) {
    const pop = this.pops.get(conversationId);
    if (!pop) return this.clear();
    this.current = conversationId;
    this.shown = () => this.render(conversationId);
    const card = h("article", { class: "pop card", "aria-labelledby": "pop-title", dataset: { conversationId } },
      this.head(pop),
      pop.customer ? null : this.identify(pop),
      pop.customer ? this.sections(pop) : null,
      h("div", { class: "pop-lower" },
        h("section", { class: "suggestions", "aria-labelledby": "suggestions-title" },
          h("h3", { id: "suggestions-title" }, t("pop.suggestions")), h("div", { class: "suggestions-body" })),
        this.timeline(pop)));
    replace(this.root, card);
    this.renderSuggestions(pop);
    this.renderCallBadge(pop);
  }

  head(pop) {
    const c = pop.customer;
    const contact = pop.contact || {};
    const name = c ? c.display_name : pop.candidates && pop.candidates.length ? t("pop.who_is_this") : t("pop.unknown_title");
    return h("header", { class: "pop-head" },
      h("div", { class: ["avatar", c ? "" : "unknown"], "aria-hidden": "true" }, c ? initials(c.display_name) : "?"),
      h("div", { class: "who" },
        h("h2", { id: "pop-title", dir: c ? "auto" : null }, name),
        c ? h("p", { class: "muted" }, [c.company ? h("bdi", { dir: "auto" }, c.company) : null,
          c.external_key ? t("pop.customer_key", { key: c.external_key }) : t("pop.customer_id", { id: c.id }),
          c.language ? t("pop.speaks", { language: languageName(c.language) }) : null].filter(Boolean)
          .flatMap((p, i) => (i ? [" · ", p] : [p]))) : null,
        c && c.identities && c.identities.length
          ? h("ul", { class: "identities", "aria-label": t("pop.identities") },
            c.identities.map((i) => h("li", { class: "chip" },
              channelIcon(i.kind, { size: 13 }), " ", h("bdi", { dir: i.kind === "email" || i.kind === "phone" ? "ltr" : "auto" }, i.value),
              i.label ? h("span", { class: "muted", dir: "auto" }, ` (${i.label})`) : null)))
          : null),
      h("div", { class: "pop-contact" },
        h("span", { class: `channel-badge ch-${contact.channel}` },
          channelIcon(contact.channel, { size: 14 }), " ", CHANNEL_NAME[contact.channel] || label(contact.channel)),
        contact.address ? h("span", { class: "contact-address", dir: "ltr" }, contact.address)
          : h("span", { class: "contact-address" }, t("pop.no_address")),
        pop.call_id ? h("span", { class: "call-badge", id: "call-badge" }) : null));
  }

  renderCallBadge(pop) {
    const badge = this.root.querySelector("#call-badge");
    if (!badge || !pop) return;
    const st = this.callState.get(pop.conversation_id) || { state: "talking", since: Date.now() };
    badge.dataset.state = st.state;
    const seconds = ((st.ended || Date.now()) - st.since) / 1000;
    badge.textContent = st.state === "talking" ? t("pop.call.talking", { time: duration(seconds) })
      : st.state === "missed" ? t("pop.call.missed") : t("pop.call.ended", { time: duration(seconds) });
  }

  /** Called every second: call timers and section ages. */
  tick() {
    if (this.current !== null) this.renderCallBadge(this.pops.get(this.current));
  }

  sections(pop) {
    const names = Object.keys(pop.sections || {});
    if (!names.length) {
      return h("p", { class: "muted" }, t("pop.no_sources"));
    }
    const ctx = this.ctx(pop);
    return h("div", { class: "pop-sections" }, names.map((n) => renderSection(n, pop.sections[n], ctx)));
  }

  identify(pop) {
    const box = h("section", { class: "identify", "aria-labelledby": "identify-title" });
    const candidates = pop.candidates || [];
    const address = (pop.contact || {}).address;
    box.append(h("h3", { id: "identify-title" },
      candidates.length
        ? address ? t("pop.identify.shared", { count: candidates.length, address }) : t("pop.identify.shared_contact", { count: candidates.length })
        : address ? t("pop.identify.unknown", { address }) : t("pop.identify.unknown_contact")));
    if (candidates.length) {
      box.append(h("ul", { class: "candidates" }, candidates.map((cand) => h("li", {},
        h("button", {
          type: "button", class: "candidate",
          onclick: () => this.send({ type: "pick_customer", conversation_id: pop.conversation_id, customer_id: cand.customer_id }),
        },
        h("strong", { dir: "auto" }, cand.display_name),
        h("span", { class: "muted" }, [cand.company ? h("bdi", { dir: "auto" }, cand.company) : null,
          cand.label ? h("bdi", { dir: "auto" }, cand.label) : null, t("pop.candidate.contacts", { count: cand.contacts ?? 0 }),
          cand.last_contact_at ? t("pop.candidate.last", { when: ago(cand.last_contact_at) }) : null].filter(Boolean)
          .flatMap((p, i) => (i ? [" · ", p] : [p]))))))));
    }
    box.append(h("div", { class: "identify-forms" }, this.createForm(pop), this.linkForm(pop)));
    return box;
  }

  createForm(pop) {
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const name = h("input", { id: "new-customer-name", name: "display_name", required: true, autocomplete: "off", dir: "auto" });
    const company = h("input", { id: "new-customer-company", name: "company", autocomplete: "off", dir: "auto" });
    const form = h("form", { class: "create-customer", "aria-label": t("pop.create.label") },
      h("h4", {}, t("pop.create.title")),
      error,
      h("div", { class: "field-row" },
        h("div", { class: "field" }, h("label", { for: "new-customer-name" }, t("pop.create.name")), name),
        h("div", { class: "field" }, h("label", { for: "new-customer-company" }, t("pop.create.company")), company)),
      h("button", { type: "submit", class: "btn primary" }, t("pop.create.submit")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      try {
        await api("/api/v1/customers", {
          method: "POST",
          body: { display_name: name.value.trim(), company: company.value.trim() || undefined, conversation_id: pop.conversation_id },
        });
        announce(t("pop.create.done"));
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
        (err.field === "company" ? company : name).focus();
      }
    });
    return form;
  }

  /**
   * Link the contact to an existing customer found by what the agent sees: the customer number
   * ("C00001472"), a phone number in any format, an email address or a name (GET /api/v1/search).
   */
  linkForm(pop) {
    const error = h("p", { class: "form-error", role: "alert", hidden: true });
    const query = h("input", { id: "link-customer-query", name: "q", required: true, autocomplete: "off", type: "search", dir: "auto" });
    const results = h("ul", { class: "candidates link-results", "aria-label": t("pop.link.results"), "aria-live": "polite" });
    const contact = pop.contact || {};
    const link = async (customer) => {
      error.hidden = true;
      try {
        await api(`/api/v1/customers/${customer.id}/identities`, {
          method: "POST",
          body: { kind: identityKind(contact.channel, contact.address), value: contact.address, conversation_id: pop.conversation_id },
        });
        announce(t("pop.link.done"));
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
        query.focus();
      }
    };
    const form = h("form", { class: "link-customer", "aria-label": t("pop.link.label") },
      h("h4", {}, t("pop.link.title")),
      error,
      h("div", { class: "field" }, h("label", { for: "link-customer-query" }, t("pop.link.query")), query),
      h("button", { type: "submit", class: "btn" }, t("pop.link.find")),
      results);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.hidden = true;
      replace(results);
      try {
        const found = await api("/api/v1/search", { query: { q: query.value.trim(), kind: "customers", limit: 10 } });
        if (!found.customers.length) {
          replace(results, h("li", { class: "muted" }, t("pop.link.none")));
          return;
        }
        replace(results, found.customers.map((c) => h("li", {},
          h("button", { type: "button", class: "candidate", onclick: () => link(c) },
            h("strong", { dir: "auto" }, c.display_name),
            h("span", { class: "muted" }, [c.company ? h("bdi", { dir: "auto" }, c.company) : null,
              c.external_key ? t("pop.customer_key", { key: c.external_key }) : null,
              ...(c.identities || []).slice(0, 2).map((i) => h("bdi", { dir: "ltr" }, i.value))].filter(Boolean)
              .flatMap((p, i) => (i ? [" · ", p] : [p]))),
            h("span", { class: "link-action" },
              contact.address ? t("pop.link.submit", { address: contact.address }) : t("pop.link.submit_contact"))))));
        results.querySelector("button").focus();
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
        query.focus();
      }
    });
    return form;
  }

  renderSuggestions(pop) {
    const body = this.root.querySelector(".suggestions-body");
    if (!body) return;
    const items = pop.suggestions || [];
    if (!items.length) {
      replace(body, h("p", { class: "muted" }, pop.customer ? t("pop.suggestions.none") : t("pop.suggestions.identify")));
      return;
    }
    replace(body, h("ul", { class: "suggestion-list" }, items.map((s) => h("li", {},
      h("strong", { dir: "auto" }, s.product),
      s.because && s.because.length ? [" ", h("span", { class: "muted" }, t("pop.suggestions.because", { products: s.because.join(", ") }))]
        : null))));
  }

  timeline(pop) {
    const items = pop.timeline || [];
    const section = h("section", { class: "timeline", "aria-labelledby": "timeline-title" },
      h("h3", { id: "timeline-title" }, t("pop.timeline")),
      items.length
        ? h("ol", { class: "timeline-list" }, items.map((entry) => h("li", {},
          h("button", { type: "button", class: "timeline-item", onclick: () => this.openConversation(entry.conversation_id) },
            h("span", { class: `ch-icon ch-${entry.channel}` }, channelIcon(entry.channel, { label: CHANNEL_NAME[entry.channel] || entry.channel })),
            h("span", { class: "tl-main" },
              entry.subject ? h("span", { class: "tl-subject", dir: "auto" }, subjectText(entry.subject))
                : h("span", { class: "tl-subject" }, CHANNEL_NAME[entry.channel] || entry.channel, " ", h("bdi", { dir: "ltr" }, entry.contact_address || "")),
              h("span", { class: "muted" }, [dateTime(entry.created_at), label(entry.department),
                taskNote(entry.task) || (entry.disposition ? dispositionName(entry.disposition) : statusName(entry.status))]
                .filter(Boolean).join(" · ")))))))
        : h("p", { class: "muted" }, t("pop.timeline.none")));
    if (pop.customer) {
      section.append(h("button", { type: "button", class: "btn subtle small", id: "timeline-full",
        onclick: () => this.fullTimeline(pop.customer.id, section) }, t("pop.timeline.full")));
    }
    return section;
  }

  /** The customer's whole timeline (calls, mails, chats, messages, notes, callbacks and follow-ups with
   * their outcomes) in place of the recent contacts. */
  async fullTimeline(customerId, section) {
    let items;
    try {
      ({ items } = await api(`/api/v1/customers/${customerId}/timeline`));
    } catch (err) {
      announce(errorText(err));
      return;
    }
    const line = (item) => {
      const channel = CHANNEL_NAME[item.channel] || item.channel;
      if (item.type === "note") {
        return [h("span", { class: "tl-subject" }, t("pop.timeline.note", { author: item.author_name || "" })),
          h("span", { class: "tl-text", dir: "auto" }, item.text)];
      }
      if (item.type === "task") {
        const what = item.kind === "callback" ? t("channel.callback") : t("task.follow_up.title");
        return [h("span", { class: "tl-subject" }, what, " ", h("bdi", { dir: "ltr" }, item.number || "")),
          h("span", { class: "muted" }, [taskNote(item), item.note].filter(Boolean).join(" · "))];
      }
      return [item.subject ? h("span", { class: "tl-subject", dir: "auto" }, subjectText(item.subject))
        : h("span", { class: "tl-subject" }, channel, " ", h("bdi", { dir: "ltr" }, item.contact_address || "")),
      h("span", { class: "muted" }, [label(item.department),
        taskNote(item.task) || (item.disposition ? dispositionName(item.disposition) : statusName(item.status))]
        .filter(Boolean).join(" · "))];
    };
    replace(section, h("h3", { id: "timeline-title" }, t("pop.timeline.full")),
      items.length ? h("ol", { class: "timeline-list full" }, items.map((item) => h("li", { dataset: { type: item.type } },
        h("button", { type: "button", class: "timeline-item", onclick: () => this.openConversation(item.conversation_id) },
          h("span", { class: `ch-icon ch-${item.channel}` }, channelIcon(item.channel, { label: CHANNEL_NAME[item.channel] || item.channel })),
          h("span", { class: "tl-main" }, line(item), h("time", { class: "muted", datetime: item.at }, dateTime(item.at)))))))
        : h("p", { class: "muted" }, t("pop.timeline.none")));
  }
}
