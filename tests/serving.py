"""A real ``contact-center serve`` in a child process, for the crash tests (SIGKILL mid-traffic).

``crash_store_url`` runs each crash test on both stores: a SQLite file and a migrated PostgreSQL
database on the tests' real server.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.processes import free_port

CLI = Path(sys.executable).with_name("contact-center")


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The server's store: a SQLite file, or a migrated PostgreSQL database (a real server)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'cc.db'}"
    return str(request.getfixturevalue("postgres_migrated_url"))


@asynccontextmanager
async def serving(tmp_path: Path, config: str, store_url: str, *,
                  log_name: str = "serve.log") -> AsyncIterator[tuple[asyncio.subprocess.Process, int]]:
    """Run ``contact-center serve`` with TOML *config* on *store_url*; yields the process once it
    listens, and its port. The process is killed on the way out if it still runs."""
    port = free_port()
    path = tmp_path / "cc.toml"
    path.write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CC_")}
    env.update(CC_CONFIG=str(path), CC_DATA_DIR=str(tmp_path), CC_PORT=str(port), CC_DATABASE_URL=store_url)
    with (tmp_path / log_name).open("wb") as log:
        proc = await asyncio.create_subprocess_exec(str(CLI), "serve", env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=log)
        try:
            assert proc.stdout is not None
            async with asyncio.timeout(45):
                while b"listening on" not in (line := await proc.stdout.readline()):
                    assert line, "the server exited before it listened"
            yield proc, port
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
