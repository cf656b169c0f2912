"""The contract's errors, as one exception hierarchy.

Every error the mock answers with is an ``ApiError``; its subclass decides the
status and the ``code`` of the body ``{"error": {"code", "message"}}``.
:func:`error_response` is the one place an error becomes a response; nothing
else in the package builds an error response by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from starlette.responses import JSONResponse


@dataclass(frozen=True)
class FieldError:
    """One entry of ``details``: which field, and what is wrong with it."""

    field: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class MockServerError(Exception):
    """Base of everything this package raises."""


class SpecError(MockServerError):
    """``openapi.yaml`` cannot drive the mock (missing, unparsable or incomplete)."""


class FixtureError(MockServerError):
    """A fixture file is unusable; the message names the file, record and field."""


class ApiError(MockServerError):
    """An error answer of the API, in the contract's error shape."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    default_message: ClassVar[str] = "Internal error."

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.details = tuple(details)
        self.headers = dict(headers or {})
        super().__init__(self.message)

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details or isinstance(self, ValidationFailed):
            error["details"] = [detail.to_json() for detail in self.details]
        return {"error": error}


class ValidationFailed(ApiError):
    status = 400
    code = "validation_error"
    default_message = "The request is invalid."


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"
    default_message = "Missing or invalid credentials."

    def __init__(self, message: str | None = None) -> None:
        # The challenge tells clients which schemes work (RFC 9110 requires it on a 401).
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="contacts"'})


class NotFound(ApiError):
    status = 404
    code = "not_found"
    default_message = "Not found."


class MethodNotAllowed(ApiError):
    status = 405
    code = "method_not_allowed"
    default_message = "Method not allowed."

    def __init__(self, method: str, allowed: Sequence[str]) -> None:
        super().__init__(
            f"{method} is not allowed here; allowed: {', '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)},
        )


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"
    default_message = "The request body is too large."


class UnsupportedMediaType(ApiError):
    status = 415
    code = "unsupported_media_type"
    default_message = "Content-Type must be application/json."


class HeadersTooLarge(ApiError):
    """The request's headers exceed the spec's `x-max-header-bytes` (431)."""

    status = 431
    code = "headers_too_large"
    default_message = "The request headers are too large."


class CorsRejected(ApiError):
    """A refused CORS preflight (an origin, method or header CORS does not allow)."""

    status = 400
    code = "cors_rejected"
    default_message = "Disallowed CORS request."


def injected_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> ApiError:
    """An error of any status (`--error-rate`), coded after its reason phrase."""
    try:
        code = HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        code = "injected_error"
    error_class: type[ApiError] = type("InjectedError", (ApiError,), {"status": status, "code": code})
    return error_class(message, headers=headers)


def error_response(error: ApiError) -> JSONResponse:
    """The response of an error: its status, its headers, the contract's error body."""
    return JSONResponse(error.to_json(), status_code=error.status, headers=error.headers)


# For errors raised outside our own code (Starlette's router: unknown path, bad method).
ERRORS_BY_STATUS: dict[int, type[ApiError]] = {
    cls.status: cls
    for cls in (
        ValidationFailed,
        Unauthorized,
        NotFound,
        PayloadTooLarge,
        UnsupportedMediaType,
        HeadersTooLarge,
    )
}
