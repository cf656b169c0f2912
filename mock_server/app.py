"""Build the mock: the spec's routes, the admin API, the docs, and the middleware around them.

Routes are a declared list: one endpoint per spec path (see endpoint.py), then
/__admin, /docs and the spec itself. Middleware, outermost first: access log
and journal, CORS, injected latency and errors.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from .admin import admin_routes
from .auth import TokenRegistry
from .docs import docs_routes
from .endpoint import OperationsEndpoint, error_response
from .errors import ERRORS_BY_STATUS, ApiError, NotFound, SpecError
from .fixtures import Seed
from .handlers import HANDLERS
from .journal import Journal
from .logs import flush_access_log
from .middleware import ChaosMiddleware, TrafficMiddleware
from .options import LOCAL_ORIGINS, MockOptions
from .periodic import Periodic
from .persistence import StateSaver
from .spec import Spec, load_spec
from .store import Store

logger = logging.getLogger("mock_server")


@dataclass
class MockState:
    """Everything a running mock holds; tests and the CLI build it, the app serves it."""

    spec: Spec
    store: Store
    tokens: TokenRegistry
    options: MockOptions = field(default_factory=MockOptions)
    seed: Seed | None = None
    journal: Journal = field(default_factory=Journal)
    started: float = field(default_factory=time.monotonic)
    violations: int = 0  # responses that broke the spec (--validate-responses)
    fixtures: Seed | None = None  # what --fixtures loaded; scenarios build on it (scenarios.py)
    scenario: str = "default"  # the scenario `seed` holds; reset returns to it

    @classmethod
    def seeded(
        cls,
        spec: Spec,
        seed: Seed | None,
        extra_tokens: Mapping[str, str] | None = None,
        options: MockOptions | None = None,
    ) -> MockState:
        options = options or MockOptions()
        tokens = TokenRegistry()
        for token, org_id in {**(seed.tokens if seed else {}), **(extra_tokens or {})}.items():
            tokens.add(token, org_id)
        state = cls(spec, Store(), tokens, options, seed, Journal(options.journal_size), fixtures=seed)
        state.reset()
        return state

    def reset(self) -> None:
        """Back to the seed (the current scenario's data); every token's organization exists."""
        self.store.load(self.seed.contacts if self.seed else {}, keep=self.tokens.organizations())


def api_routes(state: MockState) -> list[BaseRoute]:
    for op in state.spec.operations:
        if op.operation_id not in HANDLERS:
            raise SpecError(f"the spec's operation {op.operation_id!r} has no handler")
    return [Route(path, endpoint=OperationsEndpoint(state, ops)) for path, ops in state.spec.by_path.items()]


def all_routes(state: MockState) -> list[BaseRoute]:
    routes = [*api_routes(state), *admin_routes()]
    if state.spec.source is not None:
        routes += docs_routes(state.spec.source)
    return routes


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error_class = ERRORS_BY_STATUS.get(exc.status_code, NotFound)
    return error_response(error_class())


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug in the mock, never the client's fault; still answer in the contract's shape.
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(ApiError("Internal error in the mock server."))


class ContractCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight in the contract's error shape."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Only browsers send Origin; other clients skip the CORS machinery altogether.
        if scope["type"] == "http" and not any(name == b"origin" for name, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        message = bytes(response.body).decode("utf-8", "replace") or "Disallowed CORS request."
        headers = {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}
        return JSONResponse({"error": {"code": "cors_rejected", "message": message + "."}}, 400, headers)


def _middleware(state: MockState) -> list[Middleware]:
    options = state.options
    stack = [Middleware(TrafficMiddleware, journal=state.journal)]
    if options.cors:
        stack.append(
            Middleware(
                ContractCORSMiddleware,
                allow_origins=[o for o in options.cors_origins],
                allow_origin_regex=None if options.cors_origins else LOCAL_ORIGINS,
                allow_credentials=True,
                allow_methods=["GET", "POST", "PATCH", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "Prefer"],
                expose_headers=["Location", "Retry-After"],
                max_age=600,
            )
        )
    if options.latency_ms or options.error_rate:
        stack.append(
            Middleware(
                ChaosMiddleware,
                latency_ms=options.latency_ms,
                error_rate=options.error_rate,
                error_status=options.error_status,
            )
        )
    return stack


async def _flush_access_log() -> None:
    flush_access_log()


def create_app(state: MockState | None = None) -> Starlette:
    if state is None:
        state = MockState.seeded(load_spec(), None)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        saver = None
        if state.options.state_file is not None:
            saver = StateSaver(state.store, state.options.state_file, state.options.save_interval)
            saver.start()
        watcher = None
        if state.options.reload:
            from .reload import Watcher

            watcher = Watcher(app, state)
            watcher.start()
        flusher = Periodic(0.5, _flush_access_log)
        flusher.start()
        try:
            yield
        finally:
            await flusher.stop()
            flush_access_log()
            if watcher is not None:
                await watcher.stop()
            if saver is not None:
                await saver.stop()

    app = Starlette(
        routes=all_routes(state),
        middleware=_middleware(state),
        exception_handlers={HTTPException: _http_exception, Exception: _unexpected},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # `/contacts/` is an unknown path, not a redirect
    app.state.mock = state
    return app
