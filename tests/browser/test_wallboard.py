"""The supervisor wallboard in Chromium: tiles follow contacts as they queue, are answered and abandoned."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import SERVICE_LINE, World
from tests.conftest import PASSWORD


def test_supervisor_tiles_change_as_calls_queue_and_are_answered(world: World, new_page: PageFactory) -> None:
    """Waiting, service level, ASA and abandoned move on the service call tile; a breach turns it red."""
    page = new_page(world.url)
    page.goto("/")  # not signed in: the desk's login, which sends the supervisor back to the wallboard
    expect(page).to_have_url(re.compile(r"/desk$"))
    page.goto("/wallboard")
    expect(page).to_have_url(re.compile(r"/desk\?next=/wallboard$"))
    page.get_by_label("Username").fill("supervisor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/wallboard$"))
    expect(page.locator("#connection")).to_have_text("Live")

    tile = page.locator('.tile[data-queue="service.call"]')
    waiting = tile.locator('[data-field="waiting"]')
    expect(waiting).to_have_text("0")
    expect(tile).to_have_attribute("data-state", "calm")
    expect(page.locator("table.agents tbody tr")).to_have_count(10)
    desk = new_page(world.url)
    login(desk, "agent_sales_1")  # a sales agent comes online: the board shows them available
    expect(page.locator('table.agents tr[data-user="agent_sales_1"]')).to_have_attribute("data-state", "available")
    expect(page.locator('.dept[data-department="sales"] .dept-head')).to_contain_text("1 available")

    for n in (1, 2, 3):
        world.cti("newCall", callId=f"wb-{n}", to=SERVICE_LINE, direction="in", **{"from": f"+49 89 700{n}000"})
    expect(waiting).to_have_text("3")
    expect(tile).to_have_attribute("data-state", re.compile("busy|warn"))
    expect(page.locator("#totals .total.hot dd")).to_have_text("3")
    expect(page.locator("#chart .line")).to_have_count(1)
    screenshot(page, "wallboard-queueing")

    world.cti("answer", callId="wb-1", answeringNumber="221")
    expect(waiting).to_have_text("2")
    expect(tile.locator('[data-field="asa"]')).not_to_have_text("—")
    expect(tile.locator('[data-field="service_level"]')).to_contain_text("100%")
    expect(page.locator('table.agents tr[data-user="agent_service_1"] [data-field="handling"]')).to_have_text("1 call")

    world.cti("hangup", callId="wb-2", cause="cancel")
    expect(waiting).to_have_text("1")
    expect(tile.locator('[data-field="abandoned"]')).to_have_text("1")
    expect(tile.locator('[data-field="service_level"]')).to_contain_text("50%")
    expect(tile).to_have_attribute("data-state", "breach")
    expect(tile.locator(".flag")).to_have_text("Breach")
    screenshot(page, "wallboard", docs=True)
