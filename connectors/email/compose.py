"""Building an agent's reply as an email: pure (headers decided once, before the first send).

The reply goes out from the department's address (or the configured fallback), to the address
the customer asked replies to go to, with a fresh ``Message-ID`` and ``In-Reply-To`` /
``References`` naming the thread, so the customer's mail client threads it; the subject carries
the conversation token so a reply joins the conversation even when a client drops those headers.
"""

from __future__ import annotations

import datetime as dt
import secrets
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

from connectors.email.threading import references_header, reply_subject
from contact_center.inbox.outbound import ReplyContext


class NotAddressable(ValueError):
    """The reply has no usable recipient or sender address; it can never be sent."""


def new_message_id(from_address: str) -> str:
    """A fresh, globally unique ``<…@domain>`` in the sender's domain."""
    domain = from_address.rpartition("@")[2] or "contact-center.invalid"
    return f"<cc.{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}.{secrets.token_hex(12)}@{domain}>"


def plan_headers(ctx: ReplyContext, *, fallback_from: str | None, sender_name: str | None) -> dict[str, Any]:
    """The headers of a new reply on *ctx*'s conversation (stored with the message, reused on retry).

    Raises:
        NotAddressable: no customer address, or neither a department nor a fallback sender address.
    """
    from_address = ctx.department_address or fallback_from
    if not from_address:
        raise NotAddressable("no From address: give the department an email address or set email.smtp.from_address")
    if not ctx.customer_address:
        raise NotAddressable("the conversation has no customer email address to reply to")
    message_id = new_message_id(from_address)
    subject = reply_subject(ctx.subject, ctx.conversation_id, ctx.key) if ctx.key else f"Re: {ctx.subject or ''}"
    return {
        "message_id": message_id,
        "from": from_address,
        "from_name": sender_name or ctx.department_name or "",
        "to": ctx.customer_address,
        "subject": subject,
        "in_reply_to": ctx.last_inbound_id or (ctx.thread[-1] if ctx.thread else None),
        "references": references_header(ctx.thread) or None,
        "date": format_datetime(dt.datetime.now(dt.UTC)),
    }


def _address(display: str, address: str) -> Address:
    local, _, domain = address.partition("@")
    return Address(display_name=display, username=local, domain=domain)


def build_reply(headers: dict[str, Any], text: str) -> EmailMessage:
    """The MIME message for planned *headers* and the agent's *text* (UTF-8, quoted-printable)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _address(headers.get("from_name") or "", headers["from"])
    msg["To"] = headers["to"]
    msg["Subject"] = headers["subject"]
    msg["Date"] = headers["date"]
    msg["Message-ID"] = headers["message_id"]
    if headers.get("in_reply_to"):
        msg["In-Reply-To"] = headers["in_reply_to"]
    if headers.get("references"):
        msg["References"] = headers["references"]
    msg["MIME-Version"] = "1.0"
    msg.set_content(text, charset="utf-8", cte="quoted-printable")
    return msg
