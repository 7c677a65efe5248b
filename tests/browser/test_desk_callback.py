"""Callbacks in Chromium: a missed call becomes a callback task that ANOTHER agent takes and calls back
(the outbound call through the CTI hook is linked to it), records the outcome, and the customer's
timeline shows the missed call, the callback with its outcome and the note; the agent the call rang
finds "Missed call from …" on their desk."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import ACCOUNTS_LINE, MARIA, AppThread, World, served_world

RUNG, TAKER, TAKER_EXTENSION = "agent_account_changes_1", "agent_account_changes_2", "242"
NUMBER = "+49305550123"  # Maria's phone, as E.164


@pytest.fixture(scope="module")
def callback_world(app_thread: AppThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The browser tests' app, one for the module."""
    with served_world(app_thread, tmp_path_factory.mktemp("callback")) as world:
        yield world


def test_a_missed_call_is_called_back_by_another_agent(callback_world: World, new_page: PageFactory) -> None:
    """Maria's call rings agent 1 and nobody answers; agent 2 gets the callback with Maria's panel,
    calls back (outbound newCall/answer/hangup linked), records "Reached"; the full timeline shows it,
    and agent 1's desk lists the missed call."""
    world = callback_world
    taker = new_page(world.url)
    login(taker, TAKER)
    world.cti("newCall", callId="cb-in-1", to=ACCOUNTS_LINE, direction="in", user=[RUNG], **{"from": MARIA["phone"]})
    world.cti("hangup", callId="cb-in-1", cause="cancel")

    offer = taker.locator(".alert.offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("Callback")
    taker.keyboard.press("a")
    expect(taker.locator("#conv-title")).to_contain_text("Callback")
    expect(taker.locator("#conv-owner")).to_have_text("Yours")
    expect(taker.locator("#pop-title")).to_have_text(MARIA["name"])
    call_back = taker.get_by_role("link", name=f"Call back {NUMBER}")
    expect(call_back).to_have_attribute("href", f"tel:{NUMBER}")
    expect(taker.locator(".task-facts")).to_contain_text("1 missed call")

    # The softphone dials: the PBX reports the outbound call, which is linked to the callback.
    world.cti("newCall", callId="cb-out-1", direction="out", user=[TAKER], **{"from": TAKER_EXTENSION, "to": NUMBER})
    attempt = taker.locator(".task-attempts li")
    expect(attempt).to_have_attribute("data-state", "ringing")
    world.cti("answer", callId="cb-out-1", answeringNumber=NUMBER)
    expect(attempt).to_have_attribute("data-state", "answered")
    expect(attempt).to_contain_text("connected")
    world.cti("hangup", callId="cb-out-1", cause="normalClearing")
    expect(attempt).to_have_attribute("data-state", "ended")

    form = taker.get_by_role("form", name="Outcome")
    form.get_by_label("Outcome").select_option(label="Reached")
    form.get_by_label("Note (optional)").fill("Explained the overdue invoice")
    screenshot(taker, "desk-callback", docs=True)
    form.get_by_role("button", name="Save outcome").click()
    expect(taker.locator("#task-outcome-done")).to_have_text("Outcome: Reached")
    expect(taker.locator(".msg.dir-note")).to_contain_text("Explained the overdue invoice")

    taker.get_by_role("button", name="Full timeline").click()
    timeline = taker.locator(".timeline-list.full")
    expect(timeline.locator('li[data-type="task"]')).to_contain_text("Outcome: Reached")
    expect(timeline.locator('li[data-type="note"]')).to_contain_text("Explained the overdue invoice")
    expect(timeline.locator('li[data-type="conversation"]', has_text="Call from")).to_have_count(1)

    rung = new_page(world.url)
    login(rung, RUNG)
    missed = rung.locator("#missed-calls")
    expect(missed).to_contain_text(f"Missed call from {MARIA['name']}")
    missed.get_by_role("button", name=f"Missed call from {MARIA['name']}").click()
    expect(rung.locator("#conv-title")).to_contain_text(f"Call from {NUMBER}")
    expect(rung.locator("#task-outcome-done")).to_have_text("Outcome: Reached")  # the callback it made
    missed.get_by_role("button", name="Dismiss").click()
    expect(missed).to_be_hidden()
