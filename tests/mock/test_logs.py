"""logs.py: access lines are batched (one write per batch, not per line), keep their order,
show at once after a quiet spell, and are never lost: flushed by the timer, before a server
message and at shutdown (SIGTERM and Ctrl-C), whatever the stream's own buffering."""

from __future__ import annotations

import asyncio
import http.client
import io
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import pytest

from mock_server import create_app
from mock_server.logs import ACCESS_LOGGER, BatchedAccessHandler, FlushAccessFirst, flush_access_log
from mock_server.testing import serve

TOKEN = "dev-token-org-a"  # the fixtures' token for organization A


class CountingStream(io.StringIO):
    """Counts writes and flushes: each write of a real stream is (at most) one system call."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0
        self.flushes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)

    def flush(self) -> None:
        self.flushes += 1
        super().flush()


class BrokenStream(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError("EPIPE")


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 1, message, None, None)


def test_a_burst_is_one_write_in_order() -> None:
    stream = CountingStream()
    handler = BatchedAccessHandler(stream, interval=3600)
    for i in range(100):
        handler.write_line(f"GET /x {i}")
    # The first line came after a quiet spell: written at once; the other 99 wait.
    assert (stream.writes, stream.getvalue(), handler.pending) == (1, "GET /x 0\n", 99)
    handler.flush()
    assert stream.getvalue().splitlines() == [f"GET /x {i}" for i in range(100)]
    assert (stream.writes, stream.flushes, handler.pending) == (2, 2, 0)


def test_emit_formats_and_queues_like_write_line() -> None:
    stream = CountingStream()
    handler = BatchedAccessHandler(stream, interval=3600)
    handler.emit(record("GET /y 200"))
    handler.emit(record("GET /y 404"))
    handler.flush()
    assert stream.getvalue() == "GET /y 200\nGET /y 404\n"


def test_a_line_when_the_interval_is_over_writes_the_batch() -> None:
    stream = CountingStream()
    handler = BatchedAccessHandler(stream, interval=0)
    for i in range(3):
        handler.write_line(f"GET /z {i}")
    assert stream.writes == 3 and stream.getvalue() == "GET /z 0\nGET /z 1\nGET /z 2\n"


def test_max_lines_writes_without_waiting_for_the_interval() -> None:
    stream = CountingStream()
    handler = BatchedAccessHandler(stream, interval=3600, max_lines=10)
    for i in range(21):
        handler.write_line(str(i))
    assert stream.writes == 3 and handler.pending == 0  # 1 (first line), then 10, then 10
    assert stream.getvalue().split() == [str(i) for i in range(21)]


def test_a_flush_with_nothing_waiting_writes_nothing() -> None:
    stream = CountingStream()
    handler = BatchedAccessHandler(stream, interval=3600)
    handler.flush()
    assert (stream.writes, stream.flushes) == (0, 0)


def test_a_broken_stream_never_raises() -> None:
    handler = BatchedAccessHandler(BrokenStream(), interval=0)
    handler.write_line("GET /broken 200")
    handler.flush()
    assert handler.pending == 0


def test_lines_from_many_threads_are_all_written_each_in_its_order() -> None:
    stream = CountingStream()
    handler = BatchedAccessHandler(stream, interval=0.001, max_lines=7)

    def send(thread: int) -> None:
        for i in range(500):
            handler.write_line(f"{thread} {i}")

    threads = [threading.Thread(target=send, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    handler.flush()
    lines = [line.split() for line in stream.getvalue().splitlines()]
    assert len(lines) == 2000
    for t in range(4):
        assert [int(i) for who, i in lines if who == str(t)] == list(range(500))


@pytest.fixture
def access_to(request: pytest.FixtureRequest) -> Iterator[CountingStream]:
    """The access logger writing to a counting stream (restored afterwards)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    saved = (logger.handlers[:], logger.propagate, logger.level)
    stream = CountingStream()
    logger.handlers[:] = [BatchedAccessHandler(stream, interval=3600)]
    logger.propagate = False
    logger.setLevel(logging.INFO)  # setLevel, not .level =: it also clears isEnabledFor's cache
    yield stream
    logger.handlers[:], logger.propagate = saved[0], saved[1]
    logger.setLevel(saved[2])


