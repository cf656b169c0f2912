"""Servers for the proxy's tests: any ASGI app on a free loopback port, in a thread.

`Upstream` apps used here: the correct mock, the mock behind a `Bugs` layer that
plants one bug at a time through a small modifier object, and an echo app that
answers with exactly what it received.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contacts_proxy import ProxyApp, ProxyOptions, create_app
from mock_server import DEFAULT_FIXTURES_PATH, MockState, load_fixtures, load_spec
from mock_server import create_app as create_mock
from mock_server.testing import serve_app

HOST = "127.0.0.1"
CONTACTS = "/api/v1/crm/contacts"
TOKEN_A = "dev-token-org-a"  # fixtures/seed.json: org_blueai
SPEC = load_spec()
SETTLE_TIMEOUT = 60.0  # seconds for the proxy to check what was sent (normally milliseconds)


def serve(app: ASGIApp) -> contextlib.AbstractContextManager[str]:
    """Serve `app` with uvicorn on a free loopback port until the block ends; yields its URL."""
    return serve_app(
        app,
        host=HOST,
        timeout=15,
        what="the test server",
        lifespan="on",
        server_header=False,
        date_header=False,
    )


def mock_app() -> ASGIApp:
    """The correct mock, seeded with the shipped fixtures."""
    return create_mock(MockState.seeded(SPEC, load_fixtures(DEFAULT_FIXTURES_PATH, SPEC)))


@dataclass
class Call:
    """What a modifier sees of one request."""

    method: str
    path: str
    query: str
    body: bytes


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def set_json(self, value: Any) -> None:
        self.body = json.dumps(value, ensure_ascii=False).encode()
        self.headers = [(k, v) for k, v in self.headers if k != "content-length"]
        self.headers.append(("content-length", str(len(self.body))))

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def drop_header(self, name: str) -> None:
        self.headers = [(k, v) for k, v in self.headers if k != name]


class Modifier:
    """One planted bug: may rewrite the request before the mock sees it, and the answer after."""

    def request(self, call: Call) -> Call:
        return call

    def response(self, call: Call, answer: Answer) -> None:
        return None


@dataclass
class Bugs:
    """An ASGI layer around the mock that applies the active Modifier (none: the mock as it is)."""

    app: ASGIApp
    active: Modifier | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        modifier = self.active
        if scope["type"] != "http" or modifier is None:
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        call = modifier.request(
            Call(scope["method"], scope["path"], scope["query_string"].decode("latin-1"), body)
        )
        inner = {
            **scope,
            "method": call.method,
            "query_string": call.query.encode("latin-1"),
            "headers": [(k, v) for k, v in scope["headers"] if k != b"content-length"]
            + [(b"content-length", str(len(call.body)).encode())],
        }
        messages: list[Message] = []

        async def replay() -> Message:
            return {"type": "http.request", "body": call.body, "more_body": False}

        async def collect(message: Message) -> None:
            messages.append(message)

        await self.app(inner, replay, collect)
        start = messages[0]
        answer = Answer(
            start["status"],
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]],
            b"".join(m.get("body", b"") for m in messages[1:]),
        )
        modifier.response(call, answer)
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with what it received; `/gzip`, `/redirect`, `/slow`, `/binary` answer specially."""
    if scope["type"] == "lifespan":
        while True:
            if (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = b"".join(chunks)
    path = scope["path"]
    headers: list[tuple[bytes, bytes]] = [(b"content-type", b"application/json")]
    if path.endswith("/slow"):
        await asyncio.sleep(1)
    if path.endswith("/redirect"):
        await _answer(send, 302, [(b"location", b"/elsewhere"), (b"content-length", b"0")], b"")
        return
    if path.endswith("/binary"):
        data = bytes(range(256)) * 4
        await _answer(send, 200, [(b"content-type", b"application/octet-stream")], data)
        return
    seen = {
        "method": scope["method"],
        "raw_path": scope["raw_path"].decode("latin-1"),
        "query_string": scope["query_string"].decode("latin-1"),
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]],
        "body_b64": base64.b64encode(body).decode(),
    }
    payload = json.dumps(seen).encode()
    headers += [
        (b"x-odd-Header", b"  spaced\tvalue "),
        (b"set-cookie", b"a=1; Path=/"),
        (b"set-cookie", b"b=2; HttpOnly"),
    ]
    if path.endswith(("/gzip", "/gzip-wrong-code")):  # a 404, compressed: the same bytes every time
        code = b"missing" if path.endswith("wrong-code") else b"not_found"
        payload = gzip.compress(b'{"error": {"code": "' + code + b'", "message": "Not found."}}', mtime=0)
        headers.append((b"content-encoding", b"gzip"))
        await _answer(send, 404, headers, payload)
        return
    await _answer(send, 200, headers, payload)


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass
class Rig:
    """A proxy in front of an upstream, both served; `http` talks to the proxy as organization A."""

    proxy: ProxyApp
    url: str
    upstream: str
    http: httpx.Client = field(init=False)

    forwarded: int = 0  # requests sent through `http` that the proxy forwards

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {TOKEN_A}"},
            timeout=20.0,
            event_hooks={"response": [self._count]},
        )

    def _count(self, response: httpx.Response) -> None:
        path = response.request.url.path
        preflight = "access-control-request-method" in response.request.headers  # answered by CORS
        if not (preflight or path == "/" or path.startswith(("/__admin", "/docs", "/openapi"))):
            self.forwarded += 1

    def reset(self) -> None:
        """Forget every violation, counter and client history; start counting again."""
        self.settle()
        self.proxy.monitor.reset()
        self.forwarded = 0

    def settle(self) -> None:
        """Wait until the proxy has checked every exchange sent so far (checks run after the answer).

        Generous (a busy machine, a parallel run) and loud: a test must not go on to read an
        incomplete ledger, where a missing violation would pass unnoticed.
        """
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while self.proxy.monitor.ledger.exchanges < self.forwarded:
            assert time.monotonic() < deadline, (
                f"the proxy checked {self.proxy.monitor.ledger.exchanges} of {self.forwarded} exchanges"
                f" within {SETTLE_TIMEOUT} s"
            )
            time.sleep(0.005)

    @property
    def rules(self) -> list[str]:
        self.settle()
        return [v["rule"] for v in self.proxy.monitor.ledger.violations]

    def violations(self) -> list[dict[str, Any]]:
        self.settle()
        return list(self.proxy.monitor.ledger.violations)


@contextlib.contextmanager
def rig(upstream_app: ASGIApp, **options: Any) -> Iterator[Rig]:
    with serve(upstream_app) as upstream:
        proxy = create_app(SPEC, ProxyOptions(upstream=upstream, **options))
        with serve(proxy) as url:
            r = Rig(proxy, url, upstream)
            try:
                yield r
            finally:
                r.http.close()
