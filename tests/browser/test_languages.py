"""The screens in five languages in Chromium: the desk with a screen pop, the inbox with a chat, the
wallboard and the chat widget in English, Greek, Polish, Persian (right to left) and Finnish.

One app serves the whole module. Each language is a browser whose Accept-Language names it; the
screens must come up in it (``lang``/``dir``), show no English text in Greek, mirror for Persian,
and switch language on the desk without fetching the data again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from contact_center.inbox import INBOX
from contact_center.inbox.records import InboundMessage
from tests.browser.conftest import PageFactory, screenshot
from tests.browser.world import ACCOUNTS_LINE, JONAS, MARIA, AppThread, World, served_world
from tests.conftest import PASSWORD

CATALOGS = Path(__file__).resolve().parents[2] / "agent_ui" / "static" / "i18n"
WIDGET_CATALOGS = Path(__file__).resolve().parents[2] / "connectors" / "chat" / "static" / "i18n"
BROWSER_LOCALE = {"en": "en-GB", "el": "el-GR", "pl": "pl-PL", "fa": "fa-IR", "fi": "fi-FI"}
AGENT, EXTENSION = "agent_account_changes_1", "241"
CHAT_TEXT = "Hallo, meine Rechnung stimmt nicht / سلام، صورت‌حساب من اشتباه است"


def catalog(lang: str, folder: Path = CATALOGS) -> dict[str, str]:
    return json.loads((folder / f"{lang}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lang_world(app_thread: AppThread, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The browser organisation plus one web chat from Jonas waiting in account changes."""
    with served_world(app_thread, tmp_path_factory.mktemp("languages")) as world:

        async def chat() -> None:
            await world.app[INBOX].receive([InboundMessage(
                channel="chat", external_id="i18n-chat-1", identity=("email", JONAS["email"]),
                sender=JONAS["email"], sender_name=JONAS["name"], department="account_changes",
                body_text=CHAT_TEXT, conversation_ref="i18n-visitor-1")])

        world.thread.call(chat())
        yield world


def sign_in(page: Page, username: str) -> None:
    """Sign in through the login form (by field ids: its labels are in the page's language)."""
    page.goto("/desk")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("#desk-view")).to_be_visible()
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")


def english_fragments(lang: str) -> set[str]:
    """English catalog text (outside placeholders, two words or more) that the language words differently."""
    english, other = catalog("en"), catalog(lang)
    fragments: set[str] = set()
    for key, text in english.items():
        if other[key] == text:
            continue
        flat = text
        while re.search(r"\{[^{}]*\}", flat):
            flat = re.sub(r"\{[^{}]*\}", "\0", flat)
        for part in flat.split("\0"):
            part = part.strip(" ·:—()")
            if len(part) >= 8 and len(re.findall(r"[A-Za-z]+", part)) >= 2:
                fragments.add(part)
    return fragments


def shown_text(page: Page) -> str:
    """The page's visible text plus its labels, titles and placeholders."""
    return page.evaluate("""() => [document.body.innerText,
        ...[...document.querySelectorAll("[aria-label],[title],[placeholder]")].flatMap((el) =>
          ["aria-label", "title", "placeholder"].map((a) => el.getAttribute(a) || ""))].join("\\n")""")


def assert_no_english(page: Page, lang: str) -> None:
    text = shown_text(page)
    leaks = sorted(f for f in english_fragments(lang) if f in text)
    assert not leaks, f"English text on the {lang} screen: {leaks}"


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, selector
    return found


@pytest.mark.parametrize("lang", ["en", "el", "pl", "fa", "fi"])
def test_desk_with_a_pop_and_a_chat_in_the_browsers_language(lang: str, lang_world: World,
                                                            new_page: PageFactory) -> None:
    """The desk opens in the browser's language and direction; a call pops, the inbox lists the chat."""
    strings = catalog(lang)
    page = new_page(lang_world.url, locale=BROWSER_LOCALE[lang])
    page.goto("/desk")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", lang)
    expect(html).to_have_attribute("dir", "rtl" if lang == "fa" else "ltr")
    expect(page.locator("#login-title")).to_have_text(strings["login.title"])
    sign_in(page, AGENT)
    expect(page.locator("#connection")).to_have_text(strings["connection.open"])

    call = f"i18n-call-{lang}"
    lang_world.cti("newCall", callId=call, to=ACCOUNTS_LINE, direction="in", user=[AGENT],
                   **{"from": MARIA["phone"]})
    expect(page.locator(".alert.ringing h2")).to_have_text(strings["offer.incoming_call"])
    lang_world.cti("answer", callId=call, answeringNumber=EXTENSION, user=AGENT)
    pop = page.locator("article.pop")
    expect(pop.locator("#pop-title")).to_have_text(MARIA["name"])
    expect(pop.locator('.pop-section[data-status="ok"]')).to_have_count(3)
    expect(pop.locator('.pop-section[data-section="sales"] h3')).to_have_text(strings["section.name.sales"])
    expect(pop.locator("#pop-title")).to_have_attribute("dir", "auto")
    expect(pop.locator(".contact-address")).to_have_attribute("dir", "ltr")  # the number reads left to right
    # Money in the source's currency, written the UI language's way.
    balance = pop.locator('.pop-section[data-section="accounting"] .figure.breach dd.big')
    expect(balance).to_have_text(page.evaluate(
        "([lang]) => new Intl.NumberFormat(lang, {style: 'currency', currency: 'EUR'}).format(442.7)", [lang]))
    if lang in ("el", "fa"):
        page.locator(".permission-banner").get_by_role("button").last.click()  # "not now": the banner goes
        screenshot(page, f"desk-{lang}")

    inbox = page.locator("#inbox")
    expect(inbox.locator("#inbox-title")).to_have_text(strings["inbox.title"])
    inbox.locator('.seg[data-channel="chat"]').click()
    chat = inbox.locator(".conv-item", has_text=JONAS["name"])
    expect(chat).to_be_visible()
    chat.click()
    message = page.locator("section.conversation .msg.dir-in .msg-text")
    expect(message).to_have_text(CHAT_TEXT)
    expect(message).to_have_attribute("dir", "auto")
    expect(page.locator("#composer-text")).to_have_attribute("dir", "auto")
    inbox.locator('.seg[data-channel=""]').click()

    if lang == "fa":
        # Mirrored: the inbox sits on the right of the open contact, the brand at the right end of the
        # top bar, and numbers are written in Persian digits.
        assert box(page, "#inbox")["x"] > box(page, "#workspace")["x"]
        assert box(page, ".topbar .brand")["x"] > box(page, "#logout")["x"]
        expect(page.locator(".inbox-count")).to_contain_text(re.compile("[\u06f0-\u06f9]"))  # Persian digits
    if lang == "el":
        page.locator("#conv-title").wait_for()
        assert_no_english(page, "el")
    lang_world.cti("hangup", callId=call, cause="normalClearing")


