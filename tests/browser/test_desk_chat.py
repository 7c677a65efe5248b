"""Web chat, live in two browsers: a visitor on the widget's demo page and an agent on the desk."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, login, screenshot
from tests.browser.world import JONAS, World

AGENT = "agent_sales_1"


def test_visitor_chats_through_the_widget_and_the_agent_answers_live(world: World, new_page: PageFactory) -> None:
    """The visitor's message is offered to a sales agent, who replies; both sides update live."""
    desk = new_page(world.url)
    login(desk, AGENT)
    visitor = new_page(world.url, viewport={"width": 900, "height": 700})
    visitor.goto("/chat/demo?topic=sales")
    visitor.get_by_role("button", name="Chat with us").click()
    visitor.wait_for_function("window.ContactCenterChat && window.ContactCenterChat.connected()")
    visitor.evaluate("([name, email]) => window.ContactCenterChat.identify(name, email)",
                     [JONAS["name"], JONAS["email"]])
    message = visitor.get_by_label("Message")
    message.fill("Hi! I'd like to order a second mesh extender for my R300.")
    message.press("Enter")

    offer = desk.locator(".alert.offer.ch-chat")
    expect(offer).to_contain_text("New chat")
    offer.get_by_role("button", name="Accept").click()
    conversation = desk.locator("section.conversation")
    expect(conversation.locator(".msg.dir-in")).to_contain_text("second mesh extender")
    expect(desk.locator("#pop-title")).to_have_text(JONAS["name"])

    reply = desk.get_by_label(f"Reply to {JONAS['name']}")
    reply.fill("Of course! The HomeLink Mesh Extender is in stock; shall I add it to your account?")
    desk.get_by_role("button", name="Send chat message").click()
    expect(conversation.locator(".msg.dir-out")).to_contain_text("in stock")
    expect(visitor.locator(".cc-msg.cc-agent")).to_contain_text("The HomeLink Mesh Extender is in stock")

    screenshot(desk, "desk-chat")
    screenshot(visitor, "chat-widget")

    hostile = "<img src=x onerror=\"document.title='pwned'\"> Yes please, thank you!"
    message.fill(hostile)
    message.press("Enter")
    expect(conversation.locator(".msg.dir-in")).to_have_count(2)
    expect(conversation.locator(".msg.dir-in .msg-text").last).to_have_text(hostile)  # shown as text
    expect(conversation.locator(".msg img")).to_have_count(0)
    assert desk.title() != "pwned"
