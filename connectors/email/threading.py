"""Email threading: which earlier messages a mail answers, and our token in subjects. Pure.

A reply names what it answers in ``In-Reply-To`` and ``References``; those come first. Clients
and forwarding gateways sometimes drop or rewrite them, so every subject we send also carries
the conversation's token, ``[#42-k7x2mq3p]`` (conversation id and its random key: the id alone
would let anybody post into any conversation by guessing numbers).
"""

from __future__ import annotations

import re

_MSGID = re.compile(r"<[^<>\s]+>")
_TOKEN = re.compile(r"\[#(\d{1,18})-([a-z2-9]{8})\]")
_REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|vs|antw|odp|ynt|απ|ΑΠ|رد|回复|回覆)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
MAX_REFERENCES = 20


def normalise_message_id(value: str | None) -> str | None:
    """The ``<id@host>`` in *value* (first one), or ``None`` when there is none."""
    if not value:
        return None
    found = _MSGID.search(value)
    if found:
        return found.group(0)
    bare = value.strip()
    if bare and " " not in bare and "@" in bare:
        return f"<{bare.strip('<>')}>"
    return None


def message_ids(value: str | None) -> list[str]:
    """Every ``<id>`` in a header such as ``References``, in order, without repeats."""
    return list(dict.fromkeys(_MSGID.findall(value or "")))


def reply_targets(in_reply_to: str | None, references: str | None) -> tuple[str, ...]:
    """The messages a mail answers, most relevant first: ``In-Reply-To``, then ``References``
    newest to oldest."""
    ordered = message_ids(in_reply_to) + list(reversed(message_ids(references)))
    return tuple(dict.fromkeys(ordered))


def find_token(subject: str | None) -> tuple[int, str] | None:
    """``(conversation id, key)`` from the last token in *subject*, or ``None``."""
    found = _TOKEN.findall(subject or "")
    if not found:
        return None
    number, key = found[-1]
    return int(number), key


def token(conversation_id: int, key: str) -> str:
    """The subject token for a conversation: ``[#42-k7x2mq3p]``."""
    return f"[#{conversation_id}-{key}]"


def reply_subject(subject: str | None, conversation_id: int, key: str) -> str:
    """``Re: <original subject> [#id-key]``: one ``Re:``, one token, whatever came before."""
    base = _TOKEN.sub("", subject or "").strip()
    base = _REPLY_PREFIX.sub("", base).strip()
    base = " ".join(base.split())
    return f"Re: {base} {token(conversation_id, key)}" if base else f"Re: {token(conversation_id, key)}"


def references_header(thread: list[str]) -> str:
    """``References`` for a reply to *thread* (ids oldest first): the first id and the newest
    others, at most :data:`MAX_REFERENCES`, as RFC 5322 suggests trimming."""
    ids = list(dict.fromkeys(i for i in thread if i))
    if len(ids) > MAX_REFERENCES:
        ids = [ids[0], *ids[-(MAX_REFERENCES - 1):]]
    return " ".join(ids)
