"""Who is calling, in Chromium: pick one of several customers, or create one for an unknown caller."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import SERVICE_LINE, SHARED_LINE, World

AGENT, EXTENSION = "agent_service_1", "221"


def test_ambiguous_caller_is_picked_and_unknown_caller_is_created(world: World, new_page: PageFactory) -> None:
    """Two customers share a landline: the agent picks one; an unknown number becomes a new customer."""
    page = new_page(world.url)
    login(page, AGENT)
    world.cti("newCall", callId="amb-1", to=SERVICE_LINE, direction="in", user=[AGENT], **{"from": SHARED_LINE})
    expect(page.locator(".alert.ringing .caller")).to_have_text("2 possible customers")
    world.cti("answer", callId="amb-1", answeringNumber=EXTENSION)

    identify = page.locator("section.identify")
    expect(identify.locator("h3")).to_contain_text("2 customers share +49305550999")
    expect(page.locator(".pop-sections")).to_have_count(0)
    screenshot(page, "desk-pick-customer")
    identify.get_by_role("button", name="Lena Fischer").click()
    expect(page.locator("#pop-title")).to_have_text("Lena Fischer")
    expect(page.locator(".pop-section")).to_have_count(3)

    world.cti("hangup", callId="amb-1", cause="normalClearing")
    expect(page.locator(".call-badge")).to_contain_text("Call ended")
    expect(page.locator("#presence-state")).to_contain_text("Wrap-up")
    page.get_by_label("Outcome", exact=True).select_option("resolved")  # the thread's form; the panel has one too
    page.get_by_role("button", name="Wrap up and close").click()
    expect(page.locator("#conv-status")).to_have_text("Closed")

    world.cti("newCall", callId="unk-1", to=SERVICE_LINE, direction="in", user=[AGENT],
              **{"from": "0170 5550123"})
    expect(page.locator(".alert.ringing .caller")).to_have_text("Unknown caller")
    world.cti("answer", callId="unk-1", answeringNumber=EXTENSION)
    expect(page.locator("#pop-title")).to_have_text("Unknown contact")
    page.get_by_label("Name", exact=True).fill("Erik Nowak")
    page.get_by_label("Company (optional)").fill("Nowak Bau")
    screenshot(page, "desk-unknown-caller")
    page.get_by_role("button", name="Create and link").click()
    expect(page.locator("#pop-title")).to_have_text("Erik Nowak")
    expect(page.locator(".identities")).to_contain_text("+491705550123")

    page.get_by_label("My status").select_option(label="◐ Away — Lunch")
    expect(page.locator("#presence-state")).to_have_text("Away — Lunch")
