"""The proxy app: the proxy's own routes (admin API, docs, `GET /`), everything else forwarded.

`/__admin/*`, `/docs`, `/openapi.yaml`, `/openapi.json` and `GET /` are the
proxy's own and never reach the upstream (talk to the upstream's admin API
directly). CORS and the admin API's guard are the mock's.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mock_server.admin import check_admin_access
from mock_server.cors import cors_middleware
from mock_server.docs import docs_routes
from mock_server.errors import ApiError, FieldError, MethodNotAllowed, ValidationFailed
from mock_server.logs import direct_writer, flush_access_log
from mock_server.options import MockOptions
from mock_server.periodic import Periodic
from mock_server.spec import Spec

from .forward import Forwarder
from .monitor import Monitor
from .report import junit_xml, write_reports

logger = logging.getLogger("contacts_proxy")

ADMIN = "/__admin"
POOL_SHARDS = 8  # keep-alive pools used in turn (see forward.py)
_OWN_PATHS = ("/docs", "/openapi.yaml", "/openapi.json")


@dataclass(frozen=True)
class ProxyOptions:
    upstream: str
    timeout: float = 60.0  # seconds to wait for the upstream's answer
    preserve_host: bool = False
    cors: bool = True
    cors_origins: tuple[str, ...] = ()  # empty: any local origin
    admin_token: str | None = None
    report: Path | None = None  # JSON, or JUnit XML when it ends in .xml
    junit: Path | None = None
    capacity: int = 10_000  # violations kept in memory (the counts are exact)
    max_connections: int = 200
    check: bool = True  # False: forward and count only (to measure what the checks cost)
    access: MockOptions = field(init=False)

    def __post_init__(self) -> None:
        # The admin guard and CORS are the mock's; they read these three options.
        access = MockOptions(cors=self.cors, cors_origins=self.cors_origins, admin_token=self.admin_token)
        object.__setattr__(self, "access", access)


class AdminEndpoint:
    def __init__(self, monitor: Monitor, options: ProxyOptions, methods: dict[str, str]) -> None:
        self.monitor = monitor
        self.options = options
        self.methods = methods

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            action = self.methods.get(request.method)
            if action is None:
                raise MethodNotAllowed(request.method, sorted(self.methods))
            check_admin_access(request, self.options.admin_token, self.options.access.origin_allowed)
            response = getattr(self, action)(request)
        except ApiError as error:
            response = JSONResponse(error.to_json(), status_code=error.status, headers=error.headers)
        await response(scope, receive, send)

    def violations(self, request: Request) -> Response:
        ledger = self.monitor.ledger
        rule, limit = request.query_params.get("rule"), request.query_params.get("limit")
        if limit is not None and not (limit.isascii() and limit.isdigit() and len(limit) <= 9):
            raise ValidationFailed(
                "limit must be a number.", details=[FieldError("limit", "must be a number")]
            )
        shown = [v for v in ledger.violations if rule is None or v["rule"] == rule]
        if limit is not None:
            shown = shown[-int(limit) :] if int(limit) else []
        return JSONResponse({"violations": shown, "exchanges": ledger.exchanges, **_counts(self.monitor)})

    def clear(self, request: Request) -> Response:
        return JSONResponse({"cleared": self.monitor.reset()})

    def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", **self.monitor.ledger.summary()})

    def report(self, request: Request) -> Response:
        if request.query_params.get("format") == "junit":
            return Response(junit_xml(self.monitor.ledger), media_type="application/xml")
        return JSONResponse(self.monitor.ledger.report())


def _counts(monitor: Monitor) -> dict[str, object]:
    ledger = monitor.ledger
    return {"total": ledger.total, "by_rule": dict(sorted(ledger.by_rule.items()))}


def admin_routes(monitor: Monitor, options: ProxyOptions) -> list[BaseRoute]:
    def endpoint(methods: dict[str, str]) -> AdminEndpoint:
        return AdminEndpoint(monitor, options, methods)

    return [
        Route(f"{ADMIN}/violations", endpoint({"GET": "violations", "DELETE": "clear"})),
        Route(f"{ADMIN}/health", endpoint({"GET": "health"})),
        Route(f"{ADMIN}/report", endpoint({"GET": "report"})),
    ]


class Dispatch:
    """The proxy's own paths go to `own`; everything else to the forwarder."""

    def __init__(self, own: ASGIApp, forwarder: ASGIApp) -> None:
        self.own = own
        self.forwarder = forwarder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or _is_own(path):
            await self.own(scope, receive, send)
        else:
            await self.forwarder(scope, receive, send)


def _is_own(path: str) -> bool:
    return (
        path == "/"
        or path == ADMIN
        or path.startswith(ADMIN + "/")
        or path in _OWN_PATHS
        or path.startswith("/docs/")
    )


def _with_cors(app: ASGIApp, options: ProxyOptions) -> ASGIApp:
    """The mock's CORS around everything, forwarded answers included."""
    if not options.cors:
        return app
    cors = cors_middleware(MockOptions(cors_origins=tuple(options.cors_origins)))
    return cors.cls(app, *cors.args, **cors.kwargs)


class ProxyApp:
    """The ASGI app `contacts-proxy` serves; `monitor` holds what it has seen."""

    def __init__(self, app: ASGIApp, monitor: Monitor) -> None:
        self.app = app
        self.monitor = monitor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


async def _root(request: Request) -> Response:
    return RedirectResponse("/docs", status_code=307)


def create_app(spec: Spec, options: ProxyOptions, monitor: Monitor | None = None) -> ProxyApp:
    """The proxy for `options.upstream`, checking against `spec`."""
    monitor = monitor or Monitor(spec, options.upstream, options.capacity)
    per_shard = max(1, options.max_connections // POOL_SHARDS)
    clients = [
        httpx.AsyncClient(
            timeout=httpx.Timeout(options.timeout, connect=min(options.timeout, 10.0)),
            limits=httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard),
            follow_redirects=False,
            trust_env=False,  # HTTP(S)_PROXY of the environment would send staging traffic elsewhere
        )
        for _ in range(POOL_SHARDS)
    ]
    forwarder = Forwarder(
        httpx.URL(options.upstream),
        clients,
        monitor.record if options.check else monitor.count,
        monitor.proxy_error,
        preserve_host=options.preserve_host,
        access_line=direct_writer(),
    )
    routes: list[BaseRoute] = [Route("/", _root, methods=["GET", "HEAD"]), *admin_routes(monitor, options)]
    if spec.source is not None:
        routes += docs_routes(spec.source)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        flusher = Periodic(0.5, _flush)
        flusher.start()
        try:
            yield
        finally:
            await flusher.stop()
            for client in clients:
                await client.aclose()
            written = write_reports(monitor.ledger, options.report, options.junit)
            ledger = monitor.ledger
            logger.warning(
                "contacts-proxy: %d exchanges, %d checked, %d violations%s",
                ledger.exchanges,
                ledger.checked,
                ledger.total,
                "; reports: " + ", ".join(map(str, written)) if written else "",
            )
            flush_access_log()

    own = Starlette(routes=routes, lifespan=lifespan)  # also runs the lifespan (Dispatch passes it on)
    own.router.redirect_slashes = False
    return ProxyApp(_with_cors(Dispatch(own, forwarder), options), monitor)


async def _flush() -> None:
    flush_access_log()
