"""The CTI route and its OpenAPI description."""

from __future__ import annotations

from aiohttp import web

from connectors.telephony.hook import CtiHook
from connectors.telephony.parse import CAUSES, DIRECTIONS, EVENTS, parse_cti
from contact_center import keys
from contact_center.http.bodies import read_body
from contact_center.http.openapi import obj
from contact_center.http.origin import csrf_exempt

HOOK = web.AppKey("telephony.hook", CtiHook)


@csrf_exempt  # the PBX authenticates with the token in the URL; no browser session involved
async def cti_post(request: web.Request) -> web.Response:
    """Accept one CTI push; see :mod:`connectors.telephony.hook`."""
    hook = request.app[HOOK]
    pbx = hook.pbx_for(request.match_info["token"])
    event = parse_cti(await read_body(request, allow_form=True))
    return web.json_response(await hook.handle(pbx, event))


def register_routes(app: web.Application) -> None:
    app.router.add_post("/api/v1/cti/{token}", cti_post)
    text = {"type": "string"}
    app[keys.API].add(
        "POST", "/api/v1/cti/{token}", tag="telephony", auth="none",
        summary="Generic CTI push (Zammad generic CTI / sipgate.io format); JSON or form-encoded",
        parameters=[{"name": "token", "in": "path", "required": True, "schema": text,
                     "description": "the PBX's token from [[pbx]] in the configuration"}],
        request=obj(
            ("event", "callId"),
            event={"type": "string", "enum": list(EVENTS)}, callId=text, direction={"type": "string",
                                                                                  "enum": list(DIRECTIONS)},
            **{"from": text, "to": text}, user={"oneOf": [text, {"type": "array", "items": text}]},
            queue=text, diversion=text, origCallId=text, answeringNumber=text,
            cause={"type": "string", "examples": list(CAUSES)}, dtmf=text),
        response={"type": "object", "description": "{} or, for newCall, an action for the PBX",
                  "properties": {"action": {"type": "string", "enum": ["reject", "dial"]},
                                 "reason": text, "number": text, "caller_id": text, "callerId": text}},
        errors=(400, 401, 413, 422))
