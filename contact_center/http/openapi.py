"""The OpenAPI document: every REST route describes itself with :func:`document` when registered."""

from __future__ import annotations

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string", "description": "what went wrong, for people (Zammad's clients read this)"},
        "code": {"type": "string", "description": "stable machine-readable name of the error"},
        "message": {"type": "string", "description": "the same text as error"},
        "field": {"type": "string", "description": "the request field at fault, when there is one"},
        "detail": {"type": "object"},
    },
    "required": ["error", "code", "message"],
}


class ApiDocument:
    """Collects path operations and renders an OpenAPI 3.1 document."""

    def __init__(self, *, title: str, version: str) -> None:
        self._paths: dict[str, dict[str, Any]] = {}
        self._info = {"title": title, "version": version}

    def add(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        request: dict[str, Any] | None = None,
        response: dict[str, Any] | None = None,
        errors: tuple[int, ...] = (),
        auth: str = "session",
        parameters: list[dict[str, Any]] | None = None,
        request_types: tuple[str, ...] = ("application/json",),
        response_type: str = "application/json",
    ) -> None:
        """Describe one operation; *request_types*/*response_type* for routes that speak other formats."""
        op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": {}}
        if request is not None:
            op["requestBody"] = {"required": True, "content": {t: {"schema": request} for t in request_types}}
        op["responses"]["200"] = {
            "description": "OK",
            "content": {response_type: {"schema": response or {"type": "object"}}},
        }
        error = {"$ref": "#/components/schemas/Error"} if response_type == "application/json" else {"type": "string"}
        for status in errors:
            op["responses"][str(status)] = {"description": "error", "content": {response_type: {"schema": error}}}
        if auth == "session":
            op["security"] = [{"session": []}]
        elif auth == "bearer":
            op["security"] = [{"bearer": []}]
        elif auth == "none":
            op["security"] = []
        if parameters:
            op["parameters"] = parameters
        self._paths.setdefault(path, {})[method.lower()] = op

    def render(self) -> dict[str, Any]:
        return {
            "openapi": "3.1.0",
            "info": self._info,
            "paths": dict(sorted(self._paths.items())),
            "components": {
                "schemas": {"Error": ERROR_SCHEMA},
                "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "cc_session"},
                                    "bearer": {"type": "http", "scheme": "bearer"}},
            },
        }


def obj(required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    """Shorthand for an object schema: ``obj(("name",), name={"type": "string"})``."""
    schema: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema
