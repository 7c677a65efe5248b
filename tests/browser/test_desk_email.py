"""Email in the desk, in Chromium: delivered to a real Dovecot, offered, answered, threaded over SMTP."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

from playwright.sync_api import expect

from tests.browser.conftest import PageFactory, WorldStarter, login, screenshot
from tests.browser.world import MARIA, AppThread
from tests.servers import DovecotForTest, SmtpServer

AGENT = "agent_technical_support_1"


def email_config(dovecot: DovecotForTest, smtp: SmtpServer) -> str:
    """The ``[email]`` TOML for the test mailbox and SMTP server."""
    return f"""
[email]
reconnect_min_seconds = 0.05
reconnect_max_seconds = 0.5
[[email.mailboxes]]
name = "support"
host = "{dovecot.host}"
port = {dovecot.imap_port}
security = "none"
user = "{dovecot.user}"
password = "{dovecot.password}"
department = "technical_support"
timeout_seconds = 5
[email.smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "none"
from_address = "help@example.test"
retry_min_seconds = 0.05
retry_max_seconds = 0.2
poll_seconds = 0.2
max_attempts = 4
"""


def customer_email(message_id: str) -> EmailMessage:
    """Maria's question, as text and (hostile) HTML."""
    msg = EmailMessage()
    msg["From"] = f"{MARIA['name']} <{MARIA['email']}>"
    msg["To"] = "support@example.test"
    msg["Subject"] = "Router drops Wi-Fi every evening — not working"
    msg["Message-ID"] = message_id
    msg.set_content("Hello,\n\nmy HomeLink R300 router drops the Wi-Fi every evening around 8.\n\nMaria")
    msg.add_alternative(
        "<p>Hello,</p><p>my <b>HomeLink R300</b> router drops the Wi-Fi every evening around 8.</p>"
        "<script>document.title = 'pwned'</script><img src=x onerror=\"document.title='pwned'\">"
        "<p>Kind regards,<br>Maria</p>", subtype="html")
    return msg


def test_email_is_offered_answered_and_the_reply_is_threaded(
    start_world: WorldStarter, new_page: PageFactory, dovecot: DovecotForTest, app_thread: AppThread,
) -> None:
    """An email lands in the inbox and is offered; the agent accepts with A, replies, wraps up."""
    smtp = SmtpServer()
    app_thread.call(smtp.start())
    try:
        world = start_world(email_config(dovecot, smtp))
        page = new_page(world.url)
        login(page, AGENT)
        message_id = make_msgid(domain="example.org")
        dovecot.deliver(dovecot.mailbox, customer_email(message_id))

        offer = page.locator(".alert.offer")
        expect(offer).to_contain_text("Router drops Wi-Fi every evening")
        expect(page.locator("#inbox-list")).to_contain_text("Router drops Wi-Fi every evening")
        screenshot(page, "desk-email-offer")
        page.keyboard.press("a")  # accept by keyboard

        conversation = page.locator("section.conversation")
        expect(conversation.locator("#conv-title")).to_contain_text("Router drops Wi-Fi every evening")
        expect(page.locator("#pop-title")).to_have_text(MARIA["name"])
        mail = page.frame_locator("iframe.mail-frame").first
        expect(mail.locator("b")).to_have_text("HomeLink R300")
        expect(mail.locator("script")).to_have_count(0)
        assert page.title() != "pwned"

        page.locator("#canned-select").select_option(label="Greeting")
        composer = page.get_by_label(f"Reply to {MARIA['email']}", exact=True)  # the address the reply goes to
        expect(page.locator("#composer-reply-to")).to_have_count(0)  # no Reply-To elsewhere
        expect(composer).to_have_value(f"Hello {MARIA['name']},\n\nthank you for contacting us. ")
        composer.press("End")
        composer.type("Please update the router firmware to 2.4; that fixes the evening drop-outs.")
        composer.press("Control+Enter")

        reply = conversation.locator(".msg.dir-out")
        expect(reply).to_contain_text("firmware to 2.4")
        expect(reply.locator(".pill")).to_have_text("Sent")
        received = app_thread.call(smtp.next_message(timeout=10)).message()
        assert received["In-Reply-To"] == message_id
        assert message_id in received["References"]
        assert received["To"] == MARIA["email"] or MARIA["email"] in received["To"]
        assert "firmware to 2.4" in received.get_body(("plain",)).get_content()

        page.get_by_label("Internal note").check()
        page.get_by_label("Internal note (only agents see it)").fill("Customer also has overdue invoices.")
        page.get_by_role("button", name="Add note").click()
        expect(conversation.locator(".msg.dir-note")).to_contain_text("overdue invoices")
        screenshot(page, "desk-email", full_page=False)

        page.get_by_label("Outcome").select_option("resolved")
        page.get_by_role("button", name="Wrap up and close").click()
        expect(conversation.locator("#conv-status")).to_have_text("Closed")
        expect(conversation.locator(".closed-note")).to_contain_text("Resolved")
    finally:
        app_thread.call(smtp.stop())
