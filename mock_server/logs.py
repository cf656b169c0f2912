"""Logging set-up: one access line per request, written in batches, never one write per line.

Where the lines go decides what a line costs. At a terminal Python's stdout
is line-buffered, and with `PYTHONUNBUFFERED=1` (common in containers and CI)
it is unbuffered: either way every line used to be one `write` system call,
on the event loop's thread, per request (about a tenth of a read's CPU time,
measured with strace and the server's CPU time: docs/performance.md).

`BatchedAccessHandler` keeps the lines of a burst in a list and writes them
with one `write` of the joined text, whatever the stream's buffering:

- a line that comes after a quiet spell (`interval` since the last write) is
  written at once, with those waiting before it: a developer sending one
  request at a time sees each line as it happens;
- under load the lines go out at most every `interval` seconds (default
  0.2), or sooner when `max_lines` are waiting;
- the app's lifespan flushes every `FLUSH_EVERY` seconds, so the end of a
  burst shows within that time too, and once more at shutdown (Ctrl-C and
  SIGTERM end uvicorn through the lifespan); `logging.shutdown`, run at
  interpreter exit, flushes again;
- a server message (stderr) first flushes the access lines waiting before it,
  so a terminal shows both in the order they happened.

Lines keep their order: they are written in the order they were handed in,
one writer at a time (a lock: the thread-mode mock and interpreter exit
may flush from another thread), each taking the lines from the front.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from time import monotonic
from typing import TextIO

ACCESS_LOGGER = "mock_server.access"
FLUSH_EVERY = 0.2  # seconds between the app's timer flushes (the longest a line waits when idle)


class BatchedAccessHandler(logging.Handler):
    """Access lines joined and written in one `write` (and one `flush`) per batch."""

    def __init__(
        self, stream: TextIO | None = None, interval: float = FLUSH_EVERY, max_lines: int = 1024
    ) -> None:
        super().__init__()
        self.stream = stream if stream is not None else sys.stdout
        self.interval = interval
        self.max_lines = max_lines
        self._lines: list[str] = []
        self._guard = threading.Lock()  # one writer at a time: lines keep their order
        self._written = -float("inf")  # monotonic time of the last write: the first line goes out at once

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.write_line(self.format(record))
        except Exception:  # logging must never take the server down
            self.handleError(record)

    def write_line(self, line: str) -> None:
        """Queue one line (no newline); write the batch when it is due.

        No lock here: `list.append` is atomic, and a write takes the lines it
        found from the front of the same list, so a line queued meanwhile by
        another thread stays for the next write, in its place.
        """
        lines = self._lines
        lines.append(line)
        if len(lines) >= self.max_lines or monotonic() - self._written >= self.interval:
            self.flush()

    @property
    def pending(self) -> int:
        """How many lines wait for the next write."""
        return len(self._lines)

    def flush(self) -> None:
        with self._guard:
            if self._lines:
                self._write()

    def _write(self) -> None:
        lines = self._lines
        count = len(lines)
        text = "\n".join(lines[:count]) + "\n"
        del lines[:count]
        self._written = monotonic()
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stdout must not take the server down
            pass


class FlushAccessFirst(logging.Filter):
    """On the stderr handler: access lines waiting are written before a server message."""

    def filter(self, record: logging.LogRecord) -> bool:
        flush_access_log()
        return True


def flush_access_first(handlers: list[logging.Handler]) -> None:
    """Make each handler write the access lines waiting before its own message (once each)."""
    for handler in handlers:
        if not any(isinstance(f, FlushAccessFirst) for f in handler.filters):
            handler.addFilter(FlushAccessFirst())


def configure(level: str) -> None:
    """Server messages to stderr as they come; access lines batched to stdout."""
    root = logging.getLogger()
    before = list(root.handlers)
    logging.basicConfig(level=level.upper(), format="%(message)s")
    flush_access_first([h for h in root.handlers if h not in before])  # not a test's capture handler
    access = logging.getLogger(ACCESS_LOGGER)
    access.handlers[:] = [BatchedAccessHandler()]
    access.propagate = False


def direct_writer() -> Callable[[str], None] | None:
    """Write access lines straight to our handler, skipping LogRecord creation (a few µs
    per request), when the access logger is exactly as `configure` set it up."""
    logger = logging.getLogger(ACCESS_LOGGER)
    handlers = logger.handlers
    if logger.propagate or len(handlers) != 1 or not isinstance(handlers[0], BatchedAccessHandler):
        return None
    if not logger.isEnabledFor(logging.INFO):
        return silent
    return handlers[0].write_line


def silent(line: str) -> None:
    """The writer of a quiet access log: writes nothing (callers may skip formatting the line)."""


def flush_access_log() -> None:
    for handler in logging.getLogger(ACCESS_LOGGER).handlers:
        handler.flush()