def test_a_server_message_first_writes_the_access_lines_before_it(access_to: CountingStream) -> None:
    order: list[str] = []

    class Recorder(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            order.extend(access_to.getvalue().splitlines())
            order.append(record.getMessage())

    server = logging.getLogger("tests.server_message")
    recorder = Recorder()
    recorder.addFilter(FlushAccessFirst())
    server.addHandler(recorder)
    try:
        access = logging.getLogger(ACCESS_LOGGER)
        access.info("GET /a 200")
        access.info("GET /b 500")  # waits (the interval is an hour)
        server.error("boom")
    finally:
        server.removeHandler(recorder)
    assert order == ["GET /a 200", "GET /b 500", "boom"]


def test_flush_access_log_writes_what_waits(access_to: CountingStream) -> None:
    access = logging.getLogger(ACCESS_LOGGER)
    access.info("GET /1 200")
    access.info("GET /2 200")
    flush_access_log()
    assert access_to.getvalue() == "GET /1 200\nGET /2 200\n"


def test_the_app_makes_uvicorns_messages_flush_the_access_lines_first() -> None:
    uvicorn_logger = logging.getLogger("uvicorn")
    handler = logging.StreamHandler(io.StringIO())  # as uvicorn's own set-up adds before the app starts
    uvicorn_logger.addHandler(handler)
    try:
        asyncio.run(
            _started_then_stopped(lambda: any(isinstance(f, FlushAccessFirst) for f in handler.filters))
        )
    finally:
        uvicorn_logger.removeHandler(handler)


async def _started_then_stopped(check: Callable[[], bool]) -> None:
    """Run the app's lifespan: `check` must hold once it has started."""
    incoming: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    sent: list[str] = []

    async def receive() -> dict[str, str]:
        return await incoming.get()

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            assert check()
            await incoming.put({"type": "lifespan.shutdown"})

    await incoming.put({"type": "lifespan.startup"})
    await create_app()({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


# --- the served mock, as `make mock` runs it (stdout a file here, no PYTHONUNBUFFERED) -----------


def _get(conn: http.client.HTTPConnection, target: str) -> None:
    conn.request("GET", target, headers={"Authorization": f"Bearer {TOKEN}"})
    conn.getresponse().read()


def _access_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("GET /api/")]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_served_lines_show_while_idle_and_all_reach_the_log_at_shutdown(stop: signal.Signals) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with serve(mode="subprocess", log_level="info", env=env) as mock:
        assert mock.process is not None and mock.log_path is not None
        parts = urlsplit(mock.url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        base = "/api/v1/crm/contacts?limit=1&offset="
        for i in range(3):
            _get(conn, f"{base}{i}")
        # Idle now: the lines show without a shutdown (the timer writes them).
        deadline = time.monotonic() + 10
        while len(_access_lines(mock.log_path.read_text("utf-8"))) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [line.split()[1] for line in _access_lines(mock.log_path.read_text("utf-8"))] == [
            f"{base}{i}" for i in range(3)
        ]
        for i in range(3, 300):  # a burst, then stop at once: nothing may be lost
            _get(conn, f"{base}{i}")
        conn.close()
        mock.process.send_signal(stop)
        # A graceful shutdown either way (uvicorn then re-raises SIGTERM; click says "Aborted!").
        mock.process.wait(timeout=20)
        output = mock.log_path.read_text("utf-8").splitlines()
    lines = _access_lines("\n".join(output))
    assert [line.split()[1] for line in lines] == [f"{base}{i}" for i in range(300)]
    # uvicorn's own messages keep their place: the burst's lines come before "Shutting down".
    shutting_down = next(i for i, line in enumerate(output) if "Shutting down" in line)
    assert output.index(lines[-1]) < shutting_down
    assert all(line.split()[2] == "200" and line.endswith("ms") for line in lines)
