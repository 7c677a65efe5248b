"""The [routing] section of contact-center.example.toml is valid and states the defaults."""

from __future__ import annotations

import tomllib
from pathlib import Path

from routing.config import load_config
from routing.customer_data import CustomerDataSpec

EXAMPLE = Path(__file__).resolve().parents[3] / "contact-center.example.toml"


def test_example_routing_section_loads_with_the_default_values():
    """Every key the example sets parses, and equals what an empty [routing] gives."""
    section = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))["routing"]
    example, defaults = load_config(section), load_config({})
    for name in ("departments", "default_department", "autopause_after", "reoffer_after", "offline_grace",
                 "available_on_connect", "call_dial", "customer_data_timeout", "snapshot_interval",
                 "sweep_interval", "agent_refresh"):
        assert getattr(example, name) == getattr(defaults, name), name
    assert len(example.rules) == len(defaults.rules)
    assert CustomerDataSpec.from_section(section["customer_data"]) == CustomerDataSpec()
