"""The HTTP protocol the mock is served with: uvicorn's httptools protocol, guarded.

uvicorn buffers a request head of any size and waits for a request for ever.
This protocol adds two guards, below the app, so an abusive or broken client
costs a bounded amount of memory and time and never holds a worker:

- **Head size.** A request head (request line and headers) still incomplete
  past `max_header_bytes` + 8 KiB (the request line's allowance) is refused
  with 431 in the contract's error shape and the connection closed, without
  buffering more of it. A head within that allowance whose headers exceed
  `max_header_bytes` reaches the app, which answers the same 431
  (middleware.HeaderLimitMiddleware), logged and journaled like any answer.
- **Request deadline.** A client has `request_timeout` seconds from the moment
  its connection opens, or its next request starts, until that request is
  complete (head and body). A request still incomplete then (a stalled body,
  headers that never end, a connection that never sends anything) is dropped:
  the connection is closed, the app sees the client leave (`http.disconnect`),
  and nothing is written. The time the mock takes to answer does not count.
  One sweep per server checks every connection at most every second, so
  the per-request cost is one clock read.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from .errors import HeadersTooLarge, error_response

logger = logging.getLogger("mock_server")

REQUEST_LINE_ALLOWANCE = 8192  # bytes of a request head beyond the header limit: the request line
DEFAULT_REQUEST_TIMEOUT = 10.0  # seconds; `--request-timeout`


def refusal_431(limit: int) -> bytes:
    """The whole HTTP response of a refused head: 431, the contract's error body, then close."""
    response = error_response(HeadersTooLarge(f"The request headers exceed {limit} bytes."))
    head = [b"HTTP/1.1 431 Request Header Fields Too Large"]
    head += [name + b": " + value for name, value in response.raw_headers]
    head.append(b"connection: close")
    return b"\r\n".join(head) + b"\r\n\r\n" + bytes(response.body)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a cap on the request head and a request deadline (see the module)."""

    max_header_bytes: ClassVar[int] = 16384
    request_timeout: ClassVar[float] = DEFAULT_REQUEST_TIMEOUT

    _in_head = True  # reading a request head (before its headers are complete)
    _head_bytes = 0  # bytes received while reading this head
    _since: float | None = None  # loop time the request in progress began (None: none is)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._since = self.loop.time()  # a new connection owes its first request in time too
        if self.request_timeout:
            _Sweeper.watch(self.server_state, self.loop, self.request_timeout)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._in_head and self._head_bytes > self.max_header_bytes + REQUEST_LINE_ALLOWANCE:
            self._in_head = False
            if not self.transport.is_closing():
                logger.warning("refused a request head over %d bytes (431)", self.max_header_bytes)
                self.transport.write(refusal_431(self.max_header_bytes))
                self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._since = self.loop.time()

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._since = None
        self._in_head, self._head_bytes = True, 0

    def overdue(self, now: float) -> bool:
        return self._since is not None and now - self._since > self.request_timeout


class _Sweeper:
    """Closes the connections of one server whose request is overdue; runs while it has any."""

    running: ClassVar[weakref.WeakKeyDictionary[ServerState, _Sweeper]] = weakref.WeakKeyDictionary()

    def __init__(self, state: ServerState, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        self.state, self.loop = state, loop
        self.interval = min(1.0, timeout / 4)

    @classmethod
    def watch(cls, state: ServerState, loop: asyncio.AbstractEventLoop, timeout: float) -> None:
        if state not in cls.running:
            sweeper = cls.running[state] = cls(state, loop, timeout)
            loop.call_later(sweeper.interval, sweeper.sweep)

    def sweep(self) -> None:
        now = self.loop.time()
        for connection in list(self.state.connections):
            if isinstance(connection, GuardedHttpToolsProtocol) and connection.overdue(now):
                connection._since = None
                if not connection.transport.is_closing():
                    logger.info("closed a connection whose request was not complete in time")
                    connection.transport.close()  # the app sees http.disconnect
        if self.state.connections:
            self.loop.call_later(self.interval, self.sweep)
        else:
            del self.running[self.state]


def guarded_protocol(max_header_bytes: int, request_timeout: float) -> type[GuardedHttpToolsProtocol]:
    """The protocol class to give uvicorn (`uvicorn.Config(app, http=...)`) with these limits."""
    attributes: dict[str, Any] = {"max_header_bytes": max_header_bytes, "request_timeout": request_timeout}
    return type("GuardedHttpToolsProtocol", (GuardedHttpToolsProtocol,), attributes)
