"""Helpers of the tests of the mock's developer features (Prefer, chaos, admin, CORS, docs...)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

import httpx
from mockkit import TOKEN_A, Api
from starlette.types import ASGIApp

from mock_server import MockState, create_app
from mock_server.fixtures import Seed
from mock_server.options import MockOptions
from mock_server.spec import Spec

LOOPBACK = ("127.0.0.1", 50000)
OUTSIDER = ("203.0.113.9", 5000)  # TEST-NET-3: only an ASGI scope value, nothing is sent
AUTH_A = {"Authorization": f"Bearer {TOKEN_A}"}


def build(spec: Spec, seed: Seed | None, *, tokens: Mapping[str, str] | None = None, **options: Any) -> Api:
    """A seeded mock with these MockOptions (as the CLI would build it)."""
    state = MockState.seeded(spec, seed, dict(tokens or {}), MockOptions(**options))
    return Api(create_app(state))


def call(
    app: ASGIApp,
    method: str,
    path: str,
    *,
    client: tuple[str, int] = LOOPBACK,
    headers: Mapping[str, str] | list[tuple[bytes, bytes]] | None = None,
    raise_app_exceptions: bool = True,
    **kwargs: Any,
) -> httpx.Response:
    """One request to an ASGI app, from `client` (the scope's peer address), on a fresh event loop."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=client, raise_app_exceptions=raise_app_exceptions)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as http:
            return await http.request(method, path, headers=headers, **kwargs)

    return asyncio.run(go())


def timed(app: ASGIApp, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response, float]:
    """The response and the seconds it took."""
    started = time.perf_counter()
    response = call(app, method, path, **kwargs)
    return response, time.perf_counter() - started
