"""The mock served over real HTTP, and a raw HTTP/1.1 client that sends bytes as they are.

The hardening tests talk to a real uvicorn process on a free loopback port, not
to the ASGI app in-process: what is under test includes uvicorn's HTTP parser
and its flow control. httpx refuses to send most of the hostile requests (CR or
LF in a header value, dot segments, over-long URLs, conflicting framing), so
they go through :func:`exchange`, which writes the exact bytes to a socket.
"""

from __future__ import annotations

import contextlib
import json
import re
import select
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from contract_tests.contract import default as contract
from mock_server.testing import serve

CONTRACT = contract()  # paths, limits, cookie name, error codes: read from openapi.yaml
ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
CONTACTS = CONTRACT.collection_path
ORG_A_TOKEN = "dev-token-org-a"  # fixtures/seed.json: org_blueai
ORG_B_TOKEN = "dev-token-org-b"  # fixtures/seed.json: org_partner
COOKIE_NAME = CONTRACT.cookie_name
MAX_BODY = CONTRACT.max_body_bytes
PAGE = CONTRACT.max_limit

# The error code of each status.
CODES = dict(CONTRACT.error_codes)

# The last line of the stack trace of a client that disconnected mid-body.
DISCONNECT_TRACE_END = "\nstarlette.requests.ClientDisconnect\n"

# A stack trace or a path into Python sources: never in a response.
LEAK = re.compile(rb"Traceback|File \"|\.pyc?\b|site-packages|/usr/lib/python|\\lib\\")


@dataclass
class ServedMock:
    """A running `python -m mock_server` and where its output goes."""

    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_size(self) -> int:
        return self.log_path.stat().st_size

    def log_since(self, offset: int) -> str:
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode("utf-8", "replace")

    def rss_kib(self) -> int | None:
        """Resident memory of the mock process (Linux), or None where /proc is missing."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
        return int(match.group(1)) if match else None


@contextlib.contextmanager
def serve_mock(log_path: Path, *, timeout: float = 30.0) -> Iterator[ServedMock]:
    """Serve the seeded mock (`python -m mock_server`) on a free port until the block ends;
    its output goes to `log_path`."""
    with serve(mode="subprocess", log=log_path, host=HOST, timeout=timeout) as running:
        assert running.process is not None and running.port is not None
        yield ServedMock(running.port, running.process, log_path)


# --------------------------------------------------------------------------- raw HTTP


@dataclass(frozen=True)
class Answer:
    """One HTTP response as received: status, headers (names lowercased), body, raw bytes."""

    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes
    raw: bytes
    seconds: float = 0.0

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k == name.lower()]
        return values[0] if values else None

    def header_names(self) -> set[str]:
        return {k for k, _ in self.headers}

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        return json.loads(self.body)


def parse_answer(raw: bytes, seconds: float = 0.0) -> Answer:
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        raise AssertionError(f"no complete response head in {raw[:300]!r}")
    lines = head.split(b"\r\n")
    match = re.fullmatch(rb"HTTP/1\.[01] (\d{3})(?: .*)?", lines[0])
    if not match:
        raise AssertionError(f"not an HTTP status line: {lines[0][:200]!r}")
    headers = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.append((name.strip().lower().decode("latin-1"), value.strip().decode("latin-1")))
    answer = Answer(int(match.group(1)), tuple(headers), b"", raw, seconds)
    length = answer.header("content-length")
    body = rest[: int(length)] if length is not None else rest
    return Answer(answer.status, answer.headers, body, raw, seconds)


def _complete(buffer: bytes) -> bool:
    head, sep, rest = buffer.partition(b"\r\n\r\n")
    if not sep:
        return False
    match = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return match is not None and len(rest) >= int(match.group(1))


def read_answer(sock: socket.socket, *, timeout: float, limit: int = 8 << 20) -> bytes:
    """Bytes of one response: until its Content-Length is complete, EOF, or `timeout` (then raise)."""
    deadline = time.monotonic() + timeout
    buffer = b""
    while not _complete(buffer) and len(buffer) < limit:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete answer within {timeout} s; got {buffer[:300]!r}")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65_536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            break
        if not chunk:
            break
        buffer += chunk
    return buffer


def request_bytes(
    method: str,
    target: bytes | str,
    *,
    headers: Sequence[bytes | str] = (),
    body: bytes | None = None,
    token: str | None = ORG_A_TOKEN,
    content_type: str | None = None,
    chunked: bool = False,
    close: bool = True,
) -> bytes:
    """One HTTP/1.1 request, byte for byte.

    `close` adds `Connection: close`. Leave it off when the server may answer
    before reading the whole body: closing a socket with unread input sends a
    TCP reset, which can destroy the answer before the client reads it.
    """

    def raw(value: bytes | str) -> bytes:
        return value if isinstance(value, bytes) else value.encode("utf-8")

    lines = [raw(method) + b" " + raw(target) + b" HTTP/1.1", b"Host: " + f"{HOST}".encode()]
    if token is not None:
        lines.append(b"Authorization: Bearer " + token.encode())
    if content_type is not None:
        lines.append(b"Content-Type: " + content_type.encode("latin-1"))
    lines.extend(raw(h) for h in headers)
    payload = b""
    if body is not None:
        if chunked:
            lines.append(b"Transfer-Encoding: chunked")
            step = 16_384
            pieces = [body[i : i + step] for i in range(0, len(body), step)]
            payload = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
        else:
            lines.append(b"Content-Length: %d" % len(body))
            payload = body
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + payload


def exchange(port: int, data: bytes, *, timeout: float = 10.0) -> Answer:
    """Send `data` on a new connection and read one answer (raises on no answer in time).

    Sent in 64 KiB slices; once the server answers (it may refuse a body before
    reading it), the rest is not sent.
    """
    started = time.monotonic()
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        for start in range(0, len(data), 65_536):
            try:
                sock.sendall(data[start : start + 65_536])
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed before reading everything: read that answer
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
        raw = read_answer(sock, timeout=timeout)
    return parse_answer(raw, time.monotonic() - started)


def send(
    port: int,
    method: str,
    target: bytes | str,
    *,
    timeout: float = 10.0,
    **options: Any,
) -> Answer:
    return exchange(port, request_bytes(method, target, **options), timeout=timeout)


# --------------------------------------------------------------------------- assertions


def assert_no_leak(answer: Answer) -> None:
    leak = LEAK.search(answer.raw)
    assert leak is None, f"the response leaks {leak.group(0)!r}: {answer.raw[:600]!r}"


def assert_contract_error(answer: Answer, status: int) -> dict[str, Any]:
    """`status`, JSON, and the body `{"error": {"code", "message"}}` with the status's code."""
    assert_no_leak(answer)
    assert answer.status == status, f"expected {status}, got {answer.status}: {answer.raw[:600]!r}"
    assert answer.content_type == "application/json", answer.raw[:600]
    body = answer.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error, dict), body
    assert error.get("code") == CODES[status], body
    assert isinstance(error.get("message"), str) and error["message"], body
    if status == 400:
        details = error.get("details")
        assert isinstance(details, list) and details, body
        assert all(isinstance(d, dict) and {"field", "message"} <= set(d) for d in details), body
    return error


