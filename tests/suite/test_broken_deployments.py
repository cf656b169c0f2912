"""A broken deployment gets a clear verdict: real misbehaving servers on 127.0.0.1.

Each mode of `brokenserver.py` must end, within the configured timeout, with its
own readable outcome: the client raises a distinct `TargetError` (or, for a 200
that is not JSON, reports the contract violated), and a whole run of the suite
ends with a readable summary, the cleanup line, no stack trace, and exit status
75 (inconclusive) or 1 (a violation). Once the target is declared down the run
starts no further test and says so; a violation seen before still decides.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contract_tests.client import ApiClient, Breaker
from contract_tests.failures import ContractViolation
from contract_tests.outcomes import (
    EXIT_INCONCLUSIVE,
    TargetConnectionLost,
    TargetError,
    TargetRedirectLoop,
    TargetResponseTooLarge,
    TargetTimeout,
)
from contract_tests.target import Target
from contract_tests.workers import worker_options
from tests.selections import SUITE_WITHOUT_GENERATED

from .brokenserver import MODES, broken_server
from .over_http import run_suite_over_http

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 1.5  # the configured --timeout of these runs, seconds
# The --timeout of whole runs against a server that never answers (silent, trickle). Their verdict
# does not depend on it: no answer comes, however long the client waits; only the run's length
# does (each run waits out four of them: the three in a row that declare the target down, then the
# final sweep). Above brokenserver.TRICKLE_INTERVAL, so a trickle is still ended by the overall
# deadline, never by a single read. Not for the deployment that answers first and then goes
# silent: on a machine at load 11 its first answers could come later than this, three in a row,
# and the run would stop before the violation it must report.
HANG_TIMEOUT = 0.5
HANGS = ("trickle", "silent")
# Generous: a hang (1,000 s of trickle, a server that never answers) is what must not happen.
SLACK = 10.0

# mode -> the client's outcome
CLIENT_OUTCOMES: dict[str, type[BaseException]] = {
    "huge": TargetResponseTooLarge,
    "trickle": TargetTimeout,
    "reset": TargetConnectionLost,
    "invalid_json": ContractViolation,
    "redirect_loop": TargetRedirectLoop,
    "silent": TargetTimeout,
}

# mode -> (exit status of a whole run, text its output must show)
RUN_OUTCOMES: dict[str, tuple[int, str]] = {
    "huge": (EXIT_INCONCLUSIVE, "response too large"),
    "trickle": (EXIT_INCONCLUSIVE, "target timeout"),
    "reset": (EXIT_INCONCLUSIVE, "connection lost"),
    "invalid_json": (1, "Contract violated [json-responses]: responses are application/json with a JSON"),
    "redirect_loop": (EXIT_INCONCLUSIVE, "redirect loop"),
    "silent": (EXIT_INCONCLUSIVE, "target timeout"),
}


def test_every_mode_has_an_outcome() -> None:
    assert set(CLIENT_OUTCOMES) == set(MODES) == set(RUN_OUTCOMES)


@pytest.mark.parametrize("mode", MODES)
def test_the_client_ends_each_misbehaviour_within_the_timeout(mode: str) -> None:
    with broken_server(mode) as server:
        target = Target(description="broken", base_url=server.url, token="t", other_org_token=None)
        client = ApiClient(target, "t", "bearer", timeout=TIMEOUT)
        started = time.perf_counter()
        try:
            with pytest.raises(CLIENT_OUTCOMES[mode]) as raised:
                client.list({"limit": 1}).json()
        finally:
            client.close()
        elapsed = time.perf_counter() - started
    assert elapsed < TIMEOUT + SLACK, f"{mode}: took {elapsed:.1f} s"
    message = str(raised.value)
    assert "/api/v1/crm/contacts" in message, message
    if isinstance(raised.value, TargetError):
        assert raised.value.kind in RUN_OUTCOMES[mode][1], (raised.value.kind, mode)


def test_after_three_failures_in_a_row_nothing_more_is_sent() -> None:
    with broken_server("silent") as server:
        target = Target(description="broken", base_url=server.url, token="t", other_org_token=None)
        client = ApiClient(target, "t", "bearer", timeout=0.3)
        try:
            for _ in range(3):
                with pytest.raises(TargetTimeout):
                    client.get("cont_" + "a" * 32)
            started = time.perf_counter()
            with pytest.raises(TargetError, match="not sent: the last 3 requests failed") as raised:
                client.get("cont_" + "a" * 32)
            assert time.perf_counter() - started < 0.3
            assert raised.value.kind == "target down"
        finally:
            client.close()


def test_the_breaker_says_why_the_target_is_down_until_a_reset() -> None:
    breaker = Breaker()
    for _ in range(Breaker.threshold - 1):
        breaker.failure(TargetTimeout("GET /x: no answer"))
    breaker.success()  # an answer in between: not down
    for _ in range(Breaker.threshold - 1):
        breaker.failure(TargetTimeout("GET /x: no answer"))
    assert breaker.down == ""
    breaker.failure(TargetTimeout("GET /y: no answer"))
    assert breaker.down == (
        "the last 3 requests failed without an answer (last: target timeout: GET /y: no answer)"
    )
    breaker.reset()
    assert breaker.down == ""


# "run stopped: ...; no further test started (N of M tests did not run)"
STOPPED = re.compile(
    r"^run stopped: the target is down: .*\((\d+) of (\d+) tests did not run\)$", re.MULTILINE
)


SUITE = ("contract_tests",)
# What a run against a server that gives no usable answer collects: the whole suite but the two
# modules that build their tests at collection (schemathesis's from the spec, the state machine's
# shards), 348 tests. In a run of one process the tests start in collection order and the run stops
# within the first three (three requests without an answer: test_company_membership.py), so those
# two modules never started: they only cost their collection, 3.5 s of the 4.2 s it took
# (2026-11-30), in each of five runs. Their tests against a target that goes down are run by the
# two-worker run below (the whole suite; the workers start the long chains, schemathesis and the
# state machine, first), and against answers that are not JSON by the invalid-JSON run
# (INVALID_JSON_SELECTION).
DOWN_SELECTION = SUITE_WITHOUT_GENERATED
# What a run against the invalid-JSON server collects. Every test it runs gets an answer, so all of them
# run (the whole suite: ~300 failing tests, ~28 s of CPU, the largest cost of `make test`); what is
# under test is how the run's machinery takes a 200 that is not JSON (an answer, a violation: the
# breaker must not count it, the run must not stop, nothing may crash), and that is the same in every
# module. These modules hold each kind of test the suite has: plain tests and Hypothesis tests with
# the ledger's fixtures, every credential style (test_crud.py), schemathesis (test_schema.py) and the
# state machine (test_stateful.py). Still far more than the 3 failures in a row that would stop it.
INVALID_JSON_SELECTION = (
    "contract_tests/test_crud.py",
    "contract_tests/test_schema.py",
    "contract_tests/test_stateful.py",
)


def _run_suite_with_workers(url: str, workers: int, timeout: float) -> subprocess.CompletedProcess[str]:
    """The whole suite in its own process, which starts `workers` pytest-xdist workers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACT_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    command = [sys.executable, "-m", "pytest", *SUITE, "-p", "no:cacheprovider", "-q"]
    # No shrinking (tests/suite/noshrink.py): it only minimizes the failing examples of the invalid-JSON
    # server, whose verdict is the same either way (2026-11-30, busy machine: ~50 s of CPU with shrinking,
    # 20 s without).
    command += ["-p", "tests.suite.noshrink"]
    # The options the suite gives its own workers (no assertion rewriting of hypothesis and schemathesis,
    # no other tools' plugins; the verdicts never come from bare asserts): 2026-11-30, a run against the
    # silent server 19.0 s and 7.6 s of CPU without them, 11.8 s and 3.7 s with them.
    command += worker_options()
    command += ["--base-url", url, "--token", "broken-deployment-token", "--timeout", str(timeout)]
    command += ["--workers", str(workers)]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_a_whole_run_against_a_broken_deployment_ends_with_a_clear_verdict(mode: str) -> None:
    """One process, as most runs are: in this one (tests/suite/over_http.py, no interpreter to start)."""
    expected_status, expected_text = RUN_OUTCOMES[mode]
    with broken_server(mode) as server:
        selection = INVALID_JSON_SELECTION if mode == "invalid_json" else DOWN_SELECTION
        timeout = HANG_TIMEOUT if mode in HANGS else TIMEOUT
        result = run_suite_over_http(
            server.url,
            *selection,
            *("--timeout", str(timeout), "--workers", "1"),
            token="broken-deployment-token",
        )
    output = result.output
    tail = output[-5000:]
    assert result.exit_code == expected_status, tail
    assert expected_text in output, tail
    assert "Traceback" not in output, tail
    assert "INTERNALERROR" not in output, tail
    assert "contract suite cleanup:" in output, tail  # the cleanup ran and said so
    assert "requests: " in output, tail
    stopped = STOPPED.search(output)
    if expected_status == EXIT_INCONCLUSIVE:
        assert "Contract violated" not in output, tail
        assert "verdict: INCONCLUSIVE: the target is down, the run was stopped" in output, tail
        # The target was declared down: the run stopped starting tests; almost none ran.
        assert stopped is not None, tail
        not_run, collected = int(stopped[1]), int(stopped[2])
        assert collected > 200 and not_run >= 0.9 * collected, stopped[0]
        assert "the target is down (3 requests in a row failed without an answer)" in output, tail
    else:  # a 200 that is not JSON is an answer (a violation), not a target that is down: every test ran
        assert stopped is None, tail
        assert "run stopped" not in output, tail
        failed = re.search(r"(\d+) failed", output)
        assert failed is not None and int(failed[1]) >= 10, tail  # each module's tests ran and failed


@pytest.mark.slow
def test_a_violation_seen_before_the_target_went_down_decides_the_verdict_under_workers() -> None:
    """Invalid JSON for the first requests, then no answer at all; two pytest-xdist workers."""
    with broken_server("invalid_json", then="silent", after=30) as server:
        result = _run_suite_with_workers(server.url, workers=2, timeout=TIMEOUT)
    output = result.stdout + result.stderr
    tail = output[-5000:]
    assert result.returncode == 1, tail
    assert "Contract violated [json-responses]" in output, tail
    # "; N more test(s) inconclusive" when a timeout ended a test of its own, else "(found before the
    # target went down; ...)": which of the two depends on where the silence began.
    assert "verdict: contract violated" in result.stdout, tail
    assert "verdict: INCONCLUSIVE" not in result.stdout, tail
    stopped = STOPPED.search(result.stdout)
    assert stopped is not None, tail  # the workers stopped once the target was down
    assert "target timeout" in output, tail
    assert "Traceback" not in output, tail
    assert "INTERNALERROR" not in output, tail
    assert "contract suite cleanup:" in result.stdout, tail
