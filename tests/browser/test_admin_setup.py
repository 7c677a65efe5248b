"""From an empty store to a working call center through the admin console alone, in Chromium.

First admin -> two departments with numbers -> two agents -> a PBX (its hook URL shown once) -> a
mailbox against the real Dovecot (tested, then saved) -> a rule tried and saved; then a call to one
department's number rings its agent, and an email matching the rule is offered to the other.
Screenshots of the console go to docs/screenshots/ (the README shows them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiohttp import web
from playwright.sync_api import Page, expect

from contact_center.app import create_app
from contact_center.settings import Settings
from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import AppThread, World
from tests.servers import DovecotForTest

ADMIN_PASSWORD = "first-admin-Secret"
AGENT_PASSWORD = "agent-Secret-pw"


class EmptyWorld(World):
    """The app on an empty store: no departments, users, PBX or mailbox; only what the console adds."""

    async def start(self) -> None:
        self.runner = web.AppRunner(create_app(self.settings), handle_signals=False, shutdown_timeout=2.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}"


@pytest.fixture
def empty_world(app_thread: AppThread, tmp_path: Path) -> Iterator[EmptyWorld]:
    config = tmp_path / "cc.toml"
    config.write_text("\n".join((
        "[server]", f'data_dir = "{tmp_path.as_posix()}"',
        "[database]", f'url = "sqlite+aiosqlite:///{(tmp_path / "cc.db").as_posix()}"',
        "[config]", "poll_seconds = 0.5",
        "[telephony]", "director_timeout_ms = 5000",
        "[routing]", "offer_timeout_seconds = 60", "sweep_interval_seconds = 0.05",
        "[email]", "reconnect_min_seconds = 0.05", "reconnect_max_seconds = 0.5",
    )) + "\n", encoding="utf-8")
    world = EmptyWorld(thread=app_thread, settings=Settings.load(config, environ={}))
    app_thread.call(world.start())
    yield world
    app_thread.call(world.close())


def shot(page: Page, name: str) -> None:
    """A screenshot for the README (docs/screenshots/) and the test artifacts."""
    screenshot(page, name, docs=True)


def section(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Console sections").get_by_role("button", name=name).click()
    expect(page.locator("#section h2")).to_have_text(name)


def add_department(page: Page, slug: str, name: str, number: str) -> None:
    new = page.get_by_role("form", name="New department")
    new.get_by_label("Short name (slug)").fill(slug)
    new.get_by_label("Name", exact=True).fill(name)
    new.get_by_label("Numbers customers dial (DNIS)").fill(number)
    new.get_by_label("Email address").fill(f"{slug}@example.test")
    new.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name=re.compile(f"^{name} {slug}"))).to_be_visible()


def add_agent(page: Page, username: str, extension: str, department: str) -> None:
    new = page.get_by_role("form", name="New user")
    new.get_by_label("Username").fill(username)
    new.get_by_label("Password").fill(AGENT_PASSWORD)
    new.get_by_label("Display name").fill(username.title())
    new.get_by_label("Extension").fill(extension)
    new.get_by_label(department).check()
    new.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name=re.compile(f"^{username.title()} {username}"))).to_be_visible()


def test_an_admin_sets_up_a_call_center_from_an_empty_store(
    empty_world: EmptyWorld, new_page: PageFactory, dovecot: DovecotForTest, app_thread: AppThread,
) -> None:
    """Everything through the console; then a call and an email reach the right agents on their desks."""
    page = new_page(empty_world.url)
    page.goto("/")
    setup = page.get_by_role("form", name="Welcome: create the first admin")
    expect(setup).to_be_visible()
    setup.get_by_label("Username").fill("root")
    setup.get_by_label("Display name").fill("Ada Admin")
    setup.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
    setup.get_by_label("Password again").fill(ADMIN_PASSWORD)
    shot(page, "admin-first-run")
    setup.get_by_role("button", name="Create admin and continue").click()

    expect(page.locator("#section h2")).to_have_text("Departments")
    add_department(page, "sales", "Sales", "+49 30 1111 0000")
    add_department(page, "support", "Support", "+49 30 2222 0000")
    shot(page, "admin-departments")

    section(page, "Users")
    add_agent(page, "anna", "201", "Sales")
    add_agent(page, "bert", "202", "Support")
    shot(page, "admin-users")

    section(page, "Telephony")
    add = page.get_by_role("form", name="PBX connections")
    add.get_by_label("PBX name").fill("office")
    add.get_by_label("Tell the PBX whom to ring").check()
    add.get_by_role("button", name="Add PBX").click()
    hook = page.locator(".secret")
    expect(hook).to_contain_text("/api/v1/cti/")
    hook_path = "/api/v1/cti/" + hook.inner_text().split("/api/v1/cti/")[1].strip()
    shot(page, "admin-telephony")

    section(page, "Email")
    box = page.get_by_role("form", name="New mailbox")
    box.get_by_label("Name (stable; the read position is kept under it)").fill("support")
    box.get_by_label("IMAP server").fill(dovecot.host)
    box.get_by_label("Port").fill(str(dovecot.imap_port))
    box.get_by_label("Security").select_option("none")
    box.get_by_label("User").fill(dovecot.user)
    box.get_by_label("Password (leave empty to keep the stored one)").fill("not-the-password")
    box.get_by_label("Department it feeds").select_option("support")
    box.get_by_role("button", name="Test connection").click()
    expect(box.locator(".form-error[role=status]")).to_contain_text("failed at login")
    box.get_by_label("Password (leave empty to keep the stored one)").fill(dovecot.password)
    box.get_by_role("button", name="Test connection").click()
    expect(box.locator(".ok-note")).to_contain_text("logged in (connect, login, select)")
    shot(page, "admin-email")
    box.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", name="support", exact=True)).to_be_visible()

    section(page, "Routing")
    page.get_by_role("button", name="Add rule").click()
    row = page.locator("tbody tr").last
    row.get_by_label("Name").fill("invoices")
    row.get_by_label("Field").select_option("subject")
    row.get_by_label("Operator").select_option("contains_any")
    row.get_by_label("Value(s)").fill("invoice, bill")
    row.get_by_label("Department").select_option("sales")
    trial = page.get_by_role("form", name="Try it")
    trial.get_by_label("Channel").select_option("email")
    trial.get_by_label("Subject").fill("Question about my invoice")
    trial.get_by_role("button", name="Run").click()
    expect(trial.locator(".ok-note")).to_contain_text("sales")
    expect(trial).to_contain_text("invoices")
    shot(page, "admin-routing")
    page.get_by_role("form", name=re.compile("^Rules")).get_by_role("button", name="Save").click()
    expect(page.locator(".ok-note").first).to_contain_text("Saved")

    anna = new_page(empty_world.url)
    login(anna, "anna", AGENT_PASSWORD)
    bert = new_page(empty_world.url)
    login(bert, "bert", AGENT_PASSWORD)

    status, reply = empty_world.post_json(hook_path, {"event": "newCall", "callId": "first-call",
                                                       "from": "+4917012345", "to": "+493022220000",
                                                       "direction": "in"})
    assert (status, reply) == (200, {"action": "dial", "number": "202"})
    expect(bert.locator(".alert.offer")).to_contain_text("+4917012345")
    expect(anna.locator(".alert.offer")).to_have_count(0)

    mail = EmailMessage()
    mail["From"] = "Carla Customer <carla@example.org>"
    mail["To"] = "support@example.test"
    mail["Subject"] = "Question about my invoice"
    mail.set_content("Hello, the invoice amount looks wrong.")
    dovecot.deliver(dovecot.user, mail)
    offer = anna.locator(".alert.offer")
    expect(offer).to_contain_text("Question about my invoice", timeout=20_000)
    expect(bert.locator(".alert.offer")).to_have_count(1)  # the call only
