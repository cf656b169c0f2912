"""Spec coverage: what a run provoked, and which documented statuses are exempt on purpose."""

from __future__ import annotations

from contract_tests.contract import SPEC_PATH, read_spec
from contract_tests.coverage import NOT_PROVOKED, SpecCoverage, operations_of


def full_coverage(except_: tuple[str, int] | None = None) -> SpecCoverage:
    """Every documented status of every operation seen, except `except_` and the exempt ones."""
    coverage = SpecCoverage(operations_of(read_spec(SPEC_PATH)))
    for op in coverage.operations:
        for status in op.statuses:
            if (op.operation_id, status) != except_ and status not in NOT_PROVOKED:
                coverage.seen[op.operation_id].add(status)
    return coverage


def test_the_exempt_statuses_are_documented_and_never_missing() -> None:
    coverage = full_coverage()
    documented = {status for op in coverage.operations for status in op.statuses}
    assert set(NOT_PROVOKED) <= documented, "an exemption for a status the spec does not document"
    assert coverage.missing() == []
    assert "n/a" in coverage.table()


def test_a_documented_status_not_provoked_is_missing() -> None:
    op = operations_of(read_spec(SPEC_PATH))[0]
    status = next(s for s in op.statuses if s not in NOT_PROVOKED)
    assert full_coverage(except_=(op.operation_id, status)).missing() == [(op.operation_id, status)]
