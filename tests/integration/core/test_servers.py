"""The real-server fixtures themselves: each server answers, tests are isolated, faults are injectable."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import aioimaplib
import aiosmtplib
import asyncpg
import pytest
import redis.asyncio as aioredis

from tests.servers import DovecotForTest, RedisServer, SmtpServer


def _mail(subject: str, body: str = "hello") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "customer@example.test"
    msg["To"] = "support@example.test"
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


async def test_redis_url_is_empty_at_start_and_usable(redis_url: str) -> None:
    """redis_url points at a live server that holds nothing from earlier tests."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert await client.dbsize() == 0
        await client.set("leftover", "1")  # the next test must not see this
        assert await client.get("leftover") == b"1"
    finally:
        await client.aclose()


async def test_redis_url_flushes_between_tests(redis_url: str) -> None:
    """A key written by another test is gone (FLUSHALL before each test)."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        assert await client.get("leftover") is None
    finally:
        await client.aclose()


async def test_private_redis_stops_and_starts_on_the_same_port(redis_factory) -> None:
    """A private redis-server refuses connections when stopped and serves again after start()."""
    server: RedisServer = redis_factory()
    client = aioredis.Redis.from_url(server.url)
    try:
        assert await client.ping()
        server.stop()
        with pytest.raises(aioredis.ConnectionError):
            await client.ping()
        server.start()
        assert await client.ping()
    finally:
        await client.aclose()


async def test_postgres_url_is_a_fresh_empty_database(postgres_url: str) -> None:
    """Each test gets its own empty PostgreSQL database."""
    conn = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        tables = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        assert tables == []
        assert (await conn.fetchval("SHOW server_version_num")).startswith("15")
        await conn.execute("CREATE TABLE mine (x int)")
    finally:
        await conn.close()


async def test_postgres_migrated_url_has_the_schema(postgres_migrated_url: str) -> None:
    """postgres_migrated_url starts at the latest migration, in a database of its own."""
    conn = await asyncpg.connect(postgres_migrated_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        names = {r["tablename"] for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")}
        assert {"customer", "identity", "user_account", "alembic_version"} <= names
        assert "mine" not in names
    finally:
        await conn.close()


def test_dovecot_delivers_and_appends_into_the_tests_own_mailbox(dovecot: DovecotForTest) -> None:
    """LMTP delivery and IMAP APPEND land in this test's mailbox, in order; other folders are created."""
    dovecot.deliver(dovecot.user, _mail("first"))
    dovecot.append(dovecot.user, _mail("second").as_bytes())
    dovecot.append(dovecot.user, _mail("sent copy"), folder="Sent", flags="\\Seen")
    inbox = dovecot.fetch_all(dovecot.user)
    assert [b"Subject: first" in m for m in inbox] == [True, False]
    assert b"Subject: second" in inbox[1]
    assert len(dovecot.fetch_all(dovecot.user, "Sent")) == 1


def test_dovecot_users_never_share_a_mailbox(dovecot: DovecotForTest) -> None:
    """A second test's fresh user starts with an empty INBOX, and new users log in at once."""
    assert dovecot.fetch_all(dovecot.user) == []
    other = dovecot.new_user("agentbox")
    dovecot.deliver(other, b"Subject: x\r\n\r\nbody\r\n")
    assert len(dovecot.fetch_all(other)) == 1
    assert dovecot.fetch_all(dovecot.user) == []


def _watch_connection_lost(client: aioimaplib.IMAP4) -> asyncio.Future[Exception | None]:
    """A future that resolves when the client's connection closes."""
    lost: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()
    original = client.protocol.connection_lost

    def connection_lost(exc: Exception | None) -> None:
        original(exc)
        if not lost.done():
            lost.set_result(exc)

    client.protocol.connection_lost = connection_lost  # type: ignore[method-assign]
    return lost


async def test_dovecot_kick_drops_a_client_in_idle(dovecot: DovecotForTest) -> None:
    """kick() ends an IDLE-ing aioimaplib session: the client sees the connection close."""
    client = aioimaplib.IMAP4(host=dovecot.host, port=dovecot.imap_port, timeout=5)
    await client.wait_hello_from_server()
    assert (await client.login(dovecot.user, dovecot.password)).result == "OK"
    await client.select("INBOX")
    idle = await client.idle_start(timeout=30)  # returns once the server said "+ idling"
    lost = _watch_connection_lost(client)
    dovecot.kick(dovecot.user)
    async with asyncio.timeout(5):
        await lost
    idle.cancel()


