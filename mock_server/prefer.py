"""The `Prefer` request header (RFC 7240), with Prism's preferences.

`code=404` answers that documented status with its example; `example=name`
picks a named example; `dynamic=true` generates schema-valid data instead of
reading the store; `delay=250` holds the response for 250 ms.

Guarantee: a preference never makes the mock answer a status the spec does not
document for the operation. RFC 7240 lets a server ignore a preference it cannot
honour, and the mock does exactly that (a malformed value, a code the operation
does not document, an example it does not have): the request is answered as if
the preference had not been sent, and the reason is told in `X-Mock-Prefer-Ignored`
and the request journal. `Preference-Applied` lists what was honoured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

MAX_DELAY_MS = 60_000
_DIGITS = re.compile(r"[0-9]+")
APPLIED_HEADER = "Preference-Applied"
IGNORED_HEADER = "X-Mock-Prefer-Ignored"


@dataclass(frozen=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False
    delay_ms: int = 0
    ignored: tuple[str, ...] = ()  # why a preference that was sent is not honoured

    @property
    def canned(self) -> bool:
        """Does the caller want a documented answer rather than the store's?"""
        return self.code is not None or self.example is not None or self.dynamic

    def ignore(self, reason: str) -> Preferences:
        """These preferences with one more reason why something sent is not honoured."""
        return replace(self, ignored=(*self.ignored, reason))

    def headers(self) -> dict[str, str]:
        """`Preference-Applied` for what is honoured, `X-Mock-Prefer-Ignored` for what is not."""
        applied = [
            *([f"code={self.code}"] if self.code is not None else []),
            *([f"example={self.example}"] if self.example is not None else []),
            *(["dynamic=true"] if self.dynamic else []),
            *([f"delay={self.delay_ms}"] if self.delay_ms else []),
        ]
        headers = {APPLIED_HEADER: ", ".join(applied)} if applied else {}
        if self.ignored:
            headers[IGNORED_HEADER] = "; ".join(self.ignored)
        return headers


def parse_prefer(header: str | None) -> Preferences:
    """The preferences of a `Prefer` header; malformed values are ignored, with the reason."""
    if not header:
        return Preferences()
    values: dict[str, str] = {}
    for item in header.split(","):
        token = item.split(";", 1)[0].strip()  # parameters of a preference are ignored
        if not token:
            continue
        name, _, value = token.partition("=")
        values[name.strip().lower()] = value.strip().strip('"')
    preferences = Preferences(example=values.get("example") or None)
    code = values.get("code")
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if code is not None:
        if _DIGITS.fullmatch(code) and len(code) == 3:
            preferences = replace(preferences, code=int(code))
        else:
            preferences = preferences.ignore(f"code={code!r} is not an HTTP status code")
    delay = values.get("delay")
    if delay is not None:
        if _DIGITS.fullmatch(delay) and len(delay) <= 6 and int(delay) <= MAX_DELAY_MS:
            preferences = replace(preferences, delay_ms=int(delay))
        else:
            preferences = preferences.ignore(f"delay={delay!r} must be 0..{MAX_DELAY_MS} milliseconds")
    if "dynamic" in values:
        dynamic = values["dynamic"].lower()
        if dynamic in ("true", "false"):
            preferences = replace(preferences, dynamic=dynamic == "true")
        else:
            preferences = preferences.ignore(f"dynamic={dynamic!r} must be true or false")
    return preferences
