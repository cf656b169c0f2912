"""A violation seen once is a violation, even when Hypothesis cannot replay the run."""

from __future__ import annotations

import pytest
from hypothesis import errors as hypothesis_errors

from contract_tests.failures import ContractViolation, fail, forget_violations, seen_violations
from contract_tests.outcomes import TargetTimeout, classify, seen_verdict, verdict_line

REPLAY = hypothesis_errors.FlakyStrategyDefinition("Inconsistent data generation!")


def test_every_violation_raised_is_seen_until_forgotten() -> None:
    forget_violations()
    for rule in ("first", "second"):
        with pytest.raises(ContractViolation):
            fail("an invariant", None, "a detail", rule=rule)
    assert [v.rule for v in seen_violations()] == ["first", "second"]
    forget_violations()
    assert seen_violations() == []


@pytest.mark.parametrize(
    ("error", "seen", "verdict"),
    [
        pytest.param(REPLAY, ["violation"], "violation", id="replay-failed-after-a-violation"),
        pytest.param(TargetTimeout("slow"), ["violation"], "violation", id="timeout-after-a-violation"),
        pytest.param(REPLAY, [], None, id="replay-failed-nothing-seen"),
    ],
)
def test_a_test_without_a_verdict_reports_the_violation_it_saw(
    error: BaseException, seen: list[str], verdict: str | None
) -> None:
    violations = [ContractViolation("an invariant", "a detail", rule="x") for _ in seen]
    text = seen_verdict(classify(error), violations)
    if verdict is None:
        assert text is None
    else:
        assert text is not None
        assert text.startswith("Contract violated [x]: an invariant")
        assert "not reproduced" in text


def test_a_verdict_stays_the_verdict() -> None:
    violation = ContractViolation("an invariant", "a detail", rule="x")
    assert classify(violation) is None
    assert seen_verdict(classify(violation), [violation]) is None


@pytest.mark.parametrize(
    ("exitstatus", "inconclusive", "stopped", "line"),
    [
        pytest.param(0, 0, False, "", id="passed"),
        pytest.param(1, 0, False, "", id="violations-only"),
        pytest.param(
            1,
            2,
            False,
            "verdict: contract violated; 2 more test(s) inconclusive",
            id="violated-and-inconclusive",
        ),
        pytest.param(
            1,
            2,
            True,
            "verdict: contract violated; 2 more test(s) inconclusive",
            id="violated-inconclusive-stopped",
        ),
        pytest.param(
            1,
            0,
            True,
            "verdict: contract violated (found before the target went down; the run was stopped)",
            id="violated-then-stopped",
        ),
        pytest.param(
            75, 3, False, "verdict: INCONCLUSIVE: 3 test(s) could not reach a verdict", id="inconclusive"
        ),
        pytest.param(
            75,
            3,
            True,
            "verdict: INCONCLUSIVE: the target is down, the run was stopped (9 of 12 tests did not run; 3",
            id="inconclusive-stopped",
        ),
    ],
)
def test_the_verdict_line_names_the_verdict_that_stands(
    exitstatus: int, inconclusive: int, stopped: bool, line: str
) -> None:
    text = verdict_line(exitstatus, inconclusive, stopped=stopped, not_run="9 of 12 tests did not run")
    assert text.startswith(line) and bool(text) is bool(line), text
