"""Timestamps tell the time: a write's `created_at` / `updated_at` is when it happened.

The contract renders times in UTC (`...Z`). A server that writes local time with
a `Z` (9 hours off in Japan), counts in the wrong unit or runs a clock of its
own (a stale cache, a wrong epoch) breaks every client that shows "created 5
minutes ago" or syncs by time. The check compares with the server's own clock,
its `Date` header (RFC 9110: an origin server with a clock sends one), so the
client's clock does not matter; an answer without `Date` (an in-process app) is
compared with the client's clock. The tolerance is ten minutes: wide enough for
any proxy in between and any clock that NTP keeps (seconds) or that drifted for
days, narrow enough for a time-zone bug (every zone is 30 minutes or more from
UTC) and for a clock that runs wrong by a small factor (a divisor of 1,000,001
where 1,000,000 belongs puts 2026 half an hour early).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from .client import ApiClient
from .failures import Exchange, expect
from .invariants import contact_of
from .model import instant
from .strategies import Scope

pytestmark = pytest.mark.writes
TOLERANCE = timedelta(minutes=10)


def _clock(exchange: Exchange) -> datetime:
    """The server's time of the answer (its Date header), else the client's."""
    date = exchange.response.headers.get("date")
    if date:
        try:
            parsed = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    return datetime.now(UTC)


def _check(exchange: Exchange, name: str, timestamp: str) -> None:
    when = instant(timestamp)[0]
    now = _clock(exchange)
    expect(
        abs(when - now) <= TOLERANCE,
        f"{name} is the time of the write (UTC)",
        exchange,
        f"{name} {timestamp}, the server's clock {now.isoformat()} (tolerance {TOLERANCE})",
        rule="timestamps-tell-the-time",
    )


def test_a_write_is_stamped_with_the_time_it_happened(api: ApiClient, scope: Scope) -> None:
    exchange = api.create({"first_name": "時計", "last_name": f"Clock{scope.token}"})
    created = contact_of(exchange, 201, "POST creates a contact: 201")
    _check(exchange, "created_at", created["created_at"])
    patched = api.patch(created["id"], {"position": "係長"})
    _check(patched, "updated_at", contact_of(patched, 200, "PATCH succeeds")["updated_at"])
