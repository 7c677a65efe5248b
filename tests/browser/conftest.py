"""Browser fixtures: one headless Chromium for all browser tests (Debian's, driven by Playwright's sync API),
a fresh browser context per user, and the real app per test in a background thread.

A missing Chromium fails the tests (``make test`` installs it through apt); it never skips them.
Screenshots go to ``test-artifacts/browser/`` (git-ignored); the ones the README shows are also
written to ``docs/screenshots/`` (``screenshot(..., docs=True)``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright, expect, sync_playwright

from contact_center.settings import Settings
from tests.browser.world import AppThread, World, write_config
from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1440, "height": 900}

expect.set_options(timeout=10_000)


# Package scope, not session: while Playwright's sync driver is alive its event loop counts as running
# in the main thread, so it must stop before the asyncio tests of the other folders run.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver (sync API), started once for the browser tests."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless Chromium; the session fails loudly when it is not installed."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (it installs chromium through apt) "
                    "or `apt-get install chromium`", pytrace=False)
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def app_thread() -> Iterator[AppThread]:
    """The event loop the apps (and test-side async helpers) run in."""
    thread = AppThread()
    yield thread
    thread.stop()


WorldStarter = Callable[..., World]


@pytest.fixture
def start_world(app_thread: AppThread, tmp_path: Path) -> Iterator[WorldStarter]:
    """``start_world(extra_config="")`` -> the running app with the organisation and two customers."""
    worlds: list[World] = []

    def start(extra_config: str = "") -> World:
        config = write_config(tmp_path, extra=extra_config)
        world = World(thread=app_thread, settings=Settings.load(config, environ={}))
        worlds.append(world)
        app_thread.call(world.start())
        return world

    yield start
    for world in worlds:
        app_thread.call(world.close())


@pytest.fixture
def world(start_world: WorldStarter) -> World:
    """The running app with the default configuration."""
    return start_world()


PageFactory = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser) -> Iterator[PageFactory]:
    """``new_page(base_url, locale=...)``: a page in a fresh context (own cookies, the browser's language
    from *locale*, en-GB by default); JS errors fail the test."""
    contexts = []
    errors: list[str] = []

    def make(base_url: str, *, viewport: dict[str, int] | None = None, locale: str = "en-GB") -> Page:
        context = browser.new_context(base_url=base_url, viewport=viewport or VIEWPORT, locale=locale,
                                      timezone_id="Europe/Berlin")
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

        def console(msg: ConsoleMessage) -> None:
            # Expected: HTTP errors (401 before login, 422 on a bad form) logged as failed loads, and
            # remote images in emails that the mail frame's policy blocks on purpose.
            expected = msg.text.startswith("Failed to load resource") or 'directive: "img-src' in msg.text
            if msg.type == "error" and not expected:
                errors.append(f"console error: {msg.text}")

        page.on("console", console)
        return page

    yield make
    for context in contexts:
        with contextlib.suppress(Error):
            context.close()
    assert not errors, "the page reported errors:\n" + "\n".join(errors)


def login(page: Page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the desk's login form and wait for the desk."""
    page.goto("/desk")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#desk-view")).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Live")


def screenshot(page: Page, name: str, *, full_page: bool = False, docs: bool = False) -> Path:
    """Save a PNG of *page* under test-artifacts/browser/ (and, with *docs*, as the README's copy in
    docs/screenshots/) and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    if docs:
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"{name}.png")
    return path


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives Chromium: mark it ``browser``."""
    here = str(Path(__file__).parent) + os.sep
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.browser)
