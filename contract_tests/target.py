"""What the suite talks to: the in-process mock (no ports) or a live deployment by URL."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from .settings import Settings, SettingsError

# The in-process mock's fixture tokens (fixtures/seed.json), used unless overridden.
DEFAULT_TOKEN = "dev-token-org-a"
DEFAULT_OTHER_TOKEN = "dev-token-org-b"
IN_PROCESS_URL = "http://contacts.test"


class InProcessTransport(httpx.BaseTransport):
    """A synchronous httpx transport that calls an ASGI app on a private event loop.

    httpx's own ASGITransport is async-only; the suite is synchronous (hypothesis
    rules, schemathesis), so the app runs in a blocking portal's loop thread.
    """

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        self._portal_cm: AbstractContextManager[BlockingPortal] = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            request.read()
            response = await self._asgi.handle_async_request(request)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        status, headers, body = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        self._portal_cm.__exit__(None, None, None)


@dataclass
class Target:
    description: str
    base_url: str
    token: str
    other_org_token: str | None
    app: Any | None = None  # the ASGI app when in-process
    _transports: list[httpx.BaseTransport] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"Target({self.description!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis pretty-prints dataclasses field by field (80 kB here); use the short repr.
        printer.text(repr(self))

    @property
    def in_process(self) -> bool:
        return self.app is not None

    def transport(self) -> httpx.BaseTransport | None:
        if self.app is None:
            return None
        transport = InProcessTransport(self.app)
        self._transports.append(transport)
        return transport

    def close(self) -> None:
        for transport in self._transports:
            transport.close()
        self._transports.clear()


def build_target(settings: Settings) -> Target:
    if settings.live:
        assert settings.base_url is not None and settings.token is not None
        return Target(
            description=f"live deployment {settings.base_url}",
            base_url=settings.base_url,
            token=settings.token,
            other_org_token=settings.other_org_token,
        )
    if settings.app:
        app = _import_factory(settings.app)()
        description = f"in-process app {settings.app}"
    else:
        app = _default_mock(settings.spec)
        description = "in-process reference mock"
    return Target(
        description=description,
        base_url=IN_PROCESS_URL,
        token=settings.token or DEFAULT_TOKEN,
        other_org_token=settings.other_org_token or DEFAULT_OTHER_TOKEN,
        app=app,
    )


def _default_mock(spec_path: Path) -> Any:
    # The only place the suite touches the mock's code: to build the default target (serving
    # the spec the run tests against, so an edited spec is tested against a mock that follows it).
    from mock_server import DEFAULT_FIXTURES_PATH, MockState, create_app, load_fixtures, load_spec

    spec = load_spec(spec_path)
    return create_app(MockState.seeded(spec, load_fixtures(DEFAULT_FIXTURES_PATH, spec)))


def _import_factory(path: str) -> Callable[[], Any]:
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise SettingsError(f"--app/CONTRACT_APP must be module:factory, not {path!r}")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise SettingsError(f"cannot load the app factory {path!r}: {exc}") from None
    if not callable(factory):
        raise SettingsError(f"{path!r} is not callable")
    return factory  # type: ignore[no-any-return]
