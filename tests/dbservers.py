"""Real Redis and PostgreSQL servers for the tests (see ``shared/REAL-SERVERS.md`` for the recipes)."""

from __future__ import annotations

import asyncio
import glob
import itertools
import os
import signal
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.processes import HOST, ServerFailed, ServerProcess, find_binary, free_port, make_workdir, run_checked

_ATTEMPTS = 3  # a free port can be taken by someone else between choosing it and binding it


def redis_command(port: int, *args: str, timeout: float = 2.0) -> bytes:
    """Send one command to a Redis on *port* and return its first reply line."""
    payload = f"*{len(args)}\r\n".encode() + b"".join(
        f"${len(a.encode())}\r\n".encode() + a.encode() + b"\r\n" for a in args
    )
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(payload)
        return sock.recv(4096).split(b"\r\n", 1)[0]


class RedisServer:
    """A redis-server on 127.0.0.1: no persistence (unless *persistent*), its own temp dir; can stop and start again."""

    def __init__(self, root: Path, name: str = "redis", *, persistent: bool = False) -> None:
        self.binary = find_binary("redis-server")
        self.dir = make_workdir(root, name)
        self.name = name
        self.port = 0
        self.process: ServerProcess | None = None
        self.persistent = persistent  # an append-only file written on every command: a restart keeps the data

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def launch(self, port: int | None = None) -> None:
        """Spawn the server without waiting (a new free port unless *port* is given)."""
        self.port = port or free_port()
        self.process = ServerProcess(self.name, [
            self.binary, "--port", str(self.port), "--bind", HOST, "--save", "",
            *(("--appendonly", "yes", "--appendfsync", "always") if self.persistent else ("--appendonly", "no")),
            "--daemonize", "no", "--dir", str(self.dir), "--protected-mode", "no",
        ], log=self.dir / "redis.log")
        self.process.start()

    def ping(self) -> bool:
        try:
            return redis_command(self.port, "PING", timeout=0.5) == b"+PONG"
        except OSError:
            return False

    def wait_ready(self) -> None:
        """Wait for PONG; relaunch on another port if this one turned out to be taken."""
        for attempt in range(_ATTEMPTS):
            if self.process is None:
                self.launch()
            assert self.process is not None
            try:
                self.process.wait_until(self.ping, "answering PING")
                return
            except ServerFailed:
                self.process.stop()
                self.process = None
                if attempt == _ATTEMPTS - 1:
                    raise

    def start(self, *, same_port: bool = True) -> None:
        """(Re)start the server, on the same port by default, and wait for it."""
        self.launch(self.port if same_port and self.port else None)
        assert self.process is not None
        self.process.wait_until(self.ping, "answering PING")

    def stop(self) -> None:
        """Stop the server (``SHUTDOWN NOSAVE`` semantics: only a *persistent* server's append-only file is kept)."""
        if self.process is not None:
            self.process.stop()

    def flushall(self) -> None:
        reply = redis_command(self.port, "FLUSHALL")
        if reply != b"+OK":
            raise ServerFailed(f"FLUSHALL answered {reply!r}")


class PostgresServer:
    """A PostgreSQL cluster on 127.0.0.1 with fsync off, run as the ``postgres`` user when we are root."""

    def __init__(self, root: Path) -> None:
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
        self.bindir = candidates[-1] if candidates else ""
        self.postgres = find_binary("postgres", self.bindir)
        self.bindir = str(Path(self.postgres).parent)
        self._as_postgres = ["--reuid=postgres", "--regid=postgres", "--init-groups"] if os.geteuid() == 0 else []
        self.dir = make_workdir(root, "postgres", owner="postgres" if self._as_postgres else None)
        self.port = 0
        self.initdb: ServerProcess | None = None
        self.process: ServerProcess | None = None
        self._names = itertools.count(1)
        self._drops: list[subprocess.Popen[bytes]] = []

    def launch(self) -> None:
        """Start ``initdb`` in the background; :meth:`wait_ready` starts the server after it."""
        self.initdb = ServerProcess("initdb", [
            f"{self.bindir}/initdb", "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        ], log=self.dir / "initdb.log", setpriv=self._as_postgres)
        self.initdb.start()

    def wait_ready(self) -> None:
        """Finish initdb, start the server (retrying on a taken port) and wait until it accepts."""
        if self.initdb is None:
            self.launch()
        assert self.initdb is not None
        assert self.initdb.popen is not None
        if self.initdb.popen.wait(120) != 0:
            raise ServerFailed(f"initdb failed:\n{self.initdb.log_tail()}")
        for attempt in range(3):
            self.port = free_port()
            self.process = ServerProcess("postgres", [
                self.postgres, "-D", str(self.dir / "data"), "-p", str(self.port), "-k", str(self.dir),
                "-c", f"listen_addresses={HOST}", "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=32MB",
            ], log=self.dir / "postgres.log", stop_signal=signal.SIGINT, setpriv=self._as_postgres)
            self.process.start()
            try:
                self.process.wait_until(self._accepting, "accepting connections")
                return
            except ServerFailed:
                self.process.stop()
                if attempt == 2:
                    raise

    def _accepting(self) -> bool:
        probe = subprocess.run([f"{self.bindir}/pg_isready", "-q", "-h", HOST, "-p", str(self.port)], check=False)
        return probe.returncode == 0

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of *database* on this server."""
        return f"postgresql+asyncpg://postgres@{HOST}:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> str:
        """Run *sql* with psql as the superuser; returns unaligned output."""
        return run_checked([f"{self.bindir}/psql", "-h", HOST, "-p", str(self.port), "-U", "postgres", "-d", database,
                            "-v", "ON_ERROR_STOP=1", "-qAtc", sql], f"psql {sql[:60]!r}")

    def create_database(self, template: str | None = None) -> str:
        """A new empty database (or a copy of *template*); returns its name."""
        name = f"test_{next(self._names)}"
        template_sql = f' TEMPLATE "{template}"' if template else ""
        self.execute(f'CREATE DATABASE "{name}"{template_sql} STRATEGY FILE_COPY')  # fastest with fsync off
        return name

    def drop_database(self, name: str) -> None:
        """Drop *name* in the background (forcing out leftover connections); reaped at :meth:`stop`."""
        self._drops = [p for p in self._drops if p.poll() is None]
        self._drops.append(subprocess.Popen(
            [f"{self.bindir}/psql", "-h", HOST, "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-qc",
             f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))

    def migrated_template(self) -> str:
        """A database at the latest migration, made once, to copy for tests that skip migrating."""
        name = "cc_migrated_template"
        if self.execute(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip() != "1":
            self.execute(f'CREATE DATABASE "{name}"')
            # Its own thread and loop: this may be called from inside a test's running loop.
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, _migrate(self.url(name))).result(120)
        return name

    def stop(self) -> None:
        for drop in self._drops:
            drop.wait(10)
        for server in (self.process, self.initdb):
            if server is not None:
                server.stop()


async def _migrate(url: str) -> None:
    from contact_center.store.migrate import upgrade
    from contact_center.store.session import Database

    db = Database(url)
    try:
        await upgrade(db)
    finally:
        await db.close()
