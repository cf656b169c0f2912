"""Build the Starlette app from the spec: one route per spec path, declared as a list.

Each request goes through the contract's checks in the contract's order of
precedence: unknown path 404, method 405, credentials 401, body size 413,
media type 415, malformed JSON 400, field validation 400, unknown id 404.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .auth import Schemes, TokenRegistry, authenticate
from .errors import (
    ERRORS_BY_STATUS,
    ApiError,
    FieldError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    SpecError,
    ValidationFailed,
)
from .fixtures import Seed
from .handlers import HANDLERS, Call
from .spec import Operation, Spec, load_spec
from .store import Store
from .validation import check_media_type, parse_json, parse_query, validate_body

logger = logging.getLogger("mock_server")


def error_response(error: ApiError) -> JSONResponse:
    return JSONResponse(error.to_json(), status_code=error.status, headers=error.headers)


@dataclass
class MockState:
    """Everything a running mock holds; tests and the CLI build it, the app serves it."""

    spec: Spec
    store: Store
    tokens: TokenRegistry

    @classmethod
    def seeded(cls, spec: Spec, seed: Seed | None, extra_tokens: Mapping[str, str] = {}) -> MockState:
        store = Store()
        tokens = TokenRegistry()
        if seed is not None:
            for org_id, contacts in seed.contacts.items():
                org = store.organization(org_id)
                for contact in contacts:
                    org.add(contact)
            for token, org_id in seed.tokens.items():
                tokens.add(token, org_id)
        for token, org_id in extra_tokens.items():
            tokens.add(token, org_id)
        for org_id in tokens.organizations():
            store.organization(org_id)  # a token's organization exists, empty if unseeded
        return cls(spec=spec, store=store, tokens=tokens)


class OperationsEndpoint:
    """The ASGI endpoint of one spec path: picks the operation by method, runs it."""

    def __init__(self, state: MockState, operations: Mapping[str, Operation]) -> None:
        self.state = state
        self.operations = dict(operations)
        self.allowed = sorted(self.operations)
        self.schemes = Schemes.from_spec(state.spec.document)
        self.location_path = _location_path(state.spec)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except ApiError as error:
            response = error_response(error)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        operation = self.operations.get(request.method)
        if operation is None:
            raise MethodNotAllowed(request.method, self.allowed)
        org_id = authenticate(
            self.state.tokens,
            self.schemes,
            request.headers.get("authorization"),
            request.headers.get("cookie"),
        )
        body = None
        if operation.request_body is not None:
            raw = await read_body(request, operation.request_body.max_bytes)
            check_media_type(operation.request_body, request.headers.get("content-type"))
            body = parse_json(raw)
        query, body = _validated_inputs(operation, request, body)
        path = dict(request.path_params)
        for name, validator in operation.path_validators.items():
            if not validator.is_valid(path.get(name)):
                raise NotFound("Contact not found.")  # a malformed id names nothing
        reply = HANDLERS[operation.operation_id](
            Call(
                org=self.state.store.organization(org_id),
                path=path,
                query=query,
                body=body,
                location_of=self.location_path,
            )
        )
        return JSONResponse(reply.body, status_code=_success_status(operation), headers=reply.headers)


def _validated_inputs(
    operation: Operation, request: Request, body: object
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Query and body validated together, so one 400 lists every bad field."""
    details: list[FieldError] = []
    query: dict[str, Any] = {}
    checked_body: dict[str, Any] | None = None
    try:
        query = parse_query(operation, request.query_params.multi_items())
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


async def read_body(request: Request, limit: int | None) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` bytes.

    A declared Content-Length over the limit is refused before reading anything;
    a chunked body is counted as it streams, never held whole past the limit.
    """
    declared = request.headers.get("content-length", "")
    if limit is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if limit is not None and size > limit:
            raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _success_status(operation: Operation) -> int:
    return next(code for code in operation.documented_statuses if 200 <= code < 300)


def _location_path(spec: Spec) -> Callable[[str], str]:
    template = spec.operation("getContact").path
    return lambda contact_id: template.replace("{id}", contact_id)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error_class = ERRORS_BY_STATUS.get(exc.status_code, NotFound)
    return error_response(error_class(headers=exc.headers) if exc.headers else error_class())


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug in the mock, never the client's fault; still answer in the contract's shape.
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    error = ApiError("Internal error in the mock server.")
    return error_response(error)


def create_app(state: MockState | None = None) -> Starlette:
    if state is None:
        state = MockState.seeded(load_spec(), None)
    for op in state.spec.operations:
        if op.operation_id not in HANDLERS:
            raise SpecError(f"the spec's operation {op.operation_id!r} has no handler")
    routes = [
        Route(path, endpoint=OperationsEndpoint(state, operations))
        for path, operations in state.spec.by_path.items()
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_exception, Exception: _unexpected},
    )
    app.router.redirect_slashes = False  # `/contacts/` is an unknown path, not a redirect
    app.state.mock = state
    return app
