"""Independent requests at once: against a slow deployment a phase waits one round trip, not ten.

`each(calls)` runs callables that do not depend on each other (each sends its
own requests through the suite's client, whose throttle, breaker, statistics,
deadline and size cap are thread-safe and shared, so `--rate-limit` still
holds) on a small bounded pool, and answers their results **in the calls'
order**. Failures are results too: `Outcome.get()` re-raises one where the
caller reaches it, so a caller that judges results in order reports the same
first failure as the same calls made one after another, whatever order the
answers came in. Nothing here judges anything: judging stays in the caller's
thread, after every call has returned.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# At most this many requests of one process in flight at once: enough to send a step's reads
# (about ten) in one or two round trips, few enough not to flood a fragile deployment.
WIDTH = 8

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WIDTH, thread_name_prefix="contract-fanout")
        return _pool


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What one call returned, or raised."""

    value: T | None = None
    error: BaseException | None = None

    def get(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def _outcome(future: Future[T]) -> Outcome[T]:
    error = future.exception()
    return Outcome(error=error) if error is not None else Outcome(value=future.result())


def each(calls: Sequence[Callable[[], T]]) -> list[Outcome[T]]:
    """Run independent calls at once (at most `WIDTH` in flight); their outcomes in the calls' order."""
    if len(calls) <= 1:
        return [_direct(call) for call in calls]
    futures = [_executor().submit(call) for call in calls]
    return [_outcome(future) for future in futures]


def _direct(call: Callable[[], T]) -> Outcome[T]:
    try:
        return Outcome(value=call())
    except Exception as error:  # a failure is an outcome, re-raised by get()
        return Outcome(error=error)
