"""contract_tests.fanout: independent calls at once, outcomes in the calls' order, bounded."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from contract_tests import fanout


def _after(seconds: float, value: int) -> Callable[[], int]:
    def call() -> int:
        time.sleep(seconds)
        return value

    return call


def _fails(seconds: float, message: str) -> Callable[[], int]:
    def call() -> int:
        time.sleep(seconds)
        raise ValueError(message)

    return call


def test_outcomes_come_in_the_calls_order_whatever_order_they_end_in() -> None:
    outcomes = fanout.each([_after(0.06, 1), _after(0.0, 2), _after(0.03, 3)])
    assert [o.get() for o in outcomes] == [1, 2, 3]


def test_calls_run_at_once() -> None:
    # Each call waits until all of them are in flight: only calls that run at once all return.
    barrier = threading.Barrier(fanout.WIDTH, timeout=10)
    outcomes = fanout.each([barrier.wait] * fanout.WIDTH)
    assert sorted(o.get() for o in outcomes) == list(range(fanout.WIDTH))


def test_at_most_width_calls_are_in_flight() -> None:
    lock = threading.Lock()
    flying = [0, 0]  # now, most

    def call() -> int:
        with lock:
            flying[0] += 1
            flying[1] = max(flying[1], flying[0])
        time.sleep(0.02)
        with lock:
            flying[0] -= 1
        return 0

    fanout.each([call] * (3 * fanout.WIDTH))
    assert flying[1] == fanout.WIDTH


@pytest.mark.parametrize("size", [1, 3])
def test_a_failure_is_an_outcome_raised_where_the_caller_reaches_it(size: int) -> None:
    calls = [_fails(0.05, "first"), *[_fails(0.0, f"later {i}") for i in range(size - 1)]]
    outcomes = fanout.each(calls)
    assert len(outcomes) == size
    # The first in the calls' order, although a later one failed earlier.
    with pytest.raises(ValueError, match=r"^first$"):
        outcomes[0].get()


def test_every_call_ends_before_each_returns() -> None:
    done: list[int] = []

    def call(i: int) -> Callable[[], None]:
        def run() -> None:
            time.sleep(0.01 * i)
            done.append(i)

        return run

    outcomes = fanout.each([_fails(0.0, "early"), *[call(i) for i in range(1, 5)]])
    assert sorted(done) == [1, 2, 3, 4]
    assert [o.error is None for o in outcomes] == [False, True, True, True, True]
