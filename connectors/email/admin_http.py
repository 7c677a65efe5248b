"""``POST /api/v1/email/test``: the console's "test connection" for a mailbox and the SMTP server.

The body carries the form's values (``mailbox`` and/or ``smtp`` tables, shaped as in ``[email]``).
A table sent without a password uses the stored one (the mailbox is matched by name), so an admin
can test what is saved without typing the password again. Admins only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from connectors.email.config import load_email_config
from connectors.email.probe import probe_imap, probe_smtp
from contact_center import keys
from contact_center.errors import ConfigError, ValidationError
from contact_center.http.auth import current_user
from contact_center.http.bodies import read_body
from contact_center.http.openapi import obj


def _with_stored_password(table: Mapping[str, Any], stored: Mapping[str, Any] | None) -> dict[str, Any]:
    out = dict(table)
    out.pop("password_set", None)
    if not out.get("password") and stored is not None:
        out["password"] = stored.get("password", "")
    return out


async def test_connection(request: web.Request) -> web.Response:
    await current_user(request, role="admin")
    body = await read_body(request)
    mailbox, smtp = body.get("mailbox"), body.get("smtp")
    if not isinstance(mailbox, Mapping) and not isinstance(smtp, Mapping):
        raise ValidationError("mailbox", "send a 'mailbox' and/or an 'smtp' table to test")
    stored = request.app[keys.LIVE_CONFIG].runtime_document().get("email") or {}
    raw: dict[str, Any] = {}
    if isinstance(mailbox, Mapping):
        known = {str(m.get("name")): m for m in stored.get("mailboxes", []) if isinstance(m, Mapping)}
        raw["mailboxes"] = [_with_stored_password(mailbox, known.get(str(mailbox.get("name"))))]
    if isinstance(smtp, Mapping):
        raw["smtp"] = _with_stored_password(smtp, stored.get("smtp") if isinstance(stored.get("smtp"), Mapping)
                                            else None)
    try:
        config = load_email_config(raw)
    except ConfigError as exc:
        raise ValidationError(exc.message.split(" ")[0], exc.message) from exc
    answer: dict[str, Any] = {}
    if config.mailboxes:
        answer["imap"] = (await probe_imap(config.mailboxes[0])).to_dict()
    if config.smtp is not None:
        answer["smtp"] = (await probe_smtp(config.smtp)).to_dict()
    return web.json_response(answer)


def register_admin(app: web.Application) -> None:
    app.router.add_post("/api/v1/email/test", test_connection)
    report = obj(("server", "ok", "steps"), server={"type": "string"}, ok={"type": "boolean"},
                 steps={"type": "array", "items": {"type": "string"}}, failed_step={"type": ["string", "null"]},
                 error={"type": ["string", "null"]})
    app[keys.API].add("POST", "/api/v1/email/test", tag="admin",
                      summary="Log in to a mailbox (IMAP) and/or the SMTP server once; report what failed",
                      request=obj((), mailbox={"type": "object"}, smtp={"type": "object"}),
                      response=obj((), imap=report, smtp=report), errors=(400, 401, 403, 422))
