"""Real mail servers for the tests: Dovecot (IMAP + LMTP) and an aiosmtpd SMTP server.

Dovecot keeps one passwd-file per user (``users.d/<name>``): Dovecot re-reads a changed
passwd-file at most once a second, but reads a file it has never seen at once, so users added
during a test can log in immediately. Auth penalties are off so a test that logs in with a wrong
password on purpose does not slow down every later login from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import imaplib
import itertools
import os
import re
import signal
import smtplib
import socket
import ssl
import time
import warnings
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.processes import (
    HOST,
    ServerFailed,
    ServerProcess,
    find_binary,
    free_port,
    make_workdir,
    run_checked,
    tcp_greeting,
)

_NAME = re.compile(r"^[a-z0-9_.-]{1,64}$")

_CONFIG = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
protocols = imap lmtp
listen = {host}
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = 1
{identity}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users.d/%u
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps_port}
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {host}
    port = {lmtp_port}
  }}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol imap {{
  mail_max_userip_connections = 500
}}
"""


@dataclass(frozen=True)
class MailUser:
    """A mailbox on the test Dovecot: log in to IMAP with ``name``/``password``."""

    name: str
    password: str


def as_bytes(message: bytes | str | Message) -> bytes:
    """Wire bytes (CRLF line ends) of *message*."""
    if isinstance(message, Message):
        return message.as_bytes(policy=email.policy.SMTP)
    data = message.encode() if isinstance(message, str) else message
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1 and ``localhost``: a client trusts it through
    ``cert`` as its CA file; a server presents ``cert`` with ``key``."""

    cert: Path
    key: Path

    @classmethod
    def create(cls, folder: Path) -> Certificate:
        """Generate a fresh key and certificate (openssl, valid two days) under *folder*."""
        cert, key = folder / "cert.pem", folder / "key.pem"
        run_checked([find_binary("openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                     "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                     "-keyout", str(key), "-out", str(cert)], "openssl req")
        key.chmod(0o644)  # Dovecot's config reader may run as another user
        return cls(cert, key)

    def server_context(self) -> ssl.SSLContext:
        """A server-side TLS context presenting this certificate."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


