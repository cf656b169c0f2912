"""Call an ASGI app directly, the way uvicorn hands it a parsed request: no sockets, no client.

Used to time the mock server-side (scale) and to capture the mock's exact
response bodies for the bare ceiling app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Message


@dataclass
class Reply:
    status: int = 0
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""


def http_scope(
    method: str, target: str, headers: Sequence[tuple[str, str]] = (), body: bytes = b""
) -> dict[str, Any]:
    """An HTTP scope as uvicorn builds it for `METHOD target` (target = path?query)."""
    path, _, query = target.partition("?")
    raw_headers = [(b"host", b"127.0.0.1")]
    raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    if body:
        raw_headers.append((b"content-length", str(len(body)).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }


async def call(app: ASGIApp, scope: dict[str, Any], body: bytes = b"") -> Reply:
    """One request through the app; `scope` is copied, so one prepared scope serves many calls."""
    reply = Reply()
    chunks: list[bytes] = []
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            reply.status = message["status"]
            reply.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(dict(scope), receive, send)
    reply.body = b"".join(chunks)
    return reply
