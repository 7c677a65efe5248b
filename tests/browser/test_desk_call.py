"""The agent desk in Chromium: login, a ringing call, the answer, and the screen pop."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import ACCOUNTS_LINE, MARIA, World

AGENT, EXTENSION = "agent_account_changes_1", "241"


def test_login_error_is_shown_and_announced(world: World, new_page: PageFactory) -> None:
    """A wrong password shows a clear error in an alert region and keeps the login form."""
    page = new_page(world.url)
    page.goto("/desk")
    page.get_by_label("Username").fill("agent_sales_1")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Wrong username or password.")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Password")).to_be_focused()
    screenshot(page, "login-error")


def test_call_rings_then_answer_pops_all_three_sections(world: World, new_page: PageFactory) -> None:
    """A CTI call shows the caller while ringing; the answer pops sales, accounting and credit."""
    page = new_page(world.url)
    login(page, AGENT)  # Maria calls the accounts line about her overdue invoices
    world.cti("newCall", callId="call-1", to=ACCOUNTS_LINE, direction="in", user=[AGENT],
              **{"from": "+49 30 5550123"})

    ringing = page.locator(".alert.ringing")
    expect(ringing).to_be_visible()
    expect(ringing.locator(".caller")).to_have_text(MARIA["name"])
    screenshot(page, "desk-ringing")

    world.cti("answer", callId="call-1", answeringNumber=EXTENSION, user=AGENT)
    pop = page.locator("article.pop")
    expect(pop.locator("#pop-title")).to_have_text(MARIA["name"])
    expect(ringing).to_have_count(0)
    for name in ("sales", "accounting", "credit"):
        expect(pop.locator(f'.pop-section[data-section="{name}"]')).to_have_attribute("data-status", "ok")
    sales = pop.locator('.pop-section[data-section="sales"]')
    expect(sales).to_contain_text("HomeLink R300 Wi-Fi 6 Router")
    expect(pop.locator('.pop-section[data-section="accounting"] .figure.breach')).to_contain_text("442.70")
    expect(pop.locator('.pop-section[data-section="credit"]')).to_contain_text("net 30")
    expect(pop.locator(".section-status .age").first).to_have_text(re.compile(r"^(now|\d+ seconds? ago)$"))
    expect(pop.locator(".call-badge")).to_contain_text("On call")

    sales.get_by_role("button", name="Full purchase history").click()
    expect(sales.locator(".history h4")).to_have_text("Purchase history · 6 orders")
    expect(sales.locator(".history .order")).to_have_count(6)
    sales.get_by_role("button", name="Hide full purchase history").click()
    screenshot(page, "desk-screen-pop")

    pop.locator(".timeline-item", has_text="Question about invoice INV-2025-0512").click()
    conversation = page.locator("section.conversation")
    expect(conversation.locator("#conv-title")).to_contain_text("Question about invoice INV-2025-0512")
    expect(conversation.locator(".closed-note")).to_be_visible()
    card = page.locator("article.pop")  # an old thread gets the full customer panel too
    expect(card.locator("#pop-title")).to_have_text(MARIA["name"])
    expect(card.locator('.pop-section[data-status="ok"]')).to_have_count(3)
    # Agents see their own departments' contacts: here the call that is still going on.
    expect(card.locator(".timeline-item")).to_have_count(1)
    expect(card.locator(".timeline-item")).to_contain_text("Call from +49305550123")
