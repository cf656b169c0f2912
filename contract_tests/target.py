"""What the suite talks to: the in-process mock (no ports) or a live deployment by URL."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable
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
    The request body reaches the app as an HTTP server hands it over (`_ServerFraming`):
    each chunk the client wrote (a chunked body: several) in its own message.
    """

    def __init__(self, app: Any) -> None:
        self._asgi = httpx.ASGITransport(app=_ServerFraming(app), client=("127.0.0.1", 50000))
        self._portal_cm: AbstractContextManager[BlockingPortal] = start_blocking_portal()
        self._portal = self._portal_cm.__enter__()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        chunks = _written_chunks(request)
        forwarded = httpx.Request(
            request.method, request.url, headers=request.headers, stream=_Chunks(chunks)
        )

        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await self._asgi.handle_async_request(forwarded)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        status, headers, body = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        self._portal_cm.__exit__(None, None, None)


def _written_chunks(request: httpx.Request) -> list[bytes]:
    """The body as the client writes it, chunk by chunk; the request stays readable (`.content`)."""
    if isinstance(request.stream, httpx.ByteStream):
        return [request.read()]
    chunks = [bytes(chunk) for chunk in request.stream]  # type: ignore[union-attr]
    try:
        request.content  # noqa: B018 (read already: ApiClient reads chunked bodies for its reports)
    except httpx.RequestNotRead:
        request.stream = httpx.ByteStream(b"".join(chunks))
        request.read()
    return chunks


class _Chunks(httpx.AsyncByteStream):
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks:
            yield chunk


class _ServerFraming:
    """ASGI messages as uvicorn frames a body: httpx ends every body with an empty final message;
    a server that has the whole of a sized body (Content-Length) marks its last chunk final. A
    chunked body still ends with an empty message, as the chunked encoding's last chunk does."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        ahead: list[Any] = []
        sized = any(name.lower() == b"content-length" for name, _ in scope.get("headers", ()))

        async def framed() -> Any:
            message = ahead.pop() if ahead else await receive()
            if sized and message["type"] == "http.request" and message.get("more_body"):
                following = await receive()
                ends = following["type"] == "http.request" and not following.get("more_body")
                if ends and not following.get("body"):
                    return {**message, "more_body": False}
                ahead.append(following)
            return message

        await self.app(scope, framed, send)


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
