"""The [email] section: defaults, validation with named keys, masked secrets."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.email.config import load_email_config
from contact_center.errors import ConfigError

BOX = {"name": "support", "host": "imap.example.com", "user": "u", "password": "hunter2"}


def test_defaults_and_masking() -> None:
    """Ports follow the security mode; passwords never appear in reprs."""
    config = load_email_config({"mailboxes": [BOX, {**BOX, "name": "b", "security": "starttls"}],
                                "smtp": {"host": "smtp.example.com", "password": "s3cret"}})
    assert [m.port for m in config.mailboxes] == [993, 143]
    assert config.smtp is not None
    assert config.smtp.port == 587
    assert "hunter2" not in repr(config)
    assert "s3cret" not in repr(config)
    assert config.mailboxes[0].password.reveal() == "hunter2"


@pytest.mark.parametrize(("raw", "key"), [
    ({"mailboxes": [{**BOX, "host": ""}]}, "email.mailboxes[0].host"),
    ({"mailboxes": [{**BOX, "security": "ssl"}]}, "email.mailboxes[0].security"),
    ({"mailboxes": [{**BOX, "port": "abc"}]}, "email.mailboxes[0].port"),
    ({"mailboxes": [BOX, BOX]}, "own name"),
    ({"mailboxes": "support"}, "email.mailboxes"),
    ({"smtp": {"port": 25}}, "email.smtp.host"),
    ({"ingest": "maybe"}, "email.ingest"),
    ({"max_attachment_bytes": -1}, "email.max_attachment_bytes"),
])
def test_errors_name_the_key(raw: dict[str, Any], key: str) -> None:
    """Every malformed value is a ConfigError naming the key."""
    with pytest.raises(ConfigError, match=key.replace("[", r"\[").replace("]", r"\]")):
        load_email_config(raw)


def test_environment_strings_are_accepted() -> None:
    """Values from CC_EMAIL__* variables arrive as strings and are converted."""
    config = load_email_config({"batch_size": "500", "ingest": "false", "idle_seconds": "30"})
    assert (config.batch_size, config.ingest, config.idle_seconds) == (200, False, 30.0)
