"""The telephony routes and their OpenAPI description: the generic CTI hook and the sipgate.io endpoint.

Both read the body with :func:`contact_center.http.bodies.read_body` (JSON, url-encoded,
multipart form data, URL variables), parse it with :func:`.parse.parse_cti` and hand the event to
the same :class:`~.hook.CtiHook`; they differ only in how the PBX is recognised and how the reply
is written:

* ``POST /api/v1/cti/{token}``: Zammad's generic CTI; JSON replies (``{}``, ``reject``, ``dial``),
  errors as ``{"error": "<text>", "code": ...}``.
* ``POST /api/v1/sipgate/{token}`` (also ``…/{token}/in`` and ``…/{token}/out``, Zammad's
  sipgate paths), or ``POST /api/v1/sipgate`` with HTTP basic auth (user: the PBX's name,
  password: its token; sipgate.io sends the credentials written into the URL,
  ``https://name:token@host/api/v1/sipgate``): sipgate.io's XML replies, whose
  ``onAnswer``/``onHangup`` point back here with the same token or credentials so that sipgate
  reports the answer and the hangup. Errors are XML too (``<Response><Error code="…">text</Error>``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from urllib.parse import quote, urlsplit, urlunsplit

from aiohttp import web

from connectors.telephony.hook import CtiHook
from connectors.telephony.parse import CAUSES, DIRECTIONS, EVENTS, parse_cti
from connectors.telephony.replies import sipgate_error_xml, sipgate_xml
from contact_center import keys
from contact_center.config.pbx import PbxConnection
from contact_center.errors import AuthError, ContactCenterError, Unavailable
from contact_center.http.bodies import read_body
from contact_center.http.openapi import obj
from contact_center.http.origin import csrf_exempt

HOOK = web.AppKey("telephony.hook", CtiHook)
SIPGATE_PATH = "/api/v1/sipgate"
_XML = "application/xml"


@csrf_exempt  # the PBX authenticates with the token in the URL; no browser session involved
async def cti_post(request: web.Request) -> web.Response:
    """Accept one CTI push; see :mod:`connectors.telephony.hook`."""
    hook = request.app[HOOK]
    pbx = hook.pbx_for(request.match_info["token"])
    body = await read_body(request, allow_form=True, allow_query=True)
    event = parse_cti(body, voicemail_names=pbx.voicemail_names)
    return web.json_response(await hook.handle(pbx, event))


@csrf_exempt  # sipgate.io authenticates with the token in the URL or basic auth; no browser session involved
async def sipgate_post(request: web.Request) -> web.Response:
    """Accept one sipgate.io push (form body) and answer sipgate's XML."""
    try:
        pbx, callback = _sipgate_caller(request)
        body = await read_body(request, allow_form=True, allow_query=True)
        event = parse_cti(body, voicemail_names=pbx.voicemail_names)
        reply = await request.app[HOOK].handle(pbx, event)
    except ContactCenterError as exc:
        return _xml_error(exc)
    return web.Response(body=sipgate_xml(reply, callback), content_type=_XML, charset="utf-8")


def _sipgate_caller(request: web.Request) -> tuple[PbxConnection, str]:
    """The posting PBX and the URL sipgate should send the call's answer and hangup to.

    Raises:
        AuthError: no PBX has the URL's token or the basic-auth credentials.
    """
    hook = request.app[HOOK]
    base = request.app[keys.SETTINGS].public_url.rstrip("/")
    token = request.match_info.get("token")
    if token is not None:
        pbx = hook.pbx_for(token)
        return pbx, f"{base}{SIPGATE_PATH}/{quote(token, safe='')}"
    name, password = _basic_auth(request)
    pbx = hook.pbx_for(password)
    if not hmac.compare_digest(pbx.name.encode(), name.encode()):
        raise AuthError("invalid credentials, please contact your admin")
    parts = urlsplit(base + SIPGATE_PATH)
    netloc = f"{quote(name, safe='')}:{quote(password, safe='')}@{parts.netloc}"
    return pbx, urlunsplit(parts._replace(netloc=netloc))


def _basic_auth(request: web.Request) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise AuthError("HTTP basic auth (the PBX's name and token) or a token in the URL is required")
    try:
        name, sep, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthError("malformed basic auth credentials") from exc
    if not sep:
        raise AuthError("malformed basic auth credentials")
    return name, password


def _xml_error(exc: ContactCenterError) -> web.Response:
    """sipgate.io-style error body (Zammad's sipgate endpoint answers ``<Response><Error>…``)."""
    body = sipgate_error_xml(exc.code, exc.message, exc.field)
    resp = web.Response(body=body, status=exc.status, content_type=_XML, charset="utf-8")
    if isinstance(exc, AuthError):
        resp.headers["WWW-Authenticate"] = 'Basic realm="sipgate.io", charset="UTF-8"'
    if isinstance(exc, Unavailable) and exc.retry_after is not None:
        resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


def register_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/cti/{token}", cti_post)
    app.router.add_post(SIPGATE_PATH, sipgate_post)
    app.router.add_post(SIPGATE_PATH + "/{token}", sipgate_post)
    app.router.add_post(SIPGATE_PATH + "/{token}/{direction:in|out}", sipgate_post)
    text = {"type": "string"}
    token = {"name": "token", "in": "path", "required": True, "schema": text,
             "description": "the PBX's token from [[pbx]] in the configuration"}
    event = obj(
        ("event", "callId"),
        event={"type": "string", "enum": list(EVENTS)}, callId={"type": "string", "maxLength": 250},
        direction={"type": "string", "enum": list(DIRECTIONS)},
        **{"from": text, "to": text}, user={"oneOf": [text, {"type": "array", "items": text}]},
        userId={"oneOf": [text, {"type": "array", "items": text}]},
        fullUserId={"oneOf": [text, {"type": "array", "items": text}]},
        queue=text, diversion=text, origCallId=text, answeringNumber=text,
        cause={"type": "string", "examples": list(CAUSES)}, dtmf=text)
    forms = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")
    app[keys.API].add(
        "POST", "/api/v1/cti/{token}", tag="telephony", auth="none", request_types=forms,
        summary="Generic CTI push (Zammad generic CTI); JSON, url-encoded, multipart form data or URL variables",
        parameters=[token], request=event,
        response={"type": "object", "description": "{} or, for newCall, an action for the PBX",
                  "properties": {"action": {"type": "string", "enum": ["reject", "dial"]},
                                 "reason": text, "number": text, "caller_id": text, "callerId": text}},
        errors=(400, 401, 413, 422, 503))
    xml_reply = {"type": "string", "description": "sipgate.io XML: <Response onAnswer=… onHangup=…> with "
                                                  "<Dial>, <Reject> or nothing inside"}
    for path, params in ((SIPGATE_PATH, []), (SIPGATE_PATH + "/{token}", [token]),
                         (SIPGATE_PATH + "/{token}/{direction}", [token, {
                             "name": "direction", "in": "path", "required": True,
                             "schema": {"type": "string", "enum": ["in", "out"]}}])):
        app[keys.API].add(
            "POST", path, tag="telephony", auth="none",
            summary="sipgate.io push (form body, XML reply)"
                    + ("; HTTP basic auth: the PBX's name and token" if not params else ""),
            parameters=params, request=event, response=xml_reply, errors=(400, 401, 413, 422, 503),
            request_types=forms, response_type=_XML)
