"""Email delivered to a real Dovecot reaches the inbox through IMAP IDLE, exactly once."""

from __future__ import annotations

from email.message import EmailMessage

from connectors.email import EMAIL_INGESTS
from contact_center.events import EmailReceived
from tests.integration.email.conftest import EmailAppStarter, email_section
from tests.servers import DovecotForTest


def _mail(subject: str, body: str, sender: str = "Ann Example <ann@example.org>", msgid: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@example.test"
    msg["Subject"] = subject
    msg["Message-ID"] = msgid or f"<{abs(hash(subject))}@example.org>"
    msg.set_content(body)
    return msg.as_bytes()


async def test_delivered_mail_becomes_a_visible_conversation(dovecot: DovecotForTest, email_app: EmailAppStarter):
    """A mail delivered over LMTP while the app idles is parsed (in the parser process), stored,
    published and listed by the API."""
    app = await email_app(email_section(dovecot, parse_workers=1))
    await app.running.app[EMAIL_INGESTS][0].connected.wait()
    dovecot.deliver(dovecot.user, _mail("Router broken", "My router blinks red.", msgid="<r1@example.org>"))
    [event] = await app.wait_for(EmailReceived)
    assert event.mailbox == "support"
    assert event.department == "technical_support"
    assert event.new_conversation
    client = await app.running.login("agent_technical_support_1")
    async with client:
        listed = await (await client.get("/api/v1/conversations")).json()
        [conv] = listed["conversations"]
        assert conv["id"] == event.conversation_id
        assert conv["subject"] == "Router broken"
        assert conv["channel"] == "email"
        assert conv["contact_address"] == "ann@example.org"
        messages = (await (await client.get(f"/api/v1/conversations/{conv['id']}/messages")).json())["messages"]
        assert [m["body_text"].strip() for m in messages] == ["My router blinks red."]
    other = await app.running.login("agent_sales_1")
    async with other:
        assert (await (await other.get("/api/v1/conversations")).json())["conversations"] == []
        assert (await other.get(f"/api/v1/conversations/{conv['id']}")).status == 404
