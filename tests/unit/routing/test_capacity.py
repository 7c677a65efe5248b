"""Capacity across channels (pure): per channel, in total, and channels a busy channel keeps away."""

from __future__ import annotations

import pytest

from contact_center.errors import ConfigError
from routing.config import load_config
from routing.model import AgentState
from routing.selection import Need, eligible, has_room

CAPACITY = {"call": 1, "chat": 3, "email": 5}
ON_CALL_NO_TEXT = {"call": ["chat", "email"]}


@pytest.mark.parametrize(("load", "total", "blocks", "channel", "room"), [
    ({}, 0, {}, "chat", True),
    ({"chat": 3}, 0, {}, "chat", False),
    ({"chat": 2}, 0, {}, "chat", True),
    ({"call": 1}, 0, ON_CALL_NO_TEXT, "chat", False),
    ({"call": 1}, 0, ON_CALL_NO_TEXT, "email", False),
    ({"call": 1}, 0, {}, "chat", True),
    ({"chat": 1}, 0, ON_CALL_NO_TEXT, "call", True),
    ({"chat": 1, "email": 1}, 2, {}, "email", False),
    ({"chat": 1}, 2, {}, "email", True),
    ({"email": 1}, 0, {"email": ["chat"]}, "chat", False),
    ({"email": 1}, 0, {"email": ["chat"]}, "email", True),
])
def test_has_room(load: dict[str, int], total: int, blocks: dict[str, list[str]], channel: str, room: bool) -> None:
    """Room on a channel needs its own capacity, the total, and no contact on a channel blocking it."""
    agent = AgentState(user_id=1, capacity=CAPACITY, load=load, total_capacity=total, blocks=blocks)
    assert has_room(agent, channel) is room


def test_a_blocked_agent_is_not_eligible() -> None:
    """An available agent on a call is not offered a chat while calls block chats."""
    agent = AgentState(user_id=1, departments=("sales",), capacity=CAPACITY, load={"call": 1},
                       blocks=ON_CALL_NO_TEXT, presence="available")
    assert not eligible(agent, Need("chat", "sales"), now=0.0)
    assert eligible(AgentState(user_id=1, departments=("sales",), capacity=CAPACITY, presence="available"),
                    Need("chat", "sales"), now=0.0)


def test_the_configuration() -> None:
    """By default a call keeps chats and emails away and there is no total; both can be configured."""
    default = load_config({})
    assert default.blocks == {"call": ("chat", "email", "callback")}
    assert default.total_capacity == 0
    custom = load_config({"total_capacity": 4, "while_on_channel": {"chat": ["call"]}})
    assert custom.blocks == {"chat": ("call",)}
    assert custom.total_capacity == 4
    assert load_config({"while_on_channel": {}}).blocks == {}
    with pytest.raises(ConfigError, match="while_on_channel"):
        load_config({"while_on_channel": {"call": ["fax"]}})
