"""Real mail in traditional charsets, broken MIME, big attachments, hostile HTML and auto-replies,
delivered to Dovecot and read by the running app."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from typing import Any

from connectors.email import EMAIL_INGESTS
from contact_center.events import EmailReceived
from contact_center.inbox import INBOX
from tests.integration.email.conftest import EmailApp, EmailAppStarter, email_section
from tests.integration.email.mails import mail
from tests.servers import DovecotForTest, SmtpServer


async def _ingest(app: EmailApp, dovecot: DovecotForTest, *raws: bytes) -> list[dict[str, Any]]:
    """Append *raws* before the app connects; returns the stored messages in order."""
    for raw in raws:
        dovecot.append(dovecot.user, raw)
    await app.running.app[EMAIL_INGESTS][0].connected.wait()
    events = await app.wait_for(EmailReceived, len(raws))
    inbox = app.running.app[INBOX]
    return [(await inbox.conversations.messages(e.conversation_id))[-1] | {"event": e} for e in events]


def _subject_encoded(text: str, charset: str) -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def _legacy(subject: str, body: str, charset: str, sender: str, cte: str = "8bit") -> bytes:
    """A mail as old clients write it: RFC 2047 subject and a body in a legacy charset.

    (windows-1256 Persian uses the Arabic yeh, as Persian text in that charset does.)
    """
    payload = body.encode(charset)
    if cte == "base64":
        payload = base64.encodebytes(payload)
    head = (f"From: {_subject_encoded(sender.split(' <')[0], charset)} <{sender.split('<')[1]}\r\n"
            f"To: support@example.test\r\nSubject: {_subject_encoded(subject, charset)}\r\n"
            f"Message-ID: <{abs(hash(subject))}@legacy.example>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n")
    return head.encode("ascii") + payload


LANGUAGES = [
    ("Παραγγελία 55: λάθος χρώμα", "Καλησπέρα, έλαβα λάθος χρώμα.", "iso-8859-7", "Γιώργος <giorgos@example.gr>"),
    ("Zamówienie: zażółć gęślą jaźń", "Dzień dobry, paczka nie dotarła.", "iso-8859-2", "Łukasz <lukasz@example.pl>"),
    ("سفارش من کجاست؟", "سلام، سفارش من هنوز نرسيده است.", "windows-1256", "رضا <reza@example.ir>"),
    ("Tilaus myöhässä - hinta 20 € - äöå", "Hyvää päivää, tilaukseni on myöhässä.", "iso-8859-15",
     "Päivi <paivi@example.fi>"),
]


async def test_traditional_charsets_are_decoded(dovecot: DovecotForTest, email_app: EmailAppStarter):
    """Greek (ISO-8859-7), Polish (ISO-8859-2), Persian (windows-1256, base64) and Finnish
    (ISO-8859-15) subjects, senders and bodies arrive as the right text."""
    app = await email_app(email_section(dovecot))
    raws = [_legacy(s, b, cs, frm, cte="base64" if cs == "windows-1256" else "8bit") for s, b, cs, frm in LANGUAGES]
    stored = await _ingest(app, dovecot, *raws)
    for message, (subject, body, _, sender) in zip(stored, LANGUAGES, strict=True):
        assert message["subject"] == subject
        assert message["body_text"].strip() == body
        assert message["sender"] == sender.split("<")[1].rstrip(">")
    conv = await app.running.app[INBOX].conversations.get(stored[0]["conversation_id"])
    assert conv["customer_name"] == "Γιώργος"


async def test_html_is_sanitised_and_attachments_are_limited(dovecot: DovecotForTest, email_app: EmailAppStarter):
    """Scripts and handlers vanish from HTML; a small attachment and an inline image are kept and
    downloadable, an oversized one is listed as omitted."""
    app = await email_app(email_section(dovecot, max_attachment_bytes=50_000))
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "eve@example.org", "support@example.test", "See attached"
    msg["Message-ID"] = "<att1@example.org>"
    msg.set_content("Plain version")
    msg.add_alternative('<p onclick="steal()">Hi<script>alert(1)</script><img src="cid:logo1"></p>'
                        '<a href="javascript:evil()">x</a>', subtype="html")
    msg.get_payload()[1].add_related(b"\x89PNG fake image", maintype="image", subtype="png", cid="<logo1>")
    msg.add_attachment(b"small file", maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(b"x" * 60_000, maintype="application", subtype="zip", filename="huge.zip")
    [stored] = await _ingest(app, dovecot, msg.as_bytes())
    assert stored["body_text"].strip() == "Plain version"
    html = stored["body_html"]
    assert "script" not in html
    assert "onclick" not in html
    assert "javascript:" not in html
    assert 'src="cid:logo1"' in html
    by_name = {a["filename"]: a for a in stored["attachments"]}
    assert by_name["huge.zip"]["omitted"]
    assert by_name["huge.zip"]["position"] is None
    assert by_name["invoice.pdf"]["position"] is not None
    [inline] = [a for a in stored["attachments"] if a["content_id"] == "logo1"]
    assert inline["inline"]
    client = await app.running.login("agent_technical_support_1")
    async with client:
        base = f"/api/v1/conversations/{stored['conversation_id']}/messages/{stored['id']}"
        pdf = await client.get(f"{base}/attachments/{by_name['invoice.pdf']['position']}")
        assert await pdf.read() == b"small file"
        assert pdf.headers["Content-Disposition"] == 'attachment; filename="invoice.pdf"'
        assert (await client.get(f"{base}/attachments/9")).status == 404


async def test_malformed_mail_is_kept_raw_and_shown(dovecot: DovecotForTest, email_app: EmailAppStarter):
    """A multipart whose boundary never appears is stored with parse_error and its raw bytes."""
    app = await email_app(email_section(dovecot))
    raw = (b"From: broken@example.org\r\nSubject: broken\r\nMessage-ID: <broken1@example.org>\r\n"
           b"Content-Type: multipart/mixed; boundary=\"nowhere\"\r\n\r\nthis body has no parts at all\r\n")
    [stored] = await _ingest(app, dovecot, raw)
    assert stored["parse_error"]
    assert "this body has no parts" in stored["body_text"]
    assert stored["has_raw"]
    client = await app.running.login("agent_technical_support_1")
    async with client:
        url = f"/api/v1/conversations/{stored['conversation_id']}/messages/{stored['id']}/raw"
        original = await (await client.get(url)).read()
    assert b"this body has no parts at all" in original


async def test_auto_replies_are_flagged_and_never_answered(
    dovecot: DovecotForTest, smtp_server: SmtpServer, email_app: EmailAppStarter,
):
    """An out-of-office and a bounce are stored as automated; nothing is sent back (no mail loop)."""
    app = await email_app(email_section(dovecot, smtp_server))
    ooo = mail("Automatic reply: Your ticket", "I am away.", sender="ann@example.org",
               headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"})
    bounce = mail("Undelivered Mail Returned to Sender", "550 no such user", sender="MAILER-DAEMON@example.org")
    stored = await _ingest(app, dovecot, ooo, bounce)
    assert [m["automated"] for m in stored] == [True, True]
    assert [m["event"].automated for m in stored] == [True, True]
    inbox = app.running.app[INBOX]
    for m in stored:
        messages = await inbox.conversations.messages(m["conversation_id"])
        assert [x["direction"] for x in messages] == ["in"]
    assert smtp_server.attempts == 0