class DovecotServer:
    """A standalone Dovecot: IMAP and LMTP on 127.0.0.1, maildir under its temp dir.

    With *tls*, it also presents a self-signed certificate (:attr:`certificate`): implicit TLS on
    :attr:`imaps_port` and STARTTLS on :attr:`imap_port`.
    """

    def __init__(self, root: Path, name: str = "dovecot", *, tls: bool = False) -> None:
        self.binary = find_binary("dovecot")
        self.doveadm = find_binary("doveadm")
        self.dir = make_workdir(root, name)
        self.name = name
        self.host = HOST
        self.imap_port = 0
        self.imaps_port = 0
        self.lmtp_port = 0
        self.process: ServerProcess | None = None
        self._passwords: dict[str, str] = {}
        self._names = itertools.count(1)
        for sub in ("run", "state", "users.d", "mail"):
            (self.dir / sub).mkdir(exist_ok=True)
        self._uid, self._gid = (65534, 65534) if os.geteuid() == 0 else (os.getuid(), os.getgid())
        os.chown(self.dir / "mail", self._uid, self._gid)
        self.certificate = Certificate.create(self.dir) if tls else None

    @property
    def config(self) -> Path:
        return self.dir / "dovecot.conf"

    def _write_config(self) -> None:
        identity = ""
        if os.geteuid() != 0:  # an unprivileged Dovecot runs every service as ourselves
            user = os.environ.get("USER") or str(os.getuid())
            identity = f"default_internal_user = {user}\ndefault_login_user = {user}\n"
        tls = "ssl = no"
        if self.certificate is not None:
            tls = f"ssl = yes\nssl_cert = <{self.certificate.cert}\nssl_key = <{self.certificate.key}"
        self.config.write_text(_CONFIG.format(dir=self.dir, host=HOST, imap_port=self.imap_port,
                                              imaps_port=self.imaps_port, lmtp_port=self.lmtp_port,
                                              uid=self._uid, gid=self._gid, identity=identity, ssl=tls))

    def launch(self, *, same_ports: bool = False) -> None:
        """Spawn Dovecot without waiting (new free ports unless *same_ports*)."""
        if not same_ports or not self.imap_port:
            self.imap_port, self.lmtp_port = free_port(), free_port()
            self.imaps_port = free_port() if self.certificate is not None else 0
        self._write_config()
        # SIGKILL to the whole group: logged-in imap processes outlive a killed master, and a
        # SIGTERM shutdown takes a second.
        self.process = ServerProcess(self.name, [self.binary, "-F", "-c", str(self.config)],
                                     log=self.dir / "master.log", stop_signal=signal.SIGKILL, stop_group=True)
        self.process.start()

    def _ready(self) -> bool:
        return tcp_greeting(self.imap_port, b"* OK") and tcp_greeting(self.lmtp_port, b"220")

    def wait_ready(self) -> None:
        """Wait for both greetings; relaunch on new ports when a port turned out to be taken."""
        for attempt in range(3):
            if self.process is None:
                self.launch()
            assert self.process is not None
            try:
                self.process.wait_until(self._ready, "greeting on IMAP and LMTP")
                return
            except ServerFailed:
                self.stop()
                self.process = None
                if attempt == 2:
                    raise

    def start(self) -> None:
        """Start again on the same ports (after :meth:`stop`) and wait until it greets."""
        self.launch(same_ports=True)
        assert self.process is not None
        self.process.wait_until(self._ready, "greeting on IMAP and LMTP")

    def stop(self) -> None:
        """Stop Dovecot and wait until its ports are free (every IMAP connection drops)."""
        if self.process is not None:
            self.process.stop()
            deadline = time.monotonic() + 5
            while self._listening() and time.monotonic() < deadline:
                time.sleep(0.01)

    def _listening(self) -> bool:
        for port in (self.imap_port, self.lmtp_port):
            with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
                return True
        return False

    # ------------------------------------------------------------------ users and mail

    def add_user(self, name: str, password: str) -> MailUser:
        """Create a mailbox user (or change its password); usable for login at once."""
        if not _NAME.match(name):
            raise ValueError(f"mail user name {name!r} must match {_NAME.pattern}")
        (self.dir / "users.d" / name).write_text(f"{name}:{{PLAIN}}{password}::::::\n")
        self._passwords[name] = password
        return MailUser(name, password)

    def new_user(self, prefix: str = "user") -> MailUser:
        """A user with a name never used before in this session, so tests never share a mailbox."""
        return self.add_user(f"{prefix}{next(self._names)}", f"pw-{prefix}-secret")

    def deliver(self, user: str | MailUser, message: bytes | str | Message,
                *, mail_from: str = "sender@example.test") -> None:
        """Deliver *message* to *user*'s INBOX through LMTP (as an MTA would)."""
        name = user.name if isinstance(user, MailUser) else user
        with smtplib.LMTP(HOST, self.lmtp_port, timeout=10) as lmtp:
            lmtp.sendmail(mail_from, [name], as_bytes(message))

    def _imap(self, user: str | MailUser) -> imaplib.IMAP4:
        name = user.name if isinstance(user, MailUser) else user
        client = imaplib.IMAP4(HOST, self.imap_port, timeout=10)
        client.login(name, self._passwords[name])
        return client

    def append(self, user: str | MailUser, message: bytes | str | Message, folder: str = "INBOX",
               *, flags: str = "") -> None:
        """IMAP APPEND *message* to *folder* (created when missing)."""
        with self._imap(user) as client:
            client.create(folder)  # NO [ALREADYEXISTS] when it exists: fine
            status, data = client.append(folder, f"({flags})" if flags else None, None, as_bytes(message))
            if status != "OK":
                raise ServerFailed(f"APPEND to {folder} failed: {data!r}")

    def fetch_all(self, user: str | MailUser, folder: str = "INBOX") -> list[bytes]:
        """The raw bytes of every message in *folder*, oldest first (empty when the folder is missing)."""
        with self._imap(user) as client:
            status, _ = client.select(folder, readonly=True)
            if status != "OK":
                return []
            _, data = client.uid("SEARCH", "ALL")
            out = []
            for uid in data[0].split():
                _, parts = client.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
                out.append(bytes(parts[0][1]))  # type: ignore[index]
            return out

    def kick(self, user: str | MailUser) -> None:
        """Drop every IMAP connection of *user* now (``doveadm kick``): the client sees BYE/EOF."""
        name = user.name if isinstance(user, MailUser) else user
        run_checked([self.doveadm, "-c", str(self.config), "kick", name], f"doveadm kick {name}")


class DovecotForTest:
    """What the ``dovecot`` fixture gives a test: the shared server and a mailbox of its own."""

    def __init__(self, server: DovecotServer) -> None:
        self.server = server
        self.mailbox = server.new_user("box")

    host = property(lambda self: self.server.host)
    imap_port = property(lambda self: self.server.imap_port)
    lmtp_port = property(lambda self: self.server.lmtp_port)
    user = property(lambda self: self.mailbox.name)
    password = property(lambda self: self.mailbox.password)

    def add_user(self, name: str, password: str) -> MailUser:
        return self.server.add_user(name, password)

    def new_user(self, prefix: str = "user") -> MailUser:
        return self.server.new_user(prefix)

    def deliver(self, user: str | MailUser, message: bytes | str | Message, **kwargs: str) -> None:
        self.server.deliver(user, message, **kwargs)

    def append(self, user: str | MailUser, message: bytes | str | Message, folder: str = "INBOX",
               **kwargs: str) -> None:
        self.server.append(user, message, folder, **kwargs)

    def fetch_all(self, user: str | MailUser, folder: str = "INBOX") -> list[bytes]:
        return self.server.fetch_all(user, folder)

    def kick(self, user: str | MailUser) -> None:
        self.server.kick(user)


