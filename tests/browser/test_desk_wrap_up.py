"""Wrap-up in Chromium: after hang-up the agent gets the wrap-up panel and no offer until choosing the
outcome the department requires; the wallboard shows them in wrap-up meanwhile."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from contact_center import keys
from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from routing.services import ROUTING
from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import MARIA, SERVICE_LINE, AppThread, World, served_world
from tests.conftest import PASSWORD

AGENT, EXTENSION = "agent_service_1", "221"


@pytest.fixture(scope="module")
def wrap_world(app_thread: AppThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The browser tests' app, its service department asking for an outcome after 1 s of after-call work."""
    with served_world(app_thread, tmp_path_factory.mktemp("wrapup")) as world:
        async def require_outcome() -> None:
            await world.app[keys.DEPARTMENTS].update(
                "service", {"after_call_work_seconds": 1, "outcome_required": True,
                            "outcomes": ["resolved", "callback_needed"]}, principal=None)
            await world.app[ROUTING].router.load_org()

        world.thread.call(require_outcome())
        yield world


def test_the_agent_wraps_up_and_gets_the_next_contact_only_after_choosing_the_outcome(
        wrap_world: World, new_page: PageFactory) -> None:
    """Hang-up opens the wrap-up panel; an email waiting meanwhile is not offered until the required
    outcome is chosen and Ready pressed (by keyboard); then it is offered at once."""
    world = wrap_world
    board = new_page(world.url)
    board.goto("/wallboard")
    board.get_by_label("Username").fill("supervisor")
    board.get_by_label("Password").fill(PASSWORD)
    board.get_by_role("button", name="Sign in").click()
    expect(board).to_have_url(re.compile(r"/wallboard$"))

    page = new_page(world.url)
    login(page, AGENT)
    world.cti("newCall", callId="wrap-call", to=SERVICE_LINE, direction="in", user=[AGENT],
              **{"from": MARIA["phone"]})
    world.cti("answer", callId="wrap-call", answeringNumber=EXTENSION, user=AGENT)
    expect(page.locator("article.pop #pop-title")).to_have_text(MARIA["name"])
    world.cti("hangup", callId="wrap-call", cause="normalClearing")

    panel = page.get_by_role("region", name="Wrap-up")
    expect(panel).to_be_visible()
    outcome = panel.get_by_label("Outcome", exact=True)
    expect(outcome).to_be_focused()  # keyboard first: the agent can pick the outcome at once
    expect(panel.locator("#wrapup-timer")).to_have_text("Choose an outcome to receive the next contact")
    expect(page.locator("#presence-state")).to_contain_text("Wrap-up")
    row = board.locator('table.agents tr[data-user="agent_service_1"]')
    expect(row).to_have_attribute("data-state", "wrap_up")
    expect(row.locator('[data-field="detail"]')).to_have_text("outcome not chosen yet")

    world.thread.call(world.app[INBOX].receive([InboundMessage(
        channel="email", external_id="<wrap-1@example.org>", identity=("email", MARIA["email"]),
        sender=MARIA["email"], department="service", subject="Delivery address for my router",
        body_text="Please send it to the office.")]))
    router = world.app[ROUTING].router
    assert world.thread.call(router.dispatch_once()) == 0  # nobody may take it: the agent is wrapping up
    expect(page.locator(".alert.offer")).to_have_count(0)
    screenshot(page, "desk-wrap-up")

    panel.get_by_role("button", name="Ready").press("Enter")
    expect(panel.get_by_role("alert")).to_have_text("Choose an outcome to wrap up.")
    expect(page.locator(".alert.offer")).to_have_count(0)
    outcome.focus()
    outcome.select_option("callback_needed")
    panel.get_by_label("Notes").fill("Wants a call back about the delivery date")
    panel.get_by_label("Notes").press("Control+Enter")

    expect(panel).to_be_hidden()
    offer = page.locator(".alert.offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("Delivery address for my router")
    expect(row).not_to_have_attribute("data-state", "wrap_up")
