"""Who sent a mail: the address from the header as sent, never from decoded display names. Pure.

An RFC 2047 encoded-word may only carry display text, so the address is taken from the header
field *before* encoded-words are decoded: ``From: =?utf-8?q?Ann_=3Cann=40customer.example=3E?=
<attacker@evil.example>`` is from ``attacker@evil.example``, whose display name merely reads
"Ann <ann@customer.example>". Decoding first (as the inbox once did) hands the attacker the
customer's identity, screen pop and conversations.

A display name that contains an address other than the real one is kept as ``claimed``: the desk
flags such a sender. ``Authentication-Results`` (RFC 8601) written by the receiving server are
read into SPF/DKIM/DMARC verdicts so the desk can warn when they failed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from connectors.email.addresses import address_list, parse_address
from connectors.email.charsets import decode_header_value

_ADDRESS_IN_TEXT = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_COMMENT = re.compile(r"\([^()]*\)")
_METHODS = ("spf", "dkim", "dmarc")
#: Verdicts that mean the sender's domain did not vouch for this mail.
FAILED = frozenset({"fail", "softfail", "permerror"})


@dataclass(frozen=True)
class Sender:
    """The sender of a mail as the desk should show it."""

    address: str | None  # lower-case addr-spec from the raw header; None when there is none
    name: str | None  # the display name, decoded
    claimed: str | None = None  # an address in the display name that is not ``address`` (a spoofing sign)


def parse_sender(raw: str | None, fallbacks: tuple[str | None, ...] = ()) -> Sender:
    """The sender in a raw ``From`` (or ``Reply-To``) field: address from the field as sent, name decoded.

    *fallbacks*: charsets for raw 8-bit bytes that are not UTF-8 (see :func:`.charsets.decode_8bit`).
    """
    if not raw:
        return Sender(address=None, name=None)
    name_raw, bare = parse_address(" ".join(str(raw).split()))
    address = bare.strip().lower()
    if "@" not in address or "=?" in address or any(c.isspace() for c in address):
        address = ""
    name = decode_header_value(name_raw, fallbacks).strip() or None
    return Sender(address=address or None, name=name, claimed=_claimed(name, address))


def _claimed(name: str | None, address: str) -> str | None:
    for found in _ADDRESS_IN_TEXT.findall(name or ""):
        if found.lower() != address:
            return found.lower()
    return None


def addresses(raw: str | None) -> tuple[str, ...]:
    """Every address of a raw ``To``/``Cc`` field (lower-case), read before any decoding."""
    if not raw:
        return ()
    return tuple(a.strip().lower() for _, a in address_list(" ".join(str(raw).split()))
                 if "@" in a and "=?" not in a)


def authentication_results(values: Iterable[str], trusted_server: str | None = None) -> dict[str, str]:
    """SPF, DKIM and DMARC verdicts from the receiving server's ``Authentication-Results``.

    Only one header counts: the first (topmost, the last added on the way in) whose authserv-id is
    *trusted_server*, or the topmost one when no server is configured; headers further down were
    written by whoever sent the mail and prove nothing. DKIM passes when any signature passed.
    """
    for value in values:
        text = _COMMENT.sub(" ", " ".join(str(value).split()))
        server, _, rest = text.partition(";")
        server_id = server.strip().split(" ")[0].lower()
        if trusted_server is not None and server_id != trusted_server.lower():
            continue
        verdicts: dict[str, str] = {}
        for clause in rest.split(";"):
            method, sep, result = clause.strip().partition("=")
            method = method.strip().lower()
            if not sep or method not in _METHODS:
                continue
            verdict = result.strip().split(" ")[0].lower()
            if method == "dkim" and verdicts.get("dkim") != "pass":
                verdicts["dkim"] = verdict  # several signatures: one that passed is enough
            else:
                verdicts.setdefault(method, verdict)
        return verdicts
    return {}


def failed_checks(verdicts: dict[str, str]) -> tuple[str, ...]:
    """The methods whose verdict says the mail is not from whom it claims (``("dmarc", "spf")``)."""
    return tuple(m for m in _METHODS if verdicts.get(m) in FAILED)
