"""Why a run is slow: requests sent, their latency, and wall time per phase of the run.

Thread-safe (requests run concurrently inside a phase); under pytest-xdist each
worker keeps its own and the controller merges them (`as_dict` / `merge`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

PHASES = ("setup", "tests", "cleanup")


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(pct / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


@dataclass
class RequestStats:
    latencies: list[float] = field(default_factory=list)  # seconds, of answered requests
    failed: int = 0  # requests that got no usable answer (timeouts, broken connections...)
    phases: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, seconds: float) -> None:
        with self._lock:
            self.latencies.append(seconds)

    def record_failure(self) -> None:
        with self._lock:
            self.failed += 1

    def add_phase(self, phase: str, seconds: float) -> None:
        with self._lock:
            self.phases[phase] = self.phases.get(phase, 0.0) + seconds

    @property
    def sent(self) -> int:
        return len(self.latencies) + self.failed

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {"latencies": list(self.latencies), "failed": self.failed, "phases": dict(self.phases)}

    def merge(self, data: dict[str, Any]) -> None:
        """Add another process's requests (its phases are concurrent with ours: not added)."""
        with self._lock:
            self.latencies.extend(float(x) for x in data.get("latencies", []))
            self.failed += int(data.get("failed", 0))

    def summary(self) -> str:
        ordered = sorted(self.latencies)
        p50, p95 = percentile(ordered, 50) * 1000, percentile(ordered, 95) * 1000
        failed = f" ({self.failed} without an answer)" if self.failed else ""
        if not ordered:
            return f"requests: {self.sent} sent{failed}; no answers"
        return f"requests: {self.sent} sent{failed}; latency p50 {p50:.1f} ms, p95 {p95:.1f} ms"

    def phases_summary(self) -> str:
        parts = ", ".join(f"{phase} {self.phases.get(phase, 0.0):.1f} s" for phase in PHASES)
        return f"wall time: {parts}"


class PhaseClock:
    """Wall time of the run's phases: setup until the first test starts, tests, cleanup."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first_test: float | None = None
        self.last_test: float | None = None

    def test_started(self) -> None:
        if self.first_test is None:
            self.first_test = time.perf_counter()

    def test_finished(self) -> None:
        self.last_test = time.perf_counter()

    def close(self, stats: RequestStats) -> None:
        """Record setup and tests into `stats` (cleanup is timed where it runs)."""
        end = self.last_test or time.perf_counter()
        first = self.first_test or end
        stats.add_phase("setup", first - self.started)
        stats.add_phase("tests", end - first)
