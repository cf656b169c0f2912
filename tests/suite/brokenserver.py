"""A deliberately broken HTTP server on 127.0.0.1, one misbehaviour per mode (test-only).

Real sockets, not respx: what is under test includes the suite's HTTP stack
(timeouts per read versus an overall deadline, size caps, resets mid-body).

Modes: ``huge`` (a 100 MB body), ``trickle`` (one byte every TRICKLE_INTERVAL), ``reset``
(the connection is reset mid-body), ``invalid_json`` (200 with a body that is
not JSON), ``redirect_loop`` (302 to itself), ``silent`` (accepts, reads the
request, never answers). ``broken_server(mode, then=other, after=n)`` answers
the first `n` requests in `mode` and the rest in `other` (a deployment that
goes down in the middle of a run).
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

MODES = ("huge", "trickle", "reset", "invalid_json", "redirect_loop", "silent")
HUNDRED_MB = 100 * 1024 * 1024
# A byte this often: far more often than any timeout a test gives the client (0.5 s and up), so no
# single read ever waits that long and only an overall deadline ends the exchange (1,000 bytes:
# 100 s, a hang next to those timeouts).
TRICKLE_INTERVAL = 0.1


def _read_request(sock: socket.socket) -> bytes:
    """The request head (the body, if any, is read by Content-Length and dropped)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head


class _Handler(socketserver.BaseRequestHandler):
    server: BrokenServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(60)
        try:
            while not self.server.stopping.is_set():
                head = _read_request(sock)
                if not head:
                    return
                path = head.split(b" ")[1] if head.count(b" ") >= 2 else b"/"
                if not self._answer(sock, path):
                    return
        except OSError:
            return

    def _answer(self, sock: socket.socket, path: bytes) -> bool:
        """Answer one request; False: the connection is done."""
        mode = self.server.next_mode()
        stop = self.server.stopping
        if mode == "huge":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            sock.sendall(b"Content-Length: %d\r\n\r\n" % HUNDRED_MB)
            block = b" " * 65536
            for _ in range(HUNDRED_MB // len(block)):
                if stop.is_set():
                    return False
                sock.sendall(block)
            return True
        if mode == "trickle":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
            for _ in range(1000):
                if stop.wait(TRICKLE_INTERVAL):
                    return False
                sock.sendall(b" ")
            return True
        if mode == "reset":
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n")
            sock.sendall(b'{"items": [' + b" " * 100)
            time.sleep(0.05)
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        if mode == "invalid_json":
            body = b'{"items": [ this is not JSON'
            sock.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            return True
        if mode == "redirect_loop":
            sock.sendall(b"HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % path)
            return True
        # silent: hold the connection, never answer
        stop.wait(600)
        return False


class BrokenServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, mode: str, then: str | None = None, after: int = 0) -> None:
        for name in (mode, then or mode):
            if name not in MODES:
                raise ValueError(f"unknown mode {name!r}; one of {MODES}")
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.then = then or mode
        self.after = after
        self.answered = 0
        self._lock = threading.Lock()
        self.stopping = threading.Event()

    def next_mode(self) -> str:
        """The mode of the next request: `mode` for the first `after` requests, then `then`."""
        with self._lock:
            self.answered += 1
            return self.mode if self.then == self.mode or self.answered <= self.after else self.then

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


@contextmanager
def broken_server(mode: str, then: str | None = None, after: int = 0) -> Iterator[BrokenServer]:
    """Serve `mode` (the first `after` requests, when `then` is given) on a free loopback port."""
    server = BrokenServer(mode, then, after)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


if __name__ == "__main__":  # python -m tests.suite.brokenserver MODE: serve until Ctrl-C
    import sys

    with broken_server(sys.argv[1]) as running:
        print(running.url, flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()
