"""The admin console's API channels section: a bridge made there works at once, its token is shown once."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, WorldStarter
from tests.conftest import PASSWORD


def _post_message(url: str, path: str, token: str, message_id: str) -> int:
    body = {"message_id": message_id, "sender": {"phone": "+49305550199", "name": "Jonas Weber"},
            "text": "Is my parcel on its way?"}
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status  # type: ignore[no-any-return]
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code


def test_an_admin_adds_a_bridge_whose_token_works_and_reads_its_delivery_log(
        start_world: WorldStarter, new_page: PageFactory) -> None:
    """A bridge added in the console shows its token and secret once; the token is accepted for the
    bridge's inbound messages; it is gone when the section is drawn again; the delivery log renders; a
    rotated token is shown once and works while the old one is refused."""
    world = start_world()
    page = new_page(world.url)
    page.goto("/admin#apichannels")
    sign_in = page.locator("#login-form")
    sign_in.get_by_label("Username").fill("admin")
    sign_in.get_by_label("Password").fill(PASSWORD)
    sign_in.get_by_role("button", name="Sign in").click()
    expect(page.locator("#section h2")).to_have_text("API channels")

    new = page.get_by_role("form", name="New bridge")
    new.get_by_label("Bridge name").fill("whatsapp")
    new.get_by_label("Department").select_option("sales")
    new.get_by_label("Webhook URL").fill("https://bridge.example.test/hook")
    new.get_by_role("button", name="Add bridge").click()

    shown = page.get_by_role("alert").filter(has_text="shown only this once")
    expect(shown).to_be_visible()
    token = shown.get_by_label("Inbound token").input_value()
    assert len(token) >= 20
    assert shown.get_by_label("Signing secret").input_value()
    path = shown.get_by_label("Address for the bridge's messages").input_value()
    assert path.startswith("/api/v1/channels/")
    assert path.endswith("/messages")
    expect(page.get_by_role("table").first).to_contain_text("https://bridge.example.test/hook")

    assert _post_message(world.url, path, token, "wamid.console-1") == 200

    page.get_by_role("navigation", name="Console sections").get_by_role("button", name="Users").click()
    page.get_by_role("navigation", name="Console sections").get_by_role("button", name="API channels").click()
    expect(page.locator("#section h2")).to_have_text("API channels")
    expect(page.get_by_role("alert").filter(has_text="shown only this once")).to_have_count(0)
    bridge = page.get_by_role("region", name="whatsapp")
    bridge.get_by_role("button", name="Delivery log").click()
    log = bridge.get_by_role("table")
    expect(log.get_by_role("columnheader")).to_have_text(["Time", "Attempt", "Status code", "Outcome", "Error"])
    expect(log).to_contain_text("No deliveries yet.")

    bridge.get_by_role("button", name="Rotate token").click()
    rotated = page.get_by_role("alert").filter(has_text="shown only this once").get_by_label("Inbound token")
    expect(rotated).to_be_focused()
    new_token = rotated.input_value()
    assert new_token != token
    assert _post_message(world.url, path, new_token, "wamid.console-2") == 200
    assert _post_message(world.url, path, token, "wamid.console-3") == 401
