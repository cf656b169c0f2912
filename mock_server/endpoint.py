"""The ASGI endpoint of one spec path: the contract's checks in its order of precedence.

headers too large 431 (middleware.HeaderLimitMiddleware) › unknown path 404 (the router) ›
method 405 › credentials 401 › body size 413 › media type 415 › malformed JSON 400 ›
field validation 400 › unknown id 404.

Plain ASGI on purpose, no Starlette request or response objects: this is the
mock's hot path (fastpath.py routes the spec's paths straight here). It reads
the few headers it needs in one pass and sends the answer as two ASGI messages.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from .auth import Schemes, authenticate
from .canned import canned_answer, honoured
from .errors import (
    ApiError,
    FieldError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
    error_response,
)
from .handlers import Call
from .middleware import ORG_KEY, PREFER_IGNORED_KEY
from .prefer import Preferences, parse_prefer
from .spec import Operation, RequestBody, Spec
from .validation import check_media_type, parse_json, parse_query, validate_body

if TYPE_CHECKING:
    from .state import MockState

logger = logging.getLogger("mock_server")

RawHeaders = list[tuple[bytes, bytes]]
_JSON_TYPE = (b"content-type", b"application/json")
_CONTENT_LENGTH = b"content-length"
_NO_PREFERENCES = Preferences()


class ClientDisconnect(Exception):
    """The client left before its request body was complete."""


class Answer:
    """A response as the endpoint sends it: status, body bytes, every header (raw)."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes, headers: RawHeaders) -> None:
        self.status, self.body, self.headers = status, body, headers

    @classmethod
    def json(cls, status: int, body: bytes, extra: Mapping[str, str] | None = None) -> Answer:
        """JSON bytes with Starlette's header order: extra headers, content-length, content-type."""
        headers = raw_headers(extra or {})
        headers.append((_CONTENT_LENGTH, str(len(body)).encode()))
        headers.append(_JSON_TYPE)
        return cls(status, body, headers)

    @classmethod
    def of_error(cls, error: ApiError) -> Answer:
        response = error_response(error)  # the one place an error becomes a response
        return cls(response.status_code, bytes(response.body), response.raw_headers)

    async def send(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def raw_headers(headers: Mapping[str, str]) -> RawHeaders:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def encode_json(data: Any) -> bytes:
    """JSON as Starlette's JSONResponse renders it."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()


def header_map(scope: Scope) -> dict[bytes, bytes]:
    """Request headers by (lower-case) name; a repeated header counts with its first value."""
    # A plain loop: for the few headers of a usual request, cheaper than dict(reversed(...)).
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name not in found:
            found[name] = value
    return found


def _text(headers: Mapping[bytes, bytes], name: bytes) -> str | None:
    value = headers.get(name)
    return None if value is None else value.decode("latin-1")


class OperationsEndpoint:
    """Picks the operation by method, checks the request, runs the handler."""

    def __init__(self, state: MockState, operations: Mapping[str, Operation]) -> None:
        self.state = state
        self.operations = dict(operations)
        self.allowed = sorted(self.operations)
        self.schemes = Schemes.from_spec(state.spec.document)
        self.location_path = _location_path(state.spec)
        # Validated query parameters by (method, raw query string): pure functions of the
        # spec, so a repeated query (a page polled again) skips parsing and validation.
        self.queries: dict[tuple[str, bytes], Mapping[str, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = self.operations.get(scope["method"])
        try:
            answer = await self.handle(scope, receive, operation)
        except ApiError as error:
            answer = Answer.of_error(error)
        except ClientDisconnect:
            return  # the client left mid-body: nobody to answer, nothing was written
        preferences = scope.get(_PREFER_KEY)
        if preferences is not None and preferences is not _NO_PREFERENCES:
            answer.headers.extend(raw_headers(preferences.headers()))
        if self.state.options.validate_responses:
            self.check_response(operation, scope, answer)
        await answer.send(send)

    async def handle(self, scope: Scope, receive: Receive, operation: Operation | None) -> Answer:
        if operation is None:
            raise MethodNotAllowed(scope["method"], self.allowed)
        headers = header_map(scope)
        org_id = authenticate(
            self.state.tokens,
            self.schemes,
            _text(headers, b"authorization"),
            _text(headers, b"cookie"),
        )
        scope[ORG_KEY] = org_id
        preferences = await _preferences(operation, headers, scope)
        if preferences is not None:
            return preferences
        spec_body = operation.request_body
        body = None if spec_body is None else await _request_json(receive, headers, spec_body)
        raw_query: bytes = scope["query_string"]  # ASGI: always there, b"" when none
        query = self.queries.get((operation.method, raw_query))
        if query is None:
            query, body = _validated_inputs(operation, raw_query, body)
            if len(self.queries) >= _MAX_QUERIES:
                self.queries.clear()
            self.queries[operation.method, raw_query] = query
        elif operation.request_body is not None:
            # A remembered query is a valid one: the body's errors are all there is to report.
            body = validate_body(operation.request_body, body)
        path: dict[str, str] = scope.get("path_params") or {}
        for name, validator in operation.path_validators.items():
            if not validator.is_valid(path.get(name)):
                raise NotFound("Contact not found.")  # a malformed id names nothing
        reply = self.state.handlers[operation.operation_id](
            Call(
                org=self.state.store.organization(org_id),
                path=path,
                query=query,
                body=body,
                location_of=self.location_path,
            )
        )
        data = reply.body if isinstance(reply.body, bytes) else encode_json(reply.body)
        return Answer.json(operation.success_status, data, reply.headers)

    def check_response(self, operation: Operation | None, scope: Scope, answer: Answer) -> None:
        """--validate-responses: a response that breaks the spec is logged loudly and counted."""
        if operation is None:
            return  # 405: by definition no operation documents it
        problems = operation.response_problems(answer.status, json.loads(answer.body))
        if problems:
            self.state.violations += 1
            logger.error(
                "RESPONSE VIOLATES THE SPEC: %s %s -> %d: %s",
                scope["method"],
                scope["path"],
                answer.status,
                "; ".join(problems),
            )


async def _preferences(operation: Operation, headers: Mapping[bytes, bytes], scope: Scope) -> Answer | None:
    """The Prefer header (Prism-style, a developer feature): a canned answer, or None to go on."""
    prefer = headers.get(b"prefer")
    if not prefer:
        return None
    # Preferences it cannot honour are ignored (RFC 7240), never answered with a status
    # the operation does not document; the response headers and the journal say why.
    preferences = honoured(operation, parse_prefer(prefer.decode("latin-1")))
    scope[_PREFER_KEY] = preferences
    if preferences.ignored:
        scope[PREFER_IGNORED_KEY] = "; ".join(preferences.ignored)
    if preferences.delay_ms:
        await asyncio.sleep(preferences.delay_ms / 1000)
    if preferences.canned:
        status, data, extra = canned_answer(operation, preferences)
        return Answer.json(status, encode_json(data), extra)
    return None


_PREFER_KEY = "mock.prefer"  # the request's honoured preferences, for the response headers
_MAX_QUERIES = 1024  # remembered query strings per endpoint (then forgotten all at once)


def _validated_inputs(
    operation: Operation, raw_query: bytes, body: object
) -> tuple[Mapping[str, Any], dict[str, Any] | None]:
    """Query and body validated together, so one 400 lists every bad field."""
    details: list[FieldError] = []
    query: Mapping[str, Any] = {}
    checked_body: dict[str, Any] | None = None
    try:
        # No query string: the defaults, without parsing or validating anything.
        items = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else ()
        query = MappingProxyType(parse_query(operation, items))  # read-only: it may be reused
    except ValidationFailed as error:
        details.extend(error.details)
    if operation.request_body is not None:
        try:
            checked_body = validate_body(operation.request_body, body)
        except ValidationFailed as error:
            if not details:
                raise
            details.extend(error.details)
    if details:
        raise ValidationFailed("The request is invalid.", details=details)
    return query, checked_body


async def _request_json(receive: Receive, headers: Mapping[bytes, bytes], spec_body: RequestBody) -> Any:
    """The request's JSON: size (413), then media type (415), then syntax (400)."""
    raw = await read_body(receive, headers, spec_body.max_bytes)
    check_media_type(spec_body, _text(headers, b"content-type"))
    return parse_json(raw)


async def read_body(receive: Receive, headers: Mapping[bytes, bytes], limit: int | None) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` bytes.

    A declared Content-Length over the limit is refused before reading anything;
    a chunked body is counted as it streams, never held whole past the limit.
    """
    declared = headers.get(_CONTENT_LENGTH, b"")
    if limit is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body") or b""  # ASGI: optional, b"" when missing
        size += len(chunk)
        if limit is not None and size > limit:
            raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)  # one chunk: CPython returns that very object


def _location_path(spec: Spec) -> Callable[[str], str]:
    template = spec.operation("getContact").path
    return lambda contact_id: template.replace("{id}", contact_id)
