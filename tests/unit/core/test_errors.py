"""The error tree: each error's stable code, HTTP status and JSON body."""

from __future__ import annotations

import pytest

from contact_center import errors
from contact_center.errors import ContactCenterError

TREE = [
    (errors.ContactCenterError, None, 500, "internal_error"),
    (errors.ConfigError, errors.ContactCenterError, 500, "config_error"),
    (errors.BadRequest, errors.ContactCenterError, 400, "bad_request"),
    (errors.MalformedBody, errors.BadRequest, 400, "malformed_body"),
    (errors.PayloadTooLarge, errors.BadRequest, 413, "payload_too_large"),
    (errors.UnsupportedMediaType, errors.BadRequest, 415, "unsupported_media_type"),
    (errors.AuthError, errors.ContactCenterError, 401, "unauthenticated"),
    (errors.Forbidden, errors.ContactCenterError, 403, "forbidden"),
    (errors.NotFound, errors.ContactCenterError, 404, "not_found"),
    (errors.Conflict, errors.ContactCenterError, 409, "conflict"),
    (errors.Unavailable, errors.ContactCenterError, 503, "unavailable"),
    (errors.SourceTimeout, errors.Unavailable, 504, "source_timeout"),
]


@pytest.mark.parametrize(("cls", "parent", "status", "code"), TREE, ids=[t[0].__name__ for t in TREE])
def test_status_code_and_place_in_the_tree(cls: type[ContactCenterError], parent: type | None, status: int,
                                           code: str) -> None:
    """Each error has the documented parent, HTTP status and stable code, and a JSON body."""
    if parent is not None:
        assert cls.__bases__ == (parent,)
    err = cls("something went wrong")
    assert (err.status, err.code) == (status, code)
    assert err.to_dict() == {"code": code, "message": "something went wrong"}
    assert str(err) == "something went wrong"


def test_validation_error_names_its_field() -> None:
    """ValidationError is a 422 whose body names the offending field."""
    err = errors.ValidationError("email", "'email' is not an address")
    assert issubclass(errors.ValidationError, errors.BadRequest)
    assert err.status == 422
    assert err.to_dict() == {"code": "validation_error", "message": "'email' is not an address", "field": "email"}


def test_login_throttled_says_when_to_retry() -> None:
    """LoginThrottled is a 429 AuthError carrying retry_after in its detail."""
    err = errors.LoginThrottled("slow down", retry_after=42)
    assert isinstance(err, errors.AuthError)
    assert (err.status, err.code, err.retry_after) == (429, "login_throttled", 42)
    assert err.to_dict()["detail"] == {"retry_after": 42}


def test_http_body_carries_the_text_as_error_beside_the_code() -> None:
    """The HTTP body is Zammad's ``{"error": "<text>"}`` with the stable code (and field) beside it."""
    err = errors.ValidationError("cause", "'cause' is too long")
    assert err.http_body() == {"error": "'cause' is too long", "code": "validation_error",
                               "message": "'cause' is too long", "field": "cause"}


def test_every_error_in_the_module_is_in_the_table() -> None:
    """The table above covers the whole tree (a new error needs a row and a docstring line)."""
    found = {obj for obj in vars(errors).values() if isinstance(obj, type) and issubclass(obj, ContactCenterError)}
    assert found == {row[0] for row in TREE} | {errors.ValidationError, errors.LoginThrottled}
    for cls in found:
        assert cls.__name__ in (errors.__doc__ or "")

