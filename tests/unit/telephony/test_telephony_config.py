"""``[telephony]``: the director timeout and the store wait, validated and naming the key."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.telephony.hook import TelephonyConfig
from contact_center.errors import ConfigError


def _config(raw: dict[str, Any]) -> TelephonyConfig:
    return TelephonyConfig.from_section(raw, lambda n: n)


@pytest.mark.parametrize(("raw", "director", "wait"), [
    ({}, 0.3, 5.0),
    ({"director_timeout_ms": 200}, 0.2, 5.0),
    ({"store_wait_ms": 300}, 0.3, 0.3),
    ({"store_wait_ms": "1500", "director_timeout_ms": "50"}, 0.05, 1.5),
])
def test_timeouts_are_read_in_milliseconds(raw: dict[str, Any], director: float, wait: float) -> None:
    """Both waits are whole milliseconds in the file and seconds in the config."""
    config = _config(raw)
    assert (config.director_timeout, config.store_wait) == (director, wait)


@pytest.mark.parametrize(("raw", "key"), [
    ({"store_wait_ms": 0}, "telephony.store_wait_ms"),
    ({"store_wait_ms": -5}, "telephony.store_wait_ms"),
    ({"store_wait_ms": "soon"}, "telephony.store_wait_ms"),
    ({"director_timeout_ms": [1]}, "telephony.director_timeout_ms"),
])
def test_bad_timeouts_name_their_key(raw: dict[str, Any], key: str) -> None:
    """A wait that is not a positive whole number is refused, naming the key."""
    with pytest.raises(ConfigError, match=key):
        _config(raw)
