"""Agent replies leave through a real SMTP server, threaded, with retries; customer answers thread back."""

from __future__ import annotations

from typing import Any

from connectors.email import EMAIL_INGESTS
from contact_center.events import EmailReceived, ReplyDelivered
from contact_center.inbox import INBOX
from tests.integration.email.conftest import EmailApp, EmailAppStarter, email_section
from tests.integration.email.mails import mail
from tests.servers import DovecotForTest, SmtpServer


async def _first_mail(app: EmailApp, dovecot: DovecotForTest) -> EmailReceived:
    await app.running.app[EMAIL_INGESTS][0].connected.wait()
    dovecot.deliver(dovecot.user, mail("Invoice 4711 is wrong", "Please check.", msgid="<q1@example.org>",
                                       sender="Bob <Bob@Example.org>"))
    [event] = await app.wait_for(EmailReceived)
    return event


async def _reply(app: EmailApp, conversation_id: int, text: str) -> dict[str, Any]:
    client = await app.running.login("agent_technical_support_1")
    async with client:
        resp = await client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": text})
        assert resp.status == 201, await resp.text()
        return (await resp.json())["message"]


async def test_reply_is_threaded_and_the_answer_joins_the_conversation(
    dovecot: DovecotForTest, smtp_server: SmtpServer, email_app: EmailAppStarter,
):
    """The reply carries the department From, a fresh Message-ID, In-Reply-To/References and the
    subject token; a customer answer with stripped headers still joins by the token."""
    app = await email_app(email_section(dovecot, smtp_server))
    first = await _first_mail(app, dovecot)
    message = await _reply(app, first.conversation_id, "We are on it. Grüße")
    assert message["delivery_status"] == "queued"
    received = await smtp_server.next_message()
    sent = received.message()
    assert received.rcpt_tos == ("bob@example.org",)
    assert sent["From"].addresses[0].addr_spec == "technical_support@example.test"
    assert sent["In-Reply-To"] == "<q1@example.org>"
    assert sent["References"] == "<q1@example.org>"
    assert sent["Message-ID"] not in ("<q1@example.org>", None)
    assert f"[#{first.conversation_id}-" in sent["Subject"]
    assert sent["Subject"].startswith("Re: Invoice 4711 is wrong")
    assert "Grüße" in sent.get_content()
    [delivered] = await app.wait_for(ReplyDelivered)
    assert delivered.ok

    # The customer's client drops In-Reply-To/References but keeps the subject.
    dovecot.deliver(dovecot.user, mail("AW: " + sent["Subject"], "Thanks!", sender="bob@example.org",
                                       msgid="<q2@example.org>"))
    second = (await app.wait_for(EmailReceived, 2))[1]
    assert second.conversation_id == first.conversation_id
    assert not second.new_conversation
    # A proper reply threads by In-Reply-To even with a different subject.
    dovecot.deliver(dovecot.user, mail("something else", "One more thing", sender="bob@example.org",
                                       msgid="<q3@example.org>", headers={"In-Reply-To": sent["Message-ID"]}))
    third = (await app.wait_for(EmailReceived, 3))[2]
    assert third.conversation_id == first.conversation_id
    client = await app.running.login("supervisor")
    async with client:
        doc = await (await client.get(f"/api/v1/conversations/{first.conversation_id}/messages")).json()
    assert [m["direction"] for m in doc["messages"]] == ["in", "out", "in", "in"]
    assert doc["messages"][1]["delivery_status"] == "sent"


async def test_temporary_failure_is_retried_until_sent(
    dovecot: DovecotForTest, smtp_server: SmtpServer, email_app: EmailAppStarter,
):
    """Two 451 answers, then success: the reply is sent once, after three attempts."""
    app = await email_app(email_section(dovecot, smtp_server))
    first = await _first_mail(app, dovecot)
    smtp_server.fail_next(2)
    message = await _reply(app, first.conversation_id, "Retry me")
    [delivered] = await app.wait_for(ReplyDelivered)
    assert delivered.ok
    assert smtp_server.attempts == 3
    assert len(smtp_server.messages) == 1
    stored = await app.running.app[INBOX].conversations.message(message["id"])
    assert stored["delivery_status"] == "sent"
    assert stored["delivery_attempts"] == 3


async def test_permanent_failure_is_visible_to_the_agent(
    dovecot: DovecotForTest, smtp_server: SmtpServer, email_app: EmailAppStarter,
):
    """A 554 marks the reply failed at once, with the server's answer as the error."""
    app = await email_app(email_section(dovecot, smtp_server))
    first = await _first_mail(app, dovecot)
    smtp_server.reject_all()
    message = await _reply(app, first.conversation_id, "Never arrives")
    [delivered] = await app.wait_for(ReplyDelivered)
    assert not delivered.ok
    assert "554" in (delivered.error or "")
    client = await app.running.login("agent_technical_support_1")
    async with client:
        doc = await (await client.get(f"/api/v1/conversations/{first.conversation_id}/messages")).json()
    [out] = [m for m in doc["messages"] if m["id"] == message["id"]]
    assert out["delivery_status"] == "failed"
    assert "554" in out["delivery_error"]
    assert smtp_server.messages == []
