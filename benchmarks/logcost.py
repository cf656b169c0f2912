"""The access log's cost, measured so that a busy machine cannot fake it: both mocks at once.

The quiet mock and the logging mock (`mock+log`, as `make mock` serves it)
run on the same core (CPU 0) and are loaded AT THE SAME TIME, each by its own
load generator on CPU 1, in a few short slices. Whatever else the machine
does during a slice (a soak, other sessions, the hypervisor) lands on both
servers alike, so the ratio of their CPU time per request (user + system, from
/proc: the log's Python work and its write system calls) cancels it out. The
figure is the median over the slices (and rounds) of

    CPU per request of mock+log / CPU per request of the quiet mock - 1

Measured one after the other, the same two servers' CPU time per request
moved by ±20% between runs on a machine with a load average of 5 to 17, and
their throughput by ±30% (docs/performance.md): that is what this replaces as
the verdict. The throughput column (`log cost`) is still shown.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable

from .common import TOKEN_A
from .load import LoadError, LoadResult, run_load
from .scenarios import Scenario

SLICE_SECONDS = 2.0  # long enough for wrk (whole seconds) to settle, short enough for several slices
MOST_SLICES = 5


def slices_for(duration: float) -> tuple[int, float]:
    """How many slices, of how many seconds, fit in one row's `duration` (at least one)."""
    count = max(1, min(MOST_SLICES, int(duration // SLICE_SECONDS)))
    return count, (duration / count if duration < SLICE_SECONDS else SLICE_SECONDS)


def load_both_at_once(
    generator: str,
    scenario: Scenario,
    servers: dict[str, tuple[str, Callable[[], float]]],
    *,
    duration: float,
    connections: int,
    threads: int,
    pin: bool,
) -> dict[str, tuple[LoadResult, float]]:
    """Load every server in `servers` ({name: (base URL, CPU seconds reader)}) at the same time;
    per server, the load's result and the server's CPU time per request in µs."""
    results: dict[str, LoadResult] = {}
    errors: list[LoadError] = []
    cpu_before = {name: read() for name, (_url, read) in servers.items()}

    def drive(name: str, url: str) -> None:
        try:
            results[name] = run_load(
                generator,
                url,
                scenario,
                TOKEN_A,
                duration=duration,
                connections=connections,
                threads=threads,
                pin=pin,
            )
        except LoadError as error:
            errors.append(error)

    workers = [threading.Thread(target=drive, args=(name, url)) for name, (url, _read) in servers.items()]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    out = {}
    for name, (_url, read) in servers.items():
        result = results[name]
        result.server_cpu_s = read() - cpu_before[name]
        out[name] = (result, result.cpu_us_per_request)
    return out


def cost(ratios: list[float]) -> float | None:
    """The median slice's CPU-per-request ratio, minus one (None when nothing was measured)."""
    return statistics.median(ratios) - 1 if ratios else None
