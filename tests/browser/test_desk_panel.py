"""The customer panel beside every conversation, in Chromium: an email and a chat from known customers,
a new customer's neutral "no record", and the panel again after a reload. One app for the module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from contact_center import keys
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import JONAS, MARIA, AppThread, World, served_world

AGENT = "agent_sales_1"


@pytest.fixture(scope="module")
def panel_world(app_thread: AppThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The app with an email from Maria, a chat from Jonas (a known chat visitor) and an email from a
    new customer, all to sales."""
    with served_world(app_thread, tmp_path_factory.mktemp("panel")) as world:

        async def contacts() -> None:
            await world.app[keys.CUSTOMERS].link_identity(world.customers[JONAS["name"]], "chat", "visitor-jonas")
            await world.app[keys.CUSTOMERS].create("Nina Neu", identities=[("email", "nina@neu.example", None)])
            await world.app[INBOX].receive([
                InboundMessage(channel="email", external_id="<maria-9@example.org>", identity=("email", MARIA["email"]),
                               sender=MARIA["email"], department="sales", subject="Second router for the office?",
                               body_text="Do you have the RT-300 in stock?"),
                InboundMessage(channel="chat", external_id="jonas-chat-1", identity=("chat", "visitor-jonas"),
                               sender="visitor-jonas", department="sales", subject="Chat: sales",
                               body_text="Is my repair done yet?", conversation_ref="visitor-jonas-1",
                               meta={"topic": "sales"}),
                InboundMessage(channel="email", external_id="<nina-1@neu.example>",
                               identity=("email", "nina@neu.example"),
                               sender="nina@neu.example", department="sales", subject="First order",
                               body_text="I would like to order."),
            ])

        app_thread.call(contacts())
        yield world


def test_email_and_chat_from_known_customers_show_the_panel_also_after_a_reload(
    panel_world: World, new_page: PageFactory,
) -> None:
    """Opening Maria's email and Jonas's chat from the inbox shows their sources, suggestions and
    timeline; a reload brings the panel back; the chat's title shows what Jonas wrote."""
    page = new_page(panel_world.url)
    login(page, AGENT)
    chat = page.locator("#inbox-list .conv-item", has_text=JONAS["name"])
    expect(chat.locator(".conv-subject")).to_have_text("Is my repair done yet?")
    page.locator("#inbox-list .conv-item", has_text="Second router for the office?").click()
    expect(page.locator("#pop-title")).to_have_text(MARIA["name"])
    sections = page.locator(".pop-section")
    expect(sections).to_have_count(3)
    expect(page.locator('.pop-section[data-status="ok"]')).to_have_count(3)
    expect(page.locator('.pop-section[data-section="accounting"]')).to_contain_text("INV-2025-0512")
    expect(page.locator(".timeline-list li")).to_have_count(1)  # her sales chat; her other contacts went elsewhere
    page.locator("article.pop").evaluate("el => el.scrollIntoView({block: 'start'})")  # the panel, for the README
    screenshot(page, "desk-email-panel", docs=True)

    chat.click()
    expect(page.locator("#pop-title")).to_have_text(JONAS["name"])
    expect(page.locator('.pop-section[data-status="ok"]')).to_have_count(3)
    page.locator("article.pop").evaluate("el => el.scrollIntoView({block: 'start'})")
    screenshot(page, "desk-chat-panel", docs=True)

    page.reload()
    expect(page.locator("#connection")).to_have_text("Live")
    page.locator("#inbox-list .conv-item", has_text=JONAS["name"]).click()
    expect(page.locator("#pop-title")).to_have_text(JONAS["name"])
    expect(page.locator(".pop-section")).to_have_count(3)


def test_a_new_customer_reads_no_record_not_unavailable(panel_world: World, new_page: PageFactory) -> None:
    """A customer the source databases do not know shows a neutral "No record … in Sales", never "Unavailable"."""
    page = new_page(panel_world.url)
    login(page, AGENT)
    page.locator("#inbox-list .conv-item", has_text="First order").click()
    expect(page.locator("#pop-title")).to_have_text("Nina Neu")
    expect(page.locator('.pop-section[data-status="no_record"]')).to_have_count(3)
    expect(page.locator('.pop-section[data-section="sales"]')).to_contain_text("No record for this customer in")
    expect(page.get_by_text("Unavailable")).to_have_count(0)
