"""The one error middleware, plus request metrics: every failure answers JSON with a stable code."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from contact_center.errors import ContactCenterError, LoginThrottled, Unavailable
from contact_center.http.metrics import Metrics

log = logging.getLogger("contact_center.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
}


def _logged_path(request: web.Request) -> str:
    """The route's template (``/api/v1/cti/{token}``), never the concrete path: paths carry secrets."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


def error_response(status: int, code: str, message: str, **extra: object) -> web.Response:
    """The JSON error body (see :meth:`ContactCenterError.http_body`): ``{"error": message, "code": code, ...}``."""
    return web.json_response({"error": message, "code": code, "message": message, **extra}, status=status)


def error_middleware(metrics: Metrics) -> Middleware:
    """Map :class:`ContactCenterError` and aiohttp's HTTP errors to JSON; hide internal errors."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except ContactCenterError as exc:
            status = exc.status
            resp = web.json_response(exc.http_body(), status=exc.status)
            if isinstance(exc, LoginThrottled | Unavailable) and exc.retry_after is not None:
                resp.headers["Retry-After"] = str(exc.retry_after)
            if exc.status >= 500:
                log.warning("%s %s failed: %s", request.method, _logged_path(request), exc.message)
            return resp
        except web.HTTPException as exc:
            status = exc.status
            if exc.status < 400:
                raise
            code = _HTTP_CODES.get(exc.status, "http_error")
            return error_response(exc.status, code, exc.reason or code)
        except Exception:
            incident = uuid.uuid4().hex[:12]
            log.exception("unhandled error on %s %s (incident %s)", request.method, _logged_path(request), incident)
            return error_response(500, "internal_error", "internal error", incident=incident)
        finally:
            route = request.match_info.route.resource
            name = route.canonical if route is not None else "unmatched"
            metrics.inc("cc_http_requests_total", method=request.method, route=name, status=str(status))
            metrics.observe("cc_http_request_seconds", time.perf_counter() - started, route=name)

    return middleware
