"""Pure identity resolution: normalise what a channel tells us, rank the customers it matches.

Nothing here awaits or touches the store: :mod:`contact_center.customers.repository` loads the
facts and calls these functions.

Phone numbers become E.164 (``+4930123456``) with :mod:`phonenumbers` and a configurable
default region (``settings.default_region``). PBXs send numbers in every shape: ``+49 30 …``,
``0049 30 …``, national ``030 …``, international without a plus (``4930…``, the way sipgate.io
and Zammad send them), with spaces, dashes, dots or brackets, or ``anonymous``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parseaddr

import phonenumbers

from contact_center.channels import IDENTITY_KINDS, Identification, channel

KINDS = IDENTITY_KINDS  # from the channel registry: phone, email, chat, messenger
# What PBXs send when the caller withheld the number.
_WITHHELD = {"", "anonymous", "unknown", "private", "restricted", "unavailable", "withheld", "clip_no_screening"}
_SEPARATORS = re.compile(r"[\s\-./()]+")
# Shorter digit strings are internal extensions, never a customer's public number.
_MIN_PUBLIC_DIGITS = 7
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@functools.lru_cache(maxsize=65_536)  # pure, and phonenumbers parsing is the costly part of a CTI post
def normalise_phone(raw: str | None, default_region: str) -> str | None:
    """The E.164 form of *raw*, or ``None`` for withheld, internal or unusable numbers.

    A number without ``+``/``00`` that does not start with the trunk ``0`` is first read as
    international (``493055571600``), then as national in *default_region*.
    """
    if raw is None:
        return None
    text = _SEPARATORS.sub("", raw.strip())
    if text.lower() in _WITHHELD or text.lower().startswith("sip:"):
        return None
    if text.startswith("00"):
        text = "+" + text[2:]
    digits = text.removeprefix("+")
    if not digits.isdigit() or len(digits) < _MIN_PUBLIC_DIGITS:
        return None
    if text.startswith("+"):
        return _e164(text, None, strict=False)
    if text.startswith("0"):
        return _e164(text, default_region, strict=False)
    return (
        _e164("+" + digits, None, strict=True)
        or _e164(digits, default_region, strict=True)
        or _e164("+" + digits, None, strict=False)
        or _e164(digits, default_region, strict=False)
    )


def _e164(text: str, region: str | None, *, strict: bool) -> str | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    ok = phonenumbers.is_valid_number(number) if strict else phonenumbers.is_possible_number(number)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if ok else None


def normalise_email(raw: str | None) -> str | None:
    """The lower-case address in *raw* (``"Ann <Ann@X.org>"`` -> ``ann@x.org``), or ``None``."""
    if not raw:
        return None
    _, address = parseaddr(raw.strip())
    address = address.strip().lower()
    return address if _EMAIL.match(address) else None


def normalise_opaque(raw: str | None) -> str | None:
    """An opaque id (a chat visitor's, a messenger user's) as given (trimmed); ``None`` when empty."""
    value = (raw or "").strip()
    return value[:320] or None


def normalise(kind: str, raw: str | None, default_region: str) -> str | None:
    """Normalise *raw* as an identity of *kind*: phones to E.164, emails lower-cased, every other
    kind the registry names (chat visitor ids, messenger ids) as an opaque trimmed id.

    Raises:
        ValueError: unknown kind.
    """
    if kind == "phone":
        return normalise_phone(raw, default_region)
    if kind == "email":
        return normalise_email(raw)
    if kind in KINDS:
        return normalise_opaque(raw)
    raise ValueError(f"unknown identity kind {kind!r}; expected one of {', '.join(KINDS)}")


def contact_identity(channel_name: str, address: str | None, default_region: str) -> tuple[str, str] | None:
    """The identity ``(kind, normalised value)`` a conversation's contact *address* has on its
    channel: the first of the channel's identity kinds the address normalises under; ``None``
    for no address, an unknown channel or an address that fits none."""
    if not address:
        return None
    try:
        kinds = channel(channel_name).identity_kinds
    except KeyError:
        return None
    for kind in kinds:
        value = normalise(kind, address, default_region)
        if value is not None:
            return kind, value
    return None


@dataclass(frozen=True)
class Candidate:
    """A customer that an identity value matched, with what ranks it against the others."""

    customer_id: int
    display_name: str
    company: str | None = None
    label: str | None = None  # the matching identity's label ("mobile", "office", …)
    contacts: int = 0  # conversations so far
    last_contact_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "customer_id": self.customer_id,
            "display_name": self.display_name,
            "company": self.company,
            "label": self.label,
            "contacts": self.contacts,
            "last_contact_at": self.last_contact_at.isoformat() if self.last_contact_at else None,
        }


@dataclass(frozen=True)
class Match:
    """The outcome of identifying a contact: one customer, several ranked candidates, or none."""

    value: str | None  # the normalised identity value (None when it could not be normalised)
    customer_id: int | None
    candidates: tuple[Candidate, ...] = ()

    @property
    def unknown(self) -> bool:
        return self.customer_id is None and not self.candidates

    @property
    def ambiguous(self) -> bool:
        return self.customer_id is None and len(self.candidates) > 1


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: The label of an identity nobody checked (an address a chat visitor typed).
UNVERIFIED = "unverified"


def _rank_key(c: Candidate) -> tuple[bool, dt.datetime, int, int]:
    # An identity on record before one somebody merely typed (a visitor cannot draw a known
    # customer's mail or calls to their own record), then the most recent contact, then the most
    # contacts, then the oldest record.
    return (c.label != UNVERIFIED, c.last_contact_at or _EPOCH, c.contacts, -c.customer_id)


def rank(candidates: Iterable[Candidate]) -> tuple[Candidate, ...]:
    """Candidates best first; one customer listed once (its best-ranked identity wins)."""
    best: dict[int, Candidate] = {}
    for c in candidates:
        seen = best.get(c.customer_id)
        if seen is None or _rank_key(c) > _rank_key(seen):
            best[c.customer_id] = c
    return tuple(sorted(best.values(), key=_rank_key, reverse=True))


def match(value: str | None, candidates: Iterable[Candidate]) -> Match:
    """Decide the customer for a normalised *value* from the customers its identity names.

    Exactly one customer is a match; several are ranked candidates the agent chooses from;
    none is an unknown contact.
    """
    ranked = rank(candidates) if value is not None else ()
    if len(ranked) == 1:
        return Match(value=value, customer_id=ranked[0].customer_id, candidates=ranked)
    return Match(value=value, customer_id=None, candidates=ranked)


Key = tuple[str, str]  # an identity: (kind, normalised value)


@dataclass(frozen=True)
class Who:
    """Who a contact is, as :func:`who` decided: the customer it belongs to (``None``: nobody yet),
    the ranked customers its identity names, and the identity to make a new customer of."""

    customer_id: int | None = None
    candidates: tuple[int, ...] = ()
    new_customer: Key | None = None


def who(identity: Key | None, owners: Mapping[Key, tuple[int, ...]], how: Identification) -> Who:
    """The one identification rule of every channel (calls, mail, chat, messaging bridges).

    *owners* holds, per identity, the live customers that have it, best-ranked first (:func:`rank`;
    identities nobody has are absent). One owner is the customer. Several: on a written channel
    (:attr:`Identification.RECORD`) the best-ranked; on a call (:attr:`Identification.ASK`) nobody,
    the agent picks from the candidates. None: a written channel makes a new customer of the
    identity; a call stays unknown. No identity (withheld number, no usable sender): nobody.
    """
    if identity is None:
        return Who()
    found = owners.get(identity, ())
    if len(found) == 1 or (found and how is Identification.RECORD):
        return Who(customer_id=found[0], candidates=found)
    if found:
        return Who(candidates=found)
    return Who(new_customer=identity if how is Identification.RECORD else None)
