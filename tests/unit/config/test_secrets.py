"""Configuration secrets: passwords sealed and revealed under the instance key, never shown, kept across edits."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from contact_center.config.secrets import SecretBox, hash_token, keep_passwords, mask, reveal, seal
from contact_center.errors import ValidationError
from contact_center.settings import Settings

DOCUMENT = {
    "email": {"mailboxes": [{"name": "support", "host": "imap.example", "password": "s3cret"},
                            {"name": "sales", "host": "imap.example", "password": ""}]},
    "telephony": {"pbx": [{"name": "main", "token": "tok-abc", "sha256": "ab" * 32, "hint": "tok-"}]},
    "server": {"public_url": "https://cc.example"},
}


def test_seal_then_reveal_round_trips_and_drops_empty_passwords() -> None:
    """Sealing encrypts every clear password (an empty one is dropped); revealing gives the clear text back."""
    box = SecretBox("instance key")
    sealed = seal(DOCUMENT, box)
    support, sales = sealed["email"]["mailboxes"]
    assert "password" not in support
    assert support["password_encrypted"].startswith("fernet:")
    assert "s3cret" not in repr(sealed)
    assert "password" not in sales
    assert "password_encrypted" not in sales
    assert reveal(sealed, box)["email"]["mailboxes"][0]["password"] == "s3cret"


def test_reveal_under_another_key_names_the_field() -> None:
    """A password sealed with another deployment's key is refused with the field to re-enter."""
    sealed = seal(DOCUMENT, SecretBox("one key"))
    with pytest.raises(ValidationError) as caught:
        reveal(sealed, SecretBox("another key"))
    assert caught.value.field == "email.mailboxes[0].password"


@pytest.mark.parametrize(("table", "expected"), [
    ({"name": "a", "password": "x"}, {"name": "a", "password_set": True}),
    ({"name": "a", "password_encrypted": "fernet:zz"}, {"name": "a", "password_set": True}),
    ({"name": "a", "password": ""}, {"name": "a", "password_set": False}),
    ({"name": "a"}, {"name": "a"}),
    ({"name": "a", "token": "t", "sha256": "h", "hint": "t…"}, {"name": "a", "hint": "t…"}),
])
def test_mask_hides_every_secret(table: dict[str, Any], expected: dict[str, Any]) -> None:
    """What the API shows has no password in any form and no PBX token or hash, only the hint."""
    assert mask({"section": {"items": [table]}}) == {"section": {"items": [expected]}}


@pytest.mark.parametrize(("form", "kept"), [
    ({"name": "support", "host": "new.example"}, True),  # password left out: kept
    ({"name": "support", "host": "new.example", "password": ""}, True),  # left empty: kept
    ({"name": "support", "host": "new.example", "password_set": True}, True),  # the masked flag is not data
    ({"name": "support", "clear_password": True}, False),  # the admin cleared it
    ({"name": "support", "password": "changed"}, False),  # a new password replaces it
    ({"name": "renamed"}, False),  # another mailbox: nothing to keep
])
def test_keep_passwords_across_a_form_edit(form: dict[str, Any], kept: bool) -> None:
    """Editing a mailbox without retyping its password keeps the sealed one; clearing or replacing does not."""
    old = {"mailboxes": [{"name": "support", "password_encrypted": "fernet:old"}]}
    merged = keep_passwords({"mailboxes": [form]}, old)["mailboxes"][0]
    assert (merged.get("password_encrypted") == "fernet:old") is kept
    assert "password_set" not in merged
    assert "clear_password" not in merged


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    """Without a configured key, one is created in the data directory with mode 0600 and used again."""
    settings = Settings.load(None, environ={}, data_dir=tmp_path)
    first = SecretBox.for_settings(settings).encrypt("pw")
    assert stat.S_IMODE(os.stat(tmp_path / "secret.key").st_mode) == 0o600
    assert SecretBox.for_settings(settings).decrypt(first, where="x") == "pw"


def test_configured_key_wins_over_the_key_file(tmp_path: Path) -> None:
    """``[server] secret_key`` is the key every instance shares; no key file is made then."""
    one = Settings.load(None, environ={"CC_SERVER__SECRET_KEY": "shared"}, data_dir=tmp_path / "a")
    two = Settings.load(None, environ={"CC_SERVER__SECRET_KEY": "shared"}, data_dir=tmp_path / "b")
    assert SecretBox.for_settings(two).decrypt(SecretBox.for_settings(one).encrypt("pw"), where="x") == "pw"
    assert not (tmp_path / "a" / "secret.key").exists()


def test_hash_token_is_hex_sha256() -> None:
    """Tokens are recognised by their SHA-256 only."""
    assert hash_token("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
