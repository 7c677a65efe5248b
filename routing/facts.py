"""What the rules can see about a contact: built from its event, the store and customer data."""

from __future__ import annotations

from typing import Any

from contact_center.events import CallRang, EmailReceived, MessageReceived
from routing.customer_data import CustomerDataReader
from routing.rules import Facts
from routing.store import ConversationInfo, RoutingRepository

MAX_BODY_CHARS = 20_000  # rules look at the start of long emails only


class FactsBuilder:
    """Loads the rule fields (see :data:`routing.rules.FIELDS`) for one contact."""

    def __init__(self, *, repository: RoutingRepository, customer_data: CustomerDataReader) -> None:
        self._repository = repository
        self._customer_data = customer_data

    async def _with_customer(self, info: ConversationInfo, values: dict[str, Any]) -> Facts:
        values.update(await self._customer_data.facts(info.customer_id, info.id))
        return Facts(values)

    async def email(self, event: EmailReceived, info: ConversationInfo) -> Facts:
        first = await self._repository.first_message(info.id)
        recipients = first.get("recipients")
        return await self._with_customer(info, {
            "channel": "email",
            "subject": event.subject or first.get("subject") or info.subject,
            "body": (first.get("body") or "")[:MAX_BODY_CHARS],
            "mailbox": event.mailbox,
            "email_to": recipients,
            "to": recipients,
            "from": info.contact_address,
            "automated": event.automated,
        })

    async def message(self, event: MessageReceived, info: ConversationInfo) -> Facts:
        """Facts of a message on a messaging channel (web chat, a messaging bridge)."""
        return await self._with_customer(info, {
            "channel": event.channel,
            "chat_topic": event.topic,
            "body": event.text[:MAX_BODY_CHARS],
            "subject": info.subject,
            "from": info.contact_address or event.sender_id,
        })

    async def call(self, event: CallRang, info: ConversationInfo, dtmf: str | None = None) -> Facts:
        return await self._with_customer(info, {
            "channel": "call",
            "to": event.to_number,
            "from": event.from_number,
            "dtmf": dtmf,
        })

    async def stored(self, info: ConversationInfo, dtmf: str | None = None) -> Facts:
        """Facts from the store alone (re-routing on IVR digits, rebuilding after a restart)."""
        values: dict[str, Any] = {"channel": info.channel, "subject": info.subject, "from": info.contact_address}
        if info.channel == "call":
            call = await self._repository.call_info(info.id)
            values.update({"to": call.get("to"), "from": call.get("from") or info.contact_address,
                           "dtmf": dtmf or call.get("dtmf"), "queue": call.get("queue")})
        else:
            first = await self._repository.first_message(info.id)
            values.update({"subject": first.get("subject") or info.subject,
                           "body": (first.get("body") or "")[:MAX_BODY_CHARS],
                           "email_to": first.get("recipients"), "to": first.get("recipients"),
                           "chat_topic": (first.get("meta") or {}).get("topic")})
        return await self._with_customer(info, values)
