"""The suite's HTTP client: one place that sends, throttles, records and reports.

Guarantees, whatever the target does: every request ends within `timeout`
seconds in total (connect, headers and body: a body that trickles in is cut at
the deadline, not per read); a body larger than `max_response_bytes` is
refused; a redirect loop or a redirect off the API, a broken connection, a
timeout, a deployment that stays rate-limited each end the test with its own
:class:`~contract_tests.outcomes.TargetError`, never a contract verdict. After
`Breaker.threshold` such errors in a row nothing more is sent: the rest of
the run is inconclusive at once instead of waiting out every timeout.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .contract import active
from .deadline import DeadlineTransport, request_deadline
from .failures import Exchange
from .outcomes import (
    TargetConnectionLost,
    TargetDown,
    TargetError,
    TargetRateLimited,
    TargetRedirected,
    TargetRedirectLoop,
    TargetResponseTooLarge,
    TargetTimeout,
    TargetUnreachable,
)
from .stats import RequestStats
from .target import Target

__all__ = [
    "ApiClient",
    "Breaker",
    "TargetError",
    "TargetRateLimited",
    "TargetTimeout",
    "TargetUnreachable",
    "Throttle",
    "collection_path",
    "contact_path",
]

_MAX_RATE_LIMIT_RETRIES = 3
_MAX_RETRY_AFTER = 30.0
_MAX_REDIRECT_HOPS = 10
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024  # a full page of the largest contacts is about 3 MB


class Throttle:
    """At most `rate` requests per second across the whole run (None: unlimited)."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            time.sleep(delay)


def collection_path() -> str:
    """The collection's path, as the spec of the run says."""
    return active().collection_path


class Breaker:
    """Stops sending after `threshold` target errors in a row: the target is down, say so at once."""

    threshold = 3

    def __init__(self) -> None:
        self._failures = 0
        self._last = ""
        self._lock = threading.Lock()

    def check(self) -> None:
        down = self.down
        if down:
            raise TargetDown(f"not sent: {down}; no verdict is possible against this target")

    @property
    def down(self) -> str:
        """Why the target is declared down ('' while it is not): nothing more is sent until a reset."""
        with self._lock:
            if self._failures < self.threshold:
                return ""
            return f"the last {self._failures} requests failed without an answer (last: {self._last})"

    def success(self) -> None:
        with self._lock:
            self._failures = 0

    def failure(self, error: TargetError) -> None:
        with self._lock:
            self._failures += 1
            self._last = f"{error.kind}: {error}"

    def reset(self) -> None:
        self.success()


def contact_path(contact_id: str) -> str:
    return active().contact_path(contact_id)