def assert_parser_rejection(answer: Answer, statuses: frozenset[int] = frozenset({400})) -> None:
    """Refused by uvicorn's HTTP parser before the app saw it: a 4xx, nothing leaked.

    These answers are uvicorn's own (`text/plain`, "Invalid HTTP request received."),
    not the contract's JSON: the request never reached the mock.
    """
    assert_no_leak(answer)
    assert answer.status in statuses, answer.raw[:600]
    if answer.content_type == "application/json":
        assert_contract_error(answer, answer.status)


class Watch:
    """What a refused request must leave alone: every organization's contacts, and the log."""

    def __init__(self, mock: ServedMock, client: httpx.Client) -> None:
        self.mock = mock
        self.client = client
        self.before = snapshot(client)
        self.log_offset = mock.log_size()

    def assert_unchanged(self) -> None:
        """No partial write (same contacts, same updated_at, in every organization).

        Listing is itself the proof that the server still answers.
        """
        after = snapshot(self.client)
        for org, contacts in self.before.items():
            assert after[org] == contacts, f"the store of org {org} changed: {_diff(contacts, after[org])}"

    def logged_traceback(self, wait: float = 0.0, *, disconnects: bool = False) -> str | None:
        """The log written since the watch began, if it holds a stack trace (polled up to `wait` s).

        The traces of a client that went away mid-body (starlette's ClientDisconnect,
        logged when the mock notices, possibly during a later test) only count with
        `disconnects=True`: one test owns that known bug.
        """
        deadline = time.monotonic() + wait
        while True:
            logged = self.mock.log_since(self.log_offset)
            traces = logged.count("Traceback (most recent call last)")
            if not disconnects:
                traces -= logged.count(DISCONNECT_TRACE_END)
            if traces > 0:
                return logged
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> str:
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    return f"added {added}, removed {removed}, changed {changed}"


def list_all(
    client: httpx.Client, token: str, *, page_size: int = PAGE, **params: str
) -> tuple[list[dict[str, Any]], list[int]]:
    """Every contact of the list (all pages, oldest first) and the `total` of each page."""
    items: list[dict[str, Any]] = []
    totals: list[int] = []
    for _ in range(1000):  # bounded: 200,000 contacts
        response = client.get(
            CONTACTS,
            params={**params, "limit": str(page_size), "offset": str(len(items)), "order": "asc"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text[:500]
        page = response.json()
        items.extend(page["items"])
        totals.append(page["total"])
        if not page["items"] or len(items) >= page["total"]:
            return items, totals
    raise AssertionError("the list did not end within 1000 pages")


def snapshot(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """Each organization's contacts by id, as the list shows them (includes updated_at)."""
    result: dict[str, dict[str, Any]] = {}
    for org, token in (("A", ORG_A_TOKEN), ("B", ORG_B_TOKEN)):
        items, _ = list_all(client, token)
        result[org] = {c["id"]: c for c in items}
        assert len(result[org]) == len(items), f"duplicate ids in the list of org {org}"
    return result
