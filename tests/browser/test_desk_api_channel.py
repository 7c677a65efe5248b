"""The API channel on the desk: a messaging bridge's message is offered like a chat, the agent
answers in the same thread and reply box, and the reply reaches the bridge's webhook signed."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, WorldStarter, login, screenshot
from tests.browser.world import MARIA, AppThread
from tests.webhook_receiver import WebhookReceiver

AGENT = "agent_sales_1"
TOKEN = "browser-bridge-token-0042"
SECRET = "browser-bridge-secret-0042"


def _bridge_config(receiver_url: str) -> str:
    return "\n".join([
        "[api_channel]", "retry_min_seconds = 0.05", "retry_max_seconds = 0.2", "poll_seconds = 0.05",
        "[[api_channels]]", 'name = "whatsapp"', 'department = "sales"', f'webhook_url = "{receiver_url}"',
        f'token = "{TOKEN}"', f'secret = "{SECRET}"',
    ]) + "\n"


def _post_message(url: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(url + "/api/v1/channels/1/messages", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
                                     method="POST")
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
        return json.loads(resp.read())  # type: ignore[no-any-return]


def test_a_bridge_conversation_is_answered_on_the_desk(start_world: WorldStarter, app_thread: AppThread,
                                                       new_page: PageFactory, tmp_path: Path) -> None:
    """A WhatsApp message from a known customer is offered, shown as a thread with her pop, and the
    agent's reply is delivered to the bridge's receiver (after one refused attempt), signed."""
    receiver = app_thread.call(WebhookReceiver(secret=SECRET, fail_first=1).start())
    try:
        world = start_world(_bridge_config(receiver.url))
        desk = new_page(world.url)
        login(desk, AGENT)
        _post_message(world.url, {"message_id": "wamid.browser-1",
                                  "sender": {"phone": MARIA["phone"], "name": MARIA["name"]},
                                  "text": "Hello, can I add a second mesh extender to my order?"})

        offer = desk.locator(".alert.offer.ch-api")
        expect(offer).to_contain_text("New messaging")
        offer.get_by_role("button", name="Accept").click()
        conversation = desk.locator("section.conversation")
        expect(conversation.locator(".msg.dir-in")).to_contain_text("second mesh extender")
        expect(desk.locator("#pop-title")).to_have_text(MARIA["name"])
        expect(desk.locator("#inbox-list")).to_contain_text(MARIA["name"])

        desk.get_by_label(f"Reply to {MARIA['name']}").fill("Yes! I have added it; it ships tomorrow.")
        desk.locator("#composer-send").click()
        expect(conversation.locator(".msg.dir-out")).to_contain_text("ships tomorrow")
        screenshot(desk, "desk-api-channel")

        [delivery] = app_thread.call(receiver.wait_accepted())
        assert delivery.signed
        assert delivery.body["message"]["text"] == "Yes! I have added it; it ships tomorrow."
        assert delivery.body["recipient"] == {"phone": "+49305550123"}
        assert delivery.body["in_reply_to"] == "wamid.browser-1"
        assert [d.status for d in receiver.deliveries] == [503, 200]
    finally:
        app_thread.call(receiver.stop())
