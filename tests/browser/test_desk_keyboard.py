"""The desk by keyboard, in Chromium: skip link, shortcuts help, search, J/K, expanding sections."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, login
from tests.browser.world import ACCOUNTS_LINE, MARIA, World

AGENT, EXTENSION = "agent_account_changes_1", "241"


def test_keyboard_shortcuts_and_expanding_sections(world: World, new_page: PageFactory) -> None:
    """Tab reaches the skip link first; ?, / and J work; orders and invoices expand in place."""
    page = new_page(world.url)
    login(page, AGENT)
    expect(page.locator("#workspace")).to_be_focused()
    page.reload()  # signed in already: the desk opens directly, the skip link is the first stop
    expect(page.locator("#connection")).to_have_text("Live")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#workspace")).to_be_focused()

    world.cti("newCall", callId="kb-1", to=ACCOUNTS_LINE, direction="in", **{"from": MARIA["phone"]})
    world.cti("answer", callId="kb-1", answeringNumber=EXTENSION)
    expect(page.locator("#pop-title")).to_have_text(MARIA["name"])

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.keyboard.press("/")
    search = page.get_by_label("Search conversations")
    expect(search).to_be_focused()
    search.fill("nobody at all")
    expect(page.locator("#inbox-list")).to_have_text("No conversations match.")
    search.fill("maria")
    expect(page.locator("#inbox-list .conv-item")).to_have_count(1)
    search.press("Tab")
    page.keyboard.press("j")
    expect(page.locator("#inbox-list .conv-item[aria-current=true]")).to_contain_text(MARIA["name"])

    sales = page.locator('.pop-section[data-section="sales"]')
    more = sales.get_by_role("button", name="Show all 6 recent orders")
    more.focus()
    page.keyboard.press("Enter")
    expect(sales.locator(".orders").first.locator(".order")).to_have_count(6)
    expect(sales.get_by_role("button", name="Show fewer")).to_have_attribute("aria-expanded", "true")

    accounting = page.locator('.pop-section[data-section="accounting"]')
    accounting.get_by_role("button", name="All invoices").click()
    expect(accounting.locator(".history h4")).to_have_text("All invoices · 4")
    expect(accounting.locator(".history tbody tr")).to_have_count(4)
