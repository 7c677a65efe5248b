"""Email threading: which earlier messages a mail answers, and our token in subjects. Pure.

A reply names what it answers in ``In-Reply-To`` and ``References``; those come first. Clients
and forwarding gateways sometimes drop or rewrite them, so every subject we send also carries
the conversation's token, ``[#42-k7x2mq3p]`` (conversation id and its random key: the id alone
would let anybody post into any conversation by guessing numbers).

Outlook (and Exchange gateways) may send a reply with only ``Thread-Index``/``Thread-Topic``:
the first 22 bytes of ``Thread-Index`` (a timestamp and a GUID) are the same in every message of
a thread, so :func:`thread_index_key` is a conversation key. Last, a reply whose subject carries
a reply prefix (``Re:``, ``AW:``, ``VS:``, ``Odp:``, ``SV:``, ``Απ:``, ``RE:``…) may join the same
customer's recent conversation with that subject (:func:`subject_key`; the guard is in
:mod:`contact_center.inbox.placement`).
"""

from __future__ import annotations

import base64
import binascii
import re

_MSGID = re.compile(r"<[^<>\s]+>")
_TOKEN = re.compile(r"\[#(\d{1,18})-([a-z2-9]{8})\]")
# Reply prefixes as mail clients write them in their languages (Re, AW, SV, VS, Antw, Odp, Ynt, R, RIF,
# Res, Απ, رد, 回复…), with Outlook's counters ("Re[2]:"), full-width colons and repeats ("Re: AW: ").
_REPLY_PREFIX = re.compile(
    r"^\s*((re|aw|sv|vs|antw|odp|ynt|r|rif|res|atb|vá|απ|σχετ|رد|回复|回覆|答复)\s*(\[\d+\]|\(\d+\))?\s*[:\uff1a]\s*)+",
    re.IGNORECASE)
_THREAD_INDEX_HEAD = 22  # bytes shared by every message of an Outlook thread
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


def thread_index_key(value: str | None) -> str | None:
    """The thread an Outlook ``Thread-Index`` belongs to (hex of its first 22 bytes), or ``None``."""
    if not value:
        return None
    try:
        data = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return data[:_THREAD_INDEX_HEAD].hex() if len(data) >= _THREAD_INDEX_HEAD else None


def subject_key(subject: str | None) -> str | None:
    """The subject without our token and reply prefixes, case-folded, for the subject rule
    (``"RE: AW: Invoice 42 [#4-…]"`` and ``"Invoice 42"`` give ``"invoice 42"``); ``None`` when empty."""
    base = _REPLY_PREFIX.sub("", _TOKEN.sub("", subject or ""))
    key = " ".join(base.split()).casefold()
    return key[:200] or None


def is_reply_subject(subject: str | None) -> bool:
    """True when *subject* starts with a reply prefix in any of the languages mail clients use."""
    return _REPLY_PREFIX.match(subject or "") is not None


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
