"""The HTTP layer guards itself, over real sockets: oversized heads get 431, stalled clients are dropped.

The mock runs as `contacts-mock --request-timeout 1` (a subprocess, so the
command line's wiring is under test too). Every guard must leave other
clients served and the store unchanged.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mock_server.testing import serve

from .support import (
    CONTACTS,
    HOST,
    ORG_A_TOKEN,
    ServedMock,
    Watch,
    assert_contract_error,
    exchange,
    read_answer,
    request_bytes,
    send,
)

JSON = "application/json"
TIMEOUT = 1.0  # --request-timeout of this module's mock
MAX_HEADERS = 16384  # the spec's x-max-header-bytes
AUTH = {"Authorization": f"Bearer {ORG_A_TOKEN}"}


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedMock]:
    log_path = tmp_path_factory.mktemp("mock") / "guard.log"
    args = ["--request-timeout", str(TIMEOUT)]
    with serve(mode="subprocess", log=log_path, host=HOST, args=args) as running:
        assert running.process is not None and running.port is not None
        yield ServedMock(running.port, running.process, log_path)


@pytest.fixture(scope="module")
def client(mock: ServedMock) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.url, timeout=15.0) as http:
        yield http


def closed_within(sock: socket.socket, seconds: float) -> float:
    """Seconds until the server closed `sock` (EOF or reset); fails if it is still open after `seconds`."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65_536):
            pass
    except TimeoutError:
        pytest.fail(f"the connection was still open after {seconds} s")
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def filler(total: int) -> bytes:
    """One header line whose name, value and `: ` + CRLF count `total` bytes."""
    return b"X-Filler: " + b"f" * (total - len(b"X-Filler") - 4)


def test_headers_at_the_limit_are_served(mock: ServedMock) -> None:
    # The request's other headers (Host, Authorization, Connection) take their share of the limit.
    base = request_bytes("GET", CONTACTS + "?limit=1")
    own = sum(len(line) + 2 for line in base.split(b"\r\n")[1:] if line)
    answer = send(mock.port, "GET", CONTACTS + "?limit=1", headers=[filler(MAX_HEADERS - own)])
    assert answer.status == 200, answer.raw[:300]
    answer = send(mock.port, "GET", CONTACTS + "?limit=1", headers=[filler(MAX_HEADERS - own + 1)])
    assert_contract_error(answer, 431)


@pytest.mark.parametrize("size", [20_000, 1 << 20, 8 << 20], ids=["20KB", "1MiB", "8MiB"])
def test_oversized_headers_get_431_in_the_contract_shape(
    mock: ServedMock, client: httpx.Client, size: int
) -> None:
    watch = Watch(mock, client)
    offset = mock.log_size()
    started = time.monotonic()
    answer = exchange(mock.port, request_bytes("GET", CONTACTS, headers=[filler(size)]), timeout=10)
    error = assert_contract_error(answer, 431)
    assert str(MAX_HEADERS) in error["message"]
    assert time.monotonic() - started < 5  # refused as it arrives, not after buffering it all
    # Past the request line's allowance the socket layer refuses it, before the app sees it.
    refused_early = "refused a request head over 16384 bytes" in mock.log_since(offset)
    assert refused_early == (size > MAX_HEADERS + 8192)
    assert client.get(CONTACTS, params={"limit": 1}, headers=AUTH).status_code == 200
    watch.assert_unchanged()


def test_oversized_headers_precede_every_other_check(mock: ServedMock) -> None:
    # No token, an unknown path, a bad body: the headers are still what is refused.
    for method, target in (("GET", "/api/v1/crm/nothing-here"), ("POST", CONTACTS)):
        answer = send(mock.port, method, target, token=None, headers=[filler(20_000)], body=b"{")
        assert_contract_error(answer, 431)


