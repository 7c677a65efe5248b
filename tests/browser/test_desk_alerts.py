"""Alerts in Chromium: an offer rings, raises a desktop notification while the desk is behind another
window, counts in the tab title, and the layout keeps the offer card off the conversation's controls."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from tests.browser.conftest import VIEWPORT, login, screenshot
from tests.browser.world import MARIA, AppThread, World, served_world

# Records each notification the page creates (the real one is still shown): the test reads them back.
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  const shown = (window.__notifications = []);
  class Recorded extends Real {
    constructor(title, options) { super(title, options); shown.push({ title, body: (options || {}).body }); }
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
})();
"""


@pytest.fixture(scope="module")
def alert_world(app_thread: AppThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The browser tests' app, one for the module."""
    with served_world(app_thread, tmp_path_factory.mktemp("alerts")) as world:
        yield world


@pytest.fixture
def granted(browser: Browser, alert_world: World) -> Iterator[BrowserContext]:
    """A browser context where the desk may show notifications (the permission is granted)."""
    context = browser.new_context(base_url=alert_world.url, viewport=VIEWPORT, locale="en-GB",
                                  permissions=["notifications"])
    context.add_init_script(RECORD_NOTIFICATIONS)
    yield context
    context.close()


def _mail(world: World, n: int, department: str = "sales") -> None:
    world.thread.call(world.app[INBOX].receive([InboundMessage(
        channel="email", external_id=f"<alert-{n}@example.org>", identity=("email", MARIA["email"]),
        sender=MARIA["email"], department=department, subject=f"Quote request {n}", body_text="Please send a quote.")]))


def test_an_offer_notifies_the_agent_in_another_window_and_counts_in_the_title(
    alert_world: World, granted: BrowserContext,
) -> None:
    """With the desk behind another tab, an offer raises a desktop notification naming the contact;
    the tab title counts it until it is accepted; no permission banner is shown once granted."""
    page = granted.new_page()
    login(page, "agent_sales_1")
    expect(page.locator(".permission-banner")).to_have_count(0)
    # Playwright makes every page look focused; let this one report real focus, then put another in front.
    granted.new_cdp_session(page).send("Emulation.setFocusEmulationEnabled", {"enabled": False})
    other = granted.new_page()
    other.goto("/healthz")
    other.bring_to_front()
    page.wait_for_function("() => document.visibilityState === 'hidden' || !document.hasFocus()")
    _mail(alert_world, 1)
    page.wait_for_function("() => window.__notifications.length > 0")
    [note] = page.evaluate("window.__notifications")
    assert note["title"] == "New email"
    assert "Quote request 1" in note["body"]
    assert re.match(r"^\(1\) Desk · ", page.title())
    page.bring_to_front()
    page.keyboard.press("a")
    expect(page.locator("#conv-title")).to_contain_text("Quote request 1")
    expect(page).to_have_title(re.compile(r"^Desk · "))


def test_the_alert_settings_turn_notifications_off_and_offer_cards_never_cover_the_conversation(
    alert_world: World, granted: BrowserContext,
) -> None:
    """Turning desktop notifications off under Alerts stops them (kept across a reload); an offer
    card sits above the open conversation, whose controls stay clickable."""
    page = granted.new_page()
    login(page, "agent_service_1")
    page.get_by_text("Alerts", exact=True).click()
    page.get_by_label("Desktop notifications").uncheck()
    page.reload()
    expect(page.locator("#connection")).to_have_text("Live")
    page.get_by_text("Alerts", exact=True).click()
    expect(page.get_by_label("Desktop notifications")).not_to_be_checked()
    expect(page.get_by_label("Play a sound")).to_be_checked()
    screenshot(page, "desk-alerts", docs=True)
    page.get_by_text("Alerts", exact=True).click()

    _mail(alert_world, 2, "service")
    card = page.locator(".alert.offer")
    expect(card).to_be_visible()
    page.keyboard.press("a")
    expect(page.locator("#conv-title")).to_contain_text("Quote request 2")
    _mail(alert_world, 3, "service")
    expect(card).to_be_visible()
    card_box = card.bounding_box()
    head_box = page.locator("section.conversation").bounding_box()
    assert card_box is not None
    assert head_box is not None
    assert card_box["y"] + card_box["height"] <= head_box["y"]
    assert page.evaluate("window.__notifications.length") == 0


def test_a_supervisor_desk_shows_no_presence_and_never_reconnecting(
    alert_world: World, granted: BrowserContext,
) -> None:
    """A user routing does not know (the supervisor) gets no presence switch and no "Reconnecting…"."""
    page = granted.new_page()
    login(page, "supervisor")
    expect(page.locator("#presence")).to_be_hidden()
    expect(page.locator("#connection")).to_have_text("Live")
    expect(page.get_by_text("Reconnecting…")).to_be_hidden()
