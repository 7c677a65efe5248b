"""Mail over TLS against real servers: Dovecot with a self-signed certificate (IMAPS and STARTTLS)
and aiosmtpd requiring STARTTLS or speaking implicit TLS. The certificate is trusted through the
mailbox's ``ca_file``; without it the connection is refused before any password is sent."""

from __future__ import annotations

import ssl
from typing import Any

import pytest

from connectors.email.config import load_email_config
from connectors.email.imap_session import ImapError, open_session
from contact_center.events import EmailReceived, ReplyDelivered
from tests.integration.email.conftest import EmailApp, EmailAppStarter, email_section
from tests.integration.email.mails import mail
from tests.servers import DovecotForTest, DovecotServer, SmtpServer
from tests.servers import SmtpFactory as SmtpStarter


def _tls_section(server: DovecotServer, box: DovecotForTest, security: str, *, trusted: bool = True,
                 smtp: SmtpServer | None = None) -> dict[str, Any]:
    """An ``[email]`` section reading *box* on the TLS Dovecot with *security* (tls | starttls)."""
    assert server.certificate is not None
    section = email_section(box, smtp)
    section["mailboxes"][0].update(
        port=server.imaps_port if security == "tls" else server.imap_port, security=security,
        ca_file=str(server.certificate.cert) if trusted else "")
    return section


@pytest.fixture
def tls_box(tls_dovecot_server: DovecotServer) -> DovecotForTest:
    """A mailbox of this test's own on the TLS Dovecot."""
    return DovecotForTest(tls_dovecot_server)


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_mailbox_over_tls_is_read(
    security: str, tls_dovecot_server: DovecotServer, tls_box: DovecotForTest, email_app: EmailAppStarter,
):
    """With the CA trusted, the ingest logs in over IMAPS or after STARTTLS and stores new mail."""
    app = await email_app(_tls_section(tls_dovecot_server, tls_box, security))
    tls_box.deliver(tls_box.user, mail(f"Over {security}", "Sent to a TLS mailbox",
                                       msgid=f"<tls-{security}@example.org>"))
    [event] = await app.wait_for(EmailReceived)
    assert event.subject == f"Over {security}"


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_untrusted_certificate_is_refused(
    security: str, tls_dovecot_server: DovecotServer, tls_box: DovecotForTest,
):
    """Without ``ca_file`` the self-signed certificate fails verification: no session, no login."""
    config = load_email_config(_tls_section(tls_dovecot_server, tls_box, security, trusted=False))
    with pytest.raises(ssl.SSLCertVerificationError):
        await open_session(config.mailboxes[0])


async def test_starttls_required_but_not_offered_never_falls_back_to_plain(dovecot: DovecotForTest):
    """A server without STARTTLS (the plain test Dovecot) is refused before LOGIN is sent."""
    section = email_section(dovecot)
    section["mailboxes"][0]["security"] = "starttls"
    config = load_email_config(section)
    with pytest.raises(ImapError, match="does not offer STARTTLS"):
        await open_session(config.mailboxes[0])


async def _reply_through(app: EmailApp, box: DovecotForTest) -> ReplyDelivered:
    box.deliver(box.user, mail("Please call back", "Thanks", msgid="<tls-reply@example.org>"))
    [received] = await app.wait_for(EmailReceived)
    client = await app.running.login("agent_technical_support_1")
    async with client:
        resp = await client.post(f"/api/v1/conversations/{received.conversation_id}/messages",
                                 json={"text": "We will call you today."})
        assert resp.status == 201, await resp.text()
    [delivered] = await app.wait_for(ReplyDelivered)
    return delivered


@pytest.mark.parametrize("implicit", [False, True], ids=["starttls", "implicit-tls"])
async def test_reply_is_sent_encrypted_and_authenticated(
    implicit: bool, tls_dovecot_server: DovecotServer, tls_box: DovecotForTest,
    smtp_factory: SmtpStarter, email_app: EmailAppStarter,
):
    """The outbox upgrades with STARTTLS (or connects with TLS), verifies the certificate, then logs in."""
    assert tls_dovecot_server.certificate is not None
    smtp = await smtp_factory(credentials=("relay", "relay-secret"), certificate=tls_dovecot_server.certificate,
                              implicit_tls=implicit)
    section = _tls_section(tls_dovecot_server, tls_box, "tls", smtp=smtp)
    section["smtp"].update(security="tls" if implicit else "starttls", user="relay", password="relay-secret",
                           ca_file=str(tls_dovecot_server.certificate.cert))
    app = await email_app(section)
    delivered = await _reply_through(app, tls_box)
    assert delivered.ok, delivered.error
    [sent] = smtp.messages
    assert sent.encrypted
    assert sent.message()["In-Reply-To"] == "<tls-reply@example.org>"


async def test_reply_to_an_untrusted_smtp_server_is_not_sent(
    tls_dovecot_server: DovecotServer, tls_box: DovecotForTest, smtp_factory: SmtpStarter,
    email_app: EmailAppStarter,
):
    """An SMTP certificate that does not verify makes the reply fail visibly; nothing is handed over."""
    smtp = await smtp_factory(certificate=tls_dovecot_server.certificate)
    section = _tls_section(tls_dovecot_server, tls_box, "tls", smtp=smtp)
    section["smtp"].update(security="starttls", max_attempts=2)
    app = await email_app(section)
    delivered = await _reply_through(app, tls_box)
    assert not delivered.ok
    assert "certificate" in (delivered.error or "").lower()
    assert smtp.messages == []
