"""The ``[email]`` configuration section, typed and validated (errors name the key).

::

    [email]
    max_attachment_bytes = 10485760     # larger attachments are listed but not kept
    batch_size = 200                     # UIDs per UID FETCH (aioimaplib handles at most ~200)
    idle_seconds = 300                   # re-issue IDLE this often (servers drop idle sessions at 30 min)
    reconnect_min_seconds = 0.5          # backoff after a dropped connection, doubling up to
    reconnect_max_seconds = 60
    ingest = true                        # false: this instance sends but does not read mailboxes
    parse_workers = 2                    # worker processes parsing MIME beside the event loop, batches in
                                         # turn (0: in the loop); they never write the store: the core's
                                         # ingest spine stores every batch (see connectors.email.workers)
    worker_fetch = true                  # those workers fetch a bulk catch-up (more than one batch)
                                         # themselves, each over its own IMAP session
    legacy_charset = "windows-1250"      # raw 8-bit headers that are not UTF-8 nor the message's charset
    subject_thread_days = 14             # a reply may join the same customer's conversation by subject
                                         # this long after its last message (0: never)
    trusted_authserv_id = "mx.example.com"  # whose Authentication-Results count (default: the topmost)

    [[email.mailboxes]]
    name = "support"                     # the checkpoint key: keep it stable
    host = "imap.example.com"
    port = 993
    security = "tls"                     # "tls" | "starttls" | "none"
    user = "support@example.com"
    password = "secret"
    folder = "INBOX"
    department = "technical_support"     # the department this mailbox usually feeds

    [email.smtp]
    host = "smtp.example.com"
    port = 587
    security = "starttls"
    user = "support@example.com"
    password = "secret"
    from_address = "support@example.com" # when a department has no email address of its own
    max_attempts = 8                     # then the reply is marked failed
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.email.charsets import codec_for
from connectors.email.mime import ParseOptions
from contact_center.errors import ConfigError
from contact_center.settings import Secret

SECURITY = ("tls", "starttls", "none")


@dataclass(frozen=True)
class MailboxConfig:
    """One IMAP mailbox the connector reads."""

    name: str
    host: str
    port: int
    security: str
    user: str
    password: Secret
    folder: str = "INBOX"
    department: str | None = None
    ca_file: str | None = None  # trust this CA (self-signed servers) instead of the system store
    timeout_seconds: float = 30.0

    def __repr__(self) -> str:
        return (f"MailboxConfig(name={self.name!r}, host={self.host!r}, port={self.port}, "
                f"security={self.security!r}, user={self.user!r}, password=***, folder={self.folder!r})")


@dataclass(frozen=True)
class SmtpConfig:
    """The SMTP server replies leave through."""

    host: str
    port: int
    security: str
    user: str | None = None
    password: Secret = field(default_factory=lambda: Secret(""))
    from_address: str | None = None
    ca_file: str | None = None
    timeout_seconds: float = 30.0
    max_attempts: int = 8
    retry_min_seconds: float = 5.0
    retry_max_seconds: float = 900.0
    poll_seconds: float = 5.0

    def __repr__(self) -> str:
        return f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r}, password=***)"


@dataclass(frozen=True)
class EmailConfig:
    """The whole ``[email]`` section."""

    mailboxes: tuple[MailboxConfig, ...] = ()
    smtp: SmtpConfig | None = None
    max_attachment_bytes: int = 10 * 1024 * 1024
    batch_size: int = 200
    idle_seconds: float = 300.0
    reconnect_min_seconds: float = 0.5
    reconnect_max_seconds: float = 60.0
    ingest: bool = True
    parse_workers: int = 2
    worker_fetch: bool = True
    legacy_charset: str | None = None
    subject_thread_days: float = 14.0
    trusted_authserv_id: str | None = None

    def parse_options(self) -> ParseOptions:
        """How the ingest reads each mail (picklable: handed to the parser and worker processes)."""
        return ParseOptions(max_attachment_bytes=self.max_attachment_bytes, legacy_charset=self.legacy_charset,
                            trusted_authserv_id=self.trusted_authserv_id,
                            subject_window_seconds=self.subject_thread_days * 86400)


def _num(raw: Mapping[str, Any], key: str, default: float, where: str, *, integer: bool = False) -> Any:
    value = raw.get(key, default)
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}.{key} must be a number, not {value!r}") from exc
    if number < 0:
        raise ConfigError(f"{where}.{key} must not be negative")
    return number


def _str(raw: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if value is None or str(value) == "":
        raise ConfigError(f"{where}.{key} is required")
    return str(value)


def _security(raw: Mapping[str, Any], where: str, default: str) -> str:
    value = str(raw.get("security", default)).lower()
    if value not in SECURITY:
        raise ConfigError(f"{where}.security must be one of {', '.join(SECURITY)}, not {value!r}")
    return value


def _bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{where} must be true or false, not {value!r}")


def _mailbox(raw: Mapping[str, Any], index: int) -> MailboxConfig:
    where = f"email.mailboxes[{index}]"
    security = _security(raw, where, "tls")
    default_port = {"tls": 993, "starttls": 143, "none": 143}[security]
    return MailboxConfig(
        name=_str(raw, "name", where), host=_str(raw, "host", where),
        port=_num(raw, "port", default_port, where, integer=True), security=security,
        user=_str(raw, "user", where), password=Secret(str(raw.get("password", ""))),
        folder=str(raw.get("folder", "INBOX")), department=raw.get("department") or None,
        ca_file=raw.get("ca_file") or None, timeout_seconds=_num(raw, "timeout_seconds", 30.0, where),
    )


def _smtp(raw: Mapping[str, Any]) -> SmtpConfig:
    where = "email.smtp"
    security = _security(raw, where, "starttls")
    default_port = {"tls": 465, "starttls": 587, "none": 25}[security]
    return SmtpConfig(
        host=_str(raw, "host", where), port=_num(raw, "port", default_port, where, integer=True),
        security=security, user=raw.get("user") or None, password=Secret(str(raw.get("password", ""))),
        from_address=raw.get("from_address") or None, ca_file=raw.get("ca_file") or None,
        timeout_seconds=_num(raw, "timeout_seconds", 30.0, where),
        max_attempts=max(1, _num(raw, "max_attempts", 8, where, integer=True)),
        retry_min_seconds=_num(raw, "retry_min_seconds", 5.0, where),
        retry_max_seconds=_num(raw, "retry_max_seconds", 900.0, where),
        poll_seconds=_num(raw, "poll_seconds", 5.0, where),
    )


def load_email_config(raw: Mapping[str, Any]) -> EmailConfig:
    """Build :class:`EmailConfig` from the raw ``[email]`` section.

    Raises:
        ConfigError: a missing or malformed key (named), or two mailboxes with one name.
    """
    boxes = raw.get("mailboxes", ())
    if not isinstance(boxes, list | tuple):
        raise ConfigError("email.mailboxes must be a list of tables ([[email.mailboxes]])")
    mailboxes = tuple(_mailbox(box, i) for i, box in enumerate(boxes))
    names = [m.name for m in mailboxes]
    if len(set(names)) != len(names):
        raise ConfigError("email.mailboxes: every mailbox needs its own name")
    smtp_raw = raw.get("smtp")
    return EmailConfig(
        mailboxes=mailboxes,
        smtp=_smtp(smtp_raw) if isinstance(smtp_raw, Mapping) and smtp_raw else None,
        max_attachment_bytes=_num(raw, "max_attachment_bytes", 10 * 1024 * 1024, "email", integer=True),
        batch_size=max(1, min(200, _num(raw, "batch_size", 200, "email", integer=True))),
        idle_seconds=max(1.0, _num(raw, "idle_seconds", 300.0, "email")),
        reconnect_min_seconds=_num(raw, "reconnect_min_seconds", 0.5, "email"),
        reconnect_max_seconds=_num(raw, "reconnect_max_seconds", 60.0, "email"),
        ingest=_bool(raw.get("ingest", True), "email.ingest"),
        parse_workers=min(8, _num(raw, "parse_workers", 2, "email", integer=True)),
        worker_fetch=_bool(raw.get("worker_fetch", True), "email.worker_fetch"),
        legacy_charset=_charset(raw.get("legacy_charset")),
        subject_thread_days=_num(raw, "subject_thread_days", 14.0, "email"),
        trusted_authserv_id=str(raw["trusted_authserv_id"]).strip() or None if raw.get("trusted_authserv_id") else None,
    )


def _charset(value: Any) -> str | None:
    if not value:
        return None
    if codec_for(str(value)) is None:
        raise ConfigError(f"email.legacy_charset: Python knows no charset {value!r}")
    return str(value)
