"""Real servers for the tests, as pytest fixtures: Redis, PostgreSQL, Dovecot and aiosmtpd.

Loaded as a plugin by ``tests/conftest.py``. Each external server starts at most once per
session, only if a collected test needs it: right after collection the servers the selected
tests use are spawned together in the background (so they start in parallel while the first
tests run), and the session fixture waits until its server is ready. A test that reaches a
server only through ``request.getfixturevalue`` should carry the marker ``@pytest.mark.postgres``
(``redis``, ``dovecot``) so its server is started early too. All of them listen on
127.0.0.1 on free ports, live in one temp dir, die with pytest (parent-death signal) and are
stopped by PID at the end of the session. A missing binary fails the test loudly, never skips.

Fixtures (see each docstring):

* ``redis_server`` (session) -> :class:`RedisServer`; ``redis_url`` -> ``redis://127.0.0.1:P/0``,
  flushed before the test; ``redis_factory()`` -> a private :class:`RedisServer` the test may
  ``stop()`` and ``start()`` again on the same port.
* ``postgres_server`` (session) -> :class:`PostgresServer`; ``postgres_url`` -> a fresh empty
  database ``postgresql+asyncpg://postgres@127.0.0.1:P/test_N``, dropped afterwards;
  ``postgres_migrated_url`` -> the same, already at the latest migration.
* ``dovecot_server`` (session) -> :class:`DovecotServer`; ``dovecot`` -> :class:`DovecotForTest`
  with its own mailbox user; ``dovecot_factory()`` -> a private server that may stop/start.
* ``smtp_server`` (async) -> :class:`SmtpServer` in the test's loop; ``smtp_factory(credentials=...)``
  for more, or one that requires AUTH.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.dbservers import PostgresServer, RedisServer
from tests.mailservers import Certificate, DovecotForTest, DovecotServer, MailUser, ReceivedMail, SmtpServer
from tests.processes import MAKE_HINT, ServerFailed, ServerMissing

__all__ = [
    "Certificate", "DovecotForTest", "DovecotServer", "MailUser", "PostgresServer", "ReceivedMail", "RedisServer",
    "SmtpServer",
]

_ROOT_PREFIX = "cc-test-servers-"
_FIXTURE_SERVERS = {"redis_server": "redis", "postgres_server": "postgres", "dovecot_server": "dovecot"}
_BUILDERS: dict[str, Callable[..., Any]] = {
    "redis": RedisServer,
    "postgres": PostgresServer,
    "dovecot": DovecotServer,
}


class ServerPool:
    """The session's shared servers: spawned early, waited for on first use, stopped at the end."""

    def __init__(self) -> None:
        self._root: Path | None = None
        self._servers: dict[str, Any] = {}
        self._errors: dict[str, Exception] = {}
        self._ready: set[str] = set()
        self._extra: list[Any] = []

    @property
    def root(self) -> Path:
        if self._root is None:
            _sweep_abandoned_roots()
            self._root = Path(tempfile.mkdtemp(prefix=_ROOT_PREFIX))
            self._root.chmod(0o755)  # servers run as other users (postgres, nobody) below it
            (self._root / "owner.pid").write_text(str(os.getpid()))
        return self._root

    def launch(self, name: str) -> None:
        """Spawn server *name* without waiting; errors are kept and reported by :meth:`get`."""
        if name in self._servers or name in self._errors:
            return
        try:
            server = _BUILDERS[name](self.root)
            server.launch()
            self._servers[name] = server
        except (ServerMissing, ServerFailed, OSError) as exc:
            self._errors[name] = exc

    def get(self, name: str) -> Any:
        """Server *name*, ready to use; fails the requesting test loudly when it cannot run."""
        self.launch(name)
        if name in self._errors:
            _fail(name, self._errors[name])
        server = self._servers[name]
        if name not in self._ready:
            try:
                server.wait_ready()
            except (ServerFailed, OSError) as exc:
                self._errors[name] = exc
                _fail(name, exc)
            self._ready.add(name)
        return server

    def private(self, kind: str, **options: Any) -> Any:
        """A new, ready server of *kind* for one test (stopped when the session ends at the latest)."""
        try:
            server = _BUILDERS[kind](self.root / "private", name=f"{kind}-{len(self._extra) + 1}", **options)
            self._extra.append(server)
            server.wait_ready()
        except (ServerMissing, ServerFailed, OSError) as exc:
            _fail(f"private {kind}", exc)
        return server

    def stop_all(self) -> None:
        servers = [*self._servers.values(), *self._extra]
        for server in servers:
            if getattr(server, "process", None) is not None:
                server.process.signal_stop()  # all at once, then wait for each
        for server in servers:
            server.stop()
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)


def _sweep_abandoned_roots() -> None:
    """Remove server dirs of pytest runs that were killed (their servers died with them)."""
    for path in Path(tempfile.gettempdir()).glob(f"{_ROOT_PREFIX}*"):
        try:
            owner = int((path / "owner.pid").read_text())
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except (OSError, ValueError):
            continue  # no owner file yet, or not ours to judge


