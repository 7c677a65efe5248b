"""Language negotiation and the stored user language on the real app: pages, PATCH /api/v1/me, the chat demo."""

from __future__ import annotations

import re
from collections.abc import Callable
from types import MappingProxyType

import pytest

import agent_ui
import connectors.chat
from contact_center.errors import ConfigError
from contact_center.settings import Settings
from tests.conftest import AppStarter, RunningApp, seed_org


@pytest.fixture
async def ui_app(start_app: AppStarter, settings_factory: Callable[..., Settings]) -> RunningApp:
    """The desk and chat plugins with the seeded organisation; the installation speaks Finnish by default."""
    settings = settings_factory(sections=MappingProxyType({"i18n": MappingProxyType({"default_language": "fi"})}))
    app = await start_app(settings, plugins=[("agent_ui", agent_ui.register), ("chat", connectors.chat.register)])
    await seed_org(app.db)
    return app


def _html_tag(page: str) -> str:
    found = re.search(r"<html[^>]*>", page)
    assert found, page[:200]
    return found.group(0)


@pytest.mark.parametrize(("accept_language", "lang", "direction"), [
    ("el-GR,el;q=0.9,en;q=0.5", "el", "ltr"),
    ("fa-IR", "fa", "rtl"),
    ("de-DE, pl;q=0.8", "pl", "ltr"),
    ("de-DE, en;q=0", "fi", "ltr"),   # nothing offered: the installation's default
    ("", "fi", "ltr"),
])
@pytest.mark.parametrize("path", ["/desk", "/wallboard"])
async def test_pages_open_in_the_browsers_language(ui_app: RunningApp, path: str, accept_language: str,
                                                   lang: str, direction: str) -> None:
    """Without a signed-in user a screen is sent in the best Accept-Language match, else the default."""
    async with ui_app.session() as client, client.get(path, headers={"Accept-Language": accept_language}) as resp:
        assert resp.status == 200
        tag = _html_tag(await resp.text())
    assert f'lang="{lang}"' in tag
    assert f'dir="{direction}"' in tag
    assert 'data-languages="el en fa fi pl"' in tag


async def test_a_users_language_wins_over_the_browser_and_is_stored(ui_app: RunningApp) -> None:
    """PATCH /api/v1/me stores the language; /me reports it and pages follow it whatever the browser asks."""
    agent = await ui_app.login("agent_sales_1")
    try:
        async with agent.get("/api/v1/me") as resp:
            assert (await resp.json())["user"]["language"] is None
        async with agent.patch("/api/v1/me", json={"language": "fa"}) as resp:
            assert resp.status == 200
            assert (await resp.json())["user"]["language"] == "fa"
        async with agent.get("/api/v1/me") as resp:
            assert (await resp.json())["user"]["language"] == "fa"
        async with agent.get("/desk", headers={"Accept-Language": "el"}) as resp:
            assert 'lang="fa" dir="rtl"' in _html_tag(await resp.text())
        async with agent.patch("/api/v1/me", json={"language": None}) as resp:
            assert (await resp.json())["user"]["language"] is None
        async with agent.get("/desk", headers={"Accept-Language": "el"}) as resp:
            assert 'lang="el"' in _html_tag(await resp.text())
    finally:
        await agent.close()


@pytest.mark.parametrize("body", [{"language": "de"}, {"language": 7}, {"language": ""}, {}])
async def test_an_unknown_language_is_refused_naming_the_field(ui_app: RunningApp, body: dict[str, object]) -> None:
    """A language without catalogs (or no language at all) is a 422 that names the field, and nothing changes."""
    agent = await ui_app.login("agent_sales_1")
    try:
        async with agent.patch("/api/v1/me", json=body) as resp:
            assert resp.status == 422
            error = await resp.json()  # {"error": text, "code", "message", "field"}
        assert error["code"] == "validation_error"
        assert error["field"] == "language"
        async with agent.get("/api/v1/me") as resp:
            assert (await resp.json())["user"]["language"] is None
    finally:
        await agent.close()


async def test_only_a_signed_in_user_sets_a_language(ui_app: RunningApp) -> None:
    """PATCH /api/v1/me without a session is a 401."""
    async with ui_app.session() as client, client.patch("/api/v1/me", json={"language": "el"}) as resp:
        assert resp.status == 401


@pytest.mark.parametrize(("accept_language", "heading"), [
    ("el", "Παράδειγμα καταστήματος"), ("pl-PL", "Przykładowy sklep"), ("fa", "فروشگاه نمونه"),
    ("fi", "Esimerkkikauppa"), ("en-GB", "Example shop"),
])
async def test_the_chat_demo_page_speaks_the_visitors_language(ui_app: RunningApp, accept_language: str,
                                                                heading: str) -> None:
    """The server-rendered chat demo page comes from the gettext catalogs in the visitor's language."""
    headers = {"Accept-Language": accept_language}
    async with ui_app.session() as client, client.get("/chat/demo", headers=headers) as resp:
        page = await resp.text()
    assert f"<h1>{heading}</h1>" in page
    assert f'lang="{accept_language.split("-")[0]}"' in _html_tag(page)


async def test_the_widget_catalogs_are_served_to_any_site(ui_app: RunningApp) -> None:
    """The chat widget's catalog comes with CORS; an unknown language is a 404."""
    async with ui_app.session() as client:
        async with client.get("/chat/i18n/pl.json") as resp:
            assert resp.status == 200
            assert resp.headers["Access-Control-Allow-Origin"] == "*"
            assert (await resp.json())["chat.title"] == "Porozmawiaj z nami"
        async with client.get("/chat/i18n/xx.json") as resp:
            assert resp.status == 404


async def test_the_browser_catalogs_and_i18n_module_are_served(ui_app: RunningApp) -> None:
    """/ui/i18n/ serves i18n.js and one JSON catalog per language."""
    async with ui_app.session() as client:
        async with client.get("/ui/i18n/i18n.js") as resp:
            assert resp.status == 200
            assert "export function t(" in await resp.text()
        async with client.get("/ui/i18n/el.json") as resp:
            assert (await resp.json())["login.submit"] == "Σύνδεση"


async def test_an_unknown_default_language_fails_at_start(start_app: AppStarter,
                                                          settings_factory: Callable[..., Settings]) -> None:
    """[i18n] default_language naming a language without a catalog stops the start with a ConfigError."""
    settings = settings_factory(sections=MappingProxyType({"i18n": MappingProxyType({"default_language": "xx"})}))
    with pytest.raises(ConfigError, match="default_language"):
        await start_app(settings, plugins=[("agent_ui", agent_ui.register)])
