"""Transferring in Chromium: one agent hands an email to a colleague, who gets the offer and the note."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import MARIA, AppThread, World, served_world


@pytest.fixture(scope="module")
def transfer_world(app_thread: AppThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The browser tests' app, one for the module."""
    with served_world(app_thread, tmp_path_factory.mktemp("transfer")) as world:
        yield world


def test_an_agent_transfers_an_email_to_a_colleague_with_a_note(transfer_world: World, new_page: PageFactory) -> None:
    """Anna's colleague gets an offer for the transferred email; the note and the new owner show."""
    first = new_page(transfer_world.url)
    login(first, "agent_sales_1")
    second = new_page(transfer_world.url)
    login(second, "agent_sales_2")
    transfer_world.thread.call(transfer_world.app[INBOX].receive([InboundMessage(
        channel="email", external_id="<transfer-1@example.org>", identity=("email", MARIA["email"]),
        sender=MARIA["email"], department="sales", subject="Bulk order for 40 routers",
        body_text="We need a quote for 40 routers.")]))
    expect(first.locator(".alert.offer")).to_be_visible()
    expect(first.locator(".alert.offer")).to_contain_text("the usual department for this channel")
    first.keyboard.press("a")
    expect(first.locator("#conv-title")).to_contain_text("Bulk order for 40 routers")
    expect(first.locator("#conv-owner")).to_have_text("Yours")

    first.get_by_role("button", name="Transfer…").click()
    dialog = first.get_by_role("dialog", name="Transfer this conversation")
    expect(dialog.get_by_label("Colleague", exact=True)).to_contain_text("agent_sales_2 — Available")
    dialog.get_by_label("Colleague", exact=True).select_option(label="agent_sales_2 — Available")
    dialog.get_by_label("Note for them (optional)").fill("Key account, wants a discount")
    screenshot(first, "desk-transfer", docs=True)
    dialog.get_by_role("button", name="Transfer", exact=True).click()
    expect(dialog).to_be_hidden()

    offer = second.locator(".alert.offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("Bulk order for 40 routers")
    second.keyboard.press("a")
    expect(second.locator("#conv-title")).to_contain_text("Bulk order for 40 routers")
    expect(second.locator("#conv-owner")).to_have_text("Yours")
    expect(second.locator(".msg.dir-note")).to_contain_text(
        "Transferred to agent_sales_2: Key account, wants a discount")
    expect(second.locator(".msg.dir-note .msg-who")).to_have_text("Note by agent_sales_1")
    first.locator("#inbox-list .conv-item", has_text="Bulk order").click()
    expect(first.locator("#conv-owner")).to_have_text("Owner: agent_sales_2")