def _fail(name: str, exc: Exception) -> NoReturn:
    hint = "" if isinstance(exc, ServerMissing) else f"\n(if a binary is missing, {MAKE_HINT})"
    pytest.fail(f"cannot start the test {name} server: {exc}{hint}", pytrace=False)


_POOL = pytest.StashKey[ServerPool]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_POOL] = ServerPool()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Spawn, in parallel and in the background, every server the selected tests will use."""
    if session.config.option.collectonly:
        return
    wanted = {
        server
        for item in session.items
        for fixture, server in _FIXTURE_SERVERS.items()
        if fixture in getattr(item, "fixturenames", ()) or item.get_closest_marker(server) is not None
    }
    for name in sorted(wanted, key=lambda n: n != "postgres"):  # initdb is the slowest: first
        session.config.stash[_POOL].launch(name)


def pytest_sessionfinish(session: pytest.Session) -> None:
    session.config.stash[_POOL].stop_all()


# ---------------------------------------------------------------------------- Redis


@pytest.fixture(scope="session")
def redis_server(pytestconfig: pytest.Config) -> RedisServer:
    """The session's redis-server (``.url``, ``.port``, ``.flushall()``)."""
    return pytestconfig.stash[_POOL].get("redis")  # type: ignore[no-any-return]


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """``redis://127.0.0.1:PORT/0`` on the shared server, emptied (FLUSHALL) before the test."""
    redis_server.flushall()
    return redis_server.url


@pytest.fixture
def redis_factory(pytestconfig: pytest.Config) -> Iterator[Callable[..., RedisServer]]:
    """Start private redis-servers (ready on return) that a test may ``stop()`` and ``start()``;
    ``redis_factory(persistent=True)`` keeps its data across a restart (append-only file)."""
    pool = pytestconfig.stash[_POOL]
    started: list[RedisServer] = []

    def start(*, persistent: bool = False) -> RedisServer:
        server: RedisServer = pool.private("redis", persistent=persistent)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# ---------------------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def postgres_server(pytestconfig: pytest.Config) -> PostgresServer:
    """The session's PostgreSQL (``.url(db)``, ``.execute(sql, database=...)``, ``.create_database()``)."""
    return pytestconfig.stash[_POOL].get("postgres")  # type: ignore[no-any-return]


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database for this test: ``postgresql+asyncpg://postgres@127.0.0.1:PORT/test_N``."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


@pytest.fixture
def postgres_migrated_url(postgres_server: PostgresServer) -> Iterator[str]:
    """Like ``postgres_url`` but already at the latest migration (start apps with it quickly)."""
    name = postgres_server.create_database(template=postgres_server.migrated_template())
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


# ---------------------------------------------------------------------------- Dovecot


@pytest.fixture(scope="session")
def dovecot_server(pytestconfig: pytest.Config) -> DovecotServer:
    """The session's Dovecot (IMAP + LMTP on 127.0.0.1)."""
    return pytestconfig.stash[_POOL].get("dovecot")  # type: ignore[no-any-return]


@pytest.fixture
def dovecot(dovecot_server: DovecotServer) -> DovecotForTest:
    """The shared Dovecot with a mailbox user of this test's own (``.user``, ``.password``)."""
    return DovecotForTest(dovecot_server)


@pytest.fixture(scope="session")
def tls_dovecot_server(pytestconfig: pytest.Config) -> DovecotServer:
    """A second Dovecot with a self-signed certificate: IMAPS on ``imaps_port``, STARTTLS on
    ``imap_port``; clients trust it through ``certificate.cert``."""
    return pytestconfig.stash[_POOL].private("dovecot", tls=True)  # type: ignore[no-any-return]


@pytest.fixture
def dovecot_factory(pytestconfig: pytest.Config) -> Iterator[Callable[[], DovecotServer]]:
    """Start private Dovecot servers (ready on return) that a test may ``stop()`` and ``start()``."""
    pool = pytestconfig.stash[_POOL]
    started: list[DovecotServer] = []

    def start() -> DovecotServer:
        server: DovecotServer = pool.private("dovecot")
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# ---------------------------------------------------------------------------- SMTP


SmtpFactory = Callable[..., Awaitable[SmtpServer]]


@pytest.fixture
async def smtp_factory() -> AsyncIterator[SmtpFactory]:
    """``await smtp_factory(credentials=("user", "pw"))`` starts another aiosmtpd server in this loop."""
    servers: list[SmtpServer] = []

    async def start(*, credentials: tuple[str, str] | None = None, certificate: Certificate | None = None,
                    implicit_tls: bool = False) -> SmtpServer:
        server = SmtpServer(credentials=credentials, certificate=certificate, implicit_tls=implicit_tls)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def smtp_server(smtp_factory: SmtpFactory) -> SmtpServer:
    """An SMTP server on 127.0.0.1 in the test's loop; ``.messages``, ``await .next_message()``."""
    return await smtp_factory()
