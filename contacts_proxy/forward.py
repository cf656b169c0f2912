"""The forwarding ASGI app: every request to the upstream as received, every response back as sent.

Byte for byte: the method, the path and query exactly as received (percent-
encoding untouched), the headers minus the hop-by-hop ones, and the body
streamed as it arrives (malformed JSON, binary and chunked bodies alike; the
proxy parses nothing before forwarding, so nothing can make it wait). The
response's status, headers and body (compressed or not) go back without being
decoded or re-serialised. Redirects are passed on, never followed. Copies of
both bodies (up to 1 MiB each) are handed to the checks after the response has
been sent, so checking never delays the client.

Upstream connections are kept alive in a few httpx.AsyncClient pools used in
turn: httpcore scans every pooled connection on every request, so one pool of
N connections costs O(N) per request; shards keep that scan short.

`Host` is set to the upstream's, as a reverse proxy does, so virtual hosts and
TLS work (`preserve_host=True` keeps the client's).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence

import httpx
from starlette.responses import JSONResponse
from starlette.types import Message as AsgiMessage
from starlette.types import Receive, Scope, Send

from .masking import client_key, credential, mask_headers, secrets_of
from .records import CAPTURE_LIMIT, Exchange, Message

logger = logging.getLogger("contacts_proxy")

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",  # not hop-by-hop, but answered here: uvicorn sent the client its 100 Continue
    }
)
OUTCOME_HEADER = "x-contacts-proxy"  # on the proxy's own answers: which outcome, never the upstream's


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


def end_to_end(headers: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    """The headers a proxy passes on: minus hop-by-hop ones and those `Connection` names."""
    named = {
        token.strip().lower()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.decode("latin-1").split(",")
    }
    return [
        (name.decode("latin-1").lower(), value.decode("latin-1"))
        for name, value in headers
        if name.decode("latin-1").lower() not in HOP_BY_HOP | named
    ]


class Capture:
    """The first CAPTURE_LIMIT bytes of a body, and its whole size."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.kept = 0
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.kept < CAPTURE_LIMIT:
            piece = chunk[: CAPTURE_LIMIT - self.kept]
            self.parts.append(piece)
            self.kept += len(piece)

    def body(self) -> bytes:
        return b"".join(self.parts)


class Forwarder:
    def __init__(
        self,
        upstream: httpx.URL,
        clients: Sequence[httpx.AsyncClient],
        on_exchange: Callable[[Exchange], None],
        on_failure: Callable[[], None],
        *,
        preserve_host: bool = False,
        access_line: Callable[[str], None] | None = None,
    ) -> None:
        self.upstream = upstream
        self.base_path = upstream.raw_path.split(b"?", 1)[0].rstrip(b"/")
        self.clients = list(clients)
        self._turn = itertools.cycle(range(len(self.clients)))
        self.on_exchange = on_exchange
        self.on_failure = on_failure
        self.preserve_host = preserve_host
        self.access_line = access_line

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started, wall = time.monotonic(), time.time()
        method: str = scope["method"]
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        query: bytes = scope.get("query_string", b"")
        target = raw_path + (b"?" + query if query else b"")
        headers = end_to_end(scope["headers"])
        if not self.preserve_host:
            headers = [(n, v) for n, v in headers if n != "host"]
            headers.insert(0, ("host", self.upstream.netloc.decode("ascii")))
        has_body = any(n == b"transfer-encoding" for n, _ in scope["headers"]) or any(
            n == "content-length" and v.strip() not in ("", "0") for n, v in headers
        )
        sent = Capture()

        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise ClientGone
                chunk = message.get("body", b"")
                if chunk:
                    sent.add(chunk)
                    yield chunk
                if not message.get("more_body", False):
                    return

        request = httpx.Request(
            method,
            self.upstream.copy_with(raw_path=self.base_path + target),
            headers=headers,
            content=body() if has_body else None,
        )
        try:
            client = self.clients[next(self._turn)]
            response = await client.send(request, stream=True, follow_redirects=False)
        except ClientGone:
            return
        except httpx.TimeoutException as exc:
            await self._own_answer(
                scope,
                receive,
                send,
                504,
                "upstream_timeout",
                f"no answer in time ({type(exc).__name__})",
                started,
                target,
            )
            return
        except httpx.HTTPError as exc:
            await self._own_answer(
                scope,
                receive,
                send,
                502,
                "upstream_unreachable",
                f"cannot reach it: {type(exc).__name__}: {exc}",
                started,
                target,
            )
            return
        answered = time.monotonic()
        received = Capture()
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (name.encode("latin-1"), value.encode("latin-1"))
                        for name, value in end_to_end(response.headers.raw)
                    ],
                }
            )
            async for chunk in response.aiter_raw():
                received.add(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except httpx.HTTPError as exc:
            logger.error(
                "contacts-proxy: the upstream broke off %s %s mid-body: %s",
                method,
                target.decode("latin-1"),
                exc,
            )
            raise
        finally:
            await response.aclose()
        if self.access_line is not None:
            elapsed = (time.monotonic() - started) * 1000
            self.access_line(f"{method} {target.decode('latin-1')} {response.status_code} {elapsed:.1f}ms")
        secrets = tuple(secrets_of(headers))
        token = credential(headers)
        self.on_exchange(
            Exchange(
                method=method,
                path=scope["path"],
                raw_target=target.decode("latin-1"),
                query=query.decode("latin-1"),
                request=Message(mask_headers(headers), sent.body(), sent.size, secrets),
                status=response.status_code,
                response=Message(
                    mask_headers(end_to_end(response.headers.raw)), received.body(), received.size, secrets
                ),
                started=started,
                answered=answered,
                client=client_key(token),
                wall_time=wall,
            )
        )

    async def _own_answer(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        code: str,
        why: str,
        started: float,
        target: bytes,
    ) -> None:
        """The proxy's own outcome (502/504), in the contract's error shape; never a verdict on it."""
        self.on_failure()
        message = f"contacts-proxy: the upstream {self.upstream} {why}."
        logger.error("%s %s: %s", scope["method"], target.decode("latin-1"), message)
        response = JSONResponse(
            {"error": {"code": code, "message": message}}, status, headers={OUTCOME_HEADER: code}
        )
        await response(scope, _drained(receive), send)
        if self.access_line is not None:
            elapsed = (time.monotonic() - started) * 1000
            self.access_line(f"{scope['method']} {target.decode('latin-1')} {status} {elapsed:.1f}ms (proxy)")


def _drained(receive: Receive) -> Receive:
    async def nothing() -> AsgiMessage:
        return {"type": "http.disconnect"}

    return nothing
