"""Settings: defaults, the TOML file, CC_* variables, bad values and masked secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from contact_center.errors import ConfigError
from contact_center.settings import CallerIdRoute, PbxSettings, Secret, Settings, SourceSettings, mask_url

TOML = """
[server]
host = "0.0.0.0"
port = 9000
data_dir = "data"
log_level = "debug"
max_body_bytes = 2048

[database]
url = "postgresql+asyncpg://cc:file-pw@db:5432/cc"

[redis]
url = "redis://:redis-pw@redis:6379/0"

[auth]
cookie_secure = true
login_max_failures = 3

[phone]
default_region = "at"

[email]
imap_host = "mail.example.test"
poll_seconds = 30

[[pbx]]
name = "office"
token = "pbx-token-123"
default_department = "sales"

[[sources]]
name = "sales"
url = "sqlite+aiosqlite:///{data_dir}/sales.db"
query = "SELECT * FROM orders WHERE customer_key = :customer_key"
timeout_ms = 250
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "cc.toml"
    path.write_text(TOML)
    return path


def test_defaults_run_without_any_file() -> None:
    """No file, no variables: localhost:8080, SQLite under ./var, in-process bus."""
    s = Settings.load(environ={})
    assert (s.host, s.port, s.redis_url) == ("127.0.0.1", 8080, "")
    assert s.data_dir == (Path.cwd() / "var").resolve()
    assert s.database_url == f"sqlite+aiosqlite:///{(s.data_dir / 'contact_center.db').as_posix()}"
    assert s.uses_sqlite
    assert s.public_url == "http://127.0.0.1:8080"
    assert s.pbx == ()
    assert s.section("email") == {}


def test_toml_file_sets_every_kind_of_value(config_file: Path) -> None:
    """Values from the TOML file reach typed fields, lists of PBXs/sources and plugin sections."""
    s = Settings.load(config_file, environ={})
    assert (s.host, s.port, s.log_level, s.max_body_bytes) == ("0.0.0.0", 9000, "DEBUG", 2048)
    assert s.data_dir == config_file.parent / "data"
    assert s.database_url.startswith("postgresql+asyncpg://")
    assert not s.uses_sqlite
    assert s.cookie_secure is True
    assert s.login_max_failures == 3
    assert s.default_region == "AT"
    assert s.pbx == (PbxSettings("office", Secret("pbx-token-123"), "sales"),)
    assert s.pbx[0].token.reveal() == "pbx-token-123"
    assert s.sources[0].url == f"sqlite+aiosqlite:///{config_file.parent / 'data'}/sales.db"  # {data_dir}
    assert s.sources[0].timeout_ms == 250
    assert dict(s.section("email")) == {"imap_host": "mail.example.test", "poll_seconds": 30}


def test_cc_config_variable_names_the_file(config_file: Path) -> None:
    """CC_CONFIG is how operators point at the file."""
    assert Settings.load(environ={"CC_CONFIG": str(config_file)}).port == 9000


@pytest.mark.parametrize(
    ("name", "value", "attribute", "expected"),
    [
        ("CC_PORT", "9100", "port", 9100),
        ("CC_HOST", "10.0.0.5", "host", "10.0.0.5"),
        ("CC_DATABASE_URL", "postgresql+asyncpg://env@db/cc", "database_url", "postgresql+asyncpg://env@db/cc"),
        ("CC_REDIS_URL", "redis://redis:6379/1", "redis_url", "redis://redis:6379/1"),
        ("CC_PUBLIC_URL", "https://cc.example.test", "public_url", "https://cc.example.test"),
        ("CC_LOG_LEVEL", "warning", "log_level", "WARNING"),
        ("CC_DEFAULT_REGION", "gb", "default_region", "GB"),
        ("CC_AUTH__COOKIE_SECURE", "yes", "cookie_secure", True),
        ("CC_AUTH__COOKIE_SECURE", "off", "cookie_secure", False),
        ("CC_AUTH__LOGIN_MAX_FAILURES", "7", "login_max_failures", 7),
        ("CC_SERVER__MAX_BODY_BYTES", "4096", "max_body_bytes", 4096),
        ("CC_SCREENPOP__CACHE_TTL_SECONDS", "5", "popcache_ttl_seconds", 5),
    ],
)
def test_environment_overrides_the_file(config_file: Path, name: str, value: str, attribute: str,
                                        expected: object) -> None:
    """A CC_* shortcut or CC_SECTION__KEY variable wins over the TOML file."""
    s = Settings.load(config_file, environ={name: value})
    assert getattr(s, attribute) == expected


def test_section_variables_reach_plugin_sections(config_file: Path) -> None:
    """CC_EMAIL__IMAP_HOST overlays the [email] section; unrelated variables are ignored."""
    s = Settings.load(config_file, environ={"CC_EMAIL__IMAP_HOST": "imap.env.test", "CC_ROUTING__MODE": "skills",
                                            "HOME": "/root", "CC_NOSECTION": "x"})
    assert s.section("email")["imap_host"] == "imap.env.test"
    assert s.section("email")["poll_seconds"] == 30
    assert s.section("routing") == {"mode": "skills"}


