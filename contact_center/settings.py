"""One frozen settings object, built once from an optional TOML file and ``CC_*`` variables.

Precedence, lowest first: built-in defaults, the TOML file named by ``CC_CONFIG`` (or passed
explicitly), then environment variables. Two spellings of variables are read:

* shortcuts for what operators set most: ``CC_DATABASE_URL``, ``CC_REDIS_URL``, ``CC_HOST``,
  ``CC_PORT``, ``CC_DATA_DIR``, ``CC_DEFAULT_REGION``, ``CC_PUBLIC_URL``, ``CC_LOG_LEVEL``;
* the general form ``CC_<SECTION>__<KEY>`` (for example ``CC_AUTH__COOKIE_SECURE=true``).

Plugins keep their own typed configuration and read it from :meth:`Settings.section`, so this
module stays the only place that looks at the environment. Secrets are :class:`Secret` values
whose ``repr`` and ``str`` never show the value; URLs with passwords are masked the same way.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from contact_center.errors import ConfigError

_SHORTCUTS = {
    "CC_DATABASE_URL": ("database", "url"),
    "CC_REDIS_URL": ("redis", "url"),
    "CC_HOST": ("server", "host"),
    "CC_PORT": ("server", "port"),
    "CC_PUBLIC_URL": ("server", "public_url"),
    "CC_DATA_DIR": ("server", "data_dir"),
    "CC_LOG_LEVEL": ("server", "log_level"),
    "CC_DEFAULT_REGION": ("phone", "default_region"),
}


class Secret:
    """A string that never shows itself in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the secret value; call only where it is really used."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__


