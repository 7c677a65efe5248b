"""Mail as real clients send it, delivered to a real Dovecot and read by the running app: raw 8-bit
headers, Outlook replies threaded by Thread-Index or by subject, bounces, and senders whose display
name pretends to be someone else (issue 14, mail; issue 15, item 1)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from sqlalchemy import select, update

from connectors.email import EMAIL_INGESTS
from contact_center.events import EmailReceived
from contact_center.inbox import INBOX
from contact_center.store.tables import Conversation, Message
from tests.integration.email.conftest import EmailApp, EmailAppStarter, email_section
from tests.integration.email.mails import mail
from tests.servers import DovecotForTest


async def _deliver(app: EmailApp, dovecot: DovecotForTest, *raws: bytes) -> list[dict[str, Any]]:
    """Deliver *raws* one after the other (each stored before the next arrives); their stored messages."""
    await app.running.app[EMAIL_INGESTS][0].connected.wait()
    inbox = app.running.app[INBOX]
    out = []
    for raw in raws:
        before = len(app.of(EmailReceived))
        dovecot.append(dovecot.user, raw)
        event = (await app.wait_for(EmailReceived, before + 1))[before]
        messages = await inbox.conversations.messages(event.conversation_id)
        out.append(next(m for m in messages if m["id"] == event.message_id))
    return out


def _raw(head: str, body: str = "Hello", *, head_charset: str = "utf-8", declared: str | None = "utf-8") -> bytes:
    """A text/plain mail whose header block is raw 8-bit text in *head_charset* (no encoded-words)."""
    ctype = f"Content-Type: text/plain; charset={declared}\r\nContent-Transfer-Encoding: 8bit\r\n" if declared else ""
    text = head.strip().replace("\n", "\r\n") + f"\r\nMIME-Version: 1.0\r\n{ctype}\r\n"
    return text.encode(head_charset) + body.encode(declared or "ascii") + b"\r\n"


async def test_raw_8bit_headers_are_stored_as_written(dovecot: DovecotForTest, email_app: EmailAppStarter) -> None:
    """Raw 8-bit UTF-8 Subject and From name are stored as written; non-UTF-8 raw headers are read in the
    message's own charset, else in the configured legacy charset (never as U+FFFD)."""
    app = await email_app(email_section(dovecot, legacy_charset="windows-1250"))
    utf8, own, legacy = await _deliver(
        app, dovecot,
        _raw("From: Zoë Łukasiewicz <zoe@example.pl>\nTo: support@example.test\n"
             "Subject: Zamówienie 77: zażółć gęślą jaźń — ΑΒΓ\nMessage-ID: <raw8@example.pl>"),
        _raw("From: Γιώργος <g@example.gr>\nTo: support@example.test\nSubject: Παραγγελία 55\n"
             "Message-ID: <gr8@example.gr>", "Καλησπέρα", head_charset="iso-8859-7", declared="iso-8859-7"),
        _raw("From: Łucja <l@example.pl>\nTo: support@example.test\nSubject: Reklamacja: źle\n"
             "Message-ID: <pl8@example.pl>", head_charset="windows-1250", declared=None))
    assert (utf8["subject"], utf8["from"]) == ("Zamówienie 77: zażółć gęślą jaźń — ΑΒΓ",
                                              {"name": "Zoë Łukasiewicz", "address": "zoe@example.pl"})
    assert (own["subject"], own["from"]["name"], own["body_text"].strip()) == ("Παραγγελία 55", "Γιώργος", "Καλησπέρα")
    assert (legacy["subject"], legacy["from"]["name"]) == ("Reklamacja: źle", "Łucja")
    conv = await app.running.app[INBOX].conversations.get(utf8["conversation_id"])
    assert conv["customer_name"] == "Zoë Łukasiewicz"


def _thread_index(head: bytes, *children: bytes) -> str:
    return base64.b64encode(head + b"".join(children)).decode()


async def test_outlook_reply_with_only_thread_index_joins_its_conversation(
    dovecot: DovecotForTest, email_app: EmailAppStarter,
) -> None:
    """An Outlook reply carrying Thread-Index/Thread-Topic but no In-Reply-To/References joins the thread,
    even under another subject; another thread's mail does not."""
    app = await email_app(email_section(dovecot, subject_thread_days=0))
    head = bytes.fromhex("01d9f2a3b4c5") + bytes(range(16))
    first, reply, other = await _deliver(
        app, dovecot,
        mail("Broken router", "It blinks red.", msgid="<o1@example.org>",
             headers={"Thread-Index": _thread_index(head), "Thread-Topic": "Broken router"}),
        mail("Photos of the router", "See the photos.", msgid="<o2@example.org>",
             headers={"Thread-Index": _thread_index(head, b"\x00\x01\x02\x03\x04"), "Thread-Topic": "Broken router"}),
        mail("Broken router", "Another matter.", msgid="<o3@example.org>",
             headers={"Thread-Index": _thread_index(bytes(22)), "Thread-Topic": "Broken router"}))
    assert reply["conversation_id"] == first["conversation_id"]
    assert other["conversation_id"] != first["conversation_id"]


