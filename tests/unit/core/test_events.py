"""Events: every type in the closed set survives encode/decode unchanged."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from typing import Any

import pytest

from contact_center import events
from contact_center.events import EVENT_TYPES, decode, encode

_SAMPLES: dict[Any, Any] = {
    int: 42,
    float: 1_700_000_000.25,
    str: "ünïcode ☎ value",
    bool: True,
    tuple[int, ...]: (3, 1, 2),
    tuple[str, ...]: ("alice", "bob"),
    dict[str, Any]: {"type": "offer", "n": 1, "nested": {"ok": True, "list": [1, "two", None]}},
}


def _sample(annotation: Any) -> Any:
    """A non-default value of the annotated type (the non-None arm of an Optional)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _sample(arms[0])
    if annotation not in _SAMPLES:
        raise AssertionError(f"no sample for {annotation!r}: extend _SAMPLES in this test")
    return _SAMPLES[annotation]


def _instance(cls: type) -> Any:
    hints = typing.get_type_hints(cls, vars(events))
    return cls(**{f.name: _sample(hints[f.name]) for f in dataclasses.fields(cls)})


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_round_trip_with_every_field_set(name: str) -> None:
    """encode() then decode() gives back an equal event of the same type, all fields set."""
    event = _instance(EVENT_TYPES[name])
    again = decode(encode(event))
    assert type(again) is type(event)
    assert again == event


@pytest.mark.parametrize("name", sorted(EVENT_TYPES))
def test_events_are_frozen_and_past_tense_json(name: str) -> None:
    """Each event is a frozen dataclass whose encoding is a JSON object tagged with its type."""
    cls = EVENT_TYPES[name]
    params = getattr(cls, "__dataclass_params__", None)
    assert params is not None
    assert params.frozen
    doc = json.loads(encode(_instance(cls)))
    assert doc["type"] == name
    assert set(doc["data"]) == {f.name for f in dataclasses.fields(cls)}


def test_decode_accepts_str_and_ignores_unknown_fields() -> None:
    """A newer instance's extra field does not break an older reader."""
    raw = json.dumps({"type": "DtmfReceived", "data": {"call_id": "c1", "conversation_id": 5, "digits": "12",
                                                       "at": 1.0, "added_later": "x"}})
    assert decode(raw) == events.DtmfReceived(call_id="c1", conversation_id=5, digits="12", at=1.0)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type": "NoSuchEvent", "data": {}}',
        b'{"data": {}}',
        b'{"type": "DtmfReceived", "data": {"call_id": "c1"}}',
        b'{"type": "DtmfReceived", "data": ["c1"]}',
        b'{"type": ["DtmfReceived"], "data": {}}',
        b'["DtmfReceived"]',
        b'"DtmfReceived"',
        b"not json at all",
    ],
)
def test_decode_rejects_what_is_not_an_event(raw: bytes) -> None:
    """Anything that is not a complete event is a ValueError (the Redis reader survives it)."""
    with pytest.raises(ValueError, match=r"\S"):
        decode(raw)


def test_encode_refuses_what_json_cannot_carry() -> None:
    """An event holding a non-JSON value fails at encode time, not on another instance."""
    with pytest.raises(TypeError):
        encode(events.SupervisorsNotified(frame={"when": object()}))