@pytest.mark.parametrize("lang", ["en", "el", "pl", "fa", "fi"])
def test_wallboard_and_chat_widget_in_the_browsers_language(lang: str, lang_world: World,
                                                           new_page: PageFactory) -> None:
    """The wallboard and the visitor's chat widget follow the browser's language and direction."""
    strings = catalog(lang)
    board = new_page(lang_world.url, locale=BROWSER_LOCALE[lang])
    sign_in(board, "supervisor")
    board.goto("/wallboard")
    expect(board.locator("html")).to_have_attribute("lang", lang)
    expect(board.locator("html")).to_have_attribute("dir", "rtl" if lang == "fa" else "ltr")
    expect(board.locator("#connection")).to_have_text(strings["connection.open"])
    expect(board.locator(".tile").first).to_be_visible()
    expect(board.locator("#totals dt").first).to_have_text(strings["wallboard.total.waiting"])
    expect(board.locator("#agents th").first).to_have_text(strings["wallboard.col.agent"])
    if lang == "el":
        assert_no_english(board, "el")
    if lang == "fa":
        assert box(board, ".wb-top .brand")["x"] > box(board, "#logout")["x"]
        screenshot(board, "wallboard-fa")

    widget_strings = catalog(lang, WIDGET_CATALOGS)
    visitor = new_page(lang_world.url, locale=BROWSER_LOCALE[lang], viewport={"width": 900, "height": 700})
    visitor.goto("/chat/demo?topic=sales")
    expect(visitor.locator("html")).to_have_attribute("lang", lang)
    toggle = visitor.get_by_role("button", name=widget_strings["chat.title"])
    toggle.click()
    widget = visitor.locator("#cc-chat")
    expect(widget).to_have_attribute("dir", "rtl" if lang == "fa" else "ltr")
    expect(visitor.locator("#cc-chat textarea")).to_have_attribute("placeholder", widget_strings["chat.placeholder"])
    left = box(visitor, "#cc-chat")["x"]
    assert (left < 450) if lang == "fa" else (left > 450), "the widget sits in the reading direction's end corner"


def test_switching_the_language_keeps_the_data_and_is_remembered(lang_world: World, new_page: PageFactory) -> None:
    """The desk's language menu re-renders in place (no data fetched again) and stores the choice."""
    page = new_page(lang_world.url)  # an English browser
    sign_in(page, "agent_service_1")
    expect(page.locator("#inbox-title")).to_have_text("Inbox")
    expect(page.locator(".inbox-count")).not_to_be_empty()
    fetched: list[str] = []
    page.on("request", lambda r: fetched.append(f"{r.method} {r.url}"))

    with page.expect_response(lambda r: r.url.endswith("/api/v1/me") and r.request.method == "PATCH") as saved:
        page.locator("#language-select").select_option("el")
    assert saved.value.ok
    expect(page.locator("html")).to_have_attribute("lang", "el")
    expect(page.locator("#inbox-title")).to_have_text(catalog("el")["inbox.title"])
    expect(page.locator("#logout")).to_have_text(catalog("el")["desk.logout"])
    expect(page.locator("#presence-select option").first).to_contain_text(catalog("el")["state.available"])
    data = [r for r in fetched if "/api/v1/" in r and "/api/v1/me" not in r]
    assert data == [], f"switching the language fetched data again: {data}"

    page.reload()  # the stored choice wins over the browser's English
    expect(page.locator("html")).to_have_attribute("lang", "el")
    expect(page.locator("#desk-view")).to_be_visible()
    expect(page.locator("#inbox-title")).to_have_text(catalog("el")["inbox.title"])
    page.locator("#language-select").select_option("en")
    expect(page.locator("#inbox-title")).to_have_text("Inbox")
