"""The suite's HTTP client: one place that sends, throttles, records and reports."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from .contract import active
from .failures import Exchange
from .target import Target

_MAX_RATE_LIMIT_RETRIES = 3
_MAX_RETRY_AFTER = 30.0


class TargetError(Exception):
    """The target could not be reached or did not answer; not a contract verdict."""


class TargetUnreachable(TargetError):
    pass


class TargetTimeout(TargetError):
    pass


class TargetRateLimited(TargetError):
    pass


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

    def __repr__(self) -> str:
        # Short, and without the token: Hypothesis prints it with a failing example.
        return f"ApiClient({self.target.base_url!r}, style={self.style!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        # Hypothesis pretty-prints dataclasses field by field (80 kB here); use the short repr.
        printer.text(repr(self))

    def __post_init__(self) -> None:
        self._http = httpx.Client(
            base_url=self.target.base_url,
            transport=self.target.transport(),
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
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
    ) -> Exchange:
        all_headers = {**(self.credentials() if authenticate else {}), **(headers or {})}
        if json is not None:
            import json as _json

            content = _json.dumps(json, ensure_ascii=False).encode("utf-8")
            all_headers.setdefault("Content-Type", "application/json")
        request = self._http.build_request(method, path, params=params, content=content, headers=all_headers)
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

    def _send(self, request: httpx.Request) -> Exchange:
        self.throttle.wait()
        started = time.perf_counter()
        try:
            response = self._http.send(request)
        except httpx.TimeoutException as exc:
            raise TargetTimeout(
                f"{request.method} {request.url}: no answer within {self.timeout:g} s "
                f"({type(exc).__name__}); raise --timeout for a slow deployment"
            ) from None
        except httpx.TransportError as exc:
            raise TargetUnreachable(
                f"{request.method} {request.url}: cannot reach the target: {type(exc).__name__}: {exc}"
            ) from None
        return Exchange(request, response, time.perf_counter() - started)

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


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "1")
    try:
        return min(max(float(value), 0.0), _MAX_RETRY_AFTER)
    except ValueError:
        return 1.0
