"""The admin's "test connection": log in to IMAP and SMTP once and say exactly what failed.

Each probe records the stage it is in (connect, starttls, login, select / connect, login) and the
error of the stage that failed, with the server's own words where it gave any. Passwords never
appear in the report.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from typing import Any

import aiosmtplib

from connectors.email.config import MailboxConfig, SmtpConfig
from connectors.email.imap_session import open_session, tls_context


@dataclass
class ProbeReport:
    """What one probe did: the stages passed, and the one that failed with why."""

    server: str
    steps: list[str] = field(default_factory=list)
    ok: bool = False
    failed_step: str | None = None
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"server": self.server, "ok": self.ok, "steps": self.steps, "failed_step": self.failed_step,
                "error": self.error, **self.detail}

    def fail(self, exc: BaseException) -> None:
        self.ok = False
        self.failed_step = self.steps[-1] if self.steps else "connect"
        self.error = describe(exc)


def describe(exc: BaseException) -> str:
    """A person-readable reason for a failed stage."""
    if isinstance(exc, TimeoutError):
        return "no answer in time (wrong host or port, or a firewall)"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the server's certificate is not trusted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing listens on that port)"
    if isinstance(exc, OSError) and exc.strerror:
        return f"network error: {exc.strerror}"
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return f"the SMTP server refused the login: {exc.code} {exc.message}"
    if isinstance(exc, aiosmtplib.SMTPException):
        return f"SMTP error: {exc}"
    return str(exc) or type(exc).__name__


async def probe_imap(box: MailboxConfig) -> ProbeReport:
    """Connect, secure, log in and select the folder; then log out."""
    report = ProbeReport(server=f"{box.host}:{box.port} ({box.security})")
    try:
        async with asyncio.timeout(box.timeout_seconds):
            session = await open_session(box, on_step=report.steps.append)
            report.detail["messages"] = session.selected.exists
            await session.close()
    except (Exception, TimeoutError) as exc:
        report.fail(exc)
        return report
    report.ok = True
    return report


async def probe_smtp(config: SmtpConfig) -> ProbeReport:
    """Connect (with TLS or STARTTLS as configured) and log in; then quit without sending."""
    report = ProbeReport(server=f"{config.host}:{config.port} ({config.security})")
    client = aiosmtplib.SMTP(
        hostname=config.host, port=config.port, timeout=config.timeout_seconds,
        use_tls=config.security == "tls", start_tls=config.security == "starttls",
        tls_context=tls_context(config.ca_file) if config.security != "none" else None,
    )
    try:
        async with asyncio.timeout(config.timeout_seconds):
            report.steps.append("connect")
            await client.connect()
            if config.user:
                report.steps.append("login")
                await client.login(config.user, config.password.reveal())
            await client.quit()
    except (Exception, TimeoutError) as exc:
        report.fail(exc)
        client.close()
        return report
    report.ok = True
    return report
