"""The project's one error tree.

Every error the product raises on purpose derives from :class:`ContactCenterError`, carries a
stable machine-readable ``code`` and a human ``message``, and knows the HTTP status it maps to.
One middleware (:mod:`contact_center.http.middleware`) turns them into JSON bodies
``{"error": "<message>", "code": ..., "message": ..., "field": ...}`` (:meth:`~ContactCenterError.http_body`):
``error`` is the human text, where Zammad's clients (and PBX scripts written for them) read it,
and ``code`` the stable machine-readable name. Websocket handlers send the same fields as an
``{"type": "error", "code": ..., "message": ...}`` frame.

::

    ContactCenterError (500, internal_error)
    ├── ConfigError (500, config_error)              bad TOML, env value or rule table
    ├── BadRequest (400, bad_request)                the client sent something unusable
    │   ├── MalformedBody (400, malformed_body)      not JSON / not form data
    │   ├── PayloadTooLarge (413, payload_too_large)
    │   ├── UnsupportedMediaType (415, unsupported_media_type)  a JSON endpoint got another type
    │   └── ValidationError (422, validation_error)  names the offending ``field``
    ├── AuthError (401, unauthenticated)             no or bad credentials / session / token
    │   └── LoginThrottled (429, login_throttled)    too many failed logins
    ├── Forbidden (403, forbidden)                   logged in, but not allowed
    ├── NotFound (404, not_found)
    ├── Conflict (409, conflict)                     state does not allow the action
    └── Unavailable (503, unavailable)               a dependency (store, Redis, source) is down
        └── SourceTimeout (504, source_timeout)
"""

from __future__ import annotations

from typing import Any, ClassVar


class ContactCenterError(Exception):
    """Base of every deliberate error. ``code`` is stable; ``message`` is for people."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, field: str | None = None, detail: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.detail = detail or {}

    def to_dict(self) -> dict[str, Any]:
        """``code``, ``message`` and, when set, ``field`` and ``detail`` (a websocket error frame's fields)."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.detail:
            body["detail"] = self.detail
        return body

    def http_body(self) -> dict[str, Any]:
        """The JSON body an HTTP error answers with: ``{"error": message, **to_dict()}``."""
        return {"error": self.message, **self.to_dict()}


class ConfigError(ContactCenterError):
    code = "config_error"


class BadRequest(ContactCenterError):
    status = 400
    code = "bad_request"


class MalformedBody(BadRequest):
    code = "malformed_body"


class PayloadTooLarge(BadRequest):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(BadRequest):
    status = 415
    code = "unsupported_media_type"


class ValidationError(BadRequest):
    """A field is missing or has a value we cannot accept; ``field`` names it."""

    status = 422
    code = "validation_error"

    def __init__(self, field: str, message: str, **kwargs: Any):
        super().__init__(message, field=field, **kwargs)


class AuthError(ContactCenterError):
    status = 401
    code = "unauthenticated"


class LoginThrottled(AuthError):
    status = 429
    code = "login_throttled"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, detail={"retry_after": retry_after})
        self.retry_after = retry_after


class Forbidden(ContactCenterError):
    status = 403
    code = "forbidden"


class NotFound(ContactCenterError):
    status = 404
    code = "not_found"


class Conflict(ContactCenterError):
    status = 409
    code = "conflict"


class Unavailable(ContactCenterError):
    status = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs: Any):
        """*retry_after*: seconds after which trying again makes sense (sent as ``Retry-After``)."""
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class SourceTimeout(Unavailable):
    status = 504
    code = "source_timeout"
