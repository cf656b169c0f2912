"""Build the mock: the API's fast path (fastpath.py), the route table (routes.py) and the
middleware around them.

Middleware, outermost first: access log and journal, the header limit (431),
CORS, injected latency and errors; under them the fast path answers the spec's paths and hands
everything else to Starlette's router (with Starlette's error and exception
middleware). `create_app()` with no argument serves what `contacts-mock` serves:
the packaged spec and seed fixtures.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from .cors import cors_middleware
from .errors import ERRORS_BY_STATUS, ApiError, NotFound, error_response
from .fastpath import ApiDispatch, ApiRoutes
from .logs import FLUSH_EVERY, flush_access_first, flush_access_log
from .middleware import ChaosMiddleware, HeaderLimitMiddleware, TrafficMiddleware
from .periodic import Periodic
from .persistence import StateSaver
from .reload import Watcher
from .routes import all_routes
from .state import MockState

__all__ = ["MockState", "create_app"]  # MockState lives in state.py; re-exported for old imports

logger = logging.getLogger("mock_server")


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    error_class = ERRORS_BY_STATUS.get(exc.status_code, NotFound)
    return error_response(error_class())


async def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug in the mock, never the client's fault; still answer in the contract's shape.
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(ApiError("Internal error in the mock server."))


def _middleware(state: MockState) -> list[Middleware]:
    options = state.options
    stack = [
        Middleware(TrafficMiddleware, journal=state.journal),
        Middleware(HeaderLimitMiddleware, limit=lambda: state.spec.max_header_bytes),
    ]
    if options.cors:
        stack.append(cors_middleware(options))
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


class MockApp(Starlette):
    """Starlette, with the fast path for the API (`api`) under the user middleware.

    Starlette's own stack is error middleware › user middleware › exception
    middleware › router; here it is user middleware › ApiDispatch, which sends
    the spec's paths to their endpoints and the rest to error middleware ›
    exception middleware › router.
    """

    api: ApiRoutes

    def build_middleware_stack(self) -> ASGIApp:
        handlers = dict(self.exception_handlers)
        on_error = handlers.pop(Exception, None) or handlers.pop(500, None)
        other: ASGIApp = ExceptionMiddleware(self.router, handlers=handlers, debug=self.debug)
        app: ASGIApp = ApiDispatch(self.api, ServerErrorMiddleware(other, handler=on_error, debug=self.debug))
        for cls, args, kwargs in reversed(self.user_middleware):
            app = cls(app, *args, **kwargs)
        return app


async def _flush_access_log() -> None:
    flush_access_log()


def create_app(state: MockState | None = None, middleware: Sequence[Middleware] = ()) -> MockApp:
    """The mock as an ASGI app; without `state`, seeded like `contacts-mock` (MockState.default()).

    `middleware` goes outside the mock's own (the seam modifiers.py uses to rewrite traffic).
    """
    if state is None:
        state = MockState.default()

    def swap_routes(reloaded: MockState) -> None:
        # --reload: the new spec's routes replace the old ones in place.
        app.api.load(reloaded)
        app.router.routes[:] = all_routes(reloaded)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        saver = None
        if state.options.state_file is not None:
            saver = StateSaver(state.store, state.options.state_file, state.options.save_interval)
            saver.start()
        watcher = None
        if state.options.reload:
            watcher = Watcher(state, on_reload=swap_routes)
            watcher.start()
        # uvicorn has set up its own stderr handler by now: its messages keep their place too.
        flush_access_first(logging.getLogger("uvicorn").handlers)
        flusher = Periodic(FLUSH_EVERY, _flush_access_log)
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

    api = ApiRoutes(state)
    app = MockApp(
        routes=all_routes(state),
        middleware=[*middleware, *_middleware(state)],
        exception_handlers={HTTPException: _http_exception, Exception: _unexpected},
        lifespan=lifespan,
    )
    app.api = api
    app.router.redirect_slashes = False  # `/contacts/` is an unknown path, not a redirect
    app.state.mock = state
    app.state.on_reload = swap_routes  # what a Watcher calls after a reload
    return app