def test_keyword_overrides_win_over_everything(config_file: Path) -> None:
    """Explicit keyword overrides (used by tests and the CLI) beat file and environment."""
    assert Settings.load(config_file, environ={"CC_PORT": "1"}, port=2).port == 2


@pytest.mark.parametrize(
    ("environ", "toml", "needle"),
    [
        ({"CC_PORT": "eighty"}, "", "server.port"),
        ({"CC_AUTH__COOKIE_SECURE": "maybe"}, "", "auth.cookie_secure"),
        ({"CC_AUTH__SESSION_TTL_SECONDS": "1h"}, "", "auth.session_ttl_seconds"),
        ({}, "[[pbx]]\nname = 'x'\n", "pbx[0].token"),
        ({}, "[[sources]]\nname = 's'\nquery = 'SELECT 1'\n", "sources[0].url"),
        ({}, "[[sources]]\nname='s'\nurl='sqlite://'\nquery='q'\ntimeout_ms='soon'\n", "sources[0].timeout_ms"),
        ({}, "this is = = not toml", "cannot read configuration file"),
    ],
)
def test_bad_values_raise_config_error(tmp_path: Path, environ: dict[str, str], toml: str, needle: str) -> None:
    """A wrong value is a ConfigError that names the setting, never a crash later."""
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as err:
        Settings.load(path, environ=environ)
    assert needle in err.value.message


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    """Naming a file that does not exist fails with its path."""
    with pytest.raises(ConfigError, match=r"nope\.toml"):
        Settings.load(environ={"CC_CONFIG": str(tmp_path / "nope.toml")})


def test_secrets_never_show_in_repr_or_str(config_file: Path) -> None:
    """Database and Redis passwords and PBX tokens are masked in repr() and str()."""
    s = Settings.load(config_file, environ={})
    for text in (repr(s), str(s), repr(s.pbx), str(s.pbx[0]), repr(s.pbx[0].token), str(s.pbx[0].token)):
        assert "file-pw" not in text
        assert "redis-pw" not in text
        assert "pbx-token-123" not in text
    assert "postgresql+asyncpg://cc:***@db:5432/cc" in repr(s)
    assert "redis://:***@redis:6379/0" in repr(s)


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+asyncpg://cc:hunter2@db/cc", "postgresql+asyncpg://cc:***@db/cc"),
        ("postgresql://cc@db/cc", "postgresql://cc@db/cc"),
        ("redis://:pw@redis:6379/0", "redis://:***@redis:6379/0"),
        ("mysql://u:p%40ss@h/db?x=1", "mysql://u:***@h/db?x=1"),
        ("sqlite+aiosqlite:///var/cc.db", "sqlite+aiosqlite:///var/cc.db"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    """Only the password part of a URL is replaced."""
    assert mask_url(url) == masked


def test_source_repr_masks_its_url() -> None:
    """A source database URL with a password is masked in the source's repr."""
    src = SourceSettings(name="erp", title="ERP", url="postgresql://ro:topsecret@erp/db", query="SELECT 1")
    assert "topsecret" not in repr(src)


def test_secret_behaves_like_a_value() -> None:
    """Secrets compare and hash by value, are falsy when empty, and reveal() only on request."""
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert len({Secret("a"), Secret("a")}) == 1
    assert not Secret("")
    assert Secret("x").reveal() == "x"
    assert repr(Secret("")) == "Secret('')"


def test_settings_are_frozen() -> None:
    """Settings cannot change after load."""
    s = Settings.load(environ={})
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]


def test_pbx_telephony_options(tmp_path: Path) -> None:
    """Per PBX: routing by the PBX, the outbound caller-id table and default, voicemail names (typed)."""
    path = tmp_path / "cc.toml"
    path.write_text('''
[[pbx]]
name = "office"
token = "t"
route_inbound = true
default_caller_id = "496990009111"
voicemail_names = ["VoiceMail", "*55"]
caller_id_routes = [{ dest = "4930*", caller_id = "493055571642" }]
''', encoding="utf-8")
    (pbx,) = Settings.load(path, environ={}).pbx
    assert (pbx.route_inbound, pbx.default_caller_id, pbx.voicemail_names) == (
        True, "496990009111", frozenset({"voicemail", "*55"}))
    assert pbx.caller_id_routes == (CallerIdRoute("4930*", "493055571642"),)
    plain = PbxSettings("office", Secret("t"))
    assert (plain.route_inbound, plain.caller_id_routes, plain.default_caller_id, plain.voicemail_names) == (
        False, (), None, frozenset({"voicemail"}))


@pytest.mark.parametrize("routes", ['"4930*"', '[{ dest = "4930*" }]', '[{ caller_id = "1" }]'])
def test_bad_caller_id_routes_name_the_setting(tmp_path: Path, routes: str) -> None:
    """A caller-id table that is not a list of {dest, caller_id} stops the start naming the setting."""
    path = tmp_path / "cc.toml"
    path.write_text(f'[[pbx]]\nname = "o"\ntoken = "t"\ncaller_id_routes = {routes}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pbx\[0\]\.caller_id_routes"):
        Settings.load(path, environ={})