async def test_dovecot_idle_sees_a_delivery(dovecot: DovecotForTest) -> None:
    """A message delivered over LMTP is pushed to an IMAP client waiting in IDLE."""
    client = aioimaplib.IMAP4(host=dovecot.host, port=dovecot.imap_port, timeout=5)
    await client.wait_hello_from_server()
    await client.login(dovecot.user, dovecot.password)
    await client.select("INBOX")
    idle = await client.idle_start(timeout=30)
    await asyncio.to_thread(dovecot.deliver, dovecot.user, _mail("pushed"))
    async with asyncio.timeout(5):
        pushes: list = []
        while not any(b"EXISTS" in (p if isinstance(p, bytes) else b"") for p in pushes):
            pushes = await client.wait_server_push()
    client.idle_done()
    await asyncio.wait_for(idle, 5)
    await client.logout()


async def test_smtp_server_records_envelopes(smtp_server: SmtpServer) -> None:
    """Accepted mail is recorded with its envelope and the exact bytes; next_message() waits for it."""
    await aiosmtplib.send(_mail("reply"), hostname=smtp_server.host, port=smtp_server.port,
                          sender="agent@example.test", recipients=["customer@example.test"])
    got = await smtp_server.next_message(timeout=5)
    assert got.mail_from == "agent@example.test"
    assert got.rcpt_tos == ("customer@example.test",)
    assert got.message()["Subject"] == "reply"


async def test_smtp_server_fails_temporarily_then_accepts(smtp_server: SmtpServer) -> None:
    """fail_next() answers 4xx for the planned attempts, then mail goes through."""
    smtp_server.fail_next(2)
    for _ in range(2):
        with pytest.raises(aiosmtplib.SMTPDataError) as err:
            await aiosmtplib.send(_mail("retry"), hostname=smtp_server.host, port=smtp_server.port)
        assert err.value.code == 451
    await aiosmtplib.send(_mail("retry"), hostname=smtp_server.host, port=smtp_server.port)
    assert smtp_server.attempts == 3
    assert len(await smtp_server.wait_for(1)) == 1


async def test_smtp_server_rejects_permanently(smtp_server: SmtpServer) -> None:
    """reject_all() answers 5xx and records nothing."""
    smtp_server.reject_all()
    with pytest.raises(aiosmtplib.SMTPDataError) as err:
        await aiosmtplib.send(_mail("no"), hostname=smtp_server.host, port=smtp_server.port)
    assert err.value.code == 554
    assert smtp_server.messages == []


async def test_smtp_factory_can_require_auth(smtp_factory) -> None:
    """A server made with credentials refuses unauthenticated mail and accepts the right login."""
    server = await smtp_factory(credentials=("mailer", "s3cret"))
    with pytest.raises(aiosmtplib.SMTPResponseException):
        await aiosmtplib.send(_mail("anon"), hostname=server.host, port=server.port)
    await aiosmtplib.send(_mail("authed"), hostname=server.host, port=server.port,
                          username="mailer", password="s3cret", use_tls=False, start_tls=False)
    assert (await server.next_message()).message()["Subject"] == "authed"


def test_a_missing_server_binary_fails_loudly_with_the_fix() -> None:
    """A server binary that is not installed raises an error telling the developer to run `make test`."""
    from tests.processes import ServerMissing, find_binary

    with pytest.raises(ServerMissing, match="make test"):
        find_binary("no-such-server-binary-cc")


async def test_private_dovecot_stops_and_starts_on_the_same_ports(dovecot_factory) -> None:
    """A private Dovecot drops its IMAP clients when stopped and serves the same mailbox after start()."""
    server = dovecot_factory()
    user = server.new_user()
    server.deliver(user, _mail("kept"))
    client = aioimaplib.IMAP4(host=server.host, port=server.imap_port, timeout=5)
    await client.wait_hello_from_server()
    await client.login(user.name, user.password)
    lost = _watch_connection_lost(client)
    await asyncio.to_thread(server.stop)
    async with asyncio.timeout(5):
        await lost
    server.start()
    assert len(server.fetch_all(user)) == 1
