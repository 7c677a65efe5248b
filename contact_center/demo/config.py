"""The demo configuration file, ``<data_dir>/contact-center.toml``, written once by ``demo``.

It points the screen pop at the three demo source databases (and its suggestions at the sales
database) and declares one PBX (``demo-pbx``) with a random hook token. An existing file is
never rewritten, so the token stays stable across restarts and the operator may edit it;
environment variables still override it.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from contact_center.demo.sources import screenpop_suggestions, source_definitions

CONFIG_NAME = "contact-center.toml"
PBX_NAME = "demo-pbx"


def demo_config_path(data_dir: Path) -> Path:
    """Where ``demo`` keeps its configuration for *data_dir*."""
    return data_dir / CONFIG_NAME


def ensure_demo_config(data_dir: Path, *, host: str = "127.0.0.1", port: int = 8080) -> tuple[Path, bool]:
    """Write the demo configuration unless it exists; return its path and whether it was written."""
    path = demo_config_path(data_dir)
    if path.exists():
        return path, False
    data_dir.mkdir(parents=True, exist_ok=True)
    text = render_demo_config(data_dir.resolve(), token=secrets.token_urlsafe(24), host=host, port=port)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o600)  # holds the hook token
    tmp.replace(path)
    return path, True


def render_demo_config(data_dir: Path, *, token: str, host: str, port: int) -> str:
    """The TOML text of the demo configuration (pure)."""
    lines = [
        "# Written by `contact-center demo`; reused as it is on every start, edit freely.",
        "# Environment variables (CC_PORT, CC_DATABASE_URL, ...) still override what is here.",
        "# Every setting is described in contact-center.example.toml at the project root.",
        "",
        "[server]",
        f"host = {_str(host)}",
        f"port = {port}",
        f"data_dir = {_str(data_dir.as_posix())}",
        "",
        "[phone]",
        'default_region = "DE"',
        "",
        "# The telephone system allowed to post call events to /api/v1/cti/<token>.",
        "[[pbx]]",
        f"name = {_str(PBX_NAME)}",
        f"token = {_str(token)}",
        "# Answer each inbound newCall with the free agent to dial (what `simulate` answers as).",
        "route_inbound = true",
        "",
    ]
    lines += ["# What else would suit the customer: products often bought together with theirs.", "[screenpop]"]
    lines += [*(_entry(key, value) for key, value in screenpop_suggestions().items()), ""]
    for source in source_definitions(data_dir / "sources"):
        lines += ["[[sources]]", *(_entry(key, value) for key, value in source.items()), ""]
    return "\n".join(lines)


def _entry(key: str, value: Any) -> str:
    if isinstance(value, int):
        return f"{key} = {value}"
    if "\n" in value:
        if "'''" in value:
            raise ValueError(f"{key} cannot be written as a TOML literal string")
        return f"{key} = '''\n{value}\n'''"
    return f"{key} = {_str(value)}"


def _str(value: str) -> str:
    """A TOML basic string (JSON's escapes are a subset TOML accepts)."""
    return json.dumps(value, ensure_ascii=False)
