"""Contract violations that say what broke, show the exchange, and how to reproduce it."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import httpx

_MAX_BODY = 1500  # characters of a body shown in a failure

# Secrets are shown as shell variables, so a pasted curl line works after `export`
# and no token lands in a CI log.
SECRET_VARIABLES: dict[str, str] = {}


def register_secret(value: str | None, variable: str) -> None:
    if value:
        SECRET_VARIABLES[value] = variable


def _redact(text: str) -> str:
    for secret, variable in SECRET_VARIABLES.items():
        text = text.replace(secret, f"${variable}")
    return text


@dataclass
class Exchange:
    """One request and the response to it."""

    request: httpx.Request
    response: httpx.Response
    elapsed: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> int:
        return self.response.status_code

    def json(self) -> Any:
        try:
            return self.response.json()
        except ValueError:
            fail("the response body is JSON", self, "the body could not be parsed as JSON")

    def curl(self) -> str:
        parts = ["curl", "-sS", "-i", "-X", self.request.method]
        for name, value in self.request.headers.items():
            if name.lower() in ("host", "content-length", "accept-encoding", "connection", "user-agent"):
                continue
            parts += ["-H", f"{name}: {value}"]
        body = self.request.content
        if body:
            parts += ["--data-binary", body.decode("utf-8", "replace")]
        parts.append(str(self.request.url))
        # Quote everything, then let the token variables expand inside double quotes.
        line = " ".join(shlex.quote(p) for p in parts)
        for secret, variable in SECRET_VARIABLES.items():
            line = line.replace(secret, f"'\"${variable}\"'")
        return line

    def describe(self) -> str:
        req, res = self.request, self.response
        lines = [f"Request:  {req.method} {req.url}"]
        lines += [
            f"  {k}: {v}" for k, v in req.headers.items() if k.lower() not in ("host", "accept-encoding")
        ]
        if req.content:
            lines.append("  " + _shorten(req.content.decode("utf-8", "replace")))
        lines.append(f"Response: {res.status_code} {res.reason_phrase}  ({self.elapsed * 1000:.0f} ms)")
        lines += [f"  {k}: {v}" for k, v in res.headers.items()]
        if res.content:
            lines.append("  " + _shorten(res.content.decode("utf-8", "replace")))
        return _redact("\n".join(lines))


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_BODY else text[:_MAX_BODY] + f"… ({len(text)} characters)"


class ContractViolation(AssertionError):
    """An invariant of the contract does not hold. The message is the whole story.

    `rule` is the invariant's stable id (see rules.py and the ids in the tests); the
    first line reads ``Contract violated [rule-id]: what must hold``.
    """

    def __init__(
        self, invariant: str, detail: str, exchange: Exchange | None = None, rule: str | None = None
    ) -> None:
        self.invariant = invariant
        self.detail = detail
        self.exchange = exchange
        self.rule = rule
        label = f"Contract violated [{rule}]: " if rule else "Contract violated: "
        text = [f"{label}{invariant}", f"  {detail}"]
        if exchange is not None:
            text += [exchange.describe(), "Reproduce:", f"  {exchange.curl()}"]
        super().__init__("\n".join(text))
        _SEEN.append(self)


# Every violation raised in this process since `forget_violations()` (the plugin calls it as each
# test starts): what a test saw, even when Hypothesis catches it and cannot replay it later.
_SEEN: list[ContractViolation] = []


def seen_violations() -> list[ContractViolation]:
    """The violations raised since the current test started, first first."""
    return list(_SEEN)


def forget_violations() -> None:
    _SEEN.clear()


def fail(invariant: str, exchange: Exchange | None, detail: str, *, rule: str | None = None) -> NoReturn:
    raise ContractViolation(invariant, detail, exchange, rule)


def expect(
    condition: bool, invariant: str, exchange: Exchange | None, detail: str, *, rule: str | None = None
) -> None:
    if not condition:
        fail(invariant, exchange, detail, rule=rule)


def expect_status(
    exchange: Exchange, expected: int | tuple[int, ...], invariant: str, *, rule: str | None = None
) -> None:
    allowed = expected if isinstance(expected, tuple) else (expected,)
    expect(
        exchange.status in allowed,
        invariant,
        exchange,
        f"expected status {' or '.join(map(str, allowed))}, got {exchange.status}",
        rule=rule,
    )


def expect_equal(
    actual: Any, expected: Any, invariant: str, exchange: Exchange | None, *, rule: str | None = None
) -> None:
    if actual != expected:
        fail(invariant, exchange, f"expected {_render(expected)}\n  got      {_render(actual)}", rule=rule)


def _render(value: Any) -> str:
    if isinstance(value, Mapping | list | tuple):
        return _shorten(json.dumps(value, ensure_ascii=False, default=str))
    return repr(value)
