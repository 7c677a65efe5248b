"""Pure: random but *valid* phone numbers per country, mobile or landline, in E.164.

Numbers are built from real mobile prefixes and area codes (Berlin 30, Vienna 1, London 20 …),
then kept only when ``phonenumbers`` says they are valid and of the wanted type, so identity
resolution in the product meets the same numbers a real PBX would send.
"""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat, PhoneNumberType

# region -> kind -> ((national prefix digits, national significant number length), ...)
PREFIXES: dict[str, dict[str, tuple[tuple[str, int], ...]]] = {
    "DE": {"mobile": (("151", 11), ("152", 11), ("157", 11), ("160", 10), ("170", 10), ("171", 10),
                      ("172", 10), ("176", 11), ("177", 10), ("179", 10)),
           "landline": (("30", 10), ("40", 10), ("89", 10), ("69", 10), ("221", 10), ("711", 10),
                        ("211", 10), ("341", 10))},
    "AT": {"mobile": (("650", 10), ("660", 10), ("664", 10), ("676", 10), ("699", 11)),
           "landline": (("1", 8), ("316", 9), ("662", 9), ("512", 9), ("732", 9))},
    "CH": {"mobile": (("76", 9), ("77", 9), ("78", 9), ("79", 9)),
           "landline": (("21", 9), ("22", 9), ("31", 9), ("44", 9), ("61", 9))},
    "GB": {"mobile": (("74", 10), ("75", 10), ("77", 10), ("78", 10), ("79", 10)),
           "landline": (("20", 10), ("161", 10), ("131", 10), ("117", 10), ("121", 10))},
    "US": {"mobile": (("212", 10), ("415", 10), ("312", 10), ("617", 10), ("206", 10)),
           "landline": (("512", 10), ("303", 10), ("404", 10), ("713", 10), ("602", 10))},
    "FR": {"mobile": (("6", 9), ("7", 9)),
           "landline": (("1", 9), ("2", 9), ("3", 9), ("4", 9), ("5", 9))},
    "PL": {"mobile": (("50", 9), ("51", 9), ("53", 9), ("60", 9), ("66", 9), ("69", 9), ("79", 9)),
           "landline": (("22", 9), ("12", 9), ("61", 9), ("71", 9), ("58", 9))},
    "GR": {"mobile": (("69", 10),),
           "landline": (("21", 10), ("231", 10), ("261", 10))},
    "FI": {"mobile": (("40", 9), ("44", 9), ("45", 9), ("50", 9)),
           "landline": (("9", 9), ("2", 9), ("3", 9))},
    "NL": {"mobile": (("6", 9),),
           "landline": (("20", 9), ("10", 9), ("70", 9), ("30", 9))},
    "ES": {"mobile": (("6", 9), ("71", 9), ("72", 9)),
           "landline": (("91", 9), ("93", 9), ("96", 9), ("95", 9))},
    "IT": {"mobile": (("32", 10), ("33", 10), ("34", 10), ("38", 10)),
           "landline": (("02", 10), ("06", 10), ("011", 10))},
}

KINDS = ("mobile", "landline")
_WANTED_TYPES = {
    "mobile": {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE},
    "landline": {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE},
}
_ATTEMPTS = 40


def is_valid_e164(number: str, kind: str | None = None) -> bool:
    """True when *number* (``+``-prefixed) is a valid number, of *kind* when given."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return False
    return _is_wanted(parsed, kind)


def _is_wanted(number: PhoneNumber, kind: str | None, region: str | None = None) -> bool:
    if not phonenumbers.is_valid_number(number):
        return False
    # +44 7781 is Guernsey, not Great Britain: keep the number only in the region asked for.
    if region is not None and phonenumbers.region_code_for_number(number) != region:
        return False
    return kind is None or phonenumbers.number_type(number) in _WANTED_TYPES[kind]


def random_number(rng: random.Random, region: str, kind: str) -> str:
    """A random valid E.164 number in *region* of *kind* ("mobile" or "landline").

    Raises:
        ValueError: the region or kind is not in :data:`PREFIXES`, or no valid number was found.
    """
    try:
        choices = PREFIXES[region][kind]
    except KeyError as exc:
        raise ValueError(f"no demo numbers for {region} {kind}") from exc
    country_code = phonenumbers.country_code_for_region(region)
    for _ in range(_ATTEMPTS):
        prefix, length = rng.choice(choices)
        # Subscriber numbers rarely start with 0 or 1 (those are service / trunk prefixes).
        tail = "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
        digits = f"{prefix}{rng.randint(2, 9)}{tail}"
        number = PhoneNumber(country_code=country_code, national_number=int(digits),
                             italian_leading_zero=digits.startswith("0") or None)
        if _is_wanted(number, kind, region):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
    raise ValueError(f"no valid {kind} number found for {region} after {_ATTEMPTS} attempts")