async def test_subject_rule_with_localised_prefixes_stays_with_the_customer(
    dovecot: DovecotForTest, email_app: EmailAppStarter,
) -> None:
    """Replies without any threading header (Re:/AW:/VS:/Odp:/SV:/Απ:/RE:) join the same customer's conversation
    by subject; the same subject from another customer, a subject without a reply prefix, or a reply after the
    window opens a new conversation."""
    app = await email_app(email_section(dovecot, subject_thread_days=14))
    ann = "Ann Example <ann@example.org>"
    original, *replies = await _deliver(
        app, dovecot, mail("Invoice 42", "Where is it?", sender=ann),
        *(mail(f"{prefix} Invoice 42", "Still waiting.", sender=ann)
          for prefix in ("Re:", "AW:", "VS:", "Odp:", "SV:", "Απ:", "RE: RE:")))
    assert {r["conversation_id"] for r in replies} == {original["conversation_id"]}
    stranger, fresh = await _deliver(
        app, dovecot, mail("Re: Invoice 42", "Me too?", sender="Eve <eve@example.net>"),
        mail("Invoice 42", "A new question about it.", sender=ann))
    assert stranger["conversation_id"] != original["conversation_id"]
    assert fresh["conversation_id"] != original["conversation_id"]
    async with app.running.db.session() as s:  # the customer's thread last heard of 20 days ago
        await s.execute(update(Message).where(Message.conversation_id.in_(
            (original["conversation_id"], fresh["conversation_id"])))
            .values(created_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=20)))
        await s.commit()
    (late,) = await _deliver(app, dovecot, mail("AW: Invoice 42", "Hello again.", sender=ann))
    assert late["conversation_id"] not in (original["conversation_id"], fresh["conversation_id"])


async def test_bounce_keeps_its_delivery_status_readable(dovecot: DovecotForTest, email_app: EmailAppStarter) -> None:
    """A bounce's message/delivery-status part is kept as a readable text part; no blank lines in the text."""
    app = await email_app(email_section(dovecot))
    bounce = (b"From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\nTo: support@example.test\r\n"
              b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@mx.example>\r\n"
              b"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
              b'Content-Type: multipart/report; report-type=delivery-status; boundary="B1"\r\n\r\n'
              b"--B1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
              b"I'm sorry to have to inform you that your message could not be delivered.\r\n"
              b"--B1\r\nContent-Type: message/delivery-status\r\n\r\n"
              b"Reporting-MTA: dns; mx.example\r\nArrival-Date: Mon, 7 Dec 2026 10:00:00 +0000\r\n\r\n"
              b"Final-Recipient: rfc822; nobody@customer.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
              b"Diagnostic-Code: smtp; 550 5.1.1 <nobody@customer.example>: user unknown\r\n\r\n"
              b"--B1--\r\n")
    (stored,) = await _deliver(app, dovecot, bounce)
    assert stored["body_text"].strip() == "I'm sorry to have to inform you that your message could not be delivered."
    assert stored["automated"] is True
    (status,) = stored["attachments"]
    assert (status["filename"], status["content_type"]) == ("delivery-status.txt", "message/delivery-status")
    url = f"/api/v1/conversations/{stored['conversation_id']}/messages/{stored['id']}/attachments/0"
    async with await app.running.login("supervisor") as client, client.get(url) as resp:
        text = (await resp.read()).decode()
    assert "Final-Recipient: rfc822; nobody@customer.example\nAction: failed\nStatus: 5.1.1" in text


async def test_spoofed_display_name_does_not_make_the_sender_a_customer(
    dovecot: DovecotForTest, email_app: EmailAppStarter,
) -> None:
    """Issue 15 item 1: From "=?utf-8?q?Ann_<ann@…>?=" <attacker@…> is filed as the attacker, not as Ann; the API
    flags the claimed address, shows the real one and the differing Reply-To, and failed DMARC is reported."""
    app = await email_app(email_section(dovecot))
    (genuine,) = await _deliver(app, dovecot, mail("Order", "Hi", sender="Ann Example <ann@customer.example>"))
    spoof = (b"Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=evil.example; "
             b"dmarc=fail header.from=evil.example\r\n"
             b"From: =?utf-8?q?Ann_Example_=3Cann=40customer.example=3E?= <attacker@evil.example>\r\n"
             b"Reply-To: =?utf-8?q?Ann?= <collect@evil.example>\r\nTo: support@example.test\r\n"
             b"Subject: New bank details\r\nMessage-ID: <spoof1@evil.example>\r\n\r\nPlease pay to this account.\r\n")
    (stored,) = await _deliver(app, dovecot, spoof)
    assert stored["from"] == {"name": "Ann Example <ann@customer.example>", "address": "attacker@evil.example"}
    assert stored["from_claimed"] == "ann@customer.example"
    assert stored["reply_to"] == "collect@evil.example"
    assert stored["auth_failed"] == ["dmarc"]
    async with app.running.db.session() as s:
        customers = dict((await s.execute(select(Conversation.id, Conversation.customer_id).where(
            Conversation.id.in_((genuine["conversation_id"], stored["conversation_id"]))))).all())
    assert customers[stored["conversation_id"]] != customers[genuine["conversation_id"]]
