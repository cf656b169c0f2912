"""The admin API under /__admin (WireMock's layout). Off the contract's paths.

It never takes the API's tokens. Without `--admin-token` only loopback clients
may use it; with one, every caller must present it (`Authorization: Bearer`
or `X-Admin-Token`), wherever it connects from.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from .errors import (
    ApiError,
    FieldError,
    FixtureError,
    MethodNotAllowed,
    Unauthorized,
    ValidationFailed,
    error_response,
)
from .fixtures import parse_fixtures
from .scenario_admin import list_scenarios, switch_scenario

if TYPE_CHECKING:
    from .state import MockState

PREFIX = "/__admin"


class Forbidden(ApiError):
    status = 403
    code = "forbidden"
    default_message = "The admin API answers loopback clients only; start the mock with --admin-token."


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_admin_access(
    request: Request, admin_token: str | None, origin_allowed: Callable[[str], bool]
) -> None:
    origin = request.headers.get("origin")
    if origin is not None and not origin_allowed(origin):
        # A page of another site can send "simple" requests without a preflight;
        # the admin API never acts for one.
        raise Forbidden(f"The admin API does not answer pages of {origin}.")
    if admin_token is None:
        if not _is_loopback(request.client.host if request.client else None):
            raise Forbidden()
        return
    presented = request.headers.get("x-admin-token", "")
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        presented = presented or value.strip()
    if not hmac.compare_digest(presented.encode(), admin_token.encode()):
        raise Unauthorized("The admin API needs the admin token (Authorization: Bearer or X-Admin-Token).")


def _state(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state


Handler = Callable[[Request], Awaitable[Response]]


class AdminEndpoint:
    """An ASGI endpoint of one admin path: access check, then the method's handler.

    A class, not a function: Starlette gives function endpoints GET only.
    """

    def __init__(self, methods: dict[str, Handler]) -> None:
        self.methods = methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            handler = self.methods.get(request.method)
            if handler is None:
                raise MethodNotAllowed(request.method, sorted(self.methods))
            options = _state(request).options
            check_admin_access(request, options.admin_token, options.origin_allowed)
            response = await handler(request)
        except ApiError as error:
            response = error_response(error)
        await response(scope, receive, send)


async def health(request: Request) -> Response:
    state = _state(request)
    orgs = state.store.organizations
    return JSONResponse(
        {
            "status": "ok",
            "uptime_s": round(time.monotonic() - state.started, 3),
            "organizations": len(orgs),
            "contacts": sum(len(org) for org in orgs.values()),
            "requests_journaled": len(state.journal),
            "response_violations": state.violations,
        }
    )


async def reset(request: Request) -> Response:
    state = _state(request)
    state.reset()
    return JSONResponse({"reset": True, "contacts": sum(len(o) for o in state.store.organizations.values())})


async def get_state(request: Request) -> Response:
    return JSONResponse(_state(request).store.snapshot())


async def put_state(request: Request) -> Response:
    state = _state(request)
    try:
        raw = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed(
            "The state must be JSON.", details=[FieldError("", "malformed JSON")]
        ) from None
    try:
        seed = parse_fixtures(raw, state.spec, source="state", allow_tokens=False)
    except FixtureError as error:
        raise ValidationFailed(
            f"The state does not fit the spec: {error}", details=[FieldError("", str(error))]
        ) from None
    state.store.load(seed.contacts, keep=state.tokens.organizations())
    return JSONResponse(
        {"organizations": len(seed.contacts), "contacts": sum(map(len, seed.contacts.values()))}
    )


async def list_requests(request: Request) -> Response:
    state = _state(request)
    params = request.query_params
    status, limit = params.get("status"), params.get("limit")
    for name, value in (("status", status), ("limit", limit)):
        if value is not None and not (value.isascii() and value.isdigit() and len(value) <= 9):
            raise ValidationFailed(
                f"{name} must be a number.", details=[FieldError(name, "must be a number")]
            )
    entries = state.journal.query(params.get("method"), params.get("path"), int(status) if status else None)
    shown = entries[: int(limit)] if limit else entries
    return JSONResponse(
        {"requests": [e.to_json() for e in shown], "total": len(entries), "capacity": state.journal.size}
    )


async def clear_requests(request: Request) -> Response:
    return JSONResponse({"cleared": _state(request).journal.clear()})


def admin_routes() -> list[Route]:
    return [
        Route(f"{PREFIX}/health", AdminEndpoint({"GET": health})),
        Route(f"{PREFIX}/reset", AdminEndpoint({"POST": reset})),
        Route(f"{PREFIX}/state", AdminEndpoint({"GET": get_state, "PUT": put_state})),
        Route(f"{PREFIX}/requests", AdminEndpoint({"GET": list_requests, "DELETE": clear_requests})),
        Route(f"{PREFIX}/scenarios", AdminEndpoint({"GET": list_scenarios})),
        Route(f"{PREFIX}/scenario/{{name}}", AdminEndpoint({"POST": switch_scenario})),
    ]