# ---------------------------------------------------------------------- SMTP


@dataclass(frozen=True)
class ReceivedMail:
    """One envelope the SMTP server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    encrypted: bool = False  # it arrived over TLS (STARTTLS or implicit)

    def message(self) -> EmailMessage:
        """The content parsed with the modern email policy."""
        return email.message_from_bytes(self.content, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class SmtpServer:
    """An aiosmtpd server in the test's own loop; records what it accepts in :attr:`messages`.

    With a :attr:`certificate` it requires STARTTLS before MAIL, or with :attr:`implicit_tls` it
    speaks TLS from the first byte (the submissions port).
    """

    host: str = HOST
    port: int = 0
    messages: list[ReceivedMail] = field(default_factory=list)
    attempts: int = 0  # DATA commands seen, accepted or not
    credentials: tuple[str, str] | None = None
    certificate: Certificate | None = None
    implicit_tls: bool = False
    _failures: list[str] = field(default_factory=list)
    _reject: str | None = None
    _consumed: int = 0
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    _server: asyncio.Server | None = None
    _sessions: list[SMTP] = field(default_factory=list)

    def fail_next(self, count: int = 1, reply: str = "451 4.3.0 Temporary failure, try again later") -> None:
        """Answer the next *count* DATA commands with *reply* (4xx: the sender should retry)."""
        self._failures.extend([reply] * count)

    def reject_all(self, reply: str = "554 5.7.1 Message rejected") -> None:
        """Answer every DATA with a permanent failure until :meth:`accept_all`."""
        self._reject = reply

    def accept_all(self) -> None:
        self._reject = None
        self._failures.clear()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """aiosmtpd hook: record the envelope or answer with a planned failure."""
        self.attempts += 1
        if self._reject:
            return self._reject
        if self._failures:
            return self._failures.pop(0)
        content = envelope.original_content or envelope.content or b""
        transport = server.transport
        mail = ReceivedMail(str(envelope.mail_from), tuple(envelope.rcpt_tos),
                            content if isinstance(content, bytes) else content.encode(),
                            encrypted=transport is not None and transport.get_extra_info("ssl_object") is not None)
        async with self._changed:
            self.messages.append(mail)
            self._changed.notify_all()
        return "250 2.0.0 OK: queued"

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                      data: object) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.credentials is not None and (
            data.login.decode(), data.password.decode()) == self.credentials
        return AuthResult(success=ok)

    async def wait_for(self, count: int = 1, timeout: float = 5.0) -> list[ReceivedMail]:  # noqa: ASYNC109 - bounded by default
        """Wait until at least *count* messages arrived in total; returns them all."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: len(self.messages) >= count)
        return list(self.messages)

    async def next_message(self, timeout: float = 5.0) -> ReceivedMail:  # noqa: ASYNC109 - bounded by default
        """The next message not yet returned by this method, waiting up to *timeout* seconds."""
        await self.wait_for(self._consumed + 1, timeout)
        self._consumed += 1
        return self.messages[self._consumed - 1]

    def _protocol(self) -> SMTP:
        with warnings.catch_warnings():  # aiosmtpd warns about AUTH without TLS: intended here
            warnings.simplefilter("ignore")
            starttls = self.certificate is not None and not self.implicit_tls
            smtp = SMTP(self, hostname="test.local", enable_SMTPUTF8=True,
                        authenticator=self._authenticate if self.credentials else None,
                        auth_required=self.credentials is not None, auth_require_tls=False,
                        tls_context=self.certificate.server_context() if starttls else None,  # type: ignore[union-attr]
                        require_starttls=starttls)
        self._sessions.append(smtp)
        return smtp

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1 in the running loop."""
        loop = asyncio.get_running_loop()
        context = self.certificate.server_context() if self.certificate and self.implicit_tls else None
        self._server = await loop.create_server(self._protocol, HOST, self.port or 0, ssl=context)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and drop open client connections."""
        if self._server is not None:
            self._server.close()
            for smtp in self._sessions:
                if smtp.transport is not None:
                    smtp.transport.close()
            await self._server.wait_closed()
            self._server = None

