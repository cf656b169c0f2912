"""The request journal: the last N API requests, newest first, with no secrets in it."""

from __future__ import annotations

import itertools
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    id: int
    time: float  # seconds since the epoch
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    organization: str | None  # who called, never the token itself
    prefer_ignored: str | None = None  # why a `Prefer` preference was not honoured

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["time"] = (
            time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.time))
            + f".{int(self.time * 1000) % 1000:03d}Z"
        )
        return data


# An entry as recorded: Entry's fields as a plain tuple. Recording is on every API
# request's path; building the frozen dataclass waits until someone reads the journal.
_Row = tuple[int, float, str, str, str, int, float, "str | None", "str | None"]


class Journal:
    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[_Row] = deque(maxlen=max(size, 1))
        self._ids = itertools.count(1)

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def record(
        self,
        method: str,
        path: str,
        query: str,
        status: int,
        duration_ms: float,
        organization: str | None,
        *,
        prefer_ignored: str | None = None,
    ) -> None:
        self._entries.append(
            (
                next(self._ids),
                time.time(),
                method,
                path,
                query,
                status,
                round(duration_ms, 3),
                organization,
                prefer_ignored,
            )
        )

    def query(
        self, method: str | None = None, path: str | None = None, status: int | None = None
    ) -> list[Entry]:
        """Newest first. `path` matches as a prefix, so `/api/v1/crm/contacts` finds them all."""
        entries: Iterable[Entry] = (Entry(*row) for row in reversed(self._entries))
        if method:
            entries = (e for e in entries if e.method == method.upper())
        if path:
            entries = (e for e in entries if e.path.startswith(path))
        if status is not None:
            entries = (e for e in entries if e.status == status)
        return list(entries)

    def clear(self) -> int:
        count = len(self._entries)
        self._entries.clear()
        return count

    def __len__(self) -> int:
        return len(self._entries)
