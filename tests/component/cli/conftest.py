"""Run the real ``contact-center`` console script as a subprocess against a store in tmp_path."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

CLI = Path(sys.executable).with_name("contact-center")


@dataclass(frozen=True)
class CliResult:
    returncode: int
    stdout: str
    stderr: str


CliRunner = Callable[..., Awaitable[CliResult]]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment for a CLI subprocess: no inherited CC_* settings, data and store in tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env["CC_DATA_DIR"] = str(tmp_path)
    env["CC_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'cc.db'}"
    return env


@pytest.fixture
def run_cli(cli_env: dict[str, str]) -> CliRunner:
    """Run ``contact-center *args`` to completion (bounded) and return its exit code and output."""

    async def run(*args: str, stdin: str | None = None) -> CliResult:
        proc = await asyncio.create_subprocess_exec(
            str(CLI), *args, env=cli_env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(stdin.encode() if stdin else b""), 45)
        assert proc.returncode is not None
        return CliResult(proc.returncode, out.decode(), err.decode())

    return run
