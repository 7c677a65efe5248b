"""The demo configuration and contact-center.example.toml load into Settings as documented."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from connectors.email.config import load_email_config
from contact_center.cli import build_parser, parse_skills
from contact_center.demo.config import ensure_demo_config, render_demo_config
from contact_center.demo.sources import SOURCE_NAMES, screenpop_suggestions, source_definitions
from contact_center.errors import ValidationError
from contact_center.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[3] / "contact-center.example.toml"


def test_demo_config_configures_pbx_sources_and_suggestions(tmp_path: Path) -> None:
    """The rendered demo file loads: one demo PBX with the token, three sources, suggestion queries."""
    path = tmp_path / "demo.toml"
    path.write_text(render_demo_config(tmp_path, token="tok-123", host="127.0.0.1", port=8080), encoding="utf-8")
    settings = Settings.load(path, environ={})
    assert [(p.name, p.token.reveal()) for p in settings.pbx] == [("demo-pbx", "tok-123")]
    assert tuple(s.name for s in settings.sources) == SOURCE_NAMES
    assert [s.kind for s in settings.sources] == ["rows", "row", "row"]
    for source, expected in zip(settings.sources, source_definitions(tmp_path / "sources"), strict=True):
        assert source.url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/sources/{source.name}.db"
        assert source.query.strip() == expected["query"]
        assert ":customer_key" in source.query
    assert settings.sources[0].history_query
    assert settings.sources[2].history_query is None
    section = settings.section("screenpop")
    assert {k: section[k].strip() for k in screenpop_suggestions()} == screenpop_suggestions()
    assert settings.data_dir == tmp_path.resolve()


def test_environment_still_overrides_the_demo_config(tmp_path: Path) -> None:
    """CC_PORT beats the port written in the demo file, and the public URL follows it."""
    path, _ = ensure_demo_config(tmp_path)
    settings = Settings.load(path, environ={"CC_PORT": "18999"})
    assert settings.port == 18999
    assert settings.public_url == "http://127.0.0.1:18999"


def test_existing_demo_config_is_reused_so_the_token_stays(tmp_path: Path) -> None:
    """A second ensure_demo_config keeps the file (and its random token) as it is."""
    path, written = ensure_demo_config(tmp_path)
    first = Settings.load(path, environ={}).pbx[0].token.reveal()
    again, written_again = ensure_demo_config(tmp_path)
    assert (written, written_again) == (True, False)
    assert again == path
    assert Settings.load(path, environ={}).pbx[0].token.reveal() == first
    assert len(first) >= 24
    assert path.stat().st_mode & 0o077 == 0


def test_demo_tokens_differ_between_installs(tmp_path: Path) -> None:
    """Each new demo install gets its own random hook token."""
    a, _ = ensure_demo_config(tmp_path / "a")
    b, _ = ensure_demo_config(tmp_path / "b")
    assert Settings.load(a, environ={}).pbx[0].token != Settings.load(b, environ={}).pbx[0].token


def test_example_config_documents_every_core_section_and_loads() -> None:
    """The example file is valid, sets every core section, and its sources match the demo queries."""
    text = EXAMPLE.read_text(encoding="utf-8")
    for table in ("[server]", "[database]", "[redis]", "[phone]", "[auth]", "[screenpop]", "[[pbx]]", "[[sources]]"):
        assert table in text
    for key in ("host", "port", "public_url", "data_dir", "log_level", "max_body_bytes", "plugins", "url",
                "default_region", "session_ttl_seconds", "cookie_secure", "login_max_failures",
                "login_window_seconds", "cache_ttl_seconds", "token", "default_department", "title", "query",
                "timeout_ms", "kind", "history_query", "session_idle_seconds", "session_check_seconds",
                "login_backoff_seconds", "login_backoff_max_seconds", "allowed_origins", "write_timeout_seconds"):
        assert f"\n{key} = " in text, key
    settings = Settings.load(EXAMPLE, environ={})
    assert settings.port == 8080
    assert settings.default_region == "DE"
    assert settings.popcache_ttl_seconds == 60
    assert settings.pbx[0].default_department == "service"
    demo = {d["name"]: d for d in source_definitions(Path("/unused"))}
    for source in settings.sources:
        assert source.query.strip() == demo[source.name]["query"]
        assert source.url.endswith(f"/var/sources/{source.name}.db")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", {}), ("lang:de=5", {"lang:de": 5}),
     (" lang:de=5 , product:routers=3,", {"lang:de": 5, "product:routers": 3})],
)
def test_parse_skills(text: str, expected: dict[str, int]) -> None:
    """--skills takes comma-separated name=level pairs."""
    assert parse_skills(text) == expected


@pytest.mark.parametrize("text", ["lang:de", "=5", "lang:de=high", "lang:de=-1"])
def test_parse_skills_rejects_bad_items(text: str) -> None:
    """A skill without a whole-number level is a validation error naming the skills field."""
    with pytest.raises(ValidationError) as info:
        parse_skills(text)
    assert info.value.field == "skills"


def test_parser_has_the_core_commands() -> None:
    """serve, demo, migrate, seed and create-user parse with their documented options."""
    parser = build_parser()
    args = parser.parse_args(["--config", "x.toml", "seed", "--customers", "10", "--orders", "20", "--seed", "3"])
    assert (args.config, args.command, args.customers, args.orders, args.seed) == ("x.toml", "seed", 10, 20, 3)
    args = parser.parse_args(["create-user", "--username", "u1", "--role", "agent",
                              "--extension", "201", "--departments", "sales,service", "--display-name", "U One"])
    assert (args.role, args.extension, args.departments) == ("agent", "201", "sales,service")
    assert args.display_name == "U One"
    for command in ("serve", "demo", "migrate"):
        assert parser.parse_args([command]).command == command
    with pytest.raises(SystemExit):
        parser.parse_args(["seed", "--customers", "0"])


def test_the_readmes_mailbox_snippet_is_a_valid_email_section() -> None:
    """The TOML the README's first five minutes tell a newcomer to paste loads as the email section:
    one mailbox feeding sales, and SMTP for the replies."""
    readme = (EXAMPLE.parent / "README.md").read_text(encoding="utf-8")
    start = readme.index("```toml", readme.index("4. **An email.**"))
    snippet = "\n".join(line.strip() for line in readme[start:].split("```")[1].splitlines()[1:])
    config = load_email_config(tomllib.loads(snippet)["email"])
    [mailbox] = config.mailboxes
    assert (mailbox.department, mailbox.port, mailbox.security) == ("sales", 993, "tls")
    assert config.smtp is not None
    assert config.smtp.from_address == "you@example.com"