def mask_url(url: str) -> str:
    """Return *url* with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class CallerIdRoute:
    """One row of a PBX's outbound caller-id table (Zammad's ``routing_table``).

    ``dest`` is matched against the whole dialled number as the PBX sends it; ``*`` stands for
    one or more characters (``49*``, ``4930*99``). The first matching row gives ``caller_id``.
    """

    dest: str
    caller_id: str


@dataclass(frozen=True)
class PbxSettings:
    """One telephone system allowed to post CTI events, identified by its URL token.

    ``route_inbound``: answer an inbound ``newCall`` with a ``dial`` to the agent (or the
    department's hunt group) the router picked, for PBXs that act on it; off by default, when the
    reply is ``{}`` as Zammad's. ``caller_id_routes`` and ``default_caller_id``: the caller id an
    outbound ``newCall`` should show (Zammad's outbound routing). ``voicemail_names``: ``user``
    names or answering numbers that mean the voicemail answered (lower-case; the call stays missed).
    """

    name: str
    token: Secret
    default_department: str | None = None
    route_inbound: bool = False
    caller_id_routes: tuple[CallerIdRoute, ...] = ()
    default_caller_id: str | None = None
    voicemail_names: frozenset[str] = frozenset({"voicemail"})

    def __repr__(self) -> str:
        return f"PbxSettings(name={self.name!r}, token=***)"


@dataclass(frozen=True)
class SourceSettings:
    """One external customer-data database the screen pop reads (never writes)."""

    name: str
    title: str
    url: str
    query: str
    timeout_ms: int = 150
    kind: str = "rows"  # "rows" (a list) or "row" (one record)
    history_query: str | None = None

    def __repr__(self) -> str:
        return f"SourceSettings(name={self.name!r}, url={mask_url(self.url)!r}, timeout_ms={self.timeout_ms})"


@dataclass(frozen=True)
class Settings:
    """Every setting of one running instance. Build with :meth:`load`."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    data_dir: Path = Path("var")
    log_level: str = "INFO"
    database_url: str = ""
    redis_url: str = ""
    default_region: str = "DE"
    session_ttl_seconds: int = 12 * 3600  # absolute lifetime of a login session
    session_idle_seconds: int = 2 * 3600  # … and how long it lives without a request or an open desk socket
    session_check_seconds: int = 30  # how often an open websocket re-checks its session
    cookie_secure: bool = False
    login_max_failures: int = 5
    login_window_seconds: int = 900
    login_backoff_seconds: int = 30
    login_backoff_max_seconds: int = 900
    max_body_bytes: int = 1024 * 1024
    popcache_ttl_seconds: int = 60
    pbx: tuple[PbxSettings, ...] = ()
    sources: tuple[SourceSettings, ...] = ()
    plugins: tuple[str, ...] = ()
    sections: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: MappingProxyType({}))
    arrays: Mapping[str, tuple[Mapping[str, Any], ...]] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not self.database_url:
            db = (self.data_dir / "contact_center.db").as_posix()
            object.__setattr__(self, "database_url", f"sqlite+aiosqlite:///{db}")
        if not self.public_url:
            object.__setattr__(self, "public_url", f"http://{self.host}:{self.port}")

    def __repr__(self) -> str:
        return (
            f"Settings(host={self.host!r}, port={self.port}, database_url={mask_url(self.database_url)!r}, "
            f"redis_url={mask_url(self.redis_url)!r}, pbx={list(self.pbx)!r}, sources={list(self.sources)!r})"
        )

    def secret_values(self) -> tuple[str, ...]:
        """Every secret this configuration holds (hook tokens, passwords in URLs), for log masking."""
        urls = (self.database_url, self.redis_url, *(s.url for s in self.sources))
        passwords = (urlsplit(u).password for u in urls)
        return tuple(v for v in (*(p.token.reveal() for p in self.pbx), *passwords) if v)

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry ``Secure``: configured so, or whenever the public URL is https."""
        return self.cookie_secure or self.public_url.lower().startswith("https://")

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def section(self, name: str) -> Mapping[str, Any]:
        """Return a plugin's own raw section (``[email]``, ``[routing]`` …), empty when absent."""
        return self.sections.get(name, MappingProxyType({}))

    def array(self, name: str) -> tuple[Mapping[str, Any], ...]:
        """Return a plugin's own array of tables (``[[api_channels]]`` …), empty when absent."""
        return self.arrays.get(name, ())

    @classmethod
    def load(
        cls,
        config_path: str | os.PathLike[str] | None = None,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Build settings from defaults, an optional TOML file, ``CC_*`` variables and *overrides*.

        Raises:
            ConfigError: the file is missing or not TOML, or a value has the wrong type.
        """
        env = os.environ if environ is None else environ
        path = config_path or env.get("CC_CONFIG")
        raw: dict[str, Any] = {}
        if path:
            try:
                raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read configuration file {path}: {exc}") from exc
        _overlay_env(raw, env)
        return _from_raw(raw, base=Path(path).parent if path else Path.cwd(), overrides=overrides)


def _overlay_env(raw: dict[str, Any], env: Mapping[str, str]) -> None:
    for name, value in env.items():
        if not name.startswith("CC_") or name == "CC_CONFIG":
            continue
        if name in _SHORTCUTS:
            section, key = _SHORTCUTS[name]
        elif "__" in name:
            section, _, key = name[3:].lower().partition("__")
        else:
            continue
        raw.setdefault(section, {})[key] = value


def positive_number(raw: Mapping[str, Any], section: str, key: str, default: float, *, integer: bool) -> Any:
    """``raw[key]`` (else *default*) as a positive int or float, for a plugin's own section.

    Raises:
        ConfigError: naming ``section.key`` when the value is not a number or not above zero.
    """
    value = raw.get(key, default)
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{section}.{key} must be a number, not {value!r}") from exc
    if number <= 0:
        raise ConfigError(f"{section}.{key} must be greater than zero")
    return number


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from exc


def _pbx_list(raw: Any) -> tuple[PbxSettings, ...]:
    items = raw if isinstance(raw, list) else []
    out = []
    for i, item in enumerate(items):
        if not item.get("token"):
            raise ConfigError(f"pbx[{i}].token is required")
        out.append(PbxSettings(name=str(item.get("name", f"pbx{i}")), token=Secret(str(item["token"])),
                               default_department=item.get("default_department"),
                               **pbx_options(item, f"pbx[{i}]")))
    return tuple(out)


def pbx_options(item: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A ``[[pbx]]`` table's call-handling options (``route_inbound``, ``caller_id_routes``,
    ``default_caller_id``, ``voicemail_names``), checked; the file and the live configuration share it.

    Raises:
        ConfigError: naming the key (``pbx[0].caller_id_routes[1]`` …).
    """
    default_caller_id = item.get("default_caller_id")
    return {
        "route_inbound": _bool(item.get("route_inbound", False), f"{where}.route_inbound"),
        "caller_id_routes": _caller_id_routes(item.get("caller_id_routes", []), f"{where}.caller_id_routes"),
        "default_caller_id": str(default_caller_id).strip() or None if default_caller_id else None,
        "voicemail_names": _names(item.get("voicemail_names", ["voicemail"]), f"{where}.voicemail_names"),
    }


def _caller_id_routes(raw: Any, name: str) -> tuple[CallerIdRoute, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{name} must be a list of {{dest, caller_id}} tables")
    routes = []
    for j, row in enumerate(raw):
        if not isinstance(row, Mapping) or not str(row.get("dest", "")).strip() or \
                not str(row.get("caller_id", "")).strip():
            raise ConfigError(f"{name}[{j}] needs a dest pattern and a caller_id")
        routes.append(CallerIdRoute(dest=str(row["dest"]).strip(), caller_id=str(row["caller_id"]).strip()))
    return tuple(routes)


def _names(raw: Any, name: str) -> frozenset[str]:
    if isinstance(raw, str):
        raw = [part for part in raw.split(",")]
    if not isinstance(raw, list):
        raise ConfigError(f"{name} must be a list of names")
    return frozenset(str(n).strip().lower() for n in raw if str(n).strip())


def _source_list(raw: Any, data_dir: Path) -> tuple[SourceSettings, ...]:
    items = raw if isinstance(raw, list) else []
    out = []
    for i, item in enumerate(items):
        for key in ("name", "url", "query"):
            if not item.get(key):
                raise ConfigError(f"sources[{i}].{key} is required")
        out.append(
            SourceSettings(
                name=str(item["name"]),
                title=str(item.get("title", item["name"])),
                url=str(item["url"]).replace("{data_dir}", data_dir.as_posix()),
                query=str(item["query"]),
                timeout_ms=_int(item.get("timeout_ms", 150), f"sources[{i}].timeout_ms"),
                kind=str(item.get("kind", "rows")),
                history_query=item.get("history_query"),
            )
        )
    return tuple(out)


def _from_raw(raw: dict[str, Any], *, base: Path, overrides: Mapping[str, Any]) -> Settings:
    server = raw.get("server", {})
    auth = raw.get("auth", {})
    data_dir = Path(server.get("data_dir", "var"))
    if not data_dir.is_absolute():
        data_dir = (base / data_dir).resolve()
    values: dict[str, Any] = {
        "host": str(server.get("host", "127.0.0.1")),
        "port": _int(server.get("port", 8080), "server.port"),
        "public_url": str(server.get("public_url", "")),
        "data_dir": data_dir,
        "log_level": str(server.get("log_level", "INFO")).upper(),
        "max_body_bytes": _int(server.get("max_body_bytes", 1024 * 1024), "server.max_body_bytes"),
        "database_url": str(raw.get("database", {}).get("url", "")),
        "redis_url": str(raw.get("redis", {}).get("url", "")),
        "default_region": str(raw.get("phone", {}).get("default_region", "DE")).upper(),
        "session_ttl_seconds": _int(auth.get("session_ttl_seconds", 12 * 3600), "auth.session_ttl_seconds"),
        "session_idle_seconds": _int(auth.get("session_idle_seconds", 2 * 3600), "auth.session_idle_seconds"),
        "session_check_seconds": _int(auth.get("session_check_seconds", 30), "auth.session_check_seconds"),
        "cookie_secure": _bool(auth.get("cookie_secure", False), "auth.cookie_secure"),
        "login_max_failures": _int(auth.get("login_max_failures", 5), "auth.login_max_failures"),
        "login_window_seconds": _int(auth.get("login_window_seconds", 900), "auth.login_window_seconds"),
        "login_backoff_seconds": _int(auth.get("login_backoff_seconds", 30), "auth.login_backoff_seconds"),
        "login_backoff_max_seconds": _int(auth.get("login_backoff_max_seconds", 900),
                                          "auth.login_backoff_max_seconds"),
        "popcache_ttl_seconds": _int(
            raw.get("screenpop", {}).get("cache_ttl_seconds", 60), "screenpop.cache_ttl_seconds"
        ),
        "pbx": _pbx_list(raw.get("pbx")),
        "sources": _source_list(raw.get("sources"), data_dir),
        "plugins": tuple(raw.get("server", {}).get("plugins", ())),
        "sections": MappingProxyType({k: MappingProxyType(v) for k, v in raw.items() if isinstance(v, dict)}),
        "arrays": MappingProxyType({k: tuple(MappingProxyType(t) for t in v) for k, v in raw.items()
                                    if k not in ("pbx", "sources") and isinstance(v, list)
                                    and all(isinstance(t, dict) for t in v)}),
    }
    values.update(overrides)
    return Settings(**values)
