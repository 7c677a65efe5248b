"""The supervisor steers the floor from the wallboard in Chromium: opens a tile and assigns a waiting
contact (the agent gets the offer), changes an agent's state with a reason, signs an agent out."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import MARIA, AppThread, World, served_world
from tests.conftest import PASSWORD


@pytest.fixture
def floor(app_thread: AppThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The browser tests' app for one test."""
    with served_world(app_thread, tmp_path_factory.mktemp("floor")) as world:
        yield world


def wallboard(new_page: PageFactory, world: World) -> Page:
    """The supervisor's wallboard, signed in and live."""
    page = new_page(world.url)
    page.goto("/wallboard")
    page.get_by_label("Username").fill("supervisor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/wallboard$"))
    expect(page.locator("#connection")).to_have_text("Live")
    return page


def test_a_supervisor_opens_a_tile_and_assigns_a_waiting_email_to_an_agent(floor: World, new_page: PageFactory) -> None:
    """A broken router waits for technical support (none of its agents is signed in); the supervisor
    opens the tile, sees Maria waiting with the reason in words, offers it to a sales agent, whose desk
    rings; once taken, the agent's row names Maria as the current customer with the time in state."""
    desk = new_page(floor.url)
    login(desk, "agent_sales_1")
    board = wallboard(new_page, floor)
    floor.thread.call(floor.app[INBOX].receive([InboundMessage(
        channel="email", external_id="<floor-1@example.org>", identity=("email", MARIA["email"]),
        sender=MARIA["email"], department="technical_support", subject="Router arrived broken",
        body_text="The router I received does not power on.")]))
    tile = board.locator('.tile[data-queue="technical_support.email"]')
    expect(tile.locator('[data-field="waiting"]')).to_have_text("1")

    tile.get_by_role("button", name=re.compile(r"Technical support Email: 1 contact waiting")).click()
    dialog = board.get_by_role("dialog", name="Waiting in Technical support · Email")
    row = dialog.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_contain_text(MARIA["name"])
    expect(row.locator("th")).to_contain_text("Router arrived broken")
    expect(row.locator("td.why")).not_to_be_empty()
    picker = dialog.get_by_label(f"Agent for {MARIA['name']}")
    expect(picker).to_contain_text("agent_sales_1 (Available)")
    picker.select_option(label="agent_sales_1 (Available)")
    screenshot(board, "wallboard-queue", docs=True)
    dialog.get_by_role("button", name="Assign", exact=True).click()
    # Offered to a sales agent, it now belongs to sales (as a transfer would): this queue is empty.
    expect(dialog).to_contain_text("Nobody is waiting in this queue.")

    offer = desk.locator(".alert.offer")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("Router arrived broken")
    desk.keyboard.press("a")
    expect(desk.locator("#conv-title")).to_contain_text("Router arrived broken")

    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    agent_row = board.locator('table.agents tr[data-user="agent_sales_1"]')
    expect(agent_row).to_have_attribute("data-state", "busy")
    expect(agent_row.locator('[data-field="contact"]')).to_contain_text(MARIA["name"])
    expect(agent_row.locator('[data-field="in_state"]')).to_have_text(re.compile(r"^\d+:\d\d$"))
    screenshot(board, "wallboard-actions", docs=True)


def test_a_supervisor_sets_an_agent_away_with_a_reason_then_signs_them_out(floor: World, new_page: PageFactory) -> None:
    """State… sets the agent away for coaching (their desk says so); Sign out closes their desk, which
    asks them to sign in again, and the wallboard shows them offline with the reason."""
    desk = new_page(floor.url)
    login(desk, "agent_sales_2")
    board = wallboard(new_page, floor)
    agent_row = board.locator('table.agents tr[data-user="agent_sales_2"]')
    expect(agent_row).to_have_attribute("data-state", "available")

    board.get_by_role("button", name="Change the state of agent_sales_2").focus()
    board.keyboard.press("Enter")  # keyboard all the way
    dialog = board.get_by_role("dialog", name="Change the state of agent_sales_2")
    dialog.get_by_label("New state").select_option("away")
    dialog.get_by_label("Reason").select_option(label="Coaching")
    dialog.get_by_role("button", name="Change state").click()
    expect(dialog).to_be_hidden()
    expect(agent_row).to_have_attribute("data-state", "away")
    expect(agent_row).to_contain_text("Coaching")
    expect(desk.locator("#presence-state")).to_contain_text("Coaching")
    board.get_by_role("button", name="Sign agent_sales_2 out").click()
    confirm = board.get_by_role("dialog", name="Sign agent_sales_2 out?")
    confirm.get_by_label("Reason").select_option(label="Shift ended")
    confirm.get_by_role("button", name="Sign out").click()
    expect(confirm).to_be_hidden()
    expect(desk.locator("#login-view")).to_be_visible()
    expect(desk.locator("#desk-view")).to_be_hidden()
    expect(agent_row).to_have_attribute("data-state", "offline")
    expect(agent_row).to_contain_text("Shift ended")
    desk.reload()
    expect(desk.locator("#login-view")).to_be_visible()  # the session is gone, not just the socket

