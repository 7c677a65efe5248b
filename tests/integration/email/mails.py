"""Test mails built the way real clients write them (charsets, multiparts, auto-replies)."""

from __future__ import annotations

import imaplib
from email.message import EmailMessage
from itertools import count

_ids = count(1)


def mail(
    subject: str = "Question",
    body: str = "Hello, I have a question.",
    *,
    sender: str = "Ann Example <ann@example.org>",
    to: str = "support@example.test",
    msgid: str | None = None,
    charset: str = "utf-8",
    headers: dict[str, str] | None = None,
) -> bytes:
    """A text/plain mail; *charset* is used for the body (and the subject via RFC 2047)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = msgid or f"<test.{next(_ids)}.{abs(hash(subject)) % 10**8}@example.org>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body, charset=charset)
    return msg.as_bytes()


def append_all(host: str, port: int, user: str, password: str, raws: list[bytes]) -> None:
    """IMAP APPEND *raws* to INBOX over one connection (the fixture's append logs in per mail)."""
    client = imaplib.IMAP4(host, port, timeout=10)
    client.login(user, password)
    try:
        for raw in raws:
            status, data = client.append("INBOX", None, None, raw)
            if status != "OK":
                raise RuntimeError(f"APPEND failed: {data!r}")
    finally:
        client.logout()
