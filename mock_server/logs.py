"""Logging set-up: one access line per request, written without a flush per line.

A plain StreamHandler flushes (a write system call) after every record: at
thousands of requests per second that is a large share of the mock's time.
The access handler writes into the stream's buffer and flushes at most every
`interval` seconds; the app's lifespan also flushes on a timer, so a quiet
mock shows its last lines within that interval too.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import TextIO

ACCESS_LOGGER = "mock_server.access"


class BufferedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def __init__(self, stream: TextIO | None = None, interval: float = 0.25) -> None:
        super().__init__(stream or sys.stdout)
        self.interval = interval
        self._flushed = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.write_line(self.format(record))
        except Exception:  # logging must never take the server down
            self.handleError(record)

    def flush(self) -> None:
        self._flushed = time.monotonic()
        super().flush()

    def write_line(self, line: str) -> None:
        self.stream.write(line + self.terminator)
        if time.monotonic() - self._flushed >= self.interval:
            self.flush()


def configure(level: str) -> None:
    """Server messages to stderr as they come; access lines buffered to stdout."""
    logging.basicConfig(level=level.upper(), format="%(message)s")
    access = logging.getLogger(ACCESS_LOGGER)
    access.handlers[:] = [BufferedStreamHandler()]
    access.propagate = False


def direct_writer() -> Callable[[str], None] | None:
    """Write access lines straight to our handler, skipping LogRecord creation (a few µs
    per request), when the access logger is exactly as `configure` set it up."""
    logger = logging.getLogger(ACCESS_LOGGER)
    handlers = logger.handlers
    if logger.propagate or len(handlers) != 1 or not isinstance(handlers[0], BufferedStreamHandler):
        return None
    if not logger.isEnabledFor(logging.INFO):
        return silent
    return handlers[0].write_line


def silent(line: str) -> None:
    """The writer of a quiet access log: writes nothing (callers may skip formatting the line)."""


def flush_access_log() -> None:
    for handler in logging.getLogger(ACCESS_LOGGER).handlers:
        handler.flush()
