"""Run-time options of the mock (what the CLI sets); all off or harmless by default."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import click

# Browser apps on any local port may call the mock with credentials by default.
LOCAL_ORIGINS = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]+)?$"


@dataclass(frozen=True)
class MockOptions:
    latency_ms: tuple[int, int] | None = None  # every API response held for a time in this range
    error_rate: float = 0.0  # share of API requests answered with `error_status` instead
    error_status: int = 503
    cors: bool = True
    cors_origins: tuple[str, ...] = ()  # empty: any local origin (LOCAL_ORIGINS)
    admin_token: str | None = None
    validate_responses: bool = False
    journal_size: int = 1000
    state_file: Path | None = None
    save_interval: float = 0.2  # seconds between state-file saves while writes happen
    reload: bool = False
    fixtures_path: Path | None = None  # watched by --reload; the seed for POST /__admin/reset
    extra_tokens: dict[str, str] = field(default_factory=dict)
    scenarios_dir: Path | None = None  # --scenarios: user scenario files, shadowing shipped ones
    # --request-timeout: seconds a client has to send a whole request once it starts (0: no limit)
    request_timeout: float = 10.0

    def origin_allowed(self, origin: str) -> bool:
        """Would CORS let a page of this origin call the mock?"""
        if not self.cors:
            return False
        if self.cors_origins:
            return "*" in self.cors_origins or origin in self.cors_origins
        return re.match(LOCAL_ORIGINS, origin) is not None

    def describe(self) -> list[str]:
        """The options in force, for the start-up banner."""
        lines = []
        if self.latency_ms:
            low, high = self.latency_ms
            lines.append(f"latency: {low} ms" if low == high else f"latency: {low}..{high} ms")
        if self.error_rate:
            lines.append(f"error rate: {self.error_rate:.1%} of API requests answered {self.error_status}")
        if self.cors:
            lines.append(
                f"CORS: {', '.join(self.cors_origins) or 'any localhost origin'} (credentials allowed)"
            )
        else:
            lines.append("CORS: off")
        lines.append("admin API: " + ("token required" if self.admin_token else "loopback clients only"))
        if self.state_file:
            lines.append(
                f"state file: {self.state_file} (saved every {self.save_interval:g} s while writes happen)"
            )
        if self.reload:
            lines.append("reload: watching the spec and the fixtures")
        if self.validate_responses:
            lines.append("validate responses: every response is checked against the spec")
        if self.scenarios_dir:
            lines.append(f"scenarios: shipped ones and {self.scenarios_dir} (yours win on a name clash)")
        lines.append(f"request journal: the last {self.journal_size} API requests at /__admin/requests")
        if self.request_timeout:
            lines.append(f"request timeout: {self.request_timeout:g} s to send a whole request")
        else:
            lines.append("request timeout: off (a stalled client holds its connection)")
        return lines


_RANGE = re.compile(r"^\s*(\d+)\s*(?:\.\.\s*(\d+)\s*)?$")


def parse_latency(text: str) -> tuple[int, int]:
    """`50` or `50..200` (milliseconds)."""
    match = _RANGE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not N or LOW..HIGH milliseconds")
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    if high < low:
        raise ValueError(f"{text!r}: the upper bound is below the lower one")
    return low, high


def token_pairs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    """The click callback of a repeatable TOKEN=ORG option (contacts-mock, python -m mock_server.data)."""
    pairs: dict[str, str] = {}
    for value in values:
        token, sep, org = value.partition("=")
        if not sep or not token or not org:
            raise click.BadParameter(f"{value!r} is not TOKEN=ORG (e.g. ci-token=org_ci)")
        pairs[token] = org
    return pairs
