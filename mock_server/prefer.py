"""The `Prefer` request header (RFC 7240), with Prism's preferences.

`code=404` answers that documented status with its example; `example=name`
picks a named example; `dynamic=true` generates schema-valid data instead of
reading the store; `delay=250` holds the response for 250 ms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import FieldError, ValidationFailed

MAX_DELAY_MS = 60_000
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    delay_ms: int = 0

    @property
    def canned(self) -> bool:
        """Does the caller want a documented answer rather than the store's?"""
        return self.code is not None or self.example is not None or self.dynamic


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed("Invalid Prefer header.", details=[FieldError("Prefer", message)])


def parse_prefer(header: str | None) -> Preferences:
    if not header:
        return Preferences()
    values: dict[str, str] = {}
    for item in header.split(","):
        token = item.split(";", 1)[0].strip()  # parameters of a preference are ignored
        if not token:
            continue
        name, _, value = token.partition("=")
        values[name.strip().lower()] = value.strip().strip('"')
    code = values.get("code")
    delay = values.get("delay")
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if (code is not None and not _DIGITS.fullmatch(code)) or (code is not None and len(code) != 3):
        raise _invalid(f"code={code!r} is not an HTTP status code")
    if delay is not None and not (
        _DIGITS.fullmatch(delay) and len(delay) <= 6 and int(delay) <= MAX_DELAY_MS
    ):
        raise _invalid(f"delay={delay!r} must be 0..{MAX_DELAY_MS} milliseconds")
    dynamic = values.get("dynamic", "false").lower()
    if dynamic not in ("true", "false"):
        raise _invalid(f"dynamic={dynamic!r} must be true or false")
    return Preferences(
        code=int(code) if code else None,
        example=values.get("example") or None,
        dynamic=dynamic == "true",
        delay_ms=int(delay) if delay else 0,
    )
