"""The password policy: a minimum length and a list of common passwords refused (NIST SP 800-63B).

``[auth] password_min_length`` (default 10) sets the length; ``common_passwords.txt`` beside this
module lists the passwords attackers try first (lower-cased, one a line). A password equal to the
username, or one of those with a year or a few digits after it, is refused too.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from contact_center.errors import ValidationError

DEFAULT_MIN_LENGTH = 10
MAX_LENGTH = 1024
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
_TRAILING_DIGITS = re.compile(r"[\d!.?]{1,4}$")


@cache
def common_passwords() -> frozenset[str]:
    """The refused list (loaded once)."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password: str, *, username: str = "", min_length: int = DEFAULT_MIN_LENGTH,
                   field: str = "password") -> None:
    """Refuse a password the policy does not allow.

    Raises:
        ValidationError: naming *field*, saying which rule it broke.
    """
    if len(password) < min_length:
        raise ValidationError(field, f"the password must have at least {min_length} characters")
    if len(password) > MAX_LENGTH:
        raise ValidationError(field, f"the password must have at most {MAX_LENGTH} characters")
    folded = password.strip().lower()
    if username and username.lower() in folded:
        raise ValidationError(field, "the password must not contain the username")
    common = common_passwords()
    if folded in common or _TRAILING_DIGITS.sub("", folded) in common:
        raise ValidationError(field, "this password is on the list of common passwords; choose another")