@dataclass
class ApiClient:
    """Requests as one organization with one credential style (or none)."""

    target: Target
    token: str | None
    style: str = "bearer"  # "bearer" | "cookie" | "none"
    throttle: Throttle = field(default_factory=lambda: Throttle(None))
    timeout: float = 30.0
    observers: list[Callable[[Exchange], None]] = field(default_factory=list)
    breaker: Breaker = field(default_factory=Breaker)
    stats: RequestStats | None = None
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES

    def __repr__(self) -> str:
        # Short, and without the token: Hypothesis prints it with a failing example.
        return f"ApiClient({self.target.base_url!r}, style={self.style!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis pretty-prints dataclasses field by field (80 kB here); use the short repr.
        printer.text(repr(self))

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.target.base_url,
            transport=self.target.transport() or DeadlineTransport(),
            timeout=self.timeout,
            follow_redirects=False,
        )

    def close(self) -> None:
        self._http.close()

    def as_style(self, style: str, token: str | None = None) -> ApiClient:
        return ApiClient(
            self.target,
            token if token is not None else self.token,
            style,
            self.throttle,
            self.timeout,
            self.observers,
            self.breaker,
            self.stats,
            self.max_response_bytes,
        )

    def credentials(self) -> dict[str, str]:
        if self.style == "bearer" and self.token is not None:
            return {"Authorization": f"Bearer {self.token}"}
        if self.style == "cookie" and self.token is not None:
            return {"Cookie": f"{active().cookie_name}={self.token}"}
        return {}

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        content: bytes | list[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
    ) -> Exchange:
        """One request; `content` as a list of chunks is sent chunked (no Content-Length)."""
        all_headers = {**(self.credentials() if authenticate else {}), **(headers or {})}
        if json is not None:
            import json as _json

            content = _json.dumps(json, ensure_ascii=False).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")
        request = self._http.build_request(method, path, params=params, content=content, headers=all_headers)
        if isinstance(content, list):
            request.read()  # the body for reports (Exchange.curl), then sent chunk by chunk again
            request.stream = ChunkedBody(content)
        for attempt in range(_MAX_RATE_LIMIT_RETRIES + 1):
            exchange = self._send(request)
            if exchange.status != 429:
                break
            if attempt == _MAX_RATE_LIMIT_RETRIES:
                raise TargetRateLimited(
                    f"{method} {request.url}: still 429 Too Many Requests after {attempt} retries; "
                    "lower --rate-limit"
                )
            time.sleep(_retry_after(exchange.response))
        for observer in self.observers:
            observer(exchange)
        return exchange

    def send_raw(self, method: str, url: str, headers: Mapping[str, str], content: bytes | None) -> Exchange:
        """Send a request built elsewhere (schemathesis), with every guarantee of this client."""
        request = self._http.build_request(method, url, headers=headers, content=content)
        return self._send(request)

    def _send(self, request: httpx.Request) -> Exchange:
        self.breaker.check()
        self.throttle.wait()
        started = time.perf_counter()
        try:
            with request_deadline(self.timeout):
                response = self._receive(request, started)
                self._check_redirect(request, response)
        except TargetError as error:
            self.breaker.failure(error)
            if self.stats is not None:
                self.stats.record_failure()
            raise
        elapsed = time.perf_counter() - started
        self.breaker.success()
        if self.stats is not None:
            self.stats.record(elapsed)
        return Exchange(request, response, elapsed)

    def _receive(self, request: httpx.Request, started: float) -> httpx.Response:
        """The whole response, or a TargetError that says what went wrong."""
        what = f"{request.method} {request.url}"
        received = 0
        try:
            response = self._send_head(request)
            try:
                chunks = []
                for chunk in response.iter_bytes():
                    received += len(chunk)
                    if received > self.max_response_bytes:
                        raise TargetResponseTooLarge(
                            f"{what}: the response body exceeds {self.max_response_bytes:,} bytes "
                            f"(status {response.status_code}); no answer of this API is that large"
                        )
                    chunks.append(chunk)
                    if time.perf_counter() - started > self.timeout:
                        raise httpx.ReadTimeout("overall deadline", request=request)
                response._content = b"".join(chunks)
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            progress = f"; {received:,} bytes of the body had arrived" if received else ""
            raise TargetTimeout(
                f"{what}: no answer within {self.timeout:g} s ({type(exc).__name__}{progress}); "
                "raise --timeout for a slow deployment"
            ) from None
        except httpx.ConnectError as exc:
            raise TargetUnreachable(f"{what}: cannot reach the target: {type(exc).__name__}: {exc}") from None
        except httpx.TransportError as exc:
            progress = f" after {received:,} bytes of the body" if received else ""
            raise TargetConnectionLost(
                f"{what}: the connection broke before the answer was complete{progress}: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        return response

    def _send_head(self, request: httpx.Request) -> httpx.Response:
        """Send `request` and wait for the head of its answer, once more on a stale connection.

        A server closes a kept-alive connection after its idle timeout (uvicorn: 5 s,
        gunicorn: 2 s) whatever the client is doing; a request written at that moment
        meets a closed connection before any byte of an answer. The request never
        reached the application, so it is sent again on another connection (httpx
        drops the dead one). Only this: an answer that broke off after its head began,
        a second loss in a row, timeouts and refused connections stay verdicts.
        """
        try:
            return self._http.send(request, stream=True)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            return self._http.send(request, stream=True)

    def _check_redirect(self, request: httpx.Request, response: httpx.Response) -> None:
        """A redirect loop or a redirect off the API's origin is a misconfigured target, not a verdict.

        The contract documents no redirect; a redirect within the API stays an answer
        for the tests to judge. GET redirects are followed (at most 10 hops, same
        origin, within the deadline) only to tell a loop from a detour.
        """
        if not response.is_redirect:
            return
        what = f"{request.method} {request.url}"
        chain = [request.url]
        current = response
        for _ in range(_MAX_REDIRECT_HOPS):
            location = current.headers.get("location", "")
            following = chain[-1].join(location)
            if following.copy_with(fragment=None) in chain:
                hops = " -> ".join(str(url) for url in [*chain, following])
                raise TargetRedirectLoop(f"{what}: a redirect loop: {hops}")
            if (following.scheme, following.host, following.port) != (
                request.url.scheme,
                request.url.host,
                request.url.port,
            ):
                raise TargetRedirected(
                    f"{what}: answered {response.status_code} with Location {location}, off the API's "
                    "origin (a login page? http vs https?); check --base-url"
                )
            chain.append(following)
            if request.method != "GET":
                return
            try:
                current = self._http.send(
                    self._http.build_request("GET", following, headers=request.headers), stream=True
                )
                current.close()
            except httpx.HTTPError:
                return  # the detour itself fails: leave the redirect to the tests to judge
            if not current.is_redirect:
                return
        raise TargetRedirectLoop(f"{what}: more than {_MAX_REDIRECT_HOPS} redirects in a row")

    # The five operations, as the docs name them.
    def list(self, params: Mapping[str, Any] | list[tuple[str, Any]] | None = None) -> Exchange:
        return self.request("GET", collection_path(), params=params)

    def get(self, contact_id: str) -> Exchange:
        return self.request("GET", contact_path(contact_id))

    def create(self, body: Any) -> Exchange:
        return self.request("POST", collection_path(), json=body)

    def patch(self, contact_id: str, body: Any) -> Exchange:
        return self.request("PATCH", contact_path(contact_id), json=body)

    def delete(self, contact_id: str) -> Exchange:
        return self.request("DELETE", contact_path(contact_id))


class ChunkedBody(httpx.SyncByteStream):
    """A request body written in these chunks (Transfer-Encoding: chunked); can be sent again."""

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "1")
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER)
    except ValueError:
        return 1.0
