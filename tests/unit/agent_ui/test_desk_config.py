"""The [desk] section: defaults, valid tables, and errors that name the bad key."""

from __future__ import annotations

from typing import Any

import pytest

from agent_ui.desk_config import DEFAULT_AWAY_REASONS, desk_config
from contact_center.errors import ConfigError


def test_defaults_without_a_section() -> None:
    """No [desk] section gives canned responses, dispositions, away reasons and an 80 % target."""
    config = desk_config({})
    assert config.away_reasons == DEFAULT_AWAY_REASONS
    assert config.disposition("resolved") is not None
    assert [c.id for c in config.canned_responses][:2] == ["greeting", "looking_into_it"]
    assert config.service_level_target == 0.8
    assert set(config.to_dict()) == {"canned_responses", "dispositions", "away_reasons", "service_level_target"}


def test_configured_values_replace_the_defaults() -> None:
    """Tables and plain strings are both accepted; the code of a plain disposition is its label."""
    config = desk_config({
        "canned_responses": [{"id": "hi", "title": "Hi", "text": "Hello {customer}"}],
        "dispositions": ["done", {"code": "callback", "label": "Call back"}],
        "away_reasons": ["Lunch"],
        "service_level_target": "0.9",
    })
    assert config.to_dict() == {
        "canned_responses": [{"id": "hi", "title": "Hi", "text": "Hello {customer}", "departments": []}],
        "dispositions": [{"code": "done", "label": "done"}, {"code": "callback", "label": "Call back"}],
        "away_reasons": ["Lunch"],
        "service_level_target": 0.9,
    }
    assert config.disposition("callback").label == "Call back"  # type: ignore[union-attr]
    assert config.disposition("resolved") is None


@pytest.mark.parametrize(("raw", "names"), [
    ({"canned_responses": {"id": "x"}}, "desk.canned_responses must be a list"),
    ({"canned_responses": ["text"]}, "desk.canned_responses[0] must be a table"),
    ({"canned_responses": [{"id": "Bad Id", "title": "t", "text": "x"}]}, "desk.canned_responses[0].id"),
    ({"canned_responses": [{"id": "a", "title": "", "text": "x"}]}, "desk.canned_responses[0].title"),
    ({"canned_responses": [{"id": "a", "title": "t", "text": "x" * 10_001}]}, "desk.canned_responses[0].text"),
    ({"canned_responses": [{"id": "a", "title": "t", "text": "x"}, {"id": "a", "title": "u", "text": "y"}]},
     "'a' appears twice"),
    ({"dispositions": []}, "at least one code"),
    ({"dispositions": [3]}, "desk.dispositions[0]"),
    ({"dispositions": [{"label": "No code"}]}, "desk.dispositions[0].code"),
    ({"away_reasons": [""]}, "desk.away_reasons[0]"),
    ({"service_level_target": 80}, "desk.service_level_target"),
    ({"service_level_target": True}, "desk.service_level_target"),
    ({"service_level_target": "most"}, "desk.service_level_target"),
])
def test_bad_values_are_config_errors_naming_the_key(raw: dict[str, Any], names: str) -> None:
    """Each malformed entry stops the start-up with a message that says where it is."""
    with pytest.raises(ConfigError, match=names.replace("[", r"\[").replace("]", r"\]")):
        desk_config(raw)


def test_canned_responses_per_department() -> None:
    """A canned response naming departments is offered to their agents only; supervisors (None) see all."""
    config = desk_config({"canned_responses": [
        {"id": "all", "title": "All", "text": "x"},
        {"id": "sales", "title": "Sales", "text": "y", "departments": ["sales"]},
    ]})
    ids = lambda deps: [c["id"] for c in config.to_dict(deps)["canned_responses"]]  # noqa: E731
    assert ids(("service",)) == ["all"]
    assert ids(("sales", "service")) == ["all", "sales"]
    assert ids(None) == ["all", "sales"]
