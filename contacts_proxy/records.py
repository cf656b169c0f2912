"""One observed exchange, as the checks see it: pure values, credentials already masked."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .masking import Headers, scrub

CAPTURE_LIMIT = 1 << 20  # bytes of a body kept for the checks; beyond it the body is not checked
_SHOWN = 2000  # characters of a body kept in a violation


class NotJSON(Exception):
    """The body could not be read as JSON."""


@dataclass(frozen=True)
class Message:
    """A request's or a response's headers (lower-case names, masked) and captured body."""

    headers: Headers
    body: bytes  # as on the wire, at most CAPTURE_LIMIT bytes
    size: int  # the whole body's size in bytes
    secrets: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return self.size == len(self.body)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)

    @cached_property
    def decoded(self) -> bytes | None:
        """The body without its Content-Encoding; None when it cannot be decoded (or is incomplete)."""
        if not self.complete:
            return None
        encoding = (self.header("content-encoding") or "identity").strip().lower()
        try:
            if encoding in ("identity", ""):
                return self.body
            if encoding in ("gzip", "x-gzip"):
                return zlib.decompress(self.body, 16 + zlib.MAX_WBITS)
            if encoding == "deflate":
                try:
                    return zlib.decompress(self.body)
                except zlib.error:
                    return zlib.decompress(self.body, -zlib.MAX_WBITS)
        except zlib.error:
            return None
        return None  # br, zstd...: forwarded, not checked

    @cached_property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The decoded body as JSON (strict UTF-8, no NaN/Infinity); NotJSON otherwise."""
        value, error = self._parsed
        if error is not None:
            raise NotJSON(error)
        return value

    @cached_property
    def _parsed(self) -> tuple[Any, str | None]:  # parsed once, however many checks read it
        raw = self.decoded
        if raw is None:
            return None, "the body could not be decoded"
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_no_constant), None
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            return None, str(exc)

    def shown(self) -> str:
        raw = self.decoded if self.decoded is not None else self.body
        text = scrub(raw.decode("utf-8", "replace"), self.secrets)
        more = "" if len(text) <= _SHOWN and self.complete else f"… ({self.size} bytes)"
        return text[:_SHOWN] + more


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@dataclass(frozen=True)
class Exchange:
    """A forwarded request and the upstream's response, with when each happened (monotonic s)."""

    method: str
    path: str  # decoded, as routed
    raw_target: str  # path and query exactly as received
    query: str  # as received (percent-encoded)
    request: Message
    status: int
    response: Message
    started: float  # the request arrived at the proxy
    answered: float  # the upstream's response head arrived: the server had done its work
    client: str | None  # client_key() of the credential, never the credential
    wall_time: float  # seconds since the epoch, for people
    notes: list[str] = field(default_factory=list)
