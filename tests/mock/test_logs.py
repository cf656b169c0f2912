"""logs.py: access lines are buffered, flushed on a timer, never lost at shutdown."""

from __future__ import annotations

import io
import logging

from mock_server.logs import BufferedStreamHandler


class CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("mock_server.access", logging.INFO, __file__, 1, message, None, None)


def test_lines_are_written_without_a_flush_each() -> None:
    stream = CountingStream()
    handler = BufferedStreamHandler(stream, interval=3600)
    for i in range(100):
        handler.emit(record(f"GET /x {i}"))
    assert stream.getvalue().splitlines() == [f"GET /x {i}" for i in range(100)]
    assert stream.flushes == 0


def test_a_line_after_the_interval_flushes() -> None:
    stream = CountingStream()
    handler = BufferedStreamHandler(stream, interval=0)
    handler.emit(record("GET /y 200"))
    assert stream.flushes == 1


def test_an_explicit_flush_reaches_the_stream() -> None:
    stream = CountingStream()
    handler = BufferedStreamHandler(stream, interval=3600)
    handler.emit(record("GET /z 200"))
    handler.flush()
    assert stream.flushes == 1 and stream.getvalue() == "GET /z 200\n"