def test_a_stalled_body_is_dropped_after_the_timeout(mock: ServedMock, client: httpx.Client) -> None:
    watch = Watch(mock, client)
    head = request_bytes("POST", CONTACTS, content_type=JSON, close=False).replace(
        b"\r\n\r\n", b"\r\nContent-Length: 100\r\n\r\n"
    )
    with socket.create_connection((HOST, mock.port), timeout=10) as sock:
        sock.sendall(head + b'{"first_name": "stal')
        # Others are served meanwhile: the stalled request holds no worker.
        assert client.get(CONTACTS, params={"limit": 1}, headers=AUTH).status_code == 200
        waited = closed_within(sock, TIMEOUT + 3)
    assert waited < TIMEOUT + 3
    watch.assert_unchanged()
    logged = watch.logged_traceback(wait=0.5, disconnects=True)
    assert logged is None, logged[-2000:]


@pytest.mark.parametrize(
    "sent",
    [b"", b"GET " + CONTACTS.encode() + b" HTTP/1.1\r\nHost: x\r\nAuthoriz"],
    ids=["nothing", "half-a-head"],
)
def test_a_client_that_never_completes_its_head_is_dropped(mock: ServedMock, sent: bytes) -> None:
    with socket.create_connection((HOST, mock.port), timeout=10) as sock:
        if sent:
            sock.sendall(sent)
        closed_within(sock, TIMEOUT + 3)


def test_a_slow_client_that_keeps_sending_is_still_dropped(mock: ServedMock) -> None:
    """The deadline is for the whole request, so a byte every 0.3 s does not keep it alive."""
    head = b"GET " + CONTACTS.encode() + b" HTTP/1.1\r\nHost: x\r\n"
    with socket.create_connection((HOST, mock.port), timeout=10) as sock:
        sock.sendall(head)
        started, closed = time.monotonic(), False
        while not closed and time.monotonic() - started < TIMEOUT + 5:
            try:
                sock.sendall(b"X")
                time.sleep(0.3)
                sock.settimeout(0.01)
                closed = sock.recv(1) == b""
            except TimeoutError:
                continue
            except OSError:  # reset or broken pipe: closed by the mock
                closed = True
        assert closed, "a client trickling its head was never dropped"
        assert time.monotonic() - started < TIMEOUT + 4


def test_a_slow_answer_is_not_cut_by_the_request_timeout(mock: ServedMock) -> None:
    """The deadline covers receiving the request; the mock's own time to answer does not count."""
    delay_ms = int(TIMEOUT * 1000) + 800
    answer = send(mock.port, "GET", CONTACTS + "?limit=1", headers=[f"Prefer: delay={delay_ms}"], timeout=15)
    assert answer.status == 200
    assert answer.seconds >= delay_ms / 1000


def test_a_kept_alive_connection_serves_requests_past_the_timeout(mock: ServedMock) -> None:
    """Requests completed in time on one connection for longer than the timeout: never dropped."""
    request = request_bytes("GET", CONTACTS + "?limit=1", close=False)
    with socket.create_connection((HOST, mock.port), timeout=10) as sock:
        started = time.monotonic()
        while time.monotonic() - started < TIMEOUT * 2.5:
            sock.sendall(request)
            raw = read_answer(sock, timeout=5)
            assert raw.startswith(b"HTTP/1.1 200"), raw[:200]
            time.sleep(TIMEOUT / 3)


def test_the_timeout_is_configurable_and_documented_in_the_banner(mock: ServedMock) -> None:
    assert f"request timeout: {TIMEOUT:g} s to send a whole request" in mock.log_path.read_text("utf-8")


def test_the_guards_are_on_by_default(tmp_path: Path) -> None:
    """The default mock (thread mode, as tests serve it) refuses a 1 MiB head too."""
    with serve(fixtures=None, tokens={"t": "org_t"}) as running:
        assert running.port is not None
        answer = exchange(running.port, request_bytes("GET", CONTACTS, token="t", headers=[filler(1 << 20)]))
        assert_contract_error(answer, 431)
