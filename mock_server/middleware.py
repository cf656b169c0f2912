"""Pure ASGI middleware: the access log and request journal, the header limit (431), and
injected latency and errors."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import HeadersTooLarge, error_response, injected_error
from .journal import Journal
from .logs import ACCESS_LOGGER, direct_writer, silent

access_log = logging.getLogger(ACCESS_LOGGER)

API_PREFIX = "/api/"
ORG_KEY = "mock.organization"  # set in the scope by the API endpoint once the caller is known
PREFER_IGNORED_KEY = "mock.prefer_ignored"  # why a `Prefer` was not honoured, for the log and journal
# Marks the one kind of answer outside the spec: a failure the operator asked for (--error-rate).
INJECTED_HEADER = "X-Mock-Injected"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX)


class TrafficMiddleware:
    """One log line per request (method, path, status, ms) and the journal of API calls.

    Only the path and query are kept: headers, and so tokens, never are.
    """

    def __init__(self, app: ASGIApp, journal: Journal) -> None:
        self.app = app
        self.journal = journal
        # Starlette builds its middleware on the first request, after the CLI set up logging.
        self.write_line = direct_writer()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            path = scope.get("path", "")
            query = scope.get("query_string", b"").decode("latin-1")
            ignored = scope.get(PREFER_IGNORED_KEY)
            if self.write_line is not silent:
                target = path + (f"?{query}" if query else "")
                note = f" (Prefer ignored: {ignored})" if ignored else ""
                if self.write_line is not None:
                    self.write_line(f"{scope['method']} {target} {status} {elapsed:.1f}ms{note}")
                else:
                    access_log.info("%s %s %d %.1fms%s", scope["method"], target, status, elapsed, note)
            if is_api_path(path):
                self.journal.record(
                    scope["method"], path, query, status, elapsed, scope.get(ORG_KEY), prefer_ignored=ignored
                )


class HeaderLimitMiddleware:
    """Requests whose headers total more than `limit` bytes get 431, before anything else.

    A header counts as its name, its value and the 4 bytes of `: ` and CRLF. The
    limit is the spec's `x-max-header-bytes`; the served mock also caps a head that
    never ends at the socket (protocol.py), so no request head is buffered whole.
    """

    def __init__(self, app: ASGIApp, limit: Callable[[], int]) -> None:
        self.app = app
        self.limit = limit  # read per request, so --reload of the spec changes it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = 0
            # A plain loop: for the few headers of a usual request, cheaper than sum/map/chain.
            for name, value in scope["headers"]:
                size += len(name) + len(value) + 4
            limit = self.limit()
            if size > limit:
                error = HeadersTooLarge(f"The request headers exceed {limit} bytes.")
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class ChaosMiddleware:
    """`--latency` holds API responses; `--error-rate` answers some with `--error-status`.

    An injected error is answered before the request reaches the API, so it never
    changes the store: a client that retries sees the same state. It is the only
    answer of the mock whose status may be one the spec does not document (a 503
    from a struggling backend is what chaos testing is for); it always carries
    `X-Mock-Injected: error-rate`, so a client, a proxy or a test can tell.
    """

    def __init__(
        self,
        app: ASGIApp,
        latency_ms: tuple[int, int] | None,
        error_rate: float,
        error_status: int,
        rng: random.Random | None = None,
    ) -> None:
        self.app = app
        self.latency_ms = latency_ms
        self.error_rate = error_rate
        self.error_status = error_status
        self.rng = rng or random.Random()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        if self.latency_ms:
            await asyncio.sleep(self.rng.uniform(*self.latency_ms) / 1000)
        if self.error_rate and self.rng.random() < self.error_rate:
            message = f"Injected by the mock (--error-rate {self.error_rate:g})."
            response = error_response(
                injected_error(
                    self.error_status, message, {"Retry-After": "1", INJECTED_HEADER: "error-rate"}
                )
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
