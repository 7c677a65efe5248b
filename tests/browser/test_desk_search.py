"""Server-side search in Chromium: accents, customer numbers, and linking a caller by what the agent sees.

One app serves the whole module (the tests use separate agents and customers).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from contact_center import keys
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import JONAS, MARIA, SERVICE_LINE, AppThread, World, served_world


@pytest.fixture(scope="module")
def search_world(app_thread: AppThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The app with the browser organisation, plus Anna Zielińska, who wrote to sales."""
    with served_world(app_thread, tmp_path_factory.mktemp("search")) as world:

        async def anna() -> None:
            await world.app[keys.CUSTOMERS].create("Anna Zielińska", company="Młyn", external_key="K-20001",
                                                   identities=[("email", "anna@mlyn.example", None)])
            await world.app[INBOX].receive([InboundMessage(
                channel="email", external_id="<anna-1@mlyn.example>", identity=("email", "anna@mlyn.example"),
                sender="anna@mlyn.example", department="sales", subject="Grinder invoice",
                body_text="The grinder invoice looks wrong.")])

        app_thread.call(anna())
        yield world


def test_search_finds_zielinska_without_accents_and_a_customer_number(
    search_world: World, new_page: PageFactory,
) -> None:
    """Typing "Zielinska" finds Zielińska and her email; a customer number finds its customer,
    whose conversations the list then shows."""
    page = new_page(search_world.url)
    login(page, "agent_sales_1")
    page.keyboard.press("/")
    search = page.get_by_label("Search conversations")
    search.fill("Zielinska")
    hits = page.locator("#inbox-customers .customer-hit")
    expect(hits).to_have_count(1)
    expect(hits).to_contain_text("Anna Zielińska")
    expect(page.locator("#inbox-list .conv-item")).to_have_count(1)
    expect(page.locator("#inbox-list .conv-item")).to_contain_text("Grinder invoice")
    screenshot(page, "desk-search", docs=True)

    search.fill("grinder looks wrong")
    expect(page.locator("#inbox-customers")).to_be_hidden()
    expect(page.locator("#inbox-list .conv-item")).to_contain_text("Anna Zielińska")

    search.fill(MARIA["key"])
    expect(hits).to_have_count(1)
    expect(hits).to_contain_text(MARIA["name"])
    hits.first.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".customer-filter")).to_contain_text(f"Customer: {MARIA['name']}")
    expect(search).to_have_value("")
    page.get_by_label("Status", exact=True).select_option("")
    expect(page.locator("#inbox-list .conv-item")).to_have_count(1)  # the sales chat; her other contacts are elsewhere
    page.get_by_role("button", name="Show all customers again").click()
    expect(page.locator(".customer-filter")).to_be_hidden()


def test_an_unknown_caller_is_linked_by_customer_number(search_world: World, new_page: PageFactory) -> None:
    """The link form finds the customer by the number the agent is told ("K-10077") and links the caller."""
    page = new_page(search_world.url)
    login(page, "agent_service_2")
    search_world.cti("newCall", callId="link-1", to=SERVICE_LINE, direction="in", user=["agent_service_2"],
                     **{"from": "0171 5550444"})
    search_world.cti("answer", callId="link-1", answeringNumber="222")
    expect(page.locator("#pop-title")).to_have_text("Unknown contact")
    page.get_by_label("Customer number, phone, email or name").fill(JONAS["key"])
    page.get_by_role("button", name="Find", exact=True).click()
    candidate = page.locator(".link-results .candidate")
    expect(candidate).to_have_count(1)
    expect(candidate).to_contain_text(JONAS["name"])
    expect(candidate).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#pop-title")).to_have_text(JONAS["name"])
    expect(page.locator(".identities")).to_contain_text("+491715550444")
