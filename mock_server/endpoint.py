"""The ASGI endpoint of one spec path: the contract's checks in its order of precedence.

unknown path 404 (the router) › method 405 › credentials 401 › body size 413 ›
media type 415 › malformed JSON 400 › field validation 400 › unknown id 404.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
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
from .spec import Operation, Spec
from .validation import check_media_type, parse_json, parse_query, validate_body

if TYPE_CHECKING:
    from .state import MockState

logger = logging.getLogger("mock_server")
_PREFER_KEY = "mock.prefer"  # the request's honoured preferences, for the response headers


class OperationsEndpoint:
    """Picks the operation by method, checks the request, runs the handler."""

    def __init__(self, state: MockState, operations: Mapping[str, Operation]) -> None:
        self.state = state
        self.operations = dict(operations)
        self.allowed = sorted(self.operations)
        self.schemes = Schemes.from_spec(state.spec.document)
        self.location_path = _location_path(state.spec)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        operation = self.operations.get(request.method)
        try:
            response = await self.handle(request, operation)
        except ApiError as error:
            response = error_response(error)
        except ClientDisconnect:
            return  # the client left mid-body: nobody to answer, nothing was written
        preferences = scope.get(_PREFER_KEY)
        if isinstance(preferences, Preferences):
            response.headers.update(preferences.headers())
        if self.state.options.validate_responses:
            self.check_response(operation, request, response)
        await response(scope, receive, send)

    async def handle(self, request: Request, operation: Operation | None) -> Response:
        if operation is None:
            raise MethodNotAllowed(request.method, self.allowed)
        org_id = authenticate(
            self.state.tokens,
            self.schemes,
            request.headers.get("authorization"),
            request.headers.get("cookie"),
        )
        request.scope[ORG_KEY] = org_id
        # Preferences it cannot honour are ignored (RFC 7240), never answered with a status
        # the operation does not document; the response headers and the journal say why.
        preferences = honoured(operation, parse_prefer(request.headers.get("prefer")))
        request.scope[_PREFER_KEY] = preferences
        if preferences.ignored:
            request.scope[PREFER_IGNORED_KEY] = "; ".join(preferences.ignored)
        if preferences.delay_ms:
            await asyncio.sleep(preferences.delay_ms / 1000)
        if preferences.canned:
            status, body, headers = canned_answer(operation, preferences)
            return JSONResponse(body, status_code=status, headers=headers)
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
        reply = self.state.handlers[operation.operation_id](
            Call(
                org=self.state.store.organization(org_id),
                path=path,
                query=query,
                body=body,
                location_of=self.location_path,
            )
        )
        if isinstance(reply.body, bytes):
            return Response(
                reply.body, operation.success_status, reply.headers, media_type="application/json"
            )
        return JSONResponse(reply.body, status_code=operation.success_status, headers=reply.headers)

    def check_response(self, operation: Operation | None, request: Request, response: Response) -> None:
        """--validate-responses: a response that breaks the spec is logged loudly and counted."""
        if operation is None:
            return  # 405: by definition no operation documents it
        problems = operation.response_problems(response.status_code, json.loads(bytes(response.body)))
        if problems:
            self.state.violations += 1
            logger.error(
                "RESPONSE VIOLATES THE SPEC: %s %s -> %d: %s",
                request.method,
                request.url.path,
                response.status_code,
                "; ".join(problems),
            )


def _validated_inputs(
    operation: Operation, request: Request, body: object
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Query and body validated together, so one 400 lists every bad field."""
    details: list[FieldError] = []
    query: dict[str, Any] = {}
    checked_body: dict[str, Any] | None = None
    try:
        # No query string: the defaults, without parsing or validating anything.
        items = request.query_params.multi_items() if request.scope.get("query_string") else ()
        query = parse_query(operation, items)
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
    if limit is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if limit is not None and size > limit:
            raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _location_path(spec: Spec) -> Callable[[str], str]:
    template = spec.operation("getContact").path
    return lambda contact_id: template.replace("{id}", contact_id)
