"""``demo`` and ``serve`` as real processes: they print where they listen, serve, and stop cleanly on a signal."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from contact_center.settings import Settings
from tests.component.cli.conftest import CLI


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def _process(args: list[str], env: dict[str, str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """The CLI as a child process; killed if the test leaves it running."""
    with log.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(str(CLI), *args, env=env, stdout=asyncio.subprocess.PIPE,
                                                    stderr=err)
        try:
            yield proc
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


async def _read_until(proc: asyncio.subprocess.Process, marker: str, log: Path) -> str:
    """Stdout up to and including the line containing *marker*."""
    assert proc.stdout is not None
    lines: list[str] = []

    async def read() -> None:
        while True:
            line = (await proc.stdout.readline()).decode()  # type: ignore[union-attr]
            if not line:
                stderr = await asyncio.to_thread(log.read_text)
                raise AssertionError(f"exited before {marker!r}; stdout={lines!r} stderr={stderr[-2000:]}")
            lines.append(line)
            if marker in line:
                return

    await asyncio.wait_for(read(), 45)
    return "".join(lines)


def _field(banner: str, name: str) -> str:
    found = re.search(rf"^\s*{name}:\s+(.+?)\s*$", banner, re.MULTILINE)
    assert found, f"no {name} in {banner!r}"
    return found.group(1)


async def test_demo_serves_and_a_demo_agent_logs_in(cli_env: dict[str, str], tmp_path: Path) -> None:
    """`demo` seeds, prints URL, logins and hook; /healthz answers; the printed agent logs in; SIGINT exits 0."""
    port = _free_port()
    env = {**cli_env, "CC_PORT": str(port)}
    del env["CC_DATABASE_URL"]  # the demo's own default: <data_dir>/contact_center.db
    async with _process(["demo", "--customers", "60", "--orders", "400"], env, tmp_path / "demo.log") as proc:
        banner = await _read_until(proc, "Stop with Ctrl+C", tmp_path / "demo.log")
        url, password = _field(banner, "URL"), _field(banner, "Password").split()[0]
        agent = _field(banner, "Agents").split(", ")[0]
        assert url == f"http://127.0.0.1:{port}"
        assert _field(banner, "Supervisor") == "supervisor"
        assert _field(banner, "Admin") == "admin"
        config = tmp_path / "contact-center.toml"
        token = Settings.load(config, environ={}).pbx[0].token.reveal()
        assert _field(banner, "CTI hook") == f"{url}/api/v1/cti/{token}"
        async with aiohttp.ClientSession(base_url=url, cookie_jar=aiohttp.CookieJar(unsafe=True),
                                         headers={"Origin": url}) as client:
            health = await client.get("/healthz")
            assert health.status == 200
            assert (await health.json())["status"] == "ok"
            login = await client.post("/api/v1/auth/login", json={"username": agent, "password": password})
            assert login.status == 200, await login.text()
            me = await (await client.get("/api/v1/me")).json()
            assert me["user"]["role"] == "agent"
            assert me["user"]["departments"]
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    assert (tmp_path / "sources" / "sales.db").exists()
    assert (tmp_path / "contact_center.db").exists()


async def test_serve_runs_until_sigterm(cli_env: dict[str, str], tmp_path: Path) -> None:
    """`serve` migrates a fresh store, prints its address, answers /healthz and exits 0 on SIGTERM."""
    port = _free_port()
    env = {**cli_env, "CC_PORT": str(port)}
    async with _process(["serve"], env, tmp_path / "serve.log") as proc:
        line = await _read_until(proc, "listening on", tmp_path / "serve.log")
        assert f"http://127.0.0.1:{port}" in line
        async with aiohttp.ClientSession() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert health.status == 200
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    log_lines = (tmp_path / "serve.log").read_text().splitlines()
    assert log_lines
    assert all(line.startswith("{") for line in log_lines)
